//! The metric pass and the score over 1M and 10M in-memory charges.
//!
//! Run: `cargo bench -p vaultra-core --bench metric_pass`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use vaultra_core::domain::{ChargeColumns, Currency, PaymentData};
use vaultra_core::metrics::{self, CurrencyChoice, SECONDS_PER_DAY, Window, epoch_day};
use vaultra_core::report::Report;
use vaultra_core::scoring::Policy;

/// A deterministic merchant: `n` charges spread over 90 days ending on `end`, 3 % failed,
/// 1 % uncaptured, in one or two currencies.
fn data(n: usize, end: NaiveDate, currencies: &[Currency]) -> PaymentData {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let end_sec = (epoch_day(end) + 1) * SECONDS_PER_DAY;
    let span = 90 * SECONDS_PER_DAY;
    let mut cols = ChargeColumns::with_capacity(n);
    for i in 0..n {
        // Time-ordered, as exports and the store return them.
        let created = end_sec - span + (i as i64 * span) / n as i64;
        let r = next();
        let amount = 500 + (r % 20_000) as i64;
        let refunded = if r % 50 == 0 { amount } else { 0 };
        let successful = r % 100 >= 4;
        let currency = currencies[(r >> 32) as usize % currencies.len()];
        cols.push_fields(created, amount, refunded, currency, successful)
            .unwrap();
    }
    PaymentData {
        charges: cols,
        ..PaymentData::default()
    }
}

fn bench(c: &mut Criterion) {
    let end: NaiveDate = "2026-11-27".parse().unwrap();
    let window = Window::new(end, 30).unwrap();
    let policy = Policy::spec_v1();
    let usd = Currency::USD;
    let eur = Currency::parse("eur").unwrap();

    let mut group = c.benchmark_group("metric_pass");
    group.sample_size(20);
    for &n in &[1_000_000usize, 10_000_000] {
        for (label, currencies) in [("1-currency", vec![usd]), ("2-currencies", vec![usd, eur])] {
            let d = data(n, end, &currencies);
            group.throughput(Throughput::Elements(n as u64));
            group.bench_with_input(BenchmarkId::new(label, n), &d, |b, d| {
                b.iter(|| metrics::compute(black_box(d), window, CurrencyChoice::Auto))
            });
        }
        let d = data(n, end, &[usd]);
        group.bench_with_input(BenchmarkId::new("pass+score+recommend", n), &d, |b, d| {
            b.iter(|| {
                let m = metrics::compute(black_box(d), window, CurrencyChoice::Auto);
                Report::from_metrics(m, &policy)
            })
        });
    }
    group.finish();

    let d = data(10_000, end, &[usd]);
    let m = metrics::compute(&d, window, CurrencyChoice::Auto);
    c.bench_function("score+recommend (from metrics)", |b| {
        b.iter(|| Report::from_metrics(black_box(m.clone()), &policy))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
