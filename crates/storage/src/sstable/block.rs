//! Blocks: sorted key-value entries with prefix-compressed keys and restart points.
//!
//! Entry: `shared: varint32 | unshared: varint32 | value_len: varint32 | key[shared..] | value`,
//! where `shared` bytes are taken from the previous key. Every `restart_interval` entries the key
//! is stored whole (`shared = 0`) and its offset is recorded; the block ends with the restart
//! offsets (`u32 LE` each) and their count (`u32 LE`). Binary search runs over the restart points,
//! then a short scan; stepping backwards rescans from the previous restart point.

use std::cmp::Ordering;
use std::sync::Arc;

use super::block_buffers;
use crate::coding::{fixed32_at, get_varint32, put_varint32};
use crate::error::{Error, Result};
use crate::iter::InternalIterator;
use crate::key::compare_internal;

/// Builds one block.
#[derive(Debug)]
pub(crate) struct BlockBuilder {
    buf: Vec<u8>,
    restarts: Vec<u32>,
    restart_interval: usize,
    counter: usize,
    last_key: Vec<u8>,
    entries: usize,
}

impl BlockBuilder {
    /// A builder storing a full key every `restart_interval` entries (at least 1).
    pub(crate) fn new(restart_interval: usize) -> Self {
        Self {
            buf: Vec::new(),
            restarts: vec![0],
            restart_interval: restart_interval.max(1),
            counter: 0,
            last_key: Vec::new(),
            entries: 0,
        }
    }

    /// Appends an entry; keys must be added in increasing internal-key order.
    pub(crate) fn add(&mut self, key: &[u8], value: &[u8]) {
        debug_assert!(
            self.entries == 0 || compare_internal(&self.last_key, key) == Ordering::Less,
            "keys added out of order"
        );
        let mut shared = 0;
        if self.counter < self.restart_interval {
            shared = self
                .last_key
                .iter()
                .zip(key)
                .take_while(|(a, b)| a == b)
                .count();
        } else {
            self.restarts.push(self.buf.len() as u32);
            self.counter = 0;
        }
        put_varint32(&mut self.buf, shared as u32);
        put_varint32(&mut self.buf, (key.len() - shared) as u32);
        put_varint32(&mut self.buf, value.len() as u32);
        self.buf.extend_from_slice(&key[shared..]);
        self.buf.extend_from_slice(value);
        self.last_key.truncate(shared);
        self.last_key.extend_from_slice(&key[shared..]);
        self.counter += 1;
        self.entries += 1;
    }

    /// Bytes the finished block will take.
    pub(crate) fn estimated_size(&self) -> usize {
        self.buf.len() + 4 * self.restarts.len() + 4
    }

    /// Whether no entry was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries == 0
    }

    /// The last key added.
    pub(crate) fn last_key(&self) -> &[u8] {
        &self.last_key
    }

    /// Returns the finished block's bytes and resets the builder.
    pub(crate) fn finish(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        for r in &self.restarts {
            out.extend_from_slice(&r.to_le_bytes());
        }
        out.extend_from_slice(&(self.restarts.len() as u32).to_le_bytes());
        self.restarts = vec![0];
        self.counter = 0;
        self.last_key.clear();
        self.entries = 0;
        out
    }
}

/// A parsed, immutable block.
#[derive(Debug)]
pub(crate) struct Block {
    // A `Vec`, not a boxed slice: the bytes come from a read buffer that is a few bytes larger,
    // and shrinking it would copy the block.
    data: Vec<u8>,
    restarts_offset: usize,
    num_restarts: usize,
    /// The table file this block came from (for error messages).
    file_number: u64,
}

impl Block {
    /// Checks the restart array of `data` and wraps it.
    pub(crate) fn new(data: Vec<u8>, file_number: u64) -> Result<Self> {
        let bad = |detail: &str| Error::Corruption {
            path: crate::db_files::table_file_name(file_number).into(),
            detail: detail.to_owned(),
        };
        if data.len() < 4 {
            return Err(bad("block shorter than its restart count"));
        }
        let num_restarts = fixed32_at(&data, data.len() - 4) as usize;
        let max = (data.len() - 4) / 4;
        if num_restarts == 0 || num_restarts > max {
            return Err(bad("block restart count out of range"));
        }
        let restarts_offset = data.len() - 4 - 4 * num_restarts;
        let block = Self {
            data,
            restarts_offset,
            num_restarts,
            file_number,
        };
        for i in 0..num_restarts {
            if block.restart_point(i) > restarts_offset {
                return Err(bad("block restart point out of range"));
            }
        }
        Ok(block)
    }

    /// Bytes held in memory (for the cache's accounting): the buffer's capacity.
    pub(crate) fn size(&self) -> usize {
        self.data.capacity()
    }

    #[inline]
    fn restart_point(&self, i: usize) -> usize {
        fixed32_at(&self.data, self.restarts_offset + 4 * i) as usize
    }

    fn corruption(&self, offset: usize) -> Error {
        Error::Corruption {
            path: crate::db_files::table_file_name(self.file_number).into(),
            detail: format!("bad block entry at block offset {offset}"),
        }
    }
}

impl Drop for Block {
    fn drop(&mut self) {
        // The next block read by this thread reuses the buffer.
        block_buffers::give_back(std::mem::take(&mut self.data));
    }
}

/// A cursor over a shared block.
#[derive(Debug)]
pub(crate) struct BlockIter {
    block: Arc<Block>,
    /// Offset of the current entry; `restarts_offset` when invalid.
    current: usize,
    /// Offset just past the current entry.
    next_offset: usize,
    /// Restart index of the region holding `current`.
    restart_index: usize,
    key: Vec<u8>,
    value: (usize, usize),
}

impl BlockIter {
    /// A cursor over `block`, positioned nowhere.
    pub(crate) fn new(block: Arc<Block>) -> Self {
        Self::with_buffer(block, Vec::new())
    }

    /// A cursor over `block` that reuses `key_buffer`'s allocation for its current key.
    pub(crate) fn with_buffer(block: Arc<Block>, mut key_buffer: Vec<u8>) -> Self {
        key_buffer.clear();
        let end = block.restarts_offset;
        Self {
            block,
            current: end,
            next_offset: end,
            restart_index: 0,
            key: key_buffer,
            value: (0, 0),
        }
    }

    /// Gives back the key buffer for reuse.
    pub(crate) fn into_buffer(self) -> Vec<u8> {
        self.key
    }

    fn invalidate(&mut self) {
        self.current = self.block.restarts_offset;
        self.next_offset = self.current;
    }

    /// Decodes the entry at `next_offset` on top of `key`. Returns false at the end.
    fn parse_next(&mut self) -> Result<bool> {
        let offset = self.next_offset;
        let end = self.block.restarts_offset;
        if offset >= end {
            self.invalidate();
            return Ok(false);
        }
        let data = &self.block.data[..end];
        let header = || -> Option<(usize, usize, usize, usize)> {
            let mut p = offset;
            let (shared, n) = get_varint32(&data[p..])?;
            p += n;
            let (unshared, n) = get_varint32(&data[p..])?;
            p += n;
            let (value_len, n) = get_varint32(&data[p..])?;
            p += n;
            Some((shared as usize, unshared as usize, value_len as usize, p))
        };
        let Some((shared, unshared, value_len, p)) = header() else {
            self.invalidate();
            return Err(self.block.corruption(offset));
        };
        if shared > self.key.len() || p + unshared + value_len > end {
            self.invalidate();
            return Err(self.block.corruption(offset));
        }
        self.key.truncate(shared);
        self.key.extend_from_slice(&data[p..p + unshared]);
        self.value = (p + unshared, p + unshared + value_len);
        self.current = offset;
        self.next_offset = p + unshared + value_len;
        while self.restart_index + 1 < self.block.num_restarts
            && self.block.restart_point(self.restart_index + 1) <= self.current
        {
            self.restart_index += 1;
        }
        Ok(true)
    }

    fn seek_to_restart(&mut self, index: usize) {
        self.key.clear();
        self.restart_index = index;
        self.next_offset = self.block.restart_point(index);
    }

    /// The full key stored at restart point `index`.
    fn restart_key(&self, index: usize) -> Result<&[u8]> {
        let data = &self.block.data[..self.block.restarts_offset];
        let offset = self.block.restart_point(index);
        let mut p = offset;
        let mut fields = [0usize; 3];
        for f in &mut fields {
            let (v, n) = get_varint32(&data[p.min(data.len())..])
                .ok_or_else(|| self.block.corruption(offset))?;
            *f = v as usize;
            p += n;
        }
        if fields[0] != 0 || p + fields[1] > data.len() {
            return Err(self.block.corruption(offset));
        }
        Ok(&data[p..p + fields[1]])
    }
}

impl InternalIterator for BlockIter {
    #[inline]
    fn valid(&self) -> bool {
        self.current < self.block.restarts_offset
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        // Last restart point whose key is < target.
        let (mut left, mut right) = (0, self.block.num_restarts - 1);
        while left < right {
            let mid = (left + right).div_ceil(2);
            if compare_internal(self.restart_key(mid)?, target) == Ordering::Less {
                left = mid;
            } else {
                right = mid - 1;
            }
        }
        self.seek_to_restart(left);
        while self.parse_next()? {
            if compare_internal(&self.key, target) != Ordering::Less {
                return Ok(());
            }
        }
        Ok(())
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        crate::iter::seek_for_prev_via_seek(self, target)
    }

    fn seek_to_first(&mut self) -> Result<()> {
        self.seek_to_restart(0);
        self.parse_next()?;
        Ok(())
    }

    fn seek_to_last(&mut self) -> Result<()> {
        self.seek_to_restart(self.block.num_restarts - 1);
        while self.parse_next()? && self.next_offset < self.block.restarts_offset {}
        Ok(())
    }

    #[inline]
    fn next(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        self.parse_next()?;
        Ok(())
    }

    fn prev(&mut self) -> Result<()> {
        debug_assert!(self.valid());
        let original = self.current;
        let mut index = self.restart_index;
        while self.block.restart_point(index) >= original {
            if index == 0 {
                self.invalidate();
                return Ok(());
            }
            index -= 1;
        }
        self.seek_to_restart(index);
        while self.parse_next()? && self.next_offset < original {}
        Ok(())
    }

    #[inline]
    fn key(&self) -> &[u8] {
        &self.key
    }

    #[inline]
    fn value(&self) -> &[u8] {
        &self.block.data[self.value.0..self.value.1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{ValueKind, internal_key, trailer};

    fn ikey(i: usize) -> Vec<u8> {
        internal_key(
            format!("key{i:05}").as_bytes(),
            trailer(i as u64 + 1, ValueKind::Put),
        )
    }

    fn build(n: usize, interval: usize) -> Arc<Block> {
        let mut b = BlockBuilder::new(interval);
        for i in 0..n {
            b.add(&ikey(i), format!("value{i}").as_bytes());
        }
        Arc::new(Block::new(b.finish(), 1).unwrap())
    }

    #[test]
    fn round_trip_both_directions() {
        for interval in [1, 2, 16] {
            let block = build(100, interval);
            let mut it = BlockIter::new(block);
            it.seek_to_first().unwrap();
            for i in 0..100 {
                assert_eq!(it.key(), ikey(i).as_slice());
                assert_eq!(it.value(), format!("value{i}").as_bytes());
                it.next().unwrap();
            }
            assert!(!it.valid());
            it.seek_to_last().unwrap();
            for i in (0..100).rev() {
                assert_eq!(it.key(), ikey(i).as_slice(), "interval {interval}");
                it.prev().unwrap();
            }
            assert!(!it.valid());
        }
    }

    #[test]
    fn seeks_land_on_restart_boundaries_and_between() {
        let block = build(50, 4);
        let mut it = BlockIter::new(block);
        for i in 0..50 {
            it.seek(&ikey(i)).unwrap();
            assert_eq!(it.key(), ikey(i).as_slice());
            it.seek_for_prev(&ikey(i)).unwrap();
            assert_eq!(it.key(), ikey(i).as_slice());
        }
        // Between keys: "key00003" with a lower sequence sorts after ikey(3).
        let between = internal_key(b"key00003", trailer(0, ValueKind::Delete));
        it.seek(&between).unwrap();
        assert_eq!(it.key(), ikey(4).as_slice());
        it.seek_for_prev(&between).unwrap();
        assert_eq!(it.key(), ikey(3).as_slice());
        it.seek(&internal_key(b"zzz", 0)).unwrap();
        assert!(!it.valid());
        it.seek_for_prev(&internal_key(b"a", 0)).unwrap();
        assert!(!it.valid());
    }

    #[test]
    fn malformed_blocks_are_rejected() {
        assert!(Block::new(vec![1, 0], 1).is_err());
        assert!(Block::new(vec![0, 0, 0, 0], 1).is_err());
        assert!(Block::new(vec![9, 0, 0, 0, 1, 0, 0, 0], 1).is_err());
        let mut data = build(10, 4).data.to_vec();
        data[1..4].copy_from_slice(&[0xff, 0xff, 0x7f]); // unshared length past the end
        let block = Arc::new(Block::new(data, 1).unwrap());
        let mut it = BlockIter::new(block);
        assert!(it.seek_to_first().is_err());
    }
}
