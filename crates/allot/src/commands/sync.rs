//! `allot sync`: the APIs into the local store, with a progress bar and a summary.

use allot_app::operate::SyncJob;
use allot_sync::{ClientConfig, Keys, Progress};
use anyhow::Context;
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

/// On Ctrl-C, says what the interrupted sync kept and how to go on, then exits with 130 (as a
/// shell does for an interrupt). Every day is written whole before it is recorded, so
/// stopping anywhere loses nothing stored.
fn on_interrupt(store: &std::path::Path, today: chrono::NaiveDate) {
    let store = store.to_path_buf();
    let _ = ctrlc::set_handler(move || {
        let kept = allot_app::operate::kept_today(&store, today);
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

/// `allot store verify`: prints every stored day that is not what the store's log records;
/// returns whether there was one (exit 1).
pub fn verify(args: &crate::cli::StoreVerifyArgs, quiet: bool) -> anyhow::Result<bool> {
    let checked = allot_app::operate::verify_store(&args.store)?;
    for p in &checked.problems {
        output::stdout(&format!("{} {}: {}\n", p.source.name(), p.day, p.problem))?;
    }
    output::say(
        quiet,
        &if checked.problems.is_empty() {
            format!(
                "store `{}`: all {} recorded days are whole ({} files; {})",
                args.store.display(),
                checked.days,
                checked.files,
                checked.versions.join(", ")
            )
        } else {
            format!(
                "store `{}`: {} of {} recorded days are missing or damaged; `allot sync --store {} --repair` fetches them again",
                args.store.display(),
                checked.problems.len(),
                checked.days,
                args.store.display()
            )
        },
    );
    Ok(!checked.problems.is_empty())
}

/// `allot store migrate`.
pub fn migrate(args: &crate::cli::StoreVerifyArgs, quiet: bool) -> anyhow::Result<()> {
    let done = allot_app::operate::migrate_store(&args.store)?;
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
    let today = args.as_of.unwrap_or_else(crate::inputs::today);
    let done = allot_app::operate::compact_store(&args.store, today, args.keep_days)?;
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
    let job = SyncJob {
        store: args.store.clone(),
        from: args.from,
        to: args.to,
        today,
        refresh: args.refresh,
        engagement_lag_days: args.engagement_lag,
        concurrency: args.concurrency,
        cost_api: args.cost_api.into(),
        repair: args.repair,
        wait: args.wait,
        client: ClientConfig {
            base_url: args.base_url.clone(),
            rate_per_minute: args.rate,
            backoff: std::time::Duration::from_millis(args.backoff_ms),
            ..ClientConfig::default()
        },
    };
    let syncing = job.plan()?;
    let (from, to) = (syncing.options.from, syncing.options.to);
    for p in &syncing.repairs {
        output::say(
            quiet,
            &format!("repair: {} {}: {}", p.source.name(), p.day, p.problem),
        );
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
    let summary = syncing.run(&keys, &Bar(bar.clone()));
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
    for line in allot_app::operate::describe(&summary) {
        output::say(quiet, &line);
    }
    Ok(false)
}
