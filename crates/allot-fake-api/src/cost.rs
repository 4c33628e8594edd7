//! `GET /v1/organizations/analytics/user_cost_report`: per-user cost, optionally per day
//! (`bucket_width=1d`) and per `group_by[]` dimension, amounts as decimal strings in cents.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use allot_core::Nanos;
use allot_synth::{costs_for, Intensity, Org};
use axum::extract::{Query, State as AxState};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use chrono::{Duration, NaiveDate};
use serde_json::{json, Value};

use crate::limits::check_window;
use crate::{ApiError, State};

/// Dimensions `group_by[]` accepts on the per-user cost endpoint.
const DIMENSIONS: [&str; 7] = [
    "product",
    "model",
    "context_window",
    "cost_type",
    "token_type",
    "inference_geo",
    "speed",
];
/// The largest page.
const MAX_LIMIT: usize = 1000;
/// The page size when none is asked.
const DEFAULT_LIMIT: usize = 20;

/// One row of ground truth: a user's cost on a day (or over the window) for one combination of
/// the grouped dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostRow {
    /// The day, when bucketed by day.
    pub day: Option<NaiveDate>,
    /// The user's id.
    pub user_id: String,
    /// The user's email as the API spells it.
    pub email: String,
    /// Values of the grouped dimensions (absent ones are null).
    pub dims: BTreeMap<&'static str, String>,
    /// Net cost.
    pub cost: Nanos,
    /// List cost.
    pub list_cost: Nanos,
}

/// (day when bucketed, user id, values of the grouped dimensions)
type RowKey = (Option<NaiveDate>, String, Vec<String>);

/// What the fake's organisation spent in `[start, end)`, per user (and day when `daily`) and
/// per combination of `group_by` dimensions, in the order the endpoint pages through it.
pub fn ground_truth(
    org: &Org,
    start: NaiveDate,
    end: NaiveDate,
    daily: bool,
    group_by: &[&'static str],
) -> Vec<CostRow> {
    let mut acc: BTreeMap<RowKey, (String, Nanos, Nanos)> = BTreeMap::new();
    let mut day = start;
    while day < end {
        for p in &org.people {
            for f in costs_for(org, p, day, Intensity::Realistic) {
                let value = |d: &str| -> String {
                    match d {
                        "product" => f.product.clone(),
                        "model" => f.model.clone(),
                        "context_window" => f.context_window.clone(),
                        "cost_type" => f.cost_type.clone(),
                        "token_type" => f.token_type.clone(),
                        "inference_geo" => "global".into(),
                        _ => "standard".into(),
                    }
                };
                let key = (
                    daily.then_some(day),
                    p.user_id.clone(),
                    group_by.iter().map(|d| value(d)).collect::<Vec<_>>(),
                );
                let e = acc
                    .entry(key)
                    .or_insert((p.usage_email.clone(), Nanos::ZERO, Nanos::ZERO));
                e.1 += Nanos(i128::from(f.cost_nanos));
                e.2 += Nanos(i128::from(f.list_cost_nanos.unwrap_or(f.cost_nanos)));
            }
        }
        day = day.succ_opt().expect("valid date");
    }
    acc.into_iter()
        .map(
            |((day, user_id, values), (email, cost, list_cost))| CostRow {
                day,
                user_id,
                email,
                dims: group_by.iter().copied().zip(values).collect(),
                cost,
                list_cost,
            },
        )
        .collect()
}

/// Cents with six decimals, as the API writes amounts (`"41280.000000"` is $412.80).
fn cents(n: Nanos) -> String {
    // A nano-dollar is a ten-millionth of a cent: six decimals are exact when the amount is a
    // multiple of ten nano-dollars (always, for the synthetic prices); otherwise show seven.
    if n.0 % 10 == 0 {
        rust_decimal::Decimal::from_i128_with_scale(n.0 / 10, 6).to_string()
    } else {
        rust_decimal::Decimal::from_i128_with_scale(n.0, 7).to_string()
    }
}

fn ts(d: NaiveDate) -> String {
    format!("{d}T00:00:00Z")
}

fn parse_ts(name: &str, v: &str) -> Result<NaiveDate, ApiError> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| t.date_naive())
        .map_err(|_| ApiError::bad_request(format!("{name} `{v}` is not an RFC 3339 timestamp")))
}

/// A stable hash of the query without its cursor and page size: cursors are bound to it.
fn query_hash(params: &[(String, String)]) -> u64 {
    let mut v: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "page" && k != "limit")
        .collect();
    v.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, val) in v {
        for b in k.bytes().chain([b'=']).chain(val.bytes()).chain([b'&']) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The handler.
pub async fn user_cost_report(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, ApiError> {
    let n = state.next_request();
    if let Err(wait) = state.limiter.lock().expect("limiter").take() {
        let mut e = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "Rate limit exceeded. Too many requests.",
        );
        e.retry_after = Some(wait);
        return Err(e);
    }
    if headers.get("x-api-key").and_then(|v| v.to_str().ok())
        != Some(state.config.analytics_key.as_str())
    {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication_error",
            "Missing or invalid API key.",
        ));
    }
    if let Some((every, code)) = state.config.faults.error_every {
        if every > 0 && n % every == 0 {
            return Err(ApiError::status(code));
        }
    }
    let get = |k: &str| params.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str());
    let start = parse_ts(
        "starting_at",
        get("starting_at").ok_or_else(|| ApiError::bad_request("starting_at is required"))?,
    )?;
    let today = state.config.today;
    let end = match get("ending_at") {
        Some(e) => parse_ts("ending_at", e)?,
        None => (start + Duration::days(31)).min(today),
    };
    check_window(start, end, today).map_err(ApiError::bad_request)?;
    let daily = match get("bucket_width") {
        None => false,
        Some("1d") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "bucket_width `{other}` is not served by this fake (use 1d)"
            )))
        }
    };
    let mut group_by: Vec<&'static str> = Vec::new();
    for (k, v) in &params {
        if k == "group_by[]" {
            let d = DIMENSIONS.iter().find(|d| *d == v).ok_or_else(|| {
                ApiError::bad_request(format!("group_by[] `{v}` is not supported"))
            })?;
            group_by.push(d);
        }
    }
    let limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| {
                ApiError::bad_request(format!("limit `{l}` must be 1 to {MAX_LIMIT}"))
            })?,
    };
    let hash = query_hash(&params);
    let offset = match get("page") {
        None => 0,
        Some(page) => {
            let c = state.cursor_requests.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(every) = state.config.faults.expire_cursor_every {
                if every > 0 && c % every == 0 {
                    return Err(ApiError::new(StatusCode::GONE, "invalid_request_error", "The page cursor is no longer valid. Restart pagination from the first page."));
                }
            }
            let (h, off) = page
                .strip_prefix("page_")
                .and_then(|p| p.split_once('_'))
                .and_then(|(h, o)| {
                    Some((u64::from_str_radix(h, 16).ok()?, o.parse::<usize>().ok()?))
                })
                .ok_or_else(|| {
                    ApiError::bad_request(format!("page `{page}` is not a cursor this API issued"))
                })?;
            if h != hash {
                return Err(ApiError::bad_request(
                    "the page cursor does not match the current query parameters",
                ));
            }
            off
        }
    };
    let rows = ground_truth(&state.org, start, end, daily, &group_by);
    let page: Vec<Value> = rows
        .iter()
        .skip(offset)
        .take(limit)
        .map(|r| {
            let mut row = json!({
                "actor": {
                    "type": "user_actor",
                    "user_id": r.user_id,
                    "name": r.email.split('@').next().unwrap_or_default(),
                    "email": r.email,
                    "email_address": r.email,
                    "deleted": false,
                },
                "amount": cents(r.cost),
                "list_amount": cents(r.list_cost),
                "currency": "USD",
                "requests": Value::Null,
                "starting_at": r.day.map(ts),
                "ending_at": r.day.map(|d| ts(d + Duration::days(1))),
            });
            for d in DIMENSIONS {
                row[d] = r.dims.get(d).map_or(Value::Null, |v| {
                    if v.is_empty() {
                        Value::Null
                    } else {
                        Value::String(v.clone())
                    }
                });
            }
            row
        })
        .collect();
    let next = offset + page.len();
    let has_more = next < rows.len();
    Ok(Json(json!({
        "data": page,
        "has_more": has_more,
        "next_page": if has_more { Value::String(format!("page_{hash:016x}_{next}")) } else { Value::Null },
        "data_refreshed_at": format!("{today}T04:00:00Z"),
        "organization_id": "org_fakeallot0000000000000",
    })))
}
