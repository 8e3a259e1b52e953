//! Lint of the Kubernetes and ccoctl artefacts of the IRSA-on-OpenShift chain:
//! CredentialsRequests, Deployments/Pods (or pod-spec fragments), the Secret
//! ccoctl writes and the `ccoctl aws create-iam-roles` command line — each on
//! its own, and against each other and the trust policies linted with them.
//!
//! Findings have the policy linter's shape ([`Finding`]); facts checked against
//! are those of `shared/spec/irsa-openshift-facts.md` (§1 ccoctl, §1.9 pod
//! wiring, §3 token bounds, §4 SDK configuration).

mod checks;
pub mod yaml;

use rolechain_policy::Finding;
use rolechain_policy::json::Position;

pub use checks::{CLIENT_IDS, TOKEN_DIR, TOKEN_FILE};

/// What a file is, as far as the linter is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input<'a> {
    /// A policy document (linted by the policy engine; here only read for cross-file facts).
    Policy(&'a str),
    /// A Kubernetes manifest or a ccoctl command line.
    Artefact(&'a str),
}

/// The findings of one artefact (or the cross-file findings of one policy).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    /// `credentials-request`, `deployment`, `pod`, `pod-spec`, `secret`,
    /// `ccoctl-command`, `kubernetes` (unrecognised) or `policy`.
    pub kind: &'static str,
    pub findings: Vec<Finding>,
}

/// True when `text` reads as a Kubernetes manifest or a ccoctl command rather than a policy.
pub fn is_artefact(text: &str) -> bool {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('{') || t.starts_with('[') {
        return false;
    }
    if t.starts_with("ccoctl") {
        return true;
    }
    const KEYS: [&str; 8] = [
        "apiVersion",
        "kind",
        "metadata",
        "spec",
        "stringData",
        "containers",
        "volumes",
        "serviceAccountName",
    ];
    t.lines().any(|l| {
        let l = l.trim_start();
        KEYS.iter()
            .any(|k| l.strip_prefix(k).is_some_and(|r| r.trim_start().starts_with(':')))
    })
}

/// Lints every input, on its own and against the others. One report per input, in order.
pub fn lint(inputs: &[Input<'_>]) -> Vec<FileReport> {
    let mut facts = checks::Facts::default();
    let mut reports: Vec<FileReport> = inputs
        .iter()
        .enumerate()
        .map(|(file, input)| match input {
            Input::Policy(text) => {
                checks::policy_facts(file, text, &mut facts);
                FileReport {
                    kind: "policy",
                    findings: Vec::new(),
                }
            }
            Input::Artefact(text) => checks::lint_artefact(file, text, &mut facts),
        })
        .collect();
    for (file, finding) in checks::cross(&facts) {
        if let Some(r) = reports.get_mut(file) {
            r.findings.push(finding);
        }
    }
    for r in &mut reports {
        r.findings
            .sort_by(|a, b| (a.position.offset, a.severity, a.code).cmp(&(b.position.offset, b.severity, b.code)));
        r.findings.dedup();
    }
    reports
}

/// The position of byte `offset` in `text`.
pub(crate) fn position_at(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    Position {
        offset,
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(column).unwrap_or(u32::MAX),
    }
}
