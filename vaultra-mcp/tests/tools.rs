//! The MCP server over an in-memory transport with rmcp's own client: every tool is
//! listed with its schemas and annotations, answers what the core computes for the
//! same business, and refuses bad arguments as tool errors.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientConfig, ContentBlock, GetPromptRequestParams,
    ReadResourceRequestParams, ResourceContents,
};
use rmcp::service::RunningService;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::{Value, json};
use uuid::Uuid;
use vaultra_adapters::files::read_batch;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_core::app::Vaultra;
use vaultra_core::domain::{NewBusiness, NewUser};
use vaultra_core::metrics::{self, CurrencyChoice, Window};
use vaultra_core::ports::{FixedClock, Store};
use vaultra_core::recommend::RecommendationStatus;
use vaultra_core::report::Report;
use vaultra_core::scoring::{Indicators, Policy, simulate};
use vaultra_mcp::{Scope, VaultraMcp};

#[derive(Debug, Clone, Default)]
struct Client;

impl ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::default()
    }
}

struct Fixture {
    client: RunningService<RoleClient, Client>,
    store: Arc<dyn Store>,
    business: Uuid,
    other: Uuid,
    outside: Uuid,
}

fn sample() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/sample-merchant")
}

/// The day after the sample's last day: windows end on 2026-11-27.
fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 11, 28, 9, 0, 0).unwrap(),
    ))
}

async fn fixture() -> Fixture {
    let sqlite = SqliteStore::memory().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(sqlite);
    let owner = store
        .create_user(NewUser {
            email: "owner@example.com".into(),
            name: "Owner".into(),
            password_hash: None,
            avatar_url: None,
        })
        .await
        .unwrap();
    let business = store
        .create_business(owner.id, NewBusiness::named("Sample Shop"))
        .await
        .unwrap();
    store
        .ingest(business.id, None, &read_batch(sample()).unwrap(), None)
        .await
        .unwrap();
    let other = store
        .create_business(owner.id, NewBusiness::named("Empty Shop"))
        .await
        .unwrap();
    let outside = store
        .create_business(owner.id, NewBusiness::named("Not Yours"))
        .await
        .unwrap();
    let app = Vaultra::builder(store.clone())
        .clock(clock())
        .policy(Arc::new(Policy::spec_v1()))
        .build()
        .unwrap();
    let server = VaultraMcp::new(app, Scope::Only(vec![business.id, other.id]));
    let (server_io, client_io) = tokio::io::duplex(1 << 16);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    let client = Client.serve(client_io).await.unwrap();
    Fixture {
        client,
        store,
        business: business.id,
        other: other.id,
        outside: outside.id,
    }
}

async fn call(f: &Fixture, tool: &'static str, args: Value) -> CallToolResult {
    let params = CallToolRequestParams::new(tool).with_arguments(args.as_object().unwrap().clone());
    f.client.call_tool(params).await.unwrap()
}

async fn ok(f: &Fixture, tool: &'static str, args: Value) -> Value {
    let result = call(f, tool, args).await;
    assert_ne!(result.is_error, Some(true), "{tool}: {:?}", result.content);
    let structured = result
        .structured_content
        .clone()
        .expect("structured content");
    // The text content carries the same JSON, for clients without structured output.
    let text = match &result.content[0] {
        ContentBlock::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), structured);
    structured
}

async fn tool_error(f: &Fixture, tool: &'static str, args: Value) -> String {
    let result = call(f, tool, args).await;
    assert_eq!(
        result.is_error,
        Some(true),
        "{tool} should fail: {result:?}"
    );
    match &result.content[0] {
        ContentBlock::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    }
}

/// The report `vaultra report` computes for the sample business (30 days to 11-27).
async fn core_report(f: &Fixture) -> Report {
    let window = Window::new("2026-11-27".parse().unwrap(), 30).unwrap();
    let data = f.store.payment_data(f.business, window).await.unwrap();
    Report::from_metrics(
        metrics::compute(&data, window, CurrencyChoice::Auto),
        &Policy::spec_v1(),
    )
}

#[tokio::test]
async fn tools_are_listed_read_only_with_schemas() {
    let f = fixture().await;
    let tools = f.client.list_all_tools().await.unwrap();
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "get_business_context",
            "get_metric_summary",
            "get_readiness_breakdown",
            "get_top_recommendations",
            "list_businesses",
            "simulate_readiness"
        ]
    );
    for tool in &tools {
        let annotations = tool.annotations.as_ref().expect("annotations");
        assert_eq!(annotations.read_only_hint, Some(true), "{}", tool.name);
        let output = tool.output_schema.as_ref().expect("output schema");
        assert_eq!(output.get("type"), Some(&json!("object")), "{}", tool.name);
        assert!(tool.description.as_ref().is_some_and(|d| d.len() > 40));
    }
    let breakdown = tools
        .iter()
        .find(|t| t.name == "get_readiness_breakdown")
        .unwrap();
    let props = breakdown.input_schema.get("properties").unwrap();
    assert!(props.get("business_id").is_some() && props.get("window_days").is_some());
}

#[tokio::test]
async fn results_equal_the_core() {
    let f = fixture().await;
    let report = core_report(&f).await;
    let expected = report.to_json();
    let id = f.business.to_string();

    let listed = ok(&f, "list_businesses", json!({})).await;
    let names: Vec<&str> = listed["businesses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Sample Shop", "Empty Shop"],
        "only the scope, oldest first"
    );

    let summary = ok(&f, "get_metric_summary", json!({"business_id": id})).await;
    assert_eq!(summary["metrics"], expected["metrics"]);
    assert_eq!(summary["window"], expected["window"]);
    assert_eq!(summary["currency"], expected["currency"]);

    let breakdown = ok(&f, "get_readiness_breakdown", json!({"business_id": id})).await;
    assert_eq!(breakdown["readiness"], expected["readiness"]);
    let hurts: Vec<Value> = report
        .readiness
        .factors
        .iter()
        .filter(|f| serde_json::to_value(f).unwrap()["effect"] == "hurts")
        .map(|f| json!(f.explanation))
        .collect();
    assert_eq!(breakdown["hurts"], json!(hurts));
    assert_eq!(
        breakdown["freshness"]["charges_stored"],
        json!(f.store.coverage(f.business).await.unwrap().charges)
    );
    assert_eq!(breakdown["history"], json!([]), "no jobs ran");

    let top = ok(
        &f,
        "get_top_recommendations",
        json!({"business_id": id, "limit": 2}),
    )
    .await;
    let recs = top["recommendations"].as_array().unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(recs[0], expected["recommendations"][0]);
    assert_eq!(recs[1], expected["recommendations"][1]);

    let changes = json!({"revenue_trend": "increasing", "chargeback_ratio": 0.004});
    let sim = ok(
        &f,
        "simulate_readiness",
        json!({"business_id": id, "changes": changes}),
    )
    .await;
    let core = simulate(
        &Policy::spec_v1(),
        &Indicators::from(&report.metrics),
        &serde_json::from_value(changes).unwrap(),
    )
    .unwrap();
    let core = serde_json::to_value(core).unwrap();
    for key in ["baseline", "simulated", "score_change", "next_tier"] {
        assert_eq!(sim[key], core[key], "{key}");
    }

    let context = ok(&f, "get_business_context", json!({"business_id": id})).await;
    assert_eq!(context["name"], "Sample Shop");
    assert_eq!(context["connected_sources"], json!([]));
    assert!(context["freshness"]["history_days"].as_u64().unwrap() >= 30);
}

#[tokio::test]
async fn a_dismissed_recommendation_is_not_offered_again() {
    let f = fixture().await;
    let report = core_report(&f).await;
    let first = report.recommendations[0].clone();
    let stored = f
        .store
        .upsert_live(
            f.business,
            &first,
            Utc.with_ymd_and_hms(2026, 11, 20, 0, 0, 0).unwrap(),
        )
        .await
        .unwrap();
    let id = f.business.to_string();
    let top = ok(&f, "get_top_recommendations", json!({"business_id": id})).await;
    assert_eq!(top["recommendations"][0]["code"], json!(first.code));
    assert_eq!(top["recommendations"][0]["status"], "pending");
    assert_eq!(
        top["recommendations"][0]["id"],
        json!(stored.id.to_string())
    );

    f.store
        .set_recommendation_status(
            stored.id,
            RecommendationStatus::Pending,
            RecommendationStatus::Dismissed,
            Utc.with_ymd_and_hms(2026, 11, 21, 0, 0, 0).unwrap(),
        )
        .await
        .unwrap();
    let top = ok(&f, "get_top_recommendations", json!({"business_id": id})).await;
    let codes: Vec<&str> = top["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert!(!codes.contains(&first.code.as_str()), "{codes:?}");
    assert_eq!(codes.len(), report.recommendations.len() - 1);
}

#[tokio::test]
async fn bad_arguments_are_tool_errors_that_say_what_to_do() {
    let f = fixture().await;
    let id = f.business.to_string();
    let cases = [
        (
            "get_readiness_breakdown",
            json!({}),
            "business_id is required",
        ),
        (
            "get_readiness_breakdown",
            json!({"business_id": 7}),
            "must be a string",
        ),
        (
            "get_readiness_breakdown",
            json!({"business_id": "acme"}),
            "not a business id",
        ),
        (
            "get_readiness_breakdown",
            json!({"business_id": Uuid::new_v4().to_string()}),
            "call list_businesses",
        ),
        (
            "get_metric_summary",
            json!({"business_id": f.outside.to_string()}),
            "may act for",
        ),
        (
            "get_metric_summary",
            json!({"business_id": id, "window_days": 1}),
            "window_days",
        ),
        (
            "get_metric_summary",
            json!({"business_id": id, "window_days": "30"}),
            "window_days",
        ),
        (
            "get_metric_summary",
            json!({"business_id": id, "as_of": "yesterday"}),
            "YYYY-MM-DD",
        ),
        (
            "get_top_recommendations",
            json!({"business_id": id, "limit": 0}),
            "limit",
        ),
        (
            "simulate_readiness",
            json!({"business_id": id, "changes": {"chargeback_ratio": 3}}),
            "out of range",
        ),
        (
            "simulate_readiness",
            json!({"business_id": id, "changes": {"profit": 1}}),
            "unknown metric",
        ),
        (
            "simulate_readiness",
            json!({"business_id": id, "changes": [1]}),
            "object",
        ),
    ];
    for (tool, args, needle) in cases {
        let message = tool_error(&f, tool, args.clone()).await;
        assert!(message.contains(needle), "{tool} {args}: {message}");
    }
    // A business in scope with no data is answered, not refused.
    let empty = ok(
        &f,
        "get_readiness_breakdown",
        json!({"business_id": f.other.to_string()}),
    )
    .await;
    assert_eq!(empty["readiness"]["score"], 50);
}

#[tokio::test]
async fn the_report_resource_and_the_prompt() {
    let f = fixture().await;
    let resources = f.client.list_all_resources().await.unwrap();
    let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
    let expected = format!("vaultra://business/{}/readiness-report", f.business);
    assert!(uris.contains(&expected.as_str()), "{uris:?}");
    assert_eq!(uris.len(), 2, "only the scope");
    let read = f
        .client
        .read_resource(ReadResourceRequestParams::new(expected.clone()))
        .await
        .unwrap();
    let text = match &read.contents[0] {
        ResourceContents::TextResourceContents { text, .. } => text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(text.starts_with("Sample Shop"));
    assert!(text.contains(&core_report(&f).await.to_text()));
    let missing = f
        .client
        .read_resource(ReadResourceRequestParams::new(format!(
            "vaultra://business/{}/readiness-report",
            f.outside
        )))
        .await;
    assert!(missing.is_err(), "out of scope");

    let prompt = f
        .client
        .get_prompt(
            GetPromptRequestParams::new("explain_readiness").with_arguments(
                json!({"business_id": f.business.to_string()})
                    .as_object()
                    .unwrap()
                    .clone(),
            ),
        )
        .await
        .unwrap();
    let text = match &prompt.messages[0].content {
        ContentBlock::Text(t) => t.text.clone(),
        other => panic!("{other:?}"),
    };
    assert!(text.contains("get_readiness_breakdown") && text.contains(&f.business.to_string()));
}
