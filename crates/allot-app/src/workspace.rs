//! The workspace (the mapping, where facts come from, the as-of date) and the period loaded
//! from it once: the snapshot every report of a run is computed from.

use allot_report::{Note, NoteKind};
use std::path::PathBuf;
use std::sync::Arc;

use allot_core::facts::{ACTIVITY_COUNTS, ACTIVITY_REQUIRED, COST_REQUIRED};
use allot_core::identity::{NameHistory, Names};
use allot_core::period::{describe_days, period_status, Coverage};
use allot_core::settle::SETTLEMENT_DAYS;
use allot_core::{DateRange, Month, Status};
use allot_engine::{load_facts, Keying, Ledger, Level, Spec, UnmappedPolicy};
use allot_mapping::{OrgMapping, ReadOptions};
use chrono::{Duration, NaiveDate};

use crate::error::AppError;
use crate::sources::{Facts, Sources};

/// How to read the org mapping.
#[derive(Debug, Clone)]
pub struct MappingSpec {
    /// The mapping file (CSV, XLSX, XLS, ODS).
    pub path: PathBuf,
    /// Sheet of a workbook; default the first.
    pub sheet: Option<String>,
    /// Column-mapping TOML; default `<mapping>.toml` when it exists.
    pub columns: Option<PathBuf>,
}

impl MappingSpec {
    /// A mapping read with its default columns.
    pub fn file(path: impl Into<PathBuf>) -> MappingSpec {
        MappingSpec {
            path: path.into(),
            sheet: None,
            columns: None,
        }
    }
}

/// Reads and validates a mapping; returns it and what to tell the person (recognised columns,
/// warnings).
pub fn read_mapping(spec: &MappingSpec) -> Result<(OrgMapping, Vec<String>), AppError> {
    let mapping = OrgMapping::read_with(
        &spec.path,
        &ReadOptions {
            sheet: spec.sheet.clone(),
            columns: spec.columns.clone(),
        },
    )?;
    let mut said = vec![format!(
        "mapping {}: {}",
        spec.path.display(),
        mapping.recognised
    )];
    for w in &mapping.warnings {
        said.push(format!("warning: {}", w.message));
    }
    Ok((mapping, said))
}

/// The mapping, the facts and the as-of date a run works from.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The org mapping.
    pub mapping: Arc<OrgMapping>,
    /// Its file, for messages.
    pub mapping_path: PathBuf,
    /// Where facts come from.
    pub sources: Sources,
    /// Settlement is judged as of this date.
    pub as_of: NaiveDate,
    /// What to tell the person about the inputs.
    pub messages: Vec<String>,
    /// Readable names of the non-person actors the sources know (API keys, accounts...), as
    /// they were on the as-of date.
    pub names: Arc<Names>,
    /// The listings' dated names, read once: a period names each actor as on its last day.
    pub name_history: Arc<NameHistory>,
}

/// What a period load keeps beyond person, day and cost.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Product, model, context window, token type and tokens (the reviews).
    pub usage: bool,
    /// Cost type, user id and list cost too (the FOCUS export).
    pub focus: bool,
    /// Activity facts.
    pub activity: bool,
    /// The period before as well (top spenders' change).
    pub previous: bool,
    /// The periods the run will ask about start on these days only, and it needs no single
    /// day beyond the daily totals: the load may then sum each person's days in spans (much
    /// less to group and assign over long ranges). Empty: keep every day.
    pub starts: Vec<NaiveDate>,
    /// The run asks for single days of cost too (daily series, each day's chargeback, the
    /// last day with cost): with `starts`, the dimensions are summed in spans and each
    /// person's cost per day is read beside them, without its dimensions.
    pub days: bool,
}

/// A segmenter for a load of `range` whose reports ask about periods starting on `starts`:
/// each person's spans end where a period or one of their mapping rows ends; a person with a
/// day no mapping row covers keeps every day (so unmapped days stay exact).
fn segmenter(
    mapping: &OrgMapping,
    range: DateRange,
    starts: &[NaiveDate],
) -> allot_engine::Segmenter {
    use std::collections::{BTreeSet, HashMap};
    let mut rows: HashMap<&str, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
    for r in &mapping.rows {
        rows.entry(r.email.as_str()).or_default().push((
            r.effective_from.unwrap_or(NaiveDate::MIN),
            r.effective_to.unwrap_or(NaiveDate::MAX),
        ));
    }
    let base: BTreeSet<i32> = starts
        .iter()
        .chain(std::iter::once(&range.from))
        .filter(|d| range.contains(**d))
        .map(|d| allot_core::date::to_epoch_days(*d))
        .collect();
    let mut spans: HashMap<String, Option<std::sync::Arc<[i32]>>> = HashMap::new();
    for (email, mut rs) in rows {
        rs.sort_unstable();
        // Covered on every day of the range?
        let mut next = range.from;
        let mut covered = true;
        for (f, t) in &rs {
            if *f > next {
                covered = false;
                break;
            }
            if *t >= next {
                match t.succ_opt() {
                    Some(n) => next = n,
                    None => {
                        next = NaiveDate::MAX;
                        break;
                    }
                }
            }
            if next > range.to {
                break;
            }
        }
        if next <= range.to {
            covered = false;
        }
        let cuts = covered.then(|| {
            let mut cuts_of_person = base.clone();
            for (f, t) in &rs {
                for d in [Some(*f), t.succ_opt()].into_iter().flatten() {
                    if range.contains(d) {
                        cuts_of_person.insert(allot_core::date::to_epoch_days(d));
                    }
                }
            }
            cuts_of_person.into_iter().collect::<Vec<i32>>().into()
        });
        spans.insert(email.to_string(), cuts);
    }
    std::sync::Arc::new(move |email: &str| spans.get(email).cloned().flatten())
}

impl Workspace {
    /// Opens a workspace: reads and checks the mapping.
    pub fn open(
        mapping: &MappingSpec,
        sources: Sources,
        as_of: NaiveDate,
    ) -> Result<Workspace, AppError> {
        let (m, mut messages) = read_mapping(mapping)?;
        if let Some(c) = &sources.cloud {
            messages.extend(
                c.files
                    .iter()
                    .map(allot_engine::focus_in::Converted::summary),
            );
            let by_account: u64 = c.files.iter().map(|f| f.by_account).sum();
            if by_account > 0 {
                messages.push(format!(
                    "cloud bills: {by_account} Claude rows name no principal{}: they are charged to their cloud account (UNMAPPED, named by the account, unless an account_id row maps it)",
                    if c.tagged { " and carry no cost-center tag" } else { "" }
                ));
            }
        }
        let mut ws = Workspace::with_mapping(Arc::new(m), mapping.path.clone(), sources, as_of)?;
        messages.append(&mut ws.messages);
        ws.messages = messages;
        Ok(ws)
    }

    /// A workspace over an already-read mapping.
    pub fn with_mapping(
        mapping: Arc<OrgMapping>,
        path: PathBuf,
        sources: Sources,
        as_of: NaiveDate,
    ) -> Result<Workspace, AppError> {
        // A cloud bill's tag names a cost center: each cost center is then an identity too.
        let mapping = if sources.cloud.as_ref().is_some_and(|c| c.tagged) {
            Arc::new(mapping.with_cost_center_identities())
        } else {
            mapping
        };
        let name_history = sources.name_history()?;
        let mut names = sources.names()?;
        names.extend(&name_history.on(as_of));
        // One version of every table for the whole run, as known on the as-of date.
        let (sources, first_sync) = sources.pin(as_of)?;
        let messages = first_sync
            .map(|d| {
                format!(
                    "the store was first synced on {d}, after {as_of}: it knew nothing earlier, so its first sync is read (no day of {as_of} or later)"
                )
            })
            .into_iter()
            .collect();
        Ok(Workspace {
            mapping,
            mapping_path: path,
            sources,
            as_of,
            messages,
            names: Arc::new(names),
            name_history: Arc::new(name_history),
        })
    }

    /// The actors' names as they were on `day` (every listed name replaces the as-of one:
    /// the history names each identity it holds on any day).
    pub fn names_on(&self, day: NaiveDate) -> Arc<Names> {
        if self.name_history.names.is_empty() {
            return self.names.clone();
        }
        let mut names = (*self.names).clone();
        names.extend(&self.name_history.on(day));
        Arc::new(names)
    }

    /// Loads `range` once, keeping what `needs` asks for: the sources are planned once
    /// ([`Sources::plan`]), the facts read once, and what they hold of the range judged.
    pub fn period(&self, range: DateRange, needs: &Needs) -> Result<Period, AppError> {
        if range.from >= self.as_of {
            return Err(AppError::NoData(format!(
                "{range} has not started as of {}: there is nothing to report yet",
                self.as_of
            )));
        }
        let loaded = if needs.previous {
            DateRange {
                from: previous(range).from,
                to: range.to,
            }
        } else {
            range
        };
        // `--as-of D` means "as known on D": no fact of D or later is read.
        let read = DateRange {
            from: loaded.from,
            to: loaded.to.min(self.as_of - Duration::days(1)),
        };
        let plan = self.sources.plan(read, needs.activity)?;
        let columns = LoadColumns::of(needs, plan.carries_via);
        let mut starts = self.span_starts(range, loaded, needs);
        // Single days without dimensions beyond the fallbacks: one load at day grain.
        let split_days = needs.days && columns.dims.iter().any(|d| *d != allot_engine::VIA);
        if needs.days && !split_days {
            starts = None;
        }
        let grain = match &starts {
            Some(days) => allot_engine::Grain::Spans(segmenter(&self.mapping, loaded, days)),
            None => allot_engine::Grain::Day,
        };
        let mut cost = load_facts(
            &plan.cost_files,
            &Spec {
                required: &COST_REQUIRED,
                dims: &columns.dims,
                counts: &columns.counts,
                money: &columns.money,
                range: read,
                grain,
            },
        )?;
        cost.resolve_via(&self.mapping)?;
        // Each person's cost per day, beside dimensions summed in spans.
        let days = match &starts {
            Some(_) if split_days => {
                let via: Vec<&str> = columns
                    .dims
                    .iter()
                    .copied()
                    .filter(|d| *d == allot_engine::VIA)
                    .collect();
                let mut days = load_facts(
                    &plan.cost_files,
                    &Spec {
                        required: &COST_REQUIRED,
                        dims: &via,
                        counts: &[],
                        money: &columns.money[..1],
                        range: read,
                        grain: allot_engine::Grain::Day,
                    },
                )?;
                days.resolve_via(&self.mapping)?;
                Some(days)
            }
            _ => None,
        };
        let activity = match &plan.activity_files {
            Some(files) => Some(load_facts(
                files,
                &Spec {
                    required: &ACTIVITY_REQUIRED,
                    dims: &[],
                    counts: &ACTIVITY_COUNTS,
                    money: &[],
                    range: read,
                    grain: allot_engine::Grain::Day,
                },
            )?),
            None => None,
        };
        let span = cost.span;
        let fact_days: std::collections::BTreeSet<NaiveDate> =
            cost.daily.iter().map(|(day, _)| *day).collect();
        let mut coverage =
            self.sources
                .coverage_with(Facts::Cost, loaded, self.as_of, span, Some(&fact_days))?;
        if activity.is_some() {
            coverage.extend(
                self.sources
                    .coverage(Facts::Activity, loaded, self.as_of, span)?,
            );
        }
        // A period the facts do not reach at all is an error, not a month of $0.00.
        let days_held = |c: &Coverage| range.days().filter(|day| c.holds(*day)).count();
        let reached = coverage
            .iter()
            .filter(|c| Facts::Cost.covers(&c.source))
            .any(|c| days_held(c) > 0);
        if !reached {
            return Err(self.no_cost_data(range, span)?);
        }
        let mut ledger = Ledger::new(
            self.mapping.clone(),
            loaded,
            cost,
            activity,
            starts.as_deref(),
        )?;
        if let Some(days) = days {
            ledger = ledger.with_days(days)?;
        }
        Ok(Period {
            range,
            loaded,
            ledger,
            coverage,
            as_of: self.as_of,
            // Each name as it was on the period's last day.
            names: self.names_on(range.to.min(self.as_of)),
            per_user_only: plan.per_user_only,
        })
    }

    /// The days the run's periods start on, when the load may sum each person's days in spans
    /// (see [`Needs::starts`]); `None` keeps every day.
    fn span_starts(
        &self,
        range: DateRange,
        loaded: DateRange,
        needs: &Needs,
    ) -> Option<Vec<NaiveDate>> {
        if needs.starts.is_empty() || needs.focus {
            return None;
        }
        let mut starts = needs.starts.clone();
        starts.push(loaded.from);
        starts.push(range.from);
        if needs.previous {
            // A running period is compared with the same days before it.
            starts.push(compared_with(range, self.as_of).to + Duration::days(1));
        }
        starts.sort_unstable();
        starts.dedup();
        Some(starts)
    }

    /// The error for a period no cost fact reaches: what the facts hold, and what would fill
    /// it (a sync, a repair, or the files for it).
    fn no_cost_data(
        &self,
        range: DateRange,
        span: Option<(NaiveDate, NaiveDate)>,
    ) -> Result<AppError, AppError> {
        let held = match self.sources.held(Facts::Cost)? {
            Some(days) => format!("the facts given cover {days}"),
            None => match span {
                Some((first, last)) => format!("the files hold facts from {first} to {last}"),
                None => "the facts given hold no cost at all".to_string(),
            },
        };
        let sync_to = range.to.min(self.as_of - Duration::days(1));
        let lost = self.sources.lost_days(Facts::Cost, range)?;
        let hint = match self.sources.store() {
            Some(store) if !lost.is_empty() => format!(
                "the store's log records {} days of it whose files are gone: `allot store verify --store {}` names them, `allot sync --store {} --repair` fetches them again",
                lost.len(),
                store.display(),
                store.display()
            ),
            Some(store) => match allot_sync::sync::check_range(range.from, sync_to, self.as_of) {
                // Advise a sync only when sync would do it.
                Err(why) => {
                    format!("Anthropic's API cannot be asked for it either ({why})")
                }
                Ok(()) => format!(
                    "run `allot sync --store {} --from {} --to {sync_to}` first",
                    store.display(),
                    range.from,
                ),
            },
            None => {
                "give the files for it, or --covers to state a period the files cover".to_string()
            }
        };
        Ok(AppError::NoData(format!(
            "no cost data for {range}: {held}; {hint}"
        )))
    }
}

/// The columns a load keeps, from what the run needs.
struct LoadColumns {
    dims: Vec<&'static str>,
    counts: Vec<&'static str>,
    money: Vec<&'static str>,
}

impl LoadColumns {
    fn of(needs: &Needs, carries_via: bool) -> LoadColumns {
        let mut dims: Vec<&'static str> = Vec::new();
        let mut counts = Vec::new();
        let mut money = vec!["cost_usd"];
        if needs.usage || needs.focus {
            dims.extend(allot_engine::USAGE_DIMS);
            counts.push("tokens");
        }
        if needs.focus {
            dims.extend(["cost_type", "user_id"]);
            money.push("list_cost_usd");
        }
        // Facts that may be charged through a fallback (an API key, a workspace, a cloud
        // bill's tag or account) keep it until the mapping says who is charged.
        if carries_via {
            dims.push(allot_engine::VIA);
        }
        LoadColumns {
            dims,
            counts,
            money,
        }
    }
}

/// The period before `range`: as many whole months just before it when `range` is whole
/// months (a month, a quarter), else the same number of days just before it.
pub fn previous(range: DateRange) -> DateRange {
    match whole_months(range) {
        Some((first, count)) => {
            let before = (0..count).fold(first, |m, _| m.prev());
            DateRange {
                from: before.first_day(),
                to: first.first_day() - Duration::days(1),
            }
        }
        None => DateRange {
            from: range.from - Duration::days(range.len()),
            to: range.from - Duration::days(1),
        },
    }
}

/// The first month and the number of months when `range` is whole calendar months (it starts
/// on a month's first day and ends on a month's last day).
pub fn whole_months(range: DateRange) -> Option<(Month, usize)> {
    let first = Month::of(range.from);
    let last = Month::of(range.to);
    if range.from != first.first_day() || range.to != last.last_day() {
        return None;
    }
    let mut count = 1;
    let mut month = first;
    while month != last {
        month = month.next();
        count += 1;
    }
    Some((first, count))
}

/// The period `range` is compared with, like with like: the period before it, cut to the same
/// days when `range` is still running as of `as_of` (the first 6 days of December against the
/// first 6 of November, never against all of November).
pub fn compared_with(range: DateRange, as_of: NaiveDate) -> DateRange {
    like_days(range, previous(range), as_of)
}

/// The days of `against` compared with `range` as known on `as_of` (like with like): the same
/// number of days from its start while `range` is still running, else the whole of it.
pub fn like_days(range: DateRange, against: DateRange, as_of: NaiveDate) -> DateRange {
    let known = range.to.min(as_of - Duration::days(1));
    if known >= range.to || known < range.from {
        return against;
    }
    let days = (known - range.from).num_days();
    DateRange {
        from: against.from,
        to: (against.from + Duration::days(days)).min(against.to),
    }
}

/// The level `by` names (cost_center by default).
pub fn level_of(mapping: &OrgMapping, by: Option<&str>) -> Result<Level, AppError> {
    Ok(match by {
        None => Level::CostCenter,
        Some(b) if b.eq_ignore_ascii_case("cost_center") => Level::CostCenter,
        Some(b) => match mapping.attribute(b) {
            Some(i) => Level::Attribute(i),
            None => {
                return Err(AppError::Usage(format!(
                    "--by {b}: the mapping has no such column (columns you can group by: {})",
                    std::iter::once("cost_center")
                        .chain(mapping.attributes.iter().map(String::as_str))
                        .collect::<Vec<_>>()
                        .join(", ")
                )))
            }
        },
    })
}

/// A period loaded once: its ledger and what the sources held of it.
#[derive(Debug, Clone)]
pub struct Period {
    /// The period reported.
    pub range: DateRange,
    /// What was loaded (with the period before, when asked).
    pub loaded: DateRange,
    /// The facts, assigned.
    pub ledger: Ledger,
    /// What each source held of the loaded range.
    pub coverage: Vec<Coverage>,
    /// Settlement is judged as of this date.
    pub as_of: NaiveDate,
    /// Readable names of the non-person actors.
    pub names: Arc<Names>,
    /// Days whose cost comes from the older per-user report only, in a store that has the
    /// Usage and Cost Analytics API's cost for other days.
    pub per_user_only: Vec<NaiveDate>,
}

impl Period {
    /// What each source held of `range` (inside the loaded range).
    fn coverage_of(&self, range: DateRange, kinds: &[Facts]) -> Vec<Coverage> {
        self.coverage
            .iter()
            .filter(|c| kinds.iter().any(|k| k.covers(&c.source)))
            .map(|c| {
                let keep =
                    |v: &Vec<NaiveDate>| v.iter().copied().filter(|d| range.contains(*d)).collect();
                Coverage {
                    source: c.source.clone(),
                    missing: keep(&c.missing),
                    stale: keep(&c.stale),
                    not_yet: keep(&c.not_yet),
                }
            })
            .collect()
    }

    /// The status of `range`'s figures built from `kinds` of facts.
    pub fn status_of(&self, range: DateRange, kinds: &[Facts]) -> Status {
        period_status(range, self.as_of, &self.coverage_of(range, kinds))
    }

    /// The status of the period's cost figures.
    pub fn status(&self) -> Status {
        self.status_of(self.range, &[Facts::Cost])
    }

    /// What a reader must know about `range`'s status: the missing days of each source, the
    /// days still open to revision.
    pub fn status_notes(&self, range: DateRange, kinds: &[Facts]) -> Vec<Note> {
        let cov = self.coverage_of(range, kinds);
        let mut notes = Vec::new();
        let seat_only: Vec<NaiveDate> = self
            .per_user_only
            .iter()
            .copied()
            .filter(|d| range.contains(*d))
            .collect();
        if !seat_only.is_empty() && kinds.contains(&Facts::Cost) {
            notes.push(Note::new(NoteKind::SeatUsersOnly, format!(
                "SEAT USERS ONLY: {} of {range} ({}) {} synced from the older per-user report, which holds seat users' cost only: API keys, service accounts and the rest of the bill are not charged back for {}. `allot sync --from {} --to {}` reads {} from the Usage and Cost Analytics API.",
                plural(seat_only.len(), "day"),
                describe_days(&seat_only),
                if seat_only.len() == 1 { "was" } else { "were" },
                if seat_only.len() == 1 { "it" } else { "them" },
                seat_only[0],
                seat_only[seat_only.len() - 1],
                if seat_only.len() == 1 { "it" } else { "them" },
            )));
        }
        for c in &cov {
            if !c.missing.is_empty() {
                notes.push(Note::new(NoteKind::Incomplete, format!(
                    "INCOMPLETE: the {} facts have no data for {} of {range}: {}. These figures are not the period's whole cost.",
                    c.source,
                    plural(c.missing.len(), "day"),
                    describe_days(&c.missing)
                )));
            }
        }
        match period_status(range, self.as_of, &cov) {
            Status::Settled | Status::Incomplete => {}
            Status::Provisional => {
                let young: Vec<NaiveDate> = range
                    .days()
                    .filter(|d| (self.as_of - *d).num_days() < SETTLEMENT_DAYS && *d < self.as_of)
                    .collect();
                let mut why = Vec::new();
                if !young.is_empty() {
                    why.push(format!(
                        "{} less than {SETTLEMENT_DAYS} days before {} ({})",
                        plural(young.len(), "day is"),
                        self.as_of,
                        describe_days(&young)
                    ));
                }
                let not_yet: Vec<NaiveDate> = cov.iter().flat_map(|c| c.not_yet.clone()).collect();
                if let Some(last) = not_yet.iter().min() {
                    why.push(format!(
                        "the period runs to {} but the data ends before {last} (to date)",
                        range.to
                    ));
                }
                let mut stale: Vec<NaiveDate> = cov.iter().flat_map(|c| c.stale.clone()).collect();
                stale.sort_unstable();
                stale.dedup();
                if !stale.is_empty() {
                    why.push(format!(
                        "{} synced while still open to revision ({}): sync again to settle them",
                        plural(stale.len(), "day was"),
                        describe_days(&stale)
                    ));
                }
                notes.push(Note::new(
                    NoteKind::Provisional,
                    format!(
                        "PROVISIONAL: {}; Anthropic may still revise these costs.",
                        why.join("; ")
                    ),
                ));
            }
        }
        notes
    }

    /// Resolves a level and an unmapped policy.
    pub fn keying(&self, by: Option<&str>, policy: &UnmappedPolicy) -> Result<Keying, AppError> {
        let level = level_of(self.ledger.mapping(), by)?;
        Ok(self.ledger.keying(&level, policy)?)
    }

    /// Whether `range` is a whole month (the usual report period).
    pub fn month(&self) -> Option<Month> {
        self.range.as_month()
    }
}

/// `n thing` / `n things` (for `day is`, `n days are`).
pub fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        return format!("1 {what}");
    }
    match what.split_once(' ') {
        Some((noun, "is")) => format!("{n} {noun}s are"),
        Some((noun, "was")) => format!("{n} {noun}s were"),
        _ => format!("{n} {what}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allot_core::period::buckets;
    use allot_core::Per;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        allot_core::date::parse_date(s).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]
        /// Summing days in spans never changes a chargeback: lines, people, users and the
        /// unmapped people with their days are the same as with every day kept, facts charged
        /// through their fallbacks (a key that moves, a workspace mapped from a day) included.
        #[test]
        fn spans_give_the_chargebacks_days_give(
            people in proptest::collection::vec((0u8..3, 0u8..3, 0i64..45, 0u8..4), 1..6),
            facts in proptest::collection::vec((0usize..8, 0i64..61, -500_000_000i64..9_000_000_000, 0u8..4), 1..80),
            per_week in any::<bool>(),
            key_split in 0i64..61,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let start = d("2026-08-01");
            // Each person: a first cost center until a split day, then another (or a gap, or
            // nothing after it).
            let mut mapping = String::from("email,api_key_id,workspace_id,cost_center,department,effective_from,effective_to\n");
            for (i, (a, b, split, kind)) in people.iter().enumerate() {
                let until = start + chrono::Duration::days(*split);
                match kind {
                    0 => mapping.push_str(&format!("p{i}@x.test,,,CC{a},D{a},,\n")),
                    1 => mapping.push_str(&format!("p{i}@x.test,,,CC{a},D{a},,{until}\np{i}@x.test,,,CC{b},D{b},{},\n", until.succ_opt().unwrap())),
                    2 => mapping.push_str(&format!("p{i}@x.test,,,CC{a},D{a},,{until}\np{i}@x.test,,,CC{b},D{b},{},\n", until + chrono::Duration::days(5))),
                    _ => mapping.push_str(&format!("p{i}@x.test,,,CC{a},D{a},{until},\n")),
                }
            }
            // A key that moves cost center on a day, and a workspace mapped from the start
            // of September: facts that fall back to them are charged by day too.
            let moved = start + chrono::Duration::days(key_split);
            mapping.push_str(&format!(",k1,,CC0,D0,,{moved}\n,k1,,CC1,D1,{},\n,,w1,CC2,D2,2026-09-01,\n", moved.succ_opt().unwrap()));
            let mut cost = String::from("date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd,via\n");
            for (p, day, nanos, who) in &facts {
                let date = start + chrono::Duration::days(*day);
                // A person, a person on the key, a service account on the key, the key itself.
                let (email, via) = match who {
                    0 => (format!("p{p}@x.test"), ""),
                    1 => (format!("p{p}@x.test"), "api_key:k1|workspace:w1"),
                    2 => (format!("service_account:s{p}"), "api_key:k{p}|workspace:w1"),
                    _ => ("api_key:k1".to_string(), "workspace:w1"),
                };
                cost.push_str(&format!(
                    "{date},{email},chat,m{},0-200k,tokens,output_tokens,1,{},{via}\n",
                    day % 3,
                    allot_core::Nanos(i128::from(*nanos))
                ));
            }
            std::fs::write(dir.path().join("m.csv"), mapping).unwrap();
            std::fs::write(dir.path().join("c.csv"), cost).unwrap();
            let ws = Workspace::open(
                &MappingSpec::file(dir.path().join("m.csv")),
                crate::sources::Origin::Files {
                    cost: vec![dir.path().join("c.csv")],
                    activity: vec![],
                    org_cost: vec![],
                    covers: DateRange::new(d("2026-08-01"), d("2026-09-30")),
                }
                .into(),
                d("2026-12-31"),
            )
            .unwrap();
            let range = DateRange::new(d("2026-08-01"), d("2026-09-30")).unwrap();
            let cuts = buckets(range, if per_week { Per::Week } else { Per::Month });
            let by_day = ws.period(range, &Needs::default()).unwrap();
            let by_span = ws
                .period(range, &Needs { starts: cuts.iter().map(|b| b.from).collect(), ..Needs::default() })
                .unwrap();
            for policy in [UnmappedPolicy::Bucket, UnmappedPolicy::LastKnown] {
                for by in [None, Some("department")] {
                    let a = by_day.ledger.chargebacks(&by_day.keying(by, &policy).unwrap(), &cuts).unwrap();
                    let b = by_span.ledger.chargebacks(&by_span.keying(by, &policy).unwrap(), &cuts).unwrap();
                    for (x, y) in a.iter().zip(&b) {
                        prop_assert_eq!(&x.lines, &y.lines);
                        prop_assert_eq!(&x.people, &y.people);
                        prop_assert_eq!(&x.unmapped, &y.unmapped);
                        prop_assert_eq!(&x.tree, &y.tree);
                        prop_assert_eq!(x.total, y.total);
                    }
                }
            }
            prop_assert_eq!(by_day.ledger.daily(range).unwrap(), by_span.ledger.daily(range).unwrap());

            // Usage summed in spans beside each person's cost per day (`Needs::days`) answers
            // what a day-grain load of the usage does: the daily series, each single day's
            // chargeback, each period's usage and everyone's last day with cost.
            let usage_by_day = ws.period(range, &Needs { usage: true, ..Needs::default() }).unwrap();
            let split = ws
                .period(range, &Needs { usage: true, starts: cuts.iter().map(|b| b.from).collect(), days: true, ..Needs::default() })
                .unwrap();
            let single: Vec<DateRange> = range.days().map(|day| DateRange::new(day, day).unwrap()).collect();
            for by in [None, Some("department")] {
                let ka = usage_by_day.keying(by, &UnmappedPolicy::Bucket).unwrap();
                let kb = split.keying(by, &UnmappedPolicy::Bucket).unwrap();
                prop_assert_eq!(usage_by_day.ledger.series(&ka, range).unwrap(), split.ledger.series(&kb, range).unwrap());
                let a = usage_by_day.ledger.chargebacks(&ka, &single).unwrap();
                let b = split.ledger.chargebacks(&kb, &single).unwrap();
                for (x, y) in a.iter().zip(&b) {
                    prop_assert_eq!(&x.lines, &y.lines);
                    prop_assert_eq!(&x.people, &y.people);
                    prop_assert_eq!(x.total, y.total);
                }
                for cut in &cuts {
                    prop_assert_eq!(usage_by_day.ledger.usage(&ka, *cut).unwrap(), split.ledger.usage(&kb, *cut).unwrap());
                }
            }
            prop_assert_eq!(usage_by_day.ledger.last_cost_day().unwrap(), split.ledger.last_cost_day().unwrap());
            // A period cut inside a span is refused, never answered from part of it.
            if let Some(inside) = range.days().find(|day| !cuts.iter().any(|c| c.from == *day)) {
                let k = split.keying(None, &UnmappedPolicy::Bucket).unwrap();
                prop_assert!(split.ledger.usage(&k, DateRange::new(inside, range.to).unwrap()).is_err());
            }
        }
    }
}
