//! Running the binary and reading what it wrote.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository's top folder.
pub fn repo() -> PathBuf {
    // As cargo gives it to this run: a test binary built in another clone can be reused.
    PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string()),
    )
    .join("../..")
    .canonicalize()
    .unwrap()
}

/// A fixture file under tests/fixtures.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// What a run of `allot` did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `allot` with `args` in `cwd`.
pub fn allot(cwd: &Path, args: &[&str]) -> Run {
    allot_env(cwd, args, &[])
}

/// Runs `allot` with `args` in `cwd` and these environment variables set.
pub fn allot_env(cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_allot"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("ALLOT_CONFIG")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "200")
        .envs(env.iter().copied())
        .output()
        .expect("run allot");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Reads a CSV file into header-keyed rows.
pub fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .map(String::from)
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

/// Parses a money cell exactly.
pub fn money(s: &str) -> rust_decimal::Decimal {
    s.parse()
        .unwrap_or_else(|e| panic!("`{s}` is not money: {e}"))
}

/// A demo store synced as of 2026-11-23 (2026-08-01..2026-11-22), shared by the tests that
/// only read it.
pub fn demo() -> &'static Path {
    static DEMO: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, out) = DEMO.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("demo");
        let run = allot(
            dir.path(),
            &[
                "-q",
                "demo",
                "--as-of",
                "2026-11-23",
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        (dir, out)
    });
    out
}
