//! The terminal table: a title line saying settled or provisional, right-aligned money, a total line.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell as TCell, CellAlignment, ColumnConstraint, ContentArrangement, Table};

use crate::model::{Cell, Kind, Report};

/// Renders the report for a terminal of `width` columns (None: no limit).
pub fn render(report: &Report, width: Option<u16>) -> String {
    let mut table = Table::new();
    table.load_preset(UTF8_FULL_CONDENSED);
    table.set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = width {
        table.set_width(w);
    }
    table.set_header(
        report
            .columns
            .iter()
            .filter(|c| c.in_table)
            .map(|c| TCell::new(&c.name)),
    );
    let aligned = |cells: &[Cell]| -> Vec<TCell> {
        report
            .columns
            .iter()
            .zip(cells)
            .filter(|(col, _)| col.in_table)
            .map(|(col, cell)| {
                let c = TCell::new(cell.to_plain());
                match col.kind {
                    Kind::Text => c,
                    Kind::Int | Kind::Money | Kind::Pct => c.set_alignment(CellAlignment::Right),
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
    // Numbers are never broken across lines: their columns keep their width, and only text
    // columns wrap when the terminal is narrow.
    let shown: Vec<Kind> = report
        .columns
        .iter()
        .filter(|c| c.in_table)
        .map(|c| c.kind)
        .collect();
    for (i, kind) in shown.iter().enumerate() {
        if *kind != Kind::Text {
            if let Some(c) = table.column_mut(i) {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
    }
    let mut out = String::new();
    let status = report.status.as_str().to_uppercase();
    out.push_str(&format!("{} [{status}]\n", report.title));
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
    for note in &report.notes {
        out.push_str(note);
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
        for n in ["19816.91", "100.00", "204"] {
            assert!(text.contains(n), "{n} broken in:\n{text}");
        }
    }
}
