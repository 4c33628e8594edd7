//! Flags to the application layer's inputs: where facts come from, the mapping, the policy.

use std::path::{Path, PathBuf};

use allot_app::{MappingSpec, ReportOptions, Sources, Workspace};
use allot_core::DateRange;
use allot_engine::UnmappedPolicy;

use crate::cli::{InputArgs, MappingReadArgs, ReportArgs, UnmappedArg};

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

/// `--store`, or the fact files and `--covers`.
pub fn sources(
    store: Option<&PathBuf>,
    cost: &[PathBuf],
    activity: &[PathBuf],
    org_cost: &[PathBuf],
    covers: Option<DateRange>,
) -> Sources {
    match store {
        Some(s) => Sources::Store(s.clone()),
        None => Sources::Files {
            cost: cost.to_vec(),
            activity: activity.to_vec(),
            org_cost: org_cost.to_vec(),
            covers,
        },
    }
}

/// The workspace of a report command.
pub fn workspace(c: &ReportArgs, activity: &[PathBuf]) -> anyhow::Result<Workspace> {
    let as_of = c.as_of.unwrap_or_else(crate::commands::today);
    Ok(Workspace::open(
        &mapping(&c.mapping, &c.read),
        sources(c.store.as_ref(), &c.cost, activity, &[], c.covers),
        as_of,
    )?)
}

/// Level and policy of a report command.
pub fn report_options(c: &ReportArgs) -> ReportOptions {
    ReportOptions {
        by: c.by.clone(),
        policy: policy(c.unmapped, c.unmapped_to.as_ref()),
    }
}

/// The workspace of `--mapping` and `--store` or the fact files, as of `as_of` (default today).
pub fn open(input: &InputArgs, as_of: Option<chrono::NaiveDate>) -> anyhow::Result<Workspace> {
    Ok(Workspace::open(
        &mapping(&input.mapping, &input.read),
        sources(
            input.store.as_ref(),
            &input.cost,
            &input.activity,
            &[],
            input.covers,
        ),
        as_of.unwrap_or_else(crate::commands::today),
    )?)
}
