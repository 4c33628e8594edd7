//! The fuzz targets as proptest properties: arbitrary bytes, and small edits of real inputs
//! (the fixtures), into every parser. They run in every `cargo test`; `cargo fuzz` runs the
//! same entry points far longer (GUIDE.md, Fuzzing).

use proptest::prelude::*;

use super::*;

/// A seed file of the repository (fixtures and fuzz corpora seeds).
fn seed(rel: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../{rel}",
        std::env::var("CARGO_MANIFEST_DIR")
            .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_string())
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `bytes` with a few edits: bytes replaced, inserted or cut at chosen places.
fn edited(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for (at, kind, value) in edits {
        if bytes.is_empty() {
            bytes.push(*value);
            continue;
        }
        let at = at % bytes.len();
        match kind % 3 {
            0 => bytes[at] = *value,
            1 => bytes.insert(at, *value),
            _ => bytes.truncate(at),
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 0..6)
}

/// The plainest cost load: date, email and cost.
fn cost_spec() -> allot_engine::Spec<'static> {
    allot_engine::Spec {
        required: &COST_REQUIRED,
        dims: &[],
        counts: &[],
        money: &["cost_usd"],
        range: range(),
        grain: allot_engine::Grain::Day,
    }
}

fn check(r: Result<(), Violation>) -> Result<(), TestCaseError> {
    r.map_err(|v| TestCaseError::fail(v.0))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn mappings_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600), e in edits(), ext in prop::sample::select(vec!["csv", "xlsx", "ods"])) {
        check(mapping(&bytes, ext))?;
        let base = match ext {
            "csv" => seed("tests/fixtures/handmade/mapping.csv"),
            "xlsx" => seed("fuzz/seeds/org.xlsx"),
            _ => seed("fuzz/seeds/org.ods"),
        };
        check(mapping(&edited(base, &e), ext))?;
    }

    #[test]
    fn column_maps_and_rules_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), e in edits()) {
        check(column_map(&bytes))?;
        check(column_map(&edited(seed("mappings/workday-export.toml"), &e)))?;
        check(rules(&edited(b"[windows]\nrecent_days = 14\n[spike]\nthreshold = 6\nmin_amount_usd = \"100\"\n".to_vec(), &e)))?;
    }

    #[test]
    fn invoices_and_budgets_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), e in edits()) {
        check(invoice(&bytes, "csv"))?;
        check(invoice(&edited(seed("tests/fixtures/reconcile/invoice.csv"), &e), "csv"))?;
        check(budgets(&bytes, "csv"))?;
        check(budgets(&edited(seed("mappings/demo-budgets.csv"), &e), "csv"))?;
    }

    #[test]
    fn fact_files_never_panic_and_tie_out(bytes in proptest::collection::vec(any::<u8>(), 0..400), e in edits()) {
        check(cost_facts(&bytes, "csv"))?;
        check(cost_facts(&edited(seed("tests/fixtures/handmade/cost.csv"), &e), "csv"))?;
        check(cost_facts(&edited(seed("fuzz/seeds/cost.parquet"), &e), "parquet"))?;
        check(activity_facts(&edited(seed("tests/fixtures/handmade/activity.csv"), &e), "csv"))?;
    }

    #[test]
    fn api_answers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), e in edits(), which in 0usize..ENDPOINTS.len()) {
        let endpoint = ENDPOINTS[which];
        check(api(&bytes, endpoint))?;
        let fixture = match endpoint {
            "skills" | "connectors" => "users".to_string(),
            other => other.replace('/', "_"),
        };
        check(api(&edited(seed(&format!("tests/fixtures/api/{fixture}.json")), &e), endpoint))?;
    }

    #[test]
    fn cloud_bills_never_panic_and_tie_out(bytes in proptest::collection::vec(any::<u8>(), 0..400), e in edits()) {
        check(focus_bill(&bytes, "csv"))?;
        check(focus_bill(&edited(seed("tests/fixtures/whole-bill/bedrock-focus.csv"), &e), "csv"))?;
    }
}

/// The seeds are real inputs: each parses, so the edited-seed cases start from the happy path.
#[test]
fn the_seeds_parse() {
    for (rel, ext) in [
        ("fuzz/seeds/org.xlsx", "xlsx"),
        ("fuzz/seeds/org.ods", "ods"),
    ] {
        let (_d, path) = file(&seed(rel), &format!("org.{ext}"));
        let m = allot_mapping::OrgMapping::read(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(m.rows.len(), 2, "{rel}");
    }
    let (_d, path) = file(&seed("fuzz/seeds/cost.parquet"), "cost.parquet");
    let spec = cost_spec();
    let loaded = allot_engine::load_facts(std::slice::from_ref(&path), &spec).unwrap();
    assert!(loaded.total.0 > 0);
    for e in ENDPOINTS {
        let fixture = match e {
            "skills" | "connectors" => continue,
            other => other.replace('/', "_"),
        };
        api(&seed(&format!("tests/fixtures/api/{fixture}.json")), e).unwrap();
    }
    focus_bill(&seed("tests/fixtures/whole-bill/bedrock-focus.csv"), "csv").unwrap();
}

/// Found by the cost_facts fuzz target: a Parquet file whose footer metadata is damaged made
/// polars' thrift decoder panic. It is bad input, named, not a crash.
#[test]
fn a_damaged_parquet_footer_is_bad_input_not_a_crash() {
    let bytes = seed("tests/fixtures/damaged-footer.parquet");
    check(cost_facts(&bytes, "parquet")).unwrap();
    let (_d, path) = file(&bytes, "cost.parquet");
    let spec = cost_spec();
    let e = allot_engine::load_facts(std::slice::from_ref(&path), &spec)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cost.parquet") && e.contains("damaged"), "{e}");
    // Found next: a footer whose row group lies past the end of the file made polars'
    // streaming reader slice out of bounds (undefined behaviour in a release build). The
    // footer is checked first now.
    let (_d, path) = file(
        &seed("tests/fixtures/row-group-past-end.parquet"),
        "cost.parquet",
    );
    let e = allot_engine::load_facts(std::slice::from_ref(&path), &spec)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("cost.parquet") && e.contains("row group 0"),
        "{e}"
    );
}

/// Found by the mapping fuzz target: an XLSX whose cell reference overflowed calamine's
/// arithmetic (a panic). It is a damaged workbook, named, not a crash.
#[test]
fn a_workbook_that_overflows_the_reader_is_bad_input_not_a_crash() {
    let bytes = seed("tests/fixtures/overflowing-cell.xlsx");
    check(mapping(&bytes, "xlsx")).unwrap();
    let (_d, path) = file(&bytes, "org.xlsx");
    let e = allot_mapping::OrgMapping::read(&path)
        .unwrap_err()
        .to_string();
    assert!(e.contains("org.xlsx") && e.contains("damaged"), "{e}");
}

/// Found by the activity_facts fuzz target: an activity CSV with a quote that never closes
/// (so a row runs on into the next lines). It is bad input, named, not a crash.
#[test]
fn an_unterminated_quote_in_activity_is_bad_input_not_a_crash() {
    let bytes = seed("tests/fixtures/unterminated-quote-activity.csv");
    let (_d, path) = file(&bytes, "activity.csv");
    let spec = allot_engine::Spec {
        required: &allot_core::facts::ACTIVITY_REQUIRED,
        dims: &[],
        counts: &allot_core::facts::ACTIVITY_COUNTS,
        money: &[],
        range: allot_core::DateRange::new(
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        )
        .unwrap(),
        grain: allot_engine::Grain::Day,
    };
    let e = allot_engine::load_facts(std::slice::from_ref(&path), &spec)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("activity.csv") && e.contains("line 3") && e.contains("never closes"),
        "{e}"
    );
    check(activity_facts(&bytes, "csv")).unwrap();
}
