//! The pod's volumes on disk, in the kubelet's atomic layout, and their mount points.

use std::path::{Path, PathBuf};

use rolechain::pod::paths::{PathMap, host_path};
use rolechain::pod::{VolumePlan, atomic};

use super::pod_setup::{MountedPlan, sub_path};
use super::root::Root;
use super::tokens::{Context, Minted, mint, stamp, virtual_now};

/// A volume on disk: where, its fixed files (already rewritten) and its tokens.
#[derive(Debug)]
pub(super) struct LiveVolume {
    pub(super) plan: VolumePlan,
    dir: PathBuf,
    pub(super) tokens: Vec<Minted>,
}

impl LiveVolume {
    pub(super) fn write(&self, stamp: &str) -> Result<(), String> {
        let tokens: Vec<Vec<u8>> = self.tokens.iter().map(|t| t.token.clone()).collect();
        atomic::write(&self.dir, &self.plan.payload(&tokens), stamp).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
                " (use --root DIR, or leave --root out for a temporary one)"
            } else {
                ""
            };
            format!(
                "volume {}: cannot write {}: {e}{hint}",
                self.plan.name,
                self.dir.display()
            )
        })
    }
}

/// Writes every volume (minting its tokens) and makes the mount points.
pub(super) async fn write_volumes(
    ctx: &Context,
    mounts: Vec<MountedPlan>,
    paths: &PathMap,
    root: &Root,
) -> Result<Vec<LiveVolume>, String> {
    let now = virtual_now(&ctx.endpoint).await?;
    let mut live = Vec::new();
    for MountedPlan { mut plan, mounts } in mounts {
        for file in &mut plan.files {
            let (data, hits) = paths.rewrite(&file.data);
            for hit in hits {
                ctx.log.info(&format!(
                    "rewrote {hit} in {} ({}) to {}",
                    file.source.as_deref().unwrap_or("a file"),
                    file.path,
                    host_path(&root.path, &hit).display()
                ));
            }
            file.data = data;
        }
        let mut tokens = Vec::new();
        for source in &plan.tokens {
            tokens.push(mint(ctx, source).await.map_err(|e| {
                format!(
                    "volume {}: cannot get a token for {}/{}: {e}",
                    plan.name, ctx.namespace, ctx.service_account
                )
            })?);
        }
        // One plain mount: the volume is written right there. Otherwise it lives
        // in the private directory and each mount point links to it (or into it).
        let single = mounts.len() == 1 && sub_path(&mounts[0]).is_none();
        let dir = if single {
            host_path(&root.path, &mounts[0].mount_path)
        } else {
            root.private.join("volumes").join(&plan.name)
        };
        let volume = LiveVolume { plan, dir, tokens };
        if volume.plan.kind == "emptyDir" {
            std::fs::create_dir_all(&volume.dir).map_err(|e| format!("cannot create {}: {e}", volume.dir.display()))?;
        } else {
            volume.write(&stamp(now))?;
        }
        if !single {
            for m in &mounts {
                let target = match sub_path(m) {
                    Some(sub) => volume.dir.join(sub),
                    None => volume.dir.clone(),
                };
                link_mount(&target, &host_path(&root.path, &m.mount_path))?;
            }
        }
        live.push(volume);
    }
    Ok(live)
}

/// A mount point as a symlink; an empty directory or an old link in the way is replaced.
fn link_mount(target: &Path, at: &Path) -> Result<(), String> {
    if let Some(parent) = at.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    match std::fs::symlink_metadata(at) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::remove_file(at).map_err(|e| format!("cannot replace {}: {e}", at.display()))?
        }
        Ok(m) if m.is_dir() => std::fs::remove_dir(at).map_err(|e| {
            format!(
                "cannot mount at {}: {e} (it is a directory that is not empty)",
                at.display()
            )
        })?,
        Ok(_) => return Err(format!("cannot mount at {}: a file is in the way", at.display())),
        Err(_) => {}
    }
    std::os::unix::fs::symlink(target, at)
        .map_err(|e| format!("cannot link {} to {}: {e}", at.display(), target.display()))
}
