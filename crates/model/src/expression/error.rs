//! Every error the expression languages report, with DynamoDB's exact wording.
//!
//! All of them are client errors: the `api` crate answers each with a `ValidationException`
//! whose message is the error's `Display`. Nothing here changes any state, and retrying the same
//! request fails the same way. Collecting the texts in one file keeps them consistent and makes
//! a wording fix a one-line change.

use std::fmt;

use thiserror::Error;

use crate::json::ValueError;
use crate::number::NumberError;

/// Which request parameter an expression came from; its `Display` is the parameter's name, as
/// DynamoDB uses it in messages ("Invalid ConditionExpression: ...").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpressionKind {
    /// `ConditionExpression` (PutItem, UpdateItem, DeleteItem, transactions).
    Condition,
    /// `FilterExpression` (Query, Scan).
    Filter,
    /// `KeyConditionExpression` (Query).
    KeyCondition,
    /// `ProjectionExpression` (GetItem, BatchGetItem, Query, Scan).
    Projection,
    /// `UpdateExpression` (UpdateItem).
    Update,
}

impl fmt::Display for ExpressionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExpressionKind::Condition => "ConditionExpression",
            ExpressionKind::Filter => "FilterExpression",
            ExpressionKind::KeyCondition => "KeyConditionExpression",
            ExpressionKind::Projection => "ProjectionExpression",
            ExpressionKind::Update => "UpdateExpression",
        })
    }
}

/// A request's expressions, placeholders or legacy parameters are invalid, or an update cannot
/// be applied to the item it targets. Always a client error (`ValidationException`).
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ExpressionError {
    /// One expression is invalid; the message names the parameter.
    #[error("Invalid {kind}: {problem}")]
    Invalid {
        /// The parameter the expression came from.
        kind: ExpressionKind,
        /// What is wrong with it.
        problem: Problem,
    },
    /// `ExpressionAttributeNames` was given as an empty map.
    #[error("ExpressionAttributeNames must not be empty")]
    EmptyNames,
    /// `ExpressionAttributeValues` was given as an empty map.
    #[error("ExpressionAttributeValues must not be empty")]
    EmptyValues,
    /// A key of `ExpressionAttributeNames` is not `#` followed by `[A-Za-z0-9_]+`.
    #[error("ExpressionAttributeNames contains invalid key: Syntax error; key: \"{0}\"")]
    InvalidNameKey(String),
    /// A value of `ExpressionAttributeNames` is the empty string: attribute names have at
    /// least one character.
    #[error("ExpressionAttributeNames contains invalid value: Empty attribute name for key {0}")]
    EmptyNameValue(String),
    /// A key of `ExpressionAttributeValues` is not `:` followed by `[A-Za-z0-9_]+`.
    #[error("ExpressionAttributeValues contains invalid key: Syntax error; key: \"{0}\"")]
    InvalidValueKey(String),
    /// A value of `ExpressionAttributeValues` breaks the data model (an empty set, a bad
    /// number, ...). (A value nested too deep is reported bare, as [`ValueError::TooDeep`].)
    #[error("ExpressionAttributeValues contains invalid value: {error} for key {key}")]
    InvalidValue {
        /// The placeholder.
        key: String,
        /// What is wrong with its value.
        error: ValueError,
    },
    /// Names defined in `ExpressionAttributeNames` that no expression of the request uses.
    #[error("Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedNames(Vec<String>),
    /// Values defined in `ExpressionAttributeValues` that no expression of the request uses.
    #[error("Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}", .0.join(", "))]
    UnusedValues(Vec<String>),
    /// Expression parameters and their legacy counterparts in one request.
    #[error(
        "Can not use both expression and non-expression parameters in the same request: \
         Non-expression parameters: {{{}}} Expression parameters: {{{}}}",
        .legacy.join(", "),
        .expression.join(", ")
    )]
    MixedParameters {
        /// The legacy parameters present, in DynamoDB's order for the operation.
        legacy: Vec<&'static str>,
        /// The expression parameters present, in DynamoDB's order for the operation.
        expression: Vec<&'static str>,
    },
    /// `ExpressionAttributeNames` without any expression to use them.
    #[error("ExpressionAttributeNames can only be specified when using expressions")]
    NamesWithoutExpressions,
    /// `ExpressionAttributeValues` without any expression that could use them.
    #[error(
        "ExpressionAttributeValues can only be specified when using expressions: {} {} null",
        .absent.join(" and "),
        if .absent.len() > 1 { "are" } else { "is" }
    )]
    ValuesWithoutExpressions {
        /// The operation's value-taking expression parameters, all absent.
        absent: Vec<&'static str>,
    },
    /// A key condition uses an operator or function a key condition cannot use.
    #[error("Invalid operator used in KeyConditionExpression: {0}")]
    KeyConditionOperator(String),
    /// A key condition is shaped in a way a key condition cannot be.
    #[error("Invalid condition in KeyConditionExpression: {0}")]
    KeyConditionShape(KeyConditionShape),
    /// The key condition does not name the partition key (or names another attribute).
    #[error("Query condition missed key schema element: {0}")]
    MissedKeyElement(String),
    /// The key condition's shape does not fit the key schema (e.g. a range on the partition key).
    #[error("Query key condition not supported")]
    KeyConditionNotSupported,
    /// A legacy key condition uses an operator no index can serve (`NE`, `IN`, `NULL`, ...).
    #[error("Attempted conditional constraint is not an indexable operation")]
    NotIndexable,
    /// A key condition compares a key attribute with a value of another type.
    #[error(
        "One or more parameter values were invalid: Condition parameter type does not match schema type"
    )]
    KeyTypeMismatch,
    /// More key conditions than the key schema has attributes.
    #[error(
        "The number of query conditions ({conditions}) exceeds the number of key attributes \
         defined in the schema ({key_attributes})"
    )]
    TooManyKeyConditions {
        /// Conditions in the request.
        conditions: usize,
        /// Attributes in the key schema (1 or 2).
        key_attributes: usize,
    },
    /// An update writes a key attribute.
    #[error(
        "One or more parameter values were invalid: Cannot update attribute {0}. This attribute is part of the key"
    )]
    KeyAttributeUpdated(String),
    /// A Query filter reads a key attribute of the table or index queried.
    #[error(
        "{parameter} can only contain non-primary key attributes: Primary key attribute: {attribute}"
    )]
    FilterOnKeyAttribute {
        /// `Filter Expression` or `QueryFilter`, as DynamoDB names them here.
        parameter: &'static str,
        /// The key attribute.
        attribute: String,
    },
    /// A path goes inside a key attribute (`pk.x`, `pk[0]`).
    #[error(
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: {0}"
    )]
    NestedKeyPath(String),
    /// A legacy parameter is invalid.
    #[error(transparent)]
    Legacy(#[from] LegacyError),
    /// An update cannot be applied to the item as it is.
    #[error(transparent)]
    Update(#[from] UpdateError),
}

impl ExpressionError {
    /// Shorthand for [`ExpressionError::Invalid`].
    pub fn invalid(kind: ExpressionKind, problem: Problem) -> ExpressionError {
        ExpressionError::Invalid { kind, problem }
    }
}

/// How a key condition is mis-shaped (the text after "Invalid condition in
/// KeyConditionExpression: ").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyConditionShape {
    /// `BETWEEN` or `begins_with` whose first operand is not the key attribute.
    KeyNotFirst {
        /// `BETWEEN` or `begins_with`.
        operator: &'static str,
    },
    /// One condition names two attributes.
    MultipleAttributes,
    /// One condition names no attribute.
    NoKeyAttribute,
}

impl fmt::Display for KeyConditionShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyConditionShape::KeyNotFirst { operator } => write!(
                f,
                "{operator} operator must have the key attribute as its first operand"
            ),
            KeyConditionShape::MultipleAttributes => {
                f.write_str("Multiple attribute names used in one condition")
            }
            KeyConditionShape::NoKeyAttribute => f.write_str("No key attribute specified"),
        }
    }
}

/// What is wrong with one expression: the text after "Invalid <Parameter>: ".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Problem {
    /// The expression is the empty string.
    #[error("The expression can not be empty;")]
    Empty,
    /// The expression is longer than 4096 bytes.
    #[error("Expression size has exceeded the maximum allowed size; expression size: {size}")]
    TooLong {
        /// Its size in bytes.
        size: usize,
    },
    /// The grammar does not accept `token`; `near` is the source from the token before it to
    /// the token after it.
    #[error("Syntax error; token: \"{token}\", near: \"{near}\"")]
    Syntax {
        /// The offending token's text (`<EOF>` at the end).
        token: String,
        /// The surrounding source text.
        near: String,
    },
    /// Something already in parentheses is wrapped in parentheses again.
    #[error("The expression has redundant parentheses;")]
    RedundantParentheses,
    /// A function name that the expression language does not have (names are case-sensitive).
    #[error("Invalid function name; function: {name}")]
    UnknownFunction {
        /// The name as written.
        name: String,
    },
    /// An update function (`if_not_exists`, `list_append`) in a condition, filter or key
    /// condition.
    #[error("The function is not allowed in a condition expression; function: {name}")]
    UpdateFunctionInCondition {
        /// The function's name.
        name: String,
    },
    /// A condition function (`attribute_exists`, `size`, ...) in an update expression.
    #[error("The function is not allowed in an update expression; function: {name}")]
    ConditionFunctionInUpdate {
        /// The function's name.
        name: String,
    },
    /// A function used where its result cannot be: a boolean function as an operand, or
    /// `size` as a condition.
    #[error("The function is not allowed to be used this way in an expression; function: {name}")]
    MisusedFunction {
        /// The function's name.
        name: String,
    },
    /// A reserved word used bare as an attribute name.
    #[error("Attribute name is a reserved keyword; reserved keyword: {word}")]
    ReservedWord {
        /// The word as written.
        word: String,
    },
    /// A `#name` placeholder missing from `ExpressionAttributeNames`.
    #[error(
        "An expression attribute name used in the document path is not defined; attribute name: {name}"
    )]
    UndefinedName {
        /// The placeholder, with its `#`.
        name: String,
    },
    /// A `:value` placeholder missing from `ExpressionAttributeValues`.
    #[error(
        "An expression attribute value used in expression is not defined; attribute value: {name}"
    )]
    UndefinedValue {
        /// The placeholder, with its `:`.
        name: String,
    },
    /// A function called with the wrong number of arguments.
    #[error(
        "Incorrect number of operands for operator or function; operator or function: {function}, number of operands: {count}"
    )]
    OperandCount {
        /// The function's name.
        function: String,
        /// How many arguments it was given.
        count: usize,
    },
    /// `IN` with more than 100 candidates.
    #[error("The IN operator is provided with too many operands; number of operands: {count}")]
    TooManyInOperands {
        /// How many candidates it was given.
        count: usize,
    },
    /// More than 300 operators and functions in one expression.
    #[error("The expression contains too many operators; operator count: {count}")]
    TooManyOperators {
        /// How many the expression has.
        count: usize,
    },
    /// A comparison or two-argument function whose two operands are the same document path.
    #[error(
        "The first operand must be distinct from the remaining operands for this operator or function; operator: {operator}, first operand: {path}"
    )]
    NotDistinct {
        /// The operator or function.
        operator: String,
        /// The path, rendered as `[a, b, [1]]`.
        path: String,
    },
    /// An operand whose type the operator or function cannot take.
    #[error(
        "Incorrect operand type for operator or function; operator or function: {function}, operand type: {operand_type}"
    )]
    OperandType {
        /// The operator or function.
        function: String,
        /// The operand's type code (`S`, `N`, `BOOL`, ...), or the set of possible codes.
        operand_type: String,
    },
    /// An `ADD` or `DELETE` value of a type the action cannot take.
    #[error(
        "Incorrect operand type for operator or function; operator: {operator}, operand type: {operand_type}"
    )]
    ActionOperandType {
        /// `ADD` or `DELETE`.
        operator: &'static str,
        /// The value's type name (`STRING`, `NUMBER`, `LIST`, ...).
        operand_type: &'static str,
    },
    /// `attribute_type` with a type name that is not one of DynamoDB's ten.
    #[error(
        "Invalid attribute type name found; type: {name}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
    )]
    UnknownTypeName {
        /// The string given.
        name: String,
    },
    /// A function that needs a document path (`attribute_exists`, `if_not_exists`, ...) was
    /// given something else.
    #[error("Operator or function requires a document path; operator or function: {function}")]
    PathRequired {
        /// The function's name.
        function: String,
    },
    /// `BETWEEN` bounds of different types.
    #[error(
        "The BETWEEN operator requires same data type for lower and upper bounds; lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}"
    )]
    BetweenTypes {
        /// The lower bound, rendered as `{N:1}`.
        low: String,
        /// The upper bound, rendered as `{S:a}`.
        high: String,
    },
    /// `BETWEEN` bounds in the wrong order.
    #[error(
        "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {low}, upper bound operand: AttributeValue: {high}"
    )]
    BetweenOrder {
        /// The lower bound, rendered as `{S:b}`.
        low: String,
        /// The upper bound, rendered as `{S:a}`.
        high: String,
    },
    /// An update clause keyword used twice.
    #[error("The \"{section}\" section can only be used once in an update expression;")]
    DuplicateSection {
        /// `SET`, `REMOVE`, `ADD` or `DELETE`.
        section: &'static str,
    },
    /// Two paths of an update or projection where one is a prefix of the other.
    #[error(
        "Two document paths overlap with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
    )]
    PathsOverlap {
        /// The earlier path, rendered as `[a]`.
        one: String,
        /// The later path, rendered as `[a, b]`.
        two: String,
    },
    /// Two paths that use one element both as a map and as a list.
    #[error(
        "Two document paths conflict with each other; must remove or rewrite one of these paths; path one: {one}, path two: {two}"
    )]
    PathsConflict {
        /// The earlier path.
        one: String,
        /// The later path.
        two: String,
    },
    /// A document path of more than 32 elements: no attribute nests deeper than that.
    #[error("The document path has too many nesting levels; nesting levels: {levels}")]
    PathTooDeep {
        /// The path's number of elements.
        levels: usize,
    },
    /// A list index that does not fit in a signed 32-bit integer.
    #[error("List index is not within the allowable range")]
    IndexOutOfRange,
    /// Two conditions on the same key attribute.
    #[error("KeyConditionExpressions must only contain one condition per key")]
    KeyConditionRepeated,
    /// A key condition on a nested attribute.
    #[error("KeyConditionExpressions cannot have conditions on nested attributes")]
    KeyConditionNested,
    /// A function (`size`) inside a key condition.
    #[error("KeyConditionExpressions cannot contain nested operations")]
    KeyConditionNestedOperation,
}

/// A legacy parameter (`Expected`, `KeyConditions`, `QueryFilter`, `ScanFilter`,
/// `AttributeUpdates`, `AttributesToGet`) is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LegacyError {
    /// `Expected` entry with both `Value` and `AttributeValueList`.
    #[error(
        "One or more parameter values were invalid: Value and AttributeValueList cannot be used together for Attribute: {0}"
    )]
    ValueAndList(String),
    /// `Expected` entry with both `Exists` and `ComparisonOperator`.
    #[error(
        "One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: {0}"
    )]
    ExistsAndOperator(String),
    /// `Expected` entry whose operator needs values but has none.
    #[error(
        "One or more parameter values were invalid: Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {attribute}"
    )]
    OperatorWithoutValue {
        /// The operator.
        operator: &'static str,
        /// The attribute.
        attribute: String,
    },
    /// `AttributeValueList` without a `ComparisonOperator`.
    #[error(
        "One or more parameter values were invalid: AttributeValueList can only be used with a ComparisonOperator for Attribute: {0}"
    )]
    ListWithoutOperator(String),
    /// `Exists` true (or absent) without `Value`.
    #[error(
        "One or more parameter values were invalid: Value must be provided when Exists is {exists} for Attribute: {attribute}"
    )]
    ExistsWithoutValue {
        /// `true` or `null`, as DynamoDB prints it.
        exists: &'static str,
        /// The attribute.
        attribute: String,
    },
    /// `Exists` false with a `Value`.
    #[error(
        "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: {0}"
    )]
    ValueWhenNotExists(String),
    /// Wrong number of values for the operator.
    #[error(
        "One or more parameter values were invalid: Invalid number of argument(s) for the {0} ComparisonOperator"
    )]
    ArgumentCount(&'static str),
    /// Values of mixed types in one `AttributeValueList`.
    #[error(
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList must be of same type"
    )]
    MixedTypes,
    /// A value type the operator cannot compare.
    #[error(
        "One or more parameter values were invalid: ComparisonOperator {operator} is not valid for {value_type} AttributeValue type"
    )]
    OperatorType {
        /// The operator.
        operator: &'static str,
        /// The value's type code.
        value_type: &'static str,
    },
    /// `BETWEEN` whose lower bound is above its upper bound.
    #[error(
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
    )]
    BetweenOrder,
    /// `AttributeUpdates` entry without a value whose action is not `DELETE`.
    #[error(
        "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified"
    )]
    ValueRequired,
    /// `AttributeUpdates` `DELETE` with a value that is not a set.
    #[error(
        "One or more parameter values were invalid: DELETE action with value is not supported for the type {0}"
    )]
    DeleteType(&'static str),
    /// `AttributeUpdates` `ADD` with a value that is neither a number, a set nor a list.
    #[error(
        "One or more parameter values were invalid: ADD action is not supported for the type {0}"
    )]
    AddType(&'static str),
    /// A name repeated in `AttributesToGet`.
    #[error("One or more parameter values were invalid: Duplicate value in attribute name: {0}")]
    DuplicateAttribute(String),
    /// `KeyConditions` with no condition, or more than two.
    #[error("Conditions can be of length 1 or 2 only")]
    KeyConditionCount,
}

/// An update that parsed but cannot be applied to the item it targets. The item is left as it
/// was.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UpdateError {
    /// A path goes through an attribute that is missing or is not a map (for `.name`) or a list
    /// (for `[n]`).
    #[error("The document path provided in the update expression is invalid for update")]
    InvalidPath,
    /// An operand has a type the operation cannot use (`+` on a string, `ADD` of a number to a
    /// set, ...).
    #[error("An operand in the update expression has an incorrect data type")]
    OperandType,
    /// An operand refers to an attribute the item does not have.
    #[error("The provided expression refers to an attribute that does not exist in the item")]
    MissingOperand,
    /// A legacy `ADD` or `DELETE` whose value does not match the attribute's type.
    #[error("Type mismatch for attribute to update")]
    TypeMismatch,
    /// The updated item would nest deeper than DynamoDB's 32 levels.
    #[error(
        "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
    )]
    TooDeep,
    /// Arithmetic produced a number DynamoDB cannot store (out of range, or more than 38
    /// significant digits); the message is DynamoDB's for the case.
    #[error(transparent)]
    Number(#[from] NumberError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_the_parameter_name() {
        let err = ExpressionError::invalid(
            ExpressionKind::Update,
            Problem::Syntax {
                token: "<EOF>".into(),
                near: ",".into(),
            },
        );
        assert_eq!(
            err.to_string(),
            r#"Invalid UpdateExpression: Syntax error; token: "<EOF>", near: ",""#
        );
    }

    #[test]
    fn unused_keys_are_listed_in_braces() {
        let err = ExpressionError::UnusedNames(vec!["#a".into(), "#b".into()]);
        assert_eq!(
            err.to_string(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a, #b}"
        );
    }

    #[test]
    fn values_without_expressions_agrees_in_number() {
        let one = ExpressionError::ValuesWithoutExpressions {
            absent: vec!["ConditionExpression"],
        };
        assert_eq!(
            one.to_string(),
            "ExpressionAttributeValues can only be specified when using expressions: \
             ConditionExpression is null"
        );
        let two = ExpressionError::ValuesWithoutExpressions {
            absent: vec!["FilterExpression", "KeyConditionExpression"],
        };
        assert!(
            two.to_string()
                .ends_with("FilterExpression and KeyConditionExpression are null")
        );
    }

    #[test]
    fn mixed_parameters_lists_both_sides() {
        let err = ExpressionError::MixedParameters {
            legacy: vec!["AttributeUpdates"],
            expression: vec!["UpdateExpression"],
        };
        assert_eq!(
            err.to_string(),
            "Can not use both expression and non-expression parameters in the same request: \
             Non-expression parameters: {AttributeUpdates} Expression parameters: {UpdateExpression}"
        );
    }
}
