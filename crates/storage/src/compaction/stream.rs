//! The compaction stream: merged input entries in, surviving entries out, cut into tables.
//!
//! Snapshots split sequence numbers into *stripes*: two versions of a key with no snapshot
//! between them are seen by exactly the same readers, so only the newer one can ever be read.
//! Stripe of `s` = number of snapshots below `s` (the live sequence counts as the last snapshot).
//! Per user key, newest first:
//! - a version in the same stripe as a newer version of the key is dropped;
//! - a version under a range tombstone of the same stripe is dropped;
//! - a point deletion in stripe 0 (every reader sees it) is dropped when no deeper level holds
//!   the key, since then nothing is left for it to hide;
//! - a range tombstone is reduced to its newest sequence per stripe, and dropped in stripe 0
//!   when no deeper level meets its range.

use std::path::PathBuf;
use std::sync::Arc;

use crate::SequenceNumber;
use crate::db_files::table_file_name;
use crate::error::{Error, Result};
use crate::fs::FileSystem;
use crate::iter::InternalIterator;
use crate::key::{self, ValueKind};
use crate::range_tombstone::{Fragment, FragmentedTombstones};
use crate::sstable::{Table, TableBuilder, TableOptions, bloom};
use crate::table_cache::TableCache;
use crate::version::{FileMeta, Version};

/// A table's smallest and largest user keys, and the table (for its bloom filter).
type TableRange = (Vec<u8>, Vec<u8>, Arc<Table>);

/// Key ranges of the files below a compaction's output level, to decide whether a deletion has
/// anything left to hide.
#[derive(Debug, Default)]
pub(crate) struct DeeperFiles {
    /// Per deeper level: (smallest user key, largest user key) sorted by key.
    levels: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
    /// For a flush, every table (all older data) per level, sorted by key below level 0: its
    /// key range and its bloom filter.
    tables: Vec<Vec<TableRange>>,
    /// Every key may exist below (recovery's flushes).
    always: bool,
}

impl DeeperFiles {
    /// Every key may exist below.
    pub(crate) fn everything() -> Self {
        Self {
            always: true,
            ..Self::default()
        }
    }

    /// For the flush of the oldest unflushed memtable: every table of `version` holds older
    /// data (memtables are flushed oldest first) and nothing else does. A deletion of a key
    /// that no table's range and filter may hold then hides only versions in the same memtable
    /// (a key written and deleted before its flush, as index entries that move with every
    /// update are) and is dropped with them.
    pub(crate) fn all_tables(version: &Version, tables: &TableCache) -> Result<Self> {
        let mut levels = Vec::with_capacity(version.levels.len());
        for files in &version.levels {
            let mut level = Vec::with_capacity(files.len());
            for file in files {
                level.push((
                    file.smallest_user_key().to_vec(),
                    file.largest_user_key().to_vec(),
                    tables.get(file)?,
                ));
            }
            levels.push(level);
        }
        Ok(Self {
            tables: levels,
            ..Self::default()
        })
    }

    /// Whether a deeper file may hold a version of `user_key`.
    pub(crate) fn may_hold(&self, user_key: &[u8]) -> bool {
        if self.tables.is_empty() {
            return self.overlaps(user_key, user_key);
        }
        let hash = bloom::hash(user_key);
        let holds = |(lo, hi, table): &TableRange| {
            lo.as_slice() <= user_key && user_key <= hi.as_slice() && table.may_contain(hash)
        };
        self.tables.iter().enumerate().any(|(level, files)| {
            if level == 0 {
                return files.iter().any(holds); // overlapping files
            }
            // Sorted and disjoint but for shared bounds: a file whose last key is a range
            // tombstone's (exclusive) end may end at the key the next file starts with. So the
            // files from the first ending at or after the key, while they start at or before
            // it, may hold it (one, or two at such a bound).
            let i = files.partition_point(|(_, hi, _)| hi.as_slice() < user_key);
            files[i..]
                .iter()
                .take_while(|(lo, _, _)| lo.as_slice() <= user_key)
                .any(holds)
        })
    }

    /// The files of `version` below `output_level`.
    pub(crate) fn below(version: &Version, output_level: usize) -> Self {
        let levels = version
            .levels
            .iter()
            .skip(output_level + 1)
            .map(|files| {
                files
                    .iter()
                    .map(|f| {
                        (
                            f.smallest_user_key().to_vec(),
                            f.largest_user_key().to_vec(),
                        )
                    })
                    .collect()
            })
            .collect();
        Self {
            levels,
            ..Self::default()
        }
    }

    /// Whether a deeper file may hold a key in `[lo, hi]`.
    pub(crate) fn overlaps(&self, lo: &[u8], hi: &[u8]) -> bool {
        if self.always {
            return true;
        }
        if self
            .tables
            .iter()
            .flatten()
            .any(|(smallest, largest, _)| smallest.as_slice() <= hi && lo <= largest.as_slice())
        {
            return true;
        }
        self.levels.iter().any(|files| {
            let i = files.partition_point(|(_, largest)| largest.as_slice() < lo);
            files
                .get(i)
                .is_some_and(|(smallest, _)| smallest.as_slice() <= hi)
        })
    }
}

/// What output tables need: where to write them and with which settings.
pub(crate) struct OutputContext<'a> {
    pub(crate) fs: &'a dyn FileSystem,
    pub(crate) dir: PathBuf,
    pub(crate) table_options: TableOptions,
    /// Cut an output file once it reaches this size (at a user-key boundary).
    pub(crate) target_file_bytes: u64,
    /// Allocates a file number for a new output (and protects it from deletion).
    pub(crate) new_file_number: &'a dyn Fn() -> u64,
}

fn stripe(snapshots: &[SequenceNumber], sequence: SequenceNumber) -> usize {
    snapshots.partition_point(|&s| s < sequence)
}

/// Drops tombstone sequences no reader needs.
fn reduce_tombstones(
    tombstones: &FragmentedTombstones,
    snapshots: &[SequenceNumber],
    deeper: &DeeperFiles,
) -> FragmentedTombstones {
    let mut out = Vec::new();
    for f in tombstones.fragments() {
        let mut sequences: Vec<SequenceNumber> = Vec::new();
        let mut last_stripe = None;
        for &s in &f.sequences {
            let st = stripe(snapshots, s);
            if last_stripe == Some(st) {
                continue;
            }
            last_stripe = Some(st);
            // The end is exclusive; checking it inclusively only keeps a tombstone longer.
            if st == 0 && !deeper.overlaps(&f.start, &f.end) {
                continue;
            }
            sequences.push(s);
        }
        if !sequences.is_empty() {
            out.push(Fragment {
                start: f.start.clone(),
                end: f.end.clone(),
                sequences,
            });
        }
    }
    FragmentedTombstones::from_sorted(out).expect("a subset of sorted fragments stays sorted")
}

/// Whether a version at `sequence` of `user_key` lies under a tombstone of its own stripe.
fn covered(
    tombstones: &FragmentedTombstones,
    snapshots: &[SequenceNumber],
    user_key: &[u8],
    sequence: SequenceNumber,
) -> bool {
    let Some(f) = tombstones.fragment_at(user_key) else {
        return false;
    };
    // The oldest tombstone newer than the version is the one most likely in its stripe.
    match f.sequences.iter().rev().find(|&&t| t > sequence) {
        Some(&t) => stripe(snapshots, t) == stripe(snapshots, sequence),
        None => false,
    }
}

struct Output<'a> {
    ctx: &'a OutputContext<'a>,
    builder: Option<(u64, TableBuilder)>,
    files: Vec<FileMeta>,
    /// Start of the current file's share of the tombstones (`None`: from the beginning).
    file_start: Option<Vec<u8>>,
    tombstones: FragmentedTombstones,
    bytes_written: u64,
}

impl Output<'_> {
    fn open(&mut self) -> Result<&mut TableBuilder> {
        if self.builder.is_none() {
            let number = (self.ctx.new_file_number)();
            let path = self.ctx.dir.join(table_file_name(number));
            let file = self.ctx.fs.create(&path).map_err(|source| Error::Io {
                context: "creating a table",
                path: path.clone(),
                source,
            })?;
            self.builder = Some((
                number,
                TableBuilder::new(file, path, self.ctx.table_options),
            ));
        }
        Ok(&mut self.builder.as_mut().expect("just opened").1)
    }

    /// Finishes the current file; its tombstones are those in `[file_start, end)`.
    fn finish(&mut self, end: Option<&[u8]>) -> Result<()> {
        let fragments = self
            .tombstones
            .clipped(self.file_start.as_deref().unwrap_or(b""), end);
        if self.builder.is_none() && fragments.is_empty() {
            return Ok(());
        }
        let builder = self.open()?;
        for f in &fragments {
            builder.add_tombstone_fragment(f);
        }
        let (number, builder) = self.builder.take().expect("opened above");
        let summary = builder.finish()?;
        self.bytes_written += summary.file_bytes;
        let p = &summary.properties;
        self.files.push(FileMeta {
            number,
            file_bytes: summary.file_bytes,
            smallest: summary.smallest,
            largest: summary.largest,
            smallest_sequence: p.smallest_sequence,
            largest_sequence: p.largest_sequence,
            entries: p.entries,
            deletions: p.deletions,
            range_deletions: p.range_deletions,
        });
        self.file_start = end.map(<[u8]>::to_vec);
        Ok(())
    }
}

/// Writes the surviving entries of `input` (already merged, in order) and `tombstones` to new
/// tables, cut at `target_file_bytes`. `snapshots` are the live snapshot sequences, ascending.
/// Returns the new files (not yet synced to the directory) and the bytes written.
pub(crate) fn write_tables(
    ctx: &OutputContext<'_>,
    input: &mut dyn InternalIterator,
    tombstones: &FragmentedTombstones,
    snapshots: &[SequenceNumber],
    deeper: &DeeperFiles,
) -> Result<(Vec<FileMeta>, u64)> {
    // Coverage is judged with every input tombstone, including those about to be dropped.
    let reduced = reduce_tombstones(tombstones, snapshots, deeper);
    let mut out = Output {
        ctx,
        builder: None,
        files: Vec::new(),
        file_start: None,
        tombstones: reduced,
        bytes_written: 0,
    };
    let mut current_key: Vec<u8> = Vec::new();
    let mut last_stripe: Option<usize> = None;
    let mut has_key = false;
    input.seek_to_first()?;
    while input.valid() {
        let ikey = input.key();
        let user_key = key::user_key(ikey);
        let sequence = key::sequence_of(ikey);
        let new_key = !has_key || user_key != current_key.as_slice();
        if new_key {
            debug_assert!(
                !has_key || user_key > current_key.as_slice(),
                "input out of order"
            );
            // Cut only between user keys, so that a key's versions never span two files.
            if out
                .builder
                .as_ref()
                .is_some_and(|(_, b)| b.estimated_file_bytes() >= ctx.target_file_bytes)
            {
                out.finish(Some(user_key))?;
            }
            current_key.clear();
            current_key.extend_from_slice(user_key);
            has_key = true;
            last_stripe = None;
        }
        let st = stripe(snapshots, sequence);
        let keep = if last_stripe == Some(st) {
            false
        } else {
            last_stripe = Some(st);
            let kind = key::kind_of(ikey);
            if kind.is_none() || kind == Some(ValueKind::RangeDelete) {
                return Err(Error::Corruption {
                    path: ctx.dir.clone(),
                    detail: format!(
                        "compaction input holds an entry of unknown kind at sequence {sequence}"
                    ),
                });
            }
            if !tombstones.is_empty() && covered(tombstones, snapshots, user_key, sequence) {
                false
            } else {
                !(kind == Some(ValueKind::Delete) && st == 0 && !deeper.may_hold(user_key))
            }
        };
        if keep {
            let value = input.value();
            out.open()?.add(ikey, value)?;
        }
        input.next()?;
    }
    out.finish(None)?;
    Ok((out.files, out.bytes_written))
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::batch::WriteBatch;
    use crate::db::Keyspace;
    use crate::fs::{FileSystem, MemFileSystem};
    use crate::memtable::Memtable;
    use crate::options::Compression;
    use crate::sstable::{BlockCache, Table};

    const KS: Keyspace = Keyspace { id: 0 };

    fn apply(mem: &Memtable, sequence: u64, build: impl FnOnce(&mut WriteBatch)) {
        let mut batch = WriteBatch::new();
        build(&mut batch);
        batch.set_sequence(sequence);
        mem.insert_batch(&batch.view());
    }

    /// Writes `mem` through the compaction stream into `/db` of `fs` (small blocks, files
    /// numbered from `first_number`); answers the new files.
    fn write_mem(
        fs: &MemFileSystem,
        first_number: u64,
        mem: &Arc<Memtable>,
        snapshots: &[u64],
        deeper: &DeeperFiles,
        target_file_bytes: u64,
    ) -> Vec<FileMeta> {
        let next = AtomicU64::new(first_number);
        let new_number = || next.fetch_add(1, Ordering::Relaxed);
        let ctx = OutputContext {
            fs,
            dir: Path::new("/db").to_path_buf(),
            table_options: TableOptions {
                block_bytes: 64,
                restart_interval: 2,
                bloom_bits_per_key: 10,
                compression: Compression::None,
            },
            target_file_bytes,
            new_file_number: &new_number,
        };
        let tombstones = mem.range_tombstones();
        write_tables(&ctx, &mut mem.iter(), &tombstones, snapshots, deeper)
            .unwrap()
            .0
    }

    /// Writes `mem` through the compaction stream and returns (user key, sequence, kind) of
    /// every surviving entry and the surviving tombstone sequences.
    fn survivors(
        mem: &Arc<Memtable>,
        snapshots: &[u64],
        deeper: &DeeperFiles,
        target_file_bytes: u64,
    ) -> (Vec<(String, u64, ValueKind)>, Vec<u64>, usize) {
        let fs = MemFileSystem::new();
        fs.create_dir_all(Path::new("/db")).unwrap();
        let files = write_mem(&fs, 1, mem, snapshots, deeper, target_file_bytes);
        let cache = Arc::new(BlockCache::new(1 << 20));
        let mut entries = Vec::new();
        let mut kept_tombstones = Vec::new();
        for f in &files {
            let file = fs
                .open(&Path::new("/db").join(table_file_name(f.number)))
                .unwrap();
            let table = Arc::new(Table::open(f.number, file, Arc::clone(&cache)).unwrap());
            kept_tombstones.extend(table.tombstones().tombstones().map(|t| t.sequence));
            let mut it = table.iter(false);
            it.seek_to_first().unwrap();
            while it.valid() {
                let k = it.key();
                let name = String::from_utf8(key::user_key(k)[4..].to_vec()).unwrap();
                entries.push((name, key::sequence_of(k), key::kind_of(k).unwrap()));
                it.next().unwrap();
            }
        }
        kept_tombstones.sort_unstable();
        (entries, kept_tombstones, files.len())
    }

    fn history() -> Arc<Memtable> {
        let mem = Arc::new(Memtable::new(1, 1 << 20));
        apply(&mem, 1, |b| b.put(KS, b"a", b"a1"));
        apply(&mem, 2, |b| b.put(KS, b"b", b"b2"));
        apply(&mem, 3, |b| b.put(KS, b"a", b"a3"));
        apply(&mem, 4, |b| b.delete_range(KS, b"b", b"c"));
        apply(&mem, 5, |b| b.delete(KS, b"a"));
        mem
    }

    #[test]
    fn without_snapshots_only_the_newest_version_survives() {
        let (entries, tombstones, _) =
            survivors(&history(), &[], &DeeperFiles::everything(), u64::MAX);
        assert_eq!(entries, vec![("a".into(), 5, ValueKind::Delete)]);
        assert_eq!(tombstones, vec![4], "not at the bottom: deletions are kept");
    }

    #[test]
    fn at_the_bottom_deletions_and_what_they_hide_are_dropped() {
        let (entries, tombstones, files) =
            survivors(&history(), &[], &DeeperFiles::default(), u64::MAX);
        assert!(entries.is_empty(), "{entries:?}");
        assert!(tombstones.is_empty());
        assert_eq!(files, 0, "nothing left to write");
    }

    #[test]
    fn snapshots_keep_what_they_can_see() {
        // A snapshot at 3 sees a@3 and b@2; one at 4 sees the range deletion hiding b@2.
        let (entries, tombstones, _) =
            survivors(&history(), &[3], &DeeperFiles::default(), u64::MAX);
        assert_eq!(
            entries,
            vec![
                ("a".into(), 5, ValueKind::Delete),
                ("a".into(), 3, ValueKind::Put),
                ("b".into(), 2, ValueKind::Put)
            ]
        );
        assert_eq!(
            tombstones,
            vec![4],
            "the tombstone must stay: the snapshot sees what it hides"
        );
        let (entries, _, _) = survivors(&history(), &[4], &DeeperFiles::default(), u64::MAX);
        assert_eq!(
            entries,
            vec![
                ("a".into(), 5, ValueKind::Delete),
                ("a".into(), 3, ValueKind::Put)
            ],
            "b@2 is hidden from every reader by the tombstone @4 in its own stripe"
        );
    }

    /// Writes `mem` as one table into `fs` and answers its key range and the table.
    fn one_table(fs: &MemFileSystem, number: u64, mem: &Arc<Memtable>) -> TableRange {
        let files = write_mem(fs, number, mem, &[], &DeeperFiles::everything(), 1 << 20);
        let [meta] = files.as_slice() else {
            panic!("one table: {files:?}")
        };
        let file = fs
            .open(&Path::new("/db").join(table_file_name(meta.number)))
            .unwrap();
        let cache = Arc::new(BlockCache::new(1 << 20));
        let table = Arc::new(Table::open(meta.number, file, cache).unwrap());
        (
            meta.smallest_user_key().to_vec(),
            meta.largest_user_key().to_vec(),
            table,
        )
    }

    #[test]
    fn a_key_where_a_range_tombstone_ends_is_looked_for_in_the_next_file_too() {
        // Level 1: [a, then the deletion of [b, k)] and [k, z]. The first file's range ends
        // where its tombstone ends, at the key the second starts with.
        let fs = MemFileSystem::new();
        fs.create_dir_all(Path::new("/db")).unwrap();
        let first = Arc::new(Memtable::new(1, 1 << 20));
        apply(&first, 1, |b| b.put(KS, b"a", b"1"));
        apply(&first, 2, |b| b.delete_range(KS, b"b", b"k"));
        let second = Arc::new(Memtable::new(2, 1 << 20));
        apply(&second, 3, |b| {
            b.put(KS, b"k", b"2");
            b.put(KS, b"z", b"3");
        });
        let level_1 = vec![one_table(&fs, 10, &first), one_table(&fs, 20, &second)];
        let user_key = |k: &[u8]| key::make_user_key(KS.id, k);
        assert_eq!(level_1[0].1, user_key(b"k"), "the first file ends at k");
        assert_eq!(level_1[1].0, user_key(b"k"), "the second starts at k");
        let deeper = DeeperFiles {
            tables: vec![Vec::new(), level_1],
            ..DeeperFiles::default()
        };
        assert!(deeper.may_hold(&user_key(b"k")), "k is in the second file");
        assert!(deeper.may_hold(&user_key(b"a")));
        assert!(deeper.may_hold(&user_key(b"z")));
        assert!(!deeper.may_hold(&user_key(b"c")), "c is in neither filter");
        assert!(!deeper.may_hold(&user_key(b"zz")), "past every file");
    }

    #[test]
    fn outputs_are_cut_between_user_keys_with_tombstones_clipped() {
        let mem = Arc::new(Memtable::new(1, 1 << 20));
        apply(&mem, 1, |b| {
            for i in 0..40u32 {
                b.put(KS, format!("k{i:03}").as_bytes(), &[7; 40]);
            }
        });
        apply(&mem, 41, |b| b.delete_range(KS, b"k010", b"k030"));
        apply(&mem, 42, |b| b.put(KS, b"k015", b"new"));
        let (entries, tombstones, files) = survivors(&mem, &[], &DeeperFiles::everything(), 300);
        assert!(files >= 2, "small target: several files");
        let names: Vec<_> = entries.iter().map(|e| e.0.as_str()).collect();
        assert!(
            names.contains(&"k015") && !names.contains(&"k012"),
            "{names:?}"
        );
        assert_eq!(tombstones, vec![41]);
        // A snapshot from before the deletion keeps the covered keys, so files are cut inside the
        // deleted range and each gets its clipped piece of the tombstone.
        let (entries, tombstones, files) = survivors(&mem, &[40], &DeeperFiles::everything(), 300);
        assert!(files > 3, "{files} files");
        assert!(
            entries.iter().any(|e| e.0 == "k012"),
            "the snapshot still sees k012"
        );
        assert!(
            tombstones.len() >= 2,
            "the tombstone is split across files: {tombstones:?}"
        );
        assert!(tombstones.iter().all(|&t| t == 41));
    }
}
