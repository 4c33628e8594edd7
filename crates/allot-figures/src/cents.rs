//! Round once: the cents of a period's lines, of each person on each line and of each person,
//! computed once from the chargeback and reused by every report and every breakdown, so a team
//! shows the same amount in the chargeback, the efficiency review, the context-window review
//! and the model mix, and the parts of any breakdown add up to it.

use std::collections::BTreeMap;

use allot_core::alloc::{largest_remainder_to, round_to_cents, round_tree, split_proportional};
use allot_core::money::div_round_half_away;
use allot_core::money::NANOS_PER_CENT;
use allot_core::results::Chargeback;
use allot_core::Nanos;

/// The cents of one period at one level.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeriodCents {
    /// Each line's cents, as the chargeback shows them (top-down through the hierarchy).
    pub lines: BTreeMap<String, i64>,
    /// Each person's cents on each line: the line's cents split among its people by largest
    /// remainder, so they add up to the line.
    pub cells: BTreeMap<(String, String), i64>,
    /// Each person's cents: the sum of their cells (a person who moved team in the period has
    /// one cell per team).
    pub persons: BTreeMap<String, i64>,
    /// The period's total cents.
    pub total: i64,
}

impl PeriodCents {
    /// The cents of `cb`'s lines, cells and people.
    pub fn of(cb: &Chargeback) -> PeriodCents {
        let mut lines = BTreeMap::new();
        for (l, c) in cb.lines.iter().zip(line_cents(cb)) {
            lines.insert(l.key.clone(), c);
        }
        let mut by_line: BTreeMap<&str, Vec<(&str, Nanos)>> = BTreeMap::new();
        for p in &cb.people {
            by_line
                .entry(p.key.as_str())
                .or_default()
                .push((p.email.as_str(), p.amount));
        }
        let mut cells = BTreeMap::new();
        let mut persons: BTreeMap<String, i64> = BTreeMap::new();
        for (key, people) in by_line {
            let target = lines.get(key).copied().unwrap_or(0);
            for ((email, _), c) in people.iter().zip(split(target, &people)) {
                cells.insert((key.to_string(), (*email).to_string()), c);
                *persons.entry((*email).to_string()).or_default() += c;
            }
        }
        PeriodCents {
            total: lines.values().sum(),
            lines,
            cells,
            persons,
        }
    }

    /// A line's cents (0 for a line with no cost).
    pub fn line(&self, key: &str) -> i64 {
        self.lines.get(key).copied().unwrap_or(0)
    }

    /// A person's cents on a line.
    pub fn cell(&self, key: &str, email: &str) -> i64 {
        self.cells
            .get(&(key.to_string(), email.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// A person's cents over every line.
    pub fn person(&self, email: &str) -> Option<i64> {
        self.persons.get(email).copied()
    }
}

/// Splits `target` cents across exact `parts` so the cents add up to `target` exactly.
///
/// When `target` is within a cent of the parts' exact sum (a line's cents, a person's cents on
/// one line), this is the largest-remainder rule: every part is its exact value rounded down
/// or up. Otherwise (a person's cents over several lines can be a few cents from their exact
/// sum) the parts are rounded to their own total first and the difference goes a cent at a
/// time to the largest parts (ties to the smaller key). Returned in input order.
pub fn split<K: Ord + Clone>(target: i64, parts: &[(K, Nanos)]) -> Vec<i64> {
    if parts.is_empty() {
        return Vec::new();
    }
    let unit = i128::from(NANOS_PER_CENT);
    let floors: i128 = parts.iter().map(|(_, n)| n.0.div_euclid(unit)).sum();
    let extra = i128::from(target) - floors;
    if (0..=parts.len() as i128).contains(&extra) {
        let keyed: Vec<(&K, i128)> = parts.iter().map(|(k, n)| (k, n.0)).collect();
        return largest_remainder_to(&keyed, unit, i128::from(target));
    }
    let mut cents = round_to_cents(parts);
    let mut diff = target - cents.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        parts[b]
            .1
             .0
            .abs()
            .cmp(&parts[a].1 .0.abs())
            .then_with(|| parts[a].0.cmp(&parts[b].0))
    });
    let step = diff.signum();
    let mut i = 0;
    while diff != 0 {
        cents[order[i % order.len()]] += step;
        diff -= step;
        i += 1;
    }
    cents
}

/// Whether `cents` is within one cent of `exact` (what largest-remainder rounding promises).
pub fn within_a_cent(cents: i64, exact: Nanos) -> bool {
    (i128::from(cents) * i128::from(NANOS_PER_CENT) - exact.0).abs() < i128::from(NANOS_PER_CENT)
}

/// Shares of a whole in hundredths of a percent.
///
/// When every part has the same sign as the whole (all costs, or all credits), the shares are
/// split by largest remainder and sum to exactly 100.00. When credits and costs are mixed, a
/// share can be negative or above 100, so each is rounded on its own (they still sum to
/// 100.00 within a hundredth per part). When the whole is zero there is nothing to share:
/// every share is empty.
pub fn shares(parts: &[(String, Nanos)]) -> Vec<Option<i64>> {
    let total: i128 = parts.iter().map(|(_, n)| n.0).sum();
    if total == 0 {
        return vec![None; parts.len()];
    }
    let same_sign = parts
        .iter()
        .all(|(_, n)| n.0 == 0 || n.0.signum() == total.signum());
    if same_sign {
        let weights: Vec<(&str, i128)> =
            parts.iter().map(|(k, n)| (k.as_str(), n.0.abs())).collect();
        if let Some(split) = split_proportional(10_000, &weights) {
            return split.into_iter().map(Some).collect();
        }
    }
    parts
        .iter()
        .map(|(_, n)| Some(div_round_half_away(n.0 * 10_000, total) as i64))
        .collect()
}

/// Cents of every chargeback line: top-down through the hierarchy when the chargeback carries
/// one (so each level adds up to the level above), else largest remainder across the lines.
pub fn line_cents(cb: &Chargeback) -> Vec<i64> {
    if !cb.rollup.is_empty() && !cb.tree.is_empty() {
        // Each line is whole cost centers: the sum of their cents, as the cost-center
        // chargeback rounds them (top-down through the hierarchy).
        let levels = round_tree(&cb.tree);
        let mut by_key: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for (path, cents) in &levels[levels.len() - 1] {
            if let Some(key) = path.last().and_then(|cc| cb.rollup.get(cc)) {
                *by_key.entry(key.as_str()).or_default() += cents;
            }
        }
        return cb
            .lines
            .iter()
            .map(|l| by_key.get(l.key.as_str()).copied().unwrap_or(0))
            .collect();
    }
    if !cb.tree.is_empty() {
        let levels = round_tree(&cb.tree);
        let level = &levels[cb.tree_depth];
        let mut by_key: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
        for (path, cents) in level {
            *by_key.entry(path[cb.tree_depth].as_str()).or_default() += cents;
        }
        return cb
            .lines
            .iter()
            .map(|l| by_key.get(l.key.as_str()).copied().unwrap_or(0))
            .collect();
    }
    let parts: Vec<(String, Nanos)> = cb.lines.iter().map(|l| (l.key.clone(), l.amount)).collect();
    round_to_cents(&parts)
}

/// The people counted on each line for a per-user split: each person once, on the line where
/// they spent most (ties to the first line by name). API keys and other actors are not people.
pub fn users_by_main_line(cb: &Chargeback) -> std::collections::BTreeMap<String, u64> {
    let mut best: std::collections::BTreeMap<&str, (&str, Nanos)> =
        std::collections::BTreeMap::new();
    for p in cb
        .people
        .iter()
        .filter(|p| allot_core::identity::is_person(&p.email))
    {
        let e = best
            .entry(p.email.as_str())
            .or_insert((p.key.as_str(), p.amount));
        if p.amount > e.1 || (p.amount == e.1 && p.key.as_str() < e.0) {
            *e = (p.key.as_str(), p.amount);
        }
    }
    let mut out = std::collections::BTreeMap::new();
    for (key, _) in best.values() {
        *out.entry((*key).to_string()).or_insert(0) += 1;
    }
    out
}

/// The share of attributed cost that reached a real cost center in hundredths of a percent
/// (`9761` is 97.61%); None for no cost.
/// A month whose cost all reached real cost centers is 100.00 whatever its sign (a month that
/// nets to a credit included).
pub fn coverage_bp(cb: &Chargeback) -> Option<i64> {
    if cb.total.0 == 0 {
        return None;
    }
    if cb.mapped == cb.total {
        return Some(10_000);
    }
    Some(div_round_half_away(cb.mapped.0 * 10_000, cb.total.0) as i64)
}

/// `target` cents split over `parts` (a line's or a person's cents by product, model or
/// day) with each part's share of them: (key, cents, share in hundredths of a percent).
pub fn mix(target: i64, parts: &[(String, Nanos)]) -> Vec<(String, i64, Option<i64>)> {
    let cents = split(target, parts);
    let shares = shares_of_cents(
        &parts
            .iter()
            .zip(&cents)
            .map(|((k, _), c)| (k.clone(), *c))
            .collect::<Vec<_>>(),
    );
    parts
        .iter()
        .zip(cents)
        .zip(shares)
        .map(|(((k, _), c), s)| (k.clone(), c, s))
        .collect()
}

/// Shares of whole cents, in hundredths of a percent, adding up to 100.00 like [`shares`]
/// (ties to the smaller key).
pub fn shares_of_cents(parts: &[(String, i64)]) -> Vec<Option<i64>> {
    shares(
        &parts
            .iter()
            .map(|(k, c)| (k.clone(), Nanos::from_cents(*c)))
            .collect::<Vec<_>>(),
    )
}

impl PeriodCents {
    /// Everyone's cents on `key` (a person who moved mid-period only their days there),
    /// largest first then by email, with their share of the line: they add up to the line.
    pub fn on_line(&self, key: &str) -> Vec<(String, i64, Option<i64>)> {
        let mut on: Vec<(String, i64)> = self
            .cells
            .iter()
            .filter(|((line, _), _)| line == key)
            .map(|((_, email), cents)| (email.clone(), *cents))
            .collect();
        on.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let shares = shares_of_cents(&on);
        on.into_iter()
            .zip(shares)
            .map(|((e, c), s)| (e, c, s))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allot_core::results::{ChargebackLine, PersonCost};
    use proptest::prelude::*;

    fn cb(people: &[(&str, &str, i128)]) -> Chargeback {
        let mut lines: BTreeMap<String, (Nanos, u64)> = BTreeMap::new();
        for (k, _, a) in people {
            let e = lines.entry((*k).to_string()).or_default();
            e.0 += Nanos(*a);
            e.1 += 1;
        }
        let total = people.iter().map(|p| Nanos(p.2)).sum();
        Chargeback {
            level_name: "cost_center".into(),
            attribute_names: vec![],
            lines: lines
                .into_iter()
                .map(|(key, (amount, users))| ChargebackLine {
                    key,
                    attributes: vec![],
                    users,
                    spenders: users,
                    amount,
                })
                .collect(),
            total,
            users: 0,
            spenders: 0,
            unmapped: vec![],
            people: people
                .iter()
                .map(|(k, e, a)| PersonCost {
                    email: (*e).to_string(),
                    key: (*k).to_string(),
                    amount: Nanos(*a),
                })
                .collect(),
            tree: vec![],
            tree_depth: 0,
            rollup: std::collections::BTreeMap::new(),
            mapped: total,
        }
    }

    #[test]
    fn a_mover_is_the_sum_of_their_cells_and_everything_adds_up() {
        let c = PeriodCents::of(&cb(&[
            ("A", "ann", 5_000_000),
            ("A", "bob", 5_000_000),
            ("B", "ann", 5_000_000),
        ]));
        // A: 1.0 cent -> 1; B: 0.5 cent -> 1 (total 1.5 -> 2).
        assert_eq!(c.total, 2);
        assert_eq!(c.line("A") + c.line("B"), 2);
        assert_eq!(c.persons.values().sum::<i64>(), 2);
        assert_eq!(
            c.person("ann").unwrap(),
            c.cell("A", "ann") + c.cell("B", "ann")
        );
    }

    #[test]
    fn shares_add_up_to_a_hundred() {
        let parts: Vec<(String, Nanos)> = ["a", "b", "c"]
            .iter()
            .map(|k| ((*k).to_string(), Nanos(1)))
            .collect();
        let s = shares(&parts);
        assert_eq!(s.iter().map(|x| x.unwrap()).sum::<i64>(), 10_000);
        assert_eq!(shares(&[("a".into(), Nanos(0))]), vec![None]);
        let with_credit = shares(&[("a".into(), Nanos(300)), ("b".into(), Nanos(-100))]);
        assert_eq!(with_credit, vec![Some(15_000), Some(-5_000)]);
    }

    proptest! {
        #[test]
        fn lines_cells_and_people_all_add_up_to_the_total(
            facts in proptest::collection::vec((0u8..4, 0u8..8, -2_000_000_000i128..50_000_000_000), 1..40)
        ) {
            let people: Vec<(String, String, i128)> = facts
                .iter()
                .map(|(k, p, a)| (format!("L{k}"), format!("p{p}"), *a))
                .collect();
            // One cell per (line, person).
            let mut merged: BTreeMap<(String, String), i128> = BTreeMap::new();
            for (k, p, a) in &people {
                *merged.entry((k.clone(), p.clone())).or_default() += a;
            }
            let rows: Vec<(&str, &str, i128)> = merged.iter().map(|((k, p), a)| (k.as_str(), p.as_str(), *a)).collect();
            let c = PeriodCents::of(&cb(&rows));
            for ((k, p), cents) in &c.cells {
                let exact = Nanos(merged[&(k.clone(), p.clone())]);
                prop_assert!(within_a_cent(*cents, exact), "cell {} {} off", k, p);
            }
            let exact: Nanos = rows.iter().map(|r| Nanos(r.2)).sum();
            prop_assert_eq!(c.total, exact.round_cents());
            prop_assert_eq!(c.cells.values().sum::<i64>(), c.total);
            prop_assert_eq!(c.persons.values().sum::<i64>(), c.total);
            for (k, cents) in &c.lines {
                let cells: i64 = c.cells.iter().filter(|((l, _), _)| l == k).map(|(_, v)| *v).sum();
                prop_assert_eq!(cells, *cents);
                let exact: Nanos = rows.iter().filter(|r| r.0 == k).map(|r| Nanos(r.2)).sum();
                prop_assert!(within_a_cent(*cents, exact));
            }
        }

        #[test]
        fn a_split_always_adds_up_to_its_target(
            parts in proptest::collection::vec(-5_000_000_000i128..5_000_000_000, 1..12),
            slack in -3i64..=3,
        ) {
            let parts: Vec<(usize, Nanos)> = parts.into_iter().map(Nanos).enumerate().collect();
            let exact: Nanos = parts.iter().map(|p| p.1).sum();
            let target = exact.round_cents() + slack;
            prop_assert_eq!(split(target, &parts).iter().sum::<i64>(), target);
        }
    }
}
