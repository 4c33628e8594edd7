//! XLSX: one workbook per run, a Summary sheet (period, settled or provisional, totals,
//! coverage) and a sheet per report. Money is written as numbers with a currency format,
//! never as text; headers are frozen and filterable; formula-like text is neutralised.

use std::io::Write;

use allot_core::money::cents_to_decimal;
use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use crate::model::{Cell, Kind, Report};

#[allow(clippy::needless_pass_by_value)] // used as map_err(xlsx_err)
fn xlsx_err(e: XlsxError) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

/// Excel sheet names: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str, taken: &[String]) -> String {
    let clean: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(28)
        .collect();
    let mut candidate = clean.clone();
    let mut n = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&candidate)) {
        candidate = format!("{clean}~{n}");
        n += 1;
    }
    candidate
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    kind: Kind,
    f: &Formats,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Text(s) => {
            ws.write_string(row, col, crate::model::neutralize(s))?;
        }
        Cell::Int(i) => {
            ws.write_number_with_format(row, col, *i as f64, &f.int)?;
        }
        Cell::Cents(c) if kind == Kind::Pct => {
            ws.write_with_format(row, col, cents_to_decimal(*c), &f.pct)?;
        }
        Cell::Cents(c) => {
            ws.write_with_format(row, col, cents_to_decimal(*c), &f.money)?;
        }
        Cell::Pct(p) => {
            ws.write_with_format(row, col, cents_to_decimal(*p), &f.pct)?;
        }
        Cell::Exact(n) => {
            ws.write_with_format(row, col, n.to_decimal(), &f.exact)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

struct Formats {
    header: Format,
    money: Format,
    exact: Format,
    pct: Format,
    int: Format,
    bold: Format,
}

/// Writes every report of a run into one workbook.
pub fn write(reports: &[(&Report, &str)], w: &mut dyn Write) -> std::io::Result<()> {
    let f = Formats {
        header: Format::new().set_bold().set_background_color("#E8EEF7"),
        money: Format::new().set_num_format("$#,##0.00"),
        exact: Format::new().set_num_format("$#,##0.00#######"),
        pct: Format::new().set_num_format("0.00"),
        int: Format::new().set_num_format("#,##0"),
        bold: Format::new().set_bold(),
    };
    let mut wb = Workbook::new();
    // The workbook says it was made on the as-of date, not now, so the same inputs give the
    // same bytes.
    let as_of = reports
        .iter()
        .find_map(|(r, _)| r.meta.iter().find(|(k, _)| k == "as_of"))
        .and_then(|(_, v)| allot_core::date::parse_date(v))
        .unwrap_or(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid date"));
    wb.set_properties(
        &rust_xlsxwriter::DocProperties::new()
            .set_creation_datetime(&as_of)
            .set_author("allot"),
    );
    let mut names = vec!["Summary".to_string()];
    {
        let ws = wb.add_worksheet();
        ws.set_name("Summary").map_err(xlsx_err)?;
        ws.set_column_width(0, 28).map_err(xlsx_err)?;
        ws.set_column_width(1, 40).map_err(xlsx_err)?;
        let mut r = 0;
        for (report, _) in reports {
            ws.write_string_with_format(r, 0, &report.title, &f.bold)
                .map_err(xlsx_err)?;
            ws.write_string_with_format(r, 1, report.status.as_str().to_uppercase(), &f.bold)
                .map_err(xlsx_err)?;
            r += 1;
            for (k, v) in &report.meta {
                ws.write_string(r, 0, k).map_err(xlsx_err)?;
                // Totals are numbers, so finance can add them up.
                match v.parse::<rust_decimal::Decimal>() {
                    Ok(d) if k.ends_with("_usd") => ws.write_with_format(r, 1, d, &f.money),
                    Ok(d) if k.ends_with("_pct") => ws.write_with_format(r, 1, d, &f.pct),
                    _ => ws.write_string(r, 1, v),
                }
                .map_err(xlsx_err)?;
                r += 1;
            }
            for note in &report.notes {
                ws.write_string(r, 0, crate::model::neutralize(&note.text))
                    .map_err(xlsx_err)?;
                r += 1;
            }
            r += 1;
        }
    }
    for (report, name) in reports {
        let sheet = sheet_name(name, &names);
        names.push(sheet.clone());
        let ws = wb.add_worksheet();
        ws.set_name(&sheet).map_err(xlsx_err)?;
        let mut widths: Vec<usize> = report.columns.iter().map(|c| c.name.len()).collect();
        for (c, col) in report.columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, &col.name, &f.header)
                .map_err(xlsx_err)?;
        }
        for (r, row) in report.rows.iter().enumerate() {
            for (c, (cell, col)) in row.iter().zip(&report.columns).enumerate() {
                write_cell(ws, r as u32 + 1, c as u16, cell, col.kind, &f).map_err(xlsx_err)?;
                widths[c] = widths[c].max(cell.to_plain().len());
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as u16 + 2).min(60))
                .map_err(xlsx_err)?;
        }
        ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
        if !report.columns.is_empty() {
            ws.autofilter(
                0,
                0,
                report.rows.len() as u32,
                report.columns.len() as u16 - 1,
            )
            .map_err(xlsx_err)?;
        }
    }
    let bytes = wb.save_to_buffer().map_err(xlsx_err)?;
    w.write_all(&bytes)
}
