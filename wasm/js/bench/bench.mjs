// Benchmark of the JavaScript host: the 10-statement identity-policy workload of
// crates/policy/benches/workload-identity-10.json (shared by every host's benchmark)
// through rolechain_policy.wasm, next to @cloud-copilot/iam-simulate on the same
// policy and request. Run it with wasm/js/bench/run.sh, which installs
// iam-simulate into a temporary directory and passes it here.
//
//   node wasm/js/bench/bench.mjs --wasm target/rolechain_policy.wasm \
//        --iam-simulate DIR/node_modules/@cloud-copilot/iam-simulate [--seconds 2] [--runs 5] [--out FILE]
//
// Each figure: warm up, then time batches for at least --seconds, --runs rounds
// with the variants interleaved, the median.

import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { PolicyEngine } from "../rolechain-policy.mjs";

const { values: args } = parseArgs({
  options: {
    wasm: { type: "string", default: "target/rolechain_policy.wasm" },
    "iam-simulate": { type: "string" },
    seconds: { type: "string", default: "2" },
    runs: { type: "string", default: "5" },
    out: { type: "string" },
    command: { type: "string" },
    "startup-once": { type: "boolean", default: false },
    /** Another build of the module (e.g. opt-level 3) to time next to the default one: `LABEL=PATH`. */
    "also-wasm": { type: "string" },
  },
});

// ---------------------------------------------------------------------------
// The workload every host's benchmark shares: crates/policy/benches/workload-identity-10.json.
// ---------------------------------------------------------------------------

const WORKLOAD = JSON.parse(
  readFileSync(new URL("../../../crates/policy/benches/workload-identity-10.json", import.meta.url), "utf8"),
);
const POLICY_SET = WORKLOAD.policies;
const POLICY_TEXT = POLICY_SET.identity[0].document;
const REQUEST = WORKLOAD.request;
const SESSION_ARN = REQUEST.principal.arn;
const TABLE = REQUEST.resource;
const CONTEXT = REQUEST.context;
const REQUEST_JSON = JSON.stringify(REQUEST);
const POLICY_SET_JSON = JSON.stringify(POLICY_SET);

/** The same policy and request for iam-simulate (its README's `Simulation`). */
function simulation(action = "dynamodb:GetItem") {
  return {
    identityPolicies: [{ name: "ten-statements", policy: JSON.parse(POLICY_TEXT) }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      principal: SESSION_ARN,
      action,
      resource: { resource: TABLE, accountId: "222222222222" },
      contextVariables: CONTEXT,
    },
  };
}

// ---------------------------------------------------------------------------
// Timing
// ---------------------------------------------------------------------------

const SECONDS = Number(args.seconds);
const RUNS = Number(args.runs);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Decisions per second of each variant (`fn` synchronous, or async when
 * `async` is set): each warmed up for 1 s (JIT and wasm tier-up), then RUNS
 * rounds in which every variant runs for at least SECONDS in turn — interleaved,
 * so that load from other processes falls on all of them alike. Answers the
 * median and the range of each variant's rounds.
 */
async function throughput(variants) {
  for (const v of variants) {
    v.batch = 1;
    v.rates = [];
    const warmEnd = performance.now() + 1000;
    while (performance.now() < warmEnd) {
      const t = performance.now();
      for (let i = 0; i < v.batch; i++) v.async ? await v.fn() : v.fn();
      if (performance.now() - t < 10) v.batch *= 2; // batches of about 10 ms
    }
  }
  for (let r = 0; r < RUNS; r++) {
    for (const v of variants) {
      let n = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < SECONDS * 1000) {
        if (v.async) for (let i = 0; i < v.batch; i++) await v.fn();
        else for (let i = 0; i < v.batch; i++) v.fn();
        n += v.batch;
        elapsed = performance.now() - start;
      }
      v.rates.push((n / elapsed) * 1000);
    }
  }
  return variants.map((v) => ({ name: v.name, what: v.what, median: median(v.rates), min: Math.min(...v.rates), max: Math.max(...v.rates) }));
}

// ---------------------------------------------------------------------------
// Start-up, in a fresh process each time (V8 caches compiled wasm within a process)
// ---------------------------------------------------------------------------

async function startupOnce() {
  const bytes = readFileSync(args.wasm);
  const t0 = performance.now();
  const module = await WebAssembly.compile(bytes);
  const t1 = performance.now();
  const engine = await PolicyEngine.load(module); // instantiate + ABI check
  const t2 = performance.now();
  const handle = engine.loadPolicySet(POLICY_SET);
  const t3 = performance.now();
  const first = engine.authorize(handle, REQUEST);
  const t4 = performance.now();
  engine.authorize(handle, REQUEST);
  const t5 = performance.now();
  if (first.decision !== "allowed") throw new Error(`the workload is not allowed: ${first.message}`);
  process.stdout.write(JSON.stringify({ compile: t1 - t0, instantiate: t2 - t1, load: t3 - t2, first: t4 - t3, second: t5 - t4 }));
}

function startup() {
  const samples = [];
  for (let i = 0; i < 7; i++) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--startup-once", "--wasm", args.wasm], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`start-up run failed: ${child.stderr}`);
    samples.push(JSON.parse(child.stdout));
  }
  const pick = (k) => median(samples.map((s) => s[k]));
  return { compile: pick("compile"), instantiate: pick("instantiate"), load: pick("load"), first: pick("first"), second: pick("second"), samples: samples.length };
}

// ---------------------------------------------------------------------------

async function main() {
  if (args["startup-once"]) return startupOnce();
  if (!args["iam-simulate"]) throw new Error("--iam-simulate DIR (the installed @cloud-copilot/iam-simulate) is required; run.sh passes it");

  // rolechain, checked before timing.
  const engine = await PolicyEngine.load(readFileSync(args.wasm));
  const handle = engine.loadPolicySet(POLICY_SET);
  const allowed = engine.authorize(handle, REQUEST);
  if (allowed.decision !== "allowed" || allowed.decidingStatements[0]?.sid !== "ReadOwnItems") {
    throw new Error(`rolechain does not allow the workload: ${JSON.stringify(allowed)}`);
  }
  const put = engine.authorize(handle, { ...REQUEST, action: "dynamodb:PutItem" });
  if (put.decision !== "implicitDeny") throw new Error("rolechain allows PutItem");

  // iam-simulate, from the directory run.sh installed it into.
  const simDir = resolve(args["iam-simulate"]);
  const simPackage = JSON.parse(readFileSync(join(simDir, "package.json"), "utf8"));
  const sim = await import(pathToFileURL(join(simDir, simPackage.exports["."].import)).href);
  const sims = { get: simulation("dynamodb:GetItem"), put: simulation("dynamodb:PutItem") };
  const checked = await sim.runSimulation(sims.get, {});
  if (checked.resultType === "error") throw new Error(`iam-simulate refused the simulation: ${JSON.stringify(checked.errors)}`);
  if (checked.overallResult !== "Allowed") throw new Error(`iam-simulate does not allow the workload: ${JSON.stringify(checked)}`);
  if (checked.result.ignoredContextKeys?.length) throw new Error(`iam-simulate ignored context keys: ${checked.result.ignoredContextKeys}`);
  const deny = await sim.runSimulation(sims.put, {});
  if (deny.overallResult !== "ImplicitlyDenied") throw new Error(`iam-simulate decides PutItem ${deny.overallResult}`);
  if (sim.runUnsafeSimulation(sims.get, {}) !== "Allowed") throw new Error("iam-simulate's runUnsafeSimulation does not allow the workload");

  let also = [];
  if (args["also-wasm"]) {
    const [label, path] = args["also-wasm"].split(/=(.*)/s);
    const other = await PolicyEngine.load(readFileSync(path));
    const h = other.loadPolicySet(POLICY_SET);
    if (other.authorize(h, REQUEST).decision !== "allowed") throw new Error(`${path} does not allow the workload`);
    also = [
      { name: `rolechain \`authorize\`, ${label}`, what: `the same, module of ${readFileSync(path).length.toLocaleString("en-US")} bytes`, fn: () => other.authorize(h, REQUEST) },
      { name: `rolechain \`authorizeOnce\`, ${label}`, what: "the same, that module", fn: () => other.authorizeOnce(POLICY_SET_JSON, REQUEST_JSON) },
    ];
  }

  const load = os.loadavg()[0];
  const rows = await throughput([
    { name: "rolechain `authorize` (loaded set)", what: "request object → JSON → wasm → JSON → decision object", fn: () => engine.authorize(handle, REQUEST) },
    { name: "rolechain `authorizeJson` (loaded set)", what: "request JSON text in, decision JSON text out", fn: () => engine.authorizeJson(handle, REQUEST_JSON) },
    { name: "rolechain `authorizeOnce`", what: "policy set and request parsed on every call", fn: () => engine.authorizeOnce(POLICY_SET_JSON, REQUEST_JSON) },
    { name: "iam-simulate `runSimulation`", what: "its documented API: validates, parses the policies, decides; awaited", fn: () => sim.runSimulation(sims.get, {}), async: true },
    { name: "iam-simulate `runUnsafeSimulation`", what: "no validation; parses the policies, decides", fn: () => sim.runUnsafeSimulation(sims.get, {}) },
    ...also,
  ]);
  for (const r of rows) {
    console.error(`${r.name.padEnd(40)} ${Math.round(r.median).toLocaleString("en-US").padStart(10)} decisions/s  (rounds ${Math.round(r.min)}–${Math.round(r.max)})`);
  }

  const start = startup();
  console.error(
    `start-up (median of ${start.samples} fresh processes): compile ${start.compile.toFixed(1)} ms, instantiate ${start.instantiate.toFixed(2)} ms, ` +
      `loadPolicySet ${start.load.toFixed(2)} ms, first decision ${start.first.toFixed(3)} ms, second ${start.second.toFixed(3)} ms`,
  );
  const loadAfter = os.loadavg()[0];

  if (args.out) {
    writeFileSync(args.out, report({ rows, start, simVersion: simPackage.version, load, loadAfter, wasmBytes: readFileSync(args.wasm).length }));
    console.error(`wrote ${args.out}`);
  }
}

function git(...a) {
  try {
    return execFileSync("git", a, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

function report({ rows, start, simVersion, load, loadAfter, wasmBytes }) {
  const fmt = (n) => Math.round(n).toLocaleString("en-US");
  const base = rows[0].median;
  const lines = [
    "# Benchmarks: the JavaScript host (Node)",
    "",
    "The 10-statement identity-policy workload of `crates/policy/benches/workload-identity-10.json` (shared by every",
    "host's benchmark: nine non-matching statements, then the allowing one with StringEquals, StringLike, ArnLike,",
    "IpAddress, DateLessThan, Bool and ForAllValues:StringLike on a policy variable), through `wasm/js` with the",
    "policy set loaded once; JSON in and out included.",
    "Next to it, in the same process, [`@cloud-copilot/iam-simulate`](https://www.npmjs.com/package/@cloud-copilot/iam-simulate)",
    `${simVersion} on the same policy and request (both checked to answer Allowed for GetItem and an implicit deny for`,
    `PutItem before timing). Each figure: 1 s warm-up, then ${RUNS} rounds of at least ${SECONDS} s each, the variants`,
    "interleaved round by round (so that load from other processes falls on all alike); the median, with the",
    "slowest and fastest round.",
    "",
    "```sh",
    args.command ?? "bash wasm/js/bench/run.sh",
    "```",
    "",
    "| what | decisions/s (median) | rounds (min–max) | vs `authorize` |",
    "| --- | ---: | ---: | ---: |",
    ...rows.map((r) => `| ${r.name}: ${r.what} | ${fmt(r.median)} | ${fmt(r.min)}–${fmt(r.max)} | ${(r.median / base).toFixed(2)}× |`),
    "",
    `Start-up (median of ${start.samples} fresh Node processes, module of ${fmt(wasmBytes)} bytes):`,
    "",
    "| step | ms |",
    "| --- | ---: |",
    `| compile (\`WebAssembly.compile\`) | ${start.compile.toFixed(1)} |`,
    `| instantiate + ABI check (\`PolicyEngine.load\` of the compiled module) | ${start.instantiate.toFixed(2)} |`,
    `| \`loadPolicySet\` of the 10-statement policy | ${start.load.toFixed(2)} |`,
    `| first decision (\`authorize\`) | ${start.first.toFixed(3)} |`,
    `| second decision | ${start.second.toFixed(3)} |`,
    "",
    "Notes:",
    "",
    "- iam-simulate has no loaded-policy fast path: both of its entry points parse (`loadPolicy`) every policy on",
    "  every call, so the like-for-like row for it is rolechain's `authorizeOnce`; `runSimulation` also validates",
    "  the action, resource and context keys against its AWS catalogue, and is async.",
    ...(args["also-wasm"]
      ? [
          "- The \"opt-level 3\" rows time the same module built for speed rather than size (`WITH_OPT_LEVEL_3=1`:",
          "  `cargo build -p rolechain-policy-wasm --target wasm32-unknown-unknown --profile wasm --config",
          "  'profile.wasm.opt-level=3'`); the shipped module is built with the `wasm` profile's opt-level \"z\".",
        ]
      : []),
    "- V8 compiles wasm lazily (Liftoff first, TurboFan for hot functions), so the first decisions of a process",
    "  are slower than the warmed-up rate above.",
    "",
    `Machine: ${os.cpus()[0]?.model ?? "unknown CPU"}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}; Node ${process.version};`,
    `1-minute load average ${load.toFixed(2)} at the start, ${loadAfter.toFixed(2)} at the end (other work shared the machine);`,
    `rolechain ${git("rev-parse", "--short", "HEAD")}; ${new Date().toISOString().slice(0, 10)}.`,
    "",
  ];
  return lines.join("\n");
}

await main();
