//! [`PointIndex`]: a hash index beside the skiplist from each user key to its newest entry, so
//! that a point read usually costs a hash and one or two cache misses instead of a skiplist
//! search (about twenty dependent cache misses in a memtable of a few hundred thousand keys).
//!
//! A fixed array of buckets, each a chain of entries linked through [`MemEntry::next`]; a
//! chain holds one entry per user key, the newest inserted. Only one thread inserts (the
//! memtable's inserter); readers walk chains without locks:
//! - a new user key is linked in at the head of its bucket, after its `next` is set;
//! - a newer version of a key takes the older one's place: it copies the older one's `next`
//!   and then replaces the one link that pointed at it.
//!
//! Entries are never unlinked otherwise, and every store of a link is a release that readers
//! load with acquire. So a reader that loaded the read sequence `r` (published after the
//! entries up to `r` were inserted) finds, for any key with a version at or below `r`, that
//! version or a newer one; it never sees an older one, and it never misses a key that had a
//! version at `r`. A reader whose answer is newer than its read sequence must search the
//! skiplist, which keeps every version.

use std::ptr;
use std::sync::atomic::{AtomicPtr, Ordering};

use super::entry::MemEntry;

/// Fewest and most buckets (powers of two).
const BUCKETS_MIN: usize = 16;
const BUCKETS_MAX: usize = 1 << 22;
/// Memtable bytes per bucket: with the ~250 bytes a small entry costs in a memtable, about one
/// key per bucket when the memtable is full.
const BYTES_PER_BUCKET: usize = 256;

/// User key → newest entry of a memtable.
pub(crate) struct PointIndex {
    buckets: Box<[AtomicPtr<MemEntry>]>,
    /// Right shift of a 64-bit hash that leaves the bucket number.
    shift: u32,
}

impl std::fmt::Debug for PointIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointIndex")
            .field("buckets", &self.buckets.len())
            .finish()
    }
}

impl PointIndex {
    /// An index sized for a memtable of up to `memtable_bytes` bytes (it works beyond that,
    /// with longer chains).
    pub(crate) fn for_memtable_bytes(memtable_bytes: usize) -> Self {
        let buckets = (memtable_bytes / BYTES_PER_BUCKET)
            .clamp(BUCKETS_MIN, BUCKETS_MAX)
            .next_power_of_two();
        Self {
            buckets: (0..buckets)
                .map(|_| AtomicPtr::new(ptr::null_mut()))
                .collect(),
            shift: 64 - buckets.trailing_zeros(),
        }
    }

    /// Bytes of memory the bucket array takes.
    pub(crate) fn memory_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.buckets)
    }

    #[inline]
    fn bucket(&self, hash: u64) -> &AtomicPtr<MemEntry> {
        // The top bits: the bloom filters use the low and high halves of the same hash, and
        // the top bits are as well mixed as any.
        &self.buckets[(hash >> self.shift) as usize]
    }

    /// Starts loading the bucket of `hash` into the cache, so that an [`PointIndex::insert`]
    /// issued after other work finds it there (buckets are hit at random: each is a miss).
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint to the processor; it never faults or reads memory
        // in a way the program can observe, whatever the address (here a valid one).
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(ptr::from_ref(self.bucket(hash)).cast::<i8>());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = hash;
    }

    /// Makes `entry` the newest entry of its user key, whose hash is `hash`, in place of
    /// `older`, the newest entry of that key inserted before (`None`: the key is new). The
    /// caller knows `older` from the skiplist (it is the entry right after `entry`), so a new
    /// key is linked without walking its chain, whose entries would each be a cache miss.
    ///
    /// # Safety
    /// Only one thread may insert at a time (readers may run concurrently); `entry` must stay
    /// at its address, valid, for as long as the index is used, and must be newer than every
    /// entry of its user key inserted before; `older` must be exactly the newest of those.
    pub(crate) unsafe fn insert(&self, entry: &MemEntry, older: Option<&MemEntry>, hash: u64) {
        let new = ptr::from_ref(entry).cast_mut();
        let bucket = self.bucket(hash);
        if let Some(older) = older {
            let target = ptr::from_ref(older).cast_mut();
            let mut link = bucket;
            loop {
                let current = link.load(Ordering::Acquire);
                if current == target {
                    entry
                        .next
                        .store(older.next.load(Ordering::Relaxed), Ordering::Relaxed);
                    link.store(new, Ordering::Release);
                    return;
                }
                // SAFETY: linked entries stay valid as long as the index (the caller's contract).
                match unsafe { current.as_ref() } {
                    Some(linked) => link = &linked.next,
                    None => {
                        debug_assert!(false, "the older entry of a key is in its bucket");
                        break;
                    }
                }
            }
        }
        // A new user key: at the head of the bucket.
        entry
            .next
            .store(bucket.load(Ordering::Relaxed), Ordering::Relaxed);
        bucket.store(new, Ordering::Release);
    }

    /// The newest entry inserted for the user key of `key`, whose hash is `hash`.
    #[inline]
    pub(crate) fn newest(&self, key: &MemEntry, hash: u64) -> Option<&MemEntry> {
        let mut current = self.bucket(hash).load(Ordering::Acquire);
        // SAFETY: linked entries stay valid as long as the index (the inserter's contract), and
        // were fully written before the release store that linked them.
        while let Some(entry) = unsafe { current.as_ref() } {
            if entry.same_user_key(key) {
                return Some(entry);
            }
            current = entry.next.load(Ordering::Acquire);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{self, ValueKind};
    use crate::memtable::entry::SearchKey;
    use crate::sstable::bloom;

    #[test]
    fn finds_the_newest_version_of_every_key_and_nothing_else() {
        // Few buckets, so chains are long and replacements happen in their middle.
        let index = PointIndex::for_memtable_bytes(0);
        let keys: Vec<Vec<u8>> = (0..3 * 64u64)
            .map(|i| {
                let user_key = format!("\0\0\0\x01key-{}", i % 64);
                key::internal_key(user_key.as_bytes(), key::trailer(i + 1, ValueKind::Put))
            })
            .collect();
        let entries: Vec<SearchKey<'_>> = keys.iter().map(|k| SearchKey::new(k)).collect();
        let hash = |e: &MemEntry| {
            let mut user_key = Vec::new();
            e.append_user_key(&mut user_key);
            bloom::hash(&user_key)
        };
        for (i, e) in entries.iter().enumerate() {
            let older = i.checked_sub(64).map(|o| entries[o].entry());
            // SAFETY: one inserter; `entries` outlives the index's use below; versions of a
            // key are inserted oldest first, and `older` is the previous one.
            unsafe { index.insert(e.entry(), older, hash(e.entry())) };
        }
        for e in &entries[2 * 64..] {
            let found = index.newest(e.entry(), hash(e.entry())).unwrap();
            assert!(std::ptr::eq(found, e.entry()), "the newest version");
        }
        let absent = key::internal_key(b"\0\0\0\x01key-64", u64::MAX);
        let absent = SearchKey::new(&absent);
        assert!(index.newest(absent.entry(), hash(absent.entry())).is_none());
    }
}
