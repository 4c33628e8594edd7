//! Plain results the engine computes and the report writers present: exact, unrounded.

use crate::money::Nanos;

/// One line of a chargeback: a cost center (or level value) and its exact cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargebackLine {
    /// The cost center or level value (`UNMAPPED` for uncovered cost).
    pub key: String,
    /// For cost-center lines, the values of the mapping's cost-center attributes.
    pub attributes: Vec<String>,
    /// Distinct people with cost on this line.
    pub users: u64,
    /// The exact amount.
    pub amount: Nanos,
}

/// A person whose cost (some or all of it) was not covered by any mapping row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedPerson {
    /// Normalised email.
    pub email: String,
    /// Their unmapped cost.
    pub amount: Nanos,
    /// Days with unmapped cost.
    pub days: u32,
}

/// The chargeback of one period, exact, before rounding.
#[derive(Debug, Clone)]
pub struct Chargeback {
    /// The name of the level column (`cost_center` or the attribute's name).
    pub level_name: String,
    /// Names of the attribute columns carried on cost-center lines.
    pub attribute_names: Vec<String>,
    /// Lines sorted by key, `UNMAPPED` last.
    pub lines: Vec<ChargebackLine>,
    /// Exact total, equal to the sum of the source rows.
    pub total: Nanos,
    /// Distinct people with cost.
    pub users: u64,
    /// People with unmapped cost, most expensive first.
    pub unmapped: Vec<UnmappedPerson>,
}
