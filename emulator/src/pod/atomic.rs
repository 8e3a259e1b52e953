//! The kubelet's atomic volume layout (`pkg/volume/util/atomic_writer.go`):
//!
//! ```text
//! <dir>/..2026_11_26_23_00_00.123456789/token   the data, in a fresh hidden directory
//! <dir>/..data -> ..2026_11_26_23_00_00.123456789   swapped by rename(2)
//! <dir>/token -> ..data/token                    what the application opens
//! ```
//!
//! A reader that opens `<dir>/token` sees either the whole old payload or the
//! whole new one, never a half-written file; an old directory is removed only
//! after `..data` points past it.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use super::paths::check_relative;
use super::volume::FileEntry;

const DATA: &str = "..data";
const DATA_TMP: &str = "..data_tmp";

/// Writes `files` into `dir` with the kubelet's layout; `stamp` (such as
/// `2026_11_26_23_00_00`) names the new hidden directory.
pub fn write(dir: &Path, files: &[FileEntry], stamp: &str) -> io::Result<()> {
    for f in files {
        check_relative(&f.path, "file path").map_err(io::Error::other)?;
    }
    fs::create_dir_all(dir)?;
    let new_name = make_stamped_dir(dir, stamp)?;
    let new_dir = dir.join(&new_name);
    let written = (|| {
        for f in files {
            let path = new_dir.join(&f.path);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&path, &f.data)?;
            fs::set_permissions(&path, fs::Permissions::from_mode(f.mode))?;
        }
        // `..data_tmp` may survive an interrupted earlier write.
        match fs::remove_file(dir.join(DATA_TMP)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        symlink(&new_name, dir.join(DATA_TMP))?;
        fs::rename(dir.join(DATA_TMP), dir.join(DATA))
    })();
    if let Err(e) = written {
        let _ = fs::remove_dir_all(&new_dir);
        return Err(e);
    }

    // The visible names: one symlink per top-level entry of the payload.
    let top: BTreeSet<&str> = files
        .iter()
        .map(|f| f.path.split('/').next().unwrap_or(&f.path))
        .collect();
    for name in &top {
        let link = dir.join(name);
        if fs::symlink_metadata(&link).is_err() {
            symlink(Path::new(DATA).join(name), &link)?;
        }
    }
    // Then what is stale: links to names the payload no longer has, and every
    // hidden data directory but the new one.
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if name.starts_with("..") {
            if name != DATA && name != new_name && kind.is_dir() {
                fs::remove_dir_all(entry.path())?;
            }
        } else if kind.is_symlink() && !top.contains(name.as_str()) && fs::read_link(entry.path())?.starts_with(DATA) {
            fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// Creates `..<stamp>.<random digits>` in `dir`, as `os.MkdirTemp` does for the kubelet.
fn make_stamped_dir(dir: &Path, stamp: &str) -> io::Result<String> {
    loop {
        let name = format!("..{stamp}.{}", rand::random_range(100_000_000u32..1_000_000_000));
        match fs::create_dir(dir.join(&name)) {
            Ok(()) => {
                fs::set_permissions(dir.join(&name), fs::Permissions::from_mode(0o755))?;
                return Ok(name);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, data: &str) -> FileEntry {
        FileEntry {
            path: path.into(),
            data: data.as_bytes().to_vec(),
            mode: 0o644,
            source: None,
        }
    }

    fn temp() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rolechain-atomic-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn hidden_dirs(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("..") && n != DATA)
            .collect();
        names.sort();
        names
    }

    #[test]
    fn the_kubelet_layout_and_a_swap() {
        let dir = temp();
        write(&dir, &[file("token", "one"), file("sub/x", "x")], "2026_01_01_00_00_00").unwrap();
        assert_eq!(fs::read_to_string(dir.join("token")).unwrap(), "one");
        assert_eq!(fs::read_link(dir.join("token")).unwrap(), Path::new("..data/token"));
        assert_eq!(fs::read_to_string(dir.join("sub/x")).unwrap(), "x");
        let first = fs::read_link(dir.join(DATA)).unwrap();
        assert!(
            first.to_string_lossy().starts_with("..2026_01_01_00_00_00."),
            "{first:?}"
        );
        let mode = fs::metadata(dir.join("token")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);

        write(&dir, &[file("token", "two")], "2026_01_01_00_48_00").unwrap();
        assert_eq!(fs::read_to_string(dir.join("token")).unwrap(), "two");
        let second = fs::read_link(dir.join(DATA)).unwrap();
        assert_ne!(first, second);
        // The old data directory and the link to a file no longer there are gone.
        assert_eq!(hidden_dirs(&dir), [second.to_string_lossy().into_owned()]);
        assert!(fs::symlink_metadata(dir.join("sub")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn modes_and_bad_paths() {
        let dir = temp();
        let mut secret = file("credentials", "c");
        secret.mode = 0o400;
        write(&dir, &[secret], "s").unwrap();
        let mode = fs::metadata(dir.join("credentials")).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o400);
        assert!(write(&dir, &[file("../x", "")], "s").is_err());
        assert!(write(&dir, &[file("..data", "")], "s").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn readers_always_see_a_whole_file() {
        let dir = temp();
        write(&dir, &[file("token", &"a".repeat(10_000))], "s").unwrap();
        let reader_dir = dir.clone();
        let reader = std::thread::spawn(move || {
            for _ in 0..2000 {
                // Opening races only with the removal of a directory `..data` has
                // already left (the path walk may then miss it); never with a partial file.
                let text = match fs::read_to_string(reader_dir.join("token")) {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                    read => read.unwrap(),
                };
                assert_eq!(text.len(), 10_000);
                assert!(text == "a".repeat(10_000) || text == "b".repeat(10_000));
            }
        });
        for i in 0..100 {
            let c = if i % 2 == 0 { "b" } else { "a" };
            write(&dir, &[file("token", &c.repeat(10_000))], "s").unwrap();
        }
        reader.join().unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
