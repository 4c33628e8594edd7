//! What a load is asked for: the columns it keeps and sums, its days, and how finely it keeps
//! them. The scan (`csvscan`), the fold (`fold`) and the load (`facts`) all read it; it reads
//! none of them.

use std::sync::Arc;

use allot_core::DateRange;

/// The most dimensions a load keeps (the FOCUS export's six and a fact's fallbacks, `via`,
/// with room for one more); a load asking for more is refused, never cut short.
pub(crate) const MAX_DIMS: usize = 8;

/// What a load keeps.
#[derive(Debug, Clone)]
pub struct Spec<'a> {
    /// Columns every file must have.
    pub required: &'a [&'a str],
    /// Text columns kept as grouping dimensions (nulls read as empty).
    pub dims: &'a [&'a str],
    /// Whole-number columns summed (absent in a file: zero).
    pub counts: &'a [&'a str],
    /// Money columns summed as `<stem>_nanos`; the first is the cost every total ties back to
    /// and must be present, the others are optional (a `<stem>_missing` column counts the
    /// facts that had none).
    pub money: &'a [&'a str],
    /// The days kept.
    pub range: DateRange,
    /// How finely days are kept (every day, or spans of a segmenter).
    pub grain: Grain,
}

/// Where a person's days may be summed together: for a normalised email, the first days of
/// the spans over which nothing the run needs changes (the period's buckets, the person's
/// mapping rows), sorted; `None` keeps every day (e.g. a person with uncovered days).
pub type Segmenter = Arc<dyn Fn(&str) -> Option<Arc<[i32]>> + Send + Sync>;

/// How finely a load keeps days.
#[derive(Clone, Default)]
pub enum Grain {
    /// One row per day (reports by day, FOCUS, alerts).
    #[default]
    Day,
    /// One row per span of days of a segmenter: the day of a row is its span's first day.
    Spans(Segmenter),
}

impl std::fmt::Debug for Grain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Grain::Day => "Day",
            Grain::Spans(_) => "Spans",
        })
    }
}

/// The column counting facts without a value of an optional money column.
pub fn missing_column(money: &str) -> String {
    match money.strip_suffix("_usd") {
        Some(stem) => format!("{stem}_missing"),
        None => format!("{money}_missing"),
    }
}
