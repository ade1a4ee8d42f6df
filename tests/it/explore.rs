//! `explore`: a planted bug is found within 500 seeds and shrunk to a
//! smaller scenario that still fails; shards split the seeds exactly;
//! threads do not change the results; bad arguments exit 2.

use std::collections::BTreeMap;

use flowreplay::explore::{seed_range, Explore, FaultMode, SeedRun};
use flowreplay::{Actor, Context, InPort, Message, MessageId, NodeBuild, Owed, Registry, Scenario, Signal, TimerId};

/// A retry with the bug `explore` exists to find: after its last attempt
/// fails it forgets to pass the NACK on, so the sender never hears.
struct ForgetfulRetry {
    attempts: BTreeMap<MessageId, (Message, Owed, u32)>,
    waiting: BTreeMap<TimerId, (Message, Owed, u32)>,
}

impl ForgetfulRetry {
    fn send(&mut self, ctx: &mut Context<'_>, mut msg: Message, owed: Owed, tries: u32) {
        let template = msg.clone();
        let id = ctx.assign_id(&mut msg);
        ctx.subscribe(&mut msg);
        self.attempts.insert(id, (template, owed, tries));
        ctx.send("out", msg);
    }
}

impl Actor for ForgetfulRetry {
    fn on_message(&mut self, ctx: &mut Context<'_>, _: InPort, mut msg: Message) {
        let owed = ctx.owe(&mut msg);
        self.send(ctx, msg, owed, 1);
    }

    fn on_signal(&mut self, ctx: &mut Context<'_>, signal: Signal) {
        match signal {
            Signal::Ack(receipt) => {
                if let Some((_, owed, _)) = self.attempts.remove(&receipt.message) {
                    ctx.settle(owed, None);
                }
            }
            Signal::Nack(receipt, _) => {
                let Some((template, owed, tries)) = self.attempts.remove(&receipt.message) else { return };
                if tries < 3 {
                    let timer = ctx.set_timer(flowreplay::Nanos::from_millis(1));
                    self.waiting.insert(timer, (template, owed, tries));
                }
                // The bug: after the third try the owed NACK is never settled.
            }
            Signal::Timer(timer) => {
                if let Some((template, owed, tries)) = self.waiting.remove(&timer) {
                    self.send(ctx, template.fresh_copy(), owed, tries + 1);
                }
            }
            _ => {}
        }
    }
}

fn registry() -> Registry {
    let mut registry = Registry::builtin();
    registry.register("forgetful_retry", |_| {
        let retry = ForgetfulRetry { attempts: BTreeMap::new(), waiting: BTreeMap::new() };
        Ok(NodeBuild::processor(retry, &["in"], &["out"]))
    });
    registry
}

/// Ten messages through `retry_kind` to an exporter that is down for a
/// seeded fifth of what it is handed; every message must be answered.
fn scenario(retry_kind: &str) -> Scenario {
    let config = if retry_kind == "retry" { "config = { max_attempts = 3, backoff = \"1ms\" }\n" } else { "" };
    let text = format!(
        "[[node]]\nid = \"src\"\nkind = \"receiver\"\nconfig.workload = {{ count = 10, rate = \"1000/s\", \
         messages = [{{ name = \"M\" }}] }}\n\
         [[node]]\nid = \"retry\"\nkind = \"{retry_kind}\"\n{config}\
         [[node]]\nid = \"sink\"\nkind = \"exporter\"\n\
         [[connector]]\nfrom = \"src.out\"\nto = \"retry.in\"\n\
         [[connector]]\nfrom = \"retry.out\"\nto = \"sink.in\"\nlatency = \"1ms\"\n\
         [[fault]]\nkind = \"outage\"\nnode = \"sink\"\np = 0.2\n\
         [expect]\nanswered_once = true\n"
    );
    Scenario::parse(&text, "planted.toml").unwrap_or_else(|e| panic!("{e}"))
}

fn first_failure(scenario: &Scenario) -> Option<SeedRun> {
    let explore = Explore::new(scenario, &registry, FaultMode::Declared).unwrap();
    let seeds: Vec<u64> = (0..500).collect();
    explore.run_seeds(&seeds, 2, false, |_| {}).unwrap().into_iter().find(|r| !r.violations.is_empty())
}

#[test]
fn a_retry_that_forgets_its_last_nack_is_found_within_500_seeds_and_the_real_retry_is_not() {
    assert!(first_failure(&scenario("retry")).is_none(), "the built-in retry answers every message");
    let found = first_failure(&scenario("forgetful_retry")).expect("the planted bug is found");
    assert!(found.seed < 500);
    assert_eq!(found.violations[0].expectation, "answered_once");
}

#[test]
fn a_shrunk_failure_is_smaller_and_its_file_reproduces_it() {
    let original = scenario("forgetful_retry");
    let failing = first_failure(&original).unwrap();
    let explore = Explore::new(&original, &registry, FaultMode::Declared).unwrap();
    let shrunk = explore.shrink(&failing).unwrap();
    assert!(shrunk.messages.1 < shrunk.messages.0, "{:?}", shrunk.messages);
    assert_eq!(shrunk.violation.expectation, "answered_once");
    // The written file, parsed again, breaks the same expectation with its own seed.
    let text = shrunk.scenario.to_text("shrunk for a test");
    assert!(text.starts_with("# shrunk for a test\n"));
    let reloaded = Scenario::parse(&text, "shrunk.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(reloaded.run.seed, failing.seed);
    let again = explore.judge(&reloaded, &registry()).unwrap();
    assert!(again.iter().any(|v| v.expectation == "answered_once"), "{again:?}\n{text}");
}

#[test]
fn shards_1_2_and_3_of_3_together_cover_exactly_the_unsharded_seeds() {
    let all = seed_range(40, 100, None);
    let mut union: Vec<u64> = (1..=3).flat_map(|k| seed_range(40, 100, Some((k, 3)))).collect();
    assert_eq!(union.len(), all.len(), "no seed in two shards");
    union.sort();
    assert_eq!(union, all);
    // And the failing seeds found shard by shard are those found at once.
    let original = scenario("forgetful_retry");
    let explore = Explore::new(&original, &registry, FaultMode::Declared).unwrap();
    let failing = |seeds: &[u64]| -> Vec<u64> {
        let runs = explore.run_seeds(seeds, 2, true, |_| {}).unwrap();
        runs.into_iter().filter(|r| !r.violations.is_empty()).map(|r| r.seed).collect()
    };
    let mut sharded: Vec<u64> = (1..=3).flat_map(|k| failing(&seed_range(0, 150, Some((k, 3))))).collect();
    sharded.sort();
    assert_eq!(sharded, failing(&seed_range(0, 150, None)));
}

#[test]
fn two_threads_give_the_same_runs_in_the_same_order_as_one() {
    let original = scenario("forgetful_retry");
    let explore = Explore::new(&original, &registry, FaultMode::Random).unwrap();
    let seeds: Vec<u64> = (0..60).collect();
    let summary = |threads| -> Vec<(u64, usize, Vec<String>)> {
        let runs = explore.run_seeds(&seeds, threads, true, |_| {}).unwrap();
        runs.into_iter()
            .map(|r| (r.seed, r.faults.len(), r.violations.iter().map(|v| v.to_string()).collect()))
            .collect()
    };
    let one = summary(1);
    assert_eq!(one.len(), 60);
    assert_eq!(summary(2), one);
}

#[test]
fn explore_prints_each_failing_seed_with_a_command_and_a_shrunk_file_that_fails_alike() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lossy.toml");
    // At-least-once is claimed, but nothing answers for a message lost on an edge.
    let text = std::fs::read_to_string(crate::scenario("ack-ingress-queue")).unwrap();
    std::fs::write(&path, text.replace("mode = \"ingress\"", "mode = \"downstream\"")).unwrap();
    let out_dir = dir.path().join("failures");
    let out = crate::flowreplay(&[
        "explore",
        path.to_str().unwrap(),
        "--seeds",
        "40",
        "--faults",
        "random",
        "--out-dir",
        out_dir.to_str().unwrap(),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let seed: u64 = stdout.lines().next().and_then(|l| l.strip_prefix("FAIL seed ")).unwrap().parse().unwrap();
    assert!(stdout.contains(&format!("--seeds 1 --from {seed} --faults random")), "{stdout}");
    // The printed command fails alike.
    let again = crate::flowreplay(&[
        "explore",
        path.to_str().unwrap(),
        "--seeds",
        "1",
        "--from",
        &seed.to_string(),
        "--faults",
        "random",
        "--no-shrink",
    ]);
    assert_eq!(again.status.code(), Some(1));
    // The shrunk file fails under `run`, with the expectation it names.
    let shrunk = out_dir.join(format!("lossy-seed-{seed}.toml"));
    let file = std::fs::read_to_string(&shrunk).unwrap();
    let broken = file.lines().nth(1).and_then(|l| l.strip_prefix("# It breaks: expect.")).unwrap();
    let name = broken.split(':').next().unwrap();
    let run = crate::flowreplay(&["run", shrunk.to_str().unwrap()]);
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains(&format!("expect.{name}:")), "{file}");
}

#[test]
fn bad_shards_and_zero_seeds_exit_2() {
    let nack = crate::scenario("nack");
    for (args, said) in [
        (vec!["--shard", "0/3"], "expected k/n with 1 <= k <= n"),
        (vec!["--shard", "4/3"], "expected k/n with 1 <= k <= n"),
        (vec!["--seeds", "0"], "--seeds 0"),
    ] {
        let mut all = vec!["explore", nack.to_str().unwrap()];
        all.extend(args);
        let out = crate::flowreplay(&all);
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains(said), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A node with the bug a generated topology should find: it keeps every
/// fifth message it is handed and never lets go, so the run cannot drain.
struct Hoarder {
    seen: u64,
    kept: Vec<Message>,
}

impl Actor for Hoarder {
    fn on_message(&mut self, ctx: &mut Context<'_>, _: InPort, msg: Message) {
        self.seen += 1;
        match self.seen % 5 {
            0 => self.kept.push(msg),
            _ => ctx.send("out", msg),
        }
    }
}

fn with_hoarder() -> Registry {
    let mut registry = Registry::builtin();
    registry
        .register("hoarder", |_| Ok(NodeBuild::processor(Hoarder { seen: 0, kept: Vec::new() }, &["in"], &["out"])));
    registry
}

#[test]
fn explore_generate_finds_a_registered_kind_that_hoards_and_shrinks_it_to_fewer_nodes() {
    use flowreplay::generate::GenOptions;
    let options =
        GenOptions { max_faults: 0, ..GenOptions::default() }.with_kinds(&with_hoarder(), &["hoarder"]).unwrap();
    assert_eq!(options.extra_kinds[0].outputs, ["out"]);
    let explore = Explore::generated(options, &with_hoarder);
    let seeds: Vec<u64> = (0..500).collect();
    let runs = explore.run_seeds(&seeds, 2, false, |_| {}).unwrap();
    let failing = runs.last().filter(|r| !r.violations.is_empty()).expect("a hoarder is found within 500 seeds");
    assert_eq!(failing.violations[0].expectation, "drained");
    let shrunk = explore.shrink(failing).unwrap();
    assert!(
        shrunk.nodes.1 < shrunk.nodes.0 || shrunk.messages.1 < shrunk.messages.0,
        "{:?} {:?}",
        shrunk.nodes,
        shrunk.messages
    );
    assert!(shrunk.scenario.network.nodes.iter().any(|n| n.kind == "hoarder"), "the culprit stays");
    assert!(shrunk.messages.1 <= 5 * 2, "five messages through one hoarder suffice: {:?}", shrunk.messages);
    // Without the hoarder, the same seeds pass.
    let clean = Explore::generated(GenOptions { max_faults: 0, ..GenOptions::default() }, &Registry::builtin);
    assert!(clean.run_seeds(&seeds[..100], 2, false, |_| {}).unwrap().iter().all(|r| r.violations.is_empty()));
}

#[test]
fn gen_writes_the_same_runnable_scenario_for_the_same_seed() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.toml"), dir.path().join("b.toml"));
    for path in [&a, &b] {
        let out = crate::flowreplay(&["gen", "--seed", "11", "--nodes", "6", "--out", path.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let other = crate::flowreplay(&["gen", "--seed", "12", "--nodes", "6"]);
    assert_ne!(other.stdout, std::fs::read(&a).unwrap(), "another seed, another scenario");
    let run = crate::flowreplay(&["run", a.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
}

#[test]
fn a_fault_plan_file_replaces_the_declared_faults_and_a_bad_one_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("strict.toml");
    let text = std::fs::read_to_string(crate::scenario("nack")).unwrap();
    std::fs::write(&scenario, format!("{text}\n[expect]\nterminal = {{ lost = {{ max = 0 }} }}\n")).unwrap();
    let explore = |plan: &str| {
        let path = dir.path().join("plan.toml");
        std::fs::write(&path, plan).unwrap();
        let args =
            ["explore", scenario.to_str().unwrap(), "--seeds", "3", "--no-shrink", "--faults", path.to_str().unwrap()];
        crate::flowreplay(&args)
    };
    let lossy = explore("[[fault]]\nkind = \"drop\"\nedge = \"sanitize.out -> warehouse.in\"\n");
    assert_eq!(lossy.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&lossy.stdout).contains("expect.terminal.lost"));
    let bad = explore("# a plan\n[[fault]]\nkind = \"drop\"\nedge = \"sanitize.out -> nowhere.in\"\n");
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("plan.toml:4:8:") && stderr.contains("no edge sanitize.out -> nowhere.in"), "{stderr}");
}

#[test]
fn a_seed_above_what_a_toml_integer_holds_is_written_as_digits_and_read_back() {
    let mut scenario = scenario("retry");
    scenario.run.seed = u64::MAX;
    let text = scenario.to_text("a large seed");
    assert!(text.contains("seed = \"18446744073709551615\""), "{text}");
    assert_eq!(Scenario::parse(&text, "large.toml").unwrap().run.seed, u64::MAX);
    let bad = text.replace("18446744073709551615", "12x");
    let e = Scenario::parse(&bad, "large.toml").expect_err("refused").to_string();
    assert!(e.contains("invalid seed \"12x\""), "{e}");
}

#[test]
fn shrinking_a_seed_that_passed_is_an_error_not_a_panic() {
    let original = scenario("retry");
    let explore = Explore::new(&original, &registry, FaultMode::Declared).unwrap();
    let passed = explore.run_seeds(&[1], 1, true, |_| {}).unwrap().remove(0);
    assert!(passed.violations.is_empty());
    let e = explore.shrink(&passed).expect_err("nothing to shrink").to_string();
    assert!(e.contains("broke no expectation"), "{e}");
}

/// A registered sink: what reaches it is exported.
struct Sink;

impl Actor for Sink {
    fn on_message(&mut self, ctx: &mut Context<'_>, _: InPort, msg: Message) {
        ctx.export(msg);
    }
}

#[test]
fn generated_topologies_may_end_a_branch_at_a_registered_sink() {
    use flowreplay::generate::{draw, GenOptions};
    let mut registry = Registry::builtin();
    registry.register("sink", |_| Ok(NodeBuild::processor(Sink, &["in"], &[] as &[&str])));
    let options = GenOptions { max_faults: 0, ..GenOptions::default() }.with_kinds(&registry, &["sink"]).unwrap();
    for seed in 0..200 {
        let scenario = draw(&options, seed).0.scenario();
        let summary = scenario.simulation(&registry, scenario.run).unwrap().run(None).unwrap();
        assert!(summary.conserved() && summary.drained(), "seed {seed}");
    }
}
