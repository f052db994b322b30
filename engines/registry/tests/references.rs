//! Every engine reads tables and describes function references the same
//! way: the oracle compares them across engines through these answers.

use wasmlab_contract::{EngineConfig, FuncDesc, FuncType, Instance, Val, ValType};

const MODULE: &str = r#"(module
    (type $ii (func (param i32) (result i32)))
    (func $a (export "a") (type $ii) local.get 0)
    (func $b (export "b") (export "also_b") (result i64) i64.const 1)
    (func $hidden (type $ii) i32.const 0)
    (table $t (export "t") 5 funcref)
    (table (export "ext") 2 externref)
    (elem (table $t) (i32.const 0) func $a $b $hidden $a)
    (func (export "get") (param i32) (result funcref) local.get 0 table.get $t)
    (func (export "set_ext") (param externref) i32.const 1 local.get 0 table.set 1)
    (func (export "clear") i32.const 0 ref.null func table.set $t))"#;

fn instances() -> Vec<(&'static str, Box<dyn Instance>)> {
    let wasm = wat::parse_str(MODULE).unwrap();
    let dir = std::env::temp_dir().join(format!("wasmlab-registry-refs-{}", std::process::id()));
    let config = EngineConfig { cache_dir: Some(dir), ..EngineConfig::default() };
    let mut out = Vec::new();
    for name in wasmlab_registry::names() {
        let engine = wasmlab_registry::create(name, &config).unwrap();
        match engine.instantiate_fresh(&wasm) {
            Ok(inst) => out.push((name, inst)),
            // Winch has no externref: it is compared on other modules.
            Err(wasmlab_contract::Error::Unsupported(_)) => {}
            Err(e) => panic!("{name}: {e}"),
        }
    }
    for needed in ["wasmtime", "wasmtime-aot", "wasmi", "interp"] {
        assert!(out.iter().any(|(n, _)| *n == needed), "{needed} ran");
    }
    out
}

fn describe(name: &str, inst: &mut dyn Instance, v: &Val) -> Option<FuncDesc> {
    match v {
        Val::FuncRef(Some(h)) => {
            Some(inst.describe_func(*h).unwrap_or_else(|| panic!("{name}: handle {h} undescribed")))
        }
        _ => None,
    }
}

#[test]
fn tables_read_in_order_with_function_identity_and_signature() {
    let ii = FuncType::new([ValType::I32], [ValType::I32]);
    let b = FuncType::new([], [ValType::I64]);
    let expected = [
        Some(FuncDesc { ty: ii.clone(), export: Some("a".into()) }),
        Some(FuncDesc { ty: b, export: Some("also_b".into()) }),
        Some(FuncDesc { ty: ii.clone(), export: None }),
        Some(FuncDesc { ty: ii, export: Some("a".into()) }),
        None,
    ];
    for (name, mut inst) in instances() {
        let table = inst.table("t").unwrap_or_else(|| panic!("{name}: no table"));
        assert_eq!(table.len(), 5, "{name}");
        assert_eq!(table[4], Val::FuncRef(None), "{name}");
        let seen: Vec<Option<FuncDesc>> = table.iter().map(|v| describe(name, inst.as_mut(), v)).collect();
        assert_eq!(seen, expected, "{name}");
        assert!(inst.table("a").is_none(), "{name}: a function is not a table");
        assert!(inst.table("nope").is_none(), "{name}");

        // A reference returned by a call describes the same way as the
        // table entry it came from.
        let got = inst.call("get", &[Val::I32(3)]).unwrap();
        assert_eq!(describe(name, inst.as_mut(), &got[0]), expected[3], "{name}");

        // Tables are read live, externrefs by their host value.
        inst.call("set_ext", &[Val::ExternRef(Some(42))]).unwrap();
        assert_eq!(inst.table("ext").unwrap(), vec![Val::ExternRef(None), Val::ExternRef(Some(42))], "{name}");
        inst.call("clear", &[]).unwrap();
        assert_eq!(inst.table("t").unwrap()[0], Val::FuncRef(None), "{name}");
    }
}

#[test]
fn unknown_handles_are_not_described() {
    for (name, mut inst) in instances() {
        assert_eq!(inst.describe_func(1_000_000), None, "{name}");
    }
}
