//! The awsQuery edge of IAM: authenticate, hand the call to `iam`, audit it.

use axum::body::Body;
use axum::http::Response;
use serde_json::Value;

use super::{RawRequest, query_error, query_ok};
use crate::audit::{self, Call};
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
    let call = Call {
        event_source: "iam.amazonaws.com",
        event_name: &action,
        // IAM is global: CloudTrail records its events in us-east-1.
        region: "us-east-1",
        request_id,
        source_ip: &raw.source_ip,
        user_agent: &raw.user_agent,
        time: emulator.clock.now(),
        recipient_account: trail.recipient_account.as_deref(),
    };
    let identity = trail
        .identity
        .take()
        .unwrap_or_else(|| audit::unknown_identity(auth::claimed_access_key(&raw.signed()).as_deref()));
    let decisions: Vec<(&str, &str, _)> = trail
        .decisions
        .iter()
        .map(|(a, r, d)| (a.as_str(), r.as_str(), d))
        .collect();
    let parameters = super::sts::request_parameters(params);
    match outcome {
        Ok(body) => {
            emulator
                .audit
                .record(audit::event(&call, identity, parameters, Ok(Value::Null), &decisions));
            query_ok(body, request_id)
        }
        Err(error) => {
            emulator.audit.record(audit::event(
                &call,
                identity,
                parameters,
                Err((&error.code, &error.message)),
                &decisions,
            ));
            query_error(iam::NAMESPACE, &error, request_id)
        }
    }
}
