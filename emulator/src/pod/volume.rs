//! What each mounted volume holds: the files of Secrets and ConfigMaps
//! (`items`, `defaultMode`, `optional`) and the projected service-account
//! tokens, whose bytes the caller mints and refreshes.

use std::collections::BTreeMap;

use super::objects::{Object, ObjectKind, Objects};
use super::paths::check_relative;
use super::spec::{KeyToPath, Pod, Volume};
use super::{DEFAULT_TOKEN_SECONDS, MAX_TOKEN_SECONDS, MIN_TOKEN_SECONDS};

/// Kubernetes' default file mode in Secret, ConfigMap and projected volumes.
pub const DEFAULT_MODE: u32 = 0o644;

/// One file of a volume, at a path relative to the volume's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub data: Vec<u8>,
    pub mode: u32,
    /// The Secret or ConfigMap key it came from (`Secret ns/name key k`), for
    /// messages; `None` for a token.
    pub source: Option<String>,
}

/// A projected `serviceAccountToken` source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSource {
    /// `None`: the issuer's URL, as the apiserver's default API audience.
    pub audience: Option<String>,
    pub expiration_seconds: i64,
    pub path: String,
    pub mode: u32,
}

/// A volume's contents: fixed files and the tokens to mint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumePlan {
    pub name: String,
    /// `secret`, `configMap`, `projected` or `emptyDir`.
    pub kind: &'static str,
    pub files: Vec<FileEntry>,
    pub tokens: Vec<TokenSource>,
}

impl VolumePlan {
    /// The volume's files with `tokens[i]` as the content of `self.tokens[i]`.
    pub fn payload(&self, tokens: &[Vec<u8>]) -> Vec<FileEntry> {
        let mut files = self.files.clone();
        for (source, token) in self.tokens.iter().zip(tokens) {
            files.push(FileEntry {
                path: source.path.clone(),
                data: token.clone(),
                mode: source.mode,
                source: None,
            });
        }
        files
    }

    /// Every file path, checked for collisions (two sources writing one path).
    fn check_paths(&self) -> Result<(), String> {
        let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
        let token_paths = self.tokens.iter().map(|t| t.path.as_str());
        for path in self.files.iter().map(|f| f.path.as_str()).chain(token_paths) {
            if seen.insert(path, ()).is_some() {
                return Err(format!("volume {}: two sources write the file {path:?}", self.name));
            }
            // A file may not also be a directory of another (`a` and `a/b`).
            if seen.keys().any(|other| {
                other.strip_prefix(path).is_some_and(|r| r.starts_with('/'))
                    || path.strip_prefix(other).is_some_and(|r| r.starts_with('/'))
            }) {
                return Err(format!("volume {}: {path:?} is both a file and a directory", self.name));
            }
        }
        Ok(())
    }
}

/// The plan of the volume named `name` of `pod`, as mounted by a container.
pub fn plan(pod: &Pod, volume: &Volume, objects: &Objects) -> Result<VolumePlan, String> {
    let name = &volume.name;
    let what = format!("volume {name}");
    let plan = if let Some(s) = &volume.secret {
        let mode = s.default_mode.unwrap_or(DEFAULT_MODE);
        let object = objects.require(
            ObjectKind::Secret,
            &s.secret_name,
            &pod.namespace,
            s.optional.unwrap_or(false),
            &format!("{what} (secret {})", s.secret_name),
        )?;
        VolumePlan {
            name: name.clone(),
            kind: "secret",
            files: object_files(object, &s.items, mode, s.optional.unwrap_or(false), &what)?,
            tokens: Vec::new(),
        }
    } else if let Some(c) = &volume.config_map {
        let mode = c.default_mode.unwrap_or(DEFAULT_MODE);
        let object = objects.require(
            ObjectKind::ConfigMap,
            &c.name,
            &pod.namespace,
            c.optional.unwrap_or(false),
            &format!("{what} (configMap {})", c.name),
        )?;
        VolumePlan {
            name: name.clone(),
            kind: "configMap",
            files: object_files(object, &c.items, mode, c.optional.unwrap_or(false), &what)?,
            tokens: Vec::new(),
        }
    } else if let Some(p) = &volume.projected {
        let mode = p.default_mode.unwrap_or(DEFAULT_MODE);
        let mut files = Vec::new();
        let mut tokens = Vec::new();
        for (i, source) in p.sources.iter().enumerate() {
            let at = format!("{what} source {i}");
            if let Some(t) = &source.service_account_token {
                tokens.push(token_source(
                    t.audience.clone(),
                    t.expiration_seconds,
                    &t.path,
                    mode,
                    &at,
                )?);
            } else if let Some(o) = source
                .secret
                .as_ref()
                .map(|o| (ObjectKind::Secret, o))
                .or(source.config_map.as_ref().map(|o| (ObjectKind::ConfigMap, o)))
            {
                let (kind, projection) = o;
                let optional = projection.optional.unwrap_or(false);
                let object = objects.require(
                    kind,
                    &projection.name,
                    &pod.namespace,
                    optional,
                    &format!("{at} ({} {})", kind.as_str(), projection.name),
                )?;
                files.extend(object_files(object, &projection.items, mode, optional, &at)?);
            } else {
                let kinds: Vec<&str> = source.other.keys().map(String::as_str).collect();
                return Err(format!(
                    "{at}: {} is not supported by rolechain run (serviceAccountToken, secret and configMap are)",
                    if kinds.is_empty() {
                        "an empty source".to_string()
                    } else {
                        kinds.join(", ")
                    }
                ));
            }
        }
        VolumePlan {
            name: name.clone(),
            kind: "projected",
            files,
            tokens,
        }
    } else if volume.empty_dir.is_some() {
        VolumePlan {
            name: name.clone(),
            kind: "emptyDir",
            files: Vec::new(),
            tokens: Vec::new(),
        }
    } else {
        let kinds: Vec<&str> = volume.other.keys().map(String::as_str).collect();
        return Err(format!(
            "{what}: {} volumes are not supported by rolechain run (secret, configMap, projected and emptyDir are)",
            if kinds.is_empty() {
                "source-less".to_string()
            } else {
                kinds.join(", ")
            }
        ));
    };
    plan.check_paths()?;
    Ok(plan)
}

/// A token source with Kubernetes' defaults and bounds (§3.3).
pub fn token_source(
    audience: Option<String>,
    expiration_seconds: Option<i64>,
    path: &str,
    mode: u32,
    what: &str,
) -> Result<TokenSource, String> {
    let seconds = expiration_seconds.unwrap_or(DEFAULT_TOKEN_SECONDS);
    if seconds < MIN_TOKEN_SECONDS {
        return Err(format!(
            "{what}: expirationSeconds {seconds} is below Kubernetes' minimum of {MIN_TOKEN_SECONDS} (10 minutes)"
        ));
    }
    if seconds > MAX_TOKEN_SECONDS {
        return Err(format!(
            "{what}: expirationSeconds {seconds} is above Kubernetes' maximum of 2^32"
        ));
    }
    check_relative(path, &format!("{what}: serviceAccountToken path"))?;
    Ok(TokenSource {
        audience: audience.filter(|a| !a.is_empty()),
        expiration_seconds: seconds,
        path: path.to_string(),
        mode,
    })
}

/// The files of a Secret or ConfigMap: every key, or the `items` chosen.
fn object_files(
    object: Option<&Object>,
    items: &[KeyToPath],
    mode: u32,
    optional: bool,
    what: &str,
) -> Result<Vec<FileEntry>, String> {
    let Some(object) = object else { return Ok(Vec::new()) };
    let label = |key: &str| {
        format!(
            "{} {}/{} key {key}",
            object.kind.as_str(),
            object.namespace.as_deref().unwrap_or("-"),
            object.name
        )
    };
    if items.is_empty() {
        return Ok(object
            .data
            .iter()
            .map(|(key, data)| FileEntry {
                path: key.clone(),
                data: data.clone(),
                mode,
                source: Some(label(key)),
            })
            .collect());
    }
    let mut files = Vec::new();
    for item in items {
        check_relative(&item.path, &format!("{what}: item path"))?;
        match object.data.get(&item.key) {
            Some(data) => files.push(FileEntry {
                path: item.path.clone(),
                data: data.clone(),
                mode: item.mode.unwrap_or(mode),
                source: Some(label(&item.key)),
            }),
            // The kubelet skips a missing key only when the source is optional.
            None if optional => {}
            None => {
                return Err(format!(
                    "{what}: {} {} has no key {:?} (its keys: {})",
                    object.kind.as_str(),
                    object.name,
                    item.key,
                    object.data.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_DEPLOYMENT: &str = include_str!("../../seed/deployment.yaml");
    const SEED_SECRET: &str = include_str!("../../seed/secret.yaml");

    fn seed() -> (Pod, Objects) {
        let mut objects = Objects::default();
        objects.add_file(SEED_SECRET, "secret.yaml").unwrap();
        (Pod::parse(SEED_DEPLOYMENT).unwrap(), objects)
    }

    #[test]
    fn the_seed_volumes() {
        let (pod, objects) = seed();
        let secret = plan(&pod, pod.volume("dev-dynamodb-reader").unwrap(), &objects).unwrap();
        assert_eq!(secret.files.len(), 1);
        assert_eq!(secret.files[0].path, "credentials");
        assert_eq!(secret.files[0].mode, 0o644);
        let token = plan(&pod, pod.volume("bound-sa-token").unwrap(), &objects).unwrap();
        assert!(token.files.is_empty());
        assert_eq!(
            token.tokens,
            [TokenSource {
                audience: Some("openshift".into()),
                expiration_seconds: 3600,
                path: "token".into(),
                mode: 0o644
            }]
        );
        let payload = token.payload(&[b"jwt".to_vec()]);
        assert_eq!(
            (payload[0].path.as_str(), payload[0].data.as_slice()),
            ("token", &b"jwt"[..])
        );
    }

    #[test]
    fn a_missing_secret_fails_unless_optional() {
        let (pod, _) = seed();
        let e = plan(&pod, pod.volume("dev-dynamodb-reader").unwrap(), &Objects::default()).unwrap_err();
        assert!(
            e.contains("Secret my-namespace/dev-dynamodb-reader") && e.contains("--secret"),
            "{e}"
        );
        let optional = Pod::parse(
            "metadata: {}\ncontainers: [{name: a}]\nvolumes: [{name: v, secret: {secretName: s, optional: true}}]\n",
        )
        .unwrap();
        let p = plan(&optional, optional.volume("v").unwrap(), &Objects::default()).unwrap();
        assert!(p.files.is_empty());
    }

    #[test]
    fn items_and_modes() {
        let pod = Pod::parse(
            "containers: [{name: a}]\nvolumes:\n- name: v\n  secret:\n    secretName: s\n    defaultMode: 0400\n    items: [{key: a, path: dir/x}, {key: b, path: y, mode: 0o600}]\n",
        )
        .unwrap();
        let mut objects = Objects::default();
        objects
            .add_file(
                "kind: Secret\nmetadata: {name: s}\nstringData: {a: '1', b: '2', c: '3'}\n",
                "s",
            )
            .unwrap();
        let p = plan(&pod, pod.volume("v").unwrap(), &objects).unwrap();
        let got: Vec<(&str, u32)> = p.files.iter().map(|f| (f.path.as_str(), f.mode)).collect();
        assert_eq!(got, [("dir/x", 0o400), ("y", 0o600)]);
        let mut only_a = Objects::default();
        only_a
            .add_file("kind: Secret\nmetadata: {name: s}\nstringData: {a: '1'}\n", "s")
            .unwrap();
        let e = plan(&pod, pod.volume("v").unwrap(), &only_a).unwrap_err();
        assert!(e.contains("no key \"b\""), "{e}");
    }

    #[test]
    fn projected_sources_tokens_bounds_and_collisions() {
        let text = |extra: &str| {
            format!(
                "containers: [{{name: a}}]\nvolumes:\n- name: v\n  projected:\n    sources:\n    - serviceAccountToken: {{path: token{extra}}}\n    - secret: {{name: s}}\n"
            )
        };
        let mut objects = Objects::default();
        objects
            .add_file("kind: Secret\nmetadata: {name: s}\nstringData: {credentials: x}\n", "s")
            .unwrap();
        let pod = Pod::parse(&text("")).unwrap();
        let p = plan(&pod, pod.volume("v").unwrap(), &objects).unwrap();
        assert_eq!(p.tokens[0].expiration_seconds, 3600);
        assert_eq!(p.tokens[0].audience, None);
        assert_eq!(p.files[0].path, "credentials");
        let short = Pod::parse(&text(", expirationSeconds: 599")).unwrap();
        assert!(
            plan(&short, short.volume("v").unwrap(), &objects)
                .unwrap_err()
                .contains("minimum of 600")
        );
        let mut clash = Objects::default();
        clash
            .add_file("kind: Secret\nmetadata: {name: s}\nstringData: {token: x}\n", "s")
            .unwrap();
        assert!(
            plan(&pod, pod.volume("v").unwrap(), &clash)
                .unwrap_err()
                .contains("two sources")
        );
        let bad =
            Pod::parse("containers: [{name: a}]\nvolumes: [{name: v, projected: {sources: [{downwardAPI: {}}]}}]\n")
                .unwrap();
        assert!(
            plan(&bad, bad.volume("v").unwrap(), &objects)
                .unwrap_err()
                .contains("downwardAPI")
        );
        let host = Pod::parse("containers: [{name: a}]\nvolumes: [{name: v, hostPath: {path: /x}}]\n").unwrap();
        assert!(
            plan(&host, host.volume("v").unwrap(), &objects)
                .unwrap_err()
                .contains("hostPath")
        );
    }
}
