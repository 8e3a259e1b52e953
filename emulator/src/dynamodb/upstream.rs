//! Upstream mode (`rolechain serve --dynamodb-upstream URL`): authorization
//! and the audit stay here, the data lives in a DynamoDB-compatible engine
//! (Amazon DynamoDB, DynamoDB Local, ScyllaDB Alternator, moto).
//!
//! An allowed request is forwarded as it came — same operation, same JSON
//! body with table ARNs turned into names — re-signed with SigV4 for
//! `dynamodb` with the upstream's credentials
//! (`ROLECHAIN_UPSTREAM_ACCESS_KEY_ID`, `ROLECHAIN_UPSTREAM_SECRET_ACCESS_KEY`,
//! optional `ROLECHAIN_UPSTREAM_SESSION_TOKEN`, `ROLECHAIN_UPSTREAM_REGION`),
//! and the upstream's answer (status, body, `x-amz-crc32`) goes back as is.
//!
//! What authorization needs of a table comes from the upstream too: the key
//! schema (for `dynamodb:LeadingKeys`) by `DescribeTable`, cached per
//! account, region and table and dropped when CreateTable, UpdateTable or
//! DeleteTable goes through here or the upstream says the table is gone.
//! Resource-based policies stay here: Put/Get/DeleteResourcePolicy are
//! answered and enforced by rolechain, never sent upstream.
//!
//! One upstream serves every account of the world: upstream engines are
//! single-account, so tables of different accounts share one namespace
//! there (no prefix is added). See docs/dynamodb-upstream.md.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use super::access::Target;
use super::service::{DdbError, TableKeys, Tables};
use crate::clock::Clock;
use crate::emulator::Emulator;
use crate::world::BuiltTable;

/// The environment variables upstream mode reads.
pub const ENV_ACCESS_KEY_ID: &str = "ROLECHAIN_UPSTREAM_ACCESS_KEY_ID";
pub const ENV_SECRET_ACCESS_KEY: &str = "ROLECHAIN_UPSTREAM_SECRET_ACCESS_KEY";
pub const ENV_SESSION_TOKEN: &str = "ROLECHAIN_UPSTREAM_SESSION_TOKEN";
pub const ENV_REGION: &str = "ROLECHAIN_UPSTREAM_REGION";

/// Largest upstream answer read (DynamoDB's own answers stay under 16 MiB).
const MAX_ANSWER_BYTES: usize = 64 << 20;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// Operations answered here in upstream mode: resource policies stay in rolechain.
const LOCAL_OPERATIONS: [&str; 3] = ["PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy"];

/// Operations whose authorization reads the table's key schema
/// (`dynamodb:LeadingKeys`), or whose `ResourceArn` names the upstream's table.
const NEEDS_KEYS: [&str; 12] = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
    "TagResource",
    "UntagResource",
    "ListTagsOfResource",
];

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;
type TableId = (String, String, String);

/// The upstream's answer, passed to the client as is.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Bytes,
    /// The upstream's `x-amz-crc32`, when it sent one.
    pub crc32: Option<String>,
}

impl Reply {
    /// For the audit: the error code (the `__type` after `#`) and message of a
    /// failed answer; `None` when it succeeded.
    pub fn error(&self) -> Option<(String, String)> {
        if (200..300).contains(&self.status) {
            return None;
        }
        let body: Value = serde_json::from_slice(&self.body).unwrap_or(Value::Null);
        let kind = body.get("__type").and_then(Value::as_str).unwrap_or_default();
        let code = kind
            .rsplit('#')
            .next()
            .filter(|c| !c.is_empty())
            .map_or_else(|| format!("HTTP {}", self.status), str::to_string);
        let message = ["message", "Message"]
            .iter()
            .find_map(|k| body.get(k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_string();
        Some((code, message))
    }
}

/// What an operation answers in upstream mode.
#[derive(Debug, Clone)]
pub enum Answer {
    /// Answered by rolechain itself (resource policies).
    Local(Value),
    /// The upstream's answer.
    Upstream(Reply),
}

/// The upstream engine: where to send, how to sign, and what is known of its tables.
pub struct Upstream {
    url: String,
    uri: http::Uri,
    region: String,
    identity: Identity,
    access_key_id: String,
    /// Built on first use: `serve` starts without touching the network or
    /// the platform's certificate store.
    client: OnceLock<HttpsClient>,
    /// Key schemas from the upstream's DescribeTable, per account, region and table.
    keys: RwLock<BTreeMap<TableId, TableKeys>>,
    /// Resource policies, kept here: each table that has one is a shadow
    /// table of a private store, whose resource-policy operations (revision
    /// ids, ExpectedRevisionId, limits) are the local emulator's own.
    policies: Tables,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("url", &self.url)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn internal(message: String) -> DdbError {
    DdbError {
        code: "InternalServerError",
        message,
        status: 500,
        extra: None,
    }
}

impl Upstream {
    /// The upstream at `url` with credentials from the environment; the
    /// world's tables' resource policies are kept here. Nothing is connected.
    pub fn from_env(
        url: &str,
        default_region: &str,
        world_tables: &[BuiltTable],
        now: i64,
    ) -> Result<Upstream, String> {
        let access_key_id = env(ENV_ACCESS_KEY_ID);
        let secret = env(ENV_SECRET_ACCESS_KEY);
        let (Some(access_key_id), Some(secret)) = (access_key_id, secret) else {
            return Err(format!(
                "--dynamodb-upstream {url}: set {ENV_ACCESS_KEY_ID} and {ENV_SECRET_ACCESS_KEY} to the upstream's \
                 credentials (any non-empty pair for DynamoDB Local or moto)"
            ));
        };
        let region = env(ENV_REGION).unwrap_or_else(|| default_region.to_string());
        let credentials = Credentials::new(
            &access_key_id,
            secret,
            env(ENV_SESSION_TOKEN),
            None,
            "rolechain-upstream",
        );
        let upstream = Upstream::new(url, &region, credentials)?;
        upstream.keep_world_policies(default_region, world_tables, now)?;
        Ok(upstream)
    }

    /// The upstream at `url`, signing for `region` with `credentials`.
    pub fn new(url: &str, region: &str, credentials: Credentials) -> Result<Upstream, String> {
        Ok(Upstream {
            url: url.trim_end_matches('/').to_string(),
            uri: parse_url(url)?,
            region: region.to_string(),
            access_key_id: credentials.access_key_id().to_string(),
            identity: credentials.into(),
            client: OnceLock::new(),
            keys: RwLock::new(BTreeMap::new()),
            policies: Tables::new(),
        })
    }

    /// The world's tables are not created upstream; their resource policies are kept here.
    fn keep_world_policies(&self, world_region: &str, tables: &[BuiltTable], now: i64) -> Result<(), String> {
        for table in tables {
            let Some(policy) = &table.resource_policy else {
                continue;
            };
            let name = table.create["TableName"].as_str().unwrap_or_default();
            let arn = format!("arn:aws:dynamodb:{world_region}:{}:table/{name}", table.account);
            let input = json!({ "ResourceArn": arn, "Policy": policy });
            self.put_policy(&table.account, world_region, name, &input, now)
                .map_err(|e| format!("{}: {}: {}", table.path, e.code, e.message))?;
        }
        Ok(())
    }

    /// The URL requests go to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The table's key schema as the upstream described it, if known.
    pub fn table_keys(&self, account: &str, region: &str, table: &str) -> Option<TableKeys> {
        let id = (account.to_string(), region.to_string(), table.to_string());
        self.keys.read().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }

    /// The table's resource policy, kept here.
    pub fn resource_policy(&self, account: &str, region: &str, table: &str) -> Option<String> {
        self.policies.resource_policy(account, region, table)
    }

    /// Before authorization: learns the key schema of every table whose
    /// `dynamodb:LeadingKeys` the operation needs. A table the upstream does
    /// not have gets none (the operation then fails there); an upstream that
    /// cannot say fails the request, rather than deciding without the keys.
    pub async fn prepare(&self, target: &Target, operation: &str, clock: &Clock) -> Result<(), DdbError> {
        if !NEEDS_KEYS.contains(&operation) {
            return Ok(());
        }
        for table in tables_of(operation, &target.input) {
            self.describe(&target.account, &target.region, &table, clock).await?;
        }
        Ok(())
    }

    /// Runs an authorized operation: resource policies here, everything else upstream.
    pub async fn execute(&self, target: &Target, operation: &str, clock: &Clock) -> Result<Answer, DdbError> {
        let (account, region) = (target.account.as_str(), target.region.as_str());
        if LOCAL_OPERATIONS.contains(&operation) {
            return self.policy_operation(target, operation, clock).await.map(Answer::Local);
        }
        let mut input = target.input.clone();
        // The upstream's tables have the upstream's ARNs.
        if let Some(arn) = input.get("ResourceArn").and_then(Value::as_str)
            && let Some(table) = arn_table(arn)
            && let Some(keys) = self.table_keys(account, region, table)
        {
            let rest = arn.split_once(&format!("table/{table}")).map_or("", |(_, r)| r);
            input["ResourceArn"] = Value::String(format!("{}{rest}", keys.arn));
        }
        let body = serde_json::to_vec(&input).map_err(|e| internal(format!("cannot encode the request: {e}")))?;
        let reply = self.send(operation, body, clock).await?;
        let tables = tables_of(operation, &target.input);
        let gone = reply
            .error()
            .is_some_and(|(code, _)| code == "ResourceNotFoundException");
        let changed = matches!(operation, "CreateTable" | "UpdateTable" | "DeleteTable");
        if gone || changed {
            for table in &tables {
                self.forget(table);
            }
        }
        if operation == "DeleteTable" && reply.error().is_none() {
            // A table's resource policy goes with it.
            for table in &tables {
                let _ = self.policies.execute(
                    account,
                    region,
                    "DeleteTable",
                    &json!({ "TableName": table }),
                    clock.now(),
                );
            }
        }
        Ok(Answer::Upstream(reply))
    }

    /// The key schema of `table`: cached, or from the upstream's DescribeTable.
    async fn describe(
        &self,
        account: &str,
        region: &str,
        table: &str,
        clock: &Clock,
    ) -> Result<Option<TableKeys>, DdbError> {
        if let Some(keys) = self.table_keys(account, region, table) {
            return Ok(Some(keys));
        }
        let body = serde_json::to_vec(&json!({ "TableName": table }))
            .map_err(|e| internal(format!("cannot encode the request: {e}")))?;
        let reply = self.send("DescribeTable", body, clock).await?;
        match reply.error() {
            None => {}
            Some((code, _)) if code == "ResourceNotFoundException" => return Ok(None),
            Some((code, message)) => {
                return Err(internal(format!(
                    "The DynamoDB upstream {} did not describe table {table}, whose key schema authorization \
                     needs: {code}: {message}",
                    self.url
                )));
            }
        }
        let description: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        let Some(keys) = keys_of(&description["Table"]) else {
            return Err(internal(format!(
                "The DynamoDB upstream {} described table {table} without a key schema",
                self.url
            )));
        };
        self.keys.write().unwrap_or_else(|e| e.into_inner()).insert(
            (account.to_string(), region.to_string(), table.to_string()),
            keys.clone(),
        );
        Ok(Some(keys))
    }

    /// Drops what is cached of `table`, in every account: they share the upstream's namespace.
    fn forget(&self, table: &str) {
        self.keys
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|(_, _, t), _| t != table);
    }

    /// Put/Get/DeleteResourcePolicy, answered here for a table the upstream has.
    async fn policy_operation(&self, target: &Target, operation: &str, clock: &Clock) -> Result<Value, DdbError> {
        let (account, region) = (target.account.as_str(), target.region.as_str());
        let arn = target
            .input
            .get("ResourceArn")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let Some(table) = arn_table(arn) else {
            return Err(DdbError::validation(format!(
                "Invalid ResourceArn provided as input {arn}"
            )));
        };
        let exists_here = self.policies.table_keys(account, region, table).is_some();
        if !exists_here && self.describe(account, region, table, clock).await?.is_none() {
            return Err(DdbError::table_not_found(table));
        }
        let now = clock.now();
        match operation {
            "PutResourcePolicy" => self.put_policy(account, region, table, &target.input, now),
            _ => self.policies.execute(account, region, operation, &target.input, now),
        }
    }

    fn put_policy(&self, account: &str, region: &str, table: &str, input: &Value, now: i64) -> Result<Value, DdbError> {
        if self.policies.table_keys(account, region, table).is_none() {
            let shadow = json!({
                "TableName": table,
                "KeySchema": [{ "AttributeName": "pk", "KeyType": "HASH" }],
                "AttributeDefinitions": [{ "AttributeName": "pk", "AttributeType": "S" }],
                "BillingMode": "PAY_PER_REQUEST",
            });
            self.policies.execute(account, region, "CreateTable", &shadow, now)?;
        }
        self.policies.execute(account, region, "PutResourcePolicy", input, now)
    }

    /// The pooled HTTP(S) client, built on first use.
    fn client(&self) -> Result<&HttpsClient, DdbError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let mut roots = rustls::RootCertStore::empty();
        if self.uri.scheme_str() == Some("https") {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::warn!("DynamoDB upstream: reading the platform's CA certificates: {error}");
            }
            let (added, _) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                tracing::warn!("DynamoDB upstream: the platform has no CA certificates; HTTPS will fail");
            }
        }
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| internal(format!("TLS for the DynamoDB upstream {}: {e}", self.url)))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(self.client.get_or_init(|| client))
    }

    /// One POST to the upstream, signed with SigV4 for `dynamodb` in the
    /// upstream's region at the real time (the upstream checks the
    /// signature's time against its own clock, not the emulator's).
    async fn send(&self, operation: &str, body: Vec<u8>, clock: &Clock) -> Result<Reply, DdbError> {
        let unreachable = |e: &dyn std::fmt::Display| {
            internal(format!("The DynamoDB upstream {} could not be reached: {e}", self.url))
        };
        let authority = self.uri.authority().map(|a| a.as_str()).unwrap_or_default();
        let body = Bytes::from(body);
        let mut request = http::Request::post(self.uri.clone())
            .header(http::header::HOST, authority)
            .header(http::header::CONTENT_TYPE, "application/x-amz-json-1.0")
            .header("x-amz-target", format!("{TARGET_PREFIX}{operation}"))
            .body(Full::new(body.clone()))
            .map_err(|e| unreachable(&e))?;
        let signed_at = UNIX_EPOCH + Duration::from_secs(u64::try_from(clock.real_now()).unwrap_or(0));
        self.sign(&mut request, &body, signed_at).map_err(|e| {
            internal(format!(
                "Cannot sign the request for the DynamoDB upstream {}: {e}",
                self.url
            ))
        })?;
        let response = self.client()?.request(request).await.map_err(|e| {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            unreachable(&text)
        })?;
        let status = response.status().as_u16();
        let crc32 = response
            .headers()
            .get("x-amz-crc32")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|e| {
                internal(format!(
                    "The answer of the DynamoDB upstream {} could not be read: {e}",
                    self.url
                ))
            })?
            .to_bytes();
        Ok(Reply { status, body, crc32 })
    }

    fn sign(&self, request: &mut http::Request<Full<Bytes>>, body: &[u8], at: SystemTime) -> Result<(), String> {
        let headers: Vec<(String, String)> = request
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let uri = request.uri().to_string();
        let signable = SignableRequest::new(
            "POST",
            uri,
            headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .map_err(|e| e.to_string())?;
        let params = v4::SigningParams::builder()
            .identity(&self.identity)
            .region(&self.region)
            .name("dynamodb")
            .time(at)
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let (instructions, _signature) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
        instructions.apply_to_request_http1x(request);
        Ok(())
    }
}

/// `http://host[:port][/path]` or `https://…`.
fn parse_url(url: &str) -> Result<http::Uri, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("--dynamodb-upstream {url}: not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(format!("--dynamodb-upstream {url}: use an http:// or https:// URL")),
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(format!("--dynamodb-upstream {url}: no host"));
    }
    if uri.query().is_some() {
        return Err(format!("--dynamodb-upstream {url}: a query string is not allowed"));
    }
    Ok(uri)
}

/// The table name of a table ARN (`…:table/NAME[/…]`).
fn arn_table(arn: &str) -> Option<&str> {
    let (_, rest) = arn.split_once(":table/")?;
    rest.split('/').next().filter(|t| !t.is_empty())
}

/// The tables an operation names (after `access::resolve`, names only).
fn tables_of(operation: &str, input: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |t: &str| {
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    };
    match operation {
        "BatchGetItem" | "BatchWriteItem" => {
            for table in input
                .get("RequestItems")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                add(table.0);
            }
        }
        "TransactGetItems" | "TransactWriteItems" => {
            for item in input
                .get("TransactItems")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(t) = item
                    .as_object()
                    .and_then(|o| o.values().next())
                    .and_then(|b| b.get("TableName"))
                    .and_then(Value::as_str)
                {
                    add(t);
                }
            }
        }
        _ => {
            if let Some(t) = input.get("TableName").and_then(Value::as_str) {
                add(t);
            } else if let Some(t) = input.get("ResourceArn").and_then(Value::as_str).and_then(arn_table) {
                add(t);
            }
        }
    }
    out
}

/// DescribeTable's `Table` → what authorization needs.
fn keys_of(table: &Value) -> Option<TableKeys> {
    let schema = |v: &Value| -> Option<(String, Option<String>)> {
        let mut hash = None;
        let mut range = None;
        for key in v.as_array()? {
            let name = key.get("AttributeName")?.as_str()?.to_string();
            match key.get("KeyType")?.as_str()? {
                "HASH" => hash = Some(name),
                "RANGE" => range = Some(name),
                _ => {}
            }
        }
        Some((hash?, range))
    };
    let (partition_key, sort_key) = schema(table.get("KeySchema")?)?;
    let mut indexes = Vec::new();
    for list in ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"] {
        for index in table.get(list).and_then(Value::as_array).into_iter().flatten() {
            if let (Some(name), Some((pk, sk))) = (
                index.get("IndexName").and_then(Value::as_str),
                index.get("KeySchema").and_then(schema),
            ) {
                indexes.push((name.to_string(), pk, sk));
            }
        }
    }
    Some(TableKeys {
        arn: table
            .get("TableArn")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        partition_key,
        sort_key,
        indexes,
    })
}

/// Upstream-aware lookups for authorization: the local store's tables, or
/// the upstream's in upstream mode.
impl Emulator {
    /// The key schema `dynamodb:LeadingKeys` is computed with.
    pub fn table_keys(&self, account: &str, region: &str, table: &str) -> Option<TableKeys> {
        match &self.upstream {
            Some(upstream) => upstream.table_keys(account, region, table),
            None => self.dynamodb.table_keys(account, region, table),
        }
    }

    /// The table's resource-based policy.
    pub fn table_resource_policy(&self, account: &str, region: &str, table: &str) -> Option<String> {
        match &self.upstream {
            Some(upstream) => upstream.resource_policy(account, region, table),
            None => self.dynamodb.resource_policy(account, region, table),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("http://127.0.0.1:8000").unwrap().port_u16(), Some(8000));
        assert_eq!(
            parse_url("https://dynamodb.eu-west-2.amazonaws.com/").unwrap().path(),
            "/"
        );
        for bad in ["ftp://x", "127.0.0.1:8000", "http://", "http://h/?a=b", "not a url"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn key_schemas_from_describe_table() {
        let table = json!({
            "TableArn": "arn:aws:dynamodb:us-east-1:000000000000:table/orders",
            "KeySchema": [{"AttributeName": "order", "KeyType": "RANGE"}, {"AttributeName": "customer", "KeyType": "HASH"}],
            "GlobalSecondaryIndexes": [{"IndexName": "by-status", "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}]}],
            "LocalSecondaryIndexes": [{"IndexName": "broken"}],
        });
        let keys = keys_of(&table).unwrap();
        assert_eq!(
            (keys.partition_key.as_str(), keys.sort_key.as_deref()),
            ("customer", Some("order"))
        );
        assert_eq!(
            keys.indexes,
            vec![("by-status".to_string(), "status".to_string(), None)]
        );
        assert_eq!(
            keys_of(&json!({"KeySchema": [{"AttributeName": "x", "KeyType": "RANGE"}]})),
            None
        );
        assert_eq!(keys_of(&Value::Null), None);
    }

    #[test]
    fn errors_of_upstream_answers() {
        let reply = |status: u16, body: &str| Reply {
            status,
            body: Bytes::from(body.to_string()),
            crc32: None,
        };
        assert_eq!(reply(200, "{}").error(), None);
        let denied = reply(
            400,
            r#"{"__type":"com.amazon.coral.service#AccessDeniedException","Message":"no"}"#,
        );
        assert_eq!(denied.error(), Some(("AccessDeniedException".into(), "no".into())));
        assert_eq!(reply(502, "<html>").error(), Some(("HTTP 502".into(), String::new())));
    }

    #[test]
    fn tables_named_by_operations() {
        let batch = json!({"RequestItems": {"a": {}, "b": {}}});
        assert_eq!(tables_of("BatchGetItem", &batch), vec!["a", "b"]);
        let transact = json!({"TransactItems": [{"Put": {"TableName": "a"}}, {"Update": {"TableName": "a"}}, 7]});
        assert_eq!(tables_of("TransactWriteItems", &transact), vec!["a"]);
        let tags = json!({"ResourceArn": "arn:aws:dynamodb:eu-west-2:222222222222:table/orders/index/x"});
        assert_eq!(tables_of("TagResource", &tags), vec!["orders"]);
        assert!(tables_of("ListTables", &json!({})).is_empty());
    }
}
