//! De-duplication of DataFrame rows by Stripe id: a later row with the same id replaces
//! an earlier one, as in every other ingestion path (`files::Loader`, the stores' upserts).
//!
//! Ids are hashed to 64 bits and only rows whose hashes meet are compared byte for byte,
//! so the common case (every id distinct) costs one hash and a few sequential passes per
//! row. Categorical ids are already distinct values: their codes are compared directly.

use std::collections::HashSet;

use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::columns::{CodeSlice, StrView};

/// A fast, non-cryptographic hash of an id (collisions are resolved by comparing bytes);
/// fixed-seeded, so a run is reproducible. Its top bits pick the partition, its low bits
/// the slot, so it must mix both well (foldhash's quality variant does).
fn hash(bytes: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x0076_6175_6c74_7261).hash_one(bytes)
}

/// Which of `n` rows a later row with the same id replaces; `id(row)` is the row's id
/// bytes, `None` for a row without one (never replaced).
///
/// A million distinct ids do not fit a cache-resident hash table, and a table that does
/// not fit costs a cache miss per row. So the rows are first partitioned by the top bits
/// of their hash (a stable counting sort, two sequential passes), and each partition —
/// about a thousand rows — is de-duplicated in a small table that stays in L1. Rows whose
/// hashes meet are compared byte for byte, so the result is exact.
fn superseded_by<'a>(n: usize, id: impl Fn(usize) -> Option<&'a [u8]>) -> Vec<bool> {
    let mut out = vec![false; n];
    // Rows without an id are never replaced and replace nothing.
    let keyed: Vec<(u64, usize)> = (0..n)
        .filter_map(|row| Some((hash(id(row)?), row)))
        .collect();
    if keyed.len() < 2 {
        return out;
    }
    let bits = (usize::BITS - (keyed.len() / 1024).leading_zeros()).clamp(1, 16);
    let bucket = |h: u64| (h >> (64 - bits)) as usize;
    let mut starts = vec![0usize; (1 << bits) + 1];
    for &(h, _) in &keyed {
        starts[bucket(h) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut next = starts.clone();
    let mut sorted = vec![(0u64, 0usize); keyed.len()];
    for &entry in &keyed {
        let b = bucket(entry.0);
        sorted[next[b]] = entry;
        next[b] += 1;
    }
    drop(keyed);
    let mut table: Vec<u32> = Vec::new();
    for b in 0..(1usize << bits) {
        let part = &sorted[starts[b]..starts[b + 1]];
        if part.len() < 2 {
            continue;
        }
        // Open addressing over indices into `part` (+1; 0 is empty), sized to stay sparse.
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
                if other_hash == h && id(other_row) == id(row) {
                    out[row] = true;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
    }
    out
}

/// Which rows of an id column a later row with the same id replaces. Object arrays need
/// the GIL (reading a `str`); a value that is not a string is treated as no id.
pub fn superseded(
    py: Python<'_>,
    ids: &StrView<'_>,
    skip: impl Fn(usize) -> bool + Sync,
) -> Vec<bool> {
    match ids {
        StrView::Objects(objects) => superseded_by(objects.len(), |row| {
            if skip(row) {
                return None;
            }
            let s = objects[row].cast_bound::<PyString>(py).ok()?;
            s.to_str().ok().map(str::as_bytes)
        }),
        other => superseded_detached(other, skip),
    }
}

/// [`superseded`] for the encodings read without the GIL (codes, Arrow buffers); an
/// object array gives no rows.
pub fn superseded_detached(ids: &StrView<'_>, skip: impl Fn(usize) -> bool + Sync) -> Vec<bool> {
    match ids {
        StrView::Codes { codes, .. } => {
            // Categories are distinct, so equal ids are equal codes.
            fn by_code<T: Copy + Into<i64>>(
                codes: &[T],
                skip: impl Fn(usize) -> bool,
            ) -> Vec<bool> {
                let mut out = vec![false; codes.len()];
                let mut seen: HashSet<i64> = HashSet::new();
                let top = codes.iter().map(|&c| c.into()).max().unwrap_or(-1);
                let mut bits = vec![false; usize::try_from(top + 1).unwrap_or(0)];
                for row in (0..codes.len()).rev() {
                    let c: i64 = codes[row].into();
                    if c < 0 || skip(row) {
                        continue; // null, or not a charge
                    }
                    match bits.get_mut(c as usize) {
                        Some(b) => {
                            out[row] = *b;
                            *b = true;
                        }
                        None => out[row] = !seen.insert(c),
                    }
                }
                out
            }
            match codes {
                CodeSlice::I8(c) => by_code(c, &skip),
                CodeSlice::I16(c) => by_code(c, &skip),
                CodeSlice::I32(c) => by_code(c, &skip),
                CodeSlice::I64(c) => by_code(c, &skip),
            }
        }
        StrView::Arrow(chunks) => {
            let mut starts = Vec::with_capacity(chunks.len());
            let mut total = 0;
            for c in chunks {
                starts.push(total);
                total += c.len();
            }
            superseded_by(total, |row| {
                if skip(row) {
                    return None;
                }
                let chunk = starts.partition_point(|&s| s <= row).checked_sub(1)?;
                chunks[chunk].value(row - starts[chunk])
            })
        }
        StrView::Objects(_) | StrView::Decoded(_) => Vec::new(),
    }
}
