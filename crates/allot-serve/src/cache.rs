//! What the pages are computed from, kept between requests and dropped as soon as the store
//! changes: every request first looks at the newest version of each of the store's tables
//! (the names in their `_delta_log` folders, and the date when the dashboard follows the
//! calendar), so a sync committing beside the dashboard is picked up by the next page, and
//! each page is computed from one pinned version of every table.

use std::any::Any;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What identifies the store's contents.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp {
    versions: Vec<(allot_app::store::Source, u64)>,
    modified: Option<SystemTime>,
    today: Option<chrono::NaiveDate>,
}

/// How many loaded months are kept (each holds a month of facts at day grain).
pub const MONTHS_KEPT: usize = 3;

type Entry = Arc<dyn Any + Send + Sync>;

#[derive(Default)]
struct Inner {
    stamp: Option<Stamp>,
    /// Counts the times the store changed: a value computed before a change is not kept.
    generation: u64,
    entries: HashMap<String, Entry>,
    order: Vec<String>,
}

/// Computed values by key, valid for one state of the store. A value is computed once even
/// when several requests ask for it at the same time (the others wait for it).
pub struct Cache {
    root: PathBuf,
    inner: Mutex<Inner>,
    making: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl Cache {
    /// A cache over the store at `root`.
    pub fn new(root: &Path) -> Cache {
        Cache {
            root: root.to_path_buf(),
            inner: Mutex::new(Inner::default()),
            making: Mutex::new(HashMap::new()),
        }
    }

    /// Drops everything when the store changed since the last look.
    pub fn check(&self, today: Option<chrono::NaiveDate>) {
        let (versions, modified) = allot_app::store::head_stamp(&self.root);
        let stamp = Stamp {
            versions,
            modified,
            today,
        };
        let mut inner = self.inner.lock().expect("cache");
        if inner.stamp.as_ref() != Some(&stamp) {
            if inner.stamp.is_some() {
                tracing::info!(
                    target: "allot::service",
                    "the store changed: rebuilding the dashboard's figures"
                );
            }
            inner.entries.clear();
            inner.order.clear();
            inner.generation += 1;
            inner.stamp = Some(stamp);
        }
    }

    /// Drops everything computed so far (the mapping or budgets it was computed with changed).
    pub fn clear(&self) {
        let mut inner = self.inner.lock().expect("cache");
        inner.entries.clear();
        inner.order.clear();
        inner.generation += 1;
    }

    /// When the newest version of the store was committed, at the last look (None: no
    /// version yet).
    pub fn modified(&self) -> Option<SystemTime> {
        self.inner
            .lock()
            .expect("cache")
            .stamp
            .as_ref()
            .and_then(|s| s.modified)
    }

    /// The generation of the cache's contents: it moves when the store changes or the cache
    /// is cleared. [`Cache::put`] keeps a value only if it is still the one it was made in.
    pub fn generation(&self) -> u64 {
        self.inner.lock().expect("cache").generation
    }

    /// Keeps `value` under `key` when nothing is there yet and the cache is still at
    /// `generation` (a value made beside another, from the same load).
    pub fn put<T: Send + Sync + 'static>(&self, key: &str, value: T, generation: u64) {
        let mut inner = self.inner.lock().expect("cache");
        if inner.generation != generation || inner.entries.contains_key(key) {
            return;
        }
        inner.entries.insert(key.to_string(), Arc::new(value));
        inner.order.retain(|k| k != key);
        inner.order.push(key.to_string());
    }

    /// The value under `key` when it is already computed (never computes it).
    pub fn lookup<T: Send + Sync + 'static>(&self, key: &str) -> Option<Arc<T>> {
        let hit = self
            .inner
            .lock()
            .expect("cache")
            .entries
            .get(key)
            .cloned()?;
        hit.downcast::<T>().ok()
    }

    /// The value under `key`, computed by `make` when absent (outside the cache's lock, so
    /// other pages are served meanwhile; a second request for the same key waits for the
    /// first instead of computing it again). Errors are not kept.
    pub fn get<T, E>(&self, key: &str, make: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
    {
        if let Some(v) = self.lookup(key) {
            return Ok(v);
        }
        let gate = self
            .making
            .lock()
            .expect("cache")
            .entry(key.to_string())
            .or_default()
            .clone();
        let _turn = gate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = self.lookup(key) {
            return Ok(v);
        }
        let generation = self.inner.lock().expect("cache").generation;
        let started = std::time::Instant::now();
        let made = make();
        // Where a page's time goes, for an operator (`RUST_LOG=allot::service=debug`).
        tracing::debug!(
            target: "allot::service",
            key,
            ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "computed"
        );
        self.making.lock().expect("cache").remove(key);
        let value = Arc::new(made?);
        let mut inner = self.inner.lock().expect("cache");
        if inner.generation != generation {
            // The store changed while this was computed: answer with it, keep nothing.
            return Ok(value);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn a_value_is_made_once_for_concurrent_asks_and_dropped_when_the_store_changes() {
        let dir = std::env::temp_dir().join(format!("allot-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("facts/skills/_delta_log");
        std::fs::create_dir_all(&log).unwrap();
        std::fs::write(log.join(format!("{:020}.json", 0)), "{}\n").unwrap();
        let cache = Arc::new(Cache::new(&dir));
        cache.check(None);
        let made = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (cache, made) = (cache.clone(), made.clone());
                std::thread::spawn(move || {
                    cache
                        .get("k", || {
                            made.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(50));
                            Ok::<_, ()>(7u32)
                        })
                        .unwrap()
                })
            })
            .collect();
        for t in threads {
            assert_eq!(*t.join().unwrap(), 7);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1, "made once");
        // A sync commits the next version.
        std::fs::write(log.join(format!("{:020}.json", 1)), "{}\n").unwrap();
        cache.check(None);
        let v = cache.get("k", || Ok::<_, ()>(8u32)).unwrap();
        assert_eq!(*v, 8, "made again after the store changed");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
