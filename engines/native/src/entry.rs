//! Entering generated code from Rust (see the calling convention in the
//! crate docs): the stack limit is set for the outermost entry, and a
//! nonzero status comes back as the `Trap` recorded in the `ExecState`.

use wasmlab_contract::Error;
use wasmlab_runtime::{ExecState, VmCtx};

/// A compiled wasm function: `(vmctx, frame) -> status` (crate docs).
pub type NativeFunc = unsafe extern "sysv64" fn(vmctx: *mut VmCtx, frame: *mut u64) -> u32;

/// Native stack kept free below the limit generated code checks, for Rust
/// code it calls out to (slow paths, host functions) and for the entry's
/// own frames.
pub const STACK_HEADROOM: usize = 256 << 10;

/// Calls `f` with `vmctx` and `frame`, and maps its status: `Ok` on a
/// normal return (results are in `frame`), the recorded trap otherwise.
///
/// The outermost entry on this thread (the store's `stack_limit` is 0)
/// sets the limit from the thread's stack bounds and clears it on the way
/// out; nested entries (generated code -> Rust -> generated code) keep it.
///
/// # Safety
/// `f` must be generated code that follows the calling convention, alive
/// (its `ExecutableCode` kept) for the whole call; `vmctx` must be a live
/// context whose `exec` points to its store's `ExecState`; `frame` must
/// hold at least as many slots as `f` has parameters and results.
pub unsafe fn enter(f: NativeFunc, vmctx: *mut VmCtx, frame: &mut [u64]) -> Result<(), Error> {
    // SAFETY: the caller's guarantees are `call`'s.
    let status = unsafe { call(f, vmctx, frame.as_mut_ptr())? };
    // SAFETY: the caller guarantees `vmctx` and its `exec` are live.
    let exec = unsafe { &mut *(*vmctx).exec };
    match status {
        0 => Ok(()),
        _ => Err(exec.take_trap().unwrap_or_else(|| {
            Error::Internal(format!("generated code returned status {status} without recording a trap"))
        })),
    }
}

/// Calls `f` and returns its raw status, leaving a trap recorded in the
/// `ExecState` (for callers that pass traps on as statuses, such as an
/// interpreter calling compiled code). Sets the stack limit like
/// [`enter`]; `Err` only when this thread's stack bounds cannot be read.
///
/// # Safety
/// As [`enter`], with `frame` pointing to enough slots.
pub unsafe fn call(f: NativeFunc, vmctx: *mut VmCtx, frame: *mut u64) -> Result<u32, Error> {
    // SAFETY: the caller guarantees `vmctx` and its `exec` are live.
    let exec: *mut ExecState = unsafe { (*vmctx).exec };
    let outermost = unsafe { (*exec).stack_limit == 0 };
    if outermost {
        let limit = stack_limit(STACK_HEADROOM)?;
        // SAFETY: as above.
        unsafe { (*exec).stack_limit = limit as u64 };
    }
    // SAFETY: the caller guarantees `f` follows the convention and the
    // frame is large enough.
    let status = unsafe { f(vmctx, frame) };
    if outermost {
        // SAFETY: as above; the call has returned.
        unsafe { (*exec).stack_limit = 0 };
    }
    Ok(status)
}

/// The lowest stack address generated code may use on this thread: the
/// bottom of the thread's stack plus `headroom`.
pub fn stack_limit(headroom: usize) -> Result<usize, Error> {
    let (low, size) = thread_stack()?;
    if size <= headroom {
        return Err(Error::ResourceLimit(format!("a native stack of {size} bytes leaves no room for generated code")));
    }
    Ok(low + headroom)
}

/// The current thread's stack: (lowest address, size).
fn thread_stack() -> Result<(usize, usize), Error> {
    // SAFETY: `attr` is initialised by pthread_getattr_np before use and
    // destroyed once; the out-pointers are valid locals.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return Err(Error::Internal("cannot read this thread's stack bounds".into()));
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let rc = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if rc != 0 {
            return Err(Error::Internal("cannot read this thread's stack bounds".into()));
        }
        Ok((addr as usize, size))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_lies_inside_this_threads_stack_below_the_current_frame() {
        let here = 0u8;
        let here = &here as *const u8 as usize;
        let limit = stack_limit(STACK_HEADROOM).unwrap();
        let (low, size) = thread_stack().unwrap();
        assert_eq!(limit, low + STACK_HEADROOM);
        assert!(limit < here && here < low + size, "{low:#x} <= {limit:#x} < {here:#x} < {:#x}", low + size);
        assert!(matches!(stack_limit(usize::MAX), Err(Error::ResourceLimit(_))));
    }
}
