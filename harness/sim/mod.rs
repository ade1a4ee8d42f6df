//! The scheduler: a deterministic discrete-event loop on the virtual clock,
//! with bounded mailboxes, backpressure, conservation accounting and a tokio
//! paused-clock driver for async actors.

mod async_driver;
mod config;
mod engine;
mod fault;
mod ledger;
mod live;
mod queue;
mod summary;

pub use config::{RunConfig, TieBreak};
pub use engine::{SimError, Simulation};
pub use fault::{Fault, FaultError, FaultKind, FaultSummary};
pub use summary::{EdgeSummary, InFlight, LateExport, NodeSummary, RunSummary, StopReason};
