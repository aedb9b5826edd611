//! Ferrodyn as a cluster: which nodes exist, where each partition's replicas live, and how that
//! changes as nodes come and go.
//!
//! This crate knows nothing of HTTP or of DynamoDB's semantics; it owns the cluster's own state and
//! the pure logic over it, so that every decision can be tested without sockets or sleeps:
//!
//! - [`node`]: a node's identity ([`NodeId`]), generated once and kept in the data directory
//!   ([`identity`]) so a restarted node is recognised as the same member.
//! - [`ring`]: consistent hashing over virtual-node tokens. A point of the 64-bit hash space maps
//!   to an ordered set of distinct nodes; adding or removing a node changes at most one member of
//!   any set, which is why only about 1/N of the replicas move.
//! - [`partition`]: a table's hash space split into contiguous ranges ([`TablePartitions`]), the
//!   unit that is replicated, split and moved, and their placement on the ring
//!   ([`Placement`]), versioned by an epoch.
//! - [`gossip`]: failure detection in the manner of SWIM: who answers, as every node comes to
//!   agree by probes and the news they carry.
//!
//! ```
//! use ferrodyn_cluster::{NodeId, Ring, TablePartitions};
//!
//! let nodes: Vec<NodeId> = (1..=4).map(|n| NodeId::new(n).unwrap()).collect();
//! let ring = Ring::new(&nodes, 64);
//! let table = TablePartitions::even(7, 8);
//! let placement = table.place(&ring, 3);
//! assert!(placement.iter().all(|replicas| replicas.len() == 3));
//! ```

pub mod gossip;
pub mod identity;
pub mod metadata;
pub mod node;
pub mod partition;
pub mod peer;
pub mod replica;
pub mod ring;
pub mod runtime;
pub mod tables;

pub use identity::{IdentityError, load_or_create_node_id};
pub use metadata::{ClusterState, MetadataCommand, MetadataError};
pub use node::NodeId;
pub use partition::{HashRange, Placement, TablePartitions};
pub use ring::Ring;
