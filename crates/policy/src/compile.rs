//! The evaluation form of a policy: every pattern, value and operator
//! compiled once, so that deciding a request only compares.

use std::sync::Arc;

use crate::json::Position;
use crate::model::{ConditionValue, Effect, PolicyDocument, PrincipalType, PrincipalValue, Statement, Version};
use crate::operator::{BaseOperator, Family, Operator, SetQualifier};
use crate::request::{Context, Principal};
use crate::template::Template;
use crate::values::{self, Cidr};
use crate::wildcard::{self, Glob};

/// One statement, ready to be matched.
#[derive(Debug, Clone)]
pub(crate) struct CompiledStatement {
    pub index: usize,
    pub sid: Option<Arc<str>>,
    pub effect: Effect,
    pub principal: Option<PrincipalMatcher>,
    pub actions: ActionMatcher,
    /// `None` when the statement has no Resource element (trust policies).
    pub resources: Option<ResourceMatcher>,
    pub conditions: Vec<Condition>,
    pub position: Position,
}

/// Compiles every statement of a document that [`crate::kind::check`] accepted.
pub(crate) fn compile(doc: &PolicyDocument) -> Vec<CompiledStatement> {
    let variables = doc.effective_version() == Version::V2012_10_17;
    doc.statements()
        .iter()
        .enumerate()
        .map(|(index, st)| compile_statement(index, st, variables))
        .collect()
}

fn compile_statement(index: usize, st: &Statement, variables: bool) -> CompiledStatement {
    let actions = match &st.action {
        Some(a) => ActionMatcher {
            negated: a.negated,
            patterns: a
                .values
                .iter()
                .map(|v| Glob::new(&v.value.to_ascii_lowercase()))
                .collect(),
        },
        // A statement without actions matches none (the kind rules refuse it anyway).
        None => ActionMatcher {
            negated: false,
            patterns: Vec::new(),
        },
    };
    let resources = st.resource.as_ref().map(|r| ResourceMatcher {
        negated: r.negated,
        patterns: r.values.iter().map(|v| ArnPattern::new(&v.value, variables)).collect(),
    });
    let principal = st
        .principal
        .as_ref()
        .map(|p| PrincipalMatcher::new(p.negated, &p.value));
    let conditions = st
        .condition
        .iter()
        .flat_map(|c| c.value.iter())
        .filter_map(|block| Operator::parse(&block.operator.value).ok().map(|op| (op, block)))
        .flat_map(|(op, block)| {
            block.entries.iter().map(move |entry| Condition {
                op,
                key: entry.key.value.to_ascii_lowercase().into(),
                key_hash: crate::request::key_hash(&entry.key.value.to_ascii_lowercase()),
                key_as_written: entry.key.value.as_str().into(),
                values: ConditionValues::new(op.base, entry.values.iter().map(|v| &v.value), variables),
            })
        })
        .collect();
    CompiledStatement {
        index,
        sid: st.sid.as_ref().map(|s| Arc::from(s.value.as_str())),
        effect: st.effect.as_ref().map_or(Effect::Deny, |e| e.value),
        principal,
        actions,
        resources,
        conditions,
        position: st.pos,
    }
}

/// `Action` / `NotAction`, lower-cased: action names are case-insensitive.
#[derive(Debug, Clone)]
pub(crate) struct ActionMatcher {
    pub negated: bool,
    pub patterns: Vec<Glob>,
}

impl ActionMatcher {
    /// `lower_action` must already be lower-cased.
    pub fn matches(&self, lower_action: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(lower_action)) != self.negated
    }
}

/// `Resource` / `NotResource`.
#[derive(Debug, Clone)]
pub(crate) struct ResourceMatcher {
    pub negated: bool,
    pub patterns: Vec<ArnPattern>,
}

impl ResourceMatcher {
    pub fn matches(&self, resource: &str, ctx: &Context) -> bool {
        self.patterns.iter().any(|p| p.matches(resource, ctx)) != self.negated
    }
}

/// A string pattern with or without wildcards and variables.
#[derive(Debug, Clone)]
pub(crate) enum StrPattern {
    /// Constant text compared as is.
    Exact(Box<str>),
    /// Constant text with `*`/`?` wildcards.
    Glob(Glob),
    /// Text with variables (or escapes), resolved per request; `like` makes
    /// its own `*`/`?` wildcards.
    Template { template: Template, like: bool },
}

impl StrPattern {
    pub fn new(text: &str, like: bool, variables: bool) -> StrPattern {
        let template = Template::new(text, variables);
        match template.constant_text() {
            // Escapes make characters literal, so only escape-free text may become a Glob.
            Some(constant) if !like => StrPattern::Exact(constant.into()),
            Some(constant) if constant == text => StrPattern::Glob(Glob::new(text)),
            _ => StrPattern::Template { template, like },
        }
    }

    pub fn matches(&self, ctx: &Context, value: &str) -> bool {
        match self {
            StrPattern::Exact(s) => **s == *value,
            StrPattern::Glob(g) => g.matches(value),
            StrPattern::Template { template, like } => template
                .atoms(ctx, *like)
                .is_some_and(|atoms| wildcard::matches(&atoms, value)),
        }
    }

    /// Case-insensitive equality (StringEqualsIgnoreCase).
    pub fn equals_ignore_case(&self, ctx: &Context, value: &str) -> bool {
        let eq = |a: &str| {
            a.chars()
                .flat_map(char::to_lowercase)
                .eq(value.chars().flat_map(char::to_lowercase))
        };
        match self {
            StrPattern::Exact(s) => eq(s),
            StrPattern::Glob(g) => g.matches(value),
            StrPattern::Template { template, .. } => template.atoms(ctx, false).is_some_and(|atoms| {
                let text: String = atoms
                    .iter()
                    .map(|a| match a {
                        wildcard::Atom::Lit(s) => *s,
                        _ => "",
                    })
                    .collect();
                eq(&text)
            }),
        }
    }
}

/// An ARN pattern as `Resource` and the `Arn...` operators use it: matched
/// component by component (`arn:partition:service:region:account:resource`),
/// so a `*` in the region cannot swallow the account.
#[derive(Debug, Clone)]
pub(crate) enum ArnPattern {
    /// `*`: every resource.
    Any,
    Segments(Box<[StrPattern; 6]>),
    /// Text that is not a six-part ARN, matched as a whole.
    Whole(StrPattern),
}

impl ArnPattern {
    pub fn new(text: &str, variables: bool) -> ArnPattern {
        if text == "*" {
            return ArnPattern::Any;
        }
        let parts = split_arn_pattern(text, variables);
        match <[&str; 6]>::try_from(parts) {
            Ok(parts) => ArnPattern::Segments(Box::new(parts.map(|p| StrPattern::new(p, true, variables)))),
            Err(_) => ArnPattern::Whole(StrPattern::new(text, true, variables)),
        }
    }

    pub fn matches(&self, value: &str, ctx: &Context) -> bool {
        match self {
            ArnPattern::Any => true,
            ArnPattern::Whole(p) => p.matches(ctx, value),
            ArnPattern::Segments(patterns) => {
                // As `splitn(6, ':')`: five fields that end at a colon, then the
                // rest; found with a byte scan, cheaper on such short fields.
                let mut rest = value;
                for p in &patterns[..5] {
                    let Some(end) = rest.bytes().position(|b| b == b':') else {
                        return false;
                    };
                    if !p.matches(ctx, &rest[..end]) {
                        return false;
                    }
                    rest = &rest[end + 1..];
                }
                patterns[5].matches(ctx, rest)
            }
        }
    }
}

/// Splits an ARN pattern into at most six parts at colons, never inside a
/// policy variable (`${aws:PrincipalAccount}` holds a colon of its own).
fn split_arn_pattern(text: &str, variables: bool) -> Vec<&str> {
    let mut parts = Vec::with_capacity(6);
    let mut start = 0;
    let mut in_variable = false;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        match b {
            b'$' if variables && bytes.get(i + 1) == Some(&b'{') => in_variable = true,
            b'}' => in_variable = false,
            b':' if !in_variable && parts.len() < 5 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// One key of one condition operator, with its values compiled for the operator's family.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    pub op: Operator,
    /// Lower-cased: condition keys are case-insensitive.
    pub key: Box<str>,
    pub key_hash: u64,
    pub key_as_written: Box<str>,
    pub values: ConditionValues,
}

#[derive(Debug, Clone)]
pub(crate) enum ConditionValues {
    Strings(Vec<StrPattern>),
    Numbers(Vec<Option<f64>>),
    Dates(Vec<Option<i64>>),
    Bools(Vec<Option<bool>>),
    Binary(Vec<Option<Vec<u8>>>),
    Ips(Vec<Option<Cidr>>),
    Arns(Vec<ArnPattern>),
    Null(Vec<Option<bool>>),
}

impl ConditionValues {
    fn new<'a>(op: BaseOperator, values: impl Iterator<Item = &'a ConditionValue>, variables: bool) -> ConditionValues {
        let texts = values.map(ConditionValue::as_text);
        let like = matches!(op.positive(), BaseOperator::StringLike);
        match op.family() {
            Family::String => ConditionValues::Strings(texts.map(|t| StrPattern::new(t, like, variables)).collect()),
            Family::Numeric => ConditionValues::Numbers(texts.map(values::parse_number).collect()),
            Family::Date => ConditionValues::Dates(texts.map(values::parse_date).collect()),
            Family::Bool => ConditionValues::Bools(texts.map(values::parse_bool).collect()),
            Family::Binary => ConditionValues::Binary(texts.map(values::parse_binary).collect()),
            Family::Ip => ConditionValues::Ips(texts.map(Cidr::parse).collect()),
            Family::Arn => ConditionValues::Arns(texts.map(|t| ArnPattern::new(t, variables)).collect()),
            Family::Null => ConditionValues::Null(texts.map(values::parse_bool).collect()),
        }
    }
}

impl Condition {
    /// Whether the condition holds for the request context.
    #[cfg(test)]
    pub fn holds(&self, ctx: &Context) -> bool {
        self.evaluate(ctx).0
    }

    /// Whether the condition holds, and whether the request lacks the key.
    pub fn evaluate(&self, ctx: &Context) -> (bool, bool) {
        let value = ctx.get_hashed(self.key_hash, &self.key);
        let missing = value.is_none();
        let request_values = value.map(|v| v.values()).filter(|v| !v.is_empty());
        (self.judge(ctx, request_values), missing)
    }

    fn judge(&self, ctx: &Context, request_values: Option<&[String]>) -> bool {
        if let ConditionValues::Null(expect_null) = &self.values {
            let is_null = request_values.is_none();
            return expect_null.contains(&Some(is_null));
        }
        let negated = self.op.base.is_negated();
        // Does one request value satisfy the operator (not just its positive form)?
        let satisfies = |v: &String| self.matches_any(ctx, v) != negated;
        match (self.op.qualifier, request_values) {
            (None, None) => self.op.if_exists || negated,
            // A plain operator on several values: the positive form needs one
            // value to match, the negated form needs none to (spec §8 item 6).
            (None, Some(vs)) if negated => vs.iter().all(satisfies),
            (None, Some(vs)) => vs.iter().any(satisfies),
            (Some(SetQualifier::ForAllValues), None) => true,
            (Some(SetQualifier::ForAllValues), Some(vs)) => vs.iter().all(satisfies),
            (Some(SetQualifier::ForAnyValue), None) => self.op.if_exists,
            (Some(SetQualifier::ForAnyValue), Some(vs)) => vs.iter().any(satisfies),
        }
    }

    /// Whether `v` matches at least one policy value under the positive form of the operator.
    fn matches_any(&self, ctx: &Context, v: &str) -> bool {
        use BaseOperator as B;
        let base = self.op.base.positive();
        match &self.values {
            ConditionValues::Strings(ps) => match base {
                B::StringEqualsIgnoreCase => ps.iter().any(|p| p.equals_ignore_case(ctx, v)),
                _ => ps.iter().any(|p| p.matches(ctx, v)),
            },
            ConditionValues::Arns(ps) => ps.iter().any(|p| p.matches(v, ctx)),
            ConditionValues::Numbers(ps) => {
                values::parse_number(v).is_some_and(|n| ps.iter().flatten().any(|p| compare(base, n, *p)))
            }
            ConditionValues::Dates(ps) => {
                values::parse_date(v).is_some_and(|d| ps.iter().flatten().any(|p| compare(base, d, *p)))
            }
            ConditionValues::Bools(ps) => values::parse_bool(v).is_some_and(|b| ps.contains(&Some(b))),
            ConditionValues::Binary(ps) => {
                values::parse_binary(v).is_some_and(|b| ps.iter().flatten().any(|p| *p == b))
            }
            ConditionValues::Ips(ps) => {
                values::parse_ip(v).is_some_and(|ip| ps.iter().flatten().any(|c| c.contains(ip)))
            }
            ConditionValues::Null(_) => false,
        }
    }
}

/// Numeric and date comparison: the request value on the left, the policy value on the right.
fn compare<T: PartialOrd>(op: BaseOperator, request: T, policy: T) -> bool {
    use BaseOperator as B;
    match op {
        B::NumericEquals | B::DateEquals => request == policy,
        B::NumericLessThan | B::DateLessThan => request < policy,
        B::NumericLessThanEquals | B::DateLessThanEquals => request <= policy,
        B::NumericGreaterThan | B::DateGreaterThan => request > policy,
        B::NumericGreaterThanEquals | B::DateGreaterThanEquals => request >= policy,
        _ => false,
    }
}

/// How a statement's Principal named the caller: the evaluation logic treats
/// a resource policy that names the session itself differently from one that
/// names only its role or its account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Named {
    /// The account (`"123456789012"` or `arn:aws:iam::123456789012:root`): delegation only.
    Account,
    /// The role of a role session.
    Role,
    /// The principal itself: its user, session or federated-user ARN, its
    /// identity provider or service, `*`, or everyone but a NotPrincipal list.
    Directly,
}

/// A compiled `Principal` / `NotPrincipal`.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalMatcher {
    negated: bool,
    wildcard: bool,
    aws: Vec<AwsPrincipal>,
    federated: Vec<Box<str>>,
    service: Vec<Box<str>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum AwsPrincipal {
    Any,
    Account(Box<str>),
    /// A role, user, assumed-role session or federated-user ARN, compared exactly.
    Arn(Box<str>),
}

/// The ARNs a caller is known by, computed once per request.
#[derive(Debug)]
pub(crate) struct CallerFacts<'a> {
    pub principal: &'a Principal,
    pub account: Option<&'a str>,
    pub role_arn: Option<std::borrow::Cow<'a, str>>,
}

impl<'a> CallerFacts<'a> {
    pub fn new(principal: &'a Principal) -> Self {
        CallerFacts {
            principal,
            account: principal.account(),
            role_arn: principal.role_arn_ref(),
        }
    }
}

impl PrincipalMatcher {
    fn new(negated: bool, value: &PrincipalValue) -> PrincipalMatcher {
        let mut m = PrincipalMatcher {
            negated,
            wildcard: false,
            aws: Vec::new(),
            federated: Vec::new(),
            service: Vec::new(),
        };
        match value {
            PrincipalValue::Wildcard => m.wildcard = true,
            PrincipalValue::Map(entries) => {
                for (kind, values) in entries {
                    for v in values.iter() {
                        let v = v.value.as_str();
                        match kind.value {
                            PrincipalType::Aws => m.aws.push(AwsPrincipal::parse(v)),
                            PrincipalType::Federated => m.federated.push(v.into()),
                            PrincipalType::Service => m.service.push(v.into()),
                            // Canonical users are S3's; no caller of ours is one.
                            PrincipalType::CanonicalUser => {}
                        }
                    }
                }
            }
        }
        m
    }

    /// How the statement names the caller, or `None` when it does not apply to them.
    pub fn names(&self, caller: &CallerFacts<'_>) -> Option<Named> {
        if self.negated {
            // NotPrincipal excludes a caller only when every ARN it is known by
            // is listed: its account, its role and its session (spec §3.2).
            return (!self.covers_every_identity(caller)).then_some(Named::Directly);
        }
        if self.wildcard || self.aws.contains(&AwsPrincipal::Any) {
            return Some(Named::Directly);
        }
        let mut best = None;
        for p in &self.aws {
            let named = match (p, caller.principal) {
                (AwsPrincipal::Account(a), _) if caller.account == Some(&**a) => Some(Named::Account),
                (AwsPrincipal::Arn(arn), Principal::AssumedRole { arn: session, .. }) => {
                    if **arn == **session {
                        Some(Named::Directly)
                    } else if caller.role_arn.as_deref() == Some(&**arn) {
                        Some(Named::Role)
                    } else {
                        None
                    }
                }
                (AwsPrincipal::Arn(arn), Principal::User { arn: own } | Principal::FederatedUser { arn: own })
                    if **arn == **own =>
                {
                    Some(Named::Directly)
                }
                _ => None,
            };
            best = best.max(named);
        }
        let direct = match caller.principal {
            Principal::WebIdentity { provider } => self.federated.iter().any(|f| **f == **provider),
            Principal::Service { service } => self.service.iter().any(|s| **s == **service),
            _ => false,
        };
        if direct { Some(Named::Directly) } else { best }
    }

    fn covers_every_identity(&self, caller: &CallerFacts<'_>) -> bool {
        if self.wildcard || self.aws.contains(&AwsPrincipal::Any) {
            return true;
        }
        let listed_arn = |arn: &str| {
            self.aws
                .iter()
                .any(|p| matches!(p, AwsPrincipal::Arn(a) if **a == *arn))
        };
        let listed_account = || {
            caller.account.is_some_and(|acct| {
                self.aws
                    .iter()
                    .any(|p| matches!(p, AwsPrincipal::Account(a) if **a == *acct))
            })
        };
        match caller.principal {
            Principal::Root { .. } => listed_account(),
            Principal::User { arn } | Principal::FederatedUser { arn } => listed_account() && listed_arn(arn),
            Principal::AssumedRole { arn, .. } => {
                listed_account() && caller.role_arn.as_deref().is_some_and(listed_arn) && listed_arn(arn)
            }
            Principal::WebIdentity { provider } => self.federated.iter().any(|f| **f == **provider),
            Principal::Service { service } => self.service.iter().any(|s| **s == **service),
            Principal::Anonymous => false,
        }
    }
}

impl AwsPrincipal {
    fn parse(v: &str) -> AwsPrincipal {
        if v == "*" {
            return AwsPrincipal::Any;
        }
        if v.len() == 12 && v.bytes().all(|b| b.is_ascii_digit()) {
            return AwsPrincipal::Account(v.into());
        }
        let parts: Vec<&str> = v.splitn(6, ':').collect();
        if let ["arn", _, "iam", "", account, "root"] = parts.as_slice() {
            return AwsPrincipal::Account((*account).into());
        }
        AwsPrincipal::Arn(v.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Located, OneOrMany};

    fn condition(op: &str, key: &str, values: &[&str]) -> Condition {
        let op = Operator::parse(op).unwrap();
        let values: Vec<ConditionValue> = values.iter().map(|v| ConditionValue::String((*v).into())).collect();
        Condition {
            op,
            key: key.to_ascii_lowercase().into(),
            key_hash: crate::request::key_hash(&key.to_ascii_lowercase()),
            key_as_written: key.into(),
            values: ConditionValues::new(op.base, values.iter(), true),
        }
    }

    #[test]
    fn arn_patterns_match_by_component() {
        let ctx = Context::new();
        // The example of the AWS condition-operators page: StringLike matches, ArnLike does not.
        let value = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt";
        let pattern = "arn:aws:someservice:*:111122223333:finance/*";
        assert!(StrPattern::new(pattern, true, true).matches(&ctx, value));
        assert!(!ArnPattern::new(pattern, true).matches(value, &ctx));
        assert!(
            ArnPattern::new("arn:aws:dynamodb:*:*:table/*", true)
                .matches("arn:aws:dynamodb:eu-west-2:1:table/T/index/I", &ctx)
        );
        assert!(
            !ArnPattern::new("arn:aws:dynamodb:*:*:table/T", true)
                .matches("arn:aws:dynamodb:eu-west-2:1:table/T/index/I", &ctx)
        );
    }

    #[test]
    fn missing_keys_and_qualifiers() {
        let empty = Context::new();
        assert!(!condition("StringEquals", "k", &["a"]).holds(&empty));
        assert!(condition("StringNotEquals", "k", &["a"]).holds(&empty));
        assert!(condition("StringEqualsIfExists", "k", &["a"]).holds(&empty));
        assert!(condition("ForAllValues:StringEquals", "k", &["a"]).holds(&empty));
        assert!(!condition("ForAnyValue:StringEquals", "k", &["a"]).holds(&empty));
        let tags = Context::new().with_multi("aws:TagKeys", ["key1"]);
        assert!(!condition("ForAllValues:StringNotLike", "aws:TagKeys", &["key1*"]).holds(&tags));
        let tags = Context::new().with_multi("aws:TagKeys", ["key2"]);
        assert!(condition("ForAllValues:StringNotLike", "aws:TagKeys", &["key1*"]).holds(&tags));
    }

    #[test]
    fn principal_naming() {
        let value = PrincipalValue::Map(vec![(
            Located::new(PrincipalType::Aws, Position::default()),
            OneOrMany::Many(vec![
                Located::new("111122223333".to_string(), Position::default()),
                Located::new("arn:aws:iam::444455556666:role/path/r".to_string(), Position::default()),
            ]),
        )]);
        let m = PrincipalMatcher::new(false, &value);
        let session = Principal::AssumedRole {
            arn: "arn:aws:sts::444455556666:assumed-role/r/s".into(),
            role_arn: Some("arn:aws:iam::444455556666:role/path/r".into()),
        };
        assert_eq!(m.names(&CallerFacts::new(&session)), Some(Named::Role));
        let user = Principal::User {
            arn: "arn:aws:iam::111122223333:user/u".into(),
        };
        assert_eq!(m.names(&CallerFacts::new(&user)), Some(Named::Account));
        let stranger = Principal::Root {
            account: "999999999999".into(),
        };
        assert_eq!(m.names(&CallerFacts::new(&stranger)), None);
    }
}
