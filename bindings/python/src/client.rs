//! `Client`: the read side of Vaultra's services over a store (SQLite or PostgreSQL).
//!
//! The client is local: it acts as [`Actor::System`], the actor of jobs and of the
//! `vaultra` command, so no membership is checked — whoever can open the database can
//! read every business in it. Because the system actor skips the membership check (which
//! is where an unknown business would surface), each call first reads the business, so an
//! unknown id raises `NotFound` rather than returning nothing. It owns a small tokio runtime; every call blocks on it with
//! the GIL released. Results cross into Python as the services' own JSON (the same
//! serialization the HTTP API and `vaultra` use), which the Python package types.

use std::sync::Arc;

use pyo3::prelude::*;
use serde::Serialize;
use uuid::Uuid;
use vaultra_adapters::local::SystemClock;
use vaultra_core::app::{Actor, Assessment, Vaultra, WindowSpec};
use vaultra_core::recommend::{Priority, RecommendationStatus};

use crate::errors::{CoreError, invalid, to_py_err};
use crate::report::{PyPolicy, PyReport};

fn json<T: Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value)
        .map_err(|e| CoreError(vaultra_core::Error::internal(format!("serializing: {e}"))).into())
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
    app: Vaultra,
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
                CoreError(vaultra_core::Error::internal(format!(
                    "starting the async runtime: {e}"
                )))
            })?;
        let store = py
            .detach(|| runtime.block_on(vaultra_adapters::open_store(database_url)))
            .map_err(|e| to_py_err(py, e))?;
        let app = Vaultra::builder(store)
            .clock(Arc::new(SystemClock))
            .build()
            .map_err(CoreError)?;
        Ok(Self {
            runtime,
            app,
            url: vaultra_adapters::redact(database_url),
        })
    }

    /// Every business in the store, as JSON text (a list).
    fn businesses(&self, py: Python<'_>) -> PyResult<String> {
        let list = self.run(py, self.app.list_businesses(&Actor::System))?;
        json(&list)
    }

    /// The latest metric snapshot of a business as JSON text, ``null`` before the first.
    fn latest_metrics(&self, py: Python<'_>, business_id: &str) -> PyResult<String> {
        let id = self::business_id(py, business_id)?;
        let view = self.run(py, async {
            self.app.business(&Actor::System, id).await?;
            self.app
                .metrics()
                .get_latest_metrics(&Actor::System, id)
                .await
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
            self.app.business(&Actor::System, id).await?;
            self.app
                .metrics()
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
            self.app.business(&Actor::System, id).await?;
            self.app
                .recommendations()
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
        let assessment = assessment(as_of, window_days, currency, policy)?;
        let report = self.run(py, self.app.report(&Actor::System, id, &assessment))?;
        Ok(PyReport::new(report, policy.policy.clone()))
    }

    /// The business's top recommendations (default 5, at most 20) as JSON text: the
    /// current report's recommendations with the stored status of each, leaving out codes
    /// dismissed in the last 30 days — what the MCP tool `get_top_recommendations` returns.
    #[pyo3(signature = (business_id, limit = 5))]
    fn top_recommendations(
        &self,
        py: Python<'_>,
        business_id: &str,
        limit: i64,
    ) -> PyResult<String> {
        let id = self::business_id(py, business_id)?;
        let limit = usize::try_from(limit)
            .map_err(|_| invalid(py, None, "limit", format!("{limit} is outside 1..=20")))?;
        let top = self.run(py, self.app.top_recommendations(&Actor::System, id, limit))?;
        json(&top)
    }

    /// The freshness of a business's data and its connected accounts, as JSON text —
    /// what the MCP tool `get_business_context` reads.
    fn business_context(&self, py: Python<'_>, business_id: &str) -> PyResult<String> {
        let id = self::business_id(py, business_id)?;
        let context = self.run(py, self.app.business_context(&Actor::System, id))?;
        json(&context)
    }

    fn __repr__(&self) -> String {
        format!("<Client {}>", self.url)
    }
}

/// The assessment a report call describes; the window's defaults and bounds are the
/// façade's.
pub(crate) fn assessment(
    as_of: Option<&str>,
    window_days: i64,
    currency: Option<&str>,
    policy: &PyPolicy,
) -> Result<Assessment, CoreError> {
    let window = WindowSpec::DEFAULT
        .with_days(Some(window_days))
        .and_then(|w| w.with_as_of_str(as_of))
        .map_err(CoreError)?;
    let currency = currency
        .map(vaultra_core::domain::Currency::parse)
        .transpose()
        .map_err(CoreError)?;
    Ok(Assessment::new(window)
        .in_currency(currency)
        .under(Arc::new(policy.policy.clone())))
}
