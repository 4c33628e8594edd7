//! What can stop a run: bad input (the person's to fix, named precisely), a period that cannot
//! be reported honestly, or a failure below.

use allot_core::InputError;
use allot_engine::EngineError;
use allot_sync::SyncError;

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// An input file is wrong; the message says where.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The engine failed (bad input it found, or an internal check).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The store could not be read, or a sync failed.
    #[error(transparent)]
    Sync(#[from] SyncError),
    /// Flags or inputs that do not make sense together.
    #[error("{0}")]
    Usage(String),
    /// The period has no data at all, or has not started: nothing honest can be said.
    #[error("{0}")]
    NoData(String),
    /// The run was refused because what it would record cannot be stood behind.
    #[error("{0}")]
    Refused(String),
    /// The notification could not be delivered (the message never names the webhook URL).
    #[error("notification: {0}")]
    Notify(String),
    /// Shared cost cannot be split as the pools say.
    #[error(transparent)]
    Alloc(#[from] allot_core::shared::AllocError),
    /// The sent-alerts state cannot be read.
    #[error(transparent)]
    SentState(#[from] allot_watch::notify::NotifyError),
    /// A file allot wrote earlier (a close version's chargeback) does not read back.
    #[error("reading {what}")]
    ReadBack {
        /// What was read.
        what: String,
        /// What the reader said.
        #[source]
        source: csv::Error,
    },
    /// A server could not listen, or stopped serving.
    #[error("{what}")]
    Serve {
        /// What failed, with the address.
        what: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Writing an output failed.
    #[error("writing `{}`", path.display())]
    Write {
        /// The file or folder.
        path: std::path::PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

/// A tokio runtime for the parts of a run that talk HTTP (the in-process fake, webhooks).
pub(crate) fn runtime(multi_thread: bool) -> Result<tokio::runtime::Runtime, AppError> {
    let mut b = if multi_thread {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    b.enable_all().build().map_err(|source| AppError::Write {
        path: "async runtime".into(),
        source,
    })
}
