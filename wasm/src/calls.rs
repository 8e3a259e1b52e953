//! The ABI's calls as JSON in, JSON out. Every answer is an envelope:
//! `{"ok": VALUE}` or `{"error": {"code": CODE, "message": TEXT, ...}}`.

use std::collections::BTreeMap;

use rolechain_policy::wire::{AuthorizeOnce, LintInput, PolicySetSpec, WireError};
use rolechain_policy::{Decision, MatchedStatement, PolicySet, Request, authorize, lint};
use serde::Serialize;
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
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

#[derive(Serialize)]
struct Loaded {
    handle: u32,
}

/// The module's state: the policy sets loaded under their handles.
#[derive(Debug, Default)]
pub struct Engine {
    sets: BTreeMap<u32, PolicySet>,
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

/// An error envelope with a code and a message.
pub fn error(code: &str, message: &str) -> Vec<u8> {
    error_with(json!({ "code": code, "message": message }))
}

fn error_with(details: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({ "error": details }))
        .unwrap_or_else(|_| br#"{"error":{"code":"InternalError","message":"unwritable error"}}"#.to_vec())
}

/// Reads a call's input with `read`, or gives the error envelope to answer with.
fn read<T>(input: &[u8], what: &str, read: fn(&str) -> Result<T, WireError>) -> Result<T, Vec<u8>> {
    if input.len() > MAX_INPUT_BYTES {
        return Err(error(
            "InputTooLarge",
            &format!("the input is {} bytes; the limit is {MAX_INPUT_BYTES}", input.len()),
        ));
    }
    let text = std::str::from_utf8(input).map_err(|e| {
        error(
            "InvalidInput",
            &format!("the {what} is not UTF-8 (byte {})", e.valid_up_to()),
        )
    })?;
    read(text).map_err(|e| error_with(json!({"code": "InvalidInput", "message": format!("not a valid {what}: {e}"), "path": e.path, "line": e.line, "column": e.column})))
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
                while self.sets.contains_key(&self.next_handle) {
                    self.next_handle = self.next_handle.wrapping_add(1).max(1);
                }
                self.sets.insert(self.next_handle, set);
                ok(Loaded {
                    handle: self.next_handle,
                })
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
        let Some(set) = self.sets.get(&handle) else {
            return out.extend_from_slice(&unknown_handle(handle));
        };
        match read(input, "request", Request::from_json_str) {
            Ok(request) => write_decision(out, &authorize(set, &request)),
            Err(e) => out.extend_from_slice(&e),
        }
    }

    /// Unloads a set: answer `null`.
    pub fn unload(&mut self, handle: u32) -> Vec<u8> {
        match self.sets.remove(&handle) {
            Some(_) => ok(()),
            None => unknown_handle(handle),
        }
    }

    pub fn loaded(&self) -> usize {
        self.sets.len()
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
        Ok(set) => ok(authorize(&set, &call.request)),
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
/// Written straight into `out` for speed: [`ok`] goes through a
/// `serde_json::Value`, a map per object and a string per key, which was a
/// third of a decision's time in the module. `Value`'s maps sort their keys,
/// so the wrappers below list the fields in name order.
fn write_decision(out: &mut Vec<u8>, decision: &Decision) {
    let start = out.len();
    out.extend_from_slice(b"{\"ok\":");
    match serde_json::to_writer(&mut *out, &SortedDecision(decision)) {
        Ok(()) => out.push(b'}'),
        Err(e) => {
            out.truncate(start);
            out.extend_from_slice(&error(
                "InternalError",
                &format!("the answer could not be written as JSON: {e}"),
            ));
        }
    }
}

/// A [`Decision`] with its fields in name order.
struct SortedDecision<'a>(&'a Decision);

impl Serialize for SortedDecision<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // Destructured in full: a new field of `Decision` fails to compile here
        // rather than go missing from the module's answers.
        let Decision {
            decision,
            denied_by,
            deciding_statements,
            matched_statements,
            missing_context_keys,
            message,
        } = self.0;
        let mut d = s.serialize_struct("Decision", 6)?;
        d.serialize_field("decidingStatements", &SortedStatements(deciding_statements))?;
        d.serialize_field("decision", decision)?;
        if let Some(by) = denied_by {
            d.serialize_field("deniedBy", by)?;
        }
        d.serialize_field("matchedStatements", &SortedStatements(matched_statements))?;
        if let Some(message) = message {
            d.serialize_field("message", message)?;
        }
        d.serialize_field("missingContextKeys", missing_context_keys)?;
        d.end()
    }
}

/// [`MatchedStatement`]s with their fields in name order.
struct SortedStatements<'a>(&'a [MatchedStatement]);

impl Serialize for SortedStatements<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for st in self.0 {
            seq.serialize_element(&SortedStatement(st))?;
        }
        seq.end()
    }
}

struct SortedStatement<'a>(&'a MatchedStatement);

impl Serialize for SortedStatement<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let MatchedStatement {
            policy_id,
            policy_type,
            statement_index,
            sid,
            effect,
            line,
            column,
        } = self.0;
        let mut m = s.serialize_struct("MatchedStatement", 7)?;
        m.serialize_field("column", column)?;
        m.serialize_field("effect", effect)?;
        m.serialize_field("line", line)?;
        m.serialize_field("policyId", policy_id)?;
        m.serialize_field("policyType", policy_type)?;
        if let Some(sid) = sid {
            m.serialize_field("sid", sid)?;
        }
        m.serialize_field("statementIndex", statement_index)?;
        m.end()
    }
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
    fn one_shot_and_lint() {
        let once = format!(r#"{{"policies":{SET},"request":{REQUEST}}}"#);
        assert_eq!(answer(&authorize_once(once.as_bytes()))["ok"]["decision"], "allowed");
        let report = answer(&lint(br#"{"document":"{\"Statement\":[]}","kind":"identity"}"#));
        assert_eq!(report["ok"]["kind"], "identity");
    }
}
