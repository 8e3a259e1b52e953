//! Table definitions: key schema, attribute definitions, secondary indexes,
//! billing, tags and the resource policy, parsed from CreateTable /
//! UpdateTable with DynamoDB's validation and rendered as DescribeTable's
//! `TableDescription`.
//!
//! Validation order and wording follow DynamoDB (API reference "CreateTable";
//! developer guide "Service, account, and table quotas in Amazon DynamoDB"):
//! Coral constraint violations first, all at once; then the semantic checks
//! one at a time.

use serde_json::{Value, json};

use super::ops::input::{self, Obj, Violations};
use super::service::DdbError;

/// The three types a key attribute may have (`ScalarAttributeType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScalarType {
    S,
    N,
    B,
}

impl ScalarType {
    pub fn as_str(self) -> &'static str {
        match self {
            ScalarType::S => "S",
            ScalarType::N => "N",
            ScalarType::B => "B",
        }
    }

    fn parse(s: &str) -> Option<ScalarType> {
        match s {
            "S" => Some(ScalarType::S),
            "N" => Some(ScalarType::N),
            "B" => Some(ScalarType::B),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttr {
    pub name: String,
    pub ty: ScalarType,
}

/// A partition key and an optional sort key (table or index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySchema {
    pub hash: KeyAttr,
    pub range: Option<KeyAttr>,
}

impl KeySchema {
    pub fn attrs(&self) -> impl Iterator<Item = &KeyAttr> {
        std::iter::once(&self.hash).chain(self.range.as_ref())
    }

    pub fn to_json(&self) -> Value {
        let mut v = vec![json!({"AttributeName": self.hash.name, "KeyType": "HASH"})];
        if let Some(r) = &self.range {
            v.push(json!({"AttributeName": r.name, "KeyType": "RANGE"}));
        }
        Value::Array(v)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projection {
    All,
    KeysOnly,
    Include(Vec<String>),
}

impl Projection {
    fn to_json(&self) -> Value {
        match self {
            Projection::All => json!({"ProjectionType": "ALL"}),
            Projection::KeysOnly => json!({"ProjectionType": "KEYS_ONLY"}),
            Projection::Include(attrs) => json!({"ProjectionType": "INCLUDE", "NonKeyAttributes": attrs}),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throughput {
    pub read: i64,
    pub write: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    pub name: String,
    /// Global (own partition key, eventually consistent) or local (the
    /// table's partition key, another sort key).
    pub global: bool,
    pub keys: KeySchema,
    pub projection: Projection,
    pub throughput: Option<Throughput>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourcePolicy {
    pub text: String,
    pub revision: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    pub name: String,
    pub account: String,
    pub region: String,
    pub id: String,
    /// Epoch seconds.
    pub created: i64,
    pub keys: KeySchema,
    /// As sent, in the order sent (DescribeTable echoes it).
    pub attribute_definitions: Vec<KeyAttr>,
    /// Local indexes first, then global ones, each in the order created.
    pub indexes: Vec<IndexDef>,
    /// `None`: PAY_PER_REQUEST.
    pub throughput: Option<Throughput>,
    pub billing_changed: Option<i64>,
    /// In the order added; keys unique.
    pub tags: Vec<(String, String)>,
    pub policy: Option<ResourcePolicy>,
    pub deletion_protection: bool,
}

pub const MAX_LSIS: usize = 5;
pub const MAX_GSIS: usize = 20;
/// "Projected secondary index attributes per table": 100 across all indexes.
pub const MAX_PROJECTED: usize = 100;

fn invalid(msg: impl std::fmt::Display) -> DdbError {
    DdbError::validation(format!("One or more parameter values were invalid: {msg}"))
}

pub fn table_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:dynamodb:{region}:{account}:table/{name}")
}

impl TableDef {
    pub fn arn(&self) -> String {
        table_arn(&self.region, &self.account, &self.name)
    }

    pub fn index(&self, name: &str) -> Option<(usize, &IndexDef)> {
        self.indexes.iter().enumerate().find(|(_, i)| i.name == name)
    }

    pub fn key_names(&self) -> Vec<&str> {
        self.keys.attrs().map(|k| k.name.as_str()).collect()
    }

    /// The type an attribute must have because some key (table or index) uses it.
    pub fn key_type(&self, attr: &str) -> Option<ScalarType> {
        self.attribute_definitions.iter().find(|a| a.name == attr).map(|a| a.ty)
    }

    /// `TableDescription` as DescribeTable shows it. `stats` = (item count,
    /// size in bytes) of the table and then of each index, in index order.
    pub fn describe(&self, status: &str, table_stats: (u64, u64), index_stats: &[(u64, u64)]) -> Value {
        let arn = self.arn();
        let throughput = |t: Option<Throughput>| {
            let t = t.unwrap_or(Throughput { read: 0, write: 0 });
            json!({"NumberOfDecreasesToday": 0, "ReadCapacityUnits": t.read, "WriteCapacityUnits": t.write})
        };
        let mut d = json!({
            "AttributeDefinitions": self.attribute_definitions.iter()
                .map(|a| json!({"AttributeName": a.name, "AttributeType": a.ty.as_str()})).collect::<Vec<_>>(),
            "TableName": self.name,
            "KeySchema": self.keys.to_json(),
            "TableStatus": status,
            "CreationDateTime": self.created,
            "ProvisionedThroughput": throughput(self.throughput),
            "TableSizeBytes": table_stats.1,
            "ItemCount": table_stats.0,
            "TableArn": arn,
            "TableId": self.id,
            "DeletionProtectionEnabled": self.deletion_protection,
        });
        if self.throughput.is_none() {
            d["BillingModeSummary"] = json!({
                "BillingMode": "PAY_PER_REQUEST",
                "LastUpdateToPayPerRequestDateTime": self.billing_changed.unwrap_or(self.created),
            });
        } else if self.billing_changed.is_some() {
            d["BillingModeSummary"] = json!({"BillingMode": "PROVISIONED"});
        }
        let mut lsis = Vec::new();
        let mut gsis = Vec::new();
        for (i, idx) in self.indexes.iter().enumerate() {
            let (count, size) = index_stats.get(i).copied().unwrap_or((0, 0));
            let mut e = json!({
                "IndexName": idx.name,
                "KeySchema": idx.keys.to_json(),
                "Projection": idx.projection.to_json(),
                "IndexSizeBytes": size,
                "ItemCount": count,
                "IndexArn": format!("{arn}/index/{}", idx.name),
            });
            if idx.global {
                e["IndexStatus"] = json!(status_for_index(status));
                e["ProvisionedThroughput"] = throughput(idx.throughput);
                gsis.push(e);
            } else {
                lsis.push(e);
            }
        }
        if !lsis.is_empty() {
            d["LocalSecondaryIndexes"] = Value::Array(lsis);
        }
        if !gsis.is_empty() {
            d["GlobalSecondaryIndexes"] = Value::Array(gsis);
        }
        d
    }
}

fn status_for_index(table_status: &str) -> &str {
    if table_status == "DELETING" {
        "DELETING"
    } else {
        "ACTIVE"
    }
}

/// One `KeySchema` list as sent, before semantic checks.
struct RawKeys {
    elems: Vec<(String, String)>,
}

fn read_key_schema(o: &Obj, path: &str, v: &mut Violations) -> Result<Option<RawKeys>, DdbError> {
    let Some(list) = input::opt_list(o, "KeySchema")? else {
        v.not_null(None::<()>, &format!("{path}keySchema"));
        return Ok(None);
    };
    let mut elems = Vec::new();
    for (i, e) in list.iter().enumerate() {
        let Some(e) = input::as_struct(e)? else { continue };
        let name = input::opt_str(e, "AttributeName")?;
        let kt = input::opt_str(e, "KeyType")?;
        let m = format!("{path}keySchema.{}.member", i + 1);
        v.not_null(name, &format!("{m}.attributeName"));
        v.length(name, &format!("{m}.attributeName"), 1, 255);
        v.not_null(kt, &format!("{m}.keyType"));
        v.one_of(kt, &format!("{m}.keyType"), &["HASH", "RANGE"]);
        elems.push((name.unwrap_or_default().to_string(), kt.unwrap_or_default().to_string()));
    }
    let shown = format!(
        "[{}]",
        elems
            .iter()
            .map(|(n, t)| format!("KeySchemaElement(attributeName={n}, keyType={t})"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    v.count(Some(elems.len()), &shown, &format!("{path}keySchema"), 1, 2);
    Ok(Some(RawKeys { elems }))
}

fn read_throughput(o: &Obj, path: &str, v: &mut Violations) -> Result<Option<Throughput>, DdbError> {
    let Some(t) = input::opt_struct(o, "ProvisionedThroughput")? else {
        return Ok(None);
    };
    let r = input::opt_int(t, "ReadCapacityUnits", "Long")?;
    let w = input::opt_int(t, "WriteCapacityUnits", "Long")?;
    let p = format!("{path}provisionedThroughput");
    v.not_null(w, &format!("{p}.writeCapacityUnits"));
    v.range(w, &format!("{p}.writeCapacityUnits"), 1, i64::MAX);
    v.not_null(r, &format!("{p}.readCapacityUnits"));
    v.range(r, &format!("{p}.readCapacityUnits"), 1, i64::MAX);
    Ok(Some(Throughput {
        read: r.unwrap_or(0),
        write: w.unwrap_or(0),
    }))
}

/// Provisioned capacity beyond this is refused (DynamoDB's own bound).
const MAX_CAPACITY: i64 = 1_000_000_000_000;

fn check_capacity(t: Option<Throughput>) -> Result<(), DdbError> {
    if let Some(t) = t {
        if t.read > MAX_CAPACITY {
            return Err(DdbError::validation(format!(
                "Given value {} for ReadCapacityUnits is out of bounds",
                t.read
            )));
        }
        if t.write > MAX_CAPACITY {
            return Err(DdbError::validation(format!(
                "Given value {} for WriteCapacityUnits is out of bounds",
                t.write
            )));
        }
    }
    Ok(())
}

struct RawIndex {
    name: String,
    keys: RawKeys,
    projection_type: Option<String>,
    non_key: Option<Vec<String>>,
    throughput: Option<Throughput>,
}

fn read_index(e: &Obj, path: &str, global: bool, v: &mut Violations) -> Result<Option<RawIndex>, DdbError> {
    let name = input::opt_str(e, "IndexName")?;
    v.not_null(name, &format!("{path}.indexName"));
    v.name_pattern(name, &format!("{path}.indexName"));
    v.length(name, &format!("{path}.indexName"), 3, 255);
    let keys = read_key_schema(e, &format!("{path}."), v)?;
    let projection = input::opt_struct(e, "Projection")?;
    v.not_null(projection, &format!("{path}.projection"));
    let (mut projection_type, mut non_key) = (None, None);
    if let Some(p) = projection {
        projection_type = input::opt_str(p, "ProjectionType")?.map(str::to_string);
        v.one_of(
            projection_type.as_deref(),
            &format!("{path}.projection.projectionType"),
            &["ALL", "INCLUDE", "KEYS_ONLY"],
        );
        non_key = input::opt_str_list(p, "NonKeyAttributes")?;
        if let Some(nk) = &non_key {
            let shown = format!("[{}]", nk.join(", "));
            v.count(
                Some(nk.len()),
                &shown,
                &format!("{path}.projection.nonKeyAttributes"),
                1,
                20,
            );
        }
    }
    let throughput = if global {
        read_throughput(e, &format!("{path}."), v)?
    } else {
        None
    };
    Ok(keys.map(|keys| RawIndex {
        name: name.unwrap_or_default().to_string(),
        keys,
        projection_type,
        non_key,
        throughput,
    }))
}

/// Checks one key schema against the attribute definitions and makes it typed.
fn typed_keys(raw: &RawKeys, defs: &[KeyAttr]) -> Result<KeySchema, DdbError> {
    let names: Vec<&str> = raw.elems.iter().map(|(n, _)| n.as_str()).collect();
    let def_names: Vec<&str> = defs.iter().map(|d| d.name.as_str()).collect();
    if names.iter().any(|n| !def_names.contains(n)) {
        if names.len() == 2 && defs.len() < 2 {
            return Err(DdbError::validation(
                "Invalid KeySchema: Some index key attribute have no definition",
            ));
        }
        return Err(invalid(format!(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: [{}], AttributeDefinitions: [{}]",
            names.join(", "),
            def_names.join(", ")
        )));
    }
    if names.len() == 2 && names[0] == names[1] {
        return Err(DdbError::validation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name",
        ));
    }
    if raw.elems.first().map(|(_, t)| t.as_str()) != Some("HASH") {
        return Err(DdbError::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    if raw.elems.get(1).is_some_and(|(_, t)| t != "RANGE") {
        return Err(DdbError::validation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type",
        ));
    }
    let attr = |n: &str| KeyAttr {
        name: n.to_string(),
        ty: defs.iter().find(|d| d.name == n).map(|d| d.ty).unwrap_or(ScalarType::S),
    };
    Ok(KeySchema {
        hash: attr(names[0]),
        range: names.get(1).map(|n| attr(n)),
    })
}

fn typed_projection(raw: &RawIndex, keys: &[&str]) -> Result<Projection, DdbError> {
    let Some(pt) = raw.projection_type.as_deref() else {
        return Err(invalid("Unknown ProjectionType: null"));
    };
    if raw.non_key.is_some() && pt != "INCLUDE" {
        return Err(invalid(format!(
            "ProjectionType is {pt}, but NonKeyAttributes is specified"
        )));
    }
    Ok(match pt {
        "ALL" => Projection::All,
        "KEYS_ONLY" => Projection::KeysOnly,
        _ => {
            let Some(nk) = &raw.non_key else {
                return Err(invalid(
                    "ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
                ));
            };
            let mut seen = Vec::new();
            for a in nk {
                if seen.contains(&a) {
                    return Err(invalid(format!("Duplicate element in NonKeyAttributes: {a}")));
                }
                seen.push(a);
            }
            // Key attributes are always projected; listing one is allowed and a no-op.
            Projection::Include(nk.iter().filter(|a| !keys.contains(&a.as_str())).cloned().collect())
        }
    })
}

/// Checks the billing mode against the throughput given (developer guide
/// "Read/write capacity mode"), returning the table's throughput (None:
/// on-demand).
fn billing(mode: Option<&str>, t: Option<Throughput>) -> Result<Option<Throughput>, DdbError> {
    match mode.unwrap_or("PROVISIONED") {
        "PAY_PER_REQUEST" => {
            if t.is_some() {
                return Err(invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ));
            }
            Ok(None)
        }
        _ => match t {
            Some(t) => Ok(Some(t)),
            None => Err(invalid(
                "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            )),
        },
    }
}

pub fn read_tags(o: &Obj, member: &str, v: &mut Violations) -> Result<Option<Vec<(String, String)>>, DdbError> {
    let Some(list) = input::opt_list(o, "Tags")? else {
        return Ok(None);
    };
    let mut tags = Vec::new();
    for (i, t) in list.iter().enumerate() {
        let Some(t) = input::as_struct(t)? else { continue };
        let k = input::opt_str(t, "Key")?;
        let val = input::opt_str(t, "Value")?;
        let m = format!("{member}.{}.member", i + 1);
        v.not_null(k, &format!("{m}.key"));
        v.length(k, &format!("{m}.key"), 1, 128);
        v.not_null(val, &format!("{m}.value"));
        v.length(val, &format!("{m}.value"), 0, 256);
        tags.push((k.unwrap_or_default().to_string(), val.unwrap_or_default().to_string()));
    }
    Ok(Some(tags))
}

/// Tag keys and values: Unicode letters, digits, white space and `_ . : / = + - @`
/// (developer guide "Tagging restrictions"); `aws:` is reserved.
pub fn check_tags(tags: &[(String, String)]) -> Result<(), DdbError> {
    let ok = |s: &str| {
        s.chars()
            .all(|c| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c))
    };
    for (k, v) in tags {
        if !ok(k) || !ok(v) {
            return Err(DdbError::validation(
                "One or more parameter values were invalid: Invalid tag key or value",
            ));
        }
        if k.starts_with("aws:") {
            return Err(DdbError::validation(
                "One or more parameter values were invalid: Tag keys starting with 'aws:' are reserved for system use",
            ));
        }
    }
    if tags.len() > 50 {
        return Err(DdbError::new(
            "LimitExceededException",
            "The number of tags exceeds the limit of 50",
        ));
    }
    Ok(())
}

/// The parts of a CreateTable request that describe the table.
pub fn parse_create_table(o: &Obj, account: &str, region: &str, now: i64) -> Result<TableDef, DdbError> {
    let mut v = Violations::new();
    // Coral checks members in its model's order; the message lists them so.
    let defs_raw = input::opt_list(o, "AttributeDefinitions")?;
    v.not_null(defs_raw, "attributeDefinitions");
    let mut defs = Vec::new();
    for (i, d) in defs_raw.into_iter().flatten().enumerate() {
        let Some(d) = input::as_struct(d)? else { continue };
        let n = input::opt_str(d, "AttributeName")?;
        let t = input::opt_str(d, "AttributeType")?;
        let m = format!("attributeDefinitions.{}.member", i + 1);
        v.not_null(n, &format!("{m}.attributeName"));
        v.length(n, &format!("{m}.attributeName"), 1, 255);
        v.not_null(t, &format!("{m}.attributeType"));
        v.one_of(t, &format!("{m}.attributeType"), &["B", "N", "S"]);
        if let (Some(n), Some(ty)) = (n, t.and_then(ScalarType::parse)) {
            defs.push(KeyAttr {
                name: n.to_string(),
                ty,
            });
        }
    }
    let name = input::opt_str(o, "TableName")?;
    v.not_null(name, "tableName");
    v.table_name(name, "tableName");
    let keys_raw = read_key_schema(o, "", &mut v)?;
    let mut raw_indexes = Vec::new();
    for (member, global) in [("LocalSecondaryIndexes", false), ("GlobalSecondaryIndexes", true)] {
        let Some(list) = input::opt_list(o, member)? else {
            continue;
        };
        let path = if global {
            "globalSecondaryIndexes"
        } else {
            "localSecondaryIndexes"
        };
        let mut these = Vec::new();
        for (i, e) in list.iter().enumerate() {
            let Some(e) = input::as_struct(e)? else { continue };
            if let Some(ix) = read_index(e, &format!("{path}.{}.member", i + 1), global, &mut v)? {
                these.push(ix);
            }
        }
        raw_indexes.push((global, these));
    }
    let billing_mode = input::opt_str(o, "BillingMode")?;
    v.one_of(billing_mode, "billingMode", &["PROVISIONED", "PAY_PER_REQUEST"]);
    let throughput = read_throughput(o, "", &mut v)?;
    let tags = read_tags(o, "tags", &mut v)?;
    let deletion_protection = input::opt_bool(o, "DeletionProtectionEnabled")?.unwrap_or(false);
    if let Some(c) = input::opt_str(o, "TableClass")? {
        v.one_of(Some(c), "tableClass", &["STANDARD", "STANDARD_INFREQUENT_ACCESS"]);
    }
    v.into_result()?;
    let (Some(name), Some(keys_raw)) = (name, keys_raw) else {
        return Err(DdbError::validation(
            "The paramater 'tableName' is required but was not present in the request",
        ));
    };

    check_capacity(throughput)?;
    let keys = typed_keys(&keys_raw, &defs)?;
    let mut names_seen: Vec<String> = Vec::new();
    let mut indexes = Vec::new();
    let has_indexes = !raw_indexes.is_empty();
    if !has_indexes && keys_raw.elems.len() != defs_raw.map_or(0, Vec::len) {
        return Err(invalid(
            "Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
        ));
    }
    let table_key_names: Vec<&str> = keys.attrs().map(|k| k.name.as_str()).collect();
    for (global, list) in &raw_indexes {
        let kind = if *global {
            "GlobalSecondaryIndexes"
        } else {
            "LocalSecondaryIndexes"
        };
        if list.is_empty() {
            return Err(invalid(format!("List of {kind} is empty")));
        }
        if !global && keys.range.is_none() {
            return Err(invalid(
                "Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ));
        }
        for raw in list {
            let ikeys = typed_keys(&raw.keys, &defs)?;
            if !global {
                if ikeys.range.is_none() {
                    return Err(invalid(format!(
                        "Index KeySchema does not have a range key for index: {}",
                        raw.name
                    )));
                }
                if ikeys.hash.name != keys.hash.name {
                    return Err(invalid(format!(
                        "Index KeySchema does not have the same leading hash key as table KeySchema for index: {}. index hash key: {}, table hash key: {}",
                        raw.name, ikeys.hash.name, keys.hash.name
                    )));
                }
            }
            let mut all_keys = table_key_names.clone();
            all_keys.extend(ikeys.attrs().map(|k| k.name.as_str()));
            let projection = typed_projection(raw, &all_keys)?;
            if names_seen.contains(&raw.name) {
                return Err(invalid(format!("Duplicate index name: {}", raw.name)));
            }
            names_seen.push(raw.name.clone());
            let throughput = index_throughput(&raw.name, billing_mode, raw.throughput)?;
            indexes.push(IndexDef {
                name: raw.name.clone(),
                global: *global,
                keys: ikeys,
                projection,
                throughput,
            });
        }
        let (count, limit, what) = if *global {
            (list.len(), MAX_GSIS, "GlobalSecondaryIndex")
        } else {
            (list.len(), MAX_LSIS, "LocalSecondaryIndex")
        };
        if count > limit {
            return Err(invalid(format!("{what} count exceeds the per-table limit of {limit}")));
        }
    }
    if has_indexes {
        let mut used: Vec<&str> = table_key_names.clone();
        for ix in &indexes {
            for k in ix.keys.attrs() {
                if !used.contains(&k.name.as_str()) {
                    used.push(&k.name);
                }
            }
        }
        if defs.iter().any(|d| !used.contains(&d.name.as_str())) {
            return Err(invalid(format!(
                "Some AttributeDefinitions are not used. AttributeDefinitions: [{}], keys used: [{}]",
                defs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>().join(", "),
                used.join(", ")
            )));
        }
    }
    check_projected_total(&indexes)?;
    for d in &defs {
        if defs.iter().filter(|e| e.name == d.name).count() > 1 {
            return Err(DdbError::validation("Cannot have two attributes with the same name"));
        }
    }
    let throughput = billing(billing_mode, throughput)?;
    let tags = tags.unwrap_or_default();
    check_tags(&tags)?;
    // LSIs are listed first so that index positions are stable when GSIs come and go.
    indexes.sort_by_key(|i| i.global);
    Ok(TableDef {
        name: name.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        id: uuid::Uuid::new_v4().to_string(),
        created: now,
        keys,
        attribute_definitions: defs,
        indexes,
        throughput,
        billing_changed: None,
        tags,
        policy: None,
        deletion_protection,
    })
}

fn index_throughput(name: &str, mode: Option<&str>, t: Option<Throughput>) -> Result<Option<Throughput>, DdbError> {
    match (mode.unwrap_or("PROVISIONED"), t) {
        ("PAY_PER_REQUEST", Some(_)) => Err(invalid(format!(
            "ProvisionedThroughput should not be specified for index: {name} when BillingMode is PAY_PER_REQUEST"
        ))),
        ("PAY_PER_REQUEST", None) => Ok(None),
        (_, t) => Ok(t),
    }
}

fn check_projected_total(indexes: &[IndexDef]) -> Result<(), DdbError> {
    let total: usize = indexes
        .iter()
        .map(|i| match &i.projection {
            Projection::Include(a) => a.len(),
            _ => 0,
        })
        .sum();
    if total > MAX_PROJECTED {
        return Err(invalid(format!(
            "The sum of distinct attributes across all indexes exceeds the per-table limit of {MAX_PROJECTED}"
        )));
    }
    Ok(())
}

/// A GSI to add in UpdateTable (`GlobalSecondaryIndexUpdates[].Create`),
/// checked against the table; `defs` are the table's definitions merged
/// with the request's.
pub fn parse_gsi_create(
    e: &Obj,
    path: &str,
    table: &TableDef,
    defs: &[KeyAttr],
    v: &mut Violations,
) -> Result<Option<IndexDef>, DdbError> {
    let Some(raw) = read_index(e, path, true, v)? else {
        return Ok(None);
    };
    let keys = typed_keys(&raw.keys, defs)?;
    let mut all_keys = table.key_names();
    all_keys.extend(keys.attrs().map(|k| k.name.as_str()));
    let projection = typed_projection(&raw, &all_keys)?;
    if table.index(&raw.name).is_some() {
        return Err(invalid(format!("Index with name: {} already exists", raw.name)));
    }
    let throughput = match (table.throughput.is_some(), raw.throughput) {
        (false, Some(_)) => {
            return Err(invalid(format!(
                "ProvisionedThroughput should not be specified for index: {} when BillingMode is PAY_PER_REQUEST",
                raw.name
            )));
        }
        (true, None) => {
            return Err(invalid(format!(
                "ProvisionedThroughput must be specified for index: {}",
                raw.name
            )));
        }
        (_, t) => t,
    };
    Ok(Some(IndexDef {
        name: raw.name,
        global: true,
        keys,
        projection,
        throughput,
    }))
}

/// UpdateTable's `BillingMode` + `ProvisionedThroughput` applied to a table.
pub fn update_billing(
    table: &mut TableDef,
    mode: Option<&str>,
    t: Option<Throughput>,
    now: i64,
) -> Result<bool, DdbError> {
    check_capacity(t)?;
    let changed = match (mode, t) {
        (Some("PAY_PER_REQUEST"), Some(_)) => {
            return Err(invalid(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ));
        }
        (Some("PAY_PER_REQUEST"), None) => {
            let was = table.throughput.take().is_some();
            if was {
                table.billing_changed = Some(now);
                for ix in table.indexes.iter_mut() {
                    ix.throughput = None;
                }
            }
            was
        }
        (Some(_), None) if table.throughput.is_none() => {
            return Err(invalid(
                "ProvisionedThroughput must be specified when BillingMode is PROVISIONED",
            ));
        }
        (_, Some(t)) => {
            if table.throughput.is_none() && mode != Some("PROVISIONED") {
                return Err(invalid(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
                ));
            }
            if table.throughput.is_none() {
                table.billing_changed = Some(now);
                for ix in table.indexes.iter_mut().filter(|i| i.global) {
                    ix.throughput = Some(t);
                }
            }
            table.throughput = Some(t);
            true
        }
        _ => false,
    };
    Ok(changed)
}

pub fn merge_definitions(table: &TableDef, extra: &[KeyAttr]) -> Result<Vec<KeyAttr>, DdbError> {
    let mut defs = table.attribute_definitions.clone();
    for d in extra {
        match defs.iter().find(|e| e.name == d.name) {
            Some(e) if e.ty != d.ty => {
                return Err(invalid(format!(
                    "Cannot change the type of the attribute {} (from {} to {})",
                    d.name,
                    e.ty.as_str(),
                    d.ty.as_str()
                )));
            }
            Some(_) => {}
            None => defs.push(d.clone()),
        }
    }
    Ok(defs)
}

/// UpdateTable's `AttributeDefinitions`.
pub fn read_definitions(o: &Obj, v: &mut Violations) -> Result<Vec<KeyAttr>, DdbError> {
    let mut defs = Vec::new();
    for (i, d) in input::opt_list(o, "AttributeDefinitions")?
        .into_iter()
        .flatten()
        .enumerate()
    {
        let Some(d) = input::as_struct(d)? else { continue };
        let n = input::opt_str(d, "AttributeName")?;
        let t = input::opt_str(d, "AttributeType")?;
        let m = format!("attributeDefinitions.{}.member", i + 1);
        v.not_null(n, &format!("{m}.attributeName"));
        v.not_null(t, &format!("{m}.attributeType"));
        v.one_of(t, &format!("{m}.attributeType"), &["B", "N", "S"]);
        if let (Some(n), Some(ty)) = (n, t.and_then(ScalarType::parse)) {
            defs.push(KeyAttr {
                name: n.to_string(),
                ty,
            });
        }
    }
    Ok(defs)
}

/// After GSIs were removed, definitions no key uses any more are dropped
/// (DescribeTable shows only used ones).
pub fn prune_definitions(table: &mut TableDef) {
    let used: Vec<String> = table
        .keys
        .attrs()
        .chain(table.indexes.iter().flat_map(|i| i.keys.attrs()))
        .map(|k| k.name.clone())
        .collect();
    table.attribute_definitions.retain(|d| used.contains(&d.name));
}

pub fn read_throughput_member(o: &Obj, v: &mut Violations) -> Result<Option<Throughput>, DdbError> {
    read_throughput(o, "", v)
}

pub fn check_index_limits(table: &TableDef) -> Result<(), DdbError> {
    let gsis = table.indexes.iter().filter(|i| i.global).count();
    if gsis > MAX_GSIS {
        return Err(DdbError::new(
            "LimitExceededException",
            format!(
                "Subscriber limit exceeded: The number of global secondary indexes exceeds the limit of {MAX_GSIS}"
            ),
        ));
    }
    check_projected_total(&table.indexes)
}
