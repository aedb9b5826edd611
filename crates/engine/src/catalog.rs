//! The table catalog: every table's definition, kept durably in the `meta` keyspace and in
//! memory for the request path.
//!
//! A table's definition is a [`TableRecord`], stored as versioned JSON under `table/<name>`. The
//! next table id is stored under `next_table_id`. Table ids are never reused, so that the data of
//! a deleted table can never be mistaken for a new table's (see [`crate::keys`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ferrodyn_model::key::{KeySchema, ScalarType};
use ferrodyn_storage::{Db, Direction, Durability, Keyspace, WriteBatch};
use parking_lot::RwLock;
use serde::{Deserialize, Serialize};

use crate::index::IndexSet;
use crate::keys::{self, TableId};
use crate::replicate::{CommitError, Scope, TableChange};
use crate::writer::{Counts, PartitionStats, ReplicatorSlot, WriteQueue};

/// Format of [`TableRecord`] as stored.
const RECORD_FORMAT: u32 = 1;
const TABLE_PREFIX: &[u8] = b"table/";
const STATS_PREFIX: &[u8] = b"stats/";
const NEXT_TABLE_ID: &[u8] = b"next_table_id";

/// Everything DynamoDB knows about a table, as persisted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableRecord {
    /// Version of this record's layout.
    pub format: u32,
    /// Where the table's items live (never reused).
    pub id: TableId,
    /// The table name.
    pub name: String,
    /// DynamoDB's `TableId`: a UUID.
    pub uuid: String,
    /// Creation time, seconds since the Unix epoch.
    pub created_at: f64,
    /// `AttributeDefinitions`: name and type (`S`, `N`, `B`), in the order given.
    pub attribute_definitions: Vec<(String, String)>,
    /// The partition key attribute.
    pub hash_key: String,
    /// The sort key attribute, if any.
    pub range_key: Option<String>,
    /// Billing mode and provisioned throughput.
    pub billing: Billing,
    /// Local secondary indexes (definitions only).
    pub local_indexes: Vec<IndexRecord>,
    /// Global secondary indexes (definitions only).
    pub global_indexes: Vec<IndexRecord>,
    /// Its streams, oldest first; the last is the latest (enabled, or disabled and still
    /// readable until its records expire).
    pub streams: Vec<StreamRecord>,
    /// Time to live, if it was ever enabled.
    pub ttl: Option<TtlRecord>,
    /// Server-side encryption with a KMS key, if requested.
    pub sse: Option<SseRecord>,
    /// `STANDARD` or `STANDARD_INFREQUENT_ACCESS`, if set.
    pub table_class: Option<String>,
    /// Whether DeleteTable is refused.
    pub deletion_protection: bool,
    /// On-demand maximum read and write request units, if set.
    pub on_demand: Option<(Option<i64>, Option<i64>)>,
    /// Tags, by key.
    pub tags: BTreeMap<String, String>,
    /// The id the next secondary index gets.
    pub next_index_id: u32,
    /// How many equal ranges of the partition-key hash space the table is split into, each
    /// with its own write path (and, in a cluster, its own replica group). Fixed at creation.
    #[serde(default = "one_partition", skip_serializing_if = "is_one_partition")]
    pub partitions: u32,
}

fn one_partition() -> u32 {
    1
}

fn is_one_partition(count: &u32) -> bool {
    *count == 1
}

/// How a table (or index) pays for throughput.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Billing {
    /// `PAY_PER_REQUEST` rather than `PROVISIONED`.
    pub pay_per_request: bool,
    /// Provisioned read capacity units (0 on demand).
    pub read_capacity: i64,
    /// Provisioned write capacity units (0 on demand).
    pub write_capacity: i64,
    /// When the provisioned throughput last went up.
    pub last_increase: Option<f64>,
    /// When the provisioned throughput last went down.
    pub last_decrease: Option<f64>,
    /// Decreases since midnight UTC of the day of `last_decrease`.
    pub decreases_today: i64,
    /// When the table last switched to `PAY_PER_REQUEST`.
    pub last_switch_to_pay_per_request: Option<f64>,
    /// When the billing mode last changed (DynamoDB allows one switch per 24 hours).
    pub last_billing_switch: Option<f64>,
    /// Whether the billing mode was given explicitly at creation or since.
    pub billing_mode_explicit: bool,
}

/// A secondary index's definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexRecord {
    /// Its id in storage keys, unique within the table and never reused (0 is the table).
    pub id: u32,
    /// The index name.
    pub name: String,
    /// Its partition key attribute.
    pub hash_key: String,
    /// Its sort key attribute.
    pub range_key: Option<String>,
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    /// For `INCLUDE`: the projected non-key attributes.
    pub non_key_attributes: Option<Vec<String>>,
    /// A GSI's own provisioned throughput (read, write), on a provisioned table.
    pub throughput: Option<(i64, i64)>,
    /// A GSI's on-demand maximums.
    pub on_demand: Option<(Option<i64>, Option<i64>)>,
    /// Still being filled from the table's items (a GSI added by UpdateTable).
    pub backfilling: bool,
    /// While backfilling on a table of several partitions: the partitions filled so far.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filled: Vec<u32>,
}

/// One stream of a table (a table has a new stream each time streams are enabled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamRecord {
    /// Its number within the table, in its records' storage keys (never reused).
    pub number: u32,
    /// `KEYS_ONLY`, `NEW_IMAGE`, `OLD_IMAGE` or `NEW_AND_OLD_IMAGES`.
    pub view_type: String,
    /// The stream's label (its creation time), part of its ARN.
    pub label: String,
    /// When it was created, seconds since the Unix epoch.
    pub created_at: f64,
    /// When it was disabled; its shard is closed from then on.
    pub disabled_at: Option<f64>,
}

impl StreamRecord {
    /// Whether changes are recorded in it now.
    pub fn enabled(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// Time to live settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TtlRecord {
    /// The Number attribute holding each item's expiry, in seconds since the Unix epoch.
    pub attribute: String,
    /// On (`ENABLING` or `ENABLED`) or off (`DISABLED`).
    pub enabled: bool,
    /// The expiry index is still being filled from existing items (`ENABLING`).
    pub filling: bool,
    /// While filling: the partitions whose expiry index is filled already (each partition's
    /// is filled by its own leader).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filled: Vec<u32>,
    /// When it was last changed (DynamoDB refuses another change within an hour).
    pub changed_at: f64,
}

/// Server-side encryption settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SseRecord {
    /// `KMS`.
    pub sse_type: String,
    /// The KMS key's ARN.
    pub kms_key_arn: String,
}

impl TableRecord {
    /// The table's primary key schema.
    pub fn key_schema(&self) -> KeySchema {
        let type_of = |name: &str| {
            self.attribute_definitions
                .iter()
                .find(|(n, _)| n == name)
                .and_then(|(_, t)| ScalarType::from_name(t))
                .expect("key attributes are defined (checked at CreateTable)")
        };
        let schema = KeySchema::new(&self.hash_key, type_of(&self.hash_key));
        match &self.range_key {
            Some(range) => schema.with_sort(range, type_of(range)),
            None => schema,
        }
    }

    /// The ranges of the `data` keyspace that hold partition `partition`'s share of the table,
    /// as `(start, end)`: its items, its local index entries and item collection sizes (all
    /// placed by the item's partition key), its stream shards and its expiry index. A table of
    /// one partition is its whole range (global index entries included).
    pub fn partition_ranges(&self, partition: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
        let count = self.partitions.max(1);
        if count == 1 {
            return vec![(
                keys::table_start(self.id).to_vec(),
                keys::table_end(self.id).to_vec(),
            )];
        }
        // The items first, then what every write may touch, then every index id the table
        // can ever have: a replica group's ranges are fixed when it opens, and must cover an
        // index added or deleted later. Global index entries are placed by the index's key, in
        // the partition it hashes to.
        let mut ranges = vec![keys::partition_span(
            self.id,
            keys::BASE_INDEX,
            partition,
            count,
        )];
        for index in [
            crate::outbox::OUTBOX_INDEX,
            crate::stream::STREAM_INDEX,
            crate::ttl::TTL_INDEX,
        ] {
            ranges.push(keys::partition_section(self.id, index, partition));
        }
        let indexes = std::iter::once(keys::COLLECTIONS_INDEX).chain(1..PARTITIONED_INDEX_IDS_MAX);
        ranges.extend(indexes.map(|index| keys::partition_span(self.id, index, partition, count)));
        ranges
    }
}

/// Index ids below which the indexes of a table of several partitions must stay (its replica
/// groups own the keys of exactly these ids; ids are never reused, so a table can add this many
/// indexes over its life).
pub const PARTITIONED_INDEX_IDS_MAX: u32 = 64;

/// A table as the request path sees it.
#[derive(Debug)]
pub struct Table {
    /// Where its items live.
    pub id: TableId,
    /// Its name.
    pub name: String,
    /// Its primary key.
    pub schema: KeySchema,
    /// Its definition (changed by UpdateTable and tagging).
    pub record: RwLock<TableRecord>,
    /// The ordered write path of each of its partitions (see [`TableRecord::partitions`]).
    queues: Vec<Arc<WriteQueue>>,
    /// Its secondary indexes, as of its current definition.
    indexes: RwLock<Arc<IndexSet>>,
    /// Set by DeleteTable: queued writes that run after it fail as if the table did not exist.
    pub deleted: AtomicBool,
    /// How far each partition's global index changes are delivered (tables of several
    /// partitions with global indexes, see [`crate::outbox`]).
    outboxes: Vec<crate::outbox::Progress>,
}

impl Table {
    fn new(
        record: TableRecord,
        data: Keyspace,
        meta: Keyspace,
        stats: Vec<PartitionStats>,
    ) -> Self {
        let queues: Vec<Arc<WriteQueue>> = stats
            .into_iter()
            .enumerate()
            .map(|(partition, stats)| {
                let partition = partition as u32;
                WriteQueue::new(
                    Scope::Partition(record.id, partition),
                    data,
                    meta,
                    stats_key(record.id, partition),
                    stats,
                )
            })
            .collect();
        Table {
            id: record.id,
            name: record.name.clone(),
            schema: record.key_schema(),
            indexes: RwLock::new(Arc::new(IndexSet::of(&record))),
            record: RwLock::new(record),
            outboxes: (0..queues.len())
                .map(|_| crate::outbox::Progress::default())
                .collect(),
            queues,
            deleted: AtomicBool::new(false),
        }
    }

    /// How many partitions the table has.
    pub fn partition_count(&self) -> u32 {
        self.queues.len() as u32
    }

    /// The write path of partition `partition` (< [`Table::partition_count`]).
    pub fn queue(&self, partition: u32) -> &Arc<WriteQueue> {
        &self.queues[partition as usize]
    }

    /// Every partition's write path, in partition order.
    pub fn queues(&self) -> &[Arc<WriteQueue>] {
        &self.queues
    }

    /// The partition holding the items whose partition key hashes to `hash`.
    pub fn partition_of_hash(&self, hash: u64) -> u32 {
        keys::partition_of_hash(hash, self.partition_count())
    }

    /// The partition that storage key `key` (of the table's items or of an index kept with
    /// them) belongs to.
    pub fn partition_of_key(&self, key: &[u8]) -> u32 {
        if self.queues.len() == 1 {
            return 0;
        }
        self.partition_of_hash(keys::stored_hash(key))
    }

    /// The table's statistics: every partition's, added up.
    pub fn stats(&self) -> PartitionStats {
        let total = PartitionStats::default();
        for queue in &self.queues {
            total.add(queue.stats());
        }
        total
    }

    /// How far partition `partition`'s global index changes are delivered.
    pub fn outbox(&self, partition: u32) -> &crate::outbox::Progress {
        &self.outboxes[partition as usize]
    }

    /// Whether the table has a global secondary index.
    pub fn has_global_indexes(&self) -> bool {
        !self.record.read().global_indexes.is_empty()
    }

    /// Its secondary indexes now.
    pub fn indexes(&self) -> Arc<IndexSet> {
        self.indexes.read().clone()
    }

    /// Whether DeleteTable has run.
    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }
}

/// Every table of the node.
#[derive(Debug)]
pub struct Catalog {
    db: Db,
    data: Keyspace,
    meta: Keyspace,
    replicator: Arc<ReplicatorSlot>,
    tables: RwLock<Tables>,
    next_id: parking_lot::Mutex<TableId>,
    /// Held while a change is decided and committed, so changes of this node are decided one at
    /// a time. The maps above are locked only briefly: in a cluster, applying the committed
    /// change updates them (through [`Catalog::observe`]) before the commit returns.
    changing: parking_lot::Mutex<()>,
}

/// The catalog's tables, by name and by id.
#[derive(Debug, Default)]
struct Tables {
    by_name: BTreeMap<String, Arc<Table>>,
    by_id: HashMap<TableId, Arc<Table>>,
}

impl Tables {
    /// Adds `table`; returns the table it replaces under its name, if any.
    fn insert(&mut self, table: Arc<Table>) -> Option<Arc<Table>> {
        let old = self.by_name.insert(table.name.clone(), table.clone());
        if let Some(old) = &old {
            self.forget_id(old);
        }
        self.by_id.insert(table.id, table);
        old
    }

    /// Removes the table called `name`.
    fn remove(&mut self, name: &str) -> Option<Arc<Table>> {
        let table = self.by_name.remove(name)?;
        self.forget_id(&table);
        Some(table)
    }

    fn forget_id(&mut self, table: &Arc<Table>) {
        if self
            .by_id
            .get(&table.id)
            .is_some_and(|found| Arc::ptr_eq(found, table))
        {
            self.by_id.remove(&table.id);
        }
    }
}

impl std::ops::Deref for Tables {
    type Target = BTreeMap<String, Arc<Table>>;

    fn deref(&self) -> &Self::Target {
        &self.by_name
    }
}

impl Catalog {
    /// Loads every table from the `meta` keyspace.
    pub fn load(
        db: Db,
        data: Keyspace,
        meta: Keyspace,
        replicator: Arc<ReplicatorSlot>,
    ) -> Result<Catalog, CatalogError> {
        let mut tables = Tables::default();
        let next_id = match db.get(meta, NEXT_TABLE_ID)? {
            Some(bytes) => decode_u32(&bytes).ok_or(CatalogError::Corrupt("next_table_id"))?,
            None => 1,
        };
        let end = prefix_end(TABLE_PREFIX);
        let range = (
            std::ops::Bound::Included(TABLE_PREFIX),
            std::ops::Bound::Excluded(end.as_slice()),
        );
        for entry in db.iter(meta, range, Direction::Forward)? {
            let (_, value) = entry?;
            let record: TableRecord = serde_json::from_slice(&value)
                .map_err(|_| CatalogError::Corrupt("table record"))?;
            tables.insert(load_table(&db, data, meta, record)?);
        }
        Ok(Catalog {
            db,
            data,
            meta,
            replicator,
            tables: RwLock::new(tables),
            next_id: parking_lot::Mutex::new(next_id),
            changing: parking_lot::Mutex::new(()),
        })
    }

    /// Brings the in-memory catalog in step with a range deletion of the `meta` keyspace applied
    /// from a replication log: the statistics of a dropped table.
    pub fn observe_range_deletion(&self, start: &[u8]) {
        if let Some(rest) = start.strip_prefix(STATS_PREFIX)
            && let Some(table) = rest.get(..4).and_then(decode_u32)
            && let Some(table) = self.by_id(table)
        {
            match rest.get(4..8).and_then(decode_u32) {
                Some(partition) if partition < table.partition_count() => {
                    table.queue(partition).stats().clear()
                }
                Some(_) => {}
                None => table.queues().iter().for_each(|q| q.stats().clear()),
            }
        }
    }

    /// Reloads every table definition, statistic and stream position from storage, after a
    /// replica's whole state was replaced (a snapshot installed).
    pub fn reload(&self) -> Result<(), CatalogError> {
        let end = prefix_end(TABLE_PREFIX);
        let range = (
            std::ops::Bound::Included(TABLE_PREFIX),
            std::ops::Bound::Excluded(end.as_slice()),
        );
        let mut present = std::collections::BTreeSet::new();
        for entry in self.db.iter(self.meta, range, Direction::Forward)? {
            let (key, value) = entry?;
            self.observe(&key, Some(&value))?;
            present.insert(key[TABLE_PREFIX.len()..].to_vec());
        }
        let gone: Vec<String> = self
            .tables
            .read()
            .keys()
            .filter(|name| !present.contains(name.as_bytes()))
            .cloned()
            .collect();
        for name in gone {
            self.observe(&table_key(&name), None)?;
        }
        if let Some(next) = self.db.get(self.meta, NEXT_TABLE_ID)? {
            self.observe(NEXT_TABLE_ID, Some(&next))?;
        }
        for table in self.all() {
            for (partition, queue) in table.queues().iter().enumerate() {
                let stats =
                    load_stats(&self.db, self.meta, &stats_key(table.id, partition as u32))?;
                queue.stats().clear();
                for (index, counts) in stats.counts.lock().iter() {
                    queue.stats().set(*index, *counts);
                }
            }
            let record = table.record.read().clone();
            for stream in &record.streams {
                for (partition, queue) in table.queues().iter().enumerate() {
                    let last = crate::stream::last_sequence(
                        &self.db,
                        self.data,
                        &record,
                        partition as u32,
                        stream.number,
                    )?;
                    queue.observe_stream_sequence(last);
                }
            }
        }
        Ok(())
    }

    /// The table whose id is `id`, if it exists.
    pub fn by_id(&self, id: TableId) -> Option<Arc<Table>> {
        self.tables.read().by_id.get(&id).cloned()
    }

    /// Brings the in-memory catalog in step with a write of `key` of the `meta` keyspace applied
    /// from a replication log (`None`: deleted). Keys that are not the catalog's are ignored.
    pub fn observe(&self, key: &[u8], value: Option<&[u8]>) -> Result<(), CatalogError> {
        if key == NEXT_TABLE_ID {
            if let Some(next) = value.and_then(decode_u32) {
                let mut next_id = self.next_id.lock();
                *next_id = (*next_id).max(next);
            }
            return Ok(());
        }
        if let Some(rest) = key.strip_prefix(STATS_PREFIX) {
            // table id, partition, index id
            if let (Some(table), Some(partition), Some(index)) = (
                rest.get(..4).and_then(decode_u32),
                rest.get(4..8).and_then(decode_u32),
                rest.get(8..12).and_then(decode_u32),
            ) && let Some(table) = self.by_id(table)
                && partition < table.partition_count()
            {
                let counts = value.and_then(Counts::decode).unwrap_or_default();
                table.queue(partition).stats().set(index, counts);
            }
            return Ok(());
        }
        let Some(name) = key.strip_prefix(TABLE_PREFIX) else {
            return Ok(());
        };
        let name = String::from_utf8_lossy(name).into_owned();
        let Some(value) = value else {
            if let Some(table) = self.tables.write().remove(&name) {
                table.deleted.store(true, Ordering::Release);
            }
            return Ok(());
        };
        let record: TableRecord =
            serde_json::from_slice(value).map_err(|_| CatalogError::Corrupt("table record"))?;
        let current = self.get(&name);
        match current {
            Some(table) if table.id == record.id => {
                if *table.record.read() != record {
                    *table.indexes.write() = Arc::new(IndexSet::of(&record));
                    *table.record.write() = record;
                }
            }
            _ => {
                let mut next_id = self.next_id.lock();
                *next_id = (*next_id).max(record.id + 1);
                drop(next_id);
                let table = load_table(&self.db, self.data, self.meta, record)?;
                if let Some(old) = self.tables.write().insert(table) {
                    old.deleted.store(true, Ordering::Release);
                }
            }
        }
        Ok(())
    }

    /// The table called `name`, if it exists.
    pub fn get(&self, name: &str) -> Option<Arc<Table>> {
        self.tables.read().get(name).cloned()
    }

    /// Table names in order, starting after `exclusive_start`.
    pub fn names_after(&self, exclusive_start: Option<&str>, limit: usize) -> (Vec<String>, bool) {
        let tables = self.tables.read();
        let mut names = Vec::new();
        let mut more = false;
        let start = match exclusive_start {
            Some(start) => std::ops::Bound::Excluded(start.to_owned()),
            None => std::ops::Bound::Unbounded,
        };
        for name in tables
            .range::<String, _>((start, std::ops::Bound::Unbounded))
            .map(|(n, _)| n)
        {
            if names.len() == limit {
                more = true;
                break;
            }
            names.push(name.clone());
        }
        (names, more)
    }

    /// Runs `change` holding the catalog's change lock. A change may wait for replication (on a
    /// cluster, a round trip through the metadata group driven by the async runtime), and so may
    /// a change queued behind it on the lock: on a runtime worker both give up the worker while
    /// they wait, or two CreateTable calls arriving together could block every worker and with
    /// them the replication the first one waits for.
    fn exclusively<R>(&self, change: impl FnOnce() -> R) -> R {
        let locked = || {
            let _changing = self.changing.lock();
            change()
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime)
                if runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread =>
            {
                tokio::task::block_in_place(locked)
            }
            _ => locked(),
        }
    }

    /// Number of tables.
    pub fn len(&self) -> usize {
        self.tables.read().len()
    }

    /// Whether there are no tables.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Creates a table from `record` (whose id is assigned here), durably.
    ///
    /// # Errors
    /// [`CatalogError::Exists`] if the name is taken.
    pub fn create(&self, record: TableRecord) -> Result<Arc<Table>, CatalogError> {
        self.exclusively(|| self.create_now(record))
    }

    fn create_now(&self, mut record: TableRecord) -> Result<Arc<Table>, CatalogError> {
        let replicator = self.replicator.get();
        let ticket = replicator.begin(Scope::Catalog)?;
        if self.tables.read().contains_key(&record.name) {
            return Err(CatalogError::Exists);
        }
        let id = *self.next_id.lock();
        record.id = id;
        record.format = RECORD_FORMAT;
        let mut batch = WriteBatch::new();
        batch.put(self.meta, NEXT_TABLE_ID, &(id + 1).to_be_bytes());
        batch.put(self.meta, &table_key(&record.name), &encode_record(&record));
        let change = TableChange::Created {
            id,
            name: record.name.clone(),
            partitions: record.partitions,
        };
        replicator.commit(
            Scope::Catalog,
            ticket,
            batch,
            Durability::Sync,
            Some(change),
        )?;
        {
            let mut next_id = self.next_id.lock();
            *next_id = (*next_id).max(id + 1);
        }
        let mut tables = self.tables.write();
        // In a cluster, applying the commit has registered the table already.
        if let Some(table) = tables.get(&record.name) {
            return Ok(table.clone());
        }
        let stats = (0..record.partitions.max(1))
            .map(|_| PartitionStats::default())
            .collect();
        let table = Arc::new(Table::new(record, self.data, self.meta, stats));
        tables.insert(table.clone());
        Ok(table)
    }

    /// Durably replaces the definition of `table` by `record`.
    pub fn update(&self, table: &Table, record: TableRecord) -> Result<(), CatalogError> {
        self.exclusively(|| self.update_now(table, record))
    }

    fn update_now(&self, table: &Table, record: TableRecord) -> Result<(), CatalogError> {
        let replicator = self.replicator.get();
        let ticket = replicator.begin(Scope::Catalog)?;
        let mut batch = WriteBatch::new();
        batch.put(self.meta, &table_key(&record.name), &encode_record(&record));
        replicator.commit(Scope::Catalog, ticket, batch, Durability::Sync, None)?;
        *table.indexes.write() = Arc::new(IndexSet::of(&record));
        *table.record.write() = record;
        Ok(())
    }

    /// Durably removes the definition of `table` (DeleteTable, once its data is dropped).
    pub fn delete_record(&self, table: &Table) -> Result<(), CatalogError> {
        self.exclusively(|| self.delete_record_now(table))
    }

    fn delete_record_now(&self, table: &Table) -> Result<(), CatalogError> {
        let replicator = self.replicator.get();
        let ticket = replicator.begin(Scope::Catalog)?;
        let mut batch = WriteBatch::new();
        batch.delete(self.meta, &table_key(&table.name));
        let change = TableChange::Deleted {
            id: table.id,
            name: table.name.clone(),
        };
        replicator.commit(
            Scope::Catalog,
            ticket,
            batch,
            Durability::Sync,
            Some(change),
        )?;
        Ok(())
    }

    /// Marks index `index` of `table` as filled (no longer backfilling), durably.
    pub fn set_backfilled(
        &self,
        table: &Table,
        index: u32,
        partition: u32,
    ) -> Result<(), CatalogError> {
        let mut record = table.record.read().clone();
        let partitions = record.partitions.max(1) as usize;
        let Some(found) = record
            .global_indexes
            .iter_mut()
            .find(|i| i.id == index && i.backfilling && !i.filled.contains(&partition))
        else {
            return Ok(());
        };
        found.filled.push(partition);
        if found.filled.len() >= partitions {
            found.backfilling = false;
            found.filled.clear();
        }
        self.update(table, record)
    }

    /// Marks the expiry index of partition `partition` of `table` as filled; once every
    /// partition's is, time to live is `ENABLED`.
    pub fn set_ttl_filled(&self, table: &Table, partition: u32) -> Result<(), CatalogError> {
        let mut record = table.record.read().clone();
        let partitions = record.partitions.max(1) as usize;
        match record.ttl.as_mut() {
            Some(ttl) if ttl.enabled && ttl.filling && !ttl.filled.contains(&partition) => {
                ttl.filled.push(partition);
                if ttl.filled.len() >= partitions {
                    ttl.filling = false;
                    ttl.filled.clear();
                }
            }
            _ => return Ok(()),
        }
        self.update(table, record)
    }

    /// Removes `name` from the catalog (no new request finds it) and returns it. The caller then
    /// drops its data through the table's write queue, after every write already queued.
    pub fn remove(&self, name: &str) -> Option<Arc<Table>> {
        let table = self.tables.write().remove(name)?;
        table.deleted.store(true, Ordering::Release);
        Some(table)
    }

    /// Every table.
    pub fn all(&self) -> Vec<Arc<Table>> {
        self.tables.read().values().cloned().collect()
    }
}

/// The table defined by `record`, with its statistics and stream position as stored.
fn load_table(
    db: &Db,
    data: Keyspace,
    meta: Keyspace,
    record: TableRecord,
) -> Result<Arc<Table>, CatalogError> {
    let stats = (0..record.partitions.max(1))
        .map(|partition| load_stats(db, meta, &stats_key(record.id, partition)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sequences = vec![0; record.partitions.max(1) as usize];
    for stream in &record.streams {
        for (partition, sequence) in sequences.iter_mut().enumerate() {
            let last =
                crate::stream::last_sequence(db, data, &record, partition as u32, stream.number)?;
            *sequence = (*sequence).max(last);
        }
    }
    let table = Table::new(record, data, meta, stats);
    for (queue, sequence) in table.queues().iter().zip(sequences) {
        queue.set_stream_sequence(sequence);
    }
    Ok(Arc::new(table))
}

/// The statistics stored under `prefix` (one record per index id).
fn load_stats(db: &Db, meta: Keyspace, prefix: &[u8]) -> Result<PartitionStats, CatalogError> {
    let end = prefix_end(prefix);
    let range = (
        std::ops::Bound::Included(prefix),
        std::ops::Bound::Excluded(end.as_slice()),
    );
    let mut counts = Vec::new();
    for entry in db.iter(meta, range, Direction::Forward)? {
        let (key, value) = entry?;
        let index = key
            .get(prefix.len()..)
            .and_then(|id| <[u8; 4]>::try_from(id).ok())
            .map(u32::from_be_bytes)
            .ok_or(CatalogError::Corrupt("stats key"))?;
        let value = Counts::decode(&value).ok_or(CatalogError::Corrupt("stats"))?;
        counts.push((index, value));
    }
    Ok(PartitionStats::new(counts))
}

/// The ranges of the `meta` keyspace that hold the catalog itself (table definitions and the
/// next table id), as `(start, end)`: what a cluster replicates through its metadata group.
pub fn catalog_ranges() -> Vec<(Vec<u8>, Vec<u8>)> {
    vec![
        (TABLE_PREFIX.to_vec(), prefix_end(TABLE_PREFIX)),
        (NEXT_TABLE_ID.to_vec(), [NEXT_TABLE_ID, &[0]].concat()),
    ]
}

/// Storage key of a table's record.
pub fn table_key(name: &str) -> Vec<u8> {
    [TABLE_PREFIX, name.as_bytes()].concat()
}

/// Prefix of the storage keys of the statistics of a table's partition (an index id follows).
pub fn stats_key(table: TableId, partition: u32) -> Vec<u8> {
    let mut key = STATS_PREFIX.to_vec();
    key.extend_from_slice(&table.to_be_bytes());
    key.extend_from_slice(&partition.to_be_bytes());
    key
}

fn encode_record(record: &TableRecord) -> Vec<u8> {
    serde_json::to_vec(record).expect("table records serialize")
}

fn decode_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.try_into().ok()?))
}

/// The first key after every key starting with `prefix`.
pub fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return end;
        }
    }
    // Every byte was 0xFF: no key follows the prefix's range; an empty vector stands for "no end"
    // and callers only pass non-0xFF prefixes.
    end
}

/// The catalog could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A table of that name exists.
    #[error("table already exists")]
    Exists,
    /// A stored record does not parse: the meta keyspace is damaged.
    #[error("the stored {0} is damaged")]
    Corrupt(&'static str),
    /// The storage engine failed.
    #[error(transparent)]
    Storage(#[from] ferrodyn_storage::Error),
    /// The change could not be committed.
    #[error(transparent)]
    Commit(#[from] CommitError),
}
