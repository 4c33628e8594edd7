//! `allot.toml`: found in the working directory, by `--config` or `ALLOT_CONFIG`; its settings
//! are the flags' defaults (a flag wins), relative to the file; no secret in it; `allot config`
//! shows each setting's source with secrets redacted; `allot init --fake` and then `allot sync
//! && allot alerts && allot serve` with no other flag run against the fake; `--log-format json`.

use std::path::Path;

use crate::serve::{get, serve_in};
use crate::support::{allot, allot_env, demo, read_csv};

/// A settings file naming the demo's store, mapping, cloud bill and budgets, with reports
/// under `out` beside it (a relative path: relative to the file).
fn demo_settings(dir: &Path) -> std::path::PathBuf {
    let d = demo();
    let file = dir.join("allot.toml");
    std::fs::write(
        &file,
        format!(
            "store = {store}\nmapping = {mapping}\ncost = [{bill}]\nbudgets = {budgets}\nout = \"out\"\n\n[focus]\ntag = \"team\"\n",
            store = quoted(&d.join("store")),
            mapping = quoted(&d.join("input/org-mapping.csv")),
            bill = quoted(&d.join("input/bedrock-focus.csv")),
            budgets = quoted(&d.join("input/budgets.csv")),
        ),
    )
    .unwrap();
    file
}

/// A path as a TOML string.
fn quoted(path: &Path) -> String {
    toml_string(&path.to_string_lossy())
}

fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The same run with every flag on the command line.
fn with_flags(dir: &Path, args: &[&str]) -> Vec<String> {
    let d = demo();
    let mut all: Vec<String> = args.iter().map(ToString::to_string).collect();
    for (flag, value) in [
        ("--store", d.join("store")),
        ("--mapping", d.join("input/org-mapping.csv")),
        ("--cost", d.join("input/bedrock-focus.csv")),
    ] {
        all.push(flag.into());
        all.push(value.to_string_lossy().into_owned());
    }
    all.extend(["--focus-tag".into(), "team".into(), "--out".into()]);
    all.push(dir.to_string_lossy().into_owned());
    all
}

#[test]
fn a_settings_file_in_the_working_directory_makes_every_flag_optional() {
    let dir = tempfile::tempdir().unwrap();
    demo_settings(dir.path());
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // `out` is relative to the file: reports/<month> under it.
    let got = std::fs::read_to_string(dir.path().join("out/2026-10/chargeback.csv")).unwrap();
    let flags = tempfile::tempdir().unwrap();
    let args = with_flags(
        flags.path(),
        &[
            "chargeback",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
        ],
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = allot(flags.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let want = std::fs::read_to_string(flags.path().join("chargeback.csv")).unwrap();
    assert_eq!(
        got, want,
        "the settings file gives the same chargeback as the flags"
    );
    // The Bedrock bill from `cost` is charged back (its tag names the cost center).
    assert!(read_csv(&dir.path().join("out/2026-10/chargeback.csv")).len() > 3);

    // Budgets and the focus tag reach the alerts; the alerts go under `out` too.
    let run = allot(
        dir.path(),
        &["alerts", "--as-of", "2026-11-23", "--format", "csv"],
    );
    assert!(run.code == 0 || run.code == 3, "{}", run.stderr);
    let alerts = read_csv(&dir.path().join("out/alerts/alerts.csv"));
    assert!(alerts.iter().any(|a| a["rule"] == "budget"), "{alerts:?}");

    // A flag wins over the file: --out, and --mapping naming a missing file is that file's error.
    let elsewhere = dir.path().join("elsewhere");
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
            "--out",
            elsewhere.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(elsewhere.join("chargeback.csv").is_file());
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-23",
            "--mapping",
            "nowhere.csv",
        ],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("nowhere.csv"), "{}", run.stderr);

    // Fact files on the command line are read instead of the file's store.
    let cost = crate::support::fixture("handmade/cost.csv");
    let mapping = crate::support::fixture("handmade/mapping.csv");
    let from_files = |cwd: &Path, out: &Path| {
        let run = allot(
            cwd,
            &[
                "chargeback",
                "--month",
                "2026-09",
                "--as-of",
                "2026-11-23",
                "--format",
                "csv",
                "--cost",
                cost.to_str().unwrap(),
                "--mapping",
                mapping.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
    };
    let files = dir.path().join("files");
    from_files(dir.path(), &files);
    let direct = tempfile::tempdir().unwrap();
    from_files(direct.path(), direct.path());
    assert_eq!(
        std::fs::read_to_string(files.join("chargeback.csv")).unwrap(),
        std::fs::read_to_string(direct.path().join("chargeback.csv")).unwrap()
    );
}

#[test]
fn the_file_is_found_by_flag_or_environment_and_its_paths_are_relative_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = demo_settings(dir.path());
    let cwd = tempfile::tempdir().unwrap();
    let args = [
        "chargeback",
        "--month",
        "2026-10",
        "--as-of",
        "2026-11-23",
        "--format",
        "csv",
    ];
    let mut with_flag = vec!["--config", file.to_str().unwrap()];
    with_flag.extend(args);
    let run = allot(cwd.path(), &with_flag);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("out/2026-10/chargeback.csv").is_file());
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let run = allot_env(
        cwd.path(),
        &args,
        &[("ALLOT_CONFIG", file.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.path().join("out/2026-10/chargeback.csv").is_file());
    assert!(!cwd.path().join("reports").exists());
    // Without it, the flags are required as before.
    let run = allot(cwd.path(), &args);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--mapping"), "{}", run.stderr);
}

#[test]
fn a_typo_or_a_secret_in_the_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("stor = \"x\"\n", "stor"),
        ("[serve]\ntoken = \"0123456789abcdef0123\"\n", "token_file"),
        (
            "[alerts]\nnotify_url = \"https://hooks.example/abc\"\n",
            "notify_url_file",
        ),
        ("[sync]\napi_key = \"sk-ant-xyz\"\n", "key_file"),
    ];
    for (text, says) in cases {
        std::fs::write(dir.path().join("allot.toml"), text).unwrap();
        let run = allot(dir.path(), &["chargeback", "--month", "2026-10"]);
        assert_eq!(run.code, 2, "{text}: {}", run.stderr);
        assert!(run.stderr.contains("allot.toml"), "{}", run.stderr);
        assert!(run.stderr.contains(says), "{text}: {}", run.stderr);
        for secret in ["0123456789abcdef0123", "hooks.example", "sk-ant-xyz"] {
            assert!(!run.stderr.contains(secret), "{}", run.stderr);
        }
        // `allot config` says the same; `allot init --force` still rewrites it.
        let shown = allot(dir.path(), &["config"]);
        assert_eq!(shown.code, 2, "{}", shown.stdout);
    }
    let run = allot(dir.path(), &["init", "--yes", "--force"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(allot(dir.path(), &["config"]).code, 0);
}

#[test]
fn config_shows_each_setting_and_its_source_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    demo_settings(dir.path());
    let token = dir.path().join("token");
    std::fs::write(&token, "a-very-secret-token-of-thirty-chars\n").unwrap();
    let mut text = std::fs::read_to_string(dir.path().join("allot.toml")).unwrap();
    text.push_str("\n[serve]\ntoken_file = \"token\"\nport = 9999\n");
    std::fs::write(dir.path().join("allot.toml"), text).unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let file = dir.path().join("allot.toml");
    let run = allot_env(
        cwd.path(),
        &["config", "--config", file.to_str().unwrap()],
        &[
            ("ALLOT_NOTIFY_URL", "https://hooks.example/very-secret"),
            ("ANTHROPIC_ANALYTICS_API_KEY", "sk-ant-never-shown"),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(out.contains("named by --config"), "{out}");
    let line = |key: &str| {
        out.lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap_or_else(|| panic!("no `{key}` in {out}"))
            .to_string()
    };
    assert!(line("store").contains(&format!("from {}", file.display())));
    assert!(
        line("serve.port").starts_with("serve.port = 9999 "),
        "{out}"
    );
    // A relative path is shown resolved against the file's folder.
    assert!(line("serve.token_file").contains(&dir.path().join("token").display().to_string()));
    // The token's file is readable by others: said, and its content never shown.
    assert!(line("serve.token_file").contains("chmod 600"), "{out}");
    assert!(
        out.contains("# sync.rate                default: 60"),
        "{out}"
    );
    assert!(
        out.contains("ALLOT_NOTIFY_URL             set (secret, not shown)"),
        "{out}"
    );
    for secret in ["a-very-secret-token", "very-secret", "sk-ant-never-shown"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    let here = allot(dir.path(), &["config"]);
    assert!(
        here.stdout.contains("found in the working directory"),
        "{}",
        here.stdout
    );
    // Without a file, it says so and how to make one.
    let empty = tempfile::tempdir().unwrap();
    let run = allot(empty.path(), &["config"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("allot init"), "{}", run.stdout);
}

#[test]
fn init_then_sync_alerts_and_serve_with_no_other_flag_run_against_the_fake() {
    let today = chrono::Utc::now().date_naive().to_string();
    let fake = crate::sync::fake_with(
        &today,
        "sk-ant-fake-analytics",
        &["--events", "--rate", "100000"],
    );
    let dir = tempfile::tempdir().unwrap();
    let run = allot(dir.path(), &["init", "--fake", "--base-url", &fake.url]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in ["allot.toml", "org.csv", "budgets.csv", "keys"] {
        assert!(dir.path().join(file).is_file(), "{file}: {}", run.stderr);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("keys"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // A second init keeps what is there.
    let again = allot(dir.path(), &["init", "--fake"]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
    // The fake answers at once: the test lifts the sync's own pace (a setting like any other).
    let toml = std::fs::read_to_string(dir.path().join("allot.toml")).unwrap();
    let toml = toml
        .replace("# rate = 60", "rate = 1000000")
        .replace("# port = 8080", "port = 0");
    std::fs::write(dir.path().join("allot.toml"), toml).unwrap();

    let sync = allot(dir.path(), &["sync"]);
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert!(dir.path().join("allot-data").is_dir());
    let alerts = allot(dir.path(), &["alerts"]);
    assert!(alerts.code == 0 || alerts.code == 3, "{}", alerts.stderr);
    let rows = read_csv(&dir.path().join("reports/alerts/alerts.csv"));
    // The planted events fire: Mobile's ramp-up past its budget, a new heavy spender.
    for rule in ["budget", "new_spender"] {
        assert!(
            rows.iter().any(|r| r["rule"] == rule),
            "no {rule}: {rows:?}"
        );
    }
    let served = serve_in(dir.path(), &["serve"], &[]);
    let health = get(&served.base, "/healthz");
    assert_eq!(health.status, 200, "{}", health.body);
    let page = get(&served.base, "/");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("CC-1030"),
        "the overview names the teams"
    );
}

#[test]
fn log_format_json_writes_every_stderr_line_as_one_object() {
    let dir = tempfile::tempdir().unwrap();
    demo_settings(dir.path());
    let run = allot(
        dir.path(),
        &[
            "--log-format",
            "json",
            "-v",
            "chargeback",
            "--month",
            "2026-10",
            "--as-of",
            "2026-11-23",
            "--format",
            "csv",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run_err = allot(
        dir.path(),
        &[
            "--log-format",
            "json",
            "chargeback",
            "--month",
            "2026-10",
            "--mapping",
            "nowhere.csv",
        ],
    );
    assert_eq!(run_err.code, 2);
    let mut levels = std::collections::BTreeSet::new();
    for line in run.stderr.lines().chain(run_err.stderr.lines()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("`{line}` is not JSON: {e}"));
        assert!(
            v["message"].is_string() && v["timestamp"].is_string(),
            "{line}"
        );
        levels.insert(v["level"].as_str().unwrap().to_string());
    }
    assert!(
        levels.contains("INFO") && levels.contains("ERROR"),
        "{levels:?}"
    );
}

#[test]
fn a_store_synced_from_the_fake_with_its_events_raises_the_examples_alerts() {
    let fake = crate::sync::fake_with(
        "2026-11-23",
        "sk-ant-fake-analytics",
        &["--events", "--rate", "100000"],
    );
    let dir = tempfile::tempdir().unwrap();
    let run = allot(
        dir.path(),
        &["-q", "init", "--fake", "--base-url", &fake.url],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let toml = std::fs::read_to_string(dir.path().join("allot.toml")).unwrap();
    std::fs::write(
        dir.path().join("allot.toml"),
        toml.replace("# rate = 60", "rate = 1000000"),
    )
    .unwrap();
    let sync = allot(
        dir.path(),
        &[
            "-q",
            "sync",
            "--as-of",
            "2026-11-23",
            "--from",
            "2026-08-01",
        ],
    );
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    let alerts = allot(
        dir.path(),
        &["-q", "alerts", "--as-of", "2026-11-23", "--format", "csv"],
    );
    assert_eq!(alerts.code, 3, "critical alerts fire: {}", alerts.stderr);
    // The examples were made by `allot demo` (which also charges a Bedrock bill back, so a
    // spender's rank in a message may differ): every alert's rule, key, amounts and severity.
    let key = |r: &std::collections::HashMap<String, String>| {
        [
            "rule",
            "level",
            "key",
            "baseline_usd",
            "current_usd",
            "amount_usd",
            "severity",
        ]
        .map(|c| r[c].clone())
    };
    let got: Vec<_> = read_csv(&dir.path().join("reports/alerts/alerts.csv"))
        .iter()
        .map(key)
        .collect();
    let want: Vec<_> = read_csv(&crate::support::repo().join("reports/examples/alerts.csv"))
        .iter()
        .map(key)
        .collect();
    assert_eq!(got, want);
    assert!(got.iter().any(|r| r[6] == "critical"));
}
