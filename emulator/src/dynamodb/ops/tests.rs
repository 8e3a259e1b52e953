//! Conformance table, properties and concurrency for the DynamoDB data
//! plane, all driven through [`Tables::execute`] with JSON, as the wire edge
//! drives it. Each case names the DynamoDB documentation page whose rule it
//! checks ("API:" = API reference, "DG:" = developer guide).

use std::collections::HashMap;
use std::sync::Arc;

use proptest::prelude::*;
use serde_json::{Value, json};

use crate::dynamodb::service::{DdbError, Tables};

const ACCOUNT: &str = "111111111111";
const REGION: &str = "eu-west-2";

fn call(t: &Tables, op: &str, body: Value) -> Result<Value, DdbError> {
    t.execute(ACCOUNT, REGION, op, &body, 1_700_000_000)
}

fn ok(t: &Tables, op: &str, body: Value) -> Value {
    match call(t, op, body.clone()) {
        Ok(v) => v,
        Err(e) => panic!("{op} {body} failed: {e}"),
    }
}

/// A table `tbl` (pk S, sk N) with an LSI `bylsk` (pk, lsk S, ALL) and a GSI
/// `bygpk` (gpk S, gsk N, KEYS_ONLY); a table `hsh` (id S only).
fn world() -> Tables {
    let t = Tables::new();
    ok(
        &t,
        "CreateTable",
        json!({
            "TableName": "tbl",
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "lsk", "AttributeType": "S"}, {"AttributeName": "gpk", "AttributeType": "S"},
                {"AttributeName": "gsk", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "LocalSecondaryIndexes": [{"IndexName": "bylsk",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "lsk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"}}],
            "GlobalSecondaryIndexes": [{"IndexName": "bygpk",
                "KeySchema": [{"AttributeName": "gpk", "KeyType": "HASH"}, {"AttributeName": "gsk", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"}}],
            "BillingMode": "PAY_PER_REQUEST"}),
    );
    ok(
        &t,
        "CreateTable",
        json!({
            "TableName": "hsh",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST"}),
    );
    t
}

/// `expected` is contained in `actual`: every member of an expected object
/// is in the actual one with a contained value; arrays and scalars equal.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, ev)| a.get(k).is_some_and(|av| contains(av, ev))),
        (Value::Array(a), Value::Array(e)) => a.len() == e.len() && a.iter().zip(e).all(|(x, y)| contains(x, y)),
        (Value::Number(a), Value::Number(e)) => a.as_f64() == e.as_f64(),
        _ => actual == expected,
    }
}

enum Expect {
    /// The response contains this.
    Ok(Value),
    /// Error code and exact message.
    Err(&'static str, &'static str),
    /// Error code and a message prefix.
    ErrPrefix(&'static str, &'static str),
}

struct Case {
    rule: &'static str,
    setup: Vec<(&'static str, Value)>,
    op: &'static str,
    input: Value,
    expect: Expect,
}

fn case(rule: &'static str, setup: Vec<(&'static str, Value)>, op: &'static str, input: Value, expect: Expect) -> Case {
    Case {
        rule,
        setup,
        op,
        input,
        expect,
    }
}

fn put(item: Value) -> (&'static str, Value) {
    ("PutItem", json!({"TableName": "tbl", "Item": item}))
}

fn item(pk: &str, sk: i64) -> Value {
    json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}})
}

fn cases() -> Vec<Case> {
    use Expect::*;
    let a1 = item("a", 1);
    vec![
        // ---- CreateTable / DescribeTable / ListTables / DeleteTable ----
        case(
            "API: CreateTable, TableName constraint (length 3-255)",
            vec![],
            "CreateTable",
            json!({"TableName": "ab", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            Err(
                "ValidationException",
                "1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3",
            ),
        ),
        case(
            "API: CreateTable, TableName pattern [a-zA-Z0-9_.-]+",
            vec![],
            "CreateTable",
            json!({"TableName": "a b c", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            Err(
                "ValidationException",
                "1 validation error detected: Value 'a b c' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            ),
        ),
        case(
            "API: CreateTable, AttributeType enum S/N/B",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "BOOL"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            Err(
                "ValidationException",
                "1 validation error detected: Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
            ),
        ),
        case(
            "API: CreateTable, key attributes must be defined",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "x", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [k], AttributeDefinitions: [x]",
            ),
        ),
        case(
            "API: CreateTable, AttributeDefinitions must match KeySchema exactly",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}, {"AttributeName": "x", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions",
            ),
        ),
        case(
            "API: CreateTable, first KeySchemaElement must be HASH",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "RANGE"}], "BillingMode": "PAY_PER_REQUEST"}),
            Err(
                "ValidationException",
                "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
            ),
        ),
        case(
            "DG: Read/write capacity mode, PROVISIONED needs ProvisionedThroughput",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED",
            ),
        ),
        case(
            "DG: Read/write capacity mode, PAY_PER_REQUEST refuses ProvisionedThroughput",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
                   "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
            ),
        ),
        case(
            "API: CreateTable, LocalSecondaryIndex needs a table sort key",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}, {"AttributeName": "l", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
                   "LocalSecondaryIndexes": [{"IndexName": "idx", "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}, {"AttributeName": "l", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}]}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            ),
        ),
        case(
            "API: CreateTable, INCLUDE projection needs NonKeyAttributes",
            vec![],
            "CreateTable",
            json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST",
                   "GlobalSecondaryIndexes": [{"IndexName": "idx", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]}}]}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified",
            ),
        ),
        case(
            "API: CreateTable, existing table is ResourceInUseException",
            vec![],
            "CreateTable",
            json!({"TableName": "hsh", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
                   "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
            Err("ResourceInUseException", "Table already exists: hsh"),
        ),
        case(
            "API: DescribeTable, ACTIVE at once with ARN, counts and index descriptions",
            vec![put(a1.clone())],
            "DescribeTable",
            json!({"TableName": "tbl"}),
            Ok(
                json!({"Table": {"TableName": "tbl", "TableStatus": "ACTIVE", "ItemCount": 1,
                "TableArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/tbl",
                "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
                "GlobalSecondaryIndexes": [{"IndexName": "bygpk", "IndexStatus": "ACTIVE", "ItemCount": 0,
                    "IndexArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/tbl/index/bygpk",
                    "Projection": {"ProjectionType": "KEYS_ONLY"}}]}}),
            ),
        ),
        case(
            "API: DescribeTable, unknown table",
            vec![],
            "DescribeTable",
            json!({"TableName": "nope"}),
            Err(
                "ResourceNotFoundException",
                "Requested resource not found: Table: nope not found",
            ),
        ),
        case(
            "API: ListTables, sorted names, Limit and LastEvaluatedTableName",
            vec![],
            "ListTables",
            json!({"Limit": 1}),
            Ok(json!({"TableNames": ["hsh"], "LastEvaluatedTableName": "hsh"})),
        ),
        case(
            "API: ListTables, ExclusiveStartTableName",
            vec![],
            "ListTables",
            json!({"ExclusiveStartTableName": "hsh"}),
            Ok(json!({"TableNames": ["tbl"]})),
        ),
        case(
            "API: ListTables, Limit at most 100",
            vec![],
            "ListTables",
            json!({"Limit": 101}),
            Err(
                "ValidationException",
                "1 validation error detected: Value '101' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100",
            ),
        ),
        case(
            "API: DeleteTable, returns the description with TableStatus DELETING",
            vec![],
            "DeleteTable",
            json!({"TableName": "hsh"}),
            Ok(json!({"TableDescription": {"TableName": "hsh", "TableStatus": "DELETING"}})),
        ),
        case(
            "API: DeleteTable, the table is gone afterwards",
            vec![("DeleteTable", json!({"TableName": "hsh"}))],
            "GetItem",
            json!({"TableName": "hsh", "Key": {"id": {"S": "x"}}}),
            Err("ResourceNotFoundException", "Requested resource not found"),
        ),
        case(
            "API: DescribeTimeToLive, TTL disabled",
            vec![],
            "DescribeTimeToLive",
            json!({"TableName": "hsh"}),
            Ok(json!({"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}})),
        ),
        case(
            "API: TagResource then ListTagsOfResource",
            vec![(
                "TagResource",
                json!({"ResourceArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/hsh", "Tags": [{"Key": "team", "Value": "a"}]}),
            )],
            "ListTagsOfResource",
            json!({"ResourceArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/hsh"}),
            Ok(json!({"Tags": [{"Key": "team", "Value": "a"}]})),
        ),
        case(
            "API: GetResourcePolicy, none set is PolicyNotFoundException",
            vec![],
            "GetResourcePolicy",
            json!({"ResourceArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/hsh"}),
            Err(
                "PolicyNotFoundException",
                "Resource-based policy not found for the provided ResourceArn: arn:aws:dynamodb:eu-west-2:111111111111:table/hsh",
            ),
        ),
        case(
            "API: PutResourcePolicy, ExpectedRevisionId must match",
            vec![(
                "PutResourcePolicy",
                json!({"ResourceArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/hsh", "Policy": "{}"}),
            )],
            "PutResourcePolicy",
            json!({"ResourceArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/hsh", "Policy": "{\"a\":1}", "ExpectedRevisionId": "1"}),
            ErrPrefix(
                "PolicyNotFoundException",
                "Resource-based policy not found for the provided ResourceArn: Requested update for policy with revision id 1, but the policy associated to target table hsh has revision id ",
            ),
        ),
        case(
            "API: UpdateTable, adding a GSI builds it at once",
            vec![(
                "PutItem",
                json!({"TableName": "hsh", "Item": {"id": {"S": "1"}, "g": {"S": "x"}}}),
            )],
            "UpdateTable",
            json!({"TableName": "hsh", "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
                "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}}]}),
            Ok(
                json!({"TableDescription": {"GlobalSecondaryIndexes": [{"IndexName": "byg", "IndexStatus": "ACTIVE", "ItemCount": 1}]}}),
            ),
        ),
        case(
            "JSON 1.0 protocol: unknown X-Amz-Target operation",
            vec![],
            "FlyToTheMoon",
            json!({}),
            Err("UnknownOperationException", "Unknown operation exception"),
        ),
        case(
            "JSON 1.0 protocol: a string where a map belongs",
            vec![],
            "GetItem",
            json!({"TableName": "hsh", "Key": "x"}),
            Err("SerializationException", "Expected map or null"),
        ),
        case(
            "JSON 1.0 protocol: a map where a string belongs",
            vec![],
            "GetItem",
            json!({"TableName": {"a": 1}, "Key": {}}),
            Err(
                "SerializationException",
                "Start of structure or map found where not expected.",
            ),
        ),
        case(
            "JSON 1.0 protocol: unknown members are ignored",
            vec![],
            "DescribeTable",
            json!({"TableName": "hsh", "Frobnicate": 1}),
            Ok(json!({"Table": {"TableName": "hsh"}})),
        ),
        // ---- PutItem / GetItem / DeleteItem / UpdateItem ----
        case(
            "API: GetItem, Key must match the schema (missing sort key)",
            vec![],
            "GetItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}}}),
            Err(
                "ValidationException",
                "The provided key element does not match the schema",
            ),
        ),
        case(
            "API: GetItem, Key must match the schema (wrong type)",
            vec![],
            "GetItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"S": "1"}}}),
            Err(
                "ValidationException",
                "The provided key element does not match the schema",
            ),
        ),
        case(
            "API: GetItem, Key must not carry other attributes",
            vec![],
            "GetItem",
            json!({"TableName": "tbl", "Key": {"pk": {"S": "a"}, "sk": {"N": "1"}, "x": {"S": "y"}}}),
            Err(
                "ValidationException",
                "The provided key element does not match the schema",
            ),
        ),
        case(
            "API: PutItem, missing key attribute",
            vec![],
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Missing the key sk in the item",
            ),
        ),
        case(
            "API: PutItem, key attribute of the wrong type",
            vec![],
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"S": "1"}}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S",
            ),
        ),
        case(
            "DG: Supported data types, key strings may not be empty",
            vec![],
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": ""}, "sk": {"N": "1"}}}),
            Err(
                "ValidationException",
                "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk",
            ),
        ),
        case(
            "DG: Quotas, partition key value at most 2048 bytes",
            vec![],
            "PutItem",
            json!({"TableName": "hsh", "Item": {"id": {"S": "x".repeat(2049)}}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
            ),
        ),
        case(
            "DG: Secondary indexes, index key type must match its definition",
            vec![],
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "gpk": {"N": "1"}}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Type mismatch for Index Key gpk Expected: S Actual: N IndexName: bygpk",
            ),
        ),
        case(
            "DG: Quotas, item size at most 400 KB",
            vec![],
            "PutItem",
            json!({"TableName": "hsh", "Item": {"id": {"S": "x"}, "big": {"S": "y".repeat(400 * 1024)}}}),
            Err("ValidationException", "Item size has exceeded the maximum allowed size"),
        ),
        case(
            "API: PutItem, ReturnValues only NONE or ALL_OLD",
            vec![],
            "PutItem",
            json!({"TableName": "hsh", "Item": {"id": {"S": "x"}}, "ReturnValues": "ALL_NEW"}),
            Err("ValidationException", "ReturnValues can only be ALL_OLD or NONE"),
        ),
        case(
            "API: PutItem, ReturnValues enum",
            vec![],
            "PutItem",
            json!({"TableName": "hsh", "Item": {"id": {"S": "x"}}, "ReturnValues": "SOME"}),
            Err(
                "ValidationException",
                "1 validation error detected: Value 'SOME' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]",
            ),
        ),
        case(
            "API: PutItem, ReturnValues ALL_OLD returns the replaced item",
            vec![(
                "PutItem",
                json!({"TableName": "hsh", "Item": {"id": {"S": "x"}, "v": {"N": "1"}}}),
            )],
            "PutItem",
            json!({"TableName": "hsh", "Item": {"id": {"S": "x"}, "v": {"N": "2"}}, "ReturnValues": "ALL_OLD"}),
            Ok(json!({"Attributes": {"id": {"S": "x"}, "v": {"N": "1"}}})),
        ),
        case(
            "API: PutItem, unknown table",
            vec![],
            "PutItem",
            json!({"TableName": "nope", "Item": {"id": {"S": "x"}}}),
            Err("ResourceNotFoundException", "Requested resource not found"),
        ),
        case(
            "API: GetItem, ReturnConsumedCapacity TOTAL, eventually consistent read is half a unit",
            vec![],
            "GetItem",
            json!({"TableName": "hsh", "Key": {"id": {"S": "x"}}, "ReturnConsumedCapacity": "TOTAL"}),
            Ok(json!({"ConsumedCapacity": {"TableName": "hsh", "CapacityUnits": 0.5}})),
        ),
        case(
            "DG: Read/write capacity mode, a 5 KB strongly consistent read is 2 units",
            vec![(
                "PutItem",
                json!({"TableName": "hsh", "Item": {"id": {"S": "x"}, "v": {"S": "y".repeat(5000)}}}),
            )],
            "GetItem",
            json!({"TableName": "hsh", "Key": {"id": {"S": "x"}}, "ConsistentRead": true, "ReturnConsumedCapacity": "TOTAL"}),
            Ok(json!({"ConsumedCapacity": {"CapacityUnits": 2.0}})),
        ),
        case(
            "DG: Read/write capacity mode, a 1.5 KB write is 2 units",
            vec![],
            "PutItem",
            json!({"TableName": "hsh", "Item": {"id": {"S": "x"}, "v": {"S": "y".repeat(1500)}}, "ReturnConsumedCapacity": "TOTAL"}),
            Ok(json!({"ConsumedCapacity": {"TableName": "hsh", "CapacityUnits": 2.0}})),
        ),
        case(
            "API: GetItem, AttributesToGet and ProjectionExpression together",
            vec![],
            "GetItem",
            json!({"TableName": "hsh", "Key": {"id": {"S": "x"}}, "AttributesToGet": ["a"], "ProjectionExpression": "a"}),
            Err(
                "ValidationException",
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            ),
        ),
        case(
            "API: GetItem, AttributesToGet",
            vec![(
                "PutItem",
                json!({"TableName": "hsh", "Item": {"id": {"S": "x"}, "a": {"N": "1"}, "b": {"N": "2"}}}),
            )],
            "GetItem",
            json!({"TableName": "hsh", "Key": {"id": {"S": "x"}}, "AttributesToGet": ["a"]}),
            Ok(json!({"Item": {"a": {"N": "1"}}})),
        ),
        case(
            "API: DeleteItem, ReturnValues ALL_OLD",
            vec![put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}}))],
            "DeleteItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "ReturnValues": "ALL_OLD"}),
            Ok(json!({"Attributes": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}}})),
        ),
        case(
            "API: PutItem, attribute_not_exists condition fails on an existing item",
            vec![put(a1.clone())],
            "PutItem",
            json!({"TableName": "tbl", "Item": a1.clone(), "ConditionExpression": "attribute_not_exists(pk)"}),
            Err("ConditionalCheckFailedException", "The conditional request failed"),
        ),
        case(
            "API: PutItem, attribute_not_exists condition passes on a new item",
            vec![],
            "PutItem",
            json!({"TableName": "tbl", "Item": a1.clone(), "ConditionExpression": "attribute_not_exists(pk)"}),
            Ok(json!({})),
        ),
        case(
            "API: DeleteItem, ReturnValuesOnConditionCheckFailure ALL_OLD returns the item",
            vec![put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "1"}}))],
            "DeleteItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "ConditionExpression": "v = :two",
                "ExpressionAttributeValues": {":two": {"N": "2"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
            Err("ConditionalCheckFailedException", "The conditional request failed"),
        ),
        case(
            "API: UpdateItem, SET creates the item, ReturnValues ALL_NEW",
            vec![],
            "UpdateItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"S": "x"}}, "ReturnValues": "ALL_NEW"}),
            Ok(json!({"Attributes": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "x"}}})),
        ),
        case(
            "API: UpdateItem, ReturnValues UPDATED_OLD returns only the updated attributes as they were",
            vec![put(
                json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "1"}, "w": {"N": "1"}}),
            )],
            "UpdateItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"N": "5"}}, "ReturnValues": "UPDATED_OLD"}),
            Ok(json!({"Attributes": {"v": {"N": "1"}}})),
        ),
        case(
            "API: UpdateItem, ReturnValues UPDATED_NEW",
            vec![put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "1"}}))],
            "UpdateItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "UpdateExpression": "ADD v :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}}, "ReturnValues": "UPDATED_NEW"}),
            Ok(json!({"Attributes": {"v": {"N": "2"}}})),
        ),
        case(
            "API: UpdateItem, ReturnValues ALL_OLD on a new item returns nothing",
            vec![],
            "UpdateItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "UpdateExpression": "SET v = :v",
                "ExpressionAttributeValues": {":v": {"N": "5"}}, "ReturnValues": "ALL_OLD"}),
            Ok(json!({})),
        ),
        case(
            "API: UpdateItem, key attributes cannot be updated",
            vec![],
            "UpdateItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "UpdateExpression": "SET sk = :v",
                "ExpressionAttributeValues": {":v": {"N": "5"}}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Cannot update attribute sk. This attribute is part of the key",
            ),
        ),
        case(
            "API: UpdateItem, condition on a missing item fails",
            vec![],
            "UpdateItem",
            json!({"TableName": "tbl", "Key": item("a", 1), "UpdateExpression": "SET v = :v",
                "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {":v": {"N": "5"}}}),
            Err("ConditionalCheckFailedException", "The conditional request failed"),
        ),
        // ---- Query ----
        case(
            "API: Query, numbers in sort-key order (numerically), descending with ScanIndexForward false",
            vec![
                put(item("a", 10)),
                put(item("a", 9)),
                put(item("a", -2)),
                put(item("b", 1)),
            ],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}, "ScanIndexForward": false}),
            Ok(json!({"Count": 3, "ScannedCount": 3, "Items": [item("a", 10), item("a", 9), item("a", -2)]})),
        ),
        case(
            "API: Query, sort key condition BETWEEN",
            vec![
                put(item("a", 1)),
                put(item("a", 2)),
                put(item("a", 3)),
                put(item("a", 4)),
            ],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p AND sk BETWEEN :lo AND :hi",
                "ExpressionAttributeValues": {":p": {"S": "a"}, ":lo": {"N": "2"}, ":hi": {"N": "3"}}}),
            Ok(json!({"Count": 2, "Items": [item("a", 2), item("a", 3)]})),
        ),
        case(
            "API: Query, Limit counts items read and gives LastEvaluatedKey",
            vec![put(item("a", 1)), put(item("a", 2)), put(item("a", 3))],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}, "Limit": 2}),
            Ok(json!({"Count": 2, "LastEvaluatedKey": item("a", 2)})),
        ),
        case(
            "API: Query, ExclusiveStartKey continues after the key",
            vec![put(item("a", 1)), put(item("a", 2)), put(item("a", 3))],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}, "ExclusiveStartKey": item("a", 2)}),
            Ok(json!({"Count": 1, "Items": [item("a", 3)]})),
        ),
        case(
            "API: Query, Limit counts items before the filter",
            vec![
                put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "0"}})),
                put(json!({"pk": {"S": "a"}, "sk": {"N": "2"}, "v": {"N": "1"}})),
            ],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "FilterExpression": "v = :one",
                "ExpressionAttributeValues": {":p": {"S": "a"}, ":one": {"N": "1"}}, "Limit": 1}),
            Ok(json!({"Count": 0, "ScannedCount": 1, "Items": [], "LastEvaluatedKey": item("a", 1)})),
        ),
        case(
            "API: Query, the partition key condition is required",
            vec![],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "sk = :s", "ExpressionAttributeValues": {":s": {"N": "1"}}}),
            Err("ValidationException", "Query condition missed key schema element: pk"),
        ),
        case(
            "API: Query, KeyConditionExpression required",
            vec![],
            "Query",
            json!({"TableName": "tbl"}),
            Err(
                "ValidationException",
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
            ),
        ),
        case(
            "API: Query, condition value type must match the key type",
            vec![],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"N": "1"}}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Condition parameter type does not match schema type",
            ),
        ),
        case(
            "API: Query, unknown index",
            vec![],
            "Query",
            json!({"TableName": "tbl", "IndexName": "nope", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
            Err(
                "ValidationException",
                "The table does not have the specified index: nope",
            ),
        ),
        case(
            "DG: Global secondary indexes, no strongly consistent reads",
            vec![],
            "Query",
            json!({"TableName": "tbl", "IndexName": "bygpk", "ConsistentRead": true, "KeyConditionExpression": "gpk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
            Err(
                "ValidationException",
                "Consistent reads are not supported on global secondary indexes",
            ),
        ),
        case(
            "DG: Global secondary indexes, sparse and KEYS_ONLY projected; LastEvaluatedKey has index and table keys",
            vec![
                put(
                    json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "gpk": {"S": "g"}, "gsk": {"N": "5"}, "x": {"S": "big"}}),
                ),
                put(json!({"pk": {"S": "b"}, "sk": {"N": "1"}, "gpk": {"S": "g"}, "gsk": {"N": "4"}})),
                put(json!({"pk": {"S": "c"}, "sk": {"N": "1"}})),
            ],
            "Query",
            json!({"TableName": "tbl", "IndexName": "bygpk", "KeyConditionExpression": "gpk = :g", "ExpressionAttributeValues": {":g": {"S": "g"}}, "Limit": 1}),
            Ok(
                json!({"Count": 1, "Items": [{"pk": {"S": "b"}, "sk": {"N": "1"}, "gpk": {"S": "g"}, "gsk": {"N": "4"}}],
                "LastEvaluatedKey": {"pk": {"S": "b"}, "sk": {"N": "1"}, "gpk": {"S": "g"}, "gsk": {"N": "4"}}}),
            ),
        ),
        case(
            "API: Query, Select ALL_ATTRIBUTES on a GSI that does not project ALL",
            vec![],
            "Query",
            json!({"TableName": "tbl", "IndexName": "bygpk", "Select": "ALL_ATTRIBUTES", "KeyConditionExpression": "gpk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
            Err(
                "ValidationException",
                "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index bygpk because its projection type is not ALL",
            ),
        ),
        case(
            "API: Query, ALL_PROJECTED_ATTRIBUTES needs an index",
            vec![],
            "Query",
            json!({"TableName": "tbl", "Select": "ALL_PROJECTED_ATTRIBUTES", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
            Err(
                "ValidationException",
                "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
            ),
        ),
        case(
            "API: Query, Select COUNT returns no Items",
            vec![put(item("a", 1)), put(item("a", 2))],
            "Query",
            json!({"TableName": "tbl", "Select": "COUNT", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}}),
            Ok(json!({"Count": 2, "ScannedCount": 2})),
        ),
        case(
            "API: Query, a filter may not name key attributes",
            vec![],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "FilterExpression": "sk = :s",
                "ExpressionAttributeValues": {":p": {"S": "a"}, ":s": {"N": "1"}}}),
            Err(
                "ValidationException",
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
            ),
        ),
        case(
            "API: Query, Limit at least 1",
            vec![],
            "Query",
            json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}, "Limit": 0}),
            Err(
                "ValidationException",
                "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
            ),
        ),
        case(
            "API: Query, LSI ordered by its sort key (strings by bytes)",
            vec![
                put(json!({"pk": {"S": "a"}, "sk": {"N": "1"}, "lsk": {"S": "b"}})),
                put(json!({"pk": {"S": "a"}, "sk": {"N": "2"}, "lsk": {"S": "B"}})),
                put(json!({"pk": {"S": "a"}, "sk": {"N": "3"}, "lsk": {"S": "a"}})),
            ],
            "Query",
            json!({"TableName": "tbl", "IndexName": "bylsk", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}, "ProjectionExpression": "lsk"}),
            Ok(json!({"Items": [{"lsk": {"S": "B"}}, {"lsk": {"S": "a"}}, {"lsk": {"S": "b"}}]})),
        ),
        // ---- Scan ----
        case(
            "API: Scan, Segment needs TotalSegments",
            vec![],
            "Scan",
            json!({"TableName": "tbl", "Segment": 0}),
            Err(
                "ValidationException",
                "The TotalSegments parameter is required but was not present in the request when Segment parameter is present",
            ),
        ),
        case(
            "API: Scan, Segment less than TotalSegments",
            vec![],
            "Scan",
            json!({"TableName": "tbl", "Segment": 2, "TotalSegments": 2}),
            Err(
                "ValidationException",
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is greater than or equal to TotalSegments: 2",
            ),
        ),
        case(
            "API: Scan, Select COUNT with a ProjectionExpression",
            vec![],
            "Scan",
            json!({"TableName": "tbl", "Select": "COUNT", "ProjectionExpression": "pk"}),
            Err(
                "ValidationException",
                "Cannot specify the ProjectionExpression when choosing to get only the Count",
            ),
        ),
        case(
            "API: Scan, every item once",
            vec![put(item("a", 1)), put(item("b", 1)), put(item("c", 2))],
            "Scan",
            json!({"TableName": "tbl", "Select": "COUNT"}),
            Ok(json!({"Count": 3, "ScannedCount": 3})),
        ),
        // ---- Batches ----
        case(
            "API: BatchGetItem, duplicate keys",
            vec![],
            "BatchGetItem",
            json!({"RequestItems": {"hsh": {"Keys": [{"id": {"S": "x"}}, {"id": {"S": "x"}}]}}}),
            Err("ValidationException", "Provided list of item keys contains duplicates"),
        ),
        case(
            "API: BatchGetItem, at most 100 keys",
            vec![],
            "BatchGetItem",
            json!({"RequestItems": {"hsh": {"Keys": (0..101).map(|i| json!({"id": {"S": i.to_string()}})).collect::<Vec<_>>()}}}),
            ErrPrefix("ValidationException", "1 validation error detected: "),
        ),
        case(
            "API: BatchGetItem, Responses and empty UnprocessedKeys",
            vec![("PutItem", json!({"TableName": "hsh", "Item": {"id": {"S": "x"}}}))],
            "BatchGetItem",
            json!({"RequestItems": {"hsh": {"Keys": [{"id": {"S": "x"}}, {"id": {"S": "y"}}]}}}),
            Ok(json!({"Responses": {"hsh": [{"id": {"S": "x"}}]}, "UnprocessedKeys": {}})),
        ),
        case(
            "API: BatchWriteItem, at most 25 requests",
            vec![],
            "BatchWriteItem",
            json!({"RequestItems": {"hsh": (0..26).map(|i| json!({"PutRequest": {"Item": {"id": {"S": i.to_string()}}}})).collect::<Vec<_>>()}}),
            Err(
                "ValidationException",
                "Too many items requested for the BatchWriteItem call",
            ),
        ),
        case(
            "API: BatchWriteItem, the same item twice",
            vec![],
            "BatchWriteItem",
            json!({"RequestItems": {"hsh": [{"PutRequest": {"Item": {"id": {"S": "x"}}}}, {"DeleteRequest": {"Key": {"id": {"S": "x"}}}}]}}),
            Err("ValidationException", "Provided list of item keys contains duplicates"),
        ),
        case(
            "API: BatchWriteItem, UnprocessedItems empty",
            vec![],
            "BatchWriteItem",
            json!({"RequestItems": {"hsh": [{"PutRequest": {"Item": {"id": {"S": "x"}}}}]}}),
            Ok(json!({"UnprocessedItems": {}})),
        ),
        // ---- Transactions ----
        case(
            "API: TransactWriteItems, cancellation reasons in order",
            vec![put(a1.clone())],
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Put": {"TableName": "hsh", "Item": {"id": {"S": "new"}}}},
                {"ConditionCheck": {"TableName": "tbl", "Key": a1.clone(), "ConditionExpression": "attribute_not_exists(pk)"}}]}),
            Err(
                "TransactionCanceledException",
                "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]",
            ),
        ),
        case(
            "API: TransactWriteItems, two operations on one item",
            vec![],
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Put": {"TableName": "tbl", "Item": a1.clone()}},
                {"Delete": {"TableName": "tbl", "Key": a1.clone()}}]}),
            Err(
                "ValidationException",
                "Transaction request cannot include multiple operations on one item",
            ),
        ),
        case(
            "API: TransactWriteItems, at most 100 items",
            vec![],
            "TransactWriteItems",
            json!({"TransactItems": (0..101).map(|i| json!({"Put": {"TableName": "hsh", "Item": {"id": {"S": i.to_string()}}}})).collect::<Vec<_>>()}),
            ErrPrefix(
                "ValidationException",
                "1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100",
            ),
        ),
        case(
            "API: TransactGetItems, items in request order",
            vec![put(a1.clone())],
            "TransactGetItems",
            json!({"TransactItems": [{"Get": {"TableName": "hsh", "Key": {"id": {"S": "none"}}}}, {"Get": {"TableName": "tbl", "Key": a1.clone()}}]}),
            Ok(json!({"Responses": [{}, {"Item": a1.clone()}]})),
        ),
    ]
}

#[test]
fn conformance_table() {
    let cases = cases();
    assert!(cases.len() >= 60, "{} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let t = world();
        for (op, body) in &c.setup {
            if let Err(e) = call(&t, op, body.clone()) {
                failures.push(format!("[{}] setup {op} failed: {e}", c.rule));
            }
        }
        let got = call(&t, c.op, c.input.clone());
        let good = match (&c.expect, &got) {
            (Expect::Ok(want), Ok(v)) => contains(v, want),
            (Expect::Err(code, msg), Err(e)) => e.code == *code && e.message == *msg,
            (Expect::ErrPrefix(code, msg), Err(e)) => e.code == *code && e.message.starts_with(msg),
            _ => false,
        };
        if !good {
            let want = match &c.expect {
                Expect::Ok(v) => v.to_string(),
                Expect::Err(c, m) | Expect::ErrPrefix(c, m) => format!("{c}: {m}"),
            };
            let got = match got {
                Ok(v) => v.to_string(),
                Err(e) => e.to_string(),
            };
            failures.push(format!("[{}]\n    want {want}\n    got  {got}", c.rule));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn transaction_failure_applies_nothing_and_reasons_carry_item() {
    let t = world();
    ok(
        &t,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "1"}}}),
    );
    let e = call(
        &t,
        "TransactWriteItems",
        json!({"TransactItems": [
            {"Put": {"TableName": "hsh", "Item": {"id": {"S": "new"}}}},
            {"Update": {"TableName": "tbl", "Key": item("a", 1), "UpdateExpression": "SET v = :two",
                "ConditionExpression": "v = :two", "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                "ExpressionAttributeValues": {":two": {"N": "2"}}}}]}),
    )
    .unwrap_err();
    assert_eq!(e.code, "TransactionCanceledException");
    let reasons = &e.extra.unwrap()["CancellationReasons"];
    assert_eq!(reasons[0], json!({"Code": "None"}));
    assert_eq!(reasons[1]["Code"], "ConditionalCheckFailed");
    assert_eq!(reasons[1]["Message"], "The conditional request failed");
    assert_eq!(reasons[1]["Item"]["v"], json!({"N": "1"}));
    // Nothing applied: the Put of the first item did not happen.
    let got = ok(&t, "GetItem", json!({"TableName": "hsh", "Key": {"id": {"S": "new"}}}));
    assert!(got.get("Item").is_none());
}

#[test]
fn condition_failure_returns_old_item_when_asked() {
    let t = world();
    ok(
        &t,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"N": "1"}}}),
    );
    let e = call(
        &t,
        "PutItem",
        json!({"TableName": "tbl", "Item": item("a", 1), "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
    )
    .unwrap_err();
    assert_eq!(e.extra.unwrap()["Item"]["v"], json!({"N": "1"}));
}

#[test]
fn one_megabyte_page() {
    // API Query: "up to 1 MB of data"; 30 items of ~100 KB: a page holds
    // the items up to and including the one that reaches 1 MB.
    let t = world();
    for i in 0..30 {
        ok(
            &t,
            "PutItem",
            json!({"TableName": "tbl", "Item": {"pk": {"S": "a"}, "sk": {"N": i.to_string()}, "blob": {"S": "x".repeat(100_000)}}}),
        );
    }
    let q = |start: Option<Value>| {
        let mut body = json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "a"}}});
        if let Some(s) = start {
            body["ExclusiveStartKey"] = s;
        }
        ok(&t, "Query", body)
    };
    let first = q(None);
    assert_eq!(first["Count"], 11);
    let second = q(Some(first["LastEvaluatedKey"].clone()));
    assert_eq!(second["Count"], 11);
    let third = q(Some(second["LastEvaluatedKey"].clone()));
    assert_eq!(third["Count"], 8);
    assert!(third.get("LastEvaluatedKey").is_none());
}

#[test]
fn parallel_scan_segments_partition_the_table() {
    let t = world();
    for i in 0..200 {
        ok(
            &t,
            "PutItem",
            json!({"TableName": "hsh", "Item": {"id": {"S": format!("k{i}")}}}),
        );
    }
    let mut seen = Vec::new();
    for s in 0..4 {
        let r = ok(
            &t,
            "Scan",
            json!({"TableName": "hsh", "Segment": s, "TotalSegments": 4}),
        );
        for i in r["Items"].as_array().unwrap() {
            seen.push(i["id"]["S"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 200);
}

#[test]
fn change_log_sees_every_commit_in_order() {
    use crate::dynamodb::store::{Change, ChangeLog};
    use std::sync::Mutex;
    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);
    impl ChangeLog for Log {
        fn wait(&self, _ticket: u64) -> Result<(), String> {
            Ok(())
        }
        fn append(&self, changes: &[Change]) -> Result<u64, String> {
            for c in changes {
                let s = match c {
                    Change::CreateTable(d) => format!("create {}", d.name),
                    Change::UpdateTable(d) => format!("update {}", d.name),
                    Change::DeleteTable(k) => format!("drop {}", k.2),
                    Change::Put { table, .. } => format!("put {}", table.2),
                    Change::Delete { table, .. } => format!("delete {}", table.2),
                };
                self.0.lock().unwrap().push(s);
            }
            Ok(self.0.lock().unwrap().len() as u64)
        }
    }
    let t = Tables::new();
    let log = Arc::new(Log::default());
    t.store().set_change_log(log.clone());
    ok(
        &t,
        "CreateTable",
        json!({"TableName": "abc", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "BillingMode": "PAY_PER_REQUEST"}),
    );
    ok(&t, "PutItem", json!({"TableName": "abc", "Item": {"id": {"S": "1"}}}));
    let _ = call(&t, "PutItem", json!({"TableName": "abc", "Item": {"id": {"S": ""}}}));
    ok(&t, "DeleteItem", json!({"TableName": "abc", "Key": {"id": {"S": "1"}}}));
    ok(
        &t,
        "TagResource",
        json!({"ResourceArn": "arn:aws:dynamodb:eu-west-2:111111111111:table/abc", "Tags": [{"Key": "a", "Value": "b"}]}),
    );
    ok(&t, "DeleteTable", json!({"TableName": "abc"}));
    assert_eq!(
        *log.0.lock().unwrap(),
        vec!["create abc", "put abc", "delete abc", "update abc", "drop abc"]
    );
}

// ---- properties against a model ------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Put(u8, i8, u8),
    Set(u8, i8, u8),
    Add(u8, i8, i8),
    Delete(u8, i8),
    Get(u8, i8),
}

fn op() -> impl Strategy<Value = Op> {
    let pk = 0u8..3;
    let sk = -3i8..4;
    prop_oneof![
        (pk.clone(), sk.clone(), any::<u8>()).prop_map(|(p, s, v)| Op::Put(p, s, v)),
        (pk.clone(), sk.clone(), any::<u8>()).prop_map(|(p, s, v)| Op::Set(p, s, v)),
        (pk.clone(), sk.clone(), -5i8..5).prop_map(|(p, s, v)| Op::Add(p, s, v)),
        (pk.clone(), sk.clone()).prop_map(|(p, s)| Op::Delete(p, s)),
        (pk, sk).prop_map(|(p, s)| Op::Get(p, s)),
    ]
}

fn key(p: u8, s: i8) -> Value {
    json!({"pk": {"S": format!("p{p}")}, "sk": {"N": s.to_string()}})
}

/// The model: (pk, sk) → (v, n) where v is a string attribute and n a counter.
type Model = HashMap<(u8, i8), (Option<String>, Option<i64>)>;

fn model_item(p: u8, s: i8, m: &(Option<String>, Option<i64>)) -> Value {
    let mut v = key(p, s);
    if let Some(x) = &m.0 {
        v["v"] = json!({"S": x});
    }
    if let Some(n) = m.1 {
        v["n"] = json!({"N": n.to_string()});
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn item_operations_match_a_model(ops in proptest::collection::vec(op(), 1..60)) {
        let t = world();
        let mut model: Model = HashMap::new();
        for o in ops {
            match o {
                Op::Put(p, s, v) => {
                    let mut item = key(p, s);
                    item["v"] = json!({"S": v.to_string()});
                    ok(&t, "PutItem", json!({"TableName": "tbl", "Item": item}));
                    model.insert((p, s), (Some(v.to_string()), None));
                }
                Op::Set(p, s, v) => {
                    ok(&t, "UpdateItem", json!({"TableName": "tbl", "Key": key(p, s), "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": v.to_string()}}}));
                    model.entry((p, s)).or_insert((None, None)).0 = Some(v.to_string());
                }
                Op::Add(p, s, d) => {
                    ok(&t, "UpdateItem", json!({"TableName": "tbl", "Key": key(p, s), "UpdateExpression": "ADD n :d",
                        "ExpressionAttributeValues": {":d": {"N": d.to_string()}}}));
                    let e = model.entry((p, s)).or_insert((None, None));
                    e.1 = Some(e.1.unwrap_or(0) + i64::from(d));
                }
                Op::Delete(p, s) => {
                    ok(&t, "DeleteItem", json!({"TableName": "tbl", "Key": key(p, s)}));
                    model.remove(&(p, s));
                }
                Op::Get(p, s) => {
                    let got = ok(&t, "GetItem", json!({"TableName": "tbl", "Key": key(p, s), "ConsistentRead": true}));
                    let want = model.get(&(p, s)).map(|m| model_item(p, s, m));
                    prop_assert_eq!(got.get("Item").cloned(), want);
                }
            }
        }
        for p in 0..3u8 {
            let mut want: Vec<(i8, Value)> = model.iter().filter(|((mp, _), _)| *mp == p)
                .map(|((_, s), m)| (*s, model_item(p, *s, m))).collect();
            want.sort_by_key(|(s, _)| *s);
            let all = ok(&t, "Query", json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": format!("p{p}")}}}));
            prop_assert_eq!(all["Items"].as_array().unwrap().clone(), want.into_iter().map(|(_, v)| v).collect::<Vec<_>>());
        }
    }

    #[test]
    fn query_pages_return_exactly_the_matching_items_in_order(
        sks in proptest::collection::btree_set(-1000i32..1000, 0..40),
        lo in -1000i32..1000,
        limit in 1usize..7,
        forward in any::<bool>(),
    ) {
        let t = world();
        for s in &sks {
            ok(&t, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "p"}, "sk": {"N": s.to_string()}}}));
            ok(&t, "PutItem", json!({"TableName": "tbl", "Item": {"pk": {"S": "q"}, "sk": {"N": s.to_string()}}}));
        }
        let mut want: Vec<i32> = sks.iter().copied().filter(|s| *s >= lo).collect();
        if !forward {
            want.reverse();
        }
        let mut got = Vec::new();
        let mut start: Option<Value> = None;
        for _ in 0..100 {
            let mut body = json!({"TableName": "tbl", "KeyConditionExpression": "pk = :p AND sk >= :lo",
                "ExpressionAttributeValues": {":p": {"S": "p"}, ":lo": {"N": lo.to_string()}},
                "Limit": limit, "ScanIndexForward": forward});
            if let Some(s) = start.take() {
                body["ExclusiveStartKey"] = s;
            }
            let r = ok(&t, "Query", body);
            for i in r["Items"].as_array().unwrap() {
                got.push(i["sk"]["N"].as_str().unwrap().parse::<i32>().unwrap());
            }
            match r.get("LastEvaluatedKey") {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
        prop_assert_eq!(got, want);
    }
}

#[test]
fn concurrent_updates_lose_nothing() {
    let t = Arc::new(world());
    ok(
        &t,
        "PutItem",
        json!({"TableName": "tbl", "Item": {"pk": {"S": "c"}, "sk": {"N": "0"}, "counter": {"N": "0"}, "v": {"N": "0"}}}),
    );
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let t = t.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    ok(&t, "UpdateItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "c"}, "sk": {"N": "0"}},
                        "UpdateExpression": "ADD #c :one", "ExpressionAttributeNames": {"#c": "counter"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}));
                    // Optimistic concurrency: read, then SET v = v + 1 on the condition
                    // that v is unchanged; retry on ConditionalCheckFailed.
                    loop {
                        let cur = ok(&t, "GetItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "c"}, "sk": {"N": "0"}}, "ConsistentRead": true}));
                        let old = cur["Item"]["v"].clone();
                        let r = call(&t, "UpdateItem", json!({"TableName": "tbl", "Key": {"pk": {"S": "c"}, "sk": {"N": "0"}},
                            "UpdateExpression": "SET v = v + :one", "ConditionExpression": "v = :old",
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":old": old}}));
                        match r {
                            Ok(_) => break,
                            Err(e) if e.code == "ConditionalCheckFailedException" => continue,
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for th in threads {
        th.join().unwrap();
    }
    let got = ok(
        &t,
        "GetItem",
        json!({"TableName": "tbl", "Key": {"pk": {"S": "c"}, "sk": {"N": "0"}}}),
    );
    assert_eq!(got["Item"]["counter"], json!({"N": "1600"}));
    assert_eq!(got["Item"]["v"], json!({"N": "1600"}));
}
