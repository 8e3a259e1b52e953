//! Real HTTPS: a tokio-rustls server on 127.0.0.1 with our own TlsMaterial, serving an Issuer's
//! discovery and JWKS.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::*;
use crate::issuer::tls::TlsMaterial;
use crate::issuer::{Issuer, TokenRequest};
use crate::webidentity::{check_claims, inspect, verify_signature};

const NOW: i64 = 1_700_000_000;

struct Server {
    addr: SocketAddr,
    url: String,
    issuer: Arc<Mutex<Issuer>>,
    tls: TlsMaterial,
    requests: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn hosts() -> Vec<String> {
    vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "oidc.rolechain.local".to_string(),
    ]
}

/// Serves a fresh issuer for `https://127.0.0.1:<port>` over HTTPS with `tls`.
async fn serve(tls: TlsMaterial) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let url = format!("https://127.0.0.1:{}", addr.port());
    let issuer = Arc::new(Mutex::new(Issuer::generate(&url).unwrap()));
    let requests = Arc::new(AtomicUsize::new(0));
    let acceptor = TlsAcceptor::from(tls.server_config().unwrap());
    let (served, counter) = (Arc::clone(&issuer), Arc::clone(&requests));
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, issuer, counter) = (acceptor.clone(), Arc::clone(&served), Arc::clone(&counter));
            tokio::spawn(async move {
                let Ok(stream) = acceptor.accept(tcp).await else { return };
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let body = issuer.lock().unwrap().document_for_path(req.uri().path());
                    async move {
                        let response = match body {
                            Some(body) => Response::new(Full::new(Bytes::from(body))),
                            None => {
                                let mut r = Response::new(Full::new(Bytes::from_static(b"not found")));
                                *r.status_mut() = StatusCode::NOT_FOUND;
                                r
                            }
                        };
                        Ok::<_, Infallible>(response)
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Server {
        addr,
        url,
        issuer,
        tls,
        requests,
        task,
    }
}

fn mint(server: &Server) -> String {
    let issuer = server.issuer.lock().unwrap();
    issuer
        .mint(&TokenRequest::new("ns", "sa", ["sts.amazonaws.com"]), NOW)
        .unwrap()
        .token
}

fn verifies(token: &str, jwks: &Jwks) -> bool {
    let parsed = inspect(token).unwrap();
    verify_signature(&parsed, jwks).is_ok() && check_claims(&parsed, NOW, &["sts.amazonaws.com".into()]).is_ok()
}

#[tokio::test]
async fn fetch_verifies_and_caches_on_the_virtual_clock() {
    let server = serve(TlsMaterial::generate(&hosts()).unwrap()).await;
    let keys = ExternalKeys::new();
    let pins = vec![server.tls.thumbprint.to_lowercase()];
    let jwks = keys.fetch(&server.url, &pins, None, NOW).await.unwrap();
    assert_eq!(jwks.len(), 1);
    assert_eq!(
        jwks.kids(),
        vec![server.issuer.lock().unwrap().active_kid().to_string()]
    );
    assert!(verifies(&mint(&server), &jwks));
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);

    // Cached within the TTL, refetched after it.
    keys.fetch(&server.url, &pins, None, NOW + DEFAULT_TTL_SECONDS - 1)
        .await
        .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);
    keys.fetch(&server.url, &pins, None, NOW + DEFAULT_TTL_SECONDS)
        .await
        .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 4);

    // A cached entry is not trusted under a thumbprint list that no longer has its pin.
    let err = keys
        .fetch(&server.url, &["0".repeat(40)], None, NOW + DEFAULT_TTL_SECONDS)
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::ThumbprintMismatch { .. }), "{err:?}");

    // With the CA as an explicit root, too.
    let fresh = ExternalKeys::new();
    let jwks = fresh
        .fetch(&server.url, &pins, Some(&server.tls.ca_cert_pem), NOW)
        .await
        .unwrap();
    assert!(verifies(&mint(&server), &jwks));
}

#[tokio::test]
async fn wrong_thumbprint_or_untrusted_chain_is_refused() {
    let server = serve(TlsMaterial::generate(&hosts()).unwrap()).await;
    let keys = ExternalKeys::new();
    let err = keys.fetch(&server.url, &["A".repeat(40)], None, NOW).await.unwrap_err();
    assert_eq!(err.code(), "InvalidIdentityToken");
    assert_eq!(
        err.message(),
        "OpenIDConnect provider's HTTPS certificate doesn't match configured thumbprint"
    );
    assert!(matches!(&err, TokenError::ThumbprintMismatch { observed } if *observed == server.tls.thumbprint));

    // Roots of another CA: the chain does not verify.
    let other = TlsMaterial::generate(&hosts()).unwrap();
    let err = keys
        .fetch(
            &server.url,
            std::slice::from_ref(&server.tls.thumbprint),
            Some(&other.ca_cert_pem),
            NOW,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::ThumbprintMismatch { .. }), "{err:?}");

    // The right CA appended to a chain it did not issue: pinning the last certificate is not
    // fooled, because the chain must verify up to it.
    let forged = TlsMaterial {
        ca_cert_pem: server.tls.ca_cert_pem.clone(),
        ..other.clone()
    };
    let impostor = serve(forged).await;
    let err = keys
        .fetch(&impostor.url, std::slice::from_ref(&server.tls.thumbprint), None, NOW)
        .await
        .unwrap_err();
    assert!(matches!(err, TokenError::ThumbprintMismatch { .. }), "{err:?}");
    assert_eq!(impostor.requests.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn unreachable_issuer_is_an_idp_communication_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let keys = ExternalKeys::new();
    let err = keys
        .fetch(&format!("https://127.0.0.1:{port}"), &["A".repeat(40)], None, NOW)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "IDPCommunicationError", "{err:?}");
    assert!(err.is_retryable());

    // Accepts TCP, never answers: the timeout applies.
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://127.0.0.1:{}", silent.local_addr().unwrap().port());
    let keys = ExternalKeys::new().with_timeout(Duration::from_millis(300));
    let err = keys.fetch(&url, &["A".repeat(40)], None, NOW).await.unwrap_err();
    assert_eq!(err.code(), "IDPCommunicationError", "{err:?}");
    drop(silent);
}

#[tokio::test]
async fn bad_documents_are_a_key_retrieval_error() {
    let server = serve(TlsMaterial::generate(&hosts()).unwrap()).await;
    let keys = ExternalKeys::new();
    let pins = vec![server.tls.thumbprint.clone()];
    // Discovery not found under another path.
    let err = keys
        .fetch(&format!("{}/other", server.url), &pins, None, NOW)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TokenError::KeyRetrieval { reason } if reason.contains("404")),
        "{err:?}"
    );
    assert!(
        err.message()
            .starts_with("Couldn't retrieve verification key from your identity provider,  please")
    );
    // Same server under another name: the discovery issuer does not match the URL asked for.
    let by_name = format!("https://localhost:{}", server.addr.port());
    let err = keys.fetch(&by_name, &pins, None, NOW).await.unwrap_err();
    assert!(
        matches!(&err, TokenError::KeyRetrieval { reason } if reason.contains("discovery issuer")),
        "{err:?}"
    );
}

#[tokio::test]
async fn host_name_must_be_in_the_certificate() {
    let server = serve(TlsMaterial::generate(&["127.0.0.1".to_string()]).unwrap()).await;
    let keys = ExternalKeys::new();
    let pins = vec![server.tls.thumbprint.clone()];
    assert!(keys.fetch(&server.url, &pins, None, NOW).await.is_ok());
    let by_name = format!("https://localhost:{}", server.addr.port());
    let err = keys.fetch(&by_name, &pins, None, NOW).await.unwrap_err();
    assert!(matches!(err, TokenError::ThumbprintMismatch { .. }), "{err:?}");
}

#[tokio::test]
async fn unknown_kid_refetches_once_then_rate_limits() {
    let server = serve(TlsMaterial::generate(&hosts()).unwrap()).await;
    let keys = ExternalKeys::new();
    let pins = vec![server.tls.thumbprint.clone()];
    let old_token = mint(&server);
    let jwks = keys.fetch(&server.url, &pins, None, NOW).await.unwrap();
    assert!(verifies(&old_token, &jwks));

    let new_kid = server.issuer.lock().unwrap().rotate().unwrap();
    let new_token = mint(&server);
    let stale = keys.fetch(&server.url, &pins, None, NOW + 1).await.unwrap();
    assert!(!verifies(&new_token, &stale), "cached set predates the rotation");
    assert_eq!(server.requests.load(Ordering::SeqCst), 2);

    let jwks = keys
        .fetch_for_kid(&server.url, &pins, None, Some(&new_kid), NOW + 1)
        .await
        .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 4);
    assert!(verifies(&new_token, &jwks));
    assert!(verifies(&old_token, &jwks), "the old key is still published");

    // Known kid: cache. Unknown kid: one refetch, then none within the interval.
    keys.fetch_for_kid(&server.url, &pins, None, Some(&new_kid), NOW + 2)
        .await
        .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 4);
    keys.fetch_for_kid(&server.url, &pins, None, Some("bogus"), NOW + 2)
        .await
        .unwrap();
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        4,
        "rate-limited: refetched at NOW + 1"
    );
    keys.fetch_for_kid(
        &server.url,
        &pins,
        None,
        Some("bogus"),
        NOW + 1 + DEFAULT_KID_REFETCH_INTERVAL_SECONDS,
    )
    .await
    .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 6);
    keys.fetch_for_kid(
        &server.url,
        &pins,
        None,
        Some("bogus"),
        NOW + 2 + DEFAULT_KID_REFETCH_INTERVAL_SECONDS,
    )
    .await
    .unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 6);

    keys.invalidate(&server.url);
    keys.fetch(&server.url, &pins, None, NOW + 3).await.unwrap();
    assert_eq!(server.requests.load(Ordering::SeqCst), 8);
}

/// STS awaits these inside request handlers that run on a multi-threaded runtime.
#[test]
fn futures_are_send() {
    fn is_send<T: Send>(_: &T) {}
    let keys = ExternalKeys::new();
    is_send(&keys.fetch("https://x", &[], None, NOW));
    is_send(&keys.fetch_for_kid("https://x", &[], None, Some("k"), NOW));
    fn is_sync<T: Send + Sync>() {}
    is_sync::<ExternalKeys>();
    is_sync::<Jwks>();
    is_sync::<crate::issuer::Issuer>();
}

/// A TLS server that answers every connection with `reply`, whatever was asked.
async fn raw_server(tls: &TlsMaterial, reply: Vec<u8>) -> (String, tokio::task::JoinHandle<()>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let acceptor = TlsAcceptor::from(tls.server_config().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, reply) = (acceptor.clone(), reply.clone());
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 1024];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&reply).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    (url, task)
}

#[tokio::test]
async fn garbage_and_oversize_answers_are_a_key_retrieval_error() {
    let tls = TlsMaterial::generate(&hosts()).unwrap();
    let pins = vec![tls.thumbprint.clone()];
    let keys = ExternalKeys::new();
    let (url, task) = raw_server(&tls, b"SSH-2.0-OpenSSH_9.6\r\n\r\n".to_vec()).await;
    let err = keys.fetch(&url, &pins, None, NOW).await.unwrap_err();
    assert!(matches!(err, TokenError::KeyRetrieval { .. }), "{err:?}");
    task.abort();

    let mut huge = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", 2 << 20).into_bytes();
    huge.resize(huge.len() + (2 << 20), b' ');
    let (url, task) = raw_server(&tls, huge).await;
    let err = keys.fetch(&url, &pins, None, NOW).await.unwrap_err();
    assert!(
        matches!(&err, TokenError::KeyRetrieval { reason } if reason.contains("body")),
        "{err:?}"
    );
    task.abort();

    let (url, task) = raw_server(&tls, b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nnot json".to_vec()).await;
    let err = keys.fetch(&url, &pins, None, NOW).await.unwrap_err();
    assert!(
        matches!(&err, TokenError::KeyRetrieval { reason } if reason.contains("not JSON")),
        "{err:?}"
    );
    task.abort();
}
