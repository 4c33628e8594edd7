//! Reading the spreadsheets people keep by hand: the org chart / cost-center mapping that says
//! which cost center each person belongs to, and when, from CSV, XLSX, XLS or ODS.

pub mod budgets;
pub mod columns;
pub mod invoice;
pub mod org;
pub mod table;

pub use columns::ColumnConfig;
pub use org::{Assignment, Finding, OrgMapping, ReadOptions, Severity};
pub use table::Table;
