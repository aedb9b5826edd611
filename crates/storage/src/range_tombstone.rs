//! Range tombstones: `delete_range` kept as one record instead of one deletion per key.
//!
//! A tombstone `[start, end) @ seq` hides every version of a key in the range whose sequence is
//! lower than `seq`, for readers whose read sequence is at least `seq`. Tombstones may overlap,
//! so for lookups they are *fragmented*: cut at every start and end into non-overlapping
//! fragments, each carrying the sequence numbers of all tombstones covering it (newest first).
//! Then "which tombstones cover key k" is one binary search.

use crate::SequenceNumber;

/// One deletion of the user keys in `[start, end)` at `sequence`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RangeTombstone {
    pub(crate) start: Vec<u8>,
    pub(crate) end: Vec<u8>,
    pub(crate) sequence: SequenceNumber,
}

/// A piece of the key space `[start, end)` covered by tombstones at `sequences` (descending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fragment {
    pub(crate) start: Vec<u8>,
    pub(crate) end: Vec<u8>,
    pub(crate) sequences: Vec<SequenceNumber>,
}

impl Fragment {
    /// The newest sequence visible at `read_sequence`, if any.
    #[inline]
    pub(crate) fn newest_visible(&self, read_sequence: SequenceNumber) -> Option<SequenceNumber> {
        self.sequences.iter().copied().find(|&s| s <= read_sequence)
    }
}

/// Non-overlapping fragments sorted by start key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FragmentedTombstones {
    fragments: Vec<Fragment>,
}

impl FragmentedTombstones {
    /// Fragments `tombstones` (in any order, possibly overlapping). Empty ranges are ignored.
    pub(crate) fn build(tombstones: impl IntoIterator<Item = RangeTombstone>) -> Self {
        let mut list: Vec<RangeTombstone> =
            tombstones.into_iter().filter(|t| t.start < t.end).collect();
        if list.is_empty() {
            return Self::default();
        }
        list.sort_by(|a, b| a.start.cmp(&b.start));
        let mut bounds: Vec<&[u8]> = list
            .iter()
            .flat_map(|t| [&t.start[..], &t.end[..]])
            .collect();
        bounds.sort_unstable();
        bounds.dedup();
        let mut fragments = Vec::new();
        let mut active: Vec<&RangeTombstone> = Vec::new();
        let mut next = 0;
        for pair in bounds.windows(2) {
            let (lo, hi) = (pair[0], pair[1]);
            active.retain(|t| &t.end[..] > lo);
            while next < list.len() && &list[next].start[..] <= lo {
                active.push(&list[next]);
                next += 1;
            }
            if active.is_empty() {
                continue;
            }
            let mut sequences: Vec<SequenceNumber> = active.iter().map(|t| t.sequence).collect();
            sequences.sort_unstable_by(|a, b| b.cmp(a));
            sequences.dedup();
            fragments.push(Fragment {
                start: lo.to_vec(),
                end: hi.to_vec(),
                sequences,
            });
        }
        Self { fragments }
    }

    /// Wraps fragments that are already sorted and non-overlapping (as stored in a table).
    pub(crate) fn from_sorted(fragments: Vec<Fragment>) -> Result<Self, String> {
        for f in &fragments {
            if f.start >= f.end || f.sequences.is_empty() {
                return Err("empty range tombstone fragment".to_owned());
            }
            if f.sequences.windows(2).any(|w| w[0] <= w[1]) {
                return Err("range tombstone sequences out of order".to_owned());
            }
        }
        if fragments.windows(2).any(|w| w[0].end > w[1].start) {
            return Err("range tombstone fragments overlap or are out of order".to_owned());
        }
        Ok(Self { fragments })
    }

    /// Whether there are no tombstones.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.fragments.is_empty()
    }

    /// The fragments in key order.
    pub(crate) fn fragments(&self) -> &[Fragment] {
        &self.fragments
    }

    /// The fragment containing `key`, if any.
    #[inline]
    pub(crate) fn fragment_at(&self, key: &[u8]) -> Option<&Fragment> {
        if self.fragments.is_empty() {
            return None;
        }
        let i = self.fragments.partition_point(|f| &f.end[..] <= key);
        self.fragments.get(i).filter(|f| &f.start[..] <= key)
    }

    /// The newest tombstone sequence covering `key` that a reader at `read_sequence` sees.
    #[inline]
    pub(crate) fn max_covering(
        &self,
        key: &[u8],
        read_sequence: SequenceNumber,
    ) -> Option<SequenceNumber> {
        self.fragment_at(key)?.newest_visible(read_sequence)
    }

    /// Every (start, end, sequence) overlapping `[lo, hi)` (`hi = None`: unbounded), unclipped.
    pub(crate) fn overlapping<'a>(
        &'a self,
        lo: &'a [u8],
        hi: Option<&'a [u8]>,
    ) -> impl Iterator<Item = &'a Fragment> + 'a {
        let first = self.fragments.partition_point(|f| &f.end[..] <= lo);
        self.fragments[first..]
            .iter()
            .take_while(move |f| hi.is_none_or(|hi| &f.start[..] < hi))
    }

    /// The fragments clipped to `[lo, hi)` (`hi = None`: unbounded).
    pub(crate) fn clipped(&self, lo: &[u8], hi: Option<&[u8]>) -> Vec<Fragment> {
        self.overlapping(lo, hi)
            .map(|f| Fragment {
                start: f.start.as_slice().max(lo).to_vec(),
                end: match hi {
                    Some(hi) => f.end.as_slice().min(hi).to_vec(),
                    None => f.end.clone(),
                },
                sequences: f.sequences.clone(),
            })
            .filter(|f| f.start < f.end)
            .collect()
    }

    /// All tombstones as (start, end, sequence), one per sequence of each fragment.
    pub(crate) fn tombstones(&self) -> impl Iterator<Item = RangeTombstone> + '_ {
        self.fragments.iter().flat_map(|f| {
            f.sequences.iter().map(move |&sequence| RangeTombstone {
                start: f.start.clone(),
                end: f.end.clone(),
                sequence,
            })
        })
    }
}

/// The tombstones a reader at one sequence number sees, reduced to the newest per fragment.
#[derive(Debug, Default)]
pub(crate) struct VisibleTombstones {
    fragments: Vec<(Vec<u8>, Vec<u8>, SequenceNumber)>,
}

impl VisibleTombstones {
    /// Collects from `sources` the tombstones overlapping `[lo, hi)` visible at `read_sequence`.
    pub(crate) fn collect<'a>(
        sources: impl IntoIterator<Item = &'a FragmentedTombstones>,
        lo: &[u8],
        hi: Option<&[u8]>,
        read_sequence: SequenceNumber,
    ) -> Self {
        let mut raw: Vec<(&[u8], &[u8], SequenceNumber)> = Vec::new();
        for source in sources {
            for f in source.overlapping(lo, hi) {
                if let Some(sequence) = f.newest_visible(read_sequence) {
                    raw.push((&f.start, &f.end, sequence));
                }
            }
        }
        if raw.is_empty() {
            return Self::default();
        }
        // Sweep the boundaries in order, keeping the multiset of sequences of the tombstones
        // covering the current piece; each piece needs only the largest.
        let mut events: Vec<(&[u8], bool, SequenceNumber)> = Vec::with_capacity(raw.len() * 2);
        for &(start, end, sequence) in &raw {
            events.push((start, true, sequence));
            events.push((end, false, sequence));
        }
        events.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut active: std::collections::BTreeMap<SequenceNumber, usize> =
            std::collections::BTreeMap::new();
        let mut fragments: Vec<(Vec<u8>, Vec<u8>, SequenceNumber)> = Vec::new();
        let mut i = 0;
        while i < events.len() {
            let at = events[i].0;
            while i < events.len() && events[i].0 == at {
                let (_, starts, sequence) = events[i];
                if starts {
                    *active.entry(sequence).or_insert(0) += 1;
                } else if let Some(count) = active.get_mut(&sequence) {
                    *count -= 1;
                    if *count == 0 {
                        active.remove(&sequence);
                    }
                }
                i += 1;
            }
            let (Some((&max, _)), Some(next)) = (active.last_key_value(), events.get(i)) else {
                continue;
            };
            match fragments.last_mut() {
                Some(last) if last.1 == at && last.2 == max => last.1 = next.0.to_vec(),
                _ => fragments.push((at.to_vec(), next.0.to_vec(), max)),
            }
        }
        Self { fragments }
    }

    /// Whether a version of `key` at `sequence` is hidden by a visible tombstone.
    #[inline]
    pub(crate) fn covers(&self, key: &[u8], sequence: SequenceNumber) -> bool {
        if self.fragments.is_empty() {
            return false;
        }
        let i = self.fragments.partition_point(|f| &f.1[..] <= key);
        matches!(self.fragments.get(i), Some(f) if &f.0[..] <= key && f.2 > sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(start: &str, end: &str, sequence: u64) -> RangeTombstone {
        RangeTombstone {
            start: start.into(),
            end: end.into(),
            sequence,
        }
    }

    #[test]
    fn overlapping_tombstones_are_fragmented() {
        let f = FragmentedTombstones::build([t("b", "f", 5), t("d", "h", 9), t("x", "x", 3)]);
        let got: Vec<_> = f
            .fragments()
            .iter()
            .map(|f| {
                (
                    String::from_utf8(f.start.clone()).unwrap(),
                    f.sequences.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("b".into(), vec![5]),
                ("d".into(), vec![9, 5]),
                ("f".into(), vec![9])
            ]
        );
        assert_eq!(f.max_covering(b"a", 100), None);
        assert_eq!(f.max_covering(b"c", 100), Some(5));
        assert_eq!(f.max_covering(b"e", 100), Some(9));
        assert_eq!(
            f.max_covering(b"e", 8),
            Some(5),
            "a reader at 8 does not see @9"
        );
        assert_eq!(f.max_covering(b"h", 100), None, "end is exclusive");
        assert_eq!(f.max_covering(b"c", 4), None);
    }

    #[test]
    fn clipping_keeps_only_the_window() {
        let f = FragmentedTombstones::build([t("b", "m", 5)]);
        let c = f.clipped(b"d", Some(b"g"));
        assert_eq!(c.len(), 1);
        assert_eq!((&c[0].start[..], &c[0].end[..]), (&b"d"[..], &b"g"[..]));
        assert!(f.clipped(b"m", None).is_empty());
    }

    #[test]
    fn visible_tombstones_merge_sources() {
        let a = FragmentedTombstones::build([t("a", "c", 4)]);
        let b = FragmentedTombstones::build([t("b", "e", 7)]);
        let v = VisibleTombstones::collect([&a, &b], b"", None, 6);
        assert!(v.covers(b"b", 3));
        assert!(!v.covers(b"b", 4), "a tombstone hides only older versions");
        assert!(!v.covers(b"d", 1), "@7 is invisible at read sequence 6");
        let v = VisibleTombstones::collect([&a, &b], b"", None, 10);
        assert!(v.covers(b"d", 6));
        assert!(v.covers(b"b", 6));
    }

    #[test]
    fn visible_tombstones_match_brute_force() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for _ in 0..50 {
            let all: Vec<RangeTombstone> = (0..next(12))
                .map(|_| {
                    let a = next(20) as u8;
                    let b = next(20) as u8;
                    RangeTombstone {
                        start: vec![a.min(b)],
                        end: vec![a.max(b)],
                        sequence: 1 + next(30),
                    }
                })
                .collect();
            let split = all.len() / 2;
            let x = FragmentedTombstones::build(all[..split].iter().cloned());
            let y = FragmentedTombstones::build(all[split..].iter().cloned());
            let read = next(35);
            let v = VisibleTombstones::collect([&x, &y], b"", None, read);
            for key in 0..21u8 {
                for version in 0..32 {
                    let expected = all.iter().any(|t| {
                        t.start[0] <= key
                            && key < t.end[0]
                            && t.sequence <= read
                            && t.sequence > version
                    });
                    assert_eq!(
                        v.covers(&[key], version),
                        expected,
                        "key {key} version {version} read {read}"
                    );
                }
            }
        }
    }
}
