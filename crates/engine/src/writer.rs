//! The write path of a partition: one ordered stream of mutations, applied by one thread at a time.
//!
//! Every write to a partition (PutItem, UpdateItem, a BatchWriteItem's share, ...) is a
//! [`Mutation`]: a closure that reads the partition's current state, decides what to write
//! (evaluating conditions, computing the new item) and stages it in a [`Group`]. A partition's
//! mutations run strictly one after another, so a condition is always evaluated against the state
//! the write will replace: conditional writes and counters are correct without locks on keys.
//!
//! Mutations queue per partition. A small pool of threads ([`WriterPool`]) takes a partition with
//! queued work, runs *all* its queued mutations as one group (each sees the ones before it through
//! the group's overlay), writes the group as one storage batch with one WAL sync, and only then
//! answers each mutation's caller. Under load this is group commit: 32 concurrent writers cost one
//! fsync, not 32. Reads never see a staged write before it is durable, because the storage engine
//! makes a batch visible only after its WAL record is written (and synced, for `Sync`).
//!
//! This is the single-node *replicator*: the one place that orders and makes mutations durable. In
//! a cluster the same closures run as the apply step of the partition's Raft log.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use ferrodyn_storage::{Db, Durability, Keyspace, WriteBatch};
use parking_lot::{Condvar, Mutex, RwLock};

use crate::replicate::{CommitError, Replicator, Scope, Ticket};

/// What a mutation does once its group is durable (or failed): typically sends the response.
pub type Completion = Box<dyn FnOnce(Result<(), CommitError>) + Send>;

/// A unit of work on one partition: stages writes in the group and returns what to do once they
/// are durable. A mutation that fails validation stages nothing and answers in its completion.
pub type Mutation = Box<dyn FnOnce(&mut Group<'_>) -> Completion + Send>;

/// Most groups of one partition being replicated at once (pipelining replicators only). More
/// lets more writes overlap; fewer makes each group (and so each Raft entry) larger.
const IN_FLIGHT_MAX: usize = 8;

/// The writes of a partition's groups that were handed to a pipelining replicator and are not
/// applied yet: later groups are decided as if they were.
#[derive(Debug, Default)]
struct InFlight {
    /// Key → its newest value (`None` = deleted) and the generation of the group that wrote it.
    overlay: HashMap<Vec<u8>, (Option<Vec<u8>>, u64)>,
    /// Index id → its newest totals and the generation of the group that wrote them.
    totals: Vec<(u32, Counts, u64)>,
    /// Groups in flight.
    groups: usize,
    next_generation: u64,
}

/// A set of mutations of one partition being turned into one storage batch.
pub struct Group<'a> {
    db: &'a Db,
    keyspace: Keyspace,
    batch: WriteBatch,
    /// Writes staged by earlier mutations of this group: key → new value (`None` = deleted).
    overlay: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// Ranges this group deleted (keys in them read as absent unless written again).
    deleted: Vec<(Vec<u8>, Vec<u8>)>,
    /// Writes of earlier groups still being replicated.
    in_flight: Option<&'a Mutex<InFlight>>,
    /// Change of the partition's item counts and sizes by this group, per index (0 = the table).
    deltas: Vec<(u32, Counts)>,
    /// The partition's data was dropped (DeleteTable): its statistics must not be rewritten.
    dropped: bool,
}

impl<'a> Group<'a> {
    fn new(db: &'a Db, keyspace: Keyspace) -> Self {
        Self {
            db,
            keyspace,
            batch: WriteBatch::new(),
            overlay: HashMap::new(),
            deleted: Vec::new(),
            in_flight: None,
            deltas: Vec::new(),
            dropped: false,
        }
    }

    /// The value of `key` as this mutation must see it: staged by an earlier mutation of the
    /// group, or else durable in storage.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ferrodyn_storage::Error> {
        if let Some(staged) = self.overlay.get(key) {
            return Ok(staged.clone());
        }
        if self
            .deleted
            .iter()
            .any(|(start, end)| start.as_slice() <= key && key < end.as_slice())
        {
            return Ok(None);
        }
        if let Some(in_flight) = self.in_flight
            && let Some((value, _)) = in_flight.lock().overlay.get(key)
        {
            return Ok(value.clone());
        }
        self.db.get(self.keyspace, key)
    }

    /// Stages `key = value`.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.batch.put(self.keyspace, &key, &value);
        self.overlay.insert(key, Some(value));
    }

    /// Stages the removal of `key`.
    pub fn delete(&mut self, key: Vec<u8>) {
        self.batch.delete(self.keyspace, &key);
        self.overlay.insert(key, None);
    }

    /// Accounts for an item replaced in the partition: its size (DynamoDB's item size) before
    /// and after, `None` where there was or will be no item.
    pub fn count_item_change(&mut self, before: Option<usize>, after: Option<usize>) {
        self.count_entry_change(0, before, after);
    }

    /// Accounts for an entry of index `index` (0 = the table itself) replaced in the partition.
    pub fn count_entry_change(&mut self, index: u32, before: Option<usize>, after: Option<usize>) {
        let change = Counts {
            items: i64::from(after.is_some()) - i64::from(before.is_some()),
            bytes: after.unwrap_or(0) as i64 - before.unwrap_or(0) as i64,
        };
        match self.deltas.iter_mut().find(|(i, _)| *i == index) {
            Some((_, delta)) => delta.add(change),
            None => self.deltas.push((index, change)),
        }
    }

    /// Stages the removal of every key in `start..end` of the partition's keyspace, and of the
    /// partition's statistics records: the partition is gone (DeleteTable).
    pub fn drop_partition(&mut self, ranges: &[(Vec<u8>, Vec<u8>)], meta: Keyspace, stats: &[u8]) {
        for (start, end) in ranges {
            self.batch.delete_range(self.keyspace, start, end);
            self.deleted.push((start.clone(), end.clone()));
        }
        self.batch
            .delete_range(meta, stats, &crate::catalog::prefix_end(stats));
        self.overlay.clear();
        self.dropped = true;
    }

    /// Stages the removal of every key in `start..end` of the partition's keyspace (an index
    /// being deleted) and forgets the index's statistics.
    pub fn drop_range(&mut self, start: &[u8], end: &[u8], index: u32, stats: &PartitionStats) {
        self.batch.delete_range(self.keyspace, start, end);
        self.overlay
            .retain(|key, _| key.as_slice() < start || key.as_slice() >= end);
        self.deleted.push((start.to_vec(), end.to_vec()));
        let current = stats.of(index);
        self.deltas.retain(|(i, _)| *i != index);
        self.deltas.push((
            index,
            Counts {
                items: -current.items,
                bytes: -current.bytes,
            },
        ));
    }

    /// Stages the removal of every key in `start..end` of the partition's keyspace.
    pub fn delete_range(&mut self, start: &[u8], end: &[u8]) {
        self.batch.delete_range(self.keyspace, start, end);
        self.overlay
            .retain(|key, _| key.as_slice() < start || key.as_slice() >= end);
        self.deleted.push((start.to_vec(), end.to_vec()));
    }

    /// Stages a write of another keyspace in the same atomic batch (not seen by [`Group::get`]).
    pub fn put_in(&mut self, keyspace: Keyspace, key: &[u8], value: &[u8]) {
        self.batch.put(keyspace, key, value);
    }

    /// Stages the removal of a key of another keyspace (the catalog) in the same atomic batch.
    pub fn delete_in(&mut self, keyspace: Keyspace, key: &[u8]) {
        self.batch.delete(keyspace, key);
    }
}

/// An item count and a total size in bytes (DynamoDB's item sizes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Items (or index entries).
    pub items: i64,
    /// Their total size.
    pub bytes: i64,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.items += other.items;
        self.bytes += other.bytes;
    }

    /// Reads counts as stored: two big-endian i64s.
    pub fn decode(bytes: &[u8]) -> Option<Counts> {
        if bytes.len() != 16 {
            return None;
        }
        let items = i64::from_be_bytes(bytes[..8].try_into().ok()?);
        let bytes = i64::from_be_bytes(bytes[8..].try_into().ok()?);
        Some(Counts { items, bytes })
    }

    fn encode(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.items.to_be_bytes());
        out[8..].copy_from_slice(&self.bytes.to_be_bytes());
        out
    }
}

/// A partition's item counts and sizes, for the table (index 0) and each secondary index, kept
/// exact: every group writes the new totals in the same batch as the items.
#[derive(Debug, Default)]
pub struct PartitionStats {
    pub(crate) counts: Mutex<Vec<(u32, Counts)>>,
}

impl PartitionStats {
    /// Statistics as loaded: counts per index.
    pub fn new(counts: Vec<(u32, Counts)>) -> Self {
        Self {
            counts: Mutex::new(counts),
        }
    }

    /// The counts of index `index` (0 = the table).
    pub fn of(&self, index: u32) -> Counts {
        self.counts
            .lock()
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, c)| *c)
            .unwrap_or_default()
    }

    /// Items in the table's partition.
    pub fn items(&self) -> i64 {
        self.of(0).items
    }

    /// Total size of the partition's items in bytes.
    pub fn bytes(&self) -> i64 {
        self.of(0).bytes
    }

    /// Adds `other`'s counts to these.
    pub fn add(&self, other: &PartitionStats) {
        let theirs = other.counts.lock().clone();
        let mut all = self.counts.lock();
        for (index, counts) in theirs {
            match all.iter_mut().find(|(i, _)| *i == index) {
                Some((_, current)) => current.add(counts),
                None => all.push((index, counts)),
            }
        }
    }

    /// Forgets every count (the partition's data was dropped).
    pub fn clear(&self) {
        self.counts.lock().clear();
    }

    /// Sets the counts of index `index` (0 = the table).
    pub fn set(&self, index: u32, counts: Counts) {
        let mut all = self.counts.lock();
        match all.iter_mut().find(|(i, _)| *i == index) {
            Some((_, current)) => *current = counts,
            None => all.push((index, counts)),
        }
    }
}

/// A partition's queue of mutations. Cheap to share; submit from any thread.
pub struct WriteQueue {
    scope: Scope,
    keyspace: Keyspace,
    meta: Keyspace,
    stats_key: Vec<u8>,
    stats: PartitionStats,
    /// The last sequence number given to a stream record of this partition.
    stream_sequence: AtomicU64,
    state: Mutex<QueueState>,
    in_flight: Mutex<InFlight>,
    /// Signalled whenever an in-flight group lands.
    landed: Condvar,
}

#[derive(Default)]
struct QueueState {
    pending: Vec<Mutation>,
    /// Background work (index backfill chunks, expired-item deletions), run behind `pending`.
    background: VecDeque<Mutation>,
    /// The last group drained took a background mutation.
    background_last: bool,
    /// The queue is in the pool's run queue or being drained by a writer thread.
    scheduled: bool,
}

impl QueueState {
    /// The mutations of the next group: every pending one, and background ones so that
    /// background work neither delays requests much nor starves. With no request waiting, all
    /// queued background mutations; otherwise one, in every other group. A request then waits
    /// for at most one background mutation besides its own group's, instead of for all of them.
    fn next_group(&mut self) -> Vec<Mutation> {
        let mut group = std::mem::take(&mut self.pending);
        let take = if group.is_empty() {
            self.background.len()
        } else {
            usize::from(!self.background_last && !self.background.is_empty())
        };
        self.background_last = take > 0;
        group.extend(self.background.drain(..take));
        group
    }

    fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.background.is_empty()
    }
}

impl WriteQueue {
    /// An empty queue for a partition of `scope` whose items live in `keyspace`, with its
    /// statistics (`stats`, as loaded) stored under `stats_key` followed by an index id, in `meta`.
    pub fn new(
        scope: Scope,
        keyspace: Keyspace,
        meta: Keyspace,
        stats_key: Vec<u8>,
        stats: PartitionStats,
    ) -> Arc<Self> {
        Arc::new(Self {
            scope,
            keyspace,
            meta,
            stats_key,
            stats,
            stream_sequence: AtomicU64::new(0),
            state: Mutex::new(QueueState::default()),
            in_flight: Mutex::new(InFlight::default()),
            landed: Condvar::new(),
        })
    }

    /// The partition's item count and size, as of the last committed group.
    pub fn stats(&self) -> &PartitionStats {
        &self.stats
    }

    /// Raises the last stream sequence number to `sequence` if it is below (a record applied
    /// from the partition's replication log).
    pub fn observe_stream_sequence(&self, sequence: u64) {
        self.stream_sequence.fetch_max(sequence, Ordering::AcqRel);
    }

    /// The last sequence number given to a stream record of this partition.
    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence.load(Ordering::Acquire)
    }

    /// Sets the last stream sequence number (at load, from storage).
    pub fn set_stream_sequence(&self, sequence: u64) {
        self.stream_sequence.store(sequence, Ordering::Release);
    }

    /// A new stream sequence number: above every earlier one and at least `floor`. Only the
    /// partition's writer calls it (mutations run one at a time).
    pub fn next_stream_sequence(&self, floor: u64) -> u64 {
        let next = (self.stream_sequence() + 1).max(floor);
        self.stream_sequence.store(next, Ordering::Release);
        next
    }
}

impl std::fmt::Debug for WriteQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.lock();
        f.debug_struct("WriteQueue")
            .field("pending", &state.pending.len())
            .field("scheduled", &state.scheduled)
            .finish()
    }
}

/// Threads that drain partition queues and commit their groups.
pub struct WriterPool {
    shared: Arc<PoolShared>,
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// The replicator every write goes through; replaced once when a node joins a cluster.
#[derive(Debug)]
pub struct ReplicatorSlot(RwLock<Arc<dyn Replicator>>);

impl ReplicatorSlot {
    /// A slot holding `replicator`.
    pub fn new(replicator: Arc<dyn Replicator>) -> Self {
        ReplicatorSlot(RwLock::new(replicator))
    }

    /// The replicator now.
    pub fn get(&self) -> Arc<dyn Replicator> {
        self.0.read().clone()
    }

    /// Replaces the replicator.
    pub fn set(&self, replicator: Arc<dyn Replicator>) {
        *self.0.write() = replicator;
    }
}

struct PoolShared {
    db: Db,
    replicator: Arc<ReplicatorSlot>,
    durability: Durability,
    run_queue: Mutex<RunQueue>,
    ready: Condvar,
}

#[derive(Default)]
struct RunQueue {
    partitions: VecDeque<Arc<WriteQueue>>,
    stopping: bool,
}

impl std::fmt::Debug for WriterPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriterPool")
            .field("durability", &self.shared.durability)
            .finish()
    }
}

impl WriterPool {
    /// Starts `threads` writer threads deciding against `db` and committing through
    /// `replicator` with `durability`.
    pub fn start(
        db: Db,
        replicator: Arc<ReplicatorSlot>,
        durability: Durability,
        threads: usize,
    ) -> Self {
        let shared = Arc::new(PoolShared {
            db,
            replicator,
            durability,
            run_queue: Mutex::new(RunQueue::default()),
            ready: Condvar::new(),
        });
        let handles = (0..threads.max(1))
            .map(|i| {
                let shared = shared.clone();
                std::thread::Builder::new()
                    .name(format!("ferrodyn-writer-{i}"))
                    .spawn(move || shared.run())
                    .expect("a writer thread can be spawned")
            })
            .collect();
        Self {
            shared,
            threads: Mutex::new(handles),
        }
    }

    /// Queues `mutation` on `queue`; it runs after every mutation submitted to it before
    /// (background mutations aside).
    pub fn submit(&self, queue: &Arc<WriteQueue>, mutation: Mutation) {
        self.enqueue(queue, mutation, false);
    }

    /// Queues background work on `queue`: it runs after the background mutations submitted
    /// before it, but requests submitted after it may overtake it (see `QueueState`). Such a
    /// mutation must therefore decide from what it reads when it runs, never from what its
    /// submitter read earlier.
    pub fn submit_background(&self, queue: &Arc<WriteQueue>, mutation: Mutation) {
        self.enqueue(queue, mutation, true);
    }

    fn enqueue(&self, queue: &Arc<WriteQueue>, mutation: Mutation, background: bool) {
        let schedule = {
            let mut state = queue.state.lock();
            if background {
                state.background.push_back(mutation);
            } else {
                state.pending.push(mutation);
            }
            !std::mem::replace(&mut state.scheduled, true)
        };
        if schedule {
            let mut run_queue = self.shared.run_queue.lock();
            run_queue.partitions.push_back(queue.clone());
            drop(run_queue);
            self.shared.ready.notify_one();
        }
    }

    /// Lets the threads finish every queued mutation, then stops them.
    pub fn stop(&self) {
        self.shared.run_queue.lock().stopping = true;
        self.shared.ready.notify_all();
        for handle in self.threads.lock().drain(..) {
            let _ = handle.join();
        }
    }
}

impl Drop for WriterPool {
    fn drop(&mut self) {
        self.stop();
    }
}

impl PoolShared {
    fn run(&self) {
        loop {
            let queue = {
                let mut run_queue = self.run_queue.lock();
                loop {
                    if let Some(queue) = run_queue.partitions.pop_front() {
                        break queue;
                    }
                    if run_queue.stopping {
                        return;
                    }
                    self.ready.wait(&mut run_queue);
                }
            };
            self.drain(&queue);
        }
    }

    /// Commits the next group queued on `queue` ([`QueueState::next_group`]), then reschedules the
    /// queue if more is waiting.
    fn drain(&self, queue: &Arc<WriteQueue>) {
        let mutations = queue.state.lock().next_group();
        let replicator = self.replicator.get();
        if replicator.pipelines() {
            self.hand_over(queue, &*replicator, mutations);
        } else {
            self.commit_here(queue, &*replicator, mutations);
        }
        let reschedule = {
            let mut state = queue.state.lock();
            if state.is_empty() {
                state.scheduled = false;
                false
            } else {
                true
            }
        };
        if reschedule {
            // This thread takes the front of the run queue next: another is woken only if
            // something is queued ahead of this partition (a wake-up that finds nothing to do
            // costs a context switch per group).
            let mut run_queue = self.run_queue.lock();
            let others_waiting = !run_queue.partitions.is_empty();
            run_queue.partitions.push_back(queue.clone());
            drop(run_queue);
            if others_waiting {
                self.ready.notify_one();
            }
        }
    }

    /// Decides `mutations` as one group and hands its batch to a pipelining `replicator`
    /// without waiting for it to be applied: the next group is decided on top of it. Waits only
    /// while [`IN_FLIGHT_MAX`] groups are in flight, and after a group that deletes ranges (which
    /// the in-flight overlay cannot show to later groups).
    fn hand_over(
        &self,
        queue: &Arc<WriteQueue>,
        replicator: &dyn Replicator,
        mutations: Vec<Mutation>,
    ) {
        {
            let mut in_flight = queue.in_flight.lock();
            while in_flight.groups >= IN_FLIGHT_MAX {
                queue.landed.wait(&mut in_flight);
            }
        }
        let ticket: Result<Ticket, CommitError> = replicator.begin(queue.scope);
        let mut group = Group::new(&self.db, queue.keyspace);
        group.in_flight = Some(&queue.in_flight);
        let completions: Vec<Completion> = mutations.into_iter().map(|m| m(&mut group)).collect();
        let ticket = match ticket {
            Ok(ticket) => ticket,
            Err(error) => {
                let result = Err(error);
                for completion in completions {
                    completion(clone_result(&result));
                }
                return;
            }
        };
        let Group {
            mut batch,
            overlay,
            deleted,
            deltas,
            dropped,
            ..
        } = group;
        let mut totals = Vec::new();
        if !dropped {
            let in_flight = queue.in_flight.lock();
            for (index, delta) in &deltas {
                if *delta == Counts::default() {
                    continue;
                }
                let mut total = in_flight
                    .totals
                    .iter()
                    .find(|(i, _, _)| i == index)
                    .map_or_else(|| queue.stats.of(*index), |(_, counts, _)| *counts);
                total.add(*delta);
                let mut key = queue.stats_key.clone();
                key.extend_from_slice(&index.to_be_bytes());
                batch.put(queue.meta, &key, &total.encode());
                totals.push((*index, total));
            }
        }
        if batch.is_empty() {
            for completion in completions {
                completion(Ok(()));
            }
            return;
        }
        let generation = {
            let mut in_flight = queue.in_flight.lock();
            let generation = in_flight.next_generation;
            in_flight.next_generation += 1;
            in_flight.groups += 1;
            for (key, value) in overlay {
                in_flight.overlay.insert(key, (value, generation));
            }
            for (index, total) in totals {
                in_flight.totals.retain(|(i, _, _)| *i != index);
                in_flight.totals.push((index, total, generation));
            }
            generation
        };
        let landed = queue.clone();
        replicator.commit_async(
            queue.scope,
            ticket,
            batch,
            self.durability,
            Box::new(move |result| {
                {
                    let mut in_flight = landed.in_flight.lock();
                    in_flight.overlay.retain(|_, (_, g)| *g != generation);
                    in_flight.totals.retain(|(_, _, g)| *g != generation);
                    in_flight.groups -= 1;
                }
                landed.landed.notify_all();
                // (The statistics follow the applied batches: the replicator's replicas report
                // them in log order.)
                for completion in completions {
                    completion(clone_result(&result));
                }
            }),
        );
        if !deleted.is_empty() || dropped {
            let mut in_flight = queue.in_flight.lock();
            while in_flight.groups > 0 {
                queue.landed.wait(&mut in_flight);
            }
        }
    }

    /// Decides `mutations` as one group and commits it, waiting until it is durable.
    fn commit_here(
        &self,
        queue: &Arc<WriteQueue>,
        replicator: &dyn Replicator,
        mutations: Vec<Mutation>,
    ) {
        let ticket = replicator.begin(queue.scope);
        let mut group = Group::new(&self.db, queue.keyspace);
        let completions: Vec<Completion> = mutations.into_iter().map(|m| m(&mut group)).collect();
        let stats = &queue.stats;
        let mut totals = Vec::new();
        if !group.dropped {
            for (index, delta) in &group.deltas {
                if *delta == Counts::default() {
                    continue;
                }
                let mut total = stats.of(*index);
                total.add(*delta);
                let mut key = queue.stats_key.clone();
                key.extend_from_slice(&index.to_be_bytes());
                group.batch.put(queue.meta, &key, &total.encode());
                totals.push((*index, total));
            }
        }
        let result = match ticket {
            Err(error) => Err(error),
            Ok(_) if group.batch.is_empty() => Ok(()),
            Ok(ticket) => {
                replicator.commit(queue.scope, ticket, group.batch, self.durability, None)
            }
        };
        if result.is_ok() {
            for (index, total) in totals {
                stats.set(index, total);
            }
        }
        for completion in completions {
            completion(clone_result(&result));
        }
    }
}

/// Commit errors are not `Clone`; every mutation of a failed group gets an equivalent error.
fn clone_result(result: &Result<(), CommitError>) -> Result<(), CommitError> {
    match result {
        Ok(()) => Ok(()),
        Err(CommitError::NotLeader(scope)) => Err(CommitError::NotLeader(*scope)),
        Err(CommitError::Stale(scope)) => Err(CommitError::Stale(*scope)),
        Err(CommitError::Unavailable(scope, why)) => {
            Err(CommitError::Unavailable(*scope, why.clone()))
        }
        Err(CommitError::Storage(error)) => Err(CommitError::Storage(
            ferrodyn_storage::Error::Poisoned(error.to_string()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop() -> Mutation {
        Box::new(|_| Box::new(|_| {}))
    }

    #[test]
    fn requests_take_a_background_mutation_every_other_group_and_idle_groups_take_all() {
        let mut state = QueueState::default();
        state.background.extend((0..4).map(|_| noop()));
        state.pending.extend((0..2).map(|_| noop()));
        assert_eq!(
            state.next_group().len(),
            3,
            "two requests and one background"
        );
        state.pending.push(noop());
        assert_eq!(state.next_group().len(), 1, "the request alone");
        state.pending.push(noop());
        assert_eq!(state.next_group().len(), 2, "a request and one background");
        assert_eq!(
            state.next_group().len(),
            2,
            "no request: the rest of the background"
        );
        assert!(state.is_empty());
        assert!(state.next_group().is_empty());
    }
}
