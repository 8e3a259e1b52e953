//! A small HTTPS GET client for fetching an issuer's discovery document and JWKS: one
//! HTTP/1.1 request per connection with hyper's client connection over tokio-rustls, so the
//! certificate chain the server presented can be read from the TLS session. Bodies are capped at
//! [`MAX_RESPONSE_BYTES`].

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Empty, Limited};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Largest response body read from an issuer. JWKS documents are a few KiB.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// An `https://` URL split for connecting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HttpsUrl {
    /// Host name or IP address (IPv6 without brackets).
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `host[:port]` as written in the URL, for the `Host` header.
    pub(crate) authority: String,
    /// Path and query, at least `/`.
    pub(crate) path: String,
}

pub(crate) fn parse_https_url(url: &str) -> Result<HttpsUrl, String> {
    let rest = url
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])
        .ok_or_else(|| format!("{url:?} is not an https URL"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let mut path = rest[end..].split('#').next().unwrap_or_default().to_string();
    if path.is_empty() || path.starts_with('?') {
        path.insert(0, '/');
    }
    if authority.contains('@') || authority.is_empty() {
        return Err(format!("{url:?} has no usable host"));
    }
    if path.chars().any(|c| c.is_control() || c == ' ') {
        return Err(format!("{url:?} has characters not allowed in a request line"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{url:?}: unclosed IPv6 literal"))?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => 443,
        Some(p) => p.parse::<u16>().map_err(|_| format!("{url:?}: bad port"))?,
    };
    if host.is_empty() {
        return Err(format!("{url:?} has no host"));
    }
    Ok(HttpsUrl {
        host: host.to_string(),
        port,
        authority: authority.to_string(),
        path,
    })
}

/// A response and the certificate chain the server presented (leaf first).
#[derive(Debug)]
pub(crate) struct Response {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    pub(crate) peer_chain: Vec<CertificateDer<'static>>,
}

/// How a GET failed: the server could not be reached at all, its certificate was refused, or
/// it answered with something that is not a usable HTTP response.
#[derive(Debug)]
pub(crate) enum FetchError {
    Unreachable(String),
    Certificate(String),
    Protocol(String),
}

/// GET `url` over TLS with `config`. No redirects are followed, as a key fetch should not be
/// sent elsewhere than the issuer said.
pub(crate) async fn get(url: &HttpsUrl, config: Arc<ClientConfig>) -> Result<Response, FetchError> {
    let server_name = ServerName::try_from(url.host.clone())
        .map_err(|_| FetchError::Unreachable(format!("{:?} is not a valid server name", url.host)))?;
    let tcp = TcpStream::connect((url.host.as_str(), url.port))
        .await
        .map_err(|e| FetchError::Unreachable(format!("connect to {}: {e}", url.authority)))?;
    let tls = TlsConnector::from(config)
        .connect(server_name, tcp)
        .await
        .map_err(|e| {
            let certificate = e
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<rustls::Error>())
                .is_some_and(|r| {
                    matches!(
                        r,
                        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
                    )
                });
            if certificate {
                FetchError::Certificate(format!("TLS with {}: {e}", url.authority))
            } else {
                FetchError::Unreachable(format!("TLS with {}: {e}", url.authority))
            }
        })?;
    let peer_chain = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|c| c.to_vec())
        .unwrap_or_default();

    let (mut sender, connection) = hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(tls))
        .await
        .map_err(|e| FetchError::Unreachable(format!("HTTP/1.1 with {}: {e}", url.authority)))?;
    // The connection future drives the socket until the response has been read.
    let driver = tokio::spawn(connection);
    let result = async {
        let request = http::Request::get(url.path.as_str())
            .header(http::header::HOST, url.authority.as_str())
            .header(http::header::ACCEPT, "application/json")
            .header(http::header::USER_AGENT, "rolechain-sts")
            .body(Empty::<Bytes>::new())
            .map_err(|e| FetchError::Protocol(format!("request for {}: {e}", url.path)))?;
        let response = sender.send_request(request).await.map_err(|e| {
            if e.is_parse() || e.is_parse_status() || e.is_parse_too_large() {
                FetchError::Protocol(format!("response from {}: {e}", url.authority))
            } else {
                FetchError::Unreachable(format!("request to {}: {e}", url.authority))
            }
        })?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|e| FetchError::Protocol(format!("response body from {}: {e}", url.authority)))?
            .to_bytes()
            .to_vec();
        Ok(Response {
            status,
            body,
            peer_chain,
        })
    }
    .await;
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_https_url("https://127.0.0.1:8443/cluster/.well-known/openid-configuration").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.authority.as_str()),
            ("127.0.0.1", 8443, "127.0.0.1:8443")
        );
        assert_eq!(u.path, "/cluster/.well-known/openid-configuration");
        let u = parse_https_url("https://oidc.example.com").unwrap();
        assert_eq!((u.port, u.path.as_str()), (443, "/"));
        let u = parse_https_url("https://[::1]:9443/keys.json#frag").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("::1", 9443, "/keys.json"));
        for bad in [
            "http://x",
            "https://",
            "https://user@host/",
            "https://h:99999/",
            "https://h/a b",
            "ftp",
        ] {
            assert!(parse_https_url(bad).is_err(), "{bad}");
        }
    }
}
