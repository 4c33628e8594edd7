//! The trend's periods in cents, and what the dashboard draws from them: the organisation's
//! cost per period and the largest keys' lines with the rest summed.

use std::collections::BTreeMap;

use allot_core::money::div_round_half_away;
use allot_core::{DateRange, Status};

/// One period of a trend: its days, its status, and its lines (key, attribute values, people,
/// cents) already rounded the way the chargeback rounds that period.
#[derive(Debug, Clone)]
pub struct TrendPeriod {
    /// The period's days (clipped to the trend's range).
    pub range: DateRange,
    /// Settled, provisional or incomplete.
    pub status: Status,
    /// (key, attribute values, people with cost, cents), by key.
    pub lines: Vec<(String, Vec<String>, u64, i64)>,
    /// Why the period is partial (`6 of 31 days, to date`), when it is.
    pub partial: Option<String>,
    /// What its change is measured against.
    pub against: Against,
}

/// What a trend period's change compares with: like with like, always.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// The whole period before (both periods are whole).
    Previous,
    /// The same days of the period before, with each key's cents on them (this period is
    /// still running, or cut by the end of the range).
    SameDays(DateRange, BTreeMap<String, i64>),
    /// Nothing: the reason (this period or the one before is cut by the range).
    Nothing(String),
}

/// The organisation's cost of one period: its lines' cents summed, so the periods add up to
/// the trend's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeriodTotal {
    /// The period's days.
    pub range: DateRange,
    /// Its cents.
    pub cents: i64,
    /// Its status.
    pub status: Status,
}

/// Every period's total, in order.
pub fn totals(periods: &[TrendPeriod]) -> Vec<PeriodTotal> {
    periods
        .iter()
        .map(|p| PeriodTotal {
            range: p.range,
            cents: p.lines.iter().map(|l| l.3).sum(),
            status: p.status,
        })
        .collect()
}

/// A trend line's change against what its period compares with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    /// The change in cents (None: nothing to compare with).
    pub cents: Option<i64>,
    /// The change in hundredths of a percent of the cents before (None: nothing before, or
    /// nothing to compare with).
    pub bp: Option<i64>,
}

/// The change from `before` to `now` cents: in cents, and in hundredths of a percent of
/// `before` (none when `before` is zero), rounded half away from zero.
pub fn change(now: i64, before: i64) -> Change {
    Change {
        cents: Some(now - before),
        bp: (before != 0).then(|| {
            div_round_half_away(i128::from(now - before) * 10_000, i128::from(before.abs())) as i64
        }),
    }
}

/// Each period's lines' changes (in the order of the lines): against the same key in the
/// period before (a key absent there had no cost: 0), or the same days of it when the period
/// is partial, or nothing.
pub fn changes(periods: &[TrendPeriod]) -> Vec<Vec<Change>> {
    let mut last: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(periods.len());
    for p in periods {
        let changes = p
            .lines
            .iter()
            .map(|(key, _, _, cents)| {
                let before = match &p.against {
                    Against::Previous => last.get(key.as_str()).copied(),
                    Against::SameDays(_, base) => base.get(key).copied(),
                    Against::Nothing(_) => None,
                };
                before.map_or(Change::default(), |b| change(*cents, b))
            })
            .collect();
        out.push(changes);
        // A key absent from this period had no cost in it: its next change compares with 0.
        for (k, v) in &mut last {
            if !p.lines.iter().any(|l| l.0 == *k) {
                *v = 0;
            }
        }
        for (key, _, _, cents) in &p.lines {
            last.insert(key.as_str(), *cents);
        }
    }
    out
}

/// Lines to draw: one per key over the periods, the `n` largest (by their sum over every
/// period) and the rest summed as `other`, so the lines add up to the totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    /// The periods' ranges, in order.
    pub periods: Vec<DateRange>,
    /// (key, cents per period), largest first, `other` last.
    pub lines: Vec<(String, Vec<i64>)>,
}

impl Series {
    /// The `n` largest keys of `periods` and the rest summed.
    pub fn largest(periods: &[TrendPeriod], n: usize) -> Series {
        let mut by: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for (i, p) in periods.iter().enumerate() {
            for (key, _, _, cents) in &p.lines {
                by.entry(key).or_insert_with(|| vec![0; periods.len()])[i] += cents;
            }
        }
        let mut lines: Vec<(String, Vec<i64>)> =
            by.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        lines.sort_by_key(|(_, v)| std::cmp::Reverse(v.iter().sum::<i64>()));
        if lines.len() > n {
            let rest = lines.split_off(n);
            let mut other = vec![0; periods.len()];
            for (_, v) in rest {
                for (o, x) in other.iter_mut().zip(v) {
                    *o += x;
                }
            }
            lines.push(("other".into(), other));
        }
        Series {
            periods: periods.iter().map(|p| p.range).collect(),
            lines,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn period(day: u32, status: Status, lines: &[(&str, i64)]) -> TrendPeriod {
        let d = NaiveDate::from_ymd_opt(2026, 11, day).unwrap();
        TrendPeriod {
            range: DateRange::new(d, d + chrono::Duration::days(6)).unwrap(),
            status,
            lines: lines
                .iter()
                .map(|(k, c)| ((*k).to_string(), Vec::new(), 1, *c))
                .collect(),
            partial: None,
            against: Against::Previous,
        }
    }

    #[test]
    fn the_largest_lines_and_the_rest_add_up_to_each_periods_total() {
        let periods = [
            period(
                2,
                Status::Settled,
                &[("a", 500), ("b", 300), ("c", 7), ("d", 1)],
            ),
            period(9, Status::Provisional, &[("a", 100), ("c", 9), ("e", 2)]),
        ];
        let t = totals(&periods);
        assert_eq!(t[0].cents, 808);
        assert_eq!(t[1].status, Status::Provisional);
        let s = Series::largest(&periods, 2);
        let keys: Vec<&str> = s.lines.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "other"]);
        for (i, total) in t.iter().enumerate() {
            assert_eq!(s.lines.iter().map(|(_, v)| v[i]).sum::<i64>(), total.cents);
        }
        assert_eq!(s.lines[2].1, vec![8, 11]);
    }
}
