"""Typed results: the report, its metrics and score, and what-if answers.

Every object is built from the core's own JSON (the contract of METRICS.md §6), so the
values are exactly the ones ``vaultra score --format json`` prints: money as
:class:`decimal.Decimal` (exact, with the currency's decimals), dates as
:class:`datetime.date`, ratios as ``float`` rounded half-to-even to four decimals.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Mapping, cast

from . import _vaultra

if TYPE_CHECKING:  # pragma: no cover - typing only
    import pandas

Trend = Literal["increasing", "flat", "declining"]
Effect = Literal["helps", "hurts", "neutral"]
Priority = Literal["high", "medium", "low"]
FrameKind = Literal["factors", "recommendations", "daily", "metrics"]

__all__ = [
    "Window",
    "Metrics",
    "Factor",
    "Readiness",
    "Recommendation",
    "Report",
    "MetricTarget",
    "NextTierPlan",
    "Simulation",
]


def _money(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value)


def _ratio(value: Any) -> float | None:
    return None if value is None else float(value)


def _value(value: Any) -> float | str | None:
    if value is None or isinstance(value, str):
        return value
    return float(value)


def _pandas() -> Any:
    try:
        import pandas
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("to_frame() needs pandas: pip install pandas") from e
    return pandas


@dataclass(frozen=True)
class Window:
    """The ``days`` whole UTC days from ``start_date`` to ``end_date`` (``as_of``), inclusive."""

    start_date: date
    end_date: date
    days: int

    @property
    def dates(self) -> list[date]:
        """Every day of the window, oldest first."""
        return [self.start_date + timedelta(days=i) for i in range(self.days)]

    def to_dict(self) -> dict[str, Any]:
        """The ``window`` object of the JSON contract."""
        return {
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "days": self.days,
        }

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> Window:
        return cls(
            start_date=date.fromisoformat(raw["start_date"]),
            end_date=date.fromisoformat(raw["end_date"]),
            days=int(raw["days"]),
        )


@dataclass(frozen=True)
class Metrics:
    """The metrics of METRICS.md §3 over one window in one currency.

    Money is :class:`~decimal.Decimal` in major units; ratios are ``float`` (``None`` when
    undefined, e.g. the chargeback ratio with no successful charge). ``daily_revenue`` maps
    each day of the window to its revenue. Pass a ``Metrics`` to :func:`vaultra.simulate`
    or :func:`vaultra.next_tier`: it keeps the exact values the score was decided on.
    """

    window: Window
    currency: str
    transaction_count: int
    revenue_total: Decimal
    refunded_total: Decimal
    net_revenue: Decimal
    average_transaction_size: Decimal | None
    revenue_volatility: float | None
    chargeback_count: int
    chargeback_ratio: float | None
    payouts_due: int
    payouts_on_time: int
    payout_reliability: float | None
    revenue_growth: float | None
    revenue_trend: Trend
    daily_revenue: dict[date, Decimal] = field(default_factory=dict, hash=False, repr=False)
    _indicators: _vaultra.Indicators | None = field(
        default=None, repr=False, compare=False, hash=False
    )

    def to_dict(self) -> dict[str, Any]:
        """The ``metrics`` object of the JSON contract (money as strings, ratios as floats)."""

        def money(d: Decimal | None) -> str | None:
            return None if d is None else str(d)

        return {
            "transaction_count": self.transaction_count,
            "revenue_total": money(self.revenue_total),
            "refunded_total": money(self.refunded_total),
            "net_revenue": money(self.net_revenue),
            "average_transaction_size": money(self.average_transaction_size),
            "revenue_volatility": self.revenue_volatility,
            "chargeback_count": self.chargeback_count,
            "chargeback_ratio": self.chargeback_ratio,
            "payouts_due": self.payouts_due,
            "payouts_on_time": self.payouts_on_time,
            "payout_reliability": self.payout_reliability,
            "revenue_growth": self.revenue_growth,
            "revenue_trend": self.revenue_trend,
        }

    @classmethod
    def _from_json(
        cls,
        raw: Mapping[str, Any],
        window: Window,
        currency: str,
        daily: list[str],
        indicators: _vaultra.Indicators | None,
    ) -> Metrics:
        return cls(
            window=window,
            currency=currency,
            transaction_count=int(raw["transaction_count"]),
            revenue_total=Decimal(raw["revenue_total"]),
            refunded_total=Decimal(raw["refunded_total"]),
            net_revenue=Decimal(raw["net_revenue"]),
            average_transaction_size=_money(raw["average_transaction_size"]),
            revenue_volatility=_ratio(raw["revenue_volatility"]),
            chargeback_count=int(raw["chargeback_count"]),
            chargeback_ratio=_ratio(raw["chargeback_ratio"]),
            payouts_due=int(raw["payouts_due"]),
            payouts_on_time=int(raw["payouts_on_time"]),
            payout_reliability=_ratio(raw["payout_reliability"]),
            revenue_growth=_ratio(raw["revenue_growth"]),
            revenue_trend=cast(Trend, raw["revenue_trend"]),
            daily_revenue=dict(zip(window.dates, (Decimal(d) for d in daily))),
            _indicators=indicators,
        )


@dataclass(frozen=True)
class Factor:
    """One component of the score: the metric's ``value``, the ``points`` it earned (between
    ``worst_points`` and ``best_points``), whether it ``helps``, ``hurts`` or is ``neutral``,
    and an ``explanation`` a business owner understands."""

    code: str
    value: float | str | None
    points: int
    best_points: int
    worst_points: int
    effect: Effect
    explanation: str

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> Factor:
        return cls(
            code=raw["code"],
            value=_value(raw["value"]),
            points=int(raw["points"]),
            best_points=int(raw["best_points"]),
            worst_points=int(raw["worst_points"]),
            effect=raw["effect"],
            explanation=raw["explanation"],
        )


@dataclass(frozen=True)
class Readiness:
    """The 0-100 readiness ``score``, its ``tier`` (code and label), the ``policy`` that
    produced it, the highest score that policy can give, and the ``factors`` behind it."""

    score: int
    tier: str
    tier_label: str
    policy: str
    max_attainable: int
    factors: tuple[Factor, ...]

    def factor(self, code: str) -> Factor:
        """The factor with ``code`` (``KeyError`` if there is none)."""
        for f in self.factors:
            if f.code == code:
                return f
        raise KeyError(code)

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> Readiness:
        return cls(
            score=int(raw["score"]),
            tier=raw["tier"],
            tier_label=raw["tier_label"],
            policy=raw["policy"],
            max_attainable=int(raw["max_attainable"]),
            factors=tuple(Factor._from_json(f) for f in raw["factors"]),
        )


@dataclass(frozen=True)
class Recommendation:
    """One thing to do: a stable ``code``, its ``priority``, the points it is worth
    (``score_impact``), a ``title``, a concrete ``description`` and the ``factor`` it comes
    from (``None`` for the overall focus rule)."""

    code: str
    priority: Priority
    score_impact: int
    title: str
    description: str
    factor: str | None = None

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> Recommendation:
        return cls(
            code=raw["code"],
            priority=raw["priority"],
            score_impact=int(raw["score_impact"]),
            title=raw["title"],
            description=raw["description"],
            factor=raw.get("factor"),
        )


@dataclass(frozen=True, repr=False)
class Report:
    """The result of :func:`vaultra.score`: ``metrics``, ``readiness`` (score, tier and
    factors) and ranked ``recommendations`` for one ``window`` in one ``currency``.

    ``to_dict()`` is exactly the JSON contract of ``vaultra score --format json``;
    ``to_frame(kind)`` gives pandas DataFrames for analysis and plots.
    """

    window: Window
    currency: str
    metrics: Metrics
    readiness: Readiness
    recommendations: tuple[Recommendation, ...]
    _native: _vaultra.Report = field(repr=False, compare=False, hash=False)

    @classmethod
    def _from_native(cls, native: _vaultra.Report) -> Report:
        raw = json.loads(native.to_json())
        window = Window._from_json(raw["window"])
        return cls(
            window=window,
            currency=raw["currency"],
            metrics=Metrics._from_json(
                raw["metrics"], window, raw["currency"], native.daily_revenue(), native.indicators()
            ),
            readiness=Readiness._from_json(raw["readiness"]),
            recommendations=tuple(Recommendation._from_json(r) for r in raw["recommendations"]),
            _native=native,
        )

    @property
    def score(self) -> int:
        """Shorthand for ``readiness.score``."""
        return self.readiness.score

    @property
    def tier(self) -> str:
        """Shorthand for ``readiness.tier``."""
        return self.readiness.tier

    @property
    def policy(self) -> _vaultra.Policy:
        """The policy the report was scored under."""
        return self._native.policy

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract of METRICS.md §6 as plain Python data (a fresh copy)."""
        result: dict[str, Any] = json.loads(self._native.to_json())
        return result

    def to_json(self, *, indent: int | None = None) -> str:
        """The JSON contract as text; ``indent=2`` prints what ``vaultra score`` prints."""
        if indent is None:
            return self._native.to_json()
        if indent == 2:
            return self._native.to_json(pretty=True)
        return json.dumps(self.to_dict(), indent=indent)

    def to_text(self) -> str:
        """The report for a person, as ``vaultra score --format text`` prints it."""
        return self._native.to_text()

    def to_frame(self, kind: FrameKind = "factors") -> pandas.DataFrame:
        """A pandas DataFrame of one part of the report.

        - ``"factors"``: one row per factor (indexed by code): value, points, best and
          worst points, effect, explanation — the score breakdown.
        - ``"recommendations"``: one row per recommendation, in priority order.
        - ``"daily"``: revenue per day of the window (a ``DatetimeIndex`` named ``date``);
          ``revenue`` holds exact ``Decimal`` values (``.astype(float)`` to plot).
        - ``"metrics"``: one row (indexed by the window's end date) with the window, the
          currency, every metric, the score and the tier — concatenate reports to compare.
        """
        pd = _pandas()
        if kind == "factors":
            rows = [
                {
                    "code": f.code,
                    "value": f.value,
                    "points": f.points,
                    "best_points": f.best_points,
                    "worst_points": f.worst_points,
                    "effect": f.effect,
                    "explanation": f.explanation,
                }
                for f in self.readiness.factors
            ]
            columns = ["code", "value", "points", "best_points", "worst_points", "effect", "explanation"]
            return pd.DataFrame(rows, columns=columns).set_index("code")
        if kind == "recommendations":
            columns = ["code", "priority", "score_impact", "title", "description", "factor"]
            rows = [{c: getattr(r, c) for c in columns} for r in self.recommendations]
            return pd.DataFrame(rows, columns=columns)
        if kind == "daily":
            index = pd.DatetimeIndex(list(self.metrics.daily_revenue), name="date")
            return pd.DataFrame(
                {"revenue": pd.Series(list(self.metrics.daily_revenue.values()), index=index, dtype=object)}
            )
        if kind == "metrics":
            row: dict[str, Any] = {
                "start_date": self.window.start_date,
                "end_date": self.window.end_date,
                "days": self.window.days,
                "currency": self.currency,
            }
            for name in self.metrics.to_dict():
                row[name] = getattr(self.metrics, name)
            row["score"] = self.readiness.score
            row["tier"] = self.readiness.tier
            return pd.DataFrame([row]).set_index("end_date")
        raise ValueError(
            f"unknown frame kind {kind!r} (expected 'factors', 'recommendations', 'daily' or 'metrics')"
        )

    def simulate(self, **changes: float | str | Decimal) -> Simulation:
        """What-if from this report's exact values: see :func:`vaultra.simulate`."""
        return Simulation._from_json(json.loads(self._native.indicators().simulate(changes, self._native.policy)))

    def next_tier(self) -> NextTierPlan:
        """The smallest change per metric that reaches the next tier: see :func:`vaultra.next_tier`."""
        return NextTierPlan._from_json(json.loads(self._native.indicators().next_tier(self._native.policy)))

    def __repr__(self) -> str:
        return (
            f"<vaultra.Report score={self.readiness.score} tier={self.readiness.tier!r} "
            f"window={self.window.start_date}..{self.window.end_date} currency={self.currency!r}>"
        )

    def __str__(self) -> str:
        return self.to_text()


@dataclass(frozen=True)
class MetricTarget:
    """The smallest change of one metric, alone, towards the next tier: the metric must
    satisfy ``value <op> threshold`` (``op`` is ``gt``, ``ge``, ``lt`` or ``le``)."""

    factor: str
    metric: str
    current: float | str | None
    op: str
    threshold: float
    trend: Trend | None
    change: float | None
    points: int
    score: int
    tier: str
    reaches_next_tier: bool
    description: str

    @classmethod
    def _from_json(cls, raw: Mapping[str, Any]) -> MetricTarget:
        return cls(
            factor=raw["factor"],
            metric=raw["metric"],
            current=_value(raw["current"]),
            op=raw["condition"]["op"],
            threshold=float(raw["condition"]["threshold"]),
            trend=raw.get("trend"),
            change=_ratio(raw["change"]),
            points=int(raw["points"]),
            score=int(raw["score"]),
            tier=raw["tier"],
            reaches_next_tier=bool(raw["reaches_next_tier"]),
            description=raw["description"],
        )


@dataclass(frozen=True)
class NextTierPlan:
    """How far the next tier is (``points_needed``), whether the policy can reach it at all
    (``attainable``), the smallest change per metric (``targets``) and, when no single change
    is enough, the fewest factors that together are (``combination``)."""

    score: int
    tier: str
    next_tier: str | None
    next_tier_label: str | None
    points_needed: int
    attainable: bool
    targets: tuple[MetricTarget, ...]
    combination: tuple[str, ...]
    _raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The plan as the core serializes it."""
        result: dict[str, Any] = json.loads(json.dumps(self._raw))
        return result

    def to_frame(self) -> pandas.DataFrame:
        """The targets as a DataFrame indexed by factor."""
        pd = _pandas()
        columns = [
            "factor", "metric", "current", "op", "threshold", "trend", "change",
            "points", "score", "tier", "reaches_next_tier", "description",
        ]
        rows = [{c: getattr(t, c) for c in columns} for t in self.targets]
        return pd.DataFrame(rows, columns=columns).set_index("factor")

    @classmethod
    def _from_json(cls, raw: dict[str, Any]) -> NextTierPlan:
        return cls(
            score=int(raw["score"]),
            tier=raw["tier"],
            next_tier=raw["next_tier"],
            next_tier_label=raw["next_tier_label"],
            points_needed=int(raw["points_needed"]),
            attainable=bool(raw["attainable"]),
            targets=tuple(MetricTarget._from_json(t) for t in raw["targets"]),
            combination=tuple(raw["combination"]),
            _raw=raw,
        )


@dataclass(frozen=True)
class Simulation:
    """A what-if: the ``baseline`` score, the ``simulated`` one with the changes applied,
    the difference, and the plan to the next tier from the simulated values."""

    baseline: Readiness
    simulated: Readiness
    score_change: int
    next_tier: NextTierPlan
    _raw: dict[str, Any] = field(repr=False, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """The simulation as the core serializes it."""
        result: dict[str, Any] = json.loads(json.dumps(self._raw))
        return result

    @classmethod
    def _from_json(cls, raw: dict[str, Any]) -> Simulation:
        return cls(
            baseline=Readiness._from_json(raw["baseline"]),
            simulated=Readiness._from_json(raw["simulated"]),
            score_change=int(raw["score_change"]),
            next_tier=NextTierPlan._from_json(raw["next_tier"]),
            _raw=raw,
        )
