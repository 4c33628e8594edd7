//! Invoice reconciliation: for every invoice month and product, the invoice's usage lines
//! against the API's cost, on settled months only. An unsettled month is never called a match
//! or a mismatch: its API amount is shown as provisional.

use std::collections::BTreeMap;

use allot_core::money::{div_round_half_away, format_cents};
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
    /// API cost of a settled month with no invoice line to compare it with: a variance.
    NotInvoiced,
    /// A day of the period is within 30 days of the as-of date: not judged.
    Unsettled,
    /// The data misses days of the period: not judged, and the invoice cannot be confirmed.
    Incomplete,
}

impl RecStatus {
    /// `MATCH`, `VARIANCE`, `NOT_INVOICED`, `UNSETTLED` or `INCOMPLETE`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecStatus::Match => "MATCH",
            RecStatus::Variance => "VARIANCE",
            RecStatus::NotInvoiced => "NOT_INVOICED",
            RecStatus::Unsettled => "UNSETTLED",
            RecStatus::Incomplete => "INCOMPLETE",
        }
    }

    /// Whether the row says the invoice and the API disagree on a settled month.
    pub fn is_variance(self) -> bool {
        matches!(self, RecStatus::Variance | RecStatus::NotInvoiced)
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
    /// The cost of non-person actors the data names (API keys, service accounts, workspaces,
    /// federated identities, cloud-less automation): zero when the data names none.
    pub actors: Nanos,
    /// The organisation-level cost, when synced (it includes usage no seat user is behind).
    pub org: Option<Nanos>,
    /// The month's non-usage invoice lines (seats, credits, tax, other), for the explanation.
    pub non_usage: Nanos,
    /// The verdict.
    pub status: RecStatus,
}

/// Exact cost per (month, product).
pub type ByMonthProduct = BTreeMap<(Month, String), Nanos>;

/// The API's cost of the invoice's months, by who is behind it.
#[derive(Debug, Clone, Copy)]
pub struct ApiCost<'a> {
    /// Seat users' cost.
    pub people: &'a ByMonthProduct,
    /// Non-person actors' cost (API keys, service accounts, workspaces, other actors).
    pub actors: &'a ByMonthProduct,
    /// Cost the per-actor data holds with no actor behind it.
    pub unattributed: &'a ByMonthProduct,
    /// The organisation-level cost (what the invoice bills), when synced or given.
    pub org: Option<&'a ByMonthProduct>,
}

/// Compares the invoice's usage lines with the API's cost per (month, product): against the
/// organisation-level cost when given, else against everything the per-actor data holds, and
/// explains it down to seat users, non-person actors and what is left. `status_of` says
/// whether a month's data is settled, provisional or incomplete. API cost of a product no
/// invoice line bills (and not covered by a line that names no product) is a row of its own:
/// `NOT_INVOICED`.
pub fn reconcile(
    lines: &[InvoiceLine],
    cost: ApiCost<'_>,
    status_of: &dyn Fn(Month) -> Status,
    tolerance_cents: i64,
) -> Vec<RecRow> {
    let mut usage: BTreeMap<(Month, String), Nanos> = BTreeMap::new();
    let mut non_usage: BTreeMap<Month, Nanos> = BTreeMap::new();
    for l in lines {
        if l.kind == LineKind::Usage {
            *usage.entry((l.month, l.product.clone())).or_default() += l.amount;
        } else {
            *non_usage.entry(l.month).or_default() += l.amount;
        }
    }
    // Everything the per-actor data holds.
    let mut held: ByMonthProduct = BTreeMap::new();
    for m in [cost.people, cost.actors, cost.unattributed] {
        for (k, v) in m {
            *held.entry(k.clone()).or_default() += *v;
        }
    }
    let months: std::collections::BTreeSet<Month> = lines.iter().map(|l| l.month).collect();
    let mut rows = Vec::new();
    for month in months {
        let billed: Vec<&String> = usage
            .keys()
            .filter(|(m, p)| *m == month && !p.is_empty())
            .map(|(_, p)| p)
            .collect();
        let catch_all = usage.contains_key(&(month, String::new()));
        // Every product with API cost that month, and every invoiced one.
        let source = cost.org.unwrap_or(&held);
        let mut products: std::collections::BTreeSet<String> = usage
            .keys()
            .filter(|(m, _)| *m == month)
            .map(|(_, p)| p.clone())
            .collect();
        if !catch_all {
            for ((m, p), v) in source.iter().chain(held.iter()) {
                if *m == month && v.0 != 0 {
                    products.insert(p.clone());
                }
            }
        }
        let data = status_of(month);
        for product in products {
            let invoiced = usage.get(&(month, product.clone())).copied();
            let per_user = amount(cost.people, month, &product, &billed);
            let actors = amount(cost.actors, month, &product, &billed);
            let org_amount = cost.org.map(|o| amount(o, month, &product, &billed));
            let api_amount = org_amount.unwrap_or_else(|| amount(&held, month, &product, &billed));
            let invoice = invoiced.unwrap_or_default();
            let variance = invoice.round_cents() - api_amount.round_cents();
            let status = match data {
                Status::Incomplete => RecStatus::Incomplete,
                Status::Provisional => RecStatus::Unsettled,
                Status::Settled if invoiced.is_none() => RecStatus::NotInvoiced,
                Status::Settled if variance.abs() <= tolerance_cents => RecStatus::Match,
                Status::Settled => RecStatus::Variance,
            };
            rows.push(RecRow {
                month,
                product: if product.is_empty() {
                    "all".into()
                } else {
                    product.clone()
                },
                invoice,
                api: api_amount,
                per_user,
                actors,
                org: org_amount,
                non_usage: Nanos::ZERO,
                status,
            });
        }
        // Non-usage lines (seats, credits, tax, other) are shown once per month.
        if let Some(first) = rows.iter_mut().find(|r| r.month == month) {
            first.non_usage = non_usage.get(&month).copied().unwrap_or_default();
        }
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
        let api_cents = r.api.round_cents();
        let variance = r.invoice.round_cents() - api_cents;
        let judged = !matches!(r.status, RecStatus::Unsettled | RecStatus::Incomplete);
        let not_attributable = r.api - r.per_user - r.actors;
        let rounding = Nanos::from_cents(api_cents) - r.api;
        let unexplained = r.invoice - Nanos::from_cents(api_cents);
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
            Cell::Cents(r.invoice.round_cents()),
            Cell::Cents(api_cents),
            if judged {
                Cell::Cents(variance)
            } else {
                Cell::Empty
            },
            if !judged || api_cents == 0 {
                Cell::Empty
            } else {
                Cell::Pct(div_round_half_away(
                    i128::from(variance) * 10_000,
                    i128::from(api_cents.abs()),
                ) as i64)
            },
            Cell::Text(r.status.as_str().into()),
            Cell::Exact(r.api),
            Cell::Exact(r.per_user),
            Cell::Exact(r.actors),
            r.org.map_or(Cell::Empty, Cell::Exact),
            Cell::Exact(not_attributable),
            Cell::Exact(rounding),
            if r.non_usage.0 == 0 {
                Cell::Empty
            } else {
                Cell::Exact(r.non_usage)
            },
            if judged {
                Cell::Exact(unexplained)
            } else {
                Cell::Empty
            },
            Cell::Text(note),
        ]);
    }
    let off = rows.iter().filter(|r| r.status.is_variance()).count();
    let unsettled = rows
        .iter()
        .filter(|r| r.status == RecStatus::Unsettled)
        .count();
    let incomplete = rows
        .iter()
        .filter(|r| r.status == RecStatus::Incomplete)
        .count();
    let status = if incomplete > 0 {
        Status::Incomplete
    } else if unsettled > 0 {
        Status::Provisional
    } else {
        Status::Settled
    };
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

/// One part of a month's organisation cost: who, through which API key and workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActorPart {
    /// The identity (seat users are one part per key and workspace: `None`).
    pub actor: Option<String>,
    /// The API key the requests came with (empty: none).
    pub api_key: String,
    /// The workspace (empty: none, or not known).
    pub workspace: String,
    /// Seat users in the part (for seat users).
    pub people: u64,
    /// Exact cost.
    pub amount: Nanos,
}

/// Who is behind one month of the organisation's cost, for [`actors_report`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthActors {
    /// Seat users per key and workspace, then every other actor per key and workspace, as the
    /// data holds them.
    pub parts: Vec<ActorPart>,
    /// The organisation's cost: the organisation-level cost when given, else all the data holds.
    pub total: Nanos,
    /// Whether `total` is the organisation-level cost.
    pub org: bool,
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
    // (kind, actor, name, api key, workspace, amount, note)
    type Line = (String, String, String, String, String, Nanos, String);
    let mut rows = Vec::new();
    let mut statuses = Vec::new();
    for (month, m) in months {
        let held: Nanos = m.parts.iter().map(|p| p.amount).sum();
        let mut lines: Vec<Line> = Vec::new();
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
        for p in &m.parts {
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
            lines.push((
                kind,
                actor,
                name,
                key_label(&p.api_key),
                workspace_label(&p.workspace),
                p.amount,
                String::new(),
            ));
        }
        let left = m.total - held;
        if left.0 != 0 || lines.is_empty() {
            lines.push((
                "unattributed".into(),
                "not attributable".into(),
                String::new(),
                String::new(),
                String::new(),
                left,
                if m.org {
                    "organisation-level cost the per-actor data does not hold: no seat user or named actor is behind it".into()
                } else {
                    String::new()
                },
            ));
        }
        let keyed: Vec<(usize, i128)> =
            lines.iter().enumerate().map(|(i, l)| (i, l.5 .0)).collect();
        let cents = allot_core::alloc::largest_remainder(
            &keyed,
            i128::from(allot_core::money::NANOS_PER_CENT),
        );
        let status = status_of(*month);
        statuses.push(status);
        for (l, c) in lines.into_iter().zip(cents) {
            rows.push(vec![
                Cell::Text(month.to_string()),
                Cell::Text(l.0),
                Cell::Text(l.1),
                Cell::Text(l.2),
                Cell::Text(l.3),
                Cell::Text(l.4),
                Cell::Cents(c),
                Cell::Exact(l.5),
                Cell::Text(status.as_str().into()),
                Cell::Text(l.6),
            ]);
        }
    }
    let status = if statuses.contains(&Status::Incomplete) {
        Status::Incomplete
    } else if statuses.contains(&Status::Provisional) {
        Status::Provisional
    } else {
        Status::Settled
    };
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
