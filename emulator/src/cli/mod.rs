//! Command-line interface: one module per subcommand.

mod demo;
mod lint;
mod output;
mod simulate;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exercise an AWS trust chain offline: lint and simulate IAM policies.
#[derive(Debug, Parser)]
#[command(name = "rolechain", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walk the seed's IRSA chain hop by hop, with every decision explained.
    Demo(demo::DemoArgs),
    /// Check policy documents for every defect AWS would refuse and every likely mistake.
    Lint(lint::LintArgs),
    /// Decide requests against policies, in the shape of IAM's SimulateCustomPolicy.
    Simulate(Box<simulate::SimulateArgs>),
}

/// Runs a parsed command line; `Err` is a usage or I/O problem (exit code 2).
pub fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Simulate(args) => simulate::run(*args),
    }
}
