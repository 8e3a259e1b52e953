"""Bounds: fuel and time per call, the memory limit, and what a trap leaves behind."""

from __future__ import annotations

import time
from typing import Any, Dict, Tuple

import pytest
from conftest import READER_REQUEST, READER_SET, request

from rolechain_policy import DEFAULT_FUEL, PolicyEngine, PolicyEngineError


def quadratic(n: int) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """A valid set and request whose decision compares n context values with n patterns, none matching.

    A resource policy has no size limit of its own, so n patterns fit; deciding
    costs about n*n pattern matches (n = 20,000: minutes of fuel, seconds of time).
    """
    policy_set = {
        "resource": {
            "id": "expensive",
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "ManyPatterns",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "*",
                        "Condition": {"ForAnyValue:StringLike": {"aws:TagKeys": [f"k{i}*x" for i in range(n)]}},
                    }
                ],
            },
        }
    }
    req = {
        "principal": {"type": "anonymous"},
        "action": "s3:GetObject",
        "resource": "arn:aws:s3:::bucket/key",
        "context": {"aws:TagKeys": [f"v{j}" for j in range(n)]},
    }
    return policy_set, req


def still_answers(engine: PolicyEngine) -> None:
    handle = engine.load_policy_set(READER_SET)
    assert engine.authorize(handle, READER_REQUEST)["decision"] == "allowed"
    assert engine.authorize(handle, request("dynamodb:DeleteItem"))["decision"] == "explicitDeny"
    assert engine.authorize_once(READER_SET, READER_REQUEST)["decision"] == "allowed"


def test_the_expensive_input_is_valid(engine: PolicyEngine) -> None:
    policy_set, req = quadratic(100)
    handle = engine.load_policy_set(policy_set)
    assert engine.authorize(handle, req)["decision"] == "implicitDeny"
    req["context"]["aws:TagKeys"].append("k7-x")
    assert engine.authorize(handle, req)["decision"] == "allowed"


def test_default_fuel_stops_an_expensive_decision(engine: PolicyEngine) -> None:
    assert engine.fuel == DEFAULT_FUEL
    policy_set, req = quadratic(20_000)
    kept = engine.load_policy_set(READER_SET)
    handle = engine.load_policy_set(policy_set)
    started = time.monotonic()
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize(handle, req)
    elapsed = time.monotonic() - started
    err = e.value
    assert err.code == "Trap"
    assert err.details["trap"] == "OUT_OF_FUEL"
    assert "fuel budget" in err.message and "replaced by a fresh one" in err.message
    assert err.details["lostHandles"] == [kept, handle]
    assert engine.resets == 1
    assert elapsed < 60
    # The sets loaded before are lost, and say so.
    for lost in (kept, handle):
        with pytest.raises(PolicyEngineError) as e:
            engine.authorize(lost, READER_REQUEST)
        assert e.value.code == "UnknownHandle"
        assert "lost" in e.value.message and e.value.details["lost"] is True
    still_answers(engine)


def test_a_tiny_fuel_budget(wasm_bytes: bytes) -> None:
    engine = PolicyEngine(wasm_bytes, fuel=1_000)
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set(READER_SET)
    assert e.value.code == "Trap" and e.value.details["trap"] == "OUT_OF_FUEL"
    assert "1000 units" in e.value.message
    engine.fuel = None  # no bound
    still_answers(engine)


def test_fuel_is_per_call(wasm_bytes: bytes) -> None:
    # A decision of the reader set takes about 0.12 M fuel, a load about 1 M:
    # 3 M per call is plenty for each and far short of all of them together.
    engine = PolicyEngine(wasm_bytes, fuel=3_000_000)
    handle = engine.load_policy_set(READER_SET)
    for _ in range(200):
        assert engine.authorize(handle, READER_REQUEST)["decision"] == "allowed"
    assert engine.resets == 0


def test_timeout_stops_an_expensive_decision(wasm_bytes: bytes) -> None:
    engine = PolicyEngine(wasm_bytes, fuel=None, timeout=0.2)
    policy_set, req = quadratic(20_000)
    handle = engine.load_policy_set(policy_set)
    started = time.monotonic()
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize(handle, req)
    elapsed = time.monotonic() - started
    assert e.value.code == "Trap" and e.value.details["trap"] == "INTERRUPT"
    assert "time limit (0.2 s)" in e.value.message
    assert 0.15 < elapsed < 5
    still_answers(engine)
    # The deadline is per call: quick calls keep passing long after the first.
    handle = engine.load_policy_set(READER_SET)
    until = time.monotonic() + 0.5
    while time.monotonic() < until:
        assert engine.authorize(handle, READER_REQUEST)["decision"] == "allowed"


def test_memory_limit(wasm_bytes: bytes) -> None:
    engine = PolicyEngine(wasm_bytes, memory_limit=16 * 1024 * 1024)
    kept = engine.load_policy_set(READER_SET)
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "dynamodb:Scan",
            "Resource": f"arn:aws:dynamodb:eu-west-2:222222222222:table/t{i}",
        }
        for i in range(20_000)
    ]
    big = {"resource": {"document": {"Version": "2012-10-17", "Statement": statements}}}
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set(big)
    # Rust aborts on a failed allocation (`unreachable`), or the module answers 0.
    assert e.value.code in ("Trap", "OutOfMemory")
    assert e.value.details["memoryLimit"] == 16 * 1024 * 1024
    assert "limit of 16777216 bytes" in e.value.message
    assert e.value.details["lostHandles"] == [kept]
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize(kept, READER_REQUEST)
    assert e.value.code == "UnknownHandle"
    still_answers(engine)
    # With room, the same set loads.
    assert PolicyEngine(wasm_bytes).load_policy_set(big) > 0


def test_handles_of_a_fresh_instance_do_not_alias_lost_ones(wasm_bytes: bytes) -> None:
    engine = PolicyEngine(wasm_bytes, fuel=3_000_000)
    deny_all = {
        "identity": [{"document": {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}}]
    }
    lost = engine.load_policy_set(READER_SET)
    assert engine.authorize(lost, READER_REQUEST)["decision"] == "allowed"
    with pytest.raises(PolicyEngineError):
        engine.authorize_once(*quadratic(2_000))
    # The fresh instance numbers its sets from 1 again; the host's handles do not repeat.
    fresh = engine.load_policy_set(deny_all)
    assert fresh != lost
    assert engine.authorize(fresh, READER_REQUEST)["decision"] == "explicitDeny"
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize(lost, READER_REQUEST)
    assert e.value.code == "UnknownHandle"
    assert engine.handles == [fresh]


def test_no_bounds_is_allowed(wasm_bytes: bytes) -> None:
    engine = PolicyEngine(wasm_bytes, fuel=None)
    still_answers(engine)
    with pytest.raises(ValueError):
        PolicyEngine(wasm_bytes, fuel=0)
    with pytest.raises(ValueError):
        PolicyEngine(wasm_bytes, timeout=0)
    with pytest.raises(ValueError):
        engine.fuel = -1
    with pytest.raises(ValueError):
        PolicyEngine(wasm_bytes, memory_limit=0)


def test_bounds_can_be_set_on_a_live_engine(wasm_bytes: bytes) -> None:
    engine = PolicyEngine(wasm_bytes, fuel=None)
    handle = engine.load_policy_set(quadratic(20_000)[0])
    engine.timeout = 0.1
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize(handle, quadratic(20_000)[1])
    assert e.value.details["trap"] == "INTERRUPT"
    engine.timeout, engine.fuel = None, 1_000
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize_once(READER_SET, READER_REQUEST)
    assert e.value.details["trap"] == "OUT_OF_FUEL"
    engine.fuel = DEFAULT_FUEL
    still_answers(engine)
