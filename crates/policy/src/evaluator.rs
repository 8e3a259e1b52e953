//! The seam between the emulator and whatever runs the engine: this crate
//! natively, or the engine compiled to WebAssembly in a runtime such as
//! wasmtime. Both take the same JSON-shaped inputs and give the same answers.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use crate::authorize::{self, Decision, PolicySet};
use crate::request::Request;
use crate::wire::{PolicySetError, PolicySetSpec};

/// A loaded policy set, valid until unloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SetHandle(pub u32);

/// Decides requests against loaded policy sets.
pub trait Evaluator: Send + Sync {
    /// Parses and compiles a set once, for many decisions.
    fn load(&self, set: &PolicySetSpec) -> Result<SetHandle, EvaluatorError>;
    fn authorize(&self, set: SetHandle, request: &Request) -> Result<Decision, EvaluatorError>;
    fn unload(&self, set: SetHandle) -> Result<(), EvaluatorError>;
}

/// Why an evaluator gave no decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvaluatorError {
    /// A policy of the set was refused: AWS's code (`MalformedPolicyDocument`,
    /// `LimitExceeded`, `InvalidInput`) and a message naming the policy, its
    /// place in the set, and the line and column.
    Refused { code: String, message: String },
    /// The handle was never loaded, or was unloaded.
    UnknownHandle(u32),
    /// The input could not be read (bad JSON for the ABI, say).
    Input(String),
    /// The runtime failed: a trap, a time or memory bound, a broken module.
    Runtime(String),
}

impl std::fmt::Display for EvaluatorError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvaluatorError::Refused { code, message } => write!(f, "{code}: {message}"),
            EvaluatorError::UnknownHandle(h) => write!(f, "no policy set is loaded under handle {h}"),
            EvaluatorError::Input(m) => write!(f, "invalid input: {m}"),
            EvaluatorError::Runtime(m) => write!(f, "evaluator failed: {m}"),
        }
    }
}

impl std::error::Error for EvaluatorError {}

impl EvaluatorError {
    /// The refusal of a policy set, as every evaluator reports it.
    pub fn refused(e: &PolicySetError) -> EvaluatorError {
        EvaluatorError::Refused {
            code: e.error.code.to_string(),
            message: e.to_string(),
        }
    }
}

/// The engine itself, in this process.
#[derive(Debug, Default)]
pub struct NativeEvaluator {
    sets: Mutex<HashMap<u32, Arc<PolicySet>>>,
    next: AtomicU32,
}

impl NativeEvaluator {
    pub fn new() -> Self {
        Self::default()
    }

    fn get(&self, handle: SetHandle) -> Result<Arc<PolicySet>, EvaluatorError> {
        let sets = self
            .sets
            .lock()
            .map_err(|_| EvaluatorError::Runtime("policy-set table poisoned".into()))?;
        sets.get(&handle.0)
            .cloned()
            .ok_or(EvaluatorError::UnknownHandle(handle.0))
    }
}

impl Evaluator for NativeEvaluator {
    fn load(&self, set: &PolicySetSpec) -> Result<SetHandle, EvaluatorError> {
        let built = set.build().map_err(|e| EvaluatorError::refused(&e))?;
        let handle = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut sets = self
            .sets
            .lock()
            .map_err(|_| EvaluatorError::Runtime("policy-set table poisoned".into()))?;
        sets.insert(handle, Arc::new(built));
        Ok(SetHandle(handle))
    }

    fn authorize(&self, set: SetHandle, request: &Request) -> Result<Decision, EvaluatorError> {
        let set = self.get(set)?;
        Ok(authorize::authorize(&set, request))
    }

    fn unload(&self, set: SetHandle) -> Result<(), EvaluatorError> {
        let mut sets = self
            .sets
            .lock()
            .map_err(|_| EvaluatorError::Runtime("policy-set table poisoned".into()))?;
        sets.remove(&set.0)
            .map(|_| ())
            .ok_or(EvaluatorError::UnknownHandle(set.0))
    }
}
