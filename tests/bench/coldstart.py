"""Cold start and idle memory of `rolechain serve`: spawn to the first answered
request, and resident memory half a second later (BENCHMARKS.md, "start-up and
memory"). The wasm module cache should be warm (any earlier run warms it).

    cargo build -q --release -p rolechain
    python3 tests/bench/coldstart.py [--binary target/release/rolechain] [--runs 15]
"""

import argparse
import json
import socket
import statistics
import subprocess
import time


def once(binary: str) -> tuple[float, float, float]:
    start = time.perf_counter()
    process = subprocess.Popen(
        [binary, "serve", "--port", "0", "--issuer-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    ready = json.loads(process.stdout.readline())
    host, port = ready["endpoint"].removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as connection:
        connection.sendall(b"GET /_rolechain/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        status = connection.recv(1000).split(b"\r\n")[0]
    elapsed_ms = (time.perf_counter() - start) * 1000
    assert b"200" in status, status
    time.sleep(0.5)
    with open(f"/proc/{process.pid}/status") as status_file:
        rss_kib = next(int(line.split()[1]) for line in status_file if line.startswith("VmRSS"))
    process.terminate()
    process.wait()
    return elapsed_ms, rss_kib / 1024, ready["startupMillis"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/rolechain")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    runs = [once(args.binary) for _ in range(args.runs)]
    starts = [r[0] for r in runs]
    print(
        f"cold start to first answered request: median {statistics.median(starts):.1f} ms "
        f"(min {min(starts):.1f}, max {max(starts):.1f}); "
        f"startupMillis median {statistics.median(r[2] for r in runs):.1f}; "
        f"idle RSS median {statistics.median(r[1] for r in runs):.1f} MiB ({args.runs} runs)"
    )


if __name__ == "__main__":
    main()
