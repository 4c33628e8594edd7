//! Month-end forecasts from a daily series: what is spent so far, plus each remaining day at
//! what its weekday has cost over the last four weeks. The range is the same projection run
//! with each of those four weeks alone: its lowest and highest outcomes. Exact integer money.

use allot_core::money::div_round_half_away;
use allot_core::{Month, Nanos};
use chrono::{Datelike, Duration, NaiveDate};

use crate::rules::Daily;

/// Weeks of history a forecast projects from.
pub const LOOKBACK_WEEKS: i64 = 4;

/// A month's outlook: so far, expected, and the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outlook {
    /// Spent from the month's first day through `through`.
    pub month_to_date: Nanos,
    /// Expected for the whole month.
    pub forecast: Nanos,
    /// The lowest of the four one-week projections.
    pub low: Nanos,
    /// The highest.
    pub high: Nanos,
}

/// The outlook of `month` for a series whose data ends on `through` (the last complete day).
pub fn outlook(d: &Daily, month: Month, through: NaiveDate) -> Outlook {
    let first = month.first_day();
    let last = month.last_day();
    let mtd: Nanos = d.range(first..=through.min(last)).map(|(_, v)| *v).sum();
    if through >= last {
        return Outlook {
            month_to_date: mtd,
            forecast: mtd,
            low: mtd,
            high: mtd,
        };
    }
    let from = (through + Duration::days(1)).max(first);
    // The value of the weekday of `day` in lookback week k (0 = the oldest).
    let value = |k: i64, day: NaiveDate| -> i128 {
        let start = through - Duration::days(7 * LOOKBACK_WEEKS - 1) + Duration::days(7 * k);
        let offset = i64::from(
            (day.weekday().num_days_from_monday() + 7 - start.weekday().num_days_from_monday()) % 7,
        );
        d.get(&(start + Duration::days(offset))).map_or(0, |v| v.0)
    };
    let remaining: Vec<NaiveDate> = from.iter_days().take_while(|x| *x <= last).collect();
    let scenarios: Vec<i128> = (0..LOOKBACK_WEEKS)
        .map(|k| remaining.iter().map(|day| value(k, *day)).sum())
        .collect();
    let mean = div_round_half_away(scenarios.iter().sum(), i128::from(LOOKBACK_WEEKS));
    Outlook {
        month_to_date: mtd,
        forecast: mtd + Nanos(mean),
        low: mtd + Nanos(*scenarios.iter().min().unwrap_or(&0)),
        high: mtd + Nanos(*scenarios.iter().max().unwrap_or(&0)),
    }
}

/// How far forecasts made `days_in` days into each month were from the months' actual totals:
/// (forecasts made, mean absolute error in hundredths of a percent, share of actual totals
/// inside the range in hundredths of a percent).
pub fn backtest(d: &Daily, months: &[Month], days_in: &[u32]) -> (usize, i64, i64) {
    let mut n = 0usize;
    let mut err_bp: i128 = 0;
    let mut inside = 0usize;
    for m in months {
        let actual: Nanos = d.range(m.first_day()..=m.last_day()).map(|(_, v)| *v).sum();
        if actual.0 <= 0 {
            continue;
        }
        for k in days_in {
            let through = m.first_day() + Duration::days(i64::from(*k) - 1);
            let o = outlook(d, *m, through);
            err_bp += div_round_half_away((o.forecast.0 - actual.0).abs() * 10_000, actual.0);
            if o.low <= actual && actual <= o.high {
                inside += 1;
            }
            n += 1;
        }
    }
    if n == 0 {
        return (0, 0, 0);
    }
    (
        n,
        div_round_half_away(err_bp, n as i128) as i64,
        div_round_half_away(inside as i128 * 10_000, n as i128) as i64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        allot_core::date::parse_date(s).unwrap()
    }

    fn usd(x: i64) -> Nanos {
        Nanos::from_cents(x * 100)
    }

    #[test]
    fn the_rest_of_the_month_is_projected_weekday_by_weekday() {
        // Weekdays $100, weekends $10, all of August and September.
        let s: Daily = d("2026-08-01")
            .iter_days()
            .take_while(|x| *x <= d("2026-09-30"))
            .map(|x| {
                (
                    x,
                    usd(if x.weekday().num_days_from_monday() >= 5 {
                        10
                    } else {
                        100
                    }),
                )
            })
            .collect();
        // Through Thursday 09-10: 8 weekdays + 2 weekend days so far; 14 weekdays + 6 weekend
        // days remain.
        let o = outlook(&s, "2026-09".parse().unwrap(), d("2026-09-10"));
        assert_eq!(o.month_to_date, usd(820));
        assert_eq!(o.forecast, usd(820 + 1400 + 60));
        assert_eq!(
            (o.low, o.high),
            (o.forecast, o.forecast),
            "a regular series has no spread"
        );
        let over = outlook(&s, "2026-08".parse().unwrap(), d("2026-09-10"));
        assert_eq!(
            over.forecast, over.month_to_date,
            "a month that is over is its actual"
        );
        let (n, err, inside) = backtest(&s, &["2026-09".parse().unwrap()], &[7, 14, 21]);
        assert_eq!((n, err, inside), (3, 0, 10_000));
    }

    /// The back-test GUIDE.md quotes: forecasts of the demo organisation's months (March to
    /// October 2026) made on the 7th, 14th and 21st, against what each month cost.
    #[test]
    #[allow(clippy::print_stdout)]
    fn back_test_on_generated_history() {
        let org = allot_synth::demo_org();
        let mut s = Daily::new();
        for day in d("2026-02-01")
            .iter_days()
            .take_while(|x| *x <= d("2026-10-31"))
        {
            let total: i128 = org
                .people
                .iter()
                .flat_map(|p| {
                    allot_synth::costs_for(&org, p, day, allot_synth::Intensity::Realistic)
                })
                .map(|f| i128::from(f.cost_nanos))
                .sum();
            let total = Nanos(total);
            s.insert(day, total);
        }
        let months: Vec<Month> = (3..=10).map(|m| Month::new(2026, m).unwrap()).collect();
        let (n, err, inside) = backtest(&s, &months, &[7, 14, 21]);
        let by_day: Vec<(u32, i64, i64)> = [7u32, 14, 21]
            .iter()
            .map(|k| {
                let (_, e, i) = backtest(&s, &months, &[*k]);
                (*k, e, i)
            })
            .collect();
        println!("back-test: {n} forecasts, mean absolute error {}.{:02}%, actual inside the range {}.{:02}%; by day of month (day, error bp, inside bp): {by_day:?}", err / 100, err % 100, inside / 100, inside % 100);
        assert_eq!(n, 24);
        assert!(err < 500, "mean absolute error {err} bp is above 5%");
        for (_, e, _) in &by_day {
            assert!(*e < 700, "{by_day:?}");
        }
    }
}
