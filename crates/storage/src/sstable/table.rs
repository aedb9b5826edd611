//! [`Table`]: an open table file with its index, filter and range tombstones in memory, and
//! [`TableIter`], a cursor over its entries (index block → data block).

use std::cmp::Ordering;
use std::sync::Arc;

use super::block::{Block, BlockIter};
use super::block_buffers;
use super::bloom::Filter;
use super::format::{
    BLOCK_TRAILER_LEN, BlockHandle, FOOTER_LEN, Footer, Properties, unframe_block,
};
use crate::SequenceNumber;
use crate::cache::LruCache;
use crate::db_files::table_file_name;
use crate::error::{Error, Result};
use crate::fs::RandomAccessFile;
use crate::iter::InternalIterator;
use crate::key::{self, ValueKind};
use crate::memtable::Lookup;
use crate::range_tombstone::{Fragment, FragmentedTombstones};

/// Data blocks shared by all tables, keyed by (file number, block offset), charged in bytes.
pub(crate) type BlockCache = LruCache<(u64, u64), Arc<Block>>;

/// An open table.
pub(crate) struct Table {
    number: u64,
    name: String,
    file: Arc<dyn RandomAccessFile>,
    index: TableIndex,
    filter: Option<Filter>,
    tombstones: FragmentedTombstones,
    cache: Arc<BlockCache>,
}

impl std::fmt::Debug for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Table")
            .field("number", &self.number)
            .finish()
    }
}

impl Table {
    /// Reads the footer and metadata blocks of table `number` from `file`.
    pub(crate) fn open(
        number: u64,
        file: Arc<dyn RandomAccessFile>,
        cache: Arc<BlockCache>,
    ) -> Result<Self> {
        let name = table_file_name(number);
        let corrupt = |detail: String| Error::Corruption {
            path: name.clone().into(),
            detail,
        };
        let len = file.len();
        if len < FOOTER_LEN as u64 {
            return Err(corrupt(format!(
                "file of {len} bytes is too short for a table"
            )));
        }
        let mut footer_bytes = [0u8; FOOTER_LEN];
        read_at(
            &*file,
            &name,
            len - FOOTER_LEN as u64,
            &mut footer_bytes,
            Access::Once,
        )?;
        let footer = Footer::decode(&footer_bytes, len).map_err(corrupt)?;
        let index_raw = read_block_raw(&*file, &name, footer.index, Access::Once)?;
        let index = TableIndex::parse(Arc::new(Block::new(index_raw, number)?)).map_err(corrupt)?;
        let filter = if footer.filter.size > 0 {
            Some(Filter::parse(read_block_raw(
                &*file,
                &name,
                footer.filter,
                Access::Once,
            )?))
        } else {
            None
        };
        // Parsed only to check it: everything a reader needs is in the manifest.
        Properties::decode(&read_block_raw(
            &*file,
            &name,
            footer.properties,
            Access::Once,
        )?)
        .ok_or_else(|| corrupt("properties block does not parse".to_owned()))?;
        let tombstones = if footer.range_deletions.size > 0 {
            let raw = read_block_raw(&*file, &name, footer.range_deletions, Access::Once)?;
            parse_tombstones(Arc::new(Block::new(raw, number)?)).map_err(corrupt)?
        } else {
            FragmentedTombstones::default()
        };
        Ok(Self {
            number,
            name,
            file,
            index,
            filter,
            tombstones,
            cache,
        })
    }

    /// Whether the table may hold a version of the user key whose filter hash is `hash` (no:
    /// certainly not; yes: perhaps, or the table has no filter).
    pub(crate) fn may_contain(&self, hash: u64) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|filter| filter.may_contain(hash))
    }

    /// The table's range tombstones.
    pub(crate) fn tombstones(&self) -> &FragmentedTombstones {
        &self.tombstones
    }

    /// Reads a data block through the block cache.
    fn data_block(&self, handle: BlockHandle, fill_cache: bool) -> Result<Arc<Block>> {
        let cache_key = (self.number, handle.offset);
        if let Some(block) = self.cache.get(&cache_key) {
            return Ok(block);
        }
        // Compactions (which do not fill the cache) scan each block once.
        let access = if fill_cache {
            Access::Repeated
        } else {
            Access::Once
        };
        let raw = read_block_raw(&*self.file, &self.name, handle, access)?;
        let block = Arc::new(Block::new(raw, self.number)?);
        if fill_cache {
            self.cache
                .insert(cache_key, Arc::clone(&block), block.size());
        }
        Ok(block)
    }

    /// The newest version of `user_key` in this table visible at `read_sequence`; `target` is
    /// `user_key @ (read_sequence, highest kind)` and `hash` the user key's filter hash.
    pub(crate) fn get(
        &self,
        user_key: &[u8],
        target: &[u8],
        hash: u64,
        read_sequence: SequenceNumber,
    ) -> Result<Lookup> {
        let covering = self.tombstones.max_covering(user_key, read_sequence);
        let nothing = if covering.is_some() {
            Lookup::Deleted
        } else {
            Lookup::Absent
        };
        if let Some(filter) = &self.filter
            && !filter.may_contain(hash)
        {
            return Ok(nothing);
        }
        let Some(handle) = self.index.handles.get(self.index.seek(target)).copied() else {
            return Ok(nothing);
        };
        let mut data = BlockIter::new(self.data_block(handle, true)?);
        data.seek(target)?;
        if !data.valid() || key::user_key(data.key()) != user_key {
            return Ok(nothing);
        }
        let sequence = key::sequence_of(data.key());
        if covering.is_some_and(|t| t > sequence) {
            return Ok(Lookup::Deleted);
        }
        match key::kind_of(data.key()) {
            Some(ValueKind::Put) => Ok(Lookup::Value(data.value().to_vec())),
            Some(ValueKind::Delete) => Ok(Lookup::Deleted),
            _ => Err(Error::Corruption {
                path: self.name.clone().into(),
                detail: "data block entry has an unknown kind".to_owned(),
            }),
        }
    }

    /// A cursor over the point entries; `fill_cache` = false keeps scans by compactions from
    /// evicting the blocks readers use.
    pub(crate) fn iter(self: &Arc<Self>, fill_cache: bool) -> TableIter {
        TableIter {
            position: None,
            data: None,
            table: Arc::clone(self),
            fill_cache,
        }
    }
}

/// How a read will be used: `Repeated` for a reader's data block (worth the file system's fast
/// path), `Once` for a compaction's scan or the metadata read at open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Repeated,
    Once,
}

fn read_at(
    file: &dyn RandomAccessFile,
    name: &str,
    offset: u64,
    buf: &mut [u8],
    access: Access,
) -> Result<()> {
    let read = match access {
        Access::Repeated => file.read_exact_at(offset, buf),
        Access::Once => file.scan_exact_at(offset, buf),
    };
    read.map_err(|source| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::Corruption {
                path: name.into(),
                detail: format!("read past the end at offset {offset}"),
            }
        } else {
            Error::Io {
                context: "reading a table",
                path: name.into(),
                source,
            }
        }
    })
}

fn read_block_raw(
    file: &dyn RandomAccessFile,
    name: &str,
    handle: BlockHandle,
    access: Access,
) -> Result<Vec<u8>> {
    let len = usize::try_from(handle.size)
        .ok()
        .and_then(|n| n.checked_add(BLOCK_TRAILER_LEN));
    let Some(len) = len.filter(|&n| handle.offset.saturating_add(n as u64) <= file.len()) else {
        return Err(Error::Corruption {
            path: name.into(),
            detail: format!(
                "block handle at offset {} runs past the end of the file",
                handle.offset
            ),
        });
    };
    let mut buf = block_buffers::take(len);
    read_at(file, name, handle.offset, &mut buf, access)?;
    unframe_block(buf, name, handle.offset)
}

/// The index block, parsed once when the table opens: the last internal key of each data
/// block (concatenated) and the block's handle, so a seek is a plain binary search.
///
/// The search first compares 8 bytes of each key held in a separate array (`heads`): the
/// bytes after the prefix that every key of the table shares (the keyspace id, and whatever
/// the keys have in common). Most steps are decided there, touching one small array instead of
/// the key and its offset, which halves the cache misses of a search.
struct TableIndex {
    keys: Vec<u8>,
    /// End offset in `keys` of each block's last key.
    ends: Vec<u32>,
    handles: Vec<BlockHandle>,
    /// The user-key prefix shared by every key.
    shared: Vec<u8>,
    /// Per key: the 8 user-key bytes after `shared`, big-endian, zero-padded.
    heads: Vec<u64>,
}

/// The 8 bytes of `user_key` after its first `skip`, big-endian and zero-padded: if two keys
/// share their first `skip` bytes and their heads differ, the heads order them.
#[inline]
fn head_after(user_key: &[u8], skip: usize) -> u64 {
    let rest = user_key.get(skip..).unwrap_or_default();
    let mut bytes = [0u8; 8];
    let n = rest.len().min(8);
    bytes[..n].copy_from_slice(&rest[..n]);
    u64::from_be_bytes(bytes)
}

impl TableIndex {
    fn parse(block: Arc<Block>) -> Result<Self, String> {
        let mut it = BlockIter::new(block);
        let mut index = Self {
            keys: Vec::new(),
            ends: Vec::new(),
            handles: Vec::new(),
            shared: Vec::new(),
            heads: Vec::new(),
        };
        it.seek_to_first().map_err(|e| e.to_string())?;
        while it.valid() {
            if it.key().len() < key::TRAILER_LEN {
                return Err("index entry holds a malformed key".to_owned());
            }
            let handle = BlockHandle::decode_varint(it.value())
                .ok_or("index entry holds a bad block handle")?;
            index.keys.extend_from_slice(it.key());
            index
                .ends
                .push(u32::try_from(index.keys.len()).map_err(|_| "index too large")?);
            index.handles.push(handle);
            it.next().map_err(|e| e.to_string())?;
        }
        if let (Some(first), Some(last)) = (index.ends.first(), index.ends.len().checked_sub(1)) {
            // Keys are sorted, so what the first and the last share, all share.
            let (a, b) = (
                key::user_key(&index.keys[..*first as usize]),
                key::user_key(index.key(last)),
            );
            let n = a.iter().zip(b).take_while(|(x, y)| x == y).count();
            index.shared = a[..n].to_vec();
        }
        let skip = index.shared.len();
        index.heads = (0..index.ends.len())
            .map(|i| head_after(key::user_key(index.key(i)), skip))
            .collect();
        Ok(index)
    }

    fn key(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.keys[start..self.ends[i] as usize]
    }

    /// The first block whose last key is `>= target` (`len` if none).
    fn seek(&self, target: &[u8]) -> usize {
        let user_key = key::user_key(target);
        let skip = self.shared.len();
        // A target outside the shared prefix is before or after every key.
        match user_key[..skip.min(user_key.len())].cmp(&self.shared[..skip.min(user_key.len())]) {
            Ordering::Less => return 0,
            Ordering::Greater => return self.ends.len(),
            Ordering::Equal if user_key.len() < skip => return 0,
            Ordering::Equal => {}
        }
        let head = head_after(user_key, skip);
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let order = match self.heads[mid].cmp(&head) {
                Ordering::Equal => key::compare_internal(self.key(mid), target),
                decided => decided,
            };
            if order == Ordering::Less {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }
}

/// Range-deletion block entries (`start @ sequence` → `end`, fragments in order) to fragments.
fn parse_tombstones(block: Arc<Block>) -> Result<FragmentedTombstones, String> {
    let mut it = BlockIter::new(block);
    let mut fragments: Vec<Fragment> = Vec::new();
    it.seek_to_first().map_err(|e| e.to_string())?;
    while it.valid() {
        let ikey = it.key();
        if ikey.len() < key::TRAILER_LEN || key::kind_of(ikey) != Some(ValueKind::RangeDelete) {
            return Err("range-deletion block holds a non-tombstone entry".to_owned());
        }
        let (start, sequence, end) = (key::user_key(ikey), key::sequence_of(ikey), it.value());
        match fragments.last_mut() {
            Some(f) if f.start == start && f.end == end => f.sequences.push(sequence),
            _ => fragments.push(Fragment {
                start: start.to_vec(),
                end: end.to_vec(),
                sequences: vec![sequence],
            }),
        }
        it.next().map_err(|e| e.to_string())?;
    }
    FragmentedTombstones::from_sorted(fragments)
}

/// A cursor over a table's entries that keeps the table open.
pub(crate) struct TableIter {
    /// The data block the cursor is in (an index into the table's index).
    position: Option<usize>,
    data: Option<BlockIter>,
    table: Arc<Table>,
    fill_cache: bool,
}

impl TableIter {
    /// Loads the data block the index cursor points at (or clears it if the index is invalid).
    fn load_data(&mut self) -> Result<()> {
        let Some(handle) = self
            .position
            .and_then(|p| self.table.index.handles.get(p).copied())
        else {
            self.position = None;
            self.data = None;
            return Ok(());
        };
        let block = self.table.data_block(handle, self.fill_cache)?;
        let buffer = self
            .data
            .take()
            .map(BlockIter::into_buffer)
            .unwrap_or_default();
        self.data = Some(BlockIter::with_buffer(block, buffer));
        Ok(())
    }

    fn skip_empty_forward(&mut self) -> Result<()> {
        while self.data.as_ref().is_some_and(|d| !d.valid()) {
            self.position = self.position.map(|p| p + 1);
            self.load_data()?;
            if let Some(d) = &mut self.data {
                d.seek_to_first()?;
            }
        }
        Ok(())
    }

    fn skip_empty_backward(&mut self) -> Result<()> {
        while self.data.as_ref().is_some_and(|d| !d.valid()) {
            self.position = self.position.and_then(|p| p.checked_sub(1));
            self.load_data()?;
            if let Some(d) = &mut self.data {
                d.seek_to_last()?;
            }
        }
        Ok(())
    }

    fn guard(&mut self, r: Result<()>) -> Result<()> {
        if r.is_err() {
            self.data = None;
        }
        r
    }
}

impl InternalIterator for TableIter {
    #[inline]
    fn valid(&self) -> bool {
        self.data.as_ref().is_some_and(BlockIter::valid)
    }

    fn seek(&mut self, target: &[u8]) -> Result<()> {
        let r = (|| {
            self.position = Some(self.table.index.seek(target));
            self.load_data()?;
            if let Some(d) = &mut self.data {
                d.seek(target)?;
            }
            self.skip_empty_forward()
        })();
        self.guard(r)
    }

    fn seek_for_prev(&mut self, target: &[u8]) -> Result<()> {
        crate::iter::seek_for_prev_via_seek(self, target)
    }

    fn seek_to_first(&mut self) -> Result<()> {
        let r = (|| {
            self.position = Some(0);
            self.load_data()?;
            if let Some(d) = &mut self.data {
                d.seek_to_first()?;
            }
            self.skip_empty_forward()
        })();
        self.guard(r)
    }

    fn seek_to_last(&mut self) -> Result<()> {
        let r = (|| {
            self.position = self.table.index.handles.len().checked_sub(1);
            self.load_data()?;
            if let Some(d) = &mut self.data {
                d.seek_to_last()?;
            }
            self.skip_empty_backward()
        })();
        self.guard(r)
    }

    #[inline]
    fn next(&mut self) -> Result<()> {
        let r = match &mut self.data {
            Some(d) => d.next().and_then(|()| self.skip_empty_forward()),
            None => Ok(()),
        };
        self.guard(r)
    }

    fn prev(&mut self) -> Result<()> {
        let r = match &mut self.data {
            Some(d) => d.prev().and_then(|()| self.skip_empty_backward()),
            None => Ok(()),
        };
        self.guard(r)
    }

    #[inline]
    fn key(&self) -> &[u8] {
        self.data.as_ref().expect("key() on a valid iterator").key()
    }

    #[inline]
    fn value(&self) -> &[u8] {
        self.data
            .as_ref()
            .expect("value() on a valid iterator")
            .value()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::fs::{FileSystem, MemFileSystem};
    use crate::options::Compression;
    use crate::range_tombstone::RangeTombstone;
    use crate::sstable::{TableBuilder, TableOptions};

    fn user_key(i: u32) -> Vec<u8> {
        format!("key{i:05}").into_bytes()
    }

    /// A table of keys 0, 2, 4, … (puts at sequence i+1, every 10th a delete) and a range
    /// deletion of [key00100, key00200) at sequence 5000.
    fn build(
        fs: &MemFileSystem,
        compression: Compression,
    ) -> (Arc<Table>, crate::sstable::builder::TableSummary) {
        let path = Path::new("/t.sst");
        let options = TableOptions {
            block_bytes: 256,
            restart_interval: 4,
            bloom_bits_per_key: 10,
            compression,
        };
        let mut builder = TableBuilder::new(fs.create(path).unwrap(), path.into(), options);
        for i in (0..1000).step_by(2) {
            let kind = if i % 10 == 0 {
                ValueKind::Delete
            } else {
                ValueKind::Put
            };
            let ikey = key::internal_key(&user_key(i), key::trailer(u64::from(i) + 1, kind));
            builder
                .add(&ikey, format!("value{i}").repeat(3).as_bytes())
                .unwrap();
        }
        let tombstones = FragmentedTombstones::build([RangeTombstone {
            start: user_key(100),
            end: user_key(200),
            sequence: 5000,
        }]);
        for f in tombstones.fragments() {
            builder.add_tombstone_fragment(f);
        }
        let summary = builder.finish().unwrap();
        let table = Table::open(
            1,
            fs.open(path).unwrap(),
            Arc::new(BlockCache::new(1 << 20)),
        )
        .unwrap();
        (Arc::new(table), summary)
    }

    fn get(table: &Table, i: u32, read: u64) -> Lookup {
        let uk = user_key(i);
        let target = key::internal_key(&uk, (read << 8) | 0xff);
        table
            .get(&uk, &target, crate::sstable::bloom::hash(&uk), read)
            .unwrap()
    }

    #[test]
    fn point_lookups_honour_versions_deletions_and_tombstones() {
        for compression in [Compression::None, Compression::Lz4] {
            let fs = MemFileSystem::new();
            let (table, summary) = build(&fs, compression);
            assert_eq!(summary.properties.entries, 500);
            assert_eq!(summary.properties.deletions, 100);
            assert_eq!(get(&table, 4, 100), Lookup::Value(b"value4".repeat(3)));
            assert_eq!(
                get(&table, 4, 4),
                Lookup::Absent,
                "written at 5, invisible at 4"
            );
            assert_eq!(get(&table, 10, 100), Lookup::Deleted);
            assert_eq!(
                get(&table, 5, 100),
                Lookup::Absent,
                "odd keys were never written"
            );
            assert_eq!(get(&table, 152, 4999), Lookup::Value(b"value152".repeat(3)));
            assert_eq!(
                get(&table, 152, 5000),
                Lookup::Deleted,
                "under the range deletion"
            );
            assert_eq!(
                get(&table, 151, 5000),
                Lookup::Deleted,
                "the range covers absent keys too"
            );
            assert_eq!(
                get(&table, 200, 5000),
                Lookup::Deleted,
                "key 200 is a point delete"
            );
            assert_eq!(
                get(&table, 202, 5000),
                Lookup::Value(b"value202".repeat(3)),
                "end is exclusive"
            );
        }
    }

    #[test]
    fn index_seeks_agree_with_a_plain_binary_search() {
        let fs = MemFileSystem::new();
        let path = Path::new("/prefix.sst");
        let options = TableOptions {
            block_bytes: 64,
            restart_interval: 2,
            bloom_bits_per_key: 10,
            compression: Compression::None,
        };
        // Keys sharing a long prefix, of several lengths, some with zero bytes after it.
        let mut user_keys: Vec<Vec<u8>> = (0..300u32)
            .map(|i| {
                let mut k = b"tenant/0042/".to_vec();
                k.extend_from_slice(&i.to_be_bytes()[2..]);
                k.truncate(12 + (i as usize % 3));
                if i % 5 == 0 {
                    k.push(0);
                }
                k
            })
            .collect();
        user_keys.sort();
        user_keys.dedup();
        let mut builder = TableBuilder::new(fs.create(path).unwrap(), path.into(), options);
        for (i, uk) in user_keys.iter().enumerate() {
            let ikey = key::internal_key(uk, key::trailer(i as u64 + 1, ValueKind::Put));
            builder.add(&ikey, b"v").unwrap();
        }
        builder.finish().unwrap();
        let table = Table::open(
            1,
            fs.open(path).unwrap(),
            Arc::new(BlockCache::new(1 << 20)),
        )
        .unwrap();
        let index = &table.index;
        assert_eq!(index.shared, b"tenant/0042/");
        let mut targets: Vec<Vec<u8>> = user_keys.clone();
        targets.extend(
            [
                &b""[..],
                b"a",
                b"tenant/",
                b"tenant/0042",
                b"tenant/0042/\xff",
                b"z",
            ]
            .map(<[u8]>::to_vec),
        );
        targets.extend(user_keys.iter().map(|k| [k.as_slice(), &[0]].concat()));
        for uk in &targets {
            for trailer in [0, u64::MAX, key::trailer(150, ValueKind::Put)] {
                let target = key::internal_key(uk, trailer);
                let expected = (0..index.ends.len())
                    .find(|&i| key::compare_internal(index.key(i), &target) != Ordering::Less)
                    .unwrap_or(index.ends.len());
                assert_eq!(index.seek(&target), expected, "{uk:?} @ {trailer}");
            }
        }
    }

    #[test]
    fn iteration_visits_every_entry_both_ways() {
        let fs = MemFileSystem::new();
        let (table, _) = build(&fs, Compression::None);
        let mut it = table.iter(true);
        let mut forward = Vec::new();
        it.seek_to_first().unwrap();
        while it.valid() {
            forward.push(it.key().to_vec());
            it.next().unwrap();
        }
        assert_eq!(forward.len(), 500);
        let mut backward = Vec::new();
        it.seek_to_last().unwrap();
        while it.valid() {
            backward.push(it.key().to_vec());
            it.prev().unwrap();
        }
        backward.reverse();
        assert_eq!(forward, backward);
        it.seek(&key::internal_key(&user_key(501), u64::MAX))
            .unwrap();
        assert_eq!(key::user_key(it.key()), user_key(502).as_slice());
        it.seek_for_prev(&key::internal_key(&user_key(501), 0))
            .unwrap();
        assert_eq!(key::user_key(it.key()), user_key(500).as_slice());
    }

    #[test]
    fn flipped_bytes_are_reported_never_returned() {
        let fs = MemFileSystem::new();
        let (_, summary) = build(&fs, Compression::None);
        let path = Path::new("/t.sst");
        let file = fs.open(path).unwrap();
        let mut bytes = vec![0u8; file.len() as usize];
        file.read_exact_at(0, &mut bytes).unwrap();
        for at in (0..bytes.len()).step_by(97) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0x20;
            let copy = Path::new("/damaged.sst");
            let mut w = fs.create(copy).unwrap();
            w.append(&damaged).unwrap();
            w.sync().unwrap();
            let opened = Table::open(
                2,
                fs.open(copy).unwrap(),
                Arc::new(BlockCache::new(1 << 20)),
            );
            let Ok(table) = opened else { continue };
            let table = Arc::new(table);
            let mut it = table.iter(false);
            let mut result = it.seek_to_first();
            let mut seen = 0;
            while result.is_ok() && it.valid() {
                seen += 1;
                result = it.next();
            }
            assert!(
                result.is_err() || seen == summary.properties.entries,
                "flip at {at}: {seen} entries, no error"
            );
        }
    }
}
