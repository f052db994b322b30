//! The store: owner of every runtime object (instances, memories, tables,
//! globals, function references, host functions), instantiation (linking,
//! globals, segments in spec order) and conversion of values between the
//! contract's [`Val`] and raw slots.
//!
//! Objects are allocated once, never move and are freed only when the store
//! is dropped, so executing code can hold raw pointers to them (and a table
//! can keep references to functions of an instance whose instantiation
//! trapped half-way, as the spec requires). Instances and linkable externs
//! keep the store alive through an `Rc`.

use std::any::Any;
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmlab_contract::{Error, Extern, ExternKind, FuncDesc, HostFunc, Import, Imports, Val, ValType};

use crate::info::{ExportKind, ImportKind, Init, Limits, ModuleInfo, SegmentMode};
use crate::sig;
use crate::vmctx::{ExecState, VmCtx};
use crate::{Memory, Table};

/// A function reference: what a funcref slot points to and what calls go
/// through.
///
/// | offset | field   | meaning                                                       |
/// |-------:|---------|---------------------------------------------------------------|
/// |      0 | `sig`   | canonical signature id                                        |
/// |      4 | `index` | defined-function index within the owning instance             |
/// |      8 | `vmctx` | owning instance's VM context; null for a host function        |
/// |     16 | `host`  | the host function; null for a wasm function                   |
/// |     24 | `id`    | store-wide handle (the payload of `Val::FuncRef`)             |
#[repr(C)]
pub struct FuncRef {
    pub sig: u32,
    pub index: u32,
    pub vmctx: *mut VmCtx,
    pub host: *const HostFunc,
    pub id: u32,
}

impl FuncRef {
    pub const SIG: usize = 0;
    pub const INDEX: usize = 4;
    pub const VMCTX: usize = 8;
    pub const HOST: usize = 16;
}

/// A global's cell. `value` comes first so a `*mut Global` is also the
/// `*mut u64` of its value.
#[repr(C)]
pub struct Global {
    pub value: u64,
    pub ty: ValType,
    pub mutable: bool,
}

/// Runtime state of one instance. Lives in its store, at a fixed address.
pub struct InstanceData {
    pub vmctx: VmCtx,
    pub info: Arc<ModuleInfo>,
    globals: Vec<*mut u64>,
    global_objs: Vec<*mut Global>,
    tables: Vec<*mut Table>,
    funcs: Vec<*const FuncRef>,
    sig_ids: Vec<u32>,
    pub call_counts: Vec<u32>,
    pub loop_counts: Vec<u32>,
    /// Data segments; a dropped one is empty.
    pub datas: Vec<Arc<[u8]>>,
    /// Element segments as raw references; a dropped one is empty.
    pub elems: Vec<Vec<u64>>,
    /// Keeps the engine's compiled code (`vmctx.code`) alive.
    _code: Arc<dyn Any>,
}

/// An item exported by an instance of this runtime, as carried in a
/// contract [`Extern`].
#[derive(Clone)]
pub struct RtExtern {
    pub store: Rc<Store>,
    pub item: Item,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Func(*const FuncRef),
    Table(*mut Table),
    Memory(*mut Memory),
    Global(*mut Global),
}

#[derive(Default)]
struct Objects {
    instances: Vec<*mut InstanceData>,
    memories: Vec<*mut Memory>,
    tables: Vec<*mut Table>,
    globals: Vec<*mut Global>,
    funcs: Vec<*mut FuncRef>,
    hosts: Vec<*mut HostFunc>,
}

pub struct Store {
    id: u64,
    exec: *mut ExecState,
    objs: RefCell<Objects>,
    /// The most pages a memory made in this store may have.
    memory_cap: u64,
}

impl Drop for Store {
    fn drop(&mut self) {
        let o = self.objs.get_mut();
        // SAFETY: every pointer was made by `Box::into_raw` in `alloc` and
        // is freed exactly once, here; nothing outlives the store.
        unsafe {
            for &p in &o.instances {
                drop(Box::from_raw(p));
            }
            for &p in &o.memories {
                drop(Box::from_raw(p));
            }
            for &p in &o.tables {
                drop(Box::from_raw(p));
            }
            for &p in &o.globals {
                drop(Box::from_raw(p));
            }
            for &p in &o.funcs {
                drop(Box::from_raw(p));
            }
            for &p in &o.hosts {
                drop(Box::from_raw(p));
            }
            drop(Box::from_raw(self.exec));
        }
    }
}

fn link_err(imp: &crate::info::ImportInfo, why: &str) -> Error {
    Error::Link(format!("incompatible import type for \"{}\" \"{}\": {why}", imp.module, imp.name))
}

/// Import matching of limits (Wasm 2.0 subtyping of tables and memories).
fn limits_match(actual: Limits, wanted: Limits) -> bool {
    actual.min >= wanted.min
        && match (actual.max, wanted.max) {
            (_, None) => true,
            (Some(a), Some(w)) => a <= w,
            (None, Some(_)) => false,
        }
}

impl Store {
    pub fn new() -> Rc<Store> {
        Store::with_memory_cap(crate::memory::PAGE_CAP)
    }

    /// A store whose memories may have at most `pages` pages: a module
    /// declaring more is [`Error::ResourceLimit`], growth beyond is -1.
    pub fn with_memory_cap(pages: u64) -> Rc<Store> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Rc::new(Store {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            exec: Box::into_raw(Box::default()),
            objs: RefCell::default(),
            memory_cap: pages,
        })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    /// The store's execution state (fuel, trap slot, depth).
    pub fn exec(&self) -> *mut ExecState {
        self.exec
    }

    fn alloc<T>(&self, value: T, list: impl FnOnce(&mut Objects) -> &mut Vec<*mut T>) -> *mut T {
        let p = Box::into_raw(Box::new(value));
        list(&mut self.objs.borrow_mut()).push(p);
        p
    }

    fn new_func(&self, sig: u32, index: u32, vmctx: *mut VmCtx, host: *const HostFunc) -> *const FuncRef {
        let mut o = self.objs.borrow_mut();
        let id = o.funcs.len() as u32;
        let p = Box::into_raw(Box::new(FuncRef { sig, index, vmctx, host, id }));
        o.funcs.push(p);
        p
    }

    /// A new host function in this store.
    pub fn host_func(&self, h: &HostFunc) -> *const FuncRef {
        let host = self.alloc(h.clone(), |o| &mut o.hosts);
        self.new_func(sig::canonical(&h.ty), 0, std::ptr::null_mut(), host)
    }

    /// The function behind a `Val::FuncRef` handle.
    pub fn func_by_id(&self, id: u32) -> Option<*const FuncRef> {
        self.objs.borrow().funcs.get(id as usize).map(|&p| p as *const FuncRef)
    }

    /// A contract value as a raw slot. A function reference must be one of
    /// this store's; `v128` has no slot (SIMD is unsupported).
    pub fn val_to_raw(&self, v: Val) -> Result<u64, Error> {
        match v {
            Val::FuncRef(None) => Ok(0),
            Val::FuncRef(Some(id)) => self
                .func_by_id(id)
                .map(|f| f as u64)
                .ok_or_else(|| Error::Usage(format!("funcref #{id} is not a function of this store"))),
            other => Ok(crate::raw::from_val(other)?),
        }
    }

    /// A raw slot of this store as a contract value of type `ty`.
    ///
    /// `ty` is the type of a slot of this store, which is never `v128`:
    /// [`ModuleInfo`] refuses SIMD types and host functions link only
    /// against a module's types. Asking for `v128` is a bug and panics.
    pub fn raw_to_val(&self, raw: u64, ty: ValType) -> Val {
        match ty {
            ValType::FuncRef if raw == 0 => Val::FuncRef(None),
            // SAFETY: a non-null funcref slot always holds a pointer to a
            // `FuncRef` of this store (only the runtime writes them).
            ValType::FuncRef => Val::FuncRef(Some(unsafe { (*(raw as *const FuncRef)).id })),
            _ => match crate::raw::to_val(raw, ty) {
                Ok(v) => v,
                Err(e) => panic!("no slot of this store has type {ty}: {e:?}"),
            },
        }
    }

    /// Instantiates `info`: resolves imports, creates the instance's
    /// objects, evaluates globals, applies element then data segments in
    /// order. Returns the instance; the caller runs the start function.
    ///
    /// `code` and `native` become the VM context's `code` and `native`
    /// before any segment is applied: an instance whose instantiation traps
    /// half-way can still be called through the tables it wrote.
    ///
    /// A trapping segment fails instantiation with the trap, but what was
    /// written before stays (the instance stays alive in the store, so its
    /// functions placed in shared tables remain callable).
    pub fn instantiate(
        self: &Rc<Store>,
        info: Arc<ModuleInfo>,
        code: *const (),
        native: *const usize,
        code_owner: Arc<dyn Any>,
        imports: &Imports,
    ) -> Result<*mut InstanceData, Error> {
        let mut funcs: Vec<*const FuncRef> = Vec::with_capacity(info.funcs.len());
        let mut tables = Vec::with_capacity(info.tables.len());
        let mut memory: *mut Memory = std::ptr::null_mut();
        let mut global_objs = Vec::with_capacity(info.globals.len());

        for imp in &info.imports {
            let item = imports.get(&imp.module, &imp.name).ok_or_else(|| Imports::unknown(&imp.module, &imp.name))?;
            match (&imp.kind, item) {
                (ImportKind::Func(t), Import::Func(h)) => {
                    if h.ty != info.types[*t as usize] {
                        return Err(link_err(imp, "function type differs"));
                    }
                    funcs.push(self.host_func(h));
                }
                (_, Import::Func(_)) => return Err(link_err(imp, "a host function")),
                (kind, Import::Extern(e)) => {
                    let rt = e.downcast::<RtExtern>().ok_or_else(|| link_err(imp, "an item of another engine"))?;
                    if !Rc::ptr_eq(&rt.store, self) {
                        return Err(link_err(imp, "an item of another store"));
                    }
                    // SAFETY: items of this store are alive while it is.
                    unsafe {
                        match (kind, rt.item) {
                            (ImportKind::Func(t), Item::Func(f)) => {
                                if (*f).sig != info.type_sigs[*t as usize] {
                                    return Err(link_err(imp, "function type differs"));
                                }
                                funcs.push(f);
                            }
                            (ImportKind::Table(t), Item::Table(p)) => {
                                if (*p).ty != t.elem || !limits_match((*p).limits(), t.limits) {
                                    return Err(link_err(imp, "table type differs"));
                                }
                                tables.push(p);
                            }
                            (ImportKind::Memory(l), Item::Memory(p)) => {
                                if !limits_match((*p).limits(), *l) {
                                    return Err(link_err(imp, "memory limits differ"));
                                }
                                memory = p;
                            }
                            (ImportKind::Global(g), Item::Global(p)) => {
                                if (*p).ty != g.ty || (*p).mutable != g.mutable {
                                    return Err(link_err(imp, "global type differs"));
                                }
                                global_objs.push(p);
                            }
                            _ => return Err(link_err(imp, "kind differs")),
                        }
                    }
                }
            }
        }

        // The instance first (its VM context address is needed by its
        // function references), then its objects.
        let ndefined = info.num_defined_funcs();
        let inst = self.alloc(
            InstanceData {
                vmctx: VmCtx::empty(),
                info: info.clone(),
                globals: Vec::new(),
                global_objs: Vec::new(),
                tables: Vec::new(),
                funcs: Vec::new(),
                sig_ids: info.type_sigs.clone(),
                call_counts: vec![0; ndefined],
                loop_counts: vec![0; ndefined],
                datas: info.datas.iter().map(|d| d.bytes.clone()).collect(),
                elems: Vec::new(),
                _code: code_owner,
            },
            |o| &mut o.instances,
        );
        // SAFETY: `inst` was just allocated and is owned by the store; no
        // other reference to it exists yet.
        let vmctx = unsafe { std::ptr::addr_of_mut!((*inst).vmctx) };
        for i in 0..ndefined {
            let ty = info.funcs[info.num_imported_funcs as usize + i];
            funcs.push(self.new_func(info.type_sigs[ty as usize], i as u32, vmctx, std::ptr::null()));
        }
        for (g, init) in info.globals[info.num_imported_globals as usize..].iter().zip(&info.global_inits) {
            let value = eval(*init, &funcs, &global_objs);
            global_objs.push(self.alloc(Global { value, ty: g.ty, mutable: g.mutable }, |o| &mut o.globals));
        }
        for t in &info.tables[info.num_imported_tables as usize..] {
            tables.push(self.alloc(Table::new(t.elem, t.limits)?, |o| &mut o.tables));
        }
        for l in &info.memories[info.num_imported_memories as usize..] {
            memory = self.alloc(Memory::with_cap(*l, self.memory_cap)?, |o| &mut o.memories);
        }
        let elems: Vec<Vec<u64>> =
            info.elems.iter().map(|e| e.items.iter().map(|i| eval(*i, &funcs, &global_objs)).collect()).collect();

        // SAFETY: as above; the vectors are moved in before the VM context
        // points into them and are never resized afterwards.
        unsafe {
            let d = &mut *inst;
            d.globals = global_objs.iter().map(|&g| g as *mut u64).collect();
            d.global_objs = global_objs;
            d.tables = tables;
            d.funcs = funcs;
            d.elems = elems;
            d.vmctx.globals = d.globals.as_ptr();
            d.vmctx.tables = d.tables.as_ptr();
            d.vmctx.funcs = d.funcs.as_ptr();
            d.vmctx.sig_ids = d.sig_ids.as_ptr();
            d.vmctx.exec = self.exec;
            d.vmctx.call_counts = d.call_counts.as_mut_ptr();
            d.vmctx.loop_counts = d.loop_counts.as_mut_ptr();
            d.vmctx.memory = memory;
            d.vmctx.instance = inst;
            d.vmctx.code = code;
            d.vmctx.native = native;
            if !memory.is_null() {
                (*memory).add_view(vmctx);
            }
        }

        // Segments, in order (Wasm 2.0: element segments, then data).
        for (i, e) in info.elems.iter().enumerate() {
            match &e.mode {
                SegmentMode::Active { index, offset } => {
                    let off = unsafe { eval(*offset, &(*inst).funcs, &(*inst).global_objs) } as u32 as u64;
                    // SAFETY: the instance and its tables are alive.
                    unsafe {
                        let d = &mut *inst;
                        let n = d.elems[i].len() as u64;
                        (*d.tables[*index as usize]).init(off, &d.elems[i], 0, n)?;
                        d.elems[i] = Vec::new();
                    }
                }
                SegmentMode::Declared => unsafe { (&mut (*inst).elems)[i] = Vec::new() },
                SegmentMode::Passive => {}
            }
        }
        for (i, seg) in info.datas.iter().enumerate() {
            if let SegmentMode::Active { offset, .. } = &seg.mode {
                let off = unsafe { eval(*offset, &(*inst).funcs, &(*inst).global_objs) } as u32 as u64;
                // SAFETY: validation guarantees memory 0 exists for an
                // active data segment.
                unsafe {
                    (*memory).init(off, &seg.bytes, 0, seg.bytes.len() as u64)?;
                    (&mut (*inst).datas)[i] = Arc::from(&[][..]);
                }
            }
        }
        Ok(inst)
    }
}

/// Evaluates a constant expression.
fn eval(init: Init, funcs: &[*const FuncRef], globals: &[*mut Global]) -> u64 {
    match init {
        Init::Raw(v) => v,
        // SAFETY: validation guarantees the global exists (and precedes the
        // one being initialized); its cell is alive in the store.
        Init::Global(g) => unsafe { (*globals[g as usize]).value },
        Init::RefNull => 0,
        Init::RefFunc(f) => funcs[f as usize] as u64,
    }
}

impl InstanceData {
    pub fn func(&self, index: u32) -> *const FuncRef {
        self.funcs[index as usize]
    }

    pub fn table(&self, index: u32) -> *mut Table {
        self.tables[index as usize]
    }

    pub fn memory(&self) -> *mut Memory {
        self.vmctx.memory
    }

    /// The exported item `name`.
    pub fn export_item(&self, name: &str) -> Option<Item> {
        let (kind, i) = self.info.export(name)?;
        Some(match kind {
            ExportKind::Func => Item::Func(self.funcs[i as usize]),
            ExportKind::Table => Item::Table(self.tables[i as usize]),
            ExportKind::Memory => Item::Memory(self.vmctx.memory),
            ExportKind::Global => Item::Global(self.global_objs[i as usize]),
        })
    }

    /// The exported item `name` as a linkable contract [`Extern`].
    pub fn export(&self, store: &Rc<Store>, name: &str) -> Option<Extern> {
        let item = self.export_item(name)?;
        // SAFETY: the items are alive in the store.
        let kind = unsafe {
            match item {
                Item::Func(f) => ExternKind::Func(sig::func_type((*f).sig)),
                Item::Table(_) => ExternKind::Table,
                Item::Memory(_) => ExternKind::Memory,
                Item::Global(g) => ExternKind::Global { ty: (*g).ty, mutable: (*g).mutable },
            }
        };
        Some(Extern::new(kind, RtExtern { store: store.clone(), item }))
    }

    pub fn global_value(&self, store: &Store, name: &str) -> Option<Val> {
        match self.export_item(name)? {
            // SAFETY: the global is alive in the store.
            Item::Global(g) => unsafe { Some(store.raw_to_val((*g).value, (*g).ty)) },
            _ => None,
        }
    }

    /// The elements of the exported table `name` as contract values.
    pub fn table_values(&self, store: &Store, name: &str) -> Option<Vec<Val>> {
        match self.export_item(name)? {
            // SAFETY: the table is alive in the store.
            Item::Table(t) => unsafe {
                let t = &*t;
                Some(t.elems().iter().map(|&raw| store.raw_to_val(raw, t.ty)).collect())
            },
            _ => None,
        }
    }

    /// The store's function with handle `id`, described as seen from this
    /// instance: its signature and its smallest-named export here, if any.
    pub fn describe_func(&self, store: &Store, id: u32) -> Option<FuncDesc> {
        let f = store.func_by_id(id)?;
        let export = self
            .info
            .exports
            .iter()
            .filter(|(_, kind, i)| *kind == ExportKind::Func && self.funcs[*i as usize] == f)
            .map(|(name, ..)| name)
            .min()
            .cloned();
        // SAFETY: function references of the store are alive.
        Some(FuncDesc { ty: sig::func_type(unsafe { (*f).sig }), export })
    }

    pub fn memory_bytes(&self, name: &str) -> Option<Vec<u8>> {
        match self.export_item(name)? {
            // SAFETY: the memory is alive in the store.
            Item::Memory(m) => unsafe { Some((*m).data().to_vec()) },
            _ => None,
        }
    }
}
