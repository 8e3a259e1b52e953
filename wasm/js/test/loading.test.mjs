// PolicyEngine.load from every kind of source, and the ABI check.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { before, describe, test } from "node:test";

import { PolicyEngine, PolicyEngineError, loadFromFile } from "../rolechain-policy.mjs";
import { fakeModule } from "./fake-module.mjs";
import { READER_SET, modulePath, moduleBytes, request } from "./helpers.mjs";

let bytes;
before(async () => {
  bytes = await moduleBytes();
});

async function works(engine) {
  assert.ok(engine instanceof PolicyEngine);
  assert.equal(engine.abiVersion.major, 1);
  const h = engine.loadPolicySet(READER_SET);
  assert.equal(engine.authorize(h, request("dynamodb:GetItem")).decision, "allowed");
  engine.unload(h);
}

describe("PolicyEngine.load takes", () => {
  test("a Uint8Array (a Node Buffer), also a view into a larger buffer", async () => {
    await works(await PolicyEngine.load(bytes));
    const padded = new Uint8Array(bytes.length + 32);
    padded.set(bytes, 16);
    await works(await PolicyEngine.load(padded.subarray(16, 16 + bytes.length)));
  });

  test("an ArrayBuffer", async () => {
    await works(await PolicyEngine.load(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
  });

  test("a compiled WebAssembly.Module, e.g. another engine's", async () => {
    const module = await WebAssembly.compile(bytes);
    await works(await PolicyEngine.load(module));
    const first = await PolicyEngine.load(module);
    const second = await PolicyEngine.load(first.module);
    assert.equal(second.module, module);
    // Engines of one module are independent instances.
    const h = first.loadPolicySet(READER_SET);
    assert.equal(second.loadedPolicySets, 0);
    assert.throws(() => second.unload(h + 1000), PolicyEngineError);
    assert.equal(first.authorize(h, request("dynamodb:GetItem")).decision, "allowed");
  });

  test("a Response, streaming when it says application/wasm, or a promise of one", async () => {
    await works(await PolicyEngine.load(new Response(bytes, { headers: { "content-type": "application/wasm" } })));
    await works(await PolicyEngine.load(Promise.resolve(new Response(bytes, { headers: { "content-type": "application/wasm" } }))));
  });

  test("a Response without the wasm content type (read as bytes instead)", async () => {
    await works(await PolicyEngine.load(new Response(bytes, { headers: { "content-type": "application/octet-stream" } })));
  });

  test("a file: URL (read with node:fs), and loadFromFile a path or URL", async () => {
    await works(await PolicyEngine.load(pathToFileURL(modulePath)));
    await works(await loadFromFile(modulePath));
    await works(await loadFromFile(pathToFileURL(modulePath)));
  });
});

describe("PolicyEngine.load refuses", () => {
  test("a failed HTTP response", async () => {
    await assert.rejects(PolicyEngine.load(new Response("gone", { status: 404, statusText: "Not Found" })), /HTTP 404 Not Found/);
  });

  test("a string, pointing to loadFromFile", async () => {
    await assert.rejects(PolicyEngine.load(modulePath), { name: "TypeError", message: /loadFromFile/ });
    await assert.rejects(PolicyEngine.load(42), TypeError);
  });

  test("bytes that are not wasm", async () => {
    await assert.rejects(PolicyEngine.load(new Uint8Array([1, 2, 3, 4])), WebAssembly.CompileError);
    await assert.rejects(loadFromFile("/nonexistent/rolechain_policy.wasm"), { code: "ENOENT" });
  });

  test("a module of another ABI major version", async () => {
    await assert.rejects(PolicyEngine.load(fakeModule({ major: 2, minor: 3 })), (e) => {
      assert.ok(e instanceof PolicyEngineError);
      assert.equal(e.code, "IncompatibleModule");
      assert.match(e.message, /speaks ABI 2\.3; this host speaks ABI 1\.x/);
      return true;
    });
    await assert.rejects(PolicyEngine.load(fakeModule({ major: 0 })), { code: "IncompatibleModule" });
  });

  test("a module that is not rolechain_policy.wasm", async () => {
    await assert.rejects(PolicyEngine.load(fakeModule({ omit: ["rolechain_lint", "rolechain_unload"] })), {
      code: "IncompatibleModule",
      message: "this is not rolechain_policy.wasm: it lacks the exports rolechain_lint, rolechain_unload",
    });
  });

  test("a newer minor version is accepted", async () => {
    const engine = await PolicyEngine.load(fakeModule({ major: 1, minor: 7 }));
    assert.deepEqual({ ...engine.abiVersion }, { major: 1, minor: 7 });
  });

  test("direct construction without a module and instance", () => {
    assert.throws(() => new PolicyEngine(), /PolicyEngine\.load/);
  });
});

test("the module on disk is the one build.rs leaves: zero imports, the documented exports", async () => {
  const module = new WebAssembly.Module(await readFile(modulePath));
  assert.deepEqual(WebAssembly.Module.imports(module), []);
  const names = WebAssembly.Module.exports(module).map((e) => e.name);
  for (const n of ["memory", "rolechain_abi_version", "rolechain_abi_minor_version", "rolechain_alloc", "rolechain_free", "rolechain_load", "rolechain_authorize", "rolechain_authorize_once", "rolechain_lint", "rolechain_unload"]) {
    assert.ok(names.includes(n), n);
  }
});
