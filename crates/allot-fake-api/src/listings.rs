//! The Admin API's listings of API keys, workspaces and users, as documented: an Admin key,
//! `limit` 1 to 1000 (default 20), ID-cursor paging with `after_id`, and
//! `{data, has_more, first_id, last_id}`. The names come from the organisation the fake
//! serves; `Config::key_names` renames keys (a later fake day with a renamed key, or two keys
//! carrying one name).

use std::sync::Arc;

use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::{json, Value};

use crate::paging::param;
use crate::{ApiError, Family, State};

/// The organisation's API keys: (id, name, workspace).
fn keys(state: &State) -> Vec<Value> {
    use allot_synth::actors::{
        AUTOMATION, ENGINEERING, ETL_KEY, EVALS_KEY, SANDBOX_KEY, SHARED_KEY,
    };
    let mut keys = vec![
        (EVALS_KEY, Some(AUTOMATION.0)),
        (ETL_KEY, Some(AUTOMATION.0)),
        (SANDBOX_KEY, None),
        (SHARED_KEY, Some(ENGINEERING.0)),
    ];
    keys.sort_by_key(|((id, _), _)| *id);
    keys.into_iter()
        .map(|((id, name), workspace)| {
            let name = state
                .config
                .key_names
                .iter()
                .rev()
                .find(|(k, _)| k == id)
                .map_or(name, |(_, n)| n.as_str());
            json!({
                "type": "api_key",
                "id": id,
                "name": name,
                "status": "active",
                "workspace_id": workspace,
                "created_at": "2026-01-05T09:00:00Z",
                "created_by": { "id": "user_01Admin7Gx", "type": "user" },
                "expires_at": null,
                "partial_key_hint": format!("sk-ant-api03-{}...{}", &id[7..10], &id[id.len() - 4..]),
            })
        })
        .collect()
}

fn workspaces() -> Vec<Value> {
    use allot_synth::actors::{AUTOMATION, ENGINEERING};
    let mut all = vec![AUTOMATION, ENGINEERING];
    all.sort_unstable();
    all.into_iter()
        .map(|(id, name)| {
            json!({
                "type": "workspace",
                "id": id,
                "name": name,
                "display_color": "#6C5BB9",
                "created_at": "2026-01-05T09:00:00Z",
                "archived_at": null,
            })
        })
        .collect()
}

fn users(state: &State) -> Vec<Value> {
    let mut people: Vec<&allot_synth::Person> = state.org.people.iter().collect();
    people.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    people
        .into_iter()
        .map(|p| {
            json!({
                "type": "user",
                "id": p.user_id,
                "email": p.email,
                "name": display_name(&p.email),
                "role": "user",
                "added_at": "2026-01-05T09:00:00Z",
            })
        })
        .collect()
}

/// `ada.abara@example.com` -> `Ada Abara`.
fn display_name(email: &str) -> String {
    email
        .split('@')
        .next()
        .unwrap_or(email)
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|f| f.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One page of `all` (sorted by id) after `after_id`.
fn page(all: &[Value], params: &[(String, String)]) -> Result<Value, ApiError> {
    let limit = match param(params, "limit") {
        None => 20,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| ApiError::bad_request(format!("limit `{l}` must be 1 to 1000")))?,
    };
    let start = match param(params, "after_id") {
        None => 0,
        Some(after) => {
            all.iter().position(|v| v["id"] == after).ok_or_else(|| {
                ApiError::bad_request(format!("after_id `{after}` is not an id of this list"))
            })? + 1
        }
    };
    let data: Vec<Value> = all.iter().skip(start).take(limit).cloned().collect();
    let has_more = start + data.len() < all.len();
    Ok(json!({
        "data": data,
        "has_more": has_more,
        "first_id": data.first().map(|v| v["id"].clone()),
        "last_id": data.last().map(|v| v["id"].clone()),
    }))
}

/// Admits an Admin-key request and answers the page of `all` it asks for.
fn answer(
    state: &State,
    headers: &HeaderMap,
    params: &[(String, String)],
    all: &[Value],
) -> Result<Response, ApiError> {
    let n = state.admit(headers, Family::Listing)?;
    Ok(state.respond(n, &page(all, params)?))
}

/// `GET /v1/organizations/api_keys` (Admin key).
pub async fn api_keys(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    answer(&state, &headers, &params, &keys(&state))
}

/// `GET /v1/organizations/workspaces` (Admin key).
pub async fn workspaces_list(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    answer(&state, &headers, &params, &workspaces())
}

/// `GET /v1/organizations/users` (Admin key).
pub async fn users_list(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    answer(&state, &headers, &params, &users(&state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_after_id_to_the_end() {
        let all: Vec<Value> = (0..5).map(|i| json!({ "id": format!("k{i}") })).collect();
        let p = |q: &[(&str, &str)]| {
            let q: Vec<(String, String)> =
                q.iter().map(|(a, b)| ((*a).into(), (*b).into())).collect();
            page(&all, &q)
        };
        let first = p(&[("limit", "2")]).unwrap();
        assert_eq!(first["last_id"], "k1");
        assert_eq!(first["has_more"], true);
        let last = p(&[("limit", "2"), ("after_id", "k3")]).unwrap();
        assert_eq!(last["data"].as_array().unwrap().len(), 1);
        assert_eq!(last["has_more"], false);
        assert!(p(&[("limit", "1001")]).is_err());
        assert!(p(&[("after_id", "nope")]).is_err());
        assert_eq!(display_name("ada.abara@example.com"), "Ada Abara");
    }
}
