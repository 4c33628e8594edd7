//! The reviews on a hand-made fixture, every figure worked out here.
//!
//! September 2026. ann moves from CC-1 to CC-2 on 09-16, so both her cost and her commits
//! split: CC-1 gets her $10.00 and 4 commits of 09-10, CC-2 her $20.00 (200K-1M window) and 1
//! commit of 09-20. bob (CC-1) has $3.00 of Claude Code and $0.30 of chat and no commits. cy
//! (CC-2) has $1.50 of chat and no activity. dee (CC-2) has 2 commits and no cost. ann's
//! August $5.00 is the previous month.
//!
//! Efficiency, CC-1: Claude Code $13.00 over 4 commits = 3.25, 1 PR = 13.00, 5 sessions =
//! 2.60, 400 lines added = 32.50 per 1,000. CC-2: $20.00 over 3 commits = 6.67, 1 PR =
//! 20.00, 2 sessions = 10.00, 150 lines = 133.33 per 1,000; its people's cost per commit are
//! dee 0.00 and ann 20.00, so the median is 10.00 and the 90th percentile 20.00.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::support::{allot, fixture, money, read_csv, Run};

fn review(cmd: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf, Run) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mapping = fixture("reviews/mapping.csv");
    let cost = fixture("reviews/cost.csv");
    let activity = fixture("reviews/activity.csv");
    let mut args = vec![
        cmd,
        "--month",
        "2026-09",
        "--mapping",
        mapping.to_str().unwrap(),
        "--cost",
        cost.to_str().unwrap(),
        "--activity",
        activity.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    // The fixture's facts stop on 09-20; it stands for a whole two months of exports.
    if !extra.contains(&"--covers") {
        args.extend(["--covers", "2026-08..2026-09"]);
    }
    if !extra.contains(&"--as-of") {
        args.extend(["--as-of", "2026-11-23"]);
    }
    args.extend_from_slice(extra);
    let run = allot(dir.path(), &args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    (dir, out, run)
}

fn by(rows: &[HashMap<String, String>], key: &str) -> HashMap<String, HashMap<String, String>> {
    rows.iter().map(|r| (r[key].clone(), r.clone())).collect()
}

#[test]
fn efficiency_per_team_splits_a_mover_by_day() {
    let (_dir, out, run) = review("efficiency", &[]);
    let rows = read_csv(&out.join("efficiency.csv"));
    let t = by(&rows, "cost_center");
    let cc1 = &t["CC-1"];
    assert_eq!(money(&cc1["claude_code_cost_usd"]), money("13.00"));
    assert_eq!(money(&cc1["total_cost_usd"]), money("13.30"));
    assert_eq!(
        (
            cc1["commits"].as_str(),
            cc1["pull_requests"].as_str(),
            cc1["sessions"].as_str()
        ),
        ("4", "1", "5")
    );
    assert_eq!(cc1["lines_added"], "400");
    assert_eq!(money(&cc1["cost_per_commit_usd"]), money("3.25"));
    assert_eq!(money(&cc1["cost_per_pr_usd"]), money("13.00"));
    assert_eq!(money(&cc1["cost_per_session_usd"]), money("2.60"));
    assert_eq!(money(&cc1["cost_per_1k_lines_usd"]), money("32.50"));
    assert_eq!(cc1["status"], "settled");
    let cc2 = &t["CC-2"];
    assert_eq!(money(&cc2["claude_code_cost_usd"]), money("20.00"));
    assert_eq!(cc2["commits"], "3");
    assert_eq!(money(&cc2["cost_per_commit_usd"]), money("6.67"));
    assert_eq!(money(&cc2["cost_per_1k_lines_usd"]), money("133.33"));
    assert_eq!(money(&cc2["median_cost_per_commit_usd"]), money("10.00"));
    assert_eq!(money(&cc2["p90_cost_per_commit_usd"]), money("20.00"));
    assert!(
        run.stdout.contains("Efficiency 2026-09 [SETTLED]"),
        "{}",
        run.stdout
    );
}

#[test]
fn efficiency_per_person_leaves_zero_denominators_empty_with_a_reason() {
    let (_dir, out, _run) = review("efficiency", &["--per", "person"]);
    let rows = read_csv(&out.join("efficiency.csv"));
    let p: HashMap<(String, String), &HashMap<String, String>> = rows
        .iter()
        .map(|r| ((r["email"].clone(), r["cost_center"].clone()), r))
        .collect();
    let bob = p[&("bob@acme.test".to_string(), "CC-1".to_string())];
    assert_eq!(
        bob["cost_per_commit_usd"], "",
        "no commits is no ratio, not 0 or infinity"
    );
    assert!(bob["note"].contains("no commits"), "{bob:?}");
    assert_eq!(money(&bob["cost_per_session_usd"]), money("1.00"));
    let cy = p[&("cy@acme.test".to_string(), "CC-2".to_string())];
    assert_eq!(cy["sessions"], "0");
    assert!(cy["note"].contains("no sessions"), "{cy:?}");
    let dee = p[&("dee@acme.test".to_string(), "CC-2".to_string())];
    assert_eq!(money(&dee["cost_per_commit_usd"]), money("0.00"));
    assert!(
        dee["note"].contains("activity without Claude Code cost"),
        "{dee:?}"
    );
    let ann_cc1 = p[&("ann@acme.test".to_string(), "CC-1".to_string())];
    let ann_cc2 = p[&("ann@acme.test".to_string(), "CC-2".to_string())];
    assert_eq!(
        (ann_cc1["commits"].as_str(), ann_cc2["commits"].as_str()),
        ("4", "1")
    );
    assert_eq!(money(&ann_cc1["cost_per_commit_usd"]), money("2.50"));
    assert_eq!(money(&ann_cc2["cost_per_commit_usd"]), money("20.00"));
}

#[test]
fn top_spenders_show_share_long_context_and_change() {
    let (_dir, out, _run) = review("top", &["--n", "2"]);
    let rows = read_csv(&out.join("top_spenders.csv"));
    assert_eq!(rows.len(), 2);
    let ann = &rows[0];
    assert_eq!(
        (ann["rank"].as_str(), ann["email"].as_str()),
        ("1", "ann@acme.test")
    );
    assert_eq!(ann["cost_center"], "CC-2", "where she spent most");
    assert_eq!(money(&ann["amount_usd"]), money("30.00"));
    assert_eq!(money(&ann["share_pct"]), money("86.21"), "30.00 of 34.80");
    assert_eq!(money(&ann["long_context_share_pct"]), money("50.00"));
    assert_eq!(
        money(&ann["cost_per_commit_usd"]),
        money("6.00"),
        "30.00 over 5 commits"
    );
    assert_eq!(money(&ann["previous_month_usd"]), money("5.00"));
    assert_eq!(money(&ann["change_usd"]), money("25.00"));
    assert_eq!(rows[1]["email"], "bob@acme.test");
    assert_eq!(rows[1]["previous_month_usd"], "");
}

#[test]
fn context_window_flags_people_above_the_threshold_first() {
    let (_dir, out, _run) = review("context", &["--threshold", "25"]);
    let rows = read_csv(&out.join("context_window.csv"));
    assert_eq!(rows[0]["email"], "ann@acme.test");
    assert_eq!(rows[0]["flagged"], "true");
    assert_eq!(
        (
            rows[0]["tokens_0_200k"].as_str(),
            rows[0]["tokens_200k_1m"].as_str()
        ),
        ("100000", "100000")
    );
    assert_eq!(money(&rows[0]["long_context_share_pct"]), money("50.00"));
    assert_eq!(money(&rows[0]["amount_usd"]), money("30.00"));
    assert!(rows[1..].iter().all(|r| r["flagged"] == "false"));
    let teams = by(
        &read_csv(&out.join("context_window_teams.csv")),
        "cost_center",
    );
    assert_eq!(teams["CC-2"]["tokens_200k_1m"], "100000");
    assert_eq!(teams["CC-1"]["tokens_200k_1m"], "0");
}

#[test]
fn model_mix_prices_the_largest_model_at_the_next_ones_observed_rate() {
    let (_dir, out, _run) = review("models", &[]);
    let rows = read_csv(&out.join("model_mix.csv"));
    let cc1: HashMap<&str, &HashMap<String, String>> = rows
        .iter()
        .filter(|r| r["cost_center"] == "CC-1")
        .map(|r| (r["model"].as_str(), r))
        .collect();
    assert_eq!(money(&cc1["claude-opus-4-6"]["amount_usd"]), money("10.00"));
    assert_eq!(money(&cc1["claude-opus-4-6"]["share_pct"]), money("75.19"));
    assert_eq!(
        money(&cc1["claude-sonnet-4-6"]["amount_usd"]),
        money("3.30")
    );
    // Sonnet's output tokens cost 4.50 / 300,000 in the data; ann's 200,000 opus output tokens
    // at that rate cost 3.00 (no sonnet usage in 200K-1M, so its all-window rate is used).
    let down = read_csv(&out.join("model_downgrade.csv"));
    assert_eq!(down.len(), 1);
    assert_eq!(down[0]["email"], "ann@acme.test");
    assert_eq!(down[0]["largest_model"], "claude-opus-4-6");
    assert_eq!(down[0]["next_model"], "claude-sonnet-4-6");
    assert_eq!(money(&down[0]["same_tokens_on_next_usd"]), money("3.00"));
    assert_eq!(money(&down[0]["difference_usd"]), money("27.00"));
}

#[test]
fn a_month_not_yet_settled_marks_every_review_provisional() {
    let (_dir, out, run) = review("efficiency", &["--as-of", "2026-10-15"]);
    assert!(run.stdout.contains("[PROVISIONAL]"), "{}", run.stdout);
    assert!(read_csv(&out.join("efficiency.csv"))
        .iter()
        .all(|r| r["status"] == "provisional"));
}
