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
/// organisation, per endpoint: pages at the largest `limit` (1,000 units per-user and per-day,
/// 31 buckets over time), one request per day for the per-day endpoints.
pub fn minimum_requests(
    org: &Org,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
) -> Vec<(&'static str, u64)> {
    use std::collections::BTreeSet;
    let pages = |n: usize| (n.max(1)).div_ceil(1000) as u64;
    let mut units: BTreeSet<(NaiveDate, String, String, String, String)> = BTreeSet::new();
    let (mut users, mut code) = (0, 0);
    let n_days = days(from, to).count() as u64;
    for day in days(from, to) {
        let costs = user_costs(org, day, today, 0);
        let mut active: BTreeSet<&str> = BTreeSet::new();
        for u in &costs {
            active.insert(&u.user_id);
            units.insert((
                day,
                u.user_id.clone(),
                u.fact.product.clone(),
                u.fact.model.clone(),
                u.fact.context_window.clone(),
            ));
        }
        users += pages(active.len());
        code += pages(activity(org, day).len());
    }
    let windows = n_days.div_ceil(31);
    vec![
        ("user_usage_report", pages(units.len())),
        ("user_cost_report", pages(units.len())),
        ("usage_report", windows),
        ("cost_report", windows),
        ("summaries", windows),
        ("users", users),
        ("apps/chat/projects", n_days),
        ("skills", n_days),
        ("connectors", n_days),
        ("usage_report/claude_code", code),
    ]
}
