//! The store as a ledger readers can trust (issue #24, first steps): a lost day file is never a
//! settled wrong total, `allot store verify` names it, `allot sync --repair` fetches it again.

use std::path::Path;

use rust_decimal::Decimal;

use crate::support::{allot, demo, money, read_csv, Run};

/// A copy of the demo store.
fn copy_store(to: &Path) {
    let from = demo().join("store");
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
    // The repair fetches both again; the month is whole.
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
    let sync_from = |url: &str| {
        let r = crate::sync::run(crate::sync::sync_cmd(
            dir.path(),
            &[
                "--store",
                s,
                "--base-url",
                url,
                "--as-of",
                "2026-11-23",
                "--rate",
                "100000",
                "--from",
                "2026-11-10",
                "--to",
                "2026-11-20",
            ],
            true,
        ));
        assert_eq!(r.code, 0, "{}", r.stderr);
    };
    let exact = |name: &str| -> Decimal {
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
                "2026-11-23",
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
    sync_from(&first.url);
    let before = exact("before");
    let revised = crate::sync::fake(&["--rate", "100000", "--revisions", "1"]);
    sync_from(&revised.url);
    let after = exact("after");
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
    assert!(rows.iter().all(|r| r["fetched_on"] == "2026-11-23"));
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
}
