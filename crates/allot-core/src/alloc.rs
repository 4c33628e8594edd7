//! Largest-remainder rounding: turns exact amounts into cents (or any unit) so that the parts
//! add up exactly to the rounded whole, each part stays within one unit of its exact value, and
//! the result does not depend on the order the parts arrive in.

use crate::money::{div_round_half_away, Nanos, NANOS_PER_CENT};

/// Rounds exact amounts to whole cents with the largest-remainder rule.
///
/// The cents sum to the exact total rounded half away from zero; every part is its exact value
/// rounded down or up by less than one cent. Parts with equal remainders are ordered by `key`
/// (smallest key gets the extra cent first), so the outcome does not depend on input order.
/// Results come back in input order.
pub fn round_to_cents<K: Ord>(parts: &[(K, Nanos)]) -> Vec<i64> {
    let amounts: Vec<(&K, i128)> = parts.iter().map(|(k, n)| (k, n.0)).collect();
    largest_remainder(&amounts, i128::from(NANOS_PER_CENT))
}

/// Rounds each `value / unit` to an integer so that the integers sum to the rounded exact total.
///
/// `unit` must be positive. Shared by money (nano-dollars to cents) and percentages.
pub fn largest_remainder<K: Ord>(parts: &[(K, i128)], unit: i128) -> Vec<i64> {
    let total: i128 = parts.iter().map(|(_, v)| *v).sum();
    largest_remainder_to(parts, unit, div_round_half_away(total, unit))
}

/// Like [`largest_remainder`], but the integers sum to `target`, which must lie within one
/// unit of the exact total (as a parent's already-rounded amount does); each part then still
/// stays within one unit of its exact value.
pub fn largest_remainder_to<K: Ord>(parts: &[(K, i128)], unit: i128, target: i128) -> Vec<i64> {
    assert!(unit > 0, "largest_remainder needs a positive unit");
    let mut floors = Vec::with_capacity(parts.len());
    let mut floor_sum: i128 = 0;
    for (_, v) in parts {
        let f = v.div_euclid(unit);
        floor_sum += f;
        floors.push(f);
    }
    let extra = (target - floor_sum).clamp(0, parts.len() as i128);
    let mut order: Vec<usize> = (0..parts.len()).collect();
    // Largest remainder first; equal remainders go to the smaller key, then the earlier index
    // (only reached when keys repeat, which callers avoid).
    order.sort_by(|&a, &b| {
        let ra = parts[a].1.rem_euclid(unit);
        let rb = parts[b].1.rem_euclid(unit);
        rb.cmp(&ra)
            .then_with(|| parts[a].0.cmp(&parts[b].0))
            .then_with(|| a.cmp(&b))
    });
    for &i in order.iter().take(extra as usize) {
        floors[i] += 1;
    }
    floors.into_iter().map(|f| f as i64).collect()
}

/// Rounds a hierarchy of exact amounts to cents top-down, so every level adds up to the level
/// above it and to the total.
///
/// Each item is a path from the top level down (e.g. `[division, department, cost_center]`)
/// and its exact amount; all paths have the same depth. Returns, for every level `0..depth`, the
/// cents of each node (keyed by its path prefix). The top level is rounded with the
/// largest-remainder rule to the rounded total; the children of each node are then rounded to
/// exactly their parent's cents.
pub fn round_tree(
    items: &[(Vec<String>, Nanos)],
) -> Vec<std::collections::BTreeMap<Vec<String>, i64>> {
    use std::collections::BTreeMap;
    let depth = items.first().map_or(0, |(p, _)| p.len());
    let mut levels: Vec<BTreeMap<Vec<String>, i64>> = Vec::with_capacity(depth);
    let unit = i128::from(NANOS_PER_CENT);
    for level in 0..depth {
        // Exact amount of every node at this level.
        let mut exact: BTreeMap<Vec<String>, i128> = BTreeMap::new();
        for (path, amount) in items {
            *exact.entry(path[..=level].to_vec()).or_default() += amount.0;
        }
        // Group the nodes by parent and round each group to the parent's cents.
        let mut groups: BTreeMap<Vec<String>, Vec<(Vec<String>, i128)>> = BTreeMap::new();
        for (node, amount) in exact {
            groups
                .entry(node[..level].to_vec())
                .or_default()
                .push((node, amount));
        }
        let mut rounded = BTreeMap::new();
        for (parent, children) in groups {
            let total: i128 = children.iter().map(|(_, a)| *a).sum();
            let target = if level == 0 {
                div_round_half_away(total, unit)
            } else {
                i128::from(levels[level - 1][&parent])
            };
            let keyed: Vec<(&Vec<String>, i128)> = children.iter().map(|(k, a)| (k, *a)).collect();
            for ((node, _), cents) in children
                .iter()
                .zip(largest_remainder_to(&keyed, unit, target))
            {
                rounded.insert(node.clone(), cents);
            }
        }
        levels.push(rounded);
    }
    levels
}

/// Splits `pool` (whole cents) across parts in proportion to non-negative `weights`, exactly.
///
/// Each part gets `pool * w / W` rounded down, then the leftover cents go to the largest
/// remainders (ties to the smaller key). The parts always sum to `pool`. Returns `None` when
/// every weight is zero, since there is nothing to be proportional to.
pub fn split_proportional<K: Ord>(pool: i64, weights: &[(K, i128)]) -> Option<Vec<i64>> {
    split_proportional_wide(i128::from(pool), weights)
        .map(|v| v.into_iter().map(|s| s as i64).collect())
}

/// [`split_proportional`] of a pool in any integer unit (e.g. a cloud bill's charge in
/// atto-dollars over the hours of its days, or its tokens): the parts sum to `pool` exactly,
/// each within one unit of its exact share. `pool * weight` must fit in an `i128`.
pub fn split_proportional_wide<K: Ord>(pool: i128, weights: &[(K, i128)]) -> Option<Vec<i128>> {
    let total: i128 = weights.iter().map(|(_, w)| *w).sum();
    if total <= 0 || weights.iter().any(|(_, w)| *w < 0) {
        return None;
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut rems = Vec::with_capacity(weights.len());
    let mut given: i128 = 0;
    for (_, w) in weights {
        let num = pool * w;
        let q = num.div_euclid(total);
        rems.push(num.rem_euclid(total));
        given += q;
        shares.push(q);
    }
    let extra = pool - given;
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        rems[b]
            .cmp(&rems[a])
            .then_with(|| weights[a].0.cmp(&weights[b].0))
            .then_with(|| a.cmp(&b))
    });
    for &i in order.iter().take(extra as usize) {
        shares[i] += 1;
    }
    Some(shares)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn n(x: i128) -> Nanos {
        Nanos(x)
    }

    #[test]
    fn three_thirds_of_a_dollar() {
        // 1/3 dollar each: exact total 0.999999999 rounds to 1.00; one part gets the extra cent.
        let parts = vec![
            ("a", n(333_333_333)),
            ("b", n(333_333_333)),
            ("c", n(333_333_333)),
        ];
        assert_eq!(round_to_cents(&parts), vec![34, 33, 33]);
    }

    #[test]
    fn ties_go_to_the_smallest_key_whatever_the_order() {
        let parts = vec![
            ("c", n(5_000_000)),
            ("a", n(5_000_000)),
            ("b", n(5_000_000)),
        ];
        // Exact total 1.5 cents rounds to 2 cents: a and b get one each.
        assert_eq!(round_to_cents(&parts), vec![0, 1, 1]);
    }

    #[test]
    fn credits_round_too() {
        let parts = vec![("a", n(-12_345_678_901)), ("b", n(2_000_000_001))];
        let cents = round_to_cents(&parts);
        assert_eq!(
            cents.iter().sum::<i64>(),
            Nanos(-10_345_678_900).round_cents()
        );
        assert_eq!(cents, vec![-1235, 200]);
    }

    #[test]
    fn proportional_split_is_exact() {
        let w = vec![("a", 1), ("b", 1), ("c", 1)];
        assert_eq!(split_proportional(100, &w), Some(vec![34, 33, 33]));
        assert_eq!(split_proportional(-100, &w), Some(vec![-33, -33, -34]));
        assert_eq!(split_proportional(5, &[("a", 0i128), ("b", 0)]), None);
    }

    #[test]
    fn tree_levels_tie_out_where_flat_rounding_would_not() {
        let p = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        // Three cost centers of 0.6 cent: flat rounding gives A and B a cent each (2 cents for
        // Eng) and C none, while Eng (1.2 cents) and Ops (0.6 cent) round to 1 cent each.
        let items = vec![
            (p("Eng", "A"), n(6_000_000)),
            (p("Eng", "B"), n(6_000_000)),
            (p("Ops", "C"), n(6_000_000)),
        ];
        let levels = round_tree(&items);
        assert_eq!(levels[0][&vec!["Eng".to_string()]], 1);
        assert_eq!(levels[0][&vec!["Ops".to_string()]], 1);
        assert_eq!(levels[1][&p("Eng", "A")] + levels[1][&p("Eng", "B")], 1);
        assert_eq!(levels[1][&p("Ops", "C")], 1);
    }

    proptest! {
        #[test]
        fn every_level_of_a_tree_ties_out_to_its_parent_and_the_total(
            leaves in proptest::collection::vec((0u8..3, 0u8..4, -1_000_000_000i128..50_000_000_000), 1..40)
        ) {
            let items: Vec<(Vec<String>, Nanos)> = leaves
                .iter()
                .enumerate()
                .map(|(i, (a, b, v))| (vec![format!("d{a}"), format!("d{a}-{b}"), format!("cc{i}")], Nanos(*v)))
                .collect();
            let levels = round_tree(&items);
            let total: Nanos = items.iter().map(|(_, v)| *v).sum();
            for level in &levels {
                prop_assert_eq!(level.values().sum::<i64>(), total.round_cents());
            }
            for depth in 1..levels.len() {
                for (node, cents) in &levels[depth - 1] {
                    let children: i64 = levels[depth].iter().filter(|(k, _)| k.starts_with(node)).map(|(_, c)| *c).sum();
                    prop_assert_eq!(children, *cents);
                }
                // Each node stays within a cent of its exact value.
                for (node, cents) in &levels[depth] {
                    let exact: i128 = items.iter().filter(|(p, _)| p.starts_with(node)).map(|(_, v)| v.0).sum();
                    prop_assert!((i128::from(*cents) * i128::from(NANOS_PER_CENT) - exact).abs() < i128::from(NANOS_PER_CENT));
                }
            }
        }

        #[test]
        fn largest_remainder_sums_exactly_and_stays_within_a_cent(
            amounts in proptest::collection::vec(-10_000_000_000_000i128..10_000_000_000_000, 0..60)
        ) {
            let parts: Vec<(usize, Nanos)> = amounts.iter().enumerate().map(|(i, a)| (i, Nanos(*a))).collect();
            let cents = round_to_cents(&parts);
            let total: Nanos = parts.iter().map(|(_, a)| *a).sum();
            prop_assert_eq!(cents.iter().map(|c| i128::from(*c)).sum::<i128>(), i128::from(total.round_cents()));
            for ((_, exact), c) in parts.iter().zip(&cents) {
                let diff = (i128::from(*c) * i128::from(NANOS_PER_CENT) - exact.0).abs();
                prop_assert!(diff < i128::from(NANOS_PER_CENT), "part {} off by {} nanos", exact.0, diff);
            }
        }

        #[test]
        fn largest_remainder_ignores_row_order(
            amounts in proptest::collection::vec(-1_000_000_000i128..1_000_000_000, 1..40),
            seed in any::<u64>()
        ) {
            let parts: Vec<(usize, Nanos)> = amounts.iter().enumerate().map(|(i, a)| (i, Nanos(*a))).collect();
            let mut shuffled = parts.clone();
            // A deterministic shuffle driven by the seed.
            let mut s = seed;
            for i in (1..shuffled.len()).rev() {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                shuffled.swap(i, (s >> 33) as usize % (i + 1));
            }
            let a = round_to_cents(&parts);
            let b = round_to_cents(&shuffled);
            for (pos, (key, _)) in shuffled.iter().enumerate() {
                prop_assert_eq!(b[pos], a[*key]);
            }
        }

        #[test]
        fn proportional_split_always_sums_to_the_pool(
            pool in -10_000_000i64..10_000_000,
            weights in proptest::collection::vec(0i128..1_000_000_000_000, 1..50)
        ) {
            let w: Vec<(usize, i128)> = weights.iter().copied().enumerate().collect();
            if let Some(parts) = split_proportional(pool, &w) {
                prop_assert_eq!(parts.iter().sum::<i64>(), pool);
            } else {
                prop_assert!(weights.iter().all(|x| *x == 0));
            }
        }
    }
}
