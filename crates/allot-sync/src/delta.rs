//! A Delta Lake transaction log, written and read by hand (protocol: reader 1, writer 2): the
//! part of the Delta protocol the store needs, so that every source is a Delta table any engine
//! reads as it is (Spark, Databricks, Trino, DuckDB, polars, Python's `deltalake`).
//!
//! A table is a folder: Parquet data files that are never rewritten in place, and
//! `_delta_log/NNNNNNNNNNNNNNNNNNNN.json`, one file per committed version, each a line per
//! action (`protocol`, `metaData`, `add`, `remove`, `commitInfo`). A version is committed by
//! creating its log file under its final name only if no file has it yet (a hard link of a
//! fully written temporary file), so a reader that lists the log sees whole versions only, and a
//! writer killed before that leaves the last version as it was. A reader replays the versions
//! up to the one it pinned and reads exactly the files they add and do not remove.
//!
//! Why not the `deltalake` crate (delta-rs): it brings a second Arrow and Parquet
//! implementation beside polars' (arrow-rs, parquet, object_store, delta kernel, aws-lc-sys: 94
//! crates allot does not build today), while the store needs five actions and one write path.
//! CI reads the tables with Python's `deltalake` to hold this module to the protocol.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::SyncError;

/// The log folder of a table.
pub const LOG: &str = "_delta_log";

/// A data file a version adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Add {
    /// Relative to the table's folder.
    pub path: String,
    /// Partition column → value.
    pub partition_values: BTreeMap<String, String>,
    /// Bytes.
    pub size: u64,
    /// Milliseconds since the epoch.
    pub modification_time: i64,
    /// Always true: every add changes data.
    pub data_change: bool,
    /// Statistics as a JSON string (`numRecords`, `minValues`, `maxValues`, `nullCount`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<String>,
    /// Free text tags: the store keeps what it recorded of each day of the file here.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A data file a version removes (it stays on disk for older versions until vacuumed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Remove {
    /// Relative to the table's folder.
    pub path: String,
    /// Milliseconds since the epoch.
    pub deletion_timestamp: i64,
    /// Always true.
    pub data_change: bool,
    /// Partition values and size follow.
    pub extended_file_metadata: bool,
    /// As in the add.
    pub partition_values: BTreeMap<String, String>,
    /// As in the add.
    pub size: u64,
}

/// One action of a version.
#[derive(Debug, Clone)]
pub enum Action {
    /// The protocol versions a reader and a writer need.
    Protocol {
        /// Reader version.
        min_reader_version: u32,
        /// Writer version.
        min_writer_version: u32,
    },
    /// The table's schema and partitioning.
    MetaData(Box<Value>),
    /// A file added.
    Add(Add),
    /// A file removed.
    Remove(Remove),
    /// What the version was (free form; allot keeps its own fields under `allot`).
    CommitInfo(Value),
    /// An action this reader does not need (`txn`, `cdc`, `domainMetadata`...).
    Other,
}

impl Action {
    /// The action as one log line's JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Action::Protocol {
                min_reader_version,
                min_writer_version,
            } => serde_json::json!({"protocol": {
                "minReaderVersion": min_reader_version,
                "minWriterVersion": min_writer_version,
            }}),
            Action::MetaData(m) => serde_json::json!({ "metaData": m }),
            Action::Add(a) => serde_json::json!({ "add": a }),
            Action::Remove(r) => serde_json::json!({ "remove": r }),
            Action::CommitInfo(c) => serde_json::json!({ "commitInfo": c }),
            Action::Other => serde_json::json!({}),
        }
    }

    /// Reads one log line's JSON.
    pub fn from_json(v: Value) -> Result<Action, serde_json::Error> {
        let Value::Object(map) = v else {
            return Ok(Action::Other);
        };
        let Some((kind, body)) = map.into_iter().next() else {
            return Ok(Action::Other);
        };
        Ok(match kind.as_str() {
            "protocol" => Action::Protocol {
                min_reader_version: u32::try_from(body["minReaderVersion"].as_u64().unwrap_or(1))
                    .unwrap_or(u32::MAX),
                min_writer_version: u32::try_from(body["minWriterVersion"].as_u64().unwrap_or(2))
                    .unwrap_or(u32::MAX),
            },
            "metaData" => Action::MetaData(Box::new(body)),
            "add" => Action::Add(serde_json::from_value(body)?),
            "remove" => Action::Remove(serde_json::from_value(body)?),
            "commitInfo" => Action::CommitInfo(body),
            _ => Action::Other,
        })
    }
}

/// The file name of `version` in the log.
pub fn log_file(table: &Path, version: u64) -> PathBuf {
    table.join(LOG).join(format!("{version:020}.json"))
}

/// The committed versions of the table at `table`, in order (empty when it has none).
pub fn versions(table: &Path) -> Result<Vec<u64>, SyncError> {
    let dir = table.join(LOG);
    let mut out = Vec::new();
    match fs::read_dir(&dir) {
        Ok(entries) => {
            for e in entries {
                let e = e.map_err(|source| io(&dir, source))?;
                let name = e.file_name();
                let name = name.to_string_lossy();
                if let Some(v) = name.strip_suffix(".json") {
                    if v.len() == 20 {
                        if let Ok(v) = v.parse::<u64>() {
                            out.push(v);
                        }
                    }
                }
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(io(&dir, source)),
    }
    out.sort_unstable();
    Ok(out)
}

/// The actions of one committed version.
pub fn read_version(table: &Path, version: u64) -> Result<Vec<Action>, SyncError> {
    let path = log_file(table, version);
    let file = File::open(&path).map_err(|e| io(&path, e))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| io(&path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let action = serde_json::from_str(&line)
            .and_then(Action::from_json)
            .map_err(|e| SyncError::Io {
                path: path.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("line {}: not a Delta action: {e}", i + 1),
                ),
            })?;
        if let Action::Protocol {
            min_reader_version, ..
        } = &action
        {
            if *min_reader_version > 1 {
                return Err(SyncError::Plan(format!(
                    "the table `{}` needs a Delta reader of version {min_reader_version} (written by another engine?): allot reads version 1",
                    table.display()
                )));
            }
        }
        out.push(action);
    }
    Ok(out)
}

/// Commits `actions` as `version` of the table at `table`: fails with
/// [`SyncError::Plan`] if that version exists (another writer got there first).
pub fn commit(table: &Path, version: u64, actions: &[Action]) -> Result<(), SyncError> {
    let dir = table.join(LOG);
    fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let target = log_file(table, version);
    let tmp = dir.join(format!(".{version:020}.json.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = File::create(&tmp).map_err(|e| io(&tmp, e))?;
        for a in actions {
            let line = a.to_json().to_string();
            writeln!(f, "{line}").map_err(|e| io(&tmp, e))?;
        }
        f.sync_all().map_err(|e| io(&tmp, e))?;
        // Put if absent: a link fails when the version exists, a rename would replace it.
        fs::hard_link(&tmp, &target).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                SyncError::Plan(format!(
                    "version {version} of `{}` was committed by another writer meanwhile: run again",
                    table.display()
                ))
            } else {
                io(&target, e)
            }
        })?;
        if let Ok(d) = File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    let _ = fs::remove_file(&tmp);
    result
}

/// The Delta type of a column the store writes.
pub fn delta_type(values: &allot_engine::table_parquet::Values) -> String {
    use allot_engine::table_parquet::Values;
    match values {
        Values::Text(_) => "string".into(),
        Values::Int(_) => "long".into(),
        Values::Decimal(_, scale) => format!("decimal(38,{scale})"),
    }
}

/// The `metaData` action of a table of `columns` (name, Delta type) partitioned by
/// `partition` (a string column not stored in the files).
pub fn metadata(id: &str, columns: &[(String, String)], partition: &str, now_ms: i64) -> Action {
    let mut fields: Vec<Value> = columns
        .iter()
        .map(|(name, ty)| {
            serde_json::json!({"name": name, "type": ty, "nullable": true, "metadata": {}})
        })
        .collect();
    fields.push(
        serde_json::json!({"name": partition, "type": "string", "nullable": true, "metadata": {}}),
    );
    let schema = serde_json::json!({"type": "struct", "fields": fields}).to_string();
    Action::MetaData(Box::new(serde_json::json!({
        "id": id,
        "format": {"provider": "parquet", "options": {}},
        "schemaString": schema,
        "partitionColumns": [partition],
        "configuration": {},
        "createdTime": now_ms,
    })))
}

/// The columns (name, Delta type) of a `metaData` action's schema, partition column aside.
pub fn schema_columns(meta: &Value) -> Vec<(String, String)> {
    let partitions: Vec<&str> = meta["partitionColumns"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let schema: Value = meta["schemaString"]
        .as_str()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or(Value::Null);
    schema["fields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            Some((
                f["name"].as_str()?.to_string(),
                f["type"].as_str()?.to_string(),
            ))
        })
        .filter(|(n, _)| !partitions.contains(&n.as_str()))
        .collect()
}

/// A table id: unique enough for one machine (time, process and a counter), in UUID form.
pub fn table_id(seed: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for b in format!(
        "{seed}|{nanos}|{}|{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
    .bytes()
    {
        h ^= u128::from(b);
        h = h.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
    }
    let x = format!("{h:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &x[0..8],
        &x[8..12],
        &x[12..16],
        &x[16..20],
        &x[20..32]
    )
}

/// Milliseconds since the epoch, now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn io(path: &Path, source: std::io::Error) -> SyncError {
    SyncError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_committed_once_and_read_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let add = Add {
            path: "month=2026-09/a.parquet".into(),
            partition_values: [("month".to_string(), "2026-09".to_string())].into(),
            size: 10,
            modification_time: 1,
            data_change: true,
            stats: Some("{\"numRecords\":2}".into()),
            tags: BTreeMap::new(),
        };
        let actions = vec![
            Action::Protocol {
                min_reader_version: 1,
                min_writer_version: 2,
            },
            metadata("id", &[("date".into(), "string".into())], "month", 1),
            Action::Add(add.clone()),
            Action::CommitInfo(serde_json::json!({"timestamp": 1, "operation": "WRITE"})),
        ];
        commit(dir.path(), 0, &actions).unwrap();
        let e = commit(dir.path(), 0, &actions).unwrap_err();
        assert!(e.to_string().contains("another writer"), "{e}");
        assert_eq!(versions(dir.path()).unwrap(), vec![0]);
        let back = read_version(dir.path(), 0).unwrap();
        assert!(matches!(&back[2], Action::Add(a) if *a == add));
        let Action::MetaData(m) = &back[1] else {
            panic!("metadata")
        };
        assert_eq!(
            schema_columns(m),
            vec![("date".to_string(), "string".to_string())]
        );
        // An action this reader does not know is kept as `Other`, not an error.
        let log = log_file(dir.path(), 1);
        fs::write(&log, "{\"txn\":{\"appId\":\"x\",\"version\":1}}\n").unwrap();
        assert!(matches!(
            read_version(dir.path(), 1).unwrap()[0],
            Action::Other
        ));
    }
}
