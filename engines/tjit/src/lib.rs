//! `tjit`: the template JIT (copy and patch, the Fireball design) and the
//! two engines built on it.
//!
//! - [`template`]: the template library, built at compile time by
//!   `build.rs` (prebuilt machine code per wasm operator and operand kind,
//!   with its patch points), and patching;
//! - [`expand`]: a function's wasm operators to code, by copying templates
//!   and patching their holes (no IR: operators are read with wasmparser);
//! - [`sanity`]: the check every function passes before it is published
//!   (decodes cleanly, branches land on template boundaries) and its
//!   checksum; [`compile`]: expansion, check, W^X publication, checksum
//!   verified on the published bytes;
//! - [`cache`]: the code cache (byte budget, LRU eviction, code freed only
//!   when no thread can run it); [`tier`]: the interpreter's tier-up hook,
//!   the bounded request queue and the background workers; [`stats`]: the
//!   counters;
//! - [`listing`]: disassembly with each piece's template (`wasmlab asm`);
//! - [`engine`]: `tjit` (everything compiled before the first call) and
//!   `tjit-tiered` (interpreter first, hot functions compiled in the
//!   background).
//!
//! Both engines run on the interpreter's runtime (`wasmlab_interp`) and
//! the native-code runtime of `wasmlab_native` (executable memory, entry,
//! calling convention, runtime helpers) that `regjit` uses too.

pub mod cache;
pub mod compile;
pub mod engine;
pub mod expand;
pub mod listing;
pub mod sanity;
pub mod stats;
pub mod template;
pub mod tier;

pub use engine::{TieredEngine, TjitEngine, asm};
pub use expand::Fault;
