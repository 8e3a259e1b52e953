//! `rolechain_policy.wasm`, embedded, and the host that runs it in wasmtime.

/// The module, built from this very source tree by `build.rs`.
pub static MODULE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/rolechain_policy.wasm"));
