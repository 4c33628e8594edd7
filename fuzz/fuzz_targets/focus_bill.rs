#![no_main]
//! Cloud bills in FOCUS: the first byte picks CSV or Parquet, the rest is the file.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    allot_fuzz::quiet_panics();
    let (ext, bytes) = allot_fuzz::pick(data, &["csv", "parquet"]);
    allot_fuzz::focus_bill(bytes, ext).unwrap();
});
