//! Random fault plans: one per seed, for `explore --faults random`.

use crate::model::{Nanos, SimRng};
use crate::net::{Latency, NetworkSpec};
use crate::sim::{Fault, FaultKind};

/// Built-in kinds, all synchronous actors: the nodes a crash or a skew may hit.
const SYNC_KINDS: [&str; 13] = [
    "receiver",
    "exporter",
    "filter",
    "type_router",
    "content_router",
    "failover_router",
    "batch",
    "retry",
    "ack_controller",
    "sampling",
    "deadline",
    "delay",
    "map",
];

/// One to three faults drawn from `rng` for `network`, within `horizon` of
/// virtual time: losses, delays, duplicates and reorders on edges,
/// partitions, crashes with a restart, outages and skews on built-in
/// nodes. The same rng state draws the same plan.
pub fn random_faults(network: &NetworkSpec, horizon: Nanos, rng: &mut SimRng) -> Vec<Fault> {
    let edges: Vec<String> = network.connectors.iter().map(|c| format!("{} -> {}", c.from, c.to)).collect();
    let processors: Vec<&str> = network
        .nodes
        .iter()
        .filter(|n| n.kind != "receiver" && SYNC_KINDS.contains(&n.kind.as_str()))
        .map(|n| n.id.as_str())
        .collect();
    let horizon = horizon.0.max(1_000_000);
    let mut faults = Vec::new();
    for _ in 0..=rng.below(3) {
        let from = Nanos(rng.below(horizon));
        let until = Some(Nanos(from.0 + rng.between(horizon / 20, horizon / 4).max(1)));
        let probability = [0.05, 0.2, 0.5, 1.0][rng.below(4) as usize];
        let by = Latency::Fixed(Nanos(rng.between(horizon / 100, horizon / 10).max(1)));
        let (kind, target) = match rng.below(8) {
            kind @ 0..=4 if !edges.is_empty() => {
                let kind = match kind {
                    0 => FaultKind::Drop,
                    1 => FaultKind::Delay(by),
                    2 => FaultKind::Duplicate,
                    3 => FaultKind::Reorder(by),
                    _ => FaultKind::Partition,
                };
                (kind, edges[rng.below(edges.len() as u64) as usize].clone())
            }
            5 | 6 if !processors.is_empty() => {
                let node = processors[rng.below(processors.len() as u64) as usize].to_string();
                if rng.below(2) == 0 {
                    let restart_after = Some(Nanos(rng.between(horizon / 50, horizon / 5).max(1)));
                    (FaultKind::Crash { restart_after, keep_mailbox: rng.below(2) == 0 }, node)
                } else {
                    (FaultKind::Outage { reason: "outage".into(), permanent: false }, node)
                }
            }
            _ if !processors.is_empty() => {
                let node = processors[rng.below(processors.len() as u64) as usize].to_string();
                let magnitude = rng.between(horizon / 100, horizon / 10) as i64;
                (FaultKind::Skew(if rng.below(2) == 0 { magnitude } else { -magnitude }), node)
            }
            _ => continue,
        };
        let partition = matches!(kind, FaultKind::Partition | FaultKind::Crash { .. } | FaultKind::Skew(_));
        let crash = matches!(kind, FaultKind::Crash { .. });
        faults.push(Fault {
            kind,
            target,
            from,
            until: if crash { None } else { until },
            probability: if partition { 1.0 } else { probability },
        });
    }
    faults
}
