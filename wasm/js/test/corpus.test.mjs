// The shared corpus (tests/corpus/*.json, format in tests/corpus/README.md):
// every file's policy set is loaded, every case's request decided, and the
// decision must equal the case's blessed `answer` exactly and agree with its
// hand-written `expect` (decision, and deniedBy for denials). The same request
// also goes through authorizeJson and authorizeOnce, which must agree.
//
// No corpus is a failure, not a pass: set ROLECHAIN_CORPUS_OPTIONAL=1 only for
// development runs on a tree without it.
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { before, describe, test } from "node:test";

import { PolicyEngine } from "../rolechain-policy.mjs";
import { corpusDir, moduleBytes } from "./helpers.mjs";

const optional = process.env.ROLECHAIN_CORPUS_OPTIONAL === "1";
const files = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith(".json")).sort() : [];

let engine;
before(async () => {
  engine = await PolicyEngine.load(await moduleBytes());
});

test("the corpus is there", { skip: files.length === 0 && optional ? "ROLECHAIN_CORPUS_OPTIONAL=1 and no corpus" : false }, () => {
  assert.ok(
    files.length > 0,
    `no corpus: ${corpusDir} ${existsSync(corpusDir) ? "has no *.json files" : "does not exist"}. ` +
      "The JavaScript host must run the shared corpus (tests/corpus/README.md); " +
      "set ROLECHAIN_CORPUS_OPTIONAL=1 only for a development run without it.",
  );
});

/** Path-by-path differences between the blessed answer and the decision, for a readable failure. */
function diff(path, expected, actual, out = []) {
  if (expected && actual && typeof expected === "object" && typeof actual === "object" && Array.isArray(expected) === Array.isArray(actual)) {
    const keys = new Set([...Object.keys(expected), ...Object.keys(actual)]);
    for (const k of [...keys].sort()) {
      const p = Array.isArray(expected) ? `${path}[${k}]` : `${path}.${k}`;
      if (!(k in actual)) out.push(`${p}: expected ${JSON.stringify(expected[k])}, the host gives nothing`);
      else if (!(k in expected)) out.push(`${p}: not expected, the host gives ${JSON.stringify(actual[k])}`);
      else diff(p, expected[k], actual[k], out);
    }
  } else if (JSON.stringify(expected) !== JSON.stringify(actual)) {
    out.push(`${path}: expected ${JSON.stringify(expected)}, the host gives ${JSON.stringify(actual)}`);
  }
  return out;
}

for (const file of files) {
  describe(`corpus ${file}`, () => {
    const corpus = JSON.parse(readFileSync(join(corpusDir, file), "utf8"));
    const cases = Array.isArray(corpus.cases) ? corpus.cases : [];
    let handle;
    // The set exactly as the other hosts hand it over: compact JSON, members in file order.
    const setJson = JSON.stringify(corpus.policies ?? {});

    test("the policy set loads", () => {
      assert.ok(cases.length > 0, `${file} has no cases`);
      handle = engine.loadPolicySet(setJson);
    });

    cases.forEach((c, i) => {
      const name = typeof c.name === "string" ? c.name : `(case ${i})`;
      test(name, () => {
        assert.ok(handle !== undefined, "the policy set did not load");
        assert.ok(c.expect && typeof c.expect.decision === "string", "the case has no `expect.decision`");
        const requestJson = JSON.stringify(c.request);
        const decision = engine.authorize(handle, c.request);
        const where = `${file} / ${name}`;
        assert.equal(decision.decision, c.expect.decision, `${where}: expected ${c.expect.decision}, the host decides ${decision.decision}: ${decision.message ?? ""}`);
        assert.equal(decision.deniedBy, c.expect.deniedBy, `${where}: expected deniedBy ${c.expect.deniedBy}, the host gives ${decision.deniedBy}`);
        assert.ok(c.answer && typeof c.answer === "object", `${where}: the case has no \`answer\`: bless the corpus (tests/corpus/README.md)`);
        const differences = diff("answer", c.answer, decision);
        assert.deepEqual(decision, c.answer, `${where}: the decision differs from the blessed answer:\n  ${differences.join("\n  ")}`);
        assert.deepEqual(JSON.parse(engine.authorizeJson(handle, requestJson)), c.answer, `${where}: authorizeJson differs`);
        assert.deepEqual(engine.authorizeOnce(setJson, requestJson), c.answer, `${where}: authorizeOnce differs`);
      });
    });

    test("the policy set unloads", () => {
      if (handle !== undefined) engine.unload(handle);
    });
  });
}
