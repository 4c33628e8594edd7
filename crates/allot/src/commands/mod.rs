//! One module per subcommand: each turns parsed flags into one call of `allot-app` and shows
//! or writes what it returns. No command module imports another.

mod adoption;
mod bench;
mod chargeback;
mod close;
mod demo;
mod explain;
mod fake_api;
mod mapping;
mod mcp;
mod reconcile;
mod reviews;
mod serve;
mod settings;
mod sync;
mod trend;
mod watch;

use std::process::ExitCode;

use crate::cli::{Cli, Command, MappingCommand, StoreCommand};

/// Exit code: the command ran and found nothing wrong.
pub const EXIT_OK: u8 = 0;
/// Exit code: the command ran and found a settled period that does not reconcile (or a month
/// it cannot confirm).
pub const EXIT_VARIANCE: u8 = 1;
/// Exit code: bad input, bad usage, or an internal error.
pub const EXIT_ERROR: u8 = 2;
/// Exit code: `allot alerts` ran and an alert at or above `--fail-on` fired.
pub const EXIT_ALERT: u8 = 3;

/// Runs the chosen command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let quiet = cli.global.quiet;
    if cli.global.pseudonymize {
        crate::output::enable_pseudonyms(cli.global.pseudonym_key_file.as_deref())?;
    }
    let code = |found: bool| ExitCode::from(if found { EXIT_VARIANCE } else { EXIT_OK });
    match cli.command {
        Command::Chargeback(args) => chargeback::run(&args, quiet),
        Command::Demo(args) => demo::run(&args, quiet),
        Command::Mapping(MappingCommand::Check(args)) => mapping::check(&args, quiet),
        Command::Store(StoreCommand::Verify(args)) => return sync::verify(&args, quiet).map(code),
        Command::Store(StoreCommand::Migrate(args)) => sync::migrate(&args, quiet),
        Command::Store(StoreCommand::Compact(args)) => sync::compact(&args, quiet),
        Command::Restatements(args) => {
            let out = allot_app::restatements::restatements(&args.store, args.month, args.as_of)?;
            let dir = args
                .out
                .clone()
                .unwrap_or_else(|| crate::config::reports_dir().join(args.month.to_string()));
            crate::output::emit(&out, &args.format, &dir, quiet, false)
        }
        Command::Efficiency(args) => reviews::run_efficiency(&args, quiet),
        Command::Top(args) => reviews::run_top(&args, quiet),
        Command::Context(args) => reviews::run_context(&args, quiet),
        Command::Models(args) => reviews::run_models(&args, quiet),
        Command::Explain(args) => explain::run(&args, quiet),
        Command::Mcp(args) => mcp::run(&args),
        Command::Trend(args) => trend::run(&args, quiet),
        Command::Close(args) => return close::run(&args, quiet).map(code),
        Command::FakeApi(args) => fake_api::run(&args, quiet),
        Command::Alerts(args) => {
            return watch::alerts(&args, quiet)
                .map(|fired| ExitCode::from(if fired { EXIT_ALERT } else { EXIT_OK }))
        }
        Command::Forecast(args) => watch::forecast(&args, quiet),
        Command::Adoption(args) => adoption::run(&args, quiet),
        Command::Sync(args) => return sync::run(&args, quiet).map(code),
        Command::Reconcile(args) => return reconcile::run(&args, quiet).map(code),
        Command::Bench(args) => bench::run(&args, quiet),
        Command::Serve(args) => serve::run(&args, quiet),
        Command::Init(args) => settings::init(&args, quiet),
        Command::Config => settings::show(),
        Command::Completions(args) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "allot", &mut out);
            crate::output::stdout(&String::from_utf8_lossy(&out)).map_err(anyhow::Error::from)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut out)?;
            crate::output::stdout(&String::from_utf8_lossy(&out)).map_err(anyhow::Error::from)
        }
    }
    .map(|()| ExitCode::from(EXIT_OK))
}

/// A secret kept in a file (a webhook URL, a token): its first line, trimmed. The error names
/// the file, never its content.
pub fn secret_file(path: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    Ok(text.lines().next().unwrap_or("").trim().to_string())
}
