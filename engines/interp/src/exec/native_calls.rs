//! The functions generated code calls to leave native code for a call:
//! into a function reference of any kind ([`call_ref`]) or a defined
//! function of the calling instance ([`call_defined`]). They follow the
//! calling convention of `wasmlab_native` (`extern "sysv64"`, the `VmCtx`
//! first, a status back: 0 = returned, else the code of a trap recorded in
//! `ExecState::trap`).
//!
//! A callee with a native entry is called natively; a host function as
//! the interpreter calls one; an interpreted function runs in the store's
//! [`Vm`] (found through `ExecState::host`), nested above the runs in
//! progress and with its frame exactly at `frame`, so the interpreter's
//! frame layout holds across the tiers: interp -> native -> interp -> ...
//! to any depth (bounded by the native stack limit and the interpreter's
//! own limits). Calls count and tier up as the interpreter's own do.
//!
//! A panic in Rust code below these functions (a host function, a tier-up
//! hook) cannot unwind through native frames: it is caught here, carried
//! as a nonzero status to the outermost [`Vm::invoke`], and resumed there.
//!
//! # Safety (both functions)
//! - They are called from native code running in a call of
//!   [`Vm::invoke`] (so `ExecState::host` is that call's `Vm`), on its
//!   thread.
//! - `vmctx` is the live context of the calling instance.
//! - `frame` points into the store's value stack (between its start and
//!   `ExecState::slots_end`, 8-byte aligned) and holds the arguments in
//!   its first slots, with room for as many slots as the callee has
//!   parameters or results (and, for an interpreted callee, its whole
//!   frame, up to `slots_end`, which the interpreter checks); nothing of
//!   the caller's that must survive the call lies at or above `frame +
//!   max(params, results)` within the callee's frame.
//! - The arguments match the callee's signature (the caller checked a
//!   `call_indirect`'s signature and null already).

use std::panic::{AssertUnwindSafe, catch_unwind};

use wasmlab_contract::Error;
use wasmlab_runtime::{ExecState, FuncRef, VmCtx};

use super::{MAX_SLOTS, PENDING, Pending, Trapped, Vm, trap_status};

/// Calls the function `f` (host, or wasm of any instance of the store)
/// with its arguments in `frame[0..]`; its results go to `frame[0..]`.
/// The status: 0 = returned, else the recorded trap's code.
///
/// # Safety
/// See the [module docs](self); `f` is a non-null function reference of
/// the store.
pub unsafe extern "sysv64" fn call_ref(vmctx: *mut VmCtx, f: *const FuncRef, frame: *mut u64) -> u32 {
    // SAFETY: the caller guarantees a live context, a live function
    // reference and a frame in the value stack.
    unsafe {
        with_vm(vmctx, frame, |vm, base| {
            if (*f).host.is_null() {
                Vm::call_at(vm, (*f).vmctx, (*f).index, base)
            } else {
                (*vm).call_host(f, vmctx, frame)
            }
        })
    }
}

/// Calls defined function `func` (index among the defined functions) of
/// the instance of `vmctx`, as [`call_ref`].
///
/// # Safety
/// See the [module docs](self); `func` is a defined function of the
/// instance.
pub unsafe extern "sysv64" fn call_defined(vmctx: *mut VmCtx, func: u32, frame: *mut u64) -> u32 {
    // SAFETY: as `call_ref`.
    unsafe { with_vm(vmctx, frame, |vm, base| Vm::call_at(vm, vmctx, func, base)) }
}

/// Runs `call` with the store's running `Vm` and the stack slot of
/// `frame`; the status of its outcome, a panic carried as [`PENDING`].
///
/// # Safety
/// As the module docs; `call` does what they allow.
unsafe fn with_vm(vmctx: *mut VmCtx, frame: *mut u64, call: impl FnOnce(*mut Vm, usize) -> Result<(), Trapped>) -> u32 {
    unsafe {
        let exec: *mut ExecState = (*vmctx).exec;
        let vm = (*exec).host as *mut Vm;
        if vm.is_null() {
            // Not inside a call of this interpreter: nobody to tell but the
            // slot, whose code names no trap (an internal error).
            (*exec).trap = PENDING;
            return PENDING;
        }
        let stack = (*vm).stack();
        let offset = (frame as usize).wrapping_sub(stack as usize);
        if stack.is_null() || !offset.is_multiple_of(8) || offset / 8 >= MAX_SLOTS {
            return Vm::pend(
                vm,
                Pending::Error(Error::Internal(format!(
                    "native code called the interpreter with a frame outside the value stack ({frame:p})"
                ))),
            );
        }
        match catch_unwind(AssertUnwindSafe(|| call(vm, offset / 8))) {
            Ok(Ok(())) => 0,
            Ok(Err(Trapped)) => trap_status(exec),
            Err(payload) => Vm::pend(vm, Pending::Panic(payload)),
        }
    }
}
