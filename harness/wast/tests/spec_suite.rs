//! The whole Wasm 2.0 spec testsuite on the reference engines: every
//! assertion passes, nothing is skipped. The suite lives beside the
//! checkout (`../shared/testsuite`), or where `WASMLAB_TESTSUITE` says.

use std::path::PathBuf;
use std::time::Duration;

use wasmlab_contract::EngineConfig;
use wasmlab_wast::{SuiteOptions, collect_files, run_suite};

/// Assertions (assert_* directives) in the Wasm 2.0 suite as shipped.
const SUITE_ASSERTIONS: usize = 52_222;
const SUITE_FILES: usize = 147;

fn suite_dir() -> PathBuf {
    std::env::var_os("WASMLAB_TESTSUITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testsuite"))
}

fn run_on(engine: &str) {
    let dir = suite_dir();
    let files = collect_files(std::slice::from_ref(&dir))
        .unwrap_or_else(|e| panic!("the spec testsuite must be at {}: {e}", dir.display()));
    assert_eq!(files.len(), SUITE_FILES);
    let cache = tempfile::tempdir().unwrap();
    let options = SuiteOptions {
        engines: vec![engine.to_string()],
        config: EngineConfig {
            cache_dir: Some(cache.path().to_path_buf()),
            tier_calls: Some(2),
            tier_loops: Some(3),
            ..EngineConfig::default()
        },
        jobs: 2,
        timeout: Duration::from_secs(600),
    };
    let report = run_suite(&files, &options, &|_| {}).unwrap();
    let totals = report.totals[engine];
    assert!(totals.failed == 0 && totals.skipped == 0, "{}", report.to_text(true));
    assert_eq!(totals.passed, SUITE_ASSERTIONS);
}

#[test]
fn wasm2_suite_passes_on_wasmtime() {
    run_on("wasmtime");
}

#[test]
fn wasm2_suite_passes_on_wasmtime_aot() {
    run_on("wasmtime-aot");
}
