//! Kinds of policy, each with the rules and size limit AWS applies to it.

use serde::{Deserialize, Serialize};

use crate::finding::Finding;
use crate::json::Position;
use crate::model::{PolicyDocument, PrincipalValue, Statement};

/// What a policy document is attached to decides which elements it may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// An inline identity policy of a role, user or group.
    Identity,
    /// A customer-managed identity policy.
    Managed,
    /// A role's trust policy (AssumeRolePolicyDocument): a resource policy on the role.
    Trust,
    /// A resource-based policy of another service.
    Resource,
    /// A DynamoDB table (or stream) resource-based policy.
    DynamodbTable,
    /// A managed policy used as a permissions boundary.
    Boundary,
    /// A session policy passed to AssumeRole* (inline `Policy` or one of `PolicyArns`).
    Session,
    /// An AWS Organizations service control policy.
    Scp,
    /// An AWS Organizations resource control policy.
    Rcp,
}

/// The type of policy as explanations and AWS's access-denied messages name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PolicyType {
    Identity,
    Resource,
    RoleTrust,
    PermissionsBoundary,
    Session,
    ServiceControl,
    ResourceControl,
}

impl PolicyType {
    /// The phrase AWS uses in "because no ... allows" and "with an explicit deny in a ...".
    pub fn phrase(self) -> &'static str {
        match self {
            PolicyType::Identity => "identity-based policy",
            PolicyType::Resource => "resource-based policy",
            PolicyType::RoleTrust => "role trust policy",
            PolicyType::PermissionsBoundary => "permissions boundary",
            PolicyType::Session => "session policy",
            PolicyType::ServiceControl => "service control policy",
            PolicyType::ResourceControl => "resource control policy",
        }
    }

    /// The phrase with its article: "an identity-based policy", "a session policy".
    pub fn with_article(self) -> String {
        let phrase = self.phrase();
        let article = if phrase.starts_with(['a', 'e', 'i', 'o', 'u']) {
            "an"
        } else {
            "a"
        };
        format!("{article} {phrase}")
    }

    /// The name IAM's simulator uses for `SourcePolicyType`.
    pub fn simulator_name(self) -> &'static str {
        match self {
            PolicyType::Identity => "IAM Policy",
            PolicyType::Resource | PolicyType::RoleTrust => "Resource Policy",
            PolicyType::PermissionsBoundary => "Permissions Boundary Policy",
            PolicyType::Session => "Session Policy",
            PolicyType::ServiceControl => "Service Control Policy",
            PolicyType::ResourceControl => "Resource Control Policy",
        }
    }
}

/// How a kind counts a document's size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SizeRule {
    /// IAM counts characters other than whitespace.
    NonWhitespaceChars(usize),
    /// DynamoDB and Organizations count every byte, whitespace included.
    Bytes(usize),
    /// No limit of its own.
    Unlimited,
}

/// Whether a kind needs a `Principal`, forbids it, or must have it be `*`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PrincipalRule {
    Forbidden,
    Required,
    RequiredWildcard,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 9] = [
        PolicyKind::Identity,
        PolicyKind::Managed,
        PolicyKind::Trust,
        PolicyKind::Resource,
        PolicyKind::DynamodbTable,
        PolicyKind::Boundary,
        PolicyKind::Session,
        PolicyKind::Scp,
        PolicyKind::Rcp,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Identity => "identity",
            PolicyKind::Managed => "managed",
            PolicyKind::Trust => "trust",
            PolicyKind::Resource => "resource",
            PolicyKind::DynamodbTable => "dynamodb-table",
            PolicyKind::Boundary => "boundary",
            PolicyKind::Session => "session",
            PolicyKind::Scp => "scp",
            PolicyKind::Rcp => "rcp",
        }
    }

    pub fn from_name(name: &str) -> Option<PolicyKind> {
        PolicyKind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn policy_type(self) -> PolicyType {
        match self {
            PolicyKind::Identity | PolicyKind::Managed => PolicyType::Identity,
            PolicyKind::Trust => PolicyType::RoleTrust,
            PolicyKind::Resource | PolicyKind::DynamodbTable => PolicyType::Resource,
            PolicyKind::Boundary => PolicyType::PermissionsBoundary,
            PolicyKind::Session => PolicyType::Session,
            PolicyKind::Scp => PolicyType::ServiceControl,
            PolicyKind::Rcp => PolicyType::ResourceControl,
        }
    }

    /// Whether statements of this kind name principals (resource-side policies).
    pub fn names_principals(self) -> bool {
        !matches!(self.principal_rule(), PrincipalRule::Forbidden)
    }

    fn principal_rule(self) -> PrincipalRule {
        match self {
            PolicyKind::Trust | PolicyKind::Resource | PolicyKind::DynamodbTable => PrincipalRule::Required,
            PolicyKind::Rcp => PrincipalRule::RequiredWildcard,
            _ => PrincipalRule::Forbidden,
        }
    }

    /// Sizes from the IAM, DynamoDB and Organizations quotas (spec §6.1).
    pub fn size_rule(self) -> SizeRule {
        match self {
            PolicyKind::Identity => SizeRule::NonWhitespaceChars(10_240),
            PolicyKind::Managed | PolicyKind::Boundary => SizeRule::NonWhitespaceChars(6_144),
            PolicyKind::Trust | PolicyKind::Session => SizeRule::NonWhitespaceChars(2_048),
            PolicyKind::DynamodbTable => SizeRule::Bytes(20 * 1024),
            PolicyKind::Scp | PolicyKind::Rcp => SizeRule::Bytes(5_120),
            PolicyKind::Resource => SizeRule::Unlimited,
        }
    }

    /// IAM's own documents allow only `[A-Za-z0-9]` in a Sid; other services allow more.
    fn alphanumeric_sids(self) -> bool {
        !matches!(self, PolicyKind::Resource | PolicyKind::DynamodbTable)
    }

    /// Guesses the kind of a document from its shape, for a linter given no kind:
    /// principals and no `Resource` anywhere, with only `sts:` actions where
    /// actions are given, make a trust policy; other principals a resource
    /// policy; no principals an identity policy.
    pub fn infer(doc: &PolicyDocument) -> PolicyKind {
        let statements = doc.statements();
        let has_principal = statements.iter().any(|s| s.principal.is_some());
        let sts_only = statements.iter().all(|s| {
            s.action.as_ref().is_none_or(|a| {
                !a.negated
                    && a.values
                        .iter()
                        .all(|v| v.value.to_ascii_lowercase().starts_with("sts:"))
            })
        });
        let no_resource = statements.iter().all(|s| s.resource.is_none());
        match (has_principal, sts_only && no_resource) {
            (true, true) => PolicyKind::Trust,
            (true, false) => PolicyKind::Resource,
            (false, _) => PolicyKind::Identity,
        }
    }
}

impl std::fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// AWS's texts for the kind rules.
pub mod messages {
    pub const PRINCIPAL_FORBIDDEN: &str = "Policy document should not specify a principal.";
    pub const PRINCIPAL_REQUIRED: &str = "Missing required field Principal";
    pub const RESOURCE_FORBIDDEN: &str = "Has prohibited field Resource";
    pub const NOT_PRINCIPAL_FORBIDDEN: &str = "Has prohibited field NotPrincipal";
    pub const RESOURCE_REQUIRED: &str = "Policy statement must contain resources.";
    pub const ACTION_REQUIRED: &str = "Policy statement must contain actions.";
    pub const EFFECT_REQUIRED: &str = "Missing required field Effect";
    pub const SID_CHARACTERS: &str = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    pub const SID_UNIQUE: &str = "Statement IDs (SID) in a single policy must be unique.";
    pub const VENDOR_PREFIX: &str = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
}

/// Everything the kind forbids or requires that the document gets wrong.
pub fn check(kind: PolicyKind, text: &str, doc: &PolicyDocument) -> Vec<Finding> {
    let mut out = Vec::new();
    check_characters(text, &mut out);
    check_size(kind, text, doc.pos, &mut out);
    let mut sids: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for st in doc.statements() {
        check_statement(kind, st, &mut out);
        if let Some(sid) = &st.sid {
            if kind.alphanumeric_sids() && !sid.value.chars().all(|c| c.is_ascii_alphanumeric()) {
                out.push(
                    Finding::error("UNSUPPORTED_SID", messages::SID_CHARACTERS, sid.pos)
                        .with_fix("use only the characters a-z, A-Z and 0-9 in the Sid"),
                );
            }
            if !sid.value.is_empty() && !sids.insert(sid.value.as_str()) {
                out.push(
                    Finding::error("DUPLICATE_SID", messages::SID_UNIQUE, sid.pos)
                        .with_fix(format!("rename one of the statements called `{}`", sid.value)),
                );
            }
        }
    }
    out
}

fn check_statement(kind: PolicyKind, st: &Statement, out: &mut Vec<Finding>) {
    if st.effect.is_none() && !out_has_effect_error(st) {
        out.push(
            Finding::error("MISSING_EFFECT", messages::EFFECT_REQUIRED, st.pos)
                .with_fix("add \"Effect\": \"Allow\" or \"Effect\": \"Deny\""),
        );
    }
    if st.action.is_none() {
        out.push(
            Finding::error("MISSING_ACTION", messages::ACTION_REQUIRED, st.pos)
                .with_fix("add an Action or NotAction element to the statement"),
        );
    }
    match (kind.principal_rule(), &st.principal) {
        (PrincipalRule::Forbidden, Some(p)) => out.push(
            Finding::error("UNSUPPORTED_PRINCIPAL", messages::PRINCIPAL_FORBIDDEN, p.pos).with_fix(format!(
                "remove the {} element: a {} policy applies to whoever it is attached to",
                if p.negated { "NotPrincipal" } else { "Principal" },
                kind.name()
            )),
        ),
        (PrincipalRule::Required | PrincipalRule::RequiredWildcard, None) => out.push(
            Finding::error("MISSING_PRINCIPAL", messages::PRINCIPAL_REQUIRED, st.pos).with_fix(match kind {
                PolicyKind::Trust => "add a Principal naming who may assume the role, e.g. {\"Federated\": \"arn:aws:iam::ACCOUNT:oidc-provider/HOST\"}",
                PolicyKind::Rcp => "add \"Principal\": \"*\" (resource control policies apply to every principal)",
                _ => "add a Principal naming who the policy grants access to",
            }),
        ),
        (PrincipalRule::RequiredWildcard, Some(p)) if p.value != PrincipalValue::Wildcard || p.negated => out.push(
            Finding::error("INVALID_PRINCIPAL", "Invalid principal in policy: resource control policies support only \"Principal\": \"*\"", p.pos)
                .with_fix("write \"Principal\": \"*\" and narrow the statement with conditions such as aws:PrincipalAccount"),
        ),
        (PrincipalRule::Required, Some(p)) if p.negated && kind == PolicyKind::Trust => out.push(
            Finding::error("UNSUPPORTED_NOT_PRINCIPAL", messages::NOT_PRINCIPAL_FORBIDDEN, p.pos)
                .with_fix("name the trusted principals in Principal; a role trust policy cannot use NotPrincipal"),
        ),
        _ => {}
    }
    match (kind, &st.resource) {
        (PolicyKind::Trust, Some(r)) => out.push(
            Finding::error("UNSUPPORTED_RESOURCE", messages::RESOURCE_FORBIDDEN, r.pos)
                .with_fix("remove the Resource element: the resource of a trust policy is the role itself"),
        ),
        (PolicyKind::Trust, None) => {}
        (_, None) => out.push(
            Finding::error("MISSING_RESOURCE", messages::RESOURCE_REQUIRED, st.pos)
                .with_fix("add a Resource or NotResource element, e.g. \"Resource\": \"arn:aws:dynamodb:REGION:ACCOUNT:table/NAME\""),
        ),
        _ => {}
    }
    if let Some(action) = &st.action {
        for a in action.values.iter() {
            if a.value != "*" && !valid_action_shape(&a.value) {
                out.push(
                    Finding::error("INVALID_ACTION", messages::VENDOR_PREFIX, a.pos).with_fix(format!(
                        "write the action as service:Name, e.g. \"sts:AssumeRole\" (found `{}`)",
                        a.value
                    )),
                );
            }
        }
    }
    if let Some(resource) = &st.resource {
        for r in resource.values.iter() {
            if !valid_resource_shape(&r.value) {
                out.push(
                    Finding::error(
                        "INVALID_ARN",
                        format!("Resource {} must be in ARN format or \"*\".", r.value),
                        r.pos,
                    )
                    .with_fix("write an ARN such as arn:aws:dynamodb:eu-west-2:111122223333:table/Orders, or \"*\""),
                );
            }
        }
    }
    if let Some(cond) = &st.condition {
        for block in &cond.value {
            for entry in &block.entries {
                if !entry.key.value.contains(':') {
                    out.push(
                        Finding::error("INVALID_CONDITION_KEY", messages::VENDOR_PREFIX, entry.key.pos).with_fix(
                            format!(
                                "condition keys carry a prefix, e.g. aws:{} or sts:{}",
                                entry.key.value, entry.key.value
                            ),
                        ),
                    );
                }
            }
        }
    }
}

/// A statement whose Effect was present but invalid already has its finding from the parser.
fn out_has_effect_error(st: &Statement) -> bool {
    st.order.contains(&crate::model::StatementElement::Effect)
}

/// `service:Action`, where the service is a non-empty run of letters, digits and dashes.
pub fn valid_action_shape(action: &str) -> bool {
    match action.split_once(':') {
        Some((service, name)) => {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '*' || c == '?')
                && !name.is_empty()
                && !name.contains(':')
        }
        None => false,
    }
}

/// `*`, or an ARN with its six parts (`arn:partition:service:region:account:resource`).
pub fn valid_resource_shape(resource: &str) -> bool {
    resource == "*" || (resource.starts_with("arn:") && resource.splitn(6, ':').count() == 6)
}

fn check_characters(text: &str, out: &mut Vec<Finding>) {
    // IAM accepts tab, line feed, carriage return and U+0020..U+00FF (spec §3.1).
    let allowed = |c: char| matches!(c, '\t' | '\n' | '\r') || ('\u{20}'..='\u{FF}').contains(&c);
    // Most documents are ASCII: check bytes, and only look at characters past the first suspect byte.
    let Some(suspect) = text
        .bytes()
        .position(|b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r') || b >= 0x80)
    else {
        return;
    };
    let Some((offset, c)) = text[suspect..]
        .char_indices()
        .map(|(i, c)| (suspect + i, c))
        .find(|(_, c)| !allowed(*c))
    else {
        return;
    };
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let position = Position {
        offset,
        line: 1 + text[..offset].bytes().filter(|b| *b == b'\n').count() as u32,
        column: 1 + text[line_start..offset].chars().count() as u32,
    };
    out.push(
        Finding::error(
            "INVALID_CHARACTER",
            format!(
                "{} The character U+{:04X} is not allowed in a policy document",
                crate::parse::SYNTAX_ERRORS,
                c as u32
            ),
            position,
        )
        .with_fix("policy documents may hold only tab, line breaks and the characters U+0020 to U+00FF"),
    );
}

fn check_size(kind: PolicyKind, text: &str, pos: Position, out: &mut Vec<Finding>) {
    let (size, limit) = match kind.size_rule() {
        SizeRule::NonWhitespaceChars(limit) if text.is_ascii() => {
            (text.bytes().filter(|b| !b.is_ascii_whitespace()).count(), limit)
        }
        SizeRule::NonWhitespaceChars(limit) => (text.chars().filter(|c| !c.is_whitespace()).count(), limit),
        SizeRule::Bytes(limit) => (text.len(), limit),
        SizeRule::Unlimited => return,
    };
    if size > limit {
        out.push(
            Finding::error(
                "POLICY_SIZE_EXCEEDED",
                format!(
                    "Maximum policy size of {limit} bytes exceeded for a {} policy ({size} counted)",
                    kind.name()
                ),
                pos,
            )
            .with_fix("split the policy, or replace lists of actions and resources with wildcards"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_document;

    fn codes(kind: PolicyKind, text: &str) -> Vec<&'static str> {
        let doc = parse_document(text).document.unwrap();
        check(kind, text, &doc).into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn identity_rules() {
        let text = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3"}]}"#;
        assert_eq!(
            codes(PolicyKind::Identity, text),
            ["UNSUPPORTED_PRINCIPAL", "MISSING_RESOURCE", "INVALID_ACTION"]
        );
    }

    #[test]
    fn trust_rules() {
        let text = r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}"#;
        assert_eq!(
            codes(PolicyKind::Trust, text),
            ["MISSING_PRINCIPAL", "UNSUPPORTED_RESOURCE"]
        );
        let ok = r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"sts:AssumeRole"}]}"#;
        assert!(codes(PolicyKind::Trust, ok).is_empty());
    }

    #[test]
    fn sids_and_sizes() {
        let text = r#"{"Statement":[{"Sid":"a-b","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a-b","Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            codes(PolicyKind::Identity, text),
            ["UNSUPPORTED_SID", "UNSUPPORTED_SID", "DUPLICATE_SID"]
        );
        assert_eq!(
            codes(PolicyKind::DynamodbTable, text),
            ["MISSING_PRINCIPAL", "MISSING_PRINCIPAL", "DUPLICATE_SID"]
        );
        let big = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::{}"}}]}}"#,
            "a".repeat(2100)
        );
        assert_eq!(
            codes(PolicyKind::Trust, &big),
            ["POLICY_SIZE_EXCEEDED", "MISSING_PRINCIPAL", "UNSUPPORTED_RESOURCE"]
        );
    }

    #[test]
    fn infers_kinds() {
        let trust = parse_document(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"Federated":"x"},"Action":"sts:AssumeRoleWithWebIdentity"}]}"#,
        );
        assert_eq!(PolicyKind::infer(&trust.document.unwrap()), PolicyKind::Trust);
    }
}
