//! allot's application layer: the one place below every front end (the CLI, the scheduled
//! alerts run, the dashboard) where a run is decided. A [`Workspace`] holds the mapping, where
//! the facts come from and the as-of date; [`Workspace::period`] loads a period once, and the
//! [`Period`]'s methods answer every report from that load. Front ends parse their input, call
//! one function here, and show or write the [`Output`].

pub mod adoption;
pub mod board;
pub mod close;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod output;
pub mod reconcile;
pub mod reports;
pub mod restatements;
pub mod sources;
pub mod trend;
pub mod watch;
pub mod workspace;

pub use adoption::AdoptionOptions;
pub use board::{months_held, Chart, MonthBoard, Overview, Part};
pub use error::AppError;
pub use output::{file_name, Named, Output, Show};
pub use reports::{
    ChargebackOptions, MonthReads, ReportOptions, Reviews, CONTEXT_THRESHOLD_PCT, TOP_N,
};
pub use sources::{Facts, Sources};
pub use trend::TrendOptions;
pub use watch::{AlertRun, Delivery, WatchOptions};
pub use workspace::{level_of, read_mapping, MappingSpec, Needs, Period, Workspace};

/// The store as front ends see it: its pinned snapshots and the stamp of its newest versions.
pub mod store {
    pub use allot_sync::store::{head_stamp, Snapshot, Source};
}
