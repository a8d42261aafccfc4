//! The command line, as `docs/CLI.md` of the spec fixes it.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use vaultra_core::domain::Currency;

/// Vaultra: how ready a small business is for funding, from its real payment data.
#[derive(Debug, Parser)]
#[command(name = "vaultra", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Score a folder of Stripe exports (no database, no server, no API key).
    ///
    /// DIR may hold charges.json, payouts.json, disputes.json and events.json, each a
    /// JSON array of Stripe objects or a Stripe list object; a missing file is empty.
    Score(ScoreArgs),
    /// Write a deterministic synthetic merchant as a Stripe export folder.
    Generate(GenerateArgs),
    /// Print a scoring policy as JSON (a starting point for a custom `--policy` file).
    Policy(PolicyArgs),
}

/// Arguments of `vaultra policy`.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// A built-in policy name or a policy file to check and print.
    #[arg(default_value = "spec-v1", value_name = "NAME|FILE")]
    pub policy: String,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The JSON contract (METRICS.md §6).
    Json,
    /// A report for a person.
    Text,
}

/// Arguments of `vaultra score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    /// Folder holding the export files.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Last day of the window, UTC (default: yesterday).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Window length in days.
    #[arg(long, value_name = "N", default_value_t = 30,
          value_parser = clap::value_parser!(u16).range(2..=366))]
    pub window_days: u16,
    /// Reporting currency (default: the one with the most successful volume).
    #[arg(long, value_name = "CODE", value_parser = parse_currency)]
    pub currency: Option<Currency>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    pub format: Format,
    /// Scoring policy: a built-in name or a path to a policy JSON file.
    #[arg(long, value_name = "NAME|FILE", default_value = "spec-v1")]
    pub policy: String,
}

/// Merchant shapes for `vaultra generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    /// Even volume, few chargebacks, payouts on time.
    Steady,
    /// Weekly and monthly cycles.
    Seasonal,
    /// Rising volume.
    Growing,
    /// Falling volume.
    Declining,
    /// About 5 % of charges disputed.
    ChargebackHeavy,
    /// Late and failed payouts.
    PayoutTroubled,
}

/// Arguments of `vaultra generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write (created if missing; files in it are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Shape of the business.
    #[arg(long, value_enum, default_value_t = ProfileArg::Steady)]
    pub profile: ProfileArg,
    /// Random seed: the same seed gives the same merchant.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Last day with data, UTC (default: yesterday).
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub end: Option<NaiveDate>,
    /// Days of history.
    #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u32).range(1..=3660))]
    pub days: u32,
    /// Mean charge attempts per day.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub daily_charges: u32,
    /// Currency of the merchant.
    #[arg(long, value_name = "CODE", default_value = "usd", value_parser = parse_currency)]
    pub currency: Currency,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| format!("expected a date as YYYY-MM-DD ({e})"))
}

fn parse_currency(s: &str) -> Result<Currency, String> {
    Currency::parse(s).map_err(|e| e.to_string())
}
