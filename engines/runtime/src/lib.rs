//! Shared runtime of the in-house engines (`interp`, and the JITs to come).
//!
//! - [`arith`]: wasm arithmetic beyond single machine operations (trapping
//!   division, float `min`/`max`, truncation), shared by every tier;
//! - [`info`]: a validated module's structure ([`ModuleInfo`]), read with
//!   wasmparser;
//! - [`sig`]: canonical signature ids (`call_indirect` checks compare ints);
//! - [`raw`]: the one-`u64`-per-value slot representation;
//! - [`vmctx`]: the `#[repr(C)]` VM context and its published offsets;
//! - [`memory`], [`table`]: linear memory and tables with their bulk ops;
//! - [`store`]: object ownership, linking, instantiation, value conversion;
//! - [`tier`]: the hook through which an interpreter hands hot functions to
//!   a JIT, and the per-function native entries they share.
//!
//! Executing code (interpreter or generated) belongs to the engines; the
//! runtime never runs wasm code, so the start function is the engine's job.

pub mod arith;
pub mod info;
pub mod memory;
pub mod par;
pub mod raw;
pub mod sig;
pub mod store;
pub mod table;
pub mod tier;
pub mod vmctx;

pub use info::ModuleInfo;
pub use memory::Memory;
pub use store::{FuncRef, Global, InstanceData, Item, RtExtern, Store};
pub use table::Table;
pub use tier::{Osr, TierUp, Tiering};
pub use vmctx::{ExecState, VmCtx, trap_code, trap_from_code};
