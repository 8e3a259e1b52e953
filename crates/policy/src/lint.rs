//! Lint: every finding in a policy document, in the spirit of IAM Access
//! Analyzer's `ValidatePolicy`.
//!
//! [`lint`] combines three sources, each finding with a severity, a stable
//! UPPER_SNAKE code, the position of the offending element and a fix:
//!
//! * the reader's structural findings ([`crate::parse`]), with AWS's wording;
//! * the rules of the policy's kind ([`crate::kind::check`]);
//! * the semantic checks of this module: versions and variables, principals
//!   (wildcards, OIDC providers without a `sub` condition, session ARNs,
//!   partial wildcards, placeholders), condition keys and values (typos, case,
//!   types, set qualifiers, wildcards with the wrong operator), redundancy and
//!   empty elements.
//!
//! A document that is not JSON because of a common slip — an object where an
//! array belongs (`"Statement": { {...} }`) or a trailing comma — is repaired
//! in a copy of the same length, so every position stays true, and linted
//! further: the JSON error is reported together with every other defect.
//!
//! Every check is bounded: redundancy checks look at no more than
//! [`MAX_STATEMENTS_COMPARED`] statements and [`MAX_VALUES_COMPARED`] values
//! of an element, and no check is worse than quadratic in those caps.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::Serialize;

use crate::finding::{self, Finding, Severity};
use crate::json::{self, Position};
use crate::kind::{self, PolicyKind};
use crate::model::{
    ActionElement, ConditionBlock, ConditionEntry, Effect, Located, PolicyDocument, PrincipalElement, PrincipalType,
    PrincipalValue, ResourceElement, Statement, Version,
};
use crate::operator::{BaseOperator, Family, Operator, SetQualifier};
use crate::parse;
use crate::text::closest;
use crate::values;
use crate::wildcard::Glob;

/// Statements compared with each other for `REDUNDANT_STATEMENT`.
pub const MAX_STATEMENTS_COMPARED: usize = 500;
/// Values of one element compared with each other for `REDUNDANT_ACTION` / `REDUNDANT_RESOURCE`.
pub const MAX_VALUES_COMPARED: usize = 200;
/// JSON slips repaired before giving up on a document.
const MAX_REPAIRS: usize = 8;
/// Placeholders reported in one value.
const MAX_MARKS_PER_VALUE: usize = 8;

/// What [`lint`] found in one document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LintReport {
    /// The kind the document was checked as.
    pub kind: PolicyKind,
    /// True when the kind was guessed from the document's shape.
    pub kind_inferred: bool,
    /// Every finding, sorted by position.
    pub findings: Vec<Finding>,
}

impl LintReport {
    /// True when AWS would refuse the document (or a statement can never work).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// How many findings have `severity`.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

/// Lints a policy document. `kind` is what the document is attached to; `None`
/// infers it from the document's shape (and says so in the report).
pub fn lint(text: &str, kind: Option<PolicyKind>) -> LintReport {
    let mut findings = Vec::new();
    let mut current: Cow<'_, str> = Cow::Borrowed(text);
    let mut parsed = parse::parse_document(&current);
    for _ in 0..MAX_REPAIRS {
        if parsed.document.is_some() {
            break;
        }
        let Err(error) = json::parse(&current) else {
            break;
        };
        let Some((repaired, fix)) = repair(&current, &error) else {
            break;
        };
        for mut f in parsed.findings.drain(..) {
            if f.code == "JSON_SYNTAX_ERROR" {
                f.fix = Some(fix.clone());
            }
            findings.push(f);
        }
        current = Cow::Owned(repaired);
        parsed = parse::parse_document(&current);
    }
    findings.append(&mut parsed.findings);
    let (kind, kind_inferred) = match (kind, &parsed.document) {
        (Some(k), _) => (k, false),
        (None, Some(doc)) => (PolicyKind::infer(doc), true),
        (None, None) => (PolicyKind::Identity, true),
    };
    if let Some(doc) = &parsed.document {
        findings.extend(kind::check(kind, &current, doc));
        let mut linter = Linter::new(&current, kind, doc);
        linter.run();
        findings.extend(linter.out);
        refine_missing_action(kind, doc, &mut findings);
    }
    finding::sort(&mut findings);
    findings.dedup();
    LintReport {
        kind,
        kind_inferred,
        findings,
    }
}

/// Lints bytes that should be a UTF-8 policy document. Bytes that are not
/// UTF-8 get a finding at the first bad byte; the rest of the document is
/// linted as if each bad sequence were U+FFFD (positions after it may be off
/// by the difference in length).
pub fn lint_bytes(bytes: &[u8], kind: Option<PolicyKind>) -> LintReport {
    match std::str::from_utf8(bytes) {
        Ok(text) => lint(text, kind),
        Err(_) => {
            let utf8 = parse::parse_document_bytes(bytes);
            let lossy = String::from_utf8_lossy(bytes);
            let mut report = lint(&lossy, kind);
            report
                .findings
                .retain(|f| !(f.code == "INVALID_CHARACTER" && f.message.contains("U+FFFD")));
            report.findings.extend(utf8.findings);
            finding::sort(&mut report.findings);
            report.findings.dedup();
            report
        }
    }
}

// ---------------------------------------------------------------------------
// Repairing common JSON slips
// ---------------------------------------------------------------------------

/// A same-length copy of `text` with the slip behind `error` mended, and the
/// fix that says exactly what to change; `None` when the slip is not one of
/// the common ones.
fn repair(text: &str, error: &json::JsonError) -> Option<(String, String)> {
    let hint = error.hint.as_deref()?;
    let bytes = text.as_bytes();
    let mut out = bytes.to_vec();
    let fix = if hint.contains("square brackets") {
        let open = last_non_space_before(bytes, error.pos.offset)?;
        if bytes[open] != b'{' {
            return None;
        }
        let close = matching_close(bytes, open)?;
        out[open] = b'[';
        out[close] = b']';
        let (o, c) = (position_at(text, open), position_at(text, close));
        format!(
            "a list needs square brackets: replace the `{{` at line {}, column {} with `[` and its matching `}}` at line {}, column {} with `]`, so that the list reads [ {{...}}, {{...}} ]",
            o.line, o.column, c.line, c.column
        )
    } else if hint.contains("comma after the last") {
        let comma = last_non_space_before(bytes, error.pos.offset)?;
        if bytes[comma] != b',' {
            return None;
        }
        out[comma] = b' ';
        let p = position_at(text, comma);
        format!(
            "remove the `,` at line {}, column {}: JSON does not allow a comma after the last element",
            p.line, p.column
        )
    } else {
        return None;
    };
    Some((String::from_utf8(out).ok()?, fix))
}

fn last_non_space_before(bytes: &[u8], offset: usize) -> Option<usize> {
    let end = offset.min(bytes.len());
    bytes[..end]
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

/// The `}` closing the `{` at `open`, counting brackets and skipping strings.
fn matching_close(bytes: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in bytes.iter().enumerate().skip(open) {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (b == b'}').then_some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// The position of byte `offset` of `text` (1-based line, column in characters).
fn position_at(text: &str, offset: usize) -> Position {
    let offset = offset.min(text.len());
    let prefix = text.get(..offset).unwrap_or("");
    let line = 1 + prefix.bytes().filter(|b| *b == b'\n').count();
    let start = prefix.rfind('\n').map_or(0, |i| i + 1);
    Position {
        offset,
        line: line as u32,
        column: 1 + prefix[start..].chars().count() as u32,
    }
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Valued {
    Single,
    Multi,
}

use Valued::{Multi, Single};

/// Global condition keys and the well-known STS and DynamoDB keys, in their canonical spelling.
const KNOWN_KEYS: &[(&str, Valued)] = &[
    ("aws:CalledVia", Multi),
    ("aws:CalledViaFirst", Single),
    ("aws:CalledViaLast", Single),
    ("aws:CurrentTime", Single),
    ("aws:EpochTime", Single),
    ("aws:FederatedProvider", Single),
    ("aws:MultiFactorAuthAge", Single),
    ("aws:MultiFactorAuthPresent", Single),
    ("aws:PrincipalAccount", Single),
    ("aws:PrincipalArn", Single),
    ("aws:PrincipalIsAWSService", Single),
    ("aws:PrincipalOrgID", Single),
    ("aws:PrincipalOrgPaths", Multi),
    ("aws:PrincipalServiceName", Single),
    ("aws:PrincipalServiceNamesList", Multi),
    ("aws:PrincipalType", Single),
    ("aws:Referer", Single),
    ("aws:RequestedRegion", Single),
    ("aws:ResourceAccount", Single),
    ("aws:ResourceOrgID", Single),
    ("aws:ResourceOrgPaths", Multi),
    ("aws:SecureTransport", Single),
    ("aws:SourceAccount", Single),
    ("aws:SourceArn", Single),
    ("aws:SourceIdentity", Single),
    ("aws:SourceIp", Single),
    ("aws:SourceOrgID", Single),
    ("aws:SourceOrgPaths", Multi),
    ("aws:SourceVpc", Single),
    ("aws:SourceVpce", Single),
    ("aws:TagKeys", Multi),
    ("aws:TokenIssueTime", Single),
    ("aws:UserAgent", Single),
    ("aws:userid", Single),
    ("aws:username", Single),
    ("aws:ViaAWSService", Single),
    ("aws:VpcSourceIp", Single),
    ("sts:AWSServiceName", Multi),
    ("sts:DurationSeconds", Single),
    ("sts:ExternalId", Single),
    ("sts:RoleSessionName", Single),
    ("sts:SourceIdentity", Single),
    ("sts:TransitiveTagKeys", Multi),
    ("dynamodb:Attributes", Multi),
    ("dynamodb:EnclosingOperation", Single),
    ("dynamodb:LeadingKeys", Multi),
    ("dynamodb:ReturnConsumedCapacity", Single),
    ("dynamodb:ReturnValues", Single),
    ("dynamodb:Select", Single),
];

/// Key-value keys: the part after the slash is a tag key (single-valued).
const TAG_PREFIXES: &[&str] = &["aws:PrincipalTag/", "aws:RequestTag/", "aws:ResourceTag/"];

/// Services whose keys above are complete enough to call a near miss a typo.
const TYPO_CHECKED_SERVICES: &[&str] = &["aws", "sts", "dynamodb"];

/// Claims of a web identity token that AWS turns into `<provider>:<claim>` keys.
const WEB_IDENTITY_CLAIMS: &[&str] = &["aud", "sub", "amr", "azp", "oaud", "app_id", "id", "user_id"];

const GITHUB_ACTIONS_HOST: &str = "token.actions.githubusercontent.com";

/// Web identity providers named by host in `Federated`, with the claim that must be pinned.
const WEB_IDENTITY_HOSTS: &[(&str, &str)] = &[
    ("cognito-identity.amazonaws.com", "aud"),
    ("accounts.google.com", "aud"),
    ("graph.facebook.com", "app_id"),
    ("www.amazon.com", "app_id"),
];

/// Words that stand for an account ID in examples (compared without case and separators).
const ACCOUNT_WORDS: &[&str] = &[
    "account",
    "accountid",
    "accountnumber",
    "accountno",
    "acct",
    "acctid",
    "awsaccount",
    "awsaccountid",
    "awsaccountnumber",
    "youraccount",
    "youraccountid",
    "youraccountnumber",
    "myaccount",
    "myaccountid",
    "accountidhere",
];
const REGION_WORDS: &[&str] = &["region", "awsregion", "yourregion", "regioncode", "myregion"];
const PARTITION_WORDS: &[&str] = &["partition", "awspartition"];

// ---------------------------------------------------------------------------
// The linter
// ---------------------------------------------------------------------------

/// Which field of an ARN a placeholder stands in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Partition,
    Region,
    Account,
    Other,
}

/// A placeholder found in a value: byte index, text, field.
#[derive(Debug, Clone)]
struct Placeholder {
    at: usize,
    text: String,
    field: Field,
}

/// An ARN split into its six parts.
#[derive(Debug, Clone, Copy)]
struct Arn<'a> {
    partition: &'a str,
    service: &'a str,
    region: &'a str,
    account: &'a str,
    resource: &'a str,
}

fn split_arn(s: &str) -> Option<Arn<'_>> {
    let mut parts = s.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    Some(Arn {
        partition: parts.next()?,
        service: parts.next()?,
        region: parts.next()?,
        account: parts.next()?,
        resource: parts.next()?,
    })
}

/// Who a `Federated` value names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Provider {
    /// An IAM OIDC provider: the key prefix is its host and path.
    Oidc(String),
    Saml,
    /// A web identity provider named by host, with the claim to pin.
    Web(&'static str, &'static str),
}

/// Whether the version governing the document substitutes variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VersionState {
    Current,
    /// Missing or 2008-10-17: `${...}` is literal text.
    Legacy,
    /// Not a version at all: the parser already says so.
    Invalid,
}

struct Linter<'a> {
    text: &'a str,
    kind: PolicyKind,
    doc: &'a PolicyDocument,
    version: VersionState,
    out: Vec<Finding>,
}

impl<'a> Linter<'a> {
    fn new(text: &'a str, kind: PolicyKind, doc: &'a PolicyDocument) -> Self {
        let version = match &doc.version {
            None => VersionState::Legacy,
            Some(v) => match Version::parse(&v.value) {
                Some(Version::V2012_10_17) => VersionState::Current,
                Some(Version::V2008_10_17) => VersionState::Legacy,
                None => VersionState::Invalid,
            },
        };
        Linter {
            text,
            kind,
            doc,
            version,
            out: Vec::new(),
        }
    }

    fn push(
        &mut self,
        severity: Severity,
        code: &'static str,
        message: impl Into<String>,
        pos: Position,
        fix: impl Into<String>,
    ) {
        self.out.push(Finding::new(severity, code, message, pos).with_fix(fix));
    }

    fn run(&mut self) {
        self.check_version();
        let doc = self.doc;
        for st in doc.statements() {
            self.statement(st);
        }
        self.redundant_statements();
    }

    fn check_version(&mut self) {
        if self.doc.version.is_none() {
            self.push(
                Severity::Warning,
                "MISSING_VERSION",
                "We recommend that you specify the Version element to help you with debugging permission issues.",
                self.doc.pos,
                "add \"Version\": \"2012-10-17\" as the first element; without it the policy is read as version 2008-10-17, where policy variables are plain text",
            );
        }
    }

    fn statement(&mut self, st: &Statement) {
        let allow = st.effect.as_ref().map(|e| e.value) == Some(Effect::Allow);
        if let Some(sid) = &st.sid
            && sid.value.is_empty()
        {
            self.push(
                Severity::Suggestion,
                "EMPTY_SID_VALUE",
                "Add a value to the empty string in the Sid element.",
                sid.pos,
                "name the statement with letters and digits (e.g. \"AllowReadOrders\"), or remove the Sid element",
            );
        }
        if let Some(p) = &st.principal {
            self.principal(st, p, allow);
        }
        if let Some(a) = &st.action {
            self.actions(st, a, allow);
        }
        if let Some(r) = &st.resource {
            self.resources(r);
        }
        if let Some(c) = &st.condition {
            self.conditions(c);
        }
        self.pass_role(st, allow);
    }

    // -- placeholders and positions ------------------------------------------

    /// The position of byte `at` of the decoded string `s` whose JSON text starts at `pos`,
    /// when the source spells it without escapes up to there; `pos` otherwise.
    fn inner_pos(&self, pos: Position, s: &str, at: usize) -> Position {
        let start = pos.offset + 1;
        let Some(prefix) = s.get(..at) else {
            return pos;
        };
        if self.text.as_bytes().get(pos.offset) == Some(&b'"') && self.text.get(start..start + at) == Some(prefix) {
            Position {
                offset: start + at,
                line: pos.line,
                column: pos.column + 1 + prefix.chars().count() as u32,
            }
        } else {
            pos
        }
    }

    /// Reports every placeholder in `s`; returns what was found.
    fn placeholders(&mut self, s: &str, pos: Position, whole_words: bool) -> Vec<Placeholder> {
        let found = find_placeholders(s, whole_words);
        for p in found.iter().take(MAX_MARKS_PER_VALUE) {
            let at = self.inner_pos(pos, s, p.at);
            let what = match p.field {
                Field::Account => "the 12-digit ID of the account (e.g. 111122223333)",
                Field::Region => "a region code such as us-east-1",
                Field::Partition => "the partition, `aws` outside China and GovCloud",
                Field::Other => describe_placeholder(&p.text),
            };
            self.push(
                Severity::Error,
                "PLACEHOLDER_IN_VALUE",
                format!("`{}` is a placeholder left in the value, not a real value", p.text),
                at,
                format!("replace `{}` with {what}", p.text),
            );
        }
        found
    }

    // -- principals ------------------------------------------------------------

    fn principal(&mut self, st: &Statement, p: &PrincipalElement, allow: bool) {
        let conditioned = st
            .condition
            .as_ref()
            .is_some_and(|c| c.value.iter().any(|b| !b.entries.is_empty()));
        if p.negated && allow {
            self.push(
                Severity::SecurityWarning,
                "ALLOW_WITH_NOT_PRINCIPAL",
                "Using Allow with NotPrincipal can be overly permissive. We recommend that you use Principal instead.",
                p.pos,
                "name the principals that need access in Principal; to exclude principals, add a separate Deny statement with NotPrincipal",
            );
        }
        let wide_open = allow && !p.negated && !conditioned;
        let mut providers_checked = 0;
        match &p.value {
            PrincipalValue::Wildcard => {
                if wide_open {
                    self.wildcard_principal(p.pos);
                }
            }
            PrincipalValue::Map(entries) => {
                if entries.is_empty() {
                    self.push(
                        Severity::Suggestion,
                        "EMPTY_OBJECT_PRINCIPAL",
                        "This statement includes no principals and does not affect the policy. Specify principals.",
                        p.pos,
                        "name a principal, e.g. {\"AWS\": \"arn:aws:iam::111122223333:role/NAME\"}",
                    );
                }
                for (ty, values) in entries {
                    if values.as_slice().is_empty() {
                        self.push(
                            Severity::Suggestion,
                            "EMPTY_ARRAY_PRINCIPAL",
                            "This statement includes no principals and does not affect the policy. Specify principals.",
                            ty.pos,
                            format!(
                                "list at least one {} principal, or remove the empty entry",
                                ty.value.as_str()
                            ),
                        );
                    }
                    for v in values.iter() {
                        let marks = self.placeholders(&v.value, v.pos, true);
                        match ty.value {
                            PrincipalType::Aws if v.value == "*" => {
                                if wide_open {
                                    self.wildcard_principal(v.pos);
                                }
                            }
                            PrincipalType::Aws => self.aws_principal(v, &marks),
                            PrincipalType::Federated => {
                                let provider = self.federated_principal(v, &marks);
                                if let Some(provider) = provider
                                    && allow
                                    && !p.negated
                                    && self.kind == PolicyKind::Trust
                                    && providers_checked < MAX_VALUES_COMPARED
                                {
                                    providers_checked += 1;
                                    self.oidc_conditions(st, v, &provider);
                                }
                            }
                            PrincipalType::Service => self.service_principal(v, &marks),
                            PrincipalType::CanonicalUser => {}
                        }
                    }
                }
            }
        }
    }

    fn wildcard_principal(&mut self, pos: Position) {
        let (message, fix) = match self.kind {
            PolicyKind::Trust => (
                "The statement lets every principal assume the role — any AWS account's users and roles — because its Principal is \"*\" and no condition narrows it.",
                "name the trusted principals (an account, a role ARN, an OIDC provider), or keep \"*\" and add a condition such as \"StringEquals\": {\"aws:PrincipalOrgID\": \"o-...\"} or {\"aws:PrincipalAccount\": \"111122223333\"}",
            ),
            PolicyKind::Resource | PolicyKind::DynamodbTable => (
                "The statement grants access to every principal — any AWS account, and anonymous callers where the service allows them — because its Principal is \"*\" and no condition narrows it.",
                "name the principals that need access, or add a condition such as \"StringEquals\": {\"aws:PrincipalOrgID\": \"o-...\"} or {\"aws:PrincipalAccount\": \"111122223333\"}",
            ),
            _ => return,
        };
        self.push(Severity::SecurityWarning, "WILDCARD_PRINCIPAL", message, pos, fix);
    }

    fn invalid_principal(&mut self, v: &Located<String>, reason: impl AsRef<str>, fix: impl Into<String>) {
        self.push(
            Severity::Error,
            "INVALID_PRINCIPAL",
            format!("Invalid principal in policy: \"{}\". {}", v.value, reason.as_ref()),
            v.pos,
            fix,
        );
    }

    fn aws_principal(&mut self, v: &Located<String>, marks: &[Placeholder]) {
        let s = v.value.as_str();
        if has_policy_variable(s) {
            self.invalid_principal(
                v,
                "Policy variables are not substituted in Principal.",
                "name the principal literally, or use \"AWS\": \"*\" with a condition on aws:PrincipalArn or aws:PrincipalAccount",
            );
            return;
        }
        if marks
            .iter()
            .any(|m| m.field == Field::Other && m.at == 0 && m.text == s)
        {
            return; // the whole value is a placeholder; reported already
        }
        if s.contains(['*', '?']) {
            self.invalid_principal(
                v,
                "AWS does not allow partial wildcards in Principal: only \"*\" alone matches many principals.",
                "name each principal exactly, or write \"AWS\": \"*\" with a condition such as \"ArnLike\": {\"aws:PrincipalArn\": \"arn:aws:iam::111122223333:role/team-*\"}",
            );
            return;
        }
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            if s.len() != 12 {
                self.invalid_principal(
                    v,
                    format!("An AWS account ID has 12 digits; this one has {}.", s.len()),
                    "write the account's 12-digit ID, with its leading zeros",
                );
            }
            return;
        }
        if is_unique_id(s) {
            return;
        }
        let account_marked = marks.iter().any(|m| m.field == Field::Account);
        let Some(arn) = split_arn(s) else {
            if marks.is_empty() {
                self.invalid_principal(
                    v,
                    "An AWS principal is a 12-digit account ID or the ARN of an account root, user, role or role session.",
                    "write e.g. \"111122223333\", \"arn:aws:iam::111122223333:root\" or \"arn:aws:iam::111122223333:role/NAME\"",
                );
            }
            return;
        };
        if arn.service != "iam" && arn.service != "sts" {
            self.invalid_principal(
                v,
                format!(
                    "An AWS principal is an IAM or STS ARN, not one of service `{}`.",
                    arn.service
                ),
                "name the account, user or role that should have access, e.g. arn:aws:iam::111122223333:role/NAME",
            );
            return;
        }
        if !arn.region.is_empty() && !marks.iter().any(|m| m.field == Field::Region) {
            self.invalid_principal(
                v,
                "IAM and STS principal ARNs have an empty region field.",
                format!(
                    "write arn:{}:{}::{}:{}",
                    arn.partition, arn.service, arn.account, arn.resource
                ),
            );
            return;
        }
        if !account_marked && !is_account_id(arn.account) {
            self.invalid_principal(
                v,
                format!("The account part `{}` is not a 12-digit account ID.", arn.account),
                "write the account's 12-digit ID between the fourth and fifth colon",
            );
            return;
        }
        let resource = arn.resource;
        match arn.service {
            "iam" => {
                if resource.starts_with("group/") {
                    self.invalid_principal(
                        v,
                        "An IAM group cannot be a principal.",
                        "name the users of the group, or the account with an identity policy attached to the group",
                    );
                } else if !(resource == "root" || resource.starts_with("user/") || resource.starts_with("role/")) {
                    self.invalid_principal(
                        v,
                        "An IAM principal ARN names `root`, a `user/...` or a `role/...`.",
                        "write e.g. arn:aws:iam::111122223333:role/NAME",
                    );
                }
            }
            _ => {
                if let Some(rest) = resource.strip_prefix("assumed-role/") {
                    match rest.split_once('/') {
                        Some((role, session)) if !role.is_empty() && !session.is_empty() && !session.contains('/') => {
                            if self.kind == PolicyKind::Trust {
                                self.session_principal(v, &arn, role, session);
                            }
                        }
                        _ => self.invalid_principal(
                            v,
                            "A role session ARN is arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION.",
                            format!(
                                "to trust every session of the role, name the role: arn:{}:iam::{}:role/ROLE",
                                arn.partition, arn.account
                            ),
                        ),
                    }
                } else if !resource.starts_with("federated-user/") {
                    self.invalid_principal(
                        v,
                        "An STS principal ARN names an `assumed-role/ROLE/SESSION` or a `federated-user/NAME`.",
                        "write e.g. arn:aws:sts::111122223333:assumed-role/ROLE/SESSION, or the role's own ARN",
                    );
                }
            }
        }
    }

    fn session_principal(&mut self, v: &Located<String>, arn: &Arn<'_>, role: &str, session: &str) {
        let role_arn = format!("arn:{}:iam::{}:role/{role}", arn.partition, arn.account);
        self.push(
            Severity::Warning,
            "ASSUMED_ROLE_SESSION_PRINCIPAL",
            format!(
                "This principal is one session of role `{role}`, not the role: the trust policy admits only a caller whose session is named exactly `{session}`, and the caller picks the session name each time it assumes `{role}`."
            ),
            v.pos,
            format!(
                "to trust every session of the role, name the role: \"AWS\": \"{role_arn}\" (for a role session, aws:PrincipalArn is this role ARN, so \"ArnEquals\": {{\"aws:PrincipalArn\": \"{role_arn}\"}} works too); a session name can still be pinned with \"StringLike\": {{\"aws:userid\": \"*:{session}\"}}, while sts:RoleSessionName constrains the name of the new session being requested"
            ),
        );
    }

    fn federated_principal(&mut self, v: &Located<String>, marks: &[Placeholder]) -> Option<Provider> {
        let s = v.value.as_str();
        if let Some(arn) = split_arn(s) {
            let account_ok = is_account_id(arn.account) || marks.iter().any(|m| m.field == Field::Account);
            if arn.service == "iam" {
                if let Some(host) = arn.resource.strip_prefix("oidc-provider/") {
                    if let Some(bare) = strip_scheme(host) {
                        self.invalid_principal(
                            v,
                            "An OIDC provider's ARN names the issuer without `https://`.",
                            format!("write arn:{}:iam::{}:oidc-provider/{bare}", arn.partition, arn.account),
                        );
                        return Some(Provider::Oidc(bare.to_string()));
                    }
                    if !account_ok {
                        self.invalid_principal(
                            v,
                            format!("The account part `{}` is not a 12-digit account ID.", arn.account),
                            "write the ID of the account that holds the OIDC provider",
                        );
                    }
                    return Some(Provider::Oidc(host.to_string()));
                }
                if arn.resource.starts_with("saml-provider/") {
                    if !account_ok {
                        self.invalid_principal(
                            v,
                            format!("The account part `{}` is not a 12-digit account ID.", arn.account),
                            "write the ID of the account that holds the SAML provider",
                        );
                    }
                    return Some(Provider::Saml);
                }
            }
            if marks.is_empty() {
                self.invalid_principal(
                    v,
                    "A Federated principal is an IAM OIDC or SAML provider ARN, or a web identity provider such as cognito-identity.amazonaws.com.",
                    "write e.g. arn:aws:iam::111122223333:oidc-provider/oidc.example.com",
                );
            }
            return None;
        }
        if let Some(bare) = strip_scheme(s) {
            self.invalid_principal(
                v,
                "Federated names the IAM OIDC provider's ARN, not the issuer URL.",
                format!("write arn:aws:iam::ACCOUNT:oidc-provider/{bare}, with the 12-digit ID of the account that holds the provider"),
            );
            return None;
        }
        if s.contains(['*', '?']) {
            self.invalid_principal(
                v,
                "AWS does not allow wildcards in Principal.",
                "name the identity provider exactly",
            );
            return None;
        }
        WEB_IDENTITY_HOSTS
            .iter()
            .find(|(host, _)| host.eq_ignore_ascii_case(s))
            .map(|(host, claim)| Provider::Web(host, claim))
    }

    fn service_principal(&mut self, v: &Located<String>, marks: &[Placeholder]) {
        let s = v.value.as_str();
        let valid = s.contains('.')
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        if !valid && marks.is_empty() {
            self.invalid_principal(
                v,
                "A service principal is the service's DNS name, such as ec2.amazonaws.com, without wildcards.",
                "write the service principal in lower case, e.g. \"Service\": \"lambda.amazonaws.com\"",
            );
        }
    }

    /// A trust policy that lets an OIDC provider's tokens in must say whose tokens.
    fn oidc_conditions(&mut self, st: &Statement, v: &Located<String>, provider: &Provider) {
        let keys: Vec<String> = condition_entries(st)
            .map(|(_, e)| e.key.value.to_ascii_lowercase())
            .collect();
        let prefix = match provider {
            Provider::Oidc(host) => host.to_ascii_lowercase(),
            Provider::Web(host, _) => host.to_string(),
            Provider::Saml => return,
        };
        let has = |claim: &str| keys.iter().any(|k| *k == format!("{prefix}:{claim}"));
        let elsewhere: Vec<&String> = keys
            .iter()
            .filter(|k| k.contains('.') && !k.starts_with(&format!("{prefix}:")))
            .filter(|k| WEB_IDENTITY_CLAIMS.iter().any(|c| k.ends_with(&format!(":{c}"))))
            .collect();
        let other = match elsewhere.first() {
            Some(k) => format!(
                " (the condition names `{k}`, a key of another issuer; this provider's keys begin with `{prefix}:`)"
            ),
            None => String::new(),
        };
        match provider {
            Provider::Oidc(host) if host.eq_ignore_ascii_case(GITHUB_ACTIONS_HOST) => {
                if !has("sub") {
                    self.push(
                        Severity::SecurityWarning,
                        "MISSING_GITHUB_REPO_CONDITION_KEY",
                        format!("Any GitHub Actions workflow of any repository can assume this role: the statement trusts {GITHUB_ACTIONS_HOST} without a condition on `{GITHUB_ACTIONS_HOST}:sub`{other}."),
                        v.pos,
                        format!("add \"Condition\": {{\"StringLike\": {{\"{GITHUB_ACTIONS_HOST}:sub\": \"repo:OWNER/REPO:*\"}}, \"StringEquals\": {{\"{GITHUB_ACTIONS_HOST}:aud\": \"sts.amazonaws.com\"}}}}"),
                    );
                }
            }
            Provider::Oidc(host) => {
                if !has("sub") && !has("aud") {
                    self.push(
                        Severity::SecurityWarning,
                        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL",
                        format!("Any identity that the OIDC provider {host} issues a token for can assume this role — for a Kubernetes or OpenShift issuer, any service account of the cluster — because no condition names `{host}:sub` or `{host}:aud`{other}."),
                        v.pos,
                        format!("add \"Condition\": {{\"StringEquals\": {{\"{host}:sub\": \"system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT\", \"{host}:aud\": \"sts.amazonaws.com\"}}}}"),
                    );
                } else if !has("sub") {
                    self.push(
                        Severity::Warning,
                        "OIDC_PRINCIPAL_WITHOUT_SUB_CONDITION",
                        format!("The statement pins the token's audience but not its subject: every identity of {host} whose token carries that audience — for a Kubernetes or OpenShift issuer, every service account that may request it — can assume this role{other}."),
                        v.pos,
                        format!("add \"{host}:sub\": \"system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT\" next to the :aud condition"),
                    );
                }
            }
            Provider::Web(host, claim) => {
                if !has(claim) {
                    self.push(
                        Severity::SecurityWarning,
                        "MISSING_CONDITION_KEY_FOR_OIDC_PRINCIPAL",
                        format!("Any application of {host} can assume this role: no condition names `{host}:{claim}`{other}."),
                        v.pos,
                        format!("add \"Condition\": {{\"StringEquals\": {{\"{host}:{claim}\": \"YOUR-APP-OR-POOL-ID\"}}}}"),
                    );
                }
            }
            Provider::Saml => {}
        }
    }

    // -- actions and resources ---------------------------------------------------

    fn actions(&mut self, st: &Statement, a: &ActionElement, allow: bool) {
        if a.values.as_slice().is_empty() {
            self.push(
                Severity::Suggestion,
                "EMPTY_ARRAY_ACTION",
                "This statement includes no actions and does not affect the policy. Specify actions.",
                a.pos,
                "list the actions the statement is about, or remove the statement",
            );
        }
        for v in a.values.iter() {
            self.placeholders(&v.value, v.pos, true);
        }
        self.redundant_values(a.values.as_slice(), true, "REDUNDANT_ACTION", "action");
        if self.kind == PolicyKind::Trust && allow && !a.negated {
            self.trust_actions(st, a);
        }
    }

    /// Each kind of trusted principal calls its own AssumeRole* action.
    fn trust_actions(&mut self, st: &Statement, a: &ActionElement) {
        let Some(p) = &st.principal else { return };
        if p.negated {
            return;
        }
        let globs: Vec<Glob> = a
            .values
            .iter()
            .take(MAX_VALUES_COMPARED)
            .map(|v| Glob::new(&v.value.to_ascii_lowercase()))
            .collect();
        let mut needed: Vec<(&'static str, &'static str)> = Vec::new();
        match &p.value {
            PrincipalValue::Wildcard => needed.push(("sts:AssumeRole", "\"*\"")),
            PrincipalValue::Map(entries) => {
                for (ty, values) in entries {
                    for v in values.iter() {
                        let need = match ty.value {
                            PrincipalType::Aws => ("sts:AssumeRole", "an AWS principal"),
                            PrincipalType::Service => ("sts:AssumeRole", "a service principal"),
                            PrincipalType::CanonicalUser => continue,
                            PrincipalType::Federated if v.value.contains(":saml-provider/") => {
                                ("sts:AssumeRoleWithSAML", "a SAML provider")
                            }
                            PrincipalType::Federated => {
                                ("sts:AssumeRoleWithWebIdentity", "an OIDC or web identity provider")
                            }
                        };
                        if !needed.iter().any(|(n, _)| *n == need.0) {
                            needed.push(need);
                        }
                    }
                }
            }
        }
        for (action, who) in needed {
            let lower = action.to_ascii_lowercase();
            if !globs.iter().any(|g| g.matches(&lower)) {
                self.push(
                    Severity::Warning,
                    "TRUST_ACTION_MISMATCH",
                    format!("The statement trusts {who}, which assumes a role with {action}, but its actions do not include {action}: the statement never lets that principal in."),
                    a.pos,
                    format!("add \"{action}\" to the statement's actions"),
                );
            }
        }
    }

    fn resources(&mut self, r: &ResourceElement) {
        if r.values.as_slice().is_empty() {
            self.push(
                Severity::Suggestion,
                "EMPTY_ARRAY_RESOURCE",
                "This statement includes no resources and does not affect the policy. Specify resources.",
                r.pos,
                "list the resources the statement is about, or remove the statement",
            );
        }
        for v in r.values.iter() {
            self.placeholders(&v.value, v.pos, true);
            if has_policy_variable(&v.value) {
                self.variable_version(v.pos);
            }
        }
        self.redundant_values(r.values.as_slice(), false, "REDUNDANT_RESOURCE", "resource");
    }

    fn variable_version(&mut self, pos: Position) {
        if self.version == VersionState::Legacy {
            self.push(
                Severity::Error,
                "VARIABLE_UNSUPPORTED_IN_VERSION",
                "To include variables in your policy, use the policy version 2012-10-17 or later.",
                pos,
                "set \"Version\": \"2012-10-17\"; under 2008-10-17 (or without a Version) `${...}` is matched as literal text",
            );
        }
    }

    /// Values listed twice, or covered by a wildcard value of the same element.
    fn redundant_values(&mut self, values: &[Located<String>], ignore_case: bool, code: &'static str, noun: &str) {
        let values = &values[..values.len().min(MAX_VALUES_COMPARED)];
        let norm: Vec<String> = values
            .iter()
            .map(|v| {
                if ignore_case {
                    v.value.to_ascii_lowercase()
                } else {
                    v.value.clone()
                }
            })
            .collect();
        let globs: Vec<Glob> = norm.iter().map(|n| Glob::new(n)).collect();
        for (i, v) in values.iter().enumerate() {
            if let Some(j) = (0..i).find(|&j| norm[j] == norm[i]) {
                self.push(
                    Severity::Suggestion,
                    code,
                    format!("The {noun} `{}` is listed twice in this statement.", v.value),
                    v.pos,
                    format!(
                        "remove this `{}`; the same {noun} is listed at line {}",
                        v.value, values[j].pos.line
                    ),
                );
                continue;
            }
            let covering =
                (0..values.len()).find(|&j| j != i && norm[j] != norm[i] && covers(&norm[j], &globs[j], &norm[i]));
            if let Some(j) = covering {
                self.push(
                    Severity::Suggestion,
                    code,
                    format!(
                        "The {noun} `{}` is redundant: `{}` in the same statement already covers it.",
                        v.value, values[j].value
                    ),
                    v.pos,
                    format!("remove `{}`", v.value),
                );
            }
        }
    }

    /// AWS's `iam:PassRole` checks for identity policies.
    fn pass_role(&mut self, st: &Statement, allow: bool) {
        if !allow || self.kind.names_principals() {
            return;
        }
        let (Some(a), Some(r)) = (&st.action, &st.resource) else {
            return;
        };
        let mentions = a
            .values
            .iter()
            .take(MAX_VALUES_COMPARED)
            .any(|v| Glob::new(&v.value.to_ascii_lowercase()).matches("iam:passrole"));
        if mentions == a.negated {
            return;
        }
        if r.negated {
            self.push(
                Severity::SecurityWarning,
                "PASS_ROLE_WITH_NOT_RESOURCE",
                "Using the iam:PassRole action with NotResource can be overly permissive because it can allow iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs instead.",
                r.pos,
                "list the roles that may be passed in Resource, e.g. arn:aws:iam::111122223333:role/app-*",
            );
            return;
        }
        let pinned = condition_entries(st).any(|(_, e)| e.key.value.eq_ignore_ascii_case("iam:PassedToService"));
        if pinned {
            return;
        }
        let broad = r.values.iter().find(|v| {
            let last = v.value.rsplit(':').next().unwrap_or("");
            v.value == "*" || last == "*" || last == "role/*"
        });
        if let Some(v) = broad {
            self.push(
                Severity::SecurityWarning,
                "PASS_ROLE_WITH_STAR_IN_RESOURCE",
                "Using the iam:PassRole action with wildcards (*) in the resource can be overly permissive because it allows iam:PassRole permissions on multiple resources. We recommend that you specify resource ARNs or add the iam:PassedToService condition key to your statement.",
                v.pos,
                "name the roles that may be passed, or add \"StringEquals\": {\"iam:PassedToService\": \"SERVICE.amazonaws.com\"}",
            );
        }
    }

    // -- conditions --------------------------------------------------------------

    fn conditions(&mut self, c: &Located<Vec<ConditionBlock>>) {
        if c.value.is_empty() {
            self.push(
                Severity::Suggestion,
                "EMPTY_OBJECT_CONDITION",
                "This condition block is empty and it does not affect the policy. Specify conditions.",
                c.pos,
                "remove the empty Condition element, or add the conditions it was meant to hold",
            );
        }
        for block in &c.value {
            let Ok(op) = Operator::parse(&block.operator.value) else {
                continue; // the reader reported the operator
            };
            if block.entries.is_empty() {
                self.push(
                    Severity::Suggestion,
                    "EMPTY_OBJECT_CONDITION",
                    format!(
                        "The operator {} has no condition keys and does not affect the policy. Specify conditions.",
                        block.operator.value
                    ),
                    block.operator.pos,
                    "remove the empty operator, or add the keys it was meant to test",
                );
            }
            let mut seen: BTreeMap<String, &str> = BTreeMap::new();
            for entry in &block.entries {
                let lower = entry.key.value.to_ascii_lowercase();
                match seen.get(&lower) {
                    Some(first) if *first != entry.key.value => self.push(
                        Severity::Error,
                        "DUPLICATE_KEYS_WITH_DIFFERENT_CASE",
                        "The condition key appears more than once with different capitalization in the same condition block. Remove the duplicate condition keys.",
                        entry.key.pos,
                        format!("merge the values of `{}` into `{first}`: key names are case-insensitive, so both name the same key", entry.key.value),
                    ),
                    Some(_) => {}
                    None => {
                        seen.insert(lower, &entry.key.value);
                    }
                }
                self.placeholders(&entry.key.value, entry.key.pos, false);
                let valued = self.condition_key(&entry.key);
                self.set_qualifier(op, block, entry, valued);
                self.condition_values(op, block, entry);
            }
        }
    }

    /// Case slips, typos and OIDC claim keys; returns whether the key is known
    /// to be single- or multivalued.
    fn condition_key(&mut self, key: &Located<String>) -> Option<Valued> {
        let k = key.value.as_str();
        if let Some(bare) = strip_scheme(k) {
            self.push(
                Severity::Warning,
                "INVALID_OIDC_CONDITION_KEY",
                format!("`{k}` is never in the request: keys of an OIDC provider name the issuer without `https://`."),
                key.pos,
                format!("write `{bare}`"),
            );
            return None;
        }
        let (service, _) = k.split_once(':')?;
        if service.contains('.') {
            let (provider, claim) = k.rsplit_once(':')?;
            let claim_lower = claim.to_ascii_lowercase();
            if WEB_IDENTITY_CLAIMS.contains(&claim_lower.as_str()) {
                return Some(if claim_lower == "amr" { Multi } else { Single });
            }
            let near = closest(claim, WEB_IDENTITY_CLAIMS.iter().copied(), 2).filter(|_| claim.len() > 2);
            self.push(
                Severity::Warning,
                "INVALID_OIDC_CONDITION_KEY",
                format!("`{k}` is never in the request: AWS makes only the aud, sub, amr and azp claims of a web identity token (and a few provider-specific ones) into condition keys, not `{claim}`."),
                key.pos,
                match near {
                    Some(c) => format!("did you mean `{provider}:{c}`?"),
                    None => format!("test `{provider}:sub` or `{provider}:aud`; custom claims reach policies only as session tags (aws:PrincipalTag/...)"),
                },
            );
            return None;
        }
        if let Some(slash) = k.find('/') {
            let prefix = &k[..=slash];
            let rest = &k[slash + 1..];
            if let Some(canon) = TAG_PREFIXES.iter().find(|t| t.eq_ignore_ascii_case(prefix)) {
                if *canon != prefix {
                    self.key_case(key, &format!("{canon}{rest}"));
                }
                return Some(Single);
            }
            if TYPO_CHECKED_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service))
                && let Some(near) = closest(prefix, TAG_PREFIXES.iter().copied(), 2)
            {
                self.key_typo(key, &format!("{near}{rest}"));
            }
            return None;
        }
        if let Some((canon, valued)) = KNOWN_KEYS.iter().find(|(c, _)| c.eq_ignore_ascii_case(k)) {
            if *canon != k {
                self.key_case(key, canon);
            }
            return Some(*valued);
        }
        if TYPO_CHECKED_SERVICES.iter().any(|s| s.eq_ignore_ascii_case(service)) {
            let candidates = KNOWN_KEYS
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| c.split(':').next().is_some_and(|s| s.eq_ignore_ascii_case(service)));
            if let Some(near) = closest(k, candidates, 2) {
                self.key_typo(key, near);
            }
        }
        None
    }

    fn key_case(&mut self, key: &Located<String>, canon: &str) {
        self.push(
            Severity::Suggestion,
            "CONDITION_KEY_CASE",
            format!("`{}` is the key `{canon}` in other capitals; key names are case-insensitive, so it works, but it reads as a different key.", key.value),
            key.pos,
            format!("write `{canon}`"),
        );
    }

    fn key_typo(&mut self, key: &Located<String>, near: &str) {
        self.push(
            Severity::Warning,
            "UNKNOWN_CONDITION_KEY",
            format!("`{}` is not a condition key AWS sets, so the condition tests a key that is never in the request. Did you mean `{near}`?", key.value),
            key.pos,
            format!("write `{near}`"),
        );
    }

    fn set_qualifier(&mut self, op: Operator, block: &ConditionBlock, entry: &ConditionEntry, valued: Option<Valued>) {
        match (op.qualifier, valued) {
            (Some(SetQualifier::ForAllValues), Some(Single)) => self.push(
                Severity::SecurityWarning,
                "FOR_ALL_VALUES_WITH_SINGLE_VALUED_KEY",
                format!("Using ForAllValues qualifier with the single-valued condition key {} can be overly permissive. We recommend that you remove ForAllValues:.", entry.key.value),
                block.operator.pos,
                format!("write `{}`: ForAllValues is also true when the key is absent from the request", op.to_string().trim_start_matches("ForAllValues:")),
            ),
            (None, Some(Multi)) if op.base != BaseOperator::Null => self.push(
                Severity::Warning,
                "MULTIVALUED_KEY_WITHOUT_QUALIFIER",
                format!("`{}` can hold several values in one request, and {} without ForAnyValue: or ForAllValues: does not say how they are compared.", entry.key.value, block.operator.value),
                entry.key.pos,
                format!("write `ForAnyValue:{op}` (at least one value must match) or `ForAllValues:{op}` (every value must match; also true when the key is absent, so add a Null check)"),
            ),
            _ => {}
        }
    }

    fn condition_values(&mut self, op: Operator, block: &ConditionBlock, entry: &ConditionEntry) {
        let values = entry.values.as_slice();
        if values.is_empty() {
            let (code, message) = match (op.qualifier, op.if_exists) {
                (Some(SetQualifier::ForAllValues), _) => (
                    "EMPTY_ARRAY_CONDITION_FOR_ALL_VALUES",
                    format!(
                        "The ForAllValues prefix with an empty condition key matches only if the key {} is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.",
                        entry.key.value
                    ),
                ),
                (Some(SetQualifier::ForAnyValue), _) => (
                    "EMPTY_ARRAY_CONDITION_FOR_ANY_VALUE",
                    format!(
                        "The ForAnyValue prefix with an empty condition key {} never matches the request context and it does not affect the policy. Specify conditions.",
                        entry.key.value
                    ),
                ),
                (None, true) => (
                    "EMPTY_ARRAY_CONDITION_IF_EXISTS",
                    format!(
                        "The IfExists suffix with an empty condition key matches only if the key {} is missing from the request context. To determine if the request context is empty, we recommend that you use the Null condition operator with the value of true instead.",
                        entry.key.value
                    ),
                ),
                (None, false) => (
                    "EMPTY_ARRAY_CONDITION",
                    format!(
                        "There are no values for the condition key {} and it does not affect the policy. Specify conditions.",
                        entry.key.value
                    ),
                ),
            };
            self.push(
                Severity::Suggestion,
                code,
                message,
                entry.key.pos,
                "list the values the key should be compared with",
            );
            return;
        }
        let family = op.base.family();
        let like = matches!(op.base.positive(), BaseOperator::StringLike | BaseOperator::ArnLike);
        for v in values {
            let text = v.value.as_text();
            self.placeholders(text, v.pos, false);
            if has_policy_variable(text) {
                if !op.base.takes_variables() {
                    self.push(
                        Severity::Error,
                        "INVALID_VARIABLE_FOR_OPERATOR",
                        "Policy variables can only be used with String and ARN operators.",
                        v.pos,
                        format!(
                            "write a literal value for {}, or compare the key with a String or ARN operator",
                            block.operator.value
                        ),
                    );
                    continue;
                }
                self.variable_version(v.pos);
            }
            match family {
                Family::Numeric if values::parse_number(text).is_none() => self.push(
                    Severity::Warning,
                    "TYPE_MISMATCH_NUMBER",
                    format!("Add a valid numeric value for the condition operator {}. `{text}` is not a number, so the condition never matches it.", block.operator.value),
                    v.pos,
                    "write an integer or decimal number such as 3600",
                ),
                Family::Date if values::parse_date(text).is_none() => self.push(
                    Severity::Warning,
                    "TYPE_MISMATCH_DATE",
                    format!("The date condition operator is used with an invalid value. `{text}` is not a date, so the condition never matches it."),
                    v.pos,
                    "write a date as YYYY-MM-DD, YYYY-MM-DDThh:mm:ssZ (ISO 8601) or as epoch seconds",
                ),
                Family::Bool | Family::Null if values::parse_bool(text).is_none() => self.push(
                    Severity::Warning,
                    "TYPE_MISMATCH_BOOLEAN",
                    format!("Add a valid Boolean value (true or false) for the condition operator {}.", block.operator.value),
                    v.pos,
                    "write \"true\" or \"false\"",
                ),
                Family::Binary if values::parse_binary(text).is_none() => self.push(
                    Severity::Warning,
                    "TYPE_MISMATCH_BINARY",
                    format!("Add a valid base64-encoded string value for the condition operator {}.", block.operator.value),
                    v.pos,
                    "write the bytes in standard base64, e.g. \"QmluYXJ5\"",
                ),
                Family::Ip => self.ip_value(block, text, v.pos),
                Family::String | Family::Arn if !like && has_wildcard(text) => {
                    let (severity, message) = if family == Family::Arn {
                        (
                            Severity::Suggestion,
                            format!("Your condition value includes a * or ? character. {} already treats them as wildcards, exactly as ArnLike does; write ArnLike so that the intent is plain.", block.operator.value),
                        )
                    } else {
                        (
                            Severity::Warning,
                            format!("Your condition value includes a * or ? character. If you meant to use a wildcard (*, ?), update the condition operator to include Like: {} compares them as literal characters.", block.operator.value),
                        )
                    };
                    let like_op = like_operator(op);
                    self.push(
                        severity,
                        "WILDCARD_WITHOUT_LIKE_OPERATOR",
                        message,
                        v.pos,
                        format!("write `{like_op}` to match a pattern (or ${{*}} / ${{?}} for a literal * or ?)"),
                    );
                }
                _ => {}
            }
        }
        if family == Family::Bool && values.len() > 1 {
            self.push(
                Severity::Error,
                "INVALID_CONDITION_MULTIPLE_BOOLEAN",
                "The condition key does not support multiple Boolean values. Use a single Boolean value.",
                entry.key.pos,
                "keep one of \"true\" and \"false\"",
            );
        }
        if like && !values.iter().any(|v| has_wildcard(v.value.as_text())) {
            let equals = op.to_string().replace("Like", "Equals");
            self.push(
                Severity::Suggestion,
                "LIKE_OPERATOR_WITHOUT_WILDCARD",
                format!(
                    "{} is given no value with a * or ? wildcard, so it compares exactly, as {equals} does.",
                    block.operator.value
                ),
                entry.key.pos,
                format!("write `{equals}`, or add the wildcard the pattern was meant to have"),
            );
        }
    }

    fn ip_value(&mut self, block: &ConditionBlock, text: &str, pos: Position) {
        if values::Cidr::parse(text).is_none() {
            self.push(
                Severity::Warning,
                "TYPE_MISMATCH_IP_RANGE",
                format!("The condition operator {} is used with an invalid IP range value. Specify the IP range in standard CIDR format.", block.operator.value),
                pos,
                "write an address or a CIDR range, e.g. 203.0.113.0/24 or 2001:DB8:1234:5678::/64",
            );
        } else if let Some(better) = normalized_cidr(text) {
            self.push(
                Severity::Suggestion,
                "IMPROVE_IP_RANGE",
                format!("The non-zero bits in the IP address after the masked bits are ignored. Replace {text} with {better}."),
                pos,
                format!("write `{better}`"),
            );
        }
    }

    // -- whole document ----------------------------------------------------------

    fn redundant_statements(&mut self) {
        let doc = self.doc;
        let mut seen: BTreeMap<String, &Statement> = BTreeMap::new();
        for st in doc.statements().iter().take(MAX_STATEMENTS_COMPARED) {
            if st.effect.is_none() || st.action.is_none() {
                continue;
            }
            let key = canonical_statement(st);
            if let Some(first) = seen.get(&key) {
                let name = match &first.sid {
                    Some(sid) if !sid.value.is_empty() => format!("statement `{}`", sid.value),
                    _ => "the statement".to_string(),
                };
                self.push(
                    Severity::Suggestion,
                    "REDUNDANT_STATEMENT",
                    "The statements are redundant because they provide identical permissions. Update the policy to remove the redundant statement.",
                    st.pos,
                    format!("remove this statement: it repeats {name} at line {}", first.pos.line),
                );
            } else {
                seen.insert(key, st);
            }
        }
    }
}

/// A `MISSING_ACTION` in a trust policy can say which action the principal needs.
fn refine_missing_action(kind: PolicyKind, doc: &PolicyDocument, findings: &mut [Finding]) {
    if kind != PolicyKind::Trust {
        return;
    }
    let mut actions: BTreeMap<usize, &str> = BTreeMap::new();
    for st in doc.statements() {
        if st.action.is_some() {
            continue;
        }
        let action = match st.principal.as_ref().map(|p| &p.value) {
            Some(PrincipalValue::Map(entries)) => {
                let federated = entries.iter().find(|(t, _)| t.value == PrincipalType::Federated);
                match federated {
                    Some((_, values)) if values.iter().any(|v| v.value.contains(":saml-provider/")) => {
                        "sts:AssumeRoleWithSAML"
                    }
                    Some(_) => "sts:AssumeRoleWithWebIdentity",
                    None => "sts:AssumeRole",
                }
            }
            _ => "sts:AssumeRole",
        };
        actions.insert(st.pos.offset, action);
    }
    for f in findings.iter_mut().filter(|f| f.code == "MISSING_ACTION") {
        if let Some(action) = actions.get(&f.position.offset) {
            f.fix = Some(format!(
                "add \"Action\": \"{action}\" to the statement: that is the call its principal makes to assume the role"
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn condition_entries(st: &Statement) -> impl Iterator<Item = (&ConditionBlock, &ConditionEntry)> {
    st.condition
        .iter()
        .flat_map(|c| c.value.iter())
        .flat_map(|b| b.entries.iter().map(move |e| (b, e)))
}

/// The `…Like` form of an operator, qualifiers and suffix kept.
fn like_operator(op: Operator) -> String {
    let base = match op.base {
        BaseOperator::StringEquals | BaseOperator::StringEqualsIgnoreCase => BaseOperator::StringLike,
        BaseOperator::StringNotEquals | BaseOperator::StringNotEqualsIgnoreCase => BaseOperator::StringNotLike,
        BaseOperator::ArnEquals => BaseOperator::ArnLike,
        BaseOperator::ArnNotEquals => BaseOperator::ArnNotLike,
        other => other,
    };
    Operator { base, ..op }.to_string()
}

/// `https://x` or `http://x` → `x`.
fn strip_scheme(s: &str) -> Option<&str> {
    let lower = s.get(..8).unwrap_or(s).to_ascii_lowercase();
    if lower.starts_with("https://") {
        s.get(8..)
    } else if lower.starts_with("http://") {
        s.get(7..)
    } else {
        None
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `AIDA…`/`AROA…`: IAM shows a deleted principal's unique ID in its place.
fn is_unique_id(s: &str) -> bool {
    ["AIDA", "AROA"].iter().any(|p| s.starts_with(p))
        && s.len() >= 16
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The `${...}` spans of `s`: (byte index of `$`, inner text). At most 64.
fn variables(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while out.len() < 64 {
        let Some(open) = s.get(from..).and_then(|r| r.find("${")) else {
            break;
        };
        let open = from + open;
        let Some(close) = s[open + 2..].find('}') else {
            break;
        };
        let close = open + 2 + close;
        out.push((open, &s[open + 2..close]));
        from = close + 1;
    }
    out
}

/// A `${...}` AWS substitutes: a key (`service:name`) or one of the escapes.
fn is_policy_variable(inner: &str) -> bool {
    matches!(inner, "*" | "?" | "$") || inner.contains(':')
}

fn has_policy_variable(s: &str) -> bool {
    s.contains("${") && variables(s).iter().any(|(_, inner)| is_policy_variable(inner))
}

/// A `*` or `?` that a `…Like` operator would treat as a wildcard.
fn has_wildcard(s: &str) -> bool {
    if !s.contains(['*', '?']) {
        return false;
    }
    s.replace("${*}", "").replace("${?}", "").contains(['*', '?'])
}

/// Whether pattern `b` (its glob `gb`) covers every value pattern `a` can match.
fn covers(b: &str, gb: &Glob, a: &str) -> bool {
    if !a.contains(['*', '?']) {
        return gb.matches(a);
    }
    if b == "*" {
        return true;
    }
    match b.strip_suffix('*') {
        Some(prefix) if !prefix.contains(['*', '?']) => a.starts_with(prefix),
        _ => false,
    }
}

fn normalized_cidr(text: &str) -> Option<String> {
    let (addr, prefix) = text.trim().split_once('/')?;
    let prefix: u32 = prefix.parse().ok()?;
    match addr.parse::<IpAddr>().ok()? {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32u32.checked_sub(prefix)?).unwrap_or(0);
            let bits = u32::from(a);
            (bits & !mask != 0).then(|| format!("{}/{prefix}", std::net::Ipv4Addr::from(bits & mask)))
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128u32.checked_sub(prefix)?).unwrap_or(0);
            let bits = u128::from(a);
            (bits & !mask != 0).then(|| format!("{}/{prefix}", std::net::Ipv6Addr::from(bits & mask)))
        }
    }
}

fn canonical_statement(st: &Statement) -> String {
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v.dedup();
        v.join("\u{1}")
    };
    let effect = st.effect.as_ref().map_or("", |e| e.value.as_str());
    let principal = match &st.principal {
        None => String::new(),
        Some(p) => {
            let body = match &p.value {
                PrincipalValue::Wildcard => "*".to_string(),
                PrincipalValue::Map(entries) => sorted(
                    entries
                        .iter()
                        .flat_map(|(t, vs)| vs.iter().map(move |v| format!("{}={}", t.value.as_str(), v.value)))
                        .collect(),
                ),
            };
            format!("{}{body}", if p.negated { "!" } else { "" })
        }
    };
    let action = st.action.as_ref().map_or(String::new(), |a| {
        format!(
            "{}{}",
            if a.negated { "!" } else { "" },
            sorted(a.values.iter().map(|v| v.value.to_ascii_lowercase()).collect())
        )
    });
    let resource = st.resource.as_ref().map_or(String::new(), |r| {
        format!(
            "{}{}",
            if r.negated { "!" } else { "" },
            sorted(r.values.iter().map(|v| v.value.clone()).collect())
        )
    });
    let condition = sorted(
        condition_entries(st)
            .map(|(b, e)| {
                format!(
                    "{}\u{2}{}\u{2}{}",
                    b.operator.value,
                    e.key.value.to_ascii_lowercase(),
                    sorted(e.values.iter().map(|v| v.value.as_text().to_string()).collect())
                )
            })
            .collect(),
    );
    [effect.to_string(), principal, action, resource, condition].join("\u{0}")
}

/// Placeholders in a value: `<...>`, `{{...}}`, `${NAME}` (not a policy
/// variable), `YOUR_...`/`..._HERE` tokens, and words such as `ACCOUNT_ID`
/// in an ARN's partition, region or account field (or, with `whole_words`,
/// as the whole value).
fn find_placeholders(s: &str, whole_words: bool) -> Vec<Placeholder> {
    let mut out: Vec<Placeholder> = Vec::new();
    let arn_fields = arn_field_ranges(s);
    let field_at = |at: usize| -> Field {
        arn_fields
            .iter()
            .find(|(_, start, end)| (*start..*end).contains(&at))
            .map_or(Field::Other, |(f, _, _)| *f)
    };
    let push = |out: &mut Vec<Placeholder>, at: usize, text: &str, field: Field| {
        if out.len() < 4 * MAX_MARKS_PER_VALUE
            && !out.iter().any(|p| at < p.at + p.text.len() && p.at < at + text.len())
        {
            out.push(Placeholder {
                at,
                text: text.to_string(),
                field,
            });
        }
    };
    // <...> and {{...}}
    for (open_mark, close_mark) in [("<", ">"), ("{{", "}}")] {
        let mut from = 0;
        while let Some(open) = s.get(from..).and_then(|r| r.find(open_mark)) {
            let open = from + open;
            let inner_start = open + open_mark.len();
            let Some(close) = s[inner_start..].find(close_mark) else {
                break;
            };
            let close = inner_start + close;
            let inner = &s[inner_start..close];
            if !inner.trim().is_empty() && !inner.contains(open_mark) {
                let end = close + close_mark.len();
                push(&mut out, open, &s[open..end], field_at(open));
            }
            from = close + close_mark.len();
        }
    }
    // ${NAME}: a template variable, not a policy variable
    for (at, inner) in variables(s) {
        if !is_policy_variable(inner) && !inner.trim().is_empty() {
            push(&mut out, at, &s[at..at + inner.len() + 3], field_at(at));
        }
    }
    // words in ARN fields
    for (field, start, end) in &arn_fields {
        let token = &s[*start..*end];
        if !token.is_empty() && !token.contains(['<', '$', '{']) && is_placeholder_word(*field, token) {
            push(&mut out, *start, token, *field);
        }
    }
    // YOUR_... and ..._HERE tokens
    let mut at = 0;
    for token in s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')) {
        let upper = token.len() > 5
            && token
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if upper && (token.starts_with("YOUR_") || token.starts_with("YOUR-") || token.ends_with("_HERE")) {
            push(&mut out, at, token, field_at(at));
        }
        at += token.len() + 1;
    }
    if whole_words
        && arn_fields.is_empty()
        && (is_placeholder_word(Field::Account, s) || is_placeholder_word(Field::Region, s))
    {
        let field = if is_placeholder_word(Field::Account, s) {
            Field::Account
        } else {
            Field::Region
        };
        push(&mut out, 0, s, field);
    }
    out.sort_by_key(|p| p.at);
    out
}

/// Byte ranges of an ARN's partition, region and account fields.
fn arn_field_ranges(s: &str) -> Vec<(Field, usize, usize)> {
    if !s.starts_with("arn:") {
        return Vec::new();
    }
    let colons: Vec<usize> = s.match_indices(':').map(|(i, _)| i).take(5).collect();
    if colons.len() < 5 {
        return Vec::new();
    }
    vec![
        (Field::Partition, colons[0] + 1, colons[1]),
        (Field::Region, colons[2] + 1, colons[3]),
        (Field::Account, colons[3] + 1, colons[4]),
    ]
}

fn is_placeholder_word(field: Field, token: &str) -> bool {
    let norm: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    match field {
        Field::Account => {
            ACCOUNT_WORDS.contains(&norm.as_str())
                || (token.len() >= 3 && token.bytes().all(|b| b == b'x' || b == b'X'))
        }
        Field::Region => REGION_WORDS.contains(&norm.as_str()),
        Field::Partition => PARTITION_WORDS.contains(&norm.as_str()),
        Field::Other => false,
    }
}

/// What a `<...>` placeholder probably stands for, from its words.
fn describe_placeholder(text: &str) -> &'static str {
    let lower = text.to_ascii_lowercase();
    if lower.contains("account") {
        "the 12-digit ID of the account (e.g. 111122223333)"
    } else if lower.contains("region") {
        "a region code such as us-east-1"
    } else if lower.contains("session") {
        "the session name"
    } else if lower.contains("role") {
        "the role's name"
    } else if lower.contains("bucket") {
        "the bucket's name"
    } else if lower.contains("table") {
        "the table's name"
    } else {
        "the real value"
    }
}

#[cfg(test)]
mod tests;
