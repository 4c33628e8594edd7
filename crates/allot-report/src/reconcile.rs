//! Invoice reconciliation rendered from its figures (`allot_figures::reconcile`): for every
//! invoice month and product, the invoice's usage lines against the API's cost, on settled
//! months only; an unsettled month's API amount is shown as provisional.

use std::collections::BTreeMap;

use allot_core::money::format_cents;
use allot_core::{Month, Status};
use allot_mapping::invoice::InvoiceLine;
use chrono::NaiveDate;

use allot_figures::reconcile::{standing, worst, MonthActors, RecRow, RecStatus};

use crate::model::{Cell, Column, Kind, Report};

/// The reconciliation as a report: `month`, `product`, `invoice_usd`, `api_usd`,
/// `variance_usd`, `variance_pct`, `status`, and the gap explained exactly:
/// `invoice_usd - per_user_usd = actors_usd + not_attributable_usd + rounding_usd +
/// unexplained_usd`, where `actors_usd` is the cost of the non-person actors the data names
/// (API keys, service accounts, workspaces...), `not_attributable_usd` what is left of the
/// organisation-level cost with no seat user or named actor behind it,
/// `rounding_usd` what rounding the API's amount to cents adds, and `unexplained_usd` the
/// invoice against the API's cents (the variance, exactly).
pub fn reconciliation_report(rows: &[RecRow], as_of: NaiveDate, tolerance_cents: i64) -> Report {
    let columns = vec![
        Column::new("month", Kind::Text),
        Column::new("product", Kind::Text),
        Column::new("invoice_usd", Kind::Money),
        Column::new("api_usd", Kind::Money),
        Column::new("variance_usd", Kind::Money),
        Column::new("variance_pct", Kind::Pct),
        Column::new("status", Kind::Text),
        Column::new("api_exact_usd", Kind::Money).csv_only(),
        Column::new("per_user_usd", Kind::Money).csv_only(),
        Column::new("actors_usd", Kind::Money).csv_only(),
        Column::new("org_api_usd", Kind::Money).csv_only(),
        Column::new("not_attributable_usd", Kind::Money).csv_only(),
        Column::new("rounding_usd", Kind::Money).csv_only(),
        Column::new("non_usage_lines_usd", Kind::Money).csv_only(),
        Column::new("unexplained_usd", Kind::Money).csv_only(),
        Column::new("note", Kind::Text).csv_only(),
    ];
    let mut out = Vec::new();
    for r in rows {
        let api_cents = r.api_cents();
        let note = match r.status {
            RecStatus::Unsettled => format!(
                "{} has days less than 30 days before {as_of}: the API amount is provisional and may still be revised",
                r.month
            ),
            RecStatus::Incomplete => format!(
                "the data misses days of {}: sync them (or give the files) before this month can be reconciled",
                r.month
            ),
            RecStatus::NotInvoiced => format!(
                "the API shows ${} of {} cost in {} that no invoice line bills",
                format_cents(api_cents),
                r.product,
                r.month
            ),
            RecStatus::Match => String::new(),
            RecStatus::Variance if r.org.is_some() => "compared with the organisation-level cost; \
                 invoice - per_user_usd = actors_usd + not_attributable_usd + rounding_usd + unexplained_usd"
                .to_string(),
            RecStatus::Variance => "no organisation-level cost (sync with --store for the three-way split): \
                 usage not attributable to a seat user is part of unexplained_usd"
                .to_string(),
        };
        out.push(vec![
            Cell::Text(r.month.to_string()),
            Cell::Text(r.product.clone()),
            Cell::Cents(r.invoice_cents()),
            Cell::Cents(api_cents),
            r.variance_cents().map_or(Cell::Empty, Cell::Cents),
            r.variance_bp().map_or(Cell::Empty, Cell::Pct),
            Cell::Text(r.status.as_str().into()),
            Cell::Exact(r.api),
            Cell::Exact(r.per_user),
            Cell::Exact(r.actors),
            r.org.map_or(Cell::Empty, Cell::Exact),
            Cell::Exact(r.not_attributable()),
            Cell::Exact(r.rounding()),
            if r.non_usage.0 == 0 {
                Cell::Empty
            } else {
                Cell::Exact(r.non_usage)
            },
            r.unexplained().map_or(Cell::Empty, Cell::Exact),
            Cell::Text(note),
        ]);
    }
    let (off, unsettled, incomplete, status) = standing(rows);
    let mut notes = vec![format!(
        "{off} settled rows off by more than ${} or not invoiced; {unsettled} unsettled and {incomplete} incomplete (never judged). Non-usage invoice lines (seats, credits, tax, other) are listed in invoice_lines.csv, totalled once per month in non_usage_lines_usd, and not compared.",
        format_cents(tolerance_cents)
    )];
    notes.push("Every row: invoice_usd - per_user_usd = actors_usd + not_attributable_usd + rounding_usd + unexplained_usd, exactly.".into());
    Report {
        title: "Invoice reconciliation".into(),
        status,
        meta: vec![
            ("as_of".into(), as_of.to_string()),
            ("tolerance_usd".into(), format_cents(tolerance_cents)),
            ("variances".into(), off.to_string()),
            ("unsettled".into(), unsettled.to_string()),
            ("incomplete".into(), incomplete.to_string()),
        ],
        columns,
        rows: out,
        total: None,
        notes: crate::Note::infos(notes),
    }
}

/// Every invoice line with how it was classified; `status` is the run's (a line of a month
/// not settled yet is reported beside provisional figures).
pub fn invoice_lines_report(lines: &[InvoiceLine], status: Status) -> Report {
    Report {
        title: "Invoice lines".into(),
        status,
        meta: Vec::new(),
        columns: vec![
            Column::new("where", Kind::Text),
            Column::new("month", Kind::Text),
            Column::new("description", Kind::Text),
            Column::new("product", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("class", Kind::Text),
            Column::new("reason", Kind::Text),
        ],
        rows: lines
            .iter()
            .map(|l| {
                vec![
                    Cell::Text(l.location.clone()),
                    Cell::Text(l.month.to_string()),
                    Cell::Text(l.description.clone()),
                    Cell::Text(l.product.clone()),
                    Cell::Exact(l.amount),
                    Cell::Text(l.kind.as_str().into()),
                    Cell::Text(l.reason.clone()),
                ]
            })
            .collect(),
        total: None,
        notes: Vec::new(),
    }
}

/// The organisation's cost of each invoice month explained down to who is behind it: seat
/// users, every API key, service account, federated identity and other actor the data names
/// (with the readable name the API gave), each split by the API key and the workspace it came
/// through, cost no actor is behind, and what the per-actor data does not hold of the
/// organisation-level cost. The cents of each month add up to its organisation cost in cents.
pub fn actors_report(
    months: &BTreeMap<Month, MonthActors>,
    names: &allot_core::identity::Names,
    status_of: &dyn Fn(Month) -> Status,
) -> Report {
    use allot_core::identity::{self, Kind as Who};
    let mut rows = Vec::new();
    let mut statuses = Vec::new();
    let key_label = |k: &str| {
        if k.is_empty() {
            String::new()
        } else {
            names.label(&identity::make(Who::ApiKey, k))
        }
    };
    let workspace_label = |w: &str| {
        if w.is_empty() {
            String::new()
        } else {
            names.label(&identity::make(Who::Workspace, w))
        }
    };
    for (month, m) in months {
        let status = status_of(*month);
        statuses.push(status);
        for line in m.lines() {
            let (kind, actor, name, key, workspace, note) = match &line.part {
                Some(p) => {
                    let (kind, actor, name) = match &p.actor {
                        None => (
                            "person".to_string(),
                            "seat users".to_string(),
                            format!("{} people", p.people),
                        ),
                        Some(id) => (
                            identity::kind(id).as_str().to_string(),
                            id.clone(),
                            names.label(id),
                        ),
                    };
                    (
                        kind,
                        actor,
                        name,
                        key_label(&p.api_key),
                        workspace_label(&p.workspace),
                        String::new(),
                    )
                }
                None => (
                    "unattributed".into(),
                    "not attributable".into(),
                    String::new(),
                    String::new(),
                    String::new(),
                    if m.org {
                        "organisation-level cost the per-actor data does not hold: no seat user or named actor is behind it".into()
                    } else {
                        String::new()
                    },
                ),
            };
            rows.push(vec![
                Cell::Text(month.to_string()),
                Cell::Text(kind),
                Cell::Text(actor),
                Cell::Text(name),
                Cell::Text(key),
                Cell::Text(workspace),
                Cell::Cents(line.cents),
                Cell::Exact(line.amount),
                Cell::Text(status.as_str().into()),
                Cell::Text(note),
            ]);
        }
    }
    let status = worst(&statuses);
    Report {
        title: "Organisation cost by actor".into(),
        status,
        meta: Vec::new(),
        columns: vec![
            Column::new("month", Kind::Text),
            Column::new("kind", Kind::Text),
            Column::new("actor", Kind::Text),
            Column::new("name", Kind::Text),
            Column::new("api_key", Kind::Text),
            Column::new("workspace", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("exact_usd", Kind::Money).csv_only(),
            Column::new("status", Kind::Text),
            Column::new("note", Kind::Text).csv_only(),
        ],
        rows,
        total: None,
        notes: vec![
            "Each month's lines add up, in cents, to its organisation-level cost (largest remainder): seat users, every API key, service account or other actor the API names, each by the API key and workspace it came through, and what is left.".into(),
        ],
    }
}
