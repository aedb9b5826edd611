//! [`WriteBatch`]: an atomic group of writes, kept as the operations' WAL encoding, so that a
//! write appends them without re-encoding.
//!
//! Encoding (see `docs/storage-format.md`), version 2, written by this code: a header
//! `sequence: varint, count: varint` (written by the WAL when the batch is logged, since the
//! sequence is known only then) followed by `count` operations, each `kind: u8, keyspace:
//! varint, key: varint length + bytes` and, for puts, `value: varint length + bytes`, for range
//! deletions, `end: varint length + bytes` (in the same keyspace). Operation `i` gets sequence
//! number `sequence + i`.
//!
//! Version 1, still read from logs written before: a 12-byte header `sequence: u64 LE, count:
//! u32 LE`, and operations whose keys (and range ends) are user keys with their 4-byte
//! keyspace prefix instead of a keyspace varint.

use crate::SequenceNumber;
use crate::coding::{Reader, put_length_prefixed, put_varint32, put_varint64};
use crate::db::Keyspace;
use crate::key::{KEYSPACE_PREFIX_LEN, ValueKind};

/// An atomic group of writes: after a crash either all of it is there or none.
#[derive(Debug, Clone, Default)]
pub struct WriteBatch {
    /// The operations, encoded (version 2).
    ops: Vec<u8>,
    count: u32,
    user_bytes: u64,
    /// The first sequence number, stamped by the write leader.
    sequence: SequenceNumber,
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
        self.push_op(ValueKind::RangeDelete, keyspace, start, Some(end));
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

    /// The operations in the order they were added, for a caller that ships a batch elsewhere
    /// (a replication log) and rebuilds it there.
    pub fn operations(&self) -> impl Iterator<Item = Operation<'_>> {
        self.view().ops().map(|op| {
            let op = op.expect("a batch built through its methods is well formed");
            let keyspace = Keyspace { id: op.keyspace };
            match op.kind {
                ValueKind::Put => Operation::Put {
                    keyspace,
                    key: op.key,
                    value: op.value,
                },
                ValueKind::Delete => Operation::Delete {
                    keyspace,
                    key: op.key,
                },
                ValueKind::RangeDelete => Operation::DeleteRange {
                    keyspace,
                    start: op.key,
                    end: op.value,
                },
            }
        })
    }

    fn push_op(&mut self, kind: ValueKind, keyspace: Keyspace, key: &[u8], second: Option<&[u8]>) {
        // One reservation per operation: growing by doubling would reallocate several times
        // for a typical single-put batch.
        let second_len = second.map_or(0, |s| s.len() + 5);
        self.ops.reserve(1 + 5 + 5 + key.len() + second_len);
        self.ops.push(kind as u8);
        put_varint32(&mut self.ops, keyspace.id);
        put_length_prefixed(&mut self.ops, key);
        if let Some(bytes) = second {
            put_length_prefixed(&mut self.ops, bytes);
        }
        self.count += 1;
    }

    /// Key and value bytes the caller wrote (for write amplification).
    pub(crate) fn user_bytes(&self) -> u64 {
        self.user_bytes
    }

    /// Stamps the first sequence number. The batch must not be empty.
    pub(crate) fn set_sequence(&mut self, sequence: SequenceNumber) {
        assert!(!self.is_empty(), "an empty batch is never written");
        self.sequence = sequence;
    }

    /// The sequence number of the last operation, once stamped.
    pub(crate) fn last_sequence(&self) -> SequenceNumber {
        self.sequence + u64::from(self.count) - 1
    }

    /// Appends the batch header (`sequence`, `count` as varints) to `buf`.
    pub(crate) fn encode_header(&self, buf: &mut Vec<u8>) {
        put_varint64(buf, self.sequence);
        put_varint32(buf, self.count);
    }

    /// The encoded operations (without the header).
    pub(crate) fn encoded_ops(&self) -> &[u8] {
        &self.ops
    }

    /// A view of the stamped batch.
    pub(crate) fn view(&self) -> BatchView<'_> {
        BatchView {
            sequence: self.sequence,
            count: self.count,
            body: &self.ops,
            version: BatchVersion::V2,
        }
    }
}

/// One operation of a [`WriteBatch`], as [`WriteBatch::operations`] returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation<'a> {
    /// `key = value`.
    Put {
        /// Its keyspace.
        keyspace: Keyspace,
        /// The key.
        key: &'a [u8],
        /// The value.
        value: &'a [u8],
    },
    /// Removes `key`.
    Delete {
        /// Its keyspace.
        keyspace: Keyspace,
        /// The key.
        key: &'a [u8],
    },
    /// Removes every key in `start..end`.
    DeleteRange {
        /// Its keyspace.
        keyspace: Keyspace,
        /// The first key removed.
        start: &'a [u8],
        /// The first key kept.
        end: &'a [u8],
    },
}

/// The encodings of a batch (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BatchVersion {
    /// Fixed-width header, keys with their keyspace prefix (logs written before version 2).
    V1,
    /// Varint header and keyspace ids.
    V2,
}

/// One operation of an encoded batch. For `RangeDelete`, `value` is the exclusive end key.
/// Keys are the caller's keys, without the keyspace prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchOp<'a> {
    pub(crate) kind: ValueKind,
    pub(crate) keyspace: u32,
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// A decoded view of an encoded batch (from the WAL or from a [`WriteBatch`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct BatchView<'a> {
    pub(crate) sequence: SequenceNumber,
    pub(crate) count: u32,
    body: &'a [u8],
    version: BatchVersion,
}

impl<'a> BatchView<'a> {
    /// Parses a logged batch (header included) and checks that exactly `count` well-formed
    /// operations follow. Returns a description of the problem if the encoding is bad.
    pub(crate) fn parse(encoded: &'a [u8], version: BatchVersion) -> Result<Self, String> {
        let mut r = Reader::new(encoded);
        let short = "batch shorter than its header";
        let (sequence, count) = match version {
            BatchVersion::V1 => (r.u64().ok_or(short)?, r.u32().ok_or(short)?),
            BatchVersion::V2 => {
                let sequence = r.varint64().ok_or(short)?;
                let count = r.varint64().ok_or(short)?;
                (
                    sequence,
                    u32::try_from(count).map_err(|_| "batch count too large")?,
                )
            }
        };
        let view = Self {
            sequence,
            count,
            body: r.remaining(),
            version,
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
            version: self.version,
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
    version: BatchVersion,
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
        let (keyspace, key) = match self.version {
            BatchVersion::V1 => {
                split_prefix(self.reader.length_prefixed().ok_or("truncated key")?)?
            }
            BatchVersion::V2 => {
                let keyspace = self.reader.varint64().ok_or("truncated keyspace")?;
                let keyspace = u32::try_from(keyspace).map_err(|_| "keyspace id too large")?;
                (
                    keyspace,
                    self.reader.length_prefixed().ok_or("truncated key")?,
                )
            }
        };
        let value = match kind {
            ValueKind::Delete => &[][..],
            ValueKind::Put => self.reader.length_prefixed().ok_or("truncated value")?,
            ValueKind::RangeDelete => {
                let end = self.reader.length_prefixed().ok_or("truncated range end")?;
                match self.version {
                    BatchVersion::V1 => {
                        let (end_keyspace, end) = split_prefix(end)?;
                        if end_keyspace != keyspace {
                            return Err("range deletion across keyspaces".to_owned());
                        }
                        end
                    }
                    BatchVersion::V2 => end,
                }
            }
        };
        Ok(BatchOp {
            kind,
            keyspace,
            key,
            value,
        })
    }
}

/// A version-1 user key split into its keyspace id and the caller's key.
fn split_prefix(user_key: &[u8]) -> Result<(u32, &[u8]), String> {
    if user_key.len() < KEYSPACE_PREFIX_LEN {
        return Err("key without keyspace prefix".to_owned());
    }
    let (prefix, key) = user_key.split_at(KEYSPACE_PREFIX_LEN);
    Ok((
        u32::from_be_bytes(prefix.try_into().expect("4-byte prefix")),
        key,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn logged(batch: &WriteBatch) -> Vec<u8> {
        let mut buf = Vec::new();
        batch.encode_header(&mut buf);
        buf.extend_from_slice(batch.encoded_ops());
        buf
    }

    #[test]
    fn batch_round_trips_through_its_encoding() {
        let ks = Keyspace { id: 7 };
        let mut batch = WriteBatch::new();
        batch.put(ks, b"k1", b"v1");
        batch.delete(ks, b"k2");
        batch.delete_range(ks, b"a", b"z");
        batch.set_sequence(100);
        assert_eq!(batch.len(), 3);
        let encoded = logged(&batch);
        let view = BatchView::parse(&encoded, BatchVersion::V2).unwrap();
        assert_eq!(view.sequence, 100);
        assert_eq!(view.last_sequence(), 102);
        let ops: Vec<_> = view.ops().map(Result::unwrap).collect();
        assert_eq!(
            ops,
            batch.view().ops().map(Result::unwrap).collect::<Vec<_>>()
        );
        assert_eq!((ops[0].kind, ops[0].keyspace), (ValueKind::Put, 7));
        assert_eq!((ops[0].key, ops[0].value), (&b"k1"[..], &b"v1"[..]));
        assert_eq!(ops[1].kind, ValueKind::Delete);
        assert_eq!((ops[2].key, ops[2].value), (&b"a"[..], &b"z"[..]));
        assert_eq!(batch.user_bytes(), 4 + 2 + 2);
        // A put of 16-byte keys and 100-byte values costs 5 bytes beyond them (and the header).
        let mut one = WriteBatch::new();
        one.put(ks, &[1; 16], &[2; 100]);
        assert_eq!(one.encoded_ops().len(), 116 + 4);
    }

    #[test]
    fn version_1_batches_of_earlier_logs_are_read() {
        let mut v1 = Vec::new();
        v1.extend_from_slice(&9u64.to_le_bytes());
        v1.extend_from_slice(&2u32.to_le_bytes());
        v1.extend_from_slice(&[1, 6, 0, 0, 0, 2, b'k', b'1', 2, b'v', b'1']);
        v1.extend_from_slice(&[2, 5, 0, 0, 0, 2, b'a', 5, 0, 0, 0, 2, b'z']);
        let view = BatchView::parse(&v1, BatchVersion::V1).unwrap();
        assert_eq!((view.sequence, view.count), (9, 2));
        let ops: Vec<_> = view.ops().map(Result::unwrap).collect();
        assert_eq!(
            (ops[0].keyspace, ops[0].key, ops[0].value),
            (2, &b"k1"[..], &b"v1"[..])
        );
        assert_eq!(
            (ops[1].kind, ops[1].key, ops[1].value),
            (ValueKind::RangeDelete, &b"a"[..], &b"z"[..])
        );
        let last = v1.len() - 2;
        v1[last] = 3; // the range's end in another keyspace
        assert!(BatchView::parse(&v1, BatchVersion::V1).is_err());
    }

    #[test]
    fn truncated_batches_are_rejected() {
        let mut batch = WriteBatch::new();
        batch.put(Keyspace { id: 1 }, b"key", b"value");
        batch.set_sequence(1);
        let enc = logged(&batch);
        for cut in 0..enc.len() {
            assert!(
                BatchView::parse(&enc[..cut], BatchVersion::V2).is_err(),
                "cut at {cut}"
            );
        }
    }
}
