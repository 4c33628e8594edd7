//! The store as a ledger readers can trust (issue #24, first steps): a lost day file is never a
//! settled wrong total, `allot store verify` names it, `allot sync --repair` fetches it again.

use std::path::Path;

use rust_decimal::Decimal;

use crate::support::{allot, demo, money, read_csv, Run};

/// A copy of the demo store.
fn copy_store(to: &Path) {
    copy_dir(&demo().join("store"), to);
}

/// A copy of the folder `from` at `to`.
fn copy_dir(from: &Path, to: &Path) {
    let from = from.to_path_buf();
    let mut stack = vec![from.clone()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            let rel = p.strip_prefix(&from).unwrap();
            if p.is_dir() {
                std::fs::create_dir_all(to.join(rel)).unwrap();
                stack.push(p);
            } else {
                std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
                std::fs::copy(&p, to.join(rel)).unwrap();
            }
        }
    }
}

/// October's chargeback as of 2026-11-23: its days up to the 23rd are settled, each still a
/// file of its own (the month is not all settled, so not folded yet).
fn chargeback(cwd: &Path, store: &Path) -> (Run, Decimal) {
    let out = cwd.join("out");
    let r = allot(
        cwd,
        &[
            "chargeback",
            "--month",
            "2026-10",
            "--mapping",
            demo().join("input/org-mapping.csv").to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let total = read_csv(&out.join("chargeback.csv"))
        .iter()
        .map(|r| money(&r["amount_usd"]))
        .sum();
    (r, total)
}

#[test]
fn a_lost_day_file_is_incomplete_named_by_verify_and_repaired_by_sync() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    copy_store(&store);
    let (r, whole) = chargeback(dir.path(), &store);
    assert!(r.stdout.contains("[PROVISIONAL]"), "{}", r.stdout);
    let verify = |cwd: &Path| {
        allot(
            cwd,
            &["store", "verify", "--store", store.to_str().unwrap()],
        )
    };
    let v = verify(dir.path());
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    // The file of a settled day is lost.
    let file_of = |day: &str| {
        allot_sync::store::Snapshot::read(&store)
            .unwrap()
            .file_of(allot_sync::Source::ActorCost, day.parse().unwrap())
            .unwrap()
            .path
            .clone()
    };
    let lost = file_of("2026-10-15");
    std::fs::remove_file(&lost).unwrap();
    let (r, total) = chargeback(dir.path(), &store);
    assert!(r.stdout.contains("[INCOMPLETE]"), "{}", r.stdout);
    assert!(r.stdout.contains("2026-10-15"), "{}", r.stdout);
    assert!(total < whole);
    let v = verify(dir.path());
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("actor_cost 2026-10-15: its file"),
        "{}",
        v.stdout
    );
    assert!(v.stderr.contains("--repair"), "{}", v.stderr);
    // A damaged file is named too.
    let damaged = file_of("2026-10-30");
    std::fs::write(&damaged, b"PAR1 torn PAR1").unwrap();
    let v = verify(dir.path());
    assert!(v.stdout.contains("actor_cost 2026-10-30"), "{}", v.stdout);
    // A settled month is one file (folded when it settled): losing it loses the month, and
    // the error says what happened and how to mend it.
    std::fs::remove_file(file_of("2026-09-15")).unwrap();
    let r = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            demo().join("input/org-mapping.csv").to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            dir.path().join("sep").to_str().unwrap(),
        ],
    );
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("30 days of it whose files are gone") && r.stderr.contains("--repair"),
        "{}",
        r.stderr
    );
    // The repair fetches them all again; the months are whole.
    let api = crate::sync::fake(&["--rate", "100000"]);
    let sync = |store: &Path, extra: &[&str]| {
        let mut args = vec![
            "--store",
            store.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "--rate",
            "100000",
        ];
        args.extend_from_slice(extra);
        let r = crate::sync::run(crate::sync::sync_cmd(dir.path(), &args, true));
        assert_eq!(r.code, 0, "{}", r.stderr);
        r
    };
    let r = sync(&store, &["--repair"]);
    // A lost file is seen as soon as the sync opens the store; a damaged one by --repair.
    assert!(
        r.stderr.contains("actor_cost of 2026-10-15: its file")
            && r.stderr.contains("it will be fetched again"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("repair: actor_cost 2026-10-30"),
        "{}",
        r.stderr
    );
    let v = verify(dir.path());
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let (r, _) = chargeback(dir.path(), &store);
    assert!(r.stdout.contains("[PROVISIONAL]"), "{}", r.stdout);
    assert!(!r.stdout.contains("2026-10-15"), "{}", r.stdout);
    // The repaired days are what a clean sync of them from the same API stores, row for row
    // (the fake serves the demo organisation without the events `allot demo` plants).
    let clean = dir.path().join("clean");
    sync(&clean, &["--from", "2026-10-15", "--to", "2026-10-15"]);
    let rows = |store: &Path| {
        let f = allot_sync::store::Snapshot::read(store)
            .unwrap()
            .file_of(allot_sync::Source::ActorCost, "2026-10-15".parse().unwrap())
            .unwrap()
            .path
            .clone();
        allot_engine::cost_fact_rows(&[f]).unwrap()
    };
    assert_eq!(rows(&store), rows(&clean));
}

#[test]
fn a_check_against_an_unreachable_api_says_it_could_not_connect() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on a port bound and closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let r = crate::sync::run(crate::sync::sync_cmd(
        dir.path(),
        &[
            "--check",
            "--base-url",
            &format!("http://127.0.0.1:{port}"),
            "--as-of",
            "2026-11-23",
            "--backoff-ms",
            "10",
        ],
        true,
    ));
    let all = format!("{}{}", r.stdout, r.stderr);
    assert_ne!(r.code, 0, "{all}");
    assert!(all.contains("could not connect"), "{all}");
}

#[test]
fn restatements_say_what_moved_and_tie_out_to_the_chargeback() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    let sync_from = |url: &str, as_of: &str| {
        sync_at(dir.path(), &store, url, as_of, "2026-11-10", "2026-11-20");
    };
    let exact = |name: &str, as_of: &str| -> Decimal {
        let out = dir.path().join(name);
        let r = allot(
            dir.path(),
            &[
                "trend",
                "--from",
                "2026-11-10",
                "--to",
                "2026-11-20",
                "--per",
                "month",
                "--mapping",
                demo().join("input/org-mapping.csv").to_str().unwrap(),
                "--store",
                s,
                "--as-of",
                as_of,
                "--out",
                out.to_str().unwrap(),
                "--format",
                "json",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("trend.json")).unwrap()).unwrap();
        money(json["total_usd"].as_str().unwrap())
    };
    let first = crate::sync::fake(&["--rate", "100000"]);
    sync_from(&first.url, "2026-11-23");
    let before = exact("before", "2026-11-23");
    // The next day's run: the organisation's daily totals moved, so the days are fetched again.
    let revised = crate::sync::fake_on("2026-11-24", &["--rate", "100000", "--revisions", "1"]);
    sync_from(&revised.url, "2026-11-24");
    let after = exact("after", "2026-11-24");
    let out = dir.path().join("restated");
    let r = allot(
        dir.path(),
        &[
            "restatements",
            "--month",
            "2026-11",
            "--store",
            s,
            "--out",
            out.to_str().unwrap(),
            "--format",
            "csv,json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = read_csv(&out.join("restatements.csv"));
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["fetched_on"] == "2026-11-24"));
    let net: Decimal = rows
        .iter()
        .filter(|r| r["source"] == "actor_cost")
        .map(|r| money(&r["change_usd"]))
        .sum();
    // The chargeback's cents moved by the restated amount, to within rounding.
    assert!(
        ((after - before) - net).abs() <= Decimal::new(1, 2),
        "{before} -> {after}, restated {net}"
    );
    // The dashboard's restatements page shows the same records, and its table is the same CSV.
    let mapping = demo().join("input/org-mapping.csv");
    let serve_as_of = |day: &str| {
        crate::serve::serve(
            &[
                "serve",
                "--store",
                s,
                "--mapping",
                mapping.to_str().unwrap(),
                "--as-of",
                day,
            ],
            &[],
        )
    };
    let served = serve_as_of("2026-11-24");
    let page = crate::serve::get(&served.base, "/month/2026-11/restatements");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Restatements 2026-11"), "{}", page.body);
    assert!(page.body.contains(&rows[0]["email"]), "{}", page.body);
    let csv = crate::serve::get(&served.base, "/month/2026-11/restatements?csv=restatements");
    assert_eq!(
        csv.body,
        std::fs::read_to_string(out.join("restatements.csv")).unwrap()
    );
    // As known the day before the revision, nothing had moved.
    let before = serve_as_of("2026-11-23");
    let page = crate::serve::get(&before.base, "/month/2026-11/restatements");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("moved between the syncs"),
        "{}",
        page.body
    );
}

/// Syncs `[from, to]` into `store` from the fake at `url` as of `as_of`.
fn sync_at(cwd: &Path, store: &Path, url: &str, as_of: &str, from: &str, to: &str) -> Run {
    sync_with(cwd, store, url, as_of, from, to, &[])
}

/// [`sync_at`] with more flags.
fn sync_with(
    cwd: &Path,
    store: &Path,
    url: &str,
    as_of: &str,
    from: &str,
    to: &str,
    extra: &[&str],
) -> Run {
    let mut args = vec![
        "--store",
        store.to_str().unwrap(),
        "--base-url",
        url,
        "--as-of",
        as_of,
        "--rate",
        "100000",
        "--from",
        from,
        "--to",
        to,
    ];
    args.extend_from_slice(extra);
    let r = crate::sync::run(crate::sync::sync_cmd(cwd, &args, true));
    assert_eq!(r.code, 0, "{}", r.stderr);
    r
}

/// Every file of a report folder, by name.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn as_of_reads_the_store_as_it_was_known_and_reproduces_each_close_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let cb = |as_of: &str, name: &str| {
        let out = dir.path().join(name);
        let r = allot(
            dir.path(),
            &[
                "chargeback",
                "--month",
                "2026-11",
                "--mapping",
                demo().join("input/org-mapping.csv").to_str().unwrap(),
                "--store",
                store.to_str().unwrap(),
                "--as-of",
                as_of,
                "--out",
                out.to_str().unwrap(),
                "--format",
                "csv,json",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        files_of(&out)
    };
    // The sync of 2026-11-20, and the month's figures that day.
    let first = crate::sync::fake(&["--rate", "100000"]);
    sync_at(
        dir.path(),
        &store,
        &first.url,
        "2026-11-20",
        "2026-11-01",
        "2026-11-19",
    );
    let known_on_20th = cb("2026-11-20", "a");
    // Anthropic revises the month; the sync of 2026-11-23 records what moved.
    let revised = crate::sync::fake(&["--rate", "100000", "--revisions", "1"]);
    sync_at(
        dir.path(),
        &store,
        &revised.url,
        "2026-11-23",
        "2026-11-01",
        "2026-11-22",
    );
    let known_on_23rd = cb("2026-11-23", "b");
    // Read as of the 20th, the store answers what it knew then: the same bytes, although
    // every day before the 20th was fetched again and revised since.
    assert_eq!(cb("2026-11-20", "c"), known_on_20th);
    let rerun = cb("2026-11-23", "d");
    assert_eq!(rerun, known_on_23rd);
    let restated = |as_of: &str| {
        let out = dir.path().join(format!("r-{as_of}"));
        let r = allot(
            dir.path(),
            &[
                "restatements",
                "--month",
                "2026-11",
                "--store",
                store.to_str().unwrap(),
                "--as-of",
                as_of,
                "--out",
                out.to_str().unwrap(),
                "--format",
                "csv",
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        read_csv(&out.join("restatements.csv"))
    };
    assert!(
        restated("2026-11-20").is_empty(),
        "nothing moved by the 20th"
    );
    let moved = restated("2026-11-23");
    assert!(!moved.is_empty());
    assert!(moved.iter().all(|r| !r["version"].is_empty()));
    // The revision moved days the 20th already held, so reading them anew would differ.
    assert!(moved.iter().any(|r| r["date"].as_str() < "2026-11-20"));
    // The 20th's figures differ from the 23rd's by what moved (the revision touched them).
    let exact = |files: &[(String, Vec<u8>)]| -> Decimal {
        let csv = &files.iter().find(|(n, _)| n == "chargeback.csv").unwrap().1;
        csv::Reader::from_reader(csv.as_slice())
            .deserialize::<std::collections::HashMap<String, String>>()
            .map(|r| money(&r.unwrap()["exact_usd"]))
            .sum()
    };
    assert_ne!(exact(&known_on_20th), exact(&known_on_23rd));
    // Compaction and vacuum keep what time travel within the retention reaches.
    let r = allot(
        dir.path(),
        &[
            "store",
            "compact",
            "--store",
            store.to_str().unwrap(),
            "--as-of",
            "2026-12-31",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("months folded"), "{}", r.stderr);
    assert_eq!(cb("2026-11-20", "e"), known_on_20th);
    assert_eq!(cb("2026-11-23", "f"), known_on_23rd);
}

#[test]
fn a_store_of_the_older_format_is_refused_until_migrated_then_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    // A format-1 store (day files and state.json) of five October days of the demo.
    let old = dir.path().join("old");
    let demo_snap = allot_sync::store::Snapshot::read(&demo().join("store")).unwrap();
    let mut state = serde_json::json!({"version": 1, "days": {"actor_cost": {}}});
    for day in 20..25 {
        let d: chrono::NaiveDate = format!("2026-10-{day}").parse().unwrap();
        let f = demo_snap.file_of(allot_sync::Source::ActorCost, d).unwrap();
        assert_eq!(f.days.len(), 1, "a day file");
        let to = old.join(format!("facts/actor_cost/date={d}.parquet"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f.path, &to).unwrap();
        state["days"]["actor_cost"][d.to_string()] = serde_json::to_value(f.days[&d]).unwrap();
    }
    std::fs::write(old.join("state.json"), state.to_string()).unwrap();
    let trend = |store: &Path, name: &str| {
        let out = dir.path().join(name);
        let r = allot(
            dir.path(),
            &[
                "trend",
                "--from",
                "2026-10-20",
                "--to",
                "2026-10-24",
                "--per",
                "day",
                "--mapping",
                demo().join("input/org-mapping.csv").to_str().unwrap(),
                "--store",
                store.to_str().unwrap(),
                "--as-of",
                "2026-11-23",
                "--out",
                out.to_str().unwrap(),
                "--format",
                "csv",
            ],
        );
        (r, out.join("trend.csv"))
    };
    let (r, _) = trend(&old, "refused");
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("allot store migrate"), "{}", r.stderr);
    let m = allot(
        dir.path(),
        &["store", "migrate", "--store", old.to_str().unwrap()],
    );
    assert_eq!(m.code, 0, "{}", m.stderr);
    assert!(m.stderr.contains("actor_cost 5 days"), "{}", m.stderr);
    assert!(!old.join("state.json").exists() && old.join("store.json").exists());
    let v = allot(
        dir.path(),
        &["store", "verify", "--store", old.to_str().unwrap()],
    );
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let (r, migrated) = trend(&old, "migrated");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (r, demo_trend) = trend(&demo().join("store"), "demo");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read(migrated).unwrap(),
        std::fs::read(demo_trend).unwrap()
    );
}

#[test]
fn readers_during_repeated_syncs_see_one_whole_version_and_never_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let first = crate::sync::fake(&["--rate", "100000"]);
    sync_at(
        dir.path(),
        &store,
        &first.url,
        "2026-11-23",
        "2026-11-01",
        "2026-11-22",
    );
    let mapping = demo().join("input/org-mapping.csv");
    let s = crate::serve::serve(
        &[
            "serve",
            "--store",
            store.to_str().unwrap(),
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
        ],
        &[],
    );
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers: Vec<_> = (0..3)
        .map(|i| {
            let (base, stop) = (s.base.clone(), stop.clone());
            std::thread::spawn(move || {
                let paths = ["/month/2026-11?csv=daily", "/month/2026-11", "/"];
                let mut answers = 0;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let a = crate::serve::get(&base, paths[i % paths.len()]);
                    assert_eq!(a.status, 200, "{}", a.body);
                    answers += 1;
                }
                answers
            })
        })
        .collect();
    // Three syncs of revised data replace every provisional day of the month meanwhile; a
    // report runs beside each.
    for n in 1..=3 {
        let revised = crate::sync::fake(&["--rate", "100000", "--revisions", &n.to_string()]);
        let url = revised.url.clone();
        let (cwd, st) = (dir.path().to_path_buf(), store.clone());
        let syncing = std::thread::spawn(move || {
            // The same day again: only `--refresh` fetches what this day's run already has.
            let (from, to) = ("2026-11-01", "2026-11-22");
            sync_with(&cwd, &st, &url, "2026-11-23", from, to, &["--refresh"]);
        });
        while !syncing.is_finished() {
            let out = dir.path().join(format!("cb-{n}"));
            let r = allot(
                dir.path(),
                &[
                    "chargeback",
                    "--month",
                    "2026-11",
                    "--mapping",
                    mapping.to_str().unwrap(),
                    "--store",
                    store.to_str().unwrap(),
                    "--as-of",
                    "2026-11-23",
                    "--out",
                    out.to_str().unwrap(),
                ],
            );
            assert_eq!(r.code, 0, "{}", r.stderr);
        }
        syncing.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let answers: usize = pollers.into_iter().map(|p| p.join().unwrap()).sum();
    assert!(answers > 10, "{answers} answers");
    // The dashboard ends on the last version.
    let daily =
        crate::serve::csv_rows(&crate::serve::get(&s.base, "/month/2026-11?csv=daily").body);
    let r = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-11",
            "--mapping",
            mapping.to_str().unwrap(),
            "--store",
            store.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            dir.path().join("last").to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0);
    let total: Decimal = read_csv(&dir.path().join("last/chargeback.csv"))
        .iter()
        .map(|r| money(&r["amount_usd"]))
        .sum();
    assert_eq!(crate::serve::sum(&daily, "amount_usd"), total);
}

/// The requests a sync reported ("sync: N requests").
fn requests(r: &Run) -> u64 {
    let all = format!("{}{}", r.stdout, r.stderr);
    all.split("sync: ")
        .nth(1)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no request count in {all}"))
}

#[test]
fn a_daily_run_asks_only_for_the_new_day_and_the_days_whose_totals_moved() {
    use allot_sync::store::{Snapshot, Source};
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let first = crate::sync::fake(&["--rate", "100000"]);
    let r = sync_at(
        dir.path(),
        &base,
        &first.url,
        "2026-11-23",
        "2026-10-01",
        "2026-11-22",
    );
    let first_sync = requests(&r);
    // The same day again (a re-run, or a resume): nothing new to ask.
    let again = dir.path().join("again");
    copy_dir(&base, &again);
    let r = sync_at(
        dir.path(),
        &again,
        &first.url,
        "2026-11-23",
        "2026-10-01",
        "2026-11-22",
    );
    assert!(requests(&r) <= 3, "same-day re-run: {}", r.stderr);
    // The next day, nothing revised: the new day, and one request for 30 days of totals.
    let next = crate::sync::fake_on("2026-11-24", &["--rate", "100000"]);
    let daily = dir.path().join("daily");
    copy_dir(&base, &daily);
    let r = sync_at(
        dir.path(),
        &daily,
        &next.url,
        "2026-11-24",
        "2026-10-01",
        "2026-11-23",
    );
    let daily_requests = requests(&r);
    assert!(daily_requests <= 15, "daily run: {}", r.stderr);
    assert!(r.stderr.contains("confirmed unchanged"), "{}", r.stderr);
    // The day that turned 30 days old was confirmed, so it is settled now, and was not as
    // the store knew it the day before.
    let turned = day("2026-10-25");
    let now = Snapshot::read(&daily).unwrap();
    assert!(now.entries(Source::ActorCost)[&turned].settled(turned));
    let before = Snapshot::read_as_of(&daily, Some(day("2026-11-23"))).unwrap();
    assert!(!before.entries(Source::ActorCost)[&turned].settled(turned));
    assert!(now
        .entries(Source::ActorCost)
        .contains_key(&day("2026-11-23")));
    // One revised day: that day's pages on top of the daily run, and only its cost restated.
    let one_day = dir.path().join("one-day");
    let revised = crate::sync::fake_on(
        "2026-11-24",
        &[
            "--rate",
            "100000",
            "--revisions",
            "1",
            "--revise-day",
            "2026-11-10",
        ],
    );
    let r = sync_at(
        dir.path(),
        &one_day,
        &revised.url,
        "2026-11-24",
        "2026-11-10",
        "2026-11-10",
    );
    let day_pages = requests(&r);
    let rev = dir.path().join("rev");
    copy_dir(&base, &rev);
    let r = sync_at(
        dir.path(),
        &rev,
        &revised.url,
        "2026-11-24",
        "2026-10-01",
        "2026-11-23",
    );
    let rev_requests = requests(&r);
    assert!(
        rev_requests > daily_requests && rev_requests <= 15 + day_pages,
        "revised run: {rev_requests} (daily {daily_requests}, one day {day_pages}): {}",
        r.stderr
    );
    let out = dir.path().join("restated");
    let r = allot(
        dir.path(),
        &[
            "restatements",
            "--month",
            "2026-11",
            "--store",
            rev.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "csv",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = read_csv(&out.join("restatements.csv"));
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r["date"] == "2026-11-10"), "{rows:?}");
    // The first sync of 53 days, for the README's comparison.
    assert!(first_sync > 15 * daily_requests, "first sync {first_sync}");
}
