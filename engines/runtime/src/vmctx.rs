//! The VM context: the per-instance state that executing code reads through
//! one pointer. It is `#[repr(C)]` and its field offsets are published as
//! constants (checked by tests) so that generated machine code can address
//! the fields directly; the interpreter uses the same structure.
//!
//! Layout (x86-64, all fields 8 bytes):
//!
//! | offset | field          | meaning                                                     |
//! |-------:|----------------|-------------------------------------------------------------|
//! |      0 | `mem_base`     | base of linear memory 0 (dangling when it has 0 bytes)      |
//! |      8 | `mem_len`      | current byte length of memory 0 (0 without a memory)        |
//! |     16 | `globals`      | `*const *mut u64`: one value cell per global (imports shared)|
//! |     24 | `tables`       | `*const *mut Table`: one per table ([`Table::BASE`], [`Table::LEN`]) |
//! |     32 | `funcs`        | `*const *const FuncRef`: the function index space            |
//! |     40 | `sig_ids`      | `*const u32`: canonical signature id of each type index      |
//! |     48 | `exec`         | `*mut ExecState`: fuel, trap slot, depth (shared by a store) |
//! |     56 | `call_counts`  | `*mut u32`: calls of each defined function                   |
//! |     64 | `loop_counts`  | `*mut u32`: loop back-edges taken in each defined function   |
//! |     72 | `memory`       | `*mut Memory` (null without a memory)                        |
//! |     80 | `instance`     | `*const InstanceData` (runtime side, for slow paths)         |
//! |     88 | `code`         | engine-owned pointer to its compiled form of the module      |
//! |     96 | `native`       | `*const usize`: native entry of each defined function, 0 = not compiled ([`crate::tier`]) |
//!
//! `mem_base`/`mem_len` are a copy of the memory's state: every `memory.grow`
//! (from any instance sharing the memory) rewrites them in every VM context
//! that views the memory, so code only has to reload them after a call or a
//! grow, never check the memory object.
//!
//! Fuel, the trap slot and the call depth live in [`ExecState`], one per
//! store, because a call can cross instances and fuel is a budget for the
//! whole call. They are the live state, not copies: the interpreter reads
//! and writes them in place, as generated code will through `exec`.

use wasmlab_contract::{Error, Trap};

use crate::store::{FuncRef, InstanceData};
use crate::{Memory, Table};

#[repr(C)]
pub struct VmCtx {
    pub mem_base: *mut u8,
    pub mem_len: u64,
    pub globals: *const *mut u64,
    pub tables: *const *mut Table,
    pub funcs: *const *const FuncRef,
    pub sig_ids: *const u32,
    pub exec: *mut ExecState,
    pub call_counts: *mut u32,
    pub loop_counts: *mut u32,
    pub memory: *mut Memory,
    pub instance: *const InstanceData,
    pub code: *const (),
    pub native: *const usize,
}

impl VmCtx {
    pub const MEM_BASE: usize = 0;
    pub const MEM_LEN: usize = 8;
    pub const GLOBALS: usize = 16;
    pub const TABLES: usize = 24;
    pub const FUNCS: usize = 32;
    pub const SIG_IDS: usize = 40;
    pub const EXEC: usize = 48;
    pub const CALL_COUNTS: usize = 56;
    pub const LOOP_COUNTS: usize = 64;
    pub const MEMORY: usize = 72;
    pub const INSTANCE: usize = 80;
    pub const CODE: usize = 88;
    pub const NATIVE: usize = 96;
    pub const SIZE: usize = 104;

    /// A context that views nothing (no memory, no tables, no functions):
    /// what an instance starts from, and what tests of entry code use.
    pub fn empty() -> VmCtx {
        VmCtx {
            mem_base: std::ptr::NonNull::dangling().as_ptr(),
            mem_len: 0,
            globals: std::ptr::null(),
            tables: std::ptr::null(),
            funcs: std::ptr::null(),
            sig_ids: std::ptr::null(),
            exec: std::ptr::null_mut(),
            call_counts: std::ptr::null_mut(),
            loop_counts: std::ptr::null_mut(),
            memory: std::ptr::null_mut(),
            instance: std::ptr::null(),
            code: std::ptr::null(),
            native: std::ptr::null(),
        }
    }
}

/// Execution state shared by all instances of a store.
///
/// | offset | field   | meaning                                                       |
/// |-------:|---------|---------------------------------------------------------------|
/// |      0 | `fuel`  | steps left; an engine traps with `OutOfFuel` below zero       |
/// |      8 | `trap`  | trap slot: 0 = none, else the [`trap_code`] of a trap         |
/// |     12 | `depth` | wasm frames active in the store (bounded by the engine)       |
/// |     16 | `stack_limit` | lowest native stack address generated code may use; 0 outside generated code (set by the native entry) |
/// |     24 | `slots_end` | end of the store's value stack: a frame must end at or below it |
/// |     32 | `host`  | the executing engine's per-store state, for the slow paths generated code calls (opaque here) |
///
/// A trap is raised by recording it in the slot and returning; whoever
/// called into the code that returned (the interpreter, the host entry)
/// turns a nonzero slot into the [`Trap`] with [`ExecState::take_trap`].
#[repr(C)]
#[derive(Debug)]
pub struct ExecState {
    pub fuel: i64,
    pub trap: u32,
    pub depth: u32,
    pub stack_limit: u64,
    pub slots_end: u64,
    pub host: *mut (),
}

impl Default for ExecState {
    fn default() -> Self {
        ExecState { fuel: 0, trap: 0, depth: 0, stack_limit: 0, slots_end: 0, host: std::ptr::null_mut() }
    }
}

impl ExecState {
    pub const FUEL: usize = 0;
    pub const TRAP: usize = 8;
    pub const DEPTH: usize = 12;
    pub const STACK_LIMIT: usize = 16;
    pub const SLOTS_END: usize = 24;
    pub const HOST: usize = 32;

    /// Takes the recorded trap and clears the slot; `None` when no trap is
    /// recorded. A code that names no trap is an internal error.
    pub fn take_trap(&mut self) -> Option<Error> {
        match std::mem::take(&mut self.trap) {
            0 => None,
            code => {
                Some(trap_from_code(code).map_or_else(
                    || Error::Internal(format!("trap slot holds {code}, which names no trap")),
                    Error::Trap,
                ))
            }
        }
    }
}

/// The integer kept in [`ExecState::trap`] for a trap (never 0): its
/// position in [`Trap::ALL`] plus one.
#[inline(always)]
pub fn trap_code(t: Trap) -> u32 {
    // `Trap::ALL` lists the variants in declaration order (a test checks
    // the round trip), so the discriminant is the position.
    t as u32 + 1
}

/// The inverse of [`trap_code`].
pub fn trap_from_code(code: u32) -> Option<Trap> {
    code.checked_sub(1).and_then(|i| Trap::ALL.get(i as usize).copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn published_offsets_match_the_layout() {
        assert_eq!(offset_of!(VmCtx, mem_base), VmCtx::MEM_BASE);
        assert_eq!(offset_of!(VmCtx, mem_len), VmCtx::MEM_LEN);
        assert_eq!(offset_of!(VmCtx, globals), VmCtx::GLOBALS);
        assert_eq!(offset_of!(VmCtx, tables), VmCtx::TABLES);
        assert_eq!(offset_of!(VmCtx, funcs), VmCtx::FUNCS);
        assert_eq!(offset_of!(VmCtx, sig_ids), VmCtx::SIG_IDS);
        assert_eq!(offset_of!(VmCtx, exec), VmCtx::EXEC);
        assert_eq!(offset_of!(VmCtx, call_counts), VmCtx::CALL_COUNTS);
        assert_eq!(offset_of!(VmCtx, loop_counts), VmCtx::LOOP_COUNTS);
        assert_eq!(offset_of!(VmCtx, memory), VmCtx::MEMORY);
        assert_eq!(offset_of!(VmCtx, instance), VmCtx::INSTANCE);
        assert_eq!(offset_of!(VmCtx, code), VmCtx::CODE);
        assert_eq!(offset_of!(VmCtx, native), VmCtx::NATIVE);
        assert_eq!(std::mem::size_of::<VmCtx>(), VmCtx::SIZE);
        assert_eq!(offset_of!(ExecState, fuel), ExecState::FUEL);
        assert_eq!(offset_of!(ExecState, trap), ExecState::TRAP);
        assert_eq!(offset_of!(ExecState, depth), ExecState::DEPTH);
        assert_eq!(offset_of!(ExecState, stack_limit), ExecState::STACK_LIMIT);
        assert_eq!(offset_of!(ExecState, slots_end), ExecState::SLOTS_END);
        assert_eq!(offset_of!(ExecState, host), ExecState::HOST);
        assert_eq!(offset_of!(Table, base), Table::BASE);
        assert_eq!(offset_of!(Table, len), Table::LEN);
        assert_eq!(offset_of!(FuncRef, sig), FuncRef::SIG);
        assert_eq!(offset_of!(FuncRef, index), FuncRef::INDEX);
        assert_eq!(offset_of!(FuncRef, vmctx), FuncRef::VMCTX);
        assert_eq!(offset_of!(FuncRef, host), FuncRef::HOST);
    }

    #[test]
    fn trap_codes_round_trip_and_zero_is_no_trap() {
        for t in Trap::ALL {
            assert_ne!(trap_code(t), 0);
            assert_eq!(trap_from_code(trap_code(t)), Some(t), "{t:?}");
        }
        assert_eq!(trap_from_code(0), None);
        assert_eq!(trap_from_code(Trap::ALL.len() as u32 + 1), None);
    }

    #[test]
    fn take_trap_clears_the_slot_and_rejects_unknown_codes() {
        let mut e = ExecState::default();
        assert_eq!(e.take_trap(), None);
        e.trap = trap_code(Trap::BadSignature);
        assert_eq!(e.take_trap(), Some(Error::Trap(Trap::BadSignature)));
        assert_eq!(e.trap, 0);
        e.trap = 999;
        assert!(matches!(e.take_trap(), Some(Error::Internal(_))));
        assert_eq!(e.trap, 0);
    }
}
