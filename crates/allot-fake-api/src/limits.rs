//! The documented limits: an organisation-wide token bucket (60 requests a minute by default)
//! and the date rules of the cost and usage endpoints.

use std::time::Instant;

use chrono::{Duration, NaiveDate};

/// A token bucket refilled continuously at `rate` per minute, holding at most `rate` tokens.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    tokens: f64,
    last: Instant,
}

impl RateLimiter {
    /// A full bucket for `per_minute` requests a minute.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            rate: f64::from(per_minute.max(1)),
            tokens: f64::from(per_minute.max(1)),
            last: Instant::now(),
        }
    }

    /// Takes a token; `Err(seconds)` to wait when there is none.
    pub fn take(&mut self) -> Result<(), u64> {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.rate / 60.0;
        self.tokens = (self.tokens + refill).min(self.rate);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - self.tokens) * 60.0 / self.rate).ceil().max(1.0) as u64)
        }
    }
}

/// The earliest day with data.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date")
}

/// Checks a requested window `[start, end)` against the documented rules.
pub fn check_window(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Result<(), String> {
    if start < first_day() {
        return Err(format!(
            "starting_at {start} is before 2026-01-01, the first day with data"
        ));
    }
    if today - start > Duration::days(365) {
        return Err(format!(
            "starting_at {start} is more than 365 days before today ({today})"
        ));
    }
    if start >= today {
        return Err(format!("starting_at {start} is today or in the future"));
    }
    if end <= start {
        return Err("ending_at must be after starting_at".into());
    }
    if end - start > Duration::days(31) {
        return Err(format!("the window {start}..{end} is longer than 31 days"));
    }
    Ok(())
}

/// Checks an engagement day: not before 2026-01-01, not today or later, and no later than the
/// most recent available day (`today - lag`), which the error names.
pub fn check_engagement_day(day: NaiveDate, today: NaiveDate, lag: i64) -> Result<(), String> {
    if day < first_day() {
        return Err(format!(
            "date {day} is before 2026-01-01, the first day with data"
        ));
    }
    if day >= today {
        return Err(format!("date {day} is today or in the future"));
    }
    let latest = today - Duration::days(lag);
    if day > latest {
        return Err(format!(
            "data for {day} is not yet available; the most recent available day is {latest}"
        ));
    }
    Ok(())
}
