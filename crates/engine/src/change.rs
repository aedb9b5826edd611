//! Staging one item's change: the item itself, its secondary index entries, its item
//! collection's size and the statistics, all in the group's one storage batch.
//!
//! Every write of an item (PutItem, UpdateItem, DeleteItem, BatchWriteItem) goes through
//! [`stage_change`], so indexes can never be forgotten by one operation. A change is planned
//! completely (and checked) before anything is staged: a refused write stages nothing.

use std::collections::BTreeMap;

use ferrodyn_api::wire::Consumption;
use ferrodyn_api::{ApiError, ApiResult};
use ferrodyn_model::Item;
use ferrodyn_model::key::KeyValue;
use ferrodyn_model::size::write_units;

use crate::catalog::Table;
use crate::index::{Entry, IndexKind, IndexSet, IndexState};
use crate::keys;
use crate::stored;
use crate::stream::{self, Cause};
use crate::table_ops::internal;
use crate::ttl;
use crate::writer::Group;

/// An item collection (the items of one partition key, with their local index entries) may not
/// grow past 10 GB on a table with local secondary indexes.
pub const ITEM_COLLECTION_BYTES_MAX: u64 = 10 * 1024 * 1024 * 1024;

/// An item as it was or will be: the item and its DynamoDB size.
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    /// The item.
    pub item: &'a Item,
    /// Its size.
    pub size: usize,
}

impl<'a> Version<'a> {
    /// The version of an item read with its size: `None` unless both are known.
    pub fn of(item: Option<&'a Item>, size: Option<usize>) -> Option<Version<'a>> {
        item.zip(size).map(|(item, size)| Version { item, size })
    }
}

/// One item's change: where it is stored, what it was (`old`, or just its size when nothing
/// needs the item), what it becomes (`None`: deleted), and who made it.
#[derive(Debug)]
pub struct Change<'a> {
    /// The item's storage key.
    pub storage_key: Vec<u8>,
    /// The item before, when decoded.
    pub old: Option<Version<'a>>,
    /// The size of the item before, if there was one.
    pub old_size: Option<usize>,
    /// The item after; `None` deletes it.
    pub new: Option<Version<'a>>,
    /// A request, or the time-to-live sweep.
    pub cause: Cause,
}

/// What staging a change cost and found.
#[derive(Debug, Default)]
pub struct Staged {
    /// Write capacity, per index.
    pub consumption: Consumption,
    /// On a table with local indexes: the item collection's partition key and its size after
    /// the change, in bytes.
    pub collection: Option<(Item, u64)>,
    /// On a table of several partitions with global indexes: the partition and number of the
    /// outbox entry that carries the change's global index changes ([`crate::outbox`]).
    pub outbox: Option<(u32, u64)>,
}

/// One index's part of a change.
struct IndexChange<'a> {
    id: u32,
    name: String,
    kind: IndexKind,
    state: IndexState,
    old: Option<Entry<'a>>,
    new: Option<Entry<'a>>,
}

/// Stages the change of the item stored under `storage_key` from `old` to `new` (`None`: no
/// item), with every index entry it implies.
///
/// `old` must be the whole item when the table maintains anything besides the item
/// ([`IndexSet::needs_old_item`]); otherwise a write that only needs the old size passes
/// `old_size` alone. `cause` tells stream readers who made the change.
///
/// # Errors
/// ValidationException if `new` has an index key attribute of the wrong type or an empty one;
/// ItemCollectionSizeLimitExceededException if it would grow its item collection past 10 GB.
/// Nothing is staged then.
pub fn stage_change(
    group: &mut Group<'_>,
    table: &Table,
    indexes: &IndexSet,
    change: Change<'_>,
) -> ApiResult<Staged> {
    let Change {
        storage_key,
        old,
        old_size,
        new,
        cause,
    } = change;
    if let Some(new) = new {
        indexes.check_item(new.item)?;
    }
    let old_size = old.map(|v| v.size).or(old_size);
    let new_size = new.map(|v| v.size);
    let mut staged = Staged {
        consumption: Consumption::table(write_units(
            old_size.unwrap_or(0).max(new_size.unwrap_or(0)).max(1),
        )),
        collection: None,
        outbox: None,
    };
    let changes: Vec<IndexChange> = indexes
        .indexes
        .iter()
        .map(|index| IndexChange {
            id: index.id,
            name: index.name.clone(),
            kind: index.kind,
            state: index.state,
            old: old.and_then(|v| index.entry(table.id, &table.schema, v.item)),
            new: new.and_then(|v| index.entry(table.id, &table.schema, v.item)),
        })
        .collect();
    let has_local = indexes.indexes.iter().any(|i| i.kind == IndexKind::Local);
    if let (true, Some(any)) = (has_local, old.or(new)) {
        staged.collection = Some(stage_collection(
            group, table, old_size, new_size, any, &changes,
        )?);
    }
    if let Some(attribute) = &indexes.ttl_attribute {
        let (old, new) = (old.map(|v| v.item), new.map(|v| v.item));
        ttl::stage_expiry(group, table, attribute, &storage_key, old, new);
    }
    if let Some(active) = &indexes.stream {
        stream::record_change(
            group,
            table,
            active,
            old.map(|v| v.item),
            new.map(|v| v.item),
            cause,
        );
    }
    // Encoded once: an index that projects ALL stores exactly these bytes too.
    let encoded = new.map(|v| stored::encode(v.item, v.size));
    // On a table of several partitions, global index entries live in the partitions their own
    // keys hash to: their changes go through the outbox.
    let remote = table.partition_count() > 1;
    let mut outbox = Vec::new();
    for change in changes {
        let item = encoded.as_deref().zip(new_size);
        let units = if remote && change.kind == IndexKind::Global {
            remote_entries(&change, item, &mut outbox)
        } else {
            stage_entries(group, &change, item)
        };
        if units > 0.0 {
            let shares: &mut BTreeMap<String, f64> = match change.kind {
                IndexKind::Local => &mut staged.consumption.local_indexes,
                IndexKind::Global => &mut staged.consumption.global_indexes,
            };
            *shares.entry(change.name).or_default() += units;
        }
    }
    if !outbox.is_empty() {
        let partition = table.partition_of_key(&storage_key);
        let number = crate::outbox::stage(group, table.id, partition, &outbox)?;
        staged.outbox = Some((partition, number));
    }
    match encoded {
        Some(encoded) => group.put(storage_key, encoded),
        None if old_size.is_some() => group.delete(storage_key),
        None => {}
    }
    group.count_item_change(old_size, new_size);
    Ok(staged)
}

/// Stages one index's entries; returns the write units they cost. An entry that stays the same
/// (same key, same projected attributes) is not rewritten and costs nothing. `item`: the new
/// item's stored form and size, reused by an entry that is the whole item.
fn stage_entries(
    group: &mut Group<'_>,
    change: &IndexChange<'_>,
    item: Option<(&[u8], usize)>,
) -> f64 {
    // While an index is being backfilled, an old item's entry may not be written yet.
    let present = |group: &Group<'_>, key: &[u8]| match change.state {
        IndexState::Active => true,
        IndexState::Backfilling => group.get(key).is_ok_and(|v| v.is_some()),
    };
    let mut units = 0.0;
    let mut replaced = None;
    if let Some(old) = &change.old {
        let existed = present(group, &old.key);
        match &change.new {
            Some(new) if new.key == old.key => {
                if existed && new.item == old.item {
                    return 0.0;
                }
                replaced = existed.then_some(old.size);
            }
            _ => {
                group.delete(old.key.clone());
                if existed {
                    group.count_entry_change(change.id, Some(old.size), None);
                }
                units += write_units(old.size.max(1));
            }
        }
    }
    if let Some(new) = &change.new {
        units += write_units(new.size.max(replaced.unwrap_or(0)).max(1));
        group.count_entry_change(change.id, replaced, Some(new.size));
        let value = match item {
            Some((bytes, size)) if new.is_whole_item() && size == new.size => bytes.to_vec(),
            _ => stored::encode(&new.item, new.size),
        };
        group.put(new.key.clone(), value);
    }
    units
}

/// Like [`stage_entries`] for a global index of a table of several partitions: the entry
/// changes become outbox operations (`ops`), applied later where each entry's key belongs.
fn remote_entries(
    change: &IndexChange<'_>,
    item: Option<(&[u8], usize)>,
    ops: &mut Vec<crate::outbox::Op>,
) -> f64 {
    let mut units = 0.0;
    let mut replaced = None;
    if let Some(old) = &change.old {
        match &change.new {
            Some(new) if new.key == old.key => {
                if new.item == old.item {
                    return 0.0;
                }
                replaced = Some(old.size);
            }
            _ => {
                ops.push(crate::outbox::Op::Delete {
                    index: change.id,
                    key: old.key.clone(),
                });
                units += write_units(old.size.max(1));
            }
        }
    }
    if let Some(new) = &change.new {
        units += write_units(new.size.max(replaced.unwrap_or(0)).max(1));
        let value = match item {
            Some((bytes, size)) if new.is_whole_item() && size == new.size => bytes.to_vec(),
            _ => stored::encode(&new.item, new.size),
        };
        ops.push(crate::outbox::Op::Put {
            index: change.id,
            key: new.key.clone(),
            value,
        });
    }
    units
}

/// Updates the size of the item's collection (the table's items and local index entries of
/// its partition key), refusing growth past [`ITEM_COLLECTION_BYTES_MAX`].
fn stage_collection(
    group: &mut Group<'_>,
    table: &Table,
    old_size: Option<usize>,
    new_size: Option<usize>,
    any: Version<'_>,
    changes: &[IndexChange<'_>],
) -> ApiResult<(Item, u64)> {
    let item = any.item;
    let key = table.schema.key_of_item(item).map_err(internal)?;
    let partition_key: Item = [(
        table.schema.partition.name.clone(),
        key.partition.to_attribute(),
    )]
    .into();
    let counter = collection_key(table, key.partition);
    let current = match group.get(&counter).map_err(internal)? {
        Some(bytes) => u64::from_be_bytes(
            bytes
                .as_slice()
                .try_into()
                .map_err(|_| internal("a collection size is 8 bytes"))?,
        ),
        None => 0,
    };
    let local = |entry: &Option<Entry<'_>>, change: &IndexChange<'_>| {
        if change.kind == IndexKind::Local {
            entry.as_ref().map_or(0, |e| e.size as i64)
        } else {
            0
        }
    };
    let before: i64 =
        old_size.unwrap_or(0) as i64 + changes.iter().map(|c| local(&c.old, c)).sum::<i64>();
    let after: i64 =
        new_size.unwrap_or(0) as i64 + changes.iter().map(|c| local(&c.new, c)).sum::<i64>();
    let total = (current as i64 + after - before).max(0) as u64;
    if after > before && total > ITEM_COLLECTION_BYTES_MAX {
        return Err(ApiError::item_collection_size_limit_exceeded());
    }
    if total == 0 {
        group.delete(counter);
    } else {
        group.put(counter, total.to_be_bytes().to_vec());
    }
    Ok((partition_key, total))
}

/// Where the size of an item collection is kept: beside the table's items, under an id no index
/// gets, so reads of the table or its indexes never meet it and DeleteTable drops it.
fn collection_key(table: &Table, partition: KeyValue<'_>) -> Vec<u8> {
    keys::partition_prefix(table.id, keys::COLLECTIONS_INDEX, partition)
}
