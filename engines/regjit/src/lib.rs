//! `regjit`: the register-IR JIT to x86-64, and the two engines built on it.
//!
//! - [`compile`]: one function's IR to machine code (the code generator;
//!   its `ops` submodule has the code of each instruction);
//! - [`regalloc`]: which IR registers live in machine registers;
//! - [`link`]: whole modules (direct calls patched between functions) and
//!   single functions for tier-up, published as executable code;
//! - [`listing`]: disassembly with the IR instruction each block came from
//!   (`wasmlab asm`);
//! - [`engine`]: the `regjit` (everything compiled before the first call)
//!   and `regjit-tiered` (interpreter first, hot functions compiled, loops
//!   entered by on-stack replacement) engines.
//!
//! Both engines run on the interpreter's runtime (`wasmlab_interp`): its
//! stores, instances, host calls and value stack, which is also the
//! compiled code's frame stack (an IR register is the same slot in both
//! tiers, so a call between them needs no conversion).

pub mod compile;
pub mod engine;
pub mod link;
pub mod listing;
mod operands;
pub mod regalloc;

pub use compile::{Fault, HostCalls, Options};
pub use engine::{RegjitEngine, TieredEngine};
