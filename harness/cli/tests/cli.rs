//! The command line on good and bad input: clear errors, never a panic.

use std::path::Path;
use std::process::{Command, Output};

use wasmlab_wasmtime::Artifact;

fn wasmlab(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_wasmlab")).args(args).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "wasmlab {args:?} panicked: {stderr}");
    out
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.to_str().unwrap().to_string()
}

const ADD_WAT: &str = r#"(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
                                 (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s))"#;

#[test]
fn runs_wat_and_wasm_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "add.wat", ADD_WAT.as_bytes());
    let wasm = write(dir.path(), "add.wasm", &wat::parse_str(ADD_WAT).unwrap());
    for engine in wasmlab_registry::names() {
        for file in [&wat, &wasm] {
            let out = wasmlab(&["run", file, "--engine", engine, "--invoke", "add", "40", "2"]);
            assert!(out.status.success(), "{engine}: {:?}", text(&out));
            assert_eq!(text(&out).0.trim(), "i32:42");
        }
    }
    let out = wasmlab(&["run", &wat, "--invoke", "div", "1", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out).0.trim(), "trap: integer divide by zero");
}

#[test]
fn malformed_wasm_names_the_offset() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(dir.path(), "bad.wasm", b"\0asm\x01\0\0\0\x01\x05\x01\x60\x00");
    let out = wasmlab(&["run", &bad]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out).1;
    assert!(err.contains("bad.wasm") && err.contains("offset 0x"), "{err}");
}

#[test]
fn missing_file_unknown_engine_and_bad_arguments_are_clear_errors() {
    let out = wasmlab(&["run", "no/such/module.wasm"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("no/such/module.wasm"));

    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "add.wat", ADD_WAT.as_bytes());
    let out = wasmlab(&["run", &wat, "--engine", "v8"]);
    let err = text(&out).1;
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("unknown engine 'v8'") && err.contains("wasmtime") && err.contains("wasmi"), "{err}");

    let out = wasmlab(&["run", &wat, "--invoke", "add", "1"]);
    assert!(text(&out).1.contains("takes 2 argument(s)"));
    let out = wasmlab(&["run", &wat, "--invoke", "mul", "1", "2"]);
    assert!(text(&out).1.contains("exported functions: add, div"));
    let out = wasmlab(&["run", &wat, "--invoke", "add", "x", "2"]);
    assert!(text(&out).1.contains("'x' is not a valid i32"));
    let out = wasmlab(&["wast", "no/such.wast", "--engine", "wasmtime"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("no/such.wast"));
}

#[test]
fn aot_compile_run_inspect_and_damaged_artifacts() {
    let dir = tempfile::tempdir().unwrap();
    let wat = write(dir.path(), "add.wat", ADD_WAT.as_bytes());
    let cwasm = dir.path().join("add.cwasm");
    let cwasm_s = cwasm.to_str().unwrap();
    assert!(wasmlab(&["aot", "compile", &wat, "-o", cwasm_s]).status.success());
    let out = wasmlab(&["run", cwasm_s, "--invoke", "add", "1", "2"]);
    assert_eq!(text(&out), ("i32:3\n".into(), String::new()));
    let out = wasmlab(&["aot", "inspect", cwasm_s]);
    assert!(out.status.success());
    assert!(text(&out).0.contains("wasmtime=48.0.8") && text(&out).0.contains("CAN load it"));

    let good = std::fs::read(&cwasm).unwrap();
    // Truncated in the code: recompiled from the embedded module, with a warning.
    let cut = write(dir.path(), "cut.cwasm", &good[..good.len() - 100]);
    let out = wasmlab(&["run", &cut, "--invoke", "add", "1", "2"]);
    assert_eq!(text(&out).0, "i32:3\n");
    assert!(text(&out).1.contains("warning: artifact not usable"), "{:?}", text(&out));
    // Truncated in the header: nothing to trust, a clear error.
    let out = wasmlab(&["run", &write(dir.path(), "head.cwasm", &good[..30]), "--invoke", "add", "1", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("corrupt .cwasm"), "{:?}", text(&out));
    // A flipped byte in the key or module.
    let mut flipped = good.clone();
    flipped[20] ^= 1;
    let out = wasmlab(&["run", &write(dir.path(), "flip.cwasm", &flipped)]);
    assert!(text(&out).1.contains("checksum mismatch"), "{:?}", text(&out));
    // A flipped byte in the code: recompiled.
    let mut flipped = good.clone();
    let n = flipped.len();
    flipped[n - 200] ^= 1;
    let out = wasmlab(&["run", &write(dir.path(), "flip2.cwasm", &flipped), "--invoke", "add", "2", "2"]);
    assert_eq!(text(&out).0, "i32:4\n");
    // Another key: inspect says why it cannot load; run falls back.
    let art = Artifact::decode(&good).unwrap();
    let mut key = art.key.clone();
    key.wasmtime = "35.0.0".into();
    let other = write(dir.path(), "other.cwasm", &Artifact::encode(&key, &art.wasm, art.code.as_deref().unwrap()));
    let out = wasmlab(&["aot", "inspect", &other]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).0.contains("CANNOT load it") && text(&out).0.contains("35.0.0"));
    let out = wasmlab(&["run", &other, "--invoke", "add", "5", "5"]);
    assert_eq!(text(&out).0, "i32:10\n");
    assert!(text(&out).1.contains("35.0.0"));
    // A plain .wasm named .cwasm is told apart.
    let out = wasmlab(&["aot", "inspect", &write(dir.path(), "plain.cwasm", &wat::parse_str(ADD_WAT).unwrap())]);
    assert!(text(&out).1.contains("not a .cwasm"));
}

#[test]
fn wast_exit_status_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.wast",
        b"(module (func (export \"f\") (result i32) i32.const 1)) (assert_return (invoke \"f\") (i32.const 1))",
    );
    let bad = write(
        dir.path(),
        "bad.wast",
        b"(module (func (export \"f\") (result i32) i32.const 1)) (assert_return (invoke \"f\") (i32.const 2))",
    );
    let json = dir.path().join("r.json");
    let out = wasmlab(&["wast", &good, "--engine", "wasmtime", "--engine", "wasmi", "--json", json.to_str().unwrap()]);
    assert!(out.status.success(), "{:?}", text(&out));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["totals"]["wasmi"]["passed"], 1);
    assert_eq!(v["totals"]["wasmtime"]["failed"], 0);
    let out = wasmlab(&["wast", &bad, "--engine", "wasmtime"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).0.contains("bad.wast:1 assert_return: expected [i32:2], got [i32:1]"), "{}", text(&out).0);
}

#[test]
fn engines_lists_names_versions_and_proposals() {
    let out = wasmlab(&["engines"]);
    let s = text(&out).0;
    for name in wasmlab_registry::names() {
        assert!(s.contains(name));
    }
    assert!(s.contains("48.0.8") && s.contains("reference-types"));
}

/// Prints its arguments and `$GREETING` (via environ) one per line, then
/// exits with the status given as its first argument's first digit; traps
/// in a named function when that digit is 9.
const ECHO_WASI: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $asizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $esizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $env (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (memory (export "memory") 1)
  (func $puts (param $p i32) (local $n i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1))) (br $l)))
    (i32.store8 (i32.add (local.get $p) (local.get $n)) (i32.const 10))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.add (local.get $n) (i32.const 1)))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $explode (unreachable))
  (func (export "_start") (local $i i32) (local $argc i32) (local $code i32)
    call $start
    (drop (call $asizes (i32.const 16) (i32.const 20)))
    (local.set $argc (i32.load (i32.const 16)))
    (drop (call $args (i32.const 1024) (i32.const 4096)))
    (local.set $i (i32.const 1))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $argc)))
      (call $puts (i32.load offset=1024 (i32.shl (local.get $i) (i32.const 2))))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br $l)))
    (drop (call $esizes (i32.const 16) (i32.const 20)))
    (if (i32.load (i32.const 16)) (then
      (drop (call $env (i32.const 2048) (i32.const 8192)))
      (call $puts (i32.load (i32.const 2048)))))
    call $end
    (if (i32.gt_u (local.get $argc) (i32.const 1)) (then
      (local.set $code (i32.sub (i32.load8_u (i32.load (i32.const 1028))) (i32.const 48)))
      (if (i32.eq (local.get $code) (i32.const 9)) (then (call $explode)))
      (call $exit (local.get $code))))))"#;

#[test]
fn wasi_commands_run_with_arguments_environment_and_their_exit_status() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "echo.wat", ECHO_WASI.as_bytes());
    for engine in wasmlab_registry::names() {
        let out = wasmlab(&["run", &file, "--engine", engine, "--env", "GREETING=hello", "--", "3", "two words"]);
        assert_eq!(out.status.code(), Some(3), "{engine}: {:?}", text(&out));
        assert_eq!(text(&out).0, "3\ntwo words\nGREETING=hello\n", "{engine}");
    }
    // No arguments: `_start` returns, status 0; no environment is passed on.
    let out =
        Command::new(env!("CARGO_BIN_EXE_wasmlab")).args(["run", &file]).env("GREETING", "leak").output().unwrap();
    assert_eq!((out.status.code(), text(&out).0.as_str()), (Some(0), ""));
    // A trap: the message, a backtrace naming the function where the engine
    // has one, and the status of an abort.
    let out = wasmlab(&["run", &file, "--", "9"]);
    assert_eq!(out.status.code(), Some(134));
    let err = text(&out).1;
    assert!(err.contains("wasm trap: unreachable") && err.contains("explode"), "{err}");
    // The interpreter's frames, named from the name section.
    let out = wasmlab(&["run", &file, "--engine", "interp", "--", "9"]);
    assert_eq!(out.status.code(), Some(134));
    let err = text(&out).1;
    assert!(err.contains("wasm trap: unreachable"), "{err}");
    let frames: Vec<&str> = err.lines().skip_while(|l| !l.starts_with("wasm backtrace")).skip(1).collect();
    assert_eq!(frames.len(), 2, "{err}");
    assert!(frames[0].ends_with(": explode") && frames[1].ends_with(": _start"), "{err}");
    // Bad options are named.
    let out = wasmlab(&["run", &file, "--env", "NOEQUALS"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("NOEQUALS"));
    let out = wasmlab(&["run", &file, "--dir", "/no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).1.contains("/no/such/dir"), "{:?}", text(&out));
}

#[test]
fn a_sightglass_benchmark_directory_runs_with_dir_dot() {
    let bench = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpora/programs/sha256");
    let out = Command::new(env!("CARGO_BIN_EXE_wasmlab"))
        .args(["run", "benchmark.wasm", "--dir", ".", "--engine", "interp"])
        .current_dir(&bench)
        .output()
        .unwrap();
    assert!(out.status.success(), "{:?}", text(&out));
    assert_eq!(out.stdout, std::fs::read(bench.join("expected.stdout")).unwrap());
}
