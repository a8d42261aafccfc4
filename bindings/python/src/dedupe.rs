//! De-duplication of DataFrame rows by Stripe id: a later row with the same id replaces
//! an earlier one, as in every other ingestion path (`files::Loader`, the stores' upserts).
//!
//! Runs without the GIL over any id encoding ([`StrView`]). Three ways, cheapest first:
//!
//! - categorical (or Arrow dictionary) ids are distinct values, so their codes are
//!   compared directly;
//! - ids in strictly increasing order (a frame sorted by id, e.g. read from a table keyed
//!   by id) are distinct: one sequential comparison of neighbours proves it, and stops at
//!   the first pair out of order;
//! - otherwise ids are hashed to 64 bits and only rows whose hashes meet are compared byte
//!   for byte, so the result is exact; the hashing and the tables run on two threads on
//!   large frames.

use std::collections::HashSet;

use arrow_array::{Array, StringViewArray};

use crate::columns::{CodeSlice, PARALLEL_MIN_ROWS, RowError, StrView, join};

/// A fast, non-cryptographic hash of an id (collisions are resolved by comparing bytes);
/// fixed-seeded, so a run is reproducible. Its top bits pick the partition, its low bits
/// the slot, so it must mix both well (foldhash's quality variant does).
fn hash(bytes: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x0076_6175_6c74_7261).hash_one(bytes)
}

/// Row-by-row access to the ids of a string column.
enum Access<'v, 'a> {
    /// Arrow string chunks and the first row of each.
    Chunks(&'v [crate::columns::ChunkView<'a>], Vec<usize>),
    /// Arrow `string_view` chunks and the first row of each.
    Views(&'v [&'a StringViewArray], Vec<usize>),
    /// Bytes per row.
    Bytes(&'v [Option<&'a [u8]>]),
}

fn starts(lens: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut total = 0;
    lens.map(|len| {
        let start = total;
        total += len;
        start
    })
    .collect()
}

impl<'v, 'a> Access<'v, 'a> {
    fn len(&self) -> usize {
        match self {
            Self::Chunks(c, s) => s.last().map_or(0, |&l| l + c.last().map_or(0, |c| c.len())),
            Self::Views(v, s) => s.last().map_or(0, |&l| l + v.last().map_or(0, |v| v.len())),
            Self::Bytes(b) => b.len(),
        }
    }

    /// The id of `row`, `None` when it has none.
    #[inline]
    fn get(&self, row: usize) -> Option<&'a [u8]> {
        match self {
            Self::Chunks(chunks, starts) => {
                if chunks.len() == 1 {
                    return chunks[0].value(row);
                }
                let i = starts.partition_point(|&s| s <= row).checked_sub(1)?;
                chunks[i].value(row - starts[i])
            }
            Self::Views(arrays, starts) => {
                let i = starts.partition_point(|&s| s <= row).checked_sub(1)?;
                let (a, k) = (arrays[i], row - starts[i]);
                a.is_valid(k).then(|| a.value(k).as_bytes())
            }
            Self::Bytes(b) => b[row],
        }
    }
}

/// Which rows of an id column a later row with the same id replaces; `None` when no row
/// is replaced. Rows for which `skip(row)` holds (tagged as another object) and rows
/// without an id take no part.
pub fn superseded(
    ids: &StrView<'_>,
    skip: &(dyn Fn(usize) -> bool + Sync),
) -> Result<Option<Vec<bool>>, RowError> {
    let access = match ids {
        StrView::Codes { codes, .. } => {
            return Ok(match codes {
                CodeSlice::I8(c) => by_code(c, skip),
                CodeSlice::I16(c) => by_code(c, skip),
                CodeSlice::I32(c) => by_code(c, skip),
                CodeSlice::I64(c) => by_code(c, skip),
            });
        }
        StrView::Decoded(d) => {
            // Interned values: equal ids are equal codes (0 is null, hence the shift).
            let codes: Vec<i64> = (0..d.codes.len())
                .map(|r| d.codes.at(r) as i64 - 1)
                .collect();
            return Ok(by_code(&codes, skip));
        }
        StrView::Arrow(chunks) => Access::Chunks(chunks, starts(chunks.iter().map(|c| c.len()))),
        StrView::Views(arrays) => Access::Views(arrays, starts(arrays.iter().map(|a| a.len()))),
        StrView::Bytes(bytes) => Access::Bytes(bytes),
    };
    let n = access.len();
    if n > u32::MAX as usize {
        return Err(RowError {
            row: 0,
            error: vaultra_core::Error::invalid_input(
                "more than 4,294,967,295 charges in one frame: pass dedupe=False or split it",
            ),
        });
    }
    if increasing(&access, n, skip) {
        return Ok(None);
    }
    Ok(by_hash(&access, n, skip))
}

/// Whether the ids of the rows taking part are in strictly increasing byte order (and so
/// distinct). Stops at the first pair out of order, so unsorted ids cost a few rows.
fn increasing(access: &Access<'_, '_>, n: usize, skip: &(dyn Fn(usize) -> bool + Sync)) -> bool {
    let mut previous: Option<&[u8]> = None;
    for row in 0..n {
        if skip(row) {
            continue;
        }
        let Some(id) = access.get(row) else { continue };
        if previous.is_some_and(|p| p >= id) {
            return false;
        }
        previous = Some(id);
    }
    true
}

/// De-duplication by code (categories are distinct values).
fn by_code<T: Copy + Into<i64>>(codes: &[T], skip: &dyn Fn(usize) -> bool) -> Option<Vec<bool>> {
    let mut out = vec![false; codes.len()];
    let mut any = false;
    let mut seen: HashSet<i64> = HashSet::new();
    let top = codes.iter().map(|&c| c.into()).max().unwrap_or(-1);
    let mut bits = vec![false; usize::try_from(top + 1).unwrap_or(0).min(1 << 26)];
    for row in (0..codes.len()).rev() {
        let c: i64 = codes[row].into();
        if c < 0 || skip(row) {
            continue; // null, or not a charge
        }
        let replaced = match bits.get_mut(c as usize) {
            Some(b) => std::mem::replace(b, true),
            None => !seen.insert(c),
        };
        out[row] = replaced;
        any |= replaced;
    }
    any.then_some(out)
}

/// No id (or not taking part); a real hash of 0 becomes 1.
const NO_ID: u64 = 0;

/// De-duplication by hash.
///
/// A million distinct ids do not fit a cache-resident hash table, and a table that does
/// not fit costs a cache miss per row. So the rows are first partitioned by the top bits
/// of their hash (a counting sort, two sequential passes), and each partition — about a
/// thousand rows — is de-duplicated in a small table that stays in L1. Rows whose hashes
/// meet are compared byte for byte, so the result is exact. Hashing and the partitions
/// are split over two threads on large frames.
fn by_hash(
    access: &Access<'_, '_>,
    n: usize,
    skip: &(dyn Fn(usize) -> bool + Sync),
) -> Option<Vec<bool>> {
    let parallel = n >= PARALLEL_MIN_ROWS;
    let mut hashes = vec![NO_ID; n];
    let fill = |first: usize, out: &mut [u64]| {
        for (i, h) in out.iter_mut().enumerate() {
            let row = first + i;
            if !skip(row)
                && let Some(id) = access.get(row)
            {
                *h = hash(id).max(1);
            }
        }
    };
    if parallel {
        let (a, b) = hashes.split_at_mut(n / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| fill(n / 2, b));
            fill(0, a);
            join(other);
        });
    } else {
        fill(0, &mut hashes);
    }
    let keyed = hashes.iter().filter(|&&h| h != NO_ID).count();
    if keyed < 2 {
        return None;
    }
    let bits = (usize::BITS - (keyed / 1024).leading_zeros()).clamp(1, 16);
    let bucket = |h: u64| (h >> (64 - bits)) as usize;
    let mut starts = vec![0usize; (1 << bits) + 1];
    for &h in &hashes {
        if h != NO_ID {
            starts[bucket(h) + 1] += 1;
        }
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    // (low 32 bits of the hash, row): 8 bytes an entry, rows in order within a partition.
    let mut next = starts.clone();
    let mut sorted = vec![(0u32, 0u32); keyed];
    for (row, &h) in hashes.iter().enumerate() {
        if h != NO_ID {
            let b = bucket(h);
            sorted[next[b]] = (h as u32, row as u32);
            next[b] += 1;
        }
    }
    drop(hashes);
    let partitions = 1usize << bits;
    let dedupe = |range: std::ops::Range<usize>| -> Vec<u32> {
        let mut replaced = Vec::new();
        let mut table: Vec<u32> = Vec::new();
        for b in range {
            let part = &sorted[starts[b]..starts[b + 1]];
            if part.len() < 2 {
                continue;
            }
            // Open addressing over indices into `part` (+1; 0 is empty), kept sparse.
            let size = (part.len() * 2).next_power_of_two();
            table.clear();
            table.resize(size, 0);
            let mask = size - 1;
            // From the last row back: the first time an id is met is its latest row.
            for (i, &(h, row)) in part.iter().enumerate().rev() {
                let mut slot = (h as usize) & mask;
                loop {
                    let at = table[slot];
                    if at == 0 {
                        table[slot] = i as u32 + 1;
                        break;
                    }
                    let (other_hash, other_row) = part[at as usize - 1];
                    if other_hash == h && access.get(other_row as usize) == access.get(row as usize)
                    {
                        replaced.push(row);
                        break;
                    }
                    slot = (slot + 1) & mask;
                }
            }
        }
        replaced
    };
    let replaced = if parallel {
        let half = partitions / 2;
        std::thread::scope(|s| {
            let other = s.spawn(|| dedupe(half..partitions));
            let mut replaced = dedupe(0..half);
            replaced.extend(join(other));
            replaced
        })
    } else {
        dedupe(0..partitions)
    };
    if replaced.is_empty() {
        return None;
    }
    let mut out = vec![false; n];
    for row in replaced {
        out[row as usize] = true;
    }
    Some(out)
}
