//! Consistent hashing over virtual-node tokens.
//!
//! Each node owns `tokens_per_node` points ("tokens") of the 64-bit hash space, derived from its id
//! alone, so every node computes the same ring from the same member list. The replicas of a point
//! are the first `n` *distinct* nodes met walking clockwise from it. Two properties follow, and the
//! tests below check them:
//!
//! - adding a node changes at most one member of any replica set (the newcomer takes the place of
//!   the last one), and removing a node changes only the sets that held it (the next node on the
//!   ring takes its place); so a change of membership moves about `n/N` of the replicas;
//! - with enough tokens per node the hash space, and so the replicas, spread evenly.

use crate::node::NodeId;

/// Tokens per node unless configured: enough that each node's share of the hash space is within
/// about ±15% of the mean at small cluster sizes.
pub const TOKENS_PER_NODE: usize = 128;

/// The ring of a fixed member list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// `(token, owner)`, sorted by token then owner (a tie between two nodes' tokens is resolved
    /// the same way everywhere).
    tokens: Vec<(u64, NodeId)>,
    nodes: usize,
}

impl Ring {
    /// The ring of `nodes` (duplicates count once), each with `tokens_per_node` tokens (at least 1).
    pub fn new(nodes: &[NodeId], tokens_per_node: usize) -> Ring {
        let mut members = nodes.to_vec();
        members.sort_unstable();
        members.dedup();
        let per_node = tokens_per_node.max(1);
        let mut tokens: Vec<(u64, NodeId)> = members
            .iter()
            .flat_map(|&node| (0..per_node as u64).map(move |i| (token(node, i), node)))
            .collect();
        tokens.sort_unstable();
        Ring {
            tokens,
            nodes: members.len(),
        }
    }

    /// Distinct nodes on the ring.
    pub fn node_count(&self) -> usize {
        self.nodes
    }

    /// The replicas of `point`: the first `count` distinct nodes clockwise from it (fewer when the
    /// ring has fewer nodes), in ring order. The first is the preferred leader.
    pub fn replicas(&self, point: u64, count: usize) -> Vec<NodeId> {
        let wanted = count.min(self.nodes);
        let mut replicas = Vec::with_capacity(wanted);
        if wanted == 0 {
            return replicas;
        }
        let start = self.tokens.partition_point(|&(token, _)| token < point);
        for offset in 0..self.tokens.len() {
            let (_, node) = self.tokens[(start + offset) % self.tokens.len()];
            if !replicas.contains(&node) {
                replicas.push(node);
                if replicas.len() == wanted {
                    break;
                }
            }
        }
        replicas
    }

    /// Each node's share of the hash space (the arcs ending at its tokens), as fractions summing
    /// to 1, in node order.
    pub fn ownership(&self) -> Vec<(NodeId, f64)> {
        let mut shares: Vec<(NodeId, f64)> = Vec::new();
        let full = 2f64.powi(64);
        for (i, &(token, node)) in self.tokens.iter().enumerate() {
            let previous = if i == 0 {
                self.tokens[self.tokens.len() - 1].0
            } else {
                self.tokens[i - 1].0
            };
            let arc = token.wrapping_sub(previous) as f64;
            let arc = if self.tokens.len() == 1 { full } else { arc };
            match shares.iter_mut().find(|(n, _)| *n == node) {
                Some((_, share)) => *share += arc / full,
                None => shares.push((node, arc / full)),
            }
        }
        shares.sort_unstable_by_key(|(node, _)| *node);
        shares
    }
}

/// The `index`-th token of `node`: a strong mix of both, so tokens of different nodes interleave
/// uniformly at random but are the same on every node and every run.
fn token(node: NodeId, index: u64) -> u64 {
    mix(node.get() ^ mix(index.wrapping_add(0x9E37_79B9_7F4A_7C15)))
}

/// A bijective 64-bit finaliser (the one of SplitMix64): every input bit affects every output bit.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn nodes(ids: &[u64]) -> Vec<NodeId> {
        ids.iter().map(|&n| NodeId::new(n).unwrap()).collect()
    }

    #[test]
    fn replicas_are_distinct_and_capped_by_the_node_count() {
        let ring = Ring::new(&nodes(&[1, 2]), 8);
        assert_eq!(ring.replicas(42, 3).len(), 2);
        let ring = Ring::new(&nodes(&[1, 2, 3, 4, 5]), 8);
        for point in [0, 1, u64::MAX / 3, u64::MAX] {
            let replicas = ring.replicas(point, 3);
            assert_eq!(replicas.len(), 3);
            let mut unique = replicas.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), 3);
        }
        assert!(Ring::new(&[], 8).replicas(7, 3).is_empty());
    }

    #[test]
    fn the_ring_depends_only_on_the_member_set() {
        let a = Ring::new(&nodes(&[3, 1, 2]), 16);
        let b = Ring::new(&nodes(&[1, 2, 3, 2]), 16);
        assert_eq!(a, b);
    }

    #[test]
    fn ownership_is_balanced() {
        let members: Vec<NodeId> = (1..=5).map(|n| NodeId::new(mix(n)).unwrap()).collect();
        let ring = Ring::new(&members, TOKENS_PER_NODE);
        let shares = ring.ownership();
        let total: f64 = shares.iter().map(|(_, s)| s).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        for (node, share) in shares {
            assert!(
                (share - 0.2).abs() < 0.2 * 0.35,
                "{node} owns {share:.3} of the ring"
            );
        }
    }

    proptest! {
        /// A newcomer changes at most one member of any replica set, and only by taking a place.
        #[test]
        fn adding_a_node_changes_at_most_one_replica(
            ids in prop::collection::btree_set(1u64.., 1..8),
            newcomer in 1u64..,
            points in prop::collection::vec(any::<u64>(), 64),
            count in 1usize..5,
        ) {
            prop_assume!(!ids.contains(&newcomer));
            let before = Ring::new(&nodes(&ids.iter().copied().collect::<Vec<_>>()), 16);
            let mut grown: Vec<u64> = ids.iter().copied().collect();
            grown.push(newcomer);
            let after = Ring::new(&nodes(&grown), 16);
            let newcomer = NodeId::new(newcomer).unwrap();
            for point in points {
                let old = before.replicas(point, count);
                let new = after.replicas(point, count);
                let lost: Vec<_> = old.iter().filter(|n| !new.contains(n)).collect();
                let gained: Vec<_> = new.iter().filter(|n| !old.contains(n)).collect();
                prop_assert!(gained.len() <= 1);
                prop_assert!(gained.iter().all(|n| **n == newcomer));
                prop_assert!(lost.len() <= gained.len());
            }
        }

        /// A departing node is replaced where it was, and nothing else moves.
        #[test]
        fn removing_a_node_moves_only_its_replicas(
            ids in prop::collection::btree_set(1u64.., 2..8),
            points in prop::collection::vec(any::<u64>(), 64),
            count in 1usize..5,
            which in any::<prop::sample::Index>(),
        ) {
            let all: Vec<u64> = ids.iter().copied().collect();
            let gone = all[which.index(all.len())];
            let rest: Vec<u64> = all.iter().copied().filter(|&n| n != gone).collect();
            let before = Ring::new(&nodes(&all), 16);
            let after = Ring::new(&nodes(&rest), 16);
            let gone = NodeId::new(gone).unwrap();
            for point in points {
                let old = before.replicas(point, count);
                let new = after.replicas(point, count);
                if old.contains(&gone) {
                    let kept: Vec<_> = old.iter().filter(|n| **n != gone).collect();
                    prop_assert!(kept.iter().all(|n| new.contains(n)));
                    prop_assert_eq!(new.len(), count.min(rest.len()));
                } else {
                    prop_assert_eq!(old, new);
                }
            }
        }
    }
}
