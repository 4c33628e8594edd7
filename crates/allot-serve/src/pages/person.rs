//! `/month/{month}/person/{who}`: a person's (or another spender's) month.

use super::{
    board, breakdown, cost_center_label, crumbs_of, month_links, parse_month, respond, Fail, View,
};
use crate::render::enc;
use crate::App;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) async fn person(
    State(app): State<Arc<App>>,
    Path((m, who)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let path = format!("/month/{m}/person/{}", enc(&who));
    respond(app, path, q, move |app| {
        let m = parse_month(&m)?;
        let b = board(app, m)?;
        // Emails match case-insensitively, the ids of keys, workspaces and other actors
        // exactly: the identity type's rule, as everywhere else.
        let who = allot_core::identity::normalize(&who);
        // With --pseudonymize people are addressed by pseudonym only.
        // With --pseudonymize an email is addressed by its pseudonym only; API keys,
        // workspaces and other actors (no email in them) by their identity as everywhere.
        let email = match &app.config.pseudonyms {
            Some(p) if who.starts_with("person-") || who.contains('@') => {
                b.people.iter().find(|e| p.pseudonym(e) == who).cloned()
            }
            _ => b.has_person(&who).then(|| who.clone()),
        };
        let Some(email) = email else {
            return Err(Fail::NotFound(format!("{m} has no person `{who}`")));
        };
        let parts = b.person(&email).expect("known person");
        let link = month_links(m, b.levels.clone());
        let body = breakdown(&b, &parts, &link);
        let mut crumbs = Vec::new();
        if let Some(home) = b.home_of(&email) {
            let last = b.levels.len() - 1;
            crumbs = crumbs_of(&b, last, &home);
            if home != "UNMAPPED" {
                crumbs.push((
                    cost_center_label(&b, &home),
                    format!("/month/{m}/cost-center/{}", enc(&home)),
                ));
            }
        } else {
            crumbs.push((format!("Month {m}"), format!("/month/{m}")));
        }
        Ok(View {
            title: format!("{email} · {m}"),
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
