//! A minimal HTTPS GET client for fetching an issuer's discovery document and JWKS.
//!
//! Written by hand over tokio-rustls rather than with hyper's client because the crate builds
//! hyper with server features only; a GET of a small JSON document with `Connection: close`
//! needs little: a status line, headers, and a body delimited by `Content-Length`, chunked
//! encoding, or the end of the connection. Responses are capped at [`MAX_RESPONSE_BYTES`].

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Largest response (head and body) read from an issuer. JWKS documents are a few KiB.
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
    let mut tls = TlsConnector::from(config)
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
    let request = format!(
        concat!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n",
            "User-Agent: rolechain-sts\r\nConnection: close\r\n\r\n"
        ),
        url.path, url.authority
    );
    tls.write_all(request.as_bytes())
        .await
        .map_err(|e| FetchError::Unreachable(format!("send request: {e}")))?;
    tls.flush()
        .await
        .map_err(|e| FetchError::Unreachable(format!("send request: {e}")))?;

    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let eof = match tls.read(&mut chunk).await {
            Ok(0) => true,
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                false
            }
            // Servers often close without TLS close_notify; the framing decides completeness.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => true,
            Err(e) => return Err(FetchError::Unreachable(format!("read response: {e}"))),
        };
        if buf.len() > MAX_RESPONSE_BYTES {
            return Err(FetchError::Protocol(format!(
                "response larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        if let Some((status, body)) = parse_response(&buf, eof).map_err(FetchError::Protocol)? {
            return Ok(Response {
                status,
                body,
                peer_chain,
            });
        }
        if eof {
            return Err(FetchError::Protocol(
                "connection closed before a complete response".to_string(),
            ));
        }
    }
}

/// Parses a complete HTTP/1.x response from `buf`; `Ok(None)` means more bytes are needed
/// (`eof` says none will come).
pub(crate) fn parse_response(mut buf: &[u8], eof: bool) -> Result<Option<(u16, Vec<u8>)>, String> {
    // Interim responses (1xx, e.g. 103 Early Hints) precede the real one; skip them in a loop
    // (not recursion: a hostile server could send thousands).
    let (status, lines, rest) = loop {
        let Some(head_end) = find(buf, b"\r\n\r\n") else {
            return if eof {
                Err("truncated response head".to_string())
            } else {
                Ok(None)
            };
        };
        let head = std::str::from_utf8(&buf[..head_end]).map_err(|_| "response head is not UTF-8".to_string())?;
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut fields = status_line.splitn(3, ' ');
        if !fields.next().unwrap_or_default().starts_with("HTTP/1.") {
            return Err(format!("not an HTTP/1.x status line: {status_line:?}"));
        }
        let status: u16 = fields
            .next()
            .and_then(|s| s.parse().ok())
            .filter(|s| (100..600).contains(s))
            .ok_or_else(|| format!("bad status line: {status_line:?}"))?;
        let rest = &buf[head_end + 4..];
        if (100..200).contains(&status) {
            buf = rest;
            continue;
        }
        break (status, lines, rest);
    };
    let mut chunked = false;
    let mut length = None;
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line: {line:?}"))?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().split(',').any(|v| v.trim() == "chunked");
        } else if name.eq_ignore_ascii_case("content-length") {
            let n: usize = value.parse().map_err(|_| format!("bad Content-Length: {value:?}"))?;
            if length.is_some_and(|l| l != n) {
                return Err("conflicting Content-Length headers".to_string());
            }
            length = Some(n);
        }
    }
    if chunked {
        return match decode_chunked(rest)? {
            Some(body) => Ok(Some((status, body))),
            None if eof => Err("truncated chunked body".to_string()),
            None => Ok(None),
        };
    }
    match length {
        Some(n) if rest.len() >= n => Ok(Some((status, rest[..n].to_vec()))),
        Some(_) if eof => Err("body shorter than Content-Length".to_string()),
        Some(_) => Ok(None),
        None if eof => Ok(Some((status, rest.to_vec()))),
        None => Ok(None),
    }
}

/// Decodes a chunked body; `Ok(None)` if the last chunk has not arrived yet.
fn decode_chunked(mut input: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let mut body = Vec::new();
    loop {
        let Some(line_end) = find(input, b"\r\n") else {
            return Ok(None);
        };
        let line = std::str::from_utf8(&input[..line_end]).map_err(|_| "bad chunk size line".to_string())?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| format!("bad chunk size {size_text:?}"))?;
        if size > MAX_RESPONSE_BYTES {
            return Err("chunk too large".to_string());
        }
        input = &input[line_end + 2..];
        if size == 0 {
            return Ok(Some(body));
        }
        if input.len() < size + 2 {
            return Ok(None);
        }
        if &input[size..size + 2] != b"\r\n" {
            return Err("chunk not terminated by CRLF".to_string());
        }
        body.extend_from_slice(&input[..size]);
        input = &input[size + 2..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
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

    #[test]
    fn responses() {
        let r = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_response(r, false).unwrap(), Some((200, b"hello".to_vec())));
        assert_eq!(parse_response(&r[..r.len() - 1], false).unwrap(), None);
        assert!(parse_response(&r[..r.len() - 1], true).is_err());
        let c = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n";
        assert_eq!(parse_response(c, false).unwrap(), Some((200, b"hello".to_vec())));
        assert_eq!(parse_response(&c[..40], false).unwrap(), None);
        let e = b"HTTP/1.0 404 Not Found\r\n\r\nnope";
        assert_eq!(parse_response(e, false).unwrap(), None);
        assert_eq!(parse_response(e, true).unwrap(), Some((404, b"nope".to_vec())));
        let interim = b"HTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
        assert_eq!(parse_response(interim, false).unwrap(), Some((200, b"ok".to_vec())));
        for bad in [
            &b"SSH-2.0\r\n\r\n"[..],
            b"HTTP/1.1 abc\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        ] {
            assert!(parse_response(bad, true).is_err());
        }
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true).is_err());
    }
}
