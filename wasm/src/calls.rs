//! The ABI's calls as JSON in, JSON out. Every answer is an envelope:
//! `{"ok": VALUE}` or `{"error": {"code": CODE, "message": TEXT, ...}}`.

use rolechain_policy::json;
use rolechain_policy::wire::{AuthorizeOnce, LintInput, PolicySetSpec, WireError};
use rolechain_policy::{Decision, MatchedStatement, PolicySet, PolicyType, Request, authorize, lint};
use serde::Serialize;
use serde_json::{Value, json};

/// ABI major version: bumped when a call changes incompatibly.
pub const ABI_VERSION: i32 = 1;
/// ABI minor version: bumped when calls are added.
pub const ABI_MINOR_VERSION: i32 = 0;

/// The largest input a call accepts (8 MiB): far above any policy set IAM
/// allows, and low enough that no input can exhaust the module's memory.
pub const MAX_INPUT_BYTES: usize = 8 * 1024 * 1024;

/// The most policy sets loaded at once.
pub const MAX_LOADED_SETS: usize = 4096;

/// The module's state: the policy sets loaded under their handles.
#[derive(Debug, Default)]
pub struct Engine {
    /// Sorted by handle: a sorted `Vec` rather than a map keeps the module small.
    sets: Vec<(u32, PolicySet)>,
    next_handle: u32,
}

fn ok(value: impl Serialize) -> Vec<u8> {
    match serde_json::to_vec(&json!({ "ok": value })) {
        Ok(bytes) => bytes,
        Err(e) => error(
            "InternalError",
            &format!("the answer could not be written as JSON: {e}"),
        ),
    }
}

// The small envelopes below are written by hand, keys in name order as a
// `serde_json::Value` writes them: building them as `Value`s cost the module
// more than this.

/// `{"ok": {"handle": N}}`.
fn ok_handle(handle: u32) -> Vec<u8> {
    let mut out = br#"{"ok":{"handle":"#.to_vec();
    write_u64(&mut out, u64::from(handle));
    out.extend_from_slice(b"}}");
    out
}

/// An error envelope with a code and a message.
pub fn error(code: &str, message: &str) -> Vec<u8> {
    let mut out = br#"{"error":{"code":"#.to_vec();
    write_str(&mut out, code);
    out.extend_from_slice(br#","message":"#);
    write_str(&mut out, message);
    out.extend_from_slice(b"}}");
    out
}

/// An `InvalidInput` envelope for an input that could not be read, with where.
fn input_error(what: &str, e: &WireError) -> Vec<u8> {
    let mut out = br#"{"error":{"code":"InvalidInput","column":"#.to_vec();
    write_u64(&mut out, u64::from(e.column));
    out.extend_from_slice(br#","line":"#);
    write_u64(&mut out, u64::from(e.line));
    out.extend_from_slice(br#","message":"#);
    write_str(&mut out, &format!("not a valid {what}: {e}"));
    out.extend_from_slice(br#","path":"#);
    write_str(&mut out, &e.path);
    out.extend_from_slice(b"}}");
    out
}

fn error_with(details: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "error": details }))
        .unwrap_or_else(|_| br#"{"error":{"code":"InternalError","message":"unwritable error"}}"#.to_vec())
}

/// Reads a call's input with `read`, or gives the error envelope to answer with.
fn read<T>(input: &[u8], what: &str, read: fn(&str) -> Result<T, WireError>) -> Result<T, Vec<u8>> {
    read(input_text(input, what)?).map_err(|e| input_error(what, &e))
}

/// A call's input as text, or the error envelope to answer with (one copy in
/// the module for every kind of input).
#[inline(never)]
fn input_text<'a>(input: &'a [u8], what: &str) -> Result<&'a str, Vec<u8>> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(error(
            "InputTooLarge",
            &format!("the input is {} bytes; the limit is {MAX_INPUT_BYTES}", input.len()),
        ));
    }
    std::str::from_utf8(input).map_err(|e| {
        error(
            "InvalidInput",
            &format!("the {what} is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })
}

impl Engine {
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Loads a policy set: input a policy set, answer `{"handle": N}`.
    pub fn load(&mut self, input: &[u8]) -> Vec<u8> {
        let spec = match read(input, "policy set", PolicySetSpec::from_json_str) {
            Ok(spec) => spec,
            Err(e) => return e,
        };
        if self.sets.len() >= MAX_LOADED_SETS {
            return error(
                "TooManyPolicySets",
                &format!("{MAX_LOADED_SETS} policy sets are loaded; unload one first"),
            );
        }
        match spec.build() {
            Ok(set) => {
                // Handles are never reused while the module lives, and never 0.
                self.next_handle = self.next_handle.wrapping_add(1).max(1);
                let mut at = self.find(self.next_handle);
                while at.is_ok() {
                    self.next_handle = self.next_handle.wrapping_add(1).max(1);
                    at = self.find(self.next_handle);
                }
                self.sets.insert(at.unwrap_or_else(|at| at), (self.next_handle, set));
                ok_handle(self.next_handle)
            }
            Err(e) => policy_set_error(&e),
        }
    }

    /// Decides a request against a loaded set: answer a decision.
    pub fn authorize(&self, handle: u32, input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.authorize_into(handle, input, &mut out);
        out
    }

    /// [`Engine::authorize`], appending the answer to `out` (the hot call:
    /// the module writes it straight into its result buffer).
    pub fn authorize_into(&self, handle: u32, input: &[u8], out: &mut Vec<u8>) {
        let Ok(at) = self.find(handle) else {
            return out.extend_from_slice(&unknown_handle(handle));
        };
        let set = &self.sets[at].1;
        match read(input, "request", Request::from_json_str) {
            Ok(request) => write_decision(out, &authorize(set, &request)),
            Err(e) => out.extend_from_slice(&e),
        }
    }

    /// Unloads a set: answer `null`.
    pub fn unload(&mut self, handle: u32) -> Vec<u8> {
        match self.find(handle) {
            Ok(at) => {
                self.sets.remove(at);
                br#"{"ok":null}"#.to_vec()
            }
            Err(_) => unknown_handle(handle),
        }
    }

    pub fn loaded(&self) -> usize {
        self.sets.len()
    }

    fn find(&self, handle: u32) -> Result<usize, usize> {
        self.sets.binary_search_by_key(&handle, |(h, _)| *h)
    }
}

/// Loads, decides and forgets in one call: input `{"policies": SET, "request": REQUEST}`.
pub fn authorize_once(input: &[u8]) -> Vec<u8> {
    let call = match read(
        input,
        "one-shot authorization (policies and request)",
        AuthorizeOnce::from_json_str,
    ) {
        Ok(call) => call,
        Err(e) => return e,
    };
    match call.policies.build() {
        Ok(set) => {
            let mut out = Vec::new();
            write_decision(&mut out, &authorize(&set, &call.request));
            out
        }
        Err(e) => policy_set_error(&e),
    }
}

/// Lints a document: input `{"document": TEXT, "kind": KIND?}`, answer a lint report.
pub fn lint(input: &[u8]) -> Vec<u8> {
    match read(input, "lint request", LintInput::from_json_str) {
        Ok(call) => ok(lint::lint(&call.document, call.kind)),
        Err(e) => e,
    }
}

/// Appends `{"ok": DECISION}` to `out`, byte for byte what [`ok`] writes.
///
/// Written by hand, straight into `out`, for speed: [`ok`] goes through a
/// `serde_json::Value` (a map per object, a string per key), which was a third
/// of a decision's time in the module, and serde_json's writer still cost a
/// fifth. `Value`'s maps sort their keys, so the fields below are in name
/// order; strings are escaped as serde_json escapes them.
fn write_decision(out: &mut Vec<u8>, decision: &Decision) {
    // Destructured in full: a new field of `Decision` fails to compile here
    // rather than go missing from the module's answers.
    let Decision {
        decision,
        denied_by,
        deciding_statements,
        matched_statements,
        missing_context_keys,
        message,
    } = decision;
    out.extend_from_slice(b"{\"ok\":{\"decidingStatements\":");
    write_statements(out, deciding_statements);
    out.extend_from_slice(b",\"decision\":");
    write_str(out, decision.as_str());
    if let Some(by) = denied_by {
        out.extend_from_slice(b",\"deniedBy\":");
        write_str(out, policy_type_name(*by));
    }
    out.extend_from_slice(b",\"matchedStatements\":");
    write_statements(out, matched_statements);
    if let Some(message) = message {
        out.extend_from_slice(b",\"message\":");
        write_str(out, message);
    }
    out.extend_from_slice(b",\"missingContextKeys\":[");
    for (i, key) in missing_context_keys.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, key);
    }
    out.extend_from_slice(b"]}}");
}

fn write_statements(out: &mut Vec<u8>, statements: &[MatchedStatement]) {
    out.push(b'[');
    for (i, st) in statements.iter().enumerate() {
        let MatchedStatement {
            policy_id,
            policy_type,
            statement_index,
            sid,
            effect,
            line,
            column,
        } = st;
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"column\":");
        write_u64(out, u64::from(*column));
        out.extend_from_slice(b",\"effect\":");
        write_str(out, effect.as_str());
        out.extend_from_slice(b",\"line\":");
        write_u64(out, u64::from(*line));
        out.extend_from_slice(b",\"policyId\":");
        write_str(out, policy_id);
        out.extend_from_slice(b",\"policyType\":");
        write_str(out, policy_type_name(*policy_type));
        if let Some(sid) = sid {
            out.extend_from_slice(b",\"sid\":");
            write_str(out, sid);
        }
        out.extend_from_slice(b",\"statementIndex\":");
        write_u64(out, *statement_index as u64);
        out.push(b'}');
    }
    out.push(b']');
}

/// The name serde gives a [`PolicyType`] (checked against it in the tests).
fn policy_type_name(t: PolicyType) -> &'static str {
    match t {
        PolicyType::Identity => "identity",
        PolicyType::Resource => "resource",
        PolicyType::RoleTrust => "roleTrust",
        PolicyType::PermissionsBoundary => "permissionsBoundary",
        PolicyType::Session => "session",
        PolicyType::ServiceControl => "serviceControl",
        PolicyType::ResourceControl => "resourceControl",
    }
}

fn write_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
}

/// `s` as a JSON string, escaped as serde_json escapes: `"`, `\\` and the
/// control characters (`\b \t \n \f \r`, the rest as `\u00xx`); nothing else.
fn write_str(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    out.push(b'"');
    let mut at = 0;
    loop {
        let run = json::plain_run(&bytes[at..]);
        out.extend_from_slice(&bytes[at..at + run]);
        at += run;
        let Some(&b) = bytes.get(at) else { break };
        let short = match b {
            b'"' => b'"',
            b'\\' => b'\\',
            0x08 => b'b',
            b'\t' => b't',
            b'\n' => b'n',
            0x0c => b'f',
            b'\r' => b'r',
            _ => b'u',
        };
        if short == b'u' {
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]);
        } else {
            out.extend_from_slice(&[b'\\', short]);
        }
        at += 1;
    }
    out.push(b'"');
}

fn unknown_handle(handle: u32) -> Vec<u8> {
    error(
        "UnknownHandle",
        &format!("no policy set is loaded under handle {handle}"),
    )
}

fn policy_set_error(e: &rolechain_policy::wire::PolicySetError) -> Vec<u8> {
    match serde_json::to_value(e) {
        Ok(mut details) => {
            details["message"] = Value::String(e.to_string());
            error_with(details)
        }
        Err(_) => error(e.error.code, &e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).unwrap()
    }

    const SET: &str = r#"{"identity":[{"id":"reader","document":{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}}]}"#;
    const REQUEST: &str = r#"{"principal":{"type":"assumedRole","arn":"arn:aws:sts::1:assumed-role/r/s"},"action":"dynamodb:GetItem","resource":"arn:aws:dynamodb:eu-west-2:1:table/t"}"#;

    #[test]
    fn load_authorize_unload() {
        let mut engine = Engine::new();
        let loaded = answer(&engine.load(SET.as_bytes()));
        let handle = loaded["ok"]["handle"].as_u64().unwrap() as u32;
        let decision = answer(&engine.authorize(handle, REQUEST.as_bytes()));
        assert_eq!(decision["ok"]["decision"], "allowed");
        assert_eq!(decision["ok"]["decidingStatements"][0]["sid"], "Read");
        assert_eq!(answer(&engine.unload(handle))["ok"], Value::Null);
        assert_eq!(
            answer(&engine.authorize(handle, REQUEST.as_bytes()))["error"]["code"],
            "UnknownHandle"
        );
        assert_eq!(answer(&engine.unload(handle))["error"]["code"], "UnknownHandle");
    }

    #[test]
    fn errors_are_envelopes() {
        let mut engine = Engine::new();
        assert_eq!(answer(&engine.load(b"\xff\x00"))["error"]["code"], "InvalidInput");
        assert_eq!(answer(&engine.load(b"\"a set\""))["error"]["code"], "InvalidInput");
        let refused =
            answer(&engine.load(br#"{"identity":[{"document":"{\"Statement\":[{\"Effect\":\"Allow\"}]}"}]}"#));
        assert_eq!(refused["error"]["code"], "MalformedPolicyDocument");
        assert_eq!(refused["error"]["place"], "identity[0]");
        assert_eq!(refused["error"]["line"], 1);
        assert_eq!(answer(&authorize_once(b"{}"))["error"]["code"], "InvalidInput");
        let big = vec![b' '; MAX_INPUT_BYTES + 1];
        assert_eq!(answer(&lint(&big))["error"]["code"], "InputTooLarge");
    }

    #[test]
    fn decisions_are_written_as_the_value_path_writes_them() {
        // Sids with quotes, control characters and non-ASCII; a deny without a
        // sid; a condition on a key the requests lack; a denial's message.
        let set = r#"{"identity":[{"id":"p\"1\u0001é","document":{"Version":"2012-10-17","Statement":[
            {"Sid":"Read","Effect":"Allow","Action":"dynamodb:*","Resource":"*"},
            {"Effect":"Deny","Action":"dynamodb:DeleteItem","Resource":"*"},
            {"Sid":"Tagged","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/Team\u0007":"a\"b"}}}]}}],
            "permissionsBoundary":{"document":{"Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*"}]}}}"#;
        let mut engine = Engine::new();
        let handle = answer(&engine.load(set.as_bytes()))["ok"]["handle"].as_u64().unwrap() as u32;
        let spec = PolicySetSpec::from_json_str(set).unwrap().build().unwrap();
        for action in [
            "dynamodb:GetItem",
            "dynamodb:DeleteItem",
            "dynamodb:Query",
            "s3:GetObject",
        ] {
            let request = REQUEST.replace("dynamodb:GetItem", action);
            let expected = serde_json::to_vec(&json!({
                "ok": authorize(&spec, &Request::from_json_str(&request).unwrap())
            }))
            .unwrap();
            let written = engine.authorize(handle, request.as_bytes());
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(expected).unwrap()
            );
        }
    }

    #[test]
    fn strings_numbers_and_names_are_written_as_serde_json_writes_them() {
        let all: String = (0u8..0x80).map(char::from).collect();
        for s in ["", "plain", "é😀/<>", all.as_str()] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
        }
        for n in [0, 7, 10, 4096, u64::MAX] {
            let mut out = Vec::new();
            write_u64(&mut out, n);
            assert_eq!(out, serde_json::to_vec(&n).unwrap());
        }
        use PolicyType as T;
        let types = [
            T::Identity,
            T::Resource,
            T::RoleTrust,
            T::PermissionsBoundary,
            T::Session,
            T::ServiceControl,
            T::ResourceControl,
        ];
        for t in types {
            assert_eq!(json!(policy_type_name(t)), serde_json::to_value(t).unwrap());
        }
        for e in [rolechain_policy::Effect::Allow, rolechain_policy::Effect::Deny] {
            assert_eq!(json!(e.as_str()), serde_json::to_value(e).unwrap());
        }
        use rolechain_policy::EvalDecision as D;
        for d in [D::Allowed, D::ExplicitDeny, D::ImplicitDeny] {
            assert_eq!(json!(d.as_str()), serde_json::to_value(d).unwrap());
        }
    }

    #[test]
    fn small_envelopes_are_written_as_values_write_them() {
        let value = |v: Value| serde_json::to_vec(&v).unwrap();
        assert_eq!(
            ok_handle(4_000_000_000),
            value(json!({"ok": {"handle": 4_000_000_000u32}}))
        );
        let (code, message) = ("Code\"", "a \\ message\n é");
        assert_eq!(
            error(code, message),
            value(json!({"error": {"code": code, "message": message}}))
        );
        let e = Request::from_json_str("{\"principal\":\n 1}").unwrap_err();
        assert_eq!(
            input_error("request", &e),
            value(
                json!({"error": {"code": "InvalidInput", "message": format!("not a valid request: {e}"),
                "path": e.path, "line": e.line, "column": e.column}})
            )
        );
        let mut engine = Engine::new();
        let handle = answer(&engine.load(SET.as_bytes()))["ok"]["handle"].as_u64().unwrap() as u32;
        assert_eq!(engine.unload(handle), value(json!({"ok": null})));
    }

    #[test]
    fn one_shot_and_lint() {
        let once = format!(r#"{{"policies":{SET},"request":{REQUEST}}}"#);
        assert_eq!(answer(&authorize_once(once.as_bytes()))["ok"]["decision"], "allowed");
        let report = answer(&lint(br#"{"document":"{\"Statement\":[]}","kind":"identity"}"#));
        assert_eq!(report["ok"]["kind"], "identity");
    }
}
