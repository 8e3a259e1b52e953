"""DynamoDB through boto3 and the AWS CLI, unmodified, against `rolechain serve`:
the seed's pod reading account B's orders table through the chained profile
(and refused a write, in AWS's words), account B's admin using the data plane
as an application does (a GSI, pagination, conditions, transactions, batches,
update expressions), session expiry, and the audit log's record of a denial."""

from __future__ import annotations

import json
import re
import uuid

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from conftest import ACCOUNT_B, REGION, ROLE_B, ROLE_B_NAME, run_aws

ADMIN_B_KEY = "AKIAROLECHAINADMINBB"
ADMIN_B_SECRET = "rolechain/admin/222222222222/not-a-real-secret"
ORDERS_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_B}:table/orders"
NO_RETRIES = Config(retries={"max_attempts": 1, "mode": "standard"})

# The seed's orders, exactly as DynamoDB's JSON carries them.
ALICE_1 = {
    "customer": {"S": "alice"},
    "order_id": {"S": "2026-0001"},
    "status": {"S": "shipped"},
    "total": {"N": "42.5"},
    "lines": {"L": [{"M": {"sku": {"S": "A-1"}, "qty": {"N": "2"}}}]},
}
ALICE_2 = {
    "customer": {"S": "alice"},
    "order_id": {"S": "2026-0002"},
    "status": {"S": "open"},
    "total": {"N": "9.99"},
    "lines": {"L": [{"M": {"sku": {"S": "B-7"}, "qty": {"N": "1"}}}]},
}


def denial(session_name: str, action: str, resource: str = ORDERS_ARN) -> str:
    return (
        f"User: arn:aws:sts::{ACCOUNT_B}:assumed-role/{ROLE_B_NAME}/{session_name} is not authorized to perform: "
        f"{action} on resource: {resource} because no identity-based policy allows the {action} action"
    )


def reader_pod(aws, emulator, session_name: str) -> None:
    """The seed's pod: the ccoctl profile as [default], and a chained
    [profile reader] that assumes account B's dynamodb-reader from it."""
    token_file = aws.write_token(emulator.mint())
    aws.write_config(
        aws.ccoctl_profile(token_file)
        + f"\n[profile reader]\nrole_arn = {ROLE_B}\nsource_profile = default\nrole_session_name = {session_name}\n"
    )


def admin_b():
    return boto3.session.Session(aws_access_key_id=ADMIN_B_KEY, aws_secret_access_key=ADMIN_B_SECRET).client(
        "dynamodb", config=NO_RETRIES
    )


def error_of(excinfo) -> tuple[str, str]:
    err = excinfo.value.response["Error"]
    return err["Code"], err["Message"]


def unique_table(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- the seed's reader --------------------------------------------------------


def test_the_reader_gets_queries_and_may_not_write(aws, emulator):
    reader_pod(aws, emulator, "orders-reader")
    db = boto3.session.Session(profile_name="reader").client("dynamodb", config=NO_RETRIES)

    got = db.get_item(TableName="orders", Key={"customer": {"S": "alice"}, "order_id": {"S": "2026-0001"}})
    assert got["Item"] == ALICE_1

    page = db.query(
        TableName="orders",
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": "alice"}},
    )
    assert page["Count"] == 2 and page["ScannedCount"] == 2
    assert page["Items"] == [ALICE_1, ALICE_2]
    assert "LastEvaluatedKey" not in page
    backwards = db.query(
        TableName="orders",
        KeyConditionExpression="customer = :c AND begins_with(order_id, :y)",
        ExpressionAttributeValues={":c": {"S": "alice"}, ":y": {"S": "2026-"}},
        ScanIndexForward=False,
        ProjectionExpression="order_id",
    )
    assert backwards["Items"] == [{"order_id": {"S": "2026-0002"}}, {"order_id": {"S": "2026-0001"}}]

    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.put_item(TableName="orders", Item={"customer": {"S": "mallory"}, "order_id": {"S": "x"}})
    assert error_of(excinfo) == ("AccessDeniedException", denial("orders-reader", "dynamodb:PutItem"))
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Scan is not in the reader's policy either.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.scan(TableName="orders")
    assert error_of(excinfo) == ("AccessDeniedException", denial("orders-reader", "dynamodb:Scan"))
    # Nothing was written.
    none = admin_b().get_item(TableName="orders", Key={"customer": {"S": "mallory"}, "order_id": {"S": "x"}})
    assert "Item" not in none

    # The audit log has the denial, with the deciding evaluation.
    events = [
        e
        for e in emulator.audit(eventSource="dynamodb.amazonaws.com", denied="true")
        if e["eventName"] == "PutItem" and e["userIdentity"]["arn"].endswith("/orders-reader")
    ]
    assert len(events) == 1, events
    event = events[0]
    assert event["eventSource"] == "dynamodb.amazonaws.com"
    assert event["errorCode"] == "AccessDeniedException"
    assert event["errorMessage"] == denial("orders-reader", "dynamodb:PutItem")
    assert event["awsRegion"] == REGION
    assert event["recipientAccountId"] == ACCOUNT_B
    assert event["requestParameters"] == {"tableName": "orders"}
    assert event["userIdentity"]["type"] == "AssumedRole"
    assert event["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == ROLE_B
    decision = event["additionalEventData"]["rolechain"]["decisions"][0]
    assert decision["action"] == "dynamodb:PutItem"
    assert decision["decision"] == "implicitDeny"
    assert decision["resource"] == ORDERS_ARN
    # The allowed reads are not among the denials.
    assert not [
        e
        for e in emulator.audit(eventSource="dynamodb.amazonaws.com", denied="true")
        if e["eventName"] in ("GetItem", "Query") and e["userIdentity"]["arn"].endswith("/orders-reader")
    ]


def test_the_reader_through_the_cli(aws, emulator):
    reader_pod(aws, emulator, "cli-reader")
    key = json.dumps({"customer": {"S": "alice"}, "order_id": {"S": "2026-0001"}})
    result = run_aws(
        aws, "dynamodb", "get-item", "--profile", "reader", "--table-name", "orders", "--key", key, "--output", "json"
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"Item": ALICE_1}

    item = json.dumps({"customer": {"S": "mallory"}, "order_id": {"S": "x"}})
    result = run_aws(aws, "dynamodb", "put-item", "--profile", "reader", "--table-name", "orders", "--item", item)
    # The CLI v1 exits 254 when the service answered with an error (255 on older releases).
    assert result.returncode in (254, 255), (result.returncode, result.stderr)
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "An error occurred (AccessDeniedException) when calling the PutItem operation: "
        + denial("cli-reader", "dynamodb:PutItem")
    )


# --- account B's admin: the data plane --------------------------------------------


def create_with_gsi(db, name: str) -> dict:
    return db.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "state", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-state",
                "KeySchema": [{"AttributeName": "state", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]


def test_a_table_with_a_gsi_queried_and_paginated(aws, emulator):
    db = admin_b()
    name = unique_table("jobs")
    described = create_with_gsi(db, name)
    assert described["TableName"] == name
    assert described["TableArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_B}:table/{name}"
    assert described["TableStatus"] == "ACTIVE"
    assert described["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
    [index] = described["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-state"
    assert index["IndexArn"] == f"arn:aws:dynamodb:{REGION}:{ACCOUNT_B}:table/{name}/index/by-state"
    db.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    assert name in db.list_tables()["TableNames"]

    # Five jobs of one partition, three of them open (state is the GSI's key);
    # one has no state at all, so the (sparse) index leaves it out.
    states = {1: "open", 2: "done", 3: "open", 4: None, 5: "open"}
    for sk, state in states.items():
        item = {"pk": {"S": "p1"}, "sk": {"N": str(sk)}, "payload": {"S": f"job {sk}"}}
        if state:
            item["state"] = {"S": state}
        db.put_item(TableName=name, Item=item)
    db.put_item(TableName=name, Item={"pk": {"S": "p2"}, "sk": {"N": "6"}, "state": {"S": "open"}})

    opened = db.query(
        TableName=name,
        IndexName="by-state",
        KeyConditionExpression="#s = :open",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":open": {"S": "open"}},
    )
    assert opened["Count"] == 4
    assert [(i["pk"]["S"], i["sk"]["N"]) for i in opened["Items"]] == [("p1", "1"), ("p1", "3"), ("p1", "5"), ("p2", "6")]
    assert opened["Items"][0] == {"pk": {"S": "p1"}, "sk": {"N": "1"}, "payload": {"S": "job 1"}, "state": {"S": "open"}}
    sparse = db.scan(TableName=name, IndexName="by-state", Select="COUNT")
    assert sparse["Count"] == 5 and "Items" not in sparse

    # Limit and LastEvaluatedKey, by hand: an index's key carries the table's key too.
    first = db.query(
        TableName=name,
        IndexName="by-state",
        KeyConditionExpression="#s = :open",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":open": {"S": "open"}},
        Limit=3,
    )
    assert first["Count"] == 3
    assert first["LastEvaluatedKey"] == {"state": {"S": "open"}, "sk": {"N": "5"}, "pk": {"S": "p1"}}
    rest = db.query(
        TableName=name,
        IndexName="by-state",
        KeyConditionExpression="#s = :open",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":open": {"S": "open"}},
        Limit=3,
        ExclusiveStartKey=first["LastEvaluatedKey"],
    )
    assert [i["sk"]["N"] for i in rest["Items"]] == ["6"]
    assert "LastEvaluatedKey" not in rest

    # boto3's paginator on the table: 5 items of p1, 2 a page.
    pages = list(
        db.get_paginator("query").paginate(
            TableName=name,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p1"}},
            PaginationConfig={"PageSize": 2},
        )
    )
    assert [[i["sk"]["N"] for i in p["Items"]] for p in pages] == [["1", "2"], ["3", "4"], ["5"]]
    assert [p.get("LastEvaluatedKey") for p in pages] == [
        {"pk": {"S": "p1"}, "sk": {"N": "2"}},
        {"pk": {"S": "p1"}, "sk": {"N": "4"}},
        None,
    ]
    # A filter applies after Limit: pages may come back thin, the total is right.
    filtered = list(
        db.get_paginator("scan").paginate(
            TableName=name,
            FilterExpression="attribute_not_exists(#s)",
            ExpressionAttributeNames={"#s": "state"},
            PaginationConfig={"PageSize": 2},
        )
    )
    assert sum(p["Count"] for p in filtered) == 1
    assert sum(p["ScannedCount"] for p in filtered) == 6
    # Parallel scan: the segments partition the table.
    seen = []
    for segment in range(3):
        for p in db.get_paginator("scan").paginate(TableName=name, Segment=segment, TotalSegments=3):
            seen.extend((i["pk"]["S"], i["sk"]["N"]) for i in p["Items"])
    assert sorted(seen) == [("p1", "1"), ("p1", "2"), ("p1", "3"), ("p1", "4"), ("p1", "5"), ("p2", "6")]

    db.delete_table(TableName=name)
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.describe_table(TableName=name)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Table: {name} not found",
    )


def test_conditions_transactions_batches_and_updates(aws, emulator):
    db = admin_b()
    name = unique_table("ledger")
    create_with_gsi(db, name)
    key = {"pk": {"S": "acct"}, "sk": {"N": "1"}}

    # A conditional put: the first wins, the second fails.
    db.put_item(TableName=name, Item={**key, "balance": {"N": "10"}}, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.put_item(
            TableName=name,
            Item={**key, "balance": {"N": "0"}},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert error_of(excinfo) == ("ConditionalCheckFailedException", "The conditional request failed")
    assert excinfo.value.response["Item"] == {**key, "balance": {"N": "10"}}
    assert isinstance(excinfo.value, db.exceptions.ConditionalCheckFailedException)

    # A transaction whose condition fails: cancelled, nothing of it applied.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": name, "Item": {"pk": {"S": "acct"}, "sk": {"N": "2"}, "balance": {"N": "5"}}}},
                {
                    "Update": {
                        "TableName": name,
                        "Key": key,
                        "UpdateExpression": "SET balance = balance - :amount",
                        "ConditionExpression": "balance >= :amount",
                        "ExpressionAttributeValues": {":amount": {"N": "25"}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                },
            ]
        )
    code, message = error_of(excinfo)
    assert code == "TransactionCanceledException"
    assert message == (
        "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"
    )
    assert excinfo.value.response["CancellationReasons"] == [
        {"Code": "None"},
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed", "Item": {**key, "balance": {"N": "10"}}},
    ]
    assert "Item" not in db.get_item(TableName=name, Key={"pk": {"S": "acct"}, "sk": {"N": "2"}})
    # The same transaction with a condition that holds goes through, all of it.
    db.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "acct"}, "sk": {"N": "2"}, "balance": {"N": "5"}}}},
            {
                "Update": {
                    "TableName": name,
                    "Key": key,
                    "UpdateExpression": "SET balance = balance - :amount",
                    "ConditionExpression": "balance >= :amount",
                    "ExpressionAttributeValues": {":amount": {"N": "5"}},
                }
            },
        ]
    )
    both = db.transact_get_items(
        TransactItems=[
            {"Get": {"TableName": name, "Key": key}},
            {"Get": {"TableName": name, "Key": {"pk": {"S": "acct"}, "sk": {"N": "2"}}}},
        ]
    )
    assert [r["Item"]["balance"] for r in both["Responses"]] == [{"N": "5"}, {"N": "5"}]

    # Batch write 25 items (the most one request may carry), then get some back
    # from two tables in one call.
    puts = [
        {"PutRequest": {"Item": {"pk": {"S": "batch"}, "sk": {"N": str(n)}, "n2": {"N": str(n * n)}}}} for n in range(25)
    ]
    written = db.batch_write_item(RequestItems={name: puts})
    assert written["UnprocessedItems"] == {}
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.batch_write_item(RequestItems={name: puts + [puts[0]]})
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"
    got = db.batch_get_item(
        RequestItems={
            name: {
                "Keys": [{"pk": {"S": "batch"}, "sk": {"N": str(n)}} for n in (3, 7, 24)],
                "ProjectionExpression": "sk, n2",
            },
            "orders": {"Keys": [{"customer": {"S": "alice"}, "order_id": {"S": "2026-0001"}}]},
        }
    )
    assert got["UnprocessedKeys"] == {}
    assert sorted((i["sk"]["N"], i["n2"]["N"]) for i in got["Responses"][name]) == [("24", "576"), ("3", "9"), ("7", "49")]
    assert got["Responses"]["orders"] == [ALICE_1]
    deleted = db.batch_write_item(
        RequestItems={name: [{"DeleteRequest": {"Key": {"pk": {"S": "batch"}, "sk": {"N": str(n)}}}} for n in range(20)]}
    )
    assert deleted["UnprocessedItems"] == {}
    left = db.query(
        TableName=name, KeyConditionExpression="pk = :b", ExpressionAttributeValues={":b": {"S": "batch"}}, Select="COUNT"
    )
    assert left["Count"] == 5

    # UpdateItem with SET, ADD and REMOVE, ReturnValues ALL_NEW (and UPDATED_OLD).
    db.put_item(
        TableName=name,
        Item={
            "pk": {"S": "profile"},
            "sk": {"N": "1"},
            "visits": {"N": "1"},
            "tags": {"SS": ["a"]},
            "nickname": {"S": "al"},
            "address": {"M": {"city": {"S": "Leeds"}}},
        },
    )
    updated = db.update_item(
        TableName=name,
        Key={"pk": {"S": "profile"}, "sk": {"N": "1"}},
        UpdateExpression="SET #st = :s, address.postcode = :pc, history = list_append(if_not_exists(history, :empty), :h) "
        "ADD visits :one, tags :more REMOVE nickname",
        ExpressionAttributeNames={"#st": "state"},
        ExpressionAttributeValues={
            ":s": {"S": "active"},
            ":pc": {"S": "LS1"},
            ":empty": {"L": []},
            ":h": {"L": [{"S": "login"}]},
            ":one": {"N": "1"},
            ":more": {"SS": ["b", "c"]},
        },
        ReturnValues="ALL_NEW",
    )
    attributes = updated["Attributes"]
    attributes["tags"]["SS"].sort()
    assert attributes == {
        "pk": {"S": "profile"},
        "sk": {"N": "1"},
        "visits": {"N": "2"},
        "tags": {"SS": ["a", "b", "c"]},
        "state": {"S": "active"},
        "address": {"M": {"city": {"S": "Leeds"}, "postcode": {"S": "LS1"}}},
        "history": {"L": [{"S": "login"}]},
    }
    old = db.update_item(
        TableName=name,
        Key={"pk": {"S": "profile"}, "sk": {"N": "1"}},
        UpdateExpression="ADD visits :ten DELETE tags :a",
        ExpressionAttributeValues={":ten": {"N": "10.5"}, ":a": {"SS": ["a"]}},
        ReturnValues="UPDATED_OLD",
    )
    old["Attributes"]["tags"]["SS"].sort()
    assert old["Attributes"] == {"visits": {"N": "2"}, "tags": {"SS": ["a", "b", "c"]}}
    # The GSI sees the update (state was set).
    by_state = db.query(
        TableName=name,
        IndexName="by-state",
        KeyConditionExpression="#s = :a",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":a": {"S": "active"}},
        ProjectionExpression="visits",
    )
    assert by_state["Items"] == [{"visits": {"N": "12.5"}}]
    # An update that would change the key is refused as DynamoDB refuses it.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.update_item(
            TableName=name,
            Key={"pk": {"S": "profile"}, "sk": {"N": "1"}},
            UpdateExpression="SET sk = :n",
            ExpressionAttributeValues={":n": {"N": "2"}},
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key",
    )
    db.delete_table(TableName=name)


def test_session_credentials_expire_for_dynamodb(own_aws, own_emulator):
    sts = boto3.session.Session(aws_access_key_id=ADMIN_B_KEY, aws_secret_access_key=ADMIN_B_SECRET).client("sts")
    credentials = sts.get_session_token(DurationSeconds=3600)["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z0-9]{16}", credentials["AccessKeyId"])
    db = boto3.session.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    ).client("dynamodb", config=NO_RETRIES)
    key = {"customer": {"S": "bob"}, "order_id": {"S": "2026-0003"}}
    # TOTAL is one of DynamoDB's reserved words: it takes a placeholder.
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.get_item(TableName="orders", Key=key, ProjectionExpression="total")
    assert error_of(excinfo) == (
        "ValidationException",
        "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: total",
    )
    got = db.get_item(TableName="orders", Key=key, ProjectionExpression="#t", ExpressionAttributeNames={"#t": "total"})
    assert got["Item"] == {"total": {"N": "120"}}

    own_emulator.admin("POST", "/clock", {"advanceSeconds": 3700})
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        db.get_item(TableName="orders", Key=key)
    assert error_of(excinfo) == ("ExpiredTokenException", "The security token included in the request is expired")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # The admin's long-term key still works.
    assert admin_b().get_item(TableName="orders", Key=key)["Item"]["total"] == {"N": "120"}
