//! DynamoDB Streams: every change of an item, recorded in the same batch as the change, in a
//! durable per-shard log that consumers read at their own position.
//!
//! A table gets a new stream each time streams are enabled (`catalog::StreamRecord`). A stream
//! has one shard per partition of the table, numbered by that partition's write path. Records
//! live beside the table's items (the partition number only in tables of several partitions, so
//! that each partition's records are one range of its replica group):
//!
//! ```text
//! key:   table_id u32 BE | STREAM_INDEX u32 BE | [partition u32 BE] | stream number u32 BE |
//!        sequence number u64 BE
//! value: version u8 = 1 | event u8 (1 INSERT, 2 MODIFY, 3 REMOVE) | flags u8 (bit 0: deleted by
//!        time to live) | created u64 LE (ms since the epoch) | size u32 LE | event id [16] |
//!        keys, new image, old image: each a u32 LE length (u32::MAX = absent) + codec item
//! ```
//!
//! Sequence numbers grow within a shard and start from the creation time: a record made at
//! millisecond `t` has a number of at least `t << 20`, so records older than the retention period
//! are one range deletion ([`trim`]). A write that changes nothing records nothing.
//!
//! A shard iterator is an opaque string naming the table, the stream, the next sequence number to
//! read and when the iterator was issued (iterators expire after 15 minutes), with a checksum.

use std::ops::Bound;

use ferrodyn_api::arn::ResourceArn;
use ferrodyn_api::wire::*;
use ferrodyn_api::{ApiError, ApiResult};
use ferrodyn_model::size::item_size;
use ferrodyn_model::{Item, codec};
use ferrodyn_storage::{Db, Direction, Keyspace, WriteBatch};

use crate::Database;
use crate::catalog::{StreamRecord, Table, TableRecord};
use crate::clock;
use crate::keys::{self, TableId};
use crate::table_ops::internal;
use crate::writer::Group;

/// `index_id` under which a table's stream records are kept.
pub const STREAM_INDEX: u32 = u32::MAX - 2;

/// How long an iterator stays valid.
const ITERATOR_LIFETIME_MS: u64 = 15 * 60 * 1000;

/// GetRecords answers at most this many bytes of records.
const RECORDS_BYTES_MAX: usize = 1024 * 1024;

/// Why an item changed: a request, or the time-to-live sweep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// A user's request.
    Request,
    /// An expired item deleted by time to live.
    TimeToLive,
}

/// The stream a change is recorded in, and what its records carry.
#[derive(Debug, Clone)]
pub struct ActiveStream {
    /// The stream's number within the table.
    pub number: u32,
    /// What each record carries.
    pub view_type: StreamViewType,
}

/// The first sequence number a record made at `millis` may have.
fn sequence_floor(millis: u64) -> u64 {
    millis << 20
}

/// A sequence number below which no new record can appear any more: records are numbered from
/// the time they are staged, and a write is staged and committed within far less than five
/// seconds.
fn settled_floor() -> u64 {
    sequence_floor(clock::now_millis().saturating_sub(5000))
}

/// Where the records of one shard live: stream `stream` of partition `partition` of table
/// `table`, which has `partitions` partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ShardKeys {
    table: TableId,
    partitions: u32,
    partition: u32,
    stream: u32,
}

impl ShardKeys {
    /// The shard of partition `partition` in stream `stream` of table `record`.
    fn of(record: &TableRecord, partition: u32, stream: u32) -> ShardKeys {
        ShardKeys {
            table: record.id,
            partitions: record.partitions.max(1),
            partition,
            stream,
        }
    }

    /// The storage key of record `sequence`.
    fn key(&self, sequence: u64) -> Vec<u8> {
        let mut key = keys::index_prefix(self.table, STREAM_INDEX).to_vec();
        if self.partitions > 1 {
            key.extend_from_slice(&self.partition.to_be_bytes());
        }
        key.extend_from_slice(&self.stream.to_be_bytes());
        key.extend_from_slice(&sequence.to_be_bytes());
        key
    }

    /// The range of all its records.
    fn range(&self) -> (Vec<u8>, Vec<u8>) {
        let start = self.key(0);
        let end = crate::catalog::prefix_end(&start[..start.len() - 8]);
        (start, end)
    }
}

/// The last sequence number recorded in stream `stream` of partition `partition` of table
/// `record` (0 if none).
pub fn last_sequence(
    db: &Db,
    data: Keyspace,
    record: &TableRecord,
    partition: u32,
    stream: u32,
) -> ferrodyn_storage::Result<u64> {
    let (start, end) = ShardKeys::of(record, partition, stream).range();
    let range = (
        Bound::Included(start.as_slice()),
        Bound::Excluded(end.as_slice()),
    );
    match db.iter(data, range, Direction::Reverse)?.next() {
        Some(entry) => {
            let (key, _) = entry?;
            Ok(sequence_of(&key))
        }
        None => Ok(0),
    }
}

/// The table, partition and sequence number of a stream record's storage key; `None` for any
/// other key.
pub fn sequence_in(key: &[u8]) -> Option<(TableId, u32, u64)> {
    if key.get(4..8)? != STREAM_INDEX.to_be_bytes() {
        return None;
    }
    let table = TableId::from_be_bytes(key[..4].try_into().ok()?);
    let partition = match key.len() {
        20 => 0,
        24 => u32::from_be_bytes(key[8..12].try_into().ok()?),
        _ => return None,
    };
    Some((table, partition, sequence_of(key)))
}

fn sequence_of(key: &[u8]) -> u64 {
    let bytes: [u8; 8] = key[key.len() - 8..]
        .try_into()
        .expect("record keys end with a sequence number");
    u64::from_be_bytes(bytes)
}

/// Stages the stream record of the change of an item from `old` to `new`, if it changed.
pub fn record_change(
    group: &mut Group<'_>,
    table: &Table,
    stream: &ActiveStream,
    old: Option<&Item>,
    new: Option<&Item>,
    cause: Cause,
) {
    let event = match (old, new) {
        (None, None) => return,
        (Some(old), Some(new)) if old == new => return,
        (None, Some(_)) => 1,
        (Some(_), Some(_)) => 2,
        (Some(_), None) => 3,
    };
    let any = new.or(old).expect("a change has an item");
    let keys: Item = table
        .schema
        .attributes()
        .filter_map(|a| any.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect();
    let (with_new, with_old) = match stream.view_type {
        StreamViewType::KeysOnly => (false, false),
        StreamViewType::NewImage => (true, false),
        StreamViewType::OldImage => (false, true),
        StreamViewType::NewAndOldImages => (true, true),
    };
    let new = new.filter(|_| with_new);
    let old = old.filter(|_| with_old);
    let size = item_size(&keys) + new.map_or(0, item_size) + old.map_or(0, item_size);
    let now = clock::now_millis();
    // The record goes to the shard of the item's partition.
    let partition = keys
        .get(&table.schema.partition.name)
        .and_then(keys::partition_hash)
        .map_or(0, |hash| table.partition_of_hash(hash));
    let sequence = table
        .queue(partition)
        .next_stream_sequence(sequence_floor(now));
    let mut value = Vec::with_capacity(64 + size * 2);
    value.push(1);
    value.push(event);
    value.push(u8::from(cause == Cause::TimeToLive));
    value.extend_from_slice(&now.to_le_bytes());
    value.extend_from_slice(&(size as u32).to_le_bytes());
    value.extend_from_slice(&clock::random_bytes16());
    for item in [Some(&keys), new, old] {
        match item {
            Some(item) => {
                let at = value.len();
                value.extend_from_slice(&[0; 4]);
                codec::encode_item(item, &mut value);
                let length = (value.len() - at - 4) as u32;
                value[at..at + 4].copy_from_slice(&length.to_le_bytes());
            }
            None => value.extend_from_slice(&u32::MAX.to_le_bytes()),
        }
    }
    let shard = ShardKeys {
        table: table.id,
        partitions: table.partition_count(),
        partition,
        stream: stream.number,
    };
    group.put(shard.key(sequence), value);
}

/// A stored record, decoded for GetRecords.
fn decode_record(
    value: &[u8],
    sequence: u64,
    view: StreamViewType,
    region: &str,
) -> ApiResult<Record> {
    let corrupt = || internal("a stream record is damaged");
    if value.len() < 35 || value[0] != 1 {
        return Err(corrupt());
    }
    let event = match value[1] {
        1 => OperationType::Insert,
        2 => OperationType::Modify,
        3 => OperationType::Remove,
        _ => return Err(corrupt()),
    };
    let by_ttl = value[2] & 1 == 1;
    let created = u64::from_le_bytes(value[3..11].try_into().map_err(|_| corrupt())?);
    let size = u32::from_le_bytes(value[11..15].try_into().map_err(|_| corrupt())?);
    let id: [u8; 16] = value[15..31].try_into().map_err(|_| corrupt())?;
    let mut rest = &value[31..];
    let mut items = Vec::with_capacity(3);
    for _ in 0..3 {
        let length = u32::from_le_bytes(
            rest.get(..4)
                .ok_or_else(corrupt)?
                .try_into()
                .map_err(|_| corrupt())?,
        );
        rest = &rest[4..];
        if length == u32::MAX {
            items.push(None);
            continue;
        }
        let body = rest.get(..length as usize).ok_or_else(corrupt)?;
        items.push(Some(codec::decode_item(body).map_err(internal)?));
        rest = &rest[length as usize..];
    }
    let old = items.pop().flatten();
    let new = items.pop().flatten();
    let keys = items.pop().flatten();
    Ok(Record {
        event_id: Some(id.iter().map(|b| format!("{b:02x}")).collect()),
        event_name: Some(event),
        event_version: Some("1.1".to_owned()),
        event_source: Some("aws:dynamodb".to_owned()),
        aws_region: Some(region.to_owned()),
        dynamodb: Some(ferrodyn_api::wire::StreamRecord {
            // DynamoDB rounds the creation time down to the second.
            approximate_creation_date_time: Some((created / 1000) as f64),
            keys,
            new_image: new,
            old_image: old,
            sequence_number: Some(SequenceNumber(u128::from(sequence))),
            size_bytes: Some(i64::from(size)),
            stream_view_type: Some(view),
        }),
        user_identity: by_ttl.then(Identity::time_to_live),
    })
}

/// Deletes records of every stream of `table` made before `cutoff_ms`.
pub fn trim(
    db: &Db,
    data: Keyspace,
    record: &TableRecord,
    cutoff_ms: u64,
) -> ferrodyn_storage::Result<()> {
    let mut batch = WriteBatch::new();
    for stream in &record.streams {
        for partition in 0..record.partitions.max(1) {
            let shard = ShardKeys::of(record, partition, stream.number);
            batch.delete_range(data, &shard.key(0), &shard.key(sequence_floor(cutoff_ms)));
        }
    }
    if batch.is_empty() {
        return Ok(());
    }
    db.write(batch, ferrodyn_storage::Durability::Buffered)
        .map(|_| ())
}

/// The id of the shard of partition `partition` in stream `stream` of table `record`.
fn shard_id(record: &TableRecord, stream: &StreamRecord, partition: u32) -> String {
    let name = if record.partitions > 1 {
        format!("{}/{}/{partition}", record.uuid, stream.label)
    } else {
        format!("{}/{}", record.uuid, stream.label)
    };
    let hash = ferrodyn_model::key::hash64(name.as_bytes());
    format!(
        "shardId-{:020}-{:08x}",
        (stream.created_at * 1000.0) as u64,
        hash as u32
    )
}

/// The table a shard iterator reads, if the iterator is one of ours.
pub fn iterator_table(text: &str) -> Option<String> {
    Iterator::decode(text).ok().map(|iterator| iterator.table)
}

/// The partition whose shard a shard iterator reads, if the iterator is one of ours.
pub fn iterator_partition(text: &str) -> Option<u32> {
    Iterator::decode(text)
        .ok()
        .map(|iterator| iterator.partition)
}

/// What a shard iterator stands for.
struct Iterator {
    table: String,
    label: String,
    /// The partition whose shard it reads.
    partition: u32,
    /// The next sequence number to read.
    next: u64,
    /// When the iterator was handed out, ms since the epoch.
    issued_ms: u64,
}

impl Iterator {
    fn encode(&self) -> String {
        let body = format!(
            "{}|{}|{}|{}|{}",
            self.table, self.label, self.partition, self.next, self.issued_ms
        );
        let check = crc32c(body.as_bytes());
        let mut text = String::with_capacity(body.len() * 2 + 8);
        for byte in body.bytes() {
            text.push_str(&format!("{byte:02x}"));
        }
        text.push_str(&format!("{check:08x}"));
        text
    }

    fn decode(text: &str) -> ApiResult<Iterator> {
        let invalid = ApiError::invalid_shard_iterator;
        if text.len() < 8 || !text.len().is_multiple_of(2) || !text.is_ascii() {
            return Err(invalid());
        }
        let (hex, check) = text.split_at(text.len() - 8);
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect();
        let body = String::from_utf8(bytes.ok_or_else(invalid)?).map_err(|_| invalid())?;
        if u32::from_str_radix(check, 16).ok() != Some(crc32c(body.as_bytes())) {
            return Err(invalid());
        }
        let mut parts = body.split('|');
        let (Some(table), Some(label), Some(partition), Some(next), Some(issued), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(invalid());
        };
        Ok(Iterator {
            table: table.to_owned(),
            label: label.to_owned(),
            partition: partition.parse().map_err(|_| invalid())?,
            next: next.parse().map_err(|_| invalid())?,
            issued_ms: issued.parse().map_err(|_| invalid())?,
        })
    }
}

/// CRC-32C (Castagnoli), bitwise: iterators are short.
fn crc32c(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

impl Database {
    /// The table and stream a stream ARN names.
    fn stream_of(
        &self,
        arn: &str,
    ) -> ApiResult<(std::sync::Arc<Table>, TableRecord, StreamRecord)> {
        let parsed = ResourceArn::parse_stream(arn)?;
        let not_found = || ApiError::stream_not_found(arn);
        if parsed.region != self.location.region || parsed.account != self.location.account {
            return Err(not_found());
        }
        let table = self.catalog.get(&parsed.table).ok_or_else(not_found)?;
        let record = table.record.read().clone();
        let label = parsed.stream_label().ok_or_else(not_found)?;
        let stream = record
            .streams
            .iter()
            .find(|s| s.label == label)
            .cloned()
            .ok_or_else(not_found)?;
        Ok((table, record, stream))
    }

    /// The partition whose shard of the stream `arn` is `shard` (where GetShardIterator runs).
    pub(crate) fn shard_partition(&self, arn: &str, shard: &str) -> Option<u32> {
        let (_, record, stream) = self.stream_of(arn).ok()?;
        (0..record.partitions.max(1)).find(|p| shard == shard_id(&record, &stream, *p))
    }

    /// The first and last sequence numbers kept in a shard (`None` if it has no records).
    fn sequence_bounds(&self, shard: ShardKeys) -> ApiResult<Option<(u64, u64)>> {
        let (start, end) = shard.range();
        let range = (
            Bound::Included(start.as_slice()),
            Bound::Excluded(end.as_slice()),
        );
        let first = self
            .db
            .iter(self.data, range, Direction::Forward)
            .map_err(internal)?
            .next();
        let last = self
            .db
            .iter(self.data, range, Direction::Reverse)
            .map_err(internal)?
            .next();
        match (first, last) {
            (Some(first), Some(last)) => {
                let (first, _) = first.map_err(internal)?;
                let (last, _) = last.map_err(internal)?;
                Ok(Some((sequence_of(&first), sequence_of(&last))))
            }
            _ => Ok(None),
        }
    }

    /// The oldest sequence number a stream may still hold: records older than the retention
    /// period are trimmed.
    fn trim_horizon(&self) -> u64 {
        sequence_floor(clock::now_millis().saturating_sub(self.stream_retention_ms))
    }

    /// ListStreams.
    pub fn list_streams(&self, input: ListStreamsInput) -> ApiResult<ListStreamsOutput> {
        let tables = match &input.table_name {
            Some(name) => vec![self.table_named(name)?],
            None => self.catalog.all(),
        };
        let mut streams = Vec::new();
        for table in tables {
            let record = table.record.read();
            for stream in record.streams.iter().rev() {
                let arn = self
                    .location
                    .table_arn(&record.name)
                    .stream(&stream.label)
                    .to_string();
                streams.push(Stream {
                    stream_arn: Some(arn),
                    table_name: Some(record.name.clone()),
                    stream_label: Some(stream.label.clone()),
                });
            }
        }
        // Streams come by table name, then newest first. A start that is no longer listed (a
        // stream trimmed or dropped between two pages) still marks a place in that order, as
        // ListTables' start does: the page carries on after it rather than from the beginning.
        if let Some(start) = &input.exclusive_start_stream_arn {
            match streams
                .iter()
                .position(|s| s.stream_arn.as_deref() == Some(start))
            {
                Some(at) => {
                    streams.drain(..=at);
                }
                None => {
                    if let Ok(arn) = ResourceArn::parse_stream(start) {
                        let label = arn.stream_label().unwrap_or_default();
                        streams.retain(|s| {
                            let table = s.table_name.as_deref().unwrap_or_default();
                            let own = s.stream_label.as_deref().unwrap_or_default();
                            table > arn.table.as_str() || (table == arn.table && own < label)
                        });
                    }
                }
            }
        }
        let limit = input.limit.map_or(100, |l| l.clamp(1, 100) as usize);
        let more = streams.len() > limit;
        streams.truncate(limit);
        let last = more
            .then(|| streams.last().and_then(|s| s.stream_arn.clone()))
            .flatten();
        Ok(ListStreamsOutput {
            streams,
            last_evaluated_stream_arn: last,
        })
    }

    /// DescribeStream: a shard per partition of the table, in shard id order.
    pub fn describe_stream(&self, input: DescribeStreamInput) -> ApiResult<DescribeStreamOutput> {
        let (_, record, stream) = self.stream_of(&input.stream_arn)?;
        let created_ms = (stream.created_at * 1000.0) as u64;
        let mut shards = Vec::new();
        for partition in 0..record.partitions.max(1) {
            let bounds = self.sequence_bounds(ShardKeys::of(&record, partition, stream.number))?;
            let starting = bounds.map_or(sequence_floor(created_ms), |(first, _)| first);
            let ending = stream
                .disabled_at
                .map(|at| bounds.map_or(sequence_floor((at * 1000.0) as u64), |(_, last)| last));
            shards.push(Shard {
                shard_id: Some(shard_id(&record, &stream, partition)),
                sequence_number_range: Some(SequenceNumberRange {
                    starting_sequence_number: Some(
                        SequenceNumber(u128::from(starting)).to_string(),
                    ),
                    ending_sequence_number: ending
                        .map(|e| SequenceNumber(u128::from(e)).to_string()),
                }),
                parent_shard_id: None,
            });
        }
        shards.sort_by(|a, b| a.shard_id.cmp(&b.shard_id));
        if let Some(start) = &input.exclusive_start_shard_id {
            shards.retain(|shard| {
                shard
                    .shard_id
                    .as_deref()
                    .is_some_and(|id| id > start.as_str())
            });
        }
        let limit = input.limit.map_or(100, |l| l.clamp(1, 100) as usize);
        let last_evaluated = (shards.len() > limit)
            .then(|| shards[limit - 1].shard_id.clone())
            .flatten();
        shards.truncate(limit);
        let schema = crate::describe::key_schema(&record.hash_key, record.range_key.as_deref());
        Ok(DescribeStreamOutput {
            stream_description: Some(StreamDescription {
                stream_arn: Some(input.stream_arn.clone()),
                stream_label: Some(stream.label.clone()),
                stream_status: Some(if stream.enabled() {
                    StreamStatus::Enabled
                } else {
                    StreamStatus::Disabled
                }),
                stream_view_type: StreamViewType::parse(&stream.view_type),
                creation_request_date_time: Some(stream.created_at),
                table_name: Some(record.name.clone()),
                key_schema: Some(schema),
                shards: Some(shards),
                last_evaluated_shard_id: last_evaluated,
            }),
        })
    }

    /// GetShardIterator.
    pub fn get_shard_iterator(
        &self,
        input: GetShardIteratorInput,
    ) -> ApiResult<GetShardIteratorOutput> {
        let (table, record, stream) = self.stream_of(&input.stream_arn)?;
        let partition = (0..record.partitions.max(1))
            .find(|p| input.shard_id == shard_id(&record, &stream, *p))
            .ok_or_else(ApiError::shard_not_found)?;
        let bounds = self.sequence_bounds(ShardKeys::of(&record, partition, stream.number))?;
        let last = match (stream.enabled(), bounds) {
            // An open shard's next record comes after everything recorded so far.
            (true, _) => table.queue(partition).stream_sequence(),
            (false, Some((_, last))) => last,
            (false, None) => 0,
        };
        let position = input.position().ok_or_else(|| {
            ApiError::sequence_number_beyond_shard(
                input.sequence_number.as_deref().unwrap_or(""),
                &input.shard_id,
            )
        })?;
        let next = match position {
            // 0 stands for "the oldest record kept", whenever that is read.
            ShardPosition::TrimHorizon => 0,
            ShardPosition::Latest => (last + 1).max(settled_floor()),
            // Records are numbered from the millisecond they are made in: the first record made
            // at or after `millis` is the first numbered from `sequence_floor(millis)` on. A time
            // before the trim horizon reads from the oldest record kept.
            ShardPosition::AtTime(millis) => {
                if millis > clock::now_millis() {
                    return Err(ApiError::timestamp_in_future(
                        input.timestamp.unwrap_or_default(),
                    ));
                }
                let at = sequence_floor(millis);
                if at < self.trim_horizon() { 0 } else { at }
            }
            ShardPosition::At(number) | ShardPosition::After(number) => {
                let number = u64::try_from(number.0)
                    .ok()
                    .filter(|n| *n <= last)
                    .ok_or_else(|| {
                        ApiError::sequence_number_beyond_shard(&number.to_string(), &input.shard_id)
                    })?;
                if number < self.trim_horizon() {
                    return Err(ApiError::trimmed_data_access());
                }
                // Every record of the shard is numbered from the stream's creation on: a smaller
                // number is another stream's (an earlier stream of the table, say), not a
                // position in this shard.
                let created = sequence_floor((stream.created_at * 1000.0) as u64);
                let first = bounds.map_or(created, |(first, _)| first.min(created));
                if number < first {
                    return Err(ApiError::sequence_number_before_shard(
                        &number.to_string(),
                        &input.shard_id,
                    ));
                }
                if matches!(position, ShardPosition::After(_)) {
                    number + 1
                } else {
                    number
                }
            }
        };
        let iterator = Iterator {
            table: record.name,
            label: stream.label,
            partition,
            next,
            issued_ms: clock::now_millis(),
        };
        Ok(GetShardIteratorOutput {
            shard_iterator: Some(iterator.encode()),
        })
    }

    /// GetRecords.
    pub fn get_records(&self, input: GetRecordsInput) -> ApiResult<GetRecordsOutput> {
        let iterator = Iterator::decode(&input.shard_iterator)?;
        if clock::now_millis().saturating_sub(iterator.issued_ms) > ITERATOR_LIFETIME_MS {
            return Err(ApiError::expired_iterator());
        }
        let table = self
            .catalog
            .get(&iterator.table)
            .ok_or_else(ApiError::iterator_shard_not_found)?;
        let record = table.record.read().clone();
        let stream = record
            .streams
            .iter()
            .find(|s| s.label == iterator.label)
            .cloned()
            .ok_or_else(ApiError::iterator_shard_not_found)?;
        let view =
            StreamViewType::parse(&stream.view_type).unwrap_or(StreamViewType::NewAndOldImages);
        if iterator.next != 0 && iterator.next < self.trim_horizon() {
            return Err(ApiError::trimmed_data_access());
        }
        let limit = input.limit.map_or(1000, |l| l.clamp(1, 1000) as usize);
        if iterator.partition >= record.partitions.max(1) {
            return Err(ApiError::iterator_shard_not_found());
        }
        let shard = ShardKeys::of(&record, iterator.partition, stream.number);
        let start = shard.key(iterator.next);
        let (_, end) = shard.range();
        let range = (
            Bound::Included(start.as_slice()),
            Bound::Excluded(end.as_slice()),
        );
        let mut records = Vec::new();
        let mut bytes = 0;
        let mut next = iterator.next;
        for entry in self
            .db
            .iter(self.data, range, Direction::Forward)
            .map_err(internal)?
        {
            let (key, value) = entry.map_err(internal)?;
            let sequence = sequence_of(&key);
            bytes += value.len();
            records.push(decode_record(
                &value,
                sequence,
                view,
                &self.location.region,
            )?);
            next = sequence + 1;
            if records.len() >= limit || bytes >= RECORDS_BYTES_MAX {
                break;
            }
        }
        // An iterator that found nothing moves up with the clock (no record can appear below
        // `settled_floor` any more), so that a position held on an idle shard never falls behind
        // the trim horizon.
        if records.is_empty() && next != 0 {
            next = next.max(settled_floor());
        }
        // A closed shard read to its end has no next iterator.
        let exhausted = !stream.enabled() && records.is_empty();
        let next_iterator = (!exhausted).then(|| {
            Iterator {
                table: iterator.table.clone(),
                label: iterator.label.clone(),
                partition: iterator.partition,
                next,
                issued_ms: clock::now_millis(),
            }
            .encode()
        });
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator: next_iterator,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_reject_tampering() {
        let iterator = Iterator {
            table: "t1".into(),
            label: "2026-11-22T06:00:00.000".into(),
            partition: 3,
            next: 42,
            issued_ms: 7,
        };
        let text = iterator.encode();
        let decoded = Iterator::decode(&text).unwrap();
        assert_eq!(
            (
                decoded.table.as_str(),
                decoded.partition,
                decoded.next,
                decoded.issued_ms
            ),
            ("t1", 3, 42, 7)
        );
        let mut forged = text.into_bytes();
        forged[0] = if forged[0] == b'0' { b'1' } else { b'0' };
        assert!(Iterator::decode(&String::from_utf8(forged).unwrap()).is_err());
        assert!(Iterator::decode("nonsense").is_err());
    }

    #[test]
    fn crc32c_matches_the_standard_check_value() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }
}
