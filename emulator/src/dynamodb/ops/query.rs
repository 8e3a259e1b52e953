//! Query and Scan: range scans over the ordered store (API reference
//! "Query", "Scan"; developer guide "Paginating table query results",
//! "Parallel scan").
//!
//! `Limit` counts items evaluated (read) before the filter; a page also ends
//! once the items read reach 1 MB (the item that crosses the line is the
//! last one read). A page that ended on either bound carries
//! `LastEvaluatedKey` (the table's keys, plus the index's keys on an index),
//! even when nothing follows, as DynamoDB does for `Limit`.

use std::ops::Bound;

use serde_json::{Value, json};

use super::exprs::{Condition, KeyCondition, KeyExpression, Params, Projection, SortCondition};
use super::input::{self, Obj, Violations};
use super::{
    Capacity, CapacityMode, Cx, attributes_to_get, capacity_mode, check_legacy, item_json, key_part, pick_attributes,
    read_item, read_units,
};
use crate::dynamodb::service::DdbError;
use crate::dynamodb::store::{
    TableState, key_of, partition_prefix, prefix_end, project_for_index, segment_bounds, with_sort, with_sort_prefix,
};
use crate::dynamodb::table::{IndexDef, KeySchema, Projection as IndexProjection, ScalarType};
use crate::dynamodb::value::{AttributeValue, Item, item_size};

/// "The maximum size of the data returned by a single Query or Scan: 1 MB".
pub const PAGE_BYTES: usize = 1024 * 1024;

struct ReadReq<'a> {
    name: &'a str,
    index: Option<&'a str>,
    select: Option<&'a str>,
    limit: Option<usize>,
    consistent: bool,
    forward: bool,
    start: Option<Item>,
    capacity: CapacityMode,
    projection: Option<Projection>,
    to_get: Option<Vec<String>>,
    filter: Option<Condition>,
    key: Option<KeyExpression>,
    segment: Option<(u64, u64)>,
}

fn read_common<'a>(o: &'a Obj, v: &mut Violations) -> Result<ReadReq<'a>, DdbError> {
    let name = input::opt_str(o, "TableName")?;
    v.not_null(name, "tableName");
    v.table_name(name, "tableName");
    let index = input::opt_str(o, "IndexName")?;
    v.table_name(index, "indexName");
    let select = input::opt_str(o, "Select")?;
    v.one_of(
        select,
        "select",
        &[
            "ALL_ATTRIBUTES",
            "ALL_PROJECTED_ATTRIBUTES",
            "SPECIFIC_ATTRIBUTES",
            "COUNT",
        ],
    );
    let limit = input::opt_int(o, "Limit", "Integer")?;
    v.range(limit, "limit", 1, i64::MAX);
    let capacity = capacity_mode(o, v)?;
    Ok(ReadReq {
        name: name.unwrap_or_default(),
        index,
        select,
        limit: limit.map(|l| l.max(1) as usize),
        consistent: input::opt_bool(o, "ConsistentRead")?.unwrap_or(false),
        forward: input::opt_bool(o, "ScanIndexForward")?.unwrap_or(true),
        start: read_item(o, "ExclusiveStartKey")?,
        capacity,
        projection: None,
        to_get: None,
        filter: None,
        key: None,
        segment: None,
    })
}

pub fn query(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let mut v = Violations::new();
    let mut req = read_common(o, &mut v)?;
    v.into_result()?;
    check_legacy(
        o,
        &["ProjectionExpression", "FilterExpression", "KeyConditionExpression"],
        &["AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"],
    )?;
    req.to_get = attributes_to_get(o)?;
    let params = Params::new(
        o,
        &["ProjectionExpression", "FilterExpression", "KeyConditionExpression"],
    )?;
    let Some(kc) = input::opt_str(o, "KeyConditionExpression")? else {
        return Err(DdbError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    };
    req.filter = input::opt_str(o, "FilterExpression")?
        .map(|f| params.filter(f))
        .transpose()?;
    req.projection = input::opt_str(o, "ProjectionExpression")?
        .map(|p| params.projection(p))
        .transpose()?;
    req.key = Some(params.key_condition(kc)?);
    params.finish(&[req.filter.as_ref()], req.projection.as_ref(), None, req.key.as_ref())?;
    run(cx, req)
}

pub fn scan(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let mut v = Violations::new();
    let mut req = read_common(o, &mut v)?;
    let segment = input::opt_int(o, "Segment", "Integer")?;
    let total = input::opt_int(o, "TotalSegments", "Integer")?;
    v.range(segment, "segment", 0, 999_999);
    v.range(total, "totalSegments", 1, 1_000_000);
    v.into_result()?;
    req.segment = match (segment, total) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(DdbError::validation(
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(DdbError::validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
        (Some(s), Some(t)) if s >= t => {
            return Err(DdbError::validation(format!(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is greater than or equal to TotalSegments: {t}"
            )));
        }
        (Some(s), Some(t)) => Some((s as u64, t as u64)),
    };
    check_legacy(
        o,
        &["ProjectionExpression", "FilterExpression"],
        &["AttributesToGet", "ScanFilter", "ConditionalOperator"],
    )?;
    req.to_get = attributes_to_get(o)?;
    let params = Params::new(o, &["ProjectionExpression", "FilterExpression"])?;
    req.filter = input::opt_str(o, "FilterExpression")?
        .map(|f| params.filter(f))
        .transpose()?;
    req.projection = input::opt_str(o, "ProjectionExpression")?
        .map(|p| params.projection(p))
        .transpose()?;
    params.finish(&[req.filter.as_ref()], req.projection.as_ref(), None, None)?;
    run(cx, req)
}

fn scalar_type_of(v: &AttributeValue) -> Option<ScalarType> {
    match v {
        AttributeValue::S(_) => Some(ScalarType::S),
        AttributeValue::N(_) => Some(ScalarType::N),
        AttributeValue::B(_) => Some(ScalarType::B),
        _ => None,
    }
}

/// Checks a key condition against the keys it queries.
fn check_key_condition(kc: &KeyCondition, keys: &KeySchema) -> Result<(), DdbError> {
    let type_error = || {
        DdbError::validation(
            "One or more parameter values were invalid: Condition parameter type does not match schema type",
        )
    };
    let mut names = vec![kc.hash.0.as_str()];
    if let Some((n, _)) = &kc.range {
        names.push(n);
    }
    if !names.contains(&keys.hash.name.as_str()) {
        return Err(DdbError::validation(format!(
            "Query condition missed key schema element: {}",
            keys.hash.name
        )));
    }
    if kc.hash.0 != keys.hash.name {
        // The equality is on the sort key and the range condition on the
        // partition key: only an equality can select a partition.
        return Err(DdbError::validation("Query key condition not supported"));
    }
    if let Some((n, cond)) = &kc.range {
        match &keys.range {
            Some(r) if r.name == *n => {
                if cond.values().iter().any(|v| scalar_type_of(v) != Some(r.ty)) {
                    return Err(type_error());
                }
                if let SortCondition::BeginsWith(_) = cond
                    && r.ty == ScalarType::N
                {
                    return Err(DdbError::validation(
                        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N",
                    ));
                }
                if let SortCondition::Between(a, b) = cond
                    && a.compare(b) == Some(std::cmp::Ordering::Greater)
                {
                    return Err(DdbError::validation(format!(
                        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                        brief(a),
                        brief(b)
                    )));
                }
            }
            Some(r) => {
                return Err(DdbError::validation(format!(
                    "Query condition missed key schema element: {}",
                    r.name
                )));
            }
            None => return Err(DdbError::validation("Query key condition not supported")),
        }
    }
    if scalar_type_of(&kc.hash.1) != Some(keys.hash.ty) {
        return Err(type_error());
    }
    Ok(())
}

/// `{N:5}`: how DynamoDB shows an operand in expression messages.
fn brief(v: &AttributeValue) -> String {
    let j = v.to_json();
    match j.as_object().and_then(|m| m.iter().next()) {
        Some((t, Value::String(s))) => format!("{{{t}:{s}}}"),
        Some((t, other)) => format!("{{{t}:{other}}}"),
        None => j.to_string(),
    }
}

/// Bounds of the entries a key condition selects, as entry keys.
fn key_bounds(kc: &KeyCondition) -> (Vec<u8>, Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let pk = kc.hash.1.key_bytes().unwrap_or_default();
    let prefix = partition_prefix(&pk);
    let kb = |v: &AttributeValue| v.key_bytes().unwrap_or_default();
    let after = |p: &[u8]| match prefix_end(p) {
        Bound::Excluded(x) => Bound::Included(x),
        other => other,
    };
    let (lo, hi) = match kc.range.as_ref().map(|r| &r.1) {
        None => (Bound::Included(prefix.clone()), prefix_end(&prefix)),
        Some(SortCondition::Eq(v)) => {
            let p = with_sort(&prefix, &kb(v));
            (Bound::Included(p.clone()), prefix_end(&p))
        }
        Some(SortCondition::Lt(v)) => (
            Bound::Included(prefix.clone()),
            Bound::Excluded(with_sort(&prefix, &kb(v))),
        ),
        Some(SortCondition::Le(v)) => (Bound::Included(prefix.clone()), prefix_end(&with_sort(&prefix, &kb(v)))),
        Some(SortCondition::Gt(v)) => (after(&with_sort(&prefix, &kb(v))), prefix_end(&prefix)),
        Some(SortCondition::Ge(v)) => (Bound::Included(with_sort(&prefix, &kb(v))), prefix_end(&prefix)),
        Some(SortCondition::Between(a, b)) => (
            Bound::Included(with_sort(&prefix, &kb(a))),
            prefix_end(&with_sort(&prefix, &kb(b))),
        ),
        Some(SortCondition::BeginsWith(v)) => {
            let p = with_sort_prefix(&prefix, &kb(v));
            (Bound::Included(p.clone()), prefix_end(&p))
        }
    };
    (prefix, lo, hi)
}

/// The entry key an ExclusiveStartKey names (table storage key, or index
/// entry key), after checking it has exactly the keys it must.
fn start_position(t: &TableState, ix: Option<&IndexDef>, start: &Item) -> Result<Vec<u8>, DdbError> {
    let invalid = || {
        DdbError::validation("The provided starting key is invalid: The provided key element does not match the schema")
    };
    let mut names: Vec<(&str, ScalarType)> = t.def.keys.attrs().map(|k| (k.name.as_str(), k.ty)).collect();
    if let Some(ix) = ix {
        for k in ix.keys.attrs() {
            if !names.iter().any(|(n, _)| *n == k.name) {
                names.push((&k.name, k.ty));
            }
        }
    }
    if start.len() != names.len() {
        return Err(invalid());
    }
    for (n, ty) in &names {
        match start.get(*n) {
            Some(v) if scalar_type_of(v) == Some(*ty) => {}
            _ => return Err(invalid()),
        }
    }
    let table_key = key_of(&t.def.keys, start).ok_or_else(invalid)?;
    match ix {
        None => Ok(table_key),
        Some(ix) => {
            let mut k = key_of(&ix.keys, start).ok_or_else(invalid)?;
            k.extend_from_slice(&table_key);
            Ok(k)
        }
    }
}

fn run(cx: &Cx, req: ReadReq) -> Result<Value, DdbError> {
    cx.store.read(&[cx.key(req.name)], |t| {
        let t = t[0].ok_or_else(DdbError::not_found)?;
        let ix = match req.index {
            None => None,
            Some(n) => Some(t.def.index(n).ok_or_else(|| {
                DdbError::validation(format!("The table does not have the specified index: {n}"))
            })?),
        };
        if let Some((_, ix)) = ix
            && ix.global
            && req.consistent
        {
            return Err(DdbError::validation("Consistent reads are not supported on global secondary indexes"));
        }
        let has_projection = req.projection.is_some() || req.to_get.is_some();
        let what = if req.projection.is_some() { "ProjectionExpression" } else { "AttributesToGet" };
        match req.select {
            Some(s) if s != "SPECIFIC_ATTRIBUTES" && has_projection => {
                let shown = if s == "COUNT" { "only the Count" } else { s };
                return Err(DdbError::validation(format!("Cannot specify the {what} when choosing to get {shown}")));
            }
            Some("ALL_PROJECTED_ATTRIBUTES") if ix.is_none() => {
                return Err(DdbError::validation(
                    "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
                ));
            }
            Some("SPECIFIC_ATTRIBUTES") if !has_projection => {
                return Err(DdbError::validation(
                    "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
                ));
            }
            Some("ALL_ATTRIBUTES") => {
                if let Some((_, ix)) = ix
                    && ix.global
                    && ix.projection != IndexProjection::All
                {
                    return Err(DdbError::validation(format!(
                        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                        ix.name
                    )));
                }
            }
            _ => {}
        }
        let keys = ix.map_or(&t.def.keys, |(_, i)| &i.keys);
        let mut bounds = (Bound::Unbounded, Bound::Unbounded);
        let mut partition: Option<Vec<u8>> = None;
        let mut key_condition = None;
        if let Some(ke) = &req.key {
            let kc = ke.resolve(&keys.hash.name, keys.range.as_ref().map(|r| r.name.as_str()))?;
            check_key_condition(&kc, keys)?;
            if let Some(f) = &req.filter {
                f.check_no_key_attributes(&keys.attrs().map(|k| k.name.as_str()).collect::<Vec<_>>())?;
            }
            let (prefix, lo, hi) = key_bounds(&kc);
            key_condition = Some(kc);
            partition = Some(prefix);
            bounds = (lo, hi);
        }
        if let Some((s, total)) = req.segment {
            bounds = segment_bounds(s, total);
        }
        if let Some(start) = &req.start {
            let pos = start_position(t, ix.map(|(_, i)| i), start)?;
            if let Some(p) = &partition
                && !pos.starts_with(p)
            {
                return Err(DdbError::validation(
                    "The provided starting key is outside query boundaries based on provided conditions",
                ));
            }
            if req.forward {
                bounds.0 = Bound::Excluded(pos);
            } else {
                bounds.1 = Bound::Excluded(pos);
            }
        }
        let entries = match ix {
            None => t.range(bounds.0, bounds.1, req.forward),
            Some((i, _)) => t.index_range(i, bounds.0, bounds.1, req.forward),
        };
        let range_cond = key_condition.as_ref().and_then(|k| k.range.as_ref());
        let count_only = req.select == Some("COUNT");
        let fetch_all = req.select == Some("ALL_ATTRIBUTES");
        let mut items = Vec::new();
        let (mut scanned, mut count, mut bytes) = (0usize, 0usize, 0usize);
        let mut last: Option<Item> = None;
        let mut stopped = false;
        for (entry_key, item) in entries {
            if let Some(p) = &partition
                && !entry_key.starts_with(p)
            {
                continue;
            }
            if let Some((n, c)) = range_cond
                && !item.get(n).is_some_and(|v| c.matches(v))
            {
                continue;
            }
            // What the read sees: the index's projection, unless the whole
            // item is asked of a local index (fetched from the table).
            let seen = match ix {
                Some((_, i)) if !fetch_all || i.global => project_for_index(&t.def, i, item),
                _ => item.clone(),
            };
            scanned += 1;
            bytes += item_size(&seen);
            let matched = match &req.filter {
                Some(f) => f.eval(Some(&seen))?,
                None => true,
            };
            if matched {
                count += 1;
                if !count_only {
                    let shown = match (&req.projection, &req.to_get) {
                        (Some(p), _) => p.apply(&seen),
                        (None, Some(names)) => pick_attributes(&seen, names),
                        (None, None) => seen.clone(),
                    };
                    items.push(item_json(&shown));
                }
            }
            if req.limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES {
                let mut k = key_part(&t.def, item);
                if let Some((_, i)) = ix {
                    for a in i.keys.attrs() {
                        if let Some(v) = item.get(&a.name) {
                            k.insert(a.name.clone(), v.clone());
                        }
                    }
                }
                last = Some(k);
                stopped = true;
                break;
            }
        }
        let mut out = json!({ "Count": count, "ScannedCount": scanned });
        if !count_only {
            out["Items"] = Value::Array(items);
        }
        if stopped && let Some(k) = last {
            out["LastEvaluatedKey"] = item_json(&k);
        }
        let mut cap = Capacity::read(read_units(bytes, req.consistent));
        if let Some((_, i)) = ix {
            cap.indexes.push((i.name.clone(), i.global, cap.table));
            cap.table = 0.0;
        }
        if let Some(c) = cap.render(req.capacity, req.name) {
            out["ConsumedCapacity"] = c;
        }
        Ok(out)
    })
}
