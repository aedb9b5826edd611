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
    /// A global secondary index, by id.
    Index(u32),
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
}

impl Database {
    /// Starts filling index `index` of `table` in the background.
    pub(crate) fn start_backfill(&self, table: Arc<Table>, index: u32) {
        self.spawn_backfill(table, Target::Index(index));
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
        };
        let spawned = std::thread::Builder::new()
            .name("ferrodyn-backfill".to_owned())
            .spawn(move || job.run());
        if let Err(error) = spawned {
            self.backfills.lock().remove(&key);
            tracing::error!(%error, "cannot start an index backfill thread");
        }
    }

    /// Queues the removal of every entry of the deleted index `index` of `table`.
    pub(crate) fn drop_index(&self, table: &Arc<Table>, index: u32) {
        let start = keys::index_prefix(table.id, index);
        let end = keys::index_prefix(table.id, index + 1);
        let owner = table.clone();
        self.writers.submit(
            table.index_queue(),
            Box::new(move |group| {
                group.drop_range(&start, &end, index, owner.index_queue().stats());
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
                    Target::Index(index) => self.catalog.set_backfilled(&self.table, index),
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
        // An expiry index is filled per partition (a table of several has one per partition);
        // a global index belongs to a table of one partition.
        let (start, end) = match self.target {
            Target::Expiry(partition) => keys::partition_span(
                self.table.id,
                BASE_INDEX,
                partition,
                self.table.partition_count(),
            ),
            Target::Index(_) => (
                keys::index_prefix(self.table.id, BASE_INDEX).to_vec(),
                keys::index_prefix(self.table.id, BASE_INDEX + 1).to_vec(),
            ),
        };
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
                return Ok(Some(items));
            };
            items += chunk.len();
            lower = Bound::Excluded(last);
            in_flight.push_back(self.index_chunk(chunk));
        }
    }

    fn index_exists(&self) -> bool {
        let indexes = self.table.indexes();
        match self.target {
            Target::Index(id) => indexes.indexes.iter().any(|i| i.id == id),
            Target::Expiry(_) => indexes.ttl_attribute.is_some(),
        }
    }

    /// Queues the indexing of the items under `keys` as they will be when it runs, on the
    /// table's write path; the receiver gets the outcome once the chunk is durable.
    fn index_chunk(&self, keys: Vec<Vec<u8>>) -> mpsc::Receiver<ApiResult<()>> {
        let (sender, receiver) = mpsc::channel();
        let table = self.table.clone();
        let target = self.target;
        let queue = match target {
            Target::Index(_) => self.table.index_queue(),
            Target::Expiry(partition) => self.table.queue(partition),
        };
        self.writers.submit_background(
            queue,
            Box::new(move |group| {
                let decided = match target {
                    Target::Index(index_id) => index_items(group, &table, index_id, keys),
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

fn index_items(
    group: &mut Group<'_>,
    table: &Table,
    index_id: u32,
    keys: Vec<Vec<u8>>,
) -> ApiResult<()> {
    if table.is_deleted() {
        return Ok(());
    }
    let indexes = table.indexes();
    let Some(index) = indexes.indexes.iter().find(|i| i.id == index_id) else {
        return Ok(());
    };
    debug_assert_eq!(index.state, IndexState::Backfilling);
    for key in keys {
        let Some(bytes) = group.get(&key).map_err(internal)? else {
            continue;
        };
        let item = stored::decode(&bytes)?;
        let Some(entry) = index.entry(table.id, &table.schema, &item) else {
            continue;
        };
        let existing = group.get(&entry.key).map_err(internal)?;
        let existing_size = existing.as_deref().map(stored::size).transpose()?;
        group.count_entry_change(index.id, existing_size, Some(entry.size));
        // An entry that is the whole item is stored exactly as the item is.
        let value = if entry.is_whole_item() && stored::size(&bytes)? == entry.size {
            bytes.clone()
        } else {
            stored::encode(&entry.item, entry.size)
        };
        group.put(entry.key, value);
    }
    Ok(())
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
