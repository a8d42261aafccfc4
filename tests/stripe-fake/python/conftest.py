"""Shared fixtures: the running fake (started by run.sh) and the Rust verifier binary."""

import json
import os

import pytest
import stripe


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.exit(f"{name} is not set: run these tests through run.sh", returncode=2)
    return value


@pytest.fixture(scope="session")
def fake() -> dict:
    """The fake's ready line: url, api_base, api_key, account, object counts, …"""
    return json.loads(_required("VAULTRA_STRIPE_FAKE"))


@pytest.fixture(scope="session")
def verifier() -> str:
    """Path of the `verify_webhook` example built from vaultra-adapters."""
    path = _required("VAULTRA_VERIFY_WEBHOOK")
    if not os.access(path, os.X_OK):
        pytest.exit(f"verifier {path} is not executable", returncode=2)
    return path


@pytest.fixture()
def stripe_at_fake(fake):
    """Points the official client's global configuration at the fake, then restores it."""
    saved = (stripe.api_key, stripe.api_base, stripe.connect_api_base,
             stripe.max_network_retries, stripe.client_id)
    stripe.api_key = fake["api_key"]
    stripe.api_base = fake["api_base"]
    stripe.connect_api_base = fake["api_base"]
    stripe.client_id = fake["client_id"]
    stripe.max_network_retries = 0
    try:
        yield stripe
    finally:
        (stripe.api_key, stripe.api_base, stripe.connect_api_base,
         stripe.max_network_retries, stripe.client_id) = saved
