//! Tables on the cluster: each table's data is one replica group, and the engine's writes go
//! through the groups.
//!
//! - **Groups.** A table is a replica group whose id is the table's id. Its replicas are on the
//!   nodes of its placement; the group is started by the first node of the replicas it was
//!   created with (its founders), once, and afterwards its leader moves its membership towards
//!   the current placement (add the newcomer as a learner, wait until it has caught up, then
//!   make the placement the voters). [`TableGroups::reconcile`] does this whenever the
//!   metadata changes, and every two seconds anyway.
//! - **Writes** ([`Replicator`]). The engine decides a table's writes on the group's leader and
//!   hands over the batch; it is proposed to the group, fenced by the index of the last write
//!   the decision saw, and returns once applied here. Catalog changes (CreateTable, UpdateTable,
//!   DeleteTable, ...) go to the metadata group, from any node, with the cluster's side of the
//!   change (a table created or deleted) in the same entry.
//! - **Views.** Every replica tells its engine what it applied ([`EngineObserver`]), so every
//!   node's catalog, and every replica's statistics and stream positions, follow the log.
//! - **Routing** ([`TableGroups::route`]): where a request about a table must run.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ferrodyn_engine::Database;
use ferrodyn_engine::replicate::{CommitDone, CommitError, Replicator, Scope, TableChange, Ticket};
use ferrodyn_storage::{Db, Durability, Keyspace, Operation, WriteBatch};
use openraft::error::ClientWriteError;
use openraft::{BasicNode, Config};
use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::gossip::{Detector, Liveness};
use crate::metadata::{ClusterState, MetadataCommand};
use crate::node::NodeId;
use crate::peer::{
    Channels, LocalGroups, PeerNetwork, proto::ForwardRequest, proto::ProposeRequest,
};
use crate::replica::{
    Applied, ApplyObserver, Command, KeyRange, LogStore, PartitionRaftNode, PartitionRange,
    Proposal, Rejection, StateMachine, Write,
};
use crate::runtime::METADATA_GROUP;

mod quiet;

/// How long a write may wait for its group to commit and apply it.
const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often the groups are reconciled with the metadata even when nothing was applied (to
/// retry what failed, and for the background work and membership moves of groups whose leader
/// changed). A pass visits every table: with a thousand of them, passes twice a second cost
/// about a third of an idle node's CPU.
const RECONCILE_INTERVAL: Duration = Duration::from_secs(2);

/// Log entries between snapshots of a table's group (and so the log a replica keeps).
const SNAPSHOT_EVERY: u64 = 20_000;

/// The failure detector's period: each node probes one member per period (`gossip.rs`), and
/// a quiet group's leader asks its followers to go quiet within one.
const PING_INTERVAL: Duration = Duration::from_millis(500);

/// How long a direct probe waits for its answer before the member is probed through others
/// for the rest of the period.
const DIRECT_PROBE_TIMEOUT: Duration = Duration::from_millis(200);

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// How long a replica outside its table's placement may go without hearing from a leader before
/// it concludes it was removed from the group.
const ABANDONED_AFTER: Duration = Duration::from_secs(10);

/// The replica group of partition `partition` of table `table`: the table's id in the low 32
/// bits, the partition in the high ones (so a table's first partition is the group of the
/// table's id, as before tables had several).
pub fn group_id(table: u32, partition: u32) -> u64 {
    u64::from(table) | (u64::from(partition) << 32)
}

/// The table and partition of group `id` (see [`group_id`]).
pub fn group_partition(id: u64) -> (u32, u32) {
    (id as u32, (id >> 32) as u32)
}

/// The record marking a replica of group `id` as moved away from this node (keyspace `raft`,
/// after the group's own records).
fn retired_key(id: u64) -> Vec<u8> {
    crate::replica::record_key(id, crate::replica::RETIRED)
}

/// How long adding a replica may take to catch up before the leader tries again later.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(30);

/// Raft settings of a table's group.
pub(crate) fn group_config() -> Arc<Config> {
    let config = Config {
        cluster_name: "ferrodyn-table".into(),
        // openraft also gives each AppendEntries this long: under load on a small machine a
        // shorter one times out and stalls replication. Its timer ticks every 1.5 intervals,
        // also in a quiet group (where a tick does nothing): with a thousand groups per node
        // those wake-ups are most of an idle node's work. A follower elects after hearing
        // nothing for the leader lease (2 s) and a timeout of 1-2 s.
        heartbeat_interval: 500,
        election_timeout_min: 1000,
        election_timeout_max: 2000,
        // A snapshot is the table's whole state in memory (for now): take one rarely.
        snapshot_policy: openraft::SnapshotPolicy::LogsSinceLast(SNAPSHOT_EVERY),
        ..Config::default()
    };
    Arc::new(
        config
            .validate()
            .expect("the table groups' settings are valid"),
    )
}

/// [`group_config`] with the Raft timer stopped, for a replica being opened.
fn group_config_stopped() -> Arc<Config> {
    static STOPPED: std::sync::OnceLock<Arc<Config>> = std::sync::OnceLock::new();
    STOPPED
        .get_or_init(|| {
            let mut config = (*group_config()).clone();
            config.enable_tick = false;
            Arc::new(config)
        })
        .clone()
}

/// Keeps an engine's in-memory views in step with what a replica applies.
#[derive(Debug)]
pub(crate) struct EngineObserver {
    pub(crate) database: Arc<Database>,
    /// Woken on every applied change (the metadata group's observer: the reconciler listens).
    pub(crate) changed: Option<Arc<Notify>>,
}

impl ApplyObserver for EngineObserver {
    fn applied(&self, effects: &WriteBatch) {
        if let Err(error) = self.database.observe_applied(effects) {
            tracing::error!(%error, "the engine could not follow an applied change");
        }
        if let Some(changed) = &self.changed {
            changed.notify_one();
        }
    }

    fn installed(&self) {
        if let Err(error) = self.database.reload_views() {
            tracing::error!(%error, "the engine could not reload after a snapshot");
        }
        if let Some(changed) = &self.changed {
            changed.notify_one();
        }
    }
}

/// Where a request about a table must run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// On this node.
    Here,
    /// On the node whose peer port is this address.
    Peer(String),
    /// Nowhere yet: the group has no leader (an election is under way). Try again shortly.
    Unknown,
}

/// What a node's replica of a group knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaView {
    /// The group's leader, if known.
    pub leader: Option<u64>,
    /// The last log index applied here.
    pub applied: u64,
    /// Whether the replica here is quiet.
    pub quiet: bool,
}

/// The table groups of this node and everything that reaches them.
pub struct TableGroups {
    node: NodeId,
    db: Db,
    raft_keyspace: Keyspace,
    data: Keyspace,
    meta: Keyspace,
    database: Arc<Database>,
    groups: LocalGroups,
    channels: Channels,
    metadata_raft: PartitionRaftNode,
    metadata_fence: Arc<AtomicU64>,
    state: Arc<RwLock<ClusterState>>,
    /// Each local table group's fence (the id of its last applied write).
    fences: Mutex<HashMap<u64, Arc<AtomicU64>>>,
    /// The keys each local table group owns (kept to drop them once the table is gone).
    owned: Mutex<HashMap<u64, Vec<KeyRange>>>,
    /// Each led table group's chain of writes proposed and not yet applied.
    chains: Mutex<HashMap<u64, Chain>>,
    /// The failure detector: which members answer (`gossip.rs`).
    detector: Arc<Detector>,
    /// How long a member may not answer before its replicas are rebuilt elsewhere.
    failure_timeout: Duration,
    /// Since when each replica the placement no longer includes has had no leader.
    leaderless_since: Mutex<HashMap<u64, std::time::Instant>>,
    /// The last copy of the metadata [`TableGroups::snapshot`] made.
    snapshot: Mutex<Option<Arc<ClusterState>>>,
    /// Each led group's last log index and since when it has not changed (see `quiet.rs`).
    idle_since: Mutex<HashMap<u64, (u64, std::time::Instant)>>,
    /// Groups being opened, so two reconciliations never open one twice.
    opening: tokio::sync::Mutex<()>,
    handle: tokio::runtime::Handle,
    changed: Arc<Notify>,
}

impl std::fmt::Debug for TableGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableGroups")
            .field("node", &self.node)
            .field("groups", &self.groups)
            .finish()
    }
}

/// What [`TableGroups::new`] needs.
pub(crate) struct TableGroupsParts {
    pub(crate) node: NodeId,
    pub(crate) db: Db,
    pub(crate) raft_keyspace: Keyspace,
    pub(crate) database: Arc<Database>,
    pub(crate) groups: LocalGroups,
    pub(crate) channels: Channels,
    pub(crate) metadata_raft: PartitionRaftNode,
    pub(crate) metadata: StateMachine,
    pub(crate) changed: Arc<Notify>,
    pub(crate) failure_timeout: Duration,
    pub(crate) detector: Arc<Detector>,
}

impl TableGroups {
    pub(crate) fn new(parts: TableGroupsParts) -> TableGroups {
        let (data, meta) = parts.database.keyspaces();
        TableGroups {
            node: parts.node,
            db: parts.db,
            raft_keyspace: parts.raft_keyspace,
            data,
            meta,
            database: parts.database,
            groups: parts.groups,
            channels: parts.channels,
            metadata_raft: parts.metadata_raft,
            metadata_fence: parts.metadata.last_write(),
            state: parts
                .metadata
                .shared_cluster_state()
                .expect("the metadata group's state machine holds the cluster state"),
            fences: Mutex::default(),
            owned: Mutex::default(),
            chains: Mutex::default(),
            leaderless_since: Mutex::default(),
            snapshot: Mutex::default(),
            idle_since: Mutex::default(),
            detector: parts.detector,
            failure_timeout: parts.failure_timeout,
            opening: tokio::sync::Mutex::new(()),
            handle: tokio::runtime::Handle::current(),
            changed: parts.changed,
        }
    }

    /// Brings this node's table groups in line with the metadata, until `stop` is notified.
    pub(crate) async fn run(self: Arc<Self>, stop: Arc<Notify>) {
        let watching = tokio::spawn(self.clone().watch_members());
        let _stop_watching = AbortOnDrop(watching);
        loop {
            self.reconcile().await;
            tokio::select! {
                () = stop.notified() => return,
                () = self.changed.notified() => {}
                () = tokio::time::sleep(RECONCILE_INTERVAL) => {}
            }
        }
    }

    /// The failure detector's loop (`gossip.rs`): each period it probes one member, directly
    /// and then through others, and declares down the suspects that did not refute in time. The
    /// metadata leader starts moving the replicas of an active member that has been down, and
    /// silent, for the failure timeout (as a decommission does); the member becomes active again
    /// when it rejoins. Each period also wakes the quiet replicas whose leader is not answering and
    /// quiets the idle groups led here.
    async fn watch_members(self: Arc<Self>) {
        let started = std::time::Instant::now();
        loop {
            let period = tokio::time::Instant::now() + PING_INTERVAL;
            let state = self.snapshot();
            let now = std::time::Instant::now();
            self.detector
                .with(|gossip| gossip.set_members(state.members().keys().copied(), now));
            self.probe_one(&state).await;
            self.detector
                .with(|gossip| gossip.tick(std::time::Instant::now()));
            self.wake_orphans();
            self.quiesce_idle().await;
            if self.is_leader(&self.metadata_raft) {
                self.move_off_down_members(&state, started).await;
            }
            tokio::time::sleep_until(period).await;
        }
    }

    /// Probes the next member of the detector's round: directly, then, if it did not answer in
    /// time, through a few others for the rest of the period. Unanswered both ways, it becomes
    /// suspect.
    async fn probe_one(&self, state: &ClusterState) {
        let Some(target) = self.detector.with(|gossip| gossip.next_target()) else {
            return;
        };
        let Some(address) = state.members().get(&target).map(|m| m.peer_address.clone()) else {
            return;
        };
        let direct = crate::peer::ping_member(
            &self.channels,
            &self.detector,
            target,
            &address,
            DIRECT_PROBE_TIMEOUT,
        )
        .await;
        if direct.is_some() {
            return;
        }
        let helpers = self.detector.with(|gossip| gossip.helpers(target));
        let mut probes = tokio::task::JoinSet::new();
        for helper in helpers {
            let Some(helper_address) = state.members().get(&helper).map(|m| m.peer_address.clone())
            else {
                continue;
            };
            let (channels, detector, address) = (
                self.channels.clone(),
                self.detector.clone(),
                address.clone(),
            );
            probes.spawn(async move {
                crate::peer::probe_through(
                    &channels,
                    &detector,
                    helper,
                    &helper_address,
                    target,
                    &address,
                    PING_INTERVAL - DIRECT_PROBE_TIMEOUT,
                )
                .await
            });
        }
        let mut answer = None;
        while let Some(result) = probes.join_next().await {
            if let Ok(Some(incarnation)) = result {
                answer = Some(incarnation);
                break;
            }
        }
        let now = std::time::Instant::now();
        self.detector.with(|gossip| match answer {
            Some(incarnation) => gossip.answered(target, incarnation, now),
            None => gossip.unanswered(target, now),
        });
    }

    /// On the metadata leader: moves the replicas of every active member that the detector
    /// holds down and that has been silent for the failure timeout.
    async fn move_off_down_members(&self, state: &ClusterState, started: std::time::Instant) {
        for (id, member) in state.members() {
            if *id == self.node || member.status != crate::metadata::MemberStatus::Active {
                continue;
            }
            let (down, silent_for) = self.detector.with(|gossip| {
                let down = gossip
                    .liveness(*id)
                    .is_some_and(|(liveness, _)| liveness == Liveness::Down);
                (down, gossip.heard(*id).unwrap_or(started).elapsed())
            });
            if !down || silent_for < self.failure_timeout {
                continue;
            }
            tracing::warn!(node = %id, ?silent_for, "a member is down: moving its replicas to the others");
            if let Err(error) = self.decommission(*id).await {
                tracing::warn!(node = %id, %error, "could not move a down member's replicas");
            }
        }
    }

    /// The cluster's metadata as of now, shared: copied only when it changed since the last
    /// call (its epoch counts its changes), so the periodic passes over every
    /// table copy nothing while the cluster is steady.
    fn snapshot(&self) -> Arc<ClusterState> {
        let state = self.state.read();
        let mut cached = self.snapshot.lock();
        match &*cached {
            Some(copy) if copy.epoch() == state.epoch() => copy.clone(),
            _ => {
                let copy = Arc::new(state.clone());
                *cached = Some(copy.clone());
                copy
            }
        }
    }

    /// How long ago this node last had word from each member, and what the failure detector
    /// holds it to be.
    pub fn liveness(&self) -> HashMap<NodeId, (Option<Duration>, Liveness)> {
        let members: Vec<NodeId> = self.state.read().members().keys().copied().collect();
        self.detector.with(|gossip| {
            members
                .into_iter()
                .filter_map(|id| {
                    let (liveness, _) = gossip.liveness(id)?;
                    Some((id, (gossip.heard(id).map(|at| at.elapsed()), liveness)))
                })
                .collect()
        })
    }

    /// One pass: open the groups this node should hold, start the groups it founds, move the
    /// membership of the groups it leads towards their placement, and stop the groups of tables
    /// that are gone.
    pub async fn reconcile(&self) {
        let state = self.snapshot();
        let mut wanted = BTreeSet::new();
        let mut partitions: Vec<(u32, u32, Vec<NodeId>, Vec<NodeId>)> = Vec::new();
        for entry in state.tables().values() {
            let Ok(table) = u32::try_from(entry.id) else {
                continue;
            };
            for (partition, (target, founders)) in
                entry.placement.iter().zip(&entry.founders).enumerate()
            {
                partitions.push((table, partition as u32, target.to_vec(), founders.clone()));
            }
        }
        for (table, partition, target, founders) in partitions {
            let (target, founders) = (target.as_slice(), founders.as_slice());
            let id = group_id(table, partition);
            let in_target = target.contains(&self.node);
            // A replica the placement left stays until its leader has moved the group away
            // from it (a founder's too, after a restart): until then it may still be a voter.
            let holding = self.groups.find(id).is_some() || founders.contains(&self.node);
            if !in_target && (!holding || self.is_retired(id)) {
                continue;
            }
            if !in_target && self.abandoned(id) {
                // Moved away: the group's leader no longer talks to this replica.
                self.retire(id).await;
                continue;
            }
            wanted.insert(id);
            let opened = match self.groups.find(id) {
                Some(raft) => Ok(raft),
                None => self.open(id, in_target).await,
            };
            let raft = match opened {
                Ok(raft) => raft,
                Err(error) => {
                    tracing::error!(group = id, %error, "cannot open a table's replica");
                    continue;
                }
            };
            // A group with a log was started before (here or by the founder it came from).
            let started = raft.metrics().borrow().last_log_index.is_some();
            if !started
                && founders.first() == Some(&self.node)
                && !self.is_retired(id)
                && let Err(error) = self.found(&raft, founders, &state).await
            {
                tracing::warn!(group = id, %error, "cannot start a table's group");
            }
            if self.is_leader(&raft) {
                // Background work of the table (an index backfill, a time-to-live fill) that a
                // previous leader left unfinished, or that failed here, (re)starts on the
                // leader; what already runs here is left alone.
                self.database.resume_background(table, partition);
                self.move_towards(&raft, id, target, &state).await;
            }
        }
        let gone: Vec<u64> = self
            .fences
            .lock()
            .keys()
            .copied()
            .filter(|id| !wanted.contains(id))
            .collect();
        for id in gone {
            self.close(id).await;
        }
        self.reconcile_membership(&state, &wanted).await;
    }

    /// The cluster's own membership: the metadata group's leader keeps its voters the first
    /// active members (three at most), and a leaving member that holds no table replica any
    /// more asks to be removed.
    async fn reconcile_membership(&self, state: &ClusterState, holding: &BTreeSet<u64>) {
        let leaving = state
            .members()
            .get(&self.node)
            .is_some_and(|m| m.status == crate::metadata::MemberStatus::Leaving);
        if leaving && holding.is_empty() {
            let remove = Proposal::Metadata(MetadataCommand::Remove { node: self.node });
            match self.propose_metadata(remove).await {
                Ok(_) => tracing::info!(node = %self.node, "left the cluster"),
                Err(error) => tracing::warn!(%error, "could not leave the cluster yet"),
            }
        }
        if !self.is_leader(&self.metadata_raft) {
            return;
        }
        let membership = self
            .metadata_raft
            .metrics()
            .borrow()
            .membership_config
            .clone();
        let voters: BTreeSet<u64> = membership.membership().voter_ids().collect();
        let learners: BTreeSet<u64> = membership.membership().learner_ids().collect();
        let active = |id: &u64| {
            NodeId::new(*id)
                .and_then(|n| state.members().get(&n))
                .is_some_and(|m| m.status == crate::metadata::MemberStatus::Active)
        };
        let mut desired: BTreeSet<u64> = voters.iter().copied().filter(active).collect();
        for candidate in learners.iter().filter(|id| active(id)) {
            if desired.len() >= crate::runtime::METADATA_VOTERS {
                break;
            }
            desired.insert(*candidate);
        }
        if !desired.is_empty() && desired != voters {
            // The voters that step down stay learners until they are removed.
            match self.metadata_raft.change_membership(desired, true).await {
                Ok(_) => tracing::info!("changed the metadata group's voters"),
                Err(error) => tracing::warn!(%error, "could not change the metadata voters"),
            }
            return;
        }
        let gone: BTreeSet<u64> = voters
            .union(&learners)
            .copied()
            .filter(|id| NodeId::new(*id).is_none_or(|n| !state.members().contains_key(&n)))
            .collect();
        if !gone.is_empty() {
            let change = openraft::ChangeMembers::RemoveNodes(gone);
            if let Err(error) = self.metadata_raft.change_membership(change, false).await {
                tracing::warn!(%error, "could not drop removed members from the metadata group");
            }
        }
    }

    /// Starts moving node `node`'s replicas away; it leaves the cluster once it holds none.
    pub async fn decommission(&self, node: NodeId) -> Result<(), String> {
        let applied = self
            .propose_metadata(Proposal::Metadata(MetadataCommand::Decommission { node }))
            .await?;
        match applied.refused {
            Some(refused) => Err(refused.to_string()),
            None => Ok(()),
        }
    }

    /// Whether this node's replica of group `id` was moved away before: it must never start
    /// the group again (the group lives on elsewhere).
    fn is_retired(&self, id: u64) -> bool {
        matches!(
            self.db.get(self.raft_keyspace, &retired_key(id)),
            Ok(Some(_))
        )
    }

    /// Whether this node's replica of group `id`, which the placement no longer includes, has
    /// heard from no leader for [`ABANDONED_AFTER`]: the leader removed it from the group.
    fn abandoned(&self, id: u64) -> bool {
        let leaderless = self
            .groups
            .find(id)
            .is_some_and(|raft| raft.metrics().borrow().current_leader.is_none());
        let mut since = self.leaderless_since.lock();
        if !leaderless {
            since.remove(&id);
            return false;
        }
        let first = *since.entry(id).or_insert_with(std::time::Instant::now);
        first.elapsed() >= ABANDONED_AFTER
    }

    /// Stops this node's replica of group `id` (its table lives on elsewhere), drops its copy of
    /// the table and marks the group retired here.
    async fn retire(&self, id: u64) {
        self.leaderless_since.lock().remove(&id);
        let ranges = self.owned.lock().get(&id).cloned();
        self.close(id).await;
        let Some(ranges) = ranges.or_else(|| self.group_ranges(id).ok()) else {
            tracing::warn!(
                group = id,
                "a moved replica's keys are unknown: its data stays"
            );
            return;
        };
        let mut batch = WriteBatch::new();
        for range in &ranges {
            batch.delete_range(range.keyspace, &range.start, &range.end);
        }
        batch.put(self.raft_keyspace, &retired_key(id), b"");
        match self.db.write(batch, Durability::Sync) {
            Ok(_) => tracing::info!(group = id, "retired a table replica that moved away"),
            Err(error) => tracing::warn!(group = id, %error, "could not drop a moved replica"),
        }
    }

    /// This node's replica of table group `id`, opened if need be. A replica reopened (after a
    /// restart) where the placement wants it, that last followed another node, starts quiet: if
    /// its group went quiet meanwhile, no heartbeat would stop it from starting an election at
    /// once, and leadership would move with every restart. It wakes like any quiet replica.
    async fn open(&self, id: u64, in_target: bool) -> Result<PartitionRaftNode, String> {
        let _opening = self.opening.lock().await;
        if let Some(raft) = self.groups.find(id) {
            return Ok(raft);
        }
        let owned = self.group_ranges(id)?;
        let mut ranges = owned.clone().into_iter();
        let first = ranges.next().ok_or("a replica group owns no keys")?;
        let machine = StateMachine::new(
            self.db.clone(),
            self.data,
            self.raft_keyspace,
            id,
            PartitionRange {
                start: first.start,
                end: first.end,
            },
        )
        .with_ranges(self.meta, ranges.collect())
        .with_observer(Arc::new(EngineObserver {
            database: self.database.clone(),
            changed: None,
        }));
        let fence = machine.last_write();
        let log = LogStore::new(self.db.clone(), self.raft_keyspace, id);
        let followed = log
            .stored_vote()
            .ok()
            .flatten()
            .filter(|vote| vote.is_committed())
            .and_then(|vote| Some((vote.leader_id().voted_for()?, vote.leader_id().get_term())))
            .filter(|(leader, _)| *leader != self.node.get() && in_target);
        // Its timer starts stopped, and runs from here on unless the replica starts quiet.
        let raft = PartitionRaftNode::new(
            self.node.get(),
            group_config_stopped(),
            PeerNetwork::new(id, self.channels.clone()),
            log,
            machine,
        )
        .await
        .map_err(|e| e.to_string())?;
        self.fences.lock().insert(id, fence);
        self.owned.lock().insert(id, owned);
        self.groups.insert(id, raft.clone());
        match followed {
            Some((leader, term)) => self.groups.hush(id, crate::peer::Hush { leader, term }),
            None => raft.runtime_config().tick(true),
        }
        tracing::info!(group = id, "opened a table replica");
        Ok(raft)
    }

    /// The keys a table group owns: its partition's ranges of the `data` keyspace (the whole
    /// table for a table of one partition) and its statistics in `meta`. They come from the
    /// table's definition, so a group is not opened before this node's catalog has it: the
    /// metadata group publishes a new table to the reconciliation a moment before the engine
    /// has applied its definition, and a guess would give a partition's group the whole table.
    fn group_ranges(&self, id: u64) -> Result<Vec<KeyRange>, String> {
        let (table, partition) = group_partition(id);
        let data = self
            .database
            .partition_ranges(table, partition)
            .ok_or_else(|| format!("table {table} is not in this node's catalog yet"))?;
        let stats = ferrodyn_engine::catalog::stats_key(table, partition);
        let mut ranges: Vec<KeyRange> = data
            .into_iter()
            .map(|(start, end)| KeyRange {
                keyspace: self.data,
                start,
                end,
            })
            .collect();
        ranges.push(KeyRange {
            keyspace: self.meta,
            end: ferrodyn_engine::catalog::prefix_end(&stats),
            start: stats,
        });
        Ok(ranges)
    }

    /// Starts group `raft` with `founders` as its voters, unless it was started before.
    async fn found(
        &self,
        raft: &PartitionRaftNode,
        founders: &[NodeId],
        state: &ClusterState,
    ) -> Result<(), String> {
        if raft.is_initialized().await.map_err(|e| e.to_string())? {
            return Ok(());
        }
        let members: BTreeMap<u64, BasicNode> = founders
            .iter()
            .filter_map(|n| {
                let member = state.members().get(n)?;
                Some((n.get(), BasicNode::new(&member.peer_address)))
            })
            .collect();
        raft.initialize(members).await.map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Moves the voters of group `raft` (led here) to `target`: each missing replica joins as a
    /// learner and catches up first, then the voters are replaced in one change.
    async fn move_towards(
        &self,
        raft: &PartitionRaftNode,
        id: u64,
        target: &[NodeId],
        state: &ClusterState,
    ) {
        let membership = raft.metrics().borrow().membership_config.clone();
        let voters: BTreeSet<u64> = membership.membership().voter_ids().collect();
        let wanted: BTreeSet<u64> = target.iter().map(|n| n.get()).collect();
        if voters == wanted || wanted.is_empty() {
            return;
        }
        self.groups.wake(id);
        for node in target {
            if voters.contains(&node.get()) {
                continue;
            }
            let Some(member) = state.members().get(node) else {
                return;
            };
            let added = tokio::time::timeout(
                CATCH_UP_TIMEOUT,
                raft.add_learner(node.get(), BasicNode::new(&member.peer_address), true),
            )
            .await;
            if !matches!(added, Ok(Ok(_))) {
                tracing::warn!(group = id, node = %node, "a new replica did not catch up yet");
                return;
            }
        }
        match raft.change_membership(wanted, false).await {
            Ok(_) => tracing::info!(group = id, "moved a table's replicas to its placement"),
            Err(error) => tracing::warn!(group = id, %error, "could not move a table's replicas"),
        }
    }

    /// Stops this node's replica of group `id` (its table is gone, or it moved away) and
    /// forgets its Raft state and its data. (A table of one partition dropped its data through
    /// its group at DeleteTable already; the partitions of a larger table that the deleting node
    /// did not lead are dropped here, by each replica.)
    async fn close(&self, id: u64) {
        self.fences.lock().remove(&id);
        let owned = self.owned.lock().remove(&id);
        if let Some(raft) = self.groups.remove(id) {
            if let Err(error) = raft.shutdown().await {
                tracing::warn!(group = id, %error, "a table replica did not stop cleanly");
            }
            let mut batch = WriteBatch::new();
            for range in owned.iter().flatten() {
                batch.delete_range(range.keyspace, &range.start, &range.end);
            }
            batch.delete_range(
                self.raft_keyspace,
                &id.to_be_bytes(),
                &(id + 1).to_be_bytes(),
            );
            if let Err(error) = self.db.write(batch, Durability::Buffered) {
                tracing::warn!(group = id, %error, "could not drop a table replica's log");
            }
            tracing::info!(group = id, "closed a table replica");
        }
    }

    /// Stops every table replica of this node.
    pub(crate) async fn shutdown(&self) {
        let ids: Vec<u64> = self.fences.lock().drain().map(|(id, _)| id).collect();
        for id in ids {
            if let Some(raft) = self.groups.remove(id) {
                let _ = raft.shutdown().await;
            }
        }
    }

    fn is_leader(&self, raft: &PartitionRaftNode) -> bool {
        raft.metrics().borrow().current_leader == Some(self.node.get())
    }

    /// The peer address of group `raft`'s leader, as `raft` knows it.
    fn leader_address(raft: &PartitionRaftNode) -> Option<(u64, String)> {
        let metrics = raft.metrics().borrow().clone();
        let leader = metrics.current_leader?;
        let node = metrics.membership_config.membership().get_node(&leader)?;
        Some((leader, node.addr.clone()))
    }

    /// What this node's replica of table group `id` knows, if it holds one.
    pub fn local_view(&self, id: u64) -> Option<ReplicaView> {
        let raft = self.groups.find(id)?;
        let metrics = raft.metrics().borrow().clone();
        Some(ReplicaView {
            leader: metrics.current_leader,
            applied: metrics.last_applied.map_or(0, |id| id.index),
            quiet: self.groups.hushed(id).is_some(),
        })
    }

    /// Where a request about partition `partition` of table `name` must run (partition 0 for
    /// requests about the table as a whole).
    pub fn route(&self, name: &str, partition: u32) -> Route {
        let state = self.state.read();
        let Some(entry) = state.tables().get(name) else {
            // Unknown here: the metadata leader knows every table created so far.
            drop(state);
            return self.route_catalog();
        };
        let index = partition as usize;
        if index >= entry.partitions.len() {
            // A partition the table does not have (yet, here): the request fails or is
            // placed again wherever it runs; the metadata leader's view is freshest.
            drop(state);
            return self.route_catalog();
        }
        let Ok(table) = u32::try_from(entry.id) else {
            return Route::Unknown;
        };
        let local = self
            .groups
            .find(group_id(table, partition))
            .map(|raft| Self::leader_address(&raft));
        match local {
            Some(Some((leader, _))) if leader == self.node.get() => Route::Here,
            // A leader held down is not sent requests to wait on: the group elects another
            // within seconds (the circuit opens until it answers again).
            Some(Some((leader, _))) if NodeId::new(leader).is_some_and(|n| self.is_suspect(n)) => {
                Route::Unknown
            }
            Some(Some((_, address))) => Route::Peer(address),
            // A replica that knows no leader: an election, or it was moved away. Another
            // replica may know.
            _ => entry
                .placement
                .replicas(index)
                .iter()
                .chain(entry.founders.get(index).into_iter().flatten())
                .filter(|n| **n != self.node && !self.is_suspect(**n))
                .find_map(|n| state.members().get(n))
                .map_or(Route::Unknown, |m| Route::Peer(m.peer_address.clone())),
        }
    }

    /// Whether the failure detector holds member `node` down: it gets no forwarded requests
    /// (the other replicas elect a leader in less time than a request would wait for it).
    fn is_suspect(&self, node: NodeId) -> bool {
        self.detector.with(|gossip| {
            gossip
                .liveness(node)
                .is_some_and(|(liveness, _)| liveness == Liveness::Down)
        })
    }

    /// Confirms that this node still leads the group of table `name` (a heartbeat round to a
    /// quorum) and has applied everything committed before now: a read that follows sees every
    /// write acknowledged before it began. Fails if this node does not lead the group; a table
    /// the cluster does not know needs nothing.
    pub async fn linearize(&self, name: &str, partition: u32) -> Result<(), String> {
        let Some(table) = self.state.read().tables().get(name).map(|entry| entry.id) else {
            // No such table: the request fails the same wherever it runs.
            return Ok(());
        };
        let Ok(table) = u32::try_from(table) else {
            return Ok(());
        };
        let id = group_id(table, partition);
        let raft = self.groups.find(id).ok_or("no replica of the table here")?;
        tokio::time::timeout(COMMIT_TIMEOUT, raft.ensure_linearizable())
            .await
            .map_err(|_| "the group's leadership could not be confirmed in time".to_owned())?
            .map_err(|error| error.to_string())?;
        Ok(())
    }

    /// Where the catalog is freshest: the metadata group's leader.
    pub fn route_catalog(&self) -> Route {
        match Self::leader_address(&self.metadata_raft) {
            Some((leader, _)) if leader == self.node.get() => Route::Here,
            Some((leader, _)) if NodeId::new(leader).is_some_and(|n| self.is_suspect(n)) => {
                Route::Unknown
            }
            Some((_, address)) => Route::Peer(address),
            None => Route::Unknown,
        }
    }

    /// Sends a DynamoDB request to the node at `peer` (forwarded `hops` times before; one share
    /// of a page, with `share`).
    pub async fn forward(
        &self,
        peer: &str,
        target: &str,
        body: Vec<u8>,
        hops: u32,
        share: Option<ferrodyn_engine::PageShare>,
    ) -> Result<crate::peer::Answer, ForwardError> {
        let mut client = self.channels.client(peer).map_err(ForwardError::unsent)?;
        let request = ForwardRequest {
            target: target.to_owned(),
            body,
            hops,
            share: share.map(Into::into),
        };
        let mut request = tonic::Request::new(request);
        request.set_timeout(COMMIT_TIMEOUT + Duration::from_secs(5));
        let reply = client
            .forward(request)
            .await
            .map_err(|status| ForwardError {
                may_have_run: !crate::peer::never_reached_peer(&status),
                message: status.to_string(),
            })?
            .into_inner();
        let status = u16::try_from(reply.status).map_err(|_| ForwardError {
            message: "a forwarded reply's status is not HTTP".to_owned(),
            may_have_run: true,
        })?;
        Ok(crate::peer::Answer {
            status,
            body: reply.body,
            progress: reply.progress.map(Into::into),
        })
    }

    /// Proposes `proposal` to the metadata group through its leader, wherever it is, and waits
    /// until this node has applied it too (so this node's catalog shows the change at once).
    async fn propose_metadata(&self, proposal: Proposal) -> Result<Applied, String> {
        let deadline = tokio::time::Instant::now() + COMMIT_TIMEOUT;
        let mut backoff = Duration::from_millis(10);
        let payload = serde_json::to_vec(&proposal).map_err(|e| e.to_string())?;
        loop {
            let attempt = match Self::leader_address(&self.metadata_raft) {
                Some((leader, _)) if leader == self.node.get() => {
                    match self.metadata_raft.client_write(proposal.clone()).await {
                        Ok(response) => return Ok(response.data),
                        Err(error) => error.to_string(),
                    }
                }
                Some((_, address)) => match self.channels.client(&address) {
                    Err(error) => error,
                    Ok(mut client) => {
                        let request = ProposeRequest {
                            group: METADATA_GROUP,
                            proposal: payload.clone(),
                        };
                        match client.propose(request).await {
                            Ok(reply) => {
                                let reply = reply.into_inner();
                                if reply.applied.is_empty() {
                                    reply.error
                                } else {
                                    let applied: Applied = serde_json::from_slice(&reply.applied)
                                        .map_err(|e| e.to_string())?;
                                    let _ = self
                                        .metadata_raft
                                        .wait(Some(COMMIT_TIMEOUT))
                                        .applied_index_at_least(
                                            Some(applied.index),
                                            "a catalog change applied here",
                                        )
                                        .await;
                                    return Ok(applied);
                                }
                            }
                            Err(status) => status.to_string(),
                        }
                    }
                },
                None => "the metadata group has no leader".to_owned(),
            };
            if tokio::time::Instant::now() + backoff > deadline {
                return Err(attempt);
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_millis(500));
        }
    }

    /// Runs `future` to completion from synchronous code: the engine's writer threads, or a
    /// request's task (which then gives its worker thread up while it waits).
    fn block_on<F: Future>(&self, future: F) -> F::Output {
        if tokio::runtime::Handle::try_current().is_ok() {
            tokio::task::block_in_place(|| self.handle.block_on(future))
        } else {
            self.handle.block_on(future)
        }
    }

    /// `batch` as commands' writes: to the `data` keyspace and to the `meta` keyspace.
    fn split(&self, batch: &WriteBatch) -> Result<(Vec<Write>, Vec<Write>), CommitError> {
        let mut data = Vec::new();
        let mut meta = Vec::new();
        for operation in batch.operations() {
            let (keyspace, write) = match operation {
                Operation::Put {
                    keyspace,
                    key,
                    value,
                } => (
                    keyspace,
                    Write::Put {
                        key: key.to_vec(),
                        value: value.to_vec(),
                    },
                ),
                Operation::Delete { keyspace, key } => {
                    (keyspace, Write::Delete { key: key.to_vec() })
                }
                Operation::DeleteRange {
                    keyspace,
                    start,
                    end,
                } => (
                    keyspace,
                    Write::DeleteRange {
                        start: start.to_vec(),
                        end: end.to_vec(),
                    },
                ),
            };
            if keyspace == self.data {
                data.push(write);
            } else if keyspace == self.meta {
                meta.push(write);
            } else {
                return Err(CommitError::Unavailable(
                    Scope::Catalog,
                    "a batch writes a keyspace that is not replicated".into(),
                ));
            }
        }
        Ok((data, meta))
    }
}

/// The writes of a group proposed by this node (its leader) and not yet applied: each names the
/// one before it, so the state machine applies them only in that order and only after it.
#[derive(Debug, Default)]
struct Chain {
    /// The id of the last write proposed.
    tip: Option<u64>,
    /// Writes proposed and not yet applied or failed.
    in_flight: usize,
    /// One of them failed: those after it will be refused too, so nothing new may follow
    /// until they have all landed.
    broken: bool,
}

/// A write id: random, so that ids of different leaders never coincide.
fn new_write_id() -> u64 {
    loop {
        let id = rand::random::<u64>();
        if id != 0 {
            return id;
        }
    }
}

/// What applying a proposal returned, as the engine's commit result.
fn commit_result(scope: Scope, applied: &Applied) -> Result<(), CommitError> {
    match (applied.rejected, &applied.refused) {
        (None, None) => Ok(()),
        (Some(Rejection::Stale), _) => Err(CommitError::Stale(scope)),
        (Some(Rejection::OutsideRanges), _) => Err(CommitError::Unavailable(
            scope,
            "the write falls outside its replica group".into(),
        )),
        (None, Some(refused)) => Err(CommitError::Unavailable(scope, refused.to_string())),
    }
}

/// The engine's [`Replicator`] on a cluster member.
#[derive(Debug, Clone)]
pub struct ClusterReplicator(pub(crate) Arc<TableGroups>);

impl Replicator for ClusterReplicator {
    fn begin(&self, scope: Scope) -> Result<Ticket, CommitError> {
        match scope {
            Scope::Catalog => Ok(Ticket {
                prev: self.0.metadata_fence.load(Ordering::Acquire),
                seq: new_write_id(),
            }),
            Scope::Partition(table, partition) => {
                let id = group_id(table, partition);
                let raft = self
                    .0
                    .groups
                    .find(id)
                    .ok_or(CommitError::NotLeader(scope))?;
                if !self.0.is_leader(&raft) {
                    return Err(CommitError::NotLeader(scope));
                }
                let fence = self.0.fences.lock().get(&id).cloned();
                let fence = fence.ok_or(CommitError::NotLeader(scope))?;
                let mut chains = self.0.chains.lock();
                let chain = chains.entry(id).or_default();
                if chain.in_flight == 0 {
                    chain.broken = false;
                    chain.tip = None;
                }
                if chain.broken {
                    return Err(CommitError::Stale(scope));
                }
                Ok(Ticket {
                    prev: chain.tip.unwrap_or_else(|| fence.load(Ordering::Acquire)),
                    seq: new_write_id(),
                })
            }
        }
    }

    fn commit(
        &self,
        scope: Scope,
        ticket: Ticket,
        batch: WriteBatch,
        durability: Durability,
        change: Option<TableChange>,
    ) -> Result<(), CommitError> {
        if let Scope::Partition(..) = scope {
            // A table's writes take the pipelined path; waiting for it is the synchronous one.
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let done: CommitDone = Box::new(move |result| {
                let _ = sender.send(result);
            });
            self.commit_async(scope, ticket, batch, durability, done);
            return self.0.block_on(receiver).unwrap_or_else(|_| {
                Err(CommitError::Unavailable(
                    scope,
                    "the commit was dropped".into(),
                ))
            });
        }
        let (writes, meta_writes) = self.0.split(&batch)?;
        let command = Command {
            writes,
            meta_writes,
            based_on: Some(ticket.prev),
            seq: ticket.seq,
        };
        let change = change.map(|change| match change {
            TableChange::Created {
                id,
                name,
                partitions,
            } => MetadataCommand::CreateTable {
                name,
                partitions: partitions.max(1) as usize,
                id: Some(u64::from(id)),
            },
            TableChange::Deleted { name, .. } => MetadataCommand::DeleteTable { name },
        });
        // A table the cluster no longer lists (a deletion retried) leaves only its definition to
        // remove.
        let change = change.filter(|change| match change {
            MetadataCommand::DeleteTable { name } => {
                self.0.state.read().tables().contains_key(name)
            }
            _ => true,
        });
        let proposal = Proposal::Catalog { command, change };
        let applied = self
            .0
            .block_on(self.0.propose_metadata(proposal))
            .map_err(|error| CommitError::Unavailable(scope, error))?;
        commit_result(scope, &applied)
    }

    fn pipelines(&self) -> bool {
        true
    }

    fn commit_async(
        &self,
        scope: Scope,
        ticket: Ticket,
        batch: WriteBatch,
        durability: Durability,
        done: CommitDone,
    ) {
        let Scope::Partition(table, partition) = scope else {
            return done(self.commit(scope, ticket, batch, durability, None));
        };
        let id = group_id(table, partition);
        let (writes, meta_writes) = match self.0.split(&batch) {
            Ok(split) => split,
            Err(error) => return done(Err(error)),
        };
        let Some(raft) = self.0.groups.find(id) else {
            return done(Err(CommitError::NotLeader(scope)));
        };
        let command = Command {
            writes,
            meta_writes,
            based_on: Some(ticket.prev),
            seq: ticket.seq,
        };
        // Proposed here, in order (the chain's order is the log's); awaited by a task.
        let submitted = self
            .0
            .block_on(async { raft.client_write_ff(Proposal::Write(command)).await });
        let receiver = match submitted {
            Ok(receiver) => receiver,
            Err(error) => return done(Err(CommitError::Unavailable(scope, error.to_string()))),
        };
        {
            let mut chains = self.0.chains.lock();
            let chain = chains.entry(id).or_default();
            chain.tip = Some(ticket.seq);
            chain.in_flight += 1;
        }
        // A quiet group keeps time again while it is written to. Woken after the write counts
        // as in flight: the quiet pass, which looks at both, cannot miss it (see `quiet.rs`).
        self.0.groups.wake(id);
        let groups = self.0.clone();
        self.0.handle.spawn(async move {
            let result = match tokio::time::timeout(COMMIT_TIMEOUT, receiver).await {
                Ok(Ok(Ok(response))) => commit_result(scope, &response.data),
                Ok(Ok(Err(ClientWriteError::ForwardToLeader(_)))) => {
                    Err(CommitError::NotLeader(scope))
                }
                Ok(Ok(Err(error))) => Err(CommitError::Unavailable(scope, error.to_string())),
                Ok(Err(_)) => Err(CommitError::Unavailable(
                    scope,
                    "the replica group stopped before answering".into(),
                )),
                Err(_) => Err(CommitError::Unavailable(
                    scope,
                    format!("not committed within {COMMIT_TIMEOUT:?}"),
                )),
            };
            {
                let mut chains = groups.chains.lock();
                let chain = chains.entry(id).or_default();
                chain.in_flight -= 1;
                if result.is_err() {
                    chain.broken = true;
                }
            }
            done(result);
        });
    }

    fn leads(&self, scope: Scope) -> bool {
        let group = match scope {
            Scope::Catalog => return self.0.route_catalog() == Route::Here,
            Scope::Partition(table, partition) => group_id(table, partition),
        };
        self.0
            .groups
            .find(group)
            .is_some_and(|raft| self.0.is_leader(&raft))
    }
}

/// A forwarded request that got no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardError {
    /// What went wrong.
    pub message: String,
    /// Whether the peer may have run the request: it was sent, and its answer was lost (the
    /// peer stopped or the connection broke) or late. Sending it again could then run it twice.
    pub may_have_run: bool,
}

impl ForwardError {
    /// A request that never left this node.
    fn unsent(message: String) -> ForwardError {
        ForwardError {
            message,
            may_have_run: false,
        }
    }
}

impl std::fmt::Display for ForwardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}
