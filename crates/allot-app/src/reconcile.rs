//! The invoice against the API's cost: per invoice month and product, on settled, complete
//! months only, with the gap explained exactly (per-user cost, cost no seat user is behind,
//! rounding, the rest) and API cost no invoice line bills reported as a variance.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use allot_core::facts::COST_REQUIRED;
use allot_core::identity::{self, Kind};
use allot_core::period::period_status;
use allot_core::{DateRange, Month, Nanos, Status};
use allot_engine::{load_facts, Ledger, Spec};
use allot_figures::reconcile::{
    reconcile, ActorPart, ApiCost, ByMonthProduct, MonthActors, RecRow, RecStatus,
};
use allot_mapping::invoice::{read_invoice, Decimals, InvoiceLine};
use allot_mapping::OrgMapping;
use allot_report::reconcile::{actors_report, invoice_lines_report, reconciliation_report};
use chrono::{Datelike, NaiveDate};

use crate::error::AppError;
use crate::output::{Named, Output};
use crate::sources::{Facts, Sources};

/// The invoice and how to compare it.
#[derive(Debug, Clone)]
pub struct InvoiceSpec {
    /// The invoice file (CSV or a workbook).
    pub path: PathBuf,
    /// Its column-mapping TOML, when not beside it.
    pub columns: Option<PathBuf>,
    /// How its amounts write decimals, when stated (`--decimal-comma`).
    pub decimals: Option<Decimals>,
    /// A period matches within this many cents.
    pub tolerance_cents: i64,
}

impl InvoiceSpec {
    /// Reads the invoice's lines.
    pub fn lines(&self) -> Result<Vec<InvoiceLine>, AppError> {
        let lines = read_invoice(&self.path, self.columns.as_deref(), self.decimals)?;
        if lines.is_empty() {
            return Err(AppError::Usage(format!(
                "`{}` has no invoice lines",
                self.path.display()
            )));
        }
        Ok(lines)
    }
}

/// A reconciliation's outcome.
#[derive(Debug, Clone)]
pub struct Reconciliation {
    /// The rows, exact.
    pub rows: Vec<RecRow>,
    /// The reports (reconciliation, invoice lines).
    pub output: Output,
    /// Whether a settled month is off (or has API cost no line bills).
    pub variance: bool,
    /// Whether a month's data is incomplete (it cannot be confirmed).
    pub incomplete: bool,
}

/// What the API says of the invoice's months.
struct Amounts {
    people: ByMonthProduct,
    actors: ByMonthProduct,
    unattributed: ByMonthProduct,
    org: Option<ByMonthProduct>,
    by_actor: BTreeMap<Month, MonthActors>,
    status: BTreeMap<Month, Status>,
}

/// Exact cost per (month, product) over `range`, by who is behind it (seat users, named
/// non-person actors, no one), the organisation-level cost, and the status of each month.
/// Cloud bills are left out: they are not on Anthropic's invoice.
fn amounts(sources: &Sources, range: DateRange, as_of: NaiveDate) -> Result<Amounts, AppError> {
    // (month, actor or none for seat users, key, workspace) -> (amount, seat users)
    type Part = (Month, Option<String>, String, String);
    let nobody = Arc::new(OrgMapping {
        attributes: Vec::new(),
        hierarchy: Vec::new(),
        rows: Vec::new(),
        recognised: String::new(),
        warnings: Vec::new(),
    });
    // Every figure is per month: each identity's days are summed in spans cut at the first
    // day of each month (and of the range), a few rows per identity instead of one per day.
    let starts: Vec<NaiveDate> = std::iter::once(range.from)
        .chain(range.days().filter(|d| d.day() == 1 && *d != range.from))
        .collect();
    let cuts: Arc<[i32]> = starts
        .iter()
        .map(|d| allot_core::date::to_epoch_days(*d))
        .collect();
    let spec = |dims: &'static [&'static str]| Spec {
        required: &COST_REQUIRED,
        dims,
        counts: &[],
        money: &["cost_usd"],
        range,
        grain: allot_engine::Grain::Spans({
            let cuts = cuts.clone();
            Arc::new(move |_: &str| Some(cuts.clone()))
        }),
    };
    // Who, and through which key and workspace (the Usage and Cost Analytics API's days hold
    // both; the older reports' neither).
    let who_dims: &[&str] = &["product", "api_key_id", "workspace_id"];
    let load = |kind: Facts, dims| -> Result<(Ledger, Option<(NaiveDate, NaiveDate)>), AppError> {
        let loaded = load_facts(&sources.anthropic_files(kind, range)?, &spec(dims))?;
        let span = loaded.span;
        Ok((
            Ledger::new(nobody.clone(), range, loaded, None, Some(&starts))?,
            span,
        ))
    };
    let (cost, span) = load(Facts::Cost, who_dims)?;
    let mut people = ByMonthProduct::new();
    let mut actors = ByMonthProduct::new();
    let mut unattributed = ByMonthProduct::new();
    let mut by_actor: BTreeMap<Month, MonthActors> = BTreeMap::new();
    let mut parts: BTreeMap<Part, (Nanos, std::collections::BTreeSet<String>)> = BTreeMap::new();
    for ((month, product, who, key, workspace), amount) in cost.by_month_who()? {
        let at = (month, product);
        let part = match identity::kind(&who) {
            Kind::Person => {
                *people.entry(at).or_default() += amount;
                (month, None, key, workspace)
            }
            Kind::Unattributed => {
                *unattributed.entry(at).or_default() += amount;
                (month, Some(who.clone()), key, workspace)
            }
            _ => {
                *actors.entry(at).or_default() += amount;
                (month, Some(who.clone()), key, workspace)
            }
        };
        let e = parts.entry(part.clone()).or_default();
        e.0 += amount;
        if part.1.is_none() {
            e.1.insert(who);
        }
    }
    let has_org = sources.has(Facts::OrgCost)?;
    let (org, org_span) = if has_org {
        let (o, s) = load(Facts::OrgCost, &["product"])?;
        (Some(o.by_month_product()?), s)
    } else {
        (None, None)
    };
    let mut status = BTreeMap::new();
    let mut m = Month::of(range.from);
    while m.first_day() <= range.to {
        let r = DateRange::month(m);
        let mut cov = sources.coverage(Facts::Cost, r, as_of, span)?;
        // Cloud bills are not reconciled against Anthropic's invoice.
        cov.retain(|c| c.source != crate::sources::CLOUD);
        if has_org {
            cov.extend(sources.coverage(Facts::OrgCost, r, as_of, org_span.or(span))?);
        }
        status.insert(m, period_status(r, as_of, &cov));
        let sum = |map: &ByMonthProduct| -> Nanos {
            map.iter()
                .filter(|((mm, _), _)| *mm == m)
                .map(|(_, v)| *v)
                .sum()
        };
        let entry = by_actor.entry(m).or_default();
        // Seat users first, then the named actors most expensive first, then no actor.
        let mut of_month: Vec<ActorPart> = parts
            .iter()
            .filter(|((mm, ..), _)| *mm == m)
            .map(|((_, actor, key, workspace), (amount, users))| ActorPart {
                actor: actor.clone(),
                api_key: key.clone(),
                workspace: workspace.clone(),
                people: users.len() as u64,
                amount: *amount,
            })
            .collect();
        let rank = |p: &ActorPart| match &p.actor {
            None => 0,
            Some(id) if identity::kind(id) == Kind::Unattributed => 2,
            Some(_) => 1,
        };
        of_month.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then_with(|| b.amount.cmp(&a.amount))
                .then_with(|| a.actor.cmp(&b.actor))
                .then_with(|| a.api_key.cmp(&b.api_key))
        });
        entry.parts = of_month;
        entry.org = org.is_some();
        entry.total = match &org {
            Some(o) => sum(o),
            None => sum(&people) + sum(&actors) + sum(&unattributed),
        };
        m = m.next();
    }
    Ok(Amounts {
        people,
        actors,
        unattributed,
        org,
        by_actor,
        status,
    })
}

/// Reconciles `invoice` against the API's cost from `sources` as of `as_of`.
pub fn run(
    sources: &Sources,
    invoice: &InvoiceSpec,
    as_of: NaiveDate,
) -> Result<Reconciliation, AppError> {
    let lines = invoice.lines()?;
    reconcile_lines(sources, invoice, &lines, as_of)
}

/// Reconciles given invoice lines (e.g. one month's, for a close).
pub fn reconcile_lines(
    sources: &Sources,
    invoice: &InvoiceSpec,
    lines: &[InvoiceLine],
    as_of: NaiveDate,
) -> Result<Reconciliation, AppError> {
    let months: Vec<Month> = lines.iter().map(|l| l.month).collect();
    let (Some(first), Some(last)) = (months.iter().min(), months.iter().max()) else {
        return Err(AppError::Usage(format!(
            "`{}` has no invoice lines for this period",
            invoice.path.display()
        )));
    };
    if first.first_day() >= as_of {
        return Err(AppError::NoData(format!(
            "the invoice bills {first}, which has not started as of {as_of}"
        )));
    }
    let range = DateRange {
        from: first.first_day(),
        to: last.last_day(),
    };
    let a = amounts(sources, range, as_of)?;
    let status_of = |m: Month| a.status.get(&m).copied().unwrap_or(Status::Incomplete);
    let rows = reconcile(
        lines,
        ApiCost {
            people: &a.people,
            actors: &a.actors,
            unattributed: &a.unattributed,
            org: a.org.as_ref(),
        },
        &status_of,
        invoice.tolerance_cents,
    );
    let invoiced: std::collections::BTreeSet<Month> = lines.iter().map(|l| l.month).collect();
    let by_actor: BTreeMap<Month, MonthActors> = a
        .by_actor
        .iter()
        .filter(|(m, _)| invoiced.contains(m))
        .map(|(m, v)| (*m, v.clone()))
        .collect();
    let names = sources.names()?;
    let variance = rows.iter().any(|r| r.status.is_variance());
    let incomplete = rows.iter().any(|r| r.status == RecStatus::Incomplete);
    let report = reconciliation_report(&rows, as_of, invoice.tolerance_cents);
    let run_status = report.status;
    let mut messages = Vec::new();
    if incomplete {
        messages.push(
            "reconcile: the data misses days of an invoice month; that month cannot be confirmed (exit code 1)".to_string(),
        );
    }
    if variance {
        messages.push(
            "reconcile: a settled period does not match the invoice (exit code 1)".to_string(),
        );
    }
    Ok(Reconciliation {
        output: Output {
            run: "reconciliation".into(),
            title: "Invoice reconciliation".into(),
            reports: vec![
                Named::table("reconciliation", report),
                Named::file("invoice_lines", invoice_lines_report(lines, run_status)),
                Named::file(
                    "reconciliation_actors",
                    actors_report(&by_actor, &names, &status_of),
                ),
            ],
            files: Vec::new(),
            messages,
        },
        rows,
        variance,
        incomplete,
    })
}
