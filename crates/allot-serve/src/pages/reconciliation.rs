//! `/reconciliation`: the invoices against the API (with `--invoice`).

use super::{respond, ws, Fail, View};
use crate::render::section;
use crate::App;
use allot_core::Status;
use allot_report::html_out::esc;
use axum::extract::{Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn reconciliation(
    State(app): State<Arc<App>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    respond(app, "/reconciliation".into(), q, |app| {
        if app.config.invoices.is_empty() {
            return Err(Fail::NotFound(
                "no invoice was given: start allot serve with --invoice FILE to reconcile it here".into(),
            ));
        }
        let ws = ws(app);
        let mut body = String::new();
        let mut tables = Vec::new();
        let several = app.config.invoices.len() > 1;
        let mut status = Status::Settled;
        for (i, inv) in app.config.invoices.iter().enumerate() {
            let rec = allot_app::reconcile::run(&ws.sources, inv, ws.as_of)?;
            let file = inv
                .path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            body.push_str(&format!("<h2>Invoice {}</h2>", esc(&file)));
            if rec.variance {
                body.push_str("<p class=\"warn\">A settled month is off, or API cost is billed on no line: see the rows marked below.</p>");
            }
            if rec.incomplete {
                body.push_str("<p class=\"warn\">INCOMPLETE: a month's data is not all in the store; it cannot be confirmed.</p>");
            }
            for mut n in rec.output.reports {
                if n.report.status != Status::Settled && status == Status::Settled {
                    status = n.report.status;
                }
                if several {
                    n.name = format!("{}-{}", n.name, i + 1);
                }
                body.push_str(&section(&n, &[], &|_: &str, _: &str| None, &[]));
                tables.push(n);
            }
        }
        Ok(View {
            title: "Reconciliation".into(),
            status: Some(status),
            crumbs: Vec::new(),
            month: None,
            here: "reconciliation",
            body,
            tables,
        })
    })
    .await
}
