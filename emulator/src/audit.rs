//! The audit log: one event per call, in CloudTrail's shape (userIdentity,
//! eventSource, eventName, requestParameters, responseElements,
//! errorCode/errorMessage), plus the policy decision and the statements that
//! made it under `additionalEventData.rolechain`. Events are kept in memory
//! for the admin API and, with `--audit-log FILE`, appended as JSON lines.

use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use rolechain_policy::authorize::{Decision, MatchedStatement};
use rolechain_policy::kind::PolicyType;
use rolechain_policy::model::Effect;
use serde::Serialize;
use serde_json::{Value, json};

use crate::authz::{Caller, Identity};
use crate::clock;
use crate::state::State;

/// Events kept in memory; older ones are dropped first (the file keeps all).
const KEPT_EVENTS: usize = 10_000;

#[derive(Debug)]
pub struct AuditLog {
    events: Mutex<VecDeque<Kept>>,
    file: Option<Mutex<File>>,
}

/// An event as kept in memory: its JSON text, and the fields queries filter
/// on. A `serde_json::Value` costs several times its text in memory (about
/// 13 KiB against 2.4 KB for an AssumeRole event, measured), so only the
/// events a query returns are parsed again.
#[derive(Debug)]
struct Kept {
    json: Box<str>,
    event_name: Box<str>,
    event_source: Box<str>,
    error_code: Option<Box<str>>,
    /// The userIdentity's ARN, principal id and user name, one per line.
    principal: Box<str>,
}

impl Kept {
    /// An event given as a `Value`.
    fn new(event: &Value, json: String) -> Kept {
        fn text(v: &Value) -> &str {
            v.as_str().unwrap_or_default()
        }
        Kept::of(
            json,
            text(&event["eventName"]),
            text(&event["eventSource"]),
            event.get("errorCode").and_then(Value::as_str),
            &event["userIdentity"],
        )
    }

    /// An event from its parts, as [`AuditLog::record_call`] has them.
    fn of(json: String, event_name: &str, event_source: &str, error_code: Option<&str>, identity: &Value) -> Kept {
        let principal = ["arn", "principalId", "userName"]
            .iter()
            .filter_map(|k| identity.get(*k).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n");
        Kept {
            json: json.into_boxed_str(),
            event_name: event_name.into(),
            event_source: event_source.into(),
            error_code: error_code.map(Into::into),
            principal: principal.into_boxed_str(),
        }
    }
}

impl AuditLog {
    pub fn in_memory() -> AuditLog {
        AuditLog {
            events: Mutex::new(VecDeque::new()),
            file: None,
        }
    }

    /// Appends events to `path` as JSON lines (created if missing).
    pub fn with_file(path: &Path) -> std::io::Result<AuditLog> {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        Ok(AuditLog {
            events: Mutex::new(VecDeque::new()),
            file: Some(Mutex::new(file)),
        })
    }

    /// Records an event given as a `Value`.
    pub fn record(&self, event: Value) {
        let json = event.to_string();
        self.append(&json);
        self.keep(Kept::new(&event, json));
    }

    /// Records one call's CloudTrail-shaped event (see [`event_json`]).
    pub fn record_call(
        &self,
        call: &Call<'_>,
        user_identity: &Value,
        request_parameters: &Value,
        outcome: Result<&Value, (&str, &str)>,
        decisions: &[(&str, &str, &Decision)],
    ) {
        let json = event_json(call, user_identity, request_parameters, outcome, decisions);
        self.append(&json);
        let error_code = outcome.err().map(|(code, _)| code);
        self.keep(Kept::of(
            json,
            call.event_name,
            call.event_source,
            error_code,
            user_identity,
        ));
    }

    /// Appends the event to the file, if there is one.
    fn append(&self, json: &str) {
        if let Some(file) = &self.file {
            let mut file = file.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = file.write_all(json.as_bytes()).and_then(|()| file.write_all(b"\n")) {
                tracing::warn!("cannot append to the audit log: {e}");
            }
        }
    }

    fn keep(&self, kept: Kept) {
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        if events.len() == KEPT_EVENTS {
            events.pop_front();
        }
        events.push_back(kept);
    }

    /// Events matching every filter given, oldest first (the last `limit` of them).
    pub fn query(&self, filter: &AuditFilter) -> Vec<Value> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let mut matching: Vec<Value> = events
            .iter()
            .rev()
            .filter(|e| filter.matches(e))
            .take(filter.limit.unwrap_or(usize::MAX))
            .filter_map(|e| serde_json::from_str(&e.json).ok())
            .collect();
        matching.reverse();
        matching
    }

    pub fn clear(&self) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

/// What the admin API's audit query can ask for.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub event_name: Option<String>,
    pub event_source: Option<String>,
    pub error_code: Option<String>,
    /// Only denied (or only allowed) calls.
    pub denied: Option<bool>,
    /// Events whose userIdentity ARN or principalId contains this text.
    pub principal: Option<String>,
    /// The last `limit` matches.
    pub limit: Option<usize>,
}

impl AuditFilter {
    fn matches(&self, event: &Kept) -> bool {
        if self.event_name.as_deref().is_some_and(|n| *event.event_name != *n) {
            return false;
        }
        if self.event_source.as_deref().is_some_and(|n| *event.event_source != *n) {
            return false;
        }
        if self
            .error_code
            .as_deref()
            .is_some_and(|n| event.error_code.as_deref() != Some(n))
        {
            return false;
        }
        if let Some(denied) = self.denied {
            let was_denied = event.error_code.as_deref().is_some_and(|c| c.contains("AccessDenied"));
            if was_denied != denied {
                return false;
            }
        }
        if let Some(p) = &self.principal
            && !event.principal.lines().any(|v| v.contains(p.as_str()))
        {
            return false;
        }
        true
    }
}

/// One call, as the service saw it.
#[derive(Debug, Clone)]
pub struct Call<'a> {
    pub event_source: &'a str,
    pub event_name: &'a str,
    pub region: &'a str,
    pub request_id: &'a str,
    pub source_ip: &'a str,
    pub user_agent: &'a str,
    pub time: i64,
    /// The account whose resources the call touched.
    pub recipient_account: Option<&'a str>,
    /// For a data event (DynamoDB's item operations), the resources it
    /// touched, with their CloudTrail type; empty for management events.
    pub data_resources: &'a [(String, &'static str)],
}

/// A CloudTrail-shaped event as JSON text.
///
/// Written straight from the call's parts (no `serde_json::Value` tree built
/// and dropped per call). The text is the one a `Value` of the same event
/// would print: serde_json's maps are sorted by key, so every object below
/// declares its fields in that order (byte order: uppercase first), and the
/// test `events_are_written_as_the_value_tree_printed_them` holds the two
/// forms equal.
pub fn event_json(
    call: &Call<'_>,
    user_identity: &Value,
    request_parameters: &Value,
    outcome: Result<&Value, (&str, &str)>,
    decisions: &[(&str, &str, &Decision)],
) -> String {
    event_json_with_id(
        call,
        user_identity,
        request_parameters,
        outcome,
        decisions,
        uuid::Uuid::new_v4()
            .hyphenated()
            .encode_lower(&mut uuid::Uuid::encode_buffer()),
    )
}

fn event_json_with_id(
    call: &Call<'_>,
    user_identity: &Value,
    request_parameters: &Value,
    outcome: Result<&Value, (&str, &str)>,
    decisions: &[(&str, &str, &Decision)],
    event_id: &str,
) -> String {
    let (error, response) = match outcome {
        Ok(response) => (None, response),
        Err(error) => (Some(error), &Value::Null),
    };
    let data = !call.data_resources.is_empty();
    let event = Event {
        additional_event_data: (!decisions.is_empty()).then_some(AdditionalEventData {
            rolechain: RolechainData {
                decisions: DecisionList(decisions),
            },
        }),
        aws_region: call.region,
        error_code: error.map(|(code, _)| code),
        error_message: error.map(|(_, message)| message),
        // CloudTrail logs item-level calls as data events, naming the resources.
        event_category: if data { "Data" } else { "Management" },
        event_id,
        event_name: call.event_name,
        event_source: call.event_source,
        event_time: &clock::iso8601(call.time),
        event_type: "AwsApiCall",
        event_version: "1.08",
        management_event: !data,
        read_only: is_read_only(call.event_name),
        recipient_account_id: call.recipient_account,
        request_id: call.request_id,
        request_parameters,
        resources: data.then_some(Resources {
            account: call.recipient_account.unwrap_or_default(),
            resources: call.data_resources,
        }),
        response_elements: response,
        source_ip_address: call.source_ip,
        user_agent: call.user_agent,
        user_identity,
    };
    let mut text = Vec::with_capacity(2048);
    match serde_json::to_writer(&mut text, &event) {
        // serde_json writes UTF-8 only.
        Ok(()) => String::from_utf8(text).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        // Writing to a Vec fails only on a failing Serialize impl, which none here has.
        Err(e) => {
            tracing::warn!("cannot write an audit event: {e}");
            String::from("{}")
        }
    }
}

/// The event's top level, keys in sorted order (see [`event_json`]).
#[derive(Serialize)]
struct Event<'a> {
    #[serde(rename = "additionalEventData", skip_serializing_if = "Option::is_none")]
    additional_event_data: Option<AdditionalEventData<'a>>,
    #[serde(rename = "awsRegion")]
    aws_region: &'a str,
    #[serde(rename = "errorCode", skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    #[serde(rename = "errorMessage", skip_serializing_if = "Option::is_none")]
    error_message: Option<&'a str>,
    #[serde(rename = "eventCategory")]
    event_category: &'static str,
    #[serde(rename = "eventID")]
    event_id: &'a str,
    #[serde(rename = "eventName")]
    event_name: &'a str,
    #[serde(rename = "eventSource")]
    event_source: &'a str,
    #[serde(rename = "eventTime")]
    event_time: &'a str,
    #[serde(rename = "eventType")]
    event_type: &'static str,
    #[serde(rename = "eventVersion")]
    event_version: &'static str,
    #[serde(rename = "managementEvent")]
    management_event: bool,
    #[serde(rename = "readOnly")]
    read_only: bool,
    #[serde(rename = "recipientAccountId", skip_serializing_if = "Option::is_none")]
    recipient_account_id: Option<&'a str>,
    #[serde(rename = "requestID")]
    request_id: &'a str,
    #[serde(rename = "requestParameters")]
    request_parameters: &'a Value,
    #[serde(rename = "resources", skip_serializing_if = "Option::is_none")]
    resources: Option<Resources<'a>>,
    #[serde(rename = "responseElements")]
    response_elements: &'a Value,
    #[serde(rename = "sourceIPAddress")]
    source_ip_address: &'a str,
    #[serde(rename = "userAgent")]
    user_agent: &'a str,
    #[serde(rename = "userIdentity")]
    user_identity: &'a Value,
}

/// A data event's resources: `[{"ARN", "accountId", "type"}, ...]`.
struct Resources<'a> {
    account: &'a str,
    resources: &'a [(String, &'static str)],
}

impl Serialize for Resources<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Resource<'a> {
            #[serde(rename = "ARN")]
            arn: &'a str,
            #[serde(rename = "accountId")]
            account_id: &'a str,
            #[serde(rename = "type")]
            kind: &'a str,
        }
        serializer.collect_seq(self.resources.iter().map(|(arn, kind)| Resource {
            arn,
            account_id: self.account,
            kind,
        }))
    }
}

/// `additionalEventData`: `{"rolechain": {"decisions": [...]}}`.
#[derive(Serialize)]
struct AdditionalEventData<'a> {
    rolechain: RolechainData<'a>,
}

#[derive(Serialize)]
struct RolechainData<'a> {
    decisions: DecisionList<'a>,
}

struct DecisionList<'a>(&'a [(&'a str, &'a str, &'a Decision)]);

impl Serialize for DecisionList<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(action, resource, d)| DecisionEvent {
            action,
            deciding_statements: Statements(&d.deciding_statements),
            decision: d.decision.as_str(),
            denied_by: d.denied_by.map(|t| t.phrase()),
            message: d.message.as_deref(),
            missing_context_keys: &d.missing_context_keys,
            resource,
        }))
    }
}

/// One decision; `deniedBy` and `message` are `null` when absent.
#[derive(Serialize)]
struct DecisionEvent<'a> {
    action: &'a str,
    #[serde(rename = "decidingStatements")]
    deciding_statements: Statements<'a>,
    decision: &'static str,
    #[serde(rename = "deniedBy")]
    denied_by: Option<&'static str>,
    message: Option<&'a str>,
    #[serde(rename = "missingContextKeys")]
    missing_context_keys: &'a [String],
    resource: &'a str,
}

/// Matched statements with their keys sorted, as a `Value` of a
/// [`MatchedStatement`] prints them (its own `Serialize` keeps declaration order).
struct Statements<'a>(&'a [MatchedStatement]);

impl Serialize for Statements<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Statement<'a> {
            column: u32,
            effect: Effect,
            line: u32,
            #[serde(rename = "policyId")]
            policy_id: &'a str,
            #[serde(rename = "policyType")]
            policy_type: PolicyType,
            #[serde(skip_serializing_if = "Option::is_none")]
            sid: Option<&'a str>,
            #[serde(rename = "statementIndex")]
            statement_index: usize,
        }
        serializer.collect_seq(self.0.iter().map(|s| {
            // Every field named: a field added to MatchedStatement fails to
            // compile here instead of going missing from the events.
            let MatchedStatement {
                policy_id,
                policy_type,
                statement_index,
                sid,
                effect,
                line,
                column,
            } = s;
            Statement {
                column: *column,
                effect: *effect,
                line: *line,
                policy_id,
                policy_type: *policy_type,
                sid: sid.as_deref(),
                statement_index: *statement_index,
            }
        }))
    }
}

fn is_read_only(name: &str) -> bool {
    ["Get", "List", "Describe", "Simulate"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// CloudTrail's `userIdentity` for an authenticated caller.
pub fn user_identity(state: &State, caller: &Caller) -> Value {
    let principal_id = caller.user_id(state);
    match &caller.identity {
        Identity::Root | Identity::UserSession { user: None, .. } => json!({
            "type": "Root",
            "principalId": principal_id,
            "arn": caller.arn(),
            "accountId": caller.account,
            "accessKeyId": caller.access_key_id,
        }),
        Identity::User { key } | Identity::UserSession { user: Some(key), .. } => {
            let name = state
                .account(&caller.account)
                .and_then(|a| a.users.get(key))
                .map(|u| u.name.clone())
                .unwrap_or_default();
            let mut identity = json!({
                "type": "IAMUser",
                "principalId": principal_id,
                "arn": caller.arn(),
                "accountId": caller.account,
                "accessKeyId": caller.access_key_id,
                "userName": name,
            });
            if let Identity::UserSession { issued_at, .. } = &caller.identity {
                identity["sessionContext"] = json!({
                    "attributes": { "creationDate": clock::iso8601(*issued_at), "mfaAuthenticated": "false" }
                });
            }
            identity
        }
        Identity::RoleSession { session, issued_at, .. } => {
            let mut context = json!({
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": session.role_id,
                    "arn": session.role_arn,
                    "accountId": session.account,
                    "userName": session.role_name,
                },
                "attributes": {
                    "creationDate": clock::iso8601(*issued_at),
                    "mfaAuthenticated": if session.mfa { "true" } else { "false" },
                },
            });
            if let Some(web) = &session.web_identity {
                context["webIdFederationData"] = json!({
                    "federatedProvider": web.provider_arn,
                    "attributes": {},
                });
            }
            if let Some(source) = &session.source_identity {
                context["sourceIdentity"] = json!(source);
            }
            json!({
                "type": "AssumedRole",
                "principalId": principal_id,
                "arn": caller.arn(),
                "accountId": caller.account,
                "accessKeyId": caller.access_key_id,
                "sessionContext": context,
            })
        }
    }
}

/// CloudTrail's `userIdentity` for AssumeRoleWithWebIdentity, whose caller is
/// known only by its token.
pub fn web_identity_user(provider: &str, audience: &str, subject: &str) -> Value {
    json!({
        "type": "WebIdentityUser",
        "principalId": format!("{provider}:{audience}:{subject}"),
        "userName": subject,
        "identityProvider": provider,
    })
}

/// `userIdentity` when the caller could not be authenticated.
pub fn unknown_identity(access_key_id: Option<&str>) -> Value {
    match access_key_id {
        Some(key) => json!({ "type": "Unknown", "accessKeyId": key }),
        None => json!({ "type": "Unknown" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rolechain_policy::authorize::EvalDecision;
    use serde_json::Map;

    /// The event as it was built before [`event_json`], as a `Value` tree:
    /// the reference the text must equal, byte for byte.
    fn value_event(
        call: &Call<'_>,
        user_identity: Value,
        request_parameters: Value,
        outcome: Result<Value, (&str, &str)>,
        decisions: &[(&str, &str, &Decision)],
        event_id: &str,
    ) -> Value {
        let mut event = Map::new();
        event.insert("eventVersion".into(), json!("1.08"));
        event.insert("userIdentity".into(), user_identity);
        event.insert("eventTime".into(), json!(clock::iso8601(call.time)));
        event.insert("eventSource".into(), json!(call.event_source));
        event.insert("eventName".into(), json!(call.event_name));
        event.insert("awsRegion".into(), json!(call.region));
        event.insert("sourceIPAddress".into(), json!(call.source_ip));
        event.insert("userAgent".into(), json!(call.user_agent));
        match outcome {
            Ok(response) => {
                event.insert("requestParameters".into(), request_parameters);
                event.insert("responseElements".into(), response);
            }
            Err((code, message)) => {
                event.insert("errorCode".into(), json!(code));
                event.insert("errorMessage".into(), json!(message));
                event.insert("requestParameters".into(), request_parameters);
                event.insert("responseElements".into(), Value::Null);
            }
        }
        event.insert("requestID".into(), json!(call.request_id));
        event.insert("eventID".into(), json!(event_id));
        event.insert("readOnly".into(), json!(is_read_only(call.event_name)));
        event.insert("eventType".into(), json!("AwsApiCall"));
        if call.data_resources.is_empty() {
            event.insert("managementEvent".into(), json!(true));
            event.insert("eventCategory".into(), json!("Management"));
        } else {
            event.insert("managementEvent".into(), json!(false));
            event.insert("eventCategory".into(), json!("Data"));
            let account = call.recipient_account.unwrap_or_default();
            let resources: Vec<Value> = call
                .data_resources
                .iter()
                .map(|(arn, kind)| json!({ "accountId": account, "type": kind, "ARN": arn }))
                .collect();
            event.insert("resources".into(), Value::Array(resources));
        }
        if let Some(account) = call.recipient_account {
            event.insert("recipientAccountId".into(), json!(account));
        }
        if !decisions.is_empty() {
            let list: Vec<Value> = decisions
                .iter()
                .map(|(action, resource, d)| {
                    json!({
                        "action": action,
                        "resource": resource,
                        "decision": d.decision.as_str(),
                        "deniedBy": d.denied_by.map(|t| t.phrase()),
                        "decidingStatements": d.deciding_statements,
                        "missingContextKeys": d.missing_context_keys,
                        "message": d.message,
                    })
                })
                .collect();
            event.insert(
                "additionalEventData".into(),
                json!({ "rolechain": { "decisions": list } }),
            );
        }
        Value::Object(event)
    }

    fn statement(index: usize, sid: Option<&str>, effect: Effect, policy_type: PolicyType) -> MatchedStatement {
        MatchedStatement {
            policy_id: format!("arn:aws:iam::2:policy/p{index} (inline \"q\")").into(),
            policy_type,
            statement_index: index,
            sid: sid.map(Into::into),
            effect,
            line: 3 + index as u32,
            column: 5,
        }
    }

    #[test]
    fn events_are_written_as_the_value_tree_printed_them() {
        let allowed = Decision {
            decision: EvalDecision::Allowed,
            denied_by: None,
            deciding_statements: vec![
                statement(0, Some("ReadOrders"), Effect::Allow, PolicyType::Identity),
                statement(2, None, Effect::Allow, PolicyType::Resource),
            ],
            matched_statements: vec![statement(9, Some("NotWritten"), Effect::Allow, PolicyType::Identity)],
            missing_context_keys: vec![],
            message: None,
        };
        let denied = Decision {
            decision: EvalDecision::ExplicitDeny,
            denied_by: Some(PolicyType::ServiceControl),
            deciding_statements: vec![statement(1, Some("DenyAll"), Effect::Deny, PolicyType::ServiceControl)],
            matched_statements: vec![],
            missing_context_keys: vec!["aws:SourceIp".into(), "dynamodb:LeadingKeys".into()],
            message: Some("User: x is not authorized \"here\" \u{e9}\u{1}".into()),
        };
        let implicit = Decision {
            decision: EvalDecision::ImplicitDeny,
            denied_by: Some(PolicyType::Identity),
            deciding_statements: vec![],
            matched_statements: vec![],
            missing_context_keys: vec![],
            message: Some("no".into()),
        };
        let table = "arn:aws:dynamodb:eu-west-2:222222222222:table/orders";
        let resources = [
            (table.to_string(), "AWS::DynamoDB::Table"),
            ("arn:other".to_string(), "T"),
        ];
        let identities = [
            user_identity_example(),
            unknown_identity(Some("AKIA\"X")),
            unknown_identity(None),
            web_identity_user(
                "arn:aws:iam::1:oidc-provider/x",
                "sts.amazonaws.com",
                "system:serviceaccount:a:b",
            ),
        ];
        let parameters = [
            json!({ "roleArn": "arn:aws:iam::2:role/r", "durationSeconds": 3600, "tags": [{"key": "k", "value": "v\n"}] }),
            json!({ "tableName": "orders", "key": { "customer": { "S": "alice" } }, "x": 1.5, "y": -2 }),
            Value::Null,
        ];
        let responses = [
            json!({ "credentials": { "accessKeyId": "ASIA", "expiration": "2026-11-26T23:10:33Z" } }),
            Value::Null,
        ];
        let mut cases = 0;
        for (name, data, account) in [
            ("AssumeRole", &resources[..0], Some("222222222222")),
            ("GetItem", &resources[..1], Some("222222222222")),
            ("BatchGetItem", &resources[..], None),
            ("GetCallerIdentity", &resources[..0], None),
        ] {
            let call = Call {
                event_source: "dynamodb.amazonaws.com",
                event_name: name,
                region: "eu-west-2",
                request_id: "5f1c1f9e-0000-4000-8000-000000000000",
                source_ip: "127.0.0.1",
                user_agent: "aws-sdk-rust/1.3 \"quoted\" \\ tab\t \u{2028} \u{1f600}",
                time: 1_795_731_033,
                recipient_account: account,
                data_resources: data,
            };
            for identity in &identities {
                for parameters in &parameters {
                    for decisions in [
                        &[][..],
                        &[("dynamodb:GetItem", table, &allowed)][..],
                        &[
                            ("sts:AssumeRole", "arn:aws:iam::2:role/r", &denied),
                            ("a", "b", &implicit),
                        ][..],
                    ] {
                        let outcomes: [Result<&Value, (&str, &str)>; 3] = [
                            Ok(&responses[0]),
                            Ok(&responses[1]),
                            Err(("AccessDenied", "User: \"x\" is not authorized")),
                        ];
                        for outcome in outcomes {
                            let id = "0b3c6d1e-7f0a-4e5b-9c8d-1a2b3c4d5e6f";
                            let text = event_json_with_id(&call, identity, parameters, outcome, decisions, id);
                            let reference = value_event(
                                &call,
                                identity.clone(),
                                parameters.clone(),
                                outcome.cloned(),
                                decisions,
                                id,
                            );
                            assert_eq!(text, reference.to_string());

                            // And what the admin API filters on is the same.
                            let kept = Kept::of(
                                text.clone(),
                                call.event_name,
                                call.event_source,
                                outcome.err().map(|(c, _)| c),
                                identity,
                            );
                            let from_value = Kept::new(&reference, reference.to_string());
                            assert_eq!(kept.json, from_value.json);
                            assert_eq!(kept.event_name, from_value.event_name);
                            assert_eq!(kept.event_source, from_value.event_source);
                            assert_eq!(kept.error_code, from_value.error_code);
                            assert_eq!(kept.principal, from_value.principal);
                            cases += 1;
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 4 * 4 * 3 * 3 * 3);
    }

    /// A role session's identity, in the shape `user_identity` gives it.
    fn user_identity_example() -> Value {
        json!({
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:s1",
            "arn": "arn:aws:sts::222222222222:assumed-role/dynamodb-reader/s1",
            "accountId": "222222222222",
            "accessKeyId": "ASIAEXAMPLE",
            "sessionContext": {
                "sessionIssuer": { "type": "Role", "userName": "dynamodb-reader" },
                "attributes": { "creationDate": "2026-11-26T22:10:33Z", "mfaAuthenticated": "false" },
            },
        })
    }

    #[test]
    fn recorded_calls_are_kept_and_filtered_by_their_parts() {
        let log = AuditLog::in_memory();
        let call = Call {
            event_source: "sts.amazonaws.com",
            event_name: "AssumeRole",
            region: "us-east-1",
            request_id: "r",
            source_ip: "127.0.0.1",
            user_agent: "ua",
            time: 0,
            recipient_account: None,
            data_resources: &[],
        };
        let identity = user_identity_example();
        log.record_call(&call, &identity, &Value::Null, Err(("AccessDenied", "no")), &[]);
        log.record_call(&call, &identity, &Value::Null, Ok(&Value::Null), &[]);
        let denied = AuditFilter {
            denied: Some(true),
            principal: Some("dynamodb-reader/s1".into()),
            event_name: Some("AssumeRole".into()),
            event_source: Some("sts.amazonaws.com".into()),
            ..AuditFilter::default()
        };
        let found = log.query(&denied);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0]["errorCode"], "AccessDenied");
        assert_eq!(found[0]["userIdentity"], identity);
        assert_eq!(found[0]["eventID"].as_str().map(str::len), Some(36));
        assert_eq!(log.query(&AuditFilter::default()).len(), 2);
    }

    fn event(name: &str, error: Option<&str>, arn: &str) -> Value {
        let mut e = json!({
            "eventName": name,
            "eventSource": "sts.amazonaws.com",
            "userIdentity": { "arn": arn, "principalId": "AROAEXAMPLE:s" },
        });
        if let Some(code) = error {
            e["errorCode"] = json!(code);
        }
        e
    }

    #[test]
    fn queries_filter_and_keep_the_last_matches_in_order() {
        let log = AuditLog::in_memory();
        log.record(event("AssumeRole", None, "arn:aws:iam::1:user/a"));
        log.record(event("AssumeRole", Some("AccessDenied"), "arn:aws:iam::1:user/b"));
        log.record(event("GetCallerIdentity", None, "arn:aws:iam::1:user/a"));
        log.record(event("AssumeRole", None, "arn:aws:iam::1:user/c"));
        let names = |f: &AuditFilter| -> Vec<String> {
            log.query(f)
                .iter()
                .map(|e| e["userIdentity"]["arn"].as_str().unwrap().to_string())
                .collect()
        };
        let assume = AuditFilter {
            event_name: Some("AssumeRole".into()),
            ..AuditFilter::default()
        };
        assert_eq!(
            names(&assume),
            [
                "arn:aws:iam::1:user/a",
                "arn:aws:iam::1:user/b",
                "arn:aws:iam::1:user/c"
            ]
        );
        let last_two = AuditFilter {
            limit: Some(2),
            ..assume.clone()
        };
        assert_eq!(names(&last_two), ["arn:aws:iam::1:user/b", "arn:aws:iam::1:user/c"]);
        let denied = AuditFilter {
            denied: Some(true),
            ..AuditFilter::default()
        };
        assert_eq!(names(&denied), ["arn:aws:iam::1:user/b"]);
        let by_principal = AuditFilter {
            principal: Some("user/a".into()),
            ..AuditFilter::default()
        };
        assert_eq!(log.query(&by_principal).len(), 2);
        log.clear();
        assert!(log.query(&AuditFilter::default()).is_empty());
    }

    #[test]
    fn the_oldest_events_go_first() {
        let log = AuditLog::in_memory();
        for i in 0..KEPT_EVENTS + 5 {
            log.record(event(&format!("E{i}"), None, "x"));
        }
        let all = log.query(&AuditFilter::default());
        assert_eq!(all.len(), KEPT_EVENTS);
        assert_eq!(all[0]["eventName"], "E5");
    }
}
