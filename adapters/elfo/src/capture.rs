//! What the group under test sends, captured from elfo's own dumping
//! machinery: every dump elfo would write, with the body serialized in
//! dumping mode (so `hide`-marked fields read `"<hidden>"`, as recorded).
//!
//! elfo takes one dumping recorder per process, installed before the first
//! message is sent. This module installs it once and hands each replay's
//! dumps to that replay's sink, found by the topology's launch id, so
//! replays on parallel threads stay apart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use elfo::addr::NodeLaunchId;
use elfo::dumping::{self, Direction, Dump, MessageKind, Recorder};
use elfo::scope::{self, SerdeMode};

/// One dump of the group under test.
#[derive(Debug, Clone)]
pub(crate) struct Captured {
    pub(crate) group: String,
    pub(crate) key: String,
    pub(crate) trace_id: u64,
    pub(crate) out: bool,
    pub(crate) kind: MessageKind,
    pub(crate) protocol: &'static str,
    pub(crate) name: String,
    pub(crate) body: serde_json::Value,
}

/// A replay's captured dumps, and a wake-up for the task that forwards them.
#[derive(Default)]
pub(crate) struct Sink {
    pub(crate) dumps: Mutex<Vec<Captured>>,
    /// What the group's actors reported on failing (a panic's message).
    pub(crate) failures: Mutex<Vec<String>>,
    pub(crate) arrived: tokio::sync::Notify,
}

type Sinks = Mutex<HashMap<NodeLaunchId, Arc<Sink>>>;

fn sinks() -> &'static Sinks {
    static SINKS: OnceLock<Sinks> = OnceLock::new();
    SINKS.get_or_init(Default::default)
}

/// Installs the recorder (once per process); false when another one was
/// installed first, so that dumps would never reach a replay.
pub(crate) fn install() -> bool {
    static INSTALLED: OnceLock<bool> = OnceLock::new();
    *INSTALLED.get_or_init(|| dumping::set_make_recorder(Box::new(|_class| Arc::new(Forward) as Arc<dyn Recorder>)))
}

/// Starts collecting the dumps of the topology launched as `launch`.
pub(crate) fn open(launch: NodeLaunchId) -> Arc<Sink> {
    let sink = Arc::new(Sink::default());
    sinks().lock().unwrap_or_else(|e| e.into_inner()).insert(launch, sink.clone());
    sink
}

/// Stops collecting for `launch`.
pub(crate) fn close(launch: NodeLaunchId) {
    sinks().lock().unwrap_or_else(|e| e.into_inner()).remove(&launch);
}

/// Hands every dump to the sink of the topology it happened in.
struct Forward;

impl Recorder for Forward {
    fn enabled(&self) -> bool {
        true
    }

    fn record(&self, dump: Dump) {
        let Some(launch) = scope::try_with(|s| s.node_launch_id()) else { return };
        let Some(sink) = sinks().lock().unwrap_or_else(|e| e.into_inner()).get(&launch).cloned() else { return };
        let body = scope::with_serde_mode(SerdeMode::Dumping, || serde_json::to_value(&*dump.message))
            .unwrap_or_else(|e| serde_json::Value::String(format!("<not serializable: {e}>")));
        let captured = Captured {
            group: dump.meta.group.clone(),
            key: dump.meta.key.clone(),
            trace_id: u64::from(dump.trace_id),
            out: matches!(dump.direction, Direction::Out),
            kind: dump.message_kind,
            protocol: dump.message_protocol,
            name: dump.message_name.to_string(),
            body,
        };
        sink.dumps.lock().unwrap_or_else(|e| e.into_inner()).push(captured);
        sink.arrived.notify_one();
    }
}
