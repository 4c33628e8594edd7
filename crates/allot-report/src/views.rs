//! The chargeback's reports (the chargeback, unmapped spenders, shared allocations, cost by
//! day) and the trend, rendered from their typed figures with the status on every row.

use allot_core::money::format_cents;
use allot_core::shared::Allocation;
use allot_core::{DateRange, Status};
use allot_figures::chargeback::ChargebackFigures;
use chrono::NaiveDate;

use crate::model::{Cell, Column, Kind, Report};

/// The chargeback as a report: one row per line with `month`, the level column, the
/// cost-center attributes, `users` (people), `spenders` (people and other identities),
/// `attributed_usd`, `shared_usd`, `amount_usd`,
/// `share_pct`, `exact_usd` and `status`. Shared pools are added to the lines they were
/// allocated to; the grand total is the attributed total plus every pool, to the cent.
pub fn chargeback_report(f: &ChargebackFigures, as_of: NaiveDate) -> Report {
    let month = f.period;
    let status = f.status;
    let has_shared = f.has_shared;
    let columns = chargeback_columns(f);
    let month_s = month.to_string();
    let rows = f
        .lines
        .iter()
        .map(|line| {
            let mut row = vec![Cell::Text(month_s.clone()), Cell::Text(line.key.clone())];
            row.extend(line.attributes.iter().map(|a| Cell::Text(a.clone())));
            row.push(Cell::Int(line.users as i64));
            row.push(Cell::Int(line.spenders as i64));
            if has_shared {
                row.push(Cell::Cents(line.attributed_cents));
                row.push(Cell::Cents(line.shared_cents));
            }
            row.extend([
                Cell::Cents(line.amount_cents),
                line.share_bp.map_or(Cell::Empty, Cell::Pct),
                Cell::Exact(line.exact),
                Cell::Text(status.to_string()),
            ]);
            row
        })
        .collect();
    let mut total = vec![Cell::Text("TOTAL".into()), Cell::Empty];
    total.extend(f.attribute_names.iter().map(|_| Cell::Empty));
    total.push(Cell::Int(f.users as i64));
    total.push(Cell::Int(f.spenders as i64));
    if has_shared {
        total.push(Cell::Cents(f.attributed_cents));
        total.push(Cell::Cents(f.shared_cents));
    }
    total.extend([
        Cell::Cents(f.total_cents),
        if f.total_exact.0 == 0 {
            Cell::Empty
        } else {
            Cell::Pct(10_000)
        },
        Cell::Exact(f.total_exact),
        Cell::Text(status.to_string()),
    ]);
    let coverage = f.coverage_bp.map(format_cents);
    let notes = chargeback_notes(f, coverage.as_deref());
    let mut meta = vec![
        ("month".into(), month_s),
        ("as_of".into(), as_of.to_string()),
        ("level".into(), f.level_name.clone()),
        ("coverage_pct".into(), coverage.unwrap_or_default()),
        ("attributed_usd".into(), format_cents(f.attributed_cents)),
        ("shared_usd".into(), format_cents(f.shared_cents)),
        ("total_usd".into(), format_cents(f.total_cents)),
    ];
    if !has_shared {
        meta.retain(|(k, _)| k != "attributed_usd" && k != "shared_usd");
    }
    Report {
        title: format!("Chargeback {month} by {}", f.level_name),
        status,
        meta,
        columns,
        rows,
        total: Some(total),
        notes: crate::Note::infos(notes),
    }
}

/// The chargeback's columns: the level and its attributes, people and spenders, the
/// attributed and shared parts when pools were split, the amount, its share, the exact amount
/// and the status.
fn chargeback_columns(f: &ChargebackFigures) -> Vec<Column> {
    let mut columns = vec![
        Column::new("month", Kind::Text),
        Column::new(&f.level_name, Kind::Text),
    ];
    for a in &f.attribute_names {
        columns.push(Column::new(a, Kind::Text));
    }
    columns.push(Column::new("users", Kind::Int));
    columns.push(Column::new("spenders", Kind::Int).csv_only());
    if f.has_shared {
        columns.push(Column::new("attributed_usd", Kind::Money));
        columns.push(Column::new("shared_usd", Kind::Money));
    }
    columns.extend([
        Column::new("amount_usd", Kind::Money),
        Column::new("share_pct", Kind::Pct),
        Column::new("exact_usd", Kind::Money).csv_only(),
        Column::new("status", Kind::Text),
    ]);
    columns
}

/// The chargeback's notes: which lines the rounding moved a cent, the coverage, the
/// uncovered spenders and every shared pool's allocation.
fn chargeback_notes(f: &ChargebackFigures, coverage: Option<&str>) -> Vec<String> {
    let mut notes = Vec::new();
    // Which lines the rounding moved a cent onto (or off), against each rounded on its own.
    let moved: Vec<String> = f
        .rounding_moves
        .iter()
        .map(|(key, d)| {
            format!(
                "{key} {}{}",
                if *d > 0 { "+" } else { "-" },
                format_cents(d.abs())
            )
        })
        .collect();
    if !moved.is_empty() {
        notes.push(format!(
            "Rounding: every line is rounded once so that {} to the cent; {} {} a cent off its own rounding: {}{} (exact_usd has every line's exact amount).",
            if f.rolled_up {
                "each line is the sum of its cost centers' cents"
            } else {
                "the lines add up to the total and every level to the level above"
            },
            moved.len(),
            if moved.len() == 1 { "line is" } else { "lines are" },
            moved.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
            if moved.len() > 10 { ", ..." } else { "" }
        ));
    }
    notes.push(format!(
        "Allocation coverage: {} of attributed cost reached a real cost center.",
        coverage.map_or("n/a".to_string(), |c| format!("{c}%"))
    ));
    if !f.unmapped.is_empty() {
        let shown: Vec<String> = f
            .unmapped
            .iter()
            .take(10)
            .map(|u| {
                format!(
                    "{} ${} ({} days)",
                    u.email,
                    format_cents(u.own_cents),
                    u.days
                )
            })
            .collect();
        let actors = f
            .unmapped
            .iter()
            .filter(|u| !allot_core::identity::is_person(&u.email))
            .count();
        let who = match (f.unmapped.len() - actors, actors) {
            (people, 0) => format!("{people} people"),
            (0, actors) => format!("{actors} API keys, service accounts or other actors"),
            (people, actors) => {
                format!("{people} people and {actors} API keys, service accounts or other actors")
            }
        };
        notes.push(format!(
            "{who} had ${} of cost with no mapping row on the day: {}{}",
            format_cents(f.unmapped_cents),
            shown.join(", "),
            if f.unmapped.len() > 10 { ", ..." } else { "" }
        ));
    }
    for a in &f.allocations {
        notes.push(format!(
            "Shared: {} ${} to {} ({})",
            a.pool,
            format_cents(a.cents),
            a.key,
            a.method
        ));
    }
    notes
}

/// The people (and non-person actors: API keys, service accounts, cloud principals...) whose
/// cost no mapping row covered: `email` (the person's, or the actor's identity as a mapping
/// row would name it), `amount_usd`, `unmapped_days`, `last_cost_center`, `unmapped_since`,
/// `charged_to`, `kind` (`person`, `api_key`, ...), `name` (the actor's readable name),
/// `status`.
pub fn unmapped_report(f: &ChargebackFigures, names: &allot_core::identity::Names) -> Report {
    let (month, status) = (f.period, f.status);
    let columns = vec![
        Column::new("month", Kind::Text),
        Column::new("email", Kind::Text),
        Column::new("amount_usd", Kind::Money),
        Column::new("unmapped_days", Kind::Int),
        Column::new("last_cost_center", Kind::Text),
        Column::new("unmapped_since", Kind::Text),
        Column::new("charged_to", Kind::Text),
        Column::new("kind", Kind::Text).csv_only(),
        Column::new("name", Kind::Text),
        Column::new("status", Kind::Text),
    ];
    let rows = f
        .unmapped
        .iter()
        .map(|u| {
            vec![
                Cell::Text(month.to_string()),
                Cell::Text(u.email.clone()),
                Cell::Cents(u.cents),
                Cell::Int(i64::from(u.days)),
                u.last_cost_center.clone().map_or(Cell::Empty, Cell::Text),
                u.unmapped_since
                    .map_or(Cell::Empty, |d| Cell::Text(d.to_string())),
                Cell::Text(u.charged_to.clone()),
                Cell::Text(allot_core::identity::kind(&u.email).as_str().into()),
                crate::reviews::name_cell(names, &u.email),
                Cell::Text(status.to_string()),
            ]
        })
        .collect();
    let actors = f
        .unmapped
        .iter()
        .filter(|u| !allot_core::identity::is_person(&u.email))
        .count();
    let mut notes = Vec::new();
    if actors > 0 {
        notes.push(format!(
            "{actors} of them are not people (API keys, service accounts, workspaces, cloud principals or accounts): map them with an api_key_id, workspace_id, service_account_id, principal_id or account_id row"
        ));
    }
    Report {
        title: format!("Unmapped people {month}"),
        status,
        meta: vec![("month".into(), month.to_string())],
        columns,
        rows,
        total: None,
        notes: crate::Note::infos(notes),
    }
}

/// Every allocated piece of shared cost: `month`, the level column, `pool`, `method`, `amount_usd`.
pub fn allocations_report(
    level_name: &str,
    allocations: &[Allocation],
    month: DateRange,
    status: Status,
) -> Report {
    let columns = vec![
        Column::new("month", Kind::Text),
        Column::new(level_name, Kind::Text),
        Column::new("pool", Kind::Text),
        Column::new("method", Kind::Text),
        Column::new("amount_usd", Kind::Money),
        Column::new("status", Kind::Text),
    ];
    let rows = allocations
        .iter()
        .map(|a| {
            vec![
                Cell::Text(month.to_string()),
                Cell::Text(a.key.clone()),
                Cell::Text(a.pool.clone()),
                Cell::Text(a.method.clone()),
                Cell::Cents(a.cents),
                Cell::Text(status.to_string()),
            ]
        })
        .collect();
    Report {
        title: format!("Shared cost allocations {month}"),
        status,
        meta: vec![("month".into(), month.to_string())],
        columns,
        rows,
        total: None,
        notes: Vec::new(),
    }
}

/// Cost per day: `date`, `amount_usd` (adding up to the period's total), `status`.
pub fn daily_report(days: &[(NaiveDate, i64)], month: DateRange, status: Status) -> Report {
    Report {
        title: format!("Cost by day {month}"),
        status,
        meta: vec![("month".into(), month.to_string())],
        columns: vec![
            Column::new("date", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("status", Kind::Text),
        ],
        rows: days
            .iter()
            .map(|(d, c)| {
                vec![
                    Cell::Text(d.to_string()),
                    Cell::Cents(*c),
                    Cell::Text(status.to_string()),
                ]
            })
            .collect(),
        total: None,
        notes: Vec::new(),
    }
}

pub use allot_figures::trend::{changes, totals, Against, TrendPeriod};

/// The trend as a report: `period_start`, `period_end`, the level column, its attribute
/// columns, `users`, `amount_usd`, `change_usd` and `change_pct` against the previous period of
/// the same key, `status`.
pub fn trend_report(
    level_name: &str,
    attribute_names: &[String],
    per: &str,
    range: DateRange,
    periods: &[TrendPeriod],
    as_of: NaiveDate,
) -> Report {
    let mut columns = vec![
        Column::new("period_start", Kind::Text),
        Column::new("period_end", Kind::Text).csv_only(),
        Column::new(level_name, Kind::Text),
    ];
    for a in attribute_names {
        columns.push(Column::new(a, Kind::Text).csv_only());
    }
    columns.extend([
        Column::new("users", Kind::Int),
        Column::new("amount_usd", Kind::Money),
        Column::new("change_usd", Kind::Money),
        Column::new("change_pct", Kind::Pct),
        Column::new("status", Kind::Text),
        Column::new("partial", Kind::Text),
        Column::new("compared_with", Kind::Text).csv_only(),
    ]);
    let mut rows = Vec::new();
    let total: i64 = totals(periods).iter().map(|t| t.cents).sum();
    let mut partial_notes = Vec::new();
    for (i, (p, changes)) in periods.iter().zip(changes(periods)).enumerate() {
        let compared = match &p.against {
            Against::Previous if i > 0 => {
                format!("{}..{}", periods[i - 1].range.from, periods[i - 1].range.to)
            }
            Against::SameDays(r, _) => {
                partial_notes.push(format!(
                    "{} is partial ({}): compared with the same days before it, {r}.",
                    p.range,
                    p.partial.as_deref().unwrap_or("")
                ));
                format!("{}..{}", r.from, r.to)
            }
            Against::Nothing(why) => {
                partial_notes.push(format!("{}: no change shown: {why}.", p.range));
                String::new()
            }
            Against::Previous => String::new(),
        };
        for ((key, attrs, users, cents), change) in p.lines.iter().zip(changes) {
            let mut row = vec![
                Cell::Text(p.range.from.to_string()),
                Cell::Text(p.range.to.to_string()),
                Cell::Text(key.clone()),
            ];
            row.extend(attrs.iter().map(|a| Cell::Text(a.clone())));
            row.extend([
                Cell::Int(*users as i64),
                Cell::Cents(*cents),
                change.cents.map_or(Cell::Empty, Cell::Cents),
                change.bp.map_or(Cell::Empty, Cell::Pct),
                Cell::Text(p.status.to_string()),
                Cell::Text(p.partial.clone().unwrap_or_default()),
                Cell::Text(compared.clone()),
            ]);
            rows.push(row);
        }
    }
    let status = periods
        .iter()
        .map(|p| p.status)
        .max()
        .unwrap_or(Status::Settled);
    let mut total_row = vec![Cell::Text("TOTAL".into()), Cell::Empty, Cell::Empty];
    total_row.extend(attribute_names.iter().map(|_| Cell::Empty));
    total_row.extend([
        Cell::Empty,
        Cell::Cents(total),
        Cell::Empty,
        Cell::Empty,
        Cell::Text(status.to_string()),
        Cell::Empty,
        Cell::Empty,
    ]);
    let provisional: Vec<String> = periods
        .iter()
        .filter(|p| p.status != Status::Settled)
        .map(|p| format!("{} {}", p.range.from, p.status))
        .collect();
    let mut notes = vec![format!(
        "Each period is rounded like the chargeback of those days: its rows add up to its total, and a whole month equals that month's chargeback to the cent. change_usd and change_pct compare with the previous period of the same {level_name}, like with like: a partial period (still running, or cut by the range) with the same days of the period before (`compared_with`)."
    )];
    notes.extend(partial_notes);
    if !provisional.is_empty() {
        notes.push(format!(
            "Not settled: {} (a period is provisional while any of its days is less than 30 days old, incomplete when the data misses days).",
            provisional.join(", ")
        ));
    }
    Report {
        title: format!("Trend {range} per {per} by {level_name}"),
        status,
        meta: vec![
            ("from".into(), range.from.to_string()),
            ("to".into(), range.to.to_string()),
            ("per".into(), per.to_string()),
            ("level".into(), level_name.to_string()),
            ("as_of".into(), as_of.to_string()),
            ("total_usd".into(), format_cents(total)),
        ],
        columns,
        rows,
        total: Some(total_row),
        notes: crate::Note::infos(notes),
    }
}
