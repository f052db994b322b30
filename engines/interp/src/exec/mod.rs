//! The interpreter proper: executes register IR over one value stack of
//! `u64` slots, with an explicit frame stack (no native recursion per wasm
//! call, so call depth is bounded by [`MAX_FRAMES`] and [`MAX_SLOTS`] and
//! exhaustion is `Trap::StackOverflow`).
//!
//! This module is the machine: code ready to run, frames, entry from the
//! host, host calls and the trampoline loop. The instructions' handlers are
//! in [`handlers`], grouped by concern (the arithmetic they share is
//! [`wasmlab_runtime::arith`], which the JITs' slow paths use too); the
//! value stack in `slots`; the functions native code calls back in
//! [`native_calls`].
//!
//! # Native code
//!
//! A JIT built on the interpreter installs native entries in a module's
//! [`Code`] ([`Code::set_native`], or through a [`Tiering`] hook). Every
//! call into a wasm function (from the host, a `call`, an import or a
//! table) runs the function's native entry when it has one, with the
//! callee's frame where the interpreter would have put it: the frame
//! layout is the interpreter's, slot `i` = register `i`, so the value
//! stack is shared and never moves. Native code counts its own calls and
//! loops and uses fuel; a nonzero status is a trap already recorded.
//! Native code calls back through [`native_calls`] for functions still
//! interpreted, which run nested in the same machine, to any depth.
//!
//! With a [`Tiering`], a call that makes a function's call count reach
//! `calls` asks the hook for code and, given it, runs natively from that
//! very call; a back-edge that makes its loop count reach `loops` asks
//! for an on-stack-replacement entry at the loop header and, given one,
//! finishes the function natively in its current frame.
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
//!   and `base + frame_size <= MAX_SLOTS` for the running frame (checked at
//!   every call);
//! - every branch target is inside the function's code, and every path ends
//!   in a `Return`, `Br*` or trapping instruction (the code never runs off
//!   its end);
//! - indices of functions, globals, tables and segments were validated.

mod handlers;
pub mod native_calls;
mod slots;

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use wasmlab_contract::{Error, Trap, Val};
use wasmlab_native::NativeFunc;
use wasmlab_regir::{Func, Instr};
use wasmlab_runtime::{ExecState, FuncRef, InstanceData, Osr, Store, Tiering, VmCtx, sig, trap_code};

use handlers::handler_for;
use slots::Slots;

/// Deepest wasm call nesting.
pub const MAX_FRAMES: usize = 50_000;
/// Most value-stack slots (64 MiB).
pub const MAX_SLOTS: usize = 8 << 20;
/// Native stack the chain of handler tail calls may use before it unwinds
/// through the trampoline.
const NATIVE_STACK_BUDGET: usize = 256 << 10;
/// The trap slot's value while a [`Pending`] outcome unwinds: a code that
/// names no trap, so that whoever sees it without the `Vm` reports an
/// internal error rather than a trap.
const PENDING: u32 = u32::MAX;

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
    /// Its native entry (0 = interpreted): the interpreter's copy of the
    /// function's slot in [`Code`]'s table, next to what a call reads
    /// anyway.
    native: AtomicUsize,
    code: Vec<Op>,
    frame_size: u32,
    num_params: u32,
    num_locals: u32,
}

impl IFunc {
    /// The native entry, 0 while interpreted.
    #[inline(always)]
    fn native(&self) -> usize {
        self.native.load(Ordering::Acquire)
    }
}

/// An interpreter module's code, pointed to by `VmCtx::code`, and what a
/// JIT attaches to it: the native entry of each defined function (pointed
/// to by every instance's `VmCtx::native`), the tiering policy, and the
/// executable code those entries point into.
///
/// The interpreter reads a function's entry at every call into it and runs
/// native code whenever it is nonzero (see [`Code::set_native`]).
pub struct Code {
    pub funcs: Vec<IFunc>,
    /// One entry per defined function, 0 = interpreted; laid out as a
    /// `[usize]` (what `VmCtx::native` points to).
    native: Box<[AtomicUsize]>,
    /// Call count at which the tier-up hook is asked (0 = never).
    tier_calls: AtomicU32,
    /// Loop count at which the on-stack-replacement hook is asked (0 =
    /// never).
    tier_loops: AtomicU32,
    tiering: OnceLock<Tiering>,
    /// A JIT attached (native code, tiering or code bytes were given).
    jit: AtomicBool,
    /// The JIT frees code of evicted functions ([`Code::set_reclaiming`]):
    /// every entry into native code is counted in `pins`.
    reclaiming: AtomicBool,
    pins: AtomicUsize,
    native_bytes: AtomicUsize,
    /// Whatever the native entries point into, kept alive with the code.
    kept: Mutex<Vec<Arc<dyn Any + Send + Sync>>>,
}

impl Code {
    pub fn new(funcs: &[Func]) -> Code {
        Code {
            funcs: funcs
                .iter()
                .map(|f| IFunc {
                    native: AtomicUsize::new(0),
                    code: f.code.iter().map(|i| Op { handler: handler_for(i), instr: *i }).collect(),
                    frame_size: f.frame_size,
                    num_params: f.num_params,
                    num_locals: f.num_locals,
                })
                .collect(),
            native: funcs.iter().map(|_| AtomicUsize::new(0)).collect(),
            tier_calls: AtomicU32::new(0),
            tier_loops: AtomicU32::new(0),
            tiering: OnceLock::new(),
            jit: AtomicBool::new(false),
            reclaiming: AtomicBool::new(false),
            pins: AtomicUsize::new(0),
            native_bytes: AtomicUsize::new(0),
            kept: Mutex::new(Vec::new()),
        }
    }

    /// Installs `entry` as the native code of defined function `func`
    /// (index among the module's defined functions; 0 = back to the
    /// interpreter). Every later call into the function, from the
    /// interpreter or from native code, runs it. Any thread may install.
    ///
    /// `entry` must be the address of a `wasmlab_native::NativeFunc` for
    /// this function that follows the calling convention of
    /// `wasmlab_native` with the interpreter's frame layout (it counts its
    /// own calls and loops, uses fuel, checks `ExecState::slots_end` and
    /// the stack limit), and must stay valid as long as this `Code` (give
    /// its owner to [`Code::keep`] first). Anything else is undefined
    /// behaviour once the function is called: the same contract as the
    /// entries a `TierUp` hook returns. Panics when `func` is out of range.
    pub fn set_native(&self, func: u32, entry: usize) {
        self.jit.store(true, Ordering::Relaxed);
        // Release: whoever sees the entry sees the code it points to.
        self.native[func as usize].store(entry, Ordering::Release);
        self.funcs[func as usize].native.store(entry, Ordering::Release);
    }

    /// The native entry of defined function `func`; 0 when it is
    /// interpreted. Panics when `func` is out of range.
    pub fn native(&self, func: u32) -> usize {
        self.native[func as usize].load(Ordering::Acquire)
    }

    /// The entry table, for `VmCtx::native` (`AtomicUsize` has the layout
    /// of `usize`).
    pub fn native_table(&self) -> *const usize {
        self.native.as_ptr() as *const usize
    }

    /// Keeps `owner` (the executable code native entries point into)
    /// alive as long as this `Code`. An owner must not hold this `Code`
    /// strongly (that would be a cycle, never freed).
    pub fn keep(&self, owner: Arc<dyn Any + Send + Sync>) {
        self.jit.store(true, Ordering::Relaxed);
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).push(owner);
    }

    /// Counts `n` more bytes of machine code generated for this module
    /// (what [`Code::native_bytes`] reports).
    pub fn add_native_bytes(&self, n: usize) {
        self.jit.store(true, Ordering::Relaxed);
        self.native_bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Bytes of machine code generated for this module, once a JIT attached
    /// to it (set an entry, tiering, kept code or counted bytes, even 0 so
    /// far); `None` for the plain interpreter.
    pub fn native_bytes(&self) -> Option<usize> {
        self.jit.load(Ordering::Relaxed).then(|| self.native_bytes.load(Ordering::Relaxed))
    }

    /// Makes the interpreter tier up hot functions through `t.hook` (see
    /// [`Tiering`]; thresholds below 1 count as 1). Set it once, before
    /// the module is instantiated; only the first call has an effect. The
    /// hook must not hold this `Code` strongly (a cycle).
    pub fn set_tiering(&self, t: Tiering) {
        self.jit.store(true, Ordering::Relaxed);
        let (calls, loops) = (t.calls.max(1), t.loops.max(1));
        if self.tiering.set(t).is_ok() {
            // After the policy is in place: a threshold seen means a hook
            // to ask.
            self.tier_calls.store(calls, Ordering::Relaxed);
            self.tier_loops.store(loops, Ordering::Relaxed);
        }
    }

    /// Makes every entry from the interpreter into this module's native
    /// code *pinned*: counted in [`Code::pins`] for as long as it runs,
    /// with the entry read after the pin is taken. A JIT that evicts code
    /// relies on this rule: after it resets an entry (`set_native(f, 0)`)
    /// and then sees `pins() == 0` (with a `SeqCst` fence between the
    /// two), no thread runs or is about to run the evicted code, which may
    /// then be freed. Native code of this module reaches other modules'
    /// functions only through the interpreter (`call_ref`), which pins
    /// them. Set it before the module is instantiated.
    pub fn set_reclaiming(&self) {
        self.jit.store(true, Ordering::Relaxed);
        self.reclaiming.store(true, Ordering::SeqCst);
    }

    /// Entries into this module's native code in progress (always 0
    /// unless [`Code::set_reclaiming`]).
    pub fn pins(&self) -> usize {
        self.pins.load(Ordering::SeqCst)
    }

    /// Takes a pin when reclaiming: whether one was taken.
    #[inline(always)]
    fn pin(&self) -> bool {
        let r = self.reclaiming.load(Ordering::Relaxed);
        if r {
            // SeqCst read-modify-write: a full barrier before the entry is
            // read (the other half of the evictor's store, fence, load).
            self.pins.fetch_add(1, Ordering::SeqCst);
        }
        r
    }

    #[inline(always)]
    fn unpin(&self, pinned: bool) {
        if pinned {
            self.pins.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The tiering policy, if one was set.
    pub fn tiering(&self) -> Option<&Tiering> {
        self.tiering.get()
    }

    /// The loop threshold of the code of `ctx`.
    ///
    /// # Safety
    /// `ctx` is a live context with interpreter code.
    #[inline(always)]
    unsafe fn loop_limit(ctx: *const VmCtx) -> u32 {
        unsafe { (*((*ctx).code as *const Code)).tier_loops.load(Ordering::Relaxed) }
    }

    /// The defined-function index of `func`, one of `self.funcs`.
    fn index_of(&self, func: *const IFunc) -> u32 {
        ((func as usize - self.funcs.as_ptr() as usize) / std::mem::size_of::<IFunc>()) as u32
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

/// What ends a run other than a return or a trap, carried past native
/// frames (which only know statuses) to the outermost [`Vm::invoke`]: the
/// trap slot holds [`PENDING`] meanwhile.
enum Pending {
    /// An error that is not a trap (e.g. the stack bounds are unreadable,
    /// a helper was called against its contract).
    Error(Error),
    /// A panic in Rust code that native code called (a host function, a
    /// tier-up hook): it resumes once no native frame is left.
    Panic(Box<dyn Any + Send>),
}

/// Value and frame stacks, reused across calls of one store.
///
/// The value stack is allocated once, at [`MAX_SLOTS`], and never moves:
/// native code holds pointers into it. While a call runs,
/// `ExecState::host` points to the `Vm`, so code called from native code
/// can run interpreted functions nested in the same machine
/// ([`native_calls`]). Everything that may lead to such a nested run
/// therefore takes the `Vm` as a raw pointer, and no `&mut Vm` is alive
/// across a call of native code.
pub struct Vm {
    /// The value stack (allocated by the first call).
    slots: Option<Slots>,
    frames: Vec<Frame>,
    /// The store's execution state (fuel, trap slot, depth).
    exec: *mut ExecState,
    /// What ends the outermost call instead of its trap ([`PENDING`]).
    pending: Option<Pending>,
    /// Converts values for host functions (function references are its
    /// pointers).
    store: Rc<Store>,
    /// The interpreted frames of the trap unwinding now, innermost first:
    /// the instance each ran in and its function index. Frames of native
    /// code are not in it (a JIT's calls leave no interpreter frame).
    /// Moved to `last_backtrace` when the outermost call fails, so it is
    /// empty whenever a call starts (and a successful call touches neither).
    backtrace: Option<Vec<(*const InstanceData, u32)>>,
    last_backtrace: Option<Vec<(*const InstanceData, u32)>>,
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
    /// The value stack's first slot (it never moves).
    stack: *mut u64,
    /// `Vm::frames` length when the outermost function was entered.
    entry_depth: usize,
    exec: *mut ExecState,
    loop_counter: *mut u32,
    /// `tier_loops` of the running instance's [`Code`] (refreshed whenever
    /// the running instance changes).
    loop_limit: u32,
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

thread_local! {
    /// This thread's native stack limit for generated code (0 = not read
    /// yet): the bounds of a thread's stack never change.
    static STACK_LIMIT: Cell<usize> = const { Cell::new(0) };
}

/// [`wasmlab_native::entry::stack_limit`] for this thread, read once.
fn thread_stack_limit() -> Result<usize, Error> {
    match STACK_LIMIT.get() {
        0 => {
            let l = wasmlab_native::entry::stack_limit(wasmlab_native::entry::STACK_HEADROOM)?;
            STACK_LIMIT.set(l);
            Ok(l)
        }
        l => Ok(l),
    }
}

/// The status of a failed call: the recorded trap code, or [`PENDING`]
/// (which names no trap) should the slot be empty.
///
/// # Safety
/// `exec` is the live execution state of the running store.
unsafe fn trap_status(exec: *mut ExecState) -> u32 {
    match unsafe { (*exec).trap } {
        0 => PENDING,
        code => code,
    }
}

impl Vm {
    /// Stacks for running code of `store`.
    pub fn new(store: Rc<Store>) -> Vm {
        Vm {
            slots: None,
            frames: Vec::new(),
            exec: store.exec(),
            pending: None,
            store,
            backtrace: None,
            last_backtrace: None,
        }
    }

    /// The frames of the last call that trapped, innermost first.
    pub fn last_backtrace(&self) -> Option<&[(*const InstanceData, u32)]> {
        self.last_backtrace.as_deref()
    }

    /// Keeps the interpreted frames of a trap in `func` of `vmctx`: the
    /// innermost run records them, the runs it unwinds keep that record.
    ///
    /// # Safety
    /// `vmctx` and every frame's context are live contexts with interpreter
    /// code, `func` one of its functions.
    #[cold]
    unsafe fn record_backtrace(&mut self, vmctx: *mut VmCtx, func: *const IFunc) {
        if self.backtrace.is_some() {
            return;
        }
        // With a JIT attached, frames of native code would be missing: an
        // incomplete trace would mislead, so there is none.
        let jit = |ctx: *mut VmCtx| unsafe { (*((*ctx).code as *const Code)).jit.load(Ordering::Relaxed) };
        if jit(vmctx) || self.frames.iter().any(|f| jit(f.vmctx)) {
            self.backtrace = Some(Vec::new());
            return;
        }
        let at = |ctx: *mut VmCtx, f: *const IFunc| unsafe {
            let code = &*((*ctx).code as *const Code);
            let inst = (*ctx).instance;
            (inst, (&(*inst).info).num_imported_funcs + code.index_of(f))
        };
        let mut trace = vec![at(vmctx, func)];
        trace.extend(self.frames.iter().rev().map(|f| at(f.vmctx, f.func)));
        self.backtrace = Some(trace);
    }

    /// Records `t` in the trap slot.
    #[cold]
    fn trap(&mut self, t: Trap) -> Trapped {
        // SAFETY: the `Vm` holds its store, which owns the execution state.
        unsafe { (*self.exec).trap = trap_code(t) };
        Trapped
    }

    /// Ends the running call with `p` instead of a trap: records
    /// [`PENDING`] and returns it as the status.
    ///
    /// # Safety
    /// `vm` is live and no reference to it is.
    #[cold]
    unsafe fn pend(vm: *mut Vm, p: Pending) -> u32 {
        unsafe {
            (*vm).pending = Some(p);
            (*(*vm).exec).trap = PENDING;
        }
        PENDING
    }

    /// Calls `f` with raw `args`; the raw results. Fuel is whatever the
    /// store's execution state holds.
    ///
    /// Sets the store's `ExecState::host` to `vm` for the call (null again
    /// afterwards) and `slots_end` to the value stack's end, and leaves
    /// `stack_limit` 0.
    ///
    /// # Safety
    /// `vm` must be live, not otherwise referenced during the call, and the
    /// only `Vm` of its store, at an address that does not change while
    /// the store lives (code called from native code reaches it through
    /// `ExecState::host`); `f` must be a function reference of that live
    /// store, whose instances' `VmCtx::code` point to [`Code`] of this
    /// interpreter, and `args` must match its signature.
    pub unsafe fn invoke(vm: *mut Vm, f: *const FuncRef, args: &[u64]) -> Result<Vec<u64>, Error> {
        unsafe {
            let nresults = sig::func_type((*f).sig).results.len();
            if (*vm).slots.is_none() {
                (*vm).slots = Some(Slots::new()?);
            }
            let stack = (*vm).stack();
            let exec = (*vm).exec;
            let depth = (*exec).depth;
            (*exec).host = vm as *mut ();
            (*exec).slots_end = stack.add(MAX_SLOTS) as u64;
            // Outside generated code (the first call of native code sets
            // it, see `call_native`).
            (*exec).stack_limit = 0;
            let r = Vm::invoke_raw(vm, f, args, nresults);
            // SAFETY: the call has returned; nothing else refers to the
            // execution state now.
            let exec = &mut *exec;
            // A trap abandons the frames it unwinds.
            exec.depth = depth;
            exec.stack_limit = 0;
            exec.host = std::ptr::null_mut();
            if r.is_err() || (*vm).pending.is_some() {
                (*vm).last_backtrace = (*vm).backtrace.take();
            }
            match ((*vm).pending.take(), r) {
                (Some(p), _) => {
                    exec.trap = 0;
                    match p {
                        Pending::Error(e) => Err(e),
                        Pending::Panic(payload) => std::panic::resume_unwind(payload),
                    }
                }
                (None, Ok(())) => Ok(std::slice::from_raw_parts(stack, nresults).to_vec()),
                (None, Err(Trapped)) => {
                    Err(exec.take_trap().unwrap_or_else(|| Error::Internal("trapped with an empty trap slot".into())))
                }
            }
        }
    }

    /// The value stack's first slot (allocated).
    #[inline(always)]
    fn stack(&self) -> *mut u64 {
        match &self.slots {
            Some(s) => s.base(),
            None => std::ptr::null_mut(),
        }
    }

    /// [`Vm::invoke`] up to the results, which are left at `stack[..]`.
    ///
    /// # Safety
    /// As [`Vm::invoke`], with the value stack allocated.
    unsafe fn invoke_raw(vm: *mut Vm, f: *const FuncRef, args: &[u64], nresults: usize) -> Result<(), Trapped> {
        unsafe {
            if args.len().max(nresults) > MAX_SLOTS {
                return Err((*vm).trap(Trap::StackOverflow));
            }
            let stack = (*vm).stack();
            std::ptr::copy_nonoverlapping(args.as_ptr(), stack, args.len());
            (*vm).frames.clear();
            if !(*f).host.is_null() {
                (*vm).call_host(f, std::ptr::null_mut(), stack)
            } else {
                Vm::call_at(vm, (*f).vmctx, (*f).index, 0)
            }
        }
    }

    /// Calls defined function `index` of the instance of `ctx` with its
    /// frame at `stack[base..]` (arguments in, results out), to its
    /// return: natively when it has a native entry (or gets one by tiering
    /// up now), else interpreted, nested above the frames of any run in
    /// progress, which it leaves as they were.
    ///
    /// # Safety
    /// `vm` is live and not referenced; `ctx` is a live context of its
    /// store with interpreter [`Code`]; `index` is a defined function of
    /// it; the arguments are in place and `base` leaves the frames of the
    /// runs in progress intact.
    unsafe fn call_at(vm: *mut Vm, ctx: *mut VmCtx, index: u32, base: usize) -> Result<(), Trapped> {
        unsafe {
            let code = (*ctx).code as *const Code;
            let func = (*code).funcs.as_ptr().add(index as usize);
            let mut entry = (*func).native();
            if entry == 0 {
                let count = (*ctx).call_counts.add(index as usize);
                *count = (*count).wrapping_add(1);
                if *count == (*code).tier_calls.load(Ordering::Relaxed) {
                    entry = tier_up(code, ctx, index);
                }
            }
            let frame = (*vm).stack().add(base);
            if entry != 0
                && let Some(status) = call_native_pinned(vm, code, func, entry, ctx, frame)
            {
                return if status == 0 { Ok(()) } else { Err(Trapped) };
            }
            let exec = (*vm).exec;
            let depth = (*exec).depth;
            let frames = (*vm).frames.len();
            (*vm).enter(&*func, base)?;
            let r = Vm::run(vm, func, ctx, index, base);
            // Leave the frame stack and the depth as the runs in progress
            // had them (after a trap too: what unwinds is abandoned).
            (*vm).frames.truncate(frames);
            (*exec).depth = depth;
            r
        }
    }

    /// Calls a host function with the arguments at `frame[..]`, its results
    /// to `frame[..]`. A host that returns with the trap slot set has
    /// trapped.
    ///
    /// The function sees the memory the calling instance `caller` exports
    /// (null: the host called it).
    ///
    /// # Safety
    /// `f` is a live host function reference of this store; `frame` holds
    /// as many slots as it has parameters and results; `caller` is null or
    /// a live context of this store.
    #[inline(never)]
    unsafe fn call_host(&mut self, f: *const FuncRef, caller: *mut VmCtx, frame: *mut u64) -> Result<(), Trapped> {
        // SAFETY: a host FuncRef points to its live HostFunc.
        let h = unsafe { &*(*f).host };
        // SAFETY: the caller guarantees the argument slots.
        let args: Vec<Val> = (h.ty.params.iter().enumerate())
            .map(|(i, t)| self.store.raw_to_val(unsafe { *frame.add(i) }, *t))
            .collect();
        let mut caller = InterpCaller(caller);
        let results = match h.call(&mut caller, &args) {
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
        for (i, v) in results.into_iter().enumerate() {
            // A function reference must be a handle of this store.
            match self.store.val_to_raw(v) {
                // SAFETY: the caller guarantees the result slots.
                Ok(raw) => unsafe { *frame.add(i) = raw },
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
        if need > MAX_SLOTS {
            return Err(self.trap(Trap::StackOverflow));
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
        // Most calls have no locals beyond their parameters: no call of
        // `memset` for them.
        let locals = (func.num_locals - func.num_params) as usize;
        if locals != 0 {
            // SAFETY: the stack is allocated (calls start in `invoke`), and
            // `base + num_locals <= need <= MAX_SLOTS`.
            unsafe { std::ptr::write_bytes(self.stack().add(base + func.num_params as usize), 0, locals) };
        }
        Ok(())
    }

    /// Runs `func` (entered at stack `base`, counted) until it returns.
    ///
    /// # Safety
    /// As [`Vm::call_at`], with the frame entered.
    unsafe fn run(vm: *mut Vm, func: *const IFunc, vmctx: *mut VmCtx, index: u32, base: usize) -> Result<(), Trapped> {
        unsafe {
            let exec = (*vm).exec;
            let stack = (*vm).stack();
            let code = (*func).code.as_ptr();
            let mut st = State {
                vm,
                vmctx,
                func,
                code,
                base,
                stack,
                entry_depth: (*vm).frames.len(),
                exec,
                loop_counter: (*vmctx).loop_counts.add(index as usize),
                loop_limit: Code::loop_limit(vmctx),
                sp_limit: native_sp().saturating_sub(NATIVE_STACK_BUDGET),
                next: code,
                regs: stack.add(base),
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
                Flow::Trap => {
                    let s = &*st;
                    (*vm).record_backtrace(s.vmctx, s.func);
                    Err(Trapped)
                }
                _ => Ok(()),
            }
        }
    }
}

/// A call of defined function `index` of `ctx` made its call count reach
/// the tier-up threshold: asks the hook for code, installs it and takes
/// the call back from the count (the native code counts it itself). The
/// entry, or 0 to keep interpreting.
///
/// # Safety
/// `code` and `ctx` are live, `ctx` an instance of `code`, `index` one of
/// its defined functions.
#[cold]
#[inline(never)]
unsafe fn tier_up(code: *const Code, ctx: *mut VmCtx, index: u32) -> usize {
    let code = unsafe { &*code };
    let Some(t) = code.tiering.get() else { return 0 };
    match t.hook.compile(index) {
        Some(entry) if entry != 0 => {
            code.set_native(index, entry);
            // SAFETY: the instance's counters are live; `index` is in range.
            unsafe {
                let count = (*ctx).call_counts.add(index as usize);
                *count = (*count).wrapping_sub(1);
            }
            entry
        }
        _ => {
            // Asked again after as many calls (a background compile may
            // have been dropped, or the function evicted since).
            // SAFETY: as above.
            unsafe { *(*ctx).call_counts.add(index as usize) = 0 };
            0
        }
    }
}

/// A back-edge to `target` made the running function's loop count reach
/// the threshold: asks the hook for an on-stack-replacement entry at the
/// loop header and, given one, runs the rest of the function there with
/// its frame `regs`. Where to continue: `target` (no entry), the
/// `Return` that ends the function (it returned natively, results in
/// `regs[0..]`), or null (it trapped).
///
/// # Safety
/// `st` is the running state, `target` an instruction of the running
/// function, `regs` its frame.
#[cold]
#[inline(never)]
unsafe fn osr(st: *mut State, target: *const Op, regs: *mut u64) -> *const Op {
    unsafe {
        let s = &*st;
        let code = &*((*s.vmctx).code as *const Code);
        let Some(t) = code.tiering.get() else { return target };
        let index = code.index_of(s.func);
        let pc = target.offset_from(s.code) as u32;
        // Pinned before the hook answers: the entry it gives stays valid
        // until the pin is released.
        let pinned = code.pin();
        let next = match t.hook.osr_entry(index, pc) {
            Osr::Entry(entry) if entry != 0 => match call_native(s.vm, entry, s.vmctx, regs) {
                0 => &handlers::RETURN,
                _ => std::ptr::null(),
            },
            Osr::Pending => {
                *s.loop_counter = s.loop_limit.wrapping_sub(1);
                target
            }
            _ => {
                *s.loop_counter = 0;
                target
            }
        };
        code.unpin(pinned);
        next
    }
}

/// Calls native code `entry` of `func` (of `code`) as [`call_native`]
/// does, under a pin when the JIT reclaims code ([`Code::set_reclaiming`]):
/// the entry is read again under the pin, and `None` means the function
/// was evicted meanwhile (it is to be interpreted).
///
/// # Safety
/// As [`call_native`]; `func` is one of `code`'s functions, `entry` its
/// entry as read before.
unsafe fn call_native_pinned(
    vm: *mut Vm,
    code: *const Code,
    func: *const IFunc,
    entry: usize,
    ctx: *mut VmCtx,
    frame: *mut u64,
) -> Option<u32> {
    unsafe {
        let pinned = (*code).pin();
        let entry = if pinned { (*func).native() } else { entry };
        let status = (entry != 0).then(|| call_native(vm, entry, ctx, frame));
        (*code).unpin(pinned);
        status
    }
}

/// Calls native code `entry` with `ctx` and `frame`; its status. Sets the
/// stack limit of generated code on the first call in a store's call
/// (cleared by [`Vm::invoke`] on the way out), so that entering native
/// code costs no more than the call.
///
/// # Safety
/// `vm` is live and not referenced; `entry` is a `NativeFunc` that
/// follows the calling convention, `ctx` its callee's live context and
/// `frame` inside the value stack with room for its frame.
#[inline(never)]
unsafe fn call_native(vm: *mut Vm, entry: usize, ctx: *mut VmCtx, frame: *mut u64) -> u32 {
    unsafe {
        let exec = (*vm).exec;
        if (*exec).stack_limit == 0 {
            match thread_stack_limit() {
                Ok(l) => (*exec).stack_limit = l as u64,
                Err(e) => return Vm::pend(vm, Pending::Error(e)),
            }
        }
        // SAFETY: nonzero entries are `NativeFunc`s (`Code::set_native`).
        let f = std::mem::transmute::<usize, NativeFunc>(entry);
        match wasmlab_native::call(f, ctx, frame) {
            Ok(status) => status,
            Err(e) => Vm::pend(vm, Pending::Error(e)),
        }
    }
}

/// A host function's view of its calling instance.
struct InterpCaller(*mut VmCtx);

impl wasmlab_contract::Caller for InterpCaller {
    fn memory(&mut self, name: &str) -> Option<&mut [u8]> {
        if self.0.is_null() {
            return None;
        }
        // SAFETY: a live context of the store (`Vm::call_host`); its memory
        // lives as long as the instance, and nothing else touches it while
        // the host function runs (wasm code is suspended in the call).
        unsafe {
            let ctx = &*self.0;
            let inst = &*ctx.instance;
            match inst.info.export(name) {
                Some((wasmlab_runtime::info::ExportKind::Memory, _)) if !ctx.memory.is_null() => {
                    Some((*ctx.memory).data_mut())
                }
                _ => None,
            }
        }
    }
}
