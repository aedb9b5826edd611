//! [`MemEntry`]: the skiplist's key. It keeps inline the keyspace, the first [`HEAD_BYTES`]
//! bytes of the user key, its length and the trailer, which decide most comparisons, and points
//! at the rest in the memtable's arena: the user key's bytes past the inline head (its *tail*,
//! usually empty), then the value as a varint length and bytes. Nothing is stored twice, so an
//! entry of a small key costs its skiplist node and the value's bytes, which is what bounds how
//! many entries a memtable of a given size holds (and so how often it is flushed).

use std::cmp::Ordering;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::AtomicPtr;

use crate::SequenceNumber;
use crate::key::{self, ValueKind};

/// Bytes of the user key (after the keyspace prefix) kept inline in [`MemEntry::head`].
const HEAD_BYTES: usize = 16;
/// Bytes of a user key (keyspace prefix included) decided by the inline fields alone.
pub(super) const INLINE_BYTES: usize = key::KEYSPACE_PREFIX_LEN + HEAD_BYTES;

/// A key of the skiplist: an entry of a memtable, or a search key.
///
/// Ordering the inline fields `(keyspace, head)` agrees with ordering the keys whenever they
/// differ; only two user keys longer than the inline part that share it compare their tails
/// through the pointer.
pub(crate) struct MemEntry {
    /// The [`HEAD_BYTES`] user-key bytes after the keyspace, big-endian, zero-padded.
    /// (Two `u64`s rather than a `u128`, whose 16-byte alignment would pad every node.)
    head: [u64; 2],
    /// The keyspace id (the first four bytes of the user key, big-endian).
    keyspace: u32,
    /// Length of the user key (keyspace prefix included).
    user_len: u32,
    trailer: u64,
    /// The user key's bytes past [`INLINE_BYTES`] (`user_len - INLINE_BYTES` of them, or
    /// none), followed, for an entry of a memtable, by the value: varint length and bytes.
    rest: NonNull<u8>,
    /// The point index's link to the next entry of the same bucket (see `point_index`).
    pub(super) next: AtomicPtr<MemEntry>,
}

// SAFETY: the bytes `rest` points at are never written after the entry is made, and they live
// as long as the entry may be used: an entry of a memtable points into the memtable's arena,
// which lives as long as the skiplist holding the entry; a search key (`SearchKey`,
// `LookupKey`) borrows or owns its buffer. Sharing an entry only shares reads of those bytes.
unsafe impl Send for MemEntry {}
// SAFETY: as above; the only mutable field, `next`, is atomic.
unsafe impl Sync for MemEntry {}

/// Bytes of a user key of `user_len` bytes stored past the inline head.
#[inline]
pub(super) fn tail_len(user_len: usize) -> usize {
    user_len.saturating_sub(INLINE_BYTES)
}

impl MemEntry {
    /// An entry for `user_key` with `trailer`, whose tail (and value, for an entry of a
    /// memtable) start at `rest`.
    ///
    /// # Safety
    /// `rest` must point at `tail_len(user_key.len())` readable bytes equal to the user key's
    /// bytes past [`INLINE_BYTES`] (for an entry of a memtable, followed by the value's varint
    /// length and bytes), which outlive every use of the entry and never change.
    pub(super) unsafe fn new(user_key: &[u8], trailer: u64, rest: NonNull<u8>) -> Self {
        let (keyspace, head) = head_of(user_key);
        Self {
            head,
            keyspace,
            user_len: u32::try_from(user_key.len()).expect("keys are shorter than 4 GiB"),
            trailer,
            rest,
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The user key's bytes past the inline head.
    #[inline]
    fn tail(&self) -> &[u8] {
        // SAFETY: `rest` points at the tail, valid while `self` is (see `new`).
        unsafe { std::slice::from_raw_parts(self.rest.as_ptr(), tail_len(self.user_len as usize)) }
    }

    /// Appends the user key (keyspace prefix included) to `buf`.
    pub(crate) fn append_user_key(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.keyspace.to_be_bytes());
        let in_head = (self.user_len as usize - key::KEYSPACE_PREFIX_LEN).min(HEAD_BYTES);
        let mut head = [0u8; HEAD_BYTES];
        head[..8].copy_from_slice(&self.head[0].to_be_bytes());
        head[8..].copy_from_slice(&self.head[1].to_be_bytes());
        buf.extend_from_slice(&head[..in_head]);
        buf.extend_from_slice(self.tail());
    }

    /// Replaces the content of `buf` with the internal key (user key, then trailer).
    pub(crate) fn write_internal_key(&self, buf: &mut Vec<u8>) {
        buf.clear();
        self.append_user_key(buf);
        buf.extend_from_slice(&self.trailer.to_le_bytes());
    }

    /// The value.
    ///
    /// # Safety
    /// `self` must be an entry of a memtable (its tail is followed by the value), not a
    /// search key.
    #[inline]
    pub(crate) unsafe fn value(&self) -> &[u8] {
        // SAFETY: an entry of a memtable has the value's varint length right after its tail,
        // then the value's bytes (the caller's contract and `new`'s); the varint is read one
        // byte at a time, so no byte past its end is touched.
        unsafe {
            let mut at = self.rest.as_ptr().add(tail_len(self.user_len as usize));
            let mut len = 0usize;
            let mut shift = 0;
            loop {
                let byte = *at;
                at = at.add(1);
                len |= usize::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    break;
                }
                shift += 7;
            }
            std::slice::from_raw_parts(at, len)
        }
    }

    #[inline]
    pub(crate) fn sequence(&self) -> SequenceNumber {
        self.trailer >> 8
    }

    #[inline]
    pub(crate) fn kind(&self) -> Option<ValueKind> {
        ValueKind::from_u8(self.trailer as u8)
    }

    /// Whether both have the same user key; decided inline for keys of up to
    /// [`INLINE_BYTES`] bytes.
    #[inline]
    pub(crate) fn same_user_key(&self, other: &MemEntry) -> bool {
        self.keyspace == other.keyspace
            && self.head == other.head
            && self.user_len == other.user_len
            && (self.user_len as usize <= INLINE_BYTES || self.tail() == other.tail())
    }
}

/// The keyspace id and the next [`HEAD_BYTES`] bytes of a user key, as numbers.
#[inline]
fn head_of(user_key: &[u8]) -> (u32, [u64; 2]) {
    let (prefix, rest) = user_key.split_at(key::KEYSPACE_PREFIX_LEN);
    let mut bytes = [0u8; HEAD_BYTES];
    let n = rest.len().min(HEAD_BYTES);
    bytes[..n].copy_from_slice(&rest[..n]);
    (
        u32::from_be_bytes(prefix.try_into().expect("4-byte keyspace prefix")),
        [
            u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
            u64::from_be_bytes(bytes[8..].try_into().expect("8 bytes")),
        ],
    )
}

impl PartialEq for MemEntry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for MemEntry {}
impl PartialOrd for MemEntry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for MemEntry {
    /// Internal-key order, decided inline unless two user keys longer than the head share it.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.keyspace, self.head).cmp(&(other.keyspace, other.head)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        let user = if self.user_len.min(other.user_len) as usize <= INLINE_BYTES {
            // Equal heads and one key fits in its head: the shorter key is a prefix of the
            // longer (zero padding matches zero bytes), so length decides.
            self.user_len.cmp(&other.user_len)
        } else {
            // Equal up to the tails, which hold the rest of each key.
            self.tail().cmp(other.tail())
        };
        user.then(other.trailer.cmp(&self.trailer))
    }
}

/// A search key borrowing an internal key.
pub(crate) struct SearchKey<'a> {
    entry: MemEntry,
    _key: PhantomData<&'a [u8]>,
}

impl<'a> SearchKey<'a> {
    /// The search key for internal key `ikey` (at least `TRAILER_LEN` bytes, and a keyspace
    /// prefix before them).
    pub(crate) fn new(ikey: &'a [u8]) -> Self {
        let user_key = key::user_key(ikey);
        Self {
            // SAFETY: the tail is in `ikey`, borrowed for `'a`, as long as the entry lives.
            entry: unsafe { MemEntry::new(user_key, key::trailer_of(ikey), tail_of(user_key)) },
            _key: PhantomData,
        }
    }

    pub(crate) fn entry(&self) -> &MemEntry {
        &self.entry
    }
}

/// Where the tail of `user_key` starts (its end, if it has none).
pub(super) fn tail_of(user_key: &[u8]) -> NonNull<u8> {
    NonNull::from(&user_key[INLINE_BYTES.min(user_key.len())..]).cast()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_comparison_agrees_with_internal_key_order() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let keys: Vec<Vec<u8>> = (0..400)
            .map(|_| {
                // Short keys over a tiny alphabet (with zeros) to make shared heads common.
                let len = next(24) as usize;
                let user_key: Vec<u8> = [0, 0, 0, next(2) as u8]
                    .into_iter()
                    .chain((0..len).map(|_| [0u8, 1, 0xff][next(3) as usize]))
                    .collect();
                key::internal_key(&user_key, key::trailer(next(4), ValueKind::Put))
            })
            .collect();
        let entries: Vec<SearchKey<'_>> = keys.iter().map(|k| SearchKey::new(k)).collect();
        let mut rebuilt = Vec::new();
        for (a, a_key) in entries.iter().zip(&keys) {
            a.entry().write_internal_key(&mut rebuilt);
            assert_eq!(&rebuilt, a_key, "the entry holds its whole key");
            for (b, b_key) in entries.iter().zip(&keys) {
                let (a, b) = (a.entry(), b.entry());
                assert_eq!(
                    a.cmp(b),
                    key::compare_internal(a_key, b_key),
                    "{a_key:?} vs {b_key:?}"
                );
                assert_eq!(
                    a.same_user_key(b),
                    key::user_key(a_key) == key::user_key(b_key),
                    "{a_key:?} vs {b_key:?}"
                );
            }
        }
    }
}
