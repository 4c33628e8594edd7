//! `allot mcp`: allot's answers as MCP tools on stdin and stdout.

use allot_app::reconcile::InvoiceSpec;
use allot_app::watch::{read_budgets, read_rules};
use allot_app::WatchOptions;
use allot_core::shared::parse_cents;
use allot_mapping::invoice::Decimals;

use crate::cli::McpArgs;
use crate::{inputs, output};

/// Serves until the client closes stdin. Nothing but the protocol goes to stdout.
pub fn run(args: &McpArgs) -> anyhow::Result<()> {
    let decimals = args.decimal_comma.then_some(Decimals::Comma);
    // Rules, budgets and the invoice are read once: a mistake in them stops the start.
    let rules = match &args.rules {
        Some(p) => read_rules(p)?,
        None => allot_watch::Rules::default(),
    };
    let budgets = match &args.budgets {
        Some(p) => Some(read_budgets(p, decimals)?),
        None => None,
    };
    let policy = inputs::policy(args.unmapped, args.unmapped_to.as_ref());
    let invoice = match &args.invoice {
        Some(path) => {
            let spec = InvoiceSpec {
                path: path.clone(),
                columns: args.invoice_columns.clone(),
                decimals,
                tolerance_cents: parse_cents(&args.tolerance)
                    .map_err(|e| anyhow::anyhow!("--tolerance {e}"))?,
            };
            spec.lines()?;
            Some(spec)
        }
        None => None,
    };
    // The workspace is opened for each call, as of the day of the call unless --as-of says.
    let opened = args.clone();
    let open = move || {
        inputs::workspace(&opened.input.facts, &opened.input.activity, opened.as_of).map_err(|e| {
            match e.downcast::<allot_app::AppError>() {
                Ok(app) => app,
                Err(other) => allot_app::AppError::Usage(format!("{other:#}")),
            }
        })
    };
    // A mistake in the inputs (a mapping that does not read, a store that is not one) is
    // said at the start, not at the first question.
    open()?;
    output::say(
        false,
        "allot mcp: serving chargeback, top_spenders, trend, explain, alerts, forecast, adoption and reconcile on stdin/stdout",
    );
    allot_mcp::serve_stdio(allot_mcp::Context {
        open: Box::new(open),
        watch: WatchOptions {
            rules,
            budgets,
            policy: policy.clone(),
        },
        policy,
        invoice,
        pseudonyms: output::pseudonyms().cloned(),
    })?;
    Ok(())
}
