//! Targets judged from results, and the dashboard: every chart in SVG and
//! PNG, an index.html that needs no network.

mod common;

use common::{results, results_with};
use wasmlab_bench::targets::{Verdict, evaluate, geomean};

fn verdict_of(r: &wasmlab_bench::Results, target: &str) -> Verdict {
    evaluate(r).into_iter().find(|t| t.target == target).unwrap_or_else(|| panic!("no target {target}")).verdict
}

#[test]
fn geometric_mean() {
    assert_eq!(geomean(&[]), None);
    assert!((geomean(&[2.0, 8.0]).unwrap() - 4.0).abs() < 1e-12);
    assert_eq!(geomean(&[1.0, 0.0]), None);
}

#[test]
fn aot_startup_targets_follow_the_worst_program() {
    let mut r = results();
    assert_eq!(verdict_of(&r, "AOT startup < 10 ms"), Verdict::Met);
    let run = r.runs.iter_mut().find(|x| x.engine == "wasmtime-aot" && x.program == "large").unwrap();
    run.startup.as_mut().unwrap().total_ms.p50 = 42.0;
    assert_eq!(verdict_of(&r, "AOT startup < 10 ms"), Verdict::Missed);
    assert_eq!(verdict_of(&r, "AOT startup < 100 ms (hard limit)"), Verdict::Met);
    let r = results_with(&["wasmtime", "wasmi"]);
    assert_eq!(verdict_of(&r, "AOT startup < 10 ms"), Verdict::NoData);
}

#[test]
fn template_jit_targets_have_no_data_until_tjit_runs() {
    let r = results();
    assert_eq!(verdict_of(&r, "template JIT >= 1.5x faster than the interpreter"), Verdict::NoData);
    // The made-up tjit runs at 3x wasmtime, interp at 9x: 3x faster.
    let r = results_with(&["wasmtime", "interp", "tjit"]);
    assert_eq!(verdict_of(&r, "template JIT >= 1.5x faster than the interpreter"), Verdict::Met);
    assert_eq!(verdict_of(&r, "p99 with the JIT no more than 5% worse than interpreter-only"), Verdict::Met);
    let mut r = r;
    for run in r.runs.iter_mut().filter(|x| x.engine == "tjit") {
        let e = run.exec.as_mut().unwrap();
        e.p50 *= 2.5; // now 7.5x wasmtime against interp's 9x: only 1.2x faster
        run.exec_cold.as_mut().unwrap().p99 *= 10.0;
    }
    assert_eq!(verdict_of(&r, "template JIT >= 1.5x faster than the interpreter"), Verdict::Missed);
    assert_eq!(verdict_of(&r, "p99 with the JIT no more than 5% worse than interpreter-only"), Verdict::Missed);
}

const P99: &str = "p99 with the JIT no more than 5% worse than interpreter-only";

/// Sets `engine`'s from-cold series on every program: `first` ms for the
/// first call, then `rest` ms for 29 more.
fn set_cold(r: &mut wasmlab_bench::Results, engine: &str, first: f64, rest: f64) {
    let samples: Vec<f64> = (0..30).map(|i| if i == 0 { first } else { rest }).collect();
    for run in r.runs.iter_mut().filter(|x| x.engine == engine) {
        run.exec_cold = wasmlab_bench::results::Dist::of(&samples);
    }
}

#[test]
fn the_p99_target_is_judged_from_cold_and_a_slow_first_call_counts() {
    let mut r = results_with(&["wasmtime", "interp", "tjit"]);
    set_cold(&mut r, "interp", 10.0, 10.0);
    // Tiered: faster than the interpreter from the first call on.
    set_cold(&mut r, "tjit", 10.4, 4.0);
    assert_eq!(verdict_of(&r, P99), Verdict::Met);
    // The same warm calls, but the first call (where tier-up happens) is
    // slow: it is the p99 of 30 calls, so the target is missed, whatever
    // the warm-only series says.
    set_cold(&mut r, "tjit", 25.0, 4.0);
    for run in r.runs.iter_mut().filter(|x| x.engine == "tjit") {
        run.exec.as_mut().unwrap().p99 = 4.0;
    }
    assert_eq!(verdict_of(&r, P99), Verdict::Missed);
    let t = evaluate(&r).into_iter().find(|t| t.target == P99).unwrap();
    assert!(t.evidence.contains("from cold") && t.evidence.contains("2.500"), "{}", t.evidence);
    // Exactly 5% worse is still within the target.
    set_cold(&mut r, "tjit", 10.5, 4.0);
    assert_eq!(verdict_of(&r, P99), Verdict::Met);
    // No from-cold series (an older results file): no data, not a guess
    // from the warm series.
    for run in r.runs.iter_mut().filter(|x| x.engine == "tjit") {
        run.exec_cold = None;
    }
    assert_eq!(verdict_of(&r, P99), Verdict::NoData);
    // Nor without the tiered engine.
    assert_eq!(verdict_of(&results(), P99), Verdict::NoData);
}

#[test]
fn the_aot_hard_limit_is_judged_on_the_slowest_sample() {
    let mut r = results();
    let hard = "AOT startup < 100 ms (hard limit)";
    assert_eq!(verdict_of(&r, hard), Verdict::Met);
    let run = r.runs.iter_mut().find(|x| x.engine == "wasmtime-aot" && x.program == "sort").unwrap();
    // Typically fast, once over the limit: the median target holds, the
    // hard limit does not.
    run.startup.as_mut().unwrap().total_ms.max = 130.0;
    assert_eq!(verdict_of(&r, "AOT startup < 10 ms"), Verdict::Met);
    assert_eq!(verdict_of(&r, hard), Verdict::Missed);
    let t = evaluate(&r).into_iter().find(|t| t.target == hard).unwrap();
    assert!(t.evidence.contains("130.00 ms on sort"), "{}", t.evidence);
}

#[test]
fn a_wrong_checksum_misses_the_identical_results_target() {
    let mut r = results();
    assert_eq!(verdict_of(&r, "results identical (checksums verified on every program)"), Verdict::Met);
    r.runs[4].status = wasmlab_bench::results::Status::ChecksumMismatch;
    let t = evaluate(&r).into_iter().find(|t| t.target.starts_with("results identical")).unwrap();
    assert_eq!(t.verdict, Verdict::Missed);
    assert!(t.evidence.contains("interp on fib (checksum mismatch)"), "{}", t.evidence);
}

#[test]
fn the_report_writes_every_chart_and_an_offline_dashboard() {
    let dir = tempfile::tempdir().unwrap();
    let older = common::faster(&results(), 1.2);
    let index = wasmlab_bench::report(&[older, results()], dir.path()).unwrap();
    let html = std::fs::read_to_string(&index).unwrap();
    for stem in wasmlab_bench::report::CHARTS.iter().chain([&wasmlab_bench::report::TREND]) {
        let svg = std::fs::read_to_string(dir.path().join(format!("{stem}.svg"))).unwrap();
        assert!(svg.contains("<svg") && svg.contains("wasmtime"), "{stem}.svg");
        let png = std::fs::read(dir.path().join(format!("{stem}.png"))).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000, "{stem}.png");
        assert!(html.contains(&format!("src=\"{stem}.svg\"")), "index.html shows {stem}");
    }
    // Offline: nothing fetched from elsewhere, CSS inline.
    for needle in ["http://", "https://", "<link", "<script"] {
        assert!(!html.contains(needle), "index.html contains {needle}");
    }
    assert!(html.contains("<style>"));
    for word in ["met", "no data", "AOT startup &lt; 10 ms", "History", "Latency from cold"] {
        assert!(html.contains(word), "index.html lacks {word}");
    }
    // The startup chart carries the seed's target lines.
    let startup = std::fs::read_to_string(dir.path().join("startup.svg")).unwrap();
    assert!(startup.contains("AOT target 10 ms") && startup.contains("hard limit 100 ms"));
}

#[test]
fn spec_and_differential_sections_show_when_present() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = results();
    r.spec = Some(std::collections::BTreeMap::from([(
        "interp".to_string(),
        wasmlab_bench::results::SpecCounts { passed: 27000, failed: 3, skipped: 0 },
    )]));
    r.diff = Some(wasmlab_bench::results::DiffSummary {
        engines: vec!["wasmtime".into(), "interp".into()],
        modules: 321,
        divergences: 0,
        ..Default::default()
    });
    let html = std::fs::read_to_string(wasmlab_bench::report(&[r.clone()], dir.path()).unwrap()).unwrap();
    assert!(html.contains("Spec suite") && html.contains("27000"));
    assert!(html.contains("Differential campaign") && html.contains("321"));
    assert_eq!(verdict_of(&r, "no divergence in the differential campaign"), Verdict::Met);
}

#[test]
fn one_results_file_makes_no_trend_chart() {
    let dir = tempfile::tempdir().unwrap();
    let index = wasmlab_bench::report(&[results()], dir.path()).unwrap();
    assert!(!dir.path().join("trend.svg").exists());
    assert!(!std::fs::read_to_string(index).unwrap().contains("trend.svg"));
    assert!(wasmlab_bench::report(&[], dir.path()).is_err());
}
