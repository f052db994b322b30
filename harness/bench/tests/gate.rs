//! The regression gate: passes a results file against itself, fails with a
//! readable table on regressions, compares deterministic figures exactly
//! and time only as ratios beyond the threshold.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{faster, results};
use wasmlab_bench::gate::{DEFAULT_THRESHOLD_PCT, Verdict, gate};
use wasmlab_bench::results::{DiffSummary, Results, SpecCounts, Status};

#[test]
fn a_results_file_passes_against_itself() {
    let r = results();
    let outcome = gate(&r, &r, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    assert!(outcome.compared > 30, "compared only {}", outcome.compared);
    assert!(outcome.table().contains("gate: PASSED"));
}

#[test]
fn a_baseline_30_percent_faster_fails_with_a_table() {
    let current = results();
    let baseline = faster(&current, 0.7);
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(!outcome.passed());
    let table = outcome.table();
    // Every engine but the reference, on every program, on both ratios.
    let exec: Vec<_> = outcome
        .failures()
        .filter(|f| f.check == "exec / wasmtime")
        .collect();
    assert_eq!(exec.len(), 4 * 3, "{table}");
    assert!(
        outcome
            .failures()
            .any(|f| f.check == "startup / wasmtime" && f.engine == "wasmtime-aot")
    );
    assert!(
        outcome.failures().all(|f| f.engine != "wasmtime"),
        "the reference is never compared with itself"
    );
    // The table names what regressed, by how much: 1/0.7 - 1 = +42.9%.
    assert!(table.contains("REGRESSED"), "{table}");
    assert!(table.contains("+42.9%"), "{table}");
    assert!(
        table.lines().next().unwrap().starts_with("verdict"),
        "{table}"
    );
    assert!(
        table
            .trim_end()
            .ends_with(&format!("time threshold {DEFAULT_THRESHOLD_PCT}%)")),
        "{table}"
    );
    let n = outcome.failures().count();
    assert!(
        table.contains(&format!("gate: FAILED, {n} regressions")),
        "{table}"
    );
    assert_eq!(
        table.lines().filter(|l| l.starts_with("REGRESSED")).count(),
        n,
        "{table}"
    );
}

#[test]
fn noise_below_the_threshold_passes_and_improvements_are_notes() {
    let current = results();
    let outcome = gate(&faster(&current, 0.95), &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    let outcome = gate(&faster(&current, 0.7), &current, 50.0);
    assert!(
        outcome.passed(),
        "a 43% change passes a 50% threshold: {}",
        outcome.table()
    );
    // The current run being faster is never a failure, but is reported.
    let outcome = gate(&faster(&current, 1.5), &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    assert!(
        outcome
            .findings
            .iter()
            .any(|f| f.verdict == Verdict::Note && f.change.contains("faster"))
    );
}

#[test]
fn absolute_times_do_not_matter_only_ratios() {
    // A machine twice as slow for everyone: same ratios, gate passes.
    let current = results();
    let mut slow = current.clone();
    for run in &mut slow.runs {
        if let Some(e) = run.exec.as_mut() {
            e.p50 *= 2.0;
        }
    }
    slow.compute_ratios();
    assert!(gate(&current, &slow, DEFAULT_THRESHOLD_PCT).passed());
}

#[test]
fn checksums_and_statuses_are_compared_exactly() {
    let baseline = results();
    let mut current = baseline.clone();
    current.runs[0].checksum = Some(1);
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(
        outcome.failures().any(|f| f.check == "checksum"),
        "{}",
        outcome.table()
    );

    let mut current = baseline.clone();
    let run = current
        .runs
        .iter_mut()
        .find(|r| r.engine == "interp")
        .unwrap();
    run.status = Status::ChecksumMismatch;
    run.error = Some("checksum 5, expected 1000".into());
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = outcome
        .failures()
        .find(|f| f.check == "status")
        .expect("status failure");
    assert_eq!(
        (f.engine.as_str(), f.current.as_str()),
        ("interp", "checksum mismatch")
    );
}

#[test]
fn a_run_missing_from_the_current_file_fails() {
    let baseline = results();
    let mut current = baseline.clone();
    current
        .runs
        .retain(|r| !(r.engine == "winch" && r.program == "sort"));
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f: Vec<_> = outcome.failures().collect();
    assert_eq!(f.len(), 1, "{}", outcome.table());
    assert_eq!(
        (f[0].check, f[0].engine.as_str(), f[0].program.as_str()),
        ("missing", "winch", "sort")
    );
}

#[test]
fn generated_code_growth_fails_on_the_same_cpu_only() {
    let baseline = results();
    let mut current = baseline.clone();
    let run = current
        .runs
        .iter_mut()
        .find(|r| r.code_bytes.is_some())
        .unwrap();
    *run.code_bytes.as_mut().unwrap() += 1;
    assert!(
        gate(&baseline, &current, DEFAULT_THRESHOLD_PCT)
            .failures()
            .any(|f| f.check == "code bytes")
    );
    current.machine.cpu = "Another CPU".into();
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    assert!(outcome.findings.iter().any(|f| f.check == "machine"));
}

#[test]
fn spec_counts_and_divergences_are_gated() {
    let mut baseline = results();
    let spec = |passed, failed| {
        BTreeMap::from([(
            "interp".to_string(),
            SpecCounts {
                passed,
                failed,
                skipped: 0,
            },
        )])
    };
    baseline.spec = Some(spec(1000, 0));
    let mut current = baseline.clone();
    assert!(gate(&baseline, &current, DEFAULT_THRESHOLD_PCT).passed());
    current.spec = Some(spec(999, 1));
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(
        outcome
            .failures()
            .any(|f| f.check == "spec" && f.engine == "interp"),
        "{}",
        outcome.table()
    );

    let mut current = baseline.clone();
    current.diff = Some(DiffSummary {
        engines: vec!["wasmtime".into(), "interp".into()],
        seconds: 60.0,
        modules: 500,
        calls: 9000,
        divergences: 1,
        inconclusive: 3,
        ..DiffSummary::default()
    });
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(
        outcome.failures().any(|f| f.check == "differential"),
        "{}",
        outcome.table()
    );
}

#[test]
fn a_diff_summary_reads_from_wasmlab_diff_json_and_hangs_fail() {
    // The shape `wasmlab diff --json` writes, with fields this crate ignores.
    let json = r#"{"engines":["wasmtime","interp"],"seed":7,"modules":120,"calls":3400,
        "seconds":60.2,"modules_per_second":2.0,"divergences":0,"inconclusive":2,"crashes":0,
        "hangs":1,"skipped":0,"known":3,"errors":0,"trapped":40,"pairs":[],"classes":{},"findings":[]}"#;
    let diff: DiffSummary = serde_json::from_str(json).unwrap();
    assert_eq!((diff.modules, diff.hangs, diff.inconclusive), (120, 1, 2));
    let baseline = results();
    let mut current = baseline.clone();
    current.diff = Some(diff);
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = outcome
        .failures()
        .find(|f| f.check == "differential")
        .expect("a hang fails");
    assert!(f.current.contains("1 hangs"), "{}", outcome.table());
}

fn committed_baseline() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../reports/baseline.json")
}

#[test]
fn the_committed_baseline_gates_against_itself_and_not_against_a_faster_copy() {
    let path = committed_baseline();
    let baseline = Results::load(&path).expect("reports/baseline.json is a results file");
    assert!(
        baseline.runs.iter().all(|r| r.status == Status::Ok),
        "the baseline has failed runs"
    );
    let outcome = gate(&baseline, &baseline, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    let doctored = faster(&baseline, 0.7);
    let outcome = gate(&doctored, &baseline, DEFAULT_THRESHOLD_PCT);
    assert!(!outcome.passed());
    let engines = baseline.engine_names().len() - 1;
    assert_eq!(
        outcome
            .failures()
            .filter(|f| f.check == "exec / wasmtime")
            .count(),
        engines * baseline.programs.len(),
        "{}",
        outcome.table()
    );
}

#[test]
fn wasmlab_gate_command_exits_non_zero_on_regression() {
    let dir = tempfile::tempdir().unwrap();
    let current = results();
    let (base_path, cur_path) = (dir.path().join("base.json"), dir.path().join("cur.json"));
    current.save(&cur_path).unwrap();
    faster(&current, 0.7).save(&base_path).unwrap();
    let args = |baseline: &PathBuf| wasmlab_bench::GateArgs {
        baseline: baseline.clone(),
        current: cur_path.clone(),
        threshold: 10.0,
    };
    assert_eq!(
        wasmlab_bench::run_gate(&args(&cur_path)).unwrap(),
        std::process::ExitCode::SUCCESS
    );
    assert_eq!(
        wasmlab_bench::run_gate(&args(&base_path)).unwrap(),
        std::process::ExitCode::FAILURE
    );
    let bad = wasmlab_bench::GateArgs {
        baseline: dir.path().join("missing.json"),
        current: cur_path.clone(),
        threshold: 10.0,
    };
    let err = wasmlab_bench::run_gate(&bad).unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
}
