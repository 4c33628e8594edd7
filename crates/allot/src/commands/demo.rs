//! `allot demo`: the embedded demo organisation served by the fake Anthropic API in-process,
//! synced into a store, and the chargeback and reviews of the latest settled month from it: no
//! key, no network.

use std::time::Duration;

use allot_core::settle::{latest_settled_month, month_status};
use allot_fake_api::{Config, State};
use allot_report::{Format, OutputSet};
use allot_sync::store::{activity_files, files, Source};
use allot_sync::{sync, ApiKey, Client, ClientConfig, Keys, Quiet, Store, SyncOptions};
use anyhow::Context;

use allot_engine::UnmappedPolicy;

use super::chargeback::Inputs;
use allot_report::reviews::{context_window, efficiency, model_mix, top_spenders};

use crate::cli::{DemoArgs, MappingReadArgs, ReportArgs, ReviewArgs, UnmappedArg};
use crate::output;

/// The demo organisation's mapping, committed under `mappings/` and embedded in the binary.
pub const DEMO_MAPPING: &str = include_str!("../../../../mappings/demo-org.csv");

/// The key the in-process fake accepts; it never leaves the process.
const DEMO_KEY: &str = "sk-ant-demo-in-process";

pub fn run(args: &DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(super::today);
    let month = latest_settled_month(as_of);
    let from = month.prev().first_day();
    let to = as_of.pred_opt().context("as-of date out of range")?;
    let input = args.out.join("input");
    let mut set = OutputSet::new(&input);
    set.write("org-mapping.csv", |w| w.write_all(DEMO_MAPPING.as_bytes()))?;
    set.commit()
        .with_context(|| format!("writing demo data to `{}`", input.display()))?;

    // The fake Anthropic API on 127.0.0.1, fast (the demo is not rate limited), synced like
    // any organisation's.
    let store_dir = args.out.join("store");
    let state = State::new(Config {
        rate_per_minute: 1_000_000,
        ..Config::new(as_of, DEMO_KEY)
    });
    let people = state.org.people.len();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = runtime.block_on(async {
        let base = allot_fake_api::spawn(state.clone())
            .await
            .context("starting the fake Anthropic API on 127.0.0.1")?;
        let client = Client::new(ClientConfig {
            base_url: base,
            rate_per_minute: 1_000_000,
            backoff: Duration::from_millis(10),
            ..ClientConfig::default()
        })?;
        let keys = Keys {
            analytics: Some(ApiKey::new(DEMO_KEY)),
            admin: Some(ApiKey::new(format!("{DEMO_KEY}-admin"))),
        };
        let mut store = Store::open(&store_dir, false)?;
        let opts = SyncOptions {
            from,
            to,
            today: as_of,
            refresh: false,
            engagement_lag_days: 1,
            concurrency: 8,
        };
        anyhow::Ok(sync(&mut store, &client, &keys, &opts, &Quiet).await?)
    })?;
    output::say(
        quiet,
        &format!(
            "demo: {people} people; synced {from}..{to} from the fake Anthropic API into `{}` ({} requests, {} rows); charging back {month} ({}) as of {as_of}",
            store_dir.display(),
            summary.requests,
            summary.rows,
            month_status(month, as_of),
        ),
    );
    let cost = files(&store_dir, Source::Cost)?;
    let activity = activity_files(&store_dir)?;
    let mapping = input.join("org-mapping.csv");
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
            store: None,
            by: None,
            unmapped: UnmappedArg::Bucket,
            unmapped_to: None,
            as_of: Some(as_of),
            out: Some(args.out.clone()),
            format: vec![Format::Csv, Format::Json],
            focus_version: "1.2".into(),
        },
        activity,
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
