//! Typed figures: the numbers allot answers with (cents, statuses, periods), computed and
//! rounded once, below every renderer. Reports render them; front ends (the CLI, the
//! dashboard) read their fields and never read a number back out of a rendered cell.
//!
//! The rule: figures compute, reports render, front ends never read a cell back.

pub mod adoption;
pub mod cents;
pub mod chargeback;
pub mod explain;
pub mod forecast;
pub mod reconcile;
pub mod reviews;
pub mod trend;
