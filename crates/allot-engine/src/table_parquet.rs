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
