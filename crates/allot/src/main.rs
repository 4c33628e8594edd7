//! The `allot` command: parses arguments, sets up logging, runs a command and maps its outcome
//! to a documented exit code. All logic lives in the library crates.

mod cli;
mod commands;
mod config;
mod env;
mod inputs;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    output::init_logging(cli.global.verbose, cli.global.quiet);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if output::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            output::report_error(&err);
            ExitCode::from(commands::exit_code_for(&err))
        }
    }
}
