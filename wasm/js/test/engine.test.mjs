// The API: load, authorize, unload, one-shot, lint, and the input buffer.
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";

import { ABI_MAJOR_VERSION, PolicyEngine } from "../rolechain-policy.mjs";
import { CALLER, READER_DOCUMENT, READER_SET, moduleBytes, request, thrown } from "./helpers.mjs";

let engine;
before(async () => {
  engine = await PolicyEngine.load(await moduleBytes());
});

test("the ABI version is 1.x", () => {
  assert.equal(ABI_MAJOR_VERSION, 1);
  assert.equal(engine.abiVersion.major, 1);
  assert.ok(Number.isInteger(engine.abiVersion.minor) && engine.abiVersion.minor >= 0);
  assert.ok(Object.isFrozen(engine.abiVersion));
});

describe("a loaded policy set", () => {
  test("allows, with the deciding statement and its position", () => {
    const h = engine.loadPolicySet(READER_SET);
    const d = engine.authorize(h, request("dynamodb:GetItem"));
    assert.deepEqual(d, {
      decision: "allowed",
      decidingStatements: [
        { policyId: "reader", policyType: "identity", statementIndex: 0, sid: "Read", effect: "Allow", line: 4, column: 5 },
      ],
      matchedStatements: [
        { policyId: "reader", policyType: "identity", statementIndex: 0, sid: "Read", effect: "Allow", line: 4, column: 5 },
      ],
      missingContextKeys: [],
    });
    engine.unload(h);
  });

  test("denies implicitly and explicitly, in AWS's words", () => {
    const h = engine.loadPolicySet(READER_SET);
    const put = engine.authorize(h, request("dynamodb:PutItem"));
    assert.equal(put.decision, "implicitDeny");
    assert.equal(put.deniedBy, "identity");
    assert.deepEqual(put.decidingStatements, []);
    assert.equal(
      put.message,
      "User: arn:aws:sts::222222222222:assumed-role/reader/s1 is not authorized to perform: dynamodb:PutItem on resource: " +
        "arn:aws:dynamodb:eu-west-2:222222222222:table/orders because no identity-based policy allows the dynamodb:PutItem action",
    );
    const del = engine.authorize(h, request("dynamodb:DeleteItem"));
    assert.equal(del.decision, "explicitDeny");
    assert.equal(del.deniedBy, "identity");
    assert.deepEqual(
      del.decidingStatements.map((s) => [s.sid, s.effect, s.statementIndex, s.line]),
      [["NoDeletes", "Deny", 1, 6]],
    );
    assert.match(del.message, /with an explicit deny in an identity-based policy$/);
    engine.unload(h);
  });

  test("handles are distinct and never 0; unload forgets exactly one set", () => {
    const before = engine.loadedPolicySets;
    const a = engine.loadPolicySet(READER_SET);
    const b = engine.loadPolicySet(JSON.stringify(READER_SET)); // JSON text works as well
    assert.ok(a > 0 && b > 0 && a !== b);
    assert.equal(engine.loadedPolicySets, before + 2);
    engine.unload(a);
    assert.equal(engine.loadedPolicySets, before + 1);
    assert.equal(engine.authorize(b, request("dynamodb:GetItem")).decision, "allowed");
    thrown(assert, () => engine.authorize(a, request("dynamodb:GetItem")), "UnknownHandle");
    thrown(assert, () => engine.unload(a), "UnknownHandle");
    engine.unload(b);
    const c = engine.loadPolicySet(READER_SET);
    assert.ok(c !== a && c !== b, "handles are not reused");
    engine.unload(c);
  });

  test("the request may be JSON text", () => {
    const h = engine.loadPolicySet(READER_SET);
    assert.deepEqual(
      engine.authorize(h, JSON.stringify(request("dynamodb:GetItem"))),
      engine.authorize(h, request("dynamodb:GetItem")),
    );
    engine.unload(h);
  });

  test("authorizeJson answers the decision's JSON text", () => {
    const h = engine.loadPolicySet(READER_SET);
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]) {
      const text = engine.authorizeJson(h, JSON.stringify(request(action)));
      assert.equal(typeof text, "string");
      assert.deepEqual(JSON.parse(text), engine.authorize(h, request(action)));
      assert.ok(text.startsWith("{") && !text.startsWith('{"ok"'));
    }
    assert.throws(() => engine.authorizeJson(h, request("dynamodb:GetItem")), TypeError);
    thrown(assert, () => engine.authorizeJson(h, "{"), "InvalidInput");
    engine.unload(h);
    thrown(assert, () => engine.authorizeJson(h, JSON.stringify(request("dynamodb:GetItem"))), "UnknownHandle");
  });

  test("context values: strings, numbers, booleans and arrays; keys case-insensitive", () => {
    const h = engine.loadPolicySet({
      identity: [
        {
          id: "conditions",
          document: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: "dynamodb:GetItem",
                Resource: "*",
                Condition: {
                  Bool: { "aws:SecureTransport": "true" },
                  NumericLessThan: { "aws:MultiFactorAuthAge": "3600" },
                  "ForAllValues:StringEquals": { "aws:TagKeys": ["team", "env"] },
                  IpAddress: { "aws:SourceIp": "10.0.0.0/8" },
                },
              },
            ],
          },
        },
      ],
    });
    const ok = engine.authorize(
      h,
      request("dynamodb:GetItem", {
        context: { "AWS:SecureTransport": true, "aws:multifactorauthage": 30, "aws:TagKeys": ["team"], "aws:SourceIp": "10.1.2.3" },
      }),
    );
    assert.equal(ok.decision, "allowed");
    const missing = engine.authorize(h, request("dynamodb:GetItem", { context: { "aws:TagKeys": ["team"] } }));
    assert.equal(missing.decision, "implicitDeny");
    assert.deepEqual([...missing.missingContextKeys].sort(), ["aws:MultiFactorAuthAge", "aws:SecureTransport", "aws:SourceIp"]);
    engine.unload(h);
  });
});

describe("authorizeOnce", () => {
  test("gives the answer a loaded set gives, from objects or JSON text", () => {
    const h = engine.loadPolicySet(READER_SET);
    for (const action of ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"]) {
      const loaded = engine.authorize(h, request(action));
      assert.deepEqual(engine.authorizeOnce(READER_SET, request(action)), loaded);
      assert.deepEqual(engine.authorizeOnce(JSON.stringify(READER_SET), JSON.stringify(request(action))), loaded);
      assert.deepEqual(engine.authorizeOnce(READER_SET, JSON.stringify(request(action))), loaded);
    }
    engine.unload(h);
  });

  test("loads nothing", () => {
    const before = engine.loadedPolicySets;
    engine.authorizeOnce(READER_SET, request("dynamodb:GetItem"));
    assert.equal(engine.loadedPolicySets, before);
  });

  test("every principal type and a whole chain of policy types", () => {
    const allowAll = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };
    const trust = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::111111111111:role/workload" }, Action: "sts:AssumeRole" }],
    };
    const set = {
      identity: [{ id: "assume", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } }],
      resource: { id: "trust", kind: "trust", document: trust },
      permissionsBoundary: { id: "boundary", document: allowAll },
      session: [{ id: "session", document: allowAll }],
      scpLevels: [[{ id: "root-scp", document: allowAll }], [{ id: "account-scp", document: allowAll }]],
      rcpLevels: [[{ id: "rcp", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] } }]],
    };
    const role = "arn:aws:iam::222222222222:role/dynamodb-reader";
    const workload = { type: "assumedRole", arn: "arn:aws:sts::111111111111:assumed-role/workload/pod" };
    const d = engine.authorizeOnce(set, { principal: workload, action: "sts:AssumeRole", resource: role });
    assert.equal(d.decision, "allowed", d.message);
    const principals = [
      { type: "root", account: "111111111111" },
      { type: "user", arn: "arn:aws:iam::111111111111:user/alice" },
      { type: "federatedUser", arn: "arn:aws:sts::111111111111:federated-user/bob" },
      { type: "webIdentity", provider: "arn:aws:iam::111111111111:oidc-provider/oidc.example.com/id/X" },
      { type: "service", service: "ec2.amazonaws.com" },
      { type: "anonymous" },
      CALLER,
    ];
    for (const principal of principals) {
      const denied = engine.authorizeOnce(set, { principal, action: "sts:AssumeRole", resource: role });
      assert.notEqual(denied.decision, "allowed", JSON.stringify(principal));
      assert.equal(typeof denied.deniedBy, "string");
      assert.equal(typeof denied.message, "string");
    }
  });
});

describe("lint", () => {
  test("every finding, with position and fix", () => {
    const report = engine.lint('{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}', "identity");
    assert.equal(report.kind, "identity");
    assert.equal(report.kindInferred, false);
    assert.deepEqual(
      report.findings.map((f) => [f.severity, f.code, f.position.line, f.position.column, f.position.offset]),
      [
        ["ERROR", "MISSING_ACTION", 1, 38, 37],
        ["ERROR", "MISSING_RESOURCE", 1, 38, 37],
      ],
    );
    assert.equal(report.findings[0].message, "Policy statement must contain actions.");
    assert.equal(typeof report.findings[0].fix, "string");
  });

  test("infers the kind when it is not given", () => {
    const trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}';
    const report = engine.lint(trust);
    assert.equal(report.kind, "trust");
    assert.equal(report.kindInferred, true);
    assert.deepEqual(report.findings, []);
    assert.equal(engine.lint(trust, null).kindInferred, true);
  });

  test("a document object is linted as its pretty-printed text", () => {
    const report = engine.lint({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Resource: "*" }] }, "identity");
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.position.line, f.position.column]),
      [["MISSING_ACTION", 4, 5]],
    );
  });

  test("a document that is not JSON is a finding, not an error", () => {
    const report = engine.lint('{"Version": "2012-10-17", "Statement": [', "identity");
    assert.equal(report.findings[0].code, "JSON_SYNTAX_ERROR");
  });

  test("an unknown kind is InvalidInput at `kind`", () => {
    const e = thrown(assert, () => engine.lint("{}", "role"), "InvalidInput");
    assert.equal(e.path, "kind");
    assert.match(e.message, /unknown policy kind `role`/);
  });
});

describe("the input buffer", () => {
  test("is reused: thousands of calls do not grow memory", () => {
    const h = engine.loadPolicySet(READER_SET);
    const req = JSON.stringify(request("dynamodb:GetItem"));
    for (let i = 0; i < 200; i++) engine.authorizeJson(h, req);
    const size = engine.instance.exports.memory.buffer.byteLength;
    for (let i = 0; i < 20000; i++) engine.authorizeJson(h, req);
    assert.equal(engine.instance.exports.memory.buffer.byteLength, size);
    engine.unload(h);
  });

  test("carries multi-byte UTF-8 of every width, and grows for longer inputs", () => {
    const h = engine.loadPolicySet({
      identity: [
        {
          id: "tags",
          document: {
            Version: "2012-10-17",
            Statement: [{ Sid: "Tagged", Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*", Condition: { StringLike: { "aws:PrincipalTag/team": "Équipe-*" } } }],
          },
        },
      ],
    });
    const tagged = (team, padding = "") =>
      request("dynamodb:GetItem", { context: { "aws:PrincipalTag/team": team, "aws:PrincipalTag/padding": padding } });
    assert.equal(engine.authorize(h, tagged("Équipe-東京-🚀")).decision, "allowed");
    assert.equal(engine.authorize(h, tagged("Equipe-東京-🚀")).decision, "implicitDeny", "É is not E");
    // Inputs of every size up to past the 1 MiB the reused buffer stops at, ASCII and not.
    for (const n of [10, 5000, 100000, 400000, 1500000]) {
      assert.equal(engine.authorize(h, tagged("Équipe-東京-🚀", "x".repeat(n))).decision, "allowed", `${n} ASCII bytes`);
      assert.equal(engine.authorize(h, tagged("Équipe-東京-🚀", "🚀".repeat(n / 10))).decision, "allowed", `${n / 10} emoji`);
    }
    // A lone surrogate: JSON.stringify escapes it as \ud800, which the module refuses;
    // raw in JSON text, TextEncoder writes it as U+FFFD.
    const e = thrown(assert, () => engine.authorize(h, tagged("\ud800")), "InvalidInput");
    assert.match(e.message, /unpaired UTF-16 surrogate/);
    const raw = JSON.stringify(tagged("Équipe-X")).replace("Équipe-X", "Équipe-\ud800");
    assert.equal(engine.authorize(h, raw).decision, "allowed");
    engine.unload(h);
  });

  test("a long input does not pin memory once the call returns", () => {
    const h = engine.loadPolicySet(READER_SET);
    const big = request("dynamodb:GetItem", { context: { "aws:PrincipalTag/padding": "x".repeat(3 * 1024 * 1024) } });
    engine.authorize(h, big);
    const size = engine.instance.exports.memory.buffer.byteLength;
    for (let i = 0; i < 5; i++) engine.authorize(h, big);
    assert.equal(engine.instance.exports.memory.buffer.byteLength, size, "each big call's buffer is freed");
    engine.unload(h);
  });
});
