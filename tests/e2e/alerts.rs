//! The weekly run (issue #13): the planted events of the demo organisation found by the right
//! rule at the right level; a quiet stretch stays quiet; forecasts whose month to date is the
//! chargeback; the webhook retried, deduplicated and never named; bad input refused cleanly.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;

use crate::support::{allot, demo, money, read_csv, Run};

const AS_OF: &str = "2026-11-23";

fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// The emails of the demo's planted new heavy user and long-context mover.
fn planted() -> (String, String) {
    let org = allot_synth::demo_org_at(day(AS_OF));
    let email = |id: u64| {
        org.people
            .iter()
            .find(|p| p.id == id)
            .unwrap()
            .email
            .to_lowercase()
    };
    let mut starts = None;
    let mut long = None;
    for e in &org.events {
        match e {
            allot_synth::Event::Starts { person, .. } => starts = Some(email(*person)),
            allot_synth::Event::LongContext { person, .. } => long = Some(email(*person)),
            allot_synth::Event::Ramp { .. } => {}
        }
    }
    (starts.unwrap(), long.unwrap())
}

/// A copy of the demo store (runs that record sent alerts write into it).
fn store_copy(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let t = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &t);
            } else {
                std::fs::copy(&p, &t).unwrap();
            }
        }
    }
    let to = dir.join("store");
    copy(&demo().join("store"), &to);
    to
}

fn watch(cmd: &str, cwd: &Path, store: &Path, as_of: &str, extra: &[&str]) -> Run {
    let mapping = demo().join("input/org-mapping.csv");
    let bill = demo().join("input/bedrock-focus.csv");
    let out = cwd.join("out");
    // The demo's whole bill: its store and its Bedrock bill.
    let mut args = vec![
        cmd,
        "--store",
        store.to_str().unwrap(),
        "--cost",
        bill.to_str().unwrap(),
        "--focus-tag",
        "team",
        "--mapping",
        mapping.to_str().unwrap(),
        "--as-of",
        as_of,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    allot(cwd, &args)
}

fn find<'a>(
    rows: &'a [HashMap<String, String>],
    rule: &str,
    level: &str,
    key: &str,
) -> Option<&'a HashMap<String, String>> {
    rows.iter()
        .find(|r| r["rule"] == rule && r["level"] == level && r["key"] == key)
}

#[test]
fn planted_events_are_found_with_the_right_rule_level_and_key() {
    let rows = read_csv(&demo().join("alerts.csv"));
    let (newcomer, long) = planted();
    let show = || format!("{rows:#?}");
    let ramp = find(&rows, "sustained_increase", "cost_center", "CC-1030")
        .unwrap_or_else(|| panic!("Mobile's ramp-up: {}", show()));
    assert!(ramp["message"].contains("CC-1030 (Mobile)"), "{ramp:?}");
    // The message names what drove it: Mobile's own people using more.
    assert!(
        ramp["message"].contains("Largest driver against the 14 days before: volume +$"),
        "{ramp:?}"
    );
    assert!(money(&ramp["amount_usd"]) > Decimal::from(200));
    assert_eq!(
        money(&ramp["amount_usd"]),
        money(&ramp["current_usd"]) - money(&ramp["baseline_usd"])
    );
    assert_eq!(
        ramp["status"], "provisional",
        "the last 14 days are less than 30 days old"
    );
    let new = find(&rows, "new_spender", "person", &newcomer)
        .unwrap_or_else(|| panic!("the new heavy user {newcomer}: {}", show()));
    assert_eq!(money(&new["baseline_usd"]), Decimal::ZERO);
    find(&rows, "long_context", "person", &long)
        .unwrap_or_else(|| panic!("the move into 200K-1M of {long}: {}", show()));
    let budget = find(&rows, "budget", "cost_center", "CC-1030")
        .unwrap_or_else(|| panic!("Mobile's budget: {}", show()));
    assert!(
        ["warning", "critical"].contains(&budget["severity"].as_str()),
        "{budget:?}"
    );
    assert_eq!(budget["window_start"], "2026-11-01");
    // Nobody else's budget is at risk, and most expensive comes first.
    assert!(
        rows.iter()
            .filter(|r| r["rule"] == "budget")
            .all(|r| r["key"] == "CC-1030" || r["severity"] == "info"),
        "{}",
        show()
    );
    let amounts: Vec<Decimal> = rows.iter().map(|r| money(&r["amount_usd"])).collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "{amounts:?}");

    // The same run from the command line: exit 3 (a warning fired), the same rows, the table
    // on the terminal most expensive first.
    let dir = tempfile::tempdir().unwrap();
    let budgets = demo().join("input/budgets.csv");
    let run = watch(
        "alerts",
        dir.path(),
        &demo().join("store"),
        AS_OF,
        &["--budgets", budgets.to_str().unwrap()],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(read_csv(&dir.path().join("out/alerts.csv")), rows);
    assert!(
        run.stdout.contains("sustained_increase") && run.stdout.contains("CC-1030"),
        "{}",
        run.stdout
    );
    // --fail-on critical: a run with only warnings exits 0; with a critical alert, 3.
    let run = watch(
        "alerts",
        dir.path(),
        &demo().join("store"),
        AS_OF,
        &["--fail-on", "critical"],
    );
    let critical = read_csv(&dir.path().join("out/alerts.csv"))
        .iter()
        .any(|r| r["severity"] == "critical");
    assert_eq!(run.code, if critical { 3 } else { 0 }, "{}", run.stderr);
}

#[test]
fn a_quiet_stretch_raises_no_team_alert() {
    // As of 2026-11-05 the planted events (from 2026-11-09 on) have not happened: the demo
    // organisation's spend is only its everyday noise, busy weekdays and quiet weekends.
    let dir = tempfile::tempdir().unwrap();
    let run = watch(
        "alerts",
        dir.path(),
        &demo().join("store"),
        "2026-11-05",
        &[],
    );
    assert!(run.code == 0 || run.code == 3, "{}", run.stderr);
    let rows = read_csv(&dir.path().join("out/alerts.csv"));
    let teams: Vec<_> = rows.iter().filter(|r| r["level"] != "person").collect();
    assert!(teams.is_empty(), "{teams:#?}");
}

#[test]
fn the_forecast_starts_from_the_chargeback_and_adds_up() {
    let dir = tempfile::tempdir().unwrap();
    let budgets = demo().join("input/budgets.csv");
    let run = watch(
        "forecast",
        dir.path(),
        &demo().join("store"),
        AS_OF,
        &["--month", "2026-11", "--budgets", budgets.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&dir.path().join("out/forecast.csv"));
    let (total, lines): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r["cost_center"] == "TOTAL");
    assert_eq!(total.len(), 1);
    for col in ["month_to_date_usd", "forecast_usd"] {
        let sum: Decimal = lines.iter().map(|r| money(&r[col])).sum();
        assert_eq!(sum, money(&total[0][col]), "{col} adds up");
    }
    for r in &rows {
        assert_eq!(r["status"], "provisional");
        assert!(
            money(&r["forecast_low_usd"]) <= money(&r["forecast_usd"])
                && money(&r["forecast_usd"]) <= money(&r["forecast_high_usd"]),
            "{r:?}"
        );
        assert!(
            money(&r["forecast_usd"]) >= money(&r["month_to_date_usd"]),
            "{r:?}"
        );
    }
    let mobile = lines
        .iter()
        .find(|r| r["cost_center"] == "CC-1030")
        .unwrap();
    assert_eq!(money(&mobile["budget_usd"]), Decimal::from(4500));
    assert!(
        money(&mobile["forecast_vs_budget_pct"]) > Decimal::from(100),
        "{mobile:?}"
    );
    // Month to date is the chargeback of the month so far, to the cent.
    let mapping = demo().join("input/org-mapping.csv");
    let cb = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-11",
            "--store",
            demo().join("store").to_str().unwrap(),
            "--cost",
            demo().join("input/bedrock-focus.csv").to_str().unwrap(),
            "--focus-tag",
            "team",
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--out",
            dir.path().join("cb").to_str().unwrap(),
        ],
    );
    assert_eq!(cb.code, 0, "{}", cb.stderr);
    let charged: HashMap<String, Decimal> = read_csv(&dir.path().join("cb/chargeback.csv"))
        .iter()
        .map(|r| (r["cost_center"].clone(), money(&r["amount_usd"])))
        .collect();
    for r in &lines {
        assert_eq!(
            charged.get(&r["cost_center"]).copied().unwrap_or_default(),
            money(&r["month_to_date_usd"]),
            "{r:?}"
        );
    }
    // A month that is over is its actual: forecast equals month to date, budget or not.
    let oct = tempfile::tempdir().unwrap();
    let run = watch(
        "forecast",
        oct.path(),
        &demo().join("store"),
        AS_OF,
        &["--month", "2026-10"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    for r in read_csv(&oct.path().join("out/forecast.csv")) {
        assert_eq!(r["forecast_usd"], r["month_to_date_usd"], "{r:?}");
    }
}

/// A webhook on 127.0.0.1 (axum) that fails the first `fail` requests with a 500.
struct Hook {
    url: String,
    hits: Arc<AtomicUsize>,
    bodies: Arc<Mutex<Vec<serde_json::Value>>>,
    _rt: tokio::runtime::Runtime,
}

const SECRET: &str = "T0KEN-s3cr3t-9f2b";

fn hook(fail: usize) -> Hook {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (h, b) = (hits.clone(), bodies.clone());
    let app = axum::Router::new().route(
        "/services/{secret}",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (h, b) = (h.clone(), b.clone());
            async move {
                if h.fetch_add(1, Ordering::SeqCst) < fail {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                b.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                axum::http::StatusCode::OK
            }
        }),
    );
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Hook {
        url: format!("http://{addr}/services/{SECRET}"),
        hits,
        bodies,
        _rt: rt,
    }
}

fn no_secret_in(dir: &Path, run: &Run) {
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let bytes = std::fs::read(&p).unwrap();
                assert!(
                    !String::from_utf8_lossy(&bytes).contains(SECRET),
                    "{} names the webhook URL",
                    p.display()
                );
            }
        }
    }
}

#[test]
fn the_webhook_is_retried_deduplicated_and_never_named() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_copy(dir.path());
    let h = hook(1);
    let budgets = demo().join("input/budgets.csv");
    let args = [
        "-vv",
        "--budgets",
        budgets.to_str().unwrap(),
        "--notify",
        &h.url,
        "--notify-backoff-ms",
        "10",
    ];
    let run = watch("alerts", dir.path(), &store, AS_OF, &args[1..]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(h.hits.load(Ordering::SeqCst), 2, "one 500, then delivered");
    let body = h.bodies.lock().unwrap()[0].clone();
    let sent = body["alerts"].as_array().unwrap();
    let rows = read_csv(&dir.path().join("out/alerts.csv"));
    assert_eq!(sent.len(), rows.len());
    assert!(
        body["text"].as_str().unwrap().contains(&rows[0]["message"]),
        "{body}"
    );
    assert!(store.join("alerts-sent.json").is_file());
    no_secret_in(dir.path(), &run);
    // -vv and RUST_LOG=trace never print it either.
    let mapping = demo().join("input/org-mapping.csv");
    let run = crate::support::allot_env(
        dir.path(),
        &[
            "-vv",
            "alerts",
            "--store",
            store.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--out",
            dir.path().join("out").to_str().unwrap(),
        ],
        &[("ALLOT_NOTIFY_URL", &h.url), ("RUST_LOG", "trace")],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    no_secret_in(dir.path(), &run);
    // The second run found the same alerts (without the budget ones): nothing new was sent.
    assert_eq!(
        h.hits.load(Ordering::SeqCst),
        2,
        "deduplicated: {}",
        run.stderr
    );
    assert!(run.stderr.contains("nothing new"), "{}", run.stderr);
    // A week later the same alerts are sent again; the URL read from a file this time (a
    // systemd credential), so it is on no command line.
    let url_file = dir.path().join("webhook-url");
    std::fs::write(&url_file, format!("{}\n", h.url)).unwrap();
    let run = watch(
        "alerts",
        dir.path(),
        &store,
        "2026-11-30",
        &[
            "--notify-file",
            url_file.to_str().unwrap(),
            "--notify-backoff-ms",
            "10",
        ],
    );
    assert!(run.code == 0 || run.code == 3, "{}", run.stderr);
    if !read_csv(&dir.path().join("out/alerts.csv")).is_empty() {
        assert_eq!(h.hits.load(Ordering::SeqCst), 3, "{}", run.stderr);
    }
}

#[test]
fn a_failed_delivery_exits_2_after_writing_the_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sent.json");
    let h = hook(usize::MAX);
    let run = allot(
        dir.path(),
        &[
            "alerts",
            "--store",
            demo().join("store").to_str().unwrap(),
            "--mapping",
            demo().join("input/org-mapping.csv").to_str().unwrap(),
            "--as-of",
            AS_OF,
            "--out",
            dir.path().join("out").to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--notify",
            &h.url,
            "--notify-backoff-ms",
            "5",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("did not accept") && run.stderr.contains("HTTP 500"),
        "{}",
        run.stderr
    );
    assert_eq!(h.hits.load(Ordering::SeqCst), 5, "five attempts");
    assert!(
        dir.path().join("out/alerts.csv").is_file(),
        "alerts.csv is written first"
    );
    assert!(!state.exists(), "nothing recorded as sent");
    no_secret_in(dir.path(), &run);
}

#[test]
fn bad_budgets_rules_and_months_are_refused_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo().join("store");
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // An unknown cost center: warned about by name, the rest still compared.
    let b = write(
        "unknown.csv",
        "cost_center,month,budget_usd\nCC-1030,,4500\nCC-9999,2026-11,100\n",
    );
    let run = watch(
        "forecast",
        dir.path(),
        &store,
        AS_OF,
        &["--month", "2026-11", "--budgets", b.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("CC-9999") && run.stderr.contains("line 3"),
        "{}",
        run.stderr
    );
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    for (name, text, says) in [
        (
            "negative.csv",
            "cost_center,month,budget_usd\nCC-1030,,-5\n",
            "negative",
        ),
        (
            "text.csv",
            "cost_center,month,budget_usd\nCC-1030,,lots\n",
            "not an amount",
        ),
        (
            "month.csv",
            "cost_center,month,budget_usd\nCC-1030,2026-13,5\n",
            "not a month",
        ),
    ] {
        let b = write(name, text);
        let run = watch(
            "alerts",
            dir.path(),
            &store,
            AS_OF,
            &["--budgets", b.to_str().unwrap()],
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stderr);
        assert!(
            run.stderr.contains(name) && run.stderr.contains("line 2") && run.stderr.contains(says),
            "{name}: {}",
            run.stderr
        );
        assert!(!dir.path().join("out").exists(), "{name}: nothing written");
    }
    let r = write("rules.toml", "[spike]\nthreshhold = 4\n");
    let run = watch(
        "alerts",
        dir.path(),
        &store,
        AS_OF,
        &["--rules", r.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("rules.toml") && run.stderr.contains("threshhold"),
        "{}",
        run.stderr
    );
    let r = write(
        "rules2.toml",
        "[sustained_increase]\nmin_change_pct = 50\nmin_amount_usd = \"1000\"\n",
    );
    let run = watch(
        "alerts",
        dir.path(),
        &store,
        AS_OF,
        &["--rules", r.to_str().unwrap()],
    );
    assert!(run.code == 0 || run.code == 3, "{}", run.stderr);
    assert!(
        !dir.path().join("out").join("alerts.csv").exists()
            || read_csv(&dir.path().join("out/alerts.csv"))
                .iter()
                .all(|r| r["rule"] != "sustained_increase"
                    || money(&r["amount_usd"]) >= Decimal::from(1000))
    );
    std::fs::remove_dir_all(dir.path().join("out")).ok();
    // A month with no data, or not started.
    for month in ["2026-05", "2027-01"] {
        let run = watch("forecast", dir.path(), &store, AS_OF, &["--month", month]);
        assert_eq!(run.code, 2, "{month}: {}", run.stderr);
        assert!(run.stderr.contains(month), "{month}: {}", run.stderr);
        assert!(!dir.path().join("out").exists(), "{month}: nothing written");
    }
    let run = watch("alerts", dir.path(), &store, "2026-05-10", &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("no cost data"), "{}", run.stderr);
}

#[test]
fn a_pseudonymised_run_sends_no_email_to_the_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(&key, "k").unwrap();
    let state = dir.path().join("sent.json");
    let h = hook(0);
    let run = watch(
        "alerts",
        dir.path(),
        &demo().join("store"),
        AS_OF,
        &[
            "--pseudonymize",
            "--pseudonym-key-file",
            key.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--notify",
            &h.url,
        ],
    );
    assert_eq!(run.code, 3, "{}", run.stderr);
    let body = h.bodies.lock().unwrap()[0].to_string();
    assert!(
        body.contains("person-") && !body.contains("@example.com"),
        "{body}"
    );
    let csv = std::fs::read_to_string(dir.path().join("out/alerts.csv")).unwrap();
    assert!(!csv.contains("@example.com"), "{csv}");
}
