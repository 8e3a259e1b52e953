//! The lossless model of a policy document: what the author wrote, in the
//! order and form they wrote it (a single string or an array, a single
//! statement object or a list), with the position of every element.
//!
//! Evaluation never reads this model directly; [`crate::compile`] lowers it
//! to the form the authorizer uses. Printing it back ([`crate::print`])
//! gives a document that parses to the same model.

use crate::json::Position;

/// A value and where it was written. Two located values are equal when their
/// values are equal: a position says where, not what.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub pos: Position,
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T> Located<T> {
    pub fn new(value: T, pos: Position) -> Self {
        Located { value, pos }
    }
}

/// A value AWS accepts either alone or in an array; which one was written is kept.
#[derive(Debug, Clone, PartialEq)]
pub enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            OneOrMany::One(v) => std::slice::from_ref(v),
            OneOrMany::Many(v) => v,
        }
    }

    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }
}

/// The policy language versions AWS knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// The current version: policy variables are substituted.
    V2012_10_17,
    /// The legacy version (and the meaning of a missing `Version`): `${...}` is literal text.
    V2008_10_17,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::V2012_10_17 => "2012-10-17",
            Version::V2008_10_17 => "2008-10-17",
        }
    }

    pub fn parse(text: &str) -> Option<Version> {
        match text {
            "2012-10-17" => Some(Version::V2012_10_17),
            "2008-10-17" => Some(Version::V2008_10_17),
            _ => None,
        }
    }
}

/// A whole policy document.
#[derive(Debug, Clone)]
pub struct PolicyDocument {
    pub version: Option<Located<String>>,
    pub id: Option<Located<String>>,
    /// `Statement` as written: one object or an array of objects.
    pub statements: OneOrMany<Statement>,
    /// Top-level element names in document order, for faithful printing.
    pub order: Vec<TopElement>,
    /// Where the document starts.
    pub pos: Position,
}

impl PolicyDocument {
    /// The version that governs the document: a missing `Version` means 2008-10-17.
    pub fn effective_version(&self) -> Version {
        self.version
            .as_ref()
            .and_then(|v| Version::parse(&v.value))
            .unwrap_or(Version::V2008_10_17)
    }

    pub fn statements(&self) -> &[Statement] {
        self.statements.as_slice()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopElement {
    Version,
    Id,
    Statement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Effect {
    Allow,
    Deny,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// One statement, every element optional so that a linter can see an
/// incomplete statement; [`crate::parse`] reports what a kind requires.
#[derive(Debug, Clone)]
pub struct Statement {
    pub sid: Option<Located<String>>,
    pub effect: Option<Located<Effect>>,
    pub principal: Option<PrincipalElement>,
    pub action: Option<ActionElement>,
    pub resource: Option<ResourceElement>,
    pub condition: Option<Located<Vec<ConditionBlock>>>,
    /// Element names in document order, for faithful printing.
    pub order: Vec<StatementElement>,
    pub pos: Position,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatementElement {
    Sid,
    Effect,
    Principal,
    Action,
    Resource,
    Condition,
}

/// `Principal` or `NotPrincipal`.
#[derive(Debug, Clone)]
pub struct PrincipalElement {
    pub negated: bool,
    pub value: PrincipalValue,
    pub pos: Position,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PrincipalValue {
    /// `"Principal": "*"`.
    Wildcard,
    /// `"Principal": {"AWS": ..., "Federated": ..., ...}` in document order.
    Map(Vec<(Located<PrincipalType>, OneOrMany<Located<String>>)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PrincipalType {
    Aws,
    Federated,
    Service,
    CanonicalUser,
}

impl PrincipalType {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalType::Aws => "AWS",
            PrincipalType::Federated => "Federated",
            PrincipalType::Service => "Service",
            PrincipalType::CanonicalUser => "CanonicalUser",
        }
    }

    pub fn parse(text: &str) -> Option<PrincipalType> {
        match text {
            "AWS" => Some(PrincipalType::Aws),
            "Federated" => Some(PrincipalType::Federated),
            "Service" => Some(PrincipalType::Service),
            "CanonicalUser" => Some(PrincipalType::CanonicalUser),
            _ => None,
        }
    }
}

/// `Action` or `NotAction`.
#[derive(Debug, Clone)]
pub struct ActionElement {
    pub negated: bool,
    pub values: OneOrMany<Located<String>>,
    pub pos: Position,
}

/// `Resource` or `NotResource`.
#[derive(Debug, Clone)]
pub struct ResourceElement {
    pub negated: bool,
    pub values: OneOrMany<Located<String>>,
    pub pos: Position,
}

/// One operator of a `Condition` block with its keys, e.g. `"StringEquals": {...}`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionBlock {
    /// The operator as written (`ForAnyValue:StringLikeIfExists`).
    pub operator: Located<String>,
    pub entries: Vec<ConditionEntry>,
}

/// One key of a condition operator with its values.
#[derive(Debug, Clone, PartialEq)]
pub struct ConditionEntry {
    pub key: Located<String>,
    pub values: OneOrMany<Located<ConditionValue>>,
}

/// A condition value as written: AWS accepts strings, numbers and booleans.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionValue {
    String(String),
    /// The number's text as written.
    Number(String),
    Bool(bool),
}

impl ConditionValue {
    /// The value as the text every operator compares (`true`, `10`, `abc`).
    pub fn as_text(&self) -> &str {
        match self {
            ConditionValue::String(s) | ConditionValue::Number(s) => s,
            ConditionValue::Bool(true) => "true",
            ConditionValue::Bool(false) => "false",
        }
    }
}

/// Equality of the model is equality of what was written: positions (the
/// `pos` fields) say where, not what, and are left out.
macro_rules! eq_ignoring_position {
    ($ty:ty { $($field:ident),* }) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                $(self.$field == other.$field)&&*
            }
        }
    };
}

eq_ignoring_position!(PolicyDocument {
    version,
    id,
    statements,
    order
});
eq_ignoring_position!(Statement {
    sid,
    effect,
    principal,
    action,
    resource,
    condition,
    order
});
eq_ignoring_position!(PrincipalElement { negated, value });
eq_ignoring_position!(ActionElement { negated, values });
eq_ignoring_position!(ResourceElement { negated, values });
