//! `vaultra stripe link|sync|webhook`: connected Stripe accounts, their sync, and
//! webhook deliveries handed over by hand (a replay tool, and the way the Python proof
//! drives the webhook service end to end).

use std::io::{IsTerminal, Read};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use vaultra_adapters::stripe::webhook::Secret;
use vaultra_adapters::stripe::{
    DEFAULT_API_BASE, DEFAULT_CONNECT_BASE, StripeConfig, StripeSource,
};
use vaultra_core::app::Actor;
use vaultra_core::ports::{IngestStats, SourceError, Stream};
use vaultra_core::services::stripe_sync::{SyncMode, SyncObserver};

use crate::cli::{StripeCommand, StripeLinkArgs, StripeSyncArgs, StripeWebhookArgs};
use crate::commands::write_stdout;
use crate::error::CliError;
use crate::jobs::worker_url;
use crate::store::{business_id, open, open_app};

/// Runs a `vaultra stripe` subcommand.
pub async fn run(url: &str, cmd: StripeCommand) -> Result<(), CliError> {
    match cmd {
        StripeCommand::Link(args) => link(url, args).await,
        StripeCommand::Sync(args) => sync(url, args).await,
        StripeCommand::Webhook(args) => webhook(url, args).await,
    }
}

/// A setting from the environment (a `.env` file is loaded at start); empty is unset.
fn setting(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The Stripe settings: STRIPE_SECRET_KEY (required), STRIPE_API_BASE,
/// STRIPE_CONNECT_BASE, STRIPE_CLIENT_ID.
pub(crate) fn config() -> Result<StripeConfig, CliError> {
    let key = setting("STRIPE_SECRET_KEY").ok_or_else(|| {
        CliError::Usage(
            "STRIPE_SECRET_KEY is not set: put the platform secret key (sk_…) in the \
             environment or in .env"
                .into(),
        )
    })?;
    let mut config = StripeConfig::new(key);
    config.api_base = setting("STRIPE_API_BASE").unwrap_or_else(|| DEFAULT_API_BASE.into());
    config.connect_base =
        setting("STRIPE_CONNECT_BASE").unwrap_or_else(|| DEFAULT_CONNECT_BASE.into());
    config.client_id = setting("STRIPE_CLIENT_ID");
    Ok(config)
}

async fn link(url: &str, args: StripeLinkArgs) -> Result<(), CliError> {
    let business = business_id(&args.business)?;
    let linked = open_app(url)
        .await?
        .link_stripe_account(&Actor::System, business, &args.account)
        .await
        .map_err(|e| match e {
            vaultra_core::Error::Invalid { input, .. }
                if input.field.as_deref() == Some("account") =>
            {
                CliError::Usage(format!("--account {}", input.reason))
            }
            other => CliError::Core(other),
        })?;
    write_stdout(&format!(
        "linked Stripe account {} to business {business} (integration {})\n",
        linked.external_id, linked.id
    ))
}

/// Progress on a terminal: a spinner with counts.
struct Progress {
    bar: ProgressBar,
}

impl SyncObserver for Progress {
    fn page(&self, stream: Stream, objects: usize, _stored: &IngestStats) {
        self.bar.inc(objects as u64);
        self.bar.set_message(format!("{stream}"));
    }
    fn retry(&self, error: &SourceError, wait: Duration) {
        self.bar
            .set_message(format!("{error}; retrying in {:.1} s", wait.as_secs_f64()));
    }
}

async fn sync(url: &str, args: StripeSyncArgs) -> Result<(), CliError> {
    let business = business_id(&args.business)?;
    let source = StripeSource::new(config()?).map_err(vaultra_core::Error::from)?;
    // Asynchronous commits on PostgreSQL, as a worker's: a backfill commits once per
    // batch of pages, and a crash loses at most the last batches, in order — the
    // cursor is committed with the data it covers, so the next run fetches those
    // pages again.
    let opened = open(&worker_url(url)).await?;
    let app = crate::store::app(&opened, Some(Arc::new(source)))?;
    let bar = if std::io::stderr().is_terminal() {
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template("{spinner} {pos} objects {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        bar
    } else {
        ProgressBar::hidden()
    };
    let observer = Progress { bar };
    let synced = app
        .sync_stripe(&Actor::System, business, args.full, &observer)
        .await;
    observer.bar.finish_and_clear();
    let synced = synced.map_err(|e| match e {
        vaultra_core::Error::Invalid { input, .. }
            if input.field.as_deref() == Some("business") =>
        {
            CliError::Usage(format!(
                "{}: vaultra stripe link --business {business} --account acct_…",
                input.reason
            ))
        }
        other => CliError::Core(other),
    })?;
    let mut out = String::new();
    for (account, report) in synced {
        let mode = match report.mode {
            SyncMode::Backfill if report.fell_back => "backfill (cursor too old)",
            SyncMode::Backfill => "backfill",
            SyncMode::Incremental => "incremental",
        };
        out.push_str(&format!(
            "synced {} ({mode}): {} pages, {} objects; stored {} charges, {} payouts, {} \
             disputes, {} payout.paid events; {} retries, {} attempts\n",
            account.external_id,
            report.pages,
            report.objects,
            report.stored.charges,
            report.stored.payouts,
            report.stored.disputes,
            report.stored.payout_paid,
            report.retries,
            report.attempts
        ));
    }
    write_stdout(&out)
}

/// `vaultra stripe webhook`: one delivery through the webhook service.
async fn webhook(url: &str, args: StripeWebhookArgs) -> Result<(), CliError> {
    let secrets = setting("STRIPE_WEBHOOK_SECRET")
        .map(|list| Secret::parse_list(&list))
        .unwrap_or_default();
    if secrets.is_empty() {
        return Err(CliError::Usage(
            "STRIPE_WEBHOOK_SECRET is not set: put the endpoint's signing secret (whsec_…; \
             several separated by commas during a rotation) in the environment or in .env"
                .into(),
        ));
    }
    let payload = match &args.payload {
        Some(path) => std::fs::read(path).map_err(|source| CliError::Io {
            context: format!("reading {}", path.display()),
            source,
        })?,
        None => {
            let mut body = Vec::new();
            std::io::stdin()
                .read_to_end(&mut body)
                .map_err(|source| CliError::Io {
                    context: "reading the payload from stdin".into(),
                    source,
                })?;
            body
        }
    };
    // Verification needs only the signing secrets; the API key is not used.
    let mut config = StripeConfig::new(setting("STRIPE_SECRET_KEY").unwrap_or_default());
    config.webhook_secrets = secrets;
    let source = StripeSource::new(config).map_err(vaultra_core::Error::from)?;
    let app = crate::store::app(&open(url).await?, Some(Arc::new(source)))?;
    let outcome = app.handle_stripe_webhook(&payload, &args.signature).await?;
    let line = serde_json::to_string(&outcome)
        .map_err(|e| vaultra_core::Error::internal(format!("cannot encode the outcome: {e}")))?;
    write_stdout(&format!("{line}\n"))
}
