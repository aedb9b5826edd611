//! [`Engine`]: the running database behind a [`crate::Db`] handle — its state, how it opens
//! and recovers, and how it reads.
//!
//! - `write`: the write path (group commit, WAL, memtable, stalls, memtable switch).
//! - `background`: flush and compaction threads, the WAL syncer, deletion of obsolete files.
//!
//! Locks, in the order they may be taken: `write_lock` (the write leader, or a memtable switch
//! requested by `flush`) → `state` → `wal` / `current` / `snapshots`. Readers only take
//! `current`, briefly, to pair the current [`SuperVersion`] with the visible sequence number.

mod background;
mod write;

use std::collections::{BTreeMap, HashSet};
use std::ops::Bound;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;

use parking_lot::{Condvar, Mutex};

use crate::SequenceNumber;
use crate::compaction::{DeeperFiles, OutputContext, write_tables};
use crate::db::{Direction, Keyspace, Metrics};
use crate::db_files::{self, FileKind, LOCK};
use crate::error::{Error, Result};
use crate::fs::{FileLock, FileSystem};
use crate::iter::{DbIter, InternalIterator, LevelIter, MergingIter};
use crate::key;
use crate::manifest::{self, ManifestState, ManifestWriter};
use crate::memtable::{Lookup, LookupKey, Memtable};
use crate::options::Options;
use crate::range_tombstone::{FragmentedTombstones, VisibleTombstones};
use crate::sstable::{BlockCache, TableOptions};
use crate::table_cache::TableCache;
use crate::version::Version;
use crate::wal::{self, Wal};
use crate::write_queue::WriteQueue;

/// What a reader needs: the memtables and the table files, at one moment.
#[derive(Debug)]
pub(crate) struct SuperVersion {
    pub(crate) mem: Arc<Memtable>,
    /// Immutable memtables, newest first.
    pub(crate) imms: Vec<Arc<Memtable>>,
    pub(crate) version: Arc<Version>,
}

/// State changed by writers switching memtables and by background work.
pub(crate) struct State {
    pub(crate) mem: Arc<Memtable>,
    /// Immutable memtables waiting for flush, oldest first.
    pub(crate) imms: Vec<Arc<Memtable>>,
    pub(crate) manifest: ManifestState,
    pub(crate) manifest_writer: ManifestWriter,
    pub(crate) flushing: bool,
    pub(crate) compactions: usize,
    /// Files that are inputs of a running compaction.
    pub(crate) busy: HashSet<u64>,
    /// Table numbers being written (not yet in a version).
    pub(crate) pending_outputs: HashSet<u64>,
    /// Tables no longer in the current version, deleted once no live version holds them.
    pub(crate) obsolete_tables: Vec<u64>,
    /// Every version ever installed that may still be in use.
    pub(crate) live_versions: Vec<Weak<Version>>,
    /// Round-robin compaction position per level.
    pub(crate) pointers: Vec<Vec<u8>>,
    /// The first background failure; the engine is poisoned once it is set.
    pub(crate) bg_error: Option<String>,
}

/// Counters behind [`Metrics`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) user_bytes: AtomicU64,
    pub(crate) wal_bytes: AtomicU64,
    pub(crate) wal_syncs: AtomicU64,
    pub(crate) flush_bytes: AtomicU64,
    pub(crate) compaction_bytes: AtomicU64,
    pub(crate) stall_micros: AtomicU64,
}

/// The engine shared by handles, snapshots, iterators and background threads.
pub(crate) struct Engine {
    pub(crate) options: Options,
    pub(crate) fs: Arc<dyn FileSystem>,
    pub(crate) dir: PathBuf,
    pub(crate) tables: Arc<TableCache>,
    pub(crate) current: Mutex<Arc<SuperVersion>>,
    pub(crate) state: Mutex<State>,
    /// Signalled when background work may be available or has finished.
    pub(crate) bg_cv: Condvar,
    pub(crate) write_queue: WriteQueue,
    /// Held by the write leader, and by `flush` to switch memtables between groups; holds the
    /// leader's group (a buffer reused from one group to the next).
    pub(crate) write_lock: Mutex<Vec<Arc<crate::write_queue::Writer>>>,
    pub(crate) wal: Mutex<Wal>,
    /// Every write up to this sequence number is in a memtable and may be read.
    pub(crate) visible: AtomicU64,
    pub(crate) snapshots: Mutex<BTreeMap<SequenceNumber, usize>>,
    pub(crate) poisoned: AtomicBool,
    pub(crate) poison_reason: Mutex<Option<String>>,
    pub(crate) closed: AtomicBool,
    pub(crate) counters: Counters,
    pub(crate) threads: Mutex<Vec<JoinHandle<()>>>,
    pub(crate) syncer_cv: (Mutex<bool>, Condvar),
    pub(crate) lock: Mutex<Option<Box<dyn FileLock>>>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("dir", &self.dir).finish()
    }
}

fn io(context: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io {
        context,
        path,
        source,
    }
}

impl Engine {
    /// Opens or creates the database and starts its background threads.
    pub(crate) fn open(options: Options) -> Result<Arc<Engine>> {
        validate(&options)?;
        let fs = Arc::clone(&options.fs);
        let dir = options.path.clone();
        fs.create_dir_all(&dir)
            .map_err(io("creating the database directory", &dir))?;
        let lock_path = dir.join(LOCK);
        let lock = fs.lock(&lock_path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::WouldBlock {
                Error::Locked {
                    dir: dir.clone(),
                    lock: lock_path.clone(),
                }
            } else {
                Error::Io {
                    context: "locking the database",
                    path: lock_path.clone(),
                    source,
                }
            }
        })?;
        let blocks = Arc::new(BlockCache::new(options.block_cache_bytes));
        let tables = Arc::new(TableCache::new(
            Arc::clone(&fs),
            dir.clone(),
            options.open_tables_max,
            blocks,
        ));

        let (mut state, _old_manifest) = match manifest::recover(&*fs, &dir, options.levels)? {
            Some((state, number)) => (state, Some(number)),
            None => (ManifestState::empty(options.levels), None),
        };
        let names = fs
            .list_dir(&dir)
            .map_err(io("listing the database directory", &dir))?;
        let mut wals = Vec::new();
        for name in &names {
            let number = match db_files::parse_file_name(name) {
                Some(FileKind::Wal(n)) => {
                    if n >= state.log_number {
                        wals.push(n);
                    }
                    n
                }
                Some(FileKind::Table(n) | FileKind::Manifest(n)) => n,
                _ => continue,
            };
            state.next_file_number = state.next_file_number.max(number + 1);
        }
        wals.sort_unstable();
        // A live table that is gone means the manifest or the directory was damaged; reading
        // on would silently lose its keys.
        let present: HashSet<&str> = names.iter().map(String::as_str).collect();
        if let Some(missing) = state
            .version
            .file_numbers()
            .find(|&n| !present.contains(db_files::table_file_name(n).as_str()))
        {
            return Err(Error::Corruption {
                path: dir.join(db_files::table_file_name(missing)),
                detail: "a table file named by the manifest is missing".to_owned(),
            });
        }

        let table_options = table_options(&options);
        let mut last = state.last_sequence;
        let mut recovered = Vec::new();
        {
            let next = AtomicU64::new(state.next_file_number);
            let new_number = || next.fetch_add(1, Ordering::Relaxed);
            let ctx = OutputContext {
                fs: &*fs,
                dir: dir.clone(),
                table_options,
                target_file_bytes: u64::MAX,
                new_file_number: &new_number,
            };
            let mut mem = Arc::new(Memtable::new(0, options.memtable_bytes_max));
            for (i, &number) in wals.iter().enumerate() {
                let path = dir.join(db_files::wal_file_name(number));
                let newest = i + 1 == wals.len();
                last = wal::replay(&*fs, &path, newest, last, |batch| {
                    mem.insert_batch(batch);
                    Ok(())
                })?;
                if mem.approximate_bytes() >= options.memtable_bytes_max || newest {
                    recovered
                        .extend(flush_memtable(&ctx, &mem, &[], &DeeperFiles::everything())?.0);
                    mem = Arc::new(Memtable::new(0, options.memtable_bytes_max));
                }
            }
            state.next_file_number = next.load(Ordering::Relaxed);
        }
        if !recovered.is_empty() {
            fs.sync_dir(&dir)
                .map_err(io("syncing the database directory", &dir))?;
        }
        let wal_number = state.next_file_number;
        let manifest_number = wal_number + 1;
        state.next_file_number = manifest_number + 1;
        state.last_sequence = last;
        state.log_number = wal_number;
        let edit = manifest::VersionEdit {
            added: recovered.into_iter().map(|f| (0, f)).collect(),
            ..Default::default()
        };
        state.apply(&edit).map_err(|detail| Error::Corruption {
            path: dir.clone(),
            detail,
        })?;
        // The manifest that moves the log number past the replayed logs must be durable before
        // the new log exists: otherwise a crash in between leaves the old manifest with a newer,
        // empty log after a log with a torn tail, which reads as damage in the middle.
        let manifest_writer = ManifestWriter::create(&*fs, &dir, manifest_number, &state)?;
        let wal = Wal::create(&fs, &dir, wal_number)?;

        let mem = Arc::new(Memtable::new(wal_number, options.memtable_bytes_max));
        let version = Arc::clone(&state.version);
        let levels = options.levels;
        let engine = Arc::new(Engine {
            fs,
            dir,
            tables,
            current: Mutex::new(Arc::new(SuperVersion {
                mem: Arc::clone(&mem),
                imms: Vec::new(),
                version: Arc::clone(&version),
            })),
            state: Mutex::new(State {
                mem,
                imms: Vec::new(),
                manifest: state,
                manifest_writer,
                flushing: false,
                compactions: 0,
                busy: HashSet::new(),
                pending_outputs: HashSet::new(),
                obsolete_tables: Vec::new(),
                live_versions: vec![Arc::downgrade(&version)],
                pointers: vec![Vec::new(); levels],
                bg_error: None,
            }),
            bg_cv: Condvar::new(),
            write_queue: WriteQueue::default(),
            write_lock: Mutex::new(Vec::new()),
            wal: Mutex::new(wal),
            visible: AtomicU64::new(last),
            snapshots: Mutex::new(BTreeMap::new()),
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(None),
            closed: AtomicBool::new(false),
            counters: Counters::default(),
            threads: Mutex::new(Vec::new()),
            syncer_cv: (Mutex::new(false), Condvar::new()),
            lock: Mutex::new(Some(lock)),
            options,
        });
        engine.delete_files_not_in_use(&names);
        background::start(&engine);
        Ok(engine)
    }

    /// Removes files of earlier runs that the new manifest does not need.
    fn delete_files_not_in_use(&self, names: &[String]) {
        let state = self.state.lock();
        let live: HashSet<u64> = state.manifest.version.file_numbers().collect();
        let manifest_number = state.manifest_writer.number();
        let log_number = state.manifest.log_number;
        drop(state);
        for name in names {
            let obsolete = match db_files::parse_file_name(name) {
                Some(FileKind::Wal(n)) => n < log_number,
                Some(FileKind::Table(n)) => !live.contains(&n),
                Some(FileKind::Manifest(n)) => n != manifest_number,
                Some(FileKind::Temp) => true,
                _ => false,
            };
            if obsolete {
                // Best effort: a file left behind is removed at the next open.
                let _ = self.fs.remove_file(&self.dir.join(name));
            }
        }
    }

    /// The current super version paired with the visible sequence number (taken together, so
    /// that no flush or compaction can fall between them).
    pub(crate) fn read_view(&self) -> (Arc<SuperVersion>, SequenceNumber) {
        let current = self.current.lock();
        (Arc::clone(&current), self.visible.load(Ordering::Acquire))
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    /// The value of `key` in `keyspace` at `sequence`, reading `sv`.
    pub(crate) fn get_at(
        &self,
        sv: &SuperVersion,
        sequence: SequenceNumber,
        keyspace: Keyspace,
        user_key_suffix: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        self.check_open()?;
        let lookup = LookupKey::new(keyspace.id, user_key_suffix, sequence);
        for mem in std::iter::once(&sv.mem).chain(&sv.imms) {
            match mem.get(&lookup) {
                Lookup::Absent => {}
                Lookup::Value(v) => return Ok(Some(v)),
                Lookup::Deleted => return Ok(None),
            }
        }
        match sv.version.get(&self.tables, &lookup)? {
            Lookup::Value(v) => Ok(Some(v)),
            Lookup::Deleted | Lookup::Absent => Ok(None),
        }
    }

    /// An iterator over `range` of `keyspace` at `sequence`, reading `sv`.
    pub(crate) fn iter_at(
        &self,
        sv: Arc<SuperVersion>,
        sequence: SequenceNumber,
        keyspace: Keyspace,
        range: (Bound<&[u8]>, Bound<&[u8]>),
        direction: Direction,
    ) -> Result<DbIter> {
        self.check_open()?;
        let prefixed = |k: &[u8]| key::make_user_key(keyspace.id, k);
        let lower = match range.0 {
            Bound::Included(k) => Bound::Included(prefixed(k)),
            Bound::Excluded(k) => Bound::Excluded(prefixed(k)),
            Bound::Unbounded => Bound::Included(key::keyspace_prefix(keyspace.id).to_vec()),
        };
        let upper = match range.1 {
            Bound::Included(k) => Bound::Included(prefixed(k)),
            Bound::Excluded(k) => Bound::Excluded(prefixed(k)),
            Bound::Unbounded => match keyspace.id.checked_add(1) {
                Some(next) => Bound::Excluded(key::keyspace_prefix(next).to_vec()),
                None => Bound::Unbounded,
            },
        };
        if let (Bound::Included(l) | Bound::Excluded(l), Bound::Included(u) | Bound::Excluded(u)) =
            (&lower, &upper)
            && l > u
        {
            return Err(Error::InvalidArgument(
                "the range's start is after its end".to_owned(),
            ));
        }
        let lo: &[u8] = match &lower {
            Bound::Included(k) | Bound::Excluded(k) => k,
            Bound::Unbounded => &[],
        };
        // Inclusive end for file selection; exclusive end for tombstone collection.
        let hi_inclusive: Option<&[u8]> = match &upper {
            Bound::Included(k) | Bound::Excluded(k) => Some(k),
            Bound::Unbounded => None,
        };
        let hi_exclusive: Option<std::borrow::Cow<'_, [u8]>> = match &upper {
            Bound::Included(k) => Some([k.as_slice(), &[0]].concat().into()),
            Bound::Excluded(k) => Some(k.as_slice().into()),
            Bound::Unbounded => None,
        };

        let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
        let mut mem_tombstones: Vec<Arc<FragmentedTombstones>> = Vec::new();
        for mem in std::iter::once(&sv.mem).chain(&sv.imms) {
            children.push(Box::new(mem.iter()));
            if mem.has_range_tombstones() {
                mem_tombstones.push(mem.range_tombstones());
            }
        }
        let mut tombstone_tables = Vec::new();
        let version = &sv.version;
        for (level, files) in version.levels.iter().enumerate() {
            let overlapping: Vec<_> = files
                .iter()
                .filter(|f| f.overlaps(Some(lo), hi_inclusive))
                .cloned()
                .collect();
            for f in overlapping.iter().filter(|f| f.range_deletions > 0) {
                tombstone_tables.push(self.tables.get(f)?);
            }
            if level == 0 {
                for f in &overlapping {
                    children.push(Box::new(self.tables.get(f)?.iter(true)));
                }
            } else if !overlapping.is_empty() {
                children.push(Box::new(LevelIter::new(
                    overlapping,
                    Arc::clone(&self.tables),
                    true,
                )));
            }
        }
        let sources = mem_tombstones
            .iter()
            .map(|t| &**t)
            .chain(tombstone_tables.iter().map(|t| t.tombstones()));
        let tombstones = VisibleTombstones::collect(sources, lo, hi_exclusive.as_deref(), sequence);
        Ok(DbIter::new(
            MergingIter::new(children),
            sv,
            sequence,
            tombstones,
            (lower, upper),
            direction,
        ))
    }

    /// Registers a snapshot at the visible sequence number.
    pub(crate) fn acquire_snapshot(&self) -> SequenceNumber {
        let mut snapshots = self.snapshots.lock();
        let sequence = self.visible.load(Ordering::Acquire);
        *snapshots.entry(sequence).or_insert(0) += 1;
        sequence
    }

    /// Releases a snapshot; compaction may now drop what only it could see.
    pub(crate) fn release_snapshot(&self, sequence: SequenceNumber) {
        let mut snapshots = self.snapshots.lock();
        if let Some(count) = snapshots.get_mut(&sequence) {
            *count -= 1;
            if *count == 0 {
                snapshots.remove(&sequence);
            }
        }
        drop(snapshots);
        self.bg_cv.notify_all();
    }

    /// Live snapshot sequences, ascending.
    pub(crate) fn snapshot_list(&self) -> Vec<SequenceNumber> {
        self.snapshots.lock().keys().copied().collect()
    }

    /// The keyspace called `name`, created durably if new.
    pub(crate) fn keyspace(&self, name: &str) -> Result<Keyspace> {
        self.check_open()?;
        let mut state = self.state.lock();
        if let Some(&id) = state.manifest.keyspaces.get(name) {
            return Ok(Keyspace { id });
        }
        self.check_writable()?;
        let id = state.manifest.keyspaces.values().max().map_or(0, |m| m + 1);
        let edit = manifest::VersionEdit {
            keyspaces: vec![(id, name.to_owned())],
            ..Default::default()
        };
        if let Err(e) = state.manifest_writer.append(&edit) {
            self.poison(&mut state, &e);
            return Err(e);
        }
        state
            .manifest
            .apply(&edit)
            .expect("a keyspace edit always applies");
        Ok(Keyspace { id })
    }

    /// Counters since open.
    pub(crate) fn metrics(&self) -> Metrics {
        let sv = Arc::clone(&self.current.lock());
        let version = &sv.version;
        let memtable_bytes = std::iter::once(&sv.mem)
            .chain(&sv.imms)
            .map(|m| m.approximate_bytes() as u64)
            .sum();
        let (cache_hits, cache_misses) = self.tables.block_cache().stats();
        let c = &self.counters;
        Metrics {
            user_bytes_written: c.user_bytes.load(Ordering::Relaxed),
            wal_bytes_written: c.wal_bytes.load(Ordering::Relaxed),
            wal_syncs: c.wal_syncs.load(Ordering::Relaxed),
            flush_bytes_written: c.flush_bytes.load(Ordering::Relaxed),
            compaction_bytes_written: c.compaction_bytes.load(Ordering::Relaxed),
            level_files: version.levels.iter().map(Vec::len).collect(),
            level_bytes: (0..version.levels.len())
                .map(|l| version.level_bytes(l))
                .collect(),
            cache_hits,
            cache_misses,
            stall_micros: c.stall_micros.load(Ordering::Relaxed),
            memtable_bytes,
            immutable_memtables: sv.imms.len(),
            writes_failed: self.poisoned.load(Ordering::Acquire),
        }
    }

    /// The reason writes are refused, once poisoned.
    pub(crate) fn write_failure(&self) -> Option<String> {
        if !self.poisoned.load(Ordering::Acquire) {
            return None;
        }
        Some(self.poison_reason.lock().clone().unwrap_or_default())
    }

    /// Refuses writes once poisoned or closed.
    pub(crate) fn check_writable(&self) -> Result<()> {
        self.check_open()?;
        if self.poisoned.load(Ordering::Acquire) {
            let reason = self.poison_reason.lock().clone().unwrap_or_default();
            return Err(Error::Poisoned(reason));
        }
        Ok(())
    }

    /// Stops all further writes after a failed write or sync.
    pub(crate) fn poison(&self, state: &mut State, error: &Error) {
        let reason = error.poison_reason();
        if state.bg_error.is_none() {
            state.bg_error = Some(reason.clone());
        }
        let mut slot = self.poison_reason.lock();
        if slot.is_none() {
            *slot = Some(reason);
        }
        self.poisoned.store(true, Ordering::Release);
        self.bg_cv.notify_all();
    }

    /// Syncs the WAL, stops the background threads and releases the lock. Idempotent.
    pub(crate) fn close(&self) -> Result<()> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        // Wait for a write leader in progress, then make buffered writes durable.
        let guard = self.write_lock.lock();
        let mut result = Ok(());
        if !self.poisoned.load(Ordering::Acquire)
            && let Err(e) = self.wal.lock().sync()
        {
            let mut state = self.state.lock();
            self.poison(&mut state, &e);
            result = Err(e);
        }
        drop(guard);
        background::stop(self);
        self.lock.lock().take();
        result
    }
}

/// Table settings from the options.
pub(crate) fn table_options(options: &Options) -> TableOptions {
    TableOptions {
        block_bytes: options.block_bytes.max(64),
        restart_interval: options.block_restart_interval.max(1),
        bloom_bits_per_key: options.bloom_bits_per_key,
        compression: options.compression,
    }
}

/// Writes a memtable's contents to level-0 tables (one, unless the context cuts it).
/// Versions shadowed within a snapshot stripe are dropped; so are deletions that `older`
/// (whatever may hold older versions of the memtable's keys) says have nothing to hide.
/// `snapshots`: live snapshot sequences, ascending.
pub(crate) fn flush_memtable(
    ctx: &OutputContext<'_>,
    mem: &Arc<Memtable>,
    snapshots: &[SequenceNumber],
    older: &DeeperFiles,
) -> Result<(Vec<crate::version::FileMeta>, u64)> {
    if mem.is_empty() {
        return Ok((Vec::new(), 0));
    }
    let tombstones = mem.range_tombstones();
    let mut input = mem.iter();
    write_tables(ctx, &mut input, &tombstones, snapshots, older)
}

fn validate(options: &Options) -> Result<()> {
    let bad = |what: &str| Err(Error::InvalidArgument(what.to_owned()));
    if options.levels < 2 || options.levels > 32 {
        return bad("levels must be between 2 and 32");
    }
    if options.memtable_bytes_max == 0 {
        return bad("memtable_bytes_max must be positive");
    }
    if options.level0_slowdown_trigger > options.level0_stop_trigger {
        return bad("level0_slowdown_trigger must not exceed level0_stop_trigger");
    }
    if options.immutable_memtables_max == 0 {
        return bad("immutable_memtables_max must be at least 1");
    }
    Ok(())
}
