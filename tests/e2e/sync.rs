//! `allot sync` against `allot fake-api` over real sockets: reports from the store, a sync
//! killed at any point resumes with no gap and no duplicate, a second sync is kept out, the
//! key never reaches any output, and the reconciliation becomes three-way.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::support::{money, read_csv, repo, Run};

const KEY: &str = "sk-ant-e2e-secret-4f9a";

/// `allot fake-api` on a free port, killed when dropped.
pub struct Fake {
    child: Child,
    pub url: String,
}

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn fake(extra: &[&str]) -> Fake {
    fake_on("2026-11-23", extra)
}

/// A fake whose today is `today`: a later day's run of the same organisation.
pub fn fake_on(today: &str, extra: &[&str]) -> Fake {
    fake_with(today, KEY, extra)
}

/// A fake whose today is `today` accepting the Analytics key `key` (and `key-admin`).
pub fn fake_with(today: &str, key: &str, extra: &[&str]) -> Fake {
    let mut child = Command::new(env!("CARGO_BIN_EXE_allot"))
        .args(["fake-api", "--port", "0", "--today", today, "--key", key])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    err.read_line(&mut line).unwrap();
    // Keep draining its stderr: a full pipe would stall the server.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    Fake {
        url: format!("http://{addr}"),
        child,
    }
}

pub fn sync_cmd(cwd: &Path, args: &[&str], admin: bool) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_allot"));
    c.arg("sync")
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("ANTHROPIC_ADMIN_API_KEY")
        .env("NO_COLOR", "1")
        .env("ANTHROPIC_ANALYTICS_API_KEY", KEY);
    if admin {
        c.env("ANTHROPIC_ADMIN_API_KEY", format!("{KEY}-admin"));
    }
    c
}

pub fn run(mut c: Command) -> Run {
    let out = c.output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Exact per-user cost of the demo organisation in `[from, to]` as the fake serves it.
pub fn truth(
    from: &str,
    to: &str,
) -> BTreeMap<(NaiveDate, String, String, String, String, String), i128> {
    let org = allot_synth::demo_org();
    let mut m = BTreeMap::new();
    for day in allot_fake_api::truth::days(d(from), d(to).succ_opt().unwrap()) {
        for u in allot_fake_api::truth::user_costs(&org, day, d("2026-11-23"), 0) {
            let f = u.fact;
            *m.entry((
                f.date,
                f.email,
                f.product,
                f.model,
                f.cost_type,
                f.token_type,
            ))
            .or_insert(0) += i128::from(f.cost_nanos);
        }
    }
    m
}

fn stored(store: &Path) -> BTreeMap<(NaiveDate, String, String, String, String, String), i128> {
    stored_in(store, allot_sync::Source::Cost)
}

/// Exact cost of every actor in `[from, to]` as the fake serves it through the Usage and Cost
/// Analytics API, keyed by the identity allot gives the actor.
pub fn actor_truth(
    from: &str,
    to: &str,
) -> BTreeMap<(NaiveDate, String, String, String, String, String), i128> {
    let org = allot_synth::demo_org();
    let mut m = BTreeMap::new();
    for day in allot_fake_api::truth::days(d(from), d(to).succ_opt().unwrap()) {
        for a in allot_fake_api::truth::actor_costs(&org, day, d("2026-11-23"), 0) {
            let who = allot_fake_api::truth::identity(&a.actor);
            let f = a.fact;
            *m.entry((f.date, who, f.product, f.model, f.cost_type, f.token_type))
                .or_insert(0) += i128::from(f.cost_nanos);
        }
    }
    m.retain(|_, v| *v != 0);
    m
}

fn stored_in(
    store: &Path,
    source: allot_sync::Source,
) -> BTreeMap<(NaiveDate, String, String, String, String, String), i128> {
    let files = allot_sync::store::files(store, source).unwrap();
    let mut m = BTreeMap::new();
    for f in allot_engine::cost_fact_rows(&files).unwrap() {
        *m.entry((
            f.date,
            f.email,
            f.product,
            f.model,
            f.cost_type,
            f.token_type,
        ))
        .or_insert(0) += i128::from(f.cost_nanos);
    }
    m.retain(|_, v| *v != 0);
    m
}

#[test]
fn a_legacy_sync_then_chargeback_and_three_way_reconcile_from_the_store() {
    // Organisations on the Enterprise per-user and organisation reports (`--cost-api legacy`,
    // or a key the Usage and Cost Analytics API refuses).
    let api = fake(&["--rate", "100000"]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    let args = [
        "--from",
        "2026-09-01",
        "--to",
        "2026-10-31",
        "--store",
        s,
        "--base-url",
        &api.url,
        "--as-of",
        "2026-11-23",
        "--rate",
        "100000",
        "--cost-api",
        "legacy",
        "-vv",
    ];
    let r = run(sync_cmd(dir.path(), &args, false));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("requests"), "{}", r.stderr);
    assert!(r.stderr.contains("provisional"), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("skipped: claude_code: no key (ANTHROPIC_ADMIN_API_KEY is not set)"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains(KEY) && !r.stdout.contains(KEY),
        "the key leaked"
    );
    assert_eq!(stored(&store), truth("2026-09-01", "2026-10-31"));

    // The chargeback from the store equals the demo's (same organisation, same month).
    let out = dir.path().join("cb");
    let mapping = repo().join("mappings/demo-org.csv");
    let cb = crate::support::allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            mapping.to_str().unwrap(),
            "--store",
            s,
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(cb.code, 0, "{}", cb.stderr);
    let total: Decimal = read_csv(&out.join("chargeback.csv"))
        .iter()
        .map(|r| money(&r["amount_usd"]))
        .sum();
    assert_eq!(total, money("19816.91"));
    // Reviews read activity from the store too.
    let eff = crate::support::allot(
        dir.path(),
        &[
            "efficiency",
            "--month",
            "2026-09",
            "--mapping",
            mapping.to_str().unwrap(),
            "--store",
            s,
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
            "--format",
            "csv",
        ],
    );
    assert_eq!(eff.code, 0, "{}", eff.stderr);
    let commits: i64 = read_csv(&out.join("efficiency.csv"))
        .iter()
        .map(|r| r["commits"].parse::<i64>().unwrap_or(0))
        .sum();
    assert!(commits > 100, "{commits}");

    // An invoice billing the organisation-level September cost matches; October is unsettled.
    let org = allot_synth::demo_org();
    let org_sept: i128 = allot_fake_api::truth::days(d("2026-09-01"), d("2026-10-01"))
        .flat_map(|day| allot_fake_api::truth::org_costs(&org, day, d("2026-11-23"), 0))
        .map(|f| i128::from(f.cost_nanos))
        .sum();
    let invoice_amount = Decimal::from_i128_with_scale(org_sept, 9)
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    let invoice = dir.path().join("invoice.csv");
    std::fs::write(
        &invoice,
        format!(
            "Billing Month,Description,Line Type,Amount\n2026-09,Claude usage,Usage,${invoice_amount}\n2026-09,Enterprise seats,,\"$4,080.00\"\n2026-10,Claude usage,Usage,$25000.00\n"
        ),
    )
    .unwrap();
    let rec_out = dir.path().join("rec");
    let rec = crate::support::allot(
        dir.path(),
        &[
            "reconcile",
            "--invoice",
            invoice.to_str().unwrap(),
            "--store",
            s,
            "--as-of",
            "2026-11-23",
            "--out",
            rec_out.to_str().unwrap(),
        ],
    );
    assert_eq!(rec.code, 0, "{}\n{}", rec.stdout, rec.stderr);
    let rows = read_csv(&rec_out.join("reconciliation.csv"));
    let sept = rows.iter().find(|r| r["month"] == "2026-09").unwrap();
    assert_eq!(sept["status"], "MATCH", "{sept:?}");
    assert_eq!(money(&sept["api_usd"]), invoice_amount);
    let per_user = money(&sept["per_user_usd"]);
    let not_attributable = money(&sept["not_attributable_usd"]);
    assert!(not_attributable > Decimal::ZERO, "{sept:?}");
    assert_eq!(per_user + not_attributable, money(&sept["org_api_usd"]));
    assert!(
        (per_user - money("19816.91")).abs() < money("0.01"),
        "{per_user}"
    );
    let oct = rows.iter().find(|r| r["month"] == "2026-10").unwrap();
    assert_eq!(oct["status"], "UNSETTLED");

    // The monthly close from the store: every day file is an input in the manifest, and the
    // three-way reconciliation is part of it.
    let close_dir = dir.path().join("close");
    let close = || {
        crate::support::allot(
            dir.path(),
            &[
                "close",
                "--month",
                "2026-09",
                "--mapping",
                mapping.to_str().unwrap(),
                "--store",
                s,
                "--invoice",
                invoice.to_str().unwrap(),
                "--as-of",
                "2026-11-23",
                "--dir",
                close_dir.to_str().unwrap(),
            ],
        )
    };
    let first = close();
    assert_eq!(first.code, 0, "{}", first.stderr);
    let v1 = close_dir.join("2026-09/v1");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(v1.join("manifest.json")).unwrap()).unwrap();
    let roles: Vec<&str> = manifest["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["role"].as_str().unwrap())
        .collect();
    assert!(
        roles.contains(&"org_cost") && roles.contains(&"activity"),
        "{roles:?}"
    );
    let rec = read_csv(&v1.join("reconciliation.csv"));
    assert_eq!(rec[0]["status"], "MATCH");
    let again = close();
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        !close_dir.join("2026-09/v2").exists(),
        "same store, same close"
    );
}

#[test]
fn a_killed_sync_resumes_without_gap_or_duplicate_and_a_second_sync_is_kept_out() {
    let api = fake(&["--rate", "100000", "--faults"]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.to_str().unwrap().to_string();
    let args = |rate: &'static str| -> Vec<String> {
        [
            "--from",
            "2026-08-01",
            "--to",
            "2026-10-31",
            "--store",
            &s,
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "--rate",
            rate,
            "--backoff-ms",
            "5",
            "-q",
        ]
        .iter()
        .map(|x| (*x).to_string())
        .collect()
    };
    let as_refs = |v: &Vec<String>| v.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
    // Slow syncs (a burst of 100 requests, then about 2 a second), killed at several points.
    let mut kills = 0;
    for wait_ms in [300u64, 1200, 2500] {
        let slow = args("100");
        let mut child = sync_cmd(
            dir.path(),
            &slow.iter().map(String::as_str).collect::<Vec<_>>(),
            true,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        std::thread::sleep(Duration::from_millis(wait_ms));
        if wait_ms == 1200 {
            // Meanwhile a second sync of the same store is refused, clearly.
            let second = run(sync_cmd(
                dir.path(),
                &slow.iter().map(String::as_str).collect::<Vec<_>>(),
                true,
            ));
            assert_eq!(second.code, 2, "{}", second.stderr);
            assert!(
                second.stderr.contains("another process"),
                "{}",
                second.stderr
            );
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(
        kills >= 2,
        "the syncs were killed mid-run ({})",
        as_refs(&args("100"))
    );
    let partial = allot_sync::store::read_state(&store).unwrap();
    let partial_days: usize = partial.days.values().map(BTreeMap::len).sum();
    // Resume at full speed.
    let fast = args("100000");
    let r = run(sync_cmd(
        dir.path(),
        &fast.iter().map(String::as_str).collect::<Vec<_>>(),
        true,
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let state = allot_sync::store::read_state(&store).unwrap();
    let days: usize = state.days.values().map(BTreeMap::len).sum();
    assert!(
        partial_days < days,
        "the kills left work to resume ({partial_days} of {days})"
    );
    assert_eq!(state.days["actor_cost"].len(), 92);
    // Every day once (settled months folded into a file each), no leftovers, and the facts
    // equal the ground truth exactly: every actor's cost (seat users, API keys, service
    // accounts...) from the Usage and Cost Analytics API.
    assert!(allot_sync::store::verify(&store, true).unwrap().is_empty());
    for entry in walk(&store) {
        assert!(!entry.contains(".tmp-"), "leftover {entry}");
    }
    assert_eq!(
        stored_in(&store, allot_sync::Source::ActorCost),
        actor_truth("2026-08-01", "2026-10-31")
    );
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            // A folder too: a killed sync's rows set aside by day are one.
            out.push(e.path().display().to_string());
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[test]
fn the_key_never_reaches_any_output() {
    let api = fake(&["--rate", "100000"]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    // A wrong key, at the most verbose level: a clear refusal, and no key in it.
    let mut c = sync_cmd(
        dir.path(),
        &[
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-02",
            "--store",
            store.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "-vv",
        ],
        false,
    );
    c.env("ANTHROPIC_ANALYTICS_API_KEY", "sk-ant-wrong-7d1c");
    let r = run(c);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("401") && r.stderr.contains("ANTHROPIC_ANALYTICS_API_KEY"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("sk-ant-wrong-7d1c") && !r.stdout.contains("sk-ant-wrong-7d1c"));
    // A key file readable by others is refused without echoing its contents.
    let file = dir.path().join("keys");
    std::fs::write(&file, format!("ANTHROPIC_ANALYTICS_API_KEY={KEY}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut c = sync_cmd(
            dir.path(),
            &[
                "--key-file",
                file.to_str().unwrap(),
                "--store",
                store.to_str().unwrap(),
                "--base-url",
                &api.url,
            ],
            false,
        );
        c.env_remove("ANTHROPIC_ANALYTICS_API_KEY");
        let r = run(c);
        assert_eq!(r.code, 2);
        assert!(
            r.stderr.contains("chmod 600") && !r.stderr.contains(KEY),
            "{}",
            r.stderr
        );
    }
    // Even at trace level, the HTTP stack's own logs do not show it.
    let mut c = sync_cmd(
        dir.path(),
        &[
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-01",
            "--store",
            dir.path().join("trace-store").to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
        ],
        true,
    );
    c.env("RUST_LOG", "trace");
    let r = run(c);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.len() > 1000, "trace logs were written");
    assert!(!r.stderr.contains(KEY) && !r.stdout.contains(KEY));
    // A successful, fully verbose sync and its store: the key is nowhere.
    let r = run(sync_cmd(
        dir.path(),
        &[
            "--from",
            "2026-09-01",
            "--to",
            "2026-09-02",
            "--store",
            store.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "-vv",
        ],
        true,
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains(KEY) && !r.stdout.contains(KEY));
    for f in walk(&store).into_iter().filter(|f| Path::new(f).is_file()) {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(KEY.len()).any(|w| w == KEY.as_bytes()),
            "{f} holds the key"
        );
    }
    // Dates the API cannot serve are refused before any request.
    let r = run(sync_cmd(
        dir.path(),
        &[
            "--from",
            "2025-12-01",
            "--to",
            "2026-01-05",
            "--store",
            store.to_str().unwrap(),
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
        ],
        true,
    ));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("before 2026-01-01"), "{}", r.stderr);
}

#[test]
fn sync_check_says_what_answers_and_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let f = fake(&[]);
    let out = sync_cmd(
        dir.path(),
        &["--check", "--base-url", &f.url, "--as-of", "2026-11-23"],
        true,
    )
    .output()
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("API check: 12 endpoints, 0 with a problem")
            && stdout.contains("analytics/cost")
            && stdout.contains("user_cost_report"),
        "{stdout}"
    );
    assert!(
        !dir.path().join("allot-data").exists(),
        "a check syncs nothing"
    );
    let drifted = fake(&["--drift"]);
    let out = sync_cmd(
        dir.path(),
        &[
            "--check",
            "--base-url",
            &drifted.url,
            "--as-of",
            "2026-11-23",
        ],
        true,
    )
    .output()
    .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("SHAPE CHANGED") && stdout.contains("`amount`"),
        "{stdout}"
    );
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
}

#[test]
fn names_come_from_the_admin_listings_dated_and_an_ambiguous_key_name_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    let sync_on = |today: &str, url: &str| {
        run(sync_cmd(
            dir.path(),
            &[
                "--from",
                "2026-10-01",
                "--to",
                "2026-11-22",
                "--store",
                s,
                "--base-url",
                url,
                "--as-of",
                today,
                "--rate",
                "100000",
            ],
            true,
        ))
    };
    let api = fake(&["--rate", "100000"]);
    let r = sync_on("2026-11-23", &api.url);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("is carried by"), "{}", r.stderr);
    drop(api);
    // The next day the sandbox key is renamed, and the ETL key given the shared key's name.
    let api = fake_on(
        "2026-11-24",
        &[
            "--rate",
            "100000",
            "--rename-key",
            "apikey_01Sandbox5RbYe=sandbox-retired",
            "--rename-key",
            "apikey_01EtlIngest5Lw8=dev-shared",
        ],
    );
    let r = sync_on("2026-11-24", &api.url);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("the API key name `dev-shared` is carried by 2 keys (apikey_01DevShared3HnVc, apikey_01EtlIngest5Lw8)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("name(s) changed since the last listing"),
        "{}",
        r.stderr
    );
    // A third run the same day lists nothing again.
    let again = sync_on("2026-11-24", &api.url);
    assert!(!again.stderr.contains("is carried by"), "{}", again.stderr);

    // October ended before the rename: its reports keep the old name; November's the new one.
    let name_in = |month: &str| {
        let out = dir.path().join(month);
        let r = crate::support::allot(
            dir.path(),
            &[
                "chargeback",
                "--month",
                month,
                "--store",
                s,
                "--as-of",
                "2026-11-24",
                "--mapping",
                crate::support::repo()
                    .join("mappings/demo-org.csv")
                    .to_str()
                    .unwrap(),
                "--format",
                "csv",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
        read_csv(&out.join("unmapped.csv"))
            .into_iter()
            .find(|row| row["email"] == "api_key:apikey_01Sandbox5RbYe")
            .map(|row| row["name"].clone())
            .unwrap()
    };
    assert_eq!(
        name_in("2026-10"),
        "API key \"sandbox\" (apikey_01Sandbox5RbYe)"
    );
    assert_eq!(
        name_in("2026-11"),
        "API key \"sandbox-retired\" (apikey_01Sandbox5RbYe)"
    );
}
