//! The contract of [`EventStore`].

use std::sync::Arc;

use serde_json::json;
use tokio::sync::Barrier;

use super::support::{at, at_micros, ok, retry, unique};
use crate::ports::storage::{EventOutcome, EventRecord, EventStore};

fn event(id: &str, account: Option<&str>) -> EventRecord {
    EventRecord {
        event_id: id.to_owned(),
        account_external_id: account.map(str::to_owned),
        event_type: "charge.succeeded".to_owned(),
        created: at(1_772_323_200),
        payload: json!({
            "id": id,
            "object": "event",
            "type": "charge.succeeded",
            "data": { "object": { "id": "ch_1", "amount": 12_500, "note": "naïve ✓" } }
        }),
    }
}

/// `record_event` reports `New` the first time and `AlreadyRecorded` after, also when
/// the second copy differs; events are told apart by id only.
pub async fn record_event_once<S>(store: Arc<S>)
where
    S: EventStore + ?Sized,
{
    let id = unique("evt");
    let first = event(&id, Some(&unique("acct")));
    assert_eq!(
        ok(store.record_event(&first).await, "record_event"),
        EventOutcome::New
    );
    assert_eq!(
        ok(store.record_event(&first).await, "record_event again"),
        EventOutcome::AlreadyRecorded
    );
    let changed = EventRecord {
        event_type: "charge.refunded".to_owned(),
        payload: json!({ "id": id, "changed": true }),
        account_external_id: None,
        ..first.clone()
    };
    assert_eq!(
        ok(
            store.record_event(&changed).await,
            "record_event changed copy"
        ),
        EventOutcome::AlreadyRecorded
    );
    let platform = event(&unique("evt"), None);
    assert_eq!(
        ok(store.record_event(&platform).await, "record_event other"),
        EventOutcome::New,
        "another id is another event"
    );
}

/// `event_processed` is `None` for an unknown event, `Some(false)` once recorded and
/// `Some(true)` after `mark_event_processed`; recording the event again does not reset
/// it.
pub async fn event_processed_flag<S>(store: Arc<S>)
where
    S: EventStore + ?Sized,
{
    let id = unique("evt");
    assert_eq!(
        ok(store.event_processed(&id).await, "event_processed unknown"),
        None
    );
    let e = event(&id, None);
    ok(store.record_event(&e).await, "record_event");
    assert_eq!(
        ok(store.event_processed(&id).await, "event_processed"),
        Some(false)
    );
    ok(
        store
            .mark_event_processed(&id, at_micros(1_772_323_260, 250))
            .await,
        "mark_event_processed",
    );
    assert_eq!(
        ok(store.event_processed(&id).await, "event_processed"),
        Some(true)
    );
    assert_eq!(
        ok(store.record_event(&e).await, "record_event again"),
        EventOutcome::AlreadyRecorded
    );
    assert_eq!(
        ok(store.event_processed(&id).await, "event_processed"),
        Some(true),
        "a repeated delivery does not reset the flag"
    );
    ok(
        store
            .mark_event_processed(&id, at_micros(1_772_323_300, 0))
            .await,
        "mark_event_processed again",
    );
    assert_eq!(
        ok(store.event_processed(&id).await, "event_processed"),
        Some(true)
    );
}

/// Concurrent deliveries of one event: exactly one `record_event` reports `New`
/// (retryable errors are retried).
pub async fn concurrent_record_event_one_new<S>(store: Arc<S>)
where
    S: EventStore + ?Sized,
{
    for round in 0..6 {
        let e = event(&unique("evt"), Some("acct_race"));
        let n = 4;
        let barrier = Arc::new(Barrier::new(n));
        let mut tasks = Vec::new();
        for _ in 0..n {
            let store = Arc::clone(&store);
            let barrier = Arc::clone(&barrier);
            let e = e.clone();
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                retry(|| store.record_event(&e)).await
            }));
        }
        let mut new = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(EventOutcome::New) => new += 1,
                Ok(EventOutcome::AlreadyRecorded) => {}
                Err(err) => panic!("round {round}: concurrent record_event failed: {err:?}"),
            }
        }
        assert_eq!(new, 1, "round {round}: exactly one delivery is new");
        assert_eq!(
            ok(store.event_processed(&e.event_id).await, "event_processed"),
            Some(false)
        );
    }
}
