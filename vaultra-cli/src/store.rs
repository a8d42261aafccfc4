//! The commands that work on a store: migrate, business, import, report.
//!
//! Each parses its arguments, makes one call into the façade ([`Vaultra`]) and prints.

use std::sync::Arc;

use uuid::Uuid;
use vaultra_adapters::files::read_batch;
use vaultra_adapters::local::SystemClock;
use vaultra_adapters::stripe::TokioSleeper;
use vaultra_adapters::{OpenedStore, redact};
use vaultra_core::app::{Actor, Vaultra};
use vaultra_core::domain::{Industry, NewBusiness};
use vaultra_core::ports::PaymentSource;

use crate::cli::{BusinessCommand, Format, ImportArgs, RecommendationsArgs, ReportArgs};
use crate::commands::{assessment, print_report, to_json, write_stdout};
use crate::error::CliError;

/// Runs a future on a fresh runtime (only store commands need one).
pub fn block_on<F: Future<Output = Result<(), CliError>>>(f: F) -> Result<(), CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|source| CliError::Io {
            context: "starting the async runtime".into(),
            source,
        })?
        .block_on(f)
}

/// Opens (and migrates) the store `url` names; a URL of another scheme is a usage error.
pub async fn open(url: &str) -> Result<OpenedStore, CliError> {
    vaultra_adapters::open(url).await.map_err(|e| match e {
        vaultra_core::Error::Invalid { input, .. }
            if input.field.as_deref() == Some("database_url") =>
        {
            CliError::Usage(format!("DATABASE_URL {}", input.reason))
        }
        other => CliError::Core(other),
    })
}

/// The façade over an opened store: the system clock, retries that sleep on tokio, the
/// built-in policy, and `source` when the command has one.
pub fn app(
    store: &OpenedStore,
    source: Option<Arc<dyn PaymentSource>>,
) -> Result<Vaultra, CliError> {
    let builder = Vaultra::builder(store.store())
        .clock(Arc::new(SystemClock))
        .sleeper(Arc::new(TokioSleeper));
    Ok(match source {
        Some(source) => builder.source(source),
        None => builder,
    }
    .build()?)
}

/// The façade over the store at `url`.
pub async fn open_app(url: &str) -> Result<Vaultra, CliError> {
    app(&open(url).await?, None)
}

pub(crate) fn business_id(s: &str) -> Result<Uuid, CliError> {
    Uuid::parse_str(s.trim())
        .map_err(|_| CliError::Usage(format!("--business `{s}` is not a business id (a UUID)")))
}

/// `vaultra migrate`.
pub async fn migrate(url: &str) -> Result<(), CliError> {
    open(url).await?;
    write_stdout(&format!("schema of {} is up to date\n", redact(url)))
}

/// `vaultra business create|list`.
pub async fn business(url: &str, cmd: BusinessCommand) -> Result<(), CliError> {
    match cmd {
        BusinessCommand::Create(args) => {
            let industry = args.industry.as_deref().map(Industry::parse).transpose()?;
            let new_business = NewBusiness {
                industry,
                ..NewBusiness::named(args.name)
            }
            .validated()?;
            // The address is checked before the store is opened (or created).
            vaultra_core::domain::normalize_email(&args.owner_email)?;
            let app = open_app(url).await?;
            let business = app
                .create_business_for_email(&args.owner_email, None, new_business)
                .await?;
            write_stdout(&format!("{}\n", business.id))
        }
        BusinessCommand::Show(args) => {
            let id = business_id(&args.business)?;
            let context = open_app(url)
                .await?
                .business_context(&Actor::System, id)
                .await?;
            match args.format {
                Format::Json => write_stdout(&to_json(&context)?),
                Format::Text => {
                    let b = &context.business;
                    let f = &context.freshness;
                    let day =
                        |d: Option<chrono::NaiveDate>| d.map_or("-".to_owned(), |d| d.to_string());
                    let mut out = format!(
                        "{}  {}\nindustry {}  created {}\n",
                        b.id,
                        b.name,
                        b.industry.map_or("-", |i| i.as_str()),
                        b.created_at.format("%Y-%m-%d %H:%M")
                    );
                    out.push_str(&format!(
                        "charges stored {}  first {}  last {}  history {} days through {}\n",
                        f.charges_stored,
                        day(f.first_charge_date),
                        day(f.last_charge_date),
                        f.history_days,
                        f.history_through
                    ));
                    out.push_str(&format!(
                        "last synced {}  metrics computed {}\n",
                        f.data_synced_at.map_or("never".to_owned(), |t| t
                            .format("%Y-%m-%d %H:%M UTC")
                            .to_string()),
                        f.metrics_computed_at.map_or("never".to_owned(), |t| t
                            .format("%Y-%m-%d %H:%M UTC")
                            .to_string()),
                    ));
                    for a in &context.accounts {
                        out.push_str(&format!(
                            "account {} {} ({})\n",
                            a.provider.as_str(),
                            a.external_id,
                            a.status.as_str()
                        ));
                    }
                    write_stdout(&out)
                }
            }
        }
        BusinessCommand::List(args) => {
            let businesses = open_app(url).await?.list_businesses(&Actor::System).await?;
            match args.format {
                Format::Json => write_stdout(&to_json(&businesses)?),
                Format::Text => {
                    let mut out = format!(
                        "{:<36}  {:<28}  {:<22}  {}\n",
                        "ID", "NAME", "INDUSTRY", "CREATED"
                    );
                    for b in &businesses {
                        out.push_str(&format!(
                            "{:<36}  {:<28}  {:<22}  {}\n",
                            b.id,
                            b.name,
                            b.industry.map_or("-", |i| i.as_str()),
                            b.created_at.format("%Y-%m-%d %H:%M")
                        ));
                    }
                    if businesses.is_empty() {
                        out.push_str("(no businesses yet: vaultra business create --name … --owner-email …)\n");
                    }
                    write_stdout(&out)
                }
            }
        }
    }
}

/// `vaultra import`.
pub async fn import(url: &str, args: ImportArgs) -> Result<(), CliError> {
    let business = business_id(&args.business)?;
    // Read and check every file before touching the store: bad input writes nothing.
    let batch = read_batch(&args.data)?;
    let stats = open_app(url)
        .await?
        .import(&Actor::System, business, &batch)
        .await?;
    write_stdout(&format!(
        "imported {} charges, {} payouts, {} disputes and {} payout.paid events into {business}\n",
        stats.charges, stats.payouts, stats.disputes, stats.payout_paid
    ))
}

/// `vaultra report`.
pub async fn report(url: &str, args: ReportArgs) -> Result<(), CliError> {
    let business = business_id(&args.business)?;
    let assessment = assessment(&args.assess)?;
    let app = open_app(url).await?;
    // A bad window fails before the store is read.
    app.window(&assessment.window)?;
    let report = app.report(&Actor::System, business, &assessment).await?;
    print_report(&report, args.assess.format)
}

/// `vaultra recommendations`.
pub async fn recommendations(url: &str, args: RecommendationsArgs) -> Result<(), CliError> {
    let business = business_id(&args.business)?;
    let top = open_app(url)
        .await?
        .top_recommendations(&Actor::System, business, usize::from(args.limit))
        .await?;
    match args.format {
        Format::Json => write_stdout(&to_json(&top)?),
        Format::Text => {
            let mut out = format!(
                "score {} over {} to {}\n",
                top.score,
                top.window.start_date(),
                top.window.end_date()
            );
            if top.recommendations.is_empty() {
                out.push_str("(nothing to recommend)\n");
            }
            for (n, item) in top.recommendations.iter().enumerate() {
                let r = &item.recommendation;
                let status = item.status.map_or("new", |s| s.as_str());
                out.push_str(&format!(
                    "{}. [{} +{} {status}] {}\n   {}\n",
                    n + 1,
                    r.priority.as_str(),
                    r.score_impact,
                    r.title,
                    r.description
                ));
            }
            write_stdout(&out)
        }
    }
}
