//! `rolechain wasm`: the policy engine as a WebAssembly module, for other tools.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct WasmArgs {
    /// Where to write rolechain_policy.wasm; `-` (the default) writes it to standard output.
    #[arg(long, default_value = "-", value_name = "FILE")]
    out: PathBuf,
}

/// Writes the module this binary embeds: the same bytes its own decisions run on.
pub fn run(args: WasmArgs) -> Result<ExitCode, String> {
    let module = rolechain_wasm_host::MODULE;
    if args.out.as_os_str() == "-" {
        std::io::stdout()
            .write_all(module)
            .map_err(|e| format!("cannot write to standard output: {e}"))?;
    } else {
        std::fs::write(&args.out, module).map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
        eprintln!(
            "wrote {} ({} bytes, ABI {})",
            args.out.display(),
            module.len(),
            rolechain_wasm_host::ABI_VERSION
        );
    }
    Ok(ExitCode::SUCCESS)
}
