//! A node's part in the cluster: its identity, its peer port, and its replica of the metadata
//! group.
//!
//! [`ClusterRuntime::start`] loads (or creates) the node id, opens the metadata group's replica in
//! the node's storage engine, and starts answering on the peer port. Then, the first time only:
//! without `join` the node bootstraps a cluster of one (it is the metadata group's only voter and
//! records itself as the first member); with `join` it asks that peer to admit it, following
//! redirects to the metadata leader, which adds it as a learner, waits until it has caught up,
//! makes it a voter while the group has fewer than three, and records it as a member. A restarted
//! node finds its Raft state on disk and simply resumes.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrodyn_storage::fs::FileSystem;
use openraft::error::{ClientWriteError, RaftError};
use openraft::{BasicNode, ChangeMembers, Config};
use serde::Serialize;
use tokio::sync::oneshot;

use crate::gossip::{self, Detector};
use crate::identity::{IdentityError, load_or_create_node_id};
use crate::metadata::{MemberStatus, MetadataCommand};
use crate::node::NodeId;
use crate::peer::{self, Channels, HandlerSlot, LocalGroups, PeerNetwork, proto::JoinRequest};
use crate::replica::{
    KeyRange, LogStore, MetadataLoadError, PartitionRaftNode, Proposal, StateMachine,
};
use crate::tables::{ClusterReplicator, EngineObserver, TableGroups, TableGroupsParts};

/// The replica group holding the cluster's metadata.
pub const METADATA_GROUP: u64 = 0;

/// Voters of the metadata group; further members are learners.
pub(crate) const METADATA_VOTERS: usize = 3;

/// How long a joining node keeps asking before it gives up.
const JOIN_DEADLINE: Duration = Duration::from_secs(60);

/// What a node needs to take part in the cluster.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// The file system of the data directory (where the node id is kept).
    pub fs: Arc<dyn FileSystem>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The node's database; its storage engine also keeps the replica groups' logs and state
    /// (keyspace `raft`).
    pub database: Arc<ferrodyn_engine::Database>,
    /// Where the peer port listens.
    pub peer_listen: SocketAddr,
    /// Where the DynamoDB endpoint listens, as other nodes should reach it.
    pub api_address: String,
    /// A member's peer address to join through, the first time; `None` bootstraps a new cluster.
    pub join: Option<String>,
    /// How long a member may not answer pings before its replicas are rebuilt on the others.
    pub failure_timeout: Duration,
}

/// Why the node could not take part in the cluster.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The node id cannot be read or kept.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The storage engine failed.
    #[error("storage: {0}")]
    Storage(#[from] ferrodyn_storage::Error),
    /// The metadata group's state cannot be read.
    #[error(transparent)]
    Metadata(#[from] MetadataLoadError),
    /// The peer port cannot listen.
    #[error("cannot listen on the peer port {address}: {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The peer port would listen on every interface, so its address means nothing to others.
    #[error(
        "the peer port needs an address other nodes can reach (such as 10.0.0.5:7000), not {0}"
    )]
    UnspecifiedPeerAddress(SocketAddr),
    /// Raft failed.
    #[error("the metadata group failed: {0}")]
    Raft(String),
    /// Joining did not succeed before the deadline.
    #[error("could not join the cluster through {through}: {reason}")]
    Join {
        /// The peer asked.
        through: String,
        /// The last answer.
        reason: String,
    },
}

/// A node's running part in the cluster.
pub struct ClusterRuntime {
    node: NodeId,
    peer_address: String,
    metadata_raft: PartitionRaftNode,
    metadata: StateMachine,
    tables: Arc<TableGroups>,
    handler: HandlerSlot,
    stop_tables: Arc<tokio::sync::Notify>,
    stop: parking_lot::Mutex<Option<oneshot::Sender<()>>>,
    server: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl std::fmt::Debug for ClusterRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterRuntime")
            .field("node", &self.node)
            .field("peer_address", &self.peer_address)
            .finish()
    }
}

fn metadata_config() -> Arc<Config> {
    let config = Config {
        cluster_name: "ferrodyn-metadata".into(),
        heartbeat_interval: 100,
        election_timeout_min: 500,
        election_timeout_max: 1000,
        ..Config::default()
    };
    Arc::new(
        config
            .validate()
            .expect("the metadata group's settings are valid"),
    )
}

impl ClusterRuntime {
    /// Starts the node's peer port and metadata replica, then bootstraps or joins the first time.
    pub async fn start(settings: RuntimeSettings) -> Result<ClusterRuntime, RuntimeError> {
        if settings.peer_listen.ip().is_unspecified() {
            return Err(RuntimeError::UnspecifiedPeerAddress(settings.peer_listen));
        }
        let node = load_or_create_node_id(&*settings.fs, &settings.data_dir)?;
        let db = settings.database.storage().clone();
        let raft_keyspace = db.keyspace("raft")?;
        let (_, meta) = settings.database.keyspaces();
        let changed = Arc::new(tokio::sync::Notify::new());
        let catalog = ferrodyn_engine::catalog::catalog_ranges()
            .into_iter()
            .map(|(start, end)| KeyRange {
                keyspace: meta,
                start,
                end,
            })
            .collect();
        let metadata = StateMachine::metadata(db.clone(), raft_keyspace, METADATA_GROUP)?
            .with_ranges(meta, catalog)
            .with_observer(Arc::new(EngineObserver {
                database: settings.database.clone(),
                changed: Some(changed.clone()),
            }));
        let listener = tokio::net::TcpListener::bind(settings.peer_listen)
            .await
            .map_err(|source| RuntimeError::Listen {
                address: settings.peer_listen,
                source,
            })?;
        let peer_address = listener
            .local_addr()
            .map_err(|source| RuntimeError::Listen {
                address: settings.peer_listen,
                source,
            })?
            .to_string();
        let channels = Channels::default();
        let metadata_raft = PartitionRaftNode::new(
            node.get(),
            metadata_config(),
            PeerNetwork::new(METADATA_GROUP, channels.clone()),
            LogStore::new(db.clone(), raft_keyspace, METADATA_GROUP),
            metadata.clone(),
        )
        .await
        .map_err(|e| RuntimeError::Raft(e.to_string()))?;
        let groups = LocalGroups::default();
        groups.insert(METADATA_GROUP, metadata_raft.clone());
        let detector = Arc::new(Detector::new(node, gossip::Settings::default()));
        let tables = Arc::new(TableGroups::new(TableGroupsParts {
            node,
            db: db.clone(),
            raft_keyspace,
            database: settings.database.clone(),
            groups: groups.clone(),
            channels: channels.clone(),
            metadata_raft: metadata_raft.clone(),
            metadata: metadata.clone(),
            changed,
            failure_timeout: settings.failure_timeout,
            detector: detector.clone(),
        }));
        let handler = HandlerSlot::default();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = handler.clone();
        let serving_channels = channels.clone();
        let server = tokio::spawn(async move {
            let handler = serving;
            let shutdown = async {
                let _ = stopped.await;
            };
            let served = peer::serve(
                listener,
                groups,
                handler,
                detector,
                serving_channels,
                shutdown,
            );
            if let Err(error) = served.await {
                tracing::error!(%error, "the peer port failed");
            }
        });
        let runtime = ClusterRuntime {
            node,
            peer_address,
            metadata_raft,
            metadata,
            tables: tables.clone(),
            handler,
            stop_tables: Arc::new(tokio::sync::Notify::new()),
            stop: parking_lot::Mutex::new(Some(stop)),
            server: tokio::sync::Mutex::new(Some(server)),
        };
        let initialized = runtime
            .metadata_raft
            .is_initialized()
            .await
            .map_err(|e| RuntimeError::Raft(e.to_string()))?;
        let joining = Joining {
            channels,
            node,
            peer_address: runtime.peer_address.clone(),
            api_address: settings.api_address.clone(),
        };
        if !initialized {
            match &settings.join {
                None => runtime.bootstrap(&settings.api_address).await?,
                Some(through) => joining.ask(through).await?,
            }
        } else {
            // A restarted member: its Raft state is on disk and it resumes by itself. Its DynamoDB
            // endpoint may have moved, so it tells the metadata leader (through its own peer port,
            // which redirects), in the background: the leader may not be known yet.
            tokio::spawn(async move {
                let own = joining.peer_address.clone();
                if let Err(error) = joining.ask(&own).await {
                    tracing::warn!(%error, "could not refresh this member's addresses");
                }
            });
        }
        // From now on the engine's writes go through the replica groups.
        settings
            .database
            .set_replicator(Arc::new(ClusterReplicator(tables.clone())));
        tokio::spawn(tables.run(runtime.stop_tables.clone()));
        tracing::info!(node = %node, peer = %runtime.peer_address, "cluster member");
        Ok(runtime)
    }

    async fn bootstrap(&self, api_address: &str) -> Result<(), RuntimeError> {
        let members = [(self.node.get(), BasicNode::new(&self.peer_address))]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>();
        self.metadata_raft
            .initialize(members)
            .await
            .map_err(|e| RuntimeError::Raft(e.to_string()))?;
        // It is the only voter: it elects itself at once, but admitting needs it to lead.
        self.metadata_raft
            .wait(Some(JOIN_DEADLINE))
            .current_leader(self.node.get(), "bootstrap")
            .await
            .map_err(|e| RuntimeError::Raft(e.to_string()))?;
        admit(
            &self.metadata_raft,
            self.node,
            &self.peer_address,
            api_address,
        )
        .await
        .map_err(|refusal| RuntimeError::Raft(format!("{refusal:?}")))?;
        tracing::info!(node = %self.node, "bootstrapped a new cluster");
        Ok(())
    }

    /// This node's id.
    pub fn node_id(&self) -> NodeId {
        self.node
    }

    /// The table groups of this node: routing and forwarding of requests.
    pub fn tables(&self) -> &Arc<TableGroups> {
        &self.tables
    }

    /// Where the server puts the handler of requests forwarded by other nodes.
    pub fn request_handler(&self) -> &HandlerSlot {
        &self.handler
    }

    /// Starts moving the replicas of member `node` (an id as `ferrodyn cluster status` shows
    /// it) to the others; it leaves the cluster once it holds none.
    pub async fn decommission(&self, node: &str) -> Result<(), String> {
        let node: NodeId = node
            .parse()
            .map_err(|_| format!("{node:?} is not a node id (16 hex digits)"))?;
        self.tables.decommission(node).await
    }

    /// Where this node's peer port listens.
    pub fn peer_address(&self) -> &str {
        &self.peer_address
    }

    /// What this node knows of the cluster.
    pub fn status(&self) -> ClusterStatus {
        let metrics = self.metadata_raft.metrics().borrow().clone();
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        let learners: BTreeSet<u64> = membership.learner_ids().collect();
        let state = self.metadata.cluster_state().unwrap_or_default();
        let liveness = self.tables.liveness();
        let members = state
            .members()
            .iter()
            .map(|(id, member)| MemberView {
                node: id.to_string(),
                peer_address: member.peer_address.clone(),
                api_address: member.api_address.clone(),
                status: match member.status {
                    MemberStatus::Active => "active",
                    MemberStatus::Leaving => "leaving",
                },
                last_seen_ms: liveness
                    .get(id)
                    .and_then(|(heard, _)| *heard)
                    .map(|d| d.as_millis() as u64),
                liveness: liveness.get(id).map(|(_, liveness)| liveness.as_str()),
                role: if voters.contains(&id.get()) {
                    "voter"
                } else if learners.contains(&id.get()) {
                    "learner"
                } else {
                    "none"
                },
            })
            .collect();
        let tables = state
            .tables()
            .iter()
            .map(|(name, entry)| TableView {
                name: name.clone(),
                id: entry.id,
                partitions: (0..entry.partitions.len())
                    .map(|i| {
                        let range = entry.partitions.range(i);
                        let local = u32::try_from(entry.id).ok().and_then(|table| {
                            self.tables
                                .local_view(crate::tables::group_id(table, i as u32))
                        });
                        PartitionView {
                            first_hash: format!("{:016x}", range.first),
                            last_hash: format!("{:016x}", range.last),
                            replicas: entry
                                .placement
                                .replicas(i)
                                .iter()
                                .map(NodeId::to_string)
                                .collect(),
                            leader: local
                                .as_ref()
                                .and_then(|v| v.leader)
                                .and_then(NodeId::new)
                                .map(|id| id.to_string()),
                            applied_here: local.as_ref().map(|v| v.applied),
                            quiet_here: local.as_ref().map(|v| v.quiet),
                        }
                    })
                    .collect(),
            })
            .collect();
        ClusterStatus {
            node: self.node.to_string(),
            metadata_leader: metrics
                .current_leader
                .and_then(NodeId::new)
                .map(|id| id.to_string()),
            epoch: state.epoch(),
            members,
            tables,
        }
    }

    /// Stops the metadata replica and the peer port. Later calls do nothing.
    pub async fn shutdown(&self) {
        let Some(stop) = self.stop.lock().take() else {
            return;
        };
        self.stop_tables.notify_one();
        self.tables.shutdown().await;
        if let Err(error) = self.metadata_raft.shutdown().await {
            tracing::warn!(%error, "the metadata group did not stop cleanly");
        }
        let _ = stop.send(());
        if let Some(server) = self.server.lock().await.take() {
            let _ = server.await;
        }
    }
}

/// What a node says when it asks to be admitted.
struct Joining {
    channels: Channels,
    node: NodeId,
    peer_address: String,
    api_address: String,
}

impl Joining {
    /// Asks the member at `through` to admit this node, following redirects to the metadata
    /// leader and retrying with backoff until [`JOIN_DEADLINE`].
    async fn ask(&self, through: &str) -> Result<(), RuntimeError> {
        let deadline = tokio::time::Instant::now() + JOIN_DEADLINE;
        let mut target = through.to_owned();
        let mut backoff = Duration::from_millis(100);
        loop {
            let reason = match self.channels.client(&target) {
                Err(error) => error,
                Ok(mut client) => {
                    let request = JoinRequest {
                        node_id: self.node.get(),
                        peer_address: self.peer_address.clone(),
                        api_address: self.api_address.clone(),
                    };
                    match client.join(request).await {
                        Ok(reply) => {
                            let reply = reply.into_inner();
                            if reply.accepted {
                                tracing::info!(node = %self.node, through = %target, "admitted to the cluster");
                                return Ok(());
                            }
                            if !reply.leader_address.is_empty() && reply.leader_address != target {
                                target = reply.leader_address;
                                continue;
                            }
                            reply.error
                        }
                        Err(status) => status.to_string(),
                    }
                }
            };
            if tokio::time::Instant::now() + backoff > deadline {
                return Err(RuntimeError::Join {
                    through: through.to_owned(),
                    reason,
                });
            }
            tracing::debug!(%target, %reason, "asking to be admitted: will retry");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(2));
            target = through.to_owned();
        }
    }
}

/// What a node knows of the cluster (served as JSON on the admin path).
#[derive(Debug, Clone, Serialize)]
pub struct ClusterStatus {
    /// This node.
    pub node: String,
    /// The metadata group's leader, if known.
    pub metadata_leader: Option<String>,
    /// Metadata changes applied.
    pub epoch: u64,
    /// The members.
    pub members: Vec<MemberView>,
    /// The tables and where their partitions should be.
    pub tables: Vec<TableView>,
}

/// A member in [`ClusterStatus`].
#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    /// Its id.
    pub node: String,
    /// Its peer port.
    pub peer_address: String,
    /// Its DynamoDB endpoint.
    pub api_address: String,
    /// `active` or `leaving`.
    pub status: &'static str,
    /// In the metadata group: `voter`, `learner` or `none`.
    pub role: &'static str,
    /// Milliseconds since this node last had word from it: an answer to a probe, or a probe
    /// of its own (`None`: this node, or never).
    pub last_seen_ms: Option<u64>,
    /// What this node's failure detector holds it to be: `alive`, `suspect` or `down` (`None`:
    /// this node).
    pub liveness: Option<&'static str>,
}

/// A table in [`ClusterStatus`].
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    /// Its name.
    pub name: String,
    /// Its id.
    pub id: u64,
    /// Its partitions in hash order.
    pub partitions: Vec<PartitionView>,
}

/// A partition in [`ClusterStatus`].
#[derive(Debug, Clone, Serialize)]
pub struct PartitionView {
    /// First hash of its range (16 hex digits).
    pub first_hash: String,
    /// Last hash of its range.
    pub last_hash: String,
    /// Its target replicas, preferred leader first.
    pub replicas: Vec<String>,
    /// Its group's leader, as this node knows it (only where it holds a replica).
    pub leader: Option<String>,
    /// The log index this node's replica has applied (only where it holds one).
    pub applied_here: Option<u64>,
    /// Whether this node's replica is quiet: idle, no heartbeats, no election timer (only where
    /// it holds one).
    pub quiet_here: Option<bool>,
}

/// Why a node was not admitted.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// This node does not lead the metadata group.
    NotLeader {
        /// The leader's peer address, if known.
        leader_address: Option<String>,
    },
    /// Something else went wrong; the joiner may retry.
    Failed(String),
}

fn refusal(error: RaftError<u64, ClientWriteError<u64, BasicNode>>) -> Refusal {
    match error {
        RaftError::APIError(ClientWriteError::ForwardToLeader(forward)) => Refusal::NotLeader {
            leader_address: forward.leader_node.map(|node| node.addr),
        },
        other => Refusal::Failed(other.to_string()),
    }
}

/// Admits `node` to the cluster through the metadata group's leader `raft`: learner (caught up),
/// voter while the group has fewer than three, then a member in the metadata. Idempotent: a node
/// that asks again (it restarted mid-join) is admitted again without harm.
pub(crate) async fn admit(
    raft: &PartitionRaftNode,
    node: NodeId,
    peer_address: &str,
    api_address: &str,
) -> Result<(), Refusal> {
    let voters: BTreeSet<u64> = raft
        .metrics()
        .borrow()
        .membership_config
        .membership()
        .voter_ids()
        .collect();
    if !voters.contains(&node.get()) {
        raft.add_learner(node.get(), BasicNode::new(peer_address), true)
            .await
            .map_err(refusal)?;
        if voters.len() < METADATA_VOTERS {
            raft.change_membership(ChangeMembers::AddVoterIds([node.get()].into()), false)
                .await
                .map_err(refusal)?;
        }
    }
    let applied = raft
        .client_write(Proposal::Metadata(MetadataCommand::Join {
            node,
            peer_address: peer_address.to_owned(),
            api_address: api_address.to_owned(),
        }))
        .await
        .map_err(refusal)?;
    match applied.data.refused {
        None => Ok(()),
        Some(error) => Err(Refusal::Failed(error.to_string())),
    }
}
