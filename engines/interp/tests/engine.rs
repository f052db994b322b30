//! The interp engine through the contract: limits (stack, fuel), counters,
//! linking across instances and to host functions, errors.

use wasmlab_contract::{
    Engine, EngineConfig, Error, FuncType, HostFunc, Import, Imports, Instance, Trap, Val, ValType,
};
use wasmlab_interp::{InterpEngine, InterpInstance};
use wasmlab_runtime::{ExecState, trap_code};

fn engine() -> InterpEngine {
    InterpEngine::new(&EngineConfig::default())
}

fn inst(wat: &str) -> Box<dyn Instance> {
    engine().instantiate_fresh(&wat::parse_str(wat).unwrap()).unwrap()
}

#[test]
fn unbounded_recursion_is_a_stack_overflow_trap() {
    let mut i = inst(
        r#"(module
             (func $r (export "r") (param i64) (result i64) (call $r (i64.add (local.get 0) (i64.const 1))))
             (func $big (export "big") (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64) (call $big)))"#,
    );
    assert_eq!(i.call("r", &[Val::I64(0)]), Err(Error::Trap(Trap::StackOverflow)));
    assert_eq!(i.call("big", &[]), Err(Error::Trap(Trap::StackOverflow)));
    // The instance stays usable after the trap.
    assert_eq!(i.call("r", &[Val::I64(0)]), Err(Error::Trap(Trap::StackOverflow)));
}

#[test]
fn deep_but_bounded_recursion_works() {
    let mut i = inst(
        r#"(module (func $d (export "d") (param i32) (result i32)
             (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
               (else (i32.add (i32.const 1) (call $d (i32.sub (local.get 0) (i32.const 1))))))))"#,
    );
    assert_eq!(i.call("d", &[Val::I32(20_000)]), Ok(vec![Val::I32(20_000)]));
}

#[test]
fn fuel_bounds_loops_and_is_per_call() {
    let wasm = wat::parse_str(
        r#"(module (func (export "spin") (param i32) (result i32)
             (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
             (local.get 0)))"#,
    )
    .unwrap();
    let e = InterpEngine::new(&EngineConfig { fuel: Some(1000), ..EngineConfig::default() });
    let mut i = e.instantiate_fresh(&wasm).unwrap();
    assert_eq!(i.call("spin", &[Val::I32(100)]), Ok(vec![Val::I32(0)]));
    assert_eq!(i.call("spin", &[Val::I32(100)]), Ok(vec![Val::I32(0)]), "fuel is per call");
    assert_eq!(i.call("spin", &[Val::I32(5000)]), Err(Error::Trap(Trap::OutOfFuel)));
}

#[test]
fn call_and_back_edge_counters_count() {
    let wasm = wat::parse_str(
        r#"(module
             (func $leaf (param i32) (result i32) (local.get 0))
             (func (export "run") (param i32) (local i32)
               (loop $l
                 (drop (call $leaf (local.get 1)))
                 (br_if $l (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (local.get 0))))))"#,
    )
    .unwrap();
    let e = engine();
    let m = e.compile(&wasm).unwrap();
    let mut typed = e.store().instantiate_typed(m.as_ref(), &Imports::new()).unwrap();
    typed.call("run", &[Val::I32(10)]).unwrap();
    assert_eq!(typed.call_counts(), &[10, 1]);
    assert_eq!(typed.loop_counts(), &[0, 9]);
}

#[test]
fn host_functions_receive_and_return_values() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "add" (func $add (param i32 f64) (result f64)))
             (import "env" "fail" (func $fail))
             (func (export "go") (result f64) (call $add (i32.const 2) (f64.const 0.5)))
             (func (export "fail") (call $fail)))"#,
    )
    .unwrap();
    let mut imports = Imports::new();
    imports.define(
        "env",
        "add",
        Import::Func(HostFunc::new(FuncType::new([ValType::I32, ValType::F64], [ValType::F64]), |args| match args {
            [Val::I32(a), Val::F64(b)] => Ok(vec![Val::F64((*a as f64 + f64::from_bits(*b)).to_bits())]),
            _ => Err(Trap::HostError),
        })),
    );
    imports.define("env", "fail", Import::Func(HostFunc::new(FuncType::default(), |_| Err(Trap::HostError))));
    let e = engine();
    let m = e.compile(&wasm).unwrap();
    let mut i = e.new_store().instantiate(m.as_ref(), &imports).unwrap();
    assert_eq!(i.call("go", &[]), Ok(vec![Val::F64(2.5f64.to_bits())]));
    assert_eq!(i.call("fail", &[]), Err(Error::Trap(Trap::HostError)));
}

#[test]
fn instances_link_and_share_memory_growth() {
    let e = engine();
    let mut store = e.new_store();
    let a = e
        .compile(
            &wat::parse_str(
                r#"(module (memory (export "mem") 1 4)
                 (func (export "grow") (result i32) (memory.grow (i32.const 1)))
                 (func (export "size") (result i32) (memory.size)))"#,
            )
            .unwrap(),
        )
        .unwrap();
    let mut ia = store.instantiate(a.as_ref(), &Imports::new()).unwrap();
    let mut imports = Imports::new();
    imports.define("a", "mem", Import::Extern(ia.export("mem").unwrap()));
    imports.define("a", "grow", Import::Extern(ia.export("grow").unwrap()));
    let b = e
        .compile(
            &wat::parse_str(
                r#"(module (import "a" "mem" (memory 1)) (import "a" "grow" (func $grow (result i32)))
                 (func (export "poke") (result i32)
                   (drop (call $grow))
                   ;; the page added by the other instance is visible here
                   (i32.store (i32.const 70000) (i32.const 77))
                   (i32.load (i32.const 70000))))"#,
            )
            .unwrap(),
        )
        .unwrap();
    let mut ib = store.instantiate(b.as_ref(), &imports).unwrap();
    assert_eq!(ib.call("poke", &[]), Ok(vec![Val::I32(77)]));
    assert_eq!(ia.call("size", &[]), Ok(vec![Val::I32(2)]));
    assert_eq!(ia.memory("mem").unwrap()[70000], 77);
}

#[test]
fn start_function_trap_fails_instantiation_but_effects_stay() {
    let e = engine();
    let mut store = e.new_store();
    let a = e.compile(&wat::parse_str(r#"(module (memory (export "mem") 1))"#).unwrap()).unwrap();
    let mut ia = store.instantiate(a.as_ref(), &Imports::new()).unwrap();
    let mut imports = Imports::new();
    imports.define("a", "mem", Import::Extern(ia.export("mem").unwrap()));
    let b = e
        .compile(
            &wat::parse_str(
                r#"(module (import "a" "mem" (memory 1)) (data (i32.const 5) "z")
                 (func $s (i32.store8 (i32.const 6) (i32.const 1)) unreachable) (start $s))"#,
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(store.instantiate(b.as_ref(), &imports).err(), Some(Error::Trap(Trap::Unreachable)));
    let mem = ia.memory("mem").unwrap();
    assert_eq!((mem[5], mem[6]), (b'z', 1));
}

#[test]
fn errors_are_classified() {
    let e = engine();
    let simd = wat::parse_str("(module (func (result v128) (v128.const i64x2 1 2)))").unwrap();
    assert_eq!(e.compile(&simd).err(), Some(Error::Unsupported("simd".into())));
    assert!(matches!(e.compile(b"\0asm\x01\0\0\0\x01"), Err(Error::Invalid(_))));
    let mut i = inst(
        r#"(module (func (export "f") (param i32) (result i32) (local.get 0)) (global (export "g") i32 (i32.const 1)))"#,
    );
    assert!(matches!(i.call("nope", &[]), Err(Error::Usage(_))));
    assert!(matches!(i.call("g", &[]), Err(Error::Usage(_))));
    assert!(matches!(i.call("f", &[Val::I64(1)]), Err(Error::Usage(_))));
    assert!(matches!(i.call("f", &[]), Err(Error::Usage(_))));
    assert_eq!(i.global("g"), Some(Val::I32(1)));
    assert_eq!(i.global("f"), None);
}

#[test]
fn arithmetic_edge_cases() {
    let mut i = inst(
        r#"(module
             (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
             (func (export "rem") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
             (func (export "min") (param f32 f32) (result f32) (f32.min (local.get 0) (local.get 1)))
             (func (export "nearest") (param f64) (result f64) (f64.nearest (local.get 0)))
             (func (export "trunc") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
             (func (export "sat") (param f64) (result i32) (i32.trunc_sat_f64_u (local.get 0)))
             (func (export "load") (param i32) (result i32) (i32.load offset=4294967295 (local.get 0)))
             (memory 1))"#,
    );
    assert_eq!(i.call("div", &[Val::I32(i32::MIN), Val::I32(-1)]), Err(Error::Trap(Trap::IntegerOverflow)));
    assert_eq!(i.call("div", &[Val::I32(1), Val::I32(0)]), Err(Error::Trap(Trap::IntegerDivisionByZero)));
    assert_eq!(i.call("div", &[Val::I32(-7), Val::I32(2)]), Ok(vec![Val::I32(-3)]));
    assert_eq!(i.call("rem", &[Val::I32(i32::MIN), Val::I32(-1)]), Ok(vec![Val::I32(0)]));
    let neg0 = (-0.0f32).to_bits();
    assert_eq!(i.call("min", &[Val::F32(0), Val::F32(neg0)]), Ok(vec![Val::F32(neg0)]));
    assert!(i.call("min", &[Val::F32(f32::NAN.to_bits()), Val::F32(0)]).unwrap()[0].is_nan());
    assert_eq!(i.call("nearest", &[Val::F64(2.5f64.to_bits())]), Ok(vec![Val::F64(2.0f64.to_bits())]));
    assert_eq!(i.call("nearest", &[Val::F64((-3.5f64).to_bits())]), Ok(vec![Val::F64((-4.0f64).to_bits())]));
    assert_eq!(i.call("trunc", &[Val::F64(f64::NAN.to_bits())]), Err(Error::Trap(Trap::BadConversionToInteger)));
    assert_eq!(i.call("trunc", &[Val::F64(2147483648.0f64.to_bits())]), Err(Error::Trap(Trap::IntegerOverflow)));
    assert_eq!(i.call("trunc", &[Val::F64((-2147483648.9f64).to_bits())]), Ok(vec![Val::I32(i32::MIN)]));
    assert_eq!(i.call("sat", &[Val::F64((-5.0f64).to_bits())]), Ok(vec![Val::I32(0)]));
    assert_eq!(i.call("sat", &[Val::F64(1e12f64.to_bits())]), Ok(vec![Val::I32(-1)]));
    // The effective address is computed in 64 bits: no wrap-around.
    assert_eq!(i.call("load", &[Val::I32(1)]), Err(Error::Trap(Trap::MemoryOutOfBounds)));
}

/// A host function that runs `f` on the store's execution state, the way
/// compiled code will (it reads and writes the same fields).
fn exec_host(
    exec: *mut ExecState,
    ty: FuncType,
    f: impl Fn(&mut ExecState) -> Vec<Val> + Send + Sync + 'static,
) -> Import {
    let exec = exec as usize;
    // SAFETY: the host function only runs inside a call on its store, whose
    // execution state is alive and not otherwise borrowed meanwhile.
    Import::Func(HostFunc::new(ty, move |_| Ok(f(unsafe { &mut *(exec as *mut ExecState) }))))
}

#[test]
fn a_trap_recorded_in_the_exec_state_surfaces_as_that_trap() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "h" (func $h (param i32)))
             (func (export "go") (param i32) (result i32) (call $h (local.get 0)) (i32.const 7)))"#,
    )
    .unwrap();
    let e = engine();
    let m = e.compile(&wasm).unwrap();
    let mut store = e.store();
    let exec = store.exec_state();
    // Records the trap whose code is the argument, and returns normally.
    let code = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let c = code.clone();
    let mut imports = Imports::new();
    imports.define(
        "env",
        "h",
        exec_host(exec, FuncType::new([ValType::I32], []), move |st| {
            st.trap = c.load(std::sync::atomic::Ordering::Relaxed);
            vec![]
        }),
    );
    let mut i = store.instantiate_typed(m.as_ref(), &imports).unwrap();
    for t in Trap::ALL {
        code.store(trap_code(t), std::sync::atomic::Ordering::Relaxed);
        assert_eq!(i.call("go", &[Val::I32(0)]), Err(Error::Trap(t)));
        assert_eq!(unsafe { (*exec).trap }, 0, "the slot is cleared once taken");
    }
    code.store(0, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(i.call("go", &[Val::I32(0)]), Ok(vec![Val::I32(7)]));
    // A code that names no trap is never mistaken for one.
    code.store(999, std::sync::atomic::Ordering::Relaxed);
    assert!(matches!(i.call("go", &[Val::I32(0)]), Err(Error::Internal(_))));
}

/// `b.run(n)` calls `a.spin(n)` in the other instance, which loops `n`
/// times; both run on one store with `fuel`. Returns the instance of `b`
/// and the store's execution state.
fn two_instances(fuel: u64) -> (InterpInstance, *mut ExecState) {
    let e = InterpEngine::new(&EngineConfig { fuel: Some(fuel), ..EngineConfig::default() });
    let a = e
        .compile(
            &wat::parse_str(
                r#"(module (func (export "spin") (param i32)
                     (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))))"#,
            )
            .unwrap(),
        )
        .unwrap();
    let b = e
        .compile(
            &wat::parse_str(
                r#"(module (import "a" "spin" (func $spin (param i32)))
                     (func (export "run") (param i32) (call $spin (local.get 0)) (call $spin (local.get 0))))"#,
            )
            .unwrap(),
        )
        .unwrap();
    let mut store = e.store();
    let exec = store.exec_state();
    let mut ia = store.instantiate_typed(a.as_ref(), &Imports::new()).unwrap();
    let mut imports = Imports::new();
    imports.define("a", "spin", Import::Extern(ia.export("spin").unwrap()));
    (store.instantiate_typed(b.as_ref(), &imports).unwrap(), exec)
}

#[test]
fn fuel_is_one_budget_in_the_exec_state_across_instances() {
    const PLENTY: u64 = 1_000_000;
    let (mut i, exec) = two_instances(PLENTY);
    i.call("run", &[Val::I32(100)]).unwrap();
    let used = PLENTY - unsafe { (*exec).fuel } as u64;
    // Two calls into the other instance of 100 iterations each, plus entry.
    assert!(used > 200, "{used}");
    let (mut i, exec) = two_instances(used);
    assert_eq!(i.call("run", &[Val::I32(100)]), Ok(vec![]));
    assert_eq!(unsafe { (*exec).fuel }, 0, "exactly the budget was used");
    let (mut i, _) = two_instances(used - 1);
    assert_eq!(i.call("run", &[Val::I32(100)]), Err(Error::Trap(Trap::OutOfFuel)));
}

#[test]
fn fuel_used_outside_the_interpreter_counts() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "burn" (func $burn))
             (func (export "go") (param i32) (result i32)
               (call $burn)
               (loop $l (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
               (local.get 0)))"#,
    )
    .unwrap();
    let e = InterpEngine::new(&EngineConfig { fuel: Some(1000), ..EngineConfig::default() });
    let m = e.compile(&wasm).unwrap();
    let mut store = e.store();
    let exec = store.exec_state();
    let mut imports = Imports::new();
    imports.define(
        "env",
        "burn",
        exec_host(exec, FuncType::default(), |st| {
            st.fuel -= 990;
            vec![]
        }),
    );
    let mut i = store.instantiate_typed(m.as_ref(), &imports).unwrap();
    // 100 iterations fit in 1000 steps, not in the 10 the host left.
    assert_eq!(i.call("go", &[Val::I32(100)]), Err(Error::Trap(Trap::OutOfFuel)));
    assert_eq!(i.call("go", &[Val::I32(5)]), Ok(vec![Val::I32(0)]));
}

#[test]
fn depth_is_live_and_returns_to_zero_after_a_trap() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "depth" (func $depth (result i32)))
             (func $down (export "down") (param i32) (result i32)
               (if (result i32) (i32.eqz (local.get 0)) (then (call $depth))
                 (else (call $down (i32.sub (local.get 0) (i32.const 1))))))
             (func $r (export "r") (call $r))
             (func $t (export "t") (param i32)
               (if (i32.eqz (local.get 0)) (then unreachable))
               (call $t (i32.sub (local.get 0) (i32.const 1)))))"#,
    )
    .unwrap();
    let e = engine();
    let m = e.compile(&wasm).unwrap();
    let mut store = e.store();
    let exec = store.exec_state();
    let mut imports = Imports::new();
    imports.define(
        "env",
        "depth",
        exec_host(exec, FuncType::new([], [ValType::I32]), |st| vec![Val::I32(st.depth as i32)]),
    );
    let mut i = store.instantiate_typed(m.as_ref(), &imports).unwrap();
    // `down(n)` runs the host function n + 1 wasm frames deep.
    assert_eq!(i.call("down", &[Val::I32(4)]), Ok(vec![Val::I32(5)]));
    assert_eq!(unsafe { (*exec).depth }, 0);
    assert_eq!(i.call("t", &[Val::I32(100)]), Err(Error::Trap(Trap::Unreachable)));
    assert_eq!(unsafe { (*exec).depth }, 0);
    assert_eq!(i.call("r", &[]), Err(Error::Trap(Trap::StackOverflow)));
    assert_eq!(unsafe { (*exec).depth }, 0);
    assert_eq!(i.call("down", &[Val::I32(1000)]), Ok(vec![Val::I32(1001)]));
}

#[test]
fn host_functions_pass_function_references_by_handle() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "id" (func $id (param funcref) (result funcref)))
             (import "env" "forge" (func $forge (result funcref)))
             (func $f (export "f") (result i32) (i32.const 42))
             (table 1 funcref)
             (elem declare func $f)
             (func (export "f_ref") (result funcref) (ref.func $f))
             (func (export "round_trip") (result i32)
               (table.set (i32.const 0) (call $id (ref.func $f)))
               (call_indirect (result i32) (i32.const 0)))
             (func (export "forge") (result funcref) (call $forge)))"#,
    )
    .unwrap();
    let mut imports = Imports::new();
    imports.define(
        "env",
        "id",
        Import::Func(HostFunc::new(FuncType::new([ValType::FuncRef], [ValType::FuncRef]), |args| Ok(args.to_vec()))),
    );
    imports.define(
        "env",
        "forge",
        Import::Func(HostFunc::new(FuncType::new([], [ValType::FuncRef]), |_| Ok(vec![Val::FuncRef(Some(1 << 30))]))),
    );
    let e = engine();
    let m = e.compile(&wasm).unwrap();
    let mut i = e.new_store().instantiate(m.as_ref(), &imports).unwrap();
    // The host sees the handle the embedder sees, and may hand it back.
    let f = i.call("f_ref", &[]).unwrap();
    assert!(matches!(f[..], [Val::FuncRef(Some(_))]));
    assert_eq!(i.call("round_trip", &[]), Ok(vec![Val::I32(42)]));
    // A handle that is no function of the store is the host's error.
    assert_eq!(i.call("forge", &[]), Err(Error::Trap(Trap::HostError)));
}

#[test]
fn memories_up_to_4_gib_instantiate_and_the_cap_is_configurable() {
    let wasm = wat::parse_str(
        r#"(module (memory (export "m") 65535)
             (func (export "poke") (param i32 i32) local.get 0 local.get 1 i32.store8)
             (func (export "grow") (param i32) (result i32) local.get 0 memory.grow))"#,
    )
    .unwrap();
    let e = InterpEngine::new(&EngineConfig::default());
    let mut i = e.instantiate_fresh(&wasm).unwrap();
    i.call("poke", &[Val::I32(-1 - 65536), Val::I32(9)]).unwrap();
    assert_eq!(i.call("grow", &[Val::I32(1)]), Ok(vec![Val::I32(65535)]));
    i.call("poke", &[Val::I32(-1), Val::I32(7)]).unwrap();
    assert_eq!(i.call("grow", &[Val::I32(1)]), Ok(vec![Val::I32(-1)]), "the wasm32 limit");

    let capped = InterpEngine::new(&EngineConfig { memory_cap_pages: Some(100), ..EngineConfig::default() });
    assert!(matches!(capped.instantiate_fresh(&wasm).err(), Some(Error::ResourceLimit(_))));
    let small =
        wat::parse_str(r#"(module (memory 100) (func (export "grow") (result i32) i32.const 1 memory.grow))"#).unwrap();
    let mut i = capped.instantiate_fresh(&small).unwrap();
    assert_eq!(i.call("grow", &[]), Ok(vec![Val::I32(-1)]), "growth past the cap fails");
}
