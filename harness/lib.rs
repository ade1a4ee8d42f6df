//! flowreplay: replay and regression-testing for message-passing systems.
//!
//! A scenario (or, later, a recorded elfo dump) describes a network of actors
//! and the messages fed into it. flowreplay runs it under a deterministic
//! scheduler on a virtual clock and records a trace of every message that
//! moves. The same scenario and seed always give a byte-identical trace.
//!
//! The modules follow the data flow, and each imports only those before it:
//!
//! - [`atomic_file`]: the one temp-file-then-rename way every output file
//!   is written.
//! - [`line_error`]: the file:line:column error of every line-oriented input.
//! - [`model`]: messages, ids, virtual time and the seeded rng.
//! - [`compare`]: how two bodies are judged: changed fields by JSON
//!   pointer, ignore rules and the relaxations for truncated and hidden
//!   recorded bodies (used by both the replay verdict and the diff).
//! - [`dump`]: elfo NDJSON dumps: typed records, a streaming strict/lenient
//!   reader, a writer in elfo's key order, ordering and statistics.
//! - [`net`]: topologies, ports, connectors, the [`Actor`] and
//!   [`AsyncActor`] traits, control signals and the built-in nodes.
//! - [`trace`]: trace events, recorders and the NDJSON format (it needs node
//!   names from `net`).
//! - [`sim`]: the scheduler: event loop, mailboxes and backpressure,
//!   conservation accounting, async actors on tokio's paused clock. It emits
//!   into a [`trace::Recorder`].
//! - [`scenario`]: scenario files, parsed into a [`NetworkSpec`] and a
//!   [`RunConfig`].
//! - [`golden`]: the canonical golden text of a run, goldens as insta
//!   snapshots, and the trace diff (first divergence first).
//! - [`replay`]: an elfo dump replayed in the simulator (groups as stubs or
//!   bound to real code) with a regression verdict per group.
//!
//! The command-line interface lives in the binary, so the library never sees
//! clap.
//!
//! ```
//! use flowreplay::{Registry, Scenario, Simulation};
//!
//! let scenario = Scenario::load("scenarios/linear-pipeline.toml".as_ref())?;
//! let network = scenario.network(&Registry::builtin())?;
//! let summary = Simulation::new(network, scenario.run).run(None)?;
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

pub use model::{Body, InPort, Message, MessageId, MessageKind, Nanos, NodeId, OutPort, SimRng, TraceId, VirtualTime};
pub use net::{
    Actor, AsyncActor, AsyncContext, Context, HandlerFuture, NackReason, NetworkSpec, NodeBuild, Receipt, Registry,
    Signal, TimerId, Topology, TopologyError,
};
pub use scenario::{Scenario, ScenarioError};
pub use sim::{RunConfig, RunSummary, SimError, Simulation, StopReason, TieBreak};
pub use trace::{EventKind, MemoryRecorder, NdjsonRecorder, Recorder, TraceEvent};
