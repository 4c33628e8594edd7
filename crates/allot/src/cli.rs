//! Command-line arguments. Flag names are a contract: scripts rely on them.

use std::path::PathBuf;

use allot_core::{DateRange, Month, Per};
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
    /// Replace every email in every output with a stable keyed pseudonym (person-...).
    #[arg(long, global = true)]
    pub pseudonymize: bool,
    /// Key for --pseudonymize; default ALLOT_PSEUDONYM_KEY, else ~/.config/allot/pseudonym.key (created on first use, readable by you only).
    #[arg(long, global = true)]
    pub pseudonym_key_file: Option<PathBuf>,
    /// Settings file (default ALLOT_CONFIG, else ./allot.toml when there is one): its settings are the flags' defaults; `allot config` shows them.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Log lines on stderr as text or as JSON objects (one per line), for a log collector.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Plain text.
    Text,
    /// One JSON object per line (timestamp, level, target, message and fields).
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Monthly chargeback per cost center (or any mapping column) from cost facts and an org mapping.
    Chargeback(ChargebackArgs),
    /// Run the chargeback on the embedded demo organisation: no key, no network.
    Demo(DemoArgs),
    /// Claude Code cost per commit, pull request, session and 1,000 lines, per team or person.
    Efficiency(EfficiencyArgs),
    /// The top spenders of a month, with their mix, long-context share and change.
    Top(TopArgs),
    /// Tokens and cost in the 0-200K and 200K-1M context windows; people above a threshold.
    Context(ContextArgs),
    /// Spend by model per team and person; people mostly on the largest model.
    Models(ReviewArgs),
    /// Reconcile an invoice against the API's cost, on settled months only (exit 1 on a variance).
    Reconcile(ReconcileArgs),
    /// Close a settled month: chargeback, reviews and reconciliation recorded with a manifest of hashes; re-runs are byte-identical, changes become a new version with a restatement.
    Close(CloseArgs),
    /// Serve allot's read-only answers as MCP tools on stdin/stdout (chargeback, top_spenders, trend, explain, alerts, forecast, adoption, reconcile), for Claude Code, Claude Desktop or any MCP client.
    Mcp(McpArgs),
    /// Why each cost center's cost changed from one month (or any days) to another, split exactly into drivers (joined, left, moved in or out, volume, model mix, rate, other spenders, partial period) with the people behind each.
    Explain(ExplainArgs),
    /// Cost per day, ISO week or month over any range, per cost center, mapping column, product, model or context window.
    Trend(TrendArgs),
    /// Anomaly alerts over the recent days (sustained increases, spikes, new heavy spenders, long context, model shift, budgets); exit 3 when one at or above --fail-on fires.
    Alerts(AlertsArgs),
    /// Adoption scorecard: headcount against active users per team and surface, the organisation's engagement summary, and the seats nobody used.
    Adoption(AdoptionArgs),
    /// Month-end forecast per cost center (or budget level) with a low and high bound, against budgets.
    Forecast(ForecastArgs),
    /// Sync Anthropic's analytics APIs into the local store (only the days missing or whose cost moved).
    Sync(SyncArgs),
    /// Serve a read-only dashboard over the store (overview, months with drill-down, cost centers, people, reviews, adoption, reconciliation) on 127.0.0.1.
    Serve(ServeArgs),
    /// Run the fake Anthropic analytics API on 127.0.0.1, to try allot without a key or network.
    FakeApi(FakeApiArgs),
    /// Write a commented allot.toml (store, mapping, cost, budgets, out, sync, alerts, dashboard) from answers or defaults.
    Init(InitArgs),
    /// Print the effective settings: each with its value and where it comes from (secrets redacted).
    Config,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) to standard output.
    Completions(CompletionsArgs),
    /// Print allot's man page (roff) to standard output: `allot man > /usr/local/share/man/man1/allot.1`.
    Man,
    /// Work with org mapping files.
    #[command(subcommand)]
    Mapping(MappingCommand),
    /// Work with the store `allot sync` writes.
    #[command(subcommand)]
    Store(StoreCommand),
    /// What Anthropic revised in a month: every person's or spender's cost that moved when a provisional day was fetched again, old and new.
    Restatements(RestatementsArgs),
    /// Generate a large synthetic month and time `allot chargeback` on it (CSV and Parquet), beside python polars and DuckDB.
    Bench(BenchArgs),
}

impl Command {
    /// Whether the command runs even when the settings file is broken: it writes the file,
    /// describes the CLI itself, or never reads the file (the fake API, the benchmark).
    pub fn stands_without_settings(&self) -> bool {
        matches!(
            self,
            Command::Init(_)
                | Command::Completions(_)
                | Command::Man
                | Command::FakeApi(_)
                | Command::Bench(_)
        )
    }
}

/// `allot mapping ...`
#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Check a mapping: duplicates, overlapping rows, gaps, bad emails and dates, split hierarchies.
    Check(MappingCheckArgs),
}

/// `allot store ...`
#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Check every day the store records: its file is there, reads, and holds the rows the sync stored (exit 1 naming what is not; `allot sync --repair` fetches those days again).
    Verify(StoreVerifyArgs),
    /// Upgrade a store written by an older allot (day files and state.json) to a Delta Lake table per source, in place; state.json is kept as a backup until it succeeds.
    Migrate(StoreVerifyArgs),
    /// Fold each source's settled days into one file per month, and remove files no version of the last --keep-days days names (the retention of time travel with --as-of).
    Compact(StoreCompactArgs),
}

/// Arguments of `allot store compact`.
#[derive(Debug, Args)]
pub struct StoreCompactArgs {
    /// The store folder.
    #[arg(long, default_value = "allot-data")]
    pub store: PathBuf,
    /// Keep the files every version of the last N days names, so `--as-of` can reproduce any close made within them.
    #[arg(long, default_value_t = allot_sync::store::KEEP_DAYS)]
    pub keep_days: i64,
    /// Days are settled as of this date (default: today, UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
}

/// Arguments of `allot restatements`.
#[derive(Debug, Args)]
pub struct RestatementsArgs {
    /// The month, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: Month,
    /// What the store had recorded by this date (the versions committed by then).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// The store folder.
    #[arg(long, default_value = "allot-data")]
    pub store: PathBuf,
    /// Output folder; default `reports/<month>/`.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Comma-separated formats: table, csv, json, xlsx, html, parquet.
    #[arg(long, default_value = "table,csv,json", value_delimiter = ',')]
    pub format: Vec<allot_report::Format>,
}

/// Arguments of `allot store verify`.
#[derive(Debug, Args)]
pub struct StoreVerifyArgs {
    /// The store folder.
    #[arg(long, default_value = "allot-data")]
    pub store: PathBuf,
}

/// Arguments of `allot mapping check`.
#[derive(Debug, Args)]
pub struct MappingCheckArgs {
    /// The mapping file (CSV, XLSX, XLS, ODS).
    pub file: PathBuf,
    #[command(flatten)]
    pub read: MappingReadArgs,
}

/// How to read a mapping file.
#[derive(Debug, Args, Clone)]
pub struct MappingReadArgs {
    /// Sheet of a workbook mapping; default the first.
    #[arg(long)]
    pub sheet: Option<String>,
    /// Column-mapping TOML; default `<mapping>.toml` when it exists.
    #[arg(long)]
    pub columns: Option<PathBuf>,
}

/// How cost files in FOCUS (a cloud provider's bill: Amazon Bedrock, Google Vertex AI...) are read.
#[derive(Debug, Args, Clone, Default)]
pub struct FocusArgs {
    /// The amount of a FOCUS file given to --cost: BilledCost (what the cloud invoices) or EffectiveCost (amortised).
    #[arg(long = "focus-cost", default_value = "BilledCost", value_parser = ["BilledCost", "EffectiveCost"])]
    pub amount: String,
    /// The key of a FOCUS file's Tags whose value names the cost center (e.g. team); used when the row's principal is not mapped.
    #[arg(long = "focus-tag")]
    pub tag: Option<String>,
    /// Keep FOCUS rows matching COLUMN=VALUE (equals) or COLUMN~TEXT (contains) as Claude usage too, besides Anthropic's models; repeatable.
    #[arg(long = "focus-filter")]
    pub filter: Vec<allot_engine::focus_in::Filter>,
}

impl FocusArgs {
    /// The engine's reading options.
    pub fn options(&self) -> allot_engine::focus_in::FocusOptions {
        allot_engine::focus_in::FocusOptions {
            cost_column: self.amount.clone(),
            tag: self.tag.clone(),
            filters: self.filter.clone(),
        }
    }
}

/// Where cost nobody's mapping covers goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum UnmappedArg {
    /// To the UNMAPPED cost center.
    Bucket,
    /// A leaver's later cost to their last cost center.
    LastKnown,
}

/// What every report command takes: the month, and the rest of [`ReportFlags`].
#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// The month, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: Month,
    #[command(flatten)]
    pub report: ReportFlags,
}

impl ReportArgs {
    /// The output folder: `--out`, else `reports/<month>`.
    pub fn out_dir(&self) -> PathBuf {
        self.report.out_dir(&self.month.to_string())
    }
}

/// What every report command takes besides its period: the mapping, the facts, the level,
/// the unmapped policy, the as-of date and where and how to write.
#[derive(Debug, Args, Clone)]
pub struct ReportFlags {
    #[command(flatten)]
    pub facts: FactArgs,
    /// Roll up (or group teams) by this mapping column (e.g. department, division) instead of cost_center.
    #[arg(long)]
    pub by: Option<String>,
    /// Unmapped cost policy.
    #[arg(
        long,
        value_enum,
        default_value = "bucket",
        conflicts_with = "unmapped_to"
    )]
    pub unmapped: UnmappedArg,
    /// Send all unmapped cost to this cost center.
    #[arg(long)]
    pub unmapped_to: Option<String>,
    /// Settlement is judged as of this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Output folder; default reports/<month> (reports/<from>..<to> for days).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Comma-separated formats: table, csv, json, xlsx, html, parquet, focus.
    #[arg(long, default_value = "table,csv,json", value_delimiter = ',')]
    pub format: Vec<allot_report::Format>,
    /// FOCUS version of the `focus` format (1.2, checked with the FinOps Foundation's validator).
    #[arg(long, default_value = "1.2", value_parser = parse_focus_version)]
    pub focus_version: String,
}

impl ReportFlags {
    /// The output folder: `--out`, else `reports/<period>`.
    pub fn out_dir(&self, period: &str) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| crate::config::reports_dir().join(period))
    }
}

/// Arguments of `allot chargeback`.
#[derive(Debug, Args)]
pub struct ChargebackArgs {
    #[command(flatten)]
    pub common: ReportArgs,
    /// A shared cost pool, NAME=AMOUNT[@POLICY] with POLICY proportional (default), per-user or cost-center:CC; repeatable (also the settings file's [[shared]] pools).
    #[arg(long = "shared")]
    pub shared: Vec<allot_core::shared::Pool>,
}

/// Arguments of `allot mcp`.
#[derive(Debug, Args, Clone)]
pub struct McpArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Unmapped cost policy.
    #[arg(
        long,
        value_enum,
        default_value = "bucket",
        conflicts_with = "unmapped_to"
    )]
    pub unmapped: UnmappedArg,
    /// Send all unmapped cost to this cost center.
    #[arg(long)]
    pub unmapped_to: Option<String>,
    /// Budgets for the alerts and forecast tools (CSV, XLSX, ODS).
    #[arg(long)]
    pub budgets: Option<PathBuf>,
    /// Budget and invoice amounts use a decimal comma (`1.234,56`).
    #[arg(long)]
    pub decimal_comma: bool,
    /// Rule thresholds for the alerts tool (TOML).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// The invoice the reconcile tool reconciles (CSV, XLSX, XLS, ODS).
    #[arg(long)]
    pub invoice: Option<PathBuf>,
    /// Invoice column-mapping TOML; default `<invoice>.toml` when it exists.
    #[arg(long)]
    pub invoice_columns: Option<PathBuf>,
    /// A reconciled period matches when invoice and API differ by at most this many dollars.
    #[arg(long, default_value = "0.01")]
    pub tolerance: String,
    /// Settlement is judged as of this date (YYYY-MM-DD); default the day of each call (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
}

/// Arguments of `allot explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The month explained, YYYY-MM (or any days with --from and --to).
    #[arg(long, value_parser = parse_month, required_unless_present = "from", conflicts_with_all = ["from", "to"])]
    pub month: Option<Month>,
    /// First day of the period explained, instead of --month (YYYY-MM-DD, or YYYY-MM for its first day).
    #[arg(long, value_parser = parse_from, requires = "to")]
    pub from: Option<NaiveDate>,
    /// Last day of the period explained, inclusive (YYYY-MM-DD, or YYYY-MM for its last day).
    #[arg(long, value_parser = parse_to, requires = "from")]
    pub to: Option<NaiveDate>,
    /// The month to compare with, YYYY-MM (default the period before: the month before --month).
    #[arg(long, value_parser = parse_month, conflicts_with_all = ["against_from", "against_to"])]
    pub against: Option<Month>,
    /// First day of the period compared with (with --against-to); of the same kind as the one explained: as many whole months, or as many days.
    #[arg(long, value_parser = parse_from, requires = "against_to")]
    pub against_from: Option<NaiveDate>,
    /// Last day of the period compared with, inclusive.
    #[arg(long, value_parser = parse_to, requires = "against_from")]
    pub against_to: Option<NaiveDate>,
    #[command(flatten)]
    pub report: ReportFlags,
    /// Only this cost center (or value of the --by column).
    #[arg(long)]
    pub cost_center: Option<String>,
}

impl ExplainArgs {
    /// The period explained and the one it is compared with, when given.
    pub fn periods(&self) -> anyhow::Result<(DateRange, Option<DateRange>)> {
        let span = |from: NaiveDate, to: NaiveDate, flags: &str| {
            DateRange::new(from, to).ok_or_else(|| anyhow::anyhow!("{flags}: {from} is after {to}"))
        };
        let period = match (self.month, self.from, self.to) {
            (Some(month), _, _) => DateRange::month(month),
            (None, Some(from), Some(to)) => span(from, to, "--from/--to")?,
            _ => anyhow::bail!("give --month YYYY-MM, or --from and --to"),
        };
        let against = match (self.against, self.against_from, self.against_to) {
            (Some(month), _, _) => Some(DateRange::month(month)),
            (None, Some(from), Some(to)) => Some(span(from, to, "--against-from/--against-to")?),
            _ => None,
        };
        Ok((period, against))
    }
}

/// What every review takes.
#[derive(Debug, Args, Clone)]
pub struct ReviewArgs {
    #[command(flatten)]
    pub common: ReportArgs,
    /// Activity-fact file (CSV or Parquet); repeat for several.
    #[arg(long = "activity")]
    pub activity: Vec<PathBuf>,
    /// Also print the per-person tables on the terminal (files always have them).
    #[arg(long)]
    pub people: bool,
}

/// Arguments of `allot reconcile`.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("facts").args(["store", "cost"]).required(true).multiple(true))]
pub struct ReconcileArgs {
    /// Invoice lines (CSV, XLSX, XLS, ODS): billing month, description or product, amount, optional line type.
    #[arg(long)]
    pub invoice: PathBuf,
    /// Invoice column-mapping TOML; default `<invoice>.toml` when it exists.
    #[arg(long)]
    pub invoice_columns: Option<PathBuf>,
    /// Cost-fact files the API amounts come from (CSV or Parquet); repeatable.
    #[arg(long = "cost")]
    pub cost: Vec<PathBuf>,
    /// Read per-user and organisation-level cost from this store (`allot sync`) instead of --cost;
    /// the organisation-level cost makes the reconciliation three-way.
    #[arg(long, conflicts_with = "cost")]
    pub store: Option<PathBuf>,
    /// Organisation-level cost-fact files (every cost, attributable to a seat user or not), for the three-way split; repeatable.
    #[arg(long = "org-cost")]
    pub org_cost: Vec<PathBuf>,
    /// The days the fact files are meant to cover (YYYY-MM, or FROM..TO); default from their first to their last fact.
    #[arg(long, value_parser = parse_range, conflicts_with = "store")]
    pub covers: Option<DateRange>,
    /// A period matches when invoice and API differ by at most this many dollars.
    #[arg(long, default_value = "0.01")]
    pub tolerance: String,
    /// Invoice amounts use a decimal comma (`1.234,56`); without it an amount whose separators could be read two ways is an error.
    #[arg(long)]
    pub decimal_comma: bool,
    /// Settlement is judged as of this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Output folder; default reports/reconcile.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Comma-separated formats: table, csv, json, xlsx, html, parquet (not focus: an invoice comparison has no cost rows).
    #[arg(long, default_value = "table,csv,json", value_delimiter = ',', value_parser = parse_reconcile_format)]
    pub format: Vec<allot_report::Format>,
}

/// Arguments of `allot close`.
#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The month to close, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: Month,
    #[command(flatten)]
    pub facts: FactArgs,
    /// Organisation-level cost-fact files, for the three-way reconciliation; repeatable.
    #[arg(long = "org-cost")]
    pub org_cost: Vec<PathBuf>,
    /// Activity-fact files, for the efficiency review; repeatable.
    #[arg(long = "activity")]
    pub activity: Vec<PathBuf>,
    /// The invoice to reconcile.
    #[arg(long)]
    pub invoice: PathBuf,
    /// Invoice column-mapping TOML; default `<invoice>.toml` when it exists.
    #[arg(long)]
    pub invoice_columns: Option<PathBuf>,
    /// Reconciliation tolerance in dollars.
    #[arg(long, default_value = "0.01")]
    pub tolerance: String,
    /// Invoice amounts use a decimal comma (`1.234,56`).
    #[arg(long)]
    pub decimal_comma: bool,
    /// Settlement is judged as of this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Close a month that is not settled yet; every output then says provisional.
    #[arg(long)]
    pub provisional: bool,
    /// Close even though the reconciliation shows a variance, recording this reason in the manifest.
    #[arg(long, value_name = "REASON")]
    pub accept_variance: Option<String>,
    /// Folder of closes; each month gets DIR/MONTH/v1, v2...
    #[arg(long, default_value = "reports/close")]
    pub dir: PathBuf,
}

/// Whether `allot efficiency` reports teams or people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RowsPer {
    /// One row per team (cost center or `--by` level).
    Team,
    /// One row per person and team.
    Person,
}

/// Arguments of `allot efficiency`.
#[derive(Debug, Args)]
pub struct EfficiencyArgs {
    #[command(flatten)]
    pub review: ReviewArgs,
    /// Rows per team or per person.
    #[arg(long, value_enum, default_value = "team")]
    pub per: RowsPer,
}

/// Arguments of `allot top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    #[command(flatten)]
    pub review: ReviewArgs,
    /// How many people (at least 1).
    #[arg(long, default_value_t = 15, value_parser = clap::value_parser!(u64).range(1..))]
    pub n: u64,
}

/// Arguments of `allot context`.
#[derive(Debug, Args)]
pub struct ContextArgs {
    #[command(flatten)]
    pub review: ReviewArgs,
    /// Flag people with more than this percent of their tokens in the 200K-1M window (0-100).
    #[arg(long, default_value_t = 25, value_parser = clap::value_parser!(i64).range(0..=100), allow_negative_numbers = true)]
    pub threshold: i64,
}

/// Arguments of `allot trend`.
#[derive(Debug, Args)]
pub struct TrendArgs {
    /// First day (YYYY-MM-DD, or YYYY-MM for its first day).
    #[arg(long, value_parser = parse_from)]
    pub from: NaiveDate,
    /// Last day, inclusive (YYYY-MM-DD, or YYYY-MM for its last day).
    #[arg(long, value_parser = parse_to)]
    pub to: NaiveDate,
    /// Period length: day, week (ISO, Monday first) or month.
    #[arg(long, default_value = "month", value_parser = parse_per)]
    pub per: Per,
    #[command(flatten)]
    pub facts: FactArgs,
    /// Group by this mapping column, or by a fact dimension: product, model or context_window (default cost_center).
    #[arg(long)]
    pub by: Option<String>,
    /// Unmapped cost policy.
    #[arg(
        long,
        value_enum,
        default_value = "bucket",
        conflicts_with = "unmapped_to"
    )]
    pub unmapped: UnmappedArg,
    /// Send all unmapped cost to this cost center.
    #[arg(long)]
    pub unmapped_to: Option<String>,
    /// Settlement is judged as of this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Output folder; default reports/trend.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Comma-separated formats: table, csv, json, xlsx, html, parquet.
    #[arg(long, default_value = "table,csv,json", value_delimiter = ',', value_parser = parse_reconcile_format)]
    pub format: Vec<allot_report::Format>,
}

/// The org mapping and where facts come from: the store, or cost and activity files.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    #[command(flatten)]
    pub facts: FactArgs,
    /// Activity-fact file (CSV or Parquet): date, email and any per-surface counts; repeat for several.
    #[arg(long = "activity")]
    pub activity: Vec<PathBuf>,
}

/// The org mapping and where a period's facts come from, the same in every command that
/// reads a period: `--store` (and cloud bills in FOCUS beside it), or fact files.
#[derive(Debug, Args, Clone)]
#[command(group = clap::ArgGroup::new("facts").args(["store", "cost"]).required(true).multiple(true))]
pub struct FactArgs {
    /// Org mapping (CSV, XLSX, XLS, ODS): email, cost center, optional effective dates, any attribute columns.
    #[arg(long)]
    pub mapping: PathBuf,
    #[command(flatten)]
    pub read: MappingReadArgs,
    /// Cost-fact file (CSV or Parquet), or a cloud bill in FOCUS (also beside --store); repeat for several.
    #[arg(long = "cost")]
    pub cost: Vec<PathBuf>,
    #[command(flatten)]
    pub focus: FocusArgs,
    /// Read the facts (and the engagement summaries) from this store (`allot sync`); --cost then takes only cloud bills in FOCUS.
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// The days the fact files are meant to cover (YYYY-MM, or FROM..TO); default from their first to their last fact. A period with days outside it is `incomplete`.
    #[arg(long, value_parser = parse_range, conflicts_with = "store")]
    pub covers: Option<DateRange>,
}

/// Where the weekly run's facts come from, and how it reads the org, budgets and rules.
#[derive(Debug, Args)]
pub struct WatchArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Budgets (CSV, XLSX, ODS): cost_center (or a hierarchy column), month (YYYY-MM, empty for every month), budget_usd.
    #[arg(long)]
    pub budgets: Option<PathBuf>,
    /// Budget amounts use a decimal comma (`1.234,56`).
    #[arg(long)]
    pub decimal_comma: bool,
    /// Rule thresholds (TOML); every key optional, unknown keys are errors.
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Settlement and the recent window are judged as of this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Comma-separated formats: table, csv, json, xlsx, html, parquet.
    #[arg(long, default_value = "table,csv,json", value_delimiter = ',', value_parser = parse_reconcile_format)]
    pub format: Vec<allot_report::Format>,
}

/// Arguments of `allot alerts`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Post the new alerts to this webhook (Slack-compatible JSON); the URL is a secret and never printed.
    #[arg(long, env = crate::env::NOTIFY_URL, hide_env_values = true)]
    pub notify: Option<String>,
    /// Read the webhook URL from this file (e.g. a systemd credential), so it is never on a command line.
    #[arg(long, conflicts_with = "notify")]
    pub notify_file: Option<PathBuf>,
    /// Exit 3 when an alert at or above this severity fires.
    #[arg(long, default_value = "warning", value_parser = parse_severity)]
    pub fail_on: allot_core::results::Severity,
    /// Send only alerts at or above this severity.
    #[arg(long, default_value = "info", value_parser = parse_severity)]
    pub notify_min: allot_core::results::Severity,
    /// Where sent alerts are remembered when there is no --store (a JSON file).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Output folder; default reports/alerts.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// First webhook retry's backoff in milliseconds (doubled each retry).
    #[arg(long, default_value_t = 500, hide = true)]
    pub notify_backoff_ms: u64,
}

/// Arguments of `allot serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The store to read (`allot sync` or `allot demo` made it); never written to.
    #[arg(long)]
    pub store: PathBuf,
    /// Cloud bills in FOCUS (Amazon Bedrock, Google Vertex AI...) to charge back beside the store's cost; repeatable.
    #[arg(long = "cost")]
    pub cost: Vec<PathBuf>,
    #[command(flatten)]
    pub focus: FocusArgs,
    /// Org mapping (CSV, XLSX, XLS, ODS): email, cost center, optional effective dates, any attribute columns.
    #[arg(long)]
    pub mapping: PathBuf,
    #[command(flatten)]
    pub read: MappingReadArgs,
    /// Port to listen on (0: any free port; the URL printed says which).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on; anything but a loopback address needs --token.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: std::net::IpAddr,
    /// Another host name the dashboard answers to (e.g. the name behind a proxy); repeatable. Requests for any other Host are refused (421), against DNS rebinding.
    #[arg(long = "host")]
    pub hosts: Vec<String>,
    /// `/healthz` answers 503 when the last sync is older than this many hours.
    #[arg(long, default_value_t = 36)]
    pub stale_after_hours: u64,
    /// Browsers reach the dashboard over HTTPS (through a proxy): session cookies are marked Secure (also when a request says `X-Forwarded-Proto: https`).
    #[arg(long)]
    pub behind_https: bool,
    /// Every request must carry this token (Authorization: Bearer, or the cookie the printed one-time link sets); at least 16 characters; never printed.
    #[arg(long, env = crate::env::SERVE_TOKEN, hide_env_values = true)]
    pub token: Option<String>,
    /// Read the token from this file (e.g. a systemd credential), so it is never on a command line.
    #[arg(long, conflicts_with = "token")]
    pub token_file: Option<PathBuf>,
    /// Budgets (CSV, XLSX, ODS) for the overview's forecast and the budget alerts.
    #[arg(long)]
    pub budgets: Option<PathBuf>,
    /// Budget amounts use a decimal comma (`1.234,56`).
    #[arg(long)]
    pub decimal_comma: bool,
    /// Alert rule thresholds (TOML).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Invoices to reconcile on the reconciliation page; repeatable.
    #[arg(long)]
    pub invoice: Vec<PathBuf>,
    /// Settlement is judged as of this date (YYYY-MM-DD); default today (UTC), following the calendar while it runs.
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Unmapped cost policy.
    #[arg(
        long,
        value_enum,
        default_value = "bucket",
        conflicts_with = "unmapped_to"
    )]
    pub unmapped: UnmappedArg,
    /// Charge every uncovered cost to this cost center.
    #[arg(long)]
    pub unmapped_to: Option<String>,
}

/// Arguments of `allot forecast`.
#[derive(Debug, Args)]
pub struct ForecastArgs {
    /// The month, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: Month,
    #[command(flatten)]
    pub watch: WatchArgs,
    /// Forecast per this mapping column; default the budgets' level, else cost_center.
    #[arg(long)]
    pub by: Option<String>,
    /// Output folder; default reports/<month>.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Arguments of `allot adoption`.
#[derive(Debug, Args)]
pub struct AdoptionArgs {
    /// The month, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: Month,
    #[command(flatten)]
    pub input: InputArgs,
    /// Group by this mapping column (e.g. department) instead of cost_center.
    #[arg(long)]
    pub by: Option<String>,
    /// A seat is idle with no cost and no activity in this many days up to the month's end (or the as-of date); default the month.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=366))]
    pub inactive_days: Option<u32>,
    /// Unmapped cost policy.
    #[arg(
        long,
        value_enum,
        default_value = "bucket",
        conflicts_with = "unmapped_to"
    )]
    pub unmapped: UnmappedArg,
    /// Send all unmapped cost to this cost center.
    #[arg(long)]
    pub unmapped_to: Option<String>,
    /// Settlement and the headcount day are judged as of this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Output folder; default reports/<month>.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Comma-separated formats: table, csv, json, xlsx, html, parquet.
    #[arg(long, default_value = "table,csv,json", value_delimiter = ',', value_parser = parse_reconcile_format)]
    pub format: Vec<allot_report::Format>,
}

/// Arguments of `allot sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// First day to sync (YYYY-MM-DD); default the first day of the month before last.
    #[arg(long, value_parser = parse_day)]
    pub from: Option<NaiveDate>,
    /// Last day to sync (YYYY-MM-DD); default yesterday.
    #[arg(long, value_parser = parse_day)]
    pub to: Option<NaiveDate>,
    /// The store folder.
    #[arg(long, default_value = "allot-data")]
    pub store: PathBuf,
    /// API base URL (e.g. the fake's http://127.0.0.1:PORT).
    #[arg(long, env = crate::env::BASE_URL, default_value = allot_sync::client::ANTHROPIC_BASE_URL)]
    pub base_url: String,
    /// File with the keys (NAME=KEY lines or bare keys); must be readable by you only. Env vars ANTHROPIC_ANALYTICS_API_KEY and ANTHROPIC_ADMIN_API_KEY win.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Fetch settled days again too.
    #[arg(long)]
    pub refresh: bool,
    /// Days are settled against this date (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub as_of: Option<NaiveDate>,
    /// Requests per minute across the whole API.
    #[arg(long, default_value_t = 60)]
    pub rate: u32,
    /// Days before engagement data of a day is available.
    #[arg(long, default_value_t = 1)]
    pub engagement_lag: i64,
    /// Per-day requests in flight at once (they share the rate limit).
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Wait for another sync of the same store to finish instead of refusing.
    #[arg(long)]
    pub wait: bool,
    /// First retry's backoff in milliseconds (doubled on each retry, with jitter, capped at 60 s).
    #[arg(long, default_value_t = 500)]
    pub backoff_ms: u64,
    /// Sync nothing: make one request per endpoint with the keys given and say which answer, which key each wants, and whether the answers have the shape allot reads (exit 1 on a problem).
    #[arg(long)]
    pub check: bool,
    /// First check every stored day as `allot store verify` does, and fetch again the days whose file is missing or damaged (the range widens to reach them).
    #[arg(long, conflicts_with = "check")]
    pub repair: bool,
    /// Where the organisation's cost comes from.
    #[arg(long, value_enum, default_value_t = CostApiArg::Auto)]
    pub cost_api: CostApiArg,
}

/// Which API `allot sync` reads the organisation's cost from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CostApiArg {
    /// The Usage and Cost Analytics API when the key may call it, else the Enterprise reports.
    Auto,
    /// The Usage and Cost Analytics API only: every cost by actor, API key and workspace.
    Analytics,
    /// The Enterprise per-user and organisation reports (legacy): seat users per person, the rest as one total.
    Legacy,
}

impl From<CostApiArg> for allot_sync::CostApi {
    fn from(a: CostApiArg) -> allot_sync::CostApi {
        match a {
            CostApiArg::Auto => allot_sync::CostApi::Auto,
            CostApiArg::Analytics => allot_sync::CostApi::Analytics,
            CostApiArg::Legacy => allot_sync::CostApi::Legacy,
        }
    }
}

/// The Analytics API key `allot fake-api` accepts by default (a fake's key: not a secret).
pub const FAKE_KEY: &str = "sk-ant-fake-analytics";

/// Arguments of `allot fake-api`.
#[derive(Debug, Args)]
pub struct FakeApiArgs {
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 8787)]
    pub port: u16,
    /// The Analytics API key the fake accepts.
    #[arg(long, default_value = FAKE_KEY, hide_default_value = true)]
    pub key: String,
    /// The fake's today (YYYY-MM-DD); default today (UTC).
    #[arg(long, value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Requests per minute before it answers 429.
    #[arg(long, default_value_t = 60)]
    pub rate: u32,
    /// Inject a mix of every fault (503s, expired cursors, dropped connections, cut bodies).
    #[arg(long)]
    pub faults: bool,
    /// Answer as an API that changed would (renamed fields), to try `allot sync --check`.
    #[arg(long)]
    pub drift: bool,
    /// Revise recent (unsettled) values this many times, as Anthropic does for 30 days.
    #[arg(long, default_value_t = 0)]
    pub revisions: u32,
    /// Revise only this day (repeatable; default every day less than 30 days old).
    #[arg(long = "revise-day", value_name = "DATE")]
    pub revise_days: Vec<NaiveDate>,
    /// Serve a generated organisation of this many people instead of the demo's (as
    /// `allot bench` does), to measure a sync of a large organisation in its own process.
    #[arg(long)]
    pub people: Option<u64>,
    /// Plant the events `allot demo` plants in the weeks before the fake's today (a team
    /// ramping up past its budget, a new heavy spender, a move into the long context window),
    /// so alerts on a store synced from it fire as the examples show. They are anchored on
    /// today: a fake restarted on a later day moves them, and a sync then sees restatements.
    #[arg(long, conflicts_with = "people")]
    pub events: bool,
    /// List API key ID under NAME in the Admin API's listing (a renamed key; two keys given one
    /// name make the name ambiguous); repeatable.
    #[arg(long = "rename-key", value_name = "ID=NAME", value_parser = parse_rename)]
    pub rename_keys: Vec<(String, String)>,
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
    /// A year instead of a month: twelve monthly Parquet files ending with --month, and
    /// `allot trend --per month` over them beside the peers summing per month and cost center.
    #[arg(long)]
    pub year: bool,
    /// Measure the sync instead: requests `allot sync` makes for --month of a --sync-people
    /// organisation against the fewest possible, the daily runs after it, minutes at 60 a
    /// minute and the sync's peak memory (the fake API in its own process, making its answers
    /// a day at a time).
    #[arg(long)]
    pub sync: bool,
    /// People in the organisation of --sync.
    #[arg(long, default_value_t = 5_000)]
    pub sync_people: u64,
    /// Time the dashboard instead: every kind of page of `allot serve`, first built and then
    /// cached, on the demo store and on --month of a --people organisation synced into a store.
    #[arg(long, conflicts_with_all = ["sync", "year"])]
    pub serve: bool,
    /// Time every command (chargeback, the reviews, trend, alerts, forecast, adoption, explain,
    /// reconcile) on a store of --month and the month before for each organisation size of
    /// --scale-people, each in its own process, and print how time and peak memory grow per
    /// doubling of the people.
    #[arg(long, conflicts_with_all = ["sync", "year", "serve"])]
    pub scale: bool,
    /// The organisation sizes of --scale, comma-separated, smallest first.
    #[arg(long, value_delimiter = ',', default_value = "20000,100000")]
    pub scale_people: Vec<u64>,
    /// Years of history of --scale, comma-separated (e.g. 1,3): a store of each length at the
    /// smallest --scale-people size, and how the commands grow with the history. None: no
    /// history stores.
    #[arg(long, value_delimiter = ',')]
    pub scale_years: Vec<u32>,
    /// Runs of each command of --scale (the best is kept).
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
}

fn parse_focus_version(s: &str) -> Result<String, String> {
    match s {
        "1.2" => Ok(s.to_string()),
        _ => Err(format!(
            "FOCUS {s} is not written: allot writes FOCUS 1.2, which the FinOps Foundation's current validator checks (its 1.0.0 release checks pre-release column names)"
        )),
    }
}

fn parse_rename(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(id, name)| (id.trim().to_string(), name.trim().to_string()))
        .filter(|(id, name)| !id.is_empty() && !name.is_empty())
        .ok_or_else(|| format!("`{s}` is not ID=NAME"))
}

fn parse_range(s: &str) -> Result<DateRange, String> {
    s.parse::<DateRange>().map_err(|e| e.to_string())
}

fn parse_from(s: &str) -> Result<NaiveDate, String> {
    parse_range(s).map(|r| r.from)
}

fn parse_to(s: &str) -> Result<NaiveDate, String> {
    parse_range(s).map(|r| r.to)
}

fn parse_per(s: &str) -> Result<Per, String> {
    s.parse::<Per>()
}

fn parse_reconcile_format(s: &str) -> Result<allot_report::Format, String> {
    match s.parse::<allot_report::Format>()? {
        allot_report::Format::Focus => Err(
            "focus is written by the commands that charge cost back (chargeback and the reviews), not by this one".into(),
        ),
        f => Ok(f),
    }
}

fn parse_month(s: &str) -> Result<Month, String> {
    s.parse::<Month>().map_err(|e| e.to_string())
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    allot_core::date::parse_date(s)
        .ok_or_else(|| format!("`{s}` is not a date: expected YYYY-MM-DD"))
}

/// A severity word: info, warning or critical.
fn parse_severity(s: &str) -> Result<allot_core::results::Severity, String> {
    s.parse()
}

/// Arguments of `allot init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The file to write.
    #[arg(long, default_value = crate::config::FILE_NAME)]
    pub path: PathBuf,
    /// The store folder (default allot-data).
    #[arg(long)]
    pub store: Option<PathBuf>,
    /// The org mapping (default org.csv).
    #[arg(long)]
    pub mapping: Option<PathBuf>,
    /// Cloud bills in FOCUS charged back beside the store; repeatable.
    #[arg(long = "cost")]
    pub cost: Vec<PathBuf>,
    /// Budgets file.
    #[arg(long)]
    pub budgets: Option<PathBuf>,
    /// Output folder of the reports (default reports).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// The API's base URL (default Anthropic's).
    #[arg(long)]
    pub base_url: Option<String>,
    /// The keys' file (NAME=KEY lines), readable by its owner only; default: the environment variables.
    #[arg(long)]
    pub key_file: Option<PathBuf>,
    /// Try it on `allot fake-api`: point the sync at http://127.0.0.1:8787 with the fake's keys (written to `keys`, mode 600) and write the demo organisation's mapping and budgets beside the file.
    #[arg(long)]
    pub fake: bool,
    /// Ask nothing: take the flags and the defaults (also when standard input is not a terminal).
    #[arg(long, short)]
    pub yes: bool,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// Arguments of `allot completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
