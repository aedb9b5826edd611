//! The legacy (pre-expression) parameters, validated with DynamoDB's messages and converted to
//! the expression types, so the engine has one evaluator:
//!
//! - `Expected` + `ConditionalOperator` → a [`Condition`] ([`expected_condition`]);
//! - `QueryFilter` / `ScanFilter` + `ConditionalOperator` → a [`Condition`]
//!   ([`filter_condition`]);
//! - `KeyConditions` → [`KeyConditionClauses`] ([`key_conditions`]);
//! - `AttributeUpdates` → an [`UpdateExpression`] ([`attribute_updates`]);
//! - `AttributesToGet` → a [`Projection`] ([`attributes_to_get`]).
//!
//! The inputs are plain data so the `api` crate can map its wire types onto them. Map-shaped
//! parameters are taken as iterators of `(name, entry)` pairs in request order, since the first
//! invalid entry is the one reported. Attribute values are assumed already validated (empty
//! sets, numbers) by the `api` crate, as every attribute value of a request is. The names in
//! these parameters are top-level attribute names, used literally.

use crate::AttributeValue;
use crate::value::ValueType;

use super::ast::{Comparator, Condition, Operand, SetOperand, SetValue, UpdateAction};
use super::error::{ExpressionError, LegacyError};
use super::eval::compare_ordered;
use super::key_condition::{KeyClause, KeyConditionClauses, KeyOperator};
use super::path::DocumentPath;
use super::projection::Projection;
use super::update::{UpdateExpression, is_set};

/// A legacy `ComparisonOperator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ComparisonOperator {
    /// `EQ`
    Eq,
    /// `NE`
    Ne,
    /// `LE`
    Le,
    /// `LT`
    Lt,
    /// `GE`
    Ge,
    /// `GT`
    Gt,
    /// `NOT_NULL`: the attribute exists.
    NotNull,
    /// `NULL`: the attribute does not exist.
    Null,
    /// `CONTAINS`
    Contains,
    /// `NOT_CONTAINS`
    NotContains,
    /// `BEGINS_WITH`
    BeginsWith,
    /// `IN`
    In,
    /// `BETWEEN`
    Between,
}

impl ComparisonOperator {
    /// Every operator, in the order DynamoDB's API reference lists them.
    pub const ALL: [ComparisonOperator; 13] = [
        ComparisonOperator::Eq,
        ComparisonOperator::Ne,
        ComparisonOperator::Le,
        ComparisonOperator::Lt,
        ComparisonOperator::Ge,
        ComparisonOperator::Gt,
        ComparisonOperator::NotNull,
        ComparisonOperator::Null,
        ComparisonOperator::Contains,
        ComparisonOperator::NotContains,
        ComparisonOperator::BeginsWith,
        ComparisonOperator::In,
        ComparisonOperator::Between,
    ];

    /// The wire name (`EQ`, `NOT_NULL`, ...).
    pub fn name(self) -> &'static str {
        match self {
            ComparisonOperator::Eq => "EQ",
            ComparisonOperator::Ne => "NE",
            ComparisonOperator::Le => "LE",
            ComparisonOperator::Lt => "LT",
            ComparisonOperator::Ge => "GE",
            ComparisonOperator::Gt => "GT",
            ComparisonOperator::NotNull => "NOT_NULL",
            ComparisonOperator::Null => "NULL",
            ComparisonOperator::Contains => "CONTAINS",
            ComparisonOperator::NotContains => "NOT_CONTAINS",
            ComparisonOperator::BeginsWith => "BEGINS_WITH",
            ComparisonOperator::In => "IN",
            ComparisonOperator::Between => "BETWEEN",
        }
    }

    /// The operator with this wire name (exact match).
    pub fn from_name(name: &str) -> Option<ComparisonOperator> {
        ComparisonOperator::ALL
            .into_iter()
            .find(|op| op.name() == name)
    }

    /// Whether `count` values suit the operator.
    fn takes(self, count: usize) -> bool {
        match self {
            ComparisonOperator::NotNull | ComparisonOperator::Null => count == 0,
            ComparisonOperator::In => count >= 1,
            ComparisonOperator::Between => count == 2,
            _ => count == 1,
        }
    }

    /// The value types the operator accepts in an `AttributeValueList`: `EQ` and `NE` take
    /// every type, lists and maps included (the Condition reference: "EQ is supported for all
    /// data types, including lists and maps"); `BEGINS_WITH` a string or binary; the others
    /// a string, number or binary.
    fn accepts(self, value_type: ValueType) -> bool {
        use ValueType::*;
        match self {
            ComparisonOperator::Eq | ComparisonOperator::Ne => true,
            ComparisonOperator::BeginsWith => matches!(value_type, S | B),
            ComparisonOperator::NotNull | ComparisonOperator::Null => true,
            _ => matches!(value_type, S | N | B),
        }
    }
}

/// `ConditionalOperator`: how several legacy conditions combine (default `AND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConditionalOperator {
    /// All must hold.
    #[default]
    And,
    /// At least one must hold.
    Or,
}

/// One entry of `Expected`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExpectedAttribute {
    /// `Value`.
    pub value: Option<AttributeValue>,
    /// `Exists`.
    pub exists: Option<bool>,
    /// `ComparisonOperator`.
    pub comparison_operator: Option<ComparisonOperator>,
    /// `AttributeValueList`.
    pub attribute_value_list: Option<Vec<AttributeValue>>,
}

/// One entry of `KeyConditions`, `QueryFilter` or `ScanFilter`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeCondition {
    /// `ComparisonOperator` (required on the wire).
    pub comparison_operator: ComparisonOperator,
    /// `AttributeValueList` (absent on the wire is empty here).
    pub attribute_value_list: Vec<AttributeValue>,
}

/// `Action` of an `AttributeUpdates` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AttributeAction {
    /// `PUT` (the default): set the attribute.
    #[default]
    Put,
    /// `ADD`: add to a number or set (or append to a list).
    Add,
    /// `DELETE`: remove the attribute, or members of a set.
    Delete,
}

/// One entry of `AttributeUpdates`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttributeUpdate {
    /// `Action` (absent means `PUT`).
    pub action: Option<AttributeAction>,
    /// `Value`.
    pub value: Option<AttributeValue>,
}

/// Converts `Expected` (with `ConditionalOperator`) to a condition; `None` if it has no entry.
///
/// # Errors
/// [`LegacyError`] with DynamoDB's message for the first invalid entry.
pub fn expected_condition<'e>(
    expected: impl IntoIterator<Item = (&'e String, &'e ExpectedAttribute)>,
    operator: Option<ConditionalOperator>,
) -> Result<Option<Condition>, ExpressionError> {
    let mut conditions = Vec::new();
    for (name, entry) in expected {
        conditions.push(expected_entry(name, entry)?);
    }
    Ok(combine(conditions, operator.unwrap_or_default()))
}

fn expected_entry(name: &str, entry: &ExpectedAttribute) -> Result<Condition, LegacyError> {
    if entry.value.is_some() && entry.attribute_value_list.is_some() {
        return Err(LegacyError::ValueAndList(name.to_string()));
    }
    let Some(operator) = entry.comparison_operator else {
        if entry.attribute_value_list.is_some() {
            return Err(LegacyError::ListWithoutOperator(name.to_string()));
        }
        let path = DocumentPath::attribute(name);
        return match (entry.exists, &entry.value) {
            (Some(false), None) => Ok(Condition::AttributeNotExists(path)),
            (Some(false), Some(_)) => Err(LegacyError::ValueWhenNotExists(name.to_string())),
            (exists, None) => Err(LegacyError::ExistsWithoutValue {
                exists: if exists.is_some() { "true" } else { "null" },
                attribute: name.to_string(),
            }),
            (_, Some(value)) => Ok(Condition::Compare(
                Comparator::Eq,
                Operand::Path(path),
                Operand::Value(value.clone()),
            )),
        };
    };
    if entry.exists.is_some() {
        return Err(LegacyError::ExistsAndOperator(name.to_string()));
    }
    let values: Vec<AttributeValue> = match (&entry.attribute_value_list, &entry.value) {
        (Some(list), _) => list.clone(),
        (None, Some(value)) => vec![value.clone()],
        (None, None) => {
            if !matches!(
                operator,
                ComparisonOperator::Null | ComparisonOperator::NotNull
            ) {
                return Err(LegacyError::OperatorWithoutValue {
                    operator: operator.name(),
                    attribute: name.to_string(),
                });
            }
            Vec::new()
        }
    };
    if !operator.takes(values.len()) {
        return Err(LegacyError::ArgumentCount(operator.name()));
    }
    check_same_type(&values)?;
    check_value_types(operator, &values)?;
    check_between_order(operator, &values)?;
    Ok(condition(name, operator, values))
}

/// Converts `QueryFilter` or `ScanFilter` (with `ConditionalOperator`) to a condition; `None` if
/// it has no entry.
///
/// # Errors
/// [`LegacyError`] with DynamoDB's message for the first invalid entry.
pub fn filter_condition<'e>(
    filter: impl IntoIterator<Item = (&'e String, &'e AttributeCondition)>,
    operator: Option<ConditionalOperator>,
) -> Result<Option<Condition>, ExpressionError> {
    let mut conditions = Vec::new();
    for (name, entry) in filter {
        check_attribute_condition(entry)?;
        conditions.push(condition(
            name,
            entry.comparison_operator,
            entry.attribute_value_list.clone(),
        ));
    }
    Ok(combine(conditions, operator.unwrap_or_default()))
}

/// Converts `KeyConditions` to key-condition clauses, checked against the key schema later
/// (see [`KeyConditionClauses::resolve`]).
///
/// # Errors
/// [`LegacyError`] with DynamoDB's message for the first invalid entry, or
/// [`LegacyError::KeyConditionCount`] for no entry or more than two.
pub fn key_conditions<'e>(
    conditions: impl IntoIterator<Item = (&'e String, &'e AttributeCondition)>,
) -> Result<KeyConditionClauses, ExpressionError> {
    let mut clauses = Vec::new();
    for (name, entry) in conditions {
        check_attribute_condition(entry)?;
        let operator = match entry.comparison_operator {
            ComparisonOperator::Eq => KeyOperator::Eq,
            ComparisonOperator::Lt => KeyOperator::Lt,
            ComparisonOperator::Le => KeyOperator::Le,
            ComparisonOperator::Gt => KeyOperator::Gt,
            ComparisonOperator::Ge => KeyOperator::Ge,
            ComparisonOperator::Between => KeyOperator::Between,
            ComparisonOperator::BeginsWith => KeyOperator::BeginsWith,
            _ => KeyOperator::NotIndexable,
        };
        clauses.push(KeyClause {
            attribute: name.clone(),
            operator,
            values: entry.attribute_value_list.clone(),
        });
    }
    if clauses.is_empty() || clauses.len() > 2 {
        return Err(LegacyError::KeyConditionCount.into());
    }
    Ok(KeyConditionClauses::legacy(clauses))
}

/// `validateConditions` for one `KeyConditions`/`QueryFilter`/`ScanFilter` entry: value count,
/// one type, a type the operator accepts, `BETWEEN` bounds in order.
fn check_attribute_condition(entry: &AttributeCondition) -> Result<(), LegacyError> {
    let operator = entry.comparison_operator;
    let values = &entry.attribute_value_list;
    if !operator.takes(values.len()) {
        return Err(LegacyError::ArgumentCount(operator.name()));
    }
    check_same_type(values)?;
    check_value_types(operator, values)?;
    check_between_order(operator, values)
}

/// The values' types must suit the operator, in `Expected` as in the filters: a value the
/// operator cannot use is an error, not a condition that is false.
fn check_value_types(
    operator: ComparisonOperator,
    values: &[AttributeValue],
) -> Result<(), LegacyError> {
    match values.iter().find(|v| !operator.accepts(v.value_type())) {
        Some(bad) => Err(LegacyError::OperatorType {
            operator: operator.name(),
            value_type: bad.type_name(),
        }),
        None => Ok(()),
    }
}

fn check_same_type(values: &[AttributeValue]) -> Result<(), LegacyError> {
    match values.first() {
        Some(first) if values.iter().any(|v| v.value_type() != first.value_type()) => {
            Err(LegacyError::MixedTypes)
        }
        _ => Ok(()),
    }
}

fn check_between_order(
    operator: ComparisonOperator,
    values: &[AttributeValue],
) -> Result<(), LegacyError> {
    if operator == ComparisonOperator::Between
        && compare_ordered(&values[0], &values[1]) == Some(std::cmp::Ordering::Greater)
    {
        return Err(LegacyError::BetweenOrder);
    }
    Ok(())
}

/// The condition a validated legacy comparison stands for.
fn condition(name: &str, operator: ComparisonOperator, values: Vec<AttributeValue>) -> Condition {
    let path = DocumentPath::attribute(name);
    let attribute = || Operand::Path(path.clone());
    let mut values = values.into_iter().map(Operand::Value);
    let mut value = || values.next().expect("value count checked");
    let compare = |op, value| Condition::Compare(op, attribute(), value);
    match operator {
        ComparisonOperator::Eq => compare(Comparator::Eq, value()),
        ComparisonOperator::Ne => compare(Comparator::Ne, value()),
        ComparisonOperator::Le => compare(Comparator::Le, value()),
        ComparisonOperator::Lt => compare(Comparator::Lt, value()),
        ComparisonOperator::Ge => compare(Comparator::Ge, value()),
        ComparisonOperator::Gt => compare(Comparator::Gt, value()),
        ComparisonOperator::NotNull => Condition::AttributeExists(path.clone()),
        ComparisonOperator::Null => Condition::AttributeNotExists(path.clone()),
        ComparisonOperator::Contains => Condition::Contains(attribute(), value()),
        // A missing attribute neither contains nor "not contains" anything: NOT_CONTAINS
        // is false for it, unlike NE.
        ComparisonOperator::NotContains => Condition::And(
            Box::new(Condition::AttributeExists(path.clone())),
            Box::new(Condition::Not(Box::new(Condition::Contains(
                attribute(),
                value(),
            )))),
        ),
        ComparisonOperator::BeginsWith => Condition::BeginsWith(attribute(), value()),
        ComparisonOperator::In => Condition::In(attribute(), values.collect()),
        ComparisonOperator::Between => {
            let low = value();
            let high = value();
            Condition::Between(attribute(), low, high)
        }
    }
}

fn combine(conditions: Vec<Condition>, operator: ConditionalOperator) -> Option<Condition> {
    conditions.into_iter().reduce(|left, right| match operator {
        ConditionalOperator::And => Condition::And(Box::new(left), Box::new(right)),
        ConditionalOperator::Or => Condition::Or(Box::new(left), Box::new(right)),
    })
}

/// Converts `AttributeUpdates` to an update.
///
/// # Errors
/// [`LegacyError`] with DynamoDB's message for the first invalid entry.
pub fn attribute_updates<'e>(
    updates: impl IntoIterator<Item = (&'e String, &'e AttributeUpdate)>,
) -> Result<UpdateExpression, ExpressionError> {
    let mut actions = Vec::new();
    for (name, update) in updates {
        let path = DocumentPath::attribute(name.as_str());
        let action = update.action.unwrap_or_default();
        let Some(value) = &update.value else {
            if action != AttributeAction::Delete {
                return Err(LegacyError::ValueRequired.into());
            }
            actions.push(UpdateAction::Remove(path));
            continue;
        };
        actions.push(match action {
            AttributeAction::Put => {
                UpdateAction::Set(path, SetValue::Operand(SetOperand::Value(value.clone())))
            }
            AttributeAction::Delete if is_set(value) => UpdateAction::Delete(path, value.clone()),
            AttributeAction::Delete => {
                return Err(LegacyError::DeleteType(value.type_name()).into());
            }
            AttributeAction::Add
                if is_set(value)
                    || matches!(value, AttributeValue::N(_) | AttributeValue::L(_)) =>
            {
                UpdateAction::Add(path, value.clone())
            }
            AttributeAction::Add => return Err(LegacyError::AddType(value.type_name()).into()),
        });
    }
    Ok(UpdateExpression::legacy(actions))
}

/// Converts `AttributesToGet` to a projection.
///
/// # Errors
/// [`LegacyError::DuplicateAttribute`] for a name given twice.
pub fn attributes_to_get(names: &[String]) -> Result<Projection, ExpressionError> {
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            return Err(LegacyError::DuplicateAttribute(name.clone()).into());
        }
    }
    Ok(Projection::attributes(names.iter().map(String::as_str)))
}

/// DynamoDB's rules on mixing expression and legacy parameters, and on placeholder maps
/// without expressions.
///
/// `expression` lists the operation's expression parameters as `(name, present)`, and
/// `legacy` its legacy parameters, each in DynamoDB's order for the operation (e.g. Query:
/// `ProjectionExpression, FilterExpression, KeyConditionExpression` and `AttributesToGet,
/// QueryFilter, ConditionalOperator, KeyConditions`). For Query, DynamoDB allows
/// `KeyConditions` beside the other expressions when `KeyConditionExpression` is absent: leave it
/// out of `legacy` then.
///
/// # Errors
/// [`ExpressionError::MixedParameters`], [`ExpressionError::NamesWithoutExpressions`] or
/// [`ExpressionError::ValuesWithoutExpressions`].
pub fn check_parameter_mix(
    expression: &[(&'static str, bool)],
    legacy: &[(&'static str, bool)],
    names_present: bool,
    values_present: bool,
) -> Result<(), ExpressionError> {
    let present = |params: &[(&'static str, bool)]| -> Vec<&'static str> {
        params.iter().filter(|(_, p)| *p).map(|(n, _)| *n).collect()
    };
    let expressions = present(expression);
    if !expressions.is_empty() {
        let legacy = present(legacy);
        if !legacy.is_empty() {
            return Err(ExpressionError::MixedParameters {
                legacy,
                expression: expressions,
            });
        }
    }
    if names_present && expressions.is_empty() {
        return Err(ExpressionError::NamesWithoutExpressions);
    }
    let value_taking: Vec<(&'static str, bool)> = expression
        .iter()
        .copied()
        .filter(|(name, _)| *name != "ProjectionExpression")
        .collect();
    if values_present && !value_taking.is_empty() && value_taking.iter().all(|(_, p)| !p) {
        return Err(ExpressionError::ValuesWithoutExpressions {
            absent: value_taking.iter().map(|(n, _)| *n).collect(),
        });
    }
    Ok(())
}
