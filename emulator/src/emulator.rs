//! The emulator's core: state, clock, evaluator, issuers and audit log,
//! shared by every service. Built from a world; no HTTP here (see `server`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use rolechain_policy::evaluator::Evaluator;

use crate::audit::AuditLog;
use crate::authz::Authorizer;
use crate::clock::Clock;
use crate::dynamodb::service::Tables;
use crate::issuer::Issuer;
use crate::issuer::tls::TlsMaterial;
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
    /// See [`Options::dynamodb_upstream`].
    pub dynamodb_upstream: Option<String>,
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
        let mut state = world.state;
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
        let dynamodb = Tables::new();
        let now = options.clock.now();
        for table in &world.tables {
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
            dynamodb_upstream: options.dynamodb_upstream,
        })
    }

    pub fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn write_state(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
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
