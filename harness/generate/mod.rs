//! Generated scenarios, as proptest strategies: random DAG topologies of
//! the built-in catalog (and any registered kinds), their workloads and
//! fault plans ([`scenarios`]), and fault plans for a network of your own
//! ([`fault_plans`]). A generated scenario is scenario *text*: what `flowreplay
//! gen` writes, `run` accepts and a failing case can be committed as.
//!
//! The strategies shrink structurally (fewer nodes, simpler kinds, fewer
//! messages, fewer faults), so a property that fails on a generated
//! scenario shrinks to a small one. Behind the `generate` feature.
//!
//! ```
//! use flowreplay::generate::{scenarios, GenOptions};
//! use flowreplay::Registry;
//! use proptest::prelude::*;
//!
//! proptest!(ProptestConfig::with_cases(4), |(generated in scenarios(GenOptions::default()))| {
//!     let scenario = generated.scenario();
//!     let summary = scenario.simulation(&Registry::builtin(), scenario.run).unwrap().run(None).unwrap();
//!     prop_assert!(summary.conserved());
//! });
//! ```

mod build;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::strategy::{BoxedStrategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

use crate::model::Nanos;
use crate::net::{NetworkSpec, Registry};
use crate::scenario::Scenario;
use crate::sim::Fault;

pub use build::GeneratedScenario;

/// The built-in processors a generated topology uses, simplest first (a
/// shrinking case moves towards the start of this list).
pub const CATALOG: [&str; 11] = [
    "map",
    "delay",
    "filter",
    "sampling",
    "deadline",
    "type_router",
    "content_router",
    "batch",
    "retry",
    "ack_controller",
    "failover_router",
];

/// A registered kind a generated topology may use, with its ports (learnt
/// by building it with no configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraKind {
    /// The kind name.
    pub kind: String,
    /// Its input ports (the first one is wired).
    pub inputs: Vec<String>,
    /// Its output ports (each is wired).
    pub outputs: Vec<String>,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// Processors at most (receivers and exporters come on top: one or two each).
    pub max_processors: usize,
    /// Messages per receiver at most.
    pub max_messages: u64,
    /// Faults at most (0: none).
    pub max_faults: usize,
    /// Registered kinds to use besides the catalog.
    pub extra_kinds: Vec<ExtraKind>,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions { max_processors: 8, max_messages: 200, max_faults: 3, extra_kinds: Vec::new() }
    }
}

impl GenOptions {
    /// Adds `kinds` of `registry` to what a topology may use; a kind that
    /// cannot be built without configuration, or has no input, is refused.
    /// A kind with no outputs ends its branch, like an exporter.
    pub fn with_kinds(mut self, registry: &Registry, kinds: &[&str]) -> Result<GenOptions, String> {
        for kind in kinds {
            let factory = registry.factory(kind).ok_or_else(|| format!("no registered kind {kind:?}"))?;
            let build = factory(&serde_json::Value::Null)
                .map_err(|e| format!("kind {kind:?} cannot be built without configuration: {e}"))?;
            if build.inputs.is_empty() {
                return Err(format!("kind {kind:?} has no input port"));
            }
            self.extra_kinds.push(ExtraKind { kind: kind.to_string(), inputs: build.inputs, outputs: build.outputs });
        }
        Ok(self)
    }
}

/// One processor's choices: its kind, which open output feeds it, and a
/// number its configuration is drawn from.
type NodeChoice = (Index, Index, u32);
/// One fault's choices: its kind, its target, where its window starts and
/// how long it is (in thousandths of the run), and its probability.
type FaultChoice = (u8, Index, u16, u16, u8);

/// Random DAG topologies with workloads and fault plans, as scenarios.
pub fn scenarios(options: GenOptions) -> BoxedStrategy<GeneratedScenario> {
    let nodes = proptest::collection::vec((any::<Index>(), any::<Index>(), any::<u32>()), 0..=options.max_processors);
    let workload = (1..=options.max_messages.max(1), 0usize..4, 1usize..=2, 1usize..=2, any::<u64>());
    let faults = fault_choices(0..=options.max_faults);
    (nodes, workload, faults)
        .prop_map(
            move |(nodes, (messages, rate, receivers, exporters, seed), faults): (
                Vec<NodeChoice>,
                _,
                Vec<FaultChoice>,
            )| { build::build(&options, &nodes, messages, rate, receivers, exporters, &faults, seed) },
        )
        .boxed()
}

/// Fault plans (up to `max_faults` faults) for `network`, whose runs last
/// about `horizon`: drops, delays, duplicates, reorders and partitions on
/// its edges, crashes and skews of its built-in processors, outages of its
/// exporters. For a user's own scenario as well as a generated one.
pub fn fault_plans(network: &NetworkSpec, horizon: Nanos, max_faults: usize) -> BoxedStrategy<Vec<Fault>> {
    let of_kind = |wanted: fn(&str) -> bool| -> Vec<String> {
        network.nodes.iter().filter(|n| wanted(&n.kind)).map(|n| n.id.clone()).collect()
    };
    let targets = build::Targets {
        edges: network.connectors.iter().map(crate::net::ConnectorSpec::label).collect(),
        processors: of_kind(|kind| CATALOG.contains(&kind)),
        exporters: of_kind(|kind| kind == "exporter"),
    };
    fault_choices(1..=max_faults.max(1)).prop_map(move |choices| build::fault_plan(&choices, &targets, horizon)).boxed()
}

/// Between `count.start()` and `count.end()` faults' choices.
fn fault_choices(count: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<FaultChoice>> {
    proptest::collection::vec((any::<u8>(), any::<Index>(), 0u16..1000, 1u16..300, any::<u8>()), count)
}

/// A seeded runner: the same seed draws the same values on every machine.
fn runner(seed: u64) -> TestRunner {
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &bytes))
}

/// The fault plan a seed draws from [`fault_plans`] (`explore --faults
/// random`): at least one fault when the network has an edge.
pub fn draw_faults(network: &NetworkSpec, horizon: Nanos, max_faults: usize, seed: u64) -> Vec<Fault> {
    // These strategies never reject a value, so a tree is always made.
    let tree = fault_plans(network, horizon, max_faults).new_tree(&mut runner(seed));
    tree.map(|t| t.current()).unwrap_or_default()
}

/// The scenario a seed draws, and the proptest value tree behind it (to
/// shrink with): the same seed gives the same scenario on every machine.
pub fn draw(options: &GenOptions, seed: u64) -> (GeneratedScenario, impl ValueTree<Value = GeneratedScenario>) {
    // These strategies never reject a value, so a tree is always made.
    let tree = scenarios(options.clone()).new_tree(&mut runner(seed)).unwrap_or_else(|e| panic!("{e}"));
    (tree.current(), tree)
}

/// Shrinks a generated scenario that `fails` to a smaller one that still
/// fails, with proptest's shrinking: fewer nodes, messages and faults.
pub fn shrink(
    mut tree: impl ValueTree<Value = GeneratedScenario>,
    mut fails: impl FnMut(&Scenario) -> bool,
) -> GeneratedScenario {
    let mut smallest = tree.current();
    if !tree.simplify() {
        return smallest;
    }
    for _ in 0..4096 {
        let moved = if fails(&tree.current().scenario()) {
            smallest = tree.current();
            tree.simplify()
        } else {
            tree.complicate()
        };
        if !moved {
            break;
        }
    }
    smallest
}
