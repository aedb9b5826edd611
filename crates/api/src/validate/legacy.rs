//! The legacy parameters, mapped onto `ferrodyn_model::expression::legacy`'s plain data and
//! converted there (with DynamoDB's messages) into the expression types the engine evaluates.

use std::collections::BTreeMap;

use ferrodyn_model::expression::legacy::{
    self, AttributeCondition, AttributeUpdate, ExpectedAttribute,
};
use ferrodyn_model::expression::{Condition as ConditionAst, KeyConditionClauses, Projection};
use ferrodyn_model::expression::{ExpressionParams, ParsedExpressions, UpdateExpression};

use crate::error::ApiError;
use crate::wire::{
    AttributeAction, AttributeValueUpdate, ComparisonOperator, Condition, ConditionalOperator,
    ExpectedAttributeValue,
};

fn comparison(operator: ComparisonOperator) -> legacy::ComparisonOperator {
    use legacy::ComparisonOperator as Model;
    match operator {
        ComparisonOperator::Eq => Model::Eq,
        ComparisonOperator::Ne => Model::Ne,
        ComparisonOperator::In => Model::In,
        ComparisonOperator::Le => Model::Le,
        ComparisonOperator::Lt => Model::Lt,
        ComparisonOperator::Ge => Model::Ge,
        ComparisonOperator::Gt => Model::Gt,
        ComparisonOperator::Between => Model::Between,
        ComparisonOperator::NotNull => Model::NotNull,
        ComparisonOperator::Null => Model::Null,
        ComparisonOperator::Contains => Model::Contains,
        ComparisonOperator::NotContains => Model::NotContains,
        ComparisonOperator::BeginsWith => Model::BeginsWith,
    }
}

fn conditional(operator: Option<ConditionalOperator>) -> Option<legacy::ConditionalOperator> {
    operator.map(|operator| match operator {
        ConditionalOperator::And => legacy::ConditionalOperator::And,
        ConditionalOperator::Or => legacy::ConditionalOperator::Or,
    })
}

fn conditions(map: &BTreeMap<String, Condition>) -> Vec<(String, AttributeCondition)> {
    map.iter()
        .map(|(name, condition)| {
            let entry = AttributeCondition {
                comparison_operator: comparison(condition.comparison_operator),
                attribute_value_list: condition.attribute_value_list.clone().unwrap_or_default(),
            };
            (name.clone(), entry)
        })
        .collect()
}

/// `Expected` with `ConditionalOperator`, as a condition.
pub(crate) fn expected(
    expected: &BTreeMap<String, ExpectedAttributeValue>,
    operator: Option<ConditionalOperator>,
) -> Result<Option<ConditionAst>, ApiError> {
    let entries: Vec<(String, ExpectedAttribute)> = expected
        .iter()
        .map(|(name, entry)| {
            let entry = ExpectedAttribute {
                value: entry.value.clone(),
                exists: entry.exists,
                comparison_operator: entry.comparison_operator.map(comparison),
                attribute_value_list: entry.attribute_value_list.clone(),
            };
            (name.clone(), entry)
        })
        .collect();
    Ok(legacy::expected_condition(
        entries.iter().map(|(name, entry)| (name, entry)),
        conditional(operator),
    )?)
}

/// `QueryFilter` or `ScanFilter` with `ConditionalOperator`, as a condition.
pub(crate) fn filter(
    filter: &BTreeMap<String, Condition>,
    operator: Option<ConditionalOperator>,
) -> Result<Option<ConditionAst>, ApiError> {
    let entries = conditions(filter);
    Ok(legacy::filter_condition(
        entries.iter().map(|(name, entry)| (name, entry)),
        conditional(operator),
    )?)
}

/// `KeyConditions`, as key-condition clauses.
pub(crate) fn key_conditions(
    key_conditions: &BTreeMap<String, Condition>,
) -> Result<KeyConditionClauses, ApiError> {
    let entries = conditions(key_conditions);
    Ok(legacy::key_conditions(
        entries.iter().map(|(name, entry)| (name, entry)),
    )?)
}

/// `AttributeUpdates`, as an update.
pub(crate) fn attribute_updates(
    updates: &BTreeMap<String, AttributeValueUpdate>,
) -> Result<UpdateExpression, ApiError> {
    super::attribute_names(updates.keys())?;
    let entries: Vec<(String, AttributeUpdate)> = updates
        .iter()
        .map(|(name, update)| {
            let action = update.action.map(|action| match action {
                AttributeAction::Add => legacy::AttributeAction::Add,
                AttributeAction::Put => legacy::AttributeAction::Put,
                AttributeAction::Delete => legacy::AttributeAction::Delete,
            });
            (
                name.clone(),
                AttributeUpdate {
                    action,
                    value: update.value.clone(),
                },
            )
        })
        .collect();
    Ok(legacy::attribute_updates(
        entries.iter().map(|(name, update)| (name, update)),
    )?)
}

/// `AttributesToGet`, as a projection.
pub(crate) fn attributes_to_get(names: &[String]) -> Result<Projection, ApiError> {
    super::attribute_names(names.iter())?;
    Ok(legacy::attributes_to_get(names)?)
}

/// DynamoDB's rules on mixing expression and legacy parameters and on placeholder maps
/// without expressions; each list names the operation's parameters in DynamoDB's order with
/// whether each is present.
pub(crate) fn parameter_mix(
    expressions: &[(&'static str, bool)],
    legacy: &[(&'static str, bool)],
    names_present: bool,
    values_present: bool,
) -> Result<(), ApiError> {
    Ok(legacy::check_parameter_mix(
        expressions,
        legacy,
        names_present,
        values_present,
    )?)
}

/// Parses the request's expressions (placeholder maps, each expression, unused placeholders).
pub(crate) fn parse(params: &ExpressionParams<'_>) -> Result<ParsedExpressions, ApiError> {
    let nothing = params.condition.is_none()
        && params.update.is_none()
        && params.key_condition.is_none()
        && params.filter.is_none()
        && params.projection.is_none()
        && params.names.is_none()
        && params.values.is_none();
    if nothing {
        // The common GetItem/PutItem case: nothing to parse or check.
        return Ok(ParsedExpressions::default());
    }
    Ok(params.parse()?)
}
