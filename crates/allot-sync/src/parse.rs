//! From the API's JSON to allot's rows: amounts in cents become exact nano-dollars, per-user
//! cost rows get their token counts from the usage report, engagement rows become activity.
//! Unknown enum values pass through as text; missing dimensions become empty.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::SyncError;

/// Token components in the order the usage report's fields are read.
pub const TOKEN_TYPES: [&str; 5] = [
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
];

/// A decimal string in cents (`"41280.000000"` is $412.80) as exact nano-dollars; `None` when it
/// is not a number or is finer than a nano-dollar (the money rule is `Nanos`'s own).
pub fn cents_to_nanos(s: &str) -> Option<i128> {
    let d: Decimal = s.trim().parse().ok()?;
    allot_core::Nanos::from_cents_decimal(d).map(|n| n.0)
}

fn malformed(endpoint: &str, problem: impl Into<String>) -> SyncError {
    SyncError::Malformed {
        endpoint: endpoint.to_string(),
        problem: problem.into(),
        request: String::new(),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

pub(crate) fn day_of(endpoint: &str, v: &Value) -> Result<NaiveDate, SyncError> {
    let text = v
        .as_str()
        .ok_or_else(|| malformed(endpoint, "a row has no starting_at/date"))?;
    NaiveDate::parse_from_str(text.get(..10).unwrap_or(text), "%Y-%m-%d")
        .map_err(|_| malformed(endpoint, format!("`{text}` is not a date")))
}

/// The rows of a page's `data` array, moved out of it.
pub(crate) fn into_rows(endpoint: &str, page: Value) -> Result<Vec<Value>, SyncError> {
    match page {
        Value::Object(mut m) => match m.remove("data") {
            Some(Value::Array(rows)) => Ok(rows),
            _ => Err(malformed(endpoint, "no `data` array")),
        },
        _ => Err(malformed(endpoint, "no `data` array")),
    }
}

fn rows<'a>(endpoint: &str, page: &'a Value, key: &str) -> Result<&'a Vec<Value>, SyncError> {
    page[key]
        .as_array()
        .ok_or_else(|| malformed(endpoint, format!("no `{key}` array")))
}

/// One cost fact as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StoredCost {
    /// The UTC day.
    pub date: NaiveDate,
    /// The user's email (empty for organisation-level rows).
    pub email: String,
    /// The user's id (empty for organisation-level rows).
    pub user_id: String,
    /// Product.
    pub product: String,
    /// Model.
    pub model: String,
    /// `0-200k` / `200k-1M`.
    pub context_window: String,
    /// `global` / `us`.
    pub inference_geo: String,
    /// `standard` / `fast`.
    pub speed: String,
    /// `tokens`, `web_search`, `code_execution`.
    pub cost_type: String,
    /// Token type for token costs.
    pub token_type: String,
    /// Tokens (web searches for web search cost).
    pub tokens: i64,
    /// Net cost, nano-dollars.
    pub cost_nanos: i128,
    /// List cost, nano-dollars.
    pub list_cost_nanos: Option<i128>,
}

/// (day, user id, product, model, context window, geo, speed)
type UnitKey = (NaiveDate, String, String, String, String, String, String);

fn unit_key(day: NaiveDate, user: &str, r: &Value) -> UnitKey {
    (
        day,
        user.to_string(),
        text(&r["product"]),
        text(&r["model"]),
        text(&r["context_window"]),
        text(&r["inference_geo"]),
        text(&r["speed"]),
    )
}

/// Token counts of a usage row: the five components and web searches.
fn tokens_of(r: &Value) -> ([i64; 5], i64) {
    (
        [
            int(&r["uncached_input_tokens"]),
            int(&r["output_tokens"]),
            int(&r["cache_read_input_tokens"]),
            int(&r["cache_creation"]["ephemeral_5m_input_tokens"]),
            int(&r["cache_creation"]["ephemeral_1h_input_tokens"]),
        ],
        int(&r["server_tool_use"]["web_search_requests"]),
    )
}

/// The actor's email: `email_address`, else the deprecated `email`, else the user id (deleted
/// users have no email).
fn actor_email(r: &Value) -> String {
    let a = &r["actor"];
    a["email_address"]
        .as_str()
        .or_else(|| a["email"].as_str())
        .or_else(|| a["user_id"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// Joins cost rows with the token counts of usage rows of the same unit. Usage with no cost row
/// is kept at zero cost, so no token is lost.
fn join(
    endpoint: &str,
    costs: Vec<(UnitKey, String, Value)>,
    mut usage: BTreeMap<UnitKey, (String, [i64; 5], i64)>,
) -> Result<Vec<StoredCost>, SyncError> {
    let mut used: BTreeMap<UnitKey, [bool; 6]> = BTreeMap::new();
    let mut out = Vec::new();
    let fact = |k: &UnitKey, email: &str, cost_type: &str, token_type: &str| StoredCost {
        date: k.0,
        email: email.to_string(),
        user_id: k.1.clone(),
        product: k.2.clone(),
        model: k.3.clone(),
        context_window: k.4.clone(),
        inference_geo: k.5.clone(),
        speed: k.6.clone(),
        cost_type: cost_type.to_string(),
        token_type: token_type.to_string(),
        tokens: 0,
        cost_nanos: 0,
        list_cost_nanos: None,
    };
    for (k, email, r) in costs {
        let amount = r["amount"].as_str().ok_or_else(|| {
            malformed(
                endpoint,
                "a row has no `amount` (a decimal string in cents)",
            )
        })?;
        let cost = cents_to_nanos(amount).ok_or_else(|| {
            malformed(
                endpoint,
                format!("amount `{amount}` is not a decimal string in cents"),
            )
        })?;
        let list = r["list_amount"].as_str().and_then(cents_to_nanos);
        let cost_type = text(&r["cost_type"]);
        let token_type = text(&r["token_type"]);
        let slot = match cost_type.as_str() {
            "tokens" => TOKEN_TYPES.iter().position(|t| *t == token_type),
            "web_search" => Some(5),
            _ => None,
        };
        let tokens = match (slot, usage.get(&k)) {
            (Some(5), Some(u)) => u.2,
            (Some(i), Some(u)) => u.1[i],
            _ => 0,
        };
        if let Some(i) = slot {
            used.entry(k.clone()).or_default()[i] = true;
        }
        let mut fact_row = fact(&k, &email, &cost_type, &token_type);
        fact_row.tokens = tokens;
        fact_row.cost_nanos = cost;
        fact_row.list_cost_nanos = list;
        out.push(fact_row);
    }
    for (k, (email, t, searches)) in std::mem::take(&mut usage) {
        let seen = used.get(&k).copied().unwrap_or_default();
        for (i, tt) in TOKEN_TYPES.iter().enumerate() {
            if t[i] != 0 && !seen[i] {
                let mut fact_row = fact(&k, &email, "tokens", tt);
                fact_row.tokens = t[i];
                fact_row.list_cost_nanos = Some(0);
                out.push(fact_row);
            }
        }
        if searches != 0 && !seen[5] {
            let mut fact_row = fact(&k, &email, "web_search", "");
            fact_row.tokens = searches;
            fact_row.list_cost_nanos = Some(0);
            out.push(fact_row);
        }
    }
    out.sort();
    Ok(out)
}

/// A unit's email, tokens per token type and web searches, summed from usage rows.
type UsageUnits = BTreeMap<UnitKey, (String, [i64; 5], i64)>;

/// Adds the tokens of `user_usage_report` rows to `usage`, per unit (day, user and
/// dimensions).
fn add_usage(usage: &mut UsageUnits, rows: &[Value]) -> Result<(), SyncError> {
    for r in rows {
        let day = day_of("user_usage_report", &r["starting_at"])?;
        let user = text(&r["actor"]["user_id"]);
        let key = unit_key(day, &user, r);
        let (t, s) = tokens_of(r);
        let unit = usage
            .entry(key)
            .or_insert_with(|| (actor_email(r), [0; 5], 0));
        for (acc, add) in unit.1.iter_mut().zip(t) {
            *acc += add;
        }
        unit.2 += s;
    }
    Ok(())
}

/// Per-user cost facts from `user_cost_report` pages, with tokens from `user_usage_report` pages.
pub fn user_costs(
    cost_pages: &[Value],
    usage_pages: &[Value],
) -> Result<Vec<StoredCost>, SyncError> {
    const E: &str = "user_cost_report";
    let mut usage = UsageUnits::new();
    for page in usage_pages {
        add_usage(&mut usage, rows("user_usage_report", page, "data")?)?;
    }
    let mut cost_rows = Vec::new();
    for page in cost_pages {
        cost_rows.extend(rows(E, page, "data")?.iter().cloned());
    }
    user_cost_rows(cost_rows, usage)
}

/// [`user_costs`] of cost rows already out of their pages (moved, not copied: a window's
/// rows are held once), with the usage already summed per unit.
fn user_cost_rows(cost_rows: Vec<Value>, usage: UsageUnits) -> Result<Vec<StoredCost>, SyncError> {
    const E: &str = "user_cost_report";
    let mut costs = Vec::with_capacity(cost_rows.len());
    for r in cost_rows {
        let day = day_of(E, &r["starting_at"])?;
        let user = r["actor"]["user_id"]
            .as_str()
            .ok_or_else(|| malformed(E, "a row has no `actor.user_id`"))?
            .to_string();
        costs.push((unit_key(day, &user, &r), actor_email(&r), r));
    }
    join(E, costs, usage)
}

/// [`user_costs`] of bare rows (not pages), the cost rows moved in.
pub fn user_costs_of_rows(
    cost_rows: Vec<Value>,
    usage_rows: &[Value],
) -> Result<Vec<StoredCost>, SyncError> {
    let mut usage = UsageUnits::new();
    add_usage(&mut usage, usage_rows)?;
    user_cost_rows(cost_rows, usage)
}

/// Organisation-level cost facts (every cost, attributable to a seat user or not) from
/// `cost_report` buckets, with tokens from `usage_report` buckets.
pub fn org_costs(
    cost_pages: &[Value],
    usage_pages: &[Value],
) -> Result<Vec<StoredCost>, SyncError> {
    const E: &str = "cost_report";
    let mut usage: BTreeMap<UnitKey, (String, [i64; 5], i64)> = BTreeMap::new();
    for page in usage_pages {
        for bucket in rows("usage_report", page, "data")? {
            let day = day_of("usage_report", &bucket["starting_at"])?;
            for r in rows("usage_report", bucket, "results")? {
                let (t, s) = tokens_of(r);
                let unit = usage
                    .entry(unit_key(day, "", r))
                    .or_insert_with(|| (String::new(), [0; 5], 0));
                for (acc, add) in unit.1.iter_mut().zip(t) {
                    *acc += add;
                }
                unit.2 += s;
            }
        }
    }
    let mut costs = Vec::new();
    for page in cost_pages {
        for bucket in rows(E, page, "data")? {
            let day = day_of(E, &bucket["starting_at"])?;
            for r in rows(E, bucket, "results")? {
                costs.push((unit_key(day, "", r), String::new(), r.clone()));
            }
        }
    }
    join(E, costs, usage)
}

/// The organisation's cost per day, nano-dollars: the cheap signal that a stored day moved.
/// Reads pages of buckets (`cost_report`: `data[]` of `{starting_at, results[] {amount}}`) or
/// of flat rows (`analytics/cost` without `group_by`: `data[]` of `{starting_at, cost
/// {amount}}`); an amount is a decimal in cents, as a string or a number. A day without a row
/// cost nothing.
pub fn day_totals(endpoint: &str, pages: &[Value]) -> Result<BTreeMap<NaiveDate, i128>, SyncError> {
    let amount = |v: &Value| -> Result<i128, SyncError> {
        let text = match v {
            Value::String(text) => text.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(malformed(
                    endpoint,
                    "a row has no `amount` (a decimal in cents)",
                ))
            }
        };
        cents_to_nanos(&text).ok_or_else(|| {
            malformed(
                endpoint,
                format!("amount `{text}` is not a decimal in cents"),
            )
        })
    };
    let mut out = BTreeMap::new();
    for page in pages {
        for row in rows(endpoint, page, "data")? {
            let day = day_of(endpoint, &row["starting_at"])?;
            let total = out.entry(day).or_insert(0);
            if let Some(results) = row["results"].as_array() {
                for r in results {
                    *total += amount(&r["amount"])?;
                }
            } else {
                *total += amount(&row["cost"]["amount"])?;
            }
        }
    }
    Ok(out)
}

/// One person's engagement on one day, from the `users` endpoint (or the Claude Code report).
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Activity {
    /// The UTC day.
    pub date: NaiveDate,
    /// Email.
    pub email: String,
    /// `user_...` id (empty from the Claude Code report, which has none).
    pub user_id: String,
    /// Claude Code sessions.
    pub sessions: i64,
    /// Commits.
    pub commits: i64,
    /// Pull requests.
    pub pull_requests: i64,
    /// Lines added.
    pub lines_added: i64,
    /// Lines removed.
    pub lines_removed: i64,
    /// Tool actions accepted (edit, multi-edit, write, notebook edit).
    pub tool_accepted: i64,
    /// Tool actions rejected.
    pub tool_rejected: i64,
    /// Chat messages.
    pub chat_messages: i64,
    /// Chat conversations.
    pub chat_conversations: i64,
    /// Web searches.
    pub web_searches: i64,
    /// Chat projects created.
    pub chat_projects_created: i64,
    /// Files uploaded to chat.
    pub chat_files_uploaded: i64,
    /// Artifacts created in chat.
    pub chat_artifacts_created: i64,
    /// Distinct skills used in chat.
    pub chat_skills_used: i64,
    /// Distinct connectors used in chat.
    pub chat_connectors_used: i64,
    /// Cowork sessions.
    pub cowork_sessions: i64,
    /// Cowork messages.
    pub cowork_messages: i64,
    /// Cowork actions.
    pub cowork_actions: i64,
    /// Office app sessions (Excel, PowerPoint, Word, Outlook), summed.
    pub office_sessions: i64,
    /// Office app messages, summed.
    pub office_messages: i64,
}

/// Sums one counter over the Office apps of an `office_metrics` block (whatever apps it
/// lists: Excel and PowerPoint in older answers, Word and Outlook too in newer ones).
fn office_sum(office: &Value, counter: &str) -> i64 {
    office
        .as_object()
        .map_or(0, |apps| apps.values().map(|a| int(&a[counter])).sum())
}

fn tool_sums(actions: &Value, accepted: &str, rejected: &str) -> (i64, i64) {
    actions.as_object().map_or((0, 0), |m| {
        m.values().fold((0, 0), |(a, r), t| {
            (a + int(&t[accepted]), r + int(&t[rejected]))
        })
    })
}

/// Activity rows of one day from `users` pages.
pub fn users(day: NaiveDate, pages: &[Value]) -> Result<Vec<Activity>, SyncError> {
    let mut out = Vec::new();
    for page in pages {
        for r in rows("users", page, "data")? {
            let core = &r["claude_code_metrics"]["core_metrics"];
            let (acc, rej) = tool_sums(
                &r["claude_code_metrics"]["tool_actions"],
                "accepted_count",
                "rejected_count",
            );
            let email = r["user"]["email_address"]
                .as_str()
                .or_else(|| r["user"]["email"].as_str())
                .ok_or_else(|| {
                    malformed(
                        "users",
                        "a row has no `user.email_address` (nor the older `user.email`)",
                    )
                })?;
            out.push(Activity {
                date: day,
                email: email.to_string(),
                user_id: text(&r["user"]["id"]),
                sessions: int(&core["distinct_session_count"]),
                commits: int(&core["commit_count"]),
                pull_requests: int(&core["pull_request_count"]),
                lines_added: int(&core["lines_of_code"]["added_count"]),
                lines_removed: int(&core["lines_of_code"]["removed_count"]),
                tool_accepted: acc,
                tool_rejected: rej,
                chat_messages: int(&r["chat_metrics"]["message_count"]),
                chat_conversations: int(&r["chat_metrics"]["distinct_conversation_count"]),
                web_searches: int(&r["web_search_count"]),
                chat_projects_created: int(&r["chat_metrics"]["distinct_projects_created_count"]),
                chat_files_uploaded: int(&r["chat_metrics"]["distinct_files_uploaded_count"]),
                chat_artifacts_created: int(&r["chat_metrics"]["distinct_artifacts_created_count"]),
                chat_skills_used: int(&r["chat_metrics"]["distinct_skills_used_count"]),
                chat_connectors_used: int(&r["chat_metrics"]["distinct_connectors_used_count"]),
                cowork_sessions: int(&r["cowork_metrics"]["distinct_session_count"]),
                cowork_messages: int(&r["cowork_metrics"]["message_count"]),
                cowork_actions: int(&r["cowork_metrics"]["action_count"]),
                office_sessions: office_sum(&r["office_metrics"], "distinct_session_count"),
                office_messages: office_sum(&r["office_metrics"], "message_count"),
            });
        }
    }
    out.sort();
    Ok(out)
}

/// One model's share of a Claude Code record: tokens and the estimated cost.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CodeModel {
    /// The UTC day.
    pub date: NaiveDate,
    /// Email (or API key name for API actors).
    pub email: String,
    /// Model.
    pub model: String,
    /// Input, output, cache read, cache creation tokens.
    pub tokens: [i64; 4],
    /// Estimated cost in nano-dollars (the API sends cents, whole in every documented example).
    pub estimated_cost_nanos: i128,
}

/// Activity and per-model estimates of one day from Claude Code report pages; several records
/// of one person (terminals, remote and local) are summed.
pub fn claude_code(
    day: NaiveDate,
    pages: &[Value],
) -> Result<(Vec<Activity>, Vec<CodeModel>), SyncError> {
    const E: &str = "usage_report/claude_code";
    let mut people: BTreeMap<String, Activity> = BTreeMap::new();
    let mut models: BTreeMap<(String, String), CodeModel> = BTreeMap::new();
    for page in pages {
        for r in rows(E, page, "data")? {
            let a = &r["actor"];
            let email = a["email_address"]
                .as_str()
                .or_else(|| a["api_key_name"].as_str())
                .ok_or_else(|| {
                    malformed(
                        E,
                        "a record's `actor` has neither `email_address` nor `api_key_name`",
                    )
                })?
                .to_string();
            let core = &r["core_metrics"];
            let (acc, rej) = tool_sums(&r["tool_actions"], "accepted", "rejected");
            let person = people.entry(email.clone()).or_insert_with(|| Activity {
                date: day,
                email: email.clone(),
                ..Activity::default()
            });
            person.sessions += int(&core["num_sessions"]);
            person.commits += int(&core["commits_by_claude_code"]);
            person.pull_requests += int(&core["pull_requests_by_claude_code"]);
            person.lines_added += int(&core["lines_of_code"]["added"]);
            person.lines_removed += int(&core["lines_of_code"]["removed"]);
            person.tool_accepted += acc;
            person.tool_rejected += rej;
            for m in r["model_breakdown"].as_array().into_iter().flatten() {
                let model = text(&m["model"]);
                let amount = &m["estimated_cost"]["amount"];
                let cents = cents_to_nanos(&text(amount)).ok_or_else(|| {
                    malformed(
                        E,
                        format!("estimated_cost.amount `{amount}` is not a number"),
                    )
                })?;
                let model_tokens = &m["tokens"];
                let usage = models
                    .entry((email.clone(), model.clone()))
                    .or_insert_with(|| CodeModel {
                        date: day,
                        email: email.clone(),
                        model,
                        tokens: [0; 4],
                        estimated_cost_nanos: 0,
                    });
                for (i, k) in ["input", "output", "cache_read", "cache_creation"]
                    .iter()
                    .enumerate()
                {
                    usage.tokens[i] += int(&model_tokens[*k]);
                }
                usage.estimated_cost_nanos += cents;
            }
        }
    }
    Ok((
        people.into_values().collect(),
        models.into_values().collect(),
    ))
}

/// A JSON row flattened to dotted column names and text values.
pub type Flat = BTreeMap<String, String>;

/// Reads one day's values of a flat JSON row into (column, value) text pairs, for the
/// engagement summaries and catalogues whose numbers are counts and rates, not money.
pub fn flat(r: &Value, prefix: &str, out: &mut BTreeMap<String, String>) {
    match r {
        Value::Object(m) => {
            for (k, v) in m {
                let name = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flat(v, &name, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), text(other));
        }
    }
}

/// The per-day rows of `summaries` (keyed by their `starting_at` day), flattened.
pub fn summaries(body: &Value) -> Result<Vec<(NaiveDate, Flat)>, SyncError> {
    let mut out = Vec::new();
    for r in rows("summaries", body, "summaries")? {
        let day = day_of("summaries", &r["starting_at"])?;
        let mut m = BTreeMap::new();
        flat(r, "", &mut m);
        out.push((day, m));
    }
    Ok(out)
}

/// The rows of a catalogue endpoint (projects, skills, connectors), flattened.
pub fn catalogue(
    endpoint: &str,
    pages: &[Value],
) -> Result<Vec<BTreeMap<String, String>>, SyncError> {
    let mut out = Vec::new();
    for page in pages {
        for r in rows(endpoint, page, "data")? {
            let mut m = BTreeMap::new();
            flat(r, "", &mut m);
            out.push(m);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_totals_are_read_from_buckets_and_from_flat_rows() {
        let buckets = serde_json::json!({"data": [
            {"starting_at": "2026-11-01T00:00:00Z", "results": [{"amount": "100"}, {"amount": "0.5"}]},
            {"starting_at": "2026-11-02T00:00:00Z", "results": []},
        ]});
        let t = day_totals("cost_report", &[buckets]).unwrap();
        assert_eq!(t[&"2026-11-01".parse().unwrap()], 1_005_000_000);
        assert_eq!(t[&"2026-11-02".parse().unwrap()], 0);
        let flat = serde_json::json!({"data": [
            {"starting_at": "2026-11-01T00:00:00Z", "cost": {"amount": 250}},
        ]});
        let t = day_totals("analytics/cost", &[flat]).unwrap();
        assert_eq!(t[&"2026-11-01".parse().unwrap()], 2_500_000_000);
        let bad =
            serde_json::json!({"data": [{"starting_at": "2026-11-01T00:00:00Z", "cost": {}}]});
        assert!(day_totals("analytics/cost", &[bad])
            .unwrap_err()
            .to_string()
            .contains("amount"));
    }

    #[test]
    fn cents_become_exact_nano_dollars() {
        assert_eq!(cents_to_nanos("41280.000000"), Some(412_800_000_000));
        assert_eq!(cents_to_nanos("123.45"), Some(1_234_500_000));
        assert_eq!(cents_to_nanos("0.0000001"), Some(1));
        assert_eq!(cents_to_nanos("186"), Some(1_860_000_000));
        assert_eq!(cents_to_nanos("-5.5"), Some(-55_000_000));
        assert_eq!(
            cents_to_nanos("0.00000001"),
            None,
            "finer than a nano-dollar"
        );
        assert_eq!(cents_to_nanos("12,00"), None);
    }

    /// The documented example answers, as `tests/fixtures/api/` keeps them.
    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../tests/fixtures/api/{name}.json",
            std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_documented_users_answer_keeps_every_surface() {
        let rows = users(day("2026-03-01"), &[fixture("users")]).unwrap();
        let a = &rows[0];
        assert_eq!(a.email, "jane@example.com");
        assert_eq!(
            (
                a.sessions,
                a.commits,
                a.pull_requests,
                a.lines_added,
                a.lines_removed
            ),
            (3, 4, 1, 512, 88)
        );
        assert_eq!((a.tool_accepted, a.tool_rejected), (28, 3));
        assert_eq!(
            (
                a.chat_conversations,
                a.chat_messages,
                a.chat_files_uploaded,
                a.chat_artifacts_created,
                a.chat_skills_used
            ),
            (7, 41, 2, 1, 1)
        );
        assert_eq!(
            (a.cowork_sessions, a.cowork_messages, a.cowork_actions),
            (1, 6, 4)
        );
        assert_eq!(
            (a.office_sessions, a.office_messages, a.web_searches),
            (2, 9, 2)
        );
    }

    #[test]
    fn a_renamed_or_missing_block_is_tolerated_and_a_missing_email_is_named() {
        // The older field name, and no office or cowork block at all.
        let mut v = fixture("users");
        let row = &mut v["data"][0];
        row["user"] = serde_json::json!({"id": "user_1", "email": "old@example.com"});
        row.as_object_mut().unwrap().remove("office_metrics");
        row.as_object_mut().unwrap().remove("cowork_metrics");
        row["design_metrics"] = serde_json::json!({"distinct_session_count": 3});
        let rows = users(day("2026-03-01"), &[v.clone()]).unwrap();
        assert_eq!(
            (
                rows[0].email.as_str(),
                rows[0].office_sessions,
                rows[0].cowork_sessions
            ),
            ("old@example.com", 0, 0)
        );
        v["data"][0]["user"] = serde_json::json!({"id": "user_1"});
        let e = users(day("2026-03-01"), &[v])
            .unwrap_err()
            .in_request("/v1/organizations/analytics/users?date=2026-03-01");
        let text = e.to_string();
        assert!(
            text.contains("users")
                && text.contains("user.email_address")
                && text.contains("?date=2026-03-01"),
            "{text}"
        );
    }

    #[test]
    fn the_documented_cost_and_usage_answers_join_exactly() {
        let rows = user_costs(
            &[fixture("user_cost_report")],
            &[fixture("user_usage_report")],
        )
        .unwrap();
        let cost = rows
            .iter()
            .find(|r| r.cost_type == "tokens" && r.token_type == "output_tokens")
            .unwrap();
        assert_eq!(
            (cost.cost_nanos, cost.list_cost_nanos),
            (412_800_000_000, Some(516_000_000_000))
        );
        assert_eq!(
            (cost.email.as_str(), cost.user_id.as_str(), cost.tokens),
            ("jane@example.com", "user_01AbCdEfGhIjKlMnOpQrSt", 900)
        );
        // Usage with no cost row is kept at zero cost, so no token is lost.
        let kept: i64 = rows
            .iter()
            .filter(|r| r.cost_nanos == 0)
            .map(|r| r.tokens)
            .sum();
        assert_eq!(kept, 1200 + 300 + 5000);
        let org = org_costs(&[fixture("cost_report")], &[fixture("usage_report")]).unwrap();
        let by_model: i128 = org
            .iter()
            .filter(|r| r.model == "claude-opus-4-6" && r.cost_nanos != 0)
            .map(|r| r.cost_nanos)
            .sum();
        assert_eq!(by_model, 1_250_342_500_000);
        assert!(org
            .iter()
            .any(|r| r.product == "chat" && r.cost_type == "web_search" && r.tokens == 10));
    }

    #[test]
    fn unknown_values_pass_through_and_a_missing_amount_is_named() {
        let mut v = fixture("user_cost_report");
        v["data"][0]["product"] = serde_json::json!("claude_design_v9");
        v["data"][0]["context_window"] = serde_json::json!("1M-2M");
        v["data"][0]["cost_type"] = serde_json::json!("session_hours");
        let rows = user_costs(&[v.clone()], &[]).unwrap();
        assert_eq!(
            (
                rows[0].product.as_str(),
                rows[0].context_window.as_str(),
                rows[0].cost_type.as_str()
            ),
            ("claude_design_v9", "1M-2M", "session_hours")
        );
        assert_eq!(
            rows[0].cost_nanos, 412_800_000_000,
            "kept and charged, not dropped"
        );
        v["data"][0].as_object_mut().unwrap().remove("amount");
        let e = user_costs(&[v.clone()], &[]).unwrap_err().to_string();
        assert!(
            e.contains("user_cost_report") && e.contains("`amount`"),
            "{e}"
        );
        v["data"][0]["amount"] = serde_json::json!("1");
        v["data"][0]["actor"] = serde_json::json!({"type": "user_actor"});
        let e = user_costs(&[v], &[]).unwrap_err().to_string();
        assert!(e.contains("actor.user_id"), "{e}");
    }

    #[test]
    fn the_documented_summaries_and_claude_code_answers_parse() {
        let s = summaries(&fixture("summaries")).unwrap();
        assert_eq!(s[0].0, day("2026-03-01"));
        assert_eq!(s[0].1["assigned_seat_count"], "950");
        assert_eq!(s[0].1["cowork_monthly_active_user_count"], "77");
        let (people, models) = claude_code(day("2025-08-08"), &[fixture("claude_code")]).unwrap();
        assert_eq!(
            (
                people[0].email.as_str(),
                people[0].sessions,
                people[0].commits,
                people[0].tool_accepted
            ),
            ("user@emaildomain.com", 15, 8, 50)
        );
        let cost: i128 = models.iter().map(|m| m.estimated_cost_nanos).sum();
        assert_eq!(cost, 2_280_000_000, "186 + 42 cents");
        let mut v = fixture("claude_code");
        v["data"][0]["actor"] = serde_json::json!({"type": "user_actor"});
        let e = claude_code(day("2025-08-08"), &[v])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("email_address") && e.contains("api_key_name"),
            "{e}"
        );
    }
}
