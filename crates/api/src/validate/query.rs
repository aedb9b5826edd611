//! Rules of Query and Scan.

use ferrodyn_model::expression::{ExpressionParams, ParsedExpressions};

use super::legacy::{self, parameter_mix};
use super::{remaining_values, values_under};
use crate::decode::ValueErrors;
use crate::error::ApiError;
use crate::wire::{QueryInput, ScanInput, Select};

/// What Query and Scan share of their `Select` rules.
struct Selection<'a> {
    select: Option<Select>,
    attributes_to_get: bool,
    projection_expression: bool,
    index_name: Option<&'a str>,
}

/// `Select` against the projection parameters and the index. Query's newer validator words
/// these as a one-error list (`prefix` = `1 validation error detected: `); Scan's does not.
fn select_rules(selection: &Selection<'_>, prefix: &str) -> Result<(), ApiError> {
    let fail = |message: String| Err(ApiError::validation(format!("{prefix}{message}")));
    let Some(select) = selection.select else {
        return Ok(());
    };
    let chosen = match select {
        Select::SpecificAttributes => {
            if !selection.attributes_to_get && !selection.projection_expression {
                return fail(
                    "Must specify the AttributesToGet or ProjectionExpression when choosing to \
                     get SPECIFIC_ATTRIBUTES"
                        .to_owned(),
                );
            }
            return Ok(());
        }
        Select::AllAttributes => "ALL_ATTRIBUTES",
        Select::AllProjectedAttributes => "ALL_PROJECTED_ATTRIBUTES",
        Select::Count => "only the Count",
    };
    if selection.attributes_to_get {
        return fail(format!(
            "Cannot specify the AttributesToGet when choosing to get {chosen}"
        ));
    }
    if selection.projection_expression {
        return fail(format!(
            "Cannot specify the ProjectionExpression when choosing to get {chosen}"
        ));
    }
    if select == Select::AllProjectedAttributes && selection.index_name.is_none() {
        return fail(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName".to_owned(),
        );
    }
    Ok(())
}

/// Query: parameter mix (`KeyConditions` may go with the other expressions when
/// `KeyConditionExpression` is absent), `Select`, `QueryFilter`, `AttributesToGet`, the
/// starting key's values, a key condition of one form or the other, expressions, then
/// `KeyConditions`.
pub(crate) fn query(
    input: &QueryInput,
    values: &ValueErrors,
) -> Result<ParsedExpressions, ApiError> {
    let key_conditions_with_expressions =
        input.key_conditions.is_some() && input.key_condition_expression.is_none();
    parameter_mix(
        &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
            (
                "KeyConditionExpression",
                input.key_condition_expression.is_some(),
            ),
        ],
        &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("QueryFilter", input.query_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
            (
                "KeyConditions",
                input.key_conditions.is_some() && !key_conditions_with_expressions,
            ),
        ],
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
    )?;
    select_rules(
        &Selection {
            select: input.select,
            attributes_to_get: input.attributes_to_get.is_some(),
            projection_expression: input.projection_expression.is_some(),
            index_name: input.index_name.as_deref(),
        },
        "1 validation error detected: ",
    )?;
    let filter = match &input.query_filter {
        Some(filter) => {
            values_under(values, "QueryFilter")?;
            legacy::filter(filter, input.conditional_operator)?
        }
        None => None,
    };
    let attributes = input
        .attributes_to_get
        .as_deref()
        .map(legacy::attributes_to_get)
        .transpose()?;
    values_under(values, "ExclusiveStartKey")?;
    if input.key_conditions.is_none() && input.key_condition_expression.is_none() {
        return Err(ApiError::validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in \
             the request.",
        ));
    }
    values_under(values, "ExpressionAttributeValues")?;
    let mut parsed = legacy::parse(&ExpressionParams {
        projection: input.projection_expression.as_deref(),
        filter: input.filter_expression.as_deref(),
        key_condition: input.key_condition_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
        ..ExpressionParams::default()
    })?;
    if let Some(key_conditions) = &input.key_conditions {
        values_under(values, "KeyConditions")?;
        parsed.key_condition = Some(legacy::key_conditions(key_conditions)?);
    }
    remaining_values(values)?;
    parsed.filter = parsed.filter.or(filter);
    parsed.projection = parsed.projection.or(attributes);
    Ok(parsed)
}

/// Scan: parameter mix, `AttributesToGet`, `ScanFilter`, the starting key's values, the
/// parallel scan parameters, `Select`, expressions.
pub(crate) fn scan(input: &ScanInput, values: &ValueErrors) -> Result<ParsedExpressions, ApiError> {
    parameter_mix(
        &[
            (
                "ProjectionExpression",
                input.projection_expression.is_some(),
            ),
            ("FilterExpression", input.filter_expression.is_some()),
        ],
        &[
            ("AttributesToGet", input.attributes_to_get.is_some()),
            ("ScanFilter", input.scan_filter.is_some()),
            ("ConditionalOperator", input.conditional_operator.is_some()),
        ],
        input.expression_attribute_names.is_some(),
        input.expression_attribute_values.is_some(),
    )?;
    let attributes = input
        .attributes_to_get
        .as_deref()
        .map(legacy::attributes_to_get)
        .transpose()?;
    let filter = match &input.scan_filter {
        Some(filter) => {
            values_under(values, "ScanFilter")?;
            legacy::filter(filter, input.conditional_operator)?
        }
        None => None,
    };
    values_under(values, "ExclusiveStartKey")?;
    match (input.segment, input.total_segments) {
        (Some(_), None) => {
            return Err(ApiError::validation(
                "The TotalSegments parameter is required but was not present in the request \
                 when Segment parameter is present",
            ));
        }
        (None, Some(_)) => {
            return Err(ApiError::validation(
                "The Segment parameter is required but was not present in the request when \
                 parameter TotalSegments is present",
            ));
        }
        (Some(segment), Some(total)) if segment >= total => {
            return Err(ApiError::validation(format!(
                "The Segment parameter is zero-based and must be less than parameter \
                 TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
            )));
        }
        _ => {}
    }
    select_rules(
        &Selection {
            select: input.select,
            attributes_to_get: input.attributes_to_get.is_some(),
            projection_expression: input.projection_expression.is_some(),
            index_name: input.index_name.as_deref(),
        },
        "",
    )?;
    remaining_values(values)?;
    let mut parsed = legacy::parse(&ExpressionParams {
        projection: input.projection_expression.as_deref(),
        filter: input.filter_expression.as_deref(),
        names: input.expression_attribute_names.as_ref(),
        values: input.expression_attribute_values.as_ref(),
        ..ExpressionParams::default()
    })?;
    parsed.filter = parsed.filter.or(filter);
    parsed.projection = parsed.projection.or(attributes);
    Ok(parsed)
}
