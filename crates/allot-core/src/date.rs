//! Calendar months and strict ISO dates: the periods chargeback and settlement talk about.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Months, NaiveDate};

/// A calendar month, e.g. `2026-09`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

/// Why a text is not a `YYYY-MM` month.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a month: expected YYYY-MM, e.g. 2026-09")]
pub struct MonthParseError(pub String);

impl Month {
    /// The month `date` falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    /// Builds a month from its year and number (1-12).
    pub fn new(year: i32, month: u32) -> Option<Month> {
        NaiveDate::from_ymd_opt(year, month, 1).map(|_| Month { year, month })
    }

    /// The first day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("valid month")
    }

    /// The last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().expect("valid date")
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        Month::of(self.first_day() + Months::new(1))
    }

    /// The month before this one.
    pub fn prev(self) -> Month {
        Month::of(self.first_day() - Months::new(1))
    }

    /// Number of days in the month.
    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    /// Whether `date` falls in this month.
    pub fn contains(self, date: NaiveDate) -> bool {
        Month::of(date) == self
    }
}

impl FromStr for Month {
    type Err = MonthParseError;
    fn from_str(s: &str) -> Result<Month, MonthParseError> {
        let err = || MonthParseError(s.to_string());
        let b = s.as_bytes();
        if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
            return Err(err());
        }
        let year: i32 = s[..4].parse().map_err(|_| err())?;
        let month: u32 = s[5..].parse().map_err(|_| err())?;
        Month::new(year, month).ok_or_else(err)
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Parses a strict `YYYY-MM-DD` date (UTC calendar day).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    parse_date_bytes(s.as_bytes())
}

/// [`parse_date`] on raw bytes.
pub fn parse_date_bytes(b: &[u8]) -> Option<NaiveDate> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    if !b
        .iter()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> u32 {
        b[r].iter().fold(0, |acc, c| acc * 10 + u32::from(c - b'0'))
    };
    NaiveDate::from_ymd_opt(num(0..4) as i32, num(5..7), num(8..10))
}

/// Days since 1970-01-01, the way Arrow and polars store dates.
pub fn to_epoch_days(d: NaiveDate) -> i32 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32
}

/// The date `days` after 1970-01-01.
pub fn from_epoch_days(days: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(i64::from(days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_strictly() {
        let m: Month = "2026-09".parse().unwrap();
        assert_eq!(m.first_day(), NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
        assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 9, 30).unwrap());
        assert_eq!(m.to_string(), "2026-09");
        assert_eq!("2024-02".parse::<Month>().unwrap().days(), 29);
        for bad in [
            "2026-9",
            "2026-13",
            "2026/09",
            "26-09",
            "2026-09-01",
            "",
            "abcd-ef",
        ] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
        assert_eq!(m.next().to_string(), "2026-10");
        assert_eq!(
            "2026-01".parse::<Month>().unwrap().prev().to_string(),
            "2025-12"
        );
    }

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_date("2026-02-28"),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        for bad in [
            "2026-02-30",
            "2026-2-28",
            "28/02/2026",
            "2026-02-28T00:00:00Z",
            "",
        ] {
            assert_eq!(parse_date(bad), None, "{bad}");
        }
        let d = NaiveDate::from_ymd_opt(2026, 9, 15).unwrap();
        assert_eq!(from_epoch_days(to_epoch_days(d)), d);
    }
}
