//! What is being asked: who (the principal), what (the action), on what (the
//! resource), and every other fact AWS would know (the context keys).

use serde::Serialize;

/// An authorization request. Every fact comes in here: the engine has no clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub principal: Principal,
    /// `service:Action`, e.g. `dynamodb:GetItem`.
    pub action: String,
    /// The resource ARN (`*` for actions without resource-level permissions).
    pub resource: String,
    /// The account that owns the resource. Defaults to the ARN's account field
    /// (for S3-style ARNs without one, give it explicitly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_account: Option<String>,
    pub context: Context,
}

impl Request {
    /// The resource owner: the explicit one, else the ARN's account field.
    pub fn resource_account(&self) -> Option<&str> {
        match &self.resource_account {
            Some(a) => Some(a),
            None => colon_field(&self.resource, 4).filter(|a| !a.is_empty()),
        }
    }
}

/// Field `n` (from 0) of `text` split at colons: `text.split(':').nth(n)`,
/// with a plain byte scan, cheaper than `split`'s searcher on short fields.
pub(crate) fn colon_field(text: &str, n: usize) -> Option<&str> {
    let mut rest = text;
    for _ in 0..n {
        rest = &rest[rest.bytes().position(|b| b == b':')? + 1..];
    }
    Some(&rest[..rest.bytes().position(|b| b == b':').unwrap_or(rest.len())])
}

/// Who makes the request.
/// As JSON: `{"type": "assumedRole", "arn": ..., "roleArn": ...}` and so on
/// (read by [`crate::wire`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Principal {
    /// The account's root user (`arn:aws:iam::ACCOUNT:root`).
    #[serde(rename_all = "camelCase")]
    Root { account: String },
    /// An IAM user.
    #[serde(rename_all = "camelCase")]
    User { arn: String },
    /// A role session: `arn` is the session ARN (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`);
    /// `role_arn` the role's ARN with its path (defaults to the path-less role ARN).
    #[serde(rename_all = "camelCase")]
    AssumedRole {
        arn: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        role_arn: Option<String>,
    },
    /// A federated user session (`arn:aws:sts::ACCOUNT:federated-user/NAME`).
    #[serde(rename_all = "camelCase")]
    FederatedUser { arn: String },
    /// The caller of AssumeRoleWithWebIdentity (or SAML): not yet an AWS identity,
    /// known by its identity provider (an IAM OIDC provider ARN or a name such as
    /// `cognito-identity.amazonaws.com`).
    #[serde(rename_all = "camelCase")]
    WebIdentity { provider: String },
    /// An AWS service principal such as `ec2.amazonaws.com`.
    #[serde(rename_all = "camelCase")]
    Service { service: String },
    /// An unauthenticated caller.
    Anonymous,
}

impl Principal {
    /// Classifies a caller ARN as IAM's simulator does with `CallerArn`.
    pub fn from_arn(arn: &str) -> Option<Principal> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [prefix, partition, service, _region, account, resource] = parts.as_slice() else {
            return None;
        };
        if *prefix != "arn" || partition.is_empty() || account.is_empty() {
            return None;
        }
        let arn = arn.to_string();
        match (*service, *resource) {
            ("iam", "root") => Some(Principal::Root {
                account: account.to_string(),
            }),
            ("iam", r) if r.starts_with("user/") => Some(Principal::User { arn }),
            ("sts", r) if r.starts_with("assumed-role/") && r.matches('/').count() >= 2 => {
                Some(Principal::AssumedRole { arn, role_arn: None })
            }
            ("sts", r) if r.starts_with("federated-user/") => Some(Principal::FederatedUser { arn }),
            // A role ARN as caller stands for a session of that role.
            ("iam", r) if r.starts_with("role/") => {
                let name = r.rsplit('/').next().unwrap_or(r);
                Some(Principal::AssumedRole {
                    arn: format!("arn:{partition}:sts::{account}:assumed-role/{name}/session"),
                    role_arn: Some(arn),
                })
            }
            _ => None,
        }
    }

    /// The account the principal belongs to, for AWS identities.
    pub fn account(&self) -> Option<&str> {
        match self {
            Principal::Root { account } => Some(account),
            Principal::User { arn } | Principal::AssumedRole { arn, .. } | Principal::FederatedUser { arn } => {
                colon_field(arn, 4)
            }
            Principal::WebIdentity { .. } | Principal::Service { .. } | Principal::Anonymous => None,
        }
    }

    /// The ARN AWS shows in "User: ... is not authorized" messages.
    pub fn display_arn(&self) -> String {
        match self {
            Principal::Root { account } => format!("arn:aws:iam::{account}:root"),
            Principal::User { arn } | Principal::AssumedRole { arn, .. } | Principal::FederatedUser { arn } => {
                arn.clone()
            }
            Principal::WebIdentity { provider } => provider.clone(),
            Principal::Service { service } => service.clone(),
            Principal::Anonymous => "anonymous".into(),
        }
    }

    /// The role ARN of a session: the explicit one, else `arn:P:iam::A:role/NAME`.
    pub fn role_arn(&self) -> Option<String> {
        self.role_arn_ref().map(std::borrow::Cow::into_owned)
    }

    /// [`Principal::role_arn`], borrowed when it is given (no copy per decision).
    pub(crate) fn role_arn_ref(&self) -> Option<std::borrow::Cow<'_, str>> {
        let Principal::AssumedRole { arn, role_arn } = self else {
            return None;
        };
        if let Some(r) = role_arn {
            return Some(std::borrow::Cow::Borrowed(r));
        }
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [_, partition, _, _, account, resource] = parts.as_slice() else {
            return None;
        };
        let name = resource.strip_prefix("assumed-role/")?.split('/').next()?;
        Some(std::borrow::Cow::Owned(format!(
            "arn:{partition}:iam::{account}:role/{name}"
        )))
    }

    /// Whether the principal is a session (role or federated user), to which session policies apply.
    pub fn is_session(&self) -> bool {
        matches!(self, Principal::AssumedRole { .. } | Principal::FederatedUser { .. })
    }

    /// Principals with no identity-based policies of their own: only the
    /// resource's policy can grant them anything.
    pub fn has_identity_side(&self) -> bool {
        !matches!(
            self,
            Principal::WebIdentity { .. } | Principal::Service { .. } | Principal::Anonymous
        )
    }
}

/// The request context: condition keys and their values.
///
/// Key names are case-insensitive (the tag-key part of `aws:PrincipalTag/Key`
/// too), so they are stored lower-cased. A key holds either one value or a
/// list (multivalued keys such as `aws:TagKeys`). Empty strings count as no
/// value, as in AWS.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Context {
    /// Sorted by (hash, key) for binary search: deciding looks keys up often,
    /// and comparing hashes first spares most string comparisons.
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    hash: u64,
    key: String,
    value: ContextValue,
}

/// As a JSON object of the (lower-cased) keys in name order.
impl Serialize for Context {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut sorted: Vec<&Entry> = self.entries.iter().collect();
        sorted.sort_by(|a, b| a.key.cmp(&b.key));
        let mut map = s.serialize_map(Some(sorted.len()))?;
        for e in sorted {
            map.serialize_entry(&e.key, &e.value)?;
        }
        map.end()
    }
}

/// FNV-1a of a lower-cased key: cheap, stable, and the same in every host.
#[inline(always)]
pub fn key_hash(lower_key: &str) -> u64 {
    lower_key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum ContextValue {
    Single(String),
    Multi(Vec<String>),
}

impl ContextValue {
    pub fn values(&self) -> &[String] {
        match self {
            ContextValue::Single(v) => std::slice::from_ref(v),
            ContextValue::Multi(v) => v,
        }
    }
}

impl Context {
    pub fn new() -> Context {
        Context::default()
    }

    pub fn with_capacity(keys: usize) -> Context {
        Context {
            entries: Vec::with_capacity(keys),
        }
    }

    /// Sets a single-valued key; an empty string removes it.
    pub fn set(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        if value.is_empty() {
            self.remove(key);
        } else {
            self.insert(key, ContextValue::Single(value));
        }
        self
    }

    /// Sets a multivalued key; empty strings are dropped, an empty list is kept (an empty set).
    pub fn set_multi<I, S>(&mut self, key: &str, values: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let values: Vec<String> = values.into_iter().map(Into::into).filter(|v| !v.is_empty()).collect();
        self.insert(key, ContextValue::Multi(values));
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    pub fn with_multi<I, S>(mut self, key: &str, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.set_multi(key, values);
        self
    }

    pub fn remove(&mut self, key: &str) {
        let key = key.to_ascii_lowercase();
        if let Ok(i) = self.search(key_hash(&key), &key) {
            self.entries.remove(i);
        }
    }

    fn insert(&mut self, key: &str, value: ContextValue) {
        let key = key.to_ascii_lowercase();
        let hash = key_hash(&key);
        match self.search(hash, &key) {
            Ok(i) => self.entries[i].value = value,
            Err(i) => self.entries.insert(i, Entry { hash, key, value }),
        }
    }

    fn search(&self, hash: u64, lower_key: &str) -> Result<usize, usize> {
        // A binary search on the hashes alone, then the keys of that hash
        // (nearly always none or one) in order: deciding looks keys up often,
        // and comparing hashes is cheaper than comparing (hash, key) pairs.
        let mut at = self.entries.partition_point(|e| e.hash < hash);
        while let Some(e) = self.entries.get(at).filter(|e| e.hash == hash) {
            match e.key.as_str().cmp(lower_key) {
                std::cmp::Ordering::Less => at += 1,
                std::cmp::Ordering::Equal => return Ok(at),
                std::cmp::Ordering::Greater => break,
            }
        }
        Err(at)
    }

    /// Looks up a key by its lower-cased name and that name's [`key_hash`].
    pub fn get_hashed(&self, hash: u64, lower_key: &str) -> Option<&ContextValue> {
        self.search(hash, lower_key).ok().map(|i| &self.entries[i].value)
    }

    /// Looks up a key by its lower-cased name.
    pub fn get_lower(&self, lower_key: &str) -> Option<&ContextValue> {
        self.get_hashed(key_hash(lower_key), lower_key)
    }

    /// Looks up a key by any spelling.
    pub fn get(&self, key: &str) -> Option<&ContextValue> {
        self.get_lower(&key.to_ascii_lowercase())
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &ContextValue)> {
        self.entries.iter().map(|e| (e.key.as_str(), &e.value))
    }

    /// Adds the keys AWS derives from the principal (`aws:PrincipalArn`,
    /// `aws:PrincipalAccount`, `aws:PrincipalType`, `aws:userid`, `aws:username`)
    /// where the context does not already hold them.
    pub fn add_principal_keys(&mut self, principal: &Principal) {
        let mut add = |key: &str, value: String| {
            if !self.contains(key) {
                self.set(key, value);
            }
        };
        match principal {
            Principal::Root { account } => {
                add("aws:PrincipalArn", format!("arn:aws:iam::{account}:root"));
                add("aws:PrincipalAccount", account.clone());
                add("aws:PrincipalType", "Account".into());
                add("aws:userid", account.clone());
            }
            Principal::User { arn } => {
                add("aws:PrincipalArn", arn.clone());
                add("aws:PrincipalType", "User".into());
                if let Some(name) = arn.rsplit('/').next() {
                    add("aws:username", name.to_string());
                }
            }
            Principal::AssumedRole { arn, .. } => {
                if let Some(role) = principal.role_arn() {
                    add("aws:PrincipalArn", role);
                }
                add("aws:PrincipalType", "AssumedRole".into());
                if let Some(session) = arn.rsplit('/').next() {
                    // Without the role's unique id, the role name stands in for it.
                    let role_name = arn.rsplit('/').nth(1).unwrap_or_default();
                    add("aws:userid", format!("{role_name}:{session}"));
                }
            }
            Principal::FederatedUser { arn } => {
                add("aws:PrincipalArn", arn.clone());
                add("aws:PrincipalType", "FederatedUser".into());
                if let (Some(account), Some(name)) = (principal.account(), arn.rsplit('/').next()) {
                    add("aws:userid", format!("{account}:{name}"));
                }
            }
            Principal::Anonymous => {
                add("aws:PrincipalType", "Anonymous".into());
                add("aws:userid", "anonymous".into());
                add("aws:PrincipalAccount", "anonymous".into());
            }
            Principal::WebIdentity { provider } => {
                if !self.contains("aws:FederatedProvider") {
                    self.set("aws:FederatedProvider", provider.clone());
                }
            }
            Principal::Service { service } => {
                add("aws:PrincipalServiceName", service.clone());
            }
        }
        if let Some(account) = principal.account()
            && !self.contains("aws:PrincipalAccount")
        {
            self.set("aws:PrincipalAccount", account.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colon_fields_are_split_fields() {
        for text in [
            "",
            ":",
            "a",
            "arn:aws:s3:::b",
            "arn:aws:iam::1:role/r",
            "a:b:c:d:e:f:g:h",
            "é:ü::",
        ] {
            for n in 0..8 {
                assert_eq!(colon_field(text, n), text.split(':').nth(n), "{text} {n}");
            }
        }
    }

    #[test]
    fn keys_are_case_insensitive() {
        let ctx = Context::new()
            .with("aws:PrincipalTag/Team", "a")
            .with("AWS:SourceIp", "1.2.3.4");
        assert!(ctx.get("aws:principaltag/team").is_some());
        assert!(ctx.get("aws:sourceip").is_some());
        assert_eq!(Context::new().with("k", "").get("k"), None);
    }

    #[test]
    fn classifies_caller_arns() {
        let p = Principal::from_arn("arn:aws:sts::111122223333:assumed-role/reader/s1").unwrap();
        assert_eq!(p.role_arn().unwrap(), "arn:aws:iam::111122223333:role/reader");
        assert_eq!(p.account(), Some("111122223333"));
        assert!(matches!(
            Principal::from_arn("arn:aws:iam::1:root"),
            Some(Principal::Root { .. })
        ));
        assert!(Principal::from_arn("nope").is_none());
    }

    #[test]
    fn context_from_json() {
        let ctx = Context::from_json_str(r#"{"aws:TagKeys":["a",""],"aws:SecureTransport":true,"n":5}"#).unwrap();
        assert_eq!(ctx.get("aws:tagkeys").unwrap().values(), ["a"]);
        assert_eq!(ctx.get("aws:securetransport").unwrap().values(), ["true"]);
        assert_eq!(ctx.get("N").unwrap().values(), ["5"]);
    }
}
