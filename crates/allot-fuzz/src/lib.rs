//! Entry points that feed arbitrary bytes to every parser of outside input: org mappings
//! (CSV, XLSX, ODS through calamine), TOML column maps, invoices, budgets, alert rules, cost
//! and activity facts (CSV and Parquet), cloud bills in FOCUS (CSV and Parquet), and every API
//! answer allot syncs. The property each
//! checks: no panic, no hang, and either a value or a typed error that names where (the
//! file, or the endpoint). The cargo-fuzz targets in `fuzz/` call these; so do the proptest
//! properties below, which run in every `cargo test` (also where no nightly compiler is).

use std::path::{Path, PathBuf};

use allot_core::facts::{ACTIVITY_COUNTS, ACTIVITY_REQUIRED, COST_REQUIRED};
use allot_core::DateRange;
use chrono::NaiveDate;

/// A property that did not hold: what was parsed and what was wrong.
#[derive(Debug)]
pub struct Violation(pub String);

/// Writes `bytes` as `name` in a fresh folder; the folder lives as long as the guard.
fn file(bytes: &[u8], name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writing the input");
    (dir, path)
}

/// An error must say which file it is about.
fn names(path: &Path, message: &str) -> Result<(), Violation> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if message.contains(name) {
        Ok(())
    } else {
        Err(Violation(format!(
            "the error does not name `{name}`: {message}"
        )))
    }
}

/// An org mapping read from a file with extension `ext` (`csv`, `xlsx`, `ods`).
pub fn mapping(bytes: &[u8], ext: &str) -> Result<(), Violation> {
    let (_d, path) = file(bytes, &format!("org.{ext}"));
    match allot_mapping::OrgMapping::read(&path) {
        Ok(m) => {
            // Whatever was read is one row per (person, range) with a cost center.
            if m.rows.iter().any(|r| r.cost_center.is_empty()) {
                return Err(Violation("a mapping row without a cost center".into()));
            }
            Ok(())
        }
        Err(e) => names(&path, &e.to_string()),
    }
}

/// A TOML column map beside a mapping.
pub fn column_map(bytes: &[u8]) -> Result<(), Violation> {
    let (_d, path) = file(bytes, "org.toml");
    match allot_mapping::columns::ColumnConfig::read(&path) {
        Ok(_) => Ok(()),
        Err(e) => names(&path, &e.to_string()),
    }
}

/// An invoice (`csv`, `xlsx`, `ods`).
pub fn invoice(bytes: &[u8], ext: &str) -> Result<(), Violation> {
    let (_d, path) = file(bytes, &format!("invoice.{ext}"));
    match allot_mapping::invoice::read_invoice(&path, None, None) {
        Ok(_) => Ok(()),
        Err(e) => names(&path, &e.to_string()),
    }
}

/// A budgets file (`csv`, `xlsx`, `ods`).
pub fn budgets(bytes: &[u8], ext: &str) -> Result<(), Violation> {
    let (_d, path) = file(bytes, &format!("budgets.{ext}"));
    match allot_mapping::budgets::Budgets::read(&path, None) {
        Ok(b) if b.lines.iter().any(|l| l.amount.0 < 0) => {
            Err(Violation("a negative budget was accepted".into()))
        }
        Ok(_) => Ok(()),
        Err(e) => names(&path, &e.to_string()),
    }
}

/// An alert rules file (its errors are shown with the file's name by the caller).
pub fn rules(bytes: &[u8]) -> Result<(), Violation> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        let _ = allot_watch::Rules::parse(text);
    }
    Ok(())
}

fn range() -> DateRange {
    DateRange::new(
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
    )
    .expect("range")
}

/// Cost facts (`csv` or `parquet`), loaded as a review would (every dimension, tokens).
pub fn cost_facts(bytes: &[u8], ext: &str) -> Result<(), Violation> {
    let (_d, path) = file(bytes, &format!("cost.{ext}"));
    let spec = allot_engine::Spec {
        required: &COST_REQUIRED,
        dims: &allot_engine::USAGE_DIMS,
        counts: &["tokens"],
        money: &["cost_usd", "list_cost_usd"],
        range: range(),
        grain: allot_engine::Grain::Day,
    };
    match allot_engine::load_facts(std::slice::from_ref(&path), &spec) {
        Ok(loaded) => {
            // The tally outside polars and the rows inside it agree.
            let sum = loaded
                .rows_total("cost_usd")
                .map_err(|e| Violation(format!("the loaded rows: {e}")))?
                .0;
            if sum != loaded.total.0 {
                return Err(Violation(format!(
                    "rows sum to {sum}, the tally to {}",
                    loaded.total.0
                )));
            }
            Ok(())
        }
        Err(e) => names(&path, &e.to_string()),
    }
}

/// Activity facts (`csv` or `parquet`).
pub fn activity_facts(bytes: &[u8], ext: &str) -> Result<(), Violation> {
    let (_d, path) = file(bytes, &format!("activity.{ext}"));
    let spec = allot_engine::Spec {
        required: &ACTIVITY_REQUIRED,
        dims: &[],
        counts: &ACTIVITY_COUNTS,
        money: &[],
        range: range(),
        grain: allot_engine::Grain::Day,
    };
    match allot_engine::load_facts(std::slice::from_ref(&path), &spec) {
        Ok(_) => Ok(()),
        Err(e) => names(&path, &e.to_string()),
    }
}

/// A cloud bill in FOCUS (`csv` or `parquet`), read as cost facts as `--cost` reads one (with
/// a cost-center tag). Whatever it gives ties out: the facts written add up to the total.
pub fn focus_bill(bytes: &[u8], ext: &str) -> Result<(), Violation> {
    let (d, path) = file(bytes, &format!("bill.{ext}"));
    let facts = d.path().join("facts.parquet");
    let opts = allot_engine::focus_in::FocusOptions {
        tag: Some("team".into()),
        ..allot_engine::focus_in::FocusOptions::default()
    };
    let columns = match allot_engine::focus_in::columns_of(&path) {
        Ok(c) => c,
        Err(e) => return names(&path, &e.to_string()),
    };
    if !allot_engine::focus_in::is_focus(&columns) {
        return Ok(());
    }
    match allot_engine::focus_in::convert(&path, &opts, &facts) {
        Ok(c) => {
            let rows = allot_engine::cost_fact_rows(&[facts])
                .map_err(|e| Violation(format!("reading the facts written: {e}")))?;
            let sum: i128 = rows.iter().map(|f| i128::from(f.cost_nanos)).sum();
            if sum != c.total.0 || rows.len() as u64 != c.facts {
                return Err(Violation(format!(
                    "{} facts summing to {sum}, the summary says {} facts and {}",
                    rows.len(),
                    c.facts,
                    c.total.0
                )));
            }
            Ok(())
        }
        Err(e) => names(&path, &e.to_string()),
    }
}

/// The endpoints whose answers allot parses.
pub const ENDPOINTS: [&str; 11] = [
    "user_cost_report",
    "user_usage_report",
    "cost_report",
    "usage_report",
    "users",
    "summaries",
    "skills",
    "connectors",
    "claude_code",
    "analytics/cost",
    "analytics/usage",
];

/// One API answer of `endpoint`: any JSON (or none) gives rows or an error naming the
/// endpoint.
pub fn api(bytes: &[u8], endpoint: &str) -> Result<(), Violation> {
    use allot_sync::parse;
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Ok(());
    };
    let day = NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
    let one = std::slice::from_ref(&v);
    let r: Result<(), allot_sync::SyncError> = match endpoint {
        "analytics/cost" => allot_sync::usage_cost::actor_costs(one, &[]).map(drop),
        "analytics/usage" => allot_sync::usage_cost::actor_costs(&[], one).map(drop),
        "user_cost_report" => parse::user_costs(one, &[]).map(drop),
        "user_usage_report" => parse::user_costs(&[], one).map(drop),
        "cost_report" => parse::org_costs(one, &[]).map(drop),
        "usage_report" => parse::org_costs(&[], one).map(drop),
        "users" => parse::users(day, one).map(drop),
        "summaries" => parse::summaries(&v).map(drop),
        "claude_code" => parse::claude_code(day, one).map(drop),
        other => parse::catalogue(other, one).map(drop),
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) => {
            let m = e.to_string();
            let stem = endpoint.trim_start_matches("user_");
            if m.contains(endpoint) || m.contains(stem) {
                Ok(())
            } else {
                Err(Violation(format!(
                    "the error does not name `{endpoint}`: {m}"
                )))
            }
        }
    }
}

/// For the cargo-fuzz targets: a panic hook that stays quiet, so that a panic allot catches
/// and reports as bad input (a reader below it failing on a damaged file) is not taken for a
/// crash; a panic that escapes allot still fails the target.
pub fn quiet_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

/// Splits a fuzzer's input into a selector byte and the rest (one target, several variants).
pub fn pick<'a, T: Copy>(data: &'a [u8], choices: &[T]) -> (T, &'a [u8]) {
    match data.split_first() {
        Some((b, rest)) => (choices[usize::from(*b) % choices.len()], rest),
        None => (choices[0], data),
    }
}

#[cfg(test)]
mod properties;
