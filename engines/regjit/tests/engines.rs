//! Both regjit engines against the interpreter on hand-written modules
//! that reach every code path of the generator: register and slot
//! operands, immediates, traps, calls of every kind, tables, memory,
//! fuel, deep recursion, tier-up and on-stack replacement.

use wasmlab_contract::{
    Engine, EngineConfig, Error, FuncType, HostFunc, Import, Imports, Instance, Trap, Val, ValType,
};
use wasmlab_regjit::{RegjitEngine, TieredEngine};

fn engines(config: &EngineConfig) -> Vec<Box<dyn Engine>> {
    let mut tiered = config.clone();
    tiered.tier_calls = Some(2);
    tiered.tier_loops = Some(10);
    vec![
        Box::new(wasmlab_interp::InterpEngine::new(config)),
        Box::new(RegjitEngine::new(config)),
        Box::new(TieredEngine::new(&tiered)),
    ]
}

fn inst(e: &dyn Engine, wat: &str) -> Box<dyn Instance> {
    let wasm = wat::parse_str(wat).unwrap();
    e.instantiate_fresh(&wasm).unwrap_or_else(|err| panic!("{}: {err}", e.name()))
}

/// Calls `f` with each argument list on every engine; all must agree with
/// the interpreter (results or trap).
fn agree(wat: &str, f: &str, argss: &[Vec<Val>]) {
    let config = EngineConfig::default();
    let es = engines(&config);
    let mut insts: Vec<_> = es.iter().map(|e| inst(e.as_ref(), wat)).collect();
    for args in argss {
        // Several rounds so the tiered engine runs interpreted, then compiled.
        for _ in 0..4 {
            let want = insts[0].call(f, args);
            for (e, i) in es.iter().zip(insts.iter_mut()).skip(1) {
                let got = i.call(f, args);
                assert_eq!(format!("{got:?}"), format!("{want:?}"), "{} {f}{args:?}", e.name());
            }
        }
    }
}

const ARITH: &str = r#"(module
  (func (export "i32") (param i32 i32) (result i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)
    (i32.add (local.get 0) (local.get 1)) (i32.sub (local.get 0) (local.get 1))
    (i32.mul (local.get 0) (local.get 1)) (i32.and (local.get 0) (i32.const 0xff0))
    (i32.shl (local.get 0) (local.get 1)) (i32.shr_s (local.get 0) (local.get 1))
    (i32.rotr (local.get 0) (local.get 1)) (i32.clz (local.get 0)) (i32.ctz (local.get 1))
    (i32.popcnt (local.get 0)))
  (func (export "i64") (param i64 i64) (result i64 i64 i64 i64 i64 i64 i64 i64)
    (i64.add (local.get 0) (local.get 1)) (i64.mul (local.get 0) (i64.const 0x123456789))
    (i64.shr_u (local.get 0) (local.get 1)) (i64.rotl (local.get 0) (i64.const 13))
    (i64.clz (local.get 0)) (i64.ctz (local.get 1)) (i64.extend8_s (local.get 0))
    (i64.extend_i32_s (i32.wrap_i64 (local.get 1))))
  (func (export "div") (param i32 i32) (result i32 i32 i32 i32)
    (i32.div_s (local.get 0) (local.get 1)) (i32.div_u (local.get 0) (local.get 1))
    (i32.rem_s (local.get 0) (local.get 1)) (i32.rem_u (local.get 0) (local.get 1)))
  (func (export "div64") (param i64 i64) (result i64 i64)
    (i64.div_s (local.get 0) (local.get 1)) (i64.rem_s (local.get 0) (local.get 1)))
  (func (export "cmp") (param i32 i32 i64) (result i32 i32 i32 i32 i32)
    (i32.lt_s (local.get 0) (local.get 1)) (i32.ge_u (local.get 0) (local.get 1))
    (i64.gt_s (local.get 2) (i64.const -5)) (i32.eqz (local.get 0))
    (select (local.get 0) (local.get 1) (local.get 1)))
)"#;

#[test]
fn integer_ops_agree_with_the_interpreter() {
    let pairs = [(7, 3), (-7, 2), (i32::MIN, -1), (0x7fff_ffff, 31), (5, 0), (0, 33), (-1, -1)];
    let args: Vec<Vec<Val>> = pairs.iter().map(|&(a, b)| vec![Val::I32(a), Val::I32(b)]).collect();
    agree(ARITH, "i32", &args);
    agree(ARITH, "div", &args);
    let args: Vec<Vec<Val>> =
        pairs.iter().map(|&(a, b)| vec![Val::I32(a), Val::I32(b), Val::I64(a as i64 * 3)]).collect();
    agree(ARITH, "cmp", &args);
    let wide = [(7i64, 3i64), (i64::MIN, -1), (-1, 0), (1 << 40, 17), (0, 64)];
    let args: Vec<Vec<Val>> = wide.iter().map(|&(a, b)| vec![Val::I64(a), Val::I64(b)]).collect();
    agree(ARITH, "i64", &args);
    agree(ARITH, "div64", &args);
}

const FLOAT: &str = r#"(module
  (func (export "f64") (param f64 f64) (result f64 f64 f64 f64 f64 f64 f64 i32 i32 i32)
    (f64.add (local.get 0) (local.get 1)) (f64.div (local.get 0) (local.get 1))
    (f64.min (local.get 0) (local.get 1)) (f64.sqrt (local.get 0)) (f64.nearest (local.get 0))
    (f64.copysign (local.get 0) (local.get 1)) (f64.neg (local.get 1))
    (f64.lt (local.get 0) (local.get 1)) (f64.eq (local.get 0) (local.get 1))
    (f64.ne (local.get 0) (local.get 1)))
  (func (export "f32") (param f32 f32) (result f32 f32 f32 f32 i32)
    (f32.mul (local.get 0) (local.get 1)) (f32.floor (local.get 0)) (f32.abs (local.get 1))
    (f32.max (local.get 0) (local.get 1)) (f32.ge (local.get 0) (local.get 1)))
  (func (export "conv") (param f64) (result i32 i64 i32 f32 f64 i64)
    (i32.trunc_f64_s (local.get 0)) (i64.trunc_f64_s (local.get 0)) (i32.trunc_f64_u (local.get 0))
    (f32.demote_f64 (local.get 0)) (f64.convert_i64_s (i64.trunc_sat_f64_s (local.get 0)))
    (i64.trunc_sat_f64_u (local.get 0)))
)"#;

#[test]
fn float_ops_and_conversions_agree_with_the_interpreter() {
    let vals = [1.5f64, -2.5, 0.0, -0.0, 4e9, -3e9, 1e300, f64::NAN, f64::INFINITY, 2.5];
    let mut args = Vec::new();
    for &a in &vals {
        for &b in &vals[..4] {
            args.push(vec![Val::F64(a.to_bits()), Val::F64(b.to_bits())]);
        }
    }
    agree(FLOAT, "f64", &args);
    let args32: Vec<Vec<Val>> = args
        .iter()
        .map(|v| {
            v.iter()
                .map(|x| if let Val::F64(b) = x { Val::F32((f64::from_bits(*b) as f32).to_bits()) } else { *x })
                .collect()
        })
        .collect();
    agree(FLOAT, "f32", &args32);
    let one: Vec<Vec<Val>> = vals.iter().map(|&a| vec![Val::F64(a.to_bits())]).collect();
    agree(FLOAT, "conv", &one);
}

const CONTROL: &str = r#"(module
  (type $ii (func (param i32) (result i32)))
  (table 4 funcref)
  (elem (i32.const 0) $fib $sum $fib)
  (memory 1 3)
  (global $g (mut i64) (i64.const 5))
  (func $fib (export "fib") (type $ii)
    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2))
      (then (local.get 0))
      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))
                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))
  (func $sum (export "sum") (type $ii) (local $acc i32)
    (block $out (loop $l
      (br_if $out (i32.eqz (local.get 0)))
      (local.set $acc (i32.add (local.get $acc) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get $acc))
  (func (export "indirect") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "switch") (param i32) (result i32)
    (block $c (block $b (block $a (br_table $a $b $c (local.get 0)))
      (return (i32.const 10))) (return (i32.const 20))) (i32.const 30))
  (func (export "mem") (param i32 i64) (result i64 i32 i32)
    (i64.store offset=3 (local.get 0) (local.get 1))
    (i32.store8 (i32.const 100) (i32.const 0x1ff))
    (global.set $g (i64.add (global.get $g) (i64.load offset=3 (local.get 0))))
    (global.get $g) (i32.load8_s (i32.const 100)) (memory.grow (i32.const 1)))
  (func (export "bulk") (param i32 i32) (result i32)
    (memory.fill (local.get 0) (i32.const 7) (local.get 1))
    (memory.copy (i32.const 10) (local.get 0) (local.get 1))
    (i32.load (i32.const 10)))
  (func $deep (export "deep") (param i32) (result i32)
    (i32.add (i32.const 1) (call $deep (local.get 0))))
)"#;

#[test]
fn calls_tables_memory_and_traps_agree_with_the_interpreter() {
    agree(CONTROL, "fib", &[vec![Val::I32(0)], vec![Val::I32(15)]]);
    agree(CONTROL, "sum", &[vec![Val::I32(1000)], vec![Val::I32(0)]]);
    let ind: Vec<Vec<Val>> = (0..6).map(|i| vec![Val::I32(i), Val::I32(10)]).collect();
    agree(CONTROL, "indirect", &ind);
    agree(CONTROL, "switch", &(-1..5).map(|i| vec![Val::I32(i)]).collect::<Vec<_>>());
    let mem = [(0, 1i64), (65528, 2), (65533, 3), (-1, 4), (200000, 5)];
    agree(CONTROL, "mem", &mem.iter().map(|&(a, v)| vec![Val::I32(a), Val::I64(v)]).collect::<Vec<_>>());
    agree(CONTROL, "bulk", &[vec![Val::I32(0), Val::I32(16)], vec![Val::I32(65530), Val::I32(16)]]);
}

#[test]
fn deep_recursion_is_a_stack_overflow_trap() {
    for e in engines(&EngineConfig::default()) {
        let mut i = inst(e.as_ref(), CONTROL);
        assert_eq!(i.call("deep", &[Val::I32(1)]), Err(Error::Trap(Trap::StackOverflow)), "{}", e.name());
        // The instance still works afterwards.
        assert_eq!(i.call("fib", &[Val::I32(10)]), Ok(vec![Val::I32(55)]), "{}", e.name());
    }
}

#[test]
fn fuel_runs_out_in_compiled_loops_and_calls() {
    let config = EngineConfig { fuel: Some(500), ..EngineConfig::default() };
    for e in engines(&config) {
        let mut i = inst(e.as_ref(), CONTROL);
        assert_eq!(i.call("sum", &[Val::I32(10)]), Ok(vec![Val::I32(55)]), "{}", e.name());
        assert_eq!(i.call("sum", &[Val::I32(100_000)]), Err(Error::Trap(Trap::OutOfFuel)), "{}", e.name());
        assert_eq!(i.call("fib", &[Val::I32(20)]), Err(Error::Trap(Trap::OutOfFuel)), "{}", e.name());
    }
}

#[test]
fn host_functions_are_called_from_compiled_code() {
    let wat = r#"(module (import "h" "f" (func $f (param i32) (result i32)))
      (func (export "run") (param i32) (result i32) (i32.mul (call $f (local.get 0)) (i32.const 3))))"#;
    for e in engines(&EngineConfig::default()) {
        let wasm = wat::parse_str(wat).unwrap();
        let m = e.compile(&wasm).unwrap();
        let mut imports = Imports::default();
        let ty = FuncType::new([ValType::I32], [ValType::I32]);
        imports.define(
            "h",
            "f",
            Import::Func(HostFunc::new(ty, |a: &[Val]| match a[0] {
                Val::I32(x) => Ok(vec![Val::I32(x + 1)]),
                _ => Err(Trap::HostError),
            })),
        );
        let mut i = e.new_store().instantiate(m.as_ref(), &imports).unwrap();
        for _ in 0..5 {
            assert_eq!(i.call("run", &[Val::I32(4)]), Ok(vec![Val::I32(15)]), "{}", e.name());
        }
    }
}

#[test]
fn the_tiered_engine_tiers_up_and_enters_loops_by_osr() {
    let config = EngineConfig { tier_calls: Some(3), tier_loops: Some(50), ..EngineConfig::default() };
    let e = TieredEngine::new(&config);
    let mut i = inst(&e, CONTROL);
    // One long call: the loop moves to compiled code while it runs.
    assert_eq!(i.call("sum", &[Val::I32(10_000)]), Ok(vec![Val::I32(50_005_000)]));
    assert_eq!(e.stats().osr_entries.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(e.stats().tier_ups.load(std::sync::atomic::Ordering::Relaxed), 1);
    assert_eq!(i.call("fib", &[Val::I32(12)]), Ok(vec![Val::I32(144)]));
    assert_eq!(e.stats().tier_ups.load(std::sync::atomic::Ordering::Relaxed), 2);
    let counters = e.counters();
    assert!(counters.contains(&("tier-ups", 2)), "{counters:?}");
}

#[test]
fn generated_code_reports_its_size_and_the_interpreter_none() {
    let wasm = wat::parse_str(CONTROL).unwrap();
    let config = EngineConfig::default();
    assert_eq!(wasmlab_interp::InterpEngine::new(&config).compile(&wasm).unwrap().code_bytes(), None);
    let n = RegjitEngine::new(&config).compile(&wasm).unwrap().code_bytes().unwrap();
    assert!(n > 200, "{n}");
}

#[test]
fn simd_is_an_unsupported_feature() {
    let wasm = wat::parse_str("(module (func (result v128) (v128.const i64x2 1 2)))").unwrap();
    for e in engines(&EngineConfig::default()) {
        let err = e.compile(&wasm).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("simd") || err.contains("SIMD"), "{}: {err}", e.name());
    }
}

#[test]
fn the_generated_code_is_what_runs() {
    // A planted code-generator fault shows in results: the calls run the
    // generated code, not the interpreter behind it.
    let config = EngineConfig::default();
    let e = RegjitEngine::with_fault(&config, Some(wasmlab_regjit::Fault::I32AddXorLowByte), "faulty");
    let mut i =
        inst(&e, "(module (func (export \"f\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))");
    assert_eq!(i.call("f", &[Val::I32(0x50), Val::I32(0x0a)]), Ok(vec![Val::I32(0x5b)]));
    assert_eq!(i.call("f", &[Val::I32(0x50), Val::I32(0x0b)]), Ok(vec![Val::I32(0x5b)]));
}

#[test]
fn a_function_too_large_to_compile_is_a_resource_limit_and_tiered_keeps_interpreting() {
    let config = EngineConfig { tier_calls: Some(1), ..EngineConfig::default() };
    let wasm = wat::parse_str(CONTROL).unwrap();
    let e = RegjitEngine::new(&config).with_max_instrs(3);
    assert!(matches!(e.compile(&wasm).err(), Some(Error::ResourceLimit(_))));
    let t = TieredEngine::new(&config).with_max_instrs(3);
    let mut i = t.instantiate_fresh(&wasm).unwrap();
    assert_eq!(i.call("fib", &[Val::I32(15)]), Ok(vec![Val::I32(610)]));
    assert_eq!(i.call("fib", &[Val::I32(15)]), Ok(vec![Val::I32(610)]));
    assert!(t.stats().refused.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    assert_eq!(t.stats().tier_ups.load(std::sync::atomic::Ordering::Relaxed), 0);
}

#[test]
fn no_page_is_writable_and_executable_while_generated_code_runs() {
    // A host function called from generated code looks at the mappings.
    let wat = r#"(module (import "h" "maps" (func $m (result i32)))
      (func (export "run") (result i32) (i32.add (call $m) (i32.const 0))))"#;
    let e = RegjitEngine::new(&EngineConfig::default());
    let m = e.compile(&wat::parse_str(wat).unwrap()).unwrap();
    let mut imports = Imports::default();
    imports.define(
        "h",
        "maps",
        Import::Func(HostFunc::new(FuncType::new([], [ValType::I32]), |_| {
            let maps = wasmlab_native::maps::current();
            let rwx = maps.iter().filter(|m| m.writable_and_executable()).count() as i32;
            Ok(vec![Val::I32(if maps.is_empty() { -1 } else { rwx })])
        })),
    );
    let mut i = e.new_store().instantiate(m.as_ref(), &imports).unwrap();
    assert_eq!(i.call("run", &[]), Ok(vec![Val::I32(0)]), "rwx mappings (or none readable: -1)");
}
