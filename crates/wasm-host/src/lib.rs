//! `rolechain_policy.wasm`, embedded, and [`WasmEvaluator`], which runs it in
//! wasmtime behind the same [`Evaluator`] trait as the native engine.
//!
//! One wasmtime `Engine` and compiled module per evaluator; a pool of warm
//! instances, each in its own `Store`, so many threads (or tokio tasks) can
//! decide at once. Every call is bounded in time (epoch interruption: a
//! ticker thread advances the epoch every 10 ms) and in memory
//! (`StoreLimits`). A trap or a blown bound becomes an error and the
//! instance is dropped: the next call gets a fresh one, never a poisoned one.
//! Policy sets are kept as JSON on the host side and loaded into each
//! instance the first time that instance needs them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rolechain_policy::evaluator::{Evaluator, EvaluatorError, SetHandle};
use rolechain_policy::wire::PolicySetSpec;
use rolechain_policy::{Decision, Request};
use serde::Deserialize;
use wasmtime::{
    Config, Engine, InstancePre, Linker, Memory, Module, Store, StoreLimits, StoreLimitsBuilder, Trap, TypedFunc,
};

/// The module, built from this very source tree by `build.rs`.
pub static MODULE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/rolechain_policy.wasm"));

/// The ABI major version this host speaks (docs/wasm-abi.md).
pub const ABI_VERSION: i32 = 1;

/// How often the epoch advances: the granularity of the time bound.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Bounds and settings of a [`WasmEvaluator`].
#[derive(Debug, Clone)]
pub struct Options {
    /// Most linear memory one instance may grow to.
    pub memory_limit: usize,
    /// Longest a call may run before it is interrupted.
    pub call_timeout: Duration,
    /// Where wasmtime keeps the compiled module between runs, so that a start
    /// after the first skips compilation; `None`: compile every time.
    pub cache_dir: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            memory_limit: 256 * 1024 * 1024,
            call_timeout: Duration::from_secs(2),
            cache_dir: default_cache_dir(),
        }
    }
}

/// `$ROLECHAIN_CACHE_DIR`, else `$XDG_CACHE_HOME/rolechain`, else `$HOME/.cache/rolechain`.
fn default_cache_dir() -> Option<PathBuf> {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    env("ROLECHAIN_CACHE_DIR")
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("rolechain")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("rolechain")))
}

/// The engine compiled to wasm, run by wasmtime.
#[derive(Clone)]
pub struct WasmEvaluator {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for WasmEvaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmEvaluator")
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

struct Shared {
    pre: InstancePre<StoreLimits>,
    engine: Engine,
    options: Options,
    /// Warm instances not in use.
    idle: Mutex<Vec<Guest>>,
    /// Loaded sets by host handle, as the JSON each instance loads.
    sets: RwLock<HashMap<u32, Arc<Vec<u8>>>>,
    next_handle: AtomicU32,
    stop_ticker: Arc<AtomicBool>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.stop_ticker.store(true, Ordering::Relaxed);
    }
}

fn runtime(context: &str, e: impl std::fmt::Display) -> EvaluatorError {
    EvaluatorError::Runtime(format!("{context}: {e}"))
}

impl WasmEvaluator {
    /// Compiles the embedded module with default bounds.
    pub fn new() -> Result<WasmEvaluator, EvaluatorError> {
        WasmEvaluator::with_options(MODULE, Options::default())
    }

    /// Compiles `module` (the embedded [`MODULE`] or another build of it).
    pub fn with_options(module: &[u8], options: Options) -> Result<WasmEvaluator, EvaluatorError> {
        let mut config = Config::new();
        config.epoch_interruption(true);
        if let Some(dir) = &options.cache_dir {
            let mut cache = wasmtime::CacheConfig::new();
            cache.with_directory(dir.join("wasmtime"));
            // A cache that cannot be set up (a read-only home, say) only costs start-up time.
            if let Ok(cache) = wasmtime::Cache::new(cache) {
                config.cache(Some(cache));
            }
        }
        let engine = Engine::new(&config).map_err(|e| runtime("cannot start wasmtime", e))?;
        let module = Module::new(&engine, module).map_err(|e| runtime("cannot compile rolechain_policy.wasm", e))?;
        if module.imports().len() != 0 {
            return Err(EvaluatorError::Runtime(
                "rolechain_policy.wasm must have no imports".into(),
            ));
        }
        let pre = Linker::new(&engine)
            .instantiate_pre(&module)
            .map_err(|e| runtime("cannot prepare rolechain_policy.wasm", e))?;
        let stop_ticker = Arc::new(AtomicBool::new(false));
        spawn_ticker(engine.clone(), stop_ticker.clone());
        let evaluator = WasmEvaluator {
            shared: Arc::new(Shared {
                pre,
                engine,
                options,
                idle: Mutex::new(Vec::new()),
                sets: RwLock::new(HashMap::new()),
                next_handle: AtomicU32::new(0),
                stop_ticker,
            }),
        };
        // Instantiate once now: a broken module fails here, not at the first decision.
        let guest = evaluator.guest()?;
        evaluator.give_back(guest);
        Ok(evaluator)
    }

    /// Lints a policy document in the module: the lint report as JSON.
    pub fn lint_json(&self, input: &[u8]) -> Result<Vec<u8>, EvaluatorError> {
        self.with_guest(|g| g.call_raw(Export::Lint, input))
    }

    /// One-shot authorization with JSON in and out: `{"policies", "request"}` → the ABI's answer.
    pub fn authorize_once_json(&self, input: &[u8]) -> Result<Vec<u8>, EvaluatorError> {
        self.with_guest(|g| g.call_raw(Export::AuthorizeOnce, input))
    }

    /// Decides a request given as JSON against a loaded set: the ABI's answer, as JSON.
    pub fn authorize_json(&self, set: SetHandle, request: &[u8]) -> Result<Vec<u8>, EvaluatorError> {
        let json = self.set_json(set)?;
        self.with_guest(|g| {
            let guest_handle = g.ensure_loaded(set.0, &json)?;
            g.call_raw(Export::Authorize(guest_handle), request)
        })
    }

    fn set_json(&self, set: SetHandle) -> Result<Arc<Vec<u8>>, EvaluatorError> {
        let sets = self
            .shared
            .sets
            .read()
            .map_err(|_| runtime("policy sets", "lock poisoned"))?;
        sets.get(&set.0).cloned().ok_or(EvaluatorError::UnknownHandle(set.0))
    }

    /// Runs `f` on a warm instance; an instance whose call failed in the runtime is dropped.
    fn with_guest<T>(&self, f: impl FnOnce(&mut Guest) -> Result<T, EvaluatorError>) -> Result<T, EvaluatorError> {
        let mut guest = self.guest()?;
        let result = f(&mut guest);
        if !matches!(result, Err(EvaluatorError::Runtime(_))) {
            self.give_back(guest);
        }
        result
    }

    fn guest(&self) -> Result<Guest, EvaluatorError> {
        let idle = self
            .shared
            .idle
            .lock()
            .map_err(|_| runtime("instance pool", "lock poisoned"))?
            .pop();
        match idle {
            Some(g) => Ok(g),
            None => Guest::new(&self.shared),
        }
    }

    fn give_back(&self, guest: Guest) {
        if let Ok(mut idle) = self.shared.idle.lock() {
            idle.push(guest);
        }
    }
}

impl Evaluator for WasmEvaluator {
    fn load(&self, set: &PolicySetSpec) -> Result<SetHandle, EvaluatorError> {
        let json = serde_json::to_vec(set).map_err(|e| EvaluatorError::Input(e.to_string()))?;
        let handle = self.shared.next_handle.fetch_add(1, Ordering::Relaxed) + 1;
        let json = Arc::new(json);
        // Load it into one instance now, so a refused set is refused here.
        self.with_guest(|g| g.ensure_loaded(handle, &json).map(|_| ()))?;
        self.shared
            .sets
            .write()
            .map_err(|_| runtime("policy sets", "lock poisoned"))?
            .insert(handle, json);
        Ok(SetHandle(handle))
    }

    fn authorize(&self, set: SetHandle, request: &Request) -> Result<Decision, EvaluatorError> {
        let request = serde_json::to_vec(request).map_err(|e| EvaluatorError::Input(e.to_string()))?;
        let answer = self.authorize_json(set, &request)?;
        envelope::<Decision>(&answer)
    }

    fn unload(&self, set: SetHandle) -> Result<(), EvaluatorError> {
        let removed = self
            .shared
            .sets
            .write()
            .map_err(|_| runtime("policy sets", "lock poisoned"))?
            .remove(&set.0);
        if removed.is_none() {
            return Err(EvaluatorError::UnknownHandle(set.0));
        }
        // Instances drop their copy lazily: any idle instance that loaded it unloads it now.
        if let Ok(mut idle) = self.shared.idle.lock() {
            for g in idle.iter_mut() {
                g.forget(set.0);
            }
        }
        Ok(())
    }
}

fn spawn_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("rolechain-wasm-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .ok();
}

/// The ABI's answer: `{"ok": T}` or `{"error": {...}}`.
#[derive(Deserialize)]
enum Envelope<T> {
    #[serde(rename = "ok")]
    Ok(T),
    #[serde(rename = "error")]
    Error(ErrorBody),
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
    /// Present when a policy of the set was refused.
    place: Option<String>,
}

fn envelope<T: for<'de> Deserialize<'de>>(answer: &[u8]) -> Result<T, EvaluatorError> {
    match serde_json::from_slice::<Envelope<T>>(answer) {
        Ok(Envelope::Ok(v)) => Ok(v),
        Ok(Envelope::Error(e)) => Err(match (e.place, e.code.as_str()) {
            (Some(_), _) => EvaluatorError::Refused {
                code: e.code,
                message: e.message,
            },
            (None, "UnknownHandle") => {
                EvaluatorError::Runtime(format!("the instance lost a policy set: {}", e.message))
            }
            (None, _) => EvaluatorError::Input(format!("{}: {}", e.code, e.message)),
        }),
        Err(e) => Err(runtime("unreadable answer from rolechain_policy.wasm", e)),
    }
}

#[derive(Clone, Copy)]
enum Export {
    Load,
    Authorize(i32),
    AuthorizeOnce,
    Lint,
}

/// One instance of the module in its own store.
struct Guest {
    store: Store<StoreLimits>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    free: TypedFunc<i32, i32>,
    load: TypedFunc<(i32, i32), i32>,
    authorize: TypedFunc<(i32, i32, i32), i32>,
    authorize_once: TypedFunc<(i32, i32), i32>,
    lint: TypedFunc<(i32, i32), i32>,
    unload: TypedFunc<i32, i32>,
    /// Host handle → this instance's handle.
    loaded: HashMap<u32, i32>,
    /// A reusable input buffer: (address, capacity).
    input: Option<(i32, usize)>,
    deadline_ticks: u64,
}

impl Guest {
    fn new(shared: &Shared) -> Result<Guest, EvaluatorError> {
        let limits = StoreLimitsBuilder::new()
            .memory_size(shared.options.memory_limit)
            .instances(1)
            .trap_on_grow_failure(true)
            .build();
        let mut store = Store::new(&shared.engine, limits);
        store.limiter(|limits| limits);
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = shared
            .pre
            .instantiate(&mut store)
            .map_err(|e| runtime("cannot instantiate", e))?;
        let abi: TypedFunc<(), i32> = instance
            .get_typed_func(&mut store, "rolechain_abi_version")
            .map_err(|e| runtime("not a rolechain_policy.wasm module", e))?;
        let version = abi
            .call(&mut store, ())
            .map_err(|e| runtime("rolechain_abi_version", e))?;
        if version != ABI_VERSION {
            return Err(EvaluatorError::Runtime(format!(
                "rolechain_policy.wasm speaks ABI {version}; this host speaks {ABI_VERSION}"
            )));
        }
        macro_rules! export {
            ($name:literal) => {
                instance
                    .get_typed_func(&mut store, $name)
                    .map_err(|e| runtime($name, e))?
            };
        }
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| EvaluatorError::Runtime("rolechain_policy.wasm exports no memory".into()))?;
        let ticks = shared.options.call_timeout.as_millis() / EPOCH_TICK.as_millis();
        Ok(Guest {
            alloc: export!("rolechain_alloc"),
            free: export!("rolechain_free"),
            load: export!("rolechain_load"),
            authorize: export!("rolechain_authorize"),
            authorize_once: export!("rolechain_authorize_once"),
            lint: export!("rolechain_lint"),
            unload: export!("rolechain_unload"),
            memory,
            store,
            loaded: HashMap::new(),
            input: None,
            // One tick more than the timeout: the epoch advances on its own schedule, so a
            // call may start just before a tick and must still get its whole time.
            deadline_ticks: u64::try_from(ticks).unwrap_or(u64::MAX / 4).saturating_add(1).max(2),
        })
    }

    /// The instance's handle for a host set, loading the set first if needed.
    fn ensure_loaded(&mut self, host_handle: u32, json: &[u8]) -> Result<i32, EvaluatorError> {
        if let Some(h) = self.loaded.get(&host_handle) {
            return Ok(*h);
        }
        #[derive(Deserialize)]
        struct Loaded {
            handle: i32,
        }
        let answer = self.call_raw(Export::Load, json)?;
        let loaded: Loaded = envelope(&answer)?;
        self.loaded.insert(host_handle, loaded.handle);
        Ok(loaded.handle)
    }

    fn forget(&mut self, host_handle: u32) {
        if let Some(h) = self.loaded.remove(&host_handle) {
            let result = self.guarded(|g| g.unload.call(&mut g.store, h));
            if let Ok(ptr) = result {
                let _ = self.free.call(&mut self.store, ptr);
            }
        }
    }

    /// Calls an export with `input`, returns the answer's JSON bytes.
    fn call_raw(&mut self, export: Export, input: &[u8]) -> Result<Vec<u8>, EvaluatorError> {
        let len = i32::try_from(input.len()).map_err(|_| EvaluatorError::Input("input over 2 GiB".into()))?;
        let ptr = self.input_buffer(input.len())?;
        self.memory
            .write(&mut self.store, ptr as usize, input)
            .map_err(|e| runtime("writing the input", e))?;
        let result = self.guarded(|g| match export {
            Export::Load => g.load.call(&mut g.store, (ptr, len)),
            Export::Authorize(h) => g.authorize.call(&mut g.store, (h, ptr, len)),
            Export::AuthorizeOnce => g.authorize_once.call(&mut g.store, (ptr, len)),
            Export::Lint => g.lint.call(&mut g.store, (ptr, len)),
        })?;
        self.take_result(result)
    }

    /// Runs a call under the time bound and maps a trap to a named error.
    fn guarded<T>(&mut self, call: impl FnOnce(&mut Guest) -> wasmtime::Result<T>) -> Result<T, EvaluatorError> {
        self.store.set_epoch_deadline(self.deadline_ticks);
        call(self).map_err(|e| match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => EvaluatorError::Runtime("the call ran past its time bound and was stopped".into()),
            Some(Trap::MemoryOutOfBounds | Trap::HeapMisaligned) => {
                EvaluatorError::Runtime(format!("the module trapped: {e}"))
            }
            Some(Trap::UnreachableCodeReached) => EvaluatorError::Runtime(format!(
                "the module trapped (a panic, or memory past its bound of the evaluator's memory limit): {e}"
            )),
            Some(trap) => EvaluatorError::Runtime(format!("the module trapped: {trap}")),
            // A refused memory.grow (the memory bound) surfaces as an error of its own.
            None => EvaluatorError::Runtime(format!("the module trapped: {}", e.root_cause())),
        })
    }

    fn input_buffer(&mut self, len: usize) -> Result<i32, EvaluatorError> {
        if let Some((ptr, cap)) = self.input
            && cap >= len
        {
            return Ok(ptr);
        }
        if let Some((ptr, _)) = self.input.take() {
            let _ = self.guarded(|g| g.free.call(&mut g.store, ptr))?;
        }
        let cap = len.max(4096).next_power_of_two();
        let cap_i32 = i32::try_from(cap).map_err(|_| EvaluatorError::Input("input too large".into()))?;
        let ptr = self.guarded(|g| g.alloc.call(&mut g.store, cap_i32))?;
        if ptr == 0 {
            return Err(EvaluatorError::Input(format!(
                "the module cannot hold an input of {len} bytes"
            )));
        }
        self.input = Some((ptr, cap));
        Ok(ptr)
    }

    fn take_result(&mut self, ptr: i32) -> Result<Vec<u8>, EvaluatorError> {
        if ptr == 0 {
            return Err(EvaluatorError::Runtime(
                "the module ran out of memory for its answer".into(),
            ));
        }
        let mut len = [0u8; 4];
        self.memory
            .read(&self.store, ptr as usize, &mut len)
            .map_err(|e| runtime("reading the answer", e))?;
        let mut answer = vec![0u8; u32::from_le_bytes(len) as usize];
        self.memory
            .read(&self.store, ptr as usize + 4, &mut answer)
            .map_err(|e| runtime("reading the answer", e))?;
        self.guarded(|g| g.free.call(&mut g.store, ptr))?;
        Ok(answer)
    }
}
