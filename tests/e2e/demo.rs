//! The demo: the README's first command, on the embedded organisation.

use std::collections::HashMap;

use rust_decimal::Decimal;

use crate::support::{allot, money, read_csv};

#[test]
fn demo_charges_back_the_latest_settled_month_and_ties_out() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    let run = allot(
        dir.path(),
        &[
            "demo",
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("Chargeback 2026-09 by cost_center [SETTLED]"),
        "{}",
        run.stdout
    );
    let rows = read_csv(&out.join("chargeback.csv"));
    // 12 cost centers plus UNMAPPED (contractors, leavers' late days, the sandbox key, an
    // actor of an unknown kind, cost no actor is behind, the unmapped AWS account).
    assert_eq!(rows.len(), 13, "{rows:?}");
    assert_eq!(rows.last().unwrap()["cost_center"], "UNMAPPED");
    let cc_total: Decimal = rows.iter().map(|r| money(&r["amount_usd"])).sum();
    let div_rows = read_csv(&out.join("chargeback-division.csv"));
    let div_total: Decimal = div_rows.iter().map(|r| money(&r["amount_usd"])).sum();
    assert_eq!(
        cc_total, div_total,
        "every level ties out to the same total"
    );

    // The total equals the exact sum of the organisation's whole September bill, rounded
    // once: every cost the fake API served (seat users, API keys, service accounts, the rest:
    // its ground truth) and the Claude usage of the Bedrock bill's September (read here
    // straight from the CSV): nothing lost or doubled on the way through the sync and the store.
    // The organisation the demo's fake serves: the demo organisation with its planted events.
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    let org = allot_synth::demo_org_at(today);
    let sept = chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let exact: i128 = allot_fake_api::truth::days(sept, sept + chrono::Duration::days(30))
        .flat_map(|d| allot_fake_api::truth::actor_costs(&org, d, today, 0))
        .map(|u| i128::from(u.fact.cost_nanos))
        .sum();
    let mut cloud = Decimal::ZERO;
    for r in read_csv(&out.join("input/bedrock-focus.csv")) {
        let claude = r["SkuPriceDetails"].contains("\"ModelDeveloper\":\"Anthropic\"");
        if claude && r["ChargeCategory"] == "Usage" && r["ChargePeriodStart"].starts_with("2026-09")
        {
            cloud += money(&r["BilledCost"]);
        }
    }
    assert!(cloud > money("100"), "a month of Bedrock: {cloud}");
    let exact = Decimal::from_i128_with_scale(exact, 9) + cloud;
    assert_eq!(
        cc_total,
        exact.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    );
    assert!(
        out.join("store/store.json").exists(),
        "the demo went through the store"
    );
    assert!(
        run.stderr.contains("from the fake Anthropic API"),
        "{}",
        run.stderr
    );
    assert!(cc_total > money("1000"), "a realistic month: {cc_total}");

    // Movers split by day: someone is in two cost centers in September.
    let mapping = read_csv(&out.join("input/org-mapping.csv"));
    let mut rows_per_person: HashMap<&str, usize> = HashMap::new();
    for m in &mapping {
        *rows_per_person.entry(m["email"].as_str()).or_default() += 1;
    }
    assert!(rows_per_person.values().any(|n| *n == 2));
    assert!(
        org.people
            .iter()
            .any(|p| p.usage_email.chars().next().unwrap().is_uppercase()),
        "mixed-case emails appear in the usage data"
    );
}

#[test]
fn completions_and_the_man_page_are_printed_for_installers() {
    let dir = tempfile::tempdir().unwrap();
    let run = allot(dir.path(), &["completions", "bash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("_allot()"), "{}", run.stdout);
    // Sourced in bash, it completes a subcommand.
    let script = dir.path().join("allot.bash");
    std::fs::write(&script, &run.stdout).unwrap();
    if let Ok(out) = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(allot char); COMP_CWORD=1; COMP_LINE='allot char'; COMP_POINT=10; _allot allot char allot; echo \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
    {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "chargeback");
    }
    for shell in ["zsh", "fish", "powershell"] {
        let run = allot(dir.path(), &["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("chargeback"), "{shell}");
    }
    let man = allot(dir.path(), &["man"]);
    assert_eq!(man.code, 0, "{}", man.stderr);
    assert!(man.stdout.contains(".TH allot 1"), "{}", man.stdout);
    assert!(man.stdout.contains("chargeback"));
}
