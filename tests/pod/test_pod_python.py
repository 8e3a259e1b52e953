"""The seed's chain with boto3 and the AWS CLI, inside `rolechain run`.

Run by tests/pod/test.sh as `rolechain run ... -- python -m pytest tests/pod/test_pod_python.py`:
the process has the pod's environment (the ccoctl Secret's credentials file, the
refreshed projected token, AWS_REGION, AWS_ROLE_SESSION_NAME, AWS_ENDPOINT_URL)
and nothing else of AWS. No test here builds credentials by hand: every session
starts from the default chain, as the application in the pod would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT_A = "111111111111"
ACCOUNT_B = "222222222222"
REGION = "eu-west-2"
CCOCTL_ROLE = "my-namespace-creds-my-namespace-dev-dynamodb-reader"
READER_ROLE = f"arn:aws:iam::{ACCOUNT_B}:role/dynamodb-reader"
TABLE = "orders"
ALICE_1 = {"customer": {"S": "alice"}, "order_id": {"S": "2026-0001"}}
AWS_CLI = Path(sys.executable).parent / "aws"


def pod_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run these tests inside `rolechain run` (bash tests/pod/test.sh)", 2)
    return value


ENDPOINT = pod_env("ROLECHAIN_ENDPOINT").rstrip("/")
POD_ROOT = Path(pod_env("ROLECHAIN_POD_ROOT"))


def admin(method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{ENDPOINT}/_rolechain/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def audit(**query: str) -> list[dict]:
    return admin("GET", "audit?" + urllib.parse.urlencode(query))["events"]


def reader_client(session_name: str):
    """The post's chain in boto3: default session -> sts.assume_role -> dynamodb."""
    sts = boto3.session.Session().client("sts", region_name=REGION)
    answer = sts.assume_role(RoleArn=READER_ROLE, RoleSessionName=session_name, DurationSeconds=900)
    credentials = answer["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    ).client("dynamodb")


def test_the_pod_environment_is_the_deployments():
    credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"]).read_text()
    token_file = POD_ROOT / "var/run/secrets/openshift/serviceaccount/token"
    assert f"web_identity_token_file = {token_file}" in credentials
    assert f"role_arn = arn:aws:iam::{ACCOUNT_A}:role/{CCOCTL_ROLE}" in credentials
    assert token_file.read_text().count(".") == 2
    assert os.environ["AWS_REGION"] == REGION
    assert os.environ["AWS_ROLE_SESSION_NAME"] == "dev-dynamodb-reader"


def test_botocore_reads_aws_default_region_not_aws_region():
    # The deployment sets AWS_REGION, which the JavaScript, Rust, Go and Java
    # SDKs read, and AWS_DEFAULT_REGION, because botocore (boto3, the AWS CLI
    # v1) reads only that one or the profile's `region`.
    assert os.environ["AWS_REGION"] == os.environ["AWS_DEFAULT_REGION"] == REGION
    assert boto3.session.Session().region_name == REGION
    without_default = {k: v for k, v in os.environ.items() if k != "AWS_DEFAULT_REGION"}
    answer = cli("sts", "get-caller-identity", env=without_default)
    assert answer.returncode == 255
    assert "You must specify a region" in answer.stderr


def test_default_credentials_are_the_ccoctl_roles_web_identity_session():
    session = boto3.session.Session(region_name=REGION)
    assert session.get_credentials().method == "assume-role-with-web-identity"
    identity = session.client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT_A
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/{CCOCTL_ROLE}/dev-dynamodb-reader"


def test_assume_role_then_get_item():
    dynamodb = reader_client("boto3-reader")
    item = dynamodb.get_item(TableName=TABLE, Key=ALICE_1)["Item"]
    assert item["status"] == {"S": "shipped"}
    assert item["total"] == {"N": "42.5"}
    [read] = audit(eventName="GetItem", principal="boto3-reader")
    assert read["userIdentity"]["arn"] == f"arn:aws:sts::{ACCOUNT_B}:assumed-role/dynamodb-reader/boto3-reader"


def test_put_item_is_denied_in_aws_words():
    dynamodb = reader_client("boto3-writer")
    with pytest.raises(ClientError) as denied:
        dynamodb.put_item(TableName=TABLE, Item={"customer": {"S": "mallory"}, "order_id": {"S": "x"}})
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: arn:aws:sts::{ACCOUNT_B}:assumed-role/dynamodb-reader/boto3-writer is not authorized to perform: "
        f"dynamodb:PutItem on resource: arn:aws:dynamodb:{REGION}:{ACCOUNT_B}:table/{TABLE} "
        "because no identity-based policy allows the dynamodb:PutItem action"
    )


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(AWS_CLI), *args], env=env or dict(os.environ), capture_output=True, text=True, timeout=60)


def test_cli_default_profile_is_the_web_identity_session():
    answer = cli("sts", "get-caller-identity", "--region", REGION, "--output", "json")
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["Arn"] == (
        f"arn:aws:sts::{ACCOUNT_A}:assumed-role/{CCOCTL_ROLE}/dev-dynamodb-reader"
    )


@pytest.fixture
def reader_profile(tmp_path):
    """A config file whose `reader` profile chains from the Secret's [default] profile."""
    config = tmp_path / "config"
    config.write_text(
        "[profile reader]\n"
        f"role_arn = {READER_ROLE}\n"
        "source_profile = default\n"
        "role_session_name = cli-reader\n"
        "duration_seconds = 900\n"
        f"region = {REGION}\n"
    )
    return dict(os.environ, AWS_CONFIG_FILE=str(config), AWS_PROFILE="reader")


def test_cli_get_item_through_a_source_profile_chain(reader_profile):
    identity = cli("sts", "get-caller-identity", "--output", "json", env=reader_profile)
    assert identity.returncode == 0, identity.stderr
    assert json.loads(identity.stdout)["Arn"] == f"arn:aws:sts::{ACCOUNT_B}:assumed-role/dynamodb-reader/cli-reader"

    key = json.dumps(ALICE_1)
    answer = cli("dynamodb", "get-item", "--table-name", TABLE, "--key", key, "--output", "json", env=reader_profile)
    assert answer.returncode == 0, answer.stderr
    assert json.loads(answer.stdout)["Item"]["order_id"] == {"S": "2026-0001"}


def test_cli_put_item_is_denied(reader_profile):
    item = json.dumps({"customer": {"S": "mallory"}, "order_id": {"S": "x"}})
    answer = cli("dynamodb", "put-item", "--table-name", TABLE, "--item", item, env=reader_profile)
    # The AWS CLI v1 exits 255 on a service error (v2: 254).
    assert answer.returncode == 255, (answer.returncode, answer.stdout, answer.stderr)
    assert "An error occurred (AccessDeniedException) when calling the PutItem operation: User: " in answer.stderr
    assert "because no identity-based policy allows the dynamodb:PutItem action" in answer.stderr


def test_an_expired_session_then_a_new_one():
    # Last in this file: it moves the emulator's clock.
    dynamodb = reader_client("boto3-expiry")
    assert dynamodb.get_item(TableName=TABLE, Key=ALICE_1)["Item"]["customer"] == {"S": "alice"}
    admin("POST", "clock", {"advanceSeconds": 901})
    with pytest.raises(ClientError) as expired:
        dynamodb.get_item(TableName=TABLE, Key=ALICE_1)
    assert expired.value.response["Error"]["Code"] == "ExpiredTokenException"
    # The naive refresh in Python: a new chain from the default session.
    dynamodb = reader_client("boto3-expiry")
    assert dynamodb.get_item(TableName=TABLE, Key=ALICE_1)["Item"]["customer"] == {"S": "alice"}
    assumed = [e for e in audit(eventName="AssumeRole") if e["requestParameters"]["roleSessionName"] == "boto3-expiry"]
    assert [e.get("errorCode") for e in assumed] == [None, None]
