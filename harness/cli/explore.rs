//! `explore`: a scenario across many seeds, judged by its `[expect]`, with
//! each failing seed shrunk and written as a scenario file. The work is the
//! library's [`Explore`]; this file parses arguments and prints.

use std::path::{Path, PathBuf};

use clap::Args;

use crate::explore::{seed_range, Explore, FaultMode, SeedRun};
use crate::generate::GenOptions;
use crate::suite::Suite;
use crate::Scenario;

use super::Failure;

/// `--faults`: which faults each seed gets.
#[derive(Debug, Clone)]
enum Faults {
    /// The scenario's own `[[fault]]` entries.
    Declared,
    /// None.
    None,
    /// A plan of one to three faults drawn from each seed.
    Random,
    /// The `[[fault]]` entries of a plan file.
    Plan(PathBuf),
}

fn parse_faults(text: &str) -> Result<Faults, String> {
    Ok(match text {
        "declared" => Faults::Declared,
        "none" => Faults::None,
        "random" => Faults::Random,
        path if Path::new(path).is_file() => Faults::Plan(PathBuf::from(path)),
        other => return Err(format!("{other:?} is neither declared, none, random nor a fault plan file")),
    })
}

/// Arguments of `explore`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay explore scenarios/batching.toml --seeds 500\n  flowreplay explore scenarios/ack-at-least-one.toml --seeds 1000 --faults random --keep-going\n  flowreplay explore scenarios/nack.toml --seeds 3000 --shard 2/3      # one CI job of three\n  flowreplay explore scenarios/nack.toml --seeds 500 --faults my-faults.toml\n\nEach seed is judged by the scenario's [expect] section (conserved and drained unless it turns them off).\nA failing seed is printed with the command that reproduces it, shrunk, and written as a scenario file.\n\nExit codes: 0 every seed passed, 1 some seed failed, 2 bad input."
)]
pub(crate) struct ExploreArgs {
    /// The scenario file (not with --generate).
    #[arg(required_unless_present = "generate", conflicts_with = "generate")]
    scenario: Option<PathBuf>,
    /// Draw a whole scenario (topology, workload, faults) from each seed instead.
    #[arg(long)]
    generate: bool,
    /// With --generate: processors at most.
    #[arg(long, value_name = "K", default_value_t = 8, requires = "generate")]
    nodes: usize,
    /// How many seeds to run.
    #[arg(long, default_value_t = 100, value_name = "N")]
    seeds: u64,
    /// The first seed.
    #[arg(long, default_value_t = 0, value_name = "S")]
    from: u64,
    /// Run only shard k of n (1-based) of the seeds: the seeds whose offset from --from is k-1 modulo n.
    #[arg(long, value_name = "k/n", value_parser = parse_shard)]
    shard: Option<(u64, u64)>,
    /// Which faults each seed gets: `declared` (the scenario's own), `none`, `random` (a plan
    /// drawn from each seed), or a file of `[[fault]]` entries.
    #[arg(long, value_name = "declared|none|random|PLAN", default_value = "declared", value_parser = parse_faults)]
    faults: Faults,
    /// Run every seed instead of stopping at the first failure.
    #[arg(long)]
    keep_going: bool,
    /// Do not shrink failing seeds.
    #[arg(long)]
    no_shrink: bool,
    /// Where shrunk scenarios are written.
    #[arg(long, value_name = "DIR", default_value = "explore-failures")]
    out_dir: PathBuf,
    /// Threads [default: the machine's cores].
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    json: bool,
}

/// `k/n` with 1 ≤ k ≤ n.
fn parse_shard(text: &str) -> Result<(u64, u64), String> {
    let expected = || format!("--shard {text:?}: expected k/n with 1 <= k <= n, e.g. 2/3");
    let (k, n) = text.split_once('/').ok_or_else(expected)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| expected())?, n.trim().parse().map_err(|_| expected())?);
    if k == 0 || n == 0 || k > n {
        return Err(expected());
    }
    Ok((k, n))
}

impl ExploreArgs {
    /// The command that runs exactly `seed` again.
    fn reproduce(&self, command: &str, seed: u64) -> String {
        let faults = match &self.faults {
            Faults::Declared => "declared".to_string(),
            Faults::None => "none".to_string(),
            Faults::Random => "random".to_string(),
            Faults::Plan(path) => path.display().to_string(),
        };
        match &self.scenario {
            Some(path) => format!("{command} explore {} --seeds 1 --from {seed} --faults {faults}", path.display()),
            None => format!("{command} explore --generate --nodes {} --seeds 1 --from {seed}", self.nodes),
        }
    }

    /// The name shrunk files start with.
    fn stem(&self) -> String {
        self.scenario
            .as_ref()
            .and_then(|p| p.file_stem())
            .map_or_else(|| "generated".into(), |s| s.to_string_lossy().into_owned())
    }
}

pub(crate) fn explore(args: ExploreArgs, suite: &Suite) -> Result<(), Failure> {
    if args.seeds == 0 {
        return Err(Failure::BadInput("--seeds 0: give at least one seed".into()));
    }
    let registry = suite.registry();
    let mut scenario = match &args.scenario {
        Some(path) => Some(Scenario::load_with(path, &registry).map_err(super::bad)?),
        None => None,
    };
    let mode = match &args.faults {
        Faults::Declared => FaultMode::Declared,
        Faults::None => FaultMode::None,
        Faults::Random => FaultMode::Random,
        Faults::Plan(plan) => {
            let Some(own) = &scenario else {
                return Err(Failure::BadInput("--faults PLAN applies to a scenario, not to --generate".into()));
            };
            scenario = Some(own.with_fault_plan(plan, &registry).map_err(super::bad)?);
            FaultMode::Declared
        }
    };
    let make_registry = || suite.registry();
    let explore = match &scenario {
        Some(scenario) => Explore::new(scenario, &make_registry, mode).map_err(super::bad)?,
        None => {
            let options = GenOptions { max_processors: args.nodes, ..GenOptions::default() };
            Explore::generated(options, &make_registry)
        }
    };
    let name = scenario.as_ref().map_or("generated scenarios", |s| s.name.as_str());
    let seeds = seed_range(args.from, args.seeds, args.shard);
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    eprintln!("flowreplay explore {name} · {} seeds · {threads} threads", seeds.len());
    let progress = super::progress::Progress::count(seeds.len() as u64, "exploring");
    let runs = explore.run_seeds(&seeds, threads, args.keep_going, |_| progress.advance(1)).map_err(super::bad)?;
    progress.finish();
    let failing: Vec<&SeedRun> = runs.iter().filter(|r| !r.violations.is_empty()).collect();
    let mut shrunk_files = Vec::new();
    for run in &failing {
        let written = match args.no_shrink {
            true => None,
            false => Some(write_shrunk(&explore, run, &args, suite.command_name())?),
        };
        shrunk_files.push(written);
    }
    if args.json {
        let failures: Vec<serde_json::Value> = failing
            .iter()
            .zip(&shrunk_files)
            .map(|(run, shrunk)| {
                serde_json::json!({
                    "seed": run.seed,
                    "violations": run.violations,
                    "faults": run.faults.len(),
                    "reproduce": args.reproduce(suite.command_name(), run.seed),
                    "shrunk": shrunk.as_ref().map(|(path, _)| path.display().to_string()),
                })
            })
            .collect();
        let value = serde_json::json!({
            "scenario": name,
            "seeds_run": runs.len(),
            "passed": runs.len() - failing.len(),
            "failed": failing.len(),
            "failures": failures,
        });
        println!("{value}");
    } else {
        for (run, shrunk) in failing.iter().zip(&shrunk_files) {
            println!("FAIL seed {}", run.seed);
            for violation in &run.violations {
                println!("  {violation}");
            }
            println!("  reproduce: {}", args.reproduce(suite.command_name(), run.seed));
            if let Some((path, summary)) = shrunk {
                println!("  shrunk:    {} ({summary})", path.display());
                println!("             {} run {}", suite.command_name(), path.display());
            }
        }
        println!("{} seeds run, {} passed, {} failed", runs.len(), runs.len() - failing.len(), failing.len());
    }
    match failing.len() {
        0 => Ok(()),
        n => Err(Failure::Expectation(format!("{n} seed(s) broke an expectation"))),
    }
}

/// Shrinks a failing seed and writes its scenario; returns the file and a
/// line saying how much smaller it is.
fn write_shrunk(
    explore: &Explore<'_>,
    run: &SeedRun,
    args: &ExploreArgs,
    command: &str,
) -> Result<(PathBuf, String), Failure> {
    let shrunk = explore.shrink(run).map_err(super::bad)?;
    let path = args.out_dir.join(format!("{}-seed-{}.toml", args.stem(), run.seed));
    let source = args.scenario.as_ref().map_or_else(|| "a generated scenario".into(), |p| p.display().to_string());
    let header = format!(
        "Shrunk by `{command} explore` from {source} seed {} ({}).\n\
         It breaks: {}\n\
         Reproduce: {command} run {}",
        run.seed,
        shrunk.sizes(),
        shrunk.violation,
        path.display()
    );
    write_atomically(&path, &shrunk.scenario.to_text(&header))?;
    let summary = format!("{}, {} runs", shrunk.sizes(), shrunk.runs);
    Ok((path, summary))
}

/// Writes `text` to `path` atomically (making its folder if needed).
pub(super) fn write_atomically(path: &Path, text: &str) -> Result<(), Failure> {
    crate::atomic_file::write(path, text.as_bytes())
        .map_err(|e| Failure::BadInput(format!("{}: cannot write: {e}", path.display())))
}
