//! [`Version`]: the set of live table files, level by level, at one point in time.
//!
//! Level 0 holds flushed memtables: files may overlap and are ordered newest first. Every deeper
//! level holds files with disjoint key ranges, ordered by key. For any user key, versions in a
//! shallower level are newer than versions in a deeper one; reads rely on this to stop at the
//! first level that knows the key. A version is immutable; changes make a new one.

use std::cmp::Ordering;
use std::sync::Arc;

use crate::SequenceNumber;
use crate::error::Result;
use crate::key::{self, MAX_TRAILER, compare_internal};
use crate::memtable::{Lookup, LookupKey};
use crate::table_cache::TableCache;

/// What the manifest records about a table file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileMeta {
    pub(crate) number: u64,
    pub(crate) file_bytes: u64,
    /// Smallest internal key (range tombstone starts appear as `start @ MAX_TRAILER`).
    pub(crate) smallest: Vec<u8>,
    /// Largest internal key; `end @ MAX_TRAILER` when a range tombstone ends the file, meaning
    /// the file covers user keys *before* `end` only.
    pub(crate) largest: Vec<u8>,
    pub(crate) smallest_sequence: SequenceNumber,
    pub(crate) largest_sequence: SequenceNumber,
    pub(crate) entries: u64,
    pub(crate) deletions: u64,
    pub(crate) range_deletions: u64,
}

impl FileMeta {
    pub(crate) fn smallest_user_key(&self) -> &[u8] {
        key::user_key(&self.smallest)
    }

    pub(crate) fn largest_user_key(&self) -> &[u8] {
        key::user_key(&self.largest)
    }

    /// Whether the file's range may hold `user_key` (exact, honouring an exclusive end).
    pub(crate) fn covers_user_key(&self, user_key: &[u8]) -> bool {
        if user_key < self.smallest_user_key() {
            return false;
        }
        match user_key.cmp(self.largest_user_key()) {
            Ordering::Less => true,
            Ordering::Equal => key::trailer_of(&self.largest) != MAX_TRAILER,
            Ordering::Greater => false,
        }
    }

    /// Whether the file's user-key range meets `[lo, hi]` (both inclusive; `None`: unbounded).
    /// Conservative: an exclusive end is treated as inclusive.
    pub(crate) fn overlaps(&self, lo: Option<&[u8]>, hi: Option<&[u8]>) -> bool {
        lo.is_none_or(|lo| self.largest_user_key() >= lo)
            && hi.is_none_or(|hi| self.smallest_user_key() <= hi)
    }

    /// Deletions (point and range) as a share of entries: how much a rewrite could reclaim.
    pub(crate) fn deletion_ratio(&self) -> f64 {
        let deletes = self.deletions + self.range_deletions;
        if deletes == 0 {
            return 0.0;
        }
        deletes as f64 / (self.entries + self.range_deletions).max(1) as f64
    }
}

/// The live files of every level.
#[derive(Debug, Clone)]
pub(crate) struct Version {
    pub(crate) levels: Vec<Vec<Arc<FileMeta>>>,
}

impl Version {
    /// An empty version with `levels` levels.
    pub(crate) fn new(levels: usize) -> Self {
        Self {
            levels: vec![Vec::new(); levels],
        }
    }

    /// Sorts each level into its reading order (level 0 newest first, others by key).
    pub(crate) fn sort(&mut self) {
        if let Some(l0) = self.levels.first_mut() {
            l0.sort_by(|a, b| {
                b.largest_sequence
                    .cmp(&a.largest_sequence)
                    .then(b.number.cmp(&a.number))
            });
        }
        for level in self.levels.iter_mut().skip(1) {
            level.sort_by(|a, b| compare_internal(&a.smallest, &b.smallest));
        }
    }

    /// Checks the level invariant (deeper levels hold disjoint, ordered ranges).
    pub(crate) fn check_invariants(&self) -> Result<(), String> {
        for (level, files) in self.levels.iter().enumerate().skip(1) {
            for pair in files.windows(2) {
                if compare_internal(&pair[0].largest, &pair[1].smallest) != Ordering::Less {
                    return Err(format!(
                        "level {level}: files {} and {} overlap",
                        pair[0].number, pair[1].number
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every live file number.
    pub(crate) fn file_numbers(&self) -> impl Iterator<Item = u64> + '_ {
        self.levels.iter().flatten().map(|f| f.number)
    }

    /// Index of the first file in sorted level `level` (≥ 1) whose largest key is `>= ikey`.
    pub(crate) fn find_file(&self, level: usize, ikey: &[u8]) -> usize {
        self.levels[level].partition_point(|f| compare_internal(&f.largest, ikey) == Ordering::Less)
    }

    /// The newest version of the looked-up key visible at its read sequence in the tables.
    pub(crate) fn get(&self, tables: &TableCache, lookup: &LookupKey) -> Result<Lookup> {
        let (user_key, read_sequence) = (lookup.user_key(), lookup.sequence());
        let target = lookup.internal_key();
        let hash = lookup.hash();
        for file in &self.levels[0] {
            if file.smallest_sequence > read_sequence || !file.covers_user_key(user_key) {
                continue;
            }
            match tables
                .get(file)?
                .get(user_key, target, hash, read_sequence)?
            {
                Lookup::Absent => {}
                found => return Ok(found),
            }
        }
        for level in 1..self.levels.len() {
            let files = &self.levels[level];
            if files.is_empty() {
                continue;
            }
            let i = self.find_file(level, target);
            let Some(file) = files.get(i) else { continue };
            if !file.covers_user_key(user_key) {
                continue;
            }
            match tables
                .get(file)?
                .get(user_key, target, hash, read_sequence)?
            {
                Lookup::Absent => {}
                found => return Ok(found),
            }
        }
        Ok(Lookup::Absent)
    }

    /// Files of `level` whose ranges meet `[lo, hi]` (inclusive, conservative).
    pub(crate) fn overlapping(
        &self,
        level: usize,
        lo: Option<&[u8]>,
        hi: Option<&[u8]>,
    ) -> Vec<Arc<FileMeta>> {
        self.levels[level]
            .iter()
            .filter(|f| f.overlaps(lo, hi))
            .cloned()
            .collect()
    }

    /// Whether any level deeper than `level` has a file meeting `[lo, hi]`.
    pub(crate) fn deeper_overlap(&self, level: usize, lo: &[u8], hi: &[u8]) -> bool {
        self.levels
            .iter()
            .skip(level + 1)
            .flatten()
            .any(|f| f.overlaps(Some(lo), Some(hi)))
    }

    /// Total bytes of a level.
    pub(crate) fn level_bytes(&self, level: usize) -> u64 {
        self.levels[level].iter().map(|f| f.file_bytes).sum()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::key::{ValueKind, internal_key, trailer};

    pub(crate) fn meta(number: u64, lo: &str, hi: &str, hi_trailer: u64) -> FileMeta {
        FileMeta {
            number,
            file_bytes: 100,
            smallest: internal_key(lo.as_bytes(), trailer(1, ValueKind::Put)),
            largest: internal_key(hi.as_bytes(), hi_trailer),
            smallest_sequence: 1,
            largest_sequence: 1,
            entries: 1,
            deletions: 0,
            range_deletions: 0,
        }
    }

    #[test]
    fn exclusive_end_sentinel_excludes_its_key() {
        let f = meta(1, "b", "f", MAX_TRAILER);
        assert!(f.covers_user_key(b"b"));
        assert!(f.covers_user_key(b"e"));
        assert!(!f.covers_user_key(b"f"));
        let g = meta(2, "b", "f", trailer(3, ValueKind::Put));
        assert!(g.covers_user_key(b"f"));
    }

    #[test]
    fn find_file_skips_a_file_ending_with_a_sentinel_at_the_key() {
        let mut v = Version::new(2);
        v.levels[1] = vec![
            Arc::new(meta(1, "a", "f", MAX_TRAILER)),
            Arc::new(meta(2, "f", "k", trailer(1, ValueKind::Put))),
        ];
        v.check_invariants().unwrap();
        let target = internal_key(b"f", (100 << 8) | 0xff);
        assert_eq!(v.find_file(1, &target), 1);
        let target = internal_key(b"e", (100 << 8) | 0xff);
        assert_eq!(v.find_file(1, &target), 0);
    }
}
