//! The on-disk form of a DynamoDB [`Change`]: JSON, with items in DynamoDB's
//! own JSON (`{"S": "x"}`), so a log entry reads the way the wire does and
//! decoding re-validates every value. Table definitions go through mirror
//! types here, so `dynamodb::table` needs no serde of its own.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dynamodb::store::{Change, TableKey};
use crate::dynamodb::table::{
    IndexDef, KeyAttr, KeySchema, Projection, ResourcePolicy, ScalarType, TableDef, Throughput,
};
use crate::dynamodb::value::{Item, item_from_json, item_to_json};

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", deny_unknown_fields)]
enum ChangeRepr {
    CreateTable { def: DefRepr },
    UpdateTable { def: DefRepr },
    DeleteTable { table: TableKey },
    Put { table: TableKey, item: Value },
    Delete { table: TableKey, key: Value },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DefRepr {
    name: String,
    account: String,
    region: String,
    id: String,
    created: i64,
    keys: KeysRepr,
    attribute_definitions: Vec<(String, String)>,
    indexes: Vec<IndexRepr>,
    throughput: Option<(i64, i64)>,
    billing_changed: Option<i64>,
    tags: Vec<(String, String)>,
    policy: Option<(String, String)>,
    deletion_protection: bool,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeysRepr {
    hash: (String, String),
    range: Option<(String, String)>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IndexRepr {
    name: String,
    global: bool,
    keys: KeysRepr,
    /// `ALL`, `KEYS_ONLY`, or `INCLUDE` with `include`.
    projection: String,
    include: Vec<String>,
    throughput: Option<(i64, i64)>,
}

fn attr_out(a: &KeyAttr) -> (String, String) {
    (a.name.clone(), a.ty.as_str().to_string())
}

fn attr_in((name, ty): (String, String)) -> Result<KeyAttr, String> {
    let ty = match ty.as_str() {
        "S" => ScalarType::S,
        "N" => ScalarType::N,
        "B" => ScalarType::B,
        other => return Err(format!("attribute {name}: unknown type {other:?}")),
    };
    Ok(KeyAttr { name, ty })
}

fn keys_out(k: &KeySchema) -> KeysRepr {
    KeysRepr {
        hash: attr_out(&k.hash),
        range: k.range.as_ref().map(attr_out),
    }
}

fn keys_in(k: KeysRepr) -> Result<KeySchema, String> {
    Ok(KeySchema {
        hash: attr_in(k.hash)?,
        range: k.range.map(attr_in).transpose()?,
    })
}

fn throughput_out(t: &Option<Throughput>) -> Option<(i64, i64)> {
    t.map(|t| (t.read, t.write))
}

fn throughput_in(t: Option<(i64, i64)>) -> Option<Throughput> {
    t.map(|(read, write)| Throughput { read, write })
}

fn def_out(d: &TableDef) -> DefRepr {
    DefRepr {
        name: d.name.clone(),
        account: d.account.clone(),
        region: d.region.clone(),
        id: d.id.clone(),
        created: d.created,
        keys: keys_out(&d.keys),
        attribute_definitions: d.attribute_definitions.iter().map(attr_out).collect(),
        indexes: d
            .indexes
            .iter()
            .map(|i| {
                let (projection, include) = match &i.projection {
                    Projection::All => ("ALL", Vec::new()),
                    Projection::KeysOnly => ("KEYS_ONLY", Vec::new()),
                    Projection::Include(names) => ("INCLUDE", names.clone()),
                };
                IndexRepr {
                    name: i.name.clone(),
                    global: i.global,
                    keys: keys_out(&i.keys),
                    projection: projection.to_string(),
                    include,
                    throughput: throughput_out(&i.throughput),
                }
            })
            .collect(),
        throughput: throughput_out(&d.throughput),
        billing_changed: d.billing_changed,
        tags: d.tags.clone(),
        policy: d.policy.as_ref().map(|p| (p.text.clone(), p.revision.clone())),
        deletion_protection: d.deletion_protection,
    }
}

fn def_in(d: DefRepr) -> Result<TableDef, String> {
    let mut indexes = Vec::with_capacity(d.indexes.len());
    for i in d.indexes {
        let projection = match i.projection.as_str() {
            "ALL" => Projection::All,
            "KEYS_ONLY" => Projection::KeysOnly,
            "INCLUDE" => Projection::Include(i.include),
            other => return Err(format!("index {}: unknown projection {other:?}", i.name)),
        };
        indexes.push(IndexDef {
            keys: keys_in(i.keys)?,
            name: i.name,
            global: i.global,
            projection,
            throughput: throughput_in(i.throughput),
        });
    }
    Ok(TableDef {
        keys: keys_in(d.keys)?,
        attribute_definitions: d
            .attribute_definitions
            .into_iter()
            .map(attr_in)
            .collect::<Result<_, _>>()?,
        name: d.name,
        account: d.account,
        region: d.region,
        id: d.id,
        created: d.created,
        indexes,
        throughput: throughput_in(d.throughput),
        billing_changed: d.billing_changed,
        tags: d.tags,
        policy: d.policy.map(|(text, revision)| ResourcePolicy { text, revision }),
        deletion_protection: d.deletion_protection,
    })
}

fn item_in(v: &Value) -> Result<Item, String> {
    item_from_json(v).map_err(|e| format!("item: {}", e.message))
}

fn change_out(c: &Change) -> ChangeRepr {
    match c {
        Change::CreateTable(d) => ChangeRepr::CreateTable { def: def_out(d) },
        Change::UpdateTable(d) => ChangeRepr::UpdateTable { def: def_out(d) },
        Change::DeleteTable(t) => ChangeRepr::DeleteTable { table: t.clone() },
        Change::Put { table, item } => ChangeRepr::Put {
            table: table.clone(),
            item: item_to_json(item),
        },
        Change::Delete { table, key } => ChangeRepr::Delete {
            table: table.clone(),
            key: item_to_json(key),
        },
    }
}

fn change_in(c: ChangeRepr) -> Result<Change, String> {
    Ok(match c {
        ChangeRepr::CreateTable { def } => Change::CreateTable(Box::new(def_in(def)?)),
        ChangeRepr::UpdateTable { def } => Change::UpdateTable(Box::new(def_in(def)?)),
        ChangeRepr::DeleteTable { table } => Change::DeleteTable(table),
        ChangeRepr::Put { table, item } => Change::Put {
            table,
            item: item_in(&item)?,
        },
        ChangeRepr::Delete { table, key } => Change::Delete {
            table,
            key: item_in(&key)?,
        },
    })
}

/// One batch as stored: a JSON array of changes.
pub fn encode_batch(changes: &[Change]) -> Result<Vec<u8>, String> {
    let reprs: Vec<ChangeRepr> = changes.iter().map(change_out).collect();
    serde_json::to_vec(&reprs).map_err(|e| e.to_string())
}

pub fn decode_batch(bytes: &[u8]) -> Result<Vec<Change>, String> {
    let reprs: Vec<ChangeRepr> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    reprs.into_iter().map(change_in).collect()
}
