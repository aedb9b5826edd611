//! The peer port: nodes exchange the Raft messages of the replica groups they host over gRPC
//! (tonic; the protocol is `proto/peer.proto`).
//!
//! [`serve`] answers for the groups in a [`LocalGroups`]; [`PeerNetwork`] is what one replica group
//! uses to reach its peers on other nodes (openraft's network factory). Connections are made
//! lazily, one HTTP/2 channel per peer address shared by every group, and each call carries the
//! deadline openraft gives it, so a dead or slow peer costs a timeout, never a stuck replica.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use openraft::BasicNode;
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable,
};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use parking_lot::{Mutex, RwLock};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::transport::{Channel, Endpoint};

use crate::gossip::Detector;
use crate::node::NodeId;
use crate::replica::{PartitionRaft, PartitionRaftNode};

/// Code generated from `proto/peer.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("ferrodyn.peer.v1");
}

use proto::peer_client::PeerClient;
use proto::peer_server::{Peer, PeerServer};
use proto::{
    ForwardReply, ForwardRequest, JoinReply, JoinRequest, PageProgress, PageShare, PingReply,
    PingRequest, ProbeForReply, ProbeForRequest, ProposeReply, ProposeRequest, QuiesceReply,
    QuiesceRequest, RaftReply, RaftRequest,
};

/// Runs DynamoDB requests that other nodes forward to this one.
pub trait RequestHandler: Send + Sync {
    /// Runs the request `target` (the `X-Amz-Target` operation) with JSON `body`, forwarded
    /// `hops` times already (one share of a page, with `share`: see
    /// [`ferrodyn_engine::PageShare`]); returns the HTTP status and the JSON body.
    fn handle(
        &self,
        target: String,
        body: Vec<u8>,
        hops: u32,
        share: Option<ferrodyn_engine::PageShare>,
    ) -> std::pin::Pin<Box<dyn Future<Output = Answer> + Send + '_>>;
}

/// The answer to a forwarded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// JSON body.
    pub body: Vec<u8>,
    /// How far a share of a page got (a Scan's or a BatchGetItem's).
    pub progress: Option<ferrodyn_engine::PageProgress>,
}

impl From<ferrodyn_engine::PageShare> for PageShare {
    fn from(slice: ferrodyn_engine::PageShare) -> Self {
        PageShare {
            partition: slice.partition,
            count_before: slice.count_before,
            scanned_before: slice.scanned_before,
            bytes_before: slice.bytes_before,
            fetched_before: slice.fetched_before,
        }
    }
}

impl From<PageShare> for ferrodyn_engine::PageShare {
    fn from(slice: PageShare) -> Self {
        ferrodyn_engine::PageShare {
            partition: slice.partition,
            count_before: slice.count_before,
            scanned_before: slice.scanned_before,
            bytes_before: slice.bytes_before,
            fetched_before: slice.fetched_before,
        }
    }
}

impl From<ferrodyn_engine::PageProgress> for PageProgress {
    fn from(progress: ferrodyn_engine::PageProgress) -> Self {
        PageProgress {
            bytes_read: progress.bytes_read,
            fetched_bytes: progress.fetched_bytes,
            exhausted: progress.exhausted,
        }
    }
}

impl From<PageProgress> for ferrodyn_engine::PageProgress {
    fn from(progress: PageProgress) -> Self {
        ferrodyn_engine::PageProgress {
            bytes_read: progress.bytes_read,
            fetched_bytes: progress.fetched_bytes,
            exhausted: progress.exhausted,
        }
    }
}

/// Where the node's [`RequestHandler`] is put once the server has one. Cheap to clone.
#[derive(Clone, Default)]
pub struct HandlerSlot(Arc<std::sync::OnceLock<Arc<dyn RequestHandler>>>);

impl HandlerSlot {
    /// Installs `handler` (only the first call has an effect).
    pub fn set(&self, handler: Arc<dyn RequestHandler>) {
        let _ = self.0.set(handler);
    }
}

/// The largest message on the peer port: a forwarded request or answer (DynamoDB's own limits
/// keep those under 17 MB) or a snapshot of a replica's whole state (sent in one message for
/// now, which bounds what a replica may hold to this).
const MESSAGE_BYTES_MAX: usize = 1 << 30;

fn peer_client(channel: Channel) -> PeerClient<Channel> {
    PeerClient::new(channel)
        .max_decoding_message_size(MESSAGE_BYTES_MAX)
        .max_encoding_message_size(MESSAGE_BYTES_MAX)
}

/// How long connecting to a peer may take before the call fails as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The replica groups this node hosts, by group id, and which of them are quiet. Cheap to clone;
/// clones share the set.
#[derive(Clone, Default)]
pub struct LocalGroups {
    groups: Arc<RwLock<HashMap<u64, PartitionRaftNode>>>,
    quiet: Arc<Mutex<HashMap<u64, Hush>>>,
}

/// Under which leadership a quiet replica went quiet: a message of another leader or term wakes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hush {
    /// The group's leader (this node, for a quiet leader).
    pub leader: u64,
    /// Its term.
    pub term: u64,
}

impl std::fmt::Debug for LocalGroups {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut groups: Vec<u64> = self.groups.read().keys().copied().collect();
        groups.sort_unstable();
        f.debug_struct("LocalGroups")
            .field("groups", &groups)
            .finish()
    }
}

impl LocalGroups {
    /// Starts answering for `group` with `raft`.
    pub fn insert(&self, group: u64, raft: PartitionRaftNode) {
        self.groups.write().insert(group, raft);
    }

    /// Stops answering for `group`.
    pub fn remove(&self, group: u64) -> Option<PartitionRaftNode> {
        self.quiet.lock().remove(&group);
        self.groups.write().remove(&group)
    }

    /// Quiets this node's replica of `group` under `hush`: its Raft timer stops (a leader sends
    /// no heartbeats, a follower starts no election) until [`LocalGroups::wake`].
    pub fn hush(&self, group: u64, hush: Hush) {
        let Some(raft) = self.find(group) else {
            return;
        };
        // The timer changes under the lock, so that a wake racing with this leaves the replica
        // either quiet and listed or running and unlisted, never stopped and unlisted.
        let mut quiet = self.quiet.lock();
        quiet.insert(group, hush);
        raft.runtime_config().tick(false);
    }

    /// Restarts the Raft timer of this node's replica of `group` if it was quiet.
    pub fn wake(&self, group: u64) {
        let mut quiet = self.quiet.lock();
        if quiet.remove(&group).is_none() {
            return;
        }
        if let Some(raft) = self.find(group) {
            raft.runtime_config().tick(true);
        }
    }

    /// Under which leadership this node's replica of `group` is quiet, if it is.
    pub fn hushed(&self, group: u64) -> Option<Hush> {
        self.quiet.lock().get(&group).copied()
    }

    /// Every quiet replica of this node, with its leadership.
    pub fn quiet_groups(&self) -> Vec<(u64, Hush)> {
        self.quiet.lock().iter().map(|(g, h)| (*g, *h)).collect()
    }

    /// Wakes the quiet replica of `group` here for a Raft message from `vote` (carrying entries
    /// or not): anything but an empty AppendEntries of the leader it went quiet under (a quiet
    /// leader's leadership check sends those) wakes it.
    fn wake_for(&self, group: u64, vote: &openraft::Vote<u64>, entries: bool) {
        let Some(hush) = self.hushed(group) else {
            return;
        };
        let same_leader = vote.leader_id().voted_for() == Some(hush.leader)
            && vote.leader_id().get_term() == hush.term;
        if entries || !same_leader {
            self.wake(group);
        }
    }

    /// The groups of `proposed` that go quiet here under `leader`: this node's replica follows
    /// `leader` in the proposed term and has exactly the proposed log, all of it applied.
    pub fn accept_quiet(&self, leader: u64, proposed: &[proto::QuietGroup]) -> Vec<u64> {
        let mut accepted = Vec::new();
        for quiet in proposed {
            let Some(raft) = self.find(quiet.group) else {
                continue;
            };
            let agrees = {
                let metrics = raft.metrics();
                let metrics = metrics.borrow();
                metrics.state == openraft::ServerState::Follower
                    && metrics.current_leader == Some(leader)
                    && metrics.current_term == quiet.term
                    && metrics.last_log_index == Some(quiet.index)
                    && metrics.last_applied.map(|applied| applied.index) == Some(quiet.index)
            };
            if agrees {
                self.hush(
                    quiet.group,
                    Hush {
                        leader,
                        term: quiet.term,
                    },
                );
                accepted.push(quiet.group);
            }
        }
        accepted
    }

    /// This node's replica of `group`, if it hosts one.
    pub fn find(&self, group: u64) -> Option<PartitionRaftNode> {
        self.groups.read().get(&group).cloned()
    }

    fn get(&self, group: u64) -> Result<PartitionRaftNode, tonic::Status> {
        self.groups
            .read()
            .get(&group)
            .cloned()
            .ok_or_else(|| tonic::Status::not_found(format!("no replica of group {group} here")))
    }
}

/// Answers peers' Raft messages for the groups in `groups` on `listener` until `shutdown`
/// completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    groups: LocalGroups,
    handler: HandlerSlot,
    detector: Arc<Detector>,
    channels: Channels,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(
            PeerServer::new(PeerService {
                groups,
                handler,
                detector,
                channels,
            })
            .max_decoding_message_size(MESSAGE_BYTES_MAX)
            .max_encoding_message_size(MESSAGE_BYTES_MAX),
        )
        .serve_with_incoming_shutdown(
            // Small Raft messages must not wait for delayed acknowledgements (Nagle).
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
}

struct PeerService {
    groups: LocalGroups,
    handler: HandlerSlot,
    detector: Arc<Detector>,
    channels: Channels,
}

/// The longest an indirect probe may ask its helper to wait for the target.
const PROBE_FOR_TIMEOUT_MAX: Duration = Duration::from_secs(5);

/// Probes member `target` at `address` directly: its incarnation if it answered within
/// `timeout`. The probe and its answer carry the failure detector's news both ways.
pub async fn ping_member(
    channels: &Channels,
    detector: &Detector,
    target: NodeId,
    address: &str,
    timeout: Duration,
) -> Option<u64> {
    let mut client = channels.client(address).ok()?;
    let mut request = tonic::Request::new(PingRequest {
        gossip: Some(detector.outgoing(Some(target))),
    });
    request.set_timeout(timeout);
    let reply = tokio::time::timeout(timeout, client.ping(request))
        .await
        .ok()?
        .ok()?
        .into_inner();
    // A node that restarted under another id at that address is not the member probed.
    if reply.node_id != target.get() {
        return None;
    }
    let gossip = reply.gossip?;
    detector.incoming(&gossip);
    Some(gossip.incarnation)
}

/// Asks `helper` at `address` to probe `target` for this node (SWIM's indirect probe): the
/// target's incarnation if the helper reached it within `timeout`.
pub async fn probe_through(
    channels: &Channels,
    detector: &Detector,
    helper: NodeId,
    address: &str,
    target: NodeId,
    target_address: &str,
    timeout: Duration,
) -> Option<u64> {
    let mut client = channels.client(address).ok()?;
    // The helper gets most of the time; the rest is for the two extra hops.
    let inner = timeout.mul_f32(0.8);
    let mut request = tonic::Request::new(ProbeForRequest {
        target: target.get(),
        target_address: target_address.to_owned(),
        timeout_ms: inner.as_millis() as u32,
        gossip: Some(detector.outgoing(Some(helper))),
    });
    request.set_timeout(timeout);
    let reply = tokio::time::timeout(timeout, client.probe_for(request))
        .await
        .ok()?
        .ok()?
        .into_inner();
    if let Some(gossip) = &reply.gossip {
        detector.incoming(gossip);
    }
    reply.answered.then_some(reply.target_incarnation)
}

fn decode<T: DeserializeOwned>(payload: &[u8]) -> Result<T, tonic::Status> {
    serde_json::from_slice(payload)
        .map_err(|e| tonic::Status::invalid_argument(format!("undecodable Raft message: {e}")))
}

fn reply<T: Serialize>(result: &T) -> Result<tonic::Response<RaftReply>, tonic::Status> {
    let payload = serde_json::to_vec(result)
        .map_err(|e| tonic::Status::internal(format!("unencodable Raft reply: {e}")))?;
    Ok(tonic::Response::new(RaftReply { payload }))
}

#[tonic::async_trait]
impl Peer for PeerService {
    async fn raft_append(
        &self,
        request: tonic::Request<RaftRequest>,
    ) -> Result<tonic::Response<RaftReply>, tonic::Status> {
        let RaftRequest { group, payload, .. } = request.into_inner();
        let raft = self.groups.get(group)?;
        let request: AppendEntriesRequest<PartitionRaft> = decode(&payload)?;
        self.groups
            .wake_for(group, &request.vote, !request.entries.is_empty());
        reply(&raft.append_entries(request).await)
    }

    async fn raft_vote(
        &self,
        request: tonic::Request<RaftRequest>,
    ) -> Result<tonic::Response<RaftReply>, tonic::Status> {
        let RaftRequest { group, payload, .. } = request.into_inner();
        let raft = self.groups.get(group)?;
        let request: VoteRequest<u64> = decode(&payload)?;
        // An election: whoever wins it, this replica must keep time again.
        self.groups.wake(group);
        reply(&raft.vote(request).await)
    }

    async fn raft_snapshot(
        &self,
        request: tonic::Request<RaftRequest>,
    ) -> Result<tonic::Response<RaftReply>, tonic::Status> {
        let RaftRequest {
            group,
            payload,
            data,
        } = request.into_inner();
        let raft = self.groups.get(group)?;
        let mut request: InstallSnapshotRequest<PartitionRaft> = decode(&payload)?;
        if request.data.is_empty() {
            request.data = data;
        }
        self.groups.wake(group);
        reply(&raft.install_snapshot(request).await)
    }

    async fn propose(
        &self,
        request: tonic::Request<ProposeRequest>,
    ) -> Result<tonic::Response<ProposeReply>, tonic::Status> {
        let ProposeRequest { group, proposal } = request.into_inner();
        let raft = self.groups.get(group)?;
        let proposal: crate::replica::Proposal = decode(&proposal)?;
        self.groups.wake(group);
        let reply = match raft.client_write(proposal).await {
            Ok(response) => ProposeReply {
                applied: serde_json::to_vec(&response.data)
                    .map_err(|e| tonic::Status::internal(e.to_string()))?,
                ..ProposeReply::default()
            },
            Err(openraft::error::RaftError::APIError(
                openraft::error::ClientWriteError::ForwardToLeader(forward),
            )) => ProposeReply {
                leader_address: forward.leader_node.map(|n| n.addr).unwrap_or_default(),
                error: "not the leader".into(),
                ..ProposeReply::default()
            },
            Err(error) => ProposeReply {
                error: error.to_string(),
                ..ProposeReply::default()
            },
        };
        Ok(tonic::Response::new(reply))
    }

    async fn ping(
        &self,
        request: tonic::Request<PingRequest>,
    ) -> Result<tonic::Response<PingReply>, tonic::Status> {
        let from = match request.into_inner().gossip {
            Some(gossip) => {
                self.detector.incoming(&gossip);
                NodeId::new(gossip.from)
            }
            None => None,
        };
        Ok(tonic::Response::new(PingReply {
            node_id: self.detector.me().get(),
            gossip: Some(self.detector.outgoing(from)),
        }))
    }

    async fn probe_for(
        &self,
        request: tonic::Request<ProbeForRequest>,
    ) -> Result<tonic::Response<ProbeForReply>, tonic::Status> {
        let request = request.into_inner();
        let from = request.gossip.as_ref().and_then(|g| NodeId::new(g.from));
        if let Some(gossip) = &request.gossip {
            self.detector.incoming(gossip);
        }
        let target = NodeId::new(request.target)
            .ok_or_else(|| tonic::Status::invalid_argument("no target to probe"))?;
        let timeout =
            Duration::from_millis(u64::from(request.timeout_ms)).min(PROBE_FOR_TIMEOUT_MAX);
        let answer = ping_member(
            &self.channels,
            &self.detector,
            target,
            &request.target_address,
            timeout,
        )
        .await;
        Ok(tonic::Response::new(ProbeForReply {
            answered: answer.is_some(),
            target_incarnation: answer.unwrap_or_default(),
            gossip: Some(self.detector.outgoing(from)),
        }))
    }

    async fn quiesce(
        &self,
        request: tonic::Request<QuiesceRequest>,
    ) -> Result<tonic::Response<QuiesceReply>, tonic::Status> {
        let QuiesceRequest { leader, groups } = request.into_inner();
        let accepted = self.groups.accept_quiet(leader, &groups);
        Ok(tonic::Response::new(QuiesceReply { accepted }))
    }

    async fn forward(
        &self,
        request: tonic::Request<ForwardRequest>,
    ) -> Result<tonic::Response<ForwardReply>, tonic::Status> {
        let ForwardRequest {
            target,
            body,
            hops,
            share,
        } = request.into_inner();
        let handler =
            self.handler.0.get().cloned().ok_or_else(|| {
                tonic::Status::unavailable("this node is not serving requests yet")
            })?;
        let answer = handler
            .handle(target, body, hops, share.map(Into::into))
            .await;
        Ok(tonic::Response::new(ForwardReply {
            status: u32::from(answer.status),
            body: answer.body,
            progress: answer.progress.map(Into::into),
        }))
    }

    async fn join(
        &self,
        request: tonic::Request<JoinRequest>,
    ) -> Result<tonic::Response<JoinReply>, tonic::Status> {
        let JoinRequest {
            node_id,
            peer_address,
            api_address,
        } = request.into_inner();
        let node = crate::NodeId::new(node_id)
            .ok_or_else(|| tonic::Status::invalid_argument("node id 0 is not an id"))?;
        let raft = self.groups.get(crate::runtime::METADATA_GROUP)?;
        let reply = match crate::runtime::admit(&raft, node, &peer_address, &api_address).await {
            Ok(()) => JoinReply {
                accepted: true,
                ..JoinReply::default()
            },
            Err(crate::runtime::Refusal::NotLeader { leader_address }) => JoinReply {
                leader_address: leader_address.unwrap_or_default(),
                error: "not the metadata leader".into(),
                ..JoinReply::default()
            },
            Err(crate::runtime::Refusal::Failed(error)) => JoinReply {
                error,
                ..JoinReply::default()
            },
        };
        Ok(tonic::Response::new(reply))
    }
}

/// One channel per peer address, shared by every replica group of this node.
#[derive(Debug, Clone, Default)]
pub struct Channels {
    channels: Arc<Mutex<HashMap<String, Channel>>>,
}

impl Channels {
    /// A client of the peer at `address` (`host:port`), over its shared channel.
    pub fn client(&self, address: &str) -> Result<PeerClient<Channel>, String> {
        let mut channels = self.channels.lock();
        if let Some(channel) = channels.get(address) {
            return Ok(peer_client(channel.clone()));
        }
        let channel = Endpoint::from_shared(format!("http://{address}"))
            .map_err(|e| format!("bad peer address {address:?}: {e}"))?
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .connect_lazy();
        channels.insert(address.to_owned(), channel.clone());
        Ok(peer_client(channel))
    }
}

/// How replica group `group` reaches its peers: openraft's network factory over [`Channels`].
#[derive(Debug, Clone)]
pub struct PeerNetwork {
    group: u64,
    channels: Channels,
}

impl PeerNetwork {
    /// The network of replica group `group`, over this node's `channels`.
    pub fn new(group: u64, channels: Channels) -> PeerNetwork {
        PeerNetwork { group, channels }
    }
}

impl RaftNetworkFactory<PartitionRaft> for PeerNetwork {
    type Network = PeerConnection;

    async fn new_client(&mut self, target: u64, node: &BasicNode) -> PeerConnection {
        PeerConnection {
            group: self.group,
            target,
            client: self.channels.client(&node.addr),
        }
    }
}

/// Replica group `group`'s line to its peer `target`.
#[derive(Debug)]
pub struct PeerConnection {
    group: u64,
    target: u64,
    client: Result<PeerClient<Channel>, String>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Failure(String);

#[derive(Clone, Copy)]
enum Method {
    Append,
    Vote,
    Snapshot,
}

type CallError<E> = RPCError<u64, BasicNode, RaftError<u64, E>>;

impl PeerConnection {
    /// Sends `request` (JSON) and `data` (raw bytes beside it: a snapshot chunk's) to the
    /// peer's `method`.
    async fn call<Q, A, E>(
        &mut self,
        method: Method,
        request: &Q,
        data: Vec<u8>,
        option: &RPCOption,
    ) -> Result<A, CallError<E>>
    where
        Q: Serialize,
        A: DeserializeOwned,
        E: std::error::Error + DeserializeOwned,
    {
        let mut client = self
            .client
            .clone()
            .map_err(|e| RPCError::Unreachable(Unreachable::new(&Failure(e))))?;
        let payload =
            serde_json::to_vec(request).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let mut message = tonic::Request::new(RaftRequest {
            group: self.group,
            payload,
            data,
        });
        message.set_timeout(option.hard_ttl());
        let answer = match method {
            Method::Append => client.raft_append(message).await,
            Method::Vote => client.raft_vote(message).await,
            Method::Snapshot => client.raft_snapshot(message).await,
        };
        let reply = answer.map_err(|status| {
            let failure = Failure(format!("peer {}: {status}", self.target));
            match status.code() {
                // Not listening, not reachable, or not hosting the group (yet): back off.
                tonic::Code::Unavailable | tonic::Code::NotFound => {
                    RPCError::Unreachable(Unreachable::new(&failure))
                }
                _ => RPCError::Network(NetworkError::new(&failure)),
            }
        })?;
        let result: Result<A, RaftError<u64, E>> =
            serde_json::from_slice(&reply.into_inner().payload)
                .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        result.map_err(|e| RPCError::RemoteError(RemoteError::new(self.target, e)))
    }
}

impl RaftNetwork<PartitionRaft> for PeerConnection {
    async fn append_entries(
        &mut self,
        request: AppendEntriesRequest<PartitionRaft>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<u64>, CallError<openraft::error::Infallible>> {
        self.call(Method::Append, &request, Vec::new(), &option)
            .await
    }

    async fn install_snapshot(
        &mut self,
        mut request: InstallSnapshotRequest<PartitionRaft>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<u64>, CallError<InstallSnapshotError>> {
        let data = std::mem::take(&mut request.data);
        self.call(Method::Snapshot, &request, data, &option).await
    }

    async fn vote(
        &mut self,
        request: VoteRequest<u64>,
        option: RPCOption,
    ) -> Result<VoteResponse<u64>, CallError<openraft::error::Infallible>> {
        self.call(Method::Vote, &request, Vec::new(), &option).await
    }
}

/// Whether a call that failed with `status` certainly never reached the peer's handler: the
/// connection to the peer could not be made. Every other failure (a broken connection, a
/// timeout, an error from the peer) leaves it unknown whether the peer ran the call.
pub fn never_reached_peer(status: &tonic::Status) -> bool {
    // tonic reports a failed connect as UNAVAILABLE with the connector's message; a connection
    // broken after the call was sent is reported otherwise (UNKNOWN "transport error",
    // CANCELLED for a timeout). Anything unrecognised counts as possibly run.
    status.code() == tonic::Code::Unavailable && status.message().starts_with("tcp connect error")
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn forward_to(address: &str) -> tonic::Status {
        let mut client = Channels::default().client(address).unwrap();
        let request = ForwardRequest {
            target: "DynamoDB_20120810.PutItem".into(),
            body: b"{}".to_vec(),
            hops: 1,
            share: None,
        };
        client.forward(request).await.unwrap_err()
    }

    #[tokio::test]
    async fn a_refused_connection_never_reached_the_peer() {
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = closed.local_addr().unwrap().to_string();
        drop(closed);
        let status = forward_to(&address).await;
        assert!(never_reached_peer(&status), "{status:?}");
    }

    #[tokio::test]
    async fn a_connection_closed_after_the_call_was_sent_may_have_run_it() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        // A peer that reads the call and dies without answering.
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = vec![0; 64 * 1024];
                let _ = socket.read(&mut buf).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
                drop(socket);
            }
        });
        let status = forward_to(&address).await;
        assert!(!never_reached_peer(&status), "{status:?}");
    }
}
