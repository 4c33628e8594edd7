//! The reports of the weekly run: `alerts` (one row per alert that fired, most expensive
//! first) and `forecast` (each key's month to date, where it is heading, and its budget).

use allot_core::money::format_cents;
use allot_core::results::Alert;
use allot_core::results::Severity::{Critical, Info, Warning};
use allot_core::Status;
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
    notes: Vec<crate::Note>,
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
            let (base, cur) = (a.baseline_cents(), a.current_cents());
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

pub use allot_figures::forecast::{forecast_cents, ForecastCents, ForecastFigures, ForecastRow};

/// The `forecast` report of a month's figures: one row per key, then the organisation's
/// `TOTAL` row (the figures round; this renders).
pub fn forecast_report(f: &ForecastFigures, as_of: NaiveDate, notes: Vec<crate::Note>) -> Report {
    let (month, level_name) = (f.month, f.level.as_str());
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
    let row = |r: &ForecastRow| {
        vec![
            Cell::Text(r.key.clone()),
            Cell::Text(month.to_string()),
            Cell::Cents(r.cents.month_to_date),
            Cell::Cents(r.cents.forecast),
            Cell::Cents(r.cents.low),
            Cell::Cents(r.cents.high),
            r.budget.map_or(Cell::Empty, Cell::Cents),
            r.vs_budget_bp.map_or(Cell::Empty, Cell::Pct),
            Cell::Text(f.status.to_string()),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = f.rows.iter().map(row).collect();
    rows.push(row(&f.total));
    Report {
        title: format!(
            "Forecast {month} by {level_name} (data through {})",
            f.through
        ),
        status: f.status,
        meta: vec![
            ("month".into(), month.to_string()),
            ("through".into(), f.through.to_string()),
            ("level".into(), level_name.to_string()),
            ("as_of".into(), as_of.to_string()),
            (
                "month_to_date_usd".into(),
                format_cents(f.total.cents.month_to_date),
            ),
            ("forecast_usd".into(), format_cents(f.total.cents.forecast)),
        ],
        columns,
        rows,
        total: None,
        notes,
    }
}
