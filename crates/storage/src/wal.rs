//! The write-ahead log: every batch is appended here before it reaches the memtable.
//!
//! One log file per memtable (`NNNNNN.log`): the 8 bytes [`MAGIC`], then compact records (see
//! `record`), each holding one encoded batch (version 2, see `batch`), whose header carries its
//! first sequence number. Logs written before that format (no magic; full records holding
//! version-1 batches) are still replayed. Recovery replays, in file-number order, every log at
//! or after the manifest's `log_number`. A torn or corrupt record ends the newest log only if
//! nothing valid follows it; anywhere else it is [`Error::Corruption`]. A log is extended with
//! zeros ahead of its appends ([`PREALLOCATE_BYTES`] at a time), so any log may end in zeros:
//! they end it (no record is all zeros: a record's checksum never is).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::SequenceNumber;
use crate::batch::{BatchVersion, BatchView, WriteBatch};
use crate::db_files::wal_file_name;
use crate::error::{Error, Result};
use crate::fs::{FileSystem, WritableFile};
use crate::record::{
    RecordType, TailRule, any_compact_record, encode_compact_record, read_compact_records,
    read_records,
};

/// The first bytes of a log in the current format (compact records of version-2 batches).
pub(crate) const MAGIC: [u8; 8] = *b"FDYNLOG2";

/// A log is extended with synced zeros this many bytes at a time, ahead of its appends: a sync
/// of an append that stays within the file's size writes only the data, where one that grows
/// the file also writes its inode (on ext4 that doubled the time of a small `fdatasync`).
pub(crate) const PREALLOCATE_BYTES: u64 = 1 << 20;

/// The log being appended to.
#[derive(Debug)]
pub(crate) struct Wal {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    synced_len: u64,
    /// The file's size with its preallocated zeros.
    allocated: u64,
    buf: Vec<u8>,
    /// Scratch space for a batch header.
    head: Vec<u8>,
    /// A second handle on the same file, used only to sync it: the periodic sync of buffered
    /// writes runs on it without holding the log, so writers keep appending meanwhile (a data
    /// sync makes the file's written bytes durable whichever handle wrote them).
    background_sync: Arc<WalSyncHandle>,
}

/// Syncs a log from outside the writers' lock, and makes its directory entry durable first.
pub(crate) struct WalSyncHandle {
    file: Mutex<Box<dyn WritableFile>>,
    path: PathBuf,
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    /// Whether the log's directory entry is durable. A new log's entry is synced lazily, before
    /// the first sync of its content: until then nothing in it was promised durable.
    dir_synced: AtomicBool,
    /// Bytes of the log known durable through this handle.
    synced_len: AtomicU64,
}

impl std::fmt::Debug for WalSyncHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WalSyncHandle")
            .field("path", &self.path)
            .finish()
    }
}

impl WalSyncHandle {
    /// Makes the log's directory entry durable if it is not yet.
    fn sync_dir(&self) -> Result<()> {
        if self.dir_synced.load(Ordering::Acquire) {
            return Ok(());
        }
        self.fs.sync_dir(&self.dir).map_err(|source| Error::Io {
            context: "syncing the database directory",
            path: self.dir.clone(),
            source,
        })?;
        self.dir_synced.store(true, Ordering::Release);
        Ok(())
    }

    /// Makes the first `len` bytes of the log (all handed to the operating system) durable;
    /// answers whether that took a sync (another may have covered them already). Never retried
    /// after a failure: the caller poisons the engine.
    pub(crate) fn sync(&self, len: u64) -> Result<bool> {
        let mut file = self.file.lock();
        if self.synced_len.load(Ordering::Acquire) >= len {
            return Ok(false);
        }
        self.sync_dir()?;
        file.sync().map_err(|source| Error::Io {
            context: "syncing the WAL",
            path: self.path.clone(),
            source,
        })?;
        self.synced_len.fetch_max(len, Ordering::AcqRel);
        Ok(true)
    }
}

impl Wal {
    /// Creates log `number`. Its directory entry is made durable before its content is first
    /// synced, so that a synced record can never be lost with the file.
    pub(crate) fn create(fs: &Arc<dyn FileSystem>, dir: &Path, number: u64) -> Result<Self> {
        let path = dir.join(wal_file_name(number));
        let io = |context| {
            let path = path.clone();
            move |source| Error::Io {
                context,
                path,
                source,
            }
        };
        let mut file = fs.create(&path).map_err(io("creating a WAL file"))?;
        file.append(&MAGIC)
            .map_err(io("writing a WAL file's header"))?;
        let second = fs
            .open_append(&path)
            .map_err(io("opening a WAL file for syncing"))?;
        let background_sync = Arc::new(WalSyncHandle {
            file: Mutex::new(second),
            path: path.clone(),
            fs: Arc::clone(fs),
            dir: dir.to_path_buf(),
            dir_synced: AtomicBool::new(false),
            synced_len: AtomicU64::new(0),
        });
        Ok(Self {
            file,
            path,
            synced_len: 0,
            allocated: 0,
            buf: Vec::new(),
            head: Vec::new(),
            background_sync,
        })
    }

    /// The handle for syncing this log in the background and the length to sync, if bytes
    /// were appended since the last sync. Bytes appended later are not covered.
    pub(crate) fn background_sync(&self) -> Option<(Arc<WalSyncHandle>, u64)> {
        let len = self.file.len();
        (len > self.durable_len()).then(|| (Arc::clone(&self.background_sync), len))
    }

    /// Bytes known durable, by either handle.
    fn durable_len(&self) -> u64 {
        self.synced_len
            .max(self.background_sync.synced_len.load(Ordering::Acquire))
    }

    /// Queues one record holding a stamped batch; [`Wal::write_records`] writes the queue.
    pub(crate) fn add_batch(&mut self, batch: &WriteBatch) {
        self.head.clear();
        batch.encode_header(&mut self.head);
        encode_compact_record(&mut self.buf, &self.head, batch.encoded_ops());
    }

    /// Writes the queued records with a single append and hands them to the operating system;
    /// returns the bytes written.
    pub(crate) fn write_records(&mut self) -> Result<u64> {
        let written = self.buf.len() as u64;
        let end = self.file.len() + written;
        if end > self.allocated {
            let target = end.next_multiple_of(PREALLOCATE_BYTES) + PREALLOCATE_BYTES;
            if let Err(source) = self.file.preallocate(target) {
                self.buf.clear();
                return Err(Error::Io {
                    context: "preallocating the WAL",
                    path: self.path.clone(),
                    source,
                });
            }
            self.allocated = target;
        }
        let result = self.file.append(&self.buf).and_then(|()| self.file.flush());
        self.buf.clear();
        result.map_err(|source| Error::Io {
            context: "appending to the WAL",
            path: self.path.clone(),
            source,
        })?;
        Ok(written)
    }

    /// Whether bytes were appended since the last sync (by either handle).
    pub(crate) fn has_unsynced(&self) -> bool {
        self.file.len() > self.durable_len()
    }

    /// Makes everything appended so far durable (and the log's directory entry); answers
    /// whether that took a sync. Never retried after a failure: the caller poisons the engine.
    pub(crate) fn sync(&mut self) -> Result<bool> {
        if !self.has_unsynced() {
            return Ok(false);
        }
        self.background_sync.sync_dir()?;
        self.file.sync().map_err(|source| Error::Io {
            context: "syncing the WAL",
            path: self.path.clone(),
            source,
        })?;
        self.synced_len = self.file.len();
        Ok(true)
    }
}

/// Replays log `path`, calling `apply` for each batch in order. `newest`: the log may end in a
/// torn record. `after`: the last sequence number already recovered; batches must continue from
/// it without a gap. Returns the last sequence number seen (or `after`).
pub(crate) fn replay(
    fs: &dyn FileSystem,
    path: &Path,
    newest: bool,
    after: SequenceNumber,
    mut apply: impl FnMut(&BatchView<'_>) -> Result<()>,
) -> Result<SequenceNumber> {
    let io = |source| Error::Io {
        context: "reading the WAL",
        path: path.to_path_buf(),
        source,
    };
    let file = fs.open(path).map_err(io)?;
    let mut data = vec![0u8; usize::try_from(file.len()).expect("a WAL fits in memory")];
    file.scan_exact_at(0, &mut data).map_err(io)?;
    let corrupt = |detail: String| Error::Corruption {
        path: path.to_path_buf(),
        detail,
    };
    let rule = if newest {
        TailRule::TornOrCorrupt
    } else {
        TailRule::Strict
    };
    let (records, version, start) = if data.starts_with(&MAGIC) {
        let records = read_compact_records(&data[MAGIC.len()..], rule);
        (records, BatchVersion::V2, MAGIC.len())
    } else if newest && data.len() < MAGIC.len() && MAGIC.starts_with(&data) {
        // Created just before a crash: its header is all or partly missing and nothing follows.
        return Ok(after);
    } else {
        let records = read_records(&data, RecordType::Batch, rule);
        // A log of the current format whose magic was damaged reads as an earlier-format log
        // torn at its start; valid compact records in it tell the two apart.
        let nothing_valid = records.as_ref().is_ok_and(|r| r.payloads.is_empty());
        if nothing_valid && any_compact_record(&data, MAGIC.len().min(data.len())) {
            return Err(corrupt(
                "the log's header is damaged (it holds records of the current format)".to_owned(),
            ));
        }
        (records, BatchVersion::V1, 0)
    };
    let records =
        records.map_err(|e| corrupt(format!("at offset {}: {}", start + e.offset, e.detail)))?;
    let mut last = after;
    for range in records.payloads {
        let range = start + range.start..start + range.end;
        let batch = BatchView::parse(&data[range.clone()], version)
            .map_err(|d| corrupt(format!("record at offset {}: {d}", range.start)))?;
        // Sequence numbers are dense: a gap means a log, or a manifest edit that retired one,
        // is missing, and recovering on would silently lose the writes in between.
        if batch.count == 0 || batch.sequence != last + 1 {
            return Err(corrupt(format!(
                "record at offset {} has sequence {}, expected {} (a log or a manifest edit is missing)",
                range.start,
                batch.sequence,
                last + 1
            )));
        }
        apply(&batch)?;
        last = batch.last_sequence();
    }
    Ok(last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Keyspace;
    use crate::fs::MemFileSystem;
    use crate::key::ValueKind;
    use crate::record::encode_record;

    fn replayed(fs: &dyn FileSystem, path: &Path, newest: bool) -> Result<Vec<(u64, Vec<u8>)>> {
        let mut seen = Vec::new();
        replay(fs, path, newest, 0, |batch| {
            for (sequence, op) in (batch.sequence..).zip(batch.ops()) {
                let op = op.expect("replayed batches are valid");
                assert_eq!((op.kind, op.keyspace), (ValueKind::Put, 5));
                seen.push((sequence, op.key.to_vec()));
            }
            Ok(())
        })?;
        Ok(seen)
    }

    #[test]
    fn a_preallocated_log_ends_at_its_last_record_and_grows_ahead_of_its_appends() {
        let tmp = tempfile::tempdir().unwrap();
        let fs: Arc<dyn FileSystem> = Arc::new(crate::fs::RealFileSystem::new());
        let dir = tmp.path();
        let mut wal = Wal::create(&fs, dir, 1).unwrap();
        let path = dir.join(wal_file_name(1));
        let value = vec![b'v'; 1000];
        // About 2.5 MiB of records in groups of 25: the log is extended twice on the way.
        for group in 0..100u64 {
            for i in 0..25 {
                let sequence = group * 25 + i + 1;
                let mut batch = WriteBatch::new();
                batch.put(Keyspace { id: 5 }, &sequence.to_be_bytes(), &value);
                batch.set_sequence(sequence);
                wal.add_batch(&batch);
            }
            wal.write_records().unwrap();
            wal.sync().unwrap();
            let size = std::fs::metadata(&path).unwrap().len();
            assert!(
                size.is_multiple_of(PREALLOCATE_BYTES) && size > wal.file.len(),
                "after group {group}: {size} bytes on disk for {} appended",
                wal.file.len()
            );
        }
        assert!(wal.file.len() > 2 * PREALLOCATE_BYTES);
        for newest in [true, false] {
            let seen = replayed(&*fs, &path, newest).unwrap();
            assert_eq!(seen.len(), 2500, "newest: {newest}");
            assert!(
                seen.iter()
                    .zip(1u64..)
                    .all(|((s, k), n)| *s == n && k[..] == n.to_be_bytes()),
                "newest: {newest}"
            );
        }
    }

    #[test]
    fn logs_round_trip_and_a_torn_header_is_an_empty_newest_log() {
        let fs: Arc<dyn FileSystem> = Arc::new(MemFileSystem::new());
        let dir = Path::new("/db");
        fs.create_dir_all(dir).unwrap();
        let mut wal = Wal::create(&fs, dir, 1).unwrap();
        for sequence in 1..=3u64 {
            let mut batch = WriteBatch::new();
            batch.put(Keyspace { id: 5 }, &sequence.to_be_bytes(), b"value");
            batch.set_sequence(sequence);
            wal.add_batch(&batch);
        }
        wal.write_records().unwrap();
        wal.sync().unwrap();
        let path = dir.join(wal_file_name(1));
        let keys: Vec<u64> = replayed(&*fs, &path, false)
            .unwrap()
            .into_iter()
            .map(|(s, k)| {
                assert_eq!(k, s.to_be_bytes());
                s
            })
            .collect();
        assert_eq!(keys, [1, 2, 3]);

        let mut bytes = vec![0u8; fs.open(&path).unwrap().len() as usize];
        fs.open(&path)
            .unwrap()
            .read_exact_at(0, &mut bytes)
            .unwrap();
        for at in 0..MAGIC.len() {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x10;
            let copy = dir.join(wal_file_name(9));
            let mut file = fs.create(&copy).unwrap();
            file.append(&damaged).unwrap();
            file.sync().unwrap();
            assert!(
                matches!(replayed(&*fs, &copy, true), Err(Error::Corruption { .. })),
                "a damaged magic (byte {at}) must not read as an empty log"
            );
        }

        let torn = dir.join(wal_file_name(2));
        let mut file = fs.create(&torn).unwrap();
        file.append(&MAGIC[..5]).unwrap();
        file.sync().unwrap();
        assert!(replayed(&*fs, &torn, true).unwrap().is_empty());
        assert!(
            replayed(&*fs, &torn, false).is_err(),
            "an older log must be whole"
        );
    }

    #[test]
    fn logs_of_the_earlier_format_are_replayed() {
        let fs = MemFileSystem::new();
        let path = Path::new("/old.log");
        let mut data = Vec::new();
        for sequence in 1..=2u64 {
            // Version 1: fixed header, key with its keyspace prefix, in a full record.
            let mut batch = Vec::new();
            batch.extend_from_slice(&sequence.to_le_bytes());
            batch.extend_from_slice(&1u32.to_le_bytes());
            batch.extend_from_slice(&[1, 6, 0, 0, 0, 5, b'k', b'0' + sequence as u8, 1, b'v']);
            encode_record(&mut data, RecordType::Batch, &batch);
        }
        let mut file = fs.create(path).unwrap();
        file.append(&data).unwrap();
        file.sync().unwrap();
        let seen = replayed(&fs, path, false).unwrap();
        assert_eq!(seen, [(1, b"k1".to_vec()), (2, b"k2".to_vec())]);
    }
}
