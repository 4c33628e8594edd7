//! What an operator runs to keep allot's inputs whole, answered here like every report: a sync
//! (planned, then run), the store's verify, migrate and compact, a mapping's check, and the
//! fake Anthropic API. Front ends parse flags, show progress and print; they decide nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use allot_core::money::format_cents;
use allot_core::{Month, Nanos};
use allot_mapping::{Finding, OrgMapping, ReadOptions, Severity};
use allot_sync::store::{Compacted, DayProblem, Snapshot, StoreState};
use allot_sync::{Client, ClientConfig, CostApi, Keys, Progress, Store, Summary, SyncOptions};
use chrono::{Duration, NaiveDate};

use crate::error::{runtime, AppError};

/// What a sync is asked to do (the flags or settings of `allot sync`).
#[derive(Debug, Clone)]
pub struct SyncJob {
    /// The store folder.
    pub store: PathBuf,
    /// The first day to fetch (default: the first day of the month two months back).
    pub from: Option<NaiveDate>,
    /// The last day to fetch (default: yesterday).
    pub to: Option<NaiveDate>,
    /// The day the sync runs as (settlement is judged from it).
    pub today: NaiveDate,
    /// Ask again for days already fetched past their lag.
    pub refresh: bool,
    /// Days after which a day's engagement data is available.
    pub engagement_lag_days: i64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Which cost API to read.
    pub cost_api: CostApi,
    /// Fetch again the days `allot store verify` names.
    pub repair: bool,
    /// Wait for another sync holding the store instead of failing.
    pub wait: bool,
    /// The HTTP client's settings (base URL, rate, backoff).
    pub client: ClientConfig,
}

/// A sync planned: the store opened (and locked), the range decided, the days to repair named.
pub struct Syncing {
    store: Store,
    client: Client,
    /// The days to fetch and how.
    pub options: SyncOptions,
    /// The stored days found missing or damaged, fetched again (with `--repair`).
    pub repairs: Vec<DayProblem>,
}

impl SyncJob {
    /// Opens the store and plans the sync: the default range (two months back to yesterday),
    /// widened to reach any day to repair, checked against what the API can be asked.
    pub fn plan(&self) -> Result<Syncing, AppError> {
        let store = Store::open(&self.store, self.wait)?;
        let repairs = if self.repair {
            allot_sync::store::problems(store.snapshot(), true)
        } else {
            Vec::new()
        };
        let default_from = Month::of(self.today).prev().prev().first_day();
        let from = self.from.unwrap_or(default_from);
        let from = repairs
            .iter()
            .map(|p| p.day)
            .min()
            .map_or(from, |day| day.min(from));
        let to = self.to.unwrap_or(self.today - Duration::days(1));
        allot_sync::sync::check_range(from, to, self.today)?;
        let client = Client::new(self.client.clone())?;
        Ok(Syncing {
            store,
            client,
            options: SyncOptions {
                from,
                to,
                today: self.today,
                refresh: self.refresh,
                engagement_lag_days: self.engagement_lag_days,
                concurrency: self.concurrency,
                cost_api: self.cost_api,
            },
            repairs,
        })
    }
}

impl Syncing {
    /// Runs the planned sync: forgets the days to repair, then fetches what is missing or
    /// moved, reporting each step to `progress`.
    pub fn run(mut self, keys: &Keys, progress: &dyn Progress) -> Result<Summary, AppError> {
        if !self.repairs.is_empty() {
            self.store.forget(&self.repairs, Some(self.options.today))?;
        }
        let summary = runtime(true)?.block_on(allot_sync::sync(
            &mut self.store,
            &self.client,
            keys,
            &self.options,
            progress,
        ))?;
        Ok(summary)
    }
}

/// The source-days a sync of `today` has stored so far in `store` (what an interrupted sync
/// kept).
pub fn kept_today(store: &Path, today: NaiveDate) -> usize {
    allot_sync::store::read_state(store).map_or(0, |state: StoreState| {
        state
            .days
            .values()
            .map(|days| days.values().filter(|e| e.fetched_on == today).count())
            .sum()
    })
}

/// What a sync's summary says, one line each.
pub fn describe(summary: &Summary) -> Vec<String> {
    let days: Vec<String> = summary
        .days
        .iter()
        .map(|(source, n)| format!("{source} {n}"))
        .collect();
    let mut lines = vec![
        format!(
            "sync: {} requests ({} retried, {} rate-limited, {} paginations restarted)",
            summary.requests, summary.retries, summary.rate_limited, summary.restarts
        ),
        format!(
            "days fetched: {} ({} settled, {} provisional); rows stored: {}",
            if days.is_empty() {
                "none".to_string()
            } else {
                days.join(", ")
            },
            summary.settled_days,
            summary.provisional_days,
            summary.rows
        ),
    ];
    if !summary.kept.is_empty() {
        let kept: u64 = summary.kept.values().sum();
        lines.push(format!(
            "already settled in the store, not fetched again: {kept} source-days"
        ));
    }
    let sum = |m: &std::collections::BTreeMap<&'static str, u64>| m.values().sum::<u64>();
    if !summary.confirmed.is_empty() {
        lines.push(format!(
            "provisional cost days confirmed unchanged by the organisation's daily totals ({} request{}), not fetched again: {} source-days",
            summary.probe_requests,
            if summary.probe_requests == 1 { "" } else { "s" },
            sum(&summary.confirmed)
        ));
    }
    if !summary.final_days.is_empty() {
        lines.push(format!(
            "engagement days already fetched past their lag (final; `--refresh` asks again): {} source-days",
            sum(&summary.final_days)
        ));
    }
    if !summary.fresh.is_empty() {
        lines.push(format!(
            "fetched or confirmed earlier today, not asked again: {} source-days",
            sum(&summary.fresh)
        ));
    }
    if summary.restated_rows > 0 {
        lines.push(format!(
            "restated: {} cost values changed since the last sync (net ${}); `allot restatements --month M` lists them",
            summary.restated_rows,
            format_cents(Nanos(summary.restated_nanos).round_cents())
        ));
    }
    for warning in &summary.warnings {
        lines.push(format!("note: {warning}"));
    }
    for skipped in &summary.skipped {
        lines.push(format!("skipped: {skipped}"));
    }
    if !summary.compacted.is_empty() {
        lines.push(format!(
            "settled months folded into one file each: {}",
            summary.compacted.join(", ")
        ));
    }
    lines
}

/// Refuses a folder that holds no store.
pub fn a_store(store: &Path) -> Result<(), AppError> {
    if !store.join("store.json").exists() && !store.join("state.json").exists() {
        return Err(AppError::Usage(format!(
            "`{}` is not a store: it has no store.json (`allot sync --store {}` makes one)",
            store.display(),
            store.display()
        )));
    }
    Ok(())
}

/// What `allot store verify` found: every recorded day that is not what the log records.
#[derive(Debug)]
pub struct StoreCheck {
    /// The days missing or damaged.
    pub problems: Vec<DayProblem>,
    /// The days the log records, over every source.
    pub days: usize,
    /// The files the tables hold.
    pub files: usize,
    /// Each table's newest version, `source vN`.
    pub versions: Vec<String>,
}

/// Verifies every day the store's log records against its files.
pub fn verify_store(store: &Path) -> Result<StoreCheck, AppError> {
    a_store(store)?;
    let snap = Snapshot::read(store)?;
    let problems = allot_sync::store::problems(&snap, true);
    let days = snap
        .state()
        .days
        .values()
        .map(std::collections::BTreeMap::len)
        .sum();
    let files = snap.tables.values().map(|t| t.files.len()).sum();
    let versions = snap
        .stamp()
        .iter()
        .map(|(source, version)| format!("{} v{version}", source.name()))
        .collect();
    Ok(StoreCheck {
        problems,
        days,
        files,
        versions,
    })
}

/// Migrates an older store to a Delta Lake table per source; returns the days moved per source
/// (empty: nothing to do).
pub fn migrate_store(store: &Path) -> Result<Vec<(&'static str, u64)>, AppError> {
    a_store(store)?;
    Ok(allot_sync::store::migrate(store)?.into_iter().collect())
}

/// Folds settled months into one file each and removes files no kept version names.
pub fn compact_store(
    store: &Path,
    today: NaiveDate,
    keep_days: i64,
) -> Result<Compacted, AppError> {
    a_store(store)?;
    let mut opened = Store::open(store, false)?;
    Ok(opened.compact(today, Some(keep_days))?)
}

/// What `allot mapping check` found in a mapping file: its counts and every finding.
#[derive(Debug)]
pub struct MappingCheck {
    /// The mapping as read.
    pub mapping: OrgMapping,
    /// Every problem, errors and warnings.
    pub findings: Vec<Finding>,
    /// Distinct people mapped.
    pub people: usize,
    /// Distinct non-person actors mapped (API keys, workspaces, service accounts, principals,
    /// accounts).
    pub actors: usize,
    /// Distinct cost centers.
    pub cost_centers: usize,
}

impl MappingCheck {
    /// The findings that are errors.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// The findings that are warnings.
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// Reads a mapping file and finds every problem in it at once.
pub fn check_mapping(file: &Path, options: &ReadOptions) -> Result<MappingCheck, AppError> {
    let (mapping, findings) = OrgMapping::check_file(file, options)?;
    let distinct = |person: bool| {
        mapping
            .rows
            .iter()
            .filter(|row| row.is_person() == person)
            .map(|row| row.email.as_str())
            .collect::<BTreeSet<&str>>()
            .len()
    };
    let people = distinct(true);
    let actors = distinct(false);
    let cost_centers = mapping
        .rows
        .iter()
        .map(|row| row.cost_center.as_str())
        .collect::<BTreeSet<&str>>()
        .len();
    Ok(MappingCheck {
        mapping,
        findings,
        people,
        actors,
        cost_centers,
    })
}

/// How the fake Anthropic API is run (`allot fake-api`).
#[derive(Debug, Clone)]
pub struct FakeApi {
    /// The fake's today.
    pub today: NaiveDate,
    /// The Analytics key it accepts (the Admin key is this with `-admin`).
    pub key: String,
    /// The port on 127.0.0.1 (0: any free one).
    pub port: u16,
    /// Requests per minute before it answers 429.
    pub rate_per_minute: u32,
    /// Inject a mix of every fault (503s, expired cursors, dropped connections, cut bodies).
    pub faults: bool,
    /// Answer as an API that changed would (renamed fields).
    pub drift: bool,
    /// Days whose cost it revises (empty: every day less than 30 days old).
    pub revised_days: Vec<NaiveDate>,
    /// API keys renamed (`id`, `name`).
    pub key_names: Vec<(String, String)>,
    /// Serve a generated organisation of this many people instead of the demo's.
    pub people: Option<u64>,
    /// Plant the demo's events in the weeks before today.
    pub events: bool,
    /// Revisions of recent values applied before serving.
    pub revisions: u32,
}

impl FakeApi {
    /// Serves until the process ends; `listening` is told the address once it is bound.
    pub fn serve(&self, listening: impl FnOnce(std::net::SocketAddr)) -> Result<(), AppError> {
        use allot_fake_api::{Config, Faults, State};
        let config = Config {
            rate_per_minute: self.rate_per_minute,
            faults: Faults {
                drift: self.drift,
                ..if self.faults {
                    Faults::all()
                } else {
                    Faults::default()
                }
            },
            revised_days: self.revised_days.clone(),
            key_names: self.key_names.clone(),
            ..Config::new(self.today, &self.key)
        };
        let state = match self.people {
            Some(n) => State::with_org(config, allot_synth::scale_org(n)),
            // The demo organisation with the events `allot demo` plants in the weeks before
            // the fake's today (a team ramping up, a new heavy spender, a move into the long
            // context window), so alerts on a store synced from it fire as the examples show.
            None if self.events => State::with_org(config, allot_synth::demo_org_at(self.today)),
            None => State::new(config),
        };
        for _ in 0..self.revisions {
            state.revise();
        }
        let port = self.port;
        runtime(true)?.block_on(async move {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
                .await
                .map_err(|source| AppError::Serve {
                    what: format!("cannot listen on 127.0.0.1:{port}"),
                    source,
                })?;
            let addr = listener.local_addr().map_err(|source| AppError::Serve {
                what: format!("cannot listen on 127.0.0.1:{port}"),
                source,
            })?;
            listening(addr);
            allot_fake_api::serve(listener, state)
                .await
                .map_err(|source| AppError::Serve {
                    what: format!("serving the fake API on {addr}"),
                    source,
                })
        })
    }
}
