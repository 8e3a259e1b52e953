//! SigV4 at the edge: who signed a request, checked as the service would
//! check it — the key exists, the session token matches and has not expired,
//! the signature and the clock skew are right. Failures carry the code and
//! message of the service asked (STS and IAM answer in awsQuery words,
//! DynamoDB in its own).

use std::sync::LazyLock;

use rolechain_sigv4::{self as sigv4, SigV4Error, SignedRequest, SigningKeyCache};

use crate::authz::Caller;
use crate::emulator::Emulator;
use crate::error::AwsError;

/// The services that authenticate requests, each with its error dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Sts,
    Iam,
    DynamoDb,
}

impl Service {
    /// The SigV4 signing name.
    pub fn signing_name(self) -> &'static str {
        match self {
            Service::Sts => "sts",
            Service::Iam => "iam",
            Service::DynamoDb => "dynamodb",
        }
    }

    fn sigv4_error(self, e: &SigV4Error) -> AwsError {
        let (code, status, message) = match self {
            Service::DynamoDb => e.dynamodb(),
            Service::Sts | Service::Iam => e.sts(),
        };
        AwsError::new(code, status, message)
    }

    /// Unknown access key, or a session token that does not belong to it.
    fn invalid_token(self) -> AwsError {
        match self {
            Service::DynamoDb => AwsError::new(
                "UnrecognizedClientException",
                400,
                "The security token included in the request is invalid",
            ),
            Service::Sts | Service::Iam => AwsError::new(
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.",
            ),
        }
    }

    fn expired_token(self) -> AwsError {
        match self {
            Service::DynamoDb => AwsError::new(
                "ExpiredTokenException",
                400,
                "The security token included in the request is expired",
            ),
            Service::Sts | Service::Iam => AwsError::new(
                "ExpiredToken",
                403,
                "The security token included in the request is expired",
            ),
        }
    }
}

/// Signing keys derived for verified requests. A key depends only on the
/// secret and the scope (date, region, service), so one cache serves every
/// emulator in the process; it saves four HMACs on all but a client's first
/// request of the day. A few hundred entries cover the keys and sessions in
/// use at once; a full shard starts over.
static SIGNING_KEYS: LazyLock<SigningKeyCache> = LazyLock::new(|| SigningKeyCache::new(512));

/// Whether the request carries any SigV4 authentication at all.
pub fn is_signed(req: &SignedRequest<'_>) -> bool {
    !matches!(sigv4::parse_auth(req), Err(SigV4Error::MissingAuthentication))
}

/// The access key id a request names, for audit events of refused calls.
pub fn claimed_access_key(req: &SignedRequest<'_>) -> Option<String> {
    sigv4::parse_auth(req).ok().map(|a| a.access_key_id)
}

/// Authenticates a signed request for `service`.
pub fn authenticate(emulator: &Emulator, req: &SignedRequest<'_>, service: Service) -> Result<Caller, AwsError> {
    let auth = sigv4::parse_auth(req).map_err(|e| service.sigv4_error(&e))?;
    if auth.service != service.signing_name() {
        return Err(service.sigv4_error(&SigV4Error::BadService {
            expected: service.signing_name().to_string(),
        }));
    }
    let now = emulator.clock.now();
    // Look the key up and copy what is needed; no lock is held while hashing.
    let (secret, caller) = {
        let state = emulator.read_state();
        if let Some(key) = state.access_keys.get(&auth.access_key_id) {
            // Long-term keys carry no session token.
            if auth.session_token.is_some() {
                return Err(service.invalid_token());
            }
            let caller = Caller::long_term(&state, &key.account, key.user.as_deref(), &auth.access_key_id)
                .ok_or_else(|| service.invalid_token())?;
            (key.secret.clone(), caller)
        } else if let Some(session) = state.sessions.get(&auth.access_key_id) {
            if auth.session_token.as_deref() != Some(session.token.as_str()) {
                return Err(service.invalid_token());
            }
            if now >= session.expires_at {
                return Err(service.expired_token());
            }
            let caller = Caller::of_session(&state, &auth.access_key_id).ok_or_else(|| service.invalid_token())?;
            (session.secret.clone(), caller)
        } else {
            return Err(service.invalid_token());
        }
    };
    match sigv4::verify_cached(req, &auth, &secret, now, &SIGNING_KEYS) {
        Ok(()) => Ok(caller),
        // The skew rule guards against replays by clients whose clocks are
        // off; clients sign with the real time while the emulated world may
        // have been moved on, so a request within 15 minutes of either
        // passes (docs/architecture.md, "Clock").
        Err(e @ (SigV4Error::SignatureExpired { .. } | SigV4Error::SignatureNotYetCurrent { .. })) => {
            match sigv4::verify_cached(req, &auth, &secret, emulator.clock.real_now(), &SIGNING_KEYS) {
                Ok(()) => Ok(caller),
                Err(_) => Err(service.sigv4_error(&e)),
            }
        }
        Err(e) => Err(service.sigv4_error(&e)),
    }
}
