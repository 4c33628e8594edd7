//! `allot sync --check`: one cheap request per endpoint with the keys given, saying for each
//! whether it answers, which key it wants, and whether its answer has the shape allot reads.
//! The first thing to run against the real API, and the alarm when the API changes under us.

use chrono::{Duration, NaiveDate};
use serde_json::Value;

use crate::client::Client;
use crate::error::SyncError;
use crate::key::{ApiKey, Keys};
use crate::parse;

const ANALYTICS: &str = "/v1/organizations/analytics";

/// Which key an endpoint takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// A Claude Enterprise Analytics key (`read:analytics`).
    Analytics,
    /// An Admin API key.
    Admin,
    /// Either (the Usage and Cost Analytics API): the Analytics key when given, else the Admin key.
    Either,
}

impl KeyKind {
    /// How the report names it.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Analytics => "analytics",
            KeyKind::Admin => "admin",
            KeyKind::Either => "analytics or admin",
        }
    }
}

/// What one endpoint answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It answered in the shape allot reads; this many rows came back.
    Known(usize),
    /// It answered, but not in the shape allot reads (the field or block that differs).
    Mismatch(String),
    /// It refused the key or the request (status and what to check).
    Refused(u16, String),
    /// It could not be reached, or kept failing.
    Failed(String),
    /// No key of the kind it takes was given.
    NoKey,
}

/// One endpoint's probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The endpoint's path.
    pub endpoint: String,
    /// The key it takes.
    pub key: KeyKind,
    /// What happened.
    pub outcome: Outcome,
}

impl Probe {
    /// Whether this probe is a reason to exit non-zero: a shape allot does not know, a refusal
    /// of a key that was given, or a failure.
    pub fn is_problem(&self) -> bool {
        !matches!(self.outcome, Outcome::Known(_) | Outcome::NoKey)
    }
}

fn p(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect()
}

type Reader = fn(NaiveDate, &Value) -> Result<usize, SyncError>;

/// An endpoint to probe: path, key, query, and the parser that reads its answer.
type Endpoint = (String, KeyKind, Vec<(String, String)>, Reader);

/// Reads one page of the Usage and Cost Analytics API's cost (`cost`) or usage answer.
fn usage_cost_page(v: &Value, cost: bool) -> Result<usize, SyncError> {
    let pages = std::slice::from_ref(v);
    let (rows, _) = if cost {
        crate::usage_cost::actor_costs(pages, &[])?
    } else {
        crate::usage_cost::actor_costs(&[], pages)?
    };
    Ok(rows.len())
}

/// Every endpoint allot syncs.
fn endpoints(day: NaiveDate) -> Vec<Endpoint> {
    let ts = |d: NaiveDate| format!("{d}T00:00:00Z");
    let window = p(&[
        ("starting_at", ts(day)),
        ("ending_at", ts(day + Duration::days(1))),
        ("bucket_width", "1d".into()),
        ("limit", "1".into()),
    ]);
    let a = |name: &str| format!("{ANALYTICS}/{name}");
    let date = p(&[("date", day.to_string()), ("limit", "1".into())]);
    let mut by_actor = p(&[
        ("starting_at", ts(day)),
        ("ending_at", ts(day + Duration::days(1))),
        ("time_bucket_width", "1d".into()),
        ("limit", "1".into()),
    ]);
    by_actor.extend(
        crate::usage_cost::GROUP_BY
            .iter()
            .map(|g| ("group_by[]".to_string(), (*g).to_string())),
    );
    vec![
        (
            crate::usage_cost::COST_PATH.into(),
            KeyKind::Either,
            by_actor.clone(),
            |_, v| usage_cost_page(v, true),
        ),
        (
            crate::usage_cost::USAGE_PATH.into(),
            KeyKind::Either,
            by_actor,
            |_, v| usage_cost_page(v, false),
        ),
        (
            a("user_cost_report"),
            KeyKind::Analytics,
            window.clone(),
            |_, v| parse::user_costs(std::slice::from_ref(v), &[]).map(|r| r.len()),
        ),
        (
            a("user_usage_report"),
            KeyKind::Analytics,
            window.clone(),
            |_, v| parse::user_costs(&[], std::slice::from_ref(v)).map(|r| r.len()),
        ),
        (
            a("cost_report"),
            KeyKind::Analytics,
            window.clone(),
            |_, v| parse::org_costs(std::slice::from_ref(v), &[]).map(|r| r.len()),
        ),
        (a("usage_report"), KeyKind::Analytics, window, |_, v| {
            parse::org_costs(&[], std::slice::from_ref(v)).map(|r| r.len())
        }),
        (a("users"), KeyKind::Analytics, date.clone(), |d, v| {
            parse::users(d, std::slice::from_ref(v)).map(|r| r.len())
        }),
        (
            a("summaries"),
            KeyKind::Analytics,
            p(&[
                ("starting_date", day.to_string()),
                ("ending_date", (day + Duration::days(1)).to_string()),
            ]),
            |_, v| parse::summaries(v).map(|r| r.len()),
        ),
        (
            a("apps/chat/projects"),
            KeyKind::Analytics,
            date.clone(),
            |_, v| parse::catalogue("apps/chat/projects", std::slice::from_ref(v)).map(|r| r.len()),
        ),
        (a("skills"), KeyKind::Analytics, date.clone(), |_, v| {
            parse::catalogue("skills", std::slice::from_ref(v)).map(|r| r.len())
        }),
        (a("connectors"), KeyKind::Analytics, date, |_, v| {
            parse::catalogue("connectors", std::slice::from_ref(v)).map(|r| r.len())
        }),
        (
            "/v1/organizations/usage_report/claude_code".into(),
            KeyKind::Admin,
            p(&[("starting_at", day.to_string()), ("limit", "1".into())]),
            |d, v| parse::claude_code(d, std::slice::from_ref(v)).map(|r| r.0.len()),
        ),
    ]
}

/// Probes every endpoint once, about a day three days before `today` (old enough for
/// engagement data, young enough to be inside every window).
pub async fn check(client: &Client, keys: &Keys, today: NaiveDate) -> Vec<Probe> {
    let day = today - Duration::days(3);
    let mut out = Vec::new();
    for (endpoint, kind, query, read) in endpoints(day) {
        let key: Option<&ApiKey> = match kind {
            KeyKind::Analytics => keys.analytics.as_ref(),
            KeyKind::Admin => keys.admin.as_ref(),
            KeyKind::Either => keys.analytics.as_ref().or(keys.admin.as_ref()),
        };
        let beta = (kind == KeyKind::Either).then_some(crate::usage_cost::BETA);
        let outcome = match key {
            None => Outcome::NoKey,
            Some(k) => match client.one_beta(&endpoint, k, &query, beta).await {
                Ok(body) => match read(day, &body) {
                    Ok(n) => Outcome::Known(n),
                    Err(SyncError::Malformed { problem, .. }) => Outcome::Mismatch(problem),
                    Err(e) => Outcome::Mismatch(e.to_string()),
                },
                Err(SyncError::Rejected { status, hint, .. }) => {
                    Outcome::Refused(status, hint.to_string())
                }
                Err(e) => Outcome::Failed(e.to_string()),
            },
        };
        out.push(Probe {
            endpoint,
            key: kind,
            outcome,
        });
    }
    out
}
