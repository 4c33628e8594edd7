//! `allot efficiency`, `allot top`, `allot context`, `allot models`: load the month's facts,
//! map them by effective date, and write each review.

use allot_core::results::{ActivityRow, UsageRow};
use allot_core::settle::month_status;
use allot_engine::load::{load_activity, load_costs};
use allot_engine::usage::{activity_by_person, usage_by_person, USAGE_COLUMNS};
use allot_engine::Level;
use allot_mapping::OrgMapping;
use allot_report::reviews::{context_window, efficiency, model_mix, top_spenders, Context};
use allot_report::Report;
use anyhow::bail;

use allot_report::Format;

use super::chargeback::{emit_with, focus_file, read_mapping, Inputs};
use crate::cli::{ContextArgs, EfficiencyArgs, Per, ReviewArgs, TopArgs};

/// The month's usage (and the previous month's, when asked) and activity, mapped to teams.
pub struct Loaded {
    pub usage: Vec<UsageRow>,
    pub previous: Vec<UsageRow>,
    pub activity: Vec<ActivityRow>,
    pub ctx: Context,
}

/// The level `--by` names (cost_center by default) and its column name.
pub fn level_of(mapping: &OrgMapping, by: Option<&str>) -> anyhow::Result<(Level, String)> {
    Ok(match by {
        None => (Level::CostCenter, "cost_center".into()),
        Some(b) if b.eq_ignore_ascii_case("cost_center") => {
            (Level::CostCenter, "cost_center".into())
        }
        Some(b) => match mapping.attribute(b) {
            Some(i) => (Level::Attribute(i), mapping.attributes[i].clone()),
            None => bail!(
                "--by {b}: the mapping has no such column (columns you can group by: {})",
                std::iter::once("cost_center")
                    .chain(mapping.attributes.iter().map(String::as_str))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    })
}

/// Loads what the reviews need.
pub fn load(args: &ReviewArgs, with_previous: bool, quiet: bool) -> anyhow::Result<Loaded> {
    let c = &args.common;
    let mapping = read_mapping(&c.mapping, &c.read, quiet)?;
    let (level, level_name) = level_of(&mapping, c.by.as_deref())?;
    let policy = c.policy();
    let month = c.month;
    let range = |m: allot_core::Month| Some((m.first_day(), m.last_day()));
    let facts = load_costs(&c.cost, &USAGE_COLUMNS, range(month))?;
    let usage = usage_by_person(&facts, &mapping, &level, &policy)?;
    let previous = if with_previous {
        let prev = load_costs(&c.cost, &USAGE_COLUMNS, range(month.prev()))?;
        usage_by_person(&prev, &mapping, &level, &policy)?
    } else {
        Vec::new()
    };
    let activity = if args.activity.is_empty() {
        Vec::new()
    } else {
        let a = load_activity(&args.activity, range(month))?;
        activity_by_person(&a, &mapping, &level, &policy)?
    };
    let as_of = c.as_of.unwrap_or_else(super::today);
    Ok(Loaded {
        usage,
        previous,
        activity,
        ctx: Context {
            month,
            as_of,
            status: month_status(month, as_of),
            level_name,
        },
    })
}

fn write(args: &ReviewArgs, reports: &[(Report, &str)], quiet: bool) -> anyhow::Result<()> {
    let c = &args.common;
    let mut files = Vec::new();
    if c.format.contains(&Format::Focus) {
        let inputs = Inputs::from_args(c, None, Vec::new());
        files.push(("focus.csv".to_string(), focus_file(&inputs, quiet)?));
    }
    emit_with(reports, &files, &c.format, &c.out_dir(), quiet)
}

pub fn run_efficiency(args: &EfficiencyArgs, quiet: bool) -> anyhow::Result<()> {
    if args.review.activity.is_empty() {
        bail!("efficiency needs activity facts: give --activity FILE (date, email, sessions, commits, pull_requests, lines_added, lines_removed)");
    }
    let l = load(&args.review, false, quiet)?;
    let report = efficiency(&l.usage, &l.activity, &l.ctx, args.per == Per::Person);
    write(&args.review, &[(report, "efficiency")], quiet)
}

pub fn run_top(args: &TopArgs, quiet: bool) -> anyhow::Result<()> {
    let l = load(&args.review, true, quiet)?;
    let report = top_spenders(&l.usage, &l.previous, &l.activity, &l.ctx, args.n);
    write(&args.review, &[(report, "top_spenders")], quiet)
}

pub fn run_context(args: &ContextArgs, quiet: bool) -> anyhow::Result<()> {
    let l = load(&args.review, false, quiet)?;
    let (people, teams) = context_window(&l.usage, &l.ctx, args.threshold);
    write(
        &args.review,
        &[(people, "context_window"), (teams, "context_window_teams")],
        quiet,
    )
}

pub fn run_models(args: &ReviewArgs, quiet: bool) -> anyhow::Result<()> {
    let l = load(args, false, quiet)?;
    let (teams, people, largest) = model_mix(&l.usage, &l.ctx);
    write(
        args,
        &[
            (teams, "model_mix"),
            (people, "model_mix_people"),
            (largest, "model_downgrade"),
        ],
        quiet,
    )
}
