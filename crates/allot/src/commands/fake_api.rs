//! `allot fake-api`: serves the fake Anthropic analytics API until interrupted.

use allot_fake_api::{serve, Config, Faults, State};
use anyhow::Context;

use crate::cli::FakeApiArgs;
use crate::output;

pub fn run(args: &FakeApiArgs, quiet: bool) -> anyhow::Result<()> {
    let today = args.today.unwrap_or_else(crate::inputs::today);
    let config = Config {
        rate_per_minute: args.rate,
        faults: Faults {
            drift: args.drift,
            ..if args.faults {
                Faults::all()
            } else {
                Faults::default()
            }
        },
        revised_days: args.revise_days.clone(),
        key_names: args.rename_keys.clone(),
        ..Config::new(today, &args.key)
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .with_context(|| format!("cannot listen on 127.0.0.1:{}", args.port))?;
        let addr = listener.local_addr()?;
        output::say(
            quiet,
            &format!(
                "fake Anthropic API listening on http://{addr} (today {today}; it accepts the Analytics key {} and the Admin key {}-admin: it is a fake, its keys are not secret)",
                args.key, args.key
            ),
        );
        let state = match args.people {
            Some(n) => State::with_org(config, allot_synth::scale_org(n)),
            // The demo organisation with the events `allot demo` plants in the weeks before
            // the fake's today (a team ramping up, a new heavy spender, a move into the long
            // context window), so alerts on a store synced from it fire as the examples show.
            None if args.events => State::with_org(config, allot_synth::demo_org_at(today)),
            None => State::new(config),
        };
        for _ in 0..args.revisions {
            state.revise();
        }
        serve(listener, state).await?;
        Ok(())
    })
}
