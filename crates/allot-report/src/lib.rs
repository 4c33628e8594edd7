//! Report writers: a report is built once as a [`Report`] (typed cells, exact money) and then
//! written in every format asked for, so the terminal table, CSV and JSON always agree.

pub mod atomic;
pub mod csv_out;
pub mod json_out;
pub mod model;
pub mod reviews;
pub mod table_out;
pub mod views;

pub use atomic::OutputSet;
pub use model::{Cell, Column, Kind, Report};

use std::str::FromStr;

/// The output formats a report command can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A table on standard output.
    Table,
    /// `NAME.csv` in the output folder.
    Csv,
    /// `NAME.json` in the output folder.
    Json,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            other => Err(format!(
                "unknown format `{other}` (expected table, csv or json)"
            )),
        }
    }
}

/// Writes `report` as `NAME.csv` / `NAME.json` into the staged output set, for the formats asked.
pub fn stage(
    report: &Report,
    name: &str,
    formats: &[Format],
    out: &mut OutputSet,
) -> std::io::Result<()> {
    for f in formats {
        match f {
            Format::Table => {}
            Format::Csv => out.write(&format!("{name}.csv"), |w| csv_out::write(report, w))?,
            Format::Json => out.write(&format!("{name}.json"), |w| json_out::write(report, w))?,
        }
    }
    Ok(())
}
