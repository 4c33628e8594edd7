//! The whole Claude bill in one chargeback: seat users, API keys, service accounts, a
//! workspace, Claude bought through Amazon Bedrock (read from the cloud's FOCUS bill), and
//! the cost nobody is behind, each charged where the mapping says on the day, to the cent.

use std::collections::HashMap;
use std::path::Path;

use rust_decimal::Decimal;

use crate::support::{allot, demo, fixture, money, read_csv, Run};

fn by(rows: &[HashMap<String, String>], key: &str) -> HashMap<String, HashMap<String, String>> {
    rows.iter().map(|r| (r[key].clone(), r.clone())).collect()
}

fn whole_bill(dir: &Path, command: &str, extra: &[&str]) -> Run {
    let f = |p: &str| fixture(&format!("whole-bill/{p}")).display().to_string();
    let out = dir.join("out").display().to_string();
    let mut args = vec![
        command.to_string(),
        "--month".into(),
        "2026-09".into(),
        "--mapping".into(),
        f("mapping.csv"),
        "--cost".into(),
        f("anthropic.csv"),
        "--cost".into(),
        f("bedrock-focus.csv"),
        "--focus-tag".into(),
        "team".into(),
        "--covers".into(),
        "2026-09".into(),
        "--as-of".into(),
        "2026-11-30".into(),
        "--out".into(),
        out,
    ];
    args.extend(extra.iter().map(ToString::to_string));
    allot(dir, &args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn a_chargeback_of_seat_users_keys_a_workspace_and_bedrock_ties_out_to_the_cent() {
    let dir = tempfile::tempdir().unwrap();
    let run = whole_bill(dir.path(), "chargeback", &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let lines = by(
        &read_csv(&dir.path().join("out/chargeback.csv")),
        "cost_center",
    );
    // CC-A: Ann $10.000000001; the CI key on 09-14 (mapped to CC-A until 09-15) $3.333333333;
    // the support bot's role on Bedrock: an hour at $0.0000012345678 (kept as 1,235
    // nano-dollars, the file rounded once), a month of $30.00 spread over its 30 days, and 36
    // of the 60 hours of a $6.00 charge that ends in October ($3.60).
    assert_eq!(money(&lines["CC-A"]["exact_usd"]), money("46.933334569"));
    assert_eq!(lines["CC-A"]["amount_usd"], "46.93");
    // CC-B: Bob $20.50 (a person is charged as a person, whatever key he used); the CI key on
    // 09-20 (CC-B from 09-16) $4.00; Dave, whom nobody mapped, through the CI key he used
    // $0.40; the ETL service account, through its workspace $1.25; a Bedrock charge whose
    // `team` tag names CC-B $1.50.
    assert_eq!(money(&lines["CC-B"]["exact_usd"]), money("27.65"));
    assert_eq!(lines["CC-B"]["amount_usd"], "27.65");
    // UNMAPPED: a service account on a key and workspace nobody mapped $0.75, cost no actor is
    // behind $0.10, a Bedrock charge with no principal and no tag in an unmapped account $2.00.
    assert_eq!(lines["UNMAPPED"]["amount_usd"], "2.85");
    let total: Decimal = lines.values().map(|r| money(&r["amount_usd"])).sum();
    assert_eq!(total, money("77.43"));
    assert_eq!(lines.len(), 3, "{lines:?}");
    // The Titan row and the credit are left out, and said so.
    assert!(
        run.stderr.contains("5 of 7 rows are Claude usage")
            && run
                .stderr
                .contains("skipped 1 rows that are not Claude usage ($5.00)")
            && run
                .stderr
                .contains("skipped 1 Claude rows with charge category Credit ($-1.00)"),
        "{}",
        run.stderr
    );

    // Unmapped non-person actors are listed like unmapped people, by a readable name.
    let unmapped = by(&read_csv(&dir.path().join("out/unmapped.csv")), "email");
    assert_eq!(unmapped.len(), 3, "{unmapped:?}");
    let account = &unmapped["account:999988887777"];
    assert_eq!(
        (
            account["amount_usd"].as_str(),
            account["kind"].as_str(),
            account["name"].as_str()
        ),
        (
            "2.00",
            "account",
            "cloud account \"ml-sandbox\" (999988887777)"
        )
    );
    assert_eq!(
        unmapped["service_account:svac_01Other"]["amount_usd"],
        "0.75"
    );
    assert_eq!(unmapped["unattributed:org"]["amount_usd"], "0.10");
    assert!(
        run.stdout
            .contains("3 API keys, service accounts or other actors had $2.85"),
        "{}",
        run.stdout
    );

    // A charge over several days lands on each day in proportion to its hours there.
    let daily = by(&read_csv(&dir.path().join("out/daily.csv")), "date");
    assert_eq!(
        daily["2026-09-29"]["amount_usd"], "2.20",
        "$1.00 of the month + 12 of 60 hours of $6.00"
    );
    assert_eq!(daily["2026-09-30"]["amount_usd"], "3.40");
    assert_eq!(
        daily["2026-09-02"]["amount_usd"], "1.00",
        "a month of $30.00 over 30 days"
    );
    assert!(!daily.contains_key("2026-10-01"));
}

#[test]
fn the_reviews_name_keys_and_principals_and_adoption_counts_people_only() {
    let dir = tempfile::tempdir().unwrap();
    let run = whole_bill(dir.path(), "top", &["--n", "20"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let top = by(&read_csv(&dir.path().join("out/top_spenders.csv")), "email");
    let bot = &top["principal:arn:aws:iam::111122223333:role/support-bot"];
    assert_eq!(
        (bot["kind"].as_str(), bot["cost_center"].as_str()),
        ("principal", "CC-A")
    );
    assert_eq!(bot["amount_usd"], "33.60");
    assert!(
        // Anthropic's name for the model, whoever sold it (the product says bedrock).
        bot["model_mix"].contains("claude-sonnet-4-5 ") && bot["product_mix"].contains("bedrock"),
        "{bot:?}"
    );
    assert_eq!(top["ann@example.com"]["kind"], "person");
    // Through its key: Dave's cost is the key's.
    assert_eq!(top["api_key:apikey_01Ci"]["amount_usd"], "7.73");
    assert!(!top.contains_key("dave@example.com"));

    let run = allot(
        dir.path(),
        &[
            "adoption",
            "--month",
            "2026-09",
            "--mapping",
            fixture("whole-bill/mapping.csv").to_str().unwrap(),
            "--cost",
            fixture("whole-bill/anthropic.csv").to_str().unwrap(),
            "--cost",
            fixture("whole-bill/bedrock-focus.csv").to_str().unwrap(),
            "--covers",
            "2026-09",
            "--as-of",
            "2026-11-30",
            "--out",
            dir.path().join("adoption").to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = by(
        &read_csv(&dir.path().join("adoption/adoption.csv")),
        "cost_center",
    );
    // Seats are people: the keys, the workspace and the role hold none.
    assert_eq!(rows["TOTAL"]["headcount"], "2");
    assert_eq!(rows["CC-A"]["headcount"], "1");
    assert_eq!(rows["CC-A"]["active_users"], "1");
}

#[test]
fn a_cloud_bill_is_never_reconciled_against_anthropics_invoice() {
    let dir = tempfile::tempdir().unwrap();
    let invoice = dir.path().join("invoice.csv");
    std::fs::write(
        &invoice,
        "Billing Month,Description,Amount\n2026-09,Claude usage,$39.38\n",
    )
    .unwrap();
    let run = allot(
        dir.path(),
        &[
            "reconcile",
            "--invoice",
            invoice.to_str().unwrap(),
            "--cost",
            fixture("whole-bill/bedrock-focus.csv").to_str().unwrap(),
            "--as-of",
            "2026-11-30",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is a cloud bill in FOCUS")
            && run
                .stderr
                .contains("never reconciled against Anthropic's invoice"),
        "{}",
        run.stderr
    );
    // Beside a store, --cost takes cloud bills only.
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            fixture("whole-bill/mapping.csv").to_str().unwrap(),
            "--store",
            demo().join("store").to_str().unwrap(),
            "--cost",
            fixture("whole-bill/anthropic.csv").to_str().unwrap(),
            "--as-of",
            "2026-11-30",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("beside a store, --cost takes only cloud bills"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_whole_bill_exports_to_focus_and_ties_out() {
    // From the store (the Usage and Cost Analytics API's days, with their fallbacks) and the
    // Bedrock bill: every dimension FOCUS needs, and each row's cost on its identity.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("focus");
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-09",
            "--store",
            demo().join("store").to_str().unwrap(),
            "--cost",
            demo().join("input/bedrock-focus.csv").to_str().unwrap(),
            "--focus-tag",
            "team",
            "--mapping",
            demo().join("input/org-mapping.csv").to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--format",
            "csv,focus",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&out.join("focus.csv"));
    let billed: Decimal = rows.iter().map(|r| money(&r["BilledCost"])).sum();
    let exact: Decimal = read_csv(&out.join("chargeback.csv"))
        .iter()
        .map(|r| money(&r["exact_usd"]))
        .sum();
    assert_eq!(billed, exact);
    let kinds: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r["ResourceType"].as_str()).collect();
    for k in [
        "User",
        "API Key",
        "Service Account",
        "Cloud Principal",
        "Workspace",
    ] {
        assert!(kinds.contains(k), "{k}: {kinds:?}");
    }
    let bedrock = rows
        .iter()
        .find(|r| r["ResourceType"] == "Cloud Principal")
        .unwrap();
    assert_eq!(
        (
            bedrock["InvoiceIssuerName"].as_str(),
            bedrock["ServiceName"].as_str(),
            bedrock["x_CostCenter"].as_str(),
            bedrock["x_Email"].as_str()
        ),
        ("Amazon Web Services", "Amazon Bedrock", "CC-3030", "")
    );
}

#[test]
fn the_demo_store_reconciles_down_to_every_actor() {
    let dir = tempfile::tempdir().unwrap();
    let invoice = dir.path().join("invoice.csv");
    std::fs::write(
        &invoice,
        "Billing Month,Description,Amount\n2026-09,Claude usage,$1.00\n",
    )
    .unwrap();
    let out = dir.path().join("rec");
    let run = allot(
        dir.path(),
        &[
            "reconcile",
            "--invoice",
            invoice.to_str().unwrap(),
            "--store",
            demo().join("store").to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1, "a variance: {}", run.stderr);
    let rec = &read_csv(&out.join("reconciliation.csv"))[0];
    let actors = read_csv(&out.join("reconciliation_actors.csv"));
    // Seat users, each named actor, and what is left: in cents, the organisation's cost.
    let sum: Decimal = actors.iter().map(|r| money(&r["amount_usd"])).sum();
    assert_eq!(sum, money(&rec["api_usd"]), "{actors:?}");
    let find = |actor: &str, key: &str| {
        actors
            .iter()
            .find(|r| r["actor"] == actor && r["api_key"].contains(key))
            .unwrap_or_else(|| panic!("{actor} through {key}: {actors:?}"))
    };
    // Seat users on their seats, and the engineers who ran Claude Code on the shared key.
    assert_eq!(find("seat users", "").get("kind").unwrap(), "person");
    let shared = find("seat users", "apikey_01DevShared3HnVc");
    assert!(
        shared["workspace"].contains("wrkspc_01Engineering8PwT"),
        "{shared:?}"
    );
    let evals = find("api_key:apikey_01EvalsNightly7Qm2", "");
    assert_eq!(
        evals["name"],
        "API key \"nightly-evals\" (apikey_01EvalsNightly7Qm2)"
    );
    // The ETL service account, through its own key in the Automation workspace.
    let etl = find(
        "service_account:svac_01EtlPipeline9ZtD",
        "apikey_01EtlIngest5Lw8",
    );
    assert!(
        etl["workspace"].contains("wrkspc_01Automation4KxQ"),
        "{etl:?}"
    );
    for id in [
        "api_key:apikey_01Sandbox5RbYe",
        "federated:spiffe://example.com/ns/batch/sa/report-builder",
        "actor:agent_actor/agent_01Triage2MfK",
        "unattributed:org",
    ] {
        assert!(actors.iter().any(|r| r["actor"] == id), "{id}: {actors:?}");
    }
    // The explanation, exactly: the invoice less seat users is the named actors, what is
    // left, rounding and the unexplained rest.
    let m = |c: &str| money(&rec[c]);
    assert!(m("actors_usd") > Decimal::ZERO);
    assert_eq!(
        m("invoice_usd") - m("per_user_usd"),
        m("actors_usd") + m("not_attributable_usd") + m("rounding_usd") + m("unexplained_usd")
    );
    let named: Decimal = actors
        .iter()
        .filter(|r| r["kind"] != "person" && r["kind"] != "unattributed")
        .map(|r| money(&r["exact_usd"]))
        .sum();
    assert_eq!(named, m("actors_usd"));
}

#[test]
fn one_truth_per_day_where_both_apis_were_synced() {
    use crate::sync::{actor_truth, fake, run, sync_cmd, truth};
    let api = fake(&["--rate", "100000"]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    // The older reports for 09-01..09-10, then the Usage and Cost Analytics API for
    // 09-06..09-15: five days are in both.
    for (from, to, api_flag) in [
        ("2026-09-01", "2026-09-10", "legacy"),
        ("2026-09-06", "2026-09-15", "auto"),
    ] {
        let r = run(sync_cmd(
            dir.path(),
            &[
                "--from",
                from,
                "--to",
                to,
                "--store",
                s,
                "--base-url",
                &api.url,
                "--as-of",
                "2026-11-23",
                "--rate",
                "100000",
                "--cost-api",
                api_flag,
            ],
            false,
        ));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let state = allot_sync::store::read_state(&store).unwrap();
    assert_eq!(
        (state.days["cost"].len(), state.days["actor_cost"].len()),
        (10, 10)
    );
    // Each day's cost is one source's: the older per-user report's for 09-01..05, the new
    // API's (every actor) for 09-06..15; the five days both hold are counted once.
    let mapping = crate::support::repo().join("mappings/demo-org.csv");
    let out = dir.path().join("trend");
    let t = allot(
        dir.path(),
        &[
            "trend",
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-15",
            "--per",
            "day",
            "--store",
            s,
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--format",
            "csv,json",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(t.code, 0, "{}", t.stderr);
    let mut per_day: HashMap<String, Decimal> = HashMap::new();
    for r in read_csv(&out.join("trend.csv")) {
        *per_day.entry(r["period_start"].clone()).or_default() += money(&r["amount_usd"]);
    }
    let cents = |nanos: i128| {
        Decimal::from_i128_with_scale(nanos, 9)
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    };
    let day_sums = |m: std::collections::BTreeMap<
        (chrono::NaiveDate, String, String, String, String, String),
        i128,
    >| {
        let mut out: std::collections::BTreeMap<String, i128> = std::collections::BTreeMap::new();
        for (k, v) in m {
            *out.entry(k.0.to_string()).or_default() += v;
        }
        out
    };
    let seats = day_sums(truth("2026-09-01", "2026-09-05"));
    let all = day_sums(actor_truth("2026-09-06", "2026-09-15"));
    assert_eq!(per_day.len(), 15);
    for (day, nanos) in seats.iter().chain(all.iter()) {
        assert_eq!(per_day[day], cents(*nanos), "{day}");
    }
    // The reports say which days charge back seat users only.
    let json = std::fs::read_to_string(out.join("trend.json")).unwrap();
    assert!(
        json.contains("SEAT USERS ONLY: 5 days of 2026-09-01..2026-09-15 (2026-09-01..2026-09-05"),
        "{json}"
    );
}
