//! `/forecast`: the month's forecast per cost center.

use super::{board, month_links, overview_data, report_notes_html, respond, Fail, View};
use crate::render::section;
use crate::App;
use allot_report::html_out::bars;
use axum::extract::{Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn forecast(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, "/forecast".into(), q, |app| {
        let ov = overview_data(app)?;
        let Some(f) = ov.forecast.clone() else {
            return Err(Fail::NotFound(
                ov.forecast_note
                    .clone()
                    .unwrap_or_else(|| "no forecast can be made yet".into()),
            ));
        };
        let rows: Vec<(String, i64)> = ov
            .forecast_figures
            .iter()
            .flat_map(|f| &f.rows)
            .take(60)
            .map(|r| (r.key.clone(), r.cents.forecast))
            .collect();
        let chart = bars("Forecast for the month", &rows, "$");
        let b = board(app, ov.month).ok();
        let link = month_links(ov.month, b.map(|b| b.levels.clone()).unwrap_or_default());
        let mut body = report_notes_html(&f.report);
        body.push_str(&section(&f, &f.report.notes, &link, &[chart]));
        Ok(View {
            title: format!("Forecast {}", ov.month),
            status: Some(f.report.status),
            crumbs: Vec::new(),
            month: Some(ov.month),
            here: "forecast",
            body,
            tables: vec![f],
        })
    })
    .await
}
