//! The write path: group commit into the WAL, insertion into the memtable, publication of the
//! new sequence number, and making room (stalls and memtable switches) before each group.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::{Engine, State, SuperVersion};
use crate::SequenceNumber;
use crate::batch::WriteBatch;
use crate::db::Durability;
use crate::error::{Error, Result};
use crate::memtable::Memtable;
use crate::wal::Wal;
use crate::write_queue::Writer;

/// How long a write is delayed when level 0 reaches the slowdown trigger.
const SLOWDOWN_DELAY: Duration = Duration::from_millis(1);
/// Longest single wait for background work before conditions are checked again.
const STALL_WAIT: Duration = Duration::from_millis(100);

impl Engine {
    /// Applies `batch` atomically; returns the sequence number of its last operation.
    pub(crate) fn write(
        &self,
        batch: WriteBatch,
        durability: Durability,
    ) -> Result<SequenceNumber> {
        self.check_writable()?;
        if batch.is_empty() {
            return Ok(self.visible.load(Ordering::Acquire));
        }
        let sync = durability == Durability::Sync;
        if self.write_queue.try_solo() {
            let writer = Writer::solo(batch, sync);
            let result = (|| {
                let _writers = self.write_lock.lock();
                let mem = self.make_room()?;
                self.write_group(&[&writer], &mem)?;
                Ok(writer.batch.lock().last_sequence())
            })();
            self.write_queue.end_solo();
            return result;
        }
        let writer = Writer::new(batch, sync);
        if let Some(outcome) = self.write_queue.join(&writer) {
            return outcome;
        }
        // This writer leads a group.
        let mut group = self.write_lock.lock();
        let mem = match self.make_room() {
            Ok(mem) => mem,
            Err(e) => {
                drop(group);
                let message = e.poison_reason();
                let mut own = Some(e);
                return self
                    .write_queue
                    .complete(std::slice::from_ref(&writer), |_| {
                        Err(own.take().unwrap_or(Error::Poisoned(message.clone())))
                    });
            }
        };
        self.write_queue.take_group(&writer, &mut group);
        let result = self.write_group(&group, &mem);
        let outcome = match result {
            Ok(()) => self
                .write_queue
                .complete(&group, |i| Ok(group[i].batch.lock().last_sequence())),
            Err(e) => {
                let message = e.poison_reason();
                let mut own = Some(e);
                self.write_queue.complete(&group, |i| {
                    if i == 0 {
                        Err(own.take().expect("taken once"))
                    } else {
                        Err(Error::Poisoned(message.clone()))
                    }
                })
            }
        };
        group.clear();
        outcome
    }

    /// Logs and applies a group (each batch is stamped with its sequence numbers).
    fn write_group<W: std::ops::Deref<Target = Writer>>(
        &self,
        group: &[W],
        mem: &Memtable,
    ) -> Result<()> {
        self.check_writable()?;
        let first = self.visible.load(Ordering::Acquire) + 1;
        let mut next = first;
        let mut user_bytes = 0;
        let sync = group.iter().any(|w| w.sync);
        {
            let mut wal = self.wal.lock();
            for w in group {
                let mut batch = w.batch.lock();
                batch.set_sequence(next);
                next += batch.len() as u64;
                user_bytes += batch.user_bytes();
                wal.add_batch(&batch);
            }
            let appended = wal.write_records().and_then(|n| {
                if sync && wal.sync()? {
                    self.counters.wal_syncs.fetch_add(1, Ordering::Relaxed);
                }
                Ok(n)
            });
            match appended {
                Ok(n) => {
                    self.counters.wal_bytes.fetch_add(n, Ordering::Relaxed);
                }
                Err(e) => {
                    drop(wal);
                    let mut state = self.state.lock();
                    self.poison(&mut state, &e);
                    return Err(e);
                }
            }
        }
        for w in group {
            mem.insert_batch(&w.batch.lock().view());
        }
        self.counters
            .user_bytes
            .fetch_add(user_bytes, Ordering::Relaxed);
        self.visible.store(next - 1, Ordering::Release);
        Ok(())
    }

    /// Before a group: slows down or waits while background work is behind, and switches to a
    /// new memtable when the active one is full. Called by the leader holding `write_lock`;
    /// returns the memtable the group goes into.
    fn make_room(&self) -> Result<Arc<Memtable>> {
        {
            // Fast path, without the state lock: nothing to wait for.
            let current = self.current.lock();
            if current.version.levels[0].len() < self.options.level0_slowdown_trigger
                && current.mem.approximate_bytes() < self.options.memtable_bytes_max
            {
                return Ok(Arc::clone(&current.mem));
            }
        }
        let mut delayed = false;
        let mut state = self.state.lock();
        loop {
            self.check_writable()?;
            let l0 = state.manifest.version.levels[0].len();
            let options = &self.options;
            if !delayed && l0 >= options.level0_slowdown_trigger {
                drop(state);
                let start = Instant::now();
                std::thread::sleep(SLOWDOWN_DELAY);
                self.add_stall(start);
                delayed = true;
                state = self.state.lock();
                continue;
            }
            if state.mem.approximate_bytes() < options.memtable_bytes_max {
                return Ok(Arc::clone(&state.mem));
            }
            if state.imms.len() >= options.immutable_memtables_max
                || l0 >= options.level0_stop_trigger
            {
                let start = Instant::now();
                self.bg_cv.notify_all();
                self.bg_cv.wait_for(&mut state, STALL_WAIT);
                self.add_stall(start);
                continue;
            }
            self.switch_memtable(&mut state)?;
            return Ok(Arc::clone(&state.mem));
        }
    }

    fn add_stall(&self, since: Instant) {
        let micros = u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.counters
            .stall_micros
            .fetch_add(micros, Ordering::Relaxed);
    }

    /// Freezes the active memtable and starts a new one with its own WAL. The old WAL is synced
    /// first: a later log must never hold a durable write while an earlier one may lose some.
    pub(crate) fn switch_memtable(&self, state: &mut State) -> Result<()> {
        let number = state.manifest.next_file_number;
        state.manifest.next_file_number += 1;
        let switched = (|| {
            let mut wal = self.wal.lock();
            wal.sync()?;
            let new_wal = Wal::create(&self.fs, &self.dir, number)?;
            *wal = new_wal;
            Ok(())
        })();
        if let Err(e) = switched {
            self.poison(state, &e);
            return Err(e);
        }
        let old = std::mem::replace(
            &mut state.mem,
            Arc::new(Memtable::new(number, self.options.memtable_bytes_max)),
        );
        state.imms.push(old);
        self.install_super_version(state);
        self.bg_cv.notify_all();
        Ok(())
    }

    /// Publishes the memtables and version of `state` to readers.
    pub(crate) fn install_super_version(&self, state: &State) {
        let sv = SuperVersion {
            mem: Arc::clone(&state.mem),
            imms: state.imms.iter().rev().cloned().collect(),
            version: Arc::clone(&state.manifest.version),
        };
        *self.current.lock() = Arc::new(sv);
    }

    /// Freezes the active memtable (if it holds anything) and waits until it and every older
    /// memtable are flushed.
    pub(crate) fn flush(&self) -> Result<()> {
        self.check_open()?;
        let target = {
            let _writers = self.write_lock.lock();
            let mut state = self.state.lock();
            if !state.mem.is_empty() {
                self.check_writable()?;
                self.switch_memtable(&mut state)?;
            }
            state.imms.last().map(|m| m.wal_number())
        };
        let Some(target) = target else { return Ok(()) };
        let mut state = self.state.lock();
        loop {
            if let Some(e) = &state.bg_error {
                return Err(Error::Poisoned(e.clone()));
            }
            if self.closed.load(Ordering::Acquire) {
                return Err(Error::Closed);
            }
            if state.imms.first().is_none_or(|m| m.wal_number() > target) {
                return Ok(());
            }
            self.bg_cv.wait_for(&mut state, STALL_WAIT);
        }
    }
}
