//! BatchGetItem and BatchWriteItem (API reference pages of those names).
//!
//! Nothing is ever throttled here, so `UnprocessedKeys` holds only what
//! the 16 MB response limit left out, and `UnprocessedItems` is always empty
//! (both always present, as DynamoDB sends them).

use serde_json::{Map, Value, json};

use super::exprs::Params;
use super::input::{self, Obj, Violations};
use super::{
    Capacity, CapacityMode, Cx, attributes_to_get, capacity_mode, check_item, check_key, check_legacy, item_json,
    parse_item_value, pick_attributes, read_item, read_units,
};
use crate::dynamodb::service::DdbError;
use crate::dynamodb::store::{Change, TableKey};
use crate::dynamodb::value::{Item, item_size};

/// "BatchGetItem … up to 16 MB of data, … as many as 100 items".
pub const BATCH_GET_BYTES: usize = 16 * 1024 * 1024;
pub const BATCH_GET_ITEMS: usize = 100;
/// "BatchWriteItem … as many as 25 put or delete requests".
pub const BATCH_WRITE_ITEMS: usize = 25;

fn duplicates() -> DdbError {
    DdbError::validation("Provided list of item keys contains duplicates")
}

fn request_items(o: &Obj) -> Result<&Obj, DdbError> {
    let items = input::opt_map(o, "RequestItems")?;
    let mut v = Violations::new();
    v.not_null(items, "requestItems");
    v.into_result()?;
    let items = items.unwrap_or_else(|| unreachable_empty());
    if items.is_empty() {
        let mut v = Violations::new();
        v.count(Some(0), "{}", "requestItems", 1, usize::MAX);
        v.into_result()?;
    }
    for name in items.keys() {
        let mut v = Violations::new();
        v.table_name(Some(name), "requestItems.key");
        v.into_result()?;
    }
    Ok(items)
}

/// An empty map, so a missing member that the checks above refused can be
/// handed on without unwrap.
fn unreachable_empty() -> &'static Obj {
    static EMPTY: std::sync::OnceLock<Obj> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

fn push_capacity(list: &mut Vec<Value>, cap: &Capacity, mode: CapacityMode, table: &str) {
    if let Some(c) = cap.render(mode, table) {
        list.push(c);
    }
}

struct GetTable<'a> {
    name: &'a str,
    keys: Vec<Item>,
    raw: &'a Obj,
    consistent: bool,
    projection: Option<super::exprs::Projection>,
    to_get: Option<Vec<String>>,
}

pub fn batch_get(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let items = request_items(o)?;
    let mut v = Violations::new();
    let mode = capacity_mode(o, &mut v)?;
    v.into_result()?;
    let mut tables = Vec::new();
    let mut total = 0;
    for (name, spec) in items {
        let Some(spec) = input::as_struct(spec)? else { continue };
        let keys = input::opt_list(spec, "Keys")?;
        let mut v = Violations::new();
        v.not_null(keys, &format!("requestItems.{name}.member.keys"));
        if let Some(k) = keys {
            v.count(
                Some(k.len()),
                "[...]",
                &format!("requestItems.{name}.member.keys"),
                1,
                BATCH_GET_ITEMS,
            );
        }
        v.into_result()?;
        let mut parsed = Vec::new();
        for k in keys.into_iter().flatten() {
            parsed.push(parse_item_value(k)?);
        }
        total += parsed.len();
        check_legacy(spec, &["ProjectionExpression"], &["AttributesToGet"])?;
        let params = Params::new(spec, &["ProjectionExpression"])?;
        let projection = input::opt_str(spec, "ProjectionExpression")?
            .map(|p| params.projection(p))
            .transpose()?;
        params.finish(&[], projection.as_ref(), None, None)?;
        tables.push(GetTable {
            name,
            keys: parsed,
            raw: spec,
            consistent: input::opt_bool(spec, "ConsistentRead")?.unwrap_or(false),
            projection,
            to_get: attributes_to_get(spec)?,
        });
    }
    if total > BATCH_GET_ITEMS {
        return Err(DdbError::validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    let keys: Vec<TableKey> = tables.iter().map(|t| cx.key(t.name)).collect();
    cx.store.read(&keys, |states| {
        let mut responses = Map::new();
        let mut unprocessed = Map::new();
        let mut caps = Vec::new();
        let mut bytes = 0usize;
        for (spec, state) in tables.iter().zip(states) {
            let t = state.ok_or_else(DdbError::not_found)?;
            let mut storage_keys = Vec::new();
            for k in &spec.keys {
                let sk = check_key(&t.def, k)?;
                if storage_keys.contains(&sk) {
                    return Err(duplicates());
                }
                storage_keys.push(sk);
            }
            let mut found = Vec::new();
            let mut left = Vec::new();
            let mut cap = Capacity::read(0.0);
            for (k, sk) in spec.keys.iter().zip(&storage_keys) {
                let item = t.get(sk);
                let size = item.map_or(0, item_size);
                if bytes + size > BATCH_GET_BYTES {
                    left.push(item_json(k));
                    continue;
                }
                bytes += size;
                cap.table += read_units(size, spec.consistent);
                if let Some(item) = item {
                    let shown = match (&spec.projection, &spec.to_get) {
                        (Some(p), _) => p.apply(item),
                        (None, Some(n)) => pick_attributes(item, n),
                        (None, None) => item.clone(),
                    };
                    found.push(item_json(&shown));
                }
            }
            responses.insert(spec.name.to_string(), Value::Array(found));
            if !left.is_empty() {
                let mut again = spec.raw.clone();
                again.insert("Keys".into(), Value::Array(left));
                unprocessed.insert(spec.name.to_string(), Value::Object(again));
            }
            push_capacity(&mut caps, &cap, mode, spec.name);
        }
        let mut out = json!({ "Responses": responses, "UnprocessedKeys": unprocessed });
        if mode != CapacityMode::None {
            out["ConsumedCapacity"] = Value::Array(caps);
        }
        Ok(out)
    })
}

enum WriteReq {
    Put(Item),
    Delete(Item),
}

pub fn batch_write(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let items = request_items(o)?;
    let mut v = Violations::new();
    let mode = capacity_mode(o, &mut v)?;
    let metrics = input::opt_str(o, "ReturnItemCollectionMetrics")?;
    v.one_of(metrics, "returnItemCollectionMetrics", &["SIZE", "NONE"]);
    v.into_result()?;
    let mut tables: Vec<(&str, Vec<WriteReq>)> = Vec::new();
    let mut total = 0;
    for (name, list) in items {
        let list = match list {
            Value::Array(a) => a,
            Value::Object(_) => {
                return Err(DdbError::new(
                    "SerializationException",
                    "Start of structure or map found where not expected.",
                ));
            }
            _ => return Err(DdbError::new("SerializationException", "Expected list or null")),
        };
        let mut v = Violations::new();
        v.count(
            Some(list.len()),
            "[...]",
            &format!("requestItems.{name}.member"),
            1,
            usize::MAX,
        );
        v.into_result()?;
        let mut reqs = Vec::new();
        for (i, w) in list.iter().enumerate() {
            let Some(w) = input::as_struct(w)? else { continue };
            let put = input::opt_struct(w, "PutRequest")?;
            let del = input::opt_struct(w, "DeleteRequest")?;
            match (put, del) {
                (Some(p), None) => {
                    let item = read_item(p, "Item")?;
                    let mut v = Violations::new();
                    v.not_null(
                        item.as_ref(),
                        &format!("requestItems.{name}.member.{}.member.putRequest.item", i + 1),
                    );
                    v.into_result()?;
                    reqs.push(WriteReq::Put(item.unwrap_or_default()));
                }
                (None, Some(d)) => {
                    let key = read_item(d, "Key")?;
                    let mut v = Violations::new();
                    v.not_null(
                        key.as_ref(),
                        &format!("requestItems.{name}.member.{}.member.deleteRequest.key", i + 1),
                    );
                    v.into_result()?;
                    reqs.push(WriteReq::Delete(key.unwrap_or_default()));
                }
                _ => {
                    return Err(DdbError::validation(
                        "Supplied WriteRequest must contain exactly one of PutRequest or DeleteRequest",
                    ));
                }
            }
        }
        total += reqs.len();
        tables.push((name, reqs));
    }
    if total > BATCH_WRITE_ITEMS {
        return Err(DdbError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    let keys: Vec<TableKey> = tables.iter().map(|(n, _)| cx.key(n)).collect();
    cx.store.write(&keys, |states| {
        let mut changes = Vec::new();
        let mut caps = Vec::new();
        let mut metrics_out = Map::new();
        for ((name, reqs), state) in tables.iter().zip(states) {
            let t = state.ok_or_else(DdbError::not_found)?;
            let mut seen: Vec<Vec<u8>> = Vec::new();
            let mut cap = Capacity::write(&t.def, None, None);
            cap.table = 0.0;
            let mut collection = Vec::new();
            for r in reqs {
                let (sk, change, c) = match r {
                    WriteReq::Put(item) => {
                        let sk = check_item(&t.def, item, "Item size has exceeded the maximum allowed size")?;
                        let c = Capacity::write(&t.def, t.get(&sk), Some(item));
                        (
                            sk,
                            Change::Put {
                                table: t.key(),
                                item: item.clone(),
                            },
                            c,
                        )
                    }
                    WriteReq::Delete(key) => {
                        let sk = check_key(&t.def, key)?;
                        let c = Capacity::write(&t.def, t.get(&sk), None);
                        (
                            sk,
                            Change::Delete {
                                table: t.key(),
                                key: key.clone(),
                            },
                            c,
                        )
                    }
                };
                if seen.contains(&sk) {
                    return Err(duplicates());
                }
                seen.push(sk);
                let item = match &change {
                    Change::Put { item, .. } => Some(item),
                    Change::Delete { key, .. } => Some(key),
                    _ => None,
                };
                if let Some(m) = item.and_then(|i| super::items::collection_metrics(&t.def, i, metrics == Some("SIZE")))
                {
                    collection.push(m);
                }
                cap.add(&c);
                changes.push(change);
            }
            push_capacity(&mut caps, &cap, mode, name);
            if !collection.is_empty() {
                metrics_out.insert(name.to_string(), Value::Array(collection));
            }
        }
        let mut out = json!({ "UnprocessedItems": {} });
        if mode != CapacityMode::None {
            out["ConsumedCapacity"] = Value::Array(caps);
        }
        if metrics == Some("SIZE") {
            out["ItemCollectionMetrics"] = Value::Object(metrics_out);
        }
        Ok((out, changes))
    })
}
