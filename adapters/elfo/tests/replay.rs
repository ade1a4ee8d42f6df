//! A real elfo group bound into a replay of its recorded dump: unchanged it
//! is equal, a planted change is caught at the group and message, inputs it
//! cannot be given are reported, and re-captures are byte-identical across
//! processes.

mod desk;

use std::path::PathBuf;

use flowreplay::replay::{Replay, Status};
use flowreplay_elfo::ElfoGroup;

#[test]
fn a_keyed_group_is_one_actor_per_key_judged_per_key() {
    let mut replay = Replay::open(&[dump()], false).unwrap();
    assert_eq!(replay.places().filter(|p| p.starts_with("books")).collect::<Vec<_>>(), ["books/eu", "books/us"]);
    ElfoGroup::new("books", desk::books).bind(&mut replay).unwrap();
    let outcome = replay.run(0).unwrap();
    let (eu, us) = (&outcome.verdict.groups["books/eu"], &outcome.verdict.groups["books/us"]);
    assert_eq!(
        (eu.status, eu.expected, us.status, us.expected),
        (Status::Equal, 3, Status::Equal, 3),
        "{:#?}",
        outcome.verdict
    );
}

fn dump() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/desk.dump")
}

/// The recorded `ts` of the line at `group` going `direction` named `name`
/// whose body contains `text`.
fn recorded_ts(group: &str, direction: &str, name: &str, text: &str) -> u64 {
    let records = flowreplay::dump::read_all(&dump()).unwrap();
    let found = records.iter().find(|r| {
        r.group == group && format!("{:?}", r.direction) == direction && r.name == name && r.body.get().contains(text)
    });
    found.unwrap_or_else(|| panic!("no {direction} {name} at {group} with {text}")).ts_ns
}

fn replay_with(fee: u64) -> (flowreplay::replay::ReplayOutcome, ElfoGroup) {
    let mut replay = Replay::open(&[dump()], false).unwrap();
    let group = ElfoGroup::new("pricer", move || desk::pricer(fee))
        .node_no(1)
        .request::<desk::messages::PriceCheck>()
        .own_message("HeartbeatTick");
    group.bind(&mut replay).unwrap();
    let outcome = replay.recapture(true).run(0).unwrap();
    (outcome, group)
}

#[test]
fn the_unchanged_group_replays_equal() {
    let (outcome, _) = replay_with(0);
    let pricer = &outcome.verdict.groups["pricer"];
    assert_eq!(pricer.status, Status::Equal, "{:#?}", outcome.verdict);
    let beats = desk::BEATS;
    assert_eq!(
        (pricer.expected, pricer.actual),
        (7 + beats, 7 + beats),
        "three margin requests, three totals, a price check answered, the heartbeats"
    );
    assert_eq!(pricer.paired_by_order, beats, "the heartbeats are the real timer's, paired by name and order");
    assert!(outcome.verdict.equal, "{:#?}", outcome.verdict);
}

#[test]
fn a_planted_change_is_different_at_the_group_and_message_with_the_field() {
    let (outcome, _) = replay_with(1);
    let pricer = &outcome.verdict.groups["pricer"];
    assert_eq!(pricer.status, Status::Different, "{pricer:#?}");
    let first = pricer.first_difference.as_ref().unwrap();
    assert_eq!(first.expected.name, "Priced");
    assert_eq!(first.changed[0].path, "/total");
    assert_eq!((first.changed[0].expected.clone(), first.changed[0].actual.clone()), (305.into(), 306.into()));
}

#[test]
fn a_request_type_not_named_is_reported_with_the_type_to_name() {
    let mut replay = Replay::open(&[dump()], false).unwrap();
    let group = ElfoGroup::new("pricer", || desk::pricer(0)).own_message("HeartbeatTick");
    group.bind(&mut replay).unwrap();
    let outcome = replay.run(0).unwrap();
    let unnamed: Vec<_> = group.undecodable().into_iter().filter(|u| u.name == "PriceCheck").collect();
    assert_eq!(unnamed.len(), 1);
    assert!(unnamed[0].reason.contains("request type PriceCheck not named"), "{unnamed:?}");
    assert_eq!(outcome.verdict.groups["pricer"].missing, 1, "its response was never sent");
}

#[test]
fn an_input_the_dumper_hid_is_reported_not_replayed() {
    let (_, group) = replay_with(0);
    let undecodable = group.undecodable();
    assert_eq!(undecodable.len(), 1, "{undecodable:?}");
    assert_eq!(undecodable[0].name, "Secret");
    assert!(undecodable[0].body.contains("<hidden>"));
    assert_eq!(undecodable[0].ts, recorded_ts("pricer", "In", "Secret", "hidden"), "its dump line's ts");
}

#[test]
fn with_fail_on_undecodable_an_input_the_dumper_hid_fails_the_verdict() {
    let mut replay = Replay::open(&[dump()], false).unwrap();
    ElfoGroup::new("pricer", || desk::pricer(0))
        .request::<desk::messages::PriceCheck>()
        .own_message("HeartbeatTick")
        .fail_on_undecodable()
        .bind(&mut replay)
        .unwrap();
    let outcome = replay.run(0).unwrap();
    let pricer = &outcome.verdict.groups["pricer"];
    assert_eq!(pricer.status, Status::ExtraOutputs, "{pricer:#?}");
    let extra = pricer.first_extra.as_ref().unwrap();
    assert_eq!(extra.name, "(undecodable input)");
    assert_eq!(extra.body["input"], "Secret");
}

#[test]
fn a_panic_in_the_group_is_its_failure_blamed_on_the_input_that_caused_it() {
    let mut replay = Replay::open(&[dump()], false).unwrap();
    let group = ElfoGroup::new("pricer", || desk::pricer_with(0, Some(101)))
        .request::<desk::messages::PriceCheck>()
        .own_message("HeartbeatTick");
    group.bind(&mut replay).unwrap();
    let outcome = replay.run(0).unwrap();
    assert!(!outcome.verdict.equal);
    let failures: Vec<_> =
        group.undecodable().into_iter().filter(|u| u.what == flowreplay_elfo::Unrun::Failed).collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    let ts = recorded_ts("pricer", "In", "NewOrder", "\"order\":101");
    assert_eq!((failures[0].name.as_str(), failures[0].ts), ("NewOrder", ts));
    assert!(failures[0].reason.contains("cannot price order 101"), "{failures:?}");
}

#[test]
fn system_groups_and_groups_the_dump_lacks_are_refused() {
    let mut replay = Replay::open(&[dump()], false).unwrap();
    let error = ElfoGroup::new("pricerr", || desk::pricer(0)).bind(&mut replay).err().unwrap().to_string();
    assert!(
        error.contains("no group \"pricerr\"") && error.contains("gateway, ledger, monitor, pricer, refdata"),
        "{error}"
    );
    let error = ElfoGroup::new("system.configurers", || desk::pricer(0)).bind(&mut replay).err().unwrap().to_string();
    assert!(error.contains("never bound"), "{error}");
}

/// Set in a child process: write the re-captured dump there and stop.
const CHILD: &str = "FLOWREPLAY_ELFO_RECAPTURE_TO";

#[test]
fn the_same_dump_and_seed_give_byte_identical_recaptures_in_two_processes() {
    if let Ok(path) = std::env::var(CHILD) {
        let (outcome, _) = replay_with(0);
        let mut file = std::fs::File::create(path).unwrap();
        flowreplay::dump::write_records(&mut file, &outcome.recaptured).unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let path = dir.path().join(name);
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "the_same_dump_and_seed_give_byte_identical_recaptures_in_two_processes"])
            .env(CHILD, &path)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        std::fs::read(path).unwrap()
    };
    let (first, second) = (run("a.dump"), run("b.dump"));
    assert!(!first.is_empty());
    assert_eq!(first, second, "two processes re-captured different bytes");
}

#[test]
fn recorded_ticks_fed_to_a_group_that_makes_its_own_are_caught_as_changed_beats() {
    let mut replay = Replay::open(&[dump()], false).unwrap();
    // `own_message("HeartbeatTick")` left out: the recorded ticks are fed on
    // top of the pricer's own timer, and its beats go wrong.
    ElfoGroup::new("pricer", || desk::pricer(0)).request::<desk::messages::PriceCheck>().bind(&mut replay).unwrap();
    let outcome = replay.run(0).unwrap();
    assert_ne!(outcome.verdict.groups["pricer"].status, Status::Equal, "{:#?}", outcome.verdict.groups["pricer"]);
}
