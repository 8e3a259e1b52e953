//! The command's environment: the container's, then what points the SDKs at the emulator.

use std::ffi::OsString;
use std::path::Path;

use rolechain::pod::env::{PodFields, container_env, expand};
use rolechain::pod::paths::{PathMap, host_path};
use rolechain::pod::{Container, Objects};

use super::emulator::PrivateFiles;
use super::pod_setup::token_path;
use super::{Log, RunArgs};

/// The container's environment as the pod has it: its own variables, those
/// the pod-identity webhook adds for `--role-arn`, then each `--env`.
pub(super) fn pod_env(
    args: &RunArgs,
    container: &Container,
    objects: &Objects,
    fields: &PodFields,
) -> Result<Vec<(String, String)>, String> {
    let mut env = container_env(container, objects, fields)?;
    if let Some(arn) = &args.role_arn {
        // The webhook adds its variables only where the container has none (facts §5.2).
        let token = token_path(args)?;
        for (name, value) in [
            ("AWS_ROLE_ARN", arn.as_str()),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", token.as_str()),
        ] {
            if !env.iter().any(|(n, _)| n == name) {
                env.push((name.to_string(), value.to_string()));
            }
        }
    }
    for extra in &args.env {
        let (name, value) = extra
            .split_once('=')
            .filter(|(n, _)| !n.is_empty())
            .ok_or_else(|| format!("--env {extra}: expected NAME=VALUE"))?;
        let value = expand(value, &env);
        env.retain(|(n, _)| n != name);
        env.push((name.to_string(), value));
    }
    Ok(env)
}

/// The command's environment: ours without `AWS_*`, then the container's
/// (in-pod paths rewritten), then what points the SDKs at the emulator.
pub(super) fn final_env(
    container: Vec<(String, String)>,
    paths: &PathMap,
    files: &PrivateFiles,
    endpoint: &str,
    root: &Path,
    log: Log,
) -> Vec<(OsString, OsString)> {
    let mut env: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(name, _)| !name.to_string_lossy().starts_with("AWS_"))
        .collect();
    let set = |env: &mut Vec<(OsString, OsString)>, name: &str, value: OsString| {
        env.retain(|(n, _)| n != name);
        env.push((name.into(), value));
    };
    let container_sets = |name: &str| container.iter().any(|(n, _)| n == name);
    for (name, value) in &container {
        let (value, hits) = paths.rewrite_str(value);
        for hit in hits {
            log.info(&format!(
                "rewrote {hit} in env {name} to {}",
                host_path(root, &hit).display()
            ));
        }
        set(&mut env, name, value.into());
    }
    let path = |p: &Path| p.as_os_str().to_os_string();
    let defaults: [(&str, OsString); 6] = [
        ("AWS_ENDPOINT_URL", endpoint.into()),
        ("AWS_CA_BUNDLE", path(&files.ca)),
        ("NODE_EXTRA_CA_CERTS", path(&files.ca)),
        ("AWS_CONFIG_FILE", path(&files.empty_config)),
        ("AWS_SHARED_CREDENTIALS_FILE", path(&files.empty_credentials)),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ];
    for (name, value) in defaults {
        if !container_sets(name) {
            set(&mut env, name, value);
        }
    }
    set(&mut env, "ROLECHAIN_ENDPOINT", endpoint.into());
    set(&mut env, "ROLECHAIN_POD_ROOT", path(root));
    env
}
