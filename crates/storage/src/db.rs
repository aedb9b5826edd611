//! The database handle: the public face of the engine.
//!
//! CONTRACT: the signatures in this file are used by the tests, the benchmark and the `engine`
//! crate. Extend freely; change an existing signature only together with all of its callers.

use std::ops::Bound;
use std::sync::Arc;

use crate::engine::Engine;
pub use crate::iter::DbIter;
use crate::{Options, Result, SequenceNumber};

pub use crate::batch::WriteBatch;

/// How durable a write must be before [`Db::write`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// The WAL is fsynced (with group commit) before the write is acknowledged.
    Sync,
    /// The write is in the OS's buffers when acknowledged; a background thread syncs the WAL every
    /// `Options::buffered_sync_interval`. A crash may lose the last interval's writes, never a
    /// write that came before a `Sync` write.
    Buffered,
}

/// Iteration order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Ascending keys.
    Forward,
    /// Descending keys.
    Reverse,
}

/// A named keyspace (column family). All keyspaces share the WAL; a batch may span several.
/// Cheap to copy; obtained from [`Db::keyspace`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Keyspace {
    pub(crate) id: u32,
}

/// Counters of the engine's work since it was opened.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Bytes of keys and values written by users (the denominator of write amplification).
    pub user_bytes_written: u64,
    /// Bytes appended to the WAL.
    pub wal_bytes_written: u64,
    /// Syncs of the WAL by writers and by the background syncer (those of a log being
    /// switched for a new one and at close aside).
    pub wal_syncs: u64,
    /// Bytes of SSTables written by flushes.
    pub flush_bytes_written: u64,
    /// Bytes of SSTables written by compactions.
    pub compaction_bytes_written: u64,
    /// Per level: number of files.
    pub level_files: Vec<usize>,
    /// Per level: total bytes of files.
    pub level_bytes: Vec<u64>,
    /// Block cache hits.
    pub cache_hits: u64,
    /// Block cache misses.
    pub cache_misses: u64,
    /// Microseconds writers spent slowed down or waiting for flush or compaction.
    pub stall_micros: u64,
    /// Bytes held by the active and immutable memtables (entries plus an estimate of the
    /// skiplist's overhead). Bounded by `memtable_bytes_max * (1 + immutable_memtables_max)`
    /// plus the last group of writes applied at once (at most 1 MiB, or one larger batch).
    /// Memtables already flushed but still read by a live iterator are not counted.
    pub memtable_bytes: u64,
    /// Immutable memtables waiting for flush (at most `immutable_memtables_max`).
    pub immutable_memtables: usize,
    /// Whether the engine has stopped accepting writes after a failure ([`Db::write_failure`]).
    pub writes_failed: bool,
}

impl Metrics {
    /// (WAL + flush + compaction bytes) / user bytes; 0 before any write.
    pub fn write_amplification(&self) -> f64 {
        if self.user_bytes_written == 0 {
            return 0.0;
        }
        (self.wal_bytes_written + self.flush_bytes_written + self.compaction_bytes_written) as f64
            / self.user_bytes_written as f64
    }
}

/// Closes the engine when the last [`Db`] handle goes away.
#[derive(Debug)]
struct Handle {
    engine: Arc<Engine>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.engine.close();
    }
}

/// An open database. Cheap to clone (shared handle); `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Db {
    handle: Arc<Handle>,
}

impl Db {
    /// Opens (creating if missing) the database at `options.path`, recovering from the WAL.
    /// Fails with [`crate::Error::Locked`] if another handle has it open, with
    /// [`crate::Error::Corruption`] if the manifest, a table or a WAL other than the tail of the
    /// newest one is damaged.
    pub fn open(options: Options) -> Result<Db> {
        let engine = Engine::open(options)?;
        Ok(Db {
            handle: Arc::new(Handle { engine }),
        })
    }

    fn engine(&self) -> &Arc<Engine> {
        &self.handle.engine
    }

    /// The keyspace called `name`, created (durably) if it does not exist yet.
    pub fn keyspace(&self, name: &str) -> Result<Keyspace> {
        self.engine().keyspace(name)
    }

    /// Applies `batch` atomically and returns its sequence number once it is as durable as
    /// asked: the sequence of its last operation, at which a snapshot sees the whole batch (for
    /// an empty batch, the current sequence). Fails with [`crate::Error::Poisoned`] after an
    /// earlier write or sync failed.
    pub fn write(&self, batch: WriteBatch, durability: Durability) -> Result<SequenceNumber> {
        self.engine().write(batch, durability)
    }

    /// Makes every write that returned before this call durable, as a [`Durability::Sync`]
    /// write would have: for a caller that makes writes visible at once ([`Durability::Buffered`])
    /// and acknowledges them only once they are on disk.
    pub fn sync_wal(&self) -> Result<()> {
        self.engine().sync_wal()
    }

    /// The latest value of `key`.
    pub fn get(&self, keyspace: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let (sv, sequence) = self.engine().read_view();
        self.engine().get_at(&sv, sequence, keyspace, key)
    }

    /// Iterates the latest values of keys in `range`. A range whose start is after its end is
    /// [`crate::Error::InvalidArgument`].
    pub fn iter(
        &self,
        keyspace: Keyspace,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        direction: Direction,
    ) -> Result<DbIter> {
        let (sv, sequence) = self.engine().read_view();
        self.engine()
            .iter_at(sv, sequence, keyspace, range, direction)
    }

    /// A read view fixed at the current sequence number. While it lives, compaction keeps every
    /// version it can see.
    pub fn snapshot(&self) -> Snapshot {
        let sequence = self.engine().acquire_snapshot();
        Snapshot {
            engine: Arc::clone(self.engine()),
            sequence,
        }
    }

    /// Freezes the active memtable and waits until every memtable is flushed to an SSTable.
    pub fn flush(&self) -> Result<()> {
        self.engine().flush()
    }

    /// Waits until no flush or compaction is pending or running.
    pub fn wait_for_compactions(&self) -> Result<()> {
        self.engine().wait_for_compactions()
    }

    /// Counters since open.
    pub fn metrics(&self) -> Metrics {
        self.engine().metrics()
    }

    /// Why the engine stopped accepting writes (a failed write or sync of the log, a failed
    /// flush or manifest update), if it has. Reads still work; writes need a reopen, which
    /// recovers every synced write.
    pub fn write_failure(&self) -> Option<String> {
        self.engine().write_failure()
    }

    /// Syncs the WAL, stops background threads and releases the lock. Dropping the last handle
    /// does the same, ignoring errors. Other handles then fail with [`crate::Error::Closed`].
    pub fn close(self) -> Result<()> {
        self.engine().close()
    }
}

/// A consistent read view at one sequence number.
#[derive(Debug)]
pub struct Snapshot {
    engine: Arc<Engine>,
    sequence: SequenceNumber,
}

impl Snapshot {
    /// The sequence number this view reads at.
    pub fn sequence(&self) -> SequenceNumber {
        self.sequence
    }

    /// The value of `key` as of this snapshot.
    pub fn get(&self, keyspace: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let (sv, _) = self.engine.read_view();
        self.engine.get_at(&sv, self.sequence, keyspace, key)
    }

    /// Iterates keys in `range` as of this snapshot.
    pub fn iter(
        &self,
        keyspace: Keyspace,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        direction: Direction,
    ) -> Result<DbIter> {
        let (sv, _) = self.engine.read_view();
        self.engine
            .iter_at(sv, self.sequence, keyspace, range, direction)
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        self.engine.release_snapshot(self.sequence);
    }
}
