//! `/month/{month}/reviews`: top spenders, context window, model mix and efficiency.

use super::{board, month_links, notes_html, parse_month, respond, View};
use crate::render::section;
use crate::App;
use allot_app::Named;
use allot_report::html_out::bars;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub(crate) async fn reviews(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/reviews");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let link = month_links(m, b.levels.clone());
        let mut body = notes_html(&b.notes);
        let top: Vec<(String, i64)> = b
            .top_figures
            .rows
            .iter()
            .take(15)
            .map(|r| (r.email.clone(), r.cents))
            .collect();
        let top_chart = bars("Top spenders", &top, "$");
        let mut by_model: BTreeMap<String, i64> = BTreeMap::new();
        for r in &b.model_figures.teams {
            *by_model.entry(r.model.clone()).or_default() += r.cents;
        }
        let mut mix: Vec<(String, i64)> = by_model.into_iter().collect();
        mix.sort_by_key(|x| std::cmp::Reverse(x.1));
        let shares: Vec<(String, i64)> = b
            .context_figures
            .teams
            .iter()
            .take(60)
            .map(|r| (r.key.clone(), r.long_share_bp.unwrap_or(0)))
            .collect();
        let ctx_chart = bars("Share of tokens in the 200K-1M window", &shares, "%");
        let parts: Vec<(&Named, Vec<String>)> = vec![
            (&b.top, vec![top_chart]),
            (&b.context, vec![ctx_chart]),
            (&b.context_people, Vec::new()),
            (&b.models, vec![bars("Model mix", &mix, "$")]),
            (&b.downgrade, Vec::new()),
            (&b.efficiency, Vec::new()),
        ];
        let mut tables = Vec::new();
        for (n, charts) in parts {
            body.push_str(&section(n, &b.notes, &link, &charts));
            tables.push(n.clone());
        }
        Ok(View {
            title: format!("Reviews {m}"),
            status: Some(b.status),
            crumbs: vec![(format!("Month {m}"), format!("/month/{m}"))],
            month: Some(m),
            here: "reviews",
            body,
            tables,
        })
    })
    .await
}
