//! The local store: one Parquet file per source and day under `facts/<source>/date=D.parquet`
//! (polars reads them directly), a `state.json` of what was fetched when, and restatement
//! records. Every file is written to a temporary name and renamed into place, the state after
//! the data, so a sync killed at any point leaves whole days or nothing; a lock keeps a second
//! sync out.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use allot_core::identity::Names;
use allot_engine::table_parquet::{write_parquet, Values};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

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

/// What the state file records of one fetched day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayEntry {
    /// The day it was fetched (the as-of date of the sync).
    pub fetched_on: NaiveDate,
    /// Rows stored for the day.
    pub rows: u64,
}

impl DayEntry {
    /// Whether the stored values are final: fetched when the day was at least 30 days old.
    pub fn settled(&self, day: NaiveDate) -> bool {
        (self.fetched_on - day).num_days() >= SETTLE_DAYS
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

/// The folder of `source` in the store at `root`.
pub fn source_dir(root: &Path, source: Source) -> PathBuf {
    root.join("facts").join(source.name())
}

/// The file of `source` on `day`.
pub fn partition(root: &Path, source: Source, day: NaiveDate) -> PathBuf {
    source_dir(root, source).join(format!("date={day}.parquet"))
}

/// The stored day files of `source`, oldest first (empty when none).
pub fn files(root: &Path, source: Source) -> Result<Vec<PathBuf>, SyncError> {
    let dir = source_dir(root, source);
    let mut out = Vec::new();
    match fs::read_dir(&dir) {
        Ok(entries) => {
            for e in entries {
                let e = e.map_err(|source| io(&dir, source))?;
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("date=") && name.ends_with(".parquet") {
                    out.push(e.path());
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(io(&dir, source)),
    }
    out.sort();
    Ok(out)
}

/// The store format this allot reads and writes (`state.json`'s `version`).
pub const STORE_VERSION: u32 = 1;

/// Reads `state.json` of the store at `root` (empty when there is none yet). A store written
/// by a newer allot (a higher `version`) is refused, never read as if it were this one.
pub fn read_state(root: &Path) -> Result<StoreState, SyncError> {
    let path = root.join("state.json");
    match fs::read(&path) {
        Ok(bytes) => {
            let state: StoreState = serde_json::from_slice(&bytes).map_err(|e| SyncError::Io {
                path: path.clone(),
                source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
            })?;
            if state.version > STORE_VERSION {
                return Err(SyncError::Plan(format!(
                    "the store `{}` is of format version {}, newer than this allot reads ({STORE_VERSION}): upgrade allot to read it (nothing was read or changed)",
                    root.display(),
                    state.version
                )));
            }
            Ok(state)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StoreState {
            version: 1,
            ..StoreState::default()
        }),
        Err(source) => Err(io(&path, source)),
    }
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
        let mut f = File::create(&tmp).map_err(|e| io(&tmp, e))?;
        fill(&mut f)?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
        fs::rename(&tmp, target).map_err(|e| io(target, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// A stored day that is not what `state.json` records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayProblem {
    /// The source.
    pub source: Source,
    /// The day.
    pub day: NaiveDate,
    /// What is wrong, in words.
    pub problem: String,
}

/// Checks every day `state.json` records against its file: present always; with `deep`,
/// also readable, with the row count recorded.
pub fn verify(root: &Path, deep: bool) -> Result<Vec<DayProblem>, SyncError> {
    Ok(problems(root, &read_state(root)?, deep))
}

/// The days of `state` whose files are not what it records (see [`verify`]).
fn problems(root: &Path, state: &StoreState, deep: bool) -> Vec<DayProblem> {
    let mut out = Vec::new();
    for source in Source::ALL {
        for (day, entry) in state.days.get(source.name()).into_iter().flatten() {
            let path = partition(root, source, *day);
            let problem = if !path.exists() {
                Some(format!("its file `{}` is missing", path.display()))
            } else if deep {
                match allot_engine::parquet_rows(&path) {
                    Err(e) => Some(e.to_string()),
                    Ok(n) if n != entry.rows => Some(format!(
                        "its file holds {n} rows where the sync stored {}",
                        entry.rows
                    )),
                    Ok(_) => None,
                }
            } else {
                None
            };
            if let Some(problem) = problem {
                out.push(DayProblem {
                    source,
                    day: *day,
                    problem,
                });
            }
        }
    }
    out
}

/// A store opened for syncing: holds the lock until dropped.
#[derive(Debug)]
pub struct Store {
    root: PathBuf,
    state: StoreState,
    _lock: File,
}

impl Store {
    /// Opens (creating it if needed) the store at `root` for writing. Another sync holding it
    /// makes this fail with [`SyncError::Locked`], or wait when `wait` is set.
    pub fn open(root: &Path, wait: bool) -> Result<Store, SyncError> {
        if root.exists() && !root.is_dir() {
            return Err(SyncError::Plan(format!(
                "the store `{}` is a file: --store names the folder allot keeps its data in (it is made if missing)",
                root.display()
            )));
        }
        fs::create_dir_all(root).map_err(|e| io(root, e))?;
        let lock_path = root.join(".lock");
        let mut lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io(&lock_path, e))?;
        if wait {
            lock.lock().map_err(|e| io(&lock_path, e))?;
        } else if let Err(e) = lock.try_lock() {
            return Err(match e {
                fs::TryLockError::WouldBlock => SyncError::Locked {
                    path: root.to_path_buf(),
                    holder: fs::read_to_string(&lock_path)
                        .map(|s| s.trim().to_string())
                        .unwrap_or_default(),
                },
                fs::TryLockError::Error(e) => io(&lock_path, e),
            });
        }
        lock.set_len(0).map_err(|e| io(&lock_path, e))?;
        let _ = writeln!(lock, "pid {}", std::process::id());
        // Leftovers of a sync killed mid-write: never renamed into place, so never read.
        for dir in Source::ALL
            .iter()
            .map(|s| source_dir(root, *s))
            .chain([root.to_path_buf(), root.join("restatements")])
        {
            if let Ok(entries) = fs::read_dir(&dir) {
                for e in entries.flatten() {
                    if e.file_name().to_string_lossy().contains(".tmp-") {
                        let _ = fs::remove_file(e.path());
                    }
                }
            }
        }
        let mut state = read_state(root)?;
        // A day whose file is gone is not held: the sync fetches it again.
        for problem in problems(root, &state, false) {
            tracing::warn!(
                "{} of {}: {}; it will be fetched again",
                problem.source.name(),
                problem.day,
                problem.problem
            );
            if let Some(days) = state.days.get_mut(problem.source.name()) {
                days.remove(&problem.day);
            }
        }
        Ok(Store {
            root: root.to_path_buf(),
            state,
            _lock: lock,
        })
    }

    /// Forgets the days `problems` names (and removes their damaged files), so this sync
    /// fetches them again: `allot sync --repair`.
    pub fn forget(&mut self, problems: &[DayProblem]) -> Result<(), SyncError> {
        for p in problems {
            let _ = fs::remove_file(partition(&self.root, p.source, p.day));
            if let Some(days) = self.state.days.get_mut(p.source.name()) {
                days.remove(&p.day);
            }
        }
        self.save_state()
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The entry of `source` on `day`, if fetched.
    pub fn entry(&self, source: Source, day: NaiveDate) -> Option<DayEntry> {
        self.state
            .days
            .get(source.name())
            .and_then(|d| d.get(&day))
            .copied()
    }

    /// Replaces the day file of `source` on `day` with `columns`, then records it as fetched on
    /// `fetched_on`.
    pub fn put_day(
        &mut self,
        source: Source,
        day: NaiveDate,
        columns: Vec<(String, Values)>,
        rows: u64,
        fetched_on: NaiveDate,
    ) -> Result<(), SyncError> {
        let target = partition(&self.root, source, day);
        write_atomic(&target, |f| {
            let mut w = std::io::BufWriter::new(f);
            write_parquet(columns, &mut w)?;
            w.flush().map_err(|e| io(&target, e))
        })?;
        self.state
            .days
            .entry(source.name().to_string())
            .or_default()
            .insert(day, DayEntry { fetched_on, rows });
        self.save_state()
    }

    fn save_state(&self) -> Result<(), SyncError> {
        let bytes = serde_json::to_vec_pretty(&self.state).expect("state serialises");
        write_atomic(&self.root.join("state.json"), |f| {
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

    /// Appends restatement records as one more file under `restatements/`.
    pub fn add_restatements(
        &self,
        name: &str,
        columns: Vec<(String, Values)>,
    ) -> Result<PathBuf, SyncError> {
        let target = self
            .root
            .join("restatements")
            .join(format!("{name}.parquet"));
        write_atomic(&target, |f| {
            let mut w = std::io::BufWriter::new(f);
            write_parquet(columns, &mut w)?;
            w.flush().map_err(|e| io(&target, e))
        })?;
        Ok(target)
    }
}

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
        let at = |s: &str| DayEntry {
            fetched_on: s.parse().unwrap(),
            rows: 1,
        };
        assert!(!at("2026-10-29").settled(d));
        assert!(at("2026-10-30").settled(d));
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
        // A leftover temporary file is cleared on the next open and never listed.
        let stray = source_dir(dir.path(), Source::Skills).join(".date=2026-09-02.parquet.tmp-1");
        fs::write(&stray, b"half").unwrap();
        assert_eq!(files(dir.path(), Source::Skills).unwrap().len(), 1);
        drop(s);
        Store::open(dir.path(), false).unwrap();
        assert!(!stray.exists());
    }
}
