//! Requests and responses of the single-item operations: PutItem, GetItem, UpdateItem and
//! DeleteItem.

use std::collections::BTreeMap;

use ferrodyn_model::Item;
use serde::Serialize;

use super::capacity::{ConsumedCapacity, ItemCollectionMetrics};
use super::common::{
    ConditionalOperator, ReturnConsumedCapacity, ReturnItemCollectionMetrics, ReturnValue,
    ReturnValuesOnConditionCheckFailure,
};
use super::condition::{AttributeValueUpdate, ExpectedAttributeValue};
use crate::decode::presets;
use crate::decode::shape::wire_struct;

wire_struct! {
    /// The PutItem request.
    pub struct PutItemInput {
        /// The table's name.
        "TableName" table_name: required String = presets::TABLE_NAME,
        /// The item, including its key attributes.
        "Item" item: required Item,
        /// Legacy conditions (instead of `ConditionExpression`).
        "Expected" expected: optional BTreeMap<String, ExpectedAttributeValue>,
        /// `NONE` or `ALL_OLD`.
        "ReturnValues" return_values: optional ReturnValue,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
        /// Whether to report item collection sizes.
        "ReturnItemCollectionMetrics" return_item_collection_metrics: optional ReturnItemCollectionMetrics,
        /// How the `Expected` conditions combine (default `AND`).
        "ConditionalOperator" conditional_operator: optional ConditionalOperator,
        /// The condition the existing item must meet.
        "ConditionExpression" condition_expression: optional String,
        /// Substitutes for attribute names (`#name`).
        "ExpressionAttributeNames" expression_attribute_names: optional BTreeMap<String, String>,
        /// Substitutes for values (`:value`).
        "ExpressionAttributeValues" expression_attribute_values: optional Item,
        /// Whether a failed condition returns the item.
        "ReturnValuesOnConditionCheckFailure" return_values_on_condition_check_failure: optional ReturnValuesOnConditionCheckFailure,
    }
}

wire_struct! {
    /// The GetItem request.
    pub struct GetItemInput {
        /// The table's name.
        "TableName" table_name: required String = presets::TABLE_NAME,
        /// The item's key.
        "Key" key: required Item,
        /// Legacy projection (instead of `ProjectionExpression`).
        "AttributesToGet" attributes_to_get: optional Vec<String> = presets::ATTRIBUTES_TO_GET,
        /// Strongly consistent read.
        "ConsistentRead" consistent_read: optional bool,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
        /// The attributes to return.
        "ProjectionExpression" projection_expression: optional String,
        /// Substitutes for attribute names (`#name`).
        "ExpressionAttributeNames" expression_attribute_names: optional BTreeMap<String, String>,
    }
}

wire_struct! {
    /// The UpdateItem request.
    pub struct UpdateItemInput {
        /// The table's name.
        "TableName" table_name: required String = presets::TABLE_NAME,
        /// The item's key.
        "Key" key: required Item,
        /// Legacy updates (instead of `UpdateExpression`).
        "AttributeUpdates" attribute_updates: optional BTreeMap<String, AttributeValueUpdate>,
        /// Legacy conditions (instead of `ConditionExpression`).
        "Expected" expected: optional BTreeMap<String, ExpectedAttributeValue>,
        /// How the `Expected` conditions combine (default `AND`).
        "ConditionalOperator" conditional_operator: optional ConditionalOperator,
        /// Which attributes to return.
        "ReturnValues" return_values: optional ReturnValue,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
        /// Whether to report item collection sizes.
        "ReturnItemCollectionMetrics" return_item_collection_metrics: optional ReturnItemCollectionMetrics,
        /// The changes (`SET`, `REMOVE`, `ADD`, `DELETE`).
        "UpdateExpression" update_expression: optional String,
        /// The condition the existing item must meet.
        "ConditionExpression" condition_expression: optional String,
        /// Substitutes for attribute names (`#name`).
        "ExpressionAttributeNames" expression_attribute_names: optional BTreeMap<String, String>,
        /// Substitutes for values (`:value`).
        "ExpressionAttributeValues" expression_attribute_values: optional Item,
        /// Whether a failed condition returns the item.
        "ReturnValuesOnConditionCheckFailure" return_values_on_condition_check_failure: optional ReturnValuesOnConditionCheckFailure,
    }
}

wire_struct! {
    /// The DeleteItem request.
    pub struct DeleteItemInput {
        /// The table's name.
        "TableName" table_name: required String = presets::TABLE_NAME,
        /// The item's key.
        "Key" key: required Item,
        /// Legacy conditions (instead of `ConditionExpression`).
        "Expected" expected: optional BTreeMap<String, ExpectedAttributeValue>,
        /// How the `Expected` conditions combine (default `AND`).
        "ConditionalOperator" conditional_operator: optional ConditionalOperator,
        /// `NONE` or `ALL_OLD`.
        "ReturnValues" return_values: optional ReturnValue,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
        /// Whether to report item collection sizes.
        "ReturnItemCollectionMetrics" return_item_collection_metrics: optional ReturnItemCollectionMetrics,
        /// The condition the existing item must meet.
        "ConditionExpression" condition_expression: optional String,
        /// Substitutes for attribute names (`#name`).
        "ExpressionAttributeNames" expression_attribute_names: optional BTreeMap<String, String>,
        /// Substitutes for values (`:value`).
        "ExpressionAttributeValues" expression_attribute_values: optional Item,
        /// Whether a failed condition returns the item.
        "ReturnValuesOnConditionCheckFailure" return_values_on_condition_check_failure: optional ReturnValuesOnConditionCheckFailure,
    }
}

/// The PutItem, UpdateItem and DeleteItem responses (one shape in the service model each, all
/// alike).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct WriteItemOutput {
    /// The attributes `ReturnValues` asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Item>,
    /// The capacity consumed, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
    /// The item collection's size, when asked for and the table has local indexes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<ItemCollectionMetrics>,
}

/// The PutItem response.
pub type PutItemOutput = WriteItemOutput;
/// The UpdateItem response.
pub type UpdateItemOutput = WriteItemOutput;
/// The DeleteItem response.
pub type DeleteItemOutput = WriteItemOutput;

/// The GetItem response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetItemOutput {
    /// The item (projected), absent when there is none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<Item>,
    /// The capacity consumed, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}
