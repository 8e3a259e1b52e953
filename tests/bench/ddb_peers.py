"""DynamoDB through boto3 against rolechain and its peers, side by side, in one run.

    bash tests/bench/run.sh dynamodb        # builds, installs, runs this
    python tests/bench/ddb_peers.py --rolechain target/release/rolechain [--calls 2000]

Peers, each a local process on loopback, called sequentially from this one
Python process, each holding the seed's `orders` table (customer S + order_id S,
three items):

- rolechain serve (release build, wasm evaluator, enforcement on): every call
  signed by a session of account B's dynamodb-reader role reached through the
  seed's chain (a service-account token, AssumeRoleWithWebIdentity into account
  A's ccoctl role, AssumeRole into B's reader), so each call verifies SigV4 and
  the session, and the reader's identity policy decides GetItem and Query in the
  wasm module, with an audit event written;
- moto's server (`python -m moto.server`), the same table and items (moto checks
  neither signatures nor policies);
- fakecloud, when a `fakecloud` binary is on PATH, in ~/.cargo/bin or at
  /tmp/fakecloud-install/bin/fakecloud (run with its defaults: neither SigV4
  verification nor IAM enforcement);
- a baseline: a trivial HTTP server answering canned DynamoDB responses, so
  what is left is boto3's own cost per call.

Two clients, as in sts_peers.py: boto3 (what an application pays) and "raw",
the same HTTP request bytes replayed over one keep-alive connection (the
server's own cost, with little client overhead).

Ops: GetItem of alice/2026-0001 (one item of five attributes) and Query of
customer = alice (two items).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sts_peers import (
    ADMIN_KEY,
    ADMIN_SECRET,
    ROLE_A_NAME,
    Result,
    capture_request,
    fmt_rate,
    free_port,
    raw_replay,
    rss_mib,
    stop,
    time_calls,
    wait_for,
    presigned_get_caller_identity,
    write_section,
)

REGION = "eu-west-2"
ROLE_B = "arn:aws:iam::222222222222:role/dynamodb-reader"
OPS = ("GetItem", "Query")
SECTION = "## Emulator: DynamoDB against moto (boto3, sequential)"
BASE = "baseline (canned)"

KEY_SCHEMA = [{"AttributeName": "customer", "KeyType": "HASH"}, {"AttributeName": "order_id", "KeyType": "RANGE"}]
ATTRIBUTES = [{"AttributeName": "customer", "AttributeType": "S"}, {"AttributeName": "order_id", "AttributeType": "S"}]
ITEMS = [
    {
        "customer": {"S": "alice"},
        "order_id": {"S": "2026-0001"},
        "status": {"S": "shipped"},
        "total": {"N": "42.5"},
        "lines": {"L": [{"M": {"sku": {"S": "A-1"}, "qty": {"N": "2"}}}]},
    },
    {
        "customer": {"S": "alice"},
        "order_id": {"S": "2026-0002"},
        "status": {"S": "open"},
        "total": {"N": "9.99"},
        "lines": {"L": [{"M": {"sku": {"S": "B-7"}, "qty": {"N": "1"}}}]},
    },
    {
        "customer": {"S": "bob"},
        "order_id": {"S": "2026-0003"},
        "status": {"S": "open"},
        "total": {"N": "120"},
        "lines": {"L": [{"M": {"sku": {"S": "C-3"}, "qty": {"N": "4"}}}]},
    },
]
GET_KEY = {"customer": {"S": "alice"}, "order_id": {"S": "2026-0001"}}

# --- the canned baseline server ---------------------------------------------

CANNED = {
    "DynamoDB_20120810.GetItem": json.dumps({"Item": ITEMS[0]}).encode(),
    "DynamoDB_20120810.Query": json.dumps({"Items": ITEMS[:2], "Count": 2, "ScannedCount": 2}).encode(),
}


async def _canned_connection(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            target = ""
            for line in head.decode("latin-1").split("\r\n")[1:]:
                name, _, value = line.partition(":")
                name = name.strip().lower()
                if name == "content-length":
                    length = int(value)
                elif name == "x-amz-target":
                    target = value.strip()
            if length:
                await reader.readexactly(length)
            body = CANNED.get(target, b"{}")
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: "
                + str(len(body)).encode()
                + b"\r\n\r\n"
                + body
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def serve_canned(port: int) -> None:
    import gc

    gc.disable()

    async def main():
        server = await asyncio.start_server(_canned_connection, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- peers -------------------------------------------------------------------


@dataclass
class Peer:
    name: str
    endpoint: str
    process: subprocess.Popen | None
    credentials: tuple  # (key, secret, token or None): what signs the timed calls
    note: str = ""
    startup: dict = field(default_factory=dict)
    rss: dict = field(default_factory=dict)


def admin_call(endpoint: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        endpoint + "/_rolechain" + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method=method,
    )
    return json.loads(urllib.request.urlopen(request, timeout=10).read())


def start_rolechain(binary: str, tmp: Path) -> Peer:
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    start = time.perf_counter()
    process = subprocess.Popen(
        [binary, "serve", "--evaluator", "wasm", "--port", "0", "--issuer-port", "0", "--ca-out", str(tmp / "ca.pem")],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    ready = json.loads(process.stdout.readline())
    endpoint = ready["endpoint"]
    token = admin_call(
        endpoint,
        "POST",
        "/tokens",
        {"namespace": "my-namespace", "serviceAccount": "dev-db-reader", "audiences": ["openshift"], "expirationSeconds": 3600},
    )["token"]
    # The seed's chain: web identity into A's ccoctl role, then B's reader.
    unsigned = boto3.session.Session(region_name=REGION).client(
        "sts", endpoint_url=endpoint, config=Config(signature_version=UNSIGNED)
    )
    pod = unsigned.assume_role_with_web_identity(
        RoleArn=f"arn:aws:iam::111111111111:role/{ROLE_A_NAME}", RoleSessionName="bench-pod", WebIdentityToken=token
    )["Credentials"]
    hop = boto3.session.Session(
        aws_access_key_id=pod["AccessKeyId"],
        aws_secret_access_key=pod["SecretAccessKey"],
        aws_session_token=pod["SessionToken"],
        region_name=REGION,
    ).client("sts", endpoint_url=endpoint)
    reader = hop.assume_role(RoleArn=ROLE_B, RoleSessionName="bench-reader")["Credentials"]
    peer = Peer(
        "rolechain",
        endpoint,
        process,
        (reader["AccessKeyId"], reader["SecretAccessKey"], reader["SessionToken"]),
        "SigV4 and session verified, the reader's policy decided in wasm, audited",
    )
    peer.startup["ready line"] = time.perf_counter() - start
    return peer


def seed_orders(endpoint: str, key: str, secret: str) -> None:
    import boto3

    db = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION).client(
        "dynamodb", endpoint_url=endpoint
    )
    db.create_table(TableName="orders", KeySchema=KEY_SCHEMA, AttributeDefinitions=ATTRIBUTES, BillingMode="PAY_PER_REQUEST")
    for item in ITEMS:
        db.put_item(TableName="orders", Item=item)


def start_moto() -> Peer:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(presigned_get_caller_identity(endpoint, "AKIAMOTOBENCHMOTOBEN", "moto-secret"), process)
    seed_orders(endpoint, "AKIAMOTOBENCHMOTOBEN", "moto-secret")
    return Peer("moto", endpoint, process, ("AKIAMOTOBENCHMOTOBEN", "moto-secret", None), "no signature or policy checks")


def find_fakecloud() -> str | None:
    found = shutil.which("fakecloud")
    if found:
        return found
    for candidate in (Path.home() / ".cargo" / "bin" / "fakecloud", Path("/tmp/fakecloud-install/bin/fakecloud")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def fakecloud_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10).stdout.strip()
        return out or "unknown version"
    except (OSError, subprocess.TimeoutExpired):
        return "unknown version"


def start_fakecloud(binary: str) -> Peer:
    port = free_port()
    # fakecloud's CLI (clap): --addr HOST:PORT, --region, --log-level; by
    # default it verifies no signatures (--verify-sigv4) and enforces no IAM (--iam).
    process = subprocess.Popen(
        [binary, "--addr", f"127.0.0.1:{port}", "--region", REGION, "--log-level", "error"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(endpoint + "/_fakecloud/health", process)
    seed_orders(endpoint, "AKIAFAKECLOUDBENCHFC", "fakecloud-secret")
    return Peer(
        "fakecloud", endpoint, process, ("AKIAFAKECLOUDBENCHFC", "fakecloud-secret", None), "defaults: no SigV4 verification, IAM off"
    )


def start_canned() -> Peer:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--canned-server", str(port)], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(endpoint + "/", process)
    return Peer(BASE, endpoint, process, ("AKIACANNEDCANNEDCANN", "canned-secret", None), "canned responses")


# --- calls -------------------------------------------------------------------


def boto3_calls(peer: Peer) -> dict:
    import boto3
    from botocore.config import Config

    key, secret, token = peer.credentials
    db = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name=REGION
    ).client("dynamodb", endpoint_url=peer.endpoint, config=Config(retries={"max_attempts": 1, "mode": "standard"}, tcp_keepalive=True))

    def get():
        return db.get_item(TableName="orders", Key=GET_KEY)

    def query():
        return db.query(
            TableName="orders", KeyConditionExpression="customer = :c", ExpressionAttributeValues={":c": {"S": "alice"}}
        )

    # Every peer answers the same before it is timed.
    got = get()
    if got.get("Item") != ITEMS[0]:
        raise RuntimeError(f"{peer.name}: GetItem answered {got}")
    page = query()
    if page.get("Items") != ITEMS[:2]:
        raise RuntimeError(f"{peer.name}: Query answered {page}")
    return {"GetItem": (db, get), "Query": (db, query)}


def bench_peer(peer: Peer, warmup: int, calls: int, log) -> list:
    results = []
    clients = boto3_calls(peer)
    if peer.process is not None:
        peer.rss["after start-up"] = rss_mib(peer.process.pid)
    for op in OPS:
        client, call = clients[op]
        request = capture_request(client, call)
        latencies = time_calls(call, warmup, calls)
        results.append(Result(peer.name, "boto3", op, latencies))
        log(f"  {peer.name:18} boto3 {op:8} {results[-1].per_second:8.0f} calls/s")
        raw = raw_replay(peer.endpoint, request)
        latencies = time_calls(raw, warmup, calls)
        results.append(Result(peer.name, "raw", op, latencies))
        log(f"  {peer.name:18} raw   {op:8} {results[-1].per_second:8.0f} calls/s")
    if peer.process is not None:
        peer.rss["after the run"] = rss_mib(peer.process.pid)
    return results


# --- report --------------------------------------------------------------------


def report(results: list, peers: list, args, fakecloud: str | None) -> str:
    by = {(r.peer, r.client, r.op): r for r in results}
    names = [p.name for p in peers]
    others = [n for n in ("moto", "fakecloud") if n in names]
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import boto3
    import moto

    load = os.getloadavg()
    lines = [
        f"Measured {dt.date.today().isoformat()} on {os.cpu_count()} cores ({cpu}, {platform.system()}), load average "
        f"{load[0]:.1f} at the end; Python {platform.python_version()}, boto3 {boto3.__version__}, moto {moto.__version__}"
        + (f", {fakecloud_version(fakecloud)}" if fakecloud else "")
        + f"; rolechain `{args.rolechain_label}`, wasm evaluator. {args.calls:,} timed calls per op and peer after "
        f"{args.warmup} warm-up calls, one at a time from one Python process.",
        "",
        "What each peer does per call: "
        + "; ".join(f"{p.name}: {p.note}" for p in peers)
        + ".",
        "",
    ]
    for client, title in (
        ("boto3", "Through boto3 (a fresh client per peer, keep-alive; what an application pays per call):"),
        ("raw", "The same request bytes replayed with `http.client` over one keep-alive connection (the server's own cost, little client overhead):"),
    ):
        lines.append(title)
        lines.append("")
        header = "| op | peer | calls/s | mean ms | p50 ms | p99 ms |" + "".join(f" rolechain ÷ {o} |" for o in others)
        lines.append(header)
        lines.append("| --- | --- | ---: | ---: | ---: | ---: |" + " ---: |" * len(others))
        for op in OPS:
            for name in names:
                r = by.get((name, client, op))
                if r is None:
                    continue
                ratios = ""
                for other in others:
                    cell = ""
                    if name == "rolechain":
                        cell = f"{r.per_second / by[(other, client, op)].per_second:.2f}×"
                    ratios += f" {cell} |"
                lines.append(
                    f"| {op} | {name} | {fmt_rate(r.per_second)} | {r.ms('mean'):.3f} | {r.ms('p50'):.3f} | {r.ms('p99'):.3f} |{ratios}"
                )
        lines.append("")
    lines.append(
        "Server time per call, estimated as the median latency minus the canned baseline's median in the same mode "
        "(boto3 | raw), in ms; and the most rolechain ÷ peer can reach through boto3 (the baseline's calls/s ÷ the "
        "peer's, both through boto3: boto3's own cost per call is the floor):"
    )
    lines.append("")
    lines.append(
        "| op | rolechain |" + "".join(f" {o} |" for o in others) + "".join(f" ceiling ÷ {o} |" for o in others)
    )
    lines.append("| --- | ---: |" + " ---: |" * (2 * len(others)))
    for op in OPS:
        cells = []
        for name in ["rolechain", *others]:
            server = [by[(name, c, op)].ms("p50") - by[(BASE, c, op)].ms("p50") for c in ("boto3", "raw")]
            cells.append(f"{server[0]:.3f} \\| {server[1]:.3f}")
        for other in others:
            cells.append(f"{by[(BASE, 'boto3', op)].per_second / by[(other, 'boto3', op)].per_second:.1f}×")
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Memory (VmRSS) of each server:")
    lines.append("")
    lines.append("| peer | after start-up and the table | after the run |")
    lines.append("| --- | ---: | ---: |")
    for peer in peers:
        if peer.name == BASE:
            continue
        lines.append(
            f"| {peer.name} | {peer.rss.get('after start-up', float('nan')):.1f} MiB | {peer.rss.get('after the run', float('nan')):.1f} MiB |"
        )
    lines.append("")
    lines.append("Targets (calls/s):")
    lines.append("")
    for other, floor in (("moto", 5.0), ("fakecloud", 2.0)):
        if other not in names:
            continue
        for op in OPS:
            cells = []
            for client in ("boto3", "raw"):
                ratio = by[("rolechain", client, op)].per_second / by[(other, client, op)].per_second
                cells.append(f"{client} {ratio:.2f}× ({'holds' if ratio >= floor else 'does not hold'})")
            ceiling = by[(BASE, "boto3", op)].per_second / by[(other, "boto3", op)].per_second
            lines.append(
                f"- {op} ≥ {floor:g}× {other}'s: " + "; ".join(cells) + f"; the most boto3 allows is {ceiling:.1f}×."
            )
    if fakecloud is None:
        lines.append("")
        lines.append(
            "fakecloud: no `fakecloud` binary on PATH, in ~/.cargo/bin or at /tmp/fakecloud-install/bin, so not measured."
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rolechain", default="target/release/rolechain")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--no-fakecloud", action="store_true", help="leave fakecloud out even when it is installed")
    parser.add_argument("--out", default="target/bench/ddb_peers.md", help="where the markdown goes too")
    parser.add_argument("--write-benchmarks", metavar="FILE", help=f"put the tables under '{SECTION}' in FILE")
    parser.add_argument("--canned-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.canned_server:
        serve_canned(args.canned_server)
        return 0
    try:
        args.rolechain_label = str(Path(args.rolechain).resolve().relative_to(Path.cwd()))
    except ValueError:
        args.rolechain_label = args.rolechain

    def log(text):
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="rolechain-ddb-bench-"))
    peers = []
    fakecloud = None if args.no_fakecloud else find_fakecloud()
    try:
        peers.append(start_rolechain(args.rolechain, tmp))
        peers.append(start_moto())
        if fakecloud:
            log(f"fakecloud: {fakecloud} ({fakecloud_version(fakecloud)})")
            peers.append(start_fakecloud(fakecloud))
        peers.append(start_canned())
        results = []
        for peer in peers:
            log(f"{peer.name} ...")
            results.extend(bench_peer(peer, args.warmup, args.calls, log))
        text = report(results, peers, args, fakecloud)
    finally:
        for peer in peers:
            if peer.process is not None:
                stop(peer.process)
        shutil.rmtree(tmp, ignore_errors=True)
    print(text)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    if args.write_benchmarks:
        write_section(Path(args.write_benchmarks), text, SECTION, "bash tests/bench/run.sh dynamodb")
        log(f"wrote the section into {args.write_benchmarks}")
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
