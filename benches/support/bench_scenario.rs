//! The benches' topologies (`benches/*.toml`) with their workload sized,
//! shared by the benches, the examples that count or time the same runs,
//! and the integration test that checks the memory target on them.

use flowreplay::{Scenario, ScenarioError};

/// `benches/<file>` with its receiver's workload set to `messages`.
pub fn bench_scenario(file: &str, messages: u64) -> Result<Scenario, ScenarioError> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches").join(file);
    let mut scenario = Scenario::load(&path)?;
    scenario.network.nodes[0].config["workload"]["count"] = messages.into();
    Ok(scenario)
}
