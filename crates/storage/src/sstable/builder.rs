//! [`TableBuilder`]: writes a table from entries in internal-key order and tombstone fragments.

use std::cmp::Ordering;
use std::path::PathBuf;

use super::block::BlockBuilder;
use super::bloom;
use super::format::{BlockHandle, Footer, Properties, frame_block};
use crate::error::{Error, Result};
use crate::fs::WritableFile;
use crate::key::{self, MAX_TRAILER, ValueKind, compare_internal};
use crate::options::Compression;
use crate::range_tombstone::Fragment;

/// The settings a table is written with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableOptions {
    pub(crate) block_bytes: usize,
    pub(crate) restart_interval: usize,
    pub(crate) bloom_bits_per_key: u32,
    pub(crate) compression: Compression,
}

/// What a finished table holds: its size, key range and properties.
#[derive(Debug, Clone)]
pub(crate) struct TableSummary {
    pub(crate) file_bytes: u64,
    /// Smallest internal key (for a range tombstone start: `start @ (sequence, RangeDelete)`).
    pub(crate) smallest: Vec<u8>,
    /// Largest internal key (for a range tombstone end, exclusive: `end @ MAX_TRAILER`).
    pub(crate) largest: Vec<u8>,
    pub(crate) properties: Properties,
}

/// A table is sent towards the device every this many bytes while it is written, so that a
/// flush or compaction never leaves tens of MiB for its final sync (the log's syncs would wait
/// behind them: `docs/storage.md`, "Flush and compaction").
const WRITEBACK_BYTES: u64 = 1 << 20;

/// Writes one table file.
pub(crate) struct TableBuilder {
    file: Box<dyn WritableFile>,
    path: PathBuf,
    options: TableOptions,
    data: BlockBuilder,
    index: BlockBuilder,
    range_deletions: BlockBuilder,
    key_hashes: Vec<u64>,
    last_user_key: Vec<u8>,
    first_key: Option<Vec<u8>>,
    last_key: Vec<u8>,
    /// (first start, its newest sequence, last end) of the tombstone fragments.
    tombstone_bounds: Option<(Vec<u8>, u64, Vec<u8>)>,
    offset: u64,
    /// `offset` at the last [`WritableFile::start_writeback`].
    written_back: u64,
    properties: Properties,
    scratch: Vec<u8>,
}

impl TableBuilder {
    /// A builder writing to `file` (created empty at `path`).
    pub(crate) fn new(file: Box<dyn WritableFile>, path: PathBuf, options: TableOptions) -> Self {
        Self {
            file,
            path,
            options,
            data: BlockBuilder::new(options.restart_interval),
            index: BlockBuilder::new(1),
            range_deletions: BlockBuilder::new(1),
            key_hashes: Vec::new(),
            last_user_key: Vec::new(),
            first_key: None,
            last_key: Vec::new(),
            tombstone_bounds: None,
            offset: 0,
            written_back: 0,
            properties: Properties {
                smallest_sequence: u64::MAX,
                ..Properties::default()
            },
            scratch: Vec::new(),
        }
    }

    fn io(&self, context: &'static str, source: std::io::Error) -> Error {
        Error::Io {
            context,
            path: self.path.clone(),
            source,
        }
    }

    fn note_sequence(&mut self, sequence: u64) {
        self.properties.smallest_sequence = self.properties.smallest_sequence.min(sequence);
        self.properties.largest_sequence = self.properties.largest_sequence.max(sequence);
    }

    /// Adds a point entry; keys must strictly increase in internal-key order.
    pub(crate) fn add(&mut self, ikey: &[u8], value: &[u8]) -> Result<()> {
        debug_assert!(
            self.first_key.is_none() || compare_internal(&self.last_key, ikey) == Ordering::Less,
            "table entries out of order"
        );
        let user_key = key::user_key(ikey);
        if self.first_key.is_none() {
            self.first_key = Some(ikey.to_vec());
        }
        if self.key_hashes.is_empty() || user_key != self.last_user_key.as_slice() {
            self.key_hashes.push(bloom::hash(user_key));
            self.last_user_key.clear();
            self.last_user_key.extend_from_slice(user_key);
        }
        self.last_key.clear();
        self.last_key.extend_from_slice(ikey);
        self.note_sequence(key::sequence_of(ikey));
        self.properties.entries += 1;
        if key::kind_of(ikey) == Some(ValueKind::Delete) {
            self.properties.deletions += 1;
        }
        self.properties.raw_key_bytes += ikey.len() as u64;
        self.properties.raw_value_bytes += value.len() as u64;
        self.data.add(ikey, value);
        if self.data.estimated_size() >= self.options.block_bytes {
            self.flush_data_block()?;
        }
        Ok(())
    }

    /// Adds a range-tombstone fragment; fragments must come in key order without overlap.
    pub(crate) fn add_tombstone_fragment(&mut self, fragment: &Fragment) {
        for &sequence in &fragment.sequences {
            let ikey = key::internal_key(
                &fragment.start,
                key::trailer(sequence, ValueKind::RangeDelete),
            );
            self.range_deletions.add(&ikey, &fragment.end);
            self.note_sequence(sequence);
            self.properties.range_deletions += 1;
        }
        match &mut self.tombstone_bounds {
            None => {
                self.tombstone_bounds = Some((
                    fragment.start.clone(),
                    fragment.sequences[0],
                    fragment.end.clone(),
                ));
            }
            Some((_, _, end)) => *end = fragment.end.clone(),
        }
    }

    /// Whether nothing (no entry, no tombstone) was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.first_key.is_none() && self.tombstone_bounds.is_none()
    }

    /// Bytes written so far plus the pending data block.
    pub(crate) fn estimated_file_bytes(&self) -> u64 {
        self.offset + self.data.estimated_size() as u64
    }

    fn write_block(&mut self, raw: &[u8], compression: Compression) -> Result<BlockHandle> {
        let mut framed = std::mem::take(&mut self.scratch);
        let size = frame_block(raw, compression, &mut framed);
        let handle = BlockHandle {
            offset: self.offset,
            size,
        };
        let written = self.file.append(&framed);
        self.offset += framed.len() as u64;
        self.scratch = framed;
        written.map_err(|e| self.io("writing a table", e))?;
        if self.offset - self.written_back >= WRITEBACK_BYTES {
            self.written_back = self.offset;
            self.file
                .start_writeback()
                .map_err(|e| self.io("writing a table", e))?;
        }
        Ok(handle)
    }

    fn flush_data_block(&mut self) -> Result<()> {
        if self.data.is_empty() {
            return Ok(());
        }
        let last_key = self.data.last_key().to_vec();
        let raw = self.data.finish();
        let handle = self.write_block(&raw, self.options.compression)?;
        let mut value = Vec::with_capacity(20);
        handle.encode_varint(&mut value);
        self.index.add(&last_key, &value);
        self.properties.data_blocks += 1;
        Ok(())
    }

    /// Writes the metadata blocks and footer, syncs the file and returns what it holds.
    /// The table must not be empty.
    pub(crate) fn finish(mut self) -> Result<TableSummary> {
        assert!(!self.is_empty(), "an empty table is never written");
        self.flush_data_block()?;
        let mut footer = Footer::default();
        if self.options.bloom_bits_per_key > 0 && !self.key_hashes.is_empty() {
            let filter = bloom::build(&self.key_hashes, self.options.bloom_bits_per_key);
            footer.filter = self.write_block(&filter, Compression::None)?;
        }
        if self.properties.range_deletions > 0 {
            let raw = self.range_deletions.finish();
            footer.range_deletions = self.write_block(&raw, Compression::None)?;
        }
        if self.properties.smallest_sequence == u64::MAX {
            self.properties.smallest_sequence = 0;
        }
        footer.properties = self.write_block(&self.properties.encode(), Compression::None)?;
        let index = self.index.finish();
        footer.index = self.write_block(&index, Compression::None)?;
        let footer_bytes = footer.encode();
        self.file
            .append(&footer_bytes)
            .map_err(|e| self.io("writing a table footer", e))?;
        self.offset += footer_bytes.len() as u64;
        self.file
            .sync()
            .map_err(|e| self.io("syncing a table", e))?;

        let (mut smallest, mut largest) = match &self.first_key {
            Some(first) => (first.clone(), self.last_key.clone()),
            None => (Vec::new(), Vec::new()),
        };
        if let Some((start, sequence, end)) = &self.tombstone_bounds {
            // The start as a real tombstone key (not MAX_TRAILER), so that it sorts after the
            // exclusive-end sentinel of a neighbouring file ending at the same user key.
            let t_smallest =
                key::internal_key(start, key::trailer(*sequence, ValueKind::RangeDelete));
            let t_largest = key::internal_key(end, MAX_TRAILER);
            if smallest.is_empty() || compare_internal(&t_smallest, &smallest) == Ordering::Less {
                smallest = t_smallest;
            }
            if largest.is_empty() || compare_internal(&t_largest, &largest) == Ordering::Greater {
                largest = t_largest;
            }
        }
        Ok(TableSummary {
            file_bytes: self.offset,
            smallest,
            largest,
            properties: self.properties,
        })
    }
}
