//! `bench` on real engines: every run verified against the manifest, a
//! wrong checksum voids the engine's timings, ratios come from the run.

use std::path::{Path, PathBuf};

use wasmlab_bench::corpus::{self, Manifest};
use wasmlab_bench::results::Status;
use wasmlab_bench::{BenchOptions, bench};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(corpus::CORPUS_DIR)
}

fn options(dir: &Path, engines: &[&str], programs: &[&str]) -> BenchOptions {
    BenchOptions {
        engines: engines.iter().map(|s| s.to_string()).collect(),
        programs: programs.iter().map(|s| s.to_string()).collect(),
        quick: true,
        corpus: Some(dir.to_path_buf()),
        memory: false,
        progress: false,
        ..BenchOptions::default()
    }
}

#[test]
fn quick_bench_verifies_and_times_every_engine() {
    let r = bench(&options(&corpus_dir(), &["wasmtime", "wasmtime-aot", "wasmi"], &["fib", "dispatch"])).unwrap();
    assert_eq!(r.runs.len(), 6);
    assert_eq!(r.engine_names(), ["wasmtime", "wasmtime-aot", "wasmi"]);
    for run in &r.runs {
        assert_eq!(run.status, Status::Ok, "{} on {}: {:?}", run.engine, run.program, run.error);
        let expected = r.programs.iter().find(|p| p.name == run.program).unwrap().expected;
        assert_eq!(run.checksum, expected);
        let exec = run.exec.as_ref().unwrap();
        assert!(exec.samples >= 5 && exec.min <= exec.p50 && exec.p50 <= exec.p99 && exec.p99 <= exec.max);
        let cpu = run.exec_cpu.as_ref().expect("CPU time recorded");
        assert_eq!(cpu.samples, exec.samples, "one CPU figure per call");
        // From cold: the same calls and the first one before them.
        let cold = run.exec_cold.as_ref().expect("from-cold series recorded");
        assert_eq!(cold.samples, exec.samples + 1, "the first call is timed too");
        assert!(cold.max >= exec.max && cold.min <= exec.min);
        let startup = run.startup.as_ref().unwrap();
        assert_eq!(startup.total_ms.samples, 3);
        assert_eq!(run.startup_cpu.as_ref().unwrap().samples, 3);
        assert!(run.cold_compile_ms.is_some());
    }
    let wt = r.run("wasmtime", "fib").unwrap();
    assert_eq!(wt.ratios.exec_vs_wasmtime, Some(1.0));
    assert!(wt.code_bytes.is_some_and(|b| b > 0), "wasmtime reports generated code");
    assert_eq!(wt.ratios.exec_cpu_vs_wasmtime, Some(1.0));
    let wasmi = r.run("wasmi", "fib").unwrap();
    assert!(wasmi.ratios.exec_cpu_vs_wasmtime.is_some_and(|v| v > 0.0));
    assert_eq!(wasmi.ratios.exec_vs_wasmi, Some(1.0));
    let expected = wasmi.exec.as_ref().unwrap().p50 / wt.exec.as_ref().unwrap().p50;
    assert!((wasmi.ratios.exec_vs_wasmtime.unwrap() - expected).abs() < 1e-9);
    assert!(r.machine.cores >= 1 && !r.machine.cpu.is_empty());
}

#[test]
fn a_wrong_checksum_is_an_error_not_a_fast_run() {
    let dir = tempfile::tempdir().unwrap();
    let mut manifest = Manifest::load(&corpus_dir()).unwrap();
    manifest.programs.retain(|p| p.name == "fib");
    manifest.programs[0].quick_expected = Some(12345);
    std::fs::copy(corpus_dir().join("fib.wasm"), dir.path().join("fib.wasm")).unwrap();
    manifest.save(dir.path()).unwrap();
    let r = bench(&options(dir.path(), &["wasmtime", "wasmi"], &[])).unwrap();
    for run in &r.runs {
        assert_eq!(run.status, Status::ChecksumMismatch, "{}", run.engine);
        assert_eq!(run.checksum, Some(75025), "the wrong value is recorded");
        assert!(run.exec.is_none() && run.startup.is_none(), "no timings for a wrong engine");
        assert!(run.error.as_deref().unwrap().contains("expected 12345"));
    }
}

#[test]
fn unknown_names_are_clear_errors() {
    let err = bench(&options(&corpus_dir(), &["nosuch"], &["fib"])).unwrap_err();
    assert!(err.to_string().contains("nosuch"), "{err}");
    let err = bench(&options(&corpus_dir(), &["wasmtime"], &["nosuch"])).unwrap_err();
    assert!(err.to_string().contains("unknown program `nosuch`"), "{err}");
    let err = bench(&options(Path::new("no/such/dir"), &["wasmtime"], &[])).unwrap_err();
    assert!(err.to_string().contains("programs.json"), "{err}");
}

#[test]
fn bench_attaches_spec_totals_and_the_campaign_summary() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("spec.json");
    std::fs::write(&spec, r#"{"totals":{"wasmtime":{"passed":10,"failed":0,"skipped":2}},"files":[]}"#).unwrap();
    let diff = dir.path().join("diff.json");
    std::fs::write(
        &diff,
        r#"{"engines":["wasmtime"],"seed":3,"modules":4,"calls":9,"seconds":0.5,"divergences":0,
        "inconclusive":0,"crashes":0,"hangs":0,"skipped":0,"known":0,"errors":0,"trapped":1,"pairs":[]}"#,
    )
    .unwrap();
    let out = dir.path().join("results.json");
    let args = |spec: PathBuf| wasmlab_bench::BenchArgs {
        engines: Some("wasmtime".into()),
        programs: Some("fib".into()),
        quick: true,
        out: out.clone(),
        corpus: Some(corpus_dir()),
        no_memory: true,
        spec: Some(spec),
        diff: Some(diff.clone()),
        modules: Vec::new(),
        dirs: Vec::new(),
        module_args: Vec::new(),
    };
    assert_eq!(wasmlab_bench::run_bench(&args(spec.clone())).unwrap(), std::process::ExitCode::SUCCESS);
    let r = wasmlab_bench::Results::load(&out).unwrap();
    assert_eq!(r.spec.unwrap()["wasmtime"].skipped, 2);
    let d = r.diff.unwrap();
    assert_eq!((d.seed, d.modules, d.trapped), (Some(3), 4, 1));
    // A wrong path is an error before anything is measured.
    let err = wasmlab_bench::run_bench(&args(dir.path().join("nope.json"))).unwrap_err();
    assert!(err.to_string().contains("nope.json"), "{err}");
}

#[test]
fn short_calls_and_engine_counters_are_recorded_side_by_side() {
    let r = bench(&options(&corpus_dir(), &["interp", "regjit-tiered"], &["fib"])).unwrap();
    let s = r.short_calls.as_ref().expect("short calls measured");
    assert_eq!(s.runs.iter().map(|x| x.engine.as_str()).collect::<Vec<_>>(), ["interp", "regjit-tiered"]);
    for x in &s.runs {
        assert_eq!(x.status, Status::Ok, "{}: {:?}", x.engine, x.error);
        let d = x.latency.as_ref().unwrap();
        assert_eq!(d.samples, s.calls, "every call from the first is timed");
        assert!(d.p50 <= d.p99 && d.p99 <= d.max);
    }
    // The interpreter counts nothing; the tiered engine its tier-ups, read
    // after every call.
    assert!(r.short_call("interp").unwrap().counters.is_none());
    let c = r.short_call("regjit-tiered").unwrap().counters.as_ref().expect("counters");
    assert_eq!(c.samples, s.calls);
    assert!(c.total("tier-ups").is_some_and(|n| n >= 1), "{c:?}");
    // Per program: counters after every sample (cold compile, startup,
    // warm-up, each call), as growth over the program only.
    let run = r.run("regjit-tiered", "fib").unwrap();
    let c = run.counters.as_ref().expect("counters over fib");
    assert_eq!(c.samples, 1 + 3 + 1 + run.exec.as_ref().unwrap().samples);
    assert!(c.total("tier-ups").is_some() && !c.has_compiler_figures());
    assert!(r.run("interp", "fib").unwrap().counters.is_none());
}

/// A WASI command that reads `n.txt` from its preopen, sums its bytes in
/// the Sightglass region, and prints the sum.
const SUM_COMMAND: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (memory (export "memory") 1)
  (data (i32.const 100) "n.txt")
  (func (export "_start") (local $n i32) (local $i i32) (local $sum i32) (local $r i32)
    (drop (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 5) (i32.const 0)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0)))
    (i32.store (i32.const 16) (i32.const 1024))
    (i32.store (i32.const 20) (i32.const 4096))
    (drop (call $read (i32.load (i32.const 0)) (i32.const 16) (i32.const 1) (i32.const 8)))
    (local.set $n (i32.load (i32.const 8)))
    call $start
    (loop $rep
      (local.set $i (i32.const 0))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $sum (i32.add (local.get $sum) (i32.load8_u offset=1024 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rep (i32.lt_u (local.get $r) (i32.const 200))))
    call $end
    ;; print the sum as 8 hex digits and a newline
    (local.set $i (i32.const 0))
    (loop $h
      (i32.store8 offset=200 (local.get $i)
        (i32.load8_u offset=300 (i32.and (i32.shr_u (local.get $sum) (i32.sub (i32.const 28) (i32.mul (local.get $i) (i32.const 4)))) (i32.const 15))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $h (i32.lt_u (local.get $i) (i32.const 8))))
    (i32.store8 (i32.const 208) (i32.const 10))
    (i32.store (i32.const 16) (i32.const 200))
    (i32.store (i32.const 20) (i32.const 9))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))))
  (data (i32.const 300) "0123456789abcdef"))"#;

fn command_dir(expected: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let prog = dir.path().join("sum");
    std::fs::create_dir(&prog).unwrap();
    std::fs::write(prog.join("benchmark.wasm"), wat::parse_str(SUM_COMMAND).unwrap()).unwrap();
    std::fs::write(prog.join("n.txt"), b"abc").unwrap();
    std::fs::write(prog.join("expected.stdout"), expected).unwrap();
    dir
}

#[test]
fn a_module_is_benchmarked_on_every_engine_with_its_sightglass_region() {
    let dir = command_dir("unused");
    let prog = dir.path().join("sum");
    let mut o = options(&corpus_dir(), &["wasmtime", "wasmi", "interp"], &[]);
    o.modules = vec![prog.join("benchmark.wasm")];
    o.dirs = vec![format!("{}::.", prog.display())];
    let r = bench(&o).unwrap();
    // Only the module: no kernels, no short calls.
    assert_eq!(r.program_names(), ["sum"]);
    assert!(r.short_calls.is_none());
    assert_eq!(r.programs[0].kind, wasmlab_bench::commands::KIND);
    // (97 + 98 + 99) * 200 = 0xe5b0, as every engine printed.
    let want = wasmlab_bench::commands::stdout_checksum(b"0000e5b0\n");
    assert_eq!(r.programs[0].expected, Some(want));
    for run in &r.runs {
        assert_eq!(run.status, Status::Ok, "{}: {:?}", run.engine, run.error);
        assert_eq!(run.checksum, Some(want), "{}", run.engine);
        let exec = run.exec.as_ref().unwrap();
        assert!(exec.samples >= 4 && exec.p50 > 0.0, "{}", run.engine);
        let startup = run.startup.as_ref().unwrap();
        assert!(startup.total_ms.p50 >= startup.compile_ms.p50, "{}", run.engine);
    }
    assert!(r.run("interp", "sum").unwrap().ratios.exec_vs_wasmtime.is_some());
}

#[test]
fn a_program_printing_the_wrong_output_gets_no_figures() {
    let dir = command_dir("00000000\n");
    let mut o = options(&corpus_dir(), &["wasmtime", "interp"], &["wasi-sum"]);
    o.programs_corpus = Some(dir.path().to_path_buf());
    let r = bench(&o).unwrap();
    assert_eq!(r.runs.len(), 2);
    for run in &r.runs {
        assert_eq!(run.status, Status::ChecksumMismatch, "{}", run.engine);
        assert!(run.error.as_deref().unwrap().contains("stdout differs"), "{:?}", run.error);
        assert!(run.exec.is_none());
    }
    // Unknown names list both kinds of program.
    let mut o = options(&corpus_dir(), &["wasmtime"], &["nope"]);
    o.programs_corpus = Some(dir.path().to_path_buf());
    let err = bench(&o).unwrap_err().to_string();
    assert!(err.contains("fib") && err.contains("wasi-sum"), "{err}");
}

#[test]
fn a_module_that_is_not_a_command_is_refused_before_measuring() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lib.wat");
    std::fs::write(&path, "(module (func (export \"f\")))").unwrap();
    let mut o = options(&corpus_dir(), &["wasmtime"], &[]);
    o.modules = vec![path];
    let err = bench(&o).unwrap_err().to_string();
    assert!(err.contains("_start"), "{err}");
}
