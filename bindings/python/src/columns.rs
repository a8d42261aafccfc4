//! The columnar fast path: charges read from arrays, never row by row through Python.
//!
//! Numbers arrive as contiguous NumPy buffers and are read in place. String columns
//! (`currency`, `status`, `object`) arrive in one of three encodings chosen by the Python
//! side for the column's dtype: integer codes into a few values (pandas categoricals, read
//! in place), Arrow string buffers (pyarrow-backed strings, seen as NumPy arrays), or a
//! NumPy object array of `str` (decoded with the GIL held, one pointer comparison per row
//! for repeated objects). Each column becomes a small code per row plus its distinct
//! values; only the distinct values are parsed (`Currency::parse`, `ChargeStatus::parse`),
//! and the charges are pushed through [`ChargeColumns::push_fields`] with the GIL released.
//! Which charge is successful stays the core's rule (`is_successful`).

use std::collections::HashMap;

use numpy::{Element, PyReadonlyArray1, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use vaultra_core::domain::{ChargeColumns, ChargeStatus, Currency, is_successful};

use crate::objects::{is_null, type_name};

/// A problem found at one row.
#[derive(Debug)]
pub struct RowError {
    /// The row (0-based position).
    pub row: usize,
    /// What is wrong with it.
    pub error: vaultra_core::Error,
}

/// The contiguous data of a 1-D array.
pub fn slice<'a, T: Element>(array: &'a PyReadonlyArray1<'_, T>, name: &str) -> PyResult<&'a [T]> {
    array
        .as_slice()
        .map_err(|e| PyValueError::new_err(format!("column `{name}`: {e}")))
}

/// Checks that a column has the length of the others.
pub fn check_len(expected: usize, got: usize, name: &str) -> PyResult<()> {
    if expected == got {
        Ok(())
    } else {
        Err(PyValueError::new_err(format!(
            "column `{name}` has {got} rows, expected {expected}"
        )))
    }
}

/// Integer codes of a categorical column, in the width pandas chose.
pub enum CodeArray<'py> {
    /// `int8` codes.
    I8(PyReadonlyArray1<'py, i8>),
    /// `int16` codes.
    I16(PyReadonlyArray1<'py, i16>),
    /// `int32` codes.
    I32(PyReadonlyArray1<'py, i32>),
    /// `int64` codes.
    I64(PyReadonlyArray1<'py, i64>),
}

/// Arrow string offsets: 32-bit (`string`) or 64-bit (`large_string`).
pub enum Offsets<'py> {
    /// `int32` offsets.
    I32(PyReadonlyArray1<'py, i32>),
    /// `int64` offsets.
    I64(PyReadonlyArray1<'py, i64>),
}

/// One Arrow string chunk, its buffers seen as arrays.
pub struct ArrowChunk<'py> {
    offsets: Offsets<'py>,
    data: PyReadonlyArray1<'py, u8>,
    validity: Option<PyReadonlyArray1<'py, u8>>,
    offset: usize,
    length: usize,
}

/// A string column as the Python side handed it over.
pub enum StrColumn<'py> {
    /// Integer codes (`-1` = null) into `values`.
    Codes {
        /// The codes.
        codes: CodeArray<'py>,
        /// The distinct values (`None` = null).
        values: Vec<Option<String>>,
    },
    /// Arrow string chunks.
    Arrow(Vec<ArrowChunk<'py>>),
    /// A NumPy object array of `str` (or `None`/NaN for null).
    Object(PyReadonlyArray1<'py, Py<PyAny>>),
}

fn bad(name: &str, what: &str) -> PyErr {
    PyValueError::new_err(format!("column `{name}`: {what}"))
}

impl<'py> StrColumn<'py> {
    /// Reads the `(encoding, ...)` tuple the Python side builds.
    pub fn extract(value: &Bound<'py, PyAny>, name: &str) -> PyResult<Self> {
        let tuple = value
            .cast::<PyTuple>()
            .map_err(|_| bad(name, "expected an (encoding, ...) tuple"))?;
        let tag: String = tuple.get_item(0)?.extract()?;
        match tag.as_str() {
            "codes" => {
                let codes = tuple.get_item(1)?;
                let codes = if let Ok(a) = codes.extract::<PyReadonlyArray1<'py, i8>>() {
                    CodeArray::I8(a)
                } else if let Ok(a) = codes.extract::<PyReadonlyArray1<'py, i16>>() {
                    CodeArray::I16(a)
                } else if let Ok(a) = codes.extract::<PyReadonlyArray1<'py, i32>>() {
                    CodeArray::I32(a)
                } else if let Ok(a) = codes.extract::<PyReadonlyArray1<'py, i64>>() {
                    CodeArray::I64(a)
                } else {
                    return Err(bad(name, "codes must be a 1-D integer array"));
                };
                let values: Vec<Option<String>> = tuple.get_item(2)?.extract()?;
                Ok(Self::Codes { codes, values })
            }
            "arrow" => {
                let list = tuple.get_item(1)?;
                let list = list
                    .cast::<PyList>()
                    .map_err(|_| bad(name, "expected a list of Arrow chunks"))?;
                let mut chunks = Vec::with_capacity(list.len());
                for chunk in list.iter() {
                    let (offsets, data, validity, offset, length): (
                        Bound<'py, PyAny>,
                        PyReadonlyArray1<'py, u8>,
                        Option<PyReadonlyArray1<'py, u8>>,
                        usize,
                        usize,
                    ) = chunk.extract()?;
                    let offsets = if let Ok(a) = offsets.extract::<PyReadonlyArray1<'py, i32>>() {
                        Offsets::I32(a)
                    } else if let Ok(a) = offsets.extract::<PyReadonlyArray1<'py, i64>>() {
                        Offsets::I64(a)
                    } else {
                        return Err(bad(name, "Arrow offsets must be int32 or int64"));
                    };
                    chunks.push(ArrowChunk {
                        offsets,
                        data,
                        validity,
                        offset,
                        length,
                    });
                }
                Ok(Self::Arrow(chunks))
            }
            "object" => Ok(Self::Object(tuple.get_item(1)?.extract()?)),
            other => Err(bad(name, &format!("unknown encoding `{other}`"))),
        }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        match self {
            Self::Codes { codes, .. } => match codes {
                CodeArray::I8(a) => a.len(),
                CodeArray::I16(a) => a.len(),
                CodeArray::I32(a) => a.len(),
                CodeArray::I64(a) => a.len(),
            },
            Self::Arrow(chunks) => chunks.iter().map(|c| c.length).sum(),
            Self::Object(a) => a.len(),
        }
    }

    /// A view that can cross into code running without the GIL. Object arrays are decoded
    /// here, with the GIL held (reading a `str` needs it).
    pub fn prepare(&self, py: Python<'_>, name: &str) -> PyResult<Result<StrView<'_>, RowError>> {
        Ok(Ok(match self {
            Self::Codes { codes, values } => StrView::Codes {
                codes: match codes {
                    CodeArray::I8(a) => CodeSlice::I8(slice(a, name)?),
                    CodeArray::I16(a) => CodeSlice::I16(slice(a, name)?),
                    CodeArray::I32(a) => CodeSlice::I32(slice(a, name)?),
                    CodeArray::I64(a) => CodeSlice::I64(slice(a, name)?),
                },
                values,
            },
            Self::Arrow(chunks) => {
                let mut views = Vec::with_capacity(chunks.len());
                for c in chunks {
                    views.push(ChunkView {
                        offsets: match &c.offsets {
                            Offsets::I32(a) => OffsetSlice::I32(slice(a, name)?),
                            Offsets::I64(a) => OffsetSlice::I64(slice(a, name)?),
                        },
                        data: slice(&c.data, name)?,
                        validity: match &c.validity {
                            Some(v) => Some(slice(v, name)?),
                            None => None,
                        },
                        offset: c.offset,
                        length: c.length,
                    });
                }
                StrView::Arrow(views)
            }
            Self::Object(array) => match decode_objects(py, slice(array, name)?, name) {
                Ok(d) => StrView::Decoded(d),
                Err(e) => return Ok(Err(e)),
            },
        }))
    }
}

/// Codes as slices.
pub enum CodeSlice<'a> {
    /// `int8`.
    I8(&'a [i8]),
    /// `int16`.
    I16(&'a [i16]),
    /// `int32`.
    I32(&'a [i32]),
    /// `int64`.
    I64(&'a [i64]),
}

/// Offsets as slices.
pub enum OffsetSlice<'a> {
    /// `int32`.
    I32(&'a [i32]),
    /// `int64`.
    I64(&'a [i64]),
}

/// One Arrow chunk as slices.
pub struct ChunkView<'a> {
    offsets: OffsetSlice<'a>,
    data: &'a [u8],
    validity: Option<&'a [u8]>,
    offset: usize,
    length: usize,
}

/// A string column readable without the GIL.
pub enum StrView<'a> {
    /// Codes into values.
    Codes {
        /// Codes.
        codes: CodeSlice<'a>,
        /// Values.
        values: &'a [Option<String>],
    },
    /// Arrow chunks.
    Arrow(Vec<ChunkView<'a>>),
    /// Already decoded (object arrays).
    Decoded(Decoded<'static>),
}

/// Per row, an index into a column's distinct values (index 0 is null).
pub enum RowCodes<'a> {
    /// Categorical codes as pandas holds them (`-1` = null, so the index is `code + 1`).
    I8(&'a [i8]),
    /// Same, `int16`.
    I16(&'a [i16]),
    /// Same, `int32`.
    I32(&'a [i32]),
    /// Same, `int64`.
    I64(&'a [i64]),
    /// Decoded indices, while there are at most 256 distinct values.
    U8(Vec<u8>),
    /// Decoded indices.
    U32(Vec<u32>),
}

impl RowCodes<'_> {
    /// The value index of `row`; a malformed negative code maps past every value.
    #[inline]
    fn at(&self, row: usize) -> usize {
        match self {
            Self::I8(c) => (i64::from(c[row]) + 1) as usize,
            Self::I16(c) => (i64::from(c[row]) + 1) as usize,
            Self::I32(c) => (i64::from(c[row]) + 1) as usize,
            Self::I64(c) => c[row].wrapping_add(1) as usize,
            Self::U8(c) => usize::from(c[row]),
            Self::U32(c) => c[row] as usize,
        }
    }
}

/// A decoded string column: a code per row and the distinct values (`values[0]` is null).
pub struct Decoded<'a> {
    /// One code per row.
    pub codes: RowCodes<'a>,
    /// Distinct values; `values[0]` is `None` (null).
    pub values: Vec<Option<Vec<u8>>>,
}

/// Interns byte strings: a linear scan while there are few distinct values (the usual
/// case for currencies and statuses), a hash map beyond.
struct Interner {
    values: Vec<Option<Vec<u8>>>,
    map: HashMap<Vec<u8>, u32>,
}

const LINEAR_LIMIT: usize = 16;

impl Interner {
    fn new() -> Self {
        Self {
            values: vec![None],
            map: HashMap::new(),
        }
    }

    fn code(&mut self, bytes: &[u8]) -> u32 {
        if self.values.len() <= LINEAR_LIMIT {
            if let Some(i) = self.values[1..]
                .iter()
                .position(|v| v.as_deref() == Some(bytes))
            {
                return i as u32 + 1;
            }
        } else if let Some(&c) = self.map.get(bytes) {
            return c;
        }
        // The map holds every value, so it can take over once the scan gets long.
        let c = self.values.len() as u32;
        self.values.push(Some(bytes.to_vec()));
        self.map.insert(bytes.to_vec(), c);
        c
    }
}

/// Collects codes a byte each while they fit, four bytes each after.
struct CodeSink {
    small: Vec<u8>,
    wide: Option<Vec<u32>>,
}

impl CodeSink {
    fn with_capacity(n: usize) -> Self {
        Self {
            small: Vec::with_capacity(n),
            wide: None,
        }
    }

    #[inline(always)]
    fn push(&mut self, code: u32) {
        if self.wide.is_none()
            && let Ok(c) = u8::try_from(code)
        {
            self.small.push(c);
        } else {
            self.push_wide(code);
        }
    }

    #[cold]
    fn push_wide(&mut self, code: u32) {
        let small = std::mem::take(&mut self.small);
        let wide = self.wide.get_or_insert_with(|| {
            let mut wide = Vec::with_capacity(small.capacity());
            wide.extend(small.iter().map(|&c| u32::from(c)));
            wide
        });
        wide.push(code);
    }

    fn finish(self) -> RowCodes<'static> {
        match self.wide {
            Some(wide) => RowCodes::U32(wide),
            None => RowCodes::U8(self.small),
        }
    }
}

fn decode_objects(
    py: Python<'_>,
    objects: &[Py<PyAny>],
    name: &str,
) -> Result<Decoded<'static>, RowError> {
    const SLOTS: usize = 64;
    // Recently seen objects by address: a column often repeats the very same `str`
    // objects, and then a row costs one pointer comparison.
    let mut seen = [(0usize, 0u32); SLOTS];
    let mut interner = Interner::new();
    let mut codes = CodeSink::with_capacity(objects.len());
    for (row, object) in objects.iter().enumerate() {
        let address = object.as_ptr() as usize;
        let slot = (address >> 4) % SLOTS;
        if seen[slot].0 == address {
            codes.push(seen[slot].1);
            continue;
        }
        let value = object.bind(py);
        let code = if let Ok(s) = value.cast::<PyString>() {
            match s.to_str() {
                Ok(s) => interner.code(s.as_bytes()),
                Err(e) => {
                    return Err(RowError {
                        row,
                        error: vaultra_core::Error::invalid(name, e.to_string()),
                    });
                }
            }
        } else if is_null(value) {
            0
        } else {
            return Err(RowError {
                row,
                error: vaultra_core::Error::invalid(
                    name,
                    format!("expected a string, got {}", type_name(value)),
                ),
            });
        };
        seen[slot] = (address, code);
        codes.push(code);
    }
    Ok(Decoded {
        codes: codes.finish(),
        values: interner.values,
    })
}

fn malformed(name: &str, what: &str) -> RowError {
    RowError {
        row: 0,
        error: vaultra_core::Error::Internal(format!("column `{name}`: {what}")),
    }
}

impl<'a> StrView<'a> {
    /// Decodes the column to a code per row (GIL not needed). Categorical codes are read
    /// in place.
    fn decode(self, name: &str) -> Result<Decoded<'a>, RowError> {
        match self {
            Self::Decoded(d) => Ok(d),
            Self::Codes { codes, values } => {
                let mut all = Vec::with_capacity(values.len() + 1);
                all.push(None);
                all.extend(
                    values
                        .iter()
                        .map(|v| v.as_ref().map(|s| s.as_bytes().to_vec())),
                );
                Ok(Decoded {
                    codes: match codes {
                        CodeSlice::I8(c) => RowCodes::I8(c),
                        CodeSlice::I16(c) => RowCodes::I16(c),
                        CodeSlice::I32(c) => RowCodes::I32(c),
                        CodeSlice::I64(c) => RowCodes::I64(c),
                    },
                    values: all,
                })
            }
            Self::Arrow(chunks) => {
                let total = chunks.iter().map(|c| c.length).sum();
                let mut codes = CodeSink::with_capacity(total);
                let mut interner = Interner::new();
                for c in &chunks {
                    match c.offsets {
                        OffsetSlice::I32(o) => decode_chunk(c, o, &mut interner, &mut codes, name)?,
                        OffsetSlice::I64(o) => decode_chunk(c, o, &mut interner, &mut codes, name)?,
                    }
                }
                Ok(Decoded {
                    codes: codes.finish(),
                    values: interner.values,
                })
            }
        }
    }
}

/// Distinct short values remembered as words; more than that go through the interner.
const KNOWN_WORDS: usize = 64;

/// `MASKS[n]` keeps the first `n` bytes of a little-endian 128-bit word.
const MASKS: [u128; 17] = {
    let mut masks = [0u128; 17];
    let mut n = 1;
    while n < 16 {
        masks[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    masks[16] = u128::MAX;
    masks
};

fn decode_chunk<O: Copy + TryInto<usize>>(
    c: &ChunkView<'_>,
    offsets: &[O],
    interner: &mut Interner,
    codes: &mut CodeSink,
    name: &str,
) -> Result<(), RowError> {
    let end = c.offset + c.length;
    if offsets.len() < end + 1 {
        return Err(malformed(name, "Arrow offsets are too short"));
    }
    if let Some(v) = c.validity
        && v.len() * 8 < end
    {
        return Err(malformed(name, "Arrow validity bitmap is too short"));
    }
    let at = |k: usize| -> Option<usize> { offsets[k].try_into().ok() };
    // Short values (currencies, statuses, object tags) are compared as one 128-bit word
    // read straight from the data buffer: no call to `memcmp` per row. `known` maps the
    // words seen so far to their codes; longer values go through the interner.
    let mut known: Vec<(u128, usize, u32)> = Vec::new();
    let mut last: Option<(u128, usize, u32)> = None;
    for k in c.offset..end {
        if let Some(v) = c.validity
            && (v[k >> 3] >> (k & 7)) & 1 == 0
        {
            codes.push(0);
            continue;
        }
        let (start, stop) = match (at(k), at(k + 1)) {
            (Some(s), Some(e)) if s <= e && e <= c.data.len() => (s, e),
            _ => return Err(malformed(name, "Arrow offsets point outside the data")),
        };
        let len = stop - start;
        let word = match c.data.get(start..start + 16) {
            Some(w) if len <= 16 => {
                let mut bytes = [0u8; 16];
                bytes.copy_from_slice(w);
                u128::from_le_bytes(bytes) & MASKS[len]
            }
            _ => {
                codes.push(interner.code(&c.data[start..stop]));
                continue;
            }
        };
        if let Some((w, l, code)) = last
            && w == word
            && l == len
        {
            codes.push(code);
            continue;
        }
        let code = match known.iter().find(|(w, l, _)| *w == word && *l == len) {
            Some(&(_, _, code)) => code,
            None => {
                let code = interner.code(&c.data[start..stop]);
                if known.len() < KNOWN_WORDS {
                    known.push((word, len, code));
                }
                code
            }
        };
        last = Some((word, len, code));
        codes.push(code);
    }
    Ok(())
}

/// The charge columns, ready to be read without the GIL.
pub struct ChargeInputs<'a> {
    /// `created`, unix seconds.
    pub created: &'a [i64],
    /// `amount`, minor units.
    pub amount: &'a [i64],
    /// `amount_refunded`, minor units.
    pub refunded: &'a [i64],
    /// `captured`, or `None` when every charge is captured.
    pub captured: Option<&'a [bool]>,
    /// `currency`.
    pub currency: StrView<'a>,
    /// `status`.
    pub status: StrView<'a>,
    /// `object`, when the frame has that column.
    pub object: Option<StrView<'a>>,
}

fn text(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

/// Looks a row's value up in a per-value table; a code beyond the table is malformed input.
#[inline]
fn lookup<'t, T>(
    table: &'t [T],
    codes: &RowCodes<'_>,
    row: usize,
    name: &str,
) -> Result<&'t T, RowError> {
    table.get(codes.at(row)).ok_or_else(|| RowError {
        row,
        error: vaultra_core::Error::invalid(name, "categorical code out of range"),
    })
}

/// Appends every charge of `inputs` to `columns`, the first bad row stopping it.
pub fn push_charges(columns: &mut ChargeColumns, inputs: ChargeInputs<'_>) -> Result<(), RowError> {
    let ChargeInputs {
        created,
        amount,
        refunded,
        captured,
        currency,
        status,
        object,
    } = inputs;
    let inputs = Numbers {
        created,
        amount,
        refunded,
        captured,
    };
    let currency = currency.decode("currency")?;
    let status = status.decode("status")?;
    let object = match object {
        Some(o) => Some(o.decode("object")?),
        None => None,
    };

    // Parse each distinct value once; a bad one is reported at the first row using it.
    let missing = |field: &str| vaultra_core::Error::invalid(field, "missing");
    let currencies: Vec<Result<Currency, vaultra_core::Error>> = currency
        .values
        .iter()
        .map(|v| match v {
            None => Err(missing("currency")),
            Some(b) => Currency::parse(&text(b)),
        })
        .collect();
    let statuses: Vec<Result<ChargeStatus, vaultra_core::Error>> = status
        .values
        .iter()
        .map(|v| match v {
            None => Err(missing("status")),
            Some(b) => ChargeStatus::parse(&text(b)),
        })
        .collect();
    // An object tagged as another type is skipped, as in an export; no tag means a charge.
    let keep: Vec<bool> = match &object {
        Some(o) => o
            .values
            .iter()
            .map(|v| v.as_deref().is_none_or(|t| t == b"charge"))
            .collect(),
        None => Vec::new(),
    };
    let tables = Tables {
        currencies: &currencies,
        statuses: &statuses,
        keep: &keep,
    };

    let narrow = (
        currency.codes.narrow(currency.values.len()),
        status.codes.narrow(status.values.len()),
        object.map(|o| o.codes.narrow(o.values.len())),
    );
    match narrow {
        (RowCodes::U8(c), RowCodes::U8(s), None) => {
            push_narrow(columns, &inputs, &tables, &c, &s, None)
        }
        (RowCodes::U8(c), RowCodes::U8(s), Some(RowCodes::U8(o))) => {
            push_narrow(columns, &inputs, &tables, &c, &s, Some(&o))
        }
        (c, s, o) => push_any(columns, &inputs, &tables, &c, &s, o.as_ref()),
    }
}

/// The numeric columns of the charges.
struct Numbers<'a> {
    created: &'a [i64],
    amount: &'a [i64],
    refunded: &'a [i64],
    captured: Option<&'a [bool]>,
}

/// What each distinct value of the string columns means.
struct Tables<'t> {
    currencies: &'t [Result<Currency, vaultra_core::Error>],
    statuses: &'t [Result<ChargeStatus, vaultra_core::Error>],
    keep: &'t [bool],
}

impl RowCodes<'_> {
    /// The same codes a byte each, when there are at most 256 values and every code is in
    /// range (a cheap pass over the column); otherwise unchanged.
    fn narrow(self, values: usize) -> Self {
        fn bytes<T: Copy + Into<i64>>(codes: &[T], values: usize) -> Option<Vec<u8>> {
            if values > 256 {
                return None;
            }
            let top = values as i64 - 1;
            let (lo, hi) = codes.iter().fold((i64::MAX, i64::MIN), |(lo, hi), &c| {
                let c: i64 = c.into();
                (lo.min(c), hi.max(c))
            });
            if codes.is_empty() || (lo >= -1 && hi < top) {
                Some(codes.iter().map(|&c| (c.into() + 1) as u8).collect())
            } else {
                None
            }
        }
        let narrowed = match &self {
            Self::I8(c) => bytes(c, values),
            Self::I16(c) => bytes(c, values),
            Self::I32(c) => bytes(c, values),
            Self::I64(c) => bytes(c, values),
            Self::U8(_) | Self::U32(_) => None,
        };
        match narrowed {
            Some(c) => Self::U8(c),
            None => self,
        }
    }
}

/// The hot loop, when every string column is a byte per row: every table is indexed by a
/// byte, so the loop has no bounds checks on them.
fn push_narrow(
    columns: &mut ChargeColumns,
    inputs: &Numbers<'_>,
    tables: &Tables<'_>,
    currency: &[u8],
    status: &[u8],
    object: Option<&[u8]>,
) -> Result<(), RowError> {
    let keep_all = [true; 256];
    let mut keep = [false; 256];
    for (k, v) in keep.iter_mut().zip(tables.keep) {
        *k = *v;
    }
    let keep = if object.is_some() { &keep } else { &keep_all };
    // A bad value (null, unknown) stops the load at the first kept row that uses it.
    let mut bad_currency = [false; 256];
    for (b, c) in bad_currency.iter_mut().zip(tables.currencies) {
        *b = c.is_err();
    }
    let mut bad_status = [false; 256];
    for (b, s) in bad_status.iter_mut().zip(tables.statuses) {
        *b = s.is_err();
    }
    let bad = |row: usize, c: usize, s: usize| {
        let error = match (&tables.currencies[c], &tables.statuses[s]) {
            (Err(e), _) | (_, Err(e)) => e.clone(),
            _ => vaultra_core::Error::Internal("a bad value that is not".into()),
        };
        RowError { row, error }
    };
    let mut currency_of = [Currency::USD; 256];
    for (slot, c) in currency_of.iter_mut().zip(tables.currencies) {
        if let Ok(c) = c {
            *slot = *c;
        }
    }
    // Whether a charge with each status is successful, captured or not: the rule stays in
    // the core (`is_successful`).
    let mut successful = [[false; 256]; 2];
    for (i, s) in tables.statuses.iter().enumerate() {
        if let Ok(s) = s {
            successful[0][i] = is_successful(*s, false);
            successful[1][i] = is_successful(*s, true);
        }
    }
    let n = inputs.created.len();
    let (created, amount, refunded) = (
        &inputs.created[..n],
        &inputs.amount[..n],
        &inputs.refunded[..n],
    );
    let (currency, status) = (&currency[..n], &status[..n]);
    for row in 0..n {
        if let Some(o) = object
            && !keep[usize::from(o[row])]
        {
            continue;
        }
        let (c, s) = (usize::from(currency[row]), usize::from(status[row]));
        if bad_currency[c] | bad_status[s] {
            return Err(bad(row, c, s));
        }
        let captured = inputs.captured.is_none_or(|c| c[row]);
        columns
            .push_fields(
                created[row],
                amount[row],
                refunded[row],
                currency_of[c],
                successful[usize::from(captured)][s],
            )
            .map_err(|error| RowError { row, error })?;
    }
    Ok(())
}

/// The general loop: any code width, every row checked.
fn push_any(
    columns: &mut ChargeColumns,
    inputs: &Numbers<'_>,
    tables: &Tables<'_>,
    currency: &RowCodes<'_>,
    status: &RowCodes<'_>,
    object: Option<&RowCodes<'_>>,
) -> Result<(), RowError> {
    let fail = |row: usize| {
        move |error: &vaultra_core::Error| RowError {
            row,
            error: error.clone(),
        }
    };
    for row in 0..inputs.created.len() {
        if let Some(o) = object
            && !*lookup(tables.keep, o, row, "object")?
        {
            continue;
        }
        let currency = lookup(tables.currencies, currency, row, "currency")?
            .as_ref()
            .map_err(fail(row))?;
        let status = lookup(tables.statuses, status, row, "status")?
            .as_ref()
            .map_err(fail(row))?;
        let captured = inputs.captured.is_none_or(|c| c[row]);
        columns
            .push_fields(
                inputs.created[row],
                inputs.amount[row],
                inputs.refunded[row],
                *currency,
                is_successful(*status, captured),
            )
            .map_err(|error| RowError { row, error })?;
    }
    Ok(())
}
