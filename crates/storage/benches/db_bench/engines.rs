//! The engines under test, behind one small trait, each configured from the same [`Settings`].
//! `docs/benchmarks.md` names every option set here.

use std::hint::black_box;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ferrodyn_storage::fs::RealFileSystem;
use ferrodyn_storage::{Compression, Db, Direction, Durability, Keyspace, Options, WriteBatch};

/// The settings every engine gets.
#[derive(Debug, Clone)]
pub struct Settings {
    pub memtable_bytes: u64,
    pub block_cache_bytes: u64,
    pub block_bytes: u32,
    pub restart_interval: u8,
    pub bloom_bits_per_key: u32,
    pub background_threads: usize,
    /// fsync before each write returns.
    pub sync: bool,
}

/// What a benchmark does to an engine.
pub trait Engine {
    fn name(&self) -> &'static str;
    /// Replaces the database with a fresh, empty one.
    fn reset(&mut self);
    fn put(&mut self, key: &[u8], value: &[u8]);
    /// Whether `key` was found (its value is read).
    fn get(&mut self, key: &[u8]) -> bool;
    /// Calls `on_entry` for every entry, in key order.
    fn scan(&mut self, on_entry: &mut dyn FnMut());
    /// Seeks to `key` and reads up to `n` entries from there; returns how many were read.
    fn seek(&mut self, key: &[u8], n: usize) -> usize;
    /// Flushes the memtable and waits until no flush or compaction is running.
    fn settle(&mut self);
    /// (user bytes, bytes written by WAL, flush and compaction) from the engine's own counters.
    fn own_write_amp_counters(&self) -> Option<(u64, u64)> {
        None
    }
    /// Files per level, from the engine's own counters (shown in the human-readable report).
    fn level_files(&self) -> Option<Vec<usize>> {
        None
    }
}

#[derive(Debug, Clone, Copy)]
pub enum EngineKind {
    Ferrodyn,
    Fjall,
    #[cfg(feature = "rocksdb")]
    RocksDb,
}

impl EngineKind {
    /// The engines compiled in.
    pub fn available() -> Vec<EngineKind> {
        vec![
            EngineKind::Ferrodyn,
            EngineKind::Fjall,
            #[cfg(feature = "rocksdb")]
            EngineKind::RocksDb,
        ]
    }

    pub fn parse(name: &str) -> Option<EngineKind> {
        Self::available().into_iter().find(|e| e.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Ferrodyn => "ferrodyn",
            EngineKind::Fjall => "fjall",
            #[cfg(feature = "rocksdb")]
            EngineKind::RocksDb => "rocksdb",
        }
    }

    pub fn open(self, dir: &Path, settings: &Settings) -> Box<dyn Engine> {
        let path = dir.join(self.name());
        match self {
            EngineKind::Ferrodyn => Box::new(Ferrodyn::open(path, settings.clone())),
            EngineKind::Fjall => Box::new(Fjall::open(path, settings.clone())),
            #[cfg(feature = "rocksdb")]
            EngineKind::RocksDb => Box::new(rocks::RocksDb::open(path, settings.clone())),
        }
    }
}

fn remove_dir(path: &Path) {
    if path.exists() {
        std::fs::remove_dir_all(path).expect("removing the old database");
    }
}

// ---------------------------------------------------------------------------------------------

/// Ferrodyn's engine, with every option set explicitly (they are also its defaults).
struct Ferrodyn {
    path: PathBuf,
    settings: Settings,
    db: Option<(Db, Keyspace)>,
}

impl Ferrodyn {
    fn open(path: PathBuf, settings: Settings) -> Self {
        let mut engine = Self {
            path,
            settings,
            db: None,
        };
        engine.reset();
        engine
    }

    fn db(&self) -> &(Db, Keyspace) {
        self.db.as_ref().expect("database open")
    }
}

impl Engine for Ferrodyn {
    fn name(&self) -> &'static str {
        "ferrodyn"
    }

    fn reset(&mut self) {
        if let Some((db, _)) = self.db.take() {
            db.close().expect("closing ferrodyn");
        }
        remove_dir(&self.path);
        let s = &self.settings;
        let mut o = Options::new(&self.path, Arc::new(RealFileSystem::mapped()));
        o.memtable_bytes_max = s.memtable_bytes as usize;
        o.immutable_memtables_max = 2;
        o.block_cache_bytes = s.block_cache_bytes as usize;
        o.block_bytes = s.block_bytes as usize;
        o.block_restart_interval = usize::from(s.restart_interval);
        o.bloom_bits_per_key = s.bloom_bits_per_key;
        o.compression = Compression::None;
        o.level0_compaction_trigger = 4;
        o.level0_slowdown_trigger = 20;
        o.level0_stop_trigger = 36;
        o.level1_bytes_max = 256 << 20;
        o.level_size_multiplier = 10;
        o.target_file_bytes = 64 << 20;
        o.levels = 7;
        o.buffered_sync_interval = Duration::from_millis(100);
        o.background_threads = s.background_threads;
        let db = Db::open(o).expect("opening ferrodyn");
        let ks = db.keyspace("bench").expect("creating the keyspace");
        self.db = Some((db, ks));
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        let (db, ks) = self.db();
        let mut batch = WriteBatch::new();
        batch.put(*ks, key, value);
        let durability = if self.settings.sync {
            Durability::Sync
        } else {
            Durability::Buffered
        };
        db.write(batch, durability).expect("ferrodyn write");
    }

    fn get(&mut self, key: &[u8]) -> bool {
        let (db, ks) = self.db();
        let value = db.get(*ks, key).expect("ferrodyn get");
        black_box(value).is_some()
    }

    fn scan(&mut self, on_entry: &mut dyn FnMut()) {
        let (db, ks) = self.db();
        for entry in db
            .iter(
                *ks,
                (Bound::Unbounded, Bound::Unbounded),
                Direction::Forward,
            )
            .expect("ferrodyn iter")
        {
            black_box(entry.expect("ferrodyn scan"));
            on_entry();
        }
    }

    fn seek(&mut self, key: &[u8], n: usize) -> usize {
        let (db, ks) = self.db();
        let iter = db
            .iter(
                *ks,
                (Bound::Included(key), Bound::Unbounded),
                Direction::Forward,
            )
            .expect("ferrodyn seek");
        iter.take(n).fold(0, |read, entry| {
            black_box(entry.expect("ferrodyn seek next"));
            read + 1
        })
    }

    fn settle(&mut self) {
        let (db, _) = self.db();
        db.flush().expect("ferrodyn flush");
        db.wait_for_compactions().expect("ferrodyn compaction");
    }

    fn own_write_amp_counters(&self) -> Option<(u64, u64)> {
        let m = self.db().0.metrics();
        Some((
            m.user_bytes_written,
            m.wal_bytes_written + m.flush_bytes_written + m.compaction_bytes_written,
        ))
    }

    fn level_files(&self) -> Option<Vec<usize>> {
        Some(self.db().0.metrics().level_files)
    }
}

impl Drop for Ferrodyn {
    fn drop(&mut self) {
        if let Some((db, _)) = self.db.take() {
            db.close().expect("closing ferrodyn");
        }
    }
}

// ---------------------------------------------------------------------------------------------

/// fjall 3, set to Ferrodyn's settings (its defaults differ: LZ4 on the last level, a 0.01%
/// false-positive bloom filter on L0, restart interval 10 on L0, index and filter pinning only
/// on the upper levels).
struct Fjall {
    path: PathBuf,
    settings: Settings,
    db: Option<(fjall::Database, fjall::Keyspace)>,
}

impl Fjall {
    fn open(path: PathBuf, settings: Settings) -> Self {
        let mut engine = Self {
            path,
            settings,
            db: None,
        };
        engine.reset();
        engine
    }

    fn keyspace(&self) -> &fjall::Keyspace {
        &self.db.as_ref().expect("database open").1
    }
}

impl Engine for Fjall {
    fn name(&self) -> &'static str {
        "fjall"
    }

    fn reset(&mut self) {
        use fjall::config::{
            BlockSizePolicy, BloomConstructionPolicy, CompressionPolicy, FilterPolicy,
            FilterPolicyEntry, PinningPolicy, RestartIntervalPolicy,
        };
        drop(self.db.take());
        remove_dir(&self.path);
        let s = self.settings.clone();
        let db = fjall::Database::builder(&self.path)
            .cache_size(s.block_cache_bytes)
            .worker_threads(s.background_threads)
            .manual_journal_persist(false)
            .open()
            .expect("opening fjall");
        let compaction = fjall::compaction::Leveled::default()
            .with_l0_threshold(4)
            .with_table_target_size(64 << 20)
            .with_level_ratio_policy(vec![10.0]);
        let keyspace = db
            .keyspace("bench", move || {
                fjall::KeyspaceCreateOptions::default()
                    .max_memtable_size(s.memtable_bytes)
                    .data_block_size_policy(BlockSizePolicy::all(s.block_bytes))
                    .data_block_restart_interval_policy(RestartIntervalPolicy::all(
                        s.restart_interval,
                    ))
                    .filter_policy(FilterPolicy::all(FilterPolicyEntry::Bloom(
                        BloomConstructionPolicy::BitsPerKey(s.bloom_bits_per_key as f32),
                    )))
                    .expect_point_read_hits(false)
                    .data_block_compression_policy(CompressionPolicy::all(
                        fjall::CompressionType::None,
                    ))
                    .index_block_compression_policy(CompressionPolicy::all(
                        fjall::CompressionType::None,
                    ))
                    // Ferrodyn keeps every open table's index and filter in memory.
                    .index_block_pinning_policy(PinningPolicy::all(true))
                    .filter_block_pinning_policy(PinningPolicy::all(true))
                    .compaction_strategy(Arc::new(compaction))
            })
            .expect("creating the fjall keyspace");
        self.db = Some((db, keyspace));
    }

    fn put(&mut self, key: &[u8], value: &[u8]) {
        self.keyspace().insert(key, value).expect("fjall insert");
        if self.settings.sync {
            let db = &self.db.as_ref().expect("database open").0;
            db.persist(fjall::PersistMode::SyncData)
                .expect("fjall persist");
        }
    }

    fn get(&mut self, key: &[u8]) -> bool {
        let value = self.keyspace().get(key).expect("fjall get");
        black_box(value).is_some()
    }

    fn scan(&mut self, on_entry: &mut dyn FnMut()) {
        for guard in self.keyspace().iter() {
            black_box(guard.into_inner().expect("fjall scan"));
            on_entry();
        }
    }

    fn seek(&mut self, key: &[u8], n: usize) -> usize {
        self.keyspace().range(key..).take(n).fold(0, |read, guard| {
            black_box(guard.into_inner().expect("fjall seek next"));
            read + 1
        })
    }

    fn settle(&mut self) {
        let (db, keyspace) = self.db.as_ref().expect("database open");
        keyspace
            .rotate_memtable_and_wait()
            .expect("fjall memtable flush");
        // fjall has no "wait for compactions"; poll until it has been idle for a while.
        let mut idle = 0;
        while idle < 5 {
            std::thread::sleep(Duration::from_millis(20));
            if db.active_compactions() == 0 && db.outstanding_flushes() == 0 {
                idle += 1;
            } else {
                idle = 0;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------

#[cfg(feature = "rocksdb")]
mod rocks {
    //! RocksDB through rust-rocksdb, set to Ferrodyn's settings.

    use super::*;
    use rocksdb::{
        BlockBasedOptions, Cache, DBCompressionType, IteratorMode, Options as RocksOptions,
        WriteOptions,
    };

    pub struct RocksDb {
        path: PathBuf,
        settings: Settings,
        db: Option<rocksdb::DB>,
        write_options: WriteOptions,
    }

    impl RocksDb {
        pub fn open(path: PathBuf, settings: Settings) -> Self {
            let mut write_options = WriteOptions::default();
            write_options.set_sync(settings.sync);
            let mut engine = Self {
                path,
                settings,
                db: None,
                write_options,
            };
            engine.reset();
            engine
        }

        fn db(&self) -> &rocksdb::DB {
            self.db.as_ref().expect("database open")
        }
    }

    impl Engine for RocksDb {
        fn name(&self) -> &'static str {
            "rocksdb"
        }

        fn reset(&mut self) {
            drop(self.db.take());
            remove_dir(&self.path);
            let s = &self.settings;
            let mut table = BlockBasedOptions::default();
            table.set_block_size(s.block_bytes as usize);
            table.set_block_restart_interval(i32::from(s.restart_interval));
            table.set_block_cache(&Cache::new_lru_cache(s.block_cache_bytes as usize));
            table.set_bloom_filter(f64::from(s.bloom_bits_per_key), false);
            let mut o = RocksOptions::default();
            o.create_if_missing(true);
            o.set_block_based_table_factory(&table);
            o.set_write_buffer_size(s.memtable_bytes as usize);
            o.set_max_write_buffer_number(3);
            o.set_compression_type(DBCompressionType::None);
            o.set_level_zero_file_num_compaction_trigger(4);
            o.set_level_zero_slowdown_writes_trigger(20);
            o.set_level_zero_stop_writes_trigger(36);
            o.set_max_bytes_for_level_base(256 << 20);
            o.set_max_bytes_for_level_multiplier(10.0);
            o.set_target_file_size_base(64 << 20);
            o.set_num_levels(7);
            o.set_level_compaction_dynamic_level_bytes(false);
            o.set_max_background_jobs(s.background_threads as i32);
            self.db = Some(rocksdb::DB::open(&o, &self.path).expect("opening rocksdb"));
        }

        fn put(&mut self, key: &[u8], value: &[u8]) {
            self.db()
                .put_opt(key, value, &self.write_options)
                .expect("rocksdb put");
        }

        fn get(&mut self, key: &[u8]) -> bool {
            let value = self.db().get_pinned(key).expect("rocksdb get");
            black_box(value).is_some()
        }

        fn scan(&mut self, on_entry: &mut dyn FnMut()) {
            for entry in self.db().iterator(IteratorMode::Start) {
                black_box(entry.expect("rocksdb scan"));
                on_entry();
            }
        }

        fn seek(&mut self, key: &[u8], n: usize) -> usize {
            self.db()
                .iterator(IteratorMode::From(key, rocksdb::Direction::Forward))
                .take(n)
                .fold(0, |read, entry| {
                    black_box(entry.expect("rocksdb seek next"));
                    read + 1
                })
        }

        fn settle(&mut self) {
            let db = self.db();
            db.flush().expect("rocksdb flush");
            loop {
                let pending = db
                    .property_int_value("rocksdb.compaction-pending")
                    .expect("rocksdb property")
                    .unwrap_or(0);
                let running = db
                    .property_int_value("rocksdb.num-running-compactions")
                    .expect("rocksdb property")
                    .unwrap_or(0);
                if pending == 0 && running == 0 {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}
