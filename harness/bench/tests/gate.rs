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
    let exec: Vec<_> = outcome.failures().filter(|f| f.check == "exec / wasmtime").collect();
    assert_eq!(exec.len(), 4 * 3, "{table}");
    assert!(outcome.failures().any(|f| f.check == "startup / wasmtime" && f.engine == "wasmtime-aot"));
    assert!(outcome.failures().all(|f| f.engine != "wasmtime"), "the reference is never compared with itself");
    // The table names what regressed, by how much: 1/0.7 - 1 = +42.9%.
    assert!(table.contains("REGRESSED"), "{table}");
    assert!(table.contains("+42.9%"), "{table}");
    assert!(table.lines().next().unwrap().starts_with("verdict"), "{table}");
    assert!(table.trim_end().ends_with(&format!("time threshold {DEFAULT_THRESHOLD_PCT}%)")), "{table}");
    let n = outcome.failures().count();
    assert!(table.contains(&format!("gate: FAILED, {n} regressions")), "{table}");
    assert_eq!(table.lines().filter(|l| l.starts_with("REGRESSED")).count(), n, "{table}");
}

#[test]
fn noise_below_the_threshold_passes_and_improvements_are_notes() {
    let current = results();
    let outcome = gate(&faster(&current, 0.95), &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    let outcome = gate(&faster(&current, 0.7), &current, 50.0);
    assert!(outcome.passed(), "a 43% change passes a 50% threshold: {}", outcome.table());
    // The current run being faster is never a failure, but is reported.
    let outcome = gate(&faster(&current, 1.5), &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    assert!(outcome.findings.iter().any(|f| f.verdict == Verdict::Note && f.change.contains("faster")));
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
    assert!(outcome.failures().any(|f| f.check == "checksum"), "{}", outcome.table());

    let mut current = baseline.clone();
    let run = current.runs.iter_mut().find(|r| r.engine == "interp").unwrap();
    run.status = Status::ChecksumMismatch;
    run.error = Some("checksum 5, expected 1000".into());
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = outcome.failures().find(|f| f.check == "status").expect("status failure");
    assert_eq!((f.engine.as_str(), f.current.as_str()), ("interp", "checksum mismatch"));
}

#[test]
fn a_run_missing_from_the_current_file_fails() {
    let baseline = results();
    let mut current = baseline.clone();
    current.runs.retain(|r| !(r.engine == "winch" && r.program == "sort"));
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f: Vec<_> = outcome.failures().collect();
    assert_eq!(f.len(), 1, "{}", outcome.table());
    assert_eq!((f[0].check, f[0].engine.as_str(), f[0].program.as_str()), ("missing", "winch", "sort"));
}

#[test]
fn generated_code_growth_fails_on_the_same_cpu_only() {
    let baseline = results();
    let mut current = baseline.clone();
    let run = current.runs.iter_mut().find(|r| r.code_bytes.is_some()).unwrap();
    *run.code_bytes.as_mut().unwrap() += 1;
    assert!(gate(&baseline, &current, DEFAULT_THRESHOLD_PCT).failures().any(|f| f.check == "code bytes"));
    current.machine.cpu = "Another CPU".into();
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    assert!(outcome.findings.iter().any(|f| f.check == "machine"));
}

#[test]
fn spec_counts_and_divergences_are_gated() {
    let mut baseline = results();
    let spec = |passed, failed| BTreeMap::from([("interp".to_string(), SpecCounts { passed, failed, skipped: 0 })]);
    baseline.spec = Some(spec(1000, 0));
    let mut current = baseline.clone();
    assert!(gate(&baseline, &current, DEFAULT_THRESHOLD_PCT).passed());
    current.spec = Some(spec(999, 1));
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.failures().any(|f| f.check == "spec" && f.engine == "interp"), "{}", outcome.table());

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
    assert!(outcome.failures().any(|f| f.check == "differential"), "{}", outcome.table());
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
    let f = outcome.failures().find(|f| f.check == "differential" && f.program == "hangs").expect("a hang fails");
    assert_eq!(f.current, "1", "{}", outcome.table());
}

fn committed_baseline() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../reports/baseline.json")
}

#[test]
fn the_committed_baseline_gates_against_itself_and_not_against_a_faster_copy() {
    let path = committed_baseline();
    let baseline = Results::load(&path).expect("reports/baseline.json is a results file");
    assert!(baseline.runs.iter().all(|r| r.status == Status::Ok), "the baseline has failed runs");
    let outcome = gate(&baseline, &baseline, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    let doctored = faster(&baseline, 0.7);
    let outcome = gate(&doctored, &baseline, DEFAULT_THRESHOLD_PCT);
    assert!(!outcome.passed());
    let engines = baseline.engine_names().len() - 1;
    assert_eq!(
        outcome.failures().filter(|f| f.check == "exec / wasmtime").count(),
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
    assert_eq!(wasmlab_bench::run_gate(&args(&cur_path)).unwrap(), std::process::ExitCode::SUCCESS);
    assert_eq!(wasmlab_bench::run_gate(&args(&base_path)).unwrap(), std::process::ExitCode::FAILURE);
    let bad = wasmlab_bench::GateArgs {
        baseline: dir.path().join("missing.json"),
        current: cur_path.clone(),
        threshold: 10.0,
    };
    let err = wasmlab_bench::run_gate(&bad).unwrap_err();
    assert!(err.to_string().contains("missing.json"), "{err}");
}

fn fails_on<'a>(outcome: &'a wasmlab_bench::GateOutcome, check: &str) -> Vec<&'a wasmlab_bench::gate::Finding> {
    outcome.failures().filter(|f| f.check == check).collect()
}

#[test]
fn missing_spec_or_campaign_data_fails_naming_what_is_missing() {
    let full = results();
    let mut bare = full.clone();
    bare.spec = None;
    bare.diff = None;
    for (baseline, current, who) in
        [(&full, &bare, "the current results"), (&bare, &full, "the baseline"), (&bare, &bare, "neither file")]
    {
        let outcome = gate(baseline, current, DEFAULT_THRESHOLD_PCT);
        let table = outcome.table();
        let spec = fails_on(&outcome, "spec");
        assert_eq!(spec.len(), 1, "{table}");
        assert!(spec[0].change.starts_with(who) && spec[0].change.contains("spec-suite totals"), "{table}");
        assert!(spec[0].change.contains("bench --spec"), "{table}");
        let diff = fails_on(&outcome, "differential");
        assert_eq!(diff.len(), 1, "{table}");
        assert!(diff[0].change.starts_with(who) && diff[0].change.contains("campaign summary"), "{table}");
        assert!(diff[0].change.contains("bench --diff"), "{table}");
    }
    // An empty spec map is no data either, per engine.
    let mut current = full.clone();
    current.spec = Some(BTreeMap::new());
    let outcome = gate(&full, &current, DEFAULT_THRESHOLD_PCT);
    assert_eq!(fails_on(&outcome, "spec").len(), full.engines.len(), "{}", outcome.table());
}

#[test]
fn spec_totals_are_compared_exactly_per_engine() {
    let baseline = results();
    let with = |engine: &str, f: &dyn Fn(&mut SpecCounts)| {
        let mut r = baseline.clone();
        f(r.spec.as_mut().unwrap().get_mut(engine).unwrap());
        r
    };
    // More skips hide assertions: a failure even with nothing failing.
    let current = with("interp", &|c| {
        c.passed -= 5;
        c.skipped += 5;
    });
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "spec");
    assert_eq!(f.len(), 1, "{}", outcome.table());
    assert_eq!(f[0].engine, "interp");
    assert!(f[0].change.contains("+5 skipped"), "{}", outcome.table());
    // A different total (the suite changed) fails too.
    let outcome = gate(&baseline, &with("wasmi", &|c| c.passed += 3), DEFAULT_THRESHOLD_PCT);
    assert_eq!(fails_on(&outcome, "spec").len(), 1, "{}", outcome.table());
    // A new failure fails.
    let outcome = gate(
        &baseline,
        &with("winch", &|c| {
            c.passed -= 1;
            c.failed += 1;
        }),
        DEFAULT_THRESHOLD_PCT,
    );
    assert_eq!(fails_on(&outcome, "spec")[0].engine, "winch", "{}", outcome.table());
    // Failures turned passes on the same assertions: a note to refresh.
    let worse = with("winch", &|c| {
        c.passed -= 1;
        c.failed += 1;
    });
    let outcome = gate(&worse, &baseline, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    assert!(outcome.findings.iter().any(|f| f.check == "spec" && f.change.contains("refresh")));
    // An engine of the baseline without totals fails; a new one is a note.
    let mut current = baseline.clone();
    let spec = current.spec.as_mut().unwrap();
    spec.remove("wasmi");
    spec.insert("regjit".into(), SpecCounts { passed: 1000, failed: 0, skipped: 0 });
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "spec");
    assert_eq!((f.len(), f[0].engine.as_str()), (1, "wasmi"), "{}", outcome.table());
    assert!(
        outcome.findings.iter().any(|f| f.verdict == Verdict::Note && f.check == "spec" && f.engine == "regjit"),
        "{}",
        outcome.table()
    );
}

#[test]
fn campaign_findings_fail_and_counts_of_the_same_cases_are_exact() {
    let baseline = results();
    let with = |f: &dyn Fn(&mut DiffSummary)| {
        let mut r = baseline.clone();
        f(r.diff.as_mut().unwrap());
        r
    };
    assert!(gate(&baseline, &baseline, DEFAULT_THRESHOLD_PCT).passed());
    // A crash fails whatever else matches.
    let outcome = gate(&baseline, &with(&|d| d.crashes = 1), DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "differential");
    assert!(f.iter().any(|f| f.program == "crashes" && f.current == "1"), "{}", outcome.table());
    // The same seed, engines and module count are the same cases: another
    // outcome count, or another per-engine outcome, fails.
    let outcome = gate(&baseline, &with(&|d| d.trapped += 1), DEFAULT_THRESHOLD_PCT);
    assert!(fails_on(&outcome, "differential").iter().any(|f| f.program == "trapped"), "{}", outcome.table());
    let outcome = gate(
        &baseline,
        &with(&|d| {
            let counts = &mut d.pairs.last_mut().unwrap().counts;
            counts.insert("agree".into(), 499);
            counts.insert("known".into(), 1);
        }),
        DEFAULT_THRESHOLD_PCT,
    );
    let f = fails_on(&outcome, "differential");
    assert_eq!(
        (f.len(), f[0].engine.as_str(), f[0].program.as_str()),
        (1, "interp", "outcomes"),
        "{}",
        outcome.table()
    );
    // Other cases (another size or seed): counts differ legitimately, a note.
    for other in [
        with(&|d| {
            d.modules = 731;
            d.calls = 12000;
        }),
        with(&|d| {
            d.seed = Some(8);
            d.trapped = 3;
        }),
    ] {
        let outcome = gate(&baseline, &other, DEFAULT_THRESHOLD_PCT);
        assert!(outcome.passed(), "{}", outcome.table());
        assert!(outcome.findings.iter().any(|f| f.check == "differential" && f.program == "cases"));
    }
    // ...but findings still fail there.
    let outcome = gate(
        &baseline,
        &with(&|d| {
            d.modules = 731;
            d.divergences = 2;
        }),
        DEFAULT_THRESHOLD_PCT,
    );
    assert!(fails_on(&outcome, "differential").iter().any(|f| f.program == "divergences"));
    // A campaign that ran nothing, or left out an engine of the baseline, fails.
    let outcome = gate(&baseline, &with(&|d| d.modules = 0), DEFAULT_THRESHOLD_PCT);
    assert!(fails_on(&outcome, "differential").iter().any(|f| f.program == "modules"));
    let outcome = gate(&baseline, &with(&|d| d.engines.retain(|e| e != "winch")), DEFAULT_THRESHOLD_PCT);
    assert!(
        fails_on(&outcome, "differential").iter().any(|f| f.engine == "winch" && f.program == "engines"),
        "{}",
        outcome.table()
    );
    // A new engine in the campaign is a note (the cases change with it).
    let outcome = gate(&baseline, &with(&|d| d.engines.push("tjit".into())), DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
}

#[test]
fn a_workload_mismatch_fails_instead_of_skipping_the_checks() {
    let baseline = results();
    let mut current = baseline.clone();
    current.programs[1].arg += 1;
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "workload");
    assert_eq!((f.len(), f[0].program.as_str()), (1, "sort"), "{}", outcome.table());
    assert!(f[0].change.contains("not comparable"));
    // A program the current file did not run at all.
    let mut current = baseline.clone();
    current.programs.retain(|p| p.name != "large");
    current.runs.retain(|r| r.program != "large");
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "workload");
    assert_eq!((f.len(), f[0].program.as_str()), (1, "large"), "{}", outcome.table());
    // Quick against full is another workload everywhere.
    let mut current = baseline.clone();
    current.quick = false;
    assert_eq!(fails_on(&gate(&baseline, &current, DEFAULT_THRESHOLD_PCT), "mode").len(), 1);
}

#[test]
fn a_ratio_missing_from_either_file_fails() {
    let baseline = results();
    let mut current = baseline.clone();
    let run = current.runs.iter_mut().find(|r| r.engine == "wasmi" && r.program == "fib").unwrap();
    run.ratios.exec_cpu_vs_wasmtime = None;
    // The wall-time ratio stands in when one file lacks the CPU one.
    assert!(gate(&baseline, &current, DEFAULT_THRESHOLD_PCT).passed());
    let run = current.runs.iter_mut().find(|r| r.engine == "wasmi" && r.program == "fib").unwrap();
    run.ratios.exec_vs_wasmtime = None;
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "exec / wasmtime");
    assert_eq!((f.len(), f[0].engine.as_str(), f[0].program.as_str()), (1, "wasmi", "fib"), "{}", outcome.table());
    assert!(f[0].change.contains("current results"));
    let outcome = gate(&current, &baseline, DEFAULT_THRESHOLD_PCT);
    assert!(fails_on(&outcome, "exec / wasmtime")[0].change.contains("baseline"), "{}", outcome.table());
    // Startup ratios, where the baseline's startup is long enough to gate.
    let mut current = baseline.clone();
    for r in current.runs.iter_mut().filter(|r| r.engine == "winch") {
        r.ratios.startup_cpu_vs_wasmtime = None;
        r.ratios.startup_vs_wasmtime = None;
    }
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert_eq!(fails_on(&outcome, "startup / wasmtime").len(), 3, "{}", outcome.table());
}

#[test]
fn an_engine_missing_from_the_current_file_fails_and_a_new_one_is_a_note() {
    let baseline = results();
    let current = common::results_with(&["wasmtime", "wasmtime-aot", "winch", "wasmi"]);
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "engine");
    assert_eq!((f.len(), f[0].engine.as_str()), (1, "interp"), "{}", outcome.table());
    // One row for the engine, not one per program.
    assert!(fails_on(&outcome, "missing").is_empty(), "{}", outcome.table());

    let current = common::results_with(&["wasmtime", "wasmtime-aot", "winch", "wasmi", "interp", "regjit"]);
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    assert!(outcome.findings.iter().any(|f| f.check == "engine" && f.engine == "regjit" && f.verdict == Verdict::Note));
}

#[test]
fn spec_and_campaign_files_are_read_strictly() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    // The shape `wasmlab wast --json` writes.
    let spec = write(
        "spec.json",
        r#"{"totals":{"interp":{"passed":27955,"failed":0,"skipped":24678},
            "wasmtime":{"passed":52222,"failed":0,"skipped":0}},"files":[]}"#,
    );
    let totals = wasmlab_bench::results::load_spec_json(&spec).unwrap();
    assert_eq!(totals["interp"], SpecCounts { passed: 27955, failed: 0, skipped: 24678 });
    assert_eq!(totals.len(), 2);
    // Not a spec report: an error naming the file, never zeros.
    for bad in [r#"{}"#, r#"{"totals":{}}"#, r#"{"totals":{"interp":{"passed":1}}}"#] {
        let p = write("bad-spec.json", bad);
        let err = wasmlab_bench::results::load_spec_json(&p).unwrap_err();
        assert!(err.to_string().contains("bad-spec.json"), "{err}");
    }
    let diff = write(
        "diff.json",
        r#"{"engines":["wasmtime","interp"],"seed":7,"modules":120,"calls":3400,
        "seconds":6.2,"modules_per_second":20.0,"divergences":0,"inconclusive":2,"crashes":0,
        "hangs":0,"skipped":1,"known":3,"errors":0,"trapped":40,
        "pairs":[{"reference":"wasmtime","engine":"interp","counts":{"agree":117,"known":3}}],
        "classes":{},"findings":[],"some_new_field":true}"#,
    );
    let d = wasmlab_bench::results::load_diff_json(&diff).unwrap();
    assert_eq!((d.seed, d.modules, d.known, d.trapped), (Some(7), 120, 3, 40));
    assert_eq!(d.pairs[0].counts["agree"], 117);
    // A summary without its findings counts must not read as a clean campaign.
    let p = write("bad-diff.json", r#"{"engines":["wasmtime"],"seed":1,"modules":5,"calls":9}"#);
    let err = wasmlab_bench::results::load_diff_json(&p).unwrap_err();
    assert!(err.to_string().contains("bad-diff.json"), "{err}");
}

#[test]
fn the_startup_floor_applies_to_the_figure_compared() {
    // wasmi's startup: a slow median (a page-fault storm in some samples)
    // but a least CPU time far under the floor; the gate compares the least.
    let mut baseline = results();
    let run = baseline.runs.iter_mut().find(|r| r.engine == "wasmi" && r.program == "sort").unwrap();
    run.startup.as_mut().unwrap().total_ms.p50 = 2.0;
    run.startup_cpu.as_mut().unwrap().min = 0.2;
    baseline.compute_ratios();
    let mut current = baseline.clone();
    let run = current.runs.iter_mut().find(|r| r.engine == "wasmi" && r.program == "sort").unwrap();
    run.startup_cpu.as_mut().unwrap().min = 0.4;
    current.compute_ratios();
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    assert!(outcome.passed(), "{}", outcome.table());
    // Above the floor, the same doubling fails.
    let (mut baseline, mut current) = (baseline, current);
    for (r, ms) in [(&mut baseline, 0.6), (&mut current, 1.2)] {
        let run = r.runs.iter_mut().find(|r| r.engine == "wasmi" && r.program == "sort").unwrap();
        run.startup_cpu.as_mut().unwrap().min = ms;
        r.compute_ratios();
    }
    let outcome = gate(&baseline, &current, DEFAULT_THRESHOLD_PCT);
    let f = fails_on(&outcome, "startup / wasmtime");
    assert_eq!((f.len(), f[0].engine.as_str(), f[0].program.as_str()), (1, "wasmi", "sort"), "{}", outcome.table());
}
