//! No input traps the module: random sequences of raw ABI calls — any
//! lengths, any pointers, any bytes, any JSON, any handles, double frees —
//! each get an answer (an error envelope, 0 or -1), never a trap.

use proptest::prelude::*;
use rolechain_wasm_host::MODULE;
use wasmtime::{Engine, Instance, Memory, Module, Store, TypedFunc};

const VALID_SET: &str = r#"{"identity":[{"document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:userid":"AROA*"}}}]}}],"resource":{"document":"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"1\"},\"Action\":\"s3:*\",\"Resource\":\"*\"}]}"}}"#;
const VALID_REQUEST: &str = r#"{"principal":{"type":"user","arn":"arn:aws:iam::1:user/u"},"action":"s3:GetObject","resource":"arn:aws:s3:::b/k","context":{"aws:userid":"AROAX:s"}}"#;
const VALID_LINT: &str =
    r#"{"document":"{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\"}}","kind":"identity"}"#;

/// One raw call of the ABI.
#[derive(Debug, Clone)]
enum Call {
    Alloc(i32),
    /// Free the n-th live buffer, or an arbitrary address.
    FreeLive(usize),
    FreeAt(i32),
    /// Write bytes into the n-th live buffer (as far as they fit).
    Write(usize, Vec<u8>),
    Load(Target),
    Authorize(i32, Target),
    AuthorizeOnce(Target),
    Lint(Target),
    Unload(i32),
}

/// Where a call's input comes from: a live buffer (whole or a slice), or raw numbers.
#[derive(Debug, Clone)]
enum Target {
    Buffer(usize),
    Slice(usize, i32, i32),
    Raw(i32, i32),
}

fn input_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        Just(VALID_SET.as_bytes().to_vec()),
        Just(VALID_REQUEST.as_bytes().to_vec()),
        Just(VALID_LINT.as_bytes().to_vec()),
        (0usize..VALID_SET.len()).prop_map(|n| VALID_SET.as_bytes()[..n].to_vec()),
        (0usize..VALID_REQUEST.len(), any::<u8>()).prop_map(|(i, b)| {
            let mut v = VALID_REQUEST.as_bytes().to_vec();
            v[i] = b;
            v
        }),
        "\\PC{0,40}".prop_map(|s| s.into_bytes()),
        Just(b"{\"policies\":{},\"request\":{\"principal\":{\"type\":\"anonymous\"},\"action\":\"a:b\",\"resource\":\"*\"}}".to_vec()),
    ]
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        4 => (0usize..8).prop_map(Target::Buffer),
        2 => (0usize..8, -4i32..64, -4i32..256).prop_map(|(b, o, l)| Target::Slice(b, o, l)),
        1 => (any::<i32>(), any::<i32>()).prop_map(|(p, l)| Target::Raw(p, l)),
    ]
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        3 => prop_oneof![(-8i32..4096), Just(i32::MAX), Just(16 * 1024 * 1024 + 1), Just(0)].prop_map(Call::Alloc),
        1 => (0usize..8).prop_map(Call::FreeLive),
        1 => any::<i32>().prop_map(Call::FreeAt),
        4 => ((0usize..8), input_bytes()).prop_map(|(b, v)| Call::Write(b, v)),
        3 => target().prop_map(Call::Load),
        3 => ((-2i32..6), target()).prop_map(|(h, t)| Call::Authorize(h, t)),
        1 => target().prop_map(Call::AuthorizeOnce),
        2 => target().prop_map(Call::Lint),
        1 => (-2i32..6).prop_map(Call::Unload),
    ]
}

struct Abi {
    store: Store<()>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    free: TypedFunc<i32, i32>,
    load: TypedFunc<(i32, i32), i32>,
    authorize: TypedFunc<(i32, i32, i32), i32>,
    authorize_once: TypedFunc<(i32, i32), i32>,
    lint: TypedFunc<(i32, i32), i32>,
    unload: TypedFunc<i32, i32>,
    /// Live input buffers: (address, length).
    buffers: Vec<(i32, i32)>,
}

impl Abi {
    fn new(module: &Module) -> Abi {
        let mut store = Store::new(module.engine(), ());
        let instance = Instance::new(&mut store, module, &[]).unwrap();
        macro_rules! f {
            ($n:literal) => {
                instance.get_typed_func(&mut store, $n).unwrap()
            };
        }
        Abi {
            memory: instance.get_memory(&mut store, "memory").unwrap(),
            alloc: f!("rolechain_alloc"),
            free: f!("rolechain_free"),
            load: f!("rolechain_load"),
            authorize: f!("rolechain_authorize"),
            authorize_once: f!("rolechain_authorize_once"),
            lint: f!("rolechain_lint"),
            unload: f!("rolechain_unload"),
            buffers: Vec::new(),
            store,
        }
    }

    fn resolve(&self, t: &Target) -> (i32, i32) {
        let live = |i: usize| self.buffers.get(i % self.buffers.len().max(1)).copied();
        match *t {
            Target::Buffer(i) => live(i).unwrap_or((0, 0)),
            Target::Slice(i, off, len) => live(i).map_or((off, len), |(p, _)| (p.wrapping_add(off), len)),
            Target::Raw(p, l) => (p, l),
        }
    }

    /// Reads a result buffer and checks it is one JSON envelope, then frees it.
    fn answer(&mut self, ptr: i32) -> serde_json::Value {
        assert_ne!(ptr, 0, "the module ran out of memory for an answer");
        let mut len = [0u8; 4];
        self.memory.read(&self.store, ptr as usize, &mut len).unwrap();
        let mut body = vec![0u8; u32::from_le_bytes(len) as usize];
        self.memory.read(&self.store, ptr as usize + 4, &mut body).unwrap();
        assert_eq!(self.free.call(&mut self.store, ptr).unwrap(), 0);
        let v: serde_json::Value = serde_json::from_slice(&body).expect("every answer is JSON");
        assert!(
            v.get("ok").is_some() || v["error"]["code"].is_string(),
            "not an envelope: {v}"
        );
        v
    }

    /// Runs one call; a trap fails the test (via `unwrap`).
    fn run(&mut self, c: &Call) {
        match c {
            Call::Alloc(len) => {
                let p = self.alloc.call(&mut self.store, *len).unwrap();
                if p != 0 {
                    self.buffers.push((p, *len));
                }
            }
            Call::FreeLive(i) => {
                if !self.buffers.is_empty() {
                    let (p, _) = self.buffers.remove(i % self.buffers.len());
                    assert_eq!(self.free.call(&mut self.store, p).unwrap(), 0);
                    // A second free of the same buffer is refused, not a crash.
                    assert_eq!(self.free.call(&mut self.store, p).unwrap(), -1);
                }
            }
            Call::FreeAt(p) => {
                if !self.buffers.iter().any(|(b, _)| b == p) {
                    let r = self.free.call(&mut self.store, *p).unwrap();
                    assert!(r == -1 || r == 0);
                }
            }
            Call::Write(i, bytes) => {
                if let Some(&(p, len)) = self.buffers.get(i % self.buffers.len().max(1)) {
                    let n = bytes.len().min(len.max(0) as usize);
                    self.memory.write(&mut self.store, p as usize, &bytes[..n]).unwrap();
                }
            }
            Call::Load(t) => {
                let (p, l) = self.resolve(t);
                let r = self.load.call(&mut self.store, (p, l)).unwrap();
                self.answer(r);
            }
            Call::Authorize(h, t) => {
                let (p, l) = self.resolve(t);
                let r = self.authorize.call(&mut self.store, (*h, p, l)).unwrap();
                self.answer(r);
            }
            Call::AuthorizeOnce(t) => {
                let (p, l) = self.resolve(t);
                let r = self.authorize_once.call(&mut self.store, (p, l)).unwrap();
                self.answer(r);
            }
            Call::Lint(t) => {
                let (p, l) = self.resolve(t);
                let r = self.lint.call(&mut self.store, (p, l)).unwrap();
                self.answer(r);
            }
            Call::Unload(h) => {
                let r = self.unload.call(&mut self.store, *h).unwrap();
                self.answer(r);
            }
        }
    }
}

fn module() -> &'static Module {
    static MODULE_COMPILED: std::sync::OnceLock<Module> = std::sync::OnceLock::new();
    MODULE_COMPILED.get_or_init(|| Module::new(&Engine::default(), MODULE).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn no_sequence_of_calls_traps(calls in prop::collection::vec(call(), 1..40)) {
        let mut abi = Abi::new(module());
        for c in &calls {
            abi.run(c);
        }
        // Afterwards the instance still answers a valid call correctly.
        let p = abi.alloc.call(&mut abi.store, VALID_SET.len() as i32).unwrap();
        abi.memory.write(&mut abi.store, p as usize, VALID_SET.as_bytes()).unwrap();
        let r = abi.load.call(&mut abi.store, (p, VALID_SET.len() as i32)).unwrap();
        let loaded = abi.answer(r);
        prop_assert!(loaded["ok"]["handle"].as_u64().is_some(), "{loaded}");
    }
}

#[test]
fn the_valid_inputs_really_are_valid() {
    // Guards the generator: its valid inputs must reach the engine, not bounce off the reader.
    let mut abi = Abi::new(module());
    let put = |abi: &mut Abi, text: &str| -> (i32, i32) {
        let p = abi.alloc.call(&mut abi.store, text.len() as i32).unwrap();
        abi.memory.write(&mut abi.store, p as usize, text.as_bytes()).unwrap();
        (p, text.len() as i32)
    };
    let (p, l) = put(&mut abi, VALID_SET);
    let r = abi.load.call(&mut abi.store, (p, l)).unwrap();
    let h = abi.answer(r)["ok"]["handle"].as_i64().unwrap() as i32;
    let (p, l) = put(&mut abi, VALID_REQUEST);
    let r = abi.authorize.call(&mut abi.store, (h, p, l)).unwrap();
    assert_eq!(abi.answer(r)["ok"]["decision"], "allowed");
    let (p, l) = put(&mut abi, VALID_LINT);
    let r = abi.lint.call(&mut abi.store, (p, l)).unwrap();
    assert!(abi.answer(r)["ok"]["findings"].as_array().unwrap().len() >= 2);
}
