//! A partition replicated by three replicas that talk only over the peer port (gRPC on
//! 127.0.0.1, ports chosen by the system): committed writes reach all three; when the leader's
//! node goes away (its Raft stopped, its port closed), the other two elect a leader and keep
//! committing, and calls to the dead node fail fast instead of stalling them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferrodyn_cluster::peer::{self, Channels, LocalGroups, PeerNetwork};
use ferrodyn_cluster::replica::{
    Command, LogStore, PartitionRaftNode, PartitionRange, StateMachine, Write,
};
use ferrodyn_storage::fs::MemFileSystem;
use ferrodyn_storage::{Db, Options};
use openraft::{BasicNode, Config};
use tokio::sync::oneshot;

const GROUP: u64 = 42;
const TIMEOUT: Duration = Duration::from_secs(15);

struct Node {
    address: String,
    raft: PartitionRaftNode,
    state: StateMachine,
    stop: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
}

async fn start(id: u64) -> Node {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let db = Db::open(Options::new("/node", Arc::new(MemFileSystem::new()))).unwrap();
    let data = db.keyspace("data").unwrap();
    let raft_keyspace = db.keyspace("raft").unwrap();
    let log = LogStore::new(db.clone(), raft_keyspace, GROUP);
    let range = PartitionRange {
        start: b"t/".to_vec(),
        end: b"t0".to_vec(),
    };
    let state = StateMachine::new(db, data, raft_keyspace, GROUP, range);
    let config = Config {
        heartbeat_interval: 50,
        election_timeout_min: 300,
        election_timeout_max: 600,
        ..Config::default()
    };
    let network = PeerNetwork::new(GROUP, Channels::default());
    let raft = PartitionRaftNode::new(
        id,
        Arc::new(config.validate().unwrap()),
        network,
        log,
        state.clone(),
    )
    .await
    .unwrap();
    let groups = LocalGroups::default();
    groups.insert(GROUP, raft.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        peer::serve(listener, groups, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    Node {
        address,
        raft,
        state,
        stop,
        server,
    }
}

async fn leader(nodes: &BTreeMap<u64, Node>) -> u64 {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        for (id, node) in nodes {
            if node.raft.metrics().borrow().current_leader == Some(*id) {
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
        };
        last = raft.client_write(command).await.unwrap().data.index;
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
    let mut nodes = BTreeMap::new();
    for id in 1..=3 {
        nodes.insert(id, start(id).await);
    }
    let members: BTreeMap<u64, BasicNode> = nodes
        .iter()
        .map(|(id, node)| (*id, BasicNode::new(&node.address)))
        .collect();
    nodes[&1].raft.initialize(members).await.unwrap();

    let first = leader(&nodes).await;
    let applied = write(&nodes[&first].raft, 0..40).await;
    assert_holds(&nodes, applied, 40).await;

    let gone = nodes.remove(&first).unwrap();
    gone.raft.shutdown().await.unwrap();
    gone.stop.send(()).unwrap();
    gone.server.await.unwrap();

    let second = leader(&nodes).await;
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
        node.raft.shutdown().await.unwrap();
        let _ = node.stop.send(());
        node.server.await.unwrap();
    }
}
