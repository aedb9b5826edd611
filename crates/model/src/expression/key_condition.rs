//! A Query's key condition: from a `KeyConditionExpression` (or legacy `KeyConditions`) to the
//! partition key value and the sort-key range the engine reads.
//!
//! Two steps, as in DynamoDB: [`KeyConditionClauses::from_condition`] checks the expression's
//! shape without knowing the table (only `=`, `<`, `<=`, `>`, `>=`, `BETWEEN` and
//! `begins_with`, joined by `AND`, each on one top-level attribute, one clause per attribute);
//! after the table is found, [`KeyConditionClauses::resolve`] checks the clauses against its
//! key schema (the partition key with `=`, at most one sort-key clause, value types matching
//! the schema).

use std::cmp::Ordering;

use crate::AttributeValue;
use crate::key::KeySchema;

use super::ast::{Comparator, Condition, Operand};
use super::error::{ExpressionError, ExpressionKind, KeyConditionShape, Problem};
use super::eval::compare_ordered;

/// An operator a key clause can use. Legacy `KeyConditions` may also name operators no index
/// can serve; those are kept so that the schema check reports them in DynamoDB's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOperator {
    /// `=` / `EQ`.
    Eq,
    /// `<` / `LT`.
    Lt,
    /// `<=` / `LE`.
    Le,
    /// `>` / `GT`.
    Gt,
    /// `>=` / `GE`.
    Ge,
    /// `BETWEEN`.
    Between,
    /// `begins_with` / `BEGINS_WITH`.
    BeginsWith,
    /// A legacy operator no index can serve (`NE`, `IN`, `NULL`, `NOT_NULL`, `CONTAINS`,
    /// `NOT_CONTAINS`).
    NotIndexable,
}

/// One clause: `attribute <operator> values`.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyClause {
    /// The top-level attribute the clause constrains.
    pub attribute: String,
    /// The operator.
    pub operator: KeyOperator,
    /// Its values: one, two for `BETWEEN`, any number for a legacy operator.
    pub values: Vec<AttributeValue>,
}

/// A key condition's clauses, one per attribute, in the order written; not yet checked
/// against a key schema.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyConditionClauses {
    clauses: Vec<KeyClause>,
    /// From legacy `KeyConditions`, which DynamoDB words one schema error differently.
    legacy: bool,
}

/// The sort-key part of a key condition.
#[derive(Debug, Clone, PartialEq)]
pub enum SortKeyCondition {
    /// `sk = v`.
    Eq(AttributeValue),
    /// `sk < v`.
    Lt(AttributeValue),
    /// `sk <= v`.
    Le(AttributeValue),
    /// `sk > v`.
    Gt(AttributeValue),
    /// `sk >= v`.
    Ge(AttributeValue),
    /// `sk BETWEEN low AND high`, both included; `low <= high`.
    Between(AttributeValue, AttributeValue),
    /// `begins_with(sk, prefix)`: a string or binary prefix.
    BeginsWith(AttributeValue),
}

impl SortKeyCondition {
    /// Whether a sort key value satisfies the condition (for a value of the schema's type).
    pub fn matches(&self, value: &AttributeValue) -> bool {
        let order = |bound: &AttributeValue| compare_ordered(value, bound);
        match self {
            SortKeyCondition::Eq(v) => order(v) == Some(Ordering::Equal),
            SortKeyCondition::Lt(v) => order(v) == Some(Ordering::Less),
            SortKeyCondition::Le(v) => matches!(order(v), Some(Ordering::Less | Ordering::Equal)),
            SortKeyCondition::Gt(v) => order(v) == Some(Ordering::Greater),
            SortKeyCondition::Ge(v) => {
                matches!(order(v), Some(Ordering::Greater | Ordering::Equal))
            }
            SortKeyCondition::Between(low, high) => {
                matches!(order(low), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(order(high), Some(Ordering::Less | Ordering::Equal))
            }
            SortKeyCondition::BeginsWith(prefix) => match (value, prefix) {
                (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
                (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
                _ => false,
            },
        }
    }
}

/// A key condition checked against the key schema.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCondition {
    /// The partition key's value (of the schema's type).
    pub partition_key: AttributeValue,
    /// The sort-key condition, if any (only with a composite key).
    pub sort_key: Option<SortKeyCondition>,
}

impl KeyConditionClauses {
    /// The clauses of a parsed `KeyConditionExpression`, with DynamoDB's shape checks.
    ///
    /// # Errors
    /// DynamoDB's messages for a disallowed operator or function, a clause naming no key
    /// attribute or two, a nested attribute, `size()`, or two clauses on one attribute.
    pub fn from_condition(condition: &Condition) -> Result<KeyConditionClauses, ExpressionError> {
        let mut clauses = Vec::new();
        collect(condition, &mut clauses)?;
        Ok(KeyConditionClauses {
            clauses,
            legacy: false,
        })
    }

    /// Clauses converted from legacy `KeyConditions` (already validated).
    pub(crate) fn legacy(clauses: Vec<KeyClause>) -> KeyConditionClauses {
        KeyConditionClauses {
            clauses,
            legacy: true,
        }
    }

    /// The clauses, in the order written.
    pub fn clauses(&self) -> &[KeyClause] {
        &self.clauses
    }

    /// Checks the clauses against `schema` (the table's, or the queried index's).
    ///
    /// # Errors
    /// [`ExpressionError::TooManyKeyConditions`], [`ExpressionError::MissedKeyElement`],
    /// [`ExpressionError::NotIndexable`], [`ExpressionError::KeyTypeMismatch`] or
    /// [`ExpressionError::KeyConditionNotSupported`], in DynamoDB's order.
    pub fn resolve(&self, schema: &KeySchema) -> Result<KeyCondition, ExpressionError> {
        let key_attributes = schema.attributes().count();
        if self.clauses.len() > key_attributes {
            return Err(if self.legacy {
                ExpressionError::KeyConditionNotSupported
            } else {
                ExpressionError::TooManyKeyConditions {
                    conditions: self.clauses.len(),
                    key_attributes,
                }
            });
        }
        let find = |name: &str| self.clauses.iter().find(|c| c.attribute == name);
        let partition = find(&schema.partition.name)
            .ok_or_else(|| ExpressionError::MissedKeyElement(schema.partition.name.clone()))?;
        check_clause(partition, schema.partition.scalar_type)?;
        if partition.operator != KeyOperator::Eq {
            return Err(ExpressionError::KeyConditionNotSupported);
        }
        let partition_key = partition.values[0].clone();
        let Some(sort) = &schema.sort else {
            return Ok(KeyCondition {
                partition_key,
                sort_key: None,
            });
        };
        let Some(clause) = find(&sort.name) else {
            if self.clauses.len() > 1 {
                return Err(ExpressionError::MissedKeyElement(sort.name.clone()));
            }
            return Ok(KeyCondition {
                partition_key,
                sort_key: None,
            });
        };
        check_clause(clause, sort.scalar_type)?;
        let value = |i: usize| clause.values[i].clone();
        let sort_key = match clause.operator {
            KeyOperator::Eq => SortKeyCondition::Eq(value(0)),
            KeyOperator::Lt => SortKeyCondition::Lt(value(0)),
            KeyOperator::Le => SortKeyCondition::Le(value(0)),
            KeyOperator::Gt => SortKeyCondition::Gt(value(0)),
            KeyOperator::Ge => SortKeyCondition::Ge(value(0)),
            KeyOperator::Between => SortKeyCondition::Between(value(0), value(1)),
            KeyOperator::BeginsWith => SortKeyCondition::BeginsWith(value(0)),
            KeyOperator::NotIndexable => unreachable!("rejected by check_clause"),
        };
        Ok(KeyCondition {
            partition_key,
            sort_key: Some(sort_key),
        })
    }
}

fn check_clause(
    clause: &KeyClause,
    key_type: crate::key::ScalarType,
) -> Result<(), ExpressionError> {
    if clause.operator == KeyOperator::NotIndexable {
        return Err(ExpressionError::NotIndexable);
    }
    if clause
        .values
        .iter()
        .any(|v| v.type_name() != key_type.name())
    {
        return Err(ExpressionError::KeyTypeMismatch);
    }
    Ok(())
}

fn invalid(problem: Problem) -> ExpressionError {
    ExpressionError::invalid(ExpressionKind::KeyCondition, problem)
}

fn collect(condition: &Condition, clauses: &mut Vec<KeyClause>) -> Result<(), ExpressionError> {
    let operator_error = |name: &str| ExpressionError::KeyConditionOperator(name.to_string());
    let key_not_first =
        |operator| ExpressionError::KeyConditionShape(KeyConditionShape::KeyNotFirst { operator });
    let (operator, operands): (KeyOperator, Vec<&Operand>) = match condition {
        Condition::And(left, right) => {
            collect(left, clauses)?;
            return collect(right, clauses);
        }
        Condition::Or(..) => return Err(operator_error("OR")),
        Condition::Not(_) => return Err(operator_error("NOT")),
        Condition::In(..) => return Err(operator_error("IN")),
        Condition::Compare(Comparator::Ne, ..) => return Err(operator_error("<>")),
        Condition::AttributeExists(_) => return Err(operator_error("attribute_exists")),
        Condition::AttributeNotExists(_) => return Err(operator_error("attribute_not_exists")),
        Condition::AttributeType(..) => return Err(operator_error("attribute_type")),
        Condition::Contains(..) => return Err(operator_error("contains")),
        Condition::Between(value, low, high) => {
            if !matches!(value, Operand::Path(_)) {
                return Err(key_not_first("BETWEEN"));
            }
            (KeyOperator::Between, vec![value, low, high])
        }
        Condition::BeginsWith(value, prefix) => {
            if !matches!(value, Operand::Path(_)) {
                return Err(key_not_first("begins_with"));
            }
            (KeyOperator::BeginsWith, vec![value, prefix])
        }
        Condition::Compare(op, left, right) => (comparison(*op), vec![left, right]),
    };
    let mut attribute: Option<(usize, &str)> = None;
    let mut values = Vec::new();
    for (i, operand) in operands.iter().enumerate() {
        match operand {
            Operand::Path(path) => {
                if attribute.is_some() {
                    return Err(ExpressionError::KeyConditionShape(
                        KeyConditionShape::MultipleAttributes,
                    ));
                }
                if !path.is_top_level() {
                    return Err(invalid(Problem::KeyConditionNested));
                }
                attribute = Some((i, path.top_level()));
            }
            Operand::Size(_) => return Err(invalid(Problem::KeyConditionNestedOperation)),
            Operand::Value(value) => values.push(value.clone()),
        }
    }
    let Some((position, name)) = attribute else {
        return Err(ExpressionError::KeyConditionShape(
            KeyConditionShape::NoKeyAttribute,
        ));
    };
    if clauses.iter().any(|c| c.attribute == name) {
        return Err(invalid(Problem::KeyConditionRepeated));
    }
    // `:v < sk` is `sk > :v`.
    let operator = match (condition, position) {
        (Condition::Compare(op, ..), 1) => comparison(op.flipped()),
        _ => operator,
    };
    clauses.push(KeyClause {
        attribute: name.to_string(),
        operator,
        values,
    });
    Ok(())
}

fn comparison(op: Comparator) -> KeyOperator {
    match op {
        Comparator::Eq => KeyOperator::Eq,
        Comparator::Lt => KeyOperator::Lt,
        Comparator::Le => KeyOperator::Le,
        Comparator::Gt => KeyOperator::Gt,
        Comparator::Ge => KeyOperator::Ge,
        Comparator::Ne => KeyOperator::NotIndexable,
    }
}
