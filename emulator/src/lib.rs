//! The rolechain emulator: an OIDC issuer, STS, a slice of IAM (and later
//! DynamoDB) on one local endpoint. Every allow and deny is decided by an
//! [`Evaluator`](rolechain_policy::evaluator::Evaluator): the policy engine as
//! a WebAssembly module in wasmtime by default.
//!
//! Layout: wire formats live at the edge (`query` for awsQuery/XML, `server`
//! for HTTP routing, `auth` for SigV4); the services in the middle (`sts`,
//! `iam`) take and return typed values. One [`clock::Clock`] is shared by all.

pub mod artefacts;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod ccoctl;
pub mod clock;
pub mod dynamodb;
pub mod emulator;
pub mod error;
pub mod iam;
pub mod ids;
pub mod issuer;
pub mod persist;
pub mod pod;
pub mod query;
pub mod server;
pub mod state;
pub mod sts;
pub mod webidentity;
pub mod world;
