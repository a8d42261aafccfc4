//! `vaultra score` end to end: real files in, the §6 contract out, one-line errors.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};
use tempfile::TempDir;

fn vaultra() -> Command {
    Command::cargo_bin("vaultra").unwrap()
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/sample-merchant")
}

/// 2026-11-01 00:00:00 UTC.
const NOV_1: i64 = 1_793_491_200;
const DAY: i64 = 86_400;

fn charge(id: &str, created: i64, amount: i64, currency: &str) -> Value {
    json!({"id": id, "object": "charge", "created": created, "amount": amount,
           "amount_refunded": 0, "currency": currency, "status": "succeeded", "captured": true,
           "outcome": {"type": "authorized"}, "paid": true})
}

fn folder(files: &[(&str, Value)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, value) in files {
        std::fs::write(dir.path().join(name), serde_json::to_vec(value).unwrap()).unwrap();
    }
    dir
}

fn score_json(dir: &Path, extra: &[&str]) -> Value {
    let out = vaultra()
        .args(["score", "--data"])
        .arg(dir)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "nothing on stderr on success");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Runs a failing command; asserts exit code, one stderr line, empty stdout.
fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "expected failure");
    assert!(
        out.stdout.is_empty(),
        "stdout must be empty on failure: {:?}",
        out.stdout
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line on stderr: {stderr:?}"
    );
    stderr.trim_end().to_owned()
}

#[test]
fn empty_folder_gives_the_neutral_report() {
    let dir = tempfile::tempdir().unwrap();
    let v = score_json(dir.path(), &["--as-of", "2026-11-28"]);
    assert_eq!(
        v["window"],
        json!({"start_date": "2026-10-30", "end_date": "2026-11-28", "days": 30})
    );
    assert_eq!(v["currency"], "usd");
    assert_eq!(
        v["metrics"],
        json!({"transaction_count": 0, "revenue_total": "0.00", "refunded_total": "0.00",
               "net_revenue": "0.00", "average_transaction_size": null,
               "revenue_volatility": null, "chargeback_count": 0, "chargeback_ratio": null,
               "payouts_due": 0, "payouts_on_time": 0, "payout_reliability": null,
               "revenue_growth": null, "revenue_trend": "flat"})
    );
    assert_eq!(v["readiness"]["score"], 50);
    assert_eq!(v["readiness"]["tier"], "improving");
    assert_eq!(v["readiness"]["tier_label"], "Improving");
    assert_eq!(v["readiness"]["policy"], "spec-v1");
    assert_eq!(v["readiness"]["max_attainable"], 80);
    let recs = v["recommendations"].as_array().unwrap();
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0]["code"], "grow_revenue");
    assert_eq!(recs[0]["priority"], "medium");
    assert_eq!(recs[0]["score_impact"], 10);
    assert!(!recs[0]["title"].as_str().unwrap().is_empty());
    assert!(!recs[0]["description"].as_str().unwrap().is_empty());
}

#[test]
fn arrays_and_list_objects_score_the_same() {
    let charges: Vec<Value> = (0..30)
        .map(|d| {
            charge(
                &format!("ch_{d}"),
                NOV_1 + d * DAY + 3600,
                1000 + d * 10,
                "usd",
            )
        })
        .collect();
    let a = folder(&[("charges.json", Value::Array(charges.clone()))]);
    let b = folder(&[(
        "charges.json",
        json!({"object": "list", "url": "/v1/charges", "has_more": false, "data": charges}),
    )]);
    let args = ["--as-of", "2026-11-30"];
    let (va, vb) = (score_json(a.path(), &args), score_json(b.path(), &args));
    assert_eq!(va, vb);
    assert_eq!(va["metrics"]["transaction_count"], 30);
    // Σ (1000 + 10d) for d in 0..30 = 30000 + 4350 cents.
    assert_eq!(va["metrics"]["revenue_total"], "343.50");
    assert_eq!(va["metrics"]["revenue_trend"], "increasing");
}

#[test]
fn currency_flag_is_case_insensitive_and_never_mixes() {
    let dir = folder(&[(
        "charges.json",
        json!([
            charge("ch_1", NOV_1 + 10 * DAY, 5_000, "usd"),
            charge("ch_2", NOV_1 + 11 * DAY, 900, "jpy"),
            charge("ch_3", NOV_1 + 12 * DAY, 1_234, "KWD"),
        ]),
    )]);
    let auto = score_json(dir.path(), &["--as-of", "2026-11-30"]);
    assert_eq!(
        auto["currency"], "usd",
        "largest volume in minor units wins"
    );
    assert_eq!(auto["metrics"]["revenue_total"], "50.00");
    let jpy = score_json(dir.path(), &["--as-of", "2026-11-30", "--currency", "JPY"]);
    assert_eq!(jpy["currency"], "jpy");
    assert_eq!(jpy["metrics"]["revenue_total"], "900");
    let kwd = score_json(dir.path(), &["--as-of", "2026-11-30", "--currency", "kwd"]);
    assert_eq!(kwd["metrics"]["revenue_total"], "1.234");
    assert_eq!(kwd["metrics"]["transaction_count"], 1);
}

#[test]
fn window_days_and_as_of_are_honoured() {
    let dir = folder(&[(
        "charges.json",
        json!([
            charge("ch_1", NOV_1, 100, "usd"),
            charge("ch_2", NOV_1 + 5 * DAY, 100, "usd")
        ]),
    )]);
    let v = score_json(dir.path(), &["--as-of", "2026-11-06", "--window-days", "2"]);
    assert_eq!(v["window"]["start_date"], "2026-11-05");
    assert_eq!(v["metrics"]["transaction_count"], 1);
    let v = score_json(
        dir.path(),
        &["--as-of", "2026-11-06", "--window-days", "366"],
    );
    assert_eq!(v["metrics"]["transaction_count"], 2);
}

#[test]
fn sample_json_matches_snapshot() {
    let v = score_json(&sample(), &["--as-of", "2026-11-27"]);
    insta::assert_json_snapshot!("sample_merchant_json", v);
}

#[test]
fn sample_text_report_matches_snapshot() {
    let out = vaultra()
        .args(["score", "--data"])
        .arg(sample())
        .args(["--as-of", "2026-11-27", "--format", "text"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Score  55 / 100"), "{text}");
    insta::assert_snapshot!("sample_merchant_text", text);
}

#[test]
fn a_custom_policy_file_is_data() {
    // spec-v1 with a harsher chargeback band: the sample's 0-point factor becomes -15.
    let mut policy: Value =
        serde_json::from_str(&std::fs::read_to_string(policy_path()).unwrap()).unwrap();
    policy["name"] = json!("strict-chargebacks");
    policy["components"][2]["rule"]["bands"][0]["threshold"] = json!("0.001");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.json");
    std::fs::write(&file, serde_json::to_vec(&policy).unwrap()).unwrap();
    let v = score_json(
        &sample(),
        &["--as-of", "2026-11-27", "--policy", file.to_str().unwrap()],
    );
    assert_eq!(v["readiness"]["policy"], "strict-chargebacks");
    let cb = &v["readiness"]["factors"][2];
    assert_eq!(cb["code"], "chargeback_ratio");
    assert_eq!(cb["points"], -15);
}

fn policy_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/policies/spec-v1.json")
}

#[test]
fn shipped_policy_file_equals_the_builtin() {
    let shipped =
        vaultra_core::scoring::Policy::from_json(&std::fs::read_to_string(policy_path()).unwrap())
            .unwrap();
    assert_eq!(shipped, vaultra_core::scoring::Policy::spec_v1());
}

#[test]
fn generate_is_deterministic_and_scores() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for dir in [&a, &b] {
        vaultra()
            .args([
                "generate",
                "--profile",
                "payout-troubled",
                "--seed",
                "9",
                "--end",
                "2026-11-27",
            ])
            .args(["--days", "40", "--daily-charges", "5", "--out"])
            .arg(dir.path())
            .assert()
            .success();
    }
    for name in [
        "charges.json",
        "payouts.json",
        "disputes.json",
        "events.json",
    ] {
        assert_eq!(
            std::fs::read(a.path().join(name)).unwrap(),
            std::fs::read(b.path().join(name)).unwrap(),
            "{name}"
        );
    }
    let v = score_json(a.path(), &["--as-of", "2026-11-27"]);
    assert!(v["metrics"]["payouts_due"].as_u64().unwrap() > 0);
}

#[test]
fn missing_folder_fails_cleanly() {
    let msg = fails(vaultra().args([
        "score",
        "--data",
        "/no/such/folder",
        "--as-of",
        "2026-11-01",
    ]));
    assert!(
        msg.starts_with("error: ") && msg.contains("no such folder"),
        "{msg}"
    );
}

#[test]
fn malformed_json_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("charges.json"), b"[{\"id\": \"ch_1\", ").unwrap();
    let msg = fails(
        vaultra()
            .args(["score", "--as-of", "2026-11-01", "--data"])
            .arg(dir.path()),
    );
    assert!(msg.contains("charges.json"), "{msg}");
}

#[test]
fn missing_field_names_the_object_and_field() {
    let mut c = charge("ch_missing", NOV_1, 100, "usd");
    c.as_object_mut().unwrap().remove("created");
    let dir = folder(&[("charges.json", json!([c]))]);
    let msg = fails(
        vaultra()
            .args(["score", "--as-of", "2026-11-01", "--data"])
            .arg(dir.path()),
    );
    assert!(
        msg.contains("charge ch_missing") && msg.contains("`created`"),
        "{msg}"
    );
}

#[test]
fn wrong_type_names_the_field() {
    let mut c = charge("ch_1", NOV_1, 100, "usd");
    c["amount"] = json!("100");
    let dir = folder(&[("payouts.json", json!([])), ("charges.json", json!([c]))]);
    let msg = fails(
        vaultra()
            .args(["score", "--as-of", "2026-11-01", "--data"])
            .arg(dir.path()),
    );
    assert!(
        msg.contains("object #1") && msg.contains("`amount`"),
        "{msg}"
    );
}

#[test]
fn not_an_array_fails() {
    let dir = folder(&[("disputes.json", json!({"object": "list"}))]);
    let msg = fails(
        vaultra()
            .args(["score", "--as-of", "2026-11-01", "--data"])
            .arg(dir.path()),
    );
    assert!(msg.contains("disputes.json"), "{msg}");
}

#[test]
fn bad_arguments_fail_with_one_line() {
    let sample = sample();
    let s = sample.to_str().unwrap();
    for (args, needle) in [
        (vec!["--as-of", "2026-13-01"], "--as-of"),
        (vec!["--as-of", "yesterday"], "YYYY-MM-DD"),
        (vec!["--window-days", "1"], "--window-days"),
        (vec!["--window-days", "367"], "--window-days"),
        (vec!["--window-days", "x"], "--window-days"),
        (vec!["--currency", "dollars"], "currency"),
        (vec!["--format", "xml"], "--format"),
        (vec!["--policy", "spec-v9"], "spec-v9"),
    ] {
        let msg = fails(vaultra().args(["score", "--data", s]).args(&args));
        assert!(msg.contains(needle), "{args:?}: {msg}");
    }
    let msg = fails(vaultra().args(["score"]));
    assert!(msg.contains("--data"), "{msg}");
}
