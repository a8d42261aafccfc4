"""Arrow tables (the PyCapsule interface: pyarrow, Polars) give the same numbers as every
other input form, to the last digit, and bad Arrow input names the column and row."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

import vaultra
from vaultra import InvalidInput

from .conftest import KINDS, Dataset

pa = pytest.importorskip("pyarrow")

try:
    import polars as pl
except ImportError:  # pragma: no cover - polars is optional
    pl = None

needs_polars = pytest.mark.skipif(pl is None, reason="needs polars")

AS_OF = "2026-11-27"
CHARGE_COLUMNS = ["id", "object", "created", "amount", "amount_refunded", "currency", "status", "captured"]


def _table(objects: list[dict[str, Any]]) -> Any:
    """A pyarrow Table of Stripe objects with the columns of a charges DataFrame."""
    return pa.Table.from_pandas(pd.DataFrame(objects), preserve_index=False)


@pytest.fixture(scope="module")
def seasonal(datasets: list[Dataset]) -> Dataset:
    return next(d for d in datasets if d.name == "seasonal-eur")


@pytest.fixture(scope="module")
def expected(seasonal: Dataset) -> dict[str, Any]:
    return seasonal.contract("--as-of", seasonal.end.isoformat())


@pytest.fixture()
def charges(seasonal: Dataset) -> Any:
    return _table(seasonal.objects()["charges"])


def _score(charges: Any, ds: Dataset, **kwargs: Any) -> dict[str, Any]:
    objects = ds.objects()
    return vaultra.score(charges, *(objects[k] for k in KINDS[1:]), as_of=ds.end, **kwargs).to_dict()


@pytest.mark.parametrize("index", range(9))
def test_arrow_table_matches_cli_frame_and_dicts(datasets: list[Dataset], index: int) -> None:
    ds = datasets[index]
    expected = ds.contract("--as-of", ds.end.isoformat())
    objects = ds.objects()
    from_dicts = vaultra.score(*(objects[k] for k in KINDS), as_of=ds.end).to_dict()
    frames = [pd.DataFrame(objects[k]) for k in KINDS]
    from_frames = vaultra.score(*frames, as_of=ds.end).to_dict()
    tables = [_table(objects[k]) if objects[k] else None for k in KINDS]
    from_arrow = vaultra.score(*tables, as_of=ds.end).to_dict()
    assert from_arrow == expected, ds.name
    assert from_dicts == expected
    assert from_frames == expected
    # The same with the charges alone as Arrow and the rest as dicts.
    assert _score(tables[0], ds) == expected
    # And through payment_data, scored later.
    data = vaultra.payment_data(*tables)
    assert vaultra.score(data, as_of=ds.end).to_dict() == expected


def _cast(table: Any, column: str, type_: Any) -> Any:
    i = table.schema.get_field_index(column)
    return table.set_column(i, column, table.column(column).cast(type_))


@pytest.mark.parametrize(
    "layout",
    ["string", "large_string", "string_view", "dictionary", "dictionary-int8-large"],
)
def test_string_layouts(charges: Any, seasonal: Dataset, expected: dict[str, Any], layout: str) -> None:
    for column in ("id", "object", "currency", "status"):
        if layout == "dictionary":
            encoded = charges.column(column).dictionary_encode()
            charges = charges.set_column(charges.schema.get_field_index(column), column, encoded)
        elif layout == "dictionary-int8-large":
            values = charges.column(column).cast(pa.large_string()).to_pylist()
            array = pa.array(values, pa.large_string()).dictionary_encode()
            if column != "id":
                array = array.cast(pa.dictionary(pa.int8(), pa.large_string()))
            charges = charges.set_column(charges.schema.get_field_index(column), column, array)
        else:
            charges = _cast(charges, column, getattr(pa, layout)())
    assert _score(charges, seasonal) == expected


def test_numeric_layouts(charges: Any, seasonal: Dataset, expected: dict[str, Any]) -> None:
    charges = _cast(charges, "amount", pa.int32())
    charges = _cast(charges, "amount_refunded", pa.uint64())
    charges = _cast(charges, "created", pa.timestamp("s", tz="UTC"))
    assert _score(charges, seasonal) == expected
    for unit, tz in (("ms", None), ("us", "America/New_York"), ("ns", "UTC")):
        t = _cast(charges, "created", pa.timestamp(unit, tz=tz))
        assert _score(t, seasonal) == expected
    as_float = _cast(charges, "amount", pa.float64())
    assert _score(as_float, seasonal) == expected


def test_batches_slices_and_readers(charges: Any, seasonal: Dataset, expected: dict[str, Any]) -> None:
    batched = pa.Table.from_batches(charges.to_batches(max_chunksize=97))
    assert batched.column("status").num_chunks > 1
    assert _score(batched, seasonal) == expected
    # Arrow offsets: a table sliced after its first rows, put back together.
    offset = pa.concat_tables([batched.slice(0, 5), batched.slice(5)])
    assert _score(offset, seasonal) == expected
    # A RecordBatchReader (a stream read once) and a RecordBatch (__arrow_c_array__).
    reader = pa.RecordBatchReader.from_batches(batched.schema, batched.to_batches())
    assert _score(reader, seasonal) == expected
    batch = charges.combine_chunks().to_batches()[0]
    assert not hasattr(type(batch), "__arrow_c_stream__") or hasattr(type(batch), "__arrow_c_array__")
    assert _score(batch, seasonal) == expected


def test_captured_nulls_mean_captured(seasonal: Dataset) -> None:
    objects = [dict(c) for c in seasonal.objects()["charges"]]
    for c in objects:
        if c["captured"]:
            c["captured"] = None
    from_dicts = vaultra.score(objects, as_of=seasonal.end).to_dict()
    table = pa.Table.from_pylist([{k: c.get(k) for k in CHARGE_COLUMNS} for c in objects])
    assert table.column("captured").null_count > 0
    assert vaultra.score(table, as_of=seasonal.end).to_dict() == from_dicts
    no_column = table.drop_columns(["captured"])
    all_captured = [dict(c, captured=True) for c in objects]
    assert (
        vaultra.score(no_column, as_of=seasonal.end).to_dict()
        == vaultra.score(all_captured, as_of=seasonal.end).to_dict()
    )


def test_repeated_ids_later_row_wins(seasonal: Dataset) -> None:
    charges = [dict(c) for c in seasonal.objects()["charges"]]
    successful = [c for c in charges if c["status"] == "succeeded" and c.get("captured", True)]
    newer = [dict(c, amount_refunded=c["amount"]) for c in successful[:40]]
    objects = charges[:200] + newer + charges[200:]
    from_dicts = vaultra.score(objects, as_of=seasonal.end).to_dict()
    table = _table(objects)
    assert vaultra.score(table, as_of=seasonal.end).to_dict() == from_dicts
    assert vaultra.score(pd.DataFrame(objects), as_of=seasonal.end).to_dict() == from_dicts
    both = vaultra.score(table, as_of=seasonal.end, dedupe=False).to_dict()
    assert both["metrics"]["refunded_total"] != from_dicts["metrics"]["refunded_total"]
    data = vaultra.payment_data(table)
    assert data.charge_count == len(objects)
    assert vaultra.score(data, as_of=seasonal.end).to_dict() == from_dicts


def test_sorted_and_unsorted_ids_dedupe_alike() -> None:
    # Ids in increasing order skip the hashing; the result must not change.
    rows = [
        {"id": f"ch_{i:06d}", "created": 1_795_000_000 + i, "amount": 100 + i, "amount_refunded": 0,
         "currency": "usd", "status": "succeeded"}
        for i in range(300)
    ]
    repeated = [*rows, dict(rows[7], amount_refunded=rows[7]["amount"])]
    expected = vaultra.score(repeated, as_of=AS_OF).to_dict()
    assert vaultra.score(pa.Table.from_pylist(repeated), as_of=AS_OF).to_dict() == expected
    assert vaultra.score(pa.Table.from_pylist(repeated[::-1][1:] + [repeated[-1]]), as_of=AS_OF).to_dict() == expected
    assert vaultra.score(pa.Table.from_pylist(rows), as_of=AS_OF).to_dict() == vaultra.score(rows, as_of=AS_OF).to_dict()


def test_other_object_types_are_skipped(charges: Any, seasonal: Dataset, expected: dict[str, Any]) -> None:
    other = charges.slice(0, 3).to_pandas()
    other["object"] = "refund"
    other["status"] = "not-a-charge-status"
    table = pa.concat_tables([charges, pa.Table.from_pandas(other, preserve_index=False, schema=charges.schema)])
    assert _score(table, seasonal) == expected


def test_empty_table(charges: Any, seasonal: Dataset) -> None:
    empty = charges.slice(0, 0)
    objects = seasonal.objects()
    expected = vaultra.score([], *(objects[k] for k in KINDS[1:]), as_of=seasonal.end).to_dict()
    assert _score(empty, seasonal) == expected
    assert _score(pa.table({}), seasonal) == expected  # no rows, no columns: nothing to read


@needs_polars
def test_polars(seasonal: Dataset, expected: dict[str, Any]) -> None:
    objects = seasonal.objects()
    charges = pl.DataFrame([{k: c.get(k) for k in CHARGE_COLUMNS} for c in objects["charges"]])
    assert _score(charges, seasonal) == expected
    categorical = charges.with_columns(pl.col("currency", "status", "object").cast(pl.Categorical))
    assert _score(categorical, seasonal) == expected
    timestamps = charges.with_columns(pl.from_epoch("created", time_unit="s"))
    assert _score(timestamps, seasonal) == expected
    payouts = pl.DataFrame(objects["payouts"]).with_columns(pl.from_epoch("arrival_date", time_unit="s"))
    report = vaultra.score(charges, payouts, objects["disputes"], objects["events"], as_of=seasonal.end)
    assert report.to_dict() == expected


# --------------------------------------------------------------------------- errors


def charge(i: int, **fields: Any) -> dict[str, Any]:
    base = {
        "id": f"ch_{i}",
        "object": "charge",
        "created": 1_795_000_000 + i,
        "amount": 1_000,
        "amount_refunded": 0,
        "currency": "usd",
        "status": "succeeded",
        "captured": True,
    }
    base.update(fields)
    return base


def _errors(rows: list[dict[str, Any]], schema: Any = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as e:
        vaultra.score(pa.Table.from_pylist(rows, schema=schema), as_of=AS_OF)
    return e.value


def test_nulls_name_column_and_row() -> None:
    rows = [charge(i) for i in range(5)]
    rows[3]["amount"] = None
    e = _errors(rows)
    assert str(e) == "charges row 3 (id ch_3): field `amount`: missing"
    assert (e.context, e.field, e.reason) == ("charges row 3 (id ch_3)", "amount", "missing")
    rows = [charge(i) for i in range(5)]
    rows[1]["currency"] = None
    assert str(_errors(rows)) == "charges row 1 (id ch_1): field `currency`: missing"
    rows = [charge(i) for i in range(5)]
    rows[4]["status"] = None
    assert str(_errors(rows)) == "charges row 4 (id ch_4): field `status`: missing"
    rows = [charge(i) for i in range(5)]
    rows[2]["created"] = None
    assert str(_errors(rows)) == "charges row 2 (id ch_2): field `created`: missing"


def test_bad_values_name_column_and_row() -> None:
    rows = [charge(i) for i in range(5)]
    rows[4]["status"] = "refunded"
    assert str(_errors(rows)).startswith("charges row 4 (id ch_4): field `status`: unknown charge status `refunded`")
    rows = [charge(i) for i in range(5)]
    rows[0]["amount_refunded"] = 2**41
    assert "charges row 0 (id ch_0): field `amount_refunded`: 2199023255552 is outside" in str(_errors(rows))
    rows = [charge(i) for i in range(5)]
    rows[2]["amount"] = 12.5
    assert str(_errors(rows)) == "charges row 2 (id ch_2): field `amount`: expected an integer, got float 12.5"
    rows = [charge(i) for i in range(5)]
    rows[3]["currency"] = "usdx"
    assert str(_errors(rows)).startswith("charges row 3 (id ch_3): field `currency`:")


def test_wrong_column_types() -> None:
    rows = [charge(i, amount=str(1000 + i)) for i in range(3)]
    assert str(_errors(rows)) == "charges row 0 (id ch_0): field `amount`: expected integers, got a column of Utf8"
    rows = [charge(i, currency=840) for i in range(3)]
    assert str(_errors(rows)) == "charges row 0 (id ch_0): field `currency`: expected strings, got a column of Int64"
    rows = [charge(i, captured="yes") for i in range(3)]
    assert str(_errors(rows)) == "charges row 0 (id ch_0): field `captured`: expected a bool, got a column of Utf8"
    rows = [charge(i, created=True) for i in range(3)]
    assert str(_errors(rows)) == "charges row 0 (id ch_0): field `created`: expected an integer, got bool"
    rows = [charge(i, amount=2**63 + i) for i in range(3)]
    e = _errors(rows, pa.schema([(k, pa.uint64() if k == "amount" else pa.array([v]).type) for k, v in rows[0].items()]))
    assert str(e) == "charges row 0 (id ch_0): field `amount`: 9223372036854775808 is out of range"


def test_table_shape_errors() -> None:
    table = pa.Table.from_pylist([charge(i) for i in range(3)])
    with pytest.raises(InvalidInput, match=r"charges: field `status`: missing column"):
        vaultra.score(table.drop_columns(["status"]), as_of=AS_OF)
    twice = pa.Table.from_arrays(
        [*table.columns, table.column("amount")], names=[*table.column_names, "amount"]
    )
    with pytest.raises(InvalidInput, match=r"charges: column `amount` appears more than once"):
        vaultra.score(twice, as_of=AS_OF)
    with pytest.raises(TypeError, match=r"expected a table"):
        vaultra.score(pa.array([1, 2, 3]), as_of=AS_OF)


def test_large_tables_dedupe_and_classify_on_threads() -> None:
    # Above the size at which the string columns and the ids are read on several threads.
    import numpy as np

    n = 100_000
    rng = np.random.default_rng(5)
    end = 1_795_046_400  # 2026-11-28T00:00:00Z
    ids = [f"ch_{i:08d}" for i in rng.permutation(n).tolist()]
    created = (end - rng.integers(1, 40 * 86_400, n)).tolist()
    amount = rng.integers(100, 10_000, n).tolist()
    status = np.where(rng.random(n) < 0.05, "failed", "succeeded").tolist()
    currency = np.where(rng.random(n) < 0.1, "eur", "usd").tolist()
    rows = [
        {"id": i, "object": "charge", "created": c, "amount": a, "amount_refunded": 0, "currency": cur, "status": s}
        for i, c, a, cur, s in zip(ids, created, amount, currency, status)
    ]
    again = [dict(rows[int(k)], amount_refunded=rows[int(k)]["amount"]) for k in rng.choice(n, 500, replace=False)]
    rows += again
    rows.insert(10, {**rows[20], "object": "refund", "status": "?"})  # skipped, replaces nothing
    expected = vaultra.score(rows, as_of=AS_OF).to_dict()
    assert expected["metrics"]["refunded_total"] != "0.00"
    frame = pd.DataFrame(rows)
    assert vaultra.score(frame, as_of=AS_OF).to_dict() == expected
    assert vaultra.score(frame.astype({"id": object, "status": object}), as_of=AS_OF).to_dict() == expected
    assert vaultra.score(pa.Table.from_pandas(frame), as_of=AS_OF).to_dict() == expected
    in_order = sorted(rows[:10] + rows[11:n + 1], key=lambda r: r["id"])
    assert vaultra.score(pa.Table.from_pylist(in_order), as_of=AS_OF).to_dict() == vaultra.score(in_order, as_of=AS_OF).to_dict()
