//! `allot demo`: the embedded demo organisation, about three months of its usage, and the
//! chargeback of the latest settled month, with no key and no network.

use allot_core::settle::{latest_settled_month, month_status};
use allot_report::{Format, OutputSet};
use allot_synth::{demo_org, write_activity_csv, write_costs_csv, Intensity};
use anyhow::Context;

use allot_engine::UnmappedPolicy;

use super::chargeback::Inputs;
use allot_report::reviews::{context_window, efficiency, model_mix, top_spenders};

use crate::cli::{DemoArgs, MappingReadArgs, ReportArgs, ReviewArgs, UnmappedArg};
use crate::output;

/// The demo organisation's mapping, committed under `mappings/` and embedded in the binary.
pub const DEMO_MAPPING: &str = include_str!("../../../../mappings/demo-org.csv");

pub fn run(args: &DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(super::today);
    let month = latest_settled_month(as_of);
    let from = month.prev().first_day();
    let to = as_of.pred_opt().context("as-of date out of range")?;
    let org = demo_org();
    let input = args.out.join("input");
    let mut set = OutputSet::new(&input);
    set.write("org-mapping.csv", |w| w.write_all(DEMO_MAPPING.as_bytes()))?;
    let mut summary = (0, allot_core::Nanos::ZERO);
    set.write("cost_facts.csv", |w| {
        summary = write_costs_csv(&org, from, to, Intensity::Realistic, w)?;
        Ok(())
    })?;
    set.write("activity_facts.csv", |w| {
        write_activity_csv(&org, from, to, w).map(|_| ())
    })?;
    set.commit()
        .with_context(|| format!("writing demo data to `{}`", input.display()))?;
    output::say(
        quiet,
        &format!(
            "demo: {} people, {} cost facts from {from} to {to} (${}); charging back {month} ({}) as of {as_of}",
            org.people.len(),
            summary.0,
            allot_core::money::format_cents(summary.1.round_cents()),
            month_status(month, as_of),
        ),
    );
    let mapping = input.join("org-mapping.csv");
    let cost = vec![input.join("cost_facts.csv")];
    let read = MappingReadArgs {
        sheet: None,
        columns: None,
    };
    let inputs = |by| Inputs {
        mapping: &mapping,
        read: &read,
        cost: &cost,
        month,
        by,
        as_of,
        unmapped: UnmappedPolicy::Bucket,
        pools: Vec::new(),
        with_reviews: false,
    };
    let mut reports = super::chargeback::build(&inputs(None), quiet)?;
    let by_division = super::chargeback::build(&inputs(Some("division")), true)?;
    reports.extend(
        by_division
            .into_iter()
            .filter(|(_, n)| *n == "chargeback")
            .map(|(r, _)| (r, "chargeback-division")),
    );
    let formats = [Format::Table, Format::Csv, Format::Json];
    super::chargeback::emit(&reports, &formats, &args.out, quiet)?;

    // The reviews of the same month, written beside the chargeback; the table shows the top spenders.
    let review = ReviewArgs {
        common: ReportArgs {
            month,
            mapping: mapping.clone(),
            read: read.clone(),
            cost: cost.clone(),
            by: None,
            unmapped: UnmappedArg::Bucket,
            unmapped_to: None,
            as_of: Some(as_of),
            out: Some(args.out.clone()),
            format: vec![Format::Csv, Format::Json],
            focus_version: "1.2".into(),
        },
        activity: vec![input.join("activity_facts.csv")],
    };
    let loaded = super::reviews::load(&review, true, true)?;
    let (context_people, context_teams) = context_window(&loaded.usage, &loaded.ctx, 25);
    let (mix, mix_people, downgrade) = model_mix(&loaded.usage, &loaded.ctx);
    let top = top_spenders(
        &loaded.usage,
        &loaded.previous,
        &loaded.activity,
        &loaded.ctx,
        10,
    );
    super::chargeback::emit(&[(top.clone(), "top_spenders")], &formats, &args.out, quiet)?;
    let reviews = vec![
        (
            efficiency(&loaded.usage, &loaded.activity, &loaded.ctx, false),
            "efficiency",
        ),
        (context_people, "context_window"),
        (context_teams, "context_window_teams"),
        (mix, "model_mix"),
        (mix_people, "model_mix_people"),
        (downgrade, "model_downgrade"),
    ];
    super::chargeback::emit(&reviews, &[Format::Csv, Format::Json], &args.out, quiet)?;

    // One workbook and one page with everything: reports/demo/chargeback.{xlsx,html}.
    let mut everything = reports;
    everything.push((top, "top_spenders"));
    everything.extend(reviews);
    super::chargeback::emit(&everything, &[Format::Xlsx, Format::Html], &args.out, quiet)?;
    Ok(())
}
