#!/usr/bin/env bash
# Tests of the Python bindings, from scratch:
#   1. a fresh virtual environment with the pinned test tools (requirements-test.txt);
#   2. `pip install ./bindings/python`: maturin builds the wheel through PEP 517;
#   3. pytest (parity with the `vaultra` command, DataFrame = dicts, errors, API);
#   4. mypy.stubtest on the native module's stubs, mypy --strict on the package;
#   5. the example notebook, executed headless with nbclient;
#   6. a smoke run of the DataFrame benchmark (agreement only, never a timed assertion).
# Works with no stdin and CI=true; needs Python >= 3.10, cargo, and PyPI.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"
HERE="$ROOT/bindings/python"
PYTHON="${PYTHON:-python3}"
VENV="${VAULTRA_PY_VENV:-$ROOT/target/python-tests/venv}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off
export MPLBACKEND=Agg

echo "== python bindings: fresh virtual environment ($VENV)"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install --quiet -r "$HERE/requirements-test.txt"
# Pin the build backend inside pip's isolated build environment too.
export PIP_CONSTRAINT="$HERE/requirements-test.txt"

echo "== python bindings: the vaultra command (for parity tests)"
cargo build --quiet --locked -p vaultra-cli
export VAULTRA_BIN="$ROOT/target/debug/vaultra"

echo "== python bindings: pip install ./bindings/python (maturin, release build)"
"$PY" -m pip install --quiet ./bindings/python
# The tests must import the installed wheel, not the source tree.
(cd "$VENV" && "$PY" -c "import vaultra, sys; print('vaultra', vaultra.__version__, 'from', vaultra.__file__)")

echo "== python bindings: stubs (mypy.stubtest) and types (mypy --strict)"
(cd "$HERE" && "$PY" -m mypy.stubtest vaultra._vaultra --mypy-config-file pyproject.toml)
(cd "$HERE" && "$PY" -m mypy --config-file pyproject.toml python/vaultra)

echo "== python bindings: example notebook (nbclient, headless)"
"$PY" -m ipykernel install --sys-prefix --name vaultra-tests --display-name "vaultra tests" >/dev/null
"$PY" - "$ROOT/examples/score_in_python.ipynb" "$ROOT/target/python-tests/score_in_python.out.ipynb" <<'PYEOF'
import sys
import nbformat
from nbclient import NotebookClient

source, output = sys.argv[1], sys.argv[2]
nb = nbformat.read(source, as_version=4)
client = NotebookClient(
    nb, timeout=600, kernel_name="vaultra-tests", resources={"metadata": {"path": str(__import__("pathlib").Path(source).parent)}}
)
client.execute()
nbformat.write(nb, output)
cells = sum(1 for c in nb.cells if c.cell_type == "code")
print(f"notebook: {cells} code cells executed without error ({output})")
PYEOF

echo "== python bindings: benchmark smoke run (pandas and vaultra agree; not timed)"
"$PY" "$HERE/bench/bench_dataframe.py" --charges 20000 --repeat 1 --dtypes str,object,category,arrow
"$PY" "$HERE/bench/bench_dataframe.py" --charges 20000 --repeat 1 --dtypes str,arrow --shuffle-ids --no-drop-duplicates --floor

echo "== python bindings: pytest"
cd "$HERE"
"$PY" -m pytest -p no:cacheprovider tests
