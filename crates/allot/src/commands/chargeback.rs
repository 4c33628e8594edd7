//! `allot chargeback`: load cost facts and the mapping, charge the month back, write the reports.

use std::path::{Path, PathBuf};

use allot_core::settle::month_status;
use allot_core::Month;
use allot_engine::{chargeback, load_costs, Level};
use allot_mapping::OrgMapping;
use allot_report::views::chargeback_report;
use allot_report::{stage, table_out, Format, OutputSet, Report};
use anyhow::{bail, Context};
use chrono::NaiveDate;

use crate::cli::ChargebackArgs;
use crate::output;

pub fn run(args: &ChargebackArgs, quiet: bool) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(super::today);
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("reports").join(args.month.to_string()));
    let reports = build(
        &args.mapping,
        &args.cost,
        args.month,
        args.by.as_deref(),
        as_of,
    )?;
    emit(&[(reports, "chargeback")], &args.format, &out, quiet)?;
    Ok(())
}

/// Reads the inputs and builds the chargeback report for `month` at level `by`.
pub fn build(
    mapping: &Path,
    cost: &[PathBuf],
    month: Month,
    by: Option<&str>,
    as_of: NaiveDate,
) -> anyhow::Result<Report> {
    let mapping = OrgMapping::read(mapping)?;
    let level = match by {
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
    let facts = load_costs(cost, &[], Some((month.first_day(), month.last_day())))?;
    tracing::info!(rows = facts.df.height(), total = %facts.total, "loaded cost facts for {month}");
    let cb = chargeback(&facts, &mapping, &level).context("building the chargeback")?;
    Ok(chargeback_report(
        &cb,
        month,
        as_of,
        month_status(month, as_of),
    ))
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
        for (report, _) in reports {
            output::stdout(&table_out::render(report, width))?;
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
