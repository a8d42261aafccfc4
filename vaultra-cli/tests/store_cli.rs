//! `vaultra migrate | business | import | report` end to end, on the default SQLite
//! file and on PostgreSQL, with the same output as `vaultra score`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/sample-merchant")
}

/// `vaultra` run in `dir` with `DATABASE_URL` set to `url` (or unset: the default file).
fn vaultra(dir: &Path, url: Option<&str>) -> Command {
    let mut cmd = Command::cargo_bin("vaultra").unwrap();
    cmd.current_dir(dir).env_remove("DATABASE_URL");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
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

fn fails(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "expected a failure");
    assert!(out.stdout.is_empty(), "nothing on stdout on failure");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
    err
}

/// The whole flow of the issue: migrate, create, import twice, report = score.
fn full_flow(dir: &Path, url: Option<&str>) {
    let data = sample();
    ok(vaultra(dir, url).arg("migrate"));
    let id = ok(vaultra(dir, url).args([
        "business",
        "create",
        "--name",
        "Sample Co",
        "--industry",
        "retail",
        "--owner-email",
        "Owner@Example.com",
    ]));
    let id = id.trim().to_owned();
    uuid::Uuid::parse_str(&id).expect("business create prints the id");

    let list: Value = serde_json::from_str(&ok(
        vaultra(dir, url).args(["business", "list", "--format", "json"])
    ))
    .unwrap();
    assert_eq!(list[0]["id"], id.as_str());
    assert_eq!(list[0]["industry"], "retail");

    let first = ok(vaultra(dir, url)
        .args(["import", "--business", &id, "--data"])
        .arg(&data));
    assert!(first.contains("552 charges"), "{first}");
    let report_args = ["report", "--business", &id, "--as-of", "2026-11-27"];
    let once = ok(vaultra(dir, url).args(report_args));
    // Importing the same folder again changes nothing.
    ok(vaultra(dir, url)
        .args(["import", "--business", &id, "--data"])
        .arg(&data));
    let twice = ok(vaultra(dir, url).args(report_args));
    assert_eq!(once, twice);

    let score = ok(vaultra(dir, None)
        .args(["score", "--as-of", "2026-11-27", "--data"])
        .arg(&data));
    assert_eq!(
        once, score,
        "report from the store equals score on the files"
    );
    let text_report = ok(vaultra(dir, url)
        .args(report_args)
        .args(["--format", "text"]));
    let text_score = ok(vaultra(dir, None)
        .args([
            "score",
            "--as-of",
            "2026-11-27",
            "--format",
            "text",
            "--data",
        ])
        .arg(&data));
    assert_eq!(text_report, text_score);
    for days in ["7", "90"] {
        let r = ok(vaultra(dir, url)
            .args(report_args)
            .args(["--window-days", days]));
        let s = ok(vaultra(dir, None)
            .args([
                "score",
                "--as-of",
                "2026-11-27",
                "--window-days",
                days,
                "--data",
            ])
            .arg(&data));
        assert_eq!(r, s, "window of {days} days");
    }

    // A bad folder is refused before anything is written.
    let bad = tempfile::tempdir().unwrap();
    std::fs::copy(data.join("charges.json"), bad.path().join("charges.json")).unwrap();
    std::fs::write(
        bad.path().join("disputes.json"),
        r#"[{"id": "dp_x", "object": "dispute", "created": 1, "currency": "usd", "status": "lost"}]"#,
    )
    .unwrap();
    let err = fails(
        vaultra(dir, url)
            .args(["import", "--business", &id, "--data"])
            .arg(bad.path()),
    );
    assert!(
        err.contains("dispute dp_x") && err.contains("charge"),
        "{err}"
    );
    assert_eq!(
        ok(vaultra(dir, url).args(report_args)),
        once,
        "store unchanged"
    );

    // Unknown or malformed business ids.
    let err = fails(vaultra(dir, url).args(["report", "--business", "42"]));
    assert!(err.contains("not a business id"), "{err}");
    let nobody = "00000000-0000-0000-0000-000000000001";
    let err = fails(vaultra(dir, url).args(["report", "--business", nobody]));
    assert!(err.contains("business not found"), "{err}");
    let err = fails(
        vaultra(dir, url)
            .args(["import", "--business", nobody, "--data"])
            .arg(&data),
    );
    assert!(err.contains("business not found"), "{err}");

    // Bad business input.
    let err = fails(vaultra(dir, url).args([
        "business",
        "create",
        "--name",
        " ",
        "--owner-email",
        "a@b.co",
    ]));
    assert!(err.contains("name"), "{err}");
    let err = fails(vaultra(dir, url).args([
        "business",
        "create",
        "--name",
        "X",
        "--industry",
        "crypto",
        "--owner-email",
        "a@b.co",
    ]));
    assert!(err.contains("industry"), "{err}");
    let err = fails(vaultra(dir, url).args([
        "business",
        "create",
        "--name",
        "X",
        "--owner-email",
        "nope",
    ]));
    assert!(err.contains("email"), "{err}");
    let list: Value = serde_json::from_str(&ok(
        vaultra(dir, url).args(["business", "list", "--format", "json"])
    ))
    .unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "no business was added by bad input"
    );
}

#[test]
fn default_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    full_flow(dir.path(), None);
    assert!(
        dir.path().join("vaultra.db").exists(),
        "the default store is ./vaultra.db"
    );
}

#[test]
fn postgres() {
    let admin = std::env::var("VAULTRA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let db = format!("vaultra_cli_{}", uuid::Uuid::new_v4().simple());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let run = |sql: String| {
        rt.block_on(async {
            let pool = sqlx::PgPool::connect(&admin).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        })
    };
    run(format!("CREATE DATABASE {db}"));
    let url = match admin.rsplit_once('/') {
        Some((root, _)) => format!("{root}/{db}"),
        None => panic!("bad url"),
    };
    let dir = tempfile::tempdir().unwrap();
    let result = std::panic::catch_unwind(|| full_flow(dir.path(), Some(&url)));
    run(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}

#[test]
fn unknown_database_scheme_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(vaultra(dir.path(), Some("mysql://root:secret@localhost/db")).arg("migrate"));
    assert!(err.contains("sqlite:") && !err.contains("secret"), "{err}");
}
