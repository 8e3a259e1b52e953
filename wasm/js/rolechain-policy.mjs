// @rolechain/policy: the rolechain IAM policy engine (rolechain_policy.wasm) for
// Node 18+ and browsers. No dependencies; the ABI is docs/wasm-abi.md.
//
//   import { PolicyEngine, loadFromFile } from "@rolechain/policy";
//   const engine = await loadFromFile("target/rolechain_policy.wasm");
//   const h = engine.loadPolicySet({ identity: [{ document: policyText }] });
//   engine.authorize(h, request).decision; // "allowed" | "explicitDeny" | "implicitDeny"

/** The ABI major version this host speaks (docs/wasm-abi.md, "Versions"). */
export const ABI_MAJOR_VERSION = 1;

/** The largest buffer `rolechain_alloc` hands out; longer inputs cannot even be written. */
const MAX_ALLOC = 16 * 1024 * 1024;
/** The largest input the module accepts (it answers `InputTooLarge` above it). */
export const MAX_INPUT_BYTES = 8 * 1024 * 1024;
/**
 * The reused input buffer grows up to this size; a longer input gets a buffer
 * of its own, freed after the call, so one large call does not pin memory.
 */
const REUSED_INPUT_LIMIT = 1024 * 1024;

const EXPORTS = [
  "memory",
  "rolechain_abi_version",
  "rolechain_abi_minor_version",
  "rolechain_alloc",
  "rolechain_free",
  "rolechain_load",
  "rolechain_authorize",
  "rolechain_authorize_once",
  "rolechain_lint",
  "rolechain_unload",
];

const ERROR_FIELDS = ["path", "line", "column", "place", "policyId", "findings"];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * An error answered by the module (`{"error": {...}}`), or one the host raises
 * for the module (`Trap`, `OutOfMemory`, `IncompatibleModule`, `InputTooLarge`
 * past the allocator's range, `UnknownHandle`).
 */
export class PolicyEngineError extends Error {
  constructor(code, message, details = undefined, options = undefined) {
    super(message, options);
    this.name = "PolicyEngineError";
    this.code = code;
    if (details) {
      for (const field of ERROR_FIELDS) {
        if (details[field] !== undefined) this[field] = details[field];
      }
    }
    /** The module's whole error object (code, message and every extra field). */
    this.details = details ?? { code, message };
  }
}

function errorFromWire(error) {
  const code = typeof error?.code === "string" ? error.code : "InternalError";
  const message = typeof error?.message === "string" ? error.message : "the module answered an error without a message";
  return new PolicyEngineError(code, message, error);
}

/** Turns an envelope's text into its `ok` value, or throws its error. */
function unwrap(text) {
  const envelope = JSON.parse(text);
  if (envelope !== null && typeof envelope === "object") {
    if ("ok" in envelope) return envelope.ok;
    if ("error" in envelope) throw errorFromWire(envelope.error);
  }
  throw new PolicyEngineError("InternalError", `the module answered neither ok nor error: ${text.slice(0, 200)}`);
}

/** Like unwrap, but the `ok` value stays JSON text (the envelope is `{"ok":VALUE}`, written compactly). */
function unwrapText(text) {
  if (text.startsWith('{"ok":') && text.endsWith("}")) return text.slice(6, -1);
  return JSON.stringify(unwrap(text));
}

function toJson(value, what) {
  if (typeof value === "string") return value;
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${what} must be an object or a JSON string, not ${typeof value}`);
  return text;
}

function isResponse(value) {
  return typeof Response === "function" && value instanceof Response;
}

async function compileAndInstantiate(source) {
  if (source && typeof source.then === "function") source = await source;
  if (source instanceof WebAssembly.Module) {
    return { module: source, instance: await WebAssembly.instantiate(source, {}) };
  }
  if (source instanceof URL) {
    if (source.protocol === "file:") return compileAndInstantiate(await readFileBytes(source));
    if (typeof fetch !== "function") throw new TypeError("this runtime has no fetch: pass the module's bytes instead of a URL");
    source = await fetch(source);
  }
  if (isResponse(source)) {
    if (!source.ok) throw new Error(`could not fetch rolechain_policy.wasm: HTTP ${source.status} ${source.statusText}`);
    if (typeof WebAssembly.instantiateStreaming === "function") {
      try {
        return await WebAssembly.instantiateStreaming(source.clone(), {});
      } catch (e) {
        // A server that does not say `Content-Type: application/wasm`: read the bytes instead.
        if (!(e instanceof TypeError)) throw e;
      }
    }
    return WebAssembly.instantiate(await source.arrayBuffer(), {});
  }
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    return WebAssembly.instantiate(source, {});
  }
  if (typeof source === "string") {
    throw new TypeError("PolicyEngine.load takes bytes, a WebAssembly.Module, a URL or a Response; for a file path use loadFromFile(path)");
  }
  throw new TypeError(`PolicyEngine.load cannot read ${Object.prototype.toString.call(source)}: pass bytes, a WebAssembly.Module, a URL or a Response`);
}

async function readFileBytes(path) {
  // Imported only when called, so bundlers and browsers never need node:fs.
  const fs = await import("node:fs/promises");
  return fs.readFile(path);
}

/** Checks the instance's exports and ABI version; answers them. */
function checkExports(instance) {
  const exports = instance.exports;
  const missing = EXPORTS.filter((name) => !(name in exports));
  if (missing.length > 0) {
    throw new PolicyEngineError(
      "IncompatibleModule",
      `this is not rolechain_policy.wasm: it lacks the export${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
    );
  }
  const major = exports.rolechain_abi_version();
  const minor = exports.rolechain_abi_minor_version();
  if (major !== ABI_MAJOR_VERSION) {
    throw new PolicyEngineError(
      "IncompatibleModule",
      `rolechain_policy.wasm speaks ABI ${major}.${minor}; this host speaks ABI ${ABI_MAJOR_VERSION}.x: use a host for ABI ${major}, or a module built for ABI ${ABI_MAJOR_VERSION}`,
    );
  }
  return { exports, abiVersion: Object.freeze({ major, minor }) };
}

/** A policy set loaded through this engine: its JSON is kept to reload it into a fresh instance after a trap. */
class LoadedSet {
  constructor(json, moduleHandle, generation) {
    this.json = json;
    this.moduleHandle = moduleHandle;
    this.generation = generation;
  }
}

export class PolicyEngine {
  #module;
  #instance = null;
  #exports = null;
  #abiVersion;
  #bytes = new Uint8Array(0); // a view of the module's memory; renewed when memory grows
  #inputPtr = 0;
  #inputCapacity = 0;
  /** Increases with every fresh instance; sets loaded in an older one are reloaded on use. */
  #generation = 0;
  #sets = new Map();
  #nextHandle = 1;
  #restarting = null;

  /** Use PolicyEngine.load (or loadFromFile). */
  constructor(module, instance) {
    if (!(module instanceof WebAssembly.Module) || !(instance instanceof WebAssembly.Instance)) {
      throw new TypeError("use `await PolicyEngine.load(source)` to make a PolicyEngine");
    }
    this.#module = module;
    this.#attach(instance);
  }

  /**
   * Compiles and instantiates rolechain_policy.wasm from its bytes (Uint8Array or
   * ArrayBuffer), a compiled WebAssembly.Module, a URL or a Response (or a promise
   * of one, e.g. `fetch(url)`), and checks its ABI major version.
   */
  static async load(source) {
    const { module, instance } = await compileAndInstantiate(source);
    return new PolicyEngine(module, instance);
  }

  /** The module's ABI version, `{major, minor}`; the major version is 1. */
  get abiVersion() {
    return this.#abiVersion;
  }

  /** The compiled module: `PolicyEngine.load(engine.module)` makes another engine without compiling again. */
  get module() {
    return this.#module;
  }

  /** The current instance (replaced by a fresh one after a trap); for diagnostics and tests. */
  get instance() {
    return this.#instance;
  }

  /** Resolves when the engine can answer (it cannot only while it restarts after a trap in a browser). */
  async ready() {
    if (this.#restarting) await this.#restarting;
  }

  /** Loads a policy set (an object or its JSON text); answers its handle. */
  loadPolicySet(set) {
    const json = toJson(set, "a policy set");
    const loaded = unwrap(this.#call("rolechain_load", undefined, json));
    const handle = this.#nextHandle++;
    this.#sets.set(handle, new LoadedSet(json, loaded.handle, this.#generation));
    return handle;
  }

  /** Decides a request (an object or its JSON text) against a loaded set. */
  authorize(handle, request) {
    const json = toJson(request, "a request");
    return unwrap(this.#call("rolechain_authorize", this.#moduleHandle(handle), json));
  }

  /** Like authorize, JSON text in and the decision's JSON text out, without JS objects in between. */
  authorizeJson(handle, requestJson) {
    if (typeof requestJson !== "string") throw new TypeError("authorizeJson takes the request as a JSON string");
    return unwrapText(this.#call("rolechain_authorize", this.#moduleHandle(handle), requestJson));
  }

  /** Loads, decides and forgets in one call: `policies` is a policy set, `request` a request (objects or JSON text). */
  authorizeOnce(policies, request) {
    const json = `{"policies":${toJson(policies, "policies")},"request":${toJson(request, "a request")}}`;
    return unwrap(this.#call("rolechain_authorize_once", undefined, json));
  }

  /**
   * Every finding in a policy document. `document` is the policy's text (an object
   * is written with JSON.stringify(document, null, 2), and positions refer to that);
   * `kind` is inferred when absent.
   */
  lint(document, kind = undefined) {
    const text = typeof document === "string" ? document : JSON.stringify(document, null, 2);
    if (typeof text !== "string") throw new TypeError("lint takes the policy document as text or an object");
    const input = { document: text };
    if (kind !== undefined && kind !== null) input.kind = kind;
    return unwrap(this.#call("rolechain_lint", undefined, JSON.stringify(input)));
  }

  /** Forgets a loaded set; its handle is not valid afterwards. */
  unload(handle) {
    const set = this.#sets.get(handle);
    if (set === undefined) throw unknownHandle(handle);
    this.#sets.delete(handle);
    if (set.generation === this.#generation) {
      // A set loaded into an instance that trapped is already gone with it.
      unwrap(this.#call("rolechain_unload", set.moduleHandle, undefined));
    }
  }

  /** How many policy sets are loaded. */
  get loadedPolicySets() {
    return this.#sets.size;
  }

  // ---- internals ----

  #attach(instance) {
    const { exports, abiVersion } = checkExports(instance);
    this.#instance = instance;
    this.#exports = exports;
    this.#abiVersion = abiVersion;
    this.#bytes = new Uint8Array(exports.memory.buffer);
    this.#inputPtr = 0;
    this.#inputCapacity = 0;
  }

  /** The module's handle for a host handle; reloads the set if the instance was replaced since. */
  #moduleHandle(handle) {
    const set = this.#sets.get(handle);
    if (set === undefined) throw unknownHandle(handle);
    if (set.generation !== this.#generation) {
      const loaded = unwrap(this.#call("rolechain_load", undefined, set.json));
      set.moduleHandle = loaded.handle;
      set.generation = this.#generation;
    }
    return set.moduleHandle;
  }

  #memoryBytes() {
    const buffer = this.#exports.memory.buffer;
    if (this.#bytes.buffer !== buffer) this.#bytes = new Uint8Array(buffer);
    return this.#bytes;
  }

  /**
   * Calls export `name` — `(handle)`, `(ptr, len)` or `(handle, ptr, len)` — and
   * answers the result buffer's text. Any exception out of the module (a trap, a
   * stack overflow) discards the instance.
   */
  #call(name, handle, input) {
    if (this.#instance === null) {
      throw new PolicyEngineError("Trap", "the engine is restarting after a trap; `await engine.ready()` and call again");
    }
    const ex = this.#exports;
    let ownPtr = 0;
    try {
      let result;
      if (input === undefined) {
        result = ex[name](handle);
      } else {
        const [ptr, len, own] = this.#write(input);
        ownPtr = own;
        result = handle === undefined ? ex[name](ptr, len) : ex[name](handle, ptr, len);
      }
      if (ownPtr !== 0) {
        ex.rolechain_free(ownPtr);
        ownPtr = 0;
      }
      if (result === 0) {
        this.#restart();
        throw new PolicyEngineError(
          "OutOfMemory",
          `rolechain_policy.wasm could not allocate the answer of ${name} (memory exhausted); the instance was replaced by a fresh one`,
        );
      }
      const bytes = this.#memoryBytes();
      const start = result >>> 0;
      const length = (bytes[start] | (bytes[start + 1] << 8) | (bytes[start + 2] << 16) | (bytes[start + 3] << 24)) >>> 0;
      if (start + 4 + length > bytes.length) throw new RangeError(`result buffer at ${start} claims ${length} bytes past the end of memory`);
      const text = decoder.decode(bytes.subarray(start + 4, start + 4 + length));
      ex.rolechain_free(result);
      return text;
    } catch (e) {
      if (e instanceof PolicyEngineError) {
        if (ownPtr !== 0) ex.rolechain_free(ownPtr);
        throw e;
      }
      this.#restart();
      throw new PolicyEngineError(
        "Trap",
        `rolechain_policy.wasm failed in ${name}: ${e && e.message ? e.message : String(e)}. The instance was discarded and a fresh one started; loaded policy sets keep their handles and are reloaded on their next use`,
        undefined,
        { cause: e },
      );
    }
  }

  /** Writes `text` as UTF-8 into module memory: `[ptr, len, ownPtr]`, ownPtr non-zero when the buffer is the call's own. */
  #write(text) {
    const ex = this.#exports;
    // Fast path: encode straight into the reused buffer when it is large enough.
    if (text.length <= this.#inputCapacity) {
      const bytes = this.#memoryBytes();
      const { read, written } = encoder.encodeInto(text, bytes.subarray(this.#inputPtr, this.#inputPtr + this.#inputCapacity));
      if (read === text.length) return [this.#inputPtr, written, 0];
    }
    const encoded = encoder.encode(text);
    const len = encoded.length;
    if (len > MAX_ALLOC) {
      throw new PolicyEngineError("InputTooLarge", `the input is ${len} bytes; the limit is ${MAX_INPUT_BYTES}`);
    }
    if (len > REUSED_INPUT_LIMIT) {
      const ptr = ex.rolechain_alloc(len);
      if (ptr === 0) throw this.#outOfMemory(len);
      this.#memoryBytes().set(encoded, ptr);
      return [ptr, len, ptr];
    }
    if (len > this.#inputCapacity) {
      // Room for this text and for texts a few times longer, up to the reuse limit.
      const capacity = Math.min(REUSED_INPUT_LIMIT, Math.max(4096, 2 * this.#inputCapacity, 3 * text.length, len));
      if (this.#inputPtr !== 0) ex.rolechain_free(this.#inputPtr);
      this.#inputPtr = 0;
      this.#inputCapacity = 0;
      const ptr = ex.rolechain_alloc(capacity);
      if (ptr === 0) throw this.#outOfMemory(capacity);
      this.#inputPtr = ptr;
      this.#inputCapacity = capacity;
    }
    this.#memoryBytes().set(encoded, this.#inputPtr);
    return [this.#inputPtr, len, 0];
  }

  #outOfMemory(len) {
    this.#restart();
    return new PolicyEngineError(
      "OutOfMemory",
      `rolechain_policy.wasm could not allocate ${len} bytes for the input (memory exhausted); the instance was replaced by a fresh one`,
    );
  }

  /** Replaces the instance with a fresh one from the compiled module. */
  #restart() {
    this.#generation++;
    this.#instance = null;
    this.#exports = null;
    this.#inputPtr = 0;
    this.#inputCapacity = 0;
    try {
      this.#attach(new WebAssembly.Instance(this.#module, {}));
    } catch {
      // Browsers may refuse synchronous instantiation of a large module on the main thread.
      this.#restarting = WebAssembly.instantiate(this.#module, {}).then((instance) => {
        this.#attach(instance);
        this.#restarting = null;
      });
      this.#restarting.catch(() => {});
    }
  }
}

function unknownHandle(handle) {
  return new PolicyEngineError("UnknownHandle", `no policy set is loaded under handle ${handle}`);
}

/** Node only: reads rolechain_policy.wasm from a path (or file: URL) and loads it. */
export async function loadFromFile(path) {
  return PolicyEngine.load(await readFileBytes(path));
}
