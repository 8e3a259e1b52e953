//! HTTP at the edge: one endpoint for STS, IAM and DynamoDB, routed as AWS
//! clients address them — awsQuery `Action` (and `Version`) for STS and IAM,
//! `X-Amz-Target` for DynamoDB's JSON 1.0 — plus the admin API under
//! `/_rolechain/` and the issuer's documents, which are also served over
//! HTTPS by [`issuer_router`].

pub mod admin;
mod dynamodb;
mod iam;
pub mod listen;
mod sts;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Method, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use rolechain_sigv4::SignedRequest;

use crate::emulator::Emulator;
use crate::error::AwsError;
use crate::ids;
use crate::query::{self, QueryParams};

/// The largest request body read (STS and IAM requests are small; policy
/// documents are capped at 131,072 characters by IAM).
pub const MAX_BODY: usize = 1024 * 1024;

/// The reserved path prefix of the admin API.
pub const ADMIN_PREFIX: &str = "/_rolechain";

/// The router of the main endpoint.
pub fn router(emulator: Arc<Emulator>) -> Router {
    Router::new()
        .nest(ADMIN_PREFIX, admin::router())
        .fallback(aws)
        .with_state(emulator)
}

/// The router of the issuer's HTTPS endpoint: discovery and JWKS of every
/// built-in issuer, found by the path of its URL.
pub fn issuer_router(emulator: Arc<Emulator>) -> Router {
    Router::new().fallback(issuer_document).with_state(emulator)
}

/// A request as the edge reads it, before it knows which service it is for.
#[derive(Debug)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub source_ip: String,
    pub user_agent: String,
}

impl RawRequest {
    pub fn signed(&self) -> SignedRequest<'_> {
        SignedRequest::new(&self.method, &self.path, &self.query, &self.headers, &self.body)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

async fn read(request: Request<Body>) -> Result<RawRequest, Response<Body>> {
    let source_ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "127.0.0.1".into());
    let (parts, body) = request.into_parts();
    let headers = header_pairs(&parts.headers);
    let body = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        plain_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("The request body is larger than {MAX_BODY} bytes."),
        )
    })?;
    let user_agent = parts
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    Ok(RawRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers,
        body,
        source_ip,
        user_agent,
    })
}

fn header_pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Every AWS call: awsQuery (STS, IAM) by `Action`.
async fn aws(State(emulator): State<Arc<Emulator>>, request: Request<Body>) -> Response<Body> {
    if request.method() != Method::POST && request.method() != Method::GET {
        return plain_error(StatusCode::METHOD_NOT_ALLOWED, "Only POST and GET are served.");
    }
    let raw = match read(request).await {
        Ok(raw) => raw,
        Err(response) => return response,
    };
    if dynamodb::serves(&raw) {
        return dynamodb::handle(&emulator, &raw, &ids::request_id()).await;
    }
    let body_is_form = raw.method == "POST";
    let params = if body_is_form {
        QueryParams::merged(raw.query.as_bytes(), &raw.body)
    } else {
        QueryParams::parse(raw.query.as_bytes())
    };
    let request_id = ids::request_id();
    match params.action() {
        Some(action) if sts::serves(action, &params) => sts::handle(&emulator, &raw, &params, &request_id).await,
        Some(action) if iam::serves(action, &params) => iam::handle(&emulator, &raw, &params, &request_id),
        Some(action) => query_error(
            sts::NAMESPACE,
            &AwsError::new(
                "InvalidAction",
                400,
                format!(
                    "Could not find operation {action} for version {}",
                    params.get("Version").unwrap_or("")
                ),
            ),
            &request_id,
        ),
        None => query_error(
            sts::NAMESPACE,
            &AwsError::new("MissingAction", 400, "Missing Action"),
            &request_id,
        ),
    }
}

/// What the audit event of a call names: the service and the operation.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallName<'a> {
    pub event_source: &'a str,
    pub event_name: &'a str,
    pub region: &'a str,
    /// A data event's CloudTrail resource type (`AWS::DynamoDB::Table`); the
    /// resources are those the call's decisions were about.
    pub data_resource_type: Option<&'static str>,
}

/// Records one call's audit event: who called (from the trail, else the
/// access key the request named), what was decided, and how it ended.
pub(crate) fn record_call(
    emulator: &Emulator,
    raw: &RawRequest,
    request_id: &str,
    name: CallName<'_>,
    mut trail: crate::sts::Trail,
    parameters: serde_json::Value,
    outcome: Result<serde_json::Value, (&str, &str)>,
) {
    let data_resources: Vec<(String, &'static str)> = match name.data_resource_type {
        Some(kind) => {
            let mut arns: Vec<String> = trail.decisions.iter().map(|(_, r, _)| r.clone()).collect();
            arns.dedup();
            arns.into_iter().map(|arn| (arn, kind)).collect()
        }
        None => Vec::new(),
    };
    let call = crate::audit::Call {
        data_resources: &data_resources,
        event_source: name.event_source,
        event_name: name.event_name,
        region: name.region,
        request_id,
        source_ip: &raw.source_ip,
        user_agent: &raw.user_agent,
        time: emulator.clock.now(),
        recipient_account: trail.recipient_account.as_deref(),
    };
    let identity = trail
        .identity
        .take()
        .unwrap_or_else(|| crate::audit::unknown_identity(crate::auth::claimed_access_key(&raw.signed()).as_deref()));
    let decisions: Vec<(&str, &str, _)> = trail
        .decisions
        .iter()
        .map(|(a, r, d)| (a.as_str(), r.as_str(), d))
        .collect();
    emulator.audit.record_call(
        &call,
        &identity,
        &parameters,
        outcome.as_ref().map_err(|e| *e),
        &decisions,
    );
}

/// An awsQuery success: XML with the request id header.
pub fn query_ok(body: String, request_id: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "text/xml")
        .header("x-amzn-RequestId", request_id)
        .body(Body::from(body))
        .unwrap_or_default()
}

/// An awsQuery `ErrorResponse`.
pub fn query_error(namespace: &str, error: &AwsError, request_id: &str) -> Response<Body> {
    let body = query::error_response(namespace, error.sender_fault, &error.code, &error.message, request_id);
    Response::builder()
        .status(StatusCode::from_u16(error.status).unwrap_or(StatusCode::BAD_REQUEST))
        .header(header::CONTENT_TYPE, "text/xml")
        .header("x-amzn-RequestId", request_id)
        .body(Body::from(body))
        .unwrap_or_default()
}

fn plain_error(status: StatusCode, message: &str) -> Response<Body> {
    (status, message.to_string()).into_response()
}

/// `<issuer path>/.well-known/openid-configuration` and `<issuer path>/keys.json`.
async fn issuer_document(State(emulator): State<Arc<Emulator>>, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(|h| h.rsplit_once(':').map_or(h, |(h, _)| h).to_string());
    match issuer_document_for(&emulator, host.as_deref(), &path) {
        Some(json) => json_response(StatusCode::OK, json),
        None => plain_error(StatusCode::NOT_FOUND, "No issuer document here."),
    }
}

/// The document at `path` of the built-in issuer whose URL path prefixes it.
/// The host picks the issuer when two share a path; otherwise any host works,
/// so `https://127.0.0.1:PORT/my-cluster/...` reaches `https://oidc.rolechain.local/my-cluster`.
pub fn issuer_document_for(emulator: &Emulator, host: Option<&str>, path: &str) -> Option<String> {
    let issuers = emulator.read_issuers();
    let mut candidates: Vec<(bool, String)> = issuers
        .values()
        .filter_map(|entry| {
            let json = entry.issuer.document_for_path(path)?;
            let issuer_host = entry.issuer.url().strip_prefix("https://")?.split(['/', ':']).next()?;
            Some((host == Some(issuer_host), json))
        })
        .collect();
    candidates.sort_by_key(|(host_matches, _)| !host_matches);
    candidates.into_iter().next().map(|(_, json)| json)
}

pub fn json_response(status: StatusCode, body: String) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body))
        .unwrap_or_default()
}
