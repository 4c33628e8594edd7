//! Who a cost belongs to. Seat users are identified by their email (as before); everything
//! else that spends (an API key, a service account, a federated identity, a cloud principal, a
//! cloud account, an actor of a kind allot does not know yet) by a typed identity `kind:id`,
//! e.g. `api_key:apikey_01Rj2N8S`. Facts and mapping rows carry identities in their `email`
//! column, so the whole engine charges people and non-person actors alike.
//!
//! A fact may also name where its cost falls back to when its actor has no mapping row on that
//! day (`via`: the API key that authenticated the request, then its workspace; or a cloud
//! bill's cost-center tag, then its account), identities separated by `|`. The most specific
//! identity with a mapping row on the day is charged ([`resolve`]); when none has one, the
//! actor is, and goes to `UNMAPPED` like an unmapped person.

use std::collections::BTreeMap;

/// Separates the identities of a fact's `via` chain.
pub const VIA_SEPARATOR: char = '|';

/// The kind of an identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A seat user (an email, or a user id when the API gives no email, e.g. a deleted user).
    Person,
    /// An API key, for cost attributed to the key itself (or reached through `via`).
    ApiKey,
    /// A workspace of the organisation (`default` for the default workspace).
    Workspace,
    /// A service account (`svac_...`).
    ServiceAccount,
    /// A federated identity (no tagged id in the API; named by its subject).
    Federated,
    /// A cloud principal (an IAM role or user) from a cloud bill, when it is not an email.
    Principal,
    /// A cloud account (or project, subscription) from a cloud bill.
    Account,
    /// A cost center named directly, by a cloud bill's tag.
    CostCenter,
    /// Organisation cost with no actor at all.
    Unattributed,
    /// An actor of a kind allot does not know: kept, named, charged to `UNMAPPED`.
    Other,
}

impl Kind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Kind; 10] = [
        Kind::Person,
        Kind::ApiKey,
        Kind::Workspace,
        Kind::ServiceAccount,
        Kind::Federated,
        Kind::Principal,
        Kind::Account,
        Kind::CostCenter,
        Kind::Unattributed,
        Kind::Other,
    ];

    /// The prefix of its identities (`api_key` in `api_key:apikey_01...`); empty for people.
    pub fn prefix(self) -> &'static str {
        match self {
            Kind::Person => "",
            Kind::ApiKey => "api_key",
            Kind::Workspace => "workspace",
            Kind::ServiceAccount => "service_account",
            Kind::Federated => "federated",
            Kind::Principal => "principal",
            Kind::Account => "account",
            Kind::CostCenter => "cost_center",
            Kind::Unattributed => "unattributed",
            Kind::Other => "actor",
        }
    }

    /// The word reports use in their `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Person => "person",
            other => other.prefix(),
        }
    }

    /// The mapping column that maps identities of this kind, if any can be mapped.
    pub fn mapping_column(self) -> Option<&'static str> {
        match self {
            Kind::Person => Some("email"),
            Kind::ApiKey => Some("api_key_id"),
            Kind::Workspace => Some("workspace_id"),
            Kind::ServiceAccount => Some("service_account_id"),
            Kind::Principal => Some("principal_id"),
            Kind::Account => Some("account_id"),
            _ => None,
        }
    }

    /// How a person reads the kind, e.g. `API key`.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Person => "person",
            Kind::ApiKey => "API key",
            Kind::Workspace => "workspace",
            Kind::ServiceAccount => "service account",
            Kind::Federated => "federated identity",
            Kind::Principal => "cloud principal",
            Kind::Account => "cloud account",
            Kind::CostCenter => "cost center tag",
            Kind::Unattributed => "no actor",
            Kind::Other => "actor",
        }
    }
}

/// The kinds a mapping row can map, with their column, in the order the columns are looked for.
pub const MAPPABLE: [Kind; 6] = [
    Kind::Person,
    Kind::ApiKey,
    Kind::Workspace,
    Kind::ServiceAccount,
    Kind::Principal,
    Kind::Account,
];

/// The identity of organisation cost that no actor is behind.
pub const UNATTRIBUTED: &str = "unattributed:org";

/// The kind of an identity and its id (`("apikey_01", ApiKey)`); a string with no known prefix
/// is a person.
pub fn split(identity: &str) -> (Kind, &str) {
    if let Some((head, id)) = identity.split_once(':') {
        for k in Kind::ALL.iter().skip(1) {
            if head == k.prefix() {
                return (*k, id);
            }
        }
    }
    (Kind::Person, identity)
}

/// The kind of an identity.
pub fn kind(identity: &str) -> Kind {
    split(identity).0
}

/// Whether an identity is a person (an email or a user id).
pub fn is_person(identity: &str) -> bool {
    kind(identity) == Kind::Person
}

/// The identity of `id` of `kind`: a person's email trimmed and lower-cased (matched
/// case-insensitively, as before), anything else `kind:id` with the id as written (ids are
/// case-sensitive).
pub fn make(kind: Kind, id: &str) -> String {
    match kind {
        Kind::Person => id.trim().to_lowercase(),
        k => format!("{}:{}", k.prefix(), id.trim()),
    }
}

/// Normalises an identity for matching: a person's email trimmed and lower-cased; a typed
/// identity trimmed, its id kept as written.
pub fn normalize(identity: &str) -> String {
    let t = identity.trim();
    match split(t) {
        (Kind::Person, _) => t.to_lowercase(),
        (k, id) => format!("{}:{}", k.prefix(), id.trim()),
    }
}

/// The identities of a `via` column (`|`-separated), in order.
pub fn chain(via: &str) -> impl Iterator<Item = &str> {
    via.split(VIA_SEPARATOR)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The identity charged for a fact of `actor` with fallbacks `chain`: the first of them that
/// `mapped` says has a mapping row (on the fact's day), else the actor.
pub fn resolve<'a>(
    actor: &'a str,
    chain: impl IntoIterator<Item = &'a str>,
    mapped: impl Fn(&str) -> bool,
) -> &'a str {
    std::iter::once(actor)
        .chain(chain)
        .find(|i| mapped(i))
        .unwrap_or(actor)
}

/// Readable names of non-person identities, as the APIs or bills give them (an API key's
/// name, a workspace's, a cloud account's), for reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names(pub BTreeMap<String, String>);

impl Names {
    /// The name of an identity, if known.
    pub fn get(&self, identity: &str) -> Option<&str> {
        self.0.get(identity).map(String::as_str)
    }

    /// Records a name (empty names are ignored; a later name replaces an earlier one).
    pub fn insert(&mut self, identity: String, name: &str) {
        let name = name.trim();
        if !name.is_empty() {
            self.0.insert(identity, name.to_string());
        }
    }

    /// Adds every name of `other`.
    pub fn extend(&mut self, other: &Names) {
        for (k, v) in &other.0 {
            self.0.insert(k.clone(), v.clone());
        }
    }

    /// How a report names an identity: a person's email as it is; anything else its kind, its
    /// name when known and its id: `API key "ci-bot" (apikey_01)`.
    pub fn label(&self, identity: &str) -> String {
        let (kind, id) = split(identity);
        match (kind, self.get(identity)) {
            (Kind::Person, _) => identity.to_string(),
            (Kind::Unattributed, _) => "no actor (organisation cost)".to_string(),
            (k, Some(name)) if name != id => format!("{} \"{name}\" ({id})", k.label()),
            (k, _) => format!("{} {id}", k.label()),
        }
    }
}

/// Names over time, as the Admin API's listings gave them on each sync: every identity's names,
/// each with the day it was first listed, so a renamed API key keeps its old name on the days
/// before the rename was seen. Stored by the sync as `names-history.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NameHistory {
    /// The last day the listings were read (a sync lists them once a day).
    pub listed_on: Option<chrono::NaiveDate>,
    /// Each identity's names, oldest first, with the day each was first seen.
    pub names: BTreeMap<String, Vec<(chrono::NaiveDate, String)>>,
}

impl NameHistory {
    /// Records the name an identity is listed with on `day`; returns whether it is new or
    /// changed (the same name again records nothing).
    pub fn record(&mut self, identity: String, name: &str, day: chrono::NaiveDate) -> bool {
        let name = name.trim();
        if name.is_empty() {
            return false;
        }
        let seen = self.names.entry(identity).or_default();
        if seen.last().is_some_and(|(_, n)| n == name) {
            return false;
        }
        seen.push((day, name.to_string()));
        true
    }

    /// Every identity's name on `day`: the last one listed on or before it, else (a day before
    /// the first listing) the first one listed.
    pub fn on(&self, day: chrono::NaiveDate) -> Names {
        let mut out = Names::default();
        for (identity, seen) in &self.names {
            let name = seen
                .iter()
                .rev()
                .find(|(since, _)| *since <= day)
                .or_else(|| seen.first())
                .map(|(_, n)| n.as_str());
            if let Some(name) = name {
                out.insert(identity.clone(), name);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip_and_people_are_the_default() {
        assert_eq!(make(Kind::ApiKey, " apikey_01AbC "), "api_key:apikey_01AbC");
        assert_eq!(
            split("api_key:apikey_01AbC"),
            (Kind::ApiKey, "apikey_01AbC")
        );
        assert_eq!(make(Kind::Person, " Ann@X.com"), "ann@x.com");
        assert_eq!(kind("ann@x.com"), Kind::Person);
        assert_eq!(kind("user_01abc"), Kind::Person);
        assert_eq!(
            kind("mailto:ann@x.com"),
            Kind::Person,
            "an unknown prefix is no kind"
        );
        assert_eq!(
            normalize(" principal:arn:aws:iam::1:role/CI "),
            "principal:arn:aws:iam::1:role/CI"
        );
        assert_eq!(normalize(" Ann@X.com "), "ann@x.com");
        assert_eq!(kind(UNATTRIBUTED), Kind::Unattributed);
        for k in Kind::ALL {
            if k != Kind::Person {
                assert_eq!(kind(&make(k, "x")), k);
            }
        }
    }

    #[test]
    fn the_most_specific_mapped_identity_is_charged() {
        let mapped = |m: &'static [&'static str]| move |i: &str| m.contains(&i);
        let via = " api_key:k1 | workspace:w1|";
        assert_eq!(
            chain(via).collect::<Vec<_>>(),
            vec!["api_key:k1", "workspace:w1"]
        );
        let r = |actor, m| resolve(actor, chain(via), m);
        assert_eq!(
            r("ann@x.com", mapped(&["ann@x.com", "api_key:k1"])),
            "ann@x.com"
        );
        assert_eq!(
            r("service_account:s", mapped(&["api_key:k1"])),
            "api_key:k1"
        );
        assert_eq!(
            r("service_account:s", mapped(&["workspace:w1"])),
            "workspace:w1"
        );
        assert_eq!(r("service_account:s", mapped(&[])), "service_account:s");
        assert_eq!(resolve("actor:x/1", chain(""), mapped(&[])), "actor:x/1");
    }

    #[test]
    fn labels_name_the_kind_and_the_id() {
        let mut n = Names::default();
        n.insert("api_key:k1".into(), "ci-bot");
        assert_eq!(n.label("api_key:k1"), "API key \"ci-bot\" (k1)");
        assert_eq!(n.label("workspace:w1"), "workspace w1");
        assert_eq!(n.label("ann@x.com"), "ann@x.com");
        assert_eq!(n.label(UNATTRIBUTED), "no actor (organisation cost)");
    }

    #[test]
    fn a_renamed_key_keeps_its_old_name_on_the_days_before_the_rename() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
        let mut h = NameHistory::default();
        assert!(h.record("api_key:k1".into(), "sandbox", d("2026-10-01")));
        assert!(!h.record("api_key:k1".into(), "sandbox", d("2026-10-02")));
        assert!(h.record("api_key:k1".into(), "sandbox-retired", d("2026-11-15")));
        assert_eq!(h.on(d("2026-09-01")).get("api_key:k1"), Some("sandbox"));
        assert_eq!(h.on(d("2026-11-14")).get("api_key:k1"), Some("sandbox"));
        assert_eq!(
            h.on(d("2026-11-15")).get("api_key:k1"),
            Some("sandbox-retired")
        );
        assert_eq!(
            h.on(d("2026-12-01")).get("api_key:k1"),
            Some("sandbox-retired")
        );
    }
}
