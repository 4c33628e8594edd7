//! `allot adoption`: the adoption scorecard of a month and the seats to reclaim.

use allot_app::AdoptionOptions;

use crate::cli::AdoptionArgs;
use crate::{inputs, output};

pub fn run(args: &AdoptionArgs, quiet: bool) -> anyhow::Result<()> {
    let ws = inputs::workspace(&args.input.facts, &args.input.activity, args.as_of)?;
    for m in &ws.messages {
        output::say(quiet, m);
    }
    let out = ws.adoption(
        args.month,
        &AdoptionOptions {
            by: args.by.clone(),
            inactive_days: args.inactive_days,
            policy: inputs::policy(args.unmapped, args.unmapped_to.as_ref()),
        },
    )?;
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| crate::config::reports_dir().join(args.month.to_string()));
    output::emit(&out, &args.format, &dir, quiet, false)
}
