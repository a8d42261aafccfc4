"""The official `stripe` client, pointed at our fake, lists and retrieves as it would
against api.stripe.com: proof that the fake speaks the real protocol."""

import pytest


def all_charges(stripe, fake, **params):
    page = stripe.Charge.list(limit=100, stripe_account=fake["account"], **params)
    return list(page.auto_paging_iter())


def test_auto_paging_returns_every_charge_once_newest_first(stripe_at_fake, fake):
    stripe = stripe_at_fake
    charges = all_charges(stripe, fake)
    assert len(charges) == fake["charges"] > 100
    ids = [c.id for c in charges]
    assert len(set(ids)) == len(ids)
    keys = [(c.created, c.id) for c in charges]
    assert keys == sorted(keys, reverse=True)
    first = charges[0]
    assert isinstance(first, stripe.Charge)
    assert first.object == "charge"
    assert isinstance(first.amount, int)
    assert first.outcome.type in ("authorized", "issuer_declined")
    assert first.payment_method_details.card.last4 == "4242"


def test_created_filter(stripe_at_fake, fake):
    stripe = stripe_at_fake
    charges = all_charges(stripe, fake)
    created = sorted(c.created for c in charges)
    cut = created[len(created) // 2]
    newer = all_charges(stripe, fake, created={"gte": cut})
    assert [c.id for c in newer] == [c.id for c in charges if c.created >= cut]
    older = all_charges(stripe, fake, created={"lt": cut})
    assert [c.id for c in older] == [c.id for c in charges if c.created < cut]
    window = all_charges(stripe, fake, created={"gt": created[10], "lte": created[-10]})
    assert [c.id for c in window] == [
        c.id for c in charges if created[10] < c.created <= created[-10]
    ]


def test_retrieve_and_other_lists(stripe_at_fake, fake):
    stripe = stripe_at_fake
    page = stripe.Charge.list(limit=3, stripe_account=fake["account"])
    assert len(page.data) == 3 and page.has_more
    one = stripe.Charge.retrieve(page.data[1].id, stripe_account=fake["account"])
    assert one.id == page.data[1].id and one.amount == page.data[1].amount
    payouts = list(stripe.Payout.list(limit=100, stripe_account=fake["account"]).auto_paging_iter())
    assert len(payouts) == fake["payouts"]
    events = list(
        stripe.Event.list(limit=100, type="payout.paid", stripe_account=fake["account"])
        .auto_paging_iter()
    )
    assert len(events) == fake["events"]
    assert all(e.type == "payout.paid" and e.data.object.object == "payout" for e in events)
    disputes = list(stripe.Dispute.list(limit=100, stripe_account=fake["account"]).auto_paging_iter())
    assert len(disputes) == fake["disputes"]
    account = stripe.Account.retrieve(stripe_account=fake["account"])
    assert account.id == fake["account"]


def test_the_modern_client_pages_too(fake):
    import stripe

    client = stripe.StripeClient(
        fake["api_key"],
        stripe_account=fake["account"],
        base_addresses={"api": fake["api_base"], "connect": fake["api_base"]},
        max_network_retries=0,
    )
    charges = list(client.v1.charges.list({"limit": 100}).auto_paging_iter())
    assert len(charges) == fake["charges"]


def test_a_bad_key_is_an_authentication_error(stripe_at_fake, fake):
    stripe = stripe_at_fake
    with pytest.raises(stripe.error.AuthenticationError) as info:
        stripe.Charge.list(api_key="sk_test_notTheRightKey1234", stripe_account=fake["account"])
    assert info.value.http_status == 401
    assert "Invalid API Key provided: sk_test_" in info.value.user_message
    assert "notTheRightKey" not in info.value.user_message


def test_errors_map_to_stripes_exception_classes(stripe_at_fake, fake):
    stripe = stripe_at_fake
    with pytest.raises(stripe.error.PermissionError) as denied:
        stripe.Charge.list(stripe_account="acct_1NotConnectedToUs0")
    assert denied.value.http_status == 403
    # stripe-python does not copy `code` onto PermissionError; the body has it.
    assert denied.value.json_body["error"]["code"] == "account_invalid"
    with pytest.raises(stripe.error.InvalidRequestError) as missing:
        stripe.Charge.retrieve("ch_doesNotExist", stripe_account=fake["account"])
    assert missing.value.http_status == 404
    assert missing.value.code == "resource_missing"
    with pytest.raises(stripe.error.InvalidRequestError) as bad_limit:
        stripe.Charge.list(limit=101, stripe_account=fake["account"])
    assert bad_limit.value.param == "limit"


def test_oauth_code_exchange_is_single_use(stripe_at_fake, fake):
    stripe = stripe_at_fake
    token = stripe.OAuth.token(grant_type="authorization_code", code=fake["oauth_code"])
    assert token.token_type == "bearer"
    assert token.stripe_user_id.startswith("acct_")
    assert token.access_token.startswith("sk_test_")
    # The new token works for the connected account …
    account = stripe.Account.retrieve(api_key=token.access_token)
    assert account.id == token.stripe_user_id
    # … and a second exchange is Stripe's invalid_grant.
    with pytest.raises(stripe.oauth_error.InvalidGrantError):
        stripe.OAuth.token(grant_type="authorization_code", code=fake["oauth_code"])
    done = stripe.OAuth.deauthorize(stripe_user_id=token.stripe_user_id)
    assert done.stripe_user_id == token.stripe_user_id
    with pytest.raises(stripe.error.PermissionError):
        stripe.Charge.list(stripe_account=token.stripe_user_id)
