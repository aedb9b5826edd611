//! The operations' own rules: what DynamoDB checks after the service model's constraints and
//! before touching a table, in its order and words.
//!
//! Each operation's function receives the decoded request and the attribute values in it that
//! break the data model (`ValueErrors`), and reports those at the point DynamoDB does. Checks
//! that need the table (key schema, indexes, table state) belong to the engine; checks of
//! expression syntax belong to `ferrodyn_model::expression`, which the engine runs before
//! looking the table up.

pub(crate) mod batch;
pub(crate) mod item;
pub(crate) mod query;
pub(crate) mod table;
pub(crate) mod tag;

use std::collections::HashSet;

use ferrodyn_model::json::ValueError;

use crate::decode::{Segment, ValueErrors};
use crate::error::ApiError;

/// For operations whose requests have no rules beyond the service model's.
pub(crate) fn nothing<T>(_input: &T, _values: &ValueErrors) -> Result<(), ApiError> {
    Ok(())
}

/// `One or more parameter values were invalid: ` — the prefix of most rule messages.
pub(crate) const INVALID: &str = "One or more parameter values were invalid: ";

/// A ValidationException with the usual prefix.
pub(crate) fn invalid(detail: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("{INVALID}{detail}"))
}

/// The ValidationException for a bad attribute value at `path`, worded as DynamoDB words it
/// for the member the value sits in.
pub(crate) fn value_error(path: &[Segment], error: &ValueError) -> ApiError {
    let message = error.to_string();
    match path {
        [
            Segment::Field("ExpressionAttributeValues"),
            Segment::Key(key),
            ..,
        ] => ApiError::validation(format!(
            "ExpressionAttributeValues contains invalid value: {message} for key {key}"
        )),
        // DynamoDB adds the prefix to the starting key's errors except those about sets and
        // numbers, which come from a shared value check.
        [Segment::Field("ExclusiveStartKey"), ..] if !is_set_or_number_error(error) => {
            ApiError::validation(format!("The provided starting key is invalid: {message}"))
        }
        _ => ApiError::validation(message),
    }
}

fn is_set_or_number_error(error: &ValueError) -> bool {
    matches!(
        error,
        ValueError::Number(_)
            | ValueError::EmptyNumberSet
            | ValueError::DuplicateStrings { .. }
            | ValueError::DuplicateNumbers
            | ValueError::DuplicateBinaries { .. }
    )
}

/// Reports the first bad attribute value under the top-level member `field`.
pub(crate) fn values_under(values: &ValueErrors, field: &str) -> Result<(), ApiError> {
    match values.under(field) {
        Some((path, error)) => Err(value_error(path, error)),
        None => Ok(()),
    }
}

/// Reports the first bad attribute value not reported yet (values the engine would otherwise
/// see as placeholders). Every operation's rules end with this.
pub(crate) fn remaining_values(values: &ValueErrors) -> Result<(), ApiError> {
    match values.any() {
        Some((path, error)) => Err(value_error(path, error)),
        None => Ok(()),
    }
}

/// DynamoDB's rules on mixing expression and legacy parameters: `expressions` and `legacy`
/// list the operation's parameters in DynamoDB's order with whether each is present.
pub(crate) fn expression_mix(
    expressions: &[(&str, bool)],
    legacy: &[(&str, bool)],
    names_present: bool,
    values_present: bool,
) -> Result<(), ApiError> {
    let present = |params: &[(&str, bool)]| -> Vec<String> {
        params
            .iter()
            .filter(|(_, present)| *present)
            .map(|(name, _)| (*name).to_owned())
            .collect()
    };
    let used_expressions = present(expressions);
    if !used_expressions.is_empty() {
        let used_legacy = present(legacy);
        if !used_legacy.is_empty() {
            return Err(ApiError::validation(format!(
                "Can not use both expression and non-expression parameters in the same request: \
                 Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
                used_legacy.join(", "),
                used_expressions.join(", ")
            )));
        }
    }
    if names_present && used_expressions.is_empty() {
        return Err(ApiError::validation(
            "ExpressionAttributeNames can only be specified when using expressions",
        ));
    }
    // Values are for every expression but the projection.
    let value_takers: Vec<&str> = expressions
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| *name != "ProjectionExpression")
        .collect();
    let any_value_taker = expressions
        .iter()
        .any(|(name, present)| *present && *name != "ProjectionExpression");
    if values_present && !value_takers.is_empty() && !any_value_taker {
        let verb = if value_takers.len() > 1 { "are" } else { "is" };
        return Err(ApiError::validation(format!(
            "ExpressionAttributeValues can only be specified when using expressions: {} {verb} \
             null",
            value_takers.join(" and ")
        )));
    }
    Ok(())
}

/// `AttributesToGet` must not name an attribute twice.
pub(crate) fn attributes_to_get(names: Option<&Vec<String>>) -> Result<(), ApiError> {
    let Some(names) = names else { return Ok(()) };
    let mut seen = HashSet::with_capacity(names.len());
    for name in names {
        if !seen.insert(name.as_str()) {
            return Err(invalid(format!(
                "Duplicate value in attribute name: {name}"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(result: Result<(), ApiError>) -> String {
        result.unwrap_err().message
    }

    #[test]
    fn mixing_expression_and_legacy_parameters() {
        assert_eq!(
            message(expression_mix(
                &[("ConditionExpression", true)],
                &[("Expected", true)],
                false,
                false
            )),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {Expected} Expression parameters: {ConditionExpression}"
        );
        assert_eq!(
            message(expression_mix(
                &[("UpdateExpression", true), ("ConditionExpression", true)],
                &[("AttributeUpdates", true), ("Expected", false)],
                false,
                false
            )),
            "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression, ConditionExpression}"
        );
    }

    #[test]
    fn placeholders_without_expressions() {
        assert_eq!(
            message(expression_mix(
                &[("ProjectionExpression", false)],
                &[],
                true,
                false
            )),
            "ExpressionAttributeNames can only be specified when using expressions"
        );
        assert_eq!(
            message(expression_mix(
                &[("ConditionExpression", false)],
                &[],
                false,
                true
            )),
            "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
        );
        assert_eq!(
            message(expression_mix(
                &[("UpdateExpression", false), ("ConditionExpression", false)],
                &[],
                false,
                true
            )),
            "ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"
        );
        // A projection takes names but not values.
        assert_eq!(
            message(expression_mix(
                &[("ProjectionExpression", true), ("FilterExpression", false)],
                &[],
                true,
                true
            )),
            "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"
        );
        assert!(expression_mix(&[("ConditionExpression", true)], &[], true, true).is_ok());
    }

    #[test]
    fn duplicate_attributes_to_get() {
        let names = vec!["a".to_owned(), "b".to_owned(), "a".to_owned()];
        assert_eq!(
            message(attributes_to_get(Some(&names))),
            "One or more parameter values were invalid: Duplicate value in attribute name: a"
        );
        assert!(attributes_to_get(None).is_ok());
    }

    #[test]
    fn value_error_wording_depends_on_the_member() {
        let error = ValueError::Empty;
        let plain = value_error(&[Segment::Field("Item"), Segment::Key("a".into())], &error);
        assert_eq!(
            plain.message,
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        );
        let placeholder = value_error(
            &[
                Segment::Field("ExpressionAttributeValues"),
                Segment::Key(":v".into()),
            ],
            &error,
        );
        assert_eq!(
            placeholder.message,
            "ExpressionAttributeValues contains invalid value: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :v"
        );
        let start = value_error(&[Segment::Field("ExclusiveStartKey")], &error);
        assert_eq!(
            start.message,
            "The provided starting key is invalid: Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        );
        let duplicate = value_error(
            &[Segment::Field("ExclusiveStartKey")],
            &ValueError::DuplicateNumbers,
        );
        assert_eq!(duplicate.message, "Input collection contains duplicates");
    }
}
