//! `allot chargeback`: the month per cost center (or any mapping column), with shared pools.

use allot_app::ChargebackOptions;
use allot_report::Format;

use crate::cli::ChargebackArgs;
use crate::{inputs, output};
use anyhow::Context;

pub fn run(args: &ChargebackArgs, quiet: bool) -> anyhow::Result<()> {
    let flags = &args.common.report;
    let mut pools = args.shared.clone();
    if let Some(settings) = crate::config::loaded() {
        pools.extend(
            settings
                .config
                .pools()
                .with_context(|| format!("in `{}`", settings.path.display()))?,
        );
    }
    let ws = inputs::workspace(&flags.facts, &[], flags.as_of)?;
    for m in &ws.messages {
        output::say(quiet, m);
    }
    // The page and the workbook also show the month's reviews, computed as `allot top` would.
    let with_reviews = flags
        .format
        .iter()
        .any(|f| matches!(f, Format::Html | Format::Xlsx));
    let focus = flags.format.contains(&Format::Focus);
    let out = ws.chargeback(
        args.common.month,
        &ChargebackOptions {
            common: inputs::report_options(flags),
            pools,
            with_reviews,
            focus,
        },
    )?;
    output::emit(&out, &flags.format, &args.common.out_dir(), quiet, false)
}
