//! All of allot's polars code: one load of a period's facts (CSV or Parquet, or the store's
//! day files) with exact integer money, aggregated early; the ledger that numbers people,
//! assigns every (person, day) its mapping row by effective date and answers every report's
//! question from that one load. Ratios, shares and rounding happen outside polars, in exact
//! integer arithmetic.

pub(crate) mod csvscan;
pub mod error;
pub mod facts;
pub mod focus_in;
pub mod fold;
pub mod ledger;
pub mod level;
pub mod load;
pub mod spec;
pub mod table_parquet;

pub use error::EngineError;
pub use facts::{load as load_facts, Loaded, Spec, VIA};
pub use fold::{Grain, Segmenter};
pub use ledger::{Keying, Ledger, Series};
pub use level::{Level, UnmappedPolicy, BLANK};
pub use load::{
    cost_fact_rows, load_activity, load_costs, parquet_rows, write_costs_parquet, FactFrame,
};

/// The cost dimensions the reviews read (besides person and day).
pub const USAGE_DIMS: [&str; 4] = ["product", "model", "context_window", "token_type"];
/// The cost dimensions the FOCUS export reads.
pub const FOCUS_DIMS: [&str; 6] = [
    "product",
    "model",
    "context_window",
    "token_type",
    "cost_type",
    "user_id",
];
