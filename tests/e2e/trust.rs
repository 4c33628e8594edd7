//! What finance must be able to trust, each found by trying allot as a new user would (issue
//! #11): a month is settled only when complete, close refuses what it cannot stand behind,
//! reconcile counts all API cost, no amount is misread, every report agrees to the cent,
//! files never overwrite each other, credits, every command shows its result, flags are
//! checked, messages say what to do.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rust_decimal::Decimal;

use crate::support::{allot, demo, fixture, money, read_csv, Run};

/// A copy of the demo store holding only the days in `keep` of every source (the others
/// taken out by a version of each table, as a store that never had them would read).
fn partial_store(dir: &Path, keep: impl Fn(&str) -> bool) -> PathBuf {
    let store = dir.join("store");
    let src = demo().join("store");
    for entry in walk(&src) {
        let to = store.join(entry.strip_prefix(&src).unwrap());
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, &to).unwrap();
    }
    let mut s = allot_sync::Store::open(&store, false).unwrap();
    for source in allot_sync::Source::ALL {
        let gone: std::collections::BTreeSet<chrono::NaiveDate> = s
            .snapshot()
            .entries(source)
            .into_keys()
            .filter(|d| !keep(&d.to_string()))
            .collect();
        let as_of = "2026-11-23".parse().unwrap();
        s.drop_days(source, &gone, as_of).unwrap();
    }
    store
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn mapping() -> PathBuf {
    demo().join("input/org-mapping.csv")
}

/// Runs `allot` with owned arguments.
fn allot_with(cwd: &Path, args: &[String]) -> Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    allot(cwd, &args)
}

/// `[cmd, --month M, --mapping (the demo's), --store S, --as-of 2026-11-23, --out cwd/OUT, extra...]`
fn report_args(cmd: &str, month: &str, store: &Path, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        cmd,
        "--month",
        month,
        "--mapping",
        &mapping().display().to_string(),
        "--store",
        &store.display().to_string(),
        "--as-of",
        "2026-11-23",
        "--out",
        &out.display().to_string(),
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    a.extend(extra.iter().map(ToString::to_string));
    a
}

fn chargeback(cwd: &Path, store: &Path, month: &str, extra: &[&str]) -> Run {
    allot_with(
        cwd,
        &report_args("chargeback", month, store, &cwd.join("out"), extra),
    )
}

#[test]
fn a_month_with_missing_days_is_incomplete_and_names_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = partial_store(dir.path(), |d| ("2026-09-01"..="2026-09-10").contains(&d));
    let run = chargeback(dir.path(), &store, "2026-09", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("[INCOMPLETE]"), "{}", run.stdout);
    assert!(!run.stdout.contains("[SETTLED]"), "{}", run.stdout);
    assert!(
        run.stdout.contains("2026-09-11..2026-09-30 (20 days)") && run.stdout.contains("cost"),
        "the missing days and the source are named: {}",
        run.stdout
    );
    let rows = read_csv(&dir.path().join("out/chargeback.csv"));
    assert!(rows.iter().all(|r| r["status"] == "incomplete"));
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/chargeback.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["status"], "incomplete");
}

#[test]
fn a_month_never_synced_or_not_started_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo().join("store");
    let run = chargeback(dir.path(), &store, "2026-05", &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("no cost data for 2026-05") && run.stderr.contains("allot sync"),
        "{}",
        run.stderr
    );
    let run = chargeback(dir.path(), &store, "2027-01", &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("has not started"), "{}", run.stderr);
    assert!(!dir.path().join("out").exists(), "nothing written");
}

#[test]
fn files_are_judged_by_the_days_they_cover_or_say_they_cover() {
    let dir = tempfile::tempdir().unwrap();
    // The hand-made facts without their rows after 09-10.
    let text: String = std::fs::read_to_string(fixture("handmade/cost.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("date") || &l[..10] <= "2026-09-10")
        .fold(String::new(), |mut t, l| {
            t.push_str(l);
            t.push('\n');
            t
        });
    let cost = dir.path().join("cost.csv");
    std::fs::write(&cost, text).unwrap();
    let args = |extra: &[&str]| -> Run {
        let mut a: Vec<String> = vec![
            "chargeback".into(),
            "--month".into(),
            "2026-09".into(),
            "--mapping".into(),
            fixture("handmade/mapping.csv").display().to_string(),
            "--cost".into(),
            cost.display().to_string(),
            "--as-of".into(),
            "2026-11-23".into(),
            "--out".into(),
            dir.path().join("out").display().to_string(),
        ];
        a.extend(extra.iter().map(ToString::to_string));
        allot_with(dir.path(), &a)
    };
    let run = args(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("[INCOMPLETE]"), "{}", run.stdout);
    assert!(
        run.stdout.contains("2026-09-11..2026-09-30"),
        "{}",
        run.stdout
    );
    // Stating the period the file covers makes it whole (no cost after 09-10 is then a fact).
    let run = args(&["--covers", "2026-09"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("[SETTLED]"), "{}", run.stdout);
}

/// An invoice for `lines` (Billing Month,Description,Line Type,Amount).
fn invoice(dir: &Path, lines: &str) -> PathBuf {
    let p = dir.join("invoice.csv");
    std::fs::write(
        &p,
        format!("Billing Month,Description,Line Type,Amount\n{lines}"),
    )
    .unwrap();
    p
}

fn reconcile(dir: &Path, store: &Path, invoice: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec![
        "reconcile".into(),
        "--invoice".into(),
        invoice.display().to_string(),
        "--store".into(),
        store.display().to_string(),
        "--as-of".into(),
        "2026-11-23".into(),
        "--out".into(),
        dir.join("rec").display().to_string(),
    ];
    args.extend(extra.iter().map(ToString::to_string));
    allot_with(dir, &args)
}

fn rec_rows(dir: &Path) -> Vec<HashMap<String, String>> {
    read_csv(&dir.join("rec/reconciliation.csv"))
}

/// The demo's September API cost per product, from a reconciliation that bills nothing.
fn september_by_product(dir: &Path) -> HashMap<String, Decimal> {
    let inv = invoice(dir, "2026-09,Enterprise seats,Seats,100.00\n");
    let run = reconcile(dir, &demo().join("store"), &inv, &[]);
    assert_eq!(
        run.code, 1,
        "API cost no line bills is a variance: {}",
        run.stderr
    );
    rec_rows(dir)
        .iter()
        .map(|r| (r["product"].clone(), money(&r["api_usd"])))
        .collect()
}

#[test]
fn reconcile_counts_every_dollar_of_api_cost() {
    let dir = tempfile::tempdir().unwrap();
    let api = september_by_product(dir.path());
    assert!(api.len() >= 2, "{api:?}");
    // An invoice with only the Claude Code line: everything else is NOT_INVOICED, exit 1.
    let inv = invoice(
        dir.path(),
        &format!(
            "2026-09,Claude Code usage,Usage,{}\n2026-09,Enterprise seats,Seats,500.00\n2026-09,Sales tax,Tax,40.00\n",
            api["claude_code"]
        ),
    );
    let run = reconcile(dir.path(), &demo().join("store"), &inv, &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let rows = rec_rows(dir.path());
    let cc = rows.iter().find(|r| r["product"] == "claude_code").unwrap();
    assert_eq!(cc["status"], "MATCH");
    let others: Vec<_> = rows
        .iter()
        .filter(|r| r["product"] != "claude_code")
        .collect();
    assert!(!others.is_empty());
    assert!(
        others.iter().all(|r| r["status"] == "NOT_INVOICED"),
        "{others:?}"
    );
    // Every dollar the API shows is on a row.
    let api_total: Decimal = rows.iter().map(|r| money(&r["api_usd"])).sum();
    let expected: Decimal = api.values().sum();
    assert_eq!(api_total, expected);
    // The identity holds exactly on every row: invoice - per_user = actors (API keys,
    // service accounts...) + not_attributable + rounding + unexplained.
    for r in &rows {
        let m = |c: &str| {
            if r[c].is_empty() {
                Decimal::ZERO
            } else {
                money(&r[c])
            }
        };
        assert_eq!(
            m("invoice_usd") - m("per_user_usd"),
            m("actors_usd") + m("not_attributable_usd") + m("rounding_usd") + m("unexplained_usd"),
            "{r:?}"
        );
    }
    // Non-usage lines appear once for the month.
    let non_usage: Vec<_> = rows
        .iter()
        .filter(|r| !r["non_usage_lines_usd"].is_empty())
        .collect();
    assert_eq!(non_usage.len(), 1);
    assert_eq!(money(&non_usage[0]["non_usage_lines_usd"]), money("540.00"));
}

#[test]
fn reconcile_of_an_unsynced_month_is_incomplete_and_of_a_young_one_provisional() {
    let dir = tempfile::tempdir().unwrap();
    let inv = invoice(
        dir.path(),
        "2026-05,Claude usage,Usage,1000.00\n2026-11,Claude usage,Usage,10.00\n",
    );
    let run = reconcile(dir.path(), &demo().join("store"), &inv, &[]);
    assert_eq!(run.code, 1, "an unconfirmable month: {}", run.stderr);
    let rows = rec_rows(dir.path());
    let may = rows.iter().find(|r| r["month"] == "2026-05").unwrap();
    assert_eq!(may["status"], "INCOMPLETE");
    assert_eq!(may["variance_usd"], "", "never judged");
    let nov = rows.iter().find(|r| r["month"] == "2026-11").unwrap();
    assert_eq!(nov["status"], "UNSETTLED");
    assert!(run.stdout.contains("[INCOMPLETE]"), "{}", run.stdout);
    let lines: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("rec/invoice_lines.json")).unwrap(),
    )
    .unwrap();
    assert_ne!(
        lines["status"], "settled",
        "a run that is not settled never says so"
    );
}

#[test]
fn an_amount_whose_separators_read_two_ways_is_refused_unless_stated() {
    let dir = tempfile::tempdir().unwrap();
    let inv = invoice(
        dir.path(),
        "2026-09,Claude usage,Usage,\"1.234,567\"\n2026-09,Seats,Seats,\"1,234\"\n",
    );
    let run = reconcile(dir.path(), &demo().join("store"), &inv, &[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("invoice.csv")
            && run.stderr.contains("line 3")
            && run.stderr.contains("Amount")
            && run.stderr.contains("--decimal-comma"),
        "{}",
        run.stderr
    );
    assert!(!dir.path().join("rec").exists(), "nothing half-written");
    let inv = invoice(dir.path(), "2026-09,Claude usage,Usage,\"1.234,56\"\n");
    let run = reconcile(
        dir.path(),
        &demo().join("store"),
        &inv,
        &["--decimal-comma"],
    );
    assert!(run.code <= 1, "{}", run.stderr);
    let rows = rec_rows(dir.path());
    assert_eq!(money(&rows[0]["invoice_usd"]), money("1234.56"));
}

#[test]
fn every_report_agrees_with_the_chargeback_to_the_cent() {
    let d = demo();
    let amounts = |file: &str, key: &str, col: &str| -> HashMap<String, Decimal> {
        let mut m: HashMap<String, Decimal> = HashMap::new();
        for r in read_csv(&d.join(file)) {
            *m.entry(r[key].clone()).or_default() += money(&r[col]);
        }
        m
    };
    let cb = amounts("chargeback.csv", "cost_center", "amount_usd");
    for (file, col) in [
        ("efficiency.csv", "total_cost_usd"),
        ("context_window_teams.csv", "amount_usd"),
        ("model_mix.csv", "amount_usd"),
    ] {
        let other = amounts(file, "cost_center", col);
        for (cc, amount) in &other {
            assert_eq!(cb.get(cc), Some(amount), "{cc} in {file}");
        }
    }
    // People: the same cents in every per-person report, and they add up to the total.
    let people = amounts("context_window.csv", "email", "amount_usd");
    let by_model = amounts("model_mix_people.csv", "email", "amount_usd");
    assert_eq!(people, by_model);
    for r in read_csv(&d.join("top_spenders.csv")) {
        assert_eq!(
            people[&r["email"]],
            money(&r["amount_usd"]),
            "{}",
            r["email"]
        );
    }
    let total: Decimal = cb.values().sum();
    assert_eq!(people.values().sum::<Decimal>(), total);
    // A team's window split adds up to its amount.
    for r in read_csv(&d.join("context_window_teams.csv")) {
        assert_eq!(
            money(&r["cost_0_200k_usd"]) + money(&r["cost_200k_1m_usd"]),
            money(&r["amount_usd"])
        );
    }
}

#[test]
fn runs_never_overwrite_each_others_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo().join("store");
    let run = chargeback(dir.path(), &store, "2026-09", &["--format", "csv,html"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_chargeback = read_csv(&dir.path().join("out/top_spenders.csv"));
    let out2 = dir.path().join("top");
    let run = allot(
        dir.path(),
        &[
            "top",
            "--month",
            "2026-09",
            "--mapping",
            mapping().to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            out2.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let from_top = read_csv(&out2.join("top_spenders.csv"));
    assert_eq!(from_chargeback, from_top, "one computation per report");
    assert!(
        from_top
            .iter()
            .any(|r| !r["cost_per_commit_usd"].is_empty()),
        "the page's top spenders carry the store's activity too"
    );
    let run = chargeback(dir.path(), &store, "2026-09", &["--by", "division"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("out/chargeback-division.csv").exists());
    let cc = read_csv(&dir.path().join("out/chargeback.csv"));
    assert!(
        cc[0].contains_key("cost_center"),
        "the cost-center report is untouched"
    );
}

#[test]
fn a_month_that_nets_to_a_credit_is_all_mapped() {
    let dir = tempfile::tempdir().unwrap();
    let cost = dir.path().join("cost.csv");
    std::fs::write(
        &cost,
        "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd\n2026-09-10,ann@acme.test,chat,m,0-200k,tokens,output_tokens,0,-3.00\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            fixture("handmade/mapping.csv").to_str().unwrap(),
            "--cost",
            cost.to_str().unwrap(),
            "--covers",
            "2026-09",
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&out.join("chargeback.csv"));
    assert_eq!(rows.len(), 1);
    assert_eq!(money(&rows[0]["amount_usd"]), money("-3.00"));
    assert_eq!(money(&rows[0]["share_pct"]), money("100.00"));
    assert!(
        run.stdout.contains("Allocation coverage: 100.00%"),
        "{}",
        run.stdout
    );
}

#[test]
fn every_command_shows_its_result_teams_first_totals_always_numbers_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo().join("store");
    let review = |cmd: &str, extra: &[&str]| -> Run {
        let args = report_args(cmd, "2026-09", &store, &dir.path().join(cmd), extra);
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_allot"))
            .args(&args)
            .current_dir(dir.path())
            .env("COLUMNS", "80")
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    };
    let top = review("top", &[]);
    assert_eq!(top.code, 0, "{}", top.stderr);
    assert!(
        top.stdout.contains("Top spenders 2026-09 [SETTLED]"),
        "{}",
        top.stdout
    );
    assert!(top.stdout.contains("TOTAL"), "{}", top.stdout);
    let context = review("context", &[]);
    assert!(
        context.stdout.contains("Context window by team"),
        "{}",
        context.stdout
    );
    assert!(
        !context.stdout.contains("Context window 2026-09"),
        "people only on request"
    );
    let context = review("context", &["--people"]);
    assert!(
        context.stdout.contains("Context window 2026-09"),
        "{}",
        context.stdout
    );
    let models = review("models", &[]);
    assert!(
        models.stdout.contains("Model mix 2026-09"),
        "{}",
        models.stdout
    );
    assert!(
        !models.stdout.contains("Model mix by person"),
        "{}",
        models.stdout
    );
    // At 80 columns the chargeback's total is never cut in two.
    let cb = {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_allot"))
            .args([
                "chargeback",
                "--month",
                "2026-09",
                "--mapping",
                mapping().to_str().unwrap(),
                "--store",
                store.to_str().unwrap(),
                "--as-of",
                "2026-11-23",
                "--out",
                dir.path().join("cb").to_str().unwrap(),
            ])
            .env("COLUMNS", "80")
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let total = read_csv(&dir.path().join("cb/chargeback.csv"))
        .iter()
        .map(|r| money(&r["amount_usd"]))
        .sum::<Decimal>()
        .to_string();
    assert!(cb.contains(&total), "{total} whole in:\n{cb}");
}

#[test]
fn flags_and_inputs_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo().join("store");
    let run_with = |cmd: &str, extra: &[&str]| -> Run {
        allot_with(
            dir.path(),
            &report_args(cmd, "2026-09", &store, &dir.path().join("o"), extra),
        )
    };
    for (cmd, extra) in [
        ("top", vec!["--n", "0"]),
        ("context", vec!["--threshold", "150"]),
        ("context", vec!["--threshold=-5"]),
    ] {
        let r = run_with(cmd, &extra);
        assert_eq!(r.code, 2, "{cmd} {extra:?}: {}", r.stdout);
        assert!(r.stderr.contains("invalid value"), "{}", r.stderr);
    }
    let r = allot(
        dir.path(),
        &[
            "reconcile",
            "--invoice",
            "x.csv",
            "--store",
            store.to_str().unwrap(),
            "--format",
            "focus",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("focus is written by"), "{}", r.stderr);
    // Negative activity is refused, naming file, line and column.
    let activity = dir.path().join("activity.csv");
    std::fs::write(&activity, "date,email,sessions,commits,pull_requests,lines_added,lines_removed\n2026-09-10,ann@acme.test,1,-2,0,0,0\n").unwrap();
    let r = allot(
        dir.path(),
        &[
            "efficiency",
            "--month",
            "2026-09",
            "--mapping",
            fixture("handmade/mapping.csv").to_str().unwrap(),
            "--cost",
            fixture("handmade/cost.csv").to_str().unwrap(),
            "--activity",
            activity.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            dir.path().join("e").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(
        r.stderr.contains("line 2")
            && r.stderr.contains("commits")
            && r.stderr.contains("negative"),
        "{}",
        r.stderr
    );
    // A mapping with a header and no rows is an error, for the check and for a chargeback.
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "email,cost_center\n").unwrap();
    let r = allot(dir.path(), &["mapping", "check", empty.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.contains("no mapping rows"), "{}", r.stdout);
}

#[test]
fn messages_say_what_happened_and_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "x").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_allot"))
        .args([
            "sync",
            "--store",
            file.to_str().unwrap(),
            "--base-url",
            "http://127.0.0.1:9",
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-02",
            "--as-of",
            "2026-11-23",
        ])
        .env("ANTHROPIC_ANALYTICS_API_KEY", "sk-ant-x")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("is a file") && !err.contains("os error"),
        "{err}"
    );
    assert_eq!(err.matches("is a file").count(), 1, "said once: {err}");
}

#[test]
fn an_interrupted_sync_says_what_it_kept_and_a_rerun_resumes() {
    let dir = tempfile::tempdir().unwrap();
    // The fake answers at its documented 60 requests a minute: a month takes minutes.
    let mut fake = std::process::Command::new(env!("CARGO_BIN_EXE_allot"))
        .args([
            "fake-api",
            "--port",
            "0",
            "--today",
            "2026-11-23",
            "--key",
            "sk-ant-int",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut err = std::io::BufReader::new(fake.stderr.take().unwrap());
    std::io::BufRead::read_line(&mut err, &mut line).unwrap();
    assert!(
        line.contains("sk-ant-int"),
        "the fake says which key it accepts: {line}"
    );
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let url = format!(
        "http://{}",
        line.split("http://")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
    );
    let store = dir.path().join("store");
    let sync = |extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_allot"));
        c.args([
            "sync",
            "--store",
            store.to_str().unwrap(),
            "--base-url",
            &url,
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-30",
            "--as-of",
            "2026-11-23",
            "--backoff-ms",
            "10",
        ])
        .args(extra)
        .env("ANTHROPIC_ANALYTICS_API_KEY", "sk-ant-int")
        .env_remove("ANTHROPIC_ADMIN_API_KEY")
        .stderr(std::process::Stdio::piped());
        c
    };
    let child = sync(&[]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(3));
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let _ = fake.kill();
    let _ = fake.wait();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(
        err.contains("interrupted") && err.contains("kept") && err.contains("resume"),
        "{err}"
    );
    assert!(!err.contains("sk-ant-int"), "no key in any message");
}
