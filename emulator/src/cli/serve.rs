//! `rolechain serve`: the emulator on a local endpoint until interrupted.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use rolechain::audit::AuditLog;
use rolechain::clock::{self, Clock};
use rolechain::emulator::{Emulator, Options};
use rolechain::server::listen;
use rolechain::world::{self, World};
use serde_json::json;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The world to run (YAML, docs/world-file.md); the seed's world when left out.
    #[arg(long)]
    world: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: IpAddr,
    /// Port of the AWS endpoint (STS, IAM); 0 picks a free port.
    #[arg(long, default_value_t = 4590)]
    port: u16,
    /// Port of the issuer's HTTPS endpoint; 0 picks a free port.
    #[arg(long, default_value_t = 4591)]
    issuer_port: u16,
    /// Which evaluator decides: the wasm module in wasmtime, or the engine natively (for debugging).
    #[arg(long, value_parser = ["wasm", "native"], default_value = "wasm")]
    evaluator: String,
    /// Append every call's CloudTrail-shaped event to this file, as JSON lines.
    #[arg(long)]
    audit_log: Option<PathBuf>,
    /// Where to write the CA certificate clients trust the issuer with.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Start the virtual clock at this time (ISO-8601) instead of now.
    #[arg(long)]
    clock_start: Option<String>,
    /// Virtual seconds per real second (0 freezes the clock).
    #[arg(long, default_value_t = 1.0)]
    clock_rate: f64,
    /// Keep DynamoDB's tables and items and IAM's changes in this folder across restarts
    /// (in memory when left out).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Forward allowed DynamoDB requests, re-signed, to this DynamoDB-compatible endpoint
    /// (authorization and audit stay here).
    #[arg(long, value_name = "URL")]
    dynamodb_upstream: Option<String>,
}

pub fn run(args: ServeArgs) -> Result<std::process::ExitCode, String> {
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(serve(args, started))?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn serve(args: ServeArgs, started: Instant) -> Result<(), String> {
    if !(args.clock_rate.is_finite() && args.clock_rate >= 0.0) {
        return Err(format!(
            "--clock-rate {}: use 0 (frozen), 1 (real time) or more",
            args.clock_rate
        ));
    }
    let clock = match &args.clock_start {
        Some(text) => {
            let start = clock::parse_iso8601(text)
                .ok_or_else(|| format!("--clock-start {text}: not an ISO-8601 time such as 2026-01-01T00:00:00Z"))?;
            Clock::starting_at_millis(start * 1000, args.clock_rate)
        }
        None => {
            let clock = Clock::system();
            clock.set_rate(args.clock_rate);
            clock
        }
    };
    let now = clock.now();
    let built = match &args.world {
        Some(path) => World::load(path, now).map_err(|e| e.to_string())?,
        None => world::seed_world(now).map_err(|e| e.to_string())?,
    };
    let evaluator = super::evaluator(&args.evaluator)?;
    let audit = match &args.audit_log {
        Some(path) => AuditLog::with_file(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?,
        None => AuditLog::in_memory(),
    };
    let emulator = Emulator::new(
        built,
        Options {
            state_dir: args.state_dir.clone(),
            dynamodb_upstream: args.dynamodb_upstream.clone(),
            ..Options::new(clock, Arc::from(evaluator), &args.evaluator, audit)
        },
    )?;
    let emulator = Arc::new(emulator);
    let ca_file = args
        .ca_out
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join(format!("rolechain-ca-{}.pem", std::process::id())));
    std::fs::write(&ca_file, &emulator.tls.ca_cert_pem)
        .map_err(|e| format!("cannot write {}: {e}", ca_file.display()))?;
    let listening = listen::start(emulator.clone(), args.host, args.port, args.issuer_port)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.host))?;
    let stop = stop_signal();
    // One machine-readable line: what a script or test needs to reach us.
    println!(
        "{}",
        json!({
            "event": "ready",
            "endpoint": listening.endpoint_url(),
            "issuerEndpoint": listening.issuer_url(),
            "caFile": ca_file,
            "thumbprint": emulator.tls.thumbprint,
            "evaluator": args.evaluator,
            "startupMillis": started.elapsed().as_secs_f64() * 1000.0,
        })
    );
    eprintln!(
        "rolechain: serving STS and IAM at {} and the issuer at {} (admin API: {}/_rolechain/status); Ctrl-C stops",
        listening.endpoint_url(),
        listening.issuer_url(),
        listening.endpoint_url()
    );
    stop.await;
    listening.stop().await;
    // A CA file we chose ourselves is ours to clean up; one the user named stays.
    if args.ca_out.is_none() {
        let _ = std::fs::remove_file(&ca_file);
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is
/// called (not when first polled), so call it before announcing readiness: a
/// stop request that arrives right after the ready line must find them.
#[cfg(unix)]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        match (interrupt, terminate) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            // Without handlers the default actions stop the process anyway.
            _ => std::future::pending().await,
        }
    }
}

#[cfg(not(unix))]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
