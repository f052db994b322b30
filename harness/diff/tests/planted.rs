//! Proof that the oracle bites: short campaigns against the test-only
//! engines of `wasmlab_diff::testing` (a planted `i32.add` fault, a planted
//! abort) must find the fault and shrink it, and must survive the crash.
//! The campaigns run in worker processes (this crate's worker binary), as
//! `wasmlab diff` does.

use std::sync::Arc;
use std::time::Duration;

use wasmlab_contract::{Engine, EngineConfig};
use wasmlab_diff::campaign::{self, CampaignConfig};
use wasmlab_diff::engines::TEST_ENGINES_ENV;
use wasmlab_diff::finding::Repro;
use wasmlab_diff::oracle::{Oracle, Verdict};
use wasmlab_diff::testing;
use wasmlab_diff::worker::WorkerCommand;

fn worker() -> WorkerCommand {
    WorkerCommand {
        program: env!("CARGO_BIN_EXE_wasmlab-diff-worker").into(),
        args: vec![],
        env: vec![(TEST_ENGINES_ENV.into(), "1".into())],
    }
}

fn config(engines: &[&str], count: u64, out: &std::path::Path) -> CampaignConfig {
    let mut cfg = CampaignConfig::new(engines.iter().map(|s| s.to_string()).collect(), worker());
    cfg.seed = 7;
    cfg.count = Some(count);
    cfg.jobs = 2;
    cfg.out = Some(out.to_path_buf());
    cfg.timeout = Duration::from_secs(30);
    cfg.shrink_attempts = 400;
    cfg.shrink_time = Duration::from_secs(40);
    cfg
}

#[test]
fn a_planted_table_fault_is_found_by_the_table_comparison() {
    let out = tempfile::tempdir().unwrap();
    let mut cfg = config(&["wasmtime", testing::FAULTY_TABLE], 400, out.path());
    cfg.shrink_attempts = 0;
    let summary = campaign::run(cfg).unwrap();
    assert!(summary.divergences > 0, "the fault went unnoticed: {summary:?}");
    assert!(summary.classes.keys().all(|c| c.starts_with(testing::FAULTY_TABLE)), "{:?}", summary.classes);
    assert!(summary.classes.keys().any(|c| c.ends_with(": table")), "seen in a table: {:?}", summary.classes);
}

#[test]
fn a_planted_operator_fault_is_found_and_shrunk() {
    let out = tempfile::tempdir().unwrap();
    let summary = campaign::run(config(&["wasmtime", testing::FAULTY], 600, out.path())).unwrap();
    assert!(summary.divergences > 0, "the fault went unnoticed: {summary:?}");
    assert_eq!(summary.crashes + summary.hangs, 0);
    assert!(summary.failed());
    // Every divergence is the faulty engine's.
    assert!(summary.classes.keys().all(|c| c.starts_with(testing::FAULTY)), "{:?}", summary.classes);

    let shrunk = summary.findings.iter().find(|f| f.shrunk).expect("a finding was shrunk");
    assert!(
        shrunk.shrunk_size * 2 < shrunk.original_size,
        "shrunk {} -> {} bytes only",
        shrunk.original_size,
        shrunk.shrunk_size
    );
    // The reproducer on disk still shows the fault when replayed.
    let repro = Repro::load(std::path::Path::new(shrunk.dir.as_ref().unwrap())).unwrap();
    assert_eq!(repro.wasm.len(), shrunk.shrunk_size);
    assert!(repro.dir.join("module.wat").exists() && repro.dir.join("original.wasm").exists());
    let config = EngineConfig::default();
    let engines: Vec<Arc<dyn Engine>> = vec![
        Arc::from(wasmlab_registry::create("wasmtime", &config).unwrap()),
        testing::create(testing::FAULTY, &config).unwrap(),
    ];
    let report = Oracle::new(engines).run(&repro.wasm, &repro.calls);
    assert_eq!(report.verdict(), Verdict::Diverged, "{report:?}");
    assert_eq!(report.divergences[0].engine, testing::FAULTY);
}

#[test]
fn a_planted_crash_is_recorded_and_the_campaign_finishes() {
    let out = tempfile::tempdir().unwrap();
    let mut cfg = config(&["wasmtime", testing::ABORT], 160, out.path());
    cfg.shrink_attempts = 100;
    let summary = campaign::run(cfg).unwrap();
    assert_eq!(summary.modules, 160, "every case was accounted for");
    assert!(summary.crashes > 0, "{summary:?}");
    assert_eq!(summary.divergences, 0);
    let crash = summary.findings.iter().find(|f| f.kind == "crash" && f.dir.is_some()).expect("the crash was saved");
    assert_eq!(crash.engine, testing::ABORT, "the crash is blamed on the aborting engine alone");
    let dir = std::path::Path::new(crash.dir.as_ref().unwrap());
    let report = std::fs::read_to_string(dir.join("report.txt")).unwrap();
    assert!(report.contains("SIGABRT"), "{report}");
    // wasmtime itself agreed on everything it ran.
    let reference = summary.pairs.iter().find(|p| p.engine == "wasmtime").unwrap();
    assert_eq!(reference.counts.get("diverged"), None);
    assert_eq!(reference.counts.get("crashed"), None);
}

#[test]
fn a_fault_planted_in_the_jit_is_found() {
    let out = tempfile::tempdir().unwrap();
    let mut cfg = config(&["wasmtime", testing::JIT_WRONG], 600, out.path());
    cfg.shrink_attempts = 0;
    let summary = campaign::run(cfg).unwrap();
    assert!(summary.divergences > 0, "the fault went unnoticed: {summary:?}");
    assert_eq!(summary.crashes + summary.hangs, 0);
    assert!(summary.classes.keys().all(|c| c.starts_with(testing::JIT_WRONG)), "{:?}", summary.classes);
}

#[test]
fn a_fault_planted_in_the_template_jit_is_found_through_tiering() {
    let out = tempfile::tempdir().unwrap();
    let mut cfg = config(&["wasmtime", testing::TJIT_WRONG], 600, out.path());
    cfg.shrink_attempts = 0;
    let summary = campaign::run(cfg).unwrap();
    assert!(summary.divergences > 0, "the fault went unnoticed: {summary:?}");
    assert_eq!(summary.crashes + summary.hangs, 0);
    assert!(summary.classes.keys().all(|c| c.starts_with(testing::TJIT_WRONG)), "{:?}", summary.classes);
}

#[test]
fn a_crash_in_generated_code_is_recorded_and_the_campaign_goes_on() {
    let out = tempfile::tempdir().unwrap();
    let mut cfg = config(&["wasmtime", testing::JIT_CRASH], 120, out.path());
    cfg.shrink_attempts = 0;
    let summary = campaign::run(cfg).unwrap();
    assert_eq!(summary.modules, 120, "every case was accounted for");
    assert!(summary.crashes > 0, "{summary:?}");
    let crash = summary.findings.iter().find(|f| f.kind == "crash").expect("a crash finding");
    assert_eq!(crash.engine, testing::JIT_CRASH);
    let reference = summary.pairs.iter().find(|p| p.engine == "wasmtime").unwrap();
    assert_eq!(reference.counts.get("crashed"), None);
}
