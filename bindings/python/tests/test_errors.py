"""Bad input raises the right exception, and its message names the row or object and the field."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import vaultra
from vaultra import InvalidInput, VaultraError

AS_OF = "2026-11-27"


def charge(i: int = 1, **fields: Any) -> dict[str, Any]:
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
    return {k: v for k, v in base.items() if v is not ...}


def test_hierarchy() -> None:
    for cls in (
        vaultra.InvalidInput,
        vaultra.NotFound,
        vaultra.Conflict,
        vaultra.PermissionDenied,
        vaultra.Unavailable,
        vaultra.InternalError,
    ):
        assert issubclass(cls, VaultraError)
        assert cls.__module__ == "vaultra"
    assert issubclass(VaultraError, Exception)
    assert InvalidInput("x").field is None
    assert vaultra.Unavailable("x").retryable is False


def test_missing_field_in_a_dict() -> None:
    with pytest.raises(InvalidInput) as e:
        vaultra.score([charge(1), charge(2, amount=...)], as_of=AS_OF)
    assert str(e.value) == "charges[1]: charge ch_2: field `amount`: missing"
    assert e.value.field == "amount"
    assert e.value.context == "charges[1]: charge ch_2"
    assert e.value.reason == "missing"


def test_wrongly_typed_field_in_a_dict() -> None:
    with pytest.raises(InvalidInput, match=r"charges\[0\]: charge ch_1: field `amount`: expected an integer, got str"):
        vaultra.score([charge(amount="1000")], as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"field `amount`: expected an integer, got float"):
        vaultra.score([charge(amount=10.5)], as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"field `captured`: expected a bool, got str"):
        vaultra.score([charge(captured="yes")], as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"events\[0\]: event evt_1: field `data.object.created`"):
        vaultra.score([], events=[{"id": "evt_1", "type": "payout.paid", "created": 5, "data": {"object": {"id": "po_1", "created": "x"}}}], as_of=AS_OF)


def test_values_out_of_range() -> None:
    with pytest.raises(InvalidInput, match=r"charge ch_1: field `amount`: -5 is outside"):
        vaultra.score([charge(amount=-5)], as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"field `currency`: `us` is not a three-letter currency code"):
        vaultra.score([charge(currency="us")], as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"unknown charge status `paid`"):
        vaultra.score([charge(status="paid")], as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"payouts\[0\]: payout po_1: field `arrival_date`: missing"):
        vaultra.score([], payouts=[{"id": "po_1", "created": 1, "amount": 5, "currency": "usd", "status": "paid"}], as_of=AS_OF)


def test_not_a_dict() -> None:
    with pytest.raises(InvalidInput, match=r"charges\[1\]: field `object`: expected a Stripe object \(a dict\), got int"):
        vaultra.score([charge(), 42], as_of=AS_OF)


@pytest.fixture()
def frame() -> pd.DataFrame:
    return pd.DataFrame([charge(i) for i in range(5)])


def test_frame_missing_value_names_row_and_id(frame: pd.DataFrame) -> None:
    frame.loc[3, "amount"] = np.nan
    with pytest.raises(InvalidInput) as e:
        vaultra.score(frame, as_of=AS_OF)
    assert str(e.value) == "charges row 3 (id ch_3): field `amount`: missing"
    assert e.value.field == "amount"


def test_frame_bad_values(frame: pd.DataFrame) -> None:
    bad = frame.copy()
    bad["amount"] = bad["amount"].astype(float)
    bad.loc[2, "amount"] = 12.5
    with pytest.raises(InvalidInput, match=r"charges row 2 \(id ch_2\): field `amount`: expected an integer, got float 12.5"):
        vaultra.score(bad, as_of=AS_OF)
    bad = frame.copy()
    bad.loc[4, "status"] = "refunded"
    with pytest.raises(InvalidInput, match=r"charges row 4 \(id ch_4\): field `status`: unknown charge status `refunded`"):
        vaultra.score(bad, as_of=AS_OF)
    bad = frame.copy()
    bad.loc[1, "currency"] = None
    with pytest.raises(InvalidInput, match=r"charges row 1 \(id ch_1\): field `currency`: missing"):
        vaultra.score(bad, as_of=AS_OF)
    bad = frame.copy()
    bad.loc[0, "amount_refunded"] = 2**41
    with pytest.raises(InvalidInput, match=r"charges row 0 \(id ch_0\): field `amount_refunded`: 2199023255552 is outside"):
        vaultra.score(bad, as_of=AS_OF)
    bad = frame.copy().astype({"status": object})
    bad.loc[3, "status"] = 7
    with pytest.raises(InvalidInput, match=r"charges row 3 \(id ch_3\): field `status`: expected a string, got int"):
        vaultra.score(bad, as_of=AS_OF)
    bad = frame.copy()
    bad["captured"] = ["yes", True, True, True, True]
    with pytest.raises(InvalidInput, match=r"charges row 0 \(id ch_0\): field `captured`: expected a bool, got str"):
        vaultra.score(bad, as_of=AS_OF)


def test_frame_missing_column(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match=r"charges: field `amount_refunded`: missing column"):
        vaultra.score(frame.drop(columns="amount_refunded"), as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"charges: field `status`: missing column"):
        vaultra.score(frame.drop(columns="status"), as_of=AS_OF)


def test_frame_other_kinds_name_the_row() -> None:
    payouts = pd.DataFrame(
        [{"id": "po_1", "created": 1, "arrival_date": 2, "amount": 5, "currency": "usd", "status": "lost"}]
    )
    with pytest.raises(InvalidInput, match=r"payouts row 0: payout po_1: field `status`: unknown payout status `lost`"):
        vaultra.score([], payouts, as_of=AS_OF)


def test_bad_arguments(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match="window_days"):
        vaultra.score(frame, as_of=AS_OF, window_days=1)
    with pytest.raises(InvalidInput, match="window_days"):
        vaultra.score(frame, as_of=AS_OF, window_days=100_000)
    with pytest.raises(InvalidInput, match="as_of") as e:
        vaultra.score(frame, as_of="2026-13-01")
    assert e.value.field == "as_of"
    with pytest.raises(InvalidInput, match="currency"):
        vaultra.score(frame, as_of=AS_OF, currency="dollars")
    with pytest.raises(InvalidInput, match=r"unknown policy|neither a built-in policy"):
        vaultra.score(frame, as_of=AS_OF, policy="spec-v9")
    with pytest.raises(InvalidInput, match="not a valid policy"):
        vaultra.score(frame, as_of=AS_OF, policy={"name": "x"})
    with pytest.raises(TypeError, match="charges"):
        vaultra.score(42, as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="single mapping"):
        vaultra.score(charge(), as_of=AS_OF)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="window_days"):
        vaultra.score(frame, as_of=AS_OF, window_days="30")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="as_of"):
        vaultra.score(frame, as_of=20261127)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="payouts"):
        vaultra.score("some/folder", payouts=[])


def test_export_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such folder"):
        vaultra.load_export(tmp_path / "missing")
    (tmp_path / "charges.json").write_text("[{")
    with pytest.raises(InvalidInput, match="charges.json"):
        vaultra.load_export(tmp_path)
    (tmp_path / "charges.json").write_text(json.dumps([charge(amount=...)]))
    with pytest.raises(InvalidInput, match=r"charges.json: charge ch_1: field `amount`: missing") as e:
        vaultra.score(tmp_path, as_of=AS_OF)
    assert e.value.field == "amount"


def test_what_if_errors() -> None:
    report = vaultra.score([charge()], as_of=AS_OF)
    with pytest.raises(InvalidInput, match="profit") as e:
        vaultra.simulate(report, profit=1)
    assert e.value.field == "profit"
    with pytest.raises(InvalidInput, match=r"field `chargeback_ratio`: 1.5 is out of range"):
        vaultra.simulate(report, chargeback_ratio=1.5)
    with pytest.raises(InvalidInput, match="revenue_trend"):
        vaultra.simulate(report, revenue_trend="up")
    with pytest.raises(InvalidInput, match="expected increasing, flat or declining"):
        vaultra.simulate(report, revenue_trend=0.1)
    with pytest.raises(InvalidInput, match="bool"):
        vaultra.simulate(report, chargeback_ratio=True)
    with pytest.raises(InvalidInput, match="not a finite number"):
        vaultra.simulate(report, revenue_volatility=float("nan"))
    with pytest.raises(InvalidInput, match="mood"):
        vaultra.next_tier({"mood": "great"})
    with pytest.raises(TypeError):
        vaultra.simulate(42)  # type: ignore[arg-type]


def test_frame_shape_errors(frame: pd.DataFrame) -> None:
    twice = pd.concat([frame, frame[["amount"]]], axis=1)
    with pytest.raises(InvalidInput, match=r"charges: column `amount` appears more than once"):
        vaultra.score(twice, as_of=AS_OF)
    with pytest.raises(InvalidInput, match=r"payouts: no column Vaultra reads"):
        vaultra.score(frame, pd.DataFrame({"x": [1]}), as_of=AS_OF)
