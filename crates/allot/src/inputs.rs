//! Flags to the application layer's inputs: where facts come from, the mapping, the policy.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use allot_app::sources::{Cloud, Origin};
use allot_app::{MappingSpec, ReportOptions, Sources, Workspace};
use allot_core::DateRange;
use allot_engine::UnmappedPolicy;

use crate::cli::{FactArgs, FocusArgs, MappingReadArgs, ReportFlags, UnmappedArg};

/// Today's date in UTC: what `--as-of` means when it is not given.
pub fn today() -> chrono::NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The unmapped policy of `--unmapped` / `--unmapped-to`.
pub fn policy(unmapped: UnmappedArg, to: Option<&String>) -> UnmappedPolicy {
    match (to, unmapped) {
        (Some(cc), _) => UnmappedPolicy::To(cc.clone()),
        (None, UnmappedArg::LastKnown) => UnmappedPolicy::LastKnown,
        (None, UnmappedArg::Bucket) => UnmappedPolicy::Bucket,
    }
}

/// How to read the mapping.
pub fn mapping(path: &Path, read: &MappingReadArgs) -> MappingSpec {
    MappingSpec {
        path: path.to_path_buf(),
        sheet: read.sheet.clone(),
        columns: read.columns.clone(),
    }
}

/// `--store`, or the fact files and `--covers`; `--cost` files in FOCUS (cloud bills) are read
/// as cost facts beside either, as `focus` says (`None`: a command that takes no cloud bills).
pub fn sources(
    store: Option<&PathBuf>,
    cost: &[PathBuf],
    activity: &[PathBuf],
    org_cost: &[PathBuf],
    covers: Option<DateRange>,
    focus: Option<&FocusArgs>,
) -> anyhow::Result<Sources> {
    let mut facts = Vec::new();
    let mut bills = Vec::new();
    for p in cost {
        if allot_app::sources::is_focus(p)? {
            bills.push(p.clone());
        } else {
            facts.push(p.clone());
        }
    }
    if let (Some(bill), None) = (bills.first(), focus) {
        anyhow::bail!(
            "`{}` is a cloud bill in FOCUS: it is charged back (chargeback, reviews, trend, alerts, close), but never reconciled against Anthropic's invoice",
            bill.display()
        );
    }
    // Fact files on the command line read those files, even with a store in the settings file.
    let user_facts = !crate::config::from_file("cost") && !facts.is_empty();
    let store =
        store.filter(|_| !(crate::config::from_file("store") && (user_facts || covers.is_some())));
    let origin = match store {
        Some(s) => {
            if let Some(f) = facts.first() {
                anyhow::bail!(
                    "`{}` is cost facts, and --store already holds Anthropic's cost: beside a store, --cost takes only cloud bills in FOCUS",
                    f.display()
                );
            }
            Origin::Store(s.clone())
        }
        None => Origin::Files {
            cost: facts,
            activity: activity.to_vec(),
            org_cost: org_cost.to_vec(),
            covers,
        },
    };
    let cloud = match focus {
        Some(f) if !bills.is_empty() => Some(Arc::new(Cloud::read(&bills, &f.options(), covers)?)),
        _ => None,
    };
    Ok(Sources {
        origin,
        cloud,
        snapshot: None,
    })
}

/// The workspace of `--mapping` and `--store` or the fact files (with `activity` files beside
/// the cost ones), as of `as_of` (default today): the one resolver every command that reads a
/// period uses.
pub fn workspace(
    facts: &FactArgs,
    activity: &[PathBuf],
    as_of: Option<chrono::NaiveDate>,
) -> anyhow::Result<Workspace> {
    Ok(Workspace::open(
        &mapping(&facts.mapping, &facts.read),
        fact_sources(facts, activity, &[])?,
        as_of.unwrap_or_else(today),
    )?)
}

/// The sources of `facts`, with activity and organisation-level cost files beside the cost ones.
pub fn fact_sources(
    facts: &FactArgs,
    activity: &[PathBuf],
    org_cost: &[PathBuf],
) -> anyhow::Result<Sources> {
    sources(
        facts.store.as_ref(),
        &facts.cost,
        activity,
        org_cost,
        facts.covers,
        Some(&facts.focus),
    )
}

/// Level and policy of a report command.
pub fn report_options(c: &ReportFlags) -> ReportOptions {
    ReportOptions {
        by: c.by.clone(),
        policy: policy(c.unmapped, c.unmapped_to.as_ref()),
    }
}
