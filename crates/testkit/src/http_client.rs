//! An HTTP client for the AWS SDK for Rust that hands each request to the
//! emulator's router in this process: the SDK serialises, signs and parses
//! exactly as over the network, with no socket in between.

use std::sync::Arc;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;
use rolechain::emulator::Emulator;
use tower::ServiceExt;

#[derive(Clone)]
pub struct InProcessClient {
    router: axum::Router,
}

impl std::fmt::Debug for InProcessClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InProcessClient")
    }
}

impl InProcessClient {
    pub fn new(emulator: Arc<Emulator>) -> InProcessClient {
        InProcessClient {
            router: rolechain::server::router(emulator),
        }
    }
}

impl HttpConnector for InProcessClient {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let router = self.router.clone();
        HttpConnectorFuture::new(async move {
            let request = request
                .try_into_http1x()
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let (mut parts, body) = request.into_parts();
            // On the wire the client sends Host from the URI; the SDK signed it.
            if !parts.headers.contains_key(http::header::HOST)
                && let Some(authority) = parts.uri.authority()
                && let Ok(host) = http::HeaderValue::from_str(authority.as_str())
            {
                parts.headers.insert(http::header::HOST, host);
            }
            let bytes = body
                .collect()
                .await
                .map_err(|e| ConnectorError::other(e, None))?
                .to_bytes();
            let request = http::Request::from_parts(parts, axum::body::Body::from(bytes));
            let response = router
                .oneshot(request)
                .await
                .map_err(|e| ConnectorError::other(e.into(), None))?;
            let (parts, body) = response.into_parts();
            let bytes = body
                .collect()
                .await
                .map_err(|e| ConnectorError::other(e.into(), None))?
                .to_bytes();
            let response = http::Response::from_parts(parts, SdkBody::from(bytes));
            HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

impl HttpClient for InProcessClient {
    fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        SharedHttpConnector::new(self.clone())
    }
}
