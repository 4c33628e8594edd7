//! `allot fake-api`: serves the fake Anthropic analytics API until interrupted.

use allot_app::operate::FakeApi;

use crate::cli::FakeApiArgs;
use crate::output;

/// Serves the fake as the flags say; prints where it listens.
pub fn run(args: &FakeApiArgs, quiet: bool) -> anyhow::Result<()> {
    let today = args.today.unwrap_or_else(crate::inputs::today);
    let fake = FakeApi {
        today,
        key: args.key.clone(),
        port: args.port,
        rate_per_minute: args.rate,
        faults: args.faults,
        drift: args.drift,
        revised_days: args.revise_days.clone(),
        key_names: args.rename_keys.clone(),
        people: args.people,
        events: args.events,
        revisions: args.revisions,
    };
    fake.serve(|addr| {
        output::say(
            quiet,
            &format!(
                "fake Anthropic API listening on http://{addr} (today {today}; it accepts the Analytics key {} and the Admin key {}-admin: it is a fake, its keys are not secret)",
                args.key, args.key
            ),
        );
    })?;
    Ok(())
}
