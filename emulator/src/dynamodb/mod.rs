//! DynamoDB emulation. The pure data model (attribute values, numbers) and the
//! expression language live here beside the table store, the operations, the
//! JSON 1.0 wire protocol and authorization, which build on them.

pub mod access;
pub mod conditions;
pub mod expr;
pub mod number;
pub mod ops;
pub mod service;
pub mod store;
pub mod table;
pub mod upstream;
pub mod value;
