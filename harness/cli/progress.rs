//! Progress on stderr for long work: shown only on a terminal, only once
//! the work has taken a second, and never with `--quiet`. Plain text, no
//! colour, so there is nothing for `NO_COLOR` to turn off.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Set by `--quiet`.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Turns progress off for the rest of the process.
pub(crate) fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// How long work runs before its progress appears.
const AFTER: Duration = Duration::from_secs(1);

/// A progress bar, or nothing where progress is not wanted.
pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    fn new(total: Option<u64>, template: &str, label: &str) -> Progress {
        if QUIET.load(Ordering::Relaxed) || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(label.to_string());
        if total.is_none() {
            bar.enable_steady_tick(Duration::from_millis(200));
        }
        Progress(Some(bar))
    }

    /// Items done out of `total`.
    pub(crate) fn count(total: u64, label: &str) -> Progress {
        Progress::new(Some(total), "{msg} [{bar:30}] {pos}/{len} ({elapsed})", label)
    }

    /// Bytes read out of `total`.
    pub(crate) fn bytes(total: u64, label: &str) -> Progress {
        Progress::new(Some(total), "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)", label)
    }

    /// Work of unknown length: a spinner with the time spent.
    pub(crate) fn spinner(label: &str) -> Progress {
        let progress = Progress::new(None, "{spinner} {msg} ({elapsed})", label);
        if let Some(bar) = &progress.0 {
            // A steady tick draws even when nobody advances it: show it after the delay.
            let bar = bar.clone();
            std::thread::spawn(move || {
                std::thread::sleep(AFTER);
                if !bar.is_finished() {
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                }
            });
        }
        progress
    }

    /// Moves the count on by `n`.
    pub(crate) fn advance(&self, n: u64) {
        self.set(self.0.as_ref().map_or(0, |bar| bar.position()) + n);
    }

    /// Sets the count.
    pub(crate) fn set(&self, position: u64) {
        let Some(bar) = &self.0 else { return };
        bar.set_position(position);
        if bar.is_hidden() && bar.elapsed() >= AFTER {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    /// Prints a line on stdout, the bar hidden meanwhile.
    pub(crate) fn println(&self, line: &str) {
        match &self.0 {
            Some(bar) => bar.suspend(|| println!("{line}")),
            None => println!("{line}"),
        }
    }

    /// Removes the bar.
    pub(crate) fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
