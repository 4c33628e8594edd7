//! allot's application layer: the one place below every front end (the CLI, the scheduled
//! alerts run, the dashboard) where a run is decided. Front ends parse their input, call one
//! function here, and show or write what it returns; they never compute a figure and never
//! read one back out of a table.
//!
//! # What allot answers, on one page
//!
//! A [`Workspace`] ([`Workspace::open`]: the mapping, where the facts come from, the as-of
//! date, the store pinned at one version for the whole run) answers:
//!
//! | question | call | answer |
//! |---|---|---|
//! | who is charged for a month, at every level | [`Workspace::chargeback`] | [`Output`] |
//! | the same, with the figures beside the tables | [`Period::chargeback_run`] | [`reports::ChargebackRun`] |
//! | top spenders, efficiency, context window, model mix | [`Period::reviews`] | [`Reviews`] (`*_figures`, then `*_of` to render) |
//! | why a line's cost changed between two months (or any two periods of the same kind), and who drove it | [`Workspace::explain`] | [`ExplainRun`] |
//! | how cost moved week by week or month by month | [`Workspace::trend`], [`Period::trend_figures`] | [`Output`], `TrendFigures` |
//! | what fires against budgets and rules | [`Workspace::alerts`] | [`AlertRun`] |
//! | where the month will land | [`Workspace::forecast`], [`Workspace::forecast_figures`] | [`Output`], figures |
//! | who uses Claude, per surface and cost center | [`Workspace::adoption`], [`Workspace::adoption_run`] | [`Output`], [`adoption::AdoptionRun`] |
//! | everything the dashboard shows of a month | [`Workspace::month_board`] | [`MonthBoard`] |
//! | the dashboard's first page | [`Workspace::overview`] | [`Overview`] |
//! | any other period, loaded once for many answers | [`Workspace::period`], [`Workspace::month_period`] | [`Period`] |
//!
//! Without a workspace (they read the store or a bill, not a mapping's period):
//!
//! | question | call |
//! |---|---|
//! | does the invoice add up | [`reconcile::run`], [`reconcile::reconcile_lines`] |
//! | the month's reproducible close | [`close::close`] |
//! | which costs were restated since they were first seen | [`restatements::restatements`] |
//! | fetch what changed from Anthropic's APIs | [`operate::SyncJob::plan`], then [`operate::Syncing::run`] |
//! | is the store whole; migrate it; compact it | [`operate::verify_store`], [`operate::migrate_store`], [`operate::compact_store`] |
//! | is a mapping file right | [`operate::check_mapping`] |
//! | do the endpoints answer with the keys given | [`doctor::run`] |
//! | the fake Anthropic API (tests, the demo) | [`operate::FakeApi::serve`] |
//! | the whole demo, end to end | [`demo::run`] |
//!
//! Every figure comes from `allot-figures` (typed rows in cents, statuses as enums); every
//! table from `allot-report`. A load's columns ([`Needs`]) are derived here from what is
//! asked, and its sources planned once ([`Sources::plan`]).

pub mod adoption;
pub mod board;
pub mod close;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod explain;
pub mod operate;
pub mod output;
pub mod reconcile;
pub mod reports;
pub mod restatements;
pub mod sources;
pub mod spelling;
pub mod trend;
pub mod watch;
pub mod workspace;

pub use adoption::AdoptionOptions;
pub use board::{months_held, Chart, MonthBoard, Overview, Part};
pub use error::AppError;
pub use explain::{ExplainOptions, ExplainRun};
pub use output::{file_name, Named, Output, Show};
pub use reports::{
    ChargebackOptions, MonthReads, ReportOptions, Reviews, CONTEXT_THRESHOLD_PCT, TOP_N,
};
pub use sources::{Facts, Plan, Sources};
pub use trend::TrendOptions;
pub use watch::{AlertRun, Delivery, WatchOptions};
pub use workspace::{level_of, read_mapping, MappingSpec, Needs, Period, Workspace};

/// The store as front ends see it: its pinned snapshots and the stamp of its newest versions.
pub mod store {
    pub use allot_sync::store::{head_stamp, Snapshot, Source};
}
