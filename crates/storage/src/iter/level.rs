//! [`LevelIter`]: the sorted, disjoint tables of one level (≥ 1) as a single cursor, opening
//! each table only when the cursor reaches it.

use std::cmp::Ordering;
use std::sync::Arc;

use super::InternalIterator;
use crate::error::Result;
use crate::key::compare_internal;
use crate::sstable::TableIter;
use crate::table_cache::TableCache;
use crate::version::FileMeta;

/// A cursor over consecutive files of one level.
pub(crate) struct LevelIter {
    files: Vec<Arc<FileMeta>>,
    tables: Arc<TableCache>,
    index: usize,
    current: Option<TableIter>,
    fill_cache: bool,
}

impl LevelIter {
    /// A cursor over `files` (sorted by key, disjoint).
    pub(crate) fn new(
        files: Vec<Arc<FileMeta>>,
        tables: Arc<TableCache>,
        fill_cache: bool,
    ) -> Self {
        Self {
            files,
            tables,
            index: 0,
            current: None,
            fill_cache,
        }
    }

    fn open(&mut self, index: usize) -> Result<()> {
        self.index = index;
        self.current = None;
        if let Some(file) = self.files.get(index) {
            self.current = Some(self.tables.get(file)?.iter(self.fill_cache));
        }
        Ok(())
    }

    fn skip_forward(&mut self) -> Result<()> {
        while self.current.as_ref().is_some_and(|c| !c.valid()) {
            self.open(self.index + 1)?;
            if let Some(c) = &mut self.current {
                c.seek_to_first()?;
            }
        }
        Ok(())
    }

    fn skip_backward(&mut self) -> Result<()> {
        while self.current.as_ref().is_some_and(|c| !c.valid()) {
            if self.index == 0 {
                self.current = None;
                return Ok(());
            }
            self.open(self.index - 1)?;
            if let Some(c) = &mut self.current {
                c.seek_to_last()?;
            }
        }
        Ok(())
    }

    fn guard(&mut self, r: Result<()>) -> Result<()> {
        if r.is_err() {
            self.current = None;
        }
        r
    }
}

impl InternalIterator for LevelIter {
    fn valid(&self) -> bool {
        self.current.as_ref().is_some_and(InternalIterator::valid)
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let i = self
            .files
            .partition_point(|f| compare_internal(&f.largest, target) == Ordering::Less);
        let r = (|| {
            self.open(i)?;
            if let Some(c) = &mut self.current {
                c.seek(target)?;
            }
            self.skip_forward()
        })();
        self.guard(r)
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        let i = self
            .files
            .partition_point(|f| compare_internal(&f.smallest, target) != Ordering::Greater);
        let r = (|| {
            if i == 0 {
                self.current = None;
                return Ok(());
            }
            self.open(i - 1)?;
            if let Some(c) = &mut self.current {
                c.seek_for_prev(target)?;
            }
            self.skip_backward()
        })();
        self.guard(r)
    }

    fn seek_to_first(&mut self) -> Result<()> {
        let r = (|| {
            self.open(0)?;
            if let Some(c) = &mut self.current {
                c.seek_to_first()?;
            }
            self.skip_forward()
        })();
        self.guard(r)
    }

    fn seek_to_last(&mut self) -> Result<()> {
        let r = (|| {
            if self.files.is_empty() {
                self.current = None;
                return Ok(());
            }
            self.open(self.files.len() - 1)?;
            if let Some(c) = &mut self.current {
                c.seek_to_last()?;
            }
            self.skip_backward()
        })();
        self.guard(r)
    }

    fn next(&mut self) -> Result<()> {
        let r = match &mut self.current {
            Some(c) => c.next().and_then(|()| self.skip_forward()),
            None => Ok(()),
        };
        self.guard(r)
    }

    fn prev(&mut self) -> Result<()> {
        let r = match &mut self.current {
            Some(c) => c.prev().and_then(|()| self.skip_backward()),
            None => Ok(()),
        };
        self.guard(r)
    }

    fn key(&self) -> &[u8] {
        self.current
            .as_ref()
            .expect("key() on a valid iterator")
            .key()
    }

    fn value(&self) -> &[u8] {
        self.current
            .as_ref()
            .expect("value() on a valid iterator")
            .value()
    }
}
