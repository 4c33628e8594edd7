//! The org mapping as a DataFrame, and the join that gives every (person, day) its assignment.
//!
//! People are numbered once (normalised email to a `u32` id) so the joins and counts run on
//! integers, not strings.

use std::collections::HashMap;

use allot_core::date::{from_epoch_days, to_epoch_days};
use allot_core::facts::normalize_email;
use allot_core::UNMAPPED;
use allot_mapping::OrgMapping;
use polars::prelude::*;

use crate::error::EngineError;

/// Column holding the person id in joined frames.
pub const PERSON: &str = "person";
/// Column holding the day as days since 1970-01-01 (Int32) in joined frames.
pub const DAY: &str = "day";
/// Column holding the index of the mapping row a (person, day) falls under; null when unmapped.
pub const ROW_ID: &str = "row_id";

/// Normalised emails numbered from 0, starting with everyone in the mapping.
#[derive(Debug, Default)]
pub struct People {
    ids: HashMap<String, u32>,
    emails: Vec<String>,
}

impl People {
    /// Numbers everyone in `mapping`.
    pub fn from_mapping(mapping: &OrgMapping) -> People {
        let mut p = People::default();
        for r in &mapping.rows {
            p.id(&r.email);
        }
        p
    }

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

    /// The normalised email of an id.
    pub fn email(&self, id: u32) -> &str {
        &self.emails[id as usize]
    }

    /// Replaces the `email` column of `df` by a `person` id column (emails matched after
    /// trimming and lower-casing), keeping every other column.
    pub fn number(&mut self, df: &DataFrame) -> Result<DataFrame, EngineError> {
        let emails = df.column("email")?.str()?;
        let mut cache: HashMap<&str, u32> = HashMap::new();
        let mut ids = Vec::with_capacity(emails.len());
        for e in emails.iter() {
            let e = e.unwrap_or("");
            let id = match cache.get(e) {
                Some(id) => *id,
                None => {
                    let id = self.id(&normalize_email(e));
                    cache.insert(e, id);
                    id
                }
            };
            ids.push(id);
        }
        let mut out = df.drop("email")?;
        out.with_column(Column::new(PERSON.into(), ids))?;
        Ok(out)
    }
}

/// The mapping rows as `row_id, person, from_day, to_day` plus one column per `(name, values)`.
pub fn mapping_frame(
    mapping: &OrgMapping,
    people: &mut People,
    keys: &[(&str, Vec<String>)],
) -> PolarsResult<DataFrame> {
    let n = mapping.rows.len();
    let mut cols = vec![
        Column::new(ROW_ID.into(), (0..n as u32).collect::<Vec<u32>>()),
        Column::new(
            PERSON.into(),
            mapping
                .rows
                .iter()
                .map(|r| people.id(&r.email))
                .collect::<Vec<u32>>(),
        ),
        Column::new(
            "from_day".into(),
            mapping
                .rows
                .iter()
                .map(|r| r.effective_from.map_or(i32::MIN, to_epoch_days))
                .collect::<Vec<i32>>(),
        ),
        Column::new(
            "to_day".into(),
            mapping
                .rows
                .iter()
                .map(|r| r.effective_to.map_or(i32::MAX, to_epoch_days))
                .collect::<Vec<i32>>(),
        ),
    ];
    for (name, values) in keys {
        cols.push(Column::new((*name).into(), values.clone()));
    }
    DataFrame::new(n, cols)
}

/// Gives each `(person, day)` row of `facts` (unique on those two) the `row_id` of the mapping
/// row valid that day, null when none is: an equi-join on the person, a filter on the
/// effective range, and a left join back so uncovered days are kept.
pub fn assign(facts: LazyFrame, mapping: &DataFrame) -> LazyFrame {
    let candidates = facts
        .clone()
        .select([col(PERSON), col(DAY)])
        .unique(None, UniqueKeepStrategy::Any)
        .join(
            mapping.clone().lazy().select([
                col(ROW_ID),
                col(PERSON),
                col("from_day"),
                col("to_day"),
            ]),
            [col(PERSON)],
            [col(PERSON)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col(DAY)
                .gt_eq(col("from_day"))
                .and(col(DAY).lt_eq(col("to_day"))),
        )
        .select([col(PERSON), col(DAY), col(ROW_ID)]);
    facts.join(
        candidates,
        [col(PERSON), col(DAY)],
        [col(PERSON), col(DAY)],
        JoinArgs::new(JoinType::Left),
    )
}

/// The level a chargeback is rolled up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// One line per cost center (the default).
    CostCenter,
    /// One line per value of a mapping attribute column (index into `OrgMapping::attributes`).
    Attribute(usize),
}

/// What happens to cost on days no mapping row covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum UnmappedPolicy {
    /// It goes to the `UNMAPPED` cost center (the default).
    #[default]
    Bucket,
    /// A leaver's later cost goes to their last cost center; the never-mapped stay `UNMAPPED`.
    LastKnown,
    /// All of it goes to the named cost center.
    To(String),
}

/// Key value for mapped rows whose level attribute is blank.
pub const BLANK: &str = "(blank)";
/// Column holding the level key (cost center or level value) a row is charged to.
pub const KEY: &str = "__key";
/// Column holding the cost center a row is charged to.
pub const CC: &str = "__cc";

/// Decides the line (and cost center) each (person, day) is charged to: the mapping row valid
/// that day, or what the unmapped policy says when there is none.
pub struct Keyer<'a> {
    mapping: &'a OrgMapping,
    level: &'a Level,
    policy: &'a UnmappedPolicy,
    rows_of: HashMap<u32, Vec<usize>>,
}

impl<'a> Keyer<'a> {
    /// A keyer for `mapping` at `level` under `policy`.
    pub fn new(
        mapping: &'a OrgMapping,
        people: &mut People,
        level: &'a Level,
        policy: &'a UnmappedPolicy,
    ) -> Keyer<'a> {
        let mut rows_of: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, r) in mapping.rows.iter().enumerate() {
            rows_of.entry(people.id(&r.email)).or_default().push(i);
        }
        Keyer {
            mapping,
            level,
            policy,
            rows_of,
        }
    }

    /// The person's most recent mapping row that ended before `day`.
    pub fn last_row_before(&self, person: u32, day: i32) -> Option<usize> {
        let d = from_epoch_days(day);
        self.rows_of
            .get(&person)?
            .iter()
            .copied()
            .filter(|&i| self.mapping.rows[i].effective_to.is_some_and(|t| t < d))
            .max_by_key(|&i| self.mapping.rows[i].effective_to)
    }

    /// The value of the level for a mapping row.
    pub fn level_of(&self, row: usize) -> String {
        match self.level {
            Level::CostCenter => self.mapping.rows[row].cost_center.clone(),
            Level::Attribute(i) => {
                let v = &self.mapping.rows[row].attributes[*i];
                if v.is_empty() {
                    BLANK.to_string()
                } else {
                    v.clone()
                }
            }
        }
    }

    /// Level keys and cost centers for every row of a frame with `person`, `day`, `row_id`.
    pub fn keys(&self, assigned: &DataFrame) -> Result<(Vec<String>, Vec<String>), EngineError> {
        let person = assigned.column(PERSON)?.u32()?;
        let day = assigned.column(DAY)?.i32()?;
        let row_id = assigned.column(ROW_ID)?.u32()?;
        let fixed = match self.policy {
            UnmappedPolicy::To(cc) => self.mapping.rows.iter().position(|r| &r.cost_center == cc),
            _ => None,
        };
        let mut keys = Vec::with_capacity(assigned.height());
        let mut ccs = Vec::with_capacity(assigned.height());
        for i in 0..assigned.height() {
            let row = row_id
                .get(i)
                .map(|r| r as usize)
                .or_else(|| match self.policy {
                    UnmappedPolicy::Bucket => None,
                    UnmappedPolicy::LastKnown => {
                        self.last_row_before(person.get(i).unwrap_or(0), day.get(i).unwrap_or(0))
                    }
                    UnmappedPolicy::To(_) => fixed,
                });
            match row {
                Some(r) => {
                    keys.push(self.level_of(r));
                    ccs.push(self.mapping.rows[r].cost_center.clone());
                }
                None => {
                    keys.push(UNMAPPED.to_string());
                    ccs.push(UNMAPPED.to_string());
                }
            }
        }
        Ok((keys, ccs))
    }
}
