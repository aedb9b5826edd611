//! A table's partitions: contiguous ranges of the 64-bit hash space of its partition keys.
//!
//! Items are stored under `table | index | hash64(partition key) | ...`, so a range of hashes is a
//! contiguous range of storage keys: a partition can be copied, split or dropped as one range.
//! A table starts with a few even partitions; a partition that grows too large or too hot is split
//! at the middle of its range. Each partition is placed on the [`Ring`] at a point derived from the
//! table and the start of its range, so different tables spread differently, and the left half of
//! a split keeps its replicas (only the right half may move).

use crate::node::NodeId;
use crate::ring::{Ring, mix};

/// An inclusive range of partition-key hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HashRange {
    /// First hash of the range.
    pub first: u64,
    /// Last hash of the range (inclusive, so the last range can end at `u64::MAX`).
    pub last: u64,
}

impl HashRange {
    /// Whether `hash` falls in the range.
    pub fn contains(&self, hash: u64) -> bool {
        self.first <= hash && hash <= self.last
    }
}

/// How a table's hash space is divided.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TablePartitions {
    table: u64,
    /// First hash of each partition, ascending; the first is 0.
    starts: Vec<u64>,
}

impl TablePartitions {
    /// `count` (at least 1) partitions of equal width for table `table`.
    pub fn even(table: u64, count: usize) -> TablePartitions {
        let count = count.max(1) as u128;
        let width = (1u128 << 64) / count;
        let starts = (0..count).map(|i| (i * width) as u64).collect();
        TablePartitions { table, starts }
    }

    /// The table these partitions divide.
    pub fn table(&self) -> u64 {
        self.table
    }

    /// Number of partitions.
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Always false: a table has at least one partition.
    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The hashes of partition `index` (< [`Self::len`]).
    pub fn range(&self, index: usize) -> HashRange {
        let first = self.starts[index];
        let last = match self.starts.get(index + 1) {
            Some(next) => next - 1,
            None => u64::MAX,
        };
        HashRange { first, last }
    }

    /// The partition holding items whose partition key hashes to `hash`.
    pub fn partition_of(&self, hash: u64) -> usize {
        self.starts.partition_point(|&start| start <= hash) - 1
    }

    /// Splits partition `index` at the middle of its range: it keeps the lower half and a new
    /// partition at `index + 1` takes the upper half. Returns false (and changes nothing) when the
    /// range holds a single hash.
    pub fn split(&mut self, index: usize) -> bool {
        let range = self.range(index);
        if range.first == range.last {
            return false;
        }
        let middle = range.first + (range.last - range.first) / 2 + 1;
        self.starts.insert(index + 1, middle);
        true
    }

    /// Where each partition's `replication_factor` replicas live (fewer when the ring has fewer
    /// nodes), preferred leader first.
    pub fn place(&self, ring: &Ring, replication_factor: usize) -> Placement {
        let replicas = self
            .starts
            .iter()
            .map(|&start| ring.replicas(self.point(start), replication_factor))
            .collect();
        Placement { replicas }
    }

    /// The ring point of the partition starting at `start`.
    fn point(&self, start: u64) -> u64 {
        mix(mix(self.table) ^ start)
    }
}

/// The replica sets of a table's partitions, in partition order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Placement {
    replicas: Vec<Vec<NodeId>>,
}

impl Placement {
    /// The replicas of partition `index`, preferred leader first.
    pub fn replicas(&self, index: usize) -> &[NodeId] {
        &self.replicas[index]
    }

    /// Each partition's replicas, in partition order.
    pub fn iter(&self) -> impl Iterator<Item = &[NodeId]> {
        self.replicas.iter().map(Vec::as_slice)
    }

    /// Replicas that exist in `next` but not here: the copies a change of placement must build.
    /// Both placements must be of the same partitions.
    pub fn moves_to(&self, next: &Placement) -> usize {
        assert_eq!(
            self.replicas.len(),
            next.replicas.len(),
            "placements of different partitions"
        );
        self.replicas
            .iter()
            .zip(&next.replicas)
            .map(|(old, new)| new.iter().filter(|n| !old.contains(n)).count())
            .sum()
    }

    /// Replicas per node, in node order.
    pub fn load(&self) -> Vec<(NodeId, usize)> {
        let mut load: Vec<(NodeId, usize)> = Vec::new();
        for node in self.replicas.iter().flatten() {
            match load.iter_mut().find(|(n, _)| n == node) {
                Some((_, count)) => *count += 1,
                None => load.push((*node, 1)),
            }
        }
        load.sort_unstable();
        load
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::TOKENS_PER_NODE;
    use proptest::prelude::*;

    fn members(count: u64) -> Vec<NodeId> {
        (1..=count).map(|n| NodeId::new(mix(n)).unwrap()).collect()
    }

    #[test]
    fn even_partitions_cover_the_hash_space_without_gaps() {
        for count in [1, 2, 3, 7, 64] {
            let table = TablePartitions::even(1, count);
            assert_eq!(table.len(), count);
            assert_eq!(table.range(0).first, 0);
            assert_eq!(table.range(count - 1).last, u64::MAX);
            for i in 1..count {
                assert_eq!(table.range(i).first, table.range(i - 1).last + 1);
            }
        }
    }

    #[test]
    fn splitting_halves_a_range() {
        let mut table = TablePartitions::even(1, 1);
        assert!(table.split(0));
        assert_eq!(
            table.range(0),
            HashRange {
                first: 0,
                last: u64::MAX / 2
            }
        );
        assert_eq!(
            table.range(1),
            HashRange {
                first: u64::MAX / 2 + 1,
                last: u64::MAX
            }
        );
        let mut tiny = TablePartitions {
            table: 1,
            starts: vec![0, 5, 6],
        };
        assert!(!tiny.split(1));
        assert!(tiny.split(0));
        assert_eq!(tiny.range(0), HashRange { first: 0, last: 2 });
        assert_eq!(tiny.range(1), HashRange { first: 3, last: 4 });
    }

    #[test]
    fn a_split_keeps_the_lower_half_where_it_was() {
        let ring = Ring::new(&members(5), TOKENS_PER_NODE);
        let mut table = TablePartitions::even(9, 4);
        let before = table.place(&ring, 3);
        assert!(table.split(2));
        let after = table.place(&ring, 3);
        assert_eq!(after.replicas(2), before.replicas(2));
        // The partitions after it only shift by one place.
        assert_eq!(after.replicas(4), before.replicas(3));
    }

    #[test]
    fn replicas_spread_evenly_and_a_newcomer_takes_its_share() {
        let table = TablePartitions::even(3, 1024);
        let five = Ring::new(&members(5), TOKENS_PER_NODE);
        let six = Ring::new(&members(6), TOKENS_PER_NODE);
        let before = table.place(&five, 3);
        let after = table.place(&six, 3);
        // 3,072 replicas over 5 nodes: about 614 each.
        for (node, count) in before.load() {
            assert!(
                (430..=800).contains(&count),
                "{node} holds {count} replicas"
            );
        }
        // The sixth node should take about 1/6 of all replicas (512), and nothing else moves.
        let moved = before.moves_to(&after);
        assert!((256..=768).contains(&moved), "{moved} replicas moved");
        let newcomer = members(6)[5];
        let held = after
            .load()
            .into_iter()
            .find(|(n, _)| *n == newcomer)
            .unwrap()
            .1;
        assert_eq!(moved, held);
    }

    proptest! {
        #[test]
        fn every_hash_has_exactly_one_partition(
            count in 1usize..50,
            splits in prop::collection::vec(any::<prop::sample::Index>(), 0..20),
            hashes in prop::collection::vec(any::<u64>(), 32),
        ) {
            let mut table = TablePartitions::even(1, count);
            for split in splits {
                let index = split.index(table.len());
                table.split(index);
            }
            for hash in hashes.into_iter().chain([0, u64::MAX]) {
                let owners: Vec<usize> = (0..table.len()).filter(|&i| table.range(i).contains(hash)).collect();
                prop_assert_eq!(owners, vec![table.partition_of(hash)]);
            }
        }
    }
}
