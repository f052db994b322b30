//! Arbitrary (or mutated generated) bytes: every engine must accept exactly
//! what wasmparser accepts and reject the rest with an error, never crash.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wasmlab_diff::fuzz::validate(data));
