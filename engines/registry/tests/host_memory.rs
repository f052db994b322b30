//! Host functions reach their caller's exported memory, in place, on every
//! engine: the same host sees the same bytes and its writes are what the
//! wasm code reads next (the ground WASI stands on).

use std::sync::{Arc, Mutex};

use wasmlab_contract::{EngineConfig, FuncType, HostFunc, Import, Imports, Trap, Val, ValType};

const MODULE: &str = r#"(module
    (import "env" "reverse" (func $reverse (param i32 i32) (result i32)))
    (import "env" "peek" (func $peek (result i32)))
    (memory (export "memory") 1)
    (data (i32.const 16) "hello, lab")
    ;; Reverses the bytes in place through the host, then sums them here.
    (func (export "run") (result i32) (local $i i32) (local $sum i32)
      (drop (call $reverse (i32.const 16) (i32.const 10)))
      (block $done (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const 10)))
        (local.set $sum (i32.add (i32.mul (local.get $sum) (i32.const 31))
                                 (i32.load8_u offset=16 (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
      (local.get $sum))
    ;; A pointer past the end: the host reports it as a trap of its own.
    (func (export "bad") (result i32) (call $reverse (i32.const 65530) (i32.const 10)))
    (func (export "peek") (result i32) (call $peek)))"#;

fn imports(seen: Arc<Mutex<Vec<u8>>>) -> Imports {
    let mut imports = Imports::new();
    let ty = FuncType::new([ValType::I32, ValType::I32], [ValType::I32]);
    imports.define(
        "env",
        "reverse",
        Import::Func(HostFunc::with_caller(ty, move |caller, args| {
            let (&[Val::I32(ptr), Val::I32(len)], Some(mem)) = (args, caller.memory("memory")) else {
                return Err(Trap::HostError);
            };
            let range = ptr as u32 as usize..ptr as u32 as usize + len as u32 as usize;
            let bytes = mem.get_mut(range).ok_or(Trap::HostError)?;
            seen.lock().unwrap().extend_from_slice(bytes);
            bytes.reverse();
            Ok(vec![Val::I32(len)])
        })),
    );
    // No memory by another name: the caller has none to give.
    imports.define(
        "env",
        "peek",
        Import::Func(HostFunc::with_caller(FuncType::new([], [ValType::I32]), |caller, _| {
            Ok(vec![Val::I32(caller.memory("other").is_some() as i32 + 2 * caller.memory("memory").is_some() as i32)])
        })),
    );
    imports
}

fn expected() -> i32 {
    b"hello, lab".iter().rev().fold(0i32, |s, &b| s.wrapping_mul(31).wrapping_add(b as i32))
}

#[test]
fn every_engine_gives_host_functions_the_callers_memory() {
    let wasm = wat::parse_str(MODULE).unwrap();
    let dir = std::env::temp_dir().join(format!("wasmlab-registry-host-memory-{}", std::process::id()));
    let config = EngineConfig { cache_dir: Some(dir), tier_calls: Some(1), ..EngineConfig::default() };
    for name in wasmlab_registry::names() {
        let engine = wasmlab_registry::create(name, &config).unwrap();
        let module = engine.compile(&wasm).unwrap_or_else(|e| panic!("{name}: {e}"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let mut inst = engine.new_store().instantiate(module.as_ref(), &imports(seen.clone())).unwrap();
        assert_eq!(inst.call("run", &[]), Ok(vec![Val::I32(expected())]), "{name}");
        assert_eq!(seen.lock().unwrap().as_slice(), b"hello, lab", "{name}: the host read the caller's bytes");
        assert_eq!(&inst.memory("memory").unwrap()[16..26], b"bal ,olleh", "{name}: the host wrote in place");
        // Twice more: tiered engines run it compiled now.
        for _ in 0..2 {
            inst.call("run", &[]).unwrap();
        }
        assert_eq!(&inst.memory("memory").unwrap()[16..26], b"bal ,olleh", "{name}");
        assert_eq!(inst.call("bad", &[]), Err(wasmlab_contract::Error::Trap(Trap::HostError)), "{name}");
        assert_eq!(inst.call("peek", &[]), Ok(vec![Val::I32(2)]), "{name}");
    }
}
