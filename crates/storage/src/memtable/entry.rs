//! [`MemEntry`]: the skiplist's key. It points at an internal key (and, for entries of a
//! memtable, the value after it) in the memtable's arena, and keeps inline what decides most
//! comparisons, so that a search rarely follows the pointer.

use std::cmp::Ordering;
use std::marker::PhantomData;
use std::ptr::{self, NonNull};
use std::sync::atomic::AtomicPtr;

use crate::SequenceNumber;
use crate::key::{self, ValueKind};

/// Bytes of the user key (after the keyspace prefix) kept inline in [`MemEntry::head`].
const HEAD_BYTES: usize = 16;

/// A key of the skiplist: an entry of a memtable, or a search key.
///
/// Ordering the inline fields `(keyspace, head)` agrees with ordering the keys whenever they
/// differ; only two user keys longer than the inline part that share it are compared through
/// the pointer.
pub(crate) struct MemEntry {
    /// The keyspace id (the first four bytes of the user key, big-endian).
    keyspace: u32,
    /// Length of the user key (keyspace prefix included).
    user_len: u32,
    /// The [`HEAD_BYTES`] user-key bytes after the keyspace, big-endian, zero-padded.
    /// (Two `u64`s rather than a `u128`, whose 16-byte alignment would pad every node.)
    head: [u64; 2],
    trailer: u64,
    /// The internal key (`user_len + TRAILER_LEN` bytes), followed by `value_len` bytes of
    /// value for an entry of a memtable.
    key: NonNull<u8>,
    value_len: u32,
    /// The point index's link to the next entry of the same bucket (see `point_index`).
    pub(super) next: AtomicPtr<MemEntry>,
}

// SAFETY: the bytes `key` points at are never written after the entry is made, and they live
// as long as the entry may be used: an entry of a memtable points into the memtable's arena,
// which lives as long as the skiplist holding the entry; a search key (`SearchKey`,
// `LookupKey`) borrows or owns its buffer. Sharing an entry only shares reads of those bytes.
unsafe impl Send for MemEntry {}
// SAFETY: as above; the only mutable field, `next`, is atomic.
unsafe impl Sync for MemEntry {}

impl MemEntry {
    /// An entry for the internal key and value starting at `key` (`user_key_len + 8 +
    /// value_len` bytes, which must stay valid and unchanged while the entry is used).
    ///
    /// # Safety
    /// `key` must point at `user_key.len() + TRAILER_LEN + value_len` readable bytes holding
    /// `user_key`, the trailer and the value, which outlive every use of the entry.
    pub(super) unsafe fn new(
        user_key: &[u8],
        trailer: u64,
        key: NonNull<u8>,
        value_len: usize,
    ) -> Self {
        let (keyspace, head) = head_of(user_key);
        Self {
            keyspace,
            user_len: u32::try_from(user_key.len()).expect("keys are shorter than 4 GiB"),
            head,
            trailer,
            key,
            value_len: u32::try_from(value_len).expect("values are shorter than 4 GiB"),
            next: AtomicPtr::new(ptr::null_mut()),
        }
    }

    /// The internal key.
    #[inline]
    pub(crate) fn key(&self) -> &[u8] {
        // SAFETY: `key` points at the internal key, valid while `self` is (see `new`).
        unsafe {
            std::slice::from_raw_parts(self.key.as_ptr(), self.user_len as usize + key::TRAILER_LEN)
        }
    }

    /// The user key (keyspace prefix included).
    #[inline]
    pub(crate) fn user_key(&self) -> &[u8] {
        // SAFETY: as in `key`.
        unsafe { std::slice::from_raw_parts(self.key.as_ptr(), self.user_len as usize) }
    }

    /// The value (empty for a search key).
    #[inline]
    pub(crate) fn value(&self) -> &[u8] {
        let at = self.user_len as usize + key::TRAILER_LEN;
        // SAFETY: an entry of a memtable has its value right after its key (see `new`); a
        // search key has `value_len` 0.
        unsafe { std::slice::from_raw_parts(self.key.as_ptr().add(at), self.value_len as usize) }
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
    /// `4 + HEAD_BYTES` bytes.
    #[inline]
    pub(crate) fn same_user_key(&self, other: &MemEntry) -> bool {
        self.keyspace == other.keyspace
            && self.head == other.head
            && self.user_len == other.user_len
            && (self.user_len as usize <= key::KEYSPACE_PREFIX_LEN + HEAD_BYTES
                || self.user_key() == other.user_key())
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
        // SAFETY: `ikey` holds the user key and trailer and is borrowed for `'a`, as long as
        // the entry lives; the value is empty.
        let entry = unsafe {
            MemEntry::new(
                user_key,
                key::trailer_of(ikey),
                NonNull::from(ikey).cast(),
                0,
            )
        };
        Self {
            entry,
            _key: PhantomData,
        }
    }

    pub(crate) fn entry(&self) -> &MemEntry {
        &self.entry
    }
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
        for a in &entries {
            for b in &entries {
                let (a, b) = (a.entry(), b.entry());
                assert_eq!(
                    a.cmp(b),
                    key::compare_internal(a.key(), b.key()),
                    "{:?} vs {:?}",
                    a.key(),
                    b.key()
                );
                assert_eq!(
                    a.same_user_key(b),
                    a.user_key() == b.user_key(),
                    "{:?} vs {:?}",
                    a.key(),
                    b.key()
                );
            }
        }
    }
}
