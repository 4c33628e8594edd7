//! Org mappings people really have: an XLSX with odd headers, cost centers with leading zeros,
//! dates as Excel serials and date cells, two moves in one month, a leaver, a blank row; the
//! unmapped policies; shared pools split to the cent; `allot mapping check`.
//!
//! September 2026, the facts below and where each goes:
//! - ann: 09-05 $10 (00123), 09-15 $20 (00456, her first move on 09-11), 09-25 $30 (00123
//!   again from 09-21)
//! - bob: 09-10 $5 (00123); leo: 09-10 $7 (00456), 09-20 $3 (after leaving on 09-15)
//! - zed: 09-12 $1, never mapped
//!
//! So 00123 = 45.00, 00456 = 27.00, UNMAPPED = 4.00 (leo 3 + zed 1), total 76.00, coverage
//! 72 / 76 = 94.74%.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook};

use crate::support::{allot, money, read_csv, Run};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Excel's serial number for a date (days since 1899-12-30).
fn serial(s: &str) -> f64 {
    (d(s) - d("1899-12-30")).num_days() as f64
}

/// (email, cost center, department, division, start, end, manager)
type OrgRow<'a> = (
    &'a str,
    &'a str,
    &'a str,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    &'a str,
);

fn write_org_xlsx(path: &Path, overlap: bool) {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet().set_name("Org").unwrap();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    let header = [
        "Work Email",
        "Cost Center",
        "Department",
        "Division",
        "Start Date",
        "End Date",
        "Manager",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    // (email, cost center, department, division, start, end, manager); starts as date cells,
    // ends as serial numbers, as exports mix them.
    let rows: Vec<OrgRow> = vec![
        (
            "Ann@Acme.test ",
            "00123",
            "Platform",
            "Engineering",
            Some("2026-01-01"),
            Some("2026-09-10"),
            "kim",
        ),
        (
            "ann@acme.test",
            "00456",
            "Sales",
            "Revenue",
            Some("2026-09-11"),
            Some("2026-09-20"),
            "lou",
        ),
        (
            "ann@acme.test",
            "00123",
            "Platform",
            "Engineering",
            Some("2026-09-21"),
            None,
            "kim",
        ),
        (
            "bob@acme.test",
            "00123",
            "Platform",
            "Engineering",
            None,
            None,
            "kim",
        ),
        ("", "", "", "", None, None, ""),
        (
            "leo@acme.test",
            "00456",
            "Sales",
            "Revenue",
            None,
            Some("2026-09-15"),
            "lou",
        ),
    ];
    let mut r = 1;
    for (email, cc, dept, div, start, end, mgr) in rows {
        ws.write_string(r, 0, email).unwrap();
        ws.write_string(r, 1, cc).unwrap();
        ws.write_string(r, 2, dept).unwrap();
        ws.write_string(r, 3, div).unwrap();
        if let Some(s) = start {
            ws.write_datetime_with_format(r, 4, d(s), &date).unwrap();
        }
        if let Some(e) = end {
            ws.write_number(r, 5, serial(e)).unwrap();
        }
        ws.write_string(r, 6, mgr).unwrap();
        r += 1;
    }
    if overlap {
        ws.write_string(r, 0, "bob@acme.test").unwrap();
        ws.write_string(r, 1, "00456").unwrap();
        ws.write_string(r, 2, "Sales").unwrap();
        ws.write_string(r, 3, "Revenue").unwrap();
        ws.write_datetime_with_format(r, 4, d("2026-09-01"), &date)
            .unwrap();
    }
    wb.save(path).unwrap();
}

const COST: &str = "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd
2026-09-05,ann@acme.test,claude_code,claude-opus-4-6,0-200k,tokens,output_tokens,400000,10.00
2026-09-15,ann@acme.test,claude_code,claude-opus-4-6,0-200k,tokens,output_tokens,800000,20.00
2026-09-25,ann@acme.test,claude_code,claude-opus-4-6,0-200k,tokens,output_tokens,1200000,30.00
2026-09-10,bob@acme.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,333333,5.00
2026-09-10,leo@acme.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,466666,7.00
2026-09-20,leo@acme.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,200000,3.00
2026-09-12,zed@partner.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,66666,1.00
";

struct Setup {
    dir: tempfile::TempDir,
    mapping: PathBuf,
    cost: PathBuf,
}

fn setup(overlap: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("org.xlsx");
    write_org_xlsx(&mapping, overlap);
    let cost = dir.path().join("cost.csv");
    std::fs::write(&cost, COST).unwrap();
    Setup { dir, mapping, cost }
}

fn chargeback(s: &Setup, extra: &[&str]) -> (Run, PathBuf) {
    let out = s.dir.path().join(format!(
        "out{}",
        extra.join("_").replace(['/', ' ', '=', '@', ':'], "-")
    ));
    let mut args = vec![
        "chargeback",
        "--month",
        "2026-09",
        "--mapping",
        s.mapping.to_str().unwrap(),
        "--cost",
        s.cost.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    (allot(s.dir.path(), &args), out)
}

fn amounts(path: &Path, key: &str) -> HashMap<String, rust_decimal::Decimal> {
    read_csv(path)
        .iter()
        .map(|r| (r[key].clone(), money(&r["amount_usd"])))
        .collect()
}

#[test]
fn an_xlsx_org_chart_with_moves_and_a_leaver_charges_back_by_day() {
    let s = setup(false);
    let (run, out) = chargeback(&s, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("email = \"Work Email\", cost_center = \"Cost Center\""),
        "{}",
        run.stderr
    );
    let a = amounts(&out.join("chargeback.csv"), "cost_center");
    assert_eq!(a["00123"], money("45.00"));
    assert_eq!(a["00456"], money("27.00"));
    assert_eq!(a["UNMAPPED"], money("4.00"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("chargeback.json")).unwrap())
            .unwrap();
    assert_eq!(json["coverage_pct"], "94.74");
    assert!(
        run.stdout.contains("Allocation coverage: 94.74%"),
        "{}",
        run.stdout
    );

    let unmapped = read_csv(&out.join("unmapped.csv"));
    let leo = unmapped
        .iter()
        .find(|r| r["email"] == "leo@acme.test")
        .unwrap();
    assert_eq!(money(&leo["amount_usd"]), money("3.00"));
    assert_eq!(leo["unmapped_days"], "1");
    assert_eq!(leo["last_cost_center"], "00456");
    assert_eq!(leo["unmapped_since"], "2026-09-16");
    let zed = unmapped
        .iter()
        .find(|r| r["email"] == "zed@partner.test")
        .unwrap();
    assert_eq!(zed["last_cost_center"], "");
    assert_eq!(zed["charged_to"], "UNMAPPED");
}

#[test]
fn every_hierarchy_level_ties_out() {
    let s = setup(false);
    for level in ["Department", "Division"] {
        let (run, out) = chargeback(&s, &["--by", level]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        // One naming rule: a run at another level than the cost center carries it in its name.
        let a = amounts(
            &out.join(format!("chargeback-{}.csv", level.to_lowercase())),
            level,
        );
        let total: rust_decimal::Decimal = a.values().sum();
        assert_eq!(total, money("76.00"), "{level}");
    }
    let (_, out) = chargeback(&s, &["--by", "division"]);
    let a = amounts(&out.join("chargeback-division.csv"), "Division");
    assert_eq!(a["Engineering"], money("45.00"));
    assert_eq!(a["Revenue"], money("27.00"));
}

#[test]
fn unmapped_policies_send_the_cost_where_asked() {
    let s = setup(false);
    let (run, out) = chargeback(&s, &["--unmapped", "last-known"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let a = amounts(&out.join("chargeback.csv"), "cost_center");
    assert_eq!(a["00456"], money("30.00"), "leo's late $3 follows him");
    assert_eq!(a["UNMAPPED"], money("1.00"), "zed was never mapped");

    let (run, out) = chargeback(&s, &["--unmapped-to", "00123"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let a = amounts(&out.join("chargeback.csv"), "cost_center");
    assert_eq!(a["00123"], money("49.00"));
    assert!(!a.contains_key("UNMAPPED"));

    let (run, _) = chargeback(&s, &["--unmapped-to", "99999"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`99999` is not in the mapping"),
        "{}",
        run.stderr
    );
}

#[test]
fn shared_pools_split_to_the_cent_and_the_total_is_attributed_plus_shared() {
    let s = setup(false);
    // Per user: ann and bob count for 00123, leo for 00456 (zed is unmapped, receives nothing).
    // Proportional: 45 : 27 of 10.00 is 6.25 / 3.75.
    // Named with --config (an allot.toml in the working directory would apply to the next run too).
    let config = s.dir.path().join("pools.toml");
    std::fs::write(
        &config,
        "[[shared]]\nname = \"API keys\"\namount_usd = \"10.00\"\n",
    )
    .unwrap();
    let (run, out) = chargeback(
        &s,
        &[
            "--shared",
            "Platform fee=100.00@per-user",
            "--config",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&out.join("chargeback.csv"));
    let cc: HashMap<&str, &HashMap<String, String>> = rows
        .iter()
        .map(|r| (r["cost_center"].as_str(), r))
        .collect();
    assert_eq!(money(&cc["00123"]["attributed_usd"]), money("45.00"));
    assert_eq!(
        money(&cc["00123"]["shared_usd"]),
        money("72.92"),
        "66.67 + 6.25"
    );
    assert_eq!(
        money(&cc["00456"]["shared_usd"]),
        money("37.08"),
        "33.33 + 3.75"
    );
    assert_eq!(money(&cc["00123"]["amount_usd"]), money("117.92"));
    assert_eq!(money(&cc["UNMAPPED"]["shared_usd"]), money("0.00"));
    let total: rust_decimal::Decimal = rows.iter().map(|r| money(&r["amount_usd"])).sum();
    assert_eq!(
        total,
        money("186.00"),
        "76.00 attributed + 100.00 + 10.00 shared"
    );
    let alloc = read_csv(&out.join("allocations.csv"));
    assert_eq!(alloc.len(), 4);
    assert!(alloc.iter().any(|a| a["pool"] == "Platform fee"
        && a["method"] == "per-user"
        && money(&a["amount_usd"]) == money("66.67")));
    assert!(alloc.iter().any(|a| a["pool"] == "API keys"
        && a["method"] == "proportional"
        && money(&a["amount_usd"]) == money("3.75")));

    let (run, out) = chargeback(
        &s,
        &["--shared", "Seats=50@cost-center:00456", "--by", "Division"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let a = amounts(&out.join("chargeback-division.csv"), "Division");
    assert_eq!(a["Revenue"], money("77.00"));
}

#[test]
fn mapping_check_names_both_overlapping_rows_and_chargeback_refuses() {
    let s = setup(true);
    let run = allot(
        s.dir.path(),
        &["mapping", "check", s.mapping.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "error: sheet \"Org\", row 8 overlaps sheet \"Org\", row 5 for bob@acme.test"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("1 errors"), "{}", run.stdout);
    let (run, out) = chargeback(&s, &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not a valid mapping"),
        "{}",
        run.stderr
    );
    assert!(!out.exists());

    let ok = setup(false);
    let run = allot(
        ok.dir.path(),
        &["mapping", "check", ok.mapping.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("5 rows, 3 people, 2 cost centers"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("0 errors"), "{}", run.stdout);
}

#[test]
fn a_column_mapping_toml_names_headers_nobody_could_guess() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = dir.path().join("hr.csv");
    std::fs::write(
        &mapping,
        "Mitarbeiter,Kostenstelle,Abteilung\nann@acme.test,00123,Platform\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("hr.toml"),
        "hierarchy = [\"Abteilung\"]\n[columns]\nemail = \"Mitarbeiter\"\ncost_center = \"Kostenstelle\"\n",
    )
    .unwrap();
    let run = allot(dir.path(), &["mapping", "check", mapping.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("hierarchy = cost_center < \"Abteilung\""),
        "{}",
        run.stdout
    );
    std::fs::write(
        dir.path().join("hr.toml"),
        "[columns]\nemial = \"Mitarbeiter\"\n",
    )
    .unwrap();
    let run = allot(dir.path(), &["mapping", "check", mapping.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown field `emial`"),
        "{}",
        run.stderr
    );
}
