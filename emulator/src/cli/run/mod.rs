//! `rolechain run`: a local process as the pod of a Deployment.
//!
//! The command gets what the pod would: the projected service-account token
//! (minted by the emulator, in the kubelet's atomic layout, refreshed at 80%
//! of its lifetime on the emulator's virtual clock), the Secrets' files and
//! the container's environment, pointed at the emulator. In-pod paths live
//! under a root directory and every mention of them in the environment and the
//! Secrets' files is rewritten (docs/run.md).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use rolechain::pod::env::{PodFields, container_env, expand};
use rolechain::pod::paths::{PathMap, check_pod_path, check_relative, host_path};
use rolechain::pod::spec::{ObjectProjection, ProjectedVolume, ProjectionSource, TokenProjection, Volume, VolumeMount};
use rolechain::pod::{Container, Objects, Pod, VolumePlan, atomic, token_needs_refresh, volume};
use serde_json::json;
use tokio::sync::{mpsc, watch};

use super::admin::{call_async, request};

/// Where ccoctl's Secret says the token is (`OidcTokenPath`, facts §1.4).
const CCOCTL_TOKEN_FILE: &str = "/var/run/secrets/openshift/serviceaccount/token";
/// Where OpenShift's docs mount the ccoctl Secret (facts §1.9).
const DEFAULT_SECRET_MOUNT: &str = "/var/run/secrets/cloud";
/// How often the virtual clock is read for token refreshes.
const POLL: Duration = Duration::from_millis(250);
/// A failing refresh is reported again at most this often.
const REPORT_EVERY: Duration = Duration::from_secs(10);

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
    let objects = read_objects(&args.secrets)?;
    let (pod, container) = match &args.deployment {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let pod = Pod::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            let container = pod
                .container(args.container.as_deref())
                .map_err(|e| format!("{}: {e}", file.display()))?
                .clone();
            (pod, container)
        }
        None => service_account_pod(&args, &objects)?,
    };
    let fields = pod_fields(&pod);
    let mut env = container_env(&container, &objects, &fields)?;
    if let Some(arn) = &args.role_arn {
        // The webhook adds its variables only where the container has none (facts §5.2).
        let token = token_path(&args)?;
        for (name, value) in [
            ("AWS_ROLE_ARN", arn.as_str()),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.as_str()),
        ] {
            if !env.iter().any(|(n, _)| n == name) {
                env.push((name.to_string(), value.to_string()));
            }
        }
    }
    for extra in &args.env {
        let (name, value) = extra
            .split_once('=')
            .filter(|(n, _)| !n.is_empty())
            .ok_or_else(|| format!("--env {extra}: expected NAME=VALUE"))?;
        let value = expand(value, &env);
        env.retain(|(n, _)| n != name);
        env.push((name.to_string(), value));
    }
    let mounts = plan_mounts(&pod, &container, &objects)?;

    let root = Root::create(args.root.as_deref())?;
    let mut paths = PathMap::default();
    for mount in &mounts {
        for m in &mount.mounts {
            paths.add(&m.mount_path, &host_path(&root.path, &m.mount_path));
        }
    }

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
        let volumes = write_volumes(&ctx, mounts, &paths, &root).await?;
        let env = final_env(env, &paths, &files, &endpoint, &root.path, log);
        run_command(&args.command, env, ctx, volumes, log).await
    }
    .await;
    emulator.stop().await;
    drop(root);
    result
}

fn read_objects(files: &[PathBuf]) -> Result<Objects, String> {
    let mut objects = Objects::default();
    for file in files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        objects.add_file(&text, &file.display().to_string())?;
    }
    Ok(objects)
}

fn token_path(args: &RunArgs) -> Result<String, String> {
    check_pod_path(args.token_path.as_deref().unwrap_or(CCOCTL_TOKEN_FILE), "--token-path")
}

/// The pod `--service-account` describes: one projected token and, when
/// Secrets are given, one projected volume holding all of them.
fn service_account_pod(args: &RunArgs, objects: &Objects) -> Result<(Pod, Container), String> {
    let account = args.service_account.as_deref().unwrap_or_default();
    let (namespace, name) = account
        .split_once('/')
        .filter(|(ns, sa)| !ns.is_empty() && !sa.is_empty() && !sa.contains('/'))
        .ok_or_else(|| format!("--service-account {account}: expected namespace/name"))?;
    let token = token_path(args)?;
    let (token_dir, token_file) = token
        .rsplit_once('/')
        .map(|(d, f)| (if d.is_empty() { "/" } else { d }, f))
        .unwrap_or(("/", token.as_str()));
    if token_dir == "/" {
        return Err(format!("--token-path {token}: the token needs a directory of its own"));
    }
    let mut token_volume = projected("rolechain-token");
    push_source(
        &mut token_volume,
        ProjectionSource {
            service_account_token: Some(TokenProjection {
                audience: args.audience.clone(),
                expiration_seconds: args.expiration_seconds,
                path: token_file.to_string(),
            }),
            ..empty_source()
        },
    );
    let mut volumes = vec![token_volume];
    let mut mounts = vec![mount("rolechain-token", token_dir)];
    let secret_sources: Vec<ProjectionSource> = objects
        .iter()
        .map(|o| {
            let projection = Some(ObjectProjection {
                name: o.name.clone(),
                items: Vec::new(),
                optional: None,
            });
            match o.kind {
                rolechain::pod::ObjectKind::Secret => ProjectionSource {
                    secret: projection,
                    ..empty_source()
                },
                rolechain::pod::ObjectKind::ConfigMap => ProjectionSource {
                    config_map: projection,
                    ..empty_source()
                },
            }
        })
        .collect();
    if !secret_sources.is_empty() {
        let at = check_pod_path(
            args.secret_mount.as_deref().unwrap_or(DEFAULT_SECRET_MOUNT),
            "--secret-mount",
        )?;
        if at == token_dir {
            // One directory: one projected volume with the token and the Secrets.
            for s in secret_sources {
                push_source(&mut volumes[0], s);
            }
        } else {
            let mut secrets = projected("rolechain-secrets");
            for s in secret_sources {
                push_source(&mut secrets, s);
            }
            volumes.push(secrets);
            mounts.push(mount("rolechain-secrets", &at));
        }
    } else if args.secret_mount.is_some() {
        return Err("--secret-mount without --secret: nothing to mount".into());
    }
    let container = Container {
        name: "main".into(),
        volume_mounts: mounts,
        ..Container::default()
    };
    let pod = Pod {
        kind: "Pod".into(),
        name: None,
        namespace: namespace.to_string(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        spec: rolechain::pod::spec::PodSpec {
            service_account_name: Some(name.to_string()),
            containers: vec![container.clone()],
            volumes,
            ..Default::default()
        },
    };
    Ok((pod, container))
}

fn projected(name: &str) -> Volume {
    Volume {
        name: name.into(),
        secret: None,
        config_map: None,
        projected: Some(ProjectedVolume {
            sources: Vec::new(),
            default_mode: None,
        }),
        empty_dir: None,
        other: BTreeMap::new(),
    }
}

fn push_source(volume: &mut Volume, source: ProjectionSource) {
    if let Some(p) = volume.projected.as_mut() {
        p.sources.push(source);
    }
}

fn empty_source() -> ProjectionSource {
    ProjectionSource {
        service_account_token: None,
        secret: None,
        config_map: None,
        other: BTreeMap::new(),
    }
}

fn mount(volume: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: volume.into(),
        mount_path: path.into(),
        sub_path: None,
        read_only: Some(true),
    }
}

/// The pod's own facts: a pod name as a ReplicaSet would make one, loopback addresses.
fn pod_fields(pod: &Pod) -> PodFields {
    let suffix: String = (0..5)
        .map(|_| {
            // Kubernetes' generated names avoid vowels and look-alike digits.
            const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
            ALPHABET[rand::random_range(0..ALPHABET.len())] as char
        })
        .collect();
    let name = match (pod.kind.as_str(), &pod.name) {
        ("Pod", Some(name)) => name.clone(),
        (_, Some(name)) => format!("{name}-{suffix}"),
        (_, None) => format!("rolechain-run-{suffix}"),
    };
    PodFields {
        name,
        namespace: pod.namespace.clone(),
        uid: uuid::Uuid::new_v4().to_string(),
        service_account: pod.service_account().to_string(),
        node_name: pod.spec.node_name.clone().unwrap_or_else(|| "rolechain-node".into()),
        pod_ip: "127.0.0.1".into(),
        host_ip: "127.0.0.1".into(),
        labels: pod.labels.clone(),
        annotations: pod.annotations.clone(),
    }
}

/// One volume the container mounts, with where it is mounted.
#[derive(Debug)]
struct MountedPlan {
    plan: VolumePlan,
    mounts: Vec<VolumeMount>,
}

/// The container's volumes, each planned once, mounts checked.
fn plan_mounts(pod: &Pod, container: &Container, objects: &Objects) -> Result<Vec<MountedPlan>, String> {
    let mut out: Vec<MountedPlan> = Vec::new();
    let mut seen_paths: Vec<String> = Vec::new();
    for m in &container.volume_mounts {
        let what = format!("container {} volumeMount {}", container.name, m.name);
        let path = check_pod_path(&m.mount_path, &format!("{what}: mountPath"))?;
        if seen_paths.contains(&path) {
            return Err(format!("{what}: mountPath {path} is mounted twice"));
        }
        seen_paths.push(path.clone());
        if let Some(sub) = m.sub_path.as_deref().filter(|s| !s.is_empty()) {
            check_relative(sub, &format!("{what}: subPath"))?;
        }
        let normalised = VolumeMount {
            mount_path: path,
            ..m.clone()
        };
        if let Some(existing) = out.iter_mut().find(|p| p.plan.name == m.name) {
            existing.mounts.push(normalised);
            continue;
        }
        let v = pod
            .volume(&m.name)
            .ok_or_else(|| format!("{what}: the pod has no volume named {}", m.name))?;
        out.push(MountedPlan {
            plan: volume::plan(pod, v, objects)?,
            mounts: vec![normalised],
        });
    }
    Ok(out)
}

/// The directory in-pod paths live under, and a private one for our files.
#[derive(Debug)]
struct Root {
    path: PathBuf,
    /// ca.pem, the empty AWS config files, volumes mounted more than once.
    private: PathBuf,
    /// Directories made for this run, removed when it ends.
    remove: Vec<PathBuf>,
}

impl Root {
    fn create(given: Option<&Path>) -> Result<Root, String> {
        let fresh = || {
            std::env::temp_dir().join(format!(
                "rolechain-run-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ))
        };
        let make_private = |dir: &Path| {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            set_mode(dir, 0o700)
        };
        match given {
            None => {
                let path = fresh();
                make_private(&path)?;
                let private = path.join(".rolechain");
                make_private(&private)?;
                Ok(Root {
                    remove: vec![path.clone()],
                    path,
                    private,
                })
            }
            Some(dir) => {
                let path = std::path::absolute(dir).map_err(|e| format!("--root {}: {e}", dir.display()))?;
                std::fs::create_dir_all(&path).map_err(|e| format!("--root: cannot create {}: {e}", path.display()))?;
                // Under `/`, our own files go to a temporary directory, not `/.rolechain`.
                if path.parent().is_none() {
                    let private = fresh();
                    make_private(&private)?;
                    Ok(Root {
                        path,
                        remove: vec![private.clone()],
                        private,
                    })
                } else {
                    let private = path.join(".rolechain");
                    make_private(&private)?;
                    Ok(Root {
                        path,
                        private,
                        remove: Vec::new(),
                    })
                }
            }
        }
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        for dir in &self.remove {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set the mode of {}: {e}", path.display()))
}

/// The emulator the pod talks to: a running one, or one of our own.
#[derive(Debug)]
struct Emulator {
    endpoint: String,
    listening: Option<rolechain::server::listen::Listening>,
}

impl Emulator {
    async fn connect_or_start(args: &RunArgs, log: Log) -> Result<Emulator, String> {
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
        let evaluator = super::evaluator(&args.evaluator)?;
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

    async fn stop(self) {
        if let Some(listening) = self.listening {
            listening.stop().await;
        }
    }
}

/// Our own files the environment points at.
#[derive(Debug)]
struct PrivateFiles {
    ca: PathBuf,
    empty_config: PathBuf,
    empty_credentials: PathBuf,
}

async fn private_files(endpoint: &str, dir: &Path) -> Result<PrivateFiles, String> {
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

/// What token minting needs to know about the pod.
#[derive(Debug)]
struct Context {
    endpoint: String,
    namespace: String,
    service_account: String,
    pod_name: String,
    node_name: String,
    log: Log,
}

/// A token as the emulator minted it.
#[derive(Debug, Clone)]
struct Minted {
    token: Vec<u8>,
    issued_at: i64,
    expires_at: i64,
}

/// A volume on disk: where, its fixed files (already rewritten) and its tokens.
#[derive(Debug)]
struct LiveVolume {
    plan: VolumePlan,
    dir: PathBuf,
    tokens: Vec<Minted>,
}

impl LiveVolume {
    fn write(&self, stamp: &str) -> Result<(), String> {
        let tokens: Vec<Vec<u8>> = self.tokens.iter().map(|t| t.token.clone()).collect();
        atomic::write(&self.dir, &self.plan.payload(&tokens), stamp).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
                " (use --root DIR, or leave --root out for a temporary one)"
            } else {
                ""
            };
            format!(
                "volume {}: cannot write {}: {e}{hint}",
                self.plan.name,
                self.dir.display()
            )
        })
    }
}

async fn mint(ctx: &Context, source: &rolechain::pod::TokenSource) -> Result<Minted, String> {
    let body = json!({
        "namespace": ctx.namespace,
        "serviceAccount": ctx.service_account,
        "audiences": source.audience.iter().collect::<Vec<_>>(),
        "expirationSeconds": source.expiration_seconds,
        "pod": ctx.pod_name,
        "node": ctx.node_name,
    });
    let answer = call_async(&ctx.endpoint, "POST", "/_rolechain/tokens", Some(body)).await?;
    match (
        answer["token"].as_str(),
        answer["issuedAt"].as_i64(),
        answer["expiresAt"].as_i64(),
    ) {
        (Some(token), Some(issued_at), Some(expires_at)) => Ok(Minted {
            token: token.as_bytes().to_vec(),
            issued_at,
            expires_at,
        }),
        _ => Err(format!(
            "the emulator's token answer lacks token, issuedAt or expiresAt: {answer}"
        )),
    }
}

/// The virtual clock, in seconds (fractional, so 80% is met on time).
async fn virtual_now(endpoint: &str) -> Result<f64, String> {
    let answer = call_async(endpoint, "GET", "/_rolechain/clock", None).await?;
    answer["epochMillis"]
        .as_f64()
        .map(|ms| ms / 1000.0)
        .ok_or_else(|| format!("the emulator's clock answer lacks epochMillis: {answer}"))
}

/// The kubelet's name for a data directory, from the virtual time.
fn stamp(now: f64) -> String {
    chrono::DateTime::from_timestamp(now.floor() as i64, 0)
        .map(|t| t.format("%Y_%m_%d_%H_%M_%S").to_string())
        .unwrap_or_else(|| "0000_00_00_00_00_00".into())
}

/// Writes every volume (minting its tokens) and makes the mount points.
async fn write_volumes(
    ctx: &Context,
    mounts: Vec<MountedPlan>,
    paths: &PathMap,
    root: &Root,
) -> Result<Vec<LiveVolume>, String> {
    let now = virtual_now(&ctx.endpoint).await?;
    let mut live = Vec::new();
    for MountedPlan { mut plan, mounts } in mounts {
        for file in &mut plan.files {
            let (data, hits) = paths.rewrite(&file.data);
            for hit in hits {
                ctx.log.info(&format!(
                    "rewrote {hit} in {} ({}) to {}",
                    file.source.as_deref().unwrap_or("a file"),
                    file.path,
                    host_path(&root.path, &hit).display()
                ));
            }
            file.data = data;
        }
        let mut tokens = Vec::new();
        for source in &plan.tokens {
            tokens.push(mint(ctx, source).await.map_err(|e| {
                format!(
                    "volume {}: cannot get a token for {}/{}: {e}",
                    plan.name, ctx.namespace, ctx.service_account
                )
            })?);
        }
        // One plain mount: the volume is written right there. Otherwise it lives
        // in the private directory and each mount point links to it (or into it).
        let single = mounts.len() == 1 && mounts[0].sub_path.as_deref().is_none_or(str::is_empty);
        let dir = if single {
            host_path(&root.path, &mounts[0].mount_path)
        } else {
            root.private.join("volumes").join(&plan.name)
        };
        let volume = LiveVolume { plan, dir, tokens };
        if volume.plan.kind == "emptyDir" {
            std::fs::create_dir_all(&volume.dir).map_err(|e| format!("cannot create {}: {e}", volume.dir.display()))?;
        } else {
            volume.write(&stamp(now))?;
        }
        if !single {
            for m in &mounts {
                let target = match m.sub_path.as_deref().filter(|s| !s.is_empty()) {
                    Some(sub) => volume.dir.join(sub),
                    None => volume.dir.clone(),
                };
                link_mount(&target, &host_path(&root.path, &m.mount_path))?;
            }
        }
        live.push(volume);
    }
    Ok(live)
}

/// A mount point as a symlink; an empty directory or an old link in the way is replaced.
fn link_mount(target: &Path, at: &Path) -> Result<(), String> {
    if let Some(parent) = at.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    match std::fs::symlink_metadata(at) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::remove_file(at).map_err(|e| format!("cannot replace {}: {e}", at.display()))?
        }
        Ok(m) if m.is_dir() => std::fs::remove_dir(at).map_err(|e| {
            format!(
                "cannot mount at {}: {e} (it is a directory that is not empty)",
                at.display()
            )
        })?,
        Ok(_) => return Err(format!("cannot mount at {}: a file is in the way", at.display())),
        Err(_) => {}
    }
    std::os::unix::fs::symlink(target, at)
        .map_err(|e| format!("cannot link {} to {}: {e}", at.display(), target.display()))
}

/// The command's environment: ours without `AWS_*`, then the container's
/// (in-pod paths rewritten), then what points the SDKs at the emulator.
fn final_env(
    container: Vec<(String, String)>,
    paths: &PathMap,
    files: &PrivateFiles,
    endpoint: &str,
    root: &Path,
    log: Log,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(name, _)| !name.to_string_lossy().starts_with("AWS_"))
        .collect();
    let set = |env: &mut Vec<(OsString, OsString)>, name: &str, value: OsString| {
        env.retain(|(n, _)| n != name);
        env.push((name.into(), value));
    };
    let container_sets = |name: &str| container.iter().any(|(n, _)| n == name);
    for (name, value) in &container {
        let (value, hits) = paths.rewrite_str(value);
        for hit in hits {
            log.info(&format!(
                "rewrote {hit} in env {name} to {}",
                host_path(root, &hit).display()
            ));
        }
        set(&mut env, name, value.into());
    }
    let path = |p: &Path| p.as_os_str().to_os_string();
    let defaults: [(&str, OsString); 6] = [
        ("AWS_ENDPOINT_URL", endpoint.into()),
        ("AWS_CA_BUNDLE", path(&files.ca)),
        ("NODE_EXTRA_CA_CERTS", path(&files.ca)),
        ("AWS_CONFIG_FILE", path(&files.empty_config)),
        ("AWS_SHARED_CREDENTIALS_FILE", path(&files.empty_credentials)),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    for (name, value) in defaults {
        if !container_sets(name) {
            set(&mut env, name, value);
        }
    }
    set(&mut env, "ROLECHAIN_ENDPOINT", endpoint.into());
    set(&mut env, "ROLECHAIN_POD_ROOT", path(root));
    env
}

/// Signals passed on to the command, as a container runtime passes them to PID 1.
const FORWARDED: [rustix::process::Signal; 6] = [
    rustix::process::Signal::INT,
    rustix::process::Signal::TERM,
    rustix::process::Signal::HUP,
    rustix::process::Signal::QUIT,
    rustix::process::Signal::USR1,
    rustix::process::Signal::USR2,
];

/// Starts the signal listeners before the command, so none is lost.
fn listen_for_signals() -> Result<mpsc::UnboundedReceiver<rustix::process::Signal>, String> {
    use tokio::signal::unix::{SignalKind, signal};
    let (tx, rx) = mpsc::unbounded_channel();
    // A terminal sends Ctrl-C and Ctrl-\ to its whole foreground process
    // group, the command included: passing them on too would deliver two.
    let from_terminal = std::io::stdin().is_terminal();
    for sig in FORWARDED {
        let kind = match sig {
            rustix::process::Signal::INT => SignalKind::interrupt(),
            rustix::process::Signal::TERM => SignalKind::terminate(),
            rustix::process::Signal::HUP => SignalKind::hangup(),
            rustix::process::Signal::QUIT => SignalKind::quit(),
            rustix::process::Signal::USR1 => SignalKind::user_defined1(),
            _ => SignalKind::user_defined2(),
        };
        let mut stream = signal(kind).map_err(|e| format!("cannot listen for signal {}: {e}", sig.as_raw()))?;
        let skip = from_terminal && (sig == rustix::process::Signal::INT || sig == rustix::process::Signal::QUIT);
        let tx = tx.clone();
        tokio::spawn(async move {
            while stream.recv().await.is_some() {
                if !skip && tx.send(sig).is_err() {
                    break;
                }
            }
        });
    }
    Ok(rx)
}

async fn run_command(
    command: &[OsString],
    env: Vec<(OsString, OsString)>,
    ctx: Arc<Context>,
    volumes: Vec<LiveVolume>,
    log: Log,
) -> Result<ExitCode, String> {
    let Some((program, arguments)) = command.split_first() else {
        return Err("no command given (put it after --)".into());
    };
    let mut signals = listen_for_signals()?;
    let mut child = match tokio::process::Command::new(program)
        .args(arguments)
        .env_clear()
        .envs(env)
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            let name = program.to_string_lossy();
            let (code, what) = match e.kind() {
                std::io::ErrorKind::NotFound => (127, "command not found".to_string()),
                std::io::ErrorKind::PermissionDenied => (126, "permission denied".to_string()),
                _ => (126, e.to_string()),
            };
            log.error(&format!("{name}: {what}"));
            return Ok(ExitCode::from(code));
        }
    };
    let pid = child.id().and_then(|id| rustix::process::Pid::from_raw(id as i32));
    let (stop, stopped) = watch::channel(false);
    let refresher = tokio::spawn(refresh(ctx, volumes, stopped));
    let status = loop {
        tokio::select! {
            status = child.wait() => break status,
            Some(sig) = signals.recv() => {
                if let Some(pid) = pid {
                    // The child may have just exited; a failed kill is then harmless.
                    let _ = rustix::process::kill_process(pid, sig);
                }
            }
        }
    };
    let _ = stop.send(true);
    let _ = refresher.await;
    let status = status.map_err(|e| format!("waiting for the command: {e}"))?;
    Ok(ExitCode::from(exit_code(status)))
}

/// The command's exit code, or 128 + the signal that ended it, as shells report it.
fn exit_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(sig)) => (128 + sig) as u8,
        (None, None) => 1,
    }
}

/// Replaces tokens as the kubelet does, until told to stop. A failure is
/// reported (not too often) and retried; the old token stays in place.
async fn refresh(ctx: Arc<Context>, mut volumes: Vec<LiveVolume>, mut stop: watch::Receiver<bool>) {
    if volumes.iter().all(|v| v.tokens.is_empty()) {
        return;
    }
    let mut failing_since: Option<Instant> = None;
    let mut last_report: Option<Instant> = None;
    let mut interval = tokio::time::interval(POLL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = interval.tick() => {}
            _ = stop.changed() => return,
        }
        match refresh_due(&ctx, &mut volumes).await {
            Ok(()) => {
                if failing_since.take().is_some() {
                    ctx.log.info("token refresh works again");
                }
                last_report = None;
            }
            Err(e) => {
                failing_since.get_or_insert_with(Instant::now);
                if last_report.is_none_or(|t| t.elapsed() >= REPORT_EVERY) {
                    ctx.log.error(&format!("token refresh failed, will retry: {e}"));
                    last_report = Some(Instant::now());
                }
            }
        }
    }
}

async fn refresh_due(ctx: &Context, volumes: &mut [LiveVolume]) -> Result<(), String> {
    let now = virtual_now(&ctx.endpoint).await?;
    for volume in volumes.iter_mut() {
        let due: Vec<usize> = (0..volume.tokens.len())
            .filter(|&i| token_needs_refresh(now, volume.tokens[i].issued_at, volume.tokens[i].expires_at))
            .collect();
        if due.is_empty() {
            continue;
        }
        let mut replaced = volume.tokens.clone();
        for &i in &due {
            replaced[i] = mint(ctx, &volume.plan.tokens[i])
                .await
                .map_err(|e| format!("volume {}: {e}", volume.plan.name))?;
        }
        let old = std::mem::replace(&mut volume.tokens, replaced);
        if let Err(e) = volume.write(&stamp(now)) {
            volume.tokens = old;
            return Err(e);
        }
        for &i in &due {
            ctx.log.info(&format!(
                "refreshed {} in volume {} (valid until {})",
                volume.plan.tokens[i].path,
                volume.plan.name,
                rolechain::clock::iso8601(volume.tokens[i].expires_at)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_follow_the_kubelet() {
        assert_eq!(stamp(1_795_737_600.7), "2026_11_26_20_00_00");
    }

    #[test]
    fn exit_codes_as_shells_report_them() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(7 << 8)), 7);
        assert_eq!(exit_code(std::process::ExitStatus::from_raw(15)), 143);
    }
}
