//! flowreplay: replay and regression-testing for message-passing systems.
//!
//! A scenario or a recorded elfo dump describes a network of actors and the
//! messages fed into it. flowreplay runs it under a deterministic scheduler
//! on a virtual clock, records a trace of every message that moves, and
//! compares it with a golden or with the recording. The same input and seed
//! always give a byte-identical trace.
//!
//! This is the one map of the modules (the README points here). They follow
//! the data flow, and each imports only those before it:
//!
//! - [`atomic_file`]: the one temp-file-then-rename way every output file
//!   is written.
//! - [`line_error`]: the file:line:column error of every input file.
//! - [`model`]: messages, ids, virtual time and the seeded rng.
//! - [`compare`]: how two bodies are judged: changed fields by JSON
//!   pointer, ignore rules and the relaxations for truncated and hidden
//!   recorded bodies (used by both the replay verdict and the diff).
//! - [`dump`]: elfo NDJSON dumps: typed records, a streaming strict/lenient
//!   reader, a writer in elfo's key order, ordering, statistics, clock skew.
//! - [`net`]: topologies, ports, connectors, the [`Actor`] and
//!   [`AsyncActor`] traits, control signals and the built-in nodes.
//! - [`trace`]: trace events, recorders and the NDJSON format (it needs node
//!   names from `net`).
//! - [`sim`]: the scheduler: event loop, mailboxes and backpressure,
//!   conservation accounting, injected faults ([`sim::Fault`]), async actors
//!   on tokio's paused clock. It emits into a [`trace::Recorder`].
//! - [`expect`]: what a run must do (a scenario's `[expect]`) and the checks
//!   that judge it.
//! - [`explore`]: a scenario across many seeds (and random fault plans),
//!   judged by its `[expect]`, with failing seeds shrunk to a small scenario.
//! - `generate` (feature `generate`): random scenarios (topologies,
//!   workloads, fault plans) as proptest strategies.
//! - [`scenario`]: scenario files, parsed into a [`NetworkSpec`] and a
//!   [`RunConfig`], and run ([`Scenario::simulation`]).
//! - [`replay`]: an elfo dump replayed in the simulator (places as stubs or
//!   bound to real code) with a regression verdict per place.
//! - [`golden`]: the canonical golden text of a trace, goldens as insta
//!   snapshots, and the diff of traces, goldens and dumps (first divergence
//!   first). It renders, reads and compares; it runs nothing.
//! - [`suite`]: the top layer that runs things for goldens: a user's
//!   scenarios, dumps, node kinds and bindings, each checked against its
//!   golden (the determinism self-check first), as a `cargo test` target, a
//!   one-call `#[test]`, or behind `check` and `bless`.
//! - `cli` (feature `cli`): the command line over all of it, for the shipped
//!   binary and for a user's own (`cli::main_with`).
//!
//! ```
//! use flowreplay::{Registry, Scenario};
//!
//! let scenario = Scenario::load("scenarios/linear-pipeline.toml".as_ref())?;
//! let summary = scenario.simulation(&Registry::builtin(), scenario.run)?.run(None)?;
//! assert!(summary.conserved());
//! assert!(summary.drained());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

/// Every Rust snippet in the README compiles.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeSnippets;

pub mod atomic_file;
pub mod compare;
pub mod dump;
pub mod expect;
pub mod explore;
#[cfg(feature = "generate")]
pub mod generate;
pub mod golden;
pub mod line_error;
pub mod model;
pub mod net;
pub mod replay;
pub mod scenario;
pub mod sim;
pub mod suite;
pub mod trace;

#[cfg(feature = "cli")]
pub mod cli;

pub use model::{
    Body, Headers, InPort, Message, MessageId, MessageKind, Name, Nanos, NodeId, OutPort, SimRng, TraceId, VirtualTime,
};
pub use net::{
    Actor, AsyncActor, AsyncContext, Context, HandlerFuture, NackReason, NetworkSpec, NodeBuild, Owed, Receipt,
    Registry, Service, Signal, TimerId, Topology, TopologyError,
};
pub use scenario::{Scenario, ScenarioError};
pub use sim::{RunConfig, RunSummary, SimError, Simulation, StopReason, TieBreak};
pub use trace::{EventKind, MemoryRecorder, NdjsonRecorder, Recorder, TraceEvent};
