//! The request and response types of each operation, named as in DynamoDB's service model
//! (and DynamoDB Streams' for [`stream`] and [`stream_record`]).
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
pub mod stream;
pub mod stream_record;
pub mod table;
pub mod tag;
pub mod time_to_live;

pub use account::*;
pub use batch::*;
pub use capacity::*;
pub use common::*;
pub use condition::*;
pub use description::*;
pub use item::*;
pub use query::*;
pub use stream::*;
pub use stream_record::*;
pub use table::*;
pub use tag::*;
pub use time_to_live::*;
