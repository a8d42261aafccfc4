//! The commands that work on a store: migrate, business, import, report.

use std::sync::Arc;

use uuid::Uuid;
use vaultra_adapters::files::read_batch;
use vaultra_adapters::postgres::PostgresStore;
use vaultra_adapters::sqlite::SqliteStore;
use vaultra_core::domain::{Industry, NewBusiness, NewUser};
use vaultra_core::metrics::{self, CurrencyChoice};
use vaultra_core::ports::{Clock, Store};
use vaultra_core::report::Report;

use crate::cli::{BusinessCommand, Format, ImportArgs, ReportArgs};
use crate::commands::{assess_inputs, print_report, to_json, write_stdout};
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

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Opens the store `url` names (migrating it to the current schema).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, CliError> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Arc::new(PostgresStore::connect(url).await?)
    } else {
        return Err(CliError::Usage(format!(
            "DATABASE_URL `{}` must start with sqlite: or postgres://",
            redact(url)
        )));
    };
    Ok(store)
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
            let email = vaultra_core::domain::normalize_email(&args.owner_email)?;
            let store = open(url).await?;
            let owner = match store.find_user_by_email(&email).await? {
                Some(user) => user,
                None => {
                    let name = email.split('@').next().unwrap_or(&email).to_owned();
                    let created = store
                        .create_user(NewUser {
                            email: email.clone(),
                            name,
                            password_hash: None,
                            avatar_url: None,
                        })
                        .await;
                    match created {
                        Ok(user) => user,
                        // Created by someone else in the meantime: use theirs.
                        Err(vaultra_core::Error::Conflict(_)) => store
                            .find_user_by_email(&email)
                            .await?
                            .ok_or_else(|| vaultra_core::Error::Internal("user vanished".into()))?,
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            let business = store.create_business(owner.id, new_business).await?;
            write_stdout(&format!("{}\n", business.id))
        }
        BusinessCommand::List(args) => {
            let store = open(url).await?;
            let businesses = store.list_businesses().await?;
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
    let store = open(url).await?;
    let stats = store.ingest(business, None, &batch, None).await?;
    write_stdout(&format!(
        "imported {} charges, {} payouts, {} disputes and {} payout.paid events into {business}\n",
        stats.charges, stats.payouts, stats.disputes, stats.payout_paid
    ))
}

/// `vaultra report`.
pub async fn report(url: &str, args: ReportArgs, clock: &dyn Clock) -> Result<(), CliError> {
    let business = business_id(&args.business)?;
    let (policy, window) = assess_inputs(&args.assess, clock)?;
    let store = open(url).await?;
    store.get_business(business).await?;
    let data = store.payment_data(business, window).await?;
    let metrics = metrics::compute(&data, window, CurrencyChoice::from(args.assess.currency));
    print_report(&Report::from_metrics(metrics, &policy), args.assess.format)
}
