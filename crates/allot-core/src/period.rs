//! Periods: any inclusive range of days (a month is one), cut into days, ISO weeks or months
//! for trends, and the completeness rule that decides whether a period's figures are
//! `settled`, `provisional` or `incomplete`.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Duration, NaiveDate};

use crate::date::{parse_date, Month};
use crate::settle::{day_status, Status};

/// An inclusive range of UTC days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateRange {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub to: NaiveDate,
}

impl DateRange {
    /// The days `from..=to`; `None` when `to` is before `from`.
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<DateRange> {
        (from <= to).then_some(DateRange { from, to })
    }

    /// Every day of `month`.
    pub fn month(month: Month) -> DateRange {
        DateRange {
            from: month.first_day(),
            to: month.last_day(),
        }
    }

    /// One day.
    pub fn day(day: NaiveDate) -> DateRange {
        DateRange { from: day, to: day }
    }

    /// Whether `day` is inside.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// Number of days.
    pub fn len(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// Always false: a range holds at least one day.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The days, oldest first.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        let to = self.to;
        self.from.iter_days().take_while(move |d| *d <= to)
    }

    /// The days both ranges hold, if any.
    pub fn intersect(&self, other: &DateRange) -> Option<DateRange> {
        DateRange::new(self.from.max(other.from), self.to.min(other.to))
    }

    /// The month this range is, when it is exactly one calendar month.
    pub fn as_month(&self) -> Option<Month> {
        let m = Month::of(self.from);
        (self.from == m.first_day() && self.to == m.last_day()).then_some(m)
    }

    /// The range as people read it: `2026-09` for a whole month, else `FROM..TO`.
    pub fn label(&self) -> String {
        match self.as_month() {
            Some(m) => m.to_string(),
            None if self.from == self.to => self.from.to_string(),
            None => format!("{}..{}", self.from, self.to),
        }
    }
}

impl fmt::Display for DateRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

/// Why a text is not a range of days.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a period: expected YYYY-MM, YYYY-MM-DD or FROM..TO (e.g. 2026-09-01..2026-09-30)"
)]
pub struct RangeParseError(pub String);

impl FromStr for DateRange {
    type Err = RangeParseError;
    /// Reads `2026-09`, `2026-09-14` or `2026-09-01..2026-09-30` (either end may be a month).
    fn from_str(s: &str) -> Result<DateRange, RangeParseError> {
        let err = || RangeParseError(s.to_string());
        let end = |t: &str, first: bool| -> Option<NaiveDate> {
            let t = t.trim();
            parse_date(t).or_else(|| {
                t.parse::<Month>()
                    .ok()
                    .map(|m| if first { m.first_day() } else { m.last_day() })
            })
        };
        match s.split_once("..") {
            Some((a, b)) => DateRange::new(
                end(a, true).ok_or_else(err)?,
                end(b, false).ok_or_else(err)?,
            )
            .ok_or_else(err),
            None => DateRange::new(
                end(s, true).ok_or_else(err)?,
                end(s, false).ok_or_else(err)?,
            )
            .ok_or_else(err),
        }
    }
}

/// How a trend cuts its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Per {
    /// One period per day.
    Day,
    /// ISO weeks, Monday first.
    Week,
    /// Calendar months.
    Month,
}

impl Per {
    /// The word used in flags and outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Per::Day => "day",
            Per::Week => "week",
            Per::Month => "month",
        }
    }

    /// The first day of the period holding `day` (before any clipping).
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Per::Day => day,
            Per::Week => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Per::Month => Month::of(day).first_day(),
        }
    }

    /// The last day of the period starting on `start`.
    pub fn end_of(self, start: NaiveDate) -> NaiveDate {
        match self {
            Per::Day => start,
            Per::Week => start + Duration::days(6),
            Per::Month => Month::of(start).last_day(),
        }
    }
}

impl FromStr for Per {
    type Err = String;
    fn from_str(s: &str) -> Result<Per, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(Per::Day),
            "week" | "weekly" => Ok(Per::Week),
            "month" | "monthly" => Ok(Per::Month),
            other => Err(format!(
                "`{other}` is not a period length (day, week or month)"
            )),
        }
    }
}

/// The periods of `range` cut by `per`, oldest first; the first and last are clipped to the
/// range, so each one's `from` is its first day inside it.
pub fn buckets(range: DateRange, per: Per) -> Vec<DateRange> {
    let mut out = Vec::new();
    let mut start = range.from;
    while start <= range.to {
        let end = per.end_of(per.start_of(start)).min(range.to);
        out.push(DateRange {
            from: start,
            to: end,
        });
        start = end + Duration::days(1);
    }
    out
}

/// What one source of facts holds for a period: the days it has no data for, and the days
/// whose stored values were fetched while they could still be revised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The source (`cost`, `activity`, `org_cost`, or `files` for facts given as files).
    pub source: String,
    /// Days of the period (up to the last day the source can have) with no data.
    pub missing: Vec<NaiveDate>,
    /// Days present but fetched less than 30 days after they happened: provisional until
    /// synced again.
    pub stale: Vec<NaiveDate>,
    /// Days of the period the source cannot have yet (today and later, or within the
    /// engagement lag): a period holding them is to date, hence provisional.
    pub not_yet: Vec<NaiveDate>,
}

impl Coverage {
    /// Whether every day the source can have is there.
    pub fn complete(&self) -> bool {
        self.missing.is_empty()
    }

    /// Whether the source holds `day`: neither missing nor not yet available.
    pub fn holds(&self, day: NaiveDate) -> bool {
        !self.missing.contains(&day) && !self.not_yet.contains(&day)
    }
}

/// The status of a period's figures as of `as_of`, given what each source it uses holds.
pub fn period_status(range: DateRange, as_of: NaiveDate, coverage: &[Coverage]) -> Status {
    if coverage.iter().any(|c| !c.complete()) {
        return Status::Incomplete;
    }
    let young = day_status(range.to, as_of) == Status::Provisional;
    if young
        || coverage
            .iter()
            .any(|c| !c.stale.is_empty() || !c.not_yet.is_empty())
    {
        Status::Provisional
    } else {
        Status::Settled
    }
}

/// Days as short runs, e.g. `2026-09-11..2026-09-30 (20 days), 2026-10-02`.
pub fn describe_days(days: &[NaiveDate]) -> String {
    let mut runs: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut sorted = days.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    for d in sorted {
        match runs.last_mut() {
            Some((_, end)) if *end + Duration::days(1) == d => *end = d,
            _ => runs.push((d, d)),
        }
    }
    let shown: Vec<String> = runs
        .iter()
        .take(6)
        .map(|(a, b)| {
            if a == b {
                a.to_string()
            } else {
                format!("{a}..{b} ({} days)", (*b - *a).num_days() + 1)
            }
        })
        .collect();
    let more = runs.len().saturating_sub(6);
    if more > 0 {
        format!("{} and {more} more runs", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    #[test]
    fn ranges_parse_from_months_days_and_spans() {
        let r: DateRange = "2026-09".parse().unwrap();
        assert_eq!((r.from, r.to), (d("2026-09-01"), d("2026-09-30")));
        assert_eq!(r.as_month().unwrap().to_string(), "2026-09");
        let r: DateRange = "2026-09-03..2026-10".parse().unwrap();
        assert_eq!(
            (r.from, r.to, r.len()),
            (d("2026-09-03"), d("2026-10-31"), 59)
        );
        assert_eq!(r.label(), "2026-09-03..2026-10-31");
        assert!("2026-10..2026-09".parse::<DateRange>().is_err());
        assert!("2026-09-31".parse::<DateRange>().is_err());
    }

    #[test]
    fn weeks_are_iso_and_the_ends_are_clipped() {
        // 2026-09-02 is a Wednesday; 2026-09-07 a Monday.
        let r = DateRange::new(d("2026-09-02"), d("2026-09-16")).unwrap();
        let w = buckets(r, Per::Week);
        assert_eq!(
            w.iter().map(|b| (b.from, b.to)).collect::<Vec<_>>(),
            vec![
                (d("2026-09-02"), d("2026-09-06")),
                (d("2026-09-07"), d("2026-09-13")),
                (d("2026-09-14"), d("2026-09-16")),
            ]
        );
        let m = buckets(
            DateRange::new(d("2026-08-15"), d("2026-10-01")).unwrap(),
            Per::Month,
        );
        assert_eq!(m.len(), 3);
        assert_eq!(m[1], DateRange::month("2026-09".parse().unwrap()));
        assert_eq!(buckets(r, Per::Day).len(), 15);
    }

    #[test]
    fn a_period_with_a_gap_is_incomplete_and_a_young_one_provisional() {
        let sep = DateRange::month("2026-09".parse().unwrap());
        let full = Coverage {
            source: "cost".into(),
            ..Coverage::default()
        };
        assert_eq!(
            period_status(sep, d("2026-11-23"), std::slice::from_ref(&full)),
            Status::Settled
        );
        assert_eq!(
            period_status(sep, d("2026-10-20"), std::slice::from_ref(&full)),
            Status::Provisional
        );
        let gap = Coverage {
            missing: vec![d("2026-09-11")],
            ..full.clone()
        };
        assert_eq!(
            period_status(sep, d("2026-11-23"), &[full.clone(), gap]),
            Status::Incomplete
        );
        let stale = Coverage {
            stale: vec![d("2026-09-30")],
            ..full
        };
        assert_eq!(
            period_status(sep, d("2026-11-23"), &[stale]),
            Status::Provisional
        );
        assert_eq!(
            describe_days(&[
                d("2026-09-12"),
                d("2026-09-11"),
                d("2026-09-13"),
                d("2026-09-20")
            ]),
            "2026-09-11..2026-09-13 (3 days), 2026-09-20"
        );
    }
}
