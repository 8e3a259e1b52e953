//! The DynamoDB condition keys of one request (spec §5.4), computed from the
//! request and the table's key schema before anything is read:
//! `dynamodb:LeadingKeys` (the partition-key values touched),
//! `dynamodb:Attributes` (the attribute names requested or written),
//! `dynamodb:Select`, `dynamodb:ReturnValues`, `dynamodb:ReturnConsumedCapacity`.

use std::collections::BTreeSet;

use base64::Engine as _;
use rolechain_policy::request::Context;
use serde_json::Value;

use super::access::Target;
use super::expr::{self, AttributeNames, AttributeValues, Expression};
use super::value::AttributeValue;
use crate::emulator::Emulator;

/// A key value as IAM compares it: strings as they are, numbers in
/// DynamoDB's canonical form, binary as base64.
fn key_string(value: &Value) -> Option<String> {
    match AttributeValue::from_json(value).ok()? {
        AttributeValue::S(s) => Some(s),
        AttributeValue::N(n) => Some(n.to_string()),
        AttributeValue::B(b) => Some(base64::engine::general_purpose::STANDARD.encode(b)),
        _ => None,
    }
}

/// The condition keys of a single-table request (or one transaction item).
pub fn item_keys(emulator: &Emulator, target: &Target, table: &str, action: &str, body: &Value) -> Context {
    let mut context = Context::new();
    let keys = emulator.table_keys(&target.account, &target.region, table);
    // The key schema the request addresses: the index's when it names one.
    let schema = keys
        .as_ref()
        .map(|k| match body.get("IndexName").and_then(Value::as_str) {
            Some(index) => k
                .indexes
                .iter()
                .find(|(name, _, _)| name == index)
                .map(|(_, pk, sk)| (pk.clone(), sk.clone()))
                .unwrap_or_else(|| (k.partition_key.clone(), k.sort_key.clone())),
            None => (k.partition_key.clone(), k.sort_key.clone()),
        });
    let mut leading: BTreeSet<String> = BTreeSet::new();
    if let Some((pk, sk)) = &schema {
        let table_pk = keys.as_ref().map(|k| k.partition_key.as_str()).unwrap_or(pk);
        for holder in ["Key", "Item"] {
            if let Some(v) = body.get(holder).and_then(|h| h.get(table_pk)).and_then(key_string) {
                leading.insert(v);
            }
        }
        if action == "Query"
            && let Some(v) = query_partition_value(body, pk, sk.as_deref())
        {
            leading.insert(v);
        }
    }
    if !leading.is_empty() {
        context.set_multi("dynamodb:LeadingKeys", leading.into_iter().collect::<Vec<_>>());
    }
    let attributes = attribute_names(body);
    if !attributes.is_empty() {
        context.set_multi("dynamodb:Attributes", attributes.into_iter().collect::<Vec<_>>());
    }
    for (member, key) in [
        ("Select", "dynamodb:Select"),
        ("ReturnValues", "dynamodb:ReturnValues"),
        ("ReturnConsumedCapacity", "dynamodb:ReturnConsumedCapacity"),
    ] {
        if let Some(v) = body.get(member).and_then(Value::as_str) {
            context.set(key, v);
        }
    }
    context
}

/// The condition keys of one table's part of a batch: every partition key it touches.
pub fn batch_leading_keys(
    emulator: &Emulator,
    target: &Target,
    table: &str,
    operation: &str,
    request: &Value,
) -> Context {
    let mut context = Context::new();
    let Some(keys) = emulator.table_keys(&target.account, &target.region, table) else {
        return context;
    };
    let pk = &keys.partition_key;
    let mut leading: BTreeSet<String> = BTreeSet::new();
    let mut attributes: BTreeSet<String> = BTreeSet::new();
    match operation {
        "BatchGetItem" => {
            for key in request.get("Keys").and_then(Value::as_array).into_iter().flatten() {
                if let Some(v) = key.get(pk).and_then(key_string) {
                    leading.insert(v);
                }
            }
            attributes.extend(attribute_names(request));
        }
        _ => {
            for write in request.as_array().into_iter().flatten() {
                for (kind, holder) in [("PutRequest", "Item"), ("DeleteRequest", "Key")] {
                    if let Some(item) = write.get(kind).and_then(|r| r.get(holder)) {
                        if let Some(v) = item.get(pk).and_then(key_string) {
                            leading.insert(v);
                        }
                        if let Some(map) = item.as_object() {
                            attributes.extend(map.keys().cloned());
                        }
                    }
                }
            }
        }
    }
    if !leading.is_empty() {
        context.set_multi("dynamodb:LeadingKeys", leading.into_iter().collect::<Vec<_>>());
    }
    if !attributes.is_empty() {
        context.set_multi("dynamodb:Attributes", attributes.into_iter().collect::<Vec<_>>());
    }
    if let Some(v) = request.get("ReturnConsumedCapacity").and_then(Value::as_str) {
        context.set("dynamodb:ReturnConsumedCapacity", v);
    }
    context
}

/// The top-level attribute names a request names: the item written, the
/// key, projections, and every expression's paths (aliases resolved).
fn attribute_names(body: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for holder in ["Item", "Key"] {
        if let Some(map) = body.get(holder).and_then(Value::as_object) {
            names.extend(map.keys().cloned());
        }
    }
    for list in ["AttributesToGet"] {
        for name in body.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let Some(n) = name.as_str() {
                names.insert(n.to_string());
            }
        }
    }
    names.extend(expression_attribute_names(body));
    names
}

fn names_of(body: &Value) -> AttributeNames {
    body.get("ExpressionAttributeNames")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn values_of(body: &Value) -> AttributeValues {
    body.get("ExpressionAttributeValues")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), AttributeValue::from_json(v).ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

/// The partition-key value a Query's KeyConditionExpression names. A
/// condition the data plane would refuse gives none here; the refusal
/// itself comes from the data plane, after authorization.
fn query_partition_value(body: &Value, partition_key: &str, sort_key: Option<&str>) -> Option<String> {
    let text = body.get("KeyConditionExpression")?.as_str()?;
    let condition = expr::parse_key_condition(text).ok()?;
    let resolved = condition
        .key_condition(&names_of(body), &values_of(body), partition_key, sort_key)
        .ok()?;
    key_string(&resolved.partition.1.to_json())
}

/// Top-level attribute names in the request's expressions, aliases resolved.
fn expression_attribute_names(body: &Value) -> BTreeSet<String> {
    let names = names_of(body);
    let text = |member: &str| body.get(member).and_then(Value::as_str);
    let mut parsed: Vec<Box<dyn Expression>> = Vec::new();
    for member in ["ConditionExpression", "FilterExpression", "KeyConditionExpression"] {
        if let Some(c) = text(member).and_then(|t| expr::parse_condition(t).ok()) {
            parsed.push(Box::new(c));
        }
    }
    if let Some(p) = text("ProjectionExpression").and_then(|t| expr::parse_projection(t).ok()) {
        parsed.push(Box::new(p));
    }
    if let Some(u) = text("UpdateExpression").and_then(|t| expr::parse_update(t).ok()) {
        parsed.push(Box::new(u));
    }
    let refs: Vec<&dyn Expression> = parsed.iter().map(|e| e.as_ref()).collect();
    expr::attribute_names_in(&refs, &names)
}
