"""Tables with Stripe's column names, handed to the native module as arrays.

pandas DataFrames: charges take the fast path: every column is passed as a NumPy buffer
(numbers in place, strings as Arrow buffers, categorical codes or the column's own object
array) and read in Rust; no Python object is created per row. Arrow tables (anything with
``__arrow_c_stream__`` or ``__arrow_c_array__``: pyarrow, Polars, ...) go to the native
module whole and are read through the Arrow C data interface. Payouts, disputes and events
are few per business, so their tables go through the same reader as lists of dicts.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

import numpy as np

from ._vaultra import InvalidInput, PaymentData

__all__ = ["is_dataframe", "is_arrow", "add_charges", "add_objects", "add_arrow_objects", "charge_columns"]

_INT_FIELDS = ("created", "amount", "amount_refunded", "arrival_date")
_FIELDS = {
    "payout": ("id", "object", "created", "arrival_date", "amount", "currency", "status"),
    "dispute": ("id", "object", "charge", "created", "amount", "currency", "status"),
    "event": ("id", "object", "type", "created", "data"),
}
_PER_SECOND = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}
_INT64_MAX = 2**63 - 1

Describe = Callable[[int], str]


def is_dataframe(value: object) -> bool:
    """Whether ``value`` is a pandas DataFrame (without importing pandas)."""
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(value, pd.DataFrame)


def is_arrow(value: object) -> bool:
    """Whether ``value`` is an Arrow table other than a pandas DataFrame: it exposes the
    Arrow PyCapsule interface (``__arrow_c_stream__`` or ``__arrow_c_array__``)."""
    t = type(value)
    return (hasattr(t, "__arrow_c_stream__") or hasattr(t, "__arrow_c_array__")) and not is_dataframe(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _unix_seconds(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - _EPOCH) // timedelta(seconds=1)


def arrow_rows(value: Any, source: str) -> list[dict[str, Any]]:
    """The rows of a (small) Arrow table as dicts, timestamps as unix seconds: payouts,
    disputes and events are read like lists of Stripe objects."""
    try:
        import pyarrow as pa
    except ImportError:
        to_dicts = getattr(value, "to_dicts", None)  # e.g. Polars without pyarrow
        if to_dicts is None:
            raise TypeError(f"{source}: reading this Arrow table as objects needs pyarrow") from None
        rows: list[dict[str, Any]] = to_dicts()
    else:
        if hasattr(type(value), "__arrow_c_stream__"):
            table = pa.table(value)
        else:
            table = pa.record_batch(value)
        rows = table.to_pylist()
    for row in rows:
        for name in _INT_FIELDS:
            v = row.get(name)
            if isinstance(v, datetime):
                row[name] = _unix_seconds(v)
    return rows


def add_arrow_objects(data: PaymentData, value: Any, kind: str, source: str) -> None:
    """Adds the rows of a payouts, disputes or events Arrow table."""
    data.add_objects(kind, arrow_rows(value, source), source)


def _invalid(context: str, field: str, reason: str) -> InvalidInput:
    err = InvalidInput(f"{context}: field `{field}`: {reason}")
    err.context, err.field, err.reason = context, field, reason
    return err


def _invalid_frame(source: str, reason: str) -> InvalidInput:
    err = InvalidInput(f"{source}: {reason}")
    err.context, err.reason = source, reason
    return err


def _describer(df: Any, source: str, with_id: bool) -> Describe:
    ids = df["id"] if with_id and "id" in df.columns else None

    def describe(row: int) -> str:
        label = f"{source} row {row}"
        if ids is not None:
            value = ids.iloc[row]
            if isinstance(value, str):
                label += f" (id {value})"
        return label

    return describe


def _first(mask: Any) -> int:
    return int(np.argmax(np.asarray(mask, dtype=bool)))


def _type_name(value: object) -> str:
    return type(value).__name__


def _timestamps(s: Any, field: str, describe: Describe) -> np.ndarray:
    import pandas as pd

    if isinstance(s.dtype, pd.DatetimeTZDtype):
        s = s.dt.tz_convert("UTC").dt.tz_localize(None)
    values = s.to_numpy()
    nat = np.isnat(values)
    if nat.any():
        raise _invalid(describe(_first(nat)), field, "missing")
    unit, count = np.datetime_data(values.dtype)
    per = _PER_SECOND.get(unit)
    if per is None or count != 1:
        values = values.astype("datetime64[ns]")
        per = _PER_SECOND["ns"]
    ints: np.ndarray = values.view(np.int64) // per
    return ints


def _whole_floats(values: np.ndarray, field: str, describe: Describe) -> np.ndarray:
    missing = np.isnan(values)
    if missing.any():
        raise _invalid(describe(_first(missing)), field, "missing")
    bad = ~np.isfinite(values) | (values != np.floor(values)) | (np.abs(values) > 2.0**62)
    if bad.any():
        row = _first(bad)
        raise _invalid(describe(row), field, f"expected an integer, got float {float(values[row])!r}")
    return values.astype(np.int64)


def _object_ints(values: np.ndarray, field: str, describe: Describe) -> np.ndarray:
    import pandas as pd

    if pd.api.types.infer_dtype(values, skipna=False) == "integer":
        try:
            return values.astype(np.int64)
        except OverflowError:
            pass
    for row, v in enumerate(values):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            raise _invalid(describe(row), field, "missing")
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
            raise _invalid(describe(row), field, f"expected an integer, got {_type_name(v)}")
        if not -(2**63) <= int(v) <= _INT64_MAX:
            raise _invalid(describe(row), field, f"{v} is out of range")
    return values.astype(np.int64)


def _ints(s: Any, field: str, describe: Describe) -> np.ndarray:
    """A whole-number column (or timestamps, as unix seconds) as contiguous ``int64``."""
    dtype = s.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "M":
        values = _timestamps(s, field, describe)
    elif kind in "iu":
        if not isinstance(dtype, np.dtype):
            missing = s.isna().to_numpy()
            if missing.any():
                raise _invalid(describe(_first(missing)), field, "missing")
        if kind == "u" and len(s) and int(s.max()) > _INT64_MAX:
            row = _first(s.to_numpy() > _INT64_MAX)
            raise _invalid(describe(row), field, f"{s.iloc[row]} is out of range")
        values = s.to_numpy(dtype=np.int64)
    elif kind == "f":
        values = _whole_floats(s.to_numpy(dtype=np.float64, na_value=np.nan), field, describe)
    elif kind == "b":
        raise _invalid(describe(0), field, "expected an integer, got bool")
    elif kind == "O":
        values = _object_ints(s.to_numpy(dtype=object), field, describe)
    else:
        raise _invalid(describe(0), field, f"expected integers, got a column of {dtype}")
    return np.ascontiguousarray(values, dtype=np.int64)


def _bools(s: Any, field: str, describe: Describe) -> np.ndarray | None:
    """``captured``: a bool per row, null meaning captured; ``None`` when all are null."""
    import pandas as pd

    dtype = s.dtype
    kind = getattr(dtype, "kind", "O")
    if kind == "b":
        if isinstance(dtype, np.dtype):
            return np.ascontiguousarray(s.to_numpy(), dtype=np.bool_)
        return np.ascontiguousarray(s.to_numpy(dtype=np.bool_, na_value=True))
    values = s.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.all():
        return None
    if pd.api.types.infer_dtype(values[~missing], skipna=False) != "boolean":
        for row in np.flatnonzero(~missing):
            v = values[row]
            if not isinstance(v, (bool, np.bool_)):
                raise _invalid(describe(int(row)), field, f"expected a bool, got {_type_name(v)}")
    return np.ascontiguousarray(np.where(missing, True, values).astype(np.bool_))


def _arrow_chunks(chunked: Any, field: str, describe: Describe) -> list[tuple[Any, ...]]:
    import pyarrow as pa

    chunks: list[tuple[Any, ...]] = []
    for chunk in chunked.chunks:
        t = chunk.type
        if pa.types.is_dictionary(t):
            chunk = chunk.dictionary_decode()
            t = chunk.type
        if pa.types.is_string(t):
            offsets_type: Any = np.int32
        elif pa.types.is_large_string(t):
            offsets_type = np.int64
        elif pa.types.is_string_view(t) if hasattr(pa.types, "is_string_view") else False:
            chunk = chunk.cast(pa.large_string())
            offsets_type = np.int64
        else:
            raise _invalid(describe(0), field, f"expected strings, got a column of {t}")
        validity, offsets, data = chunk.buffers()[:3]
        end = chunk.offset + len(chunk)
        chunks.append(
            (
                np.frombuffer(offsets, dtype=offsets_type, count=end + 1),
                np.frombuffer(data, dtype=np.uint8) if data is not None else np.empty(0, np.uint8),
                np.frombuffer(validity, dtype=np.uint8, count=(end + 7) // 8)
                if validity is not None
                else None,
                chunk.offset,
                len(chunk),
            )
        )
    return chunks


def _strings(s: Any, field: str, describe: Describe) -> tuple[Any, ...]:
    """A string column in the encoding the native reader takes, without copying it."""
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        categories = list(dtype.categories)
        codes = s.cat.codes.to_numpy()
        for i, c in enumerate(categories):
            if not isinstance(c, str):
                raise _invalid(describe(_first(codes == i)), field, f"expected a string, got {_type_name(c)}")
        return ("codes", np.ascontiguousarray(codes), categories)
    storage = getattr(dtype, "storage", None)
    if isinstance(dtype, pd.ArrowDtype) or storage in ("pyarrow", "pyarrow_numpy"):
        return ("arrow", _arrow_chunks(s.array.__arrow_array__(), field, describe))
    if dtype == object or storage == "python":
        return ("object", np.ascontiguousarray(np.asarray(s.array, dtype=object)))
    raise _invalid(describe(0), field, f"expected strings, got a column of {dtype}")


def _ids(s: Any, describe: Describe) -> tuple[Any, ...]:
    """The ``id`` column for de-duplication. Categorical ids go as their codes alone:
    categories are distinct, so equal codes are equal ids (and reading a million category
    values would cost more than the de-duplication)."""
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype):
        return ("codes", np.ascontiguousarray(s.cat.codes.to_numpy()), [])
    return _strings(s, "id", describe)


def _column(df: Any, name: str, source: str) -> Any:
    if name not in df.columns:
        raise _invalid(source, name, "missing column")
    column = df[name]
    if getattr(column, "ndim", 1) != 1:
        raise _invalid_frame(source, f"column `{name}` appears more than once")
    return column


def charge_columns(df: Any, source: str = "charges", dedupe: bool = True) -> tuple[Any, ...]:
    """The charge columns of a DataFrame as the native readers take them (the arguments of
    ``PaymentData.add_charge_columns``): numbers as NumPy buffers, strings encoded without
    copying. With ``dedupe``, the ``id`` column (when present) goes along so that a later
    row replaces an earlier one with the same id."""
    describe = _describer(df, source, with_id=True)
    created = _ints(_column(df, "created", source), "created", describe)
    amount = _ints(_column(df, "amount", source), "amount", describe)
    refunded = _ints(_column(df, "amount_refunded", source), "amount_refunded", describe)
    currency = _strings(_column(df, "currency", source), "currency", describe)
    status = _strings(_column(df, "status", source), "status", describe)
    columns = df.columns
    captured = _bools(_column(df, "captured", source), "captured", describe) if "captured" in columns else None
    obj = _strings(_column(df, "object", source), "object", describe) if "object" in columns else None
    ids = _ids(_column(df, "id", source), describe) if dedupe and "id" in columns else None
    return (created, amount, refunded, currency, status, captured, obj, describe, ids)


def add_charges(data: PaymentData, df: Any, source: str = "charges", dedupe: bool = True) -> None:
    """Adds the charges of a DataFrame through the columnar fast path."""
    if len(df) == 0:
        return
    data.add_charge_columns(*charge_columns(df, source, dedupe))


def _optional_ints(s: Any, field: str, describe: Describe) -> list[Any]:
    """A whole-number column as a list of ``int`` or ``None`` (missing)."""
    missing = s.isna().to_numpy()
    if not missing.any():
        return _ints(s, field, describe).tolist()  # type: ignore[no-any-return]
    rows = np.flatnonzero(~missing)
    present = _ints(s[~missing], field, lambda i: describe(int(rows[i])))
    out: list[Any] = [None] * len(s)
    for row, value in zip(rows.tolist(), present.tolist()):
        out[row] = value
    return out


def add_objects(data: PaymentData, df: Any, kind: str, source: str) -> None:
    """Adds the rows of a payouts, disputes or events frame: each column Vaultra reads is
    handed over as one object array and read by the same code as dicts."""
    if len(df) == 0:
        return
    describe = _describer(df, source, with_id=False)
    if not df.columns.is_unique:
        raise _invalid_frame(source, "column names appear more than once")
    dtypes = df.dtypes.to_dict()
    names = [n for n in _FIELDS[kind] if n in dtypes]
    flattened = kind == "event" and "data" not in dtypes and "data.object.id" in dtypes
    if not names and not flattened:
        raise _invalid_frame(source, f"no column Vaultra reads ({', '.join(_FIELDS[kind])})")
    columns: list[np.ndarray] = []
    for name in names:
        column, dtype = df[name], dtypes[name]
        plain_ints = isinstance(dtype, np.dtype) and dtype.kind in "iu"
        if name in _INT_FIELDS and not plain_ints:
            values = np.empty(len(df), dtype=object)
            values[:] = _optional_ints(column, name, describe)
            columns.append(values)
        else:
            columns.append(np.ascontiguousarray(column.to_numpy(dtype=object)))
    if flattened:
        # A frame flattened by pandas.json_normalize: rebuild `data.object.id`.
        names.append("data")
        data_column = np.empty(len(df), dtype=object)
        data_column[:] = [
            None if _is_na(payout) else {"object": {"id": payout}}
            for payout in df["data.object.id"].to_numpy(dtype=object).tolist()
        ]
        columns.append(data_column)
    data.add_object_columns(kind, names, columns, source, describe)


def _is_na(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType"
