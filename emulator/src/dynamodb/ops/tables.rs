//! Control-plane operations: CreateTable, DescribeTable, ListTables,
//! UpdateTable, DeleteTable, tags, resource policies, DescribeTimeToLive.

use serde_json::{Value, json};

use super::input::{self, Obj, Violations};
use super::{Cx, table_name};
use crate::dynamodb::service::DdbError;
use crate::dynamodb::store::{Change, TableKey};
use crate::dynamodb::table::{self, ResourcePolicy, TableDef};

/// "Resource-based policy size: 20 KB" (developer guide, quotas), counted
/// with whitespace.
const MAX_POLICY_BYTES: usize = 20 * 1024;

pub fn create_table(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let def = table::parse_create_table(o, cx.account, cx.region, cx.now)?;
    let count = cx.store.table_names(cx.account, cx.region).len();
    // "Maximum number of tables per account per Region: 2,500" (quotas page).
    if count >= 2500 {
        return Err(DdbError::new(
            "LimitExceededException",
            "Subscriber limit exceeded: Only 2500 tables can be created per account per region",
        ));
    }
    let desc = def.describe("ACTIVE", (0, 0), &vec![(0, 0); def.indexes.len()]);
    cx.store.create_table(def)?;
    Ok(json!({ "TableDescription": desc }))
}

pub fn describe_table(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    cx.store.read(&[cx.key(name)], |t| match t[0] {
        Some(t) => Ok(json!({ "Table": t.describe("ACTIVE") })),
        None => Err(DdbError::table_not_found(name)),
    })
}

pub fn list_tables(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let start = input::opt_str(o, "ExclusiveStartTableName")?;
    let limit = input::opt_int(o, "Limit", "Integer")?;
    let mut v = Violations::new();
    v.table_name(start, "exclusiveStartTableName");
    v.range(limit, "limit", 1, 100);
    v.into_result()?;
    let limit = limit.unwrap_or(100) as usize;
    let names = cx.store.table_names(cx.account, cx.region);
    let after: Vec<&String> = names.iter().filter(|n| start.is_none_or(|s| n.as_str() > s)).collect();
    let page: Vec<&String> = after.iter().take(limit).copied().collect();
    let mut out = json!({ "TableNames": page });
    if after.len() > limit
        && let Some(last) = page.last()
    {
        out["LastEvaluatedTableName"] = json!(last);
    }
    Ok(out)
}

pub fn delete_table(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    let desc = cx.store.drop_table(&cx.key(name), |t| {
        if t.def.deletion_protection {
            return Err(DdbError::validation(format!(
                "Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first. TableName: {name}"
            )));
        }
        Ok(t.describe("DELETING"))
    })?;
    match desc {
        Some(d) => Ok(json!({ "TableDescription": d })),
        None => Err(DdbError::table_not_found(name)),
    }
}

/// Runs a metadata change on one table under its write lock: `f` gets a copy
/// of the definition to change and returns the response (or refuses).
fn update_def(
    cx: &Cx,
    key: TableKey,
    missing: impl FnOnce() -> DdbError,
    f: impl FnOnce(&mut TableDef) -> Result<Value, DdbError>,
) -> Result<Value, DdbError> {
    cx.store.write(&[key], |t| {
        let Some(t) = t[0] else { return Err(missing()) };
        let mut def = t.def.clone();
        let out = f(&mut def)?;
        let changes = if def == t.def {
            vec![]
        } else {
            vec![Change::UpdateTable(Box::new(def))]
        };
        Ok((out, changes))
    })
}

pub fn update_table(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    let mut v = Violations::new();
    let defs = table::read_definitions(o, &mut v)?;
    let mode = input::opt_str(o, "BillingMode")?;
    v.one_of(mode, "billingMode", &["PROVISIONED", "PAY_PER_REQUEST"]);
    let throughput = table::read_throughput_member(o, &mut v)?;
    let updates = input::opt_list(o, "GlobalSecondaryIndexUpdates")?;
    let protection = input::opt_bool(o, "DeletionProtectionEnabled")?;
    let class = input::opt_str(o, "TableClass")?;
    v.one_of(class, "tableClass", &["STANDARD", "STANDARD_INFREQUENT_ACCESS"]);
    v.into_result()?;
    let other = [
        "StreamSpecification",
        "SSESpecification",
        "ReplicaUpdates",
        "OnDemandThroughput",
        "WarmThroughput",
    ];
    if mode.is_none()
        && throughput.is_none()
        && updates.is_none()
        && protection.is_none()
        && class.is_none()
        && !other.iter().any(|m| o.get(*m).is_some_and(|v| !v.is_null()))
    {
        return Err(DdbError::validation(
            "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required",
        ));
    }
    let now = cx.now;
    update_def(
        cx,
        cx.key(name),
        || DdbError::table_not_found(name),
        |def| {
            let defs = table::merge_definitions(def, &defs)?;
            table::update_billing(def, mode, throughput, now)?;
            let mut online = 0;
            for (i, u) in updates.into_iter().flatten().enumerate() {
                let Some(u) = input::as_struct(u)? else { continue };
                let path = format!("globalSecondaryIndexUpdates.{}.member", i + 1);
                if let Some(c) = input::opt_struct(u, "Create")? {
                    let mut v = Violations::new();
                    let ix = table::parse_gsi_create(c, &format!("{path}.create"), def, &defs, &mut v);
                    v.into_result()?;
                    if let Some(ix) = ix? {
                        for k in ix.keys.attrs() {
                            if !def.attribute_definitions.iter().any(|d| d.name == k.name) {
                                def.attribute_definitions.push(k.clone());
                            }
                        }
                        def.indexes.push(ix);
                    }
                    online += 1;
                }
                if let Some(d) = input::opt_struct(u, "Delete")? {
                    let iname = input::opt_str(d, "IndexName")?.unwrap_or_default();
                    match def.indexes.iter().position(|i| i.global && i.name == iname) {
                        Some(p) => {
                            def.indexes.remove(p);
                        }
                        None => {
                            return Err(DdbError::new(
                                "ResourceNotFoundException",
                                format!("Requested resource not found: Index: {iname} not found"),
                            ));
                        }
                    }
                    online += 1;
                }
                if let Some(up) = input::opt_struct(u, "Update")? {
                    let iname = input::opt_str(up, "IndexName")?.unwrap_or_default();
                    let mut v = Violations::new();
                    let t = table::read_throughput_member(up, &mut v)?;
                    v.into_result()?;
                    let Some(ix) = def.indexes.iter_mut().find(|i| i.global && i.name == iname) else {
                        return Err(DdbError::new(
                            "ResourceNotFoundException",
                            format!("Requested resource not found: Index: {iname} not found"),
                        ));
                    };
                    if t.is_some() {
                        ix.throughput = t;
                    }
                }
            }
            if online > 1 {
                return Err(DdbError::new(
                    "LimitExceededException",
                    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
                ));
            }
            table::check_index_limits(def)?;
            table::prune_definitions(def);
            if let Some(p) = protection {
                def.deletion_protection = p;
            }
            Ok(Value::Null)
        },
    )?;
    cx.store.read(&[cx.key(name)], |t| match t[0] {
        Some(t) => Ok(json!({ "TableDescription": t.describe("ACTIVE") })),
        None => Err(DdbError::table_not_found(name)),
    })
}

/// The table a `ResourceArn` names, in this account and region.
fn arn_table<'a>(cx: &Cx, o: &'a Obj) -> Result<(&'a str, &'a str), DdbError> {
    let arn = input::opt_str(o, "ResourceArn")?;
    let mut v = Violations::new();
    v.not_null(arn, "resourceArn");
    v.length(arn, "resourceArn", 1, 1283);
    v.into_result()?;
    let arn = arn.unwrap_or_default();
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let name = match parts.as_slice() {
        ["arn", _, "dynamodb", region, account, res] if *region == cx.region && *account == cx.account => {
            res.strip_prefix("table/").filter(|n| !n.contains('/'))
        }
        _ => None,
    };
    match name {
        Some(n) if !n.is_empty() => Ok((arn, n)),
        _ => Err(DdbError::validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        ))),
    }
}

fn arn_missing(arn: &str) -> DdbError {
    DdbError::new(
        "ResourceNotFoundException",
        format!("Requested resource not found: ResourcArn: {arn} not found"),
    )
}

pub fn tag_resource(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let (arn, name) = arn_table(cx, o)?;
    let mut v = Violations::new();
    let tags = table::read_tags(o, "tags", &mut v)?;
    v.not_null(tags.as_ref(), "tags");
    v.into_result()?;
    let tags = tags.unwrap_or_default();
    table::check_tags(&tags)?;
    update_def(
        cx,
        cx.key(name),
        || arn_missing(arn),
        |def| {
            for (k, val) in tags {
                match def.tags.iter_mut().find(|(ek, _)| *ek == k) {
                    Some(e) => e.1 = val,
                    None => def.tags.push((k, val)),
                }
            }
            table::check_tags(&def.tags)?;
            Ok(json!({}))
        },
    )
}

pub fn untag_resource(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let (arn, name) = arn_table(cx, o)?;
    let keys = input::opt_str_list(o, "TagKeys")?;
    let mut v = Violations::new();
    v.not_null(keys.as_ref(), "tagKeys");
    v.into_result()?;
    let keys = keys.unwrap_or_default();
    update_def(
        cx,
        cx.key(name),
        || arn_missing(arn),
        |def| {
            def.tags.retain(|(k, _)| !keys.contains(k));
            Ok(json!({}))
        },
    )
}

pub fn list_tags(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let (arn, name) = arn_table(cx, o)?;
    cx.store.read(&[cx.key(name)], |t| match t[0] {
        Some(t) => {
            Ok(json!({ "Tags": t.def.tags.iter().map(|(k, v)| json!({"Key": k, "Value": v})).collect::<Vec<_>>() }))
        }
        None => Err(arn_missing(arn)),
    })
}

pub fn put_resource_policy(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let (arn, name) = arn_table(cx, o)?;
    let policy = input::opt_str(o, "Policy")?;
    let expected = input::opt_str(o, "ExpectedRevisionId")?;
    let mut v = Violations::new();
    v.not_null(policy, "policy");
    v.length(expected, "expectedRevisionId", 1, 255);
    v.into_result()?;
    let policy = policy.unwrap_or_default();
    if policy.len() > MAX_POLICY_BYTES {
        return Err(DdbError::validation(format!(
            "Policy size exceeds the maximum allowed size of 20 KB (found {} bytes)",
            policy.len()
        )));
    }
    let now_ms = cx.now.saturating_mul(1000);
    update_def(
        cx,
        cx.key(name),
        || DdbError::table_not_found(name),
        |def| {
            match (&def.policy, expected) {
                (Some(cur), Some("NO_POLICY")) => {
                    return Err(DdbError::new(
                        "PolicyNotFoundException",
                        format!(
                            "Resource-based policy not found for the provided ResourceArn: Requested policy update expecting none to be present for table {name}, but a policy exists with revision id {}.",
                            cur.revision
                        ),
                    ));
                }
                (Some(cur), Some(e)) if e != cur.revision => {
                    return Err(DdbError::new(
                        "PolicyNotFoundException",
                        format!(
                            "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {e}, but the policy associated to target table {name} has revision id {}.",
                            cur.revision
                        ),
                    ));
                }
                (None, Some(e)) if e != "NO_POLICY" => {
                    return Err(DdbError::new(
                        "PolicyNotFoundException",
                        format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
                    ));
                }
                (Some(cur), _) if cur.text == policy => return Ok(json!({ "RevisionId": cur.revision })),
                _ => {}
            }
            let revision = next_revision(def.policy.as_ref(), now_ms);
            def.policy = Some(ResourcePolicy {
                text: policy.to_string(),
                revision: revision.clone(),
            });
            Ok(json!({ "RevisionId": revision }))
        },
    )
}

/// Revision ids look like DynamoDB's (epoch milliseconds) and always grow.
fn next_revision(cur: Option<&ResourcePolicy>, now_ms: i64) -> String {
    let prev = cur.and_then(|p| p.revision.parse::<i64>().ok()).unwrap_or(0);
    now_ms.max(prev + 1).to_string()
}

pub fn get_resource_policy(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let (arn, name) = arn_table(cx, o)?;
    cx.store.read(&[cx.key(name)], |t| match t[0] {
        None => Err(DdbError::table_not_found(name)),
        Some(t) => match &t.def.policy {
            Some(p) => Ok(json!({ "Policy": p.text, "RevisionId": p.revision })),
            None => Err(DdbError::new(
                "PolicyNotFoundException",
                format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
            )),
        },
    })
}

pub fn delete_resource_policy(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let (arn, name) = arn_table(cx, o)?;
    let expected = input::opt_str(o, "ExpectedRevisionId")?;
    update_def(
        cx,
        cx.key(name),
        || DdbError::table_not_found(name),
        |def| {
            let Some(cur) = def.policy.take() else {
                return Err(DdbError::new(
                    "PolicyNotFoundException",
                    format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
                ));
            };
            if let Some(e) = expected
                && e != cur.revision
            {
                return Err(DdbError::new(
                    "PolicyNotFoundException",
                    format!(
                        "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id {e}, but the policy associated to target table {name} has revision id {}.",
                        cur.revision
                    ),
                ));
            }
            Ok(json!({ "RevisionId": cur.revision }))
        },
    )
}

/// TTL is not emulated; SDKs and infrastructure tools ask, so the answer is
/// DynamoDB's for a table without TTL.
pub fn describe_ttl(cx: &Cx, o: &Obj) -> Result<Value, DdbError> {
    let name = table_name(o)?;
    cx.store.read(&[cx.key(name)], |t| match t[0] {
        Some(_) => Ok(json!({ "TimeToLiveDescription": { "TimeToLiveStatus": "DISABLED" } })),
        None => Err(DdbError::table_not_found(name)),
    })
}
