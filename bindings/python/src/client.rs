//! `Client`: the read side of Vaultra's services over a store (SQLite or PostgreSQL).
//!
//! The client is local: it acts as [`Actor::System`], the actor of jobs and of the
//! `vaultra` command, so no membership is checked — whoever can open the database can
//! read every business in it. Because the system actor skips the membership check (which
//! is where an unknown business would surface), each call first reads the business, so an
//! unknown id raises `NotFound` rather than returning nothing. It owns a small tokio runtime; every call blocks on it with
//! the GIL released. Results cross into Python as the services' own JSON (the same
//! serialization the HTTP API and `vaultra` use), which the Python package types.

use std::str::FromStr;
use std::sync::Arc;

use chrono::NaiveDate;
use pyo3::prelude::*;
use serde::Serialize;
use uuid::Uuid;
use vaultra_adapters::local::SystemClock;
use vaultra_adapters::postgres::PostgresStore;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_core::metrics::{self, CurrencyChoice, Window};
use vaultra_core::ports::{Clock, Store};
use vaultra_core::recommend::{Priority, RecommendationStatus};
use vaultra_core::report::Report;
use vaultra_core::scoring::Policy;
use vaultra_core::services::Actor;
use vaultra_core::services::metrics::MetricsService;
use vaultra_core::services::recommendations::RecommendationsService;

use crate::errors::{CoreError, invalid, to_py_err};
use crate::report::{PyPolicy, PyReport};

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn json<T: Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value)
        .map_err(|e| CoreError(vaultra_core::Error::Internal(format!("serializing: {e}"))).into())
}

/// A read-only view of a Vaultra store: businesses, their latest metrics, score history,
/// recommendations and reports.
///
/// ``Client("sqlite:///path/to/vaultra.db")`` or ``Client("postgres://…")``. Opening a
/// store brings its schema up to date, as every Vaultra host does. The client acts as the
/// local system (no user, no membership checks), like the ``vaultra`` command.
#[pyclass(module = "vaultra._vaultra", name = "Client", frozen)]
pub struct PyClient {
    runtime: tokio::runtime::Runtime,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    metrics: MetricsService,
    recommendations: RecommendationsService,
    url: String,
}

impl PyClient {
    /// Runs `f` on the client's runtime with the GIL released.
    fn run<T: Send>(
        &self,
        py: Python<'_>,
        f: impl Future<Output = vaultra_core::Result<T>> + Send,
    ) -> PyResult<T> {
        py.detach(|| self.runtime.block_on(f))
            .map_err(|e| to_py_err(py, e))
    }
}

fn business_id(py: Python<'_>, id: &str) -> PyResult<Uuid> {
    Uuid::parse_str(id.trim()).map_err(|_| {
        invalid(
            py,
            None,
            "business_id",
            format!("`{id}` is not a business id (a UUID)"),
        )
    })
}

#[pymethods]
impl PyClient {
    /// Opens the store at ``database_url`` (``sqlite:…`` or ``postgres://…``).
    #[new]
    fn new(py: Python<'_>, database_url: &str) -> PyResult<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| {
                CoreError(vaultra_core::Error::Internal(format!(
                    "starting the async runtime: {e}"
                )))
            })?;
        let url = database_url.to_owned();
        let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
            Arc::new(
                py.detach(|| runtime.block_on(SqliteStore::connect(&url)))
                    .map_err(|e| to_py_err(py, e))?,
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(
                py.detach(|| runtime.block_on(PostgresStore::connect(&url)))
                    .map_err(|e| to_py_err(py, e))?,
            )
        } else {
            return Err(invalid(
                py,
                None,
                "database_url",
                format!("`{}` must start with sqlite: or postgres://", redact(&url)),
            ));
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let policy = Arc::new(Policy::builtin(vaultra_core::scoring::SPEC_V1).map_err(CoreError)?);
        Ok(Self {
            metrics: MetricsService::new(store.clone(), clock.clone(), policy.clone()),
            recommendations: RecommendationsService::new(store.clone(), clock.clone(), policy),
            runtime,
            store,
            clock,
            url: redact(&url),
        })
    }

    /// Every business in the store, as JSON text (a list).
    fn businesses(&self, py: Python<'_>) -> PyResult<String> {
        let list = self.run(py, self.store.list_businesses())?;
        json(&list)
    }

    /// The latest metric snapshot of a business as JSON text, ``null`` before the first.
    fn latest_metrics(&self, py: Python<'_>, business_id: &str) -> PyResult<String> {
        let id = self::business_id(py, business_id)?;
        let view = self.run(py, async {
            self.store.get_business(id).await?;
            self.metrics.get_latest_metrics(&Actor::System, id).await
        })?;
        json(&view)
    }

    /// The last ``limit`` readiness scores, newest first, as JSON text.
    #[pyo3(signature = (business_id, limit = 30))]
    fn score_history(&self, py: Python<'_>, business_id: &str, limit: i64) -> PyResult<String> {
        let id = self::business_id(py, business_id)?;
        let limit = u32::try_from(limit)
            .map_err(|_| invalid(py, None, "limit", format!("{limit} is outside 1..=1000")))?;
        let history = self.run(py, async {
            self.store.get_business(id).await?;
            self.metrics
                .get_readiness_history(&Actor::System, id, limit)
                .await
        })?;
        json(&history)
    }

    /// The business's recommendations (optionally only one status and/or priority), in
    /// priority order, as JSON text.
    #[pyo3(signature = (business_id, status = None, priority = None))]
    fn recommendations(
        &self,
        py: Python<'_>,
        business_id: &str,
        status: Option<&str>,
        priority: Option<&str>,
    ) -> PyResult<String> {
        let id = self::business_id(py, business_id)?;
        let status = status
            .map(|s| {
                RecommendationStatus::parse(s).ok_or_else(|| {
                    invalid(
                        py,
                        None,
                        "status",
                        format!("`{s}` is not a status (pending, accepted, dismissed)"),
                    )
                })
            })
            .transpose()?;
        let priority = priority
            .map(|p| {
                Priority::parse(p).ok_or_else(|| {
                    invalid(
                        py,
                        None,
                        "priority",
                        format!("`{p}` is not a priority (high, medium, low)"),
                    )
                })
            })
            .transpose()?;
        let recs = self.run(py, async {
            self.store.get_business(id).await?;
            self.recommendations
                .get_recommendations(&Actor::System, id, status, priority)
                .await
        })?;
        json(&recs)
    }

    /// The report of a business over a window, from its stored payment data — what
    /// ``vaultra report`` prints. ``as_of`` (``YYYY-MM-DD``) defaults to yesterday (UTC).
    #[pyo3(signature = (business_id, as_of, window_days, currency, policy))]
    fn report(
        &self,
        py: Python<'_>,
        business_id: &str,
        as_of: Option<&str>,
        window_days: i64,
        currency: Option<&str>,
        policy: &PyPolicy,
    ) -> PyResult<PyReport> {
        let id = self::business_id(py, business_id)?;
        let days = u16::try_from(window_days).map_err(|_| {
            invalid(
                py,
                None,
                "window_days",
                format!("{window_days} is outside 2..=366"),
            )
        })?;
        let window = match as_of {
            Some(day) => {
                let day = NaiveDate::from_str(day).map_err(|e| {
                    invalid(
                        py,
                        None,
                        "as_of",
                        format!("`{day}` is not a date (YYYY-MM-DD): {e}"),
                    )
                })?;
                Window::new(day, days)
            }
            None => Window::ending_yesterday(self.clock.now(), days),
        }
        .map_err(CoreError)?;
        let currency = currency
            .map(vaultra_core::domain::Currency::parse)
            .transpose()
            .map_err(CoreError)?;
        let store = &self.store;
        let data = self.run(py, async move {
            store.get_business(id).await?;
            store.payment_data(id, window).await
        })?;
        let policy = policy.policy.clone();
        let report = py.detach(|| {
            Report::from_metrics(
                metrics::compute(&data, window, CurrencyChoice::from(currency)),
                &policy,
            )
        });
        Ok(PyReport::new(report, policy))
    }

    fn __repr__(&self) -> String {
        format!("<Client {}>", self.url)
    }
}
