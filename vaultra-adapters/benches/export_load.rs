//! How fast an export folder is read, against the cost of merely parsing its JSON.
//!
//! Writes a synthetic Stripe export (complete objects) of `VAULTRA_BENCH_CHARGES` charges
//! (default 200 000) to a temporary folder, then times, best of `VAULTRA_BENCH_RUNS`
//! (default 3):
//! 1. parsing every file with serde_json into `IgnoredAny` (the floor: JSON parsing alone),
//! 2. `load_export` (parse + normalize + de-duplicate into columns),
//! 3. `load_export` + the metric pass + score + recommendations.
//!
//! Run: `cargo bench -p vaultra-adapters --bench export_load`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fs::File;
use std::io::BufReader;
use std::time::{Duration, Instant};

use serde::de::IgnoredAny;
use vaultra_adapters::files::{EXPORT_FILES, load_export};
use vaultra_adapters::synth::{self, Profile};
use vaultra_core::report::{Options, assess};
use vaultra_core::scoring::Policy;

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    let charges: u32 = std::env::var("VAULTRA_BENCH_CHARGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let runs: usize = std::env::var("VAULTRA_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let end = "2026-11-27".parse().unwrap();
    let config = synth::Config {
        days: 90,
        daily_charges: (charges / 90).max(1),
        ..synth::Config::new(Profile::Seasonal, 1, end)
    };
    let merchant = synth::generate(&config);
    let dir = tempfile::tempdir().unwrap();
    synth::write_export(dir.path(), &merchant).unwrap();
    let bytes: u64 = EXPORT_FILES
        .iter()
        .filter_map(|(name, _)| std::fs::metadata(dir.path().join(name)).ok())
        .map(|m| m.len())
        .sum();
    let n = merchant.charges.len();
    println!(
        "export: {n} charges, {} payouts, {} disputes, {} events, {:.1} MB",
        merchant.payouts.len(),
        merchant.disputes.len(),
        merchant.events.len(),
        bytes as f64 / 1e6
    );

    let parse_only = best_of(runs, || {
        for (name, _) in EXPORT_FILES {
            let f = BufReader::with_capacity(1 << 20, File::open(dir.path().join(name)).unwrap());
            let _: IgnoredAny = serde_json::from_reader(f).unwrap();
        }
    });
    let load = best_of(runs, || {
        std::hint::black_box(load_export(dir.path()).unwrap());
    });
    let policy = Policy::spec_v1();
    let full = best_of(runs, || {
        let data = load_export(dir.path()).unwrap();
        std::hint::black_box(assess(&data, &Options::ending(end), &policy).unwrap());
    });
    let row = |label: &str, d: Duration| {
        println!(
            "{label:<44} {:>8.1} ms  {:>7.1} MB/s  {:>6.2} M charges/s  ({:.2}x parse)",
            d.as_secs_f64() * 1e3,
            bytes as f64 / 1e6 / d.as_secs_f64(),
            n as f64 / 1e6 / d.as_secs_f64(),
            d.as_secs_f64() / parse_only.as_secs_f64()
        );
    };
    row("serde_json parse only (IgnoredAny)", parse_only);
    row("load_export", load);
    row("load_export + metrics + score + recommend", full);
}
