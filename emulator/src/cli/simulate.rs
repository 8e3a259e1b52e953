use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {}

pub fn run(_args: SimulateArgs) -> Result<ExitCode, String> {
    Err("not yet".into())
}
