//! `/month/{month}/restatements`: what Anthropic revised of the month's cost.

use super::{parse_month, report_notes_html, respond, ws, Fail, View};
use crate::render::section;
use crate::App;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn restatements(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/restatements");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let ws = ws(app);
        let Some(snap) = ws.sources.snapshot()? else {
            return Err(Fail::NotFound(
                "this dashboard reads files, not a store: revisions are recorded by `allot sync` in a store (start allot serve with --store)".into(),
            ));
        };
        let out = allot_app::restatements::restatements_in(&snap, m)?;
        let mut body = String::from("<p>Each row is a person's or spender's cost component that moved when a provisional day was fetched again: the day, the old and the new amount, and the sync (and table version) that recorded it. With <code>--as-of</code>, what was known then.</p>");
        let mut tables = Vec::new();
        for n in out.reports {
            body.push_str(&report_notes_html(&n.report));
            body.push_str(&section(&n, &n.report.notes.clone(), &|_: &str, _: &str| None, &[]));
            tables.push(n);
        }
        Ok(View {
            title: format!("Restatements {m}"),
            // Records of what moved: the month's own status is its chargeback's to say.
            status: None,
            crumbs: vec![(format!("Month {m}"), format!("/month/{m}"))],
            month: Some(m),
            here: "restatements",
            body,
            tables,
        })
    })
    .await
}
