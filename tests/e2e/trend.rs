//! `allot trend` on the hand-made fixture, every cent worked out, and on the demo store.
//!
//! Weeks of September 2026 (ISO, Monday first; 09-01 is a Tuesday): 09-01..06 (clipped),
//! 07..13, 14..20, 21..27, 28..30 (clipped). ann is in CC-100 until 09-15 and in CC-200 from
//! 09-16: the week of 09-14 has her 0.333333333 (09-15) on CC-100 and her 20.004 (09-16) on
//! CC-200. bob's 5.001 and -2.50 (09-20) are CC-100's too: CC-100's week is 2.834333333 and
//! CC-200's 20.004; the week (22.838333333) rounds to 22.84, and the floors 2.83 + 20.00 leave
//! the cent to the larger remainder, CC-100's: 2.84.
//! zed (never mapped) spends 7.777777777 on 09-22: UNMAPPED in the week of 09-21, with cy's
//! 0.333333333 (09-21) on CC-200.

use std::collections::HashMap;
use std::path::Path;

use crate::support::{allot, fixture, money, read_csv, Run};

fn trend(dir: &Path, extra: &[&str]) -> Run {
    let (mapping, cost, out) = (
        fixture("handmade/mapping.csv"),
        fixture("handmade/cost.csv"),
        dir.join("out"),
    );
    let mut args = vec![
        "trend",
        "--mapping",
        mapping.to_str().unwrap(),
        "--cost",
        cost.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    // A few days of September by hand: the days without a fact had no cost.
    if !extra.contains(&"--covers") {
        args.extend(["--covers", "2026-08-31..2026-09-30"]);
    }
    args.extend_from_slice(extra);
    allot(dir, &args)
}

fn rows(dir: &Path, name: &str) -> Vec<HashMap<String, String>> {
    read_csv(&dir.join("out").join(name))
}

#[test]
fn weeks_split_a_mover_by_day_and_keep_the_unmapped() {
    let dir = tempfile::tempdir().unwrap();
    let run = trend(
        dir.path(),
        &[
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-30",
            "--per",
            "week",
            "--as-of",
            "2026-11-23",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = rows(dir.path(), "trend.csv");
    let get = |start: &str, cc: &str| {
        r.iter()
            .find(|x| x["period_start"] == start && x["cost_center"] == cc)
            .unwrap_or_else(|| panic!("no row {start} {cc} in {r:?}"))
    };
    let starts: Vec<&str> = r.iter().map(|x| x["period_start"].as_str()).collect();
    assert!(!starts.iter().any(|s| *s < "2026-09-01"));
    let w14_100 = get("2026-09-14", "CC-100");
    let w14_200 = get("2026-09-14", "CC-200");
    assert_eq!(money(&w14_100["amount_usd"]), money("2.84"));
    assert_eq!(money(&w14_200["amount_usd"]), money("20.00"));
    assert_eq!(w14_100["users"], "2", "ann and bob");
    assert_eq!(w14_200["users"], "1", "ann, after her move");
    let unmapped = get("2026-09-21", "UNMAPPED");
    assert_eq!(money(&unmapped["amount_usd"]), money("7.78"));
    assert_eq!(
        money(&get("2026-09-21", "CC-200")["amount_usd"]),
        money("0.33")
    );
    // The change compares with the same cost center's previous week.
    assert_eq!(
        money(&get("2026-09-21", "CC-200")["change_usd"]),
        money("-19.67")
    );
    assert!(r.iter().all(|x| x["status"] == "settled"));
    // Each week is rounded once, on its own, as its chargeback would be: 10.005 -> 10.01,
    // 22.838333333 -> 22.84, 8.111111110 -> 8.11. (So weeks add up to 40.96, not to the month
    // rounded once, 40.95: each period is exact to its own cent.)
    for (week, total) in [
        ("2026-09-07", "10.01"),
        ("2026-09-14", "22.84"),
        ("2026-09-21", "8.11"),
    ] {
        let sum: rust_decimal::Decimal = r
            .iter()
            .filter(|x| x["period_start"] == week)
            .map(|x| money(&x["amount_usd"]))
            .sum();
        assert_eq!(sum, money(total), "{week}");
    }

    // A range starting mid-week clips its first week: it starts on the range's first day.
    let run = trend(
        dir.path(),
        &[
            "--from",
            "2026-09-09",
            "--to",
            "2026-09-30",
            "--per",
            "week",
            "--as-of",
            "2026-11-23",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = rows(dir.path(), "trend.csv");
    assert_eq!(r[0]["period_start"], "2026-09-09");
    assert_eq!(r[0]["period_end"], "2026-09-13");
}

#[test]
fn a_week_within_thirty_days_is_provisional_and_only_that_week() {
    let dir = tempfile::tempdir().unwrap();
    // As of 10-20, days after 09-20 are less than 30 days old.
    let run = trend(
        dir.path(),
        &[
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-30",
            "--per",
            "week",
            "--as-of",
            "2026-10-20",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = rows(dir.path(), "trend.csv");
    for x in &r {
        let expected = if x["period_start"].as_str() >= "2026-09-21" {
            "provisional"
        } else {
            "settled"
        };
        assert_eq!(x["status"], expected, "{x:?}");
    }
    assert!(run.stdout.contains("[PROVISIONAL]"), "{}", run.stdout);
}

#[test]
fn a_whole_month_of_the_trend_is_that_months_chargeback_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = allot(
        dir.path(),
        &[
            "-q",
            "demo",
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let store = out.join("store");
    let mapping = out.join("input/org-mapping.csv");
    for by in ["cost_center", "division"] {
        let t = dir.path().join(format!("t-{by}"));
        let run = allot(
            dir.path(),
            &[
                "trend",
                "--from",
                "2026-08",
                "--to",
                "2026-10",
                "--per",
                "month",
                "--by",
                by,
                "--mapping",
                mapping.to_str().unwrap(),
                "--store",
                store.to_str().unwrap(),
                "--as-of",
                "2026-11-23",
                "--out",
                t.to_str().unwrap(),
                "--format",
                "csv,xlsx,html",
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let c = dir.path().join(format!("c-{by}"));
        let run = allot(
            dir.path(),
            &[
                "chargeback",
                "--month",
                "2026-09",
                "--by",
                by,
                "--mapping",
                mapping.to_str().unwrap(),
                "--store",
                store.to_str().unwrap(),
                "--as-of",
                "2026-11-23",
                "--out",
                c.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        let name = if by == "cost_center" {
            String::new()
        } else {
            format!("-{by}")
        };
        let trend_rows = read_csv(&t.join(format!("trend{name}.csv")));
        let sep: HashMap<String, (String, String)> = trend_rows
            .iter()
            .filter(|r| r["period_start"] == "2026-09-01")
            .map(|r| (r[by].clone(), (r["amount_usd"].clone(), r["users"].clone())))
            .collect();
        let cb: HashMap<String, (String, String)> =
            read_csv(&c.join(format!("chargeback{name}.csv")))
                .iter()
                .map(|r| (r[by].clone(), (r["amount_usd"].clone(), r["users"].clone())))
                .collect();
        assert_eq!(sep, cb, "{by}");
        assert!(
            trend_rows.iter().any(|r| r["status"] == "provisional"),
            "October is not settled"
        );
        let page = std::fs::read_to_string(t.join(format!("trend{name}.html"))).unwrap();
        assert!(page.contains("<svg"), "the page charts the series");
        assert!(t.join(format!("trend{name}.xlsx")).exists());
    }
}

#[test]
fn a_trend_by_product_splits_each_period_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let run = trend(
        dir.path(),
        &[
            "--from",
            "2026-09",
            "--to",
            "2026-09",
            "--per",
            "month",
            "--by",
            "product",
            "--as-of",
            "2026-11-23",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let r = rows(dir.path(), "trend-product.csv");
    let by: HashMap<&str, &str> = r
        .iter()
        .map(|x| (x["product"].as_str(), x["amount_usd"].as_str()))
        .collect();
    // chat: 0.333333333 twice = 0.666666666; claude_code: 10.005 + 20.004 + 5.001 - 2.50 +
    // 7.777777777 = 40.287777777. The month rounds to 40.95: floors 0.66 + 40.28 leave a
    // cent for the larger remainder, claude_code's.
    assert_eq!(money(by["chat"]), money("0.66"));
    assert_eq!(money(by["claude_code"]), money("40.29"));
}
