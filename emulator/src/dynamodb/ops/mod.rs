//! The DynamoDB operations, one function each, on typed values, with
//! DynamoDB's validation and messages. Shared here: the request context,
//! dispatch, key and item checks, ReturnValues and consumed capacity.

use serde_json::{Map, Value, json};

use super::service::DdbError;
use super::store::{Store, TableKey, key_of};
use super::table::{ScalarType, TableDef};
use super::value::{AttributeValue, Item, ValueError, item_from_json, item_size};

pub mod batch;
pub mod exprs;
pub mod input;
pub mod items;
pub mod query;
pub mod tables;
pub mod transact;

#[cfg(test)]
mod tests;

use input::{Obj, Violations};

/// "Item size: 400 KB" (developer guide, "Service, account, and table quotas").
pub const MAX_ITEM_SIZE: usize = 400 * 1024;
/// Partition key value: 2048 bytes; sort key value: 1024 bytes (same page).
pub const MAX_HASH_KEY: usize = 2048;
pub const MAX_RANGE_KEY: usize = 1024;

/// One operation's context.
#[derive(Debug)]
pub struct Cx<'a> {
    pub store: &'a Store,
    pub account: &'a str,
    pub region: &'a str,
    pub now: i64,
}

impl Cx<'_> {
    pub fn key(&self, table: &str) -> TableKey {
        (self.account.to_string(), self.region.to_string(), table.to_string())
    }
}

pub fn dispatch(cx: &Cx, operation: &str, body: &Value) -> Result<Value, DdbError> {
    let known: fn(&Cx, &Obj) -> Result<Value, DdbError> = match operation {
        "CreateTable" => tables::create_table,
        "DescribeTable" => tables::describe_table,
        "ListTables" => tables::list_tables,
        "UpdateTable" => tables::update_table,
        "DeleteTable" => tables::delete_table,
        "TagResource" => tables::tag_resource,
        "UntagResource" => tables::untag_resource,
        "ListTagsOfResource" => tables::list_tags,
        "PutResourcePolicy" => tables::put_resource_policy,
        "GetResourcePolicy" => tables::get_resource_policy,
        "DeleteResourcePolicy" => tables::delete_resource_policy,
        "DescribeTimeToLive" => tables::describe_ttl,
        "PutItem" => items::put_item,
        "GetItem" => items::get_item,
        "UpdateItem" => items::update_item,
        "DeleteItem" => items::delete_item,
        "Query" => query::query,
        "Scan" => query::scan,
        "BatchGetItem" => batch::batch_get,
        "BatchWriteItem" => batch::batch_write,
        "TransactGetItems" => transact::transact_get,
        "TransactWriteItems" => transact::transact_write,
        // What DynamoDB answers for an X-Amz-Target it does not know. The
        // operations of DynamoDB that rolechain does not emulate (backups,
        // streams, PartiQL, global tables, …) get the same answer.
        _ => {
            return Err(DdbError::new(
                "UnknownOperationException",
                "Unknown operation exception",
            ));
        }
    };
    known(cx, input::body(body)?)
}

/// `TableName`, checked as Coral checks it.
pub fn table_name(o: &Obj) -> Result<&str, DdbError> {
    let name = input::opt_str(o, "TableName")?;
    let mut v = Violations::new();
    v.not_null(name, "tableName");
    v.table_name(name, "tableName");
    v.into_result()?;
    Ok(name.unwrap_or_default())
}

pub fn value_error(e: ValueError) -> DdbError {
    if e.is_serialization() {
        DdbError::new("SerializationException", e.message)
    } else {
        DdbError::validation(e.message)
    }
}

/// A map of attribute values (`Item`, `Key`, `ExclusiveStartKey`).
pub fn read_item(o: &Obj, member: &str) -> Result<Option<Item>, DdbError> {
    match input::opt_map(o, member)? {
        None => Ok(None),
        Some(m) => {
            let mut item = Item::new();
            for (k, v) in m {
                item.insert(k.clone(), AttributeValue::from_json(v).map_err(value_error)?);
            }
            Ok(Some(item))
        }
    }
}

pub fn item_json(item: &Item) -> Value {
    super::value::item_to_json(item)
}

pub fn parse_item_value(v: &Value) -> Result<Item, DdbError> {
    item_from_json(v).map_err(value_error)
}

fn empty_key_message(name: &str, v: &AttributeValue) -> Option<String> {
    let what = match v {
        AttributeValue::S(s) if s.is_empty() => "string",
        AttributeValue::B(b) if b.is_empty() => "binary",
        _ => return None,
    };
    Some(format!(
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {what} value. Key: {name}"
    ))
}

fn key_size_check(v: &AttributeValue, hash: bool) -> Result<(), DdbError> {
    let n = match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        _ => return Ok(()),
    };
    if hash && n > MAX_HASH_KEY {
        return Err(DdbError::validation(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ));
    }
    if !hash && n > MAX_RANGE_KEY {
        return Err(DdbError::validation(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}

fn is_type(v: &AttributeValue, t: ScalarType) -> bool {
    matches!(
        (v, t),
        (AttributeValue::S(_), ScalarType::S)
            | (AttributeValue::N(_), ScalarType::N)
            | (AttributeValue::B(_), ScalarType::B)
    )
}

/// A `Key` parameter: exactly the table's key attributes, of the right
/// types (API reference GetItem/DeleteItem/UpdateItem: "you must provide all
/// of the attributes for the primary key"). Returns the storage key.
pub fn check_key(def: &TableDef, key: &Item) -> Result<Vec<u8>, DdbError> {
    let schema_error = || DdbError::validation("The provided key element does not match the schema");
    if key.len() != def.keys.attrs().count() {
        return Err(schema_error());
    }
    for (i, k) in def.keys.attrs().enumerate() {
        let v = key.get(&k.name).ok_or_else(schema_error)?;
        if !is_type(v, k.ty) {
            return Err(schema_error());
        }
        if let Some(m) = empty_key_message(&k.name, v) {
            return Err(DdbError::validation(m));
        }
        key_size_check(v, i == 0)?;
    }
    key_of(&def.keys, key).ok_or_else(schema_error)
}

/// An item to be stored (PutItem's `Item`, UpdateItem's result): its keys
/// (table and index) and its size. Returns the storage key.
pub fn check_item(def: &TableDef, item: &Item, size_message: &str) -> Result<Vec<u8>, DdbError> {
    for (i, k) in def.keys.attrs().enumerate() {
        let Some(v) = item.get(&k.name) else {
            return Err(DdbError::validation(format!(
                "One or more parameter values were invalid: Missing the key {} in the item",
                k.name
            )));
        };
        if !is_type(v, k.ty) {
            return Err(DdbError::validation(format!(
                "One or more parameter values were invalid: Type mismatch for key {} expected: {} actual: {}",
                k.name,
                k.ty.as_str(),
                v.type_name()
            )));
        }
        if let Some(m) = empty_key_message(&k.name, v) {
            return Err(DdbError::validation(m));
        }
        key_size_check(v, i == 0)?;
    }
    for ix in &def.indexes {
        for (i, k) in ix.keys.attrs().enumerate() {
            let Some(v) = item.get(&k.name) else { continue };
            if !is_type(v, k.ty) {
                return Err(DdbError::validation(format!(
                    "One or more parameter values were invalid: Type mismatch for Index Key {} Expected: {} Actual: {} IndexName: {}",
                    k.name,
                    k.ty.as_str(),
                    v.type_name(),
                    ix.name
                )));
            }
            if empty_key_message(&k.name, v).is_some() {
                return Err(DdbError::validation(format!(
                    "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {}, IndexKey: {}",
                    ix.name, k.name
                )));
            }
            let n = match v {
                AttributeValue::S(s) => s.len(),
                AttributeValue::B(b) => b.len(),
                _ => 0,
            };
            let max = if i == 0 { MAX_HASH_KEY } else { MAX_RANGE_KEY };
            if n > max {
                return Err(DdbError::validation(format!(
                    "One or more parameter values were invalid: Size limit exceeded for Index Key {} Actual Size: {n} bytes Max Size: {max} bytes IndexName: {}",
                    k.name, ix.name
                )));
            }
        }
    }
    if item_size(item) > MAX_ITEM_SIZE {
        return Err(DdbError::validation(size_message));
    }
    key_of(&def.keys, item).ok_or_else(|| DdbError::validation("The provided key element does not match the schema"))
}

/// The primary-key attributes of an item.
pub fn key_part(def: &TableDef, item: &Item) -> Item {
    def.keys
        .attrs()
        .filter_map(|k| item.get(&k.name).map(|v| (k.name.clone(), v.clone())))
        .collect()
}

// ---- ReturnConsumedCapacity -------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapacityMode {
    None,
    Total,
    Indexes,
}

pub fn capacity_mode(o: &Obj, v: &mut Violations) -> Result<CapacityMode, DdbError> {
    let m = input::opt_str(o, "ReturnConsumedCapacity")?;
    v.one_of(m, "returnConsumedCapacity", &["INDEXES", "TOTAL", "NONE"]);
    Ok(match m {
        Some("TOTAL") => CapacityMode::Total,
        Some("INDEXES") => CapacityMode::Indexes,
        _ => CapacityMode::None,
    })
}

/// Capacity units consumed on one table (developer guide "Read/write
/// capacity mode": a read unit per 4 KB, halved when eventually consistent;
/// a write unit per 1 KB; transactions cost double).
#[derive(Debug, Clone, Default)]
pub struct Capacity {
    pub table: f64,
    /// (index name, global, units)
    pub indexes: Vec<(String, bool, f64)>,
    pub read: bool,
}

pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent { units } else { units / 2.0 }
}

pub fn write_units(bytes: usize) -> f64 {
    bytes.div_ceil(1024).max(1) as f64
}

impl Capacity {
    pub fn read(units: f64) -> Capacity {
        Capacity {
            table: units,
            indexes: vec![],
            read: true,
        }
    }

    /// A write of `old` → `new` (either may be absent) on a table: the table
    /// pays for the larger of the two; each index the item is in (before or
    /// after) pays for its projection.
    pub fn write(def: &TableDef, old: Option<&Item>, new: Option<&Item>) -> Capacity {
        let size = old.map_or(0, item_size).max(new.map_or(0, item_size));
        let mut c = Capacity {
            table: write_units(size),
            indexes: vec![],
            read: false,
        };
        for ix in &def.indexes {
            let in_old = old.and_then(|i| key_of(&ix.keys, i));
            let in_new = new.and_then(|i| key_of(&ix.keys, i));
            if in_old.is_none() && in_new.is_none() {
                continue;
            }
            let p = |i: Option<&Item>| i.map_or(0, |i| item_size(&super::store::project_for_index(def, ix, i)));
            // An index key that changes is a delete plus a put in the index.
            let writes = if in_old.is_some() && in_new.is_some() && in_old != in_new {
                2.0
            } else {
                1.0
            };
            c.indexes
                .push((ix.name.clone(), ix.global, writes * write_units(p(old).max(p(new)))));
        }
        c
    }

    pub fn scale(mut self, f: f64) -> Capacity {
        self.table *= f;
        for i in &mut self.indexes {
            i.2 *= f;
        }
        self
    }

    pub fn add(&mut self, other: &Capacity) {
        self.table += other.table;
        for (n, g, u) in &other.indexes {
            match self.indexes.iter_mut().find(|i| &i.0 == n) {
                Some(e) => e.2 += u,
                None => self.indexes.push((n.clone(), *g, *u)),
            }
        }
    }

    pub fn total(&self) -> f64 {
        self.table + self.indexes.iter().map(|i| i.2).sum::<f64>()
    }

    /// The `ConsumedCapacity` object (None when not asked for).
    pub fn render(&self, mode: CapacityMode, table: &str) -> Option<Value> {
        match mode {
            CapacityMode::None => None,
            CapacityMode::Total => Some(json!({"TableName": table, "CapacityUnits": self.total()})),
            CapacityMode::Indexes => {
                let mut v = json!({
                    "TableName": table,
                    "CapacityUnits": self.total(),
                    "Table": {"CapacityUnits": self.table},
                });
                for (global, member) in [(true, "GlobalSecondaryIndexes"), (false, "LocalSecondaryIndexes")] {
                    let m: Map<String, Value> = self
                        .indexes
                        .iter()
                        .filter(|i| i.1 == global)
                        .map(|(n, _, u)| (n.clone(), json!({"CapacityUnits": u})))
                        .collect();
                    if !m.is_empty() {
                        v[member] = Value::Object(m);
                    }
                }
                Some(v)
            }
        }
    }
}

// ---- ReturnValues ---------------------------------------------------------------

/// The attributes ReturnValues asks for. `UPDATED_*` returns only the
/// paths the update wrote, as they were or are (API reference UpdateItem).
pub fn return_values(
    mode: &str,
    old: Option<&Item>,
    new: Option<&Item>,
    update: Option<&exprs::Update>,
) -> Option<Item> {
    let pick = |i: Option<&Item>| -> Option<Item> { Some(update?.updated_parts(i?)) };
    let out = match mode {
        "ALL_OLD" => old.cloned(),
        "ALL_NEW" => new.cloned(),
        "UPDATED_OLD" => pick(old),
        "UPDATED_NEW" => pick(new),
        _ => None,
    }?;
    if out.is_empty() { None } else { Some(out) }
}

/// Refuses a request that mixes expression and legacy parameters, with
/// DynamoDB's message; refuses legacy parameters alone (not emulated).
pub fn check_legacy(o: &Obj, expressions: &[&str], legacy: &[&str]) -> Result<(), DdbError> {
    let present = |m: &&str| o.get(*m).is_some_and(|v| !v.is_null());
    let exprs: Vec<&str> = expressions.iter().copied().filter(present).collect();
    let old: Vec<&str> = legacy.iter().copied().filter(present).collect();
    if !exprs.is_empty() && !old.is_empty() {
        return Err(DdbError::validation(format!(
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
            old.join(", "),
            exprs.join(", ")
        )));
    }
    if let Some(first) = old.iter().find(|m| **m != "AttributesToGet") {
        return Err(DdbError::validation(format!(
            "The legacy parameter {first} is not supported by rolechain; use the expression parameters instead"
        )));
    }
    Ok(())
}

/// `AttributesToGet` (legacy but common): a projection on top-level names.
pub fn attributes_to_get(o: &Obj) -> Result<Option<Vec<String>>, DdbError> {
    let Some(list) = input::opt_str_list(o, "AttributesToGet")? else {
        return Ok(None);
    };
    let mut v = Violations::new();
    v.count(
        Some(list.len()),
        &format!("[{}]", list.join(", ")),
        "attributesToGet",
        1,
        usize::MAX,
    );
    v.into_result()?;
    let mut seen: Vec<&String> = Vec::new();
    for a in &list {
        if seen.contains(&a) {
            return Err(DdbError::validation(format!(
                "One or more parameter values were invalid: Duplicate value in attribute name: {a}"
            )));
        }
        seen.push(a);
    }
    Ok(Some(list))
}

pub fn pick_attributes(item: &Item, names: &[String]) -> Item {
    item.iter()
        .filter(|(k, _)| names.contains(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}
