//! Filling a global secondary index added to a table that already has items (or the expiry
//! index of a table whose time to live was just turned on), and dropping the entries of a
//! deleted index.
//!
//! A new index is written by every write from the moment UpdateTable returns (its state is
//! `Backfilling`). A background thread then walks the table's keys in chunks; for each chunk it
//! submits a background mutation to the table's write path (requests overtake it) that re-reads
//! those items *as they are now* and writes their entries. Because the mutation runs in the partition's write order, a chunk never
//! resurrects an item deleted meanwhile nor overwrites a newer entry with an older one: it sees
//! exactly what the writes before it left. A few chunks are in flight at once (the next is read
//! and run while the last is synced); when the walk ends and every chunk is durable the index
//! becomes `Active`.
//! Items whose index key attribute has the wrong type are skipped, as DynamoDB skips them.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::mpsc;

use ferrodyn_api::ApiResult;
use ferrodyn_storage::{Db, Direction, Keyspace};

use crate::Database;
use crate::catalog::{Catalog, Table};
use crate::index::IndexState;
use crate::keys::{self, BASE_INDEX};
use crate::stored;
use crate::table_ops::internal;
use crate::ttl;
use crate::writer::{Group, WriterPool};

/// Items re-read and indexed per mutation. Each mutation holds up the table's other writes
/// while it runs, so chunks stay small; throughput comes from keeping several in flight. They
/// are background mutations: requests overtake them, and wait for at most one.
const CHUNK_ITEMS: usize = 256;

/// Chunks submitted and not yet durable. More than one lets the walk read the next keys, and
/// the writer run the next chunk, while a chunk's batch is being synced (group commit then
/// syncs several chunks at once); a few bound the memory and the queue ahead of foreground
/// writes.
const CHUNKS_IN_FLIGHT: usize = 2;

/// The backfills running on a node, by table and target; shared by the database and the jobs,
/// each of which leaves it when it ends.
pub(crate) type Running =
    Arc<parking_lot::Mutex<std::collections::HashSet<(crate::keys::TableId, Target)>>>;

/// What a backfill fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// A global secondary index, by id, in one partition of the table.
    Index(u32, u32),
    /// The time-to-live expiry index of one partition.
    Expiry(u32),
}

/// What a backfill thread needs of the database.
struct Backfill {
    db: Db,
    data: Keyspace,
    writers: Arc<WriterPool>,
    catalog: Arc<Catalog>,
    table: Arc<Table>,
    target: Target,
    /// The database's set of running backfills, which this one leaves when it ends.
    running: Running,
    /// The last outbox entry a chunk staged (a global index of a table of several partitions).
    staged: Arc<std::sync::atomic::AtomicU64>,
}

impl Database {
    /// Starts filling index `index` of `table` in the background: in the partitions led here,
    /// on a table of several (each other partition's leader starts its own, see
    /// [`crate::Database::resume_background`]).
    pub(crate) fn start_backfills(&self, table: &Arc<Table>, index: u32) {
        let replicator = self.replicator.get();
        for partition in 0..table.partition_count() {
            if table.partition_count() == 1
                || replicator.leads(crate::replicate::Scope::Partition(table.id, partition))
            {
                self.start_backfill(table.clone(), index, partition);
            }
        }
    }

    /// Starts filling index `index` in partition `partition` of `table` in the background.
    pub(crate) fn start_backfill(&self, table: Arc<Table>, index: u32, partition: u32) {
        self.spawn_backfill(table, Target::Index(index, partition));
    }

    /// Starts filling the expiry index of partition `partition` of `table` (time to live just
    /// turned on).
    pub(crate) fn start_ttl_fill(&self, table: Arc<Table>, partition: u32) {
        self.spawn_backfill(table, Target::Expiry(partition));
    }

    fn spawn_backfill(&self, table: Arc<Table>, target: Target) {
        let key = (table.id, target);
        if !self.backfills.lock().insert(key) {
            return; // already running here
        }
        let job = Backfill {
            db: self.db.clone(),
            data: self.data,
            writers: self.writers.clone(),
            catalog: self.catalog.clone(),
            table,
            target,
            running: self.backfills.clone(),
            staged: Arc::default(),
        };
        let spawned = std::thread::Builder::new()
            .name("ferrodyn-backfill".to_owned())
            .spawn(move || job.run());
        if let Err(error) = spawned {
            self.backfills.lock().remove(&key);
            tracing::error!(%error, "cannot start an index backfill thread");
        }
    }

    /// Queues the removal of every entry of the deleted index `index` of `table`: of the
    /// partitions led here, on a table of several (each other partition's leader removes its
    /// own when it finds them, see [`crate::Database::resume_background`]).
    pub(crate) fn drop_index(&self, table: &Arc<Table>, index: u32) {
        let replicator = self.replicator.get();
        for partition in 0..table.partition_count() {
            if table.partition_count() == 1
                || replicator.leads(crate::replicate::Scope::Partition(table.id, partition))
            {
                self.drop_index_in(table, index, partition);
            }
        }
    }

    /// The keys of index `index` that partition `partition` of `table` holds.
    pub(crate) fn index_span(table: &Table, index: u32, partition: u32) -> (Vec<u8>, Vec<u8>) {
        if table.partition_count() == 1 {
            return (
                keys::index_prefix(table.id, index).to_vec(),
                keys::index_prefix(table.id, index + 1).to_vec(),
            );
        }
        keys::partition_span(table.id, index, partition, table.partition_count())
    }

    /// Queues the removal of partition `partition`'s entries of the deleted index `index`.
    pub(crate) fn drop_index_in(&self, table: &Arc<Table>, index: u32, partition: u32) {
        let (start, end) = Self::index_span(table, index, partition);
        let owner = table.clone();
        self.writers.submit(
            table.queue(partition),
            Box::new(move |group| {
                group.drop_range(&start, &end, index, owner.queue(partition).stats());
                Box::new(|result| {
                    if let Err(error) = result {
                        tracing::error!(%error, "dropping a deleted index failed");
                    }
                })
            }),
        );
    }
}

impl Backfill {
    fn run(self) {
        self.run_once();
        self.running.lock().remove(&(self.table.id, self.target));
    }

    fn run_once(&self) {
        let started = std::time::Instant::now();
        match self.fill() {
            Ok(Some(items)) => {
                let done = match self.target {
                    Target::Index(index, partition) => {
                        self.catalog.set_backfilled(&self.table, index, partition)
                    }
                    Target::Expiry(partition) => {
                        self.catalog.set_ttl_filled(&self.table, partition)
                    }
                };
                if let Err(error) = done {
                    tracing::error!(%error, table = %self.table.name, "cannot mark a backfill done");
                    return;
                }
                tracing::info!(
                    table = %self.table.name,
                    target = ?self.target,
                    items,
                    seconds = started.elapsed().as_secs_f64(),
                    "index backfilled"
                );
            }
            Ok(None) => {
                tracing::info!(table = %self.table.name, "index backfill abandoned: index or table gone")
            }
            Err(error) => {
                tracing::error!(message = %error.message, table = %self.table.name, "index backfill failed")
            }
        }
    }

    /// Walks the table; `None` if the index or the table went away meanwhile. Returns once
    /// every chunk is durable.
    fn fill(&self) -> ApiResult<Option<usize>> {
        // Each partition's items are walked by its own backfill.
        let (Target::Expiry(partition) | Target::Index(_, partition)) = self.target;
        let (start, end) = Database::index_span(&self.table, BASE_INDEX, partition);
        let mut lower = Bound::Included(start);
        let mut items = 0;
        let mut in_flight = VecDeque::with_capacity(CHUNKS_IN_FLIGHT);
        loop {
            if in_flight.len() == CHUNKS_IN_FLIGHT {
                wait(in_flight.pop_front())?;
            }
            if self.table.is_deleted() || !self.index_exists() {
                return Ok(None);
            }
            let range = (as_slice(&lower), Bound::Excluded(end.as_slice()));
            let mut chunk = Vec::with_capacity(CHUNK_ITEMS);
            for entry in self
                .db
                .iter(self.data, range, Direction::Forward)
                .map_err(internal)?
            {
                let (key, _) = entry.map_err(internal)?;
                chunk.push(key);
                if chunk.len() == CHUNK_ITEMS {
                    break;
                }
            }
            let Some(last) = chunk.last().cloned() else {
                while let Some(pending) = in_flight.pop_front() {
                    wait(Some(pending))?;
                }
                self.await_delivery(partition);
                return Ok(Some(items));
            };
            items += chunk.len();
            lower = Bound::Excluded(last);
            in_flight.push_back(self.index_chunk(chunk));
        }
    }

    /// On a table of several partitions, waits (a while) until the entries the chunks put in
    /// the outbox are delivered, so that the index is complete when it is `ACTIVE`.
    fn await_delivery(&self, partition: u32) {
        let staged = self.staged.load(std::sync::atomic::Ordering::Acquire);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while staged > 0
            && self.table.outbox(partition).delivered() < staged
            && std::time::Instant::now() < deadline
            && !self.table.is_deleted()
        {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    fn index_exists(&self) -> bool {
        let indexes = self.table.indexes();
        match self.target {
            Target::Index(id, _) => indexes.indexes.iter().any(|i| i.id == id),
            Target::Expiry(_) => indexes.ttl_attribute.is_some(),
        }
    }

    /// Queues the indexing of the items under `keys` as they will be when it runs, on the
    /// table's write path; the receiver gets the outcome once the chunk is durable.
    fn index_chunk(&self, keys: Vec<Vec<u8>>) -> mpsc::Receiver<ApiResult<()>> {
        let (sender, receiver) = mpsc::channel();
        let table = self.table.clone();
        let target = self.target;
        let (Target::Expiry(partition) | Target::Index(_, partition)) = target;
        let queue = self.table.queue(partition);
        let staged = self.staged.clone();
        self.writers.submit_background(
            queue,
            Box::new(move |group| {
                let decided = match target {
                    Target::Index(index_id, _) if table.partition_count() > 1 => {
                        index_items_through_outbox(group, &table, index_id, partition, keys).map(
                            |number| {
                                if let Some(number) = number {
                                    staged.fetch_max(number, std::sync::atomic::Ordering::AcqRel);
                                }
                            },
                        )
                    }
                    Target::Index(index_id, _) => index_items(group, &table, index_id, keys),
                    Target::Expiry(_) => expiry_items(group, &table, keys),
                };
                Box::new(move |durable| {
                    let _ = sender.send(decided.and(durable.map_err(internal)));
                })
            }),
        );
        receiver
    }
}

/// The outcome of a chunk submitted by [`Backfill::index_chunk`], once it is durable.
fn wait(pending: Option<mpsc::Receiver<ApiResult<()>>>) -> ApiResult<()> {
    let Some(receiver) = pending else {
        return Ok(());
    };
    receiver
        .recv()
        .unwrap_or_else(|_| Err(internal("the write path stopped during an index backfill")))
}

/// An index entry as stored: its storage key, its value and its DynamoDB size.
type StoredEntry = (Vec<u8>, Vec<u8>, usize);

/// The entry in index `index_id` of each item under `keys`, as the item is now; none if the
/// table or the index is gone.
fn entries_now(
    group: &Group<'_>,
    table: &Table,
    index_id: u32,
    keys: Vec<Vec<u8>>,
) -> ApiResult<Vec<StoredEntry>> {
    if table.is_deleted() {
        return Ok(Vec::new());
    }
    let indexes = table.indexes();
    let Some(index) = indexes.indexes.iter().find(|i| i.id == index_id) else {
        return Ok(Vec::new());
    };
    debug_assert_eq!(index.state, IndexState::Backfilling);
    let mut entries = Vec::with_capacity(keys.len());
    for key in keys {
        let Some(bytes) = group.get(&key).map_err(internal)? else {
            continue;
        };
        let item = stored::decode(&bytes)?;
        let Some(entry) = index.entry(table.id, &table.schema, &item) else {
            continue;
        };
        // An entry that is the whole item is stored exactly as the item is.
        let value = if entry.is_whole_item() && stored::size(&bytes)? == entry.size {
            bytes
        } else {
            stored::encode(&entry.item, entry.size)
        };
        entries.push((entry.key, value, entry.size));
    }
    Ok(entries)
}

/// Writes the entries of the items under `keys` in index `index_id`, as the items are now.
fn index_items(
    group: &mut Group<'_>,
    table: &Table,
    index_id: u32,
    keys: Vec<Vec<u8>>,
) -> ApiResult<()> {
    for (key, value, size) in entries_now(group, table, index_id, keys)? {
        let existing = group.get(&key).map_err(internal)?;
        let existing_size = existing.as_deref().map(stored::size).transpose()?;
        group.count_entry_change(index_id, existing_size, Some(size));
        group.put(key, value);
    }
    Ok(())
}

/// Like [`index_items`] on a table of several partitions: the entries of the items under `keys`
/// (all in partition `partition`) go to the partitions their keys hash to through the
/// partition's outbox, in order with the item's other changes. Returns the outbox entry's
/// number, if one was staged.
fn index_items_through_outbox(
    group: &mut Group<'_>,
    table: &Table,
    index_id: u32,
    partition: u32,
    keys: Vec<Vec<u8>>,
) -> ApiResult<Option<u64>> {
    let ops: Vec<crate::outbox::Op> = entries_now(group, table, index_id, keys)?
        .into_iter()
        .map(|(key, value, _)| crate::outbox::Op::Put {
            index: index_id,
            key,
            value,
        })
        .collect();
    if ops.is_empty() {
        return Ok(None);
    }
    crate::outbox::stage(group, table.id, partition, &ops).map(Some)
}

/// Writes the expiry-index entries of the items under `keys`, as they are now.
fn expiry_items(group: &mut Group<'_>, table: &Table, keys: Vec<Vec<u8>>) -> ApiResult<()> {
    let indexes = table.indexes();
    let Some(attribute) = indexes.ttl_attribute.as_deref() else {
        return Ok(());
    };
    for key in keys {
        let Some(bytes) = group.get(&key).map_err(internal)? else {
            continue;
        };
        let item = stored::decode(&bytes)?;
        if let Some(expiry) = ttl::expiry(&item, attribute) {
            group.put(ttl::ttl_key(table, expiry, &key), Vec::new());
        }
    }
    Ok(())
}

fn as_slice(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    match bound {
        Bound::Included(key) => Bound::Included(key.as_slice()),
        Bound::Excluded(key) => Bound::Excluded(key.as_slice()),
        Bound::Unbounded => Bound::Unbounded,
    }
}
