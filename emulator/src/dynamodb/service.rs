//! The DynamoDB data plane's entry point: one call per operation, JSON body
//! in, JSON body out, for one account and region. The wire edge (HTTP,
//! X-Amz-Target, SigV4) and authorization sit in front of it.

use std::fmt;

use serde_json::Value;

use super::ops;
use super::store::Store;

/// A DynamoDB error as the wire edge renders it:
/// `{"__type": "com.amazonaws.dynamodb.v20120810#<code>", "message": …}` plus
/// `extra`'s members (`CancellationReasons`, `Item`).
#[derive(Debug, Clone, PartialEq)]
pub struct DdbError {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
    pub extra: Option<Value>,
}

impl DdbError {
    pub fn new(code: &'static str, message: impl Into<String>) -> DdbError {
        DdbError {
            code,
            message: message.into(),
            status: 400,
            extra: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> DdbError {
        DdbError::new("ValidationException", message)
    }

    /// Item operations on a missing table (API reference, "Common errors":
    /// `ResourceNotFoundException`).
    pub fn not_found() -> DdbError {
        DdbError::new("ResourceNotFoundException", "Requested resource not found")
    }

    /// Table-level operations name the table.
    pub fn table_not_found(name: &str) -> DdbError {
        DdbError::new(
            "ResourceNotFoundException",
            format!("Requested resource not found: Table: {name} not found"),
        )
    }

    pub fn with_extra(mut self, extra: Value) -> DdbError {
        self.extra = Some(extra);
        self
    }
}

impl fmt::Display for DdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for DdbError {}

/// What authorization needs to know of a table before an operation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableKeys {
    pub arn: String,
    pub partition_key: String,
    pub sort_key: Option<String>,
    /// (index name, partition key, sort key)
    pub indexes: Vec<(String, String, Option<String>)>,
}

/// All tables of all accounts and regions. Internally locked; share it
/// between threads behind an `Arc` (or a `static`).
#[derive(Debug, Default)]
pub struct Tables {
    pub(crate) store: Store,
}

impl Tables {
    pub fn new() -> Tables {
        Tables { store: Store::new() }
    }

    /// The store, for a persistence layer to install its change log.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs one DynamoDB operation (`operation` = the X-Amz-Target suffix,
    /// e.g. "GetItem") for `account` in `region` on the JSON request body;
    /// returns the JSON response body. `now` = epoch seconds.
    pub fn execute(
        &self,
        account: &str,
        region: &str,
        operation: &str,
        input: &Value,
        now: i64,
    ) -> Result<Value, DdbError> {
        let cx = ops::Cx {
            store: &self.store,
            account,
            region,
            now,
        };
        ops::dispatch(&cx, operation, input)
    }

    pub fn table_keys(&self, account: &str, region: &str, table: &str) -> Option<TableKeys> {
        let key = (account.to_string(), region.to_string(), table.to_string());
        self.store
            .read(&[key], |t| {
                Ok(t[0].map(|t| {
                    let d = &t.def;
                    TableKeys {
                        arn: d.arn(),
                        partition_key: d.keys.hash.name.clone(),
                        sort_key: d.keys.range.as_ref().map(|r| r.name.clone()),
                        indexes: d
                            .indexes
                            .iter()
                            .map(|i| {
                                (
                                    i.name.clone(),
                                    i.keys.hash.name.clone(),
                                    i.keys.range.as_ref().map(|r| r.name.clone()),
                                )
                            })
                            .collect(),
                    }
                }))
            })
            .ok()
            .flatten()
    }

    pub fn resource_policy(&self, account: &str, region: &str, table: &str) -> Option<String> {
        let key = (account.to_string(), region.to_string(), table.to_string());
        self.store
            .read(&[key], |t| {
                Ok(t[0].and_then(|t| t.def.policy.as_ref().map(|p| p.text.clone())))
            })
            .ok()
            .flatten()
    }
}
