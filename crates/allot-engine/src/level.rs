//! What a report is rolled up to and where uncovered cost goes: the two choices every
//! chargeback and review makes.

/// The level a chargeback is rolled up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// One line per cost center (the default).
    CostCenter,
    /// One line per value of a mapping attribute column (index into `OrgMapping::attributes`).
    Attribute(usize),
}

/// What happens to cost on days no mapping row covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UnmappedPolicy {
    /// It goes to the `UNMAPPED` cost center (the default).
    #[default]
    Bucket,
    /// A leaver's later cost goes to their last cost center; the never-mapped stay `UNMAPPED`.
    LastKnown,
    /// All of it goes to the named cost center.
    To(String),
}

/// Key value for mapped rows whose level attribute is blank.
pub const BLANK: &str = "(blank)";
