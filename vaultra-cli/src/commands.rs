//! What each subcommand does.

use std::io::Write;
use std::path::Path;

use std::sync::Arc;
use vaultra_adapters::files::load_export;
use vaultra_adapters::local::SystemClock;
use vaultra_adapters::synth::{self, Profile};

use vaultra_core::app::{Assessment, WindowSpec};
use vaultra_core::ports::Clock;
use vaultra_core::scoring::Policy;

use crate::cli::{AssessArgs, Cli, Command, Format, GenerateArgs, ProfileArg, ScoreArgs};
use crate::error::CliError;

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<(), CliError> {
    let url = cli.database_url;
    match cli.command {
        Command::Migrate => crate::store::block_on(crate::store::migrate(&url)),
        Command::Business(cmd) => crate::store::block_on(crate::store::business(&url, cmd)),
        Command::Import(args) => crate::store::block_on(crate::store::import(&url, args)),
        Command::Report(args) => crate::store::block_on(crate::store::report(&url, args)),
        Command::Recommendations(args) => {
            crate::store::block_on(crate::store::recommendations(&url, args))
        }
        Command::Stripe(cmd) => crate::store::block_on(crate::stripe::run(&url, cmd)),
        Command::Jobs(crate::cli::JobsCommand::Run(args)) => {
            crate::store::block_on(crate::jobs::run_jobs(&url, args))
        }
        Command::Worker(args) => crate::store::block_on(crate::jobs::worker(&url, args)),
        Command::Demo(args) => crate::store::block_on(crate::demo::demo(&url, args)),
        Command::Mcp(args) => crate::store::block_on(crate::mcp::mcp(&url, args)),
        Command::Score(args) => score(args, &SystemClock),
        Command::Generate(args) => generate(args, &SystemClock),
        Command::Policy(args) => {
            let policy = load_policy(&args.policy)?;
            write_stdout(&to_json(&policy)?)
        }
    }
}

pub(crate) fn load_policy(spec: &str) -> Result<Policy, CliError> {
    if let Ok(p) = Policy::builtin(spec) {
        return Ok(p);
    }
    let path = Path::new(spec);
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "--policy {spec}: neither a built-in policy (spec-v1) nor a file"
        )));
    }
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        context: format!("reading policy {spec}"),
        source,
    })?;
    Policy::from_json(&text).map_err(|e| CliError::Core(e.in_context(spec.to_owned())))
}

fn score(args: ScoreArgs, clock: &dyn Clock) -> Result<(), CliError> {
    let assessment = assessment(&args.assess)?;
    // The window is checked before reading what may be hundreds of megabytes.
    let window = assessment.window.resolve(clock)?;
    let data = load_export(&args.data)?;
    let policy = Policy::spec_v1();
    let report = vaultra_core::app::assess_in(data.view(), window, &assessment, &policy);
    print_report(&report, args.assess.format)
}

/// What `score` and `report` share: the window, currency and policy the flags name (the
/// policy read and checked before any I/O).
pub(crate) fn assessment(args: &AssessArgs) -> Result<Assessment, CliError> {
    Ok(Assessment::new(WindowSpec {
        as_of: args.as_of,
        days: Some(args.window_days),
    })
    .in_currency(args.currency)
    .under(Arc::new(load_policy(&args.policy)?)))
}

/// Prints a report in the chosen format (shared by `score` and `report`, which must
/// print the same thing for the same data).
pub(crate) fn print_report(
    report: &vaultra_core::report::Report,
    format: Format,
) -> Result<(), CliError> {
    let output = match format {
        Format::Json => to_json(report)?,
        Format::Text => report.to_text(),
    };
    write_stdout(&output)
}

/// Pretty JSON with a final newline.
pub(crate) fn to_json(value: &impl serde::Serialize) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(value)
        .map_err(|e| CliError::Core(vaultra_core::Error::internal(format!("serializing: {e}"))))?;
    s.push('\n');
    Ok(s)
}

pub(crate) fn write_stdout(s: &str) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`| head`) is the reader's choice, not our failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(source) => Err(CliError::Io {
            context: "writing to stdout".into(),
            source,
        }),
    }
}

fn generate(args: GenerateArgs, clock: &dyn Clock) -> Result<(), CliError> {
    let profile = match args.profile {
        ProfileArg::Steady => Profile::Steady,
        ProfileArg::Seasonal => Profile::Seasonal,
        ProfileArg::Growing => Profile::Growing,
        ProfileArg::Declining => Profile::Declining,
        ProfileArg::ChargebackHeavy => Profile::ChargebackHeavy,
        ProfileArg::PayoutTroubled => Profile::PayoutTroubled,
    };
    let end = match args.end {
        Some(d) => d,
        None => WindowSpec::DEFAULT.resolve(clock)?.end_date(),
    };
    let config = synth::Config {
        days: args.days,
        daily_charges: args.daily_charges,
        currency: args.currency,
        typical_amount: match args.currency.exponent() {
            0 => 4_500,
            3 => 45_000,
            _ => 4_500,
        },
        ..synth::Config::new(profile, args.seed, end)
    };
    let merchant = synth::generate(&config);
    synth::write_export(&args.out, &merchant).map_err(|source| CliError::Io {
        context: format!("writing {}", args.out.display()),
        source,
    })?;
    eprintln!(
        "wrote {} charges, {} payouts, {} disputes and {} events ({} merchant, seed {}) to {}",
        merchant.charges.len(),
        merchant.payouts.len(),
        merchant.disputes.len(),
        merchant.events.len(),
        profile.name(),
        args.seed,
        args.out.display()
    );
    Ok(())
}
