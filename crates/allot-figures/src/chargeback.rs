//! A period's chargeback in cents: every line rounded once (top-down through the hierarchy),
//! shared pools added to the lines they were allocated to, shares that add up to 100.00, the
//! uncovered spenders and the cost per day, so the report, the workbook and the dashboard's
//! cards and charts all show the same cents.

use allot_core::alloc::round_to_cents;
use allot_core::results::{Chargeback, ChargebackLine};
use allot_core::shared::Allocation;
use allot_core::{DateRange, Nanos, Status, UNMAPPED};
use chrono::NaiveDate;

use crate::cents::{coverage_bp, line_cents, shares};

/// One line of a chargeback: a cost center or a level's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineFigure {
    /// The cost center or level value.
    pub key: String,
    /// The cost center's attribute values (empty strings for a line that only receives
    /// shared cost).
    pub attributes: Vec<String>,
    /// People with cost on the line.
    pub users: u64,
    /// People and every other identity with cost on the line.
    pub spenders: u64,
    /// The line's attributed cents, rounded once with every other line.
    pub attributed_cents: i64,
    /// The shared-pool cents allocated to it.
    pub shared_cents: i64,
    /// Attributed plus shared cents.
    pub amount_cents: i64,
    /// Its share of the whole in hundredths of a percent (None when the whole is zero).
    pub share_bp: Option<i64>,
    /// The exact amount: attributed plus shared.
    pub exact: Nanos,
}

/// A spender whose cost no mapping row covered on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmappedFigure {
    /// The person's email or the actor's identity.
    pub email: String,
    /// Its uncovered cents, split with the other uncovered spenders by largest remainder.
    pub cents: i64,
    /// Its uncovered cost rounded on its own (the chargeback's note names it so).
    pub own_cents: i64,
    /// Days with uncovered cost.
    pub days: u32,
    /// The most recent cost center before the uncovered days.
    pub last_cost_center: Option<String>,
    /// The first uncovered day after the last mapping row ended.
    pub unmapped_since: Option<NaiveDate>,
    /// Where the cost went: `UNMAPPED` or the cost center the policy chose.
    pub charged_to: String,
}

/// A period's chargeback at one level, in cents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargebackFigures {
    /// The level's column name (`cost_center` or the attribute's name).
    pub level_name: String,
    /// The cost-center attribute columns carried on each line.
    pub attribute_names: Vec<String>,
    /// The period's days.
    pub period: DateRange,
    /// Settled, provisional or incomplete.
    pub status: Status,
    /// Every line, by key with `UNMAPPED` last; a line that only receives shared cost too.
    pub lines: Vec<LineFigure>,
    /// People with cost in the period.
    pub users: u64,
    /// Spenders with cost in the period.
    pub spenders: u64,
    /// The attributed total's cents (the lines' attributed cents add up to it).
    pub attributed_cents: i64,
    /// Every shared pool's cents.
    pub shared_cents: i64,
    /// Attributed plus shared: the lines' amounts add up to it.
    pub total_cents: i64,
    /// The exact total, attributed plus shared.
    pub total_exact: Nanos,
    /// Whether any shared pool was allocated.
    pub has_shared: bool,
    /// The share of attributed cost that reached a real cost center, in hundredths of a
    /// percent (None for no cost).
    pub coverage_bp: Option<i64>,
    /// The lines the rounding moved a cent onto or off, against each rounded on its own:
    /// (key, cents moved), in the chargeback's order.
    pub rounding_moves: Vec<(String, i64)>,
    /// Whether each line is the sum of whole cost centers (a level outside the hierarchy).
    pub rolled_up: bool,
    /// Spenders with uncovered cost, most expensive first.
    pub unmapped: Vec<UnmappedFigure>,
    /// Their uncovered cost, rounded once (the chargeback's note names it).
    pub unmapped_cents: i64,
    /// Every allocated piece of shared cost.
    pub allocations: Vec<Allocation>,
}

impl ChargebackFigures {
    /// The figures of `cb` over `period`, with `allocations` of shared pools added.
    pub fn of(
        cb: &Chargeback,
        period: DateRange,
        status: Status,
        allocations: &[Allocation],
    ) -> ChargebackFigures {
        // Lines that only receive shared cost still get a line.
        let mut lines = cb.lines.clone();
        for a in allocations {
            if !lines.iter().any(|l| l.key == a.key) {
                lines.push(ChargebackLine {
                    key: a.key.clone(),
                    attributes: vec![String::new(); cb.attribute_names.len()],
                    users: 0,
                    spenders: 0,
                    amount: Nanos::ZERO,
                });
            }
        }
        let mut cents = line_cents(cb);
        cents.resize(lines.len(), 0);
        let shared: Vec<i64> = lines
            .iter()
            .map(|l| {
                allocations
                    .iter()
                    .filter(|a| a.key == l.key)
                    .map(|a| a.cents)
                    .sum()
            })
            .collect();
        let share_parts: Vec<(String, Nanos)> = lines
            .iter()
            .zip(&shared)
            .map(|(l, s)| (l.key.clone(), l.amount + Nanos::from_cents(*s)))
            .collect();
        let pcts = shares(&share_parts);
        let rounding_moves = lines
            .iter()
            .zip(&cents)
            .filter_map(|(l, c)| {
                let own = l.amount.round_cents();
                (*c != own).then(|| (l.key.clone(), c - own))
            })
            .collect();
        let mut order: Vec<usize> = (0..lines.len()).collect();
        order.sort_by(|&a, &b| {
            (lines[a].key == UNMAPPED)
                .cmp(&(lines[b].key == UNMAPPED))
                .then_with(|| lines[a].key.cmp(&lines[b].key))
        });
        let figures = order
            .iter()
            .map(|&i| {
                let line = &lines[i];
                LineFigure {
                    key: line.key.clone(),
                    attributes: line.attributes.clone(),
                    users: line.users,
                    spenders: line.spenders,
                    attributed_cents: cents[i],
                    shared_cents: shared[i],
                    amount_cents: cents[i] + shared[i],
                    share_bp: pcts[i],
                    exact: line.amount + Nanos::from_cents(shared[i]),
                }
            })
            .collect();
        let attributed_cents = cb.total.round_cents();
        let shared_cents: i64 = allocations.iter().map(|a| a.cents).sum();
        let unmapped_parts: Vec<(String, Nanos)> = cb
            .unmapped
            .iter()
            .map(|u| (u.email.clone(), u.amount))
            .collect();
        let unmapped = cb
            .unmapped
            .iter()
            .zip(round_to_cents(&unmapped_parts))
            .map(|(u, c)| UnmappedFigure {
                email: u.email.clone(),
                cents: c,
                own_cents: u.amount.round_cents(),
                days: u.days,
                last_cost_center: u.last_cost_center.clone(),
                unmapped_since: u.unmapped_since,
                charged_to: u.charged_to.clone(),
            })
            .collect();
        ChargebackFigures {
            level_name: cb.level_name.clone(),
            attribute_names: cb.attribute_names.clone(),
            period,
            status,
            lines: figures,
            users: cb.users,
            spenders: cb.spenders,
            attributed_cents,
            shared_cents,
            total_cents: attributed_cents + shared_cents,
            total_exact: cb.total + Nanos::from_cents(shared_cents),
            has_shared: !allocations.is_empty(),
            coverage_bp: coverage_bp(cb),
            rounding_moves,
            rolled_up: !cb.rollup.is_empty(),
            unmapped,
            unmapped_cents: cb
                .unmapped
                .iter()
                .map(|u| u.amount)
                .sum::<Nanos>()
                .round_cents(),
            allocations: allocations.to_vec(),
        }
    }

    /// The line of `key`, if the chargeback has one.
    pub fn line(&self, key: &str) -> Option<&LineFigure> {
        self.lines.iter().find(|l| l.key == key)
    }

    /// Each line's key and cents, in the chargeback's order (what a chart draws).
    pub fn amounts(&self) -> Vec<(String, i64)> {
        self.lines
            .iter()
            .map(|l| (l.key.clone(), l.amount_cents))
            .collect()
    }
}

/// Cents of each day of a period, adding up to the period's exact total rounded once.
pub fn day_cents(days: &[(NaiveDate, Nanos)]) -> Vec<(NaiveDate, i64)> {
    let parts: Vec<(String, Nanos)> = days.iter().map(|(d, n)| (d.to_string(), *n)).collect();
    days.iter()
        .map(|(d, _)| *d)
        .zip(round_to_cents(&parts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use allot_core::results::PersonCost;

    fn cb(lines: &[(&str, i128)]) -> Chargeback {
        let total: Nanos = lines.iter().map(|l| Nanos(l.1)).sum();
        Chargeback {
            level_name: "cost_center".into(),
            attribute_names: vec![],
            lines: lines
                .iter()
                .map(|(k, a)| ChargebackLine {
                    key: (*k).to_string(),
                    attributes: vec![],
                    users: 1,
                    spenders: 1,
                    amount: Nanos(*a),
                })
                .collect(),
            total,
            users: lines.len() as u64,
            spenders: lines.len() as u64,
            unmapped: vec![],
            people: lines
                .iter()
                .map(|(k, a)| PersonCost {
                    email: format!("{k}@x"),
                    key: (*k).to_string(),
                    amount: Nanos(*a),
                })
                .collect(),
            tree: vec![],
            tree_depth: 0,
            rollup: std::collections::BTreeMap::default(),
            mapped: total,
        }
    }

    #[test]
    fn lines_and_shared_pools_add_up_to_the_total_and_unmapped_comes_last() {
        let period = DateRange::new(
            NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
        )
        .unwrap();
        // Three lines of a third of a cent each: 1 cent in all, moved onto one line.
        let third = 3_333_333;
        let allocations = vec![Allocation {
            pool: "platform".into(),
            method: "even".into(),
            key: "New".into(),
            cents: 250,
        }];
        let f = ChargebackFigures::of(
            &cb(&[("A", third), (UNMAPPED, third), ("B", third + 1)]),
            period,
            Status::Settled,
            &allocations,
        );
        let keys: Vec<&str> = f.lines.iter().map(|l| l.key.as_str()).collect();
        assert_eq!(keys, ["A", "B", "New", UNMAPPED]);
        assert_eq!(f.attributed_cents, 1);
        assert_eq!(f.total_cents, 251);
        assert_eq!(f.lines.iter().map(|l| l.amount_cents).sum::<i64>(), 251);
        assert_eq!(f.line("New").unwrap().shared_cents, 250);
        assert_eq!(f.rounding_moves, vec![("B".to_string(), 1)]);
        assert_eq!(
            f.lines.iter().map(|l| l.share_bp.unwrap()).sum::<i64>(),
            10_000
        );
    }
}
