//! Why each line's cost changed, rendered from its figures (`allot_figures::explain`):
//! `explain.csv` (one row per line and driver, the organisation's last) and the team view
//! the terminal shows first (one row per line: the change and its largest driver).

use allot_core::money::format_cents;
use allot_core::Status;
use allot_figures::explain::{Contribution, Driver, Explanation, LineChange};

use crate::model::{Cell, Column, Kind, Note, Report};

/// The contributors a row names before "and N more".
pub const CONTRIBUTORS_SHOWN: usize = 5;

/// What the two periods are, for titles and columns.
#[derive(Debug, Clone)]
pub struct Compared {
    /// The earlier period, e.g. `2026-10`.
    pub before: String,
    /// The later period.
    pub now: String,
    /// The level's column name (`cost_center`, or the `--by` column).
    pub level_name: String,
}

/// Signed dollars: `+$12.34`, `-$5.00`.
fn signed(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "+" };
    format!(
        "{sign}${}",
        format_cents(i64::try_from(cents.unsigned_abs()).unwrap_or(i64::MAX))
    )
}

/// `ann@x.com +$12.34; api_key:k1 -$5.00; and 3 more`.
pub fn contributors_text(parts: &[Contribution]) -> String {
    let mut shown: Vec<String> = parts
        .iter()
        .take(CONTRIBUTORS_SHOWN)
        .map(|c| format!("{} {}", c.who, signed(c.cents)))
        .collect();
    if parts.len() > CONTRIBUTORS_SHOWN {
        shown.push(format!("and {} more", parts.len() - CONTRIBUTORS_SHOWN));
    }
    shown.join("; ")
}

/// `explain.csv`: each line's drivers (every driver, zeros included, so a script finds each),
/// then the organisation's as `TOTAL`.
pub fn explain_report(
    compared: &Compared,
    explained: &Explanation,
    status: Status,
    notes: Vec<Note>,
) -> Report {
    let columns = vec![
        Column::new(&compared.level_name, Kind::Text),
        Column::new("driver", Kind::Text),
        Column::new("amount_usd", Kind::Money),
        Column::new("contributors", Kind::Text),
        Column::new("before_usd", Kind::Money).csv_only(),
        Column::new("now_usd", Kind::Money).csv_only(),
        Column::new("change_usd", Kind::Money).csv_only(),
        Column::new("before", Kind::Text).csv_only(),
        Column::new("now", Kind::Text).csv_only(),
        Column::new("status", Kind::Text).csv_only(),
    ];
    let rows_of = |line: &LineChange| -> Vec<Vec<Cell>> {
        line.drivers
            .iter()
            .map(|d| {
                vec![
                    Cell::Text(line.key.clone()),
                    Cell::Text(d.driver.name().to_string()),
                    Cell::Cents(d.cents),
                    Cell::Text(contributors_text(&d.contributors)),
                    Cell::Cents(line.before_cents),
                    Cell::Cents(line.now_cents),
                    Cell::Cents(line.change_cents()),
                    Cell::Text(compared.before.clone()),
                    Cell::Text(compared.now.clone()),
                    Cell::Text(status.to_string()),
                ]
            })
            .collect()
    };
    let mut rows: Vec<Vec<Cell>> = explained.lines.iter().flat_map(rows_of).collect();
    rows.extend(rows_of(&explained.total));
    Report {
        title: format!(
            "Why cost changed from {} to {}, by {} and driver",
            compared.before, compared.now, compared.level_name
        ),
        status,
        meta: meta(compared, explained),
        columns,
        rows,
        total: None,
        notes,
    }
}

/// The team view: one row per line with its change and its largest driver, the organisation
/// last.
pub fn explain_teams_report(
    compared: &Compared,
    explained: &Explanation,
    status: Status,
    notes: Vec<Note>,
) -> Report {
    let columns = vec![
        Column::new(&compared.level_name, Kind::Text),
        Column::new("before_usd", Kind::Money),
        Column::new("now_usd", Kind::Money),
        Column::new("change_usd", Kind::Money),
        Column::new("largest_driver", Kind::Text),
        Column::new("largest_usd", Kind::Money),
        Column::new("drivers", Kind::Text),
    ];
    let row = |line: &LineChange| -> Vec<Cell> {
        let largest = line.largest();
        // Every driver that moved the line, largest first.
        let moved = line.moved(false);
        vec![
            Cell::Text(line.key.clone()),
            Cell::Cents(line.before_cents),
            Cell::Cents(line.now_cents),
            Cell::Cents(line.change_cents()),
            largest.map_or(Cell::Empty, |d| Cell::Text(d.driver.name().to_string())),
            largest.map_or(Cell::Empty, |d| Cell::Cents(d.cents)),
            Cell::Text(
                moved
                    .iter()
                    .map(|d| format!("{} {}", d.driver.name(), signed(d.cents)))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ]
    };
    let rows = explained.lines.iter().map(row).collect();
    Report {
        title: format!(
            "Cost by {} from {} to {}: the change and what drove it",
            compared.level_name, compared.before, compared.now
        ),
        status,
        meta: meta(compared, explained),
        columns,
        rows,
        total: Some(row(&explained.total)),
        notes,
    }
}

fn meta(compared: &Compared, explained: &Explanation) -> Vec<(String, String)> {
    vec![
        ("before".into(), compared.before.clone()),
        ("now".into(), compared.now.clone()),
        ("level".into(), compared.level_name.clone()),
        (
            "change_usd".into(),
            format_cents(explained.total.change_cents()),
        ),
        (
            "drivers".into(),
            Driver::ALL
                .iter()
                .map(|d| d.name())
                .collect::<Vec<_>>()
                .join(","),
        ),
    ]
}

/// One line's drivers (those that moved it, largest first), its change as the total row: what
/// a cost center's page shows under its month over month. On `like_days` the cut-off days of a
/// running month are left out and the total is the change on like days (the month over
/// month's own).
pub fn explain_line_report(
    compared: &Compared,
    line: &LineChange,
    like_days: bool,
    status: Status,
    notes: Vec<Note>,
) -> Report {
    let columns = vec![
        Column::new("driver", Kind::Text),
        Column::new("amount_usd", Kind::Money),
        Column::new("contributors", Kind::Text),
    ];
    let moved = line.moved(like_days);
    let rows = moved
        .iter()
        .map(|d| {
            vec![
                Cell::Text(d.driver.name().to_string()),
                Cell::Cents(d.cents),
                Cell::Text(contributors_text(&d.contributors)),
            ]
        })
        .collect();
    Report {
        title: format!(
            "{}: what drove the change from {} to {}",
            line.key, compared.before, compared.now
        ),
        status,
        meta: vec![
            ("before".into(), compared.before.clone()),
            ("now".into(), compared.now.clone()),
            (compared.level_name.clone(), line.key.clone()),
            ("before_usd".into(), format_cents(line.before_cents)),
            ("now_usd".into(), format_cents(line.now_cents)),
        ],
        columns,
        rows,
        total: Some(vec![
            Cell::Text("change".into()),
            Cell::Cents(if like_days {
                line.like_change_cents()
            } else {
                line.change_cents()
            }),
            Cell::Empty,
        ]),
        notes,
    }
}
