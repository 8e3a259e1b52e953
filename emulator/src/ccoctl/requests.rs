//! Finding and reading CredentialsRequests as ccoctl does (spec §1.0, §1.8):
//! every non-directory `*.yaml`/`*.yml` file of the directory in name order,
//! each file a stream of YAML (or JSON) documents; requests marked for
//! deletion, and tech-preview ones unless asked for, are skipped.
//!
//! Like ccoctl's decoder, unknown fields are ignored and nothing checks
//! `kind`: what matters is `spec`. Unlike ccoctl, a document that does not
//! decode is reported with its file, line and the path of the bad field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Error;

/// `release.openshift.io/delete: "true"`: the request is deleted in-cluster, ccoctl skips it.
pub const DELETE_ANNOTATION: &str = "release.openshift.io/delete";
/// `release.openshift.io/feature-set`: processed only with `--enable-tech-preview` and the value
/// `TechPreviewNoUpgrade`.
pub const FEATURE_SET_ANNOTATION: &str = "release.openshift.io/feature-set";
pub const TECH_PREVIEW: &str = "TechPreviewNoUpgrade";

/// One CredentialsRequest with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialsRequest {
    /// The file it was read from, and its 1-based document number in that file.
    pub file: PathBuf,
    pub document: usize,
    pub name: String,
    pub namespace: String,
    pub annotations: BTreeMap<String, String>,
    pub secret_name: String,
    pub secret_namespace: String,
    pub service_accounts: Vec<String>,
    /// `spec.providerSpec.kind`; ccoctl refuses anything but `AWSProviderSpec`.
    pub provider_kind: Option<String>,
    pub statements: Vec<StatementEntry>,
}

/// One `providerSpec.statementEntries[*]`. Missing fields keep Go's zero values, so the
/// permissions policy says what ccoctl would send (`"Resource":""`, `"Action":null`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementEntry {
    #[serde(default)]
    pub effect: String,
    #[serde(default)]
    pub action: Option<Vec<String>>,
    #[serde(default)]
    pub resource: String,
    /// operator → key → any JSON value.
    #[serde(default)]
    pub policy_condition: Option<BTreeMap<String, BTreeMap<String, serde_json::Value>>>,
}

// The shapes as written; only the fields ccoctl reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Doc {
    metadata: Metadata,
    spec: Spec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata {
    name: String,
    namespace: String,
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Spec {
    secret_ref: SecretRef,
    service_account_names: Option<Vec<String>>,
    provider_spec: Option<ProviderSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SecretRef {
    name: String,
    namespace: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ProviderSpec {
    kind: Option<String>,
    statement_entries: Option<Vec<StatementEntry>>,
}

/// What discovery found: the requests to process, and one line per skipped request
/// (ccoctl's own log wording).
#[derive(Debug, Default)]
pub struct Discovered {
    pub requests: Vec<CredentialsRequest>,
    pub skipped: Vec<String>,
}

/// Reads every CredentialsRequest of `dir` (ccoctl's `GetListOfCredentialsRequests`).
pub fn discover(dir: &Path, enable_tech_preview: bool) -> Result<Discovered, Error> {
    let wrap = |e: Error| e.wrap("Failed to process files containing CredentialsRequests");
    let entries = std::fs::read_dir(dir).map_err(|e| wrap(Error::new(format!("open {}: {e}", dir.display()))))?;
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| wrap(Error::new(format!("read {}: {e}", dir.display()))))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !(name.ends_with(".yaml") || name.ends_with(".yml")) || path.is_dir() {
            continue;
        }
        files.push(path);
    }
    // Go's ReadDir answers in file-name order.
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    let mut found = Discovered::default();
    for file in files {
        let text = std::fs::read_to_string(&file)
            .map_err(|e| wrap(Error::new(format!("Failed to open file: {}: {e}", file.display()))))?;
        for request in parse_stream(&file, &text).map_err(wrap)? {
            match skip_reason(&request, enable_tech_preview) {
                Some(why) => found.skipped.push(why),
                None => found.requests.push(request),
            }
        }
    }
    Ok(found)
}

/// Every document of one file, in order; empty documents are passed over.
pub fn parse_stream(file: &Path, text: &str) -> Result<Vec<CredentialsRequest>, Error> {
    let mut out = Vec::new();
    for (i, document) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let doc: Option<Doc> = Option::deserialize(document).map_err(|e| {
            let (place, message) = match e.location() {
                Some(l) => {
                    // serde_yaml_ng ends its message with the place, which leads ours already.
                    let message = e.to_string();
                    let suffix = format!(" at line {} column {}", l.line(), l.column());
                    let message = message.strip_suffix(&suffix).unwrap_or(&message).to_string();
                    (format!("{}:{}:{}", file.display(), l.line(), l.column()), message)
                }
                None => (format!("{} (document {})", file.display(), i + 1), e.to_string()),
            };
            Error::new(format!("{place}: {message}")).wrap("Failed to decode to CredentialsRequest")
        })?;
        let Some(doc) = doc else { continue };
        let provider = doc.spec.provider_spec.unwrap_or_default();
        out.push(CredentialsRequest {
            file: file.to_path_buf(),
            document: i + 1,
            name: doc.metadata.name,
            namespace: doc.metadata.namespace,
            annotations: doc.metadata.annotations.unwrap_or_default(),
            secret_name: doc.spec.secret_ref.name,
            secret_namespace: doc.spec.secret_ref.namespace,
            service_accounts: doc.spec.service_account_names.unwrap_or_default(),
            provider_kind: provider.kind,
            statements: provider.statement_entries.unwrap_or_default(),
        });
    }
    Ok(out)
}

/// Why ccoctl passes over a request, in its log wording; `None` to process it.
pub fn skip_reason(cr: &CredentialsRequest, enable_tech_preview: bool) -> Option<String> {
    let id = format!("{}/{}", cr.namespace, cr.name);
    if cr.annotations.get(DELETE_ANNOTATION).map(String::as_str) == Some("true") {
        return Some(format!(
            "Ignoring CredentialsRequest {id} as it is marked for in-cluster deletion"
        ));
    }
    let value = cr.annotations.get(FEATURE_SET_ANNOTATION)?;
    if !enable_tech_preview {
        return Some(format!("Ignoring CredentialsRequest {id} with tech-preview annotation"));
    }
    (value != TECH_PREVIEW).then(|| format!("Ignoring CredentialsRequest {id} with tech-preview value {value}"))
}
