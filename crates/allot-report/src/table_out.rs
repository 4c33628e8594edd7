//! The terminal table: a title line saying settled or provisional, right-aligned money, a total line.

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell as TCell, CellAlignment, ContentArrangement, Table};

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
