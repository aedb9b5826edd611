//! The database handle: the public face of the engine.
//!
//! CONTRACT: the signatures in this file are used by the tests, the benchmark and the `engine`
//! crate. Extend freely; change an existing signature only together with all of its callers.

use std::ops::Bound;

use crate::{Options, Result, SequenceNumber};

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

/// An atomic group of writes: after a crash either all of it is there or none.
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, keyspace: Keyspace, key: &[u8], value: &[u8]) {
        let _ = (keyspace, key, value);
        todo!()
    }

    /// Removes `key`.
    pub fn delete(&mut self, keyspace: Keyspace, key: &[u8]) {
        let _ = (keyspace, key);
        todo!()
    }

    /// Removes every key in `start..end` (end exclusive), in constant time and space.
    pub fn delete_range(&mut self, keyspace: Keyspace, start: &[u8], end: &[u8]) {
        let _ = (keyspace, start, end);
        todo!()
    }

    /// Number of operations in the batch.
    pub fn len(&self) -> usize {
        todo!()
    }

    /// Whether the batch holds no operations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Counters of the engine's work since it was opened.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Bytes of keys and values written by users (the denominator of write amplification).
    pub user_bytes_written: u64,
    /// Bytes appended to the WAL.
    pub wal_bytes_written: u64,
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

/// An open database. Cheap to clone (shared handle); `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Db {}

impl Db {
    /// Opens (creating if missing) the database at `options.path`, recovering from the WAL.
    /// Fails with [`crate::Error::Locked`] if another handle has it open.
    pub fn open(options: Options) -> Result<Db> {
        let _ = options;
        todo!()
    }

    /// The keyspace called `name`, created (durably) if it does not exist yet.
    pub fn keyspace(&self, name: &str) -> Result<Keyspace> {
        let _ = name;
        todo!()
    }

    /// Applies `batch` atomically and returns its sequence number once it is as durable as asked.
    pub fn write(&self, batch: WriteBatch, durability: Durability) -> Result<SequenceNumber> {
        let _ = (batch, durability);
        todo!()
    }

    /// The latest value of `key`.
    pub fn get(&self, keyspace: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let _ = (keyspace, key);
        todo!()
    }

    /// Iterates the latest values of keys in `range`.
    pub fn iter(
        &self,
        keyspace: Keyspace,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        direction: Direction,
    ) -> Result<DbIter> {
        let _ = (keyspace, range, direction);
        todo!()
    }

    /// A read view fixed at the current sequence number. While it lives, compaction keeps every
    /// version it can see.
    pub fn snapshot(&self) -> Snapshot {
        todo!()
    }

    /// Freezes the active memtable and waits until every memtable is flushed to an SSTable.
    pub fn flush(&self) -> Result<()> {
        todo!()
    }

    /// Waits until no flush or compaction is pending or running.
    pub fn wait_for_compactions(&self) -> Result<()> {
        todo!()
    }

    /// Counters since open.
    pub fn metrics(&self) -> Metrics {
        todo!()
    }

    /// Syncs the WAL, stops background threads and releases the lock. Dropping the last handle
    /// does the same, ignoring errors.
    pub fn close(self) -> Result<()> {
        todo!()
    }
}

/// A consistent read view at one sequence number.
#[derive(Debug)]
pub struct Snapshot {}

impl Snapshot {
    /// The sequence number this view reads at.
    pub fn sequence(&self) -> SequenceNumber {
        todo!()
    }

    /// The value of `key` as of this snapshot.
    pub fn get(&self, keyspace: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let _ = (keyspace, key);
        todo!()
    }

    /// Iterates keys in `range` as of this snapshot.
    pub fn iter(
        &self,
        keyspace: Keyspace,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        direction: Direction,
    ) -> Result<DbIter> {
        let _ = (keyspace, range, direction);
        todo!()
    }
}

/// Key-value pairs of a range, in the requested direction, as of one sequence number.
/// It holds its own read view: writes after its creation are not seen.
#[derive(Debug)]
pub struct DbIter {}

impl Iterator for DbIter {
    type Item = Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        todo!()
    }
}
