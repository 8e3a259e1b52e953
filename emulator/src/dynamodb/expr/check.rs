//! DynamoDB's checks on a parsed expression, in its order. The first pass
//! needs only the text (reserved words, list index range, function names and
//! where each function may stand, repeated update sections); the second needs
//! the request's ExpressionAttributeNames and ExpressionAttributeValues
//! (undefined placeholders, path depth, overlapping paths, operand types).

use std::fmt::Display;

use super::ast::*;
use super::reserved::is_reserved;
use super::{AttributeNames, AttributeValues, ExprError, MAX_PATH_DEPTH};
use crate::dynamodb::value::AttributeValue;

pub(crate) fn invalid(kind: ExpressionKind, message: impl Display) -> ExprError {
    ExprError {
        message: format!("Invalid {}: {message}", kind.parameter()),
    }
}

const CONDITION_FUNCTIONS: &[(&str, usize)] = &[
    ("attribute_exists", 1),
    ("attribute_not_exists", 1),
    ("attribute_type", 2),
    ("begins_with", 2),
    ("contains", 2),
];
const OPERAND_FUNCTIONS: &[(&str, usize)] = &[("size", 1)];
const UPDATE_FUNCTIONS: &[(&str, usize)] = &[("if_not_exists", 2), ("list_append", 2)];

fn lookup(table: &[(&str, usize)], name: &str) -> Option<usize> {
    table.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

fn arity(name: &str) -> Option<usize> {
    lookup(CONDITION_FUNCTIONS, name)
        .or_else(|| lookup(OPERAND_FUNCTIONS, name))
        .or_else(|| lookup(UPDATE_FUNCTIONS, name))
}

/// The type names attribute_type accepts, as DynamoDB lists them.
const TYPE_NAMES: &str = "{N,BS,L,B,NULL,M,S,SS,NS,BOOL}";
/// What DynamoDB names as the operand type when attribute_type's second
/// operand is a document path (its internal type universe, verbatim).
const ANY_TYPE: &str =
    "{SS,M,DECIMAL,DOUBLESET,HDS,N,B,DICT,INTSET,BOOL,HD,BS,INT,DECIMALSET,NULL,FLOAT,FS,S,L,NS,DOUBLE}";

fn long_type(t: &str) -> &'static str {
    match t {
        "S" => "STRING",
        "N" => "NUMBER",
        "B" => "BINARY",
        "BOOL" => "BOOLEAN",
        "NULL" => "NULL",
        "L" => "LIST",
        "M" => "MAP",
        "SS" => "STRING_SET",
        "NS" => "NUMBER_SET",
        _ => "BINARY_SET",
    }
}

fn check_index(kind: ExpressionKind, text: &str) -> Result<(), ExprError> {
    let in_range = text.len() <= 10 && text.parse::<u64>().is_ok_and(|n| n <= i32::MAX as u64);
    if in_range {
        Ok(())
    } else {
        Err(invalid(
            kind,
            format!("List index is not within the allowable range; index: [{text}]"),
        ))
    }
}

// ---- pass 1: the text alone ----

fn static_path(kind: ExpressionKind, path: &DocPath) -> Result<(), ExprError> {
    for part in &path.parts {
        match part {
            PathPart::Index(text) => check_index(kind, text)?,
            PathPart::Name(name) if is_reserved(name) => {
                return Err(invalid(
                    kind,
                    format!("Attribute name is a reserved keyword; reserved keyword: {name}"),
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Condition,
    Operand,
}

fn check_arity(kind: ExpressionKind, call: &Call) -> Result<(), ExprError> {
    if arity(&call.name) != Some(call.args.len()) {
        return Err(invalid(
            kind,
            format!(
                "Incorrect number of operands for operator or function; operator or function: {}, number of operands: {}",
                call.name,
                call.args.len()
            ),
        ));
    }
    Ok(())
}

fn static_call(kind: ExpressionKind, call: &Call, place: Place) -> Result<(), ExprError> {
    let name = &call.name;
    if arity(name).is_none() {
        return Err(invalid(kind, format!("Invalid function name; function: {name}")));
    }
    if kind == ExpressionKind::Update {
        if lookup(UPDATE_FUNCTIONS, name).is_none() {
            return Err(invalid(
                kind,
                format!("The function is not allowed in an update expression; function: {name}"),
            ));
        }
    } else {
        if lookup(UPDATE_FUNCTIONS, name).is_some() {
            return Err(invalid(
                kind,
                format!("The function is not allowed in a condition expression; function: {name}"),
            ));
        }
        let is_condition = lookup(CONDITION_FUNCTIONS, name).is_some();
        if is_condition != (place == Place::Condition) {
            return Err(invalid(
                kind,
                format!("The function is not allowed to be used this way in an expression; function: {name}"),
            ));
        }
        // An update's functions are counted in the second pass, with the
        // placeholders; a condition's here.
        check_arity(kind, call)?;
    }
    for arg in &call.args {
        static_operand(kind, arg)?;
    }
    Ok(())
}

fn static_operand(kind: ExpressionKind, op: &Operand) -> Result<(), ExprError> {
    match op {
        Operand::Path(p) => static_path(kind, p),
        Operand::Value(_) => Ok(()),
        Operand::Call(c) => static_call(kind, c, Place::Operand),
        Operand::Paren(inner) => static_operand(kind, inner),
        Operand::Arith(_, a, b) => {
            static_operand(kind, a)?;
            static_operand(kind, b)
        }
    }
}

fn static_node(kind: ExpressionKind, node: &CondNode) -> Result<(), ExprError> {
    match node {
        CondNode::Or(terms) | CondNode::And(terms) => terms.iter().try_for_each(|t| static_node(kind, t)),
        CondNode::Not(inner) | CondNode::Paren(inner) => static_node(kind, inner),
        CondNode::Compare(_, a, b) => {
            static_operand(kind, a)?;
            static_operand(kind, b)
        }
        CondNode::Between(a, b, c) => [a, b, c].into_iter().try_for_each(|o| static_operand(kind, o)),
        CondNode::In(a, list) => std::iter::once(a).chain(list).try_for_each(|o| static_operand(kind, o)),
        CondNode::Call(call) => static_call(kind, call, Place::Condition),
    }
}

pub(crate) fn static_condition(c: &Condition) -> Result<(), ExprError> {
    static_node(c.kind, &c.root)
}

pub(crate) fn static_projection(p: &Projection) -> Result<(), ExprError> {
    p.paths
        .iter()
        .try_for_each(|path| static_path(ExpressionKind::Projection, path))
}

pub(crate) fn static_update(u: &Update) -> Result<(), ExprError> {
    let kind = ExpressionKind::Update;
    // DynamoDB reads an update a section at a time, sections in the order
    // they first appear; a section written twice is refused after the
    // first pass over its actions.
    let mut order: Vec<ClauseKind> = Vec::new();
    for c in &u.clauses {
        if !order.contains(&c.kind) {
            order.push(c.kind);
        }
    }
    for section in order {
        let clauses: Vec<&Clause> = u.clauses.iter().filter(|c| c.kind == section).collect();
        for clause in &clauses {
            for action in &clause.actions {
                static_path(kind, &action.path)?;
                if let Some(v) = &action.value {
                    static_operand(kind, v)?;
                }
            }
        }
        if clauses.len() > 1 {
            return Err(invalid(
                kind,
                format!(
                    "The \"{}\" section can only be used once in an update expression;",
                    section.keyword()
                ),
            ));
        }
    }
    Ok(())
}

// ---- resolution ----

/// Resolves a written path with the request's names.
pub(crate) fn resolve_path(kind: ExpressionKind, path: &DocPath, names: &AttributeNames) -> Result<Path, ExprError> {
    path.parts
        .iter()
        .map(|part| match part {
            PathPart::Name(n) => Ok(PathElem::Attr(n.clone())),
            PathPart::Placeholder(p) => names
                .get(p)
                .map(|n| PathElem::Attr(n.clone()))
                .ok_or_else(|| undefined_name(kind, p)),
            PathPart::Index(text) => text.parse::<usize>().map(PathElem::Index).map_err(|_| {
                invalid(
                    kind,
                    format!("List index is not within the allowable range; index: [{text}]"),
                )
            }),
        })
        .collect()
}

fn undefined_name(kind: ExpressionKind, p: &str) -> ExprError {
    invalid(
        kind,
        format!("An expression attribute name used in the document path is not defined; attribute name: {p}"),
    )
}

pub(crate) fn undefined_value(kind: ExpressionKind, v: &str) -> ExprError {
    invalid(
        kind,
        format!("An expression attribute value used in expression is not defined; attribute value: {v}"),
    )
}

// ---- pass 2: with the request's names and values ----

struct Validator<'a> {
    kind: ExpressionKind,
    names: &'a AttributeNames,
    values: &'a AttributeValues,
}

fn bound_text(v: &AttributeValue) -> String {
    match v {
        AttributeValue::S(s) => format!("AttributeValue: {{S:{s}}}"),
        AttributeValue::N(n) => format!("AttributeValue: {{N:{n}}}"),
        // DynamoDB prints its Java buffer object here.
        AttributeValue::B(b) => format!(
            "AttributeValue: {{B:java.nio.HeapByteBuffer[pos=0 lim={0} cap={0}]}}",
            b.len()
        ),
        other => format!("AttributeValue: {{{}:{}}}", other.type_name(), other.to_json()),
    }
}

impl Validator<'_> {
    fn path(&self, path: &DocPath) -> Result<Path, ExprError> {
        let resolved = resolve_path(self.kind, path, self.names)?;
        if resolved.len() > MAX_PATH_DEPTH {
            return Err(invalid(
                self.kind,
                format!(
                    "The document path has too many nesting levels; nesting levels: {}",
                    resolved.len()
                ),
            ));
        }
        Ok(resolved)
    }

    fn value(&self, name: &str) -> Result<&AttributeValue, ExprError> {
        self.values.get(name).ok_or_else(|| undefined_value(self.kind, name))
    }

    /// The type an operand has whatever the item: a value's, N for size(),
    /// unknown (None) for a path.
    fn static_type(&self, op: &Operand) -> Option<&'static str> {
        match op.unwrap_parens() {
            Operand::Value(v) => self.values.get(v).map(AttributeValue::type_name),
            Operand::Call(c) if c.name == "size" => Some("N"),
            _ => None,
        }
    }

    fn type_problem(&self, op: &str, t: &str) -> ExprError {
        invalid(
            self.kind,
            format!("Incorrect operand type for operator or function; operator or function: {op}, operand type: {t}"),
        )
    }

    fn distinct(&self, op: &str, first: &Operand, rest: &[&Operand]) -> Result<(), ExprError> {
        let Operand::Path(first) = first.unwrap_parens() else {
            return Ok(());
        };
        let first = resolve_path(self.kind, first, self.names)?;
        for r in rest {
            if let Operand::Path(p) = r.unwrap_parens()
                && resolve_path(self.kind, p, self.names)? == first
            {
                return Err(invalid(
                    self.kind,
                    format!(
                        "The first operand must be distinct from the remaining operands for this operator or function; operator: {op}, first operand: {}",
                        path_text(&first)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn orderable(&self, op: &str, operands: &[&Operand]) -> Result<(), ExprError> {
        for o in operands {
            if let Some(t) = self.static_type(o)
                && !matches!(t, "S" | "N" | "B")
            {
                return Err(self.type_problem(op, t));
            }
        }
        Ok(())
    }

    fn operand(&self, op: &Operand) -> Result<(), ExprError> {
        match op {
            Operand::Path(p) => self.path(p).map(|_| ()),
            Operand::Value(v) => self.value(v).map(|_| ()),
            Operand::Paren(inner) => self.operand(inner),
            Operand::Call(call) => self.call(call),
            Operand::Arith(op, a, b) => {
                self.operand(a)?;
                self.operand(b)?;
                for o in [a, b] {
                    if let Some(t) = self.static_type(o)
                        && t != "N"
                    {
                        return Err(self.type_problem(op.symbol(), t));
                    }
                }
                Ok(())
            }
        }
    }

    fn call(&self, call: &Call) -> Result<(), ExprError> {
        if self.kind == ExpressionKind::Update {
            check_arity(self.kind, call)?;
        }
        for a in &call.args {
            self.operand(a)?;
        }
        let name = call.name.as_str();
        let Some(first) = call.args.first() else {
            return Ok(());
        };
        let needs_path = matches!(
            name,
            "attribute_exists" | "attribute_not_exists" | "attribute_type" | "if_not_exists"
        );
        if needs_path && !matches!(first.unwrap_parens(), Operand::Path(_)) {
            return Err(invalid(
                self.kind,
                format!("Operator or function requires a document path; operator or function: {name}"),
            ));
        }
        if name != "size" && name != "list_append" {
            let rest: Vec<&Operand> = call.args[1..].iter().collect();
            self.distinct(name, first, &rest)?;
        }
        match name {
            "size" => {
                if let Some(t) = self.static_type(first)
                    && !matches!(t, "S" | "B" | "SS" | "NS" | "BS" | "L" | "M")
                {
                    return Err(self.type_problem("size", t));
                }
            }
            "begins_with" => {
                for a in &call.args {
                    if let Some(t) = self.static_type(a)
                        && t != "S"
                        && t != "B"
                    {
                        return Err(self.type_problem("begins_with", t));
                    }
                }
            }
            "attribute_type" => {
                let Some(second) = call.args.get(1) else {
                    return Ok(());
                };
                match second.unwrap_parens() {
                    Operand::Value(v) => match self.value(v)? {
                        AttributeValue::S(t) => {
                            if !["S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL"].contains(&t.as_str()) {
                                return Err(invalid(
                                    self.kind,
                                    format!("Invalid attribute type name found; type: {t}, valid types: {TYPE_NAMES}"),
                                ));
                            }
                        }
                        other => return Err(self.type_problem("attribute_type", other.type_name())),
                    },
                    Operand::Call(c) if c.name == "size" => return Err(self.type_problem("attribute_type", "N")),
                    _ => return Err(self.type_problem("attribute_type", ANY_TYPE)),
                }
            }
            "list_append" => {
                for a in &call.args {
                    if let Some(t) = self.static_type(a)
                        && t != "L"
                    {
                        return Err(self.type_problem("list_append", t));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn node(&self, node: &CondNode) -> Result<(), ExprError> {
        match node {
            CondNode::Or(terms) | CondNode::And(terms) => terms.iter().try_for_each(|t| self.node(t)),
            CondNode::Not(inner) | CondNode::Paren(inner) => self.node(inner),
            CondNode::Compare(cmp, a, b) => {
                self.operand(a)?;
                self.operand(b)?;
                self.distinct(cmp.symbol(), a, &[b])?;
                if !matches!(cmp, Comparator::Eq | Comparator::Ne) {
                    self.orderable(cmp.symbol(), &[a, b])?;
                }
                Ok(())
            }
            CondNode::Between(a, low, high) => {
                self.operand(a)?;
                self.operand(low)?;
                self.operand(high)?;
                self.distinct("BETWEEN", a, &[low, high])?;
                self.orderable("BETWEEN", &[a, low, high])?;
                if let (Operand::Value(l), Operand::Value(h)) = (low.unwrap_parens(), high.unwrap_parens()) {
                    let (l, h) = (self.value(l)?, self.value(h)?);
                    if l.type_name() != h.type_name() {
                        return Err(invalid(
                            self.kind,
                            format!(
                                "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: {}, upper bound operand: {}",
                                bound_text(l),
                                bound_text(h)
                            ),
                        ));
                    }
                    if l.compare(h) == Some(std::cmp::Ordering::Greater) {
                        return Err(invalid(
                            self.kind,
                            format!(
                                "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: {}, upper bound operand: {}",
                                bound_text(l),
                                bound_text(h)
                            ),
                        ));
                    }
                }
                Ok(())
            }
            CondNode::In(a, list) => {
                self.operand(a)?;
                for o in list {
                    self.operand(o)?;
                }
                if list.len() > super::MAX_IN_OPERANDS {
                    return Err(invalid(
                        self.kind,
                        format!(
                            "The IN operator is provided with too many operands; number of operands: {}",
                            list.len()
                        ),
                    ));
                }
                let rest: Vec<&Operand> = list.iter().collect();
                self.distinct("IN", a, &rest)
            }
            CondNode::Call(call) => self.call(call),
        }
    }
}

pub(crate) fn validate_condition(
    c: &Condition,
    names: &AttributeNames,
    values: &AttributeValues,
) -> Result<(), ExprError> {
    Validator {
        kind: c.kind,
        names,
        values,
    }
    .node(&c.root)
}

pub(crate) fn validate_projection(p: &Projection, names: &AttributeNames) -> Result<Vec<Path>, ExprError> {
    let empty = AttributeValues::new();
    let v = Validator {
        kind: ExpressionKind::Projection,
        names,
        values: &empty,
    };
    let paths = p.paths.iter().map(|path| v.path(path)).collect::<Result<Vec<_>, _>>()?;
    check_overlaps(ExpressionKind::Projection, &paths)?;
    Ok(paths)
}

fn names_only(kind: ExpressionKind, op: &Operand, names: &AttributeNames) -> Result<(), ExprError> {
    match op {
        Operand::Path(p) => resolve_path(kind, p, names).map(|_| ()),
        Operand::Value(_) => Ok(()),
        Operand::Paren(inner) => names_only(kind, inner, names),
        Operand::Call(c) => c.args.iter().try_for_each(|a| names_only(kind, a, names)),
        Operand::Arith(_, a, b) => {
            names_only(kind, a, names)?;
            names_only(kind, b, names)
        }
    }
}

pub(crate) fn validate_update(
    u: &Update,
    names: &AttributeNames,
    values: &AttributeValues,
) -> Result<Vec<Path>, ExprError> {
    let kind = ExpressionKind::Update;
    let v = Validator { kind, names, values };
    // The targets' names first, then their overlaps: DynamoDB checks these
    // before it looks at the values.
    let targets = u
        .actions()
        .map(|(_, a)| resolve_path(kind, &a.path, names))
        .collect::<Result<Vec<_>, _>>()?;
    check_overlaps(kind, &targets)?;
    // Then the actions from the last back to the first: every #name, then
    // the values and their types.
    let actions: Vec<(ClauseKind, &Action)> = u.actions().collect();
    for (_, a) in actions.iter().rev() {
        if let Some(value) = &a.value {
            names_only(kind, value, names)?;
        }
    }
    for (clause, a) in actions.iter().rev() {
        v.path(&a.path)?;
        if let Some(value) = &a.value {
            v.operand(value)?;
            if matches!(clause, ClauseKind::Add | ClauseKind::Delete)
                && let Some(t) = v.static_type(value)
            {
                let allowed = if *clause == ClauseKind::Add {
                    ["N", "SS", "NS", "BS"].as_slice()
                } else {
                    &["SS", "NS", "BS"]
                };
                if !allowed.contains(&t) {
                    let keyword = clause.keyword();
                    return Err(invalid(
                        kind,
                        format!(
                            "Incorrect operand type for operator or function; operator: {keyword}, operand type: {}, typeSet: ALLOWED_FOR_{keyword}_OPERAND",
                            long_type(t)
                        ),
                    ));
                }
            }
        }
    }
    Ok(targets)
}

/// Two paths of one update or projection may not be the same, one inside
/// the other (overlap), or use one attribute as a map and as a list
/// (conflict). The first overlap found wins over any conflict.
pub(crate) fn check_overlaps(kind: ExpressionKind, paths: &[Path]) -> Result<(), ExprError> {
    let mut conflict: Option<(usize, usize)> = None;
    for (j, later) in paths.iter().enumerate() {
        for (i, earlier) in paths[..j].iter().enumerate() {
            let mut clash = Clash::Overlap;
            for (x, y) in earlier.iter().zip(later) {
                let same_kind = matches!(
                    (x, y),
                    (PathElem::Attr(_), PathElem::Attr(_)) | (PathElem::Index(_), PathElem::Index(_))
                );
                if !same_kind {
                    clash = Clash::Conflict;
                    break;
                }
                if x != y {
                    clash = Clash::None;
                    break;
                }
            }
            match clash {
                Clash::Overlap => return Err(clash_error(kind, "overlap", earlier, later)),
                Clash::Conflict if conflict.is_none() => conflict = Some((i, j)),
                _ => {}
            }
        }
    }
    match conflict {
        Some((i, j)) => Err(clash_error(kind, "conflict", &paths[i], &paths[j])),
        None => Ok(()),
    }
}

enum Clash {
    None,
    Overlap,
    Conflict,
}

fn clash_error(kind: ExpressionKind, what: &str, one: &[PathElem], two: &[PathElem]) -> ExprError {
    invalid(
        kind,
        format!(
            "Two document paths {what} with each other; must remove or rewrite one of these paths; path one: {}, path two: {}",
            path_text(one),
            path_text(two)
        ),
    )
}
