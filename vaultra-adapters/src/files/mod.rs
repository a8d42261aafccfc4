//! Stripe export folders: `charges.json`, `payouts.json`, `disputes.json`, `events.json`,
//! and the Dashboard's CSV exports `unified_payments.csv` (or `payments.csv`),
//! `payouts.csv`, `disputes.csv` ([`csv_export`]), read after the JSON files.
//!
//! Each JSON file is a JSON array of Stripe objects or a Stripe list object
//! (`{"object": "list", "data": [...]}`); a missing file is empty. Files are streamed
//! object by object through a buffered reader, so a folder of hundreds of megabytes is
//! never held in memory as text — only the few fields the metrics need are kept.
//!
//! An object that appears twice (overlapping exports) is counted once: the later one in
//! file order is taken as the newer state, as a store's upsert by Stripe id would.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use vaultra_core::domain::PaymentData;
use vaultra_core::domain::stripe::{Kind, Normalized, StripeObject};
use vaultra_core::ports::{Ingest, IngestBatch};

pub mod csv_export;

pub use csv_export::CSV_FILES;

/// The files of an export folder and the kind of object each holds.
pub const EXPORT_FILES: [(&str, Kind); 4] = [
    ("charges.json", Kind::Charge),
    ("payouts.json", Kind::Payout),
    ("disputes.json", Kind::Dispute),
    ("events.json", Kind::Event),
];

/// Why an export could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The folder does not exist or is not a folder.
    #[error("{path}: {reason}")]
    Folder {
        /// The folder given.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file is not valid JSON, not an array or list object, or a field has the wrong type.
    #[error("{path}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What the parser said, with the object's position and the field's path.
        message: String,
    },
    /// A CSV export has a bad cell, a missing column or a malformed row.
    #[error("{path}: row {row}{}: {message}", column.as_deref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    Csv {
        /// The file.
        path: PathBuf,
        /// The row, counting the header as row 1 (as a spreadsheet shows it).
        row: u64,
        /// The column's header, when one cell is at fault.
        column: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// An object is well-formed JSON but not a valid Stripe object (a field is missing or
    /// out of range).
    #[error("{path}: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The domain error, naming the object id and field.
        source: vaultra_core::Error,
    },
}

/// Bad files are invalid input and unreadable ones unavailable (not retryable: the
/// same read fails again); the files error stays the cause, with its I/O error.
impl From<FilesError> for vaultra_core::Error {
    fn from(e: FilesError) -> Self {
        match e {
            FilesError::Invalid { path, source } => source.in_context(path.display().to_string()),
            FilesError::Folder { .. } | FilesError::Json { .. } | FilesError::Csv { .. } => {
                vaultra_core::Error::invalid_input(e.to_string()).with_source(e)
            }
            FilesError::Io { .. } => {
                vaultra_core::Error::unavailable(e.to_string(), false).with_source(e)
            }
        }
    }
}

/// Reads a whole export folder into [`PaymentData`].
pub fn load_export(dir: impl AsRef<Path>) -> Result<PaymentData, FilesError> {
    let mut loader = Loader::default();
    read_folder(dir.as_ref(), &mut loader)?;
    Ok(loader.finish())
}

/// Reads a whole export folder into one [`IngestBatch`] for a store, keeping each
/// object's raw JSON. Objects repeated in the export are collapsed (the later wins).
pub fn read_batch(dir: impl AsRef<Path>) -> Result<IngestBatch, FilesError> {
    let mut collector = BatchCollector::default();
    read_folder(dir.as_ref(), &mut collector)?;
    Ok(collector.finish())
}

/// Where parsed objects go.
trait Sink {
    /// Whether the sink keeps raw JSON (costs a second parse per object).
    const RAW: bool;
    fn add(
        &mut self,
        object: Normalized,
        raw: Option<serde_json::Value>,
    ) -> Result<(), vaultra_core::Error>;
}

fn read_folder(dir: &Path, sink: &mut impl Sink) -> Result<(), FilesError> {
    let meta = std::fs::metadata(dir).map_err(|e| FilesError::Folder {
        path: dir.to_owned(),
        reason: match e.kind() {
            std::io::ErrorKind::NotFound => "no such folder".to_owned(),
            _ => e.to_string(),
        },
    })?;
    if !meta.is_dir() {
        return Err(FilesError::Folder {
            path: dir.to_owned(),
            reason: "not a folder".to_owned(),
        });
    }
    for (name, kind) in EXPORT_FILES {
        let path = dir.join(name);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(source) => return Err(FilesError::Io { path, source }),
        };
        read_into(BufReader::with_capacity(1 << 20, file), kind, &path, sink)?;
    }
    for (name, kind) in CSV_FILES {
        csv_export::read_csv_file(&dir.join(name), kind, sink)?;
    }
    Ok(())
}

fn read_into(
    reader: impl Read,
    kind: Kind,
    name: &Path,
    sink: &mut impl Sink,
) -> Result<(), FilesError> {
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut state = State {
        sink,
        kind,
        failure: None,
        index: 0,
    };
    let result = (&mut de)
        .deserialize_any(TopLevel(&mut state))
        .and_then(|()| de.end());
    if let Some(source) = state.failure {
        return Err(FilesError::Invalid {
            path: name.to_owned(),
            source,
        });
    }
    result.map_err(|e| FilesError::Json {
        path: name.to_owned(),
        message: e.to_string(),
    })
}

/// Collects objects with their raw JSON into an [`IngestBatch`], de-duplicated by id.
#[derive(Debug, Default)]
struct BatchCollector {
    batch: IngestBatch,
    charges: HashMap<String, usize>,
    payouts: HashMap<String, usize>,
    disputes: HashMap<String, usize>,
}

fn upsert<T>(
    list: &mut Vec<Ingest<T>>,
    index: &mut HashMap<String, usize>,
    id: &str,
    item: Ingest<T>,
) {
    match index.get(id) {
        Some(&i) => list[i] = item,
        None => {
            index.insert(id.to_owned(), list.len());
            list.push(item);
        }
    }
}

impl BatchCollector {
    fn finish(self) -> IngestBatch {
        self.batch
    }
}

impl Sink for BatchCollector {
    const RAW: bool = true;
    fn add(
        &mut self,
        object: Normalized,
        raw: Option<serde_json::Value>,
    ) -> Result<(), vaultra_core::Error> {
        let b = &mut self.batch;
        match object {
            Normalized::Charge(c) => {
                let id = c.id.clone();
                upsert(
                    &mut b.charges,
                    &mut self.charges,
                    &id,
                    Ingest { object: c, raw },
                );
            }
            Normalized::Payout(p) => {
                let id = p.id.clone();
                upsert(
                    &mut b.payouts,
                    &mut self.payouts,
                    &id,
                    Ingest { object: p, raw },
                );
            }
            Normalized::Dispute(d) => {
                let id = d.id.clone();
                upsert(
                    &mut b.disputes,
                    &mut self.disputes,
                    &id,
                    Ingest { object: d, raw },
                );
            }
            Normalized::PayoutPaid(e) => b.payout_paid.push(e),
        }
        Ok(())
    }
}

impl Sink for Loader {
    const RAW: bool = false;
    fn add(
        &mut self,
        object: Normalized,
        _raw: Option<serde_json::Value>,
    ) -> Result<(), vaultra_core::Error> {
        self.add_object(object)
    }
}

/// Reads one file's worth of objects of `kind` from any reader into `data`-to-be.
///
/// Exposed for callers that hold exports elsewhere than in a folder (an upload, a pipe).
#[derive(Debug, Default)]
pub struct Loader {
    data: PaymentData,
    charge_index: HashMap<String, usize>,
    payout_index: HashMap<String, usize>,
    dispute_index: HashMap<String, usize>,
}

impl Loader {
    /// Streams the objects of one file. `name` is used in error messages only.
    pub fn read(&mut self, reader: impl Read, kind: Kind, name: &Path) -> Result<(), FilesError> {
        read_into(reader, kind, name, self)
    }

    /// Streams every file of an export folder (see [`load_export`]) into this loader.
    pub fn read_folder(&mut self, dir: impl AsRef<Path>) -> Result<(), FilesError> {
        read_folder(dir.as_ref(), self)
    }

    /// The data read so far.
    pub fn data(&self) -> &PaymentData {
        &self.data
    }

    /// The data read so far, for adding objects that need no de-duplication (e.g. rows
    /// already unique by construction); objects added here are not indexed by id.
    pub fn data_mut(&mut self) -> &mut PaymentData {
        &mut self.data
    }

    /// The data read so far.
    pub fn finish(self) -> PaymentData {
        self.data
    }

    /// Adds one normalized object from any source, replacing an earlier object with the
    /// same Stripe id (the newer state), as a store's upsert does.
    pub fn add_object(&mut self, object: Normalized) -> Result<(), vaultra_core::Error> {
        match object {
            Normalized::Charge(c) => match self.charge_index.get(&c.id) {
                Some(&i) => self
                    .data
                    .charges
                    .replace(i, &c)
                    .map_err(|e| e.in_context(format!("charge {}", c.id))),
                None => {
                    let i = self.data.charges.len();
                    self.data.add_charge(&c)?;
                    self.charge_index.insert(c.id, i);
                    Ok(())
                }
            },
            Normalized::Payout(p) => {
                match self.payout_index.get(&p.id) {
                    Some(&i) => self.data.payouts[i] = p,
                    None => {
                        self.payout_index
                            .insert(p.id.clone(), self.data.payouts.len());
                        self.data.add_payout(p);
                    }
                }
                Ok(())
            }
            Normalized::Dispute(d) => {
                match self.dispute_index.get(&d.id) {
                    Some(&i) => self.data.disputes[i] = d,
                    None => {
                        self.dispute_index
                            .insert(d.id.clone(), self.data.disputes.len());
                        self.data.add_dispute(d);
                    }
                }
                Ok(())
            }
            Normalized::PayoutPaid(e) => {
                self.data.add_payout_paid(&e);
                Ok(())
            }
        }
    }
}

struct State<'a, S> {
    sink: &'a mut S,
    kind: Kind,
    failure: Option<vaultra_core::Error>,
    index: usize,
}

/// Accepts a JSON array of objects, or a list object whose `data` is that array.
struct TopLevel<'s, 'a, S>(&'s mut State<'a, S>);

impl<'de, S: Sink> Visitor<'de> for TopLevel<'_, '_, S> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of Stripe objects or a Stripe list object")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Element(self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut saw_data = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "data" {
                map.next_value_seed(DataArray(&mut *self.0))?;
                saw_data = true;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if saw_data {
            Ok(())
        } else {
            Err(de::Error::custom(
                "expected a JSON array or a Stripe list object with a `data` array",
            ))
        }
    }
}

struct DataArray<'s, 'a, S>(&'s mut State<'a, S>);

impl<'de, S: Sink> DeserializeSeed<'de> for DataArray<'_, '_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        struct V<'s, 'a, S>(&'s mut State<'a, S>);
        impl<'de, S: Sink> Visitor<'de> for V<'_, '_, S> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of Stripe objects in `data`")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element_seed(Element(self.0))?.is_some() {}
                Ok(())
            }
        }
        d.deserialize_seq(V(self.0))
    }
}

/// One object: parsed leniently, normalized, and handed to the loader.
struct Element<'s, 'a, S>(&'s mut State<'a, S>);

impl<'de, S: Sink> DeserializeSeed<'de> for Element<'_, '_, S> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let state = self.0;
        state.index += 1;
        let index = state.index;
        let name_error = |e: &dyn fmt::Display| de::Error::custom(format!("object #{index}: {e}"));
        let (object, raw) = if S::RAW {
            let raw = serde_json::Value::deserialize(d).map_err(|e| name_error(&e))?;
            let object = StripeObject::deserialize(&raw).map_err(|e| name_error(&e))?;
            (object, Some(raw))
        } else {
            (
                StripeObject::deserialize(d).map_err(|e| name_error(&e))?,
                None,
            )
        };
        let result = object
            .normalize(state.kind)
            .and_then(|n| n.map_or(Ok(()), |n| state.sink.add(n, raw)));
        if let Err(e) = result {
            state.failure = Some(e);
            return Err(de::Error::custom("invalid object"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(json: &str, kind: Kind) -> Result<PaymentData, FilesError> {
        let mut l = Loader::default();
        l.read(json.as_bytes(), kind, Path::new("test.json"))?;
        Ok(l.finish())
    }

    const CHARGE: &str = r#"{"id":"ch_1","object":"charge","created":86400,"amount":100,
        "amount_refunded":0,"currency":"usd","status":"succeeded","captured":true}"#;

    #[test]
    fn array_and_list_object_are_equivalent() {
        let a = load(&format!("[{CHARGE}]"), Kind::Charge).unwrap();
        let b = load(
            &format!(
                r#"{{"object":"list","url":"/v1/charges","has_more":false,"data":[{CHARGE}]}}"#
            ),
            Kind::Charge,
        )
        .unwrap();
        assert_eq!(a.charges.len(), 1);
        assert_eq!(b.charges.len(), 1);
    }

    #[test]
    fn duplicates_keep_the_later_state() {
        let refunded = CHARGE.replace(r#""amount_refunded":0"#, r#""amount_refunded":100"#);
        let d = load(&format!("[{CHARGE},{refunded}]"), Kind::Charge).unwrap();
        assert_eq!(d.charges.len(), 1);
    }

    #[test]
    fn type_errors_name_the_object_and_field() {
        let bad = CHARGE.replace(r#""amount":100"#, r#""amount":"100""#);
        let err = load(&format!("[{CHARGE},{bad}]"), Kind::Charge).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("object #2") && msg.contains("field `amount`"),
            "{msg}"
        );
    }

    #[test]
    fn missing_fields_name_the_id() {
        let bad = CHARGE.replace(r#""currency":"usd","#, "");
        let err = load(&format!("[{bad}]"), Kind::Charge).unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.json: charge ch_1: field `currency`: missing"
        );
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(load("[{", Kind::Charge).is_err());
        assert!(load("[] trailing", Kind::Charge).is_err());
        assert!(load(r#"{"object":"list"}"#, Kind::Charge).is_err());
        assert!(load("42", Kind::Charge).is_err());
    }

    #[test]
    fn missing_folder_is_an_error() {
        let err = load_export("/definitely/not/here").unwrap_err();
        assert!(err.to_string().contains("no such folder"), "{err}");
    }
}
