//! Staging one item's change: the item itself, its secondary index entries and the
//! statistics, all in the group's one storage batch.
//!
//! Every write of an item (PutItem, UpdateItem, DeleteItem, BatchWriteItem) goes through
//! [`stage_change`], so indexes can never be forgotten by one operation.

use std::collections::BTreeMap;

use ferrodyn_api::ApiResult;
use ferrodyn_api::wire::Consumption;
use ferrodyn_model::Item;
use ferrodyn_model::size::write_units;

use crate::catalog::Table;
use crate::index::{IndexKind, IndexSet, IndexState};
use crate::stored;
use crate::writer::Group;

/// An item as it was or will be: the item and its DynamoDB size.
#[derive(Debug, Clone, Copy)]
pub struct Version<'a> {
    /// The item.
    pub item: &'a Item,
    /// Its size.
    pub size: usize,
}

/// Stages the change of the item stored under `storage_key` from `old` to `new` (`None`: no
/// item), with every index entry it implies. Returns the write capacity it costs, per index.
///
/// `old` must be the whole item when the table has indexes; a write that only needs the old
/// size (no indexes) passes `old_size` alone.
///
/// # Errors
/// ValidationException if `new` has an index key attribute of the wrong type or an empty one;
/// nothing is staged then.
pub fn stage_change(
    group: &mut Group<'_>,
    table: &Table,
    indexes: &IndexSet,
    storage_key: Vec<u8>,
    old: Option<Version<'_>>,
    old_size: Option<usize>,
    new: Option<Version<'_>>,
) -> ApiResult<Consumption> {
    if let Some(new) = new {
        indexes.check_item(new.item)?;
    }
    let old_size = old.map(|v| v.size).or(old_size);
    let mut consumption = Consumption::table(write_units(
        old_size.unwrap_or(0).max(new.map_or(0, |v| v.size)).max(1),
    ));
    match new {
        Some(new) => group.put(storage_key, stored::encode(new.item, new.size)),
        None if old_size.is_some() => group.delete(storage_key),
        None => {}
    }
    group.count_item_change(old_size, new.map(|v| v.size));
    if indexes.is_empty() {
        return Ok(consumption);
    }
    for index in &indexes.indexes {
        let old_entry = old.and_then(|v| index.entry(table.id, &table.schema, v.item));
        let new_entry = new.and_then(|v| index.entry(table.id, &table.schema, v.item));
        // While an index is being backfilled, an old item's entry may not be written yet.
        let present = |group: &Group<'_>, key: &[u8]| match index.state {
            IndexState::Active => true,
            IndexState::Backfilling => group.get(key).is_ok_and(|v| v.is_some()),
        };
        let mut units = 0.0;
        let mut replaced = None;
        if let Some(old_entry) = &old_entry {
            let same_key = new_entry.as_ref().is_some_and(|n| n.key == old_entry.key);
            let existed = present(group, &old_entry.key);
            if same_key {
                replaced = existed.then_some(old_entry.size);
            } else {
                group.delete(old_entry.key.clone());
                if existed {
                    group.count_entry_change(index.id, Some(old_entry.size), None);
                }
                units += write_units(old_entry.size.max(1));
            }
        }
        if let Some(new_entry) = new_entry {
            units += write_units(new_entry.size.max(replaced.unwrap_or(0)).max(1));
            group.count_entry_change(index.id, replaced, Some(new_entry.size));
            group.put(
                new_entry.key,
                stored::encode(&new_entry.item, new_entry.size),
            );
        }
        if units > 0.0 {
            let shares: &mut BTreeMap<String, f64> = match index.kind {
                IndexKind::Local => &mut consumption.local_indexes,
                IndexKind::Global => &mut consumption.global_indexes,
            };
            *shares.entry(index.name.clone()).or_default() += units;
        }
    }
    Ok(consumption)
}
