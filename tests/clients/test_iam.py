"""IAM through boto3 and the AWS CLI: the seed's roles and OIDC provider as
ccoctl made them, and an IAM change that STS then honours.

A build of the emulator that does not serve IAM yet answers InvalidAction;
these tests then end as expected failures (xfail) instead of failing."""

from __future__ import annotations

import json
import re
import uuid

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import (
    ACCOUNT_A,
    ADMIN_KEY,
    ADMIN_SECRET,
    NAMESPACE,
    OTHER_SA,
    REPO,
    ROLE_A,
    ROLE_A_NAME,
    run_aws,
)

PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT_A}:oidc-provider/oidc.rolechain.local/my-cluster"


def not_served_yet(message: str):
    pytest.xfail(f"rolechain serve does not serve IAM yet: {message}")


def admin_iam():
    return boto3.session.Session(aws_access_key_id=ADMIN_KEY, aws_secret_access_key=ADMIN_SECRET).client(
        "iam", config=Config(retries={"max_attempts": 1})
    )


def call(client, operation, **params):
    try:
        return getattr(client, operation)(**params)
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] == "InvalidAction":
            not_served_yet(e.response["Error"]["Message"])
        raise


def seed_json(name):
    return json.loads((REPO / "emulator" / "seed" / name).read_text())


def test_get_role_returns_the_ccoctl_role(aws, emulator):
    role = call(admin_iam(), "get_role", RoleName=ROLE_A_NAME)["Role"]
    assert role["Arn"] == ROLE_A
    assert role["RoleName"] == ROLE_A_NAME
    assert role["Path"] == "/"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", role["RoleId"])
    assert role["Description"] == "OpenShift role for my-namespace/dev-dynamodb-reader"
    # botocore decodes the URL-encoded document into a dict.
    assert role["AssumeRolePolicyDocument"] == seed_json("ccoctl-trust-policy.json")
    assert {t["Key"]: t["Value"] for t in role["Tags"]} == {
        "openshift.io/cloud-credential-operator/my-namespace-creds": "owned",
        "Name": "my-namespace-creds",
    }
    policy = call(admin_iam(), "get_role_policy", RoleName=ROLE_A_NAME, PolicyName=ROLE_A_NAME)
    assert policy["PolicyDocument"] == seed_json("ccoctl-permissions-policy.json")


def test_the_oidc_provider_is_registered(aws, emulator):
    listed = call(admin_iam(), "list_open_id_connect_providers")["OpenIDConnectProviderList"]
    assert [p["Arn"] for p in listed] == [PROVIDER_ARN]
    provider = call(admin_iam(), "get_open_id_connect_provider", OpenIDConnectProviderArn=PROVIDER_ARN)
    assert provider["Url"] == "oidc.rolechain.local/my-cluster"
    assert sorted(provider["ClientIDList"]) == ["openshift", "sts.amazonaws.com"]
    assert [t.lower() for t in provider["ThumbprintList"]] == [emulator.ready["thumbprint"].lower()]


def test_aws_iam_get_role_in_the_cli(aws, emulator):
    env = dict(aws.env, AWS_ACCESS_KEY_ID=ADMIN_KEY, AWS_SECRET_ACCESS_KEY=ADMIN_SECRET)
    result = run_aws(aws, "iam", "get-role", "--role-name", ROLE_A_NAME, "--output", "json", env=env)
    if "(InvalidAction)" in result.stderr:
        not_served_yet(result.stderr.strip())
    assert result.returncode == 0, result.stderr
    role = json.loads(result.stdout)["Role"]
    assert role["Arn"] == ROLE_A
    assert role["AssumeRolePolicyDocument"] == seed_json("ccoctl-trust-policy.json")


def test_a_role_created_through_iam_is_assumable_at_once(aws, emulator):
    """What ccoctl does for a new CredentialsRequest, then the pod's first call."""
    name = f"my-namespace-creds-{OTHER_SA}-{uuid.uuid4().hex[:8]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER_ARN},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        "oidc.rolechain.local/my-cluster:sub": [f"system:serviceaccount:{NAMESPACE}:{OTHER_SA}"]
                    }
                },
            }
        ],
    }
    created = call(admin_iam(), "create_role", RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT_A}:role/{name}"

    token_file = aws.write_token(emulator.mint(OTHER_SA))
    aws.write_config(aws.ccoctl_profile(token_file, role_arn=created["Arn"]))
    identity = boto3.session.Session().client("sts").get_caller_identity()
    assert identity["Arn"].startswith(f"arn:aws:sts::{ACCOUNT_A}:assumed-role/{name}/botocore-session-")


def test_the_pods_role_may_not_read_iam(aws, emulator):
    token_file = aws.write_token(emulator.mint())
    aws.write_config(aws.ccoctl_profile(token_file))
    iam = boto3.session.Session().client("iam", config=Config(retries={"max_attempts": 1}))
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call(iam, "get_role", RoleName=ROLE_A_NAME)
    error = excinfo.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert re.fullmatch(
        rf"User: arn:aws:sts::{ACCOUNT_A}:assumed-role/{ROLE_A_NAME}/botocore-session-\d+ is not authorized to "
        # IAM names the resource as "role NAME" in this message on AWS; the ARN is accepted too.
        rf"perform: iam:GetRole on resource: (role {ROLE_A_NAME}|{ROLE_A}) because no identity-based policy allows the "
        r"iam:GetRole action",
        error["Message"],
    ), error["Message"]
