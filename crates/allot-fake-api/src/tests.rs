//! The fake against its own ground truth and the documented limits, through the router (no
//! sockets).

use std::str::FromStr;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use rust_decimal::Decimal;
use serde_json::Value;
use tower::ServiceExt;

use crate::truth::{days, user_costs};
use crate::{router, Config, Faults, State};

const KEY: &str = "sk-ant-fake-analytics";
const PATH: &str = "/v1/organizations/analytics/user_cost_report";

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

async fn get(
    state: &std::sync::Arc<State>,
    query: &str,
    key: &str,
) -> (StatusCode, Value, Option<String>) {
    let req = Request::get(format!("{PATH}?{query}"))
        .header("x-api-key", key)
        .body(Body::empty())
        .unwrap();
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let retry = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap(), retry)
}

const WEEK: &str = "starting_at=2026-09-01T00:00:00Z&ending_at=2026-09-08T00:00:00Z&bucket_width=1d&group_by[]=product&group_by[]=model";

#[tokio::test]
async fn paging_through_a_week_gives_back_the_ground_truth_to_the_cent() {
    let state = State::new(Config {
        rate_per_minute: 10_000,
        ..Config::new(today(), KEY)
    });
    let mut page: Option<String> = None;
    let mut total = Decimal::ZERO;
    let mut rows = 0;
    loop {
        let q = match &page {
            Some(p) => format!("{WEEK}&limit=500&page={p}"),
            None => format!("{WEEK}&limit=500"),
        };
        let (status, body, _) = get(&state, &q, KEY).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        for r in body["data"].as_array().unwrap() {
            total += Decimal::from_str(r["amount"].as_str().unwrap()).unwrap();
            assert_eq!(r["currency"], "USD");
            assert!(
                r["context_window"].is_null(),
                "ungrouped dimensions are null"
            );
            rows += 1;
        }
        match body["next_page"].as_str() {
            Some(p) => page = Some(p.to_string()),
            None => {
                assert_eq!(body["has_more"], false);
                break;
            }
        }
    }
    let start = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let exact: allot_core::Nanos = days(start, start + chrono::Duration::days(7))
        .flat_map(|d| user_costs(&state.org, d, today(), 0))
        .map(|u| allot_core::Nanos(i128::from(u.fact.cost_nanos)))
        .sum();
    assert!(rows > 500, "more than one page");
    // Amounts are cents: dollars are cents / 100.
    assert_eq!(total / Decimal::ONE_HUNDRED, exact.to_decimal());
}

#[tokio::test]
async fn the_documented_limits_are_enforced() {
    let state = State::new(Config {
        rate_per_minute: 10_000,
        ..Config::new(today(), KEY)
    });
    assert_eq!(get(&state, WEEK, "wrong").await.0, StatusCode::UNAUTHORIZED);
    let long = "starting_at=2026-09-01T00:00:00Z&ending_at=2026-10-03T00:00:00Z";
    let (s, body, _) = get(&state, long, KEY).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("longer than 31 days"));
    assert_eq!(
        get(&state, "starting_at=2025-12-20T00:00:00Z", KEY).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&state, "starting_at=2026-11-23T00:00:00Z", KEY).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&state, &format!("{WEEK}&limit=1001"), KEY).await.0,
        StatusCode::BAD_REQUEST
    );
    // A cursor is bound to its query.
    let (_, body, _) = get(&state, &format!("{WEEK}&limit=10"), KEY).await;
    let cursor = body["next_page"].as_str().unwrap().to_string();
    let other = "starting_at=2026-09-01T00:00:00Z&ending_at=2026-09-08T00:00:00Z&bucket_width=1d&group_by[]=product";
    let (s, body, _) = get(&state, &format!("{other}&limit=10&page={cursor}"), KEY).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["type"], "error");
}

#[tokio::test]
async fn too_many_requests_get_429_with_retry_after() {
    let state = State::new(Config {
        rate_per_minute: 3,
        ..Config::new(today(), KEY)
    });
    for _ in 0..3 {
        assert_eq!(get(&state, WEEK, KEY).await.0, StatusCode::OK);
    }
    let (s, body, retry) = get(&state, WEEK, KEY).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
}

#[tokio::test]
async fn injected_faults_answer_as_told() {
    let faults = Faults {
        error_every: Some((2, 500)),
        expire_cursor_every: Some(1),
        ..Faults::default()
    };
    let state = State::new(Config {
        rate_per_minute: 10_000,
        faults,
        ..Config::new(today(), KEY)
    });
    let (s, body, _) = get(&state, &format!("{WEEK}&limit=10"), KEY).await;
    assert_eq!(s, StatusCode::OK);
    let cursor = body["next_page"].as_str().unwrap().to_string();
    assert_eq!(
        get(&state, WEEK, KEY).await.0,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    let (s, _, _) = get(&state, &format!("{WEEK}&limit=10&page={cursor}"), KEY).await;
    assert_eq!(s, StatusCode::GONE, "an expired cursor restarts pagination");
}

/// Every page of `path?query` at `limit`, the rows in order.
async fn all_pages(
    state: &std::sync::Arc<State>,
    path: &str,
    query: &str,
    limit: usize,
) -> Vec<Value> {
    let mut rows = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let q = match &page {
            Some(p) => format!("{query}&limit={limit}&page={p}"),
            None => format!("{query}&limit={limit}"),
        };
        let req = Request::get(format!("{path}?{q}"))
            .header("x-api-key", KEY)
            .header("anthropic-beta", crate::usage_cost::BETA)
            .body(Body::empty())
            .unwrap();
        let resp = router(state.clone()).oneshot(req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let data = body["data"].as_array().unwrap();
        assert!(!data.is_empty(), "a cursor led to an empty page");
        rows.extend(data.iter().cloned());
        match body["next_page"].as_str() {
            Some(p) => page = Some(p.to_string()),
            None => return rows,
        }
    }
}

/// A daily query is made a day at a time (so a month of a large organisation is never held
/// whole), yet its pages are the rows of the whole window made at once, in the same order,
/// whatever the page size, pages crossing days included.
#[tokio::test]
async fn a_query_made_a_day_at_a_time_pages_as_the_whole_window() {
    let state = State::new(Config {
        rate_per_minute: 100_000,
        ..Config::new(today(), KEY)
    });
    let start = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let end = start + chrono::Duration::days(7);
    let flat = |units: Vec<Vec<Value>>| units.into_iter().flatten().collect::<Vec<Value>>();
    let per_user = flat(crate::cost::per_user_units(
        &state,
        start,
        end,
        true,
        &["product", "model"],
        true,
    ));
    let by_actor = flat(crate::usage_cost::rows(
        &state,
        start,
        end,
        true,
        &["actor", "model"],
        true,
    ));
    let actor_query = "starting_at=2026-09-01T00:00:00Z&ending_at=2026-09-08T00:00:00Z&time_bucket_width=1d&group_by[]=actor&group_by[]=model";
    for limit in [1, 37, 1000] {
        assert_eq!(
            all_pages(&state, PATH, WEEK, limit).await,
            per_user,
            "limit {limit}"
        );
        assert_eq!(
            all_pages(
                &state,
                "/v1/organizations/analytics/cost",
                actor_query,
                limit
            )
            .await,
            by_actor,
            "limit {limit}"
        );
    }
    // Made a day at a time: every cached daily answer is one day's (its key ends with the
    // day), none the week's.
    let cache = state.cache.lock().unwrap();
    assert!(cache.bytes <= crate::CACHE_BYTES);
    let days: Vec<String> = days(start, end).map(|d| d.to_string()).collect();
    for key in cache.units.keys() {
        let without_revision = key.rsplit_once('|').map_or(key.as_str(), |(k, _)| k);
        assert!(
            days.iter().any(|d| without_revision.ends_with(d.as_str())),
            "{key} is not one day's answer"
        );
    }
    assert_eq!(cache.units.len(), 2 * days.len());
}
