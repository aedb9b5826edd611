//! The fixed parts of a table file: block handles, block trailers, properties and the footer.
//!
//! Every block on disk is `contents | type: u8 | crc: u32 LE`, with `type` 0 (raw) or 1 (LZ4,
//! contents = uncompressed length as u32 LE + LZ4 block) and `crc` the masked CRC32C of
//! `contents ++ type`. The footer, the last 80 bytes of the file, locates the other blocks.

use crate::SequenceNumber;
use crate::coding::{Reader, masked_crc, put_varint64};
use crate::error::{Error, Result};
use crate::options::Compression;

/// Bytes after each block's contents: type and CRC.
pub(crate) const BLOCK_TRAILER_LEN: usize = 5;
/// Bytes of the footer.
pub(crate) const FOOTER_LEN: usize = 80;
/// Identifies a Ferrodyn table ("FDYNSST1" read as little-endian).
pub(crate) const TABLE_MAGIC: u64 = u64::from_le_bytes(*b"FDYNSST1");
/// The version of the table format this code writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;

const TYPE_RAW: u8 = 0;
const TYPE_LZ4: u8 = 1;

/// Where a block lives in its file: offset and size of its contents (trailer excluded).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BlockHandle {
    pub(crate) offset: u64,
    pub(crate) size: u64,
}

impl BlockHandle {
    /// Appends the handle as two varints (index block values).
    pub(crate) fn encode_varint(&self, buf: &mut Vec<u8>) {
        put_varint64(buf, self.offset);
        put_varint64(buf, self.size);
    }

    /// Decodes a varint-encoded handle.
    pub(crate) fn decode_varint(input: &[u8]) -> Option<Self> {
        let mut r = Reader::new(input);
        let offset = r.varint64()?;
        let size = r.varint64()?;
        r.is_empty().then_some(Self { offset, size })
    }
}

/// Frames a block for writing: compresses if asked and worthwhile, appends type and CRC.
/// Returns the framed bytes and the size of the contents.
pub(crate) fn frame_block(raw: &[u8], compression: Compression, out: &mut Vec<u8>) -> u64 {
    out.clear();
    let mut kind = TYPE_RAW;
    if compression == Compression::Lz4 {
        let compressed = lz4_flex::block::compress_prepend_size(raw);
        // Keep LZ4 only if it saves at least 1/8: decompressing costs time on every read.
        if compressed.len() < raw.len() - raw.len() / 8 {
            out.extend_from_slice(&compressed);
            kind = TYPE_LZ4;
        }
    }
    if kind == TYPE_RAW {
        out.extend_from_slice(raw);
    }
    let size = out.len() as u64;
    out.push(kind);
    let crc = masked_crc(&[out.as_slice()]);
    out.extend_from_slice(&crc.to_le_bytes());
    size
}

/// Checks and unframes a block read with its trailer; returns the raw contents.
pub(crate) fn unframe_block(mut framed: Vec<u8>, path: &str, offset: u64) -> Result<Vec<u8>> {
    let bad = |detail: String| Error::Corruption {
        path: path.into(),
        detail,
    };
    if framed.len() < BLOCK_TRAILER_LEN {
        return Err(bad(format!("block at offset {offset} is truncated")));
    }
    let n = framed.len() - 4;
    let stored = u32::from_le_bytes(framed[n..].try_into().expect("4 bytes"));
    if masked_crc(&[&framed[..n]]) != stored {
        return Err(bad(format!("block at offset {offset} fails its checksum")));
    }
    let kind = framed[n - 1];
    framed.truncate(n - 1);
    match kind {
        TYPE_RAW => Ok(framed),
        TYPE_LZ4 => lz4_flex::block::decompress_size_prepended(&framed)
            .map_err(|e| bad(format!("block at offset {offset} does not decompress: {e}"))),
        other => Err(bad(format!(
            "block at offset {offset} has unknown type {other}"
        ))),
    }
}

/// Facts about a table's contents, stored in its properties block.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Properties {
    /// Point entries (puts and deletes).
    pub(crate) entries: u64,
    /// Point deletions among them.
    pub(crate) deletions: u64,
    /// Range tombstones (one per fragment and sequence).
    pub(crate) range_deletions: u64,
    /// Smallest and largest sequence number of any entry or tombstone.
    pub(crate) smallest_sequence: SequenceNumber,
    pub(crate) largest_sequence: SequenceNumber,
    /// Bytes of keys and values before prefix compression.
    pub(crate) raw_key_bytes: u64,
    pub(crate) raw_value_bytes: u64,
    /// Number of data blocks.
    pub(crate) data_blocks: u64,
}

const PROPERTIES_VERSION: u8 = 1;

impl Properties {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut buf = vec![PROPERTIES_VERSION];
        for v in [
            self.entries,
            self.deletions,
            self.range_deletions,
            self.smallest_sequence,
            self.largest_sequence,
            self.raw_key_bytes,
            self.raw_value_bytes,
            self.data_blocks,
        ] {
            put_varint64(&mut buf, v);
        }
        buf
    }

    pub(crate) fn decode(input: &[u8]) -> Option<Self> {
        let mut r = Reader::new(input);
        if r.u8()? != PROPERTIES_VERSION {
            return None;
        }
        let p = Self {
            entries: r.varint64()?,
            deletions: r.varint64()?,
            range_deletions: r.varint64()?,
            smallest_sequence: r.varint64()?,
            largest_sequence: r.varint64()?,
            raw_key_bytes: r.varint64()?,
            raw_value_bytes: r.varint64()?,
            data_blocks: r.varint64()?,
        };
        r.is_empty().then_some(p)
    }
}

/// The last bytes of a table: handles of the metadata blocks, format version and magic.
///
/// `filter | range_deletions | properties | index` (each `offset: u64 LE, size: u64 LE`),
/// `format_version: u32 LE`, `crc: u32 LE` (masked CRC32C of the preceding 68 bytes),
/// `magic: u64 LE`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Footer {
    pub(crate) filter: BlockHandle,
    pub(crate) range_deletions: BlockHandle,
    pub(crate) properties: BlockHandle,
    pub(crate) index: BlockHandle,
}

impl Footer {
    pub(crate) fn encode(&self) -> [u8; FOOTER_LEN] {
        let mut buf = Vec::with_capacity(FOOTER_LEN);
        for h in [
            self.filter,
            self.range_deletions,
            self.properties,
            self.index,
        ] {
            buf.extend_from_slice(&h.offset.to_le_bytes());
            buf.extend_from_slice(&h.size.to_le_bytes());
        }
        buf.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        let crc = masked_crc(&[buf.as_slice()]);
        buf.extend_from_slice(&crc.to_le_bytes());
        buf.extend_from_slice(&TABLE_MAGIC.to_le_bytes());
        buf.try_into().expect("footer is 80 bytes")
    }

    /// Decodes and checks a footer; `file_len` bounds every handle.
    pub(crate) fn decode(bytes: &[u8], file_len: u64) -> Result<Self, String> {
        if bytes.len() != FOOTER_LEN {
            return Err("file too short for a footer".to_owned());
        }
        let mut r = Reader::new(bytes);
        let mut handles = [BlockHandle::default(); 4];
        for h in &mut handles {
            *h = BlockHandle {
                offset: r.u64().expect("length checked"),
                size: r.u64().expect("length checked"),
            };
        }
        let version = r.u32().expect("length checked");
        let crc = r.u32().expect("length checked");
        let magic = r.u64().expect("length checked");
        if magic != TABLE_MAGIC {
            return Err("bad magic number: not a table file".to_owned());
        }
        if masked_crc(&[&bytes[..68]]) != crc {
            return Err("footer fails its checksum".to_owned());
        }
        if version != FORMAT_VERSION {
            return Err(format!("unsupported table format version {version}"));
        }
        let limit = file_len.saturating_sub(FOOTER_LEN as u64);
        for h in &handles {
            if h.size > 0
                && h.offset
                    .checked_add(h.size + BLOCK_TRAILER_LEN as u64)
                    .is_none_or(|end| end > limit)
            {
                return Err("footer handle points past the end of the file".to_owned());
            }
        }
        let [filter, range_deletions, properties, index] = handles;
        Ok(Self {
            filter,
            range_deletions,
            properties,
            index,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framed_blocks_round_trip_and_detect_damage() {
        let raw = b"abcabcabcabcabcabcabcabcabcabcabcabcabcabc".to_vec();
        for compression in [Compression::None, Compression::Lz4] {
            let mut framed = Vec::new();
            let size = frame_block(&raw, compression, &mut framed);
            assert_eq!(framed.len() as u64, size + BLOCK_TRAILER_LEN as u64);
            assert_eq!(unframe_block(framed.clone(), "t", 0).unwrap(), raw);
            for i in 0..framed.len() {
                let mut bad = framed.clone();
                bad[i] ^= 0x10;
                assert!(unframe_block(bad, "t", 0).is_err(), "flip at {i}");
            }
        }
        let mut framed = Vec::new();
        frame_block(b"xyz", Compression::Lz4, &mut framed);
        assert_eq!(framed[3], TYPE_RAW, "incompressible blocks are stored raw");
    }

    #[test]
    fn footer_round_trips_and_rejects_damage() {
        let f = Footer {
            filter: BlockHandle {
                offset: 10,
                size: 20,
            },
            range_deletions: BlockHandle {
                offset: 35,
                size: 0,
            },
            properties: BlockHandle {
                offset: 40,
                size: 5,
            },
            index: BlockHandle {
                offset: 50,
                size: 7,
            },
        };
        let bytes = f.encode();
        assert_eq!(Footer::decode(&bytes, 200).unwrap(), f);
        assert!(Footer::decode(&bytes, 100).is_err(), "handles past the end");
        for i in 0..FOOTER_LEN {
            let mut bad = bytes;
            bad[i] ^= 1;
            assert!(Footer::decode(&bad, 200).is_err(), "flip at {i}");
        }
    }

    #[test]
    fn properties_round_trip() {
        let p = Properties {
            entries: 5,
            deletions: 1,
            largest_sequence: 99,
            ..Properties::default()
        };
        assert_eq!(Properties::decode(&p.encode()), Some(p));
    }
}
