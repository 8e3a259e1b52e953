use rolechain_policy::*;

#[test]
fn seed_chain_cross_account_assume_role() {
    let identity = Policy::parse_with_id(
        PolicyKind::Identity,
        "ccoctl-permissions",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::222222222222:role/dynamodb-reader"}]}"#,
    )
    .unwrap();
    let trust = Policy::parse_with_id(
        PolicyKind::Trust,
        "dynamodb-reader-trust",
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"FromOpenShift","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:role/my-namespace-creds-assume-dev"},"Action":"sts:AssumeRole"}]}"#,
    )
    .unwrap();
    let request = Request {
        principal: Principal::AssumedRole {
            arn: "arn:aws:sts::111111111111:assumed-role/my-namespace-creds-assume-dev/pod".into(),
            role_arn: None,
        },
        action: "sts:AssumeRole".into(),
        resource: "arn:aws:iam::222222222222:role/dynamodb-reader".into(),
        resource_account: None,
        context: Context::new(),
    };
    let set = PolicySet {
        identity: vec![identity.clone()],
        resource: Some(trust.clone()),
        ..PolicySet::default()
    };
    let d = authorize(&set, &request);
    assert_eq!(d.decision, EvalDecision::Allowed, "{d:?}");
    assert_eq!(d.deciding_statements.len(), 2);

    let no_trust = PolicySet {
        identity: vec![identity],
        ..PolicySet::default()
    };
    let d = authorize(&no_trust, &request);
    assert_eq!(d.decision, EvalDecision::ImplicitDeny);
    assert_eq!(
        d.message.unwrap(),
        "User: arn:aws:sts::111111111111:assumed-role/my-namespace-creds-assume-dev/pod is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/dynamodb-reader because no resource-based policy allows the sts:AssumeRole action"
    );
}
