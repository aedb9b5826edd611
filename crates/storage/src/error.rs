//! The engine's errors.

use std::path::PathBuf;

/// A storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file system failed. For a write, nothing is known of whether it reached the disk;
    /// the engine is poisoned if the failure was in the WAL, a flush or the manifest.
    #[error("I/O error while {context} ({}): {source}", path.display())]
    Io {
        /// What the engine was doing.
        context: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Stored data failed its checksum or does not parse. Nothing was changed; retrying will fail
    /// the same way. The data must be restored or the file removed by an operator.
    #[error("corruption in {}: {detail}", path.display())]
    Corruption {
        /// The damaged file.
        path: PathBuf,
        /// What is wrong, at which offset.
        detail: String,
    },
    /// An earlier write or sync failed, so the engine refuses all further writes: the state on
    /// disk is unknown and a retried fsync could falsely report success. Reopen the database.
    #[error("the storage engine stopped accepting writes after an earlier failure: {0}")]
    Poisoned(String),
    /// The database is locked by another process or handle.
    #[error("database directory {} is in use by another process (lock file {})", dir.display(), lock.display())]
    Locked {
        /// The database directory.
        dir: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// The database was closed.
    #[error("the database is closed")]
    Closed,
    /// The caller passed something the engine cannot accept (a reversed range, a bad option).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

/// `Result` with the engine's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Why the engine refuses writes after this error: the first failure's own words, not
    /// wrapped again when the error already is [`Error::Poisoned`].
    pub(crate) fn poison_reason(&self) -> String {
        match self {
            Error::Poisoned(reason) => reason.clone(),
            error => error.to_string(),
        }
    }
}
