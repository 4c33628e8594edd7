//! allot's foundation: exact money, calendar months, the settlement rule, largest-remainder
//! allocation and the schemas of the facts everything else reads. No IO lives here.

pub mod alloc;
pub mod date;
pub mod error;
pub mod facts;
pub mod identity;
pub mod model;
pub mod money;
pub mod period;
pub mod results;
pub mod settle;
pub mod shared;

pub use date::Month;
pub use error::InputError;
pub use money::Nanos;
pub use period::{DateRange, Per};
pub use settle::Status;

/// The cost center that receives every cost no mapping row covers: costs are never dropped.
pub const UNMAPPED: &str = "UNMAPPED";
