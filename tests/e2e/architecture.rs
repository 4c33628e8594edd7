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
    ("allot-mcp", 5),
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

/// The top-level modules a source text names through `crate::` (a `crate::{a, b::c}` group
/// names each of its items' first segment).
fn modules_named(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let ident = |s: &str| -> String {
        s.trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            out.extend(group[..end].split(',').map(ident));
        } else {
            out.push(ident(rest));
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
}

/// A crate's top-level modules and the ones each names (its tests left out: a test module may
/// use anything).
fn module_graph(src: &Path) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut graph: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut dirs = vec![src.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).expect("under src");
            let top = rel
                .components()
                .next()
                .map(|c| {
                    c.as_os_str()
                        .to_string_lossy()
                        .trim_end_matches(".rs")
                        .to_string()
                })
                .unwrap_or_default();
            if top == "lib" || top == "main" {
                continue;
            }
            let mut text = std::fs::read_to_string(&path).expect("source");
            if let Some(at) = text.find("#[cfg(test)]") {
                text.truncate(at);
            }
            let named = modules_named(&text);
            let entry = graph.entry(top.clone()).or_default();
            entry.extend(named.into_iter().filter(|m| *m != top));
        }
    }
    let known: std::collections::BTreeSet<String> = graph.keys().cloned().collect();
    for named in graph.values_mut() {
        named.retain(|m| known.contains(m));
    }
    graph
}

/// A circle in `graph`, if it has one.
fn circle(graph: &BTreeMap<String, std::collections::BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        m: &str,
        graph: &BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == m) {
            let mut c = path[at..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for next in graph.get(m).into_iter().flatten() {
            if let Some(c) = visit(next, graph, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|m| visit(m, graph, &mut Vec::new(), &mut done))
}

#[test]
fn no_module_of_a_crate_is_in_a_circle() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut read = 0;
    for (name, _) in LAYERS {
        let graph = module_graph(&crates.join(name).join("src"));
        read += graph.len();
        if let Some(c) = circle(&graph) {
            panic!(
                "{name}: its modules name each other in a circle ({}): move what both need below them",
                c.join(" -> ")
            );
        }
    }
    assert!(read > 50, "the rule read the crates' modules");
    // The rule finds a circle when there is one.
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), ["b".to_string()].into());
    graph.insert("b".to_string(), ["a".to_string()].into());
    assert!(circle(&graph).is_some());
    assert_eq!(
        modules_named("use crate::{inputs, output::say};"),
        ["inputs", "output"]
    );
}
