//! The request and response types of each operation, named as in DynamoDB's service model.
//!
//! Requests decode with DynamoDB's errors (see `decode`) and also encode, so clients written in
//! Rust (the load generator, tests) can build them. Responses encode with absent members left
//! out. Member names on the wire are exactly the service model's (`SSESpecification`,
//! `SizeEstimateRangeGB`, ...).

pub mod account;
pub mod batch;
pub mod capacity;
pub mod common;
pub mod condition;
pub mod description;
pub mod item;
pub mod query;
pub mod table;
pub mod tag;

pub use account::*;
pub use batch::*;
pub use capacity::*;
pub use common::*;
pub use condition::*;
pub use description::*;
pub use item::*;
pub use query::*;
pub use table::*;
pub use tag::*;
