//! `allot sync --check`: one request per endpoint with the keys given, as a report a new user
//! reads before the first sync (which endpoints answer, which key each wants, whether the
//! answers have the shape allot reads).

use allot_core::Status;
use allot_report::{Cell, Column, Kind, Report};
use allot_sync::check::{check, Outcome};
use allot_sync::{Client, ClientConfig, Keys};
use chrono::NaiveDate;

use crate::error::{runtime, AppError};
use crate::output::{Named, Output};

/// Probes every endpoint at `base_url` with `keys`; returns the report and whether any
/// endpoint is a problem (a shape allot does not know, a refused key, a failure).
pub fn run(
    config: ClientConfig,
    keys: &Keys,
    today: NaiveDate,
) -> Result<(Output, bool), AppError> {
    let client = Client::new(config)?;
    let probes = runtime(true)?.block_on(check(&client, keys, today));
    let rows: Vec<Vec<Cell>> = probes
        .iter()
        .map(|p| {
            let (status, detail) = match &p.outcome {
                Outcome::Known(n) => (
                    "ok",
                    format!("answers in the shape allot reads ({n} rows for one day)"),
                ),
                Outcome::Mismatch(why) => ("SHAPE CHANGED", why.clone()),
                Outcome::Refused(status, hint) => ("REFUSED", format!("HTTP {status}: {hint}")),
                Outcome::Failed(why) => ("FAILED", why.clone()),
                Outcome::NoKey => ("skipped", format!("no {} key given", p.key.as_str())),
            };
            vec![
                Cell::Text(p.endpoint.clone()),
                Cell::Text(p.key.as_str().to_string()),
                Cell::Text(status.to_string()),
                Cell::Text(detail),
            ]
        })
        .collect();
    let problems = probes.iter().filter(|p| p.is_problem()).count();
    let report = Report {
        title: format!(
            "API check: {} endpoints, {problems} with a problem",
            probes.len()
        ),
        status: Status::Settled,
        meta: vec![("as_of".into(), today.to_string())],
        columns: vec![
            Column::new("endpoint", Kind::Text),
            Column::new("key", Kind::Text),
            Column::new("status", Kind::Text),
            Column::new("detail", Kind::Text),
        ],
        rows,
        total: None,
        notes: vec!["One request per endpoint, about a day three days ago. `SHAPE CHANGED` names the field allot could not find: the API changed, and allot's parser needs to follow it before the next sync.".into()],
    };
    Ok((
        Output {
            run: "check".into(),
            title: report.title.clone(),
            reports: vec![Named::table("check", report)],
            files: Vec::new(),
            messages: Vec::new(),
        },
        problems > 0,
    ))
}
