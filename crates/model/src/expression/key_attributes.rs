//! Checks of expressions against a table's key schema, made once the table is known: updates
//! may not write key attributes, Query filters may not read them, and no path may go inside
//! one (key attributes are scalars).
//!
//! Key attributes are checked in schema order (partition key, then sort key), as DynamoDB
//! does, so the attribute named in the message is the first key attribute at fault.

use crate::key::KeySchema;

use super::ast::Condition;
use super::error::ExpressionError;
use super::path::DocumentPath;
use super::update::UpdateExpression;

/// Which Query filter parameter a filter came from; DynamoDB names them differently here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterParameter {
    /// `FilterExpression`.
    Expression,
    /// The legacy `QueryFilter`.
    QueryFilter,
}

/// An update (expression or `AttributeUpdates`) must not write a key attribute, nor read
/// inside one.
///
/// # Errors
/// [`ExpressionError::KeyAttributeUpdated`] or [`ExpressionError::NestedKeyPath`].
pub fn check_update(update: &UpdateExpression, schema: &KeySchema) -> Result<(), ExpressionError> {
    let written = update.top_level_attributes();
    if let Some(key) = schema
        .attributes()
        .find(|key| written.contains(&key.name.as_str()))
    {
        return Err(ExpressionError::KeyAttributeUpdated(key.name.clone()));
    }
    let mut paths = Vec::new();
    for action in update.actions() {
        action.visit_paths(&mut |path| paths.push(path));
    }
    check_nested(paths, schema)
}

/// A Query's filter must not read a key attribute of the table or index queried, nor read
/// inside one.
///
/// # Errors
/// [`ExpressionError::FilterOnKeyAttribute`] or [`ExpressionError::NestedKeyPath`].
pub fn check_query_filter(
    filter: &Condition,
    schema: &KeySchema,
    parameter: FilterParameter,
) -> Result<(), ExpressionError> {
    let mut paths = Vec::new();
    filter.visit_paths(&mut |path| paths.push(path));
    if let Some(key) = schema
        .attributes()
        .find(|key| paths.iter().any(|p| p.top_level() == key.name))
    {
        return Err(ExpressionError::FilterOnKeyAttribute {
            parameter: match parameter {
                FilterParameter::Expression => "Filter Expression",
                FilterParameter::QueryFilter => "QueryFilter",
            },
            attribute: key.name.clone(),
        });
    }
    check_nested(paths, schema)
}

/// No path may go inside a key attribute (used for projections and Scan filters; updates and
/// Query filters include it).
///
/// # Errors
/// [`ExpressionError::NestedKeyPath`].
pub fn check_nested<'a>(
    paths: impl IntoIterator<Item = &'a DocumentPath>,
    schema: &KeySchema,
) -> Result<(), ExpressionError> {
    let nested: Vec<&str> = paths
        .into_iter()
        .filter(|path| !path.is_top_level())
        .map(DocumentPath::top_level)
        .collect();
    match schema
        .attributes()
        .find(|key| nested.contains(&key.name.as_str()))
    {
        Some(key) => Err(ExpressionError::NestedKeyPath(key.name.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expression::{ExpressionKind, Placeholders, parse_condition, parse_update};
    use crate::key::ScalarType;

    fn schema() -> KeySchema {
        KeySchema::new("pk", ScalarType::S).with_sort("sk", ScalarType::N)
    }

    fn update(source: &str) -> UpdateExpression {
        parse_update(source, &mut Placeholders::none()).unwrap()
    }

    fn filter(source: &str) -> Condition {
        parse_condition(source, ExpressionKind::Filter, &mut Placeholders::none()).unwrap()
    }

    #[test]
    fn updates_may_not_write_keys() {
        assert_eq!(
            check_update(&update("SET x = y REMOVE sk, pk"), &schema())
                .unwrap_err()
                .to_string(),
            "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"
        );
        assert_eq!(
            check_update(&update("SET x = pk.part"), &schema())
                .unwrap_err()
                .to_string(),
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk"
        );
        assert!(check_update(&update("SET x = pk, y = sk"), &schema()).is_ok());
    }

    #[test]
    fn query_filters_may_not_read_keys() {
        let err = check_query_filter(
            &filter("x = y OR sk = z"),
            &schema(),
            FilterParameter::Expression,
        );
        assert_eq!(
            err.unwrap_err().to_string(),
            "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk"
        );
        let err = check_query_filter(&filter("pk = y"), &schema(), FilterParameter::QueryFilter);
        assert_eq!(
            err.unwrap_err().to_string(),
            "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk"
        );
        assert!(
            check_query_filter(&filter("x.y = z"), &schema(), FilterParameter::Expression).is_ok()
        );
    }
}
