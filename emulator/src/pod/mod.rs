//! A pod, as `rolechain run` plays it for a local process: the pod spec read
//! from a Deployment, Pod or bare pod-spec manifest ([`spec`]), the Secrets and
//! ConfigMaps it refers to ([`objects`]), the files each mounted volume holds
//! ([`volume`]), the container's environment ([`env`]), the kubelet's atomic
//! volume layout ([`atomic`]) and the mapping of in-pod paths to a local root
//! ([`paths`]).
//!
//! Nothing here talks to the emulator: service-account tokens come in as
//! bytes, so every part is tested without a server. The facts followed are
//! those of `shared/spec/irsa-openshift-facts.md` §1.4 (the ccoctl Secret),
//! §1.9 (the pod-side wiring) and §3 (projected tokens and their refresh).

#[cfg(unix)]
pub mod atomic;
pub mod env;
pub mod objects;
pub mod paths;
pub mod spec;
pub mod volume;

pub use objects::{Object, ObjectKind, Objects};
pub use spec::{Container, Pod};
pub use volume::{FileEntry, TokenSource, VolumePlan};

/// Kubernetes' bounds on a projected token's `expirationSeconds` (§3.3).
pub const MIN_TOKEN_SECONDS: i64 = 600;
pub const MAX_TOKEN_SECONDS: i64 = 1 << 32;
/// `expirationSeconds` when a projection leaves it out.
pub const DEFAULT_TOKEN_SECONDS: i64 = 3600;

/// When the kubelet replaces a projected token (§3.4): once 80% of its
/// lifetime has passed, once it is a day old, or when the clock has moved back
/// before its issue time. The kubelet's random jitter of up to 10 s is left
/// out so that tests moving the virtual clock see a refresh exactly at 80%.
pub fn token_needs_refresh(now: f64, issued_at: i64, expires_at: i64) -> bool {
    let issued = issued_at as f64;
    let lifetime = (expires_at - issued_at) as f64;
    now < issued || now >= issued + 0.8 * lifetime || now >= issued + 86_400.0
}

#[cfg(test)]
mod tests {
    use super::token_needs_refresh;

    #[test]
    fn refresh_at_eighty_percent_a_day_or_a_clock_moved_back() {
        assert!(!token_needs_refresh(1000.0, 1000, 4600));
        assert!(!token_needs_refresh(3879.0, 1000, 4600));
        assert!(token_needs_refresh(3880.0, 1000, 4600));
        assert!(token_needs_refresh(9999.0, 1000, 4600));
        assert!(token_needs_refresh(999.0, 1000, 4600));
        assert!(token_needs_refresh(1000.0 + 86_400.0, 1000, 1000 + 200_000));
        assert!(!token_needs_refresh(1000.0 + 86_399.0, 1000, 1000 + 200_000));
    }
}
