//! The instructions' handlers, one function per instruction (named like
//! it), grouped by concern in the submodules, and [`handler_for`], the
//! lookup generated from the IR's instruction table (so an op without a
//! handler does not compile).
//!
//! Handlers are written in a small language, the [`handlers!`] macro: see
//! there for what a body may do.

use wasmlab_runtime::arith::*;
use wasmlab_runtime::{InstanceData, Table};

use super::*;

/// `f(x)`: gives a closure in a handler body its operand type.
#[inline(always)]
fn apply1<T, R>(f: impl FnOnce(T) -> R, x: T) -> R {
    f(x)
}

/// `f(x, y)`: gives a closure in a handler body its operand types.
#[inline(always)]
fn apply2<T, R>(f: impl FnOnce(T, T) -> R, x: T, y: T) -> R {
    f(x, y)
}

/// Defines one handler function per instruction, named like it, in the
/// invoking module.
///
/// Each handler binds the instruction's fields, runs its body with
/// `next` = the following instruction, then continues there. Bodies may
/// change `next`, `regs`, `mem_base`, `mem_len`, or return (traps, returns,
/// trampolined jumps). Bodies reach the handler's arguments only through
/// the helper macros defined here (`r!`, `jump!`, `trap!`, ...): macro
/// hygiene keeps the call site's identifiers apart from the arguments.
macro_rules! handlers {
    ($($name:ident { $($field:ident),* } => $body:block)*) => {
        $(
            #[allow(
                non_snake_case,
                unused_mut,
                unused_variables,
                unused_macros,
                unused_unsafe,
                unused_assignments,
                unreachable_code,
                clippy::unnecessary_cast
            )]
            pub(super) unsafe fn $name(
                ip: *const Op,
                mut regs: *mut u64,
                mut mem_base: *mut u8,
                mut mem_len: u64,
                st: *mut State,
            ) -> Flow {
                unsafe {
                    let Instr::$name { $($field),* } = (*ip).instr else {
                        std::hint::unreachable_unchecked()
                    };
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
                    /// it costs fuel, counts for tier-up (the count reaching the
                    /// module's loop threshold asks for on-stack replacement, in
                    /// [`osr_at`]), and goes through the trampoline (which bounds the
                    /// native stack).
                    macro_rules! jump {
                        ($t:expr) => {{
                            let t = (*st).code.add($t as usize);
                            if t <= ip {
                                use_fuel!((*st).exec);
                                let s = &mut *st;
                                let n = (*s.loop_counter).wrapping_add(1);
                                *s.loop_counter = n;
                                if n == s.loop_limit {
                                    return osr_at(t, regs, mem_base, mem_len, st);
                                }
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
                            r!($d) = apply1($f, x) as u32 as u64;
                        }};
                    }
                    macro_rules! un64 {
                        ($d:expr, $s:expr, $f:expr) => {{
                            let x = r!($s);
                            r!($d) = apply1($f, x) as u64;
                        }};
                    }
                    macro_rules! unf32 {
                        ($d:expr, $s:expr, $f:expr) => {{
                            let x = f32::from_bits(r!($s) as u32);
                            r!($d) = apply1($f, x).to_bits() as u64;
                        }};
                    }
                    macro_rules! unf64 {
                        ($d:expr, $s:expr, $f:expr) => {{
                            let x = f64::from_bits(r!($s));
                            r!($d) = apply1($f, x).to_bits();
                        }};
                    }
                    macro_rules! bin32 {
                        ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                            let x = $x as u32;
                            let y = $y as u32;
                            r!($d) = apply2($f, x, y) as u32 as u64;
                        }};
                    }
                    macro_rules! bin64 {
                        ($d:expr, $x:expr, $y:expr, $f:expr) => {{
                            let x = $x as u64;
                            let y = $y as u64;
                            r!($d) = apply2($f, x, y) as u64;
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
                            r!($d) = apply2($f, x, y).to_bits() as u64;
                        }};
                    }
                    macro_rules! binf64 {
                        ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                            let x = f64::from_bits(r!($a));
                            let y = f64::from_bits(r!($b));
                            r!($d) = apply2($f, x, y).to_bits();
                        }};
                    }
                    macro_rules! cmpf32 {
                        ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                            let x = f32::from_bits(r!($a) as u32);
                            let y = f32::from_bits(r!($b) as u32);
                            r!($d) = apply2($f, x, y) as u64;
                        }};
                    }
                    macro_rules! cmpf64 {
                        ($d:expr, $a:expr, $b:expr, $f:expr) => {{
                            let x = f64::from_bits(r!($a));
                            let y = f64::from_bits(r!($b));
                            r!($d) = apply2($f, x, y) as u64;
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
                    /// Calls defined function `$index` of the instance of `$ctx`
                    /// (whose code is `$code`) with its registers at `regs[$b..]`.
                    /// With a native entry, runs it ([`call_native_at`]; native code
                    /// counts its call); else counts the call (reaching the call
                    /// threshold asks for code, in [`tier_up_at`]) and enters the
                    /// callee, through the trampoline (bounds the native stack under
                    /// recursion).
                    macro_rules! call_wasm {
                        ($code:expr, $index:expr, $ctx:expr, $b:expr) => {{
                            let code: *const Code = $code;
                            let index = $index as usize;
                            let ctx: *mut VmCtx = $ctx;
                            let callee: *const IFunc = (*code).funcs.as_ptr().add(index);
                            let entry = (*callee).native();
                            if entry != 0 {
                                return call_native_at(next, regs.add($b as usize), ctx, index as u32, entry, st);
                            }
                            let count = (*ctx).call_counts.add(index);
                            *count = (*count).wrapping_add(1);
                            if *count == (*code).tier_calls.load(Ordering::Relaxed) {
                                return tier_up_at(next, regs, ctx, index as u32, st, $b as usize);
                            }
                            if ctx != (*st).vmctx {
                                mem_base = (*ctx).mem_base;
                                mem_len = (*ctx).mem_len;
                            }
                            if !push_call(st, next, callee, index, ctx, $b as usize) {
                                return Flow::Trap;
                            }
                            let s = &*st;
                            regs = s.stack.add(s.base);
                            bounded_continue!(s.code);
                        }};
                    }
                    /// Calls any function reference: host, or wasm of any instance.
                    macro_rules! call_ref {
                        ($f:expr, $b:expr) => {{
                            let f: *const FuncRef = $f;
                            if (*f).host.is_null() {
                                let ctx = (*f).vmctx;
                                call_wasm!((*ctx).code as *const Code, (*f).index, ctx, $b);
                            } else if (*(*st).vm).call_host(f, (*st).vmctx, regs.add($b as usize)).is_err() {
                                return Flow::Trap;
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
                            if f.vmctx != s.vmctx {
                                s.loop_limit = Code::loop_limit(f.vmctx);
                            }
                            s.vmctx = f.vmctx;
                            s.loop_counter = f.loop_counter;
                            regs = s.stack.add(f.base);
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
    };
}

mod calls;
mod control;
mod convert;
mod float;
mod int;
mod memory;
mod moves;
mod tables;

use calls::*;
use control::*;
use convert::*;
use float::*;
use int::*;
use memory::*;
use moves::*;
use tables::*;

/// Generates [`handler_for`] from the instruction table.
macro_rules! handler_table {
    (
        unary: [$($un:ident),* $(,)?],
        binary: [$($bin:ident),* $(,)?],
        imm32: [$($i32op:ident => $i32imm:ident),* $(,)?],
        imm64: [$($i64op:ident => $i64imm:ident),* $(,)?],
        commutative: [$($comm:ident),* $(,)?],
        compare32: [$($c32:ident, $c32imm:ident, $b32:ident, $b32imm:ident, not $c32not:ident, swap $c32sw:ident);* $(;)?],
        compare64: [$($c64:ident, $c64imm:ident, $b64:ident, $b64imm:ident, not $c64not:ident, swap $c64sw:ident);* $(;)?],
        loads: [$($ld:ident),* $(,)?],
        stores: [$($st:ident),* $(,)?],
        other: { $($(#[$m:meta])* $oname:ident $({ $($f:ident : $t:ty),* $(,)? })?),* $(,)? }
    ) => {
        /// The handler of an instruction.
        pub(super) fn handler_for(i: &Instr) -> Handler {
            match i {
                $(Instr::$un { .. } => $un,)*
                $(Instr::$bin { .. } => $bin,)*
                $(Instr::$i32op { .. } => $i32op, Instr::$i32imm { .. } => $i32imm,)*
                $(Instr::$i64op { .. } => $i64op, Instr::$i64imm { .. } => $i64imm,)*
                $(Instr::$c32 { .. } => $c32, Instr::$c32imm { .. } => $c32imm,)*
                $(Instr::$c64 { .. } => $c64, Instr::$c64imm { .. } => $c64imm,)*
                $(Instr::$b32 { .. } => $b32, Instr::$b32imm { .. } => $b32imm,)*
                $(Instr::$b64 { .. } => $b64, Instr::$b64imm { .. } => $b64imm,)*
                $(Instr::$ld { .. } => $ld,)*
                $(Instr::$st { .. } => $st,)*
                $(Instr::$oname { .. } => $oname,)*
            }
        }
    };
}

wasmlab_regir::for_each_instr!(handler_table);

// Slow paths of calls and back-edges. Handlers reach them by sibling calls
// (the handler's arguments, or values of the same kinds, in the same
// registers), never by calls that return into the handler: a handler that
// calls needs a stack frame, saved registers and all, on every execution,
// taken or not.

/// Continues at `next` from a slow path, as `bounded_continue!` does in a
/// handler: a tail call of its handler while the native stack is shallow,
/// else through the trampoline.
#[inline(always)]
unsafe fn dispatch(next: *const Op, regs: *mut u64, mem: *mut u8, len: u64, st: *mut State) -> Flow {
    unsafe {
        #[cfg(interp_tail_calls)]
        if native_sp() >= (*st).sp_limit {
            return ((*next).handler)(next, regs, mem, len, st);
        }
        let s = &mut *st;
        s.next = next;
        s.regs = regs;
        s.mem = mem;
        s.len = len;
        Flow::Continue
    }
}

/// Saves the caller's frame (to continue at `next`) and makes `callee`,
/// defined function `index` of `ctx`, entered with its registers at the
/// caller's `regs[b..]`, the running function. False when entering it
/// trapped.
///
/// # Safety
/// `st` is the running state; `callee` is defined function `index` of
/// `ctx`.
#[inline(always)]
unsafe fn push_call(
    st: *mut State,
    next: *const Op,
    callee: *const IFunc,
    index: usize,
    ctx: *mut VmCtx,
    b: usize,
) -> bool {
    unsafe {
        let s = &mut *st;
        let vm = &mut *s.vm;
        let new_base = s.base + b;
        if vm.enter(&*callee, new_base).is_err() {
            return false;
        }
        vm.frames.push(Frame { func: s.func, ip: next, base: s.base, vmctx: s.vmctx, loop_counter: s.loop_counter });
        if ctx != s.vmctx {
            s.vmctx = ctx;
            s.loop_limit = Code::loop_limit(ctx);
        }
        s.loop_counter = (*ctx).loop_counts.add(index);
        s.func = callee;
        s.base = new_base;
        s.code = (*callee).code.as_ptr();
        true
    }
}

/// A call whose callee, defined function `index` of `ctx`, has native
/// code: runs `entry` with the callee's frame at `frame`, then continues
/// the caller at `next` (with the memory reloaded: the callee may have
/// grown it). When the JIT reclaims code, the entry is read again under a
/// pin ([`Code::set_reclaiming`]); evicted meanwhile, the callee runs
/// interpreted, nested.
///
/// # Safety
/// `st` is the running state; `entry` the native code of `index`,
/// `frame` its frame in the running function's registers.
#[inline(never)]
unsafe fn call_native_at(
    next: *const Op,
    frame: *mut u64,
    ctx: *mut VmCtx,
    index: u32,
    entry: usize,
    st: *mut State,
) -> Flow {
    unsafe {
        let code = (*ctx).code as *const Code;
        let func = (*code).funcs.as_ptr().add(index as usize);
        let ok = match call_native_pinned((*st).vm, code, func, entry, ctx, frame) {
            Some(status) => status == 0,
            None => {
                let base = (frame as usize - (*st).stack as usize) / 8;
                Vm::call_at((*st).vm, ctx, index, base).is_ok()
            }
        };
        if !ok {
            return Flow::Trap;
        }
        let s = &*st;
        dispatch(next, s.stack.add(s.base), (*s.vmctx).mem_base, (*s.vmctx).mem_len, st)
    }
}

/// A call that made the call count of defined function `index` of `ctx`
/// reach the call threshold (the caller's registers are `regs`, the
/// callee's at `regs[b..]`): asks for code ([`tier_up`]) and runs this
/// call natively with it, else enters the callee interpreted.
///
/// # Safety
/// As [`call_native_at`], `index` a defined function of `ctx`.
#[cold]
#[inline(never)]
unsafe fn tier_up_at(next: *const Op, regs: *mut u64, ctx: *mut VmCtx, index: u32, st: *mut State, b: usize) -> Flow {
    unsafe {
        let code = (*ctx).code as *const Code;
        let entry = tier_up(code, ctx, index);
        if entry != 0 {
            return call_native_at(next, regs.add(b), ctx, index, entry, st);
        }
        if !push_call(st, next, (*code).funcs.as_ptr().add(index as usize), index as usize, ctx, b) {
            return Flow::Trap;
        }
        let s = &*st;
        dispatch(s.code, s.stack.add(s.base), (*ctx).mem_base, (*ctx).mem_len, st)
    }
}

/// A back-edge to `target` that made the loop count reach the loop
/// threshold: on-stack replacement if the hook has code ([`osr`]), else
/// the jump.
///
/// # Safety
/// As a handler's, `target` an instruction of the running function.
#[cold]
#[inline(never)]
unsafe fn osr_at(target: *const Op, regs: *mut u64, mem: *mut u8, len: u64, st: *mut State) -> Flow {
    unsafe {
        let next = osr(st, target, regs);
        if next.is_null() {
            return Flow::Trap;
        }
        dispatch(next, regs, mem, len, st)
    }
}

/// A `Return` outside any function's code: where a function continues
/// once native code entered on its stack (on-stack replacement) has
/// returned for it, its results in place.
pub(super) static RETURN: Op = Op { handler: Return, instr: Instr::Return };
