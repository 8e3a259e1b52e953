//! The seed's chain, walked over the wire by the AWS SDK for Rust against an
//! emulator listening on loopback: each hop, each promise of IRSA, and the
//! audit's account of every call.
//!
//! Nothing here decides anything: the emulator does, through the policy
//! engine. The demo only makes the calls a pod would make and reads back,
//! from the audit log, which statement decided each one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_config::profile::ProfileFileCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_async::time::SharedTimeSource;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_types::request_id::RequestId;
use rolechain::audit::AuditFilter;
use rolechain::clock::{self, SdkTimeSource};
use rolechain::emulator::Emulator;
use rolechain::server::admin::{self, MintRequest};
use serde::Serialize;
use serde_json::{Value, json};

pub const NAMESPACE: &str = "my-namespace";
pub const SERVICE_ACCOUNT: &str = "dev-db-reader";
/// A service account of the same namespace that no role trusts.
pub const OTHER_SERVICE_ACCOUNT: &str = "other-app";
/// The projected token's audience in the seed's deployment (a client id of the IAM OIDC provider).
pub const AUDIENCE: &str = "openshift";
pub const WORKLOAD_ROLE: &str = "arn:aws:iam::111111111111:role/my-namespace-creds-my-namespace-dev-dynamodb-reader";
pub const READER_ROLE: &str = "arn:aws:iam::222222222222:role/dynamodb-reader";
/// The session names of the seed's deployment (`AWS_ROLE_SESSION_NAME`) and of the post's AssumeRole.
const WEB_IDENTITY_SESSION: &str = "dev-dynamodb-reader";
const READER_SESSION: &str = "orders-reader";
/// The post's `DurationSeconds` for the cross-account session.
const READER_SESSION_SECONDS: i32 = 900;
const TOKEN_SECONDS: i64 = 3600;
pub const TABLE: &str = "orders";
/// How far the clock jumps: past the cross-account session (15 min), the
/// web-identity session and the token (1 h) alike.
const JUMP_SECONDS: i64 = 2 * 3600;

/// One hop of the chain or one promise of IRSA, and whether it held.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub id: &'static str,
    pub title: &'static str,
    /// What must be true for the chain to behave as IRSA promises.
    pub expectation: &'static str,
    pub held: bool,
    /// The AWS calls the step made, each with the emulator's decisions.
    pub calls: Vec<Call>,
    /// What the step saw besides calls: the token's claims, the item read, the audit trail.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub detail: Value,
}

/// One AWS call as the emulator answered and audited it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub label: &'static str,
    pub operation: String,
    /// The caller as CloudTrail names it.
    pub caller: String,
    pub request_id: Option<String>,
    /// `None` when the call succeeded; AWS's error code otherwise.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    /// `additionalEventData.rolechain.decisions` of the call's audit event.
    pub decisions: Vec<Value>,
}

impl Call {
    pub fn succeeded(&self) -> bool {
        self.error_code.is_none()
    }
}

/// The walk's state: the emulator, where it listens, and what the pod has.
pub struct Walk {
    emulator: Arc<Emulator>,
    endpoint: String,
    scratch: PathBuf,
    token_file: PathBuf,
    steps: Vec<Step>,
}

impl std::fmt::Debug for Walk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Walk").field("endpoint", &self.endpoint).finish()
    }
}

/// Walks the whole chain; an `Err` is a failure to run it at all (not a
/// promise that did not hold, which is a step with `held: false`).
pub async fn walk(emulator: Arc<Emulator>, endpoint: String, scratch: &Path) -> Result<Vec<Step>, String> {
    let mut walk = Walk {
        emulator,
        endpoint,
        scratch: scratch.to_path_buf(),
        token_file: scratch.join("token"),
        steps: Vec::new(),
    };
    let Some(reader) = walk.hops().await? else {
        return Ok(walk.steps);
    };
    walk.least_privilege(&reader).await?;
    walk.credential_isolation().await?;
    walk.audit_trail();
    walk.expiry(&reader).await?;
    Ok(walk.steps)
}

impl Walk {
    /// Token → AssumeRoleWithWebIdentity → AssumeRole → GetItem; the
    /// cross-account session's credentials, for the steps after (none when
    /// a hop was refused: the walk ends there, its step marked as not holding).
    async fn hops(&mut self) -> Result<Option<Credentials>, String> {
        let minted = self.mint(SERVICE_ACCOUNT)?;
        write_atomically(&self.token_file, minted["token"].as_str().unwrap_or_default())?;
        let claims = &minted["claims"];
        self.steps.push(Step {
            id: "token",
            title: "The kubelet mints the pod's projected service-account token",
            expectation: "a token for my-namespace/dev-db-reader, audience openshift, signed by the cluster's issuer",
            held: claims["sub"] == json!(format!("system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}")),
            calls: Vec::new(),
            detail: json!({
                "iss": claims["iss"], "sub": claims["sub"], "aud": claims["aud"],
                "kid": minted["kid"], "expiration": minted["expiration"], "file": self.token_file,
            }),
        });

        // AssumeRoleWithWebIdentity is unsigned: the token is the credential.
        let sts = aws_sdk_sts::Client::new(&self.config(None, None));
        let token = std::fs::read_to_string(&self.token_file).map_err(|e| e.to_string())?;
        let answer = sts
            .assume_role_with_web_identity()
            .role_arn(WORKLOAD_ROLE)
            .role_session_name(WEB_IDENTITY_SESSION)
            .web_identity_token(token)
            .send()
            .await;
        let (call, output) = self.observe("the pod's token", "AssumeRoleWithWebIdentity", answer)?;
        let web_identity = self.session_step(
            "assumeRoleWithWebIdentity",
            "AssumeRoleWithWebIdentity into the ccoctl-made role of account A",
            "the role's trust policy admits the token's service account",
            call,
            output.as_ref().and_then(|o| o.assumed_role_user()).map(|u| u.arn()),
            output.as_ref().and_then(|o| o.credentials()),
        );
        let Some(web_identity) = web_identity else {
            return Ok(None);
        };

        let sts = aws_sdk_sts::Client::new(&self.config(Some(web_identity.clone()), None));
        let answer = sts
            .assume_role()
            .role_arn(READER_ROLE)
            .role_session_name(READER_SESSION)
            .duration_seconds(READER_SESSION_SECONDS)
            .send()
            .await;
        let (call, output) = self.observe("", "AssumeRole", answer)?;
        let reader = self.session_step(
            "assumeRole",
            "AssumeRole across accounts into dynamodb-reader of account B",
            "A's role may call sts:AssumeRole on it, and B's trust policy names A's role",
            call,
            output.as_ref().and_then(|o| o.assumed_role_user()).map(|u| u.arn()),
            output.as_ref().and_then(|o| o.credentials()),
        );
        let Some(reader) = reader else {
            return Ok(None);
        };

        let (call, item) = self.get_order(&reader, "", "alice", "2026-0001").await?;
        self.steps.push(Step {
            id: "getItem",
            title: "GetItem on the orders table of account B",
            expectation: "dynamodb-reader may read the table",
            held: call.succeeded() && item.is_some(),
            detail: json!({ "item": item }),
            calls: vec![call],
        });
        Ok(Some(reader))
    }

    /// The step of a hop that hands on a session; its credentials, when it did.
    fn session_step(
        &mut self,
        id: &'static str,
        title: &'static str,
        expectation: &'static str,
        call: Call,
        assumed_role: Option<&str>,
        credentials: Option<&aws_sdk_sts::types::Credentials>,
    ) -> Option<Credentials> {
        let session = sts_credentials(credentials);
        self.steps.push(Step {
            id,
            title,
            expectation,
            held: session.is_some(),
            detail: json!({
                "assumedRole": assumed_role,
                "expiration": session.as_ref().and_then(expiry_iso),
            }),
            calls: vec![call],
        });
        session
    }

    /// A write the role does not allow is denied, with AWS's message, and writes nothing.
    async fn least_privilege(&mut self, reader: &Credentials) -> Result<(), String> {
        let dynamodb = aws_sdk_dynamodb::Client::new(&self.config(Some(reader.clone()), None));
        let answer = dynamodb
            .put_item()
            .table_name(TABLE)
            .item("customer", AttributeValue::S("alice".into()))
            .item("order_id", AttributeValue::S("2026-9999".into()))
            .item("status", AttributeValue::S("forged".into()))
            .send()
            .await;
        let (put, _) = self.observe("", "PutItem", answer)?;
        let (check, item) = self
            .get_order(reader, "nothing was written", "alice", "2026-9999")
            .await?;
        self.steps.push(Step {
            id: "leastPrivilege",
            title: "Least privilege: dynamodb-reader cannot write",
            expectation: "PutItem is denied with AccessDeniedException, and the item does not exist afterwards",
            held: put.error_code.as_deref() == Some("AccessDeniedException") && check.succeeded() && item.is_none(),
            detail: Value::Null,
            calls: vec![put, check],
        });
        Ok(())
    }

    /// Another service account's token, from the same cluster, gets nothing.
    async fn credential_isolation(&mut self) -> Result<(), String> {
        let minted = self.mint(OTHER_SERVICE_ACCOUNT)?;
        let sts = aws_sdk_sts::Client::new(&self.config(None, None));
        let answer = sts
            .assume_role_with_web_identity()
            .role_arn(WORKLOAD_ROLE)
            .role_session_name("other-app")
            .web_identity_token(minted["token"].as_str().unwrap_or_default())
            .send()
            .await;
        let (call, _) = self.observe("my-namespace/other-app's token", "AssumeRoleWithWebIdentity", answer)?;
        self.steps.push(Step {
            id: "credentialIsolation",
            title: "Credential isolation: another service account's token is refused",
            expectation: "the ccoctl role trusts only system:serviceaccount:my-namespace:dev-db-reader",
            held: call.error_code.as_deref() == Some("AccessDenied"),
            detail: json!({ "sub": minted["claims"]["sub"] }),
            calls: vec![call],
        });
        Ok(())
    }

    /// Every call so far, as CloudTrail would have recorded it.
    fn audit_trail(&mut self) {
        let events = self.emulator.audit.query(&AuditFilter::default());
        let made: Vec<&str> = self
            .steps
            .iter()
            .flat_map(|s| s.calls.iter())
            .filter_map(|c| c.request_id.as_deref())
            .collect();
        let logged = |id: &&str| events.iter().any(|e| e["requestID"] == json!(id));
        let trail: Vec<Value> = events.iter().map(trail_entry).collect();
        self.steps.push(Step {
            id: "auditability",
            title: "Auditability: every call is in the CloudTrail-shaped log",
            expectation: "one event per call, allowed or denied, naming the caller",
            held: !made.is_empty() && made.iter().all(logged),
            detail: json!({ "events": trail }),
            calls: Vec::new(),
        });
    }

    /// The clock jumps past every session's expiry. The seed's naive
    /// refresh (catch ExpiredTokenException, assume again, retry) recovers;
    /// the SDK's own refreshing provider never sees the error.
    async fn expiry(&mut self, reader: &Credentials) -> Result<(), String> {
        let virtual_time = SharedTimeSource::new(SdkTimeSource(self.emulator.clock.clone()));
        let profiles = self.pod_profiles()?;
        // The SDK's way: the pod's profile chain, cached and refreshed by the SDK on the emulated clock.
        let refreshing = ProfileFileCredentialsProvider::builder()
            .profile_files(profiles.clone())
            .profile_name("orders")
            .configure(&self.provider_config(&virtual_time))
            .build();
        let sdk_client = aws_sdk_dynamodb::Client::new(
            &self.config_with(SharedCredentialsProvider::new(refreshing), Some(virtual_time.clone())),
        );
        let mut calls = self
            .sdk_get_order(&sdk_client, "the SDK's provider, before the jump")
            .await?;

        let jumped_from = self.emulator.clock.now();
        self.emulator.clock.advance_millis(JUMP_SECONDS * 1000);
        // The kubelet has kept the token file fresh all along (at 80% of each token's life).
        let minted = self.mint(SERVICE_ACCOUNT)?;
        write_atomically(&self.token_file, minted["token"].as_str().unwrap_or_default())?;

        // The post's way: a client holding the cross-account session's keys.
        let (expired, _) = self
            .get_order(reader, "the post's client, after the jump", "alice", "2026-0001")
            .await?;
        let saw_expired = expired.error_code.as_deref() == Some("ExpiredTokenException");
        calls.push(expired);
        let mut naive_recovered = false;
        if saw_expired {
            // getClient() again: AssumeRole with the pod's default credentials (the web-identity profile).
            let pod_credentials = ProfileFileCredentialsProvider::builder()
                .profile_files(profiles)
                .profile_name("default")
                .configure(&self.provider_config(&virtual_time))
                .build();
            let sts = aws_sdk_sts::Client::new(&self.config_with(
                SharedCredentialsProvider::new(pod_credentials),
                Some(virtual_time.clone()),
            ));
            let since = self.audit_len();
            let answer = sts
                .assume_role()
                .role_arn(READER_ROLE)
                .role_session_name(READER_SESSION)
                .duration_seconds(READER_SESSION_SECONDS)
                .send()
                .await;
            let (call, output) = self.observe("the naive refresh", "AssumeRole", answer)?;
            calls.extend(self.made_by_the_sdk(since, &call, "the naive refresh's default credentials"));
            calls.push(call);
            if let Some(fresh) = output.as_ref().and_then(|o| sts_credentials(o.credentials())) {
                let (retry, item) = self.get_order(&fresh, "the retry", "alice", "2026-0001").await?;
                naive_recovered = retry.succeeded() && item.is_some();
                calls.push(retry);
            }
        }

        let after = self
            .sdk_get_order(&sdk_client, "the SDK's provider, after the jump")
            .await?;
        // The SDK refreshed by itself: both hops again, then the read, and no error anywhere.
        let refreshed: Vec<&str> = after.iter().map(|c| c.operation.as_str()).collect();
        let sdk_held = calls[..]
            .iter()
            .chain(&after)
            .filter(|c| c.label.starts_with("the SDK"))
            .all(Call::succeeded)
            && refreshed == ["AssumeRoleWithWebIdentity", "AssumeRole", "GetItem"];
        calls.extend(after);
        self.steps.push(Step {
            id: "expiry",
            title: "The clock jumps two hours: every session and the first token have expired",
            expectation: "the post's client gets ExpiredTokenException and its naive refresh recovers; \
                          the SDK's refreshing provider never sees the error",
            held: saw_expired && naive_recovered && sdk_held,
            detail: json!({
                "jumpedFrom": clock::iso8601(jumped_from),
                "jumpedTo": clock::iso8601(jumped_from + JUMP_SECONDS),
                "naiveRefreshRecovered": naive_recovered,
                "sdkNeverSawTheError": sdk_held,
            }),
            calls,
        });
        Ok(())
    }

    /// A GetItem through a client whose credentials the SDK manages: the
    /// STS calls the SDK made on its own first, then the read.
    async fn sdk_get_order(&self, client: &aws_sdk_dynamodb::Client, label: &'static str) -> Result<Vec<Call>, String> {
        let since = self.audit_len();
        let answer = client
            .get_item()
            .set_key(Some(order_key("alice", "2026-0001")))
            .table_name(TABLE)
            .send()
            .await;
        let (call, _) = self.observe(label, "GetItem", answer)?;
        let mut calls = self.made_by_the_sdk(since, &call, label);
        calls.push(call);
        Ok(calls)
    }

    fn audit_len(&self) -> usize {
        self.emulator.audit.query(&AuditFilter::default()).len()
    }

    /// The STS calls a credentials provider made inside the SDK since the
    /// audit had `since` events, before the application's own `call`: the
    /// application never sees them, the audit does.
    fn made_by_the_sdk(&self, since: usize, call: &Call, label: &'static str) -> Vec<Call> {
        let events = self.emulator.audit.query(&AuditFilter::default());
        events
            .iter()
            .skip(since)
            .filter(|e| e["eventSource"] == json!("sts.amazonaws.com"))
            .filter(|e| call.request_id.is_none() || e["requestID"] != json!(call.request_id))
            .map(|e| call_of(label, e))
            .collect()
    }

    async fn get_order(
        &mut self,
        credentials: &Credentials,
        label: &'static str,
        customer: &str,
        order_id: &str,
    ) -> Result<(Call, Option<Value>), String> {
        let dynamodb = aws_sdk_dynamodb::Client::new(&self.config(Some(credentials.clone()), None));
        let answer = dynamodb
            .get_item()
            .set_key(Some(order_key(customer, order_id)))
            .table_name(TABLE)
            .send()
            .await;
        let (call, output) = self.observe(label, "GetItem", answer)?;
        let item = output.and_then(|o| o.item).map(|item| item_json(&item));
        Ok((call, item))
    }

    /// The pod's token, as the kubelet would ask the API server for it.
    fn mint(&self, service_account: &str) -> Result<Value, String> {
        admin::mint(
            &self.emulator,
            &MintRequest {
                issuer: None,
                namespace: NAMESPACE.into(),
                service_account: service_account.into(),
                audiences: vec![AUDIENCE.into()],
                expiration_seconds: Some(TOKEN_SECONDS),
                pod: Some("my-app-7d9f6c5b8-x2kqz".into()),
                node: Some("worker-0".into()),
            },
        )
        .map_err(|(_, code, message)| format!("the issuer refused a token: {code}: {message}"))
    }

    /// The pod's AWS profiles: ccoctl's Secret (`[default]`) and a second
    /// profile for the cross-account hop, as the SDKs chain them.
    fn pod_profiles(&self) -> Result<EnvConfigFiles, String> {
        let config = format!(
            "[default]\nsts_regional_endpoints = regional\nrole_arn = {WORKLOAD_ROLE}\n\
             web_identity_token_file = {}\nrole_session_name = {WEB_IDENTITY_SESSION}\nendpoint_url = {endpoint}\n\n\
             [profile orders]\nrole_arn = {READER_ROLE}\nsource_profile = default\n\
             role_session_name = {READER_SESSION}\nendpoint_url = {endpoint}\n",
            self.token_file.display(),
            endpoint = self.endpoint,
        );
        let config_file = self.scratch.join("config");
        let credentials_file = self.scratch.join("credentials");
        std::fs::write(&config_file, config).map_err(|e| format!("cannot write the pod's profile: {e}"))?;
        std::fs::write(&credentials_file, "").map_err(|e| format!("cannot write the pod's profile: {e}"))?;
        Ok(EnvConfigFiles::builder()
            .with_file(EnvConfigFileKind::Config, config_file)
            .with_file(EnvConfigFileKind::Credentials, credentials_file)
            .build())
    }

    fn provider_config(&self, time: &SharedTimeSource) -> ProviderConfig {
        ProviderConfig::without_region()
            .with_region(Some(Region::new(self.emulator.region.clone())))
            .with_time_source(time.clone())
    }

    /// An SDK config for the emulator: static credentials (or none, for the unsigned call).
    fn config(&self, credentials: Option<Credentials>, time: Option<SharedTimeSource>) -> SdkConfig {
        let builder = self.config_builder(time);
        match credentials {
            Some(c) => builder.credentials_provider(SharedCredentialsProvider::new(c)).build(),
            None => builder.build(),
        }
    }

    fn config_with(&self, provider: SharedCredentialsProvider, time: Option<SharedTimeSource>) -> SdkConfig {
        self.config_builder(time).credentials_provider(provider).build()
    }

    fn config_builder(&self, time: Option<SharedTimeSource>) -> aws_types::sdk_config::Builder {
        let builder = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(self.emulator.region.clone()))
            .endpoint_url(&self.endpoint)
            // Each call once: the demo shows what happened, not what a retry hid.
            .retry_config(RetryConfig::disabled());
        match time {
            Some(t) => builder.time_source(t),
            None => builder,
        }
    }

    /// The call's outcome and its audit event's decisions. A call that never
    /// reached the emulator (no request id) is a failure to run the demo.
    fn observe<T: RequestId, E: RequestId + aws_sdk_sts::error::ProvideErrorMetadata + std::error::Error + 'static>(
        &self,
        label: &'static str,
        operation: &'static str,
        answer: Result<T, SdkError<E, aws_smithy_runtime_api::client::orchestrator::HttpResponse>>,
    ) -> Result<(Call, Option<T>), String> {
        let (request_id, error, output) = match answer {
            Ok(output) => (output.request_id().map(str::to_string), None, Some(output)),
            Err(SdkError::ServiceError(e)) => {
                let err = e.err();
                let id = err.request_id().map(str::to_string);
                let code = err.code().unwrap_or("Unknown").to_string();
                let message = err.message().unwrap_or_default().to_string();
                (id, Some((code, message)), None)
            }
            Err(other) => {
                return Err(format!(
                    "{operation} did not reach the emulator: {}",
                    aws_sdk_sts::error::DisplayErrorContext(&other)
                ));
            }
        };
        let event = request_id.as_deref().and_then(|id| {
            self.emulator
                .audit
                .query(&AuditFilter::default())
                .into_iter()
                .rev()
                .find(|e| e["requestID"] == json!(id))
        });
        let mut call = call_of(label, &event.unwrap_or(Value::Null));
        call.operation = operation.to_string();
        call.request_id = request_id;
        (call.error_code, call.error_message) = error.unzip();
        Ok((call, output))
    }
}

/// A call as its audit event tells it.
fn call_of(label: &'static str, event: &Value) -> Call {
    let text = |v: &Value| v.as_str().map(str::to_string);
    Call {
        label,
        operation: event["eventName"].as_str().unwrap_or("a call").to_string(),
        caller: caller_of(&event["userIdentity"]),
        request_id: text(&event["requestID"]),
        error_code: text(&event["errorCode"]),
        error_message: text(&event["errorMessage"]),
        decisions: event["additionalEventData"]["rolechain"]["decisions"]
            .as_array()
            .cloned()
            .unwrap_or_default(),
    }
}

/// The caller as a person reads it: the ARN, or the web identity's subject.
fn caller_of(identity: &Value) -> String {
    match identity["arn"].as_str() {
        Some(arn) => arn.to_string(),
        None => match (identity["userName"].as_str(), identity["accessKeyId"].as_str()) {
            (Some(subject), _) => format!("web identity {subject}"),
            (None, Some(key)) => format!("the holder of {key}"),
            (None, None) => "an unknown caller".to_string(),
        },
    }
}

/// One line of the audit trail: when, which call, by whom, and the outcome.
fn trail_entry(event: &Value) -> Value {
    json!({
        "eventTime": event["eventTime"],
        "eventSource": event["eventSource"],
        "eventName": event["eventName"],
        "caller": caller_of(&event["userIdentity"]),
        "errorCode": event["errorCode"],
        "eventCategory": event["eventCategory"],
    })
}

fn sts_credentials(credentials: Option<&aws_sdk_sts::types::Credentials>) -> Option<Credentials> {
    let c = credentials?;
    let expiry = std::time::SystemTime::try_from(c.expiration).ok();
    Some(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        expiry,
        "rolechain-demo",
    ))
}

fn expiry_iso(credentials: &Credentials) -> Option<String> {
    let at = credentials.expiry()?;
    let seconds = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(clock::iso8601(i64::try_from(seconds).ok()?))
}

/// The key of an order in the seed's `orders` table.
fn order_key(customer: &str, order_id: &str) -> std::collections::HashMap<String, AttributeValue> {
    [
        ("customer".to_string(), AttributeValue::S(customer.into())),
        ("order_id".to_string(), AttributeValue::S(order_id.into())),
    ]
    .into()
}

/// A DynamoDB item as plain JSON, for a person to read.
fn item_json(item: &std::collections::HashMap<String, AttributeValue>) -> Value {
    let mut fields: Vec<(&String, &AttributeValue)> = item.iter().collect();
    fields.sort_by_key(|(name, _)| name.as_str());
    Value::Object(fields.into_iter().map(|(k, v)| (k.clone(), value_json(v))).collect())
}

fn value_json(value: &AttributeValue) -> Value {
    match value {
        AttributeValue::S(s) => json!(s),
        // As JSON reads the number: 2 stays 2, 42.5 stays 42.5.
        AttributeValue::N(n) => serde_json::from_str(n).unwrap_or_else(|_| json!(n)),
        AttributeValue::Bool(b) => json!(b),
        AttributeValue::L(list) => Value::Array(list.iter().map(value_json).collect()),
        AttributeValue::M(map) => item_json(map),
        AttributeValue::Null(_) => Value::Null,
        other => json!(format!("{other:?}")),
    }
}

/// Replaces `path` whole: a reader sees the old token or the new one, never half of one.
fn write_atomically(path: &Path, text: &str) -> Result<(), String> {
    let staging = path.with_extension("new");
    std::fs::write(&staging, text)
        .and_then(|()| std::fs::rename(&staging, path))
        .map_err(|e| format!("cannot write the token file {}: {e}", path.display()))
}

/// How long the demo may take before something is clearly wrong.
pub const DEADLINE: Duration = Duration::from_secs(60);
