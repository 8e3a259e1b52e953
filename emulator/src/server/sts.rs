//! The awsQuery edge of STS: parameters in, XML out, one audit event per call.

use axum::body::Body;
use axum::http::Response;
use serde_json::{Value, json};

use super::{CallName, RawRequest, query_error, query_ok, record_call};
use crate::auth::{self, Service};
use crate::clock::iso8601;
use crate::emulator::Emulator;
use crate::error::AwsError;
use crate::query::{self, QueryParams, Xml};
use crate::state::Tag;
use crate::sts::{self, AssumeRoleInput, AssumeRoleOutput, AssumeRoleWithWebIdentityInput, Credentials, Trail};

pub const NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const VERSION: &str = "2011-06-15";

const OPERATIONS: [&str; 4] = [
    "AssumeRoleWithWebIdentity",
    "AssumeRole",
    "GetCallerIdentity",
    "GetSessionToken",
];

/// Whether the call is for STS: its Version, else its Action.
pub fn serves(action: &str, params: &QueryParams) -> bool {
    match params.get("Version") {
        Some(v) => v == VERSION,
        None => OPERATIONS.contains(&action),
    }
}

pub async fn handle(emulator: &Emulator, raw: &RawRequest, params: &QueryParams, request_id: &str) -> Response<Body> {
    let action = params.action().unwrap_or_default().to_string();
    let mut trail = Trail::default();
    let outcome = dispatch(emulator, raw, params, &action, request_id, &mut trail).await;
    let name = CallName {
        data_resource_type: None,
        event_source: "sts.amazonaws.com",
        event_name: &action,
        region: &emulator.region,
    };
    let parameters = request_parameters(params);
    match outcome {
        Ok((body, response_elements)) => {
            record_call(
                emulator,
                raw,
                request_id,
                name,
                trail,
                parameters,
                Ok(response_elements),
            );
            query_ok(body, request_id)
        }
        Err(error) => {
            record_call(
                emulator,
                raw,
                request_id,
                name,
                trail,
                parameters,
                Err((&error.code, &error.message)),
            );
            query_error(NAMESPACE, &error, request_id)
        }
    }
}

async fn dispatch(
    emulator: &Emulator,
    raw: &RawRequest,
    params: &QueryParams,
    action: &str,
    request_id: &str,
    trail: &mut Trail,
) -> Result<(String, Value), AwsError> {
    if action == "AssumeRoleWithWebIdentity" {
        // Unsigned by every SDK (spec §1.1); a signature, if any, is not checked.
        let input = AssumeRoleWithWebIdentityInput {
            role_arn: required(params, "RoleArn", "roleArn")?,
            role_session_name: required(params, "RoleSessionName", "roleSessionName")?,
            web_identity_token: required(params, "WebIdentityToken", "webIdentityToken")?,
            provider_id: params.get("ProviderId").map(str::to_string),
            policy: params.get("Policy").map(str::to_string),
            policy_arns: policy_arns(params),
            duration_seconds: integer(params, "DurationSeconds", "durationSeconds")?,
        };
        let output = sts::assume_role_with_web_identity(emulator, &input, trail).await?;
        return Ok(assumed(action, request_id, &output));
    }
    if !OPERATIONS.contains(&action) {
        return Err(AwsError::new(
            "InvalidAction",
            400,
            format!("Could not find operation {action} for version {VERSION}"),
        ));
    }
    let caller = auth::authenticate(emulator, &raw.signed(), Service::Sts)?;
    match action {
        "AssumeRole" => {
            let input = AssumeRoleInput {
                role_arn: required(params, "RoleArn", "roleArn")?,
                role_session_name: required(params, "RoleSessionName", "roleSessionName")?,
                policy: params.get("Policy").map(str::to_string),
                policy_arns: policy_arns(params),
                duration_seconds: integer(params, "DurationSeconds", "durationSeconds")?,
                tags: params
                    .structs("Tags", &["Key", "Value"])
                    .into_iter()
                    .map(|t| Tag {
                        key: t.get("Key").cloned().unwrap_or_default(),
                        value: t.get("Value").cloned().unwrap_or_default(),
                    })
                    .collect(),
                transitive_tag_keys: params.list("TransitiveTagKeys"),
                external_id: params.get("ExternalId").map(str::to_string),
                serial_number: params.get("SerialNumber").map(str::to_string),
                token_code: params.get("TokenCode").map(str::to_string),
                source_identity: params.get("SourceIdentity").map(str::to_string),
            };
            let output = sts::assume_role(emulator, &caller, &input, trail)?;
            Ok(assumed(action, request_id, &output))
        }
        "GetCallerIdentity" => {
            let id = sts::get_caller_identity(emulator, &caller, trail);
            let body = query::response(NAMESPACE, action, request_id, |x| {
                x.leaf("UserId", &id.user_id)
                    .leaf("Account", &id.account)
                    .leaf("Arn", &id.arn);
            });
            Ok((body, Value::Null))
        }
        "GetSessionToken" => {
            let duration = integer(params, "DurationSeconds", "durationSeconds")?;
            let credentials = sts::get_session_token(emulator, &caller, duration, trail)?;
            let body = query::response(NAMESPACE, action, request_id, |x| {
                credentials_xml(x, &credentials);
            });
            Ok((body, json!({ "credentials": credentials_json(&credentials) })))
        }
        _ => unreachable_action(action),
    }
}

fn unreachable_action(action: &str) -> Result<(String, Value), AwsError> {
    Err(AwsError::new(
        "InvalidAction",
        400,
        format!("Could not find operation {action} for version {VERSION}"),
    ))
}

fn assumed(action: &str, request_id: &str, output: &AssumeRoleOutput) -> (String, Value) {
    let body = query::response(NAMESPACE, action, request_id, |x| {
        credentials_xml(x, &output.credentials);
        if let Some(web) = &output.web {
            x.leaf("SubjectFromWebIdentityToken", &web.subject);
        }
        x.node("AssumedRoleUser", |x| {
            x.leaf("AssumedRoleId", &output.assumed_role_id)
                .leaf("Arn", &output.arn);
        });
        if let Some(size) = output.packed_policy_size {
            x.leaf("PackedPolicySize", &size.to_string());
        }
        if let Some(web) = &output.web {
            x.leaf("Provider", &web.provider).leaf("Audience", &web.audience);
        }
        x.opt("SourceIdentity", output.source_identity.as_deref());
    });
    let mut elements = json!({
        "credentials": credentials_json(&output.credentials),
        "assumedRoleUser": { "assumedRoleId": output.assumed_role_id, "arn": output.arn },
    });
    if let Some(web) = &output.web {
        elements["subjectFromWebIdentityToken"] = json!(web.subject);
        elements["provider"] = json!(web.provider);
        elements["audience"] = json!(web.audience);
    }
    if let Some(size) = output.packed_policy_size {
        elements["packedPolicySize"] = json!(size);
    }
    (body, elements)
}

fn credentials_xml(x: &mut Xml, c: &Credentials) {
    x.node("Credentials", |x| {
        x.leaf("AccessKeyId", &c.access_key_id)
            .leaf("SecretAccessKey", &c.secret_access_key)
            .leaf("SessionToken", &c.session_token)
            .leaf("Expiration", &iso8601(c.expiration));
    });
}

/// CloudTrail never shows secrets: the key id and expiry only.
fn credentials_json(c: &Credentials) -> Value {
    json!({ "accessKeyId": c.access_key_id, "expiration": iso8601(c.expiration) })
}

/// CloudTrail's `requestParameters`: lowerCamelCase names, secrets left out.
pub(super) fn request_parameters(params: &QueryParams) -> Value {
    let mut out = serde_json::Map::new();
    for (name, value) in params.iter() {
        if matches!(name, "Action" | "Version" | "WebIdentityToken" | "TokenCode") || name.starts_with("X-Amz-") {
            continue;
        }
        let mut key = name.to_string();
        if let Some(first) = key.get(..1) {
            key.replace_range(..1, &first.to_ascii_lowercase());
        }
        // CloudTrail records the session's length as a number.
        let value = match (name, value.parse::<i64>()) {
            ("DurationSeconds", Ok(seconds)) => json!(seconds),
            _ => json!(value),
        };
        out.insert(key, value);
    }
    Value::Object(out)
}

fn required(params: &QueryParams, name: &str, member: &str) -> Result<String, AwsError> {
    params.get(name).map(str::to_string).ok_or_else(|| {
        AwsError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

fn integer(params: &QueryParams, name: &str, member: &str) -> Result<Option<i64>, AwsError> {
    match params.get(name) {
        None => Ok(None),
        Some(text) => text.trim().parse::<i64>().map(Some).map_err(|_| {
            AwsError::validation(format!(
                "1 validation error detected: Value '{text}' at '{member}' failed to satisfy constraint: Member must be a number"
            ))
        }),
    }
}

fn policy_arns(params: &QueryParams) -> Vec<String> {
    params
        .structs("PolicyArns", &["arn"])
        .into_iter()
        .filter_map(|m| m.get("arn").cloned())
        .collect()
}
