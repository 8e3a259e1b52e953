//! The output directory as ccoctl lays it out: folders made with mode 0700,
//! Secrets and the cluster manifest 0600, dry-run files 0644.
//!
//! Each file is written to a temporary name beside it and renamed into place,
//! so a reader (or an interrupted run) never sees half a manifest, and the mode
//! is set explicitly: an existing file of another mode does not keep it.

use std::path::{Path, PathBuf};

use super::Error;

pub const SECRET_MODE: u32 = 0o600;
pub const DRY_RUN_MODE: u32 = 0o644;
const DIR_MODE: u32 = 0o700;

/// Makes `<output-dir>` and `<output-dir>/manifests` when missing (ccoctl's `EnsureDir`).
pub fn ensure_output_dirs(output_dir: &Path) -> Result<(), Error> {
    ensure_dir(output_dir)
        .map_err(|e| e.wrap(format!("failed to create target directory at {}", output_dir.display())))?;
    let manifests = output_dir.join(super::MANIFESTS_DIR);
    ensure_dir(&manifests).map_err(|e| {
        e.wrap(format!(
            "failed to create manifests directory at {}",
            manifests.display()
        ))
    })
}

fn ensure_dir(path: &Path) -> Result<(), Error> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::new(format!(
            "file {} exists and is not a directory",
            path.display()
        ))),
        Err(_) => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, DIR_MODE);
            builder
                .create(path)
                .map_err(|e| Error::new(format!("failed to create directory: {e}")))
        }
    }
}

/// Writes `text` to `dir/relative` with `mode`; answers the path written.
pub fn write(dir: &Path, relative: &str, text: &str, mode: u32) -> Result<PathBuf, Error> {
    let path = dir.join(relative);
    write_path(&path, text, mode)?;
    Ok(path)
}

/// Writes `text` to `path` with `mode`, through a temporary file renamed into place.
pub fn write_path(path: &Path, text: &str, mode: u32) -> Result<(), Error> {
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let temp = path.with_file_name(format!(".{file_name}.rolechain-tmp"));
    let result = (|| {
        std::fs::write(&temp, text)?;
        #[cfg(unix)]
        std::fs::set_permissions(&temp, std::os::unix::fs::PermissionsExt::from_mode(mode))?;
        #[cfg(not(unix))]
        let _ = mode;
        std::fs::rename(&temp, path)
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        Error::new(format!("cannot write {}: {e}", path.display()))
    })
}
