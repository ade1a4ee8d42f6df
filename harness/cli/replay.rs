//! `flowreplay replay`: run a dump's network again and say, per group,
//! whether it still sends what it sent when recorded.

use std::io::Write;
use std::path::PathBuf;

use crate::atomic_file::AtomicFile;
use crate::compare::{BodyRules, IgnoreRule};
use crate::dump::write_record;
use crate::dump::{DumpRecord, RawBody};
use crate::replay::{describe, Replay, Status};
use crate::suite::Suite;
use crate::trace::export::Format;
use crate::trace::{BodyCapture, TraceSettings};
use crate::Body;
use clap::Args;

use super::trace_args::TraceArgs;
use super::Failure;

/// Arguments of `flowreplay replay`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  flowreplay replay scenarios/dumps/trading.dump\n  flowreplay replay prod.dump --json --out recaptured.dump\n  flowreplay replay prod.dump --bind audit=exporter\n  flowreplay replay prod.dump --out replay.json --format chrome\n  flowreplay replay prod.dump --out clean.dump --redact /card/number\n  flowreplay replay prod.dump --bind pricing=filter --ignore 'pricing:Quote/ts'\n\nExit codes: 0 every group sent what it sent when recorded, 1 some group differs, 2 bad input."
)]
pub(crate) struct ReplayArgs {
    /// One or more elfo dump files or quoted glob patterns ("logs/*.dump").
    #[arg(required = true)]
    dumps: Vec<PathBuf>,
    /// Seed for the scheduler's tie-breaks.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the re-captured messages here (an elfo dump unless --format says otherwise; atomically).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    #[command(flatten)]
    trace: TraceArgs,
    /// Print the verdict as one JSON object.
    #[arg(long)]
    json: bool,
    /// Run a group (each of its keys) as a registered node kind instead of its recorded stub (repeatable).
    #[arg(long = "bind", value_name = "GROUP=NODE_KIND")]
    bindings: Vec<String>,
    /// Skip malformed dump lines instead of stopping.
    #[arg(long)]
    lenient: bool,
    /// Let the verdict ignore a body field: [GROUP:][NAME]/json/pointer, `*` for any key (repeatable).
    #[arg(long, value_name = "RULE", value_parser = IgnoreRule::parse)]
    ignore: Vec<IgnoreRule>,
}

pub(crate) fn replay(args: ReplayArgs, suite: &Suite) -> Result<(), Failure> {
    let registry = suite.registry();
    let progress = super::progress::Progress::spinner("reading and replaying");
    let mut replay = Replay::open(&super::expand_dumps(&args.dumps)?, args.lenient).map_err(super::bad)?;
    args.trace.check_written(args.out.as_ref())?;
    let defaults = TraceSettings { format: Format::Elfo, ..TraceSettings::default() };
    let settings = args.trace.settings(defaults)?;
    let elfo = settings.format == Format::Elfo;
    if elfo && settings.sampling.is_some() {
        return Err(Failure::BadInput(
            "sampling applies to the ndjson and chrome formats; a re-captured elfo dump is whole".into(),
        ));
    }
    for binding in &args.bindings {
        let (group, kind) = binding.split_once('=').ok_or_else(|| {
            Failure::BadInput(format!("--bind {binding:?}: expected GROUP=NODE_KIND, e.g. audit=exporter"))
        })?;
        replay.bind_kind(group, kind, &registry).map_err(super::bad)?;
    }
    replay.ignore(BodyRules { ignore: args.ignore.clone() }).map_err(super::bad)?;
    eprintln!("flowreplay replay · seed {} · {} groups", args.seed, replay.groups().count());
    let cannot_write =
        |path: &PathBuf, e: std::io::Error| Failure::BadInput(format!("{}: cannot write: {e}", path.display()));
    let outcome = match &args.out {
        Some(path) if !elfo => {
            let (outcome, file) = replay
                .run_observed(args.seed, |topology| settings.create(path, topology, args.seed))
                .map_err(super::bad)?;
            file.finish().map_err(|e| cannot_write(path, e))?;
            outcome
        }
        Some(path) => {
            let mut dump = RecapturedDump::create(path, &settings.capture).map_err(|e| cannot_write(path, e))?;
            let outcome = replay.run_recapturing(args.seed, &mut |record| dump.write(record)).map_err(super::bad)?;
            dump.commit().map_err(|e| cannot_write(path, e))?;
            outcome
        }
        None => replay.run(args.seed).map_err(super::bad)?,
    };
    progress.finish();
    if args.json {
        println!("{}", serde_json::to_value(&outcome.verdict).map_err(super::bad)?);
    } else {
        for (group, verdict) in &outcome.verdict.groups {
            match verdict.status {
                Status::Equal => println!("{group}: equal ({} sends)", verdict.expected),
                _ => println!("{group}: {}", describe(verdict).replace('\n', "\n  ")),
            }
        }
        for skew in &outcome.verdict.skews {
            println!("{}; delivered at the send", super::skew_line(skew));
        }
        for (rule, count) in &outcome.verdict.relaxed {
            println!("relaxed by {rule}: {count} sends");
        }
        println!("{}", if outcome.verdict.equal { "verdict: equal" } else { "verdict: DIFFERENT" });
    }
    let equal = outcome.verdict.equal;
    if equal {
        Ok(())
    } else {
        let mut reproduce = format!(
            "{} replay {} --seed {}",
            suite.command_name(),
            args.dumps.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" "),
            args.seed
        );
        for binding in &args.bindings {
            reproduce += &format!(" --bind {binding}");
        }
        reproduce += &args.trace.reproduce();
        if args.lenient {
            reproduce += " --lenient";
        }
        for rule in &args.ignore {
            reproduce += &format!(" --ignore '{}'", rule.as_str());
        }
        Err(Failure::Expectation(format!("replay differs from the recording\nreproduce: {reproduce}")))
    }
}

/// A re-captured elfo dump, written record by record as the replay makes
/// them, with the fields `capture` names redacted; in place only once
/// committed.
struct RecapturedDump {
    out: AtomicFile,
    /// The fields to hide, with bodies on (redaction renders a body).
    redact: Option<BodyCapture>,
    line: Vec<u8>,
    /// The first write that failed: what follows is not written.
    failed: Option<std::io::Error>,
}

impl RecapturedDump {
    fn create(path: &std::path::Path, capture: &BodyCapture) -> std::io::Result<RecapturedDump> {
        let redact = (!capture.redact.is_empty()).then(|| BodyCapture { enabled: true, ..capture.clone() });
        Ok(RecapturedDump { out: AtomicFile::create(path)?, redact, line: Vec::with_capacity(512), failed: None })
    }

    fn write(&mut self, record: DumpRecord) {
        if self.failed.is_some() {
            return;
        }
        self.line.clear();
        match &self.redact {
            None => write_record(&mut self.line, &record),
            Some(capture) => {
                let body = Body::parse(record.body.get()).unwrap_or_default();
                let value = capture.render(&body).unwrap_or_default();
                write_record(&mut self.line, &DumpRecord { body: RawBody::from_value(&value), ..record });
            }
        }
        if let Err(error) = self.out.write_all(&self.line) {
            self.failed = Some(error);
        }
    }

    fn commit(self) -> std::io::Result<()> {
        match self.failed {
            Some(error) => Err(error),
            None => self.out.commit(),
        }
    }
}
