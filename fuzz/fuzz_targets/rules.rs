#![no_main]
//! Alert rules files (TOML).
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    allot_fuzz::quiet_panics();
    allot_fuzz::rules(data).unwrap();
});
