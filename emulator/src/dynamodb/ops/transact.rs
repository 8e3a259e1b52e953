//! TransactGetItems and TransactWriteItems (API reference pages of those
//! names; developer guide "Amazon DynamoDB Transactions: How it works").
//!
//! A write transaction locks all its tables (in key order, so transactions
//! never deadlock), checks every condition against the state before any
//! write, and applies all its changes or none. `ClientRequestToken` is
//! accepted and ignored: a retried transaction is applied again rather than
//! recognised as a duplicate within DynamoDB's 10-minute window.

use serde_json::{Value, json};

use super::exprs::{Condition, Params, Projection, Update};
use super::input::{self, Obj, Violations};
use super::items::updated_item;
use super::{
    Capacity, CapacityMode, Cx, capacity_mode, check_item, check_key, item_json, key_part, read_item, read_units,
};
use crate::dynamodb::service::DdbError;
use crate::dynamodb::store::{Change, TableKey};
use crate::dynamodb::value::{Item, item_size};

pub const MAX_TRANSACT_ITEMS: usize = 100;

fn transact_items(o: &Obj) -> Result<&Vec<Value>, DdbError> {
    let list = input::opt_list(o, "TransactItems")?;
    let mut v = Violations::new();
    v.not_null(list, "transactItems");
    if let Some(l) = list {
        v.count(Some(l.len()), "[...]", "transactItems", 1, MAX_TRANSACT_ITEMS);
    }
    v.into_result()?;
    list.ok_or_else(|| DdbError::validation("1 validation error detected: Value null at 'transactItems' failed to satisfy constraint: Member must not be null"))
}

fn multiple_ops() -> DdbError {
    DdbError::validation("Transaction request cannot include multiple operations on one item")
}

fn one_of<'a>(item: &'a Obj, kinds: &[&'a str]) -> Result<(&'a str, &'a Obj), DdbError> {
    let mut found = None;
    for k in kinds {
        if let Some(s) = input::opt_struct(item, k)? {
            if found.is_some() {
                return Err(DdbError::validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete",
                ));
            }
            found = Some((*k, s));
        }
    }
    found.ok_or_else(|| DdbError::validation("TransactItems can only contain one of Check, Put, Update or Delete"))
}

struct GetOp<'a> {
    table: &'a str,
    key: Item,
    projection: Option<Projection>,
}

pub fn transact_get(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let list = transact_items(o)?;
    let mut v = Violations::new();
    let mode = capacity_mode(o, &mut v)?;
    v.into_result()?;
    let mut ops = Vec::new();
    for e in list {
        let Some(e) = input::as_struct(e)? else { continue };
        let (_, g) = one_of(e, &["Get"])?;
        let table = super::table_name(g)?;
        let key = read_item(g, "Key")?;
        let mut v = Violations::new();
        v.not_null(key.as_ref(), "transactItems.member.get.key");
        v.into_result()?;
        let params = Params::new(g, &["ProjectionExpression"])?;
        let projection = input::opt_str(g, "ProjectionExpression")?
            .map(|p| params.projection(p))
            .transpose()?;
        params.finish(&[], projection.as_ref(), None, None)?;
        ops.push(GetOp {
            table,
            key: key.unwrap_or_default(),
            projection,
        });
    }
    let keys: Vec<TableKey> = ops.iter().map(|g| cx.key(g.table)).collect();
    cx.store.read(&keys, |states| {
        let mut seen: Vec<(TableKey, Vec<u8>)> = Vec::new();
        let mut responses = Vec::new();
        let mut caps: Vec<(String, Capacity)> = Vec::new();
        for (op, state) in ops.iter().zip(states) {
            let t = state.ok_or_else(DdbError::not_found)?;
            let sk = check_key(&t.def, &op.key)?;
            let id = (t.key(), sk);
            if seen.contains(&id) {
                return Err(multiple_ops());
            }
            let item = t.get(&id.1);
            seen.push(id);
            add_cap(
                &mut caps,
                op.table,
                Capacity::read(2.0 * read_units(item.map_or(0, item_size), true)),
            );
            responses.push(match item {
                Some(i) => {
                    json!({ "Item": item_json(&op.projection.as_ref().map_or_else(|| i.clone(), |p| p.apply(i))) })
                }
                None => json!({}),
            });
        }
        let mut out = json!({ "Responses": responses });
        render_caps(&mut out, &caps, mode);
        Ok(out)
    })
}

fn add_cap(caps: &mut Vec<(String, Capacity)>, table: &str, c: Capacity) {
    match caps.iter_mut().find(|(t, _)| t == table) {
        Some((_, e)) => e.add(&c),
        None => caps.push((table.to_string(), c)),
    }
}

fn render_caps(out: &mut Value, caps: &[(String, Capacity)], mode: CapacityMode) {
    if mode != CapacityMode::None {
        out["ConsumedCapacity"] = Value::Array(caps.iter().filter_map(|(t, c)| c.render(mode, t)).collect());
    }
}

enum WriteKind {
    Check,
    Put(Item),
    Delete,
    Update(Option<Update>),
}

struct WriteOp<'a> {
    table: &'a str,
    kind: WriteKind,
    /// The key (for Put: taken from the item once the schema is known).
    key: Option<Item>,
    condition: Option<Condition>,
    all_old_on_failure: bool,
}

pub fn transact_write(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let list = transact_items(o)?;
    let mut v = Violations::new();
    let mode = capacity_mode(o, &mut v)?;
    let metrics = input::opt_str(o, "ReturnItemCollectionMetrics")?;
    v.one_of(metrics, "returnItemCollectionMetrics", &["SIZE", "NONE"]);
    let token = input::opt_str(o, "ClientRequestToken")?;
    v.length(token, "clientRequestToken", 1, 36);
    v.into_result()?;
    let mut ops = Vec::new();
    for e in list {
        let Some(e) = input::as_struct(e)? else { continue };
        let (kind, w) = one_of(e, &["ConditionCheck", "Put", "Delete", "Update"])?;
        let table = super::table_name(w)?;
        let failure = input::opt_str(w, "ReturnValuesOnConditionCheckFailure")?;
        let mut v = Violations::new();
        v.one_of(failure, "returnValuesOnConditionCheckFailure", &["ALL_OLD", "NONE"]);
        v.into_result()?;
        let exprs: &[&str] = if kind == "Update" {
            &["UpdateExpression", "ConditionExpression"]
        } else {
            &["ConditionExpression"]
        };
        let params = Params::new(w, exprs)?;
        // DynamoDB checks an update's expression before its condition.
        let update = match kind {
            "Update" => {
                let u = input::opt_str(w, "UpdateExpression")?;
                let mut v = Violations::new();
                v.not_null(u, "transactItems.member.update.updateExpression");
                v.into_result()?;
                u.map(|u| params.update(u)).transpose()?
            }
            _ => None,
        };
        let condition = input::opt_str(w, "ConditionExpression")?
            .map(|c| params.condition(c))
            .transpose()?;
        params.finish(&[condition.as_ref()], None, update.as_ref(), None)?;
        let (kind, key) = match kind {
            "Put" => {
                let item = read_item(w, "Item")?;
                let mut v = Violations::new();
                v.not_null(item.as_ref(), "transactItems.member.put.item");
                v.into_result()?;
                (WriteKind::Put(item.unwrap_or_default()), None)
            }
            other => {
                let key = read_item(w, "Key")?;
                let mut v = Violations::new();
                v.not_null(key.as_ref(), "transactItems.member.key");
                v.into_result()?;
                let kind = match other {
                    "ConditionCheck" => {
                        if condition.is_none() {
                            let mut v = Violations::new();
                            v.not_null(None::<()>, "transactItems.member.conditionCheck.conditionExpression");
                            v.into_result()?;
                        }
                        WriteKind::Check
                    }
                    "Delete" => WriteKind::Delete,
                    _ => WriteKind::Update(update),
                };
                (kind, key)
            }
        };
        ops.push(WriteOp {
            table,
            kind,
            key,
            condition,
            all_old_on_failure: failure == Some("ALL_OLD"),
        });
    }
    let keys: Vec<TableKey> = ops.iter().map(|w| cx.key(w.table)).collect();
    cx.store.write(&keys, |states| {
        // Validate every operation and find its item before evaluating any
        // condition: validation errors are reported as such, not as a
        // cancellation.
        let mut seen: Vec<(TableKey, Vec<u8>)> = Vec::new();
        let mut located = Vec::with_capacity(ops.len());
        for (op, state) in ops.iter().zip(states) {
            let t = state.ok_or_else(DdbError::not_found)?;
            let sk = match (&op.kind, &op.key) {
                (WriteKind::Put(item), _) => {
                    check_item(&t.def, item, "Item size has exceeded the maximum allowed size")?
                }
                (_, Some(key)) => check_key(&t.def, key)?,
                (_, None) => {
                    return Err(DdbError::validation(
                        "The provided key element does not match the schema",
                    ));
                }
            };
            let id = (t.key(), sk);
            if seen.contains(&id) {
                return Err(multiple_ops());
            }
            seen.push(id.clone());
            located.push((t, id.1));
        }
        let mut reasons = Vec::with_capacity(ops.len());
        let mut failed = false;
        let mut changes = Vec::new();
        let mut caps: Vec<(String, Capacity)> = Vec::new();
        for (op, (t, sk)) in ops.iter().zip(&located) {
            let old = t.get(sk);
            let ok = match &op.condition {
                Some(c) => c.eval(old)?,
                None => true,
            };
            if !ok {
                failed = true;
                let mut r = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
                if op.all_old_on_failure
                    && let Some(old) = old
                {
                    r["Item"] = item_json(old);
                }
                reasons.push(r);
                continue;
            }
            let result = match &op.kind {
                WriteKind::Check => Ok((None, Capacity::read(2.0 * read_units(old.map_or(0, item_size), true)))),
                WriteKind::Put(item) => Ok((
                    Some(Change::Put {
                        table: t.key(),
                        item: item.clone(),
                    }),
                    Capacity::write(&t.def, old, Some(item)).scale(2.0),
                )),
                WriteKind::Delete => {
                    let key = old
                        .map(|o| key_part(&t.def, o))
                        .or_else(|| op.key.clone())
                        .unwrap_or_default();
                    Ok((
                        Some(Change::Delete { table: t.key(), key }),
                        Capacity::write(&t.def, old, None).scale(2.0),
                    ))
                }
                WriteKind::Update(u) => {
                    let key = op.key.clone().unwrap_or_default();
                    updated_item(&t.def, &key, old, u.as_ref()).map(|new| {
                        let c = Capacity::write(&t.def, old, Some(&new)).scale(2.0);
                        (
                            Some(Change::Put {
                                table: t.key(),
                                item: new,
                            }),
                            c,
                        )
                    })
                }
            };
            match result {
                Ok((change, cap)) => {
                    reasons.push(json!({"Code": "None"}));
                    changes.extend(change);
                    add_cap(&mut caps, op.table, cap);
                }
                // An update that cannot apply to this item (a type error,
                // an item grown past 400 KB) cancels the transaction.
                Err(e) if e.code == "ValidationException" => {
                    failed = true;
                    reasons.push(json!({"Code": "ValidationError", "Message": e.message}));
                }
                Err(e) => return Err(e),
            }
        }
        if failed {
            let codes: Vec<&str> = reasons.iter().map(|r| r["Code"].as_str().unwrap_or("None")).collect();
            return Err(DdbError::new(
                "TransactionCanceledException",
                format!(
                    "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                    codes.join(", ")
                ),
            )
            .with_extra(json!({ "CancellationReasons": reasons })));
        }
        let mut out = json!({});
        render_caps(&mut out, &caps, mode);
        if metrics == Some("SIZE") {
            out["ItemCollectionMetrics"] = json!({});
        }
        Ok((out, changes))
    })
}
