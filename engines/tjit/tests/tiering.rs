//! `tjit-tiered`'s path from the interpreter to compiled code: a hot
//! function's request, its compile on a background worker and the switch
//! to its code on a later call, results correct throughout; on-stack
//! replacement into a long-running loop; and deterministic tiering, which
//! makes two runs count exactly the same.

mod common;

use common::{Call, assert_same, counter, get, i32s, inst, outcome, reference, run, wait_for};
use wasmlab_contract::{Engine, EngineConfig, Val};
use wasmlab_tjit::TieredEngine;

const MODULE: &str = r#"(module
  (memory (export "mem") 1)
  (func $fib (export "fib") (param i32) (result i32)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  ;; A checksum over n iterations: one loop, a fused compare, memory.
  (func $spin (export "spin") (param i32) (result i32) (local $i i32) (local $x i32)
    (block $out (loop $l
      (br_if $out (i32.ge_u (local.get $i) (local.get 0)))
      (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 31)) (local.get $i)))
      (i32.store (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 0xfffc)) (local.get $x))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.xor (local.get $x) (i32.load (i32.const 8))))
  (func (export "mix") (param i64 f64) (result i64 f64)
    (i64.rotl (i64.mul (local.get 0) (i64.const 0x9e3779b97f4a7c15)) (i64.const 17))
    (f64.add (f64.sqrt (local.get 1)) (f64.const 0.5)))
)"#;

/// What `spin(n)` returns, computed independently.
fn spin(n: u32) -> i32 {
    let mut mem = vec![0i32; 16384];
    let mut x = 0i32;
    for i in 0..n {
        x = x.wrapping_mul(31).wrapping_add(i as i32);
        mem[((i << 2) & 0xfffc) as usize / 4] = x;
    }
    x ^ mem[2]
}

fn background(calls: u32, loops: u32) -> EngineConfig {
    EngineConfig {
        tier_calls: Some(calls),
        tier_loops: Some(loops),
        compile_workers: Some(1),
        deterministic_tiering: false,
        ..EngineConfig::default()
    }
}

#[test]
fn a_hot_function_is_compiled_in_the_background_and_switched_to() {
    let e = TieredEngine::new(&background(2, 1_000_000));
    let mut i = inst(&e, MODULE);
    let mut calls = 0;
    let tiered = wait_for(|| {
        calls += 1;
        // Correct whichever tier answers.
        assert_eq!(i.call("fib", &[Val::I32(10)]), Ok(vec![Val::I32(55)]), "call {calls}");
        get(&e.stats().tier_ups) >= 1
    });
    assert!(tiered, "no tier-up after {calls} calls: {:?}", e.counters());
    let s = e.stats();
    assert!(get(&s.requests) >= 1, "{:?}", e.counters());
    assert!(get(&s.compiles) >= 1, "{:?}", e.counters());
    assert!(counter(&e, "switch-ns") > 0, "{:?}", e.counters());
    assert!(counter(&e, "cache-bytes") > 0, "{:?}", e.counters());
    assert_eq!(get(&s.queue_drops), 0);
    // The compiled code keeps answering correctly, also deeper calls.
    for n in [0, 1, 2, 20, 24] {
        let want = (0..n).fold((0i32, 1i32), |(a, b), _| (b, a.wrapping_add(b))).0;
        assert_eq!(i.call("fib", &[Val::I32(n)]), Ok(vec![Val::I32(want)]), "fib({n})");
    }
    // `spin` was never called: only `fib` was compiled.
    assert_eq!(get(&s.tier_ups), 1, "{:?}", e.counters());
    assert_eq!(get(&s.compiles), 1, "{:?}", e.counters());
}

#[test]
fn a_long_loop_is_entered_by_on_stack_replacement() {
    // Called once, so only the loop can tier up: the worker compiles
    // `spin` while the interpreter keeps looping, and the interpreter
    // enters the compiled loop at its header.
    let n = 60_000_000;
    let e = TieredEngine::new(&background(1_000_000, 100));
    let mut i = inst(&e, MODULE);
    let got = i.call("spin", &[Val::I32(n as i32)]);
    assert_eq!(got, Ok(vec![Val::I32(spin(n))]));
    let s = e.stats();
    assert_eq!(get(&s.osr_entries), 1, "{:?}", e.counters());
    assert_eq!(get(&s.tier_ups), 1, "{:?}", e.counters());
    assert_eq!(counter(&e, "osr-entries"), 1);
    // The interpreter computes the same.
    let mut r = inst(&wasmlab_interp::InterpEngine::new(&EngineConfig::default()), MODULE);
    assert_eq!(r.call("spin", &[Val::I32(n as i32)]), got);
    // The next call runs the compiled function from its entry: no second
    // replacement.
    assert_eq!(i.call("spin", &[Val::I32(1000)]), Ok(vec![Val::I32(spin(1000))]));
    assert_eq!(get(&s.osr_entries), 1, "{:?}", e.counters());
}

fn workload() -> Vec<Call> {
    vec![
        ("fib", i32s(&[15])),
        ("spin", i32s(&[500])),
        ("spin", i32s(&[3])),
        ("mix", vec![Val::I64(-3), Val::F64(2.0f64.to_bits())]),
        ("mix", vec![Val::I64(1 << 40), Val::F64(f64::NAN.to_bits())]),
    ]
}

#[test]
fn deterministic_tiering_counts_the_same_in_every_run() {
    let config = EngineConfig {
        tier_calls: Some(3),
        tier_loops: Some(50),
        deterministic_tiering: true,
        ..EngineConfig::default()
    };
    let want = reference(MODULE, &workload(), 4);
    let runs: Vec<Vec<(&'static str, u64)>> = (0..2)
        .map(|_| {
            let e = TieredEngine::new(&config);
            let got = run(inst(&e, MODULE).as_mut(), &workload(), 4);
            assert_same("tjit-tiered (deterministic)", &got, &want);
            // Durations differ from run to run; everything else must not.
            e.counters().into_iter().filter(|(k, _)| !k.ends_with("-ns")).collect()
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    let c = |k: &str| runs[0].iter().find(|x| x.0 == k).map(|x| x.1).unwrap();
    // Every function tiered up (fib by its recursive calls at once, spin's
    // loop by OSR in the first long call), and nothing is queued.
    assert_eq!(c("tier-ups"), 3, "{:?}", runs[0]);
    assert_eq!(c("osr-entries"), 1, "{:?}", runs[0]);
    assert_eq!(c("queue-drops"), 0);
}

#[test]
fn results_stay_correct_across_the_switch_in_background_mode() {
    // Many calls while the worker compiles: every one agrees with the
    // interpreter, whichever tier it ran in.
    let e = TieredEngine::new(&background(2, 20));
    let mut i = inst(&e, MODULE);
    let want = reference(MODULE, &workload(), 1);
    let mut rounds = 0;
    let all = wait_for(|| {
        rounds += 1;
        let got = run(i.as_mut(), &workload(), 1);
        // The memory line sums what `spin` left behind, the same each round.
        assert_same("tjit-tiered (background)", &got, &want);
        get(&e.stats().tier_ups) >= 3
    });
    assert!(all, "after {rounds} rounds: {:?}", e.counters());
    assert_eq!(outcome(i.as_mut(), "fib", &i32s(&[10])), "Ok([I32(55)])");
}

const FUEL: &str = r#"(module
  (func $sum (export "sum") (param i32) (result i32) (local $acc i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get 0)))
      (local.set $acc (i32.add (local.get $acc) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get $acc))
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))"#;

#[test]
fn fuel_is_one_step_per_call_and_per_wasm_loop_back_edge() {
    // tjit charges a step per call and per wasm branch back to a loop, in
    // every tier (compiled from the first call, and after entering the
    // loop by on-stack replacement, the interpreter's part included). The
    // interpreter charges per IR back-edge: regir rotates `sum`'s loop, so
    // its final `br $l` is the exit test and costs nothing. Checked: the
    // least fuel that completes each call, per engine.
    let mut diffs = Vec::new();
    for (f, n) in (0..=8).map(|n| ("sum", n)).chain((0..=8).map(|n| ("down", n))) {
        let mut needed: Vec<(&str, Option<u64>)> = Vec::new();
        for name in ["interp", "tjit", "tjit-tiered hot", "tjit-tiered osr"] {
            let mut found = None;
            for fuel in 1..=12u64 {
                let base = EngineConfig { fuel: Some(fuel), ..EngineConfig::default() };
                let e: Box<dyn Engine> = match name {
                    "interp" => Box::new(wasmlab_interp::InterpEngine::new(&base)),
                    "tjit" => Box::new(wasmlab_tjit::TjitEngine::new(&base)),
                    "tjit-tiered hot" => Box::new(TieredEngine::new(&EngineConfig {
                        tier_calls: Some(1),
                        deterministic_tiering: true,
                        ..base.clone()
                    })),
                    _ => Box::new(TieredEngine::new(&EngineConfig {
                        tier_calls: Some(1000),
                        tier_loops: Some(2),
                        deterministic_tiering: true,
                        ..base.clone()
                    })),
                };
                if outcome(inst(e.as_ref(), FUEL).as_mut(), f, &i32s(&[n])).starts_with("Ok") {
                    found = Some(fuel);
                    break;
                }
            }
            needed.push((name, found));
        }
        let n = n as u64;
        // One call; `sum` takes n back-edges in wasm, one fewer after
        // rotation (none when it never loops); `down` makes n more calls.
        let (wasm, ir) = if f == "sum" { (1 + n, 1 + n.saturating_sub(1)) } else { (1 + n, 1 + n) };
        // With a loop threshold of 2, `sum` enters compiled code only once
        // the interpreter has taken two back-edges (n >= 3); before, the
        // whole call is interpreted.
        let osr_happens = f == "sum" && n >= 3;
        for (name, got) in needed {
            let want = match name {
                "interp" => ir,
                "tjit-tiered osr" if !osr_happens => ir,
                _ => wasm,
            };
            if got != Some(want) {
                diffs.push(format!("{f}({n}) on {name}: least fuel {got:?}, want {want}"));
            }
        }
    }
    assert!(diffs.is_empty(), "{} disagreements:\n{}", diffs.len(), diffs.join("\n"));
}
