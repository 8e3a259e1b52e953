//! The emulator the pod talks to, and our files that point the SDKs at it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::admin::{call_async, request};

use super::{Log, RunArgs};

/// The emulator the pod talks to: a running one, or one of our own.
#[derive(Debug)]
pub(super) struct Emulator {
    pub(super) endpoint: String,
    pub(super) listening: Option<rolechain::server::listen::Listening>,
}

impl Emulator {
    pub(super) async fn connect_or_start(args: &RunArgs, log: Log) -> Result<Emulator, String> {
        // ROLECHAIN_ENDPOINT counts only when no world asks for an emulator of our own.
        let endpoint = args.endpoint.clone().or_else(|| {
            if args.world.is_some() {
                None
            } else {
                std::env::var("ROLECHAIN_ENDPOINT").ok().filter(|e| !e.is_empty())
            }
        });
        if let Some(endpoint) = endpoint {
            let endpoint = endpoint.trim_end_matches('/').to_string();
            call_async(&endpoint, "GET", "/_rolechain/health", None)
                .await
                .map_err(|e| {
                    format!(
                        "{e}; start one with `rolechain serve`, or leave out --endpoint (and unset ROLECHAIN_ENDPOINT) \
                     to run one in process"
                    )
                })?;
            return Ok(Emulator {
                endpoint,
                listening: None,
            });
        }
        let clock = rolechain::clock::Clock::system();
        let now = clock.now();
        let world = match &args.world {
            Some(path) => rolechain::world::World::load(path, now).map_err(|e| e.to_string())?,
            None => rolechain::world::seed_world(now).map_err(|e| e.to_string())?,
        };
        let evaluator = crate::cli::evaluator(&args.evaluator)?;
        let emulator = rolechain::emulator::Emulator::new(
            world,
            rolechain::emulator::Options::new(
                clock,
                Arc::from(evaluator),
                &args.evaluator,
                rolechain::audit::AuditLog::in_memory(),
            ),
        )?;
        let host = std::net::IpAddr::from([127, 0, 0, 1]);
        let listening = rolechain::server::listen::start(Arc::new(emulator), host, 0, 0)
            .await
            .map_err(|e| format!("cannot start the emulator: {e}"))?;
        log.info(&format!(
            "started an emulator ({}) at {}, issuer {}",
            if args.world.is_some() {
                "--world"
            } else {
                "the seed's world"
            },
            listening.endpoint_url(),
            listening.issuer_url()
        ));
        Ok(Emulator {
            endpoint: listening.endpoint_url(),
            listening: Some(listening),
        })
    }

    pub(super) async fn stop(self) {
        if let Some(listening) = self.listening {
            listening.stop().await;
        }
    }
}

/// Our own files the environment points at.
#[derive(Debug)]
pub(super) struct PrivateFiles {
    pub(super) ca: PathBuf,
    pub(super) empty_config: PathBuf,
    pub(super) empty_credentials: PathBuf,
}

pub(super) async fn private_files(endpoint: &str, dir: &Path) -> Result<PrivateFiles, String> {
    let (status, pem) = request(endpoint, "GET", "/_rolechain/ca.pem", None).await?;
    if !status.is_success() {
        return Err(format!("the emulator answered {status} for /_rolechain/ca.pem"));
    }
    let files = PrivateFiles {
        ca: dir.join("ca.pem"),
        empty_config: dir.join("aws-config"),
        empty_credentials: dir.join("aws-credentials"),
    };
    for (path, data) in [
        (&files.ca, &pem[..]),
        (&files.empty_config, &b""[..]),
        (&files.empty_credentials, &b""[..]),
    ] {
        std::fs::write(path, data).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(files)
}
