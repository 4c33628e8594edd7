//! `allot explain`: why each cost center's cost changed between two periods.

use allot_app::ExplainOptions;
use allot_report::Format;

use crate::cli::ExplainArgs;
use crate::{inputs, output};

/// Explains the change and writes `explain.csv` (and the team view it prints).
pub fn run(args: &ExplainArgs, quiet: bool) -> anyhow::Result<()> {
    let flags = &args.report;
    if flags.format.contains(&Format::Focus) {
        anyhow::bail!("--format focus: explain has no FOCUS form (it is a change, not a cost); use csv, json, xlsx, html, parquet or table");
    }
    let (period, against) = args.periods()?;
    let ws = inputs::workspace(&flags.facts, &[], flags.as_of)?;
    for m in &ws.messages {
        output::say(quiet, m);
    }
    let run = ws.explain(&ExplainOptions {
        period,
        against,
        common: inputs::report_options(flags),
        line: args.cost_center.clone(),
    })?;
    output::emit(
        &run.output,
        &flags.format,
        &flags.out_dir(&period.label()),
        quiet,
        false,
    )
}
