//! `ccoctl aws create-iam-roles` and `create-identity-provider`, offline:
//! what openshift/cloud-credential-operator's ccoctl writes and sends, byte
//! for byte where the bytes are observable (spec irsa-openshift-facts §1, §2).
//!
//! The pure part lives here and is unit-tested against the spec:
//! [`requests`] finds and reads CredentialsRequests, [`render`] turns one into
//! a [`RolePlan`] (role name, trust and permissions policies, Secret, dry-run
//! files), [`issuer_docs`] renders the identity provider's documents.
//! [`files`] writes the output directory with ccoctl's modes. Two executors
//! carry a plan out: [`iam`] as an IAM client over the wire (the AWS SDK for
//! Rust), [`world_edit`] as text edits of a world file.

pub mod files;
pub mod iam;
pub mod issuer_docs;
pub mod render;
pub mod requests;
pub mod world_edit;

#[cfg(test)]
mod tests;

pub use render::{RolePlan, plan};
pub use requests::{CredentialsRequest, discover};

/// Prefix of the tag key ccoctl puts on everything it makes; `<prefix>/<--name>` = `owned`.
pub const TAG_KEY_PREFIX: &str = "openshift.io/cloud-credential-operator";
/// The value of that tag.
pub const TAG_OWNED: &str = "owned";
/// The second tag's key; its value is `--name`.
pub const NAME_TAG_KEY: &str = "Name";
/// Where ccoctl's Secret points the SDK for the token (`OidcTokenPath`).
pub const TOKEN_PATH: &str = "/var/run/secrets/openshift/serviceaccount/token";
/// The audiences ccoctl registers on the IAM OIDC provider (§2.4).
pub const CLIENT_IDS: [&str; 2] = ["openshift", "sts.amazonaws.com"];
/// IAM's role-name limit, at which ccoctl cuts the name (`roleName[0:64]`).
pub const ROLE_NAME_MAX: usize = 64;
/// The issuer ccoctl puts in dry-run trust policies.
pub const DRY_RUN_ISSUER: &str = "<enter_issuer_url_here>";
/// The line ccoctl appends to a dry-run Secret so it cannot be applied as is.
pub const DRY_RUN_SECRET_LINE: &str = "POPULATE ROLE ARN AND DELETE THIS LINE";
/// The folder below `--output-dir` that receives the manifests.
pub const MANIFESTS_DIR: &str = "manifests";

/// The two tags ccoctl sets on a role or provider, in its order.
pub fn tags(name: &str) -> [(String, String); 2] {
    [
        (format!("{TAG_KEY_PREFIX}/{name}"), TAG_OWNED.to_string()),
        (NAME_TAG_KEY.to_string(), name.to_string()),
    ]
}

/// An error in ccoctl's words (upstream wraps each layer as `outer: inner`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// `context: self`, as Go's `errors.Wrap` writes it.
    pub fn wrap(self, context: impl std::fmt::Display) -> Error {
        Error(format!("{context}: {}", self.0))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

/// `arn:<partition>:iam::<account>:oidc-provider/<url without scheme>` split into account and
/// the scheme-less URL; `None` when the ARN is not one of an OIDC provider.
pub fn split_provider_arn(arn: &str) -> Option<(&str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (arn_word, partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let host_path = resource.strip_prefix("oidc-provider/")?;
    let ok = arn_word == "arn"
        && !partition.is_empty()
        && service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.bytes().all(|b| b.is_ascii_digit())
        && !host_path.is_empty();
    ok.then_some((account, host_path))
}
