"""vaultra vs pandas: the metric pass of METRICS.md §3 from the same 1M-charge DataFrame.

Both sides start from the same pandas DataFrames (charges, payouts, disputes, events, with
Stripe's column names) and are timed end to end, in one process, alternating, best of N:

- **pandas**: an idiomatic vectorized implementation of every metric of METRICS.md §3
  (successful charges in the window, reporting currency by volume, daily revenue,
  totals, average, volatility, growth and trend, chargebacks, payouts due and on time);
- **vaultra**: ``vaultra.score(charges, payouts, disputes, events, as_of=...)``, which
  computes the same metrics and, on top, the score and the recommendations. By default it
  also de-duplicates the charges by ``id`` (a later row wins), which the pandas pass does
  not do; so the table also shows ``dedupe=False`` (the same work as the pandas pass) and
  pandas after ``drop_duplicates("id", keep="last")`` (the same work as the default).

The two results are checked against each other before anything is timed.

    python bindings/python/bench/bench_dataframe.py                 # 1M charges, all dtypes
    python bindings/python/bench/bench_dataframe.py --charges 200000 --repeat 3 --dtypes str
    python bindings/python/bench/bench_dataframe.py --profile   # and vaultra's steps one by one
    python bindings/python/bench/bench_dataframe.py --floor     # and the least any scorer must do

``--floor`` also times a lower bound for *any* implementation that checks its input:
one vectorized look at every value a scorer has to read (numpy reductions over the three
integer columns and ``captured``, one comparison of every currency and status value —
pyarrow's ``equal`` for Arrow-backed strings, numpy's ``==`` for ``object``, the codes for
``category``). It computes nothing; pandas time / floor time is the largest speed-up any
scorer could show over the pandas pass on that input.

String columns are built the way pandas builds them from parsed JSON (one ``str`` object
per value); ``--dtypes`` picks how the frame holds them: ``str`` (pandas' default string
dtype: Arrow-backed when pyarrow is installed), ``object``, ``category`` and ``pyarrow``
(``string[pyarrow]``, needs pyarrow). ``arrow`` hands vaultra pyarrow Tables of the same
data instead (``pa.Table.from_pandas`` of the ``str`` frames, read through the Arrow
PyCapsule interface) and times pandas on the ``str`` frames.

Charge ids are ``ch_`` and a zero-padded counter, so they come in increasing order (which
lets vaultra prove them distinct without hashing); ``--shuffle-ids`` permutes them, as
random Stripe ids would be, so the de-duplication has to hash them.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable

import numpy as np
import pandas as pd

import vaultra

DAY = 86_400
EPOCH = date(1970, 1, 1)
ZERO_DECIMAL = set("bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split())
THREE_DECIMAL = set("bhd jod kwd omr tnd".split())


# --------------------------------------------------------------------------- the data


def _distinct(values: np.ndarray) -> np.ndarray:
    """One str object per row, as json.load and pd.DataFrame(records) produce."""
    return np.array([v.encode().decode() for v in values.tolist()], dtype=object)


def make_frames(n: int, end: date, history_days: int, seed: int, shuffle_ids: bool = False) -> dict[str, Any]:
    """A deterministic merchant: ``n`` charges over ``history_days`` ending on ``end``."""
    rng = np.random.default_rng(seed)
    end_day = (end - EPOCH).days
    first = (end_day - history_days + 1) * DAY
    created = np.sort(first + rng.integers(0, history_days * DAY, n))
    u = rng.random(n)
    amount = np.maximum(50, np.round(4_500 * (0.25 + 1.5 * u * u))).astype(np.int64)
    roll = rng.random(n)
    status = np.where(roll < 0.03, "failed", "succeeded").astype(object)
    captured = ~((roll >= 0.03) & (roll < 0.035))
    successful = (status == "succeeded") & captured
    refund_roll = rng.random(n)
    refunded = np.where(
        successful & (refund_roll < 0.04),
        np.where(refund_roll < 0.02, amount, amount // 2),
        0,
    ).astype(np.int64)
    currency = np.where(rng.random(n) < 0.05, "eur", "usd").astype(object)
    ids = np.array([f"ch_{i:024d}" for i in range(n)], dtype=object)
    if shuffle_ids:
        ids = ids[rng.permutation(n)]
    charges = {
        "id": ids,
        "object": np.full(n, "charge", dtype=object),
        "created": created,
        "amount": amount,
        "amount_refunded": refunded,
        "currency": _distinct(currency),
        "status": _distinct(status),
        "captured": captured,
    }

    # Disputes on 0.2% of successful charges, opened 3-40 days later.
    disputed = np.flatnonzero(successful & (rng.random(n) < 0.002))
    opened = created[disputed] + rng.integers(3 * DAY, 40 * DAY, len(disputed))
    keep = opened < (end_day + 1) * DAY
    disputed, opened = disputed[keep], opened[keep]
    dispute_status = rng.choice(
        np.array(["warning_needs_response", "needs_response", "under_review", "lost", "won"], dtype=object),
        len(disputed),
    )
    disputes = pd.DataFrame(
        {
            "id": [f"dp_{i:024d}" for i in range(len(disputed))],
            "object": "dispute",
            "charge": ids[disputed],
            "created": opened,
            "amount": amount[disputed],
            "currency": currency[disputed],
            "status": dispute_status,
        }
    )

    # One payout a day per currency, arriving two days later; 5% late, 1% failed.
    rows, events = [], []
    for day in range(end_day - history_days + 1, end_day + 1):
        for cur in ("usd", "eur"):
            arrival = (day + 2) * DAY
            r = rng.random()
            late = int(rng.integers(2, 5)) if r < 0.05 else 0
            paid_at = arrival + late * DAY + int(rng.integers(0, DAY // 2))
            export = (end_day + 1) * DAY
            status = "failed" if r > 0.99 else "paid" if paid_at < export else "in_transit"
            pid = f"po_{day:08d}{cur}"
            rows.append(
                {
                    "id": pid,
                    "object": "payout",
                    "created": (day + 1) * DAY + 3_600,
                    "arrival_date": arrival,
                    "amount": 100_000,
                    "currency": cur,
                    "status": status,
                }
            )
            if status == "paid":
                events.append(
                    {
                        "id": f"evt_{day:08d}{cur}",
                        "object": "event",
                        "type": "payout.paid",
                        "created": paid_at,
                        "data": {"object": {"id": pid, "object": "payout"}},
                    }
                )
    return {
        "charges": charges,
        "payouts": pd.DataFrame(rows),
        "disputes": disputes,
        "events": pd.DataFrame(events),
    }


def charges_frame(columns: dict[str, np.ndarray], dtype: str) -> pd.DataFrame:
    """The charges DataFrame with its string columns held as ``dtype``."""
    frame: dict[str, Any] = {}
    for name, values in columns.items():
        if values.dtype == object:
            frame[name] = pd.Series(values, dtype=object if dtype == "object" else dtype)
        else:
            frame[name] = values
    return pd.DataFrame(frame)


# --------------------------------------------------------------------------- pandas


def _decimals(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2


def pandas_metrics(
    charges: pd.DataFrame,
    payouts: pd.DataFrame,
    disputes: pd.DataFrame,
    events: pd.DataFrame,
    as_of: date,
    window_days: int = 30,
) -> dict[str, Any]:
    """Every metric of METRICS.md §3, the pandas way."""
    end_day = (as_of - EPOCH).days
    start_day = end_day - window_days + 1
    start, stop = start_day * DAY, (end_day + 1) * DAY

    created = charges["created"]
    in_window = (
        (charges["status"] == "succeeded")
        & charges["captured"]
        & (created >= start)
        & (created < stop)
    )
    s = charges.loc[in_window, ["created", "amount", "amount_refunded", "currency"]]
    volume = s.groupby("currency", observed=True)["amount"].sum()
    currency = str(volume.sort_index().idxmax()) if len(volume) else "usd"
    s = s[s["currency"] == currency]

    day = (s["created"].to_numpy() - start) // DAY
    daily = s["amount"].groupby(day).sum().reindex(range(window_days), fill_value=0).to_numpy()
    count = len(s)
    revenue = int(daily.sum())
    refunded = int(s["amount_refunded"].sum())
    exp = _decimals(currency)

    def money(minor: int) -> str:
        return str(Decimal(minor).scaleb(-exp)) if exp else str(minor)

    average = None
    if count:
        q, r = divmod(revenue, count)
        average = q + (1 if 2 * r > count or (2 * r == count and q % 2) else 0)
    volatility = float(daily.std(ddof=0) / daily.mean()) if revenue else None
    half = window_days // 2
    r1, r2 = int(daily[:half].sum()), int(daily[window_days - half :].sum())
    growth = (r2 - r1) / r1 if r1 else None
    if r1 == 0:
        trend = "increasing" if r2 > 0 else "flat"
    else:
        trend = "increasing" if 20 * r2 > 21 * r1 else "declining" if 20 * r2 < 19 * r1 else "flat"

    d = disputes
    chargebacks = int(
        (
            (d["currency"] == currency)
            & (d["created"] >= start)
            & (d["created"] < stop)
            & ~d["status"].str.startswith("warning_")
        ).sum()
    )

    p = payouts[payouts["currency"] == currency]
    arrival = p["arrival_date"] // DAY
    p, arrival = p[(arrival >= start_day) & (arrival <= end_day)], arrival[(arrival >= start_day) & (arrival <= end_day)]
    due = p["status"].isin(["paid", "failed"]) | (p["status"].isin(["pending", "in_transit"]) & (arrival < end_day))
    paid = events[events["type"] == "payout.paid"]
    paid_at = (
        pd.Series(paid["created"].to_numpy(), index=paid["data"].map(lambda x: x["object"]["id"]).to_numpy())
        .groupby(level=0)
        .max()
    )
    paid_time = p["id"].map(paid_at)
    on_time = due & (p["status"] == "paid") & (paid_time.isna() | (paid_time // DAY <= arrival + 1))
    payouts_due, payouts_on_time = int(due.sum()), int(on_time.sum())

    def r4(x: float | None) -> float | None:
        return None if x is None else round(x, 4)

    return {
        "currency": currency,
        "transaction_count": count,
        "revenue_total": money(revenue),
        "refunded_total": money(refunded),
        "net_revenue": money(revenue - refunded),
        "average_transaction_size": None if average is None else money(average),
        "revenue_volatility": r4(volatility),
        "chargeback_count": chargebacks,
        "chargeback_ratio": r4(chargebacks / count) if count else None,
        "payouts_due": payouts_due,
        "payouts_on_time": payouts_on_time,
        "payout_reliability": r4(payouts_on_time / payouts_due) if payouts_due else None,
        "revenue_growth": r4(growth),
        "revenue_trend": trend,
    }


# --------------------------------------------------------------------------- timing


def arrow_tables(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """The same data as pyarrow Tables."""
    import pyarrow as pa

    return {k: pa.Table.from_pandas(v, preserve_index=False) for k, v in frames.items()}


def vaultra_report(frames: dict[str, Any], as_of: date, dedupe: bool = True) -> vaultra.Report:
    return vaultra.score(
        frames["charges"], frames["payouts"], frames["disputes"], frames["events"], as_of=as_of, dedupe=dedupe
    )


def pandas_dedupe_metrics(frames: dict[str, pd.DataFrame], as_of: date) -> dict[str, Any]:
    """The pandas pass after the de-duplication vaultra does by default (later row wins)."""
    charges = frames["charges"].drop_duplicates("id", keep="last")
    return pandas_metrics(charges, frames["payouts"], frames["disputes"], frames["events"], as_of)


def check_agreement(frames: dict[str, pd.DataFrame], as_of: date, inputs: dict[str, Any] | None = None) -> None:
    """pandas on ``frames`` agrees with vaultra on ``inputs`` (default: the same frames)."""
    theirs = pandas_metrics(frames["charges"], frames["payouts"], frames["disputes"], frames["events"], as_of)
    currency = theirs.pop("currency")
    for dedupe in (True, False):
        ours = vaultra_report(inputs if inputs is not None else frames, as_of, dedupe).to_dict()
        assert ours["currency"] == currency, (ours["currency"], currency)
        for key, value in theirs.items():
            mine = ours["metrics"][key]
            if isinstance(value, float):
                # pandas rounds a float; vaultra rounds the exact value: at most one unit apart.
                assert mine is not None and abs(mine - value) <= 1.5e-4, (key, mine, value)
            else:
                assert mine == value, (key, mine, value)


def profile(frames: dict[str, Any], as_of: date, repeat: int) -> dict[str, float]:
    """Where vaultra's time goes, step by step (best of ``repeat``, wall ms). Uses the
    package's private pieces; each step is what ``vaultra.score`` runs, in order."""
    from vaultra import _api, _frames
    from vaultra._vaultra import Policy, assess_charge_columns

    charges = frames["charges"]
    policy = Policy.builtin(vaultra.SPEC_V1)
    others = _api.payment_data(None, frames["payouts"], frames["disputes"], frames["events"])
    if not _frames.is_dataframe(charges):
        from vaultra._vaultra import assess_charge_arrow

        prepared = vaultra.payment_data(charges, frames["payouts"], frames["disputes"], frames["events"], dedupe=False)
        day = as_of.isoformat()
        steps: dict[str, Callable[[], object]] = {
            "payouts, disputes, events frames -> PaymentData": lambda: _api.payment_data(
                None, frames["payouts"], frames["disputes"], frames["events"]
            ),
            "charge columns handed over (Python side)": lambda: None,
            "native, dedupe=False (strings, checks, pass, score)": lambda: assess_charge_arrow(
                others, charges, False, day, 30, None, policy
            ),
            "native, dedupe=True": lambda: assess_charge_arrow(others, charges, True, day, 30, None, policy),
            "pass + score + recommendations on loaded data": lambda: vaultra.score(prepared, as_of=as_of),
        }
        times = best_of(repeat, steps)
        return {name: min(t["wall"]) * 1e3 for name, t in times.items()}
    with_ids = _frames.charge_columns(charges, "charges", True)
    without_ids = _frames.charge_columns(charges, "charges", False)
    prepared = vaultra.payment_data(
        charges, frames["payouts"], frames["disputes"], frames["events"], dedupe=False
    )
    day = as_of.isoformat()
    steps: dict[str, Callable[[], object]] = {
        "payouts, disputes, events frames -> PaymentData": lambda: _api.payment_data(
            None, frames["payouts"], frames["disputes"], frames["events"]
        ),
        "charge columns handed over (Python side)": lambda: _frames.charge_columns(charges, "charges", True),
        "native, dedupe=False (strings, checks, pass, score)": lambda: assess_charge_columns(
            others, *without_ids, day, 30, None, policy
        ),
        "native, dedupe=True": lambda: assess_charge_columns(others, *with_ids, day, 30, None, policy),
        "pass + score + recommendations on loaded data": lambda: vaultra.score(prepared, as_of=as_of),
    }
    times = best_of(repeat, steps)
    return {name: min(t["wall"]) * 1e3 for name, t in times.items()}


def floor_run(charges: pd.DataFrame) -> Callable[[], object]:
    """The least any scorer that checks every row must do with these charges: look once at
    every value (see ``--floor``). Conversions happen here, outside the timed call."""
    numbers = [charges[c].to_numpy() for c in ("created", "amount", "amount_refunded", "captured")]
    strings: list[Callable[[], object]] = []
    for column, known in (("currency", "usd"), ("status", "succeeded")):
        series = charges[column]
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy()
            strings.append(lambda codes=codes: (codes < 0).any())
        elif series.dtype == object:
            values = series.to_numpy()
            strings.append(lambda values=values, known=known: (values == known).any())
        else:
            import pyarrow as pa
            import pyarrow.compute as pc

            arrow = pa.chunked_array(pa.array(series))
            strings.append(lambda arrow=arrow, known=known: pc.any(pc.equal(arrow, known)))

    def run() -> object:
        touched = [int(np.add.reduce(a)) for a in numbers]
        return touched, [f() for f in strings]

    return run


def best_of(repeat: int, runs: dict[str, Callable[[], object]]) -> dict[str, dict[str, list[float]]]:
    """Wall-clock and CPU time (of this thread: vaultra computes on the calling thread with
    the GIL released) of each run, alternating the runs so both see the same machine."""
    times: dict[str, dict[str, list[float]]] = {name: {"wall": [], "cpu": []} for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            gc.collect()
            c0, t0 = time.thread_time(), time.perf_counter()
            run()
            t1, c1 = time.perf_counter(), time.thread_time()
            times[name]["wall"].append(t1 - t0)
            times[name]["cpu"].append(c1 - c0)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--charges", type=int, default=1_000_000)
    parser.add_argument("--history-days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dtypes", default="str,object,category,pyarrow")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--profile", action="store_true", help="also time vaultra's steps one by one")
    parser.add_argument(
        "--no-drop-duplicates", action="store_true", help="skip the (slow) pandas drop_duplicates run"
    )
    parser.add_argument("--floor", action="store_true", help="also time the least any scorer must do")
    parser.add_argument("--shuffle-ids", action="store_true", help="charge ids in random order, not increasing")
    args = parser.parse_args(argv)

    as_of = date(2026, 11, 27)
    t0 = time.perf_counter()
    data = make_frames(args.charges, as_of, args.history_days, args.seed, args.shuffle_ids)
    print(f"built {args.charges:,} charges in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    try:
        import pyarrow

        arrow = f"pyarrow {pyarrow.__version__}"
    except ImportError:
        arrow = "no pyarrow"
    print(
        f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"{arrow}, vaultra {vaultra.__version__}; {platform.machine()}, best of {args.repeat}, "
        f"ids {'shuffled' if args.shuffle_ids else 'increasing'}\n"
    )
    print(
        "| string dtype | pandas (ms) | vaultra (ms) | speed-up | vaultra dedupe=False (ms) | speed-up "
        "| pandas + drop_duplicates (ms) | vaultra vs that |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    results = []
    floor_rows: list[str] = []
    prepared_rows: list[str] = []
    profiles: list[tuple[str, dict[str, float]]] = []
    for dtype in [d.strip() for d in args.dtypes.split(",") if d.strip()]:
        if dtype in ("pyarrow", "arrow") and arrow == "no pyarrow":
            continue
        if dtype == "pyarrow":
            dtype = "string[pyarrow]"
        frames = {
            **{k: v for k, v in data.items() if k != "charges"},
            "charges": charges_frame(data["charges"], "str" if dtype == "arrow" else dtype),
        }
        # What vaultra is given: the frames, or (`arrow`) pyarrow Tables of them.
        inputs: dict[str, Any] = arrow_tables(frames) if dtype == "arrow" else frames
        check_agreement(frames, as_of, inputs)
        prepared = vaultra.payment_data(inputs["charges"], inputs["payouts"], inputs["disputes"], inputs["events"])
        runs: dict[str, Callable[[], object]] = {
            "pandas": lambda: pandas_metrics(
                frames["charges"], frames["payouts"], frames["disputes"], frames["events"], as_of
            ),
            "vaultra": lambda: vaultra_report(inputs, as_of),
            "vaultra_nodedupe": lambda: vaultra_report(inputs, as_of, dedupe=False),
            "vaultra_prepared": lambda: vaultra.score(prepared, as_of=as_of),
        }
        if not args.no_drop_duplicates:
            runs["pandas_dedupe"] = lambda: pandas_dedupe_metrics(frames, as_of)
        if args.floor:
            runs["floor"] = floor_run(frames["charges"])
        times = best_of(args.repeat, runs)
        best = {k: {c: min(v[c]) * 1e3 for c in ("wall", "cpu")} for k, v in times.items()}
        p, v, nd, prep = best["pandas"], best["vaultra"], best["vaultra_nodedupe"], best["vaultra_prepared"]
        pd_ = best.get("pandas_dedupe")
        if "floor" in best:
            fl = best["floor"]["wall"]
            floor_rows.append(
                f"| {dtype} | {p['wall']:.1f} | {fl:.2f} | {p['wall'] / fl:.1f}x | {v['wall']:.1f} "
                f"| {nd['wall']:.1f} |"
            )
        prepared_rows.append(
            f"| {dtype} | {p['wall']:.1f} | {prep['wall']:.1f} | {p['wall'] / prep['wall']:.1f}x |"
        )
        label = f"{dtype} ({frames['charges']['status'].dtype!r})" if dtype == "str" else dtype
        if dtype == "arrow":
            label = f"pyarrow Table ({inputs['charges'].schema.field('status').type}; pandas on `str`)"
        dedupe_cols = (
            f"{pd_['wall']:.1f} | {pd_['wall'] / v['wall']:.1f}x" if pd_ is not None else "- | -"
        )
        print(
            f"| {label} | {p['wall']:.1f} | {v['wall']:.1f} | {p['wall'] / v['wall']:.1f}x "
            f"| {nd['wall']:.1f} | {p['wall'] / nd['wall']:.1f}x | {dedupe_cols} |",
            flush=True,
        )
        if args.profile:
            profiles.append((dtype, profile(inputs, as_of, args.repeat)))
        results.append(
            {
                "dtype": dtype,
                "best_ms": best,
                "median_ms": {
                    k: {c: statistics.median(v[c]) * 1e3 for c in ("wall", "cpu")} for k, v in times.items()
                },
                "runs_s": times,
                "profile_ms": profiles[-1][1] if args.profile else None,
            }
        )
        del frames, inputs, prepared
    print(
        "\nScoring a PaymentData built once (`vaultra.payment_data(...)`, then `vaultra.score(data, ...)`:"
        "\nthe metric pass, score and recommendations only, as when one frame is scored over many windows):\n"
    )
    print("| string dtype | pandas wall (ms) | vaultra score only (ms) | ratio |")
    print("|---|---:|---:|---:|")
    for row in prepared_rows:
        print(row)
    if floor_rows:
        print(
            "\nThe floor: one vectorized look at every value a scorer must check (computes nothing)."
            "\npandas / floor is the largest speed-up any checking scorer could show:\n"
        )
        print("| string dtype | pandas (ms) | floor (ms) | pandas / floor | vaultra (ms) | vaultra dedupe=False (ms) |")
        print("|---|---:|---:|---:|---:|---:|")
        for row in floor_rows:
            print(row)
    if profiles:
        print("\nWhere vaultra's time goes (wall ms, best of the same runs):\n")
        print("| step | " + " | ".join(d for d, _ in profiles) + " |")
        print("|---|" + "---:|" * len(profiles))
        for step in profiles[0][1]:
            print(f"| {step} | " + " | ".join(f"{prof[step]:.2f}" for _, prof in profiles) + " |")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"charges": args.charges, "repeat": args.repeat, "results": results}, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
