//! The engagement endpoints (`users`, `summaries`, `apps/chat/projects`, `skills`,
//! `connectors`: per-day snapshots, `{data, next_page}` without `has_more`, 404 on a bad key)
//! and the Admin API's Claude Code report (`usage_report/claude_code`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use allot_core::Nanos;
use allot_synth::rng::Rng;
use axum::extract::{Query, State as AxState};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::{json, Value};

use crate::limits::check_engagement_day;
use crate::paging::{page, param, slice};
use crate::truth::{activity, days, user_costs};
use crate::{ApiError, Family, State};

fn parse_day(name: &str, v: Option<&str>) -> Result<NaiveDate, ApiError> {
    let v = v.ok_or_else(|| ApiError::bad_request(format!("{name} is required")))?;
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request(format!("{name} `{v}` is not a YYYY-MM-DD date")))
}

fn the_day(state: &State, params: &[(String, String)]) -> Result<NaiveDate, ApiError> {
    if param(params, "starting_date").is_some() {
        return Err(ApiError::bad_request(
            "starting_date/ending_date roll-ups are not served by this fake; ask for one `date`",
        ));
    }
    let day = parse_day("date", param(params, "date"))?;
    check_engagement_day(day, state.config.today, state.config.engagement_lag_days)
        .map_err(ApiError::bad_request)?;
    Ok(day)
}

fn seed(state: &State, parts: &[u64]) -> Rng {
    let mut all = vec![state.org.seed, 77];
    all.extend_from_slice(parts);
    Rng::new(&all)
}

fn day_no(d: NaiveDate) -> u64 {
    u64::try_from(d.num_days_from_ce()).unwrap_or(0)
}

fn zeros(names: &[&str]) -> Value {
    Value::Object(names.iter().map(|n| ((*n).to_string(), json!(0))).collect())
}

/// A metric block with its first counters set (sessions, messages, actions...) and the rest
/// zero, as the API sends every block in full.
fn counts(names: &[&str], values: &[u64]) -> Value {
    Value::Object(
        names
            .iter()
            .enumerate()
            .map(|(i, n)| ((*n).to_string(), json!(values.get(i).copied().unwrap_or(0))))
            .collect(),
    )
}

fn tool(accepted: u64, rejected: u64) -> Value {
    json!({ "accepted_count": accepted, "rejected_count": rejected })
}

/// User id -> (email, products with cost).
type Active = BTreeMap<String, (String, BTreeSet<String>)>;

/// The people active on `day` (any cost), with their products.
fn active(state: &State, day: NaiveDate) -> Active {
    let mut out: BTreeMap<String, (String, BTreeSet<String>)> = BTreeMap::new();
    for u in user_costs(&state.org, day, state.config.today, 0) {
        out.entry(u.user_id)
            .or_insert_with(|| (u.fact.email.clone(), BTreeSet::new()))
            .1
            .insert(u.fact.product);
    }
    out
}

/// `GET /v1/organizations/analytics/users?date=D`: one row per active user.
pub async fn users(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let n = state.admit(&headers, Family::Engagement)?;
    let day = the_day(&state, &params)?;
    let p = page(&state, "users", &params, 20, 1000)?;
    let units = state.units(&format!("users|{}", p.hash), || {
        let code: BTreeMap<String, allot_core::facts::ActivityFact> =
            activity(&state.org, day).into_iter().collect();
        active(&state, day)
            .into_iter()
            .map(|(user_id, (email, products))| {
                let who = user_id
                    .bytes()
                    .fold(0u64, |h, b| h.wrapping_mul(0x0100_0000_01b3) ^ u64::from(b));
                let mut r = seed(&state, &[day_no(day), who]);
                let chatting = products.contains("chat");
                let messages = if chatting { r.range(3, 60) } else { 0 };
                let a = code.get(&user_id);
                let c = |f: fn(&allot_core::facts::ActivityFact) -> i64| a.map_or(0, f);
                let edits = c(|a| a.commits) as u64 * 4;
                // Cowork use shows where there is Cowork cost; some chatters also work with
                // Claude in Excel and Word (activity with no cost line of its own).
                let cowork: Vec<u64> = if products.contains("cowork") {
                    let sessions = r.range(1, 4);
                    vec![
                        sessions,
                        sessions * r.range(3, 12),
                        sessions * r.range(1, 6),
                    ]
                } else {
                    Vec::new()
                };
                let office: [Vec<u64>; 2] = if chatting && who % 5 == 1 {
                    let s = r.range(1, 3);
                    [
                        vec![s, s * r.range(2, 9)],
                        if who % 2 == 0 {
                            vec![1, r.range(1, 5)]
                        } else {
                            Vec::new()
                        },
                    ]
                } else {
                    [Vec::new(), Vec::new()]
                };
                vec![json!({
                    "user": { "id": user_id, "email_address": email, "type": "user" },
                    "chat_metrics": {
                        "distinct_conversation_count": messages / 6 + u64::from(chatting),
                        "message_count": messages,
                        "distinct_projects_created_count": 0,
                        "distinct_projects_used_count": u64::from(chatting && r.chance(300)),
                        "distinct_files_uploaded_count": 0,
                        "distinct_artifacts_created_count": 0,
                        "distinct_shared_artifacts_viewed_count": 0,
                        "thinking_message_count": messages / 5,
                        "distinct_skills_used_count": 0,
                        "connectors_used_count": 0,
                        "shared_conversations_viewed_count": 0,
                        "distinct_connectors_used_count": 0,
                    },
                    "claude_code_metrics": {
                        "core_metrics": {
                            "commit_count": c(|a| a.commits),
                            "pull_request_count": c(|a| a.pull_requests),
                            "lines_of_code": {
                                "added_count": c(|a| a.lines_added),
                                "removed_count": c(|a| a.lines_removed),
                            },
                            "distinct_session_count": c(|a| a.sessions),
                        },
                        "tool_actions": {
                            "edit_tool": tool(edits, edits / 8),
                            "multi_edit_tool": tool(edits / 4, 0),
                            "write_tool": tool(edits / 3, edits / 20),
                            "notebook_edit_tool": tool(0, 0),
                        },
                    },
                    "office_metrics": {
                        "excel": counts(&OFFICE, &office[0]), "powerpoint": zeros(&OFFICE),
                        "word": counts(&OFFICE, &office[1]), "outlook": zeros(&OFFICE),
                    },
                    "cowork_metrics": counts(&COWORK, &cowork),
                    "web_search_count": if chatting { messages / 10 } else { 0 },
                })]
            })
            .collect()
    });
    let (rows, next) = slice(&units, p);
    Ok(state.respond(n, &json!({ "data": rows, "next_page": next })))
}

const OFFICE: [&str; 6] = [
    "distinct_session_count",
    "message_count",
    "skills_used_count",
    "distinct_skills_used_count",
    "connectors_used_count",
    "distinct_connectors_used_count",
];
const COWORK: [&str; 8] = [
    "distinct_session_count",
    "message_count",
    "action_count",
    "dispatch_turn_count",
    "skills_used_count",
    "distinct_skills_used_count",
    "connectors_used_count",
    "distinct_connectors_used_count",
];

/// `GET /v1/organizations/analytics/summaries?starting_date=&ending_date=`: one entry per day,
/// under `summaries`, no pagination.
pub async fn summaries(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let n = state.admit(&headers, Family::Engagement)?;
    let today = state.config.today;
    let start = parse_day("starting_date", param(&params, "starting_date"))?;
    let latest = today - Duration::days(state.config.engagement_lag_days);
    let end = match param(&params, "ending_date") {
        Some(_) => parse_day("ending_date", param(&params, "ending_date"))?,
        None => (start + Duration::days(31)).min(latest + Duration::days(1)),
    };
    check_engagement_day(start, today, state.config.engagement_lag_days)
        .map_err(ApiError::bad_request)?;
    if end <= start {
        return Err(ApiError::bad_request(
            "ending_date must be after starting_date",
        ));
    }
    if end - start > Duration::days(31) {
        return Err(ApiError::bad_request(format!(
            "the window {start}..{end} is longer than 31 days"
        )));
    }
    check_engagement_day(
        end - Duration::days(1),
        today,
        state.config.engagement_lag_days,
    )
    .map_err(ApiError::bad_request)?;
    // Everyone with a seat: people who use Claude and people the org chart lists who never do.
    let seats = state
        .org
        .people
        .iter()
        .map(|p| p.email.to_lowercase())
        .chain(state.org.mapping.iter().map(|r| r.email.to_lowercase()))
        .collect::<BTreeSet<_>>()
        .len();
    let from = start - Duration::days(29);
    let actives: Vec<(NaiveDate, Active)> =
        days(from, end).map(|d| (d, active(&state, d))).collect();
    let counter = |day: NaiveDate, span: i64, product: Option<&str>| -> usize {
        let lo = day - Duration::days(span - 1);
        actives
            .iter()
            .filter(|(d, _)| *d >= lo && *d <= day)
            .flat_map(|(_, s)| s.iter())
            .filter(|(_, (_, products))| product.is_none_or(|p| products.contains(p)))
            .map(|(id, _)| id)
            .collect::<BTreeSet<_>>()
            .len()
    };
    let count = |day: NaiveDate, span: i64| counter(day, span, None);
    let cowork = |day: NaiveDate, span: i64| counter(day, span, Some("cowork"));
    let pct = |k: usize| ((k as f64 / seats as f64) * 10_000.0).round() / 100.0;
    let rows: Vec<Value> = days(start, end)
        .map(|day| {
            let (d, w, m) = (count(day, 1), count(day, 7), count(day, 30));
            json!({
                "starting_at": format!("{day}T00:00:00Z"),
                "ending_at": format!("{}T00:00:00Z", day + Duration::days(1)),
                "daily_active_user_count": d,
                "weekly_active_user_count": w,
                "monthly_active_user_count": m,
                "assigned_seat_count": seats,
                "pending_invite_count": 3,
                "daily_adoption_rate": pct(d),
                "weekly_adoption_rate": pct(w),
                "monthly_adoption_rate": pct(m),
                "cowork_daily_active_user_count": cowork(day, 1),
                "cowork_weekly_active_user_count": cowork(day, 7),
                "cowork_monthly_active_user_count": cowork(day, 30),
            })
        })
        .collect();
    Ok(state.respond(n, &json!({ "summaries": rows })))
}

const PROJECTS: [&str; 6] = [
    "Quarterly planning",
    "Support playbooks",
    "Contract review",
    "Onboarding guide",
    "Incident retros",
    "Pricing research",
];
const SKILLS: [&str; 5] = ["docx", "xlsx", "pdf", "pptx", "brand-guidelines"];
const CONNECTORS: [&str; 5] = ["atlassian", "github", "google_drive", "slack", "linear"];

/// One synthetic row per name on `day`, paginated as the engagement endpoints are.
fn catalogue(
    state: &State,
    headers: &HeaderMap,
    params: &[(String, String)],
    path: &'static str,
    names: &'static [&'static str],
    row: fn(&State, NaiveDate, usize, &str) -> Value,
) -> Result<Response, ApiError> {
    let n = state.admit(headers, Family::Engagement)?;
    let day = the_day(state, params)?;
    let p = page(state, path, params, 100, 1000)?;
    let units = state.units(&format!("{path}|{}", p.hash), || {
        names
            .iter()
            .enumerate()
            .map(|(i, name)| vec![row(state, day, i, name)])
            .collect()
    });
    let (rows, next) = slice(&units, p);
    Ok(state.respond(n, &json!({ "data": rows, "next_page": next })))
}

fn project_row(state: &State, day: NaiveDate, i: usize, name: &str) -> Value {
    let mut r = seed(state, &[day_no(day), 1, i as u64]);
    let owner = &state.org.people[i % state.org.people.len()];
    let users = r.range(0, 12);
    json!({
        "project_name": name,
        "project_id": format!("claude_proj_fake{i:04}"),
        "distinct_user_count": users,
        "distinct_conversation_count": users * r.range(1, 3),
        "message_count": users * r.range(4, 20),
        "created_at": "2026-01-05T09:00:00Z",
        "created_by": { "id": owner.user_id, "email_address": owner.usage_email },
    })
}

fn skill_row(state: &State, day: NaiveDate, i: usize, name: &str) -> Value {
    let mut r = seed(state, &[day_no(day), 2, i as u64]);
    let users = r.range(0, 30);
    json!({
        "skill_name": name,
        "distinct_user_count": users,
        "chat_metrics": { "distinct_conversation_skill_used_count": users * 2 },
        "claude_code_metrics": { "distinct_session_skill_used_count": users / 2 },
        "cowork_metrics": { "distinct_session_skill_used_count": 0 },
        "office_metrics": {
            "excel": { "distinct_session_skill_used_count": 0 },
            "powerpoint": { "distinct_session_skill_used_count": 0 },
            "word": { "distinct_session_skill_used_count": 0 },
            "outlook": { "distinct_session_skill_used_count": 0 },
        },
    })
}

fn connector_row(state: &State, day: NaiveDate, i: usize, name: &str) -> Value {
    let mut r = seed(state, &[day_no(day), 3, i as u64]);
    let users = r.range(0, 40);
    json!({
        "connector_name": name,
        "distinct_user_count": users,
        "chat_metrics": { "distinct_conversation_connector_used_count": users * 3 },
        "claude_code_metrics": { "distinct_session_connector_used_count": users },
        "cowork_metrics": { "distinct_session_connector_used_count": 0 },
        "office_metrics": {
            "excel": { "distinct_session_connector_used_count": 0 },
            "powerpoint": { "distinct_session_connector_used_count": 0 },
            "word": { "distinct_session_connector_used_count": 0 },
            "outlook": { "distinct_session_connector_used_count": 0 },
        },
    })
}

/// `GET /v1/organizations/analytics/apps/chat/projects?date=D`.
pub async fn projects(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    catalogue(
        &state,
        &headers,
        &params,
        "projects",
        &PROJECTS,
        project_row,
    )
}

/// `GET /v1/organizations/analytics/skills?date=D`.
pub async fn skills(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    catalogue(&state, &headers, &params, "skills", &SKILLS, skill_row)
}

/// `GET /v1/organizations/analytics/connectors?date=D`.
pub async fn connectors(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    catalogue(
        &state,
        &headers,
        &params,
        "connectors",
        &CONNECTORS,
        connector_row,
    )
}

/// `GET /v1/organizations/usage_report/claude_code?starting_at=YYYY-MM-DD`: one record per
/// user with Claude Code activity that day (Admin key).
pub async fn claude_code(
    AxState(state): AxState<Arc<State>>,
    headers: HeaderMap,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let n = state.admit(&headers, Family::Admin)?;
    let day = parse_day("starting_at", param(&params, "starting_at"))?;
    if day < crate::limits::first_day() || day >= state.config.today {
        return Err(ApiError::bad_request(format!(
            "starting_at {day} must be a past day (data older than one hour)"
        )));
    }
    let p = page(&state, "claude_code", &params, 20, 1000)?;
    let units = state.units(&format!("claude_code|{}", p.hash), || {
        let costs = user_costs(&state.org, day, state.config.today, 0);
        activity(&state.org, day)
            .into_iter()
            .map(|(user_id, a)| {
                let mut models: BTreeMap<String, ([i64; 4], Nanos)> = BTreeMap::new();
                for c in costs
                    .iter()
                    .filter(|c| c.user_id == user_id && c.fact.product == "claude_code")
                {
                    let e = models
                        .entry(c.fact.model.clone())
                        .or_insert(([0; 4], Nanos::ZERO));
                    let slot = match c.fact.token_type.as_str() {
                        "uncached_input_tokens" => 0,
                        "output_tokens" => 1,
                        "cache_read_input_tokens" => 2,
                        _ => 3,
                    };
                    e.0[slot] += c.fact.tokens;
                    e.1 += Nanos(i128::from(c.fact.cost_nanos));
                }
                let breakdown: Vec<Value> = models
                    .into_iter()
                    .map(|(model, (t, cost))| {
                        json!({
                            "model": model,
                            "tokens": { "input": t[0], "output": t[1], "cache_read": t[2], "cache_creation": t[3] },
                            "estimated_cost": { "currency": "USD", "amount": allot_core::money::div_round_half_away(cost.0, 10_000_000) as i64 },
                        })
                    })
                    .collect();
                let edits = a.commits * 4;
                vec![json!({
                    "date": format!("{day}T00:00:00Z"),
                    "actor": { "type": "user_actor", "email_address": a.email },
                    "organization_id": "12345678-1234-5678-1234-567812345678",
                    "customer_type": "subscription",
                    "subscription_type": "enterprise",
                    "terminal_type": "vscode",
                    "is_remote": false,
                    "core_metrics": {
                        "num_sessions": a.sessions,
                        "lines_of_code": { "added": a.lines_added, "removed": a.lines_removed },
                        "commits_by_claude_code": a.commits,
                        "pull_requests_by_claude_code": a.pull_requests,
                    },
                    "tool_actions": {
                        "edit_tool": { "accepted": edits, "rejected": edits / 8 },
                        "multi_edit_tool": { "accepted": edits / 4, "rejected": 0 },
                        "write_tool": { "accepted": edits / 3, "rejected": edits / 20 },
                        "notebook_edit_tool": { "accepted": 0, "rejected": 0 },
                    },
                    "model_breakdown": breakdown,
                })]
            })
            .collect()
    });
    let (rows, next) = slice(&units, p);
    let body = json!({ "data": rows, "has_more": next.is_some(), "next_page": next });
    Ok(state.respond(n, &body))
}
