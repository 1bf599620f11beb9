//! The one error type of the command layer, and how it maps to bpftool's exit codes.

use std::io;

/// What went wrong in a command, with everything `main` needs to report it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Printed as `Error: MSG` (or `{"error":"MSG"}`), exit status 255.
    #[error("{0}")]
    Msg(String),
    /// Printed like [`Error::Msg`], with a specific exit status (bpftool returns
    /// `-ENOENT` for misses of `map lookup`, `1` from `link detach`, ...).
    #[error("{msg}")]
    Status {
        /// The message.
        msg: String,
        /// The process exit status.
        status: u8,
    },
    /// bpftool's `usage()`: the object's help text, exit status 255.
    #[error("usage")]
    Usage {
        /// The help text to print (stderr, or `null` in JSON mode).
        help: String,
    },
    /// Everything was already printed; exit with this status.
    #[error("exit status {0}")]
    Exit(u8),
    /// Writing the output failed. A closed pipe ends the run quietly.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Error {
    /// The process exit status for this error (bpftool: `-1` from main is 255).
    pub fn status(&self) -> u8 {
        match self {
            Error::Msg(_) | Error::Usage { .. } | Error::Io(_) => 255,
            Error::Status { status, .. } => *status,
            Error::Exit(s) => *s,
        }
    }

    /// Whether this is a write to a closed pipe (`bpftool ... | head -1`).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}

/// Result of the command layer.
pub type Result<T> = std::result::Result<T, Error>;

/// Returns early with `Error::Msg(format!(...))`.
#[macro_export]
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::Error::Msg(format!($($arg)*)))
    };
}

/// Builds an `Error::Msg(format!(...))`.
#[macro_export]
macro_rules! err {
    ($($arg:tt)*) => {
        $crate::error::Error::Msg(format!($($arg)*))
    };
}
