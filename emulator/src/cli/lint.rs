use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct LintArgs {}

pub fn run(_args: LintArgs) -> Result<ExitCode, String> {
    Err("not yet".into())
}
