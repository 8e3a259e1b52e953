"""Upstream mode against a real DynamoDB-compatible engine: moto's server.

`rolechain serve --dynamodb-upstream http://127.0.0.1:PORT` keeps
authorization and the audit, and forwards allowed requests, re-signed with the
upstream's credentials (testing/testing), to moto. boto3 talks to rolechain
only; moto is asked directly to show what reached it.

Run with tests/upstream/test.sh (it builds rolechain and the venv).
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
REGION = "eu-west-2"
ACCOUNT_B = "222222222222"
ADMIN_KEY = "AKIAROLECHAINADMINBB"
ADMIN_SECRET = "rolechain/admin/222222222222/not-a-real-secret"
ROLE_A = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader"
ROLE_B = f"arn:aws:iam::{ACCOUNT_B}:role/dynamodb-reader"
UPSTREAM_KEY = "testing"
UPSTREAM_SECRET = "testing"
TIMEOUT_SECONDS = 60

# boto3 gets an empty AWS setup: no ~/.aws, no AWS_* of the developer.
for name in list(os.environ):
    if name.startswith("AWS_"):
        del os.environ[name]
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} within {TIMEOUT_SECONDS}s")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    """moto's server on a free port: the upstream engine."""
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, process, "moto_server")
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def rolechain(moto, tmp_path_factory):
    """`rolechain serve --dynamodb-upstream <moto>`; yields its endpoint."""
    binary = os.environ.get("ROLECHAIN_BIN") or str(REPO / "target" / "debug" / "rolechain")
    tmp = tmp_path_factory.mktemp("serve")
    env = dict(os.environ)
    env.update(
        ROLECHAIN_UPSTREAM_ACCESS_KEY_ID=UPSTREAM_KEY,
        ROLECHAIN_UPSTREAM_SECRET_ACCESS_KEY=UPSTREAM_SECRET,
    )
    env.pop("ROLECHAIN_UPSTREAM_SESSION_TOKEN", None)
    env.pop("ROLECHAIN_UPSTREAM_REGION", None)
    stderr_path = tmp / "serve.stderr"
    command = [binary, "serve", "--port", "0", "--issuer-port", "0", "--ca-out", str(tmp / "ca.pem")]
    command += ["--dynamodb-upstream", moto]
    with open(stderr_path, "wb") as stderr:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    try:
        line = lines.get(timeout=TIMEOUT_SECONDS)
    except queue.Empty:
        stop(process)
        raise RuntimeError(f"no ready line; stderr:\n{stderr_path.read_text(errors='replace')}")
    ready = json.loads(line)
    try:
        yield ready["endpoint"]
    finally:
        stop(process)


def client(service: str, endpoint: str, key: str, secret: str, token: str | None = None):
    return boto3.session.Session(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        region_name=REGION,
    ).client(service, endpoint_url=endpoint, config=Config(retries={"max_attempts": 1}))


def admin(endpoint: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        endpoint + "/_rolechain" + path,
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def reader_credentials(endpoint: str) -> dict:
    """The seed's chain: a projected token, AssumeRoleWithWebIdentity into
    account A's role, AssumeRole into account B's dynamodb-reader."""
    token = admin(
        endpoint,
        "POST",
        "/tokens",
        {"namespace": "my-namespace", "serviceAccount": "dev-db-reader", "audiences": ["openshift"]},
    )["token"]
    sts = client("sts", endpoint, "unused", "unused")
    first = sts.assume_role_with_web_identity(RoleArn=ROLE_A, RoleSessionName="pod", WebIdentityToken=token)
    c = first["Credentials"]
    sts_a = client("sts", endpoint, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    second = sts_a.assume_role(RoleArn=ROLE_B, RoleSessionName="reader")
    return second["Credentials"]


ORDER = {"customer": {"S": "alice"}, "order_id": {"S": "2026-0001"}, "status": {"S": "open"}}
KEY = {"customer": {"S": "alice"}, "order_id": {"S": "2026-0001"}}


def test_an_admin_works_through_rolechain_on_motos_tables(rolechain, moto):
    ddb = client("dynamodb", rolechain, ADMIN_KEY, ADMIN_SECRET)
    direct = client("dynamodb", moto, UPSTREAM_KEY, UPSTREAM_SECRET)

    created = ddb.create_table(
        TableName="orders",
        KeySchema=[
            {"AttributeName": "customer", "KeyType": "HASH"},
            {"AttributeName": "order_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "customer", "AttributeType": "S"},
            {"AttributeName": "order_id", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    assert created["TableDescription"]["TableName"] == "orders"
    # The table is moto's: rolechain keeps none.
    assert "orders" in direct.list_tables()["TableNames"]

    ddb.put_item(TableName="orders", Item=ORDER)
    assert ddb.get_item(TableName="orders", Key=KEY)["Item"] == ORDER
    assert direct.get_item(TableName="orders", Key=KEY)["Item"] == ORDER

    found = ddb.query(
        TableName="orders",
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": "alice"}},
    )
    assert found["Count"] == 1 and found["Items"] == [ORDER]

    updated = ddb.update_item(
        TableName="orders",
        Key=KEY,
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "shipped"}},
        ReturnValues="ALL_NEW",
    )
    assert updated["Attributes"]["status"] == {"S": "shipped"}
    assert direct.get_item(TableName="orders", Key=KEY)["Item"]["status"] == {"S": "shipped"}

    # The upstream's own errors come back as they are.
    with pytest.raises(ClientError) as missing:
        ddb.get_item(TableName="no-such-table", Key=KEY)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"

    events = admin(rolechain, "GET", "/audit?eventName=UpdateItem")["events"]
    assert events and events[-1]["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT_B}:user/admin"
    assert events[-1].get("errorCode") is None


def test_the_reader_role_reads_but_its_put_never_reaches_moto(rolechain, moto):
    c = reader_credentials(rolechain)
    ddb = client("dynamodb", rolechain, c["AccessKeyId"], c["SecretAccessKey"], c["SessionToken"])
    direct = client("dynamodb", moto, UPSTREAM_KEY, UPSTREAM_SECRET)

    # Allowed: read (the admin's test created the table and the item).
    assert ddb.get_item(TableName="orders", Key=KEY)["Item"]["customer"] == {"S": "alice"}
    arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_B}:table/orders"
    found = ddb.query(
        TableName=arn,
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": "alice"}},
    )
    assert found["Count"] == 1

    # Denied: no PutItem in the reader's policy; moto never sees the item.
    intruder = {"customer": {"S": "mallory"}, "order_id": {"S": "9999"}}
    with pytest.raises(ClientError) as denied:
        ddb.put_item(TableName="orders", Item=intruder)
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "dynamodb:PutItem" in denied.value.response["Error"]["Message"]
    assert "Item" not in direct.get_item(TableName="orders", Key=intruder)
    assert direct.scan(TableName="orders")["Count"] == 1

    events = admin(rolechain, "GET", "/audit?eventName=PutItem&denied=true")["events"]
    assert events and events[-1]["errorCode"] == "AccessDeniedException"
