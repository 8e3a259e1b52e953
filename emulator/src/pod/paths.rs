//! In-pod paths and where they live on this machine.
//!
//! A pod sees absolute mount paths such as
//! `/var/run/secrets/openshift/serviceaccount`; a developer's machine keeps
//! them under a root directory. Configuration that names an in-pod path (the
//! ccoctl profile's `web_identity_token_file`, an env var) is rewritten to the
//! local path, so the unchanged application finds the files.

use std::path::{Component, Path, PathBuf};

/// Checks an in-pod absolute path (a mount path) and returns it normalised
/// (no trailing or doubled `/`).
pub fn check_pod_path(path: &str, what: &str) -> Result<String, String> {
    if !path.starts_with('/') {
        return Err(format!("{what} {path:?}: must be an absolute path"));
    }
    let mut parts = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::RootDir => {}
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir | Component::ParentDir | Component::Prefix(_) => {
                return Err(format!("{what} {path:?}: may not contain `.` or `..`"));
            }
        }
    }
    if parts.is_empty() {
        return Err(format!("{what} {path:?}: cannot be `/`"));
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Checks a path relative to a volume (an item's `path`, a token's `path`,
/// a `subPath`): relative, no `..` element, not starting with `..` (the
/// kubelet's own names).
pub fn check_relative(path: &str, what: &str) -> Result<(), String> {
    if path.is_empty() || path.starts_with('/') {
        return Err(format!("{what} {path:?}: must be a relative path"));
    }
    if path.starts_with("..") {
        return Err(format!("{what} {path:?}: may not start with `..`"));
    }
    if path.split('/').any(|p| p == "..") {
        return Err(format!("{what} {path:?}: may not contain `..`"));
    }
    Ok(())
}

/// Where an in-pod path lives under `root`.
pub fn host_path(root: &Path, pod_path: &str) -> PathBuf {
    root.join(pod_path.trim_start_matches('/'))
}

/// The in-pod paths to rewrite, each with its local path.
#[derive(Debug, Clone, Default)]
pub struct PathMap {
    /// Longest in-pod path first, so that a nested mount wins over its parent.
    entries: Vec<(String, String)>,
}

impl PathMap {
    /// Adds a mapping; one that changes nothing (`--root /`) is left out.
    pub fn add(&mut self, pod_path: &str, host: &Path) {
        let host = host.to_string_lossy().into_owned();
        if host == pod_path || self.entries.iter().any(|(p, _)| p == pod_path) {
            return;
        }
        self.entries.push((pod_path.to_string(), host));
        self.entries
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Rewrites every occurrence of a mapped path in `text`, answering the
    /// new text and the in-pod paths that were found. An occurrence counts
    /// only as a whole path: `/var/run/secrets/cloud` matches in
    /// `/var/run/secrets/cloud/credentials` and `file:///var/run/secrets/cloud`
    /// but not in `/var/run/secrets/cloudy` or `/x/var/run/secrets/cloud`.
    pub fn rewrite(&self, text: &[u8]) -> (Vec<u8>, Vec<String>) {
        let mut out = Vec::with_capacity(text.len());
        let mut hits: Vec<String> = Vec::new();
        let mut i = 0;
        'scan: while i < text.len() {
            if text[i] == b'/' && starts_a_path(text, i) {
                for (pod, host) in &self.entries {
                    let end = i + pod.len();
                    if text[i..].starts_with(pod.as_bytes()) && text.get(end).is_none_or(|b| !is_name_byte(*b)) {
                        out.extend_from_slice(host.as_bytes());
                        if !hits.contains(pod) {
                            hits.push(pod.clone());
                        }
                        i = end;
                        continue 'scan;
                    }
                }
            }
            out.push(text[i]);
            i += 1;
        }
        (out, hits)
    }

    /// [`PathMap::rewrite`] for text.
    pub fn rewrite_str(&self, text: &str) -> (String, Vec<String>) {
        let (bytes, hits) = self.rewrite(text.as_bytes());
        // Only whole ASCII paths were replaced by UTF-8 paths: still UTF-8.
        (String::from_utf8_lossy(&bytes).into_owned(), hits)
    }
}

/// Bytes that continue a file name: a path followed by one is a longer name.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || b >= 0x80
}

/// Whether an absolute path can begin at `i`: at the start, after a
/// separator (`=`, space, quote, `:` …), or after a URL's `scheme://`.
fn starts_a_path(text: &[u8], i: usize) -> bool {
    match i.checked_sub(1).map(|j| text[j]) {
        None => true,
        Some(b'/') => i >= 3 && &text[i - 3..i] == b"://",
        Some(b) => !is_name_byte(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> PathMap {
        let mut m = PathMap::default();
        m.add("/var/run/secrets/cloud", Path::new("/r/var/run/secrets/cloud"));
        m.add("/var/run/secrets/openshift/serviceaccount", Path::new("/r/sa"));
        m.add("/var/run", Path::new("/r/var/run"));
        m
    }

    #[test]
    fn whole_paths_are_rewritten_longest_first() {
        let m = map();
        let (t, hits) = m.rewrite_str("web_identity_token_file = /var/run/secrets/openshift/serviceaccount/token\n");
        assert_eq!(t, "web_identity_token_file = /r/sa/token\n");
        assert_eq!(hits, ["/var/run/secrets/openshift/serviceaccount"]);
        assert_eq!(m.rewrite_str("/var/run/secrets/cloud").0, "/r/var/run/secrets/cloud");
        assert_eq!(
            m.rewrite_str("file:///var/run/secrets/cloud/x").0,
            "file:///r/var/run/secrets/cloud/x"
        );
        assert_eq!(
            m.rewrite_str("a=/var/run/secrets/cloudy").0,
            "a=/r/var/run/secrets/cloudy"
        );
        assert_eq!(m.rewrite_str("/x/var/run/secrets/cloud").0, "/x/var/run/secrets/cloud");
        assert_eq!(
            m.rewrite_str("p:/var/run/secrets/cloud:/var/run").0,
            "p:/r/var/run/secrets/cloud:/r/var/run"
        );
        assert_eq!(
            m.rewrite_str("\"/var/run/secrets/cloud\"").0,
            "\"/r/var/run/secrets/cloud\""
        );
        assert_eq!(m.rewrite_str("nothing here").1.len(), 0);
    }

    #[test]
    fn identity_mappings_are_dropped() {
        let mut m = PathMap::default();
        m.add("/var/run/x", Path::new("/var/run/x"));
        assert!(m.is_empty());
        assert_eq!(host_path(Path::new("/"), "/var/run/x"), Path::new("/var/run/x"));
        assert_eq!(
            host_path(Path::new("/tmp/r"), "/var/run/x"),
            Path::new("/tmp/r/var/run/x")
        );
    }

    #[test]
    fn paths_are_checked() {
        assert_eq!(check_pod_path("/var//run/x/", "m").unwrap(), "/var/run/x");
        assert!(check_pod_path("var/run", "m").is_err());
        assert!(check_pod_path("/var/../etc", "m").is_err());
        assert!(check_pod_path("/", "m").is_err());
        assert!(check_relative("token", "p").is_ok());
        assert!(check_relative("a/b", "p").is_ok());
        assert!(check_relative("/a", "p").is_err());
        assert!(check_relative("..data", "p").is_err());
        assert!(check_relative("a/../b", "p").is_err());
        assert!(check_relative("", "p").is_err());
    }
}
