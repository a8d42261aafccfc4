"""DataFrame input equals dict input, whatever dtypes pandas chose for the columns."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

import vaultra

from .conftest import KINDS, Dataset

try:
    import pyarrow as pa
except ImportError:  # pragma: no cover - pyarrow is optional
    pa = None

needs_arrow = pytest.mark.skipif(pa is None, reason="needs pyarrow")


@pytest.fixture(scope="module")
def seasonal(datasets: list[Dataset]) -> Dataset:
    return next(d for d in datasets if d.name == "seasonal-eur")


@pytest.fixture(scope="module")
def expected(seasonal: Dataset) -> dict[str, Any]:
    objects = seasonal.objects()
    return vaultra.score(*(objects[k] for k in KINDS), as_of=seasonal.end).to_dict()


def _frames(ds: Dataset) -> list[pd.DataFrame]:
    objects = ds.objects()
    return [pd.DataFrame(objects[k]) for k in KINDS]


def _score(frames: list[pd.DataFrame], ds: Dataset) -> dict[str, Any]:
    return vaultra.score(*frames, as_of=ds.end).to_dict()


STRING_COLUMNS = ["id", "object", "currency", "status"]


def _as(dtype: Any) -> Callable[[pd.Series], pd.Series]:
    return lambda s: s.astype(dtype)


CONVERSIONS: dict[str, Callable[[pd.Series], pd.Series]] = {
    "object": _as(object),
    "str": _as("str"),
    "python-string": _as(pd.StringDtype("python")),
    "category": _as("category"),
}
if pa is not None:
    CONVERSIONS["string[pyarrow]"] = _as("string[pyarrow]")
    CONVERSIONS["arrow-string"] = _as(pd.ArrowDtype(pa.string()))
    CONVERSIONS["arrow-large-string"] = _as(pd.ArrowDtype(pa.large_string()))
    CONVERSIONS["arrow-dictionary"] = lambda s: pd.Series(
        pd.arrays.ArrowExtensionArray(pa.chunked_array([pa.array(s.astype(object)).dictionary_encode()])),
        index=s.index,
    )


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_string_dtypes(name: str, seasonal: Dataset, expected: dict[str, Any]) -> None:
    frames = _frames(seasonal)
    charges = frames[0]
    for column in STRING_COLUMNS:
        charges[column] = CONVERSIONS[name](charges[column])
    assert _score(frames, seasonal) == expected


def test_charges_only_columns_vaultra_reads(seasonal: Dataset, expected: dict[str, Any]) -> None:
    frames = _frames(seasonal)
    frames[0] = frames[0][["id", "created", "amount", "amount_refunded", "currency", "status", "captured"]]
    assert _score(frames, seasonal) == expected


def test_timestamps_as_datetimes(seasonal: Dataset, expected: dict[str, Any]) -> None:
    frames = _frames(seasonal)
    for frame in frames:
        frame["created"] = pd.to_datetime(frame["created"], unit="s", utc=True)
    frames[1]["arrival_date"] = pd.to_datetime(frames[1]["arrival_date"], unit="s")  # naive = UTC
    frames[0]["created"] = frames[0]["created"].dt.tz_convert("America/New_York")
    assert _score(frames, seasonal) == expected
    frames[0]["created"] = frames[0]["created"].dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[ms]")
    assert _score(frames, seasonal) == expected


def test_numeric_dtypes(seasonal: Dataset, expected: dict[str, Any]) -> None:
    frames = _frames(seasonal)
    charges = frames[0]
    charges["amount"] = charges["amount"].astype("Int64")
    charges["amount_refunded"] = charges["amount_refunded"].astype(np.int32)
    charges["created"] = charges["created"].astype(np.float64)
    charges["captured"] = charges["captured"].astype("boolean")
    frames[2]["amount"] = frames[2]["amount"].astype(np.uint32)
    assert _score(frames, seasonal) == expected


def test_missing_captured_means_captured(seasonal: Dataset) -> None:
    objects = seasonal.objects()
    charges = [dict(c) for c in objects["charges"]]
    for c in charges:
        if c["captured"]:
            del c["captured"]
    from_dicts = vaultra.score(charges, as_of=seasonal.end).to_dict()
    frame = pd.DataFrame(charges)
    assert frame["captured"].dtype == object  # True, False and NaN
    assert vaultra.score(frame, as_of=seasonal.end).to_dict() == from_dicts
    no_column = pd.DataFrame(objects["charges"]).drop(columns="captured")
    all_captured = [dict(c, captured=True) for c in objects["charges"]]
    assert (
        vaultra.score(no_column, as_of=seasonal.end).to_dict()
        == vaultra.score(all_captured, as_of=seasonal.end).to_dict()
    )


def test_other_object_types_are_skipped(seasonal: Dataset, expected: dict[str, Any]) -> None:
    frames = _frames(seasonal)
    refund = frames[0].iloc[:3].copy()
    refund["object"] = "refund"
    refund["status"] = "not-a-charge-status"
    frames[0] = pd.concat([frames[0], refund], ignore_index=True)
    assert _score(frames, seasonal) == expected


@needs_arrow
def test_chunked_arrow_columns(seasonal: Dataset, expected: dict[str, Any]) -> None:
    frames = _frames(seasonal)
    charges = frames[0]
    for column in STRING_COLUMNS:
        charges[column] = charges[column].astype("string[pyarrow]")
    parts = [charges.iloc[i : i + 97] for i in range(0, len(charges), 97)]
    chunked = pd.concat(parts, ignore_index=True)
    assert chunked["status"].array.__arrow_array__().num_chunks > 1
    sliced = chunked.iloc[5:]  # an Arrow offset into the first chunk
    frames[0] = pd.concat([chunked.iloc[:5], sliced])
    assert _score(frames, seasonal) == expected


def test_flattened_events(seasonal: Dataset, expected: dict[str, Any]) -> None:
    objects = seasonal.objects()
    frames = _frames(seasonal)
    frames[3] = pd.json_normalize(objects["events"], max_level=2)
    assert "data.object.id" in frames[3].columns
    frames[3] = frames[3][["id", "type", "created", "data.object.id"]]
    assert _score(frames, seasonal) == expected


def test_mixed_inputs(seasonal: Dataset, expected: dict[str, Any]) -> None:
    objects = seasonal.objects()
    lists = seasonal.lists()
    frames = _frames(seasonal)
    report = vaultra.score(frames[0], lists["payouts"], iter(objects["disputes"]), frames[3], as_of=seasonal.end)
    assert report.to_dict() == expected


def test_large_frame_uses_every_row() -> None:
    n = 200_000
    rng = np.random.default_rng(3)
    end = int(pd.Timestamp("2026-11-27", tz="UTC").timestamp())
    created = end - rng.integers(0, 40 * 86_400, n)
    frame = pd.DataFrame(
        {
            "created": created + 86_399,
            "amount": rng.integers(100, 10_000, n),
            "amount_refunded": 0,
            "currency": "usd",
            "status": "succeeded",
        }
    )
    report = vaultra.score(frame, as_of="2026-11-27")
    first = end - 29 * 86_400
    inside = frame[(frame["created"] >= first) & (frame["created"] < first + 30 * 86_400)]
    assert 0 < len(inside) < n
    assert report.metrics.transaction_count == len(inside)
    assert report.metrics.revenue_total * 100 == int(inside["amount"].sum())


def _with_repeats(seasonal: Dataset) -> tuple[list[dict[str, Any]], pd.DataFrame]:
    """Charges where some objects appear twice: an older state first, the newer state
    later (a refund, a failure, another amount), as overlapping exports produce."""
    charges = [dict(c) for c in seasonal.objects()["charges"]]
    successful = [c for c in charges if c["status"] == "succeeded" and c.get("captured", True)]
    newer = []
    for i, c in enumerate(successful[:60]):
        state = dict(c)
        if i % 3 == 0:
            state["amount_refunded"] = state["amount"]
        elif i % 3 == 1:
            state["status"] = "failed"
        else:
            state["amount"] = state["amount"] * 2
        newer.append(state)
    objects = charges[:200] + newer + charges[200:]
    return objects, pd.DataFrame(objects)


@pytest.mark.parametrize("dtype", sorted(CONVERSIONS))
def test_repeated_ids_later_row_wins(seasonal: Dataset, dtype: str) -> None:
    objects, frame = _with_repeats(seasonal)
    assert frame["id"].duplicated().sum() == 60
    from_dicts = vaultra.score(objects, as_of=seasonal.end).to_dict()
    # The dicts path keeps the later state of each id; the frame must agree.
    without = vaultra.score(objects[:200] + objects[260:], as_of=seasonal.end).to_dict()
    assert from_dicts != without
    for column in STRING_COLUMNS:
        frame[column] = CONVERSIONS[dtype](frame[column])
    assert vaultra.score(frame, as_of=seasonal.end).to_dict() == from_dicts
    data = vaultra.payment_data(frame)
    assert data.charge_count == len(objects)  # the older states are held, not counted
    assert vaultra.score(data, as_of=seasonal.end).to_dict() == from_dicts


def test_repeated_ids_kept_with_dedupe_false(seasonal: Dataset) -> None:
    objects, frame = _with_repeats(seasonal)
    report = vaultra.score(frame, as_of=seasonal.end).to_dict()
    both = vaultra.score(frame, as_of=seasonal.end, dedupe=False).to_dict()
    assert both["metrics"]["transaction_count"] > report["metrics"]["transaction_count"]
    # Without the id column there is nothing to de-duplicate by.
    no_ids = frame.drop(columns="id")
    assert vaultra.score(no_ids, as_of=seasonal.end).to_dict() == both


def test_repeated_ids_of_other_objects_are_ignored(seasonal: Dataset, expected: dict[str, Any]) -> None:
    # A refund row sharing a charge's id is skipped, so it replaces nothing.
    frames = _frames(seasonal)
    other = frames[0].iloc[:3].copy()
    other["object"] = "refund"
    frames[0] = pd.concat([frames[0], other], ignore_index=True)
    assert _score(frames, seasonal) == expected
