"""Stripe's official package signs webhook deliveries; our Rust verifier judges them.

Every header here is produced by `stripe.WebhookSignature` (the package's own signing
code), so a pass proves that `vaultra_adapters::stripe::webhook::verify` implements
Stripe's scheme, not merely agrees with itself.
"""

import json
import subprocess
import time

import pytest
import stripe

SECRET = "whsec_vaultraProofSecretNumberOne0001"
OLD_SECRET = "whsec_vaultraProofSecretRetiring0002"
OTHER_SECRET = "whsec_someoneElsesEndpointSecret0003"


def event_payload(**overrides) -> str:
    event = {
        "id": "evt_1VaultraProofEvent0001",
        "object": "event",
        "account": "acct_1VaultraDemoMerchnt",
        "api_version": "2024-06-20",
        "created": int(time.time()) - 5,
        "data": {
            "object": {
                "id": "po_1VaultraProofPayout001",
                "object": "payout",
                "amount": 12345,
                "currency": "usd",
                "status": "paid",
                "description": "Café payout — ünïcode survives signing",
            }
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": "payout.paid",
    }
    event.update(overrides)
    # Stripe sends pretty-printed JSON; the signature covers the exact bytes.
    return json.dumps(event, indent=2, ensure_ascii=False)


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(
        payload, secret, timestamp=timestamp if timestamp is not None else int(time.time())
    )


def run_verifier(verifier: str, payload: str, header: str, *secrets: str, now: int | None = None):
    args = [verifier, "--header", header]
    for s in secrets:
        args += ["--secret", s]
    if now is not None:
        args += ["--now", str(now)]
    return subprocess.run(
        args, input=payload.encode("utf-8"), capture_output=True, timeout=60
    )


def accepted(result) -> dict:
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def rejected(result, reason: str) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert reason in result.stderr.decode(), result.stderr.decode()


def test_a_header_stripe_generates_is_accepted(verifier):
    payload = event_payload()
    header = sign(payload, SECRET)
    # Stripe's own verifier agrees the header is good …
    event = stripe.Webhook.construct_event(payload, header, SECRET)
    assert event.id == "evt_1VaultraProofEvent0001"
    # … and so does ours, which also parses the Connect account out of it.
    out = accepted(run_verifier(verifier, payload, header, SECRET))
    assert out == {
        "id": "evt_1VaultraProofEvent0001",
        "type": "payout.paid",
        "created": json.loads(payload)["created"],
        "account": "acct_1VaultraDemoMerchnt",
    }


def test_a_tampered_payload_is_rejected(verifier):
    payload = event_payload()
    header = sign(payload, SECRET)
    tampered = payload.replace("12345", "99999")
    assert tampered != payload
    with pytest.raises(stripe.error.SignatureVerificationError):
        stripe.Webhook.construct_event(tampered, header, SECRET)
    rejected(run_verifier(verifier, tampered, header, SECRET), "no signature matches")


def test_a_moved_timestamp_is_rejected(verifier):
    payload = event_payload()
    t = int(time.time())
    header = sign(payload, SECRET, timestamp=t)
    moved = header.replace(f"t={t}", f"t={t - 1}", 1)
    rejected(run_verifier(verifier, payload, moved, SECRET), "no signature matches")


def test_an_expired_header_is_rejected(verifier):
    payload = event_payload()
    old = int(time.time()) - 301
    header = sign(payload, SECRET, timestamp=old)
    with pytest.raises(stripe.error.SignatureVerificationError, match="tolerance"):
        stripe.Webhook.construct_event(payload, header, SECRET, tolerance=300)
    rejected(run_verifier(verifier, payload, header, SECRET), "outside the tolerance")
    # Still inside five minutes: accepted.
    recent = sign(payload, SECRET, timestamp=int(time.time()) - 240)
    accepted(run_verifier(verifier, payload, recent, SECRET))


def test_a_header_from_the_future_is_rejected(verifier):
    payload = event_payload()
    now = int(time.time())
    header = sign(payload, SECRET, timestamp=now + 301)
    rejected(run_verifier(verifier, payload, header, SECRET, now=now), "outside the tolerance")


def test_the_wrong_secret_is_rejected(verifier):
    payload = event_payload()
    header = sign(payload, OTHER_SECRET)
    rejected(run_verifier(verifier, payload, header, SECRET), "no signature matches")


def test_rotation_accepts_either_secret(verifier):
    payload = event_payload()
    t = int(time.time())
    signed_old = sign(payload, OLD_SECRET, timestamp=t)
    signed_new = sign(payload, SECRET, timestamp=t)
    # Both secrets configured (as STRIPE_WEBHOOK_SECRET="new,old"): either signer passes.
    for header in (signed_old, signed_new):
        accepted(run_verifier(verifier, payload, header, f"{SECRET},{OLD_SECRET}"))
    # During a rotation Stripe sends one v1 per active secret in one header.
    both = signed_new + "," + signed_old.split(",", 1)[1]
    assert both.count("v1=") == 2
    accepted(run_verifier(verifier, payload, both, SECRET))
    accepted(run_verifier(verifier, payload, both, OLD_SECRET))
    # Once the old secret is dropped, a delivery signed only with it fails.
    rejected(run_verifier(verifier, payload, signed_old, SECRET), "no signature matches")


def test_malformed_headers_are_rejected(verifier):
    payload = event_payload()
    good = sign(payload, SECRET)
    t, v1 = good.split(",", 1)
    rejected(run_verifier(verifier, payload, v1, SECRET), "no timestamp")
    rejected(run_verifier(verifier, payload, t, SECRET), "no v1 signature")
    rejected(run_verifier(verifier, payload, "garbage", SECRET), "malformed")
    rejected(run_verifier(verifier, payload, "t=yesterday," + v1, SECRET), "malformed")
    # A v0 signature (legacy scheme) is not accepted in place of v1.
    rejected(run_verifier(verifier, payload, t + "," + v1.replace("v1=", "v0="), SECRET),
             "no v1 signature")
