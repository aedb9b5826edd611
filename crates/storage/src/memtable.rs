//! The memtable: recent writes in a lock-free skiplist, ordered by internal key.
//!
//! Each entry is one allocation holding the internal key followed by the value, plus the
//! keyspace and the first 16 bytes of the key inline, so that most comparisons during a search are decided
//! without following the pointer (a skiplist search is bound by cache misses). Range
//! tombstones are kept beside the skiplist (they are few) and fragmented lazily for readers.
//! Only the write leader inserts; any number of readers run concurrently.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_skiplist::SkipMap;
use crossbeam_skiplist::map::Entry;
use parking_lot::Mutex;

use crate::SequenceNumber;
use crate::batch::BatchView;
use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::{self, ValueKind};
use crate::range_tombstone::{FragmentedTombstones, RangeTombstone};

/// Skiplist node overhead charged per entry on top of its bytes (an estimate: node header,
/// tower pointers, the boxed slice's pointer and length).
const ENTRY_OVERHEAD: usize = 64;

/// Bytes of the key (after the keyspace prefix) kept inline in [`MemEntry::head`].
const HEAD_BYTES: usize = 16;

/// An internal key and its value in one allocation, with the parts that decide most
/// comparisons inline.
struct MemEntry {
    /// The keyspace id and the next [`HEAD_BYTES`] bytes of the user key (big-endian,
    /// zero-padded): ordering these numbers agrees with ordering the keys whenever they differ.
    /// (Two `u64`s rather than a `u128`, whose 16-byte alignment would pad every node.)
    head: (u32, u64, u64),
    /// Length of the user key (keyspace prefix included).
    user_len: u32,
    trailer: u64,
    buf: Box<[u8]>,
}

impl MemEntry {
    fn new(user_key: &[u8], trailer: u64, value: &[u8]) -> Self {
        let key_len = user_key.len() + key::TRAILER_LEN;
        let mut buf = Vec::with_capacity(key_len + value.len());
        key::append_internal_key(&mut buf, user_key, trailer);
        buf.extend_from_slice(value);
        Self {
            head: head_of(user_key),
            user_len: user_key.len() as u32,
            trailer,
            buf: buf.into_boxed_slice(),
        }
    }

    /// A search key (no value) for an internal key, built from an owned buffer.
    fn search(ikey: Vec<u8>) -> Self {
        let user_key = key::user_key(&ikey);
        Self {
            head: head_of(user_key),
            user_len: user_key.len() as u32,
            trailer: key::trailer_of(&ikey),
            buf: ikey.into_boxed_slice(),
        }
    }

    #[inline]
    fn key(&self) -> &[u8] {
        &self.buf[..self.user_len as usize + key::TRAILER_LEN]
    }

    #[inline]
    fn value(&self) -> &[u8] {
        &self.buf[self.user_len as usize + key::TRAILER_LEN..]
    }
}

#[inline]
fn head_of(user_key: &[u8]) -> (u32, u64, u64) {
    let (prefix, rest) = user_key.split_at(key::KEYSPACE_PREFIX_LEN);
    let mut bytes = [0u8; HEAD_BYTES];
    let n = rest.len().min(HEAD_BYTES);
    bytes[..n].copy_from_slice(&rest[..n]);
    (
        u32::from_be_bytes(prefix.try_into().expect("4-byte keyspace prefix")),
        u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
        u64::from_be_bytes(bytes[8..].try_into().expect("8 bytes")),
    )
}

impl PartialEq for MemEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}
impl Eq for MemEntry {}
impl PartialOrd for MemEntry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MemEntry {
    /// Internal-key order, decided inline unless two user keys longer than the head share it.
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match self.head.cmp(&other.head) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        const INLINE: u32 = (key::KEYSPACE_PREFIX_LEN + HEAD_BYTES) as u32;
        if self.user_len.min(other.user_len) <= INLINE {
            // Equal heads and one key fits in its head: the shorter key is a prefix of the
            // longer (zero padding matches zero bytes), so length decides, then the trailer.
            return self
                .user_len
                .cmp(&other.user_len)
                .then(other.trailer.cmp(&self.trailer));
        }
        key::compare_internal(self.key(), other.key())
    }
}

/// A point lookup's key, built once and used for every source: the internal key
/// `user key @ (read sequence, highest kind)`, which sorts just before every version the read
/// may see.
pub(crate) struct LookupKey {
    entry: MemEntry,
    sequence: SequenceNumber,
}

impl LookupKey {
    /// The lookup of `key` in keyspace `keyspace_id` at `sequence`.
    pub(crate) fn new(keyspace_id: u32, key: &[u8], sequence: SequenceNumber) -> Self {
        let mut ikey = Vec::with_capacity(key::KEYSPACE_PREFIX_LEN + key.len() + key::TRAILER_LEN);
        key::append_user_key(&mut ikey, keyspace_id, key);
        ikey.extend_from_slice(&((sequence << 8) | 0xff).to_le_bytes());
        Self {
            entry: MemEntry::search(ikey),
            sequence,
        }
    }

    /// The internal key to seek.
    pub(crate) fn internal_key(&self) -> &[u8] {
        self.entry.key()
    }

    /// The user key (keyspace prefix included).
    pub(crate) fn user_key(&self) -> &[u8] {
        key::user_key(self.entry.key())
    }

    /// The read sequence.
    pub(crate) fn sequence(&self) -> SequenceNumber {
        self.sequence
    }
}

/// What one source (memtable or table) knows about a key at a read sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lookup {
    /// The newest visible version is this value.
    Value(Vec<u8>),
    /// The newest visible version is a deletion (point or range).
    Deleted,
    /// This source holds nothing visible for the key; older sources must be asked.
    Absent,
}

/// Recent writes, in memory.
pub(crate) struct Memtable {
    map: SkipMap<MemEntry, ()>,
    approximate_bytes: AtomicUsize,
    tombstones: Mutex<Vec<RangeTombstone>>,
    tombstone_count: AtomicUsize,
    fragmented: Mutex<(usize, Arc<FragmentedTombstones>)>,
    largest_sequence: AtomicU64,
    wal_number: u64,
}

impl std::fmt::Debug for Memtable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memtable")
            .field("entries", &self.map.len())
            .field("approximate_bytes", &self.approximate_bytes())
            .field("wal_number", &self.wal_number)
            .finish()
    }
}

impl Memtable {
    /// An empty memtable whose writes are logged in WAL file `wal_number`.
    pub(crate) fn new(wal_number: u64) -> Self {
        Self {
            map: SkipMap::new(),
            approximate_bytes: AtomicUsize::new(0),
            tombstones: Mutex::new(Vec::new()),
            tombstone_count: AtomicUsize::new(0),
            fragmented: Mutex::new((0, Arc::new(FragmentedTombstones::default()))),
            largest_sequence: AtomicU64::new(0),
            wal_number,
        }
    }

    /// The WAL file holding this memtable's writes.
    pub(crate) fn wal_number(&self) -> u64 {
        self.wal_number
    }

    /// Bytes of entries plus an estimate of the skiplist's overhead.
    pub(crate) fn approximate_bytes(&self) -> usize {
        self.approximate_bytes.load(Ordering::Relaxed)
    }

    /// Whether nothing was ever inserted.
    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty() && self.tombstone_count.load(Ordering::Relaxed) == 0
    }

    /// The largest sequence number inserted (0 if none).
    pub(crate) fn largest_sequence(&self) -> SequenceNumber {
        self.largest_sequence.load(Ordering::Relaxed)
    }

    /// Inserts every operation of a batch (already validated). Only one thread inserts at a time.
    pub(crate) fn insert_batch(&self, batch: &BatchView<'_>) {
        let mut bytes = 0;
        for (sequence, op) in (batch.sequence..).zip(batch.ops()) {
            let op = op.expect("batches are validated before they are inserted");
            match op.kind {
                ValueKind::Put | ValueKind::Delete => {
                    let entry = MemEntry::new(op.key, key::trailer(sequence, op.kind), op.value);
                    bytes += entry.buf.len() + ENTRY_OVERHEAD;
                    self.map.insert(entry, ());
                }
                ValueKind::RangeDelete => {
                    bytes += op.key.len() + op.value.len() + ENTRY_OVERHEAD;
                    let mut list = self.tombstones.lock();
                    list.push(RangeTombstone {
                        start: op.key.to_vec(),
                        end: op.value.to_vec(),
                        sequence,
                    });
                    self.tombstone_count.store(list.len(), Ordering::Release);
                }
            }
        }
        self.approximate_bytes.fetch_add(bytes, Ordering::Relaxed);
        self.largest_sequence
            .fetch_max(batch.last_sequence(), Ordering::Relaxed);
    }

    /// The range tombstones, fragmented (rebuilt only when tombstones were added).
    pub(crate) fn range_tombstones(&self) -> Arc<FragmentedTombstones> {
        let count = self.tombstone_count.load(Ordering::Acquire);
        let mut cached = self.fragmented.lock();
        if cached.0 != count {
            let list = self.tombstones.lock();
            cached.1 = Arc::new(FragmentedTombstones::build(list.iter().cloned()));
            cached.0 = list.len();
        }
        Arc::clone(&cached.1)
    }

    /// Whether any range tombstone was inserted.
    pub(crate) fn has_range_tombstones(&self) -> bool {
        self.tombstone_count.load(Ordering::Acquire) > 0
    }

    /// The newest version of `user_key` visible at `read_sequence`, honouring range tombstones.
    pub(crate) fn get(&self, lookup: &LookupKey) -> Lookup {
        let (user_key, read_sequence) = (lookup.user_key(), lookup.sequence());
        let point = self
            .map
            .lower_bound(std::ops::Bound::Included(&lookup.entry))
            .filter(|e| key::user_key(e.key().key()) == user_key);
        let covering = if self.has_range_tombstones() {
            self.range_tombstones()
                .max_covering(user_key, read_sequence)
        } else {
            None
        };
        match (point, covering) {
            (Some(e), covering) => {
                let sequence = key::sequence_of(e.key().key());
                if covering.is_some_and(|t| t > sequence) {
                    return Lookup::Deleted;
                }
                match key::kind_of(e.key().key()) {
                    Some(ValueKind::Put) => Lookup::Value(e.key().value().to_vec()),
                    _ => Lookup::Deleted,
                }
            }
            (None, Some(_)) => Lookup::Deleted,
            (None, None) => Lookup::Absent,
        }
    }

    /// An iterator over the point entries (not the range tombstones).
    pub(crate) fn iter(self: &Arc<Self>) -> MemtableIter {
        MemtableIter {
            current: None,
            memtable: Arc::clone(self),
        }
    }
}

/// A cursor over a memtable's point entries that keeps the memtable alive.
pub(crate) struct MemtableIter {
    // Declared before `memtable` so that it is dropped first: it borrows the skiplist.
    current: Option<Entry<'static, MemEntry, ()>>,
    memtable: Arc<Memtable>,
}

/// Extends an entry's borrow of the skiplist to `'static`.
///
/// SAFETY (of the callers' use): every detached entry is stored in a [`MemtableIter`], which
/// holds the `Arc<Memtable>` owning the skiplist for as long as the entry, and drops the entry
/// first (field order). Entries are never removed from a memtable, so the node stays valid.
fn detach(entry: Entry<'_, MemEntry, ()>) -> Entry<'static, MemEntry, ()> {
    // SAFETY: see above; `Entry` has the same layout for every lifetime.
    unsafe { std::mem::transmute::<Entry<'_, MemEntry, ()>, Entry<'static, MemEntry, ()>>(entry) }
}

impl InternalIterator for MemtableIter {
    fn valid(&self) -> bool {
        self.current.is_some()
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let search = MemEntry::search(target.to_vec());
        let bound = std::ops::Bound::Included(&search);
        self.current = self.memtable.map.lower_bound(bound).map(detach);
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        let search = MemEntry::search(target.to_vec());
        let bound = std::ops::Bound::Included(&search);
        self.current = self.memtable.map.upper_bound(bound).map(detach);
        Ok(())
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.current = self.memtable.map.front().map(detach);
        Ok(())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.current = self.memtable.map.back().map(detach);
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        self.current = self.current.as_ref().and_then(Entry::next);
        Ok(())
    }

    fn prev(&mut self) -> Result<()> {
        self.current = self.current.as_ref().and_then(Entry::prev);
        Ok(())
    }

    fn key(&self) -> &[u8] {
        self.current
            .as_ref()
            .expect("key() on a valid iterator")
            .key()
            .key()
    }

    fn value(&self) -> &[u8] {
        self.current
            .as_ref()
            .expect("value() on a valid iterator")
            .key()
            .value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::WriteBatch;
    use crate::db::Keyspace;

    fn apply(mem: &Memtable, sequence: u64, build: impl FnOnce(&mut WriteBatch)) {
        let mut batch = WriteBatch::new();
        build(&mut batch);
        batch.set_sequence(sequence);
        mem.insert_batch(&BatchView::parse(batch.encoded()).unwrap());
    }

    #[test]
    fn get_sees_the_newest_visible_version() {
        let ks = Keyspace { id: 0 };
        let mem = Memtable::new(1);
        apply(&mem, 1, |b| b.put(ks, b"k", b"v1"));
        apply(&mem, 2, |b| b.put(ks, b"k", b"v2"));
        apply(&mem, 3, |b| b.delete(ks, b"k"));
        let get = |m: &Memtable, k: &[u8], seq| m.get(&LookupKey::new(0, k, seq));
        assert_eq!(get(&mem, b"k", 1), Lookup::Value(b"v1".to_vec()));
        assert_eq!(get(&mem, b"k", 2), Lookup::Value(b"v2".to_vec()));
        assert_eq!(get(&mem, b"k", 3), Lookup::Deleted);
        assert_eq!(get(&mem, b"x", 3), Lookup::Absent);
    }

    #[test]
    fn range_tombstones_hide_older_versions_only() {
        let ks = Keyspace { id: 0 };
        let mem = Memtable::new(1);
        apply(&mem, 1, |b| b.put(ks, b"b", b"old"));
        apply(&mem, 2, |b| b.delete_range(ks, b"a", b"c"));
        apply(&mem, 3, |b| b.put(ks, b"b", b"new"));
        let get = |m: &Memtable, k: &[u8], seq| m.get(&LookupKey::new(0, k, seq));
        assert_eq!(get(&mem, b"b", 1), Lookup::Value(b"old".to_vec()));
        assert_eq!(get(&mem, b"b", 2), Lookup::Deleted);
        assert_eq!(get(&mem, b"b", 3), Lookup::Value(b"new".to_vec()));
        assert_eq!(get(&mem, b"a", 2), Lookup::Deleted);
        assert_eq!(get(&mem, b"c", 2), Lookup::Absent);
    }

    #[test]
    fn iterator_walks_both_ways() {
        let ks = Keyspace { id: 0 };
        let mem = Arc::new(Memtable::new(1));
        apply(&mem, 1, |b| {
            for k in [b"a", b"b", b"c"] {
                b.put(ks, k, k);
            }
        });
        let mut it = mem.iter();
        it.seek_to_first().unwrap();
        let mut seen = vec![];
        while it.valid() {
            seen.push(key::user_key(it.key())[4..].to_vec());
            it.next().unwrap();
        }
        assert_eq!(seen, vec![b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        it.seek_to_last().unwrap();
        it.prev().unwrap();
        assert_eq!(it.value(), b"b");
        drop(mem);
        it.prev().unwrap();
        assert_eq!(it.value(), b"a", "the iterator keeps the memtable alive");
    }

    #[test]
    fn inline_comparison_agrees_with_internal_key_order() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let entries: Vec<MemEntry> = (0..400)
            .map(|_| {
                // Short keys over a tiny alphabet (with zeros) to make shared heads common.
                let len = next(24) as usize;
                let user_key: Vec<u8> = [0, 0, 0, next(2) as u8]
                    .into_iter()
                    .chain((0..len).map(|_| [0u8, 1, 0xff][next(3) as usize]))
                    .collect();
                MemEntry::new(&user_key, key::trailer(next(4), ValueKind::Put), b"")
            })
            .collect();
        for a in &entries {
            for b in &entries {
                assert_eq!(
                    a.cmp(b),
                    key::compare_internal(a.key(), b.key()),
                    "{:?} vs {:?}",
                    a.key(),
                    b.key()
                );
            }
        }
    }
}
