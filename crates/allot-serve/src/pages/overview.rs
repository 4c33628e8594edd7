//! `/`: the month so far, its forecast and budget, the last 12 weeks, the top cost centers
//! and spenders, and the open alerts.

use super::{board, dollars, month_links, overview_data, respond, synced, View};
use crate::render::{card, section};
use crate::App;
use allot_app::board::OVERVIEW_WEEKS;
use allot_app::Named;
use allot_core::money::format_cents;
use allot_figures::trend::PeriodTotal;
use allot_report::html_out::{esc, lines};
use allot_report::{Cell, Column, Kind, Report};
use axum::extract::{Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn overview(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, "/".into(), q, |app| {
        let ov = overview_data(app)?;
        let m = ov.month;
        let mut body = String::new();
        let mut tables = Vec::new();
        let mut said = Vec::new();
        let mut cards = String::from("<div class=\"cards\">");
        let mut status = None;
        if let Some(f) = &ov.forecast_figures {
            status = Some(f.status);
            let t = &f.total;
            cards.push_str(&card(
                &format!("{m} to date"),
                &dollars(t.cents.month_to_date),
                &format!("{} · through {}", f.status, ov.last_day.map(|d| d.to_string()).unwrap_or_default()),
            ));
            cards.push_str(&card(
                "Forecast for the month",
                &dollars(t.cents.forecast),
                &format!("range {} to {}", dollars(t.cents.low), dollars(t.cents.high)),
            ));
            if let Some(b) = t.budget {
                let pct = t.vs_budget_bp.map(format_cents).unwrap_or_default();
                cards.push_str(&card(
                    "Budget",
                    &dollars(b),
                    &format!("forecast is {pct}% of it"),
                ));
            }
        }
        if ov.alerts.is_some() {
            cards.push_str(&card(
                "Open alerts",
                &ov.open_alerts.to_string(),
                &format!("{} critical", ov.critical_alerts),
            ));
        }
        cards.push_str(&card("Last sync", &synced(app), "when the store's newest version was committed"));
        cards.push_str(&card(
            "Data through",
            &ov.last_day.map_or_else(|| "no data".into(), |d| d.to_string()),
            &if ov.provisional.is_empty() {
                "every day settled".to_string()
            } else {
                format!(
                    "provisional: {}",
                    allot_core::period::describe_days(&ov.provisional)
                )
            },
        ));
        cards.push_str("</div>");
        body.push_str(&cards);
        if !ov.provisional.is_empty() {
            body.push_str(&format!(
                "<p class=\"warn\">PROVISIONAL: {} are less than 30 days old or were synced while they were; Anthropic may still revise them. Every figure that includes them says so.</p>",
                allot_core::period::describe_days(&ov.provisional),
            ));
        }
        for n in [&ov.forecast_note, &ov.alerts_note].into_iter().flatten() {
            body.push_str(&format!("<p class=\"notes\">{}</p>", esc(n)));
        }
        let b = board(app, m).ok();
        let levels = b.as_ref().map(|b| b.levels.clone()).unwrap_or_default();
        let link = month_links(m, levels);
        if let Some(w) = &ov.weeks {
            let (weeks, chart) = week_totals(&ov.week_totals, &w.report);
            // The banner above says which days are provisional; the trend's notes are on /trend.
            said.extend(w.report.notes.iter().cloned());
            body.push_str(&section(&weeks, &said, &link, &[chart]));
            body.push_str("<p class=\"csv\"><a href=\"/trend\">Each cost center per week</a></p>");
            tables.push(weeks);
        }
        if let (Some(f), Some(mut top)) = (&ov.forecast, ov.top_forecast("top_cost_centers", 10)) {
            top.report.title = format!("Top cost centers, {m} to date, with their forecast");
            body.push_str(&section(&top, &said, &link, &[]));
            body.push_str("<p class=\"csv\"><a href=\"/forecast\">Every cost center's forecast</a></p>");
            said.extend(f.report.notes.iter().cloned());
            tables.push(top);
        }
        if let Some(b) = &b {
            let mut top = b.top.clone();
            top.report.title = format!("Top spenders, {m} so far");
            body.push_str(&section(&top, &said, &link, &[]));
            said.extend(top.report.notes.iter().cloned());
            tables.push(top);
        }
        if let Some(a) = &ov.alerts {
            let mut a = a.clone();
            a.report.title = format!("Open alerts ({})", ov.open_alerts);
            body.push_str(&section(&a, &said, &link, &[]));
            tables.push(a);
        }
        Ok(View {
            title: "Overview".into(),
            status,
            crumbs: Vec::new(),
            month: Some(m),
            here: "overview",
            body,
            tables,
        })
    })
    .await
}

/// The organisation's cost per week as a table and its chart (the figures sum each week's
/// lines, so the weeks add up to the trend's rows).
pub(crate) fn week_totals(weeks: &[PeriodTotal], trend: &Report) -> (Named, String) {
    let periods: Vec<String> = weeks.iter().map(|w| w.range.from.to_string()).collect();
    let values: Vec<i64> = weeks.iter().map(|w| w.cents).collect();
    let chart = lines(
        &format!("Cost per week, last {OVERVIEW_WEEKS} weeks (all cost centers)"),
        &periods,
        &[("all cost centers".into(), values)],
    );
    let rows = weeks
        .iter()
        .map(|w| {
            vec![
                Cell::Text(w.range.from.to_string()),
                Cell::Text(w.range.to.to_string()),
                Cell::Cents(w.cents),
                Cell::Text(w.status.to_string()),
            ]
        })
        .collect();
    let report = Report {
        title: format!("Cost per week, last {OVERVIEW_WEEKS} weeks"),
        status: trend.status,
        meta: trend.meta.clone(),
        columns: vec![
            Column::new("week_start", Kind::Text),
            Column::new("week_end", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("status", Kind::Text),
        ],
        rows,
        total: None,
        notes: trend.notes.clone(),
    };
    (Named::table("weeks", report), chart)
}
