//! Loading fact files (CSV or Parquet) into DataFrames with typed, exact columns.
//!
//! Money becomes `Int64` nano-dollars and dates `Date`; every cell that cannot be read exactly is
//! an error naming the file, line (or Parquet row), column and value. Nothing is guessed.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use allot_core::date::{parse_date, to_epoch_days};
use allot_core::facts::{ACTIVITY_REQUIRED, COST_OPTIONAL, COST_REQUIRED};
use allot_core::money::{parse_usd, AmountError, NANO_SCALE};
use allot_core::{InputError, Nanos};
use chrono::NaiveDate;
use polars::prelude::*;

use crate::error::EngineError;

/// Facts loaded from one or more files.
#[derive(Debug, Clone)]
pub struct FactFrame {
    /// The facts: `date` (Date), `email` (String) and the requested columns; cost files give
    /// `cost_nanos` (Int64 nano-dollars) for `cost_usd`.
    pub df: DataFrame,
    /// Exact sum of `cost_nanos` over the loaded rows, computed outside polars for tie-out checks.
    pub total: Nanos,
}

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Date,
    Money,
    Int,
}

/// The name a money column gets once it holds nano-dollars.
pub fn money_column(name: &str) -> String {
    match name.strip_suffix("_usd") {
        Some(stem) => format!("{stem}_nanos"),
        None => format!("{name}_nanos"),
    }
}

fn kind_of(name: &str) -> Kind {
    match name {
        "date" => Kind::Date,
        n if n.ends_with("_usd") => Kind::Money,
        n if allot_core::facts::is_count(n) => Kind::Int,
        _ => Kind::Text,
    }
}

/// Loads cost facts, keeping `date`, `email`, `cost_usd` (as `cost_nanos`) and the `extra`
/// columns, restricted to `range` (inclusive) when given. Several files are stacked.
pub fn load_costs(
    paths: &[PathBuf],
    extra: &[&str],
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<FactFrame, EngineError> {
    let mut wanted = vec!["date", "email", "cost_usd"];
    for c in extra {
        if !wanted.contains(c) {
            wanted.push(c);
        }
    }
    load(paths, &COST_REQUIRED, &wanted, range)
}

/// Loads activity facts (every column of the activity schema), restricted to `range` when given.
pub fn load_activity(
    paths: &[PathBuf],
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<FactFrame, EngineError> {
    let wanted: Vec<&str> = ACTIVITY_REQUIRED
        .iter()
        .chain(allot_core::facts::ACTIVITY_COUNTS.iter())
        .copied()
        .collect();
    load(paths, &ACTIVITY_REQUIRED, &wanted, range)
}

fn load(
    paths: &[PathBuf],
    required: &[&str],
    wanted: &[&str],
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<FactFrame, EngineError> {
    let mut frames = Vec::with_capacity(paths.len());
    let mut total = Nanos::ZERO;
    for path in paths {
        let (df, sum) = load_one(path, required, wanted, range)?;
        total += sum;
        frames.push(df);
    }
    let df = match frames.len() {
        0 => empty_frame(wanted)?,
        1 => frames.pop().expect("one frame"),
        _ => {
            let mut it = frames.into_iter();
            let mut acc = it.next().expect("frames");
            for f in it {
                acc.vstack_mut_owned(f)?;
            }
            acc.rechunk_mut();
            acc
        }
    };
    Ok(FactFrame { df, total })
}

fn empty_frame(wanted: &[&str]) -> PolarsResult<DataFrame> {
    let cols: Vec<Column> = wanted
        .iter()
        .map(|name| {
            let (out, dtype) = match kind_of(name) {
                Kind::Text => ((*name).to_string(), DataType::String),
                Kind::Date => ((*name).to_string(), DataType::Date),
                Kind::Money => (money_column(name), DataType::Int64),
                Kind::Int => ((*name).to_string(), DataType::Int64),
            };
            Column::new_empty(out.as_str().into(), &dtype)
        })
        .collect();
    DataFrame::new(0, cols)
}

/// The format of a fact file, by its extension.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    Csv,
    Parquet,
}

pub(crate) fn source_of(path: &Path) -> Result<Source, InputError> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => Ok(Source::Csv),
        "parquet" | "pq" => Ok(Source::Parquet),
        _ => Err(InputError::BadFile {
            path: path.to_path_buf(),
            problem: "is neither .csv nor .parquet".into(),
        }),
    }
}

fn load_one(
    path: &Path,
    required: &[&str],
    wanted: &[&str],
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<(DataFrame, Nanos), EngineError> {
    let source = source_of(path)?;
    if let Err(source) = std::fs::metadata(path) {
        return Err(InputError::Unreadable {
            path: path.to_path_buf(),
            source,
        }
        .into());
    }
    let started = std::time::Instant::now();
    let out = match source {
        Source::Csv => {
            let raw = read_csv_raw(path, required, wanted)?;
            convert(&raw, path, source, wanted, range)
        }
        Source::Parquet => {
            let raw = read_parquet_raw(path, required, wanted)?;
            convert(&raw, path, source, wanted, range)
        }
    };
    tracing::debug!(elapsed = ?started.elapsed(), "loaded {}", path.display());
    out
}

pub(crate) fn check_columns(
    path: &Path,
    found: &[String],
    required: &[&str],
) -> Result<(), InputError> {
    // One header holding the columns separated by `;` (or a tab): a European export, not a
    // file with a column missing. Say which it is.
    if let [only] = found {
        for (sep, name) in [(';', "semicolons"), ('\t', "tabs")] {
            if only
                .split(sep)
                .filter(|c| required.contains(&c.trim()))
                .count()
                >= 2
            {
                return Err(InputError::BadFile {
                    path: path.to_path_buf(),
                    problem: format!(
                        "is separated by {name}, not commas (its header reads `{only}`): fact files are CSV with `,` between values and `.` in amounts; export it that way"
                    ),
                });
            }
        }
    }
    for col in required {
        if !found.iter().any(|f| f == col) {
            return Err(InputError::MissingColumn {
                path: path.to_path_buf(),
                column: (*col).to_string(),
                found: found.to_vec(),
            });
        }
    }
    Ok(())
}

/// The header line of a CSV file, cleaned of a byte-order mark and surrounding spaces.
pub(crate) fn csv_headers(path: &Path) -> Result<Vec<String>, EngineError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(file);
    match reader.records().next() {
        Some(Ok(rec)) => Ok(rec
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect()),
        Some(Err(e)) => Err(InputError::BadFile {
            path: path.to_path_buf(),
            problem: format!("not a readable CSV file: {e}"),
        }
        .into()),
        None => Err(InputError::BadFile {
            path: path.to_path_buf(),
            problem: "is empty: expected a header line".into(),
        }
        .into()),
    }
}

/// Loads in progress whose readers' panics are caught and reported as bad input: while one
/// runs, the panic hook stays silent (the error names the file instead of Rust's panic text
/// on the terminal first).
static QUIET_PANICS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Holds the panic hook silent for as long as it lives.
pub(crate) struct QuietPanics;

impl QuietPanics {
    pub(crate) fn enter() -> QuietPanics {
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                if QUIET_PANICS.load(std::sync::atomic::Ordering::SeqCst) == 0 {
                    previous(info);
                }
            }));
        });
        QUIET_PANICS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        QuietPanics
    }
}

impl Drop for QuietPanics {
    fn drop(&mut self) {
        QUIET_PANICS.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The number of rows a Parquet file's footer records, after checking that its footer
/// decodes and its row groups lie inside the file (what `allot store verify` asks of every
/// stored day).
pub fn parquet_rows(path: &Path) -> Result<u64, EngineError> {
    parquet_schema(path)?;
    let file = std::fs::File::open(path).map_err(|source| InputError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = ParquetReader::new(file);
    let rows = {
        let _quiet = QuietPanics::enter();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.num_rows()))
    };
    match rows {
        Ok(Ok(n)) => Ok(n as u64),
        _ => Err(InputError::BadFile {
            path: path.to_path_buf(),
            problem: "is damaged: its row count cannot be read".into(),
        }
        .into()),
    }
}

/// The schema of a Parquet file.
pub(crate) fn parquet_schema(path: &Path) -> Result<Schema, EngineError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let len = file.metadata().map_or(u64::MAX, |m| m.len());
    let mut reader = ParquetReader::new(file);
    let bad = |problem: String| InputError::BadFile {
        path: path.to_path_buf(),
        problem,
    };
    // The footer's row groups must lie inside the file: polars' streaming reader trusts them
    // and reads out of bounds when they do not (fuzzing found a damaged file that did).
    // A damaged footer can make polars' metadata decoder panic: bad input, named.
    let md = {
        let _quiet = QuietPanics::enter();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            reader.get_metadata().cloned()
        }))
    }
    .map_err(|_| bad("is damaged: its footer cannot be decoded".into()))?
    .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    for (i, rg) in md.row_groups.iter().enumerate() {
        let ranges = std::iter::once(rg.full_byte_range()).chain(rg.byte_ranges_iter());
        for r in ranges {
            if r.start > r.end || r.end > len {
                return Err(bad(format!(
                    "is damaged or cut short: its row group {i} claims bytes {}..{} of a {len}-byte file",
                    r.start, r.end
                ))
                .into());
            }
        }
    }
    let schema = reader
        .schema()
        .map_err(|e| bad(format!("not a readable Parquet file: {e}")))?;
    Ok(Schema::from_arrow_schema(&schema))
}

/// Reads a file cell by cell the slow, precise way: the first cell that cannot be read
/// exactly is an error naming its file, line, column and value.
pub(crate) fn check_file(
    path: &Path,
    required: &[&str],
    wanted: &[&str],
) -> Result<(), EngineError> {
    load_one(path, required, wanted, None).map(|_| ())
}

fn read_csv_raw(path: &Path, required: &[&str], wanted: &[&str]) -> Result<DataFrame, EngineError> {
    let headers = csv_headers(path)?;
    check_columns(path, &headers, required)?;
    let wanted_present: Vec<&str> = wanted
        .iter()
        .copied()
        .filter(|w| headers.iter().any(|h| h == w))
        .collect();
    let schema: Schema = headers
        .iter()
        .map(|h| Field::new(h.as_str().into(), DataType::String))
        .collect();
    let columns: Arc<[PlSmallStr]> = wanted_present
        .iter()
        .map(|w| PlSmallStr::from(*w))
        .collect();
    let df = CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_columns(Some(columns))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))?
        .finish()
        .map_err(|e| InputError::BadFile {
            path: path.to_path_buf(),
            problem: format!("not a readable CSV file: {e}"),
        })?;
    Ok(df)
}

fn read_parquet_raw(
    path: &Path,
    required: &[&str],
    wanted: &[&str],
) -> Result<DataFrame, EngineError> {
    let open = || {
        std::fs::File::open(path).map_err(|source| InputError::Unreadable {
            path: path.to_path_buf(),
            source,
        })
    };
    let not_parquet = |e: PolarsError| InputError::BadFile {
        path: path.to_path_buf(),
        problem: format!("not a readable Parquet file: {e}"),
    };
    let mut reader = ParquetReader::new(open()?);
    let schema = reader.schema().map_err(not_parquet)?;
    let names: Vec<String> = schema.iter_names().map(ToString::to_string).collect();
    check_columns(path, &names, required)?;
    let present: Vec<String> = wanted
        .iter()
        .filter(|w| names.iter().any(|n| n == *w))
        .map(|w| (*w).to_string())
        .collect();
    let df = ParquetReader::new(open()?)
        .with_columns(Some(present))
        .finish()
        .map_err(not_parquet)?;
    Ok(df)
}

/// Where a row sits in its file, for messages.
fn line_of(path: &Path, source: Source, row: usize) -> u64 {
    match source {
        Source::Parquet => row as u64 + 1,
        Source::Csv => {
            // Quoted fields may span lines, so ask a real CSV reader where the record starts.
            let fallback = row as u64 + 2;
            let Ok(bytes) = std::fs::read(path) else {
                return fallback;
            };
            let lines = allot_mapping::table::LineIndex::new(&bytes);
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(bytes.as_slice());
            reader
                .records()
                .nth(row)
                .and_then(Result::ok)
                .and_then(|rec| rec.position().map(|p| lines.line_of(&bytes, p.byte())))
                .unwrap_or(fallback)
        }
    }
}

fn bad_value(
    path: &Path,
    source: Source,
    row: usize,
    column: &str,
    value: &str,
    problem: &str,
) -> EngineError {
    let line = line_of(path, source, row);
    match source {
        Source::Csv => InputError::BadValue {
            path: path.to_path_buf(),
            line,
            column: column.to_string(),
            value: value.to_string(),
            problem: problem.to_string(),
        },
        Source::Parquet => InputError::BadFile {
            path: path.to_path_buf(),
            problem: format!("row {line}, column `{column}`: `{value}` {problem}"),
        },
    }
    .into()
}

fn wrong_type(path: &Path, column: &str, dtype: &DataType, expected: &str) -> EngineError {
    InputError::BadFile {
        path: path.to_path_buf(),
        problem: format!("column `{column}` has type {dtype}; expected {expected}"),
    }
    .into()
}

fn convert(
    raw: &DataFrame,
    path: &Path,
    source: Source,
    wanted: &[&str],
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<(DataFrame, Nanos), EngineError> {
    let height = raw.height();
    let started = std::time::Instant::now();
    let date_col = raw.column("date")?;
    let days = date_days(date_col, path, source)?;
    let keep: Option<Vec<bool>> = range.map(|(from, to)| {
        let (lo, hi) = (to_epoch_days(from), to_epoch_days(to));
        days.iter().map(|d| *d >= lo && *d <= hi).collect()
    });
    let mut out: Vec<Column> = Vec::with_capacity(wanted.len());
    let mut total = Nanos::ZERO;
    for name in wanted {
        let Ok(col) = raw.column(name) else {
            // An optional column the file does not have: all empty.
            let column = match kind_of(name) {
                Kind::Money => {
                    Column::full_null(money_column(name).as_str().into(), height, &DataType::Int64)
                }
                Kind::Int => Column::full_null((*name).into(), height, &DataType::Int64),
                _ => Column::full_null((*name).into(), height, &DataType::String),
            };
            out.push(column);
            continue;
        };
        let converted = match kind_of(name) {
            Kind::Date => Int32Chunked::from_vec((*name).into(), days.clone())
                .into_date()
                .into_column(),
            Kind::Money => {
                let required = *name == "cost_usd";
                let nanos = money_nanos(col, path, source, required)?;
                if required {
                    total += sum_kept(&nanos, keep.as_ref());
                }
                nanos
                    .with_name(money_column(name).as_str().into())
                    .into_column()
            }
            Kind::Int => int_column(col, path, source)?.into_column(),
            Kind::Text => text_column(col, path, source, *name == "email")?,
        };
        out.push(converted);
    }
    tracing::debug!(elapsed = ?started.elapsed(), "converted columns");
    let mut df = DataFrame::new(height, out)?;
    if let Some(mask) = keep {
        if mask.iter().any(|k| !k) {
            let mask: BooleanChunked = mask.into_iter().collect();
            df = df.filter(&mask)?;
        }
    }
    Ok((df, total))
}

fn sum_kept(nanos: &Int64Chunked, keep: Option<&Vec<bool>>) -> Nanos {
    let mut s: i128 = 0;
    match keep {
        Some(mask) => {
            for (v, k) in nanos.into_no_null_iter().zip(mask.iter()) {
                if *k {
                    s += i128::from(v);
                }
            }
        }
        None => {
            for v in nanos.into_no_null_iter() {
                s += i128::from(v);
            }
        }
    }
    Nanos(s)
}

fn date_days(col: &Column, path: &Path, source: Source) -> Result<Vec<i32>, EngineError> {
    match col.dtype() {
        DataType::Date => {
            let ca = col.date()?.physical();
            ca.iter()
                .enumerate()
                .map(|(i, v)| v.ok_or_else(|| bad_value(path, source, i, "date", "", "is empty")))
                .collect()
        }
        DataType::String => {
            let ca = col.str()?;
            let mut out = Vec::with_capacity(ca.len());
            let mut last: Option<(&str, i32)> = None;
            for (i, v) in ca.iter().enumerate() {
                let Some(s) = v else {
                    return Err(bad_value(path, source, i, "date", "", "is empty"));
                };
                if let Some((prev, d)) = last {
                    if prev == s {
                        out.push(d);
                        continue;
                    }
                }
                let day = parse_date(s.trim()).map(to_epoch_days).ok_or_else(|| {
                    bad_value(
                        path,
                        source,
                        i,
                        "date",
                        s,
                        "is not a date (expected YYYY-MM-DD)",
                    )
                })?;
                last = Some((s, day));
                out.push(day);
            }
            Ok(out)
        }
        other => Err(wrong_type(path, "date", other, "a date or YYYY-MM-DD text")),
    }
}

fn money_nanos(
    col: &Column,
    path: &Path,
    source: Source,
    required: bool,
) -> Result<Int64Chunked, EngineError> {
    let name = col.name().as_str();
    let empty = |i: usize| bad_value(path, source, i, name, "", "is empty");
    match col.dtype() {
        DataType::String => {
            let ca = col.str()?;
            match parse_money_parallel(ca, required) {
                Ok(values) => Ok(Int64Chunked::from_iter_options(
                    name.into(),
                    values.into_iter(),
                )),
                Err((i, None)) => Err(empty(i)),
                Err((i, Some((text, e)))) => {
                    let problem = format!("{e} (expected dollars, e.g. 12.345)");
                    Err(bad_value(path, source, i, name, &text, &problem))
                }
            }
        }
        DataType::Decimal(_, scale) => {
            let scale = *scale as u32;
            let ca = col.decimal()?.physical();
            let up = 10i128.pow(NANO_SCALE.saturating_sub(scale));
            let down = 10i128.pow(scale.saturating_sub(NANO_SCALE));
            let to_nanos = |v: i128| -> Option<i64> {
                let nanos = if scale <= NANO_SCALE {
                    v.checked_mul(up)?
                } else if v % down == 0 {
                    v / down
                } else {
                    return None;
                };
                i64::try_from(nanos).ok()
            };
            let refuse = |i: usize, v: i128| {
                let text = rust_decimal::Decimal::try_from_i128_with_scale(v, scale)
                    .map_or_else(|_| v.to_string(), |d| d.to_string());
                bad_value(
                    path,
                    source,
                    i,
                    name,
                    &text,
                    "has more than 9 decimals or is too large",
                )
            };
            if ca.null_count() == 0 {
                // The usual case: a tight loop over the values, no options.
                let mut out: Vec<i64> = Vec::with_capacity(ca.len());
                let mut offset = 0;
                for arr in ca.downcast_iter() {
                    for (i, v) in arr.values().iter().enumerate() {
                        match to_nanos(*v) {
                            Some(n) => out.push(n),
                            None => return Err(refuse(offset + i, *v)),
                        }
                    }
                    offset += arr.len();
                }
                return Ok(Int64Chunked::from_vec(name.into(), out));
            }
            let mut out: Vec<Option<i64>> = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                match v {
                    None if required => return Err(empty(i)),
                    None => out.push(None),
                    Some(v) => out.push(Some(to_nanos(v).ok_or_else(|| refuse(i, v))?)),
                }
            }
            Ok(Int64Chunked::from_iter_options(
                name.into(),
                out.into_iter(),
            ))
        }
        DataType::Int64 | DataType::Int32 => {
            let ca = col.cast(&DataType::Int64)?;
            let ca = ca.i64()?;
            if required {
                if let Some(i) = ca.iter().position(|v| v.is_none()) {
                    return Err(empty(i));
                }
            }
            Ok(ca.apply_values(|v| v * allot_core::money::NANOS_PER_USD))
        }
        other => Err(wrong_type(
            path,
            name,
            other,
            "a decimal or decimal text (never floating point for money)",
        )),
    }
}

/// A cell that failed: its row, and its text and problem (None: empty).
type MoneyFailure = (usize, Option<(String, AmountError)>);

/// Parses a text money column on all cores; on failure, the first bad row.
fn parse_money_parallel(
    ca: &StringChunked,
    required: bool,
) -> Result<Vec<Option<i64>>, MoneyFailure> {
    let n = ca.len();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8);
    let chunk = n.div_ceil(threads.max(1)).max(1);
    let parse_slice = |offset: usize| -> Result<Vec<Option<i64>>, MoneyFailure> {
        let len = chunk.min(n.saturating_sub(offset));
        let part = ca.slice(offset as i64, len);
        let mut out = Vec::with_capacity(len);
        for (i, v) in part.iter().enumerate() {
            match v {
                None if required => return Err((offset + i, None)),
                None => out.push(None),
                Some(s) => match parse_usd(s) {
                    Ok(x) => out.push(Some(x)),
                    Err(AmountError::Empty) if !required => out.push(None),
                    Err(e) => return Err((offset + i, Some((s.to_string(), e)))),
                },
            }
        }
        Ok(out)
    };
    let parts: Vec<Result<Vec<Option<i64>>, MoneyFailure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n.div_ceil(chunk))
            .map(|k| {
                let f = &parse_slice;
                scope.spawn(move || f(k * chunk))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("money parser thread"))
            .collect()
    });
    let mut values = Vec::with_capacity(n);
    for p in parts {
        values.extend(p?);
    }
    Ok(values)
}

fn int_column(col: &Column, path: &Path, source: Source) -> Result<Int64Chunked, EngineError> {
    let name = col.name().as_str();
    // Activity is counted: a negative count is a broken export, not a credit.
    let counted = allot_core::facts::ACTIVITY_COUNTS.contains(&name);
    match col.dtype() {
        DataType::String => {
            let ca = col.str()?;
            let mut out: Vec<Option<i64>> = Vec::with_capacity(ca.len());
            for (i, v) in ca.iter().enumerate() {
                match v.map(str::trim) {
                    None | Some("") => out.push(None),
                    Some(s) => {
                        let n = s.parse::<i64>().map_err(|_| {
                            bad_value(path, source, i, name, s, "is not a whole number")
                        })?;
                        if counted && n < 0 {
                            return Err(bad_value(
                                path,
                                source,
                                i,
                                name,
                                s,
                                "is negative: a count of activity cannot be",
                            ));
                        }
                        out.push(Some(n));
                    }
                }
            }
            Ok(Int64Chunked::from_iter_options(
                name.into(),
                out.into_iter(),
            ))
        }
        dt if dt.is_integer() => {
            let ca = col.cast(&DataType::Int64)?.i64()?.clone();
            if counted {
                if let Some(i) = ca.iter().position(|v| v.is_some_and(|v| v < 0)) {
                    let value = ca.get(i).unwrap_or_default().to_string();
                    return Err(bad_value(
                        path,
                        source,
                        i,
                        name,
                        &value,
                        "is negative: a count of activity cannot be",
                    ));
                }
            }
            Ok(ca)
        }
        other => Err(wrong_type(path, name, other, "whole numbers")),
    }
}

fn text_column(
    col: &Column,
    path: &Path,
    source: Source,
    required: bool,
) -> Result<Column, EngineError> {
    let col = col.cast(&DataType::String)?;
    if required && col.null_count() > 0 {
        let ca = col.str()?;
        if let Some(i) = ca.iter().position(|v| v.is_none()) {
            return Err(bad_value(
                path,
                source,
                i,
                col.name().as_str(),
                "",
                "is empty",
            ));
        }
    }
    Ok(col)
}

/// Writes cost facts as Parquet with `cost_usd` as an exact `Decimal(38, 9)` and `date` as a
/// date, the typed twin of the CSV export (used by the benchmark and the store).
pub fn write_costs_parquet(facts: &DataFrame, path: &Path) -> Result<(), EngineError> {
    let mut df = facts.clone();
    for money in ["cost_nanos", "list_cost_nanos"] {
        if let Ok(col) = df.column(money) {
            let usd = money.replace("_nanos", "_usd");
            let dec = col
                .i64()?
                .cast(&DataType::Int128)?
                .i128()?
                .clone()
                .into_decimal(38, NANO_SCALE as usize)?
                .into_series()
                .with_name(usd.as_str().into());
            df.replace(money, dec.into())?;
            df.rename(money, usd.as_str().into())?;
        }
    }
    let file = std::fs::File::create(path).map_err(|source| InputError::Unwritable {
        path: path.to_path_buf(),
        source,
    })?;
    ParquetWriter::new(file).finish(&mut df)?;
    Ok(())
}

/// Converts cost-fact files to one Parquet file with every column of the schema, atomically.
pub fn costs_to_parquet(sources: &[PathBuf], target: &Path) -> Result<(), EngineError> {
    let extra: Vec<&str> = COST_REQUIRED
        .iter()
        .chain(COST_OPTIONAL.iter())
        .copied()
        .filter(|c| !["date", "email", "cost_usd"].contains(c))
        .collect();
    let facts = load_costs(sources, &extra, None)?;
    let tmp = target.with_extension("parquet.tmp");
    write_costs_parquet(&facts.df, &tmp)?;
    std::fs::rename(&tmp, target).map_err(|source| InputError::Unwritable {
        path: target.to_path_buf(),
        source,
    })?;
    Ok(())
}

/// Reads cost-fact files back as rows (every column of the schema), e.g. to compare a stored
/// day with a fresh fetch. Empty optional text columns read as empty strings.
pub fn cost_fact_rows(paths: &[PathBuf]) -> Result<Vec<allot_core::facts::CostFact>, EngineError> {
    let extra = [
        "product",
        "model",
        "context_window",
        "cost_type",
        "token_type",
        "tokens",
        "list_cost_usd",
    ];
    let facts = load_costs(paths, &extra, None)?;
    let df = &facts.df;
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let dates = df.column("date")?.date()?.physical().clone();
    let text = |name: &str| -> PolarsResult<Vec<String>> {
        Ok(df
            .column(name)?
            .str()?
            .iter()
            .map(|v| v.unwrap_or_default().to_string())
            .collect())
    };
    let (email, product, model, window, cost_type, token_type) = (
        text("email")?,
        text("product")?,
        text("model")?,
        text("context_window")?,
        text("cost_type")?,
        text("token_type")?,
    );
    let tokens = df.column("tokens")?.i64()?.clone();
    let cost = df.column("cost_nanos")?.i64()?.clone();
    let list = df.column("list_cost_nanos")?.i64()?.clone();
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        out.push(allot_core::facts::CostFact {
            date: epoch + chrono::Duration::days(i64::from(dates.get(i).unwrap_or(0))),
            email: email[i].clone(),
            product: product[i].clone(),
            model: model[i].clone(),
            context_window: window[i].clone(),
            cost_type: cost_type[i].clone(),
            token_type: token_type[i].clone(),
            tokens: tokens.get(i).unwrap_or(0),
            cost_nanos: cost.get(i).unwrap_or(0),
            list_cost_nanos: list.get(i),
        });
    }
    Ok(out)
}

/// Refuses a CSV file with a quoted field that never closes, naming the line it opens on
/// (`""` inside quotes is an escaped quote, so counting quotes in order finds it).
pub fn check_quotes(path: &Path) -> Result<(), EngineError> {
    let bytes = std::fs::read(path).map_err(|source| InputError::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let mut open: Option<usize> = None;
    for i in memchr::memchr_iter(b'"', &bytes) {
        open = match open {
            Some(_) => None,
            None => Some(i),
        };
    }
    if let Some(at) = open {
        let line = 1 + memchr::memchr_iter(b'\n', &bytes[..at]).count();
        return Err(InputError::BadFile {
            path: path.to_path_buf(),
            problem: format!(
                "line {line}: a quoted field opens here and never closes (a closing `\"` is missing), so the rest of the file would be one value"
            ),
        }
        .into());
    }
    Ok(())
}
