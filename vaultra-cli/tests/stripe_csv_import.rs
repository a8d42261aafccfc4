//! Stripe Dashboard CSV exports through `vaultra score` and `vaultra import`: the same
//! merchant as CSV and as JSON gives the same report; a bad cell is a one-line error
//! naming file, row and column, and the import writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::Command;
use chrono::{DateTime, NaiveDate};
use tempfile::TempDir;
use vaultra_adapters::synth::{self, Merchant, Profile};

fn end() -> NaiveDate {
    "2026-11-20".parse().unwrap()
}

fn vaultra(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("vaultra").unwrap();
    cmd.current_dir(dir).env(
        "DATABASE_URL",
        format!("sqlite://{}", dir.join("v.db").display()),
    );
    cmd
}

fn ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Minor units as the Dashboard shows them: major units, two decimals for USD, with a
/// thousands separator (and so quoted) from 1,000 on.
fn major(minor: i64) -> String {
    let whole = minor / 100;
    let cents = minor % 100;
    if whole >= 1000 {
        format!("\"{},{:03}.{cents:02}\"", whole / 1000, whole % 1000)
    } else {
        format!("{whole}.{cents:02}")
    }
}

fn utc(t: i64, seconds: bool) -> String {
    let d = DateTime::from_timestamp(t, 0).unwrap();
    if seconds {
        d.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        d.format("%Y-%m-%d %H:%M").to_string()
    }
}

/// The merchant as Dashboard exports, with the columns in the Dashboard's order and a
/// few columns Vaultra does not read.
fn write_csv(dir: &Path, m: &Merchant) {
    let mut payments = String::from(
        "id,Created date (UTC),Amount,Amount Refunded,Currency,Captured,Fee,Status,Description\n",
    );
    for c in &m.charges {
        let status = match (c.status.as_str(), c.captured, c.amount_refunded) {
            ("succeeded", false, _) => "Uncaptured",
            ("succeeded", true, 0) => "Paid",
            ("succeeded", true, r) if r == c.amount => "Refunded",
            ("succeeded", true, _) => "Partially refunded",
            ("failed", _, _) => "Failed",
            _ => "Pending",
        };
        writeln!(
            payments,
            "{},{},{},{},{},{},0.30,{status},\"Order, #{}\"",
            c.id,
            utc(c.created, true),
            major(c.amount),
            major(c.amount_refunded),
            c.currency.as_str(),
            c.captured,
            c.id
        )
        .unwrap();
    }
    std::fs::write(dir.join("unified_payments.csv"), payments).unwrap();
    let mut payouts =
        String::from("id,Amount,Created (UTC),Currency,Livemode,Arrival Date (UTC),Status,Type\n");
    for p in &m.payouts {
        writeln!(
            payouts,
            "{},{},{},{},false,{},{},bank_account",
            p.id,
            major(p.amount),
            utc(p.created, true),
            p.currency.as_str(),
            utc(p.arrival_date, p.arrival_date % 60 != 0),
            p.status.as_str()
        )
        .unwrap();
    }
    std::fs::write(dir.join("payouts.csv"), payouts).unwrap();
    let mut disputes =
        String::from("Dispute ID,Charge ID,Disputed Amount,Currency,Reason,Status,Created (UTC)\n");
    for d in &m.disputes {
        writeln!(
            disputes,
            "{},{},{},{},fraudulent,{},{}",
            d.id,
            d.charge,
            major(d.amount),
            d.currency.as_str(),
            d.status,
            utc(d.created, true)
        )
        .unwrap();
    }
    std::fs::write(dir.join("disputes.csv"), disputes).unwrap();
}

/// A JSON export folder and a CSV one of the same merchant (events stay JSON: the
/// Dashboard has no CSV of them).
fn folders(profile: Profile, seed: u64) -> (TempDir, std::path::PathBuf, std::path::PathBuf) {
    let merchant = synth::generate(&synth::Config::new(profile, seed, end()));
    let dir = TempDir::new().unwrap();
    let json = dir.path().join("json");
    let csv = dir.path().join("csv");
    synth::write_export(&json, &merchant).unwrap();
    synth::write_export(&csv, &merchant).unwrap();
    for name in ["charges.json", "payouts.json", "disputes.json"] {
        std::fs::remove_file(csv.join(name)).unwrap();
    }
    write_csv(&csv, &merchant);
    (dir, json, csv)
}

/// Breaks one line of a CSV file (the header is line 0).
type Breaker = Box<dyn Fn(&mut Vec<String>)>;

fn score(dir: &Path, data: &Path) -> String {
    ok(vaultra(dir)
        .args(["score", "--as-of", "2026-11-20", "--data"])
        .arg(data))
}

#[test]
fn csv_and_json_exports_of_one_merchant_score_and_import_the_same() {
    for (profile, seed) in [
        (Profile::ChargebackHeavy, 31),
        (Profile::PayoutTroubled, 32),
        (Profile::Growing, 33),
    ] {
        let (dir, json, csv) = folders(profile, seed);
        let d = dir.path();
        let from_json = score(d, &json);
        assert_eq!(score(d, &csv), from_json, "{profile:?}");

        let business = ok(vaultra(d).args([
            "business",
            "create",
            "--name",
            "Csv Co",
            "--owner-email",
            "csv@example.com",
        ]));
        let business = business.trim();
        let imported = ok(vaultra(d)
            .args(["import", "--business", business, "--data"])
            .arg(&csv));
        assert!(imported.starts_with("imported "), "{imported}");
        // Twice changes nothing; the JSON export of the same data on top neither.
        ok(vaultra(d)
            .args(["import", "--business", business, "--data"])
            .arg(&csv));
        let report =
            ok(vaultra(d).args(["report", "--business", business, "--as-of", "2026-11-20"]));
        assert_eq!(report, from_json, "{profile:?}");
        ok(vaultra(d)
            .args(["import", "--business", business, "--data"])
            .arg(&json));
        let report =
            ok(vaultra(d).args(["report", "--business", business, "--as-of", "2026-11-20"]));
        assert_eq!(report, from_json, "{profile:?}");
    }
}

#[test]
fn a_bad_cell_is_one_line_naming_file_row_and_column_and_writes_nothing() {
    let (dir, _json, csv) = folders(Profile::Steady, 34);
    let d = dir.path();
    let business = ok(vaultra(d).args([
        "business",
        "create",
        "--name",
        "Bad Csv Co",
        "--owner-email",
        "bad@example.com",
    ]));
    let business = business.trim().to_owned();
    let payments = std::fs::read_to_string(csv.join("unified_payments.csv")).unwrap();
    let original_payouts = std::fs::read_to_string(csv.join("payouts.csv")).unwrap();
    let mut lines: Vec<String> = payments.lines().map(str::to_owned).collect();
    let cases: Vec<(&str, Breaker, &str)> = vec![
        (
            "unified_payments.csv",
            Box::new(|l: &mut Vec<String>| {
                let cells: Vec<&str> = l[2].splitn(4, ',').collect();
                l[2] = format!("{},{},12.3.4,{}", cells[0], cells[1], cells[3]);
            }),
            "row 3, column `Amount`: `12.3.4` is not an amount in usd",
        ),
        (
            "unified_payments.csv",
            Box::new(|l: &mut Vec<String>| l[4] = l[4].replacen("usd", "us$", 1)),
            "row 5, column `Currency`: `us$` is not a three-letter currency code",
        ),
        (
            "unified_payments.csv",
            Box::new(|l: &mut Vec<String>| {
                l[6] = l[6]
                    .replace(",Paid,", ",Mystery,")
                    .replace(",Failed,", ",Mystery,")
                    .replace(",Refunded,", ",Mystery,")
            }),
            "row 7, column `Status`: unknown payment status `Mystery`",
        ),
        (
            "unified_payments.csv",
            Box::new(|l: &mut Vec<String>| {
                let cells: Vec<&str> = l[2].splitn(3, ',').collect();
                l[2] = format!("{},20/11/2026,{}", cells[0], cells[2]);
            }),
            "row 3, column `Created date (UTC)`: `20/11/2026` is not a UTC time",
        ),
        (
            "unified_payments.csv",
            Box::new(|l: &mut Vec<String>| l[3].push_str(",extra")),
            "row 4: 10 cells where the header has 9",
        ),
        (
            "unified_payments.csv",
            Box::new(|l: &mut Vec<String>| l[0] = l[0].replace("Currency", "Money")),
            "row 1, column `Currency`: the header has no `Currency` column",
        ),
    ];
    let pristine = lines.clone();
    for (file, break_it, want) in cases {
        lines.clone_from(&pristine);
        break_it(&mut lines);
        std::fs::write(csv.join(file), lines.join("\n") + "\n").unwrap();
        let out = vaultra(d)
            .args(["import", "--business", &business, "--data"])
            .arg(&csv)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{want}");
        assert!(out.stdout.is_empty());
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("unified_payments.csv: "), "{err}");
        assert!(err.contains(want), "want {want:?} in {err}");
    }
    // A bad payouts.csv after a good payments file: still nothing written.
    std::fs::write(csv.join("unified_payments.csv"), &payments).unwrap();
    std::fs::write(
        csv.join("payouts.csv"),
        original_payouts.replacen(",paid,", ",vanished,", 1),
    )
    .unwrap();
    let out = vaultra(d)
        .args(["import", "--business", &business, "--data"])
        .arg(&csv)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("payouts.csv: row ") && err.contains("unknown payout status `vanished`"),
        "{err}"
    );
    let report: serde_json::Value = serde_json::from_str(&ok(vaultra(d).args([
        "report",
        "--business",
        &business,
        "--as-of",
        "2026-11-20",
    ])))
    .unwrap();
    assert_eq!(
        report["metrics"]["transaction_count"], 0,
        "nothing was imported"
    );
}
