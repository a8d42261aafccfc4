"""The Python face of a report: types, frames, what-if."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

import vaultra

from .conftest import Dataset


@pytest.fixture(scope="module")
def report(sample: Dataset) -> vaultra.Report:
    return vaultra.score(sample.path, as_of=sample.end)


def test_types(report: vaultra.Report) -> None:
    m = report.metrics
    assert isinstance(m.revenue_total, Decimal) and m.revenue_total == Decimal("12299.07")
    assert str(m.revenue_total) == report.to_dict()["metrics"]["revenue_total"]
    assert isinstance(m.average_transaction_size, Decimal)
    assert m.net_revenue == m.revenue_total - m.refunded_total
    assert isinstance(m.revenue_volatility, float)
    assert isinstance(m.chargeback_ratio, float)
    assert isinstance(m.transaction_count, int)
    assert m.revenue_trend in ("increasing", "flat", "declining")
    assert report.window == vaultra.Window(date(2026, 10, 29), date(2026, 11, 27), 30)
    assert m.window == report.window and m.currency == report.currency == "usd"
    assert list(m.daily_revenue) == report.window.dates
    assert all(isinstance(v, Decimal) for v in m.daily_revenue.values())
    assert sum(m.daily_revenue.values()) == m.revenue_total
    r = report.readiness
    assert (r.score, r.tier, r.tier_label, r.policy, r.max_attainable) == (55, "improving", "Improving", "spec-v1", 80)
    assert report.score == 55 and report.tier == "improving"
    assert r.score == 50 + sum(f.points for f in r.factors)
    assert r.factor("payout_reliability").value == 1.0
    with pytest.raises(KeyError):
        r.factor("nope")
    assert [x.code for x in report.recommendations][0] == "grow_revenue"
    assert report.recommendations[0].priority == "high"
    assert "score=55" in repr(report)


def test_metrics_to_dict_is_the_contract(report: vaultra.Report) -> None:
    contract = report.to_dict()
    assert report.metrics.to_dict() == contract["metrics"]
    assert report.window.to_dict() == contract["window"]
    contract["metrics"]["revenue_total"] = "0"  # a copy: the report is unchanged
    assert report.to_dict()["metrics"]["revenue_total"] == "12299.07"


def test_frames(report: vaultra.Report) -> None:
    factors = report.to_frame()
    assert list(factors.index) == [f.code for f in report.readiness.factors]
    assert factors["points"].sum() + 50 == report.score
    assert list(factors.columns) == ["value", "points", "best_points", "worst_points", "effect", "explanation"]
    recs = report.to_frame("recommendations")
    assert list(recs["code"]) == [r.code for r in report.recommendations]
    daily = report.to_frame("daily")
    assert isinstance(daily.index, pd.DatetimeIndex) and len(daily) == 30
    assert daily["revenue"].sum() == report.metrics.revenue_total
    assert daily["revenue"].astype(float).max() > 0
    metrics = report.to_frame("metrics")
    assert metrics.loc[date(2026, 11, 27), "score"] == 55
    assert metrics.loc[date(2026, 11, 27), "revenue_total"] == Decimal("12299.07")
    with pytest.raises(ValueError, match="unknown frame kind"):
        report.to_frame("nope")  # type: ignore[arg-type]


def test_simulate(report: vaultra.Report) -> None:
    sim = vaultra.simulate(report, chargeback_ratio=0.004)
    assert sim.baseline.score == 55
    assert sim.simulated.score == 60 and sim.score_change == 5
    assert sim.simulated.factor("chargeback_ratio").value == 0.004
    assert vaultra.simulate(report.metrics, chargeback_ratio="0.004") == sim
    assert report.simulate(chargeback_ratio=Decimal("0.004")) == sim
    both = vaultra.simulate(report, revenue_trend="increasing", revenue_volatility=0.1)
    assert both.simulated.score == 55 + 15 + 5
    assert both.to_dict()["simulated"]["score"] == 75
    # From plain values (e.g. the contract), rounded to 4 decimals.
    from_contract = vaultra.simulate(report.to_dict()["metrics"], chargeback_ratio=0.004)
    assert from_contract.simulated.score == 60
    from_scratch = vaultra.simulate({"revenue_growth": 0.2}, payout_reliability=0.99)
    assert from_scratch.baseline.score == 60  # increasing (+10), nothing else defined
    assert from_scratch.simulated.score == 70


def test_next_tier(report: vaultra.Report) -> None:
    plan = vaultra.next_tier(report)
    assert plan == report.next_tier()
    assert (plan.score, plan.tier, plan.next_tier, plan.points_needed, plan.attainable) == (
        55, "improving", "funding_ready", 16, True
    )
    assert plan.combination  # no single change is worth 16 points...
    assert all(not t.reaches_next_tier for t in plan.targets)
    trend = next(t for t in plan.targets if t.factor == "revenue_trend")
    assert (trend.metric, trend.op, trend.threshold, trend.trend) == ("revenue_growth", "gt", 0.05, "increasing")
    assert isinstance(trend.current, float) and isinstance(trend.change, float)
    frame = plan.to_frame()
    assert set(frame.index) == {t.factor for t in plan.targets}
    assert plan.to_dict()["next_tier"] == "funding_ready"


def test_policies(report: vaultra.Report) -> None:
    spec = vaultra.load_policy()
    assert spec.name == vaultra.SPEC_V1 and spec.max_attainable == 80
    assert report.policy.name == "spec-v1"
    import json

    data = json.loads(spec.to_json())
    data["name"] = "generous"
    data["base_score"] = 70
    generous = vaultra.load_policy(data)
    assert generous.name == "generous" and generous.max_attainable == 100
    assert vaultra.load_policy(generous) is generous
    again = vaultra.score([], as_of="2026-11-27", policy=generous)
    assert again.readiness.policy == "generous"
    sim = vaultra.simulate(report, policy=generous, chargeback_ratio=0.004)
    assert sim.baseline.score == 75


def test_payment_data(sample: Dataset) -> None:
    data = vaultra.load_export(sample.path)
    assert data.charge_count > 0 and data.payout_count > 0 and data.dispute_count > 0
    assert data.paid_payout_count > 0 and data.currencies == ["usd"]
    assert "PaymentData" in repr(data)
    empty = vaultra.score([], as_of="2026-11-27")
    assert empty.metrics.transaction_count == 0 and empty.metrics.revenue_volatility is None
    assert empty.metrics.revenue_total == Decimal("0.00") and empty.currency == "usd"


def test_threads_share_nothing(sample: Dataset) -> None:
    objects = sample.objects()
    frame = pd.DataFrame(objects["charges"])
    expected = vaultra.score(frame, as_of=sample.end).to_dict()
    results: list[Any] = []

    def work() -> None:
        for _ in range(5):
            results.append(vaultra.score(frame, as_of=sample.end).to_dict())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 20 and all(r == expected for r in results)


def test_payment_data_is_built_once_and_scored_many_times(sample: Dataset) -> None:
    objects = sample.objects()
    frames = [pd.DataFrame(objects[k]) for k in ("charges", "payouts", "disputes", "events")]
    data = vaultra.payment_data(*frames)
    assert isinstance(data, vaultra.PaymentData)
    for days_back, window in ((0, 30), (7, 14), (20, 60)):
        day = date(2026, 11, 27 - days_back) if days_back < 27 else date(2026, 10, 31)
        expected = vaultra.score(*frames, as_of=day, window_days=window).to_dict()
        assert vaultra.score(data, as_of=day, window_days=window).to_dict() == expected
