"""The public functions: score, simulate, next_tier, load_policy."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Union

from . import _frames
from ._results import Metrics, NextTierPlan, Report, Simulation
from ._vaultra import (
    SPEC_V1,
    Indicators,
    InvalidInput,
    PaymentData,
    Policy,
    assess,
    assess_charge_arrow,
    assess_charge_columns,
    load_export,
)


class ArrowStreamExportable(Protocol):
    """A table exposing the Arrow PyCapsule stream interface (pyarrow ``Table``, Polars
    ``DataFrame``, DuckDB relations, ...)."""

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any: ...


class ArrowArrayExportable(Protocol):
    """A record batch exposing the Arrow PyCapsule array interface (pyarrow
    ``RecordBatch``)."""

    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]: ...


if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas

    ObjectsLike = Union[
        Iterable[Mapping[str, Any]],
        Mapping[str, Any],
        pandas.DataFrame,
        ArrowStreamExportable,
        ArrowArrayExportable,
    ]
else:
    ObjectsLike = Any

PolicyLike = Union[str, "os.PathLike[str]", Policy, Mapping[str, Any]]
DateLike = Union[date, str]
MetricsLike = Union[Report, Metrics, Mapping[str, Any]]

__all__ = ["score", "payment_data", "simulate", "next_tier", "load_policy", "load_export"]


def _invalid(field: str, reason: str) -> InvalidInput:
    err = InvalidInput(f"field `{field}`: {reason}")
    err.field, err.reason = field, reason
    return err


def load_policy(policy: PolicyLike = SPEC_V1) -> Policy:
    """A scoring policy from a built-in name (``"spec-v1"``), a path to a policy JSON file,
    a mapping (the policy as data, as ``vaultra policy`` prints it) or a :class:`Policy`."""
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, Mapping):
        return Policy.from_json(json.dumps(policy))
    if isinstance(policy, (str, os.PathLike)):
        spec = os.fspath(policy)
        if isinstance(policy, str):
            try:
                return Policy.builtin(spec)
            except InvalidInput:
                pass
        path = Path(spec)
        if path.is_file():
            try:
                return Policy.from_json(path.read_text(encoding="utf-8"))
            except InvalidInput as e:
                raise _invalid("policy", f"{spec}: {e}") from None
        raise _invalid("policy", f"{spec}: neither a built-in policy ({SPEC_V1}) nor a file")
    raise TypeError(
        f"policy must be a built-in name, a path, a mapping or a vaultra.Policy, not {type(policy).__name__}"
    )


def _as_of(value: DateLike | None) -> str | None:
    if value is None:
        # The core picks the default (the last complete UTC day), as for every host.
        return None
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc)
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise TypeError(f"as_of must be a datetime.date or a 'YYYY-MM-DD' string, not {type(value).__name__}")


def _objects(value: Any, source: str) -> list[Any]:
    if isinstance(value, Mapping):
        data = value.get("data")
        if isinstance(data, list):  # a Stripe list object, as the API and exports return
            return data
        raise TypeError(
            f"{source}: expected a list of Stripe objects, a Stripe list object or a DataFrame, "
            "got a single mapping (wrap one object in a list)"
        )
    if isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Iterable):
        raise TypeError(
            f"{source}: expected a list of Stripe objects (dicts), a Stripe list object, a "
            f"pandas DataFrame or an Arrow table, not {type(value).__name__}"
        )
    return value if isinstance(value, list) else list(value)


def payment_data(
    charges: ObjectsLike | PaymentData | str | os.PathLike[str] | None,
    payouts: ObjectsLike | None = None,
    disputes: ObjectsLike | None = None,
    events: ObjectsLike | None = None,
    *,
    dedupe: bool = True,
) -> PaymentData:
    """The :class:`PaymentData` that :func:`score` would build from these inputs (see there
    for what each may be).

    Build it once and score it many times — over several windows or policies — without
    reading the DataFrames again::

        data = vaultra.payment_data(charges_df, payouts_df, disputes_df, events_df)
        reports = [vaultra.score(data, as_of=day) for day in month_ends]
    """
    others = (payouts, disputes, events)
    if isinstance(charges, (PaymentData, str, os.PathLike)):
        if any(o is not None for o in others):
            raise TypeError(
                "payouts, disputes and events come with an export folder or PaymentData; "
                "pass them separately only alongside charges"
            )
        return charges if isinstance(charges, PaymentData) else load_export(charges)
    data = PaymentData()
    for kind, source, value in (
        ("charge", "charges", charges),
        ("payout", "payouts", payouts),
        ("dispute", "disputes", disputes),
        ("event", "events", events),
    ):
        if value is None:
            continue
        if _frames.is_dataframe(value):
            if kind == "charge":
                _frames.add_charges(data, value, source, dedupe)
            else:
                _frames.add_objects(data, value, kind, source)
        elif _frames.is_arrow(value):
            if kind == "charge":
                data.add_charge_arrow(value, source, dedupe)
            else:
                _frames.add_arrow_objects(data, value, kind, source)
        else:
            data.add_objects(kind, _objects(value, source), source)
    return data


def score(
    charges: ObjectsLike | PaymentData | str | os.PathLike[str] | None,
    payouts: ObjectsLike | None = None,
    disputes: ObjectsLike | None = None,
    events: ObjectsLike | None = None,
    *,
    as_of: DateLike | None = None,
    window_days: int = 30,
    currency: str | None = None,
    policy: PolicyLike = SPEC_V1,
    dedupe: bool = True,
) -> Report:
    """Scores a business from its Stripe data.

    Each of ``charges``, ``payouts``, ``disputes`` and ``events`` may be a list of Stripe
    objects (dicts, as the API or an export returns them), a Stripe list object
    (``{"object": "list", "data": [...]}``), a pandas DataFrame or an Arrow table — a
    pyarrow ``Table`` or ``RecordBatch``, a Polars ``DataFrame``, anything with
    ``__arrow_c_stream__`` or ``__arrow_c_array__`` — with Stripe's column names (``id``,
    ``created``, ``amount``, ``amount_refunded``, ``currency``, ``status``, ``captured``;
    ``created`` may be unix seconds or timestamps). Instead of ``charges`` you
    may pass a path to an export folder or the :class:`PaymentData` of
    :func:`load_export`, which carry all four kinds.

    ``as_of`` is the last day of the window (default: yesterday, UTC), ``window_days`` its
    length (2..=366), ``currency`` the reporting currency (default: the one with the most
    successful volume) and ``policy`` a built-in name, a policy file, a mapping or a
    :class:`Policy`.

    Objects are de-duplicated by Stripe id (the later object or row wins), as the
    ``vaultra`` command does: lists and export folders always, a DataFrame within itself
    by its ``id`` column. ``dedupe=False`` skips that for a DataFrame whose ids you know
    to be unique (e.g. read from a table keyed by id): hashing a million ids costs more
    than the metric pass itself; with repeated ids it would count each row.

    A charges DataFrame or Arrow table is read in place: the metric pass runs over the
    table's own NumPy/Arrow buffers (Arrow tables through the Arrow C data interface),
    never copying them row by row.

    Raises :class:`InvalidInput` naming the row or object and the field for bad data, and
    ``TypeError`` for arguments of the wrong kind. The computation runs in Rust with the
    GIL released.
    """
    if isinstance(window_days, bool) or not isinstance(window_days, int):
        raise TypeError(f"window_days must be an int, not {type(window_days).__name__}")
    if currency is not None and not isinstance(currency, str):
        raise TypeError(f"currency must be a str or None, not {type(currency).__name__}")
    day = _as_of(as_of)
    resolved = load_policy(policy)
    if _frames.is_dataframe(charges) and len(charges):  # type: ignore[arg-type]
        # The fast path: the metric pass reads the frame's own buffers, no copy.
        others = payment_data(None, payouts, disputes, events)
        created, amount, refunded, cur, status, captured, obj, describe, ids = _frames.charge_columns(
            charges, "charges", dedupe
        )
        native = assess_charge_columns(
            others, created, amount, refunded, cur, status, captured, obj, describe, ids,
            day, window_days, currency, resolved,
        )  # fmt: skip
        return Report._from_native(native)
    if _frames.is_arrow(charges):
        # The same from an Arrow table, through the Arrow C data interface.
        others = payment_data(None, payouts, disputes, events)
        native = assess_charge_arrow(others, charges, dedupe, day, window_days, currency, resolved)
        return Report._from_native(native)
    data = payment_data(charges, payouts, disputes, events, dedupe=dedupe)
    return Report._from_native(assess(data, day, window_days, currency, resolved))


def _indicators(metrics: MetricsLike) -> tuple[Indicators, Policy | None]:
    if isinstance(metrics, Report):
        return metrics._native.indicators(), metrics._native.policy
    if isinstance(metrics, Metrics):
        if metrics._indicators is not None:
            return metrics._indicators, None
        return Indicators.from_values(metrics.to_dict()), None
    if isinstance(metrics, Mapping):
        return Indicators.from_values(dict(metrics)), None
    raise TypeError(
        f"metrics must be a vaultra.Report, vaultra.Metrics or a mapping of metric values, "
        f"not {type(metrics).__name__}"
    )


def simulate(
    metrics: MetricsLike,
    /,
    *,
    policy: PolicyLike | None = None,
    **changes: float | int | str | Decimal,
) -> Simulation:
    """What if some metrics were different? Scores ``changes`` applied to ``metrics``.

    ``metrics`` is a :class:`Report`, its :class:`Metrics` (exact values) or a mapping of
    metric values by name (e.g. ``report.to_dict()["metrics"]``). Each keyword is a metric
    and its hypothetical value: ``chargeback_ratio=0.004``, ``payout_reliability=0.97``,
    ``revenue_volatility=0.15``, ``revenue_growth=0.08`` (which also sets the trend) or
    ``revenue_trend="increasing"``; ratios are fractions (0.01 is 1%). The policy defaults
    to the report's, else ``spec-v1``.

    Returns the baseline and simulated scores, the change, and the smallest change per
    metric from the simulated values to the next tier.
    """
    indicators, own = _indicators(metrics)
    resolved = load_policy(policy) if policy is not None else own or Policy.builtin(SPEC_V1)
    raw = json.loads(indicators.simulate(dict(changes), resolved))
    return Simulation._from_json(raw)


def next_tier(metrics: MetricsLike, /, *, policy: PolicyLike | None = None) -> NextTierPlan:
    """The smallest change of each metric, alone, that reaches the next tier (or, when no
    single change does, the largest gain and the fewest factors that together do)."""
    indicators, own = _indicators(metrics)
    resolved = load_policy(policy) if policy is not None else own or Policy.builtin(SPEC_V1)
    return NextTierPlan._from_json(json.loads(indicators.next_tier(resolved)))
