// Errors: every `{"error": ...}` answer becomes a PolicyEngineError with its code and fields.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { MAX_INPUT_BYTES, PolicyEngine, PolicyEngineError } from "../rolechain-policy.mjs";
import { READER_SET, moduleBytes, request, thrown } from "./helpers.mjs";

let engine;
before(async () => {
  engine = await PolicyEngine.load(await moduleBytes());
});

test("PolicyEngineError is an Error with a code, a message and the module's details", () => {
  const e = thrown(assert, () => engine.loadPolicySet("{"), "InvalidInput");
  assert.ok(e instanceof PolicyEngineError);
  assert.ok(e instanceof Error);
  assert.equal(e.name, "PolicyEngineError");
  assert.equal(e.details.code, "InvalidInput");
  assert.equal(e.details.message, e.message);
  assert.match(String(e), /^PolicyEngineError: not a valid policy set/);
});

describe("bad JSON", () => {
  test("is InvalidInput with the path '' and the line and column where reading stopped", () => {
    const e = thrown(assert, () => engine.loadPolicySet('{\n  "identity": [,]\n}'), "InvalidInput");
    assert.equal(e.path, "");
    assert.deepEqual([e.line, e.column], [2, 16]);
    assert.match(e.message, /not JSON/);
    const h = engine.loadPolicySet(READER_SET);
    const r = thrown(assert, () => engine.authorize(h, "{bad"), "InvalidInput");
    assert.deepEqual([r.path, r.line, r.column], ["", 1, 2]);
    thrown(assert, () => engine.authorizeOnce("[", "{}"), "InvalidInput");
    thrown(assert, () => engine.authorize(h, ""), "InvalidInput");
    engine.unload(h);
  });

  test("of the wrong shape is InvalidInput naming the path", () => {
    const unknown = thrown(assert, () => engine.loadPolicySet('{"identity":[{"documnt":"{}"}]}'), "InvalidInput");
    assert.deepEqual([unknown.path, unknown.line, unknown.column], ["identity[0].documnt", 1, 15]);
    assert.match(unknown.message, /unknown field; expected one of: id, kind, document/);
    const notASet = thrown(assert, () => engine.loadPolicySet('"a set"'), "InvalidInput");
    assert.match(notASet.message, /expected an object, found a string/);
    const kind = thrown(assert, () => engine.loadPolicySet({ identity: [{ kind: "role", document: "{}" }] }), "InvalidInput");
    assert.equal(kind.path, "identity[0].kind");
    const h = engine.loadPolicySet(READER_SET);
    const robot = thrown(assert, () => engine.authorize(h, { principal: { type: "robot" }, action: "a:b", resource: "*" }), "InvalidInput");
    assert.equal(robot.path, "principal.type");
    const missing = thrown(assert, () => engine.authorize(h, { principal: { type: "anonymous" }, resource: "*" }), "InvalidInput");
    assert.deepEqual([missing.path, missing.message], ["action", "not a valid request: action: missing field (line 1, column 1)"]);
    const context = thrown(assert, () => engine.authorize(h, request("a:b", { context: { k: { nested: 1 } } })), "InvalidInput");
    assert.equal(context.path, "context.k");
    // The one-shot call's paths start at its own members.
    const once = thrown(assert, () => engine.authorizeOnce(READER_SET, { principal: { type: "robot" }, action: "a:b", resource: "*" }), "InvalidInput");
    assert.equal(once.path, "request.principal.type");
    const lint = thrown(assert, () => engine.lint("{}", 5), "InvalidInput");
    assert.deepEqual([lint.path, lint.message], ["kind", "not a valid lint request: kind: expected a string, found a number (line 1, column 25)"]);
    engine.unload(h);
  });

  test("that JSON.stringify cannot write is a TypeError before the module is called", () => {
    assert.throws(() => engine.loadPolicySet(undefined), TypeError);
    assert.throws(() => engine.lint(undefined), TypeError);
    assert.throws(() => engine.authorize(1, () => {}), TypeError);
    assert.throws(() => engine.authorizeOnce(READER_SET, { principal: { type: "anonymous" }, action: 1n }), TypeError);
  });
});

test("an unknown handle is UnknownHandle, from every call that takes one", () => {
  for (const handle of [0, -1, 987654, 1.5, "1", undefined]) {
    const e = thrown(assert, () => engine.authorize(handle, request("dynamodb:GetItem")), "UnknownHandle");
    assert.equal(e.message, `no policy set is loaded under handle ${handle}`);
    thrown(assert, () => engine.authorizeJson(handle, "{}"), "UnknownHandle");
    thrown(assert, () => engine.unload(handle), "UnknownHandle");
  }
});

describe("a malformed policy", () => {
  const text = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Resource": "*"}\n  ]\n}';

  test("is MalformedPolicyDocument with its place, id, line, column and every finding", () => {
    const e = thrown(
      assert,
      () => engine.loadPolicySet({ identity: [READER_SET.identity[0], { id: "writer", document: text }] }),
      "MalformedPolicyDocument",
    );
    assert.equal(e.place, "identity[1]");
    assert.equal(e.policyId, "writer");
    assert.deepEqual([e.line, e.column], [4, 5]);
    assert.equal(e.message, "identity[1] (writer): MalformedPolicyDocument: Policy statement must contain actions. (line 4, column 5)");
    assert.deepEqual(
      e.findings.map((f) => [f.severity, f.code, f.position.line, f.position.column]),
      [["ERROR", "MISSING_ACTION", 4, 5]],
    );
    assert.equal(e.path, undefined);
  });

  test("is the same error from authorizeOnce, and its place may be deep in a level", () => {
    const e = thrown(
      assert,
      () => engine.authorizeOnce({ scpLevels: [[], [{ document: text.replace("Allow", "Alow") }]] }, request("a:b")),
      "MalformedPolicyDocument",
    );
    assert.equal(e.place, "scpLevels[1][0]");
    assert.equal(e.policyId, "scpLevels[1][0]", "the id defaults to the place");
    assert.ok(e.findings.some((f) => f.code === "INVALID_EFFECT"));
  });

  test("of a kind that cannot stand in its place is InvalidInput with place and id", () => {
    const e = thrown(assert, () => engine.loadPolicySet({ resource: { id: "mine", kind: "identity", document: "{}" } }), "InvalidInput");
    assert.equal(e.place, "resource");
    assert.equal(e.policyId, "mine");
    assert.match(e.message, /cannot stand here; use one of: resource, trust, dynamodb-table/);
  });

  test("over its kind's size limit is LimitExceeded", () => {
    const statements = Array.from({ length: 200 }, (_, i) => ({
      Sid: `S${i}`,
      Effect: "Allow",
      Action: "s3:GetObject",
      Resource: `arn:aws:s3:::bucket-${i}/*`,
    }));
    const e = thrown(
      assert,
      () => engine.loadPolicySet({ identity: [{ id: "big", document: { Version: "2012-10-17", Statement: statements } }] }),
      "LimitExceeded",
    );
    assert.equal(e.place, "identity[0]");
    assert.ok(e.findings.some((f) => f.code === "POLICY_SIZE_EXCEEDED"));
  });
});

describe("an input over 8 MiB", () => {
  test("is InputTooLarge from the module, and the engine carries on", () => {
    const h = engine.loadPolicySet(READER_SET);
    const big = JSON.stringify(request("dynamodb:GetItem", { context: { pad: "x".repeat(MAX_INPUT_BYTES) } }));
    assert.ok(big.length > MAX_INPUT_BYTES && big.length < 16 * 1024 * 1024);
    const e = thrown(assert, () => engine.authorizeJson(h, big), "InputTooLarge");
    assert.equal(e.message, `the input is ${big.length} bytes; the limit is ${MAX_INPUT_BYTES}`);
    thrown(assert, () => engine.loadPolicySet(" ".repeat(MAX_INPUT_BYTES + 1)), "InputTooLarge");
    thrown(assert, () => engine.lint("x".repeat(MAX_INPUT_BYTES)), "InputTooLarge");
    // Exactly at the limit is read (and here refused only for its shape).
    const exact = " ".repeat(MAX_INPUT_BYTES - 2) + "{}";
    thrown(assert, () => engine.authorizeJson(h, exact), "InvalidInput");
    assert.equal(engine.authorize(h, request("dynamodb:GetItem")).decision, "allowed");
    engine.unload(h);
  });

  test("past the module's 16 MiB allocator is InputTooLarge from the host", () => {
    const e = thrown(assert, () => engine.lint("x".repeat(17 * 1024 * 1024)), "InputTooLarge");
    assert.match(e.message, /the limit is 8388608/);
    assert.equal(engine.lint("{}").kind, "identity");
  });
});

test("4,096 loaded sets are the most: TooManyPolicySets, until one is unloaded", () => {
  const own = new PolicyEngine(engine.module, new WebAssembly.Instance(engine.module, {}));
  const small = JSON.stringify({ identity: [{ document: '{"Version":"2012-10-17","Statement":[]}' }] });
  const handles = [];
  for (let i = 0; i < 4096; i++) handles.push(own.loadPolicySet(small));
  const e = thrown(assert, () => own.loadPolicySet(small), "TooManyPolicySets");
  assert.match(e.message, /4096 policy sets are loaded; unload one first/);
  assert.equal(own.loadedPolicySets, 4096);
  own.unload(handles[100]);
  const again = own.loadPolicySet(small);
  assert.ok(!handles.includes(again));
  assert.equal(own.authorize(again, request("dynamodb:GetItem")).decision, "implicitDeny");
});
