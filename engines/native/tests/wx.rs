//! W^X seen from outside: while generated code runs, the kernel reports no
//! mapping of ours (or anyone's) that is writable and executable, and the
//! code's own pages are read-execute.

use wasmlab_native::{CodeBuffer, maps};

/// A sysv64 function that reads `/proc/self/maps` by calling back into
/// Rust: `mov rax, imm64; jmp rax` to `check`, so the check runs while a
/// native frame of generated code is on the stack.
fn trampoline_to(target: extern "sysv64" fn(usize) -> u32) -> Vec<u8> {
    let mut c = vec![0x48, 0xb8];
    c.extend_from_slice(&(target as usize as u64).to_le_bytes());
    c.extend_from_slice(&[0xff, 0xe0]);
    c
}

extern "sysv64" fn check(code_addr: usize) -> u32 {
    let maps = maps::current();
    assert!(!maps.is_empty(), "/proc/self/maps is readable");
    let bad: Vec<_> = maps.iter().filter(|m| m.writable_and_executable()).collect();
    assert!(bad.is_empty(), "writable and executable mappings: {bad:?}");
    let own = maps.iter().find(|m| m.contains(code_addr)).expect("the code is mapped");
    assert!(own.perms.starts_with("r-x"), "{own:?}");
    1
}

#[test]
fn no_mapping_is_writable_and_executable_while_generated_code_runs() {
    let code = CodeBuffer::from_bytes(&trampoline_to(check)).unwrap().publish().unwrap();
    // SAFETY: the bytes jump to `check` with the argument register
    // untouched, so this is a call of `check(code.base())`; `code` lives
    // across the call.
    let f: extern "sysv64" fn(usize) -> u32 = unsafe { std::mem::transmute(code.base()) };
    assert_eq!(f(code.base() as usize), 1);
}
