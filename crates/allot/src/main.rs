//! The `allot` command: parses arguments, sets up logging, runs a command and maps its outcome
//! to a documented exit code. All logic lives in the library crates.

mod cli;
mod commands;
mod config;
mod env;
mod inputs;
mod output;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

/// mimalloc keeps freed pages for the next allocation, where glibc's malloc hands large
/// buffers back to the kernel and faults them in again (measured: see the commit).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The settings file's values become the flags' defaults, so it is read before the flags.
    let settings = config::locate(&argv).map(|(path, found)| config::load(&path, found));
    let (command, settings) = match settings {
        Some(Ok(loaded)) => (
            config::apply(cli::Cli::command(), &loaded),
            Some(Ok(loaded)),
        ),
        other => (cli::Cli::command(), other),
    };
    let matches = match command.try_get_matches_from(&argv) {
        Ok(matches) => matches,
        Err(e) if settings_broken(settings.as_ref(), &e) => return settings_error(settings),
        Err(e) => e.exit(),
    };
    let cli = cli::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    output::init_logging(cli.global.verbose, cli.global.quiet, cli.global.log_format);
    match settings {
        Some(Ok(loaded)) => config::settle(loaded, &matches),
        // A broken settings file stops every command but the ones that write or describe it.
        Some(Err(_)) if !cli.command.stands_without_settings() => return settings_error(settings),
        _ => {}
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            output::report_error(&err);
            // Every error exits 2, whatever failed: schedulers and the documented cron line
            // treat 0 and 3 as a run that worked and anything else as one that did not.
            ExitCode::from(commands::EXIT_ERROR)
        }
    }
}

/// Whether a flag error is better told as the broken settings file's (whose values would have
/// been the missing flags); help and version are shown whatever the file says.
fn settings_broken(settings: Option<&anyhow::Result<config::Loaded>>, e: &clap::Error) -> bool {
    use clap::error::ErrorKind;
    matches!(settings, Some(Err(_)))
        && !matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
}

/// Reports the settings file's error (exit 2).
fn settings_error(settings: Option<anyhow::Result<config::Loaded>>) -> ExitCode {
    if let Some(Err(err)) = settings {
        output::report_error(&err);
    }
    ExitCode::from(commands::EXIT_ERROR)
}
