//! Report writers: a report is built once as a [`Report`] (typed cells, exact money) and then
//! written in every format asked for, so the terminal table, CSV and JSON always agree.

pub mod adoption;
pub mod atomic;
pub mod close;
pub mod csv_out;
pub mod explain;
pub mod focus_out;
pub mod html_out;
pub mod json_out;
pub mod model;
pub mod parquet_out;
pub mod privacy;
pub mod reconcile;
pub mod reviews;
pub mod table_out;
pub mod views;
pub mod watch;
pub mod xlsx_out;

pub use atomic::OutputSet;
pub use model::{Cell, Column, Kind, Note, NoteKind, Report};

use std::str::FromStr;

/// The output formats a report command can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A table on standard output.
    Table,
    /// `NAME.csv` per report.
    Csv,
    /// `NAME.json` per report.
    Json,
    /// One workbook per run: a Summary sheet and a sheet per report.
    Xlsx,
    /// One self-contained HTML page per run, with charts.
    Html,
    /// `NAME.parquet` per report, typed.
    Parquet,
    /// The cost facts as a FOCUS 1.2 file (`focus.csv`), beside cloud bills.
    Focus,
}

impl Format {
    /// The file extension of the format.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Csv | Format::Focus => "csv",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
            Format::Parquet => "parquet",
        }
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "xlsx" => Ok(Format::Xlsx),
            "html" => Ok(Format::Html),
            "parquet" => Ok(Format::Parquet),
            "focus" => Ok(Format::Focus),
            other => Err(format!(
                "unknown format `{other}` (expected table, csv, json, xlsx, html, parquet or focus)"
            )),
        }
    }
}

/// Stages every file a run writes: `NAME.csv`, `NAME.json`, `NAME.parquet` per report, and one
/// `RUN.xlsx` workbook and one `RUN.html` page holding all of them.
pub fn stage(
    run: &str,
    title: &str,
    reports: &[(Report, &str)],
    formats: &[Format],
    out: &mut OutputSet,
) -> std::io::Result<()> {
    for (report, name) in reports {
        for f in formats {
            let file = format!("{name}.{}", f.extension());
            match f {
                Format::Csv => out.write(&file, |w| csv_out::write(report, w))?,
                Format::Json => out.write(&file, |w| json_out::write(report, w))?,
                Format::Parquet => out.write(&file, |w| parquet_out::write(report, w))?,
                Format::Table | Format::Xlsx | Format::Html | Format::Focus => {}
            }
        }
    }
    let all: Vec<(&Report, &str)> = reports.iter().map(|(r, n)| (r, *n)).collect();
    if formats.contains(&Format::Xlsx) {
        out.write(&format!("{run}.xlsx"), |w| xlsx_out::write(&all, w))?;
    }
    if formats.contains(&Format::Html) {
        out.write(&format!("{run}.html"), |w| html_out::write(title, &all, w))?;
    }
    Ok(())
}

#[cfg(test)]
mod rule {
    /// Figures compute, reports render: no report module rounds, splits or divides money (the
    /// figures in `allot-figures` do, once, and every report renders the same cents).
    #[test]
    fn no_report_module_computes_a_figure() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let banned = [
            "div_round_half_away",
            "largest_remainder",
            "round_to_cents",
            "split_proportional",
            "round_tree",
            "round_cents(",
            "cents::split",
            "allot_core::alloc",
        ];
        let mut files = 0;
        for entry in std::fs::read_dir(&src).expect("src") {
            let path = entry.expect("entry").path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            files += 1;
            let mut text = std::fs::read_to_string(&path).expect("source");
            // This rule's own words are not code that computes.
            if let Some(at) = text.find("mod rule {") {
                text.truncate(at);
            }
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for b in banned {
                    assert!(
                        !code.contains(b),
                        "{}:{}: a report computes ({b}): compute it in allot-figures and render the field",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
        assert!(files > 10, "the rule read the report modules");
    }
}
