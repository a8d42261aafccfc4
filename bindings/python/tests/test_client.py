"""`vaultra.Client` against a store written by `vaultra demo`: its answers equal the
demo's JSON and `vaultra report --format json` on the same database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

import vaultra
from vaultra._client import _typed


@dataclass
class Demo:
    url: str
    directory: Path
    output: dict[str, Any]
    business: str


def _postgres_database(base: str, name: str) -> str:
    """``base`` (a PostgreSQL URL) pointing at database ``name`` instead."""
    url, _, query = base.partition("?")
    return url.rsplit("/", 1)[0] + "/" + name + ("?" + query if query else "")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(
    request: pytest.FixtureRequest, vaultra_bin: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Demo]:
    """`vaultra demo` in a fresh directory (SQLite) or a fresh database (PostgreSQL, when
    ``VAULTRA_TEST_POSTGRES_URL`` names a server where we may create one): a store with a
    demo business, its score history and recommendations."""
    directory = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    cleanup = None
    if request.param == "postgres":
        base = os.environ.get("VAULTRA_TEST_POSTGRES_URL")
        if not base or shutil.which("psql") is None:
            pytest.skip("needs VAULTRA_TEST_POSTGRES_URL and psql")
        name = f"vaultra_py_{uuid.uuid4().hex[:12]}"
        subprocess.run(["psql", base, "-qAtc", f"create database {name}"], check=True, capture_output=True)
        cleanup = ["psql", base, "-qAtc", f"drop database if exists {name} with (force)"]
        url = _postgres_database(base, name)
        env["DATABASE_URL"] = url
    else:
        url = f"sqlite://{directory / 'vaultra.db'}"
    try:
        run = subprocess.run(
            [str(vaultra_bin), "demo", "--format", "json"],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        output = json.loads(run.stdout)
        if request.param == "sqlite":
            assert (directory / "vaultra.db").exists()  # the command's default store
        yield Demo(url, directory, output, output["business"]["id"])
    finally:
        if cleanup is not None:
            subprocess.run(cleanup, check=False, capture_output=True)


@pytest.fixture(scope="module")
def client(demo: Demo) -> vaultra.Client:
    return vaultra.Client(demo.url)


def cli_report(vaultra_bin: Path, demo: Demo, *args: str) -> dict[str, Any]:
    run = subprocess.run(
        [str(vaultra_bin), "report", "--business", demo.business, "--format", "json", *args],
        cwd=demo.directory,
        env={**os.environ, "DATABASE_URL": demo.url},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(run.stdout)
    return result


def test_businesses(client: vaultra.Client, demo: Demo) -> None:
    businesses = client.businesses()
    assert [b["id"] for b in businesses] == [demo.business]
    assert businesses[0] == _typed(demo.output["business"])
    assert businesses[0]["name"].startswith("Northwind Coffee Roasters")
    created = businesses[0]["created_at"]
    assert isinstance(created, datetime) and created.tzinfo is not None


def test_latest_metrics_equal_the_demo_report(client: vaultra.Client, demo: Demo) -> None:
    latest = client.latest_metrics(demo.business)
    assert latest is not None
    assert latest["metrics"] == _typed(demo.output["report"]["metrics"])
    assert isinstance(latest["metrics"]["revenue_total"], Decimal)
    assert latest["metrics"]["revenue_total"] > 0
    assert latest["window"] == _typed(demo.output["data"]["window"])
    assert isinstance(latest["window"]["end_date"], date)
    assert latest["currency"] == demo.output["data"]["currency"]
    assert latest["history_days"] == demo.output["data"]["history_days"]
    assert isinstance(latest["computed_at"], datetime)
    # The same as a uuid.UUID.
    assert client.latest_metrics(uuid.UUID(demo.business)) == latest


def test_score_history_equals_the_demo(client: vaultra.Client, demo: Demo) -> None:
    history = demo.output["history"]
    assert len(history) > 1
    assert client.score_history(demo.business, limit=len(history)) == _typed(history)
    assert client.score_history(demo.business, limit=1) == _typed(history[:1])
    everything = client.score_history(demo.business)
    assert len(everything) >= len(history)
    times = [h["computed_at"] for h in everything]
    assert times == sorted(times, reverse=True)  # newest first
    assert all(isinstance(h["score"], int) for h in everything)


def test_recommendations_equal_the_demo(client: vaultra.Client, demo: Demo) -> None:
    pending = client.recommendations(demo.business, status="pending")
    assert pending and pending == _typed(demo.output["recommendations"])
    assert client.recommendations(demo.business) == pending  # nothing accepted or dismissed
    assert client.recommendations(demo.business, status="dismissed") == []
    high = client.recommendations(demo.business, priority="high")
    assert high == [r for r in pending if r["priority"] == "high"]


def test_report_equals_the_command(client: vaultra.Client, demo: Demo, vaultra_bin: Path) -> None:
    end = demo.output["data"]["window"]["end_date"]
    report = client.report(demo.business, as_of=end)
    assert report.to_dict() == cli_report(vaultra_bin, demo, "--as-of", end)
    # The demo's report is the one from the latest snapshot, over the same window.
    assert report.to_dict() == demo.output["report"]
    day = date.fromisoformat(end) - timedelta(days=20)
    other = client.report(demo.business, as_of=day, window_days=14)
    assert other.to_dict() == cli_report(vaultra_bin, demo, "--as-of", day.isoformat(), "--window-days", "14")
    assert other.to_dict() != report.to_dict()


def test_report_defaults_to_yesterday(client: vaultra.Client, demo: Demo, vaultra_bin: Path) -> None:
    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    report = client.report(demo.business)
    assert report.window.end_date == yesterday
    assert report.to_dict() == cli_report(vaultra_bin, demo, "--as-of", yesterday.isoformat())


def test_errors(client: vaultra.Client, demo: Demo, tmp_path: Path) -> None:
    unknown = str(uuid.uuid4())
    for call in (
        lambda: client.report(unknown),
        lambda: client.latest_metrics(unknown),
        lambda: client.score_history(unknown),
        lambda: client.recommendations(unknown),
    ):
        with pytest.raises(vaultra.NotFound):
            call()
    with pytest.raises(vaultra.InvalidInput, match="business_id"):
        client.latest_metrics("not-a-uuid")
    with pytest.raises(vaultra.InvalidInput, match="status"):
        client.recommendations(demo.business, status="done")
    with pytest.raises(vaultra.InvalidInput, match="priority"):
        client.recommendations(demo.business, priority="urgent")
    with pytest.raises(vaultra.InvalidInput, match="limit"):
        client.score_history(demo.business, limit=0)
    with pytest.raises(vaultra.InvalidInput, match="window_days"):
        client.report(demo.business, window_days=1)
    with pytest.raises(vaultra.InvalidInput, match="database_url"):
        vaultra.Client("mysql://localhost/vaultra")
    with pytest.raises(vaultra.VaultraError):
        vaultra.Client(f"sqlite://{tmp_path / 'missing-dir' / 'x.db'}")
    with pytest.raises(TypeError):
        client.latest_metrics(42)  # type: ignore[arg-type]


def test_empty_store(tmp_path: Path) -> None:
    empty = vaultra.Client(f"sqlite://{tmp_path / 'empty.db'}")
    assert empty.businesses() == []
    assert "empty.db" in repr(empty)


def test_calls_release_the_gil(client: vaultra.Client, demo: Demo) -> None:
    expected = client.score_history(demo.business)
    results: list[Any] = []

    def work() -> None:
        for _ in range(5):
            results.append(client.score_history(demo.business))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and all(r == expected for r in results)
