//! `allot.toml`: the one settings file of an installation. Found with `--config FILE`, else
//! `ALLOT_CONFIG`, else `allot.toml` in the working directory. Its settings become the
//! defaults of the flags they name (a flag given on the command line always wins), relative
//! paths are relative to the file, unknown keys are errors (a typo is never silently
//! ignored), and secrets are only ever named by reference: a file or an environment variable.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use allot_core::shared::{parse_cents, Policy, Pool};
use anyhow::Context;
use clap::ArgMatches;
use serde::Deserialize;

/// The file looked for in the working directory.
pub const FILE_NAME: &str = "allot.toml";

/// The whole settings file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The store `allot sync` writes and every report reads (`--store`).
    pub store: Option<PathBuf>,
    /// The org mapping (`--mapping`).
    pub mapping: Option<PathBuf>,
    /// The mapping workbook's sheet (`--sheet`).
    pub mapping_sheet: Option<String>,
    /// The mapping's column-mapping TOML (`--columns`).
    pub mapping_columns: Option<PathBuf>,
    /// Fact files, or cloud bills in FOCUS beside a store (`--cost`, repeated).
    #[serde(default)]
    pub cost: Vec<PathBuf>,
    /// Activity-fact files (`--activity`, repeated).
    #[serde(default)]
    pub activity: Vec<PathBuf>,
    /// Budgets (`--budgets`).
    pub budgets: Option<PathBuf>,
    /// Alert rule thresholds (`--rules`).
    pub rules: Option<PathBuf>,
    /// An invoice, or a folder of them, reconciled on the dashboard (`serve --invoice`).
    pub invoices: Option<PathBuf>,
    /// The folder every report's default output folder is in (`reports` when unset).
    pub out: Option<PathBuf>,
    /// Amounts in budgets and invoices use a decimal comma (`--decimal-comma`).
    pub decimal_comma: Option<bool>,
    /// Send all unmapped cost to this cost center (`--unmapped-to`).
    pub unmapped_to: Option<String>,
    /// Replace every email in every output with a pseudonym (`--pseudonymize`).
    pub pseudonymize: Option<bool>,
    /// The pseudonym key's file (`--pseudonym-key-file`).
    pub pseudonym_key_file: Option<PathBuf>,
    /// How cloud bills in FOCUS are read.
    #[serde(default)]
    pub focus: FocusSection,
    /// `allot sync`.
    #[serde(default)]
    pub sync: SyncSection,
    /// `allot alerts`.
    #[serde(default)]
    pub alerts: AlertsSection,
    /// `allot serve`.
    #[serde(default)]
    pub serve: ServeSection,
    /// Shared cost pools split across cost centers (`allot chargeback`).
    #[serde(default)]
    pub shared: Vec<SharedPool>,
}

/// `[focus]`: how cloud bills are read.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FocusSection {
    /// `BilledCost` or `EffectiveCost` (`--focus-cost`).
    pub cost: Option<String>,
    /// The tag naming the cost center (`--focus-tag`).
    pub tag: Option<String>,
    /// More rows kept as Claude usage (`--focus-filter`, repeated).
    #[serde(default)]
    pub filter: Vec<String>,
}

/// `[sync]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSection {
    /// The API's base URL (`--base-url`).
    pub base_url: Option<String>,
    /// The keys' file (`--key-file`), readable by its owner only.
    pub key_file: Option<PathBuf>,
    /// Requests per minute (`--rate`).
    pub rate: Option<u32>,
    /// `auto`, `analytics` or `legacy` (`--cost-api`).
    pub cost_api: Option<String>,
    /// Requests in flight at once (`--concurrency`).
    pub concurrency: Option<usize>,
}

/// `[alerts]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsSection {
    /// The file holding the webhook URL (`--notify-file`); `ALLOT_NOTIFY_URL` wins over it.
    pub notify_url_file: Option<PathBuf>,
    /// `--fail-on`.
    pub fail_on: Option<String>,
    /// `--notify-min`.
    pub notify_min: Option<String>,
}

/// `[serve]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSection {
    /// `--bind`.
    pub bind: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// More host names the dashboard answers to (`--host`, repeated).
    #[serde(default)]
    pub hosts: Vec<String>,
    /// The file holding the token (`--token-file`); `ALLOT_SERVE_TOKEN` wins over it.
    pub token_file: Option<PathBuf>,
    /// `--behind-https`.
    pub behind_https: Option<bool>,
    /// `--stale-after-hours`.
    pub stale_after_hours: Option<u64>,
}

/// `[[shared]]`: one pool.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedPool {
    /// What the pool is.
    pub name: String,
    /// Its amount in dollars, as text (`"1500.00"`) so it is exact.
    pub amount_usd: String,
    /// `proportional` (default), `per-user` or `cost-center:CC`.
    #[serde(default)]
    pub policy: String,
}

/// Keys that would put a secret in the file, with the key that names it by reference instead.
const SECRETS: &[(&str, &str)] = &[
    ("token", "[serve] token_file (or ALLOT_SERVE_TOKEN)"),
    ("notify", "[alerts] notify_url_file (or ALLOT_NOTIFY_URL)"),
    (
        "notify_url",
        "[alerts] notify_url_file (or ALLOT_NOTIFY_URL)",
    ),
    ("webhook", "[alerts] notify_url_file (or ALLOT_NOTIFY_URL)"),
    (
        "key",
        "[sync] key_file (or ANTHROPIC_ANALYTICS_API_KEY and ANTHROPIC_ADMIN_API_KEY)",
    ),
    (
        "api_key",
        "[sync] key_file (or ANTHROPIC_ANALYTICS_API_KEY and ANTHROPIC_ADMIN_API_KEY)",
    ),
    ("admin_key", "[sync] key_file (or ANTHROPIC_ADMIN_API_KEY)"),
    (
        "analytics_key",
        "[sync] key_file (or ANTHROPIC_ANALYTICS_API_KEY)",
    ),
    (
        "pseudonym_key",
        "pseudonym_key_file (or ALLOT_PSEUDONYM_KEY)",
    ),
];

/// A setting's scope: every command with the flag.
const ANY: &[&str] = &[];

impl Config {
    /// Reads a settings file; relative paths in it become relative to its folder.
    pub fn read(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let invalid = || format!("`{}` is not a valid allot settings file", path.display());
        let table: toml::Table = toml::from_str(&text).with_context(invalid)?;
        let sections = std::iter::once(&table).chain(table.values().filter_map(|v| v.as_table()));
        for section in sections {
            if let Some((key, instead)) = SECRETS.iter().find(|(k, _)| section.contains_key(*k)) {
                anyhow::bail!(
                    "`{}` holds `{key}`: allot.toml never holds a secret (it is read by every command and shown by `allot config`); put it in a file readable by allot only and name it with {instead}",
                    path.display()
                );
            }
        }
        let mut config: Config = toml::from_str(&text).with_context(invalid)?;
        config.resolve(path.parent().unwrap_or(Path::new("")));
        Ok(config)
    }

    /// Makes every relative path relative to `dir`, the settings file's folder.
    fn resolve(&mut self, dir: &Path) {
        let at = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = dir.join(&*p);
            }
        };
        for p in [
            &mut self.store,
            &mut self.mapping,
            &mut self.mapping_columns,
            &mut self.budgets,
            &mut self.rules,
            &mut self.invoices,
            &mut self.out,
            &mut self.pseudonym_key_file,
            &mut self.sync.key_file,
            &mut self.alerts.notify_url_file,
            &mut self.serve.token_file,
        ]
        .into_iter()
        .flatten()
        {
            at(p);
        }
        self.cost.iter_mut().for_each(at);
        self.activity.iter_mut().for_each(at);
    }

    /// The pools, parsed.
    pub fn pools(&self) -> anyhow::Result<Vec<Pool>> {
        self.shared
            .iter()
            .map(|p| {
                let policy: Policy = p.policy.parse().map_err(anyhow::Error::msg)?;
                let cents = parse_cents(&p.amount_usd).map_err(anyhow::Error::msg)?;
                Ok(Pool {
                    name: p.name.clone(),
                    cents,
                    policy,
                })
            })
            .collect::<anyhow::Result<_>>()
            .context("in [[shared]]")
    }

    /// The flag defaults this file sets, in the order `allot config` shows them.
    pub fn defaults(&self) -> anyhow::Result<Vec<Setting>> {
        let mut defaults = Defaults::default();
        self.input_defaults(&mut defaults);
        self.service_defaults(&mut defaults);
        if let Some(out_dir) = &self.out {
            defaults.one(
                "out",
                &["close"],
                "dir",
                Some(path_text(out_dir.join("close"))),
            );
            defaults.one(
                "out",
                &["demo"],
                "out",
                Some(path_text(out_dir.join("demo"))),
            );
        }
        defaults.many(
            "cost",
            ANY,
            "cost",
            self.cost.iter().map(path_text).collect(),
        );
        defaults.many(
            "activity",
            ANY,
            "activity",
            self.activity.iter().map(path_text).collect(),
        );
        defaults.many("focus.filter", ANY, "filter", self.focus.filter.clone());
        defaults.many("serve.hosts", &["serve"], "hosts", self.serve.hosts.clone());
        if let Some(inv) = &self.invoices {
            defaults.many(
                "invoices",
                &["serve"],
                "invoice",
                invoice_files(inv)?.iter().map(path_text).collect(),
            );
        }
        Ok(defaults.settings)
    }

    /// The settings of what a run reads and how it reports.
    fn input_defaults(&self, defaults: &mut Defaults) {
        defaults.one("store", ANY, "store", self.store.as_ref().map(path_text));
        defaults.one(
            "mapping",
            ANY,
            "mapping",
            self.mapping.as_ref().map(path_text),
        );
        defaults.one(
            "mapping",
            &["check"],
            "file",
            self.mapping.as_ref().map(path_text),
        );
        defaults.one("mapping_sheet", ANY, "sheet", self.mapping_sheet.clone());
        defaults.one(
            "mapping_columns",
            ANY,
            "columns",
            self.mapping_columns.as_ref().map(path_text),
        );
        defaults.one(
            "budgets",
            ANY,
            "budgets",
            self.budgets.as_ref().map(path_text),
        );
        defaults.one("rules", ANY, "rules", self.rules.as_ref().map(path_text));
        defaults.one(
            "decimal_comma",
            ANY,
            "decimal_comma",
            self.decimal_comma.map(|b| b.to_string()),
        );
        defaults.one("unmapped_to", ANY, "unmapped_to", self.unmapped_to.clone());
        defaults.one(
            "pseudonymize",
            ANY,
            "pseudonymize",
            self.pseudonymize.map(|b| b.to_string()),
        );
        defaults.one(
            "pseudonym_key_file",
            ANY,
            "pseudonym_key_file",
            self.pseudonym_key_file.as_ref().map(path_text),
        );
        defaults.one("focus.cost", ANY, "amount", self.focus.cost.clone());
        defaults.one("focus.tag", ANY, "tag", self.focus.tag.clone());
    }

    /// The settings of the commands that run as a service: `[sync]`, `[alerts]`, `[serve]`.
    fn service_defaults(&self, defaults: &mut Defaults) {
        defaults.one(
            "sync.base_url",
            &["sync"],
            "base_url",
            self.sync.base_url.clone(),
        );
        defaults.one(
            "sync.key_file",
            &["sync"],
            "key_file",
            self.sync.key_file.as_ref().map(path_text),
        );
        defaults.one(
            "sync.rate",
            &["sync"],
            "rate",
            self.sync.rate.map(|r| r.to_string()),
        );
        defaults.one(
            "sync.cost_api",
            &["sync"],
            "cost_api",
            self.sync.cost_api.clone(),
        );
        defaults.one(
            "sync.concurrency",
            &["sync"],
            "concurrency",
            self.sync.concurrency.map(|r| r.to_string()),
        );
        defaults.one(
            "alerts.notify_url_file",
            &["alerts"],
            "notify_file",
            self.alerts.notify_url_file.as_ref().map(path_text),
        );
        defaults.one(
            "alerts.fail_on",
            &["alerts"],
            "fail_on",
            self.alerts.fail_on.clone(),
        );
        defaults.one(
            "alerts.notify_min",
            &["alerts"],
            "notify_min",
            self.alerts.notify_min.clone(),
        );
        defaults.one("serve.bind", &["serve"], "bind", self.serve.bind.clone());
        defaults.one(
            "serve.port",
            &["serve"],
            "port",
            self.serve.port.map(|p| p.to_string()),
        );
        defaults.one(
            "serve.token_file",
            &["serve"],
            "token_file",
            self.serve.token_file.as_ref().map(path_text),
        );
        defaults.one(
            "serve.behind_https",
            &["serve"],
            "behind_https",
            self.serve.behind_https.map(|b| b.to_string()),
        );
        defaults.one(
            "serve.stale_after_hours",
            &["serve"],
            "stale_after_hours",
            self.serve.stale_after_hours.map(|h| h.to_string()),
        );
    }
}

/// A path as a flag's value.
fn path_text(path: impl AsRef<Path>) -> String {
    path.as_ref().to_string_lossy().into_owned()
}

/// The settings gathered so far, in order.
#[derive(Default)]
struct Defaults {
    settings: Vec<Setting>,
}

impl Defaults {
    /// A setting of one value, when the file sets it.
    fn one(
        &mut self,
        key: &'static str,
        scope: &'static [&'static str],
        arg: &'static str,
        value: Option<String>,
    ) {
        if let Some(value) = value {
            self.settings.push(Setting {
                key,
                scope,
                arg,
                values: vec![value],
            });
        }
    }

    /// A setting of several values, when the file sets any.
    fn many(
        &mut self,
        key: &'static str,
        scope: &'static [&'static str],
        arg: &'static str,
        values: Vec<String>,
    ) {
        if !values.is_empty() {
            self.settings.push(Setting {
                key,
                scope,
                arg,
                values,
            });
        }
    }
}

/// An invoice, or the invoice files of a folder (CSV and workbooks, by name).
fn invoice_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot read the invoices folder `{}`", path.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["csv", "xlsx", "xls", "ods"].contains(&e.to_ascii_lowercase().as_str())
            })
        })
        .collect();
    files.sort();
    Ok(files)
}

/// One flag default the settings file sets.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Its key in the file (`sync.key_file`).
    pub key: &'static str,
    /// The commands whose flag it sets (by their own name); empty: every command with the flag.
    pub scope: &'static [&'static str],
    /// The flag's id.
    pub arg: &'static str,
    /// Its values.
    pub values: Vec<String>,
}

/// How the settings file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// `--config FILE`.
    Flag,
    /// The `ALLOT_CONFIG` variable.
    Env,
    /// `allot.toml` in the working directory.
    WorkingDirectory,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Found::Flag => "--config",
            Found::Env => crate::env::CONFIG,
            Found::WorkingDirectory => "the working directory",
        })
    }
}

/// The settings file of this run.
#[derive(Debug)]
pub struct Loaded {
    /// Its path.
    pub path: PathBuf,
    /// How it was found.
    pub found: Found,
    /// Its settings.
    pub config: Config,
    /// The flag defaults it sets.
    pub settings: Vec<Setting>,
    /// The flags of the command run whose value came from it.
    pub used: Vec<&'static str>,
}

static LOADED: OnceLock<Loaded> = OnceLock::new();

/// The settings file named by `--config` in `argv`, `ALLOT_CONFIG`, or `allot.toml` in the
/// working directory (None: there is none).
pub fn locate(argv: &[OsString]) -> Option<(PathBuf, Found)> {
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        if a == "--" {
            break;
        }
        if a == "--config" {
            return args.next().map(|p| (PathBuf::from(p), Found::Flag));
        }
        if let Some(p) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some((PathBuf::from(p), Found::Flag));
        }
    }
    if let Some(p) = std::env::var_os(crate::env::CONFIG).filter(|p| !p.is_empty()) {
        return Some((PathBuf::from(p), Found::Env));
    }
    let here = PathBuf::from(FILE_NAME);
    here.is_file().then_some((here, Found::WorkingDirectory))
}

/// Reads the settings file found.
pub fn load(path: &Path, found: Found) -> anyhow::Result<Loaded> {
    let config = Config::read(path)?;
    let settings = config
        .defaults()
        .with_context(|| format!("in `{}`", path.display()))?;
    Ok(Loaded {
        path: path.to_path_buf(),
        found,
        config,
        settings,
        used: Vec::new(),
    })
}

/// The commands a settings file never sets flags of: they write or show it, or print the
/// CLI's own description.
const UNSET: &[&str] = &["init", "config", "completions", "man", "bench", "fake-api"];

/// The CLI with the settings file's values as the defaults of the flags they name.
pub fn apply(cmd: clap::Command, loaded: &Loaded) -> clap::Command {
    let cmd = set_args(cmd, &loaded.settings, true);
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names.into_iter().fold(cmd, |cmd, name| {
        cmd.mut_subcommand(name, |sub| apply_sub(sub, &loaded.settings))
    })
}

fn apply_sub(sub: clap::Command, settings: &[Setting]) -> clap::Command {
    if UNSET.contains(&sub.get_name()) {
        return sub;
    }
    let sub = set_args(sub, settings, false);
    let names: Vec<String> = sub
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    names.into_iter().fold(sub, |sub, name| {
        sub.mut_subcommand(name, |s| apply_sub(s, settings))
    })
}

/// Sets the defaults of one command's own flags (the root's: its global flags only).
fn set_args(mut cmd: clap::Command, settings: &[Setting], root: bool) -> clap::Command {
    let name = cmd.get_name().to_string();
    for s in settings {
        let in_scope = if root {
            s.scope.is_empty()
        } else {
            s.scope.is_empty() || s.scope.contains(&name.as_str())
        };
        let has = cmd
            .get_arguments()
            .any(|a| a.get_id() == s.arg && (a.is_global_set() == root));
        if !in_scope || !has {
            continue;
        }
        let values = s.values.clone();
        cmd = cmd.mut_arg(s.arg, move |a| a.default_values(values).required(false));
        if ["store", "cost"].contains(&s.arg) && cmd.get_groups().any(|g| g.get_id() == "facts") {
            cmd = cmd.mut_group("facts", |g| g.required(false));
        }
    }
    cmd
}

/// Records which flags of the command run took their value from the settings file, and keeps
/// the file for the rest of the run.
pub fn settle(mut loaded: Loaded, matches: &ArgMatches) {
    let mut leaf = matches;
    while let Some((_, sub)) = leaf.subcommand() {
        leaf = sub;
    }
    let from_file = |id: &str| {
        leaf.try_get_raw(id).ok().flatten().is_some()
            && leaf.value_source(id) == Some(clap::parser::ValueSource::DefaultValue)
    };
    loaded.used = loaded
        .settings
        .iter()
        .filter(|s| from_file(s.arg))
        .map(|s| s.arg)
        .collect();
    let _ = LOADED.set(loaded);
}

/// The settings file of this run, if any.
pub fn loaded() -> Option<&'static Loaded> {
    LOADED.get()
}

/// Whether the flag `arg` of the command run took its value from the settings file.
pub fn from_file(arg: &str) -> bool {
    loaded().is_some_and(|l| l.used.contains(&arg))
}

/// The folder every report's default output folder is in: the file's `out`, else `reports`.
pub fn reports_dir() -> PathBuf {
    loaded()
        .and_then(|l| l.config.out.clone())
        .unwrap_or_else(|| PathBuf::from("reports"))
}
