//! `interp`: the in-house register-IR interpreter.
//!
//! Compile = validate + read the module ([`wasmlab_runtime::ModuleInfo`]) +
//! translate every function to register IR ([`wasmlab_regir`]).
//! Instantiate = the shared runtime's linking and segment initialization,
//! then the start function. Execution is the dispatch loop in [`exec`].
//!
//! Supports Wasm 2.0 without SIMD. A module needing more is
//! `Error::Unsupported`.
//!
//! The JIT engines are built on this one: they compile the same IR
//! ([`InterpEngine::compile_parts`], [`InterpModule::new`]) and attach
//! native code to the module's [`Code`] (entries, tiering), which the
//! interpreter then calls; stores, instances, host calls and invocation
//! stay the interpreter's.

pub mod exec;

use std::any::Any;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;

use wasmlab_contract::{
    Engine, EngineConfig, Error, Extern, Features, FuncDesc, Imports, Instance, Module, Result, Store, Val,
    downcast_module,
};
use wasmlab_runtime::{ExecState, FuncRef, InstanceData, Item, ModuleInfo, sig};

pub use exec::Code;
use exec::Vm;

/// The proposals the interpreter implements.
pub const FEATURES: Features = Features::WASM2_NO_SIMD;

pub struct InterpEngine {
    features: Features,
    fuel: Option<u64>,
    memory_cap: u64,
}

impl InterpEngine {
    pub fn new(config: &EngineConfig) -> InterpEngine {
        InterpEngine {
            features: config.features.intersection(FEATURES),
            fuel: config.fuel,
            memory_cap: config.memory_cap_pages.unwrap_or(wasmlab_runtime::memory::PAGE_CAP),
        }
    }

    /// A fresh store, typed (the contract's `new_store` boxes it).
    pub fn store(&self) -> InterpStore {
        InterpStore { inner: Rc::new(StoreInner::new(self.fuel, self.memory_cap)) }
    }

    /// What [`Engine::compile`] builds a module from: validates `wasm`,
    /// reads its structure and translates every defined function to
    /// register IR (in order).
    pub fn compile_parts(&self, wasm: &[u8]) -> Result<(Arc<ModuleInfo>, Vec<wasmlab_regir::Func>)> {
        let info = ModuleInfo::new(wasm, self.features)?;
        let funcs = wasmlab_regir::translate_module(&info, wasm)?;
        Ok((Arc::new(info), funcs))
    }
}

/// A compiled module: its structure and its functions' code (and what a
/// JIT attached to it).
pub struct InterpModule {
    info: Arc<ModuleInfo>,
    code: Arc<Code>,
}

impl InterpModule {
    /// The module of `info` with the functions `funcs` (its defined
    /// functions' IR, in order, as [`InterpEngine::compile_parts`] gives).
    pub fn new(info: Arc<ModuleInfo>, funcs: &[wasmlab_regir::Func]) -> InterpModule {
        InterpModule { info, code: Arc::new(Code::new(funcs)) }
    }

    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }

    /// The code every instance runs, where a JIT installs native entries.
    pub fn code(&self) -> &Arc<Code> {
        &self.code
    }
}

impl Module for InterpModule {
    fn as_any(&self) -> &dyn Any {
        self
    }

    /// `None` for the plain interpreter; the bytes of native code once a
    /// JIT attached to the module.
    fn code_bytes(&self) -> Option<usize> {
        self.code.native_bytes()
    }
}

impl Engine for InterpEngine {
    fn name(&self) -> &'static str {
        "interp"
    }

    fn version(&self) -> String {
        env!("CARGO_PKG_VERSION").to_string()
    }

    fn features(&self) -> Features {
        self.features
    }

    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        let (info, funcs) = self.compile_parts(wasm)?;
        Ok(Box::new(InterpModule::new(info, &funcs)))
    }

    fn new_store(&self) -> Box<dyn Store> {
        Box::new(self.store())
    }
}

struct StoreInner {
    rt: Rc<wasmlab_runtime::Store>,
    /// The store's machine, boxed once and only ever used through this
    /// pointer: a run nested in native code reaches it through
    /// `ExecState::host` while an outer run is using it, so no `&mut` to
    /// it may span a run.
    vm: *mut Vm,
    /// A call is running (a host function calling back into the store
    /// is refused).
    busy: Cell<bool>,
    fuel: Option<u64>,
}

impl Drop for StoreInner {
    fn drop(&mut self) {
        // SAFETY: made by `Box::into_raw` in `new`, freed once; no call is
        // running (it would hold the store).
        drop(unsafe { Box::from_raw(self.vm) });
    }
}

/// Clears [`StoreInner::busy`] when the call ends, however it ends.
struct Idle<'a>(&'a Cell<bool>);

impl Drop for Idle<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}

impl StoreInner {
    fn new(fuel: Option<u64>, memory_cap: u64) -> StoreInner {
        let rt = wasmlab_runtime::Store::with_memory_cap(memory_cap);
        let vm = Box::into_raw(Box::new(Vm::new(rt.clone())));
        StoreInner { rt, vm, busy: Cell::new(false), fuel }
    }

    /// Calls `f` with raw arguments (already type-checked).
    fn invoke(&self, f: *const FuncRef, args: &[u64]) -> Result<Vec<u64>> {
        if self.busy.replace(true) {
            return Err(Error::Internal("re-entrant call into the store".into()));
        }
        let _idle = Idle(&self.busy);
        // Fuel is a budget per call from the host; what is left stays in
        // the execution state.
        let fuel = self.fuel.map_or(i64::MAX, |f| f.min(i64::MAX as u64) as i64);
        // SAFETY: the store's execution state is alive while the store is.
        unsafe { (*self.rt.exec()).fuel = fuel };
        // SAFETY: the `Vm` is this store's only one, boxed at a fixed
        // address, and not in use (`busy`); `f` belongs to this store
        // (alive: we hold it), whose instances all carry interpreter code;
        // the caller checked the args.
        unsafe { Vm::invoke(self.vm, f, args) }
    }
}

pub struct InterpStore {
    inner: Rc<StoreInner>,
}

impl Store for InterpStore {
    fn instantiate(&mut self, module: &dyn Module, imports: &Imports) -> Result<Box<dyn Instance>> {
        Ok(Box::new(self.instantiate_typed(module, imports)?))
    }
}

impl InterpStore {
    /// The store's execution state: fuel, trap slot and call depth, as
    /// executing code (and a host function that stands in for it) sees
    /// them.
    pub fn exec_state(&self) -> *mut ExecState {
        self.inner.rt.exec()
    }

    /// [`Store::instantiate`], returning the typed instance.
    pub fn instantiate_typed(&mut self, module: &dyn Module, imports: &Imports) -> Result<InterpInstance> {
        let m: &InterpModule = downcast_module(module, "interp")?;
        let code_ptr = Arc::as_ptr(&m.code) as *const ();
        let owner: Arc<dyn Any> = m.code.clone();
        // Native code reads the entries through the VM context (set before
        // segments, so an instance whose instantiation failed half-way is
        // callable from native code too); the interpreter from the `Code`.
        let inst = self.inner.rt.instantiate(m.info.clone(), code_ptr, m.code.native_table(), owner, imports)?;
        if let Some(start) = m.info.start {
            // SAFETY: the instance is alive in the store.
            let f = unsafe { (*inst).func(start) };
            self.inner.invoke(f, &[])?;
        }
        Ok(InterpInstance { store: self.inner.clone(), inst })
    }
}

pub struct InterpInstance {
    store: Rc<StoreInner>,
    inst: *mut InstanceData,
}

impl InterpInstance {
    fn data(&self) -> &InstanceData {
        // SAFETY: the instance lives as long as its store, which we hold.
        unsafe { &*self.inst }
    }

    /// Calls of each defined function so far (the tier-up counters).
    pub fn call_counts(&self) -> &[u32] {
        &self.data().call_counts
    }

    /// Loop back-edges taken in each defined function so far.
    pub fn loop_counts(&self) -> &[u32] {
        &self.data().loop_counts
    }
}

impl Instance for InterpInstance {
    fn call(&mut self, export: &str, args: &[Val]) -> Result<Vec<Val>> {
        let f = match self.data().export_item(export) {
            Some(Item::Func(f)) => f,
            Some(_) => {
                return Err(Error::Usage(format!("export \"{export}\" is not a function")));
            }
            None => return Err(Error::Usage(format!("unknown export \"{export}\""))),
        };
        // SAFETY: function references of our store are alive.
        let ty = sig::func_type(unsafe { (*f).sig });
        ty.check_args(export, args)?;
        let raw: Vec<u64> = args.iter().map(|a| self.store.rt.val_to_raw(*a)).collect::<Result<_>>()?;
        let results = self.store.invoke(f, &raw)?;
        Ok(results.iter().zip(&ty.results).map(|(r, t)| self.store.rt.raw_to_val(*r, *t)).collect())
    }

    fn global(&mut self, export: &str) -> Option<Val> {
        self.data().global_value(&self.store.rt, export)
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        self.data().memory_bytes(export)
    }

    fn table(&mut self, export: &str) -> Option<Vec<Val>> {
        self.data().table_values(&self.store.rt, export)
    }

    /// Function indices (the CLI names them from the name section), the
    /// innermost first; frames of another instance carry a mark.
    fn last_backtrace(&mut self) -> Option<Vec<String>> {
        // SAFETY: the store's `Vm` is alive and idle between calls.
        let trace = unsafe { (*self.store.vm).last_backtrace() }.filter(|t| !t.is_empty())?;
        let own = self.inst as *const InstanceData;
        Some(
            trace
                .iter()
                .map(|(i, f)| if *i == own { format!("func[{f}]") } else { format!("<other instance>!func[{f}]") })
                .collect(),
        )
    }

    fn describe_func(&mut self, handle: u32) -> Option<FuncDesc> {
        self.data().describe_func(&self.store.rt, handle)
    }

    fn export(&mut self, name: &str) -> Option<Extern> {
        self.data().export(&self.store.rt, name)
    }
}
