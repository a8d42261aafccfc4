//! `PaymentData`: the payment data of one business, filled from Stripe objects (dicts),
//! from columns (the DataFrame fast path) or from an export folder.

use std::path::PathBuf;

use numpy::PyReadonlyArray1;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use vaultra_adapters::files::Loader;
use vaultra_core::domain::ChargeColumnsRef;
use vaultra_core::domain::stripe::{Kind, Normalized};

use crate::columns::{self, StrColumn};
use crate::errors::{CoreError, to_py_err};
use crate::{dedupe, objects};

/// The payment data of one business: charges (held column by column), payouts, disputes
/// and payout-paid times.
///
/// Build it with ``vaultra.load_export(path)`` or let ``vaultra.score`` build one from
/// lists of Stripe objects or DataFrames. Objects added from dicts or an export folder are
/// de-duplicated by Stripe id (a later object replaces an earlier one with the same id, as
/// the ``vaultra`` command does); DataFrame rows are de-duplicated within their frame.
#[pyclass(module = "vaultra._vaultra", name = "PaymentData")]
#[derive(Debug, Default)]
pub struct PyPaymentData {
    /// The data, with the by-id de-duplication every ingestion path shares.
    pub(crate) loader: Loader,
}

/// Why the string columns could not be prepared.
enum Prepare {
    Py(PyErr),
    Row(columns::RowError),
}

impl From<PyErr> for Prepare {
    fn from(e: PyErr) -> Self {
        Self::Py(e)
    }
}

impl From<columns::RowError> for Prepare {
    fn from(e: columns::RowError) -> Self {
        Self::Row(e)
    }
}

fn kind_of(name: &str) -> PyResult<Kind> {
    Ok(match name {
        "charge" => Kind::Charge,
        "payout" => Kind::Payout,
        "dispute" => Kind::Dispute,
        "event" => Kind::Event,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown object kind `{other}` (expected charge, payout, dispute or event)"
            )));
        }
    })
}

fn default_source(kind: Kind) -> &'static str {
    match kind {
        Kind::Charge => "charges",
        Kind::Payout => "payouts",
        Kind::Dispute => "disputes",
        Kind::Event => "events",
    }
}

impl PyPaymentData {
    /// Normalizes and adds one object read from Python; errors name object `index` (through
    /// `describe`, or as `source[index]`) and, when it has one, its id.
    #[allow(clippy::too_many_arguments)]
    fn add_read(
        &mut self,
        py: Python<'_>,
        kind: Kind,
        read: Result<vaultra_core::domain::stripe::StripeObject, objects::FieldProblem>,
        id: impl FnOnce() -> Option<String>,
        index: usize,
        source: &str,
        describe: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let located = |e: vaultra_core::Error| -> PyErr {
            let context = match describe {
                Some(f) => match f.call1((index,)).and_then(|c| c.str()) {
                    Ok(c) => c.to_string(),
                    Err(err) => return err,
                },
                None => format!("{source}[{index}]"),
            };
            to_py_err(py, e.in_context(context))
        };
        let object = match read {
            Ok(o) => o,
            Err((field, reason)) => {
                // Name the object by its id when it has a readable one.
                let mut e = vaultra_core::Error::invalid(field, reason);
                if let Some(id) = id() {
                    e = e.in_context(format!("{} {id}", kind.tag()));
                }
                return Err(located(e));
            }
        };
        if let Some(n) = object.normalize(kind).map_err(located)? {
            self.add(n).map_err(located)?;
        }
        Ok(())
    }

    /// Adds one normalized object, replacing an earlier one with the same id.
    fn add(&mut self, object: Normalized) -> Result<(), vaultra_core::Error> {
        self.loader.add_object(object)
    }
}

/// The charge columns of one DataFrame, as the Python side hands them over.
pub struct ChargeFrame<'py, 'a> {
    /// `created`, unix seconds.
    pub created: PyReadonlyArray1<'py, i64>,
    /// `amount`, minor units.
    pub amount: PyReadonlyArray1<'py, i64>,
    /// `amount_refunded`, minor units.
    pub amount_refunded: PyReadonlyArray1<'py, i64>,
    /// `currency` (an encoded string column, see `add_charge_columns`).
    pub currency: &'a Bound<'py, PyAny>,
    /// `status`.
    pub status: &'a Bound<'py, PyAny>,
    /// `captured`, `None` when every charge is captured.
    pub captured: Option<PyReadonlyArray1<'py, bool>>,
    /// `object`, when the frame has it.
    pub object: Option<&'a Bound<'py, PyAny>>,
    /// `describe(i)` names row `i` in errors.
    pub describe: Option<&'a Bound<'py, PyAny>>,
    /// `id`, when rows are to be de-duplicated.
    pub id: Option<&'a Bound<'py, PyAny>>,
}

impl ChargeFrame<'_, '_> {
    /// Reads, checks and classifies the columns, then runs `f` on the core's borrowed
    /// view with the GIL released. A bad row raises `InvalidInput` naming it.
    pub fn with_view<R: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(ChargeColumnsRef<'_, u16>) -> R + Send,
    ) -> PyResult<R> {
        let created = columns::slice(&self.created, "created")?;
        let amount = columns::slice(&self.amount, "amount")?;
        let refunded = columns::slice(&self.amount_refunded, "amount_refunded")?;
        let captured = match &self.captured {
            Some(c) => Some(columns::slice(c, "captured")?),
            None => None,
        };
        let n = created.len();
        columns::check_len(n, amount.len(), "amount")?;
        columns::check_len(n, refunded.len(), "amount_refunded")?;
        if let Some(c) = captured {
            columns::check_len(n, c.len(), "captured")?;
        }
        let currency = StrColumn::extract(self.currency, "currency")?;
        let status = StrColumn::extract(self.status, "status")?;
        let object = self
            .object
            .map(|o| StrColumn::extract(o, "object"))
            .transpose()?;
        let id = self.id.map(|o| StrColumn::extract(o, "id")).transpose()?;
        columns::check_len(n, currency.rows(), "currency")?;
        columns::check_len(n, status.rows(), "status")?;
        if let Some(o) = &object {
            columns::check_len(n, o.rows(), "object")?;
        }
        if let Some(i) = &id {
            columns::check_len(n, i.rows(), "id")?;
        }

        let describe = self.describe;
        let fail = |py: Python<'_>, e: columns::RowError| -> PyResult<PyErr> {
            let context = match describe {
                Some(f) => f.call1((e.row,))?.str()?.to_string(),
                None => format!("charges row {}", e.row),
            };
            Ok(to_py_err(py, e.error.in_context(context)))
        };
        let views = (|| {
            Ok(columns::ChargeInputs {
                created,
                amount,
                refunded,
                captured,
                currency: currency.prepare(py, "currency")??,
                status: status.prepare(py, "status")??,
                object: match &object {
                    Some(o) => Some(o.prepare(py, "object")??),
                    None => None,
                },
            })
        })();
        let inputs = match views {
            Ok(inputs) => inputs,
            Err(Prepare::Py(e)) => return Err(e),
            Err(Prepare::Row(e)) => return Err(fail(py, e)?),
        };
        // Object arrays of ids are read into bytes here, with the GIL held.
        let ids = id.as_ref().map(|i| i.id_view(py, "id")).transpose()?;
        match run_charges(py, inputs, ids, f) {
            Ok(r) => Ok(r),
            Err(e) => Err(fail(py, e)?),
        }
    }
}

/// Classifies the charges of `inputs`, de-duplicates them by `ids` (a later row wins)
/// and runs `f` on the core's checked, borrowed view — all with the GIL released, the
/// de-duplication beside the classification on large frames. The first bad row (in the
/// order the checks run: strings, then amounts) is the error.
pub fn run_charges<R: Send>(
    py: Python<'_>,
    inputs: columns::ChargeInputs<'_>,
    ids: Option<columns::StrView<'_>>,
    f: impl FnOnce(ChargeColumnsRef<'_, u16>) -> R + Send,
) -> Result<R, columns::RowError> {
    py.detach(|| {
        let parallel = inputs.created.len() >= columns::PARALLEL_MIN_ROWS;
        let ids = ids.as_ref();
        let (classes, early) = std::thread::scope(|s| {
            // Rows tagged as another object take no part in the de-duplication; they are
            // rare, so the ids are de-duplicated as if there were none, and again below
            // when there are.
            let early = match ids {
                Some(ids) if parallel => Some(s.spawn(move || dedupe::superseded(ids, &|_| false))),
                _ => None,
            };
            let classes = columns::classify(inputs);
            (classes, early.map(columns::join))
        });
        let classes = classes?;
        let superseded = match (ids, early) {
            (Some(_), Some(early)) if !classes.any_skipped() => early?,
            (Some(ids), _) => dedupe::superseded(ids, &|row| classes.is_skipped(row))?,
            (None, _) => None,
        };
        let classified = classes.finish(superseded.as_deref());
        let view = classified.view()?;
        Ok(f(view))
    })
}

#[pymethods]
impl PyPaymentData {
    /// Empty payment data.
    #[new]
    fn new() -> Self {
        Self::default()
    }

    /// Adds Stripe objects of one kind (``"charge"``, ``"payout"``, ``"dispute"`` or
    /// ``"event"``) given as a list of dicts.
    ///
    /// Objects whose ``object`` tag names another type, and events other than
    /// ``payout.paid``, are skipped, as in an export folder. ``source`` names the list in
    /// error messages (``charges[3]: charge ch_9: field `amount`: missing``); ``describe(i)``,
    /// when given, names object ``i`` instead.
    #[pyo3(signature = (kind, objects, source = None, describe = None))]
    fn add_objects(
        &mut self,
        py: Python<'_>,
        kind: &str,
        objects: &Bound<'_, PyList>,
        source: Option<&str>,
        describe: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let kind = kind_of(kind)?;
        let source = source.unwrap_or(default_source(kind));
        for (i, item) in objects.iter().enumerate() {
            let read = objects::read(&item, "")?;
            self.add_read(
                py,
                kind,
                read,
                || objects::read_id(&item),
                i,
                source,
                describe,
            )?;
        }
        Ok(())
    }

    /// Adds Stripe objects of one kind given as a table: ``columns[j]`` holds field
    /// ``names[j]`` of every row, as a NumPy object array (``None``, NaN, ``pandas.NA`` and
    /// ``NaT`` mean the field is not given).
    ///
    /// This is how payouts, disputes and events DataFrames are read: the same checks as
    /// for dicts, without building a dict per row.
    #[pyo3(signature = (kind, names, columns, source = None, describe = None))]
    fn add_object_columns(
        &mut self,
        py: Python<'_>,
        kind: &str,
        names: Vec<String>,
        columns: Vec<PyReadonlyArray1<'_, Py<PyAny>>>,
        source: Option<&str>,
        describe: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let kind = kind_of(kind)?;
        let source = source.unwrap_or(default_source(kind));
        if names.len() != columns.len() {
            return Err(PyValueError::new_err(format!(
                "{} names for {} columns",
                names.len(),
                columns.len()
            )));
        }
        let slices = columns
            .iter()
            .zip(&names)
            .map(|(c, name)| columns::slice(c, name))
            .collect::<PyResult<Vec<_>>>()?;
        let rows = slices.first().map_or(0, |c| c.len());
        for (c, name) in slices.iter().zip(&names) {
            columns::check_len(rows, c.len(), name)?;
        }
        let id_at = names.iter().position(|n| n == "id");
        for row in 0..rows {
            let src = objects::Source::Row {
                names: &names,
                columns: &slices,
                row,
            };
            let read = objects::read_source(py, &src, "")?;
            let id = || slices[id_at?][row].extract::<String>(py).ok();
            self.add_read(py, kind, read, id, row, source, describe)?;
        }
        Ok(())
    }

    /// Adds charges given column by column: the fast path for DataFrames.
    ///
    /// ``created``, ``amount`` and ``amount_refunded`` are contiguous ``int64`` arrays;
    /// ``captured`` a ``bool`` array or ``None`` (all captured). ``currency``, ``status``,
    /// ``object`` and ``id`` are string columns in one of three encodings:
    /// ``("codes", codes, values)`` (integer codes into ``values``, ``-1`` for null),
    /// ``("arrow", [(offsets, data, validity, offset, length), ...])`` (Arrow string
    /// chunks as arrays), or ``("object", array)`` (a NumPy object array of ``str``).
    /// Rows whose ``object`` is set and is not ``"charge"`` are skipped. When ``id`` is
    /// given, a row that a later row with the same id replaces is checked but not counted
    /// (de-duplication within the frame, as every other ingestion path does).
    /// ``describe(i)`` names row ``i`` in error messages. The GIL is released while the
    /// columns are read; the numbers are copied in bulk, never row by row.
    #[pyo3(signature = (created, amount, amount_refunded, currency, status, captured = None, object = None, describe = None, id = None))]
    #[allow(clippy::too_many_arguments)]
    fn add_charge_columns(
        &mut self,
        py: Python<'_>,
        created: PyReadonlyArray1<'_, i64>,
        amount: PyReadonlyArray1<'_, i64>,
        amount_refunded: PyReadonlyArray1<'_, i64>,
        currency: &Bound<'_, PyAny>,
        status: &Bound<'_, PyAny>,
        captured: Option<PyReadonlyArray1<'_, bool>>,
        object: Option<&Bound<'_, PyAny>>,
        describe: Option<&Bound<'_, PyAny>>,
        id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let frame = ChargeFrame {
            created,
            amount,
            amount_refunded,
            currency,
            status,
            captured,
            object,
            describe,
            id,
        };
        let charges = &mut self.loader.data_mut().charges;
        frame
            .with_view(py, |view| charges.extend_from(view))?
            .map_err(|e| to_py_err(py, e))
    }

    /// Adds charges from an Arrow table: any object with ``__arrow_c_stream__`` (a
    /// pyarrow ``Table``, a Polars ``DataFrame``, …) or ``__arrow_c_array__`` (a pyarrow
    /// ``RecordBatch``), read through the Arrow C data interface.
    ///
    /// The columns are those of a charges DataFrame: ``created`` (integers or timestamps),
    /// ``amount``, ``amount_refunded``, ``currency``, ``status`` (strings of any Arrow
    /// layout, dictionaries included), optionally ``captured`` (bool; null = captured),
    /// ``object`` and ``id``. With ``dedupe``, a row that a later row with the same id
    /// replaces is checked but not counted. ``source`` names the table in errors.
    #[pyo3(signature = (table, source = None, dedupe = true))]
    fn add_charge_arrow(
        &mut self,
        py: Python<'_>,
        table: &Bound<'_, PyAny>,
        source: Option<&str>,
        dedupe: bool,
    ) -> PyResult<()> {
        let charges = &mut self.loader.data_mut().charges;
        crate::arrow::with_view(py, table, source.unwrap_or("charges"), dedupe, |view| {
            charges.extend_from(view)
        })?
        .map_err(|e| to_py_err(py, e))
    }

    /// Number of charges held (successful or not).
    #[getter]
    fn charge_count(&self) -> usize {
        self.loader.data().charges.len()
    }

    /// Number of payouts held.
    #[getter]
    fn payout_count(&self) -> usize {
        self.loader.data().payouts.len()
    }

    /// Number of disputes held.
    #[getter]
    fn dispute_count(&self) -> usize {
        self.loader.data().disputes.len()
    }

    /// Number of payouts with a known paid time (from ``payout.paid`` events).
    #[getter]
    fn paid_payout_count(&self) -> usize {
        self.loader.data().paid_at.len()
    }

    /// Currencies seen on successful charges, in order of first appearance.
    #[getter]
    fn currencies(&self) -> Vec<String> {
        self.loader
            .data()
            .charges
            .currencies()
            .iter()
            .map(|c| c.as_str().to_owned())
            .collect()
    }

    fn __repr__(&self) -> String {
        format!(
            "<PaymentData: {} charges, {} payouts, {} disputes, {} paid times>",
            self.loader.data().charges.len(),
            self.loader.data().payouts.len(),
            self.loader.data().disputes.len(),
            self.loader.data().paid_at.len()
        )
    }
}

/// Reads a Stripe export folder (``charges.json``, ``payouts.json``, ``disputes.json``,
/// ``events.json``; each a JSON array or a Stripe list object; a missing file is empty),
/// streaming it with the GIL released. Objects repeated across pages are counted once.
#[pyfunction]
pub fn load_export(py: Python<'_>, path: PathBuf) -> PyResult<PyPaymentData> {
    let mut loader = Loader::default();
    py.detach(|| loader.read_folder(&path))
        .map_err(|e| CoreError(vaultra_core::Error::from(e)))?;
    Ok(PyPaymentData { loader })
}
