//! Scoring: policies, the assessment, and what-if — thin wrappers over `vaultra-core`.
//!
//! Results cross into Python as the core's own JSON (the contract of METRICS.md §6), which
//! the Python package turns into typed objects; nothing is re-derived here.

use std::str::FromStr;

use numpy::PyReadonlyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use rust_decimal::Decimal;
use serde::Serialize;
use vaultra_adapters::local::SystemClock;
use vaultra_core::app;
use vaultra_core::domain::PaymentDataRef;
use vaultra_core::metrics::Trend;
use vaultra_core::report::Report;
use vaultra_core::scoring::{
    ChangeValue, Changes, Indicators, MetricKey, Policy, apply, next_tier_plan, simulate,
};

use crate::client::assessment;
use crate::data::{ChargeFrame, PyPaymentData};
use crate::errors::{CoreError, invalid, to_py_err};
use crate::objects::type_name;

fn json<T: Serialize>(value: &T, pretty: bool) -> PyResult<String> {
    let text = if pretty {
        serde_json::to_string_pretty(value)
    } else {
        serde_json::to_string(value)
    };
    text.map_err(|e| CoreError(vaultra_core::Error::internal(format!("serializing: {e}"))).into())
}

/// A scoring policy: base score, scored components, tiers and recommendation rules.
///
/// ``Policy.builtin("spec-v1")`` is the policy of METRICS.md; ``Policy.from_json(text)``
/// loads a custom one (``vaultra policy`` prints a starting point).
#[pyclass(module = "vaultra._vaultra", name = "Policy", frozen)]
#[derive(Debug, Clone)]
pub struct PyPolicy {
    pub(crate) policy: Policy,
}

#[pymethods]
impl PyPolicy {
    /// A built-in policy by name (``spec-v1``).
    #[staticmethod]
    fn builtin(name: &str) -> PyResult<Self> {
        Ok(Self {
            policy: Policy::builtin(name).map_err(CoreError)?,
        })
    }

    /// A policy from its JSON text, checked for coherence.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        Ok(Self {
            policy: Policy::from_json(text).map_err(CoreError)?,
        })
    }

    /// The policy as JSON text.
    #[pyo3(signature = (pretty = false))]
    fn to_json(&self, pretty: bool) -> PyResult<String> {
        json(&self.policy, pretty)
    }

    /// The policy's name, e.g. ``spec-v1``.
    #[getter]
    fn name(&self) -> &str {
        &self.policy.name
    }

    /// The highest score this policy can give.
    #[getter]
    fn max_attainable(&self) -> i32 {
        self.policy.max_attainable()
    }

    fn __repr__(&self) -> String {
        format!("<Policy {}>", self.policy.name)
    }
}

/// The result of one assessment, as computed by the core.
#[pyclass(module = "vaultra._vaultra", name = "Report", frozen)]
#[derive(Debug)]
pub struct PyReport {
    report: Report,
    policy: Policy,
}

impl PyReport {
    /// A report scored under `policy`.
    pub fn new(report: Report, policy: Policy) -> Self {
        Self { report, policy }
    }
}

#[pymethods]
impl PyReport {
    /// The JSON contract of METRICS.md §6, as text.
    #[pyo3(signature = (pretty = false))]
    fn to_json(&self, pretty: bool) -> PyResult<String> {
        json(&self.report, pretty)
    }

    /// The report rendered for a person (what ``vaultra score --format text`` prints).
    fn to_text(&self) -> String {
        self.report.to_text()
    }

    /// Revenue per day of the window, oldest first, as exact decimal strings.
    fn daily_revenue(&self) -> Vec<String> {
        let m = &self.report.metrics;
        m.daily_revenue
            .iter()
            .map(|&r| m.money(r).to_string())
            .collect()
    }

    /// The exact values the score depends on (for what-if).
    fn indicators(&self) -> PyIndicators {
        PyIndicators {
            indicators: Indicators::from(&self.report.metrics),
        }
    }

    /// The policy the report was scored under.
    #[getter]
    fn policy(&self) -> PyPolicy {
        PyPolicy {
            policy: self.policy.clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<Report score={} tier={}>",
            self.report.readiness.score, self.report.readiness.tier
        )
    }
}

/// Runs the metric pass, the score and the recommendations (the GIL is released).
///
/// ``as_of`` is the last day of the window (``YYYY-MM-DD``), ``window_days`` its length
/// (2..=366), ``currency`` a three-letter code or ``None`` to pick the one with the most
/// successful volume.
#[pyfunction]
#[pyo3(signature = (data, as_of, window_days, currency, policy))]
pub fn assess(
    py: Python<'_>,
    data: PyRef<'_, PyPaymentData>,
    as_of: Option<&str>,
    window_days: i64,
    currency: Option<&str>,
    policy: &PyPolicy,
) -> PyResult<PyReport> {
    let assessment = assessment(as_of, window_days, currency, policy)?;
    let payments = data.loader.data();
    let report = py
        .detach(|| app::assess(payments.view(), &assessment, &policy.policy, &SystemClock))
        .map_err(CoreError)?;
    Ok(PyReport {
        report,
        policy: policy.policy.clone(),
    })
}

/// [`assess`] with the charges read straight from a DataFrame's columns: the core's
/// metric pass reads the frame's buffers in place (no copy into ``data``), which is what
/// ``vaultra.score(frame, ...)`` does. ``data`` holds the payouts, disputes and paid
/// times and no charges; the charge columns are as for ``PaymentData.add_charge_columns``.
#[pyfunction]
#[pyo3(signature = (data, created, amount, amount_refunded, currency_column, status, captured, object, describe, id, as_of, window_days, currency, policy))]
#[allow(clippy::too_many_arguments)]
pub fn assess_charge_columns<'py>(
    py: Python<'py>,
    data: PyRef<'_, PyPaymentData>,
    created: PyReadonlyArray1<'py, i64>,
    amount: PyReadonlyArray1<'py, i64>,
    amount_refunded: PyReadonlyArray1<'py, i64>,
    currency_column: &Bound<'py, PyAny>,
    status: &Bound<'py, PyAny>,
    captured: Option<PyReadonlyArray1<'py, bool>>,
    object: Option<&Bound<'py, PyAny>>,
    describe: Option<&Bound<'py, PyAny>>,
    id: Option<&Bound<'py, PyAny>>,
    as_of: Option<&str>,
    window_days: i64,
    currency: Option<&str>,
    policy: &PyPolicy,
) -> PyResult<PyReport> {
    let assessment = assessment(as_of, window_days, currency, policy)?;
    let window = assessment.window.resolve(&SystemClock).map_err(CoreError)?;
    let payments = data.loader.data();
    if !payments.charges.is_empty() {
        return Err(CoreError(vaultra_core::Error::internal(
            "assess_charge_columns: the data already holds charges",
        ))
        .into());
    }
    let frame = ChargeFrame {
        created,
        amount,
        amount_refunded,
        currency: currency_column,
        status,
        captured,
        object,
        describe,
        id,
    };
    let policy = &policy.policy;
    let report = frame.with_view(py, |charges| {
        let view = PaymentDataRef {
            charges,
            payouts: &payments.payouts,
            disputes: &payments.disputes,
            paid_at: &payments.paid_at,
        };
        app::assess_in(view, window, &assessment, policy)
    })?;
    Ok(PyReport {
        report,
        policy: policy.clone(),
    })
}

/// Assesses charges given as an Arrow table (``__arrow_c_stream__`` or
/// ``__arrow_c_array__``, see ``PaymentData.add_charge_arrow``) together with the payouts,
/// disputes and paid times of ``data``: the metric pass runs over the table's own buffers
/// where it can, as for a DataFrame.
#[pyfunction]
#[pyo3(signature = (data, table, dedupe, as_of, window_days, currency, policy))]
#[allow(clippy::too_many_arguments)]
pub fn assess_charge_arrow<'py>(
    py: Python<'py>,
    data: PyRef<'_, PyPaymentData>,
    table: &Bound<'py, PyAny>,
    dedupe: bool,
    as_of: Option<&str>,
    window_days: i64,
    currency: Option<&str>,
    policy: &PyPolicy,
) -> PyResult<PyReport> {
    let assessment = assessment(as_of, window_days, currency, policy)?;
    let window = assessment.window.resolve(&SystemClock).map_err(CoreError)?;
    let payments = data.loader.data();
    if !payments.charges.is_empty() {
        return Err(CoreError(vaultra_core::Error::internal(
            "assess_charge_arrow: the data already holds charges",
        ))
        .into());
    }
    let policy = &policy.policy;
    let report = crate::arrow::with_view(py, table, "charges", dedupe, |charges| {
        let view = PaymentDataRef {
            charges,
            payouts: &payments.payouts,
            disputes: &payments.disputes,
            paid_at: &payments.paid_at,
        };
        app::assess_in(view, window, &assessment, policy)
    })?;
    Ok(PyReport {
        report,
        policy: policy.clone(),
    })
}

/// The values a policy scores — trend, growth, volatility, chargeback ratio, payout
/// reliability — held exactly.
#[pyclass(module = "vaultra._vaultra", name = "Indicators", frozen)]
#[derive(Debug, Clone)]
pub struct PyIndicators {
    indicators: Indicators,
}

/// Keys of the metrics object that are not scored: accepted and ignored when indicators are
/// built from a metrics mapping.
const UNSCORED: [&str; 8] = [
    "transaction_count",
    "revenue_total",
    "refunded_total",
    "net_revenue",
    "average_transaction_size",
    "chargeback_count",
    "payouts_due",
    "payouts_on_time",
];

fn expected_keys() -> String {
    MetricKey::ALL.map(|k| k.as_str()).join(", ")
}

/// One hypothetical value: a trend name or a number (``int``, ``float``, ``Decimal`` or
/// numeric string; a ``float`` is read through its shortest representation).
fn change_value(py: Python<'_>, name: &str, value: &Bound<'_, PyAny>) -> PyResult<ChangeValue> {
    let reject = |what: String| invalid(py, None, name, what);
    if value.is_instance_of::<PyBool>() {
        return Err(reject("expected a number or a trend name, got bool".into()));
    }
    if let Ok(s) = value.cast::<PyString>() {
        let s = s.to_str()?;
        if let Some(t) = Trend::parse(s) {
            return Ok(ChangeValue::Trend(t));
        }
        return Decimal::from_str(s.trim())
            .or_else(|_| Decimal::from_scientific(s.trim()))
            .map(ChangeValue::Number)
            .map_err(|_| {
                reject(format!(
                    "`{s}` is neither a number nor a trend (increasing, flat, declining)"
                ))
            });
    }
    if value.is_instance_of::<PyInt>() {
        let v: i64 = value
            .extract()
            .map_err(|_| reject(format!("{value} is out of range")))?;
        return Ok(ChangeValue::Number(Decimal::from(v)));
    }
    let float = if value.is_instance_of::<PyFloat>() {
        Some(value.extract::<f64>()?)
    } else {
        None
    };
    let text = match float {
        Some(v) => {
            if !v.is_finite() {
                return Err(reject(format!("{v} is not a finite number")));
            }
            // Rust prints the shortest representation that reads back as the same float.
            v.to_string()
        }
        // decimal.Decimal, NumPy scalars and other numbers: their own text.
        None if value.hasattr("__float__")? => value.str()?.to_string(),
        None => {
            return Err(reject(format!(
                "expected a number or a trend name, got {}",
                type_name(value)
            )));
        }
    };
    Decimal::from_str(&text)
        .or_else(|_| Decimal::from_scientific(&text))
        .map(ChangeValue::Number)
        .map_err(|_| reject(format!("{text} is not a finite number in range")))
}

fn changes(py: Python<'_>, values: &Bound<'_, PyDict>, skip_unscored: bool) -> PyResult<Changes> {
    let mut out = Changes::new();
    for (key, value) in values.iter() {
        let name: String = key.extract().map_err(|_| {
            invalid(
                py,
                None,
                "metric",
                format!("metric names are strings, got {}", type_name(&key)),
            )
        })?;
        if skip_unscored && UNSCORED.contains(&name.as_str()) {
            continue;
        }
        if MetricKey::parse(&name).is_none() {
            return Err(invalid(
                py,
                None,
                &name,
                format!("unknown metric (expected one of {})", expected_keys()),
            ));
        }
        if value.is_none() {
            continue;
        }
        out.insert(name.clone(), change_value(py, &name, &value)?);
    }
    Ok(out)
}

#[pymethods]
impl PyIndicators {
    /// Indicators from metric values by name (``revenue_trend``, ``revenue_growth``,
    /// ``revenue_volatility``, ``chargeback_ratio``, ``payout_reliability``); a missing or
    /// ``None`` value is undefined, a trend defaults to ``flat`` (or follows the growth).
    /// The other keys of a metrics object are accepted and ignored.
    #[staticmethod]
    fn from_values(py: Python<'_>, values: &Bound<'_, PyDict>) -> PyResult<Self> {
        let base = Indicators {
            revenue_trend: Trend::Flat,
            revenue_growth: None,
            revenue_volatility: None,
            chargeback_ratio: None,
            payout_reliability: None,
        };
        let given = changes(py, values, true)?;
        let indicators = apply(&base, &given).map_err(|e| to_py_err(py, e))?;
        Ok(Self { indicators })
    }

    /// Scores ``changes`` (metric name → hypothetical value) applied to these values under
    /// ``policy``; returns the core's simulation as JSON text.
    fn simulate(
        &self,
        py: Python<'_>,
        changes: &Bound<'_, PyDict>,
        policy: &PyPolicy,
    ) -> PyResult<String> {
        let changes = self::changes(py, changes, false)?;
        let sim =
            simulate(&policy.policy, &self.indicators, &changes).map_err(|e| to_py_err(py, e))?;
        json(&sim, false)
    }

    /// The smallest change per metric that reaches the next tier, as JSON text.
    fn next_tier(&self, policy: &PyPolicy) -> PyResult<String> {
        json(&next_tier_plan(&policy.policy, &self.indicators), false)
    }

    /// The values by name: ratios rounded to 4 decimals as JSON numbers, the trend as text.
    fn to_json(&self) -> PyResult<String> {
        let map: serde_json::Map<String, serde_json::Value> = MetricKey::ALL
            .iter()
            .map(|k| {
                let v = serde_json::to_value(self.indicators.get(*k))
                    .unwrap_or(serde_json::Value::Null);
                (k.as_str().to_owned(), v)
            })
            .collect();
        json(&map, false)
    }

    fn __repr__(&self) -> String {
        let parts: Vec<String> = MetricKey::ALL
            .iter()
            .map(|k| {
                let v = serde_json::to_string(&self.indicators.get(*k))
                    .unwrap_or_else(|_| "?".to_owned());
                format!("{}={v}", k.as_str())
            })
            .collect();
        format!("<Indicators {}>", parts.join(" "))
    }
}
