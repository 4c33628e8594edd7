//! The crate graph as ARCHITECTURE.md draws it: each crate depends only on crates below it,
//! so figures never depend on a renderer and no renderer on a front end.

use std::collections::BTreeMap;
use std::path::Path;

/// Each crate's layer, bottom first; a crate may depend on crates of a lower layer only.
const LAYERS: &[(&str, u8)] = &[
    ("allot-core", 0),
    ("allot-mapping", 1),
    ("allot-synth", 1),
    ("allot-engine", 2),
    ("allot-figures", 2),
    ("allot-watch", 2),
    ("allot-fake-api", 2),
    ("allot-report", 3),
    ("allot-sync", 3),
    ("allot-app", 4),
    ("allot-serve", 5),
    ("allot-bench", 5),
    ("allot", 6),
    ("allot-fuzz", 6),
];

/// The `allot-*` crates a manifest's `[dependencies]` names.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside {
            if let Some(name) = line.split(['.', '=', ' ']).next() {
                if name.starts_with("allot") {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn no_crate_depends_on_one_above_it() {
    let layers: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut seen = 0;
    for entry in std::fs::read_dir(&crates).expect("crates/") {
        let dir = entry.expect("entry").path();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let Some(&layer) = layers.get(name.as_str()) else {
            panic!("crate `{name}` has no layer: add it to LAYERS and to ARCHITECTURE.md");
        };
        seen += 1;
        for dep in dependencies(&manifest) {
            let below = layers.get(dep.as_str()).copied().unwrap_or(u8::MAX);
            assert!(
                below < layer,
                "`{name}` (layer {layer}) depends on `{dep}` (layer {below}): a crate depends only on crates below it"
            );
        }
    }
    assert_eq!(seen, LAYERS.len(), "every crate was read");
}
