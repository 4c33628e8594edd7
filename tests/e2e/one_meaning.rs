//! Every figure a reader sees adds up, compares like with like and means one thing (issue
//! #23), each found by trying allot as a new user would: people count people, a running
//! period is compared with the same days before it, `--as-of` means "as known on" everywhere,
//! a gap in a file is never settled, cloud model ids are Anthropic's names, spreadsheets are
//! read as people keep them, warnings reach a quiet run, every level of the hierarchy is
//! checked, an alert says the forecast's cents, tables fit the terminal and messages point to
//! the cause.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use crate::support::{allot, allot_env, demo, fixture, money, read_csv, Run};

fn args(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

fn run(cwd: &Path, a: &[String]) -> Run {
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    allot(cwd, &refs)
}

fn store() -> String {
    demo().join("store").display().to_string()
}

fn mapping() -> String {
    demo().join("input/org-mapping.csv").display().to_string()
}

fn bedrock() -> Vec<String> {
    args(&[
        "--cost",
        &demo().join("input/bedrock-focus.csv").display().to_string(),
        "--focus-tag",
        "team",
    ])
}

/// `allot CMD --mapping (demo) --store (demo) EXTRA --out OUT`.
fn on_demo(cwd: &Path, cmd: &str, extra: &[&str], out: &Path) -> Run {
    let mut a = args(&[cmd, "--mapping", &mapping(), "--store", &store()]);
    a.extend(args(extra));
    a.extend(args(&["--out", &out.display().to_string()]));
    run(cwd, &a)
}

#[test]
fn people_count_people_and_spenders_count_everyone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut extra = vec!["--month", "2026-09", "--as-of", "2026-11-23"];
    let b = bedrock();
    extra.extend(b.iter().map(String::as_str));
    let r = on_demo(
        dir.path(),
        "top",
        &[&extra[..], &["--n", "100000"]].concat(),
        &out,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let top = read_csv(&out.join("top_spenders.csv"));
    let people = top.iter().filter(|r| r["kind"] == "person").count();
    let others = top.len() - people;
    assert!(others >= 4, "{others} non-person spenders");
    let note = std::fs::read_to_string(out.join("top_spenders.json")).unwrap();
    assert!(
        note.contains(&format!("spenders ({people} people, {others} other")),
        "{note}"
    );
    let r = on_demo(dir.path(), "chargeback", &extra, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("chargeback.json")).unwrap()).unwrap();
    let total = &json["total"];
    assert_eq!(total["users"].as_i64().unwrap() as usize, people, "{total}");
    assert_eq!(
        total["spenders"].as_i64().unwrap() as usize,
        top.len(),
        "{total}"
    );
    // Support's AWS application role is a spender, not a person: cost per active user divides
    // what people spent on a line (the line less its other spenders, who never move) by people.
    let r = on_demo(dir.path(), "adoption", &extra, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cc = read_csv(&out.join("chargeback.csv"));
    let adoption = read_csv(&out.join("adoption.csv"));
    let mut checked = 0;
    for line in &adoption {
        let key = &line["cost_center"];
        let active: i64 = line["active_users"].parse().unwrap();
        if active == 0 || key == "TOTAL" || key == "UNMAPPED" {
            continue;
        }
        let others: Decimal = top
            .iter()
            .filter(|t| t["kind"] != "person" && &t["cost_center"] == key)
            .map(|t| money(&t["amount_usd"]))
            .sum();
        let line_cost = cc
            .iter()
            .find(|c| &c["cost_center"] == key)
            .map(|c| money(&c["amount_usd"]))
            .unwrap();
        let per = money(&line["cost_per_active_user_usd"]);
        let expect = ((line_cost - others) / Decimal::from(active))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
        assert_eq!(per, expect, "{key}: ({line_cost} - {others}) / {active}");
        if others > Decimal::ZERO {
            checked += 1;
        }
    }
    assert!(checked >= 1, "no line with non-person cost was checked");
}

#[test]
fn a_running_month_is_compared_with_the_same_days_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("trend");
    let r = on_demo(
        dir.path(),
        "trend",
        &[
            "--from",
            "2026-10-01",
            "--to",
            "2026-11-30",
            "--per",
            "month",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
        ],
        &out,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = read_csv(&out.join("trend.csv"));
    let nov: Vec<&HashMap<String, String>> = rows
        .iter()
        .filter(|r| r["period_start"] == "2026-11-01")
        .collect();
    assert!(!nov.is_empty());
    for r in &nov {
        assert_eq!(r["partial"], "22 of 30 days, to date", "{r:?}");
        assert_eq!(r["compared_with"], "2026-10-01..2026-10-22", "{r:?}");
    }
    // The same days of October, rounded like their own chargeback.
    let base = dir.path().join("base");
    let r = on_demo(
        dir.path(),
        "trend",
        &[
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-22",
            "--per",
            "month",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
        ],
        &base,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let before: BTreeMap<String, Decimal> = read_csv(&base.join("trend.csv"))
        .iter()
        .map(|r| (r["cost_center"].clone(), money(&r["amount_usd"])))
        .collect();
    for r in &nov {
        let was = before.get(&r["cost_center"]).copied();
        match was {
            Some(was) => assert_eq!(
                money(&r["change_usd"]),
                money(&r["amount_usd"]) - was,
                "{r:?}"
            ),
            None => assert_eq!(r["change_usd"], "", "{r:?}"),
        }
    }
    // A first ISO week cut by the range shows no change, and neither does the week after it.
    let weeks = dir.path().join("weeks");
    let r = on_demo(
        dir.path(),
        "trend",
        &[
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--per",
            "week",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
        ],
        &weeks,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = read_csv(&weeks.join("trend.csv"));
    for r in rows
        .iter()
        .filter(|r| r["period_start"] == "2026-10-01" || r["period_start"] == "2026-10-05")
    {
        assert_eq!(r["change_usd"], "", "{r:?}");
    }
    assert!(rows
        .iter()
        .any(|r| r["period_start"] == "2026-10-01"
            && r["partial"] == "4 of 7 days, cut by the range"));
    assert!(rows
        .iter()
        .any(|r| r["period_start"] == "2026-10-12" && !r["change_usd"].is_empty()));
}

#[test]
fn as_of_means_as_known_on_that_day_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = on_demo(
        dir.path(),
        "chargeback",
        &["--month", "2026-10", "--as-of", "2026-10-20"],
        &out,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("[PROVISIONAL]"), "{}", r.stdout);
    let daily = read_csv(&out.join("daily.csv"));
    assert!(
        daily.iter().all(|d| d["date"].as_str() < "2026-10-20"),
        "a day after the as-of date was read: {daily:?}"
    );
    let days: Decimal = daily.iter().map(|d| money(&d["amount_usd"])).sum();
    let total: Decimal = read_csv(&out.join("chargeback.csv"))
        .iter()
        .map(|r| money(&r["amount_usd"]))
        .sum();
    assert_eq!(days, total);
    // The same month as known later is more.
    let later = dir.path().join("later");
    let r = on_demo(
        dir.path(),
        "chargeback",
        &["--month", "2026-10", "--as-of", "2026-11-23"],
        &later,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let whole: Decimal = read_csv(&later.join("chargeback.csv"))
        .iter()
        .map(|r| money(&r["amount_usd"]))
        .sum();
    assert!(whole > total, "{whole} <= {total}");
    // A quiet alert run over days younger than 30 days is not settled.
    let r = on_demo(dir.path(), "alerts", &["--as-of", "2026-10-20"], &out);
    assert!(r.code == 0 || r.code == 3, "{}", r.stderr);
    assert!(!r.stdout.contains("[SETTLED]"), "{}", r.stdout);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("alerts.json")).unwrap()).unwrap();
    assert_eq!(json["status"], "provisional", "{json}");
}

/// A month of facts for one person, a dollar a day, without the days in `skip`.
fn dense_month(dir: &Path, skip: &[u32]) -> PathBuf {
    let mut text = String::from(
        "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd\n",
    );
    for day in 1..=30 {
        if skip.contains(&day) {
            continue;
        }
        text.push_str(&format!(
            "2026-09-{day:02},ann@acme.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,1000,1.00\n"
        ));
    }
    let path = dir.join("cost.csv");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_gap_inside_a_file_is_incomplete_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let cost = dense_month(dir.path(), &[10, 11, 12, 13, 14, 15]);
    let base = args(&[
        "chargeback",
        "--month",
        "2026-09",
        "--mapping",
        &fixture("handmade/mapping.csv").display().to_string(),
        "--cost",
        &cost.display().to_string(),
        "--as-of",
        "2026-11-23",
        "--out",
        &dir.path().join("out").display().to_string(),
    ]);
    let r = run(dir.path(), &base);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("[INCOMPLETE]"), "{}", r.stdout);
    assert!(
        r.stdout.contains("2026-09-10..2026-09-15 (6 days)"),
        "{}",
        r.stdout
    );
    // Days with no cost are zero days, so a chart spaces days truly.
    let daily = read_csv(&dir.path().join("out/daily.csv"));
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[9]["date"], "2026-09-10");
    assert_eq!(money(&daily[9]["amount_usd"]), Decimal::ZERO);
    // Stated as covered (no cost on those days on purpose): settled.
    let mut covered = base.clone();
    covered.extend(args(&["--covers", "2026-09"]));
    let r = run(dir.path(), &covered);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("[SETTLED]"), "{}", r.stdout);
}

#[test]
fn cloud_model_ids_are_anthropics_names_with_the_seller_beside() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut extra = vec!["--month", "2026-10", "--as-of", "2026-11-23"];
    let b = bedrock();
    extra.extend(b.iter().map(String::as_str));
    let r = on_demo(dir.path(), "models", &extra, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for file in [
        "model_mix.csv",
        "model_mix_people.csv",
        "model_downgrade.csv",
    ] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(!text.contains("anthropic.claude"), "{file}: {text}");
        assert!(!text.contains("-v1:0"), "{file}");
    }
    // The advice is the next family's latest version, not a seller's older one.
    let down = read_csv(&out.join("model_downgrade.csv"));
    assert!(!down.is_empty());
    assert!(
        down.iter().all(|r| r["next_model"] == "claude-sonnet-4-6"),
        "{down:?}"
    );
    let r = on_demo(dir.path(), "top", &extra, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let top = std::fs::read_to_string(out.join("top_spenders.csv")).unwrap();
    assert!(top.contains("bedrock"), "the seller is kept as the product");
}

#[test]
fn a_quiet_scheduled_run_still_warns_of_a_budget_naming_no_cost_center() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = dir.path().join("budgets.csv");
    std::fs::write(
        &budgets,
        "cost_center,month,budget_usd\nCC-1O30,,100.00\nCC-1010,,5000.00\n",
    )
    .unwrap();
    let r = run(
        dir.path(),
        &args(&[
            "-q",
            "alerts",
            "--mapping",
            &mapping(),
            "--store",
            &store(),
            "--as-of",
            "2026-11-23",
            "--budgets",
            &budgets.display().to_string(),
            "--out",
            &dir.path().join("out").display().to_string(),
        ]),
    );
    assert!(r.code == 0 || r.code == 3, "{}", r.stderr);
    assert!(r.stderr.contains("`CC-1O30`"), "{}", r.stderr);
    assert!(r.stderr.contains("line 2"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `CC-1030`?"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("CC-1O30").count(), 1, "{}", r.stderr);
    // The forecast says it once too.
    let r = run(
        dir.path(),
        &args(&[
            "forecast",
            "--month",
            "2026-11",
            "--mapping",
            &mapping(),
            "--store",
            &store(),
            "--as-of",
            "2026-11-23",
            "--budgets",
            &budgets.display().to_string(),
            "--out",
            &dir.path().join("out").display().to_string(),
        ]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stderr.matches("CC-1O30").count(), 1, "{}", r.stderr);
}

#[test]
fn a_department_under_two_divisions_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let m = dir.path().join("org.csv");
    std::fs::write(
        &m,
        "email,cost_center,department,division\n\
         a@x.test,CC-1,Mobile,Engineering\n\
         b@x.test,CC-2,Mobile,Product\n\
         c@x.test,CC-3,Web,Engineering\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("org.toml"),
        "hierarchy = [\"department\", \"division\"]\n",
    )
    .unwrap();
    let r = run(
        dir.path(),
        &args(&["mapping", "check", &m.display().to_string()]),
    );
    assert_eq!(r.code, 2, "{}\n{}", r.stdout, r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(
        all.contains("department \"Mobile\" is under division \"Engineering\" on line 2 but \"Product\" on line 3"),
        "{all}"
    );
}

#[test]
fn an_alert_says_the_cents_the_forecast_shows() {
    // As of 2026-12-07 the demo's Mobile budget alert said "between $4,361.71" where the
    // forecast's low was 4,361.70: the run behind that finding.
    let dir = tempfile::tempdir().unwrap();
    let demo7 = dir.path().join("demo");
    let r = run(
        dir.path(),
        &args(&[
            "-q",
            "demo",
            "--as-of",
            "2026-12-07",
            "--out",
            &demo7.display().to_string(),
        ]),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = dir.path().join("out");
    let with = |cmd: &str, extra: &[&str]| {
        let mut a = args(&[
            cmd,
            "--mapping",
            &demo7.join("input/org-mapping.csv").display().to_string(),
            "--store",
            &demo7.join("store").display().to_string(),
            "--as-of",
            "2026-12-07",
            "--budgets",
            &demo7.join("input/budgets.csv").display().to_string(),
            "--out",
            &out.display().to_string(),
        ]);
        a.extend(args(extra));
        run(dir.path(), &a)
    };
    let r = with("alerts", &[]);
    assert!(r.code == 0 || r.code == 3, "{}", r.stderr);
    let r = with("forecast", &["--month", "2026-12"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let forecast: HashMap<String, HashMap<String, String>> = read_csv(&out.join("forecast.csv"))
        .into_iter()
        .map(|r| (r["cost_center"].clone(), r))
        .collect();
    let with_commas = |s: &str| {
        let d = money(s);
        let (whole, frac) = s.split_once('.').unwrap_or((s, "00"));
        let digits: Vec<char> = whole.trim_start_matches('-').chars().collect();
        let mut g = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                g.push(',');
            }
            g.push(*c);
        }
        format!("{}${g}.{frac}", if d.is_sign_negative() { "-" } else { "" })
    };
    let mut checked = 0;
    for a in read_csv(&out.join("alerts.csv")) {
        if a["rule"] != "budget" {
            continue;
        }
        let f = &forecast[&a["key"]];
        assert!(
            a["message"].contains(&with_commas(&f["forecast_usd"])),
            "{} vs forecast {}",
            a["message"],
            f["forecast_usd"]
        );
        if a["message"].contains("between") {
            assert!(
                a["message"].contains(&with_commas(&f["forecast_low_usd"])),
                "{}",
                a["message"]
            );
            assert!(
                a["message"].contains(&with_commas(&f["forecast_high_usd"])),
                "{}",
                a["message"]
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no budget alert fired");
}

#[test]
fn a_narrow_terminal_keeps_codes_whole_and_says_what_it_left_out() {
    let dir = tempfile::tempdir().unwrap();
    for width in ["80", "120", "250"] {
        let a = args(&[
            "efficiency",
            "--month",
            "2026-10",
            "--mapping",
            &mapping(),
            "--store",
            &store(),
            "--as-of",
            "2026-11-23",
            "--out",
            &dir.path().join("out").display().to_string(),
        ]);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        let r = allot_env(dir.path(), &refs, &[("COLUMNS", width)]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let w: usize = width.parse().unwrap();
        let table: Vec<&str> = r
            .stdout
            .lines()
            .filter(|l| l.starts_with('│') || l.starts_with('├') || l.starts_with('┌'))
            .collect();
        assert!(!table.is_empty(), "{}", r.stdout);
        for l in &table {
            assert!(
                l.chars().count() <= w,
                "{width}: a line of {}: {l}",
                l.chars().count()
            );
        }
        for cc in ["CC-1010", "CC-1040"] {
            assert!(
                r.stdout.contains(cc),
                "{width}: {cc} is broken:\n{}",
                r.stdout
            );
        }
        if w < 200 {
            assert!(r.stdout.contains("left out at this width"), "{}", r.stdout);
        }
    }
}

#[test]
fn messages_point_to_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // A month the API cannot serve: no advice to sync it.
    let r = on_demo(dir.path(), "chargeback", &["--month", "1999-01"], &out);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!r.stderr.contains("allot sync --store"), "{}", r.stderr);
    assert!(r.stderr.contains("2026-01-01"), "{}", r.stderr);
    // Neither source: say both.
    let r = run(
        dir.path(),
        &args(&["chargeback", "--month", "2026-09", "--mapping", &mapping()]),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("--store") && r.stderr.contains("--cost"),
        "{}",
        r.stderr
    );
    // A damaged Parquet file: allot's error, never Rust's panic text first.
    let bad = fixture("damaged-footer.parquet");
    let r = run(
        dir.path(),
        &args(&[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            &fixture("handmade/mapping.csv").display().to_string(),
            "--cost",
            &bad.display().to_string(),
            "--covers",
            "2026-09",
            "--as-of",
            "2026-11-23",
            "--out",
            &out.display().to_string(),
        ]),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.starts_with("error:"), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked at"), "{}", r.stderr);
    // A semicolon export of cost facts says so.
    let semi = dir.path().join("semi.csv");
    std::fs::write(
        &semi,
        "date;email;product;model;context_window;cost_type;token_type;tokens;cost_usd\n2026-09-01;a@x.test;chat;m;0-200k;tokens;output_tokens;1;1,50\n",
    )
    .unwrap();
    let r = run(
        dir.path(),
        &args(&[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            &fixture("handmade/mapping.csv").display().to_string(),
            "--cost",
            &semi.display().to_string(),
            "--as-of",
            "2026-11-23",
            "--out",
            &out.display().to_string(),
        ]),
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("separated by semicolons"), "{}", r.stderr);
    // The API check has no money: no settled badge.
    let api = crate::sync::fake(&["--rate", "100000"]);
    let r = crate::sync::run(crate::sync::sync_cmd(
        dir.path(),
        &["--check", "--base-url", &api.url, "--as-of", "2026-11-23"],
        true,
    ));
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains("SETTLED"), "{}", r.stdout);
    // A dashboard bound to every address prints a link a colleague can open.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_allot"))
        .args([
            "serve",
            "--store",
            &store(),
            "--mapping",
            &mapping(),
            "--as-of",
            "2026-11-23",
            "--bind",
            "0.0.0.0",
            "--port",
            "0",
            "--token",
            "a-long-enough-test-token-0123",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.starts_with("http://") && !line.contains("0.0.0.0"),
        "{line}"
    );
}

#[test]
fn the_demo_bill_has_plausible_tax_and_says_where_it_goes() {
    let bill = std::fs::read_to_string(demo().join("input/bedrock-focus.csv")).unwrap();
    let mut reader = csv::Reader::from_reader(bill.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (cat, cost) = (col("ChargeCategory"), col("BilledCost"));
    let (mut tax, mut usage) = (Decimal::ZERO, Decimal::ZERO);
    for rec in reader.records() {
        let rec = rec.unwrap();
        let amount: Decimal = rec[cost].parse().unwrap();
        match &rec[cat] {
            "Tax" => tax += amount,
            "Usage" => usage += amount,
            _ => {}
        }
    }
    assert!(
        tax > Decimal::ZERO && tax * Decimal::from(10) < usage,
        "tax {tax} vs usage {usage}"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut extra = vec!["--month", "2026-10", "--as-of", "2026-11-23"];
    let b = bedrock();
    extra.extend(b.iter().map(String::as_str));
    let r = on_demo(dir.path(), "chargeback", &extra, &dir.path().join("out"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("not charged back"), "{}", r.stderr);
}

#[test]
fn spreadsheets_are_read_as_people_keep_them() {
    use rust_xlsxwriter::{Format, Workbook};
    let dir = tempfile::tempdir().unwrap();
    // A number shown as 00123 is the cost center 00123.
    let path = dir.path().join("org.xlsx");
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let padded = Format::new().set_num_format("00000");
    ws.write_string(0, 0, "Email").unwrap();
    ws.write_string(0, 1, "Cost Center").unwrap();
    ws.write_string(1, 0, "ann@acme.test").unwrap();
    ws.write_number_with_format(1, 1, 123.0, &padded).unwrap();
    ws.write_string(2, 0, "bob@acme.test").unwrap();
    ws.write_string(2, 1, "00456").unwrap();
    ws.write_string(3, 0, "cy@acme.test").unwrap();
    ws.write_number(3, 1, 456.0).unwrap();
    wb.save(&path).unwrap();
    let r = run(
        dir.path(),
        &args(&["mapping", "check", &path.display().to_string()]),
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 2, "{all}");
    assert!(
        all.contains("cost centers \"00456\" (sheet \"Sheet1\", row 3) and \"456\" (sheet \"Sheet1\", row 4) differ only by leading zeros"),
        "{all}"
    );
    assert!(!all.contains("\"123\""), "{all}");
    // A semicolon export with a title row above its header and day-first dates.
    let csv = dir.path().join("hr.csv");
    std::fs::write(
        &csv,
        "HR export;;;\nEmail;Cost Center;Start Date;End Date\nann@acme.test;CC-1;01/09/2026;\n",
    )
    .unwrap();
    let r = run(
        dir.path(),
        &args(&["mapping", "check", &csv.display().to_string()]),
    );
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_eq!(r.code, 2, "{all}");
    assert!(all.contains("date_format"), "{all}");
    std::fs::write(dir.path().join("hr.toml"), "date_format = \"%d/%m/%Y\"\n").unwrap();
    let r = run(
        dir.path(),
        &args(&["mapping", "check", &csv.display().to_string()]),
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}

#[test]
fn a_manager_of_one_cost_center_shows_its_cents_and_moved_cents_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let common = [
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-23",
        "--format",
        "csv,json",
    ];
    let r = on_demo(dir.path(), "chargeback", &common, &out);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = on_demo(
        dir.path(),
        "chargeback",
        &[&common[..], &["--by", "manager"]].concat(),
        &out,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let cc = read_csv(&out.join("chargeback.csv"));
    let by_manager: HashMap<String, String> = read_csv(&out.join("chargeback-manager.csv"))
        .into_iter()
        .map(|r| (r["manager"].clone(), r["amount_usd"].clone()))
        .collect();
    let mut per_manager: BTreeMap<String, Decimal> = BTreeMap::new();
    for line in &cc {
        let m = if line["cost_center"] == "UNMAPPED" {
            "UNMAPPED".to_string()
        } else {
            line["manager"].clone()
        };
        *per_manager.entry(m).or_default() += money(&line["amount_usd"]);
    }
    for (m, amount) in &per_manager {
        assert_eq!(money(&by_manager[m]), *amount, "{m}");
    }
    // Where rounding every level to add up moved a cent, the report says which line took it.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("chargeback.json")).unwrap()).unwrap();
    let notes = json["notes"].to_string();
    let moved = cc
        .iter()
        .filter(|l| {
            let exact = money(&l["exact_usd"])
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
            exact != money(&l["amount_usd"])
        })
        .count();
    if moved > 0 {
        assert!(notes.contains("a cent off its own rounding"), "{notes}");
    }
}
