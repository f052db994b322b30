//! The interpreter proper: executes register IR over one value stack of
//! `u64` slots, with an explicit frame stack (no native recursion per wasm
//! call, so call depth is bounded by [`MAX_FRAMES`] and [`MAX_SLOTS`] and
//! exhaustion is `Trap::StackOverflow`).
//!
//! This module is the machine: code ready to run, frames, entry from the
//! host, host calls and the trampoline loop. The instructions' handlers are
//! in [`handlers`], grouped by concern, and the arithmetic they share in
//! [`arith`].
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

mod arith;
mod handlers;

use std::rc::Rc;

use wasmlab_contract::{Error, Trap, Val};
use wasmlab_regir::{Func, Instr};
use wasmlab_runtime::{ExecState, FuncRef, Store, VmCtx, sig, trap_code};

use handlers::handler_for;

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
        unsafe { std::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(target_arch = "aarch64")]
    {
        let sp: usize;
        // SAFETY: reads a register; no memory access.
        unsafe { std::arch::asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
        sp
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        let marker = 0u8;
        std::hint::black_box(&marker) as *const u8 as usize
    }
}

/// A handler: executes the instruction at `ip` and continues.
type Handler = unsafe fn(ip: *const Op, regs: *mut u64, mem: *mut u8, len: u64, st: *mut State) -> Flow;

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
                    code: f.code.iter().map(|i| Op { handler: handler_for(i), instr: *i }).collect(),
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
        Vm { stack: vec![0; INITIAL_SLOTS], frames: Vec::new(), exec: store.exec(), store }
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
            Err(Trapped) => {
                Err(exec.take_trap().unwrap_or_else(|| Error::Internal("trapped with an empty trap slot".into())))
            }
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
        let args: Vec<Val> =
            (h.ty.params.iter().enumerate()).map(|(i, t)| self.store.raw_to_val(self.stack[base + i], *t)).collect();
        let results = match h.call(&args) {
            Ok(r) => r,
            Err(t) => return Err(self.trap(t)),
        };
        // SAFETY: the `Vm` holds its store, which owns the execution state.
        if unsafe { (*self.exec).trap } != 0 {
            return Err(Trapped);
        }
        if results.len() != h.ty.results.len() || results.iter().zip(&h.ty.results).any(|(v, t)| v.ty() != *t) {
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

    /// Prepares a frame for `func` at `base`: room, depth, a step of fuel,
    /// zeroed locals.
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
        exec.fuel -= 1;
        if exec.fuel < 0 {
            return Err(self.trap(Trap::OutOfFuel));
        }
        self.stack[base + func.num_params as usize..base + func.num_locals as usize].fill(0);
        Ok(())
    }

    /// Runs `func` (entered at stack base 0) until it returns to the host.
    unsafe fn run(&mut self, func: &IFunc, vmctx: *mut VmCtx, index: u32) -> Result<(), Trapped> {
        unsafe {
            *(*vmctx).call_counts.add(index as usize) += 1;
            let exec = self.exec;
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
