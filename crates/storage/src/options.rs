//! Engine configuration.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::fs::FileSystem;

/// Block compression in SSTables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// Blocks stored as they are.
    #[default]
    None,
    /// LZ4 block compression (`lz4_flex`); a block that does not shrink is stored raw.
    Lz4,
}

/// How the engine is set up. [`Options::new`] gives the defaults; change fields as needed.
///
/// Memory is bounded by `memtable_bytes_max * (1 + immutable_memtables_max) + block_cache_bytes`
/// plus index and filter blocks of at most `open_tables_max` open tables.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directory of the database (WAL, SSTables, manifest, lock file).
    pub path: PathBuf,
    /// Where files live.
    pub fs: Arc<dyn FileSystem>,
    /// Size at which the active memtable is frozen and scheduled for flush. Default 64 MiB.
    pub memtable_bytes_max: usize,
    /// Frozen memtables waiting for flush before writes wait. Default 2.
    pub immutable_memtables_max: usize,
    /// Byte limit of the block cache (data blocks). Default 64 MiB.
    pub block_cache_bytes: usize,
    /// Target size of an SSTable data block before compression. Default 4 KiB.
    pub block_bytes: usize,
    /// Keys between restart points in a data block. Default 16.
    pub block_restart_interval: usize,
    /// Bloom filter bits per key, on every level; 0 disables filters. Default 10.
    pub bloom_bits_per_key: u32,
    /// Block compression. Default none.
    pub compression: Compression,
    /// Level-0 file count that triggers a compaction into level 1. Default 4.
    pub level0_compaction_trigger: usize,
    /// Level-0 file count at which each write is delayed. Default 20.
    pub level0_slowdown_trigger: usize,
    /// Level-0 file count at which writes wait for compaction. Default 36.
    pub level0_stop_trigger: usize,
    /// Target total size of level 1; each deeper level is `level_size_multiplier` times larger.
    /// Default 256 MiB.
    pub level1_bytes_max: u64,
    /// Growth factor between levels. Default 10.
    pub level_size_multiplier: u64,
    /// Target size of an SSTable written by compaction. Default 64 MiB.
    pub target_file_bytes: u64,
    /// Number of levels. Default 7.
    pub levels: usize,
    /// How often `Durability::Buffered` writes are synced by the background syncer. Default 100 ms.
    pub buffered_sync_interval: Duration,
    /// Threads for flush and compaction. Default 2.
    pub background_threads: usize,
    /// Tables kept open (file handle, index and filter in memory). Default 1024.
    pub open_tables_max: usize,
}

impl Options {
    /// Defaults for a database at `path` on `fs`.
    pub fn new(path: impl Into<PathBuf>, fs: Arc<dyn FileSystem>) -> Self {
        Self {
            path: path.into(),
            fs,
            memtable_bytes_max: 64 << 20,
            immutable_memtables_max: 2,
            block_cache_bytes: 64 << 20,
            block_bytes: 4 << 10,
            block_restart_interval: 16,
            bloom_bits_per_key: 10,
            compression: Compression::None,
            level0_compaction_trigger: 4,
            level0_slowdown_trigger: 20,
            level0_stop_trigger: 36,
            level1_bytes_max: 256 << 20,
            level_size_multiplier: 10,
            target_file_bytes: 64 << 20,
            levels: 7,
            buffered_sync_interval: Duration::from_millis(100),
            background_threads: 2,
            open_tables_max: 1024,
        }
    }
}
