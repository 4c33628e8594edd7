//! The client and the sync against the fake API over real sockets: every endpoint, every fault,
//! synced facts equal to the fake's ground truth to the nano-dollar, restatements, keys kept out
//! of every message.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use allot_fake_api::truth::{days, org_costs, user_costs};
use allot_fake_api::{Config, Faults, State};
use chrono::NaiveDate;
use proptest::prelude::*;

use crate::store::{files, read_state, Source};
use crate::{sync, ApiKey, Client, ClientConfig, Keys, Quiet, Store, SyncError, SyncOptions};

const KEY: &str = "sk-ant-fake-secret-analytics";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn today() -> NaiveDate {
    d("2026-11-23")
}

fn keys() -> Keys {
    Keys {
        analytics: Some(ApiKey::new(KEY)),
        admin: Some(ApiKey::new(format!("{KEY}-admin"))),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn client(base: &str, rate: u32) -> Client {
    Client::new(ClientConfig {
        base_url: base.to_string(),
        rate_per_minute: rate,
        max_attempts: 12,
        backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(20),
        timeout: Duration::from_secs(10),
    })
    .unwrap()
}

fn fake(faults: Faults) -> Arc<State> {
    State::new(Config {
        rate_per_minute: 100_000,
        faults,
        ..Config::new(today(), KEY)
    })
}

fn opts(from: &str, to: &str) -> SyncOptions {
    SyncOptions {
        from: d(from),
        to: d(to),
        today: today(),
        refresh: false,
        engagement_lag_days: 1,
        concurrency: 3,
        cost_api: crate::CostApi::Legacy,
    }
}

/// Exact cost per (day, email, product, model, window, cost type, token type) and tokens.
type Truth = BTreeMap<(NaiveDate, String, String, String, String, String, String), (i128, i64)>;

fn stored_costs(root: &std::path::Path, source: Source) -> Truth {
    let facts = allot_engine::cost_fact_rows(&files(root, source).unwrap()).unwrap();
    let mut m = Truth::new();
    for f in facts {
        let e = m
            .entry((
                f.date,
                f.email,
                f.product,
                f.model,
                f.context_window,
                f.cost_type,
                f.token_type,
            ))
            .or_default();
        e.0 += i128::from(f.cost_nanos);
        e.1 += f.tokens;
    }
    m.retain(|_, v| *v != (0, 0));
    m
}

fn truth(state: &State, from: &str, to: &str) -> Truth {
    let mut m = Truth::new();
    for day in days(d(from), d(to).succ_opt().unwrap()) {
        for u in user_costs(&state.org, day, today(), state.revision()) {
            let f = u.fact;
            let e = m
                .entry((
                    f.date,
                    f.email,
                    f.product,
                    f.model,
                    f.context_window,
                    f.cost_type,
                    f.token_type,
                ))
                .or_default();
            e.0 += i128::from(f.cost_nanos);
            e.1 += f.tokens;
        }
    }
    m
}

fn org_total(state: &State, from: &str, to: &str) -> i128 {
    days(d(from), d(to).succ_opt().unwrap())
        .flat_map(|day| org_costs(&state.org, day, today(), state.revision()))
        .map(|f| i128::from(f.cost_nanos))
        .sum()
}

fn run_sync(
    state: &Arc<State>,
    root: &std::path::Path,
    o: &SyncOptions,
) -> Result<crate::Summary, SyncError> {
    let rt = runtime();
    rt.block_on(async {
        let base = allot_fake_api::spawn(state.clone()).await.unwrap();
        let mut store = Store::open(root, false)?;
        sync(&mut store, &client(&base, 100_000), &keys(), o, &Quiet).await
    })
}

#[test]
fn every_endpoint_syncs_into_the_store_and_matches_the_ground_truth() {
    let state = fake(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let s = run_sync(&state, dir.path(), &opts("2026-09-01", "2026-09-05")).unwrap();
    for source in Source::ALL {
        let expected = if source == Source::ActorCost { 0 } else { 5 };
        assert_eq!(days_of(dir.path(), source), expected, "{source:?}");
    }
    assert_eq!(
        stored_costs(dir.path(), Source::Cost),
        truth(&state, "2026-09-01", "2026-09-05")
    );
    let org: i128 = stored_costs(dir.path(), Source::OrgCost)
        .values()
        .map(|v| v.0)
        .sum();
    assert_eq!(org, org_total(&state, "2026-09-01", "2026-09-05"));
    let per_user: i128 = truth(&state, "2026-09-01", "2026-09-05")
        .values()
        .map(|v| v.0)
        .sum();
    assert!(
        org > per_user,
        "organisation cost includes usage no seat user is behind"
    );
    // Activity from `users` and from the Claude Code report agree on commits.
    let commits = |source| -> i64 {
        let f = allot_engine::load_activity(&files(dir.path(), source).unwrap(), None).unwrap();
        f.df.column("commits")
            .unwrap()
            .i64()
            .unwrap()
            .iter()
            .flatten()
            .sum::<i64>()
    };
    let expected: i64 = days(d("2026-09-01"), d("2026-09-06"))
        .flat_map(|day| allot_fake_api::truth::activity(&state.org, day))
        .map(|(_, a)| a.commits)
        .sum();
    assert!(expected > 0);
    assert_eq!(commits(Source::Activity), expected);
    assert_eq!(commits(Source::ClaudeCode), expected);
    assert_eq!(s.settled_days + s.provisional_days, 5 * 9);
    assert_eq!(s.provisional_days, 0, "September is over 30 days old");
    assert!(s.retries == 0 && s.restarts == 0);
    // Windows of 31 days: one request each for per-user usage and cost (1000 units a page
    // covers five days of the demo), org usage, org cost, the daily totals and summaries; one
    // a day for the rest; and the Admin API's three listings (one page each).
    assert!(
        s.requests <= 2 * 2 + 2 + 1 + 1 + 5 * 5 + 3,
        "{} requests",
        s.requests
    );
}

#[test]
fn a_second_sync_fetches_only_missing_and_provisional_days_and_records_restatements() {
    let state = fake(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    // 2026-10-20..2026-10-26: provisional on 2026-11-23; 2026-10-10..12 settled.
    let o = opts("2026-10-10", "2026-10-26");
    run_sync(&state, dir.path(), &o).unwrap();
    let before = read_state(dir.path()).unwrap();
    assert_eq!(before.days["cost"].len(), 17);
    state.revise();
    // A sync the same day asks nothing again.
    let s = run_sync(&state, dir.path(), &o).unwrap();
    assert_eq!(s.days.get("cost"), None, "{s:?}");
    assert_eq!(s.fresh.get("cost"), Some(&2), "{s:?}");
    // The next day's: fetched on 2026-11-23, 2026-10-10..24 are settled; 10-25 and 10-26 are
    // provisional, their daily totals moved, so they are fetched again.
    let o = SyncOptions {
        today: d("2026-11-24"),
        ..o
    };
    let s = run_sync(&state, dir.path(), &o).unwrap();
    assert_eq!(s.kept.get("cost"), Some(&15), "{s:?}");
    assert_eq!(
        s.days.get("cost"),
        Some(&2),
        "only the provisional days are fetched again"
    );
    assert!(s.restated_rows > 0 && s.restated_nanos > 0, "{s:?}");
    assert_eq!(
        stored_costs(dir.path(), Source::Cost),
        truth(&state, "2026-10-10", "2026-10-26")
    );
    // One record per version that moved a day, each named by the sync's day and committed
    // with the days it moved.
    let restated: Vec<String> = crate::store::Snapshot::read(dir.path())
        .unwrap()
        .restatement_files()
        .into_iter()
        .map(|(v, p)| {
            assert!(v.is_some(), "committed by a version");
            p.file_name().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    assert!(!restated.is_empty());
    assert!(
        restated.iter().all(|n| n.contains("-2026-11-24-")),
        "{restated:?}"
    );
    // --refresh fetches settled days again.
    let s = run_sync(&state, dir.path(), &SyncOptions { refresh: true, ..o }).unwrap();
    assert_eq!(s.days.get("cost"), Some(&17));
}

/// The days of `source` the newest version of the store records.
fn days_of(root: &std::path::Path, source: Source) -> usize {
    crate::store::Snapshot::read(root)
        .unwrap()
        .entries(source)
        .len()
}

/// Every restatement record a store holds, sorted.
fn restatements_in(root: &std::path::Path) -> Vec<allot_engine::table_parquet::Restatement> {
    let files: Vec<std::path::PathBuf> = crate::store::Snapshot::read(root)
        .unwrap()
        .restatement_files()
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let mut all = allot_engine::table_parquet::read_restatements(&files).unwrap();
    all.sort();
    all
}

/// Stops a sync (a panic unwinding out of it, as a kill would) after `at` steps.
struct KillAt {
    steps: std::sync::atomic::AtomicU64,
    at: u64,
}

impl crate::Progress for KillAt {
    fn plan(&self, _: u64) {}
    fn step(&self, _: &str) {
        let step = self.steps.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        assert!(step != self.at, "killed at step {}", self.at);
    }
}

#[test]
fn a_sync_killed_against_revised_data_leaves_the_restatements_a_clean_run_does() {
    let first = opts("2026-10-10", "2026-10-26");
    let synced_then_revised = |root: &std::path::Path| {
        let state = fake(Faults::default());
        run_sync(&state, root, &first).unwrap();
        state.revise();
        state
    };
    // The next day's run finds the revision.
    let o = SyncOptions {
        today: d("2026-11-24"),
        ..first.clone()
    };
    let clean = tempfile::tempdir().unwrap();
    let state = synced_then_revised(clean.path());
    run_sync(&state, clean.path(), &o).unwrap();
    let want = restatements_in(clean.path());
    assert!(!want.is_empty());
    // Two steps: the per-user and the organisation reports of the two revised days.
    for at in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let state = synced_then_revised(dir.path());
        let killed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let rt = runtime();
            rt.block_on(async {
                let base = allot_fake_api::spawn(state.clone()).await.unwrap();
                let mut store = Store::open(dir.path(), false).unwrap();
                let kill = KillAt {
                    steps: std::sync::atomic::AtomicU64::new(0),
                    at,
                };
                sync(&mut store, &client(&base, 100_000), &keys(), &o, &kill).await
            })
        }));
        assert!(killed.is_err(), "the sync was not stopped at step {at}");
        run_sync(&state, dir.path(), &o).unwrap();
        assert_eq!(restatements_in(dir.path()), want, "killed at step {at}");
        assert_eq!(
            stored_costs(dir.path(), Source::Cost),
            truth(&state, "2026-10-10", "2026-10-26")
        );
    }
}

#[test]
fn a_lost_day_file_is_fetched_again_and_a_newer_store_is_refused() {
    let state = fake(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let o = opts("2026-09-10", "2026-09-20");
    run_sync(&state, dir.path(), &o).unwrap();
    let file_of = |day: &str| {
        crate::store::Snapshot::read(dir.path())
            .unwrap()
            .file_of(Source::Cost, d(day))
            .unwrap()
            .path
            .clone()
    };
    let lost = file_of("2026-09-15");
    std::fs::remove_file(&lost).unwrap();
    let problems = crate::store::verify(dir.path(), true).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        (problems[0].source, problems[0].day),
        (Source::Cost, d("2026-09-15"))
    );
    // Settled days are not fetched again, but a lost one is.
    let s = run_sync(&state, dir.path(), &o).unwrap();
    assert_eq!(s.days.get("cost"), Some(&1), "{s:?}");
    assert!(crate::store::verify(dir.path(), true).unwrap().is_empty());
    // A damaged file is named by the deep check.
    std::fs::write(file_of("2026-09-15"), b"PAR1 not a parquet file PAR1").unwrap();
    let problems = crate::store::verify(dir.path(), true).unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    // A store of a newer format is refused, naming what to do.
    std::fs::write(dir.path().join("store.json"), "{\"format\": 99}").unwrap();
    let e = read_state(dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("version 99") && e.contains("upgrade allot"),
        "{e}"
    );
}

#[test]
fn the_client_survives_every_fault_and_still_gets_the_truth() {
    // Twelve days of per-user cost take several pages, so cursors are used (and expire).
    let state = fake(Faults {
        expire_cursor_every: Some(3),
        ..Faults::all()
    });
    let dir = tempfile::tempdir().unwrap();
    let s = run_sync(&state, dir.path(), &opts("2026-09-01", "2026-09-12")).unwrap();
    assert!(s.retries > 0 && s.restarts > 0, "{s:?}");
    assert_eq!(
        stored_costs(dir.path(), Source::Cost),
        truth(&state, "2026-09-01", "2026-09-12")
    );
    let org: i128 = stored_costs(dir.path(), Source::OrgCost)
        .values()
        .map(|v| v.0)
        .sum();
    assert_eq!(org, org_total(&state, "2026-09-01", "2026-09-12"));
}

#[test]
fn each_fault_alone_is_survived_and_the_facts_stay_exact() {
    let one = |f: Faults| {
        let state = fake(f);
        let dir = tempfile::tempdir().unwrap();
        let s = run_sync(&state, dir.path(), &opts("2026-10-20", "2026-10-27")).unwrap();
        assert_eq!(
            stored_costs(dir.path(), Source::Cost),
            truth(&state, "2026-10-20", "2026-10-27")
        );
        s
    };
    for code in [429, 500, 503, 504] {
        let s = one(Faults {
            error_every: Some((7, code)),
            ..Faults::default()
        });
        assert!(s.retries > 0, "{code}: {s:?}");
    }
    let s = one(Faults {
        expire_cursor_every: Some(1),
        ..Faults::default()
    });
    assert!(s.restarts > 0, "410: {s:?}");
    for (drop, truncate) in [(Some(4), None), (None, Some(4))] {
        let s = one(Faults {
            drop_every: drop,
            truncate_every: truncate,
            ..Faults::default()
        });
        assert!(s.retries > 0, "{drop:?} {truncate:?}: {s:?}");
    }
}

#[test]
fn a_request_that_times_out_is_retried() {
    let state = fake(Faults {
        slow_every: Some((2, Duration::from_millis(1500))),
        ..Faults::default()
    });
    let rt = runtime();
    let (pages, retries) = rt.block_on(async {
        let base = allot_fake_api::spawn(state.clone()).await.unwrap();
        let c = Client::new(ClientConfig {
            base_url: base,
            rate_per_minute: 100_000,
            max_attempts: 5,
            backoff: Duration::from_millis(2),
            max_backoff: Duration::from_millis(20),
            timeout: Duration::from_millis(400),
        })
        .unwrap();
        let key = ApiKey::new(KEY);
        let mut pages = 0;
        for day in ["2026-09-01", "2026-09-02"] {
            let p = vec![("date".to_string(), day.to_string())];
            pages += c
                .pages("/v1/organizations/analytics/connectors", &key, &p)
                .await
                .unwrap()
                .len();
        }
        (
            pages,
            c.stats().retries.load(std::sync::atomic::Ordering::Relaxed),
        )
    });
    assert_eq!(pages, 2);
    assert!(retries >= 1, "the slow answer timed out and was retried");
}

#[test]
fn rate_limits_are_honoured_with_retry_after() {
    // The fake allows 600 requests a minute (a burst of 600, then 10 a second); the client
    // believes it may send far more. The 429s' retry-after makes it wait instead of failing.
    let state = State::new(Config {
        rate_per_minute: 600,
        ..Config::new(today(), KEY)
    });
    let rt = runtime();
    let (n, limited) = rt.block_on(async {
        let base = allot_fake_api::spawn(state.clone()).await.unwrap();
        let c = client(&base, 100_000);
        let key = ApiKey::new(KEY);
        let mut n = 0;
        for day in ["2026-09-01", "2026-09-02", "2026-09-03"] {
            let p = vec![
                ("date".to_string(), day.to_string()),
                ("limit".into(), "1000".into()),
            ];
            for _ in 0..205 {
                n += c
                    .pages("/v1/organizations/analytics/skills", &key, &p)
                    .await
                    .unwrap()
                    .len();
            }
        }
        (
            n,
            c.stats()
                .rate_limited
                .load(std::sync::atomic::Ordering::Relaxed),
        )
    });
    assert_eq!(n, 615);
    assert!(limited > 0, "the fake answered 429 and the client waited");
}

#[test]
fn refusals_name_the_endpoint_and_never_the_key() {
    let state = State::new(Config {
        rate_per_minute: 100_000,
        engagement_lag_days: 3,
        ..Config::new(today(), KEY)
    });
    let rt = runtime();
    rt.block_on(async {
        let base = allot_fake_api::spawn(state.clone()).await.unwrap();
        let c = client(&base, 100_000);
        let wrong = ApiKey::new("sk-ant-wrong-secret-key");
        let p = vec![(
            "starting_at".to_string(),
            "2026-09-01T00:00:00Z".to_string(),
        )];
        let e = c
            .pages("/v1/organizations/analytics/user_cost_report", &wrong, &p)
            .await
            .unwrap_err();
        let msg = format!("{e} {e:?}");
        assert!(
            msg.contains("user_cost_report") && msg.contains("401"),
            "{msg}"
        );
        assert!(!msg.contains("wrong-secret"), "{msg}");
        let e = c
            .pages(
                "/v1/organizations/analytics/users",
                &wrong,
                &[("date".into(), "2026-09-01".into())],
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("404") && e.to_string().contains("read:analytics"),
            "{e}"
        );
        // An Analytics key on the Admin endpoint is refused too.
        let e = c
            .pages(
                "/v1/organizations/usage_report/claude_code",
                &ApiKey::new(KEY),
                &[("starting_at".into(), "2026-09-01".into())],
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("401") && !e.to_string().contains(KEY),
            "{e}"
        );
        // A day not yet available is a 400 naming the latest day.
        let e = c
            .pages(
                "/v1/organizations/analytics/users",
                &ApiKey::new(KEY),
                &[("date".into(), "2026-11-22".into())],
            )
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("2026-11-20") && e.to_string().contains("400"),
            "{e}"
        );
    });
}

#[test]
fn a_missing_key_skips_its_sources_and_says_so() {
    let state = fake(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime();
    let s = rt
        .block_on(async {
            let base = allot_fake_api::spawn(state.clone()).await.unwrap();
            let mut store = Store::open(dir.path(), false)?;
            let only_admin = Keys {
                analytics: None,
                admin: keys().admin,
            };
            sync(
                &mut store,
                &client(&base, 100_000),
                &only_admin,
                &opts("2026-09-01", "2026-09-02"),
                &Quiet,
            )
            .await
        })
        .unwrap();
    assert_eq!(s.skipped.len(), 7, "{:?}", s.skipped);
    assert!(s
        .skipped
        .iter()
        .all(|m| m.contains("ANTHROPIC_ANALYTICS_API_KEY")));
    assert_eq!(days_of(dir.path(), Source::ClaudeCode), 2);
    assert!(files(dir.path(), Source::Cost).unwrap().is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    /// Whatever faults are injected, the synced per-user facts equal the ground truth.
    #[test]
    fn synced_facts_equal_the_ground_truth_whatever_the_faults(
        error_every in prop::option::of((2u64..9, prop::sample::select(vec![429u16, 500, 503, 504]))),
        expire in prop::option::of(2u64..7),
        drop in prop::option::of(2u64..9),
        truncate in prop::option::of(2u64..9),
        start in 0i64..20,
        len in 1i64..4,
        revise in any::<bool>(),
    ) {
        let faults = Faults {
            error_every,
            expire_cursor_every: expire,
            drop_every: drop,
            truncate_every: truncate,
            slow_every: None,
            drift: false,
        };
        let state = fake(faults);
        if revise {
            state.revise();
        }
        let from = d("2026-10-10") + chrono::Duration::days(start);
        let to = from + chrono::Duration::days(len - 1);
        let dir = tempfile::tempdir().unwrap();
        let mut o = opts(&from.to_string(), &to.to_string());
        o.refresh = true;
        run_sync(&state, dir.path(), &o).unwrap();
        prop_assert_eq!(
            stored_costs(dir.path(), Source::Cost),
            truth(&state, &from.to_string(), &to.to_string())
        );
    }
}

#[test]
fn the_check_knows_every_endpoint_and_names_what_changed() {
    use crate::check::{check, Outcome};
    let rt = runtime();
    let probe = |faults: Faults, keys: Keys| {
        let state = fake(faults);
        rt.block_on(async {
            let base = allot_fake_api::spawn(state).await.unwrap();
            check(&client(&base, 100_000), &keys, today()).await
        })
    };
    let all = probe(Faults::default(), keys());
    assert_eq!(all.len(), 12);
    for p in &all {
        assert!(matches!(p.outcome, Outcome::Known(_)), "{p:?}");
    }
    // Without the Admin key its endpoint is skipped, not a problem.
    let some = probe(
        Faults::default(),
        Keys {
            analytics: Some(ApiKey::new(KEY)),
            admin: None,
        },
    );
    assert!(some
        .iter()
        .any(|p| p.outcome == Outcome::NoKey && !p.is_problem()));
    // A wrong key is refused, with what to check.
    let wrong = probe(
        Faults::default(),
        Keys {
            analytics: Some(ApiKey::new("sk-ant-wrong")),
            admin: None,
        },
    );
    assert!(
        wrong
            .iter()
            .any(|p| matches!(p.outcome, Outcome::Refused(401, _))),
        "{wrong:?}"
    );
    assert!(
        wrong
            .iter()
            .any(|p| matches!(p.outcome, Outcome::Refused(404, _))),
        "{wrong:?}"
    );
    // An API that renamed fields: the endpoints whose answers allot can no longer read say
    // which field is gone; the others still read.
    let drifted = probe(
        Faults {
            drift: true,
            ..Faults::default()
        },
        keys(),
    );
    let outcome = |e: &str| {
        drifted
            .iter()
            .find(|p| p.endpoint.ends_with(e))
            .map(|p| p.outcome.clone())
            .unwrap()
    };
    for (e, field) in [
        ("analytics/cost", "amount"),
        ("user_cost_report", "amount"),
        ("/cost_report", "amount"),
        ("/users", "user.email_address"),
        ("claude_code", "email_address"),
    ] {
        match outcome(e) {
            Outcome::Mismatch(why) => assert!(why.contains(field), "{e}: {why}"),
            other => panic!("{e}: {other:?}"),
        }
    }
    assert!(matches!(outcome("summaries"), Outcome::Known(_)));
}

/// Exact cost and tokens of every actor per day and component, as the fake serves it.
fn actor_truth(state: &State, from: &str, to: &str) -> Truth {
    let mut m = Truth::new();
    for day in days(d(from), d(to).succ_opt().unwrap()) {
        for a in allot_fake_api::truth::actor_costs(&state.org, day, today(), state.revision()) {
            let f = a.fact;
            let e = m
                .entry((
                    f.date,
                    allot_fake_api::truth::identity(&a.actor),
                    f.product,
                    f.model,
                    f.context_window,
                    f.cost_type,
                    f.token_type,
                ))
                .or_default();
            e.0 += i128::from(f.cost_nanos);
            e.1 += f.tokens;
        }
    }
    m.retain(|_, v| *v != (0, 0));
    m
}

fn new_api(mut o: SyncOptions) -> SyncOptions {
    o.cost_api = crate::CostApi::Auto;
    o
}

#[test]
fn the_usage_and_cost_analytics_api_gives_every_actor_its_cost_equal_to_the_truth() {
    let state = fake(Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let s = run_sync(
        &state,
        dir.path(),
        &new_api(opts("2026-09-01", "2026-09-05")),
    )
    .unwrap();
    // One truth per day: the new API replaces both older cost reports.
    assert_eq!(days_of(dir.path(), Source::ActorCost), 5);
    assert!(files(dir.path(), Source::Cost).unwrap().is_empty());
    assert!(files(dir.path(), Source::OrgCost).unwrap().is_empty());
    let stored = stored_costs(dir.path(), Source::ActorCost);
    assert_eq!(stored, actor_truth(&state, "2026-09-01", "2026-09-05"));
    // The whole organisation's cost, every nano-dollar: the older organisation report's total.
    let total: i128 = stored.values().map(|v| v.0).sum();
    assert_eq!(total, org_total(&state, "2026-09-01", "2026-09-05"));
    // Every kind of actor is there, named where the API names it.
    for who in [
        "api_key:apikey_01EvalsNightly7Qm2",
        "service_account:svac_01EtlPipeline9ZtD",
        "api_key:apikey_01Sandbox5RbYe",
        "federated:spiffe://example.com/ns/batch/sa/report-builder",
        "actor:agent_actor/agent_01Triage2MfK",
        "unattributed:org",
    ] {
        assert!(stored.keys().any(|k| k.1 == who), "{who}");
    }
    let names = crate::store::read_names(dir.path()).unwrap();
    assert_eq!(
        names.get("api_key:apikey_01EvalsNightly7Qm2"),
        Some("nightly-evals")
    );
    assert_eq!(
        names.get("service_account:svac_01EtlPipeline9ZtD"),
        Some("etl-pipeline")
    );
    // Fallbacks: the key and workspace a request came with.
    let rows = allot_engine::load_costs(
        &files(dir.path(), Source::ActorCost).unwrap(),
        &["via"],
        None,
    )
    .unwrap();
    let via: std::collections::BTreeSet<(String, String)> = {
        let e = rows.df.column("email").unwrap().str().unwrap().clone();
        let v = rows.df.column("via").unwrap().str().unwrap().clone();
        e.iter()
            .zip(v.iter())
            .map(|(a, b)| (a.unwrap_or("").to_string(), b.unwrap_or("").to_string()))
            .collect()
    };
    assert!(via.contains(&(
        "service_account:svac_01EtlPipeline9ZtD".into(),
        "api_key:apikey_01EtlIngest5Lw8|workspace:wrkspc_01Automation4KxQ".into()
    )));
    assert!(via.contains(&(
        "api_key:apikey_01Sandbox5RbYe".into(),
        "workspace:default".into()
    )));
    assert!(
        via.contains(&("actor:agent_actor/agent_01Triage2MfK".into(), String::new())),
        "an unknown kind of actor is never charged through its key"
    );
    assert!(via.iter().any(|(_, v)| v == "api_key:apikey_01DevShared3HnVc|workspace:wrkspc_01Engineering8PwT"), "users on the shared key");
    assert!(
        s.days.get("actor_cost") == Some(&5) && !s.days.contains_key("cost"),
        "{s:?}"
    );
    // Two requests (usage, cost) for the window: the demo's five days fit one page each.
    assert!(s.warnings.iter().all(|w| !w.contains("answered")), "{s:?}");
}

#[test]
fn the_new_api_survives_every_fault_and_revisions_restate_per_actor() {
    let state = fake(Faults {
        expire_cursor_every: Some(2),
        ..Faults::all()
    });
    let dir = tempfile::tempdir().unwrap();
    // Twelve days are more than a page of 1000 rows: cursors are used, and expire.
    let o = new_api(opts("2026-10-20", "2026-10-31"));
    let s = run_sync(&state, dir.path(), &o).unwrap();
    assert!(s.retries > 0 && s.restarts > 0, "{s:?}");
    assert_eq!(
        stored_costs(dir.path(), Source::ActorCost),
        actor_truth(&state, "2026-10-20", "2026-10-31")
    );
    // Fetched on 2026-11-23, days after 10-24 are provisional: the next day, revised values
    // are fetched again and what moved is recorded.
    state.revise();
    let o = SyncOptions {
        today: d("2026-11-24"),
        ..o
    };
    let s = run_sync(&state, dir.path(), &o).unwrap();
    assert_eq!(s.days.get("actor_cost"), Some(&7), "{s:?}");
    assert!(s.restated_rows > 0 && s.restated_nanos > 0, "{s:?}");
    assert_eq!(
        stored_costs(dir.path(), Source::ActorCost),
        actor_truth(&state, "2026-10-20", "2026-10-31")
    );
}

#[test]
fn an_organisation_without_the_new_api_falls_back_to_the_enterprise_reports() {
    let state = State::new(Config {
        rate_per_minute: 100_000,
        usage_cost_api: false,
        ..Config::new(today(), KEY)
    });
    let dir = tempfile::tempdir().unwrap();
    let s = run_sync(
        &state,
        dir.path(),
        &new_api(opts("2026-09-01", "2026-09-03")),
    )
    .unwrap();
    assert!(files(dir.path(), Source::ActorCost).unwrap().is_empty());
    assert_eq!(
        stored_costs(dir.path(), Source::Cost),
        truth(&state, "2026-09-01", "2026-09-03")
    );
    assert_eq!(days_of(dir.path(), Source::OrgCost), 3);
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("answered 404") && w.contains("Enterprise")),
        "{s:?}"
    );
    // Asked for the new API only, the refusal is an error naming the endpoint.
    let e = run_sync(
        &state,
        tempfile::tempdir().unwrap().path(),
        &SyncOptions {
            cost_api: crate::CostApi::Analytics,
            ..opts("2026-09-01", "2026-09-03")
        },
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("analytics/cost") || e.to_string().contains("analytics/usage"),
        "{e}"
    );
}
