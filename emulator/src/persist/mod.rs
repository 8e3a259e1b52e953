//! `--state-dir`: DynamoDB's tables and items and IAM's state kept across
//! restarts, in one [redb](https://docs.rs/redb) file, `DIR/rolechain.redb`.
//!
//! # Why redb
//!
//! An embedded store with ACID transactions whose commit returns only once
//! the data is fsync'd (`Durability::Immediate`, its default): a commit is
//! whole or absent after a crash, so a torn tail after `kill -9` is never
//! read back. It is pure Rust with no dependencies, which matters on a 2-core
//! build machine: SQLite (through `rusqlite`, bundled) is as sound but compiles
//! SQLite's C amalgamation; fjall, an LSM tree, brings more crates and a
//! background compaction we do not need, since our data lives in memory and
//! the file is only a log plus a snapshot, read once at start-up. redb locks
//! the file, so two emulators cannot share a state directory.
//!
//! # Layout (redb tables)
//!
//! - `dynamodb_log`: ticket (u64) → one committed batch of
//!   [`Change`]s, as JSON ([`codec`]).
//! - `dynamodb_snapshot`: chunk number → a batch of `CreateTable` and `Put`
//!   changes that rebuild every table as of the snapshot.
//! - `meta`: `format` (1), `iam` (the serialized [`State`], without STS
//!   sessions), `thumbprint` (of the certificate the issuer served when `iam`
//!   was written), `snapshot_ticket`.
//!
//! Start-up replays the snapshot, then the log, onto an empty store
//! ([`Store::replay`]). A snapshot is queued after as many changes as the
//! last snapshot held (at least [`MIN_SNAPSHOT_EVERY`]), so the log never
//! outgrows the data by more than that and restart time stays proportional
//! to the data; and once at start-up when the log is not empty. Writing a
//! snapshot deletes the log before it, in the same transaction.
//!
//! # Durability and order
//!
//! Every write (a DynamoDB batch, a snapshot, IAM's state) is queued with a
//! ticket and written by one thread, which takes everything queued, writes it
//! in one transaction and commits (one fsync for all: group commit), then
//! wakes the callers whose tickets are now durable. A caller answers only
//! then. The order of the store's calls is in `dynamodb::store`'s doc. If a
//! commit fails, the persister stops: that commit's callers and every later
//! one get an error, and nothing is appended again until a restart.
//!
//! IAM changes are rare: after each one the whole IAM state is written
//! (serialized under the state lock, so a later snapshot always holds every
//! earlier change), one IAM change at a time ([`Persister::iam_lock`]). If
//! that fails, the change is undone in memory and the call fails.
//!
//! # What survives
//!
//! Tables, items, indexes, tags, resource policies; IAM users, roles,
//! policies and versions, OIDC providers, organization policies, long-term
//! keys. Not STS sessions (temporary credentials end with the process), nor
//! the issuers' signing keys and certificate (made anew unless the world
//! gives them): providers that recorded the previous certificate's
//! thumbprint are given the new one at start-up. An existing state directory
//! wins over the world entirely; an empty one is seeded from the world.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, TableError};

use crate::dynamodb::store::{Change, ChangeLog, Store};
use crate::dynamodb::table::TableDef;
use crate::dynamodb::value::Item;
use crate::state::State;

pub mod codec;
#[cfg(test)]
mod tests;

/// The file in the state directory.
pub const FILE: &str = "rolechain.redb";
const FORMAT: &str = "1";

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("dynamodb_log");
const SNAPSHOT: TableDefinition<u64, &[u8]> = TableDefinition::new("dynamodb_snapshot");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Changes per snapshot chunk (one redb value each).
const CHUNK: usize = 1000;
/// The fewest changes between two snapshots.
pub const MIN_SNAPSHOT_EVERY: u64 = 100_000;

/// What a state directory held.
#[derive(Debug)]
pub struct Loaded {
    pub state: State,
    /// The issuer certificate's thumbprint when the state was written.
    pub thumbprint: String,
    /// Log entries replayed after the snapshot.
    pub log_entries: u64,
}

enum Entry {
    Batch(u64, Vec<u8>),
    Snapshot(u64, Vec<(TableDef, Vec<Item>)>),
    Iam {
        ticket: u64,
        state: Vec<u8>,
        thumbprint: String,
    },
}

impl Entry {
    fn ticket(&self) -> u64 {
        match self {
            Entry::Batch(t, _) | Entry::Snapshot(t, _) | Entry::Iam { ticket: t, .. } => *t,
        }
    }
}

struct Queue {
    next: u64,
    entries: Vec<Entry>,
    durable: u64,
    failed: Option<String>,
    closing: bool,
    since_snapshot: u64,
    snapshot_size: u64,
}

struct Inner {
    queue: Mutex<Queue>,
    /// The writer waits on it for entries.
    work: Condvar,
    /// Callers wait on it for durability.
    done: Condvar,
    /// `Queue::durable`, readable without the lock.
    durable: AtomicU64,
    min_snapshot_every: u64,
}

/// The open state directory: the ChangeLog of the DynamoDB store and the
/// keeper of IAM's state.
pub struct Persister {
    path: PathBuf,
    db: Arc<Database>,
    inner: Arc<Inner>,
    writer: Mutex<Option<JoinHandle<()>>>,
    iam: Mutex<()>,
}

impl std::fmt::Debug for Persister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Persister")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f`, which blocks, without starving the async runtime when called
/// from one of its workers.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

fn open_error(path: &Path, e: redb::DatabaseError) -> String {
    match e {
        redb::DatabaseError::DatabaseAlreadyOpen => {
            format!(
                "{}: in use by another process (one rolechain per state directory)",
                path.display()
            )
        }
        e => format!("{}: cannot open the state: {e}", path.display()),
    }
}

impl Persister {
    /// Opens (or creates) the state directory and starts the writer thread.
    pub fn open(dir: &Path) -> Result<Arc<Persister>, String> {
        Persister::open_with(dir, MIN_SNAPSHOT_EVERY)
    }

    /// [`Persister::open`] with snapshots due after at least `min_snapshot_every` changes.
    pub fn open_with(dir: &Path, min_snapshot_every: u64) -> Result<Arc<Persister>, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("{}: cannot create the state directory: {e}", dir.display()))?;
        let path = dir.join(FILE);
        let db = Database::create(&path).map_err(|e| open_error(&path, e))?;
        let fail = |e: &dyn std::fmt::Display| format!("{}: cannot read the state: {e}", path.display());
        // Tickets go on from the last one written: the log's last key, or the
        // snapshot's ticket when the snapshot emptied the log (a ticket at or
        // below it would be skipped at the next start).
        let last = {
            let txn = db.begin_read().map_err(|e| fail(&e))?;
            let logged = match txn.open_table(LOG) {
                Ok(log) => log.last().map_err(|e| fail(&e))?.map(|(k, _)| k.value()).unwrap_or(0),
                Err(TableError::TableDoesNotExist(_)) => 0,
                Err(e) => return Err(fail(&e)),
            };
            let snapshot = match txn.open_table(META) {
                Ok(meta) => meta
                    .get("snapshot_ticket")
                    .map_err(|e| fail(&e))?
                    .and_then(|v| std::str::from_utf8(v.value()).ok().and_then(|t| t.parse::<u64>().ok()))
                    .unwrap_or(0),
                Err(TableError::TableDoesNotExist(_)) => 0,
                Err(e) => return Err(fail(&e)),
            };
            logged.max(snapshot)
        };
        let inner = Arc::new(Inner {
            queue: Mutex::new(Queue {
                next: last + 1,
                entries: Vec::new(),
                durable: last,
                failed: None,
                closing: false,
                since_snapshot: 0,
                snapshot_size: 0,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            durable: AtomicU64::new(last),
            min_snapshot_every,
        });
        let db = Arc::new(db);
        let writer = {
            let (db, inner, path) = (db.clone(), inner.clone(), path.clone());
            std::thread::Builder::new()
                .name("rolechain-state".into())
                .spawn(move || write_loop(&db, &inner, &path))
                .map_err(|e| format!("cannot start the state writer: {e}"))?
        };
        Ok(Arc::new(Persister {
            path,
            db,
            inner,
            writer: Mutex::new(Some(writer)),
            iam: Mutex::new(()),
        }))
    }

    /// The state file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads what the directory holds into `store` (which must be empty and
    /// have no change log yet) and returns IAM's state; `None` for a
    /// directory that was never initialized (whatever a start interrupted
    /// before initializing it left is cleared). Call before anything is
    /// appended.
    pub fn load(&self, store: &Store) -> Result<Option<Loaded>, String> {
        let file = self.path.display();
        let fail = |what: &str, e: &dyn std::fmt::Display| format!("{file}: {what}: {e}");
        let txn = self.db.begin_read().map_err(|e| fail("cannot read the state", &e))?;
        let meta = match txn.open_table(META) {
            Ok(t) => Some(t),
            Err(TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(fail("cannot read the state", &e)),
        };
        let get = |key: &str| -> Result<Option<Vec<u8>>, String> {
            match &meta {
                Some(t) => Ok(t
                    .get(key)
                    .map_err(|e| fail("cannot read the state", &e))?
                    .map(|v| v.value().to_vec())),
                None => Ok(None),
            }
        };
        let Some(iam) = get("iam")? else {
            drop(txn);
            self.clear().map_err(|e| fail("cannot reset the state", &e))?;
            return Ok(None);
        };
        let format = get("format")?.unwrap_or_default();
        if format != FORMAT.as_bytes() {
            return Err(format!(
                "{file}: state format {:?}; this rolechain reads format {FORMAT}",
                String::from_utf8_lossy(&format)
            ));
        }
        let state: State = serde_json::from_slice(&iam).map_err(|e| fail("the IAM state is unreadable", &e))?;
        let thumbprint = String::from_utf8_lossy(&get("thumbprint")?.unwrap_or_default()).into_owned();
        let after: u64 = String::from_utf8_lossy(&get("snapshot_ticket")?.unwrap_or_default())
            .parse()
            .unwrap_or(0);
        for (name, def) in [("dynamodb_snapshot", SNAPSHOT), ("dynamodb_log", LOG)] {
            let table = match txn.open_table(def) {
                Ok(t) => t,
                Err(TableError::TableDoesNotExist(_)) => continue,
                Err(e) => return Err(fail("cannot read the state", &e)),
            };
            let range = if name == "dynamodb_log" { after + 1.. } else { 0.. };
            for entry in table.range(range).map_err(|e| fail("cannot read the state", &e))? {
                let (k, v) = entry.map_err(|e| fail("cannot read the state", &e))?;
                let batch =
                    codec::decode_batch(v.value()).map_err(|e| fail(&format!("{name} entry {}", k.value()), &e))?;
                store.replay(&batch);
            }
        }
        let log_entries = match txn.open_table(LOG) {
            Ok(t) => t.len().map_err(|e| fail("cannot read the state", &e))?,
            Err(_) => 0,
        };
        Ok(Some(Loaded {
            state,
            thumbprint,
            log_entries,
        }))
    }

    fn clear(&self) -> Result<(), redb::Error> {
        let txn = self.db.begin_write()?;
        txn.delete_table(LOG)?;
        txn.delete_table(SNAPSHOT)?;
        txn.delete_table(META)?;
        txn.commit()?;
        Ok(())
    }

    /// Queues an entry of `changes` DynamoDB changes; returns its ticket.
    fn enqueue(&self, changes: u64, make: impl FnOnce(u64) -> Entry) -> Result<u64, String> {
        let mut q = lock(&self.inner.queue);
        if let Some(e) = &q.failed {
            return Err(e.clone());
        }
        if q.closing {
            return Err("the emulator is stopping".into());
        }
        let ticket = q.next;
        q.next += 1;
        q.since_snapshot += changes;
        q.entries.push(make(ticket));
        self.inner.work.notify_one();
        Ok(ticket)
    }

    /// Serializes IAM's state (call under the state lock, so that a later
    /// snapshot always holds every earlier change).
    pub fn encode_iam(state: &State) -> Result<Vec<u8>, String> {
        serde_json::to_vec(state).map_err(|e| format!("cannot serialize the IAM state: {e}"))
    }

    /// Writes IAM's state (from [`Persister::encode_iam`]) and the issuer's
    /// current thumbprint; returns once durable.
    pub fn save_iam(&self, state: Vec<u8>, thumbprint: &str) -> Result<(), String> {
        let ticket = self.enqueue(0, |ticket| Entry::Iam {
            ticket,
            state,
            thumbprint: thumbprint.to_string(),
        })?;
        self.wait(ticket)
    }

    /// Held across one IAM change and its saving, so IAM changes are saved
    /// (and undone on failure) one at a time.
    pub fn iam_lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.iam)
    }

    /// Returns once everything queued so far is durable.
    pub fn flush(&self) -> Result<(), String> {
        let last = lock(&self.inner.queue).next - 1;
        self.wait(last)
    }
}

impl ChangeLog for Persister {
    fn append(&self, changes: &[Change]) -> Result<u64, String> {
        let bytes = codec::encode_batch(changes)?;
        self.enqueue(changes.len() as u64, |t| Entry::Batch(t, bytes))
    }

    fn wait(&self, ticket: u64) -> Result<(), String> {
        if self.inner.durable.load(Ordering::Acquire) >= ticket {
            return Ok(());
        }
        blocking(|| {
            let mut q = lock(&self.inner.queue);
            loop {
                if q.durable >= ticket {
                    return Ok(());
                }
                if let Some(e) = &q.failed {
                    return Err(e.clone());
                }
                q = self.inner.done.wait(q).unwrap_or_else(|e| e.into_inner());
            }
        })
    }

    fn snapshot_due(&self) -> bool {
        let mut q = lock(&self.inner.queue);
        if q.since_snapshot >= q.snapshot_size.max(self.inner.min_snapshot_every) {
            q.since_snapshot = 0;
            return true;
        }
        false
    }

    fn snapshot(&self, tables: Vec<(TableDef, Vec<Item>)>) -> Result<(), String> {
        let size: u64 = tables.iter().map(|(_, items)| 1 + items.len() as u64).sum();
        self.enqueue(0, |t| Entry::Snapshot(t, tables))?;
        let mut q = lock(&self.inner.queue);
        q.snapshot_size = size;
        q.since_snapshot = 0;
        Ok(())
    }
}

impl Drop for Persister {
    /// Writes what is queued, then stops the writer.
    fn drop(&mut self) {
        lock(&self.inner.queue).closing = true;
        self.inner.work.notify_all();
        if let Some(handle) = lock(&self.writer).take() {
            let _ = handle.join();
        }
    }
}

fn write_loop(db: &Database, inner: &Inner, path: &Path) {
    loop {
        let entries = {
            let mut q = lock(&inner.queue);
            while q.entries.is_empty() && !q.closing {
                q = inner.work.wait(q).unwrap_or_else(|e| e.into_inner());
            }
            if q.entries.is_empty() {
                return;
            }
            std::mem::take(&mut q.entries)
        };
        let last = entries.last().map(Entry::ticket).unwrap_or(0);
        let result = commit(db, entries);
        let mut q = lock(&inner.queue);
        match result {
            Ok(()) => {
                q.durable = last;
                inner.durable.store(last, Ordering::Release);
            }
            Err(e) => {
                let message = format!("{}: cannot write the state: {e}; restart the emulator", path.display());
                tracing::error!("{message}");
                q.failed = Some(message);
            }
        }
        inner.done.notify_all();
        if q.failed.is_some() {
            return;
        }
    }
}

/// Writes `entries` in order in one transaction and commits it (fsync).
fn commit(db: &Database, entries: Vec<Entry>) -> Result<(), String> {
    let txn = db.begin_write().map_err(text)?;
    let mut log = Some(txn.open_table(LOG).map_err(text)?);
    for entry in entries {
        match entry {
            Entry::Batch(ticket, bytes) => {
                if let Some(log) = log.as_mut() {
                    log.insert(ticket, bytes.as_slice()).map_err(text)?;
                }
            }
            Entry::Iam { state, thumbprint, .. } => {
                let mut meta = txn.open_table(META).map_err(text)?;
                meta.insert("format", FORMAT.as_bytes()).map_err(text)?;
                meta.insert("iam", state.as_slice()).map_err(text)?;
                meta.insert("thumbprint", thumbprint.as_bytes()).map_err(text)?;
            }
            Entry::Snapshot(ticket, tables) => {
                // Everything in the log so far is in the snapshot.
                drop(log.take());
                txn.delete_table(LOG).map_err(text)?;
                txn.delete_table(SNAPSHOT).map_err(text)?;
                let mut snapshot = txn.open_table(SNAPSHOT).map_err(text)?;
                let mut chunk: Vec<Change> = Vec::with_capacity(CHUNK);
                let mut n = 0u64;
                let mut flush = |chunk: &mut Vec<Change>, n: &mut u64| -> Result<(), String> {
                    if !chunk.is_empty() {
                        let bytes = codec::encode_batch(chunk)?;
                        snapshot.insert(*n, bytes.as_slice()).map_err(text)?;
                        *n += 1;
                        chunk.clear();
                    }
                    Ok(())
                };
                for (def, items) in tables {
                    let key = (def.account.clone(), def.region.clone(), def.name.clone());
                    chunk.push(Change::CreateTable(Box::new(def)));
                    for item in items {
                        if chunk.len() >= CHUNK {
                            flush(&mut chunk, &mut n)?;
                        }
                        chunk.push(Change::Put {
                            table: key.clone(),
                            item,
                        });
                    }
                }
                flush(&mut chunk, &mut n)?;
                drop(snapshot);
                let mut meta = txn.open_table(META).map_err(text)?;
                meta.insert("snapshot_ticket", ticket.to_string().as_bytes())
                    .map_err(text)?;
                drop(meta);
                log = Some(txn.open_table(LOG).map_err(text)?);
            }
        }
    }
    drop(log);
    txn.commit().map_err(text)?;
    Ok(())
}

fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}
