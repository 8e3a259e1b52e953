//! `rolechain_policy.wasm`: the rolechain policy engine behind a small,
//! versioned JSON ABI with zero imports (see `docs/wasm-abi.md`).
//!
//! This crate is glue only: [`calls`] turns JSON requests into calls of
//! `rolechain-policy` and its answers back into JSON (and is tested natively);
//! `abi` (wasm32 only) moves bytes between the host and guest memory, and
//! `pool` (wasm32 only) is the module's allocator: dlmalloc with small blocks
//! recycled by size class.

pub mod calls;

#[cfg(target_arch = "wasm32")]
mod abi;
#[cfg(target_arch = "wasm32")]
mod pool;
