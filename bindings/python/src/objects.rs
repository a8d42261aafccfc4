//! Stripe objects given as Python mappings (`dict`s from `json.load`, the Stripe SDK, or
//! `DataFrame.to_dict("records")`), read into the core's lenient wire type.
//!
//! Only the fields Vaultra uses are looked up; each is type-checked the way the export
//! loader checks JSON, so a wrongly typed field is an error naming the field, never a skip.

use pyo3::exceptions::PyKeyError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};
use vaultra_core::domain::stripe::{EventData, IdOrObject, StripeObject};

/// What is wrong with one field of one object: `(field, reason)`.
pub type FieldProblem = (String, String);

/// Where an object's fields come from: a `dict` (fast), any `collections.abc.Mapping`, or
/// one row of a table given as columns (NumPy object arrays, one per field name).
pub enum Source<'a, 'py> {
    /// A `dict`.
    Dict(&'a Bound<'py, PyDict>),
    /// Another mapping.
    Mapping(&'a Bound<'py, PyAny>),
    /// Row `row` of `columns`.
    Row {
        /// The table's field names.
        names: &'a [String],
        /// One column per name.
        columns: &'a [&'a [Py<PyAny>]],
        /// The row.
        row: usize,
    },
}

impl<'py> Source<'_, 'py> {
    fn get(&self, key: &Bound<'py, PyString>, name: &str) -> PyResult<Option<Bound<'py, PyAny>>> {
        let value = match self {
            Self::Dict(d) => d.get_item(key)?,
            Self::Mapping(m) => match m.get_item(key) {
                Ok(v) => Some(v),
                Err(e) if e.is_instance_of::<PyKeyError>(m.py()) => None,
                Err(e) => return Err(e),
            },
            Self::Row {
                names,
                columns,
                row,
            } => match names.iter().position(|n| n == name) {
                // A DataFrame spells a missing value NaN, NA or NaT.
                Some(i) => Some(columns[i][*row].bind(key.py()).clone()).filter(|v| !is_null(v)),
                None => None,
            },
        };
        // JSON `null` and Python `None` both mean "not given".
        Ok(value.filter(|v| !v.is_none()))
    }
}

/// `None`, NaN, `pandas.NA` or `NaT`: the ways pandas spells a missing value.
pub fn is_null(value: &Bound<'_, PyAny>) -> bool {
    if value.is_none() {
        return true;
    }
    if value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyInt>()
        || value.is_instance_of::<PyDict>()
    {
        return false;
    }
    if let Ok(f) = value.cast::<PyFloat>() {
        return f.value().is_nan();
    }
    matches!(type_name(value).as_str(), "NAType" | "NaTType")
}

/// The Python type name of `value`, for messages.
pub fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

fn problem(field: &str, reason: impl Into<String>) -> FieldProblem {
    (field.to_owned(), reason.into())
}

/// Why a value cannot be read as the type a field needs (the field is named by the caller,
/// so that the happy path builds no message).
type Reason = String;

fn int_field(value: &Bound<'_, PyAny>) -> Result<i64, Reason> {
    if value.is_instance_of::<PyBool>() {
        return Err("expected an integer, got bool".into());
    }
    if value.is_instance_of::<PyFloat>() {
        return Err(format!("expected an integer, got float {value}"));
    }
    match value.extract::<i64>() {
        Ok(v) => Ok(v),
        Err(_) if value.is_instance_of::<PyInt>() => Err(format!("{value} is out of range")),
        Err(_) => Err(format!("expected an integer, got {}", type_name(value))),
    }
}

fn str_field(value: &Bound<'_, PyAny>) -> Result<String, Reason> {
    match value.cast::<PyString>() {
        Ok(s) => s.to_str().map(str::to_owned).map_err(|e| e.to_string()),
        Err(_) => Err(format!("expected a string, got {}", type_name(value))),
    }
}

fn bool_field(value: &Bound<'_, PyAny>) -> Result<bool, Reason> {
    value
        .extract::<bool>()
        .map_err(|_| format!("expected a bool, got {}", type_name(value)))
}

fn source<'a, 'py>(value: &'a Bound<'py, PyAny>) -> Option<Source<'a, 'py>> {
    if let Ok(d) = value.cast::<PyDict>() {
        Some(Source::Dict(d))
    } else if value.hasattr(intern!(value.py(), "keys")).unwrap_or(false)
        && value
            .hasattr(intern!(value.py(), "__getitem__"))
            .unwrap_or(false)
    {
        Some(Source::Mapping(value))
    } else {
        None
    }
}

/// Whether `value` can be read as a Stripe object (a mapping).
pub fn is_mapping(value: &Bound<'_, PyAny>) -> bool {
    source(value).is_some()
}

/// Reads the fields Vaultra uses from one mapping. `prefix` names nested objects in
/// messages (`data.object.`).
///
/// The outer `Err` is a Python error raised while looking fields up (a broken mapping);
/// the inner one names the field whose value has the wrong type.
pub fn read(
    value: &Bound<'_, PyAny>,
    prefix: &str,
) -> PyResult<Result<StripeObject, FieldProblem>> {
    let Some(src) = source(value) else {
        let what = if prefix.is_empty() {
            "object".to_owned()
        } else {
            prefix.trim_end_matches('.').to_owned()
        };
        return Ok(Err(problem(
            &what,
            format!(
                "expected a Stripe object (a dict), got {}",
                type_name(value)
            ),
        )));
    };
    read_source(value.py(), &src, prefix)
}

/// Like [`read`], from any [`Source`].
pub fn read_source<'py>(
    py: Python<'py>,
    src: &Source<'_, 'py>,
    prefix: &str,
) -> PyResult<Result<StripeObject, FieldProblem>> {
    let name = |f: &str| format!("{prefix}{f}");
    let mut o = StripeObject::default();

    macro_rules! field {
        ($key:literal, $conv:ident) => {
            match src.get(intern!(py, $key), $key)? {
                Some(v) => match $conv(&v) {
                    Ok(x) => Some(x),
                    Err(reason) => return Ok(Err((name($key), reason))),
                },
                None => None,
            }
        };
    }

    o.id = field!("id", str_field);
    o.object = field!("object", str_field);
    o.created = field!("created", int_field);
    o.amount = field!("amount", int_field);
    o.amount_refunded = field!("amount_refunded", int_field);
    o.currency = field!("currency", str_field);
    o.status = field!("status", str_field);
    o.captured = field!("captured", bool_field);
    o.arrival_date = field!("arrival_date", int_field);
    o.kind = field!("type", str_field);
    if let Some(charge) = src.get(intern!(py, "charge"), "charge")? {
        o.charge = Some(if let Ok(s) = charge.cast::<PyString>() {
            match s.to_str() {
                Ok(s) => IdOrObject::Id(s.to_owned()),
                Err(e) => return Ok(Err(problem(&name("charge"), e.to_string()))),
            }
        } else if is_mapping(&charge) {
            let inner = match read(&charge, &name("charge."))? {
                Ok(inner) => inner,
                Err(p) => return Ok(Err(p)),
            };
            match inner.id {
                Some(id) => IdOrObject::Object { id },
                None => return Ok(Err(problem(&name("charge.id"), "missing"))),
            }
        } else {
            return Ok(Err(problem(
                &name("charge"),
                format!(
                    "expected a charge id or an expanded charge, got {}",
                    type_name(&charge)
                ),
            )));
        });
    }
    if let Some(data) = src.get(intern!(py, "data"), "data")? {
        let Some(data_src) = source(&data) else {
            return Ok(Err(problem(
                &name("data"),
                format!("expected an object, got {}", type_name(&data)),
            )));
        };
        let object = match data_src.get(intern!(py, "object"), "object")? {
            Some(inner) => match read(&inner, &format!("{prefix}data.object."))? {
                Ok(inner) => Some(Box::new(inner)),
                Err(p) => return Ok(Err(p)),
            },
            None => None,
        };
        o.data = Some(EventData { object });
    }
    Ok(Ok(o))
}

/// The object's `id`, when it is a mapping with a string id (for naming it in messages).
pub fn read_id(value: &Bound<'_, PyAny>) -> Option<String> {
    let src = source(value)?;
    let id = src.get(intern!(value.py(), "id"), "id").ok()??;
    id.cast::<PyString>().ok()?.to_str().ok().map(str::to_owned)
}
