//! The parts of a pod spec `rolechain run` acts on, read from a Deployment
//! (or another workload with a pod template), a Pod, or a bare pod spec.
//!
//! Unknown fields are ignored, as they are irrelevant to a local run (images,
//! probes, resources); fields that change what the process sees are modelled.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};
use serde_yaml_ng::Value;

/// A pod: where it runs (namespace, service account) and what it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Pod {
    /// `Deployment`, `Pod`, `StatefulSet`, … or `PodSpec` for a bare spec.
    pub kind: String,
    /// `metadata.name` of the manifest (the workload's name for a Deployment).
    pub name: Option<String>,
    pub namespace: String,
    /// The pod's labels and annotations (the template's for a workload).
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(default)]
    pub service_account_name: Option<String>,
    /// Deprecated alias of `serviceAccountName`, still honoured by Kubernetes.
    #[serde(default)]
    pub service_account: Option<String>,
    #[serde(default)]
    pub node_name: Option<String>,
    #[serde(default)]
    pub containers: Vec<Container>,
    #[serde(default)]
    pub volumes: Vec<Volume>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    #[serde(default)]
    pub env: Vec<EnvVar>,
    #[serde(default)]
    pub env_from: Vec<EnvFromSource>,
    #[serde(default)]
    pub volume_mounts: Vec<VolumeMount>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    #[serde(default)]
    pub value: Option<String>,
    #[serde(default)]
    pub value_from: Option<EnvVarSource>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVarSource {
    #[serde(default)]
    pub secret_key_ref: Option<KeyRef>,
    #[serde(default)]
    pub config_map_key_ref: Option<KeyRef>,
    #[serde(default)]
    pub field_ref: Option<FieldRef>,
    #[serde(default)]
    pub resource_field_ref: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRef {
    pub name: String,
    pub key: String,
    #[serde(default)]
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldRef {
    pub field_path: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvFromSource {
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub secret_ref: Option<ObjectRef>,
    #[serde(default)]
    pub config_map_ref: Option<ObjectRef>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub name: String,
    #[serde(default)]
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    #[serde(default)]
    pub sub_path: Option<String>,
    #[serde(default)]
    pub read_only: Option<bool>,
}

/// A volume; exactly one source is set in a valid spec. Sources other than
/// those modelled land in `other` so that an error can name them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    #[serde(default)]
    pub secret: Option<SecretVolume>,
    #[serde(default)]
    pub config_map: Option<ConfigMapVolume>,
    #[serde(default)]
    pub projected: Option<ProjectedVolume>,
    #[serde(default)]
    pub empty_dir: Option<Value>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretVolume {
    pub secret_name: String,
    #[serde(default)]
    pub items: Vec<KeyToPath>,
    #[serde(default, deserialize_with = "mode")]
    pub default_mode: Option<u32>,
    #[serde(default)]
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapVolume {
    pub name: String,
    #[serde(default)]
    pub items: Vec<KeyToPath>,
    #[serde(default, deserialize_with = "mode")]
    pub default_mode: Option<u32>,
    #[serde(default)]
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectedVolume {
    #[serde(default)]
    pub sources: Vec<ProjectionSource>,
    #[serde(default, deserialize_with = "mode")]
    pub default_mode: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProjectionSource {
    #[serde(default)]
    pub service_account_token: Option<TokenProjection>,
    #[serde(default)]
    pub secret: Option<ObjectProjection>,
    #[serde(default)]
    pub config_map: Option<ObjectProjection>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenProjection {
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub expiration_seconds: Option<i64>,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectProjection {
    pub name: String,
    #[serde(default)]
    pub items: Vec<KeyToPath>,
    #[serde(default)]
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyToPath {
    pub key: String,
    pub path: String,
    #[serde(default, deserialize_with = "mode")]
    pub mode: Option<u32>,
}

/// A file mode. Manifests are YAML 1.1 to kubectl, where `0644` is octal;
/// serde_yaml_ng follows YAML 1.2, which reads a leading zero as a string, so
/// such a string of octal digits is read as the octal its author meant.
/// `0o644` and decimal `420` are read as YAML 1.2 reads them.
fn mode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u32>, D::Error> {
    let value = match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) if s.starts_with('0') && s.bytes().all(|b| (b'0'..=b'7').contains(&b)) => {
            u64::from_str_radix(&s, 8).ok()
        }
        Some(_) => None,
    };
    match value {
        Some(v) if v <= 0o777 => Ok(Some(v as u32)),
        _ => Err(serde::de::Error::custom(
            "a file mode must be a number between 0 and 0777 (511)",
        )),
    }
}

/// Workload kinds whose pod template is at `spec.template`.
const TEMPLATE_KINDS: [&str; 6] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "ReplicationController",
];

impl Pod {
    /// Reads the one pod in `text` (several YAML documents may be present,
    /// e.g. a Service next to the Deployment; exactly one must carry a pod).
    pub fn parse(text: &str) -> Result<Pod, String> {
        let mut found = Vec::new();
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let value = Value::deserialize(document).map_err(|e| format!("not YAML: {e}"))?;
            if value.is_null() {
                continue;
            }
            if let Some(pod) = Pod::from_value(&value)? {
                found.push(pod);
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(
                "no pod found: expected a Deployment (or another workload with spec.template), a Pod, \
                 or a pod spec with `containers`"
                    .into(),
            ),
            n => Err(format!(
                "{n} pods found ({}); give a file with one",
                found
                    .iter()
                    .map(|p| format!("{} {}", p.kind, p.name.as_deref().unwrap_or("?")))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    /// The pod in one YAML document, `None` when the document is no pod (a Service, say).
    fn from_value(value: &Value) -> Result<Option<Pod>, String> {
        if !value.is_mapping() {
            return Err("expected a YAML mapping (a Kubernetes manifest) at the top level".into());
        }
        let kind = value.get("kind").and_then(Value::as_str).map(str::to_string);
        let metadata = value.get("metadata");
        let (template_meta, spec, kind) = match kind.as_deref() {
            Some("Pod") => (metadata, value.get("spec"), "Pod".to_string()),
            Some("CronJob") => {
                let template = value
                    .get("spec")
                    .and_then(|s| s.get("jobTemplate"))
                    .and_then(|j| j.get("spec"))
                    .and_then(|s| s.get("template"));
                (
                    template.and_then(|t| t.get("metadata")),
                    template.and_then(|t| t.get("spec")),
                    "CronJob".into(),
                )
            }
            Some(k) if TEMPLATE_KINDS.contains(&k) => {
                let template = value.get("spec").and_then(|s| s.get("template"));
                (
                    template.and_then(|t| t.get("metadata")),
                    template.and_then(|t| t.get("spec")),
                    k.to_string(),
                )
            }
            Some(_) => return Ok(None),
            // No kind: a bare pod spec (what the linter calls a pod-spec fragment).
            None if value.get("containers").is_some() => (None, Some(value), "PodSpec".to_string()),
            None => return Ok(None),
        };
        let Some(spec) = spec else {
            return Err(format!(
                "{kind} without a pod spec (spec.template.spec for workloads, spec for a Pod)"
            ));
        };
        let spec: PodSpec = serde_yaml_ng::from_value(spec.clone()).map_err(|e| format!("{kind}'s pod spec: {e}"))?;
        if spec.containers.is_empty() {
            return Err(format!("{kind}'s pod spec has no containers"));
        }
        let text =
            |m: Option<&Value>, key: &str| m.and_then(|m| m.get(key)).and_then(Value::as_str).map(str::to_string);
        let map = |m: Option<&Value>, key: &str| -> BTreeMap<String, String> {
            m.and_then(|m| m.get(key))
                .and_then(Value::as_mapping)
                .map(|entries| {
                    entries
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar_text(v)?)))
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Some(Pod {
            name: text(metadata, "name"),
            namespace: text(metadata, "namespace").unwrap_or_else(|| "default".into()),
            labels: map(template_meta, "labels"),
            annotations: map(template_meta, "annotations"),
            kind,
            spec,
        }))
    }

    /// `serviceAccountName`, else the deprecated `serviceAccount`, else `default`.
    pub fn service_account(&self) -> &str {
        self.spec
            .service_account_name
            .as_deref()
            .or(self.spec.service_account.as_deref())
            .filter(|s| !s.is_empty())
            .unwrap_or("default")
    }

    /// The container named `name`, or the only one when no name is given.
    pub fn container(&self, name: Option<&str>) -> Result<&Container, String> {
        let names = || {
            self.spec
                .containers
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match name {
            Some(name) => self
                .spec
                .containers
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| format!("no container named {name:?} in the pod; its containers: {}", names())),
            None if self.spec.containers.len() == 1 => Ok(&self.spec.containers[0]),
            None => Err(format!(
                "the pod has {} containers: pick one with --container ({})",
                self.spec.containers.len(),
                names()
            )),
        }
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.spec.volumes.iter().find(|v| v.name == name)
    }
}

/// A label or annotation value as text (YAML may have read `"1"` unquoted as a number).
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../seed/deployment.yaml");

    #[test]
    fn the_seed_deployment() {
        let pod = Pod::parse(SEED).unwrap();
        assert_eq!(pod.kind, "Deployment");
        assert_eq!(pod.name.as_deref(), Some("my-app"));
        assert_eq!(pod.namespace, "my-namespace");
        assert_eq!(pod.service_account(), "dev-db-reader");
        assert_eq!(pod.labels.get("app").map(String::as_str), Some("my-app"));
        let c = pod.container(None).unwrap();
        assert_eq!(c.name, "my-container");
        assert_eq!(c.volume_mounts.len(), 2);
        assert_eq!(c.env[0].name, "AWS_SHARED_CREDENTIALS_FILE");
        let token = pod.volume("bound-sa-token").unwrap().projected.as_ref().unwrap();
        assert_eq!(token.default_mode, Some(0o644));
        let source = token.sources[0].service_account_token.as_ref().unwrap();
        assert_eq!(source.audience.as_deref(), Some("openshift"));
        assert_eq!(source.expiration_seconds, Some(3600));
        let secret = pod.volume("dev-dynamodb-reader").unwrap().secret.as_ref().unwrap();
        assert_eq!(secret.secret_name, "dev-dynamodb-reader");
        assert_eq!(secret.optional, Some(false));
    }

    #[test]
    fn a_pod_a_bare_spec_and_defaults() {
        let pod =
            Pod::parse("kind: Pod\nmetadata: {name: p}\nspec:\n  serviceAccount: old\n  containers: [{name: a}]\n")
                .unwrap();
        assert_eq!((pod.namespace.as_str(), pod.service_account()), ("default", "old"));
        let bare = Pod::parse("containers:\n- name: a\n- name: b\n").unwrap();
        assert_eq!(bare.kind, "PodSpec");
        assert_eq!(bare.service_account(), "default");
        let e = bare.container(None).unwrap_err();
        assert!(e.contains("--container") && e.contains("a, b"), "{e}");
        assert!(bare.container(Some("c")).unwrap_err().contains("a, b"));
        assert_eq!(bare.container(Some("b")).unwrap().name, "b");
    }

    #[test]
    fn other_documents_are_skipped_and_several_pods_refused() {
        let text = format!("kind: Service\nmetadata: {{name: s}}\n---\n{SEED}");
        assert_eq!(Pod::parse(&text).unwrap().kind, "Deployment");
        let two = format!("{SEED}\n---\n{SEED}");
        assert!(Pod::parse(&two).unwrap_err().contains("2 pods"));
        assert!(Pod::parse("kind: Service\n").unwrap_err().contains("no pod found"));
        assert!(
            Pod::parse("kind: Pod\nspec: {}\n")
                .unwrap_err()
                .contains("no containers")
        );
        assert!(Pod::parse("[1, 2]").unwrap_err().contains("mapping"));
        assert!(Pod::parse("kind: Pod\nspec:\n  containers: 3\n").is_err());
        assert!(Pod::parse("a: [").unwrap_err().contains("not YAML"));
    }

    #[test]
    fn modes_octal_as_kubectl_reads_them() {
        let pod = Pod::parse(
            "containers: [{name: a}]\nvolumes:\n- name: v\n  secret: {secretName: s, defaultMode: 0400, items: [{key: k, path: p, mode: 0o600}]}\n",
        )
        .unwrap();
        let s = pod.volume("v").unwrap().secret.as_ref().unwrap();
        assert_eq!(s.default_mode, Some(0o400));
        assert_eq!(s.items[0].mode, Some(0o600));
        let bad =
            Pod::parse("containers: [{name: a}]\nvolumes:\n- name: v\n  secret: {secretName: s, defaultMode: 999}\n");
        assert!(bad.unwrap_err().contains("0777"));
    }

    #[test]
    fn unknown_volume_sources_are_kept_for_errors() {
        let pod = Pod::parse("containers: [{name: a}]\nvolumes:\n- name: v\n  hostPath: {path: /x}\n").unwrap();
        assert!(pod.volume("v").unwrap().other.contains_key("hostPath"));
    }
}
