//! `allot chargeback`: load cost facts and the mapping, charge the month back, split shared
//! pools, write the reports.

use std::path::{Path, PathBuf};

use allot_core::settle::month_status;
use allot_core::shared::{allocate, Allocation, Policy, Pool, Recipient};
use allot_core::{Month, UNMAPPED};
use allot_engine::{chargeback, load_costs, Level, UnmappedPolicy};
use allot_mapping::{OrgMapping, ReadOptions};
use allot_report::views::{
    allocations_report, chargeback_report, unmapped_report, users_by_main_line,
};
use allot_report::{stage, table_out, Format, OutputSet, Report};
use anyhow::{bail, Context};
use chrono::NaiveDate;

use crate::cli::{ChargebackArgs, MappingReadArgs, UnmappedArg};
use crate::config::Config;
use crate::output;

/// Everything a chargeback run needs.
pub struct Inputs<'a> {
    pub mapping: &'a Path,
    pub read: &'a MappingReadArgs,
    pub cost: &'a [PathBuf],
    pub month: Month,
    pub by: Option<&'a str>,
    pub as_of: NaiveDate,
    pub unmapped: UnmappedPolicy,
    pub pools: Vec<Pool>,
}

pub fn run(args: &ChargebackArgs, quiet: bool) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(super::today);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(args.month.to_string()));
    let mut pools = args.shared.clone();
    if let Some(path) = &args.config {
        pools.extend(Config::read(path)?.pools()?);
    }
    let unmapped = match (&args.unmapped_to, args.unmapped) {
        (Some(cc), _) => UnmappedPolicy::To(cc.clone()),
        (None, UnmappedArg::LastKnown) => UnmappedPolicy::LastKnown,
        (None, UnmappedArg::Bucket) => UnmappedPolicy::Bucket,
    };
    let inputs = Inputs {
        mapping: &args.mapping,
        read: &args.read,
        cost: &args.cost,
        month: args.month,
        by: args.by.as_deref(),
        as_of,
        unmapped,
        pools,
    };
    let reports = build(&inputs, quiet)?;
    emit(&reports, &args.format, &out, quiet)
}

/// Reads a mapping the way the flags say, telling the person which columns were recognised.
pub fn read_mapping(
    path: &Path,
    read: &MappingReadArgs,
    quiet: bool,
) -> anyhow::Result<OrgMapping> {
    let options = ReadOptions {
        sheet: read.sheet.clone(),
        columns: read.columns.clone(),
    };
    let mapping = OrgMapping::read_with(path, &options)?;
    output::say(
        quiet,
        &format!("mapping {}: {}", path.display(), mapping.recognised),
    );
    for w in &mapping.warnings {
        output::say(quiet, &format!("warning: {}", w.message));
    }
    Ok(mapping)
}

/// Builds the chargeback, unmapped-people and (with pools) allocation reports.
pub fn build(inputs: &Inputs<'_>, quiet: bool) -> anyhow::Result<Vec<(Report, &'static str)>> {
    let mapping = read_mapping(inputs.mapping, inputs.read, quiet)?;
    let level = match inputs.by {
        None => Level::CostCenter,
        Some(b) if b.eq_ignore_ascii_case("cost_center") => Level::CostCenter,
        Some(b) => match mapping.attribute(b) {
            Some(i) => Level::Attribute(i),
            None => bail!(
                "--by {b}: the mapping has no such column (columns you can roll up by: {})",
                std::iter::once("cost_center")
                    .chain(mapping.attributes.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    let month = inputs.month;
    let facts = load_costs(
        inputs.cost,
        &[],
        Some((month.first_day(), month.last_day())),
    )?;
    tracing::info!(rows = facts.df.height(), total = %facts.total, "loaded cost facts for {month}");
    let cb = chargeback(&facts, &mapping, &level, &inputs.unmapped)
        .context("building the chargeback")?;
    let status = month_status(month, inputs.as_of);

    // Shared pools go to real lines (never UNMAPPED); a named cost center is translated to its
    // value at the report's level.
    let main_line_users = users_by_main_line(&cb);
    let recipients: Vec<Recipient> = cb
        .lines
        .iter()
        .filter(|l| l.key != UNMAPPED)
        .map(|l| Recipient {
            key: l.key.clone(),
            attributed: l.amount,
            users: main_line_users.get(&l.key).copied().unwrap_or(0),
        })
        .collect();
    let mut allocations: Vec<Allocation> = Vec::new();
    for pool in &inputs.pools {
        let pool = match (&pool.policy, &level) {
            (Policy::CostCenter(cc), Level::Attribute(i)) => {
                let row = mapping
                    .rows
                    .iter()
                    .find(|r| &r.cost_center == cc)
                    .with_context(|| {
                        format!(
                            "shared pool `{}`: cost center `{cc}` is not in the mapping",
                            pool.name
                        )
                    })?;
                Pool {
                    policy: Policy::CostCenter(row.attributes[*i].clone()),
                    ..pool.clone()
                }
            }
            (Policy::CostCenter(cc), Level::CostCenter)
                if !mapping.rows.iter().any(|r| &r.cost_center == cc) =>
            {
                bail!(
                    "shared pool `{}`: cost center `{cc}` is not in the mapping",
                    pool.name
                )
            }
            _ => pool.clone(),
        };
        allocations.extend(allocate(&pool, &recipients)?);
    }

    let mut reports = vec![(
        chargeback_report(&cb, month, inputs.as_of, status, &allocations),
        "chargeback",
    )];
    reports.push((unmapped_report(&cb, month, status), "unmapped"));
    if !allocations.is_empty() {
        reports.push((
            allocations_report(&cb.level_name, &allocations, month, status),
            "allocations",
        ));
    }
    Ok(reports)
}

/// Prints the tables and writes every file atomically: all files appear together or none do.
pub fn emit(
    reports: &[(Report, &str)],
    formats: &[Format],
    out: &Path,
    quiet: bool,
) -> anyhow::Result<()> {
    let mut set = OutputSet::new(out);
    for (report, name) in reports {
        stage(report, name, formats, &mut set)
            .with_context(|| format!("writing reports to `{}`", out.display()))?;
    }
    let written = set
        .commit()
        .with_context(|| format!("writing reports to `{}`", out.display()))?;
    if formats.contains(&Format::Table) && !quiet {
        let width = terminal_width();
        for (report, name) in reports {
            // The unmapped list is in the chargeback's notes already; its file has the detail.
            if *name != "unmapped" {
                output::stdout(&table_out::render(report, width))?;
            }
        }
    }
    for path in written {
        output::say(quiet, &format!("wrote {}", path.display()));
    }
    Ok(())
}

fn terminal_width() -> Option<u16> {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}
