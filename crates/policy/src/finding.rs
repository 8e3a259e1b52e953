//! Findings: what the parser, the kind rules and the linter say about a document.

use serde::Serialize;

use crate::json::Position;

/// Severity, as IAM Access Analyzer's policy validation grades its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Severity {
    /// AWS rejects the document (or the statement can never work).
    Error,
    /// The document grants more than its author probably meant.
    SecurityWarning,
    /// Valid, but likely not what was meant.
    Warning,
    /// Valid; could be simpler.
    Suggestion,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::SecurityWarning => "SECURITY_WARNING",
            Severity::Warning => "WARNING",
            Severity::Suggestion => "SUGGESTION",
        }
    }
}

/// One thing wrong (or worth changing) in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    /// A stable UPPER_SNAKE code, in the style of Access Analyzer's issue codes.
    pub code: &'static str,
    /// What is wrong. For errors AWS rejects, the text AWS gives where it is known.
    pub message: String,
    /// What to change, in words a person can act on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// Where the offending element starts.
    #[serde(serialize_with = "serialize_position")]
    pub position: Position,
}

impl Finding {
    pub fn new(severity: Severity, code: &'static str, message: impl Into<String>, position: Position) -> Self {
        Finding {
            severity,
            code,
            message: message.into(),
            fix: None,
            position,
        }
    }

    pub fn error(code: &'static str, message: impl Into<String>, position: Position) -> Self {
        Finding::new(Severity::Error, code, message, position)
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

fn serialize_position<S: serde::Serializer>(pos: &Position, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("Position", 3)?;
    st.serialize_field("line", &pos.line)?;
    st.serialize_field("column", &pos.column)?;
    st.serialize_field("offset", &pos.offset)?;
    st.end()
}

/// Sorts findings by position, then severity, so output reads top to bottom.
pub(crate) fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| (a.position.offset, a.severity, a.code).cmp(&(b.position.offset, b.severity, b.code)));
}
