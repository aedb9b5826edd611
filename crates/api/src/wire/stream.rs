//! Requests and responses of the DynamoDB Streams API (`DynamoDBStreams_20120810`):
//! ListStreams, DescribeStream, GetShardIterator and GetRecords.
//!
//! A table with a stream enabled has one stream, named by an ARN ending in
//! `/stream/<label>` (the label is the stream's creation time, [`crate::arn::stream_label`]).
//! A stream is made of shards; each shard is an ordered log of [`super::Record`]s numbered
//! by [`super::SequenceNumber`]s. A consumer asks GetShardIterator for a position in a shard
//! and reads from it with GetRecords, which hands back the next position.

use serde::Serialize;

use super::common::{KeySchemaElement, StreamViewType};
use super::stream_record::{Record, SequenceNumber};
use crate::decode::presets;
use crate::decode::shape::{wire_enum, wire_struct};

wire_struct! {
    /// The ListStreams request.
    pub struct ListStreamsInput {
        /// Only this table's streams.
        "TableName" table_name: optional String = presets::TABLE_NAME_ONLY,
        /// At most this many streams, 1 to 100 (default 100).
        "Limit" limit: optional i32 = presets::STREAMS_LIMIT,
        /// Start after this stream (the previous page's `LastEvaluatedStreamArn`).
        "ExclusiveStartStreamArn" exclusive_start_stream_arn: optional String = presets::STREAM_ARN,
    }
}

wire_enum! {
    /// Which shards DescribeStream lists.
    pub enum ShardFilterType ["[CHILD_SHARDS]"] {
        /// The children of `ShardFilter.ShardId`.
        ChildShards = "CHILD_SHARDS",
    }
}

wire_struct! {
    /// Restricts DescribeStream to some shards.
    pub struct ShardFilter {
        /// The kind of filter.
        "Type" filter_type: optional ShardFilterType,
        /// The parent shard whose children to list.
        "ShardId" shard_id: optional String = presets::SHARD_ID,
    }
}

wire_struct! {
    /// The DescribeStream request.
    pub struct DescribeStreamInput {
        /// The stream.
        "StreamArn" stream_arn: required String = presets::STREAM_ARN,
        /// At most this many shards, 1 to 100 (default 100).
        "Limit" limit: optional i32 = presets::STREAMS_LIMIT,
        /// Start after this shard (the previous page's `LastEvaluatedShardId`).
        "ExclusiveStartShardId" exclusive_start_shard_id: optional String = presets::SHARD_ID,
        /// Only the shards this filter selects.
        "ShardFilter" shard_filter: optional ShardFilter,
    }
}

wire_enum! {
    /// Where in a shard an iterator starts.
    pub enum ShardIteratorType ["[TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER, AFTER_SEQUENCE_NUMBER, AT_TIMESTAMP]"] {
        /// At the oldest record still kept.
        TrimHorizon = "TRIM_HORIZON",
        /// Just after the newest record: only records written from now on.
        Latest = "LATEST",
        /// At the record with `SequenceNumber`.
        AtSequenceNumber = "AT_SEQUENCE_NUMBER",
        /// Just after the record with `SequenceNumber`.
        AfterSequenceNumber = "AFTER_SEQUENCE_NUMBER",
        /// At the first record made at or after `Timestamp`.
        AtTimestamp = "AT_TIMESTAMP",
    }
}

wire_struct! {
    /// The GetShardIterator request.
    pub struct GetShardIteratorInput {
        /// The stream.
        "StreamArn" stream_arn: required String = presets::STREAM_ARN,
        /// The shard.
        "ShardId" shard_id: required String = presets::SHARD_ID,
        /// Where to start.
        "ShardIteratorType" shard_iterator_type: required ShardIteratorType,
        /// The record to start at or after: required by `AT_SEQUENCE_NUMBER` and
        /// `AFTER_SEQUENCE_NUMBER`, refused with the other types. 21 to 40 digits.
        "SequenceNumber" sequence_number: optional String = presets::SEQUENCE_NUMBER,
        /// When to start reading (seconds since the epoch, with milliseconds): required by
        /// `AT_TIMESTAMP`, ignored by the other types.
        "Timestamp" timestamp: optional f64,
    }
}

/// Where a new shard iterator points, as a validated GetShardIterator asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardPosition {
    /// The first record made at or after this time (milliseconds since the epoch; a time
    /// before the epoch is 0).
    AtTime(u64),
    /// The oldest record still kept.
    TrimHorizon,
    /// Just after the newest record.
    Latest,
    /// The record with this number (or the first after it, if it was a number never used).
    At(SequenceNumber),
    /// The first record after this number.
    After(SequenceNumber),
}

impl GetShardIteratorInput {
    /// The position this request asks for.
    ///
    /// Only meaningful on a request [`crate::decode_request`] accepted, which guarantees a
    /// sequence number of digits exactly when the type needs one, and a timestamp with
    /// `AT_TIMESTAMP`. A number too large for
    /// [`SequenceNumber`] (above 2^128 - 1, which no shard reaches) is `None`: no such record.
    pub fn position(&self) -> Option<ShardPosition> {
        let number = || {
            let text = self
                .sequence_number
                .as_deref()
                .expect("decode_request requires a SequenceNumber for this iterator type");
            text.parse::<SequenceNumber>().ok()
        };
        Some(match self.shard_iterator_type {
            ShardIteratorType::TrimHorizon => ShardPosition::TrimHorizon,
            ShardIteratorType::Latest => ShardPosition::Latest,
            ShardIteratorType::AtSequenceNumber => ShardPosition::At(number()?),
            ShardIteratorType::AfterSequenceNumber => ShardPosition::After(number()?),
            ShardIteratorType::AtTimestamp => {
                let seconds = self
                    .timestamp
                    .expect("decode_request requires a Timestamp for AT_TIMESTAMP");
                // Saturating: a time before the epoch is 0, one past u64 is u64::MAX.
                ShardPosition::AtTime((seconds * 1000.0).round().max(0.0) as u64)
            }
        })
    }
}

wire_struct! {
    /// The GetRecords request.
    pub struct GetRecordsInput {
        /// Where to read: a `ShardIterator` or a previous `NextShardIterator`.
        "ShardIterator" shard_iterator: required String = presets::SHARD_ITERATOR,
        /// At most this many records, 1 to 1000 (default 1000). More than 1000 is a
        /// LimitExceededException, as DynamoDB documents.
        "Limit" limit: optional i32 = presets::POSITIVE_INTEGER,
    }
}

/// Records GetRecords returns at most, whatever `Limit` says.
pub const GET_RECORDS_LIMIT_MAX: i32 = 1000;

/// Streams or shards ListStreams and DescribeStream return at most, whatever `Limit` says.
pub const STREAMS_PAGE_MAX: i32 = 100;

/// One stream, as ListStreams lists it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Stream {
    /// The stream's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// Its table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// Its label (creation time, ISO 8601).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_label: Option<String>,
}

/// The ListStreams response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListStreamsOutput {
    /// The streams (always present, possibly empty).
    pub streams: Vec<Stream>,
    /// The last stream of this page when there may be more; pass it as
    /// `ExclusiveStartStreamArn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_stream_arn: Option<String>,
}

wire_enum! {
    /// The state of a stream.
    pub enum StreamStatus ["[ENABLING, ENABLED, DISABLING, DISABLED]"] {
        /// Being turned on.
        Enabling = "ENABLING",
        /// Receiving records.
        Enabled = "ENABLED",
        /// Being turned off.
        Disabling = "DISABLING",
        /// Off: readable until its records expire, receiving nothing new.
        Disabled = "DISABLED",
    }
}

/// The sequence numbers a shard holds.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SequenceNumberRange {
    /// The first number of the shard.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starting_sequence_number: Option<String>,
    /// The last number of a closed shard; absent while the shard is open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ending_sequence_number: Option<String>,
}

/// One shard of a stream.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Shard {
    /// The shard's id, 28 to 65 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_id: Option<String>,
    /// Its numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number_range: Option<SequenceNumberRange>,
    /// The shard it continues, if any: read the parent first to keep each item's order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_shard_id: Option<String>,
}

/// Everything DescribeStream says about a stream.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamDescription {
    /// The stream's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_arn: Option<String>,
    /// Its label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_label: Option<String>,
    /// Its state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_status: Option<StreamStatus>,
    /// What its records hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_view_type: Option<StreamViewType>,
    /// When it was requested (epoch seconds with a fraction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_request_date_time: Option<f64>,
    /// Its table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
    /// The table's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_schema: Option<Vec<KeySchemaElement>>,
    /// This page of its shards.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<Vec<Shard>>,
    /// The last shard of this page when there may be more; pass it as
    /// `ExclusiveStartShardId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_evaluated_shard_id: Option<String>,
}

/// The DescribeStream response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeStreamOutput {
    /// The stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream_description: Option<StreamDescription>,
}

/// The GetShardIterator response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetShardIteratorOutput {
    /// The iterator (opaque, 1 to 2048 characters, valid for 15 minutes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard_iterator: Option<String>,
}

/// The GetRecords response.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRecordsOutput {
    /// The records read (always present, possibly empty).
    pub records: Vec<Record>,
    /// Where to read next; absent once a closed shard has been read to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_shard_iterator: Option<String>,
}
