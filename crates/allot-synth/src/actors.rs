//! Who spends besides seat users: the API keys, workspaces, service accounts and other actors
//! of a synthetic organisation, and who is behind each cost as the Usage and Cost Analytics
//! API reports it. The organisation's cost no seat user is behind ([`unattributed_costs`]) is
//! split among them exactly, so the older organisation-level reports and the new per-actor one
//! add up to the same total.

use allot_core::facts::CostFact;
use chrono::NaiveDate;

use crate::org::{Org, Person};
use crate::usage::{costs_for, unattributed_costs, Intensity};

/// Who is behind a cost, as the API's `actor` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A seat user.
    User {
        /// `user_...`.
        user_id: String,
        /// The email as the API spells it.
        email: String,
    },
    /// The API key itself.
    ApiKey {
        /// `apikey_...`.
        id: &'static str,
        /// Its name.
        name: &'static str,
    },
    /// A service account.
    ServiceAccount {
        /// `svac_...`.
        id: &'static str,
        /// Its name.
        name: &'static str,
    },
    /// A federated identity (no tagged id).
    Federated {
        /// Its subject.
        subject: &'static str,
    },
    /// A kind of actor allot has never seen.
    Unknown {
        /// Its `type`.
        kind: &'static str,
        /// Its id.
        id: &'static str,
        /// Its name.
        name: &'static str,
    },
    /// No actor at all.
    Nobody,
}

/// One cost fact with who is behind it and what authenticated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorFact {
    /// The fact (its `email` is the user's for users, empty otherwise).
    pub fact: CostFact,
    /// Who.
    pub actor: Actor,
    /// The API key the requests came with, if any.
    pub api_key_id: Option<&'static str>,
    /// The workspace, if not the default one.
    pub workspace_id: Option<&'static str>,
}

pub use crate::ids::{
    AGENT, AUTOMATION, ENGINEERING, ETL_ACCOUNT, ETL_KEY, EVALS_KEY, FEDERATED, SANDBOX_KEY,
    SHARED_KEY,
};

/// The actors the organisation's non-seat cost is split among: (actor, key, workspace, share
/// in percent). Shares add up to 100.
fn non_seat() -> [(Actor, Option<&'static str>, Option<&'static str>, i64); 6] {
    [
        (
            Actor::ApiKey {
                id: EVALS_KEY.0,
                name: EVALS_KEY.1,
            },
            Some(EVALS_KEY.0),
            Some(AUTOMATION.0),
            40,
        ),
        (
            Actor::ServiceAccount {
                id: ETL_ACCOUNT.0,
                name: ETL_ACCOUNT.1,
            },
            Some(ETL_KEY.0),
            Some(AUTOMATION.0),
            25,
        ),
        (
            Actor::ApiKey {
                id: SANDBOX_KEY.0,
                name: SANDBOX_KEY.1,
            },
            Some(SANDBOX_KEY.0),
            None,
            15,
        ),
        (
            Actor::Federated { subject: FEDERATED },
            None,
            Some(AUTOMATION.0),
            10,
        ),
        (
            Actor::Unknown {
                kind: AGENT.0,
                id: AGENT.1,
                name: AGENT.2,
            },
            Some(EVALS_KEY.0),
            Some(AUTOMATION.0),
            6,
        ),
        (Actor::Nobody, None, None, 4),
    ]
}

/// Whether a person runs part of their Claude Code on the shared key.
pub fn on_shared_key(p: &Person) -> bool {
    p.id % 9 == 4
}

/// Every cost of the organisation on `day`, with who is behind it: seat users (some of their
/// Claude Code through the shared key) and the non-seat cost split among the actors exactly
/// (each fact's amount, list amount and tokens by their percentages, the remainder to the last
/// actor), so the split adds up to [`unattributed_costs`].
pub fn actor_costs(org: &Org, day: NaiveDate) -> Vec<ActorFact> {
    let mut out = Vec::new();
    for p in &org.people {
        for f in costs_for(org, p, day, Intensity::Realistic) {
            let keyed = on_shared_key(p) && f.product == "claude_code";
            out.push(ActorFact {
                actor: Actor::User {
                    user_id: p.user_id.clone(),
                    email: f.email.clone(),
                },
                api_key_id: keyed.then_some(SHARED_KEY.0),
                workspace_id: keyed.then_some(ENGINEERING.0),
                fact: f,
            });
        }
    }
    let actors = non_seat();
    for f in unattributed_costs(org, day) {
        let mut given = (0i64, 0i64, 0i64);
        for (i, (actor, key, workspace, pct)) in actors.iter().enumerate() {
            let part = |v: i64, given: i64| {
                if i + 1 == actors.len() {
                    v - given
                } else {
                    v * pct / 100
                }
            };
            let list = f.list_cost_nanos.unwrap_or(f.cost_nanos);
            let (cost, list_part, tokens) = (
                part(f.cost_nanos, given.0),
                part(list, given.1),
                part(f.tokens, given.2),
            );
            given = (given.0 + cost, given.1 + list_part, given.2 + tokens);
            out.push(ActorFact {
                fact: CostFact {
                    cost_nanos: cost,
                    list_cost_nanos: Some(list_part),
                    tokens,
                    ..f.clone()
                },
                actor: actor.clone(),
                api_key_id: *key,
                workspace_id: *workspace,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_adds_up_to_the_organisation_cost_no_seat_user_is_behind() {
        let org = crate::demo_org();
        for day in ["2026-09-01", "2026-09-02", "2026-09-06"] {
            let day: NaiveDate = day.parse().unwrap();
            let all = actor_costs(&org, day);
            let non_seat: i64 = all
                .iter()
                .filter(|a| !matches!(a.actor, Actor::User { .. }))
                .map(|a| a.fact.cost_nanos)
                .sum();
            let expected: i64 = unattributed_costs(&org, day)
                .iter()
                .map(|f| f.cost_nanos)
                .sum();
            assert_eq!(non_seat, expected);
            assert!(all.iter().any(|a| a.api_key_id == Some(SHARED_KEY.0)));
        }
    }
}
