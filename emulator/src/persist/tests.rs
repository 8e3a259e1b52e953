use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::*;
use crate::dynamodb::service::Tables;

const ACCOUNT: &str = "222222222222";
const REGION: &str = "eu-west-2";
const NOW: i64 = 1_767_225_600;

/// A fresh directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("rolechain-persist-{name}-{}-{nanos}", std::process::id()));
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A change log that keeps every batch in memory, durable at once.
#[derive(Default)]
struct Recorder {
    batches: Mutex<Vec<Vec<Change>>>,
}

impl ChangeLog for Recorder {
    fn append(&self, changes: &[Change]) -> Result<u64, String> {
        let mut b = self.batches.lock().unwrap();
        b.push(changes.to_vec());
        Ok(b.len() as u64)
    }

    fn wait(&self, _ticket: u64) -> Result<(), String> {
        Ok(())
    }
}

fn run(tables: &Tables, op: &str, input: Value) -> Value {
    tables
        .execute(ACCOUNT, REGION, op, &input, NOW)
        .unwrap_or_else(|e| panic!("{op}: {e}"))
}

fn every_value_item(id: &str) -> Value {
    json!({
        "pk": {"S": id}, "sk": {"N": "1.50"},
        "s": {"S": "text\u{0}with nul"}, "n": {"N": "-12345678901234567890.123"},
        "b": {"B": "AAEC/w=="}, "t": {"BOOL": true}, "z": {"NULL": true},
        "m": {"M": {"inner": {"L": [{"S": "a"}, {"N": "2"}, {"M": {}}]}}},
        "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["3", "1"]}, "bs": {"BS": ["AQ==", "Ag=="]},
        "gk": {"S": "g"}
    })
}

/// Every kind of change, made through the operations themselves.
fn make_every_change(tables: &Tables) {
    run(
        tables,
        "CreateTable",
        json!({
            "TableName": "tbl",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "b", "AttributeType": "B"}
            ],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "LocalSecondaryIndexes": [{
                "IndexName": "by-b",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["s"]}
            }],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 7},
            "Tags": [{"Key": "team", "Value": "orders"}]
        }),
    );
    run(
        tables,
        "PutItem",
        json!({"TableName": "tbl", "Item": every_value_item("a")}),
    );
    run(
        tables,
        "PutItem",
        json!({"TableName": "tbl", "Item": every_value_item("b")}),
    );
    run(
        tables,
        "UpdateItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1.5"}},
               "UpdateExpression": "ADD c :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}),
    );
    run(
        tables,
        "DeleteItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "b"}, "sk": {"N": "1.5"}}}),
    );
    run(
        tables,
        "UpdateTable",
        json!({
            "TableName": "tbl",
            "AttributeDefinitions": [{"AttributeName": "gk", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
            }}]
        }),
    );
    run(
        tables,
        "CreateTable",
        json!({
            "TableName": "gone",
            "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"
        }),
    );
    run(
        tables,
        "PutItem",
        json!({"TableName": "gone", "Item": {"k": {"S": "x"}}}),
    );
    run(tables, "DeleteTable", json!({"TableName": "gone"}));
}

/// What a client can see of the tables: every table described (without
/// volatile fields) and scanned, and an index queried.
fn observe(tables: &Tables) -> Value {
    let names = run(tables, "ListTables", json!({}));
    let mut out = vec![names.clone()];
    for name in names["TableNames"].as_array().unwrap() {
        let mut d = run(tables, "DescribeTable", json!({"TableName": name}));
        d["Table"].as_object_mut().unwrap().remove("TableStatus");
        out.push(d);
        out.push(run(tables, "Scan", json!({"TableName": name})));
    }
    out.push(run(
        tables,
        "Query",
        json!({"TableName": "tbl", "IndexName": "by-g", "KeyConditionExpression": "gk = :g",
               "ExpressionAttributeValues": {":g": {"S": "g"}}}),
    ));
    Value::Array(out)
}

#[test]
fn every_change_kind_round_trips_through_the_codec() {
    let tables = Tables::new();
    let recorder = Arc::new(Recorder::default());
    tables.store().set_change_log(recorder.clone());
    make_every_change(&tables);
    let batches = recorder.batches.lock().unwrap().clone();
    let mut kinds = std::collections::BTreeSet::new();
    for batch in &batches {
        let bytes = codec::encode_batch(batch).unwrap();
        let back = codec::decode_batch(&bytes).unwrap();
        assert_eq!(format!("{batch:?}"), format!("{back:?}"));
        for c in batch {
            kinds.insert(match c {
                Change::CreateTable(_) => "CreateTable",
                Change::UpdateTable(_) => "UpdateTable",
                Change::DeleteTable(_) => "DeleteTable",
                Change::Put { .. } => "Put",
                Change::Delete { .. } => "Delete",
            });
        }
    }
    assert_eq!(kinds.len(), 5, "{kinds:?}");
}

#[test]
fn replaying_the_batches_in_order_rebuilds_the_store_and_order_matters() {
    let tables = Tables::new();
    let recorder = Arc::new(Recorder::default());
    tables.store().set_change_log(recorder.clone());
    make_every_change(&tables);
    run(
        &tables,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, "sk": {"N": "1"}, "v": {"N": "1"}}}),
    );
    run(
        &tables,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "k"}, "sk": {"N": "1"}, "v": {"N": "2"}}}),
    );
    let batches = recorder.batches.lock().unwrap().clone();

    let replayed = Tables::new();
    for batch in &batches {
        replayed.store().replay(batch);
    }
    assert_eq!(observe(&tables), observe(&replayed));

    // The same batches in another order give another store: the last two
    // puts of one key swapped leave the older value.
    let mut swapped = batches.clone();
    let n = swapped.len();
    swapped.swap(n - 1, n - 2);
    let other = Tables::new();
    for batch in &swapped {
        other.store().replay(batch);
    }
    let get = |t: &Tables| {
        run(
            t,
            "GetItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "k"}, "sk": {"N": "1"}}}),
        )
    };
    assert_eq!(get(&replayed)["Item"]["v"]["N"], "2");
    assert_eq!(get(&other)["Item"]["v"]["N"], "1");
}

#[test]
fn iam_state_round_trips_without_sessions() {
    let mut state = crate::world::seed_world(NOW).unwrap().state;
    state.insert_session(
        crate::state::Session {
            access_key_id: "ASIAEXAMPLE".into(),
            secret: "s".into(),
            token: "t".into(),
            issued_at: NOW,
            expires_at: NOW + 3600,
            kind: crate::state::SessionKind::User {
                account: ACCOUNT.into(),
                user: None,
            },
        },
        NOW,
    );
    let bytes = Persister::encode_iam(&state).unwrap();
    let back: State = serde_json::from_slice(&bytes).unwrap();
    assert!(back.sessions.is_empty());
    assert!(!back.accounts.is_empty());
    assert_eq!(format!("{:?}", state.accounts), format!("{:?}", back.accounts));
    assert_eq!(format!("{:?}", state.aws_managed), format!("{:?}", back.aws_managed));
    assert_eq!(state.access_keys.len(), back.access_keys.len());
    let again = Persister::encode_iam(&back).unwrap();
    let as_json = |b: &[u8]| serde_json::from_slice::<Value>(b).unwrap();
    assert!(
        as_json(&bytes) == as_json(&again),
        "the IAM state changed in a round trip"
    );
}

/// Opens `dir` into fresh tables: (persister, tables, what was loaded).
fn reopen(dir: &std::path::Path, every: u64) -> (Arc<Persister>, Tables, Option<Loaded>) {
    let p = Persister::open_with(dir, every).unwrap();
    let tables = Tables::new();
    let loaded = p.load(tables.store()).unwrap();
    tables.store().set_change_log(p.clone());
    (p, tables, loaded)
}

#[test]
fn a_state_directory_keeps_tables_items_and_iam_across_reopening() {
    let dir = TempDir::new("reopen");
    let state = crate::world::seed_world(NOW).unwrap().state;
    let before = {
        let (p, tables, loaded) = reopen(&dir.0, MIN_SNAPSHOT_EVERY);
        assert!(loaded.is_none(), "a new directory holds nothing");
        make_every_change(&tables);
        p.save_iam(Persister::encode_iam(&state).unwrap(), "ab".repeat(20).as_str())
            .unwrap();
        observe(&tables)
    };
    let (_p, tables, loaded) = reopen(&dir.0, MIN_SNAPSHOT_EVERY);
    let loaded = loaded.expect("initialized");
    assert_eq!(loaded.thumbprint, "ab".repeat(20));
    assert_eq!(format!("{:?}", loaded.state.accounts), format!("{:?}", state.accounts));
    assert!(loaded.log_entries > 0);
    assert_eq!(observe(&tables), before);
}

#[test]
fn snapshots_compact_the_log_and_reload_the_same_tables() {
    let dir = TempDir::new("snapshot");
    let before = {
        let (p, tables, _) = reopen(&dir.0, 5);
        p.save_iam(Persister::encode_iam(&State::default()).unwrap(), "")
            .unwrap();
        make_every_change(&tables);
        for i in 0..40 {
            run(
                &tables,
                "PutItem",
                json!({"TableName": "tbl", "Item": {"pk": {"S": format!("p{}", i % 7)}, "sk": {"N": i.to_string()}, "gk": {"S": "g"}}}),
            );
        }
        p.flush().unwrap();
        observe(&tables)
    };
    let (p, tables, loaded) = reopen(&dir.0, 5);
    let loaded = loaded.expect("initialized");
    // Snapshots were taken along the way: the log holds only what followed the last.
    assert!(loaded.log_entries < 20, "{}", loaded.log_entries);
    assert_eq!(observe(&tables), before);
    // A snapshot at start-up, then the same again.
    tables.store().snapshot().unwrap();
    p.flush().unwrap();
    drop(p);
    drop(tables);
    let (p, tables, loaded) = reopen(&dir.0, MIN_SNAPSHOT_EVERY);
    assert_eq!(loaded.unwrap().log_entries, 0);
    assert_eq!(observe(&tables), before);
    // Writes after a start on an empty log come back too: their tickets
    // follow the snapshot's, so the next start does not skip them.
    run(
        &tables,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "late"}, "sk": {"N": "1"}}}),
    );
    let after = observe(&tables);
    p.flush().unwrap();
    drop(p);
    drop(tables);
    let (_p, tables, loaded) = reopen(&dir.0, MIN_SNAPSHOT_EVERY);
    assert_eq!(loaded.unwrap().log_entries, 1);
    assert_eq!(observe(&tables), after);
}

#[test]
fn a_directory_never_initialized_is_cleared() {
    let dir = TempDir::new("uninit");
    {
        let (p, tables, _) = reopen(&dir.0, MIN_SNAPSHOT_EVERY);
        make_every_change(&tables);
        p.flush().unwrap();
        // No IAM state saved: the start that wrote this never finished.
    }
    let (_p, tables, loaded) = reopen(&dir.0, MIN_SNAPSHOT_EVERY);
    assert!(loaded.is_none());
    assert_eq!(run(&tables, "ListTables", json!({}))["TableNames"], json!([]));
}

#[test]
fn a_corrupt_file_is_an_error_naming_it() {
    let dir = TempDir::new("corrupt");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join(FILE), vec![0x5a; 8192]).unwrap();
    let e = Persister::open(&dir.0).unwrap_err();
    assert!(e.contains(FILE), "{e}");
}

#[test]
fn an_unreadable_log_entry_is_an_error_naming_the_file_and_entry() {
    let dir = TempDir::new("badentry");
    {
        let (p, tables, _) = reopen(&dir.0, MIN_SNAPSHOT_EVERY);
        make_every_change(&tables);
        p.save_iam(Persister::encode_iam(&State::default()).unwrap(), "")
            .unwrap();
        let txn = p.db.begin_write().unwrap();
        txn.open_table(LOG)
            .unwrap()
            .insert(999_999, &b"[{\"op\":\"nope\"}]"[..])
            .unwrap();
        txn.commit().unwrap();
    }
    let p = Persister::open(&dir.0).unwrap();
    let e = p.load(&Store::new()).unwrap_err();
    assert!(e.contains(FILE) && e.contains("dynamodb_log entry 999999"), "{e}");
}

#[test]
fn a_second_emulator_on_the_same_directory_is_refused() {
    let dir = TempDir::new("locked");
    let _first = Persister::open(&dir.0).unwrap();
    let e = Persister::open(&dir.0).unwrap_err();
    assert!(e.contains("in use"), "{e}");
}

/// A log that refuses appends, or whose batches never become durable.
struct Broken {
    refuse_append: bool,
}

impl ChangeLog for Broken {
    fn append(&self, _changes: &[Change]) -> Result<u64, String> {
        if self.refuse_append {
            Err("disk full".into())
        } else {
            Ok(1)
        }
    }

    fn wait(&self, _ticket: u64) -> Result<(), String> {
        Err("fsync failed".into())
    }
}

#[test]
fn a_refused_append_applies_nothing() {
    let tables = Tables::new();
    make_every_change(&tables);
    tables.store().set_change_log(Arc::new(Broken { refuse_append: true }));
    let e = tables
        .execute(
            ACCOUNT,
            REGION,
            "PutItem",
            &json!({"TableName": "tbl", "Item": every_value_item("new")}),
            NOW,
        )
        .unwrap_err();
    assert_eq!((e.code, e.status), ("InternalServerError", 500));
    let got = run(
        &tables,
        "GetItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "new"}, "sk": {"N": "1.5"}}}),
    );
    assert!(got.get("Item").is_none(), "{got}");
}

#[test]
fn a_change_that_never_becomes_durable_is_never_shown() {
    let tables = Tables::new();
    make_every_change(&tables);
    tables.store().set_change_log(Arc::new(Broken { refuse_append: false }));
    let put = json!({"TableName": "tbl", "Item": every_value_item("new")});
    let e = tables.execute(ACCOUNT, REGION, "PutItem", &put, NOW).unwrap_err();
    assert_eq!(e.code, "InternalServerError");
    // The table now holds a change that is not durable: nothing reads it.
    let get = json!({"TableName": "tbl", "Key": {"pk": {"S": "new"}, "sk": {"N": "1.5"}}});
    let e = tables.execute(ACCOUNT, REGION, "GetItem", &get, NOW).unwrap_err();
    assert_eq!(e.code, "InternalServerError");
    let e = tables
        .execute(ACCOUNT, REGION, "Scan", &json!({"TableName": "tbl"}), NOW)
        .unwrap_err();
    assert_eq!(e.code, "InternalServerError");
}
