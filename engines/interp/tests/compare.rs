//! Integer comparisons in every form the translator gives them (a value,
//! against an immediate, with swapped operands, fused into `br_if` and into
//! `if`, which negates them) compute what the comparison means.

use wasmlab_contract::{Engine, EngineConfig, Val};
use wasmlab_interp::InterpEngine;

/// (wasm name, 64-bit operands, meaning on the operands as i64 / u64).
type Meaning = fn(i64, i64, u64, u64) -> bool;
const COMPARISONS: &[(&str, Meaning)] = &[
    ("eq", |a, b, _, _| a == b),
    ("ne", |a, b, _, _| a != b),
    ("lt_s", |a, b, _, _| a < b),
    ("lt_u", |_, _, a, b| a < b),
    ("gt_s", |a, b, _, _| a > b),
    ("gt_u", |_, _, a, b| a > b),
    ("le_s", |a, b, _, _| a <= b),
    ("le_u", |_, _, a, b| a <= b),
    ("ge_s", |a, b, _, _| a >= b),
    ("ge_u", |_, _, a, b| a >= b),
];

fn module(ty: &str, op: &str, k: i64) -> String {
    let cmp = format!("{ty}.{op}");
    let c = format!("({ty}.const {k})");
    format!(
        r#"(module
          (func (export "value") (param {ty} {ty}) (result i32) ({cmp} (local.get 0) (local.get 1)))
          (func (export "imm") (param {ty}) (result i32) ({cmp} (local.get 0) {c}))
          (func (export "swapped") (param {ty}) (result i32) ({cmp} {c} (local.get 0)))
          (func (export "br_if") (param {ty} {ty}) (result i32)
            (block (result i32)
              (br_if 0 (i32.const 1) ({cmp} (local.get 0) (local.get 1)))
              (drop) (i32.const 0)))
          (func (export "if") (param {ty} {ty}) (result i32)
            (if (result i32) ({cmp} (local.get 0) (local.get 1)) (then (i32.const 1)) (else (i32.const 0))))
          (func (export "if_swapped") (param {ty}) (result i32)
            (if (result i32) ({cmp} {c} (local.get 0)) (then (i32.const 1)) (else (i32.const 0)))))"#
    )
}

#[test]
fn comparisons_in_every_translated_form_mean_what_they_say() {
    let e = InterpEngine::new(&EngineConfig::default());
    let vals32: [i32; 6] = [0, 1, -1, 5, i32::MIN, i32::MAX];
    let vals64: [i64; 6] = [0, 1, -1, 5, i64::MIN, i64::MAX];
    for &(op, meaning) in COMPARISONS {
        for ty in ["i32", "i64"] {
            let is32 = ty == "i32";
            // Operands as i64 and u64 with the type's signedness rules.
            let wide = |x: i64| {
                if is32 { (x as i32 as i64, x as u32 as u64) } else { (x, x as u64) }
            };
            let val = |x: i64| {
                if is32 { Val::I32(x as i32) } else { Val::I64(x) }
            };
            let vals: Vec<i64> = if is32 { vals32.iter().map(|&v| v as i64).collect() } else { vals64.to_vec() };
            for &k in &vals {
                let wasm = wat::parse_str(module(ty, op, k)).unwrap();
                let mut i = e.instantiate_fresh(&wasm).unwrap();
                for &x in &vals {
                    for &y in &vals {
                        let ((sx, ux), (sy, uy)) = (wide(x), wide(y));
                        let want = vec![Val::I32(meaning(sx, sy, ux, uy) as i32)];
                        for f in ["value", "br_if", "if"] {
                            assert_eq!(i.call(f, &[val(x), val(y)]).unwrap(), want, "{ty}.{op} {f} {x} {y}");
                        }
                    }
                    let ((sx, ux), (sk, uk)) = (wide(x), wide(k));
                    let with_k = vec![Val::I32(meaning(sx, sk, ux, uk) as i32)];
                    let k_with = vec![Val::I32(meaning(sk, sx, uk, ux) as i32)];
                    assert_eq!(i.call("imm", &[val(x)]).unwrap(), with_k, "{ty}.{op} imm {x} {k}");
                    for f in ["swapped", "if_swapped"] {
                        assert_eq!(i.call(f, &[val(x)]).unwrap(), k_with, "{ty}.{op} {f} {k} {x}");
                    }
                }
            }
        }
    }
}
