//! Parquet: the report's rows with a typed schema (see `allot_engine::table_parquet`): money as
//! Decimal(38, 2), exact amounts as Decimal(38, 9), counts as Int64, the rest as strings.

use std::io::Write;

use allot_engine::table_parquet::{write_parquet, Values};

use crate::model::{Cell, Kind, Report};

/// Writes the report's rows (not its total line) as Parquet.
pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let columns = report
        .columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let cells = report.rows.iter().map(|r| &r[i]);
            let exact = report.rows.iter().any(|r| matches!(r[i], Cell::Exact(_)));
            let values = match col.kind {
                Kind::Text => Values::Text(
                    cells
                        .map(|c| match c {
                            Cell::Empty => None,
                            other => Some(other.to_plain()),
                        })
                        .collect(),
                ),
                Kind::Int => Values::Int(
                    cells
                        .map(|c| match c {
                            Cell::Int(v) => Some(*v),
                            _ => None,
                        })
                        .collect(),
                ),
                Kind::Money | Kind::Pct if exact => Values::Decimal(
                    cells
                        .map(|c| match c {
                            Cell::Exact(n) => Some(n.0),
                            Cell::Cents(v) | Cell::Pct(v) => Some(i128::from(*v) * 10_000_000),
                            _ => None,
                        })
                        .collect(),
                    9,
                ),
                Kind::Money | Kind::Pct => Values::Decimal(
                    cells
                        .map(|c| match c {
                            Cell::Cents(v) | Cell::Pct(v) => Some(i128::from(*v)),
                            _ => None,
                        })
                        .collect(),
                    2,
                ),
            };
            (col.name.clone(), values)
        })
        .collect();
    write_parquet(columns, w).map_err(|e| std::io::Error::other(e.to_string()))
}
