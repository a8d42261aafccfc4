"""Vaultra: how ready a small business is for funding, from its Stripe data.

>>> import vaultra
>>> report = vaultra.score("examples/data/sample-merchant", as_of="2026-11-27")  # doctest: +SKIP
>>> report.readiness.score, report.readiness.tier_label                          # doctest: +SKIP
(55, 'Improving')

- :func:`score` takes lists of Stripe objects, pandas DataFrames with Stripe's column
  names, or an export folder (:func:`load_export`) and returns a :class:`Report`:
  ``.metrics``, ``.readiness`` (score, tier, factors), ``.recommendations``,
  ``.to_dict()`` (the JSON contract of ``vaultra score --format json``) and
  ``.to_frame()``.
- :func:`payment_data` builds the data once, to score it over many windows.
- :class:`Client` reads a Vaultra store (SQLite or PostgreSQL): businesses, latest
  metrics, score history, recommendations and reports.
- :func:`simulate` scores hypothetical metric values; :func:`next_tier` finds the
  smallest change per metric that reaches the next tier.
- Money is :class:`decimal.Decimal`, dates :class:`datetime.date`, ratios ``float``.
- Every error is a :class:`VaultraError`; bad data raises :class:`InvalidInput`, whose
  message names the row or object and the field.

The metrics and the score are defined exactly in Vaultra's METRICS.md; the computation
runs in Rust (``vaultra-core``) with the GIL released.
"""

from ._api import load_policy, next_tier, payment_data, score, simulate
from ._client import Client
from ._results import (
    Factor,
    Metrics,
    MetricTarget,
    NextTierPlan,
    Readiness,
    Recommendation,
    Report,
    Simulation,
    Window,
)
from ._vaultra import (
    SPEC_V1,
    Conflict,
    InternalError,
    InvalidInput,
    NotFound,
    PaymentData,
    PermissionDenied,
    Policy,
    Unavailable,
    VaultraError,
    __version__,
    load_export,
)

__all__ = [
    "score",
    "simulate",
    "next_tier",
    "load_export",
    "payment_data",
    "load_policy",
    "Report",
    "Metrics",
    "Readiness",
    "Factor",
    "Recommendation",
    "Window",
    "Simulation",
    "NextTierPlan",
    "MetricTarget",
    "PaymentData",
    "Policy",
    "Client",
    "SPEC_V1",
    "VaultraError",
    "InvalidInput",
    "NotFound",
    "Conflict",
    "PermissionDenied",
    "Unavailable",
    "InternalError",
    "__version__",
]
