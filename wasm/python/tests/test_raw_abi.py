"""The ABI through the raw exports: buffers, result layout, InvalidPointer, rolechain_free's -1."""

from __future__ import annotations

import json

import pytest
from conftest import READER_REQUEST, READER_SET

from rolechain_policy import MAX_INPUT_BYTES, PolicyEngine, RawExports

MAX_ALLOC = 16 * 1024 * 1024


def put(raw: RawExports, data: bytes) -> int:
    ptr = raw.alloc(len(data))
    assert ptr > 0
    raw.write(ptr, data)
    return ptr


def compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def test_call_protocol_by_hand(engine: PolicyEngine) -> None:
    raw = engine.raw
    data = compact(READER_SET)
    ptr = put(raw, data)
    result = raw.call("rolechain_load", ptr, len(data))
    assert result > 0
    # A result buffer: u32 little-endian length, then that many bytes of JSON.
    length = int.from_bytes(raw.read(result, 4), "little")
    body = raw.read(result + 4, length)
    assert body == raw.read_result(result)
    envelope = json.loads(body.decode("utf-8"))
    handle = envelope["ok"]["handle"]
    assert isinstance(handle, int) and handle != 0
    assert raw.free(result) == 0
    assert raw.free(result) == -1, "a result buffer is freed once"

    request = compact(READER_REQUEST)
    # The same input buffer may be reused: write a shorter input over it.
    assert len(request) <= len(data)
    raw.write(ptr, request)
    decision = raw.answer(raw.call("rolechain_authorize", handle, ptr, len(request)))
    assert decision["ok"]["decision"] == "allowed"
    assert raw.answer(raw.call("rolechain_unload", handle)) == {"ok": None}
    assert raw.answer(raw.call("rolechain_unload", handle))["error"]["code"] == "UnknownHandle"
    assert raw.free(ptr) == 0


def test_alloc(engine: PolicyEngine) -> None:
    raw = engine.raw
    ptr = raw.alloc(1000)
    assert ptr > 0 and raw.read(ptr, 1000) == bytes(1000), "buffers are zeroed"
    empty_a, empty_b = raw.alloc(0), raw.alloc(0)
    assert 0 not in (empty_a, empty_b) and empty_a != empty_b, "empty buffers still get distinct addresses"
    assert raw.alloc(-1) == 0
    assert raw.alloc(MAX_ALLOC + 1) == 0
    biggest = raw.alloc(MAX_ALLOC)
    assert biggest > 0
    for p in (ptr, empty_a, empty_b, biggest):
        assert raw.free(p) == 0


def test_free_of_a_bad_pointer_is_minus_one(engine: PolicyEngine) -> None:
    raw = engine.raw
    ptr = raw.alloc(64)
    assert raw.free(ptr + 1) == -1, "an address inside a buffer is not a buffer"
    for bad in (0, 12345, -5, 2**31 - 1):
        assert raw.free(bad) == -1
    assert raw.free(ptr) == 0
    assert raw.free(ptr) == -1, "double free"
    # Still a working instance.
    assert engine.authorize_once(READER_SET, READER_REQUEST)["decision"] == "allowed"


@pytest.mark.parametrize("export", ["rolechain_load", "rolechain_authorize_once", "rolechain_lint", "rolechain_authorize"])
def test_invalid_pointer(engine: PolicyEngine, export: str) -> None:
    raw = engine.raw
    handle = engine.raw.answer(
        raw.call("rolechain_load", put(raw, compact(READER_SET)), len(compact(READER_SET)))
    )["ok"]["handle"]
    prefix = (handle,) if export == "rolechain_authorize" else ()
    ptr = put(raw, b"{}" + bytes(14))
    freed = put(raw, b"{}")
    assert raw.free(freed) == 0
    for args in [
        (12345, 10),  # never handed out
        (0, 0),  # the null pointer, even for an empty input
        (ptr, 17),  # runs past its buffer
        (ptr + 8, 9),  # starts inside, runs past the end
        (freed, 2),  # a freed buffer
        (-1, 2),
        (ptr, -1),
    ]:
        answer = raw.answer(raw.call(export, *prefix, *args))
        assert answer["error"]["code"] == "InvalidPointer", (args, answer)
        assert answer["error"]["message"]
    # Inside one live buffer is fine, at any offset.
    inside = raw.answer(raw.call(export, *prefix, ptr + 4, 0))
    assert inside["error"]["code"] == "InvalidInput"


def test_input_too_large_from_the_module(engine: PolicyEngine) -> None:
    raw = engine.raw
    size = MAX_INPUT_BYTES + 1
    ptr = raw.alloc(size)
    assert ptr > 0, "the module hands out buffers up to 16 MiB"
    raw.write(ptr, b" " * size)
    for export in ("rolechain_load", "rolechain_lint", "rolechain_authorize_once"):
        answer = raw.answer(raw.call(export, ptr, size))
        assert answer["error"]["code"] == "InputTooLarge", answer
    assert raw.answer(raw.call("rolechain_load", ptr, size - 1))["error"]["code"] == "InvalidInput"
    assert raw.free(ptr) == 0


def test_unknown_handles_raw(engine: PolicyEngine) -> None:
    raw = engine.raw
    data = compact(READER_REQUEST)
    ptr = put(raw, data)
    for handle in (0, 1, 77, -1, -(2**31)):
        assert raw.answer(raw.call("rolechain_authorize", handle, ptr, len(data)))["error"]["code"] == "UnknownHandle"
        assert raw.answer(raw.call("rolechain_unload", handle))["error"]["code"] == "UnknownHandle"


def test_module_handles_are_not_reused(engine: PolicyEngine) -> None:
    raw = engine.raw
    data = compact(READER_SET)
    ptr = put(raw, data)

    def load() -> int:
        return int(raw.answer(raw.call("rolechain_load", ptr, len(data)))["ok"]["handle"])

    first = [load() for _ in range(3)]
    for h in first:
        raw.answer(raw.call("rolechain_unload", h))
    again = load()
    assert again not in first and 0 not in first


def test_versions(engine: PolicyEngine) -> None:
    assert engine.raw.call("rolechain_abi_version") == 1
    assert engine.raw.call("rolechain_abi_minor_version") == engine.abi_minor_version


def test_raw_calls_are_checked(engine: PolicyEngine) -> None:
    raw = engine.raw
    with pytest.raises(ValueError):
        raw.call("rolechain_nothing")
    with pytest.raises(TypeError):
        raw.call("rolechain_load", 1)
    with pytest.raises(ValueError):
        raw.free(2**31)
    with pytest.raises(ValueError):
        raw.alloc(-(2**31) - 1)
    assert raw.free(-(2**31)) == -1
