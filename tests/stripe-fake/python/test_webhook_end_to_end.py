"""Deliveries signed by Stripe's official package, handled end to end by Vaultra.

Each delivery goes through `vaultra stripe webhook` (the webhook service of
vaultra-core with the Stripe adapter's verifier, into a SQLite store): signed by
`stripe.WebhookSignature`, checked by `stripe.Webhook.construct_event` too, recorded
once, applied to the store. The store is then read back with Python's sqlite3.
"""

import json
import os
import sqlite3
import subprocess
import time

import pytest
import stripe

SECRET = "whsec_vaultraEndToEndSecretNumberOne01"
OLD_SECRET = "whsec_vaultraEndToEndSecretRetiring02"
ACCOUNT = "acct_1VaultraHookMerchant"


@pytest.fixture()
def vaultra(tmp_path):
    """Runs the `vaultra` binary on a fresh SQLite store with the signing secrets set."""
    binary = os.environ.get("VAULTRA_CLI")
    if not binary:
        pytest.exit("VAULTRA_CLI is not set: run these tests through run.sh", returncode=2)
    db = tmp_path / "v.db"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=f"sqlite://{db}",
        STRIPE_WEBHOOK_SECRET=f"{SECRET},{OLD_SECRET}",
    )
    env.pop("STRIPE_SECRET_KEY", None)

    def run(*args, payload: bytes | None = None):
        return subprocess.run(
            [binary, *args], input=payload, capture_output=True, cwd=tmp_path, env=env,
            timeout=120,
        )

    run.db = db
    return run


def ok(result) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def linked_business(vaultra) -> str:
    business = ok(vaultra("business", "create", "--name", "Hook Café",
                          "--owner-email", "hook@example.com")).strip()
    ok(vaultra("stripe", "link", "--business", business, "--account", ACCOUNT))
    return business


def charge(charge_id: str, amount: int, refunded: int = 0) -> dict:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "captured": True,
        "created": int(time.time()) - 3600,
        "currency": "eur",
        "description": "Crème brûlée — ünïcode survives signing",
        "livemode": False,
        "paid": True,
        "refunded": refunded == amount,
        "status": "succeeded",
    }


def event(event_id: str, kind: str, obj: dict, account: str | None = ACCOUNT) -> bytes:
    body = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()) - 5,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": kind,
    }
    if account is not None:
        body["account"] = account
    # Stripe sends pretty-printed UTF-8; the signature covers the exact bytes.
    return json.dumps(body, indent=2, ensure_ascii=False).encode("utf-8")


def deliver(vaultra, payload: bytes, secret: str = SECRET):
    header = stripe.WebhookSignature.generate_signature_header(
        payload.decode("utf-8"), secret, timestamp=int(time.time())
    )
    # Stripe's own verifier accepts what we are about to hand over.
    stripe.Webhook.construct_event(payload.decode("utf-8"), header, secret)
    return vaultra("stripe", "webhook", "--signature", header, payload=payload)


def outcome(result) -> dict:
    return json.loads(ok(result))


def rows(vaultra, sql: str, *args):
    with sqlite3.connect(vaultra.db) as db:
        return db.execute(sql, args).fetchall()


def test_a_signed_charge_event_is_stored_once(vaultra):
    linked_business(vaultra)
    payload = event("evt_1PyHookCharge", "charge.succeeded", charge("ch_1PyHook", 4200))
    first = outcome(deliver(vaultra, payload))
    assert first["outcome"] == "applied", first
    assert first["stored"]["charges"] == 1
    assert rows(vaultra, "SELECT amount, amount_refunded, currency FROM charges "
                         "WHERE stripe_id = ?", "ch_1PyHook") == [(4200, 0, "eur")]
    # A replay (Stripe retries) is acknowledged and changes nothing.
    again = outcome(deliver(vaultra, payload))
    assert again == {"outcome": "duplicate", "event_id": "evt_1PyHookCharge"}
    assert rows(vaultra, "SELECT count(*) FROM charges") == [(1,)]
    assert rows(vaultra, "SELECT count(*) FROM stripe_events WHERE processed_at IS NOT NULL") \
        == [(1,)]
    # A later event carries the newest state of the charge.
    refund = event("evt_1PyHookRefund", "charge.refunded",
                   charge("ch_1PyHook", 4200, refunded=4200))
    assert outcome(deliver(vaultra, refund))["outcome"] == "applied"
    assert rows(vaultra, "SELECT amount_refunded FROM charges WHERE stripe_id = ?",
                "ch_1PyHook") == [(4200,)]


def test_rotation_and_rejections(vaultra):
    linked_business(vaultra)
    payload = event("evt_1PyHookRotate", "charge.succeeded", charge("ch_1PyRotate", 990))
    # Signed with the retiring secret while both are configured: accepted.
    assert outcome(deliver(vaultra, payload, secret=OLD_SECRET))["outcome"] == "applied"

    forged = event("evt_1PyHookForged", "charge.succeeded", charge("ch_1PyForged", 1))
    header = stripe.WebhookSignature.generate_signature_header(
        forged.decode("utf-8"), SECRET, timestamp=int(time.time()))
    tampered = forged.replace(b'"amount": 1,', b'"amount": 100000,')
    assert tampered != forged
    for body, hdr in [
        (tampered, header),
        (forged, stripe.WebhookSignature.generate_signature_header(
            forged.decode("utf-8"), "whsec_someoneElse", timestamp=int(time.time()))),
        (forged, stripe.WebhookSignature.generate_signature_header(
            forged.decode("utf-8"), SECRET, timestamp=int(time.time()) - 301)),
    ]:
        result = vaultra("stripe", "webhook", "--signature", hdr, payload=body)
        assert result.returncode == 1, result
        assert result.stdout == b""
        err = result.stderr.decode()
        assert err.count("\n") == 1 and "Stripe-Signature" in err, err
    assert rows(vaultra, "SELECT count(*) FROM stripe_events WHERE event_id = ?",
                "evt_1PyHookForged") == [(0,)]
    assert rows(vaultra, "SELECT count(*) FROM charges WHERE stripe_id = ?",
                "ch_1PyForged") == [(0,)]


def test_deauthorization_and_strangers(vaultra):
    linked_business(vaultra)
    stranger = event("evt_1PyHookStranger", "charge.succeeded", charge("ch_1PyStr", 5),
                     account="acct_1SomeoneElseEntirely")
    got = outcome(deliver(vaultra, stranger))
    assert got["outcome"] == "ignored" and got["reason"] == "unknown_account", got
    deauth = event("evt_1PyHookDeauth", "account.application.deauthorized",
                   {"id": "ca_VaultraFakeClient000000000000", "object": "application",
                    "name": "Vaultra"})
    got = outcome(deliver(vaultra, deauth))
    assert got["outcome"] == "deauthorized", got
    assert rows(vaultra, "SELECT status FROM integration_accounts WHERE external_id = ?",
                ACCOUNT) == [("disconnected",)]
    # Both were recorded, idempotently, as processed.
    assert rows(vaultra, "SELECT event_id FROM stripe_events ORDER BY event_id") == [
        ("evt_1PyHookDeauth",), ("evt_1PyHookStranger",)]
