//! The operations' view of the expression language (`crate::dynamodb::expr`):
//! one request's ExpressionAttributeNames/Values, the expressions it
//! carries, parsed and validated in DynamoDB's order, and what the
//! operations need of them. Everything the operations ask of expressions
//! goes through here.

use std::sync::Arc;

use super::input::{self, Obj};
use super::value_error;
use crate::dynamodb::expr::{self, AttributeNames, AttributeValues, ExprError, Expression, Path};
use crate::dynamodb::service::DdbError;
use crate::dynamodb::value::{AttributeValue, Item};

fn expr_error(e: ExprError) -> DdbError {
    DdbError::validation(e.message)
}

#[derive(Debug, Default)]
struct Maps {
    names: AttributeNames,
    values: AttributeValues,
    has_names: bool,
    has_values: bool,
}

/// A request's expression context: its names and values, shared by the
/// expressions parsed with it.
#[derive(Debug)]
pub struct Params {
    maps: Arc<Maps>,
}

/// A parsed and validated ConditionExpression or FilterExpression.
#[derive(Debug)]
pub struct Condition {
    inner: expr::Condition,
    maps: Arc<Maps>,
}

/// A parsed and validated ProjectionExpression.
#[derive(Debug)]
pub struct Projection {
    inner: expr::Projection,
    paths: Vec<Path>,
}

/// A parsed and validated UpdateExpression.
#[derive(Debug)]
pub struct Update {
    inner: expr::Update,
    paths: Vec<Path>,
    maps: Arc<Maps>,
}

/// A parsed KeyConditionExpression, resolved once the key schema queried is known.
#[derive(Debug)]
pub struct KeyExpression {
    inner: expr::Condition,
    maps: Arc<Maps>,
}

/// A KeyConditionExpression: the partition key's equality and an optional
/// sort-key condition.
#[derive(Debug, Clone)]
pub struct KeyCondition {
    pub hash: (String, AttributeValue),
    pub range: Option<(String, SortCondition)>,
}

#[derive(Debug, Clone)]
pub enum SortCondition {
    Eq(AttributeValue),
    Lt(AttributeValue),
    Le(AttributeValue),
    Gt(AttributeValue),
    Ge(AttributeValue),
    Between(AttributeValue, AttributeValue),
    BeginsWith(AttributeValue),
}

impl SortCondition {
    /// The values the condition compares with.
    pub fn values(&self) -> Vec<&AttributeValue> {
        match self {
            SortCondition::Eq(v)
            | SortCondition::Lt(v)
            | SortCondition::Le(v)
            | SortCondition::Gt(v)
            | SortCondition::Ge(v)
            | SortCondition::BeginsWith(v) => vec![v],
            SortCondition::Between(a, b) => vec![a, b],
        }
    }

    /// Whether `v` (the item's sort key) satisfies the condition.
    pub fn matches(&self, v: &AttributeValue) -> bool {
        use std::cmp::Ordering::*;
        let cmp = |o: &AttributeValue| v.compare(o);
        match self {
            SortCondition::Eq(o) => cmp(o) == Some(Equal),
            SortCondition::Lt(o) => cmp(o) == Some(Less),
            SortCondition::Le(o) => matches!(cmp(o), Some(Less | Equal)),
            SortCondition::Gt(o) => cmp(o) == Some(Greater),
            SortCondition::Ge(o) => matches!(cmp(o), Some(Greater | Equal)),
            SortCondition::Between(a, b) => {
                matches!(cmp(a), Some(Greater | Equal)) && matches!(cmp(b), Some(Less | Equal))
            }
            SortCondition::BeginsWith(p) => match (v, p) {
                (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                (AttributeValue::B(s), AttributeValue::B(p)) => s.starts_with(p),
                _ => false,
            },
        }
    }
}

impl Params {
    /// Reads ExpressionAttributeNames/Values and checks them against the
    /// expression members present (`expressions`: those this operation takes).
    pub fn new(o: &Obj, expressions: &[&str]) -> Result<Params, DdbError> {
        let mut maps = Maps::default();
        if let Some(m) = input::opt_map(o, "ExpressionAttributeNames")? {
            maps.has_names = true;
            for (k, v) in m {
                match v {
                    serde_json::Value::String(s) => {
                        maps.names.insert(k.clone(), s.clone());
                    }
                    serde_json::Value::Null => {}
                    _ => return Err(DdbError::new("SerializationException", "Unexpected field type")),
                }
            }
        }
        if let Some(m) = input::opt_map(o, "ExpressionAttributeValues")? {
            maps.has_values = true;
            for (k, v) in m {
                let value = AttributeValue::from_json(v).map_err(|e| {
                    let e = value_error(e);
                    if e.code == "ValidationException" {
                        DdbError::validation(format!(
                            "ExpressionAttributeValues contains invalid value: {} for key {k}",
                            e.message
                        ))
                    } else {
                        e
                    }
                })?;
                maps.values.insert(k.clone(), value);
            }
        }
        let present: Vec<&str> = expressions
            .iter()
            .copied()
            .filter(|e| o.get(*e).is_some_and(|v| !v.is_null()))
            .collect();
        if maps.has_names && present.is_empty() {
            return Err(DdbError::validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        let value_exprs: Vec<&str> = expressions
            .iter()
            .copied()
            .filter(|e| *e != "ProjectionExpression")
            .collect();
        if maps.has_values && !value_exprs.is_empty() && !present.iter().any(|p| value_exprs.contains(p)) {
            let verb = if value_exprs.len() > 1 { "are" } else { "is" };
            return Err(DdbError::validation(format!(
                "ExpressionAttributeValues can only be specified when using expressions: {} {verb} null",
                value_exprs.join(" and ")
            )));
        }
        expr::check_attribute_maps(
            maps.has_names.then_some(&maps.names),
            maps.has_values.then_some(&maps.values),
        )
        .map_err(expr_error)?;
        Ok(Params { maps: Arc::new(maps) })
    }

    pub fn condition(&self, text: &str) -> Result<Condition, DdbError> {
        let inner = expr::parse_condition(text).map_err(expr_error)?;
        inner
            .validate(&self.maps.names, &self.maps.values)
            .map_err(expr_error)?;
        Ok(Condition {
            inner,
            maps: self.maps.clone(),
        })
    }

    pub fn filter(&self, text: &str) -> Result<Condition, DdbError> {
        let inner = expr::parse_filter(text).map_err(expr_error)?;
        inner
            .validate(&self.maps.names, &self.maps.values)
            .map_err(expr_error)?;
        Ok(Condition {
            inner,
            maps: self.maps.clone(),
        })
    }

    pub fn projection(&self, text: &str) -> Result<Projection, DdbError> {
        let inner = expr::parse_projection(text).map_err(expr_error)?;
        let paths = inner.validate(&self.maps.names).map_err(expr_error)?;
        Ok(Projection { inner, paths })
    }

    pub fn update(&self, text: &str) -> Result<Update, DdbError> {
        let inner = expr::parse_update(text).map_err(expr_error)?;
        inner
            .validate(&self.maps.names, &self.maps.values)
            .map_err(expr_error)?;
        let paths = inner.updated_paths(&self.maps.names).map_err(expr_error)?;
        Ok(Update {
            inner,
            paths,
            maps: self.maps.clone(),
        })
    }

    pub fn key_condition(&self, text: &str) -> Result<KeyExpression, DdbError> {
        let inner = expr::parse_key_condition(text).map_err(expr_error)?;
        inner
            .validate(&self.maps.names, &self.maps.values)
            .map_err(expr_error)?;
        Ok(KeyExpression {
            inner,
            maps: self.maps.clone(),
        })
    }

    /// Refuses names or values that no expression of the request used.
    pub fn finish(
        &self,
        conditions: &[Option<&Condition>],
        projection: Option<&Projection>,
        update: Option<&Update>,
        key: Option<&KeyExpression>,
    ) -> Result<(), DdbError> {
        let mut all: Vec<&dyn Expression> = Vec::new();
        for c in conditions.iter().flatten() {
            all.push(&c.inner);
        }
        if let Some(p) = projection {
            all.push(&p.inner);
        }
        if let Some(u) = update {
            all.push(&u.inner);
        }
        if let Some(k) = key {
            all.push(&k.inner);
        }
        expr::check_unused(
            &all,
            self.maps.has_names.then_some(&self.maps.names),
            self.maps.has_values.then_some(&self.maps.values),
        )
        .map_err(expr_error)
    }
}

impl Condition {
    /// Evaluates on an item (None: no item; its attributes are absent).
    pub fn eval(&self, item: Option<&Item>) -> Result<bool, DdbError> {
        let empty = Item::new();
        self.inner
            .evaluate(item.unwrap_or(&empty), &self.maps.names, &self.maps.values)
            .map_err(expr_error)
    }

    /// A Query filter may not name the key attributes queried.
    pub fn check_no_key_attributes(&self, keys: &[&str]) -> Result<(), DdbError> {
        self.inner
            .check_no_key_attributes(&self.maps.names, keys)
            .map_err(expr_error)
    }

    /// Key attributes are scalars: no path may look inside one.
    pub fn check_key_paths(&self, keys: &[&str]) -> Result<(), DdbError> {
        self.inner.check_key_paths(&self.maps.names, keys).map_err(expr_error)
    }
}

impl Projection {
    pub fn apply(&self, item: &Item) -> Item {
        expr::project(item, &self.paths)
    }
}

impl Update {
    /// The item after the update (`item` holds at least the key).
    pub fn apply(&self, item: &Item) -> Result<Item, DdbError> {
        expr::apply_update(item, &self.inner, &self.maps.names, &self.maps.values).map_err(expr_error)
    }

    /// An update may not write a key attribute.
    pub fn check_key_attributes(&self, keys: &[&str]) -> Result<(), DdbError> {
        self.inner
            .check_key_attributes(&self.maps.names, keys)
            .map_err(expr_error)
    }

    /// The parts of `item` the update writes (ReturnValues UPDATED_OLD/NEW).
    pub fn updated_parts(&self, item: &Item) -> Item {
        expr::project(item, &self.paths)
    }
}

impl KeyExpression {
    /// Resolves against the keys queried.
    pub fn resolve(&self, partition_key: &str, sort_key: Option<&str>) -> Result<KeyCondition, DdbError> {
        let k = self
            .inner
            .key_condition(&self.maps.names, &self.maps.values, partition_key, sort_key)
            .map_err(expr_error)?;
        let range = k.sort.map(|s| {
            let c = match s.op {
                expr::SortOp::Eq(v) => SortCondition::Eq(v),
                expr::SortOp::Lt(v) => SortCondition::Lt(v),
                expr::SortOp::Le(v) => SortCondition::Le(v),
                expr::SortOp::Gt(v) => SortCondition::Gt(v),
                expr::SortOp::Ge(v) => SortCondition::Ge(v),
                expr::SortOp::Between(a, b) => SortCondition::Between(a, b),
                expr::SortOp::BeginsWith(v) => SortCondition::BeginsWith(v),
            };
            (s.name, c)
        });
        Ok(KeyCondition {
            hash: k.partition,
            range,
        })
    }
}
