//! An in-process rolechain lab for Rust tests.
//!
//! [`Lab`] builds the emulator from a world, mints service-account tokens,
//! moves the virtual clock and reads the audit log, and hands out
//! [`aws_config::SdkConfig`]s whose HTTP client calls the emulator's router
//! directly — no sockets — so the real AWS SDK for Rust (`aws-config`'s
//! web-identity provider, `aws-sdk-sts`, `aws-sdk-iam`) runs the whole chain
//! in microseconds. The SDK's clock is the emulator's virtual clock, so
//! moving time ahead expires sessions for the SDK as well.
//!
//! [`Lab::serve_loopback`] serves the same emulator on 127.0.0.1 for
//! clients in other processes (the AWS CLI, boto3, Node).
//!
//! ```no_run
//! # async fn example() {
//! let lab = rolechain_testkit::Lab::seed().await;
//! let token = lab.mint_token("my-namespace", "dev-db-reader", &["openshift"]);
//! let config = lab.web_identity_config(
//!     "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader",
//!     &token,
//! ).await;
//! let sts = aws_sdk_sts::Client::new(&config);
//! let me = sts.get_caller_identity().send().await.unwrap();
//! # }
//! ```

mod http_client;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::BehaviorVersion;
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_types::region::Region;
use rolechain::audit::{AuditFilter, AuditLog};
use rolechain::clock::{Clock, SdkTimeSource};
use rolechain::emulator::{Emulator, Options};
use rolechain::server::admin::{self, MintRequest};
use rolechain::server::listen::{self, Listening};
use rolechain::world::{self, Files, World};
use rolechain_policy::evaluator::{Evaluator, NativeEvaluator};
use serde_json::Value;

pub use http_client::InProcessClient;

/// The endpoint URL the in-process client answers to (its host is never resolved).
pub const IN_PROCESS_ENDPOINT: &str = "http://rolechain.in-process";

/// The seed world's admin access keys, per account.
pub const SEED_ADMIN_A: (&str, &str) = ("AKIAROLECHAINADMINAA", "rolechain/admin/111111111111/not-a-real-secret");
pub const SEED_ADMIN_B: (&str, &str) = ("AKIAROLECHAINADMINBB", "rolechain/admin/222222222222/not-a-real-secret");

/// Which evaluator decides in the lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvaluatorKind {
    /// The wasm module in wasmtime, as `rolechain serve` runs by default.
    Wasm,
    /// The engine natively (differential tests, debugging).
    Native,
}

/// An emulator in this process, and the means to drive it.
#[derive(Debug, Clone)]
pub struct Lab {
    emulator: Arc<Emulator>,
    client: InProcessClient,
    scratch: Arc<Scratch>,
}

/// A folder for token and profile files, removed with the lab.
#[derive(Debug)]
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Lab {
    /// The seed's world (`emulator/seed/world.yaml`), decided by the wasm module.
    pub async fn seed() -> Lab {
        Lab::seed_with(EvaluatorKind::Wasm)
    }

    pub fn seed_with(kind: EvaluatorKind) -> Lab {
        let clock = Clock::system();
        let built = world::seed_world(clock.now()).expect("the seed world builds");
        Lab::build(built, clock, kind)
    }

    /// A world from YAML text; `file:` references resolve from `base`.
    pub fn from_yaml(yaml: &str, base: &std::path::Path, kind: EvaluatorKind) -> Result<Lab, String> {
        let clock = Clock::system();
        let built = World::from_yaml(yaml)
            .and_then(|w| w.build(Files::Dir(base), clock.now()))
            .map_err(|e| e.to_string())?;
        Ok(Lab::build(built, clock, kind))
    }

    fn build(built: world::BuiltWorld, clock: Clock, kind: EvaluatorKind) -> Lab {
        let (evaluator, name): (Arc<dyn Evaluator>, &str) = match kind {
            EvaluatorKind::Native => (Arc::new(NativeEvaluator::new()), "native"),
            EvaluatorKind::Wasm => (
                Arc::new(rolechain_wasm_host::WasmEvaluator::new().expect("the wasm evaluator starts")),
                "wasm",
            ),
        };
        let emulator = Emulator::new(built, Options::new(clock, evaluator, name, AuditLog::in_memory()))
            .expect("the emulator starts");
        let emulator = Arc::new(emulator);
        let scratch = std::env::temp_dir().join(format!(
            "rolechain-lab-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&scratch).expect("a scratch folder");
        Lab {
            client: InProcessClient::new(emulator.clone()),
            emulator,
            scratch: Arc::new(Scratch(scratch)),
        }
    }

    pub fn emulator(&self) -> &Arc<Emulator> {
        &self.emulator
    }

    pub fn clock(&self) -> &Clock {
        &self.emulator.clock
    }

    /// Moves the emulated world (and the SDK's clock) ahead.
    pub fn advance(&self, duration: Duration) {
        self.emulator.clock.advance_millis(duration.as_millis() as i64);
    }

    /// A projected service-account token from the world's only issuer.
    pub fn mint_token(&self, namespace: &str, service_account: &str, audiences: &[&str]) -> String {
        self.try_mint_token(&MintRequest {
            issuer: None,
            namespace: namespace.into(),
            service_account: service_account.into(),
            audiences: audiences.iter().map(|a| a.to_string()).collect(),
            expiration_seconds: None,
            pod: None,
            node: None,
        })
        .expect("the token is minted")
    }

    pub fn try_mint_token(&self, request: &MintRequest) -> Result<String, String> {
        admin::mint(&self.emulator, request)
            .map(|v| v["token"].as_str().unwrap_or_default().to_string())
            .map_err(|(_, code, message)| format!("{code}: {message}"))
    }

    /// Writes `token` to a file in the lab's scratch folder, as the kubelet does.
    pub fn token_file(&self, token: &str) -> PathBuf {
        let path = self.scratch.0.join(format!("token-{}", unique()));
        std::fs::write(&path, token).expect("the token file is written");
        path
    }

    /// Audit events matching `filter`.
    pub fn audit(&self, filter: &AuditFilter) -> Vec<Value> {
        self.emulator.audit.query(filter)
    }

    /// The in-process HTTP client, for SDK configs built by hand.
    pub fn http_client(&self) -> SharedHttpClient {
        SharedHttpClient::new(self.client.clone())
    }

    /// The SDK's clock: the emulator's virtual one.
    pub fn time_source(&self) -> SharedTimeSource {
        SharedTimeSource::new(SdkTimeSource(self.emulator.clock.clone()))
    }

    /// An SDK config signing with static credentials (an IAM user's access key).
    pub fn static_config(&self, access_key_id: &str, secret: &str) -> aws_config::SdkConfig {
        self.credentials_config(Credentials::new(access_key_id, secret, None, None, "rolechain-testkit"))
    }

    /// An SDK config signing with temporary credentials (an STS session).
    pub fn static_session_config(
        &self,
        access_key_id: &str,
        secret: &str,
        session_token: &str,
    ) -> aws_config::SdkConfig {
        self.credentials_config(Credentials::new(
            access_key_id,
            secret,
            Some(session_token.to_string()),
            None,
            "rolechain-testkit",
        ))
    }

    fn credentials_config(&self, credentials: Credentials) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.emulator.region.clone()))
            .endpoint_url(IN_PROCESS_ENDPOINT)
            .http_client(self.http_client())
            .time_source(self.time_source())
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .build()
    }

    /// An SDK config as the seed's pod has it: a shared config file with
    /// `role_arn` and `web_identity_token_file` (the ccoctl Secret's
    /// profile), loaded by aws-config's own profile chain, which calls
    /// AssumeRoleWithWebIdentity — unsigned — and refreshes as the SDK does.
    pub async fn web_identity_config(&self, role_arn: &str, token: &str) -> aws_config::SdkConfig {
        let token_file = self.token_file(token);
        let profile = format!(
            "[default]\nsts_regional_endpoints = regional\nrole_arn = {role_arn}\nweb_identity_token_file = {}\nrole_session_name = rolechain-testkit\n",
            token_file.display()
        );
        self.profile_config(&profile).await
    }

    /// An SDK config from a shared config file's text, loaded by aws-config
    /// (its credential chain, its STS client) against the lab. The profile's
    /// `endpoint_url` is set to the lab, as `AWS_ENDPOINT_URL` would.
    pub async fn profile_config(&self, config_file_text: &str) -> aws_config::SdkConfig {
        self.profile_config_at(config_file_text, IN_PROCESS_ENDPOINT, Some(self.http_client()))
            .await
    }

    /// [`Lab::profile_config`] over real sockets: `endpoint` is a
    /// [`Listening::endpoint_url`], and the SDK uses its own HTTPS-capable
    /// client (and the real clock), as an application would.
    pub async fn loopback_profile_config(
        &self,
        listening: &Listening,
        config_file_text: &str,
    ) -> aws_config::SdkConfig {
        self.profile_config_at(config_file_text, &listening.endpoint_url(), None)
            .await
    }

    async fn profile_config_at(
        &self,
        config_file_text: &str,
        endpoint: &str,
        client: Option<SharedHttpClient>,
    ) -> aws_config::SdkConfig {
        let with_endpoint = config_file_text
            .lines()
            .flat_map(|line| {
                let section = line.trim_start().starts_with('[');
                let mut out = vec![line.to_string()];
                if section {
                    out.push(format!("endpoint_url = {endpoint}"));
                }
                out
            })
            .collect::<Vec<_>>()
            .join("\n");
        let path = self.scratch.0.join(format!("config-{}", unique()));
        std::fs::write(&path, with_endpoint).expect("the config file is written");
        let credentials_path = self.scratch.0.join(format!("credentials-{}", unique()));
        std::fs::write(&credentials_path, "").expect("the credentials file is written");
        let loader = aws_config::defaults(BehaviorVersion::latest())
            .profile_files(
                EnvConfigFiles::builder()
                    .with_file(EnvConfigFileKind::Config, &path)
                    .with_file(EnvConfigFileKind::Credentials, &credentials_path)
                    .build(),
            )
            .region(Region::new(self.emulator.region.clone()))
            .endpoint_url(endpoint);
        match client {
            Some(client) => loader.http_client(client).time_source(self.time_source()).load().await,
            None => loader.load().await,
        }
    }

    /// Serves this same emulator on 127.0.0.1 (free ports), for clients in other processes.
    pub async fn serve_loopback(&self) -> Listening {
        listen::start(self.emulator.clone(), [127, 0, 0, 1].into(), 0, 0)
            .await
            .expect("the lab listens on loopback")
    }
}

fn unique() -> u128 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed) as u128
}
