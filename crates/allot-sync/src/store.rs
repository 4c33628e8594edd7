//! The local store: a Delta Lake table per source (`facts/<source>/`, partitioned by
//! `month`, its log in `_delta_log/`; see [`crate::delta`]), readable by any engine that reads
//! Delta. Each version of a table commits together the days a sync replaced, what the sync
//! recorded of them (fetched when, how many rows: the `allot.days` tag of each file) and the
//! restatement records of what moved; a reader pins one version per table for its whole run
//! ([`Snapshot`]), `--as-of` reads the version current on a day, and a lock keeps a second
//! writer out. Data files are written once under names of their own and never rewritten, so a
//! sync killed at any point leaves the last committed version whole.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use allot_core::identity::{NameHistory, Names};
use allot_engine::table_parquet::{write_parquet, Values};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::delta;
use crate::error::SyncError;

/// Days younger than this (relative to the day they were fetched) may still be revised.
pub const SETTLE_DAYS: i64 = 30;

/// What the store holds, one folder each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// Every cost of the organisation by actor, API key and workspace, with tokens, from the
    /// Usage and Cost Analytics API (`analytics/cost` + `analytics/usage`): seat users' cost
    /// and everything no seat user is behind. Where a day has it, reports read it instead of
    /// `cost` and `org_cost` (one truth per day).
    ActorCost,
    /// Per-user daily cost with tokens (`user_cost_report` + `user_usage_report`): cost facts.
    Cost,
    /// Organisation-level daily cost with tokens (`cost_report` + `usage_report`), including
    /// usage no seat user is behind.
    OrgCost,
    /// Per-user daily engagement and Claude Code activity (`users`): activity facts.
    Activity,
    /// Per-user daily Claude Code activity from the Admin API (`usage_report/claude_code`).
    ClaudeCode,
    /// Per-user, per-model Claude Code tokens and estimated cost (Admin API).
    ClaudeCodeModels,
    /// Daily active users, seats and pending invites (`summaries`).
    Summaries,
    /// Chat project usage (`apps/chat/projects`).
    Projects,
    /// Skill usage (`skills`).
    Skills,
    /// Connector usage (`connectors`).
    Connectors,
}

impl Source {
    /// Every source, in sync order.
    pub const ALL: [Source; 10] = [
        Source::ActorCost,
        Source::Cost,
        Source::OrgCost,
        Source::Summaries,
        Source::Activity,
        Source::Projects,
        Source::Skills,
        Source::Connectors,
        Source::ClaudeCode,
        Source::ClaudeCodeModels,
    ];

    /// The folder name, also the name in `state.json`.
    pub fn name(self) -> &'static str {
        match self {
            Source::ActorCost => "actor_cost",
            Source::Cost => "cost",
            Source::OrgCost => "org_cost",
            Source::Activity => "activity",
            Source::ClaudeCode => "claude_code",
            Source::ClaudeCodeModels => "claude_code_models",
            Source::Summaries => "summaries",
            Source::Projects => "projects",
            Source::Skills => "skills",
            Source::Connectors => "connectors",
        }
    }
}

/// What the sync records of one fetched day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEntry {
    /// The day it was fetched (the as-of date of the sync).
    pub fetched_on: NaiveDate,
    /// Rows stored for the day.
    pub rows: u64,
    /// The last day a sync asked the organisation's daily total and found it unchanged, so
    /// the stored rows were confirmed without fetching them again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_on: Option<NaiveDate>,
    /// The organisation's cost of the day as the daily-total probe last answered it,
    /// nano-dollars: what the next probe is compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<i64>,
}

impl DayEntry {
    /// A day fetched on `fetched_on` with `rows` rows, not yet confirmed.
    pub fn fetched(fetched_on: NaiveDate, rows: u64) -> DayEntry {
        DayEntry {
            fetched_on,
            rows,
            checked_on: None,
            total: None,
        }
    }

    /// The last day the API vouched for the stored values: fetched, or confirmed unchanged.
    pub fn seen_on(&self) -> NaiveDate {
        self.checked_on
            .map_or(self.fetched_on, |c| c.max(self.fetched_on))
    }

    /// Whether the stored values are final: fetched, or confirmed unchanged, when the day was
    /// at least 30 days old.
    pub fn settled(&self, day: NaiveDate) -> bool {
        (self.seen_on() - day).num_days() >= SETTLE_DAYS
    }
}

/// `state.json`: per source, per day, when it was fetched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreState {
    /// Format version.
    pub version: u32,
    /// source name → day → entry.
    pub days: BTreeMap<String, BTreeMap<NaiveDate, DayEntry>>,
}

/// The store format this allot reads and writes (`store.json`'s `format`): 2 is a Delta Lake
/// table per source; 1 was a folder of day files vouched for by `state.json`
/// (`allot store migrate` upgrades it).
pub const STORE_VERSION: u32 = 2;

/// The partition column of every table: the month of the rows' `date` (`2026-09`), so that a
/// month's settled days can be folded into one file (`allot store compact`).
pub const PARTITION: &str = "month";

/// The tag of an `add` action that records what the sync stored of each day of the file:
/// `{"2026-09-15": {"fetched_on": "2026-10-20", "rows": 12}}`.
pub const DAYS_TAG: &str = "allot.days";

/// How long files a newer version replaced are kept for time travel (`--as-of`) by
/// `allot store compact`: long enough to reproduce a year's closes, each made after its month
/// settled.
pub const KEEP_DAYS: i64 = 400;

impl Source {
    /// Whether its settled days are folded into monthly files. The older per-user and
    /// organisation reports are not: a day of theirs can be shadowed later by the Usage and
    /// Cost Analytics API's (one truth per day), so each of their days stays a file of its own.
    pub fn compacts(self) -> bool {
        !matches!(self, Source::Cost | Source::OrgCost)
    }

    /// The source of a folder name.
    pub fn from_name(name: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// The folder of `source`'s table in the store at `root`.
pub fn source_dir(root: &Path, source: Source) -> PathBuf {
    root.join("facts").join(source.name())
}

/// A data file live in a version of a table, and the days the sync recorded in it.
#[derive(Debug, Clone)]
pub struct LiveFile {
    /// Its path (the store's folder joined with the table's and the log's relative path).
    pub path: PathBuf,
    /// The `add` action that made it live.
    pub add: delta::Add,
    /// What the sync recorded of each of its days.
    pub days: BTreeMap<NaiveDate, DayEntry>,
}

/// One committed version of a table, as the store reads its `commitInfo`.
#[derive(Debug, Clone)]
pub struct Commit {
    /// The version.
    pub version: u64,
    /// The as-of date of the sync (or compaction) that committed it.
    pub as_of: Option<NaiveDate>,
    /// `sync`, `repair`, `compact`, `migrate`.
    pub op: String,
    /// The restatement records committed with it, when a provisional day's cost moved.
    pub restatements: Option<PathBuf>,
    /// The files it removed (relative to the table).
    pub removed: Vec<String>,
    /// The files it added (relative to the table).
    pub added: Vec<String>,
}

/// One table (a source) at one version.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The version read (None: the table has none yet).
    pub version: Option<u64>,
    /// The newest committed version (what a reader pinned to an older one could read).
    pub head: Option<u64>,
    /// Live files by relative path.
    pub files: BTreeMap<String, LiveFile>,
    /// Every version read, oldest first.
    pub commits: Vec<Commit>,
    /// The table's columns and Delta types (partition column aside).
    pub schema: Vec<(String, String)>,
    /// The table id.
    pub id: Option<String>,
}

impl Table {
    fn apply(&mut self, dir: &Path, version: u64, actions: Vec<delta::Action>) {
        let mut commit = Commit {
            version,
            as_of: None,
            op: String::new(),
            restatements: None,
            removed: Vec::new(),
            added: Vec::new(),
        };
        for a in actions {
            match a {
                delta::Action::MetaData(m) => {
                    self.schema = delta::schema_columns(&m);
                    self.id = m["id"].as_str().map(str::to_string);
                }
                delta::Action::Add(add) => {
                    let days = add
                        .tags
                        .get(DAYS_TAG)
                        .and_then(|t| serde_json::from_str(t).ok())
                        .unwrap_or_default();
                    commit.added.push(add.path.clone());
                    self.files.insert(
                        add.path.clone(),
                        LiveFile {
                            path: dir.join(&add.path),
                            add,
                            days,
                        },
                    );
                }
                delta::Action::Remove(r) => {
                    self.files.remove(&r.path);
                    commit.removed.push(r.path);
                }
                delta::Action::CommitInfo(c) => {
                    let allot = &c["allot"];
                    commit.as_of = allot["asOf"]
                        .as_str()
                        .and_then(allot_core::date::parse_date);
                    commit.op = allot["op"].as_str().unwrap_or_default().to_string();
                    commit.restatements = allot["restatements"].as_str().map(|p| dir.join(p));
                }
                delta::Action::Protocol { .. } | delta::Action::Other => {}
            }
        }
        self.version = Some(version);
        self.commits.push(commit);
    }

    /// What the sync recorded of each day the version holds.
    pub fn entries(&self) -> BTreeMap<NaiveDate, DayEntry> {
        let mut out = BTreeMap::new();
        for f in self.files.values() {
            out.extend(f.days.iter().map(|(d, e)| (*d, *e)));
        }
        out
    }
}

/// What a reader sees of a store: every table pinned at one version for the whole run, so a
/// sync committing meanwhile changes nothing it reads (the files a version names are never
/// rewritten, only removed by a later version and vacuumed after [`KEEP_DAYS`]).
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The store's folder.
    pub root: PathBuf,
    /// Each source's table.
    pub tables: BTreeMap<Source, Table>,
    /// Restatement files of a store migrated from format 1 (`restatements/`).
    pub legacy_restatements: Vec<PathBuf>,
    /// Set when the snapshot was asked as of a day before the store's first sync: it is then
    /// the first sync's (what allot knew first), and this is that sync's date.
    pub first_sync_after: Option<NaiveDate>,
}

/// What a store folder is.
fn format_of(root: &Path) -> Result<Option<u32>, SyncError> {
    let marker = root.join("store.json");
    match fs::read(&marker) {
        Ok(bytes) => {
            let v: serde_json::Value =
                serde_json::from_slice(&bytes).map_err(|e| SyncError::Io {
                    path: marker.clone(),
                    source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                })?;
            let format = v["format"].as_u64().unwrap_or(0);
            Ok(Some(u32::try_from(format).unwrap_or(u32::MAX)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Format 1 kept its version in `state.json`.
            let state = root.join("state.json");
            match fs::read(&state) {
                Ok(bytes) => {
                    let v: serde_json::Value =
                        serde_json::from_slice(&bytes).map_err(|e| SyncError::Io {
                            path: state.clone(),
                            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
                        })?;
                    let v = v["version"].as_u64().unwrap_or(1).max(1);
                    Ok(Some(if v == 1 {
                        1
                    } else {
                        u32::try_from(v).unwrap_or(u32::MAX).max(STORE_VERSION + 1)
                    }))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(io(&state, source)),
            }
        }
        Err(source) => Err(io(&marker, source)),
    }
}

/// Refuses a store this allot cannot read as it is.
fn check_format(root: &Path, format: Option<u32>) -> Result<(), SyncError> {
    match format {
        Some(1) => Err(SyncError::Plan(format!(
            "the store `{}` is in the format of an older allot (day files and state.json): run `allot store migrate --store {}` (or `allot sync`, which migrates it first) to make it a Delta Lake table per source; nothing was read or changed",
            root.display(),
            root.display()
        ))),
        Some(v) if v > STORE_VERSION => Err(SyncError::Plan(format!(
            "the store `{}` is of format version {v}, newer than this allot reads ({STORE_VERSION}): upgrade allot to read it (nothing was read or changed)",
            root.display()
        ))),
        _ => Ok(()),
    }
}

impl Snapshot {
    /// The newest committed version of every table of the store at `root` (an empty snapshot
    /// when there is no store yet).
    pub fn read(root: &Path) -> Result<Snapshot, SyncError> {
        Snapshot::read_as_of(root, None)
    }

    /// The store as known on `as_of`: every table at the last version committed by a sync of
    /// that day or before (time travel). A store first synced after `as_of` is read as that
    /// first sync left it ([`Snapshot::first_sync_after`] says so).
    pub fn read_as_of(root: &Path, as_of: Option<NaiveDate>) -> Result<Snapshot, SyncError> {
        check_format(root, format_of(root)?)?;
        let mut snap = Snapshot {
            root: root.to_path_buf(),
            ..Snapshot::default()
        };
        for source in Source::ALL {
            let dir = source_dir(root, source);
            let versions = delta::versions(&dir)?;
            let mut table = Table {
                head: versions.last().copied(),
                ..Table::default()
            };
            let mut first: Option<NaiveDate> = None;
            for v in versions {
                let actions = delta::read_version(&dir, v)?;
                let day = actions.iter().find_map(|a| match a {
                    delta::Action::CommitInfo(c) => c["allot"]["asOf"]
                        .as_str()
                        .and_then(allot_core::date::parse_date),
                    _ => None,
                });
                if let (Some(limit), Some(day)) = (as_of, day) {
                    let first = *first.get_or_insert(day);
                    if day > limit && day > first {
                        break;
                    }
                    if day > limit {
                        snap.first_sync_after = Some(first);
                    }
                }
                table.apply(&dir, v, actions);
            }
            if table.head.is_some() {
                snap.tables.insert(source, table);
            }
        }
        let legacy = root.join("restatements");
        if let Ok(entries) = fs::read_dir(&legacy) {
            for e in entries.flatten() {
                let path = e.path();
                if path.extension().is_some_and(|x| x == "parquet") {
                    snap.legacy_restatements.push(path);
                }
            }
        }
        snap.legacy_restatements.sort();
        Ok(snap)
    }

    /// The table of `source` (empty when it has none).
    pub fn table(&self, source: Source) -> Option<&Table> {
        self.tables.get(&source)
    }

    /// What the sync recorded of each day of `source` in this snapshot.
    pub fn entries(&self, source: Source) -> BTreeMap<NaiveDate, DayEntry> {
        self.table(source).map(Table::entries).unwrap_or_default()
    }

    /// The recorded days of every source (the shape `state.json` had).
    pub fn state(&self) -> StoreState {
        StoreState {
            version: STORE_VERSION,
            days: self
                .tables
                .iter()
                .map(|(s, t)| (s.name().to_string(), t.entries()))
                .collect(),
        }
    }

    /// The live files of `source`, in path order.
    pub fn files(&self, source: Source) -> Vec<PathBuf> {
        self.table(source)
            .map(|t| t.files.values().map(|f| f.path.clone()).collect())
            .unwrap_or_default()
    }

    /// The live files of `source` holding any day `wanted` accepts, each once.
    pub fn files_with(&self, source: Source, wanted: &dyn Fn(NaiveDate) -> bool) -> Vec<PathBuf> {
        self.table(source)
            .map(|t| {
                t.files
                    .values()
                    .filter(|f| f.days.keys().any(|d| wanted(*d)))
                    .map(|f| f.path.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The live file holding `day` of `source`, with every day it holds.
    pub fn file_of(&self, source: Source, day: NaiveDate) -> Option<&LiveFile> {
        self.table(source)?
            .files
            .values()
            .find(|f| f.days.contains_key(&day))
    }

    /// Each table's version: what identifies the store's contents (the dashboard's cache
    /// follows it).
    pub fn stamp(&self) -> Vec<(Source, u64)> {
        self.tables
            .iter()
            .filter_map(|(s, t)| Some((*s, t.version?)))
            .collect()
    }

    /// The restatement files of this snapshot's versions (and of a migrated store's
    /// `restatements/`), with the as-of date and version of the sync that recorded each.
    pub fn restatement_files(&self) -> Vec<(Option<u64>, PathBuf)> {
        let mut out: Vec<(Option<u64>, PathBuf)> = self
            .legacy_restatements
            .iter()
            .map(|p| (None, p.clone()))
            .collect();
        for t in self.tables.values() {
            for c in &t.commits {
                if let Some(p) = &c.restatements {
                    out.push((Some(c.version), p.clone()));
                }
            }
        }
        out
    }

    /// Whether anything was ever committed.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

/// The newest version of each table of the store at `root`, from the log folders alone (no
/// log is read): cheap enough to ask before every dashboard request.
pub fn head(root: &Path) -> Vec<(Source, u64)> {
    Source::ALL
        .into_iter()
        .filter_map(|s| Some((s, *delta::versions(&source_dir(root, s)).ok()?.last()?)))
        .collect()
}

/// The newest version of each table of the store at `root` and when the newest of them was
/// committed (its log file's modification time): what the dashboard follows.
pub fn head_stamp(root: &Path) -> (Vec<(Source, u64)>, Option<std::time::SystemTime>) {
    let versions = head(root);
    let newest = versions
        .iter()
        .filter_map(|(s, v)| {
            fs::metadata(delta::log_file(&source_dir(root, *s), *v))
                .ok()?
                .modified()
                .ok()
        })
        .max();
    (versions, newest)
}

/// The live files of `source` in the newest version of the store at `root`.
pub fn files(root: &Path, source: Source) -> Result<Vec<PathBuf>, SyncError> {
    Ok(Snapshot::read(root)?.files(source))
}

/// What the newest version of the store at `root` records of each day of each source.
pub fn read_state(root: &Path) -> Result<StoreState, SyncError> {
    Ok(Snapshot::read(root)?.state())
}

fn io(path: &Path, source: std::io::Error) -> SyncError {
    SyncError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `bytes` to `target` through a temporary file in the same folder, synced, then renamed.
fn write_atomic(
    target: &Path,
    fill: impl FnOnce(&mut File) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let dir = target.parent().expect("a file in a folder");
    fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let name = target.file_name().expect("file name").to_string_lossy();
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = File::create(&tmp).map_err(|e| io(&tmp, e))?;
        fill(&mut file)?;
        file.sync_all().map_err(|e| io(&tmp, e))?;
        fs::rename(&tmp, target).map_err(|e| io(target, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A stored day that is not what the store's log records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayProblem {
    /// The source.
    pub source: Source,
    /// The day.
    pub day: NaiveDate,
    /// What is wrong, in words.
    pub problem: String,
}

/// Checks every file the newest version of every table names: present always; with `deep`,
/// also readable, with the rows the sync recorded. A problem is named for each day the file
/// held.
pub fn verify(root: &Path, deep: bool) -> Result<Vec<DayProblem>, SyncError> {
    Ok(problems(&Snapshot::read(root)?, deep))
}

/// The days of `snap` whose files are not what its log records (see [`verify`]).
pub fn problems(snap: &Snapshot, deep: bool) -> Vec<DayProblem> {
    let mut out = Vec::new();
    for (source, table) in &snap.tables {
        for f in table.files.values() {
            let recorded: u64 = f.days.values().map(|e| e.rows).sum();
            let problem = if !f.path.exists() {
                Some(format!("its file `{}` is missing", f.path.display()))
            } else if deep {
                match allot_engine::parquet_rows(&f.path) {
                    Err(e) => Some(e.to_string()),
                    Ok(n) if n != recorded => Some(format!(
                        "its file `{}` holds {n} rows where the sync stored {recorded}",
                        f.path.display()
                    )),
                    Ok(_) => None,
                }
            } else {
                None
            };
            if let Some(problem) = problem {
                out.extend(f.days.keys().map(|day| DayProblem {
                    source: *source,
                    day: *day,
                    problem: problem.clone(),
                }));
            }
        }
    }
    out
}

/// One day to store: its columns and rows.
#[derive(Debug)]
pub struct DayWrite {
    /// The day.
    pub day: NaiveDate,
    /// Its rows, by column (a `date` column among them).
    pub columns: Vec<(String, Values)>,
    /// How many.
    pub rows: u64,
    /// The organisation's cost of the day as the daily-total probe answered it (cost sources),
    /// recorded so that the next probe compares like with like.
    pub total: Option<i64>,
}

impl DayWrite {
    /// A day of `rows` rows with no daily total recorded.
    pub fn new(day: NaiveDate, columns: Vec<(String, Values)>, rows: u64) -> DayWrite {
        DayWrite {
            day,
            columns,
            rows,
            total: None,
        }
    }
}

/// What `allot store compact` did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Compacted {
    /// Months folded into one file, per source ("actor_cost 2026-09").
    pub months: Vec<String>,
    /// Day files folded.
    pub files_in: u64,
    /// Files removed from disk because no version within the retention names them.
    pub vacuumed: u64,
    /// Bytes those held.
    pub vacuumed_bytes: u64,
}

/// A version of one source's table being written: the day files written so far and the
/// schema they widen, committed by [`Store::commit_staged`].
#[derive(Debug)]
pub struct Staged {
    source: Source,
    version: u64,
    schema: Vec<(String, String)>,
    days: std::collections::BTreeSet<NaiveDate>,
    adds: Vec<delta::Action>,
}

/// A store opened for syncing: holds the lock until dropped.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    snap: Snapshot,
    _lock: File,
}

impl Store {
    /// Opens (creating it if needed) the store at `root` for writing. Another sync holding it
    /// makes this fail with [`SyncError::Locked`], or wait when `wait` is set. A store of
    /// format 1 is migrated first ([`migrate`]); files the log names that are gone are
    /// removed from the log, so the sync fetches their days again.
    pub fn open(root: &Path, wait: bool) -> Result<Store, SyncError> {
        if root.exists() && !root.is_dir() {
            return Err(SyncError::Plan(format!(
                "the store `{}` is a file: --store names the folder allot keeps its data in (it is made if missing)",
                root.display()
            )));
        }
        fs::create_dir_all(root).map_err(|e| io(root, e))?;
        let mut lock = Store::lock(root, wait)?;
        let lock_path = root.join(".lock");
        lock.set_len(0).map_err(|e| io(&lock_path, e))?;
        let _ = writeln!(lock, "pid {}", std::process::id());
        match format_of(root)? {
            Some(1) => {
                let done = migrate_locked(root)?;
                tracing::info!("migrated the store to a Delta Lake table per source: {done:?}");
            }
            None => {
                let marker = root.join("store.json");
                let body = format!("{{\"format\": {STORE_VERSION}}}\n");
                write_atomic(&marker, |f| {
                    f.write_all(body.as_bytes()).map_err(|e| io(&marker, e))
                })?;
            }
            other => check_format(root, other)?,
        }
        clear_leftovers(root);
        let snap = Snapshot::read(root)?;
        let mut store = Store {
            root: root.to_path_buf(),
            snap,
            _lock: lock,
        };
        // A day whose file is gone is not held: the sync fetches it again.
        let lost = problems(&store.snap, false);
        for p in &lost {
            tracing::warn!(
                "{} of {}: {}; it will be fetched again",
                p.source.name(),
                p.day,
                p.problem
            );
        }
        if !lost.is_empty() {
            store.forget(&lost, None)?;
        }
        Ok(store)
    }

    /// Removes from the log the files holding the days `problems` names (their other days go
    /// with them, to be fetched again as well): `allot sync --repair`, and what opening does
    /// with a lost file.
    pub fn forget(
        &mut self,
        problems: &[DayProblem],
        as_of: Option<NaiveDate>,
    ) -> Result<(), SyncError> {
        let mut by_source: BTreeMap<Source, Vec<String>> = BTreeMap::new();
        for p in problems {
            if let Some(f) = self.snap.file_of(p.source, p.day) {
                let paths = by_source.entry(p.source).or_default();
                if !paths.contains(&f.add.path) {
                    paths.push(f.add.path.clone());
                }
            }
        }
        for (source, paths) in by_source {
            let Some(table) = self.snap.tables.get(&source) else {
                continue;
            };
            let mut actions: Vec<delta::Action> = paths
                .iter()
                .filter_map(|p| table.files.get(p))
                .map(|f| delta::Action::Remove(remove_of(&f.add)))
                .collect();
            actions.push(commit_info("repair", as_of, None, &[]));
            self.commit(source, actions)?;
        }
        Ok(())
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// What the store holds now.
    pub fn snapshot(&self) -> &Snapshot {
        &self.snap
    }

    /// The entry of `source` on `day`, if fetched.
    pub fn entry(&self, source: Source, day: NaiveDate) -> Option<DayEntry> {
        self.snap.file_of(source, day)?.days.get(&day).copied()
    }

    /// The file holding `day` of `source`, if any.
    pub fn day_file(&self, source: Source, day: NaiveDate) -> Option<PathBuf> {
        Some(self.snap.file_of(source, day)?.path.clone())
    }

    /// Replaces the day of `source` on `day` with `columns`, recorded as fetched on
    /// `fetched_on`: one version.
    pub fn put_day(
        &mut self,
        source: Source,
        day: NaiveDate,
        columns: Vec<(String, Values)>,
        rows: u64,
        fetched_on: NaiveDate,
    ) -> Result<(), SyncError> {
        self.put_days(
            source,
            vec![DayWrite::new(day, columns, rows)],
            None,
            fetched_on,
        )
    }

    /// Replaces `days` of `source`, recorded as fetched on `fetched_on`, together with the
    /// restatement records of what moved on them (`restated`: a name and its rows): one
    /// version of the table, so the days, what moved and what the sync recorded commit
    /// together or not at all. A day inside a month's file takes that file out and puts back
    /// its other days.
    pub fn put_days(
        &mut self,
        source: Source,
        days: Vec<DayWrite>,
        restated: Option<(String, Vec<(String, Values)>)>,
        fetched_on: NaiveDate,
    ) -> Result<(), SyncError> {
        if days.is_empty() {
            return Ok(());
        }
        let new_days: std::collections::BTreeSet<NaiveDate> = days.iter().map(|d| d.day).collect();
        self.replace(source, &new_days, days, restated, "sync", fetched_on)
    }

    /// Takes `days` out of `source` as one version (a month's file is written again without
    /// them): the store then does not hold them, and the next sync fetches them again.
    pub fn drop_days(
        &mut self,
        source: Source,
        days: &std::collections::BTreeSet<NaiveDate>,
        as_of: NaiveDate,
    ) -> Result<(), SyncError> {
        if days.iter().all(|d| self.entry(source, *d).is_none()) {
            return Ok(());
        }
        self.replace(source, days, Vec::new(), None, "drop", as_of)
    }

    /// Records that the API confirmed `days` of `source` unchanged on `on` (day → the daily
    /// total it answered): one version that adds each file holding such a day again with its
    /// entries updated (the same file, `dataChange: false`), so the days settle without being
    /// fetched again and a reader pinned before still sees them as they were known then.
    pub fn confirm(
        &mut self,
        source: Source,
        days: &BTreeMap<NaiveDate, i64>,
        on: NaiveDate,
    ) -> Result<(), SyncError> {
        let Some(table) = self.snap.tables.get(&source) else {
            return Ok(());
        };
        let mut actions = Vec::new();
        let mut confirmed = Vec::new();
        for f in table.files.values() {
            if !f.days.keys().any(|d| days.contains_key(d)) {
                continue;
            }
            let mut entries = f.days.clone();
            for (d, e) in &mut entries {
                if let Some(total) = days.get(d) {
                    e.checked_on = Some(on);
                    e.total = Some(*total);
                    confirmed.push(d.to_string());
                }
            }
            let mut add = f.add.clone();
            add.data_change = false;
            add.tags.insert(
                DAYS_TAG.to_string(),
                serde_json::to_string(&entries).expect("days serialise"),
            );
            actions.push(delta::Action::Add(add));
        }
        if actions.is_empty() {
            return Ok(());
        }
        confirmed.sort();
        actions.push(commit_info("confirm", Some(on), None, &confirmed));
        self.commit(source, actions)
    }

    /// One version of `source`: `removed` days out, `days` in, with their restatements.
    fn replace(
        &mut self,
        source: Source,
        new_days: &std::collections::BTreeSet<NaiveDate>,
        days: Vec<DayWrite>,
        restated: Option<(String, Vec<(String, Values)>)>,
        op: &str,
        fetched_on: NaiveDate,
    ) -> Result<(), SyncError> {
        let mut staged = self.stage(source);
        staged.days.extend(new_days.iter().copied());
        for d in days {
            self.stage_day(&mut staged, d, fetched_on)?;
        }
        self.commit_staged(staged, restated, op, fetched_on)
    }

    /// Begins the next version of `source`: its days are written one at a time by
    /// [`Store::stage_day`] (each dropped from memory once on disk) and committed together by
    /// [`Store::commit_staged`], so a window's days never need to be in memory at once.
    pub fn stage(&self, source: Source) -> Staged {
        let table = self.snap.tables.get(&source);
        Staged {
            source,
            version: table.and_then(|t| t.head).map_or(0, |v| v + 1),
            schema: table.map(|t| t.schema.clone()).unwrap_or_default(),
            days: std::collections::BTreeSet::new(),
            adds: Vec::new(),
        }
    }

    /// Writes one day of a staged version to its file (not yet committed: no reader sees
    /// it), recorded as fetched on `fetched_on`.
    pub fn stage_day(
        &self,
        staged: &mut Staged,
        d: DayWrite,
        fetched_on: NaiveDate,
    ) -> Result<(), SyncError> {
        for (name, values) in &d.columns {
            let kind = delta::delta_type(values);
            match staged.schema.iter_mut().find(|(n, _)| n == name) {
                Some((_, have))
                    if *have != kind && !(have == "long" && kind == "string" && d.rows == 0) =>
                {
                    *have = "string".into();
                }
                Some(_) => {}
                None => staged.schema.push((name.clone(), kind)),
            }
        }
        let dir = source_dir(&self.root, staged.source);
        let month = d.day.format("%Y-%m").to_string();
        let rel = format!(
            "{PARTITION}={month}/day-{}-v{:08}.parquet",
            d.day, staged.version
        );
        let target = dir.join(&rel);
        write_atomic(&target, |f| {
            let mut writer = std::io::BufWriter::new(f);
            write_parquet(d.columns, &mut writer)?;
            writer.flush().map_err(|e| io(&target, e))
        })?;
        let entry = DayEntry {
            total: d.total,
            ..DayEntry::fetched(fetched_on, d.rows)
        };
        staged.adds.push(delta::Action::Add(add_of(
            &dir,
            &rel,
            &month,
            &BTreeMap::from([(d.day, entry)]),
        )?));
        staged.days.insert(d.day);
        Ok(())
    }

    /// Commits a staged version with the restatement records of what moved on its days
    /// (`restated`: a name and its rows): the days, what moved and what the sync recorded
    /// commit together or not at all. A day inside a month's file takes that file out and
    /// puts back its other days.
    pub fn commit_staged(
        &mut self,
        staged: Staged,
        restated: Option<(String, Vec<(String, Values)>)>,
        op: &str,
        fetched_on: NaiveDate,
    ) -> Result<(), SyncError> {
        let Staged {
            source,
            version,
            schema: columns,
            days: new_days,
            adds,
        } = staged;
        let dir = source_dir(&self.root, source);
        let table = self.snap.tables.get(&source).cloned().unwrap_or_default();
        if table.head.map_or(0, |v| v + 1) != version {
            return Err(SyncError::Plan(format!(
                "{} changed while a version was being written",
                source.name()
            )));
        }
        let mut actions = Vec::new();
        if table.head.is_none() {
            actions.push(delta::Action::Protocol {
                min_reader_version: 1,
                min_writer_version: 2,
            });
        }
        if table.head.is_none() || columns != table.schema {
            let id = table
                .id
                .clone()
                .unwrap_or_else(|| delta::table_id(source.name()));
            actions.push(delta::metadata(&id, &columns, PARTITION, delta::now_ms()));
        }
        // Files holding a replaced day: out; their other days back in a file of their own.
        let touched: Vec<LiveFile> = table
            .files
            .values()
            .filter(|f| f.days.keys().any(|d| new_days.contains(d)))
            .cloned()
            .collect();
        for f in &touched {
            actions.push(delta::Action::Remove(remove_of(&f.add)));
            let rest: BTreeMap<NaiveDate, DayEntry> = f
                .days
                .iter()
                .filter(|(d, _)| !new_days.contains(d))
                .map(|(d, e)| (*d, *e))
                .collect();
            if let (Some(first), Some(month)) =
                (rest.keys().next(), f.add.partition_values.get(PARTITION))
            {
                let rel = format!("{PARTITION}={month}/days-{first}-v{version:08}.parquet");
                let keep: std::collections::BTreeSet<String> =
                    rest.keys().map(ToString::to_string).collect();
                let target = dir.join(&rel);
                write_atomic(&target, |file| {
                    let mut writer = std::io::BufWriter::new(file);
                    allot_engine::table_parquet::copy_days(
                        std::slice::from_ref(&f.path),
                        &|d| keep.contains(d),
                        &mut writer,
                    )?;
                    writer.flush().map_err(|e| io(&target, e))
                })?;
                actions.push(delta::Action::Add(add_of(&dir, &rel, month, &rest)?));
            }
        }
        actions.extend(adds);
        let mut restatements = None;
        if let Some((name, cols)) = restated {
            let rel = format!("_restatements/v{version:08}-{name}.parquet");
            let target = dir.join(&rel);
            write_atomic(&target, |f| {
                let mut writer = std::io::BufWriter::new(f);
                write_parquet(cols, &mut writer)?;
                writer.flush().map_err(|e| io(&target, e))
            })?;
            restatements = Some(rel);
        }
        let list: Vec<String> = new_days.iter().map(ToString::to_string).collect();
        actions.push(commit_info(
            op,
            Some(fetched_on),
            restatements.as_deref(),
            &list,
        ));
        self.commit(source, actions)
    }

    /// Commits `actions` as the next version of `source`'s table and reads it into the
    /// snapshot.
    fn commit(&mut self, source: Source, actions: Vec<delta::Action>) -> Result<(), SyncError> {
        let dir = source_dir(&self.root, source);
        let table = self.snap.tables.entry(source).or_default();
        let version = table.head.map_or(0, |v| v + 1);
        delta::commit(&dir, version, &actions)?;
        table.head = Some(version);
        table.apply(&dir, version, actions);
        Ok(())
    }

    /// Folds each month's settled days (as of `today`) into one file per source, where a month
    /// has more than one file and every day of its files is settled; then, with `keep_days`,
    /// removes from disk the files no version of the last `keep_days` days names (vacuum).
    pub fn compact(
        &mut self,
        today: NaiveDate,
        keep_days: Option<i64>,
    ) -> Result<Compacted, SyncError> {
        let mut done = Compacted::default();
        let this_month = today.format("%Y-%m").to_string();
        for source in Source::ALL.into_iter().filter(|s| s.compacts()) {
            let Some(table) = self.snap.tables.get(&source).cloned() else {
                continue;
            };
            let mut months: BTreeMap<String, Vec<&LiveFile>> = BTreeMap::new();
            for f in table.files.values() {
                let Some(month) = f.add.partition_values.get(PARTITION) else {
                    continue;
                };
                months.entry(month.clone()).or_default().push(f);
            }
            for (month, files) in months {
                if files.len() < 2
                    || month >= this_month
                    || !files
                        .iter()
                        .all(|f| f.days.iter().all(|(d, e)| e.settled(*d)))
                {
                    continue;
                }
                let version = self.snap.tables[&source].head.map_or(0, |v| v + 1);
                let dir = source_dir(&self.root, source);
                let rel = format!("{PARTITION}={month}/month-{month}-v{version:08}.parquet");
                let target = dir.join(&rel);
                let mut ordered = files.clone();
                ordered.sort_by_key(|f| f.days.keys().next().copied());
                let paths: Vec<PathBuf> = ordered.iter().map(|f| f.path.clone()).collect();
                let mut days: BTreeMap<NaiveDate, DayEntry> = BTreeMap::new();
                for f in &ordered {
                    days.extend(f.days.iter().map(|(d, e)| (*d, *e)));
                }
                let written = std::cell::RefCell::new(BTreeMap::new());
                write_atomic(&target, |file| {
                    let mut writer = std::io::BufWriter::new(file);
                    *written.borrow_mut() =
                        allot_engine::table_parquet::copy_days(&paths, &|_| true, &mut writer)?;
                    writer.flush().map_err(|e| io(&target, e))
                })?;
                let written = written.into_inner();
                for (d, e) in &days {
                    let n = written.get(&d.to_string()).copied().unwrap_or(0);
                    if n != e.rows {
                        let _ = fs::remove_file(&target);
                        return Err(SyncError::Plan(format!(
                            "{} of {d}: its file holds {n} rows where the sync stored {}: nothing was compacted; `allot store verify` says more",
                            source.name(),
                            e.rows
                        )));
                    }
                }
                let mut actions: Vec<delta::Action> = ordered
                    .iter()
                    .map(|f| delta::Action::Remove(remove_of(&f.add)))
                    .collect();
                actions.push(delta::Action::Add(add_of(&dir, &rel, &month, &days)?));
                actions.push(commit_info("compact", Some(today), None, &[]));
                self.commit(source, actions)?;
                done.months.push(format!("{} {month}", source.name()));
                done.files_in += ordered.len() as u64;
            }
        }
        if let Some(keep) = keep_days {
            let horizon = today - chrono::Duration::days(keep);
            for (source, table) in &self.snap.tables {
                let dir = source_dir(&self.root, *source);
                for rel in unreachable(table, horizon, today) {
                    let path = dir.join(&rel);
                    if let Ok(m) = fs::metadata(&path) {
                        if fs::remove_file(&path).is_ok() {
                            done.vacuumed += 1;
                            done.vacuumed_bytes += m.len();
                        }
                    }
                }
            }
        }
        Ok(done)
    }

    /// Writes the dated names of the listings (`names-history.json`), atomically.
    pub fn write_name_history(&self, history: &NameHistory) -> Result<(), SyncError> {
        let bytes = serde_json::to_vec(history).expect("names serialise");
        write_atomic(&self.root.join(NAME_HISTORY), |f| {
            f.write_all(&bytes).map_err(|e| io(&self.root, e))
        })
    }

    /// Adds readable names of actors, API keys and workspaces to `names.json` (a name seen
    /// later replaces an earlier one), written atomically.
    pub fn add_names(&self, names: &Names) -> Result<(), SyncError> {
        if names.0.is_empty() {
            return Ok(());
        }
        let mut all = read_names(&self.root)?;
        if names.0.iter().all(|(k, v)| all.get(k) == Some(v.as_str())) {
            return Ok(());
        }
        all.extend(names);
        let bytes = serde_json::to_vec_pretty(&all.0).expect("names serialise");
        write_atomic(&self.root.join("names.json"), |f| {
            f.write_all(&bytes).map_err(|e| io(&self.root, e))
        })
    }
}

/// The files of `table` no reader can ask for any more: removed by a version committed before
/// `today` (a reader running now may hold a version of today), and live in no version time
/// travel reaches: the last version of each as-of day from `horizon` on, and the newest.
fn unreachable(table: &Table, horizon: NaiveDate, today: NaiveDate) -> Vec<String> {
    // Versions `--as-of D` can pin: the last one of each as-of day within the retention.
    let mut reachable: Vec<u64> = Vec::new();
    for (i, c) in table.commits.iter().enumerate() {
        let last_of_day = table
            .commits
            .get(i + 1)
            .is_none_or(|next| next.as_of != c.as_of);
        if last_of_day && c.as_of.is_none_or(|d| d >= horizon) {
            reachable.push(c.version);
        }
    }
    let mut added: BTreeMap<&str, u64> = BTreeMap::new();
    let mut out = Vec::new();
    for c in &table.commits {
        for a in &c.added {
            // A confirmation adds a live file again: it has been live since its first add.
            added.entry(a.as_str()).or_insert(c.version);
        }
        if c.as_of.is_none_or(|d| d >= today) {
            continue;
        }
        for r in &c.removed {
            if table.files.contains_key(r) {
                continue;
            }
            let from = added.get(r.as_str()).copied().unwrap_or(0);
            // Live in versions from..c.version.
            if !reachable.iter().any(|v| from <= *v && *v < c.version) {
                out.push(r.clone());
            }
        }
    }
    out
}

/// Temporary files of a writer killed mid-write: never committed, so never read.
fn clear_leftovers(root: &Path) {
    let mut dirs = vec![root.to_path_buf()];
    for s in Source::ALL {
        let table_dir = source_dir(root, s);
        dirs.push(table_dir.clone());
        dirs.push(table_dir.join(delta::LOG));
        dirs.push(table_dir.join("_restatements"));
        if let Ok(entries) = fs::read_dir(&table_dir) {
            dirs.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        }
    }
    for dir in dirs {
        if let Ok(entries) = fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().contains(".tmp-") {
                    if e.path().is_dir() {
                        // A killed sync's rows set aside by day (`spill`).
                        let _ = fs::remove_dir_all(e.path());
                    } else {
                        let _ = fs::remove_file(e.path());
                    }
                }
            }
        }
    }
}

/// The `remove` of a live file.
fn remove_of(add: &delta::Add) -> delta::Remove {
    delta::Remove {
        path: add.path.clone(),
        deletion_timestamp: delta::now_ms(),
        data_change: true,
        extended_file_metadata: true,
        partition_values: add.partition_values.clone(),
        size: add.size,
    }
}

/// The `add` of a file just written at `rel` under the table `dir`, holding `days`.
fn add_of(
    dir: &Path,
    rel: &str,
    month: &str,
    days: &BTreeMap<NaiveDate, DayEntry>,
) -> Result<delta::Add, SyncError> {
    let path = dir.join(rel);
    let meta = fs::metadata(&path).map_err(|e| io(&path, e))?;
    let rows: u64 = days.values().map(|e| e.rows).sum();
    let (first, last) = (
        days.keys().next().map(ToString::to_string),
        days.keys().next_back().map(ToString::to_string),
    );
    let stats = serde_json::json!({
        "numRecords": rows,
        "minValues": {"date": first},
        "maxValues": {"date": last},
        "nullCount": {"date": 0},
    });
    Ok(delta::Add {
        path: rel.to_string(),
        partition_values: BTreeMap::from([(PARTITION.to_string(), month.to_string())]),
        size: meta.len(),
        modification_time: meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(0)),
        data_change: true,
        stats: Some(stats.to_string()),
        tags: BTreeMap::from([(
            DAYS_TAG.to_string(),
            serde_json::to_string(days).expect("days serialise"),
        )]),
    })
}

/// The `commitInfo` of a version: Delta's fields, and allot's under `allot` (the as-of date
/// of the run, what it was, the days it wrote, its restatement records).
fn commit_info(
    op: &str,
    as_of: Option<NaiveDate>,
    restatements: Option<&str>,
    days: &[String],
) -> delta::Action {
    let operation = match op {
        "compact" => "OPTIMIZE",
        "confirm" => "UPDATE",
        "repair" | "drop" => "DELETE",
        _ => "WRITE",
    };
    delta::Action::CommitInfo(serde_json::json!({
        "timestamp": delta::now_ms(),
        "operation": operation,
        "operationParameters": {},
        "clientVersion": format!("allot-{}", env!("CARGO_PKG_VERSION")),
        "allot": {
            "op": op,
            "asOf": as_of.map(|d| d.to_string()),
            "days": days,
            "restatements": restatements,
        },
    }))
}

/// Upgrades the format-1 store at `root` (day files vouched for by `state.json`) to a Delta
/// table per source in place: the day files stay where they are and the first version of
/// each table names them with what `state.json` recorded; `state.json` is kept as
/// `state.json.v1-backup` until every table is committed, then the store says format 2. A
/// migration stopped midway leaves a format-1 store that migrates again from the start.
/// Returns the days migrated per source.
pub fn migrate(root: &Path) -> Result<BTreeMap<&'static str, u64>, SyncError> {
    let store_lock = Store::lock(root, false)?;
    let out = migrate_locked(root);
    drop(store_lock);
    out
}

impl Store {
    /// Takes the store's lock (waiting for it with `wait`, else failing with
    /// [`SyncError::Locked`] naming its holder), without reading the store.
    fn lock(root: &Path, wait: bool) -> Result<File, SyncError> {
        let lock_path = root.join(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, e))?;
        if wait {
            lock.lock().map_err(|e| io(&lock_path, e))?;
            return Ok(lock);
        }
        match lock.try_lock() {
            Ok(()) => Ok(lock),
            Err(fs::TryLockError::WouldBlock) => Err(SyncError::Locked {
                path: root.to_path_buf(),
                holder: fs::read_to_string(&lock_path)
                    .map(|s| s.trim().to_string())
                    .unwrap_or_default(),
            }),
            Err(fs::TryLockError::Error(e)) => Err(io(&lock_path, e)),
        }
    }
}

/// `state.json` of a format-1 store.
#[derive(Deserialize)]
struct V1 {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    days: BTreeMap<String, BTreeMap<NaiveDate, DayEntry>>,
}

fn migrate_locked(root: &Path) -> Result<BTreeMap<&'static str, u64>, SyncError> {
    match format_of(root)? {
        Some(1) => {}
        Some(v) if v == STORE_VERSION => return Ok(BTreeMap::new()),
        other => {
            check_format(root, other)?;
            return Err(SyncError::Plan(format!(
                "`{}` is not a store: it has neither store.json nor state.json",
                root.display()
            )));
        }
    }
    let state_path = root.join("state.json");
    let backup = root.join("state.json.v1-backup");
    let bytes = fs::read(&state_path).map_err(|e| io(&state_path, e))?;
    let old: V1 = serde_json::from_slice(&bytes).map_err(|e| SyncError::Io {
        path: state_path.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    if old.version > 1 {
        return check_format(root, Some(old.version.max(STORE_VERSION + 1)))
            .map(|()| BTreeMap::new());
    }
    fs::copy(&state_path, &backup).map_err(|e| io(&backup, e))?;
    let mut out = BTreeMap::new();
    for source in Source::ALL {
        let dir = source_dir(root, source);
        // What a stopped migration left is started again.
        let _ = fs::remove_dir_all(dir.join(delta::LOG));
        let Some(days) = old.days.get(source.name()) else {
            continue;
        };
        let mut adds = Vec::new();
        let mut schema: Vec<(String, String)> = Vec::new();
        for (day, entry) in days {
            let rel = format!("date={day}.parquet");
            let path = dir.join(&rel);
            if !path.exists() {
                tracing::warn!(
                    "{} of {day}: its file `{}` is missing; the next sync fetches it again",
                    source.name(),
                    path.display()
                );
                continue;
            }
            for (name, t) in allot_engine::table_parquet::column_types(&path)? {
                use allot_engine::table_parquet::ColumnType;
                let t = match t {
                    ColumnType::Text => "string".to_string(),
                    ColumnType::Int => "long".to_string(),
                    ColumnType::Decimal(s) => format!("decimal(38,{s})"),
                };
                match schema.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, have)) if *have != t => *have = "string".into(),
                    Some(_) => {}
                    None => schema.push((name, t)),
                }
            }
            let month = day.format("%Y-%m").to_string();
            adds.push(delta::Action::Add(add_of(
                &dir,
                &rel,
                &month,
                &BTreeMap::from([(*day, *entry)]),
            )?));
        }
        if adds.is_empty() {
            continue;
        }
        out.insert(source.name(), adds.len() as u64);
        let last = days.values().map(|e| e.fetched_on).max();
        let mut actions = vec![
            delta::Action::Protocol {
                min_reader_version: 1,
                min_writer_version: 2,
            },
            delta::metadata(
                &delta::table_id(source.name()),
                &schema,
                PARTITION,
                delta::now_ms(),
            ),
        ];
        actions.extend(adds);
        actions.push(commit_info("migrate", last, None, &[]));
        delta::commit(&dir, 0, &actions)?;
    }
    let marker = root.join("store.json");
    let body = format!("{{\"format\": {STORE_VERSION}}}\n");
    write_atomic(&marker, |f| {
        f.write_all(body.as_bytes()).map_err(|e| io(&marker, e))
    })?;
    fs::remove_file(&state_path).map_err(|e| io(&state_path, e))?;
    let _ = fs::remove_file(&backup);
    Ok(out)
}

/// The names the Admin API's listings gave, dated (`names-history.json`; empty when there is
/// none).
pub fn read_name_history(root: &Path) -> Result<NameHistory, SyncError> {
    let path = root.join(NAME_HISTORY);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SyncError::Io {
            path,
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(NameHistory::default()),
        Err(source) => Err(io(&path, source)),
    }
}

/// The file of the dated names.
const NAME_HISTORY: &str = "names-history.json";

/// The readable names of actors, API keys and workspaces the store has seen (`names.json`;
/// empty when there is none).
pub fn read_names(root: &Path) -> Result<Names, SyncError> {
    let path = root.join("names.json");
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Names)
            .map_err(|e| SyncError::Io {
                path,
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Names::default()),
        Err(source) => Err(io(&path, source)),
    }
}

/// The activity files reports should read: the Enterprise `users` activity when synced, else
/// the Claude Code Admin report's.
pub fn activity_files(root: &Path) -> Result<Vec<PathBuf>, SyncError> {
    let users = files(root, Source::Activity)?;
    if users.is_empty() {
        files(root, Source::ClaudeCode)
    } else {
        Ok(users)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_sync_is_kept_out_while_the_first_holds_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path(), false).unwrap();
        let e = Store::open(dir.path(), false).unwrap_err();
        assert!(matches!(e, SyncError::Locked { .. }), "{e}");
        assert!(e.to_string().contains("another process"));
        drop(first);
        Store::open(dir.path(), false).unwrap();
    }

    #[test]
    fn a_day_is_settled_once_fetched_thirty_days_after_it() {
        let d = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let at = |s: &str| DayEntry::fetched(s.parse().unwrap(), 1);
        assert!(!at("2026-10-29").settled(d));
        assert!(at("2026-10-30").settled(d));
        let confirmed = |s: &str| DayEntry {
            checked_on: Some(s.parse().unwrap()),
            ..at("2026-10-01")
        };
        assert!(!confirmed("2026-10-29").settled(d));
        assert!(confirmed("2026-10-30").settled(d));
    }

    #[test]
    fn days_are_written_whole_and_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(dir.path(), false).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
        let cols = vec![("n".to_string(), Values::Int(vec![Some(1), Some(2)]))];
        s.put_day(Source::Skills, day, cols, 2, day).unwrap();
        assert_eq!(files(dir.path(), Source::Skills).unwrap().len(), 1);
        assert_eq!(read_state(dir.path()).unwrap().days["skills"][&day].rows, 2);
        // A second version replaces the day: one live file, the first kept for time travel.
        let cols = vec![("n".to_string(), Values::Int(vec![Some(3)]))];
        let later = NaiveDate::from_ymd_opt(2026, 9, 2).unwrap();
        s.put_day(Source::Skills, day, cols, 1, later).unwrap();
        assert_eq!(files(dir.path(), Source::Skills).unwrap().len(), 1);
        assert_eq!(read_state(dir.path()).unwrap().days["skills"][&day].rows, 1);
        let then = Snapshot::read_as_of(dir.path(), Some(day)).unwrap();
        assert_eq!(
            then.state().days["skills"][&day].rows,
            2,
            "as known on the first day"
        );
        // A leftover temporary file is cleared on the next open and never listed.
        let stray = source_dir(dir.path(), Source::Skills).join(".date=2026-09-02.parquet.tmp-1");
        fs::write(&stray, b"half").unwrap();
        assert_eq!(files(dir.path(), Source::Skills).unwrap().len(), 1);
        drop(s);
        Store::open(dir.path(), false).unwrap();
        assert!(!stray.exists());
    }
}
