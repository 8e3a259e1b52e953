"""boto3 (botocore), unmodified, against `rolechain serve`: the seed's pod as
ccoctl wires it, the chained profile, refusals over the wire, the audit log
and the GET (presigned) form of the query protocol."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore.exceptions
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from conftest import (
    ACCOUNT_A,
    ACCOUNT_B,
    ADMIN_KEY,
    ADMIN_SECRET,
    OTHER_SA,
    REGION,
    ROLE_A,
    ROLE_A_NAME,
    ROLE_B,
    ROLE_B_NAME,
)

# botocore's default session name for a web-identity profile.
BOTOCORE_SESSION = r"botocore-session-\d+"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})


def session(profile: str | None = None) -> boto3.session.Session:
    """A fresh boto3 session: reads the isolated environment and files now."""
    return boto3.session.Session(profile_name=profile)


def pod(aws, emulator):
    """The seed's pod: the ccoctl Secret's profile as AWS_CONFIG_FILE, a token
    of my-namespace/dev-db-reader (audience openshift) in the token file."""
    token_file = aws.write_token(emulator.mint())
    aws.write_config(aws.ccoctl_profile(token_file))
    return token_file


def error_of(excinfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def virtual_now(emulator) -> int:
    return emulator.admin("GET", "/clock")["epochSeconds"]


def test_the_seeds_pod_gets_its_role_then_chains_into_account_b(aws, emulator):
    pod(aws, emulator)

    identity = session().client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT_A
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT_A}:assumed-role/{ROLE_A_NAME}/{BOTOCORE_SESSION}", identity["Arn"])
    assert re.fullmatch(rf"AROA[A-Z0-9]{{17}}:{BOTOCORE_SESSION}", identity["UserId"])

    # Role chaining: the web-identity session assumes B's reader.
    now = virtual_now(emulator)
    answer = session().client("sts").assume_role(RoleArn=ROLE_B, RoleSessionName="orders-reader")
    user = answer["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::{ACCOUNT_B}:assumed-role/{ROLE_B_NAME}/orders-reader"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}:orders-reader", user["AssumedRoleId"])
    credentials = answer["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", credentials["AccessKeyId"])
    assert credentials["SecretAccessKey"] and credentials["SessionToken"]
    lifetime = credentials["Expiration"].timestamp() - now
    assert 0 < lifetime <= 3600 + 5, lifetime

    # The chained credentials, used by a plain client.
    b = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    ).client("sts")
    identity_b = b.get_caller_identity()
    assert identity_b["Account"] == ACCOUNT_B
    assert identity_b["Arn"] == user["Arn"]
    assert identity_b["UserId"] == user["AssumedRoleId"]


def test_role_chaining_refuses_more_than_an_hour(aws, emulator):
    pod(aws, emulator)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        session().client("sts", config=NO_RETRIES).assume_role(
            RoleArn=ROLE_B, RoleSessionName="too-long", DurationSeconds=7200
        )
    assert error_of(excinfo) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    )


def test_a_chained_profile_does_both_hops_by_itself(aws, emulator):
    token_file = aws.write_token(emulator.mint())
    aws.write_config(
        aws.ccoctl_profile(token_file)
        + f"\n[profile reader]\nrole_arn = {ROLE_B}\nsource_profile = default\nrole_session_name = chained-reader\n"
    )
    identity = session("reader").client("sts").get_caller_identity()
    assert identity["Account"] == ACCOUNT_B
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_B}:assumed-role/{ROLE_B_NAME}/chained-reader"

    # botocore's own default session name on the AssumeRole hop.
    aws.write_config(
        aws.ccoctl_profile(token_file) + f"\n[profile reader]\nrole_arn = {ROLE_B}\nsource_profile = default\n"
    )
    identity = session("reader").client("sts").get_caller_identity()
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT_B}:assumed-role/{ROLE_B_NAME}/{BOTOCORE_SESSION}", identity["Arn"])


def test_web_identity_from_environment_variables(aws, emulator, monkeypatch):
    token_file = aws.write_token(emulator.mint(audiences=("sts.amazonaws.com",)))
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE_A)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "env-session")
    identity = session().client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/{ROLE_A_NAME}/env-session"


def test_admin_key_signs_assume_role_and_get_session_token(aws, emulator):
    admin = boto3.session.Session(aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET).client("sts")
    identity = admin.get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT_A}:user/admin"
    assert identity["Account"] == ACCOUNT_A

    temporary = admin.get_session_token()["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", temporary["AccessKeyId"])
    again = boto3.session.Session(
        aws_access_key_id=temporary["AccessKeyId"],
        aws_secret_access_key=temporary["SecretAccessKey"],
        aws_session_token=temporary["SessionToken"],
    ).client("sts")
    assert again.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT_A}:user/admin"


# --- refusals over the wire -------------------------------------------------


def unsigned_sts():
    return boto3.session.Session().client("sts", config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


def test_a_tampered_token_is_an_invalid_identity_token(aws, emulator):
    token = emulator.mint()
    header, payload, signature = token.split(".")
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        unsigned_sts().assume_role_with_web_identity(
            RoleArn=ROLE_A, RoleSessionName="tampered", WebIdentityToken=f"{header}.{payload}.{flipped}"
        )
    assert error_of(excinfo) == (
        "InvalidIdentityToken",
        "The web identity token that was passed could not be validated by Amazon Web Services. "
        "Get a new identity token from the identity provider and then retry the request.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_another_service_accounts_token_is_access_denied(aws, emulator):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        unsigned_sts().assume_role_with_web_identity(
            RoleArn=ROLE_A, RoleSessionName="other", WebIdentityToken=emulator.mint(OTHER_SA)
        )
    assert error_of(excinfo) == ("AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_wrong_secret_is_signature_does_not_match(aws, emulator):
    sts = boto3.session.Session(aws_access_key_id=ADMIN_KEY, aws_secret_access_key="not-the-secret").client(
        "sts", config=NO_RETRIES
    )
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sts.get_caller_identity()
    assert error_of(excinfo) == (
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided. "
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_an_unknown_key_is_an_invalid_client_token_id(aws, emulator):
    sts = boto3.session.Session(aws_access_key_id="AKIAUNKNOWNKEY000000", aws_secret_access_key="x").client(
        "sts", config=NO_RETRIES
    )
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        sts.get_caller_identity()
    assert error_of(excinfo) == ("InvalidClientTokenId", "The security token included in the request is invalid.")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_a_session_past_its_expiry_is_an_expired_token(own_aws, own_emulator):
    token = own_emulator.mint(seconds=3600)
    answer = unsigned_sts().assume_role_with_web_identity(
        RoleArn=ROLE_A, RoleSessionName="short-lived", WebIdentityToken=token
    )
    credentials = answer["Credentials"]
    client = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    ).client("sts", config=NO_RETRIES)
    assert client.get_caller_identity()["Arn"] == f"arn:aws:sts::{ACCOUNT_A}:assumed-role/{ROLE_A_NAME}/short-lived"

    own_emulator.admin("POST", "/clock", {"advanceSeconds": 3700})
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        client.get_caller_identity()
    assert error_of(excinfo) == ("ExpiredToken", "The security token included in the request is expired")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403

    # The pod's token (one hour) has expired too.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        unsigned_sts().assume_role_with_web_identity(RoleArn=ROLE_A, RoleSessionName="late", WebIdentityToken=token)
    code, message = error_of(excinfo)
    assert code == "ExpiredTokenException"
    assert re.fullmatch(
        r"Token expired: current date/time \S+ must be before the expiration date/time \S+", message
    ), message


# --- audit -----------------------------------------------------------------


def test_the_audit_log_records_the_web_identity_hop(aws, emulator):
    pod(aws, emulator)
    identity = session().client("sts").get_caller_identity()
    session_name = identity["Arn"].rsplit("/", 1)[1]
    events = [
        e
        for e in emulator.audit(eventName="AssumeRoleWithWebIdentity", limit=50)
        if (e.get("requestParameters") or {}).get("roleSessionName") == session_name
    ]
    assert events, emulator.audit(eventName="AssumeRoleWithWebIdentity", limit=5)
    event = events[-1]
    assert event["eventName"] == "AssumeRoleWithWebIdentity"
    assert event["eventSource"] == "sts.amazonaws.com"
    assert event["awsRegion"] == REGION
    assert event["recipientAccountId"] == ACCOUNT_A
    assert "errorCode" not in event
    assert event["userIdentity"]["type"] == "WebIdentityUser"
    assert event["requestParameters"]["roleArn"] == ROLE_A
    decision = event["additionalEventData"]["rolechain"]["decisions"][0]
    assert decision["decision"] == "allowed"
    assert decision["action"] == "sts:AssumeRoleWithWebIdentity"
    assert decision["resource"] == ROLE_A


# --- the GET form of the query protocol -------------------------------------


def test_a_presigned_get_caller_identity_is_served(aws, emulator):
    sts = boto3.session.Session(aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET).client("sts")
    # As `aws eks get-token` and aws-iam-authenticator presign it: a GET URL
    # (botocore signs the operation's own method, POST, unless told).
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=300, HttpMethod="GET")
    assert url.startswith(emulator.endpoint + "/?") and "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        body = answer.read()
    ns = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
    root = ET.fromstring(body)
    assert root.tag == "{https://sts.amazonaws.com/doc/2011-06-15/}GetCallerIdentityResponse"
    assert root.findtext("sts:GetCallerIdentityResult/sts:Arn", namespaces=ns) == f"arn:aws:iam::{ACCOUNT_A}:user/admin"
    assert root.findtext("sts:GetCallerIdentityResult/sts:Account", namespaces=ns) == ACCOUNT_A

    # The same URL with one character of its signature changed is refused.
    tampered = url[:-1] + ("0" if url[-1] != "0" else "1")
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        urllib.request.urlopen(tampered, timeout=10)
    assert excinfo.value.code == 403
    assert b"<Code>SignatureDoesNotMatch</Code>" in excinfo.value.read()


def test_a_presigned_url_of_a_web_identity_session_carries_its_token(aws, emulator):
    """aws-iam-authenticator's form: the pod's session presigns GetCallerIdentity."""
    pod(aws, emulator)
    url = session().client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    assert "X-Amz-Security-Token=" in url
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = answer.read()
    ns = {"sts": "https://sts.amazonaws.com/doc/2011-06-15/"}
    arn = ET.fromstring(body).findtext("sts:GetCallerIdentityResult/sts:Arn", namespaces=ns)
    assert re.fullmatch(rf"arn:aws:sts::{ACCOUNT_A}:assumed-role/{ROLE_A_NAME}/{BOTOCORE_SESSION}", arn), arn
