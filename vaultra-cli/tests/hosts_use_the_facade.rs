//! Architecture invariant (docs/ARCHITECTURE.md): hosts parse their protocol, call the
//! application layer (`vaultra_core::app`) and map errors — nothing else.
//!
//! This test reads the source of every host (the `vaultra` command, the MCP server, the
//! Python bindings, and the HTTP service once it exists) and fails if one of them reaches
//! past the façade into what the façade decides: computing metrics or reports, scoring,
//! generating or suppressing recommendations, choosing a window or "yesterday", building
//! services or the job runner, holding the whole store, or opening a store by hand.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};

/// What a host must not name, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    (
        "metrics::compute",
        "computes metrics (use Vaultra::report or app::assess)",
    ),
    ("compute_view", "computes metrics (use app::assess_in)"),
    ("from_metrics", "assembles a report (use the façade)"),
    ("report::assess", "assembles a report (use app::assess)"),
    ("scoring::score", "scores (use the façade)"),
    (
        "recommend::recommend",
        "generates recommendations (use the façade)",
    ),
    (
        "is_suppressed",
        "decides suppression (RecommendationsService::top_recommendations)",
    ),
    (
        "DISMISSAL_SUPPRESSION_DAYS",
        "decides suppression (the recommendations service)",
    ),
    ("Window::new", "builds a window (use WindowSpec)"),
    (
        "ending_yesterday",
        "picks yesterday (use WindowSpec::DEFAULT)",
    ),
    ("pred_opt", "picks yesterday (use WindowSpec::DEFAULT)"),
    ("dyn Store", "holds the whole store (use the façade)"),
    ("ports::Store", "holds the whole store (use the façade)"),
    ("ports::storage", "uses the store traits (use the façade)"),
    (
        "MetricsService::new",
        "builds a service (the façade owns them)",
    ),
    (
        "RecommendationsService::new",
        "builds a service (the façade owns them)",
    ),
    (
        "UsersService::new",
        "builds a service (the façade owns them)",
    ),
    (
        "JobRunner::new",
        "builds the job runner (Vaultra::job_runner)",
    ),
    ("StripeSync::new", "builds the sync (Vaultra::sync_stripe)"),
    (
        "StripeWebhooks::new",
        "builds the webhook service (Vaultra::handle_stripe_webhook)",
    ),
    (
        "SqliteStore::connect",
        "opens a store by hand (vaultra_adapters::open)",
    ),
    (
        "PostgresStore::connect",
        "opens a store by hand (vaultra_adapters::open)",
    ),
    (
        "fn redact",
        "redacts URLs itself (vaultra_adapters::redact)",
    ),
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Violations in `text` (code only: comment lines are skipped).
fn violations(text: &str) -> Vec<(usize, &'static str, &'static str)> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.trim_start();
        if code.starts_with("//") {
            continue;
        }
        for (needle, why) in FORBIDDEN {
            let hit = code.match_indices(needle).any(|(at, _)| {
                // A whole name: not the tail of a longer identifier.
                let before = code[..at].chars().next_back();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            });
            if hit {
                found.push((n + 1, *needle, *why));
            }
        }
    }
    found
}

#[test]
fn hosts_reach_the_core_only_through_the_facade() {
    let root = workspace();
    let hosts = [
        "vaultra-cli/src",
        "vaultra-mcp/src",
        "bindings/python/src",
        "vaultra-http/src",
    ];
    let mut files = Vec::new();
    for host in hosts {
        rust_files(&root.join(host), &mut files);
    }
    assert!(
        files.len() >= 10,
        "found only {} host files under {}",
        files.len(),
        root.display()
    );
    let mut report = String::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (line, needle, why) in violations(&text) {
            report.push_str(&format!(
                "{}:{line}: `{needle}` {why}\n",
                file.strip_prefix(&root).unwrap_or(file).display()
            ));
        }
    }
    assert!(report.is_empty(), "hosts bypass the façade:\n{report}");
}

#[test]
fn the_check_catches_a_host_that_computes_itself() {
    let host = "use vaultra_core::metrics;\nlet m = metrics::compute(&data, window, c);\n\
                // metrics::compute in a comment is fine\nlet w = Window::new(d, 30)?;\n";
    let found: Vec<_> = violations(host)
        .into_iter()
        .map(|(l, n, _)| (l, n))
        .collect();
    assert_eq!(found, vec![(2, "metrics::compute"), (4, "Window::new")]);
    // A longer name that merely ends like a forbidden one is not flagged.
    assert!(violations("let s = StreamableHttpService::new(x);").is_empty());
}
