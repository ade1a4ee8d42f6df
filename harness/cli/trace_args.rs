//! The trace flags `run` and `replay` share: format, body capture and
//! sampling. Each overrides what a scenario's `[trace]` section says.

use crate::trace::export::Format;
use crate::trace::{RedactPath, TraceSettings};
use clap::Args;

use super::Failure;

/// Trace flags.
#[derive(Debug, Args)]
pub(crate) struct TraceArgs {
    /// Trace file format: ndjson, elfo, chrome (Perfetto), dot or mermaid (data-flow graph).
    #[arg(long, value_parser = parse_format)]
    format: Option<Format>,
    /// Capture message bodies in the trace (off by default: checksums only).
    #[arg(long)]
    bodies: bool,
    /// Hide this body field (a JSON pointer such as /card/number; `*` matches any key); implies --bodies.
    #[arg(long, value_name = "POINTER", value_parser = RedactPath::parse)]
    redact: Vec<RedactPath>,
    /// Keep this share of traces (0 to 1), chosen by the seed; metrics still count everything.
    #[arg(long, value_name = "RATE")]
    sample: Option<f64>,
    /// With --sample: always keep events at this actor (repeatable).
    #[arg(long, value_name = "NODE")]
    always_actor: Vec<String>,
    /// With --sample: always keep messages with this name (repeatable).
    #[arg(long, value_name = "NAME")]
    always_message: Vec<String>,
    /// Never keep events at this actor, whatever the --always-* flags say (repeatable).
    #[arg(long, value_name = "NODE")]
    never_actor: Vec<String>,
    /// Never keep messages with this name, whatever the --always-* flags say (repeatable).
    #[arg(long, value_name = "NAME")]
    never_message: Vec<String>,
}

fn parse_format(text: &str) -> Result<Format, String> {
    text.parse()
}

impl TraceArgs {
    /// The settings: `defaults` (a scenario's `[trace]`), overridden by the flags given.
    pub(crate) fn settings(&self, defaults: TraceSettings) -> Result<TraceSettings, Failure> {
        let mut settings = defaults;
        if let Some(format) = self.format {
            settings.format = format;
        }
        if self.bodies || !self.redact.is_empty() {
            settings.capture.enabled = true;
        }
        settings.capture.redact.extend(self.redact.iter().cloned());
        let lists = [&self.always_actor, &self.always_message, &self.never_actor, &self.never_message];
        if self.sample.is_some() || lists.iter().any(|l| !l.is_empty()) {
            let mut sampling = settings.sampling.take().unwrap_or_default();
            if let Some(rate) = self.sample {
                sampling.rate = rate;
            }
            sampling.always_actors.extend(self.always_actor.iter().cloned());
            sampling.always_messages.extend(self.always_message.iter().cloned());
            sampling.never_actors.extend(self.never_actor.iter().cloned());
            sampling.never_messages.extend(self.never_message.iter().cloned());
            sampling.validate().map_err(|e| Failure::BadInput(format!("--sample: {e}")))?;
            settings.sampling = Some(sampling);
        }
        Ok(settings)
    }

    /// Refuses trace flags when no trace is written: they would do nothing.
    pub(crate) fn check_written(&self, out: Option<&std::path::PathBuf>) -> Result<(), Failure> {
        if out.is_none() && !self.reproduce().is_empty() {
            return Err(Failure::BadInput(format!(
                "{} shape the trace file: add --out FILE",
                self.reproduce().trim_start()
            )));
        }
        Ok(())
    }

    /// The flags as given, for a reproduce line.
    pub(crate) fn reproduce(&self) -> String {
        let mut line = String::new();
        if let Some(format) = self.format {
            line += &format!(" --format {format}");
        }
        if self.bodies {
            line += " --bodies";
        }
        for path in &self.redact {
            line += &format!(" --redact {}", path.as_str());
        }
        if let Some(rate) = self.sample {
            line += &format!(" --sample {rate}");
        }
        let lists = [
            ("always-actor", &self.always_actor),
            ("always-message", &self.always_message),
            ("never-actor", &self.never_actor),
            ("never-message", &self.never_message),
        ];
        for (flag, values) in lists {
            for value in values {
                line += &format!(" --{flag} {value}");
            }
        }
        line
    }
}
