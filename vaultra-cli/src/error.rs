//! The command's errors, mapped once to a message and an exit code.

use vaultra_adapters::files::FilesError;

/// Anything that stops a command.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The arguments are wrong in a way clap cannot see.
    #[error("{0}")]
    Usage(String),
    /// Reading an export failed.
    #[error(transparent)]
    Files(#[from] FilesError),
    /// The core refused the input, or a dependency or Vaultra itself failed.
    #[error("{}", core_message(.0))]
    Core(#[from] vaultra_core::Error),
    /// The command ran, but part of its work failed (details were printed).
    #[error("{0}")]
    Failed(String),
    /// Writing output or files failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The core error's message; an internal or unavailable one with its causes (the
/// database's or the network's own words), since the terminal is the operator's log.
/// Client errors (invalid input, conflicts) show only their message.
fn core_message(e: &vaultra_core::Error) -> String {
    match e {
        vaultra_core::Error::Internal { .. } | vaultra_core::Error::Unavailable { .. } => {
            e.report().to_string()
        }
        _ => e.to_string(),
    }
}

impl CliError {
    /// 2 for bad usage, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage(_) => 2,
            _ => 1,
        }
    }
}
