//! The monthly chargeback: every cost of the month goes to the cost center (or hierarchy level)
//! the person belonged to on that day; costs nobody's mapping covers go to `UNMAPPED`, or where
//! the unmapped policy says.

use std::collections::HashMap;

use allot_core::results::{Chargeback, ChargebackLine, PersonCost, UnmappedPerson};
use allot_core::{Nanos, UNMAPPED};
use allot_mapping::OrgMapping;
use polars::prelude::*;

use crate::error::EngineError;
use crate::load::FactFrame;
use crate::mapping_frame::{assign, mapping_frame, Keyer, People, DAY, PERSON, ROW_ID};

pub use crate::mapping_frame::{Level, UnmappedPolicy};
pub use crate::mapping_frame::{BLANK, CC, KEY};

/// Builds the chargeback of the facts (already restricted to the period) against `mapping`.
pub fn chargeback(
    facts: &FactFrame,
    mapping: &OrgMapping,
    level: &Level,
    policy: &UnmappedPolicy,
) -> Result<Chargeback, EngineError> {
    let started = std::time::Instant::now();
    if let UnmappedPolicy::To(cc) = policy {
        if !mapping.rows.iter().any(|r| &r.cost_center == cc) {
            return Err(allot_core::InputError::BadFile {
                path: "--unmapped-to".into(),
                problem: format!("cost center `{cc}` is not in the mapping"),
            }
            .into());
        }
    }
    let mut people = People::from_mapping(mapping);
    let mapping_df = mapping_frame(mapping, &mut people, &[])?;

    // Sum per raw spelling first (cheap, shrinks millions of rows to person-days), then per
    // person so two spellings of one email are one person.
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
    let mut assigned = assign(per_day, &mapping_df)
        .select([col(PERSON), col(DAY), col("cost_nanos"), col(ROW_ID)])
        .collect()?;
    tracing::debug!(rows = assigned.height(), elapsed = ?started.elapsed(), "assigned to mapping rows");

    // The keys each (person, day) is charged to, under the unmapped policy.
    let keyer = Keyer::new(mapping, &mut people, level, policy);
    let (keys, ccs) = keyer.keys(&assigned)?;
    assigned.with_column(Column::new(KEY.into(), keys))?;
    assigned.with_column(Column::new(CC.into(), ccs))?;

    let lines_df = assigned
        .clone()
        .lazy()
        .group_by([col(KEY)])
        .agg([
            col("cost_nanos").sum().alias("amount"),
            col(PERSON).n_unique().alias("users"),
        ])
        .collect()?;
    let people_df = assigned
        .clone()
        .lazy()
        .group_by([col(KEY), col(PERSON)])
        .agg([col("cost_nanos").sum().alias("amount")])
        .collect()?;
    let cc_df = assigned
        .clone()
        .lazy()
        .group_by([col(CC)])
        .agg([col("cost_nanos").sum().alias("amount")])
        .collect()?;
    let unmapped_df = assigned
        .clone()
        .lazy()
        .filter(col(ROW_ID).is_null())
        .group_by([col(PERSON)])
        .agg([
            col("cost_nanos").sum().alias("amount"),
            col(DAY).n_unique().alias("days"),
            col(DAY).min().alias("first_day"),
            col(CC).first().alias("charged_to"),
        ])
        .collect()?;
    let users = assigned.column(PERSON)?.n_unique()? as u64;
    tracing::debug!(elapsed = ?started.elapsed(), "grouped lines");

    let attr_idx = match level {
        Level::CostCenter => mapping.cost_center_attributes(),
        Level::Attribute(_) => Vec::new(),
    };
    let mut cc_attrs: HashMap<&str, Vec<String>> = HashMap::new();
    for row in &mapping.rows {
        cc_attrs.entry(row.cost_center.as_str()).or_insert_with(|| {
            attr_idx
                .iter()
                .map(|&i| row.attributes[i].clone())
                .collect()
        });
    }

    let key_ca = lines_df.column(KEY)?.str()?;
    let amounts = lines_df.column("amount")?.i64()?;
    let user_counts = lines_df.column("users")?.cast(&DataType::UInt64)?;
    let user_counts = user_counts.u64()?;
    let mut lines = Vec::with_capacity(lines_df.height());
    for i in 0..lines_df.height() {
        let key = key_ca.get(i).unwrap_or(UNMAPPED).to_string();
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
    let mapped: Nanos = lines
        .iter()
        .filter(|l| l.key != UNMAPPED)
        .map(|l| l.amount)
        .sum();

    let pk = people_df.column(KEY)?.str()?;
    let pp = people_df.column(PERSON)?.u32()?;
    let pa = people_df.column("amount")?.i64()?;
    let mut person_costs: Vec<PersonCost> = (0..people_df.height())
        .map(|i| PersonCost {
            email: people.email(pp.get(i).unwrap_or(0)).to_string(),
            key: pk.get(i).unwrap_or(UNMAPPED).to_string(),
            amount: Nanos(i128::from(pa.get(i).unwrap_or(0))),
        })
        .collect();
    person_costs.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.email.cmp(&b.email)));

    // The hierarchy tree, when the level is the cost center or one of its levels.
    let tree_depth = match level {
        Level::CostCenter => Some(mapping.hierarchy.len()),
        Level::Attribute(i) => mapping
            .hierarchy
            .iter()
            .position(|h| h == i)
            .map(|p| mapping.hierarchy.len() - 1 - p),
    };
    let mut tree = Vec::new();
    if let (Some(depth), false) = (tree_depth, mapping.hierarchy.is_empty()) {
        let mut first_row: HashMap<&str, usize> = HashMap::new();
        for (i, r) in mapping.rows.iter().enumerate() {
            first_row.entry(r.cost_center.as_str()).or_insert(i);
        }
        let ck = cc_df.column(CC)?.str()?;
        let ca = cc_df.column("amount")?.i64()?;
        for i in 0..cc_df.height() {
            let cc = ck.get(i).unwrap_or(UNMAPPED);
            let mut path: Vec<String> = match first_row.get(cc) {
                Some(&r) => mapping
                    .hierarchy
                    .iter()
                    .rev()
                    .map(|&h| {
                        let v = &mapping.rows[r].attributes[h];
                        if v.is_empty() {
                            BLANK.to_string()
                        } else {
                            v.clone()
                        }
                    })
                    .collect(),
                None => vec![UNMAPPED.to_string(); mapping.hierarchy.len()],
            };
            path.push(cc.to_string());
            tree.push((path, Nanos(i128::from(ca.get(i).unwrap_or(0)))));
        }
        tree.sort();
        let _ = depth;
    }

    let up = unmapped_df.column(PERSON)?.u32()?;
    let ua = unmapped_df.column("amount")?.i64()?;
    let days = unmapped_df.column("days")?.cast(&DataType::UInt32)?;
    let days = days.u32()?;
    let first = unmapped_df.column("first_day")?.i32()?;
    let charged = unmapped_df.column("charged_to")?.str()?;
    let mut unmapped: Vec<UnmappedPerson> = (0..unmapped_df.height())
        .map(|i| {
            let person = up.get(i).unwrap_or(0);
            let last = keyer.last_row_before(person, first.get(i).unwrap_or(0));
            UnmappedPerson {
                email: people.email(person).to_string(),
                amount: Nanos(i128::from(ua.get(i).unwrap_or(0))),
                days: days.get(i).unwrap_or(0),
                last_cost_center: last.map(|r| mapping.rows[r].cost_center.clone()),
                unmapped_since: last
                    .and_then(|r| mapping.rows[r].effective_to)
                    .and_then(|t| t.succ_opt()),
                charged_to: charged.get(i).unwrap_or(UNMAPPED).to_string(),
            }
        })
        .collect();
    unmapped.sort_by(|a, b| b.amount.cmp(&a.amount).then_with(|| a.email.cmp(&b.email)));

    Ok(Chargeback {
        level_name: match level {
            Level::CostCenter => "cost_center".to_string(),
            Level::Attribute(i) => mapping.attributes[*i].clone(),
        },
        attribute_names: attr_idx
            .iter()
            .map(|&i| mapping.attributes[i].clone())
            .collect(),
        lines,
        total,
        users,
        unmapped,
        people: person_costs,
        tree,
        tree_depth: tree_depth.unwrap_or(0),
        mapped,
    })
}

/// The exact cost of each day of the loaded facts, oldest first (for trend charts).
pub fn daily_totals(facts: &FactFrame) -> Result<Vec<(chrono::NaiveDate, Nanos)>, EngineError> {
    let df = facts
        .df
        .clone()
        .lazy()
        .group_by([col("date")])
        .agg([col("cost_nanos").sum()])
        .sort(["date"], SortMultipleOptions::default())
        .collect()?;
    let days = df.column("date")?.cast(&DataType::Int32)?;
    let days = days.i32()?;
    let sums = df.column("cost_nanos")?.i64()?;
    Ok((0..df.height())
        .map(|i| {
            (
                allot_core::date::from_epoch_days(days.get(i).unwrap_or(0)),
                Nanos(i128::from(sums.get(i).unwrap_or(0))),
            )
        })
        .collect())
}

/// The exact cost per (month, product) of the loaded facts (which must carry `product`).
pub fn monthly_by_product(
    facts: &FactFrame,
) -> Result<std::collections::BTreeMap<(allot_core::Month, String), Nanos>, EngineError> {
    let df = facts
        .df
        .clone()
        .lazy()
        .with_column(col("product").fill_null(lit("")))
        .group_by([col("date"), col("product")])
        .agg([col("cost_nanos").sum()])
        .collect()?;
    let days = df.column("date")?.cast(&DataType::Int32)?;
    let days = days.i32()?;
    let products = df.column("product")?.str()?;
    let sums = df.column("cost_nanos")?.i64()?;
    let mut out = std::collections::BTreeMap::new();
    for i in 0..df.height() {
        let month =
            allot_core::Month::of(allot_core::date::from_epoch_days(days.get(i).unwrap_or(0)));
        *out.entry((month, products.get(i).unwrap_or("").to_string()))
            .or_insert(Nanos::ZERO) += Nanos(i128::from(sums.get(i).unwrap_or(0)));
    }
    Ok(out)
}
