//! The Usage and Cost Analytics API (beta since 2026-10-29): `GET /v1/organizations/analytics/cost`
//! and `/usage`, every cost of the organisation (seat users', API keys', service accounts',
//! federated identities', and cost no actor is behind) as flat rows
//! `{starting_at, ending_at, group {dimensions...}, cost|usage {...}}`.
//!
//! Much of its shape is not yet documented; every choice allot makes where the documentation is
//! silent is in [`ASSUMPTIONS`] (the fake API serves the same choices). Enums and the actor
//! union are read leniently: an unknown value is kept as text, an unknown kind of actor is kept
//! and named (`actor:TYPE/ID`) and charged to `UNMAPPED`, never dropped.

use std::collections::BTreeMap;

use allot_core::identity::{self, Kind, Names, UNATTRIBUTED, VIA_SEPARATOR};
use serde_json::{json, Value};

use crate::error::SyncError;
use crate::parse::{self, StoredCost};

/// `GET` path of the cost endpoint.
pub const COST_PATH: &str = "/v1/organizations/analytics/cost";
/// `GET` path of the usage endpoint.
pub const USAGE_PATH: &str = "/v1/organizations/analytics/usage";
/// The `anthropic-beta` header both endpoints need.
pub const BETA: &str = "analytics-usage-cost-2026-08-24";
/// Dimensions both endpoints are grouped by (`group_by[]`): who (the actor, the API key that
/// authenticated the request and its workspace) and what (the reviews' dimensions).
pub const GROUP_BY: [&str; 8] = [
    "actor",
    "api_key_id",
    "workspace_id",
    "product",
    "model",
    "context_window",
    "inference_geo",
    "speed",
];
/// Dimensions only the cost endpoint is grouped by.
pub const COST_GROUP_BY: [&str; 2] = ["cost_type", "token_type"];
/// The largest page allot asks for.
pub const LIMIT: &str = "1000";

/// What allot assumes where the documentation of these endpoints is silent ([U] in the team's
/// notes), in one place; the fake API makes the same choices.
pub const ASSUMPTIONS: &[&str] = &[
    "the envelope is the Enterprise reports': {data, has_more, next_page, data_refreshed_at, organization_id}",
    "a request spans at most 31 days, as the older reports; `time_bucket_width=1d` gives a row per day",
    "`limit` goes up to 1000; cursors are bound to their query (400) and may expire (410: restart)",
    "`group_by[]` takes actor, api_key_id, workspace_id, product, model, context_window, inference_geo, speed, and on cost also cost_type and token_type",
    "`group.actor` is an object with a `type`: user_actor {user_id, email_address, name}, service_account_actor {service_account_id, name}, api_key_actor {api_key_id, name}, federated_identity_actor {subject, email_address?}; any other type is kept as `actor:TYPE/ID`",
    "`group.actor` is null for cost no actor is behind; `group.workspace_id` is null for the default workspace",
    "`cost.amount` and `cost.list_amount` are decimal strings in cents (numbers are read too); `usage` carries the legacy token fields",
    "both endpoints share the organisation's 60 requests a minute",
];

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.trim().to_string(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn first(v: &Value, keys: &[&str]) -> String {
    keys.iter()
        .map(|k| text(&v[*k]))
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

/// Who an actor is: (identity, its kind's word as the API said it, its name when the API gives
/// one). `None` for cost no actor is behind.
pub fn actor(group: &Value) -> (String, String, Option<String>) {
    let a = &group["actor"];
    let kind_word = |v: &Value| {
        let t = text(&v["type"]);
        if t.is_empty() {
            text(&group["actor_type"])
        } else {
            t
        }
    };
    match a {
        Value::Null => (UNATTRIBUTED.to_string(), String::new(), None),
        Value::String(s) => {
            // A bare tagged id.
            let s = s.trim();
            let kind = if s.starts_with("svac_") {
                Kind::ServiceAccount
            } else if s.starts_with("apikey_") {
                Kind::ApiKey
            } else {
                Kind::Person
            };
            (identity::make(kind, s), text(&group["actor_type"]), None)
        }
        Value::Object(_) => {
            let t = kind_word(a);
            let name =
                Some(first(a, &["name", "api_key_name", "display_name"])).filter(|n| !n.is_empty());
            let squash: String = t
                .to_ascii_lowercase()
                .trim_end_matches("_actor")
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect();
            let email = first(a, &["email_address", "email"]);
            match squash.as_str() {
                "user" => {
                    let id = if email.is_empty() {
                        first(a, &["user_id", "id"])
                    } else {
                        email
                    };
                    (identity::make(Kind::Person, &id), t, None)
                }
                "serviceaccount" => (
                    identity::make(
                        Kind::ServiceAccount,
                        &first(a, &["service_account_id", "id"]),
                    ),
                    t,
                    name,
                ),
                "apikey" | "api" => {
                    let id = first(a, &["api_key_id", "id"]);
                    let id = if id.is_empty() {
                        name.clone().unwrap_or_default()
                    } else {
                        id
                    };
                    (identity::make(Kind::ApiKey, &id), t, name)
                }
                "federatedidentity" | "federated" => {
                    if email.is_empty() {
                        let id = first(a, &["subject", "id", "name"]);
                        (identity::make(Kind::Federated, &id), t, name)
                    } else {
                        // A federated identity with an email is that person.
                        (identity::make(Kind::Person, &email), t, None)
                    }
                }
                _ => {
                    // A kind allot does not know: kept under its own type and id.
                    let id = a
                        .as_object()
                        .and_then(|m| {
                            m.iter()
                                .filter(|(k, _)| k.as_str() == "id" || k.ends_with("_id"))
                                .map(|(_, v)| text(v))
                                .find(|s| !s.is_empty())
                        })
                        .or_else(|| name.clone())
                        .unwrap_or_default();
                    let t_clean = if t.is_empty() {
                        "unknown".to_string()
                    } else {
                        t.clone()
                    };
                    let id = format!("{t_clean}/{id}").replace(VIA_SEPARATOR, "_");
                    (identity::make(Kind::Other, &id), t, name)
                }
            }
        }
        other => (
            identity::make(
                Kind::Other,
                &format!("unknown/{other}").replace(VIA_SEPARATOR, "_"),
            ),
            text(&group["actor_type"]),
            None,
        ),
    }
}

/// Where a row's cost falls back to when its actor is not mapped: the API key that
/// authenticated it, then its workspace (`default` when the key is in the default one). An
/// actor of a kind allot does not know has no fallback: it goes to `UNMAPPED`, where it is
/// seen, rather than quietly into its key's cost center.
fn via(identity_of_actor: &str, group: &Value) -> (String, String, String) {
    let key = text(&group["api_key_id"]);
    let workspace = text(&group["workspace_id"]);
    if identity::kind(identity_of_actor) == Kind::Other {
        return (String::new(), key, workspace);
    }
    let mut chain = Vec::new();
    if !key.is_empty() {
        chain.push(identity::make(Kind::ApiKey, &key));
    }
    if !workspace.is_empty() {
        chain.push(identity::make(Kind::Workspace, &workspace));
    } else if !key.is_empty() {
        chain.push(identity::make(Kind::Workspace, "default"));
    }
    chain.retain(|c| c != identity_of_actor && !c.contains(VIA_SEPARATOR));
    (chain.join(&VIA_SEPARATOR.to_string()), key, workspace)
}

/// One stored fact of the Usage and Cost Analytics API: the cost fact (its `email` is the
/// actor's identity) and who else it may be charged to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ActorCost {
    /// The fact.
    pub fact: StoredCost,
    /// Fallback identities (`api_key:...|workspace:...`).
    pub via: String,
    /// The API key that authenticated the requests (empty when none: seat usage, Console).
    pub api_key_id: String,
    /// The workspace (empty for the default one, or none).
    pub workspace_id: String,
    /// The actor's type as the API gave it.
    pub actor_type: String,
}

/// The unit a usage row and its cost rows share, as one text: actor, key and workspace.
const UNIT_SEPARATOR: char = '\u{1f}';

/// A row of the new API rewritten in the older reports' flat shape (dimensions and amounts at
/// the top level), so one join reads both.
fn legacy_shape(r: &Value, unit: &str, metrics: &str) -> Value {
    let g = &r["group"];
    let m = &r[metrics];
    let mut out = json!({
        "starting_at": r["starting_at"],
        "ending_at": r["ending_at"],
        "actor": {"user_id": unit},
    });
    for d in [
        "product",
        "model",
        "context_window",
        "inference_geo",
        "speed",
        "cost_type",
        "token_type",
    ] {
        out[d] = g[d].clone();
    }
    if metrics == "cost" {
        let amount = |v: &Value| match v {
            Value::Number(n) => Value::String(n.to_string()),
            other => other.clone(),
        };
        out["amount"] = amount(&m["amount"]);
        out["list_amount"] = amount(&m["list_amount"]);
    } else {
        for k in [
            "uncached_input_tokens",
            "output_tokens",
            "cache_read_input_tokens",
            "cache_creation",
            "server_tool_use",
        ] {
            out[k] = m[k].clone();
        }
    }
    out
}

/// Reads the new API's pages one at a time as they arrive, keeping only each row in the
/// older reports' flat shape (a few fields, not the page's nested groups) and the actors it
/// names, so a sync holds a window's rows, never its pages.
#[derive(Debug, Default)]
pub struct Shaper {
    names: Names,
    who: BTreeMap<String, (String, String, String, String, String)>,
}

impl Shaper {
    /// The rows of one page of `endpoint` (`metrics`: `cost` or `usage`), reshaped; the page
    /// itself is dropped.
    pub fn page(
        &mut self,
        endpoint: &str,
        page: &Value,
        metrics: &str,
    ) -> Result<Vec<Value>, SyncError> {
        let rows = page["data"]
            .as_array()
            .ok_or_else(|| SyncError::Malformed {
                endpoint: endpoint.to_string(),
                problem: "no `data` array".into(),
                request: String::new(),
            })?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            if !r[metrics].is_object() {
                return Err(SyncError::Malformed {
                    endpoint: endpoint.to_string(),
                    problem: format!("a row has no `{metrics}` object"),
                    request: String::new(),
                });
            }
            let g = &r["group"];
            let (id, actor_type, name) = actor(g);
            if let Some(n) = &name {
                self.names.insert(id.clone(), n);
            }
            let (chain, key, workspace) = via(&id, g);
            let unit =
                [id.as_str(), key.as_str(), workspace.as_str()].join(&UNIT_SEPARATOR.to_string());
            self.who
                .entry(unit.clone())
                .or_insert((id, chain, key, workspace, actor_type));
            out.push(legacy_shape(r, &unit, metrics));
        }
        Ok(out)
    }

    /// The names of the actors the pages seen so far name.
    pub fn names(&self) -> &Names {
        &self.names
    }

    /// Every cost fact of reshaped `cost` rows (grouped by [`GROUP_BY`] and
    /// [`COST_GROUP_BY`], a day per row: a day's or a window's) with tokens from the reshaped
    /// `usage` rows of the same days (grouped by [`GROUP_BY`]), sorted.
    pub fn facts(&self, cost: Vec<Value>, usage: &[Value]) -> Result<Vec<ActorCost>, SyncError> {
        let facts = parse::user_costs_of_rows(cost, usage).map_err(rename)?;
        let mut out: Vec<ActorCost> = facts
            .into_iter()
            .map(|mut f| {
                let (id, chain, key, workspace, actor_type) =
                    self.who.get(&f.user_id).cloned().unwrap_or_default();
                f.email = id;
                f.user_id = String::new();
                ActorCost {
                    fact: f,
                    via: chain,
                    api_key_id: key,
                    workspace_id: workspace,
                    actor_type,
                }
            })
            .collect();
        out.sort();
        Ok(out)
    }

    /// [`Shaper::facts`] of every row, and the names of the actors they name.
    pub fn finish(
        self,
        cost: Vec<Value>,
        usage: &[Value],
    ) -> Result<(Vec<ActorCost>, Names), SyncError> {
        let out = self.facts(cost, usage)?;
        Ok((out, self.names))
    }
}

/// Every cost fact of `cost_pages` with tokens from `usage_pages`, and the names of the actors
/// they name: [`Shaper`] over pages already in hand.
pub fn actor_costs(
    cost_pages: &[Value],
    usage_pages: &[Value],
) -> Result<(Vec<ActorCost>, Names), SyncError> {
    let mut shaper = Shaper::default();
    let mut cost = Vec::new();
    for p in cost_pages {
        cost.extend(shaper.page("analytics/cost", p, "cost")?);
    }
    let mut usage = Vec::new();
    for p in usage_pages {
        usage.extend(shaper.page("analytics/usage", p, "usage")?);
    }
    shaper.finish(cost, &usage)
}

/// An error of the shared join, said of the new endpoint whose row it is about (the join reads
/// usage rows as `user_usage_report`'s, cost rows as `user_cost_report`'s).
fn rename(e: SyncError) -> SyncError {
    match e {
        SyncError::Malformed {
            endpoint,
            problem,
            request,
        } => SyncError::Malformed {
            endpoint: if endpoint.contains("usage") {
                "analytics/usage".to_string()
            } else {
                "analytics/cost".to_string()
            },
            problem: problem.replace(
                "a decimal string in cents",
                "cost.amount, a decimal in cents",
            ),
            request,
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../tests/fixtures/api/{name}.json",
            std::env::var("CARGO_MANIFEST_DIR")
                .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
        );
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    #[test]
    fn every_kind_of_actor_is_kept_and_an_unknown_one_is_named() {
        let a = |v: Value| actor(&json!({ "actor": v }));
        assert_eq!(
            a(json!({"type": "user_actor", "user_id": "user_1", "email_address": "Jane@X.com", "name": "Jane"})).0,
            "jane@x.com"
        );
        assert_eq!(
            a(json!({"type": "user_actor", "user_id": "user_1", "email_address": null, "deleted": true})).0,
            "user_1"
        );
        assert_eq!(
            a(
                json!({"type": "service_account_actor", "service_account_id": "svac_01", "name": "etl"})
            ),
            (
                "service_account:svac_01".into(),
                "service_account_actor".into(),
                Some("etl".into())
            )
        );
        assert_eq!(
            a(json!({"type": "api_key_actor", "api_key_id": "apikey_01", "name": "ci"})).0,
            "api_key:apikey_01"
        );
        assert_eq!(
            a(json!({"type": "federated_identity_actor", "subject": "spiffe://x/y"})).0,
            "federated:spiffe://x/y"
        );
        let (id, t, name) =
            a(json!({"type": "agent_actor", "agent_id": "agent_7", "name": "triage"}));
        assert_eq!(
            (id.as_str(), t.as_str(), name.as_deref()),
            ("actor:agent_actor/agent_7", "agent_actor", Some("triage"))
        );
        assert_eq!(a(Value::Null).0, UNATTRIBUTED);
        assert_eq!(a(json!("svac_9")).0, "service_account:svac_9");
    }

    /// Found by the api fuzz target: a usage row with no `starting_at` was said of the cost
    /// endpoint (the shared join's name for usage rows is the older report's).
    #[test]
    fn a_bad_row_is_said_of_the_endpoint_it_came_from() {
        let mut usage = fixture("analytics_usage");
        usage["data"][0]
            .as_object_mut()
            .unwrap()
            .remove("starting_at");
        let e = actor_costs(&[], &[usage]).unwrap_err().to_string();
        assert!(
            e.contains("analytics/usage") && e.contains("starting_at"),
            "{e}"
        );
        let mut cost = fixture("analytics_cost");
        cost["data"][1]["cost"]
            .as_object_mut()
            .unwrap()
            .remove("amount");
        let e = actor_costs(&[cost], &[]).unwrap_err().to_string();
        assert!(e.contains("analytics/cost") && e.contains("amount"), "{e}");
    }

    #[test]
    fn a_key_and_its_workspace_are_the_fallbacks() {
        let g = json!({"api_key_id": "apikey_1", "workspace_id": null});
        assert_eq!(via("ann@x.com", &g).0, "api_key:apikey_1|workspace:default");
        let g = json!({"api_key_id": "apikey_1", "workspace_id": "wrkspc_2"});
        assert_eq!(via("api_key:apikey_1", &g).0, "workspace:wrkspc_2");
        assert_eq!(via("ann@x.com", &json!({})).0, "");
    }

    #[test]
    fn the_reconstructed_answers_join_cost_and_tokens_per_actor() {
        let (rows, names) =
            actor_costs(&[fixture("analytics_cost")], &[fixture("analytics_usage")]).unwrap();
        let total: i128 = rows.iter().map(|r| r.fact.cost_nanos).sum();
        // $1,250.3425 (a key), $412.80 (Jane), $9.90 (a service account), $0.12 (no actor),
        // $0.035 (an actor of a kind allot does not know): every cent kept.
        assert_eq!(
            total,
            1_250_342_500_000 + 412_800_000_000 + 9_900_000_000 + 120_000_000 + 35_000_000
        );
        let key = rows
            .iter()
            .find(|r| r.fact.email == "api_key:apikey_01Rj2N8SVvo6BePZj99NhmiT")
            .unwrap();
        assert_eq!(key.via, "workspace:wrkspc_01JwQvzr7rXLA5AGx3HKfFUJ");
        assert_eq!(
            names.get("api_key:apikey_01Rj2N8SVvo6BePZj99NhmiT"),
            Some("nightly-evals")
        );
        let jane = rows
            .iter()
            .find(|r| r.fact.email == "jane@example.com" && r.fact.token_type == "output_tokens")
            .unwrap();
        assert_eq!(jane.fact.tokens, 900);
        assert!(rows.iter().any(|r| r.fact.email == UNATTRIBUTED));
        assert!(rows.iter().any(|r| r.fact.email.starts_with("actor:")));
    }
}
