//! The runner judges right: correct results pass, wrong ones are reported
//! as failures with line and expected vs actual, and a missing proposal is
//! a skip with its reason.

use std::sync::Arc;
use std::time::Duration;

use wasmlab_contract::{Engine, EngineConfig, Features};
use wasmlab_wast::{FileReport, run_file, run_script};

fn engine(features: Features) -> Box<dyn Engine> {
    wasmlab_registry::create("wasmtime", &EngineConfig { features, ..EngineConfig::default() }).unwrap()
}

fn run(script: &str) -> FileReport {
    run_script("t.wast", script, engine(Features::WASM2).as_ref())
}

#[test]
fn every_directive_kind_passes_when_right() {
    let r = run(r#"
        (module $m
          (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
          (func (export "nan") (result f32) f32.const nan)
          (func (export "div") (param i32) (result i32) i32.const 1 local.get 0 i32.div_u)
          (func $r (export "rec") call $r)
          (global (export "g") i32 (i32.const 5))
          (memory (export "mem") 1))
        (register "m" $m)
        (invoke "add" (i32.const 1) (i32.const 2))
        (assert_return (invoke "add" (i32.const 1) (i32.const 2)) (i32.const 3))
        (assert_return (invoke "nan") (f32.const nan:canonical))
        (assert_return (get "g") (i32.const 5))
        (assert_trap (invoke "div" (i32.const 0)) "integer divide by zero")
        (assert_exhaustion (invoke "rec") "call stack exhausted")
        (assert_invalid (module (func (result i32) i64.const 0)) "type mismatch")
        (assert_malformed (module quote "(func (result i32) i32.const)") "unexpected token")
        (assert_malformed (module binary "\00asm\02\00\00\00") "unknown binary version")
        (assert_unlinkable (module (import "m" "nope" (func))) "unknown import")
        (assert_unlinkable (module (import "m" "g" (global i64))) "incompatible import type")
        (module (import "m" "mem" (memory 1)) (import "spectest" "print_i32" (func (param i32))))
        (assert_trap (module (memory 1) (data (i32.const 65536) "x")) "out of bounds memory access")
    "#);
    assert_eq!(r.failures, vec![], "{r:#?}");
    assert_eq!((r.passed, r.failed, r.skipped), (11, 0, 0));
}

#[test]
fn an_instance_without_names_instantiates_the_latest_definition() {
    let r = run(r#"
        (module definition (func (export "f") (result i32) i32.const 1))
        (module definition (func (export "f") (result i32) i32.const 2))
        (module instance)
        (assert_return (invoke "f") (i32.const 2))
        (module instance $second)
        (assert_return (invoke $second "f") (i32.const 2))
    "#);
    assert_eq!(r.failures, vec![], "{r:#?}");
    assert_eq!((r.passed, r.failed), (2, 0));
    let none = run("(module instance)");
    assert_eq!(none.failed, 1, "{none:#?}");
}

#[test]
fn an_expected_trap_message_matches_as_a_prefix() {
    // The reference interpreter's rule: the expected text is a prefix of
    // the actual message.
    let r = run(r#"
        (module (memory 1)
          (func (export "load") (result i32) i32.const 65536 i32.load)
          (func (export "div") (result i32) i32.const 1 i32.const 0 i32.div_s))
        (assert_trap (invoke "load") "out of bounds")
        (assert_trap (invoke "div") "integer divide")
        (assert_trap (invoke "div") "integer overflow")
    "#);
    assert_eq!((r.passed, r.failed), (2, 1), "{r:#?}");
}

#[test]
fn module_definitions_instantiate_separately() {
    let r = run(r#"
        (module definition $d (global $g (export "g") (mut i32) (i32.const 0))
          (func (export "bump") (result i32) global.get $g i32.const 1 i32.add global.set $g global.get $g))
        (module instance $a $d)
        (module instance $b $d)
        (assert_return (invoke $a "bump") (i32.const 1))
        (assert_return (invoke $a "bump") (i32.const 2))
        (assert_return (invoke $b "bump") (i32.const 1))
        (module instance $c $nope)
    "#);
    assert_eq!((r.passed, r.failed), (3, 1), "{r:#?}");
    assert!(r.failures[0].expected.contains("$nope"));
}

#[test]
fn a_wrong_result_is_reported_as_a_failure() {
    let r = run(r#"(module (func (export "one") (result i32) i32.const 1))

        (assert_return (invoke "one") (i32.const 2))
        (assert_trap (invoke "one") "unreachable")
        (assert_invalid (module (func)) "should have been invalid")
        (assert_return (invoke "one") (i32.const 1))"#);
    assert_eq!((r.passed, r.failed, r.skipped), (1, 3, 0));
    let f = &r.failures[0];
    assert_eq!((f.line, f.directive.as_str()), (3, "assert_return"));
    assert_eq!(f.expected, "[i32:2]");
    assert_eq!(f.actual, "[i32:1]");
    assert!(r.failures[1].actual.contains("i32:1"));
    assert_eq!(r.failures[2].actual, "module accepted");
}

#[test]
fn wrong_trap_kind_and_nan_pattern_fail() {
    let r = run(r#"(module
          (func (export "div") (result i32) i32.const 1 i32.const 0 i32.div_s)
          (func (export "snan") (result f64) f64.const nan:0x4))
        (assert_trap (invoke "div") "integer overflow")
        (assert_return (invoke "snan") (f64.const nan:arithmetic))
        (assert_return (invoke "snan") (f64.const nan:0x4))"#);
    assert_eq!((r.passed, r.failed), (1, 2), "{r:#?}");
    assert!(r.failures[0].actual.contains("integer divide by zero"));
}

#[test]
fn missing_proposal_is_a_skip_with_reason_and_taints_what_follows() {
    let script = r#"(module (func (export "v") (result v128) v128.const i32x4 1 2 3 4))
        (assert_return (invoke "v") (v128.const i32x4 1 2 3 4))
        (module (func (export "x") (result i32) i32.const 7))
        (assert_return (invoke "x") (i32.const 7))"#;
    let r = run_script("t.wast", script, engine(Features::WASM2_NO_SIMD).as_ref());
    assert_eq!((r.passed, r.failed, r.skipped), (1, 0, 2), "{r:#?}");
    assert!(r.skips.iter().all(|s| s.reason.contains("simd")));
    let r = run_script("t.wast", script, engine(Features::WASM2).as_ref());
    assert_eq!((r.passed, r.failed, r.skipped), (2, 0, 0));
}

#[test]
fn broken_scripts_and_missing_files_are_failures_not_panics() {
    let r = run("(module (func))) (((");
    assert_eq!(r.failed, 1);
    assert_eq!(r.failures[0].directive, "parse");
    let e: Arc<dyn Engine> = Arc::from(engine(Features::WASM2));
    let r = run_file(std::path::Path::new("no/such/file.wast"), e, Duration::from_secs(5));
    assert_eq!(r.failed, 1);
    assert!(r.failures[0].actual.contains("cannot read"), "{r:#?}");
    assert!(wasmlab_wast::collect_files(&["no/such/dir".into()]).unwrap_err().to_string().contains("no/such/dir"));
}
