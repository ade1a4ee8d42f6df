//! The actors a replay runs: inlets that inject what came from outside the
//! dump, and stubs that stand in for each group by re-sending what it sent.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::model::{Body, InPort, Message, MessageId, Nanos, OutPort, SimRng, VirtualTime};
use crate::net::{Actor, Arrivals, Context, Signal, TimerId};

use super::plan::{message_key, Delivery, MessageKey, Reaction, Reactions};

/// Recorded inputs, injected at their recorded (virtual) times.
pub(super) struct Recorded(pub(super) VecDeque<(VirtualTime, Message)>);

impl Arrivals for Recorded {
    fn next_arrival(&self) -> Option<VirtualTime> {
        self.0.front().map(|(at, _)| *at)
    }

    fn emit(&mut self, id: MessageId, _now: VirtualTime, _rng: &mut SimRng) -> Message {
        // The engine asks only after `next_arrival` said there is one.
        let (_, mut msg) =
            self.0.pop_front().unwrap_or_else(|| (VirtualTime::ZERO, Message::new("", Body::default(), 0)));
        msg.id = id;
        msg
    }
}

/// Passes every injected message on `out`.
pub(super) struct Inlet;

impl Actor for Inlet {
    fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
        ctx.send_on(OutPort(0), msg);
    }
}

/// Stands in for one place (a group, or one key of a keyed group): for each
/// message it receives, it sends what the place sent in answer, after the
/// recorded delay, each copy arriving after its recorded transit, then lets
/// the message go.
pub(super) struct Stub {
    pub(super) reactions: Rc<Reactions>,
    /// How many of each message's recorded receptions this run has seen.
    pub(super) cursors: FxHashMap<MessageKey, usize>,
    /// For sends with no recorded cause, arriving on the `emit` port: where each goes.
    pub(super) emits: FxHashMap<MessageKey, VecDeque<Rc<[Delivery]>>>,
    pub(super) ports: BTreeMap<CompactString, OutPort>,
    pub(super) emit_port: Option<InPort>,
    /// Delayed sends, each with the input it answers.
    pub(super) pending: BTreeMap<TimerId, (Reaction, u64)>,
    /// Inputs held (so the run does not end under them) until their last
    /// delayed send is out, with how many are still to go.
    pub(super) held: BTreeMap<u64, (Message, usize)>,
    pub(super) next_hold: u64,
}

impl Stub {
    /// Sends `msg` to each place in `to` this node has a port for, a fresh
    /// copy to all but the last, each with its recorded transit. An injected
    /// message that goes nowhere (its receiver is bound to code without that
    /// input) ends here.
    fn send(&self, ctx: &mut Context<'_>, msg: Message, to: &[Delivery]) {
        let ports: Vec<(OutPort, Nanos)> =
            to.iter().filter_map(|d| self.ports.get(&d.to).map(|&port| (port, d.transit))).collect();
        let Some((&(last, transit), rest)) = ports.split_last() else {
            if msg.id != MessageId::UNASSIGNED {
                ctx.consume(msg);
            }
            return;
        };
        for &(port, transit) in rest {
            ctx.send_with_transit(port, Message { id: MessageId::UNASSIGNED, ..msg.clone() }, transit);
        }
        ctx.send_with_transit(last, msg, transit);
    }
}

impl Actor for Stub {
    fn on_message(&mut self, ctx: &mut Context<'_>, port: InPort, msg: Message) {
        let key = message_key(&msg);
        if Some(port) == self.emit_port {
            let to = self.emits.get_mut(&key).and_then(VecDeque::pop_front).unwrap_or_default();
            return self.send(ctx, msg, &to);
        }
        let seen = self.cursors.entry(key.clone()).or_default();
        let index = *seen;
        *seen += 1;
        let all = Rc::clone(&self.reactions);
        let reactions = all.get(&key).and_then(|lists| lists.get(index)).map_or(&[][..], Vec::as_slice);
        let delayed = reactions.iter().filter(|r| r.delay.0 > 0).count();
        if delayed > 0 {
            self.next_hold += 1;
            self.held.insert(self.next_hold, (msg, delayed));
        } else {
            ctx.consume(msg);
        }
        for reaction in reactions {
            if reaction.delay.0 == 0 {
                self.send(ctx, reaction.message.clone(), &reaction.to);
            } else {
                let timer = ctx.set_timer(reaction.delay);
                self.pending.insert(timer, (reaction.clone(), self.next_hold));
            }
        }
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Timer(timer) => {
                let Some((reaction, hold)) = self.pending.remove(&timer) else { return };
                self.send(ctx, reaction.message, &reaction.to);
                let done = self.held.get_mut(&hold).is_some_and(|(_, left)| {
                    *left -= 1;
                    *left == 0
                });
                if let Some((input, _)) = done.then(|| self.held.remove(&hold)).flatten() {
                    ctx.consume(input);
                }
            }
            other => ctx.pass_upstream(other),
        }
    }
}
