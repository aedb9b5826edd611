//! DynamoDB's data model and expression languages, as pure functions with no I/O.
//!
//! - [`value`]: [`AttributeValue`] (every DynamoDB type) and [`Item`].
//! - [`json`]: their DynamoDB JSON wire form (`{"S": "text"}`, `{"N": "1.5"}`, ...), telling
//!   shape errors (SerializationException) from value errors (ValidationException).
//! - [`number`]: [`Number`], DynamoDB's decimal: 38 significant digits, exact arithmetic.
//! - [`key`]: key schemas and the order-preserving binary encoding of key values.
//! - [`size`]: item and attribute sizes by DynamoDB's rules, and its limits.
//! - [`codec`]: the versioned binary storage encoding of an [`Item`].
//! - [`expression`]: condition, filter, key-condition, projection and update expressions:
//!   lexer, parser to an AST, and evaluation against an item.

pub mod codec;
pub mod expression;
pub mod json;
pub mod key;
pub mod number;
pub mod size;
pub mod value;

pub use number::Number;
pub use value::{AttributeValue, Item};
