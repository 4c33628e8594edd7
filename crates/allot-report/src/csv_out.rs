//! CSV: one header line with the contract column names, one line per row, money with two
//! decimals, and text that looks like a formula neutralised.

use std::io::Write;

use crate::model::Report;

/// Writes the report's rows as CSV (the total line is left out so a column sum equals the total).
pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(report.columns.iter().map(|c| c.name.as_str()))?;
    for row in &report.rows {
        out.write_record(row.iter().map(crate::model::Cell::to_safe))?;
    }
    out.flush()?;
    Ok(())
}
