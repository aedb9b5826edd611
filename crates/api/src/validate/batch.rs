//! Rules of BatchGetItem and BatchWriteItem.

use ferrodyn_model::Item;
use ferrodyn_model::size::check_item_size;

use super::{attributes_to_get, expression_mix, remaining_values, value_error};
use crate::decode::{Segment, ValueErrors};
use crate::error::ApiError;
use crate::wire::{BatchGetItemInput, BatchWriteItemInput};

/// Keys BatchGetItem reads in one call, over all tables.
pub const BATCH_GET_KEYS_MAX: usize = 100;
/// Writes BatchWriteItem makes in one call, over all tables.
pub const BATCH_WRITE_REQUESTS_MAX: usize = 25;

/// The first bad attribute value under `RequestItems.<table>`.
fn values_of_table(values: &ValueErrors, table: &str) -> Result<(), ApiError> {
    let under_table = |path: &[Segment]| matches!(path, [Segment::Field("RequestItems"), Segment::Key(key), ..] if key == table);
    match values.first(under_table) {
        Some((path, error)) => Err(value_error(path, error)),
        None => Ok(()),
    }
}

/// Whether two keys name the same item: the same attributes with equal values.
fn same_key(a: &Item, b: &Item) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|(name, value)| b.get(name).is_some_and(|other| value.dynamo_eq(other)))
}

/// BatchGetItem, table by table: parameter mix, duplicate `AttributesToGet`, key values,
/// duplicate keys, and at most 100 keys in all.
pub(crate) fn batch_get_item(
    input: &BatchGetItemInput,
    values: &ValueErrors,
) -> Result<(), ApiError> {
    let mut keys_in_call = 0;
    for (table, request) in &input.request_items {
        expression_mix(
            &[(
                "ProjectionExpression",
                request.projection_expression.is_some(),
            )],
            &[("AttributesToGet", request.attributes_to_get.is_some())],
            request.expression_attribute_names.is_some(),
            false,
        )?;
        attributes_to_get(request.attributes_to_get.as_ref())?;
        values_of_table(values, table)?;
        for (i, key) in request.keys.iter().enumerate() {
            if request.keys[..i]
                .iter()
                .any(|earlier| same_key(earlier, key))
            {
                return Err(ApiError::validation(
                    "Provided list of item keys contains duplicates",
                ));
            }
            keys_in_call += 1;
            if keys_in_call > BATCH_GET_KEYS_MAX {
                return Err(ApiError::validation(
                    "Too many items requested for the BatchGetItem call",
                ));
            }
        }
    }
    remaining_values(values)
}

/// BatchWriteItem, table by table: each request is a put or a delete, values are valid, put
/// items fit in 400 KB; and at most 25 writes in all. Duplicate keys need the key schema and
/// are the engine's to find ("Provided list of item keys contains duplicates").
pub(crate) fn batch_write_item(
    input: &BatchWriteItemInput,
    values: &ValueErrors,
) -> Result<(), ApiError> {
    let mut writes_in_call = 0;
    for (table, requests) in &input.request_items {
        // DynamoDB checks a write request like an attribute value: exactly one member set.
        if requests
            .iter()
            .any(|request| request.put_request.is_some() == request.delete_request.is_some())
        {
            return Err(ApiError::validation(
                "Supplied AttributeValue has more than one datatypes set, must contain exactly \
                 one of the supported datatypes",
            ));
        }
        values_of_table(values, table)?;
        for request in requests {
            if let Some(put) = &request.put_request {
                check_item_size(&put.item)
                    .map_err(|error| ApiError::validation(error.to_string()))?;
            }
        }
        writes_in_call += requests.len();
    }
    if writes_in_call > BATCH_WRITE_REQUESTS_MAX {
        return Err(ApiError::validation(
            "Too many items requested for the BatchWriteItem call",
        ));
    }
    remaining_values(values)
}
