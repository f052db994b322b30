//! Instantiation through the runtime alone (no engine: no start functions):
//! linking, segment order and partial initialization, segment dropping.

use std::rc::Rc;
use std::sync::Arc;

use wasmlab_contract::{Error, Features, FuncType, HostFunc, Import, Imports, Trap, Val, ValType};
use wasmlab_runtime::{InstanceData, Item, ModuleInfo, Store};

fn info(wat: &str) -> Arc<ModuleInfo> {
    let wasm = wat::parse_str(wat).unwrap();
    Arc::new(ModuleInfo::new(&wasm, Features::WASM2_NO_SIMD).unwrap())
}

fn instantiate(store: &Rc<Store>, wat: &str, imports: &Imports) -> Result<*mut InstanceData, Error> {
    store.instantiate(info(wat), std::ptr::null(), std::ptr::null(), Arc::new(()), imports)
}

fn data(inst: *mut InstanceData) -> &'static InstanceData {
    unsafe { &*inst }
}

const PROVIDER: &str = r#"(module
    (memory (export "mem") 1 2)
    (table (export "tab") 4 funcref)
    (global (export "g") i32 (i32.const 42))
    (global (export "gm") (mut i64) (i64.const 7))
    (func (export "f") (param i32) (result i32) local.get 0))"#;

fn provider_imports(store: &Rc<Store>) -> (Imports, *mut InstanceData) {
    let p = instantiate(store, PROVIDER, &Imports::new()).unwrap();
    let mut imports = Imports::new();
    for name in ["mem", "tab", "g", "gm", "f"] {
        imports.define("p", name, Import::Extern(data(p).export(store, name).unwrap()));
    }
    (imports, p)
}

#[test]
fn failing_data_segment_keeps_earlier_writes_in_imported_memory() {
    let store = Store::new();
    let (imports, p) = provider_imports(&store);
    let err = instantiate(
        &store,
        r#"(module (import "p" "mem" (memory 1))
             (data (i32.const 10) "abc")
             (data (i32.const 65535) "xy")
             (data (i32.const 20) "never"))"#,
        &imports,
    )
    .unwrap_err();
    assert_eq!(err, Error::Trap(Trap::MemoryOutOfBounds));
    let mem = data(p).memory_bytes("mem").unwrap();
    assert_eq!(&mem[10..13], b"abc");
    assert_eq!(mem[65535], 0, "the failing segment wrote nothing");
    assert_eq!(&mem[20..25], &[0; 5], "later segments are not applied");
}

#[test]
fn elements_go_before_data_and_a_failing_element_segment_stops_both() {
    let store = Store::new();
    let (imports, p) = provider_imports(&store);
    let err = instantiate(
        &store,
        r#"(module (import "p" "mem" (memory 1)) (import "p" "tab" (table 4 funcref))
             (func $h)
             (elem (i32.const 1) $h $h)
             (elem (i32.const 3) $h $h)
             (data (i32.const 0) "d"))"#,
        &imports,
    )
    .unwrap_err();
    assert_eq!(err, Error::Trap(Trap::TableOutOfBounds));
    let Some(Item::Table(t)) = data(p).export_item("tab") else { panic!() };
    let elems = unsafe { (*t).elems().to_vec() };
    assert_eq!(elems[0], 0);
    assert!(elems[1] != 0 && elems[2] != 0, "the first segment was applied");
    assert_eq!(elems[3], 0);
    assert_eq!(data(p).memory_bytes("mem").unwrap()[0], 0, "data comes after elements");
}

#[test]
fn active_and_declared_segments_are_dropped_passive_kept() {
    let store = Store::new();
    let inst = instantiate(
        &store,
        r#"(module (memory 1) (table 2 funcref) (func $f)
             (elem (i32.const 0) $f) (elem func $f $f) (elem declare func $f)
             (data (i32.const 0) "a") (data "bc"))"#,
        &Imports::new(),
    )
    .unwrap();
    let d = data(inst);
    assert_eq!(d.elems.iter().map(Vec::len).collect::<Vec<_>>(), vec![0, 2, 0]);
    assert_eq!(d.datas.iter().map(|s| s.len()).collect::<Vec<_>>(), vec![0, 2]);
    assert_eq!(d.memory_bytes("missing"), None);
}

#[test]
fn globals_initialize_from_imported_globals_and_share_cells() {
    let store = Store::new();
    let (imports, p) = provider_imports(&store);
    let inst = instantiate(
        &store,
        r#"(module (import "p" "g" (global i32)) (import "p" "gm" (global $m (mut i64)))
             (global (export "copy") i32 (global.get 0))
             (export "m" (global $m)))"#,
        &imports,
    )
    .unwrap();
    assert_eq!(data(inst).global_value(&store, "copy"), Some(Val::I32(42)));
    // The mutable global is the provider's cell, not a copy.
    let Some(Item::Global(a)) = data(inst).export_item("m") else { panic!() };
    let Some(Item::Global(b)) = data(p).export_item("gm") else { panic!() };
    assert_eq!(a, b);
    unsafe { (*a).value = 99 };
    assert_eq!(data(p).global_value(&store, "gm"), Some(Val::I64(99)));
}

#[test]
fn link_errors() {
    let store = Store::new();
    let (imports, _) = provider_imports(&store);
    let unknown = instantiate(&store, r#"(module (import "p" "nope" (func)))"#, &imports).unwrap_err();
    assert!(matches!(&unknown, Error::Link(m) if m.contains("unknown import")), "{unknown:?}");
    for bad in [
        r#"(module (import "p" "f" (func (param i64))))"#,
        r#"(module (import "p" "mem" (memory 2)))"#,
        r#"(module (import "p" "mem" (memory 1 1)))"#,
        r#"(module (import "p" "tab" (table 5 funcref)))"#,
        r#"(module (import "p" "tab" (table 1 externref)))"#,
        r#"(module (import "p" "g" (global (mut i32))))"#,
        r#"(module (import "p" "g" (global i64)))"#,
        r#"(module (import "p" "f" (memory 1)))"#,
    ] {
        let err = instantiate(&store, bad, &imports).unwrap_err();
        assert!(matches!(&err, Error::Link(m) if m.contains("incompatible import type")), "{bad}: {err:?}");
    }
    // Subtyping of limits: a bigger current size and a smaller maximum are fine.
    instantiate(&store, r#"(module (import "p" "mem" (memory 0 3)))"#, &imports).unwrap();
    // Items of another store do not link.
    let other = Store::new();
    let err = instantiate(&other, r#"(module (import "p" "mem" (memory 1)))"#, &imports).unwrap_err();
    assert!(matches!(&err, Error::Link(m) if m.contains("another store")), "{err:?}");
}

#[test]
fn host_functions_link_by_type_and_get_handles() {
    let store = Store::new();
    let mut imports = Imports::new();
    let ty = FuncType::new([ValType::I32], []);
    imports.define("h", "f", Import::Func(HostFunc::new(ty, |_| Ok(vec![]))));
    let inst =
        instantiate(&store, r#"(module (import "h" "f" (func (param i32))) (export "f" (func 0)))"#, &imports).unwrap();
    let Some(Item::Func(f)) = data(inst).export_item("f") else { panic!() };
    let id = unsafe { (*f).id };
    assert_eq!(store.func_by_id(id), Some(f));
    assert_eq!(store.raw_to_val(f as u64, ValType::FuncRef), Val::FuncRef(Some(id)));
    assert_eq!(store.val_to_raw(Val::FuncRef(Some(id))).unwrap(), f as u64);
    assert!(matches!(store.val_to_raw(Val::FuncRef(Some(9999))), Err(Error::Usage(_))));
    let bad = instantiate(&store, r#"(module (import "h" "f" (func (param i64))))"#, &imports).unwrap_err();
    assert!(matches!(bad, Error::Link(_)));
}

#[test]
fn memory_beyond_the_cap_is_refused_not_allocated() {
    let store = Store::with_memory_cap(1000);
    let err = instantiate(&store, "(module (memory 1001))", &Imports::new()).unwrap_err();
    assert!(matches!(err, Error::ResourceLimit(m) if m.contains("cap")));
    instantiate(&store, "(module (memory 1000))", &Imports::new()).unwrap();
    // The default cap is the wasm32 limit: address space is reserved, and
    // resident memory follows the pages touched.
    instantiate(&Store::new(), "(module (memory 60000))", &Imports::new()).unwrap();
}

#[test]
fn values_convert_through_the_store_and_v128_is_refused() {
    let store = Store::new();
    let inst = instantiate(&store, PROVIDER, &Imports::new()).unwrap();
    let Some(Item::Func(f)) = data(inst).export_item("f") else { panic!() };
    let id = unsafe { (*f).id };
    for v in [Val::I32(-5), Val::F64(3), Val::ExternRef(Some(9)), Val::FuncRef(None), Val::FuncRef(Some(id))] {
        let raw = store.val_to_raw(v).unwrap();
        assert_eq!(store.raw_to_val(raw, v.ty()), v);
    }
    assert_eq!(store.val_to_raw(Val::FuncRef(None)), Ok(0));
    assert_eq!(store.val_to_raw(Val::V128(1)), Err(Error::Unsupported("simd".into())));
}
