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
use std::borrow::Cow;

use arrow_array::{Array, StringViewArray};
use vaultra_core::domain::{ChargeColumnsRef, ChargeStatus, ClassCode, Currency, is_successful};

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

    /// The column as ids for de-duplication: object arrays are read here, with the GIL
    /// held, into the UTF-8 bytes of each `str` (which the array keeps alive), so the
    /// de-duplication itself runs without the GIL. A value that is not a `str` is no id.
    pub fn id_view<'s>(&'s self, py: Python<'s>, name: &str) -> PyResult<StrView<'s>> {
        match self {
            Self::Object(array) => {
                let objects = slice(array, name)?;
                Ok(StrView::Bytes(
                    objects
                        .iter()
                        .map(|o| {
                            let s = o.cast_bound::<PyString>(py).ok()?;
                            s.to_str().ok().map(str::as_bytes)
                        })
                        .collect(),
                ))
            }
            other => match other.prepare(py, name)? {
                Ok(view) => Ok(view),
                Err(e) => Err(PyValueError::new_err(e.error.to_string())),
            },
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
                        null_offset: c.offset,
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
    /// The chunk's first row in `offsets`.
    offset: usize,
    /// The chunk's first row in `validity` (bits).
    null_offset: usize,
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
    /// Already decoded (object arrays, Arrow dictionaries).
    Decoded(Decoded<'static>),
    /// Arrow `string_view` chunks (Polars' strings), read through the C data interface.
    Views(Vec<&'a StringViewArray>),
    /// The bytes of each row's `str` (`None`: not a string), read from a NumPy object
    /// array with the GIL held (ids for de-duplication only).
    Bytes(Vec<Option<&'a [u8]>>),
}

impl<'a> ChunkView<'a> {
    /// A chunk over Arrow buffers: `offsets` (the chunk's own, `length + 1` of them),
    /// `data`, and the validity bitmap with the bit of the chunk's first row.
    pub fn new(
        offsets: OffsetSlice<'a>,
        data: &'a [u8],
        validity: Option<(&'a [u8], usize)>,
        length: usize,
    ) -> Self {
        Self {
            offsets,
            data,
            validity: validity.map(|(v, _)| v),
            offset: 0,
            null_offset: validity.map_or(0, |(_, o)| o),
            length,
        }
    }

    /// Number of rows of the chunk.
    pub fn len(&self) -> usize {
        self.length
    }

    /// Whether the chunk has no row.
    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// The bytes of row `k` of the chunk; `None` when null or malformed.
    pub fn value(&self, k: usize) -> Option<&'a [u8]> {
        if let Some(v) = self.validity {
            let b = self.null_offset + k;
            if (v.get(b >> 3)? >> (b & 7)) & 1 == 0 {
                return None;
            }
        }
        let k = self.offset + k;
        let at = |i: usize| -> Option<usize> {
            match self.offsets {
                OffsetSlice::I32(o) => usize::try_from(*o.get(i)?).ok(),
                OffsetSlice::I64(o) => usize::try_from(*o.get(i)?).ok(),
            }
        };
        self.data.get(at(k)?..at(k + 1)?)
    }
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
    /// Number of rows.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::I8(c) => c.len(),
            Self::I16(c) => c.len(),
            Self::I32(c) => c.len(),
            Self::I64(c) => c.len(),
            Self::U8(c) => c.len(),
            Self::U32(c) => c.len(),
        }
    }

    #[inline]
    pub(crate) fn at(&self, row: usize) -> usize {
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
pub(crate) struct Interner {
    pub(crate) values: Vec<Option<Vec<u8>>>,
    map: HashMap<Vec<u8>, u32>,
}

const LINEAR_LIMIT: usize = 16;

impl Interner {
    pub(crate) fn new() -> Self {
        Self {
            values: vec![None],
            map: HashMap::new(),
        }
    }

    pub(crate) fn code(&mut self, bytes: &[u8]) -> u32 {
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
pub(crate) struct CodeSink {
    small: Vec<u8>,
    wide: Option<Vec<u32>>,
}

impl CodeSink {
    pub(crate) fn with_capacity(n: usize) -> Self {
        Self {
            small: Vec::with_capacity(n),
            wide: None,
        }
    }

    #[inline(always)]
    pub(crate) fn push(&mut self, code: u32) {
        if self.wide.is_none()
            && let Ok(c) = u8::try_from(code)
        {
            self.small.push(c);
        } else {
            self.push_wide(code);
        }
    }

    /// Pushes `code` for `n` rows.
    fn push_n(&mut self, code: u32, n: usize) {
        match (&mut self.wide, u8::try_from(code)) {
            (None, Ok(c)) => self.small.resize(self.small.len() + n, c),
            _ => (0..n).for_each(|_| self.push_wide(code)),
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

    pub(crate) fn finish(self) -> RowCodes<'static> {
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
        error: vaultra_core::Error::internal(format!("column `{name}`: {what}")),
    }
}

impl<'a> StrView<'a> {
    /// Decodes the column to a code per row (GIL not needed). Categorical codes are read
    /// in place.
    fn decode(self, name: &str) -> Result<Decoded<'a>, RowError> {
        match self {
            Self::Decoded(d) => Ok(d),
            Self::Bytes(_) => Err(malformed(name, "object array not decoded")),
            Self::Views(arrays) => {
                let total = arrays.iter().map(|a| a.len()).sum();
                let mut codes = CodeSink::with_capacity(total);
                let mut interner = Interner::new();
                for a in &arrays {
                    decode_views(a, &mut interner, &mut codes);
                }
                Ok(Decoded {
                    codes: codes.finish(),
                    values: interner.values,
                })
            }
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

/// A direct-mapped cache from short values (as a 128-bit word and a length) to their
/// codes. A row costs a multiply and one comparison that is almost always true, so the
/// loop has no branch that depends on which value a row holds (a `last value` check
/// mispredicts at every change, e.g. 5% of rows in another currency).
struct WordCache {
    slots: [(u128, u32, u32); WordCache::SLOTS],
}

impl WordCache {
    const SLOTS: usize = 64;

    fn new() -> Self {
        // Length `u32::MAX` never matches: every slot starts empty.
        Self {
            slots: [(0, u32::MAX, 0); Self::SLOTS],
        }
    }

    #[inline(always)]
    fn slot(word: u128, len: u32) -> usize {
        let x = (word as u64) ^ ((word >> 64) as u64).rotate_left(29) ^ u64::from(len);
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 58) as usize
    }

    /// The code of the value `bytes` (whose word is `word`), interning it when it is new.
    #[inline(always)]
    fn code(&mut self, word: u128, len: u32, bytes: &[u8], interner: &mut Interner) -> u32 {
        let slot = &mut self.slots[Self::slot(word, len) % Self::SLOTS];
        if slot.0 == word && slot.1 == len {
            return slot.2;
        }
        let code = interner.code(bytes);
        *slot = (word, len, code);
        code
    }
}

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
        && v.len() * 8 < c.null_offset + c.length
    {
        return Err(malformed(name, "Arrow validity bitmap is too short"));
    }
    let data = c.data;
    let at = |k: usize| -> Option<usize> { offsets[k].try_into().ok() };
    if c.validity.is_none()
        && let Some(value) = constant(data, &offsets[c.offset..=end], c.length)
    {
        // One value on every row (`object` is `charge` throughout): checked with a few
        // block comparisons, no per-row work.
        codes.push_n(interner.code(value), c.length);
        return Ok(());
    }
    // Values that start at least 16 bytes before the end of the data are read as one
    // 128-bit word (masked to their length): no call to `memcmp` per row.
    let mut cache = WordCache::new();
    let mut start = match at(c.offset) {
        Some(s) => s,
        None => return Err(malformed(name, "Arrow offsets point outside the data")),
    };
    for k in c.offset..end {
        let stop = match at(k + 1) {
            Some(e) if start <= e && e <= data.len() => e,
            _ => return Err(malformed(name, "Arrow offsets point outside the data")),
        };
        let (s, len) = (start, stop - start);
        start = stop;
        if let Some(v) = c.validity {
            let b = c.null_offset + (k - c.offset);
            if (v[b >> 3] >> (b & 7)) & 1 == 0 {
                codes.push(0);
                continue;
            }
        }
        let code = if len <= 16 && s + 16 <= data.len() {
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&data[s..s + 16]);
            let word = u128::from_le_bytes(bytes) & MASKS[len];
            cache.code(word, len as u32, &data[s..stop], interner)
        } else {
            interner.code(&data[s..stop])
        };
        codes.push(code);
    }
    Ok(())
}

/// The value of every row when all `n` rows (`offsets`: `n + 1` of them) hold the same
/// short value; `None` otherwise (or when it would take long to tell).
fn constant<'d, O: Copy + TryInto<usize>>(
    data: &'d [u8],
    offsets: &[O],
    n: usize,
) -> Option<&'d [u8]> {
    let at = |k: usize| -> Option<usize> { offsets.get(k).copied()?.try_into().ok() };
    let (first, second) = (at(0)?, at(1)?);
    let len = second.checked_sub(first)?;
    if n < 64 || len == 0 || len > 16 {
        return None;
    }
    let value = data.get(first..second)?;
    // Evenly spaced offsets (every value has `len` bytes): a branch-free pass.
    let start = i64::try_from(first).ok()?;
    let step = i64::try_from(len).ok()?;
    let mut bad = 0i64;
    let mut expected = start;
    for &o in offsets {
        let o: usize = o.try_into().ok()?;
        bad |= (o as i64) ^ expected;
        expected += step;
    }
    if bad != 0 {
        return None;
    }
    // The bytes: `value` repeated, compared a block of 64 values at a time.
    let all = data.get(first..first + n * len)?;
    let block: Vec<u8> = value.iter().copied().cycle().take(64 * len).collect();
    let mut blocks = all.chunks_exact(block.len());
    let same = blocks.all(|b| b == block.as_slice())
        && blocks.remainder() == &block[..blocks.remainder().len()];
    same.then_some(value)
}

/// Decodes an Arrow `string_view` array. A value of at most 12 bytes lives inside its
/// 16-byte view (length, then the bytes, zero-padded), so the view itself is the value:
/// such rows are decoded without touching the data buffers.
fn decode_views(a: &StringViewArray, interner: &mut Interner, codes: &mut CodeSink) {
    let views = a.views();
    let nulls = a.nulls();
    let mut cache = WordCache::new();
    for (i, &view) in views.iter().enumerate() {
        if nulls.is_some_and(|n| n.is_null(i)) {
            codes.push(0);
            continue;
        }
        let len = view as u32;
        let code = if len <= 12 {
            let bytes = view.to_le_bytes();
            cache.code(view, 0, &bytes[4..4 + len as usize], interner)
        } else {
            interner.code(a.value(i).as_bytes())
        };
        codes.push(code);
    }
}

/// Frames with at least this many rows are read on several threads.
pub const PARALLEL_MIN_ROWS: usize = 1 << 16;

/// The result of a scoped thread; a panic there continues here.
pub fn join<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    match handle.join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
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

/// The charges of a frame as the core's metric pass reads them: the numeric columns
/// (borrowed from the frame unless some rows had to be dropped), a class code per row and
/// the currencies the codes index.
pub struct Classified<'a> {
    created: Cow<'a, [i64]>,
    amount: Cow<'a, [i64]>,
    refunded: Cow<'a, [i64]>,
    class: Vec<u16>,
    currencies: Vec<Currency>,
    /// The frame row of each kept row, when rows tagged as another object were dropped.
    rows: Option<Vec<usize>>,
}

impl Classified<'_> {
    /// The checked, borrowed view of the core ([`ChargeColumnsRef::new`] checks the
    /// amounts once over whole columns); a bad row is reported by its frame position.
    pub fn view(&self) -> Result<ChargeColumnsRef<'_, u16>, RowError> {
        ChargeColumnsRef::new(
            &self.created,
            &self.amount,
            &self.refunded,
            &self.class,
            &self.currencies,
        )
        .map_err(|e| RowError {
            row: self
                .rows
                .as_ref()
                .and_then(|r| r.get(e.row).copied())
                .unwrap_or(e.row),
            error: e.error,
        })
    }
}

/// Classifies every charge of `inputs`: decodes the string columns, parses each distinct
/// value once, and gives each row its class code (its currency's index when it is a
/// successful charge, "not counted" otherwise). The first bad row stops it.
pub fn classify(inputs: ChargeInputs<'_>) -> Result<Classes<'_>, RowError> {
    let ChargeInputs {
        created,
        amount,
        refunded,
        captured,
        currency,
        status,
        object,
    } = inputs;
    // The string columns are decoded side by side on large frames (each is a pass over
    // its own buffers); the first error in column order wins, as when run one by one.
    let (currency, status, object) = if created.len() >= PARALLEL_MIN_ROWS {
        std::thread::scope(|s| {
            let status = s.spawn(move || status.decode("status"));
            let object = object.map(|o| s.spawn(move || o.decode("object")));
            let currency = currency.decode("currency");
            let status = join(status);
            let object = object.map(join).transpose();
            (currency, status, object)
        })
    } else {
        let currency = currency.decode("currency");
        let status = status.decode("status");
        let object = object.map(|o| o.decode("object")).transpose();
        (currency, status, object)
    };
    let (currency, status, object) = (currency?, status?, object?);

    // Parse each distinct value once; a bad one is reported at the first row using it.
    let missing = |field: &str| vaultra_core::Error::invalid(field, "missing");
    let mut currencies: Vec<Currency> = Vec::new();
    let currency_index: Vec<Result<u16, vaultra_core::Error>> = currency
        .values
        .iter()
        .map(|v| {
            let c = match v {
                None => return Err(missing("currency")),
                Some(b) => Currency::parse(&text(b))?,
            };
            // `USD` and `usd` are one currency: intern the parsed value.
            let i = match currencies.iter().position(|x| *x == c) {
                Some(i) => i,
                None => {
                    currencies.push(c);
                    currencies.len() - 1
                }
            };
            u16::try_from(i)
                .ok()
                .filter(|&i| i < SKIPPED)
                .ok_or_else(|| vaultra_core::Error::invalid_input("too many distinct currencies"))
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
        currencies: &currency_index,
        statuses: &statuses,
        keep: &keep,
    };
    let numbers = Numbers { captured };
    let n = created.len();
    let narrow = (
        currency.codes.narrow(currency.values.len()),
        status.codes.narrow(status.values.len()),
        object.map(|o| o.codes.narrow(o.values.len())),
    );
    let mut class = Vec::with_capacity(n);
    let skipped = match narrow {
        (RowCodes::U8(c), RowCodes::U8(s), None) => {
            classify_narrow(&mut class, &numbers, &tables, &c, &s, None)?
        }
        (RowCodes::U8(c), RowCodes::U8(s), Some(RowCodes::U8(o))) => {
            classify_narrow(&mut class, &numbers, &tables, &c, &s, Some(&o))?
        }
        (c, s, o) => classify_any(&mut class, n, &numbers, &tables, &c, &s, o.as_ref())?,
    };
    Ok(Classes {
        created,
        amount,
        refunded,
        class,
        currencies,
        skipped,
    })
}

/// Classified charges before de-duplication (see [`classify`]).
pub struct Classes<'a> {
    created: &'a [i64],
    amount: &'a [i64],
    refunded: &'a [i64],
    class: Vec<u16>,
    currencies: Vec<Currency>,
    skipped: bool,
}

impl<'a> Classes<'a> {
    /// Whether row `row` is tagged as another object (skipped: it takes no part in
    /// de-duplication either, as in an export).
    pub fn is_skipped(&self, row: usize) -> bool {
        self.skipped && self.class.get(row) == Some(&SKIPPED)
    }

    /// Whether some row is tagged as another object.
    pub fn any_skipped(&self) -> bool {
        self.skipped
    }

    /// The charges to count: rows a later row with the same id replaces are checked but
    /// not counted; rows tagged as another object are dropped (and not checked), which
    /// copies the other rows.
    pub fn finish(mut self, superseded: Option<&[bool]>) -> Classified<'a> {
        if let Some(superseded) = superseded {
            for (k, _) in self
                .class
                .iter_mut()
                .zip(superseded)
                .filter(|(k, s)| **s && **k != SKIPPED)
            {
                *k = u16::NOT_COUNTED;
            }
        }
        let Self {
            created,
            amount,
            refunded,
            class,
            currencies,
            skipped,
        } = self;
        if !skipped {
            return Classified {
                created: Cow::Borrowed(created),
                amount: Cow::Borrowed(amount),
                refunded: Cow::Borrowed(refunded),
                class,
                currencies,
                rows: None,
            };
        }
        let rows: Vec<usize> = class
            .iter()
            .enumerate()
            .filter(|(_, k)| **k != SKIPPED)
            .map(|(i, _)| i)
            .collect();
        let pick = |col: &[i64]| -> Vec<i64> { rows.iter().map(|&r| col[r]).collect() };
        Classified {
            created: Cow::Owned(pick(created)),
            amount: Cow::Owned(pick(amount)),
            refunded: Cow::Owned(pick(refunded)),
            class: rows.iter().map(|&r| class[r]).collect(),
            currencies,
            rows: Some(rows),
        }
    }
}

/// The class code of a row tagged as another object (dropped before the view is built).
const SKIPPED: u16 = u16::NOT_COUNTED - 1;

/// The optional numeric column the classification reads.
struct Numbers<'a> {
    captured: Option<&'a [bool]>,
}

/// What each distinct value of the string columns means.
struct Tables<'t> {
    currencies: &'t [Result<u16, vaultra_core::Error>],
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
/// byte, so the loop is branch-free and has no bounds checks on them. Returns whether
/// some row was tagged as another object.
fn classify_narrow(
    class: &mut Vec<u16>,
    numbers: &Numbers<'_>,
    tables: &Tables<'_>,
    currency: &[u8],
    status: &[u8],
    object: Option<&[u8]>,
) -> Result<bool, RowError> {
    let mut keep = [true; 256];
    if object.is_some() {
        keep = [false; 256];
        for (k, v) in keep.iter_mut().zip(tables.keep) {
            *k = *v;
        }
    }
    // A bad value (null, unknown) stops the load at the first kept row that uses it.
    let mut bad_currency = [false; 256];
    let mut currency_class = [0u16; 256];
    for ((b, k), c) in bad_currency
        .iter_mut()
        .zip(&mut currency_class)
        .zip(tables.currencies)
    {
        match c {
            Ok(c) => *k = *c,
            Err(_) => *b = true,
        }
    }
    let mut bad_status = [false; 256];
    // Whether a charge with each status is successful, captured or not: the rule stays in
    // the core (`is_successful`).
    let mut successful = [[false; 256]; 2];
    for (i, s) in tables.statuses.iter().enumerate() {
        match s {
            Ok(s) => {
                successful[0][i] = is_successful(*s, false);
                successful[1][i] = is_successful(*s, true);
            }
            Err(_) => bad_status[i] = true,
        }
    }
    let n = currency.len();
    let status = &status[..n];
    let row_class = |c: u8, s: u8, captured: bool, kept: bool| -> (u16, bool) {
        let (c, s) = (usize::from(c), usize::from(s));
        let bad = kept & (bad_currency[c] | bad_status[s]);
        let counted = successful[usize::from(captured)][s];
        let k = if !kept {
            SKIPPED
        } else if counted {
            currency_class[c]
        } else {
            u16::NOT_COUNTED
        };
        (k, bad)
    };
    let mut any_bad = false;
    let mut any_skipped = false;
    // Specialized per optional column so the common frame (no object tags other than
    // `charge`, captured given or not) runs a tight loop.
    match (object, numbers.captured) {
        (None, None) => class.extend(currency.iter().zip(status).map(|(&c, &s)| {
            let (k, bad) = row_class(c, s, true, true);
            any_bad |= bad;
            k
        })),
        (None, Some(cap)) => {
            let cap = &cap[..n];
            class.extend(currency.iter().zip(status).zip(cap).map(|((&c, &s), &p)| {
                let (k, bad) = row_class(c, s, p, true);
                any_bad |= bad;
                k
            }))
        }
        (Some(o), cap) => {
            let o = &o[..n];
            class.extend((0..n).map(|row| {
                let kept = keep[usize::from(o[row])];
                let p = cap.is_none_or(|c| c[row]);
                let (k, bad) = row_class(currency[row], status[row], p, kept);
                any_bad |= bad;
                any_skipped |= !kept;
                k
            }))
        }
    }
    if any_bad {
        // Find and report the first bad row (the rare path).
        for row in 0..n {
            let kept = object.is_none_or(|o| keep[usize::from(o[row])]);
            let (c, s) = (usize::from(currency[row]), usize::from(status[row]));
            if kept && (bad_currency[c] || bad_status[s]) {
                let error = match (&tables.currencies[c], &tables.statuses[s]) {
                    (Err(e), _) | (_, Err(e)) => e.clone(),
                    _ => vaultra_core::Error::internal("a bad value that is not"),
                };
                return Err(RowError { row, error });
            }
        }
    }
    Ok(any_skipped)
}

/// The general loop: any code width, every row checked.
fn classify_any(
    class: &mut Vec<u16>,
    n: usize,
    numbers: &Numbers<'_>,
    tables: &Tables<'_>,
    currency: &RowCodes<'_>,
    status: &RowCodes<'_>,
    object: Option<&RowCodes<'_>>,
) -> Result<bool, RowError> {
    let fail = |row: usize| {
        move |error: &vaultra_core::Error| RowError {
            row,
            error: error.clone(),
        }
    };
    let mut skipped = false;
    for row in 0..n {
        if let Some(o) = object
            && !*lookup(tables.keep, o, row, "object")?
        {
            class.push(SKIPPED);
            skipped = true;
            continue;
        }
        let currency = lookup(tables.currencies, currency, row, "currency")?
            .as_ref()
            .map_err(fail(row))?;
        let status = lookup(tables.statuses, status, row, "status")?
            .as_ref()
            .map_err(fail(row))?;
        let captured = numbers.captured.is_none_or(|c| c[row]);
        class.push(if is_successful(*status, captured) {
            *currency
        } else {
            u16::NOT_COUNTED
        });
    }
    Ok(skipped)
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
