//! Failure detection by gossip, in the manner of SWIM (Das, Gupta and Motivala, 2002).
//!
//! Each node probes one member per period, in a shuffled round-robin order. A member that does not
//! answer the probe directly is probed indirectly through a few others (a bad link alone does not
//! make a member suspect); one that answers neither way becomes *suspect*, and a suspect that
//! does not refute within [`Settings::suspect_timeout`] is *down*. What a node learns (alive,
//! suspect, down, each with the member's *incarnation*) travels on the probes and their answers
//! (piggybacked: no message of its own), so every node converges on the same view with a constant
//! number of messages per node and period, however large the cluster.
//!
//! A member refutes a suspicion about itself by raising its incarnation: an `Alive` with a higher
//! incarnation overrides what others said of an older one. Every message also tells its receiver
//! how the sender sees it, so a member that was thought down (paused, cut off, restarted) learns
//! it at its first exchange and answers with a higher incarnation at once; a restarted member also
//! starts from the clock, above any incarnation of its previous life.
//!
//! This module is the state machine alone: time is passed in and messages are values, so that
//! every rule is tested without sockets or sleeps. `tables.rs` runs the probes over the peer port.
//! Membership itself (who is in the cluster) stays with the metadata group: gossip only says who
//! answers.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use rand::seq::SliceRandom;

use crate::node::NodeId;
use crate::peer::proto as wire;

/// What a node believes of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Liveness {
    /// It answers (or nothing says otherwise).
    Alive,
    /// A probe found no answer, directly or through others; it has not refuted yet.
    Suspect,
    /// Suspect for longer than the suspicion timeout, and not refuted.
    Down,
}

impl Liveness {
    /// `alive`, `suspect` or `down`, as the cluster's status shows it.
    pub fn as_str(self) -> &'static str {
        match self {
            Liveness::Alive => "alive",
            Liveness::Suspect => "suspect",
            Liveness::Down => "down",
        }
    }
}

/// One piece of news: `node` is `liveness` at `incarnation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Update {
    /// The member it is about.
    pub node: NodeId,
    /// Its incarnation when this was true.
    pub incarnation: u64,
    /// What was found.
    pub liveness: Liveness,
}

/// The detector's timing.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// How long a suspect has to refute before it is down.
    pub suspect_timeout: Duration,
    /// How many members are asked to probe a member that did not answer directly.
    pub indirect_probes: usize,
    /// At most this many updates ride on one message.
    pub updates_per_message: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            suspect_timeout: Duration::from_secs(2),
            indirect_probes: 2,
            updates_per_message: 8,
        }
    }
}

/// What a node knows of one member.
#[derive(Debug, Clone, Copy)]
struct Member {
    incarnation: u64,
    liveness: Liveness,
    /// Since when it has been `liveness`.
    since: Instant,
    /// When this node last had word from it (an answer to a probe, direct or indirect, or a
    /// message it sent).
    heard: Option<Instant>,
}

/// One node's view of the others' liveness, and the news it has yet to pass on.
#[derive(Debug)]
pub struct Gossip {
    me: NodeId,
    incarnation: u64,
    settings: Settings,
    members: BTreeMap<NodeId, Member>,
    /// The probe order of this round; shuffled again when it runs out.
    order: Vec<NodeId>,
    /// News to piggyback, each with how many more messages should carry it.
    news: Vec<(Update, u32)>,
}

impl Gossip {
    /// The view of node `me`, whose incarnation starts at `incarnation` (the clock, so that a
    /// restarted node starts above its previous life).
    pub fn new(me: NodeId, incarnation: u64, settings: Settings) -> Gossip {
        Gossip {
            me,
            incarnation,
            settings,
            members: BTreeMap::new(),
            order: Vec::new(),
            news: Vec::new(),
        }
    }

    /// This node's incarnation.
    pub fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// Makes the members exactly `nodes` (this node aside): new ones start alive as of `now`,
    /// members no longer listed are forgotten.
    pub fn set_members(&mut self, nodes: impl IntoIterator<Item = NodeId>, now: Instant) {
        let nodes: Vec<NodeId> = nodes.into_iter().filter(|n| *n != self.me).collect();
        self.members.retain(|id, _| nodes.contains(id));
        for node in nodes {
            self.members.entry(node).or_insert(Member {
                incarnation: 0,
                liveness: Liveness::Alive,
                since: now,
                heard: None,
            });
        }
        self.order.retain(|id| self.members.contains_key(id));
        self.news.retain(|(update, _)| {
            update.node == self.me || self.members.contains_key(&update.node)
        });
    }

    /// The member to probe next: every member once per round, in an order shuffled each round.
    pub fn next_target(&mut self) -> Option<NodeId> {
        if self.order.is_empty() {
            self.order = self.members.keys().copied().collect();
            self.order.shuffle(&mut rand::rng());
        }
        self.order.pop()
    }

    /// Up to [`Settings::indirect_probes`] members, other than `target`, to ask to probe it:
    /// alive ones, chosen at random.
    pub fn helpers(&self, target: NodeId) -> Vec<NodeId> {
        let mut alive: Vec<NodeId> = self
            .members
            .iter()
            .filter(|(id, m)| **id != target && m.liveness == Liveness::Alive)
            .map(|(id, _)| *id)
            .collect();
        alive.shuffle(&mut rand::rng());
        alive.truncate(self.settings.indirect_probes);
        alive
    }

    /// `node` answered a probe (directly or through another member) at `incarnation`.
    pub fn answered(&mut self, node: NodeId, incarnation: u64, now: Instant) {
        if let Some(member) = self.members.get_mut(&node) {
            member.heard = Some(now);
        }
        self.learn(
            Update {
                node,
                incarnation,
                liveness: Liveness::Alive,
            },
            now,
        );
    }

    /// `node` answered no probe this period, directly or indirectly: an alive member becomes
    /// suspect.
    pub fn unanswered(&mut self, node: NodeId, now: Instant) {
        let Some(member) = self.members.get(&node) else {
            return;
        };
        if member.liveness == Liveness::Alive {
            let update = Update {
                node,
                incarnation: member.incarnation,
                liveness: Liveness::Suspect,
            };
            self.learn(update, now);
        }
    }

    /// Declares down every suspect that has not refuted within the suspicion timeout.
    pub fn tick(&mut self, now: Instant) {
        let expired: Vec<Update> = self
            .members
            .iter()
            .filter(|(_, m)| {
                m.liveness == Liveness::Suspect
                    && now.duration_since(m.since) >= self.settings.suspect_timeout
            })
            .map(|(id, m)| Update {
                node: *id,
                incarnation: m.incarnation,
                liveness: Liveness::Down,
            })
            .collect();
        for update in expired {
            self.learn(update, now);
        }
    }

    /// Takes in what a message from `from` said: its sender is evidently alive at
    /// `from_incarnation`; `about_me` is how the sender sees this node (a suspicion or a down
    /// verdict is refuted by raising this node's incarnation above it); `updates` is its news.
    pub fn receive(
        &mut self,
        from: NodeId,
        from_incarnation: u64,
        about_me: Option<(Liveness, u64)>,
        updates: &[Update],
        now: Instant,
    ) {
        if let Some(member) = self.members.get_mut(&from) {
            member.heard = Some(now);
        }
        if let Some((liveness, incarnation)) = about_me {
            self.hear_about_me(liveness, incarnation);
        }
        self.learn(
            Update {
                node: from,
                incarnation: from_incarnation,
                liveness: Liveness::Alive,
            },
            now,
        );
        for update in updates {
            self.learn(*update, now);
        }
    }

    /// How this node sees `node`, to tell it (`None`: not a member here).
    pub fn view_of(&self, node: NodeId) -> Option<(Liveness, u64)> {
        self.members.get(&node).map(|m| (m.liveness, m.incarnation))
    }

    /// What `node` is believed to be, and since when (`None`: not a member here).
    pub fn liveness(&self, node: NodeId) -> Option<(Liveness, Instant)> {
        self.members.get(&node).map(|m| (m.liveness, m.since))
    }

    /// When this node last had word from `node`.
    pub fn heard(&self, node: NodeId) -> Option<Instant> {
        self.members.get(&node).and_then(|m| m.heard)
    }

    /// The news for the next message: the least spread first, each counted as sent once more.
    pub fn news(&mut self) -> Vec<Update> {
        self.news.sort_by_key(|(_, left)| std::cmp::Reverse(*left));
        let taken: Vec<Update> = self
            .news
            .iter_mut()
            .take(self.settings.updates_per_message)
            .map(|(update, left)| {
                *left -= 1;
                *update
            })
            .collect();
        self.news.retain(|(_, left)| *left > 0);
        taken
    }

    /// How many messages should carry a piece of news: about three times the number of rounds
    /// an infection needs to reach every member (log2 of the cluster's size).
    fn retransmits(&self) -> u32 {
        let size = self.members.len() as u32 + 1;
        3 * (u32::BITS - size.leading_zeros()).max(1)
    }

    fn hear_about_me(&mut self, liveness: Liveness, incarnation: u64) {
        if liveness != Liveness::Alive && incarnation >= self.incarnation {
            self.incarnation = incarnation + 1;
            self.spread(Update {
                node: self.me,
                incarnation: self.incarnation,
                liveness: Liveness::Alive,
            });
        }
    }

    /// Applies `update` if it is newer than what this node holds (SWIM's precedence: a higher
    /// incarnation wins; at the same incarnation down beats suspect beats alive), and passes it
    /// on if so.
    fn learn(&mut self, update: Update, now: Instant) {
        if update.node == self.me {
            self.hear_about_me(update.liveness, update.incarnation);
            return;
        }
        let Some(member) = self.members.get_mut(&update.node) else {
            return;
        };
        let newer = update.incarnation > member.incarnation
            || (update.incarnation == member.incarnation && update.liveness > member.liveness);
        if !newer {
            return;
        }
        if update.liveness != member.liveness {
            member.since = now;
            match update.liveness {
                Liveness::Alive => {
                    tracing::info!(node = %update.node, incarnation = update.incarnation, "a member answers again")
                }
                Liveness::Suspect => {
                    tracing::info!(node = %update.node, "a member is suspected down")
                }
                Liveness::Down => tracing::warn!(node = %update.node, "a member is down"),
            }
        }
        member.incarnation = update.incarnation;
        member.liveness = update.liveness;
        self.spread(update);
    }

    fn spread(&mut self, update: Update) {
        self.news.retain(|(old, _)| old.node != update.node);
        let left = self.retransmits();
        self.news.push((update, left));
    }
}

/// A node's [`Gossip`], shared by its prober (`tables.rs`) and its peer port (`peer.rs`), with
/// the translation to and from the wire.
#[derive(Debug)]
pub struct Detector {
    me: NodeId,
    gossip: parking_lot::Mutex<Gossip>,
}

impl Detector {
    /// The detector of node `me`; its incarnation starts at the clock's milliseconds.
    pub fn new(me: NodeId, settings: Settings) -> Detector {
        let incarnation = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_millis() as u64);
        Detector {
            me,
            gossip: parking_lot::Mutex::new(Gossip::new(me, incarnation, settings)),
        }
    }

    /// This node's id.
    pub fn me(&self) -> NodeId {
        self.me
    }

    /// Runs `f` on the view, under its lock.
    pub fn with<R>(&self, f: impl FnOnce(&mut Gossip) -> R) -> R {
        f(&mut self.gossip.lock())
    }

    /// What the next message to `to` carries.
    pub fn outgoing(&self, to: Option<NodeId>) -> wire::Gossip {
        let mut gossip = self.gossip.lock();
        let about = to.and_then(|to| gossip.view_of(to));
        wire::Gossip {
            from: self.me.get(),
            incarnation: gossip.incarnation(),
            about_me_known: about.is_some(),
            about_me: about.map_or(wire::Liveness::Alive, |(l, _)| to_wire(l)) as i32,
            about_me_incarnation: about.map_or(0, |(_, i)| i),
            news: gossip
                .news()
                .into_iter()
                .map(|update| wire::MemberNews {
                    node: update.node.get(),
                    incarnation: update.incarnation,
                    liveness: to_wire(update.liveness) as i32,
                })
                .collect(),
        }
    }

    /// Takes in a message's gossip (one from no node, or from this node, is ignored).
    pub fn incoming(&self, message: &wire::Gossip) {
        let Some(from) = NodeId::new(message.from).filter(|from| *from != self.me) else {
            return;
        };
        let about_me = message
            .about_me_known
            .then(|| (from_wire(message.about_me), message.about_me_incarnation));
        let news: Vec<Update> = message
            .news
            .iter()
            .filter_map(|news| {
                Some(Update {
                    node: NodeId::new(news.node)?,
                    incarnation: news.incarnation,
                    liveness: from_wire(news.liveness),
                })
            })
            .collect();
        self.gossip
            .lock()
            .receive(from, message.incarnation, about_me, &news, Instant::now());
    }
}

fn to_wire(liveness: Liveness) -> wire::Liveness {
    match liveness {
        Liveness::Alive => wire::Liveness::Alive,
        Liveness::Suspect => wire::Liveness::Suspect,
        Liveness::Down => wire::Liveness::Down,
    }
}

/// An unknown value (a newer peer's) counts as alive: it says nothing this node can act on.
fn from_wire(liveness: i32) -> Liveness {
    match wire::Liveness::try_from(liveness) {
        Ok(wire::Liveness::Suspect) => Liveness::Suspect,
        Ok(wire::Liveness::Down) => Liveness::Down,
        _ => Liveness::Alive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(n: u64) -> NodeId {
        NodeId::new(n).unwrap()
    }

    fn view(me: u64, others: &[u64], now: Instant) -> Gossip {
        let mut gossip = Gossip::new(node(me), 100, Settings::default());
        gossip.set_members(others.iter().map(|n| node(*n)).chain([node(me)]), now);
        gossip
    }

    #[test]
    fn every_member_is_probed_once_per_round() {
        let now = Instant::now();
        let mut gossip = view(1, &[2, 3, 4, 5], now);
        for _ in 0..3 {
            let mut round: Vec<u64> = (0..4)
                .map(|_| gossip.next_target().unwrap().get())
                .collect();
            round.sort();
            assert_eq!(round, vec![2, 3, 4, 5]);
        }
    }

    #[test]
    fn an_unanswered_member_is_suspect_then_down_unless_it_answers() {
        let start = Instant::now();
        let mut gossip = view(1, &[2, 3], start);
        gossip.unanswered(node(2), start);
        assert_eq!(gossip.liveness(node(2)).unwrap().0, Liveness::Suspect);
        gossip.tick(start + Duration::from_millis(1999));
        assert_eq!(gossip.liveness(node(2)).unwrap().0, Liveness::Suspect);
        gossip.tick(start + Duration::from_secs(2));
        assert_eq!(gossip.liveness(node(2)).unwrap().0, Liveness::Down);
        // An answer at the same incarnation does not undo the verdict: the member must refute.
        gossip.answered(node(2), 0, start + Duration::from_secs(3));
        assert_eq!(gossip.liveness(node(2)).unwrap().0, Liveness::Down);
        assert!(gossip.heard(node(2)).is_some());
        gossip.answered(node(2), 1, start + Duration::from_secs(3));
        assert_eq!(gossip.liveness(node(2)).unwrap().0, Liveness::Alive);
        // Node 3 was never in doubt.
        assert_eq!(gossip.liveness(node(3)).unwrap().0, Liveness::Alive);
    }

    #[test]
    fn a_member_refutes_a_suspicion_with_a_higher_incarnation() {
        let now = Instant::now();
        let mut two = view(2, &[1, 3], now);
        let before = two.incarnation();
        // Node 1 tells node 2 that it suspects it at node 2's current incarnation.
        two.receive(node(1), 7, Some((Liveness::Suspect, before)), &[], now);
        assert_eq!(two.incarnation(), before + 1);
        let news = two.news();
        assert!(news.contains(&Update {
            node: node(2),
            incarnation: before + 1,
            liveness: Liveness::Alive
        }));
        // An old suspicion (of an earlier incarnation) needs no refutation.
        two.receive(node(3), 1, Some((Liveness::Suspect, before)), &[], now);
        assert_eq!(two.incarnation(), before + 1);
    }

    #[test]
    fn news_follows_swim_precedence() {
        let now = Instant::now();
        let mut gossip = view(1, &[2], now);
        let update = |incarnation, liveness| Update {
            node: node(2),
            incarnation,
            liveness,
        };
        gossip.receive(node(2), 5, None, &[], now);
        assert_eq!(gossip.view_of(node(2)), Some((Liveness::Alive, 5)));
        // A suspicion of an older incarnation is stale.
        gossip.learn(update(4, Liveness::Suspect), now);
        assert_eq!(gossip.view_of(node(2)), Some((Liveness::Alive, 5)));
        // At the same incarnation suspect beats alive, and down beats suspect.
        gossip.learn(update(5, Liveness::Suspect), now);
        assert_eq!(gossip.view_of(node(2)), Some((Liveness::Suspect, 5)));
        gossip.learn(update(5, Liveness::Alive), now);
        assert_eq!(gossip.view_of(node(2)), Some((Liveness::Suspect, 5)));
        gossip.learn(update(5, Liveness::Down), now);
        assert_eq!(gossip.view_of(node(2)), Some((Liveness::Down, 5)));
        // Only a newer incarnation brings it back.
        gossip.learn(update(6, Liveness::Alive), now);
        assert_eq!(gossip.view_of(node(2)), Some((Liveness::Alive, 6)));
    }

    #[test]
    fn news_is_passed_on_a_bounded_number_of_times() {
        let now = Instant::now();
        let mut gossip = view(1, &[2, 3], now);
        gossip.unanswered(node(2), now);
        let mut carried = 0;
        for _ in 0..100 {
            if gossip.news().iter().any(|u| u.node == node(2)) {
                carried += 1;
            }
        }
        assert_eq!(carried, gossip.retransmits());
        assert!(gossip.news().is_empty());
    }

    /// Three nodes exchange messages as `tables.rs` does; one stops answering. The others agree
    /// that it is down, and it is alive again for both once it answers again.
    #[test]
    fn three_nodes_agree_on_a_silent_member_and_on_its_return() {
        let start = Instant::now();
        let ids = [1u64, 2, 3];
        let mut views: Vec<Gossip> = ids
            .iter()
            .map(|me| {
                let others: Vec<u64> = ids.iter().copied().filter(|n| n != me).collect();
                view(*me, &others, start)
            })
            .collect();
        let period = Duration::from_millis(500);
        let mut now = start;
        let round = |views: &mut Vec<Gossip>, silent: Option<u64>, now: Instant| {
            for i in 0..views.len() {
                let me = ids[i];
                if Some(me) == silent {
                    continue;
                }
                let Some(target) = views[i].next_target() else {
                    continue;
                };
                let t = ids.iter().position(|n| *n == target.get()).unwrap();
                if Some(target.get()) == silent {
                    // Nobody reaches it, directly or through a helper.
                    views[i].unanswered(target, now);
                } else {
                    // Request: the prober's news and view of the target; the answer likewise.
                    let news = views[i].news();
                    let about = views[i].view_of(target);
                    let inc = views[i].incarnation();
                    views[t].receive(node(me), inc, about, &news, now);
                    let back = views[t].news();
                    let about_prober = views[t].view_of(node(me));
                    let t_inc = views[t].incarnation();
                    views[i].receive(target, t_inc, about_prober, &back, now);
                    views[i].answered(target, t_inc, now);
                }
                views[i].tick(now);
            }
        };
        // Everyone talks for a while: each knows the others' incarnations.
        for _ in 0..4 {
            now += period;
            round(&mut views, None, now);
        }
        assert_eq!(views[0].view_of(node(3)), Some((Liveness::Alive, 100)));
        for _ in 0..12 {
            now += period;
            round(&mut views, Some(3), now);
        }
        assert_eq!(views[0].liveness(node(3)).unwrap().0, Liveness::Down);
        assert_eq!(views[1].liveness(node(3)).unwrap().0, Liveness::Down);
        assert_eq!(views[0].liveness(node(2)).unwrap().0, Liveness::Alive);
        for _ in 0..6 {
            now += period;
            round(&mut views, None, now);
        }
        assert_eq!(views[0].liveness(node(3)).unwrap().0, Liveness::Alive);
        assert_eq!(views[1].liveness(node(3)).unwrap().0, Liveness::Alive);
        assert_eq!(views[2].incarnation(), 101, "node 3 refuted the verdict");
    }
}
