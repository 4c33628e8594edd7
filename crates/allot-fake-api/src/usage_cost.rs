//! The Usage and Cost Analytics API (beta): `GET /v1/organizations/analytics/cost` and
//! `/usage`, every cost of the organisation as flat rows `{starting_at, ending_at, group,
//! cost|usage}`, one per combination of the grouped dimensions (and day, with
//! `time_bucket_width=1d`) that has cost or usage. The choices where the documentation is silent
//! are in [`crate::ASSUMPTIONS`].

use std::collections::BTreeMap;
use std::sync::Arc;

use allot_core::Nanos;
use allot_synth::{Actor, ActorFact};
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::cost::{cents, daily, envelope, ts, window, Tokens};
use crate::paging::{page, page_of};
use crate::truth::{actor_costs, days};
use crate::{ApiError, Family, State};

/// The beta header both endpoints need.
pub const BETA: &str = "analytics-usage-cost-2026-08-24";

/// Every dimension a row's `group` carries (null unless grouped), alphabetically.
const GROUP_FIELDS: [&str; 21] = [
    "actor",
    "actor_type",
    "agent_id",
    "api_key_id",
    "claude_tag_category",
    "claude_tag_user_id",
    "context_window",
    "cost_type",
    "deployment_id",
    "environment_id",
    "inference_geo",
    "model",
    "product",
    "rbac_group_id",
    "service_tier",
    "session_id",
    "slack_channel_id",
    "speed",
    "token_type",
    "user_profile_id",
    "workspace_id",
];

/// The actor object of the API.
fn actor_json(a: &Actor) -> Value {
    match a {
        Actor::User { user_id, email } => json!({
            "type": "user_actor",
            "user_id": user_id,
            "email_address": email,
            "name": email.split('@').next().unwrap_or_default(),
            "deleted": false,
        }),
        Actor::ApiKey { id, name } => {
            json!({"type": "api_key_actor", "api_key_id": id, "name": name})
        }
        Actor::ServiceAccount { id, name } => {
            json!({"type": "service_account_actor", "service_account_id": id, "name": name})
        }
        Actor::Federated { subject } => {
            json!({"type": "federated_identity_actor", "subject": subject})
        }
        Actor::Unknown { kind, id, name } => json!({"type": kind, "agent_id": id, "name": name}),
        Actor::Nobody => Value::Null,
    }
}

fn actor_type(a: &Actor) -> Option<String> {
    match actor_json(a) {
        Value::Null => None,
        v => v["type"].as_str().map(str::to_string),
    }
}

/// A dimension's value of a fact (`None`: null).
fn value(a: &ActorFact, dim: &str) -> Option<Value> {
    let f = &a.fact;
    let s = |v: &str| (!v.is_empty()).then(|| Value::String(v.to_string()));
    match dim {
        "actor" => match actor_json(&a.actor) {
            Value::Null => None,
            v => Some(v),
        },
        "actor_type" => actor_type(&a.actor).map(Value::String),
        "api_key_id" => a.api_key_id.map(|k| Value::String(k.to_string())),
        "workspace_id" => a.workspace_id.map(|w| Value::String(w.to_string())),
        "product" => s(&f.product),
        "model" => s(&f.model),
        "context_window" => s(&f.context_window),
        "cost_type" => s(&f.cost_type),
        "token_type" => s(&f.token_type),
        "inference_geo" => Some(Value::String("global".into())),
        "speed" => Some(Value::String("standard".into())),
        _ => None,
    }
}

fn group_by(params: &[(String, String)], cost: bool) -> Result<Vec<&'static str>, ApiError> {
    let mut out: Vec<&'static str> = Vec::new();
    for (k, v) in params {
        if k != "group_by[]" {
            continue;
        }
        let Some(d) = GROUP_FIELDS.iter().find(|d| **d == v.as_str()) else {
            return Err(ApiError::bad_request(format!(
                "group_by[] `{v}` is not a dimension of this endpoint"
            )));
        };
        if !cost && matches!(*d, "cost_type" | "token_type") {
            return Err(ApiError::bad_request(format!(
                "group_by[] `{v}` is only served by the cost endpoint"
            )));
        }
        if !out.contains(d) {
            out.push(d);
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// One row's accumulated metrics.
#[derive(Default)]
struct Acc {
    amount: Nanos,
    list: Nanos,
    tokens: Tokens,
}

pub(crate) fn rows(
    state: &State,
    start: NaiveDate,
    end: NaiveDate,
    daily: bool,
    dims: &[&'static str],
    cost: bool,
) -> Vec<Vec<Value>> {
    // (day or range, the grouped values as JSON text) -> (the values, metrics)
    type Key = (Option<NaiveDate>, String);
    let today = state.config.today;
    let mut acc: BTreeMap<Key, (Vec<Option<Value>>, Acc)> = BTreeMap::new();
    for day in days(start, end) {
        for a in actor_costs(&state.org, day, today, state.revision_on(day)) {
            let values: Vec<Option<Value>> = dims.iter().map(|d| value(&a, d)).collect();
            let key = (
                daily.then_some(day),
                serde_json::to_string(&values).unwrap_or_default(),
            );
            let e = acc.entry(key).or_insert_with(|| (values, Acc::default()));
            e.1.amount += Nanos(i128::from(a.fact.cost_nanos));
            e.1.list += Nanos(i128::from(
                a.fact.list_cost_nanos.unwrap_or(a.fact.cost_nanos),
            ));
            e.1.tokens.add(&a.fact);
        }
    }
    let mut out: Vec<(Option<NaiveDate>, i128, String, Value)> = Vec::new();
    for ((day, key), (values, m)) in acc {
        let total_tokens: i64 = m.tokens.total();
        // Only combinations with cost (or usage) in the range are rows.
        if (cost && m.amount.0 == 0) || (!cost && total_tokens == 0 && m.tokens.1 == 0) {
            continue;
        }
        let mut group = json!({});
        for f in GROUP_FIELDS {
            group[f] = Value::Null;
        }
        for (d, v) in dims.iter().zip(values) {
            group[*d] = v.unwrap_or(Value::Null);
        }
        let (from, to) = match day {
            Some(d) => (d, d + Duration::days(1)),
            None => (start, end),
        };
        let mut row = json!({
            "starting_at": ts(from),
            "ending_at": ts(to),
            "group": group,
        });
        let rank = if cost {
            row["cost"] = json!({
                "amount": cents(m.amount),
                "currency": "USD",
                "list_amount": cents(m.list),
                "requests": Value::Null,
            });
            m.amount.0
        } else {
            let mut usage = json!({});
            m.tokens.fill(&mut usage);
            usage["total_tokens"] = json!(total_tokens);
            usage["requests"] = Value::Null;
            row["usage"] = usage;
            i128::from(total_tokens)
        };
        out.push((day, rank, key, row));
    }
    // Ordered by time bucket, then ranked by spend (or tokens) within it.
    out.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    out.into_iter().map(|(_, _, _, r)| vec![r]).collect()
}

fn serve(
    state: &State,
    headers: &HeaderMap,
    params: &[(String, String)],
    path: &'static str,
    cost: bool,
) -> Result<Response, ApiError> {
    let n = state.admit(headers, Family::UsageCost)?;
    if !state.config.usage_cost_api {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found_error",
            "The Usage and Cost Analytics API is not available to this organisation.",
        ));
    }
    let beta = headers
        .get("anthropic-beta")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !beta.split(',').any(|b| b.trim() == BETA) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            format!("This endpoint is in beta: send the header anthropic-beta: {BETA}."),
        ));
    }
    let (start, end) = window(params, state.config.today)?;
    let daily = daily(params, "time_bucket_width", false)?;
    let dims = group_by(params, cost)?;
    let p = page(state, path, params, 100, 1000)?;
    let (data, next) = page_of(state, path, p, (start, end), daily, |from, to, daily| {
        rows(state, from, to, daily, &dims, cost)
    });
    Ok(state.respond(n, &envelope(state, &data, next.as_deref())))
}

/// `GET /v1/organizations/analytics/cost`.
pub async fn cost(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    serve(&state, &headers, &params, "analytics/cost", true)
}

/// `GET /v1/organizations/analytics/usage`.
pub async fn usage(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    serve(&state, &headers, &params, "analytics/usage", false)
}
