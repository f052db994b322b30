//! Engines, module and arguments from the fuzzer's bytes; any divergence or
//! engine crash is a finding. Replay one with `wasmlab repro <artifact>`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wasmlab_diff::fuzz::differential(data));
