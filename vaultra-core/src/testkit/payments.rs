//! The contract of [`PaymentStore`] and of the sync cursors it saves.
//!
//! The central case is [`report_from_store_matches_in_memory`]: whatever a store keeps,
//! the report computed from its `payment_data` must equal the report computed from the
//! same objects held in memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;
use uuid::Uuid;

use super::support::{
    assert_not_found, at, date, midnight, ok, owner_and_business, retry, unique, unknown_id,
};
use crate::domain::{
    Charge, ChargeColumns, ChargeStatus, Currency, Dispute, MAX_AMOUNT, PaymentData, Payout,
    PayoutPaid, PayoutStatus, Provider,
};
use crate::metrics::{self, CurrencyChoice, SECONDS_PER_DAY, Window, day_of};
use crate::ports::storage::{
    BusinessStore, Coverage, CursorUpdate, Ingest, IngestBatch, IngestStats, IntegrationStore,
    ObjectKind, PaymentStore, UserStore,
};
use crate::report::Report;
use crate::scoring::Policy;

const DAY: i64 = SECONDS_PER_DAY;

fn cur(code: &str) -> Currency {
    Currency::parse(code).unwrap()
}

fn charge(id: &str, created: i64, amount: i64, currency: &str) -> Charge {
    Charge {
        id: id.to_owned(),
        created,
        amount,
        amount_refunded: 0,
        currency: cur(currency),
        status: ChargeStatus::Succeeded,
        captured: true,
    }
}

fn payout(
    id: &str,
    arrival_date: i64,
    amount: i64,
    currency: &str,
    status: PayoutStatus,
) -> Payout {
    Payout {
        id: id.to_owned(),
        created: arrival_date - 2 * DAY + 17,
        arrival_date,
        amount,
        currency: cur(currency),
        status,
    }
}

fn dispute(id: &str, charge: &Charge, created: i64, status: &str) -> Dispute {
    Dispute {
        id: id.to_owned(),
        charge: charge.id.clone(),
        created,
        amount: charge.amount,
        currency: charge.currency,
        status: status.to_owned(),
    }
}

fn paid(event_id: &str, payout_id: &str, paid_at: i64) -> PayoutPaid {
    PayoutPaid {
        event_id: event_id.to_owned(),
        payout_id: payout_id.to_owned(),
        paid_at,
    }
}

/// Raw JSON as a provider might send it, with characters that must survive storage.
fn raw_charge(c: &Charge) -> serde_json::Value {
    json!({
        "id": c.id,
        "object": "charge",
        "amount": c.amount,
        "amount_refunded": c.amount_refunded,
        "currency": c.currency.as_str(),
        "created": c.created,
        "status": c.status.as_str(),
        "captured": c.captured,
        "metadata": { "note": "naïve café ✓ \"quoted\" \\ back", "order": 12345678901234_i64 },
        "refunds": { "object": "list", "data": [] }
    })
}

/// Every object of a world, in their final (latest) state.
#[derive(Debug, Clone, Default)]
struct World {
    charges: Vec<Charge>,
    payouts: Vec<Payout>,
    disputes: Vec<Dispute>,
    paid: Vec<PayoutPaid>,
}

impl World {
    /// All objects in memory, as `PaymentData` holds them.
    fn data(&self) -> PaymentData {
        let mut data = PaymentData::new();
        for c in &self.charges {
            data.add_charge(c).unwrap();
        }
        for p in &self.payouts {
            data.add_payout(p.clone());
        }
        for d in &self.disputes {
            data.add_dispute(d.clone());
        }
        for e in &self.paid {
            data.add_payout_paid(e);
        }
        data
    }

    /// The objects `payment_data(window)` must return, per the contract.
    fn in_window(&self, window: Window) -> PaymentData {
        let mut data = PaymentData::new();
        for c in self
            .charges
            .iter()
            .filter(|c| window.contains_day(day_of(c.created)))
        {
            data.add_charge(c).unwrap();
        }
        for p in self
            .payouts
            .iter()
            .filter(|p| window.contains_day(day_of(p.arrival_date)))
        {
            data.add_payout(p.clone());
        }
        for d in self
            .disputes
            .iter()
            .filter(|d| window.contains_day(day_of(d.created)))
        {
            data.add_dispute(d.clone());
        }
        for e in &self.paid {
            if data.payouts.iter().any(|p| p.id == e.payout_id) {
                data.add_payout_paid(e);
            }
        }
        data
    }

    fn batch(&self) -> IngestBatch {
        IngestBatch {
            charges: self.charges.iter().cloned().map(Ingest::bare).collect(),
            payouts: self.payouts.iter().cloned().map(Ingest::bare).collect(),
            disputes: self.disputes.iter().cloned().map(Ingest::bare).collect(),
            payout_paid: self.paid.clone(),
        }
    }
}

/// A charge as the column store keeps it: created, amount, refunded, and the currency
/// when it is a successful charge (the columns drop it otherwise).
type ChargeRow = (i64, i64, i64, Option<Currency>);

fn charge_rows(columns: &ChargeColumns) -> Vec<ChargeRow> {
    let mut rows: Vec<ChargeRow> = (0..columns.len())
        .map(|i| {
            (
                columns.created[i],
                columns.amount[i],
                columns.refunded[i],
                columns
                    .currencies
                    .get(usize::from(columns.class[i]))
                    .copied(),
            )
        })
        .collect();
    rows.sort_unstable();
    rows
}

fn sorted_payouts(data: &PaymentData) -> Vec<Payout> {
    let mut v = data.payouts.clone();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

fn sorted_disputes(data: &PaymentData) -> Vec<Dispute> {
    let mut v = data.disputes.clone();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

fn sorted_paid(data: &PaymentData) -> BTreeMap<String, i64> {
    data.paid_at.iter().map(|(k, v)| (k.clone(), *v)).collect()
}

/// Asserts `stored` holds exactly the objects `expected` holds (in any order).
#[track_caller]
fn assert_same_data(stored: &PaymentData, expected: &PaymentData, what: &str) {
    assert_eq!(
        charge_rows(&stored.charges),
        charge_rows(&expected.charges),
        "{what}: charges (created, amount, refunded, currency if successful)"
    );
    assert_eq!(
        sorted_payouts(stored),
        sorted_payouts(expected),
        "{what}: payouts"
    );
    assert_eq!(
        sorted_disputes(stored),
        sorted_disputes(expected),
        "{what}: disputes"
    );
    assert_eq!(
        sorted_paid(stored),
        sorted_paid(expected),
        "{what}: paid times (latest payout.paid per payout of the window)"
    );
}

/// Asserts the metrics and the whole report agree between stored and in-memory data.
#[track_caller]
fn assert_same_report(
    stored: &PaymentData,
    memory: &PaymentData,
    window: Window,
    choice: CurrencyChoice,
    what: &str,
) {
    let policy = Policy::spec_v1();
    let from_store = metrics::compute(stored, window, choice);
    let from_memory = metrics::compute(memory, window, choice);
    assert_eq!(
        from_store.parts(),
        from_memory.parts(),
        "{what}: metric parts ({choice:?})"
    );
    let from_store = Report::from_metrics(from_store, &policy);
    let from_memory = Report::from_metrics(from_memory, &policy);
    assert_eq!(
        serde_json::to_value(&from_store).unwrap(),
        serde_json::to_value(&from_memory).unwrap(),
        "{what}: report ({choice:?})"
    );
}

/// The 30-day window ending 2026-03-31 (2026-03-02 ..= 2026-03-31).
fn march() -> Window {
    Window::new(date("2026-03-31"), 30).unwrap()
}

async fn data_of<S>(store: &S, business: Uuid, window: Window) -> PaymentData
where
    S: PaymentStore + ?Sized,
{
    ok(store.payment_data(business, window).await, "payment_data")
}

async fn assert_empty<S>(store: &S, business: Uuid, what: &str)
where
    S: PaymentStore + ?Sized,
{
    let wide = Window::new(date("2027-12-31"), 366).unwrap();
    let wider = Window::new(date("2026-12-31"), 366).unwrap();
    for window in [wide, wider, march()] {
        let data = data_of(store, business, window).await;
        assert!(
            data.charges.is_empty()
                && data.payouts.is_empty()
                && data.disputes.is_empty()
                && data.paid_at.is_empty(),
            "{what}: nothing may be stored, found {data:?}"
        );
    }
    assert_eq!(
        ok(store.coverage(business).await, "coverage"),
        Coverage::default(),
        "{what}: coverage of an empty business"
    );
}

/// A small world inside [`march`], with raw JSON on some charges.
fn small_world(p: &str) -> World {
    let d = midnight(date("2026-03-10"));
    let c1 = charge(&format!("ch_{p}_1"), d + 3_600, 12_500, "usd");
    let c2 = Charge {
        amount_refunded: 2_000,
        ..charge(&format!("ch_{p}_2"), d + DAY + 60, 40_000, "usd")
    };
    let c3 = Charge {
        status: ChargeStatus::Failed,
        ..charge(&format!("ch_{p}_3"), d + 2 * DAY, 9_900, "eur")
    };
    World {
        disputes: vec![
            dispute(&format!("dp_{p}_1"), &c1, d + 5 * DAY, "needs_response"),
            dispute(&format!("dp_{p}_2"), &c2, d + 6 * DAY, "warning_closed"),
        ],
        charges: vec![c1, c2, c3],
        payouts: vec![
            payout(
                &format!("po_{p}_1"),
                d + 3 * DAY,
                50_000,
                "usd",
                PayoutStatus::Paid,
            ),
            payout(
                &format!("po_{p}_2"),
                d + 4 * DAY,
                7_000,
                "usd",
                PayoutStatus::InTransit,
            ),
        ],
        paid: vec![
            paid(
                &format!("evt_{p}_1"),
                &format!("po_{p}_1"),
                d + 4 * DAY + 10,
            ),
            paid(
                &format!("evt_{p}_2"),
                &format!("po_{p}_1"),
                d + 3 * DAY + 99,
            ),
        ],
    }
}

fn with_raw(world: &World) -> IngestBatch {
    let mut batch = world.batch();
    for (i, c) in batch.charges.iter_mut().enumerate() {
        if i % 2 == 0 {
            c.raw = Some(raw_charge(&c.object));
        }
    }
    for p in &mut batch.payouts {
        p.raw = Some(
            json!({ "id": p.object.id, "object": "payout", "nested": { "a": [1, 2.5, null, true] } }),
        );
    }
    batch
}

/// A first ingest stores every object (raw JSON or not) and counts each one in the stats;
/// `payment_data` then returns them.
pub async fn ingest_stores_objects_and_counts_them<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let world = small_world(&unique("s"));
    let stats = ok(
        store
            .ingest(business.id, None, &with_raw(&world), None)
            .await,
        "ingest",
    );
    assert_eq!(
        stats,
        IngestStats {
            charges: 3,
            payouts: 2,
            disputes: 2,
            payout_paid: 2,
        }
    );
    let stored = data_of(&*store, business.id, march()).await;
    assert_same_data(&stored, &world.in_window(march()), "after one ingest");

    let empty = ok(
        store
            .ingest(business.id, None, &IngestBatch::default(), None)
            .await,
        "ingest (empty batch)",
    );
    assert_eq!(empty, IngestStats::default());
}

/// The same batch ingested twice leaves the same stored state (never a twin) and records
/// each `payout.paid` event once (the second ingest reports no new event).
pub async fn ingest_is_idempotent<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let world = small_world(&unique("i"));
    let batch = with_raw(&world);
    ok(
        store.ingest(business.id, None, &batch, None).await,
        "ingest",
    );
    let first = data_of(&*store, business.id, march()).await;
    let coverage = ok(store.coverage(business.id).await, "coverage");

    let again = ok(
        store.ingest(business.id, None, &batch, None).await,
        "ingest again",
    );
    assert_eq!(
        again.payout_paid, 0,
        "a repeated event is recorded once: {again:?}"
    );
    // Re-sent identical objects may or may not count as "updated"; either is fine.
    assert!(again.charges == 0 || again.charges == 3, "{again:?}");
    assert!(again.payouts == 0 || again.payouts == 2, "{again:?}");
    assert!(again.disputes == 0 || again.disputes == 2, "{again:?}");

    let second = data_of(&*store, business.id, march()).await;
    assert_same_data(&second, &first, "after the same batch twice");
    assert_same_data(
        &second,
        &world.in_window(march()),
        "after the same batch twice",
    );
    assert_eq!(ok(store.coverage(business.id).await, "coverage"), coverage);

    // Object by object, in separate batches: still no twin.
    for c in &world.charges {
        let one = IngestBatch {
            charges: vec![Ingest::bare(c.clone())],
            ..IngestBatch::default()
        };
        ok(
            store.ingest(business.id, None, &one, None).await,
            "ingest one",
        );
    }
    let third = data_of(&*store, business.id, march()).await;
    assert_same_data(
        &third,
        &world.in_window(march()),
        "after re-sending charges one by one",
    );
}

/// A re-sent object replaces the stored state: refunds, status changes of charges,
/// payouts and disputes are reflected, and counted as updates.
pub async fn newer_state_replaces_stored_state<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let p = unique("n");
    let d = midnight(date("2026-03-20"));
    let pending = Charge {
        status: ChargeStatus::Pending,
        ..charge(&format!("ch_{p}"), d + 100, 80_000, "usd")
    };
    let po = payout(
        &format!("po_{p}"),
        d + DAY,
        60_000,
        "usd",
        PayoutStatus::InTransit,
    );
    let dp = dispute(&format!("dp_{p}"), &pending, d + 2 * DAY, "needs_response");
    let mut world = World {
        charges: vec![pending.clone()],
        payouts: vec![po.clone()],
        disputes: vec![dp.clone()],
        paid: vec![],
    };
    ok(
        store.ingest(business.id, None, &world.batch(), None).await,
        "ingest",
    );
    assert_same_data(
        &data_of(&*store, business.id, march()).await,
        &world.in_window(march()),
        "first state",
    );

    let states = [
        Charge {
            status: ChargeStatus::Succeeded,
            ..pending.clone()
        },
        Charge {
            status: ChargeStatus::Succeeded,
            amount_refunded: 5_000,
            ..pending.clone()
        },
        Charge {
            status: ChargeStatus::Succeeded,
            amount_refunded: 80_000,
            ..pending.clone()
        },
    ];
    for (step, next) in states.into_iter().enumerate() {
        world.charges = vec![next.clone()];
        let batch = IngestBatch {
            charges: vec![Ingest {
                raw: Some(raw_charge(&next)),
                object: next,
            }],
            ..IngestBatch::default()
        };
        let stats = ok(
            store.ingest(business.id, None, &batch, None).await,
            "ingest",
        );
        assert_eq!(stats.charges, 1, "a changed charge counts as updated");
        let stored = data_of(&*store, business.id, march()).await;
        assert_same_data(
            &stored,
            &world.in_window(march()),
            &format!("charge state {step}"),
        );
        assert_eq!(stored.charges.len(), 1, "never a twin");
    }

    let paid_po = Payout {
        status: PayoutStatus::Paid,
        ..po
    };
    let won = Dispute {
        status: "won".to_owned(),
        ..dp
    };
    world.payouts = vec![paid_po.clone()];
    world.disputes = vec![won.clone()];
    let batch = IngestBatch {
        payouts: vec![Ingest::bare(paid_po)],
        disputes: vec![Ingest::bare(won)],
        ..IngestBatch::default()
    };
    let stats = ok(
        store.ingest(business.id, None, &batch, None).await,
        "ingest",
    );
    assert_eq!((stats.payouts, stats.disputes), (1, 1), "{stats:?}");
    let stored = data_of(&*store, business.id, march()).await;
    assert_same_data(
        &stored,
        &world.in_window(march()),
        "payout and dispute states",
    );
    assert_eq!(
        ok(store.coverage(business.id).await, "coverage").charges,
        1,
        "coverage counts the charge once"
    );
}

/// With a cursor, `ingest` saves it (also for an empty page) and `cursor` returns it;
/// streams are independent; an ingest without a cursor leaves the saved one.
pub async fn ingest_saves_cursor_with_page<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let account = ok(
        store
            .link_account(business.id, Provider::Stripe, &unique("acct"))
            .await,
        "link_account",
    );
    assert_eq!(
        ok(store.cursor(account.id, "charges").await, "cursor"),
        None
    );

    let world = small_world(&unique("c"));
    let page = IngestBatch {
        charges: world.batch().charges,
        ..IngestBatch::default()
    };
    let cursor = CursorUpdate {
        account: account.id,
        stream: "charges".to_owned(),
        value: world.charges[2].id.clone(),
    };
    let stats = ok(
        store
            .ingest(business.id, Some(account.id), &page, Some(&cursor))
            .await,
        "ingest with cursor",
    );
    assert_eq!(stats.charges, 3);
    assert_eq!(
        ok(store.cursor(account.id, "charges").await, "cursor").as_deref(),
        Some(cursor.value.as_str())
    );
    assert_eq!(
        ok(store.cursor(account.id, "payouts").await, "cursor payouts"),
        None,
        "streams are independent"
    );

    let next = CursorUpdate {
        value: "ch_next_page".to_owned(),
        ..cursor.clone()
    };
    let stats = ok(
        store
            .ingest(
                business.id,
                Some(account.id),
                &IngestBatch::default(),
                Some(&next),
            )
            .await,
        "ingest empty page with cursor",
    );
    assert_eq!(stats, IngestStats::default());
    assert_eq!(
        ok(store.cursor(account.id, "charges").await, "cursor").as_deref(),
        Some("ch_next_page"),
        "a new position replaces the old"
    );

    let payouts = CursorUpdate {
        stream: "payouts".to_owned(),
        value: "po_somewhere".to_owned(),
        ..cursor.clone()
    };
    ok(
        store
            .ingest(
                business.id,
                Some(account.id),
                &IngestBatch::default(),
                Some(&payouts),
            )
            .await,
        "ingest payouts cursor",
    );
    ok(
        store
            .ingest(business.id, Some(account.id), &page, None)
            .await,
        "ingest without cursor",
    );
    assert_eq!(
        ok(store.cursor(account.id, "charges").await, "cursor").as_deref(),
        Some("ch_next_page"),
        "an ingest without a cursor leaves it"
    );
    assert_eq!(
        ok(store.cursor(account.id, "payouts").await, "cursor").as_deref(),
        Some("po_somewhere")
    );
    let stored = data_of(&*store, business.id, march()).await;
    assert_eq!(
        stored.charges.len(),
        3,
        "objects came with their pages, once"
    );
}

/// `ingest` for an unknown business is `NotFound` and writes nothing — not even the
/// cursor it carried.
pub async fn ingest_for_unknown_business_is_not_found<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let account = ok(
        store
            .link_account(business.id, Provider::Stripe, &unique("acct"))
            .await,
        "link_account",
    );
    let world = small_world(&unique("u"));
    let cursor = CursorUpdate {
        account: account.id,
        stream: "charges".to_owned(),
        value: "ch_x".to_owned(),
    };
    assert_not_found(
        store
            .ingest(unknown_id(), None, &world.batch(), Some(&cursor))
            .await,
        "ingest for an unknown business",
    );
    assert_eq!(
        ok(store.cursor(account.id, "charges").await, "cursor"),
        None,
        "a failed ingest saves no cursor"
    );
    // The same objects then go to the real business as if never seen.
    let stats = ok(
        store.ingest(business.id, None, &world.batch(), None).await,
        "ingest",
    );
    assert_eq!(stats.payout_paid, 2, "the failed ingest recorded no event");
    assert_same_data(
        &data_of(&*store, business.id, march()).await,
        &world.in_window(march()),
        "after a failed ingest elsewhere",
    );
}

/// On any error `ingest` writes nothing: an unknown account is `NotFound` and stores no
/// object and no cursor. When a store rejects a batch whose *last* element it cannot
/// hold (an amount above [`MAX_AMOUNT`], a NUL character), the earlier elements and the
/// cursor are not stored either. Afterwards the store works normally.
pub async fn failed_ingest_writes_nothing<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let account = ok(
        store
            .link_account(business.id, Provider::Stripe, &unique("acct"))
            .await,
        "link_account",
    );
    let world = small_world(&unique("f"));
    let cursor = CursorUpdate {
        account: account.id,
        stream: "charges".to_owned(),
        value: "ch_after".to_owned(),
    };

    assert_not_found(
        store
            .ingest(
                business.id,
                Some(unknown_id()),
                &world.batch(),
                Some(&cursor),
            )
            .await,
        "ingest from an unknown account",
    );
    assert_empty(
        &*store,
        business.id,
        "after an ingest from an unknown account",
    )
    .await;
    assert_eq!(
        ok(store.cursor(account.id, "charges").await, "cursor"),
        None
    );

    // A batch whose last charge is out of range, for a second business and account.
    let (_, second) = owner_and_business(&*store).await;
    let second_account = ok(
        store
            .link_account(second.id, Provider::Stripe, &unique("acct"))
            .await,
        "link_account",
    );
    let second_cursor = CursorUpdate {
        account: second_account.id,
        ..cursor.clone()
    };
    let mut too_big = small_world(&unique("f")).batch();
    too_big.charges.push(Ingest::bare(Charge {
        amount: MAX_AMOUNT + 1,
        ..charge(&unique("ch_big"), midnight(date("2026-03-15")), 0, "usd")
    }));
    let result = store
        .ingest(
            second.id,
            Some(second_account.id),
            &too_big,
            Some(&second_cursor),
        )
        .await;
    if let Err(e) = &result {
        assert!(
            !e.is_retryable(),
            "an invalid batch is not retryable: {e:?}"
        );
        assert_empty(&*store, second.id, "after a rejected batch (amount)").await;
        assert_eq!(
            ok(store.cursor(second_account.id, "charges").await, "cursor"),
            None,
            "a rejected batch saves no cursor"
        );
    }

    // A batch whose last dispute has a NUL character in its status, for a third business.
    let (_, third) = owner_and_business(&*store).await;
    let mut nul = small_world(&unique("f")).batch();
    let mut bad = nul.disputes[0].object.clone();
    bad.id = unique("dp_nul");
    bad.status = "needs\u{0}response".to_owned();
    nul.disputes.push(Ingest::bare(bad));
    if store.ingest(third.id, None, &nul, None).await.is_err() {
        assert_empty(&*store, third.id, "after a rejected batch (NUL)").await;
    }

    // The store still works after the failed transactions.
    ok(
        store
            .ingest(business.id, Some(account.id), &world.batch(), Some(&cursor))
            .await,
        "ingest after failures",
    );
    assert_same_data(
        &data_of(&*store, business.id, march()).await,
        &world.in_window(march()),
        "after failures",
    );
    assert_eq!(
        ok(store.cursor(account.id, "charges").await, "cursor").as_deref(),
        Some("ch_after")
    );
}

/// `payment_data` returns exactly the charges and disputes created in the window (by UTC
/// day, any status and currency), the payouts arriving in it, and the latest paid time of
/// each of those payouts — nothing from outside, nothing twice.
pub async fn payment_data_returns_exactly_the_window<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let p = unique("w");
    let window = march();
    let start = midnight(window.start_date());
    let end = midnight(window.end_date()) + DAY; // first second after the window
    let id = |kind: &str, n: u32| format!("{kind}_{p}_{n}");

    let c_before = charge(&id("ch", 1), start - 1, 100, "usd");
    let c_first = charge(&id("ch", 2), start, 200, "usd");
    let c_failed = Charge {
        status: ChargeStatus::Failed,
        ..charge(&id("ch", 3), start + 3_600, 300, "eur")
    };
    let c_last = Charge {
        status: ChargeStatus::Pending,
        ..charge(&id("ch", 4), end - 1, 400, "usd")
    };
    let c_after = charge(&id("ch", 5), end, 500, "usd");
    let c_uncaptured = Charge {
        captured: false,
        ..charge(&id("ch", 6), start + 10 * DAY, 600, "usd")
    };
    let c_yen = Charge {
        amount_refunded: 1,
        ..charge(&id("ch", 7), start + 5 * DAY + 7, 70_000, "jpy")
    };
    let c_max = charge(&id("ch", 8), start + 6 * DAY, MAX_AMOUNT, "kwd");
    let c_old = charge(&id("ch", 9), start - 200 * DAY, 900, "usd");

    let world = World {
        disputes: vec![
            dispute(&id("dp", 1), &c_before, start - 1, "lost"),
            dispute(&id("dp", 2), &c_first, start, "warning_needs_response"),
            dispute(&id("dp", 3), &c_last, end - 1, "needs_response"),
            dispute(&id("dp", 4), &c_first, end, "won"),
        ],
        payouts: vec![
            payout(&id("po", 1), start - DAY, 1_000, "usd", PayoutStatus::Paid),
            payout(&id("po", 2), start, 2_000, "usd", PayoutStatus::Paid),
            payout(&id("po", 3), end - DAY, 3_000, "usd", PayoutStatus::Pending),
            payout(&id("po", 4), end, 4_000, "usd", PayoutStatus::Paid),
            // Created before the window, arriving in it.
            Payout {
                created: start - 10 * DAY,
                ..payout(
                    &id("po", 5),
                    start + 2 * DAY,
                    5_000,
                    "eur",
                    PayoutStatus::Failed,
                )
            },
            payout(
                &id("po", 6),
                start + 3 * DAY,
                6_000,
                "jpy",
                PayoutStatus::Canceled,
            ),
        ],
        paid: vec![
            paid(&id("evt", 1), &id("po", 1), start - DAY + 50),
            paid(&id("evt", 2), &id("po", 2), start + 2 * DAY),
            paid(&id("evt", 3), &id("po", 2), start + 60),
            paid(&id("evt", 4), &id("po", 4), end + 70),
        ],
        charges: vec![
            c_before,
            c_first,
            c_failed,
            c_last,
            c_after,
            c_uncaptured,
            c_yen,
            c_max,
            c_old,
        ],
    };
    ok(
        store.ingest(business.id, None, &world.batch(), None).await,
        "ingest",
    );

    let stored = data_of(&*store, business.id, window).await;
    let expected = world.in_window(window);
    assert_eq!(expected.charges.len(), 6);
    assert_eq!(expected.payouts.len(), 4);
    assert_eq!(expected.disputes.len(), 2);
    assert_same_data(&stored, &expected, "the window's objects");

    for days in [2, 7, 31, 366] {
        for end_date in ["2026-03-01", "2026-03-02", "2026-03-31", "2026-04-01"] {
            let w = Window::new(date(end_date), days).unwrap();
            let stored = data_of(&*store, business.id, w).await;
            assert_same_data(
                &stored,
                &world.in_window(w),
                &format!("{days} days ending {end_date}"),
            );
        }
    }

    let (_, empty) = owner_and_business(&*store).await;
    assert_empty(&*store, empty.id, "a business without data").await;
}

/// When several `payout.paid` events name one payout, the latest `paid_at` wins,
/// whatever order the events were ingested in.
pub async fn latest_payout_paid_wins<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let p = unique("l");
    let arrival = midnight(date("2026-03-12"));
    let po = payout(
        &format!("po_{p}"),
        arrival,
        10_000,
        "usd",
        PayoutStatus::Paid,
    );
    let late = paid(&format!("evt_{p}_late"), &po.id, arrival + 3 * DAY);
    let early = paid(&format!("evt_{p}_early"), &po.id, arrival + 60);
    let later = paid(&format!("evt_{p}_later"), &po.id, arrival + 4 * DAY + 1);

    let mut world = World {
        payouts: vec![po.clone()],
        paid: vec![late.clone()],
        ..World::default()
    };
    ok(
        store.ingest(business.id, None, &world.batch(), None).await,
        "ingest",
    );
    let only_early = IngestBatch {
        payout_paid: vec![early.clone()],
        ..IngestBatch::default()
    };
    let stats = ok(
        store.ingest(business.id, None, &only_early, None).await,
        "ingest early",
    );
    assert_eq!(stats.payout_paid, 1);
    world.paid.push(early);
    let stored = data_of(&*store, business.id, march()).await;
    assert_eq!(
        stored.paid_at.get(&po.id),
        Some(&late.paid_at),
        "an earlier event ingested later does not win"
    );
    assert_same_data(&stored, &world.in_window(march()), "two events");

    let only_later = IngestBatch {
        payout_paid: vec![later.clone()],
        ..IngestBatch::default()
    };
    ok(
        store.ingest(business.id, None, &only_later, None).await,
        "ingest later",
    );
    world.paid.push(later.clone());
    let stored = data_of(&*store, business.id, march()).await;
    assert_eq!(stored.paid_at.get(&po.id), Some(&later.paid_at));
    assert_same_data(&stored, &world.in_window(march()), "three events");

    // Metrics agree: the payout is late (paid more than a day after arrival).
    let memory = world.data();
    assert_same_report(
        &stored,
        &memory,
        march(),
        CurrencyChoice::Auto,
        "late payout",
    );
}

/// A `payout.paid` event may be ingested before its payout (webhooks arrive in any
/// order); once the payout is stored, its paid time is there.
pub async fn payout_paid_may_arrive_before_payout<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let p = unique("b");
    let arrival = midnight(date("2026-03-15"));
    let po = payout(
        &format!("po_{p}"),
        arrival,
        10_000,
        "usd",
        PayoutStatus::Paid,
    );
    let event = paid(&format!("evt_{p}"), &po.id, arrival + 5 * DAY);

    let first = IngestBatch {
        payout_paid: vec![event.clone()],
        ..IngestBatch::default()
    };
    let stats = ok(
        store.ingest(business.id, None, &first, None).await,
        "ingest event before payout",
    );
    assert_eq!(stats.payout_paid, 1);
    let second = IngestBatch {
        payouts: vec![Ingest::bare(po.clone())],
        ..IngestBatch::default()
    };
    ok(
        store.ingest(business.id, None, &second, None).await,
        "ingest payout",
    );
    let stored = data_of(&*store, business.id, march()).await;
    assert_eq!(stored.paid_at.get(&po.id), Some(&event.paid_at));
    let world = World {
        payouts: vec![po],
        paid: vec![event],
        ..World::default()
    };
    assert_same_data(&stored, &world.in_window(march()), "event before payout");
}

/// Each business sees only its own objects in `payment_data` and `coverage`.
pub async fn payment_data_is_per_business<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, first) = owner_and_business(&*store).await;
    let (_, second) = owner_and_business(&*store).await;
    let a = small_world(&unique("a"));
    let b = World {
        charges: vec![charge(
            &unique("ch_b"),
            midnight(date("2026-03-25")),
            777,
            "usd",
        )],
        ..World::default()
    };
    ok(
        store.ingest(first.id, None, &a.batch(), None).await,
        "ingest first",
    );
    ok(
        store.ingest(second.id, None, &b.batch(), None).await,
        "ingest second",
    );
    assert_same_data(
        &data_of(&*store, first.id, march()).await,
        &a.in_window(march()),
        "first business",
    );
    assert_same_data(
        &data_of(&*store, second.id, march()).await,
        &b.in_window(march()),
        "second business",
    );
    assert_eq!(ok(store.coverage(first.id).await, "coverage").charges, 3);
    assert_eq!(ok(store.coverage(second.id).await, "coverage").charges, 1);
}

/// Deterministic xorshift; the suite has no `rand` dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// A mixed world around 2026-03-31: four currencies (two, zero and three decimals),
/// every charge and payout status, chargebacks and inquiries, paid times on time, late,
/// and repeated. Returns the final objects and the older states sent first.
fn generated_world(p: &str) -> (World, World) {
    let mut rng = Rng(0x5EED_CAFE_F00D_0001);
    let as_of = midnight(date("2026-03-31"));
    let span_start = as_of - 75 * DAY;
    let currencies = [
        "usd", "usd", "usd", "usd", "eur", "eur", "jpy", "jpy", "kwd",
    ];
    let mut world = World::default();
    let mut older = World::default();

    for i in 0..300 {
        let currency = *rng.pick(&currencies);
        let created = span_start + rng.below(81 * DAY as u64) as i64;
        let amount = match (i, currency) {
            (0, _) => MAX_AMOUNT,
            (_, "jpy") => 100 + rng.below(200_000) as i64,
            _ => 50 + rng.below(2_000_000) as i64,
        };
        let r = rng.below(100);
        let status = if r < 85 {
            ChargeStatus::Succeeded
        } else if r < 93 {
            ChargeStatus::Pending
        } else {
            ChargeStatus::Failed
        };
        let refunded = if rng.below(5) == 0 {
            rng.below(amount as u64 + 1) as i64
        } else {
            0
        };
        let c = Charge {
            id: format!("ch_{p}_{i}"),
            created,
            amount,
            amount_refunded: refunded,
            currency: cur(currency),
            status,
            captured: rng.below(20) != 0,
        };
        let old = Charge {
            status: ChargeStatus::Pending,
            amount_refunded: 0,
            ..c.clone()
        };
        // Only states that differ, so every final charge counts as inserted or updated.
        if i % 7 == 0 && old != c {
            older.charges.push(old);
        }
        world.charges.push(c);
    }
    // A busy day to give volatility something to measure.
    for i in 0..12 {
        world.charges.push(charge(
            &format!("ch_{p}_busy_{i}"),
            as_of - 4 * DAY + i * 600,
            250_000,
            "usd",
        ));
    }

    let statuses = [
        "needs_response",
        "under_review",
        "won",
        "lost",
        "warning_needs_response",
        "warning_under_review",
        "warning_closed",
    ];
    for i in 0..40 {
        let c = world.charges[rng.below(300) as usize].clone();
        let created = c.created + rng.below(10 * DAY as u64) as i64;
        let status = *rng.pick(&statuses[..]);
        let d = dispute(&format!("dp_{p}_{i}"), &c, created, status);
        if i % 4 == 0 {
            let first = if d.is_chargeback() {
                "needs_response"
            } else {
                "warning_needs_response"
            };
            if d.status != first {
                older.disputes.push(Dispute {
                    status: first.to_owned(),
                    ..d.clone()
                });
            }
        }
        world.disputes.push(d);
    }

    let payout_statuses = [
        PayoutStatus::Paid,
        PayoutStatus::Paid,
        PayoutStatus::Paid,
        PayoutStatus::Paid,
        PayoutStatus::Paid,
        PayoutStatus::Paid,
        PayoutStatus::InTransit,
        PayoutStatus::Pending,
        PayoutStatus::Failed,
        PayoutStatus::Canceled,
    ];
    let offsets = [0, 10 * 3_600, DAY + 100, DAY * 2 - 1, 2 * DAY + 5, 3 * DAY];
    for i in 0..60 {
        let day = span_start / DAY + rng.below(81) as i64;
        let currency = *rng.pick(&currencies);
        let status = *rng.pick(&payout_statuses);
        let po = payout(
            &format!("po_{p}_{i}"),
            day * DAY,
            1_000 + rng.below(5_000_000) as i64,
            currency,
            status,
        );
        if status == PayoutStatus::Paid {
            if rng.below(100) < 85 {
                let paid_at = po.arrival_date + rng.pick(&offsets);
                world
                    .paid
                    .push(paid(&format!("evt_{p}_{i}_a"), &po.id, paid_at));
                if rng.below(100) < 25 {
                    let paid_at = po.arrival_date + rng.pick(&offsets);
                    world
                        .paid
                        .push(paid(&format!("evt_{p}_{i}_b"), &po.id, paid_at));
                }
            }
            if i % 3 == 0 {
                older.payouts.push(Payout {
                    status: PayoutStatus::InTransit,
                    ..po.clone()
                });
            }
        }
        world.payouts.push(po);
    }
    (world, older)
}

/// Splits objects into shuffled mixed batches of about `size` objects.
fn mixed_batches(world: &World, size: usize, rng: &mut Rng) -> Vec<IngestBatch> {
    enum Item {
        C(Charge),
        P(Payout),
        D(Dispute),
        E(PayoutPaid),
    }
    let mut items: Vec<Item> = world
        .charges
        .iter()
        .cloned()
        .map(Item::C)
        .chain(world.payouts.iter().cloned().map(Item::P))
        .chain(world.disputes.iter().cloned().map(Item::D))
        .chain(world.paid.iter().cloned().map(Item::E))
        .collect();
    rng.shuffle(&mut items);
    let mut batches = Vec::new();
    let mut batch = IngestBatch::default();
    for (n, item) in items.into_iter().enumerate() {
        match item {
            Item::C(c) => {
                let raw = (n % 3 == 0).then(|| raw_charge(&c));
                batch.charges.push(Ingest { object: c, raw });
            }
            Item::P(p) => batch.payouts.push(Ingest::bare(p)),
            Item::D(d) => batch.disputes.push(Ingest::bare(d)),
            Item::E(e) => batch.payout_paid.push(e),
        }
        if batch.len() == size {
            batches.push(std::mem::take(&mut batch));
        }
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

/// The most important case: for many windows and every currency choice, the metrics and
/// the report computed from `payment_data` equal those computed from the same objects in
/// memory — across four currencies, objects outside the window, older states replaced,
/// events out of order and batches re-sent.
pub async fn report_from_store_matches_in_memory<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + IntegrationStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let account = ok(
        store
            .link_account(business.id, Provider::Stripe, &unique("acct"))
            .await,
        "link_account",
    );
    let (world, older) = generated_world(&unique("g"));
    let mut rng = Rng(0xBA7C_4E50_0000_0002);

    let mut total = IngestStats::default();
    for batch in mixed_batches(&older, 25, &mut rng) {
        ok(
            store.ingest(business.id, None, &batch, None).await,
            "ingest older states",
        );
    }
    let batches = mixed_batches(&world, 37, &mut rng);
    for (n, batch) in batches.iter().enumerate() {
        let cursor = CursorUpdate {
            account: account.id,
            stream: "all".to_owned(),
            value: format!("page-{n}"),
        };
        let stats = ok(
            store
                .ingest(business.id, Some(account.id), batch, Some(&cursor))
                .await,
            "ingest",
        );
        total.payout_paid += stats.payout_paid;
        total.charges += stats.charges;
    }
    assert_eq!(
        total.payout_paid,
        world.paid.len() as u64,
        "each payout.paid event is recorded once"
    );
    assert_eq!(
        total.charges,
        world.charges.len() as u64,
        "every charge counts once as inserted or updated"
    );
    for batch in batches.iter().step_by(3) {
        ok(
            store.ingest(business.id, None, batch, None).await,
            "re-ingest",
        );
    }
    assert_eq!(
        ok(store.cursor(account.id, "all").await, "cursor").as_deref(),
        Some(format!("page-{}", batches.len() - 1).as_str())
    );

    let memory = world.data();
    // The fixture exercises what it should: several currencies, refunds, chargebacks,
    // and payouts both on time and late in the main window.
    let main = metrics::compute(&memory, march(), CurrencyChoice::Explicit(cur("usd")));
    assert!(
        main.transaction_count > 20 && main.refunded_total.minor > 0,
        "{main:?}"
    );
    assert!(main.chargeback_count > 0, "{main:?}");
    assert!(
        main.payouts_on_time > 0 && main.payouts_due > main.payouts_on_time,
        "{main:?}"
    );
    assert!(!older.charges.is_empty() && !older.payouts.is_empty() && !older.disputes.is_empty());
    let choices = [
        CurrencyChoice::Auto,
        CurrencyChoice::Explicit(cur("usd")),
        CurrencyChoice::Explicit(cur("eur")),
        CurrencyChoice::Explicit(cur("jpy")),
        CurrencyChoice::Explicit(cur("kwd")),
        CurrencyChoice::Explicit(cur("gbp")),
    ];
    let windows = [
        ("2026-03-31", 30),
        ("2026-03-31", 7),
        ("2026-03-21", 2),
        ("2026-03-31", 90),
        ("2026-04-03", 14),
        ("2026-02-19", 31),
        ("2026-03-31", 366),
    ];
    for (end, days) in windows {
        let window = Window::new(date(end), days).unwrap();
        let what = format!("{days} days ending {end}");
        let stored = data_of(&*store, business.id, window).await;
        assert_same_data(&stored, &world.in_window(window), &what);
        for choice in choices {
            assert_same_report(&stored, &memory, window, choice, &what);
        }
    }
}

/// `coverage` counts every stored charge once (any status) with the creation times of
/// the oldest and newest; a business without charges has none.
pub async fn coverage_counts_charge_history<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    assert_eq!(
        ok(store.coverage(business.id).await, "coverage"),
        Coverage::default()
    );
    let p = unique("v");
    let first = midnight(date("2025-01-01")) + 1;
    let last = midnight(date("2026-03-30")) + 86_399;
    let world = World {
        charges: vec![
            Charge {
                status: ChargeStatus::Failed,
                ..charge(&format!("ch_{p}_1"), first, 100, "usd")
            },
            charge(&format!("ch_{p}_2"), last, 200, "jpy"),
            charge(&format!("ch_{p}_3"), first + 400 * DAY, 300, "eur"),
        ],
        payouts: vec![payout(
            &format!("po_{p}"),
            midnight(date("2024-01-01")),
            5,
            "usd",
            PayoutStatus::Paid,
        )],
        ..World::default()
    };
    ok(
        store.ingest(business.id, None, &world.batch(), None).await,
        "ingest",
    );
    ok(
        store.ingest(business.id, None, &world.batch(), None).await,
        "ingest again",
    );
    let coverage = ok(store.coverage(business.id).await, "coverage");
    assert_eq!(
        coverage,
        Coverage {
            charges: 3,
            first_charge_at: Some(at(first)),
            last_charge_at: Some(at(last)),
        }
    );
}

/// Concurrent ingests of the same objects store each once and fail with nothing but a
/// retryable error (which is retried): the same charge with two states ends as one of
/// them; a shared `payout.paid` event is recorded once in total; batches that lock the
/// same rows in opposite orders do not fail for good.
pub async fn concurrent_ingest_of_same_objects_stores_one<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (_, business) = owner_and_business(&*store).await;
    let base = midnight(date("2026-03-05"));
    let mut expected_charges = 0;
    for round in 0..6_i64 {
        let p = unique("r");
        let c = charge(&format!("ch_{p}"), base + round * DAY, 10_000, "usd");
        let refunded = Charge {
            amount_refunded: 2_500,
            ..c.clone()
        };
        let po = payout(
            &format!("po_{p}"),
            base + round * DAY,
            9_000,
            "usd",
            PayoutStatus::Paid,
        );
        let event = paid(&format!("evt_{p}"), &po.id, po.arrival_date + 100);
        // Even rounds: one object each; odd rounds: 20 charges, in opposite orders.
        let mut extra: Vec<Charge> = if round % 2 == 1 {
            (0..20)
                .map(|i| {
                    charge(
                        &format!("ch_{p}_{i}"),
                        base + round * DAY + i,
                        100 + i,
                        "usd",
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let batch = |state: &Charge, extra: &[Charge]| IngestBatch {
            charges: std::iter::once(state.clone())
                .chain(extra.iter().cloned())
                .map(Ingest::bare)
                .collect(),
            payouts: vec![Ingest::bare(po.clone())],
            disputes: vec![],
            payout_paid: vec![event.clone()],
        };
        let first = batch(&c, &extra);
        extra.reverse();
        let second = batch(&refunded, &extra);
        expected_charges += 1 + extra.len();

        let barrier = Arc::new(Barrier::new(2));
        let mut tasks = Vec::new();
        for b in [first, second] {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            let business = business.id;
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                retry(|| store.ingest(business, None, &b, None)).await
            }));
        }
        let mut recorded = 0;
        for task in tasks {
            let stats = match task.await.unwrap() {
                Ok(stats) => stats,
                Err(e) => panic!("round {round}: concurrent ingest failed: {e:?}"),
            };
            recorded += stats.payout_paid;
        }
        assert_eq!(
            recorded, 1,
            "round {round}: the shared event is recorded once"
        );

        let window = Window::new(date("2026-03-31"), 30).unwrap();
        let stored = data_of(&*store, business.id, window).await;
        assert_eq!(
            stored.charges.len(),
            expected_charges,
            "round {round}: each charge stored once"
        );
        let rows = charge_rows(&stored.charges);
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| r.0 == c.created && r.1 == c.amount)
            .collect();
        assert_eq!(mine.len(), 1, "round {round}: one row for the raced charge");
        assert!(
            mine[0].2 == 0 || mine[0].2 == 2_500,
            "round {round}: the raced charge holds one of the two states"
        );
        let payouts: Vec<_> = stored.payouts.iter().filter(|x| x.id == po.id).collect();
        assert_eq!(payouts.len(), 1, "round {round}: one payout");
        assert_eq!(stored.paid_at.get(&po.id), Some(&event.paid_at));
    }
    assert_eq!(
        ok(store.coverage(business.id).await, "coverage").charges,
        expected_charges as u64
    );
}

/// Raw JSON comes back as the JSON value ingested, for every kind of object; an ingest
/// without raw JSON (a CSV import) keeps it, a newer raw object replaces it; objects never
/// given raw JSON read as `None`; another business's or an unknown id is `NotFound`.
pub async fn raw_json_is_kept_and_replaced_by_newer<S>(store: Arc<S>)
where
    S: UserStore + BusinessStore + PaymentStore + ?Sized,
{
    let (owner, business) = owner_and_business(&*store).await;
    let world = small_world(&unique("raw"));
    let batch = with_raw(&world);
    let mut batch = batch;
    for d in &mut batch.disputes {
        d.raw = Some(
            json!({ "id": d.object.id, "object": "dispute", "evidence": { "text": "línea\n\"2\"" } }),
        );
    }
    ok(
        store.ingest(business.id, None, &batch, None).await,
        "ingest",
    );
    let raw_of = |kind, id: String| {
        let store = store.clone();
        async move { store.raw_object(business.id, kind, &id).await }
    };
    for c in &batch.charges {
        let got = ok(
            raw_of(ObjectKind::Charge, c.object.id.clone()).await,
            "raw charge",
        );
        assert_eq!(got, c.raw, "charge {} raw JSON as ingested", c.object.id);
    }
    for p in &batch.payouts {
        let got = ok(
            raw_of(ObjectKind::Payout, p.object.id.clone()).await,
            "raw payout",
        );
        assert_eq!(got, p.raw, "payout {}", p.object.id);
    }
    for d in &batch.disputes {
        let got = ok(
            raw_of(ObjectKind::Dispute, d.object.id.clone()).await,
            "raw dispute",
        );
        assert_eq!(got, d.raw, "dispute {}", d.object.id);
    }
    assert!(
        batch.charges[1].raw.is_none(),
        "the world has a charge without raw JSON"
    );

    // A bare re-ingest (as from a CSV export) keeps the raw JSON.
    ok(
        store.ingest(business.id, None, &world.batch(), None).await,
        "bare re-ingest",
    );
    let first = &batch.charges[0];
    assert_eq!(
        ok(
            raw_of(ObjectKind::Charge, first.object.id.clone()).await,
            "raw after bare"
        ),
        first.raw,
        "an ingest without raw JSON keeps the stored raw JSON"
    );

    // A newer state with raw JSON replaces it.
    let newer = Charge {
        amount_refunded: first.object.amount,
        ..first.object.clone()
    };
    let mut newer_raw = raw_charge(&newer);
    newer_raw["refunded"] = json!(true);
    let update = IngestBatch {
        charges: vec![Ingest {
            object: newer,
            raw: Some(newer_raw.clone()),
        }],
        ..IngestBatch::default()
    };
    ok(
        store.ingest(business.id, None, &update, None).await,
        "newer ingest",
    );
    assert_eq!(
        ok(
            raw_of(ObjectKind::Charge, first.object.id.clone()).await,
            "raw after update"
        ),
        Some(newer_raw),
        "a newer raw object replaces the stored one"
    );

    // Object ids are per business: another business sees none of them.
    let other = super::support::new_business(&*store, owner.id, "Other raw Co").await;
    assert_not_found(
        store
            .raw_object(other.id, ObjectKind::Charge, &first.object.id)
            .await,
        "another business's charge",
    );
    assert_not_found(
        store
            .raw_object(business.id, ObjectKind::Payout, &first.object.id)
            .await,
        "a charge id asked for as a payout",
    );
    assert_not_found(
        store
            .raw_object(business.id, ObjectKind::Dispute, "dp_unknown")
            .await,
        "unknown dispute",
    );
}
