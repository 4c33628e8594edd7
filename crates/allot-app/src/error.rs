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

impl From<allot_core::shared::AllocError> for AppError {
    fn from(e: allot_core::shared::AllocError) -> AppError {
        AppError::Usage(e.to_string())
    }
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
