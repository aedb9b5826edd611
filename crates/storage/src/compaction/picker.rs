//! Choosing the next compaction.
//!
//! Each level has a score: level 0 its file count over `level0_compaction_trigger`, deeper
//! levels their bytes over their target (`level1_bytes_max * multiplier^(level-1)`). The level
//! with the highest score ≥ 1 is compacted into the next: all of level 0, or one file of a
//! deeper level chosen round-robin by key, plus the files of the next level it overlaps. Files
//! overlapping nothing below (and, in level 0, each other) are moved, not rewritten. When no
//! level needs compacting, a file made mostly of deletions that no snapshot needs is compacted so
//! that the deletions and what they hide are dropped, provided that what they may reclaim is worth
//! rewriting the files below.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::sync::Arc;

use crate::SequenceNumber;
use crate::key::compare_internal;
use crate::options::Options;
use crate::version::{FileMeta, Version};

/// Share of deletions (point or range) above which a file is compacted to reclaim space.
const DELETION_RATIO_TRIGGER: f64 = 0.5;

/// A compaction for deletions that rewrites files of the level below must be able to reclaim
/// at least this share of their bytes.
const RECLAIM_SHARE_MIN: u64 = 4; // one quarter

/// One compaction to run.
#[derive(Debug, Clone)]
pub(crate) struct Compaction {
    /// Level of `inputs`.
    pub(crate) level: usize,
    /// Level of the outputs (`level + 1`, or `level` for an in-place rewrite at the bottom).
    pub(crate) output_level: usize,
    pub(crate) inputs: Vec<Arc<FileMeta>>,
    /// Files of `output_level` replaced by the outputs.
    pub(crate) next_inputs: Vec<Arc<FileMeta>>,
    /// Move the single input down without rewriting it.
    pub(crate) trivial_move: bool,
}

impl Compaction {
    /// Every input file.
    pub(crate) fn all_inputs(&self) -> impl Iterator<Item = &Arc<FileMeta>> {
        self.inputs.iter().chain(&self.next_inputs)
    }
}

fn key_range<'a>(files: impl Iterator<Item = &'a Arc<FileMeta>>) -> (Vec<u8>, Vec<u8>) {
    let mut lo: Option<&[u8]> = None;
    let mut hi: Option<&[u8]> = None;
    for f in files {
        lo = Some(lo.map_or(f.smallest_user_key(), |l| l.min(f.smallest_user_key())));
        hi = Some(hi.map_or(f.largest_user_key(), |h| h.max(f.largest_user_key())));
    }
    (
        lo.unwrap_or_default().to_vec(),
        hi.unwrap_or_default().to_vec(),
    )
}

/// Target bytes of `level` (≥ 1).
pub(crate) fn level_target_bytes(options: &Options, level: usize) -> u64 {
    let mut target = options.level1_bytes_max.max(1);
    for _ in 1..level {
        target = target.saturating_mul(options.level_size_multiplier.max(2));
    }
    target
}

/// Picks the next compaction, skipping files in `busy`. `pointers[level]` remembers where the
/// last compaction of each level ended (round-robin); `oldest_needed` is the oldest sequence a
/// reader may still need (the oldest snapshot, or the last sequence if there is none).
pub(crate) fn pick(
    version: &Version,
    options: &Options,
    busy: &HashSet<u64>,
    pointers: &mut [Vec<u8>],
    oldest_needed: SequenceNumber,
) -> Option<Compaction> {
    let levels = version.levels.len();
    let mut scores: Vec<(f64, usize)> = Vec::new();
    scores.push((
        version.levels[0].len() as f64 / options.level0_compaction_trigger.max(1) as f64,
        0,
    ));
    for level in 1..levels.saturating_sub(1) {
        scores.push((
            version.level_bytes(level) as f64 / level_target_bytes(options, level) as f64,
            level,
        ));
    }
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    for &(score, level) in &scores {
        if score < 1.0 {
            break;
        }
        let picked = if level == 0 {
            pick_level0(version, busy)
        } else {
            pick_level(version, busy, pointers, level)
        };
        if let Some(c) = picked {
            return Some(c);
        }
    }
    pick_for_deletions(version, busy, oldest_needed)
}

fn conflicts(files: &[Arc<FileMeta>], busy: &HashSet<u64>) -> bool {
    files.iter().any(|f| busy.contains(&f.number))
}

fn pick_level0(version: &Version, busy: &HashSet<u64>) -> Option<Compaction> {
    let inputs = version.levels[0].clone();
    if inputs.is_empty() || conflicts(&inputs, busy) {
        return None;
    }
    let (lo, hi) = key_range(inputs.iter());
    let next_inputs = version.overlapping(1, Some(&lo), Some(&hi));
    if conflicts(&next_inputs, busy) {
        return None;
    }
    // Level-0 files with disjoint ranges (a sequential load: a log, time-ordered keys) over an
    // empty stretch of level 1 already form a valid level-1 run: move them all down.
    let trivial_move = next_inputs.is_empty() && pairwise_disjoint(&inputs);
    Some(Compaction {
        level: 0,
        output_level: 1,
        inputs,
        next_inputs,
        trivial_move,
    })
}

/// Whether no two of `files` share a key, so that together they can form a sorted level.
fn pairwise_disjoint(files: &[Arc<FileMeta>]) -> bool {
    let mut sorted: Vec<&Arc<FileMeta>> = files.iter().collect();
    sorted.sort_by(|a, b| compare_internal(&a.smallest, &b.smallest));
    sorted
        .windows(2)
        .all(|pair| compare_internal(&pair[0].largest, &pair[1].smallest) == Ordering::Less)
}

fn pick_level(
    version: &Version,
    busy: &HashSet<u64>,
    pointers: &mut [Vec<u8>],
    level: usize,
) -> Option<Compaction> {
    let files = &version.levels[level];
    let start = files.partition_point(|f| f.smallest_user_key() <= pointers[level].as_slice());
    let order = (start..files.len()).chain(0..start);
    for i in order {
        let file = &files[i];
        if busy.contains(&file.number) {
            continue;
        }
        let next_inputs = version.overlapping(
            level + 1,
            Some(file.smallest_user_key()),
            Some(file.largest_user_key()),
        );
        if conflicts(&next_inputs, busy) {
            continue;
        }
        pointers[level] = file.largest_user_key().to_vec();
        let trivial_move = next_inputs.is_empty();
        return Some(Compaction {
            level,
            output_level: level + 1,
            inputs: vec![Arc::clone(file)],
            next_inputs,
            trivial_move,
        });
    }
    None
}

fn pick_for_deletions(
    version: &Version,
    busy: &HashSet<u64>,
    oldest_needed: SequenceNumber,
) -> Option<Compaction> {
    let levels = version.levels.len();
    for (level, files) in version.levels.iter().enumerate() {
        for file in files {
            if busy.contains(&file.number)
                || file.deletion_ratio() < DELETION_RATIO_TRIGGER
                || file.largest_sequence > oldest_needed
            {
                continue;
            }
            if level == 0 {
                if let Some(mut c) = pick_level0(version, busy)
                    && reclaims_enough(&c.inputs, &c.next_inputs)
                {
                    c.trivial_move = false;
                    return Some(c);
                }
                continue;
            }
            let (lo, hi) = (file.smallest_user_key(), file.largest_user_key());
            if !version.deeper_overlap(level, lo, hi) || level + 1 == levels {
                // Nothing below: rewrite in place, dropping the deletions with what they hide.
                return Some(Compaction {
                    level,
                    output_level: level,
                    inputs: vec![Arc::clone(file)],
                    next_inputs: Vec::new(),
                    trivial_move: false,
                });
            }
            let next_inputs = version.overlapping(level + 1, Some(lo), Some(hi));
            if conflicts(&next_inputs, busy) || !reclaims_enough(&[Arc::clone(file)], &next_inputs)
            {
                continue;
            }
            // Push the deletions down towards the data they hide (a move if nothing is in the way).
            let trivial_move = next_inputs.is_empty();
            return Some(Compaction {
                level,
                output_level: level + 1,
                inputs: vec![Arc::clone(file)],
                next_inputs,
                trivial_move,
            });
        }
    }
    None
}

/// Whether pushing the deletions of `inputs` into `below` may reclaim at least a quarter of the
/// bytes rewritten there. A point deletion hides at most one entry below (of their average
/// size); a range deletion may hide all of them.
///
/// Without this, a write load that deletes as much as it writes (an index whose entries move with
/// every update) flushes level-0 files that are mostly deletions, and each one would rewrite the
/// whole of level 1 to drop a few percent of it: an eightfold write amplification, measured.
/// Such deletions wait for the level's ordinary compaction instead.
fn reclaims_enough(inputs: &[Arc<FileMeta>], below: &[Arc<FileMeta>]) -> bool {
    if below.is_empty() || inputs.iter().any(|f| f.range_deletions > 0) {
        return true;
    }
    let below_bytes: u128 = below.iter().map(|f| u128::from(f.file_bytes)).sum();
    let below_entries: u128 = below.iter().map(|f| u128::from(f.entries)).sum();
    let deletions: u128 = inputs.iter().map(|f| u128::from(f.deletions)).sum();
    let reclaimable = deletions * below_bytes / below_entries.max(1);
    reclaimable * u128::from(RECLAIM_SHARE_MIN) >= below_bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::MemFileSystem;
    use crate::key::{ValueKind, trailer};
    use crate::version::tests::meta;

    fn options(level1_bytes_max: u64) -> Options {
        let mut o = Options::new("/db", Arc::new(MemFileSystem::new()));
        o.level0_compaction_trigger = 2;
        o.level1_bytes_max = level1_bytes_max;
        o
    }

    #[test]
    fn level0_over_trigger_compacts_into_overlapping_level1_files() {
        let mut v = Version::new(4);
        v.levels[0] = vec![
            Arc::new(meta(10, "c", "f", trailer(1, ValueKind::Put))),
            Arc::new(meta(11, "a", "b", trailer(1, ValueKind::Put))),
        ];
        v.levels[1] = vec![
            Arc::new(meta(1, "a", "b", trailer(1, ValueKind::Put))),
            Arc::new(meta(2, "x", "z", trailer(1, ValueKind::Put))),
        ];
        let mut pointers = vec![Vec::new(); 4];
        let c = pick(&v, &options(1000), &HashSet::new(), &mut pointers, 100).unwrap();
        assert_eq!((c.level, c.output_level, c.inputs.len()), (0, 1, 2));
        assert_eq!(
            c.next_inputs.iter().map(|f| f.number).collect::<Vec<_>>(),
            vec![1]
        );
        let busy: HashSet<u64> = [1].into();
        assert!(
            pick(&v, &options(1000), &busy, &mut pointers, 100).is_none(),
            "level-1 input is busy"
        );
    }

    #[test]
    fn disjoint_level0_files_over_an_empty_stretch_move_down_together() {
        let put = trailer(1, ValueKind::Put);
        let mut v = Version::new(4);
        v.levels[0] = vec![
            Arc::new(meta(12, "g", "k", put)),
            Arc::new(meta(11, "a", "c", put)),
            Arc::new(meta(10, "d", "f", put)),
        ];
        v.levels[1] = vec![Arc::new(meta(1, "x", "z", put))];
        let mut pointers = vec![Vec::new(); 4];
        let c = pick(&v, &options(1000), &HashSet::new(), &mut pointers, 100).unwrap();
        assert!(c.trivial_move && c.inputs.len() == 3 && c.next_inputs.is_empty());
        // One level-1 file in the way, or two level-0 files sharing a key: rewrite.
        v.levels[1].push(Arc::new(meta(2, "e", "e", put)));
        let c = pick(&v, &options(1000), &HashSet::new(), &mut pointers, 100).unwrap();
        assert!(!c.trivial_move);
        v.levels[1].pop();
        v.levels[0].push(Arc::new(meta(13, "k", "m", put)));
        let c = pick(&v, &options(1000), &HashSet::new(), &mut pointers, 100).unwrap();
        assert!(!c.trivial_move, "files 12 and 13 share key k");
    }

    #[test]
    fn deeper_levels_round_robin_and_move_when_nothing_overlaps() {
        let mut v = Version::new(4);
        v.levels[1] = vec![
            Arc::new(meta(1, "a", "b", trailer(1, ValueKind::Put))),
            Arc::new(meta(2, "c", "d", trailer(1, ValueKind::Put))),
        ];
        let mut pointers = vec![Vec::new(); 4];
        let c = pick(&v, &options(150), &HashSet::new(), &mut pointers, 100).unwrap();
        assert_eq!(c.inputs[0].number, 1);
        assert!(c.trivial_move);
        let c = pick(&v, &options(150), &HashSet::new(), &mut pointers, 100).unwrap();
        assert_eq!(
            c.inputs[0].number, 2,
            "round robin continues after the last key"
        );
    }

    #[test]
    fn files_of_deletions_are_rewritten_once_no_snapshot_needs_them() {
        let mut v = Version::new(4);
        let mut f = meta(5, "a", "z", trailer(1, ValueKind::Put));
        f.deletions = 1;
        f.largest_sequence = 50;
        v.levels[3] = vec![Arc::new(f)];
        let mut pointers = vec![Vec::new(); 4];
        assert!(
            pick(&v, &options(1000), &HashSet::new(), &mut pointers, 40).is_none(),
            "a snapshot at 40 needs them"
        );
        let c = pick(&v, &options(1000), &HashSet::new(), &mut pointers, 50).unwrap();
        assert_eq!((c.level, c.output_level, c.trivial_move), (3, 3, false));
    }

    #[test]
    fn deletions_are_pushed_down_only_where_they_reclaim_enough() {
        let deletions = |number, n: u64| {
            let mut f = meta(number, "c", "k", trailer(9, ValueKind::Delete));
            f.entries = n;
            f.deletions = n;
            f.largest_sequence = 9;
            Arc::new(f)
        };
        let below = |entries: u64| {
            let mut f = meta(7, "a", "z", trailer(1, ValueKind::Put));
            f.entries = entries;
            f.file_bytes = entries * 100;
            Arc::new(f)
        };
        let mut pointers = vec![Vec::new(); 4];
        let options = options(1_000_000_000);
        // Level 0: 10 deletions over 100 entries below may reclaim a tenth: not worth it.
        let mut v = Version::new(4);
        v.levels[0] = vec![deletions(1, 10)];
        v.levels[1] = vec![below(100)];
        assert!(pick(&v, &options, &HashSet::new(), &mut pointers, 100).is_none());
        // 30 deletions may reclaim 30%: compacted into level 1.
        v.levels[0] = vec![deletions(1, 30)];
        let c = pick(&v, &options, &HashSet::new(), &mut pointers, 100).unwrap();
        assert_eq!((c.level, c.output_level, c.next_inputs.len()), (0, 1, 1));
        // The same from level 2 into level 3.
        let mut v = Version::new(4);
        v.levels[2] = vec![deletions(1, 10)];
        v.levels[3] = vec![below(100)];
        assert!(pick(&v, &options, &HashSet::new(), &mut pointers, 100).is_none());
        v.levels[2] = vec![deletions(1, 25)];
        let c = pick(&v, &options, &HashSet::new(), &mut pointers, 100).unwrap();
        assert_eq!((c.level, c.output_level), (2, 3));
        // A range deletion may hide everything below.
        let mut f = meta(1, "c", "k", trailer(9, ValueKind::Put));
        f.range_deletions = 1;
        f.largest_sequence = 9;
        v.levels[2] = vec![Arc::new(f)];
        let c = pick(&v, &options, &HashSet::new(), &mut pointers, 100).unwrap();
        assert_eq!((c.level, c.output_level), (2, 3));
    }
}
