//! `allot close`: the month's chargeback, reviews and reconciliation, recorded as a version
//! with a manifest of content hashes; an unchanged re-run is byte-identical, a changed input
//! makes a new version with a restatement of what moved and why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use allot_core::money::format_cents;
use allot_core::settle::month_status;
use allot_core::shared::parse_cents;
use allot_core::{Status, UNMAPPED};
use allot_engine::UnmappedPolicy;
use allot_mapping::invoice::read_invoice;
use allot_mapping::Table;
use allot_report::close::{latest, sha256, write_version, InputHash, Manifest, OutputHash};
use allot_report::model::{Cell, Column, Kind};
use allot_report::reconcile::{invoice_lines_report, reconcile, reconciliation_report};
use allot_report::reviews::{context_window, efficiency, model_mix, top_spenders};
use allot_report::{csv_out, json_out, table_out, Format, Report};
use anyhow::{bail, Context};

use super::chargeback::{build, Inputs};
use crate::cli::{CloseArgs, ReportArgs, ReviewArgs, UnmappedArg};
use crate::output;

fn reports_for(
    args: &CloseArgs,
    mapping: &Path,
    as_of: chrono::NaiveDate,
) -> anyhow::Result<Vec<(Report, &'static str)>> {
    let month = args.month;
    let inputs = Inputs {
        mapping,
        read: &args.read,
        cost: &args.cost,
        month,
        by: None,
        as_of,
        unmapped: UnmappedPolicy::Bucket,
        pools: Vec::new(),
        with_reviews: false,
    };
    let mut reports = build(&inputs, true)?;
    let review = ReviewArgs {
        common: ReportArgs {
            store: None,
            month,
            mapping: mapping.to_path_buf(),
            read: args.read.clone(),
            cost: args.cost.clone(),
            by: None,
            unmapped: UnmappedArg::Bucket,
            unmapped_to: None,
            as_of: Some(as_of),
            out: None,
            format: vec![Format::Csv],
            focus_version: "1.2".into(),
        },
        activity: args.activity.clone(),
    };
    let loaded = super::reviews::load(&review, true, true)?;
    if !args.activity.is_empty() {
        reports.push((
            efficiency(&loaded.usage, &loaded.activity, &loaded.ctx, false),
            "efficiency",
        ));
    }
    reports.push((
        top_spenders(
            &loaded.usage,
            &loaded.previous,
            &loaded.activity,
            &loaded.ctx,
            15,
        ),
        "top_spenders",
    ));
    reports.push((
        context_window(&loaded.usage, &loaded.ctx, 25).0,
        "context_window",
    ));
    reports.push((model_mix(&loaded.usage, &loaded.ctx).0, "model_mix"));
    let tolerance = parse_cents(&args.tolerance).map_err(|e| anyhow::anyhow!("--tolerance {e}"))?;
    let lines: Vec<_> = read_invoice(&args.invoice, args.invoice_columns.as_deref())?
        .into_iter()
        .filter(|l| l.month == month)
        .collect();
    let (api, org) = super::reconcile::amounts(
        &args.cost,
        &args.org_cost,
        (month.first_day(), month.last_day()),
    )?;
    let rows = reconcile(&lines, &api, org.as_ref(), as_of, tolerance);
    reports.push((
        reconciliation_report(&rows, as_of, tolerance),
        "reconciliation",
    ));
    reports.push((invoice_lines_report(&lines), "invoice_lines"));
    Ok(reports)
}

fn render(reports: &[(Report, &str)]) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for (r, name) in reports {
        let mut csv = Vec::new();
        csv_out::write(r, &mut csv)?;
        files.push((format!("{name}.csv"), csv));
        let mut json = Vec::new();
        json_out::write(r, &mut json)?;
        files.push((format!("{name}.json"), json));
    }
    Ok(files)
}

fn cents_by_cost_center(chargeback_csv: &Path) -> anyhow::Result<BTreeMap<String, i64>> {
    let t = Table::read_csv(chargeback_csv)?;
    let cc = t.require("cost_center")?;
    let amount = t.require("amount_usd")?;
    t.rows
        .iter()
        .map(|r| {
            Ok((
                r.cells[cc].clone(),
                parse_cents(&r.cells[amount]).map_err(anyhow::Error::msg)?,
            ))
        })
        .collect()
}

fn from_bytes(
    files: &[(String, Vec<u8>)],
    name: &str,
    tmp: &Path,
) -> anyhow::Result<BTreeMap<String, i64>> {
    let bytes = &files
        .iter()
        .find(|(n, _)| n == name)
        .context("chargeback output missing")?
        .1;
    let p = tmp.join(name);
    std::fs::write(&p, bytes)?;
    cents_by_cost_center(&p)
}

pub fn run(args: &CloseArgs, quiet: bool) -> anyhow::Result<()> {
    let as_of = args.as_of.unwrap_or_else(super::today);
    let month = args.month;
    let status = month_status(month, as_of);
    if status == Status::Provisional && !args.provisional {
        bail!(
            "{month} is not settled as of {as_of}: its last day must be at least 30 days old (settled from {}). Wait, or close it with --provisional",
            month.last_day() + chrono::Days::new(30)
        );
    }
    let reports = reports_for(args, &args.mapping, as_of)?;
    let mut files = render(&reports)?;

    let hash = |role: &str, p: &Path| -> anyhow::Result<InputHash> {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read `{}`", p.display()))?;
        Ok(InputHash {
            role: role.into(),
            path: p.display().to_string(),
            sha256: sha256(&bytes),
        })
    };
    let mut inputs = vec![
        hash("mapping", &args.mapping)?,
        hash("invoice", &args.invoice)?,
    ];
    for c in &args.cost {
        inputs.push(hash("cost", c)?);
    }
    for c in &args.org_cost {
        inputs.push(hash("org_cost", c)?);
    }
    for a in &args.activity {
        inputs.push(hash("activity", a)?);
    }
    let mut options = BTreeMap::new();
    options.insert("as_of".to_string(), as_of.to_string());
    options.insert("tolerance".to_string(), args.tolerance.clone());
    options.insert("provisional".to_string(), args.provisional.to_string());
    options.insert(
        "sheet".to_string(),
        args.read.sheet.clone().unwrap_or_default(),
    );
    let mut manifest = Manifest {
        month: month.to_string(),
        version: 1,
        status: status.to_string(),
        as_of: as_of.to_string(),
        allot_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs,
        options,
        outputs: Vec::new(),
    };

    let previous = latest(&args.dir, &month.to_string())?;
    if let Some((n, before, path)) = &previous {
        if before.same_inputs(&manifest) {
            for (name, bytes) in &files {
                let old = std::fs::read(path.join(name)).unwrap_or_default();
                if &old != bytes {
                    bail!(
                        "internal check failed: the same inputs as v{n} gave a different `{name}`"
                    );
                }
            }
            output::say(quiet, &format!("close {month}: inputs unchanged since v{n}; every output is identical, byte for byte ({})", path.display()));
            return Ok(());
        }
        manifest.version = n + 1;
    }

    // Copies of the small inputs, so a later close can tell a mapping change from a fact revision.
    let ext = |p: &Path| {
        p.extension()
            .map_or_else(|| "csv".into(), |e| e.to_string_lossy().into_owned())
    };
    files.push((
        format!("inputs/mapping.{}", ext(&args.mapping)),
        std::fs::read(&args.mapping)?,
    ));
    files.push((
        format!("inputs/invoice.{}", ext(&args.invoice)),
        std::fs::read(&args.invoice)?,
    ));

    let mut restatement = None;
    if let Some((n, before, path)) = &previous {
        let tmp = tempdir_in(&args.dir)?;
        let old = cents_by_cost_center(&path.join("chargeback.csv"))?;
        let new = from_bytes(&files, "chargeback.csv", &tmp)?;
        // Mid-point: the new facts on the old mapping separates fact revisions from mapping changes.
        let old_mapping = std::fs::read_dir(path.join("inputs"))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.file_stem().is_some_and(|s| s == "mapping"));
        let mid = match old_mapping {
            Some(m) => from_bytes(
                &render(&reports_for(args, &m, as_of)?)?,
                "chargeback.csv",
                &tmp,
            )?,
            None => old.clone(),
        };
        let _ = std::fs::remove_dir_all(&tmp);
        let changed = manifest.changed_roles(before);
        restatement = Some(restatement_report(
            *n, &old, &mid, &new, &changed, month, status,
        ));
    }
    if let Some(r) = &restatement {
        files.extend(render(&[(r.clone(), "restatement")])?);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    manifest.outputs = files
        .iter()
        .filter(|(n, _)| !n.starts_with("inputs/"))
        .map(|(n, b)| OutputHash {
            name: n.clone(),
            sha256: sha256(b),
        })
        .collect();
    let at = write_version(&args.dir, &manifest, &files)?;
    if !quiet {
        let width = std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok());
        output::stdout(&table_out::render(&reports[0].0, width))?;
        if let Some(r) = &restatement {
            output::stdout(&table_out::render(r, width))?;
        }
    }
    output::say(
        quiet,
        &format!(
            "closed {month} ({}) as v{} in {}",
            manifest.status,
            manifest.version,
            at.display()
        ),
    );
    Ok(())
}

fn tempdir_in(dir: &Path) -> anyhow::Result<std::path::PathBuf> {
    let p = dir.join(format!(".restatement-{}", std::process::id()));
    std::fs::create_dir_all(&p)?;
    Ok(p)
}

fn restatement_report(
    from: u32,
    old: &BTreeMap<String, i64>,
    mid: &BTreeMap<String, i64>,
    new: &BTreeMap<String, i64>,
    changed: &[String],
    month: allot_core::Month,
    status: Status,
) -> Report {
    let keys: BTreeSet<&String> = old.keys().chain(new.keys()).chain(mid.keys()).collect();
    let mut rows = Vec::new();
    for k in keys {
        let (o, m, n) = (
            old.get(k).copied().unwrap_or(0),
            mid.get(k).copied().unwrap_or(0),
            new.get(k).copied().unwrap_or(0),
        );
        if o == n && o == m {
            continue;
        }
        let mut why = Vec::new();
        if m != o {
            why.push("revised facts");
        }
        if n != m {
            why.push("changed mapping");
        }
        rows.push(vec![
            Cell::Text(k.clone()),
            Cell::Cents(o),
            Cell::Cents(n),
            Cell::Cents(n - o),
            Cell::Cents(m - o),
            Cell::Cents(n - m),
            Cell::Text(why.join(", ")),
        ]);
    }
    rows.sort_by(|a, b| {
        let key = |r: &Vec<Cell>| r[0] == Cell::Text(UNMAPPED.into());
        key(a).cmp(&key(b))
    });
    let moved: i64 = rows
        .iter()
        .map(|r| {
            if let Cell::Cents(c) = r[3] {
                c.abs()
            } else {
                0
            }
        })
        .sum();
    Report {
        title: format!("Restatement of {month} against v{from}"),
        status,
        meta: vec![("changed_inputs".into(), changed.join(", "))],
        columns: vec![
            Column::new("cost_center", Kind::Text),
            Column::new("previous_usd", Kind::Money),
            Column::new("new_usd", Kind::Money),
            Column::new("change_usd", Kind::Money),
            Column::new("facts_effect_usd", Kind::Money),
            Column::new("mapping_effect_usd", Kind::Money),
            Column::new("why", Kind::Text),
        ],
        rows,
        total: None,
        notes: vec![format!(
            "Changed inputs: {}. ${} moved in all (sum of absolute changes).",
            if changed.is_empty() {
                "none".to_string()
            } else {
                changed.join(", ")
            },
            format_cents(moved)
        )],
    }
}
