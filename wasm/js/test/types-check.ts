// Compiled with `tsc -p test/tsconfig.json` (strict, no emit) by test.sh: it
// uses every declaration of rolechain-policy.d.ts the way a consumer would,
// and its @ts-expect-error lines prove that wrong shapes are refused.
import {
  ABI_MAJOR_VERSION,
  MAX_INPUT_BYTES,
  PolicyEngine,
  PolicyEngineError,
  loadFromFile,
  type AbiVersion,
  type Decision,
  type Envelope,
  type ErrorCode,
  type Finding,
  type LintReport,
  type MatchedStatement,
  type PolicyKind,
  type PolicySet,
  type PolicySpec,
  type PolicyType,
  type Principal,
  type Request,
} from "@rolechain/policy";

const major: 1 = ABI_MAJOR_VERSION;
const limit: number = MAX_INPUT_BYTES;

const reader: PolicySpec<"identity"> = {
  id: "reader",
  kind: "identity",
  document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "*" }] },
};

const set: PolicySet = {
  identity: [reader, { kind: "managed", document: "{}" }],
  resource: { kind: "trust", document: "{}" },
  permissionsBoundary: { document: "{}" },
  session: [],
  scpLevels: [[{ id: "FullAWSAccess", document: "{}" }], []],
  rcpLevels: [[{ kind: "rcp", document: "{}" }]],
};

// @ts-expect-error a trust policy cannot stand among identity policies
const wrongPlace: PolicySet = { identity: [{ kind: "trust", document: "{}" }] };

const principals: Principal[] = [
  { type: "root", account: "111122223333" },
  { type: "user", arn: "arn:aws:iam::111122223333:user/alice" },
  { type: "assumedRole", arn: "arn:aws:sts::111122223333:assumed-role/reader/s", roleArn: "arn:aws:iam::111122223333:role/path/reader" },
  { type: "assumedRole", arn: "arn:aws:sts::111122223333:assumed-role/reader/s" },
  { type: "federatedUser", arn: "arn:aws:sts::111122223333:federated-user/bob" },
  { type: "webIdentity", provider: "arn:aws:iam::111122223333:oidc-provider/oidc.example.com/id/X" },
  { type: "service", service: "ec2.amazonaws.com" },
  { type: "anonymous" },
];
// @ts-expect-error a user principal has an arn, not an account
const wrongPrincipal: Principal = { type: "user", account: "111122223333" };

const request: Request = {
  principal: principals[2]!,
  action: "dynamodb:GetItem",
  resource: "arn:aws:dynamodb:eu-west-2:222222222222:table/orders",
  resourceAccount: "222222222222",
  context: { "aws:SourceIp": "10.1.2.3", "aws:TagKeys": ["team", "env"], "aws:SecureTransport": true, "aws:MultiFactorAuthAge": 30 },
};
// @ts-expect-error context values are scalars or arrays of scalars
const wrongContext: Request = { ...request, context: { k: { nested: 1 } } };

function explain(d: Decision): string {
  const statements: MatchedStatement[] = [...d.decidingStatements, ...d.matchedStatements];
  const where = statements.map((s) => `${s.policyId}[${s.statementIndex}]${s.sid ?? ""} ${s.effect} ${s.line}:${s.column}`);
  if (d.decision === "allowed") {
    const none: undefined = d.deniedBy;
    return `allowed by ${where.join(", ")}${none ?? ""}`;
  }
  // A denial always names the policy type and carries AWS's message.
  const by: PolicyType = d.deniedBy;
  const message: string = d.message;
  return `${d.decision} by ${by}: ${message}; missing ${d.missingContextKeys.join(", ")}`;
}

function report(r: LintReport): string[] {
  const kind: PolicyKind = r.kind;
  const inferred: boolean = r.kindInferred;
  return r.findings.map(
    (f: Finding) => `${kind}${inferred ? "?" : ""} ${f.position.line}:${f.position.column}+${f.position.offset} ${f.severity} ${f.code} ${f.message} ${f.fix ?? ""}`,
  );
}

async function main(): Promise<void> {
  const engine: PolicyEngine = await loadFromFile("target/rolechain_policy.wasm");
  const again = await PolicyEngine.load(engine.module);
  await PolicyEngine.load(new Uint8Array([0, 97, 115, 109]));
  await PolicyEngine.load(new ArrayBuffer(8));
  await PolicyEngine.load(new URL("https://example.invalid/rolechain_policy.wasm"));
  await PolicyEngine.load(fetch("/rolechain_policy.wasm"));
  await PolicyEngine.load(await fetch("/rolechain_policy.wasm"));
  await loadFromFile(new URL("file:///tmp/rolechain_policy.wasm"));
  // (A string path type-checks, since lib.dom's WebAssembly.Module is an empty
  // interface; load() refuses it at run time and points to loadFromFile.)

  const version: AbiVersion = engine.abiVersion;
  const count: number = version.major + version.minor + again.loadedPolicySets;
  await engine.ready();
  const instance: WebAssembly.Instance | null = engine.instance;

  const handle: number = engine.loadPolicySet(set);
  const fromText = engine.loadPolicySet(JSON.stringify(set));
  const decision: Decision = engine.authorize(handle, request);
  const fromJson: Decision = engine.authorize(fromText, JSON.stringify(request));
  const text: string = engine.authorizeJson(handle, JSON.stringify(request));
  const once: Decision = engine.authorizeOnce(set, request);
  const onceText: Decision = engine.authorizeOnce(JSON.stringify(set), JSON.stringify(request));
  const lint: LintReport = engine.lint('{"Statement":[]}', "trust");
  const lintObject: LintReport = engine.lint({ Version: "2012-10-17", Statement: [] });
  // @ts-expect-error not a policy kind
  engine.lint("{}", "role");
  // @ts-expect-error a request needs an action
  engine.authorize(handle, { principal: { type: "anonymous" }, resource: "*" });
  const nothing: void = engine.unload(handle);

  try {
    engine.authorize(handle, request);
  } catch (e) {
    if (e instanceof PolicyEngineError) {
      const code: ErrorCode | string = e.code;
      const where = [e.path, e.line, e.column, e.place, e.policyId, e.findings?.length, e.details.message, e.message, e.cause];
      console.log(code, where);
    }
  }
  const envelope: Envelope<Decision> = JSON.parse(text) as Envelope<Decision>;
  if ("ok" in envelope) explain(envelope.ok);
  else console.log(envelope.error.code, envelope.error.path);

  console.log(major, limit, count, instance, explain(decision), explain(fromJson), explain(once), explain(onceText), report(lint), report(lintObject), nothing);
  console.log(wrongPlace, wrongPrincipal, wrongContext);
}

void main();
