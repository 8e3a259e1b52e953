//! The ABI's calls as JSON in, JSON out. Every answer is an envelope:
//! `{"ok": VALUE}` or `{"error": {"code": CODE, "message": TEXT, ...}}`.

use std::collections::BTreeMap;

use rolechain_policy::wire::{AuthorizeOnce, LintInput, PolicySetSpec, WireError};
use rolechain_policy::{PolicySet, Request, authorize, lint};
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
        let Some(set) = self.sets.get(&handle) else {
            return unknown_handle(handle);
        };
        match read(input, "request", Request::from_json_str) {
            Ok(request) => ok(authorize(set, &request)),
            Err(e) => e,
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
    fn one_shot_and_lint() {
        let once = format!(r#"{{"policies":{SET},"request":{REQUEST}}}"#);
        assert_eq!(answer(&authorize_once(once.as_bytes()))["ok"]["decision"], "allowed");
        let report = answer(&lint(br#"{"document":"{\"Statement\":[]}","kind":"identity"}"#));
        assert_eq!(report["ok"]["kind"], "identity");
    }
}
