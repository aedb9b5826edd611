//! Secondary indexes: what an index entry is for an item, and keeping entries in step with the
//! items they come from.
//!
//! An index's entries live in the `data` keyspace beside the table's items, under the index's own
//! id (see [`crate::keys`]):
//!
//! ```text
//! table_id | index_id | hash64(index pk) | enc(index pk) | enc(index sk)? | enc(table pk) | enc(table sk)?
//! ```
//!
//! The table's key comes last so that items sharing an index key have distinct entries, and so
//! that a Query on the index reads them in index-key order. The value is the projected item in
//! the same stored form as items (`crate::stored`). An item lacking an index key attribute has no
//! entry in that index (a sparse index).
//!
//! Entries change in the same storage batch as their item, on the item's write path, so they
//! are never out of step on one node. Local and global indexes are stored alike; they differ in
//! what the API allows (key schema, consistent reads, fetching unprojected attributes).

use std::borrow::Cow;
use std::collections::BTreeSet;

use ferrodyn_api::{ApiError, ApiResult};
use ferrodyn_model::Item;
use ferrodyn_model::key::{
    KeySchema, KeyValue, PARTITION_KEY_BYTES_MAX, PrimaryKey, SORT_KEY_BYTES_MAX, ScalarType,
};
use ferrodyn_model::size::item_size;

use crate::catalog::{IndexRecord, TableRecord};
use crate::keys::{self, TableId};
use crate::stream::ActiveStream;
use ferrodyn_api::wire::StreamViewType;

/// Local (same partition key, another sort key) or global (any key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A local secondary index.
    Local,
    /// A global secondary index.
    Global,
}

/// Which attributes an index entry carries besides the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Projected {
    /// Every attribute.
    All,
    /// Only the table's and the index's key attributes.
    KeysOnly,
    /// The keys and these attributes.
    Include(BTreeSet<String>),
}

/// Whether an index is usable for reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexState {
    /// Being filled from the table's existing items; writes already maintain it.
    Backfilling,
    /// Complete.
    Active,
}

/// One secondary index, as the request path uses it.
#[derive(Debug, Clone)]
pub struct Index {
    /// Its id in storage keys (never 0, which is the table).
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Local or global.
    pub kind: IndexKind,
    /// Its key.
    pub schema: KeySchema,
    /// What its entries carry.
    pub projected: Projected,
    /// Backfilling or active.
    pub state: IndexState,
}

/// An index entry: where it is stored, what it holds, and its size.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    /// Storage key.
    pub key: Vec<u8>,
    /// The projected item: the item itself, borrowed, when the index projects ALL.
    pub item: Cow<'a, Item>,
    /// DynamoDB's size of the projected item.
    pub size: usize,
}

impl Entry<'_> {
    /// Whether the entry carries the whole item (projection ALL), so that its stored form is
    /// the item's own and need not be encoded again.
    pub fn is_whole_item(&self) -> bool {
        matches!(self.item, Cow::Borrowed(_))
    }
}

impl Index {
    /// The index described by `record` of a table whose attribute types are `definitions`.
    pub fn from_record(record: &IndexRecord, kind: IndexKind, table: &TableRecord) -> Index {
        let type_of = |name: &str| {
            table
                .attribute_definitions
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, t)| ScalarType::from_name(t))
                .unwrap_or(ScalarType::S)
        };
        let mut schema = KeySchema::new(&record.hash_key, type_of(&record.hash_key));
        if let Some(range) = &record.range_key {
            schema = schema.with_sort(range, type_of(range));
        }
        let projected = match record.projection_type.as_str() {
            "KEYS_ONLY" => Projected::KeysOnly,
            "INCLUDE" => Projected::Include(
                record
                    .non_key_attributes
                    .iter()
                    .flatten()
                    .cloned()
                    .collect(),
            ),
            _ => Projected::All,
        };
        Index {
            id: record.id,
            name: record.name.clone(),
            kind,
            schema,
            projected,
            state: if record.backfilling {
                IndexState::Backfilling
            } else {
                IndexState::Active
            },
        }
    }

    /// Whether `attribute` is in this index's entries (keys of the table and of the index
    /// always are).
    pub fn projects(&self, table: &KeySchema, attribute: &str) -> bool {
        if self.schema.is_key_attribute(attribute) || table.is_key_attribute(attribute) {
            return true;
        }
        match &self.projected {
            Projected::All => true,
            Projected::KeysOnly => false,
            Projected::Include(names) => names.contains(attribute),
        }
    }

    /// Checks the index key attributes of an item about to be written: present ones must have
    /// the key's type, be non-empty and fit the key size limits (2048 bytes for a partition
    /// key, 1024 for a sort key), as the table's own keys must.
    pub fn check_item(&self, item: &Item) -> ApiResult<()> {
        for attribute in self.schema.attributes() {
            let Some(value) = item.get(&attribute.name) else {
                continue;
            };
            let fits = KeyValue::from_attribute(value)
                .filter(|k| k.scalar_type() == attribute.scalar_type);
            let Some(key) = fits else {
                return Err(ApiError::index_key_type_mismatch(
                    &self.name,
                    &attribute.name,
                    attribute.scalar_type,
                    value,
                ));
            };
            let empty = match key {
                KeyValue::S(text) => text.is_empty(),
                KeyValue::B(bytes) => bytes.is_empty(),
                KeyValue::N(_) => false,
            };
            if empty {
                return Err(ApiError::index_key_empty(
                    &self.name,
                    &attribute.name,
                    value,
                ));
            }
            let limit = if attribute.name == self.schema.partition.name {
                PARTITION_KEY_BYTES_MAX
            } else {
                SORT_KEY_BYTES_MAX
            };
            if key.size_bytes() > limit {
                return Err(ApiError::index_key_too_large(
                    &self.name,
                    &attribute.name,
                    key.size_bytes(),
                    limit,
                ));
            }
        }
        Ok(())
    }

    /// The entry of `item` (a checked item of a table with key `table`), or `None` if the item
    /// lacks an index key attribute.
    pub fn entry<'a>(
        &self,
        table_id: TableId,
        table: &KeySchema,
        item: &'a Item,
    ) -> Option<Entry<'a>> {
        let index_key = self.schema.key_of_item(item).ok()?;
        let base_key = table.key_of_item(item).ok()?;
        let key = entry_key(table_id, self.id, &index_key, &base_key);
        let projected = match &self.projected {
            Projected::All => Cow::Borrowed(item),
            _ => Cow::Owned(self.project(table, item)),
        };
        let size = item_size(&projected);
        Some(Entry {
            key,
            item: projected,
            size,
        })
    }

    /// `item` reduced to what this index carries.
    pub fn project(&self, table: &KeySchema, item: &Item) -> Item {
        match &self.projected {
            Projected::All => item.clone(),
            _ => item
                .iter()
                .filter(|(name, _)| self.projects(table, name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        }
    }
}

/// The storage key of an index entry.
pub fn entry_key(
    table_id: TableId,
    index_id: u32,
    index_key: &PrimaryKey<'_>,
    base_key: &PrimaryKey<'_>,
) -> Vec<u8> {
    let mut key = keys::item_key(table_id, index_id, index_key);
    base_key.encode(&mut key);
    key
}

/// The storage key an `ExclusiveStartKey` of an index Query or Scan stands for: the index's
/// key attributes and the table's, all present with their types.
pub fn start_key(
    table_id: TableId,
    index: &Index,
    table: &KeySchema,
    start: &Item,
) -> ApiResult<Vec<u8>> {
    let names: BTreeSet<&str> = index
        .schema
        .attributes()
        .chain(table.attributes())
        .map(|a| a.name.as_str())
        .collect();
    if start.len() != names.len() || !start.keys().all(|k| names.contains(k.as_str())) {
        return Err(ApiError::invalid_start_key());
    }
    let index_key = index
        .schema
        .key_of_item(start)
        .map_err(|_| ApiError::invalid_start_key())?;
    let base_key = table
        .key_of_item(start)
        .map_err(|_| ApiError::invalid_start_key())?;
    Ok(entry_key(table_id, index.id, &index_key, &base_key))
}

/// The `LastEvaluatedKey` of an index read: the index's and the table's key attributes.
pub fn last_key(index: &KeySchema, table: &KeySchema, item: &Item) -> Item {
    index
        .attributes()
        .chain(table.attributes())
        .filter_map(|a| item.get(&a.name).map(|v| (a.name.clone(), v.clone())))
        .collect()
}

/// Everything a write keeps in step with an item besides the item itself, as of the table's
/// current definition: secondary indexes, the time-to-live expiry index, the stream.
#[derive(Debug, Clone, Default)]
pub struct IndexSet {
    /// Local, then global indexes, in definition order.
    pub indexes: Vec<Index>,
    /// The time-to-live attribute, while time to live is on.
    pub ttl_attribute: Option<String>,
    /// The stream changes are recorded in, while one is enabled.
    pub stream: Option<ActiveStream>,
}

impl IndexSet {
    /// What `record` maintains.
    pub fn of(record: &TableRecord) -> IndexSet {
        let local = record
            .local_indexes
            .iter()
            .map(|i| Index::from_record(i, IndexKind::Local, record));
        let global = record
            .global_indexes
            .iter()
            .map(|i| Index::from_record(i, IndexKind::Global, record));
        IndexSet {
            indexes: local.chain(global).collect(),
            ttl_attribute: record
                .ttl
                .as_ref()
                .filter(|t| t.enabled)
                .map(|t| t.attribute.clone()),
            stream: record
                .streams
                .last()
                .filter(|s| s.enabled())
                .map(|s| ActiveStream {
                    number: s.number,
                    view_type: StreamViewType::parse(&s.view_type)
                        .unwrap_or(StreamViewType::NewAndOldImages),
                }),
        }
    }

    /// Whether the table has no secondary index.
    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }

    /// Whether a write must read (decode) the item it replaces.
    pub fn needs_old_item(&self) -> bool {
        !self.indexes.is_empty() || self.ttl_attribute.is_some() || self.stream.is_some()
    }

    /// The index called `name`.
    pub fn named(&self, name: &str) -> Option<&Index> {
        self.indexes.iter().find(|i| i.name == name)
    }

    /// Checks every index key attribute of an item about to be written.
    pub fn check_item(&self, item: &Item) -> ApiResult<()> {
        self.indexes
            .iter()
            .try_for_each(|index| index.check_item(item))
    }
}
