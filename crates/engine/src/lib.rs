//! One node's database: the table catalog, partition stores over the storage engine, and the
//! execution of DynamoDB operations.
//!
//! A request arrives decoded and validated by `ferrodyn_api` (everything that needs no table);
//! [`Database::execute`] finds the table and runs the operation:
//! - reads (GetItem, Query, Scan, BatchGetItem) go straight to the storage engine, which only
//!   ever shows durable writes;
//! - writes become mutations on the partition's ordered write path ([`writer`]): evaluated one at
//!   a time against the current item, grouped, made durable with one WAL sync, then answered.
//!
//! Modules:
//! - [`catalog`]: table definitions, durable in the `meta` keyspace.
//! - [`keys`]: the layout of item keys in the `data` keyspace.
//! - [`writer`]: the partition write path (the single-node replicator).
//! - `table_ops`, `item_ops`, `query`, `batch`: the operations.
//! - [`describe`]: the `TableDescription` of a table.

pub mod catalog;
pub mod describe;
pub mod index;
pub mod keys;
pub mod replicate;
pub mod route;
pub mod writer;

mod backfill;
mod batch;
mod change;
mod clock;
mod item_ops;
pub mod outbox;
mod query;
mod stored;
pub mod stream;
mod table_ops;
pub mod ttl;

pub use query::{PageProgress, PageShare};

use std::sync::Arc;

use ferrodyn_api::{ApiError, ApiResult, Request, Response};
use ferrodyn_storage::{Db, Durability, Keyspace};

use catalog::{Catalog, Table};
use describe::Location;
use replicate::{LocalReplicator, Replicator};
use writer::{ReplicatorSlot, WriterPool};

/// How to open a [`Database`].
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// The storage engine's options (path, file system, memory budgets).
    pub storage: ferrodyn_storage::Options,
    /// When writes are acknowledged.
    pub durability: Durability,
    /// Region shown in ARNs.
    pub region: String,
    /// Account id shown in ARNs.
    pub account: String,
    /// What DescribeEndpoints answers (`host:port`).
    pub endpoint_address: String,
    /// Threads committing writes. Default 4.
    pub writer_threads: usize,
    /// How the time-to-live sweeper runs and how long stream records are kept.
    pub sweep: ttl::SweepSettings,
    /// The node will be a cluster member: it writes nothing (and runs no background job) until
    /// [`Database::set_replicator`] gives it the cluster's replicator.
    pub replicated: bool,
    /// How many partitions a new table gets (1 on a single node; see
    /// [`catalog::TableRecord::partitions`]).
    pub table_partitions: u32,
}

impl DatabaseConfig {
    /// Defaults for a database with `storage`: sync durability, `us-east-1`, account
    /// `000000000000`.
    pub fn new(storage: ferrodyn_storage::Options) -> Self {
        Self {
            storage,
            durability: Durability::Sync,
            region: "us-east-1".to_owned(),
            account: "000000000000".to_owned(),
            endpoint_address: "127.0.0.1:8000".to_owned(),
            writer_threads: 4,
            sweep: ttl::SweepSettings::default(),
            replicated: false,
            table_partitions: 1,
        }
    }
}

/// One node's database. `Send + Sync`; share it behind an `Arc`.
#[derive(Debug)]
pub struct Database {
    db: Db,
    data: Keyspace,
    meta: Keyspace,
    catalog: Arc<Catalog>,
    replicator: Arc<ReplicatorSlot>,
    writers: Arc<WriterPool>,
    location: Location,
    endpoint_address: String,
    sweeper: ttl::Sweeper,
    stream_retention_ms: u64,
    /// Backfills running on this node: (table id, what they fill).
    backfills: backfill::Running,
    /// Partitions of a new table that can have several.
    table_partitions: u32,
    /// Delivers the global index changes of tables of several partitions.
    shipper: outbox::Shipper,
}

/// The database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The storage engine could not open its files (locked, damaged, unreadable).
    #[error(transparent)]
    Storage(#[from] ferrodyn_storage::Error),
    /// The catalog is damaged.
    #[error("the table catalog cannot be read: {0}")]
    Catalog(#[from] catalog::CatalogError),
}

impl Database {
    /// Opens (creating if missing) the database, recovering from a crash if there was one.
    pub fn open(config: DatabaseConfig) -> Result<Database, OpenError> {
        let db = Db::open(config.storage)?;
        let data = db.keyspace("data")?;
        let meta = db.keyspace("meta")?;
        let replicator: Arc<dyn Replicator> = if config.replicated {
            Arc::new(replicate::DetachedReplicator)
        } else {
            Arc::new(LocalReplicator::new(db.clone()))
        };
        let replicator = Arc::new(ReplicatorSlot::new(replicator));
        let catalog = Arc::new(Catalog::load(db.clone(), data, meta, replicator.clone())?);
        let writers = Arc::new(WriterPool::start(
            db.clone(),
            replicator.clone(),
            config.durability,
            config.writer_threads,
        ));
        let sweeper = ttl::Sweeper::start(
            db.clone(),
            data,
            catalog.clone(),
            writers.clone(),
            replicator.clone(),
            config.sweep.clone(),
        );
        let shipper = outbox::Shipper::start(
            db.clone(),
            data,
            catalog.clone(),
            writers.clone(),
            replicator.clone(),
        );
        let database = Database {
            sweeper,
            shipper,
            stream_retention_ms: config.sweep.stream_retention.as_millis() as u64,
            backfills: Arc::default(),
            table_partitions: config.table_partitions.clamp(1, 64),
            db,
            data,
            meta,
            catalog,
            replicator,
            writers,
            location: Location {
                region: config.region,
                account: config.account,
            },
            endpoint_address: config.endpoint_address,
        };
        // Backfills interrupted by a restart start over (they are idempotent). In a cluster they
        // belong to the tables' leaders, which are not known yet.
        if !config.replicated {
            for table in database.catalog.all() {
                for partition in 0..table.partition_count() {
                    database.resume_background(table.id, partition);
                }
            }
        }
        Ok(database)
    }

    /// Starts the background work that partition `partition` of table `id` still needs and
    /// that does not run on this node already: after a restart, or when this node becomes the
    /// leader of the partition's replica group. Backfills are idempotent. That is: filling the
    /// global indexes being created (first partition: global indexes belong to tables of one
    /// partition), filling the partition's expiry index while time to live is being turned on,
    /// and dropping it once time to live is off (a table of several partitions: each partition's
    /// leader drops its own).
    pub fn resume_background(&self, id: keys::TableId, partition: u32) {
        let Some(table) = self.catalog.by_id(id) else {
            return;
        };
        if partition >= table.partition_count() {
            return;
        }
        let backfilling: Vec<u32> = table
            .record
            .read()
            .global_indexes
            .iter()
            .filter(|i| i.backfilling && !i.filled.contains(&partition))
            .map(|i| i.id)
            .collect();
        for index in backfilling {
            self.start_backfill(table.clone(), index, partition);
        }
        if table.partition_count() > 1 {
            self.drop_deleted_indexes(&table, partition);
        }
        let ttl = table.record.read().ttl.clone();
        match ttl {
            Some(ttl) if ttl.enabled && ttl.filling && !ttl.filled.contains(&partition) => {
                self.start_ttl_fill(table.clone(), partition);
            }
            Some(ttl) if ttl.enabled => {}
            Some(_) if table.partition_count() > 1 => {
                let (start, end) = keys::partition_section(table.id, ttl::TTL_INDEX, partition);
                if self.holds_any(&start, &end) {
                    self.drop_expiry_index(&table, partition);
                }
            }
            _ => {}
        }
    }

    /// Removes what partition `partition` of a table of several still holds of its deleted
    /// indexes (the node that ran UpdateTable removed only the partitions it leads).
    fn drop_deleted_indexes(&self, table: &Arc<Table>, partition: u32) {
        let (next, live): (u32, Vec<u32>) = {
            let record = table.record.read();
            let live = record
                .local_indexes
                .iter()
                .chain(&record.global_indexes)
                .map(|index| index.id)
                .collect();
            (record.next_index_id, live)
        };
        for index in (1..next).filter(|id| !live.contains(id)) {
            let (start, end) = Database::index_span(table, index, partition);
            if self.holds_any(&start, &end) {
                self.drop_index_in(table, index, partition);
            }
        }
    }

    /// Whether this node's storage has a key in `start..end` of the `data` keyspace.
    fn holds_any(&self, start: &[u8], end: &[u8]) -> bool {
        let range = (
            std::ops::Bound::Included(start),
            std::ops::Bound::Excluded(end),
        );
        self.db
            .iter(self.data, range, ferrodyn_storage::Direction::Forward)
            .is_ok_and(|mut entries| entries.next().is_some())
    }

    /// Runs `request`; with `share`, a Scan as one partition's share of a page (see
    /// [`Database::scan_in`]) or a BatchGetItem as one share of the batch (its answer's size
    /// limit counts the bytes the earlier shares answered), and then says how far the page got.
    pub async fn execute_in(
        &self,
        request: Request,
        share: Option<query::PageShare>,
    ) -> ApiResult<(Response, Option<query::PageProgress>)> {
        match (request, share) {
            (Request::Scan(request), Some(_)) => {
                let (output, progress) = self.scan_in(request, share)?;
                Ok((Response::Scan(output), Some(progress)))
            }
            (Request::BatchGetItem(request), Some(share)) => {
                let (output, bytes) = self.batch_get_share(request, share.bytes_before as usize)?;
                let progress = query::PageProgress {
                    bytes_read: bytes as u64,
                    fetched_bytes: 0,
                    exhausted: bytes < batch::RESPONSE_BYTES_MAX,
                };
                Ok((Response::BatchGetItem(output), Some(progress)))
            }
            (request, _) => Ok((self.execute(request).await?, None)),
        }
    }

    /// Runs one request.
    pub async fn execute(&self, request: Request) -> ApiResult<Response> {
        Ok(match request {
            Request::CreateTable(input) => Response::CreateTable(self.create_table(input)?),
            Request::DescribeTable(input) => Response::DescribeTable(self.describe_table(input)?),
            Request::ListTables(input) => Response::ListTables(self.list_tables(input)?),
            Request::DeleteTable(input) => Response::DeleteTable(self.delete_table(input).await?),
            Request::UpdateTable(input) => Response::UpdateTable(self.update_table(input)?),
            Request::TagResource(input) => {
                self.tag_resource(input)?;
                Response::TagResource
            }
            Request::UntagResource(input) => {
                self.untag_resource(input)?;
                Response::UntagResource
            }
            Request::ListTagsOfResource(input) => {
                Response::ListTagsOfResource(self.list_tags_of_resource(input)?)
            }
            Request::DescribeLimits(_) => Response::DescribeLimits(self.describe_limits()),
            Request::DescribeEndpoints(_) => Response::DescribeEndpoints(self.describe_endpoints()),
            Request::PutItem(request) => Response::PutItem(self.put_item(request).await?),
            Request::GetItem(request) => Response::GetItem(self.get_item(request)?),
            Request::UpdateItem(request) => Response::UpdateItem(self.update_item(request).await?),
            Request::DeleteItem(request) => Response::DeleteItem(self.delete_item(request).await?),
            Request::Query(request) => Response::Query(self.query(request)?),
            Request::Scan(request) => Response::Scan(self.scan(request)?),
            Request::BatchGetItem(request) => Response::BatchGetItem(self.batch_get_item(request)?),
            Request::BatchWriteItem(input) => {
                Response::BatchWriteItem(self.batch_write_item(input).await?)
            }
            Request::UpdateTimeToLive(input) => {
                Response::UpdateTimeToLive(self.update_time_to_live(input)?)
            }
            Request::DescribeTimeToLive(input) => {
                Response::DescribeTimeToLive(self.describe_time_to_live(input)?)
            }
            Request::ListStreams(input) => Response::ListStreams(self.list_streams(input)?),
            Request::DescribeStream(input) => {
                Response::DescribeStream(self.describe_stream(input)?)
            }
            Request::GetShardIterator(input) => {
                Response::GetShardIterator(self.get_shard_iterator(input)?)
            }
            Request::GetRecords(input) => Response::GetRecords(self.get_records(input)?),
        })
    }

    /// Waits for queued writes, stops the writer threads, flushes the memtable (so the next
    /// start has no log to replay) and closes the storage engine.
    pub fn close(&self) -> Result<(), ferrodyn_storage::Error> {
        self.sweeper.stop();
        self.shipper.stop();
        self.writers.stop();
        self.db.flush()?;
        self.db.clone().close()
    }

    /// Number of tables.
    pub fn table_count(&self) -> usize {
        self.catalog.len()
    }

    /// The region and account this endpoint's tables belong to (their ARNs name them).
    pub fn region_and_account(&self) -> (&str, &str) {
        (&self.location.region, &self.location.account)
    }

    /// The node's storage engine (the cluster keeps its Raft state in it too).
    pub fn storage(&self) -> &Db {
        &self.db
    }

    /// Makes every later write go through `replicator` (a node joining a cluster).
    pub fn set_replicator(&self, replicator: Arc<dyn Replicator>) {
        self.replicator.set(replicator);
    }

    /// The storage keyspaces the engine writes: `(data, meta)`.
    pub fn keyspaces(&self) -> (Keyspace, Keyspace) {
        (self.data, self.meta)
    }

    /// Brings the engine's in-memory views (tables, statistics, stream positions) in step with
    /// `batch`, a batch of the engine's that a replica applied to storage from a replication log.
    ///
    /// # Errors
    /// A table definition in the batch does not parse.
    pub fn observe_applied(&self, batch: &ferrodyn_storage::WriteBatch) -> Result<(), OpenError> {
        use ferrodyn_storage::Operation;
        for operation in batch.operations() {
            match operation {
                Operation::Put {
                    keyspace,
                    key,
                    value,
                } if keyspace == self.meta => self.catalog.observe(key, Some(value))?,
                Operation::Delete { keyspace, key } if keyspace == self.meta => {
                    self.catalog.observe(key, None)?
                }
                Operation::DeleteRange {
                    keyspace, start, ..
                } if keyspace == self.meta => self.catalog.observe_range_deletion(start),
                Operation::Put { keyspace, key, .. } if keyspace == self.data => {
                    if let Some((table, partition, sequence)) = stream::sequence_in(key)
                        && let Some(table) = self.catalog.by_id(table)
                        && partition < table.partition_count()
                    {
                        table.queue(partition).observe_stream_sequence(sequence);
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Reloads the engine's in-memory views from storage after a replica's state was replaced
    /// wholesale (a snapshot installed).
    ///
    /// # Errors
    /// A stored table definition does not parse, or storage fails.
    pub fn reload_views(&self) -> Result<(), OpenError> {
        self.catalog.reload()?;
        Ok(())
    }

    /// The storage engine's counters.
    pub fn storage_metrics(&self) -> ferrodyn_storage::Metrics {
        self.db.metrics()
    }

    /// Why the storage engine stopped accepting writes, if it has (see
    /// [`Db::write_failure`]).
    pub fn storage_failure(&self) -> Option<String> {
        self.db.write_failure()
    }

    /// The table called `name`, for the control-plane operations (whose not-found message names
    /// the table).
    fn table_named(&self, name: &str) -> ApiResult<Arc<Table>> {
        self.catalog
            .get(name)
            .ok_or_else(|| ApiError::table_not_found(name))
    }

    /// The table called `name`, for the data-plane operations.
    fn table_for_items(&self, name: &str) -> ApiResult<Arc<Table>> {
        self.catalog
            .get(name)
            .ok_or_else(ApiError::resource_not_found)
    }
}
