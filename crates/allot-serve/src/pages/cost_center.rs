//! `/month/{month}/cost-center/{cc}`: a cost center's month.

use super::{
    board, breakdown, cost_center_label, crumbs_of, month_links, parse_month, respond, Fail, View,
};
use crate::render::enc;
use crate::App;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn cost_center(
    State(app): State<Arc<App>>,
    Path((m, cc)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/cost-center/{}", enc(&cc));
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let Some(parts) = b.cost_center(&cc) else {
            return Err(Fail::NotFound(format!("{m} has no cost center `{cc}`")));
        };
        let link = month_links(m, b.levels.clone());
        let body = breakdown(&b, &parts, &link);
        let crumbs = crumbs_of(&b, b.levels.len() - 1, &cc);
        Ok(View {
            title: format!("{} · {m}", cost_center_label(&b, &cc)),
            status: Some(b.status),
            crumbs,
            month: Some(m),
            here: "month",
            body,
            tables: parts.into_iter().map(|p| p.table).collect(),
        })
    })
    .await
}
