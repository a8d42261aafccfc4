//! Vaultra's engine as an MCP tool server.
//!
//! [`VaultraMcp`] is an rmcp [`ServerHandler`] over the core's application layer
//! ([`Vaultra`]): every tool parses its arguments, makes one call into the façade and
//! maps the result to its schema'd output, so a tool's answer equals `vaultra report`'s
//! (and every other host's) for the same business and window. The tools
//! are read-only (and annotated so); a tool about a business this server may not act
//! for, bad arguments, or a business with no data come back as tool errors
//! (`isError`) whose text says what to do, never as protocol failures.
//!
//! Transports: [`VaultraMcp::serve_stdio`] (what `vaultra mcp` runs; stdout carries
//! only the protocol) and [`http::router`], a stateless streamable-HTTP endpoint that
//! the HTTP host mounts. Adding a tool is one method in the `#[tool_router]` block.

pub mod dto;
pub mod http;

use std::sync::Arc;

use rmcp::handler::server::router::prompt::PromptRouter;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{
    ListResourceTemplatesResult, ListResourcesResult, PaginatedRequestParams, PromptMessage,
    ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, Role, ServerCapabilities, ServerConfig,
};
use rmcp::service::RequestContext;
use rmcp::{
    ErrorData, Json, RoleServer, ServerHandler, ServiceExt, prompt, prompt_handler, prompt_router,
    tool, tool_handler, tool_router,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;
use vaultra_core::app::{Actor, Assessment, DEFAULT_TOP_RECOMMENDATIONS, Vaultra, WindowSpec};
use vaultra_core::domain::Business;
use vaultra_core::metrics::Window;
use vaultra_core::scoring::Changes;

use crate::dto::*;

/// Which businesses a server may act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every business in the store (a local, single-user store).
    All,
    /// Only these.
    Only(Vec<Uuid>),
}

/// Vaultra's MCP server.
#[derive(Debug, Clone)]
pub struct VaultraMcp {
    inner: Arc<Inner>,
    tool_router: ToolRouter<Self>,
    prompt_router: PromptRouter<Self>,
}

#[derive(Debug)]
struct Inner {
    app: Vaultra,
    scope: Scope,
}

/// The actor every tool acts as: the MCP server is a local, operator-run host, and its
/// [`Scope`] is what limits it.
const ACTOR: Actor = Actor::System;

/// A core error as the tool's error text: its message (with context, never its causes,
/// which may quote the database), and when to try again if that may help.
fn core_error(e: vaultra_core::Error) -> String {
    if !e.is_retryable() {
        return e.to_string();
    }
    match e.retry_after() {
        Some(wait) => format!("{e}; try again in {} s", wait.as_secs().max(1)),
        None => format!("{e}; try again shortly"),
    }
}

/// Reads a core value back as its schema'd mirror (see [`dto`]).
fn mirror<T: DeserializeOwned>(value: impl Serialize) -> Result<T, String> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| format!("internal error: a result did not match its schema ({e})"))
}

fn window_out(w: &Window) -> WindowOut {
    WindowOut {
        start_date: w.start_date().to_string(),
        end_date: w.end_date().to_string(),
        days: w.days(),
    }
}

#[tool_router]
impl VaultraMcp {
    /// A server over the application `app`, acting for the businesses `scope` allows.
    pub fn new(app: Vaultra, scope: Scope) -> Self {
        Self {
            inner: Arc::new(Inner { app, scope }),
            tool_router: Self::tool_router(),
            prompt_router: Self::prompt_router(),
        }
    }

    /// The businesses this server may act for, with the ids the other tools take.
    /// Call this first when you do not know a business's id.
    #[tool(annotations(
        title = "List businesses",
        read_only_hint = true,
        open_world_hint = false
    ))]
    pub async fn list_businesses(&self) -> Result<Json<BusinessList>, String> {
        let businesses = self.inner.businesses().await?;
        Ok(Json(BusinessList {
            businesses: businesses
                .into_iter()
                .map(|b| BusinessSummary {
                    id: b.id.to_string(),
                    name: b.name,
                    industry: b.industry.map(|i| i.as_str().to_owned()),
                    created_at: b.created_at.to_rfc3339(),
                })
                .collect(),
        }))
    }

    /// A business's name, industry, revenue estimate, connected payment sources and
    /// how fresh and deep its data is. Use it to judge how much to trust the numbers.
    #[tool(annotations(
        title = "Business context",
        read_only_hint = true,
        open_world_hint = false
    ))]
    pub async fn get_business_context(
        &self,
        Parameters(args): Parameters<BusinessArgs>,
    ) -> Result<Json<BusinessContext>, String> {
        let business = self.inner.business(args.business_id.as_ref()).await?;
        let context = self
            .inner
            .app
            .business_context(&ACTOR, business.id)
            .await
            .map_err(core_error)?;
        let business = context.business;
        let revenue_estimate = business.revenue_estimate.map(|minor| {
            let exponent = business.currency.map_or(2, |c| c.exponent());
            rust_decimal_string(minor, exponent)
        });
        Ok(Json(BusinessContext {
            id: business.id.to_string(),
            name: business.name,
            industry: business.industry.map(|i| i.as_str().to_owned()),
            revenue_estimate,
            currency: business.currency.map(|c| c.to_string()),
            created_at: business.created_at.to_rfc3339(),
            connected_sources: context
                .accounts
                .into_iter()
                .map(|a| Source {
                    provider: a.provider.as_str().to_owned(),
                    account_id: a.external_id,
                    status: a.status.as_str().to_owned(),
                    last_synced_at: a.last_synced_at.map(|t| t.to_rfc3339()),
                    last_error: a.last_error,
                })
                .collect(),
            freshness: freshness_out(context.freshness),
        }))
    }

    /// Revenue (gross, refunds, net), transaction count and size, volatility,
    /// chargebacks, payout reliability and the revenue trend over a window of days
    /// (default: the 30 days ending yesterday).
    #[tool(annotations(
        title = "Metric summary",
        read_only_hint = true,
        open_world_hint = false
    ))]
    pub async fn get_metric_summary(
        &self,
        Parameters(args): Parameters<WindowArgs>,
    ) -> Result<Json<MetricSummary>, String> {
        let business = self.inner.business(args.business_id.as_ref()).await?;
        let assessment = window_assessment(args.window_days.as_ref(), args.as_of.as_ref())?;
        let (report, freshness) = self
            .inner
            .app
            .report_with_freshness(&ACTOR, business.id, &assessment)
            .await
            .map_err(core_error)?;
        Ok(Json(MetricSummary {
            business_id: business.id.to_string(),
            window: window_out(&report.window),
            currency: report.currency.to_string(),
            metrics: mirror(&report.to_json()["metrics"])?,
            freshness: freshness_out(freshness),
        }))
    }

    /// The funding-readiness score (0–100) and tier, every factor with its points and a
    /// plain-language reason (what helps, what hurts), the highest score the policy can
    /// give, and the history of stored scores.
    #[tool(annotations(
        title = "Readiness breakdown",
        read_only_hint = true,
        open_world_hint = false
    ))]
    pub async fn get_readiness_breakdown(
        &self,
        Parameters(args): Parameters<WindowArgs>,
    ) -> Result<Json<ReadinessBreakdown>, String> {
        let business = self.inner.business(args.business_id.as_ref()).await?;
        let assessment = window_assessment(args.window_days.as_ref(), args.as_of.as_ref())?;
        let breakdown = self
            .inner
            .app
            .readiness_breakdown(&ACTOR, business.id, &assessment)
            .await
            .map_err(core_error)?;
        let report = breakdown.report;
        let history = breakdown
            .history
            .into_iter()
            .map(|s| HistoryPoint {
                computed_at: s.computed_at.to_rfc3339(),
                score: s.score,
                tier: s.tier,
            })
            .collect();
        Ok(Json(ReadinessBreakdown {
            business_id: business.id.to_string(),
            window: window_out(&report.window),
            currency: report.currency.to_string(),
            readiness: mirror(&report.readiness)?,
            helps: breakdown.helps,
            hurts: breakdown.hurts,
            history,
            freshness: freshness_out(breakdown.freshness),
        }))
    }

    /// The top recommendations (default 5) for raising the score, highest priority
    /// first, each with its score impact and the concrete action in the business's own
    /// numbers. Codes the owner dismissed in the last 30 days are left out.
    #[tool(annotations(
        title = "Top recommendations",
        read_only_hint = true,
        open_world_hint = false
    ))]
    pub async fn get_top_recommendations(
        &self,
        Parameters(args): Parameters<TopArgs>,
    ) -> Result<Json<TopRecommendations>, String> {
        let business = self.inner.business(args.business_id.as_ref()).await?;
        let limit = match &args.limit {
            None | Some(Value::Null) => DEFAULT_TOP_RECOMMENDATIONS,
            Some(v) => v
                .as_u64()
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| format!("limit must be an integer from 1 to 20, not {v}"))?,
        };
        let top = self
            .inner
            .app
            .top_recommendations(&ACTOR, business.id, limit)
            .await
            .map_err(core_error)?;
        Ok(Json(TopRecommendations {
            business_id: business.id.to_string(),
            window: window_out(&top.window),
            score: top.score,
            recommendations: top
                .recommendations
                .iter()
                .map(mirror)
                .collect::<Result<_, _>>()?,
        }))
    }

    /// The score under hypothetical metric values (for example
    /// `{"chargeback_ratio": 0.004}` or `{"revenue_trend": "increasing"}`), compared with
    /// the real one, and the smallest change per metric that reaches the next tier.
    #[tool(annotations(
        title = "Simulate readiness",
        read_only_hint = true,
        open_world_hint = false
    ))]
    pub async fn simulate_readiness(
        &self,
        Parameters(args): Parameters<SimulateArgs>,
    ) -> Result<Json<SimulationOut>, String> {
        let business = self.inner.business(args.business_id.as_ref()).await?;
        let changes: Changes = match args.changes {
            None | Some(Value::Null) => Changes::new(),
            Some(v @ Value::Object(_)) => serde_json::from_value(v).map_err(|e| {
                format!(
                    "changes: {e}; give numbers for revenue_growth, revenue_volatility, \
                     chargeback_ratio and payout_reliability (ratios as fractions: 0.004 is \
                     0.4 %) and increasing, flat or declining for revenue_trend"
                )
            })?,
            Some(other) => {
                return Err(format!(
                    "changes must be an object of metric name to value, not {other}"
                ));
            }
        };
        let assessment = window_assessment(args.window_days.as_ref(), args.as_of.as_ref())?;
        let view = self
            .inner
            .app
            .simulate(&ACTOR, business.id, &assessment, &changes)
            .await
            .map_err(core_error)?;
        let sim = view.simulation;
        Ok(Json(SimulationOut {
            business_id: business.id.to_string(),
            window: window_out(&view.window),
            baseline: mirror(&sim.baseline)?,
            simulated: mirror(&sim.simulated)?,
            score_change: sim.score_change,
            next_tier: mirror(&sim.next_tier)?,
        }))
    }
}

// The macro generates an undocumented helper per prompt.
#[allow(missing_docs)]
#[prompt_router]
impl VaultraMcp {
    /// Asks the model to explain a business's readiness score from the tools.
    #[prompt(
        name = "explain_readiness",
        description = "Explain a business's funding-readiness score and what to fix first, from Vaultra's tools."
    )]
    pub async fn explain_readiness(
        &self,
        Parameters(args): Parameters<BusinessArgs>,
    ) -> Result<Vec<PromptMessage>, ErrorData> {
        let business = self
            .inner
            .business(args.business_id.as_ref())
            .await
            .map_err(|e| ErrorData::invalid_params(e, None))?;
        Ok(vec![PromptMessage::new_text(
            Role::User,
            format!(
                "Explain the funding readiness of {name} (business_id {id}) to its owner.\n\
                 1. Call get_readiness_breakdown with business_id {id}: state the score, the \
                 tier and the highest score the policy allows, then go through every factor \
                 with its points, quoting what helps and what hurts.\n\
                 2. Call get_metric_summary for the numbers behind the factors, and \
                 get_business_context to say how fresh and how deep the data is.\n\
                 3. Call get_top_recommendations and present the first three as concrete \
                 actions with their score impact.\n\
                 4. If the owner asks \"what if\", call simulate_readiness with the changed \
                 metrics and report the new score and the smallest change to the next tier.\n\
                 Use only numbers the tools return; do not estimate.",
                name = business.name,
                id = business.id
            ),
        )])
    }
}

const REPORT_URI_PREFIX: &str = "vaultra://business/";
const REPORT_URI_SUFFIX: &str = "/readiness-report";

fn report_uri(id: Uuid) -> String {
    format!("{REPORT_URI_PREFIX}{id}{REPORT_URI_SUFFIX}")
}

#[tool_handler(router = self.tool_router)]
#[prompt_handler(router = self.prompt_router)]
impl ServerHandler for VaultraMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_prompts()
                .enable_resources()
                .build(),
        )
        .with_server_info(rmcp::model::Implementation::new(
            "vaultra",
            env!("CARGO_PKG_VERSION"),
        ))
        .with_instructions(
            "Vaultra measures how ready a small business is for funding from its real \
             payment data. Start with list_businesses; then get_readiness_breakdown for the \
             score and its reasons, get_top_recommendations for what to fix first, and \
             simulate_readiness for what-ifs. Every number comes from the tools.",
        )
    }

    async fn list_resources(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, ErrorData> {
        let businesses = self
            .inner
            .businesses()
            .await
            .map_err(|e| ErrorData::internal_error(e, None))?;
        Ok(ListResourcesResult::with_all_items(
            businesses
                .into_iter()
                .map(|b| {
                    Resource::new(report_uri(b.id), format!("{} readiness report", b.name))
                        .with_description(
                            "The funding-readiness report of the last 30 days, as text",
                        )
                        .with_mime_type("text/plain")
                })
                .collect(),
        ))
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, ErrorData> {
        Ok(ListResourceTemplatesResult::with_all_items(vec![
            ResourceTemplate::new(
                format!("{REPORT_URI_PREFIX}{{business_id}}{REPORT_URI_SUFFIX}"),
                "readiness-report",
            )
            .with_description("A business's funding-readiness report of the last 30 days, as text")
            .with_mime_type("text/plain"),
        ]))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, ErrorData> {
        let uri = request.uri;
        let id = uri
            .strip_prefix(REPORT_URI_PREFIX)
            .and_then(|rest| rest.strip_suffix(REPORT_URI_SUFFIX))
            .map(|id| Value::String(id.to_owned()));
        let Some(id) = id else {
            return Err(ErrorData::resource_not_found(
                format!(
                    "no resource {uri}; resources are {REPORT_URI_PREFIX}{{business_id}}{REPORT_URI_SUFFIX}"
                ),
                None,
            ));
        };
        let business = self
            .inner
            .business(Some(&id))
            .await
            .map_err(|e| ErrorData::resource_not_found(e, None))?;
        let report = self
            .inner
            .app
            .report(&ACTOR, business.id, &Assessment::new(WindowSpec::DEFAULT))
            .await
            .map_err(|e| ErrorData::internal_error(core_error(e), None))?;
        let text = format!("{}\n\n{}", business.name, report.to_text());
        Ok(ReadResourceResult::new(vec![ResourceContents::text(text, uri)]).into())
    }
}

impl VaultraMcp {
    /// Serves the protocol on stdin/stdout until the client closes it.
    pub async fn serve_stdio(self) -> Result<(), McpServeError> {
        let running = self
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| McpServeError(e.to_string()))?;
        running
            .waiting()
            .await
            .map(|_| ())
            .map_err(|e| McpServeError(e.to_string()))
    }
}

/// The server could not start or stopped on a transport error.
#[derive(Debug, thiserror::Error)]
#[error("MCP server: {0}")]
pub struct McpServeError(String);

impl Inner {
    /// The businesses in scope, oldest first.
    async fn businesses(&self) -> Result<Vec<Business>, String> {
        let all = self.app.list_businesses(&ACTOR).await.map_err(core_error)?;
        Ok(match &self.scope {
            Scope::All => all,
            Scope::Only(ids) => all.into_iter().filter(|b| ids.contains(&b.id)).collect(),
        })
    }

    /// The business an argument names, if this server may act for it.
    async fn business(&self, arg: Option<&Value>) -> Result<Business, String> {
        let text = match arg {
            None | Some(Value::Null) => {
                return Err("business_id is required; call list_businesses for the ids".to_owned());
            }
            Some(Value::String(s)) => s.trim().to_owned(),
            Some(other) => {
                return Err(format!(
                    "business_id must be a string (a UUID), not {other}; call list_businesses"
                ));
            }
        };
        let id = Uuid::parse_str(&text).map_err(|_| {
            format!("business_id {text:?} is not a business id (a UUID); call list_businesses")
        })?;
        let unknown = || {
            format!(
                "no business {id} that this server may act for; call list_businesses for the ids"
            )
        };
        if let Scope::Only(ids) = &self.scope
            && !ids.contains(&id)
        {
            return Err(unknown());
        }
        match self.app.business(&ACTOR, id).await {
            Ok(b) => Ok(b),
            Err(vaultra_core::Error::NotFound { .. }) => Err(unknown()),
            Err(e) => Err(core_error(e)),
        }
    }
}

/// The assessment the window arguments describe (types checked here; defaults and
/// bounds are the façade's).
fn window_assessment(days: Option<&Value>, as_of: Option<&Value>) -> Result<Assessment, String> {
    let days = match days {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| format!("window_days must be an integer from 2 to 366, not {v}"))?,
        ),
    };
    let as_of = match as_of {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => {
            return Err(format!(
                "as_of must be a date string (YYYY-MM-DD), not {other}"
            ));
        }
    };
    let spec = WindowSpec::DEFAULT
        .with_days(days)
        .and_then(|w| w.with_as_of_str(as_of))
        .map_err(core_error)?;
    Ok(Assessment::new(spec))
}

/// The freshness in the tool's output format.
fn freshness_out(f: vaultra_core::app::Freshness) -> Freshness {
    Freshness {
        data_synced_at: f.data_synced_at.map(|t| t.to_rfc3339()),
        charges_stored: f.charges_stored,
        first_charge_date: f.first_charge_date.map(|d| d.to_string()),
        last_charge_date: f.last_charge_date.map(|d| d.to_string()),
        history_days: f.history_days,
        metrics_computed_at: f.metrics_computed_at.map(|t| t.to_rfc3339()),
    }
}

/// `minor` minor units with `exponent` decimals, as a decimal string.
fn rust_decimal_string(minor: i64, exponent: u32) -> String {
    let mut d = rust_decimal::Decimal::from(minor);
    d.set_scale(exponent).ok();
    d.to_string()
}
