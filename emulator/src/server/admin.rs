//! The admin API, under `/_rolechain/` (documented in `docs/admin-api.md`):
//! mint service-account tokens, read and move the clock, query the audit
//! log, rotate issuer keys, fetch the CA. It is for the person or test
//! driving the emulator, so it is not SigV4-authenticated; the emulator
//! listens on loopback by default.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{Response, StatusCode, header};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::json_response;
use crate::audit::AuditFilter;
use crate::clock;
use crate::emulator::Emulator;
use crate::issuer::TokenRequest;

pub fn router() -> Router<Arc<Emulator>> {
    Router::new()
        .route("/health", get(|| async { Json(json!({ "status": "ok" })) }))
        .route("/status", get(status))
        .route("/tokens", post(mint_token))
        .route("/clock", get(read_clock).post(move_clock))
        .route("/audit", get(query_audit).delete(clear_audit))
        .route("/ca.pem", get(ca_pem))
        .route("/issuers", get(list_issuers))
        .route("/issuers/{name}/rotate", post(rotate_key))
        .route("/issuers/{name}/retire", post(retire_key))
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response<Body> {
    json_response(status, json!({ "error": code, "message": message.into() }).to_string())
}

fn ok(value: Value) -> Response<Body> {
    json_response(StatusCode::OK, value.to_string())
}

async fn status(State(emulator): State<Arc<Emulator>>) -> Response<Body> {
    let state = emulator.read_state();
    ok(json!({
        "region": emulator.region,
        "evaluator": emulator.evaluator_name,
        "now": clock::iso8601(emulator.clock.now()),
        "accounts": state.accounts.keys().collect::<Vec<_>>(),
        "sessions": state.sessions.len(),
        "issuers": emulator.read_issuers().iter().map(|(n, e)| json!({"name": n, "url": e.issuer.url()})).collect::<Vec<_>>(),
        "thumbprint": emulator.tls.thumbprint,
    }))
}

/// A token request, as `rolechain token` and tests send it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MintRequest {
    /// The issuer's name; may be left out when the world has one issuer.
    #[serde(default)]
    pub issuer: Option<String>,
    pub namespace: String,
    pub service_account: String,
    #[serde(default)]
    pub audiences: Vec<String>,
    #[serde(default)]
    pub expiration_seconds: Option<i64>,
    #[serde(default)]
    pub pod: Option<String>,
    #[serde(default)]
    pub node: Option<String>,
}

/// Mints a token as the issuer would for a pod of the service account.
pub fn mint(emulator: &Emulator, request: &MintRequest) -> Result<Value, (StatusCode, &'static str, String)> {
    let issuers = emulator.read_issuers();
    let entry = match &request.issuer {
        Some(name) => issuers.get(name),
        None if issuers.len() == 1 => issuers.values().next(),
        None => {
            return Err((
                StatusCode::BAD_REQUEST,
                "IssuerRequired",
                format!(
                    "the world has {} issuers: name one of {:?}",
                    issuers.len(),
                    issuers.keys().collect::<Vec<_>>()
                ),
            ));
        }
    }
    .ok_or_else(|| {
        (
            StatusCode::NOT_FOUND,
            "NoSuchIssuer",
            format!("no issuer is named {:?}", request.issuer.as_deref().unwrap_or_default()),
        )
    })?;
    if let Some(allowed) = &entry.service_accounts
        && !allowed
            .iter()
            .any(|(ns, sa)| *ns == request.namespace && *sa == request.service_account)
    {
        return Err((
            StatusCode::FORBIDDEN,
            "ServiceAccountNotAllowed",
            format!(
                "the world does not let {}/{} get tokens from issuer {}",
                request.namespace,
                request.service_account,
                entry.issuer.url()
            ),
        ));
    }
    let token_request = TokenRequest {
        namespace: request.namespace.clone(),
        service_account: request.service_account.clone(),
        audiences: request.audiences.clone(),
        expiration_seconds: request.expiration_seconds,
        pod: request.pod.clone(),
        node: request.node.clone(),
    };
    let minted = entry
        .issuer
        .mint(&token_request, emulator.clock.now())
        .map_err(|e| (StatusCode::BAD_REQUEST, "InvalidTokenRequest", e.to_string()))?;
    Ok(json!({
        "token": minted.token,
        "issuedAt": minted.issued_at,
        "expiresAt": minted.expires_at,
        "expiration": clock::iso8601(minted.expires_at),
        "kid": minted.kid,
        "claims": minted.claims,
    }))
}

async fn mint_token(State(emulator): State<Arc<Emulator>>, body: axum::body::Bytes) -> Response<Body> {
    let request: MintRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "InvalidRequest", e.to_string()),
    };
    match mint(&emulator, &request) {
        Ok(v) => ok(v),
        Err((status, code, message)) => error(status, code, message),
    }
}

fn clock_json(emulator: &Emulator) -> Value {
    let now_ms = emulator.clock.now_millis();
    json!({
        "epochMillis": now_ms,
        "epochSeconds": now_ms.div_euclid(1000),
        "iso": clock::iso8601(now_ms.div_euclid(1000)),
        "rate": emulator.clock.rate(),
    })
}

async fn read_clock(State(emulator): State<Arc<Emulator>>) -> Response<Body> {
    ok(clock_json(&emulator))
}

/// `{"set": "2026-01-01T00:00:00Z" | epochSeconds, "advanceSeconds": n, "rate": r}`, any combination.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClockChange {
    #[serde(default)]
    pub set: Option<Value>,
    #[serde(default)]
    pub advance_seconds: Option<f64>,
    #[serde(default)]
    pub rate: Option<f64>,
}

/// Applies a clock change; nothing moves unless every part of it is valid.
pub fn change_clock(emulator: &Emulator, change: &ClockChange) -> Result<Value, String> {
    let set = match &change.set {
        None => None,
        Some(Value::String(s)) => Some(
            clock::parse_iso8601(s)
                .ok_or_else(|| format!("'{s}' is not an ISO-8601 time such as 2026-01-01T00:00:00Z"))?,
        ),
        Some(Value::Number(n)) => Some(n.as_i64().ok_or("set: epoch seconds must be a whole number")?),
        Some(other) => {
            return Err(format!(
                "set: expected an ISO-8601 string or epoch seconds, got {other}"
            ));
        }
    };
    if let Some(rate) = change.rate
        && !(rate.is_finite() && rate >= 0.0)
    {
        return Err(format!(
            "rate: {rate} is not a rate; use 0 (frozen), 1 (real time) or more"
        ));
    }
    if change.advance_seconds.is_some_and(|a| !a.is_finite()) {
        return Err("advanceSeconds must be a finite number".into());
    }
    if let Some(seconds) = set {
        emulator.clock.set_millis(seconds * 1000);
    }
    if let Some(advance) = change.advance_seconds {
        emulator.clock.advance_millis((advance * 1000.0) as i64);
    }
    if let Some(rate) = change.rate {
        emulator.clock.set_rate(rate);
    }
    Ok(clock_json(emulator))
}

async fn move_clock(State(emulator): State<Arc<Emulator>>, body: axum::body::Bytes) -> Response<Body> {
    let change: ClockChange = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, "InvalidRequest", e.to_string()),
    };
    match change_clock(&emulator, &change) {
        Ok(v) => ok(v),
        Err(message) => error(StatusCode::BAD_REQUEST, "InvalidClockChange", message),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuditQuery {
    event_name: Option<String>,
    event_source: Option<String>,
    error_code: Option<String>,
    denied: Option<bool>,
    principal: Option<String>,
    limit: Option<usize>,
}

async fn query_audit(State(emulator): State<Arc<Emulator>>, Query(q): Query<AuditQuery>) -> Response<Body> {
    let filter = AuditFilter {
        event_name: q.event_name,
        event_source: q.event_source,
        error_code: q.error_code,
        denied: q.denied,
        principal: q.principal,
        limit: q.limit,
    };
    ok(json!({ "events": emulator.audit.query(&filter) }))
}

async fn clear_audit(State(emulator): State<Arc<Emulator>>) -> Response<Body> {
    emulator.audit.clear();
    ok(json!({ "cleared": true }))
}

async fn ca_pem(State(emulator): State<Arc<Emulator>>) -> Response<Body> {
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-pem-file")
        .body(Body::from(emulator.tls.ca_cert_pem.clone()))
        .unwrap_or_default()
}

async fn list_issuers(State(emulator): State<Arc<Emulator>>) -> Response<Body> {
    let issuers = emulator.read_issuers();
    ok(json!({
        "issuers": issuers.iter().map(|(name, e)| json!({
            "name": name,
            "url": e.issuer.url(),
            "activeKid": e.issuer.active_kid(),
            "jwks": e.issuer.jwks(),
        })).collect::<Vec<_>>()
    }))
}

async fn rotate_key(State(emulator): State<Arc<Emulator>>, Path(name): Path<String>) -> Response<Body> {
    let mut issuers = emulator.write_issuers();
    let Some(entry) = issuers.get_mut(&name) else {
        return error(
            StatusCode::NOT_FOUND,
            "NoSuchIssuer",
            format!("no issuer is named {name:?}"),
        );
    };
    match entry.issuer.rotate() {
        Ok(kid) => ok(json!({ "activeKid": kid, "jwks": entry.issuer.jwks() })),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "RotationFailed", e.to_string()),
    }
}

#[derive(Debug, Deserialize)]
struct RetireRequest {
    kid: String,
}

async fn retire_key(
    State(emulator): State<Arc<Emulator>>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response<Body> {
    let request: RetireRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::BAD_REQUEST, "InvalidRequest", e.to_string()),
    };
    let mut issuers = emulator.write_issuers();
    let Some(entry) = issuers.get_mut(&name) else {
        return error(
            StatusCode::NOT_FOUND,
            "NoSuchIssuer",
            format!("no issuer is named {name:?}"),
        );
    };
    match entry.issuer.retire(&request.kid) {
        Ok(()) => ok(json!({ "jwks": entry.issuer.jwks() })),
        Err(e) => error(StatusCode::BAD_REQUEST, "RetireFailed", e.to_string()),
    }
}
