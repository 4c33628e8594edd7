//! What Anthropic revised: the restatement records a store keeps (one per person or spender,
//! day and component whose cost moved when a provisional day was fetched again), for a month,
//! with the old and new amounts exact and the change per record.

use std::path::{Path, PathBuf};

use allot_core::{DateRange, Month, Nanos, Status};
use allot_engine::table_parquet::{read_restatements, Restatement};
use allot_report::{Cell, Column, Kind, Report};

use crate::error::AppError;
use crate::output::{Named, Output};

/// The restatement files of the store at `root`, oldest sync first.
fn files(root: &Path) -> Result<Vec<PathBuf>, AppError> {
    let dir = root.join("restatements");
    let mut out = Vec::new();
    match std::fs::read_dir(&dir) {
        Ok(entries) => {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".parquet") && !name.starts_with('.') {
                    out.push(e.path());
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(AppError::Sync(allot_sync::SyncError::Io {
                path: dir,
                source,
            }));
        }
    }
    out.sort();
    Ok(out)
}

/// `restatements.csv`: every revision of `month`'s days the store recorded, in the order they
/// were seen: `fetched_on`, `source`, `date`, `email`, `kind`, `component`, `old_usd`,
/// `new_usd`, `change_usd` (exact), and the month's net change in the total line.
pub fn restatements(root: &Path, month: Month) -> Result<Output, AppError> {
    if !root.join("state.json").exists() {
        return Err(AppError::Usage(format!(
            "`{}` is not a store: it has no state.json (`allot sync --store {}` makes one)",
            root.display(),
            root.display()
        )));
    }
    let range = DateRange::month(month);
    let mut rows: Vec<Restatement> = read_restatements(&files(root)?)?
        .into_iter()
        .filter(|r| allot_core::date::parse_date(&r.date).is_some_and(|d| range.contains(d)))
        .collect();
    rows.sort_by(|a, b| {
        (&a.fetched_on, &a.date, &a.source, &a.email, &a.component).cmp(&(
            &b.fetched_on,
            &b.date,
            &b.source,
            &b.email,
            &b.component,
        ))
    });
    let columns = vec![
        Column::new("fetched_on", Kind::Text),
        Column::new("source", Kind::Text).csv_only(),
        Column::new("date", Kind::Text),
        Column::new("email", Kind::Text),
        Column::new("kind", Kind::Text).csv_only(),
        Column::new("component", Kind::Text),
        Column::new("old_usd", Kind::Money),
        Column::new("new_usd", Kind::Money),
        Column::new("change_usd", Kind::Money),
    ];
    // Per-actor cost is the whole bill; the per-user and organisation reports repeat parts
    // of it: the net change counts the cost sources a chargeback reads, once per day.
    let counted = |r: &Restatement| r.source == "actor_cost" || r.source == "cost";
    let net: Nanos = rows
        .iter()
        .filter(|r| counted(r))
        .map(|r| Nanos(r.new_nanos - r.old_nanos))
        .sum();
    let table: Vec<Vec<Cell>> = rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.fetched_on.clone()),
                Cell::Text(r.source.clone()),
                Cell::Text(r.date.clone()),
                Cell::Text(r.email.clone()),
                Cell::Text(allot_core::identity::kind(&r.email).as_str().to_string()),
                Cell::Text(r.component.clone()),
                Cell::Exact(Nanos(r.old_nanos)),
                Cell::Exact(Nanos(r.new_nanos)),
                Cell::Exact(Nanos(r.new_nanos - r.old_nanos)),
            ]
        })
        .collect();
    let mut total = vec![Cell::Empty; columns.len()];
    total[0] = Cell::Text("TOTAL".into());
    total[8] = Cell::Exact(net);
    let days: std::collections::BTreeSet<&str> = rows.iter().map(|r| r.date.as_str()).collect();
    let notes = vec![if rows.is_empty() {
        format!("No cost of {month} moved between the syncs this store recorded.")
    } else {
        format!(
            "{} revisions on {} days of {month}; the net change of the cost a chargeback reads (per-actor or per-user cost) is ${}. Each row is a person's or spender's component whose cost moved when a provisional day was fetched again.",
            rows.len(),
            days.len(),
            allot_core::money::format_cents(net.round_cents())
        )
    }];
    let report = Report {
        title: format!("Restatements of {month}"),
        // Records of what moved: the records are final; the month's own status is the
        // chargeback's to say.
        status: Status::Settled,
        meta: vec![("month".into(), month.to_string())],
        columns,
        rows: table,
        total: Some(total),
        notes,
    };
    Ok(Output {
        run: "restatements".into(),
        title: report.title.clone(),
        reports: vec![Named::table("restatements", report)],
        files: Vec::new(),
        messages: Vec::new(),
    })
}
