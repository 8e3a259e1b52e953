//! The item store: every table of every account and region, each with its
//! items in one ordered map and its secondary indexes as ordered maps of
//! keys only.
//!
//! # Where changes go
//!
//! Nothing outside this file mutates a table. An operation reads under read
//! locks ([`Store::read`]) or, to write, hands [`Store::write`] a closure that
//! sees the locked tables read-only and returns the [`Change`]s it wants.
//! Table creation and deletion go through [`Store::create_table`] and
//! [`Store::drop_table`], which make a `CreateTable` / `DeleteTable` change
//! the same way. Replaying the batches in order onto an empty store
//! ([`Store::replay`]) rebuilds it. A batch is all-or-nothing: the closure
//! validates everything first, and applying a validated change cannot fail.
//!
//! # Durability: log first, apply, answer once durable
//!
//! With a [`ChangeLog`] installed (`--state-dir`, see `crate::persist`), a
//! committed batch goes, in this order:
//!
//! 1. under the locks of every table it touches, [`ChangeLog::append`] queues
//!    it and returns its ticket (its position in the one log order). If the
//!    log refuses (it has already failed), nothing is applied and the
//!    operation fails with `InternalServerError`;
//! 2. still under the locks, the batch is applied in memory and each table it
//!    touches remembers the ticket;
//! 3. the locks are released, and the operation waits ([`ChangeLog::wait`])
//!    until its ticket is durable before it answers. Other writers join the
//!    same fsync meanwhile (group commit), even on the same table.
//!
//! Log order is commit order per table (appending happens under the table
//! locks), and the log becomes durable in prefixes, so a batch's durability
//! implies that of every batch it could have depended on.
//!
//! Readers wait too: an operation that saw a table (a read, or a write whose
//! closure refused) waits until the last batch applied to that table is
//! durable before it answers; one that found a table missing waits for the
//! last table creation or deletion. So no answer, of any operation, shows a
//! change that is not durable. The check costs one load when nothing is
//! pending. If making a batch durable fails, that batch and every later one
//! answer `InternalServerError`, the log refuses every later append, and
//! every table holding a change that is not durable answers
//! `InternalServerError` to every later operation: the change stays in memory
//! but is never shown, and a restart reloads exactly what was durable.
//!
//! [`Store::snapshot`] hands the log a copy of every table taken under all the
//! locks, a cut of the log order, so that the log can be compacted.

//! # Layout and order
//!
//! A table's storage key is `fnv1a64(partition key bytes)` (8 bytes, big
//! endian) followed by the escaped partition key and the escaped sort key.
//! Items of one partition are therefore contiguous and sorted by sort key in
//! DynamoDB's order (strings by UTF-8 bytes, numbers numerically, binaries by
//! unsigned bytes: [`AttributeValue::key_bytes`]), so Query is a range scan,
//! logarithmic in the table size. Partitions follow each other in the order of
//! their hash, which is what Scan returns: DynamoDB also scans in hashed
//! partition-key order, which applications must not rely on; ours is stable
//! across runs. Parallel scan segments are contiguous ranges of the hash
//! space.
//!
//! An index entry's key is the same layout for the index's own keys, followed
//! by the table's storage key (so entries with equal index keys are distinct
//! and ordered by table key); its value is the table's storage key. Items are
//! never copied into indexes; a projection is applied when an index is read.
//!
//! Escaping (`0x00` → `0x00 0xFF`, then a `0x00 0x00` terminator) keeps byte
//! order and makes every component self-delimiting, so a prefix is exactly a
//! partition, or a partition plus a sort-key prefix (`begins_with`).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::service::DdbError;
use super::table::{IndexDef, KeySchema, Projection, TableDef};
use super::value::{AttributeValue, Item, item_size};

/// (account, region, table name): tables are per account and region.
pub type TableKey = (String, String, String);

/// One committed change, as a persistence layer would log it.
#[derive(Debug, Clone)]
pub enum Change {
    CreateTable(Box<TableDef>),
    /// New metadata for an existing table (indexes added or removed, billing,
    /// tags, resource policy). Indexes added are built from the items.
    UpdateTable(Box<TableDef>),
    DeleteTable(TableKey),
    /// Replaces the item with the same primary key, or adds it.
    Put {
        table: TableKey,
        item: Item,
    },
    /// `key` holds the primary key attributes only.
    Delete {
        table: TableKey,
        key: Item,
    },
}

/// Where committed batches go to be made durable (see the module doc for the
/// order of calls). Tickets are positive and increase in append order.
pub trait ChangeLog: Send + Sync {
    /// Queues one batch; called under the locks of the tables it touches,
    /// before it is applied. Must not wait for I/O. `Err`: the batch is
    /// refused and not applied.
    fn append(&self, changes: &[Change]) -> Result<u64, String>;
    /// Returns once every batch up to `ticket` is durable; `Err` when it
    /// never will be.
    fn wait(&self, ticket: u64) -> Result<(), String>;
    /// Whether a snapshot is due; `true` at most once per due snapshot (the
    /// caller then calls [`Store::snapshot`]).
    fn snapshot_due(&self) -> bool {
        false
    }
    /// Queues a snapshot: every table with its items, as they are after
    /// every batch appended so far (called under every lock of the store).
    fn snapshot(&self, _tables: Vec<(TableDef, Vec<Item>)>) -> Result<(), String> {
        Ok(())
    }
}

/// A durability failure, as the client sees it.
fn not_durable(message: String) -> DdbError {
    let mut e = DdbError::new("InternalServerError", format!("The state directory failed: {message}"));
    e.status = 500;
    e
}

/// One table: its definition, its items and its indexes.
#[derive(Debug)]
pub struct TableState {
    pub def: TableDef,
    /// Set under the write lock when the table is deleted, so an operation
    /// that found the table just before cannot write into it afterwards.
    dropped: bool,
    /// The ticket of the last logged batch applied here (0: none).
    seq: u64,
    items: BTreeMap<Vec<u8>, Item>,
    size: u64,
    indexes: Vec<IndexState>,
}

#[derive(Debug, Default)]
struct IndexState {
    entries: BTreeMap<Vec<u8>, Vec<u8>>,
    size: u64,
}

type Shared = Arc<RwLock<TableState>>;

pub struct Store {
    catalog: RwLock<BTreeMap<TableKey, Shared>>,
    /// The ticket of the last table creation or deletion.
    catalog_seq: AtomicU64,
    log: RwLock<Option<Arc<dyn ChangeLog>>>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.catalog.read().map(|c| c.len()).unwrap_or(0);
        f.debug_struct("Store").field("tables", &n).finish()
    }
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

/// A poisoned lock means a thread panicked while holding it; the data it
/// guards is still consistent (mutations are applied only after validation,
/// by code that does not panic), so the poison is cleared rather than spread.
fn rd<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(|e| e.into_inner())
}

fn wr<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(|e| e.into_inner())
}

impl Store {
    pub fn new() -> Store {
        Store {
            catalog: RwLock::new(BTreeMap::new()),
            catalog_seq: AtomicU64::new(0),
            log: RwLock::new(None),
        }
    }

    /// Installs the sink every later committed change goes to. Install it
    /// before the store serves anything (waiting callers hold a read lock on
    /// it).
    pub fn set_change_log(&self, log: Arc<dyn ChangeLog>) {
        *wr(&self.log) = Some(log);
    }

    fn change_log(&self) -> Option<Arc<dyn ChangeLog>> {
        rd(&self.log).clone()
    }

    /// Queues a batch in the log (if any): its ticket, 0 without a log.
    fn append(&self, changes: &[Change]) -> Result<u64, DdbError> {
        match self.change_log() {
            Some(log) if !changes.is_empty() => log.append(changes).map_err(not_durable),
            _ => Ok(0),
        }
    }

    /// Waits until `ticket` is durable (0: nothing to wait for).
    fn settle(&self, ticket: u64) -> Result<(), DdbError> {
        if ticket == 0 {
            return Ok(());
        }
        // No clone of the Arc: reads come here too, from every core.
        match rd(&self.log).as_ref() {
            Some(log) => log.wait(ticket).map_err(not_durable),
            None => Ok(()),
        }
    }

    /// The ticket an operation that saw these tables must wait for.
    fn seen<G: std::ops::Deref<Target = TableState>>(&self, guards: &[Option<G>]) -> u64 {
        let mut need = 0;
        for g in guards {
            match g {
                Some(t) => need = need.max(t.seq),
                None => need = need.max(self.catalog_seq.load(Ordering::Acquire)),
            }
        }
        need
    }

    /// Copies every table under all the locks (the catalog's, then the
    /// tables' in key order) and hands the copy to the log as a snapshot: no
    /// batch can be appended meanwhile, so the copy is a cut of the log order.
    pub fn snapshot(&self) -> Result<(), String> {
        let Some(log) = self.change_log() else { return Ok(()) };
        let catalog = rd(&self.catalog);
        let guards: Vec<RwLockReadGuard<'_, TableState>> = catalog.values().map(|s| rd(s)).collect();
        let tables = guards
            .iter()
            .map(|t| (t.def.clone(), t.items.values().cloned().collect()))
            .collect();
        log.snapshot(tables)
    }

    /// Applies logged batches (a snapshot's, then the log's) without logging
    /// them again: how a persistence layer reloads the store. A change to a
    /// table that does not exist is skipped.
    pub fn replay(&self, changes: &[Change]) {
        for change in changes {
            match change {
                Change::CreateTable(def) => {
                    let key = (def.account.clone(), def.region.clone(), def.name.clone());
                    let state = TableState {
                        indexes: def.indexes.iter().map(|_| IndexState::default()).collect(),
                        def: (**def).clone(),
                        dropped: false,
                        seq: 0,
                        items: BTreeMap::new(),
                        size: 0,
                    };
                    wr(&self.catalog).insert(key, Arc::new(RwLock::new(state)));
                }
                Change::DeleteTable(key) => {
                    wr(&self.catalog).remove(key);
                }
                Change::Put { table, .. } | Change::Delete { table, .. } => {
                    if let Some(shared) = self.shared(table) {
                        wr(&shared).apply(change);
                    }
                }
                Change::UpdateTable(def) => {
                    let key = (def.account.clone(), def.region.clone(), def.name.clone());
                    if let Some(shared) = self.shared(&key) {
                        wr(&shared).apply(change);
                    }
                }
            }
        }
    }

    /// After a logged write: takes a snapshot when the log says one is due.
    fn maybe_snapshot(&self) {
        if self.change_log().is_some_and(|log| log.snapshot_due())
            && let Err(e) = self.snapshot()
        {
            tracing::error!("cannot queue a snapshot of the DynamoDB tables: {e}");
        }
    }

    fn shared(&self, key: &TableKey) -> Option<Shared> {
        rd(&self.catalog).get(key).cloned()
    }

    /// Table names of one account and region, in name order.
    /// Waits for the last creation or deletion to be durable first (if that
    /// fails, the names are still returned: every operation on a table whose
    /// creation is not durable then fails).
    pub fn table_names(&self, account: &str, region: &str) -> Vec<String> {
        let names = rd(&self.catalog)
            .keys()
            .filter(|(a, r, _)| a == account && r == region)
            .map(|(_, _, n)| n.clone())
            .collect();
        let _ = self.settle(self.catalog_seq.load(Ordering::Acquire));
        names
    }

    pub fn create_table(&self, def: TableDef) -> Result<(), DdbError> {
        let key = (def.account.clone(), def.region.clone(), def.name.clone());
        let mut catalog = wr(&self.catalog);
        if catalog.contains_key(&key) {
            // Its creation, at or before the last one, is durable first.
            let need = self.catalog_seq.load(Ordering::Acquire);
            drop(catalog);
            self.settle(need)?;
            return Err(DdbError::new(
                "ResourceInUseException",
                format!("Table already exists: {}", def.name),
            ));
        }
        let ticket = self.append(&[Change::CreateTable(Box::new(def.clone()))])?;
        let state = TableState {
            indexes: def.indexes.iter().map(|_| IndexState::default()).collect(),
            def,
            dropped: false,
            seq: ticket,
            items: BTreeMap::new(),
            size: 0,
        };
        catalog.insert(key, Arc::new(RwLock::new(state)));
        self.catalog_seq.fetch_max(ticket, Ordering::AcqRel);
        drop(catalog);
        self.settle(ticket)
    }

    /// Removes a table after `check` (run under its write lock) allows it;
    /// returns what `check` returned.
    pub fn drop_table<R>(
        &self,
        key: &TableKey,
        check: impl FnOnce(&TableState) -> Result<R, DdbError>,
    ) -> Result<Option<R>, DdbError> {
        let mut catalog = wr(&self.catalog);
        let Some(shared) = catalog.get(key).cloned() else {
            let need = self.catalog_seq.load(Ordering::Acquire);
            drop(catalog);
            self.settle(need)?;
            return Ok(None);
        };
        let mut state = wr(&shared);
        let out = match check(&state) {
            Ok(out) => out,
            Err(e) => {
                let need = state.seq;
                drop(state);
                drop(catalog);
                self.settle(need)?;
                return Err(e);
            }
        };
        let ticket = self.append(&[Change::DeleteTable(key.clone())])?;
        state.dropped = true;
        state.seq = state.seq.max(ticket);
        state.items = BTreeMap::new();
        state.indexes.clear();
        catalog.remove(key);
        self.catalog_seq.fetch_max(ticket, Ordering::AcqRel);
        drop(state);
        drop(catalog);
        self.settle(ticket)?;
        Ok(Some(out))
    }

    /// Runs `f` on the tables named (each once, in `keys` order as given)
    /// under read locks, taken in key order. `None` for a table that does
    /// not exist.
    pub fn read<R>(
        &self,
        keys: &[TableKey],
        f: impl FnOnce(&[Option<&TableState>]) -> Result<R, DdbError>,
    ) -> Result<R, DdbError> {
        let shared: Vec<Option<Shared>> = keys.iter().map(|k| self.shared(k)).collect();
        let order = lock_order(keys);
        let mut guards: Vec<Option<RwLockReadGuard<'_, TableState>>> = (0..keys.len()).map(|_| None).collect();
        for i in order {
            if let Some(s) = &shared[i] {
                guards[i] = Some(rd(s));
            }
        }
        let need = self.seen(&guards);
        let out = {
            let views = views(keys, &guards);
            f(&views)
        };
        drop(guards);
        self.settle(need)?;
        out
    }

    /// Runs `f` on the tables named under write locks (taken in key order,
    /// so concurrent writers never deadlock), then logs the changes it
    /// returns, applies them, all of them, and returns once they are durable.
    /// `f` sees the tables as they are and must refuse (return Err) before
    /// anything is applied.
    pub fn write<R>(
        &self,
        keys: &[TableKey],
        f: impl FnOnce(&[Option<&TableState>]) -> Result<(R, Vec<Change>), DdbError>,
    ) -> Result<R, DdbError> {
        let shared: Vec<Option<Shared>> = keys.iter().map(|k| self.shared(k)).collect();
        let order = lock_order(keys);
        let mut guards: Vec<Option<RwLockWriteGuard<'_, TableState>>> = (0..keys.len()).map(|_| None).collect();
        for i in order {
            if let Some(s) = &shared[i] {
                guards[i] = Some(wr(s));
            }
        }
        let mut need = self.seen(&guards);
        let outcome = {
            let views = views(keys, &guards);
            f(&views)
        };
        let (out, changes) = match outcome {
            Ok(done) => done,
            Err(e) => {
                drop(guards);
                self.settle(need)?;
                return Err(e);
            }
        };
        let ticket = self.append(&changes)?;
        need = need.max(ticket);
        for change in &changes {
            let target = match change {
                Change::Put { table, .. } | Change::Delete { table, .. } => Some(table.clone()),
                Change::UpdateTable(def) => Some((def.account.clone(), def.region.clone(), def.name.clone())),
                Change::CreateTable(_) | Change::DeleteTable(_) => None,
            };
            let Some(target) = target else { continue };
            let Some(i) = keys.iter().position(|k| *k == target) else {
                continue;
            };
            if let Some(state) = guards[i].as_deref_mut() {
                state.apply(change);
                state.seq = state.seq.max(ticket);
            }
        }
        drop(guards);
        self.settle(need)?;
        if ticket != 0 {
            self.maybe_snapshot();
        }
        Ok(out)
    }
}

/// One view per key; a table named twice is locked once (at its first
/// position) and seen at both.
fn views<'a, G: std::ops::Deref<Target = TableState>>(
    keys: &[TableKey],
    guards: &'a [Option<G>],
) -> Vec<Option<&'a TableState>> {
    (0..keys.len())
        .map(|i| {
            let first = keys.iter().position(|k| *k == keys[i]).unwrap_or(i);
            guards.get(first).and_then(|g| g.as_deref()).filter(|t| !t.dropped)
        })
        .collect()
}

/// Indexes of `keys` in lock order: sorted by key, each table once.
fn lock_order(keys: &[TableKey]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|a, b| keys[*a].cmp(&keys[*b]));
    order.dedup_by(|a, b| keys[*a] == keys[*b]);
    order
}

// ---- key encoding ----------------------------------------------------------

/// FNV-1a, 64 bits: a fixed, documented hash, so Scan order and parallel-scan
/// segments are the same in every run.
pub fn partition_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn escape_body(bytes: &[u8], out: &mut Vec<u8>) {
    for b in bytes {
        out.push(*b);
        if *b == 0 {
            out.push(0xFF);
        }
    }
}

fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    escape_body(bytes, out);
    out.extend_from_slice(&[0, 0]);
}

/// The key bytes of an item's scalar key attribute (None: missing or not a scalar).
fn attr_bytes(item: &Item, name: &str) -> Option<Vec<u8>> {
    item.get(name).and_then(AttributeValue::key_bytes)
}

/// The prefix of a partition: hash then escaped partition key.
pub fn partition_prefix(pk: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(pk.len() + 12);
    out.extend_from_slice(&partition_hash(pk).to_be_bytes());
    escape(pk, &mut out);
    out
}

/// The storage (or index-entry) key prefix for `keys` in `item`; None when
/// the item lacks one of them (for an index: the item is not in it).
pub fn key_of(keys: &KeySchema, item: &Item) -> Option<Vec<u8>> {
    let pk = attr_bytes(item, &keys.hash.name)?;
    let mut out = partition_prefix(&pk);
    if let Some(r) = &keys.range {
        escape(&attr_bytes(item, &r.name)?, &mut out);
    }
    Some(out)
}

/// Appends a sort-key value to a partition prefix.
pub fn with_sort(prefix: &[u8], sk: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    escape(sk, &mut out);
    out
}

/// Appends a sort-key *prefix* (begins_with) to a partition prefix.
pub fn with_sort_prefix(prefix: &[u8], sk_prefix: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    escape_body(sk_prefix, &mut out);
    out
}

/// The first key after every key that starts with `prefix` (Excluded bound),
/// None when there is none (all 0xFF).
pub fn prefix_end(prefix: &[u8]) -> Bound<Vec<u8>> {
    let mut p = prefix.to_vec();
    while let Some(last) = p.pop() {
        if last < 0xFF {
            p.push(last + 1);
            return Bound::Excluded(p);
        }
    }
    Bound::Unbounded
}

/// The bounds of parallel-scan segment `segment` of `total`: a contiguous
/// range of the 64-bit hash space.
pub fn segment_bounds(segment: u64, total: u64) -> (Bound<Vec<u8>>, Bound<Vec<u8>>) {
    let start = |s: u64| -> u64 { ((u128::from(s) << 64) / u128::from(total.max(1))) as u64 };
    let lo = Bound::Included(start(segment).to_be_bytes().to_vec());
    let hi = if segment + 1 >= total {
        Bound::Unbounded
    } else {
        Bound::Excluded(start(segment + 1).to_be_bytes().to_vec())
    };
    (lo, hi)
}

/// The attributes of `item` an index holds: its keys, the table's keys, and
/// what its projection names.
pub fn project_for_index(def: &TableDef, index: &IndexDef, item: &Item) -> Item {
    match &index.projection {
        Projection::All => item.clone(),
        p => {
            let mut out = Item::new();
            for k in def.keys.attrs().chain(index.keys.attrs()) {
                if let Some(v) = item.get(&k.name) {
                    out.insert(k.name.clone(), v.clone());
                }
            }
            if let Projection::Include(names) = p {
                for n in names {
                    if let Some(v) = item.get(n) {
                        out.insert(n.clone(), v.clone());
                    }
                }
            }
            out
        }
    }
}

fn projected_size(def: &TableDef, index: &IndexDef, item: &Item) -> u64 {
    match index.projection {
        Projection::All => item_size(item) as u64,
        _ => item_size(&project_for_index(def, index, item)) as u64,
    }
}

impl TableState {
    pub fn key(&self) -> TableKey {
        (self.def.account.clone(), self.def.region.clone(), self.def.name.clone())
    }

    pub fn item_count(&self) -> u64 {
        self.items.len() as u64
    }

    pub fn size_bytes(&self) -> u64 {
        self.size
    }

    /// (item count, size) of each index, in index order.
    pub fn index_stats(&self) -> Vec<(u64, u64)> {
        self.indexes.iter().map(|i| (i.entries.len() as u64, i.size)).collect()
    }

    pub fn describe(&self, status: &str) -> serde_json::Value {
        self.def
            .describe(status, (self.item_count(), self.size_bytes()), &self.index_stats())
    }

    pub fn get(&self, storage_key: &[u8]) -> Option<&Item> {
        self.items.get(storage_key)
    }

    /// Items with storage keys in the range, forwards or backwards.
    pub fn range(
        &self,
        lo: Bound<Vec<u8>>,
        hi: Bound<Vec<u8>>,
        forward: bool,
    ) -> Box<dyn Iterator<Item = (&Vec<u8>, &Item)> + '_> {
        if bound_empty(&lo, &hi) {
            return Box::new(std::iter::empty());
        }
        let r = self.items.range((lo, hi));
        if forward { Box::new(r) } else { Box::new(r.rev()) }
    }

    /// Entries of index `i` with entry keys in the range: (entry key, item).
    pub fn index_range(
        &self,
        i: usize,
        lo: Bound<Vec<u8>>,
        hi: Bound<Vec<u8>>,
        forward: bool,
    ) -> Box<dyn Iterator<Item = (&Vec<u8>, &Item)> + '_> {
        let Some(ix) = self.indexes.get(i) else {
            return Box::new(std::iter::empty());
        };
        if bound_empty(&lo, &hi) {
            return Box::new(std::iter::empty());
        }
        let r = ix.entries.range((lo, hi));
        let items = &self.items;
        if forward {
            Box::new(r.filter_map(move |(k, sk)| items.get(sk).map(|item| (k, item))))
        } else {
            Box::new(r.rev().filter_map(move |(k, sk)| items.get(sk).map(|item| (k, item))))
        }
    }

    /// Applies one validated change. Only [`Store::write`] calls this.
    fn apply(&mut self, change: &Change) {
        match change {
            Change::Put { item, .. } => {
                let Some(sk) = key_of(&self.def.keys, item) else { return };
                self.remove(&sk);
                self.insert(sk, item.clone());
            }
            Change::Delete { key, .. } => {
                if let Some(sk) = key_of(&self.def.keys, key) {
                    self.remove(&sk);
                }
            }
            Change::UpdateTable(def) => self.redefine((**def).clone()),
            Change::CreateTable(_) | Change::DeleteTable(_) => {}
        }
    }

    fn insert(&mut self, sk: Vec<u8>, item: Item) {
        self.size += item_size(&item) as u64;
        for (i, ix) in self.def.indexes.iter().enumerate() {
            if let Some(mut ek) = key_of(&ix.keys, &item) {
                ek.extend_from_slice(&sk);
                let size = projected_size(&self.def, ix, &item);
                if let Some(state) = self.indexes.get_mut(i) {
                    state.size += size;
                    state.entries.insert(ek, sk.clone());
                }
            }
        }
        self.items.insert(sk, item);
    }

    fn remove(&mut self, sk: &[u8]) {
        let Some(old) = self.items.remove(sk) else { return };
        self.size = self.size.saturating_sub(item_size(&old) as u64);
        for (i, ix) in self.def.indexes.iter().enumerate() {
            if let Some(mut ek) = key_of(&ix.keys, &old) {
                ek.extend_from_slice(sk);
                let size = projected_size(&self.def, ix, &old);
                if let Some(state) = self.indexes.get_mut(i) {
                    state.size = state.size.saturating_sub(size);
                    state.entries.remove(&ek);
                }
            }
        }
    }

    /// New metadata: indexes that are kept keep their entries, new ones are
    /// built from the items now (DynamoDB backfills in the background; here
    /// the index is ACTIVE at once).
    fn redefine(&mut self, def: TableDef) {
        let mut old: Vec<(IndexDef, IndexState)> = self
            .def
            .indexes
            .drain(..)
            .zip(std::mem::take(&mut self.indexes))
            .collect();
        let mut states = Vec::with_capacity(def.indexes.len());
        for ix in &def.indexes {
            match old.iter().position(|(o, _)| o == ix) {
                Some(p) => states.push(old.swap_remove(p).1),
                None => {
                    let mut st = IndexState::default();
                    for (sk, item) in &self.items {
                        if let Some(mut ek) = key_of(&ix.keys, item) {
                            ek.extend_from_slice(sk);
                            st.size += projected_size(&def, ix, item);
                            st.entries.insert(ek, sk.clone());
                        }
                    }
                    states.push(st);
                }
            }
        }
        self.def = def;
        self.indexes = states;
    }
}

fn bound_empty(lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> bool {
    // BTreeMap::range panics on an inverted or empty-exclusive range.
    match (lo, hi) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a), Bound::Excluded(b))
        | (Bound::Excluded(a), Bound::Included(b))
        | (Bound::Excluded(a), Bound::Excluded(b)) => a >= b,
        _ => false,
    }
}
