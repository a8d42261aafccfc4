//! Stripe Dashboard CSV exports: `unified_payments.csv` (or `payments.csv`),
//! `payouts.csv`, `disputes.csv`.
//!
//! Each row becomes a [`StripeObject`] and goes through the same normalization and the
//! same sink (de-duplication by id, raw kept for a store) as an object of a JSON export,
//! so a CSV folder and a JSON folder of the same data give the same report. The raw JSON
//! kept for a row is the row itself (column → cell), which is what Stripe sent.
//!
//! Columns are found by header name, case-insensitively, in any order; unknown columns
//! are ignored. The names are the Dashboard's (`id`, `Created date (UTC)`, `Amount`,
//! `Amount Refunded`, `Currency`, `Captured`, `Status` for payments; `id`, `Amount`,
//! `Created (UTC)`, `Currency`, `Arrival Date (UTC)`, `Status` for payouts), with a few
//! aliases. The disputes export's names could not be checked against a real export,
//! so the likely spellings are all accepted (`Dispute ID`, `Charge ID`, `Disputed
//! Amount`, …). Amounts are in major units (`1,234.50`), converted exactly with the
//! currency's exponent; times are UTC (`2026-07-10 18:37:41`, `2026-07-10 00:18`,
//! RFC 3339, or unix seconds). The Dashboard's payment statuses (`Paid`, `Refunded`,
//! `Partially refunded`, `Disputed`, `Uncaptured`, `Failed`, `Blocked`, …) are mapped to
//! the API's (`succeeded`, `pending`, `failed`).
//!
//! Any bad cell stops the read with an error naming the file, the row (the header is
//! row 1, as a spreadsheet shows it) and the column.

use std::collections::HashMap;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};
use vaultra_core::domain::Currency;
use vaultra_core::domain::stripe::{IdOrObject, Kind, StripeObject};

use super::{FilesError, Sink};

/// The CSV files of an export folder and the kind of object each holds.
pub const CSV_FILES: [(&str, Kind); 4] = [
    ("unified_payments.csv", Kind::Charge),
    ("payments.csv", Kind::Charge),
    ("payouts.csv", Kind::Payout),
    ("disputes.csv", Kind::Dispute),
];

/// A field of the Stripe object and the headers it may come from.
struct Column {
    field: &'static str,
    headers: &'static [&'static str],
    required: bool,
}

const fn col(field: &'static str, headers: &'static [&'static str], required: bool) -> Column {
    Column {
        field,
        headers,
        required,
    }
}

const CREATED: &[&str] = &["Created date (UTC)", "Created (UTC)", "Created", "created"];

const CHARGE: &[Column] = &[
    col("id", &["id", "Payment ID", "Charge ID"], true),
    col("created", CREATED, true),
    col("amount", &["Amount"], true),
    col("amount_refunded", &["Amount Refunded"], false),
    col("currency", &["Currency"], true),
    col("captured", &["Captured"], false),
    col("status", &["Status"], true),
];

const PAYOUT: &[Column] = &[
    col("id", &["id", "Payout ID"], true),
    col("created", CREATED, true),
    col(
        "arrival_date",
        &["Arrival Date (UTC)", "Arrival Date"],
        true,
    ),
    col("amount", &["Amount"], true),
    col("currency", &["Currency"], true),
    col("status", &["Status"], true),
];

const DISPUTE: &[Column] = &[
    col("id", &["id", "Dispute ID"], true),
    col(
        "charge",
        &["Charge ID", "Charge", "Payment ID", "Disputed Payment ID"],
        true,
    ),
    col(
        "created",
        &[
            "Created date (UTC)",
            "Created (UTC)",
            "Created",
            "Disputed Date (UTC)",
            "Date (UTC)",
        ],
        true,
    ),
    col("amount", &["Amount", "Disputed Amount"], true),
    col("currency", &["Currency"], true),
    col("status", &["Status"], true),
];

fn columns_of(kind: Kind) -> &'static [Column] {
    match kind {
        Kind::Charge => CHARGE,
        Kind::Payout => PAYOUT,
        // Events have no Dashboard CSV; `CSV_FILES` never asks for them.
        Kind::Dispute | Kind::Event => DISPUTE,
    }
}

/// Reads one CSV file of `kind` into `sink`; a missing file is empty.
pub(super) fn read_csv_file(
    path: &Path,
    kind: Kind,
    sink: &mut impl Sink,
) -> Result<(), FilesError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(FilesError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    read_csv(BufReader::with_capacity(1 << 20, file), kind, path, sink)
}

fn csv_error(
    path: &Path,
    row: u64,
    column: Option<&str>,
    message: impl Into<String>,
) -> FilesError {
    FilesError::Csv {
        path: path.to_owned(),
        row,
        column: column.map(str::to_owned),
        message: message.into(),
    }
}

/// Reads CSV rows of `kind` from any reader; `path` names it in errors.
pub(super) fn read_csv<S: Sink>(
    reader: impl std::io::Read,
    kind: Kind,
    path: &Path,
    sink: &mut S,
) -> Result<(), FilesError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(reader);
    let headers: Vec<String> = csv
        .headers()
        .map_err(|e| malformed(path, &e, &[]))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect();
    let mut at: HashMap<&'static str, usize> = HashMap::new();
    for c in columns_of(kind) {
        let found = headers
            .iter()
            .position(|h| c.headers.iter().any(|want| h.eq_ignore_ascii_case(want)));
        match found {
            Some(i) => {
                at.insert(c.field, i);
            }
            None if c.required => {
                return Err(csv_error(
                    path,
                    1,
                    Some(c.headers[0]),
                    format!(
                        "the header has no `{}` column (a {} export needs it)",
                        c.headers[0],
                        kind.tag()
                    ),
                ));
            }
            None => {}
        }
    }
    let mut record = csv::StringRecord::new();
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(malformed(path, &e, &headers)),
        }
        let row = record.position().map_or(0, csv::Position::line);
        let cell = |field: &str| at.get(field).and_then(|&i| record.get(i)).map(str::trim);
        let object = parse_row(kind, &cell).map_err(|(field, message)| {
            let header = at
                .get(field)
                .and_then(|&i| headers.get(i))
                .map(String::as_str);
            csv_error(path, row, header.or(Some(field)), message)
        })?;
        let normalized = object.normalize(kind).map_err(|e| {
            // Cells were checked above; what is left (an amount out of range) names the
            // object and field itself.
            csv_error(path, row, None, e.to_string())
        })?;
        let Some(normalized) = normalized else {
            continue;
        };
        let raw = S::RAW.then(|| {
            let row: Map<String, Value> = headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.clone(), Value::from(v)))
                .collect();
            Value::Object(row)
        });
        sink.add(normalized, raw)
            .map_err(|e| csv_error(path, row, None, e.to_string()))?;
    }
    Ok(())
}

fn malformed(path: &Path, e: &csv::Error, headers: &[String]) -> FilesError {
    let row = e.position().map_or(0, csv::Position::line);
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => csv_error(
            path,
            row,
            None,
            format!("{len} cells where the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { err, .. } => csv_error(
            path,
            row,
            headers.get(err.field()).map(String::as_str),
            "not valid UTF-8",
        ),
        _ => csv_error(path, row, None, format!("not readable as CSV: {e}")),
    }
}

type CellError = (&'static str, String);

fn parse_row<'a>(
    kind: Kind,
    cell: &impl Fn(&str) -> Option<&'a str>,
) -> Result<StripeObject, CellError> {
    let required = |field: &'static str| -> Result<&'a str, CellError> {
        match cell(field) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err((field, "is empty".to_owned())),
        }
    };
    let id = required("id")?.to_owned();
    let code = required("currency")?;
    let currency = Currency::parse(code).map_err(|e| {
        // The column is named already: keep only the reason.
        let reason = match e {
            vaultra_core::Error::Invalid { input, .. } => input.reason,
            other => other.to_string(),
        };
        ("currency", reason)
    })?;
    let amount = money(required("amount")?, currency).map_err(|m| ("amount", m))?;
    let created = time(required("created")?).map_err(|m| ("created", m))?;
    let mut object = StripeObject {
        id: Some(id),
        object: Some(kind.tag().to_owned()),
        created: Some(created),
        amount: Some(amount),
        currency: Some(currency.as_str().to_owned()),
        ..StripeObject::default()
    };
    let status = required("status")?;
    match kind {
        Kind::Charge => {
            let (api, uncaptured) = charge_status(status).map_err(|m| ("status", m))?;
            object.status = Some(api.to_owned());
            object.amount_refunded = Some(match cell("amount_refunded") {
                Some(v) if !v.is_empty() => {
                    money(v, currency).map_err(|m| ("amount_refunded", m))?
                }
                _ => 0,
            });
            object.captured = Some(
                match cell("captured") {
                    Some(v) if !v.is_empty() => boolean(v).map_err(|m| ("captured", m))?,
                    _ => !uncaptured,
                } && !uncaptured,
            );
        }
        Kind::Payout => {
            object.status = Some(snake(status));
            object.arrival_date =
                Some(time(required("arrival_date")?).map_err(|m| ("arrival_date", m))?);
        }
        Kind::Dispute | Kind::Event => {
            object.status = Some(snake(status));
            object.charge = Some(IdOrObject::Id(required("charge")?.to_owned()));
        }
    }
    Ok(object)
}

/// `Needs response` → `needs_response`: the Dashboard capitalizes the API's words.
fn snake(s: &str) -> String {
    s.trim().to_lowercase().replace([' ', '-'], "_")
}

/// The API status of a Dashboard payment status, and whether it says uncaptured.
fn charge_status(s: &str) -> Result<(&'static str, bool), String> {
    Ok(match snake(s).as_str() {
        "paid" | "succeeded" | "refunded" | "partially_refunded" | "disputed" => {
            ("succeeded", false)
        }
        "uncaptured" => ("succeeded", true),
        "failed" | "blocked" | "canceled" | "cancelled" => ("failed", false),
        "pending" | "incomplete" => ("pending", false),
        _ => {
            return Err(format!(
                "unknown payment status `{s}` (expected Paid, Refunded, Partially refunded, \
                 Disputed, Uncaptured, Failed, Blocked, Canceled, Pending or Incomplete)"
            ));
        }
    })
}

fn boolean(s: &str) -> Result<bool, String> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("`{s}` is not true or false")),
    }
}

/// A major-unit amount (`1,234.50`, `-3.1`, `1000`) in minor units, exactly.
fn money(s: &str, currency: Currency) -> Result<i64, String> {
    let bad = || {
        format!(
            "`{s}` is not an amount in {} (e.g. 1234.50)",
            currency.as_str()
        )
    };
    let text: String = s.chars().filter(|c| *c != ',').collect();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.as_str()),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let exponent = usize::try_from(currency.exponent()).map_err(|_| bad())?;
    if fraction.len() > exponent && fraction[exponent..].bytes().any(|b| b != b'0') {
        return Err(format!(
            "`{s}` has more decimals than {} has ({exponent})",
            currency.as_str()
        ));
    }
    let mut minor = String::with_capacity(whole.len() + exponent);
    minor.push_str(whole);
    let kept = &fraction[..fraction.len().min(exponent)];
    minor.push_str(kept);
    minor.extend(std::iter::repeat_n('0', exponent - kept.len()));
    let value: i64 = minor.parse().map_err(|_| format!("`{s}` is too large"))?;
    Ok(if negative { -value } else { value })
}

/// A UTC time as the Dashboard writes it, as unix seconds.
fn time(s: &str) -> Result<i64, String> {
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, format) {
            return Ok(t.and_utc().timestamp());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d.and_time(chrono::NaiveTime::MIN).and_utc().timestamp());
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp());
    }
    if let Ok(secs) = s.parse::<i64>() {
        return Ok(secs);
    }
    Err(format!(
        "`{s}` is not a UTC time (expected YYYY-MM-DD HH:MM[:SS])"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_convert_exactly_with_the_currency_exponent() {
        let usd = Currency::parse("usd").unwrap();
        let jpy = Currency::parse("jpy").unwrap();
        let kwd = Currency::parse("kwd").unwrap();
        assert_eq!(money("1,234.50", usd), Ok(123_450));
        assert_eq!(money("3125.00", usd), Ok(312_500));
        assert_eq!(money("0.1", usd), Ok(10));
        assert_eq!(money("7", usd), Ok(700));
        assert_eq!(money("-3.10", usd), Ok(-310));
        assert_eq!(money("1000", jpy), Ok(1000));
        assert_eq!(money("1000.00", jpy), Ok(1000));
        assert_eq!(money("1.234", kwd), Ok(1234));
        assert!(money("1.005", usd).unwrap_err().contains("more decimals"));
        for bad in ["", "abc", "1.2.3", "$5", "1e3", ".5", "- 1"] {
            assert!(money(bad, usd).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_read_as_utc() {
        assert_eq!(time("2026-07-10 18:37:41"), Ok(1_783_708_661));
        assert_eq!(time("2026-07-10 18:37"), Ok(1_783_708_620));
        assert_eq!(time("2026-07-10"), Ok(1_783_641_600));
        assert_eq!(time("2026-07-10T18:37:41Z"), Ok(1_783_708_661));
        assert_eq!(time("2026-07-10T20:37:41+02:00"), Ok(1_783_708_661));
        assert_eq!(time("1783708661"), Ok(1_783_708_661));
        assert!(time("10/07/2026").is_err());
    }

    #[test]
    fn dashboard_statuses_map_to_the_api() {
        assert_eq!(charge_status("Paid"), Ok(("succeeded", false)));
        assert_eq!(
            charge_status("Partially refunded"),
            Ok(("succeeded", false))
        );
        assert_eq!(charge_status("Uncaptured"), Ok(("succeeded", true)));
        assert_eq!(charge_status("Blocked"), Ok(("failed", false)));
        assert_eq!(charge_status("succeeded"), Ok(("succeeded", false)));
        assert!(charge_status("Mystery").is_err());
        assert_eq!(snake("Needs response"), "needs_response");
    }
}
