//! Evaluating a [`Condition`] against an item.
//!
//! DynamoDB's rules: an operand whose path the item lacks is missing, and every comparison with
//! a missing operand is false except `<>`, which is true (a missing attribute is unequal to
//! everything, even to another missing attribute); values of
//! different types are never equal and never ordered (`{"N":"1"} < {"S":"2"}` is false, `<>` is
//! true); only strings (by UTF-8 bytes), numbers (numerically) and binaries (by bytes) have an
//! order. Evaluation allocates nothing: a filter runs once per scanned item.

use std::cmp::Ordering;

use crate::value::ValueType;
use crate::{AttributeValue, Item, Number};

use super::ast::{Comparator, Condition, Operand};

/// An operand's value in one item: borrowed from the item or the expression, or computed by
/// `size`.
#[derive(Debug, Clone, Copy)]
enum Resolved<'a> {
    Value(&'a AttributeValue),
    Size(Number),
}

impl Resolved<'_> {
    fn value_type(&self) -> ValueType {
        match self {
            Resolved::Value(value) => value.value_type(),
            Resolved::Size(_) => ValueType::N,
        }
    }

    fn number(&self) -> Option<Number> {
        match self {
            Resolved::Value(AttributeValue::N(n)) => Some(*n),
            Resolved::Size(n) => Some(*n),
            _ => None,
        }
    }
}

impl Condition {
    /// Whether `item` satisfies the condition. For a write's `ConditionExpression` on an item
    /// that does not exist yet, pass an empty item.
    pub fn evaluate(&self, item: &Item) -> bool {
        match self {
            Condition::Compare(op, left, right) => {
                match (resolve(left, item), resolve(right, item)) {
                    (Some(a), Some(b)) => compare(*op, a, b),
                    _ => *op == Comparator::Ne,
                }
            }
            Condition::Between(value, low, high) => {
                let (Some(value), Some(low), Some(high)) = (
                    resolve(value, item),
                    resolve(low, item),
                    resolve(high, item),
                ) else {
                    return false;
                };
                matches!(order(value, low), Some(Ordering::Greater | Ordering::Equal))
                    && matches!(order(value, high), Some(Ordering::Less | Ordering::Equal))
            }
            Condition::In(value, candidates) => {
                let Some(value) = resolve(value, item) else {
                    return false;
                };
                candidates
                    .iter()
                    .filter_map(|c| resolve(c, item))
                    .any(|c| equal(value, c))
            }
            Condition::AttributeExists(path) => path.resolve(item).is_some(),
            Condition::AttributeNotExists(path) => path.resolve(item).is_none(),
            Condition::AttributeType(operand, wanted) => {
                resolve(operand, item).is_some_and(|v| v.value_type() == *wanted)
            }
            Condition::BeginsWith(operand, prefix) => {
                match (resolve(operand, item), resolve(prefix, item)) {
                    (Some(Resolved::Value(value)), Some(Resolved::Value(prefix))) => {
                        begins_with(value, prefix)
                    }
                    _ => false,
                }
            }
            Condition::Contains(operand, element) => {
                match (resolve(operand, item), resolve(element, item)) {
                    (Some(Resolved::Value(container)), Some(element)) => {
                        contains(container, element)
                    }
                    _ => false,
                }
            }
            Condition::Not(inner) => !inner.evaluate(item),
            Condition::And(left, right) => left.evaluate(item) && right.evaluate(item),
            Condition::Or(left, right) => left.evaluate(item) || right.evaluate(item),
        }
    }
}

fn resolve<'a>(operand: &'a Operand, item: &'a Item) -> Option<Resolved<'a>> {
    match operand {
        Operand::Path(path) => path.resolve(item).map(Resolved::Value),
        Operand::Value(value) => Some(Resolved::Value(value)),
        Operand::Size(inner) => match resolve(inner, item)? {
            Resolved::Value(value) => size(value).map(Resolved::Size),
            // `size(size(x))` is rejected when parsed.
            Resolved::Size(_) => None,
        },
    }
}

/// `size()`: bytes of a string (UTF-8) or binary, elements of a set, list or map; numbers,
/// booleans and nulls have none.
fn size(value: &AttributeValue) -> Option<Number> {
    let count = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(set) => set.len(),
        AttributeValue::Ns(set) => set.len(),
        AttributeValue::Bs(set) => set.len(),
        AttributeValue::L(list) => list.len(),
        AttributeValue::M(map) => map.len(),
        AttributeValue::N(_) | AttributeValue::Bool(_) | AttributeValue::Null => return None,
    };
    Some(Number::from(count as u64))
}

fn compare(op: Comparator, a: Resolved<'_>, b: Resolved<'_>) -> bool {
    match op {
        Comparator::Eq => equal(a, b),
        Comparator::Ne => !equal(a, b),
        Comparator::Lt => order(a, b) == Some(Ordering::Less),
        Comparator::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
        Comparator::Gt => order(a, b) == Some(Ordering::Greater),
        Comparator::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
    }
}

fn equal(a: Resolved<'_>, b: Resolved<'_>) -> bool {
    match (a, b) {
        (Resolved::Value(x), Resolved::Value(y)) => x.dynamo_eq(y),
        _ => matches!((a.number(), b.number()), (Some(x), Some(y)) if x == y),
    }
}

fn order(a: Resolved<'_>, b: Resolved<'_>) -> Option<Ordering> {
    match (a, b) {
        (Resolved::Value(x), Resolved::Value(y)) => compare_ordered(x, y),
        _ => Some(a.number()?.cmp(&b.number()?)),
    }
}

/// The order of two values of one ordered type (S by UTF-8 bytes, N numerically, B by bytes);
/// `None` for any other pair.
pub fn compare_ordered(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.as_slice().cmp(y.as_slice())),
        _ => None,
    }
}

fn begins_with(value: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (value, prefix) {
        (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
        (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
        _ => false,
    }
}

/// `contains()`: a substring of a string, a subsequence of a binary, a member of a set of the
/// element's type, or an element of a list.
fn contains(container: &AttributeValue, element: Resolved<'_>) -> bool {
    match (container, element) {
        (AttributeValue::L(list), element) => {
            list.iter().any(|v| equal(Resolved::Value(v), element))
        }
        (AttributeValue::Ns(set), element) => element.number().is_some_and(|n| set.contains(&n)),
        (container, Resolved::Value(element)) => match (container, element) {
            (AttributeValue::S(s), AttributeValue::S(part)) => s.contains(part.as_str()),
            (AttributeValue::B(b), AttributeValue::B(part)) => {
                part.is_empty() || b.windows(part.len()).any(|w| w == part.as_slice())
            }
            (AttributeValue::Ss(set), AttributeValue::S(member)) => set.contains(member),
            (AttributeValue::Bs(set), AttributeValue::B(member)) => set.contains(member),
            _ => false,
        },
        _ => false,
    }
}
