//! IAM through the AWS SDK for Rust: ccoctl's calls, then the role they made
//! in use by a web identity; simulation offline; IAM calls authorized.

use aws_sdk_iam::error::ProvideErrorMetadata;
use aws_sdk_iam::types::{ContextEntry, ContextKeyTypeEnum, PolicyEvaluationDecisionType, Tag};
use rolechain_testkit::{Lab, SEED_ADMIN_A};

const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"oidc.rolechain.local/my-cluster:sub":["system:serviceaccount:my-namespace:other-app"]}}}]}"#;
const PERMISSIONS: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetCallerIdentity"],"Resource":"*"}]}"#;

#[tokio::test]
async fn ccoctl_calls_make_a_role_a_web_identity_can_use() {
    let lab = Lab::seed().await;
    let iam = aws_sdk_iam::Client::new(&lab.static_config(SEED_ADMIN_A.0, SEED_ADMIN_A.1));

    // ccoctl: the provider's URL comes back without its scheme.
    let provider = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn("arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster")
        .send()
        .await
        .unwrap();
    assert_eq!(provider.url(), Some("oidc.rolechain.local/my-cluster"));
    assert_eq!(provider.client_id_list(), ["openshift", "sts.amazonaws.com"]);
    assert_eq!(provider.thumbprint_list().len(), 1);

    let missing = iam
        .get_role()
        .role_name("my-cluster-shop-cart")
        .send()
        .await
        .unwrap_err();
    assert_eq!(missing.into_service_error().code(), Some("NoSuchEntity"));

    let created = iam
        .create_role()
        .role_name("my-cluster-shop-cart")
        .assume_role_policy_document(TRUST)
        .description("OpenShift role for shop/cart")
        .tags(
            Tag::builder()
                .key("openshift.io/cloud-credential-operator/my-cluster")
                .value("owned")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let role = created.role().unwrap();
    assert_eq!(role.arn(), "arn:aws:iam::111111111111:role/my-cluster-shop-cart");
    assert!(role.role_id().starts_with("AROA"));
    iam.put_role_policy()
        .role_name("my-cluster-shop-cart")
        .policy_name("my-cluster-shop-cart")
        .policy_document(PERMISSIONS)
        .send()
        .await
        .unwrap();
    let fetched = iam.get_role().role_name("my-cluster-shop-cart").send().await.unwrap();
    let document = fetched.role().unwrap().assume_role_policy_document().unwrap();
    assert!(document.contains("%22"), "AWS sends documents URL-encoded: {document}");

    // The new role, in use.
    let token = lab.mint_token("my-namespace", "other-app", &["sts.amazonaws.com"]);
    let sts = aws_sdk_sts::Client::new(&lab.web_identity_config(role.arn(), &token).await);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(
        me.arn(),
        Some("arn:aws:sts::111111111111:assumed-role/my-cluster-shop-cart/rolechain-testkit")
    );

    // A malformed document is refused and nothing changes.
    let err = iam
        .update_assume_role_policy()
        .role_name("my-cluster-shop-cart")
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("MalformedPolicyDocument"));
    let still = iam.get_role().role_name("my-cluster-shop-cart").send().await.unwrap();
    assert_eq!(still.role().unwrap().assume_role_policy_document(), Some(document));
}

#[tokio::test]
async fn iam_calls_are_authorized() {
    let lab = Lab::seed().await;
    let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
    let pod = lab
        .web_identity_config(
            "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader",
            &token,
        )
        .await;
    let err = aws_sdk_iam::Client::new(&pod)
        .create_role()
        .role_name("escalate")
        .assume_role_policy_document(TRUST)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert_eq!(
        err.message(),
        Some(
            "User: arn:aws:sts::111111111111:assumed-role/my-namespace-creds-my-namespace-dev-dynamodb-reader/rolechain-testkit is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::111111111111:role/escalate because no identity-based policy allows the iam:CreateRole action"
        )
    );
}

#[tokio::test]
async fn simulate_custom_policy_answers_offline() {
    let lab = Lab::seed().await;
    let iam = aws_sdk_iam::Client::new(&lab.static_config(SEED_ADMIN_A.0, SEED_ADMIN_A.1));
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Sid":"ReadOwn","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/orders","Condition":{"StringEquals":{"aws:PrincipalTag/team":"orders"}}}]}"#;
    let answer = iam
        .simulate_custom_policy()
        .policy_input_list(policy)
        .action_names("dynamodb:GetItem")
        .action_names("dynamodb:PutItem")
        .resource_arns("arn:aws:dynamodb:eu-west-2:222222222222:table/orders")
        .context_entries(
            ContextEntry::builder()
                .context_key_name("aws:PrincipalTag/team")
                .context_key_type(ContextKeyTypeEnum::String)
                .context_key_values("orders")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let results = answer.evaluation_results();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0].eval_decision(),
        &PolicyEvaluationDecisionType::Allowed,
        "{results:#?}"
    );
    let matched = &results[0].matched_statements()[0];
    assert_eq!(matched.start_position().unwrap().line(), 1);
    assert_eq!(results[1].eval_decision(), &PolicyEvaluationDecisionType::ImplicitDeny);
}
