//! The Enterprise cost and usage endpoints: per user (`user_cost_report`, `user_usage_report`)
//! and organisation-wide over time (`cost_report`, `usage_report`). Amounts are decimal strings
//! in cents; dimension fields are null unless grouped.

use std::collections::BTreeMap;
use std::sync::Arc;

use allot_core::facts::CostFact;
use allot_core::Nanos;
use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::limits::check_window;
use crate::paging::{page, page_of, param, slice};
use crate::truth::{days, org_costs, user_costs};
use crate::{ApiError, Family, State};

/// Dimensions of a cost row that `group_by[]` can ask for, in the order rows are keyed.
const DIMENSIONS: [&str; 7] = [
    "product",
    "model",
    "context_window",
    "inference_geo",
    "speed",
    "cost_type",
    "token_type",
];
/// Dimensions whose rows fan out of a unit without counting toward `limit`.
const FAN_OUT: [&str; 2] = ["cost_type", "token_type"];
/// Token components of a usage row.
const TOKEN_FIELDS: [&str; 5] = [
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
];

fn dim(f: &CostFact, d: &str) -> String {
    match d {
        "product" => f.product.clone(),
        "model" => f.model.clone(),
        "context_window" => f.context_window.clone(),
        "cost_type" => f.cost_type.clone(),
        "token_type" => f.token_type.clone(),
        "inference_geo" => "global".into(),
        _ => "standard".into(),
    }
}

/// Cents with six decimals, as the API writes amounts (`"41280.000000"` is $412.80); seven
/// when a nano-dollar amount needs them.
pub fn cents(n: Nanos) -> String {
    if n.0 % 10 == 0 {
        rust_decimal::Decimal::from_i128_with_scale(n.0 / 10, 6).to_string()
    } else {
        rust_decimal::Decimal::from_i128_with_scale(n.0, 7).to_string()
    }
}

pub(crate) fn ts(d: NaiveDate) -> String {
    format!("{d}T00:00:00Z")
}

fn parse_ts(name: &str, v: &str) -> Result<NaiveDate, ApiError> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.date_naive())
        .map_err(|_| ApiError::bad_request(format!("{name} `{v}` is not an RFC 3339 timestamp")))
}

/// `starting_at`/`ending_at` of a request, checked against the documented limits.
pub(crate) fn window(
    params: &[(String, String)],
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let start = parse_ts(
        "starting_at",
        param(params, "starting_at")
            .ok_or_else(|| ApiError::bad_request("starting_at is required"))?,
    )?;
    let end = match param(params, "ending_at") {
        Some(e) => parse_ts("ending_at", e)?,
        None => (start + Duration::days(31)).min(today),
    };
    check_window(start, end, today).map_err(ApiError::bad_request)?;
    Ok((start, end))
}

fn group_by(params: &[(String, String)], allowed: &[&str]) -> Result<Vec<&'static str>, ApiError> {
    let mut out: Vec<&'static str> = Vec::new();
    for (k, v) in params {
        if k == "group_by[]" {
            if !allowed.contains(&v.as_str()) {
                return Err(ApiError::bad_request(format!(
                    "group_by[] `{v}` is not supported on this endpoint"
                )));
            }
            let d = DIMENSIONS
                .iter()
                .find(|d| *d == v)
                .expect("allowed dimension");
            if !out.contains(d) {
                out.push(d);
            }
        }
    }
    // Key rows in a fixed dimension order, whatever order the request listed them in.
    out.sort_by_key(|d| DIMENSIONS.iter().position(|x| x == d));
    Ok(out)
}

/// Whether a request asks for a row per day: its bucket width parameter (`bucket_width`, or
/// the Usage and Cost Analytics API's `time_bucket_width`) is `1d`, or absent on an endpoint
/// that buckets by default (`bucketed`).
pub(crate) fn daily(
    params: &[(String, String)],
    name: &str,
    bucketed: bool,
) -> Result<bool, ApiError> {
    match param(params, name) {
        None => Ok(bucketed),
        Some("1d") => Ok(true),
        Some(other @ ("1h" | "1m")) => Err(ApiError::bad_request(format!(
            "{name} `{other}` is not served by this fake (use 1d)"
        ))),
        Some(other) => Err(ApiError::bad_request(format!(
            "{name} `{other}` must be one of 1d, 1h, 1m"
        ))),
    }
}

fn dim_fields(row: &mut Value, dims: &BTreeMap<&str, String>, fields: &[&str]) {
    for d in fields {
        row[*d] = dims.get(d).map_or(Value::Null, |v| {
            if v.is_empty() {
                Value::Null
            } else {
                Value::String(v.clone())
            }
        });
    }
}

/// Token counts of a group of facts, shaped as the API reports them.
#[derive(Default)]
pub(crate) struct Tokens(pub(crate) [i64; 5], pub(crate) i64);

impl Tokens {
    pub(crate) fn add(&mut self, f: &CostFact) {
        match f.cost_type.as_str() {
            "tokens" => {
                if let Some(i) = TOKEN_FIELDS.iter().position(|t| *t == f.token_type) {
                    self.0[i] += f.tokens;
                }
            }
            "web_search" => self.1 += f.tokens,
            _ => {}
        }
    }

    /// Every token counted (web searches aside).
    pub(crate) fn total(&self) -> i64 {
        self.0.iter().sum()
    }

    pub(crate) fn fill(&self, row: &mut Value) {
        let t = &self.0;
        row["uncached_input_tokens"] = json!(t[0]);
        row["output_tokens"] = json!(t[1]);
        row["cache_read_input_tokens"] = json!(t[2]);
        row["cache_creation"] = json!({
            "ephemeral_5m_input_tokens": t[3],
            "ephemeral_1h_input_tokens": t[4],
        });
        row["server_tool_use"] = json!({ "web_search_requests": self.1 });
    }
}

fn actor(user_id: &str, email: &str) -> Value {
    json!({
        "type": "user_actor",
        "user_id": user_id,
        "name": email.split('@').next().unwrap_or_default(),
        "email": email,
        "email_address": email,
        "deleted": false,
    })
}

pub(crate) fn envelope(state: &State, data: &[Value], next: Option<&str>) -> Value {
    json!({
        "data": data,
        "has_more": next.is_some(),
        "next_page": next,
        "data_refreshed_at": format!("{}T04:00:00Z", state.config.today),
        "organization_id": "org_fakeallot0000000000000",
    })
}

/// Per-user rows: units of (day, user, grouped non-fan-out dimensions), each holding one row
/// per fan-out combination.
pub(crate) fn per_user_units(
    state: &State,
    start: NaiveDate,
    end: NaiveDate,
    daily: bool,
    dims: &[&'static str],
    cost: bool,
) -> Vec<Vec<Value>> {
    type Key = (Option<NaiveDate>, String, Vec<String>);
    type Inner = BTreeMap<Vec<String>, (Nanos, Nanos, Tokens)>;
    let unit_dims: Vec<&str> = dims
        .iter()
        .copied()
        .filter(|d| !FAN_OUT.contains(d))
        .collect();
    let fan_dims: Vec<&str> = dims
        .iter()
        .copied()
        .filter(|d| FAN_OUT.contains(d))
        .collect();
    let today = state.config.today;
    let mut acc: BTreeMap<Key, (String, Inner)> = BTreeMap::new();
    for day in days(start, end) {
        for u in user_costs(&state.org, day, today, state.revision_on(day)) {
            let f = &u.fact;
            let key = (
                daily.then_some(day),
                u.user_id.clone(),
                unit_dims.iter().map(|d| dim(f, d)).collect(),
            );
            let fan: Vec<String> = fan_dims.iter().map(|d| dim(f, d)).collect();
            let e = acc
                .entry(key)
                .or_insert_with(|| (f.email.clone(), BTreeMap::new()));
            let v =
                e.1.entry(fan)
                    .or_insert((Nanos::ZERO, Nanos::ZERO, Tokens::default()));
            v.0 += Nanos(i128::from(f.cost_nanos));
            v.1 += Nanos(i128::from(f.list_cost_nanos.unwrap_or(f.cost_nanos)));
            v.2.add(f);
        }
    }
    acc.into_iter()
        .map(|((day, user_id, unit_values), (email, inner))| {
            inner
                .into_iter()
                .map(|(fan_values, (amount, list, tokens))| {
                    let mut values: BTreeMap<&str, String> =
                        unit_dims.iter().copied().zip(unit_values.clone()).collect();
                    values.extend(fan_dims.iter().copied().zip(fan_values));
                    let mut row = json!({
                        "actor": actor(&user_id, &email),
                        "starting_at": day.map(ts),
                        "ending_at": day.map(|d| ts(d + Duration::days(1))),
                    });
                    if cost {
                        row["amount"] = json!(cents(amount));
                        row["list_amount"] = json!(cents(list));
                        row["currency"] = json!("USD");
                        row["requests"] = Value::Null;
                        dim_fields(&mut row, &values, &DIMENSIONS);
                    } else {
                        tokens.fill(&mut row);
                        let total: i64 = tokens.0.iter().sum();
                        row["total_tokens"] = json!(total);
                        row["requests"] = Value::Null;
                        dim_fields(&mut row, &values, &DIMENSIONS[..5]);
                    }
                    row
                })
                .collect()
        })
        .collect()
}

/// Organisation-wide buckets: one per day, results per combination of grouped dimensions.
fn bucket_units(
    state: &State,
    start: NaiveDate,
    end: NaiveDate,
    dims: &[&'static str],
    cost: bool,
) -> Vec<Vec<Value>> {
    let today = state.config.today;
    days(start, end)
        .map(|day| {
            let mut groups: BTreeMap<Vec<String>, (Nanos, Nanos, Tokens)> = BTreeMap::new();
            for f in org_costs(&state.org, day, today, state.revision_on(day)) {
                let key: Vec<String> = dims.iter().map(|d| dim(&f, d)).collect();
                let v = groups
                    .entry(key)
                    .or_insert((Nanos::ZERO, Nanos::ZERO, Tokens::default()));
                v.0 += Nanos(i128::from(f.cost_nanos));
                v.1 += Nanos(i128::from(f.list_cost_nanos.unwrap_or(f.cost_nanos)));
                v.2.add(&f);
            }
            // "Each bucket reports at most its top 100 groups; there is no remainder row."
            let results: Vec<Value> = groups
                .into_iter()
                .take(100)
                .map(|(values, (amount, list, tokens))| {
                    let values: BTreeMap<&str, String> = dims.iter().copied().zip(values).collect();
                    let mut row = json!({});
                    if cost {
                        row["amount"] = json!(cents(amount));
                        row["list_amount"] = json!(cents(list));
                        row["currency"] = json!("USD");
                        row["requests"] = Value::Null;
                        dim_fields(&mut row, &values, &DIMENSIONS);
                    } else {
                        tokens.fill(&mut row);
                        row["requests"] = Value::Null;
                        dim_fields(&mut row, &values, &DIMENSIONS[..5]);
                    }
                    row
                })
                .collect();
            vec![json!({
                "starting_at": ts(day),
                "ending_at": ts(day + Duration::days(1)),
                "results": results,
            })]
        })
        .collect()
}

fn per_user(
    state: &State,
    headers: &HeaderMap,
    params: &[(String, String)],
    path: &'static str,
    cost: bool,
) -> Result<Response, ApiError> {
    let n = state.admit(headers, Family::Cost)?;
    let (start, end) = window(params, state.config.today)?;
    let daily = daily(params, "bucket_width", false)?;
    let allowed: &[&str] = if cost { &DIMENSIONS } else { &DIMENSIONS[..5] };
    if !cost
        && params
            .iter()
            .any(|(k, v)| k == "group_by[]" && v == "token_type")
    {
        return Err(ApiError::bad_request(
            "group_by[] token_type is rejected on usage reports",
        ));
    }
    let dims = group_by(params, allowed)?;
    let p = page(state, path, params, 20, 1000)?;
    let (rows, next) = page_of(state, path, p, (start, end), daily, |from, to, daily| {
        per_user_units(state, from, to, daily, &dims, cost)
    });
    Ok(state.respond(n, &envelope(state, &rows, next.as_deref())))
}

fn over_time(
    state: &State,
    headers: &HeaderMap,
    params: &[(String, String)],
    path: &'static str,
    cost: bool,
) -> Result<Response, ApiError> {
    let n = state.admit(headers, Family::Cost)?;
    let (start, end) = window(params, state.config.today)?;
    daily(params, "bucket_width", true)?;
    let allowed: &[&str] = if cost { &DIMENSIONS } else { &DIMENSIONS[..5] };
    let dims = group_by(params, allowed)?;
    let p = page(state, path, params, 7, 31)?;
    let units = state.units(&format!("{path}|{}", p.hash), || {
        bucket_units(state, start, end, &dims, cost)
    });
    let (rows, next) = slice(&units, p);
    Ok(state.respond(n, &envelope(state, &rows, next.as_deref())))
}

/// `GET /v1/organizations/analytics/user_cost_report`.
pub async fn user_cost_report(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    per_user(&state, &headers, &params, "user_cost_report", true)
}

/// `GET /v1/organizations/analytics/user_usage_report`.
pub async fn user_usage_report(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    per_user(&state, &headers, &params, "user_usage_report", false)
}

/// `GET /v1/organizations/analytics/cost_report`.
pub async fn cost_report(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    over_time(&state, &headers, &params, "cost_report", true)
}

/// `GET /v1/organizations/analytics/usage_report`.
pub async fn usage_report(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    over_time(&state, &headers, &params, "usage_report", false)
}
