"""The AWS CLI (v1, from PyPI, as installed in the venv), run as a separate
process with nothing but the isolated environment, against `rolechain serve`."""

from __future__ import annotations

import datetime as dt
import json
import re

from conftest import (
    ACCOUNT_A,
    ACCOUNT_B,
    OTHER_SA,
    ROLE_A,
    ROLE_A_NAME,
    ROLE_B,
    ROLE_B_NAME,
    run_aws,
)

BOTOCORE_SESSION = r"botocore-session-\d+"


def json_of(result) -> dict:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    return json.loads(result.stdout)


def test_get_caller_identity_with_the_ccoctl_profile(aws, emulator):
    token_file = aws.write_token(emulator.mint())
    aws.write_config(aws.ccoctl_profile(token_file))
    identity = json_of(run_aws(aws, "sts", "get-caller-identity", "--output", "json"))
    assert set(identity) == {"UserId", "Account", "Arn"}
    assert identity["Account"] == ACCOUNT_A
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT_A}:assumed-role/{ROLE_A_NAME}/{BOTOCORE_SESSION}", identity["Arn"])
    assert re.fullmatch(rf"AROA[A-Z0-9]{{17}}:{BOTOCORE_SESSION}", identity["UserId"])

    # The same profile from the credentials file (the SDKs merge both files).
    aws.config_file.write_text("")
    (aws.root / "credentials").write_text(aws.ccoctl_profile(token_file))
    identity = json_of(run_aws(aws, "sts", "get-caller-identity", "--output", "json"))
    assert identity["Account"] == ACCOUNT_A


def test_assume_role_into_account_b_and_use_it(aws, emulator):
    token_file = aws.write_token(emulator.mint())
    aws.write_config(aws.ccoctl_profile(token_file))
    answer = json_of(
        run_aws(
            aws,
            "sts",
            "assume-role",
            "--role-arn",
            ROLE_B,
            "--role-session-name",
            "cli-reader",
            "--output",
            "json",
        )
    )
    assert answer["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_B}:assumed-role/{ROLE_B_NAME}/cli-reader"
    credentials = answer["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", credentials["AccessKeyId"])
    expires = dt.datetime.fromisoformat(credentials["Expiration"].replace("Z", "+00:00"))
    now = emulator.admin("GET", "/clock")["epochSeconds"]
    assert 0 < expires.timestamp() - now <= 3600 + 5

    env = dict(aws.env)
    env.update(
        AWS_ACCESS_KEY_ID=credentials["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=credentials["SecretAccessKey"],
        AWS_SESSION_TOKEN=credentials["SessionToken"],
    )
    identity = json_of(run_aws(aws, "sts", "get-caller-identity", "--output", "json", env=env))
    assert identity["Account"] == ACCOUNT_B
    assert identity["Arn"] == answer["AssumedRoleUser"]["Arn"]


def test_a_chained_profile_in_the_cli(aws, emulator):
    token_file = aws.write_token(emulator.mint())
    aws.write_config(
        aws.ccoctl_profile(token_file)
        + f"\n[profile reader]\nrole_arn = {ROLE_B}\nsource_profile = default\nrole_session_name = cli-chained\n"
    )
    identity = json_of(run_aws(aws, "sts", "get-caller-identity", "--profile", "reader", "--output", "json"))
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_B}:assumed-role/{ROLE_B_NAME}/cli-chained"


def test_another_service_accounts_token_is_refused(aws, emulator):
    reader_token = aws.write_token(emulator.mint(), "token")
    other_token = aws.write_token(emulator.mint(OTHER_SA), "other-app-token")
    aws.write_config(
        aws.ccoctl_profile(reader_token)
        + "\n"
        + aws.ccoctl_profile(other_token, section="[profile other-app]", role_arn=ROLE_A)
    )
    result = run_aws(aws, "sts", "get-caller-identity", "--profile", "other-app", "--output", "json")
    # The CLI v1 exits 255 when the credential provider fails (254 for a
    # service error of the command itself).
    assert result.returncode in (254, 255), (result.returncode, result.stderr)
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation: "
        "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    ), result.stderr

    # The refusal is in the audit log, with the trust policy's decision.
    denied = emulator.audit(eventName="AssumeRoleWithWebIdentity", errorCode="AccessDenied", limit=50)
    assert denied, "no AccessDenied AssumeRoleWithWebIdentity event"
    event = denied[-1]
    assert event["errorMessage"] == "Not authorized to perform sts:AssumeRoleWithWebIdentity"
    assert event["userIdentity"]["type"] == "WebIdentityUser"
    assert event["additionalEventData"]["rolechain"]["decisions"][0]["decision"] == "implicitDeny"


def test_a_missing_token_file_is_reported_by_the_cli(aws, emulator):
    aws.write_config(aws.ccoctl_profile(aws.root / "no-such-token"))
    result = run_aws(aws, "sts", "get-caller-identity")
    assert result.returncode == 255, (result.returncode, result.stderr)
    assert "no-such-token" in result.stderr
