//! Reading the spreadsheets people keep by hand: the org chart / cost-center mapping that says
//! which cost center each person belongs to, and when.

pub mod org;
pub mod table;

pub use org::{Assignment, OrgMapping};
pub use table::Table;
