//! WASI commands on every engine: the same host, the same outcome. Small
//! programs written in the text format, each exercising one part: output,
//! arguments, exit status, files in a preopen, traps and the Sightglass
//! region.

use wasmlab_contract::{EngineConfig, ModuleInterface, Trap};
use wasmlab_wasi::{Ended, Outcome, Preopen, WasiConfig, run_command};

/// Writes "hi <argv[1]>\n" to stdout, then exits with argc via proc_exit,
/// timing the write as the Sightglass protocol does.
const ECHO: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (import "bench" "start" (func $start))
  (import "bench" "end" (func $end))
  (memory (export "memory") 1)
  (data (i32.const 1000) "hi ")
  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $d (loop $l
      (br_if $d (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $n))
  (func (export "_start") (local $arg i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (drop (call $args (i32.const 100) (i32.const 2000)))
    (local.set $arg (i32.load (i32.const 104)))
    call $start
    ;; iovs at 16: "hi ", the argument, "\n" (stored after it)
    (i32.store (i32.const 16) (i32.const 1000))
    (i32.store (i32.const 20) (i32.const 3))
    (i32.store (i32.const 24) (local.get $arg))
    (i32.store (i32.const 28) (call $strlen (local.get $arg)))
    (i32.store8 (i32.const 1010) (i32.const 10))
    (i32.store (i32.const 32) (i32.const 1010))
    (i32.store (i32.const 36) (i32.const 1))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 3) (i32.const 8)))
    call $end
    (call $exit (i32.load (i32.const 0)))))"#;

/// Copies `in.txt` of the preopen (fd 3) to `out.txt`, upper-cased.
const UPCASE: &str = r#"(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "in.txt")
  (data (i32.const 120) "out.txt")
  (func $check (param $e i32) (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e))))))
  (func (export "_start") (local $in i32) (local $out i32) (local $n i32) (local $i i32) (local $c i32)
    (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 6) (i32.const 0)
                   (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0)))
    (local.set $in (i32.load (i32.const 0)))
    (call $check (call $open (i32.const 3) (i32.const 0) (i32.const 120) (i32.const 7) (i32.const 9)
                   (i64.const 0x1fffffff) (i64.const 0x1fffffff) (i32.const 0) (i32.const 0)))
    (local.set $out (i32.load (i32.const 0)))
    (i32.store (i32.const 16) (i32.const 4096))
    (i32.store (i32.const 20) (i32.const 4096))
    (call $check (call $read (local.get $in) (i32.const 16) (i32.const 1) (i32.const 8)))
    (local.set $n (i32.load (i32.const 8)))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $c (i32.load8_u offset=4096 (local.get $i)))
      (if (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122)))
        (then (i32.store8 offset=4096 (local.get $i) (i32.sub (local.get $c) (i32.const 32)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store (i32.const 20) (local.get $n))
    (call $check (call $write (local.get $out) (i32.const 16) (i32.const 1) (i32.const 8)))
    (call $check (call $close (local.get $out)))))"#;

/// Passes fd_write an iovec array past the end of memory.
const BAD_POINTER: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (drop (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 4) (i32.const 0)))))"#;

fn run_everywhere(wat: &str, config: &WasiConfig, check: impl Fn(&str, &Outcome)) {
    let wasm = wat::parse_str(wat).unwrap();
    let iface = ModuleInterface::parse(&wasm).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let engine_config = EngineConfig { cache_dir: Some(cache.path().to_path_buf()), ..EngineConfig::default() };
    for name in wasmlab_registry::names() {
        let engine = wasmlab_registry::create(name, &engine_config).unwrap();
        let module = engine.compile(&wasm).unwrap_or_else(|e| panic!("{name}: {e}"));
        let outcome =
            run_command(engine.as_ref(), module.as_ref(), &iface, config).unwrap_or_else(|e| panic!("{name}: {e}"));
        check(name, &outcome);
    }
}

#[test]
fn output_arguments_and_exit_status_are_the_same_on_every_engine() {
    let config = WasiConfig { args: vec!["echo".into(), "lab".into()], ..WasiConfig::default() };
    run_everywhere(ECHO, &config, |name, o| {
        assert_eq!(o.ended, Ended::Exited(2), "{name}");
        assert_eq!(String::from_utf8_lossy(&o.stdout), "hi lab\n", "{name}");
        assert!(o.region.is_some(), "{name}: the bench.start..bench.end region was not timed");
        assert!(o.region.unwrap() <= o.run, "{name}");
        let called: Vec<&str> = o.calls.iter().map(|(n, _)| *n).collect();
        assert_eq!(called, ["args_get", "args_sizes_get", "fd_write", "proc_exit"], "{name}");
    });
}

#[test]
fn files_in_a_preopen_are_read_and_written_on_every_engine() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("in.txt"), b"Real programs, every engine.").unwrap();
    let config = WasiConfig {
        preopens: vec![Preopen { host: dir.path().to_path_buf(), guest: ".".into() }],
        ..WasiConfig::default()
    };
    run_everywhere(UPCASE, &config, |name, o| {
        assert_eq!(o.ended, Ended::Exited(0), "{name}");
        assert_eq!(std::fs::read(dir.path().join("out.txt")).unwrap(), b"REAL PROGRAMS, EVERY ENGINE.", "{name}");
        std::fs::remove_file(dir.path().join("out.txt")).unwrap();
    });
    // Without the preopen, opening fails with EBADF and the program says so.
    run_everywhere(UPCASE, &WasiConfig::default(), |name, o| assert_eq!(o.ended, Ended::Exited(108), "{name}"));
}

#[test]
fn a_bad_pointer_traps_the_same_way_on_every_engine() {
    run_everywhere(BAD_POINTER, &WasiConfig::default(), |name, o| match &o.ended {
        Ended::Trapped { trap: Trap::HostError, detail: Some(d) } => assert!(d.starts_with("fd_write"), "{name}: {d}"),
        other => panic!("{name}: {other:?}"),
    });
}

#[test]
fn a_module_that_is_not_a_command_is_refused_clearly() {
    let wasm = wat::parse_str("(module (func (export \"main\")))").unwrap();
    let iface = ModuleInterface::parse(&wasm).unwrap();
    let engine = wasmlab_registry::create("interp", &EngineConfig::default()).unwrap();
    let module = engine.compile(&wasm).unwrap();
    let err = run_command(engine.as_ref(), module.as_ref(), &iface, &WasiConfig::default()).unwrap_err();
    assert!(err.to_string().contains("_start"), "{err}");
    // An import that is neither WASI nor the bench protocol is a link error naming it.
    let wasm = wat::parse_str("(module (import \"env\" \"f\" (func)) (func (export \"_start\")))").unwrap();
    let iface = ModuleInterface::parse(&wasm).unwrap();
    let module = engine.compile(&wasm).unwrap();
    let err = run_command(engine.as_ref(), module.as_ref(), &iface, &WasiConfig::default()).unwrap_err();
    assert!(err.to_string().contains("\"env\" \"f\""), "{err}");
}
