//! `allot bench`: generates a large synthetic month (20,000 people, about 8.6 million cost facts,
//! about 1 GB of CSV, plus the same data as Parquet) and times `allot chargeback` on it beside
//! python polars and DuckDB doing the same join and sum (`bench/compare.py`).

use std::fs;
use std::process::Command;

use allot_report::OutputSet;
use allot_synth::{scale_org, write_costs_csv, Intensity};
use anyhow::{bail, Context};

use crate::cli::BenchArgs;
use crate::output;

/// The comparison script, embedded so the benchmark runs from any folder.
const COMPARE: &str = include_str!("../../../../bench/compare.py");

pub fn run(args: &BenchArgs, quiet: bool) -> anyhow::Result<()> {
    if args.sync {
        return sync_requests(args, quiet);
    }
    let dir = &args.dir;
    let csv = dir.join("cost.csv");
    let parquet = dir.join("cost.parquet");
    let marker = dir.join(format!("generated-{}-{}", args.people, args.month));
    if marker.exists() {
        output::say(quiet, &format!("bench: reusing {}", dir.display()));
    } else {
        generate(args, quiet)?;
    }
    for p in [&csv, &parquet] {
        let size = fs::metadata(p).map_or(0, |m| m.len());
        output::say(
            quiet,
            &format!("bench: {} is {:.0} MB", p.display(), size as f64 / 1e6),
        );
    }
    let script = dir.join("compare.py");
    fs::write(&script, COMPARE)?;
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new("python3");
    cmd.arg(&script)
        .arg("--allot")
        .arg(&exe)
        .arg("--dir")
        .arg(dir)
        .arg("--month")
        .arg(args.month.to_string())
        .arg("--last-day")
        .arg(args.month.last_day().to_string());
    if args.no_peers {
        cmd.arg("--no-peers");
    }
    let status = cmd.status().context("running python3 bench/compare.py")?;
    if !status.success() {
        bail!("the benchmark script failed ({status})");
    }
    Ok(())
}

fn generate(args: &BenchArgs, quiet: bool) -> anyhow::Result<()> {
    let dir = &args.dir;
    let org = scale_org(args.people);
    let (from, to) = (args.month.first_day(), args.month.last_day());
    output::say(
        quiet,
        &format!(
            "bench: generating {} people for {} into {}",
            args.people,
            args.month,
            dir.display()
        ),
    );
    let started = std::time::Instant::now();
    let mut set = OutputSet::new(dir);
    set.write("mapping.csv", |w| w.write_all(org.mapping_csv().as_bytes()))?;
    let mut summary = (0, allot_core::Nanos::ZERO);
    set.write("cost.csv", |w| {
        summary = write_costs_csv(&org, from, to, Intensity::Dense, w)?;
        Ok(())
    })?;
    set.commit()?;
    output::say(
        quiet,
        &format!(
            "bench: {} cost facts, ${} in {:.1} s",
            summary.0,
            summary.1,
            started.elapsed().as_secs_f64()
        ),
    );
    allot_engine::load::costs_to_parquet(&[dir.join("cost.csv")], &dir.join("cost.parquet"))?;
    fs::write(
        dir.join(format!("generated-{}-{}", args.people, args.month)),
        b"",
    )?;
    Ok(())
}

/// Syncs a month of a large organisation from the in-process fake (not rate limited) into a
/// scratch store and prints the requests made per endpoint against the minimum.
fn sync_requests(args: &BenchArgs, quiet: bool) -> anyhow::Result<()> {
    use allot_fake_api::{Config, State};
    use allot_sync::{sync, ApiKey, Client, ClientConfig, Keys, Quiet, Store, SyncOptions};

    let (from, to) = (args.month.first_day(), args.month.last_day());
    let today = to + chrono::Duration::days(40);
    let key = "sk-ant-bench-in-process";
    output::say(
        quiet,
        &format!("bench --sync: {} people, {from}..{to}", args.sync_people),
    );
    let org = allot_synth::scale_org(args.sync_people);
    let minimum =
        allot_fake_api::truth::minimum_requests(&org, from, to.succ_opt().context("date")?, today);
    let state = State::with_org(
        Config {
            rate_per_minute: 1_000_000,
            ..Config::new(today, key)
        },
        org,
    );
    let scratch = tempfile_dir(&args.dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let started = std::time::Instant::now();
    let summary = runtime.block_on(async {
        let base = allot_fake_api::spawn(state.clone()).await?;
        let client = Client::new(ClientConfig {
            base_url: base,
            rate_per_minute: 1_000_000,
            ..ClientConfig::default()
        })?;
        let keys = Keys {
            analytics: Some(ApiKey::new(key)),
            admin: Some(ApiKey::new(format!("{key}-admin"))),
        };
        let mut store = Store::open(&scratch, false)?;
        let opts = SyncOptions {
            from,
            to,
            today,
            refresh: true,
            engagement_lag_days: 1,
            concurrency: 4,
        };
        anyhow::Ok(sync(&mut store, &client, &keys, &opts, &Quiet).await?)
    })?;
    let elapsed = started.elapsed();
    let _ = fs::remove_dir_all(&scratch);
    let min: u64 = minimum.iter().map(|(_, n)| n).sum();
    let mut text = String::from("endpoint                        minimum\n");
    for (endpoint, n) in &minimum {
        text.push_str(&format!("{endpoint:<32}{n:>7}\n"));
    }
    text.push_str(&format!(
        "requests made: {} (minimum {min}, ratio {:.3}; target at most 1.1); {} retries; {} rows; {:.1} s\n",
        summary.requests,
        summary.requests as f64 / min as f64,
        summary.retries,
        summary.rows,
        elapsed.as_secs_f64()
    ));
    output::stdout(&text)?;
    Ok(())
}

/// A fresh scratch folder under `dir`.
fn tempfile_dir(dir: &std::path::Path) -> anyhow::Result<std::path::PathBuf> {
    let p = dir.join(format!("sync-store-{}", std::process::id()));
    let _ = fs::remove_dir_all(&p);
    fs::create_dir_all(&p).with_context(|| format!("creating `{}`", p.display()))?;
    Ok(p)
}
