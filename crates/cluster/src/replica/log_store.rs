//! A replica group's Raft log, vote and commit point in the `raft` keyspace.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};

use ferrodyn_storage::{Db, Direction, Durability, Keyspace, WriteBatch};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, LogId, RaftLogReader, StorageError, StorageIOError, Vote};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{COMMITTED, ENTRY, PURGED, PartitionRaft, VOTE, record_key, write_off_runtime};

/// The log of one replica group. Cheap to clone: clones share the storage engine.
#[derive(Debug, Clone)]
pub struct LogStore {
    db: Db,
    raft: Keyspace,
    group: u64,
}

type Result<T> = std::result::Result<T, StorageError<u64>>;

impl LogStore {
    /// The log of replica group `group`, kept in keyspace `raft` of `db`.
    pub fn new(db: Db, raft: Keyspace, group: u64) -> LogStore {
        LogStore { db, raft, group }
    }

    fn entry_key(&self, index: u64) -> Vec<u8> {
        let mut key = record_key(self.group, ENTRY);
        key.extend_from_slice(&index.to_be_bytes());
        key
    }

    fn read_record<T: DeserializeOwned>(&self, tag: u8) -> Result<Option<T>> {
        let value = self
            .db
            .get(self.raft, &record_key(self.group, tag))
            .map_err(|e| StorageIOError::read(&e))?;
        value
            .map(|bytes| {
                serde_json::from_slice(&bytes).map_err(|e| StorageIOError::read(&e).into())
            })
            .transpose()
    }

    async fn write_record<T: Serialize>(
        &self,
        tag: u8,
        value: &T,
        durability: Durability,
    ) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|e| StorageIOError::write(&e))?;
        let mut batch = WriteBatch::new();
        batch.put(self.raft, &record_key(self.group, tag), &bytes);
        write_off_runtime(&self.db, batch, durability)
            .await
            .map_err(|e| StorageIOError::write(&e))?;
        Ok(())
    }

    /// Entries with index in `range`, ascending.
    fn entries(&self, range: (Bound<u64>, Bound<u64>)) -> Result<Vec<Entry<PartitionRaft>>> {
        let start = match range.0 {
            Bound::Included(i) => Some(i),
            Bound::Excluded(i) => i.checked_add(1),
            Bound::Unbounded => Some(0),
        };
        let Some(start) = start else {
            return Ok(Vec::new());
        };
        let end = match range.1 {
            Bound::Included(i) => i.checked_add(1),
            Bound::Excluded(i) => Some(i),
            Bound::Unbounded => None,
        };
        if end.is_some_and(|end| end <= start) {
            return Ok(Vec::new());
        }
        let start_key = self.entry_key(start);
        let end_key = match end {
            Some(end) => self.entry_key(end),
            None => record_key(self.group, ENTRY + 1),
        };
        let iter = self
            .db
            .iter(
                self.raft,
                (
                    Bound::Included(&start_key[..]),
                    Bound::Excluded(&end_key[..]),
                ),
                Direction::Forward,
            )
            .map_err(|e| StorageIOError::read_logs(&e))?;
        let mut entries = Vec::new();
        for item in iter {
            let (_, value) = item.map_err(|e| StorageIOError::read_logs(&e))?;
            let entry: Entry<PartitionRaft> =
                serde_json::from_slice(&value).map_err(|e| StorageIOError::read_logs(&e))?;
            entries.push(entry);
        }
        Ok(entries)
    }

    /// The last entry's log id, if the log holds any entry.
    fn last_entry_id(&self) -> Result<Option<LogId<u64>>> {
        let start = self.entry_key(0);
        let end = record_key(self.group, ENTRY + 1);
        let mut iter = self
            .db
            .iter(
                self.raft,
                (Bound::Included(&start[..]), Bound::Excluded(&end[..])),
                Direction::Reverse,
            )
            .map_err(|e| StorageIOError::read_logs(&e))?;
        match iter.next() {
            None => Ok(None),
            Some(item) => {
                let (_, value) = item.map_err(|e| StorageIOError::read_logs(&e))?;
                let entry: Entry<PartitionRaft> =
                    serde_json::from_slice(&value).map_err(|e| StorageIOError::read_logs(&e))?;
                Ok(Some(entry.log_id))
            }
        }
    }
}

impl RaftLogReader<PartitionRaft> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry<PartitionRaft>>> {
        self.entries((range.start_bound().cloned(), range.end_bound().cloned()))
    }
}

impl RaftLogStorage<PartitionRaft> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<PartitionRaft>> {
        let last_purged_log_id: Option<LogId<u64>> = self.read_record(PURGED)?;
        let last_log_id = self.last_entry_id()?.or(last_purged_log_id);
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> LogStore {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote<u64>) -> Result<()> {
        self.write_record(VOTE, vote, Durability::Sync).await
    }

    async fn read_vote(&mut self) -> Result<Option<Vote<u64>>> {
        self.read_record(VOTE)
    }

    async fn save_committed(&mut self, committed: Option<LogId<u64>>) -> Result<()> {
        // Only a hint for a faster restart: losing it makes the replica re-learn the commit point.
        match committed {
            Some(committed) => {
                self.write_record(COMMITTED, &committed, Durability::Buffered)
                    .await
            }
            None => Ok(()),
        }
    }

    async fn read_committed(&mut self) -> Result<Option<LogId<u64>>> {
        self.read_record(COMMITTED)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<PartitionRaft>) -> Result<()>
    where
        I: IntoIterator<Item = Entry<PartitionRaft>> + Send,
        I::IntoIter: Send,
    {
        let mut batch = WriteBatch::new();
        for entry in entries {
            let bytes = serde_json::to_vec(&entry).map_err(|e| StorageIOError::write_logs(&e))?;
            batch.put(self.raft, &self.entry_key(entry.log_id.index), &bytes);
        }
        let result = write_off_runtime(&self.db, batch, Durability::Sync)
            .await
            .map_err(|e| std::io::Error::other(e.to_string()));
        let failed = result.as_ref().err().map(StorageIOError::write_logs);
        callback.log_io_completed(result);
        match failed {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }

    async fn truncate(&mut self, log_id: LogId<u64>) -> Result<()> {
        let mut batch = WriteBatch::new();
        batch.delete_range(
            self.raft,
            &self.entry_key(log_id.index),
            &record_key(self.group, ENTRY + 1),
        );
        write_off_runtime(&self.db, batch, Durability::Sync)
            .await
            .map_err(|e| StorageIOError::write_logs(&e))?;
        Ok(())
    }

    async fn purge(&mut self, log_id: LogId<u64>) -> Result<()> {
        let bytes = serde_json::to_vec(&log_id).map_err(|e| StorageIOError::write_logs(&e))?;
        let mut batch = WriteBatch::new();
        batch.put(self.raft, &record_key(self.group, PURGED), &bytes);
        let end = log_id.index.checked_add(1).map_or_else(
            || record_key(self.group, ENTRY + 1),
            |end| self.entry_key(end),
        );
        batch.delete_range(self.raft, &self.entry_key(0), &end);
        write_off_runtime(&self.db, batch, Durability::Sync)
            .await
            .map_err(|e| StorageIOError::write_logs(&e))?;
        Ok(())
    }
}
