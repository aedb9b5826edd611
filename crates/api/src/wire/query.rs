//! Requests and responses of Query and Scan.

use std::collections::BTreeMap;

use ferrodyn_model::Item;
use serde::Serialize;

use super::capacity::ConsumedCapacity;
use super::common::{ConditionalOperator, ReturnConsumedCapacity, Select};
use super::condition::Condition;
use crate::decode::presets;
use crate::decode::shape::wire_struct;

wire_struct! {
    /// The Query request.
    pub struct QueryInput {
        /// The table's name.
        "TableName" table_name: required String = presets::TABLE_NAME,
        /// The index to query instead of the table.
        "IndexName" index_name: optional String = presets::INDEX_NAME,
        /// What to return.
        "Select" select: optional Select,
        /// Legacy projection (instead of `ProjectionExpression`).
        "AttributesToGet" attributes_to_get: optional Vec<String> = presets::ATTRIBUTES_TO_GET,
        /// At most this many items are evaluated (at least 1).
        "Limit" limit: optional i32 = presets::QUERY_LIMIT,
        /// Strongly consistent read.
        "ConsistentRead" consistent_read: optional bool,
        /// Legacy key conditions (instead of `KeyConditionExpression`).
        "KeyConditions" key_conditions: optional BTreeMap<String, Condition>,
        /// Legacy filter (instead of `FilterExpression`).
        "QueryFilter" query_filter: optional BTreeMap<String, Condition>,
        /// How the `QueryFilter` conditions combine (default `AND`).
        "ConditionalOperator" conditional_operator: optional ConditionalOperator,
        /// Ascending sort-key order (default `true`).
        "ScanIndexForward" scan_index_forward: optional bool,
        /// Resume after this key (the previous page's `LastEvaluatedKey`).
        "ExclusiveStartKey" exclusive_start_key: optional Item,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
        /// The attributes to return.
        "ProjectionExpression" projection_expression: optional String,
        /// Which of the items read to return.
        "FilterExpression" filter_expression: optional String,
        /// The partition key value and optional sort-key condition.
        "KeyConditionExpression" key_condition_expression: optional String,
        /// Substitutes for attribute names (`#name`).
        "ExpressionAttributeNames" expression_attribute_names: optional BTreeMap<String, String>,
        /// Substitutes for values (`:value`).
        "ExpressionAttributeValues" expression_attribute_values: optional Item,
    }
}

wire_struct! {
    /// The Scan request.
    pub struct ScanInput {
        /// The table's name.
        "TableName" table_name: required String = presets::TABLE_NAME,
        /// The index to scan instead of the table.
        "IndexName" index_name: optional String = presets::INDEX_NAME,
        /// Legacy projection (instead of `ProjectionExpression`).
        "AttributesToGet" attributes_to_get: optional Vec<String> = presets::ATTRIBUTES_TO_GET,
        /// At most this many items are evaluated (at least 1).
        "Limit" limit: optional i32 = presets::LIMIT,
        /// What to return.
        "Select" select: optional Select,
        /// Legacy filter (instead of `FilterExpression`).
        "ScanFilter" scan_filter: optional BTreeMap<String, Condition>,
        /// How the `ScanFilter` conditions combine (default `AND`).
        "ConditionalOperator" conditional_operator: optional ConditionalOperator,
        /// Resume after this key (the previous page's `LastEvaluatedKey`).
        "ExclusiveStartKey" exclusive_start_key: optional Item,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
        /// The number of parallel scan segments, 1 to 1000000.
        "TotalSegments" total_segments: optional i32 = presets::TOTAL_SEGMENTS,
        /// This request's segment, 0 to `TotalSegments - 1`.
        "Segment" segment: optional i32 = presets::SEGMENT,
        /// The attributes to return.
        "ProjectionExpression" projection_expression: optional String,
        /// Which of the items read to return.
        "FilterExpression" filter_expression: optional String,
        /// Substitutes for attribute names (`#name`).
        "ExpressionAttributeNames" expression_attribute_names: optional BTreeMap<String, String>,
        /// Substitutes for values (`:value`).
        "ExpressionAttributeValues" expression_attribute_values: optional Item,
        /// Strongly consistent read.
        "ConsistentRead" consistent_read: optional bool,
    }
}

/// The Query and Scan responses (alike in the service model).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct QueryOutput {
    /// The matching items; absent for `Select=COUNT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// The number of matching items (after the filter).
    pub count: i32,
    /// The number of items read (before the filter).
    pub scanned_count: i32,
    /// Where to resume, when the page ended before the results did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_key: Option<Item>,
    /// The capacity consumed, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// The Scan response.
pub type ScanOutput = QueryOutput;
