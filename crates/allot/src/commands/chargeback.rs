//! `allot chargeback`: load cost facts and the mapping, charge the month back, split shared
//! pools, write the reports.

use std::path::{Path, PathBuf};

use allot_core::settle::month_status;
use allot_core::shared::{allocate, Allocation, Policy, Pool, Recipient};
use allot_core::{Month, UNMAPPED};
use allot_engine::usage::{focus_facts, usage_by_person, FOCUS_COLUMNS, USAGE_COLUMNS};
use allot_engine::{chargeback, daily_totals, load_costs, Level, UnmappedPolicy};
use allot_mapping::{OrgMapping, ReadOptions};
use allot_report::reviews::{context_window, model_mix, top_spenders, Context as ReviewContext};
use allot_report::views::{
    allocations_report, chargeback_report, daily_report, unmapped_report, users_by_main_line,
};
use allot_report::{stage, table_out, Format, OutputSet, Report};
use anyhow::{bail, Context};
use chrono::NaiveDate;

use crate::cli::{ChargebackArgs, MappingReadArgs, ReportArgs};
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
    /// Also build the reviews shown on the HTML page and in the workbook.
    pub with_reviews: bool,
}

pub fn run(args: &ChargebackArgs, quiet: bool) -> anyhow::Result<()> {
    let c = &args.common;
    let mut pools = args.shared.clone();
    if let Some(path) = &args.config {
        pools.extend(Config::read(path)?.pools()?);
    }
    let inputs = Inputs::from_args(c, c.by.as_deref(), pools);
    let reports = build(&inputs, quiet)?;
    let mut files = Vec::new();
    if c.format.contains(&Format::Focus) {
        files.push(("focus.csv".to_string(), focus_file(&inputs, quiet)?));
    }
    emit_with(&reports, &files, &c.format, &c.out_dir(), quiet)
}

impl<'a> Inputs<'a> {
    /// The inputs the common report flags describe.
    pub fn from_args(c: &'a ReportArgs, by: Option<&'a str>, pools: Vec<Pool>) -> Inputs<'a> {
        Inputs {
            mapping: &c.mapping,
            read: &c.read,
            cost: &c.cost,
            month: c.month,
            by,
            as_of: c.as_of.unwrap_or_else(super::today),
            unmapped: c.policy(),
            pools,
            with_reviews: c
                .format
                .iter()
                .any(|f| matches!(f, Format::Html | Format::Xlsx)),
        }
    }
}

/// The month's cost facts as a FOCUS 1.2 CSV, each charged to its cost center.
pub fn focus_file(inputs: &Inputs<'_>, quiet: bool) -> anyhow::Result<Vec<u8>> {
    let mapping = read_mapping(inputs.mapping, inputs.read, true)?;
    let month = inputs.month;
    let facts = load_costs(
        inputs.cost,
        &FOCUS_COLUMNS,
        Some((month.first_day(), month.last_day())),
    )?;
    let rows = focus_facts(&facts, &mapping, &inputs.unmapped)?;
    let attrs = mapping.cost_center_attributes();
    let mut by_cc: std::collections::BTreeMap<String, Vec<(String, String)>> =
        std::collections::BTreeMap::new();
    for r in &mapping.rows {
        by_cc.entry(r.cost_center.clone()).or_insert_with(|| {
            attrs
                .iter()
                .map(|&i| {
                    (
                        mapping.attributes[i].to_ascii_lowercase(),
                        r.attributes[i].clone(),
                    )
                })
                .collect()
        });
    }
    let mut bytes = Vec::new();
    allot_report::focus_out::write(&rows, month, inputs.as_of, "anthropic", &by_cc, &mut bytes)?;
    output::say(quiet, &format!("FOCUS: {} rows for {month}", rows.len()));
    Ok(bytes)
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
    let (level, _) = super::reviews::level_of(&mapping, inputs.by)?;
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
    reports.push((daily_report(&daily_totals(&facts)?, month, status), "daily"));
    if inputs.with_reviews {
        // The HTML page and the workbook also show the month's model mix, context-window
        // share and top spenders.
        let usage_facts = load_costs(
            inputs.cost,
            &USAGE_COLUMNS,
            Some((month.first_day(), month.last_day())),
        )?;
        let usage = usage_by_person(&usage_facts, &mapping, &level, &inputs.unmapped)?;
        let prev_facts = load_costs(
            inputs.cost,
            &USAGE_COLUMNS,
            Some((month.prev().first_day(), month.prev().last_day())),
        )?;
        let previous = usage_by_person(&prev_facts, &mapping, &level, &inputs.unmapped)?;
        let ctx = ReviewContext {
            month,
            as_of: inputs.as_of,
            status,
            level_name: cb.level_name.clone(),
        };
        let (mix, _, _) = model_mix(&usage, &ctx);
        let (_, context_teams) = context_window(&usage, &ctx, 25);
        reports.push((mix, "model_mix"));
        reports.push((context_teams, "context_window_teams"));
        reports.push((
            top_spenders(&usage, &previous, &[], &ctx, 15),
            "top_spenders",
        ));
    }
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
    emit_with(reports, &[], formats, out, quiet)
}

/// Like [`emit`], with extra ready-made files written in the same atomic set.
pub fn emit_with(
    reports: &[(Report, &str)],
    files: &[(String, Vec<u8>)],
    formats: &[Format],
    out: &Path,
    quiet: bool,
) -> anyhow::Result<()> {
    // With --pseudonymize, every output (files and tables) is made from pseudonymised copies.
    let hidden: Vec<(Report, &str)>;
    let hidden_files: Vec<(String, Vec<u8>)>;
    let (reports, files) = match output::pseudonyms() {
        Some(p) => {
            hidden = reports.iter().map(|(r, n)| (p.report(r), *n)).collect();
            hidden_files = files
                .iter()
                .map(|(n, b)| (n.clone(), p.text(&String::from_utf8_lossy(b)).into_bytes()))
                .collect();
            (hidden.as_slice(), hidden_files.as_slice())
        }
        None => (reports, files),
    };
    let run = reports.first().map_or("report", |(_, n)| *n);
    let title = reports
        .first()
        .map_or_else(|| "allot".to_string(), |(r, _)| r.title.clone());
    let mut set = OutputSet::new(out);
    stage(run, &title, reports, formats, &mut set)
        .with_context(|| format!("writing reports to `{}`", out.display()))?;
    for (name, bytes) in files {
        set.write(name, |w| w.write_all(bytes))
            .with_context(|| format!("writing `{name}` to `{}`", out.display()))?;
    }
    let written = set
        .commit()
        .with_context(|| format!("writing reports to `{}`", out.display()))?;
    if formats.contains(&Format::Table) && !quiet {
        let width = terminal_width();
        for (report, name) in reports {
            // The unmapped list is in the chargeback's notes already, the daily trend is for
            // charts; their files have the detail.
            if !matches!(
                *name,
                "unmapped" | "daily" | "model_mix" | "context_window_teams" | "top_spenders"
            ) {
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
