//! A replica group's Raft log, vote and commit point in the `raft` keyspace.

use std::fmt::Debug;
use std::ops::{Bound, RangeBounds};
use std::sync::{Arc, OnceLock};

use ferrodyn_storage::{Db, Direction, Durability, Keyspace, WriteBatch};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{Entry, LogId, RaftLogReader, StorageError, StorageIOError, Vote};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{COMMITTED, ENTRY, PURGED, PartitionRaft, VOTE, record_key, write_off_runtime};

/// The log of one replica group. Cheap to clone: clones share the storage engine.
///
/// Appended entries are readable at once (so the leader replicates them while its own disk
/// syncs) and reported durable to openraft only after a sync of the write-ahead log that covers
/// them: one task per log syncs for every append that arrived meanwhile.
#[derive(Debug, Clone)]
pub struct LogStore {
    db: Db,
    raft: Keyspace,
    group: u64,
    syncer: Arc<OnceLock<tokio::sync::mpsc::UnboundedSender<LogFlushed<PartitionRaft>>>>,
}

/// Syncs the write-ahead log for the appends that `pending` reports, in order, one sync for all
/// that are waiting.
async fn sync_appends(
    db: Db,
    mut pending: tokio::sync::mpsc::UnboundedReceiver<LogFlushed<PartitionRaft>>,
) {
    while let Some(first) = pending.recv().await {
        let mut waiting = vec![first];
        while let Ok(more) = pending.try_recv() {
            waiting.push(more);
        }
        let syncing = db.clone();
        let error = match tokio::task::spawn_blocking(move || syncing.sync_wal()).await {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(error.to_string()),
            Err(failed) => Some(format!("the thread syncing the log failed: {failed}")),
        };
        for flushed in waiting {
            flushed.log_io_completed(match &error {
                None => Ok(()),
                Some(message) => Err(std::io::Error::other(message.clone())),
            });
        }
    }
}

type Result<T> = std::result::Result<T, StorageError<u64>>;

impl LogStore {
    /// The log of replica group `group`, kept in keyspace `raft` of `db`.
    pub fn new(db: Db, raft: Keyspace, group: u64) -> LogStore {
        LogStore {
            db,
            raft,
            group,
            syncer: Arc::default(),
        }
    }

    fn entry_key(&self, index: u64) -> Vec<u8> {
        let mut key = record_key(self.group, ENTRY);
        key.extend_from_slice(&index.to_be_bytes());
        key
    }

    /// The group's vote as its replica here last saved it (before openraft has loaded it).
    pub fn stored_vote(&self) -> Result<Option<Vote<u64>>> {
        self.read_record(VOTE)
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
        // Visible now, durable once the syncer says so.
        let written = write_off_runtime(&self.db, batch, Durability::Buffered).await;
        if let Err(error) = written {
            let failed = StorageIOError::write_logs(&error);
            callback.log_io_completed(Err(std::io::Error::other(error.to_string())));
            return Err(failed.into());
        }
        let syncer = self.syncer.get_or_init(|| {
            let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(sync_appends(self.db.clone(), receiver));
            sender
        });
        if let Err(unsent) = syncer.send(callback) {
            // The syncer is gone (the runtime is stopping): sync here.
            let db = self.db.clone();
            let result = tokio::task::spawn_blocking(move || db.sync_wal()).await;
            let result = match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(error)) => Err(std::io::Error::other(error.to_string())),
                Err(failed) => Err(std::io::Error::other(failed.to_string())),
            };
            unsent.0.log_io_completed(result);
        }
        Ok(())
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
