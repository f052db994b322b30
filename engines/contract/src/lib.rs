//! The engine contract: what every engine of the lab implements, and the
//! values, traps and errors that cross the boundary.
//!
//! An [`Engine`] compiles bytes into a [`Module`]; a [`Store`] holds runtime
//! state and instantiates modules into [`Instance`]s, linking their imports
//! against host functions and other instances' exports ([`Imports`]).
//! Compile and instantiate stay separate so startup can be timed per phase.
//!
//! This crate depends on no engine; every engine depends on it.

pub mod error;
pub mod features;
pub mod imports;
pub mod interface;
pub mod trap;
pub mod val;

use std::any::Any;
use std::path::PathBuf;

pub use error::{Error, Result};
pub use features::Features;
pub use imports::{Caller, Extern, ExternKind, HostFunc, Import, Imports, NoCaller};
pub use interface::{ExportDesc, ImportDesc, ModuleInterface};
pub use trap::Trap;
pub use val::{FuncDesc, FuncType, Val, ValType};

/// How the harness wants an engine set up. Engines take what applies to
/// them and ignore the rest.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Proposals to enable; intersected with what the engine supports. The
    /// spec suite runs with [`Features::WASM2`]: later proposals turn some
    /// of its `assert_invalid` cases valid.
    pub features: Features,
    /// Engine-side fuel (steps) per call; `None` = unlimited. Running out is
    /// [`Trap::OutOfFuel`].
    pub fuel: Option<u64>,
    /// Where engines that keep compiled artifacts on disk (AOT) put them;
    /// `None` = a default under the system temporary directory.
    pub cache_dir: Option<PathBuf>,
    /// The most 64 KiB pages one linear memory may have, for engines that
    /// take a cap (the lab's own; `None` = the wasm32 limit, 4 GiB). A module
    /// declaring more is [`Error::ResourceLimit`]; growth beyond fails (-1).
    pub memory_cap_pages: Option<u64>,
    /// Tiered engines: calls of a function after which it is compiled, and
    /// loop back-edges after which a running loop moves to compiled code
    /// (`None` = the engine's defaults).
    pub tier_calls: Option<u32>,
    pub tier_loops: Option<u32>,
    /// JITs with a code cache: its budget in bytes (`None` = the engine's
    /// default).
    pub code_cache_bytes: Option<usize>,
    /// Background compilers: worker threads and the request queue's
    /// capacity (`None` = the engine's defaults).
    pub compile_workers: Option<usize>,
    pub compile_queue: Option<usize>,
    /// Tiered engines compile at the tier-up point, synchronously, instead
    /// of in the background: the same run every time (reproducers).
    pub deterministic_tiering: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            features: Features::WASM2,
            fuel: None,
            cache_dir: None,
            memory_cap_pages: None,
            tier_calls: None,
            tier_loops: None,
            code_cache_bytes: None,
            compile_workers: None,
            compile_queue: None,
            deterministic_tiering: false,
        }
    }
}

/// Engine counters that are levels, not counts: a summary keeps their
/// largest value instead of adding them up.
pub const GAUGES: &[&str] = &["cache-bytes", "cache-peak-bytes", "template-bytes", "cache-budget-bytes"];

/// A configured engine. Cheap to share between threads.
pub trait Engine: Send + Sync {
    /// The name it is selected by: `"wasmtime"`, `"interp"`, ...
    fn name(&self) -> &'static str;
    /// Version of the engine proper (the crate version for peers).
    fn version(&self) -> String;
    /// The proposals this engine, as configured, accepts.
    fn features(&self) -> Features;
    /// Decode, validate and compile. A module that needs proposals outside
    /// [`Engine::features`] is [`Error::Unsupported`].
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>>;
    /// A fresh store: the runtime state instances live in and link within.
    fn new_store(&self) -> Box<dyn Store>;
    /// What the engine counted over its lifetime (a tiered engine's
    /// tier-ups and on-stack replacements), for campaign summaries and
    /// benchmarks. Cumulative, except the names in [`GAUGES`], which are
    /// the state now.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// Compile and instantiate in a fresh store, with no imports.
    fn instantiate_fresh(&self, wasm: &[u8]) -> Result<Box<dyn Instance>> {
        let module = self.compile(wasm)?;
        self.new_store().instantiate(module.as_ref(), &Imports::default())
    }
}

/// A compiled module: engine-specific, instantiable many times.
pub trait Module: Any {
    fn as_any(&self) -> &dyn Any;
    /// Bytes of machine code generated for this module, where the engine can
    /// tell (interpreters: `None`).
    fn code_bytes(&self) -> Option<usize> {
        None
    }
}

/// Runtime state shared by the instances created in it (and only them:
/// linking happens within one store).
pub trait Store {
    /// Instantiate `module` (compiled by the same engine), resolving its
    /// imports from `imports`. Runs the start function; a trap there is
    /// [`Error::Trap`], an unsatisfied import [`Error::Link`].
    fn instantiate(&mut self, module: &dyn Module, imports: &Imports) -> Result<Box<dyn Instance>>;
}

/// A live instance. Keeps its store alive.
pub trait Instance {
    /// Call an exported function. Unknown export or wrong argument types are
    /// [`Error::Usage`].
    fn call(&mut self, export: &str, args: &[Val]) -> Result<Vec<Val>>;
    /// The current value of an exported global.
    fn global(&mut self, export: &str) -> Option<Val>;
    /// A copy of an exported memory's bytes.
    fn memory(&mut self, export: &str) -> Option<Vec<u8>>;
    /// The elements of an exported table, in order (function references as
    /// this engine's handles: see [`Instance::describe_func`]).
    fn table(&mut self, export: &str) -> Option<Vec<Val>>;
    /// What the function behind a `Val::FuncRef` handle that this instance
    /// gave out is; `None` for a handle it never gave out.
    fn describe_func(&mut self, handle: u32) -> Option<FuncDesc>;
    /// An export as a linkable item, for other instances of the same store.
    fn export(&mut self, name: &str) -> Option<Extern>;
    /// The wasm frames of the last call that trapped, innermost first, one
    /// line each (function name or index), where the engine records them.
    fn last_backtrace(&mut self) -> Option<Vec<String>> {
        None
    }
}

/// Downcasts a module compiled by an engine back to that engine's type,
/// with a clear error when it came from another engine.
pub fn downcast_module<'a, T: 'static>(module: &'a dyn Module, engine: &str) -> Result<&'a T> {
    module
        .as_any()
        .downcast_ref::<T>()
        .ok_or_else(|| Error::Usage(format!("module was not compiled by the {engine} engine")))
}
