//! `interp`: the in-house register-IR interpreter.
//!
//! Compile = validate + read the module ([`wasmlab_runtime::ModuleInfo`]) +
//! translate every function to register IR ([`wasmlab_regir`]).
//! Instantiate = the shared runtime's linking and segment initialization,
//! then the start function. Execution is the dispatch loop in [`exec`].
//!
//! Supports Wasm 2.0 without SIMD. A module needing more is
//! `Error::Unsupported`.

pub mod exec;

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use wasmlab_contract::{
    Engine, EngineConfig, Error, Extern, Features, FuncDesc, Imports, Instance, Module, Result, Store, Val,
    downcast_module,
};
use wasmlab_runtime::{ExecState, FuncRef, InstanceData, Item, ModuleInfo, sig};

use exec::{Code, Vm};

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
}

/// A compiled module: its structure and its functions' IR.
pub struct InterpModule {
    info: Arc<ModuleInfo>,
    code: Arc<Code>,
}

impl InterpModule {
    pub fn info(&self) -> &ModuleInfo {
        &self.info
    }
    pub fn code(&self) -> &Code {
        &self.code
    }
}

impl Module for InterpModule {
    fn as_any(&self) -> &dyn Any {
        self
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
        let info = ModuleInfo::new(wasm, self.features)?;
        let funcs = wasmlab_regir::translate_module(&info, wasm)?;
        Ok(Box::new(InterpModule { info: Arc::new(info), code: Arc::new(Code::new(funcs)) }))
    }

    fn new_store(&self) -> Box<dyn Store> {
        Box::new(self.store())
    }
}

struct StoreInner {
    rt: Rc<wasmlab_runtime::Store>,
    vm: RefCell<Vm>,
    fuel: Option<u64>,
}

impl StoreInner {
    fn new(fuel: Option<u64>, memory_cap: u64) -> StoreInner {
        let rt = wasmlab_runtime::Store::with_memory_cap(memory_cap);
        let vm = RefCell::new(Vm::new(rt.clone()));
        StoreInner { rt, vm, fuel }
    }

    /// Calls `f` with raw arguments (already type-checked).
    fn invoke(&self, f: *const FuncRef, args: &[u64]) -> Result<Vec<u64>> {
        let mut vm = self.vm.try_borrow_mut().map_err(|_| Error::Internal("re-entrant call into the store".into()))?;
        // Fuel is a budget per call from the host; what is left stays in
        // the execution state.
        let fuel = self.fuel.map_or(i64::MAX, |f| f.min(i64::MAX as u64) as i64);
        // SAFETY: the store's execution state is alive while the store is.
        unsafe { (*self.rt.exec()).fuel = fuel };
        // SAFETY: `f` belongs to this store (alive: we hold it), whose
        // instances all carry interpreter code; the caller checked the args.
        unsafe { vm.invoke(f, args) }
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
        let inst = self.inner.rt.instantiate(m.info.clone(), code_ptr, owner, imports)?;
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

    fn describe_func(&mut self, handle: u32) -> Option<FuncDesc> {
        self.data().describe_func(&self.store.rt, handle)
    }

    fn export(&mut self, name: &str) -> Option<Extern> {
        self.data().export(&self.store.rt, name)
    }
}
