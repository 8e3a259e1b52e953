//! The exported functions of `rolechain_policy.wasm` (wasm32 only).
//!
//! No raw pointer is dereferenced here: the module owns every buffer it hands
//! out (a `Vec` in a table sorted by address) and reads input through
//! that table. Memory contract (docs/wasm-abi.md): the host asks for a buffer with
//! `rolechain_alloc`, writes its JSON there, and passes `(ptr, len)`. Every
//! call answers with the address of a result buffer — a little-endian `u32`
//! length followed by that many bytes of JSON — which the host reads and
//! releases with `rolechain_free`. The module keeps a table of live buffers,
//! so a pointer it did not hand out, a length past its buffer, or a double
//! free is answered with an error, never a trap or corrupted memory.

// `#[unsafe(no_mangle)]` is what exports a function under its own name; the
// `unsafe_code` lint counts it, though nothing else here is unsafe.
#![allow(unsafe_code)]

use std::cell::RefCell;

use crate::calls::{self, Engine};

/// The largest buffer `rolechain_alloc` hands out (16 MiB).
const MAX_ALLOC: usize = 16 * 1024 * 1024;

#[derive(Default)]
struct State {
    engine: Engine,
    buffers: Buffers,
}

/// Live buffers, sorted by start address.
///
/// A host keeps few buffers alive at once (typically its reusable input
/// buffer and the result it is reading), so a sorted `Vec` searched by
/// binary search is cheaper per call than a `BTreeMap`: no node allocations,
/// no pointer chasing. Each buffer is a `Vec` whose length is the buffer's
/// size; its capacity may be larger (results are not shrunk to fit).
#[derive(Default)]
struct Buffers(Vec<(usize, Vec<u8>)>);

impl Buffers {
    /// Registers `buffer` (at least one byte long, so its address is its own).
    fn insert(&mut self, buffer: Vec<u8>) -> i32 {
        let ptr = buffer.as_ptr() as usize;
        let Ok(address) = i32::try_from(ptr) else { return 0 };
        let at = self.0.partition_point(|(start, _)| *start < ptr);
        self.0.insert(at, (ptr, buffer));
        address
    }

    fn remove(&mut self, ptr: usize) -> Option<Vec<u8>> {
        let at = self.0.binary_search_by_key(&ptr, |(start, _)| *start).ok()?;
        Some(self.0.remove(at).1)
    }

    /// The `len` bytes at `ptr`, if they lie inside one live buffer.
    fn slice(&self, ptr: usize, len: usize) -> Option<&[u8]> {
        let at = self.0.partition_point(|(start, _)| *start <= ptr).checked_sub(1)?;
        let (start, buffer) = &self.0[at];
        let offset = ptr - start;
        buffer.get(offset..offset.checked_add(len)?)
    }
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// ABI major version (incompatible changes).
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_abi_version() -> i32 {
    calls::ABI_VERSION
}

/// ABI minor version (compatible additions).
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_abi_minor_version() -> i32 {
    calls::ABI_MINOR_VERSION
}

/// A zeroed buffer of `len` bytes for the host to write into; 0 when `len`
/// is negative or over 16 MiB, or memory is exhausted.
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_alloc(len: i32) -> i32 {
    let Ok(len) = usize::try_from(len) else { return 0 };
    if len > MAX_ALLOC {
        return 0;
    }
    let mut bytes = Vec::new();
    // Zero-length buffers still get a distinct address.
    if bytes.try_reserve_exact(len.max(1)).is_err() {
        return 0;
    }
    bytes.resize(len.max(1), 0);
    STATE.with(|s| s.borrow_mut().buffers.insert(bytes))
}

/// Releases a buffer from `rolechain_alloc` or a call's result: 0, or -1 when
/// `ptr` is not a live buffer.
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_free(ptr: i32) -> i32 {
    let Ok(ptr) = usize::try_from(ptr) else { return -1 };
    STATE.with(|s| match s.borrow_mut().buffers.remove(ptr) {
        Some(_) => 0,
        None => -1,
    })
}

/// Loads a policy set (JSON); the result holds `{"ok": {"handle": N}}`.
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_load(ptr: i32, len: i32) -> i32 {
    call(ptr, len, |engine, input| engine.load(input))
}

/// Decides a request (JSON) against a loaded set.
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_authorize(handle: i32, ptr: i32, len: i32) -> i32 {
    answer_into(ptr, len, &mut |engine, input, out| match u32::try_from(handle) {
        Ok(h) => engine.authorize_into(h, input, out),
        Err(_) => out.extend_from_slice(&calls::error(
            "UnknownHandle",
            &format!("no policy set is loaded under handle {handle}"),
        )),
    })
}

/// Loads, decides and forgets: `{"policies": SET, "request": REQUEST}`.
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_authorize_once(ptr: i32, len: i32) -> i32 {
    call(ptr, len, |_, input| calls::authorize_once(input))
}

/// Lints a policy document: `{"document": TEXT, "kind": KIND?}`.
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_lint(ptr: i32, len: i32) -> i32 {
    call(ptr, len, |_, input| calls::lint(input))
}

/// Unloads a policy set.
#[unsafe(no_mangle)]
pub extern "C" fn rolechain_unload(handle: i32) -> i32 {
    respond(STATE.with(|s| match u32::try_from(handle) {
        Ok(h) => s.borrow_mut().engine.unload(h),
        Err(_) => calls::error(
            "UnknownHandle",
            &format!("no policy set is loaded under handle {handle}"),
        ),
    }))
}

/// A call's work: given the engine and the input, it appends its answer.
type Work<'a> = dyn FnMut(&mut Engine, &[u8], &mut Vec<u8>) + 'a;

/// Runs `f` on the input bytes at `(ptr, len)`, if they lie inside one live buffer.
fn call(ptr: i32, len: i32, f: fn(&mut Engine, &[u8]) -> Vec<u8>) -> i32 {
    answer_into(ptr, len, &mut |engine, input, out| {
        out.extend_from_slice(&f(engine, input))
    })
}

/// Runs `f` on the input bytes at `(ptr, len)`, if they lie inside one live
/// buffer; `f` appends its answer to the result buffer it is given.
///
/// `f` is a trait object: one copy of this function in the module, not one per call.
fn answer_into(ptr: i32, len: i32, f: &mut Work<'_>) -> i32 {
    let mut out = Vec::new();
    // Room for a typical answer up front; the length prefix is filled in last.
    if out.try_reserve(1024).is_err() {
        return 0;
    }
    out.extend_from_slice(&[0; 4]);
    STATE.with(|s| {
        // The engine and the buffer table are borrowed apart, so the input is
        // read in place (no copy) while `f` may change the engine.
        let state = &mut *s.borrow_mut();
        let (Ok(ptr), Ok(len)) = (usize::try_from(ptr), usize::try_from(len)) else {
            return out.extend_from_slice(&calls::error(
                "InvalidPointer",
                "pointer and length must not be negative",
            ));
        };
        match state.buffers.slice(ptr, len) {
            Some(input) => f(&mut state.engine, input, &mut out),
            None => out.extend_from_slice(&calls::error(
                "InvalidPointer",
                &format!("{len} bytes at {ptr} are not inside a buffer from rolechain_alloc"),
            )),
        }
    });
    finish(out)
}

/// Puts an answer in a result buffer: a `u32` little-endian length, then the JSON.
fn respond(answer: Vec<u8>) -> i32 {
    let mut out = Vec::new();
    if out.try_reserve_exact(answer.len() + 4).is_err() {
        return 0;
    }
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&answer);
    finish(out)
}

/// Fills in the length prefix of a result buffer and registers it.
fn finish(mut out: Vec<u8>) -> i32 {
    let Ok(len) = u32::try_from(out.len() - 4) else {
        return 0;
    };
    out[..4].copy_from_slice(&len.to_le_bytes());
    STATE.with(|s| s.borrow_mut().buffers.insert(out))
}
