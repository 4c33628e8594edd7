//! `--store DIR` on the report commands: the store's day files stand in for `--cost`,
//! `--activity` and `--org-cost`.

use std::path::{Path, PathBuf};

use allot_sync::store::{activity_files, files, Source};
use anyhow::Context;

use crate::cli::Command;

fn cost_files(store: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let cost = files(store, Source::Cost)
        .with_context(|| format!("reading the store `{}`", store.display()))?;
    if cost.is_empty() {
        anyhow::bail!(
            "the store `{}` holds no per-user cost yet: run `allot sync --store {}` first",
            store.display(),
            store.display()
        );
    }
    Ok(cost)
}

/// Replaces `--store` by the files it holds, for every command that takes it.
pub fn resolve(command: &mut Command) -> anyhow::Result<()> {
    let review = |r: &mut crate::cli::ReviewArgs| -> anyhow::Result<()> {
        if let Some(store) = r.common.store.clone() {
            r.common.cost = cost_files(&store)?;
            if r.activity.is_empty() {
                r.activity = activity_files(&store)?;
            }
        }
        Ok(())
    };
    match command {
        Command::Chargeback(a) => {
            if let Some(store) = a.common.store.clone() {
                a.common.cost = cost_files(&store)?;
            }
        }
        Command::Efficiency(a) => review(&mut a.review)?,
        Command::Top(a) => review(&mut a.review)?,
        Command::Context(a) => review(&mut a.review)?,
        Command::Models(a) => review(a)?,
        Command::Reconcile(a) => {
            if let Some(store) = a.store.clone() {
                a.cost = cost_files(&store)?;
                if a.org_cost.is_empty() {
                    a.org_cost = files(&store, Source::OrgCost)?;
                }
            }
        }
        Command::Close(a) => {
            if let Some(store) = a.store.clone() {
                a.cost = cost_files(&store)?;
                if a.org_cost.is_empty() {
                    a.org_cost = files(&store, Source::OrgCost)?;
                }
                if a.activity.is_empty() {
                    a.activity = activity_files(&store)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}
