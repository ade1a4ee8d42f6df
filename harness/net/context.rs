//! What an actor can do while it handles a message or a signal.
//!
//! A handler does not touch the scheduler: every call on a [`Context`] records
//! an [`Effect`], and the engine applies the effects in order when the handler
//! returns. That keeps actors independent of the scheduler and makes each
//! handler call a pure function of (state, input, rng).

use std::sync::Arc;

use crate::model::{
    Body, Hop, InPort, Message, MessageId, Name, Nanos, NodeId, OutPort, ReturnPath, SimRng, TraceId, VirtualTime,
};

use super::signal::{NackReason, Receipt, Signal, TimerId};

/// How a message's life ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted by an exporter (sink).
    Exported,
    /// Dropped on purpose (a filter, a router with no route), with the reason.
    Dropped(Arc<str>),
    /// Refused by a node (NACK), with the reason.
    Nacked(NackReason),
    /// Absorbed by an actor that does not pass it on.
    Consumed,
    /// Left out on purpose by a sampling processor (reason `sampling`):
    /// unlike trace sampling, this changes what the network does.
    Discarded(Arc<str>),
    /// Lost to an injected fault (a drop or partition on an edge, a crash
    /// that lost a mailbox), with the reason.
    Lost(Arc<str>),
    /// Merged into a batch, which is a new message of its own; the batch's
    /// ACK or NACK reaches this message's subscribers.
    Batched,
}

/// The ACK or NACK a message's subscribers are owed, taken off the message
/// by [`Context::owe`] so that a node can answer for it later, after the
/// message itself has ended (a batch member, a retried attempt).
#[derive(Debug)]
pub struct Owed {
    message: MessageId,
    trace_id: TraceId,
    name: Name,
    path: ReturnPath,
}

impl Owed {
    /// The message whose subscribers are owed an answer.
    pub fn message(&self) -> MessageId {
        self.message
    }

    /// The notification that answers it, issued by `origin`.
    pub(crate) fn into_notify(self, origin: NodeId, nack: Option<NackReason>) -> Effect {
        let Owed { message, trace_id, name, path } = self;
        Effect::Notify { message, trace_id, name, origin, path, nack }
    }
}

/// One thing a handler asked for; applied by the engine after the handler returns.
#[derive(Debug)]
pub enum Effect {
    /// Send a message on an output port.
    Send(OutPort, Message),
    /// Send on an output port, taking this long to arrive instead of the
    /// connector's latency.
    SendWithTransit(OutPort, Message, Nanos),
    /// Send on a port name that the node does not have (reported, not lost).
    SendUnknownPort(Arc<str>, Message),
    /// Deliver an ACK (no reason) or NACK to the innermost subscriber of `path`.
    Notify {
        /// The acknowledged message.
        message: MessageId,
        /// Its trace id.
        trace_id: TraceId,
        /// Its name.
        name: Name,
        /// The node that issued the signal.
        origin: NodeId,
        /// The subscribers still waiting, innermost last.
        path: ReturnPath,
        /// `None` for ACK, the reason for NACK.
        nack: Option<NackReason>,
    },
    /// End a message's life with an outcome.
    Finish(Message, Outcome),
    /// Fire [`Signal::Timer`] at this node after a delay.
    SetTimer(TimerId, Nanos),
    /// Cancel a timer that has not fired.
    CancelTimer(TimerId),
    /// An injected fault (an outage, a scheduled failure) hit the handling
    /// of a message: recorded in the trace, changes nothing by itself.
    Fault(MessageId, TraceId, Arc<str>),
    /// A node took on an answer it owes (see [`Context::owe`]): the run
    /// does not end while one is outstanding and a timer could settle it.
    Owe,
    /// A node answered what it owed: an ACK (`None`) or a NACK.
    Settle(Owed, Option<NackReason>),
    /// A node gave a message its id before sending it (see [`Context::assign_id`]).
    Created(MessageId),
}

/// Output port names of a node, in port order, for resolving `send("out", …)`.
pub(crate) fn find_port(outputs: &[Arc<str>], name: &str) -> Option<OutPort> {
    outputs.iter().position(|p| &**p == name).map(|i| OutPort(i as u16))
}

/// The effect of sending on a port by name: a send, or a report that the
/// node has no such port.
fn send_by_name(outputs: &[Arc<str>], port: &str, msg: Message) -> Effect {
    match find_port(outputs, port) {
        Some(port) => Effect::Send(port, msg),
        None => Effect::SendUnknownPort(Arc::from(port), msg),
    }
}

/// The records every context keeps about the call it serves.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) node: NodeId,
    pub(crate) port: InPort,
    pub(crate) trace_id: TraceId,
}

impl Caller {
    fn subscribe(&self, msg: &mut Message) {
        msg.return_path.push(Hop { node: self.node, port: self.port });
    }

    fn notify(&self, msg: &mut Message, nack: Option<NackReason>) -> Effect {
        Effect::Notify {
            message: msg.id,
            trace_id: msg.trace_id,
            name: msg.name,
            origin: self.node,
            path: std::mem::take(&mut msg.return_path),
            nack,
        }
    }

    /// The two effects of refusing `msg`, handed to `emit` in order.
    pub(crate) fn nack(&self, mut msg: Message, reason: &str, permanent: bool, mut emit: impl FnMut(Effect)) {
        let why = NackReason { reason: Arc::from(reason), permanent };
        emit(self.notify(&mut msg, Some(why.clone())));
        emit(Effect::Finish(msg, Outcome::Nacked(why)));
    }

    /// The two effects of exporting `msg`, handed to `emit` in order.
    fn export(&self, mut msg: Message, mut emit: impl FnMut(Effect)) {
        emit(self.notify(&mut msg, None));
        emit(Effect::Finish(msg, Outcome::Exported));
    }

    fn pass_upstream(&self, receipt: Receipt, nack: Option<NackReason>) -> Effect {
        Effect::Notify {
            message: receipt.message,
            trace_id: receipt.trace_id,
            name: receipt.name,
            origin: receipt.origin,
            path: receipt.upstream,
            nack,
        }
    }

    fn derive(&self, name: Name, body: Body, size_bytes: u32) -> Message {
        let mut msg = Message::new(name, body, size_bytes);
        msg.trace_id = self.trace_id;
        msg
    }
}

/// The handle a synchronous [`Actor`](crate::Actor) gets for each call.
///
/// ```
/// use flowreplay::{Actor, Context, InPort, Message};
///
/// /// Forwards every message, asking to hear how it ends.
/// struct Tracker;
/// impl Actor for Tracker {
///     fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, mut msg: Message) {
///         ctx.subscribe(&mut msg);
///         ctx.send("out", msg);
///     }
/// }
/// ```
pub struct Context<'a> {
    now: VirtualTime,
    caller: Caller,
    outputs: &'a [Arc<str>],
    rng: &'a mut SimRng,
    effects: &'a mut Vec<Effect>,
    counters: &'a mut Counters,
}

/// The run-wide counters a handler draws ids from.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// The last timer id given out.
    pub(crate) timer: u64,
    /// The last message id given out.
    pub(crate) message: u64,
}

impl<'a> Context<'a> {
    pub(crate) fn new(
        now: VirtualTime,
        caller: Caller,
        outputs: &'a [Arc<str>],
        rng: &'a mut SimRng,
        effects: &'a mut Vec<Effect>,
        counters: &'a mut Counters,
    ) -> Context<'a> {
        Context { now, caller, outputs, rng, effects, counters }
    }

    /// The current virtual time.
    pub fn now(&self) -> VirtualTime {
        self.now
    }

    /// This node's id.
    pub fn node(&self) -> NodeId {
        self.caller.node
    }

    /// The output port with this name, if the node has one.
    pub fn output(&self, name: &str) -> Option<OutPort> {
        find_port(self.outputs, name)
    }

    /// Sends a message on the named output port. A name the node does not
    /// have ends the message as nacked (permanently, naming the port) and
    /// its subscribers get the NACK: reported, never lost.
    pub fn send(&mut self, port: &str, msg: Message) {
        self.effects.push(send_by_name(self.outputs, port, msg));
    }

    /// Sends a message on an output port resolved earlier with
    /// [`Context::output`]; an index the node does not have is treated as an
    /// unknown port name.
    pub fn send_on(&mut self, port: OutPort, msg: Message) {
        self.effects.push(Effect::Send(port, msg));
    }

    /// Sends on an output port with a transit time of its own instead of the
    /// connector's latency: a replay uses it to deliver each recorded message
    /// when it was recorded as received.
    pub fn send_with_transit(&mut self, port: OutPort, msg: Message, transit: Nanos) {
        self.effects.push(Effect::SendWithTransit(port, msg, transit));
    }

    /// Asks to receive the ACK or NACK of `msg` (call before sending it on).
    pub fn subscribe(&mut self, msg: &mut Message) {
        self.caller.subscribe(msg);
    }

    /// Acknowledges `msg` to its subscribers. Downstream nodes that ack it
    /// later reach nobody: the return path is consumed here.
    pub fn ack(&mut self, msg: &mut Message) {
        let effect = self.caller.notify(msg, None);
        self.effects.push(effect);
    }

    /// Refuses `msg`: its life ends as nacked and its subscribers get a NACK.
    pub fn nack(&mut self, msg: Message, reason: &str, permanent: bool) {
        let effects = &mut *self.effects;
        self.caller.nack(msg, reason, permanent, |effect| effects.push(effect));
    }

    /// Exports `msg` (its life ends as exported) and acknowledges it.
    pub fn export(&mut self, msg: Message) {
        let effects = &mut *self.effects;
        self.caller.export(msg, |effect| effects.push(effect));
    }

    /// Drops `msg` on purpose with a reason (after acknowledging it: dropping
    /// by design is a successful outcome for the sender).
    pub fn drop_message(&mut self, mut msg: Message, reason: &str) {
        self.ack(&mut msg);
        self.effects.push(Effect::Finish(msg, Outcome::Dropped(Arc::from(reason))));
    }

    /// Ends `msg`'s life here without passing it on or acknowledging it.
    pub fn consume(&mut self, msg: Message) {
        self.effects.push(Effect::Finish(msg, Outcome::Consumed));
    }

    /// Leaves `msg` out on purpose, changing what the network does (a
    /// sampling processor): it is acknowledged, then ends as discarded.
    pub fn discard(&mut self, mut msg: Message, reason: &str) {
        self.ack(&mut msg);
        self.effects.push(Effect::Finish(msg, Outcome::Discarded(Arc::from(reason))));
    }

    /// Ends `msg`'s life as merged into a batch. Take over its
    /// acknowledgement with [`Context::owe`] first: the batch answers for it.
    pub fn batched(&mut self, msg: Message) {
        self.effects.push(Effect::Finish(msg, Outcome::Batched));
    }

    /// Passes an ACK or NACK on to the next subscriber upstream.
    pub fn pass_upstream(&mut self, signal: Signal) {
        let effect = match signal {
            // Nobody further up: nothing to pass on (the receiver at the
            // head of every path ends up here).
            Signal::Ack(receipt) | Signal::Nack(receipt, _) if receipt.upstream.is_empty() => return,
            Signal::Ack(receipt) => self.caller.pass_upstream(receipt, None),
            Signal::Nack(receipt, why) => self.caller.pass_upstream(receipt, Some(why)),
            Signal::Timer(_) | Signal::Config(_) | Signal::Shutdown => return,
        };
        self.effects.push(effect);
    }

    /// A new message in the current message's trace; it gets an id when sent.
    pub fn derive(&self, name: impl Into<Name>, body: Body, size_bytes: u32) -> Message {
        self.caller.derive(name.into(), body, size_bytes)
    }

    /// Takes over the ACK or NACK `msg`'s subscribers are waiting for: they
    /// hear nothing until [`Context::settle`] answers, whatever becomes of
    /// `msg` itself. A batch answers for its members this way, and a retry
    /// for the message it tries again.
    pub fn owe(&mut self, msg: &mut Message) -> Owed {
        self.effects.push(Effect::Owe);
        Owed { message: msg.id, trace_id: msg.trace_id, name: msg.name, path: std::mem::take(&mut msg.return_path) }
    }

    /// Answers what [`Context::owe`] took over: an ACK (`None`) or a NACK.
    pub fn settle(&mut self, owed: Owed, nack: Option<NackReason>) {
        self.effects.push(Effect::Settle(owed, nack));
    }

    /// Gives a message made with [`Context::derive`] (or a copy whose id was
    /// reset to [`MessageId::UNASSIGNED`]) its id now, so the node can
    /// match the ACK that comes back for it; a message that has one keeps it.
    pub fn assign_id(&mut self, msg: &mut Message) -> MessageId {
        if msg.id == MessageId::UNASSIGNED {
            self.counters.message += 1;
            msg.id = MessageId(self.counters.message);
            self.effects.push(Effect::Created(msg.id));
        }
        msg.id
    }

    /// Sets a timer that fires [`Signal::Timer`] at this node after `after`.
    pub fn set_timer(&mut self, after: Nanos) -> TimerId {
        self.counters.timer += 1;
        let id = TimerId(self.counters.timer);
        self.effects.push(Effect::SetTimer(id, after));
        id
    }

    /// Cancels a timer; cancelling one that fired already does nothing.
    pub fn cancel_timer(&mut self, timer: TimerId) {
        self.effects.push(Effect::CancelTimer(timer));
    }

    /// Notes in the trace that an injected fault (`reason`) hit the handling
    /// of `msg`; what the node then does with the message is up to it.
    pub fn fault(&mut self, msg: &Message, reason: &str) {
        self.effects.push(Effect::Fault(msg.id, msg.trace_id, Arc::from(reason)));
    }

    /// The run's seeded random source.
    pub fn rng(&mut self) -> &mut SimRng {
        self.rng
    }
}

pub use async_context::AsyncContext;
pub(crate) use async_context::{AsyncLog, AsyncRecord};

mod async_context {
    use std::cell::RefCell;
    use std::rc::Rc;

    use super::*;

    /// One effect an async handler produced, stamped with its virtual time;
    /// `effect == None` marks the end of the handler.
    #[derive(Debug)]
    pub(crate) struct AsyncRecord {
        pub(crate) node: NodeId,
        pub(crate) at: VirtualTime,
        pub(crate) effect: Option<Effect>,
    }

    /// Where async handlers leave their effects for the engine to collect.
    pub(crate) type AsyncLog = Rc<RefCell<Vec<AsyncRecord>>>;

    /// The handle an [`AsyncActor`](crate::AsyncActor) gets for one message.
    ///
    /// It is owned by the handler's future, so it can be used across
    /// `.await`s. Its clock is tokio's paused clock mapped onto virtual time:
    /// `tokio::time::sleep(5ms)` inside the handler moves [`AsyncContext::now`]
    /// forward by exactly 5 ms. Tokio's timers have millisecond resolution,
    /// so a sleep that is not a whole number of milliseconds rounds up.
    pub struct AsyncContext {
        caller: Caller,
        outputs: Arc<[Arc<str>]>,
        started_virtual: VirtualTime,
        started_tokio: tokio::time::Instant,
        rng: RefCell<SimRng>,
        log: AsyncLog,
        wake: Rc<tokio::sync::Notify>,
    }

    impl AsyncContext {
        pub(crate) fn new(
            caller: Caller,
            outputs: Arc<[Arc<str>]>,
            started_virtual: VirtualTime,
            rng: SimRng,
            log: AsyncLog,
            wake: Rc<tokio::sync::Notify>,
        ) -> AsyncContext {
            let started_tokio = tokio::time::Instant::now();
            AsyncContext { caller, outputs, started_virtual, started_tokio, rng: RefCell::new(rng), log, wake }
        }

        /// The current virtual time.
        pub fn now(&self) -> VirtualTime {
            let elapsed = tokio::time::Instant::now().duration_since(self.started_tokio);
            self.started_virtual.after(Nanos(elapsed.as_nanos() as u64))
        }

        fn push(&self, effect: Option<Effect>) {
            let at = self.now();
            self.log.borrow_mut().push(AsyncRecord { node: self.caller.node, at, effect });
            self.wake.notify_one();
        }

        /// A second handle on the same handler, kept by the engine to mark its
        /// end; it draws no random numbers, so the handler's stream is left as is.
        pub(crate) fn twin(&self) -> AsyncContext {
            self.with_rng(self.rng.borrow().clone())
        }

        /// Another handle on the same node and clock, drawing from `rng`.
        fn with_rng(&self, rng: SimRng) -> AsyncContext {
            AsyncContext {
                caller: self.caller.clone(),
                outputs: self.outputs.clone(),
                started_virtual: self.started_virtual,
                started_tokio: self.started_tokio,
                rng: RefCell::new(rng),
                log: self.log.clone(),
                wake: self.wake.clone(),
            }
        }

        pub(crate) fn finish(&self) {
            self.push(None);
        }

        /// Sends a message on the named output port (see [`Context::send`]).
        pub fn send(&self, port: &str, msg: Message) {
            self.push(Some(send_by_name(&self.outputs, port, msg)));
        }

        /// Asks to receive the ACK or NACK of `msg` (see [`Context::subscribe`]).
        pub fn subscribe(&self, msg: &mut Message) {
            self.caller.subscribe(msg);
        }

        /// Acknowledges `msg` to its subscribers (see [`Context::ack`]).
        pub fn ack(&self, msg: &mut Message) {
            self.push(Some(self.caller.notify(msg, None)));
        }

        /// Refuses `msg` (see [`Context::nack`]).
        pub fn nack(&self, msg: Message, reason: &str, permanent: bool) {
            self.caller.nack(msg, reason, permanent, |effect| self.push(Some(effect)));
        }

        /// Exports `msg` and acknowledges it (see [`Context::export`]).
        pub fn export(&self, msg: Message) {
            self.caller.export(msg, |effect| self.push(Some(effect)));
        }

        /// Ends `msg`'s life here (see [`Context::consume`]).
        pub fn consume(&self, msg: Message) {
            self.push(Some(Effect::Finish(msg, Outcome::Consumed)));
        }

        /// Notes an injected fault in the trace (see [`Context::fault`]).
        pub fn fault(&self, msg: &Message, reason: &str) {
            self.push(Some(Effect::Fault(msg.id, msg.trace_id, Arc::from(reason))));
        }

        /// A new message in the current message's trace (see [`Context::derive`]).
        pub fn derive(&self, name: impl Into<Name>, body: Body, size_bytes: u32) -> Message {
            self.caller.derive(name.into(), body, size_bytes)
        }

        /// A random `u64` from this handler's own seeded stream.
        pub fn random_u64(&self) -> u64 {
            self.rng.borrow_mut().next_u64()
        }
    }

    impl Clone for AsyncContext {
        /// Another handle on the same node and clock, for a service's other
        /// tasks, with a random stream of its own forked from this one's
        /// (so two handles never draw the same numbers).
        fn clone(&self) -> AsyncContext {
            let rng = self.rng.borrow_mut().fork();
            self.with_rng(rng)
        }
    }
}
