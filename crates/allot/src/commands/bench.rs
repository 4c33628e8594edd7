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
