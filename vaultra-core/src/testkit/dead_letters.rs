//! The contract of [`DeadLetterStore`].

use std::sync::Arc;

use serde_json::json;

use super::support::{at, ok, unique};
use crate::ports::storage::{DeadLetterStore, NewDeadLetter};

fn letter(kind: &str, key: &str, secs: i64) -> NewDeadLetter {
    NewDeadLetter {
        kind: kind.to_owned(),
        key: key.to_owned(),
        payload: json!({"account": key, "note": "naïve ✓"}),
        error: "stripe: 500 api_error after 3 attempts".to_owned(),
        attempts: 3,
        failed_at: at(secs),
    }
}

/// A dead letter reads back exactly as written.
pub async fn dead_letter_round_trips<S>(store: Arc<S>)
where
    S: DeadLetterStore + ?Sized,
{
    let kind = unique("kind");
    let new = letter(&kind, "acct_1", 1_772_323_200);
    let stored = ok(store.dead_letter(new.clone()).await, "dead_letter");
    assert_eq!(stored.kind, new.kind);
    assert_eq!(stored.key, new.key);
    assert_eq!(stored.payload, new.payload);
    assert_eq!(stored.error, new.error);
    assert_eq!(stored.attempts, 3);
    assert_eq!(stored.failed_at, new.failed_at);
    let listed = ok(store.dead_letters(Some(&kind), 10).await, "dead_letters");
    assert_eq!(listed, vec![stored]);
}

/// Listing is newest first, filtered by kind when asked, and limited.
pub async fn dead_letters_newest_first_by_kind<S>(store: Arc<S>)
where
    S: DeadLetterStore + ?Sized,
{
    let (a, b) = (unique("sync"), unique("metrics"));
    for (i, secs) in [10, 30, 20].into_iter().enumerate() {
        ok(
            store
                .dead_letter(letter(&a, &format!("k{i}"), 1_772_323_200 + secs))
                .await,
            "dead_letter",
        );
    }
    ok(
        store.dead_letter(letter(&b, "other", 1_772_323_900)).await,
        "dead_letter",
    );
    let only_a = ok(store.dead_letters(Some(&a), 10).await, "dead_letters");
    let keys: Vec<&str> = only_a.iter().map(|d| d.key.as_str()).collect();
    assert_eq!(keys, ["k1", "k2", "k0"], "newest first");
    let two = ok(
        store.dead_letters(Some(&a), 2).await,
        "dead_letters limited",
    );
    assert_eq!(two.len(), 2);
    let all = ok(
        store.dead_letters(None, 1000).await,
        "dead_letters of every kind",
    );
    assert!(all.iter().any(|d| d.kind == b) && all.iter().any(|d| d.kind == a));
    assert!(
        all.windows(2).all(|w| w[0].failed_at >= w[1].failed_at),
        "newest first across kinds"
    );
}
