//! Tiering: how an interpreter hands hot functions to a compiler without
//! depending on it.
//!
//! Every defined function has a native entry in its instance's
//! [`VmCtx::native`](crate::VmCtx) table: 0 while it runs interpreted, else
//! the address of its compiled code (a `wasmlab_native::NativeFunc`). The
//! interpreter calls native code whenever an entry is set, and generated
//! code calls back into the interpreter for a function whose entry is
//! still 0. A JIT engine that compiles everything up front sets every entry
//! before the first call; a tiered one gives the interpreter a [`Tiering`]:
//! when a function's call counter or loop counter reaches its threshold,
//! the interpreter asks the [`TierUp`] hook for code.

use std::sync::Arc;

/// A compiler that promotes hot functions of one module (implemented by a
/// JIT engine, called by the interpreter).
pub trait TierUp: Send + Sync {
    /// Compiles defined function `func` (index among the module's defined
    /// functions); its native entry, or `None` when there is none now (it
    /// cannot be compiled, or is being compiled in the background and will
    /// be installed with `Code::set_native`). The function keeps running
    /// interpreted and its call count starts again: the hook is asked again
    /// after as many calls as the threshold.
    fn compile(&self, func: u32) -> Option<usize>;

    /// The on-stack-replacement entry of `func` at IR instruction `pc`, a
    /// loop header (the target of a backward branch): code with the
    /// function's calling convention that starts at `pc` with every
    /// register read from the frame, as the interpreter left it. Compiles
    /// the function if needed.
    fn osr_entry(&self, func: u32, pc: u32) -> Osr;
}

/// What a [`TierUp`] hook answers at a hot loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Osr {
    /// Enter this native code (the hook keeps it alive for the call).
    Entry(usize),
    /// Code is on its way (compiling in the background): ask again at the
    /// next back-edge.
    Pending,
    /// No entry: keep interpreting; the loop count starts again, so the
    /// hook is asked again after as many back-edges as the threshold.
    No,
}

/// When an interpreter tiers up, and to what.
#[derive(Clone)]
pub struct Tiering {
    /// Calls of a function after which it is compiled (at least 1).
    pub calls: u32,
    /// Loop back-edges taken in one function after which the interpreter
    /// enters compiled code at the loop header (at least 1).
    pub loops: u32,
    pub hook: Arc<dyn TierUp>,
}
