//! Syncing Anthropic's analytics APIs into allot's local store: a polite client (one token
//! bucket for the whole API, retries with backoff that honour `retry-after`, cursor pagination
//! that restarts on 410), the store (a Parquet file per source and day, written atomically,
//! with settled/provisional state and restatement records), and the sync that plans the fewest
//! requests. Keys never appear in any message.

pub mod check;
pub mod client;
pub mod delta;
pub mod error;
pub mod key;
pub mod listings;
pub mod parse;
pub mod spill;
pub mod store;
pub mod sync;
#[cfg(test)]
mod tests;
pub mod usage_cost;

pub use client::{Client, ClientConfig};
pub use error::SyncError;
pub use key::{ApiKey, Keys};
pub use store::{Source, Store};
pub use sync::{sync, CostApi, Progress, Quiet, Summary, SyncOptions};
