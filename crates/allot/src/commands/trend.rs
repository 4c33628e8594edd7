//! `allot trend`: cost per day, week or month over any range.

use allot_app::trend::needs_dimensions;
use allot_app::{Needs, TrendOptions};
use allot_core::DateRange;

use crate::cli::TrendArgs;
use crate::{inputs, output};

pub fn run(args: &TrendArgs, quiet: bool) -> anyhow::Result<()> {
    let range = DateRange::new(args.from, args.to)
        .ok_or_else(|| anyhow::anyhow!("--from {} is after --to {}", args.from, args.to))?;
    let ws = inputs::workspace(&args.facts, &[], args.as_of)?;
    for m in &ws.messages {
        output::say(quiet, m);
    }
    let period = ws.period(
        range,
        &Needs {
            usage: needs_dimensions(args.by.as_deref()),
            starts: allot_app::trend::trend_starts(range, args.per, ws.as_of),
            ..Needs::default()
        },
    )?;
    let out = period.trend(&TrendOptions {
        per: args.per,
        by: args.by.clone(),
        policy: inputs::policy(args.unmapped, args.unmapped_to.as_ref()),
    })?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| crate::config::reports_dir().join("trend"));
    output::emit(&out, &args.format, &dir, quiet, false)
}
