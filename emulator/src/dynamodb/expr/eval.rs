//! Running expressions against an item: conditions and filters, projections
//! and updates, with DynamoDB's semantics ("Comparison operator and function
//! reference", "Update expressions", "Projection expressions").

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::ast::*;
use super::check::{resolve_path, undefined_value};
use super::{AttributeNames, AttributeValues, ExprError};
use crate::dynamodb::number::{Number, NumberError};
use crate::dynamodb::value::{AttributeValue, Item, MAX_NESTING_DEPTH};

/// The value at a resolved path, if the item has one there.
pub(crate) fn lookup<'i>(item: &'i Item, path: &[PathElem]) -> Option<&'i AttributeValue> {
    let (PathElem::Attr(first), rest) = path.split_first()? else {
        return None;
    };
    let mut cur = item.get(first)?;
    for step in rest {
        cur = match (step, cur) {
            (PathElem::Attr(a), AttributeValue::M(m)) => m.get(a)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn lookup_mut<'i>(item: &'i mut Item, path: &[PathElem]) -> Option<&'i mut AttributeValue> {
    let (PathElem::Attr(first), rest) = path.split_first()? else {
        return None;
    };
    let mut cur = item.get_mut(first)?;
    for step in rest {
        cur = match (step, cur) {
            (PathElem::Attr(a), AttributeValue::M(m)) => m.get_mut(a)?,
            (PathElem::Index(i), AttributeValue::L(l)) => l.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// What `size()` gives: string length, binary length, members of a set,
/// elements of a list or map; nothing for N, BOOL and NULL.
fn size_of(v: &AttributeValue) -> Option<usize> {
    Some(match v {
        // DynamoDB is a Java service: a string's length is counted in UTF-16
        // code units, as Java's String.length() counts it.
        AttributeValue::S(s) => s.encode_utf16().count(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(s) => s.len(),
        AttributeValue::Ns(n) => n.len(),
        AttributeValue::Bs(b) => b.len(),
        AttributeValue::L(l) => l.len(),
        AttributeValue::M(m) => m.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => return None,
    })
}

fn bytes_contain(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

pub(crate) struct Env<'a> {
    pub(crate) kind: ExpressionKind,
    pub(crate) names: &'a AttributeNames,
    pub(crate) values: &'a AttributeValues,
}

impl<'a> Env<'a> {
    fn operand<'x>(&'x self, op: &Operand, item: &'x Item) -> Result<Option<Cow<'x, AttributeValue>>, ExprError> {
        Ok(match op.unwrap_parens() {
            Operand::Value(v) => Some(Cow::Borrowed(
                self.values.get(v).ok_or_else(|| undefined_value(self.kind, v))?,
            )),
            Operand::Path(p) => lookup(item, &resolve_path(self.kind, p, self.names)?).map(Cow::Borrowed),
            Operand::Call(c) if c.name == "size" => match c.args.first() {
                Some(arg) => self
                    .operand(arg, item)?
                    .and_then(|v| size_of(&v))
                    .map(|n| Cow::Owned(AttributeValue::N(Number::from(n)))),
                None => None,
            },
            _ => None,
        })
    }

    pub(crate) fn holds(&self, node: &CondNode, item: &Item) -> Result<bool, ExprError> {
        Ok(match node {
            // Every operand is evaluated (no short cut) so that a bad
            // reference anywhere is reported whatever the item holds.
            CondNode::Or(terms) => {
                let mut any = false;
                for t in terms {
                    any |= self.holds(t, item)?;
                }
                any
            }
            CondNode::And(terms) => {
                let mut all = true;
                for t in terms {
                    all &= self.holds(t, item)?;
                }
                all
            }
            CondNode::Not(inner) => !self.holds(inner, item)?,
            CondNode::Paren(inner) => self.holds(inner, item)?,
            CondNode::Compare(cmp, a, b) => {
                let (a, b) = (self.operand(a, item)?, self.operand(b, item)?);
                match cmp {
                    // A missing operand is equal to nothing, so `<>` holds.
                    Comparator::Eq => matches!((&a, &b), (Some(x), Some(y)) if x == y),
                    Comparator::Ne => !matches!((&a, &b), (Some(x), Some(y)) if x == y),
                    _ => {
                        let order = match (&a, &b) {
                            (Some(x), Some(y)) => x.compare(y),
                            _ => None,
                        };
                        match order {
                            None => false,
                            Some(o) => match cmp {
                                Comparator::Lt => o.is_lt(),
                                Comparator::Le => o.is_le(),
                                Comparator::Gt => o.is_gt(),
                                _ => o.is_ge(),
                            },
                        }
                    }
                }
            }
            CondNode::Between(a, low, high) => {
                let (a, low, high) = (
                    self.operand(a, item)?,
                    self.operand(low, item)?,
                    self.operand(high, item)?,
                );
                match (a, low, high) {
                    (Some(a), Some(low), Some(high)) => {
                        low.compare(&a).is_some_and(|o| o.is_le()) && a.compare(&high).is_some_and(|o| o.is_le())
                    }
                    _ => false,
                }
            }
            CondNode::In(a, list) => {
                let a = self.operand(a, item)?;
                let mut found = false;
                for o in list {
                    let v = self.operand(o, item)?;
                    found |= matches!((&a, &v), (Some(x), Some(y)) if x == y);
                }
                found
            }
            CondNode::Call(call) => self.call_holds(call, item)?,
        })
    }

    fn call_holds(&self, call: &Call, item: &Item) -> Result<bool, ExprError> {
        let arg = |i: usize| -> Result<Option<Cow<'_, AttributeValue>>, ExprError> {
            match call.args.get(i) {
                Some(op) => self.operand(op, item),
                None => Ok(None),
            }
        };
        let a = arg(0)?;
        Ok(match call.name.as_str() {
            "attribute_exists" => a.is_some(),
            "attribute_not_exists" => a.is_none(),
            "attribute_type" => match (a, arg(1)?) {
                (Some(a), Some(t)) => matches!(&*t, AttributeValue::S(t) if t == a.type_name()),
                _ => false,
            },
            "begins_with" => match (a.as_deref(), arg(1)?.as_deref()) {
                (Some(AttributeValue::S(s)), Some(AttributeValue::S(p))) => s.starts_with(p.as_str()),
                (Some(AttributeValue::B(s)), Some(AttributeValue::B(p))) => s.starts_with(p),
                _ => false,
            },
            "contains" => match (a.as_deref(), arg(1)?.as_deref()) {
                (Some(AttributeValue::S(s)), Some(AttributeValue::S(x))) => s.contains(x.as_str()),
                (Some(AttributeValue::B(s)), Some(AttributeValue::B(x))) => bytes_contain(s, x),
                (Some(AttributeValue::Ss(s)), Some(AttributeValue::S(x))) => s.contains(x),
                (Some(AttributeValue::Ns(s)), Some(AttributeValue::N(x))) => s.contains(x),
                (Some(AttributeValue::Bs(s)), Some(AttributeValue::B(x))) => s.contains(x),
                (Some(AttributeValue::L(l)), Some(x)) => l.contains(x),
                _ => false,
            },
            _ => false,
        })
    }
}

// ---- projection ----

enum Tree {
    Leaf,
    Branch(BTreeMap<PathElem, Tree>),
}

fn copy_along(src: &AttributeValue, tree: &Tree) -> Option<AttributeValue> {
    let Tree::Branch(children) = tree else {
        return Some(src.clone());
    };
    match src {
        AttributeValue::M(m) => {
            let mut out = BTreeMap::new();
            for (k, sub) in children {
                if let PathElem::Attr(a) = k
                    && let Some(v) = m.get(a).and_then(|v| copy_along(v, sub))
                {
                    out.insert(a.clone(), v);
                }
            }
            (!out.is_empty()).then_some(AttributeValue::M(out))
        }
        AttributeValue::L(l) => {
            // Projected list elements keep their relative order, closed up.
            let mut out = Vec::new();
            for (k, sub) in children {
                if let PathElem::Index(i) = k
                    && let Some(v) = l.get(*i).and_then(|v| copy_along(v, sub))
                {
                    out.push(v);
                }
            }
            (!out.is_empty()).then_some(AttributeValue::L(out))
        }
        _ => None,
    }
}

/// The parts of `item` that `paths` name, keeping their nesting: `a.b`
/// gives `{a: {b: ...}}`, `l[3], l[1]` gives `{l: [l1, l3]}`. Paths the item
/// lacks give nothing.
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut roots: BTreeMap<String, Tree> = BTreeMap::new();
    for path in paths {
        let Some((PathElem::Attr(first), rest)) = path.split_first() else {
            continue;
        };
        let mut node = roots
            .entry(first.clone())
            .or_insert_with(|| Tree::Branch(BTreeMap::new()));
        if rest.is_empty() {
            *node = Tree::Leaf;
            continue;
        }
        for (i, step) in rest.iter().enumerate() {
            let Tree::Branch(children) = node else {
                // A shorter path already takes the whole value.
                break;
            };
            let last = i + 1 == rest.len();
            let child = children
                .entry(step.clone())
                .or_insert_with(|| Tree::Branch(BTreeMap::new()));
            if last {
                *child = Tree::Leaf;
            }
            node = child;
        }
    }
    let mut out = Item::new();
    for (name, tree) in &roots {
        if let Some(v) = item.get(name).and_then(|v| copy_along(v, tree)) {
            out.insert(name.clone(), v);
        }
    }
    out
}

// ---- update ----

const TYPE_ERROR: &str = "An operand in the update expression has an incorrect data type";
const MISSING_ERROR: &str = "The provided expression refers to an attribute that does not exist in the item";
const PATH_ERROR: &str = "The document path provided in the update expression is invalid for update";
const NESTING_ERROR: &str =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

fn bare(message: impl Into<String>) -> ExprError {
    ExprError {
        message: message.into(),
    }
}

/// Why a SET value could not be worked out.
enum SetFailure {
    /// Reported at once.
    Type,
    /// Reported after the path checks of its clause.
    Missing,
    /// Reported once every path and attribute has been checked.
    Number(NumberError),
}

fn writable(item: &Item, key: &[PathElem]) -> bool {
    let Some((last, parent)) = key.split_last() else {
        return false;
    };
    if parent.is_empty() {
        return true;
    }
    matches!(
        (lookup(item, parent), last),
        (Some(AttributeValue::L(_)), PathElem::Index(_)) | (Some(AttributeValue::M(_)), PathElem::Attr(_))
    )
}

fn set_union(cur: &AttributeValue, add: &AttributeValue) -> Option<AttributeValue> {
    fn union<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
        let mut out = a.to_vec();
        for x in b {
            if !a.contains(x) {
                out.push(x.clone());
            }
        }
        out
    }
    Some(match (cur, add) {
        (AttributeValue::Ss(a), AttributeValue::Ss(b)) => AttributeValue::Ss(union(a, b)),
        (AttributeValue::Ns(a), AttributeValue::Ns(b)) => AttributeValue::Ns(union(a, b)),
        (AttributeValue::Bs(a), AttributeValue::Bs(b)) => AttributeValue::Bs(union(a, b)),
        _ => return None,
    })
}

/// The set left after taking `del` away; None when nothing is left.
fn set_minus(cur: &AttributeValue, del: &AttributeValue) -> Option<AttributeValue> {
    fn minus<T: Clone + PartialEq>(a: &[T], b: &[T]) -> Vec<T> {
        a.iter().filter(|x| !b.contains(x)).cloned().collect()
    }
    let out = match (cur, del) {
        (AttributeValue::Ss(a), AttributeValue::Ss(b)) => AttributeValue::Ss(minus(a, b)),
        (AttributeValue::Ns(a), AttributeValue::Ns(b)) => AttributeValue::Ns(minus(a, b)),
        (AttributeValue::Bs(a), AttributeValue::Bs(b)) => AttributeValue::Bs(minus(a, b)),
        _ => return None,
    };
    let empty = matches!(&out, AttributeValue::Ss(v) if v.is_empty())
        || matches!(&out, AttributeValue::Ns(v) if v.is_empty())
        || matches!(&out, AttributeValue::Bs(v) if v.is_empty());
    (!empty).then_some(out)
}

impl Env<'_> {
    /// The value a SET writes, worked out from the item as it was.
    fn set_value(&self, op: &Operand, item: &Item) -> Result<Result<AttributeValue, SetFailure>, ExprError> {
        Ok(match op.unwrap_parens() {
            Operand::Value(v) => Ok(self.values.get(v).ok_or_else(|| undefined_value(self.kind, v))?.clone()),
            Operand::Path(p) => lookup(item, &resolve_path(self.kind, p, self.names)?)
                .cloned()
                .ok_or(SetFailure::Missing),
            Operand::Arith(op, a, b) => {
                let a = match self.set_value(a, item)? {
                    Ok(AttributeValue::N(n)) => n,
                    Ok(_) => return Ok(Err(SetFailure::Type)),
                    Err(f) => return Ok(Err(f)),
                };
                let b = match self.set_value(b, item)? {
                    Ok(AttributeValue::N(n)) => n,
                    Ok(_) => return Ok(Err(SetFailure::Type)),
                    Err(f) => return Ok(Err(f)),
                };
                let result = match op {
                    ArithOp::Plus => a.add(&b),
                    ArithOp::Minus => a.sub(&b),
                };
                result.map(AttributeValue::N).map_err(SetFailure::Number)
            }
            Operand::Call(c) if c.name == "if_not_exists" => {
                let (Some(Operand::Path(p)), Some(default)) =
                    (c.args.first().map(Operand::unwrap_parens), c.args.get(1))
                else {
                    return Ok(Err(SetFailure::Type));
                };
                match lookup(item, &resolve_path(self.kind, p, self.names)?) {
                    Some(v) => Ok(v.clone()),
                    None => self.set_value(default, item)?,
                }
            }
            Operand::Call(c) if c.name == "list_append" => {
                let (Some(a), Some(b)) = (c.args.first(), c.args.get(1)) else {
                    return Ok(Err(SetFailure::Type));
                };
                let mut a = match self.set_value(a, item)? {
                    Ok(AttributeValue::L(l)) => l,
                    Ok(_) => return Ok(Err(SetFailure::Type)),
                    Err(f) => return Ok(Err(f)),
                };
                match self.set_value(b, item)? {
                    Ok(AttributeValue::L(l)) => {
                        a.extend(l);
                        Ok(AttributeValue::L(a))
                    }
                    Ok(_) => Err(SetFailure::Type),
                    Err(f) => Err(f),
                }
            }
            _ => Err(SetFailure::Type),
        })
    }
}

enum Write {
    Set(AttributeValue),
    Remove,
}

/// Applies an update to a copy of `item`. Every value is worked out from the
/// item as it was; list removals use the positions elements had before the
/// update, and SETs past a list's end append in index order. Problems are
/// reported in DynamoDB's order: a wrong type anywhere, then clause by
/// clause from the last, a path that cannot be written and then an
/// attribute a SET reads that is missing, then numbers out of range.
pub(crate) fn apply(
    update: &Update,
    item: &Item,
    names: &AttributeNames,
    values: &AttributeValues,
) -> Result<Item, ExprError> {
    let env = Env {
        kind: ExpressionKind::Update,
        names,
        values,
    };
    struct Act<'u> {
        clause: usize,
        kind: ClauseKind,
        action: &'u Action,
        key: Path,
        value: Option<AttributeValue>,
        failure: Option<SetFailure>,
    }
    let mut acts = Vec::new();
    for (ci, clause) in update.clauses.iter().enumerate() {
        for action in &clause.actions {
            let key = resolve_path(ExpressionKind::Update, &action.path, names)?;
            acts.push(Act {
                clause: ci,
                kind: clause.kind,
                action,
                key,
                value: None,
                failure: None,
            });
        }
    }
    // A parent that is there but is not the map or list the path needs.
    for a in &acts {
        if a.key.len() > 1 && lookup(item, &a.key[..a.key.len() - 1]).is_some() && !writable(item, &a.key) {
            return Err(bare(PATH_ERROR));
        }
    }
    // Types.
    for a in &mut acts {
        match a.kind {
            ClauseKind::Set => {
                let Some(op) = &a.action.value else { continue };
                match env.set_value(op, item)? {
                    Ok(v) => a.value = Some(v),
                    Err(SetFailure::Type) => return Err(bare(TYPE_ERROR)),
                    Err(f) => a.failure = Some(f),
                }
            }
            ClauseKind::Add | ClauseKind::Delete => {
                let Some(Operand::Value(v)) = &a.action.value else {
                    continue;
                };
                let v = values
                    .get(v)
                    .ok_or_else(|| undefined_value(ExpressionKind::Update, v))?;
                let cur = if writable(item, &a.key) {
                    lookup(item, &a.key)
                } else {
                    None
                };
                if let Some(cur) = cur {
                    let is_set = matches!(v, AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_));
                    let ok = match a.kind {
                        ClauseKind::Add => {
                            cur.type_name() == v.type_name() && (is_set || matches!(v, AttributeValue::N(_)))
                        }
                        _ => cur.type_name() == v.type_name() && is_set,
                    };
                    if !ok {
                        return Err(bare(TYPE_ERROR));
                    }
                    if let (ClauseKind::Add, AttributeValue::N(c), AttributeValue::N(n)) = (a.kind, cur, v) {
                        c.add(n).map_err(|e| bare(e.message()))?;
                    }
                }
            }
            ClauseKind::Remove => {}
        }
    }
    // Paths, then missing attributes, a clause at a time from the last.
    for ci in (0..update.clauses.len()).rev() {
        if acts.iter().any(|a| a.clause == ci && !writable(item, &a.key)) {
            return Err(bare(PATH_ERROR));
        }
        if acts
            .iter()
            .any(|a| a.clause == ci && matches!(a.failure, Some(SetFailure::Missing)))
        {
            return Err(bare(MISSING_ERROR));
        }
    }
    for a in &acts {
        if let Some(SetFailure::Number(e)) = &a.failure {
            return Err(bare(e.message()));
        }
    }
    // Every write, from the item as it was.
    let mut writes: Vec<(Path, Write)> = Vec::with_capacity(acts.len());
    for a in acts {
        let write = match a.kind {
            ClauseKind::Set => match a.value {
                Some(v) => Write::Set(v),
                None => continue,
            },
            ClauseKind::Remove => Write::Remove,
            ClauseKind::Add | ClauseKind::Delete => {
                let Some(Operand::Value(v)) = &a.action.value else {
                    continue;
                };
                let Some(v) = values.get(v) else { continue };
                let cur = lookup(item, &a.key);
                match (a.kind, cur) {
                    (ClauseKind::Add, None) => Write::Set(v.clone()),
                    (ClauseKind::Add, Some(AttributeValue::N(c))) => match v {
                        AttributeValue::N(n) => Write::Set(AttributeValue::N(c.add(n).map_err(|e| bare(e.message()))?)),
                        _ => return Err(bare(TYPE_ERROR)),
                    },
                    (ClauseKind::Add, Some(c)) => Write::Set(set_union(c, v).ok_or_else(|| bare(TYPE_ERROR))?),
                    (_, None) => continue,
                    (_, Some(c)) => match set_minus(c, v) {
                        Some(rest) => Write::Set(rest),
                        None => Write::Remove,
                    },
                }
            }
        };
        writes.push((a.key, write));
    }
    let mut out = item.clone();
    // Writes into maps and top-level attributes first; list changes after,
    // per list, deepest lists first so no position shifts under another.
    let mut list_ops: BTreeMap<Path, Vec<(usize, Write)>> = BTreeMap::new();
    for (key, write) in writes {
        let Some((last, parent)) = key.split_last() else {
            continue;
        };
        match last {
            PathElem::Index(i) => list_ops.entry(parent.to_vec()).or_default().push((*i, write)),
            PathElem::Attr(name) if parent.is_empty() => match write {
                Write::Set(v) => {
                    out.insert(name.clone(), v);
                }
                Write::Remove => {
                    out.remove(name);
                }
            },
            PathElem::Attr(name) => {
                let Some(AttributeValue::M(m)) = lookup_mut(&mut out, parent) else {
                    return Err(bare(PATH_ERROR));
                };
                match write {
                    Write::Set(v) => {
                        m.insert(name.clone(), v);
                    }
                    Write::Remove => {
                        m.remove(name);
                    }
                }
            }
        }
    }
    let mut groups: Vec<(Path, Vec<(usize, Write)>)> = list_ops.into_iter().collect();
    groups.sort_by_key(|(parent, _)| std::cmp::Reverse(parent.len()));
    for (parent, ops) in groups {
        let Some(AttributeValue::L(list)) = lookup_mut(&mut out, &parent) else {
            return Err(bare(PATH_ERROR));
        };
        let old_len = list.len();
        let mut removed = vec![false; old_len];
        let mut appended: Vec<(usize, AttributeValue)> = Vec::new();
        for (i, write) in ops {
            match write {
                Write::Remove if i < old_len => removed[i] = true,
                Write::Remove => {}
                Write::Set(v) if i < old_len => list[i] = v,
                Write::Set(v) => appended.push((i, v)),
            }
        }
        appended.sort_by_key(|(i, _)| *i);
        let mut kept: Vec<AttributeValue> = std::mem::take(list)
            .into_iter()
            .zip(removed)
            .filter(|(_, gone)| !gone)
            .map(|(v, _)| v)
            .collect();
        kept.extend(appended.into_iter().map(|(_, v)| v));
        *list = kept;
    }
    for name in update
        .actions()
        .filter_map(|(_, a)| resolve_path(ExpressionKind::Update, &a.path, names).ok())
    {
        if let Some(PathElem::Attr(top)) = name.first()
            && out.get(top).is_some_and(|v| v.depth() > MAX_NESTING_DEPTH)
        {
            return Err(bare(NESTING_ERROR));
        }
    }
    Ok(out)
}
