//! The program differential: real programs agree on every engine, each
//! engine writes into its own copy of the preopens, and a fault planted in
//! one engine's WASI layer is found, saved and replayed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use wasmlab_diff::engines::TEST_ENGINES_ENV;
use wasmlab_diff::program::{self, ProgramSpec, Status};
use wasmlab_diff::worker::WorkerCommand;

fn worker() -> WorkerCommand {
    WorkerCommand {
        program: env!("CARGO_BIN_EXE_wasmlab-diff-worker").into(),
        args: vec![],
        env: vec![(TEST_ENGINES_ENV.into(), "1".into())],
    }
}

fn corpus_program(name: &str) -> ProgramSpec {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../corpora/programs").join(name);
    ProgramSpec {
        module: dir.join("benchmark.wasm"),
        args: vec!["benchmark.wasm".into()],
        env: Vec::new(),
        dirs: vec![(dir, ".".into())],
    }
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

const TIMEOUT: Duration = Duration::from_secs(120);

#[test]
fn a_real_program_agrees_on_every_in_house_engine() {
    let out = tempfile::tempdir().unwrap();
    let spec = corpus_program("sha256");
    let report =
        program::run(&spec, &names(&["wasmtime", "interp", "regjit", "tjit-tiered"]), &worker(), TIMEOUT, out.path())
            .unwrap();
    assert!(!report.diverged(), "{}", report.text());
    let expected = std::fs::read(spec.dirs[0].0.join("expected.stdout")).unwrap();
    for r in &report.runs {
        assert_eq!(r.status, Status::Exited(0), "{}", r.engine);
        assert_eq!(r.stdout, expected, "{}", r.engine);
        assert!(r.files.contains_key("./default.input"), "{}: {:?}", r.engine, r.files.keys());
        assert!(r.calls.iter().any(|(n, _)| n == "path_open"), "{}", r.engine);
    }
    assert!(report.saved.is_none());
    assert!(std::fs::read_dir(out.path()).unwrap().next().is_none(), "nothing saved without a finding");
}

#[test]
fn a_fault_in_one_engines_wasi_layer_is_found_saved_and_replayed() {
    let out = tempfile::tempdir().unwrap();
    let spec = corpus_program("json");
    let engines = names(&["wasmtime", "interp", "test-wasi-wrong"]);
    let report = program::run(&spec, &engines, &worker(), TIMEOUT, out.path()).unwrap();
    assert!(report.diverged(), "{}", report.text());
    assert_eq!(report.differences.keys().collect::<Vec<_>>(), ["test-wasi-wrong"], "{}", report.text());
    assert!(report.differences["test-wasi-wrong"].iter().any(|d| d.starts_with("stdout differs")));
    // The finding holds the module, the inputs and the command line...
    let saved = report.saved.clone().expect("saved");
    assert!(saved.join("program.wasm").is_file() && saved.join("dirs/0/default.input").is_file());
    assert!(std::fs::read_to_string(saved.join("report.txt")).unwrap().contains("wasmlab repro"));
    // ...and replays to the same difference.
    let (again, saved_engines) = program::load_finding(&saved).unwrap();
    assert_eq!(saved_engines, engines);
    let scratch = tempfile::tempdir().unwrap();
    let replay = program::run(&again, &saved_engines, &worker(), TIMEOUT, scratch.path()).unwrap();
    assert_eq!(replay.differences, report.differences);
}

/// Appends "x" to `log.txt` in the preopen (creating it), prints "ok".
const APPEND: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "log.txt")
  (data (i32.const 120) "x")
  (data (i32.const 130) "ok\n")
  (func (export "_start") (local $e i32)
    ;; oflags CREAT, fdflags APPEND
    (local.set $e (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 1)
      (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 1) (i32.const 0)))
    (if (local.get $e) (then (call $exit (local.get $e))))
    (i32.store (i32.const 16) (i32.const 120))
    (i32.store (i32.const 20) (i32.const 1))
    (drop (call $write (i32.load (i32.const 0)) (i32.const 16) (i32.const 1) (i32.const 8)))
    (i32.store (i32.const 16) (i32.const 130))
    (i32.store (i32.const 20) (i32.const 3))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8)))))"#;

#[test]
fn every_engine_writes_into_its_own_copy_and_the_files_are_compared() {
    let dir = tempfile::tempdir().unwrap();
    let module = dir.path().join("append.wat");
    std::fs::write(&module, APPEND).unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("log.txt"), b"start:").unwrap();
    let spec = ProgramSpec {
        module,
        args: vec!["append".into()],
        env: Vec::new(),
        dirs: vec![(data.clone(), "/data".into())],
    };
    let out = tempfile::tempdir().unwrap();
    let report = program::run(&spec, &names(&["wasmtime", "wasmi", "interp"]), &worker(), TIMEOUT, out.path()).unwrap();
    assert!(!report.diverged(), "{}", report.text());
    for r in &report.runs {
        assert_eq!(r.stdout, b"ok\n", "{}", r.engine);
        // Each engine appended to a fresh copy: one "x" each.
        let state = &r.files["/data/log.txt"];
        assert!(state.starts_with("7 bytes"), "{}: {state}", r.engine);
    }
    assert_eq!(std::fs::read(data.join("log.txt")).unwrap(), b"start:", "the user's directory is never written");
}

#[test]
fn bad_input_is_a_clear_error() {
    let out = tempfile::tempdir().unwrap();
    let mut spec = corpus_program("sha256");
    spec.dirs[0].0 = Path::new("/no/such/dir").into();
    let err = program::run(&spec, &names(&["wasmtime"]), &worker(), TIMEOUT, out.path()).unwrap_err();
    assert!(err.to_string().contains("/no/such/dir"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib.wat");
    std::fs::write(&lib, "(module)").unwrap();
    let spec = ProgramSpec { module: lib, args: vec!["lib".into()], env: Vec::new(), dirs: Vec::new() };
    let err = program::run(&spec, &names(&["wasmtime"]), &worker(), TIMEOUT, out.path()).unwrap_err();
    assert!(err.to_string().contains("_start"), "{err}");
}
