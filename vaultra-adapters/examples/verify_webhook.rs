//! Verifies one Stripe webhook delivery with `vaultra_adapters::stripe::webhook::verify`.
//!
//! ```text
//! verify_webhook --secret whsec_… [--secret whsec_…] --header 't=…,v1=…'
//!                [--tolerance SECS] [--now UNIX_SECS]  < payload
//! ```
//!
//! Reads the raw body from stdin. On success prints `{"id","type","created","account"}`
//! as one JSON line and exits 0; on a refused delivery prints the reason on stderr and
//! exits 1; on bad usage exits 2. Used by the Python proof in `tests/stripe-fake/python`,
//! which signs deliveries with Stripe's official package.

use std::io::Read;
use std::process::ExitCode;

use vaultra_adapters::stripe::webhook::{DEFAULT_TOLERANCE_SECS, Secret, verify};

struct Args {
    secrets: Vec<Secret>,
    header: String,
    tolerance: i64,
    now: Option<i64>,
}

fn parse_args() -> Result<Args, String> {
    let mut secrets = Vec::new();
    let mut header = None;
    let mut tolerance = DEFAULT_TOLERANCE_SECS;
    let mut now = None;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--secret" => secrets.extend(Secret::parse_list(&value()?)),
            "--header" => header = Some(value()?),
            "--tolerance" => {
                tolerance = value()?
                    .parse()
                    .map_err(|_| "--tolerance must be an integer".to_owned())?;
            }
            "--now" => {
                now = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--now must be an integer".to_owned())?,
                );
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        secrets,
        header: header.ok_or("--header is required")?,
        tolerance,
        now,
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("usage error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut payload = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut payload) {
        eprintln!("cannot read the payload from stdin: {e}");
        return ExitCode::from(2);
    }
    let now = args.now.unwrap_or_else(|| chrono::Utc::now().timestamp());
    match verify(&payload, &args.header, &args.secrets, now, args.tolerance) {
        Ok(event) => {
            println!(
                "{}",
                serde_json::json!({
                    "id": event.id,
                    "type": event.kind,
                    "created": event.created,
                    "account": event.account,
                })
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rejected: {e}");
            ExitCode::from(1)
        }
    }
}
