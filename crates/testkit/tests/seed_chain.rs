//! The seed's chain with the AWS SDK for Rust, in process: a projected token,
//! AssumeRoleWithWebIdentity through aws-config's own profile provider,
//! AssumeRole across accounts, and what each hop is allowed to do.

use std::time::Duration;

use aws_sdk_sts::error::ProvideErrorMetadata;
use rolechain::audit::AuditFilter;
use rolechain_testkit::{EvaluatorKind, Lab};

const CCOCTL_ROLE: &str = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";

async fn chain(lab: &Lab) {
    let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
    let pod = lab.web_identity_config(CCOCTL_ROLE, &token).await;
    let sts = aws_sdk_sts::Client::new(&pod);

    let me = sts.get_caller_identity().send().await.expect("the pod's identity");
    assert_eq!(me.account(), Some("111111111111"));
    assert_eq!(
        me.arn(),
        Some(
            "arn:aws:sts::111111111111:assumed-role/my-namespace-creds-my-namespace-dev-dynamodb-reader/rolechain-testkit"
        )
    );
    assert!(me.user_id().unwrap().starts_with("AROA"), "{:?}", me.user_id());
    assert!(me.user_id().unwrap().ends_with(":rolechain-testkit"));

    let hop = sts
        .assume_role()
        .role_arn(READER_ROLE)
        .role_session_name("dev-dynamodb-reader")
        .send()
        .await
        .expect("the cross-account hop");
    let creds = hop.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(
        hop.assumed_role_user().unwrap().arn(),
        "arn:aws:sts::222222222222:assumed-role/dynamodb-reader/dev-dynamodb-reader"
    );
    // Role chaining: at most one hour.
    let expires = creds.expiration().secs();
    assert!(expires - lab.clock().now() <= 3600);

    let reader = lab.static_session_config(creds.access_key_id(), creds.secret_access_key(), creds.session_token());
    let reader_sts = aws_sdk_sts::Client::new(&reader);
    let who = reader_sts
        .get_caller_identity()
        .send()
        .await
        .expect("the reader's identity");
    assert_eq!(who.account(), Some("222222222222"));

    // Chained sessions (the pod's is a web-identity session) cannot ask for more than an hour.
    let err = sts
        .assume_role()
        .role_arn(READER_ROLE)
        .role_session_name("again")
        .duration_seconds(7200)
        .send()
        .await
        .expect_err("over the chaining cap");
    let err = err.into_service_error();
    assert_eq!(err.code(), Some("ValidationError"));
    assert_eq!(
        err.message(),
        Some("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
    );

    // The reader role may not assume anything: its identity policy says nothing of sts:AssumeRole.
    let err = reader_sts
        .assume_role()
        .role_arn(CCOCTL_ROLE)
        .role_session_name("back")
        .send()
        .await
        .expect_err("no way back");
    let err = err.into_service_error();
    assert_eq!(err.code(), Some("AccessDenied"));
    assert!(
        err.message().unwrap().starts_with(
            "User: arn:aws:sts::222222222222:assumed-role/dynamodb-reader/dev-dynamodb-reader is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader"
        ),
        "{:?}",
        err.message()
    );
}

#[tokio::test]
async fn seed_chain_with_the_wasm_evaluator() {
    let lab = Lab::seed().await;
    chain(&lab).await;
    let events = lab.audit(&AuditFilter {
        event_name: Some("AssumeRoleWithWebIdentity".into()),
        ..AuditFilter::default()
    });
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!(events[0]["userIdentity"]["type"], "WebIdentityUser");
    let decision = &events[0]["additionalEventData"]["rolechain"]["decisions"][0];
    assert_eq!(decision["decision"], "allowed");
}

#[tokio::test]
async fn seed_chain_with_the_native_evaluator() {
    chain(&Lab::seed_with(EvaluatorKind::Native)).await;
}

#[tokio::test]
async fn another_service_account_is_refused() {
    let lab = Lab::seed().await;
    let token = lab.mint_token("my-namespace", "other-app", &["openshift"]);
    let pod = lab.web_identity_config(CCOCTL_ROLE, &token).await;
    let sts = aws_sdk_sts::Client::new(&pod);
    let err = sts
        .get_caller_identity()
        .send()
        .await
        .expect_err("credential isolation");
    let text = format!("{:?}", aws_smithy_types::error::display::DisplayErrorContext(&err));
    assert!(
        text.contains("Not authorized to perform sts:AssumeRoleWithWebIdentity"),
        "{text}"
    );
}

#[tokio::test]
async fn sessions_expire_on_the_virtual_clock() {
    let lab = Lab::seed().await;
    let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
    let pod = lab.web_identity_config(CCOCTL_ROLE, &token).await;
    let sts = aws_sdk_sts::Client::new(&pod);
    let hop = sts
        .assume_role()
        .role_arn(READER_ROLE)
        .role_session_name("s1")
        .send()
        .await
        .unwrap();
    let creds = hop.credentials().unwrap();
    let reader = aws_sdk_sts::Client::new(&lab.static_session_config(
        creds.access_key_id(),
        creds.secret_access_key(),
        creds.session_token(),
    ));
    reader.get_caller_identity().send().await.unwrap();
    lab.advance(Duration::from_secs(3601));
    let err = reader.get_caller_identity().send().await.expect_err("expired");
    assert_eq!(err.into_service_error().code(), Some("ExpiredToken"));
}
