//! The pod to play: read from manifests or made up for `--service-account`,
//! its own facts, and the container's volumes planned.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rolechain::pod::env::PodFields;
use rolechain::pod::paths::{check_pod_path, check_relative};
use rolechain::pod::spec::{
    ObjectProjection, PodSpec, ProjectedVolume, ProjectionSource, TokenProjection, Volume, VolumeMount,
};
use rolechain::pod::{Container, ObjectKind, Objects, Pod, VolumePlan, volume};

use super::RunArgs;

/// Where ccoctl's Secret says the token is (`OidcTokenPath`, facts §1.4).
const CCOCTL_TOKEN_FILE: &str = "/var/run/secrets/openshift/serviceaccount/token";
/// Where OpenShift's docs mount the ccoctl Secret (facts §1.9).
const DEFAULT_SECRET_MOUNT: &str = "/var/run/secrets/cloud";

fn read(file: &Path) -> Result<String, String> {
    std::fs::read_to_string(file).map_err(|e| format!("cannot read {}: {e}", file.display()))
}

pub(super) fn read_objects(files: &[PathBuf]) -> Result<Objects, String> {
    let mut objects = Objects::default();
    for file in files {
        objects.add_file(&read(file)?, &file.display().to_string())?;
    }
    Ok(objects)
}

/// The pod of a workload manifest (`--deployment`) and the container COMMAND plays.
pub(super) fn read_pod(file: &Path, container: Option<&str>) -> Result<(Pod, Container), String> {
    let pod = Pod::parse(&read(file)?).map_err(|e| format!("{}: {e}", file.display()))?;
    let container = pod
        .container(container)
        .map_err(|e| format!("{}: {e}", file.display()))?
        .clone();
    Ok((pod, container))
}

pub(super) fn token_path(args: &RunArgs) -> Result<String, String> {
    check_pod_path(args.token_path.as_deref().unwrap_or(CCOCTL_TOKEN_FILE), "--token-path")
}

/// The pod `--service-account` describes: one projected token and, when
/// Secrets are given, one projected volume holding all of them.
pub(super) fn service_account_pod(args: &RunArgs, objects: &Objects) -> Result<(Pod, Container), String> {
    let account = args.service_account.as_deref().unwrap_or_default();
    let (namespace, name) = account
        .split_once('/')
        .filter(|(ns, sa)| !ns.is_empty() && !sa.is_empty() && !sa.contains('/'))
        .ok_or_else(|| format!("--service-account {account}: expected namespace/name"))?;
    let token = token_path(args)?;
    let Some((token_dir, token_file)) = token.rsplit_once('/').filter(|(dir, _)| !dir.is_empty()) else {
        return Err(format!("--token-path {token}: the token needs a directory of its own"));
    };
    let mut token_sources = vec![ProjectionSource {
        service_account_token: Some(TokenProjection {
            audience: args.audience.clone(),
            expiration_seconds: args.expiration_seconds,
            path: token_file.to_string(),
        }),
        ..empty_source()
    }];
    let secret_sources: Vec<ProjectionSource> = objects
        .iter()
        .map(|o| {
            let projection = Some(ObjectProjection {
                name: o.name.clone(),
                items: Vec::new(),
                optional: None,
            });
            match o.kind {
                ObjectKind::Secret => ProjectionSource {
                    secret: projection,
                    ..empty_source()
                },
                ObjectKind::ConfigMap => ProjectionSource {
                    config_map: projection,
                    ..empty_source()
                },
            }
        })
        .collect();
    let mut secrets_volume = None;
    if !secret_sources.is_empty() {
        let at = check_pod_path(
            args.secret_mount.as_deref().unwrap_or(DEFAULT_SECRET_MOUNT),
            "--secret-mount",
        )?;
        if at == token_dir {
            // One directory: one projected volume with the token and the Secrets.
            token_sources.extend(secret_sources);
        } else {
            secrets_volume = Some((
                projected("rolechain-secrets", secret_sources),
                mount("rolechain-secrets", &at),
            ));
        }
    } else if args.secret_mount.is_some() {
        return Err("--secret-mount without --secret: nothing to mount".into());
    }
    let (volumes, mounts): (Vec<Volume>, Vec<VolumeMount>) = std::iter::once((
        projected("rolechain-token", token_sources),
        mount("rolechain-token", token_dir),
    ))
    .chain(secrets_volume)
    .unzip();
    let container = Container {
        name: "main".into(),
        volume_mounts: mounts,
        ..Container::default()
    };
    let pod = Pod {
        kind: "Pod".into(),
        name: None,
        namespace: namespace.to_string(),
        labels: BTreeMap::new(),
        annotations: BTreeMap::new(),
        spec: PodSpec {
            service_account_name: Some(name.to_string()),
            containers: vec![container.clone()],
            volumes,
            ..Default::default()
        },
    };
    Ok((pod, container))
}

fn projected(name: &str, sources: Vec<ProjectionSource>) -> Volume {
    Volume {
        name: name.into(),
        secret: None,
        config_map: None,
        projected: Some(ProjectedVolume {
            sources,
            default_mode: None,
        }),
        empty_dir: None,
        other: BTreeMap::new(),
    }
}

fn empty_source() -> ProjectionSource {
    ProjectionSource {
        service_account_token: None,
        secret: None,
        config_map: None,
        other: BTreeMap::new(),
    }
}

fn mount(volume: &str, path: &str) -> VolumeMount {
    VolumeMount {
        name: volume.into(),
        mount_path: path.into(),
        sub_path: None,
        read_only: Some(true),
    }
}

/// The pod's own facts: a pod name as a ReplicaSet would make one, loopback addresses.
pub(super) fn pod_fields(pod: &Pod) -> PodFields {
    let suffix: String = (0..5)
        .map(|_| {
            // Kubernetes' generated names avoid vowels and look-alike digits.
            const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
            ALPHABET[rand::random_range(0..ALPHABET.len())] as char
        })
        .collect();
    let name = match (pod.kind.as_str(), &pod.name) {
        ("Pod", Some(name)) => name.clone(),
        (_, Some(name)) => format!("{name}-{suffix}"),
        (_, None) => format!("rolechain-run-{suffix}"),
    };
    PodFields {
        name,
        namespace: pod.namespace.clone(),
        uid: uuid::Uuid::new_v4().to_string(),
        service_account: pod.service_account().to_string(),
        node_name: pod.spec.node_name.clone().unwrap_or_else(|| "rolechain-node".into()),
        pod_ip: "127.0.0.1".into(),
        host_ip: "127.0.0.1".into(),
        labels: pod.labels.clone(),
        annotations: pod.annotations.clone(),
    }
}

/// One volume the container mounts, with where it is mounted.
#[derive(Debug)]
pub(super) struct MountedPlan {
    pub(super) plan: VolumePlan,
    pub(super) mounts: Vec<VolumeMount>,
}

/// The container's volumes, each planned once, mounts checked.
pub(super) fn plan_mounts(pod: &Pod, container: &Container, objects: &Objects) -> Result<Vec<MountedPlan>, String> {
    let mut out: Vec<MountedPlan> = Vec::new();
    let mut seen_paths: Vec<String> = Vec::new();
    for m in &container.volume_mounts {
        let what = format!("container {} volumeMount {}", container.name, m.name);
        let path = check_pod_path(&m.mount_path, &format!("{what}: mountPath"))?;
        if seen_paths.contains(&path) {
            return Err(format!("{what}: mountPath {path} is mounted twice"));
        }
        seen_paths.push(path.clone());
        if let Some(sub) = sub_path(m) {
            check_relative(sub, &format!("{what}: subPath"))?;
        }
        let normalised = VolumeMount {
            mount_path: path,
            ..m.clone()
        };
        if let Some(existing) = out.iter_mut().find(|p| p.plan.name == m.name) {
            existing.mounts.push(normalised);
            continue;
        }
        let v = pod
            .volume(&m.name)
            .ok_or_else(|| format!("{what}: the pod has no volume named {}", m.name))?;
        out.push(MountedPlan {
            plan: volume::plan(pod, v, objects)?,
            mounts: vec![normalised],
        });
    }
    Ok(out)
}

/// The mount's subPath, when it names one: an empty one mounts the whole volume.
pub(super) fn sub_path(mount: &VolumeMount) -> Option<&str> {
    mount.sub_path.as_deref().filter(|s| !s.is_empty())
}
