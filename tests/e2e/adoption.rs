//! The adoption scorecard (issue #14) on a fixture whose counts are worked out by hand
//! (tests/fixtures/adoption): a mover counted once in their month-end cost center, a person
//! with activity but no cost counted active, a leaver and a contractor not in the headcount,
//! the idle seats exact; and the demo's seats nobody uses.

use std::collections::HashMap;
use std::path::Path;

use crate::support::{allot, demo, fixture, read_csv, Run};

fn adoption(dir: &Path, extra: &[&str]) -> Run {
    let f = |n: &str| fixture(&format!("adoption/{n}")).display().to_string();
    let out = dir.join("out").display().to_string();
    let mut args: Vec<String> = [
        "adoption",
        "--month",
        "2026-09",
        "--mapping",
        &f("mapping.csv"),
        "--cost",
        &f("cost.csv"),
        "--activity",
        &f("activity.csv"),
        "--covers",
        "2026-08-01..2026-09-30",
        "--as-of",
        "2026-11-15",
        "--out",
        &out,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    args.extend(extra.iter().map(ToString::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    allot(dir, &args)
}

fn by_key(rows: &[HashMap<String, String>], col: &str) -> HashMap<String, HashMap<String, String>> {
    rows.iter().map(|r| (r[col].clone(), r.clone())).collect()
}

#[test]
fn the_scorecard_counts_people_where_they_are_at_month_end() {
    let dir = tempfile::tempdir().unwrap();
    let run = adoption(dir.path(), &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("Adoption 2026-09 by cost_center") && run.stdout.contains("[SETTLED]"),
        "{}",
        run.stdout
    );
    let rows = by_key(
        &read_csv(&dir.path().join("out/adoption.csv")),
        "cost_center",
    );
    let cell = |k: &str, c: &str| rows[k][c].clone();
    // CC-A: ann and eve on 09-30 (bob left it on 09-14); ann is active (cost and Office).
    assert_eq!(
        (cell("CC-A", "headcount"), cell("CC-A", "active_users")),
        ("2".into(), "1".into())
    );
    assert_eq!(cell("CC-A", "department"), "Alpha");
    assert_eq!(cell("CC-A", "utilization_pct"), "50.00");
    assert_eq!(
        (
            cell("CC-A", "chat_users"),
            cell("CC-A", "office_users"),
            cell("CC-A", "claude_code_users")
        ),
        ("1".into(), "1".into(), "0".into())
    );
    // Its amount is the chargeback's: ann's 10.01 and bob's 20.00 before he moved.
    assert_eq!(cell("CC-A", "amount_usd"), "30.01");
    assert_eq!(cell("CC-A", "cost_per_active_user_usd"), "30.01");
    // August: ann and eve active of ann, bob, eve -> 2; now 1.
    assert_eq!(cell("CC-A", "active_users_change"), "-1");
    // CC-B: bob (the mover, once), cat and fay; dan left on 09-20. bob by cost, cat by
    // Cowork activity with no cost at all.
    assert_eq!(
        (cell("CC-B", "headcount"), cell("CC-B", "active_users")),
        ("3".into(), "2".into())
    );
    assert_eq!(cell("CC-B", "utilization_pct"), "66.67");
    assert_eq!(
        (
            cell("CC-B", "claude_code_users"),
            cell("CC-B", "cowork_users"),
            cell("CC-B", "chat_users")
        ),
        ("1".into(), "1".into(), "0".into())
    );
    assert_eq!(cell("CC-B", "amount_usd"), "35.00");
    assert_eq!(cell("CC-B", "cost_per_active_user_usd"), "17.50");
    assert_eq!(cell("CC-B", "active_users_change"), "1");
    // The contractor's cost is on UNMAPPED, with nobody in its headcount.
    assert_eq!(
        (
            cell("UNMAPPED", "headcount"),
            cell("UNMAPPED", "active_users"),
            cell("UNMAPPED", "amount_usd")
        ),
        ("0".into(), "0".into(), "7.00".into())
    );
    assert_eq!(
        (
            cell("TOTAL", "headcount"),
            cell("TOTAL", "active_users"),
            cell("TOTAL", "amount_usd")
        ),
        ("5".into(), "3".into(), "72.01".into())
    );
    assert_eq!(cell("TOTAL", "utilization_pct"), "60.00");
    assert!(rows.values().all(|r| r["status"] == "settled"));

    // The idle seats: fay never active in the data, eve last on 2026-08-10.
    let idle = read_csv(&dir.path().join("out/inactive_seats.csv"));
    let got: Vec<(String, String, String, String)> = idle
        .iter()
        .map(|r| {
            (
                r["email"].clone(),
                r["cost_center"].clone(),
                r["last_active"].clone(),
                r["days_inactive"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "fay@x.test".into(),
                "CC-B".into(),
                String::new(),
                String::new()
            ),
            (
                "eve@x.test".into(),
                "CC-A".into(),
                "2026-08-10".into(),
                "51".into()
            ),
        ]
    );
    // Over the last 60 days eve was active (2026-08-10): only fay is idle.
    let run = adoption(dir.path(), &["--inactive-days", "60"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let idle = read_csv(&dir.path().join("out/inactive_seats.csv"));
    assert_eq!(
        idle.iter().map(|r| r["email"].as_str()).collect::<Vec<_>>(),
        ["fay@x.test"]
    );
    // From files there are no engagement summaries: no adoption_org.csv.
    assert!(!dir.path().join("out/adoption_org.csv").exists());
}

#[test]
fn adoption_by_department_pseudonymised_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k");
    std::fs::write(&key, "secret").unwrap();
    let run = adoption(
        dir.path(),
        &[
            "--by",
            "department",
            "--pseudonymize",
            "--pseudonym-key-file",
            key.to_str().unwrap(),
            "--format",
            "csv,xlsx,html",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = by_key(
        &read_csv(&dir.path().join("out/adoption-department.csv")),
        "department",
    );
    assert_eq!(rows["Beta"]["headcount"], "3");
    assert_eq!(rows["Alpha"]["active_users"], "1");
    for name in [
        "adoption-department.csv",
        "inactive_seats.csv",
        "adoption-department.html",
    ] {
        let text = std::fs::read_to_string(dir.path().join("out").join(name)).unwrap();
        assert!(!text.contains("@x.test"), "{name} shows an email");
    }
    assert!(
        std::fs::read_to_string(dir.path().join("out/adoption-department.html"))
            .unwrap()
            .contains("Utilization by team")
    );
    assert!(dir.path().join("out/adoption-department.xlsx").is_file());
    // Checked flags and inputs.
    let run = adoption(dir.path(), &["--inactive-days", "0"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = adoption(dir.path(), &["--by", "nosuch"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nosuch"), "{}", run.stderr);
}

#[test]
fn the_demo_scores_adoption_and_lists_the_seats_nobody_uses() {
    let out = demo();
    let rows = read_csv(&out.join("adoption.csv"));
    let total = rows.iter().find(|r| r["cost_center"] == "TOTAL").unwrap();
    let headcount: u64 = total["headcount"].parse().unwrap();
    let active: u64 = total["active_users"].parse().unwrap();
    assert!(headcount >= 190 && active < headcount, "{total:?}");
    let idle = read_csv(&out.join("inactive_seats.csv"));
    for (email, cc) in allot_synth::IDLE_SEATS {
        let r = idle
            .iter()
            .find(|r| r["email"] == email)
            .unwrap_or_else(|| panic!("{email} in {idle:#?}"));
        assert_eq!(r["cost_center"], cc);
        assert_eq!(r["last_active"], "", "never used in the data");
    }
    let org = by_key(&read_csv(&out.join("adoption_org.csv")), "metric");
    for m in [
        "avg_daily_active_users",
        "assigned_seats",
        "pending_invites",
        "utilization_pct",
        "cowork_utilization_pct",
    ] {
        assert!(org.contains_key(m), "{m} in {org:#?}");
    }
    assert_eq!(
        org["assigned_seats"]["value"], "207.00",
        "204 users and 3 idle seats"
    );
    // The demo's active users per surface come from real activity: Cowork and Office too.
    let sum = |c: &str| {
        rows.iter()
            .filter(|r| r["cost_center"] != "TOTAL")
            .map(|r| r[c].parse::<u64>().unwrap())
            .sum::<u64>()
    };
    assert!(
        sum("cowork_users") > 0
            && sum("office_users") > 0
            && sum("chat_users") > 0
            && sum("claude_code_users") > 0
    );
    let page = std::fs::read_to_string(out.join("chargeback.html")).unwrap();
    for section in ["Adoption", "Inactive seats", "Alerts", "Forecast"] {
        assert!(page.contains(section), "{section} on the demo page");
    }
}
