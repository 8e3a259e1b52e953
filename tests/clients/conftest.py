"""Fixtures of the real-client tests: a running `rolechain serve` and an AWS
setup for the clients that is built from nothing, so no developer's ~/.aws,
AWS_* variable or instance metadata can leak in.

The binary is $ROLECHAIN_BIN (tests/clients/test.sh sets it to the freshly
built target/debug/rolechain).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
REGION = "eu-west-2"
ROLE_A_NAME = "my-namespace-creds-my-namespace-dev-dynamodb-reader"
ROLE_A = f"arn:aws:iam::{ACCOUNT_A}:role/{ROLE_A_NAME}"
ROLE_B_NAME = "dynamodb-reader"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/{ROLE_B_NAME}"
ADMIN_KEY = "AKIAROLECHAINADMINAA"
ADMIN_SECRET = "rolechain/admin/111111111111/not-a-real-secret"
NAMESPACE = "my-namespace"
READER_SA = "dev-db-reader"
OTHER_SA = "other-app"
READY_TIMEOUT_SECONDS = 30


def rolechain_bin() -> str:
    path = os.environ.get("ROLECHAIN_BIN") or str(REPO / "target" / "debug" / "rolechain")
    if not Path(path).is_file():
        pytest.exit(f"no rolechain binary at {path}: run tests/clients/test.sh (it builds one)", 2)
    return path


@dataclass
class Emulator:
    """One `rolechain serve` process and its admin API."""

    process: subprocess.Popen
    ready: dict
    stderr_path: Path
    endpoint: str = field(init=False)

    def __post_init__(self) -> None:
        self.endpoint = self.ready["endpoint"]

    def admin(self, method: str, path: str, body: dict | None = None) -> dict:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.endpoint + "/_rolechain" + path,
            data=data,
            method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def mint(self, service_account: str = READER_SA, audiences=("openshift",), seconds: int = 3600) -> str:
        answer = self.admin(
            "POST",
            "/tokens",
            {
                "namespace": NAMESPACE,
                "serviceAccount": service_account,
                "audiences": list(audiences),
                "expirationSeconds": seconds,
            },
        )
        return answer["token"]

    def audit(self, **query) -> list:
        from urllib.parse import urlencode

        return self.admin("GET", "/audit?" + urlencode(query))["events"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_emulator(tmp: Path, *args: str) -> Emulator:
    """Starts `rolechain serve` on free ports and waits for its ready line."""
    tmp.mkdir(parents=True, exist_ok=True)
    stderr_path = tmp / "serve.stderr"
    command = [
        rolechain_bin(),
        "serve",
        "--port",
        "0",
        "--issuer-port",
        "0",
        "--ca-out",
        str(tmp / "ca.pem"),
        *args,
    ]
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
    lines: queue.Queue = queue.Queue()

    def read_stdout() -> None:
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read_stdout, daemon=True).start()
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while True:
        remaining = deadline - time.monotonic()
        try:
            line = lines.get(timeout=max(remaining, 0.01))
        except queue.Empty:
            line = b""
        if line is None or (line == b"" and time.monotonic() >= deadline):
            process.kill()
            process.wait()
            raise RuntimeError(
                f"rolechain serve gave no ready line within {READY_TIMEOUT_SECONDS}s "
                f"(exit {process.returncode}); stderr:\n{stderr_path.read_text(errors='replace')}"
            )
        if not line.strip():
            continue
        event = json.loads(line)
        if event.get("event") == "ready":
            return Emulator(process, event, stderr_path)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory) -> Emulator:
    """The emulator shared by the tests that do not move its clock."""
    running = start_emulator(tmp_path_factory.mktemp("serve"))
    yield running
    running.stop()


@pytest.fixture
def own_emulator(tmp_path):
    """An emulator of the test's own (for tests that move the virtual clock)."""
    running = start_emulator(tmp_path / "serve")
    yield running
    running.stop()


@dataclass
class AwsSetup:
    """An AWS client setup made from nothing: HOME, config and credentials files
    in a temporary folder, and the environment the clients run with."""

    root: Path
    env: dict

    @property
    def config_file(self) -> Path:
        return Path(self.env["AWS_CONFIG_FILE"])

    def write_token(self, token: str, name: str = "token") -> Path:
        path = self.root / name
        path.write_text(token)
        return path

    def write_config(self, text: str) -> None:
        self.config_file.write_text(text)

    def ccoctl_profile(self, token_file: Path, section: str = "[default]", role_arn: str = ROLE_A) -> str:
        """The `credentials` profile of the Secret ccoctl writes, line for line
        (spec: irsa-openshift-facts §1.4), with the token path of this test."""
        return f"{section}\nsts_regional_endpoints = regional\nrole_arn = {role_arn}\nweb_identity_token_file = {token_file}\n"


def clean_env(root: Path, endpoint: str) -> dict:
    home = root / "home"
    home.mkdir(parents=True, exist_ok=True)
    config = root / "config"
    credentials = root / "credentials"
    config.write_text("")
    credentials.write_text("")
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_ENDPOINT_URL": endpoint,
        # botocore (and so the CLI v1) reads AWS_DEFAULT_REGION only; AWS_REGION
        # is what the other SDKs read, set too as a pod would have it.
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        # Never ask an instance-metadata service, should a chain fall through.
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_PAGER": "",
    }


@pytest.fixture
def aws(tmp_path, emulator, monkeypatch) -> AwsSetup:
    """The isolated setup, also made the environment of this (boto3) process."""
    return _isolate(tmp_path, emulator, monkeypatch)


@pytest.fixture
def own_aws(tmp_path, own_emulator, monkeypatch) -> AwsSetup:
    return _isolate(tmp_path, own_emulator, monkeypatch)


def _isolate(tmp_path: Path, running: Emulator, monkeypatch) -> AwsSetup:
    root = tmp_path / "aws"
    root.mkdir()
    env = clean_env(root, running.endpoint)
    # boto3 reads os.environ: empty it (pytest's own bookkeeping variable
    # aside) and put in exactly the setup's variables.
    for name in list(os.environ):
        if name != "PYTEST_CURRENT_TEST":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return AwsSetup(root, env)


def run_aws(setup: AwsSetup, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Runs the AWS CLI of the venv with the isolated environment only."""
    return subprocess.run(
        [str(VENV_BIN / "aws"), *args],
        env=env or setup.env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=setup.root,
    )
