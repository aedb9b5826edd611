//! One node's database: the table catalog, partition stores over the storage engine, and the
//! execution of DynamoDB operations.
//!
//! - [`keys`]: where items live in the storage engine (the key layout).
//! - [`writer`]: the ordered, group-committed write path of each partition.

pub mod keys;
pub mod writer;
