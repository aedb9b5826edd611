//! Rules of PutItem, GetItem, UpdateItem and DeleteItem.

use std::collections::BTreeMap;

use ferrodyn_model::AttributeValue;
use ferrodyn_model::size::check_item_size;

use super::{attributes_to_get, expression_mix, invalid, remaining_values, values_under};
use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::{
    AttributeAction, AttributeValueUpdate, DeleteItemInput, GetItemInput, PutItemInput,
    ReturnValue, UpdateItemInput,
};

/// PutItem and DeleteItem return the old item or nothing.
fn all_old_or_none(return_values: Option<ReturnValue>) -> Result<(), ApiError> {
    match return_values {
        None | Some(ReturnValue::None | ReturnValue::AllOld) => Ok(()),
        Some(_) => Err(ApiError::validation(
            "ReturnValues can only be ALL_OLD or NONE",
        )),
    }
}

/// PutItem: parameter mix, item values, `ReturnValues`, item size, then the remaining values.
pub(crate) fn put_item(input: &PutItemInput, values: &ValueErrors) -> Result<(), ApiError> {
    expression_mix(
        &[("ConditionExpression", input.condition_expression.is_some())],
        &[("Expected", input.expected.is_some())],
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
    )?;
    values_under(values, "Item")?;
    all_old_or_none(input.return_values)?;
    check_item_size(&input.item).map_err(|error| ApiError::validation(error.to_string()))?;
    remaining_values(values)
}

/// GetItem: parameter mix, key values, duplicate `AttributesToGet`.
pub(crate) fn get_item(input: &GetItemInput, values: &ValueErrors) -> Result<(), ApiError> {
    expression_mix(
        &[(
            "ProjectionExpression",
            input.projection_expression.is_some(),
        )],
        &[("AttributesToGet", input.attributes_to_get.is_some())],
        input.expression_attribute_names.is_some(),
        false,
    )?;
    values_under(values, "Key")?;
    attributes_to_get(input.attributes_to_get.as_ref())?;
    remaining_values(values)
}

/// DeleteItem: parameter mix, key values, `ReturnValues`.
pub(crate) fn delete_item(input: &DeleteItemInput, values: &ValueErrors) -> Result<(), ApiError> {
    expression_mix(
        &[("ConditionExpression", input.condition_expression.is_some())],
        &[("Expected", input.expected.is_some())],
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
    )?;
    values_under(values, "Key")?;
    all_old_or_none(input.return_values)?;
    remaining_values(values)
}

/// UpdateItem: parameter mix, key values, the legacy `AttributeUpdates`.
pub(crate) fn update_item(input: &UpdateItemInput, values: &ValueErrors) -> Result<(), ApiError> {
    expression_mix(
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
    if let Some(updates) = &input.attribute_updates {
        values_under(values, "AttributeUpdates")?;
        attribute_updates(updates)?;
    }
    remaining_values(values)
}

/// The legacy updates: a value is required except to delete the attribute, `DELETE` with a
/// value takes a set, and `ADD` a number, set or list.
fn attribute_updates(updates: &BTreeMap<String, AttributeValueUpdate>) -> Result<(), ApiError> {
    for update in updates.values() {
        let action = update.action.unwrap_or(AttributeAction::Put);
        match (&update.value, action) {
            (None, AttributeAction::Delete) => {}
            (None, _) => {
                return Err(invalid(
                    "Only DELETE action is allowed when no attribute value is specified",
                ));
            }
            (Some(value), AttributeAction::Delete) if !is_set(value) => {
                return Err(invalid(format!(
                    "DELETE action with value is not supported for the type {}",
                    value.type_name()
                )));
            }
            (Some(value), AttributeAction::Add)
                if !is_set(value)
                    && !matches!(value, AttributeValue::N(_) | AttributeValue::L(_)) =>
            {
                return Err(invalid(format!(
                    "ADD action is not supported for the type {}",
                    value.type_name()
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

fn is_set(value: &AttributeValue) -> bool {
    matches!(
        value,
        AttributeValue::Ss(_) | AttributeValue::Ns(_) | AttributeValue::Bs(_)
    )
}
