//! Rules of BatchGetItem and BatchWriteItem.

use std::collections::BTreeMap;

use ferrodyn_model::Item;
use ferrodyn_model::expression::{ExpressionParams, ParsedExpressions};
use ferrodyn_model::size::check_item_size;

use super::legacy::{self, parameter_mix};
use super::{remaining_values, value_error};
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

/// BatchGetItem, table by table: parameter mix, `AttributesToGet`, the projection, key
/// values, duplicate keys; and at most 100 keys in all. Returns each table's projection.
pub(crate) fn batch_get_item(
    input: &BatchGetItemInput,
    values: &ValueErrors,
) -> Result<BTreeMap<String, ParsedExpressions>, ApiError> {
    let mut keys_in_call = 0;
    let mut parsed_per_table = BTreeMap::new();
    for (table, request) in &input.request_items {
        parameter_mix(
            &[(
                "ProjectionExpression",
                request.projection_expression.is_some(),
            )],
            &[("AttributesToGet", request.attributes_to_get.is_some())],
            request.expression_attribute_names.is_some(),
            false,
        )?;
        let attributes = request
            .attributes_to_get
            .as_deref()
            .map(legacy::attributes_to_get)
            .transpose()?;
        let mut parsed = legacy::parse(&ExpressionParams {
            projection: request.projection_expression.as_deref(),
            names: request.expression_attribute_names.as_ref(),
            ..ExpressionParams::default()
        })?;
        parsed.projection = parsed.projection.or(attributes);
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
        parsed_per_table.insert(table.clone(), parsed);
    }
    remaining_values(values)?;
    Ok(parsed_per_table)
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
                super::attribute_names(put.item.keys())?;
                check_item_size(&put.item)?;
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
