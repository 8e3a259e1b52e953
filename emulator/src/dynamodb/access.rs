//! Authorization of DynamoDB operations (spec §5): for each operation, the
//! actions DynamoDB evaluates, on which table or index ARN, with which
//! condition keys (`dynamodb:LeadingKeys`, `dynamodb:Attributes`,
//! `dynamodb:Select`, `dynamodb:ReturnValues`,
//! `dynamodb:ReturnConsumedCapacity`, `dynamodb:EnclosingOperation`, and the
//! global keys). Every access is decided by the evaluator, with the table's
//! resource-based policy and its account's RCPs on the resource side, before
//! anything is read or written.

use std::collections::BTreeSet;

use rolechain_policy::kind::PolicyKind;
use rolechain_policy::request::{Context, Request};
use rolechain_policy::wire::PolicySpec;
use serde_json::Value;

use super::service::DdbError;
use crate::authz::{self, Caller};
use crate::emulator::Emulator;
use crate::sts::Trail;

/// Where an operation lands: the account and region of its tables, and the
/// input with table ARNs turned into names.
#[derive(Debug, Clone)]
pub struct Target {
    pub account: String,
    pub region: String,
    pub input: Value,
}

/// One access an operation makes, as IAM sees it.
#[derive(Debug, Clone)]
struct Access {
    action: String,
    /// The table or index ARN (`*` for ListTables).
    resource: String,
    /// The table whose resource policy applies.
    table: Option<String>,
    context: Context,
}

fn validation(message: impl Into<String>) -> DdbError {
    DdbError {
        code: "ValidationException",
        message: message.into(),
        status: 400,
        extra: None,
    }
}

/// A table reference: a name in the caller's account and the emulator's
/// region, or a table ARN (cross-account access by resource policy).
fn table_ref(name: &str, caller: &Caller, region: &str) -> Result<(String, String, String), DdbError> {
    if let Some(rest) = name.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if let [_, "dynamodb", table_region, account, resource] = parts.as_slice()
            && let Some(table) = resource.strip_prefix("table/")
        {
            let table = table.split('/').next().unwrap_or(table);
            return Ok((account.to_string(), table_region.to_string(), table.to_string()));
        }
        return Err(validation(format!("Invalid TableName: {name} is not a table ARN")));
    }
    Ok((caller.account.clone(), region.to_string(), name.to_string()))
}

/// Resolves the operation's account and region from its table names or ARNs.
pub fn resolve(emulator: &Emulator, caller: &Caller, operation: &str, input: &Value) -> Result<Target, DdbError> {
    let region = emulator.region.clone();
    let mut input = input.clone();
    let mut places: BTreeSet<(String, String)> = BTreeSet::new();
    let mut rename = |value: &mut Value| -> Result<(), DdbError> {
        if let Some(name) = value.as_str() {
            let (account, table_region, table) = table_ref(name, caller, &region)?;
            places.insert((account, table_region));
            *value = Value::String(table);
        }
        Ok(())
    };
    match operation {
        "BatchGetItem" | "BatchWriteItem" => {
            if let Some(Value::Object(items)) = input.get_mut("RequestItems") {
                let renamed: Vec<(String, Value)> = std::mem::take(items).into_iter().collect();
                for (name, value) in renamed {
                    let mut key = Value::String(name);
                    rename(&mut key)?;
                    items.insert(key.as_str().unwrap_or_default().to_string(), value);
                }
            }
        }
        "TransactGetItems" | "TransactWriteItems" => {
            if let Some(Value::Array(items)) = input.get_mut("TransactItems") {
                for item in items.iter_mut() {
                    if let Some(Value::Object(op)) = Some(item)
                        && let Some((_, body)) = op.iter_mut().next()
                        && let Some(name) = body.get_mut("TableName")
                    {
                        rename(name)?;
                    }
                }
            }
        }
        _ => {
            if let Some(name) = input.get_mut("TableName") {
                rename(name)?;
            } else if let Some(arn) = input.get("ResourceArn").and_then(Value::as_str) {
                let (account, table_region, _) = table_ref(arn, caller, &region)?;
                places.insert((account, table_region));
            }
        }
    }
    match places.len() {
        0 => Ok(Target {
            account: caller.account.clone(),
            region,
            input,
        }),
        1 => {
            let (account, region) = places.into_iter().next().unwrap_or_default();
            Ok(Target { account, region, input })
        }
        _ => Err(validation(
            "rolechain serves a batch or transaction over tables of one account and region only",
        )),
    }
}

/// Decides every access the operation makes; the first denial is the answer.
pub fn authorize(
    emulator: &Emulator,
    caller: &Caller,
    operation: &str,
    input: &Value,
    target: &Target,
    trail: &mut Trail,
) -> Result<(), DdbError> {
    let accesses = accesses(emulator, operation, &target.input, target);
    let _ = input;
    let state = emulator.read_state();
    let mut base = caller.context(&state);
    let now = emulator.clock.now();
    base.set("aws:CurrentTime", crate::clock::iso8601(now));
    base.set("aws:EpochTime", now.to_string());
    // Clients reach the emulator over plain HTTP, but AWS endpoints are
    // HTTPS-only: requests are judged as AWS would judge them.
    base.set("aws:SecureTransport", "true");
    base.set("aws:RequestedRegion", target.region.clone());
    let identity_side = authz::caller_policies(&state, caller);
    for access in accesses {
        let policy = access
            .table
            .as_deref()
            .and_then(|t| emulator.table_resource_policy(&target.account, &target.region, t))
            .map(|text| {
                PolicySpec::new(
                    PolicyKind::DynamodbTable,
                    &format!("{} (resource policy)", access.resource),
                    &text,
                )
            });
        let set = authz::with_resource(identity_side.clone(), &state, &target.account, policy);
        let mut context = base.clone();
        for (key, value) in access.context.iter() {
            match value {
                rolechain_policy::request::ContextValue::Single(v) => {
                    context.set(key, v.clone());
                }
                rolechain_policy::request::ContextValue::Multi(vs) => {
                    context.set_multi(key, vs.clone());
                }
            }
        }
        let request = Request {
            principal: caller.principal.clone(),
            action: access.action.clone(),
            resource: access.resource.clone(),
            resource_account: Some(target.account.clone()),
            context,
        };
        let decision = emulator.authorizer.decide(&set, &request).map_err(|e| DdbError {
            code: "InternalServerError",
            message: format!("The policy evaluator failed: {e}"),
            status: 500,
            extra: None,
        })?;
        let allowed = decision.is_allowed();
        let message = decision.message.clone();
        trail
            .decisions
            .push((access.action.clone(), access.resource.clone(), decision));
        if !allowed {
            return Err(DdbError {
                code: "AccessDeniedException",
                message: message.unwrap_or_else(|| {
                    format!(
                        "User: {} is not authorized to perform: {} on resource: {}",
                        caller.arn(),
                        access.action,
                        access.resource
                    )
                }),
                status: 400,
                extra: None,
            });
        }
    }
    Ok(())
}

fn table_arn(target: &Target, table: &str) -> String {
    format!("arn:aws:dynamodb:{}:{}:table/{table}", target.region, target.account)
}

/// The accesses of one operation, in the order DynamoDB checks them.
fn accesses(emulator: &Emulator, operation: &str, input: &Value, target: &Target) -> Vec<Access> {
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let mut out = Vec::new();
    let mut on_table = |action: &str, table: &str, index: Option<&str>, context: Context| {
        let resource = match index {
            Some(i) => format!("{}/index/{i}", table_arn(target, table)),
            None => table_arn(target, table),
        };
        out.push(Access {
            action: format!("dynamodb:{action}"),
            resource,
            table: Some(table.to_string()),
            context,
        });
    };
    match operation {
        "ListTables" => {
            return vec![Access {
                action: "dynamodb:ListTables".into(),
                resource: "*".into(),
                table: None,
                context: Context::new(),
            }];
        }
        "BatchGetItem" | "BatchWriteItem" => {
            if let Some(Value::Object(items)) = input.get("RequestItems") {
                for (table, request) in items {
                    let keys = super::conditions::batch_leading_keys(emulator, target, table, operation, request);
                    on_table(operation, table, None, keys);
                }
            }
        }
        "TransactGetItems" | "TransactWriteItems" => {
            if let Some(Value::Array(items)) = input.get("TransactItems") {
                for item in items {
                    let Some((kind, body)) = item.as_object().and_then(|o| o.iter().next()) else {
                        continue;
                    };
                    let action = match kind.as_str() {
                        "Get" => "GetItem",
                        "Put" => "PutItem",
                        "Update" => "UpdateItem",
                        "Delete" => "DeleteItem",
                        "ConditionCheck" => "ConditionCheckItem",
                        _ => continue,
                    };
                    let Some(table) = str_of(body, "TableName") else {
                        continue;
                    };
                    let mut context = super::conditions::item_keys(emulator, target, &table, action, body);
                    context.set("dynamodb:EnclosingOperation", operation);
                    on_table(action, &table, None, context);
                }
            }
        }
        _ => {
            let table = str_of(input, "TableName").or_else(|| {
                str_of(input, "ResourceArn").and_then(|arn| {
                    arn.split("table/")
                        .nth(1)
                        .map(|t| t.split('/').next().unwrap_or(t).to_string())
                })
            });
            if let Some(table) = table {
                let index = str_of(input, "IndexName");
                let context = super::conditions::item_keys(emulator, target, &table, operation, input);
                on_table(operation, &table, index.as_deref(), context);
            }
        }
    }
    out
}
