//! A replica's state: a partition's key range of the `data` keyspace, or (the metadata group) the
//! cluster's metadata, changed by proposals applied in log order.

use std::io::Cursor;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ferrodyn_storage::{Db, Direction, Durability, Keyspace, WriteBatch};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    BasicNode, Entry, EntryPayload, LogId, RaftSnapshotBuilder, SnapshotMeta, StorageError,
    StorageIOError, StoredMembership,
};
use parking_lot::{Mutex, RwLock};

use super::{
    APPLIED, Applied, CLUSTER_STATE, MEMBERSHIP, PartitionRaft, Proposal, Write, record_key,
    write_off_runtime,
};
use crate::metadata::ClusterState;

type Result<T> = std::result::Result<T, StorageError<u64>>;
type Meta = SnapshotMeta<u64, BasicNode>;
/// The last applied log id and membership.
type AppliedState = (Option<LogId<u64>>, StoredMembership<u64, BasicNode>);
/// A snapshot's description and bytes.
type StoredSnapshot = (Meta, Arc<Vec<u8>>);

/// The keys of the `data` keyspace that belong to the partition: `start..end`. Commands write only
/// inside it; a snapshot carries exactly it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionRange {
    /// First key of the partition.
    pub start: Vec<u8>,
    /// First key after it.
    pub end: Vec<u8>,
}

/// The state machine of one replica. Cheap to clone: clones share the storage engine and the last
/// snapshot.
#[derive(Debug, Clone)]
pub struct StateMachine {
    db: Db,
    data: Keyspace,
    raft: Keyspace,
    group: u64,
    range: PartitionRange,
    /// The cluster's metadata, in the metadata group's replicas only.
    metadata: Option<Arc<RwLock<ClusterState>>>,
    /// The last snapshot built or installed, kept to answer a follower that needs it.
    current: Arc<Mutex<Option<StoredSnapshot>>>,
    snapshots_built: Arc<AtomicU64>,
}

impl StateMachine {
    /// The state machine of replica group `group`, whose partition is `range` of keyspace `data`
    /// and whose records live in keyspace `raft`, both of `db`.
    pub fn new(db: Db, data: Keyspace, raft: Keyspace, group: u64, range: PartitionRange) -> Self {
        StateMachine {
            db,
            data,
            raft,
            group,
            range,
            metadata: None,
            current: Arc::default(),
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
        machine.metadata = Some(Arc::new(RwLock::new(state)));
        Ok(machine)
    }

    /// The cluster's metadata as last applied (metadata group only).
    pub fn cluster_state(&self) -> Option<ClusterState> {
        self.metadata.as_ref().map(|state| state.read().clone())
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

    fn stage_write(&self, batch: &mut WriteBatch, write: &Write) -> Result<()> {
        let inside =
            |key: &[u8]| self.range.start.as_slice() <= key && key < self.range.end.as_slice();
        let outside = || {
            StorageIOError::write_state_machine(&std::io::Error::other(
                "a command writes outside its partition",
            ))
            .into()
        };
        match write {
            Write::Put { key, value } if inside(key) => batch.put(self.data, key, value),
            Write::Delete { key } if inside(key) => batch.delete(self.data, key),
            Write::DeleteRange { start, end }
                if inside(start) && start <= end && end.as_slice() <= self.range.end.as_slice() =>
            {
                batch.delete_range(self.data, start, end)
            }
            _ => return Err(outside()),
        }
        Ok(())
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

impl RaftSnapshotBuilder<PartitionRaft> for StateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<PartitionRaft>> {
        // One storage snapshot: the data and the "applied" records agree.
        let view = self.db.snapshot();
        let (applied, membership) = self.applied_records(|key| view.get(self.raft, key))?;
        let mut bytes = Vec::new();
        if self.metadata.is_some() {
            bytes = view
                .get(self.raft, &record_key(self.group, CLUSTER_STATE))
                .map_err(|e| StorageIOError::read_state_machine(&e))?
                .unwrap_or_else(|| {
                    serde_json::to_vec(&ClusterState::default()).expect("the empty state encodes")
                });
        }
        let iter = view
            .iter(
                self.data,
                (
                    Bound::Included(&self.range.start[..]),
                    Bound::Excluded(&self.range.end[..]),
                ),
                Direction::Forward,
            )
            .map_err(|e| StorageIOError::read_state_machine(&e))?;
        for item in iter {
            let (key, value) = item.map_err(|e| StorageIOError::read_state_machine(&e))?;
            encode_pair(&mut bytes, &key, &value);
        }
        // (The metadata group's range is empty: its snapshot is the state's JSON alone.)
        let number = self.snapshots_built.fetch_add(1, Ordering::Relaxed) + 1;
        let snapshot_id = match &applied {
            Some(id) => format!("{}-{}-{number}", id.leader_id, id.index),
            None => format!("--{number}"),
        };
        let meta = SnapshotMeta {
            last_log_id: applied,
            last_membership: membership,
            snapshot_id,
        };
        let bytes = Arc::new(bytes);
        *self.current.lock() = Some((meta.clone(), bytes.clone()));
        Ok(Snapshot {
            meta,
            snapshot: Box::new(Cursor::new(bytes.to_vec())),
        })
    }
}

impl RaftStateMachine<PartitionRaft> for StateMachine {
    type SnapshotBuilder = StateMachine;

    async fn applied_state(&mut self) -> Result<AppliedState> {
        self.applied_records(|key| self.db.get(self.raft, key))
    }

    async fn apply<I>(&mut self, entries: I) -> Result<Vec<Applied>>
    where
        I: IntoIterator<Item = Entry<PartitionRaft>> + Send,
        I::IntoIter: Send,
    {
        let mut batch = WriteBatch::new();
        let mut answers = Vec::new();
        let mut last = None;
        let mut membership = None;
        // Metadata changes apply to a working copy, published once the batch is written.
        let mut metadata = self.metadata.as_ref().map(|state| state.read().clone());
        for entry in entries {
            let mut refused = None;
            match &entry.payload {
                EntryPayload::Blank => {}
                EntryPayload::Normal(Proposal::Write(command)) => {
                    for write in &command.writes {
                        self.stage_write(&mut batch, write)?;
                    }
                }
                EntryPayload::Normal(Proposal::Metadata(change)) => {
                    let state = metadata.as_mut().ok_or_else(|| {
                        StorageIOError::write_state_machine(&std::io::Error::other(
                            "a metadata change proposed to a partition's group",
                        ))
                    })?;
                    refused = state.apply(change).err();
                }
                EntryPayload::Membership(changed) => {
                    membership = Some(StoredMembership::new(Some(entry.log_id), changed.clone()));
                }
            }
            answers.push(Applied {
                index: entry.log_id.index,
                refused,
            });
            last = Some(entry.log_id);
        }
        self.stage_applied(&mut batch, last.as_ref(), membership.as_ref())?;
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
        if let (Some(shared), Some(state)) = (&self.metadata, metadata) {
            *shared.write() = state;
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
        let mut batch = WriteBatch::new();
        let mut installed_metadata = None;
        if self.metadata.is_some() {
            let state: ClusterState = serde_json::from_slice(&bytes).map_err(|_| damaged())?;
            batch.put(self.raft, &record_key(self.group, CLUSTER_STATE), &bytes);
            installed_metadata = Some(state);
        } else {
            let pairs = decode_pairs(&bytes).ok_or_else(damaged)?;
            batch.delete_range(self.data, &self.range.start, &self.range.end);
            for (key, value) in pairs {
                self.stage_write(
                    &mut batch,
                    &Write::Put {
                        key: key.to_vec(),
                        value: value.to_vec(),
                    },
                )?;
            }
        }
        self.stage_applied(
            &mut batch,
            meta.last_log_id.as_ref(),
            Some(&meta.last_membership),
        )?;
        write_off_runtime(&self.db, batch, Durability::Sync)
            .await
            .map_err(|e| StorageIOError::write_state_machine(&e))?;
        if let (Some(shared), Some(state)) = (&self.metadata, installed_metadata) {
            *shared.write() = state;
        }
        *self.current.lock() = Some((meta.clone(), Arc::new(bytes)));
        Ok(())
    }

    async fn get_current_snapshot(&mut self) -> Result<Option<Snapshot<PartitionRaft>>> {
        Ok(self.current.lock().as_ref().map(|(meta, bytes)| Snapshot {
            meta: meta.clone(),
            snapshot: Box::new(Cursor::new(bytes.to_vec())),
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
