//! Command-line arguments. Flag names are a contract: scripts rely on them.

use std::path::PathBuf;

use allot_core::Month;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand};

/// allot: who in the organisation drives the Claude bill, was it worth it, and does the invoice add up.
#[derive(Debug, Parser)]
#[command(name = "allot", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// More detail on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr and no table on stdout: for schedulers.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Monthly chargeback per cost center (or any mapping column) from cost facts and an org mapping.
    Chargeback(ChargebackArgs),
    /// Run the chargeback on the embedded demo organisation: no key, no network.
    Demo(DemoArgs),
    /// Generate a large synthetic month and time `allot chargeback` on it (CSV and Parquet), beside python polars and DuckDB.
    Bench(BenchArgs),
}

/// Arguments of `allot chargeback`.
#[derive(Debug, Args)]
pub struct ChargebackArgs {
    /// The month to charge back, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: Month,
    /// Org mapping CSV: email, cost_center, optional effective_from / effective_to, any attribute columns.
    #[arg(long)]
    pub mapping: PathBuf,
    /// Cost-fact file (CSV or Parquet); repeat for several.
    #[arg(long = "cost", required = true)]
    pub cost: Vec<PathBuf>,
    /// Roll up to this mapping column (e.g. department, division) instead of cost_center.
    #[arg(long)]
    pub by: Option<String>,
    /// Settlement is judged as of this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Output folder; default reports/<month>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Comma-separated formats: table, csv, json.
    #[arg(long, default_value = "table,csv,json", value_delimiter = ',')]
    pub format: Vec<allot_report::Format>,
}

/// Arguments of `allot demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Pretend today is this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Output folder.
    #[arg(long, default_value = "reports/demo")]
    pub out: PathBuf,
}

/// Arguments of `allot bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// People in the synthetic organisation.
    #[arg(long, default_value_t = 20_000)]
    pub people: u64,
    /// The month generated and charged back.
    #[arg(long, default_value = "2026-09", value_parser = parse_month)]
    pub month: Month,
    /// Folder for the generated data (kept between runs; regenerated when missing).
    #[arg(long, default_value = "bench-data")]
    pub dir: PathBuf,
    /// Skip the python polars and DuckDB peers.
    #[arg(long)]
    pub no_peers: bool,
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse::<Month>().map_err(|e| e.to_string())
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    allot_core::date::parse_date(s)
        .ok_or_else(|| format!("`{s}` is not a date: expected YYYY-MM-DD"))
}
