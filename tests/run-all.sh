#!/usr/bin/env bash
# Runs every test of the project: the whole Rust workspace (unit, contract, property,
# CLI end-to-end) with cargo-nextest, then the doc tests (nextest does not run those).
set -euo pipefail
cd "$(dirname "$0")/.."

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --profile "${NEXTEST_PROFILE:-default}" --no-fail-fast
else
  echo "cargo-nextest not found; falling back to cargo test" >&2
  cargo test --workspace --locked --no-fail-fast --lib --bins --tests
fi
cargo test --workspace --locked --doc

# Python bindings: build the wheel into a fresh virtual environment, run pytest and the
# example notebook.
if [ -f bindings/python/run-tests.sh ]; then
  bash bindings/python/run-tests.sh
fi
