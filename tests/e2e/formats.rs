//! Every output format on the hand-made chargeback fixture: XLSX money as numbers, a
//! self-contained HTML page with charts, typed Parquet, FOCUS rows that add up to the same
//! exact total, formula-like text neutralised, and emails pseudonymised everywhere on request.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use crate::support::{allot, fixture, money, read_csv};

fn run(dir: &Path, mapping: &Path, extra: &[&str]) -> crate::support::Run {
    let out = dir.join("out");
    let cost = fixture("handmade/cost.csv");
    let mut args = vec![
        "chargeback",
        "--month",
        "2026-09",
        "--mapping",
        mapping.to_str().unwrap(),
        "--cost",
        cost.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
        "--out",
        out.to_str().unwrap(),
        "--format",
        "table,csv,json,xlsx,html,parquet,focus",
        // A few days of September by hand: the days without a fact had no cost.
        "--covers",
        "2026-08-31..2026-09-30",
    ];
    args.extend_from_slice(extra);
    let r = allot(dir, &args);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    r
}

#[test]
fn every_format_is_written_and_money_stays_money() {
    let dir = tempfile::tempdir().unwrap();
    run(dir.path(), &fixture("handmade/mapping.csv"), &[]);
    let out = dir.path().join("out");
    for f in [
        "chargeback.csv",
        "chargeback.json",
        "chargeback.parquet",
        "chargeback.xlsx",
        "chargeback.html",
        "focus.csv",
        "daily.csv",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    assert_eq!(
        &std::fs::read(out.join("chargeback.parquet")).unwrap()[..4],
        b"PAR1"
    );

    let mut wb = open_workbook_auto(out.join("chargeback.xlsx")).unwrap();
    assert_eq!(wb.sheet_names()[0], "Summary");
    let sheet = wb.worksheet_range("chargeback").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    let amount = header.iter().position(|h| h == "amount_usd").unwrap();
    let cc = header.iter().position(|h| h == "cost_center").unwrap();
    let row = sheet
        .rows()
        .find(|r| r[cc] == Data::String("CC-100".into()))
        .unwrap();
    assert_eq!(
        row[amount],
        Data::Float(12.84),
        "money is a number, not text"
    );

    // The same inputs give the same workbook, byte for byte.
    let first = std::fs::read(out.join("chargeback.xlsx")).unwrap();
    let again = tempfile::tempdir().unwrap();
    run(again.path(), &fixture("handmade/mapping.csv"), &[]);
    assert_eq!(
        first,
        std::fs::read(again.path().join("out/chargeback.xlsx")).unwrap()
    );

    let html = std::fs::read_to_string(out.join("chargeback.html")).unwrap();
    assert!(
        html.matches("<svg class=\"chart\"").count() >= 5,
        "charts inline"
    );
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("SETTLED"));

    // FOCUS: one row per day, person and component of September (bob's charge and credit on
    // 09-20 are one component: one row of 2.501); BilledCost adds up exactly.
    let focus = read_csv(&out.join("focus.csv"));
    assert_eq!(focus.len(), 6);
    assert!(focus
        .iter()
        .any(|r| r["x_Email"] == "bob@acme.test" && money(&r["BilledCost"]) == money("2.501")));
    let billed: rust_decimal::Decimal = focus.iter().map(|r| money(&r["BilledCost"])).sum();
    assert_eq!(billed, money("40.954444443"));
    assert!(focus
        .iter()
        .any(|r| r["x_CostCenter"] == "UNMAPPED" && r["x_Email"] == "zed@contractor.test"));
    assert!(focus
        .iter()
        .all(|r| r["ChargeCategory"] == "Usage" && r["x_Settled"] == "true"));
}

#[test]
fn formula_like_text_is_neutralised_in_csv_and_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("m.csv");
    std::fs::write(
        &mapping,
        "email,cost_center,department\nann@acme.test,CC-100,=HYPERLINK(\"http://x\")\nbob@acme.test,CC-100,=HYPERLINK(\"http://x\")\ncy@acme.test,@evil,+1\n",
    )
    .unwrap();
    run(dir.path(), &mapping, &[]);
    let rows = read_csv(&dir.path().join("out/chargeback.csv"));
    let cc100 = rows.iter().find(|r| r["cost_center"] == "CC-100").unwrap();
    assert_eq!(cc100["department"], "'=HYPERLINK(\"http://x\")");
    assert!(rows
        .iter()
        .any(|r| r["cost_center"] == "'@evil" && r["department"] == "'+1"));
    let mut wb = open_workbook_auto(dir.path().join("out/chargeback.xlsx")).unwrap();
    let sheet = wb.worksheet_range("chargeback").unwrap();
    assert!(sheet
        .rows()
        .any(|r| r.iter().any(|c| *c == Data::String("'@evil".into()))));
}

#[test]
fn pseudonymize_hides_every_email_in_every_output_and_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "a local secret").unwrap();
    let r = run(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &[
            "--pseudonymize",
            "--pseudonym-key-file",
            key.to_str().unwrap(),
        ],
    );
    assert!(!r.stdout.contains('@'), "{}", r.stdout);
    let out = dir.path().join("out");
    let mut first = String::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        if path
            .extension()
            .is_some_and(|e| e == "csv" || e == "json" || e == "html")
        {
            let text = String::from_utf8(bytes).unwrap();
            assert!(
                !text.contains("@acme.test") && !text.contains("@contractor.test"),
                "{}",
                path.display()
            );
            if path.ends_with("focus.csv") {
                first = text;
            }
        }
    }
    assert!(first.contains("person-"), "pseudonyms replace the emails");
    // The same key gives the same pseudonyms.
    std::fs::remove_dir_all(&out).unwrap();
    run(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &[
            "--pseudonymize",
            "--pseudonym-key-file",
            key.to_str().unwrap(),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(out.join("focus.csv")).unwrap(),
        first
    );
}
