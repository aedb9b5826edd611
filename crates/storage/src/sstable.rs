//! SSTables: immutable sorted files of internal keys (format in `docs/storage-format.md`).
//!
//! - `block`: the entry format shared by data, index and range-deletion blocks.
//! - `block_buffers`: a per-thread pool of the buffers blocks are read into.
//! - `bloom`: the per-table filter on user keys.
//! - `format`: block handles, block trailers (compression, CRC), properties and the footer.
//! - `builder`: [`TableBuilder`] writes a table from sorted entries and tombstones.
//! - `table`: [`Table`] reads one: point lookups and [`TableIter`].

pub(crate) mod block;
mod block_buffers;
pub(crate) mod bloom;
mod builder;
mod format;
mod table;

pub(crate) use builder::TableBuilder;
pub(crate) use builder::TableOptions;
pub(crate) use table::{BlockCache, Table, TableIter};
