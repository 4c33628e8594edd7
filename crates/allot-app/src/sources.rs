//! Where a period's facts come from (the store `allot sync` fills, or files), which of them a
//! period needs, and what they hold of it: the coverage that decides whether a period is
//! `settled`, `provisional` or `incomplete`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use allot_core::period::Coverage;
use allot_core::DateRange;
use allot_sync::store::{files, read_state, Source};
use chrono::{Duration, NaiveDate};

use crate::error::AppError;

/// Days after which the store's engagement (activity) data of a day is available.
pub const ENGAGEMENT_LAG_DAYS: i64 = 1;

/// Where facts come from.
#[derive(Debug, Clone)]
pub enum Sources {
    /// A store folder written by `allot sync`: it knows which days of which source it holds.
    Store(PathBuf),
    /// Fact files. Without `covers`, they cover the days from their first to their last fact.
    Files {
        /// Per-user cost facts (CSV or Parquet).
        cost: Vec<PathBuf>,
        /// Activity facts.
        activity: Vec<PathBuf>,
        /// Organisation-level cost facts (every cost, attributable to a seat user or not).
        org_cost: Vec<PathBuf>,
        /// The days the files are meant to cover, when stated (`--covers`).
        covers: Option<DateRange>,
    },
}

/// A kind of facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facts {
    /// Per-user cost.
    Cost,
    /// Per-user activity.
    Activity,
    /// Organisation-level cost.
    OrgCost,
}

impl Facts {
    /// The name used in coverage notes.
    pub fn name(self) -> &'static str {
        match self {
            Facts::Cost => "cost",
            Facts::Activity => "activity",
            Facts::OrgCost => "org_cost",
        }
    }
}

/// The day of a store partition file name (`date=2026-09-01.parquet`).
fn partition_day(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_str()?;
    let d = name.strip_prefix("date=")?.strip_suffix(".parquet")?;
    allot_core::date::parse_date(d)
}

impl Sources {
    /// The store folder, when facts come from one.
    pub fn store(&self) -> Option<&Path> {
        match self {
            Sources::Store(p) => Some(p),
            Sources::Files { .. } => None,
        }
    }

    fn store_source(root: &Path, kind: Facts) -> Result<Source, AppError> {
        Ok(match kind {
            Facts::Cost => Source::Cost,
            Facts::OrgCost => Source::OrgCost,
            // The Enterprise `users` activity when synced, else the Claude Code Admin report's.
            Facts::Activity => {
                if files(root, Source::Activity)?.is_empty()
                    && !files(root, Source::ClaudeCode)?.is_empty()
                {
                    Source::ClaudeCode
                } else {
                    Source::Activity
                }
            }
        })
    }

    /// Whether any facts of `kind` are given at all.
    pub fn has(&self, kind: Facts) -> Result<bool, AppError> {
        Ok(match self {
            Sources::Store(root) => !files(root, Self::store_source(root, kind)?)?.is_empty(),
            Sources::Files {
                cost,
                activity,
                org_cost,
                ..
            } => !match kind {
                Facts::Cost => cost,
                Facts::Activity => activity,
                Facts::OrgCost => org_cost,
            }
            .is_empty(),
        })
    }

    /// The files holding facts of `kind` for `range`: in a store, only the day files inside
    /// it (the others are never opened).
    pub fn files(&self, kind: Facts, range: DateRange) -> Result<Vec<PathBuf>, AppError> {
        match self {
            Sources::Store(root) => {
                if !root.is_dir() {
                    return Err(AppError::Usage(format!(
                        "the store `{}` is not a folder: give the folder `allot sync --store` wrote",
                        root.display()
                    )));
                }
                let source = Self::store_source(root, kind)?;
                Ok(files(root, source)?
                    .into_iter()
                    .filter(|p| partition_day(p).is_some_and(|d| range.contains(d)))
                    .collect())
            }
            Sources::Files {
                cost,
                activity,
                org_cost,
                ..
            } => Ok(match kind {
                Facts::Cost => cost.clone(),
                Facts::Activity => activity.clone(),
                Facts::OrgCost => org_cost.clone(),
            }),
        }
    }

    /// What the facts of `kind` hold of `range` as of `as_of`. `span` is the first and last
    /// day of the files' facts (for files; the store knows its days itself); activity files
    /// are taken to cover what the cost files cover, since people have activity on some days
    /// only.
    pub fn coverage(
        &self,
        kind: Facts,
        range: DateRange,
        as_of: NaiveDate,
        span: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<Coverage, AppError> {
        let available_until = match kind {
            Facts::Activity => as_of - Duration::days(ENGAGEMENT_LAG_DAYS),
            _ => as_of - Duration::days(1),
        };
        let mut c = Coverage {
            source: kind.name().to_string(),
            ..Coverage::default()
        };
        match self {
            Sources::Store(root) => {
                let source = Self::store_source(root, kind)?;
                let state = read_state(root)?;
                let days = state.days.get(source.name());
                for d in range.days() {
                    if d > available_until {
                        c.not_yet.push(d);
                        continue;
                    }
                    match days.and_then(|m| m.get(&d)) {
                        None => c.missing.push(d),
                        Some(e) if !e.settled(d) => c.stale.push(d),
                        Some(_) => {}
                    }
                }
            }
            Sources::Files { covers, .. } => {
                let covered = covers.or_else(|| span.and_then(|(a, b)| DateRange::new(a, b)));
                for d in range.days() {
                    if d > available_until {
                        c.not_yet.push(d);
                    } else if !covered.is_some_and(|r| r.contains(d)) {
                        c.missing.push(d);
                    }
                }
            }
        }
        Ok(c)
    }

    /// The days the given facts of `kind` cover in all (for "no data" messages).
    pub fn held(&self, kind: Facts) -> Result<Option<DateRange>, AppError> {
        match self {
            Sources::Store(root) => {
                let source = Self::store_source(root, kind)?;
                let state = read_state(root)?;
                let days: BTreeSet<NaiveDate> = state
                    .days
                    .get(source.name())
                    .map(|m| m.keys().copied().collect())
                    .unwrap_or_default();
                Ok(days
                    .first()
                    .zip(days.last())
                    .and_then(|(a, b)| DateRange::new(*a, *b)))
            }
            Sources::Files { covers, .. } => Ok(*covers),
        }
    }
}
