//! Internal keys: how user keys, keyspaces, sequence numbers and operation kinds are ordered.
//!
//! Inside the engine a *user key* is the keyspace id (4 bytes, big-endian, so that a keyspace is a
//! contiguous key range) followed by the caller's key. An *internal key* is a user key followed by
//! an 8-byte little-endian trailer `sequence << 8 | kind`. Internal keys sort by user key
//! ascending, then trailer descending, so the newest version of a key comes first.

use std::cmp::Ordering;

use crate::SequenceNumber;

/// Bytes of the trailer appended to a user key.
pub(crate) const TRAILER_LEN: usize = 8;
/// Bytes of the keyspace prefix of a user key.
pub(crate) const KEYSPACE_PREFIX_LEN: usize = 4;
/// The largest sequence number a write may have (56 bits).
pub(crate) const MAX_SEQUENCE: SequenceNumber = (1 << 56) - 1;
/// A trailer larger than any real one: `(key, MAX_TRAILER)` sorts before every version of `key`.
pub(crate) const MAX_TRAILER: u64 = u64::MAX;

/// What an entry records about its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum ValueKind {
    /// The key was removed.
    Delete = 0,
    /// The key was set to the entry's value.
    Put = 1,
    /// Every key in `[key, value)` was removed (only in range-deletion blocks and batches).
    RangeDelete = 2,
}

impl ValueKind {
    pub(crate) fn from_u8(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Self::Delete),
            1 => Some(Self::Put),
            2 => Some(Self::RangeDelete),
            _ => None,
        }
    }
}

/// Packs a sequence number and kind into a trailer.
#[inline]
pub(crate) fn trailer(sequence: SequenceNumber, kind: ValueKind) -> u64 {
    debug_assert!(sequence <= MAX_SEQUENCE);
    (sequence << 8) | kind as u64
}

/// Appends the internal key `user_key ++ trailer` to `buf`.
#[inline]
pub(crate) fn append_internal_key(buf: &mut Vec<u8>, user_key: &[u8], trailer: u64) {
    buf.extend_from_slice(user_key);
    buf.extend_from_slice(&trailer.to_le_bytes());
}

/// A new internal key.
pub(crate) fn internal_key(user_key: &[u8], trailer: u64) -> Vec<u8> {
    let mut buf = Vec::with_capacity(user_key.len() + TRAILER_LEN);
    append_internal_key(&mut buf, user_key, trailer);
    buf
}

/// The user key of an internal key. The caller guarantees `ikey.len() >= TRAILER_LEN`.
#[inline]
pub(crate) fn user_key(ikey: &[u8]) -> &[u8] {
    &ikey[..ikey.len() - TRAILER_LEN]
}

/// The trailer of an internal key.
#[inline]
pub(crate) fn trailer_of(ikey: &[u8]) -> u64 {
    let at = ikey.len() - TRAILER_LEN;
    u64::from_le_bytes(ikey[at..].try_into().expect("8-byte trailer"))
}

/// The sequence number of an internal key.
#[inline]
pub(crate) fn sequence_of(ikey: &[u8]) -> SequenceNumber {
    trailer_of(ikey) >> 8
}

/// The kind of an internal key; `None` if the kind byte is unknown (corruption).
#[inline]
pub(crate) fn kind_of(ikey: &[u8]) -> Option<ValueKind> {
    ValueKind::from_u8(trailer_of(ikey) as u8)
}

/// Orders internal keys: user key ascending, then trailer (sequence) descending.
#[inline]
pub(crate) fn compare_internal(a: &[u8], b: &[u8]) -> Ordering {
    match user_key(a).cmp(user_key(b)) {
        Ordering::Equal => trailer_of(b).cmp(&trailer_of(a)),
        other => other,
    }
}

/// The user-key prefix of keyspace `id`.
#[inline]
pub(crate) fn keyspace_prefix(id: u32) -> [u8; KEYSPACE_PREFIX_LEN] {
    id.to_be_bytes()
}

/// Appends the user key of `key` in keyspace `id`.
#[inline]
pub(crate) fn append_user_key(buf: &mut Vec<u8>, id: u32, key: &[u8]) {
    buf.extend_from_slice(&keyspace_prefix(id));
    buf.extend_from_slice(key);
}

/// The user key of `key` in keyspace `id`.
pub(crate) fn make_user_key(id: u32, key: &[u8]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(KEYSPACE_PREFIX_LEN + key.len());
    append_user_key(&mut buf, id, key);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_versions_sort_first_and_user_keys_dominate() {
        let a5 = internal_key(b"a", trailer(5, ValueKind::Put));
        let a9 = internal_key(b"a", trailer(9, ValueKind::Delete));
        let ab1 = internal_key(b"ab", trailer(1, ValueKind::Put));
        assert_eq!(compare_internal(&a9, &a5), Ordering::Less);
        assert_eq!(compare_internal(&a5, &ab1), Ordering::Less);
        assert_eq!(
            compare_internal(&internal_key(b"a", MAX_TRAILER), &a9),
            Ordering::Less
        );
        assert_eq!(sequence_of(&a9), 9);
        assert_eq!(kind_of(&a9), Some(ValueKind::Delete));
        assert_eq!(user_key(&ab1), b"ab");
    }

    #[test]
    fn keyspaces_are_contiguous_ranges() {
        let k1 = make_user_key(1, b"\xff\xff");
        let k2 = make_user_key(2, b"");
        assert!(k1 < k2);
    }
}
