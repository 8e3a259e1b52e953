// Shared by the tests: where things are, and the engine loaded once per file.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const modulePath = fileURLToPath(new URL("../../../target/rolechain_policy.wasm", import.meta.url));
/** tests/corpus, or ROLECHAIN_CORPUS_DIR. */
export const corpusDir = process.env.ROLECHAIN_CORPUS_DIR ?? fileURLToPath(new URL("../../../tests/corpus/", import.meta.url));

export async function moduleBytes() {
  try {
    return await readFile(modulePath);
  } catch (e) {
    throw new Error(`${modulePath} is missing: build it with \`cargo build -p rolechain-wasm-host\` (wasm/js/test.sh does) (${e.code})`);
  }
}

/** An identity policy that allows dynamodb:GetItem on the orders table; Sid Read, statement at line 4, column 5. */
export const READER_DOCUMENT = `{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:GetItem",
     "Resource": "arn:aws:dynamodb:eu-west-2:222222222222:table/orders"},
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"}
  ]
}`;

export const READER_SET = { identity: [{ id: "reader", document: READER_DOCUMENT }] };

export const CALLER = {
  type: "assumedRole",
  arn: "arn:aws:sts::222222222222:assumed-role/reader/s1",
  roleArn: "arn:aws:iam::222222222222:role/reader",
};

export function request(action, extra = {}) {
  return { principal: CALLER, action, resource: "arn:aws:dynamodb:eu-west-2:222222222222:table/orders", ...extra };
}

/** Asserts that `fn` throws a PolicyEngineError with `code`, and answers it. */
export function thrown(assert, fn, code) {
  try {
    fn();
  } catch (e) {
    assert.equal(e?.name, "PolicyEngineError", `expected a PolicyEngineError ${code}, got ${e?.stack ?? e}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected a PolicyEngineError ${code}, but nothing was thrown`);
}
