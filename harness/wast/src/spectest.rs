//! The standard `spectest` host module the suite imports from. It is a
//! real wasm module (so each engine builds its own globals, table and
//! memory), re-exporting no-op print functions the host provides.

use wasmlab_contract::{FuncType, HostFunc, Import, Imports, ValType};

pub const SPECTEST_WAT: &str = r#"(module
  (import "host" "print" (func $print))
  (import "host" "print_i32" (func $print_i32 (param i32)))
  (import "host" "print_i64" (func $print_i64 (param i64)))
  (import "host" "print_f32" (func $print_f32 (param f32)))
  (import "host" "print_f64" (func $print_f64 (param f64)))
  (import "host" "print_i32_f32" (func $print_i32_f32 (param i32 f32)))
  (import "host" "print_f64_f64" (func $print_f64_f64 (param f64 f64)))
  (export "print" (func $print))
  (export "print_i32" (func $print_i32))
  (export "print_i64" (func $print_i64))
  (export "print_f32" (func $print_f32))
  (export "print_f64" (func $print_f64))
  (export "print_i32_f32" (func $print_i32_f32))
  (export "print_f64_f64" (func $print_f64_f64))
  (global (export "global_i32") i32 (i32.const 666))
  (global (export "global_i64") i64 (i64.const 666))
  (global (export "global_f32") f32 (f32.const 666.6))
  (global (export "global_f64") f64 (f64.const 666.6))
  (table (export "table") 10 20 funcref)
  (memory (export "memory") 1 2)
)"#;

/// The host functions `SPECTEST_WAT` imports: they accept and discard.
pub fn host_imports() -> Imports {
    use ValType::*;
    let mut imports = Imports::new();
    let sigs: [(&str, &[ValType]); 7] = [
        ("print", &[]),
        ("print_i32", &[I32]),
        ("print_i64", &[I64]),
        ("print_f32", &[F32]),
        ("print_f64", &[F64]),
        ("print_i32_f32", &[I32, F32]),
        ("print_f64_f64", &[F64, F64]),
    ];
    for (name, params) in sigs {
        imports.define("host", name, Import::Func(HostFunc::new(FuncType::new(params, []), |_| Ok(vec![]))));
    }
    imports
}
