//! The replica: one device of a peer-to-peer sync. It takes local writes
//! (messages from its receiver), sends each as an `Update` to every peer and
//! applies the peers' updates; a write is exported (and its writer
//! acknowledged) once every peer has acknowledged it.
//!
//! A peer that leaves an update unanswered past `ack_timeout` is marked
//! down: its updates queue up, and after a backoff (doubling up to
//! `max_backoff`) the oldest is sent again as a probe. When a probe is
//! acknowledged the peer is up again and the queue is sent in order: the
//! backfill. After `max_probes` unanswered probes in a row the peer is
//! given up: the writes it lacks are NACKed (reason `peer <name>
//! unreachable`) and nothing more is sent to it, so a peer that never
//! comes back does not keep the run going forever. An update seen before
//! (a retry whose ACK was lost, a duplicate) is ACKed and dropped with the
//! reason `duplicate update`. Every change of a peer's state is reported on the `metrics`
//! port as a `PeerStatus` message with the peer, its state, the depth of
//! its retry queue and its lag (how long the oldest unacknowledged update
//! has waited), so the run's metrics show transitions, queue depth and lag.

use serde::Deserialize;
use std::collections::{BTreeMap, VecDeque};

use crate::model::{Body, InPort, Message, MessageId, Nanos, OutPort, VirtualTime};
use crate::net::actor::Actor;
use crate::net::context::Context;
use crate::net::signal::{Signal, TimerId};

use super::NodeBuild;

/// The name of the messages replicas send each other.
const UPDATE: &str = "Update";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    device: String,
    peers: Vec<String>,
    ack_timeout: Nanos,
    backoff: Nanos,
    #[serde(default)]
    max_backoff: Option<Nanos>,
    #[serde(default = "eight")]
    max_probes: u32,
}

fn eight() -> u32 {
    8
}

/// One local write on its way to the peers.
#[derive(Clone)]
struct Pending {
    seq: u64,
    value: serde_json::Value,
    written_at: VirtualTime,
}

/// What a replica knows of one peer.
struct Peer {
    port: OutPort,
    up: bool,
    /// Writes not yet acknowledged by this peer, oldest first.
    queue: VecDeque<Pending>,
    /// Sends awaiting this peer's answer, by message id: (seq, its ack timeout).
    waiting: BTreeMap<MessageId, (u64, TimerId)>,
    /// While down: the timer of the next probe, and the wait after it.
    probe: Option<TimerId>,
    backoff: Nanos,
    /// Probes sent since it went down with no answer.
    probes: u32,
    /// Given up after `max_probes`: nothing more is sent to it.
    given_up: bool,
}

/// What a timer of the replica is for.
enum Due {
    AckTimeout { peer: usize, message: MessageId },
    Probe { peer: usize },
}

struct Replica {
    config: Config,
    metrics: OutPort,
    peers: Vec<Peer>,
    next_seq: u64,
    /// Local writes held until every peer has them, with how many still lack them.
    writes: BTreeMap<u64, (Message, usize)>,
    /// The sequences applied from each origin device.
    applied: BTreeMap<String, std::collections::BTreeSet<u64>>,
    timers: BTreeMap<TimerId, Due>,
}

impl Replica {
    /// Sends `pending` to peer `index`, awaiting its answer.
    fn send(&mut self, ctx: &mut Context<'_>, index: usize, pending: &Pending) {
        let body = serde_json::json!({ "origin": self.config.device, "seq": pending.seq, "value": pending.value });
        let mut update = ctx.derive(UPDATE, Body::new(body), 64);
        let id = ctx.assign_id(&mut update);
        ctx.subscribe(&mut update);
        let timer = ctx.set_timer(self.config.ack_timeout);
        self.timers.insert(timer, Due::AckTimeout { peer: index, message: id });
        let peer = &mut self.peers[index];
        peer.waiting.insert(id, (pending.seq, timer));
        ctx.send_on(peer.port, update);
    }

    /// Reports peer `index`'s state on the `metrics` port.
    fn report(&self, ctx: &mut Context<'_>, index: usize) {
        let peer = &self.peers[index];
        let lag = peer.queue.front().map_or(0, |p| ctx.now().since(p.written_at).0);
        let state = match (peer.given_up, peer.up) {
            (true, _) => "given_up",
            (false, true) => "up",
            (false, false) => "down",
        };
        let body = serde_json::json!({
            "device": self.config.device,
            "peer": self.config.peers[index],
            "state": state,
            "queue": peer.queue.len(),
            "lag_ns": lag,
        });
        let status = ctx.derive("PeerStatus", Body::new(body), 48);
        ctx.send_on(self.metrics, status);
    }

    /// Peer `index` acknowledged write `seq` (once counted, however many
    /// copies of it the peer answers).
    fn acknowledged(&mut self, ctx: &mut Context<'_>, index: usize, seq: u64) {
        let peer = &mut self.peers[index];
        let before = peer.queue.len();
        peer.queue.retain(|p| p.seq != seq);
        if peer.queue.len() == before {
            return;
        }
        let Some((_, lacking)) = self.writes.get_mut(&seq) else { return };
        *lacking -= 1;
        if *lacking == 0 {
            if let Some((write, _)) = self.writes.remove(&seq) {
                ctx.export(write);
            }
        }
    }

    /// Peer `index` is back: the backfill sends what it missed, in order.
    fn back_up(&mut self, ctx: &mut Context<'_>, index: usize) {
        let peer = &mut self.peers[index];
        peer.up = true;
        peer.probes = 0;
        peer.backoff = self.config.backoff;
        if let Some(timer) = peer.probe.take() {
            ctx.cancel_timer(timer);
            self.timers.remove(&timer);
        }
        let in_flight: Vec<u64> = peer.waiting.values().map(|(seq, _)| *seq).collect();
        let missed: Vec<Pending> = peer.queue.iter().filter(|p| !in_flight.contains(&p.seq)).cloned().collect();
        self.report(ctx, index);
        for pending in &missed {
            self.send(ctx, index, pending);
        }
    }

    /// Peer `index` did not answer `max_probes` probes: the writes it lacks
    /// are NACKed to their writers, and nothing more is sent to it.
    fn give_up(&mut self, ctx: &mut Context<'_>, index: usize) {
        let peer = &mut self.peers[index];
        peer.given_up = true;
        let lacking: Vec<u64> = peer.queue.drain(..).map(|p| p.seq).collect();
        let reason = format!("peer {} unreachable", self.config.peers[index]);
        for seq in lacking {
            if let Some((write, _)) = self.writes.remove(&seq) {
                ctx.nack(write, &reason, false);
            }
        }
        self.report(ctx, index);
    }

    /// Peer `index` left an update unanswered: down, and a probe after the backoff.
    fn went_down(&mut self, ctx: &mut Context<'_>, index: usize) {
        let peer = &mut self.peers[index];
        if peer.given_up {
            return;
        }
        let was_up = peer.up;
        peer.up = false;
        if peer.probe.is_none() {
            let timer = ctx.set_timer(peer.backoff);
            peer.probe = Some(timer);
            let cap = self.config.max_backoff.unwrap_or(Nanos(u64::MAX));
            peer.backoff = Nanos(peer.backoff.0.saturating_mul(2).min(cap.0));
            self.timers.insert(timer, Due::Probe { peer: index });
        }
        if was_up {
            self.report(ctx, index);
        }
    }
}

impl Actor for Replica {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
        if &*msg.name == UPDATE {
            // A peer's update: apply what is new, and answer either way.
            let body = msg.body.value();
            let origin = body["origin"].as_str().unwrap_or_default().to_string();
            let seq = body["seq"].as_u64().unwrap_or_default();
            let applied = self.applied.entry(origin).or_default();
            if !applied.insert(seq) {
                return ctx.drop_message(msg, "duplicate update");
            }
            ctx.ack(&mut msg);
            return ctx.consume(msg);
        }
        self.next_seq += 1;
        let pending = Pending { seq: self.next_seq, value: msg.body.value().clone(), written_at: ctx.now() };
        let reachable: Vec<usize> = (0..self.peers.len()).filter(|&i| !self.peers[i].given_up).collect();
        if reachable.is_empty() {
            return ctx.nack(msg, "no peer reachable", false);
        }
        self.writes.insert(pending.seq, (msg, reachable.len()));
        for index in reachable {
            self.peers[index].queue.push_back(pending.clone());
            if self.peers[index].up {
                self.send(ctx, index, &pending);
            }
        }
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Ack(receipt) => {
                let found = self.peers.iter().position(|p| p.waiting.contains_key(&receipt.message));
                let Some(index) = found else { return };
                let Some((seq, timer)) = self.peers[index].waiting.remove(&receipt.message) else { return };
                ctx.cancel_timer(timer);
                self.timers.remove(&timer);
                self.acknowledged(ctx, index, seq);
                if !self.peers[index].up {
                    self.back_up(ctx, index);
                }
            }
            Signal::Timer(timer) => match self.timers.remove(&timer) {
                Some(Due::AckTimeout { peer, message }) => {
                    self.peers[peer].waiting.remove(&message);
                    self.went_down(ctx, peer);
                }
                Some(Due::Probe { peer }) => {
                    self.peers[peer].probe = None;
                    if self.peers[peer].probes >= self.config.max_probes {
                        return self.give_up(ctx, peer);
                    }
                    self.peers[peer].probes += 1;
                    match self.peers[peer].queue.front().cloned() {
                        Some(oldest) => self.send(ctx, peer, &oldest),
                        None => self.back_up(ctx, peer),
                    }
                }
                None => {}
            },
            Signal::Nack(..) | Signal::Config(_) | Signal::Shutdown => {}
        }
    }
}

pub(super) fn build(config: &serde_json::Value) -> Result<NodeBuild, String> {
    let config: Config = super::parse_config(config)?;
    if config.peers.is_empty() {
        return Err("`peers` is empty: a replica syncs with at least one peer".into());
    }
    if config.peers.iter().any(|p| p == "metrics" || *p == config.device) {
        return Err("a peer cannot be called \"metrics\" or be the device itself".into());
    }
    if config.ack_timeout == Nanos::ZERO || config.backoff == Nanos::ZERO {
        return Err("ack_timeout and backoff must be longer than 0".into());
    }
    let mut outputs: Vec<String> = config.peers.clone();
    outputs.push("metrics".into());
    let peers = (0..config.peers.len())
        .map(|i| Peer {
            port: OutPort(i as u16),
            up: true,
            queue: VecDeque::new(),
            waiting: BTreeMap::new(),
            probe: None,
            backoff: config.backoff,
            probes: 0,
            given_up: false,
        })
        .collect();
    let metrics = OutPort(config.peers.len() as u16);
    let replica = Replica {
        metrics,
        peers,
        next_seq: 0,
        writes: BTreeMap::new(),
        applied: BTreeMap::new(),
        timers: BTreeMap::new(),
        config,
    };
    Ok(NodeBuild::processor(replica, &["in"], &outputs))
}
