//! `rolechain lint` on the seed's Kubernetes and ccoctl artefacts: every defect
//! of each as-published file (copied verbatim into `tests/data/seed-as-published/`)
//! with its exact code and position, the corrected set in `emulator/seed/` clean,
//! and one test per check, alone and across files.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use rolechain::artefacts::{FileReport, Input, is_artefact, lint};
use rolechain_policy::Severity;

const BIN: &str = env!("CARGO_BIN_EXE_rolechain");

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/seed-as-published")
        .join(name)
}

fn seed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seed").join(name)
}

fn read(path: &PathBuf) -> String {
    std::fs::read_to_string(path).unwrap()
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("the rolechain binary runs")
}

/// (code, line, column) of each finding.
fn codes(r: &FileReport) -> Vec<(&'static str, u32, u32)> {
    r.findings
        .iter()
        .map(|f| (f.code, f.position.line, f.position.column))
        .collect()
}

fn one(text: &str) -> FileReport {
    assert!(is_artefact(text), "{text}");
    lint(&[Input::Artefact(text)]).remove(0)
}

fn has(r: &FileReport, code: &str) -> bool {
    r.findings.iter().any(|f| f.code == code)
}

// ---------------------------------------------------------------------------
// The seed's files, as published
// ---------------------------------------------------------------------------

#[test]
fn the_published_credentials_request_reports_every_defect() {
    let r = one(&read(&data("credentialsrequest.as-published.yaml")));
    assert_eq!(r.kind, "credentials-request");
    assert_eq!(
        codes(&r),
        [
            ("YAML_TAB_INDENTATION", 4, 1),
            ("YAML_UNTERMINATED_QUOTE", 5, 28),
            ("YAML_BAD_INDENTATION", 15, 5),
            ("ARN_PLACEHOLDER", 16, 15),
        ]
    );
    assert!(r.findings.iter().all(|f| f.fix.is_some()));
}

#[test]
fn the_published_deployment_fragment_reports_every_defect() {
    let r = one(&read(&data("deployment-fragment.as-published.yaml")));
    assert_eq!(r.kind, "pod-spec");
    assert_eq!(
        codes(&r),
        [
            ("YAML_ELISION", 1, 1),
            ("YAML_TAB_INDENTATION", 3, 1),
            ("POD_TOKEN_MOUNT_WRITABLE", 6, 7),
            ("YAML_ELISION", 15, 1),
            ("POD_FIELD_OUTSIDE_SPEC", 16, 1),
            ("POD_SERVICE_ACCOUNT_DEPRECATED", 16, 1),
            ("YAML_ELISION", 17, 1),
            ("POD_FIELD_OUTSIDE_SPEC", 18, 1),
            ("POD_TOKEN_FIELDS_MISPLACED", 29, 5),
        ]
    );
}

#[test]
fn the_published_ccoctl_command_reports_both_placeholders() {
    let r = one(&read(&data("ccoctl-create-iam-roles.as-published.txt")));
    assert_eq!(r.kind, "ccoctl-command");
    assert_eq!(codes(&r), [("ARN_PLACEHOLDER", 5, 26), ("ARN_PLACEHOLDER", 5, 61)]);
    assert!(r.findings[0].message.contains("`account`"));
    assert!(r.findings[1].message.contains("`address`"));
}

#[test]
fn each_published_file_fails_the_cli_with_positions() {
    for (file, expect) in [
        (
            "credentialsrequest.as-published.yaml",
            ":4:1: error[YAML_TAB_INDENTATION]",
        ),
        ("deployment-fragment.as-published.yaml", ":1:1: error[YAML_ELISION]"),
        (
            "ccoctl-create-iam-roles.as-published.txt",
            ":5:26: error[ARN_PLACEHOLDER]",
        ),
        ("trust-policy.as-published.json", ": error[JSON_SYNTAX_ERROR]"),
    ] {
        let path = data(file);
        let out = run(&["lint", path.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{file}: {stdout}");
        assert!(stdout.contains(expect), "{file}: {stdout}");
        assert!(stdout.contains("= fix: "), "{file}: {stdout}");
    }
}

#[test]
fn json_output_names_the_artefact_kind() {
    let path = data("ccoctl-create-iam-roles.as-published.txt");
    let out = run(&["lint", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["kind"], "ccoctl-command");
    assert_eq!(v[0]["kindInferred"], true);
    assert_eq!(v[0]["findings"][0]["code"], "ARN_PLACEHOLDER");
    assert_eq!(v[0]["findings"][0]["severity"], "ERROR");
    assert_eq!(v[0]["findings"][0]["position"]["line"], 5);
    assert_eq!(v[0]["findings"][0]["position"]["column"], 26);
    assert!(v[0]["findings"][0]["fix"].is_string());
}

// ---------------------------------------------------------------------------
// The corrected set
// ---------------------------------------------------------------------------

const CORRECTED: [&str; 6] = [
    "credentialsrequest.yaml",
    "deployment.yaml",
    "secret.yaml",
    "ccoctl-create-iam-roles.txt",
    "ccoctl-trust-policy.json",
    "trust-policy.json",
];

#[test]
fn the_corrected_set_is_clean_together() {
    let texts: Vec<String> = CORRECTED.iter().map(|f| read(&seed(f))).collect();
    let inputs: Vec<Input<'_>> = texts
        .iter()
        .map(|t| {
            if is_artefact(t) {
                Input::Artefact(t)
            } else {
                Input::Policy(t)
            }
        })
        .collect();
    for (file, r) in CORRECTED.iter().zip(lint(&inputs)) {
        assert!(r.findings.is_empty(), "{file}: {:?}", r.findings);
    }
    let paths: Vec<String> = CORRECTED.iter().map(|f| seed(f).display().to_string()).collect();
    let mut args = vec!["lint"];
    args.extend(paths.iter().map(String::as_str));
    let out = run(&args);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

// ---------------------------------------------------------------------------
// One check at a time
// ---------------------------------------------------------------------------

fn corrected(name: &str) -> String {
    read(&seed(name))
}

fn variant(name: &str, from: &str, to: &str) -> String {
    let text = corrected(name);
    assert!(text.contains(from), "{from}");
    text.replacen(from, to, 1)
}

#[test]
fn credentials_request_checks() {
    let cr = "credentialsrequest.yaml";
    let r = one(&variant(cr, "effect: Allow", "effect: allow"));
    assert_eq!(codes(&r), [("CR_STATEMENT_EFFECT", 15, 17)]);
    assert_eq!(r.findings[0].fix.as_deref(), Some("effect: Allow"));
    let r = one(&variant(cr, "kind: AWSProviderSpec", "kind: GCPProviderSpec"));
    assert!(has(&r, "CR_PROVIDER_KIND"));
    let r = one(&variant(cr, "  serviceAccountNames:\n    - dev-db-reader\n", ""));
    assert!(has(&r, "CR_NO_SERVICE_ACCOUNTS"));
    let r = one(&variant(
        cr,
        "  secretRef:\n    name: dev-dynamodb-reader\n",
        "  secretRef:\n",
    ));
    assert!(has(&r, "CR_SECRET_REF"));
    let r = one(&variant(cr, "222222222222", "<account id>"));
    assert!(has(&r, "ARN_PLACEHOLDER"));
    let r = one(&variant(cr, "222222222222", "ACCOUNT_ID"));
    assert!(has(&r, "ARN_PLACEHOLDER"));
    let r = one(&variant(
        cr,
        "apiVersion: cloudcredential.openshift.io/v1\nkind",
        "apiVersion: v1\nkind",
    ));
    assert_eq!(codes(&r), [("CR_API_VERSION", 1, 13)]);
    let r = one(&variant(
        cr,
        "  serviceAccountNames:",
        "  cloudTokenPath: /var/run/secrets/openshift/serviceaccount/token\n  serviceAccountNames:",
    ));
    assert_eq!(codes(&r), [("CR_CLOUD_TOKEN_PATH_IGNORED", 20, 3)]);
    assert_eq!(r.findings[0].severity, Severity::Warning);
}

#[test]
fn pod_checks() {
    let d = "deployment.yaml";
    let r = one(&variant(d, "audience: openshift", "audience: kubernetes.default.svc"));
    assert_eq!(codes(&r), [("POD_TOKEN_AUDIENCE", 47, 29)]);
    let r = one(&variant(d, "expirationSeconds: 3600", "expirationSeconds: 300"));
    assert_eq!(codes(&r), [("POD_TOKEN_EXPIRATION", 48, 38)]);
    let r = one(&variant(d, "path: token", "path: jwt"));
    assert!(has(&r, "POD_TOKEN_PATH") && has(&r, "POD_TOKEN_FILE_MISMATCH"));
    let r = one(&variant(
        d,
        "mountPath: /var/run/secrets/openshift/serviceaccount",
        "mountPath: /var/run/secrets/tokens",
    ));
    assert_eq!(codes(&r), [("POD_TOKEN_FILE_MISMATCH", 22, 26)]);
    let r = one(&variant(
        d,
        "value: /var/run/secrets/cloud/credentials",
        "value: /etc/aws/credentials",
    ));
    assert_eq!(codes(&r), [("POD_AWS_FILE_OUTSIDE_SECRET", 29, 22)]);
    let r = one(&variant(d, "name: AWS_SHARED_CREDENTIALS_FILE", "name: AWS_CONFIG"));
    assert!(has(&r, "POD_AWS_FILE_UNSET"));
    let r = one(&variant(
        d,
        "serviceAccountName: dev-db-reader",
        "serviceAccount: dev-db-reader",
    ));
    assert_eq!(codes(&r), [("POD_SERVICE_ACCOUNT_DEPRECATED", 16, 7)]);
    let r = one(&variant(d, "      serviceAccountName: dev-db-reader\n", ""));
    assert!(has(&r, "POD_NO_SERVICE_ACCOUNT"));
    let r = one(&variant(
        d,
        "- name: bound-sa-token\n              mountPath",
        "- name: sa-token\n              mountPath",
    ));
    assert!(has(&r, "POD_VOLUME_UNDEFINED") && has(&r, "POD_TOKEN_NOT_MOUNTED"));
}

#[test]
fn secret_checks() {
    let s = "secret.yaml";
    let r = one(&variant(s, "role_arn =", "role_name ="));
    assert_eq!(
        codes(&r),
        [("SECRET_NO_ROLE_ARN", 10, 5), ("SECRET_ROLE_NAME_KEY", 12, 5)]
    );
    let r = one(&variant(s, "    sts_regional_endpoints = regional\n", ""));
    assert_eq!(codes(&r), [("SECRET_STS_REGIONAL_ENDPOINTS", 10, 5)]);
    let r = one(&variant(s, "111111111111", "<account>"));
    assert!(has(&r, "ARN_PLACEHOLDER"));
    let r = one(&variant(
        s,
        "/var/run/secrets/openshift/serviceaccount/token",
        "/var/run/secrets/kubernetes.io/serviceaccount/token",
    ));
    assert!(has(&r, "SECRET_TOKEN_FILE"));
}

#[test]
fn ccoctl_checks() {
    let c = "ccoctl-create-iam-roles.txt";
    let r = one(&variant(c, "  --name=my-namespace-creds \\\n", ""));
    assert_eq!(codes(&r), [("CCOCTL_MISSING_FLAG", 1, 1)]);
    let r = one(&variant(c, "oidc-provider/oidc.rolechain.local/my-cluster", "role/x"));
    assert!(has(&r, "CCOCTL_PROVIDER_ARN"));
}

// ---------------------------------------------------------------------------
// Across files
// ---------------------------------------------------------------------------

/// Lints the corrected set with `file` replaced by `text`; the report of `file`.
fn in_set(file: &str, text: &str) -> Vec<(String, FileReport)> {
    let texts: Vec<String> = CORRECTED
        .iter()
        .map(|f| if *f == file { text.to_string() } else { corrected(f) })
        .collect();
    let inputs: Vec<Input<'_>> = texts
        .iter()
        .map(|t| {
            if is_artefact(t) {
                Input::Artefact(t)
            } else {
                Input::Policy(t)
            }
        })
        .collect();
    CORRECTED.iter().map(|f| f.to_string()).zip(lint(&inputs)).collect()
}

fn found(set: &[(String, FileReport)], file: &str, code: &str) -> bool {
    set.iter().any(|(f, r)| f == file && has(r, code))
}

#[test]
fn a_service_account_the_role_does_not_trust() {
    let set = in_set(
        "deployment.yaml",
        &variant(
            "deployment.yaml",
            "serviceAccountName: dev-db-reader",
            "serviceAccountName: other-app",
        ),
    );
    assert!(found(&set, "deployment.yaml", "XREF_SERVICE_ACCOUNT"));
    assert!(found(&set, "ccoctl-trust-policy.json", "XREF_TRUST_SUBJECT"));
}

#[test]
fn a_trust_policy_for_another_namespace() {
    let set = in_set(
        "ccoctl-trust-policy.json",
        &variant(
            "ccoctl-trust-policy.json",
            "system:serviceaccount:my-namespace:",
            "system:serviceaccount:other:",
        ),
    );
    assert!(found(&set, "ccoctl-trust-policy.json", "XREF_TRUST_SUBJECT"));
}

#[test]
fn a_session_name_the_trust_policy_does_not_expect() {
    let trust = variant(
        "trust-policy.json",
        "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader",
        "arn:aws:sts::111111111111:assumed-role/my-namespace-creds-my-namespace-dev-dynamodb-reader/reader",
    );
    let set = in_set("trust-policy.json", &trust);
    assert!(found(&set, "trust-policy.json", "XREF_SESSION_NAME"));
    let trust = trust.replace("/reader\"", "/dev-dynamodb-reader\"");
    assert!(!found(
        &in_set("trust-policy.json", &trust),
        "trust-policy.json",
        "XREF_SESSION_NAME"
    ));
}

#[test]
fn a_token_path_the_credentials_file_does_not_point_at() {
    let secret = variant(
        "secret.yaml",
        "/var/run/secrets/openshift/serviceaccount/token",
        "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
    );
    let set = in_set("secret.yaml", &secret);
    assert!(found(&set, "deployment.yaml", "XREF_TOKEN_FILE"));
}

#[test]
fn a_role_arn_that_is_not_the_ccoctl_role() {
    let secret = variant(
        "secret.yaml",
        "role/my-namespace-creds-my-namespace-dev-dynamodb-reader",
        "role/dynamodb-reader",
    );
    let set = in_set("secret.yaml", &secret);
    assert!(found(&set, "secret.yaml", "XREF_ROLE_ARN"));
}

#[test]
fn a_role_name_ccoctl_truncates() {
    let cmd = variant(
        "ccoctl-create-iam-roles.txt",
        "--name=my-namespace-creds",
        "--name=my-very-long-cluster-name-for-credentials",
    );
    let set = in_set("ccoctl-create-iam-roles.txt", &cmd);
    assert!(found(&set, "ccoctl-create-iam-roles.txt", "CCOCTL_ROLE_NAME_TRUNCATED"));
    assert!(found(&set, "secret.yaml", "XREF_ROLE_ARN"));
}

#[test]
fn a_secret_no_credentials_request_produces() {
    let d = variant(
        "deployment.yaml",
        "secretName: dev-dynamodb-reader",
        "secretName: dynamodb-creds",
    );
    assert!(found(
        &in_set("deployment.yaml", &d),
        "deployment.yaml",
        "XREF_SECRET_NAME"
    ));
}

#[test]
fn policies_are_still_policies() {
    assert!(!is_artefact(&corrected("trust-policy.json")));
    assert!(!is_artefact(&read(&data("trust-policy.as-published.json"))));
    assert!(!is_artefact("not json at all"));
}

#[test]
fn nothing_panics_on_odd_input() {
    for text in [
        "kind: Secret",
        "kind: Pod\nspec: 3",
        "ccoctl",
        "spec:\n  containers: x",
        "kind: CredentialsRequest\nspec:\n  providerSpec: 1",
        "containers:\n- env: [1]\n  volumeMounts: {}",
    ] {
        let _ = lint(&[Input::Artefact(text)]);
    }
}

#[test]
fn every_prefix_of_every_seed_file_lints_without_panicking() {
    let mut texts: Vec<String> = [
        "credentialsrequest.as-published.yaml",
        "deployment-fragment.as-published.yaml",
        "ccoctl-create-iam-roles.as-published.txt",
    ]
    .iter()
    .map(|f| read(&data(f)))
    .collect();
    texts.extend(CORRECTED.iter().map(|f| corrected(f)));
    for text in &texts {
        for (i, _) in text.char_indices() {
            let cut = &text[..i];
            let _ = lint(&[Input::Artefact(cut), Input::Policy(cut)]);
            let dedented: String = cut
                .lines()
                .map(|l| l.trim_start_matches(' '))
                .collect::<Vec<_>>()
                .join("\n");
            let _ = lint(&[Input::Artefact(&dedented)]);
        }
    }
}
