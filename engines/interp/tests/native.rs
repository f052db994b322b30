//! The interpreter with native code attached, as a JIT attaches it: entries
//! installed with `Code::set_native` run instead of the interpreted body
//! (from the host, from interpreted callers, through tables), a `TierUp`
//! hook is asked at the thresholds and its code then runs (by call, or by
//! on-stack replacement in a running loop), native code calls back into
//! interpreted and host functions through `native_calls`, traps and panics
//! come back as they should, and the value stack never moves.
//!
//! The native functions are assembled by hand, following the calling
//! convention of `wasmlab_native` (`rdi` = VM context, `rsi` = frame,
//! status in `eax`).

use std::sync::{Arc, Mutex};

use iced_x86::code_asm::*;
use wasmlab_contract::{Engine, EngineConfig};
use wasmlab_contract::{Error, FuncType, HostFunc, Import, Imports, Module, Trap, Val, ValType};
use wasmlab_interp::exec::{MAX_SLOTS, native_calls};
use wasmlab_interp::{InterpEngine, InterpInstance, InterpModule, InterpStore};
use wasmlab_native::{CodeBuffer, ExecutableCode};
use wasmlab_runtime::{ExecState, Osr, TierUp, Tiering, VmCtx, trap_code};

type Asm = CodeAssembler;

/// Assembles at the buffer's final address and publishes.
fn assemble(build: impl FnOnce(&mut Asm) -> Result<(), IcedError>) -> Arc<ExecutableCode> {
    let mut a = CodeAssembler::new(64).unwrap();
    build(&mut a).unwrap();
    let mut buf = CodeBuffer::new(4096).unwrap();
    let bytes = a.assemble(buf.base() as u64).unwrap();
    buf.push(&bytes).unwrap();
    Arc::new(buf.publish().unwrap())
}

fn entry(code: &ExecutableCode) -> usize {
    code.base() as usize
}

/// The prologue of a compiled function: counts its call (defined function
/// `func`), as generated code does.
fn count_call(a: &mut Asm, func: u32) -> Result<(), IcedError> {
    a.mov(rax, qword_ptr(rdi + VmCtx::CALL_COUNTS))?;
    a.add(dword_ptr(rax + 4 * func), 1)
}

/// Records `trap` and returns its code.
fn raise(a: &mut Asm, trap: Trap) -> Result<(), IcedError> {
    let code = trap_code(trap);
    a.mov(rax, qword_ptr(rdi + VmCtx::EXEC))?;
    a.mov(dword_ptr(rax + ExecState::TRAP), code)?;
    a.mov(eax, code)?;
    a.ret()
}

/// `(i32, i32) -> i32`: the product, where the wasm body adds (defined
/// function `func`).
fn mul(func: u32) -> Arc<ExecutableCode> {
    assemble(|a| {
        count_call(a, func)?;
        a.mov(eax, dword_ptr(rsi))?;
        a.imul_2(eax, dword_ptr(rsi + 8))?;
        a.mov(qword_ptr(rsi), rax)?;
        a.xor(eax, eax)?;
        a.ret()
    })
}

/// What compiled code calls to leave native code.
#[derive(Clone, Copy)]
enum Callee {
    /// `native_calls::call_ref` of the function at this index of the
    /// function index space.
    Ref(u32),
    /// `native_calls::call_defined` of this defined function.
    Defined(u32),
}

/// `(i32) -> i32` of defined function `func`: calls `callee` with its own
/// frame (argument in slot 0) and returns the callee's result plus one; a
/// trap status passes through. Checks the stack limit first, as every
/// compiled function that calls does.
fn call_then_inc(func: u32, callee: Callee) -> Arc<ExecutableCode> {
    assemble(|a| {
        let mut overflow = a.create_label();
        let mut done = a.create_label();
        a.mov(rax, qword_ptr(rdi + VmCtx::EXEC))?;
        a.cmp(rsp, qword_ptr(rax + ExecState::STACK_LIMIT))?;
        a.jb(overflow)?;
        count_call(a, func)?;
        // rsp is 8 mod 16 on entry: one push aligns the call.
        a.push(rbx)?;
        a.mov(rbx, rsi)?;
        a.mov(rdx, rsi)?;
        match callee {
            Callee::Ref(f) => {
                a.mov(rax, qword_ptr(rdi + VmCtx::FUNCS))?;
                a.mov(rsi, qword_ptr(rax + 8 * f))?;
                a.mov(rax, native_calls::call_ref as *const () as u64)?;
            }
            Callee::Defined(f) => {
                a.mov(esi, f)?;
                a.mov(rax, native_calls::call_defined as *const () as u64)?;
            }
        }
        a.call(rax)?;
        a.test(eax, eax)?;
        a.jnz(done)?;
        a.mov(eax, dword_ptr(rbx))?;
        a.add(eax, 1)?;
        a.mov(qword_ptr(rbx), rax)?;
        a.xor(eax, eax)?;
        a.set_label(&mut done)?;
        a.pop(rbx)?;
        a.ret()?;
        a.set_label(&mut overflow)?;
        raise(a, Trap::StackOverflow)
    })
}

fn engine() -> InterpEngine {
    InterpEngine::new(&EngineConfig::default())
}

/// The module of `wat`, built from its parts as a JIT builds it.
fn module(wat: &str) -> InterpModule {
    let (info, funcs) = engine().compile_parts(&wat::parse_str(wat).unwrap()).unwrap();
    InterpModule::new(info, &funcs)
}

fn instance(store: &mut InterpStore, m: &InterpModule, imports: &Imports) -> InterpInstance {
    store.instantiate_typed(m, imports).unwrap()
}

fn call(i: &mut InterpInstance, name: &str, args: &[Val]) -> Result<Vec<Val>, Error> {
    wasmlab_contract::Instance::call(i, name, args)
}

fn i32s(v: i32) -> Result<Vec<Val>, Error> {
    Ok(vec![Val::I32(v)])
}

const ADD: &str = r#"(module
  (func $f (export "f") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "g") (param i32) (result i32) (i32.add (call $f (local.get 0) (i32.const 10)) (i32.const 1)))
  (table 1 funcref) (elem (i32.const 0) $f)
  (func (export "h") (param i32) (result i32)
    (call_indirect (param i32 i32) (result i32) (local.get 0) (i32.const 3) (i32.const 0))))"#;

#[test]
fn an_installed_native_entry_runs_instead_of_the_interpreted_body() {
    let e = engine();
    let plain = e.compile(&wat::parse_str(ADD).unwrap()).unwrap();
    assert_eq!(plain.code_bytes(), None, "the plain interpreter generates no code");

    let m = module(ADD);
    let mut store = e.store();
    let mut i = instance(&mut store, &m, &Imports::new());
    assert_eq!(call(&mut i, "f", &[Val::I32(6), Val::I32(7)]), i32s(13));
    assert_eq!(call(&mut i, "g", &[Val::I32(5)]), i32s(16));

    let code = mul(0);
    m.code().keep(code.clone());
    m.code().set_native(0, entry(&code));
    assert_eq!(m.code().native(0), entry(&code));
    assert_eq!(m.code_bytes(), Some(0), "a JIT attached, no bytes counted yet");
    m.code().add_native_bytes(code.len());
    assert_eq!(m.code_bytes(), Some(code.len()));

    // From the host, from an interpreted caller, through a table.
    assert_eq!(call(&mut i, "f", &[Val::I32(6), Val::I32(7)]), i32s(42));
    assert_eq!(call(&mut i, "g", &[Val::I32(5)]), i32s(51));
    assert_eq!(call(&mut i, "h", &[Val::I32(5)]), i32s(15));
    // Instances made later see the entry too.
    let mut j = instance(&mut store, &m, &Imports::new());
    assert_eq!(call(&mut j, "g", &[Val::I32(2)]), i32s(21));
    // Every call counted once: two interpreted and three native calls of
    // `f` (the native code counts its own).
    assert_eq!(i.call_counts(), &[5, 2, 1]);
    assert_eq!(j.call_counts(), &[1, 1, 0]);

    // Back to the interpreter.
    m.code().set_native(0, 0);
    assert_eq!(call(&mut i, "g", &[Val::I32(5)]), i32s(16));
}

/// A tier-up hook that hands out fixed code for defined function 0 (none
/// for the others) and records what it was asked.
struct FakeJit {
    compiled: Option<Arc<ExecutableCode>>,
    osr: Option<Arc<ExecutableCode>>,
    asked: Mutex<Vec<(&'static str, u32, u32)>>,
}

impl FakeJit {
    fn new(compiled: Option<Arc<ExecutableCode>>, osr: Option<Arc<ExecutableCode>>) -> Arc<FakeJit> {
        Arc::new(FakeJit { compiled, osr, asked: Mutex::new(Vec::new()) })
    }

    fn asked(&self) -> Vec<(&'static str, u32, u32)> {
        self.asked.lock().unwrap().clone()
    }
}

impl TierUp for FakeJit {
    fn compile(&self, func: u32) -> Option<usize> {
        self.asked.lock().unwrap().push(("compile", func, 0));
        self.compiled.as_deref().filter(|_| func == 0).map(entry)
    }

    fn osr_entry(&self, func: u32, pc: u32) -> Osr {
        self.asked.lock().unwrap().push(("osr", func, pc));
        self.osr.as_deref().filter(|_| func == 0).map_or(Osr::No, |c| Osr::Entry(entry(c)))
    }
}

fn tiered(wat: &str, calls: u32, loops: u32, jit: &Arc<FakeJit>) -> InterpModule {
    let m = module(wat);
    m.code().set_tiering(Tiering { calls, loops, hook: jit.clone() });
    m
}

#[test]
fn the_hook_is_asked_at_the_call_threshold_and_its_code_runs_from_that_call() {
    let jit = FakeJit::new(Some(mul(0)), None);
    let m = tiered(ADD, 3, u32::MAX, &jit);
    assert_eq!(m.code_bytes(), Some(0), "tiering attaches a JIT");
    let mut store = engine().store();
    let mut i = instance(&mut store, &m, &Imports::new());
    assert_eq!(call(&mut i, "f", &[Val::I32(6), Val::I32(7)]), i32s(13));
    assert_eq!(call(&mut i, "f", &[Val::I32(6), Val::I32(7)]), i32s(13));
    assert!(jit.asked().is_empty());
    // The third call reaches the threshold: compiled, and run natively.
    assert_eq!(call(&mut i, "f", &[Val::I32(6), Val::I32(7)]), i32s(42));
    assert_eq!(jit.asked(), [("compile", 0, 0)]);
    assert_ne!(m.code().native(0), 0, "installed");
    for _ in 0..3 {
        assert_eq!(call(&mut i, "g", &[Val::I32(5)]), i32s(51));
    }
    // `f` is not asked again; three calls of `g` reach the threshold too
    // (no code for it: its count starts again).
    assert_eq!(jit.asked(), [("compile", 0, 0), ("compile", 1, 0)]);
    assert_eq!(i.call_counts(), &[6, 0, 0], "the tier-up call counted once");

    // From an interpreted caller; a hook that has no code is asked again
    // after every threshold's worth of calls.
    let none = FakeJit::new(None, None);
    let m = tiered(ADD, 2, u32::MAX, &none);
    let mut i = instance(&mut store, &m, &Imports::new());
    for _ in 0..10 {
        assert_eq!(call(&mut i, "g", &[Val::I32(5)]), i32s(16));
    }
    let asked = none.asked();
    assert_eq!(asked.len(), 10, "{asked:?}");
    assert_eq!(asked.iter().filter(|a| a.1 == 0).count(), 5, "{asked:?}");
    assert_eq!(i.call_counts(), &[0, 0, 0]);

    let jit = FakeJit::new(Some(mul(0)), None);
    let m = tiered(ADD, 2, u32::MAX, &jit);
    let mut i = instance(&mut store, &m, &Imports::new());
    assert_eq!(call(&mut i, "g", &[Val::I32(5)]), i32s(16));
    assert_eq!(call(&mut i, "g", &[Val::I32(5)]), i32s(51), "the second call of f runs natively");
    assert_eq!(call(&mut i, "h", &[Val::I32(5)]), i32s(15));
    // g had no code at its threshold: its count started again.
    assert_eq!(i.call_counts(), &[3, 0, 1]);
}

#[test]
fn calls_from_native_code_count_and_tier_up_too() {
    // `a` (native) calls `f` through `call_defined`; `f` tiers up after
    // three calls.
    let wat = r#"(module
      (func $f (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "a") (param i32 i32) (result i32) unreachable))"#;
    let jit = FakeJit::new(Some(mul(0)), None);
    let m = tiered(wat, 3, u32::MAX, &jit);
    let a = call_then_inc(1, Callee::Defined(0));
    m.code().keep(a.clone());
    m.code().set_native(1, entry(&a));
    let mut store = engine().store();
    let mut i = instance(&mut store, &m, &Imports::new());
    let results: Vec<_> = (0..5).map(|_| call(&mut i, "a", &[Val::I32(6), Val::I32(7)])).collect();
    assert_eq!(results, [i32s(14), i32s(14), i32s(43), i32s(43), i32s(43)]);
    assert_eq!(jit.asked(), [("compile", 0, 0)]);
    assert_eq!(i.call_counts(), &[5, 5]);
}

const SPIN: &str = r#"(module
  (func $spin (export "spin") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
    (local.get 1))
  (func (export "outer") (param i32) (result i32) (i32.add (call $spin (local.get 0)) (i32.const 1))))"#;

/// The on-stack-replacement entry of `spin`: returns the loop counter it
/// finds in the frame (register 1) plus a million.
fn spin_osr() -> Arc<ExecutableCode> {
    assemble(|a| {
        a.mov(eax, dword_ptr(rsi + 8))?;
        a.add(eax, 1_000_000)?;
        a.mov(qword_ptr(rsi), rax)?;
        a.xor(eax, eax)?;
        a.ret()
    })
}

#[test]
fn a_long_loop_moves_to_its_osr_entry_and_the_result_comes_from_there() {
    let jit = FakeJit::new(None, Some(spin_osr()));
    let m = tiered(SPIN, u32::MAX, 100, &jit);
    let mut store = engine().store();
    let mut i = instance(&mut store, &m, &Imports::new());
    // The 100th back-edge finds the counter at 100.
    assert_eq!(call(&mut i, "spin", &[Val::I32(1000)]), i32s(1_000_100));
    let asked = jit.asked();
    assert_eq!(asked.len(), 1);
    let (what, func, pc) = asked[0];
    assert_eq!((what, func), ("osr", 0));
    // The pc is a loop header: a later branch of `spin` jumps back to it.
    let (_, funcs) = engine().compile_parts(&wat::parse_str(SPIN).unwrap()).unwrap();
    let back_edge = funcs[0].code.iter().enumerate().any(|(at, instr)| {
        let mut instr = *instr;
        at >= pc as usize && instr.target_mut().is_some_and(|t| *t == pc)
    });
    assert!(back_edge, "pc {pc} is no loop header of {:?}", funcs[0].code);
    // Past the threshold the loop stays interpreted: asked once per crossing.
    assert_eq!(call(&mut i, "spin", &[Val::I32(1000)]), i32s(1000));
    assert_eq!(jit.asked().len(), 1);
    assert_eq!(i.loop_counts()[0], 100 + 999);

    // In a callee, the native return returns to the interpreted caller.
    let mut j = instance(&mut store, &m, &Imports::new());
    assert_eq!(call(&mut j, "outer", &[Val::I32(1000)]), i32s(1_000_101));
    assert_eq!(jit.asked().len(), 2);
    assert_eq!(call(&mut j, "outer", &[Val::I32(50)]), i32s(51));

    // An OSR entry that traps.
    let trapping = FakeJit::new(None, Some(assemble(|a| raise(a, Trap::IntegerOverflow))));
    let m = tiered(SPIN, u32::MAX, 10, &trapping);
    let mut i = instance(&mut store, &m, &Imports::new());
    assert_eq!(call(&mut i, "outer", &[Val::I32(1000)]), Err(Error::Trap(Trap::IntegerOverflow)));
    assert_eq!(call(&mut i, "outer", &[Val::I32(1000)]), i32s(1001));
}

const NESTED: &str = r#"(module
  (import "env" "triple" (func $triple (param i32) (result i32)))
  ;; native: b(n) + 1
  (func $a (export "a") (param i32) (result i32) unreachable)
  (func $b (export "b") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (call $a (i32.sub (local.get 0) (i32.const 1))) (i32.const 10)))))
  ;; native: triple(n) + 1
  (func $c (export "c") (param i32) (result i32) unreachable)
  ;; native: t(n) + 1
  (func $d (export "d") (param i32) (result i32) unreachable)
  (func $t (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
  (func (export "via_table") (param i32) (result i32)
    (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
  (table 1 funcref) (elem (i32.const 0) $c))"#;

/// `NESTED` with its native functions installed, in a fresh store, and the
/// store's execution state.
fn nested() -> (InterpInstance, *mut ExecState) {
    let m = module(NESTED);
    for (func, callee) in [(0, Callee::Ref(2)), (2, Callee::Ref(0)), (3, Callee::Defined(4))] {
        let code = call_then_inc(func, callee);
        m.code().keep(code.clone());
        m.code().set_native(func, entry(&code));
    }
    let mut imports = Imports::new();
    imports.define(
        "env",
        "triple",
        Import::Func(HostFunc::new(FuncType::new([ValType::I32], [ValType::I32]), |args| match args {
            [Val::I32(13)] => Err(Trap::HostError),
            [Val::I32(99)] => panic!("the host gives up"),
            [Val::I32(n)] => Ok(vec![Val::I32(n * 3)]),
            _ => Err(Trap::HostError),
        })),
    );
    let mut store = engine().store();
    let exec = store.exec_state();
    (instance(&mut store, &m, &imports), exec)
}

#[test]
fn native_code_calls_interpreted_functions_nested_to_any_depth() {
    let (mut i, exec) = nested();
    // a(n) = b(n) + 1, b(n) = a(n - 1) + 10: interp -> native -> interp ...
    assert_eq!(call(&mut i, "a", &[Val::I32(0)]), i32s(1));
    assert_eq!(call(&mut i, "b", &[Val::I32(3)]), i32s(33));
    assert_eq!(call(&mut i, "a", &[Val::I32(300)]), i32s(3301));
    assert_eq!(i.call_counts()[..2], [305, 306]);
    // Recursion through both tiers without end stops at the native stack
    // limit, and the store carries on.
    assert_eq!(call(&mut i, "a", &[Val::I32(i32::MAX)]), Err(Error::Trap(Trap::StackOverflow)));
    // SAFETY: no call is running.
    assert_eq!(unsafe { ((*exec).depth, (*exec).trap, (*exec).stack_limit) }, (0, 0, 0));
    assert_eq!(call(&mut i, "b", &[Val::I32(30)]), i32s(330));
}

#[test]
fn native_code_calls_host_functions() {
    let (mut i, exec) = nested();
    assert_eq!(call(&mut i, "c", &[Val::I32(5)]), i32s(16));
    assert_eq!(call(&mut i, "via_table", &[Val::I32(5)]), i32s(16));
    // The host's trap passes through the native caller.
    assert_eq!(call(&mut i, "c", &[Val::I32(13)]), Err(Error::Trap(Trap::HostError)));
    // A panic below native code resumes once out of it, and the store
    // carries on.
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| call(&mut i, "via_table", &[Val::I32(99)])));
    let payload = r.expect_err("the panic comes through");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"the host gives up"));
    // SAFETY: no call is running.
    assert_eq!(unsafe { ((*exec).depth, (*exec).trap) }, (0, 0));
    assert_eq!(call(&mut i, "c", &[Val::I32(5)]), i32s(16));
}

#[test]
fn trap_statuses_from_native_code_come_back_as_their_traps() {
    // From an interpreted callee of native code.
    let (mut i, exec) = nested();
    assert_eq!(call(&mut i, "d", &[Val::I32(1)]), i32s(2));
    assert_eq!(call(&mut i, "d", &[Val::I32(0)]), Err(Error::Trap(Trap::IntegerDivisionByZero)));
    // SAFETY: no call is running.
    assert_eq!(unsafe { ((*exec).depth, (*exec).trap) }, (0, 0));

    // From native code itself, called by the host and by interpreted code.
    for trap in [Trap::Unreachable, Trap::MemoryOutOfBounds, Trap::OutOfFuel, Trap::StackOverflow] {
        let m = module(ADD);
        let code = assemble(|a| raise(a, trap));
        m.code().keep(code.clone());
        m.code().set_native(0, entry(&code));
        let mut store = engine().store();
        let exec = store.exec_state();
        let mut i = instance(&mut store, &m, &Imports::new());
        assert_eq!(call(&mut i, "f", &[Val::I32(1), Val::I32(2)]), Err(Error::Trap(trap)));
        assert_eq!(call(&mut i, "g", &[Val::I32(1)]), Err(Error::Trap(trap)));
        assert_eq!(call(&mut i, "h", &[Val::I32(1)]), Err(Error::Trap(trap)));
        // SAFETY: no call is running.
        assert_eq!(unsafe { ((*exec).depth, (*exec).trap) }, (0, 0));
        m.code().set_native(0, 0);
        assert_eq!(call(&mut i, "g", &[Val::I32(1)]), i32s(12));
    }

    // A status that names no trap is an internal error, never a trap.
    let m = module(ADD);
    let code = assemble(|a| {
        a.mov(eax, 12345)?;
        a.ret()
    });
    m.code().keep(code.clone());
    m.code().set_native(0, entry(&code));
    let mut i = instance(&mut engine().store(), &m, &Imports::new());
    assert!(matches!(call(&mut i, "g", &[Val::I32(1)]), Err(Error::Internal(_))));
}

const ADDR: &str = r#"(module
  ;; native: its frame's address
  (func $addr (export "addr") (result i64) unreachable)
  (func $deep (export "deep") (param i32) (result i64)
    (if (result i64) (i32.eqz (local.get 0)) (then (call $addr))
      (else (call $deep (i32.sub (local.get 0) (i32.const 1)))))))"#;

/// Resident memory of this process, in bytes.
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
fn the_value_stack_never_moves_and_only_touched_pages_are_resident() {
    let m = module(ADDR);
    let code = assemble(|a| {
        a.mov(qword_ptr(rsi), rsi)?;
        a.xor(eax, eax)?;
        a.ret()
    });
    m.code().keep(code.clone());
    m.code().set_native(0, entry(&code));
    let mut store = engine().store();
    let exec = store.exec_state();
    let mut i = instance(&mut store, &m, &Imports::new());
    let addr = |i: &mut InterpInstance, name: &str, args: &[Val]| match call(i, name, args).unwrap()[..] {
        [Val::I64(a)] => a as u64,
        ref other => panic!("{other:?}"),
    };
    let start = addr(&mut i, "addr", &[]);
    // SAFETY: no call is running.
    let end = unsafe { (*exec).slots_end };
    assert_eq!(end - start, (MAX_SLOTS * 8) as u64, "the outermost frame starts the stack");
    // Deep enough to have outgrown any initial stack.
    let deep = addr(&mut i, "deep", &[Val::I32(40_000)]);
    assert!(start < deep && deep < end, "{start:#x} < {deep:#x} < {end:#x}");
    assert_eq!(addr(&mut i, "addr", &[]), start);
    // SAFETY: as above.
    assert_eq!(unsafe { (*exec).slots_end }, end);

    // Stacks are reserved, not committed.
    let before = resident();
    let stores: Vec<_> = (0..16)
        .map(|_| {
            let mut s = engine().store();
            let mut i = instance(&mut s, &m, &Imports::new());
            addr(&mut i, "addr", &[]);
            (s, i)
        })
        .collect();
    let grown = resident().saturating_sub(before);
    assert!(grown < (MAX_SLOTS * 8) as u64, "16 stores made {grown} bytes resident");
    drop(stores);
}

#[test]
fn each_instance_loops_under_its_own_modules_tiering() {
    // A plain module whose loops run around a call into a tiered one.
    let jit = FakeJit::new(None, Some(spin_osr()));
    let m = tiered(SPIN, u32::MAX, 100, &jit);
    let mut store = engine().store();
    let mut a = instance(&mut store, &m, &Imports::new());
    let plain = module(
        r#"(module (import "a" "spin" (func $spin (param i32) (result i32)))
             (func (export "go") (param i32) (result i32) (local i32 i32)
               (loop $before (br_if $before (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 500))))
               (local.set 2 (call $spin (local.get 0)))
               (loop $after (br_if $after (i32.lt_u (local.tee 1 (i32.add (local.get 1) (i32.const 1))) (i32.const 1000))))
               (i32.add (local.get 2) (local.get 1))))"#,
    );
    let mut imports = Imports::new();
    imports.define("a", "spin", Import::Extern(wasmlab_contract::Instance::export(&mut a, "spin").unwrap()));
    let mut b = instance(&mut store, &plain, &imports);
    // 999 back-edges in `go` are never the tiered module's business; the
    // 100th in `spin` is.
    assert_eq!(call(&mut b, "go", &[Val::I32(1000)]), i32s(1_000_100 + 1000));
    assert_eq!(jit.asked().len(), 1);
    assert_eq!(b.loop_counts(), &[998]);

    // A tiered function (another threshold) whose loop runs after a call
    // into the plain module, and from there into the first one, returned.
    let mut imports = Imports::new();
    imports.define("b", "go", Import::Extern(wasmlab_contract::Instance::export(&mut b, "go").unwrap()));
    let jit = FakeJit::new(None, Some(spin_osr()));
    let m = tiered(
        r#"(module (import "b" "go" (func $go (param i32) (result i32)))
             (func (export "t") (param i32) (result i32) (local i32)
               (drop (call $go (i32.const 5)))
               (loop $l
                 (local.set 1 (i32.add (local.get 1) (i32.const 1)))
                 (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
               (local.get 1)))"#,
        u32::MAX,
        50,
        &jit,
    );
    let mut t = instance(&mut store, &m, &imports);
    assert_eq!(call(&mut t, "t", &[Val::I32(1000)]), i32s(1_000_050));
    assert_eq!(jit.asked().len(), 1);
}
