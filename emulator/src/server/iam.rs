//! The awsQuery edge of IAM: authenticate, hand the call to `iam`, audit it.

use axum::body::Body;
use axum::http::Response;
use serde_json::Value;

use super::{CallName, RawRequest, query_error, query_ok, record_call};
use crate::auth::{self, Service};
use crate::emulator::Emulator;
use crate::iam;
use crate::query::QueryParams;
use crate::sts::Trail;

const VERSION: &str = "2010-05-08";

/// Whether the call is for IAM: its Version, else its Action.
pub fn serves(action: &str, params: &QueryParams) -> bool {
    match params.get("Version") {
        Some(v) => v == VERSION,
        None => iam::serves(action),
    }
}

pub fn handle(emulator: &Emulator, raw: &RawRequest, params: &QueryParams, request_id: &str) -> Response<Body> {
    let action = params.action().unwrap_or_default().to_string();
    let mut trail = Trail::default();
    let outcome = auth::authenticate(emulator, &raw.signed(), Service::Iam)
        .and_then(|caller| iam::handle(emulator, &caller, params, request_id, &mut trail));
    let name = CallName {
        data_resource_type: None,
        event_source: "iam.amazonaws.com",
        event_name: &action,
        region: "us-east-1",
    };
    let parameters = super::sts::request_parameters(params);
    match outcome {
        Ok(body) => {
            record_call(emulator, raw, request_id, name, trail, parameters, Ok(Value::Null));
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
            query_error(iam::NAMESPACE, &error, request_id)
        }
    }
}
