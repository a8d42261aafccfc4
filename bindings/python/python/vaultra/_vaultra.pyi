"""Type stubs of the native module ``vaultra._vaultra`` (checked with ``mypy.stubtest``)."""

import os
from typing import Any, Callable, Literal, Sequence, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "PaymentData",
    "load_export",
    "Conflict",
    "InternalError",
    "InvalidInput",
    "NotFound",
    "PermissionDenied",
    "Unavailable",
    "VaultraError",
    "Indicators",
    "Policy",
    "Report",
    "assess",
    "assess_charge_arrow",
    "assess_charge_columns",
    "Client",
    "__version__",
    "SPEC_V1",
]

__version__: str
SPEC_V1: str

_StrColumn = (
    tuple[Literal["codes"], npt.NDArray[np.integer[Any]], Sequence[str | None]]
    | tuple[
        Literal["arrow"],
        list[
            tuple[
                npt.NDArray[np.int32] | npt.NDArray[np.int64],
                npt.NDArray[np.uint8],
                npt.NDArray[np.uint8] | None,
                int,
                int,
            ]
        ],
    ]
    | tuple[Literal["object"], npt.NDArray[np.object_]]
)

class VaultraError(Exception): ...

class InvalidInput(VaultraError):
    context: str | None
    field: str | None
    reason: str | None

class NotFound(VaultraError): ...
class Conflict(VaultraError): ...
class PermissionDenied(VaultraError): ...

class Unavailable(VaultraError):
    retryable: bool

class InternalError(VaultraError): ...

@final
class PaymentData:
    def __new__(cls) -> PaymentData: ...
    def add_objects(
        self,
        kind: str,
        objects: list[Any],
        source: str | None = None,
        describe: Callable[[int], str] | None = None,
    ) -> None: ...
    def add_object_columns(
        self,
        kind: str,
        names: list[str],
        columns: list[npt.NDArray[np.object_]],
        source: str | None = None,
        describe: Callable[[int], str] | None = None,
    ) -> None: ...
    def add_charge_columns(
        self,
        created: npt.NDArray[np.int64],
        amount: npt.NDArray[np.int64],
        amount_refunded: npt.NDArray[np.int64],
        currency: _StrColumn,
        status: _StrColumn,
        captured: npt.NDArray[np.bool_] | None = None,
        object: _StrColumn | None = None,
        describe: Callable[[int], str] | None = None,
        id: _StrColumn | None = None,
    ) -> None: ...
    def add_charge_arrow(self, table: object, source: str | None = None, dedupe: bool = True) -> None: ...
    @property
    def charge_count(self) -> int: ...
    @property
    def payout_count(self) -> int: ...
    @property
    def dispute_count(self) -> int: ...
    @property
    def paid_payout_count(self) -> int: ...
    @property
    def currencies(self) -> list[str]: ...

def load_export(path: str | os.PathLike[str]) -> PaymentData: ...

@final
class Policy:
    @staticmethod
    def builtin(name: str) -> Policy: ...
    @staticmethod
    def from_json(text: str) -> Policy: ...
    def to_json(self, pretty: bool = False) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def max_attainable(self) -> int: ...

@final
class Report:
    def to_json(self, pretty: bool = False) -> str: ...
    def to_text(self) -> str: ...
    def daily_revenue(self) -> list[str]: ...
    def indicators(self) -> Indicators: ...
    @property
    def policy(self) -> Policy: ...

@final
class Indicators:
    @staticmethod
    def from_values(values: dict[str, Any]) -> Indicators: ...
    def simulate(self, changes: dict[str, Any], policy: Policy) -> str: ...
    def next_tier(self, policy: Policy) -> str: ...
    def to_json(self) -> str: ...

def assess(
    data: PaymentData,
    as_of: str | None,
    window_days: int,
    currency: str | None,
    policy: Policy,
) -> Report: ...
def assess_charge_arrow(
    data: PaymentData,
    table: object,
    dedupe: bool,
    as_of: str | None,
    window_days: int,
    currency: str | None,
    policy: Policy,
) -> Report: ...
def assess_charge_columns(
    data: PaymentData,
    created: npt.NDArray[np.int64],
    amount: npt.NDArray[np.int64],
    amount_refunded: npt.NDArray[np.int64],
    currency_column: _StrColumn,
    status: _StrColumn,
    captured: npt.NDArray[np.bool_] | None,
    object: _StrColumn | None,
    describe: Callable[[int], str] | None,
    id: _StrColumn | None,
    as_of: str | None,
    window_days: int,
    currency: str | None,
    policy: Policy,
) -> Report: ...

@final
class Client:
    def __new__(cls, database_url: str) -> Client: ...
    def businesses(self) -> str: ...
    def latest_metrics(self, business_id: str) -> str: ...
    def score_history(self, business_id: str, limit: int = 30) -> str: ...
    def recommendations(
        self, business_id: str, status: str | None = None, priority: str | None = None
    ) -> str: ...
    def report(
        self,
        business_id: str,
        as_of: str | None,
        window_days: int,
        currency: str | None,
        policy: Policy,
    ) -> Report: ...
    def top_recommendations(self, business_id: str, limit: int = 5) -> str: ...
    def business_context(self, business_id: str) -> str: ...
