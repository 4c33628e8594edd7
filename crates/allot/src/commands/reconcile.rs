//! `allot reconcile`: the invoice against the API's cost per month and product.

use std::path::PathBuf;

use allot_core::shared::parse_cents;
use allot_engine::{load_costs, monthly_by_product};
use allot_mapping::invoice::read_invoice;
use allot_report::reconcile::{invoice_lines_report, reconcile, reconciliation_report, RecStatus};

use super::chargeback::emit;
use crate::cli::ReconcileArgs;
use crate::output;

/// Per-user cost per (month, product) in `range`, and the organisation-level one when
/// `org_cost` files are given (the three-way reconciliation).
pub fn amounts(
    cost: &[PathBuf],
    org_cost: &[PathBuf],
    range: (chrono::NaiveDate, chrono::NaiveDate),
) -> anyhow::Result<(Amounts, Option<Amounts>)> {
    let per_user = monthly_by_product(&load_costs(cost, &["product"], Some(range))?)?;
    let org = if org_cost.is_empty() {
        None
    } else {
        Some(monthly_by_product(&load_costs(
            org_cost,
            &["product"],
            Some(range),
        )?)?)
    };
    Ok((per_user, org))
}

/// Cost per (month, product).
type Amounts = std::collections::BTreeMap<(allot_core::Month, String), allot_core::Nanos>;

/// Runs the reconciliation; `Ok(true)` when a settled period is off.
pub fn run(args: &ReconcileArgs, quiet: bool) -> anyhow::Result<bool> {
    let as_of = args.as_of.unwrap_or_else(super::today);
    let tolerance = parse_cents(&args.tolerance).map_err(|e| anyhow::anyhow!("--tolerance {e}"))?;
    let lines = read_invoice(&args.invoice, args.invoice_columns.as_deref())?;
    let months: Vec<allot_core::Month> = lines.iter().map(|l| l.month).collect();
    let (Some(first), Some(last)) = (months.iter().min(), months.iter().max()) else {
        anyhow::bail!("`{}` has no invoice lines", args.invoice.display());
    };
    let (api, org) = amounts(
        &args.cost,
        &args.org_cost,
        (first.first_day(), last.last_day()),
    )?;
    let rows = reconcile(&lines, &api, org.as_ref(), as_of, tolerance);
    let off = rows.iter().any(|r| r.status == RecStatus::Variance);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join("reconcile"));
    emit(
        &[
            (
                reconciliation_report(&rows, as_of, tolerance),
                "reconciliation",
            ),
            (invoice_lines_report(&lines), "invoice_lines"),
        ],
        &args.format,
        &out,
        quiet,
    )?;
    if off {
        output::say(
            quiet,
            "reconcile: a settled period does not match the invoice (exit code 1)",
        );
    }
    Ok(off)
}
