//! Shared test helpers: a raw HTTP/1.1 request parser.

#![allow(dead_code)]

/// A raw request: method, path, query, headers, body.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Parses `METHOD target HTTP/1.1\nName:value\n…\n\nbody`. The target may
    /// contain spaces; lines starting with whitespace continue the previous
    /// header's value.
    pub fn parse(text: &str) -> RawRequest {
        let text = text.replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((text.as_str(), ""));
        let mut lines = head.lines();
        let request_line = lines.next().expect("request line");
        let (method, rest) = request_line.split_once(' ').expect("method");
        let target = rest.rsplit_once(' ').map_or(rest, |(t, _version)| t);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("continuation after a header");
                last.1.push(' ');
                last.1.push_str(line);
            } else if let Some((n, v)) = line.split_once(':') {
                headers.push((n.to_owned(), v.to_owned()));
            }
        }
        RawRequest {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn signed(&self, normalize_path: bool) -> rolechain_sigv4::SignedRequest<'_> {
        rolechain_sigv4::SignedRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
            normalize_path,
        }
    }
}

/// Signs `raw` in place with an `Authorization` header (test-side signer
/// built on the crate's own primitives): adds `X-Amz-Date` (and
/// `X-Amz-Security-Token`), signs every header present.
pub fn sign_header(
    raw: &mut RawRequest,
    akid: &str,
    secret: &str,
    scope: (&str, &str, &str, &str),
    amz_date: &str,
    token: Option<&str>,
) {
    let (date, region, service, terminator) = scope;
    raw.headers.push(("X-Amz-Date".to_owned(), amz_date.to_owned()));
    if let Some(t) = token {
        raw.headers.push(("X-Amz-Security-Token".to_owned(), t.to_owned()));
    }
    let mut signed: Vec<String> = raw.headers.iter().map(|(n, _)| n.to_ascii_lowercase()).collect();
    signed.sort();
    signed.dedup();
    let auth = rolechain_sigv4::ParsedAuth {
        location: rolechain_sigv4::AuthLocation::Header,
        access_key_id: akid.to_owned(),
        scope_date: date.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
        terminator: terminator.to_owned(),
        signed_headers: signed.clone(),
        signature: String::new(),
        session_token: token.map(str::to_owned),
        amz_date: amz_date.to_owned(),
        request_time: rolechain_sigv4::parse_amz_date(amz_date).expect("amz date"),
    };
    let sig = rolechain_sigv4::compute_signature(&raw.signed(true), &auth, secret);
    raw.headers.push((
        "Authorization".to_owned(),
        format!(
            "AWS4-HMAC-SHA256 Credential={akid}/{date}/{region}/{service}/{terminator}, SignedHeaders={}, Signature={sig}",
            signed.join(";")
        ),
    ));
}
