//! Builds `rolechain_policy.wasm` from the `wasm/` crate and hands it to this
//! crate (`include_bytes!`), so the embedded module is always the one built
//! from the engine's current source: change the engine, and this reruns.
//!
//! The module is built by a nested `cargo build` for `wasm32-unknown-unknown`
//! into its own target directory (`target/wasm-module`), which keeps it clear
//! of the outer build's lock. A copy is left at `target/rolechain_policy.wasm`
//! for the JavaScript and Python hosts and their tests.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let root = manifest.join("../..");
    for watched in [
        "crates/policy/src",
        "crates/policy/Cargo.toml",
        "wasm/src",
        "wasm/Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    ensure_target();
    let target_dir = root.join("target").join("wasm-module");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "build",
            "--locked",
            "--quiet",
            "-p",
            "rolechain-policy-wasm",
            "--target",
            TARGET,
            "--profile",
            "wasm",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        // The outer build's settings are for the host, not for this module.
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("CARGO_PROFILE_RELEASE_DEBUG")
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!(
            "building rolechain_policy.wasm failed ({s}); the errors are above"
        )),
        Err(e) => fail(&format!("could not run cargo to build rolechain_policy.wasm: {e}")),
    }
    let built = target_dir.join(TARGET).join("wasm").join("rolechain_policy_wasm.wasm");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("rolechain_policy.wasm");
    copy(&built, &out);
    copy(&built, &root.join("target").join("rolechain_policy.wasm"));
}

fn copy(from: &Path, to: &Path) {
    if let Err(e) = std::fs::copy(from, to) {
        fail(&format!("could not copy {} to {}: {e}", from.display(), to.display()));
    }
}

/// Installs the wasm32 target with rustup when it is missing, as wasm-pack
/// does; without rustup, says in one sentence what to run.
fn ensure_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc).args(["--print", "sysroot"]).output();
    let installed = sysroot
        .ok()
        .map(|o| {
            PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
                .join("lib/rustlib")
                .join(TARGET)
        })
        .is_some_and(|p| p.exists());
    if installed {
        return;
    }
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", TARGET]);
    if let Ok(toolchain) = std::env::var("RUSTUP_TOOLCHAIN") {
        rustup.args(["--toolchain", &toolchain]);
    }
    match rustup.status() {
        Ok(s) if s.success() => {}
        _ => fail(
            "the wasm32-unknown-unknown target is missing and rustup could not add it: run `rustup target add wasm32-unknown-unknown`",
        ),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    std::process::exit(1);
}
