//! What the pages are computed from, kept between requests and dropped as soon as the store
//! changes: every request first looks at `state.json` (size and modification time, and the
//! date when the dashboard follows the calendar), so a sync running beside the dashboard is
//! picked up by the next page.

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What identifies the store's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    today: Option<chrono::NaiveDate>,
}

/// How many loaded months are kept (each holds a month of facts at day grain).
pub const MONTHS_KEPT: usize = 3;

type Entry = Arc<dyn Any + Send + Sync>;

#[derive(Default)]
struct Inner {
    stamp: Option<Stamp>,
    entries: HashMap<String, Entry>,
    order: Vec<String>,
}

/// Computed values by key, valid for one state of the store.
pub struct Cache {
    state: PathBuf,
    inner: Mutex<Inner>,
}

impl Cache {
    /// A cache over the store at `root`.
    pub fn new(root: &Path) -> Cache {
        Cache {
            state: root.join("state.json"),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Drops everything when the store changed since the last look; returns the store's
    /// last modification.
    pub fn check(&self, today: Option<chrono::NaiveDate>) -> Option<SystemTime> {
        let meta = std::fs::metadata(&self.state).ok();
        let stamp = Stamp {
            len: meta.as_ref().map_or(0, std::fs::Metadata::len),
            modified: meta.as_ref().and_then(|m| m.modified().ok()),
            today,
        };
        let mut inner = self.inner.lock().expect("cache");
        if inner.stamp.as_ref() != Some(&stamp) {
            if inner.stamp.is_some() {
                tracing::info!("the store changed: rebuilding the dashboard's figures");
            }
            inner.entries.clear();
            inner.order.clear();
            inner.stamp = Some(stamp.clone());
        }
        stamp.modified
    }

    /// The value under `key`, computed by `make` when absent (outside the lock, so other
    /// pages are served meanwhile). Errors are not kept.
    pub fn get<T, E>(&self, key: &str, make: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
    {
        if let Some(hit) = self.inner.lock().expect("cache").entries.get(key).cloned() {
            if let Ok(v) = hit.downcast::<T>() {
                return Ok(v);
            }
        }
        let value = Arc::new(make()?);
        let mut inner = self.inner.lock().expect("cache");
        inner.entries.insert(key.to_string(), value.clone());
        inner.order.retain(|k| k != key);
        inner.order.push(key.to_string());
        // Keep only the most recent loaded months.
        let months: Vec<String> = inner
            .order
            .iter()
            .filter(|k| k.starts_with("board:"))
            .cloned()
            .collect();
        if months.len() > MONTHS_KEPT {
            for k in &months[..months.len() - MONTHS_KEPT] {
                inner.entries.remove(k);
                inner.order.retain(|o| o != k);
            }
        }
        Ok(value)
    }
}
