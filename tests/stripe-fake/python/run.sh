#!/usr/bin/env bash
# Proof from outside, with Stripe's official Python package (pinned in requirements.txt):
#  (a) it signs webhook deliveries that our Rust verifier must accept, and tampered,
#      expired, wrong-secret and malformed ones it must reject;
#  (b) its own client lists, pages, filters and retrieves from our fake Stripe server;
#  (c) deliveries it signs are handled end to end by `vaultra stripe webhook` (verified,
#      recorded once, applied to a SQLite store).
#
# Creates (or reuses) a virtual environment under the cargo target directory, builds the
# fake server and the verifier example, starts the server on a free port, runs pytest
# and stops the server. Needs python3 (>= 3.10) with venv, and PyPI for the first run.
# Exits with pytest's status. Usage: bash tests/stripe-fake/python/run.sh [pytest args]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

python="${PYTHON:-python3}"
target_dir="$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
  | "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' \
  || echo "$root/target")"
venv="$target_dir/py-stripe-venv"

echo "==> Python venv with the official stripe package ($venv)"
if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$here/requirements.txt" </dev/null

echo "==> Building the fake server, the webhook verifier and the vaultra command"
cargo build --quiet --locked -p vaultra-stripe-fake --bin vaultra-stripe-fake
cargo build --quiet --locked -p vaultra-adapters --example verify_webhook
cargo build --quiet --locked -p vaultra-cli --bin vaultra
fake_bin="$target_dir/debug/vaultra-stripe-fake"
verify_bin="$target_dir/debug/examples/verify_webhook"
cli_bin="$target_dir/debug/vaultra"

work="$(mktemp -d)"
fake_pid=""
cleanup() {
  if [ -n "$fake_pid" ] && kill -0 "$fake_pid" 2>/dev/null; then
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "==> Starting the fake Stripe server"
"$fake_bin" --port 0 --seed 11 --profile steady --days 60 \
  >"$work/ready" 2>"$work/fake.log" </dev/null &
fake_pid=$!
for _ in $(seq 1 200); do
  [ -s "$work/ready" ] && break
  if ! kill -0 "$fake_pid" 2>/dev/null; then
    echo "the fake server exited before it was ready:" >&2
    cat "$work/fake.log" >&2
    exit 1
  fi
  sleep 0.05
done
if [ ! -s "$work/ready" ]; then
  echo "the fake server did not start within 10 s" >&2
  cat "$work/fake.log" >&2
  exit 1
fi
VAULTRA_STRIPE_FAKE="$(head -n 1 "$work/ready")"
echo "    $VAULTRA_STRIPE_FAKE"
export VAULTRA_STRIPE_FAKE
export VAULTRA_VERIFY_WEBHOOK="$verify_bin"
export VAULTRA_CLI="$cli_bin"
# The requests library honours proxy variables; the fake is on loopback.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

echo "==> pytest"
status=0
"$venv/bin/python" -m pytest "$here" -p no:cacheprovider -v "$@" </dev/null || status=$?
exit "$status"
