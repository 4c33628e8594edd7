//! `allot reconcile`: the invoice against the API's cost per month and product.

use allot_app::reconcile::{run as reconcile, InvoiceSpec};
use allot_core::shared::parse_cents;
use allot_mapping::invoice::Decimals;

use crate::cli::ReconcileArgs;
use crate::{inputs, output};

/// Runs the reconciliation; `Ok(true)` when a settled month is off or a month cannot be confirmed.
pub fn run(args: &ReconcileArgs, quiet: bool) -> anyhow::Result<bool> {
    let tolerance = parse_cents(&args.tolerance).map_err(|e| anyhow::anyhow!("--tolerance {e}"))?;
    let sources = inputs::sources(
        args.store.as_ref(),
        &args.cost,
        &[],
        &args.org_cost,
        args.covers,
        None,
    )?;
    let rec = reconcile(
        &sources,
        &InvoiceSpec {
            path: args.invoice.clone(),
            columns: args.invoice_columns.clone(),
            decimals: args.decimal_comma.then_some(Decimals::Comma),
            tolerance_cents: tolerance,
        },
        args.as_of.unwrap_or_else(crate::inputs::today),
    )?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| crate::config::reports_dir().join("reconcile"));
    output::emit(&rec.output, &args.format, &out, quiet, false)?;
    Ok(rec.variance || rec.incomplete)
}
