//! `/month/{month}`: the chargeback at every level, unmapped spenders and cost per day.

use super::{
    board, cost_center_label, dollars, month_links, notes_html, parse_month, respond, View,
};
use crate::render::{card, section};
use crate::App;
use allot_core::money::format_cents;
use allot_report::html_out::bars;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn month(
    State(app): State<Arc<App>>,
    Path(m): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}");
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        let link = month_links(m, b.levels.clone());
        let last = b.levels.len() - 1;
        let cc = b.chargeback(last);
        let mut body = notes_html(&b.notes);
        let figures = &b.figures[last];
        let unmapped = b.unmapped();
        body.push_str("<div class=\"cards\">");
        let (people, others) = (b.people_with_cost(), b.spenders_with_cost() - b.people_with_cost());
        body.push_str(&card(
            "Total",
            &dollars(b.total_cents),
            &format!(
                "{people} {} with cost, and {others} other {} (API keys, service accounts, cloud principals...)",
                if people == 1 { "person" } else { "people" },
                if others == 1 { "spender" } else { "spenders" },
            ),
        ));
        body.push_str(&card(
            "Coverage",
            &format!("{}%", figures.coverage_bp.map(format_cents).unwrap_or_default()),
            "of the cost reached a real cost center",
        ));
        let ((people, people_cents), (others, others_cents)) = b.unmapped_counts();
        body.push_str(&card(
            "Unmapped people",
            &people.to_string(),
            &dollars(people_cents),
        ));
        body.push_str(&card(
            "Unmapped other spenders",
            &others.to_string(),
            &format!("{} (API keys, accounts, principals...)", dollars(others_cents)),
        ));
        body.push_str("</div>");
        let mut tables = Vec::new();
        let mut said = b.notes.clone();
        // Every level of the hierarchy, top first; each value links to what is under it.
        for k in 0..last {
            let level = b.chargeback(k);
            let chart = (k == 0).then(|| {
                let amounts: Vec<(String, i64)> =
                    b.figures[0].amounts().into_iter().take(60).collect();
                bars(&format!("Cost by {}", b.levels[0]), &amounts, "$")
            });
            body.push_str(&section(level, &said, &link, &chart.into_iter().collect::<Vec<_>>()));
            said.extend(level.report.notes.iter().cloned());
            tables.push(level.clone());
        }
        let labelled: Vec<(String, i64)> = figures
            .amounts()
            .into_iter()
            .take(60)
            .map(|(k, v)| (cost_center_label(&b, &k), v))
            .collect();
        let chart = (last == 0).then(|| bars("Cost by cost center", &labelled, "$"));
        body.push_str(&section(cc, &said, &link, &chart.into_iter().collect::<Vec<_>>()));
        tables.push(cc.clone());
        said.extend(cc.report.notes.iter().cloned());
        body.push_str(&section(unmapped, &said, &link, &[]));
        tables.push(unmapped.clone());
        let daily = b.daily();
        let days: Vec<(String, i64)> =
            b.days.iter().take(400).map(|(d, c)| (d.to_string(), *c)).collect();
        let chart = allot_report::html_out::line("Cost by day", &days);
        body.push_str(&section(daily, &said, &link, &[chart]));
        tables.push(daily.clone());
        // What drove each cost center's change since the month before.
        if let Some(changes) = b.changes_view() {
            body.push_str(&section(&changes, &said, &link, &[]));
            tables.push(changes);
        }
        body.push_str(&format!(
            "<p class=\"csv\"><a href=\"/month/{m}/reviews\">Reviews of {m}</a> · <a href=\"/month/{m}/adoption\">Adoption in {m}</a></p>"
        ));
        Ok(View {
            title: format!("Month {m}"),
            status: Some(b.status),
            crumbs: Vec::new(),
            month: Some(m),
            here: "month",
            body,
            tables,
        })
    })
    .await
}
