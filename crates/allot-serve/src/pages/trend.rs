//! `/trend`: cost per week per cost center over the last 12 weeks.

use super::{board, month_links, overview_data, report_notes_html, respond, Fail, View};
use crate::render::section;
use crate::App;
use allot_app::board::OVERVIEW_WEEKS;
use allot_report::html_out::lines;
use axum::extract::{Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn trend(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, "/trend".into(), q, |app| {
        let ov = overview_data(app)?;
        let Some(w) = ov.weeks.clone() else {
            return Err(Fail::NotFound("the store holds no cost yet".into()));
        };
        let r = &w.report;
        let series = &ov.week_series;
        let periods: Vec<String> = series.periods.iter().map(|p| p.from.to_string()).collect();
        let chart = lines("Cost per week by cost center", &periods, &series.lines);
        let b = board(app, ov.month).ok();
        let link = month_links(ov.month, b.map(|b| b.levels.clone()).unwrap_or_default());
        let mut body = report_notes_html(r);
        body.push_str(&section(&w, &r.notes, &link, &[chart]));
        Ok(View {
            title: format!("Trend: cost per week, last {OVERVIEW_WEEKS} weeks"),
            status: Some(r.status),
            crumbs: Vec::new(),
            month: Some(ov.month),
            here: "trend",
            body,
            tables: vec![w],
        })
    })
    .await
}
