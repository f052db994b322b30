//! wasmi, the strongest Rust interpreter, behind the engine contract: the
//! peer of our interpreter and a second, independent oracle.
//!
//! This is the only crate of the lab that depends on `wasmi`.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmlab_contract::{
    Engine, EngineConfig, Error, Extern, ExternKind, Features, FuncDesc, FuncType, Import, Imports, Instance, Module,
    Result, Store, Trap, Val, ValType, downcast_module,
};

/// wasmi's version (kept in step with the workspace pin by a test).
pub const WASMI_VERSION: &str = "2.0.0";

const SUPPORTED: Features = Features::WASM2
    .union(Features::RELAXED_SIMD)
    .union(Features::TAIL_CALL)
    .union(Features::MULTI_MEMORY)
    .union(Features::MEMORY64)
    .union(Features::EXTENDED_CONST)
    .union(Features::WIDE_ARITHMETIC)
    .union(Features::CUSTOM_PAGE_SIZES);

pub struct WasmiEngine {
    engine: wasmi::Engine,
    features: Features,
    fuel: Option<u64>,
}

impl WasmiEngine {
    pub fn new(config: &EngineConfig) -> WasmiEngine {
        let features = config.features.intersection(SUPPORTED);
        let has = |f| features.contains(f);
        let mut c = wasmi::Config::default();
        c.wasm_mutable_global(has(Features::MUTABLE_GLOBAL))
            .wasm_saturating_float_to_int(has(Features::SATURATING_FLOAT_TO_INT))
            .wasm_sign_extension(has(Features::SIGN_EXTENSION))
            .wasm_multi_value(has(Features::MULTI_VALUE))
            .wasm_bulk_memory(has(Features::BULK_MEMORY))
            .wasm_reference_types(has(Features::REFERENCE_TYPES))
            .wasm_simd(has(Features::SIMD))
            .wasm_relaxed_simd(has(Features::RELAXED_SIMD))
            .wasm_tail_call(has(Features::TAIL_CALL))
            .wasm_multi_memory(has(Features::MULTI_MEMORY))
            .wasm_memory64(has(Features::MEMORY64))
            .wasm_extended_const(has(Features::EXTENDED_CONST))
            .wasm_wide_arithmetic(has(Features::WIDE_ARITHMETIC))
            .wasm_custom_page_sizes(has(Features::CUSTOM_PAGE_SIZES))
            .consume_fuel(config.fuel.is_some());
        WasmiEngine { engine: wasmi::Engine::new(&c), features, fuel: config.fuel }
    }
}

impl Engine for WasmiEngine {
    fn name(&self) -> &'static str {
        "wasmi"
    }
    fn version(&self) -> String {
        WASMI_VERSION.to_string()
    }
    fn features(&self) -> Features {
        self.features
    }
    fn compile(&self, wasm: &[u8]) -> Result<Box<dyn Module>> {
        // Our own check first, so "needs another proposal" is told apart
        // from "invalid" the same way for every engine.
        self.features.check(wasm)?;
        let module = wasmi::Module::new(&self.engine, wasm)
            .map_err(|e| Error::Internal(format!("wasmi rejected a valid module: {e}")))?;
        Ok(Box::new(WasmiModule(module)))
    }
    fn new_store(&self) -> Box<dyn Store> {
        Box::new(WasmiStore {
            id: NEXT_STORE_ID.fetch_add(1, Ordering::Relaxed),
            store: Rc::new(RefCell::new(wasmi::Store::new(&self.engine, ()))),
            fuel: self.fuel,
        })
    }
}

struct WasmiModule(wasmi::Module);

impl Module for WasmiModule {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

static NEXT_STORE_ID: AtomicU64 = AtomicU64::new(1);

type SharedStore = Rc<RefCell<wasmi::Store<()>>>;

struct WasmiStore {
    id: u64,
    store: SharedStore,
    fuel: Option<u64>,
}

#[derive(Clone)]
struct WasmiExtern {
    store_id: u64,
    ext: wasmi::Extern,
}

/// A host function's trap, carried through wasmi's error type.
#[derive(Debug)]
struct HostTrap(Trap);

impl std::fmt::Display for HostTrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "host function trapped: {}", self.0)
    }
}

impl wasmi::errors::HostError for HostTrap {}

fn trap_of(e: &wasmi::Error) -> Option<Trap> {
    use wasmi::TrapCode as W;
    if let Some(h) = e.downcast_ref::<HostTrap>() {
        return Some(h.0);
    }
    Some(match e.as_trap_code()? {
        W::UnreachableCodeReached => Trap::Unreachable,
        W::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        W::TableOutOfBounds => Trap::TableOutOfBounds,
        W::IndirectCallToNull => Trap::IndirectCallToNull,
        W::IntegerDivisionByZero => Trap::IntegerDivisionByZero,
        W::IntegerOverflow => Trap::IntegerOverflow,
        W::BadConversionToInteger => Trap::BadConversionToInteger,
        W::StackOverflow => Trap::StackOverflow,
        W::BadSignature => Trap::BadSignature,
        W::OutOfFuel => Trap::OutOfFuel,
        _ => return None,
    })
}

fn val_type(t: &wasmi::ValType) -> ValType {
    match t {
        wasmi::ValType::I32 => ValType::I32,
        wasmi::ValType::I64 => ValType::I64,
        wasmi::ValType::F32 => ValType::F32,
        wasmi::ValType::F64 => ValType::F64,
        wasmi::ValType::V128 => ValType::V128,
        wasmi::ValType::FuncRef => ValType::FuncRef,
        wasmi::ValType::ExternRef => ValType::ExternRef,
    }
}

fn to_wasmi_type(t: ValType) -> wasmi::ValType {
    match t {
        ValType::I32 => wasmi::ValType::I32,
        ValType::I64 => wasmi::ValType::I64,
        ValType::F32 => wasmi::ValType::F32,
        ValType::F64 => wasmi::ValType::F64,
        ValType::V128 => wasmi::ValType::V128,
        ValType::FuncRef => wasmi::ValType::FuncRef,
        ValType::ExternRef => wasmi::ValType::ExternRef,
    }
}

fn func_type(t: &wasmi::FuncType) -> FuncType {
    FuncType { params: t.params().iter().map(val_type).collect(), results: t.results().iter().map(val_type).collect() }
}

/// Non-null function references handed to the harness, so a handle can
/// come back as an argument. A function gets one handle however often it
/// is handed out, so equal handles mean the same function.
#[derive(Default)]
struct FuncHandles(Vec<wasmi::Func>, std::collections::HashMap<String, u32>);

impl FuncHandles {
    fn handle(&mut self, f: &wasmi::Func) -> u32 {
        // wasmi 2.0 offers no public identity for a `Func`; its `Debug`
        // form prints the store id and arena key, which identify it (the
        // registry's `references` tests guard this against a wasmi upgrade).
        let key = format!("{f:?}");
        *self.1.entry(key).or_insert_with(|| {
            self.0.push(*f);
            (self.0.len() - 1) as u32
        })
    }
}

fn from_wasmi<C: wasmi::AsContext>(ctx: &C, handles: &mut FuncHandles, v: &wasmi::Val) -> Result<Val> {
    Ok(match v {
        wasmi::Val::I32(x) => Val::I32(*x),
        wasmi::Val::I64(x) => Val::I64(*x),
        wasmi::Val::F32(x) => Val::F32(x.to_bits()),
        wasmi::Val::F64(x) => Val::F64(x.to_bits()),
        wasmi::Val::V128(x) => Val::V128(x.as_u128()),
        wasmi::Val::FuncRef(r) => match r.val() {
            None => Val::FuncRef(None),
            Some(f) => Val::FuncRef(Some(handles.handle(f))),
        },
        wasmi::Val::ExternRef(r) => match r.val() {
            None => Val::ExternRef(None),
            Some(x) => match x.data(ctx.as_context()).downcast_ref::<u32>() {
                Some(v) => Val::ExternRef(Some(*v)),
                None => return Err(Error::Internal("externref not created by the lab".into())),
            },
        },
    })
}

fn to_wasmi(ctx: impl wasmi::AsContextMut, handles: &FuncHandles, v: &Val) -> Result<wasmi::Val> {
    Ok(match *v {
        Val::I32(x) => wasmi::Val::I32(x),
        Val::I64(x) => wasmi::Val::I64(x),
        Val::F32(b) => wasmi::Val::F32(wasmi::F32::from_bits(b)),
        Val::F64(b) => wasmi::Val::F64(wasmi::F64::from_bits(b)),
        Val::V128(x) => wasmi::Val::V128(wasmi::V128::from(x)),
        Val::FuncRef(None) => wasmi::Val::FuncRef(wasmi::Nullable::Null),
        Val::FuncRef(Some(h)) => {
            let f = handles.0.get(h as usize).ok_or_else(|| Error::Usage(format!("unknown funcref handle {h}")))?;
            wasmi::Val::FuncRef(wasmi::Nullable::Val(*f))
        }
        Val::ExternRef(None) => wasmi::Val::ExternRef(wasmi::Nullable::Null),
        Val::ExternRef(Some(x)) => wasmi::Val::ExternRef(wasmi::Nullable::Val(wasmi::ExternRef::new(ctx, x))),
    })
}

impl Store for WasmiStore {
    fn instantiate(&mut self, module: &dyn Module, imports: &Imports) -> Result<Box<dyn Instance>> {
        let module = &downcast_module::<WasmiModule>(module, "wasmi")?.0;
        let mut store = self.store.borrow_mut();
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel).map_err(|e| Error::Internal(e.to_string()))?;
        }
        let mut externs = Vec::new();
        for imp in module.imports() {
            let item =
                imports.get(imp.module(), imp.name()).ok_or_else(|| Imports::unknown(imp.module(), imp.name()))?;
            externs.push(match item {
                Import::Func(host) => {
                    let ty = wasmi::FuncType::new(
                        host.ty.params.iter().map(|t| to_wasmi_type(*t)),
                        host.ty.results.iter().map(|t| to_wasmi_type(*t)),
                    );
                    let host = host.clone();
                    let f = wasmi::Func::new(&mut *store, ty, move |mut caller, params, results| {
                        let mut handles = FuncHandles::default();
                        let args = params
                            .iter()
                            .map(|p| from_wasmi(&caller, &mut handles, p))
                            .collect::<Result<Vec<_>>>()
                            .map_err(|e| wasmi::Error::new(e.to_string()))?;
                        let out = host
                            .call(&mut WasmiCaller(&mut caller), &args)
                            .map_err(|t| wasmi::Error::host(HostTrap(t)))?;
                        if out.len() != results.len() {
                            return Err(wasmi::Error::new("host function returned the wrong number of results"));
                        }
                        for (slot, v) in results.iter_mut().zip(&out) {
                            *slot = to_wasmi(&mut caller, &handles, v).map_err(|e| wasmi::Error::new(e.to_string()))?;
                        }
                        Ok(())
                    });
                    wasmi::Extern::Func(f)
                }
                Import::Extern(e) => match e.downcast::<WasmiExtern>() {
                    Some(w) if w.store_id == self.id => w.ext,
                    Some(_) => return Err(Error::Link("import comes from another store".into())),
                    None => return Err(Error::Link("import was not exported by the wasmi engine".into())),
                },
            });
        }
        let instance = wasmi::Instance::new(&mut *store, module, &externs).map_err(|e| match trap_of(&e) {
            Some(t) => Error::Trap(t),
            // wasmi reports an active element segment that does not fit as
            // an instantiation error; in Wasm 2.0 it is a trap.
            None if matches!(
                e.kind(),
                wasmi::errors::ErrorKind::Instantiation(
                    wasmi::errors::InstantiationError::ElementSegmentDoesNotFit { .. }
                )
            ) =>
            {
                Error::Trap(Trap::TableOutOfBounds)
            }
            None => Error::Link(e.to_string()),
        })?;
        drop(store);
        Ok(Box::new(WasmiInstance {
            store_id: self.id,
            store: self.store.clone(),
            instance,
            fuel: self.fuel,
            handles: FuncHandles::default(),
            export_names: None,
        }))
    }
}

struct WasmiInstance {
    store_id: u64,
    store: SharedStore,
    instance: wasmi::Instance,
    fuel: Option<u64>,
    handles: FuncHandles,
    /// Each exported function's handle -> its smallest export name, made on
    /// the first `describe_func` (exports never change).
    export_names: Option<std::collections::HashMap<u32, String>>,
}

impl Instance for WasmiInstance {
    fn call(&mut self, export: &str, args: &[Val]) -> Result<Vec<Val>> {
        let mut store = self.store.borrow_mut();
        let func = self
            .instance
            .get_func(&*store, export)
            .ok_or_else(|| Error::Usage(format!("no exported function '{export}'")))?;
        let ty = func_type(&func.ty(&*store));
        ty.check_args(export, args)?;
        if let Some(fuel) = self.fuel {
            store.set_fuel(fuel).map_err(|e| Error::Internal(e.to_string()))?;
        }
        let params = args.iter().map(|a| to_wasmi(&mut *store, &self.handles, a)).collect::<Result<Vec<_>>>()?;
        let mut results: Vec<_> = ty.results.iter().map(|t| wasmi::Val::default_for_ty(to_wasmi_type(*t))).collect();
        func.call(&mut *store, &params, &mut results).map_err(|e| match trap_of(&e) {
            Some(t) => Error::Trap(t),
            None => Error::Internal(e.to_string()),
        })?;
        results.iter().map(|r| from_wasmi(&*store, &mut self.handles, r)).collect()
    }

    fn global(&mut self, export: &str) -> Option<Val> {
        let store = self.store.borrow();
        let v = self.instance.get_global(&*store, export)?.get(&*store);
        from_wasmi(&*store, &mut self.handles, &v).ok()
    }

    fn memory(&mut self, export: &str) -> Option<Vec<u8>> {
        let store = self.store.borrow();
        Some(self.instance.get_memory(&*store, export)?.data(&*store).to_vec())
    }

    fn table(&mut self, export: &str) -> Option<Vec<Val>> {
        let store = self.store.borrow();
        let t = self.instance.get_table(&*store, export)?;
        (0..t.size(&*store))
            .map(|i| from_wasmi(&*store, &mut self.handles, &wasmi::Val::from(t.get(&*store, i)?)).ok())
            .collect()
    }

    fn describe_func(&mut self, handle: u32) -> Option<FuncDesc> {
        let store = self.store.borrow();
        let f = *self.handles.0.get(handle as usize)?;
        let ty = func_type(&f.ty(&*store));
        let (instance, handles) = (self.instance, &mut self.handles);
        let names = self.export_names.get_or_insert_with(|| {
            FuncDesc::export_names(instance.exports(&*store).filter_map(|e| {
                let name = e.name().to_string();
                e.into_func().map(|f| (name, handles.handle(&f)))
            }))
        });
        Some(FuncDesc { ty, export: names.get(&handle).cloned() })
    }

    fn export(&mut self, name: &str) -> Option<Extern> {
        let store = self.store.borrow();
        let ext = self.instance.get_export(&*store, name)?;
        let kind = match &ext {
            wasmi::Extern::Func(f) => ExternKind::Func(func_type(&f.ty(&*store))),
            wasmi::Extern::Global(g) => {
                let ty = g.ty(&*store);
                ExternKind::Global { ty: val_type(&ty.content()), mutable: ty.mutability().is_mut() }
            }
            wasmi::Extern::Memory(_) => ExternKind::Memory,
            wasmi::Extern::Table(_) => ExternKind::Table,
        };
        Some(Extern::new(kind, WasmiExtern { store_id: self.store_id, ext }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_matches_the_lockfile() {
        let lock = include_str!("../../../Cargo.lock");
        let pos = lock.find("name = \"wasmi\"\n").expect("wasmi in Cargo.lock");
        assert_eq!(lock[pos..].lines().nth(1).unwrap(), format!("version = \"{WASMI_VERSION}\""));
    }

    #[test]
    fn calls_traps_globals_memory_and_refs() {
        let wasm = wat::parse_str(
            r#"(module
                (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
                (func (export "div") (param i64 i64) (result i64) local.get 0 local.get 1 i64.div_u)
                (func (export "id") (param externref) (result externref) local.get 0)
                (func (export "f") (param f64) (result f64) local.get 0)
                (func $loop (export "spin") (loop br 0))
                (func $rec (export "rec") call $rec)
                (global (export "g") i32 (i32.const -3))
                (memory (export "m") 1) (data (i32.const 0) "ok"))"#,
        )
        .unwrap();
        let e = WasmiEngine::new(&EngineConfig { fuel: Some(100_000), ..EngineConfig::default() });
        let mut inst = e.instantiate_fresh(&wasm).unwrap();
        assert_eq!(inst.call("add", &[Val::I32(-1), Val::I32(1)]), Ok(vec![Val::I32(0)]));
        assert_eq!(inst.call("div", &[Val::I64(1), Val::I64(0)]), Err(Error::Trap(Trap::IntegerDivisionByZero)));
        assert_eq!(inst.call("id", &[Val::ExternRef(Some(5))]), Ok(vec![Val::ExternRef(Some(5))]));
        assert_eq!(inst.call("f", &[Val::F64(0x7ff4_0000_0000_0001)]), Ok(vec![Val::F64(0x7ff4_0000_0000_0001)]));
        assert_eq!(inst.call("spin", &[]), Err(Error::Trap(Trap::OutOfFuel)));
        assert!(matches!(inst.call("rec", &[]), Err(Error::Trap(Trap::StackOverflow | Trap::OutOfFuel))));
        assert_eq!(inst.global("g"), Some(Val::I32(-3)));
        assert_eq!(&inst.memory("m").unwrap()[..2], b"ok");
    }

    #[test]
    fn host_functions_and_linking() {
        let wasm_a =
            wat::parse_str(r#"(module (global (export "g") i32 (i32.const 7)) (memory (export "m") 1))"#).unwrap();
        let wasm_b = wat::parse_str(
            r#"(module (import "a" "g" (global i32)) (import "a" "m" (memory 1))
                       (import "host" "double" (func $d (param i32) (result i32)))
                       (func (export "run") (result i32) global.get 0 call $d))"#,
        )
        .unwrap();
        let e = WasmiEngine::new(&EngineConfig::default());
        let mut store = e.new_store();
        let mut a = store.instantiate(e.compile(&wasm_a).unwrap().as_ref(), &Imports::new()).unwrap();
        let mut imports = Imports::new();
        imports.define("a", "g", Import::Extern(a.export("g").unwrap()));
        imports.define("a", "m", Import::Extern(a.export("m").unwrap()));
        imports.define(
            "host",
            "double",
            Import::Func(wasmlab_contract::HostFunc::new(FuncType::new([ValType::I32], [ValType::I32]), |args| {
                match args {
                    [Val::I32(x)] => Ok(vec![Val::I32(x * 2)]),
                    _ => Err(Trap::HostError),
                }
            })),
        );
        let b_mod = e.compile(&wasm_b).unwrap();
        let mut b = store.instantiate(b_mod.as_ref(), &imports).unwrap();
        assert_eq!(b.call("run", &[]), Ok(vec![Val::I32(14)]));
        // Missing import is a link error naming it.
        let err = store.instantiate(b_mod.as_ref(), &Imports::new()).err().unwrap();
        assert!(matches!(err, Error::Link(ref m) if m.starts_with("unknown import")), "{err:?}");
    }
}

/// A host function's view of its wasmi caller.
struct WasmiCaller<'a, 'b, T>(&'a mut wasmi::Caller<'b, T>);

impl<T> wasmlab_contract::Caller for WasmiCaller<'_, '_, T> {
    fn memory(&mut self, name: &str) -> Option<&mut [u8]> {
        let m = self.0.get_export(name)?.into_memory()?;
        Some(m.data_mut(&mut *self.0))
    }
}
