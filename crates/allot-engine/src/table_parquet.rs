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

/// Copies the rows of store files `sources` whose `date` text `keep` accepts into one Parquet
/// file written to `w`, in file order: how the store folds settled days into a month's file
/// and takes a day out of one. Returns the rows written per kept day. The files must share a
/// schema (they are one source's).
pub fn copy_days(
    sources: &[std::path::PathBuf],
    keep: &dyn Fn(&str) -> bool,
    w: &mut dyn Write,
) -> Result<std::collections::BTreeMap<String, u64>, EngineError> {
    let mut frames = Vec::new();
    let mut rows = std::collections::BTreeMap::new();
    for path in sources {
        let df = read_frame(path)?;
        let dates: Vec<String> = df
            .column("date")?
            .cast(&DataType::String)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect();
        let mask: BooleanChunked = dates.iter().map(|d| keep(d)).collect();
        for d in dates.iter().filter(|d| keep(d)) {
            *rows.entry(d.clone()).or_insert(0) += 1;
        }
        frames.push(df.filter(&mask)?);
    }
    // Days may differ in columns (an empty day of a catalogue source has `date` only): the
    // union, a column missing from a file as nulls, a type that differs between files as text.
    let mut union: Vec<(PlSmallStr, DataType)> = Vec::new();
    for f in &frames {
        for c in f.columns() {
            match union.iter_mut().find(|(n, _)| n == c.name()) {
                Some((_, t)) if t != c.dtype() => *t = DataType::String,
                Some(_) => {}
                None => union.push((c.name().clone(), c.dtype().clone())),
            }
        }
    }
    let mut out: Option<DataFrame> = None;
    for f in frames {
        let height = f.height();
        let cols: Vec<Column> = union
            .iter()
            .map(|(name, t)| match f.column(name) {
                Ok(c) if c.dtype() == t => Ok(c.clone()),
                Ok(c) => c.cast(t),
                Err(_) => Ok(Column::full_null(name.clone(), height, t)),
            })
            .collect::<PolarsResult<_>>()?;
        let aligned = DataFrame::new(height, cols)?;
        match &mut out {
            None => out = Some(aligned),
            Some(o) => {
                o.vstack_mut(&aligned)?;
            }
        }
    }
    let mut df = out.unwrap_or_default();
    df.rechunk_mut();
    ParquetWriter::new(w).finish(&mut df)?;
    Ok(rows)
}

/// The type of a stored column, as a table format needs to declare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Text.
    Text,
    /// Whole numbers.
    Int,
    /// Exact decimals of this scale.
    Decimal(usize),
}

/// The columns of a Parquet file the store wrote and their types (anything else is read as
/// text).
pub fn column_types(path: &std::path::Path) -> Result<Vec<(String, ColumnType)>, EngineError> {
    let schema = crate::load::parquet_schema(path)?;
    Ok(schema
        .iter()
        .map(|(name, dtype)| {
            let t = match dtype {
                DataType::Int64 | DataType::Int32 => ColumnType::Int,
                DataType::Decimal(_, s) => ColumnType::Decimal(*s),
                _ => ColumnType::Text,
            };
            (name.to_string(), t)
        })
        .collect())
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
            let decimals = df.column(name)?.cast(&DataType::Decimal(38, 9))?;
            Ok(decimals
                .decimal()?
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
