//! All of allot's polars code: loading cost and activity facts from CSV or Parquet into
//! DataFrames with exact integer money, joining them to the org mapping by effective date, and
//! aggregating. Ratios, shares and rounding happen outside polars, in exact integer arithmetic.

pub mod chargeback;
pub mod error;
pub mod load;
pub mod mapping_frame;
pub mod table_parquet;
pub mod usage;

pub use chargeback::{chargeback, daily_totals, monthly_by_product, Level, UnmappedPolicy};
pub use error::EngineError;
pub use load::{cost_fact_rows, load_activity, load_costs, write_costs_parquet, FactFrame};
