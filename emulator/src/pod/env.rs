//! A container's environment as the kubelet builds it: `envFrom` first, then
//! `env` in order, each `value` with `$(VAR)` expanded from what is already
//! defined; `valueFrom` read from the Secrets and ConfigMaps given and from
//! the pod's own fields.

use std::collections::BTreeMap;

use super::objects::{ObjectKind, Objects};
use super::spec::{Container, EnvVarSource};

/// The pod's facts a `fieldRef` may read.
#[derive(Debug, Clone, Default)]
pub struct PodFields {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    pub service_account: String,
    pub node_name: String,
    pub pod_ip: String,
    pub host_ip: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

impl PodFields {
    fn field(&self, path: &str) -> Option<String> {
        let keyed = |prefix: &str, map: &BTreeMap<String, String>| {
            let key = path.strip_prefix(prefix)?.strip_suffix("']")?;
            Some(map.get(key).cloned().unwrap_or_default())
        };
        match path {
            "metadata.name" => Some(self.name.clone()),
            "metadata.namespace" => Some(self.namespace.clone()),
            "metadata.uid" => Some(self.uid.clone()),
            "spec.serviceAccountName" => Some(self.service_account.clone()),
            "spec.nodeName" => Some(self.node_name.clone()),
            "status.podIP" | "status.podIPs" => Some(self.pod_ip.clone()),
            "status.hostIP" | "status.hostIPs" => Some(self.host_ip.clone()),
            _ => {
                keyed("metadata.labels['", &self.labels).or_else(|| keyed("metadata.annotations['", &self.annotations))
            }
        }
    }
}

/// The container's variables, in order, later ones replacing earlier ones of
/// the same name (as in the kubelet, where `env` overrides `envFrom`).
pub fn container_env(
    container: &Container,
    objects: &Objects,
    fields: &PodFields,
) -> Result<Vec<(String, String)>, String> {
    let mut vars: Vec<(String, String)> = Vec::new();
    let set = |vars: &mut Vec<(String, String)>, name: String, value: String| {
        vars.retain(|(n, _)| *n != name);
        vars.push((name, value));
    };
    let what = format!("container {}", container.name);
    for from in &container.env_from {
        let (kind, reference) = match (&from.secret_ref, &from.config_map_ref) {
            (Some(r), None) => (ObjectKind::Secret, r),
            (None, Some(r)) => (ObjectKind::ConfigMap, r),
            _ => {
                return Err(format!(
                    "{what}: each envFrom entry needs exactly one of secretRef and configMapRef"
                ));
            }
        };
        let object = objects.require(
            kind,
            &reference.name,
            &fields.namespace,
            reference.optional.unwrap_or(false),
            &format!("{what} envFrom"),
        )?;
        let prefix = from.prefix.as_deref().unwrap_or_default();
        for (key, data) in object.map(|o| o.data.iter()).into_iter().flatten() {
            let name = format!("{prefix}{key}");
            // The kubelet skips keys that are not valid variable names (with an event).
            if valid_name(&name) {
                set(&mut vars, name, String::from_utf8_lossy(data).into_owned());
            }
        }
    }
    for var in &container.env {
        if !valid_name(&var.name) {
            return Err(format!(
                "{what}: {:?} is not a valid environment variable name",
                var.name
            ));
        }
        let value = match (&var.value, &var.value_from) {
            (_, Some(source)) => match value_from(source, objects, fields, &format!("{what} env {}", var.name))? {
                Some(v) => v,
                // An optional reference to a missing key leaves the variable unset.
                None => continue,
            },
            (Some(v), None) => expand(v, &vars),
            (None, None) => String::new(),
        };
        set(&mut vars, var.name.clone(), value);
    }
    Ok(vars)
}

fn value_from(
    source: &EnvVarSource,
    objects: &Objects,
    fields: &PodFields,
    what: &str,
) -> Result<Option<String>, String> {
    let key_ref = source
        .secret_key_ref
        .as_ref()
        .map(|r| (ObjectKind::Secret, r))
        .or(source.config_map_key_ref.as_ref().map(|r| (ObjectKind::ConfigMap, r)));
    if let Some((kind, r)) = key_ref {
        let optional = r.optional.unwrap_or(false);
        let Some(object) = objects.require(kind, &r.name, &fields.namespace, optional, what)? else {
            return Ok(None);
        };
        return match object.data.get(&r.key) {
            Some(data) => Ok(Some(String::from_utf8_lossy(data).into_owned())),
            None if optional => Ok(None),
            None => Err(format!("{what}: {} {} has no key {:?}", kind.as_str(), r.name, r.key)),
        };
    }
    if let Some(f) = &source.field_ref {
        return fields
            .field(&f.field_path)
            .map(Some)
            .ok_or_else(|| format!("{what}: fieldRef {:?} is not supported by rolechain run", f.field_path));
    }
    if source.resource_field_ref.is_some() {
        return Err(format!(
            "{what}: resourceFieldRef is not supported by rolechain run (no resource limits locally)"
        ));
    }
    Err(format!("{what}: valueFrom names no source"))
}

/// A C identifier-like name, as the apiserver's default validation wants
/// (it also allows `.` and `-` since 1.30; so do we).
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Kubernetes' `$(VAR)` expansion: a defined variable is replaced, `$$`
/// escapes a `$`, and anything else (an unknown name, an unclosed `$(`)
/// stays as written.
pub fn expand(text: &str, vars: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(inner) = after.strip_prefix('(')
            && let Some(close) = inner.find(')')
        {
            let name = &inner[..close];
            match vars.iter().rev().find(|(n, _)| n == name) {
                Some((_, v)) => out.push_str(v),
                None => {
                    out.push_str("$(");
                    out.push_str(name);
                    out.push(')');
                }
            }
            rest = &inner[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Pod;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn expansion_as_kubernetes() {
        let v = vars(&[("A", "1"), ("B", "two")]);
        assert_eq!(expand("$(A)-$(B)", &v), "1-two");
        assert_eq!(expand("$$(A)", &v), "$(A)");
        assert_eq!(expand("$(C)", &v), "$(C)");
        assert_eq!(expand("$A $(A", &v), "$A $(A");
        assert_eq!(expand("x$", &v), "x$");
        assert_eq!(expand("é$(A)é", &v), "é1é");
    }

    #[test]
    fn the_seed_container() {
        let pod = Pod::parse(include_str!("../../seed/deployment.yaml")).unwrap();
        let fields = PodFields {
            namespace: "my-namespace".into(),
            ..PodFields::default()
        };
        let env = container_env(pod.container(None).unwrap(), &Objects::default(), &fields).unwrap();
        assert_eq!(
            env,
            vars(&[
                ("AWS_SHARED_CREDENTIALS_FILE", "/var/run/secrets/cloud/credentials"),
                ("AWS_REGION", "eu-west-2"),
                ("AWS_DEFAULT_REGION", "eu-west-2"),
                ("AWS_ROLE_SESSION_NAME", "dev-dynamodb-reader"),
            ])
        );
    }

    #[test]
    fn value_from_env_from_and_fields() {
        let pod = Pod::parse(
            "containers:\n- name: a\n  envFrom: [{prefix: S_, secretRef: {name: s}}, {configMapRef: {name: m, optional: true}}]\n  env:\n  - {name: K, valueFrom: {secretKeyRef: {name: s, key: k}}}\n  - {name: N, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}\n  - {name: L, valueFrom: {fieldRef: {fieldPath: \"metadata.labels['app']\"}}}\n  - {name: X, value: '$(K)/$(N)'}\n  - {name: O, valueFrom: {secretKeyRef: {name: s, key: nope, optional: true}}}\n",
        )
        .unwrap();
        let mut objects = Objects::default();
        objects
            .add_file("kind: Secret\nmetadata: {name: s}\nstringData: {k: v, 1bad: x}\n", "s")
            .unwrap();
        let fields = PodFields {
            namespace: "ns".into(),
            labels: [("app".to_string(), "my-app".to_string())].into(),
            ..PodFields::default()
        };
        let env = container_env(pod.container(None).unwrap(), &objects, &fields).unwrap();
        assert_eq!(
            env,
            vars(&[
                ("S_1bad", "x"),
                ("S_k", "v"),
                ("K", "v"),
                ("N", "ns"),
                ("L", "my-app"),
                ("X", "v/ns")
            ])
        );
        let missing =
            Pod::parse("containers:\n- name: a\n  env: [{name: K, valueFrom: {secretKeyRef: {name: t, key: k}}}]\n")
                .unwrap();
        let e = container_env(missing.container(None).unwrap(), &objects, &fields).unwrap_err();
        assert!(e.contains("Secret ns/t"), "{e}");
        let field =
            Pod::parse("containers:\n- name: a\n  env: [{name: K, valueFrom: {fieldRef: {fieldPath: spec.x}}}]\n")
                .unwrap();
        assert!(
            container_env(field.container(None).unwrap(), &objects, &fields)
                .unwrap_err()
                .contains("spec.x")
        );
        let res = Pod::parse(
            "containers:\n- name: a\n  env: [{name: K, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}]\n",
        )
        .unwrap();
        assert!(
            container_env(res.container(None).unwrap(), &objects, &fields)
                .unwrap_err()
                .contains("resourceFieldRef")
        );
    }
}
