//! A replica's state: a table's key ranges of the `data` and `meta` keyspaces, or (the metadata
//! group) the cluster's metadata and the table catalog, changed by proposals applied in log order.

use std::io::Cursor;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ferrodyn_storage::{Db, Direction, Durability, Keyspace, WriteBatch};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership,
};
use parking_lot::RwLock;

use super::{
    APPLIED, Applied, CLUSTER_STATE, Command, LAST_WRITE, MEMBERSHIP, PartitionRaft, Proposal,
    Rejection, Write, record_key, write_off_runtime,
};
use crate::metadata::ClusterState;

type Result<T> = std::result::Result<T, StorageError<u64>>;
type Meta = SnapshotMeta<u64, BasicNode>;
/// The last applied log id and membership.
type AppliedState = (Option<LogId<u64>>, StoredMembership<u64, BasicNode>);
/// The keys of the `data` keyspace that belong to a partition: `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRange {
    /// First key of the partition.
    pub start: Vec<u8>,
    /// First key after it.
    pub end: Vec<u8>,
}

/// Keys `start..end` of `keyspace`, owned by a replica group: its commands write only inside its
/// ranges, and its snapshots carry exactly them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRange {
    /// The keyspace.
    pub keyspace: Keyspace,
    /// First key.
    pub start: Vec<u8>,
    /// First key after the range.
    pub end: Vec<u8>,
}

impl KeyRange {
    fn contains(&self, keyspace: Keyspace, key: &[u8]) -> bool {
        self.keyspace == keyspace && self.start.as_slice() <= key && key < self.end.as_slice()
    }
}

/// Told of what a replica applied, to keep in-memory views of the stored state (the engine's
/// catalog, statistics, stream positions) in step on every replica.
pub trait ApplyObserver: Send + Sync + std::fmt::Debug {
    /// `effects` (the commands' writes, without the replica's own records) were applied.
    fn applied(&self, effects: &WriteBatch);
    /// A snapshot replaced everything in the group's ranges: reload what depends on them.
    fn installed(&self);
}

/// The state machine of one replica. Cheap to clone: clones share the storage engine and the last
/// snapshot.
#[derive(Debug, Clone)]
pub struct StateMachine {
    db: Db,
    /// Where [`Command::writes`] go.
    data: Keyspace,
    /// Where [`Command::meta_writes`] go; `None`: the group takes none.
    meta: Option<Keyspace>,
    raft: Keyspace,
    group: u64,
    ranges: Vec<KeyRange>,
    /// The cluster's metadata, in the metadata group's replicas only.
    metadata: Option<Arc<RwLock<ClusterState>>>,
    observer: Option<Arc<dyn ApplyObserver>>,
    /// The id of the last write applied (the fence of [`Command::based_on`]).
    last_write: Arc<AtomicU64>,
    /// Whether a snapshot was built or installed since the replica opened. A snapshot is
    /// never kept: its bytes are read from the storage engine, at the state applied by then,
    /// when a follower needs one (see [`RaftStateMachine::get_current_snapshot`]).
    snapshotted: Arc<AtomicBool>,
    snapshots_built: Arc<AtomicU64>,
}

impl StateMachine {
    /// The state machine of replica group `group`, whose partition is `range` of keyspace `data`
    /// and whose records live in keyspace `raft`, both of `db`.
    pub fn new(db: Db, data: Keyspace, raft: Keyspace, group: u64, range: PartitionRange) -> Self {
        StateMachine {
            db,
            data,
            meta: None,
            raft,
            group,
            ranges: vec![KeyRange {
                keyspace: data,
                start: range.start,
                end: range.end,
            }],
            metadata: None,
            observer: None,
            last_write: Arc::default(),
            snapshotted: Arc::default(),
            snapshots_built: Arc::default(),
        }
    }

    /// The state machine of the metadata group `group`, whose records live in keyspace `raft` of
    /// `db`, with the cluster's metadata as last applied there.
    pub fn metadata(
        db: Db,
        raft: Keyspace,
        group: u64,
    ) -> std::result::Result<Self, MetadataLoadError> {
        let state = match db.get(raft, &record_key(group, CLUSTER_STATE))? {
            Some(bytes) => serde_json::from_slice(&bytes)?,
            None => ClusterState::default(),
        };
        let mut machine = StateMachine::new(
            db,
            raft,
            raft,
            group,
            PartitionRange {
                start: Vec::new(),
                end: Vec::new(),
            },
        );
        machine.ranges.clear();
        machine.metadata = Some(Arc::new(RwLock::new(state)));
        Ok(machine)
    }

    /// The same, also owning `ranges` and taking [`Command::meta_writes`] into `meta`.
    pub fn with_ranges(mut self, meta: Keyspace, ranges: Vec<KeyRange>) -> Self {
        self.meta = Some(meta);
        self.ranges.extend(ranges);
        self
    }

    /// The same, telling `observer` of everything applied.
    pub fn with_observer(mut self, observer: Arc<dyn ApplyObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// The id of the last write applied (shared: it follows the replica).
    pub fn last_write(&self) -> Arc<AtomicU64> {
        self.last_write.clone()
    }

    /// The cluster's metadata as last applied (metadata group only).
    pub fn cluster_state(&self) -> Option<ClusterState> {
        self.metadata.as_ref().map(|state| state.read().clone())
    }

    /// The cluster's metadata, shared (metadata group only).
    pub fn shared_cluster_state(&self) -> Option<Arc<RwLock<ClusterState>>> {
        self.metadata.clone()
    }

    /// The value of `key` in this replica's copy (for reads and tests).
    pub fn get(&self, key: &[u8]) -> std::result::Result<Option<Vec<u8>>, ferrodyn_storage::Error> {
        self.db.get(self.data, key)
    }

    fn applied_records(
        &self,
        read: impl Fn(&[u8]) -> std::result::Result<Option<Vec<u8>>, ferrodyn_storage::Error>,
    ) -> Result<AppliedState> {
        let decode = |tag| -> Result<Option<Vec<u8>>> {
            read(&record_key(self.group, tag))
                .map_err(|e| StorageIOError::read_state_machine(&e).into())
        };
        let applied = match decode(APPLIED)? {
            Some(bytes) => Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| StorageIOError::read_state_machine(&e))?,
            ),
            None => None,
        };
        let membership = match decode(MEMBERSHIP)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| StorageIOError::read_state_machine(&e))?,
            None => StoredMembership::default(),
        };
        Ok((applied, membership))
    }

    fn stored_last_write(
        &self,
        read: impl Fn(&[u8]) -> std::result::Result<Option<Vec<u8>>, ferrodyn_storage::Error>,
    ) -> Result<u64> {
        let bytes = read(&record_key(self.group, LAST_WRITE))
            .map_err(|e| StorageIOError::read_state_machine(&e))?;
        Ok(bytes
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    fn stage_applied(
        &self,
        batch: &mut WriteBatch,
        applied: Option<&LogId<u64>>,
        membership: Option<&StoredMembership<u64, BasicNode>>,
    ) -> Result<()> {
        if let Some(applied) = applied {
            let bytes =
                serde_json::to_vec(applied).map_err(|e| StorageIOError::write_state_machine(&e))?;
            batch.put(self.raft, &record_key(self.group, APPLIED), &bytes);
        }
        if let Some(membership) = membership {
            let bytes = serde_json::to_vec(membership)
                .map_err(|e| StorageIOError::write_state_machine(&e))?;
            batch.put(self.raft, &record_key(self.group, MEMBERSHIP), &bytes);
        }
        Ok(())
    }

    /// Whether `write` to `keyspace` stays inside the group's ranges (a command from a confused
    /// proposer must not touch another group's keys).
    fn allows(&self, keyspace: Keyspace, write: &Write) -> bool {
        let inside = |key: &[u8]| self.ranges.iter().any(|r| r.contains(keyspace, key));
        match write {
            Write::Put { key, .. } | Write::Delete { key } => inside(key),
            Write::DeleteRange { start, end } => {
                start <= end
                    && self
                        .ranges
                        .iter()
                        .any(|r| r.contains(keyspace, start) && end.as_slice() <= r.end.as_slice())
            }
        }
    }

    /// Stages every write of `command` in both `batch` and `effects`, or nothing if any of them
    /// falls outside the group's ranges.
    fn stage_command(
        &self,
        batch: &mut WriteBatch,
        effects: &mut WriteBatch,
        command: &Command,
    ) -> Option<Rejection> {
        let writes = command.writes.iter().map(|w| (Some(self.data), w));
        let meta_writes = command.meta_writes.iter().map(|w| (self.meta, w));
        let all: Vec<(Keyspace, &Write)> = match writes
            .chain(meta_writes)
            .map(|(keyspace, write)| {
                keyspace
                    .filter(|k| self.allows(*k, write))
                    .map(|k| (k, write))
            })
            .collect::<Option<Vec<_>>>()
        {
            Some(all) => all,
            None => {
                tracing::error!(
                    group = self.group,
                    "a command writes outside its group's ranges"
                );
                return Some(Rejection::OutsideRanges);
            }
        };
        for (keyspace, write) in all {
            for target in [&mut *batch, &mut *effects] {
                match write {
                    Write::Put { key, value } => target.put(keyspace, key, value),
                    Write::Delete { key } => target.delete(keyspace, key),
                    Write::DeleteRange { start, end } => target.delete_range(keyspace, start, end),
                }
            }
        }
        None
    }
}

/// The metadata group's stored state cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum MetadataLoadError {
    /// The storage engine failed.
    #[error("cannot read the cluster metadata: {0}")]
    Storage(#[from] ferrodyn_storage::Error),
    /// The record is damaged.
    #[error("the stored cluster metadata is damaged: {0}")]
    Damaged(#[from] serde_json::Error),
}

/// Snapshot bytes of a partition: for each key of the partition, `u32 LE key length ∥ key ∥ u32 LE value length ∥
/// value`, ascending.
fn encode_pair(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

fn decode_pairs(mut bytes: &[u8]) -> Option<Vec<(&[u8], &[u8])>> {
    let mut pairs = Vec::new();
    while !bytes.is_empty() {
        let key;
        (key, bytes) = take_field(bytes)?;
        let value;
        (value, bytes) = take_field(bytes)?;
        pairs.push((key, value));
    }
    Some(pairs)
}

/// Splits a `u32 LE length ∥ bytes` field off the front of `bytes`.
fn take_field(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let length = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?) as usize;
    let field = bytes.get(4..4 + length)?;
    Some((field, &bytes[4 + length..]))
}

impl StateMachine {
    /// The bytes of the snapshot that `view` holds: the fence, the cluster's metadata (metadata
    /// group only) and every pair of the group's ranges, tagged with its range's number. A scan
    /// of the whole partition: run off the async runtime.
    fn snapshot_bytes(&self, view: &ferrodyn_storage::Snapshot) -> Result<Vec<u8>> {
        let last_write = self.stored_last_write(|key| view.get(self.raft, key))?;
        let mut bytes = last_write.to_le_bytes().to_vec();
        let state = match &self.metadata {
            Some(_) => view
                .get(self.raft, &record_key(self.group, CLUSTER_STATE))
                .map_err(|e| StorageIOError::read_state_machine(&e))?
                .unwrap_or_else(|| {
                    serde_json::to_vec(&ClusterState::default()).expect("the empty state encodes")
                }),
            None => Vec::new(),
        };
        bytes.extend_from_slice(&(state.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&state);
        let mut tagged = Vec::new();
        for (number, range) in self.ranges.iter().enumerate() {
            let iter = view
                .iter(
                    range.keyspace,
                    (
                        Bound::Included(&range.start[..]),
                        Bound::Excluded(&range.end[..]),
                    ),
                    Direction::Forward,
                )
                .map_err(|e| StorageIOError::read_state_machine(&e))?;
            for item in iter {
                let (key, value) = item.map_err(|e| StorageIOError::read_state_machine(&e))?;
                tagged.clear();
                tagged.push(number as u8);
                tagged.extend_from_slice(&key);
                encode_pair(&mut bytes, &tagged, &value);
            }
        }
        Ok(bytes)
    }

    /// The description of the snapshot that `view` holds: the log id and membership applied in
    /// it.
    fn describe(&self, view: &ferrodyn_storage::Snapshot) -> Result<Meta> {
        let (applied, membership) = self.applied_records(|key| view.get(self.raft, key))?;
        let number = self.snapshots_built.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot_id = match &applied {
            Some(id) => format!("{}-{}-{number}", id.leader_id, id.index),
            None => format!("--{number}"),
        };
        Ok(SnapshotMeta {
            last_log_id: applied,
            last_membership: membership,
            snapshot_id,
        })
    }
}

impl RaftSnapshotBuilder<PartitionRaft> for StateMachine {
    /// Describes the state applied so far, which the storage engine holds: openraft keeps only
    /// the description (to purge the log it covers), so nothing is read or copied here. The
    /// bytes are read when a follower needs them ([`RaftStateMachine::get_current_snapshot`]).
    async fn build_snapshot(&mut self) -> Result<Snapshot<PartitionRaft>> {
        // One storage snapshot, so that the log id and the membership agree.
        let meta = self.describe(&self.db.snapshot())?;
        self.snapshotted.store(true, Ordering::Release);
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(Vec::new())),
        })
    }
}

/// The id of `command`'s write, applied at log `index`.
fn write_id(command: &Command, index: u64) -> u64 {
    if command.seq == 0 { index } else { command.seq }
}

/// A snapshot taken apart: the fence, the cluster's metadata (empty outside the metadata group)
/// and the tagged key/value pairs.
type SnapshotParts<'a> = (u64, &'a [u8], Vec<(&'a [u8], &'a [u8])>);

/// The parts of a snapshot.
fn split_snapshot(bytes: &[u8]) -> Option<SnapshotParts<'_>> {
    let last_write = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let (state, rest) = take_field(&bytes[8..])?;
    Some((last_write, state, decode_pairs(rest)?))
}

impl RaftStateMachine<PartitionRaft> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<AppliedState> {
        let last_write = self.stored_last_write(|key| self.db.get(self.raft, key))?;
        self.last_write.store(last_write, Ordering::Release);
        self.applied_records(|key| self.db.get(self.raft, key))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Applied>>
    where
        I: IntoIterator<Item = Entry<PartitionRaft>> + Send,
        I::IntoIter: Send,
    {
        let mut batch = WriteBatch::new();
        let mut effects = WriteBatch::new();
        let mut answers = Vec::new();
        let mut last = None;
        let mut membership = None;
        let before = self.last_write.load(Ordering::Acquire);
        let mut last_write = before;
        // Metadata changes apply to a working copy, published once the batch is written.
        let mut metadata = self.metadata.as_ref().map(|state| state.read().clone());
        let not_metadata = || {
            StorageIOError::write_state_machine(&std::io::Error::other(
                "a metadata change proposed to a partition's group",
            ))
        };
        for entry in entries {
            let mut refused = None;
            let mut rejected = None;
            let index = entry.log_id.index;
            match &entry.payload {
                EntryPayload::Blank => {}
                EntryPayload::Normal(Proposal::Write(command)) => {
                    if command.based_on.is_some_and(|b| b != last_write) {
                        rejected = Some(Rejection::Stale);
                    } else {
                        rejected = self.stage_command(&mut batch, &mut effects, command);
                        if rejected.is_none() {
                            last_write = write_id(command, index);
                        }
                    }
                }
                EntryPayload::Normal(Proposal::Metadata(change)) => {
                    let state = metadata.as_mut().ok_or_else(not_metadata)?;
                    refused = state.apply(change).err();
                }
                EntryPayload::Normal(Proposal::Catalog { command, change }) => {
                    let state = metadata.as_mut().ok_or_else(not_metadata)?;
                    if command.based_on.is_some_and(|b| b != last_write) {
                        rejected = Some(Rejection::Stale);
                    } else {
                        // Checked before the metadata changes: both happen or neither.
                        let mut staged = (WriteBatch::new(), WriteBatch::new());
                        rejected = self.stage_command(&mut staged.0, &mut staged.1, command);
                        if rejected.is_none() {
                            refused = change.as_ref().and_then(|c| state.apply(c).err());
                        }
                        if rejected.is_none() && refused.is_none() {
                            self.stage_command(&mut batch, &mut effects, command);
                            last_write = write_id(command, index);
                        }
                    }
                }
                EntryPayload::Membership(changed) => {
                    membership = Some(StoredMembership::new(Some(entry.log_id), changed.clone()));
                }
            }
            answers.push(Applied {
                index,
                refused,
                rejected,
            });
            last = Some(entry.log_id);
        }
        self.stage_applied(&mut batch, last.as_ref(), membership.as_ref())?;
        if last_write != before {
            batch.put(
                self.raft,
                &record_key(self.group, LAST_WRITE),
                &last_write.to_be_bytes(),
            );
        }
        if let Some(state) = &metadata {
            let bytes =
                serde_json::to_vec(state).map_err(|e| StorageIOError::write_state_machine(&e))?;
            batch.put(self.raft, &record_key(self.group, CLUSTER_STATE), &bytes);
        }
        if !batch.is_empty() {
            // Buffered: the entries are durable in the log already; a lost apply is redone from it.
            write_off_runtime(&self.db, batch, Durability::Buffered)
                .await
                .map_err(|e| StorageIOError::write_state_machine(&e))?;
        }
        self.last_write.store(last_write, Ordering::Release);
        if let (Some(shared), Some(state)) = (&self.metadata, metadata) {
            *shared.write() = state;
        }
        if let Some(observer) = &self.observer
            && !effects.is_empty()
        {
            observer.applied(&effects);
        }
        Ok(answers)
    }

    async fn get_snapshot_builder(&mut self) -> StateMachine {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &Meta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<()> {
        let bytes = snapshot.into_inner();
        let damaged = || {
            StorageIOError::read_snapshot(
                Some(meta.signature()),
                &std::io::Error::other("the snapshot is damaged"),
            )
        };
        let (last_write, state, pairs) = split_snapshot(&bytes).ok_or_else(damaged)?;
        let mut batch = WriteBatch::new();
        let mut installed_metadata = None;
        if self.metadata.is_some() {
            let state: ClusterState = serde_json::from_slice(state).map_err(|_| damaged())?;
            batch.put(
                self.raft,
                &record_key(self.group, CLUSTER_STATE),
                &serde_json::to_vec(&state).map_err(|_| damaged())?,
            );
            installed_metadata = Some(state);
        }
        for range in &self.ranges {
            batch.delete_range(range.keyspace, &range.start, &range.end);
        }
        for (tagged, value) in pairs {
            let (&number, key) = tagged.split_first().ok_or_else(damaged)?;
            let range = self.ranges.get(number as usize).ok_or_else(damaged)?;
            if !range.contains(range.keyspace, key) {
                return Err(damaged().into());
            }
            batch.put(range.keyspace, key, value);
        }
        batch.put(
            self.raft,
            &record_key(self.group, LAST_WRITE),
            &last_write.to_be_bytes(),
        );
        self.stage_applied(
            &mut batch,
            meta.last_log_id.as_ref(),
            Some(&meta.last_membership),
        )?;
        write_off_runtime(&self.db, batch, Durability::Sync)
            .await
            .map_err(|e| StorageIOError::write_state_machine(&e))?;
        self.last_write.store(last_write, Ordering::Release);
        if let (Some(shared), Some(state)) = (&self.metadata, installed_metadata) {
            *shared.write() = state;
        }
        if let Some(observer) = &self.observer {
            observer.installed();
        }
        self.snapshotted.store(true, Ordering::Release);
        Ok(())
    }

    /// The state applied so far, read from one storage snapshot (a scan of the partition, off the
    /// runtime): at least as recent as the last snapshot built, which openraft accepts (the
    /// follower then needs fewer entries). Applying waits meanwhile: the same task does both.
    /// `None` until a snapshot was built or installed since the replica opened, so that opening
    /// reads nothing (openraft then builds one if its log was purged).
    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<PartitionRaft>>> {
        if !self.snapshotted.load(Ordering::Acquire) {
            return Ok(None);
        }
        let machine = self.clone();
        let (meta, bytes) = tokio::task::spawn_blocking(move || {
            let view = machine.db.snapshot();
            Ok::<_, StorageError<u64>>((machine.describe(&view)?, machine.snapshot_bytes(&view)?))
        })
        .await
        .map_err(|e| StorageIOError::read_snapshot(None, &e))??;
        Ok(Some(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(bytes)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_pairs_round_trip_and_damage_is_detected() {
        let mut bytes = Vec::new();
        encode_pair(&mut bytes, b"a", b"1");
        encode_pair(&mut bytes, b"bb", b"");
        assert_eq!(
            decode_pairs(&bytes).unwrap(),
            vec![(&b"a"[..], &b"1"[..]), (&b"bb"[..], &b""[..])]
        );
        for cut in 1..bytes.len() {
            if cut == 10 {
                continue; // a whole first pair: still valid
            }
            assert!(decode_pairs(&bytes[..cut]).is_none(), "cut at {cut}");
        }
    }
}
