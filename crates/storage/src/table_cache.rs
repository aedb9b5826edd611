//! [`TableCache`]: open tables (file handle, index, filter, tombstones), bounded in count, so
//! that reads do not reopen and reparse a table each time.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cache::LruCache;
use crate::db_files::table_file_name;
use crate::error::{Error, Result};
use crate::fs::FileSystem;
use crate::sstable::BlockCache;
use crate::sstable::Table;
use crate::version::FileMeta;

/// Open tables by file number.
#[derive(Debug)]
pub(crate) struct TableCache {
    fs: Arc<dyn FileSystem>,
    dir: PathBuf,
    tables: LruCache<u64, Arc<Table>>,
    blocks: Arc<BlockCache>,
}

impl TableCache {
    /// Keeps up to `capacity` tables open; their data blocks go through `blocks`.
    pub(crate) fn new(
        fs: Arc<dyn FileSystem>,
        dir: PathBuf,
        capacity: usize,
        blocks: Arc<BlockCache>,
    ) -> Self {
        Self {
            fs,
            dir,
            tables: LruCache::new(capacity.max(16)),
            blocks,
        }
    }

    /// The open table of `file`, opening it if needed.
    pub(crate) fn get(&self, file: &FileMeta) -> Result<Arc<Table>> {
        self.get_number(file.number)
    }

    /// The open table numbered `number`.
    pub(crate) fn get_number(&self, number: u64) -> Result<Arc<Table>> {
        if let Some(table) = self.tables.get(&number) {
            return Ok(table);
        }
        let path = self.dir.join(table_file_name(number));
        let file = self.fs.open(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::Corruption {
                    path: path.clone(),
                    detail: "a live table file is missing".to_owned(),
                }
            } else {
                Error::Io {
                    context: "opening a table",
                    path: path.clone(),
                    source,
                }
            }
        })?;
        let table = Arc::new(Table::open(number, file, Arc::clone(&self.blocks))?);
        self.tables.insert(number, Arc::clone(&table), 1);
        Ok(table)
    }

    /// Forgets a deleted table.
    pub(crate) fn evict(&self, number: u64) {
        self.tables.remove(&number);
    }

    /// The shared block cache.
    pub(crate) fn block_cache(&self) -> &BlockCache {
        &self.blocks
    }
}
