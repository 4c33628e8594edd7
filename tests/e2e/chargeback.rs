//! The chargeback on a hand-made fixture whose every cent is worked out below.
//!
//! September 2026, exact amounts per cost center:
//! - CC-100: ann 10.005 (09-10) + ann 0.333333333 (09-15, spelled `ANN@Acme.test`, her last day
//!   there) + bob 5.001 - bob's credit 2.50 = 12.839333333
//! - CC-200: ann 20.004 (09-16, the day she moved) + cy 0.333333333 = 20.337333333
//! - UNMAPPED: zed (no mapping row) 7.777777777
//! - rows on 08-31 and 10-01 are outside the month.
//!
//! Total 40.954444443 rounds to 40.95 (4095 cents). Floors: 1283 + 2033 + 777 = 4093 cents, so
//! two extra cents go to the largest remainders: CC-100 (0.933 cent) and UNMAPPED (0.778 cent),
//! not CC-200 (0.733 cent). Rounding each row on its own would give 12.84 + 20.34 + 7.78 = 40.96.
//! Shares of 100.00%: floors 31.35 + 49.65 + 18.99 = 99.99; the extra 0.01 goes to CC-200.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::support::{allot, fixture, money, read_csv};

fn run_fixture(extra: &[&str], as_of: &str) -> (tempfile::TempDir, crate::support::Run) {
    let dir = tempfile::tempdir().unwrap();
    let mapping = fixture("handmade/mapping.csv");
    let cost = fixture("handmade/cost.csv");
    let out = dir.path().join("out");
    let mut args = vec![
        "chargeback",
        "--month",
        "2026-09",
        "--mapping",
        mapping.to_str().unwrap(),
        "--cost",
        cost.to_str().unwrap(),
        "--as-of",
        as_of,
        "--out",
        out.to_str().unwrap(),
        // A few days of September by hand: the days without a fact had no cost.
        "--covers",
        "2026-08-31..2026-09-30",
    ];
    args.extend_from_slice(extra);
    let run = allot(dir.path(), &args);
    (dir, run)
}

fn by_key(rows: &[HashMap<String, String>], key: &str) -> HashMap<String, HashMap<String, String>> {
    rows.iter().map(|r| (r[key].clone(), r.clone())).collect()
}

#[test]
fn cost_centers_get_hand_worked_cents_that_add_up() {
    let (dir, run) = run_fixture(&[], "2026-11-23");
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&dir.path().join("out/chargeback.csv"));
    assert_eq!(rows.len(), 3);
    let cc = by_key(&rows, "cost_center");
    assert_eq!(money(&cc["CC-100"]["amount_usd"]), money("12.84"));
    assert_eq!(money(&cc["CC-200"]["amount_usd"]), money("20.33"));
    assert_eq!(money(&cc["UNMAPPED"]["amount_usd"]), money("7.78"));
    assert_eq!(money(&cc["CC-100"]["exact_usd"]), money("12.839333333"));
    assert_eq!(cc["CC-100"]["users"], "2");
    assert_eq!(cc["CC-200"]["users"], "2");
    assert_eq!(cc["UNMAPPED"]["users"], "1");
    assert_eq!(money(&cc["CC-100"]["share_pct"]), money("31.35"));
    assert_eq!(money(&cc["CC-200"]["share_pct"]), money("49.66"));
    assert_eq!(money(&cc["UNMAPPED"]["share_pct"]), money("18.99"));
    // The department is constant per cost center, so it is carried; the manager is per person, so not.
    assert_eq!(cc["CC-100"]["department"], "Eng");
    assert!(!cc["CC-100"].contains_key("manager"));
    for r in &rows {
        assert_eq!(r["month"], "2026-09");
        assert_eq!(r["status"], "settled");
    }
    let sum: Decimal = rows.iter().map(|r| money(&r["amount_usd"])).sum();
    assert_eq!(sum, money("40.95"));

    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/chargeback.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["status"], "settled");
    assert_eq!(json["total"]["amount_usd"], "40.95");
    assert_eq!(json["rows"].as_array().unwrap().len(), 3);

    assert!(
        run.stdout
            .contains("Chargeback 2026-09 by cost_center [SETTLED]"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("TOTAL"), "{}", run.stdout);
    assert!(run.stdout.contains("40.95"), "{}", run.stdout);
    assert!(
        run.stdout.contains("zed@contractor.test"),
        "unmapped people are listed: {}",
        run.stdout
    );
}

#[test]
fn rolling_up_by_department_ties_out_to_the_same_total() {
    let (dir, run) = run_fixture(&["--by", "department"], "2026-11-23");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !dir.path().join("out/chargeback.csv").exists(),
        "a department run never writes over the cost-center report"
    );
    let rows = read_csv(&dir.path().join("out/chargeback-department.csv"));
    let d = by_key(&rows, "department");
    assert_eq!(money(&d["Eng"]["amount_usd"]), money("12.84"));
    assert_eq!(money(&d["Sales"]["amount_usd"]), money("20.33"));
    assert_eq!(money(&d["UNMAPPED"]["amount_usd"]), money("7.78"));
    assert!(!rows[0].contains_key("cost_center"));
}

#[test]
fn a_month_within_thirty_days_is_provisional_everywhere() {
    // September's last day is 30 days before 2026-10-30, but only 29 before 2026-10-29.
    let (dir, run) = run_fixture(&["--format", "table,csv,json"], "2026-10-29");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("[PROVISIONAL]"), "{}", run.stdout);
    let rows = read_csv(&dir.path().join("out/chargeback.csv"));
    assert!(rows.iter().all(|r| r["status"] == "provisional"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/chargeback.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["status"], "provisional");

    let (_dir, run) = run_fixture(&["--format", "csv"], "2026-10-30");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.is_empty(),
        "no table unless asked: {}",
        run.stdout
    );
}

#[test]
fn parquet_and_several_cost_files_give_the_same_cents() {
    // The same facts split across a CSV and a second CSV give the same chargeback.
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("handmade/cost.csv")).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let (a, b) = lines.split_at(4);
    let pa = dir.path().join("a.csv");
    let pb = dir.path().join("b.csv");
    std::fs::write(&pa, format!("{header}\n{}\n", a.join("\n"))).unwrap();
    std::fs::write(&pb, format!("{header}\n{}\n", b.join("\n"))).unwrap();
    let out = dir.path().join("out");
    let mapping = fixture("handmade/mapping.csv");
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            mapping.to_str().unwrap(),
            "--cost",
            pa.to_str().unwrap(),
            "--cost",
            pb.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&out.join("chargeback.csv"));
    let cc = by_key(&rows, "cost_center");
    assert_eq!(money(&cc["CC-100"]["amount_usd"]), money("12.84"));
    assert_eq!(money(&cc["CC-200"]["amount_usd"]), money("20.33"));
}
