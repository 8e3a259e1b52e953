"""Wall time of the seed's workflow commands (BENCHMARKS.md, "The seed's
workflow"): `rolechain demo`, and `rolechain run` around a command that does
nothing, each against a baseline spawned the same way in the same run — the
binary's `--version` (process start alone) and `true` run directly.

    cargo build -q -p rolechain            # the README runs the debug build
    python3 tests/bench/workflow.py [--binary target/debug/rolechain] [--runs 15]
"""

import argparse
import statistics
import subprocess
import time


def median_ms(command: list[str], runs: int) -> tuple[float, float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/debug/rolechain")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    pod = ["run", "-q", "--deployment", "emulator/seed/deployment.yaml", "--secret", "emulator/seed/secret.yaml"]
    rows = [
        ("rolechain --version (baseline)", [args.binary, "--version"]),
        ("rolechain demo", [args.binary, "demo"]),
        ("true (baseline)", ["true"]),
        ("rolechain run ... -- true", [args.binary, *pod, "--", "true"]),
    ]
    results = {name: median_ms(command, args.runs) for name, command in rows}
    print(f"| command | median ms | min | max | ratio to its baseline |")
    print(f"| --- | --- | --- | --- | --- |")
    for (name, _), baseline in zip(rows, [None, rows[0][0], None, rows[2][0]]):
        median, low, high = results[name]
        ratio = f"{median / results[baseline][0]:.1f}×" if baseline else "1"
        print(f"| {name} | {median:.1f} | {low:.1f} | {high:.1f} | {ratio} |")


if __name__ == "__main__":
    main()
