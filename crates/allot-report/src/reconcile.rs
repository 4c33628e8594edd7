//! Invoice reconciliation: for every invoice month and product, the invoice's usage lines
//! against the API's cost, on settled months only. An unsettled month is never called a match
//! or a mismatch: its API amount is shown as provisional.

use std::collections::BTreeMap;

use allot_core::money::{div_round_half_away, format_cents};
use allot_core::settle::month_status;
use allot_core::{Month, Nanos, Status};
use allot_mapping::invoice::{InvoiceLine, LineKind};
use chrono::NaiveDate;

use crate::model::{Cell, Column, Kind, Report};

/// The status word of a reconciled period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecStatus {
    /// Within tolerance.
    Match,
    /// Off by more than the tolerance.
    Variance,
    /// A day of the period is within 30 days of the as-of date: not judged.
    Unsettled,
}

impl RecStatus {
    /// `MATCH`, `VARIANCE` or `UNSETTLED`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecStatus::Match => "MATCH",
            RecStatus::Variance => "VARIANCE",
            RecStatus::Unsettled => "UNSETTLED",
        }
    }
}

/// One reconciled (month, product).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecRow {
    /// The billing month.
    pub month: Month,
    /// The product, or `all` for usage lines that name none.
    pub product: String,
    /// The invoice's usage amount.
    pub invoice: Nanos,
    /// The API's exact cost for the same month and product: the organisation-level cost when
    /// it was synced, else the sum of per-user cost.
    pub api: Nanos,
    /// The sum of per-user cost (seat users only).
    pub per_user: Nanos,
    /// The organisation-level cost, when synced (it includes usage no seat user is behind).
    pub org: Option<Nanos>,
    /// The month's non-usage invoice lines (seats, credits, tax, other), for the explanation.
    pub non_usage: Nanos,
    /// The verdict.
    pub status: RecStatus,
}

/// Compares the invoice's usage lines with the API's cost per (month, product): three-way when
/// the organisation-level cost (`org`) is given, against it and the per-user sum (`api`).
pub fn reconcile(
    lines: &[InvoiceLine],
    api: &BTreeMap<(Month, String), Nanos>,
    org: Option<&BTreeMap<(Month, String), Nanos>>,
    as_of: NaiveDate,
    tolerance_cents: i64,
) -> Vec<RecRow> {
    let mut usage: BTreeMap<(Month, String), Nanos> = BTreeMap::new();
    let mut non_usage: BTreeMap<Month, Nanos> = BTreeMap::new();
    for l in lines {
        if l.kind == LineKind::Usage {
            *usage.entry((l.month, l.product.clone())).or_default() += l.amount;
        } else {
            *non_usage.entry(l.month).or_default() += l.amount;
            usage.entry((l.month, String::new())).or_default();
        }
    }
    let mut rows = Vec::new();
    for ((month, product), invoice) in &usage {
        let named: Vec<&String> = usage
            .keys()
            .filter(|(m, p)| m == month && !p.is_empty())
            .map(|(_, p)| p)
            .collect();
        if product.is_empty() && invoice.0 == 0 && !named.is_empty() {
            continue; // only non-usage lines, and the usage is billed per product
        }
        let per_user = amount(api, *month, product, &named);
        let org_amount = org.map(|o| amount(o, *month, product, &named));
        let api_amount = org_amount.unwrap_or(per_user);
        let variance = invoice.round_cents() - api_amount.round_cents();
        let status = if month_status(*month, as_of) == Status::Provisional {
            RecStatus::Unsettled
        } else if variance.abs() <= tolerance_cents {
            RecStatus::Match
        } else {
            RecStatus::Variance
        };
        rows.push(RecRow {
            month: *month,
            product: if product.is_empty() {
                "all".into()
            } else {
                product.clone()
            },
            invoice: *invoice,
            api: api_amount,
            per_user,
            org: org_amount,
            non_usage: non_usage.get(month).copied().unwrap_or_default(),
            status,
        });
    }
    rows
}

/// The cost of `product` in `month`; for usage billed without a product (`""`), everything
/// not billed per product that month.
fn amount(
    map: &BTreeMap<(Month, String), Nanos>,
    month: Month,
    product: &str,
    named: &[&String],
) -> Nanos {
    if product.is_empty() {
        let all: Nanos = map
            .iter()
            .filter(|((m, _), _)| *m == month)
            .map(|(_, v)| *v)
            .sum();
        let billed: Nanos = named
            .iter()
            .map(|p| map.get(&(month, (*p).clone())).copied().unwrap_or_default())
            .sum();
        all - billed
    } else {
        map.get(&(month, product.to_string()))
            .copied()
            .unwrap_or_default()
    }
}

/// The reconciliation as a report: `month`, `product`, `invoice_usd`, `api_usd`,
/// `variance_usd`, `variance_pct`, `status`, and the variance explained in buckets.
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
        Column::new("org_api_usd", Kind::Money).csv_only(),
        Column::new("not_attributable_usd", Kind::Money).csv_only(),
        Column::new("rounding_usd", Kind::Money).csv_only(),
        Column::new("non_usage_lines_usd", Kind::Money).csv_only(),
        Column::new("unexplained_usd", Kind::Money).csv_only(),
        Column::new("note", Kind::Text).csv_only(),
    ];
    let mut out = Vec::new();
    for r in rows {
        let api_cents = r.api.round_cents();
        let variance = r.invoice.round_cents() - api_cents;
        // Rounding: what the API's unrounded amount contributes once rounded to cents.
        let rounding = (Nanos::from_cents(api_cents) - r.api).0;
        let unexplained = Nanos::from_cents(variance).0 + rounding;
        let note = match r.status {
            RecStatus::Unsettled => format!(
                "{} has days less than 30 days before {as_of}: the API amount is provisional and may still be revised",
                r.month
            ),
            RecStatus::Match => String::new(),
            RecStatus::Variance if r.org.is_some() => "compared with the organisation-level cost; \
                 invoice - per_user_usd = not_attributable_usd + rounding_usd + unexplained_usd"
                .to_string(),
            RecStatus::Variance => "no organisation-level cost (sync with --store for the three-way split): \
                 usage not attributable to a seat user is part of unexplained_usd"
                .to_string(),
        };
        out.push(vec![
            Cell::Text(r.month.to_string()),
            Cell::Text(r.product.clone()),
            Cell::Cents(r.invoice.round_cents()),
            Cell::Cents(api_cents),
            if r.status == RecStatus::Unsettled {
                Cell::Empty
            } else {
                Cell::Cents(variance)
            },
            if r.status == RecStatus::Unsettled || api_cents == 0 {
                Cell::Empty
            } else {
                Cell::Pct(
                    div_round_half_away(i128::from(variance) * 10_000, i128::from(api_cents))
                        as i64,
                )
            },
            Cell::Text(r.status.as_str().into()),
            Cell::Exact(r.api),
            Cell::Exact(r.per_user),
            r.org.map_or(Cell::Empty, Cell::Exact),
            r.org.map_or(Cell::Empty, |o| Cell::Exact(o - r.per_user)),
            Cell::Exact(Nanos(-rounding)),
            Cell::Cents(r.non_usage.round_cents()),
            if r.status == RecStatus::Unsettled {
                Cell::Empty
            } else {
                Cell::Exact(Nanos(unexplained))
            },
            Cell::Text(note),
        ]);
    }
    let off = rows
        .iter()
        .filter(|r| r.status == RecStatus::Variance)
        .count();
    let unsettled = rows
        .iter()
        .filter(|r| r.status == RecStatus::Unsettled)
        .count();
    let status = if unsettled > 0 {
        Status::Provisional
    } else {
        Status::Settled
    };
    Report {
        title: "Invoice reconciliation".into(),
        status,
        meta: vec![
            ("as_of".into(), as_of.to_string()),
            ("tolerance_usd".into(), format_cents(tolerance_cents)),
            ("variances".into(), off.to_string()),
            ("unsettled".into(), unsettled.to_string()),
        ],
        columns,
        rows: out,
        total: None,
        notes: vec![format!(
            "{off} settled periods off by more than ${}; {unsettled} unsettled (never judged). Non-usage invoice lines (seats, credits, tax, other) are listed in invoice_lines.csv and not compared.",
            format_cents(tolerance_cents)
        )],
    }
}

/// Every invoice line with how it was classified.
pub fn invoice_lines_report(lines: &[InvoiceLine]) -> Report {
    Report {
        title: "Invoice lines".into(),
        status: Status::Settled,
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
