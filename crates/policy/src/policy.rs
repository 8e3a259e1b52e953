//! A parsed, checked and compiled policy of a known kind.

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::compile::{self, CompiledStatement};
use crate::finding::{self, Finding, Severity};
use crate::kind::{self, PolicyKind};
use crate::model::PolicyDocument;
use crate::parse;

/// A policy ready for [`crate::authorize`]: the lossless document and its compiled form.
#[derive(Debug, Clone)]
pub struct Policy {
    id: Arc<str>,
    kind: PolicyKind,
    document: PolicyDocument,
    pub(crate) statements: Vec<CompiledStatement>,
}

impl Policy {
    /// Parses `text` as a policy of `kind`, refusing it as AWS would. The
    /// policy's id (used in explanations) defaults to the kind's name.
    pub fn parse(kind: PolicyKind, text: &str) -> Result<Policy, PolicyError> {
        Policy::parse_with_id(kind, kind.name(), text)
    }

    /// Like [`Policy::parse`], naming the policy `id` (a name or an ARN).
    pub fn parse_with_id(kind: PolicyKind, id: &str, text: &str) -> Result<Policy, PolicyError> {
        let parsed = parse::parse_document(text);
        let mut findings = parsed.findings;
        let Some(document) = parsed.document else {
            return Err(PolicyError::from_findings(findings));
        };
        findings.extend(kind::check(kind, text, &document));
        findings.retain(|f| f.severity == Severity::Error);
        if !findings.is_empty() {
            return Err(PolicyError::from_findings(findings));
        }
        let statements = compile::compile(&document);
        Ok(Policy {
            id: id.into(),
            kind,
            document,
            statements,
        })
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub(crate) fn id_arc(&self) -> &Arc<str> {
        &self.id
    }

    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The document as written.
    pub fn document(&self) -> &PolicyDocument {
        &self.document
    }
}

/// Why a document was refused, in AWS's words, with where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyError {
    /// `MalformedPolicyDocument`, or `LimitExceeded` for an oversized document.
    pub code: &'static str,
    /// AWS's message for the first problem.
    pub message: String,
    /// Where the first problem is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// Every error found, first one included.
    pub findings: Vec<Finding>,
}

impl PolicyError {
    /// A refusal that is not about the document's text (e.g. a kind used in the wrong place).
    pub fn invalid_input(message: impl Into<String>) -> PolicyError {
        PolicyError {
            code: "InvalidInput",
            message: message.into(),
            line: None,
            column: None,
            findings: Vec::new(),
        }
    }

    fn from_findings(mut findings: Vec<Finding>) -> PolicyError {
        finding::sort(&mut findings);
        let first = findings.first();
        let pos = first.map(|f| f.position).unwrap_or_default();
        PolicyError {
            code: match first.map(|f| f.code) {
                Some("POLICY_SIZE_EXCEEDED") => "LimitExceeded",
                _ => "MalformedPolicyDocument",
            },
            message: first.map_or_else(|| parse::SYNTAX_ERRORS.to_string(), |f| f.message.clone()),
            line: first.map(|_| pos.line),
            column: first.map(|_| pos.column),
            findings,
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let (Some(line), Some(column)) = (self.line, self.column) {
            write!(f, " (line {line}, column {column})")?;
        }
        Ok(())
    }
}

impl std::error::Error for PolicyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_with_aws_wording_and_position() {
        let e = Policy::parse(
            PolicyKind::Identity,
            "{\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\"}]\n}",
        )
        .unwrap_err();
        assert_eq!(e.code, "MalformedPolicyDocument");
        assert_eq!(e.message, "Policy statement must contain resources.");
        assert_eq!((e.line, e.column), (Some(2), Some(17)));
        assert_eq!(
            e.to_string(),
            "MalformedPolicyDocument: Policy statement must contain resources. (line 2, column 17)"
        );
    }

    #[test]
    fn oversize_is_limit_exceeded() {
        let text = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"aws:x":"{}"}}}}}}]}}"#,
            "a".repeat(3000)
        );
        assert_eq!(
            Policy::parse(PolicyKind::Trust, &text).unwrap_err().code,
            "LimitExceeded"
        );
    }
}
