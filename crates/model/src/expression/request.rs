//! Parsing all the expressions of one request together.
//!
//! DynamoDB validates a request's expressions as one unit: the placeholder maps first, then
//! each expression in a fixed order (update, condition, key condition, filter, projection),
//! then the placeholders no expression used (names before values), and last the shape of the
//! key condition. The first failure is the request's error.

use super::ast::Condition;
use super::error::{ExpressionError, ExpressionKind};
use super::key_condition::KeyConditionClauses;
use super::placeholders::{AttributeNames, AttributeValues, Placeholders};
use super::projection::Projection;
use super::update::UpdateExpression;
use super::{parse_condition, parse_projection, parse_update};

/// A request's expression parameters as received: each `None` when absent from the request.
#[derive(Debug, Clone, Copy, Default)]
pub struct ExpressionParams<'a> {
    /// `ConditionExpression`.
    pub condition: Option<&'a str>,
    /// `UpdateExpression`.
    pub update: Option<&'a str>,
    /// `KeyConditionExpression`.
    pub key_condition: Option<&'a str>,
    /// `FilterExpression`.
    pub filter: Option<&'a str>,
    /// `ProjectionExpression`.
    pub projection: Option<&'a str>,
    /// `ExpressionAttributeNames`.
    pub names: Option<&'a AttributeNames>,
    /// `ExpressionAttributeValues` (values already validated as attribute values).
    pub values: Option<&'a AttributeValues>,
}

/// A request's parsed expressions; each present exactly when its parameter was.
#[derive(Debug, Clone, Default)]
pub struct ParsedExpressions {
    /// `ConditionExpression`.
    pub condition: Option<Condition>,
    /// `UpdateExpression`.
    pub update: Option<UpdateExpression>,
    /// `KeyConditionExpression`, shape-checked; check it against the key schema with
    /// [`KeyConditionClauses::resolve`] once the table is known.
    pub key_condition: Option<KeyConditionClauses>,
    /// `FilterExpression`.
    pub filter: Option<Condition>,
    /// `ProjectionExpression`.
    pub projection: Option<Projection>,
}

impl ExpressionParams<'_> {
    /// Parses every expression present, in DynamoDB's order.
    ///
    /// # Errors
    /// The first problem DynamoDB would report, with its message.
    pub fn parse(&self) -> Result<ParsedExpressions, ExpressionError> {
        let mut placeholders = Placeholders::new(self.names, self.values)?;
        let update = self
            .update
            .map(|source| parse_update(source, &mut placeholders))
            .transpose()?;
        let mut condition_of = |source: Option<&str>, kind| {
            source
                .map(|source| parse_condition(source, kind, &mut placeholders))
                .transpose()
        };
        let condition = condition_of(self.condition, ExpressionKind::Condition)?;
        let key_condition = condition_of(self.key_condition, ExpressionKind::KeyCondition)?;
        let filter = condition_of(self.filter, ExpressionKind::Filter)?;
        let projection = self
            .projection
            .map(|source| parse_projection(source, &mut placeholders))
            .transpose()?;
        placeholders.check_all_used()?;
        let key_condition = key_condition
            .as_ref()
            .map(KeyConditionClauses::from_condition)
            .transpose()?;
        Ok(ParsedExpressions {
            condition,
            update,
            key_condition,
            filter,
            projection,
        })
    }
}
