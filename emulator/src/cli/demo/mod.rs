//! `rolechain demo`: the seed's chain, run for real and explained.
//!
//! The demo starts the emulator with the seed's world on loopback, then a
//! client — the AWS SDK for Rust, as the pod's application would use it —
//! walks the chain over HTTP: token, AssumeRoleWithWebIdentity, AssumeRole
//! across accounts, GetItem; then IRSA's promises (least privilege,
//! credential isolation, auditability) and what happens when the sessions
//! expire. Every decision is the emulator's, read back from its audit log
//! with the statement that made it. Last, `rolechain lint` on the post's
//! trust policy as published.

mod chain;
mod render;

use std::process::ExitCode;
use std::sync::Arc;

use rolechain::audit::AuditLog;
use rolechain::clock::Clock;
use rolechain::emulator::{Emulator, Options};
use rolechain::server::listen;
use rolechain::world;
use rolechain_policy::lint;

use super::output::Style;

const TRUST_AS_PUBLISHED: &str = include_str!("../../../seed/trust-policy.as-published.json");

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Print the walk as one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Who decides: `wasm` (rolechain_policy.wasm in wasmtime) or `native` (for debugging).
    #[arg(long, default_value = "wasm", value_parser = ["wasm", "native"])]
    evaluator: String,
}

pub fn run(args: DemoArgs) -> Result<ExitCode, String> {
    if let Some(code) = without_developer_aws_settings()? {
        return Ok(code);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let (endpoint, steps) = runtime.block_on(walk_seed_world(&args.evaluator))?;
    let all_held = steps.iter().all(|s| s.held);
    // The post's trust policy as published: what lint finds before anything is deployed.
    let as_published = lint::lint(TRUST_AS_PUBLISHED, None);
    if args.json {
        let json = serde_json::json!({
            "endpoint": endpoint,
            "evaluator": args.evaluator,
            "steps": steps,
            "allHeld": all_held,
            "publishedTrustPolicyLint": as_published,
        });
        println!("{}", serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?);
    } else {
        let style = Style::for_stdout();
        print!("{}", render::walk(&steps, &endpoint, &args.evaluator, style));
        print!("{}", render::lint(&as_published, style));
    }
    Ok(if all_held { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The demo plays a pod, and a pod does not see the developer's `AWS_*`
/// variables: an `AWS_ENDPOINT_URL_STS` or `AWS_PROFILE` would send the SDK's
/// own credential calls elsewhere. When any is set, the demo runs itself
/// again without them (the process environment cannot be changed safely
/// once threads exist) and answers with that run's exit code.
fn without_developer_aws_settings() -> Result<Option<ExitCode>, String> {
    let aws: Vec<std::ffi::OsString> = std::env::vars_os()
        .map(|(name, _)| name)
        .filter(|name| name.to_string_lossy().starts_with("AWS_"))
        .collect();
    if aws.is_empty() {
        return Ok(None);
    }
    let me = std::env::current_exe().map_err(|e| format!("cannot find the rolechain binary: {e}"))?;
    let mut again = std::process::Command::new(me);
    again.args(std::env::args_os().skip(1));
    for name in aws {
        again.env_remove(name);
    }
    let status = again.status().map_err(|e| format!("cannot run the demo: {e}"))?;
    let code = status.code().and_then(|c| u8::try_from(c).ok()).unwrap_or(1);
    Ok(Some(ExitCode::from(code)))
}

/// Starts the seed's world on loopback, walks it, and stops it again.
async fn walk_seed_world(evaluator: &str) -> Result<(String, Vec<chain::Step>), String> {
    let clock = Clock::system();
    let built = world::seed_world(clock.now()).map_err(|e| e.to_string())?;
    let evaluator_impl = super::evaluator(evaluator)?;
    let emulator = Emulator::new(
        built,
        Options::new(clock, Arc::from(evaluator_impl), evaluator, AuditLog::in_memory()),
    )?;
    let emulator = Arc::new(emulator);
    let listening = listen::start(emulator.clone(), [127, 0, 0, 1].into(), 0, 0)
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1: {e}"))?;
    let endpoint = listening.endpoint_url();
    let scratch = Scratch::new()?;
    let walked = tokio::time::timeout(chain::DEADLINE, chain::walk(emulator, endpoint.clone(), &scratch.0))
        .await
        .unwrap_or_else(|_| Err(format!("the walk took longer than {:?}", chain::DEADLINE)));
    listening.stop().await;
    walked.map(|steps| (endpoint, steps))
}

/// The pod's files (token, AWS profiles) for the walk; removed afterwards.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Result<Scratch, String> {
        let path = std::env::temp_dir().join(format!("rolechain-demo-{}", std::process::id()));
        std::fs::create_dir_all(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Ok(Scratch(path))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
