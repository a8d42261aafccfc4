//! Charges from Arrow data through the PyCapsule interface: any object with
//! `__arrow_c_stream__` (a pyarrow `Table` or `RecordBatchReader`, a Polars `DataFrame`,
//! DuckDB results, …) or `__arrow_c_array__` (a pyarrow `RecordBatch`, a struct array).
//!
//! The columns are read through the Arrow C data interface (`arrow-array`'s `ffi`), never
//! through Python objects: an `int64` column without nulls in one chunk is borrowed as it
//! is, other integer widths and timestamps are converted in one pass, and string columns
//! (`string`, `large_string`, `string_view`, dictionaries of those) are decoded to a code
//! per row by the same readers as pandas' Arrow-backed columns ([`columns`]).

use std::borrow::Cow;

use arrow_array::cast::AsArray;
use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{FFI_ArrowArrayStream, RecordBatchStreamReader};
use arrow_array::types::{
    ArrowDictionaryKeyType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, DictionaryArray, RecordBatchReader, StructArray,
};
use arrow_schema::{ArrowError, DataType, Fields, TimeUnit};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyTuple};
use vaultra_core::domain::ChargeColumnsRef;

use crate::columns::{
    ChargeInputs, ChunkView, CodeSink, Decoded, Interner, OffsetSlice, RowError, StrView,
};
use crate::errors::to_py_err;

/// Whether `value` exposes the Arrow PyCapsule interface (a stream or an array).
pub fn is_arrow(value: &Bound<'_, PyAny>) -> bool {
    let t = value.get_type();
    t.hasattr("__arrow_c_stream__").unwrap_or(false)
        || t.hasattr("__arrow_c_array__").unwrap_or(false)
}

/// One batch of rows: its fields and columns.
pub struct Batch {
    fields: Fields,
    columns: Vec<ArrayRef>,
    rows: usize,
}

fn arrow_err(e: ArrowError) -> PyErr {
    PyValueError::new_err(format!("reading Arrow data: {e}"))
}

/// Takes the `ArrowArrayStream` out of a capsule named `arrow_array_stream`.
#[allow(unsafe_code)]
fn take_stream(capsule: &Bound<'_, PyCapsule>) -> PyResult<FFI_ArrowArrayStream> {
    let pointer = capsule.pointer_checked(Some(c"arrow_array_stream"))?;
    // SAFETY: by the Arrow PyCapsule interface, a capsule of that name holds a valid
    // `ArrowArrayStream`; `from_raw` moves it out and leaves a released stream behind, so
    // the capsule's destructor does not release it a second time.
    Ok(unsafe { FFI_ArrowArrayStream::from_raw(pointer.as_ptr().cast()) })
}

/// Imports the array of an `(arrow_schema, arrow_array)` capsule pair.
#[allow(unsafe_code)]
fn take_array(
    schema: &Bound<'_, PyCapsule>,
    array: &Bound<'_, PyCapsule>,
) -> PyResult<arrow_array::ArrayRef> {
    let schema = schema.pointer_checked(Some(c"arrow_schema"))?;
    let array = array.pointer_checked(Some(c"arrow_array"))?;
    // SAFETY: by the Arrow PyCapsule interface these capsules hold a valid `ArrowSchema`
    // and `ArrowArray`. The array is moved out (its original left released, so the
    // capsule's destructor does not release it again); the schema is only borrowed while
    // the capsule, which owns it, is alive.
    let data = unsafe {
        let array = FFI_ArrowArray::from_raw(array.as_ptr().cast());
        let schema = &*schema.as_ptr().cast::<FFI_ArrowSchema>();
        arrow_array::ffi::from_ffi(array, schema)
    }
    .map_err(arrow_err)?;
    Ok(arrow_array::make_array(data))
}

/// The batches of an Arrow object (see the module documentation).
pub fn import(value: &Bound<'_, PyAny>) -> PyResult<Vec<Batch>> {
    let t = value.get_type();
    if t.hasattr("__arrow_c_stream__")? {
        let capsule = value.call_method0("__arrow_c_stream__")?;
        let capsule = capsule
            .cast::<PyCapsule>()
            .map_err(|_| PyTypeError::new_err("__arrow_c_stream__ did not return a capsule"))?;
        let reader = RecordBatchStreamReader::try_new(take_stream(capsule)?).map_err(|e| {
            // A stream of plain arrays (a pyarrow `ChunkedArray`) has no columns.
            PyTypeError::new_err(format!(
                "expected a table (a stream of record batches), got {}: {e}",
                t.name().map_or_else(|_| "?".to_owned(), |n| n.to_string())
            ))
        })?;
        let fields = reader.schema().fields().clone();
        let mut batches = Vec::new();
        for batch in reader {
            let batch = batch.map_err(arrow_err)?;
            batches.push(Batch {
                fields: batch.schema().fields().clone(),
                rows: batch.num_rows(),
                columns: batch.columns().to_vec(),
            });
        }
        if batches.is_empty() {
            // No batch: an empty table, whose columns are still known.
            batches.push(Batch {
                columns: fields
                    .iter()
                    .map(|f| arrow_array::new_empty_array(f.data_type()))
                    .collect(),
                fields,
                rows: 0,
            });
        }
        return Ok(batches);
    }
    if t.hasattr("__arrow_c_array__")? {
        let pair = value.call_method0("__arrow_c_array__")?;
        let pair = pair
            .cast::<PyTuple>()
            .map_err(|_| PyTypeError::new_err("__arrow_c_array__ did not return a tuple"))?;
        let (schema, array) = (pair.get_item(0)?, pair.get_item(1)?);
        let bad = |_| PyTypeError::new_err("__arrow_c_array__ did not return capsules");
        let array = take_array(
            schema.cast::<PyCapsule>().map_err(bad)?,
            array.cast::<PyCapsule>().map_err(bad)?,
        )?;
        let Some(table) = array.as_struct_opt() else {
            return Err(PyTypeError::new_err(format!(
                "expected a table (an Arrow struct array or record batch), got an array of {}",
                array.data_type()
            )));
        };
        let table: &StructArray = table;
        if table.null_count() > 0 {
            return Err(PyValueError::new_err(
                "expected a table, got a struct array with null rows",
            ));
        }
        return Ok(vec![Batch {
            fields: table.fields().clone(),
            columns: table.columns().to_vec(),
            rows: table.len(),
        }]);
    }
    Err(PyTypeError::new_err(format!(
        "expected an object with __arrow_c_stream__ or __arrow_c_array__, not {}",
        t.name()?
    )))
}

/// A column of a table: one array per batch (`None` when the table lacks it).
struct Column<'b> {
    name: &'static str,
    chunks: Vec<&'b ArrayRef>,
}

impl Column<'_> {
    fn data_type(&self) -> &DataType {
        // Every batch has the stream's schema; a table always has at least one batch.
        self.chunks
            .first()
            .map_or(&DataType::Null, |c| c.data_type())
    }
}

fn invalid(row: usize, field: &str, reason: impl Into<String>) -> RowError {
    RowError {
        row,
        error: vaultra_core::Error::invalid(field, reason.into()),
    }
}

/// The rows of a table, in order; errors name the first bad row.
struct Table<'b> {
    batches: &'b [Batch],
    rows: usize,
}

impl<'b> Table<'b> {
    /// The column `name`; an error when it appears more than once.
    fn column(&self, name: &'static str) -> Result<Option<Column<'b>>, String> {
        let Some(first) = self.batches.first() else {
            return Ok(None);
        };
        let mut at = first
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| f.name() == name);
        let Some((i, _)) = at.next() else {
            return Ok(None);
        };
        if at.next().is_some() {
            return Err(format!("column `{name}` appears more than once"));
        }
        let mut chunks = Vec::with_capacity(self.batches.len());
        for b in self.batches {
            match b.columns.get(i) {
                Some(c) if b.fields.get(i).is_some_and(|f| f.name() == name) => chunks.push(c),
                _ => return Err("batches with different columns".into()),
            }
        }
        Ok(Some(Column { name, chunks }))
    }

    /// Whole numbers (or timestamps, as unix seconds) as one `int64` slice: borrowed when
    /// the column is a single chunk of `int64` without nulls, converted otherwise.
    fn ints(&self, column: &Column<'b>) -> Result<Cow<'b, [i64]>, RowError> {
        let name = column.name;
        if let [chunk] = column.chunks.as_slice()
            && chunk.null_count() == 0
            && let Some(a) = chunk.as_primitive_opt::<Int64Type>()
        {
            return Ok(Cow::Borrowed(a.values()));
        }
        let mut out = Vec::with_capacity(self.rows);
        let mut first = 0;
        for chunk in &column.chunks {
            if let Some(nulls) = chunk.logical_nulls()
                && let Some(k) = (0..chunk.len()).find(|&k| nulls.is_null(k))
            {
                return Err(invalid(first + k, name, "missing"));
            }
            match chunk.data_type() {
                DataType::Int64 => {
                    out.extend_from_slice(chunk.as_primitive::<Int64Type>().values())
                }
                DataType::Int32 => widen::<Int32Type>(&mut out, chunk),
                DataType::Int16 => widen::<Int16Type>(&mut out, chunk),
                DataType::Int8 => widen::<Int8Type>(&mut out, chunk),
                DataType::UInt32 => widen::<UInt32Type>(&mut out, chunk),
                DataType::UInt16 => widen::<UInt16Type>(&mut out, chunk),
                DataType::UInt8 => widen::<UInt8Type>(&mut out, chunk),
                DataType::UInt64 => {
                    for (k, &v) in chunk
                        .as_primitive::<UInt64Type>()
                        .values()
                        .iter()
                        .enumerate()
                    {
                        let v = i64::try_from(v).map_err(|_| {
                            invalid(first + k, name, format!("{v} is out of range"))
                        })?;
                        out.push(v);
                    }
                }
                DataType::Timestamp(unit, _) => {
                    // Instants since the epoch in UTC, whatever the time zone; floored to
                    // seconds as pandas' path does.
                    let (values, per): (&[i64], i64) = match unit {
                        TimeUnit::Second => {
                            (chunk.as_primitive::<TimestampSecondType>().values(), 1)
                        }
                        TimeUnit::Millisecond => (
                            chunk.as_primitive::<TimestampMillisecondType>().values(),
                            1_000,
                        ),
                        TimeUnit::Microsecond => (
                            chunk.as_primitive::<TimestampMicrosecondType>().values(),
                            1_000_000,
                        ),
                        TimeUnit::Nanosecond => (
                            chunk.as_primitive::<TimestampNanosecondType>().values(),
                            1_000_000_000,
                        ),
                    };
                    out.extend(values.iter().map(|&v| v.div_euclid(per)));
                }
                DataType::Float64 => floats(
                    &mut out,
                    chunk.as_primitive::<Float64Type>().values().iter().copied(),
                    first,
                    name,
                )?,
                DataType::Float32 => floats(
                    &mut out,
                    chunk
                        .as_primitive::<Float32Type>()
                        .values()
                        .iter()
                        .map(|&v| f64::from(v)),
                    first,
                    name,
                )?,
                DataType::Boolean => {
                    return Err(invalid(first, name, "expected an integer, got bool"));
                }
                other => {
                    return Err(invalid(
                        first,
                        name,
                        format!("expected integers, got a column of {other}"),
                    ));
                }
            }
            first += chunk.len();
        }
        Ok(Cow::Owned(out))
    }

    /// `captured`: a bool per row, null meaning captured; `None` when all are null.
    fn bools(&self, column: &Column<'b>) -> Result<Option<Vec<bool>>, RowError> {
        let name = column.name;
        match column.data_type() {
            DataType::Null => return Ok(None),
            DataType::Boolean => {}
            other => {
                return Err(invalid(
                    0,
                    name,
                    format!("expected a bool, got a column of {other}"),
                ));
            }
        }
        let mut out = Vec::with_capacity(self.rows);
        let mut nulls = 0;
        for chunk in &column.chunks {
            let Some(a) = chunk.as_boolean_opt() else {
                return Err(invalid(0, name, "batches with different column types"));
            };
            let values = a.values();
            match a.nulls() {
                None if values.offset() % 8 == 0 => {
                    // Eight rows a byte, through a table: no per-bit loop.
                    let bytes = &values.values()[values.offset() / 8..];
                    let full = a.len() / 8;
                    for &byte in &bytes[..full] {
                        out.extend_from_slice(&BITS[usize::from(byte)]);
                    }
                    out.extend((full * 8..a.len()).map(|k| values.value(k)));
                }
                None => out.extend(values.iter()),
                Some(n) => {
                    nulls += n.null_count();
                    out.extend(values.iter().zip(n.iter()).map(|(v, valid)| v | !valid));
                }
            }
        }
        Ok((nulls < self.rows).then_some(out))
    }

    /// A string column as the decoders read it.
    fn strings(&self, column: &Column<'b>) -> Result<StrView<'b>, RowError> {
        let name = column.name;
        let mut chunks = Vec::with_capacity(column.chunks.len());
        let mut views = Vec::new();
        match column.data_type() {
            DataType::Utf8 => {
                for c in &column.chunks {
                    let a = c.as_string::<i32>();
                    chunks.push(ChunkView::new(
                        OffsetSlice::I32(a.value_offsets()),
                        a.values(),
                        a.nulls().map(|n| (n.validity(), n.offset())),
                        a.len(),
                    ));
                }
                Ok(StrView::Arrow(chunks))
            }
            DataType::LargeUtf8 => {
                for c in &column.chunks {
                    let a = c.as_string::<i64>();
                    chunks.push(ChunkView::new(
                        OffsetSlice::I64(a.value_offsets()),
                        a.values(),
                        a.nulls().map(|n| (n.validity(), n.offset())),
                        a.len(),
                    ));
                }
                Ok(StrView::Arrow(chunks))
            }
            DataType::Utf8View => {
                for c in &column.chunks {
                    views.push(c.as_string_view());
                }
                Ok(StrView::Views(views))
            }
            DataType::Null => {
                let mut codes = CodeSink::with_capacity(self.rows);
                for _ in 0..self.rows {
                    codes.push(0);
                }
                Ok(StrView::Decoded(Decoded {
                    codes: codes.finish(),
                    values: vec![None],
                }))
            }
            DataType::Dictionary(key, value)
                if matches!(
                    **value,
                    DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
                ) =>
            {
                let mut interner = Interner::new();
                let mut codes = CodeSink::with_capacity(self.rows);
                for c in &column.chunks {
                    match **key {
                        DataType::Int8 => dictionary::<Int8Type>(c, &mut interner, &mut codes),
                        DataType::Int16 => dictionary::<Int16Type>(c, &mut interner, &mut codes),
                        DataType::Int32 => dictionary::<Int32Type>(c, &mut interner, &mut codes),
                        DataType::Int64 => dictionary::<Int64Type>(c, &mut interner, &mut codes),
                        DataType::UInt8 => dictionary::<UInt8Type>(c, &mut interner, &mut codes),
                        DataType::UInt16 => dictionary::<UInt16Type>(c, &mut interner, &mut codes),
                        DataType::UInt32 => dictionary::<UInt32Type>(c, &mut interner, &mut codes),
                        DataType::UInt64 => dictionary::<UInt64Type>(c, &mut interner, &mut codes),
                        _ => None,
                    }
                    .ok_or_else(|| invalid(0, name, "malformed Arrow dictionary"))?;
                }
                Ok(StrView::Decoded(Decoded {
                    codes: codes.finish(),
                    values: interner.values,
                }))
            }
            other => Err(invalid(
                0,
                name,
                format!("expected strings, got a column of {other}"),
            )),
        }
    }

    /// Names row `row` in errors: `charges row 3 (id ch_9)`.
    fn describe(&self, source: &str, row: usize) -> String {
        let mut label = format!("{source} row {row}");
        if let Ok(Some(ids)) = self.column("id") {
            let mut first = 0;
            for c in &ids.chunks {
                if row < first + c.len() {
                    if let Some(id) = string_at(c, row - first) {
                        label.push_str(&format!(" (id {id})"));
                    }
                    break;
                }
                first += c.len();
            }
        }
        label
    }
}

/// Each byte of a bitmap as its eight bools, least significant bit first.
static BITS: [[bool; 8]; 256] = {
    let mut table = [[false; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut bit = 0;
        while bit < 8 {
            table[byte][bit] = (byte >> bit) & 1 == 1;
            bit += 1;
        }
        byte += 1;
    }
    table
};

/// Whole floats as integers (NaN is missing), as a pandas float column is read.
fn floats(
    out: &mut Vec<i64>,
    values: impl Iterator<Item = f64>,
    first: usize,
    name: &str,
) -> Result<(), RowError> {
    for (k, v) in values.enumerate() {
        if v.is_nan() {
            return Err(invalid(first + k, name, "missing"));
        }
        if !v.is_finite() || v != v.floor() || v.abs() > 2f64.powi(62) {
            return Err(invalid(
                first + k,
                name,
                format!("expected an integer, got float {v:?}"),
            ));
        }
        out.push(v as i64);
    }
    Ok(())
}

fn widen<T: ArrowPrimitiveType>(out: &mut Vec<i64>, chunk: &ArrayRef)
where
    T::Native: Into<i64>,
{
    out.extend(chunk.as_primitive::<T>().values().iter().map(|&v| v.into()));
}

/// The string at `k` of a string array of any layout (`None`: null or not a string).
fn string_at(a: &dyn Array, k: usize) -> Option<&str> {
    if a.is_null(k) {
        return None;
    }
    match a.data_type() {
        DataType::Utf8 => Some(a.as_string::<i32>().value(k)),
        DataType::LargeUtf8 => Some(a.as_string::<i64>().value(k)),
        DataType::Utf8View => Some(a.as_string_view().value(k)),
        _ => None,
    }
}

/// Decodes one dictionary chunk: each dictionary value is interned once, then each row
/// takes its key's code. `None` for a malformed dictionary (a key out of range).
fn dictionary<K: ArrowDictionaryKeyType>(
    chunk: &ArrayRef,
    interner: &mut Interner,
    codes: &mut CodeSink,
) -> Option<()>
where
    K::Native: TryInto<usize>,
{
    let a: &DictionaryArray<K> = chunk.as_dictionary_opt::<K>()?;
    let values: &dyn Array = a.values().as_ref();
    let map: Vec<u32> = (0..values.len())
        .map(|j| string_at(values, j).map_or(0, |s| interner.code(s.as_bytes())))
        .collect();
    let keys = a.keys();
    for (k, key) in keys.values().iter().enumerate() {
        if keys.is_null(k) {
            codes.push(0);
        } else {
            codes.push(*map.get((*key).try_into().ok()?)?);
        }
    }
    Some(())
}

/// Reads the charges of an Arrow table and runs `f` on the core's borrowed view, as
/// [`crate::data::ChargeFrame::with_view`] does for a pandas frame: the string columns
/// decoded and checked, rows de-duplicated by `id` when `dedupe` (a later row wins), the
/// GIL released. A bad row raises `InvalidInput` naming it (`charges row 3 (id ch_9)`).
pub fn with_view<R: Send>(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    source: &str,
    dedupe: bool,
    f: impl FnOnce(ChargeColumnsRef<'_, u16>) -> R + Send,
) -> PyResult<R> {
    let batches = import(value)?;
    let table = Table {
        rows: batches.iter().map(|b| b.rows).sum(),
        batches: &batches,
    };
    let frame_error = |reason: String| {
        to_py_err(
            py,
            vaultra_core::Error::invalid_input(reason).in_context(source.to_owned()),
        )
    };
    if table.rows == 0 {
        // No charges: nothing to read, whatever the columns (as for an empty DataFrame).
        let none = || {
            StrView::Decoded(Decoded {
                codes: CodeSink::with_capacity(0).finish(),
                values: vec![None],
            })
        };
        let inputs = ChargeInputs {
            created: &[],
            amount: &[],
            refunded: &[],
            captured: None,
            currency: none(),
            status: none(),
            object: None,
        };
        return crate::data::run_charges(py, inputs, None, f)
            .map_err(|e| to_py_err(py, e.error.in_context(source.to_owned())));
    }
    let column = |name: &'static str| table.column(name).map_err(frame_error);
    let required = |name: &'static str| -> PyResult<Column<'_>> {
        column(name)?.ok_or_else(|| {
            to_py_err(
                py,
                vaultra_core::Error::invalid(name, "missing column").in_context(source.to_owned()),
            )
        })
    };
    let created = required("created")?;
    let amount = required("amount")?;
    let refunded = required("amount_refunded")?;
    let currency = required("currency")?;
    let status = required("status")?;
    let captured = column("captured")?;
    let object = column("object")?;
    let id = if dedupe { column("id")? } else { None };
    let fail = |e: RowError| to_py_err(py, e.error.in_context(table.describe(source, e.row)));

    let read = || -> Result<_, RowError> {
        Ok((
            table.ints(&created)?,
            table.ints(&amount)?,
            table.ints(&refunded)?,
            captured
                .as_ref()
                .map(|c| table.bools(c))
                .transpose()?
                .flatten(),
        ))
    };
    let (created, amount, refunded, captured) = read().map_err(fail)?;
    let strings = || -> Result<_, RowError> {
        Ok((
            table.strings(&currency)?,
            table.strings(&status)?,
            object.as_ref().map(|o| table.strings(o)).transpose()?,
            id.as_ref().map(|i| table.strings(i)).transpose()?,
        ))
    };
    let (currency, status, object, ids) = strings().map_err(fail)?;
    let inputs = ChargeInputs {
        created: &created,
        amount: &amount,
        refunded: &refunded,
        captured: captured.as_deref(),
        currency,
        status,
        object,
    };
    crate::data::run_charges(py, inputs, ids, f).map_err(fail)
}
