"""STS through boto3 against rolechain and its peers, side by side, in one run.

    bash tests/bench/run.sh            # builds, installs, runs this
    python tests/bench/sts_peers.py --rolechain target/release/rolechain [--calls 2000]

Peers, each a local process on loopback, called sequentially from this one
Python process:

- rolechain serve (release build, wasm evaluator): AssumeRoleWithWebIdentity with
  a token its issuer signed (the signature is verified on every call), AssumeRole
  signed with the web-identity session into account B's role (a cross-account
  decision: identity policy and trust policy), GetCallerIdentity (SigV4 only);
- moto's server (`python -m moto.server`), the same calls (the roles created
  through its IAM first; moto does not verify tokens or signatures);
- fakecloud, only when a `fakecloud` binary is on PATH, in ~/.cargo/bin or at
  /tmp/fakecloud-install/bin/fakecloud (its defaults check no signature, token or policy);
- a baseline: a trivial HTTP server answering canned STS responses, so what is
  left is boto3's own cost per call.

Two clients: boto3 (what an application pays) and "raw", the same HTTP request
bytes replayed over one keep-alive http.client connection (what the server
costs, with little client overhead; SigV4 allows a replay within 15 minutes).

Also measured: cold start (spawn to the first successful GetCallerIdentity, a
presigned GET polled every millisecond) and RSS (VmRSS of /proc/PID/status)
after start-up and a few calls, and after the run.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import http.client
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROLE_A_NAME = "my-namespace-creds-my-namespace-dev-dynamodb-reader"
ADMIN_KEY = "AKIAROLECHAINADMINAA"
ADMIN_SECRET = "rolechain/admin/111111111111/not-a-real-secret"
REGION = "eu-west-2"
MOTO_ACCOUNT = "123456789012"
OPS = ("AssumeRoleWithWebIdentity", "AssumeRole", "GetCallerIdentity")
SECTION = "## Emulator: STS against moto (boto3, sequential)"

# --- the canned baseline server ---------------------------------------------

NS = "https://sts.amazonaws.com/doc/2011-06-15/"
CREDENTIALS = (
    "<Credentials><AccessKeyId>ASIACANNEDCANNEDCANN</AccessKeyId>"
    "<SecretAccessKey>canned/secret/canned/secret/canned/secret0</SecretAccessKey>"
    "<SessionToken>canned-session-token</SessionToken>"
    "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
)
CANNED = {
    "AssumeRoleWithWebIdentity": (
        f'<AssumeRoleWithWebIdentityResponse xmlns="{NS}"><AssumeRoleWithWebIdentityResult>'
        "<SubjectFromWebIdentityToken>system:serviceaccount:my-namespace:dev-db-reader</SubjectFromWebIdentityToken>"
        "<Audience>openshift</Audience>"
        "<AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/r/bench</Arn>"
        "<AssumedRoleId>AROACANNEDCANNEDCANNE:bench</AssumedRoleId></AssumedRoleUser>"
        f"{CREDENTIALS}<Provider>oidc.rolechain.local/my-cluster</Provider>"
        "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000"
        "</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>"
    ),
    "AssumeRole": (
        f'<AssumeRoleResponse xmlns="{NS}"><AssumeRoleResult>'
        "<AssumedRoleUser><Arn>arn:aws:sts::222222222222:assumed-role/dynamodb-reader/bench</Arn>"
        "<AssumedRoleId>AROACANNEDCANNEDCANNE:bench</AssumedRoleId></AssumedRoleUser>"
        f"{CREDENTIALS}</AssumeRoleResult><ResponseMetadata><RequestId>00000000-0000-0000-0000-000000000000"
        "</RequestId></ResponseMetadata></AssumeRoleResponse>"
    ),
    "GetCallerIdentity": (
        f'<GetCallerIdentityResponse xmlns="{NS}"><GetCallerIdentityResult>'
        "<Arn>arn:aws:iam::111111111111:user/admin</Arn><UserId>AIDACANNEDCANNEDCANNE</UserId>"
        "<Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    ),
}


async def _canned_connection(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            request_line = lines[0]
            length = 0
            for line in lines[1:]:
                if line.lower().startswith("content-length:"):
                    length = int(line.split(":", 1)[1])
            body = await reader.readexactly(length) if length else b""
            target = request_line.split(" ")[1]
            params = dict(urllib.parse.parse_qsl(body.decode()))
            params.update(urllib.parse.parse_qsl(urllib.parse.urlsplit(target).query))
            xml = CANNED.get(params.get("Action", ""), CANNED["GetCallerIdentity"]).encode()
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: "
                + str(len(xml)).encode()
                + b"\r\n\r\n"
                + xml
            )
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


def serve_canned(port: int) -> None:
    import gc

    gc.disable()  # a steadier floor: nothing of it needs collecting
    async def main():
        server = await asyncio.start_server(_canned_connection, "127.0.0.1", port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- processes ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def presigned_get_caller_identity(endpoint: str, key: str, secret: str, token: str | None = None) -> str:
    import boto3

    client = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region_name=REGION
    ).client("sts", endpoint_url=endpoint)
    return client.generate_presigned_url("get_caller_identity", ExpiresIn=900, HttpMethod="GET")


def wait_for(url: str, process: subprocess.Popen, timeout: float = 60.0) -> float:
    """Polls `url` every millisecond; the seconds until it first answers 200."""
    parts = urllib.parse.urlsplit(url)
    target = parts.path + "?" + parts.query
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before serving")
        try:
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            connection.request("GET", target)
            answer = connection.getresponse()
            answer.read()
            connection.close()
            if answer.status == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.001)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


@dataclass
class Peer:
    name: str
    endpoint: str
    process: subprocess.Popen | None
    role_a: str
    role_b: str
    token: str
    admin_key: str
    admin_secret: str
    startup: dict = field(default_factory=dict)
    rss: dict = field(default_factory=dict)


def spawn_rolechain(binary: str, port: int | None = None, issuer_port: int | None = None, tmp: Path | None = None):
    command = [binary, "serve", "--evaluator", "wasm", "--port", str(port or 0), "--issuer-port", str(issuer_port or 0)]
    if tmp is not None:
        command += ["--ca-out", str(tmp / f"ca-{port or 0}.pem")]
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)


def start_rolechain(binary: str, tmp: Path) -> Peer:
    start = time.perf_counter()
    process = spawn_rolechain(binary, tmp=tmp)
    ready = json.loads(process.stdout.readline())
    ready_seconds = time.perf_counter() - start
    endpoint = ready["endpoint"]
    request = urllib.request.Request(
        endpoint + "/_rolechain/tokens",
        data=json.dumps(
            {"namespace": "my-namespace", "serviceAccount": "dev-db-reader", "audiences": ["openshift"], "expirationSeconds": 3600}
        ).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    token = json.loads(urllib.request.urlopen(request).read())["token"]
    peer = Peer(
        "rolechain",
        endpoint,
        process,
        f"arn:aws:iam::111111111111:role/{ROLE_A_NAME}",
        "arn:aws:iam::222222222222:role/dynamodb-reader",
        token,
        ADMIN_KEY,
        ADMIN_SECRET,
    )
    peer.startup["ready line"] = ready_seconds
    peer.startup["self-reported"] = ready["startupMillis"] / 1000
    return peer


def moto_command(port: int) -> list:
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def start_moto(token: str) -> Peer:
    port = free_port()
    process = subprocess.Popen(moto_command(port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(presigned_get_caller_identity(endpoint, "AKIAMOTOBENCHMOTOBEN", "moto-secret"), process)
    return seeded_peer("moto", endpoint, process, token, "AKIAMOTOBENCHMOTOBEN", "moto-secret")


def start_fakecloud(binary: str, token: str) -> Peer:
    port = free_port()
    # fakecloud's defaults: no SigV4 verification, no IAM enforcement, no token signature check.
    process = subprocess.Popen(
        [binary, "--addr", f"127.0.0.1:{port}", "--region", REGION, "--log-level", "error"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(endpoint + "/_fakecloud/health", process)
    return seeded_peer("fakecloud", endpoint, process, token, "AKIAFAKECLOUDBENCHFC", "fakecloud-secret")


def seeded_peer(name: str, endpoint: str, process, token: str, key: str, secret: str) -> Peer:
    """A peer given the seed's provider and two roles through its own IAM."""
    import boto3

    iam = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key=secret, region_name=REGION).client(
        "iam", endpoint_url=endpoint
    )
    trust_a = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": f"arn:aws:iam::{MOTO_ACCOUNT}:oidc-provider/oidc.rolechain.local/my-cluster"},
                "Action": "sts:AssumeRoleWithWebIdentity",
            }
        ],
    }
    trust_b = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                # The account, with the first role's own policy doing the rest:
                # fakecloud does not match a role principal against a session.
                "Principal": {"AWS": f"arn:aws:iam::{MOTO_ACCOUNT}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam.create_open_id_connect_provider(
        Url="https://oidc.rolechain.local/my-cluster", ClientIDList=["openshift"], ThumbprintList=["0" * 40]
    )
    role_a = iam.create_role(RoleName=ROLE_A_NAME, AssumeRolePolicyDocument=json.dumps(trust_a))["Role"]["Arn"]
    role_b = iam.create_role(RoleName="dynamodb-reader", AssumeRolePolicyDocument=json.dumps(trust_b))["Role"]["Arn"]
    # As in the seed: the first role's own policy lets it assume the second (fakecloud checks it).
    allow_b = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_b}]}
    iam.put_role_policy(RoleName=ROLE_A_NAME, PolicyName="assume-reader", PolicyDocument=json.dumps(allow_b))
    return Peer(name, endpoint, process, role_a, role_b, token, key, secret)


def find_fakecloud() -> str | None:
    found = shutil.which("fakecloud")
    if found:
        return found
    for candidate in (Path.home() / ".cargo" / "bin" / "fakecloud", Path("/tmp/fakecloud-install/bin/fakecloud")):
        if candidate.is_file():
            return str(candidate)
    return None


def start_canned() -> Peer:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--canned-server", str(port)], stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    endpoint = f"http://127.0.0.1:{port}"
    wait_for(endpoint + "/?Action=GetCallerIdentity", process)
    return Peer("baseline (canned)", endpoint, process, "arn:aws:iam::111111111111:role/r", "arn:aws:iam::222222222222:role/r", "x" * 800, "AKIACANNEDCANNEDCANN", "s")


# --- calls -------------------------------------------------------------------


@dataclass
class Result:
    peer: str
    client: str
    op: str
    latencies_ns: list

    @property
    def per_second(self) -> float:
        return len(self.latencies_ns) / (sum(self.latencies_ns) / 1e9)

    def ms(self, q: str) -> float:
        values = self.latencies_ns
        if q == "mean":
            return statistics.fmean(values) / 1e6
        ordered = sorted(values)
        index = {"p50": 0.50, "p99": 0.99}[q]
        return ordered[min(len(ordered) - 1, int(index * len(ordered)))] / 1e6


def boto3_calls(peer: Peer) -> dict:
    """One callable per op, each one boto3 call, plus the request it sends."""
    import boto3
    from botocore import UNSIGNED
    from botocore.config import Config

    config = Config(retries={"max_attempts": 1, "mode": "standard"}, tcp_keepalive=True)
    unsigned = boto3.session.Session(region_name=REGION).client(
        "sts", endpoint_url=peer.endpoint, config=config.merge(Config(signature_version=UNSIGNED))
    )
    session = unsigned.assume_role_with_web_identity(
        RoleArn=peer.role_a, RoleSessionName="bench", WebIdentityToken=peer.token
    )["Credentials"]
    signed = boto3.session.Session(
        aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token=session["SessionToken"],
        region_name=REGION,
    ).client("sts", endpoint_url=peer.endpoint, config=config)
    return {
        "AssumeRoleWithWebIdentity": (
            unsigned,
            lambda: unsigned.assume_role_with_web_identity(
                RoleArn=peer.role_a, RoleSessionName="bench", WebIdentityToken=peer.token
            ),
        ),
        "AssumeRole": (signed, lambda: signed.assume_role(RoleArn=peer.role_b, RoleSessionName="bench")),
        "GetCallerIdentity": (signed, lambda: signed.get_caller_identity()),
    }


def capture_request(client, call) -> tuple:
    """The HTTP request boto3 sends for `call`: method, path, headers, body."""
    captured = {}

    def before_send(request, **_):
        captured["method"] = request.method
        parts = urllib.parse.urlsplit(request.url)
        captured["target"] = parts.path + (("?" + parts.query) if parts.query else "")
        captured["headers"] = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        body = request.body
        captured["body"] = body.encode() if isinstance(body, str) else (body or b"")

    client.meta.events.register("before-send", before_send)
    try:
        call()
    finally:
        client.meta.events.unregister("before-send", before_send)
    return captured["method"], captured["target"], captured["headers"], captured["body"]


def time_calls(call, warmup: int, calls: int) -> list:
    for _ in range(warmup):
        call()
    out = []
    clock = time.perf_counter_ns
    for _ in range(calls):
        start = clock()
        call()
        out.append(clock() - start)
    return out


def raw_replay(endpoint: str, request: tuple):
    method, target, headers, body = request
    parts = urllib.parse.urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)

    def call():
        connection.request(method, target, body=body, headers=headers)
        answer = connection.getresponse()
        data = answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{answer.status}: {data[:300]!r}")

    return call


def bench_peer(peer: Peer, warmup: int, calls: int, log) -> list:
    results = []
    clients = boto3_calls(peer)
    if peer.process is not None:
        peer.rss["after start-up"] = rss_mib(peer.process.pid)
        for op in OPS:
            for _ in range(10):
                clients[op][1]()
        peer.rss["after a few calls"] = rss_mib(peer.process.pid)
    for op in OPS:
        client, call = clients[op]
        request = capture_request(client, call)
        latencies = time_calls(call, warmup, calls)
        results.append(Result(peer.name, "boto3", op, latencies))
        log(f"  {peer.name:18} boto3 {op:26} {results[-1].per_second:8.0f} calls/s")
        raw = raw_replay(peer.endpoint, request)
        latencies = time_calls(raw, warmup, calls)
        results.append(Result(peer.name, "raw", op, latencies))
        log(f"  {peer.name:18} raw   {op:26} {results[-1].per_second:8.0f} calls/s")
    if peer.process is not None:
        peer.rss["after the run"] = rss_mib(peer.process.pid)
    return results


# --- cold start ----------------------------------------------------------------


def cold_start(command_for, endpoint_for, key, secret, runs: int) -> list:
    times = []
    for _ in range(runs):
        port = free_port()
        url = presigned_get_caller_identity(endpoint_for(port), key, secret)
        start = time.perf_counter()
        process = command_for(port)
        try:
            wait_for(url, process)
            times.append(time.perf_counter() - start)
        finally:
            stop(process)
    return times


# --- report --------------------------------------------------------------------


def fmt_rate(value: float) -> str:
    return f"{value:,.0f}"


def report(results: list, peers: list, cold: dict, args, fakecloud: str | None) -> str:
    by = {(r.peer, r.client, r.op): r for r in results}
    names = [p.name for p in peers]
    lines = []
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
    lines.append(
        f"Measured {dt.date.today().isoformat()} on {os.cpu_count()} cores ({cpu}, {platform.system()}), load average "
        f"{load[0]:.1f} at the end; Python {platform.python_version()}, boto3 {boto3.__version__}, moto {moto.__version__}; "
        f"rolechain `{args.rolechain_label}`, wasm evaluator. {args.calls:,} timed calls per op and peer after {args.warmup} warm-up calls, "
        "one at a time from one Python process."
    )
    lines.append("")
    for client, title in (
        ("boto3", "Through boto3 (a fresh client per peer, keep-alive; what an application pays per call):"),
        ("raw", "The same request bytes replayed with `http.client` over one keep-alive connection (the server's own cost, little client overhead):"),
    ):
        lines.append(title)
        lines.append("")
        lines.append("| op | peer | calls/s | mean ms | p50 ms | p99 ms | rolechain ÷ moto (calls/s) |")
        lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for op in OPS:
            for name in names:
                r = by.get((name, client, op))
                if r is None:
                    continue
                ratio = ""
                if name == "rolechain" and ("moto", client, op) in by:
                    ratio = f"{r.per_second / by[('moto', client, op)].per_second:.2f}×"
                lines.append(
                    f"| {op} | {name} | {fmt_rate(r.per_second)} | {r.ms('mean'):.3f} | {r.ms('p50'):.3f} | {r.ms('p99'):.3f} | {ratio} |"
                )
        lines.append("")
    base = "baseline (canned)"
    if all((name, client, op) in by for name in ("rolechain", "moto", base) for client in ("boto3", "raw") for op in OPS):
        lines.append(
            "Server time per call, estimated as the median latency minus the canned baseline's median in the "
            "same mode (boto3 | raw), in ms; and the most rolechain ÷ moto can reach through boto3, moto's "
            "median ÷ the baseline's (boto3's own cost per call):"
        )
        lines.append("")
        lines.append("| op | rolechain | moto | ceiling of rolechain ÷ moto through boto3 |")
        lines.append("| --- | ---: | ---: | ---: |")
        for op in OPS:
            cells = {
                name: [by[(name, client, op)].ms("p50") - by[(base, client, op)].ms("p50") for client in ("boto3", "raw")]
                for name in ("rolechain", "moto")
            }
            ceiling = by[("moto", "boto3", op)].ms("p50") / by[(base, "boto3", op)].ms("p50")
            lines.append(
                f"| {op} | {cells['rolechain'][0]:.3f} \\| {cells['rolechain'][1]:.3f} | "
                f"{cells['moto'][0]:.3f} \\| {cells['moto'][1]:.3f} | {ceiling:.1f}× |"
            )
        lines.append("")
    lines.append("Start-up and memory:")
    lines.append("")
    lines.append(
        "| peer | cold start to first GetCallerIdentity (median; min–max) | RSS after start-up | "
        "RSS after 30 more calls (idle) | RSS after the run |"
    )
    lines.append("| --- | ---: | ---: | ---: | ---: |")
    for peer in peers:
        if peer.name == base:
            continue
        times = cold.get(peer.name)
        cs = (
            f"{statistics.median(times) * 1000:.1f} ms ({min(times) * 1000:.1f}–{max(times) * 1000:.1f}, {len(times)} runs)"
            if times
            else "n/a"
        )
        lines.append(
            f"| {peer.name} | {cs} | {peer.rss.get('after start-up', float('nan')):.1f} MiB | "
            f"{peer.rss.get('after a few calls', float('nan')):.1f} MiB | "
            f"{peer.rss.get('after the run', float('nan')):.1f} MiB |"
        )
    lines.append("")
    lines.append(
        "RSS after the run includes what the calls left behind; rolechain keeps its last 10,000 audit events in "
        "memory, so its RSS under sustained load levels off there."
    )
    lines.append("")
    rc = next(p for p in peers if p.name == "rolechain")
    lines.append(
        f"rolechain's own figures: ready line {rc.startup['ready line'] * 1000:.1f} ms after spawn, `startupMillis` "
        f"{rc.startup['self-reported'] * 1000:.1f} ms."
    )
    lines.append("")
    targets = []
    for op in ("AssumeRoleWithWebIdentity", "AssumeRole"):
        ratio = by[("rolechain", "boto3", op)].per_second / by[("moto", "boto3", op)].per_second
        raw_ratio = by[("rolechain", "raw", op)].per_second / by[("moto", "raw", op)].per_second
        targets.append(
            f"- {op} ≥ 5× moto's calls/s: through boto3 {ratio:.2f}× ({'holds' if ratio >= 5 else 'does not hold'}); "
            f"raw {raw_ratio:.2f}× ({'holds' if raw_ratio >= 5 else 'does not hold'})."
        )
    if fakecloud is not None:
        for op in ("AssumeRoleWithWebIdentity", "AssumeRole"):
            ratio = by[("rolechain", "boto3", op)].per_second / by[("fakecloud", "boto3", op)].per_second
            raw_ratio = by[("rolechain", "raw", op)].per_second / by[("fakecloud", "raw", op)].per_second
            targets.append(
                f"- {op} ≥ 2× fakecloud's calls/s: through boto3 {ratio:.2f}× "
                f"({'holds' if ratio >= 2 else 'does not hold'}); raw {raw_ratio:.2f}× "
                f"({'holds' if raw_ratio >= 2 else 'does not hold'})."
            )
    cold_rc = statistics.median(cold["rolechain"]) * 1000
    targets.append(f"- cold start ≤ 40 ms: {cold_rc:.1f} ms ({'holds' if cold_rc <= 40 else 'does not hold'}).")
    idle = rc.rss["after a few calls"]
    targets.append(f"- idle RSS ≤ 40 MiB: {idle:.1f} MiB ({'holds' if idle <= 40 else 'does not hold'}).")
    lines.append("Targets:")
    lines.append("")
    lines.extend(targets)
    if fakecloud is None:
        lines.append("")
        lines.append("fakecloud: no `fakecloud` binary on PATH, in ~/.cargo/bin or at /tmp/fakecloud-install/bin, so not measured.")
    return "\n".join(lines) + "\n"


def write_section(path: Path, body: str, heading: str = SECTION, command: str = "bash tests/bench/run.sh") -> None:
    """Puts the section under `heading` into BENCHMARKS.md, replacing an earlier copy of it (else at the end)."""
    text = path.read_text()
    section = f"{heading}\n\n```sh\n{command}   # --write-benchmarks BENCHMARKS.md rewrites this section\n```\n\n{body}"
    if heading in text:
        start = text.index(heading)
        rest = text[start + len(heading):]
        following = rest.find("\n## ")
        end = len(text) if following < 0 else start + len(heading) + following + 1
        text = text[:start] + section + ("\n" + text[end:] if end < len(text) else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rolechain", default="target/release/rolechain")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--out", default="target/bench/sts_peers.md", help="where the markdown goes too")
    parser.add_argument("--write-benchmarks", metavar="FILE", help=f"put the tables under '{SECTION}' in FILE")
    parser.add_argument("--canned-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        args.rolechain_label = str(Path(args.rolechain).resolve().relative_to(Path.cwd()))
    except ValueError:
        args.rolechain_label = args.rolechain
    if args.canned_server:
        serve_canned(args.canned_server)
        return 0

    def log(text):
        print(text, file=sys.stderr, flush=True)

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="rolechain-bench-"))
    peers = []
    try:
        log("cold start ...")
        cold = {
            "rolechain": cold_start(
                lambda port: spawn_rolechain(args.rolechain, port, free_port(), tmp),
                lambda port: f"http://127.0.0.1:{port}",
                ADMIN_KEY,
                ADMIN_SECRET,
                args.cold_runs,
            ),
            "moto": cold_start(
                lambda port: subprocess.Popen(
                    moto_command(port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                ),
                lambda port: f"http://127.0.0.1:{port}",
                "AKIAMOTOBENCHMOTOBEN",
                "moto-secret",
                args.cold_runs,
            ),
        }
        rolechain = start_rolechain(args.rolechain, tmp)
        peers.append(rolechain)
        peers.append(start_moto(rolechain.token))
        fakecloud = find_fakecloud()
        if fakecloud:
            try:
                peers.append(start_fakecloud(fakecloud, rolechain.token))
            except Exception as e:  # a fakecloud without these calls is reported, not fatal
                log(f"fakecloud at {fakecloud} could not be set up ({e}); leaving it out")
                fakecloud = None
        peers.append(start_canned())
        results = []
        for peer in peers:
            log(f"{peer.name} ...")
            results.extend(bench_peer(peer, args.warmup, args.calls, log))
        text = report(results, peers, cold, args, fakecloud)
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
        write_section(Path(args.write_benchmarks), text)
        log(f"wrote the section into {args.write_benchmarks}")
    log(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
