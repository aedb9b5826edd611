//! Requests and responses of BatchGetItem and BatchWriteItem.

use std::collections::BTreeMap;

use ferrodyn_model::Item;
use serde::Serialize;

use super::capacity::{ConsumedCapacity, ItemCollectionMetrics};
use super::common::{ReturnConsumedCapacity, ReturnItemCollectionMetrics};
use crate::decode::presets;
use crate::decode::shape::wire_struct;

wire_struct! {
    /// The keys to read from one table, and how.
    pub struct KeysAndAttributes {
        /// 1 to 100 keys.
        "Keys" keys: required Vec<Item> = presets::BATCH_GET_KEYS,
        /// Legacy projection (instead of `ProjectionExpression`).
        "AttributesToGet" attributes_to_get: optional Vec<String> = presets::ATTRIBUTES_TO_GET,
        /// Strongly consistent reads.
        "ConsistentRead" consistent_read: optional bool,
        /// The attributes to return.
        "ProjectionExpression" projection_expression: optional String,
        /// Substitutes for attribute names (`#name`).
        "ExpressionAttributeNames" expression_attribute_names: optional BTreeMap<String, String>,
    }
}

wire_struct! {
    /// The BatchGetItem request.
    pub struct BatchGetItemInput {
        /// Per table name, the keys to read: at most 100 keys in all.
        "RequestItems" request_items: required BTreeMap<String, KeysAndAttributes> = presets::BATCH_GET_ITEMS,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
    }
}

wire_struct! {
    /// A put of BatchWriteItem.
    pub struct PutRequest {
        /// The item, including its key attributes.
        "Item" item: required Item,
    }
}

wire_struct! {
    /// A delete of BatchWriteItem.
    pub struct DeleteRequest {
        /// The item's key.
        "Key" key: required Item,
    }
}

wire_struct! {
    /// One write of BatchWriteItem: exactly one member is set.
    pub struct WriteRequest {
        /// Put an item.
        "PutRequest" put_request: optional PutRequest,
        /// Delete an item.
        "DeleteRequest" delete_request: optional DeleteRequest,
    }
}

wire_struct! {
    /// The BatchWriteItem request.
    pub struct BatchWriteItemInput {
        /// Per table name, 1 to 25 writes: at most 25 in all.
        "RequestItems" request_items: required BTreeMap<String, Vec<WriteRequest>> = presets::BATCH_WRITE_ITEMS,
        /// Whether to report consumed capacity.
        "ReturnConsumedCapacity" return_consumed_capacity: optional ReturnConsumedCapacity,
        /// Whether to report item collection sizes.
        "ReturnItemCollectionMetrics" return_item_collection_metrics: optional ReturnItemCollectionMetrics,
    }
}

/// The BatchGetItem response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetItemOutput {
    /// Per table, the items found (always present).
    pub responses: BTreeMap<String, Vec<Item>>,
    /// Per table, the keys not read in this call (always present, possibly empty).
    pub unprocessed_keys: BTreeMap<String, KeysAndAttributes>,
    /// Per table, the capacity consumed, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}

/// The BatchWriteItem response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchWriteItemOutput {
    /// Per table, the writes not done in this call (always present, possibly empty).
    pub unprocessed_items: BTreeMap<String, Vec<WriteRequest>>,
    /// Per table, the sizes of the item collections written, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item_collection_metrics: Option<BTreeMap<String, Vec<ItemCollectionMetrics>>>,
    /// Per table, the capacity consumed, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumed_capacity: Option<Vec<ConsumedCapacity>>,
}
