//! Group commit: writers queue up; the one at the head becomes the leader, takes the batches
//! queued behind it, writes them all to the WAL with one append and at most one sync, applies
//! them, and hands each follower its result.
//!
//! A writer that finds nobody writing and nobody queued writes *solo*, without queueing: the
//! common single-threaded case then costs two short lock holds and no allocation.

use std::collections::VecDeque;
use std::sync::Arc;

use parking_lot::{Condvar, Mutex};

use crate::SequenceNumber;
use crate::batch::WriteBatch;
use crate::error::Result;

/// Largest group a leader takes, in encoded bytes.
const GROUP_BYTES_MAX: usize = 1 << 20;
/// A leader with a small batch takes at most this much more, so small writes stay quick.
const SMALL_LEADER_EXTRA: usize = 128 << 10;

/// One queued write.
#[derive(Debug)]
pub(crate) struct Writer {
    /// The batch; the leader stamps its sequence number.
    pub(crate) batch: Mutex<WriteBatch>,
    /// Whether the writer asked for an fsync.
    pub(crate) sync: bool,
    outcome: Mutex<Option<Result<SequenceNumber>>>,
}

impl Writer {
    /// A writer that will queue.
    pub(crate) fn new(batch: WriteBatch, sync: bool) -> Arc<Self> {
        Arc::new(Self::solo(batch, sync))
    }

    /// A writer for a solo write (see [`WriteQueue::try_solo`]).
    pub(crate) fn solo(batch: WriteBatch, sync: bool) -> Self {
        Self {
            batch: Mutex::new(batch),
            sync,
            outcome: Mutex::new(None),
        }
    }
}

#[derive(Debug, Default)]
struct QueueState {
    writers: VecDeque<Arc<Writer>>,
    /// A writer is writing without having queued.
    solo: bool,
}

/// The queue of writers waiting for a leader.
#[derive(Debug, Default)]
pub(crate) struct WriteQueue {
    queue: Mutex<QueueState>,
    cv: Condvar,
}

impl WriteQueue {
    /// Queues `writer` and waits. Returns `None` when it became the leader (it must then call
    /// [`WriteQueue::take_group`] and [`WriteQueue::complete`]), or its result when a leader
    /// wrote it.
    pub(crate) fn join(&self, writer: &Arc<Writer>) -> Option<Result<SequenceNumber>> {
        let mut queue = self.queue.lock();
        queue.writers.push_back(Arc::clone(writer));
        loop {
            if let Some(outcome) = writer.outcome.lock().take() {
                return Some(outcome);
            }
            if !queue.solo && Arc::ptr_eq(&queue.writers[0], writer) {
                return None;
            }
            self.cv.wait(&mut queue);
        }
    }

    /// Claims the right to write alone if nobody is writing or queued; the caller must then
    /// write its batch as a group of one and call [`WriteQueue::end_solo`].
    pub(crate) fn try_solo(&self) -> bool {
        let mut queue = self.queue.lock();
        if queue.solo || !queue.writers.is_empty() {
            return false;
        }
        queue.solo = true;
        true
    }

    /// Ends a solo write and wakes a writer that queued meanwhile.
    pub(crate) fn end_solo(&self) {
        let mut queue = self.queue.lock();
        debug_assert!(queue.solo);
        queue.solo = false;
        if !queue.writers.is_empty() {
            self.cv.notify_all();
        }
    }

    /// Fills `group` with the leader's group: the leader first, then followers in queue order,
    /// bounded in bytes.
    pub(crate) fn take_group(&self, leader: &Arc<Writer>, group: &mut Vec<Arc<Writer>>) {
        group.clear();
        let queue = self.queue.lock();
        let queue = &queue.writers;
        debug_assert!(Arc::ptr_eq(&queue[0], leader));
        let first = leader.batch.lock().encoded_ops().len();
        let limit = if first <= SMALL_LEADER_EXTRA {
            first + SMALL_LEADER_EXTRA
        } else {
            GROUP_BYTES_MAX
        };
        let mut size = 0;
        for w in queue.iter() {
            let len = if group.is_empty() {
                first
            } else {
                w.batch.lock().encoded_ops().len()
            };
            if !group.is_empty() && size + len > limit {
                break;
            }
            size += len;
            group.push(Arc::clone(w));
        }
    }

    /// Ends the leader's turn: hands every follower of the group its outcome, removes the group
    /// from the queue and wakes the next leader. Returns the leader's own outcome.
    pub(crate) fn complete(
        &self,
        group: &[Arc<Writer>],
        mut outcome: impl FnMut(usize) -> Result<SequenceNumber>,
    ) -> Result<SequenceNumber> {
        let mut queue = self.queue.lock();
        let mut mine = None;
        for (i, w) in group.iter().enumerate() {
            let front = queue
                .writers
                .pop_front()
                .expect("the group is at the front of the queue");
            debug_assert!(Arc::ptr_eq(&front, w));
            if i == 0 {
                mine = Some(outcome(0));
            } else {
                *w.outcome.lock() = Some(outcome(i));
            }
        }
        self.cv.notify_all();
        mine.expect("a group holds its leader")
    }
}
