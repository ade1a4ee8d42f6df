#!/usr/bin/env bash
# The project's test command, as the README gives it, for every workspace
# member: formatting, lints, every test (unit, integration, doc, the golden
# suites), the library built without its CLI, and the README's "Test your own
# system" walkthrough. CI runs this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
cargo build -p flowreplay --no-default-features --locked
if cargo tree -p flowreplay --no-default-features -e normal --locked | grep -qE '^.* (clap|glob|mimalloc|indicatif|libtest-mimic|proptest) v'; then
  echo "the library without default features still pulls in a CLI crate" >&2
  exit 1
fi
bash ci/walkthrough.sh
