//! The demo: the embedded demo organisation served by the fake Anthropic API in-process,
//! synced into a store exactly as `allot sync` would, and every report of the latest settled
//! month from it: no key, no network.

use std::path::Path;
use std::time::Duration;

use allot_core::settle::latest_settled_month;
use allot_fake_api::{Config, State};
use allot_report::Format;
use allot_sync::{sync, ApiKey, Client, ClientConfig, Keys, Quiet, Store, SyncOptions};
use chrono::NaiveDate;

use crate::error::AppError;
use crate::output::{Named, Output};
use crate::reports::{ChargebackOptions, ReportOptions, CONTEXT_THRESHOLD_PCT, TOP_N};
use crate::sources::{Cloud, Origin, Sources};
use crate::watch::{read_budgets, WatchOptions};
use crate::workspace::{MappingSpec, Workspace};
use allot_engine::focus_in::FocusOptions;

/// The demo organisation's mapping, committed under `mappings/` and embedded in the binary.
pub const DEMO_MAPPING: &str = include_str!("../../../mappings/demo-org.csv");

/// The demo organisation's monthly budgets per cost center (Mobile's is too small for its
/// planted ramp-up), committed under `mappings/` and embedded in the binary.
pub const DEMO_BUDGETS: &str = include_str!("../../../mappings/demo-budgets.csv");

/// The demo's Amazon Bedrock bill in FOCUS, written beside the mapping.
pub const CLOUD_BILL: &str = "bedrock-focus.csv";

/// The key the in-process fake accepts; it never leaves the process.
const DEMO_KEY: &str = "sk-ant-demo-in-process";

/// What the demo produced: outputs with the formats each is written in.
#[derive(Debug)]
pub struct DemoRun {
    /// What to tell the person first.
    pub messages: Vec<String>,
    /// The outputs, each with its formats, all written into the demo's folder.
    pub outputs: Vec<(Output, Vec<Format>)>,
}

/// Writes the demo mapping to `out/input/org-mapping.csv`, syncs the demo organisation from
/// the in-process fake into `out/store` and builds every report of the latest settled month as
/// of `as_of`.
pub fn run(out: &Path, as_of: NaiveDate) -> Result<DemoRun, AppError> {
    let input = out.join("input");
    let month = latest_settled_month(as_of);
    let from = month.prev().first_day();
    let to = as_of
        .pred_opt()
        .ok_or_else(|| AppError::Usage("as-of date out of range".into()))?;
    write_inputs(&input, from, to)?;
    let store_dir = out.join("store");
    let (people, summary) = sync_demo(&store_dir, as_of, from, to)?;
    let cloud = Cloud::read(
        &[input.join(CLOUD_BILL)],
        &FocusOptions {
            tag: Some(allot_synth::cloud::TAG.to_string()),
            ..FocusOptions::default()
        },
        None,
    )?;
    let ws = Workspace::open(
        &MappingSpec::file(out.join("input").join("org-mapping.csv")),
        Sources {
            origin: Origin::Store(store_dir.clone()),
            snapshot: None,
            cloud: Some(std::sync::Arc::new(cloud)),
        },
        as_of,
    )?;
    let period = ws.month_period(
        month,
        crate::reports::MonthReads {
            reviews: true,
            previous: true,
            focus: false,
        },
    )?;
    let mut messages = vec![format!(
        "demo: {people} people, API keys, a service account, a workspace and Claude on Amazon Bedrock; synced {from}..{to} from the fake Anthropic API into `{}` ({} requests, {} rows) and read the cloud bill `{}`; charging back {month} ({}) as of {as_of}",
        store_dir.display(),
        summary.requests,
        summary.rows,
        input.join(CLOUD_BILL).display(),
        period.status(),
    )];
    messages.extend(ws.messages.iter().cloned());
    let base = ReportOptions::default();
    let by_cc = period.chargeback_output(&ChargebackOptions {
        common: base.clone(),
        ..ChargebackOptions::default()
    })?;
    let by_division = period.chargeback_output(&ChargebackOptions {
        common: ReportOptions {
            by: Some("division".into()),
            ..base.clone()
        },
        ..ChargebackOptions::default()
    })?;
    let reviews = period.reviews(&base)?;
    let top = reviews.top(TOP_N);
    let (context_people, context_teams) = reviews.context(CONTEXT_THRESHOLD_PCT);
    let (mix, mix_people, downgrade) = reviews.models();
    let efficiency = reviews.efficiency(false);
    let budgets_path = input.join("budgets.csv");
    let watch = WatchOptions {
        budgets: Some(read_budgets(&budgets_path, None)?),
        ..WatchOptions::default()
    };
    let alerts = ws.alerts(&watch)?;
    let forecast = ws.forecast(allot_core::Month::of(alerts.last), None, &watch)?;
    messages.push(format!(
        "demo: {} alert(s) for the days to {} (`{}`) and the forecast of {} against `{}`",
        alerts.alerts.len(),
        alerts.last,
        out.join("alerts.csv").display(),
        allot_core::Month::of(alerts.last),
        budgets_path.display()
    ));
    let adoption = ws.adoption(month, &crate::adoption::AdoptionOptions::default())?;
    let table = [Format::Table, Format::Csv, Format::Json];
    let files = [Format::Csv, Format::Json];
    let mut everything = Output {
        run: "chargeback".into(),
        title: by_cc.title.clone(),
        ..Output::default()
    };
    let as_files = |n: &Named| Named::file(n.name.clone(), n.report.clone());
    everything
        .reports
        .extend(by_cc.reports.iter().map(as_files));
    everything.reports.push(as_files(&by_division.reports[0]));
    everything
        .reports
        .extend(adoption.reports.iter().map(as_files));
    for n in [
        &alerts.output.reports[0],
        &forecast.reports[0],
        &top,
        &efficiency,
        &context_people,
        &context_teams,
        &mix,
        &mix_people,
        &downgrade,
    ] {
        everything.reports.push(as_files(n));
    }
    let reviews_out = Output {
        run: "reviews".into(),
        title: "Reviews".into(),
        reports: vec![
            efficiency,
            context_people,
            context_teams,
            mix,
            mix_people,
            downgrade,
        ],
        ..Output::default()
    };
    let top_out = Output {
        run: top.name.clone(),
        title: top.report.title.clone(),
        reports: vec![top],
        ..Output::default()
    };
    let division_main = Output {
        reports: vec![Named::file(
            by_division.reports[0].name.clone(),
            by_division.reports[0].report.clone(),
        )],
        ..by_division
    };
    Ok(DemoRun {
        messages,
        outputs: vec![
            (by_cc, table.to_vec()),
            (division_main, files.to_vec()),
            (top_out, table.to_vec()),
            (alerts.output.clone(), table.to_vec()),
            (forecast, table.to_vec()),
            (adoption, table.to_vec()),
            (reviews_out, files.to_vec()),
            (everything, vec![Format::Xlsx, Format::Html]),
        ],
    })
}

/// Writes the demo's inputs into `input`: the mapping, the budgets and the Bedrock bill of
/// `from`..`to` (Claude bought through a cloud, in FOCUS, beside the store).
fn write_inputs(input: &Path, from: NaiveDate, to: NaiveDate) -> Result<(), AppError> {
    // Claude bought through Amazon Bedrock: the cloud's bill in FOCUS, beside the store.
    let cloud_bill = allot_synth::cloud::bedrock_focus_csv(allot_synth::demo_org().seed, from, to);
    let mut set = allot_report::OutputSet::new(input);
    set.write("org-mapping.csv", |w| w.write_all(DEMO_MAPPING.as_bytes()))
        .and_then(|()| set.write("budgets.csv", |w| w.write_all(DEMO_BUDGETS.as_bytes())))
        .and_then(|()| set.write(CLOUD_BILL, |w| w.write_all(cloud_bill.as_bytes())))
        .and_then(|()| set.commit().map(|_| ()))
        .map_err(|source| AppError::Write {
            path: input.to_path_buf(),
            source,
        })?;
    Ok(())
}

/// Syncs the demo organisation (its events planted before `as_of`) from the in-process fake
/// into `store_dir`; returns its people and the sync's summary.
fn sync_demo(
    store_dir: &Path,
    as_of: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(usize, allot_sync::Summary), AppError> {
    // The organisation with its planted events (a team ramping up, a new heavy user, a move
    // into the long context window) in the weeks before `as_of`, for the alerts to find.
    let state = State::with_org(
        Config {
            rate_per_minute: 1_000_000,
            ..Config::new(as_of, DEMO_KEY)
        },
        allot_synth::demo_org_at(as_of),
    );
    let people = state.org.people.len();
    let runtime = crate::error::runtime(true)?;
    let summary = runtime.block_on(async {
        let base = allot_fake_api::spawn(state.clone())
            .await
            .map_err(|source| AppError::Write {
                path: "127.0.0.1 (the fake API)".into(),
                source,
            })?;
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
        let mut store = Store::open(store_dir, false)?;
        let opts = SyncOptions {
            from,
            to,
            today: as_of,
            refresh: false,
            engagement_lag_days: 1,
            concurrency: 8,
            cost_api: allot_sync::CostApi::Auto,
        };
        Ok::<_, AppError>(sync(&mut store, &client, &keys, &opts, &Quiet).await?)
    })?;
    Ok((people, summary))
}
