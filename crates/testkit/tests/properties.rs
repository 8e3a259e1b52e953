//! Properties of the trust chain over random worlds, through the real AWS SDK
//! for Rust in process:
//! - a web-identity token yields credentials exactly when the role's trust
//!   policy admits it (judged here by an independent model of the small policy
//!   language the generator writes) and its audience is a client id of the
//!   provider — never otherwise;
//! - nothing signed with expired credentials succeeds, whatever the clock does.

use std::time::Duration;

use aws_sdk_sts::error::ProvideErrorMetadata;
use proptest::prelude::*;
use rolechain_testkit::{EvaluatorKind, Lab};

const PROVIDER: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/c1";
const OTHER_PROVIDER: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/c2";
const NAMESPACES: [&str; 2] = ["team-a", "team-b"];
const ACCOUNTS: [&str; 3] = ["app", "job", "web"];
const AUDIENCES: [&str; 3] = ["openshift", "sts.amazonaws.com", "someone-else"];

/// One statement of a generated trust policy.
#[derive(Debug, Clone)]
struct Stmt {
    allow: bool,
    /// The right provider, or another one.
    right_provider: bool,
    /// `sts:AssumeRoleWithWebIdentity`, `sts:*`, or `sts:AssumeRole` (which does not cover it).
    action: &'static str,
    /// `StringEquals` on `:sub` with these subjects, `StringLike` with a namespace wildcard, or none.
    sub: SubCondition,
    /// `StringEquals` on `:aud`.
    aud: Option<&'static str>,
}

#[derive(Debug, Clone)]
enum SubCondition {
    None,
    Equals(Vec<(usize, usize)>),
    NamespaceLike(usize),
}

fn stmt() -> impl Strategy<Value = Stmt> {
    (
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.85),
        prop::sample::select(vec!["sts:AssumeRoleWithWebIdentity", "sts:*", "sts:AssumeRole"]),
        prop_oneof![
            Just(SubCondition::None),
            prop::collection::vec((0..2usize, 0..3usize), 1..3).prop_map(SubCondition::Equals),
            (0..2usize).prop_map(SubCondition::NamespaceLike),
        ],
        prop::option::of(prop::sample::select(AUDIENCES.to_vec())),
    )
        .prop_map(|(allow, right_provider, action, sub, aud)| Stmt {
            allow,
            right_provider,
            action,
            sub,
            aud,
        })
}

fn subject(ns: usize, sa: usize) -> String {
    format!("system:serviceaccount:{}:{}", NAMESPACES[ns], ACCOUNTS[sa])
}

fn statement_json(s: &Stmt) -> String {
    let provider = if s.right_provider { PROVIDER } else { OTHER_PROVIDER };
    let mut conditions = Vec::new();
    match &s.sub {
        SubCondition::None => {}
        SubCondition::Equals(list) => {
            let values: Vec<String> = list.iter().map(|(n, a)| format!("\"{}\"", subject(*n, *a))).collect();
            conditions.push(format!(
                "\"StringEquals\":{{\"oidc.rolechain.local/c1:sub\":[{}]{}}}",
                values.join(","),
                s.aud
                    .map(|a| format!(",\"oidc.rolechain.local/c1:aud\":\"{a}\""))
                    .unwrap_or_default()
            ));
        }
        SubCondition::NamespaceLike(ns) => {
            conditions.push(format!(
                "\"StringLike\":{{\"oidc.rolechain.local/c1:sub\":\"system:serviceaccount:{}:*\"}}",
                NAMESPACES[*ns]
            ));
        }
    }
    if !matches!(s.sub, SubCondition::Equals(_))
        && let Some(a) = s.aud
    {
        conditions.push(format!("\"StringEquals\":{{\"oidc.rolechain.local/c1:aud\":\"{a}\"}}"));
    }
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!(",\"Condition\":{{{}}}", conditions.join(","))
    };
    format!(
        "{{\"Effect\":\"{}\",\"Principal\":{{\"Federated\":\"{provider}\"}},\"Action\":\"{}\"{condition}}}",
        if s.allow { "Allow" } else { "Deny" },
        s.action
    )
}

/// The independent model: does the statement apply to this token?
fn applies(s: &Stmt, ns: usize, sa: usize, aud: &str) -> bool {
    if !s.right_provider || s.action == "sts:AssumeRole" {
        return false;
    }
    let sub_ok = match &s.sub {
        SubCondition::None => true,
        SubCondition::Equals(list) => list.contains(&(ns, sa)),
        SubCondition::NamespaceLike(n) => *n == ns,
    };
    sub_ok && s.aud.is_none_or(|a| a == aud)
}

fn admits(policy: &[Stmt], ns: usize, sa: usize, aud: &str) -> bool {
    let matching: Vec<&Stmt> = policy.iter().filter(|s| applies(s, ns, sa, aud)).collect();
    matching.iter().any(|s| s.allow) && !matching.iter().any(|s| !s.allow)
}

fn world(policy: &[Stmt]) -> String {
    let statements: Vec<String> = policy.iter().map(statement_json).collect();
    let trust = format!(
        "{{\"Version\":\"2012-10-17\",\"Statement\":[{}]}}",
        statements.join(",")
    );
    format!(
        r#"
issuers:
  - name: c1
    url: https://oidc.rolechain.local/c1
accounts:
  - id: "111111111111"
    oidcProviders:
      - url: https://oidc.rolechain.local/c1
        clientIds: [openshift, sts.amazonaws.com]
      - url: https://oidc.rolechain.local/c2
        clientIds: [openshift]
    roles:
      - name: target
        trustPolicy: '{trust}'
"#
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn a_token_gets_credentials_exactly_when_the_trust_policy_admits_it(
        policy in prop::collection::vec(stmt(), 1..4),
        ns in 0..2usize,
        sa in 0..3usize,
        aud in prop::sample::select(AUDIENCES.to_vec()),
    ) {
        let lab = Lab::from_yaml(&world(&policy), std::path::Path::new("."), EvaluatorKind::Wasm).unwrap();
        let token = lab.mint_token(NAMESPACES[ns], ACCOUNTS[sa], &[aud]);
        let expected = aud != "someone-else" && admits(&policy, ns, sa, aud);
        let outcome = runtime().block_on(async {
            let config = lab.static_config("AKIAUNUSEDUNUSEDUNUS", "unused");
            aws_sdk_sts::Client::new(&config)
                .assume_role_with_web_identity()
                .role_arn("arn:aws:iam::111111111111:role/target")
                .role_session_name("prop")
                .web_identity_token(token)
                .send()
                .await
        });
        match outcome {
            Ok(out) => prop_assert!(expected, "granted against the model: {out:?}"),
            Err(e) => {
                let e = e.into_service_error();
                prop_assert!(!expected, "refused against the model: {e:?}");
                let code = e.code().unwrap_or_default().to_string();
                if aud == "someone-else" {
                    prop_assert_eq!(code, "InvalidIdentityToken");
                    prop_assert_eq!(e.message(), Some("Incorrect token audience"));
                } else {
                    prop_assert_eq!(code, "AccessDenied");
                    prop_assert_eq!(e.message(), Some("Not authorized to perform sts:AssumeRoleWithWebIdentity"));
                }
            }
        }
    }

    #[test]
    fn nothing_signed_with_expired_credentials_succeeds(
        duration in 900i64..=3600,
        steps in prop::collection::vec(-600i64..2400, 1..5),
    ) {
        let lab = Lab::seed_with(EvaluatorKind::Native);
        runtime().block_on(async {
            let admin = aws_sdk_sts::Client::new(&lab.static_config(rolechain_testkit::SEED_ADMIN_A.0, rolechain_testkit::SEED_ADMIN_A.1));
            let session = admin.get_session_token().duration_seconds(duration as i32).send().await.unwrap();
            let c = session.credentials().unwrap();
            let expires = c.expiration().secs();
            let client = aws_sdk_sts::Client::new(&lab.static_session_config(c.access_key_id(), c.secret_access_key(), c.session_token()));
            for step in steps {
                if step >= 0 {
                    lab.advance(Duration::from_secs(step as u64));
                } else {
                    lab.clock().advance_millis(step * 1000);
                }
                let now = lab.clock().now();
                match client.get_caller_identity().send().await {
                    Ok(_) => assert!(now < expires, "a call at {now} succeeded with credentials expired at {expires}"),
                    Err(e) => {
                        let e = e.into_service_error();
                        assert!(now >= expires, "a call at {now} failed before expiry at {expires}: {e:?}");
                        assert_eq!(e.code(), Some("ExpiredToken"));
                    }
                }
            }
        });
    }
}

/// A statement of a generated DynamoDB identity policy.
#[derive(Debug, Clone)]
struct DdbStmt {
    allow: bool,
    actions: Vec<&'static str>,
    /// `ForAllValues:StringEquals` on `dynamodb:LeadingKeys`.
    leading: Option<&'static str>,
}

const DDB_ACTIONS: [&str; 5] = ["GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query"];
const PARTITIONS: [&str; 3] = ["p1", "p2", "p3"];

fn ddb_stmt() -> impl Strategy<Value = DdbStmt> {
    (
        prop::bool::weighted(0.75),
        prop::sample::subsequence(DDB_ACTIONS.to_vec(), 1..=5),
        prop::option::of(prop::sample::select(PARTITIONS.to_vec())),
    )
        .prop_map(|(allow, actions, leading)| DdbStmt {
            allow,
            actions,
            leading,
        })
}

fn ddb_world(policy: &[DdbStmt]) -> String {
    let statements: Vec<String> = policy
        .iter()
        .map(|s| {
            let actions: Vec<String> = s.actions.iter().map(|a| format!("\"dynamodb:{a}\"")).collect();
            let condition = s
                .leading
                .map(|p| format!(",\"Condition\":{{\"ForAllValues:StringEquals\":{{\"dynamodb:LeadingKeys\":[\"{p}\"]}}}}"))
                .unwrap_or_default();
            format!(
                "{{\"Effect\":\"{}\",\"Action\":[{}],\"Resource\":\"arn:aws:dynamodb:us-east-1:222222222222:table/things\"{condition}}}",
                if s.allow { "Allow" } else { "Deny" },
                actions.join(",")
            )
        })
        .collect();
    format!(
        r#"
accounts:
  - id: "222222222222"
    users:
      - name: admin
        accessKeys: [{{id: AKIAPROPADMINPROPADM, secret: admin-secret}}]
        managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
      - name: subject
        accessKeys: [{{id: AKIAPROPSUBJECTPROPS, secret: subject-secret}}]
        inlinePolicies:
          random: '{{"Version":"2012-10-17","Statement":[{}]}}'
    tables:
      - name: things
        partitionKey: {{name: pk, type: S}}
        sortKey: {{name: sk, type: N}}
        items:
          - {{pk: p1, sk: 1, v: 10}}
          - {{pk: p2, sk: 1, v: 20}}
          - {{pk: p3, sk: 1, v: 30}}
"#,
        statements.join(",")
    )
}

/// The independent model: does the subject's policy allow `action` on partition `pk`?
fn ddb_allows(policy: &[DdbStmt], action: &str, pk: &str) -> bool {
    let applies = |s: &&DdbStmt| s.actions.contains(&action) && s.leading.is_none_or(|p| p == pk);
    let matching: Vec<&DdbStmt> = policy.iter().filter(applies).collect();
    matching.iter().any(|s| s.allow) && !matching.iter().any(|s| !s.allow)
}

async fn scan_all(client: &aws_sdk_dynamodb::Client) -> Vec<String> {
    let out = client.scan().table_name("things").send().await.unwrap();
    // Items as sorted maps: a HashMap's Debug order changes from run to run.
    let mut items: Vec<String> = out
        .items()
        .iter()
        .map(|i| format!("{:?}", i.iter().collect::<std::collections::BTreeMap<_, _>>()))
        .collect();
    items.sort();
    items
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The data plane touches nothing the evaluator denies, and refuses
    /// nothing the policy allows.
    #[test]
    fn dynamodb_touches_nothing_the_policy_denies(
        policy in prop::collection::vec(ddb_stmt(), 1..4),
        action in prop::sample::select(DDB_ACTIONS.to_vec()),
        pk in prop::sample::select(PARTITIONS.to_vec()),
    ) {
        use aws_sdk_dynamodb::types::AttributeValue as V;
        let lab = Lab::from_yaml(&ddb_world(&policy), std::path::Path::new("."), EvaluatorKind::Wasm).unwrap();
        runtime().block_on(async {
            let admin = aws_sdk_dynamodb::Client::new(&lab.static_config("AKIAPROPADMINPROPADM", "admin-secret"));
            let subject = aws_sdk_dynamodb::Client::new(&lab.static_config("AKIAPROPSUBJECTPROPS", "subject-secret"));
            let before = scan_all(&admin).await;
            let key = |b: std::collections::HashMap<String, V>| b;
            let k = key([("pk".to_string(), V::S(pk.into())), ("sk".to_string(), V::N("1".into()))].into());
            let outcome: Result<(), Option<String>> = match action {
                "GetItem" => subject.get_item().table_name("things").set_key(Some(k)).send().await.map(|_| ()).map_err(|e| e.into_service_error().code().map(str::to_string)),
                "PutItem" => subject.put_item().table_name("things").set_item(Some(k)).item("v", V::N("99".into())).send().await.map(|_| ()).map_err(|e| e.into_service_error().code().map(str::to_string)),
                "UpdateItem" => subject.update_item().table_name("things").set_key(Some(k)).update_expression("ADD v :one").expression_attribute_values(":one", V::N("1".into())).send().await.map(|_| ()).map_err(|e| e.into_service_error().code().map(str::to_string)),
                "DeleteItem" => subject.delete_item().table_name("things").set_key(Some(k)).send().await.map(|_| ()).map_err(|e| e.into_service_error().code().map(str::to_string)),
                _ => subject.query().table_name("things").key_condition_expression("pk = :p").expression_attribute_values(":p", V::S(pk.into())).send().await.map(|_| ()).map_err(|e| e.into_service_error().code().map(str::to_string)),
            };
            let after = scan_all(&admin).await;
            if ddb_allows(&policy, action, pk) {
                assert!(outcome.is_ok(), "{action} on {pk} refused against the model: {outcome:?}\n{policy:#?}");
            } else {
                assert_eq!(outcome, Err(Some("AccessDeniedException".to_string())), "{action} on {pk}\n{policy:#?}");
                assert_eq!(before, after, "a denied {action} changed the table");
            }
        });
    }
}
