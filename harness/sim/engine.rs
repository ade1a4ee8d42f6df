//! The discrete-event engine: one loop over (virtual time, tie, sequence).
//!
//! Determinism: the engine never reads a clock, draws every random number
//! from one seeded rng in a fixed order, keeps per-node state in vectors
//! indexed by dense ids, and orders simultaneous events by a key that is a
//! pure function of the seed and what was scheduled. Hash maps hold only
//! membership (live messages, armed timers) and are sorted before anything
//! is printed.
//!
//! A message's journey: a receiver's workload yields one arrival at a time
//! (`Inject`), merged into the loop in time order; a send reserves room in
//! the destination's mailbox and schedules `Arrive` after the connector's
//! latency; the destination handles it when idle (after its service time,
//! `Served`). A full mailbox parks the send and blocks the sender until room
//! frees (`Wake`): backpressure, never a drop.

use std::collections::VecDeque;
use std::sync::Arc;

use rustc_hash::FxHashSet;

use crate::model::{InPort, Message, MessageId, Nanos, NodeId, OutPort, SimRng, TraceId, VirtualTime};
use crate::net::nodes::deadline_of;
use crate::net::{
    Arrivals, AsyncContext, Behaviour, Caller, Context, Counters, Effect, NackReason, Network, Outcome, Receipt, Role,
    Signal, TimerId, Topology, DEADLINE_HEADER,
};
use crate::trace::{EventKind, Phase, Recorder, TraceEvent};

use super::async_driver::AsyncDriver;
use super::config::{RunConfig, TieBreak};
use super::fault::{Fault, FaultError, FaultKind, FaultPlan};
use super::ledger::Ledger;
use super::queue::EventQueue;
use super::summary::{EdgeSummary, InFlight, LateExport, NodeSummary, RunSummary, StopReason};

/// What the scheduler can have pending.
enum Event {
    /// A receiver's next workload arrival is due.
    Inject(NodeId),
    /// A message reaches a node's mailbox.
    Arrive { node: NodeId, port: InPort, msg: Message, cause: Option<u64> },
    /// A node finished its service time for the message at its mailbox head
    /// (unless it crashed since: the number is its crash count then).
    Served(NodeId, u32),
    /// A node's parked sends were all admitted: it may go on.
    Wake(NodeId),
    /// An ACK, NACK or CONFIG for a node, with the event that caused it.
    Signal(NodeId, Signal, Option<u64>),
    /// A timer fires.
    Timer(NodeId, TimerId),
    /// An async handler's effect (or, with `None`, its end).
    Async(NodeId, Option<Box<Effect>>),
    /// Fault `usize` crashes a node.
    Crash(NodeId, usize),
    /// A crashed node starts again.
    Restart(NodeId),
}

struct Queued {
    port: InPort,
    msg: Message,
    cause: Option<u64>,
}

/// A send waiting for room at its destination.
struct Parked {
    from: NodeId,
    connector: usize,
    msg: Message,
    since: VirtualTime,
    cause: Option<u64>,
    transit: Option<Nanos>,
}

struct NodeState {
    mailbox: VecDeque<Queued>,
    /// Messages in transit to or queued at this node.
    reserved: u32,
    capacity: u32,
    service_time: Nanos,
    /// In service, or running an async handler.
    busy: bool,
    /// This node's own sends parked elsewhere; it handles nothing until 0.
    parked: u32,
    /// Other nodes' sends waiting for room here, in arrival order.
    waiting: VecDeque<Parked>,
    source: Option<Box<dyn Arrivals>>,
    /// An injection that was due while the receiver could not take it.
    deferred: Option<VirtualTime>,
    /// The deliver event of the message an async handler is working on.
    async_cause: Option<u64>,
    /// The head message's service time has elapsed (it waits only for the
    /// node's own parked sends to go through).
    served: bool,
    stopped: bool,
    /// Down after a crash, until it restarts.
    crashed: bool,
    /// How many times it crashed: a service time that began before a crash
    /// does not finish after it.
    crashes: u32,
    /// Timers that fell due while it was down: they fire when it restarts.
    timers_while_down: Vec<TimerId>,
    /// ACKs, NACKs and CONFIGs that reached it while it was down, with their
    /// causes: delivered when it restarts.
    signals_while_down: Vec<(Signal, Option<u64>)>,
    stats: NodeSummary,
}

impl NodeState {
    fn can_take_input(&self) -> bool {
        !self.busy && self.parked == 0 && !self.crashed
    }

    /// Whether a message arriving now goes straight to the handler: the
    /// node is idle, nothing is queued ahead of it, and it takes no
    /// service time.
    fn takes_at_once(&self) -> bool {
        self.can_take_input() && self.mailbox.is_empty() && self.service_time == Nanos::ZERO
    }
}

/// A network ready to run under one configuration.
///
/// ```
/// use flowreplay::{MemoryRecorder, RunConfig, Scenario, Simulation};
///
/// let scenario = Scenario::parse(r#"
///     [[node]]
///     id = "src"
///     kind = "receiver"
///     config.workload = { count = 3, rate = "1000/s", messages = [{ name = "Ping" }] }
///     [[node]]
///     id = "sink"
///     kind = "exporter"
///     [[connector]]
///     from = "src.out"
///     to = "sink.in"
///     latency = "1ms"
/// "#, "inline.toml").unwrap();
/// let network = scenario.network(&flowreplay::Registry::builtin()).unwrap();
/// let mut trace = MemoryRecorder::default();
/// let summary = Simulation::new(network, RunConfig { seed: 7, ..RunConfig::default() })
///     .run(Some(&mut trace))
///     .unwrap();
/// assert_eq!(summary.terminal["exported"], 3);
/// assert!(summary.conserved());
/// assert!(summary.drained());
/// ```
pub struct Simulation {
    topology: Arc<Topology>,
    behaviours: Vec<Behaviour>,
    sources: Vec<Option<Box<dyn Arrivals>>>,
    config: RunConfig,
    configs: Vec<(VirtualTime, NodeId, serde_json::Value)>,
    faults: FaultPlan,
}

/// Why a run could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The tokio runtime for async actors could not be built.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[from] std::io::Error),
}

impl Simulation {
    /// Prepares `network` to run under `config`.
    pub fn new(network: Network, config: RunConfig) -> Simulation {
        Simulation {
            topology: Arc::new(network.topology),
            behaviours: network.behaviours,
            sources: network.arrivals,
            config,
            configs: Vec::new(),
            faults: FaultPlan::default(),
        }
    }

    /// Injects `faults` into the run (a scenario's `[[fault]]` entries), or
    /// says which one cannot apply to this network and why.
    pub fn with_faults(mut self, faults: Vec<Fault>) -> Result<Simulation, FaultError> {
        let behaviours = &self.behaviours;
        let sync_only = |node: NodeId| matches!(behaviours[node.index()], Behaviour::Sync(_));
        self.faults = FaultPlan::resolve(faults, &self.topology, sync_only, self.config.seed)?;
        Ok(self)
    }

    /// The topology being run.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The settings it runs under.
    pub fn config(&self) -> &RunConfig {
        &self.config
    }

    /// Delivers [`Signal::Config`] with `value` to `node` at virtual time `at`.
    pub fn schedule_config(&mut self, at: VirtualTime, node: NodeId, value: serde_json::Value) -> &mut Self {
        self.configs.push((at, node, value));
        self
    }

    /// Runs to the end (or a limit), sending every trace event to `recorder`.
    ///
    /// With no recorder the run takes the engine compiled without trace
    /// hooks, so tracing off costs one branch per run, not per event.
    pub fn run(self, recorder: Option<&mut dyn Recorder>) -> Result<RunSummary, SimError> {
        match recorder {
            Some(recorder) => self.run_with(Traced(recorder)),
            None => self.run_with(Untraced),
        }
    }

    /// Runs on the engine compiled without trace hooks: what
    /// [`Simulation::run`] does with `None`, named so the `tracing_overhead`
    /// bench can measure "no hooks at all" beside "recorder off".
    pub fn run_untraced(self) -> Result<RunSummary, SimError> {
        self.run_with(Untraced)
    }

    fn run_with<H: Hooks>(self, hooks: H) -> Result<RunSummary, SimError> {
        let needs_async = self.behaviours.iter().any(|b| matches!(b, Behaviour::Async(_) | Behaviour::Service(_)));
        let topology = self.topology;
        let nodes = topology
            .nodes
            .iter()
            .zip(self.sources)
            .map(|(info, source)| NodeState {
                mailbox: VecDeque::new(),
                reserved: 0,
                capacity: info.mailbox,
                service_time: info.service_time,
                busy: false,
                parked: 0,
                waiting: VecDeque::new(),
                source,
                deferred: None,
                async_cause: None,
                served: false,
                stopped: false,
                crashed: false,
                crashes: 0,
                timers_while_down: Vec::new(),
                signals_while_down: Vec::new(),
                stats: NodeSummary {
                    node: info.name.to_string(),
                    kind: info.kind.clone(),
                    delivered: 0,
                    acks: 0,
                    nacks: 0,
                    max_queue: 0,
                    blocked_ns: 0,
                },
            })
            .collect();
        let edges = topology
            .connectors
            .iter()
            .map(|c| EdgeSummary {
                from: topology.output_name(c.from.0, c.from.1),
                to: topology.input_name(c.to.0, c.to.1),
                messages: 0,
                bytes: 0,
                blocked: 0,
            })
            .collect();
        let mut engine = Engine {
            behaviours: self.behaviours,
            core: Core {
                now: VirtualTime::ZERO,
                queue: EventQueue::new(),
                rng: SimRng::seed_from(self.config.seed),
                config: self.config,
                nodes,
                edges,
                ledger: Ledger::default(),
                hooks,
                trace_seq: 0,
                counters: Counters::default(),
                owed: 0,
                faults: self.faults,
                timers: FxHashSet::default(),
                effects: Vec::new(),
                pending: 0,
                active_sources: 0,
                events: 0,
                delivered: 0,
                async_driver: if needs_async { Some(AsyncDriver::new()?) } else { None },
                topology,
            },
        };
        for (at, node, value) in self.configs {
            engine.core.schedule(at, Event::Signal(node, Signal::Config(value), None));
        }
        let stopped_by = engine.run();
        Ok(engine.core.summary(stopped_by))
    }
}

/// Where the engine's trace hooks lead. `TRACED` is a constant, so with
/// [`Untraced`] the compiler removes every hook, event building included.
trait Hooks {
    const TRACED: bool;
    fn recorder(&mut self) -> Option<&mut (dyn Recorder + '_)>;
}

/// Every hook leads to a recorder.
struct Traced<'r>(&'r mut dyn Recorder);

impl Hooks for Traced<'_> {
    const TRACED: bool = true;

    #[inline]
    fn recorder(&mut self) -> Option<&mut (dyn Recorder + '_)> {
        Some(&mut *self.0)
    }
}

/// No trace hooks at all.
struct Untraced;

impl Hooks for Untraced {
    const TRACED: bool = false;

    #[inline]
    fn recorder(&mut self) -> Option<&mut (dyn Recorder + '_)> {
        None
    }
}

struct Engine<H> {
    behaviours: Vec<Behaviour>,
    core: Core<H>,
}

struct Core<H> {
    now: VirtualTime,
    queue: EventQueue<Event>,
    rng: SimRng,
    config: RunConfig,
    topology: Arc<Topology>,
    nodes: Vec<NodeState>,
    edges: Vec<EdgeSummary>,
    ledger: Ledger,
    hooks: H,
    trace_seq: u64,
    counters: Counters,
    /// Answers nodes took over with `Context::owe` and have not given.
    owed: u64,
    faults: FaultPlan,
    timers: FxHashSet<TimerId>,
    effects: Vec<Effect>,
    /// Scheduled or parked work that is not a timer or a workload arrival:
    /// when it is zero and every workload is spent, the network is drained.
    pending: u64,
    /// Receivers with workload messages still to inject.
    active_sources: usize,
    events: u64,
    delivered: u64,
    async_driver: Option<AsyncDriver>,
}

/// `at` moved by `by` nanoseconds, never before time zero.
fn shift(at: VirtualTime, by: i64) -> VirtualTime {
    VirtualTime(at.0.saturating_add_signed(by))
}

/// How far async handlers and services may run with nothing scheduled and
/// no `max_time`: a day of virtual time.
const DAY: Nanos = Nanos(86_400_000_000_000);

impl<H: Hooks> Engine<H> {
    /// The loop: start every node, then take events in order until the
    /// network has drained and shut down, or a limit is reached.
    fn run(&mut self) -> StopReason {
        let order = self.core.topology.order.clone();
        for &node in &order {
            self.core.trace(MessageId(0), TraceId(0), None, || EventKind::Lifecycle { node, phase: Phase::Start });
            let caller = Caller { node, port: InPort::INJECT, trace_id: TraceId(0) };
            match &mut self.behaviours[node.index()] {
                Behaviour::Sync(actor) => self.core.call(caller, None, |ctx| actor.on_start(ctx)),
                Behaviour::Service(service) => {
                    let context = self.core.async_context(caller);
                    let driver = self.core.async_driver.as_mut().expect("checked by `async_context`");
                    driver.start_service(|| service.start(context()));
                }
                Behaviour::Async(_) => {}
            }
            if let Some(at) = self.core.nodes[node.index()].source.as_ref().and_then(|s| s.next_arrival()) {
                self.core.active_sources += 1;
                self.core.schedule(at, Event::Inject(node));
            }
        }
        for (fault, node) in self.core.faults.crashes.clone() {
            let at = VirtualTime(self.core.faults.fault(fault).from.0);
            self.core.schedule_fault(at, Event::Crash(node, fault));
        }
        // Receivers stop first (no new input), then the rest in topological order.
        let roles: Vec<Role> = self.core.topology.nodes.iter().map(|n| n.role).collect();
        let (receivers, rest): (Vec<NodeId>, Vec<NodeId>) =
            order.into_iter().partition(|n| roles[n.index()] == Role::Receiver);
        let mut shutdown = receivers.into_iter().chain(rest);
        let max_time = self.core.config.max_time.map(|limit| VirtualTime(limit.0));
        loop {
            if let Some(reason) = self.core.limit_reached() {
                return reason;
            }
            if self.core.drained() && !self.core.services_busy() {
                match shutdown.next() {
                    Some(node) => {
                        self.shut_down(node);
                        continue;
                    }
                    // Every node is stopped and drained: what is left are timers
                    // of stopped nodes, which never fire.
                    None => return StopReason::Completed,
                }
            }
            if self.core.async_running() || self.core.services() > 0 {
                self.core.advance_async();
            }
            let Some((at, event)) = self.core.queue.pop_due(max_time) else {
                // Nothing is due by the time limit, or nothing is queued and
                // only async handlers that nothing will ever wake are left.
                return match max_time {
                    Some(limit) => {
                        self.core.now = limit;
                        StopReason::MaxTime
                    }
                    None => StopReason::Stalled,
                };
            };
            self.core.now = at;
            self.core.events += 1;
            self.step(event);
        }
    }

    /// Handles one event.
    fn step(&mut self, event: Event) {
        match event {
            Event::Inject(node) => self.inject_due(node),
            Event::Arrive { node, port, msg, cause } => {
                self.core.pending -= 1;
                self.take_or_queue(node, Queued { port, msg, cause });
                self.run_node(node);
            }
            Event::Served(node, crashes) => {
                self.core.pending -= 1;
                let state = &mut self.core.nodes[node.index()];
                state.busy = false;
                // After a crash, the message it served may be gone.
                state.served = crashes == state.crashes;
                self.run_node(node);
            }
            Event::Wake(node) => {
                self.core.pending -= 1;
                self.run_node(node);
            }
            Event::Signal(node, signal, cause) => {
                self.core.pending -= 1;
                match self.core.nodes[node.index()].crashed {
                    // Held until the restart, like its timers and its mailbox.
                    true => self.core.nodes[node.index()].signals_while_down.push((signal, cause)),
                    false => self.signal(node, signal, cause),
                }
            }
            Event::Timer(node, timer) if self.core.nodes[node.index()].crashed => {
                // Held, not armed: a node down for good does not keep the run going.
                if self.core.timers.remove(&timer) {
                    self.core.nodes[node.index()].timers_while_down.push(timer);
                }
            }
            Event::Timer(node, timer) => {
                if self.core.timers.remove(&timer) && !self.core.nodes[node.index()].stopped {
                    let cause = self.core.trace(MessageId(0), TraceId(0), None, || EventKind::Timer { node, timer });
                    self.signal(node, Signal::Timer(timer), cause);
                }
            }
            Event::Async(node, Some(effect)) => {
                self.core.pending -= 1;
                let cause = self.core.nodes[node.index()].async_cause;
                self.core.apply_one(node, cause, *effect);
            }
            Event::Async(node, None) => {
                self.core.pending -= 1;
                if let Some(driver) = &mut self.core.async_driver {
                    driver.running -= 1;
                }
                self.core.nodes[node.index()].busy = false;
                self.run_node(node);
            }
            Event::Crash(node, fault) => self.crash(node, fault),
            Event::Restart(node) => {
                self.core.pending -= 1;
                self.restart(node);
            }
        }
    }

    /// Fault `fault` crashes `node`: it takes no input until it restarts,
    /// and what is queued at it is lost unless the fault keeps its mailbox.
    /// The actor object itself (and what it holds) survives: a restart
    /// calls its `on_start` again.
    fn crash(&mut self, node: NodeId, fault: usize) {
        let FaultKind::Crash { restart_after, keep_mailbox } = self.core.faults.fault(fault).kind else { return };
        let core = &mut self.core;
        // A node already shut down at the end of the run has nothing left to lose.
        if core.nodes[node.index()].stopped {
            return;
        }
        let reason: Arc<str> = Arc::from(if keep_mailbox { "crash, mailbox kept" } else { "crash, mailbox lost" });
        let cause = core.trace(MessageId(0), TraceId(0), None, || EventKind::Fault { node, reason: &reason });
        core.trace(MessageId(0), TraceId(0), cause, || EventKind::Lifecycle { node, phase: Phase::Crash });
        let state = &mut core.nodes[node.index()];
        state.crashed = true;
        state.crashes += 1;
        state.served = false;
        let lost: Vec<Queued> = if keep_mailbox { Vec::new() } else { state.mailbox.drain(..).collect() };
        state.reserved -= lost.len() as u32;
        core.faults.tally(fault, lost.len() as u64);
        let crash: Arc<str> = Arc::from("crash");
        for queued in lost {
            core.finish(node, queued.msg, Outcome::Lost(crash.clone()), cause);
        }
        core.admit_waiting(node);
        match restart_after {
            Some(after) => core.schedule_fault(core.now.after(after), Event::Restart(node)),
            // Down for good: a receiver's remaining workload is abandoned.
            None => {
                let state = &mut core.nodes[node.index()];
                if state.source.take().is_some_and(|source| source.next_arrival().is_some()) {
                    core.active_sources -= 1;
                }
                state.deferred = None;
            }
        }
    }

    /// A crashed node starts again: `on_start` runs, the timers that fell
    /// due while it was down fire, and it takes input again.
    fn restart(&mut self, node: NodeId) {
        let core = &mut self.core;
        if core.nodes[node.index()].stopped {
            return;
        }
        core.trace(MessageId(0), TraceId(0), None, || EventKind::Lifecycle { node, phase: Phase::Restart });
        let state = &mut core.nodes[node.index()];
        state.crashed = false;
        let (timers, signals) =
            (std::mem::take(&mut state.timers_while_down), std::mem::take(&mut state.signals_while_down));
        for timer in timers {
            core.timers.insert(timer);
            core.schedule(core.now, Event::Timer(node, timer));
        }
        for (signal, cause) in signals {
            core.schedule(core.now, Event::Signal(node, signal, cause));
        }
        let caller = Caller { node, port: InPort::INJECT, trace_id: TraceId(0) };
        if let Behaviour::Sync(actor) = &mut self.behaviours[node.index()] {
            core.call(caller, None, |ctx| actor.on_start(ctx));
        }
        self.run_node(node);
    }

    /// A receiver's arrival is due: inject it now, or hold it while the
    /// receiver cannot take input (backpressure slows the workload).
    fn inject_due(&mut self, node: NodeId) {
        let state = &mut self.core.nodes[node.index()];
        if state.can_take_input() && state.mailbox.is_empty() {
            if let Some(queued) = self.core.inject(node, self.core.now) {
                self.take_or_queue(node, queued);
            }
            self.run_node(node);
        } else {
            state.deferred = Some(self.core.now);
        }
    }

    /// Hands a message that has just reached `node` to its handler if the
    /// node takes it at once (the common case), else queues it.
    #[inline]
    fn take_or_queue(&mut self, node: NodeId, queued: Queued) {
        let state = &mut self.core.nodes[node.index()];
        if state.takes_at_once() {
            let Queued { port, msg, cause } = queued;
            self.handle(node, port, msg, cause);
        } else {
            state.mailbox.push_back(queued);
        }
    }

    /// Lets a node work through its mailbox for as long as it is free to.
    #[inline]
    fn run_node(&mut self, node: NodeId) {
        // Most often the node has just handled the one message it had.
        let state = &self.core.nodes[node.index()];
        if state.can_take_input() && (!state.mailbox.is_empty() || state.deferred.is_some()) {
            self.work_through_mailbox(node);
        }
    }

    /// [`Engine::run_node`] for a node with work waiting.
    fn work_through_mailbox(&mut self, node: NodeId) {
        loop {
            let state = &mut self.core.nodes[node.index()];
            if !state.can_take_input() {
                return;
            }
            if state.mailbox.is_empty() {
                let Some(due) = state.deferred.take() else { return };
                if let Some(queued) = self.core.inject(node, due) {
                    self.core.nodes[node.index()].mailbox.push_back(queued);
                }
                continue;
            }
            if state.served || state.service_time == Nanos::ZERO {
                state.served = false;
                self.handle_next(node);
                continue;
            }
            state.busy = true;
            let at = self.core.now.after(state.service_time);
            let crashes = state.crashes;
            self.core.schedule(at, Event::Served(node, crashes));
            return;
        }
    }

    /// Hands the message at the head of `node`'s mailbox to its handler.
    fn handle_next(&mut self, node: NodeId) {
        if let Some(Queued { port, msg, cause }) = self.core.nodes[node.index()].mailbox.pop_front() {
            self.handle(node, port, msg, cause);
        }
    }

    /// Hands one message, taken off `node`'s mailbox, to its handler.
    fn handle(&mut self, node: NodeId, port: InPort, mut msg: Message, cause: Option<u64>) {
        let core = &mut self.core;
        let state = &mut core.nodes[node.index()];
        state.reserved -= 1;
        state.stats.delivered += u64::from(port != InPort::INJECT);
        core.admit_waiting(node);
        core.ledger.handled_by(msg.id, node);
        let cause = if port == InPort::INJECT {
            cause
        } else {
            core.delivered += 1;
            core.trace(msg.id, msg.trace_id, cause, || EventKind::Deliver { node, port })
        };
        let caller = Caller { node, port, trace_id: msg.trace_id };
        if port != InPort::INJECT && (core.faults.any() || !msg.headers.is_empty()) {
            match core.refuse_on_arrival(&caller, msg, cause) {
                Some(admitted) => msg = admitted,
                None => return,
            }
        }
        match &mut self.behaviours[node.index()] {
            Behaviour::Sync(actor) => core.call(caller, cause, |ctx| actor.on_message(ctx, port, msg)),
            Behaviour::Service(service) => service.on_message(port, msg, core.now),
            Behaviour::Async(actor) => {
                let state = &mut core.nodes[node.index()];
                state.busy = true;
                state.async_cause = cause;
                let context = core.async_context(caller);
                let driver = core.async_driver.as_mut().expect("checked by `async_context`");
                driver.start(core.now, || {
                    let ctx = context();
                    let finished = ctx.twin();
                    let handler = actor.on_message(ctx, port, msg);
                    async move {
                        handler.await;
                        finished.finish();
                    }
                });
            }
        }
    }

    /// Delivers a control signal to a node's handler.
    fn signal(&mut self, node: NodeId, signal: Signal, cause: Option<u64>) {
        let core = &mut self.core;
        let cause = match &signal {
            Signal::Ack(r) => {
                core.nodes[node.index()].stats.acks += 1;
                let origin = r.origin;
                core.trace(r.message, r.trace_id, cause, || EventKind::Ack { node, origin })
            }
            Signal::Nack(r, why) => {
                core.nodes[node.index()].stats.nacks += 1;
                let (origin, reason, permanent) = (r.origin, &why.reason, why.permanent);
                core.trace(r.message, r.trace_id, cause, || EventKind::Nack { node, origin, reason, permanent })
            }
            Signal::Timer(_) | Signal::Config(_) | Signal::Shutdown => cause,
        };
        let caller = Caller { node, port: InPort::INJECT, trace_id: TraceId(0) };
        match &mut self.behaviours[node.index()] {
            Behaviour::Sync(actor) => core.call(caller, cause, |ctx| actor.on_signal(ctx, signal)),
            Behaviour::Async(_) | Behaviour::Service(_) => core.call(caller, cause, |ctx| ctx.pass_upstream(signal)),
        }
    }

    /// Sends SHUTDOWN to one node; it may flush what it holds.
    /// A node that is down (crashed for good) is stopped without a flush.
    fn shut_down(&mut self, node: NodeId) {
        self.core.nodes[node.index()].stopped = true;
        let cause =
            self.core.trace(MessageId(0), TraceId(0), None, || EventKind::Lifecycle { node, phase: Phase::Stop });
        if !self.core.nodes[node.index()].crashed {
            self.signal(node, Signal::Shutdown, cause);
        }
    }
}

impl<H: Hooks> Core<H> {
    /// What makes the context of an async handler or a service started for
    /// `caller`, with a random stream forked off the run's. It is made inside
    /// the driver, where tokio's clock can be read.
    fn async_context(&mut self, caller: Caller) -> impl FnOnce() -> AsyncContext {
        // Built in `Simulation::run` whenever a node is async or a service.
        let driver = self.async_driver.as_ref().expect("an async node or a service has an async driver");
        let (log, wake) = (driver.log.clone(), driver.wake.clone());
        let outputs = self.topology.nodes[caller.node.index()].outputs.clone();
        let (rng, now) = (self.rng.fork(), self.now);
        move || AsyncContext::new(caller, outputs, now, rng, log, wake)
    }

    /// Schedules an event of an injected fault (a crash, a restart, a
    /// duplicate's arrival) without drawing a tie from the run's rng, so that
    /// declaring a fault leaves every other draw of the run as it was.
    fn schedule_fault(&mut self, at: VirtualTime, event: Event) {
        self.enqueue(at, 0, event);
    }

    fn schedule(&mut self, at: VirtualTime, event: Event) {
        let tie = match self.config.tie_break {
            TieBreak::Random => self.rng.next_u64(),
            TieBreak::Fifo => 0,
        };
        self.enqueue(at, tie, event);
    }

    /// Queues `event`, counting it as pending work unless it is a workload
    /// arrival, a timer or a crash yet to come (none of which keeps a
    /// drained run going).
    fn enqueue(&mut self, at: VirtualTime, tie: u64, event: Event) {
        if !matches!(event, Event::Inject(_) | Event::Timer(..) | Event::Crash(..)) {
            self.pending += 1;
        }
        self.queue.push(at, tie, event);
    }

    /// Records a trace event if a recorder is attached; returns its sequence number.
    #[inline]
    fn trace<'k>(
        &mut self,
        message: MessageId,
        trace_id: TraceId,
        parent: Option<u64>,
        kind: impl FnOnce() -> EventKind<'k>,
    ) -> Option<u64> {
        if !H::TRACED {
            return None;
        }
        let recorder = self.hooks.recorder()?;
        let seq = self.trace_seq;
        self.trace_seq += 1;
        recorder.record(&TraceEvent { seq, at: self.now, parent, message, trace_id, kind: kind() });
        Some(seq)
    }

    fn limit_reached(&self) -> Option<StopReason> {
        self.config.max_events.filter(|&max| self.events >= max).map(|_| StopReason::MaxEvents)
    }

    /// Every workload is spent, no async handler is running, nothing but
    /// timers is scheduled, and no armed timer could still release a message
    /// some node is holding or settle an answer a node owes
    /// ([`Context::owe`]).
    fn drained(&self) -> bool {
        self.pending == 0
            && self.active_sources == 0
            && !self.async_running()
            && (self.timers.is_empty() || (self.ledger.live_count() == 0 && self.owed == 0))
    }

    fn async_running(&self) -> bool {
        self.async_driver.as_ref().is_some_and(|d| d.running > 0)
    }

    fn services(&self) -> usize {
        self.async_driver.as_ref().map_or(0, |d| d.services)
    }

    /// Whether services keep a drained run going: up to its `max_time` when
    /// it has one, else while they still produce something within a second
    /// of virtual time (queued here). A service that never goes quiet (an
    /// endless timer) runs, without a `max_time`, to a day of virtual time.
    fn services_busy(&mut self) -> bool {
        const SETTLE: Nanos = Nanos(1_000_000_000);
        if self.services() == 0 {
            return false;
        }
        if self.config.max_time.is_some() {
            return true;
        }
        // A service that never goes quiet stops being waited for after a
        // day of virtual time.
        if self.now.as_nanos() >= DAY.0 {
            return false;
        }
        let before = self.pending;
        self.advance_async_until(self.now.after(SETTLE));
        self.pending > before
    }

    /// Lets async handlers run up to the next scheduled event (or, with
    /// nothing scheduled, up to the time limit or a day of virtual time) and
    /// queues what they produced, never earlier than now.
    fn advance_async(&mut self) {
        let until = match (self.queue.peek_time(), self.config.max_time) {
            (Some(at), _) => at,
            (None, Some(limit)) => VirtualTime(limit.0),
            (None, None) => self.now.after(DAY),
        };
        self.advance_async_until(until);
    }

    /// Lets async handlers and services run up to virtual `until` and queues
    /// what they produced, never earlier than now.
    fn advance_async_until(&mut self, until: VirtualTime) {
        let Some(driver) = &mut self.async_driver else { return };
        for record in driver.advance(until) {
            let at = record.at.max(self.now);
            // Tie 0 and scheduling order keep one handler's effects in the
            // order it produced them, its end last.
            self.pending += 1;
            self.queue.push(at, 0, Event::Async(record.node, record.effect.map(Box::new)));
        }
    }

    /// Refuses a message handed to a node in an outage, or one whose
    /// `deadline` header has passed by the node's clock: a NACK instead of
    /// the handler. Gives the message back when neither applies.
    fn refuse_on_arrival(&mut self, caller: &Caller, msg: Message, cause: Option<u64>) -> Option<Message> {
        let node = caller.node;
        if let Some(fault) = self.faults.outage(node, self.now) {
            let FaultKind::Outage { reason, permanent } = &self.faults.fault(fault).kind else { return Some(msg) };
            let (reason, permanent) = (reason.clone(), *permanent);
            self.faults.tally(fault, 1);
            self.trace(msg.id, msg.trace_id, cause, || EventKind::Fault { node, reason: &reason });
            caller.nack(msg, &reason, permanent, |effect| self.apply_one(node, cause, effect));
            return None;
        }
        if deadline_of(&msg).is_some_and(|deadline| self.clock(node).0 > deadline) {
            caller.nack(msg, DEADLINE_HEADER, true, |effect| self.apply_one(node, cause, effect));
            return None;
        }
        Some(msg)
    }

    /// The time on `node`'s clock: virtual now, shifted by its skew.
    fn clock(&self, node: NodeId) -> VirtualTime {
        shift(self.now, self.skew(node))
    }

    /// How far `node`'s clock is off now, in nanoseconds.
    fn skew(&self, node: NodeId) -> i64 {
        if self.faults.any() {
            self.faults.skew(node, self.now)
        } else {
            0
        }
    }

    /// Calls a synchronous handler with a context for `caller`, then applies
    /// the effects it recorded, in order; `cause` is their causal parent.
    fn call(&mut self, caller: Caller, cause: Option<u64>, handler: impl FnOnce(&mut Context<'_>)) {
        let node = caller.node;
        let outputs = &self.topology.nodes[node.index()].outputs;
        let now = self.clock(node);
        handler(&mut Context::new(now, caller, outputs, &mut self.rng, &mut self.effects, &mut self.counters));
        // Applying an effect never calls a handler, so the buffer is free
        // again once its effects are taken out.
        match self.effects.len() {
            0 => {}
            // Most handlers make one effect, most often a send: no drain to
            // set up and tear down, and a send goes straight out.
            1 => match self.effects.pop() {
                Some(Effect::Send(port, msg)) => self.send(node, port, msg, cause, None),
                Some(effect) => self.apply_one(node, cause, effect),
                None => {}
            },
            _ => {
                let mut effects = std::mem::take(&mut self.effects);
                for effect in effects.drain(..) {
                    self.apply_one(node, cause, effect);
                }
                self.effects = effects;
            }
        }
    }

    fn apply_one(&mut self, node: NodeId, cause: Option<u64>, effect: Effect) {
        match effect {
            Effect::Send(port, msg) => self.send(node, port, msg, cause, None),
            Effect::SendWithTransit(port, msg, transit) => self.send(node, port, msg, cause, Some(transit)),
            Effect::SendUnknownPort(port, msg) => self.refuse_unroutable(node, &port, msg, cause),
            Effect::Notify { message, trace_id, name, origin, mut path, nack } => {
                let Some(hop) = path.pop() else { return };
                let receipt = Receipt { message, trace_id, name, origin, port: hop.port, upstream: path };
                let signal = match nack {
                    None => Signal::Ack(receipt),
                    Some(why) => Signal::Nack(receipt, why),
                };
                self.schedule(self.now, Event::Signal(hop.node, signal, cause));
            }
            Effect::Finish(mut msg, outcome) => {
                self.number(node, &mut msg);
                self.finish(node, msg, outcome, cause);
            }
            Effect::SetTimer(timer, after) => {
                self.timers.insert(timer);
                // A skewed clock fires its timers off by its skew, never in the past.
                let skew = self.skew(node);
                if skew != 0 {
                    self.faults.tally_skew(node, self.now);
                }
                let at = shift(self.now.after(after), skew).max(self.now);
                self.schedule(at, Event::Timer(node, timer));
            }
            Effect::CancelTimer(timer) => {
                self.timers.remove(&timer);
            }
            Effect::Fault(message, trace_id, reason) => {
                self.trace(message, trace_id, cause, || EventKind::Fault { node, reason: &reason });
            }
            Effect::Owe => self.owed += 1,
            Effect::Settle(owed, nack) => {
                self.owed -= 1;
                self.apply_one(node, cause, owed.into_notify(node, nack));
            }
            Effect::Created(id) => self.ledger.created(id, node),
        }
    }

    /// A send on a port the node does not have: the message ends as nacked
    /// (permanently) and its subscribers hear so.
    fn refuse_unroutable(&mut self, node: NodeId, port: &str, mut msg: Message, cause: Option<u64>) {
        let reason: Arc<str> = format!("{} has no output port {port:?}", self.topology.nodes[node.index()].name).into();
        let why = NackReason { reason, permanent: true };
        self.number(node, &mut msg);
        let path = std::mem::take(&mut msg.return_path);
        let notify = Effect::Notify {
            message: msg.id,
            trace_id: msg.trace_id,
            name: msg.name,
            origin: node,
            path,
            nack: Some(why.clone()),
        };
        self.apply_one(node, cause, notify);
        self.finish(node, msg, Outcome::Nacked(why), cause);
    }

    /// Gives a message created by an actor its id (in place: a message is
    /// too large to pass through by value on every send).
    fn number(&mut self, node: NodeId, msg: &mut Message) {
        if msg.id == MessageId::UNASSIGNED {
            self.counters.message += 1;
            msg.id = MessageId(self.counters.message);
            self.ledger.created(msg.id, node);
        }
    }

    /// Creates the receiver's next workload message and schedules the one after
    /// it; the message is for the receiver to take (none if it has no workload).
    fn inject(&mut self, node: NodeId, due: VirtualTime) -> Option<Queued> {
        self.counters.message += 1;
        let id = MessageId(self.counters.message);
        let state = &mut self.nodes[node.index()];
        let source = state.source.as_mut()?;
        let msg = source.emit(id, self.now, &mut self.rng);
        let next = source.next_arrival();
        state.reserved += 1;
        self.ledger.injected(id, node);
        let waited_ns = self.now.since(due).0;
        let cause = self.trace(id, msg.trace_id, None, || EventKind::Inject {
            node,
            name: msg.name,
            size_bytes: msg.size_bytes,
            checksum: msg.body.checksum(),
            body: &msg.body,
            waited_ns,
        });
        match next {
            Some(at) => self.schedule(at, Event::Inject(node)),
            None => self.active_sources -= 1,
        }
        Some(Queued { port: InPort::INJECT, msg, cause })
    }

    /// Sends `msg` from `node` on `port`: straight into the connector if the
    /// destination has room and nobody is waiting there, else parked.
    /// `transit`, when given, replaces the connector's latency.
    fn send(&mut self, node: NodeId, port: OutPort, mut msg: Message, cause: Option<u64>, transit: Option<Nanos>) {
        let Some(&connector) = self.topology.wiring[node.index()].get(port.0 as usize) else {
            return self.refuse_unroutable(node, &format!("#{}", port.0), msg, cause);
        };
        self.number(node, &mut msg);
        let (dest, dest_port) = self.topology.connectors[connector].to;
        let target = &mut self.nodes[dest.index()];
        if target.reserved < target.capacity && target.waiting.is_empty() {
            self.admit(node, connector, msg, cause, Nanos::ZERO, transit);
            return;
        }
        let (id, trace_id) = (msg.id, msg.trace_id);
        target.waiting.push_back(Parked { from: node, connector, msg, since: self.now, cause, transit });
        self.nodes[node.index()].parked += 1;
        self.edges[connector].blocked += 1;
        self.pending += 1;
        self.trace(id, trace_id, cause, || EventKind::Blocked { from: (node, port), to: (dest, dest_port) });
    }

    /// Puts a message on its connector (where edge faults may lose, delay
    /// or duplicate it).
    fn admit(
        &mut self,
        from: NodeId,
        connector: usize,
        msg: Message,
        cause: Option<u64>,
        waited: Nanos,
        transit: Option<Nanos>,
    ) {
        let latency = match transit {
            Some(transit) => transit,
            None => self.topology.connectors[connector].latency.sample(&mut self.rng),
        };
        if self.faults.any() {
            return self.admit_faulty(from, connector, msg, cause, waited, latency);
        }
        let cause = self.put_on_edge(from, connector, &msg, cause, waited);
        let (dest, port) = self.topology.connectors[connector].to;
        self.schedule(self.now.after(latency), Event::Arrive { node: dest, port, msg, cause });
    }

    /// Counts a send on `connector`, reserves room for it at the
    /// destination and traces it; returns the send event.
    fn put_on_edge(
        &mut self,
        from: NodeId,
        connector: usize,
        msg: &Message,
        cause: Option<u64>,
        waited: Nanos,
    ) -> Option<u64> {
        let link = &self.topology.connectors[connector];
        let (dest, port) = link.to;
        let from_port = link.from.1;
        let target = &mut self.nodes[dest.index()];
        target.reserved += 1;
        target.stats.max_queue = target.stats.max_queue.max(target.reserved);
        let queue_depth = target.reserved;
        let edge = &mut self.edges[connector];
        edge.messages += 1;
        edge.bytes += u64::from(msg.size_bytes);
        self.trace(msg.id, msg.trace_id, cause, || EventKind::Send {
            from: (from, from_port),
            to: (dest, port),
            name: msg.name,
            size_bytes: msg.size_bytes,
            checksum: msg.body.checksum(),
            body: &msg.body,
            protocol: msg.protocol,
            message_kind: msg.kind,
            correlation: msg.correlation,
            queue_depth,
            waited_ns: waited.0,
        })
    }

    /// [`Core::admit`] on a run with faults: the send is traced as made,
    /// then each fault that strikes it is traced (at the sender) and applied.
    fn admit_faulty(
        &mut self,
        from: NodeId,
        connector: usize,
        msg: Message,
        cause: Option<u64>,
        waited: Nanos,
        latency: Nanos,
    ) {
        let verdict = self.faults.on_send(connector, self.now);
        let sent = self.put_on_edge(from, connector, &msg, cause, waited);
        let (dest, port) = self.topology.connectors[connector].to;
        let fault_event = |core: &mut Self, index: usize, msg: &Message| {
            core.faults.tally(index, 1);
            let reason: Arc<str> = Arc::from(core.faults.fault(index).kind.label());
            let event = core.trace(msg.id, msg.trace_id, sent, || EventKind::Fault { node: from, reason: &reason });
            (event, reason)
        };
        if let Some(index) = verdict.lost_to {
            self.nodes[dest.index()].reserved -= 1;
            let (event, reason) = fault_event(self, index, &msg);
            return self.finish(from, msg, Outcome::Lost(reason), event);
        }
        for &index in &verdict.delayed_by {
            fault_event(self, index, &msg);
        }
        let arrival = self.now.after(latency).after(verdict.extra);
        if let Some(index) = verdict.duplicated_by {
            let (event, _) = fault_event(self, index, &msg);
            let mut copy = msg.fresh_copy();
            self.number(from, &mut copy);
            let copy_sent = self.put_on_edge(from, connector, &copy, event, waited);
            self.schedule_fault(arrival, Event::Arrive { node: dest, port, msg: copy, cause: copy_sent });
        }
        self.schedule(arrival, Event::Arrive { node: dest, port, msg, cause: sent });
    }

    /// Room freed at `node`: admit parked sends, oldest first, and wake
    /// senders whose last parked send went through.
    #[inline]
    fn admit_waiting(&mut self, node: NodeId) {
        // Most often nobody is waiting.
        if !self.nodes[node.index()].waiting.is_empty() {
            self.admit_parked(node);
        }
    }

    /// [`Core::admit_waiting`] when sends are parked at `node`.
    fn admit_parked(&mut self, node: NodeId) {
        loop {
            let state = &mut self.nodes[node.index()];
            if state.reserved >= state.capacity {
                return;
            }
            let Some(parked) = state.waiting.pop_front() else { return };
            self.pending -= 1;
            let waited = self.now.since(parked.since);
            let sender = &mut self.nodes[parked.from.index()];
            sender.parked -= 1;
            sender.stats.blocked_ns += waited.0;
            let unblocked = sender.parked == 0;
            self.admit(parked.from, parked.connector, parked.msg, parked.cause, waited, parked.transit);
            if unblocked {
                self.schedule(self.now, Event::Wake(parked.from));
            }
        }
    }

    /// Ends a message's life.
    fn finish(&mut self, node: NodeId, msg: Message, outcome: Outcome, cause: Option<u64>) {
        let name = &self.topology.nodes[node.index()].name;
        if !self.ledger.finish(msg.id, &outcome, name) {
            return;
        }
        if outcome == Outcome::Exported && !msg.headers.is_empty() {
            if let Some(deadline) = deadline_of(&msg).filter(|&d| self.clock(node).0 > d) {
                self.ledger.exported_late(LateExport { message: msg.id.0, deadline_ns: deadline, at_ns: self.now.0 });
            }
        }
        self.trace(msg.id, msg.trace_id, cause, || match &outcome {
            Outcome::Exported => EventKind::Export { node },
            Outcome::Consumed => EventKind::Consume { node },
            Outcome::Dropped(reason) => EventKind::Drop { node, reason },
            Outcome::Nacked(why) => EventKind::Reject { node, reason: &why.reason, permanent: why.permanent },
            Outcome::Discarded(reason) => EventKind::Discard { node, reason },
            Outcome::Lost(reason) => EventKind::Lose { node, reason },
            Outcome::Batched => EventKind::Batch { node },
        });
    }

    /// Where each live message is, for the summary.
    fn locate_in_flight(&self) -> Vec<InFlight> {
        let topo = &self.topology;
        let mut places: rustc_hash::FxHashMap<MessageId, String> = Default::default();
        for event in self.queue.pending() {
            if let Event::Arrive { node, port, msg, .. } = event {
                places.insert(msg.id, format!("in transit to {}", topo.input_name(*node, *port)));
            }
        }
        for (index, state) in self.nodes.iter().enumerate() {
            let name = &topo.nodes[index].name;
            for queued in &state.mailbox {
                places.insert(queued.msg.id, format!("queued at {name}"));
            }
            for parked in &state.waiting {
                places.insert(parked.msg.id, format!("blocked at {}", topo.edge_name(parked.connector)));
            }
        }
        self.ledger
            .live()
            .into_iter()
            .take(RunSummary::IN_FLIGHT_LISTED)
            .map(|(id, holder)| InFlight {
                message: id.0,
                location: places.remove(&id).unwrap_or_else(|| format!("held by {}", topo.nodes[holder.index()].name)),
            })
            .collect()
    }

    fn summary(self, stopped_by: StopReason) -> RunSummary {
        let ledger = &self.ledger;
        let terminal = [
            ("exported", ledger.exported),
            ("dropped", ledger.dropped),
            ("nacked", ledger.nacked),
            ("consumed", ledger.consumed),
            ("discarded", ledger.discarded),
            ("lost", ledger.lost),
            ("batched", ledger.batched),
            ("in_flight", ledger.live_count()),
        ]
        .into_iter()
        .collect();
        RunSummary {
            seed: self.config.seed,
            tie_break: self.config.tie_break,
            injected: ledger.injected,
            created: ledger.created,
            delivered: self.delivered,
            terminal,
            reasons: ledger.reasons.clone(),
            in_flight: self.locate_in_flight(),
            edges: self.edges.clone(),
            nodes: self.nodes.iter().map(|n| n.stats.clone()).collect(),
            events: self.events,
            end_time_ns: self.now.as_nanos(),
            stopped_by,
            faults: self.faults.summary(),
            late_exports: ledger.late_exports.clone(),
            violations: ledger.violations.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    /// What moves on every hop (a message, the effect that sends it, the
    /// event that delivers it, its mailbox entry) stays at most 128 bytes:
    /// the compiler moves that much inline, and calls `memcpy` above it.
    #[test]
    fn what_moves_each_hop_fits_in_128_bytes() {
        use std::mem::size_of;
        assert!(size_of::<crate::model::Message>() <= 104, "{}", size_of::<crate::model::Message>());
        for (what, size) in [
            ("Effect", size_of::<crate::net::Effect>()),
            ("Event", size_of::<super::Event>()),
            ("Queued", size_of::<super::Queued>()),
        ] {
            assert!(size <= 128, "{what} is {size} bytes");
        }
    }
}
