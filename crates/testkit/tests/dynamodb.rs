//! DynamoDB through the AWS SDK for Rust, in process: the seed's chain now
//! ends in GetItem; every operation is authorized as AWS authorizes it.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use rolechain_testkit::{Lab, SEED_ADMIN_B};

const CCOCTL_ROLE: &str = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";

/// The reader's DynamoDB client, reached as the seed's pod reaches it.
async fn reader(lab: &Lab) -> aws_sdk_dynamodb::Client {
    let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
    let pod = lab.web_identity_config(CCOCTL_ROLE, &token).await;
    let hop = aws_sdk_sts::Client::new(&pod)
        .assume_role()
        .role_arn(READER_ROLE)
        .role_session_name("dev-dynamodb-reader")
        .send()
        .await
        .unwrap();
    let c = hop.credentials().unwrap();
    aws_sdk_dynamodb::Client::new(&lab.static_session_config(
        c.access_key_id(),
        c.secret_access_key(),
        c.session_token(),
    ))
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

#[tokio::test]
async fn the_seed_chain_ends_in_get_item() {
    let lab = Lab::seed().await;
    let db = reader(&lab).await;
    let got = db
        .get_item()
        .table_name("orders")
        .key("customer", s("alice"))
        .key("order_id", s("2026-0001"))
        .send()
        .await
        .unwrap();
    let item = got.item().unwrap();
    assert_eq!(item["status"], s("shipped"));
    assert_eq!(item["total"], AttributeValue::N("42.5".into()));

    let page = db
        .query()
        .table_name("orders")
        .key_condition_expression("customer = :c")
        .expression_attribute_values(":c", s("alice"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.count(), 2);
    assert_eq!(page.items()[0]["order_id"], s("2026-0001"));

    // Least privilege: the reader may not write, in AWS's words.
    let err = db
        .put_item()
        .table_name("orders")
        .item("customer", s("mallory"))
        .item("order_id", s("x"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:sts::222222222222:assumed-role/dynamodb-reader/dev-dynamodb-reader is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-2:222222222222:table/orders because no identity-based policy allows the dynamodb:PutItem action"
        )
    );
    // CloudTrail's data event for the denial, naming the table.
    let events = lab.audit(&rolechain::audit::AuditFilter {
        event_name: Some("PutItem".into()),
        denied: Some(true),
        ..Default::default()
    });
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["eventCategory"], "Data");
    assert_eq!(events[0]["managementEvent"], false);
    assert_eq!(
        events[0]["resources"][0]["ARN"],
        "arn:aws:dynamodb:eu-west-2:222222222222:table/orders"
    );
    assert_eq!(events[0]["resources"][0]["type"], "AWS::DynamoDB::Table");
    assert_eq!(events[0]["errorCode"], "AccessDeniedException");
    // Nothing was written.
    let admin = aws_sdk_dynamodb::Client::new(&lab.static_config(SEED_ADMIN_B.0, SEED_ADMIN_B.1));
    let none = admin
        .get_item()
        .table_name("orders")
        .key("customer", s("mallory"))
        .key("order_id", s("x"))
        .send()
        .await
        .unwrap();
    assert!(none.item().is_none());
}

/// Fine-grained access control: a tenant's partition and nothing else,
/// across GetItem, Query, BatchGetItem and TransactGetItems.
#[tokio::test]
async fn leading_keys_confine_a_tenant_to_its_partition() {
    let lab = Lab::seed().await;
    let admin_b = lab.static_config(SEED_ADMIN_B.0, SEED_ADMIN_B.1);
    let iam = aws_sdk_iam::Client::new(&admin_b);
    iam.create_role()
        .role_name("tenant")
        .assume_role_policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":["sts:AssumeRole","sts:TagSession"]}]}"#)
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("tenant")
        .policy_name("own-partition")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query","dynamodb:BatchGetItem"],"Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/orders","Condition":{"ForAllValues:StringEquals":{"dynamodb:LeadingKeys":["${aws:PrincipalTag/customer}"]}}}]}"#)
        .send()
        .await
        .unwrap();
    let session = aws_sdk_sts::Client::new(&admin_b)
        .assume_role()
        .role_arn("arn:aws:iam::222222222222:role/tenant")
        .role_session_name("alice")
        .tags(
            aws_sdk_sts::types::Tag::builder()
                .key("customer")
                .value("alice")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let c = session.credentials().unwrap();
    let db = aws_sdk_dynamodb::Client::new(&lab.static_session_config(
        c.access_key_id(),
        c.secret_access_key(),
        c.session_token(),
    ));
    let denied = |e: aws_sdk_dynamodb::Error| e.code().map(str::to_string);

    // Her own partition: yes.
    db.get_item()
        .table_name("orders")
        .key("customer", s("alice"))
        .key("order_id", s("2026-0001"))
        .send()
        .await
        .unwrap();
    db.query()
        .table_name("orders")
        .key_condition_expression("customer = :c")
        .expression_attribute_values(":c", s("alice"))
        .send()
        .await
        .unwrap();
    // Bob's: no, whichever way she asks.
    let e = db
        .get_item()
        .table_name("orders")
        .key("customer", s("bob"))
        .key("order_id", s("2026-0003"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        denied(e.into_service_error().into()),
        Some("AccessDeniedException".into())
    );
    let e = db
        .query()
        .table_name("orders")
        .key_condition_expression("#c = :c")
        .expression_attribute_names("#c", "customer")
        .expression_attribute_values(":c", s("bob"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        denied(e.into_service_error().into()),
        Some("AccessDeniedException".into())
    );
    let keys = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
        .keys(
            [
                ("customer".to_string(), s("alice")),
                ("order_id".to_string(), s("2026-0001")),
            ]
            .into(),
        )
        .keys(
            [
                ("customer".to_string(), s("bob")),
                ("order_id".to_string(), s("2026-0003")),
            ]
            .into(),
        )
        .build()
        .unwrap();
    let e = db
        .batch_get_item()
        .request_items("orders", keys)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        denied(e.into_service_error().into()),
        Some("AccessDeniedException".into())
    );
    let get = |customer: &str, order: &str| {
        aws_sdk_dynamodb::types::TransactGetItem::builder()
            .get(
                aws_sdk_dynamodb::types::Get::builder()
                    .table_name("orders")
                    .key("customer", s(customer))
                    .key("order_id", s(order))
                    .build()
                    .unwrap(),
            )
            .build()
    };
    // TransactGetItems is judged as GetItem per item; her role has no GetItem on bob's key.
    let e = db
        .transact_get_items()
        .transact_items(get("alice", "2026-0001"))
        .transact_items(get("bob", "2026-0003"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        denied(e.into_service_error().into()),
        Some("AccessDeniedException".into())
    );
    db.transact_get_items()
        .transact_items(get("alice", "2026-0002"))
        .send()
        .await
        .unwrap();
}

/// Cross-account access by the table's resource policy: account A's admin
/// reads B's table by its ARN once B's policy names A, and not before.
#[tokio::test]
async fn a_table_policy_lets_another_account_in() {
    let lab = Lab::seed().await;
    let table_arn = "arn:aws:dynamodb:eu-west-2:222222222222:table/orders";
    let a = aws_sdk_dynamodb::Client::new(
        &lab.static_config(rolechain_testkit::SEED_ADMIN_A.0, rolechain_testkit::SEED_ADMIN_A.1),
    );
    let read = || {
        a.get_item()
            .table_name(table_arn)
            .key("customer", s("bob"))
            .key("order_id", s("2026-0003"))
            .send()
    };
    let err = read().await.unwrap_err().into_service_error();
    assert_eq!(err.code(), Some("AccessDeniedException"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:iam::111111111111:user/admin is not authorized to perform: dynamodb:GetItem on resource: arn:aws:dynamodb:eu-west-2:222222222222:table/orders because no resource-based policy allows the dynamodb:GetItem action"
        )
    );

    let b = aws_sdk_dynamodb::Client::new(&lab.static_config(SEED_ADMIN_B.0, SEED_ADMIN_B.1));
    b.put_resource_policy()
        .resource_arn(table_arn)
        .policy(r#"{"Version":"2012-10-17","Statement":[{"Sid":"AccountARead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/orders"}]}"#)
        .send()
        .await
        .unwrap();
    let got = read().await.unwrap();
    assert_eq!(got.item().unwrap()["status"], s("open"));
    // The policy grants GetItem only.
    let err = a
        .put_item()
        .table_name(table_arn)
        .item("customer", s("a"))
        .item("order_id", s("1"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("AccessDeniedException"));

    // A malformed resource policy is refused and the old one stays.
    let err = b
        .put_resource_policy()
        .resource_arn(table_arn)
        .policy(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ValidationException"), "{err:?}");
    read().await.unwrap();
}

/// Expired session credentials get DynamoDB's own error.
#[tokio::test]
async fn expired_credentials_get_expired_token_exception() {
    let lab = Lab::seed().await;
    let db = reader(&lab).await;
    lab.advance(std::time::Duration::from_secs(3601));
    let err = db
        .get_item()
        .table_name("orders")
        .key("customer", s("alice"))
        .key("order_id", s("2026-0001"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("ExpiredTokenException"));
    assert_eq!(
        err.message(),
        Some("The security token included in the request is expired")
    );
}
