//! The spec's facts (irsa-openshift-facts §1, §2) against the pure part of ccoctl.

use std::path::Path;

use super::issuer_docs;
use super::render::{self, go_string, permissions_policy, shorten};
use super::requests::{self, StatementEntry};
use super::world_edit::WorldText;
use super::*;

const SEED_CR: &str = include_str!("../../seed/credentialsrequest.yaml");
const SEED_SECRET: &str = include_str!("../../seed/secret.yaml");
const SEED_TRUST: &str = include_str!("../../seed/ccoctl-trust-policy.json");
const SEED_PERMISSIONS: &str = include_str!("../../seed/ccoctl-permissions-policy.json");
const SEED_WORLD: &str = include_str!("../../seed/world.yaml");
const PROVIDER: &str = "arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster";
const ISSUER: &str = "oidc.rolechain.local/my-cluster";

fn parse(text: &str) -> Vec<CredentialsRequest> {
    requests::parse_stream(Path::new("crs.yaml"), text).unwrap()
}

fn cr(secret_ns: &str, secret_name: &str, sas: &[&str]) -> String {
    format!(
        "apiVersion: cloudcredential.openshift.io/v1\nkind: CredentialsRequest\nmetadata:\n  name: {secret_name}-cr\n  namespace: openshift-cloud-credential-operator\nspec:\n  providerSpec:\n    apiVersion: cloudcredential.openshift.io/v1\n    kind: AWSProviderSpec\n    statementEntries:\n    - effect: Allow\n      action: [s3:GetObject]\n      resource: '*'\n  secretRef:\n    name: {secret_name}\n    namespace: {secret_ns}\n  serviceAccountNames: [{}]\n",
        sas.join(", ")
    )
}

fn seed_plan() -> RolePlan {
    plan(&parse(SEED_CR), "my-namespace-creds", PROVIDER, ISSUER, None)
        .unwrap()
        .remove(0)
}

#[test]
fn the_seed_request_gives_the_seed_role_policies_and_secret() {
    let p = seed_plan();
    assert_eq!(p.role_name, "my-namespace-creds-my-namespace-dev-dynamodb-reader");
    assert_eq!(p.description, "OpenShift role for my-namespace/dev-dynamodb-reader");
    assert_eq!(p.permissions_policy, SEED_PERMISSIONS.trim_end());
    let ours: serde_json::Value = serde_json::from_str(&p.trust_policy).unwrap();
    let seed: serde_json::Value = serde_json::from_str(SEED_TRUST).unwrap();
    assert_eq!(ours, seed);
    // The template's own spacing, byte for byte.
    assert_eq!(
        p.trust_policy,
        r#"{ "Version": "2012-10-17", "Statement": [ { "Effect": "Allow", "Principal": { "Federated": "arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster" }, "Action": "sts:AssumeRoleWithWebIdentity", "Condition":  { "StringEquals": { "oidc.rolechain.local/my-cluster:sub": [ "system:serviceaccount:my-namespace:dev-db-reader"  ] } } } ] }"#
    );
    let arn = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
    let ours: serde_yaml_ng::Value = serde_yaml_ng::from_str(&p.secret(Some(arn))).unwrap();
    let seed: serde_yaml_ng::Value = serde_yaml_ng::from_str(SEED_SECRET).unwrap();
    assert_eq!(ours["stringData"]["credentials"], seed["stringData"]["credentials"]);
    assert_eq!(ours, seed);
    assert_eq!(
        p.secret_file(),
        "manifests/my-namespace-dev-dynamodb-reader-credentials.yaml"
    );
}

#[test]
fn the_secret_has_ccoctl_s_exact_bytes() {
    let p = seed_plan();
    assert_eq!(
        p.secret(Some("arn:aws:iam::111111111111:role/r")),
        "apiVersion: v1\nstringData:\n  credentials: |-\n    [default]\n    sts_regional_endpoints = regional\n    role_arn = arn:aws:iam::111111111111:role/r\n    web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token\nkind: Secret\nmetadata:\n  name: dev-dynamodb-reader\n  namespace: my-namespace\ntype: Opaque"
    );
    let dry = p.secret(None);
    assert!(dry.contains("    role_arn = \n"), "{dry}");
    assert!(dry.ends_with("type: Opaque\nPOPULATE ROLE ARN AND DELETE THIS LINE"));
}

#[test]
fn several_service_accounts_are_one_array_in_order() {
    let policy = render::trust_policy(PROVIDER, ISSUER, "ns", &["a".into(), "b".into(), "c".into()]).unwrap();
    assert!(
        policy.contains(
            r#"[ "system:serviceaccount:ns:a"  , "system:serviceaccount:ns:b" , "system:serviceaccount:ns:c" ]"#
        ),
        "{policy}"
    );
    let v: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(v["Statement"][0]["Action"], "sts:AssumeRoleWithWebIdentity");
    assert!(
        v["Statement"][0]["Condition"]["StringEquals"]
            .get(format!("{ISSUER}:aud"))
            .is_none()
    );
}

#[test]
fn names_are_cut_at_64_bytes_and_may_end_in_a_dash() {
    // 50 + 1 + 12 = 63 bytes, so byte 64 is the dash before the Secret's name.
    let name = "n".repeat(50);
    let crs = parse(&cr("abcdefghijkl", "cloud-credentials", &["sa"]));
    let p = plan(&crs, &name, PROVIDER, ISSUER, None).unwrap().remove(0);
    assert_eq!(p.role_name.len(), 64);
    assert!(p.role_name.ends_with('-'));
    assert_eq!(p.full_name, format!("{name}-abcdefghijkl-cloud-credentials"));
    // The uncut name only in dry-run file names.
    assert_eq!(p.dry_run_role_file().0, format!("05-0-{}-role.json", p.full_name));
    assert_eq!(p.dry_run_policy_file().0, format!("06-0-{}-policy.json", p.full_name));
    assert!(
        p.dry_run_policy_file()
            .1
            .contains(&format!("\"PolicyName\":\"{}\"", p.role_name))
    );
    assert_eq!(shorten("short"), "short");
    // A multi-byte character across the cut is not split.
    let odd = format!("{}é", "x".repeat(63));
    assert_eq!(shorten(&odd), "x".repeat(63));
}

#[test]
fn two_requests_cut_to_one_role_are_refused() {
    let text = format!(
        "{}---\n{}",
        cr("openshift-machine-api", "aws-cloud-credentials-one", &["a"]),
        cr("openshift-machine-api", "aws-cloud-credentials-two", &["b"])
    );
    let err = plan(&parse(&text), &"c".repeat(40), PROVIDER, ISSUER, None).unwrap_err();
    assert!(
        err.0.starts_with("Failed while processing each CredentialsRequest: "),
        "{err}"
    );
    assert!(err.0.contains("both map to the IAM role"), "{err}");
    assert!(err.0.contains("cut to 64 bytes"), "{err}");
}

#[test]
fn ccoctl_s_hard_errors_keep_their_wording() {
    let no_sas = cr("ns", "s", &[]);
    let err = plan(&parse(&no_sas), "x", PROVIDER, ISSUER, None).unwrap_err();
    assert!(
        err.0.ends_with("error while creating Role policy document for s-cr: CredentialsRequest must provide ServieAccounts to bind the Role policy to"),
        "{err}"
    );
    assert!(err.0.contains("crs.yaml (document 1)"), "{err}");
    let gcp = cr("ns", "s", &["a"]).replace("AWSProviderSpec", "GCPProviderSpec");
    let err = plan(&parse(&gcp), "x", PROVIDER, ISSUER, None).unwrap_err();
    assert!(
        err.0
            .ends_with("CredentialsRequest openshift-cloud-credential-operator/s-cr is not of type AWS"),
        "{err}"
    );
}

#[test]
fn a_document_that_does_not_decode_names_file_and_line() {
    let text = format!("{}---\nspec:\n  serviceAccountNames: a-string\n", cr("ns", "s", &["a"]));
    let err = requests::parse_stream(Path::new("dir/bad.yaml"), &text).unwrap_err();
    assert!(
        err.0
            .starts_with("Failed to decode to CredentialsRequest: dir/bad.yaml:"),
        "{err}"
    );
    assert!(err.0.contains("serviceAccountNames"), "{err}");
    let line: usize = err.0.split(':').nth(2).unwrap().parse().unwrap();
    assert_eq!(line, 20, "{err}");
    assert!(!err.0.contains(" at line "), "{err}");
}

#[test]
fn discovery_reads_yaml_files_in_name_order_and_skips_what_ccoctl_skips() {
    let dir = std::env::temp_dir().join(format!("rolechain-ccoctl-discover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub.yaml")).unwrap();
    let annotated = |name: &str, key: &str, value: &str| {
        cr("ns", name, &["a"]).replace(
            "  namespace: openshift-cloud-credential-operator\n",
            &format!("  namespace: openshift-cloud-credential-operator\n  annotations:\n    {key}: \"{value}\"\n"),
        )
    };
    std::fs::write(dir.join("b.yml"), cr("ns", "second", &["a"])).unwrap();
    std::fs::write(
        dir.join("a.yaml"),
        format!(
            "---\n{}---\n{}---\n{}---\n{}",
            cr("ns", "first", &["a"]),
            annotated("deleted", requests::DELETE_ANNOTATION, "true"),
            annotated("preview", requests::FEATURE_SET_ANNOTATION, "TechPreviewNoUpgrade"),
            annotated("custom", requests::FEATURE_SET_ANNOTATION, "CustomNoUpgrade"),
        ),
    )
    .unwrap();
    std::fs::write(dir.join("c.json"), "{not read}").unwrap();
    let names = |found: &requests::Discovered| -> Vec<String> {
        found.requests.iter().map(|r| r.secret_name.clone()).collect()
    };
    let found = discover(&dir, false).unwrap();
    assert_eq!(names(&found), ["first", "second"]);
    assert_eq!(found.skipped.len(), 3);
    assert!(found.skipped[0].ends_with("deleted-cr as it is marked for in-cluster deletion"));
    assert!(found.skipped[1].ends_with("preview-cr with tech-preview annotation"));
    let found = discover(&dir, true).unwrap();
    assert_eq!(names(&found), ["first", "preview", "second"]);
    assert_eq!(
        found.skipped[1],
        "Ignoring CredentialsRequest openshift-cloud-credential-operator/custom-cr with tech-preview value CustomNoUpgrade"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_permissions_policy_is_go_s_compact_json() {
    let mut condition = std::collections::BTreeMap::new();
    let mut keys = std::collections::BTreeMap::new();
    keys.insert("aws:SourceVpc".to_string(), serde_json::json!(["vpc-1", "<x&y>"]));
    keys.insert(
        "aws:RequestedRegion".to_string(),
        serde_json::json!({"b": 1, "a": true}),
    );
    condition.insert("StringEquals".to_string(), keys);
    let statements = vec![
        StatementEntry {
            effect: "Allow".into(),
            action: Some(vec!["ec2:Describe*".into()]),
            resource: "*".into(),
            policy_condition: Some(condition),
        },
        StatementEntry {
            effect: "Deny".into(),
            action: Some(vec!["s3:*".into(), "iam:*".into()]),
            resource: "arn:aws:s3:::b".into(),
            policy_condition: Some(Default::default()),
        },
    ];
    assert_eq!(
        permissions_policy(&statements),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:Describe*"],"Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":{"a":true,"b":1},"aws:SourceVpc":["vpc-1","\u003cx\u0026y\u003e"]}}},{"Effect":"Deny","Action":["s3:*","iam:*"],"Resource":"arn:aws:s3:::b"}]}"#
    );
    assert_eq!(permissions_policy(&[]), r#"{"Version":"2012-10-17","Statement":[]}"#);
    assert_eq!(go_string("a\"b\\c\u{1}\u{2028}"), r#""a\"b\\c\u0001\u2028""#);
}

#[test]
fn dry_run_files_are_ccoctl_s_inputs() {
    let crs = parse(SEED_CR);
    let p = plan(
        &crs,
        "my-namespace-creds",
        PROVIDER,
        DRY_RUN_ISSUER,
        Some("arn:aws:iam::111111111111:policy/b"),
    )
    .unwrap()
    .remove(0);
    let (name, role) = p.dry_run_role_file();
    assert_eq!(
        name,
        "05-0-my-namespace-creds-my-namespace-dev-dynamodb-reader-role.json"
    );
    assert!(
        role.starts_with(r#"{"AssumeRolePolicyDocument":"{ \"Version\": \"2012-10-17\""#),
        "{role}"
    );
    assert!(role.contains(r#"\"\u003center_issuer_url_here\u003e:sub\""#), "{role}");
    assert!(role.ends_with(r#","Description":"OpenShift role for my-namespace/dev-dynamodb-reader","PermissionsBoundary":"arn:aws:iam::111111111111:policy/b","RoleName":"my-namespace-creds-my-namespace-dev-dynamodb-reader","Tags":[{"Key":"openshift.io/cloud-credential-operator/my-namespace-creds","Value":"owned"},{"Key":"Name","Value":"my-namespace-creds"}]}"#), "{role}");
    let (_, policy) = p.dry_run_policy_file();
    let v: serde_json::Value = serde_json::from_str(&policy).unwrap();
    assert_eq!(v["PolicyDocument"], SEED_PERMISSIONS.trim_end());
    assert!(policy.starts_with(r#"{"PolicyDocument":"#) && policy.contains(r#","PolicyName":"#));
}

#[test]
fn issuer_documents_are_the_bytes_the_issuer_serves() {
    let issuer = crate::issuer::Issuer::generate("https://oidc.rolechain.local/my-cluster").unwrap();
    assert_eq!(issuer_docs::discovery(issuer.url()), issuer.discovery_json_pretty());
    assert_eq!(
        issuer_docs::keys_json(&issuer.jwks()).unwrap(),
        issuer.jwks_json_pretty()
    );
    assert_eq!(
        issuer_docs::authentication_manifest(issuer.url()),
        "apiVersion: config.openshift.io/v1\nkind: Authentication\nmetadata:\n  name: cluster\nspec:\n  serviceAccountIssuer: https://oidc.rolechain.local/my-cluster"
    );
    let dry: serde_json::Value = serde_json::from_str(&issuer_docs::provider_dry_run(issuer.url())).unwrap();
    assert_eq!(dry["ClientIDList"], serde_json::json!(CLIENT_IDS));
    assert!(issuer_docs::keys_json(&serde_json::json!({"keys": [{"kty": "RSA"}]})).is_err());
}

#[test]
fn provider_arns_split_into_account_and_url() {
    assert_eq!(split_provider_arn(PROVIDER), Some(("111111111111", ISSUER)));
    assert_eq!(split_provider_arn("arn:aws:iam::111111111111:role/x"), None);
    assert_eq!(split_provider_arn("arn:aws:iam::account:oidc-provider/x"), None);
}

// --- world files -----------------------------------------------------------

fn seed_world() -> WorldText {
    WorldText::parse(SEED_WORLD.to_string(), Path::new("world.yaml")).unwrap()
}

/// Every line of `before` is still in `after`, in order: comments and layout survived.
fn kept(before: &str, after: &str) {
    let mut rest = after.lines();
    for line in before.lines() {
        assert!(rest.any(|l| l == line), "lost line {line:?} in\n{after}");
    }
}

fn new_plan(secret_ns: &str, secret: &str) -> RolePlan {
    plan(&parse(&cr(secret_ns, secret, &["app"])), "cl", PROVIDER, ISSUER, None)
        .unwrap()
        .remove(0)
}

#[test]
fn a_new_role_is_added_to_the_world_text_without_disturbing_it() {
    let mut w = seed_world();
    assert_eq!(w.issuer_url(PROVIDER).unwrap(), ISSUER);
    let p = new_plan("shop", "cart");
    let (arn, created) = w.apply_role("111111111111", &p).unwrap();
    assert!(created);
    assert_eq!(arn, "arn:aws:iam::111111111111:role/cl-shop-cart");
    kept(SEED_WORLD, &w.text);
    let built = w.world.build(crate::world::Files::Dir(Path::new("seed")), 0);
    // The seed's file references resolve from emulator/seed.
    let built = built.or_else(|_| {
        w.world.build(
            crate::world::Files::Dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("seed")),
            0,
        )
    });
    let state = built.unwrap().state;
    let role = &state.account("111111111111").unwrap().roles["cl-shop-cart"];
    assert_eq!(role.inline_policies["cl-shop-cart"], p.permissions_policy);
    assert_eq!(role.tags.len(), 2);
    // The other account was not touched.
    assert_eq!(state.account("222222222222").unwrap().roles.len(), 1);
}

#[test]
fn an_existing_role_gets_only_its_inline_policy_replaced() {
    let mut w = seed_world();
    let mut p = new_plan("my-namespace", "dev-dynamodb-reader");
    p.role_name = "my-namespace-creds-my-namespace-dev-dynamodb-reader".into();
    p.trust_policy = "not used".into();
    p.permissions_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetCallerIdentity"],"Resource":"*"}]}"#.into();
    let (_, created) = w.apply_role("111111111111", &p).unwrap();
    assert!(!created);
    assert!(w.text.contains("trustPolicy: {file: ccoctl-trust-policy.json}"));
    assert!(!w.text.contains("ccoctl-permissions-policy.json"));
    // Twice is the same as once.
    let once = w.text.clone();
    w.apply_role("111111111111", &p).unwrap();
    assert_eq!(w.text, once);
}

#[test]
fn compact_and_empty_lists_and_missing_keys_are_handled() {
    let text = "# my world\naccounts:\n- id: \"111111111111\"\n  oidcProviders:\n  - url: https://oidc.rolechain.local/my-cluster # ours\n    clientIds: [openshift]\n  roles: []\n- id: \"222222222222\"\n";
    let mut w = WorldText::parse(text.to_string(), Path::new("w.yaml")).unwrap();
    w.apply_role("111111111111", &new_plan("a", "b")).unwrap();
    w.apply_role("111111111111", &new_plan("c", "d")).unwrap();
    w.apply_role("222222222222", &new_plan("e", "f")).unwrap();
    let (arn, added) = w
        .ensure_provider("222222222222", "https://oidc.rolechain.local/my-cluster")
        .unwrap();
    assert!(added);
    assert_eq!(
        arn,
        "arn:aws:iam::222222222222:oidc-provider/oidc.rolechain.local/my-cluster"
    );
    assert!(
        !w.ensure_provider("111111111111", "https://oidc.rolechain.local/my-cluster")
            .unwrap()
            .1
    );
    w.check_loads(Path::new("w.yaml")).unwrap();
    assert!(w.text.starts_with("# my world\n"));
    assert!(w.text.contains("# ours"));
    let names: Vec<Vec<String>> = w
        .world
        .accounts
        .iter()
        .map(|a| a.roles.iter().map(|r| r.name.clone()).collect())
        .collect();
    assert_eq!(names, [vec!["cl-a-b", "cl-c-d"], vec!["cl-e-f"]]);
    let err = w.apply_role("333333333333", &new_plan("a", "b")).unwrap_err();
    assert!(err.0.contains("no account 333333333333"));
    let err = w
        .issuer_url("arn:aws:iam::111111111111:oidc-provider/elsewhere")
        .unwrap_err();
    assert_eq!(
        err.0,
        "failed to get IAM Identity Provider: NoSuchEntity: OpenIDConnect Provider not found for arn arn:aws:iam::111111111111:oidc-provider/elsewhere"
    );
}
