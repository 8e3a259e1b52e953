"""Shared fixtures: the module's path, a fresh engine per test, the usual inputs."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from rolechain_policy import PolicyEngine

REPO_ROOT = Path(__file__).resolve().parents[3]


def module_path() -> Path:
    """``$ROLECHAIN_POLICY_WASM``, or ``target/rolechain_policy.wasm`` of this checkout."""
    return Path(os.environ.get("ROLECHAIN_POLICY_WASM", REPO_ROOT / "target" / "rolechain_policy.wasm"))


@pytest.fixture(scope="session")
def wasm_bytes() -> bytes:
    path = module_path()
    if not path.is_file():
        pytest.fail(
            f"{path} is missing: build it with `cargo build -p rolechain-wasm-host` "
            "(or set ROLECHAIN_POLICY_WASM to the module's path)",
            pytrace=False,
        )
    return path.read_bytes()


@pytest.fixture
def engine(wasm_bytes: bytes) -> Iterator[PolicyEngine]:
    yield PolicyEngine(wasm_bytes)


READER_SET: Dict[str, Any] = {
    "identity": [
        {
            "id": "reader",
            "document": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Sid": "Read", "Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"},
                    {"Sid": "NoDelete", "Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": "*"},
                ],
            },
        }
    ]
}

READER_REQUEST: Dict[str, Any] = {
    "principal": {"type": "assumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/reader/s1"},
    "action": "dynamodb:GetItem",
    "resource": "arn:aws:dynamodb:eu-west-2:111122223333:table/orders",
}


def request(action: str) -> Dict[str, Any]:
    return dict(READER_REQUEST, action=action)
