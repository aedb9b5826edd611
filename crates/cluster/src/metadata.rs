//! The cluster's metadata: its members, its tables and where each table's partitions live.
//!
//! [`ClusterState`] is a deterministic state machine: the metadata Raft group replicates
//! [`MetadataCommand`]s and every node applies them in log order, so every node holds the same
//! state. A command that changes something bumps the state's epoch; a refused command changes
//! nothing. Placement is *target* placement: it says where replicas should be, and is recomputed
//! from the ring of active members whenever membership changes; moving replicas until reality
//! matches it is the rebalancer's job. A leaving (decommissioned) node is kept off every target,
//! so its replicas drain away before it is removed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::node::NodeId;
use crate::partition::{Placement, TablePartitions};
use crate::ring::{Ring, TOKENS_PER_NODE};

/// Replicas per partition unless configured (fewer while the cluster has fewer active nodes).
pub const REPLICATION_FACTOR: usize = 3;

/// Most partitions a table may be created with.
pub const PARTITIONS_MAX: usize = 4096;

/// A member of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Where its peer port listens (`host:port`).
    pub peer_address: String,
    /// Where its DynamoDB endpoint listens (`host:port`).
    pub api_address: String,
    /// Whether it takes replicas.
    pub status: MemberStatus,
}

/// Whether a member takes replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MemberStatus {
    /// Holds replicas.
    Active,
    /// Decommissioned: its replicas move away, then it is removed.
    Leaving,
}

/// A table as the cluster knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableEntry {
    /// Its id in storage keys; never reused.
    pub id: u64,
    /// How its hash space is divided.
    pub partitions: TablePartitions,
    /// Where each partition's replicas should be.
    pub placement: Placement,
    /// Each partition's replicas when the table was created: the members its replica group was
    /// started with (its first replica starts it), whatever the placement became since.
    #[serde(default)]
    pub founders: Vec<Vec<NodeId>>,
}

/// A change to the cluster's metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MetadataCommand {
    /// A node joins (or, already a member, updates its addresses and becomes active again).
    Join {
        /// The node.
        node: NodeId,
        /// Its peer port.
        peer_address: String,
        /// Its DynamoDB endpoint.
        api_address: String,
    },
    /// A node starts leaving: it takes no new replicas and its replicas move to others.
    Decommission {
        /// The node.
        node: NodeId,
    },
    /// A node is gone from the cluster.
    Remove {
        /// The node.
        node: NodeId,
    },
    /// A table is created with `partitions` even partitions.
    CreateTable {
        /// The table's name.
        name: String,
        /// Its initial partition count (1..=[`PARTITIONS_MAX`]).
        partitions: usize,
        /// Its id, when the table catalog chose it; else the next free one. A table created with
        /// an id replaces one of the same name (a creation retried after a crash).
        #[serde(default)]
        id: Option<u64>,
    },
    /// A table is dropped.
    DeleteTable {
        /// The table's name.
        name: String,
    },
    /// A partition is split in two at the middle of its hash range.
    SplitPartition {
        /// The table's name.
        name: String,
        /// The partition's index.
        partition: usize,
    },
}

/// Why a command was refused; the state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum MetadataError {
    /// The node is not a member.
    #[error("node {0} is not a member of the cluster")]
    UnknownNode(NodeId),
    /// The last active member cannot leave: nothing could take its replicas.
    #[error("node {0} is the last active member; its replicas would have nowhere to go")]
    LastActiveMember(NodeId),
    /// A table of that name exists.
    #[error("table {0} already exists")]
    TableExists(String),
    /// No table of that name.
    #[error("table {0} does not exist")]
    TableNotFound(String),
    /// The partition count is 0 or above [`PARTITIONS_MAX`].
    #[error("a table has 1 to {PARTITIONS_MAX} partitions, not {0}")]
    PartitionCount(usize),
    /// No such partition, or one that cannot be split further.
    #[error("partition {partition} of table {name} cannot be split")]
    CannotSplit {
        /// The table.
        name: String,
        /// The partition.
        partition: usize,
    },
    /// Tables need an active member to hold them.
    #[error("the cluster has no active member to hold a table")]
    NoActiveMember,
}

/// Everything the metadata group agrees on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterState {
    epoch: u64,
    replication_factor: usize,
    members: BTreeMap<NodeId, Member>,
    tables: BTreeMap<String, TableEntry>,
    next_table_id: u64,
}

impl Default for ClusterState {
    fn default() -> Self {
        ClusterState::new(REPLICATION_FACTOR)
    }
}

impl ClusterState {
    /// An empty cluster placing `replication_factor` (at least 1) replicas per partition.
    pub fn new(replication_factor: usize) -> ClusterState {
        ClusterState {
            epoch: 0,
            replication_factor: replication_factor.max(1),
            members: BTreeMap::new(),
            tables: BTreeMap::new(),
            next_table_id: 1,
        }
    }

    /// Changes applied so far; every change increments it.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The members, by id.
    pub fn members(&self) -> &BTreeMap<NodeId, Member> {
        &self.members
    }

    /// The tables, by name.
    pub fn tables(&self) -> &BTreeMap<String, TableEntry> {
        &self.tables
    }

    /// Applies `command`: on success the epoch is one higher; on error nothing changed.
    pub fn apply(&mut self, command: &MetadataCommand) -> Result<(), MetadataError> {
        match command {
            MetadataCommand::Join {
                node,
                peer_address,
                api_address,
            } => {
                let member = Member {
                    peer_address: peer_address.clone(),
                    api_address: api_address.clone(),
                    status: MemberStatus::Active,
                };
                let was_active = self.is_active(*node);
                self.members.insert(*node, member);
                if !was_active {
                    self.replace_all();
                }
            }
            MetadataCommand::Decommission { node } => {
                self.check_can_leave(*node)?;
                if let Some(member) = self.members.get_mut(node) {
                    member.status = MemberStatus::Leaving;
                }
                self.replace_all();
            }
            MetadataCommand::Remove { node } => {
                self.check_can_leave(*node)?;
                self.members.remove(node);
                self.replace_all();
            }
            MetadataCommand::CreateTable {
                name,
                partitions,
                id,
            } => {
                if self.tables.contains_key(name) && id.is_none() {
                    return Err(MetadataError::TableExists(name.clone()));
                }
                if *partitions == 0 || *partitions > PARTITIONS_MAX {
                    return Err(MetadataError::PartitionCount(*partitions));
                }
                if self.active_nodes().is_empty() {
                    return Err(MetadataError::NoActiveMember);
                }
                let id = id.unwrap_or(self.next_table_id);
                let divided = TablePartitions::even(id, *partitions);
                let placement = divided.place(&self.ring(), self.replication_factor);
                let founders = (0..divided.len())
                    .map(|i| placement.replicas(i).to_vec())
                    .collect();
                self.tables.insert(
                    name.clone(),
                    TableEntry {
                        id,
                        partitions: divided,
                        placement,
                        founders,
                    },
                );
                self.next_table_id = self.next_table_id.max(id + 1);
            }
            MetadataCommand::DeleteTable { name } => {
                if self.tables.remove(name).is_none() {
                    return Err(MetadataError::TableNotFound(name.clone()));
                }
            }
            MetadataCommand::SplitPartition { name, partition } => {
                let ring = self.ring();
                let factor = self.replication_factor;
                let entry = self
                    .tables
                    .get_mut(name)
                    .ok_or_else(|| MetadataError::TableNotFound(name.clone()))?;
                if *partition >= entry.partitions.len() || !entry.partitions.split(*partition) {
                    return Err(MetadataError::CannotSplit {
                        name: name.clone(),
                        partition: *partition,
                    });
                }
                entry.placement = entry.partitions.place(&ring, factor);
            }
        }
        self.epoch += 1;
        Ok(())
    }

    /// Whether `node` may stop holding replicas: it is a member, and not the last active one
    /// while tables need a home.
    fn check_can_leave(&self, node: NodeId) -> Result<(), MetadataError> {
        if !self.members.contains_key(&node) {
            return Err(MetadataError::UnknownNode(node));
        }
        if self.is_active(node) && self.active_nodes().len() == 1 && !self.tables.is_empty() {
            return Err(MetadataError::LastActiveMember(node));
        }
        Ok(())
    }

    fn is_active(&self, node: NodeId) -> bool {
        self.members
            .get(&node)
            .is_some_and(|m| m.status == MemberStatus::Active)
    }

    fn active_nodes(&self) -> Vec<NodeId> {
        self.members
            .iter()
            .filter(|(_, m)| m.status == MemberStatus::Active)
            .map(|(id, _)| *id)
            .collect()
    }

    fn ring(&self) -> Ring {
        Ring::new(&self.active_nodes(), TOKENS_PER_NODE)
    }

    /// Recomputes every table's target placement from the ring of active members.
    fn replace_all(&mut self) {
        let ring = self.ring();
        for entry in self.tables.values_mut() {
            entry.placement = entry.partitions.place(&ring, self.replication_factor);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ring::mix;
    use proptest::prelude::*;

    fn node(n: u64) -> NodeId {
        NodeId::new(mix(n)).unwrap()
    }

    fn join(n: u64) -> MetadataCommand {
        MetadataCommand::Join {
            node: node(n),
            peer_address: format!("127.0.0.{n}:7000"),
            api_address: format!("127.0.0.{n}:8000"),
        }
    }

    fn create(name: &str, partitions: usize) -> MetadataCommand {
        MetadataCommand::CreateTable {
            name: name.into(),
            partitions,
            id: None,
        }
    }

    /// Every target replica set is of active members, distinct, and as large as it can be.
    fn check_placement(state: &ClusterState) {
        let active = state.active_nodes();
        for (name, entry) in state.tables() {
            assert_eq!(
                entry.placement.iter().count(),
                entry.partitions.len(),
                "{name}"
            );
            for replicas in entry.placement.iter() {
                assert_eq!(
                    replicas.len(),
                    state.replication_factor.min(active.len()),
                    "{name}"
                );
                assert!(
                    replicas.iter().all(|n| active.contains(n)),
                    "{name}: {replicas:?}"
                );
                let mut unique = replicas.to_vec();
                unique.sort_unstable();
                unique.dedup();
                assert_eq!(unique.len(), replicas.len(), "{name}");
            }
        }
    }

    #[test]
    fn a_joining_node_takes_about_its_share_and_a_leaving_one_gives_all_back() {
        let mut state = ClusterState::default();
        for n in 1..=3 {
            state.apply(&join(n)).unwrap();
        }
        state.apply(&create("orders", 64)).unwrap();
        check_placement(&state);
        let before = state.tables()["orders"].placement.clone();

        state.apply(&join(4)).unwrap();
        check_placement(&state);
        let after = state.tables()["orders"].placement.clone();
        // 192 replicas over 4 nodes: the newcomer should take about 48, and only it gains any.
        let moved = before.moves_to(&after);
        assert!((24..=80).contains(&moved), "{moved} replicas moved");

        state
            .apply(&MetadataCommand::Decommission { node: node(4) })
            .unwrap();
        check_placement(&state);
        assert_eq!(state.tables()["orders"].placement, before);
        assert_eq!(state.members()[&node(4)].status, MemberStatus::Leaving);
    }

    #[test]
    fn refused_commands_change_nothing() {
        let mut state = ClusterState::default();
        assert_eq!(
            state.apply(&create("t", 4)),
            Err(MetadataError::NoActiveMember)
        );
        state.apply(&join(1)).unwrap();
        state.apply(&create("t", 4)).unwrap();
        let snapshot = state.clone();
        let refused = [
            (create("t", 4), MetadataError::TableExists("t".into())),
            (create("u", 0), MetadataError::PartitionCount(0)),
            (
                create("u", PARTITIONS_MAX + 1),
                MetadataError::PartitionCount(PARTITIONS_MAX + 1),
            ),
            (
                MetadataCommand::DeleteTable { name: "u".into() },
                MetadataError::TableNotFound("u".into()),
            ),
            (
                MetadataCommand::Decommission { node: node(9) },
                MetadataError::UnknownNode(node(9)),
            ),
            (
                MetadataCommand::Remove { node: node(1) },
                MetadataError::LastActiveMember(node(1)),
            ),
            (
                MetadataCommand::SplitPartition {
                    name: "t".into(),
                    partition: 4,
                },
                MetadataError::CannotSplit {
                    name: "t".into(),
                    partition: 4,
                },
            ),
        ];
        for (command, error) in refused {
            assert_eq!(state.apply(&command), Err(error), "{command:?}");
            assert_eq!(state, snapshot, "{command:?} changed the state");
        }
    }

    #[test]
    fn table_ids_are_never_reused() {
        let mut state = ClusterState::default();
        state.apply(&join(1)).unwrap();
        state.apply(&create("a", 1)).unwrap();
        state
            .apply(&MetadataCommand::DeleteTable { name: "a".into() })
            .unwrap();
        state.apply(&create("a", 1)).unwrap();
        assert_eq!(state.tables()["a"].id, 2);
    }

    #[test]
    fn the_state_survives_a_round_trip_through_json() {
        let mut state = ClusterState::default();
        for n in 1..=4 {
            state.apply(&join(n)).unwrap();
        }
        state.apply(&create("t", 8)).unwrap();
        let text = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<ClusterState>(&text).unwrap(), state);
    }

    fn command() -> impl Strategy<Value = MetadataCommand> {
        let name = prop::sample::select(vec!["a", "b", "c"]).prop_map(String::from);
        prop_oneof![
            (1u64..7).prop_map(join),
            (1u64..7).prop_map(|n| MetadataCommand::Decommission { node: node(n) }),
            (1u64..7).prop_map(|n| MetadataCommand::Remove { node: node(n) }),
            (name.clone(), 1usize..20).prop_map(|(name, partitions)| {
                MetadataCommand::CreateTable {
                    name,
                    partitions,
                    id: None,
                }
            }),
            name.clone()
                .prop_map(|name| MetadataCommand::DeleteTable { name }),
            (name, 0usize..25)
                .prop_map(|(name, partition)| MetadataCommand::SplitPartition { name, partition }),
        ]
    }

    proptest! {
        /// Any sequence: two nodes applying it agree; the epoch counts exactly the accepted
        /// commands; refused ones change nothing; every placement stays valid.
        #[test]
        fn any_command_sequence_keeps_the_invariants(commands in prop::collection::vec(command(), 1..60)) {
            let mut state = ClusterState::default();
            let mut replica = ClusterState::default();
            let mut accepted = 0;
            for command in &commands {
                let before = state.clone();
                let result = state.apply(command);
                prop_assert_eq!(&replica.apply(command), &result);
                match result {
                    Ok(()) => accepted += 1,
                    Err(_) => prop_assert_eq!(&state, &before),
                }
                prop_assert_eq!(state.epoch(), accepted);
                check_placement(&state);
            }
            prop_assert_eq!(state, replica);
        }
    }
}
