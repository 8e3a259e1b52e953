//! The JSON shapes of a policy set, shared by every host of the engine (the
//! wasm ABI, the CLI, the emulator and the test corpus), so that they all
//! read a set the same way.

use serde::{Deserialize, Serialize};

use crate::authorize::PolicySet;
use crate::kind::PolicyKind;
use crate::policy::{Policy, PolicyError};
use crate::request::Request;

/// A policy set as JSON: each policy with an optional id and kind, and its
/// document as text (positions in explanations refer to that text) or as a
/// JSON object (positions then refer to its compact serialisation).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySetSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<PolicySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<PolicySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<PolicySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub session: Vec<PolicySpec>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scp_levels: Vec<Vec<PolicySpec>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rcp_levels: Vec<Vec<PolicySpec>>,
}

/// One policy of a [`PolicySetSpec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicySpec {
    /// A name or ARN for explanations; defaults to the policy's place, e.g. `identity[0]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Defaults by place: `identity`, `resource`, `boundary`, `session`, `scp`, `rcp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PolicyKind>,
    pub document: Document,
}

/// A policy document as text or as JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Document {
    Text(String),
    Json(serde_json::Value),
}

impl Document {
    fn text(&self) -> String {
        match self {
            Document::Text(t) => t.clone(),
            Document::Json(v) => v.to_string(),
        }
    }
}

/// A one-shot authorization: the set and the request together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeOnce {
    pub policies: PolicySetSpec,
    pub request: Request,
}

/// A lint call: the document and, optionally, its kind (inferred when absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LintInput {
    pub document: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<PolicyKind>,
}

/// Why a policy set could not be built: which policy, and AWS's refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicySetError {
    /// The policy's place in the set, e.g. `scpLevels[1][0]`.
    pub place: String,
    pub policy_id: String,
    #[serde(flatten)]
    pub error: PolicyError,
}

impl std::fmt::Display for PolicySetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.place, self.policy_id, self.error)
    }
}

impl std::error::Error for PolicySetError {}

/// Which kinds each place of a set accepts, and its default.
fn kinds_for(place: Place) -> (PolicyKind, &'static [PolicyKind]) {
    match place {
        Place::Identity => (PolicyKind::Identity, &[PolicyKind::Identity, PolicyKind::Managed]),
        Place::Resource => (
            PolicyKind::Resource,
            &[PolicyKind::Resource, PolicyKind::Trust, PolicyKind::DynamodbTable],
        ),
        Place::Boundary => (PolicyKind::Boundary, &[PolicyKind::Boundary, PolicyKind::Managed]),
        Place::Session => (PolicyKind::Session, &[PolicyKind::Session]),
        Place::Scp => (PolicyKind::Scp, &[PolicyKind::Scp]),
        Place::Rcp => (PolicyKind::Rcp, &[PolicyKind::Rcp]),
    }
}

#[derive(Debug, Clone, Copy)]
enum Place {
    Identity,
    Resource,
    Boundary,
    Session,
    Scp,
    Rcp,
}

impl PolicySetSpec {
    /// Parses and compiles every policy; the first refusal stops the build.
    pub fn build(&self) -> Result<PolicySet, PolicySetError> {
        let one = |place: Place, name: String, spec: &PolicySpec| -> Result<Policy, PolicySetError> {
            let id = spec.id.clone().unwrap_or_else(|| name.clone());
            let (default, allowed) = kinds_for(place);
            let kind = spec.kind.unwrap_or(default);
            if !allowed.contains(&kind) {
                let names: Vec<&str> = allowed.iter().map(|k| k.name()).collect();
                return Err(PolicySetError {
                    place: name,
                    policy_id: id,
                    error: PolicyError::invalid_input(format!(
                        "a policy of kind {kind} cannot stand here; use one of: {}",
                        names.join(", ")
                    )),
                });
            }
            Policy::parse_with_id(kind, &id, &spec.document.text()).map_err(|error| PolicySetError {
                place: name,
                policy_id: id,
                error,
            })
        };
        let list = |place: Place, name: &str, specs: &[PolicySpec]| -> Result<Vec<Policy>, PolicySetError> {
            specs
                .iter()
                .enumerate()
                .map(|(i, s)| one(place, format!("{name}[{i}]"), s))
                .collect()
        };
        let levels =
            |place: Place, name: &str, levels: &[Vec<PolicySpec>]| -> Result<Vec<Vec<Policy>>, PolicySetError> {
                levels
                    .iter()
                    .enumerate()
                    .map(|(l, specs)| list(place, &format!("{name}[{l}]"), specs))
                    .collect()
            };
        Ok(PolicySet {
            identity: list(Place::Identity, "identity", &self.identity)?,
            resource: self
                .resource
                .as_ref()
                .map(|s| one(Place::Resource, "resource".into(), s))
                .transpose()?,
            permissions_boundary: self
                .permissions_boundary
                .as_ref()
                .map(|s| one(Place::Boundary, "permissionsBoundary".into(), s))
                .transpose()?,
            session: list(Place::Session, "session", &self.session)?,
            scp_levels: levels(Place::Scp, "scpLevels", &self.scp_levels)?,
            rcp_levels: levels(Place::Rcp, "rcpLevels", &self.rcp_levels)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_set_from_json() {
        let spec: PolicySetSpec = serde_json::from_str(
            r#"{"identity":[{"id":"reader","document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}}],
                "resource":{"kind":"trust","document":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"sts:AssumeRole\"}]}"}}"#,
        )
        .unwrap();
        let set = spec.build().unwrap();
        assert_eq!(set.identity[0].id(), "reader");
        assert_eq!(set.resource.as_ref().unwrap().kind(), PolicyKind::Trust);
    }

    #[test]
    fn names_the_policy_that_was_refused() {
        let spec: PolicySetSpec = serde_json::from_str(r#"{"scpLevels":[[],[{"document":"{}"}]]}"#).unwrap();
        let e = spec.build().unwrap_err();
        assert_eq!(e.place, "scpLevels[1][0]");
        assert_eq!(e.error.code, "MalformedPolicyDocument");
        let spec: PolicySetSpec = serde_json::from_str(r#"{"resource":{"kind":"identity","document":"{}"}}"#).unwrap();
        assert!(spec.build().unwrap_err().error.message.contains("cannot stand here"));
    }
}
