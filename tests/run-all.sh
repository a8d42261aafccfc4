#!/usr/bin/env bash
# Runs every test of the project: the whole Rust workspace (unit, contract, property,
# CLI end-to-end, the storage contract on SQLite and PostgreSQL) with cargo-nextest, the
# doc tests, then the suites outside Rust (Stripe and MCP protocol proofs with official
# clients, the Python bindings).
#
# PostgreSQL: VAULTRA_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres)
# must reach a server where the user may create databases; each test creates its own
# database and drops it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

export VAULTRA_TEST_POSTGRES_URL="${VAULTRA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --profile "${NEXTEST_PROFILE:-default}" --no-fail-fast
else
  echo "cargo-nextest not found; falling back to cargo test" >&2
  cargo test --workspace --locked --no-fail-fast --lib --bins --tests
fi
cargo test --workspace --locked --doc

# The embedding example with a store runs and prints a report.
cargo run --quiet --locked -p vaultra-examples --bin store-in-rust | grep -q "FUNDING READINESS REPORT"

# Stripe: the official Python client against our fake server, and webhook signatures
# made by the official package against our verifier.
if [ -f tests/stripe-fake/python/run.sh ]; then
  bash tests/stripe-fake/python/run.sh
fi

# MCP: the official Python SDK and the MCP Inspector CLI against `vaultra mcp`.
if [ -f tests/mcp/run.sh ]; then
  bash tests/mcp/run.sh
fi

# Python bindings: build the wheel into a fresh virtual environment, run pytest and the
# example notebook.
if [ -f bindings/python/run-tests.sh ]; then
  bash bindings/python/run-tests.sh
fi
