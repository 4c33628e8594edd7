//! The monthly close: every output of a month's run kept in a numbered version folder beside a
//! manifest of content hashes of every input and output, so anyone can check that re-running
//! with the same inputs gives the same bytes, and see what changed between versions.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hex SHA-256 of bytes.
pub fn sha256(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// One hashed input file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputHash {
    /// What the file is (`cost`, `mapping`, `invoice`, `activity`).
    pub role: String,
    /// The path as given.
    pub path: String,
    /// Its content hash.
    pub sha256: String,
}

/// One hashed output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputHash {
    /// File name inside the version folder.
    pub name: String,
    /// Its content hash.
    pub sha256: String,
}

/// `manifest.json` of a close version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The month closed.
    pub month: String,
    /// Version number (1, 2, ...).
    pub version: u32,
    /// `settled` or `provisional`.
    pub status: String,
    /// The as-of date settlement was judged on.
    pub as_of: String,
    /// allot's version.
    pub allot_version: String,
    /// Every input's hash.
    pub inputs: Vec<InputHash>,
    /// The options that shape the outputs, as text.
    pub options: BTreeMap<String, String>,
    /// Every output's hash.
    pub outputs: Vec<OutputHash>,
}

impl Manifest {
    /// Whether two closes had the same inputs and options.
    pub fn same_inputs(&self, other: &Manifest) -> bool {
        let key = |m: &Manifest| -> Vec<(String, String)> {
            let mut v: Vec<(String, String)> = m
                .inputs
                .iter()
                .map(|i| (i.role.clone(), i.sha256.clone()))
                .collect();
            v.sort();
            v
        };
        key(self) == key(other) && self.options == other.options
    }

    /// Roles whose content differs from `before`.
    pub fn changed_roles(&self, before: &Manifest) -> Vec<String> {
        let mut roles: Vec<String> = Vec::new();
        for role in ["cost", "mapping", "invoice", "activity"] {
            let hashes = |m: &Manifest| -> Vec<String> {
                let mut v: Vec<String> = m
                    .inputs
                    .iter()
                    .filter(|i| i.role == role)
                    .map(|i| i.sha256.clone())
                    .collect();
                v.sort();
                v
            };
            if hashes(self) != hashes(before) {
                roles.push(role.to_string());
            }
        }
        if self.options != before.options {
            roles.push("options".into());
        }
        roles
    }
}

/// The folder holding a month's close versions: `DIR/MONTH`.
pub fn month_dir(dir: &Path, month: &str) -> PathBuf {
    dir.join(month)
}

/// The latest version of a month's close, if any.
pub fn latest(dir: &Path, month: &str) -> std::io::Result<Option<(u32, Manifest, PathBuf)>> {
    let md = month_dir(dir, month);
    let Ok(entries) = fs::read_dir(&md) else {
        return Ok(None);
    };
    let mut best: Option<(u32, PathBuf)> = None;
    for e in entries {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(n) = name.strip_prefix('v').and_then(|n| n.parse::<u32>().ok()) {
            if best.as_ref().is_none_or(|(b, _)| n > *b) {
                best = Some((n, e.path()));
            }
        }
    }
    let Some((n, path)) = best else {
        return Ok(None);
    };
    let manifest: Manifest = serde_json::from_slice(&fs::read(path.join("manifest.json"))?)
        .map_err(|e| {
            std::io::Error::other(format!("{}: {e}", path.join("manifest.json").display()))
        })?;
    Ok(Some((n, manifest, path)))
}

/// Writes a new version folder atomically: everything goes to a hidden folder first, which is
/// renamed to `vN` only once complete. Earlier versions are never touched.
pub fn write_version(
    dir: &Path,
    manifest: &Manifest,
    files: &[(String, Vec<u8>)],
) -> std::io::Result<PathBuf> {
    let md = month_dir(dir, &manifest.month);
    fs::create_dir_all(&md)?;
    let target = md.join(format!("v{}", manifest.version));
    let tmp = md.join(format!(".v{}.tmp-{}", manifest.version, std::process::id()));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp)?;
    let result = (|| {
        for (name, bytes) in files {
            let p = tmp.join(name);
            if let Some(parent) = p.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::write(&p, bytes)?;
        }
        let mut json = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
        json.push(b'\n');
        fs::write(tmp.join("manifest.json"), json)?;
        fs::rename(&tmp, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&tmp);
    }
    result.map(|()| target)
}
