"""Measures the Python host: start-up, first-decision latency and decisions per second.

    target/python-venv/bin/python wasm/python/bench.py [--module target/rolechain_policy.wasm] [--seconds 3]

The workload is the 10-statement identity policy and the GetItem request of
crates/policy/benches/decide.rs (`ten_statement_policy()`, `get_item_request()`),
in the JSON shapes of docs/wasm-abi.md. Not run by the tests.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def ten_statement_policy() -> str:
    """The text of decide.rs's ten_statement_policy(), byte for byte."""
    statements = []
    for i in range(9):
        statements.append(
            f'{{"Sid":"Other{i}","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","sqs:Send*"],'
            f'"Resource":"arn:aws:s3:::bucket-{i}/*","Condition":{{"StringEquals":{{"aws:PrincipalTag/team":"team-{i}"}},'
            f'"IpAddress":{{"aws:SourceIp":"10.{i}.0.0/16"}}}}}}'
        )
    statements.append(
        """{"Sid":"ReadOwnItems","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query"],
        "Resource":"arn:aws:dynamodb:eu-west-2:222222222222:table/orders",
        "Condition":{
          "StringEquals":{"aws:RequestedRegion":"eu-west-2"},
          "StringLike":{"aws:userid":"AROA*:*"},
          "ArnLike":{"aws:PrincipalArn":"arn:aws:iam::222222222222:role/*"},
          "IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},
          "DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},
          "Bool":{"aws:SecureTransport":"true"},
          "ForAllValues:StringLike":{"dynamodb:LeadingKeys":["${aws:PrincipalTag/tenant}-*"]}}}"""
    )
    return '{"Version":"2012-10-17","Statement":[' + ",".join(statements) + "]}"


POLICY_SET: Dict[str, Any] = {"identity": [{"id": "ten-statements", "document": ten_statement_policy()}]}

GET_ITEM_REQUEST: Dict[str, Any] = {
    "principal": {
        "type": "assumedRole",
        "arn": "arn:aws:sts::222222222222:assumed-role/reader/s1",
        "roleArn": "arn:aws:iam::222222222222:role/reader",
    },
    "action": "dynamodb:GetItem",
    "resource": "arn:aws:dynamodb:eu-west-2:222222222222:table/orders",
    "context": {
        "aws:RequestedRegion": "eu-west-2",
        "aws:userid": "AROAEXAMPLE:s1",
        "aws:PrincipalArn": "arn:aws:iam::222222222222:role/reader",
        "aws:SourceIp": "10.1.2.3",
        "aws:CurrentTime": "2026-11-26T12:00:00Z",
        "aws:SecureTransport": "true",
        "aws:PrincipalTag/tenant": "acme",
        "aws:PrincipalTag/team": "orders",
        "dynamodb:LeadingKeys": ["acme-1", "acme-2"],
    },
}


def rate(call: Callable[[], Any], seconds: float, rounds: int = 5) -> List[float]:
    """Calls per second in each of `rounds` rounds of about `seconds / rounds`."""
    results = []
    for _ in range(rounds):
        n = 0
        start = time.perf_counter()
        deadline = start + seconds / rounds
        while True:
            for _ in range(100):
                call()
            n += 100
            now = time.perf_counter()
            if now >= deadline:
                break
        results.append(n / (now - start))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", default=os.environ.get("ROLECHAIN_POLICY_WASM", "target/rolechain_policy.wasm"))
    parser.add_argument("--seconds", type=float, default=3.0, help="time per throughput measurement")
    args = parser.parse_args()

    t0 = time.perf_counter()
    import rolechain_policy
    from rolechain_policy import DEFAULT_FUEL, PolicyEngine

    t_import = time.perf_counter() - t0
    module_bytes = Path(args.module).read_bytes()

    t0 = time.perf_counter()
    engine = PolicyEngine(module_bytes)  # wasmtime Engine + compile + instantiate + ABI check
    t_start = time.perf_counter() - t0
    t0 = time.perf_counter()
    PolicyEngine(module_bytes)  # compiled module cached: instantiate only
    t_instantiate = time.perf_counter() - t0

    t0 = time.perf_counter()
    handle = engine.load_policy_set(POLICY_SET)
    t_load = time.perf_counter() - t0
    t0 = time.perf_counter()
    first = engine.authorize(handle, GET_ITEM_REQUEST)
    t_first = time.perf_counter() - t0
    assert first["decision"] == "allowed", first
    assert [s["sid"] for s in first["decidingStatements"]] == ["ReadOwnItems"], first

    # Fuel of one decision: each call starts with `engine.fuel`; what is left shows.
    engine.authorize(handle, GET_ITEM_REQUEST)
    fuel_per_decision = DEFAULT_FUEL - engine._live().store.get_fuel()

    request_json = json.dumps(GET_ITEM_REQUEST, separators=(",", ":"))
    once_set = POLICY_SET

    seconds = args.seconds
    r_dict = rate(lambda: engine.authorize(handle, GET_ITEM_REQUEST), seconds)
    r_json = rate(lambda: engine.authorize_json(handle, request_json), seconds)
    r_once = rate(lambda: engine.authorize_once(once_set, GET_ITEM_REQUEST), seconds)
    raw = engine.raw
    r_call = rate(lambda: raw.call("rolechain_abi_version"), seconds)

    def fmt(rates: List[float]) -> str:
        return f"{statistics.median(rates):>9,.0f}/s  (median of {len(rates)}; min {min(rates):,.0f}, max {max(rates):,.0f})"

    print(f"rolechain_policy {rolechain_policy.__version__} on wasmtime {importlib.metadata.version('wasmtime')}, "
          f"Python {platform.python_version()} ({platform.machine()}), module {len(module_bytes):,} bytes, ABI {engine.abi_version}.{engine.abi_minor_version}")
    print(f"import wasmtime + rolechain_policy     {t_import * 1000:8.1f} ms")
    print(f"start-up (compile + instantiate)       {t_start * 1000:8.1f} ms")
    print(f"  a further engine (instantiate only)  {t_instantiate * 1000:8.1f} ms")
    print(f"first load_policy_set                  {t_load * 1000:8.2f} ms")
    print(f"first decision (authorize)             {t_first * 1000:8.2f} ms")
    print(f"fuel per decision                      {fuel_per_decision:>8,}")
    print(f"authorize (dict in, dict out)          {fmt(r_dict)}")
    print(f"authorize_json (str in, str out)       {fmt(r_json)}")
    print(f"authorize_once (set + request, dicts)  {fmt(r_once)}")
    print(f"bare export call (abi_version)         {fmt(r_call)}")


if __name__ == "__main__":
    main()
