//! The actors a replay runs: inlets that inject what came from outside the
//! dump, and stubs that stand in for each group by re-sending what it sent.

use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use crate::model::{Body, InPort, Message, MessageId, Nanos, OutPort, SimRng, VirtualTime};
use crate::net::{Actor, Arrivals, Context, Signal, TimerId};

use super::plan::{next_line, Delivery, PlacePlan, Plan};
use super::recording::message_key;
use super::runs::Cursors;

/// Recorded inputs, injected at their recorded (virtual) times.
pub(super) struct Recorded {
    /// What the lines are lines of.
    pub(super) plan: Rc<Plan>,
    /// The lines still to inject, in dump order.
    pub(super) lines: VecDeque<u32>,
}

impl Arrivals for Recorded {
    fn next_arrival(&self) -> Option<VirtualTime> {
        self.lines.front().map(|&line| self.plan.at(line))
    }

    fn emit(&mut self, id: MessageId, _now: VirtualTime, _rng: &mut SimRng) -> Message {
        // The engine asks only after `next_arrival` said there is one.
        let mut msg = match self.lines.pop_front() {
            Some(line) => self.plan.recording.message(self.plan.recording.line(line)),
            None => Message::new("", Body::default(), 0),
        };
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
    pub(super) plan: Rc<Plan>,
    /// The plan of the place it stands for.
    pub(super) place: Rc<PlacePlan>,
    /// How many of each message's recorded receptions this run has seen.
    pub(super) received: Cursors,
    /// How many of the sends with no recorded cause (arriving on the `emit`
    /// port) this run has made.
    pub(super) emitted: Cursors,
    /// The output port to each place this node has one for, by place index.
    pub(super) ports: Vec<Option<OutPort>>,
    pub(super) emit_port: Option<InPort>,
    /// Delayed sends (their lines), each with the input it answers.
    pub(super) pending: BTreeMap<TimerId, (u32, u64)>,
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
        let port = |d: &Delivery| self.ports.get(d.to as usize).copied().flatten().map(|port| (port, d.transit));
        let ports: Vec<(OutPort, Nanos)> = to.iter().filter_map(port).collect();
        let Some((&(last, transit), rest)) = ports.split_last() else {
            if msg.id != MessageId::UNASSIGNED {
                ctx.consume(msg);
            }
            return;
        };
        for &(port, transit) in rest {
            ctx.send_with_transit(port, msg.fresh_copy(), transit);
        }
        ctx.send_with_transit(last, msg, transit);
    }

    /// Sends the recorded `Out` at `line`.
    fn send_line(&self, ctx: &mut Context<'_>, line: u32) {
        let msg = self.plan.recording.message(self.plan.recording.line(line));
        self.send(ctx, msg, self.plan.deliveries_of(line));
    }
}

impl Actor for Stub {
    fn on_message(&mut self, ctx: &mut Context<'_>, port: InPort, msg: Message) {
        let (plan, place) = (Rc::clone(&self.plan), Rc::clone(&self.place));
        if Some(port) == self.emit_port {
            let line = next_line(&place.uncaused_sends, &mut self.emitted, &plan.recording, message_key(&msg));
            return self.send(ctx, msg, line.map_or(&[], |line| plan.deliveries_of(line)));
        }
        let line = next_line(&place.receptions, &mut self.received, &plan.recording, message_key(&msg));
        let reactions = line.map_or(&[][..], |line| plan.reactions_to(line));
        let delayed = reactions.iter().filter(|r| r.delay.0 > 0).count();
        if delayed > 0 {
            self.next_hold += 1;
            self.held.insert(self.next_hold, (msg, delayed));
        } else {
            ctx.consume(msg);
        }
        for reaction in reactions {
            if reaction.delay.0 == 0 {
                self.send_line(ctx, reaction.line);
            } else {
                let timer = ctx.set_timer(reaction.delay);
                self.pending.insert(timer, (reaction.line, self.next_hold));
            }
        }
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Timer(timer) => {
                let Some((line, hold)) = self.pending.remove(&timer) else { return };
                self.send_line(ctx, line);
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
