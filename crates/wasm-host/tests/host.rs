//! The wasmtime host: the module's shape, the Evaluator contract, the bounds
//! on time and memory, recovery after a trap, and use from many threads.

use std::sync::Arc;
use std::time::Duration;

use rolechain_policy::evaluator::{Evaluator, EvaluatorError, NativeEvaluator, SetHandle};
use rolechain_policy::wire::PolicySetSpec;
use rolechain_policy::{EvalDecision, Request};
use rolechain_wasm_host::{MODULE, Options, WasmEvaluator};

const SET: &str = r#"{"identity":[{"id":"reader","document":{"Version":"2012-10-17","Statement":[
    {"Sid":"Read","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],"Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/orders",
     "Condition":{"StringEquals":{"aws:PrincipalTag/team":"orders"}}}]}}]}"#;

fn request(action: &str, team: &str) -> Request {
    Request::from_json_str(&format!(
        r#"{{"principal":{{"type":"assumedRole","arn":"arn:aws:sts::222222222222:assumed-role/reader/s1"}},
            "action":"{action}","resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/orders",
            "context":{{"aws:PrincipalTag/team":"{team}"}}}}"#
    ))
    .unwrap()
}

fn set() -> PolicySetSpec {
    PolicySetSpec::from_json_str(SET).unwrap()
}

/// Reads the module's sections by hand: the import section must be absent or empty.
#[test]
fn the_module_has_no_imports() {
    assert_eq!(&MODULE[..8], b"\0asm\x01\0\0\0", "a wasm core module, version 1");
    let mut at = 8;
    let leb = |at: &mut usize| -> u64 {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let byte = MODULE[*at];
            *at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return value;
            }
            shift += 7;
        }
    };
    let mut sections = Vec::new();
    while at < MODULE.len() {
        let id = MODULE[at];
        at += 1;
        let size = leb(&mut at) as usize;
        if id == 2 {
            let mut body = at;
            assert_eq!(leb(&mut body), 0, "the import section lists imports");
        }
        sections.push(id);
        at += size;
    }
    assert!(sections.contains(&7), "the module has an export section");
    assert!(!sections.contains(&2), "no import section at all");
}

#[test]
fn the_module_is_small() {
    assert!(
        MODULE.len() <= 400 * 1024,
        "rolechain_policy.wasm is {} bytes; the budget is 400 KiB",
        MODULE.len()
    );
}

#[test]
fn decides_like_the_native_engine() {
    let wasm = WasmEvaluator::new().unwrap();
    let native = NativeEvaluator::new();
    let (w, n) = (wasm.load(&set()).unwrap(), native.load(&set()).unwrap());
    for (action, team) in [
        ("dynamodb:GetItem", "orders"),
        ("dynamodb:PutItem", "orders"),
        ("dynamodb:Query", "billing"),
    ] {
        let r = request(action, team);
        assert_eq!(
            wasm.authorize(w, &r).unwrap(),
            native.authorize(n, &r).unwrap(),
            "{action} {team}"
        );
    }
    let d = wasm.authorize(w, &request("dynamodb:GetItem", "orders")).unwrap();
    assert_eq!(d.decision, EvalDecision::Allowed);
    assert_eq!(d.deciding_statements[0].sid.as_deref(), Some("Read"));
    wasm.unload(w).unwrap();
    assert_eq!(
        wasm.authorize(w, &request("dynamodb:GetItem", "orders")),
        Err(EvaluatorError::UnknownHandle(w.0))
    );
    assert_eq!(wasm.unload(w), Err(EvaluatorError::UnknownHandle(w.0)));
    assert!(matches!(
        wasm.authorize(SetHandle(999), &request("a:b", "x")),
        Err(EvaluatorError::UnknownHandle(999))
    ));
}

#[test]
fn refuses_a_bad_set_with_aws_wording() {
    let wasm = WasmEvaluator::new().unwrap();
    let bad = PolicySetSpec::from_json_str(
        r#"{"identity":[{"id":"p","document":"{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\"}]}"}]}"#,
    )
    .unwrap();
    match wasm.load(&bad) {
        Err(EvaluatorError::Refused { code, message }) => {
            assert_eq!(code, "MalformedPolicyDocument");
            assert_eq!(
                message,
                "identity[0] (p): MalformedPolicyDocument: Policy statement must contain resources. (line 1, column 15)"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The same refusal natively.
    match NativeEvaluator::new().load(&bad) {
        Err(EvaluatorError::Refused { message, .. }) => assert!(message.contains("must contain resources")),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn lint_and_one_shot_answer_json() {
    let wasm = WasmEvaluator::new().unwrap();
    let report: serde_json::Value =
        serde_json::from_slice(&wasm.lint_json(br#"{"document":"{\"Statement\":[]}"}"#).unwrap()).unwrap();
    assert_eq!(report["ok"]["findings"][0]["code"], "MISSING_VERSION");
    let once = format!(
        r#"{{"policies":{SET},"request":{}}}"#,
        serde_json::to_string(&request("dynamodb:Query", "orders")).unwrap()
    );
    let answer: serde_json::Value =
        serde_json::from_slice(&wasm.authorize_once_json(once.as_bytes()).unwrap()).unwrap();
    assert_eq!(answer["ok"]["decision"], "allowed");
    let bad: serde_json::Value = serde_json::from_slice(&wasm.authorize_once_json(b"{").unwrap()).unwrap();
    assert_eq!(bad["error"]["code"], "InvalidInput");
}

/// A resource policy of `n` statements: about 150 bytes each.
fn big_set(n: usize) -> PolicySetSpec {
    let statements: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"Sid":"S{i}","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::222222222222:role/r{i}"}},"Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/t{i}"}}"#))
        .collect();
    let document = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(","));
    PolicySetSpec {
        resource: Some(rolechain_policy::wire::PolicySpec::new(
            rolechain_policy::PolicyKind::Resource,
            "big",
            &document,
        )),
        ..PolicySetSpec::default()
    }
}

#[test]
fn a_call_past_its_time_bound_is_stopped_and_the_next_call_works() {
    let options = Options {
        call_timeout: Duration::from_millis(10),
        ..Options::default()
    };
    let wasm = WasmEvaluator::with_options(MODULE, options).unwrap();
    // Parsing and compiling ~1.5 MB of policy takes far longer than 10 ms.
    match wasm.load(&big_set(10_000)) {
        Err(EvaluatorError::Runtime(m)) => assert!(m.contains("time bound"), "{m}"),
        other => panic!("expected the call to be stopped, got {other:?}"),
    }
    let h = wasm.load(&set()).unwrap();
    assert!(
        wasm.authorize(h, &request("dynamodb:GetItem", "orders"))
            .unwrap()
            .is_allowed()
    );
}

#[test]
fn a_call_past_its_memory_bound_traps_cleanly_and_the_next_call_works() {
    let options = Options {
        memory_limit: 8 * 1024 * 1024,
        ..Options::default()
    };
    let wasm = WasmEvaluator::with_options(MODULE, options).unwrap();
    match wasm.load(&big_set(40_000)) {
        Err(EvaluatorError::Runtime(m)) => assert!(m.contains("trapped"), "{m}"),
        other => panic!("expected a trap, got {other:?}"),
    }
    let h = wasm.load(&set()).unwrap();
    assert!(
        wasm.authorize(h, &request("dynamodb:GetItem", "orders"))
            .unwrap()
            .is_allowed()
    );
}

#[test]
fn serves_many_threads_at_once() {
    let wasm = Arc::new(WasmEvaluator::new().unwrap());
    let h = wasm.load(&set()).unwrap();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let wasm = wasm.clone();
            std::thread::spawn(move || {
                for i in 0..200 {
                    let team = if (t + i) % 2 == 0 { "orders" } else { "billing" };
                    let d = wasm.authorize(h, &request("dynamodb:GetItem", team)).unwrap();
                    assert_eq!(d.is_allowed(), team == "orders");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
