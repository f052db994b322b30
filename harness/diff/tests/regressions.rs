//! Replays every regression case in `corpora/regressions/` (fixed findings
//! and hand-made edge cases: a directory with `module.wasm` or `module.wat`
//! and `calls.json`) on every engine of the registry, and requires full
//! agreement with the reference. A case may carry a `config.json` with
//! engine settings the finding needed (`code_cache_bytes`).

use std::path::PathBuf;
use std::sync::Arc;

use wasmlab_contract::Engine;
use wasmlab_diff::finding::{self, Repro};
use wasmlab_diff::oracle::{Oracle, Status, Verdict};

#[test]
fn every_regression_case_agrees_on_every_engine() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpora/regressions");
    let cases = finding::list(&root);
    assert!(!cases.is_empty(), "no regression cases under {}", root.display());
    let cache = tempfile::tempdir().unwrap();
    let config = wasmlab_diff::engines::campaign_config(Some(cache.path().to_path_buf()));
    let mut names = wasmlab_diff::engines::default_names();
    wasmlab_diff::engines::order(&mut names);
    let engines: Vec<Arc<dyn Engine>> =
        names.iter().map(|n| wasmlab_diff::engines::create(n, &config).unwrap()).collect();
    let oracle = Oracle::new(engines);
    let mut failures = Vec::new();
    for dir in &cases {
        let repro = Repro::load(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let own;
        let oracle = match std::fs::read_to_string(dir.join("config.json")) {
            Ok(text) => {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let mut c = config.clone();
                c.code_cache_bytes = v["code_cache_bytes"].as_u64().map(|n| n as usize);
                let engines: Vec<Arc<dyn Engine>> =
                    names.iter().map(|n| wasmlab_diff::engines::create(n, &c).unwrap()).collect();
                own = Oracle::new(engines);
                &own
            }
            Err(_) => &oracle,
        };
        let mut report = oracle.run(&repro.wasm, &repro.calls);
        wasmlab_diff::known::excuse(&mut report, &repro.wasm, &repro.calls, &oracle);
        assert_eq!(report.calls as usize, repro.calls.len(), "{}: every call was made", dir.display());
        let compared = report.engines.iter().skip(1).filter(|e| e.status == Status::Agree).count();
        match report.verdict() {
            Verdict::Diverged | Verdict::Crashed => {
                failures.push(format!("{}:\n{}", dir.display(), finding::report_text(&report)))
            }
            _ if compared == 0 => failures.push(format!("{}: no engine was compared", dir.display())),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
