"""``vaultra.Client``: the read side of Vaultra's services over a store."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Union
from uuid import UUID

from . import _vaultra
from ._api import DateLike, PolicyLike, load_policy
from ._results import Report
from ._vaultra import SPEC_V1

__all__ = ["Client"]

BusinessId = Union[str, UUID]

# Money fields of the JSON contract: exact decimal strings, read as Decimal.
_MONEY = frozenset(
    {"revenue_total", "refunded_total", "net_revenue", "average_transaction_size", "revenue_estimate"}
)
_FRACTION = re.compile(r"\.(\d+)")


def _datetime(text: str) -> datetime:
    """An RFC 3339 time as an aware UTC datetime (``Z`` and nanoseconds accepted, which
    ``datetime.fromisoformat`` before Python 3.11 does not take)."""
    text = text.replace("Z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _typed(value: Any, key: str = "") -> Any:
    """The services' JSON with Python types: money as Decimal, ``*_at`` times as aware
    datetimes, ``*_date`` days as dates; everything else as JSON gives it."""
    if isinstance(value, dict):
        return {k: _typed(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v, key) for v in value]
    if isinstance(value, str):
        if key in _MONEY:
            return Decimal(value)
        if key.endswith("_at"):
            return _datetime(value)
        if key.endswith("_date"):
            return date.fromisoformat(value)
    return value


def _id(business_id: BusinessId) -> str:
    if isinstance(business_id, UUID):
        return str(business_id)
    if isinstance(business_id, str):
        return business_id
    raise TypeError(f"business_id must be a str or uuid.UUID, not {type(business_id).__name__}")


class Client:
    """Reads a Vaultra store — the businesses, their metric snapshots, score history,
    recommendations and reports — through the same services as every other host.

    >>> client = vaultra.Client("sqlite:///path/to/vaultra.db")      # doctest: +SKIP
    >>> [b["name"] for b in client.businesses()]                      # doctest: +SKIP

    ``database_url`` is ``sqlite:…`` (a file, created if missing) or ``postgres://…``;
    opening a store brings its schema up to date, as every Vaultra host does. The client
    is local: it acts as the system (like the ``vaultra`` command and the jobs), so it
    checks no membership — whoever can open the database reads every business in it.

    Results are plain dicts and lists with the services' field names; money is
    :class:`decimal.Decimal`, times are timezone-aware :class:`datetime.datetime` (UTC),
    days :class:`datetime.date`. Calls release the GIL. Errors are :class:`VaultraError`
    subclasses: :class:`NotFound` for an unknown business, :class:`InvalidInput` for a
    malformed id or argument, :class:`Unavailable` when the database cannot be reached.
    """

    def __init__(self, database_url: str) -> None:
        if not isinstance(database_url, str):
            raise TypeError(f"database_url must be a str, not {type(database_url).__name__}")
        self._native = _vaultra.Client(database_url)

    def businesses(self) -> list[dict[str, Any]]:
        """Every business in the store (id, name, industry, currency, created_at, …)."""
        result: list[dict[str, Any]] = _typed(json.loads(self._native.businesses()))
        return result

    def latest_metrics(self, business_id: BusinessId) -> dict[str, Any] | None:
        """The business's latest metric snapshot — ``metrics`` (the contract's metrics
        object), ``window``, ``currency``, ``computed_at``, ``data_synced_at``,
        ``history_days`` — or ``None`` before the first computation."""
        result: dict[str, Any] | None = _typed(json.loads(self._native.latest_metrics(_id(business_id))))
        return result

    def score_history(self, business_id: BusinessId, limit: int = 30) -> list[dict[str, Any]]:
        """The last ``limit`` readiness scores (1..1000), newest first: score, tier,
        factors, ``computed_at`` and the window and freshness they rest on."""
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be an int, not {type(limit).__name__}")
        result: list[dict[str, Any]] = _typed(json.loads(self._native.score_history(_id(business_id), limit)))
        return result

    def recommendations(
        self,
        business_id: BusinessId,
        status: str | None = None,
        priority: str | None = None,
    ) -> list[dict[str, Any]]:
        """The business's recommendations in priority order, optionally only one
        ``status`` (``pending``, ``accepted``, ``dismissed``) and/or ``priority``
        (``high``, ``medium``, ``low``)."""
        raw = self._native.recommendations(_id(business_id), status, priority)
        result: list[dict[str, Any]] = _typed(json.loads(raw))
        return result

    def top_recommendations(self, business_id: BusinessId, limit: int = 5) -> dict[str, Any]:
        """What the owner should do first (``limit`` 1..20): the current report's
        recommendations in priority order, each with its stored ``status`` and ``id`` when
        the jobs stored it, leaving out codes dismissed in the last 30 days — the same
        answer as the MCP tool ``get_top_recommendations``. Keys: ``business_id``,
        ``window``, ``score``, ``recommendations``."""
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be an int, not {type(limit).__name__}")
        result: dict[str, Any] = _typed(json.loads(self._native.top_recommendations(_id(business_id), limit)))
        return result

    def business_context(self, business_id: BusinessId) -> dict[str, Any]:
        """The business, its payment ``accounts`` and the ``freshness`` of its data
        (``history_days`` counts the days from the first stored charge through yesterday,
        inclusive — the same number every Vaultra host reports)."""
        result: dict[str, Any] = _typed(json.loads(self._native.business_context(_id(business_id))))
        return result

    def report(
        self,
        business_id: BusinessId,
        as_of: DateLike | None = None,
        window_days: int = 30,
        *,
        currency: str | None = None,
        policy: PolicyLike = SPEC_V1,
    ) -> Report:
        """The business's report from its stored payment data — what ``vaultra report``
        prints: ``report(...).to_dict()`` is its JSON. ``as_of`` defaults to yesterday
        (UTC)."""
        if isinstance(window_days, bool) or not isinstance(window_days, int):
            raise TypeError(f"window_days must be an int, not {type(window_days).__name__}")
        day: str | None
        if as_of is None:
            day = None
        elif isinstance(as_of, datetime):
            day = (as_of.astimezone(timezone.utc) if as_of.tzinfo else as_of).date().isoformat()
        elif isinstance(as_of, date):
            day = as_of.isoformat()
        elif isinstance(as_of, str):
            day = as_of
        else:
            raise TypeError(f"as_of must be a datetime.date or a 'YYYY-MM-DD' string, not {type(as_of).__name__}")
        native = self._native.report(_id(business_id), day, window_days, currency, load_policy(policy))
        return Report._from_native(native)

    def __repr__(self) -> str:
        return repr(self._native)

