//! `allot trend`: cost per day, week or month over any range.

use allot_app::TrendOptions;
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
    let out = ws.trend(
        range,
        &TrendOptions {
            per: args.per,
            by: args.by.clone(),
            policy: inputs::policy(args.unmapped, args.unmapped_to.as_ref()),
        },
    )?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| crate::config::reports_dir().join("trend"));
    output::emit(&out, &args.format, &dir, quiet, false)
}
