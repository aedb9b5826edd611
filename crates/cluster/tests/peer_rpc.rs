//! A partition replicated by three replicas that talk only over the peer port (gRPC on
//! 127.0.0.1, ports chosen by the system): committed writes reach all three; when the leader's
//! node goes away (its Raft stopped, its port closed), the other two elect a leader and keep
//! committing, and calls to the dead node fail fast instead of stalling them. The metadata group
//! runs beside the partition's on the same ports: every node applies the same changes and holds
//! the same cluster metadata.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferrodyn_cluster::NodeId;
use ferrodyn_cluster::gossip::{self, Detector};
use ferrodyn_cluster::metadata::{MetadataCommand, MetadataError};
use ferrodyn_cluster::peer::{self, Channels, LocalGroups, PeerNetwork};
use ferrodyn_cluster::replica::{
    Command, LogStore, PartitionRaftNode, PartitionRange, Proposal, StateMachine, Write,
};
use ferrodyn_storage::fs::MemFileSystem;
use ferrodyn_storage::{Db, Options};
use openraft::{BasicNode, Config, SnapshotPolicy};
use tokio::sync::oneshot;

const GROUP: u64 = 42;
const METADATA: u64 = 0;
const TIMEOUT: Duration = Duration::from_secs(15);

struct Node {
    address: String,
    raft: PartitionRaftNode,
    state: StateMachine,
    metadata_raft: PartitionRaftNode,
    metadata: StateMachine,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

async fn start(id: u64) -> Node {
    start_at(id, "127.0.0.1:0").await
}

/// Node `id`, with empty storage, listening at `address`. Its groups snapshot every 20 entries
/// and keep no log behind a snapshot, so a node that was away catches up by snapshot.
async fn start_at(id: u64, address: &str) -> Node {
    let listener = tokio::net::TcpListener::bind(address).await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let db = Db::open(Options::new("/node", Arc::new(MemFileSystem::new()))).unwrap();
    let data = db.keyspace("data").unwrap();
    let raft_keyspace = db.keyspace("raft").unwrap();
    let log = LogStore::new(db.clone(), raft_keyspace, GROUP);
    let range = PartitionRange {
        start: b"t/".to_vec(),
        end: b"t0".to_vec(),
    };
    let state = StateMachine::new(db.clone(), data, raft_keyspace, GROUP, range);
    let metadata = StateMachine::metadata(db.clone(), raft_keyspace, METADATA).unwrap();
    let config = Config {
        heartbeat_interval: 50,
        election_timeout_min: 300,
        election_timeout_max: 600,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(20),
        max_in_snapshot_log_to_keep: 0,
        ..Config::default()
    };
    let config = Arc::new(config.validate().unwrap());
    let channels = Channels::default();
    let network = PeerNetwork::new(GROUP, channels.clone());
    let raft = PartitionRaftNode::new(id, config.clone(), network, log, state.clone())
        .await
        .unwrap();
    let metadata_raft = PartitionRaftNode::new(
        id,
        config,
        PeerNetwork::new(METADATA, channels),
        LogStore::new(db, raft_keyspace, METADATA),
        metadata.clone(),
    )
    .await
    .unwrap();
    let groups = LocalGroups::default();
    groups.insert(GROUP, raft.clone());
    groups.insert(METADATA, metadata_raft.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let detector = Arc::new(Detector::new(
        NodeId::new(id).unwrap(),
        gossip::Settings::default(),
    ));
    let server = tokio::spawn(async move {
        peer::serve(
            listener,
            groups,
            peer::HandlerSlot::default(),
            detector,
            Channels::default(),
            async {
                let _ = stopped.await;
            },
        )
        .await
        .unwrap();
    });
    Node {
        address,
        raft,
        state,
        metadata_raft,
        metadata,
        stop,
        server,
    }
}

/// Shuts node `node`'s groups and its peer port down; returns the address it listened at.
async fn stop(node: Node) -> String {
    node.raft.shutdown().await.unwrap();
    node.metadata_raft.shutdown().await.unwrap();
    node.stop.send(()).expect("the peer port is still serving");
    node.server.await.unwrap();
    node.address
}

/// Three nodes, each hosting both groups, with neither group initialized yet; and the member
/// list that initializes either.
async fn start_three() -> (BTreeMap<u64, Node>, BTreeMap<u64, BasicNode>) {
    let mut nodes = BTreeMap::new();
    for id in 1..=3 {
        nodes.insert(id, start(id).await);
    }
    let members = nodes
        .iter()
        .map(|(id, node)| (*id, BasicNode::new(&node.address)))
        .collect();
    (nodes, members)
}

/// The node leading the group that `group` picks out of a node.
async fn leader(nodes: &BTreeMap<u64, Node>, group: impl Fn(&Node) -> &PartitionRaftNode) -> u64 {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        for (id, node) in nodes {
            if group(node).metrics().borrow().current_leader == Some(*id) {
                return *id;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "no leader elected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn write(raft: &PartitionRaftNode, range: std::ops::Range<usize>) -> u64 {
    let mut last = 0;
    for n in range {
        let command = Command {
            writes: vec![Write::Put {
                key: format!("t/{n:04}").into_bytes(),
                value: n.to_string().into_bytes(),
            }],
            ..Command::default()
        };
        last = raft
            .client_write(Proposal::Write(command))
            .await
            .unwrap()
            .data
            .index;
    }
    last
}

async fn assert_holds(nodes: &BTreeMap<u64, Node>, applied: u64, count: usize) {
    for (id, node) in nodes {
        node.raft
            .wait(Some(TIMEOUT))
            .applied_index_at_least(Some(applied), "catch up")
            .await
            .unwrap_or_else(|e| panic!("node {id} did not catch up: {e}"));
        for n in 0..count {
            let value = node.state.get(format!("t/{n:04}").as_bytes()).unwrap();
            assert_eq!(
                value,
                Some(n.to_string().into_bytes()),
                "node {id}, key {n}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_on_three_nodes_replicate_over_grpc_and_survive_the_leaders_loss() {
    let (mut nodes, members) = start_three().await;
    nodes[&1].raft.initialize(members).await.unwrap();

    let first = leader(&nodes, |n| &n.raft).await;
    let applied = write(&nodes[&first].raft, 0..40).await;
    assert_holds(&nodes, applied, 40).await;

    stop(nodes.remove(&first).unwrap()).await;

    let second = leader(&nodes, |n| &n.raft).await;
    // With one of three nodes unreachable, commits need the two that remain; each write must
    // not wait on the dead one.
    let started = std::time::Instant::now();
    let applied = write(&nodes[&second].raft, 40..80).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "40 writes took {:?} with one node down",
        started.elapsed()
    );
    assert_holds(&nodes, applied, 80).await;

    for node in nodes.into_values() {
        stop(node).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_applies_the_same_metadata_changes() {
    let (nodes, members) = start_three().await;
    nodes[&1].metadata_raft.initialize(members).await.unwrap();
    let leader = leader(&nodes, |n| &n.metadata_raft).await;
    let propose = |change: MetadataCommand| {
        let raft = nodes[&leader].metadata_raft.clone();
        async move {
            raft.client_write(Proposal::Metadata(change))
                .await
                .unwrap()
                .data
        }
    };
    for (id, node) in &nodes {
        let applied = propose(MetadataCommand::Join {
            node: NodeId::new(*id).unwrap(),
            peer_address: node.address.clone(),
            api_address: format!("127.0.0.1:{}", 8000 + id),
        })
        .await;
        assert_eq!(applied.refused, None);
    }
    let create = MetadataCommand::CreateTable {
        name: "orders".into(),
        partitions: 4,
        id: None,
    };
    assert_eq!(propose(create.clone()).await.refused, None);
    let refused = propose(create).await;
    assert_eq!(
        refused.refused,
        Some(MetadataError::TableExists("orders".into()))
    );

    let expected = nodes[&leader].metadata.cluster_state().unwrap();
    assert_eq!(expected.epoch(), 4);
    assert_eq!(expected.members().len(), 3);
    for replicas in expected.tables()["orders"].placement.iter() {
        assert_eq!(replicas.len(), 3);
    }
    for (id, node) in &nodes {
        node.metadata_raft
            .wait(Some(TIMEOUT))
            .applied_index_at_least(Some(refused.index), "catch up")
            .await
            .unwrap_or_else(|e| panic!("node {id} did not catch up: {e}"));
        assert_eq!(
            node.metadata.cluster_state().unwrap(),
            expected,
            "node {id}"
        );
    }

    for node in nodes.into_values() {
        stop(node).await;
    }
}

/// The failure detector's probes over the peer port: a direct probe and one through another
/// member reach a running node and carry news both ways; once the node stops, neither does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_detector_probes_directly_and_through_a_helper() {
    let (mut nodes, _) = start_three().await;
    let node = |n: u64| NodeId::new(n).unwrap();
    let prober = Detector::new(node(9), gossip::Settings::default());
    let now = std::time::Instant::now();
    prober.with(|g| g.set_members([node(1), node(2), node(3)], now));
    // The prober holds node 2 suspect: its probe tells node 2, which refutes by answering
    // with a higher incarnation than the one the prober knew (0).
    prober.with(|g| g.unanswered(node(2), now));
    let channels = Channels::default();
    let timeout = Duration::from_secs(2);

    let direct = peer::ping_member(&channels, &prober, node(2), &nodes[&2].address, timeout).await;
    assert!(direct.is_some_and(|incarnation| incarnation > 0));
    assert_eq!(
        prober.with(|g| g.liveness(node(2)).unwrap().0),
        gossip::Liveness::Alive
    );
    // The address of node 2 does not answer as node 3.
    let wrong = peer::ping_member(&channels, &prober, node(3), &nodes[&2].address, timeout).await;
    assert_eq!(wrong, None);

    let (helper, target) = (nodes[&1].address.clone(), nodes[&3].address.clone());
    let (helper, target) = (&helper, &target);
    let relayed = peer::probe_through(
        &channels,
        &prober,
        node(1),
        helper,
        node(3),
        target,
        timeout,
    )
    .await;
    assert!(relayed.is_some());

    stop(nodes.remove(&3).unwrap()).await;
    let short = Duration::from_millis(300);
    assert_eq!(
        peer::ping_member(&channels, &prober, node(3), target, short).await,
        None
    );
    assert_eq!(
        peer::probe_through(&channels, &prober, node(1), helper, node(3), target, short).await,
        None
    );

    for node in nodes.into_values() {
        stop(node).await;
    }
}

/// A node that lost its disk comes back at its address and catches up by a snapshot sent over
/// the peer port (its bytes beside the JSON), then by log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_lost_everything_catches_up_by_a_snapshot_over_grpc() {
    let (mut nodes, members) = start_three().await;
    nodes[&1].raft.initialize(members).await.unwrap();
    let first = leader(&nodes, |n| &n.raft).await;
    let applied = write(&nodes[&first].raft, 0..30).await;
    assert_holds(&nodes, applied, 30).await;

    let lost = *nodes.keys().find(|id| **id != first).unwrap();
    let gone = stop(nodes.remove(&lost).unwrap()).await;
    let leader_now = leader(&nodes, |n| &n.raft).await;
    // Enough entries for several snapshots: the log the lost node would need is purged.
    let applied = write(&nodes[&leader_now].raft, 30..100).await;

    nodes.insert(lost, start_at(lost, &gone).await);
    assert_holds(&nodes, applied, 100).await;
    let snapshot = nodes[&lost].raft.metrics().borrow().snapshot;
    assert!(
        snapshot.is_some(),
        "the returning node should have installed a snapshot"
    );

    for node in nodes.into_values() {
        stop(node).await;
    }
}
