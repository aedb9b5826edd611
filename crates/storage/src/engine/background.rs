//! Background work: flushing immutable memtables, compacting, syncing buffered WAL writes, and
//! deleting files no version needs any more.
//!
//! Workers take jobs under the state lock and run them without it; a finished job commits its
//! [`VersionEdit`] to the manifest (new tables are synced, and so is their directory entry,
//! before the manifest names them) and installs the new version. One flush runs at a time, so
//! memtables reach level 0 in order; compactions run beside it on files no other job uses.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::{Engine, State, flush_memtable, table_options};
use crate::compaction::{self, Compaction, DeeperFiles, OutputContext, write_tables};
use crate::db_files::{table_file_name, wal_file_name};
use crate::error::{Error, Result};
use crate::iter::{InternalIterator, MergingIter};
use crate::manifest::VersionEdit;
use crate::range_tombstone::FragmentedTombstones;
use crate::version::FileMeta;

/// Rewrite the manifest from a snapshot once its log of edits grows past this.
const MANIFEST_ROLL_BYTES: u64 = 8 << 20;

enum Job {
    Flush(Arc<crate::memtable::Memtable>),
    Compact(Compaction),
}

/// Starts the worker threads and the WAL syncer.
pub(super) fn start(engine: &Arc<Engine>) {
    let mut threads = engine.threads.lock();
    for i in 0..engine.options.background_threads.max(1) {
        let e = Arc::clone(engine);
        threads.push(
            std::thread::Builder::new()
                .name(format!("ferrodyn-bg-{i}"))
                .spawn(move || worker(&e))
                .expect("spawning a background thread"),
        );
    }
    let e = Arc::clone(engine);
    threads.push(
        std::thread::Builder::new()
            .name("ferrodyn-wal-sync".to_owned())
            .spawn(move || syncer(&e))
            .expect("spawning the WAL syncer"),
    );
}

/// Signals the threads to stop and joins them (a running job finishes first).
pub(super) fn stop(engine: &Engine) {
    {
        let _state = engine.state.lock();
        engine.bg_cv.notify_all();
    }
    {
        let (lock, cv) = &engine.syncer_cv;
        *lock.lock() = true;
        cv.notify_all();
    }
    let threads: Vec<_> = engine.threads.lock().drain(..).collect();
    for t in threads {
        let _ = t.join();
    }
}

impl Engine {
    /// Syncs the current log up to its present length (earlier logs were synced when they were
    /// switched away from). A failure poisons the engine: no later write may be acknowledged
    /// as durable after an fsync failed.
    pub(crate) fn sync_wal(&self) -> crate::error::Result<()> {
        self.check_writable()?;
        // Only the handle is taken under the log's lock; the sync itself runs beside writers.
        let handle = self.wal.lock().background_sync();
        match handle.map_or(Ok(false), |(h, len)| h.sync(len)) {
            Ok(synced) => {
                if synced {
                    self.counters.wal_syncs.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
            Err(e) => {
                let mut state = self.state.lock();
                self.poison(&mut state, &e);
                Err(e)
            }
        }
    }
}

fn syncer(engine: &Engine) {
    let (lock, cv) = &engine.syncer_cv;
    loop {
        {
            let mut stop = lock.lock();
            if *stop {
                return;
            }
            cv.wait_for(&mut stop, engine.options.buffered_sync_interval);
            if *stop {
                return;
            }
        }
        if engine.poisoned.load(Ordering::Acquire) {
            continue;
        }
        let _ = engine.sync_wal();
    }
}

/// Oldest sequence a reader may need: the oldest snapshot, or the visible sequence.
fn oldest_needed(engine: &Engine) -> u64 {
    let snapshots = engine.snapshots.lock();
    snapshots
        .keys()
        .next()
        .copied()
        .unwrap_or_else(|| engine.visible.load(Ordering::Acquire))
}

fn max_compactions(engine: &Engine) -> usize {
    engine.options.background_threads.saturating_sub(1).max(1)
}

fn next_job(engine: &Engine, state: &mut State) -> Option<Job> {
    if state.bg_error.is_some() {
        return None;
    }
    if !state.flushing
        && let Some(mem) = state.imms.first()
    {
        let mem = Arc::clone(mem);
        state.flushing = true;
        return Some(Job::Flush(mem));
    }
    if state.compactions < max_compactions(engine) {
        let oldest = oldest_needed(engine);
        let version = Arc::clone(&state.manifest.version);
        let picked = compaction::pick(
            &version,
            &engine.options,
            &state.busy,
            &mut state.pointers,
            oldest,
        );
        if let Some(c) = picked {
            state.compactions += 1;
            state.busy.extend(c.all_inputs().map(|f| f.number));
            return Some(Job::Compact(c));
        }
    }
    None
}

fn worker(engine: &Engine) {
    loop {
        let job = {
            let mut state = engine.state.lock();
            loop {
                if engine.closed.load(Ordering::Acquire) {
                    return;
                }
                if let Some(job) = next_job(engine, &mut state) {
                    break job;
                }
                engine
                    .bg_cv
                    .wait_for(&mut state, Duration::from_millis(500));
            }
        };
        match job {
            Job::Flush(mem) => run_flush(engine, &mem),
            Job::Compact(c) => run_compaction(engine, &c),
        }
        engine.bg_cv.notify_all();
    }
}

/// Allocates output file numbers and protects them from deletion until committed.
fn output_context<'a>(
    engine: &'a Engine,
    target_file_bytes: u64,
    new_number: &'a dyn Fn() -> u64,
) -> OutputContext<'a> {
    OutputContext {
        fs: &*engine.fs,
        dir: engine.dir.clone(),
        table_options: table_options(&engine.options),
        target_file_bytes,
        new_file_number: new_number,
    }
}

fn allocate_number(engine: &Engine) -> u64 {
    let mut state = engine.state.lock();
    let n = state.manifest.next_file_number;
    state.manifest.next_file_number += 1;
    state.pending_outputs.insert(n);
    n
}

fn run_flush(engine: &Engine, mem: &Arc<crate::memtable::Memtable>) {
    let snapshots = engine.snapshot_list();
    let new_number = || allocate_number(engine);
    let ctx = output_context(engine, u64::MAX, &new_number);
    // Memtables are flushed one at a time, oldest first: every older version of this
    // memtable's keys is in a table of the current version. Asking more tables than the table
    // cache keeps open would reopen some at every flush: then every deletion is kept.
    let version = Arc::clone(&engine.state.lock().manifest.version);
    let tables: usize = version.levels.iter().map(Vec::len).sum();
    let older = if tables <= engine.options.open_tables_max / 2 {
        DeeperFiles::all_tables(&version, &engine.tables)
    } else {
        Ok(DeeperFiles::everything())
    };
    let written = older
        .and_then(|older| flush_memtable(&ctx, mem, &snapshots, &older))
        .and_then(|out| sync_new_tables(engine, out));
    let mut state = engine.state.lock();
    state.flushing = false;
    let (files, bytes) = match written {
        Ok(out) => out,
        Err(e) => {
            engine.poison(&mut state, &e);
            return;
        }
    };
    debug_assert!(
        Arc::ptr_eq(&state.imms[0], mem),
        "memtables are flushed oldest first"
    );
    let log_number = state
        .imms
        .get(1)
        .map_or(state.mem.wal_number(), |m| m.wal_number());
    let last_sequence = state.manifest.last_sequence.max(mem.largest_sequence());
    let edit = VersionEdit {
        log_number: Some(log_number),
        last_sequence: Some(last_sequence),
        added: files.iter().map(|f| (0, f.clone())).collect(),
        ..Default::default()
    };
    if commit(engine, &mut state, edit, &files).is_err() {
        return;
    }
    engine
        .counters
        .flush_bytes
        .fetch_add(bytes, Ordering::Relaxed);
    state.imms.remove(0);
    engine.install_super_version(&state);
    drop(state);
    // Logs of flushed memtables are no longer needed.
    let names = engine.fs.list_dir(&engine.dir).unwrap_or_default();
    for name in names {
        if let Some(crate::db_files::FileKind::Wal(n)) = crate::db_files::parse_file_name(&name)
            && n < log_number
        {
            let _ = engine.fs.remove_file(&engine.dir.join(wal_file_name(n)));
        }
    }
}

/// Appends `edit` to the manifest and applies it; poisons the engine on failure. Clears the
/// committed outputs from `pending_outputs` either way.
fn commit(
    engine: &Engine,
    state: &mut State,
    mut edit: VersionEdit,
    outputs: &[FileMeta],
) -> Result<()> {
    for f in outputs {
        state.pending_outputs.remove(&f.number);
    }
    edit.next_file_number = Some(state.manifest.next_file_number);
    let mut next = state.manifest.clone();
    let applied = next.apply(&edit).map_err(|detail| Error::Corruption {
        path: engine.dir.clone(),
        detail,
    });
    let result = applied.and_then(|()| state.manifest_writer.append(&edit));
    if let Err(e) = result {
        engine.poison(state, &e);
        return Err(e);
    }
    state.manifest = next;
    state
        .live_versions
        .push(Arc::downgrade(&state.manifest.version));
    if state.manifest_writer.len() > MANIFEST_ROLL_BYTES {
        roll_manifest(engine, state);
    }
    Ok(())
}

/// Starts a new manifest holding the current state, so the log of edits stays short.
fn roll_manifest(engine: &Engine, state: &mut State) {
    let number = state.manifest.next_file_number;
    state.manifest.next_file_number += 1;
    let old = state.manifest_writer.number();
    match crate::manifest::ManifestWriter::create(&*engine.fs, &engine.dir, number, &state.manifest)
    {
        Ok(writer) => {
            state.manifest_writer = writer;
            let _ = engine
                .fs
                .remove_file(&engine.dir.join(crate::db_files::manifest_file_name(old)));
        }
        Err(e) => engine.poison(state, &e),
    }
}

fn run_compaction(engine: &Engine, c: &Compaction) {
    let result = if c.trivial_move {
        Ok((Vec::new(), 0))
    } else {
        write_compaction(engine, c)
    };
    let mut state = engine.state.lock();
    state.compactions -= 1;
    for f in c.all_inputs() {
        state.busy.remove(&f.number);
    }
    let (files, bytes) = match result {
        Ok(out) => out,
        Err(e) => {
            engine.poison(&mut state, &e);
            return;
        }
    };
    let mut edit = VersionEdit::default();
    edit.deleted
        .extend(c.inputs.iter().map(|f| (c.level, f.number)));
    edit.deleted
        .extend(c.next_inputs.iter().map(|f| (c.output_level, f.number)));
    if c.trivial_move {
        edit.added
            .extend(c.inputs.iter().map(|f| (c.output_level, (**f).clone())));
    } else {
        edit.added
            .extend(files.iter().map(|f| (c.output_level, f.clone())));
    }
    if commit(engine, &mut state, edit, &files).is_err() {
        return;
    }
    engine
        .counters
        .compaction_bytes
        .fetch_add(bytes, Ordering::Relaxed);
    if !c.trivial_move {
        state
            .obsolete_tables
            .extend(c.all_inputs().map(|f| f.number));
    }
    engine.install_super_version(&state);
    purge_obsolete(engine, &mut state);
}

fn write_compaction(engine: &Engine, c: &Compaction) -> Result<(Vec<FileMeta>, u64)> {
    let snapshots = engine.snapshot_list();
    let version = Arc::clone(&engine.state.lock().manifest.version);
    let mut children: Vec<Box<dyn InternalIterator>> = Vec::new();
    let mut tombstones = Vec::new();
    for f in c.all_inputs() {
        let table = engine.tables.get(f)?;
        tombstones.extend(table.tombstones().tombstones());
        children.push(Box::new(table.iter(false)));
    }
    let tombstones = FragmentedTombstones::build(tombstones);
    let mut input = MergingIter::new(children);
    let deeper = DeeperFiles::below(&version, c.output_level);
    let new_number = || allocate_number(engine);
    let ctx = output_context(engine, engine.options.target_file_bytes.max(1), &new_number);
    let out = write_tables(&ctx, &mut input, &tombstones, &snapshots, &deeper)?;
    sync_new_tables(engine, out)
}

/// Makes the directory entries of new tables (`out`, as written) durable, before the manifest
/// names them.
fn sync_new_tables(engine: &Engine, out: (Vec<FileMeta>, u64)) -> Result<(Vec<FileMeta>, u64)> {
    if !out.0.is_empty() {
        engine
            .fs
            .sync_dir(&engine.dir)
            .map_err(super::io("syncing the database directory", &engine.dir))?;
    }
    Ok(out)
}

/// Deletes obsolete tables that no live version (held by a reader) still lists.
pub(super) fn purge_obsolete(engine: &Engine, state: &mut State) {
    state.live_versions.retain(|v| v.strong_count() > 0);
    let mut in_use: HashSet<u64> = HashSet::new();
    for v in state
        .live_versions
        .iter()
        .filter_map(std::sync::Weak::upgrade)
    {
        in_use.extend(v.file_numbers());
    }
    in_use.extend(state.manifest.version.file_numbers());
    let (keep, delete): (Vec<u64>, Vec<u64>) = state
        .obsolete_tables
        .drain(..)
        .partition(|n| in_use.contains(n));
    state.obsolete_tables = keep;
    for n in delete {
        engine.tables.evict(n);
        // A failed removal leaves an orphan that the next open removes.
        let _ = engine.fs.remove_file(&engine.dir.join(table_file_name(n)));
    }
}

impl Engine {
    /// Waits until no flush or compaction is pending or running.
    pub(crate) fn wait_for_compactions(&self) -> Result<()> {
        self.check_open()?;
        let mut state = self.state.lock();
        loop {
            if let Some(e) = &state.bg_error {
                return Err(Error::Poisoned(e.clone()));
            }
            let idle = state.imms.is_empty() && !state.flushing && state.compactions == 0;
            if idle {
                let mut pointers = state.pointers.clone();
                let oldest = oldest_needed(self);
                let pending = compaction::pick(
                    &state.manifest.version,
                    &self.options,
                    &state.busy,
                    &mut pointers,
                    oldest,
                );
                if pending.is_none() {
                    purge_obsolete(self, &mut state);
                    return Ok(());
                }
                self.bg_cv.notify_all();
            }
            self.bg_cv.wait_for(&mut state, Duration::from_millis(50));
        }
    }
}
