//! What can go wrong in the engine: bad input (the user's to fix) or an internal failure.

use allot_core::InputError;

/// An engine failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// An input file is wrong; the message says where.
    #[error(transparent)]
    Input(#[from] InputError),
    /// polars failed on data allot had already checked.
    #[error("polars failed: {0}")]
    Polars(#[from] polars::error::PolarsError),
    /// A report asked the engine for something its load did not keep: a bug in the caller.
    #[error("internal error: {0}")]
    Internal(String),
    /// A report total does not tie back to the source rows: a bug, never shown as a result.
    #[error("internal check failed: {what} is {got} but the source rows sum to {expected}")]
    TieOut {
        /// Which total.
        what: String,
        /// The report's figure.
        got: String,
        /// The source rows' sum.
        expected: String,
    },
}
