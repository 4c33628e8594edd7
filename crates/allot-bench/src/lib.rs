//! `allot bench`: generates a large synthetic organisation's facts (a month as CSV and
//! Parquet, or a year as twelve monthly Parquet files) and times allot on them beside python
//! polars and DuckDB doing the same effective-date join and sums (`bench/compare.py`), and the
//! sync's request count against the fewest possible.

use std::path::{Path, PathBuf};
use std::process::Command;

use allot_core::{Month, Nanos};
use allot_report::OutputSet;
use allot_synth::{scale_org, write_costs_csv, Intensity};

use allot_app::AppError;

/// The comparison script, embedded so the benchmark runs from any folder.
const COMPARE: &str = include_str!("../../../bench/compare.py");

/// What to generate and time.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    /// People in the organisation.
    pub people: u64,
    /// The month (or, with `year`, the last month of the twelve).
    pub month: Month,
    /// Folder for the generated data (kept between runs).
    pub dir: PathBuf,
    /// Skip the peers.
    pub no_peers: bool,
    /// Twelve monthly Parquet files and `allot trend --per month` over them.
    pub year: bool,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> AppError + '_ {
    move |source| AppError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Generates what is missing and runs the comparison with `exe` as allot; `say` reports progress.
pub fn run(spec: &BenchSpec, exe: &Path, say: &dyn Fn(&str)) -> Result<(), AppError> {
    let dir = &spec.dir;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let months: Vec<Month> = if spec.year {
        let mut m = spec.month;
        let mut v = vec![m];
        for _ in 0..11 {
            m = m.prev();
            v.push(m);
        }
        v.reverse();
        v
    } else {
        vec![spec.month]
    };
    let org = scale_org(spec.people);
    let mapping = dir.join("mapping.csv");
    if !mapping.exists() {
        let mut set = OutputSet::new(dir);
        set.write("mapping.csv", |w| w.write_all(org.mapping_csv().as_bytes()))
            .map_err(io(dir))?;
        set.commit().map_err(io(dir))?;
    }
    for m in &months {
        let marker = dir.join(format!("generated-{}-{m}", spec.people));
        if marker.exists() {
            continue;
        }
        let started = std::time::Instant::now();
        say(&format!(
            "bench: generating {} people for {m} into {}",
            spec.people,
            dir.display()
        ));
        let csv = dir.join(format!("cost-{m}.csv"));
        let mut set = OutputSet::new(dir);
        let mut summary = (0, Nanos::ZERO);
        set.write(&format!("cost-{m}.csv"), |w| {
            summary = write_costs_csv(&org, m.first_day(), m.last_day(), Intensity::Dense, w)?;
            Ok(())
        })
        .map_err(io(dir))?;
        set.commit().map_err(io(dir))?;
        allot_engine::load::costs_to_parquet(
            std::slice::from_ref(&csv),
            &dir.join(format!("cost-{m}.parquet")),
        )?;
        say(&format!(
            "bench: {} cost facts, ${} in {:.1} s",
            summary.0,
            summary.1,
            started.elapsed().as_secs_f64()
        ));
        if spec.year && *m != spec.month {
            // The year mode reads Parquet only; keep the one month's CSV for the month mode.
            std::fs::remove_file(&csv).map_err(io(&csv))?;
        }
        std::fs::write(&marker, b"").map_err(io(&marker))?;
    }
    for m in &months {
        let p = dir.join(format!("cost-{m}.parquet"));
        let size = std::fs::metadata(&p).map_or(0, |x| x.len());
        say(&format!(
            "bench: {} is {} MB",
            p.display(),
            size / 1_000_000
        ));
    }
    let script = dir.join("compare.py");
    std::fs::write(&script, COMPARE).map_err(io(&script))?;
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg("--allot")
        .arg(exe)
        .arg("--dir")
        .arg(dir)
        .arg("--month")
        .arg(spec.month.to_string());
    if spec.year {
        cmd.arg("--year").arg(months[0].to_string());
    }
    if spec.no_peers {
        cmd.arg("--no-peers");
    }
    let status = cmd.status().map_err(io(&script))?;
    if !status.success() {
        return Err(AppError::Usage(format!(
            "the benchmark script failed ({status})"
        )));
    }
    Ok(())
}

/// The key the benchmark's fakes accept.
const BENCH_KEY: &str = "sk-ant-bench-in-process";

/// `allot fake-api` for a `people`-person organisation as of `today` in its own process (not
/// rate limited): the child (killed when dropped) and its URL.
fn fake_process(
    exe: &Path,
    people: u64,
    today: chrono::NaiveDate,
) -> Result<(ChildGuard, String), AppError> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(exe)
        .args([
            "fake-api", "--port", "0", "--rate", "1000000", "--key", BENCH_KEY,
        ])
        .args([
            "--people",
            &people.to_string(),
            "--today",
            &today.to_string(),
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(io(exe))?;
    let mut err = std::io::BufReader::new(child.stderr.take().expect("piped"));
    let guard = ChildGuard(child);
    let mut line = String::new();
    err.read_line(&mut line).map_err(io(exe))?;
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let url = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .map(|a| format!("http://{a}"))
        .ok_or_else(|| AppError::Usage(format!("the fake API did not start: {line}")))?;
    Ok((guard, url))
}

/// A child process killed when dropped.
struct ChildGuard(std::process::Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Syncs over `from..=to` as of `today` from the fake at `url` (not rate limited) into the
/// store at `store_dir`.
fn sync_into(
    url: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
    today: chrono::NaiveDate,
    store_dir: &Path,
    refresh: bool,
) -> Result<allot_sync::Summary, AppError> {
    use allot_sync::{sync, ApiKey, Client, ClientConfig, Keys, Quiet, Store, SyncOptions};

    let key = BENCH_KEY;
    std::fs::create_dir_all(store_dir).map_err(io(store_dir))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(io(store_dir))?;
    runtime.block_on(async {
        let client = Client::new(ClientConfig {
            base_url: url.to_string(),
            rate_per_minute: 1_000_000,
            ..ClientConfig::default()
        })?;
        let keys = Keys {
            analytics: Some(ApiKey::new(key)),
            admin: Some(ApiKey::new(format!("{key}-admin"))),
        };
        let mut store = Store::open(store_dir, false)?;
        let opts = SyncOptions {
            from,
            to,
            today,
            refresh,
            engagement_lag_days: 1,
            concurrency: 4,
            cost_api: allot_sync::CostApi::Auto,
        };
        Ok::<_, AppError>(sync(&mut store, &client, &keys, &opts, &Quiet).await?)
    })
}

/// Which layout a benchmark store's cost is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreLayout {
    /// The older per-user report's (`facts/cost`): one row per person, day and component.
    PerUser,
    /// The Usage and Cost Analytics API's (`facts/actor_cost`): the same rows with the key,
    /// workspace and fallbacks (`via`) of each (some engineers on a shared key), and the
    /// organisation's non-seat cost on an API key that falls back to its workspace, so every
    /// load resolves identities as a synced store's does.
    PerActor,
}

/// A store holding `month` of a `people`-person organisation and its mapping, for timing the
/// dashboard: (store, mapping, as-of date, 40 days after the month so it is settled). The
/// day files are written straight from the generator in the store's own layout (the fake
/// API holds a whole organisation's answers in memory, too much at this size); made once,
/// then reused.
pub fn serve_store(
    people: u64,
    month: Month,
    layout: StoreLayout,
    dir: &Path,
    say: &dyn Fn(&str),
) -> Result<(PathBuf, PathBuf, chrono::NaiveDate), AppError> {
    let base = dir.join(match layout {
        StoreLayout::PerUser => format!("serve-{people}-{month}"),
        StoreLayout::PerActor => format!("serve-{people}-{month}-per-actor"),
    });
    write_store(people, &[month], layout, &base, say)
}

/// A store under `base` holding `months` of a `people`-person organisation in `layout`, and
/// its mapping, written once (a marker says it is whole): the store folder, the mapping
/// and a date 40 days after the last month, when every day is settled.
fn write_store(
    people: u64,
    months: &[Month],
    layout: StoreLayout,
    base: &Path,
    say: &dyn Fn(&str),
) -> Result<(PathBuf, PathBuf, chrono::NaiveDate), AppError> {
    use allot_engine::table_parquet::Values;
    use allot_sync::{Source, Store};

    let (Some(first), Some(last)) = (months.first(), months.last()) else {
        return Err(AppError::Usage("no month to write".into()));
    };
    let org = scale_org(people);
    let store_dir = base.join("store");
    let mapping = base.join("mapping.csv");
    let today = last.last_day() + chrono::Duration::days(40);
    let marker = base.join("written");
    if marker.exists() {
        return Ok((store_dir, mapping, today));
    }
    let started = std::time::Instant::now();
    say(&format!(
        "bench: writing {people} people for {first}..{last} into {}",
        store_dir.display()
    ));
    let _ = std::fs::remove_dir_all(base);
    std::fs::create_dir_all(&store_dir).map_err(io(base))?;
    std::fs::write(&mapping, org.mapping_csv()).map_err(io(&mapping))?;
    let mut store = Store::open(&store_dir, false)?;
    let (mut facts, mut total) = (0u64, Nanos::ZERO);
    let days = months
        .iter()
        .flat_map(|m| allot_core::DateRange::month(*m).days());
    for day in days {
        // (fact, via, key, workspace)
        let mut rows_of: Vec<Written> = org
            .people
            .iter()
            .flat_map(|p| {
                allot_synth::costs_for(&org, p, day, Intensity::Dense)
                    .into_iter()
                    .map(move |c| {
                        let keyed = layout == StoreLayout::PerActor
                            && allot_synth::actors::on_shared_key(p)
                            && c.product == "claude_code";
                        if keyed {
                            (
                                c,
                                SHARED_VIA,
                                allot_synth::actors::SHARED_KEY.0,
                                allot_synth::actors::ENGINEERING.0,
                            )
                        } else {
                            (c, "", "", "")
                        }
                    })
            })
            .collect();
        if layout == StoreLayout::PerActor {
            for mut c in allot_synth::unattributed_costs(&org, day) {
                c.email = format!("api_key:{}", allot_synth::actors::EVALS_KEY.0);
                rows_of.push((
                    c,
                    AUTOMATION_VIA,
                    allot_synth::actors::EVALS_KEY.0,
                    allot_synth::actors::AUTOMATION.0,
                ));
            }
        }
        let costs: Vec<&allot_core::facts::CostFact> = rows_of.iter().map(|r| &r.0).collect();
        facts += costs.len() as u64;
        total += costs
            .iter()
            .map(|c| Nanos(i128::from(c.cost_nanos)))
            .sum::<Nanos>();
        let rows = costs.len() as u64;
        let mut cols = cost_columns(&costs);
        let source = match layout {
            StoreLayout::PerUser => Source::Cost,
            StoreLayout::PerActor => {
                let t = |f: fn(&Written) -> &'static str| {
                    Values::Text(rows_of.iter().map(|r| Some(f(r).to_string())).collect())
                };
                cols.push(("via".into(), t(|r| r.1)));
                cols.push(("api_key_id".into(), t(|r| r.2)));
                cols.push(("workspace_id".into(), t(|r| r.3)));
                Source::ActorCost
            }
        };
        store.put_day(source, day, cols, rows, today)?;
        let acts: Vec<allot_core::facts::ActivityFact> = org
            .people
            .iter()
            .filter_map(|p| allot_synth::activity_for(&org, p, day))
            .collect();
        let cols = activity_columns(&acts);
        store.put_day(Source::Activity, day, cols, acts.len() as u64, today)?;
    }
    drop(store);
    std::fs::write(&marker, b"").map_err(io(&marker))?;
    say(&format!(
        "bench: {facts} cost facts, ${total} in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok((store_dir, mapping, today))
}

/// A day's cost facts as the store's columns.
fn cost_columns(
    costs: &[&allot_core::facts::CostFact],
) -> Vec<(String, allot_engine::table_parquet::Values)> {
    use allot_engine::table_parquet::Values;
    let text = |v: Vec<String>| Values::Text(v.into_iter().map(Some).collect());
    vec![
        (
            "date".to_string(),
            text(costs.iter().map(|c| c.date.to_string()).collect()),
        ),
        (
            "email".into(),
            text(costs.iter().map(|c| c.email.clone()).collect()),
        ),
        (
            "product".into(),
            text(costs.iter().map(|c| c.product.clone()).collect()),
        ),
        (
            "model".into(),
            text(costs.iter().map(|c| c.model.clone()).collect()),
        ),
        (
            "context_window".into(),
            text(costs.iter().map(|c| c.context_window.clone()).collect()),
        ),
        (
            "cost_type".into(),
            text(costs.iter().map(|c| c.cost_type.clone()).collect()),
        ),
        (
            "token_type".into(),
            text(costs.iter().map(|c| c.token_type.clone()).collect()),
        ),
        (
            "tokens".into(),
            Values::Int(costs.iter().map(|c| Some(c.tokens)).collect()),
        ),
        (
            "cost_usd".into(),
            Values::Decimal(
                costs
                    .iter()
                    .map(|c| Some(i128::from(c.cost_nanos)))
                    .collect(),
                9,
            ),
        ),
    ]
}

/// A day's activity facts as the store's columns.
fn activity_columns(
    acts: &[allot_core::facts::ActivityFact],
) -> Vec<(String, allot_engine::table_parquet::Values)> {
    use allot_engine::table_parquet::Values;
    let text = |v: Vec<String>| Values::Text(v.into_iter().map(Some).collect());
    let int = |f: fn(&allot_core::facts::ActivityFact) -> i64| {
        Values::Int(acts.iter().map(|a| Some(f(a))).collect())
    };
    vec![
        (
            "date".to_string(),
            text(acts.iter().map(|a| a.date.to_string()).collect()),
        ),
        (
            "email".into(),
            text(acts.iter().map(|a| a.email.clone()).collect()),
        ),
        ("sessions".into(), int(|a| a.sessions)),
        ("commits".into(), int(|a| a.commits)),
        ("pull_requests".into(), int(|a| a.pull_requests)),
        ("lines_added".into(), int(|a| a.lines_added)),
        ("lines_removed".into(), int(|a| a.lines_removed)),
    ]
}

/// A cost fact written to a benchmark store, with its fallbacks, API key and workspace.
type Written = (
    allot_core::facts::CostFact,
    &'static str,
    &'static str,
    &'static str,
);

/// The fallbacks of a cost on the engineers' shared key.
const SHARED_VIA: &str = "api_key:apikey_01DevShared3HnVc|workspace:wrkspc_01Engineering8PwT";
/// The fallback of the evaluation key's cost.
const AUTOMATION_VIA: &str = "workspace:wrkspc_01Automation4KxQ";

/// Syncs a month of a `people`-person organisation from the in-process fake (not rate
/// limited) into a scratch store under `dir` and reports the requests made per endpoint
/// against the minimum.
/// The daily runs are synced from `exe fake-api` in its own process, so the peak memory
/// printed is the sync's alone.
pub fn sync_requests(
    people: u64,
    month: Month,
    dir: &Path,
    exe: &Path,
) -> Result<String, AppError> {
    let (from, to) = (month.first_day(), month.last_day());
    let today = to + chrono::Duration::days(40);
    let org = scale_org(people);
    let end = to
        .succ_opt()
        .ok_or_else(|| AppError::Usage("date out of range".into()))?;
    // The daily runs first, while this process holds nothing else: their peak is the sync's.
    let daily = daily_runs(people, to, dir, exe)?;
    let minimum = allot_fake_api::truth::minimum_requests(&org, from, end, today);
    drop(org);
    let scratch = dir.join(format!("sync-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    // The fake in its own process, generating a day at a time: this process's peak is the sync's.
    let (_fake, url) = fake_process(exe, people, today)?;
    let reset = reset_peak_rss();
    let started = std::time::Instant::now();
    let summary = sync_into(&url, from, to, today, &scratch, true)?;
    let elapsed = started.elapsed();
    let peak = peak_rss_mb()
        .filter(|_| reset)
        .map_or_else(|| "unknown".to_string(), |m| format!("{m} MB"));
    let _ = std::fs::remove_dir_all(&scratch);
    let min: u64 = minimum.iter().map(|(_, n)| n).sum();
    let mut text = format!(
        "bench --sync: {people} people, {from}..{to}\nendpoint                        minimum\n"
    );
    for (endpoint, n) in &minimum {
        text.push_str(&format!("{endpoint:<32}{n:>7}\n"));
    }
    text.push_str(&format!(
        "first month: {} requests (minimum {min}, ratio {:.3}; target at most 1.1), {:.1} min at 60/min; {} retries; {} rows; {:.1} s here; peak {peak}\n",
        summary.requests,
        summary.requests as f64 / min as f64,
        summary.requests as f64 / 60.0,
        summary.retries,
        summary.rows,
        elapsed.as_secs_f64()
    ));
    text.push_str(&daily);
    Ok(text)
}

/// The request budget of the daily runs after a first sync of the 30 days before `day`: the
/// next day's run (nothing revised: the new day and the daily totals) and a same-day re-run,
/// in requests and minutes at the documented 60 a minute, and the sync's peak memory (the
/// fake in its own process; the peak is reset before each run where Linux allows it).
fn daily_runs(
    people: u64,
    day: chrono::NaiveDate,
    dir: &Path,
    exe: &Path,
) -> Result<String, AppError> {
    let scratch = dir.join(format!("sync-daily-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let first_today = day + chrono::Duration::days(1);
    let from = first_today - chrono::Duration::days(30);
    let minutes = |n: u64| n as f64 / 60.0;
    let mut lines = Vec::new();
    let runs = [
        ("first sync of 30 days", first_today, day),
        (
            "next day's run",
            first_today + chrono::Duration::days(1),
            first_today,
        ),
        (
            "same-day re-run",
            first_today + chrono::Duration::days(1),
            first_today,
        ),
    ];
    for (what, today, to) in runs {
        let (_fake, url) = fake_process(exe, people, today)?;
        let reset = reset_peak_rss();
        let started = std::time::Instant::now();
        let s = sync_into(&url, from, to, today, &scratch, false)?;
        let peak = peak_rss_mb()
            .filter(|_| reset)
            .map_or_else(|| "unknown".to_string(), |m| format!("{m} MB"));
        lines.push(format!(
            "{what:<24}{:>8} requests {:>7.1} min at 60/min  ({} of them for daily totals; {} rows; {:.1} s here; peak {peak})\n",
            s.requests,
            minutes(s.requests),
            s.probe_requests,
            s.rows,
            started.elapsed().as_secs_f64()
        ));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(format!(
        "daily runs, {people} people (peak: this process's resident memory during the sync, the fake API in its own process):\n{}",
        lines.concat(),
    ))
}

/// Resets this process's peak resident memory (`VmHWM`) to its current one (Linux:
/// `/proc/self/clear_refs`); false where that is not possible.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's peak resident memory (`VmHWM`), in MB, where `/proc` says it.
fn peak_rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// What `allot bench --scale` measures.
#[derive(Debug, Clone)]
pub struct ScaleSpec {
    /// The organisation sizes, smallest first (e.g. 20,000 and 100,000 people).
    pub people: Vec<u64>,
    /// The month every command asks about (the store holds it and the month before).
    pub month: Month,
    /// Folder for the generated stores (kept between runs).
    pub dir: PathBuf,
    /// Runs of each command; the best time is kept.
    pub repeat: u32,
    /// Years of history (e.g. 1 and 3): a store of each length, ending with `month`, at the
    /// smallest size of `people`, and the commands whose work may grow with the history.
    pub years: Vec<u32>,
}

/// The commands `allot bench --scale` times on stores of several years: a month's (which
/// should not grow with the history), and a trend over all of it (which should, linearly).
fn history_commands(first: Month, month: Month) -> Vec<(&'static str, Vec<String>)> {
    vec![
        of_month("chargeback", month),
        of_month("top", month),
        ("alerts", vec!["alerts".into()]),
        of_month("adoption", month),
        of_month("explain", month),
        (
            "trend",
            vec![
                "trend".into(),
                "--from".into(),
                first.to_string(),
                "--to".into(),
                month.to_string(),
                "--per".into(),
                "month".into(),
            ],
        ),
    ]
}

/// `command --month M`.
fn of_month(command: &'static str, month: Month) -> (&'static str, Vec<String>) {
    (
        command,
        vec![command.to_string(), "--month".into(), month.to_string()],
    )
}

/// A command of `allot bench --scale` as the plan holds it: its whole argv on a store (with
/// the mapping, unless `mapping` is none) writing CSV under `out`, and the exit codes that are
/// answers, not failures (`alerts` exits 3 when an alert fired, `reconcile` 1 when the invoice
/// does not match: its round amounts never do).
fn planned(
    exe: &Path,
    (command, args): (&'static str, Vec<String>),
    store: &Path,
    mapping: Option<&Path>,
    as_of: chrono::NaiveDate,
    out: &Path,
) -> serde_json::Value {
    let mut argv: Vec<String> = vec![exe.display().to_string(), "-q".into()];
    argv.extend(args);
    argv.extend(["--store".into(), store.display().to_string()]);
    if let Some(mapping) = mapping {
        argv.extend(["--mapping".into(), mapping.display().to_string()]);
    }
    argv.extend([
        "--as-of".into(),
        as_of.to_string(),
        "--format".into(),
        "csv".into(),
        "--out".into(),
        out.join(command).display().to_string(),
    ]);
    let ok: &[i32] = match command {
        "alerts" => &[0, 3],
        "reconcile" => &[0, 1],
        _ => &[0],
    };
    serde_json::json!({"command": command, "argv": argv, "ok": ok})
}

/// Every command a large organisation runs, as `allot bench --scale` times it: its name and
/// its arguments after the store's inputs.
fn scale_commands(month: Month, invoice: &Path) -> Vec<(&'static str, Vec<String>)> {
    let m = month.to_string();
    let before = month.prev().to_string();
    vec![
        of_month("chargeback", month),
        of_month("efficiency", month),
        of_month("top", month),
        of_month("context", month),
        of_month("models", month),
        (
            "trend",
            vec![
                "trend".into(),
                "--from".into(),
                before.clone(),
                "--to".into(),
                m.clone(),
                "--per".into(),
                "week".into(),
            ],
        ),
        ("alerts", vec!["alerts".into()]),
        of_month("forecast", month),
        of_month("adoption", month),
        of_month("explain", month),
        (
            "reconcile",
            vec![
                "reconcile".into(),
                "--invoice".into(),
                invoice.display().to_string(),
            ],
        ),
    ]
}

/// Writes a store of two months for each organisation size of `spec` (per-actor layout, as
/// the Usage and Cost Analytics API syncs it) and times every command on each with `exe`, in
/// its own process, beside the other sizes: how time and peak memory grow per doubling of the
/// people (a step quadratic in people grows 4x, a linear one 2x; more than 2.5x is reported
/// as missed), and whether each stays under a minute at the largest size.
pub fn scale(spec: &ScaleSpec, exe: &Path, say: &dyn Fn(&str)) -> Result<(), AppError> {
    use std::fmt::Write as _;
    let dir = &spec.dir;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let months = [spec.month.prev(), spec.month];
    let mut plan = String::new();
    for &people in &spec.people {
        let base = dir.join(format!("scale-{people}-{}", spec.month));
        let (store, mapping, as_of) =
            write_store(people, &months, StoreLayout::PerActor, &base, say)?;
        // An invoice of round amounts: reconcile's work is the API side, whatever the lines say.
        let invoice = base.join("invoice.csv");
        let mut lines = String::from("Billing Month,Description,Line Type,Amount\n");
        for m in &months {
            let _ = writeln!(lines, "{m},Claude Code usage,Usage,\"$100,000.00\"");
            let _ = writeln!(lines, "{m},Claude usage - chat,Usage,\"$50,000.00\"");
        }
        std::fs::write(&invoice, lines).map_err(io(&invoice))?;
        for command in scale_commands(spec.month, &invoice) {
            // Reconciliation is of the organisation's cost against the invoice: no mapping.
            let mapping = (command.0 != "reconcile").then_some(mapping.as_path());
            let out = base.join("out");
            let mut line = planned(exe, command, &store, mapping, as_of, &out);
            line["people"] = people.into();
            let _ = writeln!(plan, "{line}");
        }
    }
    if let Some(&people) = spec.people.first() {
        for &years in &spec.years {
            let mut months = vec![spec.month];
            for _ in 1..years * 12 {
                let before = months[months.len() - 1].prev();
                months.push(before);
            }
            months.reverse();
            let base = dir.join(format!("scale-{people}-{years}y-{}", spec.month));
            let (store, mapping, as_of) =
                write_store(people, &months, StoreLayout::PerActor, &base, say)?;
            for command in history_commands(months[0], spec.month) {
                let out = base.join("out");
                let mut line = planned(exe, command, &store, Some(&mapping), as_of, &out);
                line["people"] = people.into();
                line["years"] = years.into();
                let _ = writeln!(plan, "{line}");
            }
        }
    }
    let plan_file = dir.join("scale-plan.jsonl");
    std::fs::write(&plan_file, plan).map_err(io(&plan_file))?;
    let script = dir.join("compare.py");
    std::fs::write(&script, COMPARE).map_err(io(&script))?;
    let status = Command::new("python3")
        .arg(&script)
        .args(["--allot", &exe.display().to_string()])
        .args(["--dir", &dir.display().to_string()])
        .args(["--month", &spec.month.to_string()])
        .args(["--repeat", &spec.repeat.to_string()])
        .arg("--scale")
        .arg(&plan_file)
        .status()
        .map_err(io(&script))?;
    if !status.success() {
        return Err(AppError::Usage(format!(
            "the benchmark script failed ({status})"
        )));
    }
    Ok(())
}
