//! Time to live: UpdateTimeToLive / DescribeTimeToLive, the expiry index, and the sweeper that
//! deletes expired items (and trims old stream records).
//!
//! While time to live is on, every item whose TTL attribute is a Number has an entry in the
//! table's expiry index, kept in step by the write path like a secondary index:
//!
//! ```text
//! table_id u32 BE | TTL_INDEX u32 BE | [partition u32 BE] | expiry seconds u64 BE |
//!     hash64(pk) | enc(pk) | enc(sk)
//! ```
//!
//! (the partition number only in tables of several partitions: each partition has its own
//! expiry index, one range of its replica group, filled and swept by its leader), so the
//! sweeper reads only what has expired (a range up to now), never the whole table. It
//! deletes each expired item through the table's write path, re-reading it first: an item
//! renewed meanwhile stays. Like DynamoDB it leaves alone items whose attribute is not a
//! Number, or holds a time more than five years past; expired items are readable until deleted.
//! Deletions are paced (at most [`SweepSettings::deletes_per_second`], and never more than half
//! the sweeper's time, so the rate falls when foreground writes make its work slower) so
//! foreground traffic keeps the writer.

use std::ops::Bound;
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ferrodyn_api::wire::*;
use ferrodyn_api::{ApiError, ApiResult};
use ferrodyn_model::{AttributeValue, Item};
use ferrodyn_storage::{Db, Direction, Keyspace};
use parking_lot::{Condvar, Mutex};

use crate::Database;
use crate::catalog::{Catalog, Table, TtlRecord};
use crate::change::{Change, Version, stage_change};
use crate::clock;
use crate::keys::{self, BASE_INDEX};
use crate::replicate::Scope;
use crate::stored;
use crate::stream::{self, Cause};
use crate::table_ops::{catalog_failed, internal};
use crate::writer::{Group, ReplicatorSlot, WriterPool};

/// `index_id` of a table's expiry index.
pub const TTL_INDEX: u32 = u32::MAX - 1;

/// Items whose expiry is further in the past than this are never deleted (DynamoDB's rule).
const FIVE_YEARS_S: u64 = 5 * 365 * 24 * 3600;

/// A change of time to live within this long of the previous one is refused, as DynamoDB does.
const CHANGE_INTERVAL_S: f64 = 3600.0;

/// Expired items deleted per write-path mutation.
const SWEEP_CHUNK: usize = 512;

/// How the sweeper runs.
#[derive(Debug, Clone)]
pub struct SweepSettings {
    /// Time between sweeps. Default 1 s.
    pub interval: Duration,
    /// Upper bound on expired items deleted per second. Default 20,000.
    pub deletes_per_second: u32,
    /// How long stream records are kept. Default 24 hours.
    pub stream_retention: Duration,
}

impl Default for SweepSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            deletes_per_second: 20_000,
            stream_retention: Duration::from_secs(24 * 3600),
        }
    }
}

/// The expiry of `item` under time-to-live attribute `attribute`: a Number of seconds since the
/// epoch (fractions dropped); `None` for anything else.
pub fn expiry(item: &Item, attribute: &str) -> Option<u64> {
    let AttributeValue::N(number) = item.get(attribute)? else {
        return None;
    };
    let seconds: f64 = number.to_string().parse().ok()?;
    (0.0..1.8e19)
        .contains(&seconds)
        .then(|| seconds.floor() as u64)
}

/// The start of the expiry index of partition `partition` of `table` (of the whole table's, for
/// a table of one partition): what follows is the expiry.
fn expiry_prefix(table: &Table, partition: u32) -> Vec<u8> {
    let mut prefix = keys::index_prefix(table.id, TTL_INDEX).to_vec();
    if table.partition_count() > 1 {
        prefix.extend_from_slice(&partition.to_be_bytes());
    }
    prefix
}

/// The expiry-index key of the item stored under `storage_key` (a base-table key).
pub fn ttl_key(table: &Table, expiry: u64, storage_key: &[u8]) -> Vec<u8> {
    let mut key = expiry_prefix(table, table.partition_of_key(storage_key));
    key.extend_from_slice(&expiry.to_be_bytes());
    key.extend_from_slice(&storage_key[8..]);
    key
}

/// The base-table key an expiry-index key points at, and the expiry.
fn item_of(table: &Table, ttl_key: &[u8]) -> Option<(Vec<u8>, u64)> {
    let at = if table.partition_count() > 1 { 12 } else { 8 };
    let expiry = u64::from_be_bytes(ttl_key.get(at..at + 8)?.try_into().ok()?);
    let mut key = keys::index_prefix(table.id, BASE_INDEX).to_vec();
    key.extend_from_slice(ttl_key.get(at + 8..)?);
    Some((key, expiry))
}

/// Stages the expiry-index change of an item going from `old` to `new`.
pub fn stage_expiry(
    group: &mut Group<'_>,
    table: &Table,
    attribute: &str,
    storage_key: &[u8],
    old: Option<&Item>,
    new: Option<&Item>,
) {
    let before = old.and_then(|item| expiry(item, attribute));
    let after = new.and_then(|item| expiry(item, attribute));
    if before == after {
        return;
    }
    if let Some(before) = before {
        group.delete(ttl_key(table, before, storage_key));
    }
    if let Some(after) = after {
        group.put(ttl_key(table, after, storage_key), Vec::new());
    }
}

impl Database {
    /// UpdateTimeToLive.
    pub fn update_time_to_live(
        &self,
        input: UpdateTimeToLiveInput,
    ) -> ApiResult<UpdateTimeToLiveOutput> {
        let table = self.table_named(&input.table_name)?;
        let spec = &input.time_to_live_specification;
        let mut record = table.record.read().clone();
        let now = clock::now_seconds();
        let current = record.ttl.clone();
        let enabled = current.as_ref().is_some_and(|t| t.enabled);
        if spec.enabled && enabled {
            let current = current.as_ref().expect("enabled time to live has a record");
            return Err(if current.attribute == spec.attribute_name {
                ApiError::time_to_live_already_enabled()
            } else {
                ApiError::time_to_live_on_other_attribute(&current.attribute)
            });
        }
        if !spec.enabled && !enabled {
            return Err(ApiError::time_to_live_already_disabled());
        }
        // Disabling names the attribute time to live is on; like the checks above, this comes
        // before the limit on how often the setting may change.
        if let Some(current) = current.as_ref().filter(|t| t.enabled && !spec.enabled)
            && current.attribute != spec.attribute_name
        {
            return Err(ApiError::time_to_live_on_other_attribute(
                &current.attribute,
            ));
        }
        if current
            .as_ref()
            .is_some_and(|t| now - t.changed_at < CHANGE_INTERVAL_S)
        {
            return Err(ApiError::time_to_live_modified_too_often());
        }
        record.ttl = Some(TtlRecord {
            attribute: spec.attribute_name.clone(),
            enabled: spec.enabled,
            filling: spec.enabled,
            filled: Vec::new(),
            changed_at: now,
        });
        self.catalog
            .update(&table, record)
            .map_err(catalog_failed)?;
        // Each partition's expiry index is filled, or dropped, by its leader: here for the
        // partitions led here, and on the other leaders by their next reconciliation (see
        // `Database::resume_background`).
        let replicator = self.replicator.get();
        for partition in 0..table.partition_count() {
            if !replicator.leads(Scope::Partition(table.id, partition)) {
                continue;
            }
            if spec.enabled {
                self.start_ttl_fill(table.clone(), partition);
            } else {
                self.drop_expiry_index(&table, partition);
            }
        }
        Ok(UpdateTimeToLiveOutput {
            time_to_live_specification: spec.clone(),
        })
    }

    /// DescribeTimeToLive.
    pub fn describe_time_to_live(
        &self,
        input: DescribeTimeToLiveInput,
    ) -> ApiResult<DescribeTimeToLiveOutput> {
        let table = self.table_named(&input.table_name)?;
        let record = table.record.read();
        let description = match &record.ttl {
            None => TimeToLiveDescription {
                time_to_live_status: Some(TimeToLiveStatus::Disabled),
                attribute_name: None,
            },
            Some(ttl) if !ttl.enabled => TimeToLiveDescription {
                time_to_live_status: Some(TimeToLiveStatus::Disabled),
                attribute_name: None,
            },
            Some(ttl) => TimeToLiveDescription {
                time_to_live_status: Some(if ttl.filling {
                    TimeToLiveStatus::Enabling
                } else {
                    TimeToLiveStatus::Enabled
                }),
                attribute_name: Some(ttl.attribute.clone()),
            },
        };
        Ok(DescribeTimeToLiveOutput {
            time_to_live_description: description,
        })
    }

    /// Queues the removal of the expiry index of partition `partition` of `table` (time to live
    /// turned off).
    pub(crate) fn drop_expiry_index(&self, table: &Arc<Table>, partition: u32) {
        let (start, end) = if table.partition_count() > 1 {
            keys::partition_section(table.id, TTL_INDEX, partition)
        } else {
            (
                keys::index_prefix(table.id, TTL_INDEX).to_vec(),
                keys::index_prefix(table.id, TTL_INDEX + 1).to_vec(),
            )
        };
        self.writers.submit(
            table.queue(partition),
            Box::new(move |group| {
                group.delete_range(&start, &end);
                Box::new(|result| {
                    if let Err(error) = result {
                        tracing::error!(%error, "dropping an expiry index failed");
                    }
                })
            }),
        );
    }
}

/// The background sweeper: deletes expired items and trims old stream records.
#[derive(Debug)]
pub struct Sweeper {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// What the sweeper needs of the database.
struct SweepJob {
    db: Db,
    data: Keyspace,
    catalog: Arc<Catalog>,
    writers: Arc<WriterPool>,
    replicator: Arc<ReplicatorSlot>,
    settings: SweepSettings,
    stop: Arc<(Mutex<bool>, Condvar)>,
}

impl Sweeper {
    /// Starts sweeping every `settings.interval`.
    pub(crate) fn start(
        db: Db,
        data: Keyspace,
        catalog: Arc<Catalog>,
        writers: Arc<WriterPool>,
        replicator: Arc<ReplicatorSlot>,
        settings: SweepSettings,
    ) -> Sweeper {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let job = SweepJob {
            db,
            data,
            catalog,
            writers,
            replicator,
            settings,
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("ferrodyn-ttl".to_owned())
            .spawn(move || job.run())
            .map_err(|error| tracing::error!(%error, "cannot start the time-to-live sweeper"))
            .ok();
        Sweeper {
            stop,
            thread: Mutex::new(thread),
        }
    }

    /// Stops the sweeper and waits for it.
    pub(crate) fn stop(&self) {
        *self.stop.0.lock() = true;
        self.stop.1.notify_all();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }
}

impl SweepJob {
    fn run(self) {
        let mut last_trim = Instant::now();
        loop {
            {
                let mut stopped = self.stop.0.lock();
                if !*stopped {
                    self.stop.1.wait_for(&mut stopped, self.settings.interval);
                }
                if *stopped {
                    return;
                }
            }
            let replicator = self.replicator.get();
            for table in self.catalog.all() {
                let ttl = table.record.read().ttl.clone();
                let Some(ttl) = ttl.filter(|t| t.enabled && !t.filling) else {
                    continue;
                };
                // In a cluster, only the leader of a partition's group sweeps it.
                for partition in 0..table.partition_count() {
                    if !replicator.leads(Scope::Partition(table.id, partition)) {
                        continue;
                    }
                    if let Err(error) = self.sweep(&table, partition, &ttl.attribute) {
                        tracing::warn!(table = %table.name, message = %error.message, "time-to-live sweep failed");
                    }
                }
            }
            if last_trim.elapsed() >= self.settings.interval.max(Duration::from_secs(60)) {
                last_trim = Instant::now();
                let cutoff = clock::now_millis()
                    .saturating_sub(self.settings.stream_retention.as_millis() as u64);
                for table in self.catalog.all() {
                    let record = table.record.read().clone();
                    if let Err(error) = stream::trim(&self.db, self.data, &record, cutoff) {
                        tracing::warn!(table = %table.name, %error, "trimming stream records failed");
                    }
                }
            }
        }
    }

    /// Deletes the items of partition `partition` of `table` that have expired.
    fn sweep(&self, table: &Arc<Table>, partition: u32, attribute: &str) -> ApiResult<()> {
        let now = clock::now_millis() / 1000;
        let start = expiry_prefix(table, partition);
        let mut end = start.clone();
        end.extend_from_slice(&(now + 1).to_be_bytes());
        let mut lower = Bound::Included(start);
        loop {
            if *self.stop.0.lock() || table.is_deleted() {
                return Ok(());
            }
            let began = Instant::now();
            let range = (as_slice(&lower), Bound::Excluded(end.as_slice()));
            let mut chunk = Vec::with_capacity(SWEEP_CHUNK);
            for entry in self
                .db
                .iter(self.data, range, Direction::Forward)
                .map_err(internal)?
            {
                chunk.push(entry.map_err(internal)?.0);
                if chunk.len() == SWEEP_CHUNK {
                    break;
                }
            }
            let Some(last) = chunk.last().cloned() else {
                return Ok(());
            };
            lower = Bound::Excluded(last);
            let count = chunk.len();
            self.delete_expired(table, partition, attribute, chunk, now)?;
            // Pace: a chunk's whole period (work and rest) is at least what `deletes_per_second`
            // allows for it, and the rest at least as long as the work, so that when foreground
            // writes slow the sweeper's mutations down its rate falls with them.
            let budget = Duration::from_secs_f64(
                count as f64 / f64::from(self.settings.deletes_per_second.max(1)),
            );
            let work = began.elapsed();
            let pause = budget.saturating_sub(work).max(work);
            let mut stopped = self.stop.0.lock();
            if !*stopped {
                self.stop.1.wait_for(&mut stopped, pause);
            }
        }
    }

    fn delete_expired(
        &self,
        table: &Arc<Table>,
        partition: u32,
        attribute: &str,
        entries: Vec<Vec<u8>>,
        now: u64,
    ) -> ApiResult<()> {
        let (sender, receiver) = mpsc::channel();
        let owner = table.clone();
        let attribute = attribute.to_owned();
        self.writers.submit_background(
            table.queue(partition),
            Box::new(move |group| {
                let decided = delete_expired_items(group, &owner, &attribute, entries, now);
                Box::new(move |durable| {
                    let _ = sender.send(decided.and(durable.map_err(internal)));
                })
            }),
        );
        receiver
            .recv()
            .unwrap_or_else(|_| Err(internal("the write path stopped during a sweep")))
    }
}

/// Deletes each item the expiry entries point at if it is still expired now (its expiry may
/// have changed since the entry was read); drops entries that point at nothing.
fn delete_expired_items(
    group: &mut Group<'_>,
    table: &Table,
    attribute: &str,
    entries: Vec<Vec<u8>>,
    now: u64,
) -> ApiResult<()> {
    if table.is_deleted() {
        return Ok(());
    }
    let indexes = table.indexes();
    if indexes.ttl_attribute.as_deref() != Some(attribute) {
        return Ok(());
    }
    for entry in entries {
        let Some((storage_key, entry_expiry)) = item_of(table, &entry) else {
            continue;
        };
        let Some(bytes) = group.get(&storage_key).map_err(internal)? else {
            group.delete(entry);
            continue;
        };
        let item = stored::decode(&bytes)?;
        let size = stored::size(&bytes)?;
        match expiry(&item, attribute) {
            Some(current) if current == entry_expiry => {
                if current > now {
                    continue;
                }
                if current + FIVE_YEARS_S < now {
                    // DynamoDB never deletes these; forget the entry so it is not read again.
                    group.delete(entry);
                    continue;
                }
                stage_change(
                    group,
                    table,
                    &indexes,
                    Change {
                        storage_key,
                        old: Some(Version { item: &item, size }),
                        old_size: Some(size),
                        new: None,
                        cause: Cause::TimeToLive,
                    },
                )?;
            }
            // The item's expiry changed since the entry was written: the write that changed it
            // replaced the entry; this one is left over.
            _ => group.delete(entry),
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
