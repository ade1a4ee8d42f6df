//! The test suite for your own system: your scenarios and dumps, your node
//! kinds and replay bindings, each checked against its golden. One
//! implementation serves `cargo test` (one test case per input, see
//! [`Suite::run_tests`]), a plain `#[test]` ([`Suite::assert_input`]) and
//! the command line (`check` and `bless`, see `cli::main_with`).
//!
//! Every check runs its input twice with the same seed first: if the two
//! runs differ, that is reported as non-determinism, with where they part,
//! not as a golden mismatch.
//!
//! ```
//! use flowreplay::suite::{Check, Suite};
//! use flowreplay::{Actor, Context, InPort, Message, NodeBuild, Registry};
//!
//! /// Passes everything on.
//! struct Relay;
//! impl Actor for Relay {
//!     fn on_message(&mut self, ctx: &mut Context<'_>, _port: InPort, msg: Message) {
//!         ctx.send("out", msg);
//!     }
//! }
//!
//! let suite = Suite::new(|| {
//!     let mut registry = Registry::builtin();
//!     registry.register("relay", |_config| Ok(NodeBuild::processor(Relay, &["in"], &["out"])));
//!     registry
//! })
//! .root(env!("CARGO_MANIFEST_DIR"))
//! .bind("trading", "audit", "exporter");
//! let inputs = suite.inputs()?;
//! let nack = inputs.iter().find(|p| p.ends_with("scenarios/nack.toml")).unwrap();
//! assert!(matches!(suite.check(nack)?, Check::Pass));
//! # Ok::<(), flowreplay::suite::SuiteError>(())
//! ```

#[cfg(feature = "harness")]
mod harness;
mod run;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::expect::Violation;
use crate::golden::{diff, golden_name, golden_path, is_dump, parse_golden, snap_content, snap_text};
use crate::golden::{Alignment, DiffOptions, TraceDiff, FORMAT_VERSION};
use crate::line_error::LineError;
use crate::net::Registry;
use crate::replay::{Replay, ReplayError};

pub use run::{run_twice, Repeatability};

/// Why a suite could not check an input.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// A dump could not be replayed (or a binding does not fit it).
    #[error(transparent)]
    Replay(#[from] crate::replay::ReplayError),
    /// The simulator could not start.
    #[error(transparent)]
    Sim(#[from] crate::SimError),
    /// An input file is wrong: a scenario (or a kind it names that the
    /// registry lacks), a golden, a dump.
    #[error(transparent)]
    Input(#[from] LineError),
    /// A file or folder could not be read or written.
    #[error("{}: {message}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The suite's configuration does not fit what is on disk.
    #[error("{0}")]
    Config(String),
}

/// What checking one input found.
#[derive(Debug)]
pub enum Check {
    /// The run matches its golden.
    Pass,
    /// There is no golden yet; `actual` is what the input produces now.
    Missing {
        /// Where the golden belongs.
        golden: PathBuf,
        /// The golden text the input produces.
        actual: String,
    },
    /// The run differs from its golden.
    Changed {
        /// The golden.
        golden: PathBuf,
        /// The golden text the input produces now.
        actual: String,
        /// What changed, first divergence first.
        diff: Box<TraceDiff>,
    },
    /// Two runs with the same seed differed: where they part.
    NonDeterministic(Box<TraceDiff>),
    /// The run breaks its scenario's `[expect]` section (checked before the
    /// golden: a run that breaks what it must do fails whatever its golden).
    Violated(Vec<Violation>),
    /// The golden is of another format version: it is not compared, it is
    /// re-blessed (see CHANGELOG.md, "Golden format policy").
    OtherFormat {
        /// The golden.
        golden: PathBuf,
        /// Its header line.
        header: String,
    },
}

/// A group of a dump bound to a node kind.
#[derive(Debug, Clone)]
struct Binding {
    /// The dump's file name without `.dump`, or `*` for every dump.
    dump: String,
    group: String,
    kind: String,
}

/// Makes the registry each check builds its networks from (each test case
/// runs on a thread of its own, and a registry stays on one).
type RegistryMaker = Arc<dyn Fn() -> Registry + Send + Sync>;

/// Prepares a dump's replay before it runs: binds real code to its groups
/// beyond what a node kind can be (an elfo actor group, say).
pub type Preparation = Arc<dyn Fn(&mut Replay) -> Result<(), ReplayError> + Send + Sync>;

/// Your inputs, goldens, node kinds and replay bindings.
#[derive(Clone)]
pub struct Suite {
    root: PathBuf,
    scenario_dirs: Vec<PathBuf>,
    dump_dirs: Vec<PathBuf>,
    golden_dir: PathBuf,
    registry: RegistryMaker,
    bindings: Vec<Binding>,
    preparations: Vec<(String, Preparation)>,
    command: String,
    source: String,
    /// Whether goldens may be written: from `CI` unless set.
    ci: Option<bool>,
}

/// Whether this is a CI run (`CI` set to anything but empty, `0` or `false`):
/// then goldens are never written.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && !v.eq_ignore_ascii_case("false") && v != "0")
}

impl Suite {
    /// A suite whose networks are built from the registry `registry` makes.
    /// By default it checks `scenarios/*.toml` and `scenarios/dumps/*.dump`
    /// against `golden/`, relative to the current folder (see [`Suite::root`]).
    pub fn new(registry: impl Fn() -> Registry + Send + Sync + 'static) -> Suite {
        Suite {
            root: PathBuf::from("."),
            scenario_dirs: vec!["scenarios".into()],
            dump_dirs: vec!["scenarios/dumps".into()],
            golden_dir: "golden".into(),
            registry: Arc::new(registry),
            bindings: Vec::new(),
            preparations: Vec::new(),
            command: "flowreplay".into(),
            source: "flowreplay".into(),
            ci: None,
        }
    }

    /// The suite with the built-in node kinds only.
    pub fn builtin() -> Suite {
        Suite::new(Registry::builtin)
    }

    /// The folder relative paths are read from (a crate's tests use
    /// `env!("CARGO_MANIFEST_DIR")`).
    pub fn root(mut self, dir: impl Into<PathBuf>) -> Suite {
        self.root = dir.into();
        self
    }

    /// The folders of scenario files (`*.toml`), instead of `scenarios`.
    pub fn scenarios(mut self, dirs: &[&str]) -> Suite {
        self.scenario_dirs = dirs.iter().map(PathBuf::from).collect();
        self
    }

    /// The folders of elfo dumps (`*.dump`), instead of `scenarios/dumps`.
    pub fn dumps(mut self, dirs: &[&str]) -> Suite {
        self.dump_dirs = dirs.iter().map(PathBuf::from).collect();
        self
    }

    /// The folder of goldens, instead of `golden`.
    pub fn goldens(mut self, dir: impl Into<PathBuf>) -> Suite {
        self.golden_dir = dir.into();
        self
    }

    /// Replays `group` of the dump named `dump` (its file name without
    /// `.dump`; `*` for every dump) as the registry's node `kind` instead of
    /// its recorded stub.
    pub fn bind(mut self, dump: &str, group: &str, kind: &str) -> Suite {
        self.bindings.push(Binding { dump: dump.into(), group: group.into(), kind: kind.into() });
        self
    }

    /// Prepares the replay of the dump named `dump` (`*` for every dump)
    /// with `prepare` before it runs, after the kind bindings: how a group is
    /// bound to code no registry kind can stand for, such as a real elfo
    /// group (`flowreplay_elfo::ElfoGroup::bind`).
    pub fn prepare(
        mut self,
        dump: &str,
        prepare: impl Fn(&mut Replay) -> Result<(), ReplayError> + Send + Sync + 'static,
    ) -> Suite {
        self.preparations.push((dump.into(), Arc::new(prepare)));
        self
    }

    /// How failure messages name the command line that reproduces them
    /// (your own CLI's, e.g. `cargo run --bin mycli --`), instead of `flowreplay`.
    pub fn command(mut self, command: &str) -> Suite {
        self.command = command.into();
        self
    }

    /// What a golden's insta header names as its `source`.
    pub fn source(mut self, source: &str) -> Suite {
        self.source = source.into();
        self
    }

    /// Runs as in CI (nothing is ever written) or not, whatever `CI` says.
    pub fn ci(mut self, ci: bool) -> Suite {
        self.ci = Some(ci);
        self
    }

    /// Whether this suite runs as in CI: [`Suite::ci`], else [`in_ci`].
    pub fn is_ci(&self) -> bool {
        self.ci.unwrap_or_else(in_ci)
    }

    /// The command line that failure messages name.
    pub fn command_name(&self) -> &str {
        &self.command
    }

    /// A path as the suite shows it, as a command line in the root folder
    /// would name it: relative to the root where it is inside.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root).unwrap_or(path).display().to_string()
    }

    /// A registry of the suite's node kinds.
    pub fn registry(&self) -> Registry {
        (self.registry)()
    }

    /// The golden folder, resolved against the root.
    pub fn golden_dir(&self) -> PathBuf {
        self.resolve(&self.golden_dir)
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() || self.root == Path::new(".") {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }

    /// Every scenario and dump in the suite's folders, in name order, each
    /// with a golden of its own. Folders that do not exist are skipped; no
    /// input at all is an error.
    pub fn inputs(&self) -> Result<Vec<PathBuf>, SuiteError> {
        let mut found = Vec::new();
        let folders = self.scenario_dirs.iter().map(|d| (d, "toml")).chain(self.dump_dirs.iter().map(|d| (d, "dump")));
        for (dir, extension) in folders {
            let dir = self.resolve(dir);
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut here: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == extension))
                .collect();
            here.sort();
            found.extend(here);
        }
        if found.is_empty() {
            let folders: Vec<String> = self
                .scenario_dirs
                .iter()
                .chain(&self.dump_dirs)
                .map(|d| self.resolve(d).display().to_string())
                .collect();
            return Err(SuiteError::Config(format!(
                "no scenarios (*.toml) or dumps (*.dump) in {}",
                folders.join(", ")
            )));
        }
        self.distinct_goldens(&found)?;
        Ok(found)
    }

    /// Refuses inputs whose goldens would be the same file.
    pub fn distinct_goldens(&self, inputs: &[PathBuf]) -> Result<(), SuiteError> {
        let mut seen: std::collections::BTreeMap<PathBuf, &Path> = std::collections::BTreeMap::new();
        let dir = self.golden_dir();
        for input in inputs {
            if let Some(other) = seen.insert(golden_path(&dir, input), input) {
                return Err(SuiteError::Config(format!(
                    "{} and {} would share the golden {}: rename one",
                    other.display(),
                    input.display(),
                    golden_path(&dir, input).display()
                )));
            }
        }
        Ok(())
    }

    /// The golden text `input` produces now: a scenario's run with `seed`
    /// (its own when `None`), or a dump's replay (seed 0 unless given) with
    /// the suite's bindings.
    pub fn golden_text(&self, input: &Path, seed: Option<u64>) -> Result<String, SuiteError> {
        Ok(self.run_input(input, seed)?.0)
    }

    /// `input`'s golden text, and the expectations its run breaks (a
    /// scenario's `[expect]`; a dump's replay has none).
    fn run_input(&self, input: &Path, seed: Option<u64>) -> Result<(String, Vec<Violation>), SuiteError> {
        let registry = self.registry();
        if !is_dump(input) {
            return run::scenario_golden(input, &registry, seed);
        }
        let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let bindings: Vec<(&str, &str)> = self
            .bindings
            .iter()
            .filter(|b| b.dump == "*" || b.dump == stem)
            .map(|b| (b.group.as_str(), b.kind.as_str()))
            .collect();
        let preparations: Vec<&Preparation> =
            self.preparations.iter().filter(|(dump, _)| dump == "*" || *dump == stem).map(|(_, p)| p).collect();
        Ok((run::dump_golden(input, &registry, &bindings, &preparations, seed.unwrap_or(0))?, Vec::new()))
    }

    /// Runs `input` twice (the determinism self-check), then compares the
    /// run with its golden. Writes nothing.
    pub fn check(&self, input: &Path) -> Result<Check, SuiteError> {
        let broken = std::cell::RefCell::new(Vec::new());
        let run = || {
            let (text, violations) = self.run_input(input, None)?;
            *broken.borrow_mut() = violations;
            Ok(text)
        };
        let actual = match run_twice(input, run)? {
            Repeatability::Deterministic(text) => text,
            Repeatability::NonDeterministic(found) => return Ok(Check::NonDeterministic(found)),
        };
        let violations = broken.into_inner();
        if !violations.is_empty() {
            return Ok(Check::Violated(violations));
        }
        let dir = self.golden_dir();
        if !dir.is_dir() && self.is_ci() {
            return Err(SuiteError::Config(format!(
                "the golden folder {} does not exist, and with CI set nothing is created: bless locally and commit it",
                dir.display()
            )));
        }
        let golden = golden_path(&dir, input);
        let text = match std::fs::read_to_string(&golden) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Check::Missing { golden, actual }),
            Err(e) => return Err(SuiteError::Io { path: golden, message: format!("cannot read: {e}") }),
        };
        let (content, line) = snap_content(&golden, &text)?;
        if content == actual {
            return Ok(Check::Pass);
        }
        let header = content.lines().next().unwrap_or_default();
        if !header.starts_with(&format!("# flowreplay golden v{FORMAT_VERSION} ")) {
            return Ok(Check::OtherFormat { golden, header: header.to_string() });
        }
        let expected = parse_golden(&golden, content, line)?;
        let now = parse_golden(input, &actual, 1)?;
        let found = diff(&expected.events, &now.events, Alignment::SameRun, &DiffOptions::default());
        Ok(Check::Changed { golden, actual, diff: Box::new(found) })
    }

    /// What a failed check says: what went wrong, the first divergence, and
    /// the commands that reproduce and accept it.
    pub fn report(&self, input: &Path, check: &Check) -> String {
        let shown = self.display(input);
        let (what, diff) = match check {
            Check::Pass => return format!("{shown}: matches its golden"),
            Check::Missing { golden, .. } => (format!("no golden at {}", self.display(golden)), None),
            Check::Changed { golden, diff, .. } => (format!("differs from {}", self.display(golden)), Some(diff)),
            Check::Violated(violations) => {
                let listed: Vec<String> = violations.iter().map(|v| format!("  {v}")).collect();
                let what = format!("breaks {} expectation(s):\n{}", violations.len(), listed.join("\n"));
                return format!("{shown}: {what}\nreproduce: {} run {shown}\n", self.command);
            }
            Check::NonDeterministic(diff) => {
                ("NOT DETERMINISTIC: two runs with the same seed differ (not a golden mismatch)".into(), Some(diff))
            }
            Check::OtherFormat { golden, header } => (
                format!(
                    "{} is not golden format v{FORMAT_VERSION} (its header: {header:?}), so it is not compared: \
                     re-bless it with `{} bless {shown}` and review the change",
                    self.display(golden),
                    self.command
                ),
                None,
            ),
        };
        let mut report = format!("{shown}: {what}\n");
        if let Some(diff) = diff {
            report += &match diff.equal {
                true => "the header or the summary differs\n".to_string(),
                false => diff.report(),
            };
        }
        report += &format!("reproduce: {} check {shown}\n", self.command);
        if matches!(check, Check::Missing { .. } | Check::Changed { .. }) {
            report += &format!("accept:    {} bless {shown}   (or `cargo insta review`)\n", self.command);
        }
        report
    }

    /// Writes the text a changed or missing check found beside the golden,
    /// as `<name>.snap.new` for `cargo insta review` (never in CI, see [`Suite::is_ci`]);
    /// creates the golden folder if needed. Returns the file written.
    pub fn write_pending(&self, check: &Check) -> Result<Option<PathBuf>, SuiteError> {
        let (Check::Missing { golden, actual } | Check::Changed { golden, actual, .. }) = check else {
            return Ok(None);
        };
        if self.is_ci() {
            return Ok(None);
        }
        let pending = golden.with_extension("snap.new");
        self.write(&pending, &snap_text(&self.source, actual))?;
        Ok(Some(pending))
    }

    /// Writes `input`'s golden (refused in CI); false when it
    /// already held that text.
    pub fn bless(&self, input: &Path) -> Result<bool, SuiteError> {
        if self.is_ci() {
            return Err(SuiteError::Config(
                "refusing to write goldens with CI set: bless locally and commit them".into(),
            ));
        }
        let text = snap_text(&self.source, &self.golden_text(input, None)?);
        let path = golden_path(&self.golden_dir(), input);
        if std::fs::read_to_string(&path).is_ok_and(|old| old == text) {
            return Ok(false);
        }
        self.write(&path, &text)?;
        let _ = std::fs::remove_file(path.with_extension("snap.new"));
        Ok(true)
    }

    fn write(&self, path: &Path, text: &str) -> Result<(), SuiteError> {
        crate::atomic_file::write(path, text.as_bytes())
            .map_err(|e| SuiteError::Io { path: path.to_path_buf(), message: format!("cannot write: {e}") })
    }

    /// Goldens in the golden folder that no input has.
    pub fn orphans(&self, inputs: &[PathBuf]) -> Vec<PathBuf> {
        let known: Vec<String> = inputs.iter().map(|p| golden_name(p)).collect();
        let Ok(entries) = std::fs::read_dir(self.golden_dir()) else { return Vec::new() };
        let mut orphans: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "snap"))
            .filter(|p| p.file_stem().is_none_or(|stem| !known.iter().any(|k| *k == *stem.to_string_lossy())))
            .collect();
        orphans.sort();
        orphans
    }

    /// The one-call form for a plain `#[test]`: checks `input` (a path
    /// relative to the root) and panics with the report unless it matches,
    /// leaving the new text as a pending `.snap.new` (except in CI).
    ///
    /// ```
    /// flowreplay::suite::Suite::builtin().root(env!("CARGO_MANIFEST_DIR")).assert_input("scenarios/fanout.toml");
    /// ```
    pub fn assert_input(&self, input: &str) {
        let input = self.resolve(Path::new(input));
        let check = self.check(&input).unwrap_or_else(|e| panic!("{}: {e}", self.display(&input)));
        if !matches!(check, Check::Pass) {
            panic!("{}", self.failure(&input, &check));
        }
    }

    /// A failed check's report, after leaving its new text pending.
    fn failure(&self, input: &Path, check: &Check) -> String {
        let pending = match self.write_pending(check) {
            Ok(Some(path)) => format!("the new text is in {}\n", self.display(&path)),
            Ok(None) => String::new(),
            Err(e) => format!("(could not write the new text: {e})\n"),
        };
        format!("{}{pending}", self.report(input, check))
    }
}
