//! The JSON 1.0 edge of DynamoDB: `POST /` with `X-Amz-Target:
//! DynamoDB_20120810.<Operation>`, SigV4 with DynamoDB's error dialect, the
//! authorization of every operation before anything is read or written, and
//! one audit event per call.

use axum::body::Body;
use axum::http::{Response, StatusCode, header};
use serde_json::{Value, json};

use super::{CallName, RawRequest, record_call};
use crate::auth::{self, Service};
use crate::dynamodb::access;
use crate::dynamodb::service::DdbError;
use crate::dynamodb::upstream::{Answer, Reply};
use crate::emulator::Emulator;
use crate::sts::Trail;

/// The target prefix of every DynamoDB operation (API version 2012-08-10).
pub const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// Whether the request is for DynamoDB.
pub fn serves(raw: &RawRequest) -> bool {
    raw.header("x-amz-target").is_some_and(|t| t.starts_with(TARGET_PREFIX))
}

pub async fn handle(emulator: &Emulator, raw: &RawRequest, request_id: &str) -> Response<Body> {
    let operation = raw
        .header("x-amz-target")
        .and_then(|t| t.strip_prefix(TARGET_PREFIX))
        .unwrap_or_default()
        .to_string();
    let mut trail = Trail::default();
    let outcome = dispatch(emulator, raw, &operation, &mut trail).await;
    let name = CallName {
        data_resource_type: is_data_event(&operation).then_some("AWS::DynamoDB::Table"),
        event_source: "dynamodb.amazonaws.com",
        event_name: &operation,
        region: &emulator.region,
    };
    let parameters = audit_parameters(&raw.body);
    match outcome {
        Ok(Answer::Local(body)) => {
            record_call(emulator, raw, request_id, name, trail, parameters, Ok(Value::Null));
            json_answer(StatusCode::OK, body.to_string(), request_id)
        }
        Ok(Answer::Upstream(reply)) => {
            // The audit records the upstream's answer: its error code and message when it failed.
            let failure = reply.error();
            let outcome = match &failure {
                Some((code, message)) => Err((code.as_str(), message.as_str())),
                None => Ok(Value::Null),
            };
            record_call(emulator, raw, request_id, name, trail, parameters, outcome);
            upstream_answer(reply, request_id)
        }
        Err(error) => {
            record_call(
                emulator,
                raw,
                request_id,
                name,
                trail,
                parameters,
                Err((error.code, &error.message)),
            );
            json_answer(
                StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST),
                error_body(&error).to_string(),
                request_id,
            )
        }
    }
}

async fn dispatch(
    emulator: &Emulator,
    raw: &RawRequest,
    operation: &str,
    trail: &mut Trail,
) -> Result<Answer, DdbError> {
    let caller = auth::authenticate(emulator, &raw.signed(), Service::DynamoDb).map_err(|e| DdbError {
        code: static_code(&e.code),
        message: e.message,
        status: e.status,
        extra: None,
    })?;
    {
        let state = emulator.read_state();
        trail.identity = Some(crate::audit::user_identity(&state, &caller));
    }
    let input: Value = match serde_json::from_slice(&raw.body) {
        Ok(v @ Value::Object(_)) => v,
        _ => {
            return Err(DdbError {
                code: "SerializationException",
                message: "Start of structure or map found where not expected".into(),
                status: 400,
                extra: None,
            });
        }
    };
    let target = access::resolve(emulator, &caller, operation, &input)?;
    trail.recipient_account = Some(target.account.clone());
    // Upstream mode: the key schemas authorization needs come from the upstream.
    if let Some(upstream) = &emulator.upstream {
        upstream.prepare(&target, operation, &emulator.clock).await?;
    }
    access::authorize(emulator, &caller, operation, &input, &target, trail)?;
    if operation == "PutResourcePolicy" {
        check_resource_policy(&target.input)?;
    }
    if let Some(upstream) = &emulator.upstream {
        return upstream.execute(&target, operation, &emulator.clock).await;
    }
    emulator
        .dynamodb
        .execute(
            &target.account,
            &target.region,
            operation,
            &target.input,
            emulator.clock.now(),
        )
        .map(Answer::Local)
}

/// DynamoDB's item-level operations, which CloudTrail logs as data events.
fn is_data_event(operation: &str) -> bool {
    matches!(
        operation,
        "GetItem"
            | "PutItem"
            | "UpdateItem"
            | "DeleteItem"
            | "Query"
            | "Scan"
            | "BatchGetItem"
            | "BatchWriteItem"
            | "TransactGetItems"
            | "TransactWriteItems"
    )
}

/// A table's resource policy is checked by the engine as a DynamoDB table
/// policy (a principal required, 20 KB with whitespace counted) before the
/// data plane stores it; nothing is stored when it is refused. DynamoDB's
/// exact wording for a refused policy is not public: the engine's (IAM's)
/// message is given.
fn check_resource_policy(input: &Value) -> Result<(), DdbError> {
    let Some(text) = input.get("Policy").and_then(Value::as_str) else {
        return Ok(()); // the data plane reports the missing member
    };
    rolechain_policy::policy::Policy::parse(rolechain_policy::kind::PolicyKind::DynamodbTable, text)
        .map(|_| ())
        .map_err(|e| DdbError {
            code: if e.code == "LimitExceeded" {
                "LimitExceededException"
            } else {
                "ValidationException"
            },
            message: e.message,
            status: 400,
            extra: None,
        })
}

/// The auth errors come from `auth` as owned codes; DynamoDB's are a fixed set.
fn static_code(code: &str) -> &'static str {
    match code {
        "MissingAuthenticationTokenException" => "MissingAuthenticationTokenException",
        "IncompleteSignatureException" => "IncompleteSignatureException",
        "InvalidSignatureException" => "InvalidSignatureException",
        "UnrecognizedClientException" => "UnrecognizedClientException",
        "ExpiredTokenException" => "ExpiredTokenException",
        _ => "InternalServerError",
    }
}

/// DynamoDB's error body: `__type` with the namespace the error comes from,
/// and `message` (`Message` for AccessDeniedException, as the wire has it).
pub fn error_body(error: &DdbError) -> Value {
    let namespace = match error.code {
        "ValidationException" => "com.amazon.coral.validate",
        "AccessDeniedException"
        | "UnrecognizedClientException"
        | "MissingAuthenticationTokenException"
        | "IncompleteSignatureException"
        | "InvalidSignatureException"
        | "ExpiredTokenException"
        | "SerializationException"
        | "UnknownOperationException" => "com.amazon.coral.service",
        _ => "com.amazonaws.dynamodb.v20120810",
    };
    let message_key = if error.code == "AccessDeniedException" {
        "Message"
    } else {
        "message"
    };
    let mut body = json!({ "__type": format!("{namespace}#{}", error.code), message_key: error.message });
    if let Some(Value::Object(extra)) = &error.extra {
        for (k, v) in extra {
            body[k] = v.clone();
        }
    }
    body
}

fn json_answer(status: StatusCode, body: String, request_id: &str) -> Response<Body> {
    // DynamoDB sends the CRC32 of the body; SDKs check it when present.
    let crc = crc32fast::hash(body.as_bytes());
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
        .header("x-amzn-RequestId", request_id)
        .header("x-amz-crc32", crc.to_string())
        .body(Body::from(body))
        .unwrap_or_default()
}

/// The upstream's answer as it came (status, body, `x-amz-crc32`), with our
/// request id, the one the audit event carries.
fn upstream_answer(reply: Reply, request_id: &str) -> Response<Body> {
    let crc = reply.crc32.unwrap_or_else(|| crc32fast::hash(&reply.body).to_string());
    Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
        .header("x-amzn-RequestId", request_id)
        .header("x-amz-crc32", crc)
        .body(Body::from(reply.body))
        .unwrap_or_default()
}

/// CloudTrail's `requestParameters` for DynamoDB: the table and the key,
/// never item contents or expression values.
fn audit_parameters(body: &[u8]) -> Value {
    let Ok(Value::Object(input)) = serde_json::from_slice::<Value>(body) else {
        return Value::Null;
    };
    let mut out = serde_json::Map::new();
    for (from, to) in [("TableName", "tableName"), ("Key", "key"), ("IndexName", "indexName")] {
        if let Some(v) = input.get(from) {
            out.insert(to.into(), v.clone());
        }
    }
    Value::Object(out)
}
