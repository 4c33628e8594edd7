//! Bad input: a one-paragraph error naming the file, line, column and value, exit code 2, and
//! nothing written to the output folder.

use std::path::Path;

use crate::support::{allot, fixture, Run};

fn chargeback(dir: &Path, mapping: &Path, cost: &Path, month: &str) -> Run {
    let out = dir.join("out");
    allot(
        dir,
        &[
            "chargeback",
            "--month",
            month,
            "--mapping",
            mapping.to_str().unwrap(),
            "--cost",
            cost.to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    )
}

fn assert_failed_cleanly(dir: &Path, run: &Run, needles: &[&str]) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    for n in needles {
        assert!(run.stderr.contains(n), "expected `{n}` in:\n{}", run.stderr);
    }
    assert!(
        run.stderr.lines().any(|l| l.starts_with("error: ")),
        "{}",
        run.stderr
    );
    let out = dir.join("out");
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .map(std::iter::Iterator::collect)
        .unwrap_or_default();
    assert!(
        leftovers.is_empty(),
        "nothing may be written: {leftovers:?}"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const HEADER: &str = "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd";

#[test]
fn a_missing_cost_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let run = chargeback(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &dir.path().join("nope.csv"),
        "2026-09",
    );
    assert_failed_cleanly(dir.path(), &run, &["nope.csv"]);
}

#[test]
fn a_missing_column_is_named_with_the_columns_found() {
    let dir = tempfile::tempdir().unwrap();
    let cost = write(
        dir.path(),
        "c.csv",
        "date,email,cost_usd\n2026-09-01,a@x.test,1\n",
    );
    let run = chargeback(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &cost,
        "2026-09",
    );
    assert_failed_cleanly(
        dir.path(),
        &run,
        &[
            "c.csv",
            "no `product` column",
            "columns found: date, email, cost_usd",
        ],
    );
}

#[test]
fn an_unparseable_date_names_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let cost = write(
        dir.path(),
        "c.csv",
        &format!("{HEADER}\n2026-09-01,a@x.test,chat,m,0-200k,tokens,output_tokens,1,1.00\n2026-09-31,a@x.test,chat,m,0-200k,tokens,output_tokens,1,1.00\n"),
    );
    let run = chargeback(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &cost,
        "2026-09",
    );
    assert_failed_cleanly(
        dir.path(),
        &run,
        &[
            "c.csv",
            "line 3",
            "column `date`",
            "`2026-09-31`",
            "not a date",
        ],
    );
}

#[test]
fn an_unparseable_amount_names_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let cost = write(
        dir.path(),
        "c.csv",
        &format!("{HEADER}\n2026-09-01,a@x.test,chat,m,0-200k,tokens,output_tokens,1,1.00\n2026-09-02,a@x.test,chat,m,0-200k,tokens,output_tokens,1,\"1,000.00\"\n"),
    );
    let run = chargeback(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &cost,
        "2026-09",
    );
    assert_failed_cleanly(
        dir.path(),
        &run,
        &["c.csv", "line 3", "column `cost_usd`", "`1,000.00`"],
    );

    let cost = write(
        dir.path(),
        "d.csv",
        &format!(
            "{HEADER}\n2026-09-01,a@x.test,chat,m,0-200k,tokens,output_tokens,1,0.0000000001\n"
        ),
    );
    let run = chargeback(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &cost,
        "2026-09",
    );
    assert_failed_cleanly(
        dir.path(),
        &run,
        &["d.csv", "line 2", "more than 9 decimals"],
    );
}

#[test]
fn a_mapping_row_ending_before_it_starts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mapping = write(
        dir.path(),
        "m.csv",
        "email,cost_center,effective_from,effective_to\na@x.test,C1,,\nb@x.test,C2,2026-09-15,2026-09-01\n",
    );
    let run = chargeback(
        dir.path(),
        &mapping,
        &fixture("handmade/cost.csv"),
        "2026-09",
    );
    assert_failed_cleanly(
        dir.path(),
        &run,
        &[
            "m.csv",
            "line 3",
            "effective_to 2026-09-01 is before effective_from 2026-09-15",
        ],
    );
}

#[test]
fn a_malformed_month_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = chargeback(
        dir.path(),
        &fixture("handmade/mapping.csv"),
        &fixture("handmade/cost.csv"),
        "2026-9",
    );
    assert_failed_cleanly(
        dir.path(),
        &run,
        &["`2026-9` is not a month: expected YYYY-MM"],
    );
}

#[test]
fn an_unknown_rollup_column_lists_the_ones_there_are() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = allot(
        dir.path(),
        &[
            "chargeback",
            "--month",
            "2026-09",
            "--mapping",
            fixture("handmade/mapping.csv").to_str().unwrap(),
            "--cost",
            fixture("handmade/cost.csv").to_str().unwrap(),
            "--by",
            "division",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_failed_cleanly(
        dir.path(),
        &run,
        &["--by division", "cost_center, department, manager"],
    );
}
