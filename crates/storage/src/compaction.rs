//! Flushes and compactions: turning memtables and table files into new table files.
//!
//! - `picker`: which files to compact next (leveled: level-0 file count, deeper levels by size
//!   over target, round-robin by key; files full of deletions once they can be dropped).
//! - `stream`: the rules that drop data — versions shadowed within a snapshot stripe, versions
//!   under a range tombstone, and deletions at the bottom once no snapshot needs them — and the
//!   writer that cuts output files.

mod picker;
mod stream;

pub(crate) use picker::{Compaction, pick};
pub(crate) use stream::{DeeperFiles, OutputContext, write_tables};
