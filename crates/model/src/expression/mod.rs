//! DynamoDB's expression languages: condition and filter expressions, key conditions,
//! projections and update expressions, and the legacy parameters they replaced.
//!
//! - [`request`]: the entry point. [`ExpressionParams`] takes a request's expression strings
//!   and `ExpressionAttributeNames`/`Values`, and parses them all in DynamoDB's order, so that
//!   the error reported is the one DynamoDB reports, and placeholders unused by every
//!   expression are caught.
//! - `lexer`, `parser`, `condition_grammar`, `update_grammar`: a hand-written lexer and
//!   recursive-descent parsers producing the [`ast`], with DynamoDB's checks and messages
//!   ([`error`]); [`reserved`] holds the reserved words, [`placeholders`] the maps.
//! - [`eval`]: evaluating a [`Condition`] against an item (conditional writes, filters).
//! - [`update`]: applying an [`UpdateExpression`] to an item.
//! - [`projection`]: applying a [`Projection`] to an item.
//! - [`key_condition`]: a Query's key condition, checked against the key schema and turned
//!   into a partition key value and a sort-key range.
//! - [`key_attributes`]: checks against the table's key schema (updates may not write key
//!   attributes, Query filters may not read them, no path may go inside one).
//! - [`legacy`]: `Expected`, `KeyConditions`, `QueryFilter`/`ScanFilter`, `AttributeUpdates`
//!   and `AttributesToGet`, converted to the same types.
//!
//! ```
//! use ferrodyn_model::expression::{ExpressionKind, Placeholders, parse_condition};
//! use ferrodyn_model::{AttributeValue, Item};
//!
//! let mut placeholders = Placeholders::none();
//! let condition =
//!     parse_condition("attribute_not_exists(pk)", ExpressionKind::Condition, &mut placeholders)
//!         .unwrap();
//! assert!(condition.evaluate(&Item::new()));
//! let mut item = Item::new();
//! item.insert("pk".into(), AttributeValue::from("id-1"));
//! assert!(!condition.evaluate(&item));
//! ```

pub mod ast;
mod condition_grammar;
pub mod error;
pub mod eval;
pub mod key_attributes;
pub mod key_condition;
pub mod legacy;
mod lexer;
mod parser;
pub mod path;
pub mod placeholders;
pub mod projection;
pub mod request;
pub mod reserved;
pub mod update;
mod update_grammar;

pub use ast::{Comparator, Condition, Operand, SetOperand, SetValue, UpdateAction};
pub use error::{
    ExpressionError, ExpressionKind, KeyConditionShape, LegacyError, Problem, UpdateError,
};
pub use key_condition::{
    KeyClause, KeyCondition, KeyConditionClauses, KeyOperator, SortKeyCondition,
};
pub use parser::{EXPRESSION_BYTES_MAX, IN_OPERANDS_MAX, OPERATORS_MAX};
pub use path::{DocumentPath, PathElement};
pub use placeholders::{AttributeNames, AttributeValues, Placeholders};
pub use projection::Projection;
pub use request::{ExpressionParams, ParsedExpressions};
pub use update::UpdateExpression;

/// Parses a condition, filter or key-condition expression (`kind` says which, for messages).
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as DynamoDB ranks them.
pub fn parse_condition(
    source: &str,
    kind: ExpressionKind,
    placeholders: &mut Placeholders<'_>,
) -> Result<Condition, ExpressionError> {
    condition_grammar::parse_condition(source, kind, placeholders)
}

/// Parses an update expression.
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as DynamoDB ranks them.
pub fn parse_update(
    source: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<UpdateExpression, ExpressionError> {
    update_grammar::parse_update(source, placeholders).map(UpdateExpression::new)
}

/// Parses a projection expression.
///
/// # Errors
/// DynamoDB's `ValidationException` message for the first problem, as DynamoDB ranks them.
pub fn parse_projection(
    source: &str,
    placeholders: &mut Placeholders<'_>,
) -> Result<Projection, ExpressionError> {
    parser::parse_projection(source, placeholders).map(Projection::new)
}
