//! Stores and instances shared by the three wasmtime engines.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmlab_contract::{
    Error, Extern, ExternKind, FuncDesc, Import, Imports, Instance, Module, Result, Store, Val, downcast_module,
};
use wasmtime::Func;

use crate::WtModule;
use crate::convert::{self, HostTrap, StoreData, call_error};

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

struct Inner {
    store: wasmtime::Store<StoreData>,
}

pub(crate) struct WtStore {
    id: u64,
    inner: Rc<RefCell<Inner>>,
    fuel: Option<u64>,
}

/// What a wasmtime export is as an [`Extern`] handle: only valid in the
/// store it came from.
#[derive(Clone)]
struct WtExtern {
    store_id: u64,
    ext: wasmtime::Extern,
}

impl WtStore {
    pub(crate) fn new(engine: &wasmtime::Engine, fuel: Option<u64>) -> WtStore {
        let store = wasmtime::Store::new(engine, StoreData::default());
        WtStore {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            inner: Rc::new(RefCell::new(Inner { store })),
            fuel,
        }
    }
}

impl Store for WtStore {
    fn instantiate(&mut self, module: &dyn Module, imports: &Imports) -> Result<Box<dyn Instance>> {
        let module = &downcast_module::<WtModule>(module, "wasmtime")?.module;
        let mut inner = self.inner.borrow_mut();
        let store = &mut inner.store;
        if let Some(fuel) = self.fuel {
            // Start functions run on the same budget as a call.
            store.set_fuel(fuel).map_err(|e| Error::Internal(format!("{e:#}")))?;
        }
        let mut externs = Vec::new();
        for imp in module.imports() {
            let item =
                imports.get(imp.module(), imp.name()).ok_or_else(|| Imports::unknown(imp.module(), imp.name()))?;
            externs.push(match item {
                Import::Func(host) => {
                    let ty = wasmtime::FuncType::new(
                        store.engine(),
                        host.ty.params.iter().map(|t| convert::to_wasmtime_type(*t)),
                        host.ty.results.iter().map(|t| convert::to_wasmtime_type(*t)),
                    );
                    let host = host.clone();
                    wasmtime::Extern::Func(Func::new(&mut *store, ty, move |mut caller, params, results| {
                        let args = params
                            .iter()
                            .map(|p| convert::from_wasmtime(&mut caller, p))
                            .collect::<Result<Vec<_>>>()
                            .map_err(wasmtime::Error::new)?;
                        let out = host
                            .call(&mut WtCaller(&mut caller), &args)
                            .map_err(|t| wasmtime::Error::new(HostTrap(t)))?;
                        if out.len() != results.len() {
                            return Err(wasmtime::Error::msg("host function returned the wrong number of results"));
                        }
                        for (slot, v) in results.iter_mut().zip(&out) {
                            *slot = convert::to_wasmtime(&mut caller, v).map_err(wasmtime::Error::new)?;
                        }
                        Ok(())
                    }))
                }
                Import::Extern(e) => match e.downcast::<WtExtern>() {
                    Some(w) if w.store_id == self.id => w.ext.clone(),
                    Some(_) => return Err(Error::Link("import comes from another store".into())),
                    None => return Err(Error::Link("import was not exported by a wasmtime engine".into())),
                },
            });
        }
        let instance =
            wasmtime::Instance::new(&mut *store, module, &externs).map_err(|e| match convert::trap_of(&e) {
                Some(t) => Error::Trap(t),
                None => Error::Link(format!("{e:#}")),
            })?;
        drop(inner);
        Ok(Box::new(WtInstance {
            store_id: self.id,
            inner: self.inner.clone(),
            instance,
            fuel: self.fuel,
            export_names: None,
            backtrace: None,
        }))
    }
}

struct WtInstance {
    store_id: u64,
    inner: Rc<RefCell<Inner>>,
    instance: wasmtime::Instance,
    fuel: Option<u64>,
    /// Each exported function's handle -> its smallest export name, made on
    /// the first `describe_func` (exports never change).
    export_names: Option<HashMap<u32, String>>,
    /// The frames of the last trap (`Instance::last_backtrace`).
    backtrace: Option<Vec<String>>,
}

impl Instance for WtInstance {
    fn call(&mut self, export: &str, args: &[Val]) -> Result<Vec<Val>> {
        let mut inner = self.inner.borrow_mut();
        let store = &mut inner.store;
        let func = self
            .instance
            .get_func(&mut *store, export)
            .ok_or_else(|| Error::Usage(format!("no exported function '{export}'")))?;
        let ty = func.ty(&*store);
        let expected = convert::func_type(&ty).ok_or_else(|| Error::Unsupported(format!("signature of '{export}'")))?;
        expected.check_args(export, args)?;
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel).map_err(|e| Error::Internal(format!("{e:#}")))?;
        }
        let params = args.iter().map(|a| convert::to_wasmtime(&mut *store, a)).collect::<Result<Vec<_>>>()?;
        let mut results = vec![wasmtime::Val::I32(0); ty.results().len()];
        if let Err(e) = func.call(&mut *store, &params, &mut results) {
            self.backtrace = e.downcast_ref::<wasmtime::WasmBacktrace>().map(convert::frames);
            return Err(call_error(e));
        }
        results.iter().map(|r| convert::from_wasmtime(&mut *store, r)).collect()
    }

    fn last_backtrace(&mut self) -> Option<Vec<String>> {
        self.backtrace.clone()
    }

    fn global(&mut self, export: &str) -> Option<Val> {
        let mut inner = self.inner.borrow_mut();
        let store = &mut inner.store;
        let g = self.instance.get_global(&mut *store, export)?;
        let v = g.get(&mut *store);
        convert::from_wasmtime(&mut *store, &v).ok()
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        let mut inner = self.inner.borrow_mut();
        let store = &mut inner.store;
        let m = self.instance.get_memory(&mut *store, export)?;
        Some(m.data(&*store).to_vec())
    }

    fn table(&mut self, export: &str) -> Option<Vec<Val>> {
        let mut inner = self.inner.borrow_mut();
        let store = &mut inner.store;
        let t = self.instance.get_table(&mut *store, export)?;
        let mut out = Vec::new();
        for i in 0..t.size(&*store) {
            let r = t.get(&mut *store, i)?;
            let v = match r {
                wasmtime::Ref::Func(f) => wasmtime::Val::FuncRef(f),
                wasmtime::Ref::Extern(e) => wasmtime::Val::ExternRef(e),
                _ => return None,
            };
            out.push(convert::from_wasmtime(&mut *store, &v).ok()?);
        }
        Some(out)
    }

    fn describe_func(&mut self, handle: u32) -> Option<FuncDesc> {
        let mut inner = self.inner.borrow_mut();
        let store = &mut inner.store;
        let f = *store.data().funcs.get(handle as usize)?;
        let ty = convert::func_type(&f.ty(&*store))?;
        let instance = self.instance;
        // Handles are one per function (see `convert::func_handle`), so
        // equal handles mean the same function.
        let names = self.export_names.get_or_insert_with(|| {
            let funcs: Vec<(String, Func)> = instance
                .exports(&mut *store)
                .filter_map(|e| {
                    let name = e.name().to_string();
                    e.into_func().map(|f| (name, f))
                })
                .collect();
            FuncDesc::export_names(funcs.into_iter().map(|(name, g)| (name, convert::func_handle(&mut *store, &g))))
        });
        Some(FuncDesc { ty, export: names.get(&handle).cloned() })
    }

    fn export(&mut self, name: &str) -> Option<Extern> {
        let mut inner = self.inner.borrow_mut();
        let store = &mut inner.store;
        let ext = self.instance.get_export(&mut *store, name)?;
        let kind = match &ext {
            wasmtime::Extern::Func(f) => ExternKind::Func(convert::func_type(&f.ty(&*store))?),
            wasmtime::Extern::Global(g) => {
                let ty = g.ty(&*store);
                ExternKind::Global {
                    ty: convert::val_type(ty.content())?,
                    mutable: ty.mutability() == wasmtime::Mutability::Var,
                }
            }
            wasmtime::Extern::Memory(_) | wasmtime::Extern::SharedMemory(_) => ExternKind::Memory,
            wasmtime::Extern::Table(_) => ExternKind::Table,
            _ => return None,
        };
        Some(Extern::new(kind, WtExtern { store_id: self.store_id, ext }))
    }
}

/// A host function's view of its wasmtime caller.
struct WtCaller<'a, 'b, T: 'static>(&'a mut wasmtime::Caller<'b, T>);

impl<T: 'static> wasmlab_contract::Caller for WtCaller<'_, '_, T> {
    fn memory(&mut self, name: &str) -> Option<&mut [u8]> {
        let m = self.0.get_export(name)?.into_memory()?;
        Some(m.data_mut(&mut *self.0))
    }
}
