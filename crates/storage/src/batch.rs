//! [`WriteBatch`]: an atomic group of writes, kept in the exact encoding the WAL stores, so that
//! a write appends it without re-encoding.
//!
//! Encoding (see `docs/storage-format.md`): a 12-byte header `sequence: u64 LE, count: u32 LE`
//! followed by `count` operations, each `kind: u8, key: varint length + bytes` and, for puts,
//! `value: varint length + bytes`, for range deletions, `end: varint length + bytes`. Keys are
//! user keys (keyspace prefix included). Operation `i` gets sequence number `sequence + i`.

use crate::SequenceNumber;
use crate::coding::{Reader, put_length_prefixed};
use crate::db::Keyspace;
use crate::key::{ValueKind, append_user_key};

/// Bytes of the batch header (first sequence number and operation count).
pub(crate) const HEADER_LEN: usize = 12;

/// An atomic group of writes: after a crash either all of it is there or none.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    rep: Vec<u8>,
    count: u32,
    user_bytes: u64,
    scratch: Vec<u8>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, keyspace: Keyspace, key: &[u8], value: &[u8]) {
        self.push_op(ValueKind::Put, keyspace, key, Some(value));
        self.user_bytes += (key.len() + value.len()) as u64;
    }

    /// Removes `key`.
    pub fn delete(&mut self, keyspace: Keyspace, key: &[u8]) {
        self.push_op(ValueKind::Delete, keyspace, key, None);
        self.user_bytes += key.len() as u64;
    }

    /// Removes every key in `start..end` (end exclusive), in constant time and space. An empty
    /// or reversed range removes nothing.
    pub fn delete_range(&mut self, keyspace: Keyspace, start: &[u8], end: &[u8]) {
        self.scratch.clear();
        append_user_key(&mut self.scratch, keyspace.id, end);
        let end_key = std::mem::take(&mut self.scratch);
        self.push_op(ValueKind::RangeDelete, keyspace, start, Some(&end_key));
        self.scratch = end_key;
        self.user_bytes += (start.len() + end.len()) as u64;
    }

    /// Number of operations in the batch.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the batch holds no operations.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn push_op(&mut self, kind: ValueKind, keyspace: Keyspace, key: &[u8], second: Option<&[u8]>) {
        // One reservation per operation: growing by doubling from the 12-byte header would
        // reallocate several times for a typical single-put batch.
        let second_len = second.map_or(0, |s| s.len() + 10);
        let op_len = 1 + 10 + 4 + key.len() + second_len;
        if self.rep.is_empty() {
            // The header is written with the first operation, so an empty batch allocates
            // nothing and a one-operation batch allocates once.
            self.rep.reserve_exact(HEADER_LEN + op_len);
            self.rep.resize(HEADER_LEN, 0);
        } else {
            self.rep.reserve(op_len);
        }
        self.rep.push(kind as u8);
        crate::coding::put_varint64(&mut self.rep, (key.len() + 4) as u64);
        append_user_key(&mut self.rep, keyspace.id, key);
        if let Some(bytes) = second {
            put_length_prefixed(&mut self.rep, bytes);
        }
        self.count += 1;
        self.rep[8..12].copy_from_slice(&self.count.to_le_bytes());
    }

    /// Key and value bytes the caller wrote (for write amplification).
    pub(crate) fn user_bytes(&self) -> u64 {
        self.user_bytes
    }

    /// Stamps the first sequence number into the header. The batch must not be empty.
    pub(crate) fn set_sequence(&mut self, sequence: SequenceNumber) {
        assert!(!self.is_empty(), "an empty batch is never written");
        self.rep[..8].copy_from_slice(&sequence.to_le_bytes());
    }

    /// The sequence number of the last operation, once stamped.
    pub(crate) fn last_sequence(&self) -> SequenceNumber {
        let first = u64::from_le_bytes(self.rep[..8].try_into().expect("8-byte header field"));
        first + u64::from(self.count) - 1
    }

    /// The encoding, header included (empty for an empty batch).
    pub(crate) fn encoded(&self) -> &[u8] {
        &self.rep
    }
}

/// One operation of an encoded batch. For `RangeDelete`, `value` is the exclusive end key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchOp<'a> {
    pub(crate) kind: ValueKind,
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// A decoded view of an encoded batch (from the WAL or from a [`WriteBatch`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchView<'a> {
    pub(crate) sequence: SequenceNumber,
    pub(crate) count: u32,
    body: &'a [u8],
}

impl<'a> BatchView<'a> {
    /// A view of a batch built by [`WriteBatch`] in this process, whose encoding is known to be
    /// well formed.
    pub(crate) fn trusted(encoded: &'a [u8]) -> Self {
        let mut r = Reader::new(encoded);
        let sequence = r.u64().expect("a WriteBatch always has its header");
        let count = r.u32().expect("a WriteBatch always has its header");
        Self {
            sequence,
            count,
            body: r.remaining(),
        }
    }

    /// Parses the header and checks that exactly `count` well-formed operations follow.
    /// Returns a description of the problem if the encoding is bad.
    pub(crate) fn parse(encoded: &'a [u8]) -> Result<Self, String> {
        let mut r = Reader::new(encoded);
        let sequence = r.u64().ok_or("batch shorter than its header")?;
        let count = r.u32().ok_or("batch shorter than its header")?;
        let view = Self {
            sequence,
            count,
            body: r.remaining(),
        };
        let mut seen = 0u32;
        for op in view.ops() {
            op?;
            seen += 1;
        }
        if seen != count {
            return Err(format!(
                "batch header says {count} operations, found {seen}"
            ));
        }
        Ok(view)
    }

    /// The operations in order; each item is an error if the encoding is bad.
    pub(crate) fn ops(&self) -> BatchOps<'a> {
        BatchOps {
            reader: Reader::new(self.body),
            failed: false,
        }
    }

    /// The sequence number of the last operation.
    pub(crate) fn last_sequence(&self) -> SequenceNumber {
        self.sequence + u64::from(self.count).saturating_sub(1)
    }
}

/// Iterator over the operations of a [`BatchView`].
pub(crate) struct BatchOps<'a> {
    reader: Reader<'a>,
    failed: bool,
}

impl<'a> Iterator for BatchOps<'a> {
    type Item = Result<BatchOp<'a>, String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.is_empty() {
            return None;
        }
        let op = self.decode_one();
        if op.is_err() {
            self.failed = true;
        }
        Some(op)
    }
}

impl<'a> BatchOps<'a> {
    fn decode_one(&mut self) -> Result<BatchOp<'a>, String> {
        let kind_byte = self.reader.u8().ok_or("truncated operation")?;
        let kind = ValueKind::from_u8(kind_byte).ok_or(format!("unknown operation {kind_byte}"))?;
        let key = self.reader.length_prefixed().ok_or("truncated key")?;
        if key.len() < crate::key::KEYSPACE_PREFIX_LEN {
            return Err("key without keyspace prefix".to_owned());
        }
        let value = match kind {
            ValueKind::Delete => &[][..],
            ValueKind::Put | ValueKind::RangeDelete => {
                self.reader.length_prefixed().ok_or("truncated value")?
            }
        };
        Ok(BatchOp { kind, key, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_round_trips_through_its_encoding() {
        let ks = Keyspace { id: 7 };
        let mut batch = WriteBatch::new();
        batch.put(ks, b"k1", b"v1");
        batch.delete(ks, b"k2");
        batch.delete_range(ks, b"a", b"z");
        batch.set_sequence(100);
        assert_eq!(batch.len(), 3);
        let view = BatchView::parse(batch.encoded()).unwrap();
        assert_eq!(view.sequence, 100);
        assert_eq!(view.last_sequence(), 102);
        let ops: Vec<_> = view.ops().map(Result::unwrap).collect();
        assert_eq!(ops[0].kind, ValueKind::Put);
        assert_eq!(ops[0].key, b"\0\0\0\x07k1");
        assert_eq!(ops[0].value, b"v1");
        assert_eq!(ops[1].kind, ValueKind::Delete);
        assert_eq!(ops[2].value, b"\0\0\0\x07z");
        assert_eq!(batch.user_bytes(), 4 + 2 + 2);
    }

    #[test]
    fn truncated_batches_are_rejected() {
        let mut batch = WriteBatch::new();
        batch.put(Keyspace { id: 1 }, b"key", b"value");
        let enc = batch.encoded();
        for cut in 0..enc.len() {
            assert!(BatchView::parse(&enc[..cut]).is_err(), "cut at {cut}");
        }
    }
}
