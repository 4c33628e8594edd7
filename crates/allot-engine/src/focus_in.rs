//! Claude bought through a cloud provider (Amazon Bedrock, Google Vertex AI...), read from the
//! cloud's bill in FOCUS (the FinOps Foundation's billing format, which AWS Data Exports,
//! Google Cloud and Azure all write), as allot cost facts.
//!
//! Kept: the usage rows (`ChargeCategory` `Usage`) of Anthropic's models (`ModelDeveloper`
//! `Anthropic` in `SkuPriceDetails` or a column, or a Claude model named by the service, SKU or
//! model id; `--focus-filter` adds matches). Everything else is skipped and counted. The amount
//! is `BilledCost` (or `EffectiveCost`), tokens `ConsumedQuantity`, the model `ModelId`, the
//! token type `TokenType` or `TokenDirection`/`TokenCacheAction`, the context window
//! `x_ContextWindow`, the product the host (`bedrock`, `vertex`, or `HostProviderName`).
//!
//! Who: `PrincipalId` (an email is a person, anything else a cloud principal); then, when
//! `--focus-tag` names a tag, the cost center that tag names; then the account
//! (`SubAccountId`, else `BillingAccountId`). The first that is mapped on the day is charged
//! (see [`allot_core::identity`]); when none is, the cost goes to `UNMAPPED`, named by the
//! principal or, without one, by the account.
//!
//! Exact: amounts are read as decimals to 18 places (atto-dollars, so any cloud's precision
//! is kept), a charge whose period spans several days is spread over them in proportion to its
//! hours in each (largest remainder, exact), and the parts are rounded to nano-dollars once
//! for the whole file by largest remainder: the file's facts add up to its kept total rounded
//! once to the nano-dollar, each within a nano-dollar of its exact share.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use allot_core::alloc::{largest_remainder, split_proportional_wide};
use allot_core::identity::{self, Kind, Names, VIA_SEPARATOR};
use allot_core::{InputError, Nanos};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use crate::error::EngineError;
use crate::table_parquet::{write_parquet, Values};

/// Columns that make a file a FOCUS export rather than allot cost facts.
pub const FOCUS_MARKERS: [&str; 4] = [
    "BilledCost",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
];

/// The longest charge period spread over its days (a bill's rows are hourly, daily or monthly).
const MAX_PERIOD_DAYS: i64 = 366;

/// Atto-dollars per nano-dollar: amounts are read to 18 decimals, facts keep 9.
const ATTO_PER_NANO: i128 = 1_000_000_000;
const ATTO_SCALE: u32 = 18;

/// Whether a file with these columns is a FOCUS export.
pub fn is_focus(columns: &[String]) -> bool {
    FOCUS_MARKERS.iter().all(|m| {
        columns
            .iter()
            .any(|c| c.trim_start_matches('\u{feff}') == *m)
    })
}

/// One `--focus-filter`: rows whose `column` equals `value` (`COLUMN=VALUE`) or contains it
/// (`COLUMN~TEXT`), case-insensitively, are kept as Claude usage too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// The FOCUS column (or a `SkuPriceDetails` key).
    pub column: String,
    /// The value or text.
    pub value: String,
    /// `~`: contains; `=`: equals.
    pub contains: bool,
}

impl std::str::FromStr for Filter {
    type Err = String;
    fn from_str(s: &str) -> Result<Filter, String> {
        let (at, contains) = match (s.find('='), s.find('~')) {
            (Some(e), Some(t)) if t < e => (t, true),
            (Some(e), _) => (e, false),
            (None, Some(t)) => (t, true),
            (None, None) => {
                return Err(format!(
                    "`{s}`: write COLUMN=VALUE (equals) or COLUMN~TEXT (contains), e.g. ServiceName~Bedrock"
                ))
            }
        };
        let (column, value) = (s[..at].trim(), s[at + 1..].trim());
        if column.is_empty() || value.is_empty() {
            return Err(format!("`{s}`: both the column and the value are needed"));
        }
        Ok(Filter {
            column: column.to_string(),
            value: value.to_string(),
            contains,
        })
    }
}

/// How to read FOCUS files.
#[derive(Debug, Clone)]
pub struct FocusOptions {
    /// The amount column: `BilledCost` (what the invoice bills) or `EffectiveCost` (amortised).
    pub cost_column: String,
    /// A key of `Tags` whose value names the cost center (`--focus-tag team`).
    pub tag: Option<String>,
    /// More rows to keep as Claude usage.
    pub filters: Vec<Filter>,
}

impl Default for FocusOptions {
    fn default() -> FocusOptions {
        FocusOptions {
            cost_column: "BilledCost".into(),
            tag: None,
            filters: Vec::new(),
        }
    }
}

/// What reading one FOCUS file gave.
#[derive(Debug, Clone, Default)]
pub struct Converted {
    /// The FOCUS file.
    pub source: PathBuf,
    /// The cost-fact Parquet file written from it.
    pub facts_file: PathBuf,
    /// Rows in the file.
    pub rows: u64,
    /// Rows kept as Claude usage.
    pub kept: u64,
    /// Rows skipped, by reason: (rows, their exact amount).
    pub skipped: BTreeMap<String, (u64, Nanos)>,
    /// The kept rows' exact total (to the nano-dollar), which the facts add up to.
    pub total: Nanos,
    /// Cost facts written (a fact per kept row and day of its charge period).
    pub facts: u64,
    /// First and last day of every row's charge period: the days the file covers.
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Names of the accounts (and principals) it charges.
    pub names: Names,
    /// Claude usage rows that name no principal and carry no cost-center tag: charged to
    /// their cloud account.
    pub by_account: u64,
}

impl Converted {
    /// One line for the person running allot: what was kept and what was left out.
    pub fn summary(&self) -> String {
        let usd = |n: Nanos| allot_core::money::format_cents(n.round_cents());
        let mut summary = format!(
            "cloud bill {}: {} of {} rows are Claude usage (${} over {} facts)",
            self.source.display(),
            self.kept,
            self.rows,
            usd(self.total),
            self.facts
        );
        let mut not_usage = false;
        for (why, (n, amount)) in &self.skipped {
            summary.push_str(&format!("; skipped {n} {why} (${})", usd(*amount)));
            not_usage |= why.starts_with("Claude rows with charge category");
        }
        if not_usage {
            summary.push_str(
                ". Taxes, credits, fees and purchases are not usage: no person or team ran them, so they are not charged back; they are part of the cloud invoice, which the cloud provider's own reconciliation covers",
            );
        }
        summary
    }
}

/// One row's cells by column, for either file kind.
trait Cells {
    fn get(&self, column: &str) -> &str;
}

/// Where a row is, for messages.
#[derive(Clone, Copy)]
enum At {
    Line(u64),
    Row(u64),
}

/// A fact before its amounts are rounded to nano-dollars.
struct Part {
    day: NaiveDate,
    actor: String,
    via: String,
    product: String,
    model: String,
    context_window: String,
    cost_type: String,
    token_type: String,
    geo: String,
    tokens: i64,
    atto: i128,
    list_atto: Option<i128>,
}

/// The reading state of one file.
struct Reader<'a> {
    path: &'a Path,
    opts: &'a FocusOptions,
    out: Converted,
    parts: Vec<Part>,
    span: Option<(NaiveDate, NaiveDate)>,
    kept_atto: i128,
}

fn bad(path: &Path, at: At, column: &str, value: &str, problem: &str) -> EngineError {
    match at {
        At::Line(line) => InputError::BadValue {
            path: path.to_path_buf(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            problem: problem.to_string(),
        }
        .into(),
        At::Row(row) => InputError::BadFile {
            path: path.to_path_buf(),
            problem: format!("row {row}, column `{column}`: `{value}` {problem}"),
        }
        .into(),
    }
}

/// A decimal amount (`12.5`, `-0.000000000012`, `1.5E-7`) as an exact count of atto-dollars.
pub fn parse_atto(text: &str) -> Option<i128> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let decimal = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()?
    } else {
        t.parse::<Decimal>().ok()?
    };
    if decimal.scale() > ATTO_SCALE {
        // Finer than an atto-dollar: only if the extra digits are zeros.
        let rounded = decimal.round_dp(ATTO_SCALE);
        if rounded != decimal {
            return None;
        }
    }
    let mantissa = decimal.mantissa();
    let scale = decimal.scale().min(ATTO_SCALE);
    let digits = decimal.scale() - scale;
    let whole = mantissa / 10i128.pow(digits);
    whole.checked_mul(10i128.pow(ATTO_SCALE - scale))
}

/// A FOCUS datetime (`2025-05-01T00:00:00Z`, with an offset, with a space, ` UTC`, or a bare
/// date) as UTC.
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    let t = t
        .strip_suffix(" UTC")
        .or_else(|| t.strip_suffix('Z'))
        .unwrap_or(t);
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc());
        }
    }
    allot_core::date::parse_date(t).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
}

/// The days of `[start, end)` with the seconds of each inside it.
fn day_weights(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<(NaiveDate, i128)> {
    let mut out = Vec::new();
    let mut day = start.date_naive();
    while let Some(midnight) = day.and_hms_opt(0, 0, 0).map(|m| m.and_utc()) {
        if midnight >= end {
            break;
        }
        let next = midnight + Duration::days(1);
        let from = start.max(midnight);
        let to = end.min(next);
        if to > from {
            out.push((day, i128::from((to - from).num_seconds().max(0))));
        }
        match day.succ_opt() {
            Some(d) => day = d,
            None => break,
        }
    }
    out
}

/// allot's token type for FOCUS's `TokenType` (`Input`, `Output`, `CacheRead`, `CacheWrite`)
/// or `TokenDirection` and `TokenCacheAction`, or a meter's words (`Cache Read Input Tokens`).
fn token_type(token_type: &str, direction: &str, cache: &str, meter: &str) -> Option<String> {
    let squash = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let known = |s: &str| -> Option<&'static str> {
        let s = squash(s);
        let s = s.strip_suffix("tokens").unwrap_or(&s).to_string();
        Some(match s.as_str() {
            "input" | "inputuncached" | "uncachedinput" | "uncached" | "prompt" => {
                "uncached_input_tokens"
            }
            "output" | "completion" | "generated" => "output_tokens",
            "cacheread" | "cachereadinput" | "cachedinput" | "inputcacheread" | "cachehit" => {
                "cache_read_input_tokens"
            }
            "cachewrite" | "cachewriteinput" | "cachecreation" | "inputcachewrite"
            | "cachewrite5m" | "cachewriteinput5m" => "cache_creation.ephemeral_5m_input_tokens",
            "cachewrite1h" | "cachewriteinput1h" => "cache_creation.ephemeral_1h_input_tokens",
            _ => return None,
        })
    };
    if !token_type.trim().is_empty() {
        return Some(
            known(token_type).map_or_else(|| token_type.trim().to_lowercase(), str::to_string),
        );
    }
    if !direction.trim().is_empty() {
        let direction_word = squash(direction);
        let cache_action = squash(cache);
        let kind = match (direction_word.as_str(), cache_action.as_str()) {
            ("output", _) => "output_tokens",
            ("input", "read" | "hit" | "cacheread") => "cache_read_input_tokens",
            ("input", "write" | "cachewrite" | "creation") => {
                "cache_creation.ephemeral_5m_input_tokens"
            }
            ("input", _) => "uncached_input_tokens",
            _ => {
                return Some(format!(
                    "{}{}",
                    direction.trim().to_lowercase(),
                    cache.trim()
                ))
            }
        };
        return Some(kind.to_string());
    }
    known(meter).map(str::to_string)
}

/// allot's context window for `x_ContextWindow`: the two windows in their spellings, else as
/// written.
fn context_window(v: &str) -> String {
    let s: String = v
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_lowercase();
    match s.as_str() {
        "0-200k" | "≤200k" | "<=200k" | "0-200000" | "upto200k" => "0-200k".into(),
        "200k-1m" | ">200k" | "200000-1000000" | "200k+" => "200k-1M".into(),
        _ => v.trim().to_string(),
    }
}

fn host(cells: &dyn Cells) -> String {
    let hay = [
        "HostProviderName",
        "ServiceProviderName",
        "ProviderName",
        "InvoiceIssuerName",
        "ServiceName",
        "PublisherName",
    ]
    .iter()
    .map(|c| cells.get(c).to_ascii_lowercase())
    .collect::<Vec<_>>()
    .join(" ");
    if hay.contains("bedrock") || hay.contains("amazon") || hay.contains("aws") {
        return "bedrock".into();
    }
    if hay.contains("vertex") || hay.contains("google") || hay.contains("gcp") {
        return "vertex".into();
    }
    for c in ["HostProviderName", "ServiceProviderName", "ProviderName"] {
        let value = cells.get(c).trim();
        if !value.is_empty() {
            return value.to_string();
        }
    }
    "cloud".into()
}

/// A JSON object's value of `key` (matched case-insensitively) as text.
fn json_key(object: &serde_json::Value, key: &str) -> Option<String> {
    let map = object.as_object()?;
    let v = map
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)?;
    Some(match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// Whether a principal is an email (an IAM ARN, with its `:`s, is not, whatever it ends in).
fn looks_like_email(s: &str) -> bool {
    let s = s.trim();
    s.split_once('@').is_some_and(|(l, d)| {
        !l.is_empty()
            && d.contains('.')
            && !s.contains(char::is_whitespace)
            && !s.contains(':')
            && !d.contains('@')
    })
}

/// A row's charge period, checked: both ends date-times, the end after the start and within a
/// year of it.
fn charge_period(
    cells: &dyn Cells,
    path: &Path,
    at: At,
) -> Result<(DateTime<Utc>, DateTime<Utc>), EngineError> {
    let start_text = cells.get("ChargePeriodStart");
    let end_text = cells.get("ChargePeriodEnd");
    let start = parse_datetime(start_text).ok_or_else(|| {
        bad(
            path,
            at,
            "ChargePeriodStart",
            start_text,
            "is not a date and time (expected e.g. 2026-09-01T00:00:00Z)",
        )
    })?;
    let end = parse_datetime(end_text).ok_or_else(|| {
        bad(
            path,
            at,
            "ChargePeriodEnd",
            end_text,
            "is not a date and time (expected e.g. 2026-09-02T00:00:00Z)",
        )
    })?;
    if end <= start {
        return Err(bad(
            path,
            at,
            "ChargePeriodEnd",
            end_text,
            "is not after ChargePeriodStart",
        ));
    }
    if end - start > Duration::days(MAX_PERIOD_DAYS) {
        return Err(bad(
            path,
            at,
            "ChargePeriodEnd",
            end_text,
            "is more than a year after ChargePeriodStart: a charge period is an hour, a day or a month",
        ));
    }
    Ok((start, end))
}

/// A row's list cost (when given) and its whole tokens (a fraction, rare, rounded half away
/// from zero).
fn list_and_tokens(
    cells: &dyn Cells,
    path: &Path,
    at: At,
) -> Result<(Option<i128>, i128), EngineError> {
    let list_text = cells.get("ListCost");
    let list_atto = if list_text.trim().is_empty() {
        None
    } else {
        Some(
            parse_atto(list_text)
                .ok_or_else(|| bad(path, at, "ListCost", list_text, "is not a decimal amount"))?,
        )
    };
    let quantity_text = cells.get("ConsumedQuantity");
    let tokens: i128 = if quantity_text.trim().is_empty() {
        0
    } else {
        let quantity = parse_atto(quantity_text).ok_or_else(|| {
            bad(
                path,
                at,
                "ConsumedQuantity",
                quantity_text,
                "is not a number",
            )
        })?;
        // Whole tokens: a fraction (rare) is rounded half away from zero.
        allot_core::money::div_round_half_away(quantity, 10i128.pow(ATTO_SCALE))
    };
    Ok((list_atto, tokens))
}

impl Reader<'_> {
    fn row(&mut self, cells: &dyn Cells, at: At) -> Result<(), EngineError> {
        self.out.rows += 1;
        let path = self.path;
        let details: serde_json::Value = {
            let raw = cells.get("SkuPriceDetails").trim();
            if raw.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::from_str(raw)
                    .map_err(|_| bad(path, at, "SkuPriceDetails", raw, "is not a JSON object"))?
            }
        };
        // A value from its own column, else from `SkuPriceDetails` (both layouts exist).
        let field = |name: &str| -> String {
            let value = cells.get(name).trim();
            if value.is_empty() {
                json_key(&details, name).unwrap_or_default()
            } else {
                value.to_string()
            }
        };
        let (start, end) = charge_period(cells, path, at)?;
        let last = (end - Duration::seconds(1)).date_naive();
        let first = start.date_naive();
        self.span = Some(
            self.span
                .map_or((first, last), |(a, b)| (a.min(first), b.max(last))),
        );
        let amount_text = cells.get(&self.opts.cost_column);
        let atto = if amount_text.trim().is_empty() {
            0
        } else {
            parse_atto(amount_text).ok_or_else(|| {
                bad(
                    path,
                    at,
                    &self.opts.cost_column,
                    amount_text,
                    "is not a decimal amount",
                )
            })?
        };
        // Claude? Anthropic as the model's developer, a Claude model named anywhere it is
        // named, or a filter that says so.
        let developer = field("ModelDeveloper");
        let model_id = {
            let model = field("ModelId");
            if model.is_empty() {
                cells.get("SkuId").trim().to_string()
            } else {
                model
            }
        };
        // Anthropic's name for the model (family and version), whoever sold it: the seller
        // is the product (`bedrock`, `vertex`).
        let model = allot_core::model::canonical(&model_id);
        let claude = developer.eq_ignore_ascii_case("anthropic")
            || ["ServiceName", "SkuId", "SkuMeter", "ChargeDescription"]
                .iter()
                .any(|c| cells.get(c).to_ascii_lowercase().contains("claude"))
            || model_id.to_ascii_lowercase().contains("claude")
            || self.opts.filters.iter().any(|f| {
                let value = field(&f.column).to_lowercase();
                let want = f.value.to_lowercase();
                if f.contains {
                    value.contains(&want)
                } else {
                    value == want
                }
            });
        let skip = |me: &mut Self, why: String| {
            let tally = me.out.skipped.entry(why).or_insert((0, Nanos::ZERO));
            tally.0 += 1;
            // Shown rounded to the nano-dollar: a summary, not a fact.
            tally.1 += Nanos(atto / ATTO_PER_NANO);
        };
        if !claude {
            skip(self, "rows that are not Claude usage".into());
            return Ok(());
        }
        let category = cells.get("ChargeCategory").trim();
        if !category.eq_ignore_ascii_case("usage") {
            skip(
                self,
                format!(
                    "Claude rows with charge category {}",
                    if category.is_empty() {
                        "(none)"
                    } else {
                        category
                    }
                ),
            );
            return Ok(());
        }
        self.out.kept += 1;
        self.kept_atto += atto;
        let (list_atto, tokens) = list_and_tokens(cells, path, at)?;
        let tt = token_type(
            &field("TokenType"),
            &field("TokenDirection"),
            &field("TokenCacheAction"),
            cells.get("SkuMeter"),
        );
        let unit = cells.get("ConsumedUnit").trim().to_lowercase();
        let (cost_type, token_type) = match tt {
            Some(t) => ("tokens".to_string(), t),
            None if unit.contains("token") || unit.is_empty() => {
                ("tokens".to_string(), String::new())
            }
            None => (unit, String::new()),
        };
        let (actor, via) = self.who(cells, at)?;
        let product = host(cells);
        let window = context_window(&field("x_ContextWindow"));
        let geo = cells.get("RegionId").trim().to_string();
        // Spread over the days of the charge period, in proportion to its seconds in each.
        let days = day_weights(start, end);
        let weights: Vec<(usize, i128)> =
            days.iter().enumerate().map(|(i, (_, w))| (i, *w)).collect();
        let split =
            |v: i128| split_proportional_wide(v, &weights).expect("a period of positive length");
        let amounts = split(atto);
        let token_parts = split(tokens);
        let list_parts = list_atto.map(split);
        for (i, (day, _)) in days.iter().enumerate() {
            self.parts.push(Part {
                day: *day,
                actor: actor.clone(),
                via: via.clone(),
                product: product.clone(),
                model: model.clone(),
                context_window: window.clone(),
                cost_type: cost_type.clone(),
                token_type: token_type.clone(),
                geo: geo.clone(),
                tokens: i64::try_from(token_parts[i]).unwrap_or(i64::MAX),
                atto: amounts[i],
                list_atto: list_parts.as_ref().map(|l| l[i]),
            });
        }
        Ok(())
    }

    /// Who a row charges: the principal (a person when it is an email), else the cost-center
    /// tag, else the cloud account; the rest of that chain is kept as the fallbacks (`via`).
    fn who(&mut self, cells: &dyn Cells, at: At) -> Result<(String, String), EngineError> {
        let path = self.path;
        let principal = cells.get("PrincipalId").trim();
        let principal = if principal.is_empty() {
            None
        } else if looks_like_email(principal) {
            Some(identity::make(Kind::Person, principal))
        } else {
            Some(identity::make(Kind::Principal, principal))
        };
        let tag = match &self.opts.tag {
            None => None,
            Some(key) => {
                let raw = cells.get("Tags").trim();
                let value = if raw.is_empty() {
                    None
                } else {
                    let tags: serde_json::Value = serde_json::from_str(raw)
                        .map_err(|_| bad(path, at, "Tags", raw, "is not a JSON object of tags"))?;
                    json_key(&tags, key).filter(|v| !v.trim().is_empty())
                };
                value.map(|v| identity::make(Kind::CostCenter, &v))
            }
        };
        let (account_id, account_name) = {
            let sub = cells.get("SubAccountId").trim();
            if sub.is_empty() {
                (
                    cells.get("BillingAccountId").trim(),
                    cells.get("BillingAccountName").trim(),
                )
            } else {
                (sub, cells.get("SubAccountName").trim())
            }
        };
        let account = identity::make(
            Kind::Account,
            if account_id.is_empty() {
                "unknown"
            } else {
                account_id
            },
        );
        self.out.names.insert(account.clone(), account_name);
        for id in principal.iter().chain(tag.iter()).chain([&account]) {
            if id.contains(VIA_SEPARATOR) {
                return Err(bad(
                    path,
                    at,
                    "PrincipalId",
                    id,
                    "holds `|`, which allot cannot keep in an identity",
                ));
            }
        }
        if principal.is_none() && tag.is_none() {
            self.out.by_account += 1;
        }
        let mut chain: Vec<String> = principal.into_iter().chain(tag).collect();
        chain.push(account);
        let actor = chain.remove(0);
        let via = chain.join(&VIA_SEPARATOR.to_string());
        Ok((actor, via))
    }

    /// Rounds the parts to nano-dollars (once, for the whole file) and writes them.
    fn finish(mut self, target: &Path) -> Result<Converted, EngineError> {
        let keyed: Vec<(usize, i128)> = self.parts.iter().map(|p| p.atto).enumerate().collect();
        let nanos = largest_remainder(&keyed, ATTO_PER_NANO);
        let with_list: Vec<(usize, i128)> = self
            .parts
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.list_atto.map(|l| (i, l)))
            .collect();
        let list_nanos = largest_remainder(&with_list, ATTO_PER_NANO);
        let mut list: Vec<Option<i128>> = vec![None; self.parts.len()];
        for ((i, _), n) in with_list.iter().zip(list_nanos) {
            list[*i] = Some(i128::from(n));
        }
        let total: i128 = nanos.iter().map(|n| i128::from(*n)).sum();
        debug_assert_eq!(
            total,
            allot_core::money::div_round_half_away(self.kept_atto, ATTO_PER_NANO)
        );
        self.out.total = Nanos(total);
        self.out.facts = self.parts.len() as u64;
        self.out.span = self.span;
        let parts = &self.parts;
        let text =
            |f: fn(&Part) -> String| Values::Text(parts.iter().map(|p| Some(f(p))).collect());
        let columns = vec![
            ("date".to_string(), text(|p| p.day.to_string())),
            ("email".to_string(), text(|p| p.actor.clone())),
            ("via".to_string(), text(|p| p.via.clone())),
            ("product".to_string(), text(|p| p.product.clone())),
            ("model".to_string(), text(|p| p.model.clone())),
            (
                "context_window".to_string(),
                text(|p| p.context_window.clone()),
            ),
            ("inference_geo".to_string(), text(|p| p.geo.clone())),
            ("speed".to_string(), text(|_| String::new())),
            ("user_id".to_string(), text(|_| String::new())),
            ("cost_type".to_string(), text(|p| p.cost_type.clone())),
            ("token_type".to_string(), text(|p| p.token_type.clone())),
            (
                "tokens".to_string(),
                Values::Int(parts.iter().map(|p| Some(p.tokens)).collect()),
            ),
            (
                "cost_usd".to_string(),
                Values::Decimal(nanos.iter().map(|n| Some(i128::from(*n))).collect(), 9),
            ),
            ("list_cost_usd".to_string(), Values::Decimal(list, 9)),
        ];
        let mut file = std::fs::File::create(target).map_err(|source| InputError::Unwritable {
            path: target.to_path_buf(),
            source,
        })?;
        write_parquet(columns, &mut file)?;
        self.out.facts_file = target.to_path_buf();
        Ok(self.out)
    }
}

struct CsvCells<'a> {
    index: &'a BTreeMap<String, usize>,
    record: &'a csv::StringRecord,
}

impl Cells for CsvCells<'_> {
    fn get(&self, column: &str) -> &str {
        self.index
            .get(column)
            .and_then(|i| self.record.get(*i))
            .unwrap_or("")
    }
}

struct FrameCells<'a> {
    columns: &'a BTreeMap<String, Vec<Option<String>>>,
    row: usize,
}

impl Cells for FrameCells<'_> {
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|c| c[self.row].as_deref())
            .unwrap_or("")
    }
}

/// The columns a FOCUS file is read for.
const READ: [&str; 25] = [
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ChargeCategory",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ServiceName",
    "SkuId",
    "SkuMeter",
    "SkuPriceDetails",
    "ChargeDescription",
    "HostProviderName",
    "ServiceProviderName",
    "ProviderName",
    "InvoiceIssuerName",
    "PublisherName",
    "PrincipalId",
    "Tags",
    "SubAccountId",
    "SubAccountName",
    "BillingAccountId",
    "BillingAccountName",
    "RegionId",
];

/// The column names a FOCUS file has (CSV header or Parquet schema).
pub fn columns_of(path: &Path) -> Result<Vec<String>, EngineError> {
    Ok(match crate::load::source_of(path)? {
        crate::load::Source::Csv => crate::load::csv_headers(path)?,
        crate::load::Source::Parquet => crate::load::parquet_schema(path)?
            .iter_names()
            .map(ToString::to_string)
            .collect(),
    })
}

/// Reads the FOCUS file at `path` and writes its Claude usage as cost facts to `target`
/// (Parquet). Fails naming the file, line (or row) and column of the first bad value.
pub fn convert(path: &Path, opts: &FocusOptions, target: &Path) -> Result<Converted, EngineError> {
    let names = columns_of(path)?;
    if !names.iter().any(|n| n == &opts.cost_column) {
        return Err(InputError::MissingColumn {
            path: path.to_path_buf(),
            column: opts.cost_column.clone(),
            found: names,
        }
        .into());
    }
    if opts.tag.is_some() && !names.iter().any(|n| n == "Tags") {
        return Err(InputError::BadFile {
            path: path.to_path_buf(),
            problem: "has no `Tags` column, and --focus-tag reads the cost center from it".into(),
        }
        .into());
    }
    let mut reader = Reader {
        path,
        opts,
        out: Converted {
            source: path.to_path_buf(),
            ..Converted::default()
        },
        parts: Vec::new(),
        span: None,
        kept_atto: 0,
    };
    match crate::load::source_of(path)? {
        crate::load::Source::Csv => {
            let file = std::fs::File::open(path).map_err(|source| InputError::Unreadable {
                path: path.to_path_buf(),
                source,
            })?;
            let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(file);
            let headers = csv
                .headers()
                .map_err(|e| InputError::BadFile {
                    path: path.to_path_buf(),
                    problem: format!("not a readable CSV file: {e}"),
                })?
                .clone();
            let index: BTreeMap<String, usize> = headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.trim_start_matches('\u{feff}').trim().to_string(), i))
                .collect();
            let mut record = csv::StringRecord::new();
            loop {
                let more = csv
                    .read_record(&mut record)
                    .map_err(|e| InputError::BadFile {
                        path: path.to_path_buf(),
                        problem: format!("not a readable CSV file: {e}"),
                    })?;
                if !more {
                    break;
                }
                if record.iter().all(|c| c.trim().is_empty()) {
                    continue;
                }
                let line = record.position().map_or(0, csv::Position::line);
                reader.row(
                    &CsvCells {
                        index: &index,
                        record: &record,
                    },
                    At::Line(line),
                )?;
            }
        }
        crate::load::Source::Parquet => {
            use polars::prelude::*;
            let wanted: Vec<&str> = READ
                .iter()
                .copied()
                .chain(opts.filters.iter().map(|f| f.column.as_str()))
                .filter(|c| names.iter().any(|n| n == c))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let schema = crate::load::parquet_schema(path)?;
            let pl_path = PlRefPath::try_from_path(path)?;
            let args = ScanArgsParquet {
                glob: false,
                ..ScanArgsParquet::default()
            };
            // Timestamps are read as their count of units since the epoch and written out
            // here (polars' text form of a zoned timestamp needs a feature allot leaves out);
            // everything else as text, money included (a double as its shortest decimal).
            let read: Vec<Expr> = wanted
                .iter()
                .map(|c| match schema.get(c) {
                    Some(DataType::Datetime(_, _)) => col(*c).cast(DataType::Int64),
                    Some(DataType::Date) => col(*c).cast(DataType::Int32),
                    _ => col(*c).cast(DataType::String),
                })
                .collect();
            let df = LazyFrame::scan_parquet(pl_path, args)?
                .select(read)
                .collect()?;
            let mut columns: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
            for c in df.columns() {
                let name = c.name().to_string();
                let values: Vec<Option<String>> = match schema.get(&name) {
                    Some(DataType::Datetime(unit, _)) => {
                        let per_second: i64 = match unit {
                            TimeUnit::Milliseconds => 1_000,
                            TimeUnit::Microseconds => 1_000_000,
                            TimeUnit::Nanoseconds => 1_000_000_000,
                        };
                        c.i64()?
                            .iter()
                            .map(|v| {
                                v.and_then(|v| {
                                    DateTime::from_timestamp(
                                        v.div_euclid(per_second),
                                        (v.rem_euclid(per_second) * (1_000_000_000 / per_second))
                                            as u32,
                                    )
                                })
                                .map(|t| t.to_rfc3339())
                            })
                            .collect()
                    }
                    Some(DataType::Date) => c
                        .i32()?
                        .iter()
                        .map(|v| v.map(|d| allot_core::date::from_epoch_days(d).to_string()))
                        .collect(),
                    _ => c.str()?.iter().map(|v| v.map(str::to_string)).collect(),
                };
                columns.insert(name, values);
            }
            for row in 0..df.height() {
                reader.row(
                    &FrameCells {
                        columns: &columns,
                        row,
                    },
                    At::Row(row as u64 + 1),
                )?;
            }
        }
    }
    reader.finish(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> DateTime<Utc> {
        parse_datetime(s).unwrap()
    }

    #[test]
    fn amounts_are_read_exactly_to_eighteen_places() {
        assert_eq!(parse_atto("10.00"), Some(10 * 10i128.pow(18)));
        assert_eq!(parse_atto("-0.000000000012"), Some(-12_000_000));
        assert_eq!(parse_atto("1.5E-7"), Some(150_000_000_000));
        assert_eq!(parse_atto("500000.0"), Some(500_000 * 10i128.pow(18)));
        assert_eq!(
            parse_atto("0.0000000000000000001"),
            None,
            "finer than an atto-dollar"
        );
        assert_eq!(parse_atto("1,50"), None);
        assert_eq!(parse_atto(""), None);
    }

    #[test]
    fn datetimes_in_every_spelling_and_days_by_their_seconds() {
        assert_eq!(dt("2025-05-01T00:00:00Z"), dt("2025-05-01 00:00:00 UTC"));
        assert_eq!(dt("2025-05-01T02:00:00+02:00"), dt("2025-05-01"));
        assert_eq!(dt("2025-05-01 06:30:00.000"), dt("2025-05-01T06:30:00Z"));
        let w = day_weights(dt("2025-05-01T12:00:00Z"), dt("2025-05-03T00:00:00Z"));
        assert_eq!(
            w,
            vec![
                ("2025-05-01".parse().unwrap(), 43_200),
                ("2025-05-02".parse().unwrap(), 86_400)
            ]
        );
        // An hour is one day; a month is its days.
        assert_eq!(
            day_weights(dt("2025-05-01T23:00:00Z"), dt("2025-05-02T00:00:00Z")).len(),
            1
        );
        assert_eq!(
            day_weights(dt("2025-05-01T00:00:00Z"), dt("2025-06-01T00:00:00Z")).len(),
            31
        );
    }

    #[test]
    fn token_types_in_both_spellings_and_meter_words() {
        let t = |a: &str, b: &str, c: &str, d: &str| token_type(a, b, c, d);
        assert_eq!(
            t("CacheRead", "", "", "").as_deref(),
            Some("cache_read_input_tokens")
        );
        assert_eq!(
            t("Input", "", "", "").as_deref(),
            Some("uncached_input_tokens")
        );
        assert_eq!(
            t("", "Input", "Write", "").as_deref(),
            Some("cache_creation.ephemeral_5m_input_tokens")
        );
        assert_eq!(
            t("", "Input", "Uncached", "").as_deref(),
            Some("uncached_input_tokens")
        );
        assert_eq!(t("", "Output", "", "").as_deref(), Some("output_tokens"));
        assert_eq!(
            t("", "", "", "Cache Read Input Tokens").as_deref(),
            Some("cache_read_input_tokens")
        );
        assert_eq!(t("", "", "", "Images"), None);
        assert_eq!(
            t("Reasoning", "", "", "").as_deref(),
            Some("reasoning"),
            "unknown kept"
        );
    }

    #[test]
    fn filters_parse_and_say_what_is_wrong() {
        let f: Filter = "ServiceName~Bedrock".parse().unwrap();
        assert!(f.contains && f.column == "ServiceName" && f.value == "Bedrock");
        let f: Filter = "SkuId=my-claude-deployment".parse().unwrap();
        assert!(!f.contains && f.value == "my-claude-deployment");
        assert!("ServiceName"
            .parse::<Filter>()
            .unwrap_err()
            .contains("COLUMN=VALUE"));
    }

    /// A FOCUS export in Parquet as AWS writes it: costs as doubles, periods as timestamps.
    #[test]
    fn parquet_exports_with_double_costs_and_timestamps_are_read_exactly() {
        use polars::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("focus.parquet");
        let t = |s: &str| parse_datetime(s).unwrap().timestamp_millis();
        let start = Int64Chunked::new(
            "ChargePeriodStart".into(),
            [
                t("2026-09-01T00:00:00Z"),
                t("2026-09-03T06:00:00Z"),
                t("2026-09-01T00:00:00Z"),
            ],
        )
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        let end = Int64Chunked::new(
            "ChargePeriodEnd".into(),
            [
                t("2026-10-01T00:00:00Z"),
                t("2026-09-03T07:00:00Z"),
                t("2026-09-02T00:00:00Z"),
            ],
        )
        .into_datetime(TimeUnit::Milliseconds, Some(TimeZone::UTC));
        let mut df = DataFrame::new(
            3,
            vec![
                Column::new("BilledCost".into(), [0.1f64, 2.5, 9.75]),
                Column::new("ChargeCategory".into(), ["Usage", "Usage", "Usage"]),
                start.into_series().into_column(),
                end.into_series().into_column(),
                Column::new("ConsumedQuantity".into(), [1_000.0f64, 20.0, 5.0]),
                Column::new(
                    "ServiceName".into(),
                    [
                        "Claude Sonnet 4.5 (Amazon Bedrock Edition)",
                        "Amazon Bedrock",
                        "Amazon Titan",
                    ],
                ),
                Column::new("SkuId".into(), ["x", "anthropic.claude-haiku-4-5", "titan"]),
                Column::new("PrincipalId".into(), ["Ann@X.com", "", ""]),
                Column::new("SubAccountId".into(), ["1", "2", "3"]),
            ],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut df)
            .unwrap();
        assert!(is_focus(&columns_of(&path).unwrap()));
        let out = dir.path().join("facts.parquet");
        let c = convert(&path, &FocusOptions::default(), &out).unwrap();
        assert_eq!((c.rows, c.kept, c.facts), (3, 2, 31));
        assert_eq!(c.total, Nanos(2_600_000_000), "0.1 and 2.5, exactly");
        let facts = crate::cost_fact_rows(&[out]).unwrap();
        let ann: Vec<_> = facts.iter().filter(|f| f.email == "ann@x.com").collect();
        assert_eq!(ann.len(), 30, "a month's charge on each of its days");
        assert_eq!(ann.iter().map(|f| f.cost_nanos).sum::<i64>(), 100_000_000);
        assert_eq!(ann.iter().map(|f| f.tokens).sum::<i64>(), 1_000);
        let hour = facts.iter().find(|f| f.email == "account:2").unwrap();
        assert_eq!(
            (
                hour.date.to_string(),
                hour.cost_nanos,
                hour.product.as_str()
            ),
            ("2026-09-03".into(), 2_500_000_000, "bedrock")
        );
    }

    #[test]
    fn a_bad_value_is_named_by_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bill.csv");
        let error = |rows: &str| {
            std::fs::write(
                &path,
                format!(
                    "BilledCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ServiceName\n{rows}"
                ),
            )
            .unwrap();
            convert(
                &path,
                &FocusOptions::default(),
                &dir.path().join("f.parquet"),
            )
            .unwrap_err()
            .to_string()
        };
        let e = error(
            "1.00,Usage,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,Claude\n\
             1,00,Usage,2026-09-01T00:00:00Z,2026-09-02T00:00:00Z,Claude\n",
        );
        assert!(e.contains("line 3, column `ChargePeriodStart`"), "{e}");
        let e = error("1.00,Usage,2026-09-02T00:00:00Z,2026-09-01T00:00:00Z,Claude\n");
        assert!(
            e.contains("line 2, column `ChargePeriodEnd`") && e.contains("not after"),
            "{e}"
        );
        // A period of centuries is refused, not spread over its days.
        let e = error("1.00,Usage,2026-09-01T00:00:00Z,9999-01-01T00:00:00Z,Claude\n");
        assert!(e.contains("more than a year"), "{e}");
    }

    #[test]
    fn context_windows_in_their_spellings() {
        assert_eq!(context_window("≤ 200k"), "0-200k");
        assert_eq!(context_window("200K-1M"), "200k-1M");
        assert_eq!(context_window("1000000"), "1000000");
    }
}
