//! What can go wrong while syncing, each naming the endpoint or file and what to check. No
//! variant ever carries a key.

use std::path::PathBuf;

use allot_engine::EngineError;

/// A sync failure.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The request cannot be made as asked (dates out of the documented range, ...): nothing
    /// was sent.
    #[error("{0}")]
    Plan(String),
    /// The API refused the request (400, 401, 403, 404): retrying will not help.
    #[error("{endpoint}: the API answered {status}: {message} ({hint})")]
    Rejected {
        /// The endpoint's path.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// The API's message.
        message: String,
        /// What to check.
        hint: &'static str,
    },
    /// Transient failures went on past the retry budget.
    #[error("{endpoint}: gave up after {attempts} attempts; last: {last}")]
    GaveUp {
        /// The endpoint's path.
        endpoint: String,
        /// Attempts made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The answer does not have the documented shape.
    #[error("{endpoint}: unexpected answer: {problem}{}", request_note(.request))]
    Malformed {
        /// The endpoint's path.
        endpoint: String,
        /// What was wrong (the field, when one is missing).
        problem: String,
        /// The request that got the answer (path and query; never the key), when known.
        request: String,
    },
    /// Another sync holds the store.
    #[error("the store `{}` is being synced by another process ({holder}); wait for it to finish, or pass --wait", path.display())]
    Locked {
        /// The store folder.
        path: PathBuf,
        /// What the lock file says about its holder.
        holder: String,
    },
    /// A key file is unusable.
    #[error("key file `{}`: {problem}", path.display())]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Reading or writing the store failed.
    #[error("store `{}`: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Writing or reading a partition failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn request_note(request: &str) -> String {
    if request.is_empty() {
        String::new()
    } else {
        format!(" (request: GET {request})")
    }
}

impl SyncError {
    /// The same error, naming the request that got a malformed answer.
    #[must_use]
    pub fn in_request(self, request: impl Into<String>) -> SyncError {
        match self {
            SyncError::Malformed {
                endpoint,
                problem,
                request: r,
            } if r.is_empty() => SyncError::Malformed {
                endpoint,
                problem,
                request: request.into(),
            },
            other => other,
        }
    }
}
