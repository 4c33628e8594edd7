//! The month's forecast in cents: each line's and the organisation's, rounded so every column
//! adds up to its total, with the budget and how far the forecast is into it.

use allot_core::alloc::round_to_cents;
use allot_core::money::div_round_half_away;
use allot_core::results::ForecastLine;
use allot_core::{Month, Nanos, Status};
use chrono::NaiveDate;

/// A forecast line's cents, as the forecast report shows them and every alert says them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastCents {
    /// The month to date (the chargeback's cents).
    pub month_to_date: i64,
    /// The forecast.
    pub forecast: i64,
    /// Its low bound.
    pub low: i64,
    /// Its high bound.
    pub high: i64,
}

/// The cents of each line's forecast and bounds: the month-to-date cents (the chargeback's)
/// plus the rest of the month rounded by largest remainder across the lines, so every column
/// adds up to its total and a month that is over forecasts exactly its chargeback. One
/// rounding for the report and the alerts, so both say the same cents.
pub fn forecast_cents(lines: &[(ForecastLine, i64)]) -> Vec<ForecastCents> {
    let parts = |f: fn(&ForecastLine) -> Nanos| -> Vec<i64> {
        let rest: Vec<(String, Nanos)> = lines
            .iter()
            .map(|(l, _)| (l.key.clone(), f(l) - l.month_to_date))
            .collect();
        round_to_cents(&rest)
            .into_iter()
            .zip(lines)
            .map(|(r, (_, mtd))| mtd + r)
            .collect()
    };
    let (forecast, low, high) = (parts(|l| l.forecast), parts(|l| l.low), parts(|l| l.high));
    lines
        .iter()
        .enumerate()
        .map(|(i, (_, mtd))| ForecastCents {
            month_to_date: *mtd,
            forecast: forecast[i],
            low: low[i],
            high: high[i],
        })
        .collect()
}

/// One row of the forecast: a key's (or the organisation's) cents and budget.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastRow {
    /// The cost center or level value (`TOTAL` for the organisation's row).
    pub key: String,
    /// Its cents: month to date, forecast, low and high.
    pub cents: ForecastCents,
    /// The month's budget in cents, when one is set.
    pub budget: Option<i64>,
    /// The forecast as a share of the budget, in basis points (10,000 = 100%), when the
    /// budget is above zero.
    pub vs_budget_bp: Option<i64>,
}

/// The month's forecast at one level: a row per key and the organisation's total row, whose
/// month to date and forecast are the rows' sums and whose range is the organisation's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForecastFigures {
    /// The level the rows are at (`cost_center` or a hierarchy level).
    pub level: String,
    /// The month forecast.
    pub month: Month,
    /// The last day with data.
    pub through: NaiveDate,
    /// Settled, provisional or incomplete: the month's data so far.
    pub status: Status,
    /// One row per key.
    pub rows: Vec<ForecastRow>,
    /// The organisation's row (`TOTAL`).
    pub total: ForecastRow,
}

/// The forecast as a share of a budget, in basis points, when the budget is above zero.
fn share(forecast: i64, budget: Option<i64>) -> Option<i64> {
    match budget {
        Some(b) if b > 0 => {
            Some(div_round_half_away(i128::from(forecast) * 10_000, i128::from(b)) as i64)
        }
        _ => None,
    }
}

impl ForecastFigures {
    /// The figures of `lines` (each with its month-to-date cents, the chargeback's) and the
    /// organisation's own outlook `org`.
    pub fn new(
        level: &str,
        month: Month,
        through: NaiveDate,
        lines: &[(ForecastLine, i64)],
        org: &ForecastLine,
        status: Status,
    ) -> ForecastFigures {
        let cents = forecast_cents(lines);
        let rows: Vec<ForecastRow> = lines
            .iter()
            .zip(&cents)
            .map(|((l, _), c)| {
                let budget = l.budget.map(Nanos::round_cents);
                ForecastRow {
                    key: l.key.clone(),
                    cents: *c,
                    budget,
                    vs_budget_bp: share(c.forecast, budget),
                }
            })
            .collect();
        let budgets: Vec<Nanos> = lines.iter().filter_map(|(l, _)| l.budget).collect();
        let budget =
            (!budgets.is_empty()).then(|| budgets.into_iter().sum::<Nanos>().round_cents());
        let forecast: i64 = cents.iter().map(|c| c.forecast).sum();
        let total = ForecastRow {
            key: "TOTAL".into(),
            cents: ForecastCents {
                month_to_date: cents.iter().map(|c| c.month_to_date).sum(),
                forecast,
                low: org.low.round_cents(),
                high: org.high.round_cents(),
            },
            budget,
            vs_budget_bp: share(forecast, budget),
        };
        ForecastFigures {
            level: level.to_string(),
            month,
            through,
            status,
            rows,
            total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(key: &str, mtd: i64, forecast: i64, budget: Option<i64>) -> (ForecastLine, i64) {
        let n = |c: i64| Nanos::from_cents(c) + Nanos(3_333_333);
        (
            ForecastLine {
                key: key.into(),
                month_to_date: Nanos::from_cents(mtd),
                forecast: n(forecast),
                low: n(forecast - 100),
                high: n(forecast + 100),
                budget: budget.map(Nanos::from_cents),
            },
            mtd,
        )
    }

    #[test]
    fn the_rows_add_up_to_the_total_and_the_budget_share_is_in_basis_points() {
        let lines = [
            line("a", 1_000, 3_000, Some(4_000)),
            line("b", 500, 1_500, None),
            line("c", 10, 40, Some(0)),
        ];
        let org = ForecastLine {
            key: "TOTAL".into(),
            month_to_date: Nanos::from_cents(1_510),
            forecast: Nanos::from_cents(4_540),
            low: Nanos::from_cents(4_300),
            high: Nanos::from_cents(4_800),
            budget: None,
        };
        let month = Month::new(2026, 11).unwrap();
        let f = ForecastFigures::new(
            "cost_center",
            month,
            month.first_day(),
            &lines,
            &org,
            Status::Provisional,
        );
        let sum = |g: fn(&ForecastCents) -> i64| f.rows.iter().map(|r| g(&r.cents)).sum::<i64>();
        assert_eq!(f.total.cents.forecast, sum(|c| c.forecast));
        assert_eq!(f.total.cents.month_to_date, 1_510);
        assert_eq!((f.total.cents.low, f.total.cents.high), (4_300, 4_800));
        assert_eq!(f.rows[0].budget, Some(4_000));
        // 30.01 of 40.00 is 75.025%, rounded half away from zero: 75.03%.
        assert_eq!(f.rows[0].cents.forecast, 3_001);
        assert_eq!(f.rows[0].vs_budget_bp, Some(7_503));
        assert_eq!(f.rows[1].vs_budget_bp, None, "no budget, no share");
        assert_eq!(f.rows[2].vs_budget_bp, None, "a zero budget has no share");
        assert_eq!(f.total.budget, Some(4_000));
    }
}
