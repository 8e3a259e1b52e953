//! The directory in-pod paths live under.

use std::path::{Path, PathBuf};

use rolechain::pod::paths::{PathMap, host_path};

use super::pod_setup::MountedPlan;

/// The directory in-pod paths live under, and a private one for our files.
#[derive(Debug)]
pub(super) struct Root {
    pub(super) path: PathBuf,
    /// ca.pem, the empty AWS config files, volumes mounted more than once.
    pub(super) private: PathBuf,
    /// Directories made for this run, removed when it ends.
    remove: Vec<PathBuf>,
}

impl Root {
    pub(super) fn create(given: Option<&Path>) -> Result<Root, String> {
        let fresh = || {
            std::env::temp_dir().join(format!(
                "rolechain-run-{}",
                &uuid::Uuid::new_v4().simple().to_string()[..12]
            ))
        };
        let make_private = |dir: &Path| {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            set_mode(dir, 0o700)
        };
        let (path, private, remove) = match given {
            None => {
                let path = fresh();
                make_private(&path)?;
                (path.clone(), path.join(".rolechain"), vec![path])
            }
            Some(dir) => {
                let path = std::path::absolute(dir).map_err(|e| format!("--root {}: {e}", dir.display()))?;
                std::fs::create_dir_all(&path).map_err(|e| format!("--root: cannot create {}: {e}", path.display()))?;
                // Under `/`, our own files go to a temporary directory, not `/.rolechain`.
                if path.parent().is_none() {
                    let private = fresh();
                    (path, private.clone(), vec![private])
                } else {
                    let private = path.join(".rolechain");
                    (path, private, Vec::new())
                }
            }
        };
        make_private(&private)?;
        Ok(Root { path, private, remove })
    }

    /// Each mount point's in-pod path, and where it lives under the root.
    pub(super) fn path_map(&self, mounts: &[MountedPlan]) -> PathMap {
        let mut paths = PathMap::default();
        for m in mounts.iter().flat_map(|mount| &mount.mounts) {
            paths.add(&m.mount_path, &host_path(&self.path, &m.mount_path));
        }
        paths
    }
}

impl Drop for Root {
    fn drop(&mut self) {
        for dir in &self.remove {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| format!("cannot set the mode of {}: {e}", path.display()))
}
