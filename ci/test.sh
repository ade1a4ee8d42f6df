#!/usr/bin/env bash
# The project's test command, as the README gives it: formatting, lints, then
# every test (unit, integration, doc). CI runs this through .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
