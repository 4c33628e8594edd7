//! The one load of a period: fact files (CSV or Parquet, any mix) scanned once by polars'
//! streaming engine, reading only the columns asked for, with the date range pushed down
//! (Parquet row groups outside it skipped by their statistics, CSV rows filtered while
//! scanning), money converted exactly to integer nano-dollars, and aggregated early to one row
//! per raw email, day and the dimensions asked for.
//!
//! Exactness checks run inside the scan: a cell that cannot be read exactly fails the scan, and
//! the precise reader of [`crate::load`] then names the file, line, column and value. The exact
//! sum of the cost column is tallied outside polars as the rows stream through, so every report
//! total can be tied back to the source rows without a second pass.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use allot_core::date::{from_epoch_days, parse_date, to_epoch_days};
use allot_core::money::{parse_usd, NANOS_PER_USD, NANO_SCALE};
use allot_core::{InputError, Nanos};
use chrono::NaiveDate;
use polars::prelude::*;

use crate::error::EngineError;
use crate::load::money_column;
pub use crate::spec::{missing_column, Spec};

/// Facts of a period, aggregated to one row per raw email, day and dimension values (unless
/// `repeats` says otherwise).
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `email` (String), `day` (Int32, days since 1970-01-01), the dimensions (String), the
    /// counts (Int64), the money sums (Int64 nano-dollars) and missing counts (UInt32).
    pub df: DataFrame,
    /// Exact sum of the first money column over every fact in the range, tallied outside polars.
    pub total: Nanos,
    /// First and last day of the facts in the files, in range or not (the days the files cover).
    pub span: Option<(NaiveDate, NaiveDate)>,
    /// Facts read in the range.
    pub facts: u64,
    /// The exact cost of each day with facts (whatever the grain), oldest first.
    pub daily: Vec<(NaiveDate, Nanos)>,
    /// Whether rows may repeat an email, day and dimension values (after facts were charged
    /// through their fallbacks): whoever reads the frame sums them.
    pub repeats: bool,
}

impl Loaded {
    /// The sum of the first money column (`name`, e.g. `cost_usd`) over the aggregated rows:
    /// equal to `total` whenever the load is right (the fuzz targets check it).
    pub fn rows_total(&self, name: &str) -> Result<Nanos, EngineError> {
        let col = self.df.column(&crate::load::money_column(name))?;
        Ok(Nanos(
            col.i64()?.iter().map(|v| i128::from(v.unwrap_or(0))).sum(),
        ))
    }
}

/// What the scan's conversions see, tallied outside polars.
#[derive(Debug, Default)]
struct Tally {
    cost: i128,
    facts: u64,
    min_day: Option<i32>,
    max_day: Option<i32>,
}

type Shared = Arc<Mutex<Tally>>;

/// Message prefix of a conversion failure inside the scan (then the precise reader runs).
const NOT_EXACT: &str = "allot: a value is not exact";

fn not_exact(what: &str) -> PolarsError {
    PolarsError::ComputeError(format!("{NOT_EXACT}: {what}").into())
}

/// Loads `files` as `spec` asks. No files give an empty frame.
pub fn load(files: &[PathBuf], spec: &Spec<'_>) -> Result<Loaded, EngineError> {
    // A damaged file can make a reader below panic (polars' Parquet metadata decoder does on
    // some corrupt footers, as fuzzing found): that is bad input, reported as such and naming
    // the files, never a crash.
    let caught = {
        let _quiet = crate::load::QuietPanics::enter();
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            load_with(files, spec, true)
        }))
    };
    match caught {
        Ok(r) => r,
        Err(panic) => {
            let why = panic
                .downcast_ref::<&str>()
                .map(ToString::to_string)
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            let named: Vec<String> = files
                .iter()
                .take(3)
                .map(|p| p.display().to_string())
                .collect();
            let more = files.len().saturating_sub(3);
            Err(EngineError::Input(allot_core::InputError::BadFile {
                path: files.first().cloned().unwrap_or_default(),
                problem: format!(
                    "is damaged and could not be read ({why}){}",
                    if files.len() > 1 {
                        format!(
                            "; the files read together: {}{}",
                            named.join(", "),
                            if more > 0 {
                                format!(" and {more} more")
                            } else {
                                String::new()
                            }
                        )
                    } else {
                        String::new()
                    }
                ),
            }))
        }
    }
}

/// [`load`], with allot's CSV scanner or (`scanner` false) polars' reader for CSV.
fn load_with(files: &[PathBuf], spec: &Spec<'_>, scanner: bool) -> Result<Loaded, EngineError> {
    if spec.dims.len() > crate::fold::MAX_DIMS {
        return Err(EngineError::Internal(format!(
            "a load keeps at most {} dimensions, and this one asked for {} ({})",
            crate::fold::MAX_DIMS,
            spec.dims.len(),
            spec.dims.join(", ")
        )));
    }
    let started = std::time::Instant::now();
    let tally: Shared = Arc::default();
    if files.is_empty() {
        return Ok(Loaded {
            df: empty(spec)?,
            total: Nanos::ZERO,
            span: None,
            facts: 0,
            daily: Vec::new(),
            repeats: false,
        });
    }
    let mut frames = Vec::with_capacity(files.len());
    let mut parquet = Vec::new();
    let mut ready: Vec<DataFrame> = Vec::new();
    let mut daily: std::collections::BTreeMap<i32, i128> = std::collections::BTreeMap::new();
    for path in files {
        // CSV goes through allot's own scanner; anything it does not expect, through polars.
        if scanner
            && crate::load::source_of(path)? == crate::load::Source::Csv
            && std::fs::metadata(path).is_ok()
        {
            let headers = crate::load::csv_headers(path)?;
            crate::load::check_columns(path, &headers, spec.required)?;
            let scanned = crate::csvscan::scan(path, &headers, spec).map_err(|source| {
                InputError::Unreadable {
                    path: path.clone(),
                    source,
                }
            })?;
            if let Ok((df, days, t)) = scanned {
                for (d, v) in days {
                    *daily.entry(d).or_default() += v;
                }
                let mut all = tally.lock().expect("tally");
                all.cost += t.cost;
                all.facts += t.facts;
                if let Some((lo, hi)) = t.min_day.zip(t.max_day) {
                    all.min_day = Some(all.min_day.map_or(lo, |m| m.min(lo)));
                    all.max_day = Some(all.max_day.map_or(hi, |m| m.max(hi)));
                }
                ready.push(df);
                continue;
            }
            tracing::debug!("{}: left to polars' reader", path.display());
            // polars' CSV reader indexes out of bounds on a quote that never closes (found
            // by the activity_facts fuzz target), so such a file never reaches it.
            crate::load::check_quotes(path)?;
        }
        let (lf, dated_parquet) = scan_one(path, spec, &tally)?;
        if dated_parquet {
            parquet.push(path.clone());
        }
        frames.push(lf);
    }
    if !frames.is_empty() {
        let (df, days) = fold_frames(frames, files, spec)?;
        for (d, v) in days {
            *daily.entry(d).or_default() += v;
        }
        ready.push(df);
    }
    let mut group: Vec<Expr> = vec![col("email"), col("day")];
    group.extend(spec.dims.iter().map(|d| col(*d)));
    let mut sums: Vec<Expr> = spec.counts.iter().map(|c| col(*c).sum()).collect();
    for (i, m) in spec.money.iter().enumerate() {
        sums.push(col(money_column(m).as_str()).sum());
        if i > 0 {
            sums.push(col(missing_column(m).as_str()).sum());
        }
    }
    // Several files may hold the same person, day and dimensions: add them up once more.
    let df = match ready.len() {
        0 => empty(spec)?,
        1 => ready.pop().expect("one frame"),
        _ => concat(
            ready.into_iter().map(IntoLazy::lazy).collect::<Vec<_>>(),
            UnionArgs::default(),
        )?
        .group_by(group)
        .agg(sums)
        .collect()?,
    };
    // An empty email can only be told apart once grouped: the precise reader names its line.
    if df.column("email")?.null_count() > 0 {
        return Err(precise(
            files,
            spec,
            PolarsError::ComputeError("empty email".into()),
        ));
    }
    let tallied = std::mem::take(&mut *tally.lock().expect("tally"));
    let mut span = tallied.min_day.zip(tallied.max_day);
    if !parquet.is_empty() {
        if let Some((lo, hi)) = parquet_span(&parquet)? {
            span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
    }
    tracing::debug!(rows = df.height(), facts = tallied.facts, elapsed = ?started.elapsed(), "loaded and aggregated");
    Ok(Loaded {
        df,
        total: Nanos(tallied.cost),
        span: span.map(|(a, b)| (from_epoch_days(a), from_epoch_days(b))),
        facts: tallied.facts,
        daily: daily
            .into_iter()
            .map(|(d, v)| (from_epoch_days(d), Nanos(v)))
            .collect(),
        repeats: false,
    })
}

/// Folds the files polars reads (`frames`, one lazy scan each) in one streaming pass: polars
/// decodes on all cores and each morsel is folded where it is decoded. Returns the grouped
/// facts and each day's exact cost.
fn fold_frames(
    frames: Vec<LazyFrame>,
    files: &[PathBuf],
    spec: &Spec<'_>,
) -> Result<(DataFrame, Vec<(i32, i128)>), EngineError> {
    // polars decodes on all cores; each morsel is folded where it is decoded, by an
    // elementwise UDF over the converted columns (its output, a column of zeros, only
    // keeps the plan honest). The files are read a few at a time into the same fold: a
    // union of every file of a long range starts them all at once, and their decoded
    // morsels then wait in memory together (memory grew with the facts, not the groups).
    let fold = Arc::new(crate::fold::MorselFold::new(spec));
    let mut frames = frames.into_iter().peekable();
    while frames.peek().is_some() {
        let mut some: Vec<LazyFrame> = frames.by_ref().take(FILES_AT_ONCE).collect();
        let all = if some.len() == 1 {
            some.pop().expect("one frame")
        } else {
            concat(some, UnionArgs::default())?
        };
        fold_into(&fold, all, files, spec)?;
    }
    Ok(fold.finish(spec))
}

/// Files a load reads at once (see [`fold_frames`]): a month's chargeback at 20,000 people
/// took 0.9-1.1 s reading 2, 4 or 8 day files at once against 1.85 s for all of them, and at
/// 100,000 people 4 held the least memory (0.64 GB against 1.0 GB for 8 and 3.0 GB for all).
const FILES_AT_ONCE: usize = 4;

/// Folds one union of scans into `fold`.
fn fold_into(
    fold: &Arc<crate::fold::MorselFold>,
    all: LazyFrame,
    files: &[PathBuf],
    spec: &Spec<'_>,
) -> Result<(), EngineError> {
    let mut inputs: Vec<Expr> = vec![col("day")];
    inputs.extend(spec.dims.iter().map(|d| col(*d)));
    inputs.extend(spec.counts.iter().map(|c| col(*c)));
    inputs.extend(spec.money.iter().map(|m| col(money_column(m).as_str())));
    let folder = fold.clone();
    let query = all.select([col("email")
        .map_many(
            move |cols: &mut [Column]| {
                folder.add(cols)?;
                Ok(UInt8Chunked::full("n".into(), 0, cols[0].len()).into_column())
            },
            &inputs,
            |_, f| Ok(Field::new(f[0].name().clone(), DataType::UInt8)),
        )
        .alias("n")
        .cast(DataType::UInt64)
        .sum()]);
    if tracing::enabled!(tracing::Level::TRACE) {
        tracing::trace!(
            "fact scan plan:\n{}",
            query.explain(true).unwrap_or_default()
        );
    }
    if let Err(e) = query.collect_with_engine(Engine::Streaming) {
        return Err(precise(files, spec, e));
    }
    Ok(())
}

fn empty(spec: &Spec<'_>) -> PolarsResult<DataFrame> {
    let mut cols = vec![
        Column::new_empty("email".into(), &DataType::String),
        Column::new_empty("day".into(), &DataType::Int32),
    ];
    for d in spec.dims {
        cols.push(Column::new_empty((*d).into(), &DataType::String));
    }
    for c in spec.counts {
        cols.push(Column::new_empty((*c).into(), &DataType::Int64));
    }
    for (i, m) in spec.money.iter().enumerate() {
        cols.push(Column::new_empty(
            money_column(m).as_str().into(),
            &DataType::Int64,
        ));
        if i > 0 {
            cols.push(Column::new_empty(
                missing_column(m).as_str().into(),
                &DataType::UInt32,
            ));
        }
    }
    DataFrame::new(0, cols)
}

/// When the scan failed, the precise reader finds and names the bad cell.
fn precise(files: &[PathBuf], spec: &Spec<'_>, e: PolarsError) -> EngineError {
    let mut wanted: Vec<&str> = vec!["date", "email"];
    wanted.extend(spec.dims.iter().copied());
    wanted.extend(spec.counts.iter().copied());
    wanted.extend(spec.money.iter().copied());
    for path in files {
        if let Err(found) = crate::load::check_file(path, spec.required, &wanted) {
            return found;
        }
    }
    tracing::debug!("the scan failed but the precise reader found nothing: {e}");
    EngineError::Polars(e)
}

fn scan_one(
    path: &Path,
    spec: &Spec<'_>,
    tally: &Shared,
) -> Result<(LazyFrame, bool), EngineError> {
    let source = crate::load::source_of(path)?;
    if let Err(source) = std::fs::metadata(path) {
        return Err(InputError::Unreadable {
            path: path.to_path_buf(),
            source,
        }
        .into());
    }
    let pl_path = PlRefPath::try_from_path(path)?;
    let (lf, names, schema): (LazyFrame, Vec<String>, Option<Schema>) = match source {
        crate::load::Source::Csv => {
            let headers = crate::load::csv_headers(path)?;
            crate::load::check_columns(path, &headers, spec.required)?;
            let schema: Schema = headers
                .iter()
                .map(|h| Field::new(h.as_str().into(), DataType::String))
                .collect();
            let lf = LazyCsvReader::new(pl_path)
                .with_has_header(true)
                .with_glob(false)
                .with_schema(Some(Arc::new(schema)))
                .finish()?;
            (lf, headers, None)
        }
        crate::load::Source::Parquet => {
            let schema = crate::load::parquet_schema(path)?;
            let names: Vec<String> = schema.iter_names().map(ToString::to_string).collect();
            crate::load::check_columns(path, &names, spec.required)?;
            let args = ScanArgsParquet {
                glob: false,
                ..ScanArgsParquet::default()
            };
            let lf = LazyFrame::scan_parquet(pl_path, args)?;
            (lf, names, Some(schema))
        }
    };
    let has = |c: &str| names.iter().any(|n| n == c);
    let dtype = |c: &str| schema.as_ref().and_then(|s| s.get(c).cloned());
    let (from, to) = (to_epoch_days(spec.range.from), to_epoch_days(spec.range.to));
    // The day: parsed strictly from text (every row, in range or not, so a bad date is never
    // skipped in silence), or taken from a Parquet date column.
    let day = match dtype("date") {
        Some(DataType::Date) => col("date").cast(DataType::Int32),
        Some(DataType::String) | None => {
            let t = tally.clone();
            col("date").map(
                move |c| parse_days(&c, &t),
                |_, f| Ok(Field::new(f.name().clone(), DataType::Int32)),
            )
        }
        Some(other) => {
            return Err(InputError::BadFile {
                path: path.to_path_buf(),
                problem: format!(
                    "column `date` has type {other}; expected a date or YYYY-MM-DD text"
                ),
            }
            .into())
        }
    }
    .alias("day");
    let mut lf = lf.select(
        [day, col("email").cast(DataType::String)]
            .into_iter()
            .chain(spec.dims.iter().map(|d| {
                if has(d) {
                    col(*d).cast(DataType::String)
                } else {
                    lit(NULL).cast(DataType::String).alias(*d)
                }
            }))
            .chain(
                spec.counts
                    .iter()
                    .chain(spec.money.iter())
                    .filter(|c| has(c))
                    .map(|c| col(*c)),
            )
            .collect::<Vec<_>>(),
    );
    lf = lf.filter(col("day").gt_eq(lit(from)).and(col("day").lt_eq(lit(to))));
    let mut exprs: Vec<Expr> = vec![col("email"), col("day")];
    exprs.extend(spec.dims.iter().map(|d| col(*d).fill_null(lit(""))));
    for c in spec.counts {
        exprs.push(if has(c) {
            let never_negative = allot_core::facts::ACTIVITY_COUNTS.contains(c);
            col(*c).map(
                move |c| counts(&c, never_negative),
                |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
            )
        } else {
            lit(0i64).cast(DataType::Int64).alias(*c)
        });
    }
    for (i, m) in spec.money.iter().enumerate() {
        let out = money_column(m);
        let first = i == 0;
        exprs.push(if has(m) {
            let t = tally.clone();
            col(*m)
                .map(
                    move |c| money(&c, first, if first { Some(&t) } else { None }),
                    |_, f| Ok(Field::new(f.name().clone(), DataType::Int64)),
                )
                .alias(out.as_str())
        } else {
            lit(NULL).cast(DataType::Int64).alias(out.as_str())
        });
    }
    let dated_parquet = matches!(dtype("date"), Some(DataType::Date));
    Ok((lf.select(exprs), dated_parquet))
}

/// `YYYY-MM-DD` text to days since 1970-01-01, strictly; records the first and last day.
fn parse_days(c: &Column, tally: &Shared) -> PolarsResult<Column> {
    let ca = c.str()?;
    let mut out: Vec<i32> = Vec::with_capacity(ca.len());
    let mut last: Option<(&str, i32)> = None;
    let (mut lo, mut hi) = (i32::MAX, i32::MIN);
    for v in ca.iter() {
        let text = v.ok_or_else(|| not_exact("empty date"))?;
        if let Some((prev, d)) = last {
            if prev == text {
                out.push(d);
                continue;
            }
        }
        let day = parse_date(text.trim())
            .map(to_epoch_days)
            .ok_or_else(|| not_exact("date"))?;
        lo = lo.min(day);
        hi = hi.max(day);
        last = Some((text, day));
        out.push(day);
    }
    if !out.is_empty() {
        let mut tallied = tally.lock().expect("tally");
        tallied.min_day = Some(tallied.min_day.map_or(lo, |m| m.min(lo)));
        tallied.max_day = Some(tallied.max_day.map_or(hi, |m| m.max(hi)));
    }
    Ok(Int32Chunked::from_vec(c.name().clone(), out).into_column())
}

/// Whole numbers: text parsed strictly, integer columns cast; anything else is not exact, and
/// an activity count (`never_negative`) below zero is refused.
fn counts(c: &Column, never_negative: bool) -> PolarsResult<Column> {
    let out = match c.dtype() {
        DataType::String => {
            let ca = c.str()?;
            let mut out: Vec<Option<i64>> = Vec::with_capacity(ca.len());
            for v in ca.iter() {
                match v.map(str::trim) {
                    None | Some("") => out.push(None),
                    Some(s) => out.push(Some(s.parse::<i64>().map_err(|_| not_exact("count"))?)),
                }
            }
            Int64Chunked::from_iter_options(c.name().clone(), out.into_iter())
        }
        dt if dt.is_integer() => c.cast(&DataType::Int64)?.i64()?.clone(),
        _ => return Err(not_exact("count type")),
    };
    if never_negative && out.iter().any(|v| v.is_some_and(|v| v < 0)) {
        return Err(not_exact("negative count"));
    }
    Ok(out.into_column())
}

/// Money to exact nano-dollars: decimal text (up to 9 decimals, or exponent notation),
/// Parquet decimals, or whole dollars; floating point is refused. The cost column (`tally`
/// given) must have a value in every row, and its sum is tallied outside polars.
fn money(c: &Column, required: bool, tally: Option<&Shared>) -> PolarsResult<Column> {
    let name = c.name().clone();
    let values: Vec<Option<i64>> = match c.dtype() {
        DataType::String => {
            let ca = c.str()?;
            let mut out = Vec::with_capacity(ca.len());
            for v in ca.iter() {
                match v {
                    None => out.push(None),
                    Some(s) => match parse_usd(s) {
                        Ok(x) => out.push(Some(x)),
                        Err(allot_core::money::AmountError::Empty) => out.push(None),
                        Err(_) => return Err(not_exact("amount")),
                    },
                }
            }
            out
        }
        DataType::Decimal(_, scale) => {
            let scale = *scale as u32;
            let ca = c.decimal()?.physical();
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
            if ca.null_count() == 0 {
                // The usual case: one tight loop over the values, summed as it goes.
                let mut out: Vec<i64> = Vec::with_capacity(ca.len());
                let mut sum: i128 = 0;
                for arr in ca.downcast_iter() {
                    for v in arr.values().iter() {
                        let nanos = to_nanos(*v).ok_or_else(|| not_exact("decimal"))?;
                        sum += i128::from(nanos);
                        out.push(nanos);
                    }
                }
                if let Some(t) = tally {
                    let mut t = t.lock().expect("tally");
                    t.cost += sum;
                    t.facts += out.len() as u64;
                }
                return Ok(Int64Chunked::from_vec(name, out).into_column());
            }
            let mut out = Vec::with_capacity(ca.len());
            for v in ca.iter() {
                out.push(match v {
                    None => None,
                    Some(v) => Some(to_nanos(v).ok_or_else(|| not_exact("decimal"))?),
                });
            }
            out
        }
        dt if dt.is_integer() => {
            let ca = c.cast(&DataType::Int64)?;
            let mut out = Vec::with_capacity(ca.len());
            for v in ca.i64()?.iter() {
                out.push(match v {
                    None => None,
                    Some(v) => Some(
                        v.checked_mul(NANOS_PER_USD)
                            .ok_or_else(|| not_exact("too large"))?,
                    ),
                });
            }
            out
        }
        _ => return Err(not_exact("money type")),
    };
    if required && values.iter().any(Option::is_none) {
        return Err(not_exact("empty amount"));
    }
    if let Some(t) = tally {
        let sum: i128 = values.iter().flatten().map(|v| i128::from(*v)).sum();
        let mut t = t.lock().expect("tally");
        t.cost += sum;
        t.facts += values.len() as u64;
    }
    Ok(Int64Chunked::from_iter_options(name, values.into_iter()).into_column())
}

/// First and last day of Parquet files' `date` columns (read alone, cheaply).
fn parquet_span(files: &[PathBuf]) -> Result<Option<(i32, i32)>, EngineError> {
    let mut frames = Vec::new();
    // Every file here was opened by `scan_one` first, footer checked (`parquet_schema`).
    for p in files {
        let args = ScanArgsParquet {
            glob: false,
            ..ScanArgsParquet::default()
        };
        frames.push(
            LazyFrame::scan_parquet(PlRefPath::try_from_path(p)?, args)?
                .select([col("date").cast(DataType::Int32)]),
        );
    }
    let df = concat(frames, UnionArgs::default())?
        .select([col("date").min().alias("lo"), col("date").max().alias("hi")])
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let lo = df.column("lo")?.i32()?.get(0);
    let hi = df.column("hi")?.i32()?.get(0);
    Ok(lo.zip(hi))
}

/// The column of a fact's fallback identities (see [`allot_core::identity`]).
pub const VIA: &str = "via";

impl Loaded {
    /// Charges every row with a `via` column to the most specific identity the mapping covers
    /// on its day (its actor, else the API key it came through, its workspace, a cloud bill's
    /// cost-center tag or account), then drops `via`. Only rows with a fallback are looked at,
    /// and only those charged to another identity than their actor are rewritten. Rows may
    /// then repeat an identity, day and dimensions (`repeats`; the ledger sums them). Money
    /// and counts are only moved, never changed (checked against the tally again).
    pub fn resolve_via(&mut self, mapping: &allot_mapping::OrgMapping) -> Result<(), EngineError> {
        use allot_core::identity::{chain, normalize, resolve};
        use std::collections::HashMap;
        type Fast = foldhash::fast::FixedState;
        if self.df.column(VIA).is_err() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let before = self.rows_total("cost_usd")?;
        let mut ranges: HashMap<&str, Vec<(i32, i32)>, Fast> = HashMap::default();
        for r in &mapping.rows {
            ranges.entry(r.email.as_str()).or_default().push((
                r.effective_from.map_or(i32::MIN, to_epoch_days),
                r.effective_to.map_or(i32::MAX, to_epoch_days),
            ));
        }
        let covered = |identity: &str, day: i32| {
            ranges
                .get(identity)
                .is_some_and(|rs| rs.iter().any(|(f, t)| *f <= day && day <= *t))
        };
        // The rows charged to another identity than their actor: (row, identity), in order.
        let (changed, with_via) = {
            let emails = self.df.column("email")?.str()?;
            let days = self.df.column("day")?.i32()?;
            let via = self.df.column(VIA)?.str()?;
            let mut actors: HashMap<&str, String, Fast> = HashMap::default();
            let mut chains: HashMap<&str, Vec<String>, Fast> = HashMap::default();
            let mut changed: Vec<(usize, String)> = Vec::new();
            let mut with_via = 0usize;
            for (row, ((e, d), v)) in emails.iter().zip(days.iter()).zip(via.iter()).enumerate() {
                let (Some(v), Some(d)) = (v, d) else { continue };
                if v.is_empty() {
                    continue;
                }
                with_via += 1;
                let email = e.unwrap_or("");
                let actor = actors
                    .entry(email)
                    .or_insert_with(|| normalize(email))
                    .as_str();
                let fallbacks = chains
                    .entry(v)
                    .or_insert_with(|| chain(v).map(normalize).collect());
                let charged = resolve(actor, fallbacks.iter().map(String::as_str), |c| {
                    covered(c, d)
                });
                if charged != actor {
                    changed.push((row, charged.to_string()));
                }
            }
            (changed, with_via)
        };
        let _ = self.df.drop_in_place(VIA)?;
        if with_via == 0 {
            // No row has a fallback: dropping the column merges nothing.
            return Ok(());
        }
        // A person's seat rows and the rows on a key they used are now one identity's.
        self.repeats = true;
        if !changed.is_empty() {
            let mut is_changed = vec![false; self.df.height()];
            for (row, _) in &changed {
                is_changed[*row] = true;
            }
            let mask: BooleanChunked = is_changed.into_iter().collect();
            let mut moved = self.df.filter(&mask)?;
            moved.with_column(Column::new(
                "email".into(),
                changed
                    .into_iter()
                    .map(|(_, who)| who)
                    .collect::<Vec<String>>(),
            ))?;
            let mut kept = self.df.filter(&!&mask)?;
            kept.vstack_mut_owned(moved.select(kept.get_column_names_owned())?)?;
            self.df = kept;
        }
        let after = self.rows_total("cost_usd")?;
        tracing::debug!(rows = self.df.height(), with_via, elapsed = ?started.elapsed(), "charged through fallbacks");
        if before != after {
            return Err(EngineError::TieOut {
                what: "the facts charged through their fallbacks".into(),
                got: after.to_string(),
                expected: before.to_string(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use allot_core::DateRange;
    use proptest::prelude::*;

    fn sorted(df: &DataFrame) -> DataFrame {
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(ToString::to_string)
            .collect();
        df.sort(names, SortMultipleOptions::default()).unwrap()
    }

    /// The scanner on `text`, polars' reader on `plain` (the same rows).
    fn both(text: &str, plain: &str, spec: &Spec<'_>) -> (Loaded, Loaded) {
        let dir = tempfile::tempdir().unwrap();
        let (p, q) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        std::fs::write(&p, text).unwrap();
        std::fs::write(&q, plain).unwrap();
        (
            load_with(&[p], spec, true).unwrap(),
            load_with(&[q], spec, false).unwrap(),
        )
    }

    const DIMS: [&str; 2] = ["product", "model"];

    fn spec() -> Spec<'static> {
        Spec {
            required: &allot_core::facts::COST_REQUIRED,
            dims: &DIMS,
            counts: &["tokens"],
            money: &["cost_usd", "list_cost_usd"],
            range: DateRange::new(
                NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
            )
            .unwrap(),
            grain: crate::fold::Grain::Day,
        }
    }

    /// A field as an export might write it: plain, or quoted with commas, quotes or a line break.
    fn field(s: &str, style: u8) -> String {
        match style {
            0 => s.to_string(),
            1 => format!("\"{s}\""),
            2 => format!("\"{s}, Inc\""),
            3 => format!("\"{s} \"\"x\"\"\""),
            _ => format!("\"{s}\nmore\""),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn the_scanner_reads_what_polars_reads(
            rows in proptest::collection::vec((1u32..32, 0u8..5, 0u8..3, 0u8..5, -2_000_000i64..5_000_000_000, 0i64..1_000_000, any::<bool>()), 0..60),
            crlf in any::<bool>(),
            bom in any::<bool>(),
            blank in any::<bool>(),
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            // polars' reader takes a blank line for a row of empty cells; the scanner skips it.
            let mut text = String::new();
            let mut plain = String::new();
            if bom { text.push('\u{feff}'); plain.push('\u{feff}'); }
            let header = "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd,list_cost_usd";
            for t in [&mut text, &mut plain] {
                t.push_str(header);
                t.push_str(eol);
            }
            for (i, (day, person, product, style, nanos, tokens, list)) in rows.iter().enumerate() {
                // Some rows fall outside September.
                let date = if *day == 31 { "2026-10-01".to_string() } else { format!("2026-09-{day:02}") };
                let email = if *person == 3 { "Ann@X.test".to_string() } else { format!("p{person}@x.test") };
                let cost = allot_core::Nanos(i128::from(*nanos)).to_string();
                let list = if *list { cost.clone() } else { String::new() };
                let product = ["chat", "claude_code", ""][usize::from(*product)];
                let row = format!(
                    "{date},{email},{},{},0-200k,tokens,output_tokens,{tokens},{cost},{list}{eol}",
                    field(product, *style % 2),
                    field("claude-opus-4-6", *style),
                );
                text.push_str(&row);
                plain.push_str(&row);
                if blank && i % 7 == 3 { text.push_str(eol); }
            }
            let (a, b) = both(&text, &plain, &spec());
            prop_assert_eq!(a.total, b.total);
            prop_assert_eq!(a.span, b.span);
            prop_assert_eq!(a.facts, b.facts);
            prop_assert!(sorted(&a.df).equals_missing(&sorted(&b.df)), "{:?}\n{:?}", a.df, b.df);
        }
    }

    #[test]
    fn a_bad_amount_falls_back_to_the_precise_reader() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("cost.csv");
        std::fs::write(
            &p,
            "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd\n2026-09-01,a@x.test,chat,m,0-200k,tokens,output_tokens,1,1.0\n2026-09-02,a@x.test,chat,m,0-200k,tokens,output_tokens,1,1.0000000001\n",
        )
        .unwrap();
        let e = load(&[p], &spec()).unwrap_err().to_string();
        assert!(
            e.contains("line 3") && e.contains("cost_usd") && e.contains("more than 9 decimals"),
            "{e}"
        );
    }
}
