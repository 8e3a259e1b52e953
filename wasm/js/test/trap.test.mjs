// Absurd calls through the raw instance, and recovery from traps: a trapped
// instance is never used again, and loaded sets keep their handles.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { PolicyEngine } from "../rolechain-policy.mjs";
import { fakeModule } from "./fake-module.mjs";
import { READER_SET, moduleBytes, request, thrown } from "./helpers.mjs";

let module;
before(async () => {
  module = await WebAssembly.compile(await moduleBytes());
});

/** Reads a result buffer of the raw instance and frees it. */
function answer(exports, result) {
  const n = new DataView(exports.memory.buffer).getUint32(result, true);
  const text = new TextDecoder().decode(new Uint8Array(exports.memory.buffer, result + 4, n));
  assert.equal(exports.rolechain_free(result), 0);
  return JSON.parse(text);
}

describe("absurd calls through the raw instance", () => {
  test("are answered, never trapped on, and the engine still answers", async () => {
    const engine = await PolicyEngine.load(module);
    const h = engine.loadPolicySet(READER_SET);
    const ex = engine.instance.exports;
    assert.equal(ex.rolechain_free(-5), -1);
    assert.equal(ex.rolechain_free(0x7fffffff), -1);
    assert.equal(ex.rolechain_free(8), -1);
    assert.equal(ex.rolechain_alloc(-1), 0);
    assert.equal(ex.rolechain_alloc(16 * 1024 * 1024 + 1), 0);
    const code = (r) => answer(ex, r).error?.code;
    for (const [ptr, len] of [[0, 10], [-1, 5], [0x7ffffff0, 100], [1024, -1], [8, 0x7fffffff]]) {
      assert.equal(code(ex.rolechain_lint(ptr, len)), "InvalidPointer", `lint(${ptr}, ${len})`);
      assert.equal(code(ex.rolechain_load(ptr, len)), "InvalidPointer");
      assert.equal(code(ex.rolechain_authorize_once(ptr, len)), "InvalidPointer");
      assert.equal(code(ex.rolechain_authorize(1, ptr, len)), "InvalidPointer");
    }
    // A length running past the end of a live buffer, and a freed buffer.
    const p = ex.rolechain_alloc(16);
    assert.ok(p > 0);
    assert.equal(code(ex.rolechain_lint(p, 17)), "InvalidPointer");
    assert.equal(code(ex.rolechain_lint(p + 8, 9)), "InvalidPointer");
    assert.equal(code(ex.rolechain_lint(p, 16)), "InvalidInput"); // 16 zero bytes: not JSON
    assert.equal(ex.rolechain_free(p), 0);
    assert.equal(ex.rolechain_free(p), -1, "a double free is refused");
    assert.equal(code(ex.rolechain_lint(p, 1)), "InvalidPointer");
    assert.equal(code(ex.rolechain_unload(-3)), "UnknownHandle");
    assert.equal(code(ex.rolechain_authorize(-3, 0, 0)), "InvalidPointer");
    // The engine never noticed.
    assert.equal(engine.instance.exports, ex);
    assert.equal(engine.authorize(h, request("dynamodb:GetItem")).decision, "allowed");
  });
});

describe("a trap", () => {
  test("in the real module (its memory corrupted) discards the instance; handles survive", async () => {
    const engine = await PolicyEngine.load(module);
    const a = engine.loadPolicySet(READER_SET);
    const b = engine.loadPolicySet({ identity: [{ id: "nothing", document: '{"Version":"2012-10-17","Statement":[]}' }] });
    const before = engine.authorize(a, request("dynamodb:GetItem"));
    const old = engine.instance;
    const ex = old.exports;
    // Scribble over the module's static data (its allocator and state live there).
    new Uint8Array(ex.memory.buffer).fill(0xff, 1024 * 1024, ex.__heap_base?.value ?? ex.memory.buffer.byteLength);
    const e = thrown(assert, () => engine.authorize(a, request("dynamodb:GetItem")), "Trap");
    assert.ok(e.cause instanceof WebAssembly.RuntimeError, String(e.cause));
    assert.match(e.message, /rolechain_policy\.wasm failed in rolechain_authorize: .*a fresh one started; loaded policy sets keep their handles/);
    assert.notEqual(engine.instance, old, "a fresh instance");
    // Both sets answer as before, reloaded into the fresh instance on first use.
    assert.deepEqual(engine.authorize(a, request("dynamodb:GetItem")), before);
    assert.equal(engine.authorize(b, request("dynamodb:GetItem")).decision, "implicitDeny");
    assert.equal(engine.loadedPolicySets, 2);
    const c = engine.loadPolicySet(READER_SET);
    assert.ok(c !== a && c !== b, "handles are not reused across instances");
    engine.unload(b);
    thrown(assert, () => engine.authorize(b, request("dynamodb:GetItem")), "UnknownHandle");
    assert.equal(engine.lint("{}").kind, "identity");
    assert.equal(engine.authorizeOnce(READER_SET, request("dynamodb:PutItem")).decision, "implicitDeny");
  });

  test("a set unloaded before it was reloaded is simply forgotten", async () => {
    const engine = await PolicyEngine.load(module);
    const a = engine.loadPolicySet(READER_SET);
    const ex = engine.instance.exports;
    new Uint8Array(ex.memory.buffer).fill(0xff, 1024 * 1024, ex.__heap_base?.value ?? ex.memory.buffer.byteLength);
    thrown(assert, () => engine.lint("{}"), "Trap");
    engine.unload(a);
    assert.equal(engine.loadedPolicySets, 0);
    thrown(assert, () => engine.unload(a), "UnknownHandle");
  });

  test("`unreachable` and a stack overflow are both traps; every call gets a fresh instance", async () => {
    const engine = await PolicyEngine.load(
      fakeModule({ bodies: { rolechain_alloc: 1024, rolechain_lint: "trap", rolechain_authorize_once: "recurse" } }),
    );
    const first = engine.instance;
    const t = thrown(assert, () => engine.lint("{}"), "Trap");
    assert.ok(t.cause instanceof WebAssembly.RuntimeError);
    assert.match(t.message, /unreachable/);
    const second = engine.instance;
    assert.notEqual(second, first);
    const r = thrown(assert, () => engine.authorizeOnce({}, {}), "Trap");
    assert.ok(r.cause instanceof RangeError, "V8 reports a wasm stack overflow as a RangeError");
    assert.notEqual(engine.instance, second);
  });
});

describe("memory exhausted", () => {
  test("no input buffer (rolechain_alloc answers 0) is OutOfMemory, with a fresh instance", async () => {
    const engine = await PolicyEngine.load(fakeModule());
    const old = engine.instance;
    const e = thrown(assert, () => engine.lint("{}"), "OutOfMemory");
    assert.match(e.message, /could not allocate 4096 bytes for the input/);
    assert.notEqual(engine.instance, old);
  });

  test("no result buffer (a call answers 0) is OutOfMemory, with a fresh instance", async () => {
    const engine = await PolicyEngine.load(fakeModule({ bodies: { rolechain_alloc: 1024 } }));
    const old = engine.instance;
    const e = thrown(assert, () => engine.loadPolicySet({}), "OutOfMemory");
    assert.match(e.message, /could not allocate the answer of rolechain_load/);
    assert.notEqual(engine.instance, old);
  });
});
