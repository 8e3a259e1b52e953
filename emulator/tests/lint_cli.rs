//! `rolechain lint` as a person and a CI job run it: exit codes, the
//! `file:line:column` lines, JSON output, standard input and I/O errors.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_rolechain");

const VALID: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/cluster"},
      "Action": "sts:AssumeRoleWithWebIdentity",
      "Condition": {"StringEquals": {
        "oidc.example.com/cluster:sub": "system:serviceaccount:app:reader",
        "oidc.example.com/cluster:aud": "sts.amazonaws.com"
      }}
    }
  ]
}
"#;

fn seed() -> Option<PathBuf> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/testdata/seed/trust-policy.as-published.json");
    if path.exists() {
        Some(path)
    } else {
        println!("note: {} is absent; skipping", path.display());
        None
    }
}

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rolechain binary runs");
    if let Some(text) = stdin {
        // A usage error may end the process before it reads its input.
        let _ = child.stdin.take().unwrap().write_all(text.as_bytes());
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("lint-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn seed_trust_policy_fails_with_every_defect_located() {
    let Some(path) = seed() else { return };
    let o = run(&["lint", path.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let out = stdout(&o);
    let file = path.display().to_string();
    for expected in [
        format!("{file}:2:13: error[INVALID_VERSION]: "),
        format!("{file}:4:3: error[JSON_SYNTAX_ERROR]: "),
        format!("{file}:4:3: error[MISSING_ACTION]: "),
        format!("{file}:7:12: warning[ASSUMED_ROLE_SESSION_PRINCIPAL]: "),
        format!("{file}:7:26: error[PLACEHOLDER_IN_VALUE]: "),
        format!("{file}:7:66: error[PLACEHOLDER_IN_VALUE]: "),
        format!("{file}:7:88: error[PLACEHOLDER_IN_VALUE]: "),
    ] {
        assert!(out.contains(&expected), "missing {expected:?} in\n{out}");
    }
    // The source line, tabs expanded, with the caret under the slip, and a fix.
    assert!(
        out.contains("    4 |         {\n      |         ^\n      = fix: a list needs square brackets"),
        "{out}"
    );
    assert!(
        out.contains("6 errors, 0 security warnings, 1 warning, 0 suggestions (kind: trust, inferred"),
        "{out}"
    );
    assert!(
        !out.contains('\x1b'),
        "no colour when NO_COLOR is set or stdout is a pipe"
    );
}

#[test]
fn a_valid_policy_passes() {
    let path = temp_file("valid.json", VALID);
    let o = run(&["lint", "--kind", "trust", path.to_str().unwrap()], None);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("0 errors, 0 security warnings, 0 warnings, 0 suggestions (kind: trust)"));
    let _ = std::fs::remove_file(path);
}

#[test]
fn warnings_alone_do_not_fail() {
    let no_version = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let o = run(&["lint", "-"], Some(no_version));
    assert_eq!(o.status.code(), Some(0));
    assert!(
        stdout(&o).contains("<stdin>:1:1: warning[MISSING_VERSION]: "),
        "{}",
        stdout(&o)
    );
}

#[test]
fn json_format_parses_and_carries_every_finding() {
    let Some(path) = seed() else { return };
    let o = run(&["lint", "--format", "json", path.to_str().unwrap(), "-"], Some(VALID));
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is one JSON document");
    let files = v.as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], path.display().to_string());
    assert_eq!(files[0]["kind"], "trust");
    assert_eq!(files[0]["kindInferred"], true);
    let findings = files[0]["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 7);
    assert!(
        findings
            .iter()
            .all(|f| f["position"]["line"].is_u64() && f["fix"].is_string())
    );
    assert!(
        findings
            .iter()
            .any(|f| f["code"] == "JSON_SYNTAX_ERROR" && f["severity"] == "ERROR")
    );
    assert_eq!(files[1]["file"], "<stdin>");
    assert_eq!(files[1]["findings"].as_array().unwrap().len(), 0);
}

#[test]
fn unreadable_file_is_a_usage_error() {
    let o = run(&["lint", "/nonexistent/policy.json"], None);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.trim(),
        "rolechain: cannot read /nonexistent/policy.json: No such file or directory"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn bad_arguments_are_usage_errors() {
    assert_eq!(run(&["lint"], None).status.code(), Some(2));
    assert_eq!(
        run(&["lint", "--kind", "bogus", "-"], Some("{}")).status.code(),
        Some(2)
    );
    assert_eq!(
        run(&["lint", "--format", "xml", "-"], Some("{}")).status.code(),
        Some(2)
    );
}
