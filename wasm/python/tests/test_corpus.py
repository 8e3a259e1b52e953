"""The shared decision corpus (tests/corpus/*.json, format in tests/corpus/README.md).

Each file has ``policies`` and ``cases[]`` with ``request``, ``expect`` (decision
and deniedBy) and ``answer`` (the whole decision, blessed from the native
engine). Every case is loaded and decided through this host and must give
exactly ``answer``. The set and requests go in as the package writes dicts:
compact JSON in file order (``JSON.stringify``'s text), which the corpus's
line and column numbers are counted in.

A missing or empty corpus fails, unless ``ROLECHAIN_CORPUS_OPTIONAL=1``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from conftest import REPO_ROOT

from rolechain_policy import PolicyEngine, PolicyEngineError

CORPUS_DIR = Path(os.environ.get("ROLECHAIN_CORPUS_DIR", REPO_ROOT / "tests" / "corpus"))
OPTIONAL = os.environ.get("ROLECHAIN_CORPUS_OPTIONAL") == "1"


def corpus_files() -> List[Path]:
    return sorted(CORPUS_DIR.glob("*.json")) if CORPUS_DIR.is_dir() else []


def corpus_cases() -> List[Any]:
    params: List[Any] = []
    for path in corpus_files():
        try:
            cases = json.loads(path.read_text(encoding="utf-8")).get("cases", [])
        except ValueError:
            cases = [None]  # reported by test_corpus_files_read
        for i, case in enumerate(cases):
            name = case.get("name", f"case {i}") if isinstance(case, dict) else f"case {i}"
            params.append(pytest.param(path.name, i, id=f"{path.stem}::{name}"))
    return params


def test_corpus_is_present() -> None:
    if not corpus_files():
        message = (
            f"the shared corpus is missing: no {CORPUS_DIR}/*.json "
            "(the corpus is part of the repository; see tests/corpus/README.md)"
        )
        if OPTIONAL:
            pytest.skip(message + " -- skipped because ROLECHAIN_CORPUS_OPTIONAL=1")
        pytest.fail(message, pytrace=False)


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_corpus_files_read(path: Path) -> None:
    root = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(root.get("policies"), dict), f"{path.name}: `policies` must be an object"
    assert isinstance(root.get("cases"), list) and root["cases"], f"{path.name}: `cases` must be a non-empty array"


class Corpus:
    """One engine for the whole corpus; each file's set loaded once."""

    def __init__(self, engine: PolicyEngine) -> None:
        self.engine = engine
        self.files: Dict[str, Tuple[Dict[str, Any], int]] = {}

    def case(self, file_name: str, index: int) -> Tuple[Dict[str, Any], int]:
        if file_name not in self.files:
            root = json.loads((CORPUS_DIR / file_name).read_text(encoding="utf-8"))
            try:
                handle = self.engine.load_policy_set(root["policies"])
            except PolicyEngineError as e:
                pytest.fail(f"{file_name}: the policy set does not load: {e!r}", pytrace=False)
            self.files[file_name] = (root, handle)
        root, handle = self.files[file_name]
        return root["cases"][index], handle


@pytest.fixture(scope="module")
def corpus(wasm_bytes: bytes) -> Iterator[Corpus]:
    yield Corpus(PolicyEngine(wasm_bytes))


def differences(path: str, expected: Any, actual: Any) -> Iterator[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                yield f"  {path}.{key}: expected {json.dumps(expected[key])}, the host gives nothing"
            elif key not in expected:
                yield f"  {path}.{key}: not expected, the host gives {json.dumps(actual[key])}"
            else:
                yield from differences(f"{path}.{key}", expected[key], actual[key])
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual)):
            yield from differences(f"{path}[{i}]", e, a)
    elif expected != actual or type(expected) is not type(actual):
        yield f"  {path}: expected {json.dumps(expected)}, the host gives {json.dumps(actual)}"


@pytest.mark.parametrize("file_name,index", corpus_cases())
def test_corpus_case(corpus: Corpus, file_name: str, index: int) -> None:
    case, handle = corpus.case(file_name, index)
    assert isinstance(case, dict), f"{file_name}: case {index} is not an object"
    decision = corpus.engine.authorize(handle, case["request"])

    expect = case.get("expect")
    if not isinstance(expect, dict):
        pytest.fail("the case has no `expect` object", pytrace=False)
    got = {"decision": decision.get("decision"), "deniedBy": decision.get("deniedBy")}
    want = {"decision": expect.get("decision"), "deniedBy": expect.get("deniedBy")}
    if got != want:
        pytest.fail(f"expected {want}, the host decides {got}: {decision.get('message', '(no message)')}", pytrace=False)

    if "answer" not in case:
        pytest.fail("the case has no `answer`; bless the corpus (see tests/corpus/README.md)", pytrace=False)
    diff = list(differences("answer", case["answer"], decision))
    if diff:
        pytest.fail(
            "the decision differs from the blessed answer:\n"
            + "\n".join(diff)
            + f"\n  the host's whole answer: {json.dumps(decision)}",
            pytrace=False,
        )
    # The raw-JSON path gives the same decision.
    assert json.loads(corpus.engine.authorize_json(handle, json.dumps(case["request"]))) == decision
