//! The Admin API's listings of API keys, workspaces and users: the names a report shows beside
//! ids, read once a day and kept dated (`names-history.json`), so a renamed key keeps its old
//! name on the days before the rename was seen. Claude Code's analytics name an API actor by
//! its key's *name*, which is not unique: a name two keys carry is reported, never resolved
//! to either.
//!
//! ASSUMPTIONS (from the public docs, ../shared/api/admin-api-listings.md): an Admin key;
//! `limit` 1 to 1000; ID-cursor paging (`after_id` = the previous page's `last_id`) until
//! `has_more` is false; objects carry `id` and `name` (users: `email` and `name`). Service
//! accounts are listed only with an OAuth token (Admin keys are refused), so their names come
//! from the cost report's actor objects alone.

use std::collections::BTreeMap;

use allot_core::identity::{make, Kind};
use serde_json::Value;

use crate::client::Client;
use crate::error::SyncError;
use crate::key::ApiKey;

/// The API keys' listing.
pub const API_KEYS: &str = "/v1/organizations/api_keys";
/// The workspaces' listing.
pub const WORKSPACES: &str = "/v1/organizations/workspaces";
/// The users' listing.
pub const USERS: &str = "/v1/organizations/users";
/// The largest page the listings give.
const PAGE: &str = "1000";

/// What the listings say.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Listed {
    /// (identity, name): `api_key:apikey_...`, `workspace:wrkspc_...`, and people by email.
    pub names: Vec<(String, String)>,
    /// Key names more than one key carries, with those keys' ids.
    pub ambiguous: BTreeMap<String, Vec<String>>,
}

/// Every object of a listing, page after page.
async fn all(client: &Client, path: &str, key: &ApiKey) -> Result<Vec<Value>, SyncError> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut params = vec![("limit".to_string(), PAGE.to_string())];
        if let Some(a) = &after {
            params.push(("after_id".into(), a.clone()));
        }
        let body = client.one(path, key, &params).await?;
        let data = body["data"]
            .as_array()
            .ok_or_else(|| SyncError::Malformed {
                endpoint: path.to_string(),
                problem: "the answer has no `data` list".into(),
                request: path.to_string(),
            })?;
        out.extend(data.iter().cloned());
        let next = body["last_id"].as_str().map(str::to_string);
        if body["has_more"].as_bool() != Some(true) || next.is_none() || next == after {
            return Ok(out);
        }
        after = next;
    }
}

/// Reads the three listings with the Admin key.
pub async fn list(client: &Client, admin: &ApiKey) -> Result<Listed, SyncError> {
    let text = |v: &Value, k: &str| v[k].as_str().unwrap_or("").trim().to_string();
    let mut listed = Listed::default();
    let mut by_name: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for k in all(client, API_KEYS, admin).await? {
        let (id, name) = (text(&k, "id"), text(&k, "name"));
        if id.is_empty() {
            continue;
        }
        if !name.is_empty() {
            by_name.entry(name.clone()).or_default().push(id.clone());
        }
        listed.names.push((make(Kind::ApiKey, &id), name));
    }
    for w in all(client, WORKSPACES, admin).await? {
        let id = text(&w, "id");
        if !id.is_empty() {
            listed
                .names
                .push((make(Kind::Workspace, &id), text(&w, "name")));
        }
    }
    for u in all(client, USERS, admin).await? {
        let email = text(&u, "email");
        if !email.is_empty() {
            listed
                .names
                .push((make(Kind::Person, &email), text(&u, "name")));
        }
    }
    listed.ambiguous = by_name
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .collect();
    Ok(listed)
}
