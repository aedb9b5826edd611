//! Where items live in the storage engine: the layout of keys in the `data` keyspace.
//!
//! ```text
//! table_id: u32 BE | index_id: u32 BE | hash64(partition key): u64 BE | partition key | sort key
//! ```
//!
//! - `table_id` first: a table is one contiguous range, removed by one `delete_range`.
//! - `index_id` 0 is the table itself; secondary indexes get their own ids (and ranges).
//! - The partition key's hash next: a partition of the table is a contiguous range of the 64-bit
//!   hash space, so it can later be split and moved as a range, and Scan returns items in hash
//!   order as DynamoDB does; a Scan segment is a slice of the hash space.
//! - Then the order-preserving encodings of the key values (`ferrodyn_model::key`): all items of
//!   one partition key are contiguous and sorted by sort key, which is what Query reads.

use ferrodyn_model::key::{KeyValue, PrimaryKey, hash64};

/// Identifies a table for the life of the database; never reused.
pub type TableId = u32;

/// `index_id` of a table's own items.
pub const BASE_INDEX: u32 = 0;

/// `index_id` under which the sizes of a table's item collections are kept (tables with local
/// secondary indexes); no index is ever given it.
pub const COLLECTIONS_INDEX: u32 = u32::MAX;

/// Bytes before the partition key's encoding: table id, index id, hash.
pub const PREFIX_BYTES: usize = 16;

/// The first key of `table_id`'s range (inclusive).
pub fn table_start(table_id: TableId) -> [u8; 4] {
    table_id.to_be_bytes()
}

/// The first key after `table_id`'s range (exclusive end).
pub fn table_end(table_id: TableId) -> [u8; 4] {
    (table_id + 1).to_be_bytes()
}

/// The start of an index's range within a table: `table_id | index_id`.
pub fn index_prefix(table_id: TableId, index_id: u32) -> [u8; 8] {
    let mut prefix = [0u8; 8];
    prefix[..4].copy_from_slice(&table_id.to_be_bytes());
    prefix[4..].copy_from_slice(&index_id.to_be_bytes());
    prefix
}

/// The storage key of the item with `key` in index `index_id` of `table_id`.
pub fn item_key(table_id: TableId, index_id: u32, key: &PrimaryKey<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREFIX_BYTES + 48);
    let mut partition = Vec::with_capacity(32);
    key.partition.encode(&mut partition);
    out.extend_from_slice(&index_prefix(table_id, index_id));
    out.extend_from_slice(&hash64(&partition).to_be_bytes());
    out.extend_from_slice(&partition);
    if let Some(sort) = key.sort {
        sort.encode(&mut out);
    }
    out
}

/// The prefix shared by every item with partition key `partition` in `index_id` of `table_id`:
/// a Query reads within it.
pub fn partition_prefix(table_id: TableId, index_id: u32, partition: KeyValue<'_>) -> Vec<u8> {
    let mut encoded = Vec::with_capacity(32);
    partition.encode(&mut encoded);
    let mut out = Vec::with_capacity(PREFIX_BYTES + encoded.len());
    out.extend_from_slice(&index_prefix(table_id, index_id));
    out.extend_from_slice(&hash64(&encoded).to_be_bytes());
    out.extend_from_slice(&encoded);
    out
}

/// The key at hash `hash` in `index_id` of `table_id` (no key values): Scan segments start here.
pub fn hash_position(table_id: TableId, index_id: u32, hash: u64) -> [u8; PREFIX_BYTES] {
    let mut out = [0u8; PREFIX_BYTES];
    out[..8].copy_from_slice(&index_prefix(table_id, index_id));
    out[8..].copy_from_slice(&hash.to_be_bytes());
    out
}

/// The hash of partition key `value` (`None` for a value that cannot be a key).
pub fn partition_hash(value: &ferrodyn_model::AttributeValue) -> Option<u64> {
    let value = KeyValue::from_attribute(value)?;
    let mut encoded = Vec::with_capacity(32);
    value.encode(&mut encoded);
    Some(hash64(&encoded))
}

/// The partition (of `count` equal ranges of the hash space, `count` ≥ 1) that partition-key hash
/// `hash` falls in. Partition `i` starts at `i · ⌊2^64 / count⌋`; the last one runs to the end.
pub fn partition_of_hash(hash: u64, count: u32) -> u32 {
    let count = u64::from(count.max(1));
    if count == 1 {
        return 0;
    }
    let width = ((1u128 << 64) / u128::from(count)) as u64;
    (hash / width).min(count - 1) as u32
}

/// The first and last partition-key hash of partition `partition` of `count` (see
/// [`partition_of_hash`]).
pub fn partition_hashes(partition: u32, count: u32) -> (u64, u64) {
    let count = count.max(1);
    let width = (1u128 << 64) / u128::from(count);
    let first = (u128::from(partition) * width) as u64;
    let last = if partition + 1 >= count {
        u64::MAX
    } else {
        (u128::from(partition + 1) * width - 1) as u64
    };
    (first, last)
}

/// The keys of index `index_id` of `table_id` (0: the table's items) that partition
/// `partition` of `count` holds, as `(start, end)`.
pub fn partition_span(
    table_id: TableId,
    index_id: u32,
    partition: u32,
    count: u32,
) -> (Vec<u8>, Vec<u8>) {
    let (first, last) = partition_hashes(partition, count);
    let start = hash_position(table_id, index_id, first).to_vec();
    let end = match last.checked_add(1) {
        Some(next) => hash_position(table_id, index_id, next).to_vec(),
        None => match index_id.checked_add(1) {
            Some(next) => index_prefix(table_id, next).to_vec(),
            None => table_end(table_id).to_vec(),
        },
    };
    (start, end)
}

/// The keys of index `index_id` of `table_id` that belong to partition `partition`, for the
/// indexes that a table of several partitions keeps per partition, under the partition number
/// (stream records, the expiry index), as `(start, end)`.
pub fn partition_section(table_id: TableId, index_id: u32, partition: u32) -> (Vec<u8>, Vec<u8>) {
    let prefix = index_prefix(table_id, index_id);
    let start = [&prefix[..], &partition.to_be_bytes()].concat();
    let end = [&prefix[..], &(partition + 1).to_be_bytes()].concat();
    (start, end)
}

/// The bytes after the 16-byte prefix of a storage key: the encoded primary key.
pub fn encoded_primary_key(storage_key: &[u8]) -> &[u8] {
    &storage_key[PREFIX_BYTES.min(storage_key.len())..]
}

/// The partition-key hash stored in a storage key.
pub fn stored_hash(storage_key: &[u8]) -> u64 {
    let bytes: [u8; 8] = storage_key[8..16]
        .try_into()
        .expect("storage keys have a 16-byte prefix");
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrodyn_model::key::KeyValue;

    #[test]
    fn items_of_a_partition_share_its_prefix_and_sort_by_sort_key() {
        let a = PrimaryKey {
            partition: KeyValue::S("user"),
            sort: Some(KeyValue::S("a")),
        };
        let b = PrimaryKey {
            partition: KeyValue::S("user"),
            sort: Some(KeyValue::S("b")),
        };
        let ka = item_key(7, BASE_INDEX, &a);
        let kb = item_key(7, BASE_INDEX, &b);
        let prefix = partition_prefix(7, BASE_INDEX, KeyValue::S("user"));
        assert!(ka.starts_with(&prefix) && kb.starts_with(&prefix));
        assert!(ka < kb);
        assert!(ka.as_slice() >= &table_start(7)[..] && ka.as_slice() < &table_end(7)[..]);
        assert_eq!(stored_hash(&ka), stored_hash(&kb));
    }

    #[test]
    fn partitions_cover_the_hash_space_in_order() {
        for count in [1u32, 2, 3, 4, 7, 64] {
            let mut next = 0u64;
            for p in 0..count {
                let (first, last) = partition_hashes(p, count);
                assert_eq!(
                    first, next,
                    "partition {p} of {count} starts where the last ended"
                );
                assert!(first <= last);
                for hash in [first, last, first + (last - first) / 2] {
                    assert_eq!(partition_of_hash(hash, count), p);
                }
                next = last.wrapping_add(1);
            }
            assert_eq!(partition_hashes(count - 1, count).1, u64::MAX);
        }
    }
}
