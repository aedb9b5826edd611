//! Filling a global secondary index added to a table that already has items, and dropping the
//! entries of a deleted index.
//!
//! A new index is written by every write from the moment UpdateTable returns (its state is
//! `Backfilling`). A background thread then walks the table's keys in chunks; for each chunk it
//! submits a mutation to the table's write path that re-reads those items *as they are now* and
//! writes their entries. Because the mutation runs in the partition's write order, a chunk never
//! resurrects an item deleted meanwhile nor overwrites a newer entry with an older one: it sees
//! exactly what the writes before it left. When the walk ends the index becomes `Active`.
//! Items whose index key attribute has the wrong type are skipped, as DynamoDB skips them.

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
use crate::writer::{Group, WriterPool};

/// Items re-read and indexed per mutation.
const CHUNK_ITEMS: usize = 512;

/// What a backfill thread needs of the database.
struct Backfill {
    db: Db,
    data: Keyspace,
    writers: Arc<WriterPool>,
    catalog: Arc<Catalog>,
    table: Arc<Table>,
    index: u32,
}

impl Database {
    /// Starts filling index `index` of `table` in the background.
    pub(crate) fn start_backfill(&self, table: Arc<Table>, index: u32) {
        let job = Backfill {
            db: self.db.clone(),
            data: self.data,
            writers: self.writers.clone(),
            catalog: self.catalog.clone(),
            table,
            index,
        };
        let spawned = std::thread::Builder::new()
            .name("ferrodyn-backfill".to_owned())
            .spawn(move || job.run());
        if let Err(error) = spawned {
            tracing::error!(%error, "cannot start an index backfill thread");
        }
    }

    /// Queues the removal of every entry of the deleted index `index` of `table`.
    pub(crate) fn drop_index(&self, table: &Arc<Table>, index: u32) {
        let start = keys::index_prefix(table.id, index);
        let end = keys::index_prefix(table.id, index + 1);
        let owner = table.clone();
        self.writers.submit(
            &table.queue,
            Box::new(move |group| {
                group.drop_range(&start, &end, index, owner.queue.stats());
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
        let started = std::time::Instant::now();
        match self.fill() {
            Ok(Some(items)) => {
                if let Err(error) = self.catalog.set_backfilled(&self.table, self.index) {
                    tracing::error!(%error, table = %self.table.name, "cannot mark an index active");
                    return;
                }
                tracing::info!(
                    table = %self.table.name,
                    index = self.index,
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

    /// Walks the table; `None` if the index or the table went away meanwhile.
    fn fill(&self) -> ApiResult<Option<usize>> {
        let end = keys::index_prefix(self.table.id, BASE_INDEX + 1).to_vec();
        let mut lower = Bound::Included(keys::index_prefix(self.table.id, BASE_INDEX).to_vec());
        let mut items = 0;
        loop {
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
                return Ok(Some(items));
            };
            items += chunk.len();
            lower = Bound::Excluded(last);
            self.index_chunk(chunk)?;
        }
    }

    fn index_exists(&self) -> bool {
        self.table
            .indexes()
            .indexes
            .iter()
            .any(|i| i.id == self.index)
    }

    /// Indexes the items under `keys` as they are now, on the table's write path.
    fn index_chunk(&self, keys: Vec<Vec<u8>>) -> ApiResult<()> {
        let (sender, receiver) = mpsc::channel();
        let table = self.table.clone();
        let index_id = self.index;
        self.writers.submit(
            &self.table.queue,
            Box::new(move |group| {
                let decided = index_items(group, &table, index_id, keys);
                Box::new(move |durable| {
                    let _ = sender.send(decided.and(durable.map_err(internal)));
                })
            }),
        );
        receiver
            .recv()
            .unwrap_or_else(|_| Err(internal("the write path stopped during an index backfill")))
    }
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
        group.put(entry.key, stored::encode(&entry.item, entry.size));
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
