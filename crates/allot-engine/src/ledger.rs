//! The ledger of a period: the facts of one load with every person numbered and every
//! (person, day) given its mapping row, from which the chargeback (of the whole period or of
//! each day, week or month in it), the per-person usage and activity the reviews read, the
//! daily series, the FOCUS rows and the reconciliation amounts all derive. Nothing here reads a
//! file again; every total ties back to the exact sum tallied while the facts were read.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use allot_core::date::{from_epoch_days, to_epoch_days};
use allot_core::facts::normalize_email;
use allot_core::results::{
    ActivityRow, Chargeback, ChargebackLine, FocusFact, PersonCost, UnmappedPerson, UsageRow,
};
use allot_core::{DateRange, Month, Nanos, UNMAPPED};
use allot_mapping::OrgMapping;
use chrono::NaiveDate;
use polars::prelude::*;

use crate::error::EngineError;
use crate::facts::{missing_column, Loaded};
use crate::level::{Level, UnmappedPolicy, BLANK};

/// Normalised emails numbered from 0, everyone in the mapping first.
#[derive(Debug, Default, Clone)]
pub struct People {
    ids: HashMap<String, u32>,
    emails: Vec<String>,
}

impl People {
    /// The id of an already-normalised email, numbering it if new.
    pub fn id(&mut self, email: &str) -> u32 {
        if let Some(id) = self.ids.get(email) {
            return *id;
        }
        let id = self.emails.len() as u32;
        self.ids.insert(email.to_string(), id);
        self.emails.push(email.to_string());
        id
    }

    /// The id of a normalised email, if known.
    pub fn get(&self, email: &str) -> Option<u32> {
        self.ids.get(email).copied()
    }

    /// The normalised email of an id.
    pub fn email(&self, id: u32) -> &str {
        &self.emails[id as usize]
    }

    /// How many people are numbered.
    pub fn len(&self) -> usize {
        self.emails.len()
    }

    /// Whether nobody is numbered.
    pub fn is_empty(&self) -> bool {
        self.emails.is_empty()
    }

    /// Replaces the `email` column by a `person` id column (emails matched after trimming and
    /// lower-casing), numbering each distinct spelling once. Returns whether two spellings
    /// became one person (rows may then repeat a person and day).
    fn number(&mut self, df: &mut DataFrame) -> Result<bool, EngineError> {
        let mut merged = false;
        let ids: Vec<u32> = {
            let emails = df.column("email")?.str()?;
            let mut cache: HashMap<&str, u32, foldhash::fast::FixedState> = HashMap::default();
            let mut seen: std::collections::HashSet<u32, foldhash::fast::FixedState> =
                std::collections::HashSet::default();
            let mut ids = Vec::with_capacity(emails.len());
            for email in emails.iter() {
                let email = email.unwrap_or("");
                let id = match cache.get(email) {
                    Some(id) => *id,
                    None => {
                        let id = self.id(&normalize_email(email));
                        cache.insert(email, id);
                        merged |= !seen.insert(id);
                        id
                    }
                };
                ids.push(id);
            }
            ids
        };
        let _ = df.drop_in_place("email")?;
        df.with_column(Column::new(PERSON.into(), ids))?;
        Ok(merged)
    }
}

/// Column of person ids.
pub const PERSON: &str = "person";
/// Column of days since 1970-01-01.
pub const DAY: &str = "day";
const COST: &str = "cost_nanos";

/// Every person's mapping rows as day ranges, for finding the row valid on a day.
#[derive(Debug, Clone, Default)]
struct Assigner {
    /// By person id: (first day, last day, row index), sorted by first day.
    rows: Vec<Vec<(i32, i32, u32)>>,
}

impl Assigner {
    fn new(mapping: &OrgMapping, people: &mut People) -> Assigner {
        let mut rows: Vec<Vec<(i32, i32, u32)>> = Vec::new();
        for (i, r) in mapping.rows.iter().enumerate() {
            let person = people.id(&r.email) as usize;
            if rows.len() <= person {
                rows.resize(person + 1, Vec::new());
            }
            rows[person].push((
                r.effective_from.map_or(i32::MIN, to_epoch_days),
                r.effective_to.map_or(i32::MAX, to_epoch_days),
                i as u32,
            ));
        }
        for r in &mut rows {
            r.sort_unstable();
        }
        Assigner { rows }
    }

    /// The mapping row valid for `person` on `day` (the mapping has at most one).
    fn row(&self, person: u32, day: i32) -> Option<u32> {
        self.rows
            .get(person as usize)?
            .iter()
            .find(|(f, t, _)| *f <= day && day <= *t)
            .map(|r| r.2)
    }

    /// The person's latest row that ended before `day`.
    fn last_before(&self, person: u32, day: i32) -> Option<u32> {
        self.rows
            .get(person as usize)?
            .iter()
            .filter(|(_, t, _)| *t < day)
            .max_by_key(|(_, t, _)| *t)
            .map(|r| r.2)
    }
}

/// A level and an unmapped policy resolved to integer codes: which line (and cost center)
/// every mapping row, and every uncovered (person, day), is charged to.
#[derive(Debug, Clone)]
pub struct Keying {
    level: Level,
    policy: UnmappedPolicy,
    /// Name of the level column (`cost_center` or the attribute).
    pub level_name: String,
    keys: Vec<String>,
    ccs: Vec<String>,
    row_key: Vec<u32>,
    row_cc: Vec<u32>,
    unmapped_key: u32,
    unmapped_cc: u32,
    fixed_row: Option<u32>,
}

impl Keying {
    /// The key text of a code.
    pub fn key(&self, code: u32) -> &str {
        &self.keys[code as usize]
    }

    /// (line, cost center, covered by a mapping row) of `person` on `day`.
    fn code(&self, a: &Assigner, person: u32, day: i32) -> (u32, u32, bool) {
        if let Some(r) = a.row(person, day) {
            return (self.row_key[r as usize], self.row_cc[r as usize], true);
        }
        let row = match self.policy {
            UnmappedPolicy::Bucket => None,
            UnmappedPolicy::LastKnown => a.last_before(person, day),
            UnmappedPolicy::To(_) => self.fixed_row,
        };
        match row {
            Some(r) => (self.row_key[r as usize], self.row_cc[r as usize], false),
            None => (self.unmapped_key, self.unmapped_cc, false),
        }
    }
}

/// (bucket, line, cost center, person) -> amount.
type Cells = HashMap<(u32, u32, u32, u32), i128, foldhash::fast::FixedState>;

/// (bucket, person) -> (amount, days, first day, line charged to) of days no row covers.
type Uncovered = HashMap<(u32, u32), (i128, u32, i32, u32), foldhash::fast::FixedState>;

/// Each cost center's cost under its hierarchy path (the chargeback's `tree`).
type Tree = Vec<(Vec<String>, Nanos)>;

/// One bucket's chargeback as it is summed up.
#[derive(Default)]
struct Acc {
    lines: BTreeMap<u32, (i128, Vec<u32>)>,
    ccs: BTreeMap<u32, i128>,
    people: BTreeMap<(u32, u32), i128>,
    persons: std::collections::BTreeSet<u32>,
    /// Which line each cost center's cost went to: (cost center, line).
    cc_lines: std::collections::BTreeSet<(u32, u32)>,
    total: i128,
}

/// Daily cost by line and by person, oldest day first in each (days with no cost are absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    /// Line (cost center or level value) -> (day, cost).
    pub lines: BTreeMap<String, Vec<(NaiveDate, Nanos)>>,
    /// Person (normalised email) -> (day, cost).
    pub people: BTreeMap<String, Vec<(NaiveDate, Nanos)>>,
}

/// One value of a fact dimension in one bucket: (value, people with cost, amount).
pub type DimensionRow = (String, u64, Nanos);

/// The facts of a period, numbered and assigned, ready to answer every report's question.
#[derive(Debug, Clone)]
pub struct Ledger {
    mapping: Arc<OrgMapping>,
    people: People,
    assigner: Assigner,
    range: DateRange,
    /// person, day, dims..., cost_nanos, counts and money sums of the load.
    cost: DataFrame,
    dims: Vec<String>,
    /// person, day, cost_nanos: one row per person-day with cost.
    days: DataFrame,
    /// person, day, activity counts.
    activity: Option<DataFrame>,
    total: Nanos,
    /// The exact cost of each day with facts.
    daily: Vec<(NaiveDate, Nanos)>,
    /// When the load kept spans of days instead of days: the days spans may start on for
    /// every person (a period asked of the ledger must start on one of them).
    span_starts: Option<Vec<i32>>,
    /// Whether `days` holds single days: a load at day grain, or the person-days given by
    /// [`Ledger::with_days`] beside dimensions kept in spans.
    days_exact: bool,
}

/// The text columns of a numbered load: the dimensions it kept.
fn text_columns(df: &DataFrame) -> Vec<String> {
    df.get_column_names()
        .iter()
        .map(ToString::to_string)
        .filter(|n| df.column(n).is_ok_and(|c| c.dtype() == &DataType::String))
        .collect()
}

/// One row per person and day (or span) of a numbered load, holding every nano-dollar of
/// `total`; `one_row_each` when the load already gives that (no dimensions kept, no two
/// spellings of an email made one person, no repeats from fallbacks).
fn person_days(df: &DataFrame, one_row_each: bool, total: Nanos) -> Result<DataFrame, EngineError> {
    let days = if one_row_each {
        df.select([PERSON, DAY, COST])?
    } else {
        df.clone()
            .lazy()
            .group_by([col(PERSON), col(DAY)])
            .agg([col(COST).sum()])
            .collect()?
    };
    // The early aggregation and the numbering kept every nano-dollar of the source rows.
    let got = Nanos(i128_sum(days.column(COST)?.i64()?));
    if got != total {
        return Err(EngineError::TieOut {
            what: "the facts loaded".into(),
            got: got.to_string(),
            expected: total.to_string(),
        });
    }
    Ok(days)
}

fn i128_sum(ca: &Int64Chunked) -> i128 {
    ca.iter().flatten().map(i128::from).sum()
}

/// Rows of `df` whose day is inside `range`.
fn within(df: &DataFrame, range: DateRange) -> PolarsResult<DataFrame> {
    let (lo, hi) = (to_epoch_days(range.from), to_epoch_days(range.to));
    df.clone()
        .lazy()
        .filter(col(DAY).gt_eq(lit(lo)).and(col(DAY).lt_eq(lit(hi))))
        .collect()
}

impl Ledger {
    /// Builds the ledger of `range` from one load of cost facts (and optionally activity).
    /// `span_starts`: when the cost load kept spans of days (its grain), the days every span
    /// boundary of every person includes (the starts of the periods reports will ask for).
    pub fn new(
        mapping: Arc<OrgMapping>,
        range: DateRange,
        cost: Loaded,
        activity: Option<Loaded>,
        span_starts: Option<&[NaiveDate]>,
    ) -> Result<Ledger, EngineError> {
        let started = std::time::Instant::now();
        let mut people = People::default();
        let assigner = Assigner::new(&mapping, &mut people);
        let Loaded {
            df: mut cost_df,
            total,
            daily,
            repeats,
            ..
        } = cost;
        let merged = people.number(&mut cost_df)?;
        let dims = text_columns(&cost_df);
        let days = person_days(&cost_df, dims.is_empty() && !merged && !repeats, total)?;
        let activity = match activity {
            Some(a) => {
                let mut df = a.df;
                let _ = people.number(&mut df)?;
                Some(df)
            }
            None => None,
        };
        tracing::debug!(person_days = days.height(), people = people.len(), elapsed = ?started.elapsed(), "ledger built");
        Ok(Ledger {
            mapping,
            people,
            assigner,
            range,
            cost: cost_df,
            dims,
            days,
            activity,
            total,
            daily,
            span_starts: span_starts.map(|s| s.iter().map(|d| to_epoch_days(*d)).collect()),
            days_exact: span_starts.is_none(),
        })
    }

    /// The same ledger with its person-days taken from `days`, a load of the same facts at
    /// day grain without dimensions: a ledger whose dimensions were summed in spans then also
    /// answers single days (daily series, each day's chargeback, the last day with cost),
    /// without holding every day of every dimension. Both loads must hold the same total.
    pub fn with_days(mut self, days: Loaded) -> Result<Ledger, EngineError> {
        let Loaded {
            mut df,
            total,
            repeats,
            ..
        } = days;
        if total != self.total {
            return Err(EngineError::TieOut {
                what: "the day-grain load beside the period's".into(),
                got: total.to_string(),
                expected: self.total.to_string(),
            });
        }
        let merged = self.people.number(&mut df)?;
        let one_row_each = text_columns(&df).is_empty() && !merged && !repeats;
        self.days = person_days(&df, one_row_each, total)?;
        self.days_exact = true;
        Ok(self)
    }

    /// Refuses a period the load's grain cannot answer exactly: one starting inside a span,
    /// or ending inside one (before the ledger's last day with facts, and not the day before
    /// a span may start).
    fn check_grain(&self, what: &str, periods: &[DateRange]) -> Result<(), EngineError> {
        if let Some(starts) = &self.span_starts {
            let last_fact = self.daily.last().map(|(d, _)| to_epoch_days(*d));
            for p in periods {
                let to = to_epoch_days(p.to);
                let ends_on_a_cut = p.to >= self.range.to
                    || last_fact.is_some_and(|l| to >= l)
                    || starts.contains(&(to + 1));
                if !starts.contains(&to_epoch_days(p.from)) || !ends_on_a_cut {
                    return Err(EngineError::Internal(format!(
                        "{what} of {p} asked of a load that summed days in spans not cut at its first and last day"
                    )));
                }
            }
        }
        Ok(())
    }

    /// Refuses a question that needs single days of a load that summed spans of them.
    fn need_days(&self, what: &str) -> Result<(), EngineError> {
        if self.days_exact {
            Ok(())
        } else {
            Err(EngineError::Internal(format!(
                "{what} needs single days, and this load summed spans of days"
            )))
        }
    }

    /// The period the ledger holds.
    pub fn range(&self) -> DateRange {
        self.range
    }

    /// The mapping the ledger assigns with.
    pub fn mapping(&self) -> &OrgMapping {
        &self.mapping
    }

    /// Exact total cost of the period, as tallied from the source rows.
    pub fn total(&self) -> Nanos {
        self.total
    }

    /// Whether activity facts were loaded.
    pub fn has_activity(&self) -> bool {
        self.activity.is_some()
    }

    /// The normalised email of a person id.
    pub fn email(&self, person: u32) -> &str {
        self.people.email(person)
    }

    /// Resolves a level and an unmapped policy to codes.
    pub fn keying(&self, level: &Level, policy: &UnmappedPolicy) -> Result<Keying, EngineError> {
        let m = &self.mapping;
        let mut keys: Vec<String> = Vec::new();
        let mut key_codes: HashMap<String, u32> = HashMap::new();
        let mut code = |k: &str, keys: &mut Vec<String>| -> u32 {
            if let Some(c) = key_codes.get(k) {
                return *c;
            }
            let code = keys.len() as u32;
            key_codes.insert(k.to_string(), code);
            keys.push(k.to_string());
            code
        };
        let mut ccs: Vec<String> = Vec::new();
        let mut cc_codes: HashMap<String, u32> = HashMap::new();
        let mut cc_code = |k: &str, ccs: &mut Vec<String>| -> u32 {
            if let Some(c) = cc_codes.get(k) {
                return *c;
            }
            let code = ccs.len() as u32;
            cc_codes.insert(k.to_string(), code);
            ccs.push(k.to_string());
            code
        };
        let mut row_key = Vec::with_capacity(m.rows.len());
        let mut row_cc = Vec::with_capacity(m.rows.len());
        for r in &m.rows {
            let key = match level {
                Level::CostCenter => r.cost_center.clone(),
                Level::Attribute(i) => {
                    let value = &r.attributes[*i];
                    if value.is_empty() {
                        BLANK.to_string()
                    } else {
                        value.clone()
                    }
                }
            };
            row_key.push(code(&key, &mut keys));
            row_cc.push(cc_code(&r.cost_center, &mut ccs));
        }
        let unmapped_key = code(UNMAPPED, &mut keys);
        let unmapped_cc = cc_code(UNMAPPED, &mut ccs);
        let fixed_row = match policy {
            UnmappedPolicy::To(cc) => Some(
                m.rows
                    .iter()
                    .position(|r| &r.cost_center == cc)
                    .ok_or_else(|| allot_core::InputError::BadFile {
                        path: "--unmapped-to".into(),
                        problem: format!("cost center `{cc}` is not in the mapping"),
                    })? as u32,
            ),
            _ => None,
        };
        Ok(Keying {
            level: level.clone(),
            policy: policy.clone(),
            level_name: match level {
                Level::CostCenter => "cost_center".to_string(),
                Level::Attribute(i) => m.attributes[*i].clone(),
            },
            keys,
            ccs,
            row_key,
            row_cc,
            unmapped_key,
            unmapped_cc,
            fixed_row,
        })
    }

    /// Adds `key` (and, when asked, `cc` and `mapped`) code columns to a frame with `person`
    /// and `day`.
    fn with_keys(&self, df: &mut DataFrame, keying: &Keying, cc: bool) -> Result<(), EngineError> {
        let (keys, ccs, mapped) = {
            let persons = df.column(PERSON)?.u32()?;
            let days = df.column(DAY)?.i32()?;
            let height = df.height();
            let mut keys = Vec::with_capacity(height);
            let mut ccs = Vec::with_capacity(if cc { height } else { 0 });
            let mut mapped = Vec::with_capacity(if cc { height } else { 0 });
            for (p, d) in persons.into_no_null_iter().zip(days.into_no_null_iter()) {
                let (k, c, m) = keying.code(&self.assigner, p, d);
                keys.push(k);
                if cc {
                    ccs.push(c);
                    mapped.push(m);
                }
            }
            (keys, ccs, mapped)
        };
        df.with_column(Column::new("key".into(), keys))?;
        if cc {
            df.with_column(Column::new("cc".into(), ccs))?;
            df.with_column(Column::new("mapped".into(), mapped))?;
        }
        Ok(())
    }

    /// The chargeback of each of `buckets` (each inside the ledger's range) at the keying's
    /// level: lines, people, unmapped people and the hierarchy tree, exact.
    pub fn chargebacks(
        &self,
        keying: &Keying,
        buckets: &[DateRange],
    ) -> Result<Vec<Chargeback>, EngineError> {
        let started = std::time::Instant::now();
        // A chargeback reads the person-days alone: single days answer any bucket.
        if !self.days_exact {
            self.check_grain("a chargeback", buckets)?;
        }
        let mapping = &self.mapping;
        let Some(outer) = buckets
            .first()
            .zip(buckets.last())
            .and_then(|(a, b)| DateRange::new(a.from, b.to))
        else {
            return Ok(Vec::new());
        };
        // Bucket of every day of the outer range.
        let base = to_epoch_days(outer.from);
        let mut bucket_of = vec![u32::MAX; outer.len() as usize];
        for (i, b) in buckets.iter().enumerate() {
            for d in b.days() {
                bucket_of[(to_epoch_days(d) - base) as usize] = i as u32;
            }
        }
        let n = buckets.len();
        let (cells, uncovered) = self.tally(keying, base, &bucket_of)?;
        let mut acc: Vec<Acc> = (0..n).map(|_| Acc::default()).collect();
        for ((b, k, c, p), v) in cells {
            let bucket = &mut acc[b as usize];
            let line = bucket.lines.entry(k).or_default();
            line.0 += v;
            line.1.push(p);
            *bucket.ccs.entry(c).or_default() += v;
            *bucket.people.entry((k, p)).or_default() += v;
            bucket.persons.insert(p);
            bucket.cc_lines.insert((c, k));
            bucket.total += v;
        }
        // Exact day sums of each bucket, computed from the person-days alone.
        let expected = self.day_sums(n, base, &bucket_of)?;

        let mut unmapped: Vec<Vec<UnmappedPerson>> = (0..n).map(|_| Vec::new()).collect();
        for ((b, person), (amount, days, first, charged)) in uncovered {
            let last = self.assigner.last_before(person, first).map(|r| r as usize);
            unmapped[b as usize].push(UnmappedPerson {
                email: self.people.email(person).to_string(),
                amount: Nanos(amount),
                days,
                last_cost_center: last.map(|r| mapping.rows[r].cost_center.clone()),
                unmapped_since: last
                    .and_then(|r| mapping.rows[r].effective_to)
                    .and_then(|t| t.succ_opt()),
                charged_to: keying.key(charged).to_string(),
            });
        }

        let attr_idx = match keying.level {
            Level::CostCenter => mapping.cost_center_attributes(),
            Level::Attribute(_) => Vec::new(),
        };
        let mut cc_attrs: HashMap<&str, Vec<String>> = HashMap::new();
        let mut first_row: HashMap<&str, usize> = HashMap::new();
        for (i, row) in mapping.rows.iter().enumerate() {
            cc_attrs.entry(row.cost_center.as_str()).or_insert_with(|| {
                attr_idx
                    .iter()
                    .map(|&i| row.attributes[i].clone())
                    .collect()
            });
            first_row.entry(row.cost_center.as_str()).or_insert(i);
        }
        let tree_depth = match &keying.level {
            Level::CostCenter => Some(mapping.hierarchy.len()),
            Level::Attribute(i) => mapping
                .hierarchy
                .iter()
                .position(|h| h == i)
                .map(|p| mapping.hierarchy.len() - 1 - p),
        };

        let mut out = Vec::with_capacity(n);
        for (b, (acc, unmapped)) in acc.into_iter().zip(unmapped).enumerate() {
            if acc.total != expected[b] {
                return Err(EngineError::TieOut {
                    what: format!("the chargeback total of {}", buckets[b]),
                    got: Nanos(acc.total).to_string(),
                    expected: Nanos(expected[b]).to_string(),
                });
            }
            let (tree, rollup) = self.tree_of(keying, &acc, tree_depth, &first_row);
            let mut lines = self.lines_of(keying, acc.lines, &cc_attrs, attr_idx.len());
            lines.sort_by(|a, b| {
                (a.key == UNMAPPED)
                    .cmp(&(b.key == UNMAPPED))
                    .then_with(|| a.key.cmp(&b.key))
            });
            let mapped: Nanos = lines
                .iter()
                .filter(|l| l.key != UNMAPPED)
                .map(|l| l.amount)
                .sum();
            let mut people: Vec<PersonCost> = acc
                .people
                .into_iter()
                .map(|((k, p), a)| PersonCost {
                    email: self.people.email(p).to_string(),
                    key: keying.key(k).to_string(),
                    amount: Nanos(a),
                })
                .collect();
            people.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.email.cmp(&b.email)));
            let mut unmapped = unmapped;
            unmapped.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.email.cmp(&b.email)));
            out.push(Chargeback {
                level_name: keying.level_name.clone(),
                attribute_names: attr_idx
                    .iter()
                    .map(|&i| mapping.attributes[i].clone())
                    .collect(),
                lines,
                total: Nanos(acc.total),
                users: acc
                    .persons
                    .iter()
                    .filter(|p| allot_core::identity::is_person(self.people.email(**p)))
                    .count() as u64,
                spenders: acc.persons.len() as u64,
                unmapped,
                people,
                tree,
                tree_depth: tree_depth.unwrap_or(mapping.hierarchy.len()),
                rollup,
                mapped,
            });
        }
        tracing::debug!(buckets = n, elapsed = ?started.elapsed(), "chargebacks");
        Ok(out)
    }

    /// One pass over the person-days: each goes to its (bucket, line, cost center, person)
    /// cell; days no mapping row covers are also tallied per (bucket, person) with their
    /// amount, days, first day and the line that day was charged to.
    fn tally(
        &self,
        keying: &Keying,
        base: i32,
        bucket_of: &[u32],
    ) -> Result<(Cells, Uncovered), EngineError> {
        let mut cells: Cells = HashMap::default();
        let mut uncovered: Uncovered = HashMap::default();
        let persons = self.days.column(PERSON)?.u32()?;
        let days = self.days.column(DAY)?.i32()?;
        let amounts = self.days.column(COST)?.i64()?;
        for ((person, day), amount) in persons
            .into_no_null_iter()
            .zip(days.into_no_null_iter())
            .zip(amounts.into_no_null_iter())
        {
            let offset = day - base;
            if offset < 0 || offset as usize >= bucket_of.len() {
                continue;
            }
            let bucket = bucket_of[offset as usize];
            if bucket == u32::MAX {
                continue;
            }
            let (line, cc, mapped) = keying.code(&self.assigner, person, day);
            *cells.entry((bucket, line, cc, person)).or_default() += i128::from(amount);
            if !mapped {
                let seen = uncovered
                    .entry((bucket, person))
                    .or_insert((0, 0, day, line));
                seen.0 += i128::from(amount);
                seen.1 += 1;
                if day < seen.2 {
                    seen.2 = day;
                    seen.3 = line;
                }
            }
        }
        Ok((cells, uncovered))
    }

    /// Each of `n` buckets' exact sum of its days, from the person-days alone (what the
    /// chargeback must tie out to).
    fn day_sums(&self, n: usize, base: i32, bucket_of: &[u32]) -> Result<Vec<i128>, EngineError> {
        let mut expected = vec![0i128; n];
        let days = self.days.column(DAY)?.i32()?;
        let amounts = self.days.column(COST)?.i64()?;
        for (day, amount) in days.into_no_null_iter().zip(amounts.into_no_null_iter()) {
            let offset = day - base;
            if offset >= 0 && (offset as usize) < bucket_of.len() {
                let bucket = bucket_of[offset as usize];
                if bucket != u32::MAX {
                    expected[bucket as usize] += i128::from(amount);
                }
            }
        }
        Ok(expected)
    }

    /// A bucket's lines from its (line -> amount, spenders) tally, with each cost center's
    /// attributes at the cost-center level.
    fn lines_of(
        &self,
        keying: &Keying,
        tallied: BTreeMap<u32, (i128, Vec<u32>)>,
        cc_attrs: &HashMap<&str, Vec<String>>,
        attributes: usize,
    ) -> Vec<ChargebackLine> {
        tallied
            .into_iter()
            .map(|(code, (amount, mut persons))| {
                persons.sort_unstable();
                persons.dedup();
                let key = keying.key(code).to_string();
                let people = persons
                    .iter()
                    .filter(|p| allot_core::identity::is_person(self.people.email(**p)))
                    .count();
                ChargebackLine {
                    attributes: match keying.level {
                        Level::CostCenter => cc_attrs
                            .get(key.as_str())
                            .cloned()
                            .unwrap_or_else(|| vec![String::new(); attributes]),
                        Level::Attribute(_) => Vec::new(),
                    },
                    key,
                    users: people as u64,
                    spenders: persons.len() as u64,
                    amount: Nanos(amount),
                }
            })
            .collect()
    }

    /// A bucket's hierarchy tree (each cost center's cost under its path) and, for a level
    /// outside the hierarchy whose value is one per cost center, the cost center -> line
    /// rollup.
    fn tree_of(
        &self,
        keying: &Keying,
        acc: &Acc,
        tree_depth: Option<usize>,
        first_row: &HashMap<&str, usize>,
    ) -> (Tree, BTreeMap<String, String>) {
        let mapping = &self.mapping;
        let mut tree = Vec::new();
        // A level outside the hierarchy whose value is one per cost center (a manager of
        // the cost center, a region): its lines are sums of whole cost centers, so their
        // cents are the cost centers' cents summed (`rollup`), the same cents every
        // cost-center figure shows.
        let mut rollup = BTreeMap::new();
        let mut cc_seen = std::collections::BTreeSet::new();
        let one_line_per_cc = acc.cc_lines.iter().all(|(cc, _)| cc_seen.insert(*cc));
        if tree_depth.is_none() && one_line_per_cc {
            for (cc, line) in &acc.cc_lines {
                rollup.insert(
                    keying.ccs[*cc as usize].clone(),
                    keying.key(*line).to_string(),
                );
            }
        }
        if (tree_depth.is_some() && !mapping.hierarchy.is_empty()) || !rollup.is_empty() {
            for (code, amount) in &acc.ccs {
                let cc = keying.ccs[*code as usize].as_str();
                let mut path: Vec<String> = match first_row.get(cc) {
                    Some(&row) => mapping
                        .hierarchy
                        .iter()
                        .rev()
                        .map(|&h| {
                            let value = &mapping.rows[row].attributes[h];
                            if value.is_empty() {
                                BLANK.to_string()
                            } else {
                                value.clone()
                            }
                        })
                        .collect(),
                    None => vec![UNMAPPED.to_string(); mapping.hierarchy.len()],
                };
                path.push(cc.to_string());
                tree.push((path, Nanos(*amount)));
            }
            tree.sort();
        }
        (tree, rollup)
    }

    /// Cost and tokens per person, line and component over `range`, summed over its days.
    pub fn usage(&self, keying: &Keying, range: DateRange) -> Result<Vec<UsageRow>, EngineError> {
        self.check_grain("the usage", &[range])?;
        let dims = ["product", "model", "context_window", "token_type"];
        for d in dims {
            if !self.dims.iter().any(|x| x == d) {
                return Err(EngineError::Internal(format!(
                    "the usage review needs `{d}`, which this load did not keep"
                )));
            }
        }
        let mut df = within(&self.cost, range)?;
        self.with_keys(&mut df, keying, false)?;
        let mut by: Vec<Expr> = vec![col("key"), col(PERSON)];
        by.extend(dims.iter().map(|d| col(*d)));
        let tokens = if df.column("tokens").is_ok() {
            col("tokens").fill_null(lit(0i64)).sum()
        } else {
            lit(0i64).cast(DataType::Int64).alias("tokens")
        };
        let out = df
            .lazy()
            .group_by(by)
            .agg([col(COST).sum(), tokens])
            .collect()?;
        let persons = out.column(PERSON)?.u32()?;
        let keys = out.column("key")?.u32()?;
        let cost = out.column(COST)?.i64()?;
        let tok = out.column("tokens")?.i64()?;
        let text: Vec<&StringChunked> = dims
            .iter()
            .map(|d| out.column(d).and_then(|c| c.str()))
            .collect::<PolarsResult<_>>()?;
        let mut rows = Vec::with_capacity(out.height());
        for i in 0..out.height() {
            let t = |j: usize| text[j].get(i).unwrap_or_default().to_string();
            rows.push(UsageRow {
                email: self.people.email(persons.get(i).unwrap_or(0)).to_string(),
                key: keying.key(keys.get(i).unwrap_or(0)).to_string(),
                product: t(0),
                model: t(1),
                context_window: t(2),
                token_type: t(3),
                tokens: tok.get(i).unwrap_or(0),
                cost: Nanos(i128::from(cost.get(i).unwrap_or(0))),
            });
        }
        let got: Nanos = rows.iter().map(|r| r.cost).sum();
        let expected = self.total_in(range)?;
        if got != expected {
            return Err(EngineError::TieOut {
                what: format!("the usage of {range}"),
                got: got.to_string(),
                expected: expected.to_string(),
            });
        }
        rows.sort_by(|a, b| {
            (
                &a.key,
                &a.email,
                &a.product,
                &a.model,
                &a.context_window,
                &a.token_type,
            )
                .cmp(&(
                    &b.key,
                    &b.email,
                    &b.product,
                    &b.model,
                    &b.context_window,
                    &b.token_type,
                ))
        });
        Ok(rows)
    }

    /// The exact cost of each (line, day) of `range` at the keying's level, and of each
    /// (person, day): the daily series alerts and forecasts read. Needs a day-grain load.
    pub fn series(&self, keying: &Keying, range: DateRange) -> Result<Series, EngineError> {
        self.need_days("a daily series")?;
        let (lo, hi) = (to_epoch_days(range.from), to_epoch_days(range.to));
        let mut lines: BTreeMap<(u32, i32), i128> = BTreeMap::new();
        let mut people: BTreeMap<(u32, i32), i128> = BTreeMap::new();
        let persons = self.days.column(PERSON)?.u32()?;
        let days = self.days.column(DAY)?.i32()?;
        let amounts = self.days.column(COST)?.i64()?;
        for ((p, d), a) in persons
            .into_no_null_iter()
            .zip(days.into_no_null_iter())
            .zip(amounts.into_no_null_iter())
        {
            if d < lo || d > hi {
                continue;
            }
            let (k, _, _) = keying.code(&self.assigner, p, d);
            *lines.entry((k, d)).or_default() += i128::from(a);
            *people.entry((p, d)).or_default() += i128::from(a);
        }
        let mut out = Series::default();
        for ((k, d), a) in lines {
            out.lines
                .entry(keying.key(k).to_string())
                .or_default()
                .push((from_epoch_days(d), Nanos(a)));
        }
        for ((p, d), a) in people {
            out.people
                .entry(self.people.email(p).to_string())
                .or_default()
                .push((from_epoch_days(d), Nanos(a)));
        }
        Ok(out)
    }

    /// Exact cost of the days of `range`, from the person-days.
    pub fn total_in(&self, range: DateRange) -> Result<Nanos, EngineError> {
        let (lo, hi) = (to_epoch_days(range.from), to_epoch_days(range.to));
        let days = self.days.column(DAY)?.i32()?;
        let amounts = self.days.column(COST)?.i64()?;
        Ok(Nanos(
            days.into_no_null_iter()
                .zip(amounts.into_no_null_iter())
                .filter(|(days, _)| *days >= lo && *days <= hi)
                .map(|(_, amounts)| i128::from(amounts))
                .sum(),
        ))
    }

    /// Activity counts per person and line over `range`.
    pub fn activity(
        &self,
        keying: &Keying,
        range: DateRange,
    ) -> Result<Vec<ActivityRow>, EngineError> {
        let Some(act) = &self.activity else {
            return Ok(Vec::new());
        };
        let mut df = within(act, range)?;
        self.with_keys(&mut df, keying, false)?;
        let names: Vec<&str> = allot_core::facts::ACTIVITY_COUNTS
            .iter()
            .copied()
            .filter(|c| df.column(c).is_ok())
            .collect();
        let out = df
            .lazy()
            .group_by([col("key"), col(PERSON)])
            .agg(
                names
                    .iter()
                    .map(|c| col(*c).fill_null(lit(0i64)).sum())
                    .chain([
                        col(DAY).n_unique().alias("active_days"),
                        col(DAY).max().alias("last_day"),
                    ])
                    .collect::<Vec<_>>(),
            )
            .collect()?;
        let persons = out.column(PERSON)?.u32()?;
        let keys = out.column("key")?.u32()?;
        let cols: Vec<&Int64Chunked> = names
            .iter()
            .map(|c| out.column(c).and_then(|c| c.i64()))
            .collect::<PolarsResult<_>>()?;
        let last = out.column("last_day")?.i32()?;
        let mut rows = Vec::with_capacity(out.height());
        for i in 0..out.height() {
            let mut row = ActivityRow {
                email: self.people.email(persons.get(i).unwrap_or(0)).to_string(),
                key: keying.key(keys.get(i).unwrap_or(0)).to_string(),
                last_day: last.get(i).map(from_epoch_days),
                ..ActivityRow::default()
            };
            for (name, c) in names.iter().zip(&cols) {
                row.set(name, c.get(i).unwrap_or(0));
            }
            rows.push(row);
        }
        rows.sort_by(|a, b| (&a.key, &a.email).cmp(&(&b.key, &b.email)));
        Ok(rows)
    }

    /// The exact cost of each day of `range` that has facts, oldest first (tallied while
    /// loading, whatever the grain).
    pub fn daily(&self, range: DateRange) -> Result<Vec<(NaiveDate, Nanos)>, EngineError> {
        Ok(self
            .daily
            .iter()
            .copied()
            .filter(|(d, _)| range.contains(*d))
            .collect())
    }

    /// Each person's last day with cost in the period (for adoption and idle seats).
    pub fn last_cost_day(&self) -> Result<HashMap<String, NaiveDate>, EngineError> {
        self.need_days("the last day with cost")?;
        let df = self
            .days
            .clone()
            .lazy()
            .filter(col(COST).neq(lit(0i64)))
            .group_by([col(PERSON)])
            .agg([col(DAY).max()])
            .collect()?;
        let persons = df.column(PERSON)?.u32()?;
        let days = df.column(DAY)?.i32()?;
        Ok(persons
            .into_no_null_iter()
            .zip(days.into_no_null_iter())
            .map(|(persons, days)| {
                (
                    self.people.email(persons).to_string(),
                    from_epoch_days(days),
                )
            })
            .collect())
    }

    /// The exact cost per value of a fact dimension (`product`, `model`, `context_window`) in
    /// each bucket: (value, people with cost, amount), by value.
    pub fn by_dimension(
        &self,
        dim: &str,
        buckets: &[DateRange],
    ) -> Result<Vec<Vec<DimensionRow>>, EngineError> {
        if !self.dims.iter().any(|x| x == dim) {
            return Err(EngineError::Internal(format!(
                "`{dim}` was not kept by this load"
            )));
        }
        self.check_grain("a split by dimension", buckets)?;
        let Some(outer) = buckets
            .first()
            .zip(buckets.last())
            .and_then(|(a, b)| DateRange::new(a.from, b.to))
        else {
            return Ok(Vec::new());
        };
        let mut df = within(&self.cost, outer)?;
        let base = to_epoch_days(outer.from);
        let mut bucket_of = vec![u32::MAX; outer.len() as usize];
        for (i, b) in buckets.iter().enumerate() {
            for d in b.days() {
                bucket_of[(to_epoch_days(d) - base) as usize] = i as u32;
            }
        }
        let bucket: Vec<u32> = df
            .column(DAY)?
            .i32()?
            .into_no_null_iter()
            .map(|d| bucket_of[(d - base) as usize])
            .collect();
        df.with_column(Column::new("bucket".into(), bucket))?;
        let grouped = df
            .lazy()
            .group_by([col("bucket"), col(dim)])
            .agg([col(COST).sum(), col(PERSON).n_unique().alias("users")])
            .sort(["bucket", dim], SortMultipleOptions::default())
            .collect()?;
        let bk = grouped.column("bucket")?.u32()?;
        let values = grouped.column(dim)?.str()?;
        let amounts = grouped.column(COST)?.i64()?;
        let users_column = grouped.column("users")?.cast(&DataType::UInt64)?;
        let users = users_column.u64()?;
        let mut out: Vec<Vec<DimensionRow>> = vec![Vec::new(); buckets.len()];
        for i in 0..grouped.height() {
            out[bk.get(i).unwrap_or(0) as usize].push((
                values.get(i).unwrap_or_default().to_string(),
                users.get(i).unwrap_or(0),
                Nanos(i128::from(amounts.get(i).unwrap_or(0))),
            ));
        }
        for (b, rows) in buckets.iter().zip(&out) {
            let got: Nanos = rows.iter().map(|r| r.2).sum();
            let expected = self.total_in(*b)?;
            if got != expected {
                return Err(EngineError::TieOut {
                    what: format!("the {dim} split of {b}"),
                    got: got.to_string(),
                    expected: expected.to_string(),
                });
            }
        }
        Ok(out)
    }

    /// Daily cost facts with the cost center each was charged to, for the FOCUS export.
    pub fn focus(
        &self,
        policy: &UnmappedPolicy,
        range: DateRange,
    ) -> Result<Vec<FocusFact>, EngineError> {
        let keying = self.keying(&Level::CostCenter, policy)?;
        let mut df = within(&self.cost, range)?;
        self.with_keys(&mut df, &keying, false)?;
        let has = |c: &str| df.column(c).is_ok();
        let dims = [
            "product",
            "model",
            "context_window",
            "cost_type",
            "token_type",
            "user_id",
        ];
        let mut by = vec![col(DAY), col(PERSON), col("key")];
        by.extend(dims.iter().filter(|d| has(d)).map(|d| col(*d)));
        let list = money_or_zero(has("list_cost_nanos"), "list_cost_nanos");
        let missing = if has(&missing_column("list_cost_usd")) {
            col(missing_column("list_cost_usd").as_str()).sum()
        } else {
            lit(1u32).cast(DataType::UInt32).alias("list_cost_missing")
        };
        let tokens = if has("tokens") {
            col("tokens").fill_null(lit(0i64)).sum()
        } else {
            lit(0i64).cast(DataType::Int64).alias("tokens")
        };
        let out = df
            .lazy()
            .group_by(by)
            .agg([col(COST).sum(), list, missing, tokens])
            .collect()?;
        let day = out.column(DAY)?.i32()?;
        let cost = out.column(COST)?.i64()?;
        let listc = out.column("list_cost_nanos")?.i64()?;
        let miss = out.column("list_cost_missing")?.cast(&DataType::UInt32)?;
        let miss = miss.u32()?;
        let tokens = out.column("tokens")?.i64()?;
        let persons = out.column(PERSON)?.u32()?;
        let keys = out.column("key")?.u32()?;
        let text = |name: &str, i: usize| -> String {
            out.column(name)
                .ok()
                .and_then(|c| c.str().ok().and_then(|s| s.get(i).map(ToString::to_string)))
                .unwrap_or_default()
        };
        let mut rows = Vec::with_capacity(out.height());
        for i in 0..out.height() {
            rows.push(FocusFact {
                date: from_epoch_days(day.get(i).unwrap_or(0)),
                email: self.people.email(persons.get(i).unwrap_or(0)).to_string(),
                user_id: text("user_id", i),
                cost_center: keying.key(keys.get(i).unwrap_or(0)).to_string(),
                product: text("product", i),
                model: text("model", i),
                context_window: text("context_window", i),
                cost_type: text("cost_type", i),
                token_type: text("token_type", i),
                tokens: tokens.get(i).unwrap_or(0),
                cost: Nanos(i128::from(cost.get(i).unwrap_or(0))),
                list_cost: (miss.get(i).unwrap_or(1) == 0)
                    .then(|| Nanos(i128::from(listc.get(i).unwrap_or(0)))),
            });
        }
        rows.sort_by(|a, b| {
            (
                a.date,
                &a.email,
                &a.product,
                &a.model,
                &a.context_window,
                &a.cost_type,
                &a.token_type,
                &a.user_id,
            )
                .cmp(&(
                    b.date,
                    &b.email,
                    &b.product,
                    &b.model,
                    &b.context_window,
                    &b.cost_type,
                    &b.token_type,
                    &b.user_id,
                ))
        });
        let got: Nanos = rows.iter().map(|f| f.cost).sum();
        let expected = self.total_in(range)?;
        if got != expected {
            return Err(EngineError::TieOut {
                what: "the FOCUS export total".into(),
                got: got.to_string(),
                expected: expected.to_string(),
            });
        }
        Ok(rows)
    }

    /// The exact cost per (month, product) of the period.
    pub fn by_month_product(&self) -> Result<BTreeMap<(Month, String), Nanos>, EngineError> {
        let product = if self.dims.iter().any(|d| d == "product") {
            col("product")
        } else {
            lit("").alias("product")
        };
        let df = self
            .cost
            .clone()
            .lazy()
            .group_by([col(DAY), product])
            .agg([col(COST).sum()])
            .collect()?;
        let days = df.column(DAY)?.i32()?;
        let products = df.column("product")?.str()?;
        let amounts = df.column(COST)?.i64()?;
        let mut out = BTreeMap::new();
        for i in 0..df.height() {
            let month = Month::of(from_epoch_days(days.get(i).unwrap_or(0)));
            *out.entry((month, products.get(i).unwrap_or("").to_string()))
                .or_insert(Nanos::ZERO) += Nanos(i128::from(amounts.get(i).unwrap_or(0)));
        }
        Ok(out)
    }
}

/// One part of the organisation's cost: (month, product, identity, API key, workspace).
pub type WhoKey = (Month, String, String, String, String);

impl Ledger {
    /// Exact cost per (month, product, identity, API key, workspace) over the ledger's range:
    /// who is behind the organisation's cost and which key and workspace it came through,
    /// for the reconciliation's explanation (dimensions the load did not keep read as empty).
    pub fn by_month_who(&self) -> Result<BTreeMap<WhoKey, Nanos>, EngineError> {
        let dim = |name: &str| {
            if self.dims.iter().any(|d| d == name) {
                col(name)
            } else {
                lit("").alias(name)
            }
        };
        let df = self
            .cost
            .clone()
            .lazy()
            .group_by([
                col(DAY),
                dim("product"),
                col(PERSON),
                dim("api_key_id"),
                dim("workspace_id"),
            ])
            .agg([col(COST).sum()])
            .collect()?;
        let days = df.column(DAY)?.i32()?;
        let text = |name: &str| -> PolarsResult<Vec<String>> {
            Ok(df
                .column(name)?
                .str()?
                .iter()
                .map(|v| v.unwrap_or("").to_string())
                .collect())
        };
        let (product, key, workspace) =
            (text("product")?, text("api_key_id")?, text("workspace_id")?);
        let who = df.column(PERSON)?.u32()?;
        let amounts = df.column(COST)?.i64()?;
        let mut out = BTreeMap::new();
        for i in 0..df.height() {
            let month = Month::of(from_epoch_days(days.get(i).unwrap_or(0)));
            let identity = self.people.email(who.get(i).unwrap_or(0)).to_string();
            *out.entry((
                month,
                product[i].clone(),
                identity,
                key[i].clone(),
                workspace[i].clone(),
            ))
            .or_insert(Nanos::ZERO) += Nanos(i128::from(amounts.get(i).unwrap_or(0)));
        }
        Ok(out)
    }
}

fn money_or_zero(present: bool, name: &str) -> Expr {
    if present {
        col(name).sum()
    } else {
        lit(0i64).cast(DataType::Int64).alias(name)
    }
}
