//! The org mapping as a DataFrame, and the join that gives every (person, day) its assignment.

use std::collections::HashMap;

use allot_core::date::to_epoch_days;
use allot_core::facts::normalize_email;
use allot_mapping::OrgMapping;
use polars::prelude::*;

use crate::error::EngineError;

/// Column holding the normalised email in joined frames.
pub const EMAIL_NORM: &str = "email_norm";
/// Column holding the day as days since 1970-01-01 (Int32) in joined frames.
pub const DAY: &str = "day";
/// Column holding the index of the mapping row a (person, day) falls under; null when unmapped.
pub const ROW_ID: &str = "row_id";

/// The mapping rows as `row_id, email_norm, from_day, to_day` plus one column per `(name, values)`.
pub fn mapping_frame(
    mapping: &OrgMapping,
    keys: &[(&str, Vec<String>)],
) -> PolarsResult<DataFrame> {
    let n = mapping.rows.len();
    let mut cols = vec![
        Column::new(ROW_ID.into(), (0..n as u32).collect::<Vec<u32>>()),
        Column::new(
            EMAIL_NORM.into(),
            mapping
                .rows
                .iter()
                .map(|r| r.email.as_str())
                .collect::<Vec<&str>>(),
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

/// Adds `email_norm` (trimmed, lower-cased) and `day` (Int32) to a frame with `email` and `date`.
pub fn with_person_day(df: &DataFrame) -> Result<DataFrame, EngineError> {
    let emails = df.column("email")?.str()?;
    let mut cache: HashMap<&str, String> = HashMap::new();
    let norm: StringChunked = emails
        .iter()
        .map(|e| e.map(|e| cache.entry(e).or_insert_with(|| normalize_email(e)).clone()))
        .collect();
    let mut out = df.clone();
    out.with_column(norm.with_name(EMAIL_NORM.into()).into_column())?;
    let day = df
        .column("date")?
        .cast(&DataType::Int32)?
        .with_name(DAY.into());
    out.with_column(day)?;
    Ok(out)
}

/// Gives each `(email_norm, day)` row of `facts` the `row_id` of the mapping row valid that day
/// (null when none is), by an equi-join on the person and a filter on the effective range.
pub fn assign(facts: LazyFrame, mapping: &DataFrame) -> LazyFrame {
    let candidates = facts
        .clone()
        .select([col(EMAIL_NORM), col(DAY)])
        .unique(None, UniqueKeepStrategy::First)
        .join(
            mapping.clone().lazy().select([
                col(ROW_ID),
                col(EMAIL_NORM),
                col("from_day"),
                col("to_day"),
            ]),
            [col(EMAIL_NORM)],
            [col(EMAIL_NORM)],
            JoinArgs::new(JoinType::Inner),
        )
        .filter(
            col(DAY)
                .gt_eq(col("from_day"))
                .and(col(DAY).lt_eq(col("to_day"))),
        )
        .select([col(EMAIL_NORM), col(DAY), col(ROW_ID)]);
    facts.join(
        candidates,
        [col(EMAIL_NORM), col(DAY)],
        [col(EMAIL_NORM), col(DAY)],
        JoinArgs::new(JoinType::Left),
    )
}
