//! The memtable: recent writes in a lock-free skiplist, ordered by internal key, with a hash
//! index beside it for point reads.
//!
//! - `arena`: the entries' variable bytes (the part of a key past the inline head, then the
//!   value), bump-allocated in large chunks.
//! - `entry`: [`MemEntry`], the skiplist's key: the keyspace, first 16 key bytes, key length
//!   and trailer inline, so that most comparisons of a search are decided without following
//!   its pointer into the arena (a skiplist search is bound by cache misses), and no key byte
//!   is stored twice.
//! - `point_index`: user key → newest entry, so that a point read at the latest sequence
//!   skips the skiplist search.
//!
//! The skiplist is `crossbeam-skiplist`'s lower-level `SkipList`, used without epoch pinning or
//! reference counting: entries are never removed from a memtable and the skiplist is freed only
//! with the memtable, which is what the epoch machinery would otherwise protect against. Range
//! tombstones are kept beside the skiplist (they are few) and fragmented lazily for readers.
//! Only one thread inserts at a time (the write leader, or recovery); any number of readers run
//! concurrently.

mod arena;
mod entry;
mod point_index;

use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam_epoch::{Collector, Guard};
use crossbeam_skiplist::base::{Entry, SkipList};
use parking_lot::Mutex;

use crate::SequenceNumber;
use crate::batch::BatchView;
use crate::coding;
use crate::error::Result;
use crate::iter::InternalIterator;
use crate::key::{self, ValueKind};
use crate::range_tombstone::{FragmentedTombstones, RangeTombstone};
use crate::sstable::bloom;
use arena::Arena;
pub(crate) use entry::MemEntry;
use entry::SearchKey;
use point_index::PointIndex;

/// Memory of one skiplist node beyond its [`MemEntry`]: the reference count and height word,
/// an average tower of two pointers (crossbeam's towers grow with probability 1/2), and the
/// allocator's rounding and header.
const NODE_OVERHEAD: usize = 8 + 2 * 8 + 16;

/// A guard for the skiplist that pins nothing.
#[inline]
fn unpinned() -> &'static Guard {
    // SAFETY: `unprotected` is sound when no other thread can free what the guard protects.
    // Nothing is ever removed from a memtable's skiplist, so no node is freed before the
    // skiplist itself is dropped, which needs exclusive access.
    unsafe { crossbeam_epoch::unprotected() }
}

/// A point lookup's key, built once and used for every source: the internal key
/// `user key @ (read sequence, highest kind)`, which sorts just before every version the read
/// may see, and the user key's hash (for the memtables' point index and the tables' filters).
pub(crate) struct LookupKey {
    // Declared before `ikey`, whose heap buffer it points into.
    entry: MemEntry,
    // A `Vec`, not a `Box`: moving a `Box` asserts unique access to its buffer, which the
    // entry's pointer aliases.
    ikey: Vec<u8>,
    hash: u64,
    sequence: SequenceNumber,
}

impl LookupKey {
    /// The lookup of `key` in keyspace `keyspace_id` at `sequence`.
    pub(crate) fn new(keyspace_id: u32, key: &[u8], sequence: SequenceNumber) -> Self {
        let mut ikey = Vec::with_capacity(key::KEYSPACE_PREFIX_LEN + key.len() + key::TRAILER_LEN);
        key::append_user_key(&mut ikey, keyspace_id, key);
        let hash = bloom::hash(&ikey);
        ikey.extend_from_slice(&((sequence << 8) | 0xff).to_le_bytes());
        let user_key = key::user_key(&ikey);
        // SAFETY: the entry's tail is in `ikey`'s heap buffer, which is owned alongside it,
        // never written again, and does not move when the `LookupKey` does.
        let entry =
            unsafe { MemEntry::new(user_key, key::trailer_of(&ikey), entry::tail_of(user_key)) };
        Self {
            entry,
            ikey,
            hash,
            sequence,
        }
    }

    /// The internal key to seek.
    pub(crate) fn internal_key(&self) -> &[u8] {
        &self.ikey
    }

    /// The user key (keyspace prefix included).
    pub(crate) fn user_key(&self) -> &[u8] {
        key::user_key(&self.ikey)
    }

    /// The user key's hash (`bloom::hash`).
    pub(crate) fn hash(&self) -> u64 {
        self.hash
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

/// What the (single) inserter of a memtable works with.
struct Inserter {
    arena: Arena,
    /// Scratch space for the user key being inserted (keyspace prefix and key).
    user_key: Vec<u8>,
}

/// Recent writes, in memory.
pub(crate) struct Memtable {
    // The skiplist and the index point into the arena, so they are declared (and dropped)
    // first; neither reads the arena when dropped anyway.
    list: SkipList<MemEntry, ()>,
    index: PointIndex,
    /// Written only by the inserter; the lock is uncontended and taken once per batch.
    inserter: Mutex<Inserter>,
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
            .field("entries", &self.list.len())
            .field("approximate_bytes", &self.approximate_bytes())
            .field("wal_number", &self.wal_number)
            .finish()
    }
}

impl Memtable {
    /// An empty memtable whose writes are logged in WAL file `wal_number`, sized for
    /// `memtable_bytes_max` (the point index's buckets; more is allowed).
    pub(crate) fn new(wal_number: u64, memtable_bytes_max: usize) -> Self {
        let index = PointIndex::for_memtable_bytes(memtable_bytes_max);
        let fixed_bytes = index.memory_bytes();
        Self {
            // A collector of its own: the skiplist is never pinned (see `unpinned`), and must
            // not share a collector with anything that is.
            list: SkipList::new(Collector::new()),
            index,
            inserter: Mutex::new(Inserter {
                arena: Arena::for_memtable_bytes(memtable_bytes_max),
                user_key: Vec::new(),
            }),
            approximate_bytes: AtomicUsize::new(fixed_bytes),
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

    /// Bytes of memory held: the arena's chunks, an estimate of the skiplist's nodes, the point
    /// index and the range tombstones.
    pub(crate) fn approximate_bytes(&self) -> usize {
        self.approximate_bytes.load(Ordering::Relaxed)
    }

    /// Whether nothing was ever inserted.
    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty() && self.tombstone_count.load(Ordering::Relaxed) == 0
    }

    /// The largest sequence number inserted (0 if none).
    pub(crate) fn largest_sequence(&self) -> SequenceNumber {
        self.largest_sequence.load(Ordering::Relaxed)
    }

    /// Inserts every operation of a batch (already validated). Batches must be inserted in
    /// sequence order; concurrent calls are serialized.
    pub(crate) fn insert_batch(&self, batch: &BatchView<'_>) {
        let mut inserter = self.inserter.lock();
        let Inserter { arena, user_key } = &mut *inserter;
        let arena_before = arena.capacity();
        let mut bytes = 0;
        for (sequence, op) in (batch.sequence..).zip(batch.ops()) {
            let op = op.expect("batches are validated before they are inserted");
            let prefix = key::keyspace_prefix(op.keyspace);
            match op.kind {
                ValueKind::Put | ValueKind::Delete => {
                    user_key.clear();
                    user_key.extend_from_slice(&prefix);
                    user_key.extend_from_slice(op.key);
                    let hash = bloom::hash(user_key);
                    // The bucket arrives while the skiplist insert runs.
                    self.index.prefetch(hash);
                    let mut value_len = [0u8; 5];
                    let value_len = coding::encode_varint32(
                        &mut value_len,
                        u32::try_from(op.value.len()).expect("values are shorter than 4 GiB"),
                    );
                    let tail = &user_key[user_key.len() - entry::tail_len(user_key.len())..];
                    let at = arena.push(&[tail, value_len, op.value]);
                    let trailer = key::trailer(sequence, op.kind);
                    // SAFETY: `push` just copied the key's tail, the value's length and the
                    // value to `at`, in the arena, which lives as long as the skiplist and the
                    // index holding the entry.
                    let entry = unsafe { MemEntry::new(user_key, trailer, at) };
                    let inserted = self.list.insert(entry, (), unpinned());
                    // Versions of a key sort newest first: the entry after the new one is the
                    // key's previous newest entry, if the key has one (a node the insert's
                    // search has just read).
                    let older = inserted
                        .next(unpinned())
                        .filter(|next| next.key().same_user_key(inserted.key()));
                    // SAFETY: one inserter (the arena's lock is held); the entry lives in a
                    // skiplist node, never removed nor moved before the memtable is dropped;
                    // sequences increase, so it is the newest entry of its key, and `older`
                    // the one before it.
                    unsafe {
                        self.index
                            .insert(inserted.key(), older.as_ref().map(|o| o.key()), hash);
                    }
                    if let Some(older) = older {
                        older.release(unpinned());
                    }
                    inserted.release(unpinned());
                    bytes += std::mem::size_of::<MemEntry>() + NODE_OVERHEAD;
                }
                ValueKind::RangeDelete => {
                    let tombstone = RangeTombstone {
                        start: [&prefix[..], op.key].concat(),
                        end: [&prefix[..], op.value].concat(),
                        sequence,
                    };
                    bytes += tombstone.start.len()
                        + tombstone.end.len()
                        + std::mem::size_of::<RangeTombstone>();
                    let mut list = self.tombstones.lock();
                    list.push(tombstone);
                    self.tombstone_count.store(list.len(), Ordering::Release);
                }
            }
        }
        bytes += arena.capacity() - arena_before;
        drop(inserter);
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

    /// The newest point entry of the looked-up key visible at its read sequence.
    fn newest_visible(&self, lookup: &LookupKey) -> Option<&MemEntry> {
        let newest = self.index.newest(&lookup.entry, lookup.hash)?;
        if newest.sequence() <= lookup.sequence {
            return Some(newest);
        }
        // A version newer than the read (a snapshot's, or one being written): the skiplist
        // keeps every version.
        self.list
            .lower_bound(Bound::Included(&lookup.entry), unpinned())
            .map(|e| e.key())
            .filter(|e| e.same_user_key(&lookup.entry))
    }

    /// The newest version of the looked-up key visible at its read sequence, honouring range
    /// tombstones.
    pub(crate) fn get(&self, lookup: &LookupKey) -> Lookup {
        let point = self.newest_visible(lookup);
        let covering = if self.has_range_tombstones() {
            self.range_tombstones()
                .max_covering(lookup.user_key(), lookup.sequence)
        } else {
            None
        };
        match (point, covering) {
            (Some(e), covering) => {
                if covering.is_some_and(|t| t > e.sequence()) {
                    return Lookup::Deleted;
                }
                match e.kind() {
                    // SAFETY: `e` is an entry of this memtable.
                    Some(ValueKind::Put) => Lookup::Value(unsafe { e.value() }.to_vec()),
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
            key: Vec::new(),
            memtable: Arc::clone(self),
        }
    }
}

/// A skiplist entry whose borrows of its memtable and guard are extended to `'static`.
struct DetachedEntry(Entry<'static, 'static, MemEntry, ()>);

// SAFETY: an entry is a reference to its skiplist, its node and its guard. The skiplist and the
// node are `Sync` (`MemEntry` is); the guard is the unprotected one (see `unpinned`), which
// holds no thread-local state, so it may be used from any thread.
unsafe impl Send for DetachedEntry {}

/// A cursor over a memtable's point entries that keeps the memtable alive.
pub(crate) struct MemtableIter {
    // Declared before `memtable` so that it is dropped first: it borrows the skiplist.
    current: Option<DetachedEntry>,
    /// The internal key of `current` (an entry keeps its key in parts).
    key: Vec<u8>,
    memtable: Arc<Memtable>,
}

impl MemtableIter {
    /// Moves to `entry` (`None`: past either end).
    fn set(&mut self, entry: Option<DetachedEntry>) {
        self.current = entry;
        if let Some(e) = &self.current {
            e.0.key().write_internal_key(&mut self.key);
        }
    }
}

/// Extends an entry's borrow of the skiplist to `'static`.
///
/// SAFETY (of the callers' use): every detached entry is stored in a [`MemtableIter`], which
/// holds the `Arc<Memtable>` owning the skiplist for as long as the entry, and drops the entry
/// first (field order). Entries are never removed from a memtable, so the node stays valid;
/// the guard is the `'static` unprotected one.
fn detach(entry: Entry<'_, '_, MemEntry, ()>) -> DetachedEntry {
    // SAFETY: see above; `Entry` has the same layout for every lifetime.
    DetachedEntry(unsafe {
        std::mem::transmute::<Entry<'_, '_, MemEntry, ()>, Entry<'static, 'static, MemEntry, ()>>(
            entry,
        )
    })
}

impl InternalIterator for MemtableIter {
    fn valid(&self) -> bool {
        self.current.is_some()
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let search = SearchKey::new(target);
        let bound = Bound::Included(search.entry());
        let found = self
            .memtable
            .list
            .lower_bound(bound, unpinned())
            .map(detach);
        self.set(found);
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        let search = SearchKey::new(target);
        let bound = Bound::Included(search.entry());
        let found = self
            .memtable
            .list
            .upper_bound(bound, unpinned())
            .map(detach);
        self.set(found);
        Ok(())
    }

    fn seek_to_first(&mut self) -> Result<()> {
        let found = self.memtable.list.front(unpinned()).map(detach);
        self.set(found);
        Ok(())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        let found = self.memtable.list.back(unpinned()).map(detach);
        self.set(found);
        Ok(())
    }

    fn next(&mut self) -> Result<()> {
        let found = self.current.as_ref().and_then(|e| e.0.next()).map(detach);
        self.set(found);
        Ok(())
    }

    fn prev(&mut self) -> Result<()> {
        let found = self.current.as_ref().and_then(|e| e.0.prev()).map(detach);
        self.set(found);
        Ok(())
    }

    fn key(&self) -> &[u8] {
        assert!(self.current.is_some(), "key() on a valid iterator");
        &self.key
    }

    fn value(&self) -> &[u8] {
        let entry = self.current.as_ref().expect("value() on a valid iterator");
        // SAFETY: the entry is one of the memtable's.
        unsafe { entry.0.key().value() }
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
        mem.insert_batch(&batch.view());
    }

    #[test]
    fn get_sees_the_newest_visible_version() {
        let ks = Keyspace { id: 0 };
        let mem = Memtable::new(1, 1 << 20);
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
        let mem = Memtable::new(1, 1 << 20);
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
        let mem = Arc::new(Memtable::new(1, 1 << 20));
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

    /// Readers running beside the inserter see, at any published sequence (and at older ones,
    /// as snapshots do), exactly the newest version at or below it: the point index's answers
    /// and its fallback to the skiplist agree with the history.
    #[test]
    fn concurrent_reads_see_exactly_the_versions_of_their_sequence() {
        const KEYS: u64 = 97;
        const WRITES: u64 = 20_000;
        let ks = Keyspace { id: 3 };
        // Long keys for odd numbers, so that comparisons past the inline head are exercised.
        let key_of = |k: u64| {
            if k.is_multiple_of(2) {
                format!("k{k}").into_bytes()
            } else {
                format!("a-key-longer-than-the-inline-head-{k}").into_bytes()
            }
        };
        let mem = Memtable::new(1, 64 << 10);
        let visible = AtomicU64::new(0);
        std::thread::scope(|scope| {
            for reader in 0..2u64 {
                let (mem, visible) = (&mem, &visible);
                scope.spawn(move || {
                    let mut state = reader + 1;
                    while visible.load(Ordering::Acquire) < WRITES {
                        state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                        let latest = visible.load(Ordering::Acquire);
                        let read = if state.is_multiple_of(3) {
                            latest / 2
                        } else {
                            latest
                        };
                        let k = (state >> 33) % KEYS;
                        // Write `s` (1-based) puts key `s % KEYS`, and every seventh deletes it.
                        let newest = (1..=read).rev().find(|s| s % KEYS == k);
                        let expected = match newest {
                            None => Lookup::Absent,
                            Some(s) if s.is_multiple_of(7) => Lookup::Deleted,
                            Some(s) => Lookup::Value(s.to_le_bytes().to_vec()),
                        };
                        let got = mem.get(&LookupKey::new(ks.id, &key_of(k), read));
                        assert_eq!(got, expected, "key {k} at {read} (latest {latest})");
                    }
                });
            }
            for s in 1..=WRITES {
                apply(&mem, s, |b| {
                    if s.is_multiple_of(7) {
                        b.delete(ks, &key_of(s % KEYS));
                    } else {
                        b.put(ks, &key_of(s % KEYS), &s.to_le_bytes());
                    }
                });
                visible.store(s, Ordering::Release);
            }
        });
    }
}
