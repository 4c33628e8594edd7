//! A window's rows set aside on disk by day as their pages arrive, so that a sync holds a page
//! and one day's rows, never a window's: the API does not say in which order a window's rows
//! come, so a day is complete only when the window's last page is in.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;

use crate::error::SyncError;

/// Rows by part (an endpoint's name) and day, one JSON line each, in a folder of the store
/// removed when dropped (and by the next sync if this one is killed: its name holds `.tmp-`).
#[derive(Debug)]
pub struct Spill {
    dir: PathBuf,
    open: BTreeMap<(&'static str, NaiveDate), BufWriter<File>>,
}

fn io(path: &Path, source: std::io::Error) -> SyncError {
    SyncError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Spill {
    /// An empty spill in a fresh folder of `root`.
    pub fn new(root: &Path) -> Result<Spill, SyncError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = root.join(format!("_spill.tmp-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
        Ok(Spill {
            dir,
            open: BTreeMap::new(),
        })
    }

    fn path(&self, part: &str, day: NaiveDate) -> PathBuf {
        let safe: String = part
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        self.dir.join(format!("{safe}-{day}.jsonl"))
    }

    /// Sets `row` of `part` aside under `day`.
    pub fn push(
        &mut self,
        part: &'static str,
        day: NaiveDate,
        row: &Value,
    ) -> Result<(), SyncError> {
        let path = self.path(part, day);
        let w = match self.open.entry((part, day)) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => {
                let f = File::create(&path).map_err(|e| io(&path, e))?;
                v.insert(BufWriter::new(f))
            }
        };
        serde_json::to_writer(&mut *w, row).map_err(|e| io(&path, e.into()))?;
        w.write_all(b"\n").map_err(|e| io(&path, e))
    }

    /// The days of `part` with rows set aside.
    pub fn days(&self, part: &'static str) -> std::collections::BTreeSet<NaiveDate> {
        self.open
            .keys()
            .filter(|(p, _)| *p == part)
            .map(|(_, d)| *d)
            .collect()
    }

    /// Forgets every row of `part` (its pages are being read again from the start).
    pub fn clear(&mut self, part: &'static str) -> Result<(), SyncError> {
        for day in self.days(part) {
            self.open.remove(&(part, day));
            let path = self.path(part, day);
            fs::remove_file(&path).map_err(|e| io(&path, e))?;
        }
        Ok(())
    }

    /// The rows of `part` set aside under `day`, in the order they came; removed from disk.
    pub fn take(&mut self, part: &'static str, day: NaiveDate) -> Result<Vec<Value>, SyncError> {
        let path = self.path(part, day);
        let Some(mut w) = self.open.remove(&(part, day)) else {
            return Ok(Vec::new());
        };
        w.flush().map_err(|e| io(&path, e))?;
        drop(w);
        let mut rows = Vec::new();
        let f = File::open(&path).map_err(|e| io(&path, e))?;
        for line in BufReader::new(f).lines() {
            let line = line.map_err(|e| io(&path, e))?;
            rows.push(serde_json::from_str(&line).map_err(|e| io(&path, e.into()))?);
        }
        fs::remove_file(&path).map_err(|e| io(&path, e))?;
        Ok(rows)
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        self.open.clear();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_come_back_by_day_in_order_and_a_cleared_part_is_forgotten() {
        let root = std::env::temp_dir().join(format!("allot-spill-{}", std::process::id()));
        fs::create_dir_all(&root).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let mut s = Spill::new(&root).unwrap();
        s.push("cost", d("2026-10-01"), &json!({"a": 1})).unwrap();
        s.push("cost", d("2026-10-02"), &json!({"a": 2})).unwrap();
        s.push("cost", d("2026-10-01"), &json!({"a": 3})).unwrap();
        s.push("usage", d("2026-10-01"), &json!({"u": 1})).unwrap();
        s.push("analytics/usage", d("2026-10-01"), &json!({"u": 9}))
            .unwrap();
        assert_eq!(
            s.take("cost", d("2026-10-01")).unwrap(),
            vec![json!({"a": 1}), json!({"a": 3})]
        );
        assert!(s.take("cost", d("2026-10-01")).unwrap().is_empty());
        s.clear("usage").unwrap();
        assert!(s.take("usage", d("2026-10-01")).unwrap().is_empty());
        assert_eq!(
            s.take("analytics/usage", d("2026-10-01")).unwrap(),
            vec![json!({"u": 9})]
        );
        s.push("usage", d("2026-10-01"), &json!({"u": 2})).unwrap();
        assert_eq!(
            s.take("usage", d("2026-10-01")).unwrap(),
            vec![json!({"u": 2})]
        );
        let dir = s.dir.clone();
        drop(s);
        assert!(!dir.exists(), "the spill's folder goes with it");
        let _ = fs::remove_dir_all(&root);
    }
}
