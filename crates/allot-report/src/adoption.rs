//! The adoption scorecard rendered from its figures (`allot_figures::adoption`): seats against
//! active users per team and surface, the organisation's engagement summary, and the idle
//! seats a licence owner can reclaim.

use allot_core::{Month, Status};
use allot_figures::adoption::{AdoptionLine, IdleSeat, OrgFigure, SURFACES};
use chrono::NaiveDate;

use crate::model::{Cell, Column, Kind, Report};

/// `adoption.csv`: one row per team and a `TOTAL` row.
#[allow(clippy::too_many_arguments)]
pub fn adoption_report(
    level_name: &str,
    attribute_names: &[String],
    month: Month,
    headcount_day: NaiveDate,
    lines: &[AdoptionLine],
    status: Status,
    as_of: NaiveDate,
    notes: Vec<crate::Note>,
) -> Report {
    let mut columns = vec![
        Column::new("month", Kind::Text).csv_only(),
        Column::new(level_name, Kind::Text),
    ];
    for a in attribute_names {
        columns.push(Column::new(a, Kind::Text).csv_only());
    }
    columns.extend([
        Column::new("headcount", Kind::Int),
        Column::new("active_users", Kind::Int),
        Column::new("utilization_pct", Kind::Pct),
    ]);
    for s in SURFACES {
        columns.push(Column::new(&format!("{s}_users"), Kind::Int));
    }
    columns.extend([
        Column::new("amount_usd", Kind::Money),
        Column::new("cost_per_active_user_usd", Kind::Money),
        Column::new("active_users_change", Kind::Int),
        Column::new("status", Kind::Text),
    ]);
    let row = |key: &str, attrs: &[String], l: &AdoptionLine| -> Vec<Cell> {
        let mut r = vec![Cell::Text(month.to_string()), Cell::Text(key.to_string())];
        r.extend(attrs.iter().map(|a| Cell::Text(a.clone())));
        r.extend([
            Cell::Int(l.headcount as i64),
            Cell::Int(l.active as i64),
            l.utilization_bp().map_or(Cell::Empty, Cell::Pct),
        ]);
        r.extend(l.surfaces.iter().map(|n| Cell::Int(*n as i64)));
        r.extend([
            Cell::Cents(l.cents),
            l.cost_per_active_cents().map_or(Cell::Empty, Cell::Cents),
            l.active_change().map_or(Cell::Empty, Cell::Int),
            Cell::Text(status.to_string()),
        ]);
        r
    };
    let mut rows: Vec<Vec<Cell>> = lines
        .iter()
        .map(|l| {
            let mut attrs = l.attributes.clone();
            attrs.resize(attribute_names.len(), String::new());
            row(&l.key, &attrs, l)
        })
        .collect();
    let total = AdoptionLine::total(lines);
    let blank = vec![String::new(); attribute_names.len()];
    rows.push(row("TOTAL", &blank, &total));
    Report {
        title: format!("Adoption {month} by {level_name} (headcount on {headcount_day})"),
        status,
        meta: vec![
            ("month".into(), month.to_string()),
            ("headcount_day".into(), headcount_day.to_string()),
            ("level".into(), level_name.to_string()),
            ("as_of".into(), as_of.to_string()),
            ("headcount".into(), total.headcount.to_string()),
            ("active_users".into(), total.active.to_string()),
        ],
        columns,
        rows,
        total: None,
        notes,
    }
}

/// `inactive_seats.csv`, longest idle first (never active in the data first of all).
pub fn inactive_report(
    month: Month,
    window: (NaiveDate, NaiveDate),
    seats: &[IdleSeat],
    status: Status,
    notes: Vec<crate::Note>,
) -> Report {
    let columns = vec![
        Column::new("email", Kind::Text),
        Column::new("cost_center", Kind::Text),
        Column::new("last_active", Kind::Text),
        Column::new("days_inactive", Kind::Int),
        Column::new("status", Kind::Text),
    ];
    let rows = seats
        .iter()
        .map(|s| {
            vec![
                Cell::Text(s.email.clone()),
                Cell::Text(s.cost_center.clone()),
                s.last_active
                    .map_or(Cell::Empty, |d| Cell::Text(d.to_string())),
                s.days_inactive.map_or(Cell::Empty, Cell::Int),
                Cell::Text(status.to_string()),
            ]
        })
        .collect();
    Report {
        title: format!(
            "Inactive seats {month}: {} with no cost and no activity {} to {}",
            seats.len(),
            window.0,
            window.1
        ),
        status,
        meta: vec![
            ("month".into(), month.to_string()),
            ("window_start".into(), window.0.to_string()),
            ("window_end".into(), window.1.to_string()),
            ("seats".into(), seats.len().to_string()),
        ],
        columns,
        rows,
        total: None,
        notes,
    }
}

fn hundredths(v: Option<i64>) -> Cell {
    v.map_or(Cell::Empty, |x| {
        Cell::Text(allot_core::money::format_cents(x))
    })
}

/// `adoption_org.csv`: the organisation's figures from the engagement summaries, against the
/// month before.
pub fn adoption_org_report(
    month: Month,
    figures: &[OrgFigure],
    status: Status,
    notes: Vec<crate::Note>,
) -> Report {
    let columns = vec![
        Column::new("month", Kind::Text).csv_only(),
        Column::new("metric", Kind::Text),
        Column::new("value", Kind::Text),
        Column::new("previous_month", Kind::Text),
        Column::new("change", Kind::Text),
        Column::new("status", Kind::Text),
    ];
    let rows = figures
        .iter()
        .map(|f| {
            vec![
                Cell::Text(month.to_string()),
                Cell::Text(f.metric.clone()),
                hundredths(f.value),
                hundredths(f.previous),
                hundredths(f.change()),
                Cell::Text(status.to_string()),
            ]
        })
        .collect();
    Report {
        title: format!("Adoption {month}: the organisation (engagement summaries)"),
        status,
        meta: vec![("month".into(), month.to_string())],
        columns,
        rows,
        total: None,
        notes,
    }
}
