//! The native-code runtime that the lab's JITs (`regjit`, `tjit`) share,
//! knowing nothing of either: where generated machine code lives, how it
//! becomes executable, and how Rust enters it and gets its traps back.
//!
//! # Executable memory ([`code`])
//!
//! Code is written into read-write pages and then switched to
//! read-execute, so no page is ever writable and executable at once (W^X).
//!
//! # Calling convention (x86-64)
//!
//! One convention for every compiled wasm function, for calls between
//! them and for the entry from Rust ([`entry::enter`]). A compiled function
//! is a [`NativeFunc`]: a plain System V function
//! `extern "sysv64" fn(vmctx: *mut VmCtx, frame: *mut u64) -> u32`.
//!
//! - **`rdi`: the callee's `VmCtx`** (its instance's; a call to another
//!   instance's function passes that one, from its `FuncRef`). Generated
//!   code may pin it in a callee-saved register for its body.
//! - **`rsi`: the frame**: the parameters in slots `0..n`, one `u64` each in
//!   the runtime's raw slot encoding (`wasmlab_runtime::raw`); the function
//!   writes its results to slots `0..m` before returning. The caller
//!   provides `max(n, m)` slots: the interpreter's slot layout, so a call
//!   between interpreted and compiled code needs no conversion.
//! - **`eax`: the status**: 0 for a normal return; otherwise the
//!   function trapped, the trap's code (`wasmlab_runtime::trap_code`) is
//!   both returned and recorded in `ExecState::trap`, and every caller
//!   returns it at once, up to the entry, which turns it into the `Trap`.
//!   Traps thus unwind by ordinary returns: no signal handler, no
//!   `longjmp`, nothing to coexist with in a process that also runs
//!   wasmtime. After a trap, memory and globals hold exactly what the
//!   trapping instruction found (stores before it happened, it did not).
//! - **Registers**: System V's: `rbx`, `rbp`, `r12`–`r15` are callee-saved,
//!   the rest scratch; the stack is 16-byte aligned at each `call`.
//! - **Stack limit**: the prologue of every function that can call compares
//!   `rsp` with `ExecState::stack_limit` and traps with `StackOverflow`
//!   below it. [`entry::enter`] sets the limit from the thread's real stack
//!   bounds, keeping [`entry::STACK_HEADROOM`] free for Rust code that
//!   generated code calls out to, so deep recursion is a trap, never a
//!   crash of the process.
//! - **Calls out to the runtime** (`memory.grow`, bulk memory, table ops,
//!   host functions, functions still interpreted) are calls of `extern
//!   "sysv64"` Rust functions taking the `VmCtx` first and returning a
//!   status under the same rule; the ones both JITs share are in
//!   [`helpers`].

pub mod code;
pub mod entry;
pub mod helpers;
pub mod maps;

pub use code::{CODE_CAP, CodeBuffer, ExecutableCode};
pub use entry::{NativeFunc, call, enter};
