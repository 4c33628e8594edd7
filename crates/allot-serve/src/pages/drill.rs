//! `/month/{month}/by/{level}/{value}`: one value of a hierarchy level and what is under it.

use super::{
    board, check, cost_center_label, crumbs_of, month_links, notes_html, parse_month, respond,
    Fail, View,
};
use crate::render::{enc, section};
use crate::App;
use allot_report::html_out::bars;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn drill(
    State(app): State<Arc<App>>,
    Path((m, level, value)): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/by/{}/{}", enc(&level), enc(&value));
    let app2 = app.clone();
    if let Ok(month) = parse_month(&m) {
        if let Ok(b) = tokio::task::spawn_blocking(move || {
            check(&app2);
            board(&app2, month)
        })
        .await
        .unwrap_or_else(|e| Err(Fail::Internal(e.to_string())))
        {
            if b.level(&level) == Some(b.levels.len() - 1) {
                let to = format!("/month/{month}/cost-center/{}", enc(&value));
                return (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response();
            }
        }
    }
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let Some(k) = b.level(&level) else {
            return Err(Fail::NotFound(format!(
                "`{level}` is not a level of the mapping (levels: {})",
                b.levels.join(", ")
            )));
        };
        let Some(children) = b.children(k, &value) else {
            return Err(Fail::NotFound(format!("{m} has no {level} `{value}`")));
        };
        let link = month_links(m, b.levels.clone());
        let mut body = notes_html(&b.notes);
        let mut tables = Vec::new();
        if let Some(row) = b.row_of(k, &value) {
            let mut row = row;
            row.name = "line".into();
            row.report.title = format!("{value} in the {} chargeback", b.levels[k]);
            body.push_str(&section(&row, &b.notes, &link, &[]));
            tables.push(row);
        }
        let below = &b.levels[k + 1];
        let mut items: Vec<(String, i64)> = b.child_lines(k, &value).into_iter().take(60).collect();
        if k + 1 == b.levels.len() - 1 {
            for it in &mut items {
                it.0 = cost_center_label(&b, &it.0);
            }
        }
        let chart = bars(&format!("Cost by {below} in {value}"), &items, "$");
        let mut children = children;
        children.report.title = format!("{value}: by {below}");
        body.push_str(&section(&children, &b.notes, &link, &[chart]));
        tables.push(children);
        let crumbs = crumbs_of(&b, k, &value);
        Ok(View {
            title: format!("{value} ({}) · {m}", b.levels[k]),
            status: Some(b.status),
            crumbs,
            month: Some(m),
            here: "month",
            body,
            tables,
        })
    })
    .await
}
