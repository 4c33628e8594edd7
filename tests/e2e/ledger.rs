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

fn chargeback(cwd: &Path, store: &Path) -> (Run, Decimal) {
    let out = cwd.join("out");
    let r = allot(
        cwd,
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
    assert!(r.stdout.contains("[SETTLED]"), "{}", r.stdout);
    let verify = |cwd: &Path| {
        allot(
            cwd,
            &["store", "verify", "--store", store.to_str().unwrap()],
        )
    };
    let v = verify(dir.path());
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    // The file of one settled day is lost.
    let lost = store.join("facts/actor_cost/date=2026-09-15.parquet");
    std::fs::remove_file(&lost).unwrap();
    let (r, total) = chargeback(dir.path(), &store);
    assert!(r.stdout.contains("[INCOMPLETE]"), "{}", r.stdout);
    assert!(r.stdout.contains("2026-09-15"), "{}", r.stdout);
    assert!(total < whole);
    let v = verify(dir.path());
    assert_eq!(v.code, 1, "{}{}", v.stdout, v.stderr);
    assert!(
        v.stdout.contains("actor_cost 2026-09-15: its file"),
        "{}",
        v.stdout
    );
    assert!(v.stderr.contains("--repair"), "{}", v.stderr);
    // A damaged file is named too.
    let damaged = store.join("facts/actor_cost/date=2026-09-16.parquet");
    std::fs::write(&damaged, b"PAR1 torn PAR1").unwrap();
    let v = verify(dir.path());
    assert!(v.stdout.contains("actor_cost 2026-09-16"), "{}", v.stdout);
    // The repair fetches both again; the month is whole and the same to the cent.
    let api = crate::sync::fake(&["--rate", "100000"]);
    let r = crate::sync::run(crate::sync::sync_cmd(
        dir.path(),
        &[
            "--store",
            store.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "--rate",
            "100000",
            "--repair",
        ],
        true,
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("repair: actor_cost 2026-09-15"),
        "{}",
        r.stderr
    );
    let v = verify(dir.path());
    assert_eq!(v.code, 0, "{}{}", v.stdout, v.stderr);
    let (r, _) = chargeback(dir.path(), &store);
    assert!(r.stdout.contains("[SETTLED]"), "{}", r.stdout);
    // The repaired days are what a clean sync of them from the same API stores, byte for byte
    // (the fake serves the demo organisation without the events `allot demo` plants, so the
    // month's total is the fake's, not the demo's).
    let clean = dir.path().join("clean");
    let r = crate::sync::run(crate::sync::sync_cmd(
        dir.path(),
        &[
            "--store",
            clean.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "--rate",
            "100000",
            "--from",
            "2026-09-15",
            "--to",
            "2026-09-16",
        ],
        true,
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for day in ["2026-09-15", "2026-09-16"] {
        let name = format!("facts/actor_cost/date={day}.parquet");
        assert_eq!(
            std::fs::read(store.join(&name)).unwrap(),
            std::fs::read(clean.join(&name)).unwrap(),
            "{day}"
        );
    }
}
