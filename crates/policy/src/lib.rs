//! `rolechain-policy`: the AWS IAM policy language — parse, lint, authorize and
//! explain — deciding as AWS decides.
//!
//! The crate is pure: no I/O, no clock, no randomness, no threads. Time and
//! every other fact about a request arrive in the request's context, so the
//! same inputs always give the same decision, natively and in WebAssembly.
//!
//! * [`parse`] reads text into the lossless [`model`]; [`kind`] holds the rules
//!   of each kind of policy; [`Policy::parse`] does both and compiles the result.
//! * [`authorize`] decides a [`Request`] against a [`PolicySet`] and says why.
//! * [`lint`] reports every finding in a document.
//!
//! ```
//! use rolechain_policy::{authorize, Context, Policy, PolicyKind, PolicySet, Principal, Request};
//!
//! let policy = Policy::parse(PolicyKind::Identity, r#"{"Version":"2012-10-17","Statement":[
//!     {"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:*:*:table/orders"}]}"#)?;
//! let set = PolicySet { identity: vec![policy], ..PolicySet::default() };
//! let decision = authorize(&set, &Request {
//!     principal: Principal::from_arn("arn:aws:sts::222222222222:assumed-role/reader/s1").unwrap(),
//!     action: "dynamodb:GetItem".into(),
//!     resource: "arn:aws:dynamodb:eu-west-2:222222222222:table/orders".into(),
//!     resource_account: None,
//!     context: Context::new(),
//! });
//! assert!(decision.is_allowed());
//! # Ok::<(), rolechain_policy::PolicyError>(())
//! ```
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod finding;
pub mod json;
pub mod kind;
pub mod lint;
pub mod model;
pub mod operator;
pub mod parse;
mod text;

pub use finding::{Finding, Severity};
pub use kind::{PolicyKind, PolicyType};

pub mod authorize;
mod compile;
pub mod evaluator;
pub mod policy;
pub mod print;
pub mod request;
pub mod simulate;
mod template;
pub mod values;
pub mod wildcard;
pub mod wire;

pub use authorize::{Decision, EvalDecision, MatchedStatement, PolicySet, authorize};
pub use model::Effect;
pub use policy::{Policy, PolicyError};
pub use request::{Context, ContextValue, Principal, Request};
