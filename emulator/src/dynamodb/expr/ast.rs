//! The parsed forms of DynamoDB's expressions, as written: `#name` and
//! `:value` placeholders stay unresolved until a request's
//! ExpressionAttributeNames and ExpressionAttributeValues are applied.

use std::fmt::Write as _;

/// One step of a resolved document path: `a.b[2]` is
/// `[Attr("a"), Attr("b"), Index(2)]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathElem {
    Attr(String),
    Index(usize),
}

/// A resolved document path (never empty; the first step is an attribute).
pub type Path = Vec<PathElem>;

/// DynamoDB's way of printing a path in messages: `[a, b, [0]]`.
pub(crate) fn path_text(path: &[PathElem]) -> String {
    let mut out = String::from("[");
    for (i, e) in path.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        match e {
            PathElem::Attr(a) => out.push_str(a),
            PathElem::Index(n) => {
                let _ = write!(out, "[{n}]");
            }
        }
    }
    out.push(']');
    out
}

/// Which request parameter an expression came from: it names the
/// expression in DynamoDB's messages (`Invalid FilterExpression: ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ExpressionKind {
    Condition,
    Filter,
    KeyCondition,
    Update,
    Projection,
}

impl ExpressionKind {
    /// The request parameter's name.
    pub fn parameter(self) -> &'static str {
        match self {
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Update => "UpdateExpression",
            ExpressionKind::Projection => "ProjectionExpression",
        }
    }
}

/// A document path as written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct DocPath {
    pub(crate) parts: Vec<PathPart>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum PathPart {
    /// A bare name (checked against the reserved words).
    Name(String),
    /// `#name`.
    Placeholder(String),
    /// `[digits]`, kept as text until its range is checked.
    Index(String),
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Call {
    pub(crate) name: String,
    pub(crate) args: Vec<Operand>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Plus,
    Minus,
}

impl ArithOp {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            ArithOp::Plus => "+",
            ArithOp::Minus => "-",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Operand {
    Path(DocPath),
    /// `:value`.
    Value(String),
    Call(Call),
    Paren(Box<Operand>),
    /// `a + b` / `a - b`, only on the right of an update's SET.
    Arith(ArithOp, Box<Operand>, Box<Operand>),
}

impl Operand {
    /// The operand inside any parentheses.
    pub(crate) fn unwrap_parens(&self) -> &Operand {
        let mut op = self;
        while let Operand::Paren(inner) = op {
            op = inner;
        }
        op
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Comparator {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Comparator {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }
}

/// A condition node. AND and OR hold all their operands in one vector so
/// that long chains do not make deep trees (evaluation stays shallow).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum CondNode {
    Or(Vec<CondNode>),
    And(Vec<CondNode>),
    Not(Box<CondNode>),
    Paren(Box<CondNode>),
    Compare(Comparator, Operand, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    /// A function used as a condition (`attribute_exists(a)`, ...).
    Call(Call),
}

/// A parsed ConditionExpression, FilterExpression or KeyConditionExpression.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub(crate) kind: ExpressionKind,
    pub(crate) root: CondNode,
}

/// A parsed ProjectionExpression.
#[derive(Clone, Debug, PartialEq)]
pub struct Projection {
    pub(crate) paths: Vec<DocPath>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClauseKind {
    Set,
    Remove,
    Add,
    Delete,
}

impl ClauseKind {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            ClauseKind::Set => "SET",
            ClauseKind::Remove => "REMOVE",
            ClauseKind::Add => "ADD",
            ClauseKind::Delete => "DELETE",
        }
    }
}

/// One action: `path = value` (SET), `path` (REMOVE), `path :value` (ADD,
/// DELETE; the value is an [`Operand::Value`]).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Action {
    pub(crate) path: DocPath,
    pub(crate) value: Option<Operand>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Clause {
    pub(crate) kind: ClauseKind,
    pub(crate) actions: Vec<Action>,
}

/// A parsed UpdateExpression: its clauses in the order written.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub(crate) clauses: Vec<Clause>,
}

impl Update {
    /// Every action with its clause kind, in the order written.
    pub(crate) fn actions(&self) -> impl Iterator<Item = (ClauseKind, &Action)> {
        self.clauses
            .iter()
            .flat_map(|c| c.actions.iter().map(move |a| (c.kind, a)))
    }
}
