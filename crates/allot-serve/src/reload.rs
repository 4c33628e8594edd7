//! The mapping, budgets and rules the dashboard was started with, read again when their files
//! change: every request first looks at the files' sizes and modification times (a stat each),
//! and an edit is read, checked and used from the next page on, with a line in the log. A file
//! that no longer reads keeps the last good version in use and says why.

use std::path::PathBuf;
use std::sync::{Mutex, RwLock};
use std::time::SystemTime;

use allot_app::watch::{read_budgets, read_rules};
use allot_app::{MappingSpec, WatchOptions, Workspace};
use allot_mapping::invoice::Decimals;

/// Where the dashboard's mapping, budgets and rules come from, to read them again.
#[derive(Debug, Clone)]
pub struct Reload {
    /// The mapping as it was given (file, sheet, columns).
    pub mapping: MappingSpec,
    /// The budgets file, when given.
    pub budgets: Option<PathBuf>,
    /// The rules file, when given.
    pub rules: Option<PathBuf>,
    /// How budget amounts are written.
    pub decimals: Option<Decimals>,
}

impl Reload {
    /// Every file to look at: the mapping, its column mapping (given, or the `<mapping>.toml`
    /// read by default when it exists), the budgets and the rules.
    fn files(&self) -> Vec<PathBuf> {
        let columns = self
            .mapping
            .columns
            .clone()
            .unwrap_or_else(|| self.mapping.path.with_extension("toml"));
        [Some(self.mapping.path.clone()), Some(columns)]
            .into_iter()
            .chain([self.budgets.clone(), self.rules.clone()])
            .flatten()
            .collect()
    }
}

/// What identifies a file's content without reading it.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &std::path::Path) -> Stamp {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The mapping and watch options in use, and the files' stamps when they were read.
pub(crate) struct Live {
    reload: Option<Reload>,
    current: RwLock<(Workspace, WatchOptions)>,
    stamps: Mutex<Vec<Stamp>>,
}

impl Live {
    /// The inputs the dashboard started with.
    pub fn new(workspace: Workspace, watch: WatchOptions, reload: Option<Reload>) -> Live {
        let stamps = reload
            .as_ref()
            .map(|r| r.files().iter().map(|f| stamp(f)).collect())
            .unwrap_or_default();
        Live {
            reload,
            current: RwLock::new((workspace, watch)),
            stamps: Mutex::new(stamps),
        }
    }

    /// The workspace in use.
    pub fn workspace(&self) -> Workspace {
        self.current.read().expect("live").0.clone()
    }

    /// The budgets, rules and policy in use.
    pub fn watch(&self) -> WatchOptions {
        self.current.read().expect("live").1.clone()
    }

    /// Reads the files again when one changed; returns whether the inputs in use changed (the
    /// figures computed from the old ones are then stale).
    pub fn refresh(&self) -> bool {
        let Some(reload) = &self.reload else {
            return false;
        };
        let files = reload.files();
        let now: Vec<Stamp> = files.iter().map(|f| stamp(f)).collect();
        let mut stamps = self.stamps.lock().expect("live");
        if *stamps == now {
            return false;
        }
        let changed: Vec<String> = files
            .iter()
            .zip(stamps.iter().zip(&now))
            .filter(|(_, (old, new))| old != new)
            .map(|(f, _)| format!("`{}`", f.display()))
            .collect();
        // Remembered either way: a file that does not read is not read again until it changes.
        *stamps = now;
        let (workspace, watch) = self.current.read().expect("live").clone();
        match read_again(reload, &workspace, &watch) {
            Ok(fresh) => {
                tracing::info!(
                    target: "allot::service",
                    "{} changed: read again, the pages now use it",
                    changed.join(", ")
                );
                *self.current.write().expect("live") = fresh;
                true
            }
            Err(e) => {
                tracing::warn!(
                    target: "allot::service",
                    "{} changed but cannot be used ({e}): the pages keep the version read before",
                    changed.join(", ")
                );
                false
            }
        }
    }
}

/// The mapping, budgets and rules read again over the same store and as-of date.
fn read_again(
    reload: &Reload,
    workspace: &Workspace,
    watch: &WatchOptions,
) -> Result<(Workspace, WatchOptions), allot_app::AppError> {
    let mut sources = workspace.sources.clone();
    sources.snapshot = None;
    let fresh = Workspace::open(&reload.mapping, sources, workspace.as_of)?;
    let watch = WatchOptions {
        rules: match &reload.rules {
            Some(p) => read_rules(p)?,
            None => watch.rules.clone(),
        },
        budgets: reload
            .budgets
            .as_ref()
            .map(|p| read_budgets(p, reload.decimals))
            .transpose()?,
        policy: watch.policy.clone(),
    };
    Ok((fresh, watch))
}
