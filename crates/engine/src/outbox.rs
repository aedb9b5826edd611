//! Global secondary indexes of a table of several partitions, kept in step asynchronously.
//!
//! A global index entry is placed by the *index's* partition key, so it generally lives in
//! another partition (another replica group, led by another node) than its item. A write cannot
//! change both atomically; as in DynamoDB, the index follows the table a moment later, and must
//! neither lose a change nor apply one twice or out of order, whatever fails in between.
//!
//! - **Outbox.** A write stages, in the same storage batch as its item (so in the same Raft
//!   entry), an *outbox entry* in its own partition: the index entries to put and to delete, for
//!   every global index, numbered by a per-partition counter that is itself stored there. The
//!   outbox is part of the partition's replicated state: a new leader finds what the old one
//!   had not delivered.
//! - **Shipper.** One thread per node reads the outbox of each partition the node leads, in
//!   number order, and delivers each target partition its share: applied here when this node
//!   leads the target, sent to the target's leader otherwise (a [`Courier`] the server provides).
//!   Once every target has applied a run of entries, a write to the source partition trims them.
//! - **Marks.** The target applies a delivery as one write to its own partition, which also
//!   records, per source partition, the number of the last entry applied. A delivery sent again
//!   (an answer lost, a new leader starting over) is skipped up to that mark, so each change is
//!   applied exactly once, in its source's order: every change to an item comes from the item's
//!   partition, so per item the index sees the changes in the order they happened.
//! - **Waiting.** A write whose change went to the outbox waits (at most [`DELIVERY_WAIT`]) until
//!   the shipper has delivered it before it is answered, so that a client normally reads its
//!   own writes through the index as on one partition. The wait is a courtesy, not the
//!   guarantee: after a failure the write is acknowledged once durable, and the index catches up.
//!
//! Keys, in the partition's own section of the table (`keys::partition_section`):
//!
//! ```text
//! table | OUTBOX_INDEX | partition | 0                  → next entry number (u64 BE)
//! table | OUTBOX_INDEX | partition | 1 | number (u64 BE) → outbox entry (encoded ops)
//! table | OUTBOX_INDEX | partition | 2 | source (u32 BE) → last entry of `source` applied here
//! ```

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, Instant};

use ferrodyn_api::{ApiError, ApiResult};
use ferrodyn_storage::{Db, Direction, Keyspace};
use parking_lot::{Condvar, Mutex};

use crate::catalog::{Catalog, Table};
use crate::keys::{self, TableId};
use crate::replicate::Scope;
use crate::stored;
use crate::table_ops::internal;
use crate::writer::{Group, ReplicatorSlot, WriterPool};

/// `index_id` of the section that holds a partition's outbox, its counter and its marks.
pub const OUTBOX_INDEX: u32 = u32::MAX - 3;

/// The peer-port target under which one node delivers index changes to another. Never accepted
/// from a client.
pub const DELIVERY_TARGET: &str = "FerrodynInternal.DeliverIndexChanges";

/// How long a write waits for its index changes to be delivered before it is answered anyway.
const DELIVERY_WAIT: Duration = Duration::from_secs(1);

/// Most entries (and bytes) the shipper reads from one outbox at a time.
const SHIP_ENTRIES_MAX: usize = 512;
const SHIP_BYTES_MAX: usize = 1 << 20;

/// How often the shipper looks at every outbox when nothing wakes it (a new leader's leftovers).
const IDLE_POLL: Duration = Duration::from_millis(100);

/// How long the shipper leaves a partition alone after a delivery from it failed.
const RETRY_AFTER: Duration = Duration::from_millis(50);

const COUNTER: u8 = 0;
const ENTRY: u8 = 1;
const MARK: u8 = 2;

fn key(table: TableId, partition: u32, kind: u8, suffix: &[u8]) -> Vec<u8> {
    let (mut key, _) = keys::partition_section(table, OUTBOX_INDEX, partition);
    key.push(kind);
    key.extend_from_slice(suffix);
    key
}

fn entry_key(table: TableId, partition: u32, number: u64) -> Vec<u8> {
    key(table, partition, ENTRY, &number.to_be_bytes())
}

fn read_u64(bytes: &[u8]) -> ApiResult<u64> {
    bytes
        .try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| internal("an outbox number is 8 bytes"))
}

/// One change of one index entry, to be made in the partition its key belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Store `value` (an item's stored form, see `crate::stored`) under `key` in index `index`.
    Put {
        /// The index's id.
        index: u32,
        /// The entry's storage key.
        key: Vec<u8>,
        /// Its value.
        value: Vec<u8>,
    },
    /// Remove the entry `key` of index `index`, if there is one.
    Delete {
        /// The index's id.
        index: u32,
        /// The entry's storage key.
        key: Vec<u8>,
    },
}

impl Op {
    fn key(&self) -> &[u8] {
        match self {
            Op::Put { key, .. } | Op::Delete { key, .. } => key,
        }
    }
}

/// Reads encoded fields off the front of a byte string.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes(b.try_into().expect("4 bytes")))
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .map(|b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// `count u32 | per op: kind u8 (0 put, 1 delete) | index u32 | key | value (puts)`, each byte
/// string preceded by its length (u32 BE).
fn encode_ops(ops: &[Op], out: &mut Vec<u8>) {
    out.extend_from_slice(&(ops.len() as u32).to_be_bytes());
    for op in ops {
        match op {
            Op::Put { index, key, value } => {
                out.push(0);
                out.extend_from_slice(&index.to_be_bytes());
                put_bytes(out, key);
                put_bytes(out, value);
            }
            Op::Delete { index, key } => {
                out.push(1);
                out.extend_from_slice(&index.to_be_bytes());
                put_bytes(out, key);
            }
        }
    }
}

fn decode_ops(reader: &mut Reader<'_>) -> Option<Vec<Op>> {
    let count = reader.u32()? as usize;
    let mut ops = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        let kind = reader.u8()?;
        let index = reader.u32()?;
        let key = reader.bytes()?.to_vec();
        ops.push(match kind {
            0 => Op::Put {
                index,
                key,
                value: reader.bytes()?.to_vec(),
            },
            1 => Op::Delete { index, key },
            _ => return None,
        });
    }
    Some(ops)
}

/// Stages `ops` (one item change's global index changes) as the next entry of partition
/// `partition`'s outbox; returns the entry's number.
pub(crate) fn stage(
    group: &mut Group<'_>,
    table: TableId,
    partition: u32,
    ops: &[Op],
) -> ApiResult<u64> {
    let counter = key(table, partition, COUNTER, &[]);
    let number = match group.get(&counter).map_err(internal)? {
        Some(bytes) => read_u64(&bytes)?,
        None => 1,
    };
    group.put(counter, (number + 1).to_be_bytes().to_vec());
    let mut value = Vec::with_capacity(64);
    encode_ops(ops, &mut value);
    group.put(entry_key(table, partition, number), value);
    Ok(number)
}

/// The changes of one source partition's outbox entries that belong to one target partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The table's id (a table created again under the same name has another).
    pub table: TableId,
    /// The table's name.
    pub name: String,
    /// The partition whose outbox the entries come from.
    pub source: u32,
    /// The partition they are delivered to.
    pub target: u32,
    /// Entry numbers with the entry's changes for `target`, in number order.
    pub entries: Vec<(u64, Vec<Op>)>,
}

impl Delivery {
    /// `table u32 | source u32 | target u32 | name | count u32 | per entry: number u64 | ops`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&self.table.to_be_bytes());
        out.extend_from_slice(&self.source.to_be_bytes());
        out.extend_from_slice(&self.target.to_be_bytes());
        put_bytes(&mut out, self.name.as_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_be_bytes());
        for (number, ops) in &self.entries {
            out.extend_from_slice(&number.to_be_bytes());
            encode_ops(ops, &mut out);
        }
        out
    }

    /// The delivery `bytes` encode, if they are one.
    pub fn decode(bytes: &[u8]) -> Option<Delivery> {
        let mut reader = Reader(bytes);
        let table = reader.u32()?;
        let source = reader.u32()?;
        let target = reader.u32()?;
        let name = String::from_utf8(reader.bytes()?.to_vec()).ok()?;
        let count = reader.u32()? as usize;
        let mut entries = Vec::with_capacity(count.min(SHIP_ENTRIES_MAX));
        for _ in 0..count {
            let number = reader.u64()?;
            entries.push((number, decode_ops(&mut reader)?));
        }
        reader.0.is_empty().then_some(Delivery {
            table,
            name,
            source,
            target,
            entries,
        })
    }
}

/// Applies `delivery` in its target partition: the changes of every entry after the source's
/// mark, then the new mark. Changes to indexes the table no longer has are dropped.
pub(crate) fn apply(group: &mut Group<'_>, table: &Table, delivery: &Delivery) -> ApiResult<()> {
    let mark_key = key(
        table.id,
        delivery.target,
        MARK,
        &delivery.source.to_be_bytes(),
    );
    let mark = match group.get(&mark_key).map_err(internal)? {
        Some(bytes) => read_u64(&bytes)?,
        None => 0,
    };
    let indexes = table.indexes();
    let mut last = mark;
    for (number, ops) in &delivery.entries {
        if *number <= mark {
            continue;
        }
        last = last.max(*number);
        for op in ops {
            let index = match op {
                Op::Put { index, .. } | Op::Delete { index, .. } => *index,
            };
            if table.partition_of_key(op.key()) != delivery.target
                || !indexes.indexes.iter().any(|i| i.id == index)
            {
                continue;
            }
            let before = match group.get(op.key()).map_err(internal)? {
                Some(value) => Some(stored::size(&value)?),
                None => None,
            };
            match op {
                Op::Put { key, value, .. } => {
                    group.count_entry_change(index, before, Some(stored::size(value)?));
                    group.put(key.clone(), value.clone());
                }
                Op::Delete { key, .. } => {
                    if before.is_some() {
                        group.count_entry_change(index, before, None);
                        group.delete(key.clone());
                    }
                }
            }
        }
    }
    if last > mark {
        group.put(mark_key, last.to_be_bytes().to_vec());
    }
    Ok(())
}

/// Sends a delivery to the leader of its target partition on another node.
pub trait Courier: Send + Sync + std::fmt::Debug {
    /// Delivers `message` (an encoded [`Delivery`]) to partition `partition` of table `table`:
    /// `Ok` once the target has applied it.
    fn deliver(&self, table: &str, partition: u32, message: Vec<u8>) -> Result<(), String>;
}

/// How far the shipper got with one partition's outbox, for the writes waiting on it.
#[derive(Debug)]
pub struct Progress {
    delivered: tokio::sync::watch::Sender<u64>,
}

impl Default for Progress {
    fn default() -> Self {
        Progress {
            delivered: tokio::sync::watch::Sender::new(0),
        }
    }
}

impl Progress {
    /// The last entry delivered.
    pub fn delivered(&self) -> u64 {
        *self.delivered.borrow()
    }

    fn advance(&self, number: u64) {
        self.delivered.send_if_modified(|delivered| {
            let moved = number > *delivered;
            *delivered = (*delivered).max(number);
            moved
        });
    }
}

/// Wakes the shipper, and stops it.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    state: Mutex<(bool, bool)>,
    changed: Condvar,
}

impl Signal {
    fn wake(&self) {
        self.state.lock().0 = true;
        self.changed.notify_one();
    }

    /// Waits until woken or `timeout`; `false` once stopped.
    fn wait(&self, timeout: Duration) -> bool {
        let mut state = self.state.lock();
        if !state.0 && !state.1 {
            self.changed.wait_for(&mut state, timeout);
        }
        state.0 = false;
        !state.1
    }

    fn stopped(&self) -> bool {
        self.state.lock().1
    }
}

/// The node's outbox shipper (see the module's documentation).
#[derive(Debug)]
pub(crate) struct Shipper {
    signal: Arc<Signal>,
    courier: Arc<OnceLock<Arc<dyn Courier>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

struct ShipJob {
    db: Db,
    data: Keyspace,
    catalog: Arc<Catalog>,
    writers: Arc<WriterPool>,
    replicator: Arc<ReplicatorSlot>,
    courier: Arc<OnceLock<Arc<dyn Courier>>>,
    signal: Arc<Signal>,
    /// Partitions whose last delivery failed, and when to try them again.
    retry_at: HashMap<(TableId, u32), Instant>,
}

impl Shipper {
    pub(crate) fn start(
        db: Db,
        data: Keyspace,
        catalog: Arc<Catalog>,
        writers: Arc<WriterPool>,
        replicator: Arc<ReplicatorSlot>,
    ) -> Shipper {
        let signal = Arc::new(Signal::default());
        let courier = Arc::new(OnceLock::new());
        let job = ShipJob {
            db,
            data,
            catalog,
            writers,
            replicator,
            courier: courier.clone(),
            signal: signal.clone(),
            retry_at: HashMap::new(),
        };
        let thread = std::thread::Builder::new()
            .name("ferrodyn-index".to_owned())
            .spawn(move || job.run())
            .map_err(|error| tracing::error!(%error, "cannot start the index shipper"))
            .ok();
        Shipper {
            signal,
            courier,
            thread: Mutex::new(thread),
        }
    }

    pub(crate) fn set_courier(&self, courier: Arc<dyn Courier>) {
        let _ = self.courier.set(courier);
    }

    pub(crate) fn stop(&self) {
        self.signal.state.lock().1 = true;
        self.signal.changed.notify_all();
        if let Some(thread) = self.thread.lock().take() {
            let _ = thread.join();
        }
    }

    /// Waits until the shipper has delivered entry `number` of partition `partition` of
    /// `table`, or [`DELIVERY_WAIT`] has passed.
    pub(crate) async fn await_delivery(&self, table: &Table, partition: u32, number: u64) {
        let mut delivered = table.outbox(partition).delivered.subscribe();
        if *delivered.borrow() >= number {
            return;
        }
        self.signal.wake();
        let _ = tokio::time::timeout(DELIVERY_WAIT, delivered.wait_for(|d| *d >= number)).await;
    }
}

impl ShipJob {
    fn run(mut self) {
        let mut busy = false;
        loop {
            if busy {
                if self.signal.stopped() {
                    return;
                }
            } else if !self.signal.wait(IDLE_POLL) {
                return;
            }
            busy = false;
            let replicator = self.replicator.get();
            for table in self.catalog.all() {
                if table.partition_count() < 2 || !table.has_global_indexes() {
                    continue;
                }
                for partition in 0..table.partition_count() {
                    if !replicator.leads(Scope::Partition(table.id, partition)) {
                        continue;
                    }
                    let place = (table.id, partition);
                    if self
                        .retry_at
                        .get(&place)
                        .is_some_and(|at| *at > Instant::now())
                    {
                        continue;
                    }
                    match self.ship(&table, partition) {
                        Ok(more) => {
                            self.retry_at.remove(&place);
                            busy |= more;
                        }
                        Err(reason) => {
                            tracing::debug!(table = %table.name, partition, %reason, "index changes not delivered yet");
                            self.retry_at.insert(place, Instant::now() + RETRY_AFTER);
                        }
                    }
                }
            }
        }
    }

    /// Delivers the first entries of `partition`'s outbox and trims them; `Ok(true)` if more
    /// are waiting.
    fn ship(&self, table: &Arc<Table>, partition: u32) -> Result<bool, String> {
        let start = key(table.id, partition, ENTRY, &[]);
        let end = key(table.id, partition, MARK, &[]);
        let range = (
            Bound::Included(start.as_slice()),
            Bound::Excluded(end.as_slice()),
        );
        let mut entries = Vec::new();
        let mut bytes = 0;
        for entry in self
            .db
            .iter(self.data, range, Direction::Forward)
            .map_err(|e| e.to_string())?
        {
            let (key, value) = entry.map_err(|e| e.to_string())?;
            let number = read_u64(&key[start.len()..]).map_err(|e| e.message)?;
            let ops = decode_ops(&mut Reader(&value))
                .ok_or_else(|| "an outbox entry does not decode".to_owned())?;
            bytes += value.len();
            entries.push((number, ops));
            if entries.len() == SHIP_ENTRIES_MAX || bytes >= SHIP_BYTES_MAX {
                break;
            }
        }
        let Some(&(last, _)) = entries.last() else {
            // Nothing left: everything numbered so far was delivered (maybe by an earlier leader).
            let counter = key(table.id, partition, COUNTER, &[]);
            if let Some(next) = self
                .db
                .get(self.data, &counter)
                .map_err(|e| e.to_string())?
            {
                let next = read_u64(&next).map_err(|e| e.message)?;
                table.outbox(partition).advance(next.saturating_sub(1));
            }
            return Ok(false);
        };
        let more = entries.len() == SHIP_ENTRIES_MAX || bytes >= SHIP_BYTES_MAX;
        let numbers: Vec<u64> = entries.iter().map(|(number, _)| *number).collect();
        let mut shares: BTreeMap<u32, Vec<(u64, Vec<Op>)>> = BTreeMap::new();
        for (number, ops) in entries {
            let mut split: BTreeMap<u32, Vec<Op>> = BTreeMap::new();
            for op in ops {
                split
                    .entry(table.partition_of_key(op.key()))
                    .or_default()
                    .push(op);
            }
            for (target, ops) in split {
                shares.entry(target).or_default().push((number, ops));
            }
        }
        for (target, entries) in shares {
            let delivery = Delivery {
                table: table.id,
                name: table.name.clone(),
                source: partition,
                target,
                entries,
            };
            self.deliver(table, delivery)?;
        }
        // Every target has the entries: drop them from the outbox.
        let owner = table.clone();
        self.run_write(table, partition, move |group| {
            for number in numbers {
                group.delete(entry_key(owner.id, partition, number));
            }
            Ok(())
        })?;
        table.outbox(partition).advance(last);
        Ok(more)
    }

    fn deliver(&self, table: &Arc<Table>, delivery: Delivery) -> Result<(), String> {
        let target = delivery.target;
        if self
            .replicator
            .get()
            .leads(Scope::Partition(table.id, target))
        {
            let owner = table.clone();
            return self.run_write(table, target, move |group| apply(group, &owner, &delivery));
        }
        let courier = self
            .courier
            .get()
            .ok_or_else(|| "no way to reach the partition's leader".to_owned())?;
        courier.deliver(&table.name, target, delivery.encode())
    }

    /// Runs `write` on the write path of `partition` and waits until it is durable.
    fn run_write<F>(&self, table: &Arc<Table>, partition: u32, write: F) -> Result<(), String>
    where
        F: FnOnce(&mut Group<'_>) -> ApiResult<()> + Send + 'static,
    {
        let (sender, receiver) = mpsc::channel();
        let owner = table.clone();
        self.writers.submit(
            table.queue(partition),
            Box::new(move |group| {
                let decided = if owner.is_deleted() {
                    Ok(())
                } else {
                    write(group)
                };
                Box::new(move |durable| {
                    let answer = match (decided, durable) {
                        (Err(error), _) => Err(error.message),
                        (Ok(()), Err(error)) => Err(error.to_string()),
                        (Ok(()), Ok(())) => Ok(()),
                    };
                    let _ = sender.send(answer);
                })
            }),
        );
        receiver
            .recv()
            .unwrap_or_else(|_| Err("the write path stopped".to_owned()))
    }
}

impl crate::Database {
    /// Applies index changes another node delivered (see [`DELIVERY_TARGET`]) in their target
    /// partition, which this node must lead.
    pub async fn receive_index_delivery(&self, message: &[u8]) -> ApiResult<()> {
        let delivery = Delivery::decode(message)
            .ok_or_else(|| ApiError::validation("a delivery of index changes does not decode"))?;
        let Some(table) = self
            .catalog
            .by_id(delivery.table)
            .filter(|t| t.name == delivery.name)
        else {
            // The table is gone: so are its indexes.
            return Ok(());
        };
        if delivery.target >= table.partition_count() {
            return Err(ApiError::validation(
                "a delivery of index changes names a partition the table does not have",
            ));
        }
        let (sender, receiver) = tokio::sync::oneshot::channel();
        let owner = table.clone();
        self.writers.submit(
            table.queue(delivery.target),
            Box::new(move |group| {
                let decided = if owner.is_deleted() {
                    Ok(())
                } else {
                    apply(group, &owner, &delivery)
                };
                Box::new(move |durable| {
                    let _ = sender.send(match (decided, durable) {
                        (Err(error), _) => Err(error),
                        (Ok(()), Ok(())) => Ok(()),
                        (Ok(()), Err(error)) => Err(crate::table_ops::commit_failed(error)),
                    });
                })
            }),
        );
        receiver
            .await
            .unwrap_or_else(|_| Err(internal("the write path stopped before answering")))
    }

    /// From now on, delivers index changes to partitions led by other nodes through `courier`.
    pub fn set_courier(&self, courier: Arc<dyn Courier>) {
        self.shipper.set_courier(courier);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delivery_round_trips_and_rejects_trailing_bytes() {
        let delivery = Delivery {
            table: 7,
            name: "orders".to_owned(),
            source: 1,
            target: 3,
            entries: vec![
                (
                    5,
                    vec![
                        Op::Delete {
                            index: 2,
                            key: b"old".to_vec(),
                        },
                        Op::Put {
                            index: 2,
                            key: b"new".to_vec(),
                            value: vec![1, 0, 0, 0, 9],
                        },
                    ],
                ),
                (9, Vec::new()),
            ],
        };
        let bytes = delivery.encode();
        assert_eq!(Delivery::decode(&bytes), Some(delivery));
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Delivery::decode(&longer), None);
        assert_eq!(Delivery::decode(&bytes[..bytes.len() - 1]), None);
    }

    #[test]
    fn outbox_keys_sort_counter_then_entries_by_number_then_marks() {
        let counter = key(4, 2, COUNTER, &[]);
        let first = entry_key(4, 2, 1);
        let later = entry_key(4, 2, 300);
        let mark = key(4, 2, MARK, &0u32.to_be_bytes());
        assert!(counter < first && first < later && later < mark);
        let (start, end) = keys::partition_section(4, OUTBOX_INDEX, 2);
        for k in [&counter, &first, &later, &mark] {
            assert!(k.as_slice() >= start.as_slice() && k.as_slice() < end.as_slice());
        }
    }
}
