//! Ferrodyn's storage engine: a log-structured merge tree that every byte of Ferrodyn lives in.
//!
//! Ordered byte-string keys and values in named [`Keyspace`]s that share one write-ahead log, so
//! that one [`WriteBatch`] writes atomically across them. Synchronous; no async runtime.
//!
//! How the modules fit (a write, then a read):
//! - [`Db::write`] appends the batch to the `wal` (group commit: one writer syncs for many), then
//!   inserts it into the active `memtable` (a lock-free skiplist) at its sequence number.
//! - A full memtable becomes immutable and a background thread flushes it to an `sstable` at
//!   level 0; the `manifest` records the new set of live files atomically.
//! - `compaction` merges files level by level on background threads, dropping shadowed versions
//!   and tombstones that no [`Snapshot`] can still see.
//! - A read merges the memtables and the SSTables of every level (`iter`), newest first, at a
//!   sequence number; `bloom` filters and the `cache` of blocks keep point reads off the disk.
//! - All file I/O goes through [`fs::FileSystem`], so tests can crash the disk.
//!
//! ```
//! use ferrodyn_storage::{Db, Durability, Options, WriteBatch, fs::MemFileSystem};
//! use std::sync::Arc;
//!
//! let db = Db::open(Options::new("/db", Arc::new(MemFileSystem::new()))).unwrap();
//! let data = db.keyspace("data").unwrap();
//! let mut batch = WriteBatch::new();
//! batch.put(data, b"k", b"v");
//! db.write(batch, Durability::Sync).unwrap();
//! assert_eq!(db.get(data, b"k").unwrap().as_deref(), Some(&b"v"[..]));
//! ```

pub mod fs;

mod batch;
mod cache;
mod coding;
mod compaction;
mod db;
mod db_files;
mod engine;
mod error;
mod iter;
mod key;
mod manifest;
mod memtable;
mod options;
mod range_tombstone;
mod record;
mod sstable;
mod table_cache;
mod version;
mod wal;
mod write_queue;

pub use batch::Operation;
pub use db::{Db, DbIter, Direction, Durability, Keyspace, Metrics, Snapshot, WriteBatch};
pub use error::{Error, Result};
pub use options::{Compression, Options};

/// The position of a write in the total order of writes; a snapshot is a read view at one of them.
pub type SequenceNumber = u64;
