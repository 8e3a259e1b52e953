//! The emulator's core: state, clock, evaluator, issuers and audit log,
//! shared by every service. Built from a world; no HTTP here (see `server`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use rolechain_policy::evaluator::Evaluator;

use crate::audit::AuditLog;
use crate::authz::Authorizer;
use crate::clock::Clock;
use crate::dynamodb::service::Tables;
use crate::dynamodb::upstream::Upstream;
use crate::error::AwsError;
use crate::issuer::Issuer;
use crate::issuer::tls::TlsMaterial;
use crate::persist::Persister;
use crate::state::State;
use crate::webidentity::external::ExternalKeys;
use crate::world::BuiltWorld;

/// The host names the emulator's certificate covers.
pub const CERT_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "oidc.rolechain.local"];

/// A built-in issuer and the service accounts it may mint tokens for.
#[derive(Debug)]
pub struct IssuerEntry {
    pub issuer: Issuer,
    /// `(namespace, name)` pairs; `None` allows any.
    pub service_accounts: Option<Vec<(String, String)>>,
}

pub struct Emulator {
    pub clock: Clock,
    pub region: String,
    pub state: RwLock<State>,
    pub authorizer: Authorizer,
    /// Built-in issuers by name; see [`Emulator::read_issuers`].
    issuers: RwLock<BTreeMap<String, IssuerEntry>>,
    /// Issuers whose RSA keys are still being generated on another thread:
    /// key generation takes tens of milliseconds, and the endpoint should not
    /// wait for it before serving its first request.
    generating: Mutex<Option<std::thread::JoinHandle<BTreeMap<String, IssuerEntry>>>>,
    /// The certificate the issuer endpoint serves; its thumbprint is what
    /// providers of built-in issuers record.
    pub tls: TlsMaterial,
    pub external_keys: ExternalKeys,
    /// CA bundles for external issuers, by provider URL.
    pub external_roots: BTreeMap<String, String>,
    pub audit: AuditLog,
    /// DynamoDB's tables and items, of every account.
    pub dynamodb: Tables,
    /// Which evaluator decides (`wasm` or `native`), for status pages.
    pub evaluator_name: String,
    /// See [`Options::state_dir`].
    pub state_dir: Option<std::path::PathBuf>,
    /// The open state directory, when there is one.
    pub persist: Option<Arc<Persister>>,
    /// See [`Options::dynamodb_upstream`].
    pub dynamodb_upstream: Option<String>,
    /// The engine allowed DynamoDB requests are forwarded to, when there is one.
    pub upstream: Option<Upstream>,
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("region", &self.region)
            .field("evaluator", &self.evaluator_name)
            .finish_non_exhaustive()
    }
}

/// How to build an emulator.
pub struct Options {
    pub clock: Clock,
    pub evaluator: Arc<dyn Evaluator>,
    pub evaluator_name: String,
    pub audit: AuditLog,
    /// Keep tables, items and IAM's changes in this folder across restarts.
    pub state_dir: Option<std::path::PathBuf>,
    /// Forward allowed DynamoDB requests to this DynamoDB-compatible endpoint.
    pub dynamodb_upstream: Option<String>,
}

impl Options {
    /// In memory, nothing forwarded.
    pub fn new(clock: Clock, evaluator: Arc<dyn Evaluator>, evaluator_name: &str, audit: AuditLog) -> Options {
        Options {
            clock,
            evaluator,
            evaluator_name: evaluator_name.to_string(),
            audit,
            state_dir: None,
            dynamodb_upstream: None,
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("evaluator", &self.evaluator_name)
            .finish_non_exhaustive()
    }
}

impl Emulator {
    pub fn new(world: BuiltWorld, options: Options) -> Result<Emulator, String> {
        let hosts: Vec<String> = CERT_HOSTS
            .iter()
            .map(|h| h.to_string())
            .chain(world.issuers.iter().filter_map(|i| host_of(&i.url)))
            .collect();
        let tls = TlsMaterial::generate(&hosts).map_err(|e| format!("cannot make the issuer's certificate: {e}"))?;
        // Issuers with a key of their own load now (a bad key stops the start);
        // the others get fresh keys on another thread.
        let mut issuers = BTreeMap::new();
        let mut to_generate = Vec::new();
        for spec in &world.issuers {
            match &spec.signing_key_pem {
                Some(pem) => {
                    let issuer = Issuer::from_private_key_pem(&spec.url, pem)
                        .map_err(|e| format!("issuer {}: {e}", spec.name))?;
                    issuers.insert(
                        spec.name.clone(),
                        IssuerEntry {
                            issuer,
                            service_accounts: spec.service_accounts.clone(),
                        },
                    );
                }
                None => to_generate.push(spec.clone()),
            }
        }
        let generating = (!to_generate.is_empty()).then(|| {
            std::thread::spawn(move || {
                to_generate
                    .into_iter()
                    .filter_map(|spec| match Issuer::generate(&spec.url) {
                        Ok(issuer) => Some((
                            spec.name,
                            IssuerEntry {
                                issuer,
                                service_accounts: spec.service_accounts,
                            },
                        )),
                        Err(e) => {
                            tracing::error!("issuer {}: cannot generate a signing key: {e}", spec.name);
                            None
                        }
                    })
                    .collect()
            })
        });
        // A state directory that holds state wins over the world entirely; an
        // empty one is seeded from the world (see `persist`).
        let dynamodb = Tables::new();
        let persist = match &options.state_dir {
            Some(dir) => Some(Persister::open(dir)?),
            None => None,
        };
        let loaded = match &persist {
            Some(p) => p.load(dynamodb.store())?,
            None => None,
        };
        let mut state = world.state;
        if let Some(loaded) = &loaded {
            state = loaded.state.clone();
            // The certificate is new at every start: providers that recorded
            // the previous one's thumbprint get this one's.
            for account in state.accounts.values_mut() {
                for provider in account.oidc_providers.values_mut() {
                    for t in provider.thumbprints.iter_mut() {
                        if t.eq_ignore_ascii_case(&loaded.thumbprint) {
                            *t = tls.thumbprint.clone();
                        }
                    }
                }
            }
        }
        // Providers of built-in issuers that name no thumbprint get the one of
        // our certificate, as `ccoctl aws create-identity-provider` records it.
        let builtin_urls: Vec<String> = world.issuers.iter().map(|i| i.url.clone()).collect();
        for account in state.accounts.values_mut() {
            for provider in account.oidc_providers.values_mut() {
                if provider.thumbprints.is_empty() && builtin_urls.contains(&provider.url) {
                    provider.thumbprints.push(tls.thumbprint.clone());
                }
            }
        }
        if let Some(p) = &persist {
            dynamodb.store().set_change_log(p.clone());
        }
        let now = options.clock.now();
        let seed_tables = if loaded.is_some() { &[][..] } else { &world.tables[..] };
        for table in seed_tables {
            let refused = |e: crate::dynamodb::service::DdbError| format!("{}: {}: {}", table.path, e.code, e.message);
            dynamodb
                .execute(&table.account, &world.region, "CreateTable", &table.create, now)
                .map_err(refused)?;
            if let Some(policy) = &table.resource_policy {
                let arn = format!(
                    "arn:aws:dynamodb:{}:{}:table/{}",
                    world.region,
                    table.account,
                    table.create["TableName"].as_str().unwrap_or_default()
                );
                let put = serde_json::json!({ "ResourceArn": arn, "Policy": policy });
                dynamodb
                    .execute(&table.account, &world.region, "PutResourcePolicy", &put, now)
                    .map_err(refused)?;
            }
            for item in &table.items {
                dynamodb
                    .execute(&table.account, &world.region, "PutItem", item, now)
                    .map_err(refused)?;
            }
        }
        // Upstream mode: nothing is connected here; the world's tables are
        // not created upstream, their resource policies are kept here.
        let upstream = match &options.dynamodb_upstream {
            Some(url) => Some(Upstream::from_env(url, &world.region, &world.tables, now)?),
            None => None,
        };
        if let Some(p) = &persist {
            let saved = Persister::encode_iam(&state).and_then(|bytes| p.save_iam(bytes, &tls.thumbprint));
            saved.map_err(|e| format!("cannot initialize the state directory: {e}"))?;
            // Compact at start-up, so the next start replays a short log.
            if loaded.as_ref().is_some_and(|l| l.log_entries > 0) {
                dynamodb.store().snapshot()?;
            }
        }
        Ok(Emulator {
            clock: options.clock,
            region: world.region,
            state: RwLock::new(state),
            authorizer: Authorizer::new(options.evaluator),
            issuers: RwLock::new(issuers),
            generating: Mutex::new(generating),
            tls,
            external_keys: ExternalKeys::new(),
            external_roots: world.external_roots,
            audit: options.audit,
            dynamodb,
            evaluator_name: options.evaluator_name,
            state_dir: options.state_dir,
            persist,
            dynamodb_upstream: options.dynamodb_upstream,
            upstream,
        })
    }

    pub fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one IAM call that changes the state (`change`, which takes the
    /// state lock itself) and, with a state directory, saves IAM's state
    /// before answering. IAM changes are saved one at a time; if saving
    /// fails, the change is undone and the call fails.
    pub fn persist_iam_change<R>(&self, change: impl FnOnce() -> Result<R, AwsError>) -> Result<R, AwsError> {
        let Some(p) = &self.persist else { return change() };
        let _one_at_a_time = p.iam_lock();
        let before = {
            let s = self.read_state();
            (s.accounts.clone(), s.access_keys.clone(), s.aws_managed.clone())
        };
        let out = change()?;
        let encoded = Persister::encode_iam(&self.read_state());
        match encoded.and_then(|bytes| p.save_iam(bytes, &self.tls.thumbprint)) {
            Ok(()) => Ok(out),
            Err(e) => {
                let mut s = self.write_state();
                (s.accounts, s.access_keys, s.aws_managed) = before;
                Err(AwsError::new(
                    "ServiceFailure",
                    500,
                    format!("The state directory failed: {e}"),
                ))
            }
        }
    }

    /// The built-in issuers, once their keys exist (the first call may wait for them).
    pub fn read_issuers(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, IssuerEntry>> {
        self.finish_generating();
        self.issuers.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_issuers(&self) -> std::sync::RwLockWriteGuard<'_, BTreeMap<String, IssuerEntry>> {
        self.finish_generating();
        self.issuers.write().unwrap_or_else(|e| e.into_inner())
    }

    fn finish_generating(&self) {
        let mut pending = self.generating.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = pending.take() {
            let generated = handle.join().unwrap_or_default();
            self.issuers
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .extend(generated);
        }
    }
}

fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("https://")?;
    let host = rest.split('/').next()?;
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    (!host.is_empty()).then(|| host.to_string())
}
