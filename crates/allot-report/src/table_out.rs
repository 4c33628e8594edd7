//! The terminal table: a title line saying settled or provisional, right-aligned money, a total line.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{
    Cell as TCell, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width,
};

use crate::model::{Cell, Kind, Report};

/// Renders the report for a terminal of `width` columns (None: no limit). Numbers keep their
/// full width and text columns never shrink below a readable width: when the terminal is too
/// narrow for every column, columns are left out from the right (never the first one or the
/// amount), and a line under the table names them (the CSV has them all).
pub fn render(report: &Report, width: Option<u16>) -> String {
    let mut shown: Vec<usize> = (0..report.columns.len())
        .filter(|&i| report.columns[i].in_table)
        .collect();
    let natural = |i: usize| -> usize {
        std::iter::once(report.columns[i].name.chars().count())
            .chain(
                report
                    .rows
                    .iter()
                    .chain(report.total.iter())
                    .map(|r| r.get(i).map_or(0, |c| c.to_plain().chars().count())),
            )
            .max()
            .unwrap_or(0)
    };
    let first = shown.first().copied();
    let amount = shown
        .iter()
        .copied()
        .find(|&i| report.columns[i].name == "amount_usd")
        .or_else(|| {
            shown
                .iter()
                .copied()
                .find(|&i| report.columns[i].kind == Kind::Money)
        });
    // The narrowest each column may be: numbers whole, the first column up to 24 characters,
    // other text up to 14 (longer text wraps onto more lines).
    let naturals: Vec<usize> = (0..report.columns.len()).map(natural).collect();
    let least = |i: usize| -> usize {
        let n = naturals[i];
        match report.columns[i].kind {
            Kind::Text if Some(i) == first => n.min(24),
            Kind::Text => n.min(14),
            _ => n,
        }
    };
    let mut left_out: Vec<usize> = Vec::new();
    if let Some(w) = width {
        let needed = |cols: &[usize]| cols.iter().map(|&i| least(i) + 3).sum::<usize>() + 1;
        // Counts go first, then text, then percentages, then money; the rightmost first.
        let rank = |i: usize| match report.columns[i].kind {
            Kind::Int => 0,
            Kind::Text => 1,
            Kind::Pct => 2,
            Kind::Money => 3,
        };
        while needed(&shown) > usize::from(w) {
            let Some(pos) = (0..shown.len())
                .filter(|&p| Some(shown[p]) != first && Some(shown[p]) != amount)
                .min_by_key(|&p| (rank(shown[p]), std::cmp::Reverse(p)))
            else {
                break;
            };
            left_out.push(shown.remove(pos));
        }
        left_out.sort_unstable();
    }
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    table.set_header(shown.iter().map(|&i| TCell::new(&report.columns[i].name)));
    let aligned = |cells: &[Cell]| -> Vec<TCell> {
        shown
            .iter()
            .map(|&i| {
                let cell = TCell::new(cells.get(i).map_or_else(String::new, Cell::to_plain));
                match report.columns[i].kind {
                    Kind::Text => cell,
                    Kind::Int | Kind::Money | Kind::Pct => cell.set_alignment(CellAlignment::Right),
                }
            })
            .collect()
    };
    for row in &report.rows {
        table.add_row(aligned(row));
    }
    if let Some(total) = &report.total {
        table.add_row(aligned(total));
    }
    // Numbers are never broken across lines; text columns wrap, but never below their least
    // width.
    for (j, &i) in shown.iter().enumerate() {
        if let Some(c) = table.column_mut(j) {
            let least = u16::try_from(least(i)).unwrap_or(u16::MAX);
            c.set_constraint(match report.columns[i].kind {
                Kind::Text => ColumnConstraint::LowerBoundary(Width::Fixed(least)),
                _ => ColumnConstraint::ContentWidth,
            });
        }
    }
    let mut out = String::new();
    // Settled, provisional or incomplete is said of money: a report with none (the API
    // check, a mapping's findings) has no such badge.
    if report.columns.iter().any(|c| c.kind == Kind::Money) {
        let status = report.status.as_str().to_uppercase();
        out.push_str(&format!("{} [{status}]\n", report.title));
    } else {
        out.push_str(&format!("{}\n", report.title));
    }
    let meta: Vec<String> = report
        .meta
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    if !meta.is_empty() {
        out.push_str(&meta.join(" | "));
        out.push('\n');
    }
    out.push_str(&table.to_string());
    out.push('\n');
    if !left_out.is_empty() {
        out.push_str(&format!(
            "({} left out at this width: {}; a wider terminal or the CSV has them)\n",
            if left_out.len() == 1 {
                "1 column".to_string()
            } else {
                format!("{} columns", left_out.len())
            },
            left_out
                .iter()
                .map(|&i| report.columns[i].name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for note in &report.notes {
        out.push_str(&note.text);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cell, Column};
    use allot_core::Status;

    #[test]
    fn a_narrow_terminal_wraps_text_never_numbers() {
        let report = Report {
            title: "t".into(),
            status: Status::Settled,
            meta: vec![],
            columns: vec![
                Column::new("cost_center_with_a_long_name", Kind::Text),
                Column::new("department", Kind::Text),
                Column::new("amount_usd", Kind::Money),
                Column::new("share_pct", Kind::Pct),
                Column::new("users", Kind::Int),
            ],
            rows: vec![vec![
                Cell::Text("Engineering platform and developer productivity".into()),
                Cell::Text("Research and development of everything".into()),
                Cell::Cents(1_981_691),
                Cell::Pct(10_000),
                Cell::Int(204),
            ]],
            total: None,
            notes: vec![],
        };
        let text = render(&report, Some(60));
        // Every number whole, or its column named as left out at this width.
        for (n, col) in [
            ("19816.91", "amount_usd"),
            ("100.00", "share_pct"),
            ("204", "users"),
        ] {
            let left_out = text
                .lines()
                .any(|l| l.contains("left out at this width") && l.contains(col));
            assert!(text.contains(n) || left_out, "{n} broken in:\n{text}");
        }
        assert!(
            text.contains("19816.91"),
            "the amount always stays:\n{text}"
        );
        assert!(
            text.lines()
                .all(|l| l.chars().count() <= 60 || !l.starts_with('│')),
            "{text}"
        );
    }
}
