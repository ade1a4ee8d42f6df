#!/usr/bin/env bash
# Runs the README's "Test your own system" commands, exactly as written (the
# sh block after `<!-- walkthrough -->`), in a copy of starter/ that depends on
# this checkout. A line whose comment starts with `fails` must fail; every
# other line must succeed.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$repo/starter" "$work/my-desk"
cp "$repo/Cargo.lock" "$work/my-desk/"
sed -i "s|flowreplay = { path = \"..\" }|flowreplay = { path = \"$repo\" }|" "$work/my-desk/Cargo.toml"
export CARGO_TARGET_DIR="$repo/target/walkthrough"
# The walkthrough is a developer's local session: CI's own CI=true would
# forbid its bless. Its last command sets CI=true itself.
unset CI
commands="$(awk '/<!-- walkthrough -->/{found=1; next} found && /^```sh/{inside=1; next} inside && /^```/{exit} inside' "$repo/README.md")"
[ -n "$commands" ] || { echo "walkthrough: no commands found in README.md" >&2; exit 1; }
cd "$work/my-desk"
while IFS= read -r line; do
  [ -n "$line" ] || continue
  command="${line%%#*}"
  echo "walkthrough\$ $command"
  if [[ "$line" == *"# fails"* ]]; then
    if bash -c "$command" > out.log 2>&1; then
      cat out.log; echo "walkthrough: expected to fail: $command" >&2; exit 1
    fi
    # What it said, without the test runner's own summary lines (this
    # failure is the expected one).
    echo "  failed as expected:"
    grep -E "first divergence|no golden at" out.log | head -3 | sed 's/^/    /'

  else
    bash -c "$command" > out.log 2>&1 || { cat out.log; echo "walkthrough: failed: $command" >&2; exit 1; }
  fi
done <<< "$commands"
rm -f out.log
echo "walkthrough: every README command did what it says"
