//! The monthly chargeback: every cost of the month goes to the cost center (or hierarchy level)
//! the person belonged to on that day; costs nobody's mapping covers go to `UNMAPPED`.

use std::collections::HashMap;

use allot_core::results::{Chargeback, ChargebackLine, UnmappedPerson};
use allot_core::{Nanos, UNMAPPED};
use allot_mapping::OrgMapping;
use polars::prelude::*;

use crate::error::EngineError;
use crate::load::FactFrame;
use crate::mapping_frame::{assign, mapping_frame, People, DAY, PERSON, ROW_ID};

/// The level a chargeback is rolled up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Level {
    /// One line per cost center (the default).
    CostCenter,
    /// One line per value of a mapping attribute column (index into `OrgMapping::attributes`).
    Attribute(usize),
}

/// The grouping-key column inside the chargeback query.
const KEY: &str = "__key";

/// Key value for mapped rows whose level attribute is blank.
pub const BLANK: &str = "(blank)";

/// Builds the chargeback of the facts (already restricted to the period) against `mapping`.
pub fn chargeback(
    facts: &FactFrame,
    mapping: &OrgMapping,
    level: &Level,
) -> Result<Chargeback, EngineError> {
    let (level_name, key_values, attr_idx) = match level {
        Level::CostCenter => (
            "cost_center".to_string(),
            mapping
                .rows
                .iter()
                .map(|r| r.cost_center.clone())
                .collect::<Vec<_>>(),
            mapping.cost_center_attributes(),
        ),
        Level::Attribute(i) => (
            mapping.attributes[*i].clone(),
            mapping
                .rows
                .iter()
                .map(|r| {
                    if r.attributes[*i].is_empty() {
                        BLANK.to_string()
                    } else {
                        r.attributes[*i].clone()
                    }
                })
                .collect(),
            Vec::new(),
        ),
    };
    let mut people = People::from_mapping(mapping);
    let mapping_df = mapping_frame(mapping, &mut people, &[(KEY, key_values)])?;

    // Sum per raw spelling first (cheap, shrinks millions of rows to person-days), then per
    // normalised person-day so two spellings of one email are one person.
    let started = std::time::Instant::now();
    let per_day = facts
        .df
        .clone()
        .lazy()
        .group_by([col("email"), col("date")])
        .agg([col("cost_nanos").sum()])
        .collect()?;
    tracing::debug!(rows = per_day.height(), elapsed = ?started.elapsed(), "summed per person-day");
    let per_day = people
        .number(&per_day)?
        .lazy()
        .with_column(col("date").cast(DataType::Int32).alias(DAY))
        .group_by([col(PERSON), col(DAY)])
        .agg([col("cost_nanos").sum()]);

    let per_day = per_day.collect()?;
    tracing::debug!(rows = per_day.height(), elapsed = ?started.elapsed(), "numbered people");
    let assigned = assign(per_day.lazy(), &mapping_df)
        .join(
            mapping_df.clone().lazy().select([col(ROW_ID), col(KEY)]),
            [col(ROW_ID)],
            [col(ROW_ID)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(col(KEY).fill_null(lit(UNMAPPED)))
        .collect()?;

    tracing::debug!(elapsed = ?started.elapsed(), "assigned to mapping rows");
    let lines_df = assigned
        .clone()
        .lazy()
        .group_by([col(KEY)])
        .agg([
            col("cost_nanos").sum().alias("amount"),
            col(PERSON).n_unique().alias("users"),
        ])
        .collect()?;
    let unmapped_df = assigned
        .clone()
        .lazy()
        .filter(col(ROW_ID).is_null())
        .group_by([col(PERSON)])
        .agg([
            col("cost_nanos").sum().alias("amount"),
            col(DAY).n_unique().alias("days"),
        ])
        .collect()?;
    let users = assigned.column(PERSON)?.n_unique()? as u64;
    tracing::debug!(elapsed = ?started.elapsed(), "grouped lines");

    // Attributes per cost center (constant by construction of `cost_center_attributes`).
    let mut cc_attrs: HashMap<&str, Vec<String>> = HashMap::new();
    for row in &mapping.rows {
        cc_attrs.entry(row.cost_center.as_str()).or_insert_with(|| {
            attr_idx
                .iter()
                .map(|&i| row.attributes[i].clone())
                .collect()
        });
    }

    let keys = lines_df.column(KEY)?.str()?;
    let amounts = lines_df.column("amount")?.i64()?;
    let user_counts = lines_df.column("users")?.cast(&DataType::UInt64)?;
    let user_counts = user_counts.u64()?;
    let mut lines = Vec::with_capacity(lines_df.height());
    for i in 0..lines_df.height() {
        let key = keys.get(i).unwrap_or(UNMAPPED).to_string();
        let attributes = match level {
            Level::CostCenter => cc_attrs
                .get(key.as_str())
                .cloned()
                .unwrap_or_else(|| vec![String::new(); attr_idx.len()]),
            Level::Attribute(_) => Vec::new(),
        };
        lines.push(ChargebackLine {
            key,
            attributes,
            users: user_counts.get(i).unwrap_or(0),
            amount: Nanos(i128::from(amounts.get(i).unwrap_or(0))),
        });
    }
    lines.sort_by(|a, b| {
        (a.key == UNMAPPED)
            .cmp(&(b.key == UNMAPPED))
            .then_with(|| a.key.cmp(&b.key))
    });

    let total: Nanos = lines.iter().map(|l| l.amount).sum();
    if total != facts.total {
        return Err(EngineError::TieOut {
            what: "the chargeback total".into(),
            got: total.to_string(),
            expected: facts.total.to_string(),
        });
    }

    let ids = unmapped_df.column(PERSON)?.u32()?;
    let amounts = unmapped_df.column("amount")?.i64()?;
    let days = unmapped_df.column("days")?.cast(&DataType::UInt32)?;
    let days = days.u32()?;
    let mut unmapped: Vec<UnmappedPerson> = (0..unmapped_df.height())
        .map(|i| UnmappedPerson {
            email: people.email(ids.get(i).unwrap_or(0)).to_string(),
            amount: Nanos(i128::from(amounts.get(i).unwrap_or(0))),
            days: days.get(i).unwrap_or(0),
        })
        .collect();
    unmapped.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.email.cmp(&b.email)));

    Ok(Chargeback {
        level_name,
        attribute_names: attr_idx
            .iter()
            .map(|&i| mapping.attributes[i].clone())
            .collect(),
        lines,
        total,
        users,
        unmapped,
    })
}
