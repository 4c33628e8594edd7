//! Turning exact engine results into reports: cents by largest remainder, shares that add up
//! to 100.00, the status on every row.

use allot_core::alloc::{round_to_cents, split_proportional};
use allot_core::money::{div_round_half_away, format_cents};
use allot_core::results::Chargeback;
use allot_core::{Month, Nanos, Status, UNMAPPED};
use chrono::NaiveDate;

use crate::model::{Cell, Column, Kind, Report};

/// Shares of a whole in hundredths of a percent: summing to exactly 100.00 when every part is
/// non-negative, otherwise each rounded on its own; empty when the whole is zero.
pub fn shares(parts: &[(String, Nanos)]) -> Vec<Option<i64>> {
    let total: i128 = parts.iter().map(|(_, n)| n.0).sum();
    if total == 0 {
        return vec![None; parts.len()];
    }
    let weights: Vec<(&str, i128)> = parts.iter().map(|(k, n)| (k.as_str(), n.0)).collect();
    if total > 0 {
        if let Some(split) = split_proportional(10_000, &weights) {
            return split.into_iter().map(Some).collect();
        }
    }
    parts
        .iter()
        .map(|(_, n)| Some(div_round_half_away(n.0 * 10_000, total) as i64))
        .collect()
}

/// The chargeback as a report: one row per line with `month`, the level column, the
/// cost-center attributes, `users`, `amount_usd`, `share_pct`, `exact_usd` and `status`.
pub fn chargeback_report(
    cb: &Chargeback,
    month: Month,
    as_of: NaiveDate,
    status: Status,
) -> Report {
    let mut columns = vec![
        Column::new("month", Kind::Text),
        Column::new(&cb.level_name, Kind::Text),
    ];
    for a in &cb.attribute_names {
        columns.push(Column::new(a, Kind::Text));
    }
    columns.extend([
        Column::new("users", Kind::Int),
        Column::new("amount_usd", Kind::Money),
        Column::new("share_pct", Kind::Pct),
        Column::new("exact_usd", Kind::Money).csv_only(),
        Column::new("status", Kind::Text),
    ]);
    let parts: Vec<(String, Nanos)> = cb.lines.iter().map(|l| (l.key.clone(), l.amount)).collect();
    let cents = round_to_cents(&parts);
    let pcts = shares(&parts);
    let month_s = month.to_string();
    let rows = cb
        .lines
        .iter()
        .zip(cents.iter().zip(&pcts))
        .map(|(line, (c, p))| {
            let mut row = vec![Cell::Text(month_s.clone()), Cell::Text(line.key.clone())];
            row.extend(line.attributes.iter().map(|a| Cell::Text(a.clone())));
            row.extend([
                Cell::Int(line.users as i64),
                Cell::Cents(*c),
                p.map_or(Cell::Empty, Cell::Pct),
                Cell::Text(line.amount.to_string()),
                Cell::Text(status.to_string()),
            ]);
            row
        })
        .collect();
    let total_cents = cb.total.round_cents();
    let mut total = vec![Cell::Text("TOTAL".into()), Cell::Empty];
    total.extend(cb.attribute_names.iter().map(|_| Cell::Empty));
    total.extend([
        Cell::Int(cb.users as i64),
        Cell::Cents(total_cents),
        if cb.total.0 == 0 {
            Cell::Empty
        } else {
            Cell::Pct(10_000)
        },
        Cell::Text(cb.total.to_string()),
        Cell::Text(status.to_string()),
    ]);
    let mapped: i128 = cb
        .lines
        .iter()
        .filter(|l| l.key != UNMAPPED)
        .map(|l| l.amount.0)
        .sum();
    let coverage = if cb.total.0 == 0 {
        "n/a".to_string()
    } else {
        format_cents(div_round_half_away(mapped * 10_000, cb.total.0) as i64) + "%"
    };
    let mut notes = Vec::new();
    if status == Status::Provisional {
        notes.push(format!(
            "PROVISIONAL: {month} ends less than 30 days before {as_of}; Anthropic may still revise these costs."
        ));
    }
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
        notes.push(format!(
            "{UNMAPPED}: {} people, ${} with no mapping row on the day: {}{}",
            cb.unmapped.len(),
            format_cents(amount.round_cents()),
            shown.join(", "),
            if cb.unmapped.len() > 10 { ", ..." } else { "" }
        ));
    }
    Report {
        title: format!("Chargeback {month} by {}", cb.level_name),
        status,
        meta: vec![
            ("month".into(), month_s),
            ("as_of".into(), as_of.to_string()),
            ("level".into(), cb.level_name.clone()),
            (
                "coverage_pct".into(),
                coverage.trim_end_matches('%').to_string(),
            ),
            ("total_usd".into(), format_cents(total_cents)),
        ],
        columns,
        rows,
        total: Some(total),
        notes,
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
