//! The org mapping as a DataFrame, and the join that gives every (person, day) its assignment.
//!
//! People are numbered once (normalised email to a `u32` id) so the joins and counts run on
//! integers, not strings.

use std::collections::HashMap;

use allot_core::date::to_epoch_days;
use allot_core::facts::normalize_email;
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
