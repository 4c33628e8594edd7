//! The sync: plan which days each source still needs, fetch them in as few requests as the API
//! allows (31-day windows at the largest page size; one request per day where the endpoint is
//! per day), and store each day whole, recording what moved on days fetched before.
//!
//! The request budget of a daily run: a day never stored is fetched; a provisional cost day
//! stored before today is fetched again only if the organisation's daily total moved (one
//! request without grouping covers 31 days; an unchanged day is recorded as confirmed, and
//! settles when confirmed 30 days after); an engagement day is final once fetched past its
//! lag; a day fetched or confirmed earlier the same day is not asked again. `refresh` fetches
//! everything again.

use std::collections::BTreeMap;

use allot_engine::table_parquet::Values;
use chrono::{Duration, NaiveDate};
use futures_util::stream::{self, StreamExt, TryStreamExt};

use crate::client::Client;
use crate::error::SyncError;
use crate::key::{ApiKey, Keys};
use crate::parse::{self, Activity, CodeModel, StoredCost};
use crate::spill::Spill;
use crate::store::{DayWrite, Source, Store};
use crate::usage_cost::{self, ActorCost};
use serde_json::Value;

const ANALYTICS: &str = "/v1/organizations/analytics";
/// The earliest day with data.
pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date")
}
/// The longest window a request may span.
pub const MAX_WINDOW_DAYS: i64 = 31;
/// How far back the API serves.
pub const LOOKBACK_DAYS: i64 = 365;

/// Which API the organisation's cost comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CostApi {
    /// The Usage and Cost Analytics API when the key may call it, else the Enterprise reports.
    #[default]
    Auto,
    /// The Usage and Cost Analytics API only (every cost, by actor, key and workspace).
    Analytics,
    /// The Enterprise per-user and organisation reports (`user_cost_report`, `cost_report`...),
    /// labelled legacy since 2026-10-29: seat users' cost per person, the rest as one total.
    Legacy,
}

/// What to sync.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// First day (inclusive).
    pub from: NaiveDate,
    /// Last day (inclusive); days not yet available are left for a later sync.
    pub to: NaiveDate,
    /// Today (UTC): the as-of date days are settled against.
    pub today: NaiveDate,
    /// Fetch settled days again.
    pub refresh: bool,
    /// Days before engagement data of a day is available (1 by the current docs; 3 before July 2026).
    pub engagement_lag_days: i64,
    /// Per-day requests in flight at once (all share the rate limit).
    pub concurrency: usize,
    /// Which API the cost comes from.
    pub cost_api: CostApi,
}

/// Where a long sync reports how far it got.
pub trait Progress: Sync {
    /// The sync will make about `steps` steps.
    fn plan(&self, steps: u64);
    /// One step (a window or a day of a source) is done.
    fn step(&self, what: &str);
}

/// A sync that reports nothing.
#[derive(Debug)]
pub struct Quiet;

impl Progress for Quiet {
    fn plan(&self, _: u64) {}
    fn step(&self, _: &str) {}
}

/// What a sync did.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    /// HTTP requests sent (retries included).
    pub requests: u64,
    /// Retries after transient failures.
    pub retries: u64,
    /// Of those, 429s.
    pub rate_limited: u64,
    /// Paginations restarted after an expired cursor.
    pub restarts: u64,
    /// Days fetched, per source.
    pub days: BTreeMap<&'static str, u64>,
    /// Days already stored and settled, so not fetched, per source.
    pub kept: BTreeMap<&'static str, u64>,
    /// Days fetched (or confirmed) earlier the same day, so not asked again, per source.
    pub fresh: BTreeMap<&'static str, u64>,
    /// Engagement days already fetched past their lag: final, asked again only with
    /// `--refresh`, per source.
    pub final_days: BTreeMap<&'static str, u64>,
    /// Provisional cost days whose organisation daily total was unchanged: confirmed without
    /// fetching them again (they settle when confirmed 30 days after), per source.
    pub confirmed: BTreeMap<&'static str, u64>,
    /// Requests spent asking the organisation's daily totals.
    pub probe_requests: u64,
    /// Rows stored.
    pub rows: u64,
    /// Of the days fetched, how many are settled (at least 30 days old).
    pub settled_days: u64,
    /// Of the days fetched, how many are provisional.
    pub provisional_days: u64,
    /// Sources skipped and why.
    pub skipped: Vec<String>,
    /// Warnings (e.g. a bucket that may have been cut at 100 groups).
    pub warnings: Vec<String>,
    /// Cost rows whose value changed since the last fetch.
    pub restated_rows: u64,
    /// Net change of those rows, nano-dollars.
    pub restated_nanos: i128,
    /// Months whose settled days were folded into one file, per source ("actor_cost 2026-09").
    pub compacted: Vec<String>,
}

/// Checks the requested range against the documented limits before any request is made.
pub fn check_range(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<(), SyncError> {
    if from > to {
        return Err(SyncError::Plan(format!("--from {from} is after --to {to}")));
    }
    if from < first_day() {
        return Err(SyncError::Plan(format!(
            "--from {from} is before 2026-01-01: the API has no data before then"
        )));
    }
    if (today - from).num_days() > LOOKBACK_DAYS {
        return Err(SyncError::Plan(format!(
            "--from {from} is more than 365 days before today ({today}): the API serves one year back"
        )));
    }
    if to >= today {
        return Err(SyncError::Plan(format!(
            "--to {to} is today or later: the last complete day is {}",
            today - Duration::days(1)
        )));
    }
    Ok(())
}

/// Consecutive runs of `days` (sorted) cut into windows of at most `max` days, end exclusive.
pub fn windows(days: &[NaiveDate], max: i64) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    for &d in days {
        match out.last_mut() {
            Some((start, end)) if *end == d && (d - *start).num_days() < max => {
                *end = d + Duration::days(1);
            }
            _ => out.push((d, d + Duration::days(1))),
        }
    }
    out
}

fn ts(d: NaiveDate) -> String {
    format!("{d}T00:00:00Z")
}

fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn text(v: Vec<String>) -> Values {
    Values::Text(v.into_iter().map(Some).collect())
}

fn cost_columns(rows: &[StoredCost]) -> Vec<(String, Values)> {
    let t = |f: fn(&StoredCost) -> String| text(rows.iter().map(f).collect());
    vec![
        ("date".into(), t(|r| r.date.to_string())),
        ("email".into(), t(|r| r.email.clone())),
        ("user_id".into(), t(|r| r.user_id.clone())),
        ("product".into(), t(|r| r.product.clone())),
        ("model".into(), t(|r| r.model.clone())),
        ("context_window".into(), t(|r| r.context_window.clone())),
        ("inference_geo".into(), t(|r| r.inference_geo.clone())),
        ("speed".into(), t(|r| r.speed.clone())),
        ("cost_type".into(), t(|r| r.cost_type.clone())),
        ("token_type".into(), t(|r| r.token_type.clone())),
        (
            "tokens".into(),
            Values::Int(rows.iter().map(|r| Some(r.tokens)).collect()),
        ),
        (
            "cost_usd".into(),
            Values::Decimal(rows.iter().map(|r| Some(r.cost_nanos)).collect(), 9),
        ),
        (
            "list_cost_usd".into(),
            Values::Decimal(rows.iter().map(|r| r.list_cost_nanos).collect(), 9),
        ),
    ]
}

fn actor_cost_columns(rows: &[ActorCost]) -> Vec<(String, Values)> {
    let facts: Vec<StoredCost> = rows.iter().map(|r| r.fact.clone()).collect();
    let mut cols = cost_columns(&facts);
    let t = |f: fn(&ActorCost) -> String| text(rows.iter().map(f).collect());
    cols.push(("via".into(), t(|r| r.via.clone())));
    cols.push(("api_key_id".into(), t(|r| r.api_key_id.clone())));
    cols.push(("workspace_id".into(), t(|r| r.workspace_id.clone())));
    cols.push(("actor_type".into(), t(|r| r.actor_type.clone())));
    cols
}

fn activity_columns(rows: &[Activity]) -> Vec<(String, Values)> {
    let t = |f: fn(&Activity) -> String| text(rows.iter().map(f).collect());
    let i = |f: fn(&Activity) -> i64| Values::Int(rows.iter().map(|r| Some(f(r))).collect());
    vec![
        ("date".into(), t(|r| r.date.to_string())),
        ("email".into(), t(|r| r.email.clone())),
        ("user_id".into(), t(|r| r.user_id.clone())),
        ("sessions".into(), i(|r| r.sessions)),
        ("commits".into(), i(|r| r.commits)),
        ("pull_requests".into(), i(|r| r.pull_requests)),
        ("lines_added".into(), i(|r| r.lines_added)),
        ("lines_removed".into(), i(|r| r.lines_removed)),
        ("tool_accepted".into(), i(|r| r.tool_accepted)),
        ("tool_rejected".into(), i(|r| r.tool_rejected)),
        ("chat_messages".into(), i(|r| r.chat_messages)),
        ("chat_conversations".into(), i(|r| r.chat_conversations)),
        ("web_searches".into(), i(|r| r.web_searches)),
        (
            "chat_projects_created".into(),
            i(|r| r.chat_projects_created),
        ),
        ("chat_files_uploaded".into(), i(|r| r.chat_files_uploaded)),
        (
            "chat_artifacts_created".into(),
            i(|r| r.chat_artifacts_created),
        ),
        ("chat_skills_used".into(), i(|r| r.chat_skills_used)),
        ("chat_connectors_used".into(), i(|r| r.chat_connectors_used)),
        ("cowork_sessions".into(), i(|r| r.cowork_sessions)),
        ("cowork_messages".into(), i(|r| r.cowork_messages)),
        ("cowork_actions".into(), i(|r| r.cowork_actions)),
        ("office_sessions".into(), i(|r| r.office_sessions)),
        ("office_messages".into(), i(|r| r.office_messages)),
    ]
}

fn model_columns(rows: &[CodeModel]) -> Vec<(String, Values)> {
    let i = |k: usize| Values::Int(rows.iter().map(|r| Some(r.tokens[k])).collect());
    vec![
        (
            "date".into(),
            text(rows.iter().map(|r| r.date.to_string()).collect()),
        ),
        (
            "email".into(),
            text(rows.iter().map(|r| r.email.clone()).collect()),
        ),
        (
            "model".into(),
            text(rows.iter().map(|r| r.model.clone()).collect()),
        ),
        ("input_tokens".into(), i(0)),
        ("output_tokens".into(), i(1)),
        ("cache_read_tokens".into(), i(2)),
        ("cache_creation_tokens".into(), i(3)),
        (
            "estimated_cost_usd".into(),
            Values::Decimal(
                rows.iter().map(|r| Some(r.estimated_cost_nanos)).collect(),
                9,
            ),
        ),
    ]
}

/// Flattened rows as columns: whole numbers as Int64, anything else as text.
fn flat_columns(day: NaiveDate, rows: &[BTreeMap<String, String>]) -> Vec<(String, Values)> {
    let mut names: Vec<&String> = rows.iter().flat_map(|r| r.keys()).collect();
    names.sort();
    names.dedup();
    let mut cols = vec![(
        "date".to_string(),
        text(rows.iter().map(|_| day.to_string()).collect()),
    )];
    for name in names {
        let vals: Vec<Option<&String>> = rows.iter().map(|r| r.get(name)).collect();
        let ints: Option<Vec<Option<i64>>> = vals
            .iter()
            .map(|v| match v {
                None => Some(None),
                Some(s) if s.is_empty() => Some(None),
                Some(s) => s.parse::<i64>().ok().map(Some),
            })
            .collect();
        let values = match ints {
            Some(v) => Values::Int(v),
            None => Values::Text(vals.into_iter().map(Option::<&String>::cloned).collect()),
        };
        cols.push((name.clone(), values));
    }
    cols
}

/// Whether `source` is cost, which the API revises for 30 days (a provisional day is checked
/// against the organisation's daily total), rather than engagement, final once fetched past
/// its lag.
/// Spill parts (and the names errors use) of the per-user reports and the Usage and Cost
/// Analytics API.
const LEGACY_USAGE: &str = "user_usage_report";
const LEGACY_COST: &str = "user_cost_report";
const NEW_USAGE: &str = "analytics/usage";
const NEW_COST: &str = "analytics/cost";

fn is_cost(source: Source) -> bool {
    matches!(source, Source::ActorCost | Source::Cost | Source::OrgCost)
}

/// What a source needs of `[from, to]`.
#[derive(Debug, Clone, Default)]
struct Need {
    /// Days to fetch: never stored, or all with `--refresh`.
    fetch: Vec<NaiveDate>,
    /// Provisional cost days stored before today: fetched again only if the organisation's
    /// daily total moved.
    check: Vec<NaiveDate>,
}

/// The days of `[from, to]` `source` still needs, given it is available up to `last`; what it
/// keeps is counted in `summary`.
fn needed(
    store: &Store,
    source: Source,
    opts: &SyncOptions,
    last: NaiveDate,
    summary: &mut Summary,
) -> Need {
    let mut need = Need::default();
    let name = source.name();
    for d in opts
        .from
        .iter_days()
        .take_while(|d| *d <= opts.to.min(last))
    {
        let count = |m: &mut BTreeMap<&'static str, u64>| *m.entry(name).or_default() += 1;
        match store.entry(source, d) {
            _ if opts.refresh => need.fetch.push(d),
            None => need.fetch.push(d),
            Some(e) if e.settled(d) => count(&mut summary.kept),
            // Fetched or confirmed by a run earlier today: asking again would bring nothing new.
            Some(e) if e.seen_on() >= opts.today => count(&mut summary.fresh),
            Some(_) if !is_cost(source) => count(&mut summary.final_days),
            Some(_) => need.check.push(d),
        }
    }
    need
}

type CostKey = (String, String, String, String, String, String);

fn by_component(rows: impl IntoIterator<Item = (CostKey, i128)>) -> BTreeMap<CostKey, i128> {
    let mut map = BTreeMap::new();
    for (k, v) in rows {
        *map.entry(k).or_insert(0) += v;
    }
    map
}

/// One restated value: (day, email, component, old, new).
type Restated = (NaiveDate, String, String, i128, i128);

/// The restatement file of one source's day fetched on `today`: its name (the day, the
/// source and a digest of what moved, so the same restatement written again by a resumed
/// sync replaces itself) and its columns.
fn restatement_file(
    today: NaiveDate,
    source: Source,
    day: NaiveDate,
    moved: &[(&'static str, Restated)],
) -> (String, Vec<(String, Values)>) {
    let t = |f: fn(&(&'static str, Restated)) -> String| text(moved.iter().map(f).collect());
    // FNV-1a over the records: stable across runs and builds.
    let mut digest: u64 = 0xcbf2_9ce4_8422_2325;
    for (_, (d, who, component, old, new)) in moved {
        for b in format!("{d}|{who}|{component}|{old}|{new}\n").bytes() {
            digest ^= u64::from(b);
            digest = digest.wrapping_mul(0x0100_0000_01b3);
        }
    }
    let cols = vec![
        (
            "fetched_on".to_string(),
            text(moved.iter().map(|_| today.to_string()).collect()),
        ),
        ("source".to_string(), t(|x| x.0.to_string())),
        ("date".to_string(), t(|x| x.1 .0.to_string())),
        ("email".to_string(), t(|x| x.1 .1.clone())),
        ("component".to_string(), t(|x| x.1 .2.clone())),
        (
            "old_usd".to_string(),
            Values::Decimal(moved.iter().map(|x| Some(x.1 .3)).collect(), 9),
        ),
        (
            "new_usd".to_string(),
            Values::Decimal(moved.iter().map(|x| Some(x.1 .4)).collect(), 9),
        ),
    ];
    (
        format!("{today}-{}-{day}-{digest:016x}", source.name()),
        cols,
    )
}

/// Compares a fresh day of cost with what the store held, before it is replaced.
fn restatements<'a>(
    store: &Store,
    source: Source,
    day: NaiveDate,
    fresh: impl Iterator<Item = &'a StoredCost>,
) -> Result<Vec<Restated>, SyncError> {
    let Some(path) = store.day_file(source, day) else {
        return Ok(Vec::new());
    };
    if !path.exists() {
        return Ok(Vec::new());
    }
    // A month's file holds other days too: only this one is compared.
    let mut old = allot_engine::cost_fact_rows(&[path])?;
    old.retain(|f| f.date == day);
    let key = |e: &str, p: &str, m: &str, w: &str, c: &str, t: &str| -> CostKey {
        (e.into(), p.into(), m.into(), w.into(), c.into(), t.into())
    };
    let old = by_component(old.iter().map(|f| {
        (
            key(
                &f.email,
                &f.product,
                &f.model,
                &f.context_window,
                &f.cost_type,
                &f.token_type,
            ),
            i128::from(f.cost_nanos),
        )
    }));
    let new = by_component(fresh.map(|f| {
        (
            key(
                &f.email,
                &f.product,
                &f.model,
                &f.context_window,
                &f.cost_type,
                &f.token_type,
            ),
            f.cost_nanos,
        )
    }));
    let mut out = Vec::new();
    for k in old
        .keys()
        .chain(new.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (o, n) = (
            old.get(k).copied().unwrap_or(0),
            new.get(k).copied().unwrap_or(0),
        );
        if o != n {
            let component = [&k.1, &k.2, &k.3, &k.4, &k.5]
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("/");
            out.push((day, k.0.clone(), component, o, n));
        }
    }
    Ok(out)
}

struct Run<'a> {
    store: &'a mut Store,
    client: &'a Client,
    opts: &'a SyncOptions,
    progress: &'a dyn Progress,
    summary: Summary,
    restated: Vec<(&'static str, Restated)>,
    /// The organisation's daily totals each probe endpoint answered this run.
    probed: BTreeMap<&'static str, BTreeMap<NaiveDate, i128>>,
}

/// The endpoint whose daily totals vouch for `source`'s days: the Usage and Cost Analytics
/// API's cost without `group_by` for `actor_cost`, the organisation's `cost_report` for the
/// older reports.
fn probe_endpoint(source: Source) -> &'static str {
    if source == Source::ActorCost {
        usage_cost::COST_PATH
    } else {
        "/v1/organizations/analytics/cost_report"
    }
}

impl Run<'_> {
    /// Reads the Admin API's listings (once a day) and records the names they give, dated;
    /// a key name two keys carry is a warning (Claude Code's analytics name API actors by key
    /// name, so its activity under that name cannot be told apart). A listing the key may not
    /// read is a warning too: names then stay as the cost report's actor objects give them.
    async fn list_names(&mut self, admin: &ApiKey) -> Result<(), SyncError> {
        let root = self.store.root().to_path_buf();
        let mut history = crate::store::read_name_history(&root)?;
        if history.listed_on == Some(self.opts.today) {
            return Ok(());
        }
        let listed = match crate::listings::list(self.client, admin).await {
            Ok(listed) => listed,
            Err(
                e @ (SyncError::Rejected { .. }
                | SyncError::GaveUp { .. }
                | SyncError::Malformed { .. }),
            ) => {
                self.summary.warnings.push(format!(
                    "the Admin API's listings of API keys, workspaces and users could not be read ({e}): reports name keys and workspaces as the cost report does"
                ));
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let mut renamed = 0;
        for (identity, name) in &listed.names {
            let known = history.names.contains_key(identity);
            if history.record(identity.clone(), name, self.opts.today) && known {
                renamed += 1;
            }
        }
        for (name, ids) in &listed.ambiguous {
            self.summary.warnings.push(format!(
                "the API key name `{name}` is carried by {} keys ({}): Claude Code's analytics name an API actor by its key's name only, so activity under `{name}` stays under that name and is given to none of them; rename one in the Console to tell them apart",
                ids.len(),
                ids.join(", ")
            ));
        }
        if renamed > 0 {
            self.summary.warnings.push(format!(
                "{renamed} key, workspace or user name(s) changed since the last listing: days before today keep the old name"
            ));
        }
        history.listed_on = Some(self.opts.today);
        self.store.write_name_history(&history)
    }

    /// The organisation's cost per day of `days` from `source`'s probe endpoint: one request
    /// per 31-day window, no grouping, so one row (or bucket) per day. Days asked before in
    /// this run are not asked again.
    async fn probe(
        &mut self,
        source: Source,
        key: &ApiKey,
        days: &[NaiveDate],
    ) -> Result<BTreeMap<NaiveDate, i128>, SyncError> {
        let endpoint = probe_endpoint(source);
        let known = self.probed.entry(endpoint).or_default();
        let ask: Vec<NaiveDate> = days
            .iter()
            .copied()
            .filter(|d| !known.contains_key(d))
            .collect();
        for w in windows(&ask, MAX_WINDOW_DAYS) {
            let (s, e) = (ts(w.0), ts(w.1));
            let limit = MAX_WINDOW_DAYS.to_string();
            let before = self
                .client
                .stats()
                .requests
                .load(std::sync::atomic::Ordering::Relaxed);
            let pages = if source == Source::ActorCost {
                let query = params(&[
                    ("starting_at", &s),
                    ("ending_at", &e),
                    ("time_bucket_width", "1d"),
                    ("limit", &limit),
                ]);
                self.client
                    .pages_beta(endpoint, key, &query, Some(usage_cost::BETA))
                    .await?
            } else {
                let query = params(&[
                    ("starting_at", &s),
                    ("ending_at", &e),
                    ("bucket_width", "1d"),
                    ("limit", &limit),
                ]);
                self.client.pages(endpoint, key, &query).await?
            };
            self.summary.probe_requests += self
                .client
                .stats()
                .requests
                .load(std::sync::atomic::Ordering::Relaxed)
                - before;
            let totals = parse::day_totals(endpoint, &pages)
                .map_err(|e| e.in_request(format!("{endpoint}?starting_at={}", w.0)))?;
            let known = self.probed.entry(endpoint).or_default();
            for d in w.0.iter_days().take_while(|d| *d < w.1) {
                known.insert(d, totals.get(&d).copied().unwrap_or(0));
            }
        }
        let known = &self.probed[endpoint];
        Ok(days
            .iter()
            .filter_map(|d| known.get(d).map(|t| (*d, *t)))
            .collect())
    }

    /// What the stored day of `source` is compared with: the daily total the probe answered
    /// when it was fetched or last confirmed, else (a day stored before totals were recorded)
    /// the sum of its rows (for the per-user report, of the organisation report's rows, which
    /// hold the whole organisation).
    fn baseline(&self, source: Source, day: NaiveDate) -> Result<Option<i128>, SyncError> {
        if let Some(t) = self.store.entry(source, day).and_then(|e| e.total) {
            return Ok(Some(i128::from(t)));
        }
        let whole = if source == Source::Cost {
            Source::OrgCost
        } else {
            source
        };
        if let Some(t) = self.store.entry(whole, day).and_then(|e| e.total) {
            return Ok(Some(i128::from(t)));
        }
        let Some(path) = self.store.day_file(whole, day).filter(|p| p.exists()) else {
            return Ok(None);
        };
        let rows = allot_engine::cost_fact_rows(&[path])?;
        Ok(Some(
            rows.iter()
                .filter(|f| f.date == day)
                .map(|f| i128::from(f.cost_nanos))
                .sum(),
        ))
    }

    /// Notes that `source`'s daily totals were refused (`status`): its provisional days are
    /// fetched whole (the fetch itself says more if the key may not call the API at all).
    fn unprobed(&mut self, source: Source, status: u16) {
        if source == Source::ActorCost && matches!(status, 401 | 403 | 404) {
            return; // the fetch falls back to the older reports and says so
        }
        let warning = format!(
            "{}: the organisation's daily totals ({}) answered {status}: every provisional day was fetched again",
            source.name(),
            probe_endpoint(source)
        );
        if !self.summary.warnings.contains(&warning) {
            self.summary.warnings.push(warning);
        }
    }

    /// The days of `source` to fetch: those never stored, and the provisional ones whose
    /// organisation daily total moved since they were stored; the unchanged ones are recorded
    /// as confirmed today (one version). Without a probe (an endpoint refusing the key, said
    /// by the fetch that follows) every provisional day is fetched.
    async fn pick(
        &mut self,
        source: Source,
        key: &ApiKey,
        need: Need,
    ) -> Result<Vec<NaiveDate>, SyncError> {
        let mut all = [need.fetch.as_slice(), need.check.as_slice()].concat();
        all.sort();
        if !is_cost(source) || all.is_empty() {
            return Ok(all);
        }
        // New cost days are probed too, so that their daily total is recorded with them.
        let totals = match self.probe(source, key, &all).await {
            Ok(t) => t,
            Err(SyncError::Rejected { status, .. }) => {
                self.unprobed(source, status);
                return Ok(all);
            }
            Err(e) => return Err(e),
        };
        let mut fetch = need.fetch;
        let mut confirmed: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for d in need.check {
            let now = totals.get(&d).copied();
            match (now, self.baseline(source, d)?) {
                (Some(now), Some(was)) if now == was => {
                    if let Ok(t) = i64::try_from(now) {
                        confirmed.insert(d, t);
                        continue;
                    }
                    fetch.push(d);
                }
                _ => fetch.push(d),
            }
        }
        fetch.sort();
        if !confirmed.is_empty() {
            self.store.confirm(source, &confirmed, self.opts.today)?;
            *self.summary.confirmed.entry(source.name()).or_default() += confirmed.len() as u64;
        }
        Ok(fetch)
    }

    fn stored(
        &mut self,
        source: Source,
        day: NaiveDate,
        columns: Vec<(String, Values)>,
        rows: u64,
    ) -> Result<(), SyncError> {
        self.stored_days(source, vec![DayWrite::new(day, columns, rows)], None)
    }

    /// Commits `days` of `source` (and what moved on them) as one version.
    fn stored_days(
        &mut self,
        source: Source,
        days: Vec<DayWrite>,
        restated: Option<(String, Vec<(String, Values)>)>,
    ) -> Result<(), SyncError> {
        let mut days = days;
        for d in &mut days {
            d.total = self.day_total(source, d.day);
        }
        let counted: Vec<(NaiveDate, u64)> = days.iter().map(|d| (d.day, d.rows)).collect();
        self.store
            .put_days(source, days, restated, self.opts.today)?;
        for (day, rows) in counted {
            self.count(source, day, rows);
        }
        Ok(())
    }

    /// The organisation's cost of `day` as this run's probe answered it, for a cost source.
    fn day_total(&self, source: Source, day: NaiveDate) -> Option<i64> {
        if !is_cost(source) {
            return None;
        }
        let totals = self.probed.get(probe_endpoint(source))?;
        totals.get(&day).and_then(|t| i64::try_from(*t).ok())
    }

    /// Counts a committed day in the run's summary.
    fn count(&mut self, source: Source, day: NaiveDate, rows: u64) {
        *self.summary.days.entry(source.name()).or_default() += 1;
        self.summary.rows += rows;
        if (self.opts.today - day).num_days() >= crate::store::SETTLE_DAYS {
            self.summary.settled_days += 1;
        } else {
            self.summary.provisional_days += 1;
        }
    }

    fn store_costs(
        &mut self,
        source: Source,
        window: (NaiveDate, NaiveDate),
        rows: Vec<StoredCost>,
    ) -> Result<(), SyncError> {
        let mut by_day: BTreeMap<NaiveDate, Vec<StoredCost>> = BTreeMap::new();
        for r in rows {
            by_day.entry(r.date).or_default().push(r);
        }
        let extra: Vec<NaiveDate> = by_day.keys().copied().collect();
        self.store_days(
            source,
            window,
            &extra,
            &mut |d| Ok(by_day.remove(&d).unwrap_or_default()),
            |r| r,
            cost_columns,
        )
    }

    /// Stores every day of `window` and `extra` (a day with no rows as an empty day), each
    /// day's rows asked of `rows_of` and written before the next is asked (a window is never
    /// in memory at once), recording what moved on days stored before; one version.
    fn store_days<T>(
        &mut self,
        source: Source,
        window: (NaiveDate, NaiveDate),
        extra: &[NaiveDate],
        rows_of: &mut dyn FnMut(NaiveDate) -> Result<Vec<T>, SyncError>,
        fact: fn(&T) -> &StoredCost,
        columns: fn(&[T]) -> Vec<(String, Values)>,
    ) -> Result<(), SyncError> {
        let mut days: std::collections::BTreeSet<NaiveDate> =
            window.0.iter_days().take_while(|d| *d < window.1).collect();
        days.extend(extra.iter().copied());
        let mut staged = self.store.stage(source);
        let mut moved_all: Vec<(&'static str, Restated)> = Vec::new();
        let mut counted = Vec::new();
        for day in days {
            let rows = rows_of(day)?;
            moved_all.extend(
                restatements(self.store, source, day, rows.iter().map(fact))?
                    .into_iter()
                    .map(|r| (source.name(), r)),
            );
            let count = rows.len() as u64;
            let write = DayWrite {
                total: self.day_total(source, day),
                ..DayWrite::new(day, columns(&rows), count)
            };
            drop(rows);
            self.store.stage_day(&mut staged, write, self.opts.today)?;
            counted.push((day, count));
        }
        // What moved commits in the same version as the days it moved on: both or neither,
        // so a sync stopped at any point leaves the record exactly when it left the new days.
        let record = (!moved_all.is_empty())
            .then(|| restatement_file(self.opts.today, source, window.0, &moved_all));
        self.store
            .commit_staged(staged, record, "sync", self.opts.today)?;
        for (day, rows) in counted {
            self.count(source, day, rows);
        }
        self.restated.extend(moved_all);
        Ok(())
    }

    /// Sets aside every row of `path`'s pages (`rows_of` a page) in `spill` under `part`
    /// by day, as the pages arrive; a pass started again forgets the rows of the last.
    #[allow(clippy::too_many_arguments)]
    async fn spill_pages(
        &self,
        path: &str,
        key: &ApiKey,
        params: &[(String, String)],
        beta: Option<&str>,
        part: &'static str,
        spill: &mut Spill,
        rows_of: &mut (dyn FnMut(Value) -> Result<Vec<Value>, SyncError> + Send),
    ) -> Result<(), SyncError> {
        self.client
            .pages_map(path, key, params, beta, &mut |i, page| {
                if i == 0 {
                    spill.clear(part)?;
                }
                for r in rows_of(page)? {
                    let day = parse::day_of(part, &r["starting_at"])?;
                    spill.push(part, day, &r)?;
                }
                Ok(())
            })
            .await?;
        Ok(())
    }

    /// One window of a usage endpoint and its cost twin, grouped by `dims` (cost adds
    /// `cost_dims`), at page size `limit`: (cost pages, usage pages).
    async fn usage_and_cost(
        &self,
        key: &ApiKey,
        (usage_path, cost_path): (&str, &str),
        w: (NaiveDate, NaiveDate),
        limit: &str,
        dims: &[&str],
        cost_dims: &[&str],
    ) -> Result<(Vec<serde_json::Value>, Vec<serde_json::Value>), SyncError> {
        let (s, e) = (ts(w.0), ts(w.1));
        let mut query = params(&[
            ("starting_at", &s),
            ("ending_at", &e),
            ("bucket_width", "1d"),
            ("limit", limit),
        ]);
        let group = |d: &&str| ("group_by[]".to_string(), (*d).to_string());
        query.extend(dims.iter().map(group));
        let usage = self
            .client
            .pages(&format!("{ANALYTICS}/{usage_path}"), key, &query)
            .await?;
        query.extend(cost_dims.iter().map(group));
        let cost = self
            .client
            .pages(&format!("{ANALYTICS}/{cost_path}"), key, &query)
            .await?;
        Ok((cost, usage))
    }

    async fn costs(&mut self, key: &ApiKey, days: &[NaiveDate]) -> Result<(), SyncError> {
        let dims = [
            "product",
            "model",
            "context_window",
            "inference_geo",
            "speed",
        ];
        for w in windows(days, MAX_WINDOW_DAYS) {
            let (s, e) = (ts(w.0), ts(w.1));
            let mut query = params(&[
                ("starting_at", &s),
                ("ending_at", &e),
                ("bucket_width", "1d"),
                ("limit", "1000"),
            ]);
            let group = |d: &&str| ("group_by[]".to_string(), (*d).to_string());
            query.extend(dims.iter().map(group));
            // A page's rows go to disk by day as it arrives: the window is held a day at a
            // time, when the last page says every day is complete.
            let mut spill = Spill::new(self.store.root())?;
            let path = format!("{ANALYTICS}/{LEGACY_USAGE}");
            self.spill_pages(
                &path,
                key,
                &query,
                None,
                LEGACY_USAGE,
                &mut spill,
                &mut |page| parse::into_rows(LEGACY_USAGE, page),
            )
            .await?;
            query.extend(["cost_type", "token_type"].iter().map(group));
            let path = format!("{ANALYTICS}/{LEGACY_COST}");
            self.spill_pages(
                &path,
                key,
                &query,
                None,
                LEGACY_COST,
                &mut spill,
                &mut |page| parse::into_rows(LEGACY_COST, page),
            )
            .await?;
            let request = format!("{ANALYTICS}/{LEGACY_COST}?starting_at={}", w.0);
            let extra: Vec<NaiveDate> = spill.days(LEGACY_COST).into_iter().collect();
            self.store_days(
                Source::Cost,
                w,
                &extra,
                &mut |d| {
                    let usage = spill.take(LEGACY_USAGE, d)?;
                    parse::user_costs_of_rows(spill.take(LEGACY_COST, d)?, &usage)
                        .map_err(|e| e.in_request(request.clone()))
                },
                |r| r,
                cost_columns,
            )?;
            self.progress.step("per-user cost");
        }
        Ok(())
    }

    /// Every cost of the organisation by actor, key and workspace from the Usage and Cost
    /// Analytics API: a 31-day window per request, daily rows, the largest page.
    async fn actor_costs(&mut self, key: &ApiKey, days: &[NaiveDate]) -> Result<(), SyncError> {
        for w in windows(days, MAX_WINDOW_DAYS) {
            let (s, e) = (ts(w.0), ts(w.1));
            let mut query = params(&[
                ("starting_at", &s),
                ("ending_at", &e),
                ("time_bucket_width", "1d"),
                ("limit", usage_cost::LIMIT),
            ]);
            let group = |d: &&str| ("group_by[]".to_string(), (*d).to_string());
            query.extend(usage_cost::GROUP_BY.iter().map(group));
            let beta = Some(usage_cost::BETA);
            // Each page is reshaped as it arrives, its rows set aside on disk by day and the
            // page dropped; the window is then stored a day at a time.
            let mut shaper = usage_cost::Shaper::default();
            let mut spill = Spill::new(self.store.root())?;
            let at = |endpoint: &str| format!("{endpoint}?starting_at={}", w.0);
            let path = usage_cost::USAGE_PATH;
            self.spill_pages(
                path,
                key,
                &query,
                beta,
                NEW_USAGE,
                &mut spill,
                &mut |page| {
                    shaper
                        .page(NEW_USAGE, &page, "usage")
                        .map_err(|e| e.in_request(at(path)))
                },
            )
            .await?;
            query.extend(usage_cost::COST_GROUP_BY.iter().map(group));
            let path = usage_cost::COST_PATH;
            self.spill_pages(path, key, &query, beta, NEW_COST, &mut spill, &mut |page| {
                shaper
                    .page(NEW_COST, &page, "cost")
                    .map_err(|e| e.in_request(at(path)))
            })
            .await?;
            self.store.add_names(shaper.names())?;
            let extra: Vec<NaiveDate> = spill.days(NEW_COST).into_iter().collect();
            self.store_days(
                Source::ActorCost,
                w,
                &extra,
                &mut |d| {
                    let usage = spill.take(NEW_USAGE, d)?;
                    shaper
                        .facts(spill.take(NEW_COST, d)?, &usage)
                        .map_err(|e| e.in_request(at(usage_cost::COST_PATH)))
                },
                |r| &r.fact,
                actor_cost_columns,
            )?;
            self.progress.step("organisation cost by actor");
        }
        Ok(())
    }

    async fn org_costs(&mut self, key: &ApiKey, days: &[NaiveDate]) -> Result<(), SyncError> {
        // Buckets carry at most 100 groups with no remainder row: group coarsely enough
        // (product, model, context window, cost type) that a day never needs more.
        let dims = ["product", "model", "context_window"];
        for w in windows(days, MAX_WINDOW_DAYS) {
            let (cost, usage) = self
                .usage_and_cost(
                    key,
                    ("usage_report", "cost_report"),
                    w,
                    "31",
                    &dims,
                    &["cost_type"],
                )
                .await?;
            for page in cost.iter().chain(usage.iter()) {
                for b in page["data"].as_array().into_iter().flatten() {
                    if b["results"].as_array().is_some_and(|r| r.len() >= 100) {
                        self.summary.warnings.push(format!(
                            "organisation cost of {} has 100 groups, the most a bucket reports: some may be missing",
                            b["starting_at"].as_str().unwrap_or("?")
                        ));
                    }
                }
            }
            let rows = parse::org_costs(&cost, &usage).map_err(|e| {
                e.in_request(format!("{ANALYTICS}/cost_report?starting_at={}", w.0))
            })?;
            self.store_costs(Source::OrgCost, w, rows)?;
            self.progress.step("organisation cost");
        }
        Ok(())
    }

    async fn summaries(&mut self, key: &ApiKey, days: &[NaiveDate]) -> Result<(), SyncError> {
        for w in windows(days, MAX_WINDOW_DAYS) {
            let (s, e) = (w.0.to_string(), w.1.to_string());
            let body = self
                .client
                .one(
                    &format!("{ANALYTICS}/summaries"),
                    key,
                    &params(&[("starting_date", &s), ("ending_date", &e)]),
                )
                .await?;
            let mut by_day: BTreeMap<NaiveDate, Vec<BTreeMap<String, String>>> = BTreeMap::new();
            for d in w.0.iter_days().take_while(|d| *d < w.1) {
                by_day.insert(d, Vec::new());
            }
            let parsed = parse::summaries(&body).map_err(|err| {
                err.in_request(format!(
                    "{ANALYTICS}/summaries?starting_date={s}&ending_date={e}"
                ))
            })?;
            for (day, row) in parsed {
                by_day.entry(day).or_default().push(row);
            }
            let writes = by_day
                .into_iter()
                .map(|(day, rows)| DayWrite::new(day, flat_columns(day, &rows), rows.len() as u64))
                .collect();
            self.stored_days(Source::Summaries, writes, None)?;
            self.progress.step("summaries");
        }
        Ok(())
    }

    /// A per-day endpoint: `concurrency` days in flight, each stored as it arrives, in order.
    async fn per_day(
        &mut self,
        source: Source,
        key: &ApiKey,
        days: &[NaiveDate],
    ) -> Result<(), SyncError> {
        let (path, day_param) = match source {
            Source::Activity => (format!("{ANALYTICS}/users"), "date"),
            Source::Projects => (format!("{ANALYTICS}/apps/chat/projects"), "date"),
            Source::Skills => (format!("{ANALYTICS}/skills"), "date"),
            Source::Connectors => (format!("{ANALYTICS}/connectors"), "date"),
            _ => (
                "/v1/organizations/usage_report/claude_code".to_string(),
                "starting_at",
            ),
        };
        let client = self.client.clone();
        let fetches = stream::iter(days.iter().copied().map(|day| {
            let (client, path, key) = (client.clone(), path.clone(), key.clone());
            async move {
                let query = params(&[(day_param, &day.to_string()), ("limit", "1000")]);
                client
                    .pages(&path, &key, &query)
                    .await
                    .map(|pages| (day, pages))
            }
        }))
        .buffered(self.opts.concurrency.max(1));
        let mut fetches = std::pin::pin!(fetches.into_stream());
        while let Some((day, pages)) = fetches.try_next().await? {
            match source {
                Source::Activity => {
                    let rows = parse::users(day, &pages)
                        .map_err(|e| e.in_request(format!("{path}?{day_param}={day}")))?;
                    let count = rows.len() as u64;
                    self.stored(source, day, activity_columns(&rows), count)?;
                }
                Source::ClaudeCode => {
                    let (people, models) = parse::claude_code(day, &pages)
                        .map_err(|e| e.in_request(format!("{path}?{day_param}={day}")))?;
                    let count = models.len() as u64;
                    self.stored(Source::ClaudeCodeModels, day, model_columns(&models), count)?;
                    let count = people.len() as u64;
                    self.stored(source, day, activity_columns(&people), count)?;
                }
                _ => {
                    let rows = parse::catalogue(source.name(), &pages)
                        .map_err(|e| e.in_request(format!("{path}?{day_param}={day}")))?;
                    let count = rows.len() as u64;
                    self.stored(source, day, flat_columns(day, &rows), count)?;
                }
            }
            self.progress.step(source.name());
        }
        Ok(())
    }
}

/// The days `source` needs (and what it keeps), with `last` days: (cost's, engagement's).
fn plan_days(
    store: &Store,
    source: Source,
    opts: &SyncOptions,
    (yesterday, engaged): (NaiveDate, NaiveDate),
    summary: &mut Summary,
) -> (Source, Need) {
    let last = match source {
        Source::ActorCost | Source::Cost | Source::OrgCost | Source::ClaudeCode => yesterday,
        _ => engaged,
    };
    let days = needed(store, source, opts, last, summary);
    if last < opts.to {
        summary.warnings.push(format!(
            "{}: days after {last} are not available yet",
            source.name()
        ));
    }
    (source, days)
}

/// Syncs `[from, to]` into `store`: every source the keys allow, the days missing and the
/// provisional cost days whose daily totals moved (all with `refresh`). Returns what was done.
pub async fn sync(
    store: &mut Store,
    client: &Client,
    keys: &Keys,
    opts: &SyncOptions,
    progress: &dyn Progress,
) -> Result<Summary, SyncError> {
    check_range(opts.from, opts.to, opts.today)?;
    let yesterday = opts.today - Duration::days(1);
    let engaged = opts.today - Duration::days(opts.engagement_lag_days.max(1));
    // The Usage and Cost Analytics API takes the Analytics key or an Admin key.
    let cost_key = keys.analytics.as_ref().or(keys.admin.as_ref());
    let new_api = opts.cost_api != CostApi::Legacy && cost_key.is_some();
    let mut summary = Summary::default();
    let mut plan: Vec<(Source, Need)> = Vec::new();
    // The older cost reports, fetched only if the Usage and Cost Analytics API refuses the key.
    let mut fallback_sources: Vec<Source> = Vec::new();
    let plan_source = |store: &Store, source: Source, summary: &mut Summary| {
        plan_days(store, source, opts, (yesterday, engaged), summary)
    };
    for source in Source::ALL {
        match source {
            Source::ClaudeCodeModels => continue, // fetched with ClaudeCode
            Source::ActorCost => {
                if new_api {
                    plan.push(plan_source(store, source, &mut summary));
                } else if opts.cost_api != CostApi::Legacy {
                    summary.skipped.push(format!(
                        "{}: no key ({} or {} is not set)",
                        source.name(),
                        crate::key::ANALYTICS_ENV,
                        crate::key::ADMIN_ENV
                    ));
                }
                continue;
            }
            Source::Cost | Source::OrgCost if opts.cost_api == CostApi::Analytics => continue,
            // Planned only if the Usage and Cost Analytics API refuses the key.
            Source::Cost | Source::OrgCost if new_api && keys.analytics.is_some() => {
                fallback_sources.push(source);
                continue;
            }
            _ => {}
        }
        let has_key = if source == Source::ClaudeCode {
            keys.admin.is_some()
        } else {
            keys.analytics.is_some()
        };
        if !has_key {
            let env = if source == Source::ClaudeCode {
                crate::key::ADMIN_ENV
            } else {
                crate::key::ANALYTICS_ENV
            };
            summary
                .skipped
                .push(format!("{}: no key ({env} is not set)", source.name()));
            continue;
        }
        plan.push(plan_source(store, source, &mut summary));
    }
    let steps = |plan: &[(Source, Need)]| -> u64 {
        plan.iter()
            .map(|(s, need)| (s, [need.fetch.clone(), need.check.clone()].concat()))
            .map(|(s, mut d)| {
                d.sort();
                (s, d)
            })
            .map(|(s, d)| match s {
                Source::ActorCost | Source::Cost | Source::OrgCost | Source::Summaries => {
                    windows(&d, MAX_WINDOW_DAYS).len() as u64
                }
                _ => d.len() as u64,
            })
            .sum()
    };
    progress.plan(steps(&plan));
    let mut run = Run {
        store,
        client,
        opts,
        progress,
        summary,
        restated: Vec::new(),
        probed: BTreeMap::new(),
    };
    let mut i = 0;
    while i < plan.len() {
        let (source, need) = plan[i].clone();
        i += 1;
        let key = match source {
            Source::ActorCost => cost_key,
            Source::ClaudeCode => keys.admin.as_ref(),
            _ => keys.analytics.as_ref(),
        }
        .expect("planned only with a key");
        let days = run.pick(source, key, need).await?;
        if days.is_empty() {
            continue;
        }
        match source {
            Source::ActorCost => match run.actor_costs(key, &days).await {
                Err(SyncError::Rejected {
                    status: status @ (401 | 403 | 404),
                    ..
                }) if opts.cost_api == CostApi::Auto && !fallback_sources.is_empty() => {
                    run.summary.warnings.push(format!(
                        "the Usage and Cost Analytics API answered {status} to this key: synced the Enterprise per-user and organisation reports instead (seat users' cost per person, everything else as one organisation total); `allot sync --check` says more"
                    ));
                    // Fetch them right after, in place of the days the new API would have given.
                    let fallback: Vec<(Source, Need)> = std::mem::take(&mut fallback_sources)
                        .into_iter()
                        .map(|s| plan_source(run.store, s, &mut run.summary))
                        .collect();
                    run.progress.plan(steps(&plan[i..]) + steps(&fallback));
                    for (j, f) in fallback.into_iter().enumerate() {
                        plan.insert(i + j, f);
                    }
                }
                other => other?,
            },
            Source::Cost => run.costs(key, &days).await?,
            Source::OrgCost => run.org_costs(key, &days).await?,
            Source::Summaries => run.summaries(key, &days).await?,
            _ => run.per_day(source, key, &days).await?,
        }
    }
    if !run.restated.is_empty() {
        let restated = &run.restated;
        let counted = |x: &&(&'static str, Restated)| {
            x.0 == Source::Cost.name() || x.0 == Source::ActorCost.name()
        };
        run.summary.restated_rows = restated.iter().filter(counted).count() as u64;
        run.summary.restated_nanos = restated
            .iter()
            .filter(counted)
            .map(|x| x.1 .4 - x.1 .3)
            .sum();
    }
    // The names of keys, workspaces and people, once a day, with the Admin key.
    if let Some(admin) = keys.admin.as_ref() {
        run.list_names(admin).await?;
    }
    // A month whose days have all settled is folded into one file per source; files no
    // version within the retention names are removed.
    let compacted = run
        .store
        .compact(opts.today, Some(crate::store::KEEP_DAYS))?;
    run.summary.compacted = compacted.months;
    let stats = client.stats();
    let get = |a: &std::sync::atomic::AtomicU64| a.load(std::sync::atomic::Ordering::Relaxed);
    run.summary.requests = get(&stats.requests);
    run.summary.retries = get(&stats.retries);
    run.summary.rate_limited = get(&stats.rate_limited);
    run.summary.restarts = get(&stats.restarts);
    Ok(run.summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn runs_of_days_become_windows_of_at_most_31_days() {
        let days: Vec<NaiveDate> = d("2026-08-01")
            .iter_days()
            .take(40)
            .chain(d("2026-09-20").iter_days().take(2))
            .collect();
        assert_eq!(
            windows(&days, 31),
            vec![
                (d("2026-08-01"), d("2026-09-01")),
                (d("2026-09-01"), d("2026-09-10")),
                (d("2026-09-20"), d("2026-09-22")),
            ]
        );
    }

    #[test]
    fn out_of_range_requests_are_refused_before_any_request() {
        let today = d("2026-11-23");
        assert!(check_range(d("2025-12-31"), d("2026-01-05"), today)
            .unwrap_err()
            .to_string()
            .contains("2026-01-01"));
        assert!(check_range(d("2026-09-01"), d("2026-11-23"), today)
            .unwrap_err()
            .to_string()
            .contains("2026-11-22"));
        let later = d("2027-03-01");
        assert!(check_range(d("2026-02-01"), d("2026-02-05"), later)
            .unwrap_err()
            .to_string()
            .contains("365 days"));
        check_range(d("2026-09-01"), d("2026-11-22"), today).unwrap();
    }
}
