//! PutItem, GetItem, UpdateItem, DeleteItem.

use serde_json::{Value, json};

use super::exprs::{Condition, Params, Update};
use super::input::{self, Obj, Violations};
use super::{
    Capacity, CapacityMode, Cx, attributes_to_get, capacity_mode, check_item, check_key, check_legacy, item_json,
    pick_attributes, read_item, read_units, return_values, table_name,
};
use crate::dynamodb::service::DdbError;
use crate::dynamodb::store::Change;
use crate::dynamodb::table::TableDef;
use crate::dynamodb::value::Item;

const RETURN_VALUES: &[&str] = &["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];

/// The write parameters every single-item write shares.
#[derive(Debug)]
pub struct WriteOpts<'a> {
    pub return_values: &'a str,
    pub on_failure_all_old: bool,
    pub capacity: CapacityMode,
    pub metrics: bool,
}

pub fn write_opts<'a>(o: &'a Obj, v: &mut Violations) -> Result<WriteOpts<'a>, DdbError> {
    let rv = input::opt_str(o, "ReturnValues")?;
    v.one_of(rv, "returnValues", RETURN_VALUES);
    let capacity = capacity_mode(o, v)?;
    let metrics = input::opt_str(o, "ReturnItemCollectionMetrics")?;
    v.one_of(metrics, "returnItemCollectionMetrics", &["SIZE", "NONE"]);
    let failure = input::opt_str(o, "ReturnValuesOnConditionCheckFailure")?;
    v.one_of(failure, "returnValuesOnConditionCheckFailure", &["ALL_OLD", "NONE"]);
    Ok(WriteOpts {
        return_values: rv.unwrap_or("NONE"),
        on_failure_all_old: failure == Some("ALL_OLD"),
        capacity,
        metrics: metrics == Some("SIZE"),
    })
}

/// `ConditionalCheckFailedException`, with the item as it is when asked
/// (ReturnValuesOnConditionCheckFailure = ALL_OLD).
pub fn condition_failed(all_old: bool, old: Option<&Item>) -> DdbError {
    let e = DdbError::new("ConditionalCheckFailedException", "The conditional request failed");
    match old {
        Some(item) if all_old => e.with_extra(json!({ "Item": item_json(item) })),
        _ => e,
    }
}

pub fn check_condition(cond: Option<&Condition>, old: Option<&Item>, all_old: bool) -> Result<(), DdbError> {
    if let Some(c) = cond
        && !c.eval(old)?
    {
        return Err(condition_failed(all_old, old));
    }
    Ok(())
}

/// `ItemCollectionMetrics` for tables with local indexes (the only ones
/// DynamoDB reports it for). The estimate is DynamoDB's coarse range.
pub fn collection_metrics(def: &TableDef, item: &Item, asked: bool) -> Option<Value> {
    if !asked || !def.indexes.iter().any(|i| !i.global) {
        return None;
    }
    let key = item.get(&def.keys.hash.name)?;
    Some(json!({
        "ItemCollectionKey": { def.keys.hash.name.clone(): key.to_json() },
        "SizeEstimateRangeGB": [0.0, 1.0],
    }))
}

fn finish(mut out: Value, cap: Option<Value>, metrics: Option<Value>) -> Value {
    if let Some(c) = cap {
        out["ConsumedCapacity"] = c;
    }
    if let Some(m) = metrics {
        out["ItemCollectionMetrics"] = m;
    }
    out
}

pub fn put_item(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    let mut v = Violations::new();
    let item = read_item(o, "Item")?;
    v.not_null(item.as_ref(), "item");
    let opts = write_opts(o, &mut v)?;
    v.into_result()?;
    check_legacy(o, &["ConditionExpression"], &["Expected", "ConditionalOperator"])?;
    if !matches!(opts.return_values, "NONE" | "ALL_OLD") {
        return Err(DdbError::validation("ReturnValues can only be ALL_OLD or NONE"));
    }
    let item = item.unwrap_or_default();
    let params = Params::new(o, &["ConditionExpression"])?;
    let cond = input::opt_str(o, "ConditionExpression")?
        .map(|c| params.condition(c))
        .transpose()?;
    params.finish(&[cond.as_ref()], None, None, None)?;
    cx.store.write(&[cx.key(name)], |t| {
        let t = t[0].ok_or_else(DdbError::not_found)?;
        let sk = check_item(&t.def, &item, "Item size has exceeded the maximum allowed size")?;
        let old = t.get(&sk);
        check_condition(cond.as_ref(), old, opts.on_failure_all_old)?;
        let mut out = json!({});
        if let Some(old) = return_values(opts.return_values, old, None, None) {
            out["Attributes"] = item_json(&old);
        }
        let cap = Capacity::write(&t.def, old, Some(&item)).render(opts.capacity, name);
        let out = finish(out, cap, collection_metrics(&t.def, &item, opts.metrics));
        Ok((out, vec![Change::Put { table: t.key(), item }]))
    })
}

pub fn get_item(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    let mut v = Violations::new();
    let key = read_item(o, "Key")?;
    v.not_null(key.as_ref(), "key");
    let capacity = capacity_mode(o, &mut v)?;
    let consistent = input::opt_bool(o, "ConsistentRead")?.unwrap_or(false);
    v.into_result()?;
    check_legacy(o, &["ProjectionExpression"], &["AttributesToGet"])?;
    let to_get = attributes_to_get(o)?;
    let params = Params::new(o, &["ProjectionExpression"])?;
    let projection = input::opt_str(o, "ProjectionExpression")?
        .map(|p| params.projection(p))
        .transpose()?;
    params.finish(&[], projection.as_ref(), None, None)?;
    let key = key.unwrap_or_default();
    cx.store.read(&[cx.key(name)], |t| {
        let t = t[0].ok_or_else(DdbError::not_found)?;
        let sk = check_key(&t.def, &key)?;
        let found = t.get(&sk);
        let mut out = json!({});
        if let Some(item) = found {
            let shown = match (&projection, &to_get) {
                (Some(p), _) => p.apply(item),
                (None, Some(names)) => pick_attributes(item, names),
                (None, None) => item.clone(),
            };
            out["Item"] = item_json(&shown);
        }
        let size = found.map_or(0, crate::dynamodb::value::item_size);
        Ok(finish(
            out,
            Capacity::read(read_units(size, consistent)).render(capacity, name),
            None,
        ))
    })
}

pub fn delete_item(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    let mut v = Violations::new();
    let key = read_item(o, "Key")?;
    v.not_null(key.as_ref(), "key");
    let opts = write_opts(o, &mut v)?;
    v.into_result()?;
    check_legacy(o, &["ConditionExpression"], &["Expected", "ConditionalOperator"])?;
    if !matches!(opts.return_values, "NONE" | "ALL_OLD") {
        return Err(DdbError::validation("ReturnValues can only be ALL_OLD or NONE"));
    }
    let params = Params::new(o, &["ConditionExpression"])?;
    let cond = input::opt_str(o, "ConditionExpression")?
        .map(|c| params.condition(c))
        .transpose()?;
    params.finish(&[cond.as_ref()], None, None, None)?;
    let key = key.unwrap_or_default();
    cx.store.write(&[cx.key(name)], |t| {
        let t = t[0].ok_or_else(DdbError::not_found)?;
        let sk = check_key(&t.def, &key)?;
        let old = t.get(&sk);
        check_condition(cond.as_ref(), old, opts.on_failure_all_old)?;
        let mut out = json!({});
        if let Some(old) = return_values(opts.return_values, old, None, None) {
            out["Attributes"] = item_json(&old);
        }
        let cap = Capacity::write(&t.def, old, None).render(opts.capacity, name);
        let out = finish(out, cap, collection_metrics(&t.def, &key, opts.metrics));
        let changes = if old.is_some() {
            vec![Change::Delete { table: t.key(), key }]
        } else {
            vec![]
        };
        Ok((out, changes))
    })
}

/// The item an update produces from `old` (or, for a new item, from its
/// key, as DynamoDB starts from it), checked as a stored item.
pub fn updated_item(def: &TableDef, key: &Item, old: Option<&Item>, update: Option<&Update>) -> Result<Item, DdbError> {
    let base = old.cloned().unwrap_or_else(|| key.clone());
    let Some(update) = update else { return Ok(base) };
    update.check_key_attributes(&def.key_names())?;
    let new = update.apply(&base)?;
    check_item(def, &new, "Item size to update has exceeded the maximum allowed size")?;
    Ok(new)
}

pub fn update_item(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    let mut v = Violations::new();
    let key = read_item(o, "Key")?;
    v.not_null(key.as_ref(), "key");
    let opts = write_opts(o, &mut v)?;
    v.into_result()?;
    check_legacy(
        o,
        &["UpdateExpression", "ConditionExpression"],
        &["AttributeUpdates", "Expected", "ConditionalOperator"],
    )?;
    let params = Params::new(o, &["UpdateExpression", "ConditionExpression"])?;
    let update = input::opt_str(o, "UpdateExpression")?
        .map(|u| params.update(u))
        .transpose()?;
    let cond = input::opt_str(o, "ConditionExpression")?
        .map(|c| params.condition(c))
        .transpose()?;
    params.finish(&[cond.as_ref()], None, update.as_ref(), None)?;
    let key = key.unwrap_or_default();
    cx.store.write(&[cx.key(name)], |t| {
        let t = t[0].ok_or_else(DdbError::not_found)?;
        let sk = check_key(&t.def, &key)?;
        let old = t.get(&sk);
        check_condition(cond.as_ref(), old, opts.on_failure_all_old)?;
        let new = updated_item(&t.def, &key, old, update.as_ref())?;
        let mut out = json!({});
        if let Some(a) = return_values(opts.return_values, old, Some(&new), update.as_ref()) {
            out["Attributes"] = item_json(&a);
        }
        let cap = Capacity::write(&t.def, old, Some(&new)).render(opts.capacity, name);
        let out = finish(out, cap, collection_metrics(&t.def, &new, opts.metrics));
        Ok((
            out,
            vec![Change::Put {
                table: t.key(),
                item: new,
            }],
        ))
    })
}
