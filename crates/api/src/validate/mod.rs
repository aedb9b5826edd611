//! The operations' own rules: what DynamoDB checks after the service model's constraints and
//! before touching a table, in its order and words.
//!
//! Each operation's function receives the decoded request and the attribute values in it that
//! break the data model (`ValueErrors`), and reports those at the point DynamoDB does. Checks
//! that need the table (key schema, indexes, table state) belong to the engine. The item
//! operations' rules end by parsing the request's expressions (or converting its legacy
//! parameters) with `ferrodyn_model::expression`, so the engine receives them ready to
//! evaluate.

pub(crate) mod batch;
pub(crate) mod item;
pub(crate) mod legacy;
pub(crate) mod query;
pub(crate) mod stream;
pub(crate) mod table;
pub(crate) mod tag;
pub(crate) mod time_to_live;

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

/// The longest attribute name, in UTF-8 bytes: names are "less than 64 KB in size"
/// ("Supported data types and naming rules").
pub(crate) const ATTRIBUTE_NAME_BYTES_MAX: usize = 64 * 1024 - 1;

/// Attribute names have at least one character and less than 64 KB ("Supported data types and
/// naming rules"): DynamoDB refuses other names wherever a request names attributes directly
/// (an item's attributes, `AttributesToGet`, `AttributeUpdates`).
pub(crate) fn attribute_names<'a>(names: impl Iterator<Item = &'a String>) -> Result<(), ApiError> {
    for name in names {
        if name.is_empty() {
            return Err(invalid("Empty attribute name"));
        }
        if name.len() > ATTRIBUTE_NAME_BYTES_MAX {
            // The documentation gives the limit but not DynamoDB's wording; this is ours.
            return Err(invalid(format_args!(
                "Attribute name exceeds the maximum size of {ATTRIBUTE_NAME_BYTES_MAX} bytes"
            )));
        }
    }
    Ok(())
}

/// The ValidationException for a bad attribute value at `path`, worded as DynamoDB words it
/// for the member the value sits in.
pub(crate) fn value_error(path: &[Segment], error: &ValueError) -> ApiError {
    let message = error.to_string();
    match path {
        // Too deep a value is reported bare wherever it is.
        _ if matches!(error, ValueError::TooDeep) => ApiError::validation(message),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_names_are_under_64_kb() {
        let longest = "n".repeat(ATTRIBUTE_NAME_BYTES_MAX);
        assert!(attribute_names([longest].iter()).is_ok());
        let too_long = "n".repeat(ATTRIBUTE_NAME_BYTES_MAX + 1);
        assert!(attribute_names(["a".to_string(), too_long].iter()).is_err());
        assert!(attribute_names([String::new()].iter()).is_err());
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
        let deep = value_error(
            &[
                Segment::Field("ExpressionAttributeValues"),
                Segment::Key(":v".into()),
            ],
            &ValueError::TooDeep,
        );
        assert_eq!(deep.message, ValueError::TooDeep.to_string());
    }
}
