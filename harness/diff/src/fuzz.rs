//! The logic of the cargo-fuzz targets in `fuzz/` (which are a few lines of
//! glue over this), and the decoding `wasmlab repro` uses to replay a raw
//! fuzzer artifact.
//!
//! - [`differential`]: the fuzzer's bytes choose a set of engines (always
//!   the reference plus a non-empty subset of the others), a wasm-smith
//!   module under the differential configuration for those engines, and the
//!   arguments; the oracle runs it, and a divergence or engine panic panics
//!   with the report (which is what makes libFuzzer save the input).
//! - [`validate`]: arbitrary bytes (or a generated module with a few bytes
//!   mutated): every engine must accept exactly what wasmparser accepts
//!   under that engine's proposals, and reject the rest with an error.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use arbitrary::Unstructured;
use wasmlab_contract::{Engine, Error, Features};

use crate::cases::{self, Call};
use crate::engines;
use crate::oracle::{Oracle, Verdict};
use crate::rng::Rng;

/// A decoded differential input.
pub struct FuzzCase {
    pub engines: Vec<String>,
    pub wasm: Vec<u8>,
    pub calls: Vec<Call>,
}

/// The engines, built once per process (the fuzzer calls us millions of
/// times). AOT artifacts go to a directory of their own, removed when the
/// process ends normally.
pub fn engine(name: &str) -> Result<Arc<dyn Engine>, Error> {
    static ENGINES: OnceLock<std::sync::Mutex<HashMap<String, Arc<dyn Engine>>>> = OnceLock::new();
    let cache = cache_dir();
    let mut map = ENGINES.get_or_init(Default::default).lock().unwrap_or_else(|p| p.into_inner());
    if let Some(e) = map.get(name) {
        return Ok(e.clone());
    }
    let config = crate::engines::campaign_config(cache.map(|d| d.path().to_path_buf()));
    let e = engines::create(name, &config)?;
    map.insert(name.to_string(), e.clone());
    Ok(e)
}

fn cache_dir() -> Option<&'static tempfile::TempDir> {
    static CACHE: OnceLock<Option<tempfile::TempDir>> = OnceLock::new();
    CACHE.get_or_init(|| tempfile::Builder::new().prefix("wasmlab-fuzz-cache-").tempdir().ok()).as_ref()
}

/// Empties the AOT cache directory every few thousand inputs: the fuzzer
/// rarely meets a module twice, so the artifacts only fill the disk.
fn purge_now_and_then() {
    static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 2000 == 1999
        && let Some(dir) = cache_dir()
    {
        for entry in std::fs::read_dir(dir.path()).into_iter().flatten().flatten() {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Decodes fuzzer bytes into engines, a module and calls. `None` when the
/// bytes do not make a module (too short).
pub fn decode_differential(data: &[u8], features_of: impl Fn(&str) -> Features) -> Option<FuzzCase> {
    if data.len() < 16 {
        return None;
    }
    let mut u = Unstructured::new(data);
    let all = engines::default_names();
    let reference = engines::reference().to_string();
    let others: Vec<&String> = all.iter().filter(|n| **n != reference).collect();
    let mut chosen = vec![reference];
    for o in &others {
        if u.arbitrary::<bool>().ok()? {
            chosen.push((*o).clone());
        }
    }
    if chosen.len() == 1 && !others.is_empty() {
        chosen.push(others[u.choose_index(others.len()).ok()?].clone());
    }
    let features = chosen.iter().fold(Features::all_known(), |acc, n| acc.intersection(features_of(n)));
    let plan_seed: u64 = u.arbitrary().ok()?;
    let wasm = cases::smith_module_from(features, &mut u).ok()?;
    let calls = cases::plan(&wasm, &mut Rng::new(plan_seed));
    Some(FuzzCase { engines: chosen, wasm, calls })
}

fn features_of(name: &str) -> Features {
    engine(name).map(|e| e.features()).unwrap_or(Features::NONE)
}

/// The `differential` fuzz target.
pub fn differential(data: &[u8]) {
    purge_now_and_then();
    let Some(case) = decode_differential(data, features_of) else { return };
    let engines: Vec<Arc<dyn Engine>> = case.engines.iter().filter_map(|n| engine(n).ok()).collect();
    if engines.len() < 2 {
        return;
    }
    let oracle = Oracle::new(engines);
    let mut report = oracle.run(&case.wasm, &case.calls);
    crate::known::excuse(&mut report, &case.wasm, &case.calls, &oracle);
    if matches!(report.verdict(), Verdict::Diverged | Verdict::Crashed) {
        panic!(
            "differential finding (replay with `wasmlab repro <this input>`):\n{}",
            crate::finding::report_text(&report)
        );
    }
}

/// What an engine's compile result should be for `wasm`, per wasmparser.
fn expected_accept(engine: &dyn Engine, wasm: &[u8]) -> bool {
    engine.features().check(wasm).is_ok()
}

/// The `validate` fuzz target. Panics (a finding) when an engine accepts
/// what wasmparser rejects, rejects what it accepts, fails with anything
/// other than an invalid/unsupported error, or panics.
pub fn validate(data: &[u8]) {
    purge_now_and_then();
    let wasm = validate_input(data);
    for name in engines::default_names() {
        let Ok(e) = engine(&name) else { continue };
        let expected = expected_accept(e.as_ref(), &wasm);
        let got = crate::oracle::guarded(|| e.compile(&wasm).map(|_| ()));
        match (expected, got) {
            (_, Err(p)) => panic!("{name} panicked compiling: {p}"),
            (true, Ok(Ok(()))) => {}
            // A valid module an engine does not support (winch and externref).
            (true, Ok(Err(Error::Unsupported(_)))) => {}
            (false, Ok(Err(Error::Invalid(_) | Error::Unsupported(_)))) => {}
            (true, Ok(Err(err))) => panic!("{name} rejected a module wasmparser accepts: {err}"),
            (false, Ok(Ok(()))) => panic!("{name} accepted a module wasmparser rejects"),
            (false, Ok(Err(err))) => panic!("{name} rejected an invalid module with a non-validation error: {err}"),
        }
    }
}

/// The module a `validate` input stands for: the raw bytes (first byte
/// even), or a generated module with some bytes overwritten (odd).
pub fn validate_input(data: &[u8]) -> Vec<u8> {
    let Some((&mode, rest)) = data.split_first() else { return Vec::new() };
    if mode % 2 == 0 {
        return rest.to_vec();
    }
    let mut u = Unstructured::new(rest);
    let Ok(mut wasm) = cases::smith_module_from(Features::WASM2, &mut u) else { return rest.to_vec() };
    // The rest of the input: (position, byte) pairs to overwrite.
    // (An exhausted `Unstructured` keeps answering zeros: stop at its end.)
    while u.len() >= 5 && !wasm.is_empty() {
        let (Ok(pos), Ok(byte)) = (u.arbitrary::<u32>(), u.arbitrary::<u8>()) else { break };
        let at = pos as usize % wasm.len();
        wasm[at] = byte;
    }
    wasm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_is_deterministic_and_includes_the_reference() {
        let data: Vec<u8> = Rng::new(4).bytes(3000);
        let f = |_: &str| Features::WASM2_NO_SIMD;
        let a = decode_differential(&data, f).unwrap();
        let b = decode_differential(&data, f).unwrap();
        assert_eq!(a.wasm, b.wasm);
        assert_eq!(a.engines, b.engines);
        assert_eq!(a.engines[0], engines::reference());
        assert!(a.engines.len() >= 2);
        Features::WASM2_NO_SIMD.check(&a.wasm).unwrap();
        assert!(decode_differential(&[], f).is_none());
    }

    #[test]
    fn targets_run_clean_on_simple_inputs() {
        // Unoptimised engines need more native stack than a test thread has
        // (libFuzzer runs the targets on the main thread, optimised).
        let t = std::thread::Builder::new().stack_size(64 << 20).spawn(|| {
            // Empty module, garbage, a truncated module, generated + mutated.
            validate(&[0, 0, b'a', b's', b'm', 1, 0, 0, 0]);
            validate(&[2, 1, 2, 3, 4, 5]);
            validate(&[0, 0, b'a', b's', b'm', 1, 0, 0, 0, 1, 5, 1, 0x60]);
            for i in 0..6 {
                let mut input = Rng::new(i).bytes(800);
                input[0] |= 1;
                validate(&input);
                differential(&Rng::new(100 + i).bytes(1500));
            }
        });
        t.unwrap().join().unwrap();
    }

    #[test]
    fn validate_input_modes() {
        assert_eq!(validate_input(&[0, 1, 2, 3]), vec![1, 2, 3]);
        let mut input = Rng::new(9).bytes(600);
        input[0] = 1;
        let generated = validate_input(&input);
        assert_eq!(generated, validate_input(&input));
        assert_ne!(generated, input[1..].to_vec(), "odd mode generates a module");
        assert!(validate_input(&[]).is_empty());
    }
}
