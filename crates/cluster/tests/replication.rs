//! A partition replicated on three in-process replicas by Raft, each over its own storage engine
//! on a fault-injecting file system: writes committed through the leader reach every replica; the
//! leader's loss (a power cut: whatever it had not synced is gone) elects another that keeps
//! accepting writes; the lost replica restarts from what its disk kept and catches up, by log or
//! by snapshot once the others have compacted their logs.
//!
//! The network is a router calling the target replica directly; a replica that is down is
//! unreachable.

// openraft's network errors are large types we do not choose.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use ferrodyn_cluster::replica::{
    Command, LogStore, PartitionRaft, PartitionRaftNode, PartitionRange, Proposal, StateMachine,
    Write,
};
use ferrodyn_storage::fs::FaultFileSystem;
use ferrodyn_storage::{Db, Options};
use openraft::error::{InstallSnapshotError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use openraft::{BasicNode, Config, SnapshotPolicy};
use parking_lot::Mutex;

const GROUP: u64 = 7;
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Default)]
struct Router {
    replicas: Arc<Mutex<BTreeMap<u64, PartitionRaftNode>>>,
}

impl Router {
    fn get(&self, id: u64) -> Option<PartitionRaftNode> {
        self.replicas.lock().get(&id).cloned()
    }
}

struct Connection {
    router: Router,
    target: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("replica {0} is down")]
struct Down(u64);

impl Connection {
    fn target<E: std::error::Error>(
        &self,
    ) -> Result<PartitionRaftNode, RPCError<u64, BasicNode, RaftError<u64, E>>> {
        self.router
            .get(self.target)
            .ok_or_else(|| RPCError::Unreachable(Unreachable::new(&Down(self.target))))
    }
}

impl RaftNetworkFactory<PartitionRaft> for Router {
    type Network = Connection;

    async fn new_client(&mut self, target: u64, _node: &BasicNode) -> Connection {
        Connection {
            router: self.clone(),
            target,
        }
    }
}

impl RaftNetwork<PartitionRaft> for Connection {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<PartitionRaft>,
        _option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        let target = self.target()?;
        target
            .append_entries(request)
            .await
            .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    async fn install_snapshot(
        &mut self,
        request: InstallSnapshotRequest<PartitionRaft>,
        _option: RPCOption,
    ) -> Result<
        InstallSnapshotResponse<u64>,
        RPCError<u64, BasicNode, RaftError<u64, InstallSnapshotError>>,
    > {
        let target = self.target()?;
        target
            .install_snapshot(request)
            .await
            .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }

    async fn vote(
        &mut self,
        request: VoteRequest<u64>,
        _option: RPCOption,
    ) -> Result<VoteResponse<u64>, RPCError<u64, BasicNode, RaftError<u64>>> {
        let target = self.target()?;
        target
            .vote(request)
            .await
            .map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

/// One replica: its disk, its engine and its Raft instance.
struct Replica {
    fs: FaultFileSystem,
    raft: PartitionRaftNode,
    state: StateMachine,
}

fn range() -> PartitionRange {
    PartitionRange {
        start: b"p/".to_vec(),
        end: b"p0".to_vec(),
    }
}

fn config() -> Arc<Config> {
    let config = Config {
        heartbeat_interval: 50,
        election_timeout_min: 200,
        election_timeout_max: 400,
        // Compact the log often, so a replica that was away must catch up by snapshot.
        snapshot_policy: SnapshotPolicy::LogsSinceLast(20),
        max_in_snapshot_log_to_keep: 0,
        purge_batch_size: 1,
        ..Config::default()
    };
    Arc::new(config.validate().unwrap())
}

async fn start(id: u64, fs: FaultFileSystem, router: &Router) -> Replica {
    let db = Db::open(Options::new("/replica", Arc::new(fs.clone()))).unwrap();
    let data = db.keyspace("data").unwrap();
    let raft_keyspace = db.keyspace("raft").unwrap();
    let log = LogStore::new(db.clone(), raft_keyspace, GROUP);
    let state = StateMachine::new(db, data, raft_keyspace, GROUP, range());
    let raft = PartitionRaftNode::new(id, config(), router.clone(), log, state.clone())
        .await
        .unwrap();
    router.replicas.lock().insert(id, raft.clone());
    Replica { fs, raft, state }
}

async fn leader(replicas: &BTreeMap<u64, Replica>) -> u64 {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        for (id, replica) in replicas {
            if replica.raft.metrics().borrow().current_leader == Some(*id) {
                return *id;
            }
        }
        assert!(tokio::time::Instant::now() < deadline, "no leader elected");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn key(n: usize) -> Vec<u8> {
    format!("p/{n:05}").into_bytes()
}

async fn write(raft: &PartitionRaftNode, from: usize, to: usize) -> u64 {
    let mut last = 0;
    for n in from..to {
        let mut writes = vec![Write::Put {
            key: key(n),
            value: format!("v{n}").into_bytes(),
        }];
        if n % 10 == 9 {
            writes.push(Write::Delete { key: key(n - 1) });
        }
        let response = raft
            .client_write(Proposal::Write(Command {
                writes,
                ..Command::default()
            }))
            .await
            .unwrap();
        last = response.data.index;
    }
    last
}

fn expected(count: usize) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    (0..count)
        .map(|n| {
            let deleted = n % 10 == 8 && n + 1 < count;
            (key(n), (!deleted).then(|| format!("v{n}").into_bytes()))
        })
        .collect()
}

async fn assert_holds(replica: &Replica, id: u64, applied: u64, count: usize) {
    replica
        .raft
        .wait(Some(TIMEOUT))
        .applied_index_at_least(Some(applied), "catch up")
        .await
        .unwrap_or_else(|e| panic!("replica {id} did not catch up: {e}"));
    for (key, value) in expected(count) {
        assert_eq!(
            replica.state.get(&key).unwrap(),
            value,
            "replica {id}, key {}",
            String::from_utf8_lossy(&key)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_survive_the_leaders_loss_and_a_lost_replica_catches_up() {
    let router = Router::default();
    let mut replicas = BTreeMap::new();
    for id in 1..=3 {
        replicas.insert(id, start(id, FaultFileSystem::new(id), &router).await);
    }
    let members: BTreeMap<u64, BasicNode> = (1..=3).map(|id| (id, BasicNode::new(""))).collect();
    replicas[&1].raft.initialize(members).await.unwrap();

    let first = leader(&replicas).await;
    let applied = write(&replicas[&first].raft, 0, 50).await;
    for (id, replica) in &replicas {
        assert_holds(replica, *id, applied, 50).await;
    }

    // The leader loses power: its Raft stops and its disk keeps only what was synced.
    let lost = replicas.remove(&first).unwrap();
    router.replicas.lock().remove(&first);
    lost.raft.shutdown().await.unwrap();
    let disk = lost.fs.recovered();
    drop(lost);

    let second = leader(&replicas).await;
    assert_ne!(second, first);
    let applied = write(&replicas[&second].raft, 50, 120).await;
    for (id, replica) in &replicas {
        assert_holds(replica, *id, applied, 120).await;
    }

    // It comes back with what its disk kept; the others have compacted their logs since, so it
    // catches up by snapshot and then by log.
    let back = start(first, disk, &router).await;
    replicas.insert(first, back);
    let applied = write(&replicas[&second].raft, 120, 130).await;
    for (id, replica) in &replicas {
        assert_holds(replica, *id, applied, 130).await;
    }
    let snapshot = replicas[&first].raft.metrics().borrow().snapshot;
    assert!(
        snapshot.is_some(),
        "the returning replica should have installed a snapshot"
    );

    for replica in replicas.values() {
        replica.raft.shutdown().await.unwrap();
    }
}
