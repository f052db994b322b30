//! Every way `tjit` can fail to compile a function ends in a fallback to
//! the interpreter with identical results, counted by reason: the planted
//! compiler faults (a missing template, a patch out of range, a branch
//! the sanity check must catch, a checksum mismatch), a full request
//! queue and an exhausted code-cache budget. The same faults make the
//! compile-everything engine `tjit` refuse the module with an error. A
//! planted wrong-code fault shows the other side: compiled code is what
//! runs after a tier-up, so an agreement above is not vacuous.

mod common;

use common::{Call, assert_same, counter, get, i32s, inst, reference, run};
use wasmlab_contract::{Engine, EngineConfig, Error};
use wasmlab_tjit::{Fault, TieredEngine, TjitEngine};

/// Every function multiplies (so `Fault::NoTemplate` refuses each of
/// them, like the other faults), and between them they loop, call
/// (directly, indirectly, recursively), use memory, branch through a
/// table and trap.
const MODULE: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (memory (export "mem") 1)
  (table 3 funcref)
  (elem (i32.const 0) $sq $fac)
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func $fac (export "fac") (type $ii) (local $acc i32)
    (local.set $acc (i32.const 1))
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get 0)))
      (local.set $acc (i32.mul (local.get $acc) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get $acc))
  (func $calls (export "calls") (param i32 i32) (result i32)
    (i32.mul
      (i32.add (call $sq (local.get 0)) (call $fac (local.get 0)))
      (call_indirect (type $ii) (local.get 0) (local.get 1))))
  (func $rec (export "rec") (type $ii)
    (if (result i32) (i32.le_s (local.get 0) (i32.const 1))
      (then (i32.const 1))
      (else (i32.mul (local.get 0) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func $mem (export "store") (param i32 i32) (result i32)
    (i32.store (local.get 0) (i32.mul (local.get 1) (i32.const 3)))
    (i32.store8 offset=4 (local.get 0) (local.get 1))
    (i32.add (i32.load (local.get 0)) (i32.load8_u offset=4 (local.get 0))))
  (func $div (export "div") (param i32 i32) (result i32)
    (i32.div_s (i32.mul (local.get 0) (i32.const 1)) (local.get 1)))
  (func $switch (export "switch") (type $ii)
    (block $c (block $b (block $a (br_table $a $b $c (local.get 0)))
      (return (i32.mul (local.get 0) (i32.const 10))))
      (return (i32.mul (local.get 0) (i32.const 20))))
    (i32.mul (local.get 0) (i32.const 30)))
  (func $boom (export "boom") (type $ii)
    (if (i32.eq (i32.mul (local.get 0) (i32.const 2)) (i32.const 8)) (then unreachable))
    (local.get 0))
  (func $deep (export "deep") (type $ii)
    (i32.mul (i32.const 1) (call $deep (local.get 0))))
)"#;

/// Defined functions of `MODULE`; every one is reached by `calls()`.
const FUNCS: u64 = 9;

fn calls() -> Vec<Call> {
    vec![
        ("fac", i32s(&[0])),
        ("fac", i32s(&[5])),
        ("fac", i32s(&[13])),
        ("fac", i32s(&[40])),
        ("calls", i32s(&[3, 0])),
        ("calls", i32s(&[4, 1])),
        ("calls", i32s(&[2, 2])),
        ("calls", i32s(&[5, -1])),
        ("rec", i32s(&[1])),
        ("rec", i32s(&[12])),
        ("store", i32s(&[0, 7])),
        ("store", i32s(&[100, 0x1234_5678])),
        ("store", i32s(&[65532, 5])),
        ("store", i32s(&[65536, 1])),
        ("store", i32s(&[-1, 3])),
        ("div", i32s(&[7, 2])),
        ("div", i32s(&[7, 0])),
        ("div", i32s(&[i32::MIN, -1])),
        ("switch", i32s(&[-1])),
        ("switch", i32s(&[0])),
        ("switch", i32s(&[1])),
        ("switch", i32s(&[2])),
        ("switch", i32s(&[3])),
        ("boom", i32s(&[3])),
        ("boom", i32s(&[4])),
        ("deep", i32s(&[1])),
    ]
}

const ROUNDS: usize = 3;

const FAULTS: [Fault; 4] = [Fault::NoTemplate, Fault::PatchOutOfRange, Fault::BadBranch, Fault::Checksum];

fn deterministic() -> EngineConfig {
    EngineConfig { tier_calls: Some(1), tier_loops: Some(10), deterministic_tiering: true, ..EngineConfig::default() }
}

#[test]
fn the_reference_run_traps_where_it_should() {
    // The module reaches the traps the fallbacks must reproduce.
    let want = reference(MODULE, &calls(), 1).join("\n");
    for t in ["TableOutOfBounds", "MemoryOutOfBounds", "IntegerDivisionByZero", "IntegerOverflow"] {
        assert!(want.contains(t), "no {t} in\n{want}");
    }
    for t in ["Unreachable", "StackOverflow", "IndirectCallToNull"] {
        assert!(want.contains(t), "no {t} in\n{want}");
    }
}

#[test]
fn each_compiler_fault_falls_back_to_the_interpreter() {
    let want = reference(MODULE, &calls(), ROUNDS);
    for fault in FAULTS {
        let e = TieredEngine::with_fault(&deterministic(), Some(fault), "tjit-tiered-faulty");
        let got = run(inst(&e, MODULE).as_mut(), &calls(), ROUNDS);
        assert_same(&format!("{fault:?}"), &got, &want);
        let s = e.stats();
        // Each function is asked for once, refused for the fault, and
        // never asked again.
        assert_eq!(get(&s.requests), FUNCS, "{fault:?}: {:?}", e.counters());
        assert_eq!(get(&s.fault), FUNCS, "{fault:?}: {:?}", e.counters());
        assert_eq!(get(&s.tier_ups), 0, "{fault:?}");
        assert_eq!(get(&s.osr_entries), 0, "{fault:?}");
        assert_eq!(get(&s.compiles), 0, "{fault:?}");
        assert_eq!(get(&s.cache_peak), 0, "{fault:?}: nothing was installed");
        // Counted as the fault, not as a reason the compiler has in
        // normal operation.
        for other in [&s.no_template, &s.patch, &s.sanity, &s.no_room, &s.too_large] {
            assert_eq!(get(other), 0, "{fault:?}: {:?}", e.counters());
        }
        assert_eq!(counter(&e, "fallback-fault"), FUNCS);
    }
}

#[test]
fn each_compiler_fault_is_a_compile_error_of_tjit() {
    let wasm = common::wasm(MODULE);
    // A missing template is an operator tjit does not support; the others
    // are the compiler's own errors, never the module's.
    for (fault, unsupported, says) in [
        (Fault::NoTemplate, true, "no template for I32Mul"),
        (Fault::PatchOutOfRange, false, "patch failed"),
        (Fault::BadBranch, false, "sanity check failed: branch"),
        (Fault::Checksum, false, "checksum of the published code"),
    ] {
        let e = TjitEngine::with_fault(&EngineConfig::default(), Some(fault), "tjit-faulty");
        match e.compile(&wasm) {
            Ok(_) => panic!("{fault:?}: tjit compiled the module"),
            Err(err) => {
                assert!(err.to_string().contains(says), "{fault:?}: {err:?}");
                if unsupported {
                    assert!(matches!(err, Error::Unsupported(_)), "{fault:?}: {err:?}");
                } else {
                    assert!(matches!(err, Error::Internal(_)), "{fault:?}: {err:?}");
                }
            }
        }
        assert_eq!(counter(&e, "compiles"), 0, "{fault:?}");
    }
    // Without a fault the same module compiles, and agrees.
    let e = TjitEngine::new(&EngineConfig::default());
    let got = run(inst(&e, MODULE).as_mut(), &calls(), 1);
    assert_same("tjit", &got, &reference(MODULE, &calls(), 1));
    assert_eq!(counter(&e, "compiles"), FUNCS);
}

#[test]
fn a_full_queue_drops_every_request() {
    let config = EngineConfig { tier_calls: Some(1), compile_queue: Some(0), ..EngineConfig::default() };
    let e = TieredEngine::new(&config);
    let got = run(inst(&e, MODULE).as_mut(), &calls(), ROUNDS);
    assert_same("queue 0", &got, &reference(MODULE, &calls(), ROUNDS));
    let s = e.stats();
    assert!(get(&s.queue_drops) >= FUNCS, "{:?}", e.counters());
    // A dropped request is asked again later: every request was dropped.
    assert_eq!(get(&s.queue_drops), get(&s.requests), "{:?}", e.counters());
    assert_eq!(get(&s.tier_ups), 0);
    assert_eq!(get(&s.compiles), 0);
    assert_eq!(counter(&e, "queue-drops"), get(&s.queue_drops));
}

#[test]
fn an_exhausted_budget_refuses_code_and_stays_within_it() {
    let budget = wasmlab_tjit::template::library_bytes() + 64;
    let config = EngineConfig { code_cache_bytes: Some(budget), ..deterministic() };
    let e = TieredEngine::new(&config);
    let got = run(inst(&e, MODULE).as_mut(), &calls(), ROUNDS);
    assert_same("budget", &got, &reference(MODULE, &calls(), ROUNDS));
    let s = e.stats();
    // Compiled, then refused by the cache: no function fits in 64 bytes.
    assert!(get(&s.compiles) >= FUNCS, "{:?}", e.counters());
    assert!(get(&s.no_room) >= FUNCS, "{:?}", e.counters());
    assert_eq!(get(&s.no_room), get(&s.compiles), "{:?}", e.counters());
    assert_eq!(get(&s.tier_ups), 0);
    assert_eq!(get(&s.evictions), 0);
    assert_eq!(get(&s.cache_peak), 0);
    assert_eq!(e.cache().bytes(), 0);
    assert_eq!(get(&s.budget), budget as u64);
    assert!(get(&s.cache_peak) + get(&s.template_bytes) <= budget as u64);
    assert_eq!(counter(&e, "fallback-budget"), get(&s.no_room));
}

const ADD: &str = r#"(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "xor") (param i32 i32) (result i32) (i32.xor (local.get 0) (local.get 1))))"#;

#[test]
fn planted_wrong_code_is_observable_after_tier_up() {
    // Results whose low byte is 0x5a come out one too high from the
    // compiled code only; the interpreter's first call is right.
    let e = TieredEngine::with_fault(&deterministic(), Some(Fault::I32AddLowByte), "tjit-tiered-wrong");
    let mut i = inst(&e, ADD);
    let args = i32s(&[0x50, 0x0a]);
    let r = common::outcome(i.as_mut(), "add", &args);
    // tier_calls = 1: the very first call already runs compiled code.
    assert_eq!(r, "Ok([I32(91)])", "0x5a + 1 from the compiled code");
    assert_eq!(common::outcome(i.as_mut(), "add", &i32s(&[0x50, 0x0b])), "Ok([I32(91)])");
    assert_eq!(common::outcome(i.as_mut(), "xor", &i32s(&[0x50, 0x0a])), "Ok([I32(91)])");
    assert_eq!(common::outcome(i.as_mut(), "xor", &i32s(&[0x50, 0x0b])), "Ok([I32(91)])");
    assert_eq!(get(&e.stats().tier_ups), 2);
    assert_eq!(get(&e.stats().fault), 0, "not a fallback");

    let e = TjitEngine::with_fault(&EngineConfig::default(), Some(Fault::I32AddLowByte), "tjit-wrong");
    let mut i = inst(&e, ADD);
    assert_eq!(common::outcome(i.as_mut(), "add", &args), "Ok([I32(91)])");
    let mut reference = inst(&wasmlab_interp::InterpEngine::new(&EngineConfig::default()), ADD);
    assert_eq!(common::outcome(reference.as_mut(), "add", &args), "Ok([I32(90)])");
}
