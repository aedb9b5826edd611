//! The parsed forms of condition, filter and update expressions.
//!
//! Placeholders are already substituted: `#n` became the attribute name it stands for and `:v`
//! the value, so evaluating an expression never consults the request's maps again. Legacy
//! parameters (`Expected`, `QueryFilter`, `AttributeUpdates`, ...) are converted to these same
//! types, so the engine has one evaluator.

use crate::AttributeValue;
use crate::value::ValueType;

use super::path::DocumentPath;

/// The long name DynamoDB uses for a value's type in update-action messages (`STRING`,
/// `NUMBER`, ...); sets keep their wire name.
pub fn long_type_name(value_type: ValueType) -> &'static str {
    match value_type {
        ValueType::S => "STRING",
        ValueType::N => "NUMBER",
        ValueType::B => "BINARY",
        ValueType::Bool => "BOOLEAN",
        ValueType::Null => "NULL",
        ValueType::M => "MAP",
        ValueType::L => "LIST",
        ValueType::Ss => "SS",
        ValueType::Ns => "NS",
        ValueType::Bs => "BS",
    }
}

/// Whether values of the type have an order (`<` and friends, `BETWEEN`): S, N and B.
pub fn is_ordered(value_type: ValueType) -> bool {
    matches!(value_type, ValueType::S | ValueType::N | ValueType::B)
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Comparator {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Comparator {
    /// The operator as written in an expression.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Eq => "=",
            Comparator::Ne => "<>",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
        }
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> Comparator {
        match self {
            Comparator::Eq => Comparator::Eq,
            Comparator::Ne => Comparator::Ne,
            Comparator::Lt => Comparator::Gt,
            Comparator::Le => Comparator::Ge,
            Comparator::Gt => Comparator::Lt,
            Comparator::Ge => Comparator::Le,
        }
    }
}

/// Something a condition compares: a value from the item, a value from the request, or the
/// size of either.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// The value at a path in the item (missing if the item has none there).
    Path(DocumentPath),
    /// A value from `ExpressionAttributeValues` (or a legacy parameter).
    Value(AttributeValue),
    /// `size(operand)`: a number, or missing when the operand is missing or has no size.
    Size(Box<Operand>),
}

/// A condition or filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `left <op> right`.
    Compare(Comparator, Operand, Operand),
    /// `value BETWEEN low AND high`, bounds included.
    Between(Operand, Operand, Operand),
    /// `value IN (candidates...)`, 1 to 100 candidates.
    In(Operand, Vec<Operand>),
    /// `attribute_exists(path)`.
    AttributeExists(DocumentPath),
    /// `attribute_not_exists(path)`.
    AttributeNotExists(DocumentPath),
    /// `attribute_type(operand, :type)`.
    AttributeType(Operand, ValueType),
    /// `begins_with(operand, prefix)`: strings or binaries.
    BeginsWith(Operand, Operand),
    /// `contains(operand, element)`: substring, set member or list element.
    Contains(Operand, Operand),
    /// `NOT condition`.
    Not(Box<Condition>),
    /// `left AND right`.
    And(Box<Condition>, Box<Condition>),
    /// `left OR right`.
    Or(Box<Condition>, Box<Condition>),
}

impl Operand {
    /// Calls `visit` with every document path in the operand.
    pub fn visit_paths<'a>(&'a self, visit: &mut impl FnMut(&'a DocumentPath)) {
        match self {
            Operand::Path(path) => visit(path),
            Operand::Value(_) => {}
            Operand::Size(inner) => inner.visit_paths(visit),
        }
    }
}

impl Condition {
    /// Calls `visit` with every document path in the condition, in the order written.
    pub fn visit_paths<'a>(&'a self, visit: &mut impl FnMut(&'a DocumentPath)) {
        match self {
            Condition::Compare(_, left, right)
            | Condition::BeginsWith(left, right)
            | Condition::Contains(left, right) => {
                left.visit_paths(visit);
                right.visit_paths(visit);
            }
            Condition::Between(value, low, high) => {
                value.visit_paths(visit);
                low.visit_paths(visit);
                high.visit_paths(visit);
            }
            Condition::In(value, candidates) => {
                value.visit_paths(visit);
                candidates.iter().for_each(|c| c.visit_paths(visit));
            }
            Condition::AttributeExists(path) | Condition::AttributeNotExists(path) => visit(path),
            Condition::AttributeType(operand, _) => operand.visit_paths(visit),
            Condition::Not(inner) => inner.visit_paths(visit),
            Condition::And(left, right) | Condition::Or(left, right) => {
                left.visit_paths(visit);
                right.visit_paths(visit);
            }
        }
    }
}

/// One action of an update expression.
#[derive(Debug, Clone, PartialEq)]
pub enum UpdateAction {
    /// `SET path = value`.
    Set(DocumentPath, SetValue),
    /// `REMOVE path`.
    Remove(DocumentPath),
    /// `ADD path :value`: add to a number, or add elements to a set (or, from the legacy
    /// `AttributeUpdates` only, append to a list).
    Add(DocumentPath, AttributeValue),
    /// `DELETE path :set`: remove elements from a set.
    Delete(DocumentPath, AttributeValue),
}

impl UpdateAction {
    /// The path the action writes.
    pub fn path(&self) -> &DocumentPath {
        match self {
            UpdateAction::Set(path, _)
            | UpdateAction::Remove(path)
            | UpdateAction::Add(path, _)
            | UpdateAction::Delete(path, _) => path,
        }
    }
}

impl UpdateAction {
    /// Calls `visit` with every document path of the action: the path it writes, then the
    /// paths its value reads.
    pub fn visit_paths<'a>(&'a self, visit: &mut impl FnMut(&'a DocumentPath)) {
        visit(self.path());
        if let UpdateAction::Set(_, value) = self {
            match value {
                SetValue::Operand(operand) => operand.visit_paths(visit),
                SetValue::Plus(left, right) | SetValue::Minus(left, right) => {
                    left.visit_paths(visit);
                    right.visit_paths(visit);
                }
            }
        }
    }
}

/// The right-hand side of a `SET` action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetValue {
    /// A single operand.
    Operand(SetOperand),
    /// `left + right` (numbers).
    Plus(SetOperand, SetOperand),
    /// `left - right` (numbers).
    Minus(SetOperand, SetOperand),
}

/// An operand of a `SET` action.
#[derive(Debug, Clone, PartialEq)]
pub enum SetOperand {
    /// The value at a path in the item as it was before the update.
    Path(DocumentPath),
    /// A value from `ExpressionAttributeValues`.
    Value(AttributeValue),
    /// `if_not_exists(path, fallback)`.
    IfNotExists(DocumentPath, Box<SetOperand>),
    /// `list_append(first, second)`.
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

impl SetOperand {
    /// Calls `visit` with every document path in the operand.
    pub fn visit_paths<'a>(&'a self, visit: &mut impl FnMut(&'a DocumentPath)) {
        match self {
            SetOperand::Path(path) => visit(path),
            SetOperand::Value(_) => {}
            SetOperand::IfNotExists(path, fallback) => {
                visit(path);
                fallback.visit_paths(visit);
            }
            SetOperand::ListAppend(first, second) => {
                first.visit_paths(visit);
                second.visit_paths(visit);
            }
        }
    }
}
