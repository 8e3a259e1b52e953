//! STS: AssumeRoleWithWebIdentity, AssumeRole, GetCallerIdentity and
//! GetSessionToken, on typed values (the awsQuery edge is in `server::sts`).
//! Every allow and deny comes from the evaluator; this module builds the
//! requests AWS would build and enforces what STS itself checks (parameter
//! constraints, durations, tag and source-identity rules).

use std::sync::Arc;

use rolechain_policy::authorize::Decision;
use rolechain_policy::kind::PolicyKind;
use rolechain_policy::policy::Policy;
use rolechain_policy::request::{Context, Principal, Request};
use rolechain_policy::wire::{PolicySetSpec, PolicySpec};

use crate::authz::{self, Caller, Identity};
use crate::emulator::Emulator;
use crate::error::{AwsError, Violations, session_name_char};
use crate::ids;
use crate::state::{self, NamedDocument, RoleSession, Session, SessionKind, Tag, WebIdentityFacts};
use crate::webidentity::{self, Jwks, TokenError};

/// The one-hour cap on sessions made by role chaining.
pub const ROLE_CHAINING_MAX: i64 = 3600;
/// Default session length of AssumeRole*.
pub const DEFAULT_ROLE_DURATION: i64 = 3600;
/// The claim that carries session tags in a web-identity token.
const TAGS_CLAIM: &str = "https://aws.amazon.com/tags";
const SOURCE_IDENTITY_CLAIM: &str = "https://aws.amazon.com/source_identity";

#[derive(Debug, Clone, Default)]
pub struct AssumeRoleWithWebIdentityInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub web_identity_token: String,
    pub provider_id: Option<String>,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub duration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct AssumeRoleInput {
    pub role_arn: String,
    pub role_session_name: String,
    pub policy: Option<String>,
    pub policy_arns: Vec<String>,
    pub duration_seconds: Option<i64>,
    pub tags: Vec<Tag>,
    pub transitive_tag_keys: Vec<String>,
    pub external_id: Option<String>,
    pub serial_number: Option<String>,
    pub token_code: Option<String>,
    pub source_identity: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: i64,
}

#[derive(Debug, Clone)]
pub struct AssumeRoleOutput {
    pub credentials: Credentials,
    pub assumed_role_id: String,
    pub arn: String,
    pub packed_policy_size: Option<u32>,
    pub source_identity: Option<String>,
    /// AssumeRoleWithWebIdentity only.
    pub web: Option<WebIdentityOutput>,
}

#[derive(Debug, Clone)]
pub struct WebIdentityOutput {
    pub subject: String,
    pub provider: String,
    pub audience: String,
}

#[derive(Debug, Clone)]
pub struct CallerIdentity {
    pub user_id: String,
    pub account: String,
    pub arn: String,
}

/// What a call leaves for its audit event: who called, what was decided.
#[derive(Debug, Default)]
pub struct Trail {
    pub identity: Option<serde_json::Value>,
    pub decisions: Vec<(String, String, Decision)>,
    pub recipient_account: Option<String>,
}

/// The message STS gives for any refused web identity (spec §1.4): the
/// caller is anonymous, so no principal is named.
const WEB_IDENTITY_DENIED: &str = "Not authorized to perform sts:AssumeRoleWithWebIdentity";

fn token_error(e: TokenError) -> AwsError {
    AwsError::new(e.code(), e.http_status(), e.message())
}

pub async fn assume_role_with_web_identity(
    emulator: &Emulator,
    input: &AssumeRoleWithWebIdentityInput,
    trail: &mut Trail,
) -> Result<AssumeRoleOutput, AwsError> {
    let mut v = Violations::new();
    v.length(&input.role_arn, "roleArn", 20, 2048);
    check_session_name(&mut v, &input.role_session_name);
    v.sensitive_length(&input.web_identity_token, "webIdentityToken", 4, 20000);
    if let Some(p) = &input.provider_id {
        v.length(p, "providerId", 4, 2048);
    }
    if let Some(policy) = &input.policy {
        v.length(policy, "policy", 1, 2048);
        v.pattern(policy, "policy", r"[\u0009\u000A\u000D\u0020-\u00FF]+", policy_char);
    }
    if let Some(d) = input.duration_seconds {
        v.range(d, "durationSeconds", 900, 43200);
    }
    v.into_result()?;
    let (role_account, _, role_name) = state::parse_role_arn(&input.role_arn)
        .ok_or_else(|| AwsError::validation(format!("Request ARN is invalid: {}", input.role_arn)))?;
    trail.recipient_account = Some(role_account.clone());

    // The token, read without trust, then the provider its issuer names.
    let token = webidentity::inspect(&input.web_identity_token).map_err(token_error)?;
    let issuer = token
        .issuer()
        .map(str::to_string)
        .ok_or_else(|| token_error(TokenError::MissingClaim { claim: "iss" }))?;
    let provider = {
        let state = emulator.read_state();
        state
            .account(&role_account)
            .and_then(|a| a.oidc_providers.get(issuer.strip_prefix("https://").unwrap_or("\u{0}")))
            .cloned()
    }
    .ok_or_else(|| token_error(TokenError::no_provider(&issuer)))?;
    trail.identity = Some(crate::audit::web_identity_user(
        &provider.arn,
        &token.audiences().first().cloned().unwrap_or_default(),
        token.subject().unwrap_or_default(),
    ));

    let jwks = verification_keys(emulator, &provider, token.kid()).await?;
    webidentity::verify_signature(&token, &jwks).map_err(token_error)?;
    let now = emulator.clock.now();
    let claims = webidentity::check_claims(&token, now, &provider.client_ids).map_err(token_error)?;
    trail.identity = Some(crate::audit::web_identity_user(
        &provider.arn,
        &claims.audience,
        &claims.subject,
    ));

    let (token_tags, transitive_keys) = token_session_tags(&claims.claims)?;
    let source_identity = claims
        .claims
        .get(SOURCE_IDENTITY_CLAIM)
        .and_then(|v| v.as_str())
        .map(str::to_string);

    let key_prefix = provider.key_prefix().to_string();
    let mut context = Context::with_capacity(16);
    context.set(&format!("{key_prefix}:sub"), claims.subject.clone());
    context.set(&format!("{key_prefix}:aud"), claims.audience.clone());
    if let Some(azp) = claims.claims.get("azp").and_then(|v| v.as_str()) {
        context.set(&format!("{key_prefix}:azp"), azp);
    }
    let amr = string_list(claims.claims.get("amr"));
    if !amr.is_empty() {
        context.set_multi(&format!("{key_prefix}:amr"), amr.clone());
    }
    context.set("sts:RoleSessionName", input.role_session_name.clone());
    add_request_keys(
        &mut context,
        now,
        &token_tags,
        &transitive_keys,
        source_identity.as_deref(),
    );
    let principal = Principal::WebIdentity {
        provider: provider.arn.clone(),
    };
    context.add_principal_keys(&principal);

    let (role, policies) = {
        let state = emulator.read_state();
        let Some(role) = state.role(&role_account, &role_name).cloned() else {
            return Err(AwsError::access_denied(WEB_IDENTITY_DENIED));
        };
        let trust = PolicySpec::new(
            PolicyKind::Trust,
            &format!("{} (trust policy)", role.arn),
            &role.trust_policy,
        );
        let set = authz::with_resource(PolicySetSpec::default(), &state, &role_account, Some(trust));
        (role, set)
    };
    let mut actions = vec!["sts:AssumeRoleWithWebIdentity"];
    if !token_tags.is_empty() {
        actions.push("sts:TagSession");
    }
    if source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    if decide_each(emulator, &policies, &principal, &actions, &role.arn, &context, trail)?.is_some() {
        return Err(AwsError::access_denied(WEB_IDENTITY_DENIED));
    }

    let duration = input.duration_seconds.unwrap_or(DEFAULT_ROLE_DURATION);
    if duration > role.max_session_duration {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let session_policies = session_policies(emulator, &role_account, input.policy.as_deref(), &input.policy_arns)?;
    let packed = packed_policy_size(input.policy.as_deref(), &input.policy_arns, &token_tags)?;

    let session = RoleSession {
        account: role_account,
        role_key: role.name.to_ascii_lowercase(),
        role_arn: role.arn.clone(),
        role_id: role.id.clone(),
        role_name: role.name.clone(),
        session_name: input.role_session_name.clone(),
        session_policies,
        tags: token_tags,
        transitive_tag_keys: transitive_keys,
        source_identity: source_identity.clone(),
        web_identity: Some(WebIdentityFacts {
            provider_arn: provider.arn.clone(),
            key_prefix,
            subject: claims.subject.clone(),
            audience: claims.audience.clone(),
            amr,
        }),
        chained: false,
        mfa: false,
    };
    let output = issue_role_session(emulator, session, now, duration, packed);
    Ok(AssumeRoleOutput {
        web: Some(WebIdentityOutput {
            subject: claims.subject,
            provider: claims.issuer,
            audience: claims.audience,
        }),
        ..output
    })
}

/// Decides each of `actions` on `resource` in turn, as STS checks
/// `sts:AssumeRole*`, then `sts:TagSession`, then `sts:SetSourceIdentity`;
/// the first denial ends it and is returned.
fn decide_each(
    emulator: &Emulator,
    set: &PolicySetSpec,
    principal: &Principal,
    actions: &[&str],
    resource: &str,
    context: &Context,
    trail: &mut Trail,
) -> Result<Option<Decision>, AwsError> {
    for action in actions {
        let request = Request {
            principal: principal.clone(),
            action: action.to_string(),
            resource: resource.to_string(),
            resource_account: None,
            context: context.clone(),
        };
        let decision = emulator
            .authorizer
            .decide(set, &request)
            .map_err(|e| AwsError::evaluator(&e))?;
        trail
            .decisions
            .push((action.to_string(), resource.to_string(), decision.clone()));
        if !decision.is_allowed() {
            return Ok(Some(decision));
        }
    }
    Ok(None)
}

/// The keys that verify tokens of `provider`: a built-in issuer's own, or
/// an external issuer's fetched over HTTPS (thumbprint checked).
async fn verification_keys(
    emulator: &Emulator,
    provider: &state::OidcProvider,
    kid: Option<&str>,
) -> Result<Arc<Jwks>, AwsError> {
    let builtin = emulator
        .read_issuers()
        .values()
        .find(|e| e.issuer.url() == provider.url)
        .map(|e| e.issuer.verification_keys());
    if let Some(jwks) = builtin {
        // STS fetches the keys over HTTPS and checks the certificate against
        // the provider's thumbprints; ours is the emulator's certificate.
        let ours = &emulator.tls.thumbprint;
        if !provider.thumbprints.iter().any(|t| t.eq_ignore_ascii_case(ours)) {
            return Err(token_error(TokenError::ThumbprintMismatch {
                observed: emulator.tls.thumbprint.clone(),
            }));
        }
        return Ok(Arc::new(jwks));
    }
    let roots = emulator.external_roots.get(&provider.url).map(String::as_str);
    emulator
        .external_keys
        .fetch_for_kid(&provider.url, &provider.thumbprints, roots, kid, emulator.clock.now())
        .await
        .map_err(token_error)
}

pub fn assume_role(
    emulator: &Emulator,
    caller: &Caller,
    input: &AssumeRoleInput,
    trail: &mut Trail,
) -> Result<AssumeRoleOutput, AwsError> {
    let mut v = Violations::new();
    v.length(&input.role_arn, "roleArn", 20, 2048);
    check_session_name(&mut v, &input.role_session_name);
    if let Some(policy) = &input.policy {
        v.length(policy, "policy", 1, usize::MAX);
        v.pattern(policy, "policy", r"[\u0009\u000A\u000D\u0020-\u00FF]+", policy_char);
    }
    if let Some(d) = input.duration_seconds {
        v.range(d, "durationSeconds", 900, 43200);
    }
    if let Some(id) = &input.external_id {
        v.length(id, "externalId", 2, 1224);
        v.pattern(id, "externalId", r"[\w+=,.@:\/-]*", |c| {
            session_name_char(c) || c == ':' || c == '/'
        });
    }
    if let Some(s) = &input.serial_number {
        v.length(s, "serialNumber", 9, 256);
    }
    if let Some(code) = &input.token_code {
        v.length(code, "tokenCode", 6, 6);
        v.pattern(code, "tokenCode", r"[\d]*", |c| c.is_ascii_digit());
    }
    if let Some(s) = &input.source_identity {
        v.length(s, "sourceIdentity", 2, 64);
        v.pattern(s, "sourceIdentity", r"[\w+=,.@-]*", session_name_char);
    }
    if input.tags.len() > 50 {
        v.add("[...]", "tags", "Member must have length less than or equal to 50");
    }
    for (i, tag) in input.tags.iter().enumerate() {
        v.length(&tag.key, &format!("tags.{}.member.key", i + 1), 1, 128);
        v.pattern(
            &tag.key,
            &format!("tags.{}.member.key", i + 1),
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+",
            tag_char,
        );
        v.length(&tag.value, &format!("tags.{}.member.value", i + 1), 0, 256);
        v.pattern(
            &tag.value,
            &format!("tags.{}.member.value", i + 1),
            r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*",
            tag_char,
        );
    }
    v.into_result()?;
    if input
        .source_identity
        .as_deref()
        .is_some_and(|s| s.to_ascii_lowercase().starts_with("aws:"))
    {
        return Err(AwsError::validation(
            "SourceIdentity cannot begin with the prefix 'aws:'.",
        ));
    }
    if let Some(key) = input
        .transitive_tag_keys
        .iter()
        .find(|k| !input.tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)))
    {
        return Err(AwsError::new(
            "InvalidParameterValue",
            400,
            format!("The transitive tag key {key} is not among the session tags passed."),
        ));
    }
    let not_authorized = |caller: &Caller| {
        AwsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:AssumeRole on resource: {}",
            caller.arn(),
            input.role_arn
        ))
    };
    let (role_account, _, role_name) = state::parse_role_arn(&input.role_arn).ok_or_else(|| not_authorized(caller))?;
    trail.recipient_account = Some(role_account.clone());
    let now = emulator.clock.now();

    let state = emulator.read_state();
    trail.identity = Some(crate::audit::user_identity(&state, caller));
    let caller_session = caller.role_session();
    // Transitive tags of the calling session carry over and cannot be passed again.
    let mut tags: Vec<Tag> = Vec::new();
    let mut transitive: Vec<String> = Vec::new();
    if let Some(parent) = caller_session {
        for key in &parent.transitive_tag_keys {
            if input.tags.iter().any(|t| t.key.eq_ignore_ascii_case(key)) {
                return Err(AwsError::new(
                    "InvalidParameterValue",
                    400,
                    format!(
                        "One or more of the specified transitive tag keys can't be set because it conflicts with a transitive tag key: {key}"
                    ),
                ));
            }
            if let Some(tag) = parent.tags.iter().find(|t| t.key.eq_ignore_ascii_case(key)) {
                tags.push(tag.clone());
                transitive.push(key.clone());
            }
        }
    }
    tags.extend(input.tags.iter().cloned());
    transitive.extend(input.transitive_tag_keys.iter().cloned());
    // A source identity, once set, stays for the whole chain.
    let inherited_source = caller_session.and_then(|s| s.source_identity.clone());
    if let (Some(old), Some(new)) = (&inherited_source, &input.source_identity)
        && old != new
    {
        return Err(AwsError::access_denied(format!(
            "User: {} is not authorized to perform: sts:SetSourceIdentity on resource: {}: the session's source identity {old} cannot be changed",
            caller.arn(),
            input.role_arn
        )));
    }
    let source_identity = input.source_identity.clone().or(inherited_source);

    let Some(role) = state.role(&role_account, &role_name).cloned() else {
        return Err(not_authorized(caller));
    };
    let mut context = caller.context(&state);
    context.set("sts:RoleSessionName", input.role_session_name.clone());
    if let Some(id) = &input.external_id {
        context.set("sts:ExternalId", id.clone());
    }
    let mfa = input.serial_number.is_some() && input.token_code.is_some();
    if mfa {
        context.set("aws:MultiFactorAuthPresent", "true");
        context.set("aws:MultiFactorAuthAge", "0");
    }
    add_request_keys(
        &mut context,
        now,
        &input.tags,
        &input.transitive_tag_keys,
        input.source_identity.as_deref(),
    );
    for tag in &role.tags {
        context.set(&format!("aws:ResourceTag/{}", tag.key), tag.value.clone());
    }
    let trust = PolicySpec::new(
        PolicyKind::Trust,
        &format!("{} (trust policy)", role.arn),
        &role.trust_policy,
    );
    let set = authz::with_resource(
        authz::caller_policies(&state, caller),
        &state,
        &role_account,
        Some(trust),
    );
    drop(state);

    let mut actions = vec!["sts:AssumeRole"];
    if !input.tags.is_empty() || !input.transitive_tag_keys.is_empty() {
        actions.push("sts:TagSession");
    }
    if input.source_identity.is_some() {
        actions.push("sts:SetSourceIdentity");
    }
    if let Some(denial) = decide_each(emulator, &set, &caller.principal, &actions, &role.arn, &context, trail)? {
        // The engine words the message as AWS does.
        return Err(AwsError::access_denied(
            denial.message.unwrap_or_else(|| not_authorized(caller).message),
        ));
    }

    let chained = caller_session.is_some();
    let duration = match input.duration_seconds {
        Some(d) if chained && d > ROLE_CHAINING_MAX => {
            return Err(AwsError::validation(
                "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            ));
        }
        Some(d) => d,
        None => DEFAULT_ROLE_DURATION,
    };
    if duration > role.max_session_duration {
        return Err(AwsError::validation(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    let session_policies = session_policies(emulator, &role_account, input.policy.as_deref(), &input.policy_arns)?;
    let packed = packed_policy_size(input.policy.as_deref(), &input.policy_arns, &input.tags)?;
    let session = RoleSession {
        account: role_account,
        role_key: role.name.to_ascii_lowercase(),
        role_arn: role.arn.clone(),
        role_id: role.id.clone(),
        role_name: role.name.clone(),
        session_name: input.role_session_name.clone(),
        session_policies,
        tags,
        transitive_tag_keys: transitive,
        source_identity,
        web_identity: None,
        chained,
        mfa,
    };
    Ok(issue_role_session(emulator, session, now, duration, packed))
}

/// GetCallerIdentity needs no permission and cannot be denied (spec §1.5).
pub fn get_caller_identity(emulator: &Emulator, caller: &Caller, trail: &mut Trail) -> CallerIdentity {
    let state = emulator.read_state();
    trail.identity = Some(crate::audit::user_identity(&state, caller));
    trail.recipient_account = Some(caller.account.clone());
    CallerIdentity {
        user_id: caller.user_id(&state),
        account: caller.account.clone(),
        arn: caller.arn(),
    }
}

/// GetSessionToken: long-term credentials only; no policy controls it.
pub fn get_session_token(
    emulator: &Emulator,
    caller: &Caller,
    duration_seconds: Option<i64>,
    trail: &mut Trail,
) -> Result<Credentials, AwsError> {
    {
        let state = emulator.read_state();
        trail.identity = Some(crate::audit::user_identity(&state, caller));
    }
    trail.recipient_account = Some(caller.account.clone());
    let mut v = Violations::new();
    if let Some(d) = duration_seconds {
        v.range(d, "durationSeconds", 900, 129600);
    }
    v.into_result()?;
    let user = match &caller.identity {
        Identity::Root => None,
        Identity::User { key } => Some(key.clone()),
        _ => {
            return Err(AwsError::access_denied(
                "Cannot call GetSessionToken with session credentials",
            ));
        }
    };
    // Root sessions are capped at one hour, silently (spec §1.2).
    let duration = match (&user, duration_seconds) {
        (None, d) => d.unwrap_or(3600).min(3600),
        (Some(_), d) => d.unwrap_or(43200),
    };
    let now = emulator.clock.now();
    let session = new_session(
        now,
        duration,
        SessionKind::User {
            account: caller.account.clone(),
            user,
        },
    );
    let credentials = credentials_of(&session);
    emulator
        .write_state()
        .sessions
        .insert(session.access_key_id.clone(), session);
    Ok(credentials)
}

fn new_session(now: i64, duration: i64, kind: SessionKind) -> Session {
    Session {
        access_key_id: ids::session_access_key_id(),
        secret: ids::secret_access_key(),
        token: ids::session_token(),
        issued_at: now,
        expires_at: now + duration,
        kind,
    }
}

fn credentials_of(session: &Session) -> Credentials {
    Credentials {
        access_key_id: session.access_key_id.clone(),
        secret_access_key: session.secret.clone(),
        session_token: session.token.clone(),
        expiration: session.expires_at,
    }
}

fn issue_role_session(
    emulator: &Emulator,
    role: RoleSession,
    now: i64,
    duration: i64,
    packed: Option<u32>,
) -> AssumeRoleOutput {
    let assumed_role_id = role.user_id();
    let arn = role.session_arn();
    let source_identity = role.source_identity.clone();
    let session = new_session(now, duration, SessionKind::Role(Box::new(role)));
    let credentials = credentials_of(&session);
    emulator.write_state().insert_session(session, now);
    AssumeRoleOutput {
        credentials,
        assumed_role_id,
        arn,
        packed_policy_size: packed,
        source_identity,
        web: None,
    }
}

/// Session policies: the inline one (checked as IAM checks it) and the
/// managed ones named by ARN, which must exist in the role's account or be
/// AWS managed.
fn session_policies(
    emulator: &Emulator,
    role_account: &str,
    inline: Option<&str>,
    arns: &[String],
) -> Result<Vec<NamedDocument>, AwsError> {
    let mut out = Vec::new();
    if let Some(text) = inline {
        Policy::parse(PolicyKind::Session, text)
            .map_err(|e| AwsError::new("MalformedPolicyDocument", 400, e.message))?;
        out.push(NamedDocument {
            name: "session policy".into(),
            document: text.to_string(),
        });
    }
    if arns.len() > 10 {
        return Err(AwsError::validation(
            "1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10",
        ));
    }
    let state = emulator.read_state();
    for arn in arns {
        let owned = arn.contains(":aws:policy/") || arn.split(':').nth(4) == Some(role_account);
        match state.managed_policy(arn) {
            Some(policy) if owned => out.push(NamedDocument {
                name: arn.clone(),
                document: policy.document().to_string(),
            }),
            _ => {
                return Err(AwsError::new(
                    "InvalidParameterValue",
                    400,
                    format!("The policy {arn} does not exist or is not in the account of the role."),
                ));
            }
        }
    }
    Ok(out)
}

/// The share of STS's packed-policy allowance a session uses, in percent.
/// AWS's packing is not public (spec §1.3): the plaintext of the session
/// policies (whitespace not counted) and tags is weighed against 2,048
/// characters, the documented plaintext cap.
fn packed_policy_size(policy: Option<&str>, arns: &[String], tags: &[Tag]) -> Result<Option<u32>, AwsError> {
    if policy.is_none() && arns.is_empty() && tags.is_empty() {
        return Ok(None);
    }
    let policy_chars: usize = policy.map_or(0, |p| p.chars().filter(|c| !c.is_whitespace()).count())
        + arns.iter().map(String::len).sum::<usize>();
    let tag_chars: usize = tags.iter().map(|t| t.key.len() + t.value.len()).sum();
    let percent = ((policy_chars + tag_chars) * 100).div_ceil(2048) as u32;
    if percent > 100 {
        let what = if tag_chars > policy_chars {
            "session tags"
        } else {
            "session policies"
        };
        return Err(AwsError::new(
            "PackedPolicyTooLarge",
            400,
            format!("Packed size of {what} consumes {percent}% of allotted space."),
        ));
    }
    Ok(Some(percent))
}

/// Keys every STS request carries, and the ones its tags and source identity set.
fn add_request_keys(
    context: &mut Context,
    now: i64,
    tags: &[Tag],
    transitive: &[String],
    source_identity: Option<&str>,
) {
    context.set("aws:CurrentTime", crate::clock::iso8601(now));
    context.set("aws:EpochTime", now.to_string());
    context.set("aws:SecureTransport", "true");
    if !tags.is_empty() {
        for tag in tags {
            context.set(&format!("aws:RequestTag/{}", tag.key), tag.value.clone());
        }
        context.set_multi("aws:TagKeys", tags.iter().map(|t| t.key.clone()).collect::<Vec<_>>());
    }
    if !transitive.is_empty() {
        context.set_multi("sts:TransitiveTagKeys", transitive.to_vec());
    }
    if let Some(source) = source_identity {
        context.set("sts:SourceIdentity", source);
    }
}

/// Session tags from the token's `https://aws.amazon.com/tags` claim.
fn token_session_tags(
    claims: &serde_json::Map<String, serde_json::Value>,
) -> Result<(Vec<Tag>, Vec<String>), AwsError> {
    let Some(tags) = claims.get(TAGS_CLAIM) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let invalid = || {
        AwsError::new(
            "InvalidIdentityToken",
            400,
            format!(
                "The {TAGS_CLAIM} claim must be an object with principal_tags (key to a list of one value) and transitive_tag_keys."
            ),
        )
    };
    let object = tags.as_object().ok_or_else(invalid)?;
    let mut out = Vec::new();
    if let Some(principal_tags) = object.get("principal_tags") {
        for (key, value) in principal_tags.as_object().ok_or_else(invalid)? {
            let value = match value {
                serde_json::Value::Array(list) if list.len() == 1 => list[0].as_str().ok_or_else(invalid)?,
                serde_json::Value::String(s) => s.as_str(),
                _ => return Err(invalid()),
            };
            out.push(Tag {
                key: key.clone(),
                value: value.to_string(),
            });
        }
    }
    let transitive = string_list(object.get("transitive_tag_keys"));
    Ok((out, transitive))
}

fn string_list(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

fn check_session_name(v: &mut Violations, name: &str) {
    v.length(name, "roleSessionName", 2, 64);
    v.pattern(name, "roleSessionName", r"[\w+=,.@-]*", session_name_char);
}

fn policy_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{ff}')
}

fn tag_char(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c)
}

#[cfg(test)]
#[path = "sts_attacks.rs"]
mod attacks;
