//! Command-line interface: one module per subcommand.

mod admin;
mod ccoctl;
mod demo;
mod lint;
mod output;
#[cfg(unix)]
mod run;
mod serve;
mod simulate;
mod wasm;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exercise an AWS trust chain offline: an OIDC issuer, STS and IAM on one local endpoint; lint and simulate IAM policies.
#[derive(Debug, Parser)]
#[command(name = "rolechain", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// ccoctl's AWS steps offline: IAM roles for CredentialsRequests, the OIDC identity provider.
    Ccoctl(ccoctl::CcoctlArgs),
    /// Move or read the virtual clock of a running emulator.
    Clock(admin::ClockArgs),
    /// Walk the seed's IRSA chain hop by hop, with every decision explained.
    Demo(demo::DemoArgs),
    /// Check policy documents for every defect AWS would refuse and every likely mistake.
    Lint(lint::LintArgs),
    /// Run a command as the pod of a Deployment: its token (refreshed), Secrets and environment, against the emulator.
    #[cfg(unix)]
    #[command(trailing_var_arg = true)]
    Run(Box<run::RunArgs>),
    /// Run the emulator: OIDC issuer, STS and IAM on a local endpoint.
    Serve(serve::ServeArgs),
    /// Decide requests against policies, in the shape of IAM's SimulateCustomPolicy.
    Simulate(Box<simulate::SimulateArgs>),
    /// Mint a projected service-account token from a running emulator's issuer.
    Token(admin::TokenArgs),
    /// Write rolechain_policy.wasm, the policy engine as a WebAssembly module, for other tools.
    Wasm(wasm::WasmArgs),
}

/// Runs a parsed command line; `Err` is a usage or I/O problem (exit code 2).
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Ccoctl(args) => ccoctl::run(args),
        Command::Clock(args) => admin::clock(args),
        Command::Demo(args) => demo::run(args),
        Command::Lint(args) => lint::run(args),
        #[cfg(unix)]
        Command::Run(args) => run::run(*args),
        Command::Serve(args) => serve::run(args),
        Command::Simulate(args) => simulate::run(*args),
        Command::Token(args) => admin::token(args),
        Command::Wasm(args) => wasm::run(args),
    }
}

/// The evaluator a subcommand decides with: the wasm module in wasmtime, or the engine natively.
fn evaluator(name: &str) -> Result<Box<dyn rolechain_policy::evaluator::Evaluator>, String> {
    match name {
        "native" => Ok(Box::new(rolechain_policy::evaluator::NativeEvaluator::new())),
        _ => rolechain_wasm_host::WasmEvaluator::new()
            .map(|e| Box::new(e) as Box<dyn rolechain_policy::evaluator::Evaluator>)
            .map_err(|e| e.to_string()),
    }
}
