//! Scenario files: a network, its workloads and run settings in TOML.
//!
//! Every key is documented in `docs/scenarios.md`. Unknown keys are errors,
//! and every error names the file, line and column it is about.

mod fault;
mod file;
mod write;

#[cfg(feature = "generate")]
pub(crate) use write::{fault_table, seed_value};

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::compare::{BodyRules, IgnoreRule};
use crate::expect::{Expectations, TERMINAL_STATES};
use crate::line_error::LineError;
use crate::net::{normalized_edge, ConnectorSpec, Culprit, Network, NetworkSpec, NodeSpec, Registry};
use crate::sim::{Fault, RunConfig, Simulation, TieBreak};
use crate::trace::{RedactPath, TraceSettings};
use toml::Spanned;

use file::{RawExpect, RawGolden, RawPlan, RawScenario, RawTrace};

/// A bad scenario: the file, the line and column, and what was expected.
pub type ScenarioError = LineError;

/// What a scenario's golden leaves out (its `[golden]` section): things
/// expected to vary that should not fail the golden test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoldenRules {
    /// Event kinds left out (`lifecycle`, `blocked`, …).
    pub ignore_events: BTreeSet<String>,
    /// Fields left out of every line: `size`, `h` (checksum), `q`,
    /// `waited`, `trace`, `body`, `reason`.
    pub ignore_fields: BTreeSet<String>,
    /// Body fields shown as `"<hidden>"` (JSON pointers).
    pub redact: Vec<RedactPath>,
    /// Body fields shown as `"<hidden>"` in what one node sends, or in one
    /// message name: the verdict's ignore rules (`[NODE:][NAME]/pointer`).
    pub ignore: BodyRules,
}

/// The event kinds a trace has, for checking `ignore_events`.
const EVENT_KINDS: [&str; 16] = [
    "inject",
    "send",
    "blocked",
    "deliver",
    "ack",
    "nack",
    "timer",
    "export",
    "drop",
    "reject",
    "consume",
    "discard",
    "lose",
    "batch",
    "fault",
    "lifecycle",
];

/// The fields `ignore_fields` may name.
const GOLDEN_FIELDS: [&str; 7] = ["size", "h", "q", "waited", "trace", "body", "reason"];

/// A parsed scenario: a network declaration plus its run settings.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Its name: the `name` key, or the file name without `.toml`.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// The network.
    pub network: NetworkSpec,
    /// Run settings from `[run]`; the seed is the default seed.
    pub run: RunConfig,
    /// Trace settings from `[trace]`, used when the run writes a trace.
    pub trace: TraceSettings,
    /// What its golden leaves out, from `[golden]`.
    pub golden: GoldenRules,
    /// Faults injected into every run, from `[[fault]]`.
    pub faults: Vec<Fault>,
    /// What every run must do, from `[expect]`.
    pub expect: Expectations,
    fault_spans: Vec<fault::FaultSpans>,
    path: PathBuf,
    text: String,
    node_spans: Vec<Range<usize>>,
    config_spans: Vec<Option<Range<usize>>>,
    connector_spans: Vec<Range<usize>>,
}

impl Scenario {
    /// Reads and parses a scenario file, and checks its network against the
    /// built-in node kinds.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with(path, &Registry::builtin())
    }

    /// Like [`Scenario::load`], checking node kinds against `registry`.
    pub fn load_with(path: &Path, registry: &Registry) -> Result<Scenario, ScenarioError> {
        let text =
            std::fs::read_to_string(path).map_err(|e| LineError::file(path, format!("cannot read scenario: {e}")))?;
        let scenario = Scenario::parse(&text, path)?;
        scenario.simulation(registry, scenario.run)?;
        Ok(scenario)
    }

    /// Parses scenario text; `path` is used for its default name and in errors.
    pub fn parse(text: &str, path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let raw: RawScenario = toml::from_str(text).map_err(|e| toml_error(path, text, &e))?;
        let name = raw.name.unwrap_or_else(|| {
            path.file_stem().map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
        });
        let mut scenario = Scenario {
            name,
            description: raw.description,
            network: NetworkSpec { cycles_allowed: raw.allow_cycles, ..NetworkSpec::default() },
            run: RunConfig {
                seed: raw.run.seed.unwrap_or(0),
                tie_break: raw.run.tie_break.unwrap_or(TieBreak::Random),
                max_time: raw.run.max_time,
                max_events: raw.run.max_events,
            },
            trace: TraceSettings::default(),
            golden: GoldenRules::default(),
            faults: Vec::new(),
            expect: Expectations::default(),
            fault_spans: Vec::new(),
            path: path.to_path_buf(),
            text: text.to_string(),
            node_spans: Vec::new(),
            config_spans: Vec::new(),
            connector_spans: Vec::new(),
        };
        scenario.trace = scenario.trace_settings(raw.trace)?;
        for node in raw.nodes {
            let span = node.span();
            let node = node.into_inner();
            if let Some(mailbox) = node.mailbox.as_ref().filter(|m| *m.get_ref() == 0) {
                return Err(scenario.error_at(mailbox.span(), "mailbox must hold at least 1 message".into()));
            }
            let (config, config_span) = match node.config {
                Some(table) => {
                    let span = table.span();
                    let value = serde_json::to_value(table.into_inner())
                        .map_err(|e| scenario.error_at(span.clone(), e.to_string()))?;
                    (value, Some(span))
                }
                None => (serde_json::Value::Null, None),
            };
            scenario.network.nodes.push(NodeSpec {
                id: node.id,
                kind: node.kind,
                config,
                mailbox: node.mailbox.map_or(NodeSpec::DEFAULT_MAILBOX, |m| m.into_inner()),
                service_time: node.service_time.unwrap_or_default(),
            });
            scenario.node_spans.push(span);
            scenario.config_spans.push(config_span);
        }
        for connector in raw.connectors {
            scenario.connector_spans.push(connector.span());
            let connector = connector.into_inner();
            scenario.network.connectors.push(ConnectorSpec {
                from: connector.from,
                to: connector.to,
                latency: connector.latency.unwrap_or_default(),
            });
        }
        (scenario.faults, scenario.fault_spans) = fault::parse_all(raw.faults, path, text)?;
        // After the nodes and connectors: these name them.
        scenario.golden = scenario.golden_rules(raw.golden)?;
        scenario.expect = scenario.expectations(raw.expect)?;
        Ok(scenario)
    }

    /// This scenario with the faults of a plan file (`[[fault]]` entries and
    /// nothing else) in place of its own, checked against its network built
    /// with `registry`; errors name the plan file's line and column.
    pub fn with_fault_plan(&self, plan: &Path, registry: &Registry) -> Result<Scenario, ScenarioError> {
        let text =
            std::fs::read_to_string(plan).map_err(|e| LineError::file(plan, format!("cannot read fault plan: {e}")))?;
        let raw: RawPlan = toml::from_str(&text).map_err(|e| toml_error(plan, &text, &e))?;
        let (faults, spans) = fault::parse_all(raw.faults, plan, &text)?;
        Simulation::new(self.network(registry)?, self.run)
            .with_faults(faults.clone())
            .map_err(|e| fault::error_at(plan, &text, &spans, &e))?;
        // The spans are in the plan, not in this scenario's text: later
        // errors about these faults name the scenario file alone.
        Ok(Scenario { faults, fault_spans: Vec::new(), ..self.clone() })
    }

    /// The file the scenario came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Builds (and so validates) the network; errors point at the node or
    /// connector declaration they are about.
    pub fn network(&self, registry: &Registry) -> Result<Network, ScenarioError> {
        self.network.build(registry).map_err(|e| {
            let span = match e.culprit() {
                Some(Culprit::Node(i)) if matches!(e, crate::net::TopologyError::BadConfig { .. }) => {
                    self.config_spans[i].clone().or_else(|| self.node_spans.get(i).cloned())
                }
                Some(Culprit::Node(i)) => self.node_spans.get(i).cloned(),
                Some(Culprit::Connector(i)) => self.connector_spans.get(i).cloned(),
                None => None,
            };
            match span {
                Some(span) => self.error_at(span, e.to_string()),
                None => LineError::file(&self.path, e.to_string()),
            }
        })
    }

    /// The one way to run a scenario: its network built with `registry`,
    /// ready to run under `config` (usually `scenario.run`, or
    /// `scenario.run.with_seed(seed)`).
    ///
    /// ```
    /// use flowreplay::{Registry, Scenario};
    ///
    /// let scenario = Scenario::load("scenarios/nack.toml".as_ref())?;
    /// let registry = Registry::builtin();
    /// let summary = scenario.simulation(&registry, scenario.run.with_seed(Some(9)))?.run(None)?;
    /// assert!(summary.conserved() && summary.drained());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn simulation(&self, registry: &Registry, config: RunConfig) -> Result<Simulation, ScenarioError> {
        // Faults set in code (a plan drawn by `explore`) have no position in the file.
        let spans = if self.fault_spans.len() == self.faults.len() { &self.fault_spans[..] } else { &[] };
        Simulation::new(self.network(registry)?, config)
            .with_faults(self.faults.clone())
            .map_err(|e| fault::error_at(&self.path, &self.text, spans, &e))
    }

    /// The `[trace]` section, checked.
    fn trace_settings(&self, raw: RawTrace) -> Result<TraceSettings, ScenarioError> {
        let mut settings = TraceSettings::default();
        if let Some(format) = raw.format {
            settings.format = format.get_ref().parse().map_err(|e| self.error_at(format.span(), e))?;
        }
        settings.capture.enabled = raw.bodies.unwrap_or(false);
        for path in raw.redact {
            settings.capture.redact.push(
                RedactPath::parse(path.get_ref())
                    .map_err(|e| self.error_at(path.span(), format!("redact path {e}")))?,
            );
        }
        if let Some(sample) = raw.sample {
            sample.get_ref().validate().map_err(|e| self.error_at(sample.span(), e))?;
            settings.sampling = Some(sample.into_inner());
        }
        Ok(settings)
    }

    /// The `[golden]` section, checked.
    fn golden_rules(&self, raw: RawGolden) -> Result<GoldenRules, ScenarioError> {
        let mut rules = GoldenRules::default();
        let pick = |value: &Spanned<String>, known: &[&str], what: &str| {
            if known.contains(&value.get_ref().as_str()) {
                Ok(value.get_ref().clone())
            } else {
                Err(self.error_at(
                    value.span(),
                    format!("unknown {what} {:?} (expected one of: {})", value.get_ref(), known.join(", ")),
                ))
            }
        };
        for event in &raw.ignore_events {
            rules.ignore_events.insert(pick(event, &EVENT_KINDS, "event kind")?);
        }
        for field in &raw.ignore_fields {
            rules.ignore_fields.insert(pick(field, &GOLDEN_FIELDS, "golden field")?);
        }
        for path in raw.redact {
            rules.redact.push(
                RedactPath::parse(path.get_ref())
                    .map_err(|e| self.error_at(path.span(), format!("redact path {e}")))?,
            );
        }
        for text in raw.ignore {
            let rule = IgnoreRule::parse(text.get_ref()).map_err(|e| self.error_at(text.span(), e))?;
            if let Some(node) = rule.group.as_deref().filter(|n| !self.network.nodes.iter().any(|s| s.id == *n)) {
                let known: Vec<&str> = self.network.nodes.iter().map(|s| s.id.as_str()).collect();
                let message = format!(
                    "ignore rule names node {node:?}, which the scenario does not have (nodes: {})",
                    known.join(", ")
                );
                return Err(self.error_at(text.span(), message));
            }
            rules.ignore.ignore.push(rule);
        }
        Ok(rules)
    }

    /// The `[expect]` section, checked: bounds name known states and edges.
    fn expectations(&self, raw: RawExpect) -> Result<Expectations, ScenarioError> {
        let defaults = Expectations::default();
        let mut expect = Expectations {
            conserved: raw.conserved.unwrap_or(defaults.conserved),
            drained: raw.drained.unwrap_or(defaults.drained),
            answered_once: raw.answered_once.unwrap_or(defaults.answered_once),
            no_export_after_deadline: raw.no_export_after_deadline.unwrap_or(defaults.no_export_after_deadline),
            latency: raw.latency,
            ..defaults
        };
        for (state, bounds) in raw.terminal {
            if !TERMINAL_STATES.contains(&state.get_ref().as_str()) {
                let message = format!(
                    "[expect] bound on unknown terminal state {:?} (states: {})",
                    state.get_ref(),
                    TERMINAL_STATES.join(", ")
                );
                return Err(self.error_at(state.span(), message));
            }
            expect.terminal.insert(state.into_inner(), bounds);
        }
        let edges: Vec<String> = self.network.connectors.iter().map(ConnectorSpec::label).collect();
        for (edge, bounds) in raw.edges {
            let Some(written) = normalized_edge(edge.get_ref()).filter(|written| edges.contains(written)) else {
                let message =
                    format!("[expect] bound on unknown edge {:?} (edges: {})", edge.get_ref(), edges.join(", "));
                return Err(self.error_at(edge.span(), message));
            };
            expect.edges.insert(written, bounds);
        }
        Ok(expect)
    }

    fn error_at(&self, span: Range<usize>, message: String) -> ScenarioError {
        at_offset(&self.path, &self.text, span.start, message)
    }
}

/// A TOML error in `text`, at its position when it has one.
fn toml_error(path: &Path, text: &str, error: &toml::de::Error) -> LineError {
    match error.span() {
        Some(span) => at_offset(path, text, span.start, error.message().trim_end()),
        None => LineError::file(path, error.message().trim_end()),
    }
}

/// An error at a byte offset of `text`: 1-based line and column (in characters).
fn at_offset(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> LineError {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    LineError::at(path, line as u64, Some(column), message)
}
