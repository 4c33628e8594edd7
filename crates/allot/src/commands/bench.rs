//! `allot bench`: times allot beside python polars and DuckDB on a large synthetic
//! organisation, or counts the sync's requests.

use allot_app::bench::{run as bench, sync_requests, BenchSpec};

use crate::cli::BenchArgs;
use crate::output;

pub fn run(args: &BenchArgs, quiet: bool) -> anyhow::Result<()> {
    if args.sync {
        return Ok(output::stdout(&sync_requests(
            args.sync_people,
            args.month,
            &args.dir,
        )?)?);
    }
    let exe = std::env::current_exe()?;
    bench(
        &BenchSpec {
            people: args.people,
            month: args.month,
            dir: args.dir.clone(),
            no_peers: args.no_peers,
            year: args.year,
        },
        &exe,
        &|m| output::say(quiet, m),
    )?;
    Ok(())
}
