//! `vaultra-stripe-fake`: serves one synthetic merchant on a connected account, for
//! people and for the Python proof (`tests/stripe-fake/python/run.sh`).
//!
//! Once listening it prints one JSON line on stdout — `url`, `api_base`, `api_key`,
//! `account`, `client_id`, `oauth_code` and the number of objects of each type — and
//! serves until it is killed.

use std::io::Write;

use clap::Parser;
use vaultra_adapters::synth::{Config as Synth, Profile, generate};
use vaultra_stripe_fake::{Config, FakeStripe};

/// A local fake of the Stripe API serving one synthetic merchant.
#[derive(Debug, Parser)]
#[command(name = "vaultra-stripe-fake", version)]
struct Args {
    /// Port on 127.0.0.1 (0: any free port; the line printed at start says which).
    #[arg(long, default_value_t = 12111)]
    port: u16,
    /// Seed of the synthetic merchant.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Business shape: steady, seasonal, growing, declining, chargeback-heavy,
    /// payout-troubled.
    #[arg(long, default_value = "steady")]
    profile: String,
    /// Last day of data (YYYY-MM-DD).
    #[arg(long, default_value = "2026-11-27")]
    end: chrono::NaiveDate,
    /// Days of history.
    #[arg(long, default_value_t = 120)]
    days: u32,
    /// Mean charges per day at the start.
    #[arg(long, default_value_t = 40)]
    daily_charges: u32,
    /// The connected account that holds the merchant (send it as `Stripe-Account`).
    #[arg(long, default_value = "acct_1VaultraDemoMerchnt")]
    account: String,
    /// The platform secret key to accept.
    #[arg(long, default_value = vaultra_stripe_fake::DEFAULT_SECRET_KEY)]
    api_key: String,
    /// The Connect OAuth client id.
    #[arg(long, default_value = vaultra_stripe_fake::DEFAULT_CLIENT_ID)]
    client_id: String,
    /// A single-use OAuth code that connects a second, empty account when exchanged.
    #[arg(long, default_value = "ac_vaultra_demo")]
    oauth_code: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vaultra-stripe-fake: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let profile = Profile::parse(&args.profile)
        .ok_or_else(|| format!("unknown profile {:?}", args.profile))?;
    let mut synth = Synth::new(profile, args.seed, args.end);
    synth.days = args.days;
    synth.daily_charges = args.daily_charges;
    let merchant = generate(&synth);
    let fake = FakeStripe::start(Config {
        secret_keys: vec![args.api_key.clone()],
        client_id: args.client_id.clone(),
        port: args.port,
        ..Config::default()
    })
    .await?;
    fake.add_merchant(&args.account, &merchant)?;
    fake.add_oauth_code(&args.oauth_code, "acct_1VaultraOAuthMerch");
    let ready = serde_json::json!({
        "url": fake.url(),
        "api_base": fake.api_base(),
        "api_key": args.api_key,
        "account": args.account,
        "client_id": args.client_id,
        "oauth_code": args.oauth_code,
        "charges": merchant.charges.len(),
        "payouts": merchant.payouts.len(),
        "disputes": merchant.disputes.len(),
        "events": merchant.events.len(),
    });
    let mut out = std::io::stdout().lock();
    writeln!(out, "{ready}")?;
    out.flush()?;
    drop(out);
    std::future::pending::<()>().await;
    Ok(())
}
