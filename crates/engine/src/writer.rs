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

use std::collections::HashMap;
use std::collections::VecDeque;
use std::sync::Arc;
use std::thread::JoinHandle;

use ferrodyn_storage::{Db, Durability, Keyspace, WriteBatch};
use parking_lot::{Condvar, Mutex};

/// What a mutation does once its group is durable (or failed): typically sends the response.
pub type Completion = Box<dyn FnOnce(Result<(), ferrodyn_storage::Error>) + Send>;

/// A unit of work on one partition: stages writes in the group and returns what to do once they
/// are durable. A mutation that fails validation stages nothing and answers in its completion.
pub type Mutation = Box<dyn FnOnce(&mut Group<'_>) -> Completion + Send>;

/// A set of mutations of one partition being turned into one storage batch.
pub struct Group<'a> {
    db: &'a Db,
    keyspace: Keyspace,
    batch: WriteBatch,
    /// Writes staged by earlier mutations of this group: key → new value (`None` = deleted).
    overlay: HashMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Group<'a> {
    fn new(db: &'a Db, keyspace: Keyspace) -> Self {
        Self { db, keyspace, batch: WriteBatch::new(), overlay: HashMap::new() }
    }

    /// The value of `key` as this mutation must see it: staged by an earlier mutation of the
    /// group, or else durable in storage.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ferrodyn_storage::Error> {
        if let Some(staged) = self.overlay.get(key) {
            return Ok(staged.clone());
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

    /// Stages a write to another keyspace (catalog, statistics) in the same atomic batch.
    /// Not visible through [`Group::get`].
    pub fn put_in(&mut self, keyspace: Keyspace, key: &[u8], value: &[u8]) {
        self.batch.put(keyspace, key, value);
    }
}

/// A partition's queue of mutations. Cheap to share; submit from any thread.
pub struct WriteQueue {
    keyspace: Keyspace,
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    pending: Vec<Mutation>,
    /// The queue is in the pool's run queue or being drained by a writer thread.
    scheduled: bool,
}

impl WriteQueue {
    /// An empty queue for a partition whose items live in `keyspace`.
    pub fn new(keyspace: Keyspace) -> Arc<Self> {
        Arc::new(Self { keyspace, state: Mutex::new(QueueState::default()) })
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

struct PoolShared {
    db: Db,
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
        f.debug_struct("WriterPool").field("durability", &self.shared.durability).finish()
    }
}

impl WriterPool {
    /// Starts `threads` writer threads committing to `db` with `durability`.
    pub fn start(db: Db, durability: Durability, threads: usize) -> Self {
        let shared = Arc::new(PoolShared {
            db,
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
        Self { shared, threads: Mutex::new(handles) }
    }

    /// Queues `mutation` on `queue`; it runs after every mutation submitted to it before.
    pub fn submit(&self, queue: &Arc<WriteQueue>, mutation: Mutation) {
        let schedule = {
            let mut state = queue.state.lock();
            state.pending.push(mutation);
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

    /// Commits everything queued on `queue` (as one group), then reschedules it if more arrived.
    fn drain(&self, queue: &Arc<WriteQueue>) {
        let mutations = std::mem::take(&mut queue.state.lock().pending);
        let mut group = Group::new(&self.db, queue.keyspace);
        let completions: Vec<Completion> = mutations.into_iter().map(|m| m(&mut group)).collect();
        let result = if group.batch.is_empty() {
            Ok(())
        } else {
            self.db.write(group.batch, self.durability).map(|_| ())
        };
        for completion in completions {
            completion(clone_result(&result));
        }
        let reschedule = {
            let mut state = queue.state.lock();
            if state.pending.is_empty() {
                state.scheduled = false;
                false
            } else {
                true
            }
        };
        if reschedule {
            self.run_queue.lock().partitions.push_back(queue.clone());
            self.ready.notify_one();
        }
    }
}

/// Storage errors are not `Clone`; every mutation of a failed group gets an equivalent error.
fn clone_result(result: &Result<(), ferrodyn_storage::Error>) -> Result<(), ferrodyn_storage::Error> {
    match result {
        Ok(()) => Ok(()),
        Err(error) => Err(ferrodyn_storage::Error::Poisoned(error.to_string())),
    }
}
