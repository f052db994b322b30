//! Results files made up for tests of the gate, the targets and the report.

#![allow(dead_code)]

use std::collections::BTreeMap;

use wasmlab_bench::results::{
    DiffSummary, Dist, EngineInfo, Machine, MemoryUse, PairCounts, ProgramInfo, Results, Run, SpecCounts, Startup,
    Status,
};

pub const ENGINES: [&str; 5] = ["wasmtime", "wasmtime-aot", "winch", "wasmi", "interp"];
pub const PROGRAMS: [&str; 3] = ["fib", "sort", "large"];

/// A distribution around `ms`: p99 twice the median.
pub fn dist(ms: f64) -> Dist {
    Dist { samples: 20, min: ms * 0.9, p50: ms, p90: ms * 1.2, p99: ms * 2.0, max: ms * 2.5, mean: ms * 1.1 }
}

/// A from-cold series of `calls` calls: the first takes `2 * ms`, the
/// others `ms` (nearest-rank p99 of up to 100 calls is the slowest one).
pub fn cold(ms: f64, calls: usize) -> Dist {
    let samples: Vec<f64> = (0..calls).map(|i| if i == 0 { 2.0 * ms } else { ms }).collect();
    Dist::of(&samples).expect("calls > 0")
}

/// Per engine: execution time factor against wasmtime and startup in ms.
fn profile(engine: &str) -> (f64, f64) {
    match engine {
        "wasmtime" => (1.0, 5.0),
        "wasmtime-aot" => (1.0, 0.8),
        "winch" => (1.6, 1.5),
        "wasmi" => (6.0, 0.7),
        "interp" => (9.0, 0.6),
        "tjit" => (3.0, 0.9),
        _ => (2.0, 1.0),
    }
}

pub fn run(engine: &str, program: &str, p: usize) -> Run {
    let (factor, startup) = profile(engine);
    let base = 2.0 + p as f64;
    Run {
        engine: engine.into(),
        program: program.into(),
        status: Status::Ok,
        error: None,
        checksum: Some(1000 + p as i64),
        cold_compile_ms: Some(startup * 3.0),
        startup: Some(Startup {
            compile_ms: dist(startup * 0.9),
            instantiate_ms: dist(startup * 0.05),
            first_call_ms: dist(startup * 0.05),
            total_ms: dist(startup),
        }),
        exec: Some(dist(base * factor)),
        // From cold: the warm calls and a first call twice as slow.
        exec_cold: Some(cold(base * factor, 20)),
        exec_cpu: Some(dist(base * factor * 0.98)),
        startup_cpu: Some(dist(startup * 1.2)),
        code_bytes: (factor < 2.0).then_some(4096 * (p as u64 + 1)),
        memory: Some(MemoryUse { peak_rss_bytes: (10 + p as u64) << 20, base_rss_bytes: 5 << 20 }),
        ratios: Default::default(),
        counters: None,
    }
}

pub fn results_with(engines: &[&str]) -> Results {
    let mut r = Results {
        schema: wasmlab_bench::results::SCHEMA,
        created: "2026-01-02T03:04:05Z".into(),
        git_commit: Some("0123456789abcdef".into()),
        machine: Machine { cpu: "Test CPU".into(), cores: 2, os: "linux".into(), arch: "x86_64".into() },
        quick: true,
        engines: engines.iter().map(|e| EngineInfo { name: e.to_string(), version: "1.0".into() }).collect(),
        programs: PROGRAMS
            .iter()
            .enumerate()
            .map(|(i, p)| ProgramInfo {
                name: p.to_string(),
                kind: "test".into(),
                arg: 10 + i as i32,
                expected: Some(1000 + i as i64),
                wasm_bytes: 100,
            })
            .collect(),
        runs: Vec::new(),
        spec: Some(spec(engines)),
        diff: Some(campaign(engines)),
        short_calls: None,
    };
    for (p, program) in PROGRAMS.iter().enumerate() {
        for engine in engines {
            r.runs.push(run(engine, program, p));
        }
    }
    r.compute_ratios();
    r
}

/// Spec totals as a CI run carries them: every engine passes what it runs.
pub fn spec(engines: &[&str]) -> BTreeMap<String, SpecCounts> {
    engines
        .iter()
        .map(|e| {
            let skipped = if *e == "interp" { 200 } else { 0 };
            (e.to_string(), SpecCounts { passed: 1000 - skipped, failed: 0, skipped })
        })
        .collect()
}

/// A clean count-bounded campaign over `engines` (seed 7, 500 modules).
pub fn campaign(engines: &[&str]) -> DiffSummary {
    DiffSummary {
        engines: engines.iter().map(|e| e.to_string()).collect(),
        seed: Some(7),
        seconds: 3.0,
        modules: 500,
        calls: 9000,
        trapped: 40,
        pairs: engines
            .iter()
            .map(|e| PairCounts {
                reference: "wasmtime".into(),
                engine: e.to_string(),
                counts: BTreeMap::from([("agree".to_string(), 500)]),
            })
            .collect(),
        ..DiffSummary::default()
    }
}

pub fn results() -> Results {
    results_with(&ENGINES)
}

/// A copy where every engine but wasmtime is `factor` times as fast (times
/// scaled, ratios recomputed): a baseline "30% faster" is `faster(r, 0.7)`.
pub fn faster(r: &Results, factor: f64) -> Results {
    let mut out = r.clone();
    let scale = |d: &mut Dist| {
        for v in [&mut d.min, &mut d.p50, &mut d.p90, &mut d.p99, &mut d.max, &mut d.mean] {
            *v *= factor;
        }
    };
    for run in out.runs.iter_mut().filter(|x| x.engine != "wasmtime") {
        for d in [run.exec.as_mut(), run.exec_cold.as_mut(), run.exec_cpu.as_mut(), run.startup_cpu.as_mut()]
            .into_iter()
            .flatten()
        {
            scale(d);
        }
        if let Some(s) = run.startup.as_mut() {
            scale(&mut s.compile_ms);
            scale(&mut s.instantiate_ms);
            scale(&mut s.first_call_ms);
            scale(&mut s.total_ms);
        }
    }
    out.compute_ratios();
    out
}
