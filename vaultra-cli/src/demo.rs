//! `vaultra demo`: the whole pipeline on the embedded default, with nothing set up.
//!
//! A demo owner and business are created (or found) in the store, a synthetic Stripe
//! account is linked, and its objects arrive through the real sync
//! ([`StripeSync`](vaultra_core::services::stripe_sync::StripeSync), served in process
//! by [`SynthSource`]). Then the real jobs run: metrics and readiness for the past
//! weeks' slots (so the score has a history) and every job for the current slot. The
//! demo's tasks are those of its own business, account and owner only, so a store
//! that also holds real businesses is left to the real schedules.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;
use vaultra_adapters::local::SystemClock;
use vaultra_adapters::synth::{self, Profile, SynthSource};
use vaultra_core::app::{Actor, Vaultra, WindowSpec};
use vaultra_core::domain::{Industry, NewBusiness, User};
use vaultra_core::ports::{Clock, JobKind, JobTask};
use vaultra_core::recommend::RecommendationStatus;

use crate::cli::{DemoArgs, Format};
use crate::commands::{to_json, write_stdout};
use crate::error::CliError;
use crate::jobs::{JobRunSummary, open_engine, render_summaries};

/// The demo owner's address (a reserved example domain: no mail can reach it).
const DEMO_EMAIL: &str = "owner@demo.vaultra.example";
/// Weeks of score history the demo computes.
const HISTORY_WEEKS: i64 = 8;

/// `vaultra demo`.
pub async fn demo(url: &str, args: DemoArgs) -> Result<(), CliError> {
    let external_id = format!("acct_demo{:016x}", args.seed);
    let now = SystemClock.now();
    // The merchant's data up to yesterday, as Stripe would list it.
    let yesterday = WindowSpec::DEFAULT.resolve(&SystemClock)?.end_date();
    let merchant = synth::generate(&synth::Config::new(Profile::Seasonal, args.seed, yesterday));
    let mut source = SynthSource::new();
    source.add_account(&external_id, &merchant);
    let (app, _engine) = open_engine(url, Some(Arc::new(source))).await?;
    let owner = app
        .user_by_email_or_create(DEMO_EMAIL, Some("Demo Owner"))
        .await?;
    let business_name = format!("Northwind Coffee Roasters (demo {})", args.seed);
    let users = app.users();
    let business = match users
        .get_user_businesses(owner.id)
        .await?
        .into_iter()
        .find(|m| m.business.name == business_name)
    {
        Some(m) => m.business,
        None => {
            users
                .create_business(
                    owner.id,
                    NewBusiness {
                        industry: Some(Industry::FoodAndBeverage),
                        ..NewBusiness::named(business_name)
                    },
                )
                .await?
        }
    };
    let account = app
        .link_stripe_account(&Actor::User(owner.id), business.id, &external_id)
        .await?;
    let runner = app.job_runner()?;

    let mut runs = Vec::new();
    let mut step = async |job: JobKind, subject: Uuid, at: DateTime<Utc>| {
        let root = JobTask::for_subject(job, subject, job.slot_of(at));
        runs.push(app.run_job(&runner, root, Duration::minutes(10)).await?);
        Ok::<(), CliError>(())
    };
    step(JobKind::StripeSync, account.id, now).await?;
    for weeks in (1..=HISTORY_WEEKS).rev() {
        step(
            JobKind::ComputeMetrics,
            business.id,
            now - Duration::weeks(weeks),
        )
        .await?;
    }
    step(JobKind::ComputeMetrics, business.id, now).await?;
    step(JobKind::ComputeReadiness, business.id, now).await?;
    step(JobKind::GenerateRecommendations, business.id, now).await?;
    step(JobKind::SendNotificationDigest, owner.id, now).await?;

    print_demo(&app, &owner, business.id, &runs, args.format).await
}

/// Prints what the owner sees: read back through the services, as the owner.
async fn print_demo(
    app: &Vaultra,
    owner: &User,
    business: Uuid,
    runs: &[JobRunSummary],
    format: Format,
) -> Result<(), CliError> {
    let actor = Actor::User(owner.id);
    let (report, latest) = app
        .latest_report(&actor, business)
        .await?
        .ok_or_else(|| CliError::Failed("the demo computed no metrics".into()))?;
    let history = app
        .metrics()
        .get_readiness_history(&actor, business, 12)
        .await?;
    let recs = app
        .recommendations()
        .get_recommendations(&actor, business, Some(RecommendationStatus::Pending), None)
        .await?;
    let digest = app.latest_digest(owner.id).await?;
    let business_row = app.business(&actor, business).await?;

    match format {
        Format::Json => write_stdout(&to_json(&json!({
            "business": business_row,
            "owner": {"id": owner.id, "email": owner.email},
            "report": report.to_json(),
            "data": latest.basis,
            "history": history,
            "recommendations": recs,
            "digest": digest,
            "jobs": runs,
        }))?),
        Format::Text => {
            let mut out = format!(
                "VAULTRA DEMO · {}\nOwner {} · business id {}\n\n",
                business_row.name, owner.email, business_row.id
            );
            out.push_str("WHAT RAN\n");
            for line in render_summaries(runs).lines() {
                out.push_str(&format!("  {line}\n"));
            }
            out.push('\n');
            out.push_str(&report.to_text());
            out.push_str("\nSCORE HISTORY (weekly, then now)\n");
            // History comes newest first; show it oldest first, like a chart.
            for h in history.iter().rev() {
                let bar = "█".repeat(usize::try_from(h.score.score / 4).unwrap_or(0));
                out.push_str(&format!(
                    "  {}  {:>3}  {:<17}  {bar}\n",
                    h.score.computed_at.format("%Y-%m-%d %H:%M"),
                    h.score.score,
                    h.score.tier_label
                ));
            }
            out.push_str(&format!(
                "\nSTORED RECOMMENDATIONS  {} pending (accepted or dismissed ones are not \
                 suggested again for 30 days)\n",
                recs.len()
            ));
            if let Some(d) = &digest {
                out.push_str(&format!(
                    "OUTBOX  digest for {} on {}: \"{}\"\n",
                    owner.email, d.digest_date, d.subject
                ));
            }
            let report_cmd = format!("vaultra report --business {}", business_row.id);
            out.push_str("\nNEXT\n");
            for (cmd, what) in [
                (report_cmd.as_str(), "this report again, from the store"),
                ("vaultra jobs run", "every job for its current slot"),
                ("vaultra worker", "the schedules and workers, until stopped"),
            ] {
                out.push_str(&format!("  {cmd:<62}  {what}\n"));
            }
            write_stdout(&out)
        }
    }
}
