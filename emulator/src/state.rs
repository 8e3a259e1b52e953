//! What the emulator knows: accounts with their users, roles, managed
//! policies, OIDC providers and organization policies, and the sessions STS
//! has handed out. Plain data; the services (`sts`, `iam`) change it under one
//! lock so that no call is ever half-applied.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// The partition every ARN is in.
pub const PARTITION: &str = "aws";

/// Default and bounds of a role's MaxSessionDuration (IAM model).
pub const DEFAULT_MAX_SESSION_DURATION: i64 = 3600;
pub const MIN_MAX_SESSION_DURATION: i64 = 3600;
pub const MAX_MAX_SESSION_DURATION: i64 = 43200;

/// Serialized (by `persist`) without its sessions: temporary credentials do
/// not survive a restart.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct State {
    pub accounts: BTreeMap<String, Account>,
    /// Long-term access keys (`AKIA…`) of IAM users and roots: key id → owner.
    pub access_keys: HashMap<String, LongTermKey>,
    /// Temporary credentials (`ASIA…`): key id → session.
    #[serde(skip)]
    pub sessions: HashMap<String, Session>,
    /// The session count at which expired sessions are next swept out (see
    /// [`State::insert_session`]).
    #[serde(skip)]
    sweep_at: usize,
    /// AWS managed policies (`arn:aws:iam::aws:policy/…`) by ARN.
    pub aws_managed: BTreeMap<String, ManagedPolicy>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub alias: Option<String>,
    /// By lower-cased name: IAM names are unique case-insensitively.
    pub users: BTreeMap<String, User>,
    pub roles: BTreeMap<String, Role>,
    /// Customer managed policies by ARN.
    pub policies: BTreeMap<String, ManagedPolicy>,
    /// IAM OIDC providers by URL without the scheme (the ARN's resource part).
    pub oidc_providers: BTreeMap<String, OidcProvider>,
    /// SCPs on the account's organization path, one list per level (root, OUs, account).
    pub scp_levels: Vec<Vec<NamedDocument>>,
    /// RCPs likewise.
    pub rcp_levels: Vec<Vec<NamedDocument>>,
}

/// A policy document with the name explanations show for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedDocument {
    pub name: String,
    pub document: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub inline_policies: BTreeMap<String, String>,
    pub attached_policies: Vec<String>,
    pub permissions_boundary: Option<String>,
    pub tags: Vec<Tag>,
    pub created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub description: Option<String>,
    pub trust_policy: String,
    pub inline_policies: BTreeMap<String, String>,
    pub attached_policies: Vec<String>,
    pub permissions_boundary: Option<String>,
    pub max_session_duration: i64,
    pub tags: Vec<Tag>,
    pub created: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub arn: String,
    pub name: String,
    pub path: String,
    pub id: String,
    pub description: Option<String>,
    pub default_version: String,
    /// Oldest first; at most five (IAM's limit).
    pub versions: Vec<PolicyVersion>,
    pub tags: Vec<Tag>,
    pub created: i64,
    pub updated: i64,
}

impl ManagedPolicy {
    /// The document of the default version.
    pub fn document(&self) -> &str {
        self.versions
            .iter()
            .find(|v| v.id == self.default_version)
            .map(|v| v.document.as_str())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub document: String,
    pub created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OidcProvider {
    pub arn: String,
    /// As registered, with `https://`.
    pub url: String,
    pub client_ids: Vec<String>,
    /// SHA-1 of the issuer's top certificate, 40 hex characters each.
    pub thumbprints: Vec<String>,
    pub tags: Vec<Tag>,
    pub created: i64,
}

impl OidcProvider {
    /// The URL without its scheme: the ARN's resource part and the prefix of
    /// the provider's condition keys (`<host/path>:sub`).
    pub fn key_prefix(&self) -> &str {
        self.url.strip_prefix("https://").unwrap_or(&self.url)
    }
}

/// Who owns a long-term access key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LongTermKey {
    pub secret: String,
    pub account: String,
    /// The IAM user's lower-cased name; `None` for the account's root.
    pub user: Option<String>,
}

/// A set of temporary credentials and everything AWS remembers about how
/// they were made.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_key_id: String,
    pub secret: String,
    pub token: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub kind: SessionKind,
}

#[derive(Debug, Clone)]
pub enum SessionKind {
    /// From AssumeRole or AssumeRoleWithWebIdentity.
    Role(Box<RoleSession>),
    /// From GetSessionToken: the user's (or root's) own permissions.
    User { account: String, user: Option<String> },
}

#[derive(Debug, Clone)]
pub struct RoleSession {
    pub account: String,
    /// Lower-cased role name (the key in `Account::roles`).
    pub role_key: String,
    pub role_arn: String,
    pub role_id: String,
    pub role_name: String,
    pub session_name: String,
    /// Session policies passed at assumption (inline first, then managed ARNs resolved).
    pub session_policies: Vec<NamedDocument>,
    /// Session tags, with the transitive keys marked.
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub source_identity: Option<String>,
    /// Set for sessions from AssumeRoleWithWebIdentity.
    pub web_identity: Option<WebIdentityFacts>,
    /// Whether the credentials that asked for this session were themselves a role session.
    pub chained: bool,
    pub mfa: bool,
}

/// What a web-identity session keeps of its token (spec §2.1: only `amr`,
/// `aud`, `id` and `sub` stay usable as keys in later requests).
#[derive(Debug, Clone)]
pub struct WebIdentityFacts {
    pub provider_arn: String,
    pub key_prefix: String,
    pub subject: String,
    pub audience: String,
    pub amr: Vec<String>,
}

impl RoleSession {
    pub fn session_arn(&self) -> String {
        format!(
            "arn:{PARTITION}:sts::{}:assumed-role/{}/{}",
            self.account, self.role_name, self.session_name
        )
    }

    pub fn user_id(&self) -> String {
        format!("{}:{}", self.role_id, self.session_name)
    }
}

/// Sessions kept before the first sweep of expired ones.
const FIRST_SWEEP: usize = 4096;
/// How long an expired session is still remembered: its key then answers
/// `ExpiredToken` rather than "invalid", as AWS does for a while.
const EXPIRED_KEPT_SECONDS: i64 = 24 * 3600;

impl State {
    /// Stores a new session. Long-expired sessions are swept out when the
    /// map has doubled since the last sweep: amortised constant time, where
    /// sweeping on every insert made issuing a session linear in the number
    /// of sessions (measured: a third of AssumeRole's time after 10^4 calls).
    pub fn insert_session(&mut self, session: Session, now: i64) {
        if self.sessions.len() >= self.sweep_at.max(FIRST_SWEEP) {
            self.sessions.retain(|_, s| s.expires_at > now - EXPIRED_KEPT_SECONDS);
            self.sweep_at = (self.sessions.len() * 2).max(FIRST_SWEEP);
        }
        self.sessions.insert(session.access_key_id.clone(), session);
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.get(id)
    }

    pub fn role(&self, account: &str, name: &str) -> Option<&Role> {
        self.accounts.get(account)?.roles.get(&name.to_ascii_lowercase())
    }

    /// A managed policy by ARN: the account's own or an AWS managed one.
    pub fn managed_policy(&self, arn: &str) -> Option<&ManagedPolicy> {
        if let Some(p) = self.aws_managed.get(arn) {
            return Some(p);
        }
        let account = arn.split(':').nth(4)?;
        self.accounts.get(account)?.policies.get(arn)
    }
}

/// Splits a role ARN `arn:aws:iam::ACCT:role/path/name` into (account, path, name).
pub fn parse_role_arn(arn: &str) -> Option<(String, String, String)> {
    let rest = arn.strip_prefix("arn:")?;
    let mut parts = rest.splitn(5, ':');
    let _partition = parts.next().filter(|p| !p.is_empty())?;
    let service = parts.next()?;
    let region = parts.next()?;
    let account = parts.next()?;
    let resource = parts.next()?;
    if service != "iam" || !region.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let path_and_name = resource.strip_prefix("role/")?;
    let (path, name) = match path_and_name.rfind('/') {
        Some(i) => (format!("/{}", &path_and_name[..=i]), &path_and_name[i + 1..]),
        None => ("/".to_string(), path_and_name),
    };
    if name.is_empty() {
        return None;
    }
    let path = path.replace("//", "/");
    Some((account.to_string(), path, name.to_string()))
}

/// `arn:aws:iam::ACCT:role/PATH/NAME` with `path` like `/` or `/a/b/`.
pub fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:{PARTITION}:iam::{account}:role{path}{name}")
}

pub fn user_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:{PARTITION}:iam::{account}:user{path}{name}")
}

pub fn policy_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:{PARTITION}:iam::{account}:policy{path}{name}")
}

pub fn oidc_provider_arn(account: &str, url: &str) -> String {
    let prefix = url.strip_prefix("https://").unwrap_or(url);
    format!("arn:{PARTITION}:iam::{account}:oidc-provider/{prefix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_split_into_account_path_and_name() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::111111111111:role/dynamodb-reader"),
            Some(("111111111111".into(), "/".into(), "dynamodb-reader".into()))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::111111111111:role/team/app/reader"),
            Some(("111111111111".into(), "/team/app/".into(), "reader".into()))
        );
        assert_eq!(parse_role_arn("arn:aws:iam::1111:role/x"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::111111111111:user/x"), None);
        assert_eq!(parse_role_arn("arn:aws:iam::111111111111:role/"), None);
        assert_eq!(parse_role_arn("not an arn"), None);
    }
}
