//! The interpreter proper: executes register IR over one value stack of
//! `u64` slots, with an explicit frame stack (no native recursion per wasm
//! call, so call depth is bounded by [`MAX_FRAMES`] and [`MAX_SLOTS`] and
//! exhaustion is `Trap::StackOverflow`).
//!
//! Dispatch is threaded: every instruction carries a pointer to its
//! handler, and in optimized builds each handler ends by tail-calling the
//! next instruction's handler (LLVM turns the call into a jump), so every
//! handler has its own indirect jump. At loop back-edges and calls a
//! handler checks the native stack pointer and, should a chain of handlers
//! ever have grown the native stack (a call the compiler did not turn into
//! a jump), returns to the trampoline loop in [`Vm::run`], which unwinds it.
//! Unoptimized builds (no sibling-call optimization) return to the
//! trampoline after every instruction.
//!
//! Fuel, the trap slot and the call depth are the store's
//! [`ExecState`], read and written in place (the state generated code will
//! share): a handler traps by recording the trap in the slot and returning
//! [`Flow::Trap`], and code outside the dispatch loop (host functions, later
//! compiled code) that returns with the slot set has trapped the same way.
//!
//! Invariants the unsafe register and code accesses rely on (established by
//! the translator and checked at every call):
//! - every register index in a function's code is below its `frame_size`,
//!   and the stack holds at least `base + frame_size` slots for the running
//!   frame;
//! - every branch target is inside the function's code, and every path ends
//!   in a `Return`, `Br*` or trapping instruction (the code never runs off
//!   its end);
//! - indices of functions, globals, tables and segments were validated.

use std::rc::Rc;

use wasmlab_contract::{Error, Trap, Val};
use wasmlab_regir::{Func, Instr};
use wasmlab_runtime::{ExecState, FuncRef, InstanceData, Store, Table, VmCtx, sig, trap_code};

/// Deepest wasm call nesting.
pub const MAX_FRAMES: usize = 50_000;
/// Most value-stack slots (64 MiB).
pub const MAX_SLOTS: usize = 8 << 20;
const INITIAL_SLOTS: usize = 1 << 14;
/// Native stack the chain of handler tail calls may use before it unwinds
/// through the trampoline.
const NATIVE_STACK_BUDGET: usize = 256 << 10;

/// The native stack pointer (an approximation where it cannot be read).
#[inline(always)]
fn native_sp() -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        let sp: usize;
        // SAFETY: reads a register; no memory access.
        unsafe {
            std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let sp: usize;
        // SAFETY: reads a register; no memory access.
        unsafe {
            std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags))
        };
        sp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }
}

/// A handler: executes the instruction at `ip` and continues.
type Handler =
    unsafe fn(ip: *const Op, regs: *mut u64, mem: *mut u8, len: u64, st: *mut State) -> Flow;

/// An instruction with its handler (direct threading).
#[derive(Clone, Copy)]
pub struct Op {
    handler: Handler,
    instr: Instr,
}

/// A function ready to run.
pub struct IFunc {
    code: Vec<Op>,
    frame_size: u32,
    num_params: u32,
    num_locals: u32,
}

/// An interpreter module's code, pointed to by `VmCtx::code`.
pub struct Code {
    pub funcs: Vec<IFunc>,
}

impl Code {
    pub fn new(funcs: Vec<Func>) -> Code {
        Code {
            funcs: funcs
                .into_iter()
                .map(|f| IFunc {
                    code: f
                        .code
                        .iter()
                        .map(|i| Op {
                            handler: handler_for(i),
                            instr: *i,
                        })
                        .collect(),
                    frame_size: f.frame_size,
                    num_params: f.num_params,
                    num_locals: f.num_locals,
                })
                .collect(),
        }
    }
}

#[derive(Clone, Copy)]
struct Frame {
    func: *const IFunc,
    ip: *const Op,
    base: usize,
    vmctx: *mut VmCtx,
    loop_counter: *mut u32,
}

/// Value and frame stacks, reused across calls of one store.
pub struct Vm {
    stack: Vec<u64>,
    frames: Vec<Frame>,
    /// The store's execution state (fuel, trap slot, depth).
    exec: *mut ExecState,
    /// Converts values for host functions (function references are its
    /// pointers).
    store: Rc<Store>,
}

/// The trap slot of the store's [`ExecState`] holds a trap.
struct Trapped;

/// How a handler left.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Flow {
    /// Continue at `State::next` (the trampoline calls its handler).
    Continue,
    /// The outermost function returned.
    Done,
    /// Trapped: the trap slot holds the trap.
    Trap,
}

/// The running state that does not live in handler arguments.
struct State {
    vm: *mut Vm,
    vmctx: *mut VmCtx,
    /// The running function and its code (branch targets are indices).
    func: *const IFunc,
    code: *const Op,
    base: usize,
    /// `Vm::frames` length when the outermost function was entered.
    entry_depth: usize,
    exec: *mut ExecState,
    loop_counter: *mut u32,
    /// Below this native stack address, back-edges and calls unwind
    /// through the trampoline (tail-call dispatch only).
    #[cfg_attr(not(interp_tail_calls), allow(dead_code))]
    sp_limit: usize,
    /// Where the trampoline continues.
    next: *const Op,
    regs: *mut u64,
    mem: *mut u8,
    len: u64,
}

impl Vm {
    /// Stacks for running code of `store`.
    pub fn new(store: Rc<Store>) -> Vm {
        Vm {
            stack: vec![0; INITIAL_SLOTS],
            frames: Vec::new(),
            exec: store.exec(),
            store,
        }
    }

    /// Records `t` in the trap slot.
    #[cold]
    fn trap(&mut self, t: Trap) -> Trapped {
        // SAFETY: the `Vm` holds its store, which owns the execution state.
        unsafe { (*self.exec).trap = trap_code(t) };
        Trapped
    }

    /// Makes `stack[..need]` exist, within [`MAX_SLOTS`].
    #[cold]
    fn grow(&mut self, need: usize) -> Result<(), Trapped> {
        if need > MAX_SLOTS {
            return Err(self.trap(Trap::StackOverflow));
        }
        let len = need.next_power_of_two().min(MAX_SLOTS);
        self.stack.resize(len, 0);
        Ok(())
    }

    /// Calls `f` with raw `args`; the raw results. Fuel is whatever the
    /// store's execution state holds.
    ///
    /// # Safety
    /// `f` must be a function reference of the live store this `Vm` was
    /// made for, whose instances' `VmCtx::code` point to [`Code`] of this
    /// interpreter, and `args` must match its signature.
    pub unsafe fn invoke(&mut self, f: *const FuncRef, args: &[u64]) -> Result<Vec<u64>, Error> {
        let ty = sig::func_type(unsafe { (*f).sig });
        // SAFETY: the `Vm` holds its store, which owns the execution state.
        let depth = unsafe { (*self.exec).depth };
        let r = unsafe { self.invoke_raw(f, args, ty.results.len()) };
        // SAFETY: as above.
        let exec = unsafe { &mut *self.exec };
        // A trap abandons the frames it unwinds.
        exec.depth = depth;
        match r {
            Ok(()) => Ok(self.stack[..ty.results.len()].to_vec()),
            Err(Trapped) => Err(exec
                .take_trap()
                .unwrap_or_else(|| Error::Internal("trapped with an empty trap slot".into()))),
        }
    }

    /// [`Vm::invoke`] up to the results, which are left at `stack[..]`.
    unsafe fn invoke_raw(&mut self, f: *const FuncRef, args: &[u64], nresults: usize) -> Result<(), Trapped> {
        let n = args.len().max(nresults);
        if self.stack.len() < n {
            self.grow(n)?;
        }
        self.stack[..args.len()].copy_from_slice(args);
        self.frames.clear();
        unsafe {
            if !(*f).host.is_null() {
                self.call_host(f, 0)
            } else {
                let vmctx = (*f).vmctx;
                let code = &*((*vmctx).code as *const Code);
                let func = &code.funcs[(*f).index as usize];
                self.enter(func, 0)?;
                self.run(func, vmctx, (*f).index)
            }
        }
    }

    /// Calls a host function with the arguments at `stack[base..]`. A host
    /// that returns with the trap slot set has trapped.
    #[inline(never)]
    unsafe fn call_host(&mut self, f: *const FuncRef, base: usize) -> Result<(), Trapped> {
        // SAFETY: a host FuncRef points to its live HostFunc.
        let h = unsafe { &*(*f).host };
        let args: Vec<Val> = (h.ty.params.iter().enumerate())
            .map(|(i, t)| self.store.raw_to_val(self.stack[base + i], *t))
            .collect();
        let results = match h.call(&args) {
            Ok(r) => r,
            Err(t) => return Err(self.trap(t)),
        };
        // SAFETY: the `Vm` holds its store, which owns the execution state.
        if unsafe { (*self.exec).trap } != 0 {
            return Err(Trapped);
        }
        if results.len() != h.ty.results.len()
            || results.iter().zip(&h.ty.results).any(|(v, t)| v.ty() != *t)
        {
            return Err(self.trap(Trap::HostError));
        }
        if self.stack.len() < base + results.len() {
            self.grow(base + results.len())?;
        }
        for (i, v) in results.into_iter().enumerate() {
            // A function reference must be a handle of this store.
            match self.store.val_to_raw(v) {
                Ok(raw) => self.stack[base + i] = raw,
                Err(_) => return Err(self.trap(Trap::HostError)),
            }
        }
        Ok(())
    }

    /// Prepares a frame for `func` at `base`: room, depth, zeroed locals.
    #[inline(always)]
    fn enter(&mut self, func: &IFunc, base: usize) -> Result<(), Trapped> {
        let need = base + func.frame_size as usize;
        if need > self.stack.len() {
            self.grow(need)?;
        }
        // SAFETY: the `Vm` holds its store, which owns the execution state.
        let exec = unsafe { &mut *self.exec };
        if exec.depth as usize >= MAX_FRAMES {
            return Err(self.trap(Trap::StackOverflow));
        }
        exec.depth += 1;
        self.stack[base + func.num_params as usize..base + func.num_locals as usize].fill(0);
        Ok(())
    }

    /// Runs `func` (entered at stack base 0) until it returns to the host.
    unsafe fn run(&mut self, func: &IFunc, vmctx: *mut VmCtx, index: u32) -> Result<(), Trapped> {
        unsafe {
            *(*vmctx).call_counts.add(index as usize) += 1;
            let exec = self.exec;
            (*exec).fuel -= 1;
            if (*exec).fuel < 0 {
                return Err(self.trap(Trap::OutOfFuel));
            }
            let mut st = State {
                vm: self,
                vmctx,
                func,
                code: func.code.as_ptr(),
                base: 0,
                entry_depth: self.frames.len(),
                exec,
                loop_counter: (*vmctx).loop_counts.add(index as usize),
                sp_limit: native_sp().saturating_sub(NATIVE_STACK_BUDGET),
                next: func.code.as_ptr(),
                regs: self.stack.as_mut_ptr(),
                mem: (*vmctx).mem_base,
                len: (*vmctx).mem_len,
            };
            let st: *mut State = &mut st;
            let flow = loop {
                let s = &*st;
                let flow = ((*s.next).handler)(s.next, s.regs, s.mem, s.len, st);
                if flow != Flow::Continue {
                    break flow;
                }
            };
            match flow {
                Flow::Trap => Err(Trapped),
                _ => Ok(()),
            }
        }
    }
}

/// Defines one handler function per instruction and `handler_for`, which
/// maps an instruction to its handler (an exhaustive match: an op without
/// a handler does not compile).
///
/// Each handler binds the instruction's fields, runs its body with
/// `next` = the following instruction, then continues there. Bodies may
/// change `next`, `regs`, `mem_base`, `mem_len`, or return (traps, returns,
/// trampolined jumps). Bodies reach the handler's arguments only through
/// the helper macros defined here (`r!`, `jump!`, `trap!`, ...): macro
/// hygiene keeps the call site's identifiers apart from the arguments.
macro_rules! handlers {
    ($($name:ident { $($field:ident),* } => $body:block)*) => {
        #[allow(non_snake_case)]
        mod handlers {
            use super::*;
            $(
                #[allow(unused_mut, unused_variables, unused_macros, unused_unsafe, unused_assignments, unreachable_code, clippy::unnecessary_cast)]
                pub(super) unsafe fn $name(ip: *const Op, mut regs: *mut u64, mut mem_base: *mut u8, mut mem_len: u64, st: *mut State) -> Flow {
                    unsafe {
                        let Instr::$name { $($field),* } = (*ip).instr else { std::hint::unreachable_unchecked() };
                        let mut next = ip.add(1);
                        /// Register `i` of the running frame.
                        macro_rules! r {
                            ($i:expr) => {
                                *regs.add($i as usize)
                            };
                        }
                        macro_rules! trap {
                            ($t:expr) => {{
                                (*(*st).exec).trap = trap_code($t);
                                return Flow::Trap;
                            }};
                        }
                        /// Takes one step of fuel, trapping when none is left.
                        macro_rules! use_fuel {
                            ($exec:expr) => {{
                                let exec: *mut ExecState = $exec;
                                (*exec).fuel -= 1;
                                if (*exec).fuel < 0 {
                                    trap!(Trap::OutOfFuel);
                                }
                            }};
                        }
                        /// Continues at `$n` through the trampoline.
                        macro_rules! trampoline {
                            ($n:expr) => {{
                                let n = $n;
                                let s = &mut *st;
                                s.next = n;
                                s.regs = regs;
                                s.mem = mem_base;
                                s.len = mem_len;
                                return Flow::Continue;
                            }};
                        }
                        /// Continues at `$n`: a tail call of its handler where the
                        /// compiler makes that a jump, else through the trampoline.
                        macro_rules! continue_at {
                            ($n:expr) => {{
                                #[cfg(interp_tail_calls)]
                                {
                                    let n = $n;
                                    return ((*n).handler)(n, regs, mem_base, mem_len, st);
                                }
                                #[cfg(not(interp_tail_calls))]
                                trampoline!($n)
                            }};
                        }
                        /// Continues at `$n` at a loop back-edge or call: by tail call
                        /// while the native stack is shallow, else through the trampoline
                        /// (which unwinds it). With sibling calls the stack never grows and
                        /// the check never fires; it guards against a handler the compiler
                        /// did not turn into a jump.
                        macro_rules! bounded_continue {
                            ($n:expr) => {{
                                #[cfg(interp_tail_calls)]
                                {
                                    if native_sp() < (*st).sp_limit {
                                        trampoline!($n);
                                    }
                                    continue_at!($n)
                                }
                                #[cfg(not(interp_tail_calls))]
                                trampoline!($n)
                            }};
                        }
                        macro_rules! reload_mem {
                            () => {{
                                mem_base = (*(*st).vmctx).mem_base;
                                mem_len = (*(*st).vmctx).mem_len;
                            }};
                        }
                        /// Jumps to instruction `$t`; a jump backwards is a loop back-edge:
                        /// it costs fuel, counts for tier-up, and goes through the
                        /// trampoline (which bounds the native stack).
                        macro_rules! jump {
                            ($t:expr) => {{
                                let t = (*st).code.add($t as usize);
                                if t <= ip {
                                    use_fuel!((*st).exec);
                                    let s = &mut *st;
                                    *s.loop_counter = (*s.loop_counter).wrapping_add(1);
                                    bounded_continue!(t);
                                }
                                next = t;
                            }};
                        }
                        macro_rules! br_if {
                            ($cond:expr, $t:expr) => {{
                                if $cond {
                                    jump!($t);
                                }
                            }};
                        }
                        /// The host address of an access of `$n` bytes, or a trap.
                        macro_rules! addr {
                            ($a:expr, $off:expr, $n:expr) => {{
                                let ea = (r!($a) as u32 as u64) + $off as u64;
                                if ea + $n > mem_len {
                                    trap!(Trap::MemoryOutOfBounds);
                                }
                                mem_base.add(ea as usize)
                            }};
                        }
                        macro_rules! load {
                            ($d:expr, $a:expr, $off:expr, $t:ty, $conv:expr) => {{
                                let p = addr!($a, $off, std::mem::size_of::<$t>() as u64);
                                let v = <$t>::from_le(std::ptr::read_unaligned(p as *const $t));
                                r!($d) = ($conv)(v);
                            }};
                        }
                        macro_rules! store {
                            ($a:expr, $s:expr, $off:expr, $t:ty) => {{
                                let p = addr!($a, $off, std::mem::size_of::<$t>() as u64);
                                std::ptr::write_unaligned(p as *mut $t, (r!($s) as $t).to_le());
                            }};
                        }
                        macro_rules! un32 {
                            ($d:expr, $s:expr, $f:expr) => {{
                                let x = r!($s) as u32;
                                r!($d) = ($f)(x) as u32 as u64;
                            }};
                        }
                        macro_rules! un64 {
                            ($d:expr, $s:expr, $f:expr) => {{
                                let x = r!($s);
                                r!($d) = ($f)(x) as u64;
                            }};
                        }
                        macro_rules! unf32 {
                            ($d:expr, $s:expr, $f:expr) => {{
                                let x = f32::from_bits(r!($s) as u32);
                                r!($d) = ($f)(x).to_bits() as u64;
                            }};
                        }
                        macro_rules! unf64 {
                            ($d:expr, $s:expr, $f:expr) => {{
                                let x = f64::from_bits(r!($s));
                                r!($d) = ($f)(x).to_bits();
                            }};
                        }
                        macro_rules! bin32 {
                            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                                let x = $x as u32;
                                let y = $y as u32;
                                r!($d) = ($f)(x, y) as u32 as u64;
                            }};
                        }
                        macro_rules! bin64 {
                            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                                let x = $x as u64;
                                let y = $y as u64;
                                r!($d) = ($f)(x, y) as u64;
                            }};
                        }
                        macro_rules! tbin32 {
                            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                                match $f($x as u32, $y as u32) {
                                    Ok(v) => r!($d) = v as u64,
                                    Err(t) => trap!(t),
                                }
                            }};
                        }
                        macro_rules! tbin64 {
                            ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                                match $f($x as u64, $y as u64) {
                                    Ok(v) => r!($d) = v,
                                    Err(t) => trap!(t),
                                }
                            }};
                        }
                        macro_rules! binf32 {
                            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                                let x = f32::from_bits(r!($a) as u32);
                                let y = f32::from_bits(r!($b) as u32);
                                r!($d) = ($f)(x, y).to_bits() as u64;
                            }};
                        }
                        macro_rules! binf64 {
                            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                                let x = f64::from_bits(r!($a));
                                let y = f64::from_bits(r!($b));
                                r!($d) = ($f)(x, y).to_bits();
                            }};
                        }
                        macro_rules! cmpf32 {
                            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                                let x = f32::from_bits(r!($a) as u32);
                                let y = f32::from_bits(r!($b) as u32);
                                r!($d) = ($f)(x, y) as u64;
                            }};
                        }
                        macro_rules! cmpf64 {
                            ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                                let x = f64::from_bits(r!($a));
                                let y = f64::from_bits(r!($b));
                                r!($d) = ($f)(x, y) as u64;
                            }};
                        }
                        macro_rules! conv {
                            ($d:expr, $s:expr, $f:expr) => {{
                                match $f(r!($s)) {
                                    Ok(v) => r!($d) = v,
                                    Err(t) => trap!(t),
                                }
                            }};
                        }
                        /// Saves the caller's frame and enters `$callee` (of instance
                        /// `$ctx`, defined-function `$index`) with its registers at
                        /// `regs[$b..]`. Goes through the trampoline (bounds the native
                        /// stack under recursion).
                        macro_rules! call_wasm {
                            ($callee:expr, $index:expr, $ctx:expr, $b:expr) => {{
                                let callee: *const IFunc = $callee;
                                let s = &mut *st;
                                let vm = &mut *s.vm;
                                let new_base = s.base + $b as usize;
                                if vm.enter(&*callee, new_base).is_err() {
                                    return Flow::Trap;
                                }
                                use_fuel!(s.exec);
                                vm.frames.push(Frame { func: s.func, ip: next, base: s.base, vmctx: s.vmctx, loop_counter: s.loop_counter });
                                let ctx: *mut VmCtx = $ctx;
                                if ctx != s.vmctx {
                                    s.vmctx = ctx;
                                    mem_base = (*ctx).mem_base;
                                    mem_len = (*ctx).mem_len;
                                }
                                *(*ctx).call_counts.add($index as usize) += 1;
                                s.loop_counter = (*ctx).loop_counts.add($index as usize);
                                s.func = callee;
                                s.base = new_base;
                                s.code = (*callee).code.as_ptr();
                                regs = vm.stack.as_mut_ptr().add(new_base);
                                bounded_continue!(s.code);
                            }};
                        }
                        /// Calls any function reference: host, or wasm of any instance.
                        macro_rules! call_ref {
                            ($f:expr, $b:expr) => {{
                                let f: *const FuncRef = $f;
                                if (*f).host.is_null() {
                                    let ctx = (*f).vmctx;
                                    let c = &*((*ctx).code as *const Code);
                                    call_wasm!(c.funcs.as_ptr().add((*f).index as usize), (*f).index, ctx, $b);
                                } else {
                                    let s = &mut *st;
                                    let vm = &mut *s.vm;
                                    if vm.call_host(f, s.base + $b as usize).is_err() {
                                        return Flow::Trap;
                                    }
                                    regs = vm.stack.as_mut_ptr().add(s.base);
                                }
                            }};
                        }
                        /// Returns to the caller's frame, or (outermost) to the host.
                        macro_rules! ret {
                            () => {{
                                let s = &mut *st;
                                let vm = &mut *s.vm;
                                if vm.frames.len() == s.entry_depth {
                                    return Flow::Done;
                                }
                                let f = vm.frames.pop().unwrap_unchecked();
                                (*s.exec).depth -= 1;
                                s.func = f.func;
                                s.code = (*f.func).code.as_ptr();
                                s.base = f.base;
                                s.vmctx = f.vmctx;
                                s.loop_counter = f.loop_counter;
                                regs = vm.stack.as_mut_ptr().add(f.base);
                                // The callee may have grown the memory.
                                mem_base = (*f.vmctx).mem_base;
                                mem_len = (*f.vmctx).mem_len;
                                next = f.ip;
                            }};
                        }
                        macro_rules! rp {
                            ($i:expr) => {
                                regs.add($i as usize)
                            };
                        }
                        macro_rules! vmctx {
                            () => {
                                (*st).vmctx
                            };
                        }
                        macro_rules! mem_len {
                            () => {
                                mem_len
                            };
                        }
                        macro_rules! skip {
                            ($n:expr) => {
                                next = next.add($n as usize)
                            };
                        }

                        $body
                        continue_at!(next)
                    }
                }
            )*
        }

        fn handler_for(i: &Instr) -> Handler {
            match i {
                $(Instr::$name { .. } => handlers::$name,)*
            }
        }
    };
}

handlers! {

    // control
    Br { target } => { jump!(target); }
    BrIfNz { c, target } => { br_if!(r!(c) as u32 != 0, target); }
    BrIfZ { c, target } => { br_if!(r!(c) as u32 == 0, target); }
    BrTable { index, count } => {
        let i = (r!(index) as u32).min(count);
        skip!(i);
    }
    Return1 { src } => {
        r!(0) = r!(src);
        ret!();
    }
    Return {} => { ret!(); }
    Call { func, base } => {
        let c = &*((*vmctx!()).code as *const Code);
        call_wasm!(c.funcs.as_ptr().add(func as usize), func, vmctx!(), base);
    }
    CallImport { func, base } => {
        call_ref!(*(*vmctx!()).funcs.add(func as usize), base);
    }
    CallIndirect { table, ty, index, base } => {
        let t = &**(*vmctx!()).tables.add(table as usize);
        let i = r!(index) as u32 as u64;
        if i >= t.len {
            trap!(Trap::TableOutOfBounds);
        }
        let f = *t.base.add(i as usize) as *const FuncRef;
        if f.is_null() {
            trap!(Trap::IndirectCallToNull);
        }
        if (*f).sig != *(*vmctx!()).sig_ids.add(ty as usize) {
            trap!(Trap::BadSignature);
        }
        call_ref!(f, base);
    }
    Copy { dst, src } => { r!(dst) = r!(src); }
    Const32 { dst, imm } => { r!(dst) = imm as u64; }
    Const64 { dst, imm } => { r!(dst) = imm; }
    CopySpan { dst, src, n } => {
    std::ptr::copy(rp!(src), rp!(dst), n as usize)
}
    Select { dst, c, a, b } => {
    r!(dst) = if r!(c) as u32 != 0 { r!(a) } else { r!(b) }
}
    Unreachable {  } => { trap!(Trap::Unreachable); }
    GlobalGet { dst, global } => {
    r!(dst) = **(*vmctx!()).globals.add(global as usize)
}
    GlobalSet { src, global } => {
    **(*vmctx!()).globals.add(global as usize) = r!(src)
}
    Load32 { dst, addr, offset } => {
    load!(dst, addr, offset, u32, |v: u32| v as u64)
}
    Load64 { dst, addr, offset } => {
    load!(dst, addr, offset, u64, |v: u64| v)
}
    Load8S32 { dst, addr, offset } => {
    load!(dst, addr, offset, u8, |v: u8| v as i8 as i32 as u32 as u64)
}
    Load8U { dst, addr, offset } => {
    load!(dst, addr, offset, u8, |v: u8| v as u64)
}
    Load16S32 { dst, addr, offset } => {
    load!(dst, addr, offset, u16, |v: u16| v as i16 as i32 as u32
        as u64)
}
    Load16U { dst, addr, offset } => {
    load!(dst, addr, offset, u16, |v: u16| v as u64)
}
    Load8S64 { dst, addr, offset } => {
    load!(dst, addr, offset, u8, |v: u8| v as i8 as i64 as u64)
}
    Load16S64 { dst, addr, offset } => {
    load!(dst, addr, offset, u16, |v: u16| v as i16 as i64 as u64)
}
    Load32S64 { dst, addr, offset } => {
    load!(dst, addr, offset, u32, |v: u32| v as i32 as i64 as u64)
}
    Store8 { addr, src, offset } => { store!(addr, src, offset, u8); }
    Store16 { addr, src, offset } => { store!(addr, src, offset, u16); }
    Store32 { addr, src, offset } => { store!(addr, src, offset, u32); }
    Store64 { addr, src, offset } => { store!(addr, src, offset, u64); }
    MemorySize { dst } => {
    r!(dst) = mem_len!() / wasmlab_runtime::memory::PAGE_SIZE
}
    MemoryGrow { dst, delta } => {
    let m = &mut *(*vmctx!()).memory;
    r!(dst) = match m.grow(r!(delta) as u32 as u64) {
        Some(old) => old as u32 as u64,
        None => u32::MAX as u64,
    };
    reload_mem!();
}
    MemoryFill { dst, val, len } => {
    let m = &mut *(*vmctx!()).memory;
    if let Err(t) =
        m.fill(r!(dst) as u32 as u64, r!(val) as u8, r!(len) as u32 as u64)
    {
        trap!(t);
    }
}
    MemoryCopy { dst, src, len } => {
    let m = &mut *(*vmctx!()).memory;
    if let Err(t) = m.copy(
        r!(dst) as u32 as u64,
        r!(src) as u32 as u64,
        r!(len) as u32 as u64,
    ) {
        trap!(t);
    }
}
    MemoryInit { seg, dst, src, len } => {
    let inst = &*(*vmctx!()).instance;
    let m = &mut *(*vmctx!()).memory;
    let data = &inst.datas[seg as usize];
    if let Err(t) = m.init(
        r!(dst) as u32 as u64,
        data,
        r!(src) as u32 as u64,
        r!(len) as u32 as u64,
    ) {
        trap!(t);
    }
}
    DataDrop { seg } => {
    let inst = (*vmctx!()).instance as *mut InstanceData;
    (&mut (*inst).datas)[seg as usize] = std::sync::Arc::from(&[][..]);
}
    TableGet { dst, index, table } => {
    let t = &**(*vmctx!()).tables.add(table as usize);
    match t.get(r!(index) as u32 as u64) {
        Ok(v) => r!(dst) = v,
        Err(e) => trap!(e),
    }
}
    TableSet { table, index, val } => {
    let t = &mut **(*vmctx!()).tables.add(table as usize);
    if let Err(e) = t.set(r!(index) as u32 as u64, r!(val)) {
        trap!(e);
    }
}
    TableSize { dst, table } => {
    r!(dst) = (**(*vmctx!()).tables.add(table as usize)).len
}
    TableGrow { dst, init, delta, table } => {
    let t = &mut **(*vmctx!()).tables.add(table as usize);
    r!(dst) = match t.grow(r!(delta) as u32 as u64, r!(init)) {
        Some(old) => old as u32 as u64,
        None => u32::MAX as u64,
    };
}
    TableFill { table, dst, val, len } => {
    let t = &mut **(*vmctx!()).tables.add(table as usize);
    if let Err(e) =
        t.fill(r!(dst) as u32 as u64, r!(val), r!(len) as u32 as u64)
    {
        trap!(e);
    }
}
    TableCopy { dst_table, src_table, dst, src, len } => {
    let d: *mut Table = *(*vmctx!()).tables.add(dst_table as usize);
    let s: *mut Table = *(*vmctx!()).tables.add(src_table as usize);
    let (di, si, n) = (
        r!(dst) as u32 as u64,
        r!(src) as u32 as u64,
        r!(len) as u32 as u64,
    );
    let res = if d == s {
        (*d).copy_within(di, si, n)
    } else {
        (*d).copy_from(di, &*s, si, n)
    };
    if let Err(e) = res {
        trap!(e);
    }
}
    TableInit { table, seg, dst, src, len } => {
    let inst = &*(*vmctx!()).instance;
    let t = &mut **(*vmctx!()).tables.add(table as usize);
    let items = &inst.elems[seg as usize];
    if let Err(e) = t.init(
        r!(dst) as u32 as u64,
        items,
        r!(src) as u32 as u64,
        r!(len) as u32 as u64,
    ) {
        trap!(e);
    }
}
    ElemDrop { seg } => {
    let inst = (*vmctx!()).instance as *mut InstanceData;
    (&mut (*inst).elems)[seg as usize] = Vec::new();
}
    RefFunc { dst, func } => {
    r!(dst) = *(*vmctx!()).funcs.add(func as usize) as u64
}
    // i32 unary
    I32Clz { dst, src } => { un32!(dst, src, |x: u32| x.leading_zeros()); }
    I32Ctz { dst, src } => { un32!(dst, src, |x: u32| x.trailing_zeros()); }
    I32Popcnt { dst, src } => { un32!(dst, src, |x: u32| x.count_ones()); }
    I32Eqz { dst, src } => { un32!(dst, src, |x: u32| (x == 0) as u32); }
    I64Clz { dst, src } => { un64!(dst, src, |x: u64| x.leading_zeros()); }
    I64Ctz { dst, src } => { un64!(dst, src, |x: u64| x.trailing_zeros()); }
    I64Popcnt { dst, src } => { un64!(dst, src, |x: u64| x.count_ones()); }
    I64Eqz { dst, src } => { un64!(dst, src, |x: u64| (x == 0) as u32); }
    F32Abs { dst, src } => { r!(dst) = r!(src) & 0x7fff_ffff; }
    F32Neg { dst, src } => { r!(dst) = (r!(src) ^ 0x8000_0000) & 0xffff_ffff; }
    F32Ceil { dst, src } => {
    unf32!(dst, src, |x: f32| if x.is_nan() { x + x } else { x.ceil() })
}
    F32Floor { dst, src } => { unf32!(dst, src, |x: f32| if x.is_nan() {
    x + x
} else {
    x.floor()
}); }
    F32Trunc { dst, src } => { unf32!(dst, src, |x: f32| if x.is_nan() {
    x + x
} else {
    x.trunc()
}); }
    F32Nearest { dst, src } => { unf32!(dst, src, |x: f32| if x.is_nan() {
    x + x
} else {
    x.round_ties_even()
}); }
    F32Sqrt { dst, src } => {
    unf32!(dst, src, |x: f32| if x.is_nan() { x + x } else { x.sqrt() })
}
    F64Abs { dst, src } => { r!(dst) = r!(src) & 0x7fff_ffff_ffff_ffff; }
    F64Neg { dst, src } => { r!(dst) = r!(src) ^ 0x8000_0000_0000_0000; }
    F64Ceil { dst, src } => {
    unf64!(dst, src, |x: f64| if x.is_nan() { x + x } else { x.ceil() })
}
    F64Floor { dst, src } => { unf64!(dst, src, |x: f64| if x.is_nan() {
    x + x
} else {
    x.floor()
}); }
    F64Trunc { dst, src } => { unf64!(dst, src, |x: f64| if x.is_nan() {
    x + x
} else {
    x.trunc()
}); }
    F64Nearest { dst, src } => { unf64!(dst, src, |x: f64| if x.is_nan() {
    x + x
} else {
    x.round_ties_even()
}); }
    F64Sqrt { dst, src } => {
    unf64!(dst, src, |x: f64| if x.is_nan() { x + x } else { x.sqrt() })
}
    I32WrapI64 { dst, src } => { r!(dst) = r!(src) & 0xffff_ffff; }
    I32TruncF32S { dst, src } => { conv!(dst, src, trunc_f32_i32); }
    I32TruncF32U { dst, src } => { conv!(dst, src, trunc_f32_u32); }
    I32TruncF64S { dst, src } => { conv!(dst, src, trunc_f64_i32); }
    I32TruncF64U { dst, src } => { conv!(dst, src, trunc_f64_u32); }
    I64ExtendI32S { dst, src } => {
    r!(dst) = r!(src) as u32 as i32 as i64 as u64
}
    I64TruncF32S { dst, src } => { conv!(dst, src, trunc_f32_i64); }
    I64TruncF32U { dst, src } => { conv!(dst, src, trunc_f32_u64); }
    I64TruncF64S { dst, src } => { conv!(dst, src, trunc_f64_i64); }
    I64TruncF64U { dst, src } => { conv!(dst, src, trunc_f64_u64); }
    F32ConvertI32S { dst, src } => {
    r!(dst) = (r!(src) as u32 as i32 as f32).to_bits() as u64
}
    F32ConvertI32U { dst, src } => {
    r!(dst) = (r!(src) as u32 as f32).to_bits() as u64
}
    F32ConvertI64S { dst, src } => {
    r!(dst) = (r!(src) as i64 as f32).to_bits() as u64
}
    F32ConvertI64U { dst, src } => {
    r!(dst) = (r!(src) as f32).to_bits() as u64
}
    F32DemoteF64 { dst, src } => {
    r!(dst) = (f64::from_bits(r!(src)) as f32).to_bits() as u64
}
    F64ConvertI32S { dst, src } => {
    r!(dst) = (r!(src) as u32 as i32 as f64).to_bits()
}
    F64ConvertI32U { dst, src } => {
    r!(dst) = (r!(src) as u32 as f64).to_bits()
}
    F64ConvertI64S { dst, src } => {
    r!(dst) = (r!(src) as i64 as f64).to_bits()
}
    F64ConvertI64U { dst, src } => { r!(dst) = (r!(src) as f64).to_bits(); }
    F64PromoteF32 { dst, src } => {
    r!(dst) = (f32::from_bits(r!(src) as u32) as f64).to_bits()
}
    I32Extend8S { dst, src } => {
    r!(dst) = r!(src) as u8 as i8 as i32 as u32 as u64
}
    I32Extend16S { dst, src } => {
    r!(dst) = r!(src) as u16 as i16 as i32 as u32 as u64
}
    I64Extend8S { dst, src } => { r!(dst) = r!(src) as u8 as i8 as i64 as u64; }
    I64Extend16S { dst, src } => {
    r!(dst) = r!(src) as u16 as i16 as i64 as u64
}
    I64Extend32S { dst, src } => {
    r!(dst) = r!(src) as u32 as i32 as i64 as u64
}
    I32TruncSatF32S { dst, src } => {
    r!(dst) = (f32::from_bits(r!(src) as u32) as i32) as u32 as u64
}
    I32TruncSatF32U { dst, src } => {
    r!(dst) = (f32::from_bits(r!(src) as u32) as u32) as u64
}
    I32TruncSatF64S { dst, src } => {
    r!(dst) = (f64::from_bits(r!(src)) as i32) as u32 as u64
}
    I32TruncSatF64U { dst, src } => {
    r!(dst) = (f64::from_bits(r!(src)) as u32) as u64
}
    I64TruncSatF32S { dst, src } => {
    r!(dst) = (f32::from_bits(r!(src) as u32) as i64) as u64
}
    I64TruncSatF32U { dst, src } => {
    r!(dst) = f32::from_bits(r!(src) as u32) as u64
}
    I64TruncSatF64S { dst, src } => {
    r!(dst) = (f64::from_bits(r!(src)) as i64) as u64
}
    I64TruncSatF64U { dst, src } => { r!(dst) = f64::from_bits(r!(src)) as u64; }
    // i32 binary
    I32Eq { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x == y); }
    I32Ne { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x != y); }
    I32LtS { dst, a, b } => {
    bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) < (y as i32))
}
    I32LtU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x < y); }
    I32GtS { dst, a, b } => {
    bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) > (y as i32))
}
    I32GtU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x > y); }
    I32LeS { dst, a, b } => {
    bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) <= (y as i32))
}
    I32LeU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x <= y); }
    I32GeS { dst, a, b } => {
    bin32!(dst, r!(a), r!(b), |x: u32, y: u32| (x as i32) >= (y as i32))
}
    I32GeU { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x >= y); }
    I32Add { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_add); }
    I32Sub { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_sub); }
    I32Mul { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_mul); }
    I32DivS { dst, a, b } => { tbin32!(dst, r!(a), r!(b), div_s32); }
    I32DivU { dst, a, b } => { tbin32!(dst, r!(a), r!(b), div_u32); }
    I32RemS { dst, a, b } => { tbin32!(dst, r!(a), r!(b), rem_s32); }
    I32RemU { dst, a, b } => { tbin32!(dst, r!(a), r!(b), rem_u32); }
    I32And { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x & y); }
    I32Or { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x | y); }
    I32Xor { dst, a, b } => { bin32!(dst, r!(a), r!(b), |x, y| x ^ y); }
    I32Shl { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_shl); }
    I32ShrS { dst, a, b } => {
    bin32!(dst, r!(a), r!(b), |x: u32, y| (x as i32).wrapping_shr(y))
}
    I32ShrU { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::wrapping_shr); }
    I32Rotl { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::rotate_left); }
    I32Rotr { dst, a, b } => { bin32!(dst, r!(a), r!(b), u32::rotate_right); }
    I32EqImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x == y); }
    I32NeImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x != y); }
    I32LtSImm { dst, a, imm } => {
    bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) < (y as i32))
}
    I32LtUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x < y); }
    I32GtSImm { dst, a, imm } => {
    bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) > (y as i32))
}
    I32GtUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x > y); }
    I32LeSImm { dst, a, imm } => {
    bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) <= (y as i32))
}
    I32LeUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x <= y); }
    I32GeSImm { dst, a, imm } => {
    bin32!(dst, r!(a), imm, |x: u32, y: u32| (x as i32) >= (y as i32))
}
    I32GeUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x >= y); }
    I32AddImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_add); }
    I32SubImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_sub); }
    I32MulImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_mul); }
    I32DivSImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, div_s32); }
    I32DivUImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, div_u32); }
    I32RemSImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, rem_s32); }
    I32RemUImm { dst, a, imm } => { tbin32!(dst, r!(a), imm, rem_u32); }
    I32AndImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x & y); }
    I32OrImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x | y); }
    I32XorImm { dst, a, imm } => { bin32!(dst, r!(a), imm, |x, y| x ^ y); }
    I32ShlImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_shl); }
    I32ShrSImm { dst, a, imm } => {
    bin32!(dst, r!(a), imm, |x: u32, y| (x as i32).wrapping_shr(y))
}
    I32ShrUImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::wrapping_shr); }
    I32RotlImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::rotate_left); }
    I32RotrImm { dst, a, imm } => { bin32!(dst, r!(a), imm, u32::rotate_right); }
    // i64 binary
    I64Eq { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| (x == y) as u64); }
    I64Ne { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| (x != y) as u64); }
    I64LtS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
    as i64)
    < (y as i64))
    as u64); }
    I64LtU { dst, a, b } => {
    bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x < y) as u64)
}
    I64GtS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
    as i64)
    > (y as i64))
    as u64); }
    I64GtU { dst, a, b } => {
    bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x > y) as u64)
}
    I64LeS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
    as i64)
    <= (y as i64))
    as u64); }
    I64LeU { dst, a, b } => {
    bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x <= y) as u64)
}
    I64GeS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x: u64, y: u64| ((x
    as i64)
    >= (y as i64))
    as u64); }
    I64GeU { dst, a, b } => {
    bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x >= y) as u64)
}
    I64Add { dst, a, b } => { bin64!(dst, r!(a), r!(b), u64::wrapping_add); }
    I64Sub { dst, a, b } => { bin64!(dst, r!(a), r!(b), u64::wrapping_sub); }
    I64Mul { dst, a, b } => { bin64!(dst, r!(a), r!(b), u64::wrapping_mul); }
    I64DivS { dst, a, b } => { tbin64!(dst, r!(a), r!(b), div_s64); }
    I64DivU { dst, a, b } => { tbin64!(dst, r!(a), r!(b), div_u64); }
    I64RemS { dst, a, b } => { tbin64!(dst, r!(a), r!(b), rem_s64); }
    I64RemU { dst, a, b } => { tbin64!(dst, r!(a), r!(b), rem_u64); }
    I64And { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x & y); }
    I64Or { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x | y); }
    I64Xor { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x, y| x ^ y); }
    I64Shl { dst, a, b } => {
    bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x.wrapping_shl(y as u32))
}
    I64ShrS { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x: u64, y: u64| (x
    as i64)
    .wrapping_shr(y as u32)); }
    I64ShrU { dst, a, b } => {
    bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x.wrapping_shr(y as u32))
}
    I64Rotl { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x
    .rotate_left((y & 63) as u32)); }
    I64Rotr { dst, a, b } => { bin64!(dst, r!(a), r!(b), |x: u64, y: u64| x
    .rotate_right((y & 63) as u32)); }
    I64EqImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x, y| (x == y) as u64)
}
    I64NeImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x, y| (x != y) as u64)
}
    I64LtSImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) < (y as i64))
        as u64)
}
    I64LtUImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| (x < y) as u64)
}
    I64GtSImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) > (y as i64))
        as u64)
}
    I64GtUImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| (x > y) as u64)
}
    I64LeSImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) <= (y as i64))
        as u64)
}
    I64LeUImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| (x <= y) as u64)
}
    I64GeSImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| ((x as i64) >= (y as i64))
        as u64)
}
    I64GeUImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| (x >= y) as u64)
}
    I64AddImm { dst, a, imm } => { bin64!(dst, r!(a), imm, u64::wrapping_add); }
    I64SubImm { dst, a, imm } => { bin64!(dst, r!(a), imm, u64::wrapping_sub); }
    I64MulImm { dst, a, imm } => { bin64!(dst, r!(a), imm, u64::wrapping_mul); }
    I64DivSImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, div_s64); }
    I64DivUImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, div_u64); }
    I64RemSImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, rem_s64); }
    I64RemUImm { dst, a, imm } => { tbin64!(dst, r!(a), imm, rem_u64); }
    I64AndImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x & y); }
    I64OrImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x | y); }
    I64XorImm { dst, a, imm } => { bin64!(dst, r!(a), imm, |x, y| x ^ y); }
    I64ShlImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| x.wrapping_shl(y as u32))
}
    I64ShrSImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| (x as i64)
        .wrapping_shr(y as u32))
}
    I64ShrUImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| x.wrapping_shr(y as u32))
}
    I64RotlImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| x
        .rotate_left((y & 63) as u32))
}
    I64RotrImm { dst, a, imm } => {
    bin64!(dst, r!(a), imm, |x: u64, y: u64| x
        .rotate_right((y & 63) as u32))
}
    // floats
    F32Eq { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x == y); }
    F32Ne { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x != y); }
    F32Lt { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x < y); }
    F32Gt { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x > y); }
    F32Le { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x <= y); }
    F32Ge { dst, a, b } => { cmpf32!(dst, a, b, |x, y| x >= y); }
    F32Add { dst, a, b } => { binf32!(dst, a, b, |x, y| x + y); }
    F32Sub { dst, a, b } => { binf32!(dst, a, b, |x, y| x - y); }
    F32Mul { dst, a, b } => { binf32!(dst, a, b, |x, y| x * y); }
    F32Div { dst, a, b } => { binf32!(dst, a, b, |x, y| x / y); }
    F32Min { dst, a, b } => { binf32!(dst, a, b, fmin32); }
    F32Max { dst, a, b } => { binf32!(dst, a, b, fmax32); }
    F32Copysign { dst, a, b } => { binf32!(dst, a, b, f32::copysign); }
    F64Eq { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x == y); }
    F64Ne { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x != y); }
    F64Lt { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x < y); }
    F64Gt { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x > y); }
    F64Le { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x <= y); }
    F64Ge { dst, a, b } => { cmpf64!(dst, a, b, |x, y| x >= y); }
    F64Add { dst, a, b } => { binf64!(dst, a, b, |x, y| x + y); }
    F64Sub { dst, a, b } => { binf64!(dst, a, b, |x, y| x - y); }
    F64Mul { dst, a, b } => { binf64!(dst, a, b, |x, y| x * y); }
    F64Div { dst, a, b } => { binf64!(dst, a, b, |x, y| x / y); }
    F64Min { dst, a, b } => { binf64!(dst, a, b, fmin64); }
    F64Max { dst, a, b } => { binf64!(dst, a, b, fmax64); }
    F64Copysign { dst, a, b } => { binf64!(dst, a, b, f64::copysign); }
    // fused compare-and-branch
    BrI32Eq { a, b, target } => { br_if!(r!(a) as u32 == r!(b) as u32, target); }
    BrI32Ne { a, b, target } => { br_if!(r!(a) as u32 != r!(b) as u32, target); }
    BrI32LtS { a, b, target } => {
    br_if!((r!(a) as i32) < (r!(b) as i32), target)
}
    BrI32LtU { a, b, target } => {
    br_if!((r!(a) as u32) < (r!(b) as u32), target)
}
    BrI32GtS { a, b, target } => {
    br_if!((r!(a) as i32) > (r!(b) as i32), target)
}
    BrI32GtU { a, b, target } => {
    br_if!((r!(a) as u32) > (r!(b) as u32), target)
}
    BrI32LeS { a, b, target } => {
    br_if!((r!(a) as i32) <= (r!(b) as i32), target)
}
    BrI32LeU { a, b, target } => {
    br_if!((r!(a) as u32) <= (r!(b) as u32), target)
}
    BrI32GeS { a, b, target } => {
    br_if!((r!(a) as i32) >= (r!(b) as i32), target)
}
    BrI32GeU { a, b, target } => {
    br_if!((r!(a) as u32) >= (r!(b) as u32), target)
}
    BrI32EqImm { a, imm, target } => { br_if!(r!(a) as i32 == imm, target); }
    BrI32NeImm { a, imm, target } => { br_if!(r!(a) as i32 != imm, target); }
    BrI32LtSImm { a, imm, target } => { br_if!((r!(a) as i32) < imm, target); }
    BrI32LtUImm { a, imm, target } => {
    br_if!((r!(a) as u32) < imm as u32, target)
}
    BrI32GtSImm { a, imm, target } => { br_if!((r!(a) as i32) > imm, target); }
    BrI32GtUImm { a, imm, target } => {
    br_if!((r!(a) as u32) > imm as u32, target)
}
    BrI32LeSImm { a, imm, target } => { br_if!((r!(a) as i32) <= imm, target); }
    BrI32LeUImm { a, imm, target } => {
    br_if!((r!(a) as u32) <= imm as u32, target)
}
    BrI32GeSImm { a, imm, target } => { br_if!((r!(a) as i32) >= imm, target); }
    BrI32GeUImm { a, imm, target } => {
    br_if!((r!(a) as u32) >= imm as u32, target)
}
    BrI64Eq { a, b, target } => { br_if!(r!(a) == r!(b), target); }
    BrI64Ne { a, b, target } => { br_if!(r!(a) != r!(b), target); }
    BrI64LtS { a, b, target } => {
    br_if!((r!(a) as i64) < (r!(b) as i64), target)
}
    BrI64LtU { a, b, target } => { br_if!(r!(a) < r!(b), target); }
    BrI64GtS { a, b, target } => {
    br_if!((r!(a) as i64) > (r!(b) as i64), target)
}
    BrI64GtU { a, b, target } => { br_if!(r!(a) > r!(b), target); }
    BrI64LeS { a, b, target } => {
    br_if!((r!(a) as i64) <= (r!(b) as i64), target)
}
    BrI64LeU { a, b, target } => { br_if!(r!(a) <= r!(b), target); }
    BrI64GeS { a, b, target } => {
    br_if!((r!(a) as i64) >= (r!(b) as i64), target)
}
    BrI64GeU { a, b, target } => { br_if!(r!(a) >= r!(b), target); }
    BrI64EqImm { a, imm, target } => { br_if!(r!(a) as i64 == imm, target); }
    BrI64NeImm { a, imm, target } => { br_if!(r!(a) as i64 != imm, target); }
    BrI64LtSImm { a, imm, target } => { br_if!((r!(a) as i64) < imm, target); }
    BrI64LtUImm { a, imm, target } => { br_if!(r!(a) < imm as u64, target); }
    BrI64GtSImm { a, imm, target } => { br_if!((r!(a) as i64) > imm, target); }
    BrI64GtUImm { a, imm, target } => { br_if!(r!(a) > imm as u64, target); }
    BrI64LeSImm { a, imm, target } => { br_if!((r!(a) as i64) <= imm, target); }
    BrI64LeUImm { a, imm, target } => { br_if!(r!(a) <= imm as u64, target); }
    BrI64GeSImm { a, imm, target } => { br_if!((r!(a) as i64) >= imm, target); }
    BrI64GeUImm { a, imm, target } => { br_if!(r!(a) >= imm as u64, target); }

}

fn div_s32(x: u32, y: u32) -> Result<u32, Trap> {
    let (x, y) = (x as i32, y as i32);
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    x.checked_div(y)
        .map(|v| v as u32)
        .ok_or(Trap::IntegerOverflow)
}
fn div_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_div(y).ok_or(Trap::IntegerDivisionByZero)
}
fn rem_s32(x: u32, y: u32) -> Result<u32, Trap> {
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    Ok((x as i32).wrapping_rem(y as i32) as u32)
}
fn rem_u32(x: u32, y: u32) -> Result<u32, Trap> {
    x.checked_rem(y).ok_or(Trap::IntegerDivisionByZero)
}
fn div_s64(x: u64, y: u64) -> Result<u64, Trap> {
    let (x, y) = (x as i64, y as i64);
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    x.checked_div(y)
        .map(|v| v as u64)
        .ok_or(Trap::IntegerOverflow)
}
fn div_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_div(y).ok_or(Trap::IntegerDivisionByZero)
}
fn rem_s64(x: u64, y: u64) -> Result<u64, Trap> {
    if y == 0 {
        return Err(Trap::IntegerDivisionByZero);
    }
    Ok((x as i64).wrapping_rem(y as i64) as u64)
}
fn rem_u64(x: u64, y: u64) -> Result<u64, Trap> {
    x.checked_rem(y).ok_or(Trap::IntegerDivisionByZero)
}

/// wasm `min`: NaN if either is NaN, and -0 < +0.
fn fmin32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}
fn fmax32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f32::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}
fn fmin64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() | y.to_bits())
    } else if x < y {
        x
    } else {
        y
    }
}
fn fmax64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        x + y
    } else if x == y {
        f64::from_bits(x.to_bits() & y.to_bits())
    } else if x > y {
        x
    } else {
        y
    }
}

/// Trapping float-to-int conversions: NaN is an invalid conversion, a value
/// whose truncation is out of range an overflow.
macro_rules! trunc {
    ($name:ident, $f:ty, $from:expr, $lo:expr, $hi:expr, $to:ty, $out:expr) => {
        fn $name(raw: u64) -> Result<u64, Trap> {
            let x: $f = ($from)(raw);
            if x.is_nan() {
                return Err(Trap::BadConversionToInteger);
            }
            let t = x.trunc();
            if ($lo..$hi).contains(&t) {
                Ok(($out)(t as $to))
            } else {
                Err(Trap::IntegerOverflow)
            }
        }
    };
}
trunc!(
    trunc_f32_i32,
    f32,
    |r: u64| f32::from_bits(r as u32),
    -2147483648.0,
    2147483648.0,
    i32,
    |v: i32| v as u32 as u64
);
trunc!(
    trunc_f32_u32,
    f32,
    |r: u64| f32::from_bits(r as u32),
    0.0,
    4294967296.0,
    u32,
    |v: u32| v as u64
);
trunc!(
    trunc_f64_i32,
    f64,
    f64::from_bits,
    -2147483648.0,
    2147483648.0,
    i32,
    |v: i32| v as u32 as u64
);
trunc!(
    trunc_f64_u32,
    f64,
    f64::from_bits,
    0.0,
    4294967296.0,
    u32,
    |v: u32| v as u64
);
trunc!(
    trunc_f32_i64,
    f32,
    |r: u64| f32::from_bits(r as u32),
    -9223372036854775808.0,
    9223372036854775808.0,
    i64,
    |v: i64| v as u64
);
trunc!(
    trunc_f32_u64,
    f32,
    |r: u64| f32::from_bits(r as u32),
    0.0,
    18446744073709551616.0,
    u64,
    |v: u64| v
);
trunc!(
    trunc_f64_i64,
    f64,
    f64::from_bits,
    -9223372036854775808.0,
    9223372036854775808.0,
    i64,
    |v: i64| v as u64
);
trunc!(
    trunc_f64_u64,
    f64,
    f64::from_bits,
    0.0,
    18446744073709551616.0,
    u64,
    |v: u64| v
);
