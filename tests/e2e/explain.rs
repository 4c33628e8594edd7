//! `allot explain`: every cost center's change split into drivers that add up to it to the
//! cent, with the people behind each, on files and on the demo's store.

use std::collections::HashMap;

use crate::support::{allot, demo, money, read_csv};

/// Rows of `explain.csv` by (cost center, driver).
fn by_driver(
    rows: &[HashMap<String, String>],
    level: &str,
) -> HashMap<(String, String), HashMap<String, String>> {
    rows.iter()
        .map(|r| ((r[level].clone(), r["driver"].clone()), r.clone()))
        .collect()
}

/// Each line's drivers add up to its change, and its change is now - before.
fn assert_adds_up(rows: &[HashMap<String, String>], level: &str) {
    let mut sums: HashMap<&str, rust_decimal::Decimal> = HashMap::new();
    for r in rows {
        *sums.entry(r[level].as_str()).or_default() += money(&r["amount_usd"]);
        assert_eq!(
            money(&r["change_usd"]),
            money(&r["now_usd"]) - money(&r["before_usd"]),
            "{r:?}"
        );
    }
    for (line, sum) in sums {
        let change = rows
            .iter()
            .find(|r| r[level] == line)
            .map(|r| money(&r["change_usd"]));
        assert_eq!(
            Some(sum),
            change,
            "drivers of {line} do not add up to its change"
        );
    }
}

/// A person who doubled their tokens, a mover, a joiner and a leaver, on files: each lands on
/// its driver with its amount, and the contributors name them.
#[test]
fn a_change_on_files_splits_into_volume_moves_joiners_and_leavers() {
    let dir = tempfile::tempdir().unwrap();
    let cost = dir.path().join("cost.csv");
    std::fs::write(
        &cost,
        "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd\n\
         2026-09-10,ann@x.test,claude_code,claude-opus-4-6,0-200k,tokens,output_tokens,1000000,10.00\n\
         2026-09-11,bob@x.test,claude_code,claude-sonnet-4-6,0-200k,tokens,output_tokens,1000000,3.00\n\
         2026-09-12,dee@x.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,1000000,5.00\n\
         2026-10-10,ann@x.test,claude_code,claude-opus-4-6,0-200k,tokens,output_tokens,2000000,20.00\n\
         2026-10-11,bob@x.test,claude_code,claude-sonnet-4-6,0-200k,tokens,output_tokens,1333333,4.00\n\
         2026-10-12,cy@x.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,666667,2.00\n",
    )
    .unwrap();
    let mapping = dir.path().join("mapping.csv");
    std::fs::write(
        &mapping,
        "email,cost_center,effective_from,effective_to\n\
         ann@x.test,CC-A,,\n\
         bob@x.test,CC-A,,2026-09-30\n\
         bob@x.test,CC-B,2026-10-01,\n\
         cy@x.test,CC-B,,\n\
         dee@x.test,CC-B,,\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = allot(
        dir.path(),
        &[
            "explain",
            "--month",
            "2026-10",
            "--against",
            "2026-09",
            "--cost",
            cost.to_str().unwrap(),
            "--covers",
            "2026-09-01..2026-10-31",
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            "2026-12-15",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The team view first: each cost center with its change and largest driver.
    assert!(
        run.stdout.contains("CC-A") && run.stdout.contains("volume"),
        "{}",
        run.stdout
    );
    let rows = read_csv(&out.join("explain.csv"));
    assert_adds_up(&rows, "cost_center");
    let rows = by_driver(&rows, "cost_center");
    let amount =
        |cc: &str, driver: &str| money(&rows[&(cc.to_string(), driver.to_string())]["amount_usd"]);
    let named = |cc: &str, driver: &str| {
        rows[&(cc.to_string(), driver.to_string())]["contributors"].clone()
    };
    assert_eq!(amount("CC-A", "volume"), money("10.00"));
    assert_eq!(named("CC-A", "volume"), "ann@x.test +$10.00");
    assert_eq!(amount("CC-A", "moved_out"), money("-3.00"));
    assert_eq!(amount("CC-B", "moved_in"), money("4.00"));
    assert_eq!(named("CC-B", "moved_in"), "bob@x.test +$4.00");
    assert_eq!(amount("CC-B", "joined"), money("2.00"));
    assert_eq!(amount("CC-B", "left"), money("-5.00"));
    assert_eq!(named("CC-B", "left"), "dee@x.test -$5.00");
    assert_eq!(
        amount("TOTAL", "volume")
            + amount("TOTAL", "joined")
            + amount("TOTAL", "left")
            + amount("TOTAL", "moved_in")
            + amount("TOTAL", "moved_out"),
        money("8.00")
    );
    for cc in ["CC-A", "CC-B", "TOTAL"] {
        assert_eq!(
            amount(cc, "partial_period"),
            money("0"),
            "October is over: no partial period"
        );
        assert_eq!(
            rows[&(cc.to_string(), "volume".to_string())]["status"],
            "settled"
        );
    }
    // A cost center that does not exist is named, with the nearest one.
    let bad = allot(
        dir.path(),
        &[
            "explain",
            "--month",
            "2026-10",
            "--cost",
            cost.to_str().unwrap(),
            "--covers",
            "2026-09-01..2026-10-31",
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            "2026-12-15",
            "--cost-center",
            "CC-C",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("CC-C") && bad.stderr.contains("did you mean"),
        "{}",
        bad.stderr
    );
}

/// Any two periods of the same kind with `--from/--to` and `--against-from/--against-to`: three
/// days of October against the same three of September split exactly as the two months do
/// (every fact falls on those days); periods of another kind, or sharing days, are refused.
#[test]
fn days_against_days_split_as_their_months_do() {
    let dir = tempfile::tempdir().unwrap();
    let cost = dir.path().join("cost.csv");
    std::fs::write(
        &cost,
        "date,email,product,model,context_window,cost_type,token_type,tokens,cost_usd\n\
         2026-09-10,ann@x.test,claude_code,claude-opus-4-6,0-200k,tokens,output_tokens,1000000,10.00\n\
         2026-09-11,bob@x.test,claude_code,claude-sonnet-4-6,0-200k,tokens,output_tokens,1000000,3.00\n\
         2026-10-10,ann@x.test,claude_code,claude-opus-4-6,0-200k,tokens,output_tokens,2000000,20.00\n\
         2026-10-12,cy@x.test,chat,claude-sonnet-4-6,0-200k,tokens,output_tokens,666667,2.00\n",
    )
    .unwrap();
    let mapping = dir.path().join("mapping.csv");
    std::fs::write(
        &mapping,
        "email,cost_center,effective_from,effective_to\n\
         ann@x.test,CC-A,,\n\
         bob@x.test,CC-A,,\n\
         cy@x.test,CC-B,,\n",
    )
    .unwrap();
    let run = |out: &str, period: &[&str]| {
        let out = dir.path().join(out);
        let mut args = vec!["-q", "explain", "--format", "csv"];
        args.extend(period);
        args.extend([
            "--cost",
            cost.to_str().unwrap(),
            "--covers",
            "2026-09-01..2026-10-31",
            "--mapping",
            mapping.to_str().unwrap(),
            "--as-of",
            "2026-12-15",
            "--out",
            out.to_str().unwrap(),
        ]);
        let done = allot(dir.path(), &args);
        (done, out.join("explain.csv"))
    };
    let (months, months_csv) = run("months", &["--month", "2026-10"]);
    assert_eq!(months.code, 0, "{}", months.stderr);
    let (days, days_csv) = run(
        "days",
        &[
            "--from",
            "2026-10-10",
            "--to",
            "2026-10-12",
            "--against-from",
            "2026-09-10",
            "--against-to",
            "2026-09-12",
        ],
    );
    assert_eq!(days.code, 0, "{}", days.stderr);
    let (months, days) = (read_csv(&months_csv), read_csv(&days_csv));
    assert_adds_up(&days, "cost_center");
    assert_eq!(days[0]["before"], "2026-09-10..2026-09-12");
    assert_eq!(days[0]["now"], "2026-10-10..2026-10-12");
    let split = |rows: &[HashMap<String, String>]| -> Vec<(String, String, String)> {
        rows.iter()
            .map(|r| {
                (
                    r["cost_center"].clone(),
                    r["driver"].clone(),
                    r["amount_usd"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(split(&days), split(&months));
    assert_eq!(
        by_driver(&days, "cost_center")[&("CC-B".to_string(), "joined".to_string())]
            ["contributors"],
        "cy@x.test +$2.00"
    );
    // Without --against-from/--against-to: the same number of days just before.
    let (before, before_csv) = run("before", &["--from", "2026-10-10", "--to", "2026-10-12"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    assert_eq!(read_csv(&before_csv)[0]["before"], "2026-10-07..2026-10-09");
    // Three days against ten, or against days they share, is no comparison.
    for (against, says) in [
        (["2026-09-01", "2026-09-10"], "same kind"),
        (["2026-10-11", "2026-10-13"], "share days"),
    ] {
        let (refused, _) = run(
            "refused",
            &[
                "--from",
                "2026-10-10",
                "--to",
                "2026-10-12",
                "--against-from",
                against[0],
                "--against-to",
                against[1],
            ],
        );
        assert_eq!(refused.code, 2, "{}", refused.stderr);
        assert!(refused.stderr.contains(says), "{}", refused.stderr);
    }
    // --month and --from are one period or the other.
    let (both, _) = run(
        "both",
        &[
            "--month",
            "2026-10",
            "--from",
            "2026-10-01",
            "--to",
            "2026-10-02",
        ],
    );
    assert_eq!(both.code, 2, "{}", both.stderr);
}

/// The demo's last two weeks against the two before, by days: Mobile's volume is the figure
/// its sustained-increase alert names (the alert explains the same windows).
#[test]
fn two_weeks_on_the_demo_agree_with_the_alert() {
    let d = demo();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("weeks");
    let run = allot(
        dir.path(),
        &[
            "-q",
            "explain",
            "--from",
            "2026-11-09",
            "--to",
            "2026-11-22",
            "--cost-center",
            "CC-1030",
            "--format",
            "csv",
            "--store",
            d.join("store").to_str().unwrap(),
            "--mapping",
            d.join("input/org-mapping.csv").to_str().unwrap(),
            "--as-of",
            "2026-11-23",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&out.join("explain.csv"));
    assert_adds_up(&rows, "cost_center");
    let volume = rows
        .iter()
        .find(|r| r["cost_center"] == "CC-1030" && r["driver"] == "volume")
        .expect("Mobile's volume");
    assert_eq!(volume["before"], "2026-10-26..2026-11-08");
    let alert = read_csv(&d.join("alerts.csv"))
        .into_iter()
        .find(|a| a["rule"] == "sustained_increase" && a["key"] == "CC-1030")
        .expect("Mobile's sustained increase");
    let said = alert["message"]
        .split("volume +$")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("the alert names volume")
        .replace(',', "");
    assert_eq!(
        money(&volume["amount_usd"]),
        money(&said),
        "{}",
        alert["message"]
    );
}

/// On the demo (Mobile doubles its usage two weeks before the as-of date, people moved team in
/// October), November against October: Mobile's like-with-like increase is the volume of its
/// own people, a mover leaves one cost center and arrives in another, every cost center's
/// drivers add up to its change, and both sides are the chargebacks' own cents.
#[test]
fn on_the_demo_mobile_grows_by_volume_and_movers_move() {
    let d = demo();
    let dir = tempfile::tempdir().unwrap();
    let (store, mapping_file) = (d.join("store"), d.join("input/org-mapping.csv"));
    let inputs = [
        "--store",
        store.to_str().unwrap(),
        "--mapping",
        mapping_file.to_str().unwrap(),
        "--as-of",
        "2026-11-23",
    ];
    let out = dir.path().join("explain");
    let mut args = vec![
        "explain",
        "--month",
        "2026-11",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend(inputs);
    let run = allot(dir.path(), &args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = read_csv(&out.join("explain.csv"));
    assert_adds_up(&rows, "cost_center");
    assert!(rows.iter().all(|r| r["status"] == "provisional"));
    let drivers = by_driver(&rows, "cost_center");
    let amount = |cc: &str, driver: &str| {
        money(&drivers[&(cc.to_string(), driver.to_string())]["amount_usd"])
    };
    // November runs to the 22nd: October's other days are the partial period.
    assert!(amount("CC-1030", "partial_period") < money("0"));
    let like_with_like = [
        "joined",
        "left",
        "moved_in",
        "moved_out",
        "volume",
        "model_mix",
        "rate",
        "other_spenders",
    ];
    let largest = like_with_like
        .iter()
        .max_by_key(|d| amount("CC-1030", d).abs())
        .unwrap();
    assert_eq!(
        *largest,
        "volume",
        "{:?}",
        drivers
            .iter()
            .filter(|((cc, _), _)| cc == "CC-1030")
            .collect::<Vec<_>>()
    );
    assert!(amount("CC-1030", "volume") > money("0"));
    // Its volume is its own people, named.
    let mapping = read_csv(&mapping_file);
    let volume = &drivers[&("CC-1030".to_string(), "volume".to_string())]["contributors"];
    let first = volume.split(' ').next().unwrap();
    assert!(
        mapping
            .iter()
            .any(|r| r["email"] == first && r["cost_center"] == "CC-1030"),
        "{first} is not mapped to Mobile: {volume}"
    );
    // Someone moved out of one cost center and into another.
    let names = |driver: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r["driver"] == driver && r["cost_center"] != "TOTAL")
            .flat_map(|r| {
                r["contributors"]
                    .split("; ")
                    .map(|c| c.split(' ').next().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let moved_out = names("moved_out");
    assert!(
        names("moved_in").iter().any(|p| moved_out.contains(p)),
        "no mover found in {moved_out:?}"
    );
    // Both sides are the chargebacks' cents.
    for month in ["2026-10", "2026-11"] {
        let cb = dir.path().join(month);
        let mut args = vec![
            "-q",
            "chargeback",
            "--month",
            month,
            "--out",
            cb.to_str().unwrap(),
        ];
        args.extend(inputs);
        let run = allot(dir.path(), &args);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let column = if month == "2026-11" {
            "now_usd"
        } else {
            "before_usd"
        };
        for line in read_csv(&cb.join("chargeback.csv")) {
            let explained = rows
                .iter()
                .find(|r| r["cost_center"] == line["cost_center"] && r["driver"] == "volume");
            assert_eq!(
                explained.map(|r| money(&r[column])),
                Some(money(&line["amount_usd"])),
                "{month} {}",
                line["cost_center"]
            );
        }
    }
}
