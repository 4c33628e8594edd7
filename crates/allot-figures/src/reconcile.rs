//! Invoice reconciliation's figures: for every invoice month and product, the invoice's usage
//! lines against the API's cost, on settled months only (an unsettled month is never called a
//! match or a mismatch), the gap explained exactly, and who is behind each month's cost.

use std::collections::BTreeMap;

use allot_core::money::{div_round_half_away, NANOS_PER_CENT};
use allot_core::{Month, Nanos, Status};
use allot_mapping::invoice::{InvoiceLine, LineKind};

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

impl RecRow {
    /// The invoice's cents.
    pub fn invoice_cents(&self) -> i64 {
        self.invoice.round_cents()
    }

    /// The API's cents.
    pub fn api_cents(&self) -> i64 {
        self.api.round_cents()
    }

    /// Whether the row is judged (its month is settled and complete).
    pub fn judged(&self) -> bool {
        !matches!(self.status, RecStatus::Unsettled | RecStatus::Incomplete)
    }

    /// Invoice cents less API cents, on a judged row.
    pub fn variance_cents(&self) -> Option<i64> {
        self.judged()
            .then(|| self.invoice_cents() - self.api_cents())
    }

    /// The variance in hundredths of a percent of the API's cents, on a judged row with API
    /// cost.
    pub fn variance_bp(&self) -> Option<i64> {
        let api = self.api_cents();
        self.variance_cents()
            .filter(|_| api != 0)
            .map(|v| div_round_half_away(i128::from(v) * 10_000, i128::from(api.abs())) as i64)
    }

    /// The organisation-level cost no seat user or named actor is behind.
    pub fn not_attributable(&self) -> Nanos {
        self.api - self.per_user - self.actors
    }

    /// What rounding the API's amount to cents adds.
    pub fn rounding(&self) -> Nanos {
        Nanos::from_cents(self.api_cents()) - self.api
    }

    /// The invoice against the API's cents, exactly, on a judged row.
    pub fn unexplained(&self) -> Option<Nanos> {
        self.judged()
            .then(|| self.invoice - Nanos::from_cents(self.api_cents()))
    }
}

/// How the rows of a reconciliation stand: (variances, unsettled, incomplete) and the status
/// of the whole.
pub fn standing(rows: &[RecRow]) -> (usize, usize, usize, Status) {
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
    (off, unsettled, incomplete, status)
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

/// One line of a month's organisation cost by actor, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorLine {
    /// The part (seat users, or an actor, by key and workspace), or None for what is left
    /// with no actor behind it.
    pub part: Option<ActorPart>,
    /// Exact cost.
    pub amount: Nanos,
    /// Cents: the month's lines add up to its cost in cents (largest remainder).
    pub cents: i64,
}

impl MonthActors {
    /// The month's lines: every part, then what is left of the total (when anything is, or
    /// when there is no part), each in cents.
    pub fn lines(&self) -> Vec<ActorLine> {
        let held: Nanos = self.parts.iter().map(|p| p.amount).sum();
        let mut lines: Vec<(Option<ActorPart>, Nanos)> = self
            .parts
            .iter()
            .map(|p| (Some(p.clone()), p.amount))
            .collect();
        let left = self.total - held;
        if left.0 != 0 || lines.is_empty() {
            lines.push((None, left));
        }
        let keyed: Vec<(usize, i128)> =
            lines.iter().enumerate().map(|(i, l)| (i, l.1 .0)).collect();
        let cents = allot_core::alloc::largest_remainder(&keyed, i128::from(NANOS_PER_CENT));
        lines
            .into_iter()
            .zip(cents)
            .map(|((part, amount), cents)| ActorLine {
                part,
                amount,
                cents,
            })
            .collect()
    }
}

/// The worst status of some months: incomplete, else provisional, else settled.
pub fn worst(statuses: &[Status]) -> Status {
    if statuses.contains(&Status::Incomplete) {
        Status::Incomplete
    } else if statuses.contains(&Status::Provisional) {
        Status::Provisional
    } else {
        Status::Settled
    }
}
