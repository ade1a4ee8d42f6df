//! Replaying an elfo dump in the simulator, with a regression verdict per
//! group.
//!
//! Each place in the dump (a group, or each key of a keyed group, as elfo
//! runs one actor per key) becomes a node. By default the node is a stub:
//! when it receives a recorded message it sends what the place sent in
//! answer, after the recorded delay from its receipt, and each copy arrives
//! after its recorded transit (`In` ts − `Out` ts), so every message moves
//! at its recorded time. Inputs nobody in the dump sent (timer ticks,
//! outside traffic, responses from services outside the dump) are injected
//! at their recorded times, keeping their trace ids. Bind a group to a
//! built-in node kind or to your own actor to check that your code still
//! sends what production sent; [`Replay::ignore`] says which body fields
//! the verdict may ignore.
//!
//! ```
//! use flowreplay::replay::Replay;
//!
//! let replay = Replay::open(&["scenarios/dumps/trading.dump".into()], false)?;
//! let outcome = replay.run(7)?;
//! assert!(outcome.verdict.equal, "{:#?}", outcome.verdict);
//! # Ok::<(), flowreplay::replay::ReplayError>(())
//! ```

mod capture;
mod plan;
mod recording;
mod runs;
mod stub;
mod verdict;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;

use compact_str::CompactString;

use crate::compare::{BodyRules, IgnoreRule};
use crate::dump::{DumpError, DumpReader, DumpRecord, ReadMode};
use crate::model::{InPort, Nanos, OutPort};
use crate::net::{ConnectorSpec, Network, NetworkSpec, NodeBuild, NodeSpec, Registry, Role, Topology, TopologyError};
use crate::sim::{RunConfig, RunSummary, SimError, Simulation};
use crate::trace::{Recorder, Tee};

pub use crate::compare::{changed_fields, ChangedField};
pub use crate::dump::ClockSkew;
use capture::{Capture, RecaptureSink};
use plan::{Plan, OUTSIDE};
use recording::Recording;
use runs::Cursors;
use stub::{Inlet, Recorded, Stub};
pub use verdict::{Difference, GroupVerdict, SentMessage, Status, Verdict};

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A dump could not be read.
    #[error(transparent)]
    Dump(#[from] DumpError),
    /// A binding or an ignore rule names a group the dump does not have.
    #[error("no group {group:?} in the dump (groups: {known})")]
    UnknownGroup {
        /// The group asked for.
        group: String,
        /// The groups there are.
        known: String,
    },
    /// The replay network could not be built (usually a bound node whose
    /// ports do not fit the group's).
    #[error("cannot build the replay network: {0}")]
    Topology(Box<TopologyError>),
    /// A bound node's ports cannot be wired to the group's connections.
    #[error("group {group:?}: {message}")]
    Binding {
        /// The group.
        group: String,
        /// What does not fit.
        message: String,
    },
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The observer's output could not be created.
    #[error("cannot create the trace output: {0}")]
    Output(std::io::Error),
}

impl From<TopologyError> for ReplayError {
    fn from(error: TopologyError) -> Self {
        ReplayError::Topology(Box::new(error))
    }
}

/// Builds the node that stands in for a place, given its ports.
type Binding = Rc<dyn Fn(&PlacePorts) -> Result<NodeBuild, String>>;

/// Per (trace id, name), each recorded send's output ports, in order.
type RecordedRoutes = BTreeMap<(u64, String), Vec<Vec<String>>>;

/// What a bound place's node is built from: the place, its port names, and
/// where each of its sends went when it was recorded, so that code that
/// sends to no port in particular (an elfo group routes by type) can send
/// where production did.
#[derive(Debug, Clone)]
pub struct PlacePorts {
    /// The place: `group`, or `group/key`.
    pub place: String,
    /// Its group, as recorded.
    pub group: String,
    /// Its key, as recorded (`"_"` or none for a group's only actor).
    pub key: Option<String>,
    /// Input port names: one per sending place, and `(external)`.
    pub inputs: Vec<String>,
    /// Output port names: one per receiving place, and `(outside)`.
    pub outputs: Vec<String>,
    /// The recording's first `ts`: virtual time 0 (so virtual time `t` is
    /// the recorded `ts` `first_ts + t`).
    pub first_ts: u64,
    /// Per (trace id, name): for each recorded send, in order, the ports its
    /// copies went out on.
    by_send: Rc<RecordedRoutes>,
    /// Per name: the ports its first recorded send went out on.
    by_name: Rc<BTreeMap<String, Vec<String>>>,
}

impl PlacePorts {
    /// The output ports the `nth` (from 0) send of `name` in trace
    /// `trace_id` goes out on: those of the `nth` recorded send with that
    /// trace id and name (the last one's when there were fewer); else those
    /// the first recorded send of that name took (a trace the code started
    /// itself, a timer tick); else `(outside)`.
    pub fn ports_for(&self, trace_id: u64, name: &str, nth: usize) -> Vec<&str> {
        let sends = self.by_send.get(&(trace_id, name.to_string()));
        let found = sends.and_then(|s| s.get(nth).or_else(|| s.last())).or_else(|| self.by_name.get(name));
        match found {
            Some(ports) => ports.iter().map(String::as_str).collect(),
            None => vec![OUTSIDE],
        }
    }
}

/// A dump ready to replay, with any groups bound to other code.
pub struct Replay {
    plan: Rc<Plan>,
    /// By place.
    bindings: BTreeMap<CompactString, Binding>,
    rules: Rc<BodyRules>,
    recapture: bool,
    grace: Nanos,
}

/// What a replay did, and the verdict.
#[derive(Debug)]
pub struct ReplayOutcome {
    /// The simulator's run summary.
    pub summary: RunSummary,
    /// Per-group comparison with the recording.
    pub verdict: Verdict,
    /// With [`Replay::recapture`] on, the re-captured messages as elfo dump
    /// records (`ts` = first recorded `ts` + virtual time), in the order they
    /// happened; empty otherwise.
    pub recaptured: Vec<DumpRecord>,
}

impl ReplayOutcome {
    /// Panics with a readable account of what went differently unless
    /// `group` (every key of it, or one place `group/key`) sent exactly what
    /// it sent when recorded.
    pub fn assert_group_matches(&self, group: &str) {
        let places: Vec<(&String, &GroupVerdict)> =
            self.verdict.groups.iter().filter(|(place, _)| in_group(place, group)).collect();
        if places.is_empty() {
            panic!("no group {group:?} in the replay");
        }
        for (place, verdict) in places {
            if verdict.status != Status::Equal {
                panic!("{place:?} did not send what it sent when recorded\n{}", describe(verdict));
            }
        }
    }
}

/// A verdict as readable lines: counts, then the first difference, missing
/// and extra send.
pub fn describe(verdict: &GroupVerdict) -> String {
    let mut report = format!(
        "{:?}: expected {}, actual {}, changed {}, missing {}, extra {}",
        verdict.status, verdict.expected, verdict.actual, verdict.changed, verdict.missing, verdict.extra
    );
    for (rule, count) in &verdict.relaxed {
        report += &format!(", relaxed by {rule} {count}");
    }
    if verdict.paired_by_order > 0 {
        report += &format!(", {} paired by name and order (traces the code started)", verdict.paired_by_order);
    }
    if let Some(d) = &verdict.first_difference {
        report += &format!("\nfirst difference: {} in trace {}", d.expected.name, d.expected.trace_id);
        report += &format!("\n  expected body {}\n  actual body   {}", d.expected.body, d.actual.body);
        for field in &d.changed {
            report += &format!(
                "\n  {}: {} -> {}",
                if field.path.is_empty() { "(body)" } else { &field.path },
                field.expected,
                field.actual
            );
        }
    }
    if let Some(m) = &verdict.first_missing {
        report += &format!(
            "\nfirst missing: {} to {} in trace {} (recorded at ts {})",
            m.name,
            m.to.join(", "),
            m.trace_id,
            m.ts
        );
    }
    if let Some(x) = &verdict.first_extra {
        report +=
            &format!("\nfirst extra: {} to {} in trace {} with body {}", x.name, x.to.join(", "), x.trace_id, x.body);
    }
    report
}

/// A port name for a place: dots would confuse `node.port` endpoints.
fn port_for(place: &str) -> String {
    place.replace('.', "/")
}

/// The output port of a bound node that serves `destination`: the one named
/// after it, or the node's only output when the place sends to one place only.
fn output_for(outputs: &[String], destinations: &BTreeSet<CompactString>, destination: &str) -> Option<String> {
    let named = port_for(destination);
    match outputs {
        _ if outputs.contains(&named) => Some(named),
        [only] if destinations.len() == 1 => Some(only.clone()),
        _ => None,
    }
}

/// Whether `place` (a group, or `group/key`) is `group` or one of its keys.
fn in_group(place: &str, group: &str) -> bool {
    place == group || place.strip_prefix(group).is_some_and(|rest| rest.starts_with('/'))
}

/// The input port of outside inputs, and of sends with no recorded cause;
/// the parentheses keep them apart from any group's port.
const EXTERNAL_PORT: &str = "(external)";
const EMIT_PORT: &str = "(emit)";

/// How long after the recording's last line a replay with bound code runs,
/// unless told otherwise ([`Replay::grace`]).
const BOUND_GRACE: Nanos = Nanos(10_000_000);

/// The node kind of the inlets that hand a stub its uncaused sends.
pub(super) const EMIT_KIND_PREFIX: &str = "replay-emit:";

impl Replay {
    /// Reads dumps (strict, or skipping bad lines when `lenient`) and plans
    /// the replay; `system.*` groups are left out.
    pub fn open(paths: &[PathBuf], lenient: bool) -> Result<Replay, ReplayError> {
        let records = DumpReader::open(paths, ReadMode::lenient_if(lenient));
        Ok(Replay::from_recording(Recording::from_records(records)?))
    }

    /// Adds rules for what the verdict may ignore in bodies (see
    /// [`IgnoreRule`]); a rule limited to a group the dump lacks is an error.
    ///
    /// ```
    /// use flowreplay::compare::BodyRules;
    /// use flowreplay::replay::Replay;
    ///
    /// let mut replay = Replay::open(&["scenarios/dumps/trading.dump".into()], false)?;
    /// replay.ignore(BodyRules::parse(&["pricing:Quote/px"]).unwrap())?;
    /// assert!(replay.ignore(BodyRules::parse(&["pricer:/px"]).unwrap()).is_err());
    /// # Ok::<(), flowreplay::replay::ReplayError>(())
    /// ```
    pub fn ignore(&mut self, rules: BodyRules) -> Result<&mut Self, ReplayError> {
        for group in rules.groups() {
            self.check_group(group)?;
        }
        let mut all = (*self.rules).clone();
        all.ignore.extend(rules.ignore);
        self.rules = Rc::new(all);
        Ok(self)
    }

    /// The ignore rules in force.
    pub fn rules(&self) -> &[IgnoreRule] {
        &self.rules.ignore
    }

    /// Plans the replay of records in any order; `system.*` groups are left out.
    pub fn from_records(records: Vec<DumpRecord>) -> Replay {
        let recording = Recording::from_records(records.into_iter().map(Ok::<_, std::convert::Infallible>));
        let Ok(recording) = recording;
        Replay::from_recording(recording)
    }

    fn from_recording(recording: Recording) -> Replay {
        Replay {
            plan: Rc::new(Plan::new(recording)),
            bindings: BTreeMap::new(),
            rules: Rc::new(BodyRules::default()),
            recapture: false,
            grace: BOUND_GRACE,
        }
    }

    /// Whether runs re-capture what moved as dump records into
    /// [`ReplayOutcome::recaptured`] (off by default: it holds a copy of the
    /// whole traffic; [`Replay::run_recapturing`] hands each record on
    /// instead).
    pub fn recapture(&mut self, on: bool) -> &mut Self {
        self.recapture = on;
        self
    }

    /// How long after the recording's last line a replay with bound code
    /// runs (10 ms by default). Bound code may never go quiet (a timer), so
    /// the replay must end somewhere: late enough for the bound code's last
    /// sends, which run on its own timing, and early enough not to count
    /// ticks the recording never had.
    pub fn grace(&mut self, grace: Nanos) -> &mut Self {
        self.grace = grace;
        self
    }

    /// The groups in the dump, in name order.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        // Places sort by their own names (`a/k` after `a.b`), not by group.
        let groups: BTreeSet<&str> = self.plan.places.values().map(|p| p.group.as_str()).collect();
        groups.into_iter()
    }

    /// The places in the dump, in name order: each group, or `group/key`
    /// for each actor of a keyed group.
    pub fn places(&self) -> impl Iterator<Item = &str> {
        self.plan.places.keys().map(|p| p.as_str())
    }

    /// A place's input ports (one per sending place, named after it with `/`
    /// for `.`, plus `(external)` for inputs from outside the dump) and output
    /// ports (one per receiving place, plus `(outside)` for sends nobody in
    /// the dump received), as a bound node must name them.
    pub fn ports(&self, place: &str) -> Option<(Vec<String>, Vec<String>)> {
        let plan = self.plan.places.get(place)?;
        let mut inputs: Vec<String> = plan.sources.iter().map(|g| port_for(g)).collect();
        if !plan.external.is_empty() {
            inputs.push(EXTERNAL_PORT.into());
        }
        let outputs = plan.destinations.iter().map(|g| port_for(g)).collect();
        Some((inputs, outputs))
    }

    /// The places of `group` (or the place itself, given `group/key`).
    fn places_of(&self, group: &str) -> Result<Vec<CompactString>, ReplayError> {
        let places: Vec<CompactString> = self.plan.places.keys().filter(|p| in_group(p, group)).cloned().collect();
        if places.is_empty() {
            let known = self.groups().collect::<Vec<_>>().join(", ");
            return Err(ReplayError::UnknownGroup { group: group.to_string(), known });
        }
        Ok(places)
    }

    fn check_group(&self, group: &str) -> Result<(), ReplayError> {
        self.places_of(group).map(|_| ())
    }

    /// Replaces a group's stubs with the nodes `build` makes from each
    /// place's input and output port names (see [`Replay::ports`]): one node
    /// per key of a keyed group, as elfo runs one actor per key, or just
    /// the place named `group/key`. A bound place's sends with no recorded
    /// cause are no longer injected: its code makes them.
    ///
    /// ```
    /// use flowreplay::replay::Replay;
    /// use flowreplay::{Actor, Body, Context, InPort, Message, NodeBuild};
    ///
    /// /// Publishes a quote per tick, rising by one each time.
    /// struct Pricing(f64);
    /// impl Actor for Pricing {
    ///     fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, tick: Message) {
    ///         let quote = ctx.derive("Quote", Body::new(serde_json::json!({"sym": "ACME", "px": self.0})), 32);
    ///         self.0 += 1.0;
    ///         ctx.send("gateway", quote);
    ///         ctx.consume(tick);
    ///     }
    /// }
    ///
    /// let mut replay = Replay::open(&["scenarios/dumps/trading.dump".into()], false)?;
    /// replay.bind("pricing", |inputs, outputs| {
    ///     NodeBuild::processor(Pricing(101.5), inputs, outputs)
    /// })?;
    /// replay.run(7)?.assert_group_matches("pricing");
    /// # Ok::<(), flowreplay::replay::ReplayError>(())
    /// ```
    pub fn bind(
        &mut self,
        group: &str,
        build: impl Fn(&[String], &[String]) -> NodeBuild + 'static,
    ) -> Result<&mut Self, ReplayError> {
        self.bind_place(group, move |ports| build(&ports.inputs, &ports.outputs))
    }

    /// Like [`Replay::bind`], with everything known about each place: its
    /// name and key, and where each recorded send went
    /// ([`PlacePorts::ports_for`]). Long-lived services that route by
    /// message type (an elfo actor group) are bound this way.
    pub fn bind_place(
        &mut self,
        group: &str,
        build: impl Fn(&PlacePorts) -> NodeBuild + 'static,
    ) -> Result<&mut Self, ReplayError> {
        let build: Binding = Rc::new(move |ports: &PlacePorts| Ok(build(ports)));
        for place in self.places_of(group)? {
            self.bindings.insert(place, build.clone());
        }
        Ok(self)
    }

    /// The ports of `place` as a binding sees them.
    fn place_ports(&self, place: &CompactString, inputs: Vec<String>, outputs: Vec<String>) -> PlacePorts {
        let plan = &self.plan.places[place];
        let mut by_send = RecordedRoutes::new();
        let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for sent in &plan.expected {
            let ports: Vec<String> = self.plan.receivers(sent).map(|r| port_for(r)).collect();
            let line = self.plan.sent(sent);
            let name = self.plan.recording.name(line).to_string();
            by_name.entry(name.clone()).or_insert_with(|| ports.clone());
            by_send.entry((line.trace_id, name)).or_default().push(ports);
        }
        PlacePorts {
            place: place.to_string(),
            group: plan.group.to_string(),
            key: plan.key.as_ref().map(|k| k.to_string()),
            inputs,
            outputs,
            first_ts: self.plan.first_ts,
            by_send: Rc::new(by_send),
            by_name: Rc::new(by_name),
        }
    }

    /// Binds a group (each of its keys) to a node kind of `registry` with no
    /// configuration: a built-in one, or one of your own. The kind's single
    /// input takes everything the group received, and a single output
    /// serves a group that sends to one place only; otherwise the kind's
    /// outputs must be named after the places the group sends to.
    ///
    /// ```
    /// use flowreplay::replay::{Replay, Status};
    /// use flowreplay::Registry;
    ///
    /// let mut replay = Replay::open(&["scenarios/dumps/trading.dump".into()], false)?;
    /// replay.bind_kind("audit", "exporter", &Registry::builtin())?;
    /// assert_eq!(replay.run(0)?.verdict.groups["audit"].status, Status::Equal);
    /// # Ok::<(), flowreplay::replay::ReplayError>(())
    /// ```
    pub fn bind_kind(&mut self, group: &str, kind: &str, registry: &Registry) -> Result<&mut Self, ReplayError> {
        let places = self.places_of(group)?;
        let fail = |message: String| ReplayError::Binding { group: group.into(), message };
        let factory = registry.factory(kind).cloned().ok_or_else(|| {
            fail(format!(
                "unknown node kind {kind:?} (registered kinds: {})",
                registry.kinds().collect::<Vec<_>>().join(", ")
            ))
        })?;
        let probe = factory(&serde_json::Value::Null).map_err(|m| fail(format!("kind {kind:?}: {m}")))?;
        if probe.inputs.len() != 1 {
            return Err(fail(format!(
                "kind {kind:?} has {} inputs; a bound kind needs exactly one",
                probe.inputs.len()
            )));
        }
        for place in &places {
            let (_, outputs) = self.ports(place).unwrap_or_default();
            let single = probe.outputs.len() == 1 && outputs.len() == 1;
            if !single && !probe.outputs.iter().all(|o| outputs.contains(o)) {
                return Err(fail(format!(
                    "kind {kind:?} has outputs [{}], which cannot stand for {place}'s [{}]",
                    probe.outputs.join(", "),
                    outputs.join(", ")
                )));
            }
        }
        // The kind keeps its output names (its code may send by name); a
        // single output is wired to the place's single destination.
        let build: Binding = Rc::new(move |ports: &PlacePorts| {
            let mut build = factory(&serde_json::Value::Null)?;
            build.inputs = ports.inputs.clone();
            Ok(build)
        });
        for place in places {
            self.bindings.insert(place, build.clone());
        }
        Ok(self)
    }

    /// Runs the replay with `seed` and judges every group.
    pub fn run(&self, seed: u64) -> Result<ReplayOutcome, ReplayError> {
        let network = self.network()?;
        self.execute_collecting(network, seed, None)
    }

    /// Runs the replay like [`Replay::run`], handing each re-captured dump
    /// record to `each` as it happens (in the order of
    /// [`ReplayOutcome::recaptured`], which stays empty), so that a long
    /// replay written to a file holds none of them.
    ///
    /// ```
    /// use flowreplay::replay::Replay;
    ///
    /// let mut replay = Replay::open(&["scenarios/dumps/trading.dump".into()], false)?;
    /// let mut streamed = Vec::new();
    /// let outcome = replay.run_recapturing(7, &mut |record| streamed.push(record))?;
    /// assert!(outcome.verdict.equal && outcome.recaptured.is_empty());
    /// assert_eq!(streamed, replay.recapture(true).run(7)?.recaptured);
    /// # Ok::<(), flowreplay::replay::ReplayError>(())
    /// ```
    pub fn run_recapturing(&self, seed: u64, each: &mut dyn FnMut(DumpRecord)) -> Result<ReplayOutcome, ReplayError> {
        let network = self.network()?;
        self.execute(network, seed, None, Some(each))
    }

    /// Runs the replay like [`Replay::run`], also handing every trace event
    /// to the recorder `observe` makes for the replay network (an export,
    /// metrics), and returns that recorder.
    pub fn run_observed<R: Recorder>(
        &self,
        seed: u64,
        observe: impl FnOnce(&Topology) -> std::io::Result<R>,
    ) -> Result<(ReplayOutcome, R), ReplayError> {
        let network = self.network()?;
        let mut observer = observe(&network.topology).map_err(ReplayError::Output)?;
        let outcome = self.execute_collecting(network, seed, Some(&mut observer))?;
        Ok((outcome, observer))
    }

    fn network(&self) -> Result<Network, ReplayError> {
        let (spec, registry) = self.network_spec();
        Ok(spec.build(&registry)?)
    }

    /// Runs, re-capturing into the outcome when [`Replay::recapture`] is on.
    fn execute_collecting(
        &self,
        network: Network,
        seed: u64,
        observer: Option<&mut dyn Recorder>,
    ) -> Result<ReplayOutcome, ReplayError> {
        if !self.recapture {
            return self.execute(network, seed, observer, None);
        }
        let mut recaptured = Vec::new();
        let outcome = self.execute(network, seed, observer, Some(&mut |record| recaptured.push(record)))?;
        Ok(ReplayOutcome { recaptured, ..outcome })
    }

    fn execute(
        &self,
        network: Network,
        seed: u64,
        observer: Option<&mut dyn Recorder>,
        sink: Option<RecaptureSink<'_>>,
    ) -> Result<ReplayOutcome, ReplayError> {
        let mut capture = Capture::new(self.plan.clone(), self.rules.clone(), &network.topology, sink);
        // Bound code may run for ever (a service's timers): the replay then
        // ends a little after the recording did.
        let max_time = (!self.bindings.is_empty()).then(|| Nanos(self.plan.span.0 + self.grace.0));
        let simulation = Simulation::new(network, RunConfig { seed, max_time, ..RunConfig::default() });
        let summary = match observer {
            Some(observer) => simulation.run(Some(&mut Tee(observer, &mut capture)))?,
            None => simulation.run(Some(&mut capture))?,
        };
        let verdict = capture.finish();
        Ok(ReplayOutcome { summary, verdict, recaptured: Vec::new() })
    }

    /// The replay network: a node per place, an `external:` inlet per place
    /// with inputs from outside the dump, an `emit:` inlet per stub with
    /// sends of no recorded cause, and an exporter for sends nobody received.
    fn network_spec(&self) -> (NetworkSpec, Registry) {
        let mut spec = NetworkSpec { cycles_allowed: true, ..NetworkSpec::default() };
        let mut registry = Registry::builtin();
        let node = |spec: &mut NetworkSpec, id: String, kind: String| {
            spec.nodes.push(NodeSpec {
                id,
                kind,
                config: serde_json::Value::Null,
                mailbox: u32::MAX,
                service_time: Default::default(),
            });
        };
        let wire = |spec: &mut NetworkSpec, from: String, to: String| {
            spec.connectors.push(ConnectorSpec { from, to, latency: Default::default() });
        };
        // Each bound place's ports as recorded, built once.
        let recorded_ports: BTreeMap<&CompactString, PlacePorts> = self
            .bindings
            .keys()
            .map(|place| {
                let (inputs, outputs) = self.ports(place).unwrap_or_default();
                (place, self.place_ports(place, inputs, outputs))
            })
            .collect();
        // A bound node may drop outputs (an exporter has none): its
        // receivers then have no input from it.
        let outputs_of: BTreeMap<&CompactString, Vec<String>> = self
            .plan
            .places
            .keys()
            .map(|group| {
                let outputs = match (self.bindings.get(group), recorded_ports.get(group)) {
                    (Some(build), Some(ports)) => build(ports).map(|b| b.outputs).unwrap_or_default(),
                    _ => self.ports(group).unwrap_or_default().1,
                };
                (group, outputs)
            })
            .collect();
        let mut needs_outside = false;
        for (group, plan) in &self.plan.places {
            let bound = self.bindings.get(group).cloned();
            let (mut inputs, _) = self.ports(group).unwrap_or_default();
            inputs.retain(|input| {
                plan.sources.iter().all(|s| port_for(s) != *input)
                    || plan.sources.iter().any(|s| {
                        port_for(s) == *input
                            && output_for(&outputs_of[s], &self.plan.places[s].destinations, group).is_some()
                    })
            });
            let outputs = outputs_of[group].clone();
            // A bound place's code makes its uncaused sends itself.
            let uncaused: &[u32] = if bound.is_some() { &[] } else { &plan.uncaused };
            let inlets = [("external", EXTERNAL_PORT, &plan.external[..]), ("emit", EMIT_PORT, uncaused)];
            for (kind, port, lines) in inlets {
                if lines.is_empty() {
                    continue;
                }
                if port == EMIT_PORT {
                    inputs.push(EMIT_PORT.into());
                }
                let (id, inlet_kind) = (format!("{kind}:{group}"), format!("replay-{kind}:{group}"));
                let queue = RefCell::new(Some(lines.iter().copied().collect()));
                let shared = self.plan.clone();
                registry.register(&inlet_kind, move |_| {
                    let mut build = NodeBuild::processor::<&str, &str>(Inlet, &[], &["out"]);
                    build.role = Role::Receiver;
                    let lines = queue.borrow_mut().take().unwrap_or_default();
                    build.arrivals = Some(Box::new(Recorded { plan: shared.clone(), lines }));
                    Ok(build)
                });
                node(&mut spec, id.clone(), inlet_kind);
                wire(&mut spec, format!("{id}.out"), format!("{group}.{port}"));
            }
            for destination in &plan.destinations {
                let Some(from) = output_for(&outputs, &plan.destinations, destination) else { continue };
                let to = if destination == OUTSIDE {
                    needs_outside = true;
                    format!("{OUTSIDE}.in")
                } else {
                    format!("{destination}.{}", port_for(group))
                };
                wire(&mut spec, format!("{group}.{from}"), to);
            }
            let kind = format!("replay:{group}");
            let plan = self.plan.clone();
            let group_name = group.clone();
            let ports = recorded_ports.get(group).map(|recorded| PlacePorts {
                inputs: inputs.clone(),
                outputs: outputs.clone(),
                ..recorded.clone()
            });
            registry.register(&kind, move |_| match (&bound, &ports) {
                (Some(build), Some(ports)) => build(ports),
                _ => Ok(stub_node(&plan, &group_name, &inputs, &outputs)),
            });
            node(&mut spec, group.to_string(), kind);
        }
        if needs_outside {
            node(&mut spec, OUTSIDE.into(), "exporter".into());
        }
        (spec, registry)
    }
}

/// The stub for one place, with its port numbers resolved.
fn stub_node(plan: &Rc<Plan>, place: &CompactString, inputs: &[String], outputs: &[String]) -> NodeBuild {
    let place_plan = plan.places[place].clone();
    let recording = &plan.recording;
    let mut ports = Vec::new();
    for destination in &place_plan.destinations {
        let Some(to) = recording.place_id(destination) else { continue };
        if let Some(i) = outputs.iter().position(|o| *o == port_for(destination)) {
            if ports.len() <= to as usize {
                ports.resize(to as usize + 1, None);
            }
            ports[to as usize] = Some(OutPort(i as u16));
        }
    }
    let stub = Stub {
        plan: plan.clone(),
        received: Cursors::new(&place_plan.receptions),
        emitted: Cursors::new(&place_plan.uncaused_sends),
        place: place_plan,
        ports,
        emit_port: inputs.iter().position(|i| i == EMIT_PORT).map(|i| InPort(i as u16)),
        pending: BTreeMap::new(),
        held: BTreeMap::new(),
        next_hold: 0,
    };
    let inputs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let outputs: Vec<&str> = outputs.iter().map(String::as_str).collect();
    NodeBuild::processor(stub, &inputs, &outputs)
}
