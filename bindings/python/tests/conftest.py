"""Shared fixtures: the `vaultra` command, and datasets it generates at test time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import pytest

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "examples" / "data" / "sample-merchant"
END = date(2026, 11, 27)
KINDS = ("charges", "payouts", "disputes", "events")


def _binary() -> Path:
    configured = os.environ.get("VAULTRA_BIN")
    if configured:
        return Path(configured)
    built = ROOT / "target" / "debug" / "vaultra"
    if not built.exists():
        subprocess.run(
            ["cargo", "build", "--quiet", "-p", "vaultra-cli"], cwd=ROOT, check=True
        )
    return built


@pytest.fixture(scope="session")
def vaultra_bin() -> Path:
    """The `vaultra` command line (``$VAULTRA_BIN``, else ``target/debug/vaultra``)."""
    return _binary()


@dataclass
class Dataset:
    """An export folder and what to score it with."""

    name: str
    path: Path
    end: date
    currency: str
    cli: Path = field(repr=False)

    def lists(self) -> dict[str, Any]:
        """Each file as Python parsed it (a Stripe list object or an array), by kind."""
        out: dict[str, Any] = {}
        for kind in KINDS:
            file = self.path / f"{kind}.json"
            out[kind] = json.loads(file.read_text()) if file.exists() else None
        return out

    def objects(self) -> dict[str, list[dict[str, Any]]]:
        """Each file's objects as a list of dicts, by kind."""
        out = {}
        for kind, value in self.lists().items():
            if value is None:
                out[kind] = []
            elif isinstance(value, dict):
                out[kind] = value["data"]
            else:
                out[kind] = value
        return out

    def score_cli(self, *args: str, fmt: str = "json") -> str:
        """What ``vaultra score`` prints for this folder."""
        result = subprocess.run(
            [str(self.cli), "score", "--data", str(self.path), "--format", fmt, *args],
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout

    def contract(self, *args: str) -> dict[str, Any]:
        """The JSON contract for this folder, from the command line."""
        result: dict[str, Any] = json.loads(self.score_cli(*args))
        return result


def _generate(cli: Path, out: Path, profile: str, seed: int, currency: str, days: int = 75) -> None:
    subprocess.run(
        [
            str(cli), "generate", "--out", str(out), "--profile", profile, "--seed", str(seed),
            "--end", END.isoformat(), "--days", str(days), "--daily-charges", "15",
            "--currency", currency,
        ],
        check=True,
        capture_output=True,
    )


def _write(path: Path, objects: dict[str, list[dict[str, Any]]]) -> None:
    path.mkdir(parents=True, exist_ok=True)
    for kind, items in objects.items():
        (path / f"{kind}.json").write_text(json.dumps({"object": "list", "data": items}))


PROFILES = [
    ("steady-usd", "steady", 1, "usd"),
    ("seasonal-eur", "seasonal", 2, "eur"),
    ("growing-jpy", "growing", 3, "jpy"),
    ("declining-kwd", "declining", 4, "kwd"),
    ("chargeback-heavy-gbp", "chargeback-heavy", 5, "gbp"),
    ("payout-troubled-usd", "payout-troubled", 6, "usd"),
]


@pytest.fixture(scope="session")
def datasets(tmp_path_factory: pytest.TempPathFactory, vaultra_bin: Path) -> list[Dataset]:
    """Export folders generated with ``vaultra generate``, plus the sample merchant, a
    two-currency merchant and one whose export repeats objects."""
    base = tmp_path_factory.mktemp("datasets")
    out = [Dataset("sample-merchant", SAMPLE, END, "usd", vaultra_bin)]
    for name, profile, seed, currency in PROFILES:
        _generate(vaultra_bin, base / name, profile, seed, currency)
        out.append(Dataset(name, base / name, END, currency, vaultra_bin))

    # Two currencies in one account: the reporting currency is chosen by volume.
    _generate(vaultra_bin, base / "part-usd", "steady", 7, "usd", days=40)
    _generate(vaultra_bin, base / "part-eur", "growing", 8, "eur", days=40)
    usd = Dataset("", base / "part-usd", END, "usd", vaultra_bin).objects()
    eur = Dataset("", base / "part-eur", END, "eur", vaultra_bin).objects()
    _write(base / "mixed-usd-eur", {k: usd[k] + eur[k] for k in KINDS})
    out.append(Dataset("mixed-usd-eur", base / "mixed-usd-eur", END, "usd", vaultra_bin))

    # Overlapping export pages: later copies (refunded, paid) replace earlier ones.
    steady = out[1].objects()
    charges = steady["charges"]
    again = [dict(c, amount_refunded=c["amount"]) for c in charges[:40] if c["status"] == "succeeded"]
    payouts = steady["payouts"]
    flipped = [dict(p, status="failed") for p in payouts[:5]]
    _write(
        base / "duplicates",
        {
            "charges": charges + again,
            "payouts": payouts + flipped,
            "disputes": steady["disputes"] + steady["disputes"][:3],
            "events": steady["events"],
        },
    )
    out.append(Dataset("duplicates", base / "duplicates", END, "usd", vaultra_bin))
    return out


@pytest.fixture(scope="session")
def sample(datasets: list[Dataset]) -> Dataset:
    """The sample merchant shipped in examples/."""
    return datasets[0]


@pytest.fixture()
def workdir(tmp_path: Path) -> Iterator[Path]:
    """A scratch folder."""
    yield tmp_path
    shutil.rmtree(tmp_path, ignore_errors=True)
