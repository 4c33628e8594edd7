//! A crawler over the demo dashboard: every link of every page answers (no 404, no 500), in
//! both store layouts (the Usage and Cost Analytics API's per-actor cost, and the older
//! per-user reports), with and without `--pseudonymize`; and every table under a figure adds
//! up to that figure, to the cent (a cost center's spenders, days, products and models; a
//! person's days, products and models).

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rust_decimal::Decimal;

use crate::serve::{csv_rows, demo_args, get, serve, sum, Served};
use crate::support::demo;

/// Every `href="/..."` of a page, `?csv=` links made whole against the page's path.
fn links(path: &str, body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in body.split("href=\"").skip(1) {
        let Some(end) = part.find('"') else { continue };
        let href = part[..end].replace("&amp;", "&");
        if href.starts_with('/') {
            out.push(href);
        } else if let Some(q) = href.strip_prefix('?') {
            let base = path.split('?').next().unwrap_or(path);
            out.push(format!("{base}?{q}"));
        }
    }
    out
}

/// Follows every link from `/` (each path once) and returns the HTML pages seen, with their
/// bodies; panics on any answer but 200.
fn crawl(s: &Served) -> BTreeMap<String, String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = VecDeque::from(["/".to_string()]);
    let mut pages = BTreeMap::new();
    let mut broken = Vec::new();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) || path.starts_with("/assets/") {
            continue;
        }
        // A table's CSV: one per table name on a page kind is enough for links; every CSV
        // of the pages the sums check is read there.
        let is_csv = path.contains("?csv=");
        let a = get(&s.base, &path);
        if a.status != 200 {
            broken.push(format!("{path}: {}", a.status));
            continue;
        }
        if is_csv {
            continue;
        }
        for l in links(&path, &a.body) {
            if l == "/logout" || l.starts_with("/login") {
                continue;
            }
            if !seen.contains(&l) {
                queue.push_back(l);
            }
        }
        pages.insert(path, a.body);
    }
    assert!(broken.is_empty(), "links that do not answer: {broken:#?}");
    pages
}

/// The CSV of table `name` on page `path`, parsed.
fn table(s: &Served, path: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    let a = get(&s.base, &format!("{path}?csv={name}"));
    assert_eq!(a.status, 200, "{path}?csv={name}");
    csv_rows(&a.body)
}

/// The names of a page's tables (its `?csv=` links).
fn tables_of(body: &str) -> BTreeSet<String> {
    body.split("href=\"?csv=")
        .skip(1)
        .filter_map(|x| x.find('"').map(|e| x[..e].to_string()))
        .collect()
}

/// Checks that every breakdown on a cost-center or person page sums to the page's figure.
fn check_sums(s: &Served, pages: &BTreeMap<String, String>) -> usize {
    let mut checked = 0;
    for (path, body) in pages {
        let tables = tables_of(body);
        let figure: Option<Decimal> = if path.contains("/cost-center/") {
            tables.contains("chargeback").then(|| {
                let cb = table(s, path, "chargeback");
                sum(&cb, "amount_usd")
            })
        } else if path.contains("/person/") {
            tables.contains("top_spenders").then(|| {
                let top = table(s, path, "top_spenders");
                sum(&top, "amount_usd")
            })
        } else {
            None
        };
        // What drove a cost center's change adds up to its month over month, to the cent.
        if tables.contains("explain") && tables.contains("month_over_month") {
            let drivers = table(s, path, "explain");
            let line = table(s, path, "month_over_month");
            let change = line[0]["change_usd"].clone();
            if !change.is_empty() {
                assert_eq!(
                    sum(&drivers, "amount_usd"),
                    change.parse::<Decimal>().unwrap(),
                    "{path}: the drivers do not add up to the month over month's change"
                );
                checked += 1;
            }
        }
        let Some(figure) = figure else { continue };
        for name in ["people", "daily", "product_mix", "model_mix"] {
            if !tables.contains(name) {
                continue;
            }
            let rows = table(s, path, name);
            let parts = sum(&rows, "amount_usd");
            assert_eq!(
                parts, figure,
                "{path}: table `{name}` sums to {parts}, the figure above it is {figure}"
            );
            checked += 1;
        }
    }
    checked
}

fn run(args: &[String], env: &[(&str, &str)], pseudonyms: bool) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = serve(&refs, env);
    let pages = crawl(&s);
    let kinds = |k: &str| pages.keys().filter(|p| p.contains(k)).count();
    assert!(kinds("/cost-center/") >= 10, "{:?}", pages.keys());
    assert!(
        kinds("/person/") >= 100,
        "{} person pages",
        kinds("/person/")
    );
    // API keys, service accounts and workspaces have pages too, their ids as written.
    if pseudonyms {
        for (p, body) in &pages {
            assert!(!body.contains("@example.com"), "{p} shows an email");
        }
    } else {
        assert!(
            pages.keys().any(|p| p.contains("/person/api_key%3A")),
            "no API key page was linked"
        );
    }
    // Each cost center's page shows what drove its change (the demo holds the month before).
    assert!(
        pages
            .iter()
            .any(|(p, body)| p.contains("/cost-center/") && tables_of(body).contains("explain")),
        "no cost-center page shows what drove its change"
    );
    let checked = check_sums(&s, &pages);
    assert!(checked > 100, "only {checked} tables were checked");
}

#[test]
fn every_link_of_the_demo_dashboard_answers_and_every_table_adds_up() {
    let key = [("ALLOT_PSEUDONYM_KEY", "crawl-test-key")];
    run(&demo_args(&[]), &[], false);
    let mut pseudo = vec!["--pseudonymize".to_string()];
    pseudo.extend(demo_args(&[]));
    run(&pseudo, &key, true);
}

#[test]
fn every_link_answers_on_a_store_synced_from_the_per_user_reports() {
    let api = crate::sync::fake(&["--rate", "100000"]);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let s = store.to_str().unwrap();
    let r = crate::sync::run(crate::sync::sync_cmd(
        dir.path(),
        &[
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-31",
            "--store",
            s,
            "--base-url",
            &api.url,
            "--as-of",
            "2026-11-23",
            "--rate",
            "100000",
            "--cost-api",
            "legacy",
        ],
        false,
    ));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mapping = demo().join("input/org-mapping.csv");
    let args: Vec<String> = [
        "serve",
        "--store",
        s,
        "--mapping",
        mapping.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let served = serve(&refs, &[]);
    let pages = crawl(&served);
    assert!(pages.keys().any(|p| p.contains("/cost-center/")));
    assert!(check_sums(&served, &pages) > 50);
    let mut pseudo = vec!["--pseudonymize".to_string()];
    pseudo.extend(args);
    let refs: Vec<&str> = pseudo.iter().map(String::as_str).collect();
    let served = serve(&refs, &[("ALLOT_PSEUDONYM_KEY", "crawl-test-key")]);
    let pages = crawl(&served);
    for (p, body) in &pages {
        assert!(!body.contains("@example.com"), "{p} shows an email");
    }
}
