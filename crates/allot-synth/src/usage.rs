//! Daily cost and activity facts of synthetic people, priced at list rates with a fixed
//! enterprise discount, exact to the nano-dollar.

use std::io::{self, Write};

use allot_core::facts::{ActivityFact, CostFact};
use allot_core::Nanos;
use chrono::{Datelike, NaiveDate, Weekday};

use crate::org::{Event, Org, Person, Role};
use crate::rng::Rng;

/// How much usage to generate per person-day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intensity {
    /// Realistic: people skip days, weekends are quiet, a handful of cost components a day.
    Realistic,
    /// Benchmark load: everyone, every day, about 14 cost components (8.6M rows for 20,000 people in a month).
    Dense,
}

/// (model, list nanos per token for uncached input, output, cache read, 5m cache write, 1h cache write)
const MODELS: [(&str, [i64; 5]); 3] = [
    ("claude-opus-4-6", [5_000, 25_000, 500, 6_250, 10_000]),
    ("claude-sonnet-4-6", [3_000, 15_000, 300, 3_750, 6_000]),
    ("claude-haiku-4-5", [1_000, 5_000, 100, 1_250, 2_000]),
];
const TOKEN_TYPES: [&str; 5] = [
    "uncached_input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation.ephemeral_5m_input_tokens",
    "cache_creation.ephemeral_1h_input_tokens",
];
/// Tokens of each type per 100 uncached input tokens.
const TOKEN_MIX: [u64; 5] = [100, 22, 340, 30, 6];
/// Net price is 80% of list (an enterprise discount).
const NET_NUM: i64 = 4;
const NET_DEN: i64 = 5;
/// Web search costs $10 per 1,000 searches, list.
const SEARCH_NANOS: i64 = 10_000_000;

fn day_number(day: NaiveDate) -> u64 {
    u64::try_from(day.num_days_from_ce()).unwrap_or(0)
}

fn active(person: &Person, day: NaiveDate, r: &mut Rng) -> bool {
    if person.last_active.is_some_and(|l| day > l) {
        return false;
    }
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let per_mille = match (person.role, weekend) {
        (Role::Engineer, false) => 880,
        (Role::Knowledge, false) => 640,
        (_, true) => 90,
    };
    r.chance(per_mille)
}

/// The cost facts of one person on one day (empty when they did not use Claude).
pub fn costs_for(
    org: &Org,
    person: &Person,
    day: NaiveDate,
    intensity: Intensity,
) -> Vec<CostFact> {
    let mut r = Rng::new(&[org.seed, person.id, day_number(day), 2]);
    if intensity == Intensity::Realistic && !active(person, day, &mut r) {
        return Vec::new();
    }
    // Planted events change a person's volume and long-context share from a day on.
    let mut adjusted;
    let person = if org.events.is_empty() {
        person
    } else {
        adjusted = person.clone();
        for e in &org.events {
            match e {
                Event::Ramp {
                    people,
                    from,
                    percent,
                } if day >= *from && people.contains(&person.id) => {
                    adjusted.volume = adjusted.volume * percent / 100;
                }
                Event::Starts {
                    person: p, from, ..
                } if *p == person.id && day < *from => {
                    return Vec::new();
                }
                Event::Starts {
                    person: p, percent, ..
                } if *p == person.id => {
                    adjusted.volume = adjusted.volume * percent / 100;
                }
                Event::LongContext {
                    person: p,
                    from,
                    per_mille,
                } if *p == person.id && day >= *from => {
                    adjusted.long_context = *per_mille;
                }
                _ => {}
            }
        }
        &adjusted
    };
    let products: &[&str] = match (intensity, person.role) {
        (Intensity::Dense, _) => &["claude_code", "chat"],
        (_, Role::Engineer) => {
            if r.chance(500) {
                &["claude_code", "chat"]
            } else {
                &["claude_code"]
            }
        }
        (_, Role::Knowledge) => {
            if r.chance(150) {
                &["chat", "cowork"]
            } else {
                &["chat"]
            }
        }
    };
    let mut out = Vec::new();
    for (pi, product) in products.iter().enumerate() {
        let models: Vec<usize> = if intensity == Intensity::Dense {
            if pi == 0 && r.chance(870) {
                vec![0, 1]
            } else {
                vec![usize::from(r.chance(500))]
            }
        } else if r.chance(person.opus_share) {
            if r.chance(300) {
                vec![0, 2]
            } else {
                vec![0]
            }
        } else if r.chance(150) {
            vec![2]
        } else {
            vec![1]
        };
        let share = if *product == "claude_code" { 100 } else { 35 };
        for m in models {
            let (model, prices) = MODELS[m];
            let input = r.skewed(person.volume * share / 100 / 2).max(1);
            let long = m != 2 && person.long_context > 0 && r.chance(person.long_context);
            let window = if long { "200k-1M" } else { "0-200k" };
            for (t, token_type) in TOKEN_TYPES.iter().enumerate() {
                if intensity == Intensity::Realistic && t == 4 && !r.chance(200) {
                    continue;
                }
                let tokens = (input * TOKEN_MIX[t] / 100).max(1) as i64;
                let price = if long { prices[t] * 2 } else { prices[t] };
                let list = tokens * price;
                out.push(CostFact {
                    date: day,
                    email: person.usage_email.clone(),
                    product: (*product).to_string(),
                    model: model.to_string(),
                    context_window: window.to_string(),
                    cost_type: "tokens".into(),
                    token_type: (*token_type).to_string(),
                    tokens,
                    cost_nanos: list * NET_NUM / NET_DEN,
                    list_cost_nanos: Some(list),
                });
            }
        }
        if intensity == Intensity::Realistic && r.chance(120) {
            let searches = r.range(1, 40) as i64;
            out.push(CostFact {
                date: day,
                email: person.usage_email.clone(),
                product: (*product).to_string(),
                model: MODELS[1].0.to_string(),
                context_window: "0-200k".into(),
                cost_type: "web_search".into(),
                token_type: String::new(),
                tokens: searches,
                cost_nanos: searches * SEARCH_NANOS * NET_NUM / NET_DEN,
                list_cost_nanos: Some(searches * SEARCH_NANOS),
            });
        }
    }
    out
}

/// Cost on `day` that no seat user is behind (API keys, automations): it appears in the
/// organisation-level cost, not per user, and is what reconciliation's "not attributable to a seat
/// user" bucket and the shared-cost pool are about. Product `other`, as the API reports it.
pub fn unattributed_costs(org: &Org, day: NaiveDate) -> Vec<CostFact> {
    let mut r = Rng::new(&[org.seed, day_number(day), 9]);
    let (model, prices) = MODELS[1];
    let input = r.range(400_000, 2_400_000) as i64;
    [(0usize, input), (1, input / 5)]
        .into_iter()
        .map(|(t, tokens)| {
            let list = tokens * prices[t];
            CostFact {
                date: day,
                email: String::new(),
                product: "other".into(),
                model: model.to_string(),
                context_window: "0-200k".into(),
                cost_type: "tokens".into(),
                token_type: TOKEN_TYPES[t].to_string(),
                tokens,
                cost_nanos: list * NET_NUM / NET_DEN,
                list_cost_nanos: Some(list),
            }
        })
        .collect()
}

/// The Claude Code activity of one person on one day, if they had any.
pub fn activity_for(org: &Org, person: &Person, day: NaiveDate) -> Option<ActivityFact> {
    let costs = costs_for(org, person, day, Intensity::Realistic);
    if !costs.iter().any(|c| c.product == "claude_code") {
        return None;
    }
    let mut r = Rng::new(&[org.seed, person.id, day_number(day), 3]);
    let sessions = r.range(1, 6) as i64;
    // Some people spend without shipping: their commits stay at zero.
    let ships = person.id % 11 != 4;
    let commits = if ships { r.range(0, 7) as i64 } else { 0 };
    let pull_requests = if commits > 0 && r.chance(350) {
        r.range(1, 2) as i64
    } else {
        0
    };
    Some(ActivityFact {
        date: day,
        email: person.usage_email.clone(),
        sessions,
        commits,
        pull_requests,
        lines_added: commits * r.range(10, 220) as i64,
        lines_removed: commits * r.range(2, 80) as i64,
    })
}

fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Writes every cost fact of `org` from `from` to `to` (inclusive) as a cost-fact CSV; returns
/// the number of rows and their exact total.
pub fn write_costs_csv(
    org: &Org,
    from: NaiveDate,
    to: NaiveDate,
    intensity: Intensity,
    w: &mut dyn Write,
) -> io::Result<(u64, Nanos)> {
    writeln!(
        w,
        "date,email,user_id,product,model,context_window,cost_type,token_type,tokens,cost_usd,list_cost_usd"
    )?;
    let mut rows = 0;
    let mut total = Nanos::ZERO;
    for day in days(from, to) {
        for p in &org.people {
            for f in costs_for(org, p, day, intensity) {
                writeln!(
                    w,
                    "{},{},{},{},{},{},{},{},{},{},{}",
                    f.date,
                    f.email,
                    p.user_id,
                    f.product,
                    f.model,
                    f.context_window,
                    f.cost_type,
                    f.token_type,
                    f.tokens,
                    Nanos(i128::from(f.cost_nanos)).to_decimal(),
                    f.list_cost_nanos
                        .map(|l| Nanos(i128::from(l)).to_decimal().to_string())
                        .unwrap_or_default()
                )?;
                rows += 1;
                total += Nanos(i128::from(f.cost_nanos));
            }
        }
    }
    Ok((rows, total))
}

/// Writes every activity fact of `org` from `from` to `to` (inclusive) as an activity-fact CSV.
pub fn write_activity_csv(
    org: &Org,
    from: NaiveDate,
    to: NaiveDate,
    w: &mut dyn Write,
) -> io::Result<u64> {
    writeln!(
        w,
        "date,email,sessions,commits,pull_requests,lines_added,lines_removed"
    )?;
    let mut rows = 0;
    for day in days(from, to) {
        for p in &org.people {
            if let Some(a) = activity_for(org, p, day) {
                writeln!(
                    w,
                    "{},{},{},{},{},{},{}",
                    a.date,
                    a.email,
                    a.sessions,
                    a.commits,
                    a.pull_requests,
                    a.lines_added,
                    a.lines_removed
                )?;
                rows += 1;
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::demo_org;

    #[test]
    fn the_same_person_and_day_always_give_the_same_facts() {
        let org = demo_org();
        let day = NaiveDate::from_ymd_opt(2026, 9, 15).unwrap();
        let p = &org.people[7];
        assert_eq!(
            costs_for(&org, p, day, Intensity::Realistic),
            costs_for(&org, p, day, Intensity::Realistic)
        );
    }

    #[test]
    fn net_cost_is_exactly_the_discounted_list_price() {
        let org = demo_org();
        let day = NaiveDate::from_ymd_opt(2026, 9, 15).unwrap();
        for p in &org.people {
            for f in costs_for(&org, p, day, Intensity::Realistic) {
                assert_eq!(f.cost_nanos * NET_DEN, f.list_cost_nanos.unwrap() * NET_NUM);
            }
        }
    }

    #[test]
    fn dense_load_is_about_fourteen_components_a_day() {
        let org = crate::org::scale_org(300);
        let day = NaiveDate::from_ymd_opt(2026, 9, 15).unwrap();
        let rows: usize = org
            .people
            .iter()
            .map(|p| costs_for(&org, p, day, Intensity::Dense).len())
            .sum();
        let per_person = rows as f64 / 300.0;
        assert!((13.5..15.0).contains(&per_person), "{per_person}");
    }
}
