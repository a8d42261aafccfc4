//! `vaultra`: score Stripe exports from the command line, and (as they land) run the
//! store, the job worker and the HTTP and MCP hosts.
//!
//! Every failure prints one line on stderr and exits non-zero; stdout carries only a
//! complete result.

mod cli;
mod commands;
mod demo;
mod error;
mod jobs;
mod mcp;
mod store;
mod stripe;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Settings may come from a .env file in the working directory; real environment
    // variables win over it.
    let _ = dotenvy::dotenv();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
                || matches!(
                    e.kind(),
                    ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
                )
            {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    ExitCode::from(2)
                } else {
                    ExitCode::SUCCESS
                };
            }
            // Keep clap's diagnosis (it may span a few lines) on one line; drop the usage
            // reminder that follows it.
            let rendered = e.render().to_string();
            let diagnosis: Vec<&str> = rendered
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
                .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
                .collect();
            eprintln!("{} (see --help)", diagnosis.join(" "));
            return ExitCode::from(2);
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let message = e.to_string().replace('\n', " ");
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(e.exit_code())
        }
    }
}
