"""PolicyEngine's API: load/authorize/unload, one-shot, lint, and the ABI's error codes."""

from __future__ import annotations

import json
import threading
from typing import Any, List

import pytest
from conftest import READER_REQUEST, READER_SET, request

import rolechain_policy
from rolechain_policy import MAX_INPUT_BYTES, PolicyEngine, PolicyEngineError


def test_abi_version(engine: PolicyEngine) -> None:
    assert engine.abi_version == 1
    assert engine.abi_minor_version >= 0


def test_load_authorize_unload(engine: PolicyEngine) -> None:
    handle = engine.load_policy_set(READER_SET)
    assert handle != 0
    assert engine.handles == [handle]

    allowed = engine.authorize(handle, READER_REQUEST)
    assert allowed["decision"] == "allowed"
    assert "deniedBy" not in allowed and "message" not in allowed
    [deciding] = allowed["decidingStatements"]
    assert deciding["policyId"] == "reader"
    assert deciding["policyType"] == "identity"
    assert deciding["sid"] == "Read"
    assert deciding["effect"] == "Allow"
    assert deciding["statementIndex"] == 0
    # Positions point into the inline document as this host writes it: compact JSON.
    text = json.dumps(READER_SET["identity"][0]["document"], separators=(",", ":"))
    assert (deciding["line"], deciding["column"]) == (1, text.index('{"Sid":"Read"') + 1)
    assert allowed["matchedStatements"] == [deciding]
    assert allowed["missingContextKeys"] == []

    denied = engine.authorize(handle, request("dynamodb:DeleteItem"))
    assert denied["decision"] == "explicitDeny"
    assert denied["deniedBy"] == "identity"
    assert [s["sid"] for s in denied["decidingStatements"]] == ["NoDelete"]
    assert "with an explicit deny" in denied["message"]

    implicit = engine.authorize(handle, request("dynamodb:PutItem"))
    assert implicit["decision"] == "implicitDeny"
    assert implicit["deniedBy"] == "identity"
    assert implicit["decidingStatements"] == []
    assert implicit["message"].startswith(
        "User: arn:aws:sts::111122223333:assumed-role/reader/s1 is not authorized to perform: dynamodb:PutItem"
    )

    engine.unload(handle)
    assert engine.handles == []
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize(handle, READER_REQUEST)
    assert e.value.code == "UnknownHandle"


def test_json_text_and_bytes_inputs(engine: PolicyEngine) -> None:
    from_dict = engine.authorize(engine.load_policy_set(READER_SET), READER_REQUEST)
    handle = engine.load_policy_set(json.dumps(READER_SET, separators=(",", ":")))
    assert engine.authorize(handle, json.dumps(READER_REQUEST)) == from_dict
    assert engine.authorize(handle, json.dumps(READER_REQUEST).encode()) == from_dict


def test_handles_are_distinct(engine: PolicyEngine) -> None:
    handles = [engine.load_policy_set(READER_SET) for _ in range(5)]
    assert len(set(handles)) == 5 and 0 not in handles
    engine.unload(handles[2])
    assert engine.load_policy_set(READER_SET) not in handles


def test_authorize_json(engine: PolicyEngine) -> None:
    handle = engine.load_policy_set(READER_SET)
    raw = engine.authorize_json(handle, json.dumps(READER_REQUEST))
    assert isinstance(raw, str)
    assert json.loads(raw) == engine.authorize(handle, READER_REQUEST)
    assert json.loads(engine.authorize_json(handle, json.dumps(request("s3:GetObject")).encode()))["decision"] == (
        "implicitDeny"
    )
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize_json(handle, '{"principal": {}}')
    assert e.value.code == "InvalidInput"
    assert e.value.details["path"] == "principal.type"
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize_json(handle + 100, json.dumps(READER_REQUEST))
    assert e.value.code == "UnknownHandle"
    with pytest.raises(TypeError):
        engine.authorize_json(handle, READER_REQUEST)  # type: ignore[arg-type]


def test_authorize_once(engine: PolicyEngine) -> None:
    assert engine.authorize_once(READER_SET, READER_REQUEST)["decision"] == "allowed"
    as_text = engine.authorize_once(json.dumps(READER_SET), json.dumps(request("dynamodb:DeleteItem")))
    assert as_text["decision"] == "explicitDeny"
    # Nothing stays loaded.
    assert engine.handles == []
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize_once(READER_SET, {"principal": {"type": "user"}, "action": "a", "resource": "b"})
    assert e.value.code == "InvalidInput"
    assert e.value.details["path"] == "request.principal.arn"
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize_once({"identity": [{"document": '{"Statement":[{"Effect":"Allow"}]}'}]}, READER_REQUEST)
    assert e.value.code == "MalformedPolicyDocument"
    assert e.value.details["place"] == "identity[0]"


def test_lint(engine: PolicyEngine) -> None:
    trust = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}}\n  ]\n}'
    report = engine.lint(trust)
    assert report["kind"] == "trust" and report["kindInferred"] is True
    [finding] = report["findings"]
    assert finding["code"] == "MISSING_ACTION"
    assert finding["severity"] == "ERROR"
    assert finding["position"]["line"] == 4
    assert finding["position"]["column"] == 5
    assert finding["message"] and finding["fix"]

    given = engine.lint(READER_SET["identity"][0]["document"], kind="identity")
    assert given["kind"] == "identity" and given["kindInferred"] is False
    assert all(f["severity"] != "ERROR" for f in given["findings"])

    with pytest.raises(PolicyEngineError) as e:
        engine.lint("{}", kind="no-such-kind")
    assert e.value.code == "InvalidInput"
    assert e.value.details["path"] == "kind"
    assert "unknown policy kind" in e.value.message


# ---------------------------------------------------------------- errors


def test_invalid_input_has_path_line_and_column(engine: PolicyEngine) -> None:
    handle = engine.load_policy_set(READER_SET)
    text = '{\n  "principal": {"type": "nobody"},\n  "action": "s3:GetObject",\n  "resource": "*"\n}'
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize(handle, text)
    err = e.value
    assert err.code == "InvalidInput"
    assert err.details["path"] == "principal.type"
    assert err.details["line"] == 2
    assert err.details["column"] == text.splitlines()[1].index('"nobody"') + 1
    assert "unknown principal type `nobody`" in err.message
    assert str(err).startswith("InvalidInput: ")

    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set('{"identity": [\n  {"documnt": {}}]}')
    assert e.value.code == "InvalidInput"
    assert (e.value.details["path"], e.value.details["line"], e.value.details["column"]) == (
        "identity[0].documnt",
        2,
        4,
    )


@pytest.mark.parametrize(
    "text",
    [b"", b"{", b"\xff\xfe", b"[1, 2]", b'"a set"', b'{"identity": {}}', b"null"],
    ids=["empty", "truncated", "not-utf8", "array", "string", "wrong-shape", "null"],
)
def test_invalid_input(engine: PolicyEngine, text: bytes) -> None:
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set(text)
    assert e.value.code == "InvalidInput"
    assert e.value.message


def test_values_that_are_not_json(engine: PolicyEngine) -> None:
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize_once(READER_SET, dict(READER_REQUEST, context={"n": float("nan")}))
    assert e.value.code == "InvalidInput"
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set({"identity": [{"document": object()}]})
    assert e.value.code == "InvalidInput"
    # A lone surrogate reaches the module as bad UTF-8.
    with pytest.raises(PolicyEngineError) as e:
        engine.authorize_once(READER_SET, dict(READER_REQUEST, action="\udc80"))
    assert e.value.code == "InvalidInput"


def test_unknown_handle(engine: PolicyEngine) -> None:
    for handle in (0, 1, 999, -1, 2**40):
        with pytest.raises(PolicyEngineError) as e:
            engine.authorize(handle, READER_REQUEST)
        assert e.value.code == "UnknownHandle"
        assert str(handle) in e.value.message
    handle = engine.load_policy_set(READER_SET)
    engine.unload(handle)
    with pytest.raises(PolicyEngineError) as e:
        engine.unload(handle)
    assert e.value.code == "UnknownHandle"
    with pytest.raises(TypeError):
        engine.authorize("1", READER_REQUEST)  # type: ignore[arg-type]


def test_malformed_policy_document_has_place_line_and_column(engine: PolicyEngine) -> None:
    document = '{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow", "Resource": "*"}\n  ]\n}'
    policy_set = {
        "identity": [{"id": "fine", "document": READER_SET["identity"][0]["document"]}],
        "scpLevels": [[{"document": '{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'}],
                      [{"id": "broken-scp", "document": document}]],
    }
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set(policy_set)
    err = e.value
    assert err.code == "MalformedPolicyDocument"
    assert err.details["place"] == "scpLevels[1][0]"
    assert err.details["policyId"] == "broken-scp"
    assert (err.details["line"], err.details["column"]) == (4, 5)
    assert [f["code"] for f in err.details["findings"]] == ["MISSING_ACTION"]
    assert "Policy statement must contain actions." in err.message


def test_limit_exceeded(engine: PolicyEngine) -> None:
    statements = [
        {"Sid": f"S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::bucket-{i}/*"}
        for i in range(200)
    ]
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set({"identity": [{"kind": "managed", "document": {"Statement": statements}}]})
    assert e.value.code == "LimitExceeded"
    assert e.value.details["place"] == "identity[0]"
    assert e.value.details["findings"][0]["code"] == "POLICY_SIZE_EXCEEDED"


def test_policy_of_the_wrong_kind(engine: PolicyEngine) -> None:
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set({"identity": [{"id": "an-scp", "kind": "scp", "document": READER_SET["identity"][0]["document"]}]})
    assert e.value.code == "InvalidInput"
    assert e.value.details["place"] == "identity[0]"
    assert e.value.details["policyId"] == "an-scp"


def test_input_too_large(engine: PolicyEngine) -> None:
    huge = b" " * (MAX_INPUT_BYTES + 1)
    for call in (engine.load_policy_set, lambda x: engine.lint(x.decode()), lambda x: engine.authorize_once(x, "{}")):
        with pytest.raises(PolicyEngineError) as e:
            call(huge)
        assert e.value.code == "InputTooLarge"
    # An input of exactly the limit is taken (and answered on its merits).
    assert engine.load_policy_set(b" " * (MAX_INPUT_BYTES - 2) + b"{}") > 0


def test_too_many_policy_sets(engine: PolicyEngine) -> None:
    small = '{"identity":[{"document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}}]}'
    handles = [engine.load_policy_set(small) for _ in range(4096)]
    with pytest.raises(PolicyEngineError) as e:
        engine.load_policy_set(small)
    assert e.value.code == "TooManyPolicySets"
    engine.unload(handles[0])
    assert engine.load_policy_set(small) not in handles


def test_error_repr_and_fields() -> None:
    err = PolicyEngineError.from_answer({"code": "InvalidInput", "message": "m", "path": "a.b", "line": 1, "column": 2})
    assert (err.code, err.message, err.details) == ("InvalidInput", "m", {"path": "a.b", "line": 1, "column": 2})
    assert "InvalidInput" in repr(err) and str(err) == "InvalidInput: m"
    assert isinstance(err, Exception)


# ---------------------------------------------------------- host behaviour


def test_memory_stays_flat_over_many_calls(engine: PolicyEngine) -> None:
    """Result buffers are freed and the input buffer is reused: no growth over many calls."""
    handle = engine.load_policy_set(READER_SET)
    padded = dict(READER_REQUEST, context={"pad": "x" * 100_000})
    for _ in range(50):
        engine.authorize(handle, padded)
        engine.authorize(handle, READER_REQUEST)
    instance = engine._instance
    assert instance is not None
    before = instance.memory.data_len(instance.store)
    for i in range(2000):
        engine.authorize(handle, padded if i % 10 == 0 else READER_REQUEST)
        engine.authorize_once(READER_SET, READER_REQUEST)
        engine.lint("{}")
    assert instance.memory.data_len(instance.store) == before
    assert engine.raw.free(instance.input_ptr) == 0, "the input buffer should be one live buffer"


def test_engines_are_independent(wasm_bytes: bytes) -> None:
    one, two = PolicyEngine(wasm_bytes), PolicyEngine(wasm_bytes)
    handle = one.load_policy_set(READER_SET)
    with pytest.raises(PolicyEngineError):
        two.authorize(handle, READER_REQUEST)
    assert one._module is two._module, "the compiled module should be shared"


def test_threads_share_one_engine(engine: PolicyEngine) -> None:
    handle = engine.load_policy_set(READER_SET)
    results: List[str] = []
    errors: List[BaseException] = []

    def work(action: str) -> None:
        try:
            for _ in range(200):
                results.append(engine.authorize(handle, request(action))["decision"])
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(a,)) for a in ["dynamodb:GetItem", "dynamodb:DeleteItem"] * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(set(results)) == ["allowed", "explicitDeny"] and len(results) == 800


def test_from_file_and_bad_modules(tmp_path: Any, wasm_bytes: bytes) -> None:
    path = tmp_path / "policy.wasm"
    path.write_bytes(wasm_bytes)
    assert PolicyEngine.from_file(path).abi_version == 1
    assert PolicyEngine.from_file(str(path)).authorize_once(READER_SET, READER_REQUEST)["decision"] == "allowed"
    with pytest.raises(PolicyEngineError) as e:
        PolicyEngine(b"not wasm")
    assert e.value.code == "IncompatibleModule"
    with pytest.raises(TypeError):
        PolicyEngine("target/rolechain_policy.wasm")  # type: ignore[arg-type]


def _fake_module(version: int) -> bytes:
    import wasmtime

    funcs = "".join(
        f'(func (export "{name}") (param {" ".join(["i32"] * arity)}) (result i32) i32.const 0)'
        if arity
        else f'(func (export "{name}") (result i32) i32.const 0)'
        for name, arity in [
            ("rolechain_abi_minor_version", 0),
            ("rolechain_alloc", 1),
            ("rolechain_free", 1),
            ("rolechain_load", 2),
            ("rolechain_authorize", 3),
            ("rolechain_authorize_once", 2),
            ("rolechain_lint", 2),
            ("rolechain_unload", 1),
        ]
    )
    return bytes(wasmtime.wat2wasm(
        f'(module (memory (export "memory") 1) (func (export "rolechain_abi_version") (result i32) i32.const {version}) {funcs})'
    ))


def test_refuses_another_abi_major_version() -> None:
    with pytest.raises(PolicyEngineError) as e:
        PolicyEngine(_fake_module(2))
    assert e.value.code == "IncompatibleModule"
    assert "ABI 2.0" in e.value.message and "1.x" in e.value.message
    assert e.value.details["abiVersion"] == 2


def test_refuses_a_module_without_the_exports() -> None:
    import wasmtime

    with pytest.raises(PolicyEngineError) as e:
        PolicyEngine(wasmtime.wat2wasm('(module (memory (export "memory") 1))'))
    assert e.value.code == "IncompatibleModule"
    assert "rolechain_load" in e.value.message


def test_package_exports() -> None:
    for name in rolechain_policy.__all__:
        assert hasattr(rolechain_policy, name)
    assert isinstance(rolechain_policy.DEFAULT_FUEL, int)


def test_the_public_call_path_gives_the_same_answers(wasm_bytes: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the direct C calls off, wasmtime-py's public Func.__call__ is used: same answers, same traps."""
    fast = PolicyEngine(wasm_bytes)
    monkeypatch.setattr(rolechain_policy, "_DIRECT_CALLS", False)
    slow = PolicyEngine(wasm_bytes, fuel=3_000_000)
    instance = slow._live()
    assert all(getattr(call, "__name__", "") == "<lambda>" for call in instance.calls.values())
    assert all(getattr(call, "__name__", "") == "call" for call in fast._live().calls.values())
    for engine in (fast, slow):
        handle = engine.load_policy_set(READER_SET)
        assert engine.authorize(handle, READER_REQUEST) == fast.authorize_once(READER_SET, READER_REQUEST)
        assert engine.raw.free(12345) == -1
    with pytest.raises(PolicyEngineError) as e:
        slow.authorize_once(
            {"resource": {"document": {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*",
                                                      "Condition": {"ForAnyValue:StringLike": {"k": [f"p{i}*x" for i in range(3000)]}}}]}}},
            dict(READER_REQUEST, context={"k": [f"v{i}" for i in range(3000)]}),
        )
    assert e.value.code == "Trap" and e.value.details["trap"] == "OUT_OF_FUEL"
    handle = slow.load_policy_set(READER_SET)
    assert slow.authorize(handle, READER_REQUEST)["decision"] == "allowed"
