//! KeyConditionExpression: the partition key with `=`, and at most one
//! condition on the sort key (`= < <= > >= BETWEEN begins_with`), joined by
//! AND ("Query operations in DynamoDB", "Key condition expressions").

use std::cmp::Ordering;

use super::ast::*;
use super::check::resolve_path;
use super::{AttributeNames, AttributeValues, ExprError};
use crate::dynamodb::value::{AttributeValue, Item};

/// A key condition resolved against the table's (or index's) key schema.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCondition {
    /// The partition key's name and the value it must equal.
    pub partition: (String, AttributeValue),
    pub sort: Option<SortCondition>,
}

/// The condition on the sort key.
#[derive(Clone, Debug, PartialEq)]
pub struct SortCondition {
    pub name: String,
    pub op: SortOp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SortOp {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl SortOp {
    /// Whether a sort key value satisfies the condition (values of another
    /// type never do).
    pub fn matches(&self, v: &AttributeValue) -> bool {
        let cmp = |x: &AttributeValue| v.compare(x);
        match self {
            SortOp::Eq(x) => cmp(x) == Some(Ordering::Equal),
            SortOp::Lt(x) => cmp(x).is_some_and(Ordering::is_lt),
            SortOp::Le(x) => cmp(x).is_some_and(Ordering::is_le),
            SortOp::Gt(x) => cmp(x).is_some_and(Ordering::is_gt),
            SortOp::Ge(x) => cmp(x).is_some_and(Ordering::is_ge),
            SortOp::Between(lo, hi) => cmp(lo).is_some_and(Ordering::is_ge) && cmp(hi).is_some_and(Ordering::is_le),
            SortOp::BeginsWith(p) => match (v, p) {
                (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                (AttributeValue::B(s), AttributeValue::B(p)) => s.starts_with(p),
                _ => false,
            },
        }
    }

    /// The values the condition compares with (for type checks against the
    /// key schema).
    pub fn values(&self) -> Vec<&AttributeValue> {
        match self {
            SortOp::Between(a, b) => vec![a, b],
            SortOp::Eq(x) | SortOp::Lt(x) | SortOp::Le(x) | SortOp::Gt(x) | SortOp::Ge(x) | SortOp::BeginsWith(x) => {
                vec![x]
            }
        }
    }
}

impl KeyCondition {
    /// Whether an item's key attributes satisfy the condition.
    pub fn matches(&self, item: &Item) -> bool {
        let (name, value) = &self.partition;
        if item.get(name) != Some(value) {
            return false;
        }
        match &self.sort {
            None => true,
            Some(s) => item.get(&s.name).is_some_and(|v| s.op.matches(v)),
        }
    }
}

fn bare(message: impl Into<String>) -> ExprError {
    ExprError {
        message: message.into(),
    }
}

fn flatten<'c>(node: &'c CondNode, parts: &mut Vec<&'c CondNode>) -> Result<(), ExprError> {
    let operator = |what: &str| bare(format!("Invalid operator used in KeyConditionExpression: {what}"));
    match node {
        CondNode::Paren(inner) => flatten(inner, parts),
        CondNode::And(terms) => terms.iter().try_for_each(|t| flatten(t, parts)),
        CondNode::Or(_) => Err(operator("OR")),
        CondNode::Not(_) => Err(operator("NOT")),
        CondNode::In(..) => Err(operator("IN")),
        CondNode::Compare(Comparator::Ne, ..) => Err(operator("<>")),
        CondNode::Call(c) if c.name != "begins_with" => Err(operator(&c.name)),
        _ => {
            parts.push(node);
            Ok(())
        }
    }
}

fn as_path(o: &Operand) -> Option<&DocPath> {
    match o.unwrap_parens() {
        Operand::Path(p) => Some(p),
        _ => None,
    }
}

/// One condition: the key path it is on, and its operator with values.
struct Part<'c> {
    path: Option<&'c DocPath>,
    make: Box<dyn Fn(Vec<AttributeValue>) -> Option<SortOp> + 'c>,
    operands: Vec<&'c Operand>,
}

pub(crate) fn resolve(
    c: &Condition,
    names: &AttributeNames,
    values: &AttributeValues,
    partition_key: &str,
    sort_key: Option<&str>,
) -> Result<KeyCondition, ExprError> {
    let kind = ExpressionKind::KeyCondition;
    let mut nodes = Vec::new();
    flatten(&c.root, &mut nodes)?;
    let mut parts: Vec<Part<'_>> = Vec::new();
    for node in nodes {
        let operands: Vec<&Operand> = match node {
            CondNode::Compare(_, a, b) => vec![a, b],
            CondNode::Between(a, b, c) => vec![a, b, c],
            CondNode::Call(call) => call.args.iter().collect(),
            _ => vec![],
        };
        if operands.iter().any(|o| matches!(o.unwrap_parens(), Operand::Call(_))) {
            return Err(bare("KeyConditionExpressions cannot contain nested operations"));
        }
        let paths = operands
            .iter()
            .filter(|o| matches!(o.unwrap_parens(), Operand::Path(_)))
            .count();
        if paths > 1 {
            return Err(bare(
                "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
            ));
        }
        let part = match node {
            CondNode::Compare(cmp, a, b) => {
                // `:v < k` reads as `k > :v`.
                let (path, value, cmp) = match (as_path(a), as_path(b)) {
                    (Some(p), _) => (Some(p), b, *cmp),
                    (None, Some(p)) => {
                        let flipped = match cmp {
                            Comparator::Lt => Comparator::Gt,
                            Comparator::Le => Comparator::Ge,
                            Comparator::Gt => Comparator::Lt,
                            Comparator::Ge => Comparator::Le,
                            other => *other,
                        };
                        (Some(p), a, flipped)
                    }
                    _ => (None, b, *cmp),
                };
                Part {
                    path,
                    make: Box::new(move |mut v| {
                        let x = v.pop()?;
                        Some(match cmp {
                            Comparator::Eq => SortOp::Eq(x),
                            Comparator::Lt => SortOp::Lt(x),
                            Comparator::Le => SortOp::Le(x),
                            Comparator::Gt => SortOp::Gt(x),
                            Comparator::Ge => SortOp::Ge(x),
                            Comparator::Ne => return None,
                        })
                    }),
                    operands: vec![value],
                }
            }
            CondNode::Between(a, lo, hi) => Part {
                path: as_path(a),
                make: Box::new(|mut v| {
                    let hi = v.pop()?;
                    let lo = v.pop()?;
                    Some(SortOp::Between(lo, hi))
                }),
                operands: vec![lo, hi],
            },
            CondNode::Call(call) => Part {
                path: call.args.first().and_then(|a| as_path(a)),
                make: Box::new(|mut v| v.pop().map(SortOp::BeginsWith)),
                operands: call.args.iter().skip(1).collect(),
            },
            _ => continue,
        };
        parts.push(part);
    }
    let missed = |name: &str| bare(format!("Query condition missed key schema element: {name}"));
    let mut resolved: Vec<(String, &Part<'_>)> = Vec::new();
    for part in &parts {
        let Some(path) = part.path else {
            return Err(missed(partition_key));
        };
        let p = resolve_path(kind, path, names)?;
        let Some(PathElem::Attr(top)) = p.first() else {
            return Err(missed(partition_key));
        };
        let is_key = top == partition_key || Some(top.as_str()) == sort_key;
        if p.len() > 1 && is_key {
            return Err(bare(format!(
                "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {top}"
            )));
        }
        let name = if p.len() > 1 {
            super::ast::path_text(&p)
        } else {
            top.clone()
        };
        if resolved.iter().any(|(n, _)| *n == name) {
            return Err(bare("KeyConditionExpressions must only contain one condition per key"));
        }
        resolved.push((name, part));
    }
    let Some(pk_index) = resolved.iter().position(|(n, _)| n == partition_key) else {
        return Err(missed(partition_key));
    };
    let sk_index = sort_key.and_then(|sk| resolved.iter().position(|(n, _)| n == sk));
    if resolved
        .iter()
        .enumerate()
        .any(|(i, _)| i != pk_index && Some(i) != sk_index)
    {
        return Err(match sort_key {
            Some(sk) => missed(sk),
            None => bare("Query key condition not supported"),
        });
    }
    let values_of = |part: &Part<'_>| -> Result<Vec<AttributeValue>, ExprError> {
        part.operands
            .iter()
            .map(|o| match o.unwrap_parens() {
                Operand::Value(v) => values
                    .get(v)
                    .cloned()
                    .ok_or_else(|| super::check::undefined_value(kind, v)),
                _ => Err(bare("Query key condition not supported")),
            })
            .collect()
    };
    let (pk_name, pk_part) = &resolved[pk_index];
    let pk_op = (pk_part.make)(values_of(pk_part)?);
    let Some(SortOp::Eq(pk_value)) = pk_op else {
        return Err(bare("Query key condition not supported"));
    };
    let sort = match sk_index {
        None => None,
        Some(i) => {
            let (name, part) = &resolved[i];
            let op = (part.make)(values_of(part)?).ok_or_else(|| bare("Query key condition not supported"))?;
            Some(SortCondition { name: name.clone(), op })
        }
    };
    Ok(KeyCondition {
        partition: (pk_name.clone(), pk_value),
        sort,
    })
}
