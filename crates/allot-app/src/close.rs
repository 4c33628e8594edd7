//! The monthly close: the month's chargeback, reviews and reconciliation, recorded as a
//! version with a manifest of content hashes, only for a month allot can stand behind
//! (complete, settled, reconciled or its variance accepted with a reason). A re-run that gives
//! the same outputs records nothing; changed outputs make a new version with a restatement of
//! what moved and why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use allot_core::money::format_cents;
use allot_core::{DateRange, Month, Status, UNMAPPED};
use allot_engine::UnmappedPolicy;
use allot_report::close::{latest, sha256, write_version, InputHash, Manifest, OutputHash};
use allot_report::model::{Cell, Column, Kind};
use allot_report::{csv_out, json_out, Report};

use crate::error::AppError;
use crate::reconcile::{reconcile_lines, InvoiceSpec};
use crate::reports::{ReportOptions, CONTEXT_THRESHOLD_PCT, TOP_N};
use crate::sources::{Facts, Sources};
use crate::workspace::{previous, MappingSpec, Workspace};

/// What a close takes.
#[derive(Debug, Clone)]
pub struct CloseSpec {
    /// The month.
    pub month: Month,
    /// The mapping.
    pub mapping: MappingSpec,
    /// Where facts come from.
    pub sources: Sources,
    /// The invoice.
    pub invoice: InvoiceSpec,
    /// Settlement is judged as of this date.
    pub as_of: chrono::NaiveDate,
    /// Close a month that is not settled yet (every output says provisional).
    pub provisional: bool,
    /// Close despite a reconciliation variance, for this recorded reason.
    pub accept_variance: Option<String>,
    /// Folder of closes.
    pub dir: PathBuf,
}

/// What a close did.
#[derive(Debug, Clone)]
pub struct Closed {
    /// The chargeback, to show.
    pub chargeback: Report,
    /// The reconciliation, to show.
    pub reconciliation: Report,
    /// The restatement against the previous version, when one was recorded.
    pub restatement: Option<Report>,
    /// Whether the reconciliation found a variance.
    pub variance: bool,
    /// What happened, in one sentence.
    pub message: String,
    /// Whether a version was written (false: refused for a variance, or unchanged).
    pub recorded: bool,
}

/// A close's files, the reports to show (chargeback, reconciliation) and whether the
/// reconciliation found a variance.
type Rendered = (Vec<(String, Vec<u8>)>, Vec<Report>, bool);

/// Every report of the close, rendered as CSV and JSON without the as-of date (a later as-of
/// alone changes nothing in a settled month), and the reconciliation's verdict.
fn render(spec: &CloseSpec, mapping: &MappingSpec) -> Result<Rendered, AppError> {
    let ws = Workspace::open(mapping, spec.sources.clone(), spec.as_of)?;
    let range = DateRange::month(spec.month);
    let period = ws.month_period(
        spec.month,
        crate::reports::MonthReads {
            reviews: true,
            previous: true,
            focus: false,
        },
    )?;
    let status = period.status();
    if status == Status::Incomplete {
        return Err(AppError::Refused(format!(
            "{} cannot be closed: {}",
            spec.month,
            period
                .status_notes(range, &[Facts::Cost])
                .iter()
                .map(|n| n.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )));
    }
    if status == Status::Provisional && !spec.provisional {
        return Err(AppError::Refused(format!(
            "{} is not settled as of {}: its last day must be at least 30 days old and every day synced after that (settled from {}). Wait, or close it with --provisional",
            spec.month,
            spec.as_of,
            spec.month.last_day() + chrono::Days::new(30)
        )));
    }
    let options = ReportOptions {
        by: None,
        policy: UnmappedPolicy::Bucket,
    };
    let cb = period.chargeback_output(&crate::reports::ChargebackOptions {
        common: options.clone(),
        ..Default::default()
    })?;
    let reviews = period.reviews(&options)?;
    let mut reports: Vec<(String, Report)> =
        cb.reports.into_iter().map(|n| (n.name, n.report)).collect();
    if period.ledger.has_activity() {
        let e = reviews.efficiency(false);
        reports.push((e.name, e.report));
    }
    let t = reviews.top(TOP_N);
    reports.push((t.name, t.report));
    let (people, _) = reviews.context(CONTEXT_THRESHOLD_PCT);
    reports.push((people.name, people.report));
    let (mix, _, _) = reviews.models();
    reports.push((mix.name, mix.report));
    let lines: Vec<_> = spec
        .invoice
        .lines()?
        .into_iter()
        .filter(|l| l.month == spec.month)
        .collect();
    if lines.is_empty() {
        return Err(AppError::Usage(format!(
            "`{}` has no lines for {}",
            spec.invoice.path.display(),
            spec.month
        )));
    }
    let rec = reconcile_lines(&spec.sources, &spec.invoice, &lines, spec.as_of)?;
    let variance = rec.variance;
    for n in rec.output.reports {
        reports.push((n.name, n.report));
    }
    let mut files = Vec::new();
    let mut shown = Vec::new();
    for (name, mut r) in reports {
        r.meta.retain(|(k, _)| k != "as_of");
        let mut csv = Vec::new();
        csv_out::write(&r, &mut csv).map_err(|source| AppError::Write {
            path: format!("{name}.csv").into(),
            source,
        })?;
        files.push((format!("{name}.csv"), csv));
        let mut json = Vec::new();
        json_out::write(&r, &mut json).map_err(|source| AppError::Write {
            path: format!("{name}.json").into(),
            source,
        })?;
        files.push((format!("{name}.json"), json));
        if name == "chargeback" || name == "reconciliation" {
            shown.push(r);
        }
    }
    Ok((files, shown, variance))
}

fn cents_by_cost_center(chargeback_csv: &[u8]) -> Result<BTreeMap<String, i64>, AppError> {
    let mut r = csv::ReaderBuilder::new().from_reader(chargeback_csv);
    let headers = r
        .headers()
        .map_err(|source| AppError::ReadBack {
            what: "the earlier close's chargeback.csv".into(),
            source,
        })?
        .clone();
    let cc = headers.iter().position(|h| h == "cost_center");
    let amount = headers.iter().position(|h| h == "amount_usd");
    let (Some(cc), Some(amount)) = (cc, amount) else {
        return Err(AppError::Usage(
            "a close's chargeback.csv has no cost_center/amount_usd".into(),
        ));
    };
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.map_err(|source| AppError::ReadBack {
            what: "the earlier close's chargeback.csv".into(),
            source,
        })?;
        let cents = allot_core::shared::parse_cents(&rec[amount]).map_err(AppError::Usage)?;
        out.insert(rec[cc].to_string(), cents);
    }
    Ok(out)
}

fn file_of<'a>(files: &'a [(String, Vec<u8>)], name: &str) -> Result<&'a [u8], AppError> {
    files
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, b)| b.as_slice())
        .ok_or_else(|| AppError::Usage(format!("internal: `{name}` missing from the close")))
}

/// Closes the month.
pub fn close(spec: &CloseSpec) -> Result<Closed, AppError> {
    let month = spec.month;
    let (mut files, shown, variance) = render(spec, &spec.mapping)?;
    let chargeback = shown[0].clone();
    let reconciliation = shown[1].clone();
    if variance && spec.accept_variance.is_none() {
        return Ok(Closed {
            chargeback,
            reconciliation,
            restatement: None,
            variance,
            recorded: false,
            message: format!(
                "close {month}: not recorded: the reconciliation shows a variance (exit code 1). Find its cause, or close with --accept-variance \"why\" to record it"
            ),
        });
    }
    let status = chargeback.status;
    let inputs = input_hashes(spec)?;
    let options = close_options(spec);
    files.sort_by(|a, b| a.0.cmp(&b.0));
    let output_hashes: Vec<OutputHash> = files
        .iter()
        .map(|(n, b)| OutputHash {
            name: n.clone(),
            sha256: sha256(b),
        })
        .collect();
    let mut manifest = Manifest {
        month: month.to_string(),
        version: 1,
        status: status.to_string(),
        as_of: spec.as_of.to_string(),
        allot_version: env!("CARGO_PKG_VERSION").to_string(),
        inputs,
        options,
        outputs: output_hashes.clone(),
    };
    let previous_version =
        latest(&spec.dir, &month.to_string()).map_err(|source| AppError::Write {
            path: spec.dir.clone(),
            source,
        })?;
    if let Some((n, before, path)) = &previous_version {
        // A version changes only when what it says changes.
        if before.outputs == output_hashes
            && before.options.get("accepted_variance") == manifest.options.get("accepted_variance")
        {
            return Ok(Closed {
                chargeback,
                reconciliation,
                restatement: None,
                variance,
                recorded: false,
                message: format!(
                    "close {month}: every output is identical, byte for byte, to v{n}; nothing recorded ({})",
                    path.display()
                ),
            });
        }
        manifest.version = n + 1;
    }
    let restatement = match &previous_version {
        Some((n, before, path)) => {
            let (report, written) = restate(
                spec,
                &files,
                *n,
                &manifest.changed_roles(before),
                path,
                status,
            )?;
            files.extend(written);
            Some(report)
        }
        None => None,
    };
    files.push((
        format!("inputs/mapping.{}", extension(&spec.mapping.path)),
        read(&spec.mapping.path)?,
    ));
    files.push((
        format!("inputs/invoice.{}", extension(&spec.invoice.path)),
        read(&spec.invoice.path)?,
    ));
    files.sort_by(|a, b| a.0.cmp(&b.0));
    manifest.outputs = files
        .iter()
        .filter(|(n, _)| !n.starts_with("inputs/"))
        .map(|(n, b)| OutputHash {
            name: n.clone(),
            sha256: sha256(b),
        })
        .collect();
    let at = write_version(&spec.dir, &manifest, &files).map_err(|source| AppError::Write {
        path: spec.dir.clone(),
        source,
    })?;
    let mut message = format!(
        "closed {month} ({}) as v{} in {}",
        manifest.status,
        manifest.version,
        at.display()
    );
    if let Some(why) = &spec.accept_variance {
        if variance {
            message.push_str(&format!("; variance accepted: {why}"));
        }
    }
    Ok(Closed {
        chargeback,
        reconciliation,
        restatement,
        variance,
        recorded: true,
        message,
    })
}

/// A file of a close version: its name and bytes.
type File = (String, Vec<u8>);

/// Reads a file the close records.
fn read(path: &Path) -> Result<Vec<u8>, AppError> {
    std::fs::read(path).map_err(|source| AppError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// A file's extension, `csv` when it has none (the name a recorded input keeps).
fn extension(path: &Path) -> String {
    path.extension()
        .map_or_else(|| "csv".into(), |e| e.to_string_lossy().into_owned())
}

/// The hash of every input the close read: the mapping, the invoice and each facts file of the
/// month and the one before it.
fn input_hashes(spec: &CloseSpec) -> Result<Vec<InputHash>, AppError> {
    let hash = |role: &str, path: &Path| -> Result<InputHash, AppError> {
        Ok(InputHash {
            role: role.into(),
            path: path.display().to_string(),
            sha256: sha256(&read(path)?),
        })
    };
    let loaded = DateRange {
        from: previous(DateRange::month(spec.month)).from,
        to: spec.month.last_day(),
    };
    let mut inputs = vec![
        hash("mapping", &spec.mapping.path)?,
        hash("invoice", &spec.invoice.path)?,
    ];
    for (kind, role) in [
        (Facts::Cost, "cost"),
        (Facts::OrgCost, "org_cost"),
        (Facts::Activity, "activity"),
    ] {
        if spec.sources.has(kind)? {
            for file in spec.sources.input_files(kind, loaded)? {
                inputs.push(hash(role, &file)?);
            }
        }
    }
    Ok(inputs)
}

/// The options a close records in its manifest.
fn close_options(spec: &CloseSpec) -> BTreeMap<String, String> {
    let mut options = BTreeMap::new();
    options.insert(
        "tolerance_cents".to_string(),
        spec.invoice.tolerance_cents.to_string(),
    );
    options.insert("provisional".to_string(), spec.provisional.to_string());
    options.insert(
        "sheet".to_string(),
        spec.mapping.sheet.clone().unwrap_or_default(),
    );
    if let Some(why) = &spec.accept_variance {
        options.insert("accepted_variance".to_string(), why.clone());
    }
    options
}

/// The restatement of version `from` (recorded at `path`) by this close's `files`: each cost
/// center's change, split into fact revisions and mapping changes (the new facts on the old
/// version's mapping are the mid-point); returns it and its CSV and JSON files.
fn restate(
    spec: &CloseSpec,
    files: &[(String, Vec<u8>)],
    from: u32,
    changed: &[String],
    path: &Path,
    status: Status,
) -> Result<(Report, Vec<File>), AppError> {
    let old = cents_by_cost_center(&read(&path.join("chargeback.csv"))?)?;
    let new = cents_by_cost_center(file_of(files, "chargeback.csv")?)?;
    let old_mapping = std::fs::read_dir(path.join("inputs"))
        .ok()
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|p| p.file_stem().is_some_and(|stem| stem == "mapping"));
    let mid = match old_mapping {
        Some(mapping) => {
            let spec_mid = MappingSpec {
                path: mapping,
                ..spec.mapping.clone()
            };
            let (rendered, _, _) = render(spec, &spec_mid)?;
            cents_by_cost_center(file_of(&rendered, "chargeback.csv")?)?
        }
        None => old.clone(),
    };
    let report = restatement_report(from, &old, &mid, &new, changed, spec.month, status);
    let mut csv = Vec::new();
    csv_out::write(&report, &mut csv).map_err(|source| AppError::Write {
        path: "restatement.csv".into(),
        source,
    })?;
    let mut json = Vec::new();
    json_out::write(&report, &mut json).map_err(|source| AppError::Write {
        path: "restatement.json".into(),
        source,
    })?;
    Ok((
        report,
        vec![
            ("restatement.csv".into(), csv),
            ("restatement.json".into(), json),
        ],
    ))
}

fn restatement_report(
    from: u32,
    old: &BTreeMap<String, i64>,
    mid: &BTreeMap<String, i64>,
    new: &BTreeMap<String, i64>,
    changed: &[String],
    month: Month,
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
        )
        .into()],
    }
}
