//! The monthly close: reproducible to the byte, versioned, restated with reasons.

use std::path::{Path, PathBuf};

use crate::support::{allot, fixture, money, read_csv, Run};

struct Close {
    dir: tempfile::TempDir,
}

impl Close {
    fn new() -> Close {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(fixture("handmade/cost.csv"), dir.path().join("cost.csv")).unwrap();
        std::fs::copy(
            fixture("handmade/mapping.csv"),
            dir.path().join("mapping.csv"),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("invoice.csv"),
            "Billing Month,Description,Amount\n2026-09,Claude usage,$40.95\n2026-09,Enterprise seats,\"$1,000.00\"\n2026-09,Sales tax,$8.00\n",
        )
        .unwrap();
        Close { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, closes: &str, extra: &[&str]) -> Run {
        let (m, c, i, d) = (
            self.path("mapping.csv"),
            self.path("cost.csv"),
            self.path("invoice.csv"),
            self.path(closes),
        );
        let mut args = vec![
            "close",
            "--month",
            "2026-09",
            "--mapping",
            m.to_str().unwrap(),
            "--cost",
            c.to_str().unwrap(),
            "--invoice",
            i.to_str().unwrap(),
            "--dir",
            d.to_str().unwrap(),
        ];
        if !extra.contains(&"--as-of") {
            args.extend(["--as-of", "2026-11-23"]);
        }
        // The hand-made facts are a few days of September; no cost on the others is a fact.
        if !extra.contains(&"--covers") {
            args.extend(["--covers", "2026-08-31..2026-09-30"]);
        }
        args.extend_from_slice(extra);
        allot(self.dir.path(), &args)
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_close_is_reproducible_byte_for_byte() {
    let c = Close::new();
    let run = c.run("a", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = c.run("b", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (a, b) = (
        files(&c.path("a/2026-09/v1")),
        files(&c.path("b/2026-09/v1")),
    );
    assert!(a.len() > 10);
    assert_eq!(
        a, b,
        "two closes of the same inputs are identical, manifest included"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(c.path("a/2026-09/v1/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["status"], "settled");
    assert_eq!(manifest["inputs"].as_array().unwrap().len(), 3);
    assert!(manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "reconciliation.csv"));
    // Closing again with the same inputs records nothing new.
    let again = c.run("a", &[]);
    assert_eq!(again.code, 0);
    assert!(
        again.stderr.contains("identical, byte for byte"),
        "{}",
        again.stderr
    );
    assert!(!c.path("a/2026-09/v2").exists());
    let rec = read_csv(&c.path("a/2026-09/v1/reconciliation.csv"));
    assert_eq!(rec[0]["status"], "MATCH");
}

#[test]
fn a_revised_fact_and_a_changed_mapping_make_a_new_version_with_a_restatement() {
    let c = Close::new();
    assert_eq!(c.run("closes", &[]).code, 0);
    // cy's 09-21 chat cost is revised from 0.333333333 to 5.333333333: CC-200 moves by 5.00.
    let cost = std::fs::read_to_string(c.path("cost.csv")).unwrap().replace(
        "2026-09-21,cy@acme.test,chat,claude-sonnet-4-6,0-200k,tokens,uncached_input_tokens,111111,0.333333333",
        "2026-09-21,cy@acme.test,chat,claude-sonnet-4-6,0-200k,tokens,uncached_input_tokens,111111,5.333333333",
    );
    std::fs::write(c.path("cost.csv"), cost).unwrap();
    // The invoice (40.95) no longer matches the revised facts (45.95): refused, shown, exit 1.
    let run = c.run("closes", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("VARIANCE"), "{}", run.stdout);
    assert!(!c.path("closes/2026-09/v2").exists());
    let run = c.run(
        "closes",
        &["--accept-variance", "revised after the invoice was issued"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest = std::fs::read_to_string(c.path("closes/2026-09/v2/manifest.json")).unwrap();
    assert!(
        manifest.contains("revised after the invoice was issued"),
        "{manifest}"
    );
    let r = read_csv(&c.path("closes/2026-09/v2/restatement.csv"));
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0]["cost_center"], "CC-200");
    assert_eq!(money(&r[0]["change_usd"]), money("5.00"));
    assert_eq!(r[0]["why"], "revised facts");
    assert!(
        c.path("closes/2026-09/v1/chargeback.csv").exists(),
        "earlier versions stay"
    );

    // zed joins CC-100 in the mapping: his 7.777777777 moves from UNMAPPED to CC-100. In cents:
    // UNMAPPED loses its 7.78; CC-100 goes from 12.84 to 20.61 (exact 20.617111110) and the
    // largest-remainder cent that CC-100 held goes to CC-200 (25.337333333 now rounds to 25.34),
    // so the month still adds up to 45.95. All three moves are the mapping's doing.
    let mut mapping = std::fs::read_to_string(c.path("mapping.csv")).unwrap();
    mapping.push_str("zed@contractor.test,CC-100,Eng,,,lee@acme.test\n");
    std::fs::write(c.path("mapping.csv"), mapping).unwrap();
    assert_eq!(
        c.run(
            "closes",
            &["--accept-variance", "revised after the invoice was issued"]
        )
        .code,
        0
    );
    let r = read_csv(&c.path("closes/2026-09/v3/restatement.csv"));
    let cc100 = r.iter().find(|x| x["cost_center"] == "CC-100").unwrap();
    assert_eq!(cc100["why"], "changed mapping");
    assert_eq!(money(&cc100["mapping_effect_usd"]), money("7.77"));
    let unmapped = r.iter().find(|x| x["cost_center"] == "UNMAPPED").unwrap();
    assert_eq!(money(&unmapped["change_usd"]), money("-7.78"));
    let cc200 = r.iter().find(|x| x["cost_center"] == "CC-200").unwrap();
    assert_eq!(money(&cc200["change_usd"]), money("0.01"));
    let net: rust_decimal::Decimal = r.iter().map(|x| money(&x["change_usd"])).sum();
    assert_eq!(
        net,
        money("0.00"),
        "a mapping change moves cost, never creates it"
    );
}

#[test]
fn an_unsettled_month_is_refused_unless_provisional() {
    let c = Close::new();
    let run = c.run("closes", &["--as-of", "2026-10-15"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not settled as of 2026-10-15"),
        "{}",
        run.stderr
    );
    assert!(!c.path("closes/2026-09").exists());
    let run = c.run("closes", &["--as-of", "2026-10-15", "--provisional"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let manifest = std::fs::read_to_string(c.path("closes/2026-09/v1/manifest.json")).unwrap();
    assert!(
        manifest.contains("\"status\": \"provisional\""),
        "{manifest}"
    );
    assert!(read_csv(&c.path("closes/2026-09/v1/chargeback.csv"))
        .iter()
        .all(|r| r["status"] == "provisional"));
    assert!(read_csv(&c.path("closes/2026-09/v1/reconciliation.csv"))
        .iter()
        .all(|r| r["status"] == "UNSETTLED"));
}

#[test]
fn a_later_as_of_alone_records_no_new_version() {
    let c = Close::new();
    assert_eq!(c.run("closes", &[]).code, 0);
    let run = c.run("closes", &["--as-of", "2027-01-15"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("identical, byte for byte"),
        "{}",
        run.stderr
    );
    assert!(
        !c.path("closes/2026-09/v2").exists(),
        "a version changes only when outputs change"
    );
}

#[test]
fn an_incomplete_month_is_refused_and_the_reconciliation_is_shown() {
    let c = Close::new();
    // Facts that stop on 09-10 do not make a September.
    let cost: String = std::fs::read_to_string(c.path("cost.csv"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("date") || &l[..10] <= "2026-09-10")
        .fold(String::new(), |mut t, l| {
            t.push_str(l);
            t.push('\n');
            t
        });
    std::fs::write(c.path("cost.csv"), cost).unwrap();
    let run = c.run("closes", &["--covers", "2026-08-31..2026-09-10"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("cannot be closed") && run.stderr.contains("2026-09-11..2026-09-30"),
        "{}",
        run.stderr
    );
    assert!(!c.path("closes/2026-09").exists());
    // Complete again, but the invoice no longer matches: the reconciliation is on screen.
    std::fs::copy(fixture("handmade/cost.csv"), c.path("cost.csv")).unwrap();
    std::fs::write(
        c.path("invoice.csv"),
        "Billing Month,Description,Amount\n2026-09,Claude usage,$140.95\n",
    )
    .unwrap();
    let run = c.run("closes", &[]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("Invoice reconciliation") && run.stdout.contains("VARIANCE"),
        "{}",
        run.stdout
    );
    assert!(!c.path("closes/2026-09").exists(), "nothing recorded");
}
