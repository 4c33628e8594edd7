//! `/month/{month}/adoption`: the adoption scorecard and idle seats.

use super::{
    adoption_data, board, month_links, months, parse_month, report_notes_html, respond, Fail, View,
};
use crate::render::section;
use crate::App;
use allot_report::html_out::bars;
use allot_report::Note;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn adoption(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/adoption");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let held = months(app)?;
        if !held.contains(&m) {
            return Err(Fail::NotFound(format!("the store holds no cost for {m}")));
        }
        let run = adoption_data(app, m)?;
        let out = run.output.clone();
        let levels = board(app, m).map(|b| b.levels.clone()).unwrap_or_default();
        let link = month_links(m, levels);
        let status = out.reports.first().map(|n| n.report.status);
        let mut said: Vec<Note> = Vec::new();
        let mut body = String::new();
        if let Some(first) = out.reports.first() {
            body.push_str(&report_notes_html(&first.report));
            said.extend(first.report.notes.iter().cloned());
        }
        for n in &out.reports {
            let charts = if n.name == "adoption" {
                let rows: Vec<(String, i64)> = run
                    .lines
                    .iter()
                    .take(60)
                    .filter(|l| l.key != "TOTAL" && l.key != allot_core::UNMAPPED)
                    .map(|l| (l.key.clone(), l.utilization_bp().unwrap_or(0)))
                    .collect();
                vec![bars(
                    "Utilization by team (active users over headcount)",
                    &rows,
                    "%",
                )]
            } else {
                Vec::new()
            };
            body.push_str(&section(n, &said, &link, &charts));
        }
        Ok(View {
            title: format!("Adoption {m}"),
            status,
            crumbs: vec![(format!("Month {m}"), format!("/month/{m}"))],
            month: Some(m),
            here: "adoption",
            body,
            tables: out.reports,
        })
    })
    .await
}
