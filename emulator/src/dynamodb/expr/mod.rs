//! DynamoDB's expression language: ConditionExpression, FilterExpression,
//! KeyConditionExpression, ProjectionExpression and UpdateExpression, parsed
//! and evaluated in full with DynamoDB's error messages.
//!
//! How an operation uses it, in DynamoDB's order:
//! 1. [`check_attribute_maps`] on the request's ExpressionAttributeNames and
//!    ExpressionAttributeValues;
//! 2. for each expression the operation takes (UpdateItem: update then
//!    condition; Query: filter, projection, key condition; Scan: filter,
//!    projection), `parse_*` (text-only checks) then `validate` (checks that
//!    need the names and values);
//! 3. [`check_unused`] over all of them;
//! 4. [`Condition::key_condition`] for a Query, then evaluate: [`Condition::evaluate`],
//!    [`project`], [`apply_update`].
//!
//! Messages of `parse_*` and `validate` carry DynamoDB's `Invalid
//! ConditionExpression: ` style prefix; the others are bare, as DynamoDB
//! sends them. Every message is a `ValidationException` (a condition that
//! evaluates to false is not an error).

mod ast;
mod check;
mod eval;
mod key;
mod parse;
mod reserved;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

pub use ast::{Condition, ExpressionKind, Path, PathElem, Projection, Update};
pub use eval::project;
pub use key::{KeyCondition, SortCondition, SortOp};

use ast::{CondNode, DocPath, Operand, PathPart};
use check::invalid;
use parse::ParseError;

use super::value::{AttributeValue, Item};

/// A request's ExpressionAttributeNames: `#placeholder` → attribute name.
pub type AttributeNames = BTreeMap<String, String>;
/// A request's ExpressionAttributeValues: `:placeholder` → value.
pub type AttributeValues = BTreeMap<String, AttributeValue>;

/// Deepest document path DynamoDB accepts in an expression.
pub const MAX_PATH_DEPTH: usize = 32;
/// Most operands an IN list may have.
pub const MAX_IN_OPERANDS: usize = 100;
/// Longest expression, in UTF-8 bytes.
pub const MAX_EXPRESSION_BYTES: usize = 4096;

/// An expression DynamoDB refuses: `message` is its `ValidationException`
/// text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExprError {
    pub message: String,
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

/// Checks done on any expression's text before it is parsed.
fn precheck(kind: ExpressionKind, text: &str) -> Result<(), ExprError> {
    if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Err(invalid(kind, "The expression can not be empty;"));
    }
    if text.len() > MAX_EXPRESSION_BYTES {
        return Err(invalid(
            kind,
            format!(
                "Expression size has exceeded the maximum allowed size; expression size: {}",
                text.len()
            ),
        ));
    }
    Ok(())
}

fn parse_error(kind: ExpressionKind, e: ParseError) -> ExprError {
    match e {
        ParseError::Syntax(message) => invalid(kind, message),
        ParseError::RedundantParentheses => invalid(kind, "The expression has redundant parentheses;"),
    }
}

fn parse_cond(kind: ExpressionKind, text: &str) -> Result<Condition, ExprError> {
    precheck(kind, text)?;
    let root = parse::parse_condition_text(text).map_err(|e| parse_error(kind, e))?;
    let c = Condition { kind, root };
    check::static_condition(&c)?;
    Ok(c)
}

/// Parses a ConditionExpression (PutItem, UpdateItem, DeleteItem,
/// TransactWriteItems) and makes DynamoDB's text-only checks.
pub fn parse_condition(text: &str) -> Result<Condition, ExprError> {
    parse_cond(ExpressionKind::Condition, text)
}

/// Parses a FilterExpression (Query, Scan).
pub fn parse_filter(text: &str) -> Result<Condition, ExprError> {
    parse_cond(ExpressionKind::Filter, text)
}

/// Parses a KeyConditionExpression; [`Condition::key_condition`] then
/// resolves it against the key schema.
pub fn parse_key_condition(text: &str) -> Result<Condition, ExprError> {
    parse_cond(ExpressionKind::KeyCondition, text)
}

/// Parses a ProjectionExpression.
pub fn parse_projection(text: &str) -> Result<Projection, ExprError> {
    let kind = ExpressionKind::Projection;
    precheck(kind, text)?;
    let paths = parse::parse_projection_text(text).map_err(|e| parse_error(kind, e))?;
    let p = Projection { paths };
    check::static_projection(&p)?;
    Ok(p)
}

/// Parses an UpdateExpression.
pub fn parse_update(text: &str) -> Result<Update, ExprError> {
    let kind = ExpressionKind::Update;
    precheck(kind, text)?;
    let clauses = parse::parse_update_text(text).map_err(|e| parse_error(kind, e))?;
    let u = Update { clauses };
    check::static_update(&u)?;
    Ok(u)
}

impl Condition {
    /// Which parameter the expression came from.
    pub fn kind(&self) -> ExpressionKind {
        self.kind
    }

    /// DynamoDB's checks that need the request's names and values:
    /// undefined placeholders, path depth, operand types, BETWEEN bounds, IN
    /// size, an operand compared with itself.
    pub fn validate(&self, names: &AttributeNames, values: &AttributeValues) -> Result<(), ExprError> {
        check::validate_condition(self, names, values)
    }

    /// Whether the condition holds for `item` (an empty item when there is
    /// none). Validates first, so a bad placeholder is an error, never a
    /// silent false.
    pub fn evaluate(&self, item: &Item, names: &AttributeNames, values: &AttributeValues) -> Result<bool, ExprError> {
        self.validate(names, values)?;
        eval::Env {
            kind: self.kind,
            names,
            values,
        }
        .holds(&self.root, item)
    }

    /// Resolves a KeyConditionExpression against the key schema of the
    /// table or index queried, with DynamoDB's messages for what a key
    /// condition may not do. Call [`Condition::validate`] first.
    pub fn key_condition(
        &self,
        names: &AttributeNames,
        values: &AttributeValues,
        partition_key: &str,
        sort_key: Option<&str>,
    ) -> Result<KeyCondition, ExprError> {
        key::resolve(self, names, values, partition_key, sort_key)
    }

    /// A Query's FilterExpression may not use the key attributes.
    pub fn check_no_key_attributes(&self, names: &AttributeNames, keys: &[&str]) -> Result<(), ExprError> {
        for path in condition_paths(&self.root) {
            if let Some(name) = top_name(path, names)
                && keys.contains(&name.as_str())
            {
                return Err(ExprError {
                    message: format!(
                        "Filter Expression can only contain non-primary key attributes: Primary key attribute: {name}"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Key attributes hold scalars: no expression may look inside one.
    pub fn check_key_paths(&self, names: &AttributeNames, keys: &[&str]) -> Result<(), ExprError> {
        check_key_paths(condition_paths(&self.root), names, keys)
    }
}

impl Projection {
    /// Resolves the paths with the request's names, checking them as
    /// DynamoDB does (undefined names, depth, overlapping paths).
    pub fn validate(&self, names: &AttributeNames) -> Result<Vec<Path>, ExprError> {
        check::validate_projection(self, names)
    }

    /// Key attributes hold scalars: no projection may look inside one.
    pub fn check_key_paths(&self, names: &AttributeNames, keys: &[&str]) -> Result<(), ExprError> {
        check_key_paths(self.paths.iter().collect(), names, keys)
    }
}

impl Update {
    /// DynamoDB's checks that need the request's names and values:
    /// undefined placeholders, overlapping paths, operand types.
    pub fn validate(&self, names: &AttributeNames, values: &AttributeValues) -> Result<(), ExprError> {
        check::validate_update(self, names, values).map(|_| ())
    }

    /// The paths the update writes, resolved, in the order written:
    /// [`project`] them on the old and new items for ReturnValues
    /// UPDATED_OLD and UPDATED_NEW.
    pub fn updated_paths(&self, names: &AttributeNames) -> Result<Vec<Path>, ExprError> {
        self.actions()
            .map(|(_, a)| check::resolve_path(ExpressionKind::Update, &a.path, names))
            .collect()
    }

    /// The top-level attributes the update writes.
    pub fn updated_attributes(&self, names: &AttributeNames) -> BTreeSet<String> {
        self.actions().filter_map(|(_, a)| top_name(&a.path, names)).collect()
    }

    /// An update may not write a key attribute.
    pub fn check_key_attributes(&self, names: &AttributeNames, keys: &[&str]) -> Result<(), ExprError> {
        for (_, a) in self.actions() {
            if let Some(name) = top_name(&a.path, names)
                && keys.contains(&name.as_str())
            {
                return Err(ExprError {
                    message: format!(
                        "One or more parameter values were invalid: Cannot update attribute {name}. This attribute is part of the key"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The item after `update`, computed on a copy (`item` is never changed, and
/// nothing is returned on error). Validates first. For an item that does not
/// exist, pass its key attributes as `item`, as DynamoDB starts from them.
pub fn apply_update(
    item: &Item,
    update: &Update,
    names: &AttributeNames,
    values: &AttributeValues,
) -> Result<Item, ExprError> {
    update.validate(names, values)?;
    eval::apply(update, item, names, values)
}

// ---- placeholders and attribute names ----

fn top_name(path: &DocPath, names: &AttributeNames) -> Option<String> {
    match path.parts.first()? {
        PathPart::Name(n) => Some(n.clone()),
        PathPart::Placeholder(p) => names.get(p).cloned(),
        PathPart::Index(_) => None,
    }
}

fn check_key_paths(paths: Vec<&DocPath>, names: &AttributeNames, keys: &[&str]) -> Result<(), ExprError> {
    for path in paths {
        if path.parts.len() > 1
            && let Some(name) = top_name(path, names)
            && keys.contains(&name.as_str())
        {
            return Err(ExprError {
                message: format!(
                    "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {name}"
                ),
            });
        }
    }
    Ok(())
}

fn operand_refs<'a>(op: &'a Operand, paths: &mut Vec<&'a DocPath>, values: &mut Vec<&'a str>) {
    match op {
        Operand::Path(p) => paths.push(p),
        Operand::Value(v) => values.push(v),
        Operand::Paren(inner) => operand_refs(inner, paths, values),
        Operand::Call(c) => c.args.iter().for_each(|a| operand_refs(a, paths, values)),
        Operand::Arith(_, a, b) => {
            operand_refs(a, paths, values);
            operand_refs(b, paths, values);
        }
    }
}

fn node_refs<'a>(node: &'a CondNode, paths: &mut Vec<&'a DocPath>, values: &mut Vec<&'a str>) {
    match node {
        CondNode::Or(terms) | CondNode::And(terms) => terms.iter().for_each(|t| node_refs(t, paths, values)),
        CondNode::Not(inner) | CondNode::Paren(inner) => node_refs(inner, paths, values),
        CondNode::Compare(_, a, b) => {
            operand_refs(a, paths, values);
            operand_refs(b, paths, values);
        }
        CondNode::Between(a, b, c) => [a, b, c].into_iter().for_each(|o| operand_refs(o, paths, values)),
        CondNode::In(a, list) => std::iter::once(a)
            .chain(list)
            .for_each(|o| operand_refs(o, paths, values)),
        CondNode::Call(c) => c.args.iter().for_each(|a| operand_refs(a, paths, values)),
    }
}

fn condition_paths(root: &CondNode) -> Vec<&DocPath> {
    let (mut paths, mut values) = (Vec::new(), Vec::new());
    node_refs(root, &mut paths, &mut values);
    paths
}

/// What an expression refers to, for the request-wide checks and for
/// authorization.
pub trait Expression {
    /// The `#placeholders` it uses.
    fn names_used(&self) -> BTreeSet<String>;

    /// The `:placeholders` it uses.
    fn values_used(&self) -> BTreeSet<String>;

    /// The top-level attribute names it reads or writes (for the
    /// `dynamodb:Attributes` condition key); undefined placeholders are left
    /// out.
    fn attribute_names(&self, names: &AttributeNames) -> BTreeSet<String>;
}

fn placeholders(paths: &[&DocPath]) -> BTreeSet<String> {
    paths
        .iter()
        .flat_map(|p| p.parts.iter())
        .filter_map(|part| match part {
            PathPart::Placeholder(p) => Some(p.clone()),
            _ => None,
        })
        .collect()
}

fn tops(paths: &[&DocPath], names: &AttributeNames) -> BTreeSet<String> {
    paths.iter().filter_map(|p| top_name(p, names)).collect()
}

fn condition_refs(c: &Condition) -> (Vec<&DocPath>, Vec<&str>) {
    let (mut paths, mut values) = (Vec::new(), Vec::new());
    node_refs(&c.root, &mut paths, &mut values);
    (paths, values)
}

fn update_refs(u: &Update) -> (Vec<&DocPath>, Vec<&str>) {
    let (mut paths, mut values) = (Vec::new(), Vec::new());
    for (_, a) in u.actions() {
        paths.push(&a.path);
        if let Some(v) = &a.value {
            operand_refs(v, &mut paths, &mut values);
        }
    }
    (paths, values)
}

impl Expression for Condition {
    fn names_used(&self) -> BTreeSet<String> {
        placeholders(&condition_refs(self).0)
    }

    fn values_used(&self) -> BTreeSet<String> {
        condition_refs(self).1.into_iter().map(str::to_string).collect()
    }

    fn attribute_names(&self, names: &AttributeNames) -> BTreeSet<String> {
        tops(&condition_refs(self).0, names)
    }
}

impl Expression for Update {
    fn names_used(&self) -> BTreeSet<String> {
        placeholders(&update_refs(self).0)
    }

    fn values_used(&self) -> BTreeSet<String> {
        update_refs(self).1.into_iter().map(str::to_string).collect()
    }

    fn attribute_names(&self, names: &AttributeNames) -> BTreeSet<String> {
        tops(&update_refs(self).0, names)
    }
}

impl Expression for Projection {
    fn names_used(&self) -> BTreeSet<String> {
        placeholders(&self.paths.iter().collect::<Vec<_>>())
    }

    fn values_used(&self) -> BTreeSet<String> {
        BTreeSet::new()
    }

    fn attribute_names(&self, names: &AttributeNames) -> BTreeSet<String> {
        tops(&self.paths.iter().collect::<Vec<_>>(), names)
    }
}

/// The top-level attribute names a request's expressions touch.
pub fn attribute_names_in(expressions: &[&dyn Expression], names: &AttributeNames) -> BTreeSet<String> {
    expressions.iter().flat_map(|e| e.attribute_names(names)).collect()
}

/// Java's `String.hashCode`, over UTF-16 code units.
fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// The order a Java HashSet built from `total` keys iterates `keys` in:
/// DynamoDB lists unused placeholders that way.
fn java_set_order(keys: Vec<&str>, total: usize) -> Vec<&str> {
    let want = ((total as f64 / 0.75) as usize + 1).max(16);
    let capacity = want.next_power_of_two();
    let slot = |k: &str| {
        let h = java_hash(k) as u32;
        ((h ^ (h >> 16)) as usize) & (capacity - 1)
    };
    let mut keyed: Vec<(usize, usize, &str)> = keys.into_iter().enumerate().map(|(i, k)| (slot(k), i, k)).collect();
    keyed.sort();
    keyed.into_iter().map(|(_, _, k)| k).collect()
}

/// Every name and value the request defines must be used by one of its
/// expressions; names are checked before values, as DynamoDB does.
pub fn check_unused(
    expressions: &[&dyn Expression],
    names: Option<&AttributeNames>,
    values: Option<&AttributeValues>,
) -> Result<(), ExprError> {
    let used_names: BTreeSet<String> = expressions.iter().flat_map(|e| e.names_used()).collect();
    let used_values: BTreeSet<String> = expressions.iter().flat_map(|e| e.values_used()).collect();
    if let Some(names) = names {
        let unused: Vec<&str> = names
            .keys()
            .map(String::as_str)
            .filter(|k| !used_names.contains(*k))
            .collect();
        if !unused.is_empty() {
            return Err(ExprError {
                message: format!(
                    "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                    java_set_order(unused, names.len()).join(", ")
                ),
            });
        }
    }
    if let Some(values) = values {
        let unused: Vec<&str> = values
            .keys()
            .map(String::as_str)
            .filter(|k| !used_values.contains(*k))
            .collect();
        if !unused.is_empty() {
            return Err(ExprError {
                message: format!(
                    "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                    java_set_order(unused, values.len()).join(", ")
                ),
            });
        }
    }
    Ok(())
}

fn placeholder_key_ok(key: &str, sigil: char) -> bool {
    key.strip_prefix(sigil)
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
}

/// DynamoDB's checks on the maps themselves: not empty, keys `#word` /
/// `:word` of at most 255 bytes, no empty attribute name.
pub fn check_attribute_maps(names: Option<&AttributeNames>, values: Option<&AttributeValues>) -> Result<(), ExprError> {
    let error = |message: String| Err(ExprError { message });
    if let Some(names) = names {
        if names.is_empty() {
            return error("ExpressionAttributeNames must not be empty".to_string());
        }
        for (k, v) in names {
            if k.len() > 255 {
                return error(format!(
                    "ExpressionAttributeNames contains invalid key: The expression attribute map contains a key that is too long; size of key: {}",
                    k.len()
                ));
            }
            if !placeholder_key_ok(k, '#') {
                return error(format!(
                    "ExpressionAttributeNames contains invalid key: Syntax error; key: \"{k}\""
                ));
            }
            if v.is_empty() {
                return error(format!(
                    "ExpressionAttributeNames contains invalid value: Empty attribute name for key {k}"
                ));
            }
        }
    }
    if let Some(values) = values {
        if values.is_empty() {
            return error("ExpressionAttributeValues must not be empty".to_string());
        }
        for k in values.keys() {
            if k.len() > 255 {
                return error(
                    "ExpressionAttributeValues contains invalid key: The expression attribute map contains a key that is too long;"
                        .to_string(),
                );
            }
            if !placeholder_key_ok(k, ':') {
                return error(format!(
                    "ExpressionAttributeValues contains invalid key: Syntax error; key: \"{k}\""
                ));
            }
        }
    }
    Ok(())
}
