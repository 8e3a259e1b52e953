//! The world file: the accounts, identity providers, roles and policies an
//! emulator starts with, in YAML (`docs/world-file.md`).
//!
//! Reading goes in two steps. [`World::from_yaml`] reads the text into the
//! shapes below; shape and type errors come back with the line and column
//! serde_yaml_ng reports. [`World::build`] then checks what only the whole
//! world can tell (duplicate names, policies that do not parse, references to
//! policies that do not exist) and reports the YAML path of the culprit.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use rolechain_policy::kind::PolicyKind;
use rolechain_policy::policy::Policy;
use serde::Deserialize;

use crate::ids;
use crate::state::{
    self, Account, LongTermKey, ManagedPolicy, NamedDocument, OidcProvider, PolicyVersion, Role, State, Tag, User,
};

/// A world as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct World {
    /// The region ARNs and endpoints name (default `us-east-1`).
    #[serde(default)]
    pub region: Option<String>,
    /// OIDC issuers the emulator runs itself.
    #[serde(default)]
    pub issuers: Vec<IssuerSpec>,
    #[serde(default)]
    pub accounts: Vec<AccountSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerSpec {
    /// A short name, used by `rolechain token --issuer` and the admin API.
    pub name: String,
    /// The `iss` of its tokens, `https://host[/path]`.
    pub url: String,
    /// `namespace/serviceaccount` pairs that may get tokens; absent means any.
    #[serde(default)]
    pub service_accounts: Option<Vec<String>>,
    /// A PEM RSA private key to sign with (relative to the world file); a fresh key otherwise.
    #[serde(default)]
    pub signing_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSpec {
    pub id: String,
    #[serde(default)]
    pub alias: Option<String>,
    #[serde(default)]
    pub users: Vec<UserSpec>,
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
    #[serde(default)]
    pub policies: Vec<ManagedPolicySpec>,
    #[serde(default)]
    pub oidc_providers: Vec<OidcProviderSpec>,
    /// SCPs, one list per level of the organization path (root, OUs, account).
    #[serde(default)]
    pub scps: Vec<Vec<DocumentSpec>>,
    /// RCPs likewise.
    #[serde(default)]
    pub rcps: Vec<Vec<DocumentSpec>>,
    /// DynamoDB tables (in the world's region), with their first items.
    #[serde(default)]
    pub tables: Vec<TableSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TableSpec {
    pub name: String,
    pub partition_key: KeySpec,
    #[serde(default)]
    pub sort_key: Option<KeySpec>,
    /// The table's resource-based policy.
    #[serde(default)]
    pub resource_policy: Option<DocumentSpec>,
    /// Items as plain YAML: strings become S, numbers N, booleans BOOL, null
    /// NULL, lists L and maps M (as boto3's TypeSerializer does).
    #[serde(default)]
    pub items: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KeySpec {
    pub name: String,
    /// `S`, `N` or `B`.
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserSpec {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub access_keys: Vec<AccessKeySpec>,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, DocumentSpec>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessKeySpec {
    pub id: String,
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleSpec {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub trust_policy: DocumentSpec,
    #[serde(default)]
    pub inline_policies: BTreeMap<String, DocumentSpec>,
    #[serde(default)]
    pub managed_policies: Vec<String>,
    #[serde(default)]
    pub permissions_boundary: Option<String>,
    #[serde(default)]
    pub max_session_duration: Option<i64>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManagedPolicySpec {
    pub name: String,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub document: DocumentSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OidcProviderSpec {
    /// `https://host[/path]`: a built-in issuer's URL, or an external issuer's.
    pub url: String,
    pub client_ids: Vec<String>,
    /// Left empty for a built-in issuer: the emulator fills in its certificate's thumbprint.
    #[serde(default)]
    pub thumbprints: Vec<String>,
    /// For an external issuer: a PEM CA bundle to verify its HTTPS certificate with.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

/// A policy document: JSON text, a YAML mapping (turned into JSON), or `{file: path}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DocumentSpec {
    File { file: PathBuf },
    Text(String),
    Inline(serde_json::Value),
}

/// Where a world went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorldError {
    /// The world file, when it came from one.
    pub file: Option<PathBuf>,
    /// Line and column (from 1) for errors of shape and type.
    pub position: Option<(usize, usize)>,
    /// The YAML path of the offending value, e.g. `accounts[0].roles[1].trustPolicy`.
    pub path: Option<String>,
    pub message: String,
}

impl fmt::Display for WorldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if let Some((line, column)) = self.position {
            write!(f, "{line}:{column}:")?;
        }
        if self.file.is_some() || self.position.is_some() {
            f.write_str(" ")?;
        }
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for WorldError {}

fn at(path: impl Into<String>, message: impl Into<String>) -> WorldError {
    WorldError {
        file: None,
        position: None,
        path: Some(path.into()),
        message: message.into(),
    }
}

/// Where `file:` references of a world resolve: a folder on disk, or files
/// compiled into the binary (the seed's world, which must work anywhere).
#[derive(Debug, Clone, Copy)]
pub enum Files<'a> {
    Dir(&'a Path),
    Embedded(&'a [(&'a str, &'a str)]),
}

impl Files<'_> {
    pub fn read(&self, file: &Path) -> Result<String, String> {
        match self {
            Files::Dir(base) => {
                std::fs::read_to_string(base.join(file)).map_err(|e| format!("cannot read {}: {e}", file.display()))
            }
            Files::Embedded(files) => files
                .iter()
                .find(|(name, _)| Path::new(name) == file)
                .map(|(_, text)| text.to_string())
                .ok_or_else(|| format!("cannot read {}: not among the built-in files", file.display())),
        }
    }
}

/// The seed's world: the chain of the post in `shared/seed/`, built into the binary.
pub const SEED_WORLD: &str = include_str!("../seed/world.yaml");
const SEED_FILES: &[(&str, &str)] = &[
    (
        "ccoctl-trust-policy.json",
        include_str!("../seed/ccoctl-trust-policy.json"),
    ),
    (
        "ccoctl-permissions-policy.json",
        include_str!("../seed/ccoctl-permissions-policy.json"),
    ),
    ("trust-policy.json", include_str!("../seed/trust-policy.json")),
    (
        "dynamodb-reader-policy.json",
        include_str!("../seed/dynamodb-reader-policy.json"),
    ),
];

/// Builds the seed's world.
pub fn seed_world(now: i64) -> Result<BuiltWorld, WorldError> {
    World::from_yaml(SEED_WORLD)?.build(Files::Embedded(SEED_FILES), now)
}

/// A built world: the state the services start from and the issuers to run.
#[derive(Debug, Clone)]
pub struct BuiltWorld {
    pub region: String,
    pub state: State,
    pub issuers: Vec<BuiltIssuer>,
    /// External issuers' CA bundles by provider URL.
    pub external_roots: BTreeMap<String, String>,
    /// DynamoDB tables to create: each as CreateTable's input, its resource
    /// policy, and PutItem inputs for its items, all in DynamoDB JSON.
    pub tables: Vec<BuiltTable>,
}

#[derive(Debug, Clone)]
pub struct BuiltTable {
    pub account: String,
    /// The YAML path, for errors the data plane finds.
    pub path: String,
    pub create: serde_json::Value,
    pub resource_policy: Option<String>,
    pub items: Vec<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct BuiltIssuer {
    pub name: String,
    pub url: String,
    pub service_accounts: Option<Vec<(String, String)>>,
    pub signing_key_pem: Option<String>,
}

impl World {
    /// Reads a world from YAML text.
    pub fn from_yaml(text: &str) -> Result<World, WorldError> {
        serde_yaml_ng::from_str(text).map_err(|e| WorldError {
            file: None,
            position: e.location().map(|l| (l.line(), l.column())),
            path: None,
            message: e.to_string(),
        })
    }

    /// Reads and builds the world in `path`; file references resolve from its folder.
    pub fn load(path: &Path, now: i64) -> Result<BuiltWorld, WorldError> {
        let with_file = |mut e: WorldError| {
            e.file = Some(path.to_path_buf());
            e
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            with_file(WorldError {
                file: None,
                position: None,
                path: None,
                message: format!("cannot read the world file: {e}"),
            })
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        World::from_yaml(&text)
            .and_then(|w| w.build(Files::Dir(base), now))
            .map_err(with_file)
    }

    /// Checks the world as a whole and turns it into state.
    pub fn build(&self, base: Files<'_>, now: i64) -> Result<BuiltWorld, WorldError> {
        let region = self.region.clone().unwrap_or_else(|| "us-east-1".into());
        if !valid_region(&region) {
            return Err(at(
                "region",
                format!("'{region}' is not a region name such as us-east-1"),
            ));
        }
        let mut issuers = Vec::new();
        for (i, spec) in self.issuers.iter().enumerate() {
            let path = format!("issuers[{i}]");
            if issuers.iter().any(|b: &BuiltIssuer| b.name == spec.name) {
                return Err(at(
                    format!("{path}.name"),
                    format!("a second issuer is named '{}'", spec.name),
                ));
            }
            check_issuer_url(&spec.url).map_err(|m| at(format!("{path}.url"), m))?;
            let service_accounts = match &spec.service_accounts {
                None => None,
                Some(list) => Some(
                    list.iter()
                        .enumerate()
                        .map(|(j, sa)| {
                            sa.split_once('/')
                                .filter(|(ns, name)| !ns.is_empty() && !name.is_empty() && !name.contains('/'))
                                .map(|(ns, name)| (ns.to_string(), name.to_string()))
                                .ok_or_else(|| {
                                    at(
                                        format!("{path}.serviceAccounts[{j}]"),
                                        format!("'{sa}' is not of the form namespace/serviceaccount"),
                                    )
                                })
                        })
                        .collect::<Result<Vec<_>, _>>()?,
                ),
            };
            let signing_key_pem = match &spec.signing_key_file {
                None => None,
                Some(file) => Some(base.read(file).map_err(|m| at(format!("{path}.signingKeyFile"), m))?),
            };
            issuers.push(BuiltIssuer {
                name: spec.name.clone(),
                url: spec.url.clone(),
                service_accounts,
                signing_key_pem,
            });
        }

        let mut state = State::default();
        state.aws_managed = aws_managed_policies(now);
        let mut external_roots = BTreeMap::new();
        let mut tables = Vec::new();
        for (i, spec) in self.accounts.iter().enumerate() {
            for (j, table) in spec.tables.iter().enumerate() {
                tables.push(build_table(
                    table,
                    &spec.id,
                    &format!("accounts[{i}].tables[{j}]"),
                    base,
                )?);
            }
            let path = format!("accounts[{i}]");
            let account = build_account(spec, &path, base, now, &mut state, &mut external_roots)?;
            if state.accounts.contains_key(&account.id) {
                return Err(at(
                    format!("{path}.id"),
                    format!("account {} is defined twice", account.id),
                ));
            }
            state.accounts.insert(account.id.clone(), account);
        }
        // References to managed policies may cross accounts only towards AWS managed ones.
        for (i, spec) in self.accounts.iter().enumerate() {
            let account = &state.accounts[&spec.id];
            for (j, role) in spec.roles.iter().enumerate() {
                let path = format!("accounts[{i}].roles[{j}]");
                check_policy_refs(
                    &state,
                    account,
                    &path,
                    &role.managed_policies,
                    role.permissions_boundary.as_deref(),
                )?;
            }
            for (j, user) in spec.users.iter().enumerate() {
                let path = format!("accounts[{i}].users[{j}]");
                check_policy_refs(
                    &state,
                    account,
                    &path,
                    &user.managed_policies,
                    user.permissions_boundary.as_deref(),
                )?;
            }
        }
        Ok(BuiltWorld {
            region,
            state,
            issuers,
            external_roots,
            tables,
        })
    }
}

fn check_policy_refs(
    state: &State,
    account: &Account,
    path: &str,
    attached: &[String],
    boundary: Option<&str>,
) -> Result<(), WorldError> {
    for (k, arn) in attached.iter().enumerate() {
        if state.managed_policy(arn).is_none() || !(arn.contains(":aws:policy/") || arn.contains(&account.id)) {
            return Err(at(
                format!("{path}.managedPolicies[{k}]"),
                format!("Policy {arn} does not exist or is not attachable."),
            ));
        }
    }
    if let Some(arn) = boundary
        && state.managed_policy(arn).is_none()
    {
        return Err(at(
            format!("{path}.permissionsBoundary"),
            format!("Policy {arn} does not exist or is not attachable."),
        ));
    }
    Ok(())
}

fn build_account(
    spec: &AccountSpec,
    path: &str,
    base: Files<'_>,
    now: i64,
    state: &mut State,
    external_roots: &mut BTreeMap<String, String>,
) -> Result<Account, WorldError> {
    if spec.id.len() != 12 || !spec.id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(at(
            format!("{path}.id"),
            format!("'{}' is not an account id: twelve digits, quoted in YAML", spec.id),
        ));
    }
    let id = spec.id.clone();
    let mut account = Account {
        id: id.clone(),
        alias: spec.alias.clone(),
        ..Account::default()
    };

    for (j, p) in spec.policies.iter().enumerate() {
        let ppath = format!("{path}.policies[{j}]");
        let policy_path = normalize_path(p.path.as_deref()).map_err(|m| at(format!("{ppath}.path"), m))?;
        check_name(&p.name, 128).map_err(|m| at(format!("{ppath}.name"), m))?;
        let arn = state::policy_arn(&id, &policy_path, &p.name);
        if account.policies.values().any(|q| q.name.eq_ignore_ascii_case(&p.name)) {
            return Err(at(
                format!("{ppath}.name"),
                format!("A policy called {} already exists.", p.name),
            ));
        }
        let document = document(&p.document, PolicyKind::Managed, base, &format!("{ppath}.document"))?;
        account.policies.insert(
            arn.clone(),
            ManagedPolicy {
                arn: arn.clone(),
                name: p.name.clone(),
                path: policy_path,
                id: ids::stable_id("ANPA", &arn),
                description: p.description.clone(),
                default_version: "v1".into(),
                versions: vec![PolicyVersion {
                    id: "v1".into(),
                    document,
                    created: now,
                }],
                tags: Vec::new(),
                created: now,
                updated: now,
            },
        );
    }

    for (j, u) in spec.users.iter().enumerate() {
        let upath = format!("{path}.users[{j}]");
        check_name(&u.name, 64).map_err(|m| at(format!("{upath}.name"), m))?;
        let key = u.name.to_ascii_lowercase();
        if account.users.contains_key(&key) {
            return Err(at(
                format!("{upath}.name"),
                format!("User with name {} already exists.", u.name),
            ));
        }
        let user_path = normalize_path(u.path.as_deref()).map_err(|m| at(format!("{upath}.path"), m))?;
        let arn = state::user_arn(&id, &user_path, &u.name);
        for (k, access_key) in u.access_keys.iter().enumerate() {
            let kpath = format!("{upath}.accessKeys[{k}]");
            if access_key.id.len() < 16 || !access_key.id.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(at(
                    format!("{kpath}.id"),
                    "an access key id is 16 to 128 letters and digits, e.g. AKIA…",
                ));
            }
            if access_key.secret.is_empty() {
                return Err(at(format!("{kpath}.secret"), "the secret access key is empty"));
            }
            if state.access_keys.contains_key(&access_key.id) {
                return Err(at(
                    format!("{kpath}.id"),
                    format!("access key {} is used twice", access_key.id),
                ));
            }
            state.access_keys.insert(
                access_key.id.clone(),
                LongTermKey {
                    secret: access_key.secret.clone(),
                    account: id.clone(),
                    user: Some(key.clone()),
                },
            );
        }
        account.users.insert(
            key,
            User {
                name: u.name.clone(),
                path: user_path,
                id: ids::stable_id("AIDA", &arn),
                arn,
                inline_policies: inline_documents(&u.inline_policies, base, &format!("{upath}.inlinePolicies"))?,
                attached_policies: u.managed_policies.clone(),
                permissions_boundary: u.permissions_boundary.clone(),
                tags: tags(&u.tags),
                created: now,
            },
        );
    }

    for (j, r) in spec.roles.iter().enumerate() {
        let rpath = format!("{path}.roles[{j}]");
        check_name(&r.name, 64).map_err(|m| at(format!("{rpath}.name"), m))?;
        let key = r.name.to_ascii_lowercase();
        if account.roles.contains_key(&key) {
            return Err(at(
                format!("{rpath}.name"),
                format!("Role with name {} already exists.", r.name),
            ));
        }
        let role_path = normalize_path(r.path.as_deref()).map_err(|m| at(format!("{rpath}.path"), m))?;
        let max = r.max_session_duration.unwrap_or(state::DEFAULT_MAX_SESSION_DURATION);
        if !(state::MIN_MAX_SESSION_DURATION..=state::MAX_MAX_SESSION_DURATION).contains(&max) {
            return Err(at(
                format!("{rpath}.maxSessionDuration"),
                format!("{max} is outside 3600..43200 seconds, IAM's bounds for MaxSessionDuration"),
            ));
        }
        let arn = state::role_arn(&id, &role_path, &r.name);
        account.roles.insert(
            key,
            Role {
                name: r.name.clone(),
                path: role_path,
                id: ids::stable_id("AROA", &arn),
                arn,
                description: r.description.clone(),
                trust_policy: document(
                    &r.trust_policy,
                    PolicyKind::Trust,
                    base,
                    &format!("{rpath}.trustPolicy"),
                )?,
                inline_policies: inline_documents(&r.inline_policies, base, &format!("{rpath}.inlinePolicies"))?,
                attached_policies: r.managed_policies.clone(),
                permissions_boundary: r.permissions_boundary.clone(),
                max_session_duration: max,
                tags: tags(&r.tags),
                created: now,
            },
        );
    }

    for (j, p) in spec.oidc_providers.iter().enumerate() {
        let ppath = format!("{path}.oidcProviders[{j}]");
        check_issuer_url(&p.url).map_err(|m| at(format!("{ppath}.url"), m))?;
        if p.client_ids.is_empty() || p.client_ids.len() > 100 {
            return Err(at(
                format!("{ppath}.clientIds"),
                "an OIDC provider has 1 to 100 client ids (audiences)",
            ));
        }
        if p.thumbprints.len() > 5
            || p.thumbprints
                .iter()
                .any(|t| t.len() != 40 || !t.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(at(
                format!("{ppath}.thumbprints"),
                "up to 5 thumbprints, each 40 hex characters (the SHA-1 of the issuer's top certificate)",
            ));
        }
        let provider = OidcProvider {
            arn: state::oidc_provider_arn(&id, &p.url),
            url: p.url.clone(),
            client_ids: p.client_ids.clone(),
            thumbprints: p.thumbprints.clone(),
            tags: Vec::new(),
            created: now,
        };
        let key = provider.key_prefix().to_string();
        if account.oidc_providers.contains_key(&key) {
            return Err(at(
                format!("{ppath}.url"),
                format!("Provider with url {} already exists.", p.url),
            ));
        }
        if let Some(file) = &p.ca_file {
            let pem = base.read(file).map_err(|m| at(format!("{ppath}.caFile"), m))?;
            external_roots.insert(p.url.clone(), pem);
        }
        account.oidc_providers.insert(key, provider);
    }

    account.scp_levels = org_levels(&spec.scps, PolicyKind::Scp, base, &format!("{path}.scps"))?;
    account.rcp_levels = org_levels(&spec.rcps, PolicyKind::Rcp, base, &format!("{path}.rcps"))?;
    Ok(account)
}

fn build_table(spec: &TableSpec, account: &str, path: &str, base: Files<'_>) -> Result<BuiltTable, WorldError> {
    let mut keys = vec![(&spec.partition_key, "HASH")];
    if let Some(sort) = &spec.sort_key {
        keys.push((sort, "RANGE"));
    }
    for (key, _) in &keys {
        if !matches!(key.kind.as_str(), "S" | "N" | "B") {
            return Err(at(
                format!(
                    "{path}.{}",
                    if key.name == spec.partition_key.name {
                        "partitionKey"
                    } else {
                        "sortKey"
                    }
                ),
                format!("key type '{}' is not one of S, N, B", key.kind),
            ));
        }
    }
    let create = serde_json::json!({
        "TableName": spec.name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": keys.iter().map(|(k, t)| serde_json::json!({"AttributeName": k.name, "KeyType": t})).collect::<Vec<_>>(),
        "AttributeDefinitions": keys.iter().map(|(k, _)| serde_json::json!({"AttributeName": k.name, "AttributeType": k.kind})).collect::<Vec<_>>(),
    });
    let resource_policy = match &spec.resource_policy {
        Some(doc) => Some(document(
            doc,
            PolicyKind::DynamodbTable,
            base,
            &format!("{path}.resourcePolicy"),
        )?),
        None => None,
    };
    let items = spec
        .items
        .iter()
        .map(|item| {
            let typed: serde_json::Map<String, serde_json::Value> =
                item.iter().map(|(k, v)| (k.clone(), typed_value(v))).collect();
            serde_json::json!({ "TableName": spec.name, "Item": typed })
        })
        .collect();
    Ok(BuiltTable {
        account: account.to_string(),
        path: path.to_string(),
        create,
        resource_policy,
        items,
    })
}

/// A plain value in DynamoDB JSON, typed as boto3's TypeSerializer types it.
fn typed_value(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Value, json};
    match value {
        Value::Null => json!({ "NULL": true }),
        Value::Bool(b) => json!({ "BOOL": b }),
        Value::Number(n) => json!({ "N": n.to_string() }),
        Value::String(s) => json!({ "S": s }),
        Value::Array(list) => json!({ "L": list.iter().map(typed_value).collect::<Vec<_>>() }),
        Value::Object(map) => {
            json!({ "M": map.iter().map(|(k, v)| (k.clone(), typed_value(v))).collect::<serde_json::Map<_, _>>() })
        }
    }
}

fn org_levels(
    levels: &[Vec<DocumentSpec>],
    kind: PolicyKind,
    base: Files<'_>,
    path: &str,
) -> Result<Vec<Vec<NamedDocument>>, WorldError> {
    levels
        .iter()
        .enumerate()
        .map(|(l, level)| {
            level
                .iter()
                .enumerate()
                .map(|(k, spec)| {
                    let name = format!("{}-level{l}-{k}", kind.name());
                    Ok(NamedDocument {
                        name,
                        document: document(spec, kind, base, &format!("{path}[{l}][{k}]"))?,
                    })
                })
                .collect()
        })
        .collect()
}

fn inline_documents(
    specs: &BTreeMap<String, DocumentSpec>,
    base: Files<'_>,
    path: &str,
) -> Result<BTreeMap<String, String>, WorldError> {
    specs
        .iter()
        .map(|(name, spec)| {
            check_name(name, 128).map_err(|m| at(format!("{path}.{name}"), m))?;
            Ok((
                name.clone(),
                document(spec, PolicyKind::Identity, base, &format!("{path}.{name}"))?,
            ))
        })
        .collect()
}

/// The document's JSON text, checked by the engine as IAM would check it.
fn document(spec: &DocumentSpec, kind: PolicyKind, base: Files<'_>, path: &str) -> Result<String, WorldError> {
    let text = match spec {
        DocumentSpec::Text(text) => text.clone(),
        DocumentSpec::Inline(value) => serde_json::to_string_pretty(value).unwrap_or_default(),
        DocumentSpec::File { file } => base.read(file).map_err(|m| at(path, m))?,
    };
    Policy::parse(kind, &text).map_err(|e| {
        let place = match (e.line, e.column) {
            (Some(l), Some(c)) => format!(" (document line {l}, column {c})"),
            _ => String::new(),
        };
        at(path, format!("{}: {}{place}", e.code, e.message))
    })?;
    Ok(text)
}

fn tags(map: &BTreeMap<String, String>) -> Vec<Tag> {
    map.iter()
        .map(|(k, v)| Tag {
            key: k.clone(),
            value: v.clone(),
        })
        .collect()
}

/// IAM's name rule for users, roles and policies: `[\w+=,.@-]+`, bounded length.
pub fn check_name(name: &str, max: usize) -> Result<(), String> {
    if name.is_empty() || name.len() > max {
        return Err(format!("'{name}' must be 1 to {max} characters long"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c)))
    {
        return Err(format!(
            "'{name}' has the character '{c}'; names take letters, digits and _+=,.@-"
        ));
    }
    Ok(())
}

/// An IAM path: `/` or `/a/b/`, at most 512 characters; `None` is `/`.
pub fn normalize_path(path: Option<&str>) -> Result<String, String> {
    let path = path.unwrap_or("/");
    if !path.starts_with('/') || !path.ends_with('/') || path.len() > 512 || path.contains("//") {
        return Err(format!(
            "'{path}' is not an IAM path: it must begin and end with / (e.g. /team/app/)"
        ));
    }
    if path.chars().any(|c| !(c == '/' || ('\u{21}'..='\u{7e}').contains(&c))) {
        return Err(format!("'{path}' has characters an IAM path cannot hold"));
    }
    Ok(path.to_string())
}

/// An issuer URL as IAM takes it: `https://`, a host, an optional path, nothing else.
pub fn check_issuer_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("https://") else {
        return Err(format!("'{url}' must begin with https://"));
    };
    let host = rest.split('/').next().unwrap_or("");
    if host.is_empty() || rest.contains(['?', '#', ' ']) {
        return Err(format!(
            "'{url}' is not an issuer URL: https://host[/path], without query or fragment"
        ));
    }
    Ok(())
}

fn valid_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
        && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// The AWS managed policies the emulator knows (a small, documented subset).
fn aws_managed_policies(now: i64) -> BTreeMap<String, ManagedPolicy> {
    let all = [
        (
            "AdministratorAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        ),
        (
            "IAMFullAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:*","organizations:DescribeAccount","organizations:DescribeOrganization","organizations:DescribeOrganizationalUnit","organizations:DescribePolicy","organizations:ListChildren","organizations:ListParents","organizations:ListPoliciesForTarget","organizations:ListRoots","organizations:ListPolicies","organizations:ListTargetsForPolicy"],"Resource":"*"}]}"#,
        ),
        (
            "IAMReadOnlyAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:GenerateCredentialReport","iam:GenerateServiceLastAccessedDetails","iam:Get*","iam:List*","iam:SimulateCustomPolicy","iam:SimulatePrincipalPolicy"],"Resource":"*"}]}"#,
        ),
        (
            "AmazonDynamoDBReadOnlyAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:BatchGetItem","dynamodb:Describe*","dynamodb:List*","dynamodb:GetItem","dynamodb:Query","dynamodb:Scan","dynamodb:PartiQLSelect"],"Resource":"*"}]}"#,
        ),
        (
            "AmazonDynamoDBFullAccess",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:*"],"Resource":"*"}]}"#,
        ),
    ];
    all.iter()
        .map(|(name, document)| {
            let arn = format!("arn:aws:iam::aws:policy/{name}");
            (
                arn.clone(),
                ManagedPolicy {
                    id: ids::stable_id("ANPA", &arn),
                    arn,
                    name: name.to_string(),
                    path: "/".into(),
                    description: None,
                    default_version: "v1".into(),
                    versions: vec![PolicyVersion {
                        id: "v1".into(),
                        document: document.to_string(),
                        created: now,
                    }],
                    tags: Vec::new(),
                    created: now,
                    updated: now,
                },
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
region: eu-west-2
issuers:
  - name: my-cluster
    url: https://oidc.rolechain.local/my-cluster
    serviceAccounts: [my-namespace/dev-db-reader]
accounts:
  - id: "111111111111"
    users:
      - name: admin
        accessKeys: [{id: AKIAIOSFODNN7EXAMPLE, secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}]
        managedPolicies: [arn:aws:iam::aws:policy/AdministratorAccess]
    oidcProviders:
      - url: https://oidc.rolechain.local/my-cluster
        clientIds: [openshift, sts.amazonaws.com]
    roles:
      - name: reader
        trustPolicy:
          Version: "2012-10-17"
          Statement:
            - Effect: Allow
              Principal: {Federated: arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster}
              Action: sts:AssumeRoleWithWebIdentity
        inlinePolicies:
          assume: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}'
"#;

    #[test]
    fn reads_a_small_world() {
        let built = World::from_yaml(SMALL)
            .unwrap()
            .build(Files::Dir(Path::new(".")), 0)
            .unwrap();
        assert_eq!(built.region, "eu-west-2");
        let role = built.state.role("111111111111", "READER").unwrap();
        assert_eq!(role.arn, "arn:aws:iam::111111111111:role/reader");
        assert!(role.id.starts_with("AROA") && role.id.len() == 21);
        assert!(built.state.access_keys.contains_key("AKIAIOSFODNN7EXAMPLE"));
        assert_eq!(
            built.issuers[0].service_accounts.as_ref().unwrap()[0].1,
            "dev-db-reader"
        );
        let provider = &built.state.accounts["111111111111"].oidc_providers["oidc.rolechain.local/my-cluster"];
        assert_eq!(
            provider.arn,
            "arn:aws:iam::111111111111:oidc-provider/oidc.rolechain.local/my-cluster"
        );
    }

    #[test]
    fn shape_errors_have_line_and_column() {
        let err = World::from_yaml("accounts:\n  - id: \"111111111111\"\n    rolez: []\n").unwrap_err();
        assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
        assert!(err.message.contains("rolez"), "{err}");
    }

    #[test]
    fn whole_world_errors_name_the_path() {
        let bad_trust = SMALL.replace(
            "Action: sts:AssumeRoleWithWebIdentity",
            "Actions: sts:AssumeRoleWithWebIdentity",
        );
        let err = World::from_yaml(&bad_trust)
            .unwrap()
            .build(Files::Dir(Path::new(".")), 0)
            .unwrap_err();
        assert_eq!(err.path.as_deref(), Some("accounts[0].roles[0].trustPolicy"), "{err}");
        assert!(err.message.starts_with("MalformedPolicyDocument"), "{err}");

        let bad_ref = SMALL.replace("policy/AdministratorAccess", "policy/NoSuchPolicy");
        let err = World::from_yaml(&bad_ref)
            .unwrap()
            .build(Files::Dir(Path::new(".")), 0)
            .unwrap_err();
        assert_eq!(err.path.as_deref(), Some("accounts[0].users[0].managedPolicies[0]"));

        let bad_account = SMALL.replace("\"111111111111\"\n    users", "\"1111\"\n    users");
        let err = World::from_yaml(&bad_account)
            .unwrap()
            .build(Files::Dir(Path::new(".")), 0)
            .unwrap_err();
        assert_eq!(err.path.as_deref(), Some("accounts[0].id"));
    }

    #[test]
    fn names_and_paths_follow_iam_rules() {
        assert!(check_name("my-role_1@x", 64).is_ok());
        assert!(check_name("bad name", 64).is_err());
        assert!(check_name(&"a".repeat(65), 64).is_err());
        assert_eq!(normalize_path(None).unwrap(), "/");
        assert!(normalize_path(Some("/a/b/")).is_ok());
        assert!(normalize_path(Some("a/")).is_err());
        assert!(check_issuer_url("http://x").is_err());
        assert!(check_issuer_url("https://x/p").is_ok());
    }
}
