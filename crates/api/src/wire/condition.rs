//! The legacy condition and update parameters: `Expected`, `KeyConditions`, `QueryFilter`,
//! `ScanFilter` and `AttributeUpdates`.

use ferrodyn_model::AttributeValue;

use super::common::{AttributeAction, ComparisonOperator};
use crate::decode::shape::wire_struct;

wire_struct! {
    /// One condition of `Expected`: either `Exists`/`Value`, or `ComparisonOperator` with
    /// `AttributeValueList` (or `Value`).
    pub struct ExpectedAttributeValue {
        /// The value the attribute must equal (with `Exists` true or absent), or the single
        /// comparison operand.
        "Value" value: optional AttributeValue,
        /// Whether the attribute must exist (`true`, with `Value`) or must not (`false`).
        "Exists" exists: optional bool,
        /// The comparison.
        "ComparisonOperator" comparison_operator: optional ComparisonOperator,
        /// The comparison's operands.
        "AttributeValueList" attribute_value_list: optional Vec<AttributeValue>,
    }
}

wire_struct! {
    /// One condition of `KeyConditions`, `QueryFilter` or `ScanFilter`.
    pub struct Condition {
        /// The comparison's operands.
        "AttributeValueList" attribute_value_list: optional Vec<AttributeValue>,
        /// The comparison.
        "ComparisonOperator" comparison_operator: required ComparisonOperator,
    }
}

wire_struct! {
    /// One change of `AttributeUpdates`.
    pub struct AttributeValueUpdate {
        /// The operand (absent only for `DELETE` of the whole attribute).
        "Value" value: optional AttributeValue,
        /// `PUT` (the default), `ADD` or `DELETE`.
        "Action" action: optional AttributeAction,
    }
}
