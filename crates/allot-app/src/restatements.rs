//! What Anthropic revised: the restatement records a store keeps (one per person or spender,
//! day and component whose cost moved when a provisional day was fetched again), for a month,
//! with the old and new amounts exact and the change per record.

use std::path::Path;

use allot_core::{DateRange, Month, Nanos, Status};
use allot_engine::table_parquet::{read_restatements, Restatement};
use allot_report::{Cell, Column, Kind, Report};
use allot_sync::store::Snapshot;

use crate::error::AppError;
use crate::output::{Named, Output};

/// `restatements.csv`: every revision of `month`'s days the store recorded (as known on
/// `as_of`, when given: the versions committed by then), in the order they were seen:
/// `fetched_on`, `version` (of the source's table that committed it), `source`, `date`,
/// `email`, `kind`, `component`, `old_usd`, `new_usd`, `change_usd` (exact), and the month's
/// net change in the total line.
pub fn restatements(
    root: &Path,
    month: Month,
    as_of: Option<chrono::NaiveDate>,
) -> Result<Output, AppError> {
    let snap = allot_sync::store::Snapshot::read_as_of(root, as_of)?;
    if snap.is_empty() {
        return Err(not_a_store(root));
    }
    restatements_in(&snap, month)
}

fn not_a_store(root: &Path) -> AppError {
    AppError::Usage(format!(
        "`{}` is not a store, or holds nothing yet (`allot sync --store {}` fills one)",
        root.display(),
        root.display()
    ))
}

/// Fails unless `root` is a store holding data: what a long-running reader (the dashboard)
/// checks before it starts, so a mistyped path is an error, not an empty, "settled" page.
pub fn check_store(root: &Path) -> Result<(), AppError> {
    if !root.is_dir() {
        return Err(not_a_store(root));
    }
    let snap = allot_sync::store::Snapshot::read(root)?;
    if snap.is_empty() {
        return Err(not_a_store(root));
    }
    Ok(())
}

/// [`restatements`] of a snapshot a reader already pinned (the dashboard's).
pub fn restatements_in(snap: &Snapshot, month: Month) -> Result<Output, AppError> {
    let range = DateRange::month(month);
    let mut rows: Vec<(Option<u64>, Restatement)> = Vec::new();
    for (version, file) in snap.restatement_files() {
        rows.extend(
            read_restatements(std::slice::from_ref(&file))?
                .into_iter()
                .filter(|r| {
                    allot_core::date::parse_date(&r.date).is_some_and(|d| range.contains(d))
                })
                .map(|r| (version, r)),
        );
    }
    rows.sort_by(|(va, a), (vb, b)| {
        (
            &a.fetched_on,
            &a.source,
            va,
            &a.date,
            &a.email,
            &a.component,
        )
            .cmp(&(
                &b.fetched_on,
                &b.source,
                vb,
                &b.date,
                &b.email,
                &b.component,
            ))
    });
    let versions: Vec<Option<u64>> = rows.iter().map(|r| r.0).collect();
    let rows: Vec<Restatement> = rows.into_iter().map(|r| r.1).collect();
    let columns = vec![
        Column::new("fetched_on", Kind::Text),
        Column::new("version", Kind::Text).csv_only(),
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
        .zip(&versions)
        .map(|(r, v)| {
            vec![
                Cell::Text(r.fetched_on.clone()),
                Cell::Text(v.map_or_else(String::new, |v| v.to_string())),
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
    total[9] = Cell::Exact(net);
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
        notes: allot_report::Note::infos(notes),
    };
    Ok(Output {
        run: "restatements".into(),
        title: report.title.clone(),
        reports: vec![Named::table("restatements", report)],
        files: Vec::new(),
        messages: Vec::new(),
    })
}
