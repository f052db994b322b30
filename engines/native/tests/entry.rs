//! Generated code entered through the calling convention: results come
//! back in the frame, a trap recorded by generated code comes back as that
//! `Trap`, and runaway recursion stops at the stack limit as
//! `StackOverflow` instead of crashing the process.

use iced_x86::code_asm::*;
use wasmlab_contract::{Error, Trap};
use wasmlab_native::{CodeBuffer, ExecutableCode, NativeFunc, enter};
use wasmlab_runtime::{ExecState, VmCtx, trap_code};

/// Assembles at the buffer's final address and publishes.
fn assemble(build: impl FnOnce(&mut CodeAssembler) -> Result<(), IcedError>) -> ExecutableCode {
    let mut a = CodeAssembler::new(64).unwrap();
    build(&mut a).unwrap();
    let mut buf = CodeBuffer::new(4096).unwrap();
    let bytes = a.assemble(buf.base() as u64).unwrap();
    buf.push(&bytes).unwrap();
    buf.publish().unwrap()
}

fn func(code: &ExecutableCode) -> NativeFunc {
    // SAFETY: every test assembles a complete function that follows the
    // calling convention; each keeps `code` alive while calling.
    unsafe { std::mem::transmute::<*const u8, NativeFunc>(code.base()) }
}

/// A context whose only state is its `ExecState`.
struct Ctx {
    exec: Box<ExecState>,
    vmctx: Box<VmCtx>,
}

fn ctx() -> Ctx {
    let mut exec = Box::new(ExecState::default());
    let mut vmctx = Box::new(VmCtx::empty());
    vmctx.exec = &mut *exec;
    Ctx { exec, vmctx }
}

/// `trap` recorded and returned, as the convention asks.
fn raise(a: &mut CodeAssembler, trap: Trap) -> Result<(), IcedError> {
    let code = trap_code(trap);
    a.mov(rax, qword_ptr(rdi + VmCtx::EXEC))?;
    a.mov(dword_ptr(rax + ExecState::TRAP), code)?;
    a.mov(eax, code)?;
    a.ret()
}

#[test]
fn results_come_back_in_the_frame() {
    // i32.add of slots 0 and 1 into slot 0.
    let code = assemble(|a| {
        a.mov(eax, dword_ptr(rsi))?;
        a.add(eax, dword_ptr(rsi + 8))?;
        a.mov(qword_ptr(rsi), rax)?;
        a.xor(eax, eax)?;
        a.ret()
    });
    let mut c = ctx();
    let mut frame = [u32::MAX as u64, 2];
    // SAFETY: see `func`; the frame has both slots.
    unsafe { enter(func(&code), &mut *c.vmctx, &mut frame) }.unwrap();
    assert_eq!(frame[0], 1, "i32 results are zero-extended slots");
    assert_eq!(c.exec.stack_limit, 0, "the limit is cleared on the way out");
}

#[test]
fn a_trap_recorded_by_generated_code_comes_back_as_that_trap() {
    for trap in [Trap::Unreachable, Trap::MemoryOutOfBounds, Trap::IntegerDivisionByZero] {
        let code = assemble(|a| raise(a, trap));
        let mut c = ctx();
        // SAFETY: see `func`.
        let r = unsafe { enter(func(&code), &mut *c.vmctx, &mut []) };
        assert_eq!(r, Err(Error::Trap(trap)));
        assert_eq!(c.exec.trap, 0, "the slot is cleared once taken");
    }
    // A status without a recorded trap is the generated code's bug.
    let code = assemble(|a| {
        a.mov(eax, 5)?;
        a.ret()
    });
    let mut c = ctx();
    // SAFETY: see `func`.
    let r = unsafe { enter(func(&code), &mut *c.vmctx, &mut []) };
    assert!(matches!(r, Err(Error::Internal(ref m)) if m.contains("without recording")), "{r:?}");
}

/// A function that calls itself forever with a 4 KiB frame, checking the
/// stack limit in its prologue as the convention asks.
fn runaway() -> ExecutableCode {
    assemble(|a| {
        let mut entry = a.create_label();
        let mut overflow = a.create_label();
        a.set_label(&mut entry)?;
        a.mov(rax, qword_ptr(rdi + VmCtx::EXEC))?;
        a.cmp(rsp, qword_ptr(rax + ExecState::STACK_LIMIT))?;
        a.jb(overflow)?;
        // rsp is 8 mod 16 on entry: 4104 keeps the call aligned.
        a.sub(rsp, 4104)?;
        a.call(entry)?;
        a.add(rsp, 4104)?;
        a.ret()?;
        a.set_label(&mut overflow)?;
        raise(a, Trap::StackOverflow)
    })
}

#[test]
fn runaway_recursion_is_a_stack_overflow_trap_not_a_crash() {
    let code = runaway();
    let mut c = ctx();
    // SAFETY: see `func`.
    let r = unsafe { enter(func(&code), &mut *c.vmctx, &mut []) };
    assert_eq!(r, Err(Error::Trap(Trap::StackOverflow)));
    assert_eq!((c.exec.trap, c.exec.stack_limit), (0, 0));

    // On a thread with a small stack too, and again after the first trap.
    let small = std::thread::Builder::new()
        .stack_size(512 << 10)
        .spawn(move || {
            let mut c = ctx();
            (0..3)
                // SAFETY: see `func`; `code` moved into the thread.
                .map(|_| unsafe { enter(func(&code), &mut *c.vmctx, &mut []) })
                .collect::<Vec<_>>()
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(small.iter().all(|r| *r == Err(Error::Trap(Trap::StackOverflow))), "{small:?}");
}
