//! Complete Stripe objects, as `GET /v1/...` returns them.
//!
//! Fields Vaultra does not read are filled with plausible values derived from the object
//! id, so the output is deterministic and every field a real response has is present.

use serde_json::{Value, json};
use vaultra_core::domain::{Charge, Dispute, Payout, PayoutPaid, PayoutStatus};

fn suffix(id: &str) -> &str {
    id.split_once('_').map_or(id, |(_, s)| s)
}

/// A complete charge object.
pub fn charge_json(c: &Charge) -> Value {
    let s = suffix(&c.id);
    let succeeded = c.status.as_str() == "succeeded";
    let failed = c.status.as_str() == "failed";
    let captured_amount = if c.captured && succeeded { c.amount } else { 0 };
    json!({
        "id": c.id,
        "object": "charge",
        "amount": c.amount,
        "amount_captured": captured_amount,
        "amount_refunded": c.amount_refunded,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": if succeeded { Value::from(format!("txn_{s}")) } else { Value::Null },
        "billing_details": {
            "address": {"city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null},
            "email": null, "name": null, "phone": null, "tax_id": null
        },
        "calculated_statement_descriptor": "VAULTRA DEMO",
        "captured": c.captured,
        "created": c.created,
        "currency": c.currency.as_str(),
        "customer": format!("cus_{}", &s[..s.len().min(14)]),
        "description": null,
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": if failed { Value::from("card_declined") } else { Value::Null },
        "failure_message": if failed { Value::from("Your card was declined.") } else { Value::Null },
        "fraud_details": {},
        "livemode": false,
        "metadata": {},
        "on_behalf_of": null,
        "outcome": {
            "advice_code": null,
            "network_advice_code": null,
            "network_decline_code": null,
            "network_status": if failed { "declined_by_network" } else { "approved_by_network" },
            "reason": if failed { Value::from("generic_decline") } else { Value::Null },
            "risk_level": "normal",
            "seller_message": if failed { "The bank did not return any further details with this decline." } else { "Payment complete." },
            "type": if failed { "issuer_declined" } else { "authorized" }
        },
        "paid": succeeded,
        "payment_intent": format!("pi_{s}"),
        "payment_method": format!("pm_{s}"),
        "payment_method_details": {
            "card": {
                "amount_authorized": c.amount,
                "brand": "visa",
                "checks": {"address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass"},
                "country": "US",
                "exp_month": 8,
                "exp_year": 2030,
                "extended_authorization": {"status": "disabled"},
                "fingerprint": format!("fp{}", &s[..s.len().min(14)]),
                "funding": "credit",
                "incremental_authorization": {"status": "unavailable"},
                "installments": null,
                "last4": "4242",
                "mandate": null,
                "multicapture": {"status": "unavailable"},
                "network": "visa",
                "network_token": {"used": false},
                "overcapture": {"maximum_amount_capturable": c.amount, "status": "unavailable"},
                "three_d_secure": null,
                "wallet": null
            },
            "type": "card"
        },
        "receipt_email": null,
        "receipt_number": null,
        "receipt_url": format!("https://pay.example.invalid/receipts/{s}"),
        "refunded": c.amount_refunded > 0 && c.amount_refunded == c.amount,
        "refunds": {"object": "list", "data": [], "has_more": false, "total_count": 0, "url": format!("/v1/charges/{}/refunds", c.id)},
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": c.status.as_str(),
        "transfer_data": null,
        "transfer_group": null
    })
}

/// A complete payout object.
pub fn payout_json(p: &Payout) -> Value {
    let s = suffix(&p.id);
    let failed = p.status == PayoutStatus::Failed;
    json!({
        "id": p.id,
        "object": "payout",
        "amount": p.amount,
        "application_fee": null,
        "application_fee_amount": null,
        "arrival_date": p.arrival_date,
        "automatic": true,
        "balance_transaction": format!("txn_{s}"),
        "created": p.created,
        "currency": p.currency.as_str(),
        "description": "STRIPE PAYOUT",
        "destination": "ba_1VaultraDemoBankAcct0001",
        "failure_balance_transaction": if failed { Value::from(format!("txn_f{s}")) } else { Value::Null },
        "failure_code": if failed { Value::from("account_closed") } else { Value::Null },
        "failure_message": if failed { Value::from("The bank account has been closed.") } else { Value::Null },
        "livemode": false,
        "metadata": {},
        "method": "standard",
        "original_payout": null,
        "reconciliation_status": if p.status == PayoutStatus::Paid { "completed" } else { "not_applicable" },
        "reversed_by": null,
        "source_type": "card",
        "statement_descriptor": null,
        "status": p.status.as_str(),
        "trace_id": {"status": "supported", "value": null},
        "type": "bank_account"
    })
}

/// A complete dispute object.
pub fn dispute_json(d: &Dispute) -> Value {
    let inquiry = !d.is_chargeback();
    json!({
        "id": d.id,
        "object": "dispute",
        "amount": d.amount,
        "balance_transactions": [],
        "charge": d.charge,
        "created": d.created,
        "currency": d.currency.as_str(),
        "evidence": {
            "access_activity_log": null, "billing_address": null, "cancellation_policy": null,
            "cancellation_policy_disclosure": null, "cancellation_rebuttal": null,
            "customer_communication": null, "customer_email_address": null, "customer_name": null,
            "customer_purchase_ip": null, "customer_signature": null,
            "duplicate_charge_documentation": null, "duplicate_charge_explanation": null,
            "duplicate_charge_id": null, "product_description": null, "receipt": null,
            "refund_policy": null, "refund_policy_disclosure": null,
            "refund_refusal_explanation": null, "service_date": null,
            "service_documentation": null, "shipping_address": null, "shipping_carrier": null,
            "shipping_date": null, "shipping_documentation": null,
            "shipping_tracking_number": null, "uncategorized_file": null,
            "uncategorized_text": null
        },
        "evidence_details": {
            "due_by": d.created + 14 * 86_400,
            "has_evidence": false,
            "past_due": false,
            "submission_count": 0
        },
        "is_charge_refundable": inquiry,
        "livemode": false,
        "metadata": {},
        "payment_intent": format!("pi_{}", suffix(&d.charge)),
        "payment_method_details": {
            "card": {"brand": "visa", "case_type": if inquiry { "inquiry" } else { "chargeback" }, "network_reason_code": "10.4"},
            "type": "card"
        },
        "reason": "fraudulent",
        "status": d.status
    })
}

/// A complete `payout.paid` event carrying the payout as it was when paid.
pub fn payout_paid_event_json(e: &PayoutPaid, payout: &Payout) -> Value {
    let mut object = payout_json(payout);
    object["status"] = Value::from("paid");
    json!({
        "id": e.event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": e.paid_at,
        "data": {"object": object},
        "livemode": false,
        "pending_webhooks": 0,
        "request": {"id": null, "idempotency_key": null},
        "type": "payout.paid"
    })
}
