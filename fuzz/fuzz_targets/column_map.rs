#![no_main]
//! TOML column maps beside a mapping.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    allot_fuzz::quiet_panics();
    allot_fuzz::column_map(data).unwrap();
});
