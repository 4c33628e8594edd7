//! Per-person usage and activity on each chargeback line, for the efficiency metrics and the
//! reviews: cost and tokens by product, model, context window and token type; sessions,
//! commits, pull requests and lines. Activity is mapped by the same effective dates as cost.

use allot_core::results::{ActivityRow, FocusFact, UsageRow};
use allot_core::Nanos;
use allot_mapping::OrgMapping;
use polars::prelude::*;

use crate::error::EngineError;
use crate::load::FactFrame;
use crate::mapping_frame::{
    assign, mapping_frame, Keyer, Level, People, UnmappedPolicy, DAY, KEY, PERSON, ROW_ID,
};

/// The usage columns a cost-fact load must include for [`usage_by_person`].
pub const USAGE_COLUMNS: [&str; 5] = ["product", "model", "context_window", "token_type", "tokens"];

/// Numbers people, finds each (person, day)'s mapping row and adds the `__key` column.
fn keyed(
    df: &DataFrame,
    mapping: &OrgMapping,
    people: &mut People,
    level: &Level,
    policy: &UnmappedPolicy,
) -> Result<DataFrame, EngineError> {
    let mapping_df = mapping_frame(mapping, people, &[])?;
    let numbered = people
        .number(df)?
        .lazy()
        .with_column(col("date").cast(DataType::Int32).alias(DAY));
    let mut assigned = assign(numbered, &mapping_df).collect()?;
    let keyer = Keyer::new(mapping, people, level, policy);
    let (keys, _) = keyer.keys(&assigned)?;
    assigned.with_column(Column::new(KEY.into(), keys))?;
    let _ = assigned.drop_in_place(ROW_ID)?;
    Ok(assigned)
}

/// Sums `aggs` per person, day and `dims` (nulls in the dimensions read as empty), then gives
/// every row its line under the mapping and policy (`__key`, `person`, `day`).
fn per_day_keyed(
    facts: &FactFrame,
    dims: &[&str],
    aggs: Vec<Expr>,
    mapping: &OrgMapping,
    level: &Level,
    policy: &UnmappedPolicy,
) -> Result<(DataFrame, People), EngineError> {
    let mut group: Vec<Expr> = vec![col("email"), col("date")];
    group.extend(dims.iter().map(|d| col(*d)));
    let per_day = facts
        .df
        .clone()
        .lazy()
        .with_columns(
            dims.iter()
                .map(|d| col(*d).fill_null(lit("")))
                .collect::<Vec<_>>(),
        )
        .group_by(group)
        .agg(aggs)
        .collect()?;
    let mut people = People::from_mapping(mapping);
    let assigned = keyed(&per_day, mapping, &mut people, level, policy)?;
    Ok((assigned, people))
}

fn text(df: &DataFrame, name: &str, i: usize) -> Result<String, EngineError> {
    Ok(df
        .column(name)?
        .str()?
        .get(i)
        .unwrap_or_default()
        .to_string())
}

/// Cost and tokens per person, line and component. `facts` must carry [`USAGE_COLUMNS`].
pub fn usage_by_person(
    facts: &FactFrame,
    mapping: &OrgMapping,
    level: &Level,
    policy: &UnmappedPolicy,
) -> Result<Vec<UsageRow>, EngineError> {
    let dims = ["product", "model", "context_window", "token_type"];
    let aggs = vec![
        col("cost_nanos").sum(),
        col("tokens").fill_null(lit(0i64)).sum(),
    ];
    let (assigned, people) = per_day_keyed(facts, &dims, aggs, mapping, level, policy)?;
    let mut by: Vec<Expr> = vec![col(KEY), col(PERSON)];
    by.extend(dims.iter().map(|d| col(*d)));
    let out = assigned
        .lazy()
        .group_by(by)
        .agg([col("cost_nanos").sum(), col("tokens").sum()])
        .collect()?;
    let persons = out.column(PERSON)?.u32()?;
    let cost = out.column("cost_nanos")?.i64()?;
    let tokens = out.column("tokens")?.i64()?;
    let mut rows = Vec::with_capacity(out.height());
    for i in 0..out.height() {
        rows.push(UsageRow {
            email: people.email(persons.get(i).unwrap_or(0)).to_string(),
            key: text(&out, KEY, i)?,
            product: text(&out, "product", i)?,
            model: text(&out, "model", i)?,
            context_window: text(&out, "context_window", i)?,
            token_type: text(&out, "token_type", i)?,
            tokens: tokens.get(i).unwrap_or(0),
            cost: Nanos(i128::from(cost.get(i).unwrap_or(0))),
        });
    }
    let total: Nanos = rows.iter().map(|r| r.cost).sum();
    if total != facts.total {
        return Err(EngineError::TieOut {
            what: "the usage total".into(),
            got: total.to_string(),
            expected: facts.total.to_string(),
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

/// Activity per person and line, mapped by the same effective dates as cost.
pub fn activity_by_person(
    activity: &FactFrame,
    mapping: &OrgMapping,
    level: &Level,
    policy: &UnmappedPolicy,
) -> Result<Vec<ActivityRow>, EngineError> {
    let counts = [
        "sessions",
        "commits",
        "pull_requests",
        "lines_added",
        "lines_removed",
    ];
    let aggs = counts
        .iter()
        .map(|c| col(*c).fill_null(lit(0i64)).sum())
        .collect();
    let (assigned, people) = per_day_keyed(activity, &[], aggs, mapping, level, policy)?;
    let out = assigned
        .lazy()
        .group_by([col(KEY), col(PERSON)])
        .agg(counts.iter().map(|c| col(*c).sum()).collect::<Vec<_>>())
        .collect()?;
    let persons = out.column(PERSON)?.u32()?;
    let get = |name: &str, i: usize| -> Result<i64, EngineError> {
        Ok(out.column(name)?.i64()?.get(i).unwrap_or(0))
    };
    let mut rows = Vec::with_capacity(out.height());
    for i in 0..out.height() {
        rows.push(ActivityRow {
            email: people.email(persons.get(i).unwrap_or(0)).to_string(),
            key: text(&out, KEY, i)?,
            sessions: get("sessions", i)?,
            commits: get("commits", i)?,
            pull_requests: get("pull_requests", i)?,
            lines_added: get("lines_added", i)?,
            lines_removed: get("lines_removed", i)?,
        });
    }
    rows.sort_by(|a, b| (&a.key, &a.email).cmp(&(&b.key, &b.email)));
    Ok(rows)
}

/// The columns a cost-fact load must include for [`focus_facts`].
pub const FOCUS_COLUMNS: [&str; 8] = [
    "product",
    "model",
    "context_window",
    "cost_type",
    "token_type",
    "tokens",
    "user_id",
    "list_cost_usd",
];

/// Daily cost facts with the cost center each was charged to, for the FOCUS export.
pub fn focus_facts(
    facts: &FactFrame,
    mapping: &OrgMapping,
    policy: &UnmappedPolicy,
) -> Result<Vec<FocusFact>, EngineError> {
    let dims = [
        "product",
        "model",
        "context_window",
        "cost_type",
        "token_type",
        "user_id",
    ];
    let aggs = vec![
        col("cost_nanos").sum(),
        col("list_cost_nanos").sum().alias("list_nanos"),
        col("list_cost_nanos").null_count().alias("list_missing"),
        col("tokens").fill_null(lit(0i64)).sum(),
    ];
    let (assigned, people) =
        per_day_keyed(facts, &dims, aggs, mapping, &Level::CostCenter, policy)?;
    let day = assigned.column(DAY)?.i32()?;
    let cost = assigned.column("cost_nanos")?.i64()?;
    let list = assigned.column("list_nanos")?.i64()?;
    let missing = assigned.column("list_missing")?.cast(&DataType::UInt32)?;
    let missing = missing.u32()?;
    let tokens = assigned.column("tokens")?.i64()?;
    let persons = assigned.column(PERSON)?.u32()?;
    let mut out = Vec::with_capacity(assigned.height());
    for i in 0..assigned.height() {
        out.push(FocusFact {
            date: allot_core::date::from_epoch_days(day.get(i).unwrap_or(0)),
            email: people.email(persons.get(i).unwrap_or(0)).to_string(),
            user_id: text(&assigned, "user_id", i)?,
            cost_center: text(&assigned, KEY, i)?,
            product: text(&assigned, "product", i)?,
            model: text(&assigned, "model", i)?,
            context_window: text(&assigned, "context_window", i)?,
            cost_type: text(&assigned, "cost_type", i)?,
            token_type: text(&assigned, "token_type", i)?,
            tokens: tokens.get(i).unwrap_or(0),
            cost: Nanos(i128::from(cost.get(i).unwrap_or(0))),
            list_cost: (missing.get(i).unwrap_or(1) == 0)
                .then(|| Nanos(i128::from(list.get(i).unwrap_or(0)))),
        });
    }
    // One stable order, whatever order the joins left the rows in.
    out.sort_by(|a, b| {
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
    let total: Nanos = out.iter().map(|f| f.cost).sum();
    if total != facts.total {
        return Err(EngineError::TieOut {
            what: "the FOCUS export total".into(),
            got: total.to_string(),
            expected: facts.total.to_string(),
        });
    }
    Ok(out)
}
