//! Quiet groups: an idle replica group costs nothing.
//!
//! A Raft leader sends every follower a heartbeat several times a second, and every follower
//! keeps an election timer; with a thousand groups per node that is most of an idle node's
//! work. A group that has had no new log entry for [`QUIET_AFTER`], whose followers all have and
//! have applied its whole log, goes quiet: its leader stops its Raft timer (no heartbeats) and
//! asks each follower's node, in one message per node for all such groups, to stop theirs (no
//! elections). A follower agrees only if it follows that leader in that term and has exactly the
//! leader's log; the group stays awake (and is asked again later) unless every follower agreed.
//!
//! A quiet replica wakes (its timer runs again) on:
//! - a write to the group (the leader wakes before proposing it), or a change of its members;
//! - any Raft message other than an empty AppendEntries of the leader it went quiet under (log
//!   entries, a vote request, a snapshot, a message of another leader or term);
//! - its leader's node held down, or suspect for [`LEADER_SUSPECT_FOR`], by the failure
//!   detector (`gossip.rs`): then the follower's election timer, long expired, starts an
//!   election at its next tick, and the other followers, woken by its vote request, grant it
//!   (no leader lease holds them back).
//!
//! The node-level failure detector thus stands in for every quiet group's heartbeats: a few
//! probes per node and period, however many groups the nodes share.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use openraft::ServerState;

use super::TableGroups;
use crate::gossip::Liveness;
use crate::node::NodeId;
use crate::peer::Hush;
use crate::peer::proto::{QuiesceRequest, QuietGroup};

/// How long a group must have had no new log entry before it goes quiet.
const QUIET_AFTER: Duration = Duration::from_secs(2);

/// How long a quiet follower's leader may be suspect before the follower wakes: a node that is
/// merely slow for a moment refutes the suspicion at its next probe, well within this.
const LEADER_SUSPECT_FOR: Duration = Duration::from_secs(1);

impl TableGroups {
    /// Wakes the quiet replicas here whose leader's node the failure detector holds down, or
    /// has suspected for [`LEADER_SUSPECT_FOR`].
    pub(super) fn wake_orphans(&self) {
        let me = self.node.get();
        let silent: Vec<u64> = {
            let quiet = self.groups.quiet_groups();
            self.detector.with(|gossip| {
                quiet
                    .into_iter()
                    .filter(|(_, hush)| hush.leader != me)
                    .filter(|(_, hush)| {
                        NodeId::new(hush.leader)
                            .and_then(|node| gossip.liveness(node))
                            .is_none_or(|(liveness, since)| match liveness {
                                Liveness::Alive => false,
                                Liveness::Suspect => since.elapsed() >= LEADER_SUSPECT_FOR,
                                Liveness::Down => true,
                            })
                    })
                    .map(|(group, _)| group)
                    .collect()
            })
        };
        if !silent.is_empty() {
            tracing::info!(
                groups = silent.len(),
                "woke quiet replicas whose leader is silent"
            );
        }
        for group in silent {
            self.groups.wake(group);
        }
    }

    /// Quiets the idle groups this node leads (see the module's documentation).
    pub(super) async fn quiesce_idle(&self) {
        let me = self.node.get();
        let now = Instant::now();
        let local: HashSet<u64> = self.fences.lock().keys().copied().collect();
        let quiet: HashSet<u64> = self
            .groups
            .quiet_groups()
            .into_iter()
            .map(|(group, _)| group)
            .collect();
        // Per follower node, the groups it is asked to quiet.
        let mut asks: HashMap<u64, Vec<QuietGroup>> = HashMap::new();
        // Per group: how many followers must agree, the term and the last index.
        let mut needed: HashMap<u64, (usize, u64, u64)> = HashMap::new();
        {
            let mut idle = self.idle_since.lock();
            idle.retain(|group, _| local.contains(group) && !quiet.contains(group));
            for &group in local.difference(&quiet) {
                let Some((ask, followers)) = self.quiet_ask(group, me, now, &mut idle) else {
                    continue;
                };
                for follower in &followers {
                    asks.entry(*follower).or_default().push(ask);
                }
                needed.insert(group, (followers.len(), ask.term, ask.index));
            }
        }
        if needed.is_empty() {
            return;
        }
        // The leader goes quiet first: a write arriving meanwhile wakes it, and its entries wake
        // the followers (or make them refuse).
        for (group, (_, term, _)) in &needed {
            self.groups.hush(
                *group,
                Hush {
                    leader: me,
                    term: *term,
                },
            );
        }
        let mut agreed: HashMap<u64, usize> = HashMap::new();
        let mut calls = tokio::task::JoinSet::new();
        for (follower, groups) in asks {
            let address = NodeId::new(follower)
                .and_then(|node| self.state.read().members().get(&node).cloned())
                .map(|member| member.peer_address);
            let Some(Ok(mut client)) = address.map(|a| self.channels.client(&a)) else {
                continue;
            };
            calls.spawn(async move {
                let mut request = tonic::Request::new(QuiesceRequest { leader: me, groups });
                request.set_timeout(super::PING_INTERVAL);
                client
                    .quiesce(request)
                    .await
                    .map(|reply| reply.into_inner().accepted)
                    .unwrap_or_default()
            });
        }
        while let Some(answer) = calls.join_next().await {
            for group in answer.unwrap_or_default() {
                *agreed.entry(group).or_default() += 1;
            }
        }
        let mut quiet = 0;
        for (group, (followers, _, last)) in needed {
            // A write proposed while the group went quiet may have reached the followers after
            // they agreed, and its own wake-up may have come before the leader went quiet: then
            // the group stays awake. (A write counts as in flight before it wakes the group.)
            let written = self
                .groups
                .find(group)
                .is_none_or(|raft| raft.metrics().borrow().last_log_index != Some(last))
                || self.writing(group);
            if written || agreed.get(&group).copied().unwrap_or(0) < followers {
                self.groups.wake(group);
            } else {
                quiet += 1;
            }
        }
        tracing::debug!(groups = quiet, "idle groups went quiet");
    }

    /// What to ask `group`'s followers if it may go quiet now, and who they are: this node leads
    /// it, its last log index has not changed for [`QUIET_AFTER`] (counted in `idle` from when
    /// this node led it), nothing is being written, its configuration is single without learners,
    /// and every follower has matched the whole log and answers pings.
    fn quiet_ask(
        &self,
        group: u64,
        me: u64,
        now: Instant,
        idle: &mut HashMap<u64, (u64, Instant)>,
    ) -> Option<(QuietGroup, Vec<u64>)> {
        let raft = self.groups.find(group)?;
        let metrics = raft.metrics();
        let metrics = metrics.borrow();
        let last = metrics.last_log_index?;
        if metrics.state != ServerState::Leader || metrics.current_leader != Some(me) {
            idle.remove(&group);
            return None;
        }
        let since = idle.entry(group).or_insert((last, now));
        if since.0 != last {
            *since = (last, now);
            return None;
        }
        if now.duration_since(since.1) < QUIET_AFTER
            || metrics.last_applied.map(|applied| applied.index) != Some(last)
            || self.writing(group)
        {
            return None;
        }
        let membership = metrics.membership_config.membership();
        if membership.get_joint_config().len() != 1 || membership.learner_ids().next().is_some() {
            return None;
        }
        let replication = metrics.replication.as_ref()?;
        let followers: Vec<u64> = membership.voter_ids().filter(|v| *v != me).collect();
        let caught_up = followers.iter().all(|follower| {
            replication
                .get(follower)
                .copied()
                .flatten()
                .map(|m| m.index)
                == Some(last)
                && NodeId::new(*follower).is_some_and(|node| self.answering(node))
        });
        caught_up.then_some((
            QuietGroup {
                group,
                term: metrics.current_term,
                index: last,
            },
            followers,
        ))
    }

    /// Whether a write to `group` is in flight.
    fn writing(&self, group: u64) -> bool {
        self.chains
            .lock()
            .get(&group)
            .is_some_and(|chain| chain.in_flight > 0)
    }

    /// Whether the failure detector holds member `node` alive and has heard from it.
    fn answering(&self, node: NodeId) -> bool {
        self.detector.with(|gossip| {
            gossip.heard(node).is_some()
                && gossip
                    .liveness(node)
                    .is_some_and(|(liveness, _)| liveness == Liveness::Alive)
        })
    }
}
