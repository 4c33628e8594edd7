#![no_main]
//! API answers: the first byte picks the endpoint, the rest is the JSON body.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    allot_fuzz::quiet_panics();
    let (endpoint, bytes) = allot_fuzz::pick(data, &allot_fuzz::ENDPOINTS);
    allot_fuzz::api(bytes, endpoint).unwrap();
});
