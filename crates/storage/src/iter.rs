//! Iteration over internal keys: the cursor trait every source implements, and the iterators
//! that combine sources.
//!
//! - [`InternalIterator`]: a cursor over internal keys in internal-key order (memtables, blocks,
//!   tables, levels).
//! - [`MergingIter`]: merges many cursors into one ordered stream (a binary heap).
//! - `level`: one level (≥ 1) of non-overlapping tables as a single cursor, opening tables lazily.
//! - `db_iter`: what users see: one value per user key at a read sequence, without deletions.

mod db_iter;
mod level;
mod merging;

pub use db_iter::DbIter;
pub(crate) use level::LevelIter;
pub(crate) use merging::MergingIter;

use crate::error::Result;

/// A cursor over internal keys. Positioning methods report I/O or corruption errors; after an
/// error the cursor is invalid.
pub(crate) trait InternalIterator: Send {
    /// Whether the cursor is at an entry.
    fn valid(&self) -> bool;
    /// Moves to the first entry `>= target`.
    fn seek(&mut self, target: &[u8]) -> Result<()>;
    /// Moves to the last entry `<= target`.
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()>;
    /// Moves to the first entry.
    fn seek_to_first(&mut self) -> Result<()>;
    /// Moves to the last entry.
    fn seek_to_last(&mut self) -> Result<()>;
    /// Moves to the next entry. Requires `valid()`.
    fn next(&mut self) -> Result<()>;
    /// Moves to the previous entry. Requires `valid()`.
    fn prev(&mut self) -> Result<()>;
    /// The current internal key. Requires `valid()`.
    fn key(&self) -> &[u8];
    /// The current value. Requires `valid()`.
    fn value(&self) -> &[u8];
}

impl InternalIterator for Box<dyn InternalIterator> {
    fn valid(&self) -> bool {
        (**self).valid()
    }
    fn seek(&mut self, target: &[u8]) -> Result<()> {
        (**self).seek(target)
    }
    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        (**self).seek_for_prev(target)
    }
    fn seek_to_first(&mut self) -> Result<()> {
        (**self).seek_to_first()
    }
    fn seek_to_last(&mut self) -> Result<()> {
        (**self).seek_to_last()
    }
    fn next(&mut self) -> Result<()> {
        (**self).next()
    }
    fn prev(&mut self) -> Result<()> {
        (**self).prev()
    }
    fn key(&self) -> &[u8] {
        (**self).key()
    }
    fn value(&self) -> &[u8] {
        (**self).value()
    }
}

/// Implements `seek_for_prev` for cursors that only know `seek`: last entry `<= target`.
pub(crate) fn seek_for_prev_via_seek<I: InternalIterator + ?Sized>(
    it: &mut I,
    target: &[u8],
) -> Result<()> {
    it.seek(target)?;
    if !it.valid() {
        return it.seek_to_last();
    }
    if crate::key::compare_internal(it.key(), target) == std::cmp::Ordering::Greater {
        it.prev()?;
    }
    Ok(())
}
