//! Synthetic merchants served as a [`PaymentSource`], in process.
//!
//! The demo and the job benchmarks sync synthetic accounts through the real
//! [`StripeSync`](vaultra_core::services::stripe_sync::StripeSync) (pages, cursors,
//! events, the store's ingestion) without a server: this source pages over the
//! generated objects with the list semantics of Stripe's API — newest first,
//! `created >= since`, `starting_after` to go older, `ending_before` to go newer.

use std::collections::HashMap;

use async_trait::async_trait;
use serde_json::Value;
use vaultra_core::ports::{
    ConnectedAccount, Page, PageQuery, PaymentSource, SourceError, SourceErrorKind, SourceEvent,
    Stream,
};

use super::{Merchant, charge_json, dispute_json, payout_json, payout_paid_event_json};

/// One stream of one account: `(created, id, object)`, newest first.
type Listing = Vec<(i64, String, Value)>;

/// Accounts of synthetic merchants, listed like Stripe lists them.
#[derive(Debug, Default, Clone)]
pub struct SynthSource {
    accounts: HashMap<String, HashMap<Stream, Listing>>,
}

impl SynthSource {
    /// A source with no accounts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `merchant`'s objects as the account `account_id` (replacing any
    /// merchant served under that id).
    pub fn add_account(&mut self, account_id: &str, merchant: &Merchant) {
        let payouts: HashMap<&str, _> = merchant
            .payouts
            .iter()
            .map(|p| (p.id.as_str(), p))
            .collect();
        let mut streams = HashMap::new();
        streams.insert(
            Stream::Charges,
            listing(merchant.charges.iter().map(charge_json)),
        );
        streams.insert(
            Stream::Payouts,
            listing(merchant.payouts.iter().map(payout_json)),
        );
        streams.insert(
            Stream::Disputes,
            listing(merchant.disputes.iter().map(dispute_json)),
        );
        streams.insert(
            Stream::Events,
            listing(merchant.events.iter().filter_map(|e| {
                payouts
                    .get(e.payout_id.as_str())
                    .map(|p| payout_paid_event_json(e, p))
            })),
        );
        self.accounts.insert(account_id.to_owned(), streams);
    }
}

fn listing(objects: impl Iterator<Item = Value>) -> Listing {
    let mut out: Listing = objects
        .map(|v| {
            let created = v.get("created").and_then(Value::as_i64).unwrap_or_default();
            let id = v
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            (created, id, v)
        })
        .collect();
    // Newest first; ties by id descending, as Stripe's cursors need a total order.
    out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.1.cmp(&a.1)));
    out
}

fn no_connect() -> SourceError {
    SourceError::new(
        SourceErrorKind::Invalid,
        "synthetic accounts are connected by the demo, not through OAuth or webhooks",
    )
}

#[async_trait]
impl PaymentSource for SynthSource {
    fn connect_url(
        &self,
        _state: &str,
        _redirect_uri: Option<&str>,
    ) -> Result<String, SourceError> {
        Err(no_connect())
    }

    async fn exchange_code(&self, _code: &str) -> Result<ConnectedAccount, SourceError> {
        Err(no_connect())
    }

    async fn fetch_page(&self, account: &str, query: &PageQuery) -> Result<Page, SourceError> {
        let Some(streams) = self.accounts.get(account) else {
            // As Stripe answers `Stripe-Account` naming an account that is not
            // connected (403): an empty page would pass for an account without payments.
            return Err(SourceError::new(
                SourceErrorKind::Unauthorized,
                format!("account '{account}' is not connected"),
            ));
        };
        let Some(items) = streams.get(&query.stream) else {
            return Ok(Page::default());
        };
        let limit = usize::try_from(query.limit.clamp(1, 100)).unwrap_or(100);
        let in_range = |created: i64| query.created_gte.is_none_or(|lo| created >= lo);
        let position = |id: &str, param: &str, kind: SourceErrorKind| {
            items
                .iter()
                .position(|(_, i, _)| i == id)
                .ok_or_else(|| SourceError::new(kind, format!("No such object: '{id}' ({param})")))
        };
        if let Some(before) = &query.ending_before {
            // The `limit` objects just newer than the cursor, still newest first. An
            // unknown cursor is one that expired, as the Stripe adapter reports it, so
            // a sync starts over rather than failing for good.
            let end = position(before, "ending_before", SourceErrorKind::CursorExpired)?;
            let newer: Vec<&Value> = items[..end]
                .iter()
                .filter(|(c, _, _)| in_range(*c))
                .map(|(_, _, v)| v)
                .collect();
            let start = newer.len().saturating_sub(limit);
            return Ok(Page {
                objects: newer[start..].iter().map(|v| (*v).clone()).collect(),
                has_more: start > 0,
            });
        }
        let start = match &query.starting_after {
            Some(after) => position(after, "starting_after", SourceErrorKind::Invalid)? + 1,
            None => 0,
        };
        let mut objects: Vec<Value> = items[start..]
            .iter()
            .take_while(|(c, _, _)| in_range(*c))
            .take(limit + 1)
            .map(|(_, _, v)| v.clone())
            .collect();
        let has_more = objects.len() > limit;
        objects.truncate(limit);
        Ok(Page { objects, has_more })
    }

    fn verify_webhook(
        &self,
        _payload: &[u8],
        _signature: &str,
        _now: i64,
    ) -> Result<SourceEvent, SourceError> {
        Err(no_connect())
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::synth::{Config, Profile, generate};

    fn ids(page: &Page) -> Vec<String> {
        page.objects
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    }

    #[tokio::test]
    async fn pages_newest_first_both_ways() {
        let merchant = generate(&Config::new(
            Profile::Steady,
            7,
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        ));
        let mut source = SynthSource::new();
        source.add_account("acct_demo", &merchant);

        // Walking older with starting_after visits every charge once, newest first.
        let mut seen = Vec::new();
        let mut query = PageQuery::first(Stream::Charges, 100);
        loop {
            let page = source.fetch_page("acct_demo", &query).await.unwrap();
            seen.extend(ids(&page));
            if !page.has_more {
                break;
            }
            query.starting_after = seen.last().cloned();
        }
        let mut expected: Vec<(i64, String)> = merchant
            .charges
            .iter()
            .map(|c| (c.created, c.id.clone()))
            .collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(
            seen,
            expected.iter().map(|e| e.1.clone()).collect::<Vec<_>>()
        );

        // created[gte] stops the walk.
        let since = expected[10].0;
        let mut q = PageQuery::first(Stream::Charges, 100);
        q.created_gte = Some(since);
        let page = source.fetch_page("acct_demo", &q).await.unwrap();
        assert!(
            page.objects
                .iter()
                .all(|v| v["created"].as_i64().unwrap() >= since)
        );
        assert!(!page.has_more);

        // ending_before returns the objects just newer than the cursor.
        let mut q = PageQuery::first(Stream::Charges, 3);
        q.ending_before = Some(seen[10].clone());
        let page = source.fetch_page("acct_demo", &q).await.unwrap();
        assert_eq!(ids(&page), seen[7..10].to_vec());
        assert!(page.has_more);

        // Unknown cursors are errors; unknown accounts are refused.
        q.ending_before = Some("ch_nope".into());
        assert!(source.fetch_page("acct_demo", &q).await.is_err());
        let refused = source
            .fetch_page("acct_other", &PageQuery::first(Stream::Events, 10))
            .await
            .unwrap_err();
        assert_eq!(refused.kind, SourceErrorKind::Unauthorized);
    }
}
