"""`vaultra.score(...).to_dict()` is exactly what `vaultra score --format json` prints,
whatever form the data takes: a folder, `load_export`, lists of dicts, DataFrames."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

import vaultra

from .conftest import KINDS, Dataset

# (label, keyword arguments for vaultra.score, matching `vaultra score` arguments)
OPTIONS: list[tuple[str, dict[str, Any], list[str]]] = [
    ("30-days", {}, []),
    ("7-days", {"window_days": 7}, ["--window-days", "7"]),
    ("90-days-earlier", {"window_days": 90, "shift": 9}, ["--window-days", "90"]),
    ("own-currency-upper", {"currency": "UPPER"}, []),
    ("other-currency", {"currency": "chf"}, ["--currency", "chf"]),
]


def _arguments(ds: Dataset, options: dict[str, Any], cli: list[str]) -> tuple[dict[str, Any], list[str]]:
    options = dict(options)
    as_of = ds.end - timedelta(days=options.pop("shift", 0))
    if options.get("currency") == "UPPER":
        options["currency"] = ds.currency.upper()
        cli = [*cli, "--currency", ds.currency.upper()]
    return {**options, "as_of": as_of}, ["--as-of", as_of.isoformat(), *cli]


@pytest.fixture(scope="module", params=range(9), ids=lambda i: [
    "sample-merchant", "steady-usd", "seasonal-eur", "growing-jpy", "declining-kwd",
    "chargeback-heavy-gbp", "payout-troubled-usd", "mixed-usd-eur", "duplicates",
][i])
def dataset(request: pytest.FixtureRequest, datasets: list[Dataset]) -> Dataset:
    ds: Dataset = datasets[request.param]
    return ds


@pytest.mark.parametrize("label, options, cli", OPTIONS, ids=[o[0] for o in OPTIONS])
def test_every_input_form_matches_the_cli(
    dataset: Dataset, label: str, options: dict[str, Any], cli: list[str]
) -> None:
    kwargs, args = _arguments(dataset, options, cli)
    expected = dataset.contract(*args)

    from_folder = vaultra.score(dataset.path, **kwargs).to_dict()
    assert from_folder == expected

    loaded = vaultra.load_export(dataset.path)
    assert vaultra.score(loaded, **kwargs).to_dict() == expected

    lists = dataset.lists()
    from_lists = vaultra.score(*(lists[k] for k in KINDS), **kwargs).to_dict()
    assert from_lists == expected

    objects = dataset.objects()
    from_dicts = vaultra.score(*(objects[k] for k in KINDS), **kwargs).to_dict()
    assert from_dicts == expected

    if dataset.name != "duplicates":  # DataFrame rows are taken as they are
        frames = [pd.DataFrame(objects[k]) for k in KINDS]
        assert vaultra.score(*frames, **kwargs).to_dict() == expected


def test_duplicates_are_counted_once(datasets: list[Dataset]) -> None:
    dup = next(d for d in datasets if d.name == "duplicates")
    objects = dup.objects()
    frames = [pd.DataFrame(objects[k]).drop_duplicates("id", keep="last") for k in KINDS]
    expected = dup.contract("--as-of", dup.end.isoformat())
    assert vaultra.score(*frames, as_of=dup.end).to_dict() == expected
    # ...and the copies changed the result, so the test means something.
    first = next(d for d in datasets if d.name == "steady-usd")
    assert first.contract("--as-of", first.end.isoformat()) != expected


def test_pretty_json_and_text_are_byte_identical(sample: Dataset) -> None:
    report = vaultra.score(sample.path, as_of=sample.end)
    assert report.to_json(indent=2) + "\n" == sample.score_cli("--as-of", sample.end.isoformat())
    assert report.to_text() == sample.score_cli("--as-of", sample.end.isoformat(), fmt="text")
    assert str(report) == report.to_text()


def test_policy_file_matches_the_cli(sample: Dataset, tmp_path: Any, vaultra_bin: Any) -> None:
    import json
    import subprocess

    policy = json.loads(subprocess.run([str(vaultra_bin), "policy"], capture_output=True, text=True, check=True).stdout)
    policy["name"] = "strict"
    policy["base_score"] = 40
    path = tmp_path / "strict.json"
    path.write_text(json.dumps(policy))
    expected = sample.contract("--as-of", sample.end.isoformat(), "--policy", str(path))
    assert vaultra.score(sample.path, as_of=sample.end, policy=path).to_dict() == expected
    assert vaultra.score(sample.path, as_of=sample.end, policy=str(path)).to_dict() == expected
    assert vaultra.score(sample.path, as_of=sample.end, policy=policy).to_dict() == expected
    assert expected["readiness"]["policy"] == "strict"


def test_default_as_of_is_yesterday(sample: Dataset) -> None:
    from datetime import datetime, timezone

    yesterday = datetime.now(timezone.utc).date() - timedelta(days=1)
    report = vaultra.score(sample.path)
    assert report.window.end_date == yesterday
    assert isinstance(report.window.end_date, date)
