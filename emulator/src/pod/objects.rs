//! Secrets and ConfigMaps given on the command line: what a pod's volumes and
//! environment refer to by name.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;
use serde_yaml_ng::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    Secret,
    ConfigMap,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Secret => "Secret",
            ObjectKind::ConfigMap => "ConfigMap",
        }
    }
}

/// One Secret or ConfigMap, its data decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub kind: ObjectKind,
    pub name: String,
    /// `None` when the manifest names no namespace: it then fits any pod.
    pub namespace: Option<String>,
    /// Key to bytes, keys in order (Kubernetes sorts them too).
    pub data: BTreeMap<String, Vec<u8>>,
    /// Where it was read from, for messages.
    pub origin: String,
}

/// Every object given, looked up as the kubelet would in the pod's namespace.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    list: Vec<Object>,
}

impl Objects {
    /// Adds every Secret and ConfigMap of a file (several documents, or a
    /// `List`, may hold several); a file with none is an error, since it was
    /// given for a reason.
    pub fn add_file(&mut self, text: &str, origin: &str) -> Result<usize, String> {
        let mut added = 0;
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let value = Value::deserialize(document).map_err(|e| format!("{origin}: not YAML: {e}"))?;
            let items = match value.get("kind").and_then(Value::as_str) {
                Some("List") | Some("SecretList") | Some("ConfigMapList") => value
                    .get("items")
                    .and_then(Value::as_sequence)
                    .cloned()
                    .unwrap_or_default(),
                _ if value.is_null() => Vec::new(),
                _ => vec![value],
            };
            for item in &items {
                self.list.push(parse_object(item, origin)?);
                added += 1;
            }
        }
        if added == 0 {
            return Err(format!("{origin}: no Secret or ConfigMap in it"));
        }
        Ok(added)
    }

    pub fn push(&mut self, object: Object) {
        self.list.push(object);
    }

    pub fn iter(&self) -> impl Iterator<Item = &Object> {
        self.list.iter()
    }

    /// The object of that kind and name visible from `namespace`; the last
    /// one given wins when a name is repeated.
    pub fn find(&self, kind: ObjectKind, name: &str, namespace: &str) -> Option<&Object> {
        self.list
            .iter()
            .rev()
            .find(|o| o.kind == kind && o.name == name && o.namespace.as_deref().is_none_or(|ns| ns == namespace))
    }

    /// Like [`Objects::find`], but a missing required object is an error that
    /// says what was given instead.
    pub fn require(
        &self,
        kind: ObjectKind,
        name: &str,
        namespace: &str,
        optional: bool,
        wanted_by: &str,
    ) -> Result<Option<&Object>, String> {
        if let Some(o) = self.find(kind, name, namespace) {
            return Ok(Some(o));
        }
        if optional {
            return Ok(None);
        }
        let flag = "--secret FILE";
        let elsewhere: Vec<String> = self
            .list
            .iter()
            .filter(|o| o.kind == kind && o.name == name)
            .map(|o| format!("{} is in namespace {}", o.origin, o.namespace.as_deref().unwrap_or("?")))
            .collect();
        let hint = if elsewhere.is_empty() {
            let given: Vec<String> = self
                .list
                .iter()
                .filter(|o| o.kind == kind)
                .map(|o| o.name.clone())
                .collect();
            if given.is_empty() {
                format!("give its manifest with {flag}")
            } else {
                format!("given: {}; give its manifest with {flag}", given.join(", "))
            }
        } else {
            format!("{}, not the pod's", elsewhere.join("; "))
        };
        Err(format!(
            "{wanted_by} needs {} {namespace}/{name}, which was not given ({hint}), and is not optional",
            kind.as_str()
        ))
    }
}

fn parse_object(value: &Value, origin: &str) -> Result<Object, String> {
    let kind = match value.get("kind").and_then(Value::as_str) {
        Some("Secret") => ObjectKind::Secret,
        Some("ConfigMap") => ObjectKind::ConfigMap,
        Some(other) => return Err(format!("{origin}: a {other}, not a Secret or ConfigMap")),
        None => return Err(format!("{origin}: no `kind` (expected kind: Secret)")),
    };
    let metadata = value.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| format!("{origin}: {} without metadata.name", kind.as_str()))?
        .to_string();
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let what = format!("{origin}: {} {name}", kind.as_str());
    let mut data = BTreeMap::new();
    // Secret: `data` is base64 and `stringData` (write-only, merged in by the
    // apiserver) wins. ConfigMap: `data` is text and `binaryData` base64.
    let (base64_field, text_field) = match kind {
        ObjectKind::Secret => ("data", "stringData"),
        ObjectKind::ConfigMap => ("binaryData", "data"),
    };
    for (key, v) in entries(value, base64_field, &what)? {
        let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .map_err(|e| format!("{what}: {base64_field}.{key} is not base64 ({e})"))?;
        data.insert(key, bytes);
    }
    for (key, v) in entries(value, text_field, &what)? {
        data.insert(key, v.into_bytes());
    }
    Ok(Object {
        kind,
        name,
        namespace,
        data,
        origin: origin.to_string(),
    })
}

/// The string entries of one data field, keys checked as Kubernetes does.
fn entries(value: &Value, field: &str, what: &str) -> Result<Vec<(String, String)>, String> {
    let Some(map) = value.get(field) else {
        return Ok(Vec::new());
    };
    if map.is_null() {
        return Ok(Vec::new());
    }
    let map = map
        .as_mapping()
        .ok_or_else(|| format!("{what}: {field} is not a mapping of keys to values"))?;
    let mut out = Vec::new();
    for (k, v) in map {
        let key = k
            .as_str()
            .ok_or_else(|| format!("{what}: a {field} key is not a string"))?;
        if key.is_empty()
            || key.len() > 253
            || key == "."
            || key == ".."
            || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
        {
            return Err(format!(
                "{what}: {field} key {key:?} is not valid (letters, digits, `-`, `_`, `.`)"
            ));
        }
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => String::new(),
            _ => return Err(format!("{what}: {field}.{key} is not a string")),
        };
        out.push((key.to_string(), text));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = include_str!("../../seed/secret.yaml");

    #[test]
    fn the_seed_secret() {
        let mut objects = Objects::default();
        assert_eq!(objects.add_file(SEED, "secret.yaml").unwrap(), 1);
        let s = objects
            .find(ObjectKind::Secret, "dev-dynamodb-reader", "my-namespace")
            .unwrap();
        let text = String::from_utf8(s.data["credentials"].clone()).unwrap();
        assert!(text.starts_with("[default]\nsts_regional_endpoints = regional\n"));
        assert!(text.ends_with("web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token"));
        assert!(
            objects
                .find(ObjectKind::Secret, "dev-dynamodb-reader", "other")
                .is_none()
        );
        assert!(
            objects
                .find(ObjectKind::ConfigMap, "dev-dynamodb-reader", "my-namespace")
                .is_none()
        );
    }

    #[test]
    fn data_is_base64_and_string_data_wins() {
        let mut objects = Objects::default();
        objects
            .add_file(
                "kind: Secret\nmetadata: {name: s}\ndata:\n  a: aGVs\n    bG8=\n  b: eA==\nstringData:\n  b: y\n---\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: '1'}\nbinaryData: {bin: AAE=}\n",
                "f",
            )
            .unwrap();
        let s = objects.find(ObjectKind::Secret, "s", "any").unwrap();
        assert_eq!(s.data["a"], b"hello");
        assert_eq!(s.data["b"], b"y");
        let c = objects.find(ObjectKind::ConfigMap, "c", "any").unwrap();
        assert_eq!(c.data["k"], b"1");
        assert_eq!(c.data["bin"], [0, 1]);
    }

    #[test]
    fn lists_and_bad_input() {
        let mut objects = Objects::default();
        let n = objects
            .add_file(
                "kind: List\nitems:\n- {kind: Secret, metadata: {name: a}}\n- {kind: Secret, metadata: {name: b}}\n",
                "l",
            )
            .unwrap();
        assert_eq!(n, 2);
        let mut o = Objects::default();
        assert!(
            o.add_file("kind: Secret\nmetadata: {name: s}\ndata: {a: '!!'}\n", "f")
                .unwrap_err()
                .contains("base64")
        );
        assert!(
            o.add_file("kind: Deployment\n", "f")
                .unwrap_err()
                .contains("not a Secret")
        );
        assert!(o.add_file("kind: Secret\n", "f").unwrap_err().contains("metadata.name"));
        assert!(
            o.add_file("kind: Secret\nmetadata: {name: s}\nstringData: {'a/b': x}\n", "f")
                .unwrap_err()
                .contains("not valid")
        );
        assert!(o.add_file("", "f").unwrap_err().contains("no Secret"));
        assert!(o.add_file("kind: [", "f").unwrap_err().contains("not YAML"));
    }

    #[test]
    fn a_missing_object_is_explained() {
        let mut objects = Objects::default();
        objects
            .add_file("kind: Secret\nmetadata: {name: s, namespace: x}\n", "f.yaml")
            .unwrap();
        let e = objects
            .require(ObjectKind::Secret, "s", "y", false, "volume v")
            .unwrap_err();
        assert!(
            e.contains("Secret y/s") && e.contains("f.yaml is in namespace x"),
            "{e}"
        );
        let e = objects
            .require(ObjectKind::Secret, "t", "x", false, "volume v")
            .unwrap_err();
        assert!(e.contains("given: s"), "{e}");
        assert!(
            objects
                .require(ObjectKind::Secret, "t", "x", true, "v")
                .unwrap()
                .is_none()
        );
        assert!(
            objects
                .require(ObjectKind::Secret, "s", "x", false, "v")
                .unwrap()
                .is_some()
        );
    }
}
