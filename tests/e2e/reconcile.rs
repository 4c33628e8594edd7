//! Invoice reconciliation on settled dates only.
//!
//! The API (cost facts) says: August Claude Code 200.004, chat 100.00; September Claude Code
//! 300.00, chat 50.00; November Claude Code 10.00. The invoice bills August exactly (200.00 is
//! 200.004 rounded), September's Claude Code at 310.00 (a planted 10.00 variance, 3.33%),
//! and November, which as of 2026-11-23 is not settled. Seats, a credit written `(12.00)`
//! and tax are classified, never compared.

use std::collections::HashMap;

use crate::support::{allot, fixture, money, read_csv};

fn reconcile(invoice: &str) -> (tempfile::TempDir, crate::support::Run) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = allot(
        dir.path(),
        &[
            "reconcile",
            "--invoice",
            fixture(invoice).to_str().unwrap(),
            "--cost",
            fixture("reconcile/cost.csv").to_str().unwrap(),
            // The facts stand for complete exports of August to November.
            "--covers",
            "2026-08..2026-11",
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    (dir, run)
}

#[test]
fn a_planted_variance_is_found_and_an_unsettled_month_is_never_judged() {
    let (dir, run) = reconcile("reconcile/invoice.csv");
    assert_eq!(
        run.code, 1,
        "a settled period is off: exit 1\n{}\n{}",
        run.stdout, run.stderr
    );
    let rows = read_csv(&dir.path().join("out/reconciliation.csv"));
    let r: HashMap<(String, String), &HashMap<String, String>> = rows
        .iter()
        .map(|r| ((r["month"].clone(), r["product"].clone()), r))
        .collect();
    let get = |m: &str, p: &str| r[&(m.to_string(), p.to_string())];
    assert_eq!(get("2026-08", "claude_code")["status"], "MATCH");
    assert_eq!(
        money(&get("2026-08", "claude_code")["api_usd"]),
        money("200.00")
    );
    // invoice - per_user = not_attributable + rounding + unexplained: 200.00 - 200.004 =
    // 0 + (-0.004) + 0.
    assert_eq!(
        money(&get("2026-08", "claude_code")["rounding_usd"]),
        money("-0.004")
    );
    assert_eq!(get("2026-08", "chat")["status"], "MATCH");
    let sep = get("2026-09", "claude_code");
    assert_eq!(sep["status"], "VARIANCE");
    assert_eq!(money(&sep["invoice_usd"]), money("310.00"));
    assert_eq!(money(&sep["api_usd"]), money("300.00"));
    assert_eq!(money(&sep["variance_usd"]), money("10.00"));
    assert_eq!(money(&sep["variance_pct"]), money("3.33"));
    assert_eq!(get("2026-09", "chat")["status"], "MATCH");
    let nov = get("2026-11", "claude_code");
    assert_eq!(nov["status"], "UNSETTLED");
    assert_eq!(
        nov["variance_usd"], "",
        "an unsettled month is not called a match or a mismatch"
    );
    assert!(rows
        .iter()
        .all(|r| ["MATCH", "VARIANCE", "UNSETTLED"].contains(&r["status"].as_str())));

    let lines = read_csv(&dir.path().join("out/invoice_lines.csv"));
    let class: HashMap<&str, (&str, &str)> = lines
        .iter()
        .map(|l| {
            (
                l["description"].as_str(),
                (l["class"].as_str(), l["amount_usd"].as_str()),
            )
        })
        .collect();
    assert_eq!(class["Enterprise seats (10)"].0, "seat_fees");
    assert_eq!(money(class["Enterprise seats (10)"].1), money("1234.56"));
    assert_eq!(class["Promotional credit"].0, "credit");
    assert_eq!(money(class["Promotional credit"].1), money("-12.00"));
    assert_eq!(class["Sales tax"].0, "tax");
    assert!(lines.iter().all(|l| !l["reason"].is_empty()));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/reconciliation.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["variances"], "1");
    assert!(run.stdout.contains("VARIANCE"), "{}", run.stdout);
}

#[test]
fn a_matching_invoice_exits_zero() {
    let (_dir, run) = reconcile("reconcile/invoice-august.csv");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("MATCH"), "{}", run.stdout);
}
