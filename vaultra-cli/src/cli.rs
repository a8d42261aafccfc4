//! The command line, as `docs/CLI.md` of the spec fixes it.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use vaultra_core::domain::Currency;

/// Vaultra: how ready a small business is for funding, from its real payment data.
#[derive(Debug, Parser)]
#[command(name = "vaultra", version, about, max_term_width = 100)]
pub struct Cli {
    /// Database: `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://vaultra.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,
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
    /// Create or upgrade the schema of DATABASE_URL.
    Migrate,
    /// Create and list businesses.
    #[command(subcommand)]
    Business(BusinessCommand),
    /// Load Stripe export files into the store for a business, idempotently.
    Import(ImportArgs),
    /// Metrics, score and recommendations from the store (same JSON as `score`).
    Report(ReportArgs),
    /// What to do first: the top recommendations of the last 30 days with their stored
    /// status; codes dismissed in the last 30 days are left out.
    Recommendations(RecommendationsArgs),
    /// Link and sync Stripe accounts (STRIPE_SECRET_KEY, STRIPE_API_BASE,
    /// STRIPE_CONNECT_BASE).
    #[command(subcommand)]
    Stripe(StripeCommand),
    /// Run the scheduled jobs once, in this process.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Run the job schedules and workers until stopped (SIGTERM or Ctrl-C finishes or
    /// releases the tasks in hand).
    Worker(WorkerArgs),
    /// Try Vaultra with nothing set up: a demo business with synthetic Stripe data,
    /// synced, scored and advised by the real jobs, in the default SQLite file.
    Demo(DemoArgs),
    /// The MCP tool server for AI assistants, on stdio (logs go to stderr only).
    Mcp(McpArgs),
}

/// Arguments of `vaultra mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// A business the server may act for (repeat for several); default: every
    /// business in the store.
    #[arg(long = "business", value_name = "ID")]
    pub businesses: Vec<String>,
    /// Serve streamable HTTP (stateless JSON) at /mcp on this address instead of stdio,
    /// e.g. 127.0.0.1:8090.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<std::net::SocketAddr>,
}

/// `vaultra jobs …`
#[derive(Debug, Subcommand)]
pub enum JobsCommand {
    /// Run jobs for the slot (quarter hour, hour or day) that contains now, all five if
    /// none is named:
    /// stripe_sync, compute_metrics, compute_readiness, generate_recommendations,
    /// send_notification_digest. A slot already run is not run again.
    Run(JobsRunArgs),
}

/// Arguments of `vaultra jobs run`.
#[derive(Debug, Args)]
pub struct JobsRunArgs {
    /// The jobs to run, in the order given (default: all, in dependency order).
    #[arg(value_name = "JOB")]
    pub jobs: Vec<String>,
    /// Run even if the current slot already ran, as a one-off slot at this second.
    #[arg(long)]
    pub fresh: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `vaultra worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    /// Tasks run at once by this process.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// Only work the queue; leave the schedules to other processes.
    #[arg(long)]
    pub no_schedule: bool,
    /// This worker's name in the queue (default: vaultra-PID); unique per process.
    #[arg(long)]
    pub name: Option<String>,
    /// Seconds between heartbeats; a worker silent for three is presumed dead and its
    /// tasks go to another.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub heartbeat_secs: u64,
    /// Seconds a shutdown waits for the tasks in hand before releasing them.
    #[arg(long, default_value_t = 30)]
    pub grace_secs: u64,
    /// Enqueue the slot of each job's last tick at start (a worker that runs the
    /// schedules does this anyway; useful with --no-schedule).
    #[arg(long)]
    pub kick: bool,
    /// Stop once the queue is empty (with --kick: run one round of every job and exit).
    #[arg(long)]
    pub until_idle: bool,
}

/// Arguments of `vaultra demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the synthetic merchant: the same seed gives the same business.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// `vaultra stripe …`
#[derive(Debug, Subcommand)]
pub enum StripeCommand {
    /// Record an already-connected Stripe account for a business.
    Link(StripeLinkArgs),
    /// Sync a business's Stripe account: a 90-day backfill the first time, then only
    /// what changed.
    Sync(StripeSyncArgs),
    /// Handle one webhook delivery (body on stdin): verify it with
    /// STRIPE_WEBHOOK_SECRET, record it once, apply it; prints the outcome as JSON.
    Webhook(StripeWebhookArgs),
}

/// Arguments of `vaultra stripe webhook`.
#[derive(Debug, Args)]
pub struct StripeWebhookArgs {
    /// The delivery's `Stripe-Signature` header (`t=…,v1=…`).
    #[arg(long, value_name = "HEADER")]
    pub signature: String,
    /// Read the body from this file instead of stdin (byte for byte: the signature
    /// covers the exact bytes).
    #[arg(long, value_name = "FILE")]
    pub payload: Option<PathBuf>,
}

/// Arguments of `vaultra stripe link`.
#[derive(Debug, Args)]
pub struct StripeLinkArgs {
    /// The business (its id).
    #[arg(long, value_name = "ID")]
    pub business: String,
    /// The connected Stripe account (`acct_…`).
    #[arg(long, value_name = "acct_…")]
    pub account: String,
}

/// Arguments of `vaultra stripe sync`.
#[derive(Debug, Args)]
pub struct StripeSyncArgs {
    /// The business (its id).
    #[arg(long, value_name = "ID")]
    pub business: String,
    /// Backfill 90 days again instead of reading only what changed.
    #[arg(long)]
    pub full: bool,
}

/// `vaultra business …`
#[derive(Debug, Subcommand)]
pub enum BusinessCommand {
    /// Create a business; prints its id. Creates the owner user if needed.
    Create(BusinessCreateArgs),
    /// List every business in the store.
    List(BusinessListArgs),
    /// A business with its payment accounts and how fresh and deep its data is.
    Show(BusinessShowArgs),
}

/// Arguments of `vaultra business show`.
#[derive(Debug, Args)]
pub struct BusinessShowArgs {
    /// The business id.
    #[arg(long)]
    pub business: String,
    /// Output format: `json` is the application layer's business context (business,
    /// accounts, freshness).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `vaultra business create`.
#[derive(Debug, Args)]
pub struct BusinessCreateArgs {
    /// Business name.
    #[arg(long)]
    pub name: String,
    /// Industry (retail, ecommerce, food_and_beverage, hospitality, professional_services,
    /// health_and_wellness, software, media, education, construction, manufacturing,
    /// transportation, nonprofit, other).
    #[arg(long)]
    pub industry: Option<String>,
    /// E-mail of the owner (a user is created if none has it).
    #[arg(long)]
    pub owner_email: String,
}

/// Arguments of `vaultra business list`.
#[derive(Debug, Args)]
pub struct BusinessListArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `vaultra recommendations`.
#[derive(Debug, Args)]
pub struct RecommendationsArgs {
    /// The business id.
    #[arg(long)]
    pub business: String,
    /// How many (1 to 20).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=20))]
    pub limit: u8,
    /// Output format: `json` is the application layer's top recommendations (business,
    /// window, score, recommendations with status and id where stored).
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Arguments of `vaultra import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The business to import into (its id).
    #[arg(long, value_name = "ID")]
    pub business: String,
    /// Folder holding charges.json, payouts.json, disputes.json, events.json.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
}

/// Arguments of `vaultra report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The business (its id).
    #[arg(long, value_name = "ID")]
    pub business: String,
    /// Window, currency, format and policy.
    #[command(flatten)]
    pub assess: AssessArgs,
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
    /// Window, currency, format and policy.
    #[command(flatten)]
    pub assess: AssessArgs,
}

/// What `score` and `report` share: which window, currency, policy and output format.
#[derive(Debug, Args)]
pub struct AssessArgs {
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
