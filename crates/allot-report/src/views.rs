//! Turning exact engine results into reports: cents by largest remainder, shares that add up
//! to 100.00, the status on every row.

use allot_core::alloc::{round_to_cents, round_tree, split_proportional};
use allot_core::money::{div_round_half_away, format_cents};
use allot_core::results::Chargeback;
use allot_core::shared::Allocation;
use allot_core::{DateRange, Nanos, Status, UNMAPPED};
use chrono::NaiveDate;

use crate::model::{Cell, Column, Kind, Report};

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

/// The chargeback as a report: one row per line with `month`, the level column, the
/// cost-center attributes, `users` (people), `spenders` (people and other identities),
/// `attributed_usd`, `shared_usd`, `amount_usd`,
/// `share_pct`, `exact_usd` and `status`. Shared pools are added to the lines they were
/// allocated to; the grand total is the attributed total plus every pool, to the cent.
pub fn chargeback_report(
    cb: &Chargeback,
    period: DateRange,
    as_of: NaiveDate,
    status: Status,
    allocations: &[Allocation],
) -> Report {
    let month = period;
    let mut columns = vec![
        Column::new("month", Kind::Text),
        Column::new(&cb.level_name, Kind::Text),
    ];
    for a in &cb.attribute_names {
        columns.push(Column::new(a, Kind::Text));
    }
    let has_shared = !allocations.is_empty();
    columns.push(Column::new("users", Kind::Int));
    columns.push(Column::new("spenders", Kind::Int).csv_only());
    if has_shared {
        columns.push(Column::new("attributed_usd", Kind::Money));
        columns.push(Column::new("shared_usd", Kind::Money));
    }
    columns.extend([
        Column::new("amount_usd", Kind::Money),
        Column::new("share_pct", Kind::Pct),
        Column::new("exact_usd", Kind::Money).csv_only(),
        Column::new("status", Kind::Text),
    ]);
    // Lines that only receive shared cost still get a row.
    let mut lines = cb.lines.clone();
    for a in allocations {
        if !lines.iter().any(|l| l.key == a.key) {
            lines.push(allot_core::results::ChargebackLine {
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
    let totals: Vec<i64> = cents.iter().zip(&shared).map(|(c, s)| c + s).collect();
    let share_parts: Vec<(String, Nanos)> = lines
        .iter()
        .zip(&shared)
        .map(|(l, s)| (l.key.clone(), l.amount + Nanos::from_cents(*s)))
        .collect();
    let pcts = shares(&share_parts);
    let month_s = month.to_string();
    let mut order: Vec<usize> = (0..lines.len()).collect();
    order.sort_by(|&a, &b| {
        (lines[a].key == UNMAPPED)
            .cmp(&(lines[b].key == UNMAPPED))
            .then_with(|| lines[a].key.cmp(&lines[b].key))
    });
    let rows = order
        .iter()
        .map(|&i| {
            let line = &lines[i];
            let mut row = vec![Cell::Text(month_s.clone()), Cell::Text(line.key.clone())];
            row.extend(line.attributes.iter().map(|a| Cell::Text(a.clone())));
            row.push(Cell::Int(line.users as i64));
            row.push(Cell::Int(line.spenders as i64));
            if has_shared {
                row.push(Cell::Cents(cents[i]));
                row.push(Cell::Cents(shared[i]));
            }
            row.extend([
                Cell::Cents(totals[i]),
                pcts[i].map_or(Cell::Empty, Cell::Pct),
                Cell::Exact(line.amount + Nanos::from_cents(shared[i])),
                Cell::Text(status.to_string()),
            ]);
            row
        })
        .collect();
    let attributed_cents = cb.total.round_cents();
    let shared_cents: i64 = allocations.iter().map(|a| a.cents).sum();
    let grand = attributed_cents + shared_cents;
    let grand_exact = cb.total + Nanos::from_cents(shared_cents);
    let mut total = vec![Cell::Text("TOTAL".into()), Cell::Empty];
    total.extend(cb.attribute_names.iter().map(|_| Cell::Empty));
    total.push(Cell::Int(cb.users as i64));
    total.push(Cell::Int(cb.spenders as i64));
    if has_shared {
        total.push(Cell::Cents(attributed_cents));
        total.push(Cell::Cents(shared_cents));
    }
    total.extend([
        Cell::Cents(grand),
        if grand_exact.0 == 0 {
            Cell::Empty
        } else {
            Cell::Pct(10_000)
        },
        Cell::Exact(grand_exact),
        Cell::Text(status.to_string()),
    ]);
    let coverage = coverage_pct(cb);
    let mut notes = Vec::new();
    // Which lines the rounding moved a cent onto (or off), against each rounded on its own.
    let moved: Vec<String> = lines
        .iter()
        .zip(&cents)
        .filter_map(|(l, c)| {
            let own = l.amount.round_cents();
            (*c != own).then(|| {
                let d = c - own;
                format!(
                    "{} {}{}",
                    l.key,
                    if d > 0 { "+" } else { "-" },
                    format_cents(d.abs())
                )
            })
        })
        .collect();
    if !moved.is_empty() {
        notes.push(format!(
            "Rounding: every line is rounded once so that {} to the cent; {} {} a cent off its own rounding: {}{} (exact_usd has every line's exact amount).",
            if cb.rollup.is_empty() {
                "the lines add up to the total and every level to the level above"
            } else {
                "each line is the sum of its cost centers' cents"
            },
            moved.len(),
            if moved.len() == 1 { "line is" } else { "lines are" },
            moved.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
            if moved.len() > 10 { ", ..." } else { "" }
        ));
    }
    notes.push(format!(
        "Allocation coverage: {} of attributed cost reached a real cost center.",
        coverage
            .as_deref()
            .map_or("n/a".to_string(), |c| format!("{c}%"))
    ));
    if !cb.unmapped.is_empty() {
        let amount: Nanos = cb.unmapped.iter().map(|u| u.amount).sum();
        let shown: Vec<String> = cb
            .unmapped
            .iter()
            .take(10)
            .map(|u| {
                format!(
                    "{} ${} ({} days)",
                    u.email,
                    format_cents(u.amount.round_cents()),
                    u.days
                )
            })
            .collect();
        let actors = cb
            .unmapped
            .iter()
            .filter(|u| !allot_core::identity::is_person(&u.email))
            .count();
        let who = match (cb.unmapped.len() - actors, actors) {
            (people, 0) => format!("{people} people"),
            (0, actors) => format!("{actors} API keys, service accounts or other actors"),
            (people, actors) => {
                format!("{people} people and {actors} API keys, service accounts or other actors")
            }
        };
        notes.push(format!(
            "{who} had ${} of cost with no mapping row on the day: {}{}",
            format_cents(amount.round_cents()),
            shown.join(", "),
            if cb.unmapped.len() > 10 { ", ..." } else { "" }
        ));
    }
    for a in allocations {
        notes.push(format!(
            "Shared: {} ${} to {} ({})",
            a.pool,
            format_cents(a.cents),
            a.key,
            a.method
        ));
    }
    let mut meta = vec![
        ("month".into(), month_s),
        ("as_of".into(), as_of.to_string()),
        ("level".into(), cb.level_name.clone()),
        ("coverage_pct".into(), coverage.unwrap_or_default()),
        ("attributed_usd".into(), format_cents(attributed_cents)),
        ("shared_usd".into(), format_cents(shared_cents)),
        ("total_usd".into(), format_cents(grand)),
    ];
    if !has_shared {
        meta.retain(|(k, _)| k != "attributed_usd" && k != "shared_usd");
    }
    Report {
        title: format!("Chargeback {month} by {}", cb.level_name),
        status,
        meta,
        columns,
        rows,
        total: Some(total),
        notes: crate::Note::infos(notes),
    }
}

/// The share of attributed cost that reached a real cost center, as `97.61`; None for no cost.
/// A month whose cost all reached real cost centers is 100.00 whatever its sign (a month that
/// nets to a credit included).
pub fn coverage_pct(cb: &Chargeback) -> Option<String> {
    if cb.total.0 == 0 {
        return None;
    }
    if cb.mapped == cb.total {
        return Some(format_cents(10_000));
    }
    Some(format_cents(
        div_round_half_away(cb.mapped.0 * 10_000, cb.total.0) as i64,
    ))
}

/// The people (and non-person actors: API keys, service accounts, cloud principals...) whose
/// cost no mapping row covered: `email` (the person's, or the actor's identity as a mapping
/// row would name it), `amount_usd`, `unmapped_days`, `last_cost_center`, `unmapped_since`,
/// `charged_to`, `kind` (`person`, `api_key`, ...), `name` (the actor's readable name),
/// `status`.
pub fn unmapped_report(
    cb: &Chargeback,
    month: DateRange,
    status: Status,
    names: &allot_core::identity::Names,
) -> Report {
    let columns = vec![
        Column::new("month", Kind::Text),
        Column::new("email", Kind::Text),
        Column::new("amount_usd", Kind::Money),
        Column::new("unmapped_days", Kind::Int),
        Column::new("last_cost_center", Kind::Text),
        Column::new("unmapped_since", Kind::Text),
        Column::new("charged_to", Kind::Text),
        Column::new("kind", Kind::Text).csv_only(),
        Column::new("name", Kind::Text),
        Column::new("status", Kind::Text),
    ];
    let parts: Vec<(String, Nanos)> = cb
        .unmapped
        .iter()
        .map(|u| (u.email.clone(), u.amount))
        .collect();
    let cents = round_to_cents(&parts);
    let rows = cb
        .unmapped
        .iter()
        .zip(cents)
        .map(|(u, c)| {
            vec![
                Cell::Text(month.to_string()),
                Cell::Text(u.email.clone()),
                Cell::Cents(c),
                Cell::Int(i64::from(u.days)),
                u.last_cost_center.clone().map_or(Cell::Empty, Cell::Text),
                u.unmapped_since
                    .map_or(Cell::Empty, |d| Cell::Text(d.to_string())),
                Cell::Text(u.charged_to.clone()),
                Cell::Text(allot_core::identity::kind(&u.email).as_str().into()),
                crate::reviews::name_cell(names, &u.email),
                Cell::Text(status.to_string()),
            ]
        })
        .collect();
    let actors = cb
        .unmapped
        .iter()
        .filter(|u| !allot_core::identity::is_person(&u.email))
        .count();
    let mut notes = Vec::new();
    if actors > 0 {
        notes.push(format!(
            "{actors} of them are not people (API keys, service accounts, workspaces, cloud principals or accounts): map them with an api_key_id, workspace_id, service_account_id, principal_id or account_id row"
        ));
    }
    Report {
        title: format!("Unmapped people {month}"),
        status,
        meta: vec![("month".into(), month.to_string())],
        columns,
        rows,
        total: None,
        notes: crate::Note::infos(notes),
    }
}

/// Every allocated piece of shared cost: `month`, the level column, `pool`, `method`, `amount_usd`.
pub fn allocations_report(
    level_name: &str,
    allocations: &[Allocation],
    month: DateRange,
    status: Status,
) -> Report {
    let columns = vec![
        Column::new("month", Kind::Text),
        Column::new(level_name, Kind::Text),
        Column::new("pool", Kind::Text),
        Column::new("method", Kind::Text),
        Column::new("amount_usd", Kind::Money),
        Column::new("status", Kind::Text),
    ];
    let rows = allocations
        .iter()
        .map(|a| {
            vec![
                Cell::Text(month.to_string()),
                Cell::Text(a.key.clone()),
                Cell::Text(a.pool.clone()),
                Cell::Text(a.method.clone()),
                Cell::Cents(a.cents),
                Cell::Text(status.to_string()),
            ]
        })
        .collect();
    Report {
        title: format!("Shared cost allocations {month}"),
        status,
        meta: vec![("month".into(), month.to_string())],
        columns,
        rows,
        total: None,
        notes: Vec::new(),
    }
}

/// Cost per day: `date`, `amount_usd` (adding up to the period's total), `status`.
pub fn daily_report(days: &[(NaiveDate, Nanos)], month: DateRange, status: Status) -> Report {
    let parts: Vec<(String, Nanos)> = days.iter().map(|(d, n)| (d.to_string(), *n)).collect();
    let cents = round_to_cents(&parts);
    Report {
        title: format!("Cost by day {month}"),
        status,
        meta: vec![("month".into(), month.to_string())],
        columns: vec![
            Column::new("date", Kind::Text),
            Column::new("amount_usd", Kind::Money),
            Column::new("status", Kind::Text),
        ],
        rows: parts
            .iter()
            .zip(cents)
            .map(|((d, _), c)| {
                vec![
                    Cell::Text(d.clone()),
                    Cell::Cents(c),
                    Cell::Text(status.to_string()),
                ]
            })
            .collect(),
        total: None,
        notes: Vec::new(),
    }
}

pub use allot_figures::trend::{Against, TrendPeriod};

/// The trend as a report: `period_start`, `period_end`, the level column, its attribute
/// columns, `users`, `amount_usd`, `change_usd` and `change_pct` against the previous period of
/// the same key, `status`.
pub fn trend_report(
    level_name: &str,
    attribute_names: &[String],
    per: &str,
    range: DateRange,
    periods: &[TrendPeriod],
    as_of: NaiveDate,
) -> Report {
    let mut columns = vec![
        Column::new("period_start", Kind::Text),
        Column::new("period_end", Kind::Text).csv_only(),
        Column::new(level_name, Kind::Text),
    ];
    for a in attribute_names {
        columns.push(Column::new(a, Kind::Text).csv_only());
    }
    columns.extend([
        Column::new("users", Kind::Int),
        Column::new("amount_usd", Kind::Money),
        Column::new("change_usd", Kind::Money),
        Column::new("change_pct", Kind::Pct),
        Column::new("status", Kind::Text),
        Column::new("partial", Kind::Text),
        Column::new("compared_with", Kind::Text).csv_only(),
    ]);
    let mut rows = Vec::new();
    let mut last: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    let mut total: i64 = 0;
    let mut partial_notes = Vec::new();
    for (i, p) in periods.iter().enumerate() {
        let compared = match &p.against {
            Against::Previous if i > 0 => {
                format!("{}..{}", periods[i - 1].range.from, periods[i - 1].range.to)
            }
            Against::SameDays(r, _) => {
                partial_notes.push(format!(
                    "{} is partial ({}): compared with the same days before it, {r}.",
                    p.range,
                    p.partial.as_deref().unwrap_or("")
                ));
                format!("{}..{}", r.from, r.to)
            }
            Against::Nothing(why) => {
                partial_notes.push(format!("{}: no change shown: {why}.", p.range));
                String::new()
            }
            Against::Previous => String::new(),
        };
        for (key, attrs, users, cents) in &p.lines {
            let before = match &p.against {
                Against::Previous => last.get(key.as_str()).copied(),
                Against::SameDays(_, base) => base.get(key).copied(),
                Against::Nothing(_) => None,
            };
            let mut row = vec![
                Cell::Text(p.range.from.to_string()),
                Cell::Text(p.range.to.to_string()),
                Cell::Text(key.clone()),
            ];
            row.extend(attrs.iter().map(|a| Cell::Text(a.clone())));
            row.extend([
                Cell::Int(*users as i64),
                Cell::Cents(*cents),
                before.map_or(Cell::Empty, |b| Cell::Cents(cents - b)),
                before.filter(|b| *b != 0).map_or(Cell::Empty, |b| {
                    Cell::Pct(div_round_half_away(
                        i128::from(cents - b) * 10_000,
                        i128::from(b.abs()),
                    ) as i64)
                }),
                Cell::Text(p.status.to_string()),
                Cell::Text(p.partial.clone().unwrap_or_default()),
                Cell::Text(compared.clone()),
            ]);
            rows.push(row);
            total += cents;
        }
        // A key absent from this period had no cost in it: its next change compares with 0.
        for (k, v) in &mut last {
            if !p.lines.iter().any(|l| l.0 == *k) {
                *v = 0;
            }
        }
        for (key, _, _, cents) in &p.lines {
            last.insert(key.as_str(), *cents);
        }
    }
    let status = periods
        .iter()
        .map(|p| p.status)
        .max()
        .unwrap_or(Status::Settled);
    let mut total_row = vec![Cell::Text("TOTAL".into()), Cell::Empty, Cell::Empty];
    total_row.extend(attribute_names.iter().map(|_| Cell::Empty));
    total_row.extend([
        Cell::Empty,
        Cell::Cents(total),
        Cell::Empty,
        Cell::Empty,
        Cell::Text(status.to_string()),
        Cell::Empty,
        Cell::Empty,
    ]);
    let provisional: Vec<String> = periods
        .iter()
        .filter(|p| p.status != Status::Settled)
        .map(|p| format!("{} {}", p.range.from, p.status))
        .collect();
    let mut notes = vec![format!(
        "Each period is rounded like the chargeback of those days: its rows add up to its total, and a whole month equals that month's chargeback to the cent. change_usd and change_pct compare with the previous period of the same {level_name}, like with like: a partial period (still running, or cut by the range) with the same days of the period before (`compared_with`)."
    )];
    notes.extend(partial_notes);
    if !provisional.is_empty() {
        notes.push(format!(
            "Not settled: {} (a period is provisional while any of its days is less than 30 days old, incomplete when the data misses days).",
            provisional.join(", ")
        ));
    }
    Report {
        title: format!("Trend {range} per {per} by {level_name}"),
        status,
        meta: vec![
            ("from".into(), range.from.to_string()),
            ("to".into(), range.to.to_string()),
            ("per".into(), per.to_string()),
            ("level".into(), level_name.to_string()),
            ("as_of".into(), as_of.to_string()),
            ("total_usd".into(), format_cents(total)),
        ],
        columns,
        rows,
        total: Some(total_row),
        notes: crate::Note::infos(notes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
