"""The native calls release the GIL while they compute."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import vaultra
from vaultra._vaultra import PaymentData, Policy, assess

N = 2_000_000


@pytest.fixture(autouse=True)
def long_switch_interval() -> Iterator[None]:
    # With a long switch interval a thread that holds the GIL keeps it: the main thread
    # runs only while the worker is in a call that released the GIL (or has finished).
    old = sys.getswitchinterval()
    sys.setswitchinterval(5.0)
    yield
    sys.setswitchinterval(old)


def _main_steps_inside(call: Callable[[], object]) -> int:
    """How many times the main thread ran Python while `call` ran in a worker thread."""
    span: dict[str, float] = {}
    stamps: list[float] = []

    def work() -> None:
        span["start"] = time.perf_counter()
        call()
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    worker.start()
    while worker.is_alive():
        stamps.append(time.perf_counter())
        time.sleep(0)  # hand the GIL back as soon as the worker wants it
    worker.join()
    return sum(span["start"] < s < span["end"] for s in stamps)


def test_loading_columns_and_scoring_release_the_gil() -> None:
    rng = np.random.default_rng(1)
    created = np.ascontiguousarray(1_795_000_000 + rng.integers(0, 30 * 86_400, N))
    amount = np.ascontiguousarray(rng.integers(100, 10_000, N))
    refunded = np.zeros(N, dtype=np.int64)
    currency = ("codes", np.zeros(N, dtype=np.int8), ["usd"])
    status = ("codes", np.zeros(N, dtype=np.int8), ["succeeded"])
    data = PaymentData()

    def load() -> None:
        data.add_charge_columns(created, amount, refunded, currency, status)

    assert _main_steps_inside(load) > 20
    assert data.charge_count == N
    policy = Policy.builtin(vaultra.SPEC_V1)
    assert _main_steps_inside(lambda: assess(data, "2026-11-15", 30, None, policy)) > 20


def test_the_measure_sees_a_call_that_keeps_the_gil() -> None:
    # Sorting in C keeps the GIL: the main thread does not run meanwhile, so the test
    # above measures something.
    values = np.random.default_rng(2).random(300_000).tolist()
    assert _main_steps_inside(lambda: sorted(values)) == 0
