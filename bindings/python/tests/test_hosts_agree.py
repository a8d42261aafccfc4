"""Every host answers through one application layer, so they agree.

One store (`vaultra demo`: synced data, stored scores and recommendations), one
recommendation dismissed by its owner inside its 30 days, then the same questions to the
`vaultra` command, to `vaultra mcp` (through the official MCP SDK) and to
`vaultra.Client`: the same report, the same `history_days`, the same top
recommendations — with the dismissed code left out by all three.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

import vaultra


def _micros(seconds: float) -> int:
    return int(seconds * 1_000_000)


def _run(vaultra_bin: Path, cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [str(vaultra_bin), *args], cwd=cwd, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, (args, done.stderr)
    return done.stdout


def _mcp(vaultra_bin: Path, cwd: Path, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async def main() -> list[Any]:
        params = StdioServerParameters(command=str(vaultra_bin), args=["mcp"], cwd=str(cwd))
        async with stdio_client(params) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                out = []
                for name, args in calls:
                    result = await session.call_tool(name, args)
                    assert not result.is_error, (name, result.content)
                    out.append(result.structured_content)
                return out

    return asyncio.run(main())


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory, vaultra_bin: Path) -> tuple[Path, str, str]:
    """A demo store with one stored recommendation dismissed a day ago."""
    cwd = tmp_path_factory.mktemp("hosts")
    demo = json.loads(_run(vaultra_bin, cwd, "demo", "--format", "json"))
    business = demo["business"]["id"]
    pending = [r for r in demo["recommendations"] if r["status"] == "pending"]
    assert pending, "the demo stores pending recommendations"
    dismissed = pending[0]["code"]
    # The owner dismisses it (what PATCH .../recommendations/{id} does), a day ago.
    # SQLite keeps times as microseconds since the epoch.
    day_ago = _micros(time.time() - 86_400)
    db = sqlite3.connect(cwd / "vaultra.db")
    with db:
        changed = db.execute(
            "UPDATE recommendations SET status = 'dismissed', status_changed_at = ?, "
            "updated_at = ? WHERE code = ? AND status = 'pending'",
            (day_ago, day_ago, dismissed),
        ).rowcount
    db.close()
    assert changed == 1
    return cwd, business, dismissed


def test_cli_mcp_and_python_agree(store: tuple[Path, str, str], vaultra_bin: Path) -> None:
    cwd, business, dismissed = store
    url = f"sqlite://{cwd / 'vaultra.db'}"

    # The command line.
    cli_report = json.loads(_run(vaultra_bin, cwd, "report", "--business", business, "--format", "json"))
    cli_text = _run(vaultra_bin, cwd, "report", "--business", business, "--format", "text")
    cli_top = json.loads(
        _run(vaultra_bin, cwd, "recommendations", "--business", business, "--limit", "20", "--format", "json")
    )
    cli_context = json.loads(_run(vaultra_bin, cwd, "business", "show", "--business", business, "--format", "json"))

    # The MCP server.
    summary, breakdown, top, context = _mcp(
        vaultra_bin,
        cwd,
        [
            ("get_metric_summary", {"business_id": business}),
            ("get_readiness_breakdown", {"business_id": business}),
            ("get_top_recommendations", {"business_id": business, "limit": 20}),
            ("get_business_context", {"business_id": business}),
        ],
    )

    # Python.
    client = vaultra.Client(url)
    py_report = client.report(business).to_dict()
    py_top = client.top_recommendations(business, limit=20)
    py_context = client.business_context(business)

    # The same report.
    assert py_report == cli_report
    assert summary["metrics"] == cli_report["metrics"]
    assert summary["window"] == cli_report["window"]
    assert breakdown["readiness"] == cli_report["readiness"]
    assert client.report(business).to_text() == cli_text

    # The same history_days: through yesterday (the default window's last day),
    # inclusive, everywhere.
    days = cli_context["freshness"]["history_days"]
    assert days > 0
    assert context["freshness"]["history_days"] == days
    assert summary["freshness"]["history_days"] == days
    assert breakdown["freshness"]["history_days"] == days
    assert py_context["freshness"]["history_days"] == days
    assert cli_context["freshness"]["history_through"] == cli_report["window"]["end_date"]

    # The same top recommendations, the dismissed code left out by every host.
    cli_codes = [r["code"] for r in cli_top["recommendations"]]
    assert dismissed not in cli_codes
    assert dismissed in [r["code"] for r in cli_report["recommendations"]], (
        "the dismissed code still fires, so leaving it out is the lifecycle's doing"
    )
    assert [r["code"] for r in top["recommendations"]] == cli_codes
    assert [r["code"] for r in py_top["recommendations"]] == cli_codes
    for ours, theirs in [(cli_top, top), (cli_top, py_top)]:
        for a, b in zip(ours["recommendations"], theirs["recommendations"], strict=True):
            assert a["description"] == b["description"]
            assert a.get("status") == b.get("status")
            assert a.get("id") == b.get("id")
    assert cli_top["score"] == top["score"] == py_top["score"] == cli_report["readiness"]["score"]


def test_a_dismissal_older_than_thirty_days_no_longer_hides_the_code(
    store: tuple[Path, str, str], vaultra_bin: Path
) -> None:
    cwd, business, dismissed = store
    db = sqlite3.connect(cwd / "vaultra.db")
    with db:
        db.execute(
            "UPDATE recommendations SET status_changed_at = ? WHERE code = ? AND status = 'dismissed'",
            (_micros(time.time() - 31 * 86_400), dismissed),
        )
    db.close()
    cli_top = json.loads(
        _run(vaultra_bin, cwd, "recommendations", "--business", business, "--limit", "20", "--format", "json")
    )
    codes = [r["code"] for r in cli_top["recommendations"]]
    assert dismissed in codes
    (top,) = _mcp(vaultra_bin, cwd, [("get_top_recommendations", {"business_id": business, "limit": 20})])
    assert [r["code"] for r in top["recommendations"]] == codes
    py = vaultra.Client(f"sqlite://{cwd / 'vaultra.db'}").top_recommendations(business, limit=20)
    assert [r["code"] for r in py["recommendations"]] == codes


def test_the_default_window_is_the_cores(store: tuple[Path, str, str], vaultra_bin: Path) -> None:
    # No host picks "yesterday" itself: Python's score without as_of equals the CLI's.
    cwd, _, _ = store
    data = cwd / "export"
    _run(vaultra_bin, cwd, "generate", "--out", str(data))
    assert vaultra.score(str(data)).to_dict() == json.loads(
        _run(vaultra_bin, cwd, "score", "--data", str(data), "--format", "json")
    )
    assert os.path.exists(data / "charges.json")
