//! The settlement rule: Anthropic revises cost values for up to 30 days, so a day is settled
//! (invoicing-grade) only once it is at least 30 days before the as-of date.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

use crate::date::Month;

/// Days after which a day's cost values no longer change.
pub const SETTLEMENT_DAYS: i64 = 30;

/// Whether figures are final, may still be revised, or stand on data with gaps.
///
/// Ordered from best to worst, so the status of several periods or sources is their `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every day is present and at least 30 days before the as-of date: final.
    Settled,
    /// Every day is present, but some is within the revision window (or was fetched while it
    /// was): the figures may still change.
    Provisional,
    /// Some day of the period has no data (never synced, or outside the files given): the
    /// figures are not the period's whole cost.
    Incomplete,
}

impl Status {
    /// The status word used in every output (`settled`, `provisional` or `incomplete`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Settled => "settled",
            Status::Provisional => "provisional",
            Status::Incomplete => "incomplete",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether `day` is settled as of `as_of`.
pub fn day_status(day: NaiveDate, as_of: NaiveDate) -> Status {
    if (as_of - day).num_days() >= SETTLEMENT_DAYS {
        Status::Settled
    } else {
        Status::Provisional
    }
}

/// A month is settled when its last day is.
pub fn month_status(month: Month, as_of: NaiveDate) -> Status {
    day_status(month.last_day(), as_of)
}

/// The last day that is settled as of `as_of`.
pub fn last_settled_day(as_of: NaiveDate) -> NaiveDate {
    as_of - chrono::Duration::days(SETTLEMENT_DAYS)
}

/// The latest month whose every day is settled as of `as_of`.
pub fn latest_settled_month(as_of: NaiveDate) -> Month {
    let last = last_settled_day(as_of);
    let m = Month::of(last);
    if m.last_day() == last {
        m
    } else {
        m.prev()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::date::parse_date(s).unwrap()
    }

    #[test]
    fn a_day_settles_after_thirty_days() {
        assert_eq!(
            day_status(d("2026-09-30"), d("2026-10-30")),
            Status::Settled
        );
        assert_eq!(
            day_status(d("2026-09-30"), d("2026-10-29")),
            Status::Provisional
        );
    }

    #[test]
    fn months_settle_on_their_last_day() {
        let sep: Month = "2026-09".parse().unwrap();
        assert_eq!(month_status(sep, d("2026-10-30")), Status::Settled);
        assert_eq!(month_status(sep, d("2026-10-29")), Status::Provisional);
        assert_eq!(latest_settled_month(d("2026-11-23")).to_string(), "2026-09");
        assert_eq!(latest_settled_month(d("2026-10-30")).to_string(), "2026-09");
        assert_eq!(latest_settled_month(d("2026-10-29")).to_string(), "2026-08");
    }
}
