//! Differential property test: random policy sets and requests, decided by
//! the native engine and by rolechain_policy.wasm in wasmtime. The two must
//! agree on every decision and every explanation, and refuse the same sets.

use proptest::prelude::*;
use rolechain_policy::evaluator::{Evaluator, EvaluatorError, NativeEvaluator};
use rolechain_policy::wire::PolicySetSpec;
use rolechain_policy::{EvalDecision, Request};
use rolechain_wasm_host::WasmEvaluator;

const ACTIONS: [&str; 8] = [
    "s3:GetObject",
    "s3:PutObject",
    "dynamodb:GetItem",
    "dynamodb:Query",
    "sts:AssumeRole",
    "*",
    "s3:*",
    "dynamodb:Get*",
];
const RESOURCES: [&str; 6] = [
    "*",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::bucket/${aws:username}/*",
    "arn:aws:dynamodb:eu-west-2:111122223333:table/orders",
    "arn:aws:dynamodb:*:*:table/*",
    "arn:aws:iam::222233334444:role/reader",
];
const PRINCIPALS: [&str; 6] = [
    r#""*""#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/reader"}"#,
    r#"{"AWS":"arn:aws:sts::111122223333:assumed-role/reader/app"}"#,
    r#"{"AWS":["arn:aws:iam::444455556666:root","arn:aws:iam::111122223333:user/alice"]}"#,
    r#"{"Federated":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com/c"}"#,
];
const CONDITIONS: [&str; 12] = [
    r#"{"StringEquals":{"aws:PrincipalTag/team":["orders","billing"]}}"#,
    r#"{"StringLike":{"aws:userid":"AROA*"}}"#,
    r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]}}"#,
    r#"{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}"#,
    r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
    r#"{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["${aws:PrincipalTag/tenant}-*"]}}"#,
    r#"{"NumericLessThanEquals":{"s3:max-keys":"10"}}"#,
    r#"{"Null":{"aws:TokenIssueTime":"false"}}"#,
    r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}"#,
    r#"{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}"#,
    r#"{"ForAnyValue:StringEquals":{"aws:TagKeys":["env","Team"]}}"#,
    r#"{"StringEquals":{"oidc.example.com/c:sub":"system:serviceaccount:ns:app"}}"#,
];

fn statement(with_principal: bool) -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        prop::sample::subsequence(ACTIONS.to_vec(), 1..3),
        any::<bool>(),
        prop::sample::subsequence(RESOURCES.to_vec(), 1..3),
        prop::sample::select(PRINCIPALS.to_vec()),
        prop::option::weighted(0.6, prop::sample::select(CONDITIONS.to_vec())),
    )
        .prop_map(move |(allow, actions, not_action, resources, principal, condition)| {
            let mut parts = vec![format!(r#""Effect":"{}""#, if allow { "Allow" } else { "Deny" })];
            if with_principal {
                parts.push(format!(r#""Principal":{principal}"#));
            }
            let list = |v: &[&str]| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(",");
            parts.push(format!(
                r#""{}":[{}]"#,
                if not_action { "NotAction" } else { "Action" },
                list(&actions)
            ));
            parts.push(format!(r#""Resource":[{}]"#, list(&resources)));
            if let Some(c) = condition {
                parts.push(format!(r#""Condition":{c}"#));
            }
            format!("{{{}}}", parts.join(","))
        })
}

fn document(with_principal: bool) -> impl Strategy<Value = String> {
    (prop::collection::vec(statement(with_principal), 1..4), any::<bool>()).prop_map(|(statements, v2012)| {
        let version = if v2012 { r#""Version":"2012-10-17","# } else { "" };
        // Unique Sids (IAM refuses repeats), so explanations name statements.
        let statements: Vec<String> = statements
            .iter()
            .enumerate()
            .map(|(i, st)| format!(r#"{{"Sid":"S{i}",{}"#, &st[1..]))
            .collect();
        format!(r#"{{{version}"Statement":[{}]}}"#, statements.join(","))
    })
}

fn policy(kind: &'static str, with_principal: bool) -> impl Strategy<Value = String> {
    document(with_principal).prop_map(move |d| format!(r#"{{"kind":"{kind}","document":{}}}"#, serde_json::json!(d)))
}

fn policy_set() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(policy("identity", false), 0..3),
        prop::option::of(policy("resource", true)),
        prop::option::weighted(0.3, policy("boundary", false)),
        prop::collection::vec(policy("session", false), 0..2),
        prop::collection::vec(prop::collection::vec(policy("scp", false), 1..2), 0..2),
    )
        .prop_map(|(identity, resource, boundary, session, scps)| {
            let mut members = vec![format!(r#""identity":[{}]"#, identity.join(","))];
            if let Some(r) = resource {
                members.push(format!(r#""resource":{r}"#));
            }
            if let Some(b) = boundary {
                members.push(format!(r#""permissionsBoundary":{b}"#));
            }
            members.push(format!(r#""session":[{}]"#, session.join(",")));
            let levels: Vec<String> = scps.iter().map(|l| format!("[{}]", l.join(","))).collect();
            members.push(format!(r#""scpLevels":[{}]"#, levels.join(",")));
            format!("{{{}}}", members.join(","))
        })
}

fn request() -> impl Strategy<Value = String> {
    let principals = prop::sample::select(vec![
        r#"{"type":"user","arn":"arn:aws:iam::111122223333:user/alice"}"#,
        r#"{"type":"assumedRole","arn":"arn:aws:sts::111122223333:assumed-role/reader/app","roleArn":"arn:aws:iam::111122223333:role/reader"}"#,
        r#"{"type":"root","account":"111122223333"}"#,
        r#"{"type":"assumedRole","arn":"arn:aws:sts::444455556666:assumed-role/auditor/x"}"#,
        r#"{"type":"webIdentity","provider":"arn:aws:iam::111122223333:oidc-provider/oidc.example.com/c"}"#,
        r#"{"type":"federatedUser","arn":"arn:aws:sts::111122223333:federated-user/carol"}"#,
        r#"{"type":"anonymous"}"#,
    ]);
    let actions = prop::sample::select(vec![
        "s3:GetObject",
        "s3:PutObject",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "sts:AssumeRole",
    ]);
    let resources = prop::sample::select(vec![
        "arn:aws:s3:::bucket/alice/notes.txt",
        "arn:aws:dynamodb:eu-west-2:111122223333:table/orders",
        "arn:aws:iam::222233334444:role/reader",
        "*",
    ]);
    let context_entries = prop::sample::subsequence(
        vec![
            r#""aws:PrincipalTag/team":"orders""#,
            r#""aws:userid":"AROAEXAMPLE:app""#,
            r#""aws:SourceIp":"10.1.2.3""#,
            r#""aws:CurrentTime":"2026-11-26T12:00:00Z""#,
            r#""aws:SecureTransport":true"#,
            r#""aws:PrincipalTag/tenant":"acme""#,
            r#""dynamodb:LeadingKeys":["acme-1","other-2"]"#,
            r#""s3:max-keys":5"#,
            r#""aws:TokenIssueTime":"2026-11-26T11:00:00Z""#,
            r#""aws:PrincipalArn":"arn:aws:iam::111122223333:role/reader""#,
            r#""aws:RequestedRegion":"eu-west-2""#,
            r#""aws:TagKeys":["env"]"#,
            r#""aws:username":"alice""#,
            r#""oidc.example.com/c:sub":"system:serviceaccount:ns:app""#,
        ],
        0..10,
    );
    (principals, actions, resources, context_entries).prop_map(|(p, a, r, ctx)| {
        format!(
            r#"{{"principal":{p},"action":"{a}","resource":"{r}","context":{{{}}}}}"#,
            ctx.join(",")
        )
    })
}

fn wasm() -> &'static WasmEvaluator {
    static WASM: std::sync::OnceLock<WasmEvaluator> = std::sync::OnceLock::new();
    WASM.get_or_init(|| WasmEvaluator::new().expect("wasm host"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn native_and_wasm_agree(set in policy_set(), requests in prop::collection::vec(request(), 1..6)) {
        let spec = PolicySetSpec::from_json_str(&set).expect("generated sets read");
        let native = NativeEvaluator::new();
        match (native.load(&spec), wasm().load(&spec)) {
            (Ok(n), Ok(w)) => {
                for r in &requests {
                    let request = Request::from_json_str(r).expect("generated requests read");
                    let (a, b) = (native.authorize(n, &request).unwrap(), wasm().authorize(w, &request).unwrap());
                    prop_assert_eq!(&a, &b, "{}\n{}", set, r);
                }
                wasm().unload(w).unwrap();
            }
            (Err(EvaluatorError::Refused { code: a, message: m }), Err(EvaluatorError::Refused { code: b, message: n })) => {
                prop_assert_eq!((a, m), (b, n));
            }
            (a, b) => prop_assert!(false, "native {:?} but wasm {:?} for {}", a.map(|h| h.0), b.map(|h| h.0), set),
        }
    }
}

/// Guards the generators: they must reach every kind of decision, or agreement means little.
#[test]
fn the_generators_reach_every_decision() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let native = NativeEvaluator::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut loaded = 0;
    for _ in 0..400 {
        let set = policy_set().new_tree(&mut runner).unwrap().current();
        let r = request().new_tree(&mut runner).unwrap().current();
        if let Ok(h) = native.load(&PolicySetSpec::from_json_str(&set).unwrap()) {
            loaded += 1;
            let d = native.authorize(h, &Request::from_json_str(&r).unwrap()).unwrap();
            seen.insert(format!("{:?}", d.decision));
        }
    }
    assert!(
        loaded > 300,
        "only {loaded} of 400 generated sets load: the generator makes too many invalid sets"
    );
    for d in [
        EvalDecision::Allowed,
        EvalDecision::ExplicitDeny,
        EvalDecision::ImplicitDeny,
    ] {
        assert!(seen.contains(&format!("{d:?}")), "never reached {d:?}: {seen:?}");
    }
}
