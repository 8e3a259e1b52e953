//! `rolechain run`: a local process as the pod of a Deployment.
//!
//! The command gets what the pod would: the projected service-account token
//! (minted by the emulator, in the kubelet's atomic layout, refreshed at 80%
//! of its lifetime on the emulator's virtual clock), the Secrets' files and
//! the container's environment, pointed at the emulator. In-pod paths live
//! under a root directory and every mention of them in the environment and the
//! Secrets' files is rewritten (docs/run.md).
//!
//! One module per job: `pod_setup` reads the pod and plans its mounts,
//! `root` holds the directory in-pod paths live under, `emulator` connects
//! to (or starts) the emulator, `volumes` writes the volumes, `tokens`
//! mints and refreshes their tokens, `env` builds the command's environment
//! and `command` runs it.

mod command;
mod emulator;
mod env;
mod pod_setup;
mod root;
mod tokens;
mod volumes;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Args;

use emulator::{Emulator, private_files};
use root::Root;
use tokens::Context;

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("pod").required(true).args(["deployment", "service_account"])))]
pub struct RunArgs {
    /// The pod to play: a Deployment (or other workload), a Pod, or a bare pod spec (YAML).
    #[arg(long, value_name = "FILE")]
    deployment: Option<PathBuf>,
    /// The container whose environment and mounts COMMAND gets (needed when the pod has several).
    #[arg(long, value_name = "NAME", requires = "deployment")]
    container: Option<String>,
    /// Instead of a deployment: a pod of this service account, `namespace/name`, with one token.
    #[arg(long, value_name = "NAMESPACE/NAME", requires = "audience")]
    service_account: Option<String>,
    /// The token's audience (with --service-account).
    #[arg(long, requires = "service_account")]
    audience: Option<String>,
    /// The token's lifetime (with --service-account; 600 up to 2^32, default 3600).
    #[arg(long, requires = "service_account")]
    expiration_seconds: Option<i64>,
    /// Where the pod sees its token (with --service-account) [default: /var/run/secrets/openshift/serviceaccount/token].
    #[arg(long, value_name = "PATH", requires = "service_account")]
    token_path: Option<String>,
    /// Inject AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE as the EKS pod-identity webhook would (with --service-account).
    #[arg(long, value_name = "ARN", requires = "service_account")]
    role_arn: Option<String>,
    /// A Secret (or ConfigMap) manifest the pod refers to; repeat for several.
    #[arg(long = "secret", value_name = "FILE")]
    secrets: Vec<PathBuf>,
    /// Where the Secrets are mounted, with --service-account [default: /var/run/secrets/cloud].
    #[arg(long, value_name = "PATH", requires = "service_account")]
    secret_mount: Option<String>,
    /// An extra container variable, after the container's own (in-pod paths rewritten too); repeatable.
    #[arg(long = "env", short = 'e', value_name = "NAME=VALUE")]
    env: Vec<String>,
    /// A running emulator (env ROLECHAIN_ENDPOINT); without it, one is started in process.
    #[arg(long, value_name = "URL", conflicts_with = "world")]
    endpoint: Option<String>,
    /// The world of the emulator started in process (YAML); the seed's world when left out.
    #[arg(long, value_name = "FILE")]
    world: Option<PathBuf>,
    /// The evaluator of the emulator started in process.
    #[arg(long, value_parser = ["wasm", "native"], default_value = "wasm")]
    evaluator: String,
    /// Where in-pod paths live; a fresh temporary directory (removed at exit) when left out; `/` uses the real paths.
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Only errors on stderr.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// The command and its arguments.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        required = true,
        value_name = "COMMAND"
    )]
    command: Vec<OsString>,
}

pub fn run(args: RunArgs) -> Result<ExitCode, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(run_pod(args))
}

/// Messages on stderr, prefixed, and only errors when quiet.
#[derive(Debug, Clone, Copy)]
struct Log {
    quiet: bool,
}

impl Log {
    fn info(&self, message: &str) {
        if !self.quiet {
            eprintln!("rolechain run: {message}");
        }
    }
    fn error(&self, message: &str) {
        eprintln!("rolechain run: {message}");
    }
}

async fn run_pod(args: RunArgs) -> Result<ExitCode, String> {
    let log = Log { quiet: args.quiet };
    // Everything that can be checked without the emulator first: a bad
    // manifest fails fast and starts nothing.
    let objects = pod_setup::read_objects(&args.secrets)?;
    let (pod, container) = match &args.deployment {
        Some(file) => pod_setup::read_pod(file, args.container.as_deref())?,
        None => pod_setup::service_account_pod(&args, &objects)?,
    };
    let fields = pod_setup::pod_fields(&pod);
    let env = env::pod_env(&args, &container, &objects, &fields)?;
    let mounts = pod_setup::plan_mounts(&pod, &container, &objects)?;

    let root = Root::create(args.root.as_deref())?;
    let paths = root.path_map(&mounts);

    let emulator = Emulator::connect_or_start(&args, log).await?;
    let endpoint = emulator.endpoint.clone();
    let result = async {
        let files = private_files(&endpoint, &root.private).await?;
        let ctx = Arc::new(Context {
            endpoint: endpoint.clone(),
            namespace: pod.namespace.clone(),
            service_account: pod.service_account().to_string(),
            pod_name: fields.name.clone(),
            node_name: fields.node_name.clone(),
            log,
        });
        log.info(&format!(
            "pod {}/{} (service account {}, container {}), in-pod paths under {}, emulator {}{}",
            pod.namespace,
            fields.name,
            ctx.service_account,
            container.name,
            root.path.display(),
            endpoint,
            if emulator.listening.is_some() {
                " (in process)"
            } else {
                ""
            }
        ));
        let volumes = volumes::write_volumes(&ctx, mounts, &paths, &root).await?;
        let env = env::final_env(env, &paths, &files, &endpoint, &root.path, log);
        command::run_command(&args.command, env, ctx, volumes).await
    }
    .await;
    emulator.stop().await;
    drop(root);
    result
}
