//! `allot efficiency`, `allot top`, `allot context`, `allot models`: the month's reviews, each
//! from one load of the period, amounts equal to the chargeback's to the cent.

use allot_app::{MonthReads, Named, Output, Reviews};
use allot_report::Format;

use crate::cli::{ContextArgs, EfficiencyArgs, ReviewArgs, RowsPer, TopArgs};
use crate::{inputs, output};

/// Loads the month once and computes its reviews.
fn load(
    args: &ReviewArgs,
    previous: bool,
    quiet: bool,
) -> anyhow::Result<(allot_app::Period, Reviews)> {
    let common = &args.common;
    let ws = inputs::workspace(&common.report.facts, &args.activity, common.report.as_of)?;
    for m in &ws.messages {
        output::say(quiet, m);
    }
    let period = ws.month_period(
        common.month,
        MonthReads {
            reviews: true,
            previous,
            focus: common.report.format.contains(&Format::Focus),
        },
    )?;
    let reviews = period.reviews(&inputs::report_options(&common.report))?;
    Ok((period, reviews))
}

fn write(
    args: &ReviewArgs,
    period: &allot_app::Period,
    run: &str,
    reports: Vec<Named>,
    quiet: bool,
) -> anyhow::Result<()> {
    let common = &args.common;
    let mut files = Vec::new();
    if common.report.format.contains(&Format::Focus) {
        files.push((
            "focus.csv".to_string(),
            period.focus_csv(&inputs::policy(
                common.report.unmapped,
                common.report.unmapped_to.as_ref(),
            ))?,
        ));
    }
    let out = Output {
        run: run.to_string(),
        title: reports
            .first()
            .map_or_else(String::new, |n| n.report.title.clone()),
        reports,
        files,
        messages: Vec::new(),
    };
    output::emit(
        &out,
        &common.report.format,
        &common.out_dir(),
        quiet,
        args.people,
    )
}

pub fn run_efficiency(args: &EfficiencyArgs, quiet: bool) -> anyhow::Result<()> {
    let r = &args.review;
    if r.activity.is_empty() && r.common.report.facts.store.is_none() {
        anyhow::bail!("efficiency needs activity facts: give --activity FILE (date, email, sessions, commits, pull_requests, lines_added, lines_removed) or --store");
    }
    let (period, reviews) = load(r, false, quiet)?;
    let report = reviews.efficiency(args.per == RowsPer::Person);
    let run = allot_app::file_name("efficiency", &reviews.ctx.level_name);
    write(r, &period, &run, vec![report], quiet)
}

pub fn run_top(args: &TopArgs, quiet: bool) -> anyhow::Result<()> {
    let (period, reviews) = load(&args.review, true, quiet)?;
    let n = usize::try_from(args.n).unwrap_or(usize::MAX);
    let run = allot_app::file_name("top_spenders", &reviews.ctx.level_name);
    write(&args.review, &period, &run, vec![reviews.top(n)], quiet)
}

pub fn run_context(args: &ContextArgs, quiet: bool) -> anyhow::Result<()> {
    let (period, reviews) = load(&args.review, false, quiet)?;
    let (people, teams) = reviews.context(args.threshold);
    let run = allot_app::file_name("context_window", &reviews.ctx.level_name);
    write(&args.review, &period, &run, vec![teams, people], quiet)
}

pub fn run_models(args: &ReviewArgs, quiet: bool) -> anyhow::Result<()> {
    let (period, reviews) = load(args, false, quiet)?;
    let (teams, people, largest) = reviews.models();
    let run = allot_app::file_name("model_mix", &reviews.ctx.level_name);
    write(args, &period, &run, vec![teams, largest, people], quiet)
}
