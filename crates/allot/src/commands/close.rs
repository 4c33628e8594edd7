//! `allot close`: the month recorded as a version, only when allot can stand behind it.

use allot_app::close::{close, CloseSpec};
use allot_app::reconcile::InvoiceSpec;
use allot_core::shared::parse_cents;
use allot_mapping::invoice::Decimals;
use allot_report::table_out;

use crate::cli::CloseArgs;
use crate::{inputs, output};

/// Closes the month; `Ok(true)` when the reconciliation shows a variance (exit code 1).
pub fn run(args: &CloseArgs, quiet: bool) -> anyhow::Result<bool> {
    let tolerance = parse_cents(&args.tolerance).map_err(|e| anyhow::anyhow!("--tolerance {e}"))?;
    let closed = close(&CloseSpec {
        month: args.month,
        mapping: inputs::mapping(&args.facts.mapping, &args.facts.read),
        sources: inputs::fact_sources(&args.facts, &args.activity, &args.org_cost)?,
        invoice: InvoiceSpec {
            path: args.invoice.clone(),
            columns: args.invoice_columns.clone(),
            decimals: args.decimal_comma.then_some(Decimals::Comma),
            tolerance_cents: tolerance,
        },
        as_of: args.as_of.unwrap_or_else(crate::inputs::today),
        provisional: args.provisional,
        accept_variance: args.accept_variance.clone(),
        dir: args.dir.clone(),
    })?;
    if !quiet {
        let width = output::terminal_width();
        output::stdout(&table_out::render(&closed.chargeback, width))?;
        output::stdout(&table_out::render(&closed.reconciliation, width))?;
        if let Some(r) = &closed.restatement {
            output::stdout(&table_out::render(r, width))?;
        }
    }
    output::say(quiet, &closed.message);
    Ok(closed.variance && args.accept_variance.is_none())
}
