//! Where a period's facts come from (the store `allot sync` fills, or files), which of them a
//! period needs, and what they hold of it: the coverage that decides whether a period is
//! `settled`, `provisional` or `incomplete`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use allot_core::identity::{NameHistory, Names};
use allot_core::period::Coverage;
use allot_core::DateRange;
use allot_sync::store::{Snapshot, Source};
use chrono::{Duration, NaiveDate};

use crate::error::AppError;

/// Days after which the store's engagement (activity) data of a day is available.
pub const ENGAGEMENT_LAG_DAYS: i64 = 1;

/// Where a period's facts come from: the store or files, and any cloud bills beside them.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The store, or the fact files.
    pub origin: Origin,
    /// Claude bought through a cloud provider, read from FOCUS files (`--cost` given a FOCUS
    /// export), converted once into cost facts.
    pub cloud: Option<Arc<Cloud>>,
    /// The store's tables pinned at one version each for the whole run ([`Sources::pin`]):
    /// a sync committing meanwhile changes nothing this run reads. Unpinned, every question
    /// reads the newest versions.
    pub snapshot: Option<Arc<Snapshot>>,
}

impl From<Origin> for Sources {
    fn from(origin: Origin) -> Sources {
        Sources {
            origin,
            cloud: None,
            snapshot: None,
        }
    }
}

/// FOCUS files read as cost facts: the converted facts live in a temporary folder for as long
/// as the run holds them.
#[derive(Debug)]
pub struct Cloud {
    /// What each file gave (its converted facts file among it).
    pub files: Vec<allot_engine::focus_in::Converted>,
    /// The days the files are meant to cover, when stated (`--covers`).
    pub covers: Option<DateRange>,
    /// Whether a tag names cost centers (the mapping then gains their identities).
    pub tagged: bool,
    _dir: tempfile::TempDir,
}

impl Cloud {
    /// Reads every FOCUS file in `paths` as `options` says.
    pub fn read(
        paths: &[PathBuf],
        options: &allot_engine::focus_in::FocusOptions,
        covers: Option<DateRange>,
    ) -> Result<Cloud, AppError> {
        let dir = tempfile::Builder::new()
            .prefix("allot-cloud-")
            .tempdir()
            .map_err(|source| AppError::Write {
                path: std::env::temp_dir(),
                source,
            })?;
        let mut files = Vec::new();
        for (i, p) in paths.iter().enumerate() {
            let target = dir.path().join(format!("cloud-{i}.parquet"));
            files.push(allot_engine::focus_in::convert(p, options, &target)?);
        }
        Ok(Cloud {
            files,
            covers,
            tagged: options.tag.is_some(),
            _dir: dir,
        })
    }

    /// The days the files cover: what `--covers` states, else from the first to the last day
    /// of any charge period in them.
    pub fn span(&self) -> Option<DateRange> {
        self.covers.or_else(|| {
            let spans: Vec<(NaiveDate, NaiveDate)> =
                self.files.iter().filter_map(|f| f.span).collect();
            let from = spans.iter().map(|s| s.0).min()?;
            let to = spans.iter().map(|s| s.1).max()?;
            DateRange::new(from, to)
        })
    }

    /// Whether the bills cover `day`: what `--covers` states, else whether a day of some
    /// file's charge periods (so a month between two monthly exports is not covered).
    pub fn covers(&self, day: NaiveDate) -> bool {
        match self.covers {
            Some(r) => r.contains(day),
            None => self
                .files
                .iter()
                .filter_map(|f| f.span)
                .any(|(a, b)| a <= day && day <= b),
        }
    }

    /// The names of the accounts the bills charge.
    pub fn names(&self) -> Names {
        let mut n = Names::default();
        for f in &self.files {
            n.extend(&f.names);
        }
        n
    }
}

/// Whether a file is a FOCUS export (by its columns) rather than allot cost facts.
pub fn is_focus(path: &Path) -> Result<bool, AppError> {
    Ok(allot_engine::focus_in::is_focus(
        &allot_engine::focus_in::columns_of(path)?,
    ))
}

/// The store or the fact files.
#[derive(Debug, Clone)]
pub enum Origin {
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
    /// The cost charged back: per person (and, where the store has the Usage and Cost
    /// Analytics API's data or a cloud bill is given, per API key, workspace and other actor).
    Cost,
    /// Per-user activity.
    Activity,
    /// Organisation-level cost.
    OrgCost,
}

impl Facts {
    /// Whether a coverage of `source` is one of this kind's (cost's includes cloud bills').
    pub fn covers(self, source: &str) -> bool {
        source == self.name() || (self == Facts::Cost && source == CLOUD)
    }

    /// The name used in coverage notes.
    pub fn name(self) -> &'static str {
        match self {
            Facts::Cost => "cost",
            Facts::Activity => "activity",
            Facts::OrgCost => "org_cost",
        }
    }
}

/// A store's files of a kind of facts and what its log records of each day: one truth per
/// day. Cost is the Usage and Cost Analytics API's (`actor_cost`) where a day has it, else the
/// per-user report's (`cost`); organisation-level cost likewise `actor_cost`, else
/// `org_cost`. A day never comes from two sources (the older reports keep a file per day).
struct StoreDays {
    files: Vec<PathBuf>,
    entries: std::collections::BTreeMap<NaiveDate, allot_sync::store::DayEntry>,
    /// The source each recorded day is read from.
    chosen: std::collections::BTreeMap<NaiveDate, Source>,
}

fn store_days(snap: &Snapshot, kind: Facts, range: Option<DateRange>) -> StoreDays {
    let sources = sources_of(snap, kind);
    let mut entries = std::collections::BTreeMap::new();
    let mut chosen: std::collections::BTreeMap<NaiveDate, Source> =
        std::collections::BTreeMap::new();
    let mut files_out: BTreeSet<PathBuf> = BTreeSet::new();
    let inside = |d: NaiveDate| range.is_none_or(|r| r.contains(d));
    // The first source recording a day is its truth.
    for source in &sources {
        let Some(table) = snap.table(*source) else {
            continue;
        };
        for f in table.files.values() {
            let days: Vec<(&NaiveDate, &allot_sync::store::DayEntry)> = f
                .days
                .iter()
                .filter(|(d, _)| inside(**d) && !chosen.contains_key(d))
                .collect();
            if days.is_empty() {
                continue;
            }
            // A file the log names that is gone holds nothing: its days are missing, so the
            // period is incomplete and names them (`allot store verify` says more, `allot
            // sync --repair` mends it).
            if !f.path.exists() {
                continue;
            }
            for (d, e) in days {
                chosen.insert(*d, *source);
                entries.insert(*d, *e);
            }
            files_out.insert(f.path.clone());
        }
    }
    StoreDays {
        files: files_out.into_iter().collect(),
        entries,
        chosen,
    }
}

/// The store sources of `kind`, in the order one truth per day takes them.
fn sources_of(snap: &Snapshot, kind: Facts) -> Vec<Source> {
    match kind {
        Facts::Cost => vec![Source::ActorCost, Source::Cost],
        Facts::OrgCost => vec![Source::ActorCost, Source::OrgCost],
        Facts::Activity => vec![activity_source(snap)],
    }
}

/// The activity source of a store: the Enterprise `users` activity when synced, else the
/// Claude Code Admin report's.
fn activity_source(snap: &Snapshot) -> Source {
    if snap.files(Source::Activity).is_empty() && !snap.files(Source::ClaudeCode).is_empty() {
        Source::ClaudeCode
    } else {
        Source::Activity
    }
}

/// What a load of one range reads, asked of the sources once: the files, whether their cost
/// may name a fallback identity, and the days only the per-user report holds.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The cost facts' files (cloud bills' converted facts included).
    pub cost_files: Vec<PathBuf>,
    /// The activity facts' files, when activity is asked for and given at all.
    pub activity_files: Option<Vec<PathBuf>>,
    /// Whether the cost facts may name fallback identities (`via`).
    pub carries_via: bool,
    /// The days whose cost the store holds from the older per-user report only.
    pub per_user_only: Vec<NaiveDate>,
}

impl Sources {
    /// Plans a load of `range`: every question a load asks of the sources, answered once.
    pub fn plan(&self, range: DateRange, activity: bool) -> Result<Plan, AppError> {
        Ok(Plan {
            cost_files: self.files(Facts::Cost, range)?,
            activity_files: if activity && self.has(Facts::Activity)? {
                Some(self.files(Facts::Activity, range)?)
            } else {
                None
            },
            carries_via: self.carries_via(range)?,
            per_user_only: self.per_user_only_days(range)?,
        })
    }

    /// The store folder, when facts come from one.
    pub fn store(&self) -> Option<&Path> {
        match &self.origin {
            Origin::Store(p) => Some(p),
            Origin::Files { .. } => None,
        }
    }

    /// Pins the store's tables for a run as known on `as_of`: the last version each table had
    /// on that day (time travel). Returns the pinned sources, and the date of the store's
    /// first sync when `as_of` is before it (the first sync is then what is read).
    pub fn pin(self, as_of: NaiveDate) -> Result<(Sources, Option<NaiveDate>), AppError> {
        let mut out = self;
        let mut first = None;
        if let Origin::Store(root) = &out.origin {
            if root.is_dir() {
                let snap = Snapshot::read_as_of(root, Some(as_of))?;
                first = snap.first_sync_after;
                out.snapshot = Some(Arc::new(snap));
            }
        }
        Ok((out, first))
    }

    /// The store as this run reads it: the pinned snapshot, else the newest versions.
    pub fn snapshot(&self) -> Result<Option<Arc<Snapshot>>, AppError> {
        match (&self.origin, &self.snapshot) {
            (Origin::Store(_), Some(s)) => Ok(Some(s.clone())),
            (Origin::Store(root), None) => Ok(Some(Arc::new(Snapshot::read(root)?))),
            (Origin::Files { .. }, _) => Ok(None),
        }
    }

    /// The days of `range` the store's log records for `kind` whose files are gone (what
    /// `allot store verify` names and `allot sync --repair` fetches again).
    pub fn lost_days(&self, kind: Facts, range: DateRange) -> Result<Vec<NaiveDate>, AppError> {
        let Some(snap) = self.snapshot()? else {
            return Ok(Vec::new());
        };
        let mut out = BTreeSet::new();
        for source in sources_of(&snap, kind) {
            for f in snap
                .table(source)
                .map(|t| t.files.values())
                .into_iter()
                .flatten()
            {
                if !f.path.exists() {
                    out.extend(f.days.keys().filter(|d| range.contains(**d)));
                }
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Whether any facts of `kind` are given at all.
    pub fn has(&self, kind: Facts) -> Result<bool, AppError> {
        if kind == Facts::Cost && self.cloud.is_some() {
            return Ok(true);
        }
        self.has_own(kind)
    }

    /// Whether the store or the fact files (cloud bills aside) hold facts of `kind`.
    fn has_own(&self, kind: Facts) -> Result<bool, AppError> {
        Ok(match &self.origin {
            Origin::Store(_) => {
                let snap = self.snapshot()?.expect("a store");
                !store_days(&snap, kind, None).files.is_empty()
            }
            Origin::Files {
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

    /// The files holding facts of `kind` for `range`, cloud bills' facts included for cost: in
    /// a store, only the day files inside it (the others are never opened), each day from one
    /// source.
    pub fn files(&self, kind: Facts, range: DateRange) -> Result<Vec<PathBuf>, AppError> {
        let mut out = self.anthropic_files(kind, range)?;
        if kind == Facts::Cost {
            if let Some(c) = &self.cloud {
                out.extend(c.files.iter().map(|f| f.facts_file.clone()));
            }
        }
        Ok(out)
    }

    /// The files of `kind` for `range` from Anthropic's APIs (the store or the fact files),
    /// without cloud bills: what an Anthropic invoice is reconciled against.
    pub fn anthropic_files(&self, kind: Facts, range: DateRange) -> Result<Vec<PathBuf>, AppError> {
        match &self.origin {
            Origin::Store(root) => {
                if !root.is_dir() {
                    return Err(AppError::Usage(format!(
                        "the store `{}` is not a folder: give the folder `allot sync --store` wrote",
                        root.display()
                    )));
                }
                let snap = self.snapshot()?.expect("a store");
                Ok(store_days(&snap, kind, Some(range)).files)
            }
            Origin::Files {
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

    /// The input files a run of `kind` over `range` read, as the person gave them (FOCUS
    /// exports rather than their converted facts), for a close's manifest.
    pub fn input_files(&self, kind: Facts, range: DateRange) -> Result<Vec<PathBuf>, AppError> {
        let mut out = if self.has_own(kind)? {
            self.anthropic_files(kind, range)?
        } else {
            Vec::new()
        };
        if kind == Facts::Cost {
            if let Some(c) = &self.cloud {
                out.extend(c.files.iter().map(|f| f.source.clone()));
            }
        }
        Ok(out)
    }

    /// The days of `range` whose cost a store holds from the older per-user report only, when
    /// it holds the Usage and Cost Analytics API's for other days: those days charge back seat
    /// users and not the rest of the bill (API keys, service accounts...).
    pub fn per_user_only_days(&self, range: DateRange) -> Result<Vec<NaiveDate>, AppError> {
        let Some(snap) = self.snapshot()? else {
            return Ok(Vec::new());
        };
        if snap.files(Source::ActorCost).is_empty() {
            return Ok(Vec::new());
        }
        Ok(store_days(&snap, Facts::Cost, Some(range))
            .chosen
            .into_iter()
            .filter(|(_, s)| *s == Source::Cost)
            .map(|(d, _)| d)
            .collect())
    }

    /// Whether the cost facts of `range` may name fallback identities (`via`): the Usage and
    /// Cost Analytics API's days, cloud bills, or fact files with a `via` column.
    pub fn carries_via(&self, range: DateRange) -> Result<bool, AppError> {
        if self.cloud.is_some() {
            return Ok(true);
        }
        Ok(match &self.origin {
            Origin::Store(_) => {
                let snap = self.snapshot()?.expect("a store");
                !snap
                    .files_with(Source::ActorCost, &|d| range.contains(d))
                    .is_empty()
            }
            Origin::Files { cost, .. } => cost.iter().any(|p| {
                allot_engine::focus_in::columns_of(p)
                    .is_ok_and(|c| c.iter().any(|n| n == allot_engine::VIA))
            }),
        })
    }

    /// The readable names of non-person actors the sources know (the store's `names.json`,
    /// the cloud bills' account names).
    pub fn names(&self) -> Result<Names, AppError> {
        let mut n = match &self.origin {
            Origin::Store(root) => allot_sync::store::read_names(root)?,
            Origin::Files { .. } => Names::default(),
        };
        if let Some(c) = &self.cloud {
            n.extend(&c.names());
        }
        Ok(n)
    }

    /// The names the Admin API's listings gave keys, workspaces and other actors, dated (a
    /// renamed key keeps its old name on the days before the rename was seen); people are
    /// named by their email everywhere, so their listed names are left out.
    pub fn name_history(&self) -> Result<NameHistory, AppError> {
        let mut history = match &self.origin {
            Origin::Store(root) => allot_sync::store::read_name_history(root)?,
            Origin::Files { .. } => NameHistory::default(),
        };
        history.names.retain(|identity, _| {
            allot_core::identity::split(identity).0 != allot_core::identity::Kind::Person
        });
        Ok(history)
    }

    /// What the facts of `kind` hold of `range` as of `as_of`: one coverage per source (the
    /// store or files, then the cloud bills for cost). `span` is the first and last day of
    /// the files' facts (for files; the store knows its days itself); activity files are
    /// taken to cover what the cost files cover, since people have activity on some days only.
    pub fn coverage(
        &self,
        kind: Facts,
        range: DateRange,
        as_of: NaiveDate,
        span: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<Vec<Coverage>, AppError> {
        self.coverage_with(kind, range, as_of, span, None)
    }

    /// [`Sources::coverage`], where files not stated to cover a period (`--covers`) cover only
    /// the days of their span that have a fact (`fact_days`): a day with no fact inside a
    /// file is a gap, named, never a settled day of $0.00.
    pub fn coverage_with(
        &self,
        kind: Facts,
        range: DateRange,
        as_of: NaiveDate,
        span: Option<(NaiveDate, NaiveDate)>,
        fact_days: Option<&BTreeSet<NaiveDate>>,
    ) -> Result<Vec<Coverage>, AppError> {
        let available_until = match kind {
            Facts::Activity => as_of - Duration::days(ENGAGEMENT_LAG_DAYS),
            _ => as_of - Duration::days(1),
        };
        let mut out = Vec::new();
        let from_spans = |source: &str, covered: &dyn Fn(NaiveDate) -> bool| {
            let mut coverage = Coverage {
                source: source.to_string(),
                ..Coverage::default()
            };
            for d in range.days() {
                if d > available_until {
                    coverage.not_yet.push(d);
                } else if !covered(d) {
                    coverage.missing.push(d);
                }
            }
            coverage
        };
        let own = kind != Facts::Cost || self.cloud.is_none() || self.has_own(kind)?;
        if own {
            match &self.origin {
                Origin::Store(_) => {
                    let snap = self.snapshot()?.expect("a store");
                    let days = store_days(&snap, kind, Some(range));
                    let mut coverage = Coverage {
                        source: kind.name().to_string(),
                        ..Coverage::default()
                    };
                    for d in range.days() {
                        if d > available_until {
                            coverage.not_yet.push(d);
                            continue;
                        }
                        match days.entries.get(&d) {
                            None => coverage.missing.push(d),
                            // Engagement is fetched once past its lag and not chased (the API
                            // may still move it a few percent): provisional until 30 days old.
                            Some(_)
                                if kind == Facts::Activity
                                    && (as_of - d).num_days() < allot_sync::store::SETTLE_DAYS =>
                            {
                                coverage.stale.push(d);
                            }
                            Some(e) if kind != Facts::Activity && !e.settled(d) => {
                                coverage.stale.push(d);
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(coverage);
                }
                Origin::Files { covers, .. } => {
                    let stated = *covers;
                    let covered = stated.or_else(|| span.and_then(|(a, b)| DateRange::new(a, b)));
                    out.push(from_spans(kind.name(), &|d| {
                        covered.is_some_and(|r| r.contains(d))
                            && (stated.is_some() || fact_days.is_none_or(|f| f.contains(&d)))
                    }));
                }
            }
        }
        if kind == Facts::Cost {
            if let Some(c) = &self.cloud {
                out.push(from_spans(CLOUD, &|d| c.covers(d)));
            }
        }
        Ok(out)
    }

    /// The days the given facts of `kind` cover in all (for "no data" messages, and the last
    /// day the data holds).
    pub fn held(&self, kind: Facts) -> Result<Option<DateRange>, AppError> {
        let own = match &self.origin {
            Origin::Store(_) => {
                let snap = self.snapshot()?.expect("a store");
                let days: BTreeSet<NaiveDate> = store_days(&snap, kind, None)
                    .entries
                    .keys()
                    .copied()
                    .collect();
                days.first()
                    .zip(days.last())
                    .and_then(|(a, b)| DateRange::new(*a, *b))
            }
            Origin::Files { covers, .. } => *covers,
        };
        Ok(match (&self.cloud, kind) {
            (Some(c), Facts::Cost) if !self.has_own(kind)? => c.span(),
            _ => own,
        })
    }
}

/// The source name of cloud bills' coverage.
pub const CLOUD: &str = "cloud";

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Two monthly cloud bills with a month between them: that month is not covered.
    #[test]
    fn a_month_between_two_cloud_bills_is_missing_not_covered() {
        let dir = tempfile::tempdir().unwrap();
        let bill = |name: &str, from: &str, to: &str| {
            let p = dir.path().join(name);
            std::fs::write(
                &p,
                format!(
                    "BilledCost,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ServiceName,PrincipalId\n\
                     1.00,Usage,{from}T00:00:00Z,{to}T00:00:00Z,Claude on Bedrock,ann@x.com\n"
                ),
            )
            .unwrap();
            p
        };
        let paths = [
            bill("aug.csv", "2026-08-01", "2026-09-01"),
            bill("oct.csv", "2026-10-01", "2026-11-01"),
        ];
        let cloud = Cloud::read(
            &paths,
            &allot_engine::focus_in::FocusOptions::default(),
            None,
        )
        .unwrap();
        assert!(cloud.covers(d("2026-08-31")) && cloud.covers(d("2026-10-01")));
        assert!(!cloud.covers(d("2026-09-15")));
        let sources = Sources {
            origin: Origin::Files {
                cost: Vec::new(),
                activity: Vec::new(),
                org_cost: Vec::new(),
                covers: None,
            },
            cloud: Some(Arc::new(cloud)),
            snapshot: None,
        };
        let sept = DateRange::month(allot_core::Month::new(2026, 9).unwrap());
        let cov = sources
            .coverage(Facts::Cost, sept, d("2026-12-31"), None)
            .unwrap();
        assert_eq!(cov.len(), 1);
        assert_eq!((cov[0].source.as_str(), cov[0].missing.len()), (CLOUD, 30));
    }

    /// A plan answers each question of a load once: the files as given, whether their cost
    /// may name a fallback identity (a `via` column), and no activity when none is given.
    #[test]
    fn a_plan_answers_every_question_of_a_load_once() {
        let dir = tempfile::tempdir().unwrap();
        let cost = dir.path().join("cost.csv");
        std::fs::write(
            &cost,
            "date,email,cost_usd,via\n2026-09-01,ann@x.com,1.00,\n",
        )
        .unwrap();
        let sources = Sources::from(Origin::Files {
            cost: vec![cost.clone()],
            activity: Vec::new(),
            org_cost: Vec::new(),
            covers: None,
        });
        let sept = DateRange::month(allot_core::Month::new(2026, 9).unwrap());
        let plan = sources.plan(sept, true).unwrap();
        assert_eq!(plan.cost_files, vec![cost]);
        assert!(plan.carries_via);
        assert!(plan.activity_files.is_none());
        assert!(plan.per_user_only.is_empty());
    }
}
