//! `allot sync`: the APIs into the local store, with a progress bar and a summary.

use allot_core::money::format_cents;
use allot_core::Nanos;
use allot_sync::{sync, Client, ClientConfig, Keys, Progress, Store, Summary, SyncOptions};
use anyhow::Context;
use chrono::Duration;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::SyncArgs;
use crate::output;

/// A progress bar on stderr (hidden when quiet or not a terminal).
struct Bar(ProgressBar);

impl Progress for Bar {
    fn plan(&self, steps: u64) {
        self.0.set_length(steps);
    }
    fn step(&self, what: &str) {
        self.0.set_message(what.to_string());
        self.0.inc(1);
    }
}

/// What the summary says, one line each.
pub fn describe(s: &Summary) -> Vec<String> {
    let days: Vec<String> = s.days.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let mut lines = vec![
        format!(
            "sync: {} requests ({} retried, {} rate-limited, {} paginations restarted)",
            s.requests, s.retries, s.rate_limited, s.restarts
        ),
        format!(
            "days fetched: {} ({} settled, {} provisional); rows stored: {}",
            if days.is_empty() {
                "none".to_string()
            } else {
                days.join(", ")
            },
            s.settled_days,
            s.provisional_days,
            s.rows
        ),
    ];
    if !s.kept.is_empty() {
        let kept: u64 = s.kept.values().sum();
        lines.push(format!(
            "already settled in the store, not fetched again: {kept} source-days"
        ));
    }
    let sum = |m: &std::collections::BTreeMap<&'static str, u64>| m.values().sum::<u64>();
    if !s.confirmed.is_empty() {
        lines.push(format!(
            "provisional cost days confirmed unchanged by the organisation's daily totals ({} request{}), not fetched again: {} source-days",
            s.probe_requests,
            if s.probe_requests == 1 { "" } else { "s" },
            sum(&s.confirmed)
        ));
    }
    if !s.final_days.is_empty() {
        lines.push(format!(
            "engagement days already fetched past their lag (final; `--refresh` asks again): {} source-days",
            sum(&s.final_days)
        ));
    }
    if !s.fresh.is_empty() {
        lines.push(format!(
            "fetched or confirmed earlier today, not asked again: {} source-days",
            sum(&s.fresh)
        ));
    }
    if s.restated_rows > 0 {
        lines.push(format!(
            "restated: {} cost values changed since the last sync (net ${}); `allot restatements --month M` lists them",
            s.restated_rows,
            format_cents(Nanos(s.restated_nanos).round_cents())
        ));
    }
    for w in &s.warnings {
        lines.push(format!("note: {w}"));
    }
    for k in &s.skipped {
        lines.push(format!("skipped: {k}"));
    }
    if !s.compacted.is_empty() {
        lines.push(format!(
            "settled months folded into one file each: {}",
            s.compacted.join(", ")
        ));
    }
    lines
}

/// On Ctrl-C, says what the interrupted sync kept and how to go on, then exits with 130 (as a
/// shell does for an interrupt). Every day is written whole before it is recorded, so
/// stopping anywhere loses nothing stored.
fn on_interrupt(store: &std::path::Path, today: chrono::NaiveDate) {
    let store = store.to_path_buf();
    let _ = ctrlc::set_handler(move || {
        let kept: usize = allot_sync::store::read_state(&store).map_or(0, |s| {
            s.days
                .values()
                .map(|d| d.values().filter(|e| e.fetched_on == today).count())
                .sum()
        });
        output::say(
            false,
            &format!(
                "\ninterrupted: the {kept} source-days fetched by this sync are kept in `{}` (each day whole); run the same command again to resume: only the days still missing, or whose cost moved, are fetched",
                store.display()
            ),
        );
        // The one exit outside main: an interrupt ends the process here, as Ctrl-C would.
        #[allow(clippy::exit)]
        std::process::exit(130);
    });
}

/// `allot sync --check`: returns whether an endpoint is a problem.
fn check(
    args: &SyncArgs,
    keys: &Keys,
    today: chrono::NaiveDate,
    quiet: bool,
) -> anyhow::Result<bool> {
    // A check answers within seconds: two attempts each, short timeouts (an unreachable API
    // is the answer, not something to wait out).
    let (out, problem) = allot_app::doctor::run(
        ClientConfig {
            base_url: args.base_url.clone(),
            rate_per_minute: args.rate,
            backoff: std::time::Duration::from_millis(args.backoff_ms.min(500)),
            max_attempts: 2,
            timeout: std::time::Duration::from_secs(15),
            ..ClientConfig::default()
        },
        keys,
        today,
    )?;
    output::emit(
        &out,
        &[allot_report::Format::Table],
        std::path::Path::new("."),
        quiet,
        false,
    )?;
    Ok(problem)
}

/// Refuses a folder that holds no store.
fn a_store(store: &std::path::Path) -> anyhow::Result<()> {
    if !store.join("store.json").exists() && !store.join("state.json").exists() {
        anyhow::bail!(
            "`{}` is not a store: it has no store.json (`allot sync --store {}` makes one)",
            store.display(),
            store.display()
        );
    }
    Ok(())
}

/// `allot store verify`: prints every stored day that is not what the store's log records;
/// returns whether there was one (exit 1).
pub fn verify(args: &crate::cli::StoreVerifyArgs, quiet: bool) -> anyhow::Result<bool> {
    a_store(&args.store)?;
    let snap = allot_sync::store::Snapshot::read(&args.store)?;
    let problems = allot_sync::store::problems(&snap, true);
    let state = snap.state();
    let days: usize = state
        .days
        .values()
        .map(std::collections::BTreeMap::len)
        .sum();
    let files: usize = snap.tables.values().map(|t| t.files.len()).sum();
    for p in &problems {
        output::stdout(&format!("{} {}: {}\n", p.source.name(), p.day, p.problem))?;
    }
    let versions: Vec<String> = snap
        .stamp()
        .iter()
        .map(|(s, v)| format!("{} v{v}", s.name()))
        .collect();
    output::say(
        quiet,
        &if problems.is_empty() {
            format!(
                "store `{}`: all {days} recorded days are whole ({files} files; {})",
                args.store.display(),
                versions.join(", ")
            )
        } else {
            format!(
                "store `{}`: {} of {days} recorded days are missing or damaged; `allot sync --store {} --repair` fetches them again",
                args.store.display(),
                problems.len(),
                args.store.display()
            )
        },
    );
    Ok(!problems.is_empty())
}

/// `allot store migrate`.
pub fn migrate(args: &crate::cli::StoreVerifyArgs, quiet: bool) -> anyhow::Result<()> {
    a_store(&args.store)?;
    let done = allot_sync::store::migrate(&args.store)?;
    if done.is_empty() {
        output::say(
            quiet,
            &format!(
                "store `{}` is already a Delta Lake table per source (format {}): nothing to do",
                args.store.display(),
                allot_sync::store::STORE_VERSION
            ),
        );
    } else {
        let parts: Vec<String> = done.iter().map(|(s, n)| format!("{s} {n} days")).collect();
        output::say(
            quiet,
            &format!(
                "store `{}` migrated to a Delta Lake table per source: {}",
                args.store.display(),
                parts.join(", ")
            ),
        );
    }
    Ok(())
}

/// `allot store compact`.
pub fn compact(args: &crate::cli::StoreCompactArgs, quiet: bool) -> anyhow::Result<()> {
    a_store(&args.store)?;
    let today = args.as_of.unwrap_or_else(crate::inputs::today);
    let mut store = Store::open(&args.store, false)?;
    let done = store.compact(today, Some(args.keep_days))?;
    output::say(quiet, &compacted(&args.store, &done));
    Ok(())
}

fn compacted(store: &std::path::Path, done: &allot_sync::store::Compacted) -> String {
    format!(
        "store `{}`: {} months folded ({} files into {}){}; {} files no version of the retention names removed ({} bytes)",
        store.display(),
        done.months.len(),
        done.files_in,
        done.months.len(),
        if done.months.is_empty() {
            String::new()
        } else {
            format!(": {}", done.months.join(", "))
        },
        done.vacuumed,
        done.vacuumed_bytes
    )
}

/// Syncs (or, with `--check`, probes); returns whether the check found a problem.
pub fn run(args: &SyncArgs, quiet: bool) -> anyhow::Result<bool> {
    let today = args.as_of.unwrap_or_else(crate::inputs::today);
    let yesterday = today - Duration::days(1);
    let keys = Keys::load(args.key_file.as_deref())?;
    if keys.analytics.is_none() && keys.admin.is_none() {
        anyhow::bail!(
            "no API key: set {} (Claude Enterprise Analytics API) and/or {} (Claude Code Analytics Admin API), or pass --key-file",
            crate::env::ANALYTICS_KEY,
            crate::env::ADMIN_KEY
        );
    }
    if args.check {
        return check(args, &keys, today, quiet);
    }
    let mut store = Store::open(&args.store, args.wait)?;
    // With --repair, the days verify names are fetched again: the range reaches them.
    let broken = if args.repair {
        allot_sync::store::problems(store.snapshot(), true)
    } else {
        Vec::new()
    };
    let from = args
        .from
        .unwrap_or_else(|| allot_core::Month::of(today).prev().prev().first_day());
    let from = broken
        .iter()
        .map(|p| p.day)
        .min()
        .map_or(from, |d| d.min(from));
    let to = args.to.unwrap_or(yesterday);
    let opts = SyncOptions {
        from,
        to,
        today,
        refresh: args.refresh,
        engagement_lag_days: args.engagement_lag,
        concurrency: args.concurrency,
        cost_api: args.cost_api.into(),
    };
    allot_sync::sync::check_range(from, to, today)?;
    let client = Client::new(ClientConfig {
        base_url: args.base_url.clone(),
        rate_per_minute: args.rate,
        backoff: std::time::Duration::from_millis(args.backoff_ms),
        ..ClientConfig::default()
    })?;
    if !broken.is_empty() {
        for p in &broken {
            output::say(
                quiet,
                &format!("repair: {} {}: {}", p.source.name(), p.day, p.problem),
            );
        }
        store.forget(&broken, Some(today))?;
    }
    on_interrupt(&args.store, today);
    let bar = ProgressBar::new(0);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = runtime.block_on(sync(&mut store, &client, &keys, &opts, &Bar(bar.clone())));
    bar.finish_and_clear();
    let summary =
        summary.with_context(|| format!("syncing {from}..{to} into `{}`", args.store.display()))?;
    output::say(
        quiet,
        &format!(
            "synced {from}..{to} into `{}` as of {today}",
            args.store.display()
        ),
    );
    for line in describe(&summary) {
        output::say(quiet, &line);
    }
    Ok(false)
}
