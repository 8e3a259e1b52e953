//! `rolechain simulate` and `rolechain demo` as a person and a CI job run them.

use std::path::PathBuf;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_rolechain");

fn seed(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seed").join(file)
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("NO_COLOR", "1").output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const CALLER: &str = "arn:aws:sts::222222222222:assumed-role/dynamodb-reader/s1";
const TABLE: &str = "arn:aws:dynamodb:eu-west-2:222222222222:table/orders";

#[test]
fn simulate_explains_allow_and_deny() {
    let policy = seed("dynamodb-reader-policy.json");
    let out = run(&[
        "simulate",
        "--policy",
        policy.to_str().unwrap(),
        "--caller-arn",
        CALLER,
        "--action",
        "dynamodb:GetItem",
        "--action",
        "dynamodb:PutItem",
        "--resource",
        TABLE,
    ]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains(&format!("dynamodb:GetItem on {TABLE}: ALLOWED")),
        "{text}"
    );
    assert!(text.contains("decided by PolicyInputList.1 statement 0 (Sid ReadOrders), Allow at line 4, column 5"));
    assert!(text.contains(&format!("dynamodb:PutItem on {TABLE}: IMPLICIT DENY")));
    assert!(text.contains(&format!(
        "User: {CALLER} is not authorized to perform: dynamodb:PutItem on resource: {TABLE} because no identity-based policy allows the dynamodb:PutItem action"
    )));
}

#[test]
fn simulate_answers_in_iam_shape_from_an_iam_shaped_input() {
    let dir = std::env::temp_dir().join(format!("rolechain-simulate-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("input.json");
    let trust = std::fs::read_to_string(seed("trust-policy.json")).unwrap();
    let request = serde_json::json!({
        "ResourcePolicy": trust,
        "ResourcePolicyKind": "trust",
        "PolicyInputList": [std::fs::read_to_string(seed("ccoctl-permissions-policy.json")).unwrap()],
        "ActionNames": ["sts:AssumeRole"],
        "ResourceArns": ["arn:aws:iam::222222222222:role/dynamodb-reader"],
        "CallerArn": "arn:aws:sts::111111111111:assumed-role/my-namespace-creds-my-namespace-dev-dynamodb-reader/pod"
    });
    std::fs::write(&input, request.to_string()).unwrap();
    let out = run(&["simulate", "--input", input.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let result = &json["EvaluationResults"][0];
    assert_eq!(result["EvalDecision"], "allowed");
    assert_eq!(result["EvalDecisionDetails"]["IAM Policy"], "allowed");
    assert_eq!(result["EvalDecisionDetails"]["Resource Policy"], "allowed");
    let ids: Vec<&str> = result["MatchedStatements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["SourcePolicyId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["ResourcePolicy", "PolicyInputList.1"]);
    assert_eq!(json["IsTruncated"], false);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn simulate_refuses_a_malformed_policy_with_aws_wording() {
    let published = seed("trust-policy.as-published.json");
    let out = run(&[
        "simulate",
        "--resource-policy",
        published.to_str().unwrap(),
        "--resource-policy-kind",
        "trust",
        "--action",
        "sts:AssumeRole",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("MalformedPolicyDocument: ResourcePolicy: MalformedPolicyDocument: Syntax errors in policy."),
        "{err}"
    );
    assert!(err.contains("(line 4, column 3)"), "{err}");
}

#[test]
fn simulate_usage_errors_exit_2() {
    assert_eq!(run(&["simulate"]).status.code(), Some(2));
    assert_eq!(
        run(&["simulate", "--action", "s3:GetObject", "--context", "novalue"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        run(&["simulate", "--action", "a:b", "--policy", "/nonexistent/p.json"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn demo_walks_the_chain_as_irsa_promises() {
    let out = run(&["demo"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = stdout(&out);
    for line in [
        "1. The kubelet mints the pod's projected service-account token",
        "2. AssumeRoleWithWebIdentity into the ccoctl-made role of account A",
        "3. AssumeRole across accounts into dynamodb-reader of account B",
        "4. GetItem on the orders table of account B",
        "5. Least privilege: dynamodb-reader cannot write",
        "6. Credential isolation: another service account's token is refused",
        "7. Auditability: every call is in the CloudTrail-shaped log",
        "8. The clock jumps two hours",
        // The decisions, with the statement that made them and AWS's wording.
        "decided by statement 0 (Sid TrustTheOpenShiftWorkloadRole) of arn:aws:iam::222222222222:role/dynamodb-reader (trust policy) [role trust policy], line 4, column 5",
        "is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:eu-west-2:222222222222:table/orders because no identity-based policy allows the dynamodb:PutItem action",
        "→ ExpiredTokenException",
        "8 of 8 steps behave as IRSA promises.",
        "Before deploying: `rolechain lint` on the post's trust policy, as published",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(!text.contains("DOES NOT HOLD"));
    assert!(!text.contains('\x1b'), "no colour when not a terminal");
}

/// Every step's calls: operation, outcome and the decisions, without what
/// changes from run to run (times, keys, request ids, ports).
fn calls_of(json: &serde_json::Value) -> Vec<serde_json::Value> {
    json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| {
            let calls: Vec<serde_json::Value> = step["calls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "label": c["label"], "operation": c["operation"],
                        "errorCode": c["errorCode"], "decisions": c["decisions"],
                    })
                })
                .collect();
            serde_json::json!({ "id": step["id"], "held": step["held"], "calls": calls })
        })
        .collect()
}

#[test]
fn demo_json_is_machine_readable() {
    let out = run(&["demo", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["allHeld"], true);
    let steps = json["steps"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "token",
            "assumeRoleWithWebIdentity",
            "assumeRole",
            "getItem",
            "leastPrivilege",
            "credentialIsolation",
            "auditability",
            "expiry"
        ]
    );
    // Each hop's decision came from the emulator, through the engine.
    let decision = |step: usize| steps[step]["calls"][0]["decisions"][0]["decision"].as_str().unwrap();
    assert_eq!(
        [decision(1), decision(2), decision(3), decision(4), decision(5)],
        ["allowed", "allowed", "allowed", "implicitDeny", "implicitDeny"]
    );
    assert_eq!(steps[4]["calls"][0]["errorCode"], "AccessDeniedException");
    assert_eq!(steps[5]["calls"][0]["errorCode"], "AccessDenied");
    assert_eq!(steps[3]["detail"]["item"]["status"], "shipped");
    // The audit has one event per call made before it, the denials included.
    let events = steps[6]["detail"]["events"].as_array().unwrap();
    assert_eq!(events.len(), 6);
    assert_eq!(events[3]["errorCode"], "AccessDeniedException");
    // After the jump: the post's client fails, the SDK refreshes both hops by itself.
    let expiry: Vec<(String, Option<String>)> = steps[7]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                format!("{} {}", c["label"].as_str().unwrap(), c["operation"].as_str().unwrap()),
                c["errorCode"].as_str().map(str::to_string),
            )
        })
        .collect();
    // Each call once: the SDK's own calls are not the application's listed again.
    let ids: Vec<&str> = steps
        .iter()
        .flat_map(|s| s["calls"].as_array().unwrap())
        .map(|c| c["requestId"].as_str().unwrap())
        .collect();
    let unique: std::collections::BTreeSet<&&str> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (16, 16), "{ids:?}");
    let failed: Vec<&str> = expiry
        .iter()
        .filter(|(_, e)| e.is_some())
        .map(|(c, _)| c.as_str())
        .collect();
    assert_eq!(failed, ["the post's client, after the jump GetItem"]);
    assert!(
        expiry
            .iter()
            .any(|(c, _)| c == "the SDK's provider, after the jump AssumeRoleWithWebIdentity"),
        "{expiry:?}"
    );
    let codes: Vec<&str> = json["publishedTrustPolicyLint"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"INVALID_VERSION") && codes.contains(&"MISSING_ACTION"),
        "{codes:?}"
    );
}

#[test]
fn demo_decides_the_same_in_wasm_and_natively() {
    let wasm = run(&["demo", "--json"]);
    let native = run(&["demo", "--json", "--evaluator", "native"]);
    let a: serde_json::Value = serde_json::from_slice(&wasm.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&native.stdout).unwrap();
    assert_eq!(
        (a["evaluator"].as_str(), b["evaluator"].as_str()),
        (Some("wasm"), Some("native"))
    );
    assert_eq!(calls_of(&a), calls_of(&b));
}

#[test]
fn demo_ignores_the_developers_aws_settings() {
    let out = Command::new(env!("CARGO_BIN_EXE_rolechain"))
        .args(["demo", "--json"])
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
        .env("AWS_PROFILE", "no-such-profile")
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["allHeld"], true);
}

#[test]
fn wasm_writes_the_embedded_module() {
    let out = std::env::temp_dir().join(format!("rolechain-{}.wasm", std::process::id()));
    let o = run(&["wasm", "--out", out.to_str().unwrap()]);
    assert!(o.status.success());
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..8], b"\0asm\x01\0\0\0");
    assert_eq!(bytes, rolechain_wasm_host::MODULE);
    let to_stdout = run(&["wasm"]);
    assert_eq!(to_stdout.stdout, bytes);
    std::fs::remove_file(&out).ok();
}
