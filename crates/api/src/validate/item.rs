//! Rules of PutItem, GetItem, UpdateItem and DeleteItem, ending with their expressions parsed.

use ferrodyn_model::expression::{ExpressionParams, ParsedExpressions};
use ferrodyn_model::size::check_item_size;

use super::legacy::{self, parameter_mix};
use super::{remaining_values, values_under};
use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::{DeleteItemInput, GetItemInput, PutItemInput, ReturnValue, UpdateItemInput};

/// PutItem and DeleteItem return the old item or nothing.
fn all_old_or_none(return_values: Option<ReturnValue>) -> Result<(), ApiError> {
    match return_values {
        None | Some(ReturnValue::None | ReturnValue::AllOld) => Ok(()),
        Some(_) => Err(ApiError::validation(
            "ReturnValues can only be ALL_OLD or NONE",
        )),
    }
}

/// PutItem: parameter mix, item values, `ReturnValues`, item size, `Expected`, expressions.
pub(crate) fn put_item(
    input: &PutItemInput,
    values: &ValueErrors,
) -> Result<ParsedExpressions, ApiError> {
    parameter_mix(
        &[("ConditionExpression", input.condition_expression.is_some())],
        &[("Expected", input.expected.is_some())],
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
    )?;
    values_under(values, "Item")?;
    super::attribute_names(input.item.keys())?;
    all_old_or_none(input.return_values)?;
    check_item_size(&input.item)?;
    let expected = match &input.expected {
        Some(expected) => {
            values_under(values, "Expected")?;
            legacy::expected(expected, input.conditional_operator)?
        }
        None => None,
    };
    remaining_values(values)?;
    let mut parsed = legacy::parse(&ExpressionParams {
        condition: input.condition_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
        ..ExpressionParams::default()
    })?;
    parsed.condition = parsed.condition.or(expected);
    Ok(parsed)
}

/// GetItem: parameter mix, key values, `AttributesToGet`, expressions.
pub(crate) fn get_item(
    input: &GetItemInput,
    values: &ValueErrors,
) -> Result<ParsedExpressions, ApiError> {
    parameter_mix(
        &[(
            "ProjectionExpression",
            input.projection_expression.is_some(),
        )],
        &[("AttributesToGet", input.attributes_to_get.is_some())],
        input.expression_attribute_names.is_some(),
        false,
    )?;
    values_under(values, "Key")?;
    let attributes = input
        .attributes_to_get
        .as_deref()
        .map(legacy::attributes_to_get)
        .transpose()?;
    remaining_values(values)?;
    let mut parsed = legacy::parse(&ExpressionParams {
        projection: input.projection_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        ..ExpressionParams::default()
    })?;
    parsed.projection = parsed.projection.or(attributes);
    Ok(parsed)
}

/// DeleteItem: parameter mix, key values, `ReturnValues`, `Expected`, expressions.
pub(crate) fn delete_item(
    input: &DeleteItemInput,
    values: &ValueErrors,
) -> Result<ParsedExpressions, ApiError> {
    parameter_mix(
        &[("ConditionExpression", input.condition_expression.is_some())],
        &[("Expected", input.expected.is_some())],
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
    )?;
    values_under(values, "Key")?;
    all_old_or_none(input.return_values)?;
    let expected = match &input.expected {
        Some(expected) => {
            values_under(values, "Expected")?;
            legacy::expected(expected, input.conditional_operator)?
        }
        None => None,
    };
    remaining_values(values)?;
    let mut parsed = legacy::parse(&ExpressionParams {
        condition: input.condition_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
        ..ExpressionParams::default()
    })?;
    parsed.condition = parsed.condition.or(expected);
    Ok(parsed)
}

/// UpdateItem: parameter mix, key values, `AttributeUpdates`, `Expected`, expressions.
pub(crate) fn update_item(
    input: &UpdateItemInput,
    values: &ValueErrors,
) -> Result<ParsedExpressions, ApiError> {
    parameter_mix(
        &[
            ("UpdateExpression", input.update_expression.is_some()),
            ("ConditionExpression", input.condition_expression.is_some()),
        ],
        &[
            ("AttributeUpdates", input.attribute_updates.is_some()),
            ("Expected", input.expected.is_some()),
        ],
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
    )?;
    values_under(values, "Key")?;
    let updates = match &input.attribute_updates {
        Some(updates) => {
            values_under(values, "AttributeUpdates")?;
            Some(legacy::attribute_updates(updates)?)
        }
        None => None,
    };
    let expected = match &input.expected {
        Some(expected) => {
            values_under(values, "Expected")?;
            legacy::expected(expected, input.conditional_operator)?
        }
        None => None,
    };
    remaining_values(values)?;
    let mut parsed = legacy::parse(&ExpressionParams {
        update: input.update_expression.as_deref(),
        condition: input.condition_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
        ..ExpressionParams::default()
    })?;
    parsed.update = parsed.update.or(updates);
    parsed.condition = parsed.condition.or(expected);
    Ok(parsed)
}
