//! Writing a finished report as Parquet with a stable, typed schema: text as strings, counts as
//! Int64, money as Decimal(38, 2) (exact amounts as Decimal(38, 9)), never floating point.

use std::io::Write;

use polars::prelude::*;

use crate::error::EngineError;

/// One column's values.
#[derive(Debug, Clone)]
pub enum Values {
    /// Text.
    Text(Vec<Option<String>>),
    /// Whole numbers.
    Int(Vec<Option<i64>>),
    /// Exact decimals: unscaled integers and their scale (2 for cents, 9 for nano-dollars).
    Decimal(Vec<Option<i128>>, usize),
}

/// Writes named columns as one Parquet file.
pub fn write_parquet(columns: Vec<(String, Values)>, w: &mut dyn Write) -> Result<(), EngineError> {
    let height = columns.first().map_or(0, |(_, v)| match v {
        Values::Text(x) => x.len(),
        Values::Int(x) => x.len(),
        Values::Decimal(x, _) => x.len(),
    });
    let cols: Vec<Column> = columns
        .into_iter()
        .map(|(name, values)| -> PolarsResult<Column> {
            Ok(match values {
                Values::Text(v) => Column::new(name.as_str().into(), v),
                Values::Int(v) => Column::new(name.as_str().into(), v),
                Values::Decimal(v, scale) => {
                    Int128Chunked::from_iter_options(name.as_str().into(), v.into_iter())
                        .into_decimal(38, scale)?
                        .into_series()
                        .into_column()
                }
            })
        })
        .collect::<PolarsResult<_>>()?;
    let mut df = DataFrame::new(height, cols)?;
    ParquetWriter::new(w).finish(&mut df)?;
    Ok(())
}

/// A whole Parquet file the store wrote, read into a frame.
fn read_frame(path: &std::path::Path) -> Result<DataFrame, EngineError> {
    let file = std::fs::File::open(path).map_err(|e| {
        EngineError::Input(allot_core::InputError::BadFile {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })
    })?;
    Ok(ParquetReader::new(file).finish()?)
}

/// One row of a store table read back: its `date` column and its whole-number columns.
pub type IntRow = (String, std::collections::BTreeMap<String, i64>);

/// Reads the whole-number columns (and the `date` text) of Parquet files the store wrote, one
/// entry per row (e.g. the engagement `summaries`, a row per day). Non-integer columns are
/// skipped; nulls are left out of the row.
pub fn read_int_rows(files: &[std::path::PathBuf]) -> Result<Vec<IntRow>, EngineError> {
    let mut out = Vec::new();
    for path in files {
        let df = read_frame(path)?;
        let dates: Vec<String> = match df.column("date") {
            Ok(c) => c
                .cast(&DataType::String)?
                .str()?
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect(),
            Err(_) => vec![String::new(); df.height()],
        };
        let mut rows: Vec<IntRow> = dates
            .into_iter()
            .map(|d| (d, std::collections::BTreeMap::new()))
            .collect();
        for c in df.columns() {
            if c.dtype() != &DataType::Int64 {
                continue;
            }
            for (i, v) in c.i64()?.iter().enumerate() {
                if let Some(v) = v {
                    rows[i].1.insert(c.name().to_string(), v);
                }
            }
        }
        out.extend(rows);
    }
    Ok(out)
}

/// One restatement record as the store keeps it: what a provisional day held before a sync
/// fetched it again, and what it holds now.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Restatement {
    /// The day the sync that saw it ran (its as-of date).
    pub fetched_on: String,
    /// The store source (`actor_cost`, `cost`, `org_cost`).
    pub source: String,
    /// The day whose value moved.
    pub date: String,
    /// The person or spender.
    pub email: String,
    /// Product/model/context window/cost type/token type.
    pub component: String,
    /// The amount before, nano-dollars.
    pub old_nanos: i128,
    /// The amount after, nano-dollars.
    pub new_nanos: i128,
}

/// Reads the restatement files of a store (`restatements/*.parquet`), in file order.
pub fn read_restatements(files: &[std::path::PathBuf]) -> Result<Vec<Restatement>, EngineError> {
    let mut out = Vec::new();
    for path in files {
        let df = read_frame(path)?;
        let text = |name: &str| -> Result<Vec<String>, EngineError> {
            Ok(df
                .column(name)?
                .cast(&DataType::String)?
                .str()?
                .iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect())
        };
        let nanos = |name: &str| -> Result<Vec<i128>, EngineError> {
            let c = df.column(name)?.cast(&DataType::Decimal(38, 9))?;
            Ok(c.decimal()?
                .physical()
                .iter()
                .map(|v| v.unwrap_or(0))
                .collect())
        };
        let (fetched, source, date, email, component) = (
            text("fetched_on")?,
            text("source")?,
            text("date")?,
            text("email")?,
            text("component")?,
        );
        let (old, new) = (nanos("old_usd")?, nanos("new_usd")?);
        for i in 0..df.height() {
            out.push(Restatement {
                fetched_on: fetched[i].clone(),
                source: source[i].clone(),
                date: date[i].clone(),
                email: email[i].clone(),
                component: component[i].clone(),
                old_nanos: old[i],
                new_nanos: new[i],
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_exact_decimals() {
        let mut bytes = Vec::new();
        write_parquet(
            vec![
                (
                    "cost_center".into(),
                    Values::Text(vec![Some("CC-1".into()), None]),
                ),
                ("users".into(), Values::Int(vec![Some(3), Some(0)])),
                (
                    "amount_usd".into(),
                    Values::Decimal(vec![Some(1284), Some(-5)], 2),
                ),
            ],
            &mut bytes,
        )
        .unwrap();
        let df = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap();
        let amount = df.column("amount_usd").unwrap();
        assert_eq!(amount.dtype(), &DataType::Decimal(38, 2));
        let values: Vec<Option<i128>> = amount.decimal().unwrap().physical().iter().collect();
        assert_eq!(values, vec![Some(1284), Some(-5)]);
        assert_eq!(df.column("users").unwrap().dtype(), &DataType::Int64);
    }
}
