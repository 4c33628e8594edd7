//! The reports of the weekly run: `alerts` (one row per alert that fired, most expensive
//! first) and `forecast` (each key's month to date, where it is heading, and its budget).

use allot_core::alloc::round_to_cents;
use allot_core::money::{div_round_half_away, format_cents};
use allot_core::results::Severity::{Critical, Info, Warning};
use allot_core::results::{Alert, ForecastLine};
use allot_core::{Month, Nanos, Status};
use chrono::NaiveDate;

use crate::model::{Cell, Column, Kind, Report};

/// An alert with the status of its window's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// The alert.
    pub alert: Alert,
    /// `provisional` when its window holds days less than 30 days old, `incomplete` when it
    /// misses days.
    pub status: Status,
}

/// Orders alerts the way people read them: most dollars at stake first, then the loudest,
/// then by rule, level and key (so the order never depends on how they were found).
pub fn sort_alerts(alerts: &mut [Judged]) {
    alerts.sort_by(|a, b| {
        b.alert
            .amount
            .cmp(&a.alert.amount)
            .then_with(|| b.alert.severity.cmp(&a.alert.severity))
            .then_with(|| a.alert.rule.cmp(&b.alert.rule))
            .then_with(|| a.alert.level.cmp(&b.alert.level))
            .then_with(|| a.alert.key.cmp(&b.alert.key))
    });
}

/// The `alerts` report: `rule`, `level`, `key`, `window_start`, `window_end`,
/// `baseline_usd`, `current_usd`, `change_pct`, `amount_usd`, `severity`, `message`, `status`.
pub fn alerts_report(
    alerts: &[Judged],
    window: (NaiveDate, NaiveDate),
    window_status: Status,
    as_of: NaiveDate,
    notes: Vec<String>,
) -> Report {
    let columns = vec![
        Column::new("rule", Kind::Text),
        Column::new("level", Kind::Text),
        Column::new("key", Kind::Text),
        Column::new("window_start", Kind::Text).csv_only(),
        Column::new("window_end", Kind::Text).csv_only(),
        Column::new("baseline_usd", Kind::Money).csv_only(),
        Column::new("current_usd", Kind::Money).csv_only(),
        Column::new("change_pct", Kind::Pct).csv_only(),
        Column::new("amount_usd", Kind::Money),
        Column::new("severity", Kind::Text),
        Column::new("message", Kind::Text),
        Column::new("status", Kind::Text),
    ];
    let rows: Vec<Vec<Cell>> = alerts
        .iter()
        .map(|j| {
            let a = &j.alert;
            let (base, cur) = (a.baseline.round_cents(), a.current.round_cents());
            let amount = a.amount_cents();
            vec![
                Cell::Text(a.rule.clone()),
                Cell::Text(a.level.clone()),
                Cell::Text(a.key.clone()),
                Cell::Text(a.window_start.to_string()),
                Cell::Text(a.window_end.to_string()),
                Cell::Cents(base),
                Cell::Cents(cur),
                a.change_bp.map_or(Cell::Empty, Cell::Pct),
                Cell::Cents(amount),
                Cell::Text(a.severity.as_str().to_string()),
                Cell::Text(a.message.clone()),
                Cell::Text(j.status.to_string()),
            ]
        })
        .collect();
    // The days looked at decide the run's status, alerts or none: a quiet run over young
    // days is provisional, never settled.
    let status = alerts
        .iter()
        .map(|j| j.status)
        .chain(std::iter::once(window_status))
        .max()
        .unwrap_or(window_status);
    let count = |s| alerts.iter().filter(|j| j.alert.severity == s).count();
    Report {
        title: format!(
            "Alerts for the days to {} ({} critical, {} warning, {} info)",
            window.1,
            count(Critical),
            count(Warning),
            count(Info)
        ),
        status,
        meta: vec![
            ("window_start".into(), window.0.to_string()),
            ("window_end".into(), window.1.to_string()),
            ("as_of".into(), as_of.to_string()),
            ("alerts".into(), alerts.len().to_string()),
            ("critical".into(), count(Critical).to_string()),
            ("warning".into(), count(Warning).to_string()),
            ("info".into(), count(Info).to_string()),
        ],
        columns,
        rows,
        total: None,
        notes,
    }
}

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

/// The `forecast` report of `month` at `level_name`: one row per key, then the `TOTAL` line
/// of the organisation. Month-to-date cents are the chargeback's (`mtd_cents`, rounded once
/// for the period); a forecast (and each bound) is those cents plus the rest of the month
/// rounded by largest remainder across the keys, so every column adds up to its total line
/// and a month that is over forecasts exactly its chargeback.
#[allow(clippy::too_many_arguments)]
pub fn forecast_report(
    level_name: &str,
    month: Month,
    through: NaiveDate,
    lines: &[(ForecastLine, i64)],
    org: &ForecastLine,
    status: Status,
    as_of: NaiveDate,
    notes: Vec<String>,
) -> Report {
    let columns = vec![
        Column::new(level_name, Kind::Text),
        Column::new("month", Kind::Text).csv_only(),
        Column::new("month_to_date_usd", Kind::Money),
        Column::new("forecast_usd", Kind::Money),
        Column::new("forecast_low_usd", Kind::Money),
        Column::new("forecast_high_usd", Kind::Money),
        Column::new("budget_usd", Kind::Money),
        Column::new("forecast_vs_budget_pct", Kind::Pct),
        Column::new("status", Kind::Text),
    ];
    let cents = forecast_cents(lines);
    let forecast: Vec<i64> = cents.iter().map(|c| c.forecast).collect();
    let low: Vec<i64> = cents.iter().map(|c| c.low).collect();
    let high: Vec<i64> = cents.iter().map(|c| c.high).collect();
    let vs = |f: i64, b: Option<Nanos>| -> Cell {
        match b.map(Nanos::round_cents) {
            Some(b) if b > 0 => {
                Cell::Pct(div_round_half_away(i128::from(f) * 10_000, i128::from(b)) as i64)
            }
            _ => Cell::Empty,
        }
    };
    let mut rows = Vec::new();
    for (i, (l, mtd)) in lines.iter().enumerate() {
        rows.push(vec![
            Cell::Text(l.key.clone()),
            Cell::Text(month.to_string()),
            Cell::Cents(*mtd),
            Cell::Cents(forecast[i]),
            Cell::Cents(low[i]),
            Cell::Cents(high[i]),
            l.budget
                .map_or(Cell::Empty, |b| Cell::Cents(b.round_cents())),
            vs(forecast[i], l.budget),
            Cell::Text(status.to_string()),
        ]);
    }
    let mtd_total: i64 = lines.iter().map(|(_, c)| c).sum();
    let forecast_total: i64 = forecast.iter().sum();
    let budget_total: Option<Nanos> = {
        let b: Vec<Nanos> = lines.iter().filter_map(|(l, _)| l.budget).collect();
        (!b.is_empty()).then(|| b.into_iter().sum())
    };
    rows.push(vec![
        Cell::Text("TOTAL".into()),
        Cell::Text(month.to_string()),
        Cell::Cents(mtd_total),
        Cell::Cents(forecast_total),
        Cell::Cents(org.low.round_cents()),
        Cell::Cents(org.high.round_cents()),
        budget_total.map_or(Cell::Empty, |b| Cell::Cents(b.round_cents())),
        vs(forecast_total, budget_total),
        Cell::Text(status.to_string()),
    ]);
    Report {
        title: format!("Forecast {month} by {level_name} (data through {through})"),
        status,
        meta: vec![
            ("month".into(), month.to_string()),
            ("through".into(), through.to_string()),
            ("level".into(), level_name.to_string()),
            ("as_of".into(), as_of.to_string()),
            ("month_to_date_usd".into(), format_cents(mtd_total)),
            ("forecast_usd".into(), format_cents(forecast_total)),
        ],
        columns,
        rows,
        total: None,
        notes,
    }
}
