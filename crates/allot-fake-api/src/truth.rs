//! What the fake organisation really spent and did, revisions included: the ground truth every
//! endpoint serves and the tests compare synced data against.

use allot_core::facts::{ActivityFact, CostFact};
use allot_synth::{activity_for, costs_for, unattributed_costs, Intensity, Org};
use chrono::NaiveDate;

/// Days younger than this are still revised.
pub const REVISION_DAYS: i64 = 30;

/// `nanos` as revision `revision` reports it on `day`: each revision adds 1% to values less than
/// 30 days old (exact integers, so every endpoint and the tests agree to the nano-dollar).
pub fn revised(nanos: i64, day: NaiveDate, today: NaiveDate, revision: u32) -> i64 {
    if revision == 0 || (today - day).num_days() >= REVISION_DAYS {
        nanos
    } else {
        nanos + nanos / 100 * i64::from(revision)
    }
}

fn revise(mut f: CostFact, today: NaiveDate, revision: u32) -> CostFact {
    f.cost_nanos = revised(f.cost_nanos, f.date, today, revision);
    f.list_cost_nanos = f
        .list_cost_nanos
        .map(|l| revised(l, f.date, today, revision));
    f
}

/// One user's cost fact and the user id the API reports with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCost {
    /// `user_...` id.
    pub user_id: String,
    /// The fact (email as the API spells it).
    pub fact: CostFact,
}

/// Every seat user's cost facts on `day`, as revision `revision` reports them.
pub fn user_costs(org: &Org, day: NaiveDate, today: NaiveDate, revision: u32) -> Vec<UserCost> {
    let mut out = Vec::new();
    for p in &org.people {
        for f in costs_for(org, p, day, Intensity::Realistic) {
            out.push(UserCost {
                user_id: p.user_id.clone(),
                fact: revise(f, today, revision),
            });
        }
    }
    out
}

/// Cost on `day` no seat user is behind (API keys, automations), as revision `revision` reports it.
pub fn unattributed(org: &Org, day: NaiveDate, today: NaiveDate, revision: u32) -> Vec<CostFact> {
    unattributed_costs(org, day)
        .into_iter()
        .map(|f| revise(f, today, revision))
        .collect()
}

/// Everything the organisation spent on `day`: seat users' cost and the unattributed rest.
pub fn org_costs(org: &Org, day: NaiveDate, today: NaiveDate, revision: u32) -> Vec<CostFact> {
    let mut out: Vec<CostFact> = user_costs(org, day, today, revision)
        .into_iter()
        .map(|u| u.fact)
        .collect();
    out.extend(unattributed(org, day, today, revision));
    out
}

/// Every cost of the organisation on `day` with who is behind it and what authenticated it, as
/// the Usage and Cost Analytics API reports it (revision `revision`): the same facts as
/// [`org_costs`], so both APIs add up to the same total.
pub fn actor_costs(
    org: &Org,
    day: NaiveDate,
    today: NaiveDate,
    revision: u32,
) -> Vec<allot_synth::ActorFact> {
    allot_synth::actor_costs(org, day)
        .into_iter()
        .map(|mut a| {
            a.fact = revise(a.fact, today, revision);
            a
        })
        .collect()
}

/// The identity allot gives an actor the Usage and Cost Analytics API names (its ground truth
/// for tests that compare synced facts with what the fake served).
pub fn identity(actor: &allot_synth::Actor) -> String {
    use allot_synth::Actor;
    match actor {
        Actor::User { email, .. } => email.to_lowercase(),
        Actor::ApiKey { id, .. } => format!("api_key:{id}"),
        Actor::ServiceAccount { id, .. } => format!("service_account:{id}"),
        Actor::Federated { subject } => format!("federated:{subject}"),
        Actor::Unknown { kind, id, .. } => format!("actor:{kind}/{id}"),
        Actor::Nobody => "unattributed:org".into(),
    }
}

/// Every user's Claude Code activity on `day`, with their user id.
pub fn activity(org: &Org, day: NaiveDate) -> Vec<(String, ActivityFact)> {
    org.people
        .iter()
        .filter_map(|p| activity_for(org, p, day).map(|a| (p.user_id.clone(), a)))
        .collect()
}

/// The days `from..to` (end exclusive).
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d < to)
}

/// The fewest requests a client can make to sync `[from, to)` (at most 31 days) from this
/// organisation, per endpoint: pages at the largest `limit` (1,000 rows of the Usage and Cost
/// Analytics API, whose every row counts; 1,000 people per engagement day), one summaries
/// request, one request per day for the per-day catalogues. The older Enterprise cost reports
/// are not asked for: the Usage and Cost Analytics API replaces them.
pub fn minimum_requests(
    org: &Org,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<(&'static str, u64)> {
    use std::collections::BTreeSet;
    // A usage row's unit (day, actor, key, workspace, product, model, window); a cost row's
    // is that and its cost type and token type.
    type Unit = (
        NaiveDate,
        String,
        Option<&'static str>,
        Option<&'static str>,
        String,
        String,
        String,
    );
    let pages = |n: usize| (n.max(1)).div_ceil(1000) as u64;
    let mut usage: BTreeSet<Unit> = BTreeSet::new();
    let mut cost: BTreeSet<(Unit, String, String)> = BTreeSet::new();
    let (mut users, mut code) = (0, 0);
    let n_days = days(from, to).count() as u64;
    for day in days(from, to) {
        let mut active: BTreeSet<String> = BTreeSet::new();
        for a in actor_costs(org, day, today, 0) {
            let who = identity(&a.actor);
            let f = &a.fact;
            if let allot_synth::Actor::User { user_id, .. } = &a.actor {
                active.insert(user_id.clone());
            }
            let unit = (
                day,
                who,
                a.api_key_id,
                a.workspace_id,
                f.product.clone(),
                f.model.clone(),
                f.context_window.clone(),
            );
            if f.cost_nanos != 0 {
                cost.insert((unit.clone(), f.cost_type.clone(), f.token_type.clone()));
            }
            if f.tokens != 0 && matches!(f.cost_type.as_str(), "tokens" | "web_search") {
                usage.insert(unit);
            }
        }
        users += pages(active.len());
        code += pages(activity(org, day).len());
    }
    let windows = n_days.div_ceil(31);
    vec![
        ("analytics/usage", pages(usage.len())),
        ("analytics/cost", pages(cost.len())),
        ("summaries", windows),
        ("users", users),
        ("apps/chat/projects", n_days),
        ("skills", n_days),
        ("connectors", n_days),
        ("usage_report/claude_code", code),
    ]
}
