#![no_main]
//! Invoices: the first byte picks CSV, XLSX or ODS, the rest is the file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    allot_fuzz::quiet_panics();
    let (ext, bytes) = allot_fuzz::pick(data, &["csv", "xlsx", "ods"]);
    allot_fuzz::invoice(bytes, ext).unwrap();
});
